/*
 * lint.c — `pgwarden lint`: offline checks of SQL files with PostgreSQL's
 * own parser (libpg_query) — syntax, lock-heavy or destructive operations,
 * RLS and security mistakes — reported like a compiler, as JSON, or as
 * SARIF for code scanning.
 *
 * Files are linted on --jobs threads (default: the machine's cores), each
 * file read, split, parsed, classified and linted by one thread, then
 * printed and merged by the main thread in file order — so the output does
 * not depend on the number of threads, and memory stays at a few files'
 * worth whatever the folder holds.
 * Exit codes: 4 when any file cannot be read or holds SQL errors (syntax,
 * unterminated quotes, psql meta-commands, bytes that are not UTF-8), else
 * 1 when an unsuppressed finding reaches --fail-on, else 0.
 *
 * --pending needs the migration history (pgwarden.schema_migrations,
 * written by `pgwarden migrate`): the versions recorded there are skipped.
 * A database without the table has applied nothing, so every migration is
 * pending.  This is the only path where lint connects to a database.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/opt.h"
#include "commands.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "out/out.h"
#include "out/sarif.h"
#include "sql/lint.h"
#include "sql/script.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

#define LINT_USAGE "pgwarden lint [FILE|DIR|-]... [--format text|json|sarif] [--fail-on LEVEL] [--pending] [--statements] [-j N]"

enum
{
	OPT_FORMAT = 1,
	OPT_FAIL_ON,
	OPT_PENDING,
	OPT_PG_VERSION,
	OPT_TRANSACTION,
	OPT_RULES,
	OPT_STATEMENTS,
	OPT_JOBS,
	OPT_ENABLE
};

enum lint_format
{
	FMT_TEXT,
	FMT_JSON,
	FMT_SARIF
};

struct lint_run
{
	enum lint_format format;
	struct pgw_lint_options opts;
	struct pgw_findings findings;	/* all files (JSON/SARIF) */
	struct pgw_findings errors;		/* SQL errors as findings (rule sql.syntax_error) */
	size_t		nfiles;
	size_t		nstmts;
	size_t		bytes;
	bool		statements;		/* --statements: what each statement does */
	json_t	   *jstatements;
};

/*
 * One file's results, made by a worker thread and printed and merged into
 * the run in file order by the main thread: the output is the same
 * whatever the number of threads.
 */
struct lint_file
{
	const char *path;
	struct pgw_findings findings;
	struct pgw_findings errors;
	json_t	   *jstatements;	/* --statements with JSON */
	struct pgw_buf text;		/* what text mode prints for it */
	bool		read;			/* the file could be read */
	size_t		nstmts;
	size_t		bytes;
	bool		done;
};

/* Versions applied on the target (pgwarden.schema_migrations, status
 * applied; none when the table does not exist). */
static int
applied_versions(struct pgw_ctx *ctx, struct pgw_strlist *applied, int *rc)
{
	PGconn	   *conn;

	if (target_resolve(&ctx->cfg, ctx->db, ctx->env, &ctx->target) != 0)
	{
		*rc = out_fail();
		return -1;
	}
	ctx->has_target = true;
	{
		json_t	   *t = target_to_json(&ctx->target);

		out_set_target(t);
		json_decref(t);
	}
	conn = ctx_connect(ctx, rc);
	if (!conn)
		return -1;
	if (history_applied_versions(conn, migrations_supabase_layout(ctx->cfg.migrations_dir), applied) != 0)
	{
		pgw_error_prefix("%s", ctx->target.display);
		PQfinish(conn);
		*rc = out_fail();
		return -1;
	}
	PQfinish(conn);
	return 0;
}

