/*
 * migrate.c — `pgwarden migrate`: status, up, down, redo, create, reset,
 * seed, repair, baseline.
 *
 * The files come from migrate/files.c, the history from migrate/history.c,
 * and everything that writes goes through migrate/runner.c under the
 * migration lock.  This file decides what to run, checks everything that
 * can be checked before the first statement (file names, checksums of
 * applied migrations, SQL syntax of every file about to run, rollbacks
 * present), then runs and reports.  docs/migrate.md is the reference.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "db/query.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "migrate/runner.h"
#include "out/out.h"
#include "out/progress.h"
#include "sql/lint.h"
#include "cmd/safety.h"
#include "catalog/catalog.h"
#include "check/validate.h"
#include "migrate/preflight.h"
#include "model/snapshot.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fault.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/text.h"

#define MIGRATE_USAGE "pgwarden migrate status|up|down|redo|create|reset|seed|repair|baseline [options]"

enum
{
	OPT_TO = 1,
	OPT_DRY_RUN,
	OPT_ONE_TX,
	OPT_EXIT_CODE,
	OPT_YES,
	OPT_FORCE_REMOTE,
	OPT_APPLIED,
	OPT_REVERTED,
	OPT_CHECKSUM,
	OPT_LOCK_WAIT,
	OPT_SAFE,
	OPT_ALLOW,
	OPT_SANDBOX,
	OPT_WITH_DATA,
	OPT_WITH_ROLLBACK,
	OPT_NO_BACKUP,
	OPT_NO_CACHE
};

static const char *const subcommands[] = {
	"baseline", "create", "down", "redo", "repair", "reset", "seed", "status", "up"
};
#define NSUB (sizeof(subcommands) / sizeof(*subcommands))

struct margs
{
	const char *sub;
	const char *arg;			/* N, VERSION or NAME */
	const char *to;
	bool		dry_run;
	bool		one_tx;
	bool		exit_code;
	bool		yes;
	bool		force_remote;
	int			repair;			/* OPT_APPLIED, OPT_REVERTED, OPT_CHECKSUM */
	int			lock_wait;
	bool		safe;
	struct pgw_strlist allow;	/* --allow RULE (safe) */
	const char *sandbox;		/* --sandbox local|tx (safe) */
	int			with_data;		/* --with-data N (safe, local sandbox) */
	bool		with_rollback;	/* create: a down section to derive */
	bool		no_backup;		/* --no-backup (safe) */
	bool		no_cache;		/* --no-cache (safe): live reads in full */
	unsigned	given;			/* bit per option id, to check it fits the subcommand */
};

/* Which options each subcommand takes (bits of option ids). */
static unsigned
allowed_options(const char *sub)
{
#define B(x) (1u << (x))
	if (!strcmp(sub, "status"))
		return B(OPT_EXIT_CODE);
	if (!strcmp(sub, "up"))
		return B(OPT_TO) | B(OPT_DRY_RUN) | B(OPT_ONE_TX) | B(OPT_LOCK_WAIT) | B(OPT_SAFE) |
			B(OPT_ALLOW) | B(OPT_SANDBOX) | B(OPT_WITH_DATA) | B(OPT_NO_BACKUP) | B(OPT_NO_CACHE);
	if (!strcmp(sub, "down"))
		return B(OPT_TO) | B(OPT_LOCK_WAIT);
	if (!strcmp(sub, "redo") || !strcmp(sub, "seed") || !strcmp(sub, "baseline"))
		return B(OPT_LOCK_WAIT);
	if (!strcmp(sub, "reset"))
		return B(OPT_YES) | B(OPT_FORCE_REMOTE) | B(OPT_LOCK_WAIT);
	if (!strcmp(sub, "repair"))
		return B(OPT_APPLIED) | B(OPT_REVERTED) | B(OPT_CHECKSUM) | B(OPT_LOCK_WAIT);
	if (!strcmp(sub, "create"))
		return B(OPT_WITH_ROLLBACK);
	return 0;
#undef B
}

static const struct pgw_opt migrate_opts[] = {
	{"allow", 0, true, OPT_ALLOW},
	{"applied", 0, false, OPT_APPLIED},
	{"checksum", 0, false, OPT_CHECKSUM},
	{"dry-run", 'n', false, OPT_DRY_RUN},
	{"exit-code", 0, false, OPT_EXIT_CODE},
	{"force-remote", 0, false, OPT_FORCE_REMOTE},
	{"lock-wait", 0, true, OPT_LOCK_WAIT},
	{"no-backup", 0, false, OPT_NO_BACKUP},
	{"no-cache", 0, false, OPT_NO_CACHE},
	{"one-transaction", '1', false, OPT_ONE_TX},
	{"reverted", 0, false, OPT_REVERTED},
	{"safe", 0, false, OPT_SAFE},
	{"sandbox", 0, true, OPT_SANDBOX},
	{"to", 0, true, OPT_TO},
	{"with-data", 0, true, OPT_WITH_DATA},
	{"with-rollback", 0, false, OPT_WITH_ROLLBACK},
	{"yes", 'y', false, OPT_YES},
	{NULL, 0, false, 0}
};

static const char *
opt_name(int id)
{
	const struct pgw_opt *o;

	for (o = migrate_opts; o->name; o++)
		if (o->id == id)
			return o->name;
	return "?";
}

static int
parse_args(int argc, char **argv, struct margs *a)
{
	struct pgw_optparser p;
	const char *arg;
	long		n;
	int			r,
				id;

	memset(a, 0, sizeof(*a));
	a->lock_wait = 60;
	opt_init(&p, argc, argv, migrate_opts, MIGRATE_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		if (r == OPT_ERROR)
			return PGW_EXIT_USAGE;
		if (r > 0)
			a->given |= 1u << r;
		switch (r)
		{
			case OPT_TO:
				if (!migration_version_valid(arg))
					return opt_usage_error(&p, "a version is the digits a migration's file name starts with",
										   "'%s' is not a migration version", arg);
				a->to = arg;
				break;
			case OPT_DRY_RUN:
				a->dry_run = true;
				break;
			case OPT_ONE_TX:
				a->one_tx = true;
				break;
			case OPT_EXIT_CODE:
				a->exit_code = true;
				break;
			case OPT_YES:
				a->yes = true;
				break;
			case OPT_FORCE_REMOTE:
				a->force_remote = true;
				break;
			case OPT_APPLIED:
			case OPT_REVERTED:
			case OPT_CHECKSUM:
				if (a->repair && a->repair != r)
					return opt_usage_error(&p, NULL, "give one of --applied, --reverted and --checksum");
				a->repair = r;
				break;
			case OPT_LOCK_WAIT:
				if (!opt_int(&p, "lock-wait", arg, 0, 86400, &n))
					return PGW_EXIT_USAGE;
				a->lock_wait = (int) n;
				break;
			case OPT_SAFE:
				a->safe = true;
				break;
			case OPT_ALLOW:
				if (!lint_rule_find(arg))
					return opt_usage_error(&p, "'pgwarden lint --help' lists the rules",
										   "unknown lint rule '%s'", arg);
				strlist_add(&a->allow, arg);
				break;
			case OPT_SANDBOX:
				if (strcmp(arg, "local") && strcmp(arg, "tx"))
					return opt_usage_error(&p, NULL, "unknown sandbox '%s' (local or tx)", arg);
				a->sandbox = arg;
				break;
			case OPT_WITH_DATA:
				if (!opt_int(&p, "with-data", arg, 1, 1000000, &n))
					return PGW_EXIT_USAGE;
				a->with_data = (int) n;
				break;
			case OPT_WITH_ROLLBACK:
				a->with_rollback = true;
				break;
			case OPT_NO_BACKUP:
				a->no_backup = true;
				break;
			case OPT_NO_CACHE:
				a->no_cache = true;
				break;
			case OPT_POSITIONAL:
				if (!a->sub)
					a->sub = arg;
				else if (!a->arg)
					a->arg = arg;
				else
					return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
				break;
		}
	}
	if (!a->sub)
		return opt_usage_error(&p, "run 'pgwarden migrate --help' for what each does",
							   "missing subcommand (status, up, down, redo, create, reset, seed, repair or baseline)");
	for (id = 0; id < (int) NSUB; id++)
		if (strcmp(a->sub, subcommands[id]) == 0)
			break;
	if (id == (int) NSUB)
	{
		const char *close = text_closest(a->sub, subcommands, NSUB);
		char	   *hint = close ? pgw_asprintf("did you mean 'migrate %s'?", close) : NULL;
		int			rc = opt_usage_error(&p, hint, "unknown subcommand '%s'", a->sub);

		free(hint);
		return rc;
	}
	for (id = OPT_TO; id <= OPT_NO_CACHE; id++)
		if ((a->given & (1u << id)) && !(allowed_options(a->sub) & (1u << id)))
			return opt_usage_error(&p, NULL, "'migrate %s' does not take --%s", a->sub, opt_name(id));
	/* positional argument per subcommand */
	if (!a->safe && (a->allow.n || a->sandbox || a->with_data || a->no_backup || a->no_cache))
		return opt_usage_error(&p, NULL, "--%s goes with --safe",
							   a->allow.n ? "allow" : a->sandbox ? "sandbox" : a->with_data ? "with-data" :
							   a->no_backup ? "no-backup" : "no-cache");
	if (a->with_data && a->sandbox && strcmp(a->sandbox, "tx") == 0)
		return opt_usage_error(&p, "the sample is copied into a local sandbox; a tx sandbox has the target's own rows",
							   "--with-data does not go with --sandbox tx");
	if (a->safe && (a->dry_run || a->one_tx))
		return opt_usage_error(&p, "--safe tries each migration in a sandbox and applies it on its own",
							   "--safe does not take --%s", a->dry_run ? "dry-run" : "one-transaction");
	if (!strcmp(a->sub, "create") && !a->arg)
		return opt_usage_error(&p, "e.g. pgwarden migrate create add_vehicle_notes",
							   "'migrate create' needs a NAME");
	if ((!strcmp(a->sub, "repair") || !strcmp(a->sub, "baseline")) && !a->arg)
		return opt_usage_error(&p, NULL, "'migrate %s' needs a VERSION", a->sub);
	if ((!strcmp(a->sub, "repair") || !strcmp(a->sub, "baseline")) && !migration_version_valid(a->arg))
		return opt_usage_error(&p, "a version is the digits a migration's file name starts with",
							   "'%s' is not a migration version", a->arg);
	if (!strcmp(a->sub, "repair") && !a->repair)
		return opt_usage_error(&p, NULL, "'migrate repair' needs --applied, --reverted or --checksum");
	if (!strcmp(a->sub, "down") && a->arg)
	{
		if (a->to)
			return opt_usage_error(&p, NULL, "give a count or --to, not both");
		if (!text_parse_int(a->arg, 1, 1000000, &n))
			return opt_usage_error(&p, "'migrate down 2' rolls back the two newest migrations",
								   "'%s' is not a number of migrations", a->arg);
	}
	if (a->arg && strcmp(a->sub, "create") && strcmp(a->sub, "repair") &&
		strcmp(a->sub, "baseline") && strcmp(a->sub, "down"))
		return opt_usage_error(&p, NULL, "'migrate %s' takes no argument ('%s')", a->sub, a->arg);
	return PGW_EXIT_OK;
}