/* Prints "  12 | text" and a caret under column col (characters). */
static void
print_excerpt(struct pgw_buf *out, const struct pgw_sql_file *f, const struct pgw_sql_diag *d)
{
	size_t		ls = sqlfile_line_start(f, d->offset);
	size_t		le = sqlfile_line_end(f, d->offset);
	struct pgw_buf b;
	size_t		i;
	int			col = 1;
	char		gutter[16];

	if (f->bad || le == ls || le - ls > 400)
		return;					/* binary, empty or very long lines */
	snprintf(gutter, sizeof(gutter), "%5d", d->line);
	buf_init(&b);
	buf_printf(&b, "%s | ", gutter);
	buf_append_len(&b, f->text + ls, le - ls);
	buf_append(&b, "\n      | ");
	for (i = ls; i < le && col < d->column; i++)
	{
		if (((unsigned char) f->text[i] & 0xC0) == 0x80)
			continue;
		buf_append_char(&b, f->text[i] == '\t' ? '\t' : ' ');
		col++;
	}
	buf_printf(&b, "%s^%s\n", out_style(PGW_STYLE_ERROR), out_style_end());
	buf_append(out, b.data);
	buf_release(&b);
}

static enum pgw_style
sev_style(enum pgw_severity s)
{
	return s == PGW_SEV_ERROR ? PGW_STYLE_ERROR : s == PGW_SEV_WARNING ? PGW_STYLE_WARN : PGW_STYLE_INFO;
}

static void
record_error(struct lint_file *lf, const char *file, int line, int column,
			 const char *message, const char *hint)
{
	struct pgw_finding *f = findings_add(&lf->errors, "sql.syntax_error", PGW_SEV_ERROR,
										 "syntax", message);

	finding_set_object(&lf->errors, f, "file", NULL, file, NULL);
	if (hint)
		finding_set_hint(&lf->errors, f, hint);
	if (line > 0)
		finding_set_location(&lf->errors, f, file, line, column);
}

static const char *
tx_name(enum pgw_txcontrol tx)
{
	switch (tx)
	{
		case PGW_TX_BEGIN:
			return "begin";
		case PGW_TX_COMMIT:
			return "commit";
		case PGW_TX_ROLLBACK:
			return "rollback";
		case PGW_TX_SAVEPOINT:
			return "savepoint";
		case PGW_TX_PREPARED:
			return "prepared";
		case PGW_TX_NONE:
			break;
	}
	return NULL;
}

/* --statements: one line (or JSON object) per statement saying what it
 * does — the classification the migration runner works from. */
static void
describe_statements(const struct lint_run *run, struct lint_file *lf, const struct pgw_sql_script *s)
{
	const struct pgw_sql_file *f = s->file;
	size_t		i,
				k;

	for (i = 0; i < s->nstmts; i++)
	{
		const struct pgw_sql_stmt *st = &s->stmts[i];
		const struct pgw_sql_info *in = &st->info;

		if (run->format == FMT_JSON)
		{
			json_t	   *j = json_object();
			json_t	   *objs = json_array();

			json_object_set_new(j, "file", json_string(f->name));
			json_object_set_new(j, "line", json_integer(st->line));
			json_object_set_new(j, "column", json_integer(st->column));
			json_object_set_new(j, "tag", json_string(in->tag));
			json_object_set_new(j, "in_transaction", json_boolean(!in->no_transaction));
			if (in->no_transaction)
				json_object_set_new(j, "not_in_transaction_because", json_string(in->no_transaction_why));
			if (tx_name(in->tx))
				json_object_set_new(j, "transaction_control", json_string(tx_name(in->tx)));
			json_object_set_new(j, "lock", json_string(sql_lockmode_name(in->lock)));
			json_object_set_new(j, "rewrites", json_boolean(in->rewrites));
			json_object_set_new(j, "scans", json_boolean(in->scans));
			for (k = 0; k < in->nobjects; k++)
			{
				const struct pgw_sql_object *o = &in->objects[k];

				json_array_append_new(objs, json_pack("{s:s,s:s,s:o,s:s,s:s}",
													  "action", sql_objaction_name(o->action),
													  "kind", o->kind,
													  "schema", o->schema ? json_string(o->schema) : json_null(),
													  "name", o->name,
													  "lock", sql_lockmode_name(o->lock)));
			}
			json_object_set_new(j, "objects", objs);
			if (st->copy_stdin)
				json_object_set_new(j, "copy_data_bytes", json_integer((json_int_t) st->copy_len));
			json_array_append_new(lf->jstatements, j);
			continue;
		}
		{
			struct pgw_buf b;

			buf_init(&b);
			buf_printf(&b, "%s:%d:%d: %s", f->name, st->line, st->column, in->tag);
			if (in->no_transaction)
				buf_printf(&b, " · not in a transaction (%s)", in->no_transaction_why);
			if (tx_name(in->tx))
				buf_printf(&b, " · transaction control");
			if (in->rewrites)
				buf_append(&b, " · may rewrite");
			if (in->scans)
				buf_append(&b, " · scans");
			for (k = 0; k < in->nobjects; k++)
			{
				const struct pgw_sql_object *o = &in->objects[k];

				buf_printf(&b, "%s %s %s %s%s%s", k == 0 ? " ·" : ",", sql_objaction_name(o->action),
						   o->kind, o->schema ? o->schema : "", o->schema ? "." : "", o->name);
				if (o->lock != PGW_LOCK_NONE)
					buf_printf(&b, " (%s)", sql_lockmode_name(o->lock));
			}
			if (st->copy_stdin)
				buf_printf(&b, " · %zu bytes of COPY data", st->copy_len);
			buf_printf(&lf->text, "%s\n", b.data);
			buf_release(&b);
		}
	}
}

/* A copy of f with the bytes outside [from, to) blanked (newlines kept, so
 * lines and columns stay those of f), named like f. */
static void
sqlfile_part(const struct pgw_sql_file *f, size_t from, size_t to, struct pgw_sql_file *part)
{
	char	   *t = pgw_malloc(f->len + 1);
	size_t		i;

	memcpy(t, f->text, f->len);
	for (i = 0; i < f->len; i++)
		if ((i < from || i >= to) && t[i] != '\n')
			t[i] = ' ';
	sqlfile_from_text(f->name, t, f->len, part);
	free(t);
}

/* Reports a script's SQL errors (as findings and, in text mode, to out). */
static void
lint_diags(struct lint_file *lf, const struct pgw_sql_file *f, const struct pgw_sql_script *s,
		   struct pgw_buf *out)
{
	size_t		i;

	for (i = 0; i < s->ndiags; i++)
	{
		const struct pgw_sql_diag *d = &s->diags[i];

		record_error(lf, f->name, d->line, d->column, d->message, d->hint);
		if (out)
		{
			buf_printf(out, "%s:%d:%d: %serror%s: %s\n", f->name, d->line, d->column,
					   out_style(PGW_STYLE_ERROR), out_style_end(), d->message);
			print_excerpt(out, f, d);
			if (d->hint)
				buf_printf(out, "hint: %s\n", d->hint);
		}
	}
}

/*
 * The forward migration of rollback file path (…_rollback.sql): the file
 * beside it without the suffix, loaded into fwd/sfwd.  false when there is
 * none or it cannot be read (then every drop counts as undoing it).
 */
static bool
load_forward(const char *path, struct pgw_sql_file *fwd, struct pgw_sql_script *sfwd)
{
	size_t		n = strlen(path) - strlen("_rollback.sql");
	char	   *fp = pgw_asprintf("%.*s.sql", (int) n, path);
	bool		ok = fs_exists(fp) && sqlfile_read(fp, fwd) == 0;

	free(fp);
	if (!ok)
	{
		pgw_error_clear();
		return false;
	}
	sql_script_load_flags(sfwd, fwd, PGW_SQL_DEFER_DATA);
	return true;
}

/* Lints one file; its findings go to run->findings.  A rollback — a
 * …_rollback.sql file, or the "-- pgwarden:down" section of a migration —
 * is linted as one (docs/lint.md): its drops of what the forward part
 * creates are its job. */