/* --- the state of every version ------------------------------------------ */

enum mstate
{
	ST_APPLIED,
	ST_PENDING,
	ST_CHANGED,					/* applied, file edited since */
	ST_MISSING,					/* applied, no file here */
	ST_FAILED					/* a statement-by-statement run stopped part-way */
};

static const char *
state_name(enum mstate s)
{
	static const char *const names[] = {"applied", "pending", "changed", "missing", "failed"};

	return names[s];
}

struct entry
{
	const char *version;
	struct pgw_migration *m;	/* NULL when missing locally */
	struct pgw_history_row *row;	/* NULL when not applied */
	enum mstate state;
};

struct session
{
	struct pgw_ctx *ctx;
	struct margs *a;
	struct pgw_migration_set set;
	bool		dir_missing;
	PGconn	   *conn;
	struct pgw_runner r;
	bool		runner_open;
	struct pgw_history h;
	struct entry *e;
	size_t		ne;
	bool		supabase;
	struct pgw_progress progress;
	json_t	   *doc;			/* the JSON document being built */
	char	   *dir_display;	/* the folder, relative to the project root */
};

/* Prints the JSON document in JSON mode (text mode printed as it went). */
static void
emit_doc(struct session *s)
{
	if (out_is_json())
		out_json_emit(s->doc);
	else
		json_decref(s->doc);
	s->doc = NULL;
}

/* Reports the recorded error with the document built so far (which the
 * report takes) and returns the exit code. */
static int
session_fail(struct session *s)
{
	int			rc = out_fail_with(s->doc);

	s->doc = NULL;
	return rc;
}

static int
cmp_entry(const void *a, const void *b)
{
	return migration_version_cmp(((const struct entry *) a)->version,
								 ((const struct entry *) b)->version);
}

static void
build_entries(struct session *s)
{
	size_t		i;

	free(s->e);
	s->e = pgw_calloc(s->set.n + s->h.n + 1, sizeof(*s->e));
	s->ne = 0;
	for (i = 0; i < s->set.n; i++)
	{
		struct entry *e = &s->e[s->ne++];

		e->m = &s->set.items[i];
		e->version = e->m->version;
		e->row = history_find(&s->h, e->version);
		if (!e->row)
			e->state = ST_PENDING;
		else if (e->row->failed)
			e->state = ST_FAILED;
		else if (strcmp(e->row->algorithm, PGW_CHECKSUM_ALGORITHM) == 0 &&
				 strcmp(e->row->checksum, e->m->checksum) != 0)
			e->state = ST_CHANGED;
		else
			e->state = ST_APPLIED;
	}
	for (i = 0; i < s->h.n; i++)
		if (!migrations_find(&s->set, s->h.rows[i].version))
		{
			struct entry *e = &s->e[s->ne++];

			e->row = &s->h.rows[i];
			e->version = e->row->version;
			e->state = e->row->failed ? ST_FAILED : ST_MISSING;
		}
	qsort(s->e, s->ne, sizeof(*s->e), cmp_entry);
}

/* --- runner events: progress and notes on stderr ------------------------- */

static void
ev_waiting(void *arg, int pid, int wait_s)
{
	(void) arg;
	if (pid)
		out_note("waiting up to %d s for the migration lock held by pid %d", wait_s, pid);
	else
		out_note("waiting up to %d s for the migration lock", wait_s);
}

static void
ev_retry(void *arg, const char *file, int attempt, int attempts, int delay_ms, const char *reason)
{
	struct session *s = arg;

	progress_finish(&s->progress);
	out_warning("%s: attempt %d of %d failed: %s; retrying in %.1f s", file, attempt, attempts,
				reason, delay_ms / 1000.0);
}

static void
ev_note(void *arg, const char *file, const char *message)
{
	struct session *s = arg;

	progress_finish(&s->progress);
	if (strcmp(file, "server") != 0)
		out_note("%s: %s", file, message);
	else if (strncmp(message, "WARNING:", 8) == 0)
		out_warning("server: %s", message + 9 + strspn(message + 9, " "));
	else
		/* NOTICE (DROP ... IF EXISTS skipping, RAISE NOTICE): with -v */
		out_verbose("server: %s", message);
}

/* --- setting up ------------------------------------------------------------ */

static void
session_release(struct session *s)
{
	progress_finish(&s->progress);
	if (s->runner_open)
		runner_close(&s->r);
	/* the session ends: a cancelled statement's locks go with it */
	db_close(s->conn);
	history_release(&s->h);
	migrations_release(&s->set);
	free(s->e);
	free(s->dir_display);
	json_decref(s->doc);
}

/* The target is this machine: the local cluster, a Unix socket, loopback. */
static bool
target_is_local(struct session *s)
{
	const char *host = PQhost(s->conn);

	if (s->ctx->target.kind == PGW_TARGET_LOCAL)
		return true;
	if (!host || !*host || host[0] == '/')
		return true;
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* Loads the files; with a database: connects, and for commands that write
 * takes the lock and makes sure the history table exists; then reads the
 * history.  Returns an exit code (OK to go on). */
static int
session_open(struct session *s, struct pgw_ctx *ctx, struct margs *a, bool db, bool writes)
{
	int			rc;
	const char *root = ctx->cfg.root;
	const char *dir = ctx->cfg.migrations_dir;

	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->a = a;
	s->supabase = migrations_supabase_layout(dir);
	if (strncmp(dir, root, strlen(root)) == 0 && dir[strlen(root)] == '/')
		s->dir_display = pgw_strdup(dir + strlen(root) + 1);
	else
		s->dir_display = pgw_strdup(dir);
	s->doc = out_json_envelope(true);
	if (migrations_load(dir, &s->set, &s->dir_missing) != 0)
		return out_fail();
	if (!db)
		return PGW_EXIT_OK;
	s->conn = ctx_connect(ctx, &rc);
	if (!s->conn)
		return rc;
	if (!strcmp(a->sub, "reset") && !a->force_remote && !target_is_local(s))
	{
		pgw_error(PGW_ERR_USAGE, "'migrate reset' refuses a database on another machine (%s)",
				  ctx->target.display);
		pgw_error_hint("reset is for development databases; add --force-remote if you mean it");
		return out_fail();
	}
	if (runner_open(&s->r, s->conn, ctx->target.conninfo, &ctx->cfg, a->lock_wait, s->supabase) != 0)
		return out_fail();
	s->runner_open = true;
	s->r.ev.arg = s;
	s->r.ev.waiting = ev_waiting;
	s->r.ev.retry = ev_retry;
	s->r.ev.note = ev_note;
	if (writes && runner_lock(&s->r) != 0)
		return out_fail();
	if (history_read(s->conn, &s->h, s->supabase) != 0)
		return out_fail();
	build_entries(s);
	return PGW_EXIT_OK;
}

/* Creates the history table(s) when missing: only once something is about
 * to be written, so a run refused by its checks changes nothing. */
static int
session_ensure(struct session *s)
{
	if (history_ensure(s->conn, s->supabase) != 0)
		return -1;
	s->h.exists = true;
	return 0;
}

/* Re-reads the history after changing it. */
static int
session_reload(struct session *s)
{
	history_release(&s->h);
	if (history_read(s->conn, &s->h, s->supabase) != 0)
		return -1;
	build_entries(s);
	return 0;
}

/* Refuses to go on when an applied file was edited (exit 4). */
static int
check_changed(struct session *s)
{
	struct pgw_buf b;
	size_t		i,
				n = 0;

	buf_init(&b);
	for (i = 0; i < s->ne; i++)
		if (s->e[i].state == ST_CHANGED)
		{
			buf_printf(&b, "%s%s: applied %s with checksum %.12s…, the file now has %.12s…",
					   n ? "\n" : "", s->e[i].m->file, s->e[i].row->applied_at,
					   s->e[i].row->checksum, s->e[i].m->checksum);
			n++;
		}
	if (n == 0)
	{
		buf_release(&b);
		return 0;
	}
	pgw_error(PGW_ERR_INPUT, "%zu applied migration%s changed since %s applied", n,
			  n == 1 ? "" : "s", n == 1 ? "it was" : "they were");
	pgw_error_detail("%s", b.data);
	pgw_error_hint("restore the file%s as applied (git), or, if the change is only cosmetic, "
				   "accept it with 'pgwarden migrate repair VERSION --checksum'; nothing was run",
				   n == 1 ? "" : "s");
	buf_release(&b);
	return -1;
}

static void
warn_missing(struct session *s)
{
	size_t		i;

	for (i = 0; i < s->ne; i++)
		if (s->e[i].state == ST_MISSING)
			out_warning("migration %s (%s) is applied but has no file in %s", s->e[i].version,
						s->e[i].row->name, s->dir_display);
}

static json_t *
step_json(const struct pgw_migration *m, const char *file, const struct pgw_step *st, const char *status)
{
	json_t	   *o = json_object();

	if (m)
	{
		json_object_set_new(o, "version", json_string(m->version));
		json_object_set_new(o, "name", json_string(m->name));
	}
	json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "transaction_mode", json_string(runner_txmode_name(st->mode)));
	json_object_set_new(o, "statements", json_integer(st->statements));
	if (st->mode == PGW_TXMODE_STATEMENTS || st->mode == PGW_TXMODE_FILE)
	{
		json_object_set_new(o, "statements_applied", json_integer(st->done));
		if (st->skipped)
			json_object_set_new(o, "statements_resumed", json_integer(st->skipped));
	}
	json_object_set_new(o, "attempts", json_integer(st->attempts));
	json_object_set_new(o, "duration_ms", json_integer(st->duration_ms));
	return o;
}