static void
lint_one(const struct lint_run *run, struct lint_file *lf)
{
	struct pgw_sql_file f;
	struct pgw_sql_script s;
	const char *path = lf->path;
	struct pgw_buf *out = run->format == FMT_TEXT ? &lf->text : NULL;
	struct pgw_lint_options opts = run->opts;
	struct pgw_sql_file fwd,
				down;
	struct pgw_sql_script sfwd,
				sdown;
	bool		has_fwd = false,
				has_down = false;
	size_t		up_end,
				down_start;
	size_t		i;

	if (sqlfile_read(path, &f) != 0)
	{
		const struct pgw_err *e = pgw_error_last();
		const char *why = e && e->message ? e->message : "cannot read the file";

		record_error(lf, strcmp(path, "-") == 0 ? "<stdin>" : path, 0, 0, why, NULL);
		if (out)
			buf_printf(out, "%s: %serror%s: %s\n", path, out_style(PGW_STYLE_ERROR), out_style_end(), why);
		pgw_error_clear();
		return;
	}
	lf->read = true;
	lf->bytes = f.len;
	if (!run->statements && strcmp(path, "-") != 0 && migration_is_rollback_file(path))
	{
		opts.rollback = true;
		has_fwd = load_forward(path, &fwd, &sfwd);
		opts.forward = has_fwd ? &sfwd : NULL;
	}
	else if (!run->statements && migration_find_down(&f, &up_end, &down_start))
	{
		/* two scripts, as migrate runs them: the forward part, then the
		 * rollback on its own */
		struct pgw_sql_file up;

		sqlfile_part(&f, 0, up_end, &up);
		sqlfile_part(&f, down_start, f.len, &down);
		sqlfile_release(&f);
		f = up;
		has_down = true;
	}
	/* --statements wants every tree; lint alone builds data trees on need */
	sql_script_load_flags(&s, &f, run->statements ? 0 : PGW_SQL_DEFER_DATA);
	lf->nstmts = s.nstmts;
	lint_diags(lf, &f, &s, out);
	if (run->statements)
	{
		describe_statements(run, lf, &s);
		sql_script_release(&s);
		sqlfile_release(&f);
		return;
	}
	lint_script(&s, &opts, &lf->findings);
	if (has_down)
	{
		struct pgw_lint_options dopts = run->opts;

		sql_script_load_flags(&sdown, &down, PGW_SQL_DEFER_DATA);
		lf->nstmts += sdown.nstmts;
		lint_diags(lf, &down, &sdown, out);
		dopts.rollback = true;
		dopts.forward = &s;
		lint_script(&sdown, &dopts, &lf->findings);
		sql_script_release(&sdown);
		sqlfile_release(&down);
	}
	if (has_fwd)
	{
		sql_script_release(&sfwd);
		sqlfile_release(&fwd);
	}
	if (lf->findings.n)
		findings_sort_by_location(&lf->findings);
	for (i = 0; out && i < lf->findings.n; i++)
	{
		const struct pgw_finding *fd = &lf->findings.items[i];

		if (fd->suppressed)
			continue;
		buf_printf(out, "%s:%d:%d: %s%s%s: %s [%s]\n", fd->file, fd->line, fd->column,
				   out_style(sev_style(fd->severity)), severity_name(fd->severity),
				   out_style_end(), fd->message, fd->rule);
		if (fd->detail)
			buf_printf(out, "detail: %s\n", fd->detail);
		if (fd->hint)
			buf_printf(out, "hint: %s\n", fd->hint);
	}
	sql_script_release(&s);
	sqlfile_release(&f);
}

static void
lint_file_init(struct lint_file *lf, const char *path)
{
	memset(lf, 0, sizeof(*lf));
	lf->path = path;
	findings_init(&lf->findings);
	findings_init(&lf->errors);
	lf->jstatements = json_array();
	buf_init(&lf->text);
}

/* Prints a file's results and adds them to the run, then frees them. */
static void
lint_file_merge(struct lint_run *run, struct lint_file *lf)
{
	if (lf->text.len)
		out_write(lf->text.data);
	for (size_t i = 0; i < lf->findings.n; i++)
		findings_copy(&run->findings, &lf->findings.items[i]);
	for (size_t i = 0; i < lf->errors.n; i++)
		findings_copy(&run->errors, &lf->errors.items[i]);
	json_array_extend(run->jstatements, lf->jstatements);
	if (lf->read)
		run->nfiles++;
	run->nstmts += lf->nstmts;
	run->bytes += lf->bytes;
	findings_release(&lf->findings);
	findings_release(&lf->errors);
	json_decref(lf->jstatements);
	buf_release(&lf->text);
}

/*
 * The files on `jobs` threads.  Workers take the next file, at most
 * LINT_AHEAD per thread ahead of the one the main thread prints next, so
 * memory stays at a few files' worth; the main thread prints and merges in
 * file order.  libpg_query keeps its memory per thread and frees a
 * thread's when the thread ends (a thread-specific destructor of its own).
 */
#define LINT_AHEAD 8

struct lint_pool
{
	const struct lint_run *run;
	struct lint_file *slots;
	size_t		n;
	size_t		window;
	size_t		next;			/* the next file a worker takes */
	size_t		merged;			/* files printed and merged */
	pthread_mutex_t mu;
	pthread_cond_t ready;		/* a file is done */
	pthread_cond_t room;		/* the main thread moved on */
};

static void *
lint_worker(void *arg)
{
	struct lint_pool *pool = arg;

	pthread_mutex_lock(&pool->mu);
	while (pool->next < pool->n)
	{
		size_t		i;

		if (pool->next >= pool->merged + pool->window)
		{
			pthread_cond_wait(&pool->room, &pool->mu);
			continue;
		}
		i = pool->next++;
		pthread_mutex_unlock(&pool->mu);
		lint_one(pool->run, &pool->slots[i]);
		pthread_mutex_lock(&pool->mu);
		pool->slots[i].done = true;
		pthread_cond_broadcast(&pool->ready);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

static void
lint_files(struct lint_run *run, const struct pgw_strlist *files, int jobs)
{
	struct lint_pool pool;
	pthread_t  *th;
	int			started = 0;

	memset(&pool, 0, sizeof(pool));
	pool.run = run;
	pool.n = files->n;
	pool.slots = pgw_calloc(files->n + 1, sizeof(*pool.slots));
	for (size_t i = 0; i < files->n; i++)
		lint_file_init(&pool.slots[i], files->items[i]);
	if ((size_t) jobs > files->n)
		jobs = (int) files->n;
	pool.window = (size_t) jobs * LINT_AHEAD;
	pthread_mutex_init(&pool.mu, NULL);
	pthread_cond_init(&pool.ready, NULL);
	pthread_cond_init(&pool.room, NULL);
	th = pgw_calloc((size_t) jobs + 1, sizeof(*th));
	for (int k = 0; jobs > 1 && k < jobs; k++)
		if (pthread_create(&th[k], NULL, lint_worker, &pool) == 0)
			started++;
	for (size_t i = 0; i < files->n; i++)
	{
		if (started == 0)
			lint_one(run, &pool.slots[i]);	/* one job, or no thread could start */
		else
		{
			pthread_mutex_lock(&pool.mu);
			while (!pool.slots[i].done)
				pthread_cond_wait(&pool.ready, &pool.mu);
			pthread_mutex_unlock(&pool.mu);
		}
		lint_file_merge(run, &pool.slots[i]);
		pthread_mutex_lock(&pool.mu);
		pool.merged = i + 1;
		pthread_cond_broadcast(&pool.room);
		pthread_mutex_unlock(&pool.mu);
	}
	for (int k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	pthread_cond_destroy(&pool.ready);
	pthread_cond_destroy(&pool.room);
	pthread_mutex_destroy(&pool.mu);
	free(th);
	free(pool.slots);
}

static int
list_rules(void)
{
	size_t		i;

	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);
		json_t	   *arr = json_array();

		for (i = 0; i < pgw_lint_nrules; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}",
												 "rule", pgw_lint_rules[i].id,
												 "severity", severity_name(pgw_lint_rules[i].severity),
												 "category", pgw_lint_rules[i].category,
												 "summary", pgw_lint_rules[i].summary,
												 "hint", pgw_lint_rules[i].hint));
		json_object_set_new(doc, "rules", arr);
		out_json_emit(doc);
		return PGW_EXIT_OK;
	}
	for (i = 0; i < pgw_lint_nrules; i++)
		out_printf("%-42s %-8s %s%s\n", pgw_lint_rules[i].id,
				   severity_name(pgw_lint_rules[i].severity), pgw_lint_rules[i].summary,
				   lint_rule_is_opt_in(pgw_lint_rules[i].id) ? " (off by default: --enable)" : "");
	return PGW_EXIT_OK;
}