static void
print_step(int i, int n, const char *file, const struct pgw_step *st)
{
	out_printf("[%d/%d] %s  %sok%s %lld ms", i, n, file, out_style(PGW_STYLE_OK), out_style_end(),
			   st->duration_ms);
	if (st->mode == PGW_TXMODE_STATEMENTS)
		out_printf(" (%d statements outside a transaction)", st->statements);
	else if (st->mode == PGW_TXMODE_FILE)
		out_printf(" (%d statements, the file's own transactions)", st->statements);
	if (st->attempts > 1)
		out_printf(" after %d attempts", st->attempts);
	out_printf("\n");
	out_flush();
}

/* --- status ---------------------------------------------------------------- */

static int
do_status(struct session *s)
{
	size_t		i;
	size_t		count[5] = {0};
	json_t	   *list = json_array();
	json_t	   *summary = json_object();
	bool		bad;

	for (i = 0; i < s->ne; i++)
	{
		const struct entry *e = &s->e[i];
		json_t	   *o = json_object();

		count[e->state]++;
		json_object_set_new(o, "version", json_string(e->version));
		json_object_set_new(o, "name", json_string(e->m ? e->m->name : e->row->name));
		json_object_set_new(o, "file", e->m ? json_string(e->m->file) : json_null());
		json_object_set_new(o, "state", json_string(state_name(e->state)));
		json_object_set_new(o, "has_rollback", json_boolean(e->m && migration_has_rollback(e->m)));
		json_object_set_new(o, "checksum", e->m ? json_string(e->m->checksum) : json_null());
		json_object_set_new(o, "applied", e->row ? history_row_to_json(e->row) : json_null());
		json_array_append_new(list, o);
	}
	bad = count[ST_PENDING] + count[ST_CHANGED] + count[ST_MISSING] + count[ST_FAILED] > 0;
	json_object_set_new(summary, "total", json_integer((json_int_t) s->ne));
	for (i = 0; i < 5; i++)
		json_object_set_new(summary, state_name((enum mstate) i), json_integer((json_int_t) count[i]));
	json_object_set_new(summary, "folder", json_string(s->dir_display));
	json_object_set_new(summary, "history_table", json_boolean(s->h.exists));
	json_object_set_new(s->doc, "summary", summary);
	json_object_set_new(s->doc, "migrations", list);

	if (bad && s->a->exit_code)
		json_object_set_new(s->doc, "ok", json_false());
	if (out_is_json())
		emit_doc(s);
	else
	{
		out_printf("migrations in %s%s\n", s->dir_display, s->dir_missing ? " (folder missing)" : "");
		for (i = 0; i < s->ne; i++)
		{
			const struct entry *e = &s->e[i];
			enum pgw_style style = e->state == ST_APPLIED ? PGW_STYLE_OK :
			e->state == ST_PENDING ? PGW_STYLE_WARN : PGW_STYLE_ERROR;

			out_printf("  %-16s %s%-8s%s %-40s", e->version, out_style(style), state_name(e->state),
					   out_style_end(), e->m ? e->m->name : e->row->name);
			if (e->row && *e->row->applied_at)
				out_printf(" %s %lld ms", e->row->applied_at, e->row->duration_ms);
			if (e->row && strcmp(e->row->algorithm, PGW_SUPABASE_ALGORITHM) == 0)
				out_printf(" (applied by the Supabase CLI)");
			else if (e->row && strcmp(e->row->tx_mode, "transaction") != 0)
				out_printf(" (%s)", e->row->tx_mode);
			out_printf("\n");
			if (e->state == ST_FAILED && e->row->statements_total >= 0)
				out_printf("  %16s statements applied: %d of %d; %s\n", "", e->row->statements_applied,
						   e->row->statements_total, e->row->error ? e->row->error : "");
			else if (e->state == ST_FAILED && e->row->error)
				out_printf("  %16s %s\n", "", e->row->error);
			else if (e->state == ST_CHANGED)
				out_printf("  %16s the file changed after it was applied "
						   "(pgwarden migrate repair %s --checksum accepts it)\n", "", e->version);
		}
		if (s->ne == 0)
			out_printf("  no migrations yet (pgwarden migrate create NAME makes one)\n");
		out_printf("%zu migration%s: %zu applied, %zu pending", s->ne, s->ne == 1 ? "" : "s",
				   count[ST_APPLIED], count[ST_PENDING]);
		if (count[ST_CHANGED])
			out_printf(", %zu changed", count[ST_CHANGED]);
		if (count[ST_MISSING])
			out_printf(", %zu missing locally", count[ST_MISSING]);
		if (count[ST_FAILED])
			out_printf(", %zu failed", count[ST_FAILED]);
		out_printf("\n");
	}
	return bad && s->a->exit_code ? PGW_EXIT_CHECK : PGW_EXIT_OK;
}

/* --- up -------------------------------------------------------------------- */

/* Lints an up plan for --dry-run; prints its findings; returns errors. */
static size_t
dry_run_lint(struct session *s, struct pgw_plan *p, json_t *jfile)
{
	struct pgw_lint_options lo;
	struct pgw_findings f;
	size_t		i,
				errors = 0;
	int			end_line = INT32_MAX,
				col;
	json_t	   *list = json_array();

	memset(&lo, 0, sizeof(lo));
	lo.exposed_schemas = &s->ctx->cfg.exposed_schemas;
	lo.ignore = &s->ctx->cfg.ignore;
	if (p->m && p->m->inline_down)
		sqlfile_position(p->f, p->m->up_end, &end_line, &col);
	findings_init(&f);
	lint_script(&p->s, &lo, &f);
	for (i = 0; i < f.n; i++)
	{
		const struct pgw_finding *x = &f.items[i];

		if (x->suppressed || x->line >= end_line)
			continue;
		if (x->severity == PGW_SEV_ERROR)
			errors++;
		json_array_append_new(list, finding_to_json(x));
		out_printf("      %s:%d:%d: %s%s%s: %s [%s]\n", p->name, x->line, x->column,
				   out_style(x->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR : PGW_STYLE_WARN),
				   severity_name(x->severity), out_style_end(), x->message, x->rule);
	}
	json_object_set_new(jfile, "findings", list);
	findings_release(&f);
	return errors;
}

/* The migrations up will run, in order: pending and failed ones, up to --to. */
static size_t
select_pending(struct session *s, struct entry **out)
{
	size_t		i,
				n = 0;

	for (i = 0; i < s->ne; i++)
	{
		struct entry *e = &s->e[i];

		if (!e->m || (e->state != ST_PENDING && e->state != ST_FAILED))
			continue;
		if (s->a->to && migration_version_cmp(e->version, s->a->to) > 0)
			continue;
		out[n++] = e;
	}
	return n;
}

static int
apply_entries(struct session *s, struct entry **todo, size_t n, json_t *list)
{
	struct pgw_plan *plans = pgw_calloc(n ? n : 1, sizeof(*plans));
	size_t		i;
	int			rc = PGW_EXIT_OK;
	long long	total = 0;
	const char *newest_applied = NULL;

	/* parse everything first: a syntax error anywhere stops before anything runs */
	for (i = 0; i < n; i++)
		if (runner_plan_migration(&plans[i], todo[i]->m, false) != 0)
		{
			rc = session_fail(s);
			goto done;
		}
	if (n > 0 && session_ensure(s) != 0)
	{
		rc = session_fail(s);
		goto done;
	}
	for (i = 0; i < s->ne; i++)
		if (s->e[i].state == ST_APPLIED)
			newest_applied = s->e[i].version;
	if (n > 0 && newest_applied && migration_version_cmp(todo[0]->version, newest_applied) < 0)
		out_note("%s is older than the newest applied migration (%s): applying it now, in version order",
				 todo[0]->m->file, newest_applied);

	if (s->a->one_tx && n > 0)
	{
		struct pgw_step st;

		progress_start(&s->progress, "applying in one transaction", 0);
		if (runner_apply_batch(&s->r, plans, n, &st) != 0)
		{
			progress_finish(&s->progress);
			rc = session_fail(s);
			goto done;
		}
		progress_finish(&s->progress);
		for (i = 0; i < n; i++)
		{
			st.statements = (int) plans[i].n;
			json_array_append_new(list, step_json(todo[i]->m, todo[i]->m->file, &st, "applied"));
			if (!out_is_json())
				out_printf("[%zu/%zu] %s  %sok%s\n", i + 1, n, todo[i]->m->file,
						   out_style(PGW_STYLE_OK), out_style_end());
		}
		total = st.duration_ms;
	}
	else
		for (i = 0; i < n; i++)
		{
			struct pgw_step st;

			progress_start(&s->progress, todo[i]->m->file, 0);
			if (runner_apply(&s->r, &plans[i], todo[i]->state == ST_FAILED ? todo[i]->row : NULL, &st) != 0)
			{
				progress_finish(&s->progress);
				const char *how = pgw_interrupted() ? "interrupted" : "failed";

				json_array_append_new(list, step_json(todo[i]->m, todo[i]->m->file, &st, how));
				if (!out_is_json())
					out_printf("[%zu/%zu] %s  %s%s%s\n", i + 1, n, todo[i]->m->file,
							   out_style(PGW_STYLE_ERROR), how, out_style_end());
				rc = session_fail(s);
				goto done;
			}
			progress_finish(&s->progress);
			json_array_append_new(list, step_json(todo[i]->m, todo[i]->m->file, &st, "applied"));
			if (!out_is_json())
				print_step((int) i + 1, (int) n, todo[i]->m->file, &st);
			total += st.duration_ms;
		}
	if (!out_is_json() && n > 0)
		out_printf("applied %zu migration%s in %lld ms\n", n, n == 1 ? "" : "s", total);
done:
	for (i = 0; i < n; i++)
		runner_plan_release(&plans[i]);
	free(plans);
	return rc;
}

/* --- up --safe ----------------------------------------------------------------- */

/*
 * The fingerprints (into fps) and messages of the error findings validate
 * reports on the target now.  -1 with an error recorded when it cannot run.
 */
static int
validate_errors(struct session *s, struct pgw_strlist *fps, struct pgw_strlist *msgs)
{
	struct pgw_model m;
	struct pgw_catalog_opts co = {0};
	struct pgw_validate_opts vo = {0};
	struct pgw_validate_result res = {0};
	struct pgw_findings f;
	int			rc;

	model_init(&m);
	findings_init(&f);
	co.tenant_column = s->ctx->cfg.tenant_column;
	co.managed = &s->ctx->cfg.schemas;
	co.cache_dir = s->a->no_cache ? NULL : ctx_cache_dir(s->ctx);
	rc = catalog_read(&s->conn, 1, &co, &m, NULL);
	if (rc == 0)
	{
		vo.cfg = &s->ctx->cfg;
		vo.sample = 1;
		vo.max_rows = 1000000;
		rc = validate_run(s->conn, &m, &vo, &f, &res);
	}
	if (rc == 0)
	{
		findings_suppress(&f, (const char *const *) s->ctx->cfg.ignore.items, s->ctx->cfg.ignore.n);
		for (size_t i = 0; i < f.n; i++)
			if (!f.items[i].suppressed && f.items[i].severity == PGW_SEV_ERROR)
			{
				strlist_add(fps, f.items[i].fingerprint);
				if (msgs)
					strlist_add(msgs, f.items[i].message);
			}
	}
	validate_result_release(&res);
	findings_release(&f);
	model_release(&m);
	return rc;
}