static void
print_sarif(struct lint_run *run)
{
	struct pgw_sarif_rule *rules = pgw_calloc(pgw_lint_nrules + 1, sizeof(*rules));
	const struct pgw_findings *lists[2];
	json_t	   *doc;
	size_t		i;

	for (i = 0; i < pgw_lint_nrules; i++)
	{
		rules[i].id = pgw_lint_rules[i].id;
		rules[i].summary = pgw_lint_rules[i].summary;
		rules[i].hint = pgw_lint_rules[i].hint;
		rules[i].severity = pgw_lint_rules[i].severity;
		rules[i].category = pgw_lint_rules[i].category;
	}
	rules[i].id = "sql.syntax_error";
	rules[i].summary = "the file is not valid SQL for PostgreSQL 15";
	rules[i].hint = "fix the statement at the position shown";
	rules[i].severity = PGW_SEV_ERROR;
	rules[i].category = "syntax";
	lists[0] = &run->errors;
	lists[1] = &run->findings;
	doc = sarif_document(PGW_VERSION, NULL, rules, pgw_lint_nrules + 1, lists, 2);
	sarif_emit(doc);
	free(rules);
}

int
cmd_lint(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"enable", 0, true, OPT_ENABLE},
		{"fail-on", 0, true, OPT_FAIL_ON},
		{"format", 0, true, OPT_FORMAT},
		{"jobs", 'j', true, OPT_JOBS},
		{"pending", 0, false, OPT_PENDING},
		{"pg-version", 0, true, OPT_PG_VERSION},
		{"rules", 0, false, OPT_RULES},
		{"statements", 0, false, OPT_STATEMENTS},
		{"transaction", 0, true, OPT_TRANSACTION},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	struct lint_run run;
	struct pgw_strlist paths = {NULL, 0};
	struct pgw_strlist files = {NULL, 0};
	struct pgw_strlist applied = {NULL, 0};
	enum pgw_severity fail_on = PGW_SEV_ERROR;
	bool		pending = false;
	bool		stdin_used = false;
	size_t		i;
	int			r;
	int			rc = PGW_EXIT_OK;
	long		v;
	long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int			jobs = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int) ncpu;

	memset(&run, 0, sizeof(run));
	run.format = out_is_json() ? FMT_JSON : FMT_TEXT;
	run.opts.pg_version = ctx->cfg.lint_pg_version > 0 ? ctx->cfg.lint_pg_version : 15;
	run.opts.tx_mode = PGW_LINT_TX_AUTO;
	/* --enable adds to the config's list (released with the config) */
	for (i = 0; i < ctx->cfg.lint_enable.n; i++)
		if (!lint_rule_is_opt_in(ctx->cfg.lint_enable.items[i]))
		{
			pgw_error(PGW_ERR_INPUT, "'%s' in [lint] enable is not a rule that is off by default",
					  ctx->cfg.lint_enable.items[i]);
			pgw_error_hint("rules off by default: %s (docs/lint-rules.md)", lint_opt_in_list());
			return out_fail();
		}
	run.opts.enable = &ctx->cfg.lint_enable;
	run.opts.exposed_schemas = &ctx->cfg.exposed_schemas;
	run.opts.ignore = &ctx->cfg.ignore;

	opt_init(&p, argc, argv, opts, LINT_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				strlist_release(&paths);
				return PGW_EXIT_USAGE;
			case OPT_ENABLE:
				if (!lint_rule_is_opt_in(arg))
				{
					strlist_release(&paths);
					return opt_usage_error(&p, NULL, "'%s' is not a rule that is off by default "
										   "(those are: %s)", arg, lint_opt_in_list());
				}
				if (!strlist_contains(&ctx->cfg.lint_enable, arg))
					strlist_add(&ctx->cfg.lint_enable, arg);
				break;
			case OPT_FORMAT:
				if (strcmp(arg, "text") == 0)
					run.format = out_is_json() ? FMT_JSON : FMT_TEXT;
				else if (strcmp(arg, "json") == 0)
					run.format = FMT_JSON;
				else if (strcmp(arg, "sarif") == 0)
					run.format = FMT_SARIF;
				else
				{
					strlist_release(&paths);
					return opt_usage_error(&p, "use text, json or sarif", "unknown format '%s'", arg);
				}
				break;
			case OPT_FAIL_ON:
				if (severity_parse(arg) < 0)
				{
					strlist_release(&paths);
					return opt_usage_error(&p, "use error, warning or info", "unknown level '%s'", arg);
				}
				fail_on = (enum pgw_severity) severity_parse(arg);
				break;
			case OPT_PENDING:
				pending = true;
				break;
			case OPT_PG_VERSION:
				if (!opt_int(&p, "pg-version", arg, 9, 99, &v))
				{
					strlist_release(&paths);
					return PGW_EXIT_USAGE;
				}
				run.opts.pg_version = (int) v;
				break;
			case OPT_TRANSACTION:
				if (strcmp(arg, "auto") == 0)
					run.opts.tx_mode = PGW_LINT_TX_AUTO;
				else if (strcmp(arg, "always") == 0)
					run.opts.tx_mode = PGW_LINT_TX_ALWAYS;
				else if (strcmp(arg, "never") == 0)
					run.opts.tx_mode = PGW_LINT_TX_NEVER;
				else
				{
					strlist_release(&paths);
					return opt_usage_error(&p, "use auto, always or never",
										   "unknown transaction mode '%s'", arg);
				}
				break;
			case OPT_RULES:
				strlist_release(&paths);
				return list_rules();
			case OPT_STATEMENTS:
				run.statements = true;
				break;
			case OPT_JOBS:
				if (!opt_int(&p, "jobs", arg, 1, 64, &v))
				{
					strlist_release(&paths);
					return PGW_EXIT_USAGE;
				}
				jobs = (int) v;
				break;
			case OPT_POSITIONAL:
				if (strcmp(arg, "-") == 0)
				{
					if (stdin_used)
					{
						strlist_release(&paths);
						return opt_usage_error(&p, NULL, "'-' (standard input) can be given once");
					}
					stdin_used = true;
				}
				strlist_add(&paths, arg);
				break;
			default:
				break;
		}
	}
	if (run.statements && run.format == FMT_SARIF)
	{
		strlist_release(&paths);
		return opt_usage_error(&p, NULL, "--statements prints text or JSON, not SARIF");
	}
	if (out_is_json() && run.format == FMT_SARIF)
	{
		strlist_release(&paths);
		return opt_usage_error(&p, NULL, "--json and --format sarif cannot be used together");
	}
	/* what to lint: the paths given, else the migrations folder */
	if (paths.n == 0)
	{
		if (!fs_is_dir(ctx->cfg.migrations_dir))
		{
			char	   *shown = fs_display_path(ctx->cfg.migrations_dir);

			pgw_error(PGW_ERR_INPUT, "no files given and the migrations folder '%s' does not exist",
					  shown);
			free(shown);
			pgw_error_hint("name the SQL files to lint, or '-' for standard input");
			return out_fail();
		}
		strlist_add(&paths, ctx->cfg.migrations_dir);
	}
	for (i = 0; i < paths.n; i++)
	{
		const char *path = paths.items[i];

		if (strcmp(path, "-") == 0)
			strlist_add(&files, path);
		else if (fs_is_dir(path))
		{
			if (fs_list_files(path, ".sql", &files) != 0)
			{
				rc = out_fail();
				goto done;
			}
		}
		else if (fs_exists(path))
			strlist_add(&files, path);
		else
		{
			pgw_error(PGW_ERR_INPUT, "file '%s' does not exist", path);
			rc = out_fail();
			goto done;
		}
	}
	if (pending)
	{
		struct pgw_strlist keep = {NULL, 0};

		if (applied_versions(ctx, &applied, &rc) != 0)
			goto done;
		for (i = 0; i < files.n; i++)
		{
			const char *base = strrchr(files.items[i], '/') ? strrchr(files.items[i], '/') + 1 : files.items[i];
			char	   *ver = NULL,
					   *name = NULL;
			bool		done = false;
			size_t		k;

			if (migration_parse_name(base, &ver, &name) == 0)
				for (k = 0; k < applied.n && !done; k++)
					done = migration_version_cmp(applied.items[k], ver) == 0;
			if (!done)
				strlist_add(&keep, files.items[i]);
			free(ver);
			free(name);
		}
		strlist_release(&files);
		files = keep;
	}

	findings_init(&run.findings);
	findings_init(&run.errors);
	run.jstatements = json_array();
	lint_files(&run, &files, jobs);

	if (run.errors.n > 0)
		rc = PGW_EXIT_INPUT;
	else if (findings_count_at_least(&run.findings, fail_on) > 0)
		rc = PGW_EXIT_CHECK;

	if (run.format == FMT_JSON)
	{
		json_t	   *doc = out_json_envelope(rc == PGW_EXIT_OK);
		json_t	   *summary = findings_summary_json(&run.findings);

		json_object_set_new(summary, "files", json_integer((json_int_t) run.nfiles));
		json_object_set_new(summary, "statements", json_integer((json_int_t) run.nstmts));
		json_object_set_new(summary, "sql_errors", json_integer((json_int_t) run.errors.n));
		json_object_set_new(summary, "fail_on", json_string(severity_name(fail_on)));
		json_object_set_new(doc, "summary", summary);
		if (run.statements)
		{
			json_object_set_new(doc, "statements", run.jstatements);
			run.jstatements = NULL;
		}
		else
			json_object_set_new(doc, "findings", findings_to_json(&run.findings));
		json_object_set_new(doc, "errors", findings_to_json(&run.errors));
		out_json_emit(doc);
	}
	else if (run.format == FMT_SARIF)
		print_sarif(&run);
	else if (!out_is_quiet() && !run.statements)
	{
		size_t		ne = findings_count_at_least(&run.findings, PGW_SEV_ERROR);
		size_t		nw = findings_count_at_least(&run.findings, PGW_SEV_WARNING) - ne;
		size_t		ni = findings_count_at_least(&run.findings, PGW_SEV_INFO) - ne - nw;
		size_t		ns = 0;

		for (i = 0; i < run.findings.n; i++)
			if (run.findings.items[i].suppressed)
				ns++;
		struct pgw_buf b;

		buf_init(&b);
		buf_printf(&b, "%zu file%s, %zu statement%s: ", run.nfiles, run.nfiles == 1 ? "" : "s",
				   run.nstmts, run.nstmts == 1 ? "" : "s");
		if (run.errors.n)
			buf_printf(&b, "%zu SQL error%s, ", run.errors.n, run.errors.n == 1 ? "" : "s");
		buf_printf(&b, "%zu error%s, %zu warning%s, %zu info", ne, ne == 1 ? "" : "s",
				   nw, nw == 1 ? "" : "s", ni);
		if (ns)
			buf_printf(&b, " (%zu suppressed)", ns);
		out_note("%s", b.data);
		buf_release(&b);
	}
	json_decref(run.jstatements);
	findings_release(&run.findings);
	findings_release(&run.errors);
done:
	strlist_release(&paths);
	strlist_release(&files);
	strlist_release(&applied);
	return rc;
}