static json_t *
strlist_json(const struct pgw_strlist *l)
{
	json_t	   *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->items[i]));
	return a;
}

/* Text mode: one step's result, as it happens. */
static void
step_out(bool first, enum pgw_style style, const char *fmt,...) __attribute__((format(printf, 3, 4)));
static void
step_out(bool first, enum pgw_style style, const char *fmt,...)
{
	char		buf[2048];
	va_list		ap;

	if (out_is_json())
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_printf("%s%s%s%s", first ? "  " : " · ", out_style(style), buf, out_style_end());
	out_flush();
}

/* What verify_applied checks. */
#define VERIFY_SCHEMA 1			/* the managed objects equal the sandbox's */
#define VERIFY_DATA 2			/* validate finds no new error */

/*
 * Post-verification: the target's managed objects equal the sandbox's
 * after-snapshot, and validate finds no error it did not find before.
 * Inside a migration's transaction only the schema is compared (one
 * catalog read, while the migration's locks are held); validate's data
 * checks, which scan tables, run after the COMMIT.  Returns 1 verified, 0
 * not (why in *why), -1 on an error.
 */
static int
verify_applied(struct session *s, const struct safety_trial *st, const struct pgw_strlist *errors_before,
			   json_t *jv, char **why, int what)
{
	struct pgw_model live;
	struct pgw_catalog_opts co;
	struct pgw_diff d;
	struct pgw_diff_opts dopts = {0};
	struct pgw_strlist fps = {NULL, 0},
				msgs = {NULL, 0},
				fresh = {NULL, 0};
	int			rc = -1;

	*why = NULL;
	model_init(&live);
	diff_init(&d);
	safety_catalog_opts(s->ctx, &co);
	/* the target, not a sandbox: through the snapshot cache */
	co.cache_dir = s->a->no_cache ? NULL : ctx_cache_dir(s->ctx);
	dopts.unsafe = true;
	if (!(what & VERIFY_SCHEMA))
		goto data;
	if (catalog_read(&s->conn, 1, &co, &live, NULL) != 0)
		goto done;
	if (diff_models(&st->t.m_after, &live, &dopts, &d) != 0)
		goto done;
	json_object_set_new(jv, "schema_matches_sandbox", json_boolean(d.changes.n == 0));
	if (d.changes.n)
	{
		struct pgw_buf w;
		json_t	   *groups;

		buf_init(&w);
		trial_describe(&d, &w, &groups);
		json_object_set_new(jv, "differences", groups);
		*why = pgw_asprintf("the target differs from the sandbox's result: %s", w.data);
		buf_release(&w);
		rc = 0;
		goto done;
	}
data:
	if (!(what & VERIFY_DATA))
	{
		rc = 1;
		goto done;
	}
	if (validate_errors(s, &fps, &msgs) != 0)
		goto done;
	for (size_t i = 0; i < fps.n; i++)
		if (!strlist_contains(errors_before, fps.items[i]))
			strlist_add(&fresh, msgs.items[i]);
	json_object_set_new(jv, "new_validate_errors", strlist_json(&fresh));
	if (fresh.n)
	{
		*why = pgw_asprintf("validate finds %zu new error%s: %s", fresh.n, fresh.n == 1 ? "" : "s",
							fresh.items[0]);
		rc = 0;
		goto done;
	}
	rc = 1;
done:
	strlist_release(&fps);
	strlist_release(&msgs);
	strlist_release(&fresh);
	diff_release(&d);
	model_release(&live);
	return rc;
}

/*
 * Post-verification of a transactional migration, run by the runner inside
 * the migration's own transaction after its last statement and before its
 * history row and COMMIT (runner.h, before_commit): the catalog and
 * validate read in that transaction and see the migration's result, so a
 * refusal costs a ROLLBACK — nothing is ever committed that was not
 * verified.
 */
struct verify_hook
{
	struct session *s;
	const struct safety_trial *st;
	const struct pgw_strlist *errors_before;
	const char *file;
	json_t	   *jv;				/* the verify step's JSON */
	char	   *why;			/* why it failed (result 0) */
	int			result;			/* 1 verified, 0 not, -1 error, -2 not run */
	long long	ms;
};

static int
verify_before_commit(void *arg, PGconn *conn)
{
	struct verify_hook *h = arg;
	long long	t0 = pgw_now_ms();

	(void) conn;				/* the session's own connection: s->conn */
	h->result = verify_applied(h->s, h->st, h->errors_before, h->jv, &h->why, VERIFY_SCHEMA);
	h->ms = pgw_now_ms() - t0;
	if (h->result == 1)
		return 0;
	if (h->result == 0)
	{
		pgw_error(PGW_ERR_APPLY, "'%s' failed post-verification and was not committed", h->file);
		pgw_error_detail("%s", h->why);
		if (strncmp(h->why, "validate", 8) == 0)
			pgw_error_hint("'pgwarden validate' shows the errors; fix the migration and run again");
		else
			pgw_error_hint("the target changed between the checks and the apply, or the sandbox "
						   "differs from it; 'pgwarden diff' shows the schema, run again when it is settled");
	}
	else
		pgw_error_prefix("cannot verify '%s' (it was not committed)", h->file);
	return -1;
}

/* A migration applied and verified: said so; with more to come, the batch's
 * sandbox follows the target. */
static void
safe_verified(json_t *jm, struct safety_keep *keep, struct pgw_migration *m, bool more)
{
	step_out(false, PGW_STYLE_OK, "verified");
	if (!out_is_json())
		out_printf("\n");
	json_object_set_new(jm, "status", json_string("applied"));
	if (more)
		safety_keep_advance(keep, m);
}

/*
 * Step 4 of migrate up --safe: a backup of the target before a migration
 * that deletes data (backup_destructive), unless [backup]
 * before_destructive is false or --no-backup is given.  *path gets the
 * backup's folder (replacing the previous one's).  -1 with an error when
 * the backup fails: the migration must not run then.
 */
static int
safe_backup(struct session *s, const struct pgw_migration *m, json_t *steps, char **path)
{
	struct pgw_strlist why = {0};
	struct pgw_backup_opts o;
	struct pgw_backup_result r;
	json_t	   *js = json_object();
	char	   *reason;
	int			rc = 0;

	json_object_set_new(steps, "backup", js);
	if (backup_destructive(m, &why) != 0)
	{
		pgw_error_clear();		/* the syntax step reported it */
		strlist_release(&why);
		return 0;
	}
	json_object_set_new(js, "needed", json_boolean(why.n > 0));
	{
		json_t	   *a = json_array();

		for (size_t i = 0; i < why.n; i++)
			json_array_append_new(a, json_string(why.items[i]));
		json_object_set_new(js, "why", a);
	}
	if (why.n == 0)
	{
		json_object_set_new(js, "taken", json_false());
		if (!out_is_json())
			out_printf("  backup: not needed (nothing in it deletes data)\n");
		strlist_release(&why);
		return 0;
	}
	if (s->a->no_backup || !s->ctx->cfg.backup_before_destructive)
	{
		const char *skip = s->a->no_backup ? "--no-backup" : "[backup] before_destructive = false";

		json_object_set_new(js, "taken", json_false());
		json_object_set_new(js, "skipped", json_string(skip));
		if (!out_is_json())
			out_printf("  %sbackup: skipped (%s)%s although it deletes data: %s\n", out_style(PGW_STYLE_WARN),
					   skip, out_style_end(), why.items[0]);
		strlist_release(&why);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	reason = pgw_asprintf("before migrate up --safe: %s", why.items[0]);
	o.reason = reason;
	o.jobs = 1;
	o.progress = !out_is_json() && !out_is_quiet();
	if (!out_is_json())
	{
		out_printf("  backup (it deletes data: %s%s): ", why.items[0], why.n > 1 ? ", ..." : "");
		out_flush();
	}
	if (backup_create(s->conn, s->ctx->target.conninfo, s->ctx->target.display, &s->ctx->cfg, &o, &r) != 0)
	{
		if (!out_is_json())
			out_printf("%sfailed%s\n", out_style(PGW_STYLE_ERROR), out_style_end());
		json_object_set_new(js, "taken", json_false());
		rc = -1;
	}
	else
	{
		char	   *shown = ctx_project_path(s->ctx, r.path);
		char	   *size = out_bytes(r.bytes);

		if (s->ctx->cfg.backup_keep > 0)
		{
			struct pgw_strlist removed = {0};

			if (backup_prune(s->ctx->cfg.backup_dir, s->ctx->cfg.backup_keep, r.name, &removed) != 0)
				pgw_error_clear();
			strlist_release(&removed);
		}
		json_object_set_new(js, "taken", json_true());
		json_object_set_new(js, "path", json_string(r.path));
		json_object_set_new(js, "bytes", json_integer((json_int_t) r.bytes));
		json_object_set_new(js, "duration_ms", json_integer(r.total_ms));
		{
			char	   *cmd = pgw_asprintf("pgwarden restore %s", r.path);

			json_object_set_new(js, "restore", json_string(cmd));
			free(cmd);
		}
		if (!out_is_json())
			out_printf("%s%s%s (%s, %.1f s)\n", out_style(PGW_STYLE_OK), shown, out_style_end(), size,
					   r.total_ms / 1000.0);
		free(*path);
		*path = pgw_strdup(r.path);
		free(shown);
		free(size);
		backup_result_release(&r);
	}
	free(reason);
	strlist_release(&why);
	return rc;
}

/*
 * migrate up --safe: for each pending migration in order — syntax and
 * lint, pre-flight against the target, sandbox trial with its rollback,
 * a backup when it deletes data, apply, post-verification — stopping at the first
 * failure.  A check that fails (lint error, pre-flight problem, sandbox
 * failure) stops with exit 1 and nothing of that migration applied; a
 * verification that fails rolls the migration back (exit 5).
 */
static int
safe_up(struct session *s, struct entry **todo, size_t n, json_t *list)
{
	struct pgw_preflight pf;
	struct pgw_strlist errors_before = {NULL, 0};
	struct safety_opts so = {s->a->sandbox, s->a->with_data, NULL, 0};
	struct safety_keep keep;
	size_t		i,
				applied = 0;
	int			rc = PGW_EXIT_OK;
	json_t	   *summary = json_object_get(s->doc, "summary");
	const char *stopped = NULL;
	char	   *backup_path = NULL;

	preflight_init(&pf);
	memset(&keep, 0, sizeof(keep));
	json_object_set_new(summary, "safe", json_true());
	/* syntax of everything first, as a plain up does */
	for (i = 0; i < n; i++)
	{
		struct pgw_plan p;

		if (runner_plan_migration(&p, todo[i]->m, false) != 0)
		{
			runner_plan_release(&p);
			rc = session_fail(s);
			goto done;
		}
		runner_plan_release(&p);
	}
	if (validate_errors(s, &errors_before, NULL) != 0)
	{
		rc = session_fail(s);
		goto done;
	}
	for (i = 0; i < n; i++)
	{
		struct pgw_migration *m = todo[i]->m;
		struct pgw_plan up,
					down;
		struct safety_trial st;
		struct pgw_findings lint;
		struct pgw_step step;
		json_t	   *jm = json_object();
		json_t	   *steps = json_object();
		json_t	   *js;
		size_t		lint_errors;
		char	   *why = NULL;
		int			v,
					arc;
		bool		have_down = false,
					in_tx;
		struct verify_hook hook;

		memset(&st, 0, sizeof(st));
		memset(&step, 0, sizeof(step));
		if (interrupt_check() != 0)
		{
			/* the ones before are applied and verified: the rest waits */
			json_decref(jm);
			json_decref(steps);
			rc = session_fail(s);
			goto done;
		}
		json_object_set_new(jm, "version", json_string(m->version));
		json_object_set_new(jm, "file", json_string(m->file));
		json_object_set_new(jm, "steps", steps);
		json_object_set_new(jm, "status", json_string("checking"));
		json_array_append_new(list, jm);
		if (!out_is_json())
			out_printf("[%zu/%zu] %s\n", i + 1, n, m->file);

		/* 1. syntax and lint */
		runner_plan_migration(&up, m, false);
		json_object_set_new(steps, "syntax", json_pack("{s:b}", "ok", 1));
		step_out(true, PGW_STYLE_OK, "syntax ok");
		findings_init(&lint);
		lint_errors = safety_lint(s->ctx, m, &lint, &s->a->allow);
		js = json_object();
		json_object_set_new(js, "ok", json_boolean(lint_errors == 0));
		json_object_set_new(js, "findings", findings_to_json(&lint));
		json_object_set_new(steps, "lint", js);
		if (lint_errors)
		{
			step_out(false, PGW_STYLE_ERROR, "lint: %zu error%s", lint_errors, lint_errors == 1 ? "" : "s");
			if (!out_is_json())
			{
				out_printf("\n");
				for (size_t k = 0; k < lint.n; k++)
					if (lint.items[k].severity == PGW_SEV_ERROR && !lint.items[k].suppressed)
						out_printf("    %s:%d:%d: error: %s [%s]\n",
								   lint.items[k].file ? lint.items[k].file : m->up.name, lint.items[k].line,
								   lint.items[k].column, lint.items[k].message, lint.items[k].rule);
				out_printf("    (--allow RULE accepts a finding)\n");
			}
			stopped = "lint";
		}
		else
		{
			size_t		warnings = 0,
						infos = 0;

			for (size_t k = 0; k < lint.n; k++)
				if (!lint.items[k].suppressed)
					lint.items[k].severity == PGW_SEV_WARNING ? warnings++ : infos++;
			if (warnings)
				step_out(false, PGW_STYLE_WARN, "lint ok (%zu warning%s)", warnings, warnings == 1 ? "" : "s");
			else
				step_out(false, PGW_STYLE_OK, "lint ok");
			(void) infos;
		}
		findings_release(&lint);

		/* 2. pre-flight */
		if (!stopped)
		{
			if (preflight_check(&pf, s->conn, &up) != 0)
			{
				runner_plan_release(&up);
				rc = session_fail(s);
				goto done;
			}
			js = json_object();
			json_object_set_new(js, "ok", json_boolean(pf.problems.n == 0));
			json_object_set_new(js, "references", strlist_json(&pf.references));
			json_object_set_new(js, "problems", strlist_json(&pf.problems));
			json_object_set_new(js, "warnings", strlist_json(&pf.warnings));
			json_object_set_new(steps, "preflight", js);
			if (pf.problems.n)
			{
				step_out(false, PGW_STYLE_ERROR, "pre-flight failed");
				if (!out_is_json())
				{
					out_printf("\n");
					for (size_t k = 0; k < pf.problems.n; k++)
						out_printf("    %s: %s\n", m->file, pf.problems.items[k]);
				}
				stopped = "preflight";
			}
			else
			{
				struct pgw_buf r;

				buf_init(&r);
				for (size_t k = 0; k < pf.references.n && k < 6; k++)
					buf_printf(&r, "%s%s", k ? ", " : "", pf.references.items[k]);
				if (pf.references.n > 6)
					buf_printf(&r, ", … %zu more", pf.references.n - 6);
				step_out(false, PGW_STYLE_OK, "pre-flight ok%s%s%s", r.len ? " (references " : "",
						 r.len ? r.data : "", r.len ? ")" : "");
				buf_release(&r);
				if (!out_is_json())
				{
					out_printf("\n");
					for (size_t k = 0; k < pf.warnings.n; k++)
						out_printf("    %swarning%s: %s\n", out_style(PGW_STYLE_WARN), out_style_end(),
								   pf.warnings.items[k]);
				}
			}
		}
		runner_plan_release(&up);

		/* 3. sandbox, with the rollback */
		if (!stopped)
		{
			struct pgw_migration *one[1] = {m};

			/* a trial that a signal cut short proves nothing: stop */
			if (safety_trial_run(&st, s->ctx, s->conn, &so, one, 1, &keep) != 0 ||
				interrupt_check() != 0)
			{
				rc = session_fail(s);
				safety_trial_release(&st);
				goto done;
			}
			js = json_object();
			safety_trial_json(&st, js);
			json_object_set_new(js, "ok", json_boolean(st.passed));
			json_object_set_new(steps, "sandbox", js);
			if (!out_is_json())
			{
				out_printf("  sandbox (%s%s%s%s): %s", st.kind == PGW_SANDBOX_LOCAL ? "local" : "tx",
						   st.pushed ? ", pushed from tx" : "",
						   st.reused ? ", kept from the last migration" :
						   st.kind == PGW_SANDBOX_LOCAL && st.cached ? ", cached" : "",
						   st.with_data ? ", with data" : "",
						   st.t.up_ok ? st.words.data : "the migration fails");
				if (st.passed)
					out_printf(", %srollback restores ok%s (%.1fs)\n", out_style(PGW_STYLE_OK),
							   out_style_end(), st.total_ms / 1000.0);
				else
				{
					out_printf("\n");
					for (size_t k = 0; k < st.findings.n; k++)
					{
						out_printf("    %serror%s: %s [%s]\n", out_style(PGW_STYLE_ERROR), out_style_end(),
								   st.findings.items[k].message, st.findings.items[k].rule);
						if (st.findings.items[k].hint)
							out_printf("      hint: %s\n", st.findings.items[k].hint);
					}
				}
			}
			if (!st.passed)
				stopped = "sandbox";
		}
		if (stopped)
		{
			json_object_set_new(jm, "status", json_string("stopped"));
			json_object_set_new(jm, "stopped_at", json_string(stopped));
			safety_trial_release(&st);
			rc = PGW_EXIT_CHECK;
			break;
		}

		/* 4. a backup, when the migration deletes data */
		if (safe_backup(s, m, steps, &backup_path) != 0)
		{
			safety_trial_release(&st);
			json_object_set_new(jm, "status", json_string("not applied"));
			pgw_error_prefix("cannot back up before '%s', so it was not applied", m->file);
			pgw_error_hint("'--no-backup' applies it without one");
			rc = session_fail(s);
			goto done;
		}

		/* test hook: the target changes between the checks and the apply */
		if (fault_active("safe:diverge"))
			PQclear(PQexec(s->conn, "CREATE TABLE public.pgwarden_fault_diverge (id integer)"));

		/* 5. apply — a transactional migration verified before its COMMIT */
		if (session_ensure(s) != 0 ||
			runner_plan_migration(&up, m, false) != 0)
		{
			safety_trial_release(&st);
			rc = session_fail(s);
			goto done;
		}
		js = json_object();
		hook.s = s;
		hook.st = &st;
		hook.errors_before = &errors_before;
		hook.file = m->up.name;
		hook.jv = js;
		hook.why = NULL;
		hook.result = -2;
		hook.ms = 0;
		in_tx = up.mode == PGW_TXMODE_TRANSACTION;
		json_object_set_new(js, "before_commit", json_boolean(in_tx));
		if (in_tx)
		{
			s->r.before_commit = verify_before_commit;
			s->r.before_commit_arg = &hook;
		}
		arc = runner_apply(&s->r, &up, todo[i]->state == ST_FAILED ? todo[i]->row : NULL, &step);
		s->r.before_commit = NULL;
		s->r.before_commit_arg = NULL;
		runner_plan_release(&up);
		if (arc != 0 && step.vetoed)
		{
			/* ran, then refused by the verification: rolled back, not recorded */
			/* the time includes the check: the locks were held through it */
			json_object_set_new(steps, "apply", step_json(NULL, m->file, &step, "not committed"));
			json_object_set_new(steps, "verify", js);
			json_object_set_new(js, "ok", json_false());
			json_object_set_new(js, "committed", json_false());
			/* the transaction was rolled back whether it failed or could not be checked */
			json_object_set_new(js, "rolled_back", json_true());
			json_object_set_new(jm, "status", json_string(hook.result == 0 ? "rolled back" : "not applied"));
			safety_trial_release(&st);
			step_out(true, PGW_STYLE_WARN, "ran (%lld ms)", step.duration_ms);
			if (hook.result == 0)
			{
				step_out(false, PGW_STYLE_ERROR, "verification failed");
				if (!out_is_json())
					out_printf("\n    %s\n  %snot committed%s: rolled back, nothing of it was applied or recorded\n",
							   hook.why, out_style(PGW_STYLE_WARN), out_style_end());
			}
			else if (!out_is_json())
				out_printf(" · cannot verify: not committed, rolled back\n");
			free(hook.why);
			rc = session_fail(s);
			goto done;
		}
		if (arc != 0)
		{
			json_object_set_new(steps, "apply", step_json(NULL, m->file, &step, "failed"));
			json_object_set_new(jm, "status", json_string("failed"));
			json_decref(js);
			safety_trial_release(&st);
			if (!out_is_json())
				out_printf("  %sapply failed%s\n", out_style(PGW_STYLE_ERROR), out_style_end());
			rc = session_fail(s);
			goto done;
		}
		json_object_set_new(steps, "apply", step_json(NULL, m->file, &step, "applied"));
		if (in_tx)
		{
			/* the schema was verified before the COMMIT, the locks held
			 * meanwhile: the time says so */
			json_object_set_new(js, "schema_verified_before_commit", json_true());
			json_object_set_new(js, "schema_check_ms", json_integer(hook.ms));
			step_out(true, PGW_STYLE_OK, "applied (%lld ms, %lld of them checking the schema before the COMMIT)",
					 step.duration_ms, hook.ms);
		}
		else
			step_out(true, PGW_STYLE_OK, "applied (%lld ms)", step.duration_ms);

		/*
		 * 6. post-verification after the COMMIT: validate's data checks (and
		 * the schema, for a migration that is not one transaction — its
		 * statements committed one by one); when it fails, the rollback
		 * file undoes the migration.
		 */
		json_object_set_new(steps, "verify", js);
		v = verify_applied(s, &st, &errors_before, js, &why, in_tx ? VERIFY_DATA : VERIFY_SCHEMA | VERIFY_DATA);
		safety_trial_release(&st);
		if (v < 0)
		{
			/* cannot verify: say so, keep what was applied (it is recorded) */
			if (!out_is_json())
				out_printf("\n");
			rc = session_fail(s);
			goto done;
		}
		json_object_set_new(js, "ok", json_boolean(v == 1));
		json_object_set_new(js, "committed", json_true());
		if (v == 1)
		{
			safe_verified(jm, &keep, m, i + 1 < n);
			applied++;
			continue;
		}
		step_out(false, PGW_STYLE_ERROR, "verification failed");
		if (!out_is_json())
			out_printf("\n    %s\n", why);
		/* roll the migration back (it has a rollback: the sandbox proved it) */
		have_down = runner_plan_migration(&down, m, true) == 0;
		if (have_down && runner_revert(&s->r, &down, &step) == 0)
		{
			json_object_set_new(js, "rolled_back", json_true());
			json_object_set_new(jm, "status", json_string("rolled back"));
			if (!out_is_json())
				out_printf("  %srolled back%s by its rollback file (%lld ms)\n", out_style(PGW_STYLE_WARN),
						   out_style_end(), step.duration_ms);
			pgw_error(PGW_ERR_APPLY, "'%s' failed post-verification and was rolled back", m->up.name);
			pgw_error_detail("%s", why);
			if (strncmp(why, "validate", 8) == 0)
				pgw_error_hint("'pgwarden validate' shows the errors; fix the migration and run again");
			else
				pgw_error_hint("the target changed between the checks and the apply, or the sandbox "
							   "differs from it; 'pgwarden diff' shows the schema, run again when it is settled");
		}
		else
		{
			struct pgw_err saved;

			pgw_error_save(&saved);
			json_object_set_new(js, "rolled_back", json_false());
			json_object_set_new(jm, "status", json_string("applied, unverified"));
			pgw_error_restore(&saved);
			pgw_error_prefix("'%s' failed post-verification (%s) and its rollback failed", m->up.name, why);
			pgw_error_set_kind(PGW_ERR_APPLY);
		}
		runner_plan_release(&down);
		free(why);
		rc = session_fail(s);
		goto done;
	}
	json_object_set_new(summary, "applied", json_integer((json_int_t) applied));
	if (rc == PGW_EXIT_CHECK)
	{
		json_object_set_new(s->doc, "ok", json_false());
		if (!out_is_json())
			out_printf("stopped at %s: %zu of %zu applied, nothing of it reached the database\n",
					   todo[i]->m->file, applied, n);
	}
	else if (!out_is_json())
		out_printf("applied %zu migration%s safely\n", applied, applied == 1 ? "" : "s");
	emit_doc(s);
done:
	/* a failure after a backup: say where the data is */
	if (backup_path && rc != PGW_EXIT_OK && rc != PGW_EXIT_CHECK && !out_is_json())
		out_note("the backup taken before '%s' holds the data as it was: pgwarden restore %s",
				 todo[i < n ? i : n - 1]->m->file, backup_path);
	free(backup_path);
	safety_keep_close(&keep);
	preflight_release(&pf);
	strlist_release(&errors_before);
	return rc;
}

static int
do_up(struct session *s)
{
	struct entry **todo = pgw_calloc(s->ne + 1, sizeof(*todo));
	size_t		n,
				i;
	int			rc = PGW_EXIT_OK;
	json_t	   *list = json_array();
	json_t	   *summary = json_object();

	json_object_set_new(s->doc, "migrations", list);
	json_object_set_new(s->doc, "summary", summary);
	if (check_changed(s) != 0)
	{
		rc = session_fail(s);
		goto done;
	}
	warn_missing(s);
	if (s->a->to && !migrations_find(&s->set, s->a->to) && !history_find(&s->h, s->a->to))
	{
		pgw_error(PGW_ERR_INPUT, "there is no migration %s in %s", s->a->to, s->dir_display);
		pgw_error_hint("'pgwarden migrate status' lists the versions");
		rc = session_fail(s);
		goto done;
	}
	n = select_pending(s, todo);
	json_object_set_new(summary, "pending", json_integer((json_int_t) n));
	json_object_set_new(summary, "dry_run", json_boolean(s->a->dry_run));
	if (n == 0)
	{
		if (!out_is_json())
			out_printf("nothing to apply: %zu migration%s, all applied\n", s->set.n, s->set.n == 1 ? "" : "s");
		json_object_set_new(summary, "applied", json_integer(0));
		emit_doc(s);
		goto done;
	}
	if (!out_is_json())
		out_printf("pending: %zu (%s)%s\n", n, s->dir_display, s->a->dry_run ? " — dry run, nothing is applied" : "");
	if (s->a->dry_run)
	{
		size_t		errors = 0;

		for (i = 0; i < n; i++)
		{
			struct pgw_plan p;
			json_t	   *o = json_object();

			json_object_set_new(o, "version", json_string(todo[i]->m->version));
			json_object_set_new(o, "file", json_string(todo[i]->m->file));
			json_array_append_new(list, o);
			if (runner_plan_migration(&p, todo[i]->m, false) != 0)
			{
				runner_plan_release(&p);
				rc = session_fail(s);
				goto done;
			}
			json_object_set_new(o, "statements", json_integer((json_int_t) p.n));
			json_object_set_new(o, "transaction_mode", json_string(runner_txmode_name(s->a->one_tx ? PGW_TXMODE_BATCH : p.mode)));
			json_object_set_new(o, "state", json_string(state_name(todo[i]->state)));
			if (!out_is_json())
			{
				out_printf("[%zu/%zu] %s  %zu statement%s, %s", i + 1, n, todo[i]->m->file, p.n,
						   p.n == 1 ? "" : "s",
						   p.mode == PGW_TXMODE_TRANSACTION ? "one transaction" :
						   p.mode == PGW_TXMODE_STATEMENTS ? "statement by statement" : "its own transactions");
				if (p.mode == PGW_TXMODE_STATEMENTS && p.why->info.no_transaction_why)
					out_printf(" (%s at line %d)", p.why->info.no_transaction_why, p.why->line);
				if (todo[i]->state == ST_FAILED)
					out_printf(", re-run of a failed migration");
				out_printf("\n");
			}
			errors += dry_run_lint(s, &p, o);
			runner_plan_release(&p);
		}
		json_object_set_new(summary, "lint_errors", json_integer((json_int_t) errors));
		if (errors)
			json_object_set_new(s->doc, "ok", json_false());
		if (!out_is_json())
			out_printf("dry run: %zu migration%s would be applied%s\n", n, n == 1 ? "" : "s",
					   errors ? "; lint found errors (pgwarden lint --pending for details)" : "");
		emit_doc(s);
		rc = errors ? PGW_EXIT_CHECK : PGW_EXIT_OK;
		goto done;
	}
	if (s->a->safe)
	{
		rc = safe_up(s, todo, n, list);
		goto done;
	}
	rc = apply_entries(s, todo, n, list);
	if (rc == PGW_EXIT_OK)
	{
		json_object_set_new(summary, "applied", json_integer((json_int_t) n));
		emit_doc(s);
	}
done:
	free(todo);
	return rc;
}

/* --- down / redo ------------------------------------------------------------ */

/* The applied migrations to roll back, newest first: count of them, or
 * everything after --to. */
static size_t
select_revert(struct session *s, long count, const char *to, struct entry **out)
{
	size_t		n = 0;
	size_t		i;

	for (i = s->ne; i-- > 0;)
	{
		struct entry *e = &s->e[i];

		if (!e->row)
			continue;
		if (to)
		{
			if (migration_version_cmp(e->version, to) <= 0)
				break;
		}
		else if ((long) n >= count)
			break;
		out[n++] = e;
	}
	return n;
}

static int
revert_entries(struct session *s, struct entry **todo, size_t n, json_t *list)
{
	struct pgw_plan *plans = pgw_calloc(n ? n : 1, sizeof(*plans));
	size_t		i;
	int			rc = PGW_EXIT_OK;

	/* everything checked before the first rollback runs */
	for (i = 0; i < n; i++)
	{
		struct entry *e = todo[i];

		if (!e->m)
		{
			pgw_error(PGW_ERR_INPUT, "cannot roll back %s (%s): its file is not in %s", e->version,
					  e->row->name, s->dir_display);
			pgw_error_hint("restore the file, or drop it from the history with "
						   "'pgwarden migrate repair %s --reverted'; nothing was rolled back", e->version);
			break;
		}
		if (e->state == ST_CHANGED)
		{
			pgw_error(PGW_ERR_INPUT, "cannot roll back '%s': the file changed after it was applied",
					  e->m->up.name);
			pgw_error_hint("restore the file as applied, or accept it with "
						   "'pgwarden migrate repair %s --checksum'; nothing was rolled back", e->version);
			break;
		}
		if (!migration_has_rollback(e->m))
		{
			pgw_error(PGW_ERR_INPUT, "cannot roll back '%s': it has no rollback", e->m->up.name);
			pgw_error_hint("write %.*s_rollback.sql (or a '%s' section); nothing was rolled back",
						   (int) (strlen(e->m->up.name) - 4), e->m->up.name, PGW_DOWN_MARKER);
			break;
		}
		if (runner_plan_migration(&plans[i], e->m, true) != 0)
			break;
		if (plans[i].n == 0)
		{
			pgw_error(PGW_ERR_INPUT, "cannot roll back '%s': its rollback has no statements", e->m->up.name);
			pgw_error_hint("write the statements that undo it in %s; nothing was rolled back",
						   e->m->inline_down ? e->m->up.name : e->m->down.name);
			break;
		}
	}
	if (i < n)
	{
		rc = session_fail(s);
		goto done;
	}
	for (i = 0; i < n; i++)
	{
		struct pgw_step st;

		progress_start(&s->progress, plans[i].name, 0);
		if (runner_revert(&s->r, &plans[i], &st) != 0)
		{
			progress_finish(&s->progress);
			json_array_append_new(list, step_json(todo[i]->m, plans[i].name, &st, "failed"));
			rc = session_fail(s);
			goto done;
		}
		progress_finish(&s->progress);
		json_array_append_new(list, step_json(todo[i]->m, plans[i].name, &st, "reverted"));
		if (!out_is_json())
			out_printf("[%zu/%zu] rolled back %s  %sok%s %lld ms\n", i + 1, n, todo[i]->m->file,
					   out_style(PGW_STYLE_OK), out_style_end(), st.duration_ms);
	}
done:
	for (i = 0; i < n; i++)
		runner_plan_release(&plans[i]);
	free(plans);
	return rc;
}

static int
do_down(struct session *s)
{
	struct entry **todo = pgw_calloc(s->ne + 1, sizeof(*todo));
	long		count = 1;
	size_t		n;
	int			rc;
	json_t	   *list = json_array();

	json_object_set_new(s->doc, "migrations", list);
	if (s->a->arg)
		text_parse_int(s->a->arg, 1, 1000000, &count);
	if (s->a->to && !migrations_find(&s->set, s->a->to) && !history_find(&s->h, s->a->to))
	{
		free(todo);
		pgw_error(PGW_ERR_INPUT, "there is no migration %s", s->a->to);
		pgw_error_hint("'pgwarden migrate status' lists the versions");
		rc = session_fail(s);
		return rc;
	}
	n = select_revert(s, count, s->a->to, todo);
	if (n == 0)
	{
		if (!out_is_json())
			out_printf("nothing to roll back\n");
	}
	else
	{
		rc = revert_entries(s, todo, n, list);
		if (rc != PGW_EXIT_OK)
		{
			free(todo);
			return rc;
		}
		if (!out_is_json())
			out_printf("rolled back %zu migration%s\n", n, n == 1 ? "" : "s");
	}
	json_object_set_new(s->doc, "summary", json_pack("{s:i}", "reverted", (int) n));
	emit_doc(s);
	free(todo);
	return PGW_EXIT_OK;
}

static int
do_redo(struct session *s)
{
	struct entry *todo[1];
	json_t	   *list = json_array();
	char	   *version;
	struct entry *again;
	int			rc;

	json_object_set_new(s->doc, "migrations", list);
	if (select_revert(s, 1, NULL, todo) == 0)
	{
		pgw_error(PGW_ERR_INPUT, "nothing to redo: no migration is applied");
		return session_fail(s);
	}
	if (!todo[0]->m)
	{
		pgw_error(PGW_ERR_INPUT, "cannot redo %s: its file is not in %s", todo[0]->version, s->dir_display);
		return session_fail(s);
	}
	version = pgw_strdup(todo[0]->version);
	rc = revert_entries(s, todo, 1, list);
	if (rc == PGW_EXIT_OK && session_reload(s) != 0)
		rc = session_fail(s);
	if (rc != PGW_EXIT_OK)
	{
		s->doc = NULL;
		free(version);
		return rc;
	}
	again = NULL;
	for (size_t i = 0; i < s->ne; i++)
		if (migration_version_cmp(s->e[i].version, version) == 0)
			again = &s->e[i];
	free(version);
	if (!again)
	{
		pgw_error(PGW_ERR_INTERNAL, "the rolled-back migration is gone from the folder");
		return session_fail(s);
	}
	rc = apply_entries(s, &again, 1, list);
	if (rc == PGW_EXIT_OK)
	{
		emit_doc(s);
	}
	return rc;
}

/* --- seed, reset ------------------------------------------------------------ */

static int
run_seeds(struct session *s, json_t *list)
{
	struct pgw_strlist files = {NULL, 0};
	size_t		i;
	int			rc = PGW_EXIT_OK;

	if (migrations_seed_files(&s->ctx->cfg.seeds, s->ctx->cfg.seeds_set, &files) != 0)
		return session_fail(s);
	if (files.n == 0 && !out_is_json())
		out_printf("no seed files (seed.sql or seeds/ beside the migrations folder, or 'seeds' in pgwarden.conf)\n");
	for (i = 0; i < files.n && rc == PGW_EXIT_OK; i++)
	{
		struct pgw_sql_file f;
		struct pgw_plan p;
		struct pgw_step st;

		memset(&p, 0, sizeof(p));
		const char *shown = files.items[i];
		size_t		rl = strlen(s->ctx->cfg.root);

		if (strncmp(shown, s->ctx->cfg.root, rl) == 0 && shown[rl] == '/')
			shown += rl + 1;
		if (sqlfile_read(files.items[i], &f) != 0)
		{
			rc = session_fail(s);
			break;
		}
		free(f.name);
		f.name = pgw_strdup(shown);
		if (f.bad)
		{
			pgw_error(PGW_ERR_INPUT, "%s:%d:%d: %s", shown, f.diag.line, f.diag.column, f.diag.message);
			rc = session_fail(s);
		}
		else if (runner_plan_file(&p, &f) != 0)
			rc = session_fail(s);
		else
		{
			progress_start(&s->progress, shown, 0);
			if (runner_run(&s->r, &p, &st) != 0)
			{
				progress_finish(&s->progress);
				json_array_append_new(list, step_json(NULL, shown, &st, "failed"));
				rc = session_fail(s);
			}
			else
			{
				progress_finish(&s->progress);
				json_array_append_new(list, step_json(NULL, shown, &st, "seeded"));
				if (!out_is_json())
					out_printf("seeded %s  %sok%s %lld ms (%d statement%s)\n", shown,
							   out_style(PGW_STYLE_OK), out_style_end(), st.duration_ms,
							   st.statements, st.statements == 1 ? "" : "s");
			}
		}
		runner_plan_release(&p);
		sqlfile_release(&f);
	}
	strlist_release(&files);
	if (rc != PGW_EXIT_OK)
		s->doc = NULL;
	return rc;
}

static int
do_seed(struct session *s)
{
	json_t	   *list = json_array();
	int			rc;

	json_object_set_new(s->doc, "seeds", list);
	rc = run_seeds(s, list);
	if (rc == PGW_EXIT_OK)
	{
		emit_doc(s);
	}
	return rc;
}

/*
 * Drops every object in the managed schemas (not the schemas: their owner,
 * grants and default privileges stay, which Supabase relies on) and clears
 * the history, in one transaction.  The DROP statements are written by
 * the server (format %I), so every name is quoted by PostgreSQL itself.
 */
static int
reset_schemas(struct session *s, size_t *dropped)
{
	const struct pgw_strlist *schemas = &s->ctx->cfg.schemas;
	json_t	   *names = json_array();
	char	   *jnames;
	const char *p[1];
	PGresult   *res;
	int			i;

	for (i = 0; i < (int) schemas->n; i++)
		json_array_append_new(names, json_string(schemas->items[i]));
	jnames = json_dumps(names, JSON_COMPACT);
	json_decref(names);
	p[0] = jnames;
	res = PQexec(s->conn, "BEGIN");
	PQclear(res);
	/* the cascades are the point: no NOTICE per dropped dependant */
	res = PQexec(s->conn, "SET LOCAL client_min_messages = warning");
	PQclear(res);
	res = db_exec(s->conn, PGW_ERR_APPLY, "cannot list the objects to drop",
				  "WITH s AS (SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n"
				  "   WHERE n.nspname IN (SELECT pg_catalog.jsonb_array_elements_text($1::jsonb))),"
				  " ext AS (SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype = 'e')"
				  " SELECT 1 AS o, pg_catalog.format('DROP EXTENSION IF EXISTS %I CASCADE', e.extname)"
				  "   FROM pg_catalog.pg_extension e JOIN s ON s.oid = e.extnamespace"
				  " UNION ALL"
				  " SELECT 2, pg_catalog.format('DROP %s IF EXISTS %I.%I CASCADE',"
				  "   CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'"
				  "   WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,"
				  "   s.nspname, c.relname)"
				  "   FROM pg_catalog.pg_class c JOIN s ON s.oid = c.relnamespace"
				  "   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition"
				  "   AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_catalog.pg_depend d"
				  "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid"
				  "   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')))"
				  "   AND NOT EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
				  "   AND ext.objid = c.oid)"
				  " UNION ALL"
				  " SELECT 3, pg_catalog.format('DROP %s IF EXISTS %I.%I(%s) CASCADE',"
				  "   CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,"
				  "   s.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))"
				  "   FROM pg_catalog.pg_proc p JOIN s ON s.oid = p.pronamespace"
				  "   WHERE NOT EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
				  "   AND ext.objid = p.oid)"
				  " UNION ALL"
				  " SELECT 4, pg_catalog.format('DROP %s IF EXISTS %I.%I CASCADE',"
				  "   CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, s.nspname, t.typname)"
				  "   FROM pg_catalog.pg_type t JOIN s ON s.oid = t.typnamespace"
				  "   WHERE (t.typtype IN ('e', 'd', 'r')"
				  "   OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))"
				  "   AND NOT EXISTS (SELECT FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass"
				  "   AND ext.objid = t.oid)"
				  " ORDER BY 1, 2",
				  1, p, PGRES_TUPLES_OK);
	free(jnames);
	if (!res)
		goto fail;
	*dropped = 0;
	for (i = 0; i < PQntuples(res); i++)
	{
		PGresult   *d = PQexec(s->conn, PQgetvalue(res, i, 1));

		if (PQresultStatus(d) != PGRES_COMMAND_OK)
		{
			char	   *what = pgw_asprintf("cannot reset: %s failed", PQgetvalue(res, i, 1));

			db_error_from(s->conn, d, PGW_ERR_APPLY, what);
			free(what);
			PQclear(d);
			PQclear(res);
			goto fail;
		}
		PQclear(d);
		(*dropped)++;
	}
	PQclear(res);
	if (s->h.exists &&
		db_command(s->conn, PGW_ERR_APPLY, "cannot clear the migration history",
				   "DELETE FROM pgwarden.schema_migrations", 0, NULL) != 0)
		goto fail;
	if (s->supabase && s->h.exists &&
		db_command(s->conn, PGW_ERR_APPLY, "cannot clear Supabase's migration history",
				   "DELETE FROM supabase_migrations.schema_migrations", 0, NULL) != 0)
		goto fail;
	if (db_command(s->conn, PGW_ERR_APPLY, "cannot commit the reset", "COMMIT", 0, NULL) != 0)
		goto fail;
	return 0;
fail:
	res = PQexec(s->conn, "ROLLBACK");
	PQclear(res);
	pgw_error_hint("nothing was dropped (the reset runs in one transaction)");
	return -1;
}

static int
do_reset(struct session *s)
{
	struct entry **todo;
	size_t		n,
				dropped = 0;
	int			rc;
	json_t	   *list = json_array();
	json_t	   *seeds = json_array();

	json_object_set_new(s->doc, "migrations", list);
	json_object_set_new(s->doc, "seeds", seeds);
	/* the tables first (adopting Supabase's history), so both are cleared */
	if (session_ensure(s) != 0 || reset_schemas(s, &dropped) != 0 || session_reload(s) != 0)
	{
		rc = session_fail(s);
		return rc;
	}
	if (!out_is_json())
	{
		struct pgw_buf b;

		buf_init(&b);
		for (size_t i = 0; i < s->ctx->cfg.schemas.n; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", s->ctx->cfg.schemas.items[i]);
		out_printf("reset: dropped %zu object%s in %s and cleared the history\n", dropped,
				   dropped == 1 ? "" : "s", b.data);
		buf_release(&b);
	}
	todo = pgw_calloc(s->ne + 1, sizeof(*todo));
	n = select_pending(s, todo);
	rc = apply_entries(s, todo, n, list);
	free(todo);
	if (rc != PGW_EXIT_OK)
		return rc;
	rc = run_seeds(s, seeds);
	if (rc != PGW_EXIT_OK)
		return rc;
	json_object_set_new(s->doc, "summary", json_pack("{s:i,s:i}", "dropped", (int) dropped,
													 "applied", (int) n));
	emit_doc(s);
	return PGW_EXIT_OK;
}

/* --- repair, baseline, create --------------------------------------------- */

static int
do_repair(struct session *s)
{
	const char *v = s->a->arg;
	struct pgw_migration *m = migrations_find(&s->set, v);
	struct pgw_history_row *row = history_find(&s->h, v);
	const char *was = row ? (row->failed ? "failed" : "applied") : "not applied";
	const char *now = NULL;

	if (s->a->repair != OPT_REVERTED && !m)
	{
		pgw_error(PGW_ERR_INPUT, "there is no migration %s in %s", v, s->dir_display);
		pgw_error_hint("--applied and --checksum read the file; --reverted works without it");
		return session_fail(s);
	}
	if (s->a->repair == OPT_APPLIED && session_ensure(s) != 0)
		return session_fail(s);
	if (s->a->repair == OPT_APPLIED)
	{
		if (row && !row->failed && strcmp(row->checksum, m->checksum) == 0)
			now = NULL;
		else if (runner_record(&s->r, m) != 0)
			return session_fail(s);
		else
			now = "applied";
	}
	else if (s->a->repair == OPT_REVERTED)
	{
		bool		deleted = false;

		if (row && history_delete(s->conn, row->version, s->supabase, &deleted) != 0)
			return session_fail(s);
		now = deleted ? "not applied" : NULL;
	}
	else
	{
		if (!row)
		{
			pgw_error(PGW_ERR_INPUT, "migration %s is not applied: there is no checksum to repair", v);
			pgw_error_hint("'migrate repair %s --applied' records it as applied", v);
			return session_fail(s);
		}
		if (strcmp(row->checksum, m->checksum) == 0 &&
			strcmp(row->rollback_checksum ? row->rollback_checksum : "", m->rollback_checksum) == 0)
			now = NULL;
		else if (history_set_checksum(s->conn, row->version, m->checksum, m->rollback_checksum) != 0)
			return session_fail(s);
		else
			now = "checksum updated";
	}
	json_object_set_new(s->doc, "summary",
						json_pack("{s:s,s:s,s:s,s:b}", "version", v, "before", was,
								  "after", now ? now : was, "changed", now != NULL));
	if (!out_is_json())
	{
		if (now)
			out_printf("repaired %s: %s → %s%s%s\n", v, was, now,
					   s->a->repair == OPT_CHECKSUM ? " " : "",
					   s->a->repair == OPT_CHECKSUM ? m->checksum : "");
		else
			out_printf("nothing to repair: %s is already %s\n", v,
					   s->a->repair == OPT_CHECKSUM ? "recorded with this checksum" : was);
	}
	emit_doc(s);
	return PGW_EXIT_OK;
}

static int
do_baseline(struct session *s)
{
	const char *v = s->a->arg;
	size_t		i,
				n = 0;
	json_t	   *list = json_array();

	json_object_set_new(s->doc, "migrations", list);
	if (!migrations_find(&s->set, v))
	{
		pgw_error(PGW_ERR_INPUT, "there is no migration %s in %s", v, s->dir_display);
		pgw_error_hint("baseline marks the migrations up to an existing version as applied");
		return session_fail(s);
	}
	if (session_ensure(s) != 0)
		return session_fail(s);
	if (db_command(s->conn, PGW_ERR_APPLY, "cannot start a transaction", "BEGIN", 0, NULL) != 0)
		return session_fail(s);
	for (i = 0; i < s->ne; i++)
	{
		struct entry *e = &s->e[i];

		if (!e->m || e->row || migration_version_cmp(e->version, v) > 0)
			continue;
		if (runner_record(&s->r, e->m) != 0)
		{
			PQclear(PQexec(s->conn, "ROLLBACK"));
			return session_fail(s);
		}
		json_array_append_new(list, json_pack("{s:s,s:s}", "version", e->version, "file", e->m->file));
		if (!out_is_json())
			out_printf("  recorded %s as applied\n", e->m->file);
		n++;
	}
	if (db_command(s->conn, PGW_ERR_APPLY, "cannot commit the baseline", "COMMIT", 0, NULL) != 0)
		return session_fail(s);
	if (!out_is_json())
		out_printf("baseline %s: %zu migration%s recorded as applied (not run)\n", v, n, n == 1 ? "" : "s");
	json_object_set_new(s->doc, "summary", json_pack("{s:s,s:i}", "baseline", v, "recorded", (int) n));
	emit_doc(s);
	return PGW_EXIT_OK;
}

static int
do_create(struct pgw_ctx *ctx, const char *name, bool derive)
{
	char	   *up = NULL,
			   *down = NULL;
	json_t	   *doc;

	if ((derive ? migrations_create_derived(ctx->cfg.migrations_dir, name, &up) :
		 migrations_create(ctx->cfg.migrations_dir, name, &up, &down)) != 0)
		return out_fail();
	doc = out_json_envelope(true);
	if (derive)
		json_object_set_new(doc, "files", json_pack("{s:s,s:n,s:s}", "up", up, "rollback",
													"derive", "test-migration --write-rollback"));
	else
		json_object_set_new(doc, "files", json_pack("{s:s,s:s}", "up", up, "rollback", down));
	if (!out_is_json())
	{
		if (derive)
			out_printf("created %s\n  its rollback: write the migration, then 'pgwarden test-migration %s "
					   "--write-rollback' derives it, checks it in a sandbox and writes it into the file's "
					   "'%s' section\n", up, up, PGW_DOWN_MARKER);
		else
			out_printf("created %s\ncreated %s\n", up, down);
		json_decref(doc);
	}
	else
		out_json_emit(doc);
	free(up);
	free(down);
	return PGW_EXIT_OK;
}

int
cmd_migrate(struct pgw_ctx *ctx, int argc, char **argv)
{
	struct margs a;
	struct session s;
	int			rc;
	bool		writes;

	rc = parse_args(argc, argv, &a);
	if (rc != PGW_EXIT_OK)
	{
		strlist_release(&a.allow);
		return rc;
	}
	{
		char	   *name = pgw_asprintf("migrate %s", a.sub);

		out_set_command(name);
		free(name);
	}
	if (!strcmp(a.sub, "create"))
	{
		rc = do_create(ctx, a.arg, a.with_rollback);
		strlist_release(&a.allow);
		return rc;
	}
	if (!strcmp(a.sub, "reset") && !a.yes)
	{
		pgw_error(PGW_ERR_USAGE, "'migrate reset' drops every object in the managed schemas (%s)",
				  ctx->cfg.schemas.n ? ctx->cfg.schemas.items[0] : "public");
		pgw_error_hint("run 'pgwarden migrate reset --yes' to go ahead");
		strlist_release(&a.allow);
		return out_fail();
	}
	writes = strcmp(a.sub, "status") != 0 && !(strcmp(a.sub, "up") == 0 && a.dry_run);
	rc = session_open(&s, ctx, &a, true, writes);
	if (rc == PGW_EXIT_OK)
	{
		if (!strcmp(a.sub, "status"))
			rc = do_status(&s);
		else if (!strcmp(a.sub, "up"))
			rc = do_up(&s);
		else if (!strcmp(a.sub, "down"))
			rc = do_down(&s);
		else if (!strcmp(a.sub, "redo"))
			rc = do_redo(&s);
		else if (!strcmp(a.sub, "seed"))
			rc = do_seed(&s);
		else if (!strcmp(a.sub, "reset"))
			rc = do_reset(&s);
		else if (!strcmp(a.sub, "repair"))
			rc = do_repair(&s);
		else if (!strcmp(a.sub, "baseline"))
			rc = do_baseline(&s);
	}
	session_release(&s);
	strlist_release(&a.allow);
	return rc;
}

/* `pgwarden smart-migrate [options]` is `pgwarden migrate up --safe [options]`. */
int
cmd_smart_migrate(struct pgw_ctx *ctx, int argc, char **argv)
{
	char	  **av = pgw_calloc((size_t) argc + 3, sizeof(*av));
	int			rc;

	av[0] = (char *) "migrate";
	av[1] = (char *) "up";
	av[2] = (char *) "--safe";
	for (int i = 1; i < argc; i++)
		av[i + 2] = argv[i];
	rc = cmd_migrate(ctx, argc + 2, av);
	free(av);
	return rc;
}
