/*
 * doctor.c — `pgwarden doctor [--fix [--yes]]`: every check in one
 * diagnosis, and one migration that repairs what can be repaired.
 *
 * Reads the schema (catalog_read, as inspect does), runs the doctor's
 * model rules and statistics rules (check/doctor.c) and validate's checks,
 * then shows the findings grouped by rank — critical, high, medium,
 * recommendation — with a diagnosis summary and how many carry an
 * automatic fix.  Exit 1 when a finding reaches --fail-on (default error).
 *
 * --fix writes ONE migration and its rollback into the migrations folder:
 * the fixes that are generate actions (tenant isolation, policies, foreign
 * keys, indexes) through check/fix.c's fix_combine — the same statements
 * `generate fix ALL` writes — and the doctor's own (search_path,
 * security_invoker, revokes, dropped indexes) from the findings' fix SQL
 * and rollback.  Transactional statements come first inside their own
 * BEGIN/COMMIT, the CONCURRENTLY ones after it, so the runner takes the
 * file as written (file mode) and the rollback undoes them in reverse.
 * --yes then applies it through `migrate up --safe` (sandbox, checks,
 * verification) — only when no other migration is pending, so nothing the
 * user did not ask for runs — and diagnoses again: what is left is shown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "check/doctor.h"
#include "check/fix.h"
#include "check/validate.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "commands.h"
#include "db/query.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "model/model.h"
#include "out/out.h"
#include "out/progress.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

#define DOCTOR_USAGE "pgwarden doctor [--rule RULE]... [--category CAT] [--fail-on LEVEL] [--no-stats]\n" \
	"       pgwarden doctor --fix [--yes [--sandbox local|tx] [--allow RULE]...] [--only RULE]...\n" \
	"                       [--delete-orphans|--nullify-orphans]"

enum
{
	OPT_RULE = 1,
	OPT_CATEGORY,
	OPT_FAIL_ON,
	OPT_NO_STATS,
	OPT_FIX,
	OPT_YES,
	OPT_ONLY,
	OPT_DELETE,
	OPT_NULLIFY,
	OPT_TENANT_FROM,
	OPT_SANDBOX,
	OPT_ALLOW,
	OPT_NO_CACHE
};

struct doctor_args
{
	struct pgw_strlist rules;
	const char *category;
	int			fail_on;
	bool		stats;
	bool		fix;
	bool		yes;
	struct pgw_strlist only;
	enum pgw_orphans orphans;
	int			tenant_from;
	const char *sandbox;		/* --yes: passed to migrate up --safe */
	struct pgw_strlist allow;
	bool		no_cache;
};

/* One diagnosis: the findings asked for, in rank order. */
struct diagnosis
{
	struct pgw_model m;
	struct pgw_findings all;
	struct pgw_findings shown;
	size_t		count[4];
	size_t		fixable;		/* findings that carry a fix */
	size_t		will_fix;		/* of them, what --fix (without --yes) fixes */
	bool		have_age;
	struct pgw_stats_age age;	/* the statistics rules' view of time */
};

/* What --fix made of the findings. */
struct doctor_fix
{
	struct pgw_buf up;
	struct pgw_buf down;
	size_t		fixed;			/* findings the migration fixes */
	json_t	   *jfixed;			/* their rule and object */
	json_t	   *jleft;			/* the rest: rule, object, why, what to do */
	char	   *up_path;		/* as shown (relative to the project) */
	char	   *down_path;
	char	   *up_file;		/* as written */
	char	   *down_file;
	char	   *version;
	bool		reused;			/* an identical pending pair, not written again */
};

static const char *const ranks[] = {"critical", "high", "medium", "recommendation"};

/* A rule id, or a prefix ending in '.' (security.), in list. */
static bool
rule_listed(const char *rule, const struct pgw_strlist *list)
{
	for (size_t i = 0; i < list->n; i++)
	{
		size_t		n = strlen(list->items[i]);

		if (strcmp(rule, list->items[i]) == 0 ||
			(n && list->items[i][n - 1] == '.' && strncmp(rule, list->items[i], n) == 0))
			return true;
	}
	return false;
}

static bool
wanted(const struct pgw_finding *f, const struct pgw_strlist *rules, const char *category)
{
	if (category)
	{
		/* integrity: validate's categories (tenant, rls, fk, null) */
		bool		ours = strcmp(f->category, "performance") == 0 || strcmp(f->category, "security") == 0;

		if (strcmp(category, "integrity") == 0 ? ours : strcmp(f->category, category) != 0)
			return false;
	}
	return rules->n == 0 || rule_listed(f->rule, rules);
}

static void
diagnosis_release(struct diagnosis *d)
{
	findings_release(&d->all);
	findings_release(&d->shown);
	model_release(&d->m);
}

/*
 * Reads the schema and runs every check.  Returns 0, or -1 with the error
 * recorded (rc set) — connection failures already reported by ctx_connect.
 */
static int
diagnose(struct pgw_ctx *ctx, const struct doctor_args *a, struct diagnosis *d, int *rc)
{
	PGconn	   *conns[2] = {NULL, NULL};
	int			nconns,
				r;
	struct pgw_catalog_opts copts = {0};
	struct pgw_progress prog;

	memset(d, 0, sizeof(*d));
	model_init(&d->m);
	findings_init(&d->all);
	findings_init(&d->shown);
	conns[0] = ctx_connect(ctx, rc);
	if (!conns[0])
		return -1;
	nconns = 1;
	/* a second connection for a large catalog (as inspect) */
	copts.helper_target = &ctx->target;
	copts.helper_jobs = 2;
	copts.managed = &ctx->cfg.schemas;
	copts.tenant_column = ctx->cfg.tenant_column;
	if (!a->no_cache)
		copts.cache_dir = ctx_cache_dir(ctx);
	progress_start(&prog, "reading the schema", 0);
	r = catalog_read(conns, nconns, &copts, &d->m, NULL);
	progress_finish(&prog);
	if (r == 0)
	{
		struct pgw_validate_opts vo = {0};
		struct pgw_validate_result vres;

		/* integrity: everything validate reports (its data checks bounded
		 * by the planner's estimates, in a read-only transaction) */
		memset(&vres, 0, sizeof(vres));
		vo.cfg = &ctx->cfg;
		vo.sample = 5;
		vo.max_rows = 1000000;
		progress_start(&prog, "checking tenant, RLS and foreign-key integrity", 0);
		r = validate_run(conns[0], &d->m, &vo, &d->all, &vres);
		progress_finish(&prog);
		for (size_t i = 0; r == 0 && i < vres.skipped.n; i++)
			out_warning("data checks skipped for %s (more rows than 1,000,000; pgwarden validate --max-rows N checks them)",
						vres.skipped.items[i]);
		validate_result_release(&vres);
		if (r == 0)
			doctor_check_model(&d->m, &ctx->cfg, &d->all);
		if (r == 0 && a->stats)
		{
			progress_start(&prog, "reading the statistics", 0);
			r = doctor_check_stats(conns[0], &ctx->cfg, &d->all, &d->age);
			d->have_age = r == 0;
			progress_finish(&prog);
		}
	}
	for (int i = 0; i < nconns; i++)
		PQfinish(conns[i]);
	if (r != 0)
		return -1;
	findings_suppress(&d->all, (const char *const *) ctx->cfg.ignore.items, ctx->cfg.ignore.n);

	/* the findings asked for, in rank order */
	for (size_t k = 0; k < 4; k++)
		for (size_t i = 0; i < d->all.n; i++)
		{
			const struct pgw_finding *f = &d->all.items[i];

			if (f->suppressed || !wanted(f, &a->rules, a->category) || strcmp(doctor_rank(f), ranks[k]) != 0)
				continue;
			findings_copy(&d->shown, f);
			if (f->has_fix)
				d->fixable++;
			d->count[k]++;
		}
	return 0;
}

static json_t *
diagnosis_json(const struct diagnosis *d, int fail_on, json_t *doc)
{
	json_t	   *summary = findings_summary_json(&d->shown);
	json_t	   *jf = findings_to_json(&d->shown);

	for (size_t k = 0; k < 4; k++)
		json_object_set_new(summary, ranks[k], json_integer((json_int_t) d->count[k]));
	/* fixable: what --fix does; the rest carry SQL to run by hand, or
	 * need --delete-orphans / --nullify-orphans */
	json_object_set_new(summary, "fixable", json_integer((json_int_t) d->will_fix));
	json_object_set_new(summary, "fix_by_hand", json_integer((json_int_t) (d->fixable - d->will_fix)));
	json_object_set_new(summary, "fail_on", json_string(severity_name((enum pgw_severity) fail_on)));
	for (size_t i = 0; i < json_array_size(jf); i++)
		json_object_set_new(json_array_get(jf, i), "rank", json_string(doctor_rank(&d->shown.items[i])));
	if (d->have_age)
		json_object_set_new(summary, "statistics",
							json_pack("{s:I, s:s, s:s, s:b}", "age_s", (json_int_t) d->age.age_s,
									  "since", d->age.since,
									  "since_what", d->age.since_reset ? "stats_reset" : "server start",
									  "unused_indexes_judged", !d->age.unused_skipped));
	json_object_set_new(doc, "summary", summary);
	json_object_set_new(doc, "findings", jf);
	return doc;
}

static void
print_diagnosis(const struct diagnosis *d)
{
	static const enum pgw_style styles[] = {PGW_STYLE_ERROR, PGW_STYLE_ERROR, PGW_STYLE_WARN, PGW_STYLE_INFO};

	for (size_t k = 0; k < 4; k++)
	{
		const char *last_rule = "";

		if (!d->count[k])
			continue;
		out_printf("\n%s%s%s (%zu)\n", out_style(styles[k]), ranks[k], out_style_end(), d->count[k]);
		for (size_t i = 0; i < d->shown.n; i++)
		{
			const struct pgw_finding *f = &d->shown.items[i];

			if (strcmp(doctor_rank(f), ranks[k]) != 0)
				continue;
			out_printf("  %s [%s]\n", f->message, f->rule);
			/* one hint per run of the same rule */
			if (f->hint && strcmp(f->rule, last_rule) != 0)
				out_printf("    hint: %s\n", f->hint);
			last_rule = f->rule;
			if (f->has_fix && f->fix.sql)
				out_printf("    fix:  %s\n", f->fix.sql);
		}
	}
	out_printf("\ndiagnosis: critical: %zu · high: %zu · medium: %zu · recommendations: %zu\n",
			   d->count[0], d->count[1], d->count[2], d->count[3]);
	if (d->have_age && d->age.unused_skipped)
	{
		struct pgw_buf t;

		buf_init(&t);
		doctor_age_text(&t, d->age.age_s);
		out_printf("unused indexes not judged: the statistics are %s old (since the %s, %s); an index shows its use over at least stats_min_age (pgwarden.conf, default 7d)\n",
				   t.data, d->age.since_reset ? "last statistics reset" : "server started", d->age.since);
		buf_release(&t);
	}
}

/* --- --fix -------------------------------------------------------------------- */

static json_t *
finding_ref(const struct pgw_finding *f)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "rule", json_string(f->rule));
	json_object_set_new(o, "message", json_string(f->message));
	if (f->object.name)
		json_object_set_new(o, "object", finding_object_json(f));
	return o;
}

static void
left_as_is(struct doctor_fix *fx, const struct pgw_finding *f, const char *why, const char *todo)
{
	json_t	   *o = finding_ref(f);

	json_object_set_new(o, "why", json_string(why));
	if (todo)
		json_object_set_new(o, "todo", json_string(todo));
	json_array_append_new(fx->jleft, o);
}

/* Whether fix_combine rewrote the policies of table (tenant isolation or
 * the policy fix): a policy fix of the doctor's own there could name a
 * policy the migration drops. */
static bool
policies_rewritten(const struct pgw_fixset *set, const struct pgw_fixreq *reqs, size_t n,
				   const struct pgw_model *m, const char *table)
{
	const struct pgw_relation *rel = tenancy_resolve_table(m, table);

	for (size_t k = 0; rel && k < n; k++)
		if (set->done[k] && reqs[k].table && tenancy_resolve_table(m, reqs[k].table) == rel &&
			(strcmp(reqs[k].action, "fix-rls-policy") == 0 ||
			 strcmp(reqs[k].action, "add-tenant-isolation") == 0))
			return true;
	return false;
}

/*
 * The migration of every fixable finding of d (those --only names): text
 * into fx->up/down, what was and was not fixed into fx->jfixed/jleft.
 */
static int
build_fix(struct pgw_ctx *ctx, const struct doctor_args *a, struct diagnosis *d, PGconn *conn,
		  struct doctor_fix *fx)
{
	struct pgw_fixgen g;
	struct pgw_fixset set;
	struct pgw_fixreq *reqs = NULL;
	size_t		nreqs = 0;
	size_t	   *req_of = pgw_calloc(d->shown.n + 1, sizeof(size_t));
	struct pgw_buf tx_up,
				tx_down,
				nt_up,
				nt_down;
	int			rc = -1;

	memset(&g, 0, sizeof(g));
	g.m = &d->m;
	g.cfg = &ctx->cfg;
	g.conn = conn;
	g.from = (enum pgw_tenant_from) a->tenant_from;
	tenancy_init(&g.t, &d->m, &ctx->cfg);
	fix_set_init(&set);
	buf_init(&tx_up);
	buf_init(&tx_down);
	buf_init(&nt_up);
	buf_init(&nt_down);
	fx->jfixed = json_array();
	fx->jleft = json_array();

	/* generate actions: one request per finding */
	for (size_t i = 0; i < d->shown.n; i++)
	{
		const struct pgw_finding *f = &d->shown.items[i];

		req_of[i] = SIZE_MAX;
		if (!f->has_fix || !f->fix.action || (a->only.n && !rule_listed(f->rule, &a->only)))
			continue;
		reqs = pgw_realloc(reqs, (nreqs + 1) * sizeof(*reqs));
		fix_request_from_args(&reqs[nreqs], f->fix.action, f->fix.args, f->fix.nargs);
		/* orphans are deleted or nullified only when the user says so, not
		 * as validate's fix suggests */
		reqs[nreqs].orphans = a->orphans;
		req_of[i] = nreqs++;
	}
	if (nreqs && (fix_prepare(&g) != 0 || fix_combine(&g, reqs, nreqs, true, &set) != 0))
		goto out;
	buf_append(&tx_up, set.tx.up.data ? set.tx.up.data : "");
	buf_append(&tx_down, set.tx.down.data ? set.tx.down.data : "");
	buf_append(&nt_up, set.nontx.up.data ? set.nontx.up.data : "");
	buf_append(&nt_down, set.nontx.down.data ? set.nontx.down.data : "");

	for (size_t i = 0; i < d->shown.n; i++)
	{
		const struct pgw_finding *f = &d->shown.items[i];

		if (a->only.n && !rule_listed(f->rule, &a->only))
			continue;
		if (!f->has_fix)
		{
			left_as_is(fx, f, "no safe automatic fix", f->hint);
			continue;
		}
		if (req_of[i] != SIZE_MAX)
		{
			size_t		k = req_of[i];

			if (set.done[k])
			{
				json_array_append_new(fx->jfixed, finding_ref(f));
				fx->fixed++;
			}
			else if (set.refused[k])
				left_as_is(fx, f, set.refused[k],
						   strncmp(f->rule, "fk.", 3) == 0 ?
						   "pgwarden doctor --fix --delete-orphans or --nullify-orphans, or fix the rows by hand" : f->hint);
			else
				left_as_is(fx, f, "not fixed automatically", f->hint);
			continue;
		}
		if (strcmp(f->rule, "security.rls_policy_initplan") == 0 && f->fix.nargs == 1 &&
			policies_rewritten(&set, reqs, nreqs, &d->m, f->fix.args[0]))
		{
			left_as_is(fx, f, "this migration rewrites the table's policies: run pgwarden doctor again after it",
					   NULL);
			continue;
		}
		if (!f->fix.sql || !f->fix.undo)
		{
			left_as_is(fx, f, "the fix has no rollback: run it by hand", f->fix.sql);
			continue;
		}
		/* the doctor's own: its SQL and rollback */
		fix_comment(f->fix.concurrent ? &nt_up : &tx_up, "-- %s: %s\n", f->rule, f->message);
		buf_printf(f->fix.concurrent ? &nt_up : &tx_up, "%s\n", f->fix.sql);
		{
			struct pgw_buf u;

			buf_init(&u);
			buf_printf(&u, "%s\n", f->fix.undo);
			fix_prepend(f->fix.concurrent ? &nt_down : &tx_down, u.data);
			buf_release(&u);
		}
		json_array_append_new(fx->jfixed, finding_ref(f));
		fx->fixed++;
	}

	/* one file: the transactional part in its own transaction, then the
	 * statements that cannot run in one; the rollback in reverse */
	if (tx_up.len && nt_up.len)
	{
		buf_printf(&fx->up, "BEGIN;\n\n%s\nCOMMIT;\n\n%s", tx_up.data, nt_up.data);
		buf_printf(&fx->down, "%s\nBEGIN;\n\n%s\nCOMMIT;\n", nt_down.data, tx_down.data);
	}
	else if (tx_up.len)
	{
		buf_append(&fx->up, tx_up.data);
		buf_append(&fx->down, tx_down.data);
	}
	else if (nt_up.len)
	{
		buf_append(&fx->up, nt_up.data);
		buf_append(&fx->down, nt_down.data);
	}
	rc = 0;
out:
	free(reqs);
	free(req_of);
	fix_set_release(&set);
	buf_release(&tx_up);
	buf_release(&tx_down);
	buf_release(&nt_up);
	buf_release(&nt_down);
	return rc;
}

static void file_header(struct pgw_buf *b, const char *base, const char *cmdline,
						const struct doctor_fix *fx, bool rollback, bool both);

static void
fix_release(struct doctor_fix *fx)
{
	json_decref(fx->jfixed);
	json_decref(fx->jleft);
	buf_release(&fx->up);
	buf_release(&fx->down);
	free(fx->up_path);
	free(fx->down_path);
	free(fx->up_file);
	free(fx->down_file);
	free(fx->version);
	memset(fx, 0, sizeof(*fx));
}

/*
 * d->will_fix: how many findings --fix would fix, found by building its
 * migration (nothing written), so the count shown is the one --fix keeps.
 */
static int
count_fixable(struct pgw_ctx *ctx, const struct doctor_args *a, struct diagnosis *d)
{
	struct doctor_fix fx;
	PGconn	   *conn;
	int			rc;

	d->will_fix = 0;
	if (d->fixable == 0)
		return 0;
	if (!(conn = ctx_connect(ctx, &rc)))
		return -1;
	memset(&fx, 0, sizeof(fx));
	buf_init(&fx.up);
	buf_init(&fx.down);
	rc = build_fix(ctx, a, d, conn, &fx);
	PQfinish(conn);
	d->will_fix = fx.fixed;
	fix_release(&fx);
	return rc;
}

/* Two texts equal but for their "-- Generated by `...`." line: the same
 * fix asked with other options (--yes) is the same migration. */
static bool
same_but_command(const char *a, const char *b)
{
	static const char tag[] = "-- Generated by `";

	for (;;)
	{
		const char *ea = strchr(a, '\n');
		const char *eb = strchr(b, '\n');
		size_t		la = ea ? (size_t) (ea - a) : strlen(a);
		size_t		lb = eb ? (size_t) (eb - b) : strlen(b);

		if (!(strncmp(a, tag, sizeof(tag) - 1) == 0 && strncmp(b, tag, sizeof(tag) - 1) == 0) &&
			(la != lb || memcmp(a, b, la) != 0))
			return false;
		if (!ea || !eb)
			return !ea && !eb;
		a = ea + 1;
		b = eb + 1;
	}
}

/*
 * The newest pending doctor_fix pair whose two files are exactly what
 * write_fix would write now (headers included, with that pair's names;
 * the command line aside): --fix run again reuses it instead of writing a
 * second identical pair.
 * Sets fx's paths and version when found; -1 only on a read error.
 */
static int
find_twin(struct pgw_ctx *ctx, PGconn *conn, const char *cmdline, struct doctor_fix *fx)
{
	struct pgw_migration_set set;
	struct pgw_strlist applied = {NULL, 0};
	bool		missing = false;
	bool		both = strncmp(fx->up.data, "BEGIN;", 6) == 0;

	if (migrations_load(ctx->cfg.migrations_dir, &set, &missing) != 0)
		return -1;
	if (history_applied_versions(conn, migrations_supabase_layout(ctx->cfg.migrations_dir), &applied) != 0)
	{
		migrations_release(&set);
		return -1;
	}
	for (size_t i = set.n; i-- > 0 && !fx->reused;)
	{
		const struct pgw_migration *m = &set.items[i];
		char	   *up = NULL,
				   *down = NULL;
		size_t		uplen,
					downlen;
		struct pgw_buf want;

		(void) uplen;
		(void) downlen;

		if (strcmp(m->name, "doctor_fix") != 0 || !m->rollback_path ||
			strlist_contains(&applied, m->version))
			continue;
		if (fs_read_file(m->path, &up, &uplen) != 0 || fs_read_file(m->rollback_path, &down, &downlen) != 0)
		{
			pgw_error_clear();
			free(up);
			continue;
		}
		buf_init(&want);
		file_header(&want, m->file, cmdline, fx, false, both);
		buf_append(&want, fx->up.data);
		if (same_but_command(want.data, up))
		{
			const char *dbase = strrchr(m->rollback_path, '/') ? strrchr(m->rollback_path, '/') + 1
				: m->rollback_path;

			buf_reset(&want);
			file_header(&want, dbase, cmdline, fx, true, both);
			buf_append(&want, fx->down.data);
			if (same_but_command(want.data, down))
			{
				fx->reused = true;
				fx->up_path = ctx_project_path(ctx, m->path);
				fx->down_path = ctx_project_path(ctx, m->rollback_path);
				fx->up_file = pgw_strdup(m->path);
				fx->down_file = pgw_strdup(m->rollback_path);
				fx->version = pgw_strdup(m->version);
			}
		}
		buf_release(&want);
		free(up);
		free(down);
	}
	strlist_release(&applied);
	migrations_release(&set);
	return 0;
}

static void
file_header(struct pgw_buf *b, const char *base, const char *cmdline, const struct doctor_fix *fx,
			bool rollback, bool both)
{
	size_t		i;
	json_t	   *o;

	fix_comment(b, "-- %s\n", base);
	fix_comment(b, "-- Generated by `%s`.\n", cmdline);
	if (rollback)
		buf_append(b, "-- Undoes the migration of the same version (pgwarden migrate down).\n");
	else
	{
		fix_comment(b, "-- Fixes %zu finding%s of pgwarden doctor:\n", fx->fixed, fx->fixed == 1 ? "" : "s");
		json_array_foreach(fx->jfixed, i, o)
			fix_comment(b, "--   %s: %s\n", json_string_value(json_object_get(o, "rule")),
						json_string_value(json_object_get(o, "message")));
	}
	if (both)
		buf_append(b, "-- The statements that can run in a transaction run in one (BEGIN ... COMMIT);\n"
				   "-- CREATE/DROP INDEX CONCURRENTLY and VALIDATE run after it, one by one, and\n"
				   "-- can safely run again (pgwarden migrate up resumes after what was applied).\n");
	buf_append(b, "\n");
}

/* Writes the migration pair; fx->up_path, down_path and version set. */
static int
write_fix(struct pgw_ctx *ctx, const char *cmdline, struct doctor_fix *fx)
{
	char	   *up = NULL,
			   *down = NULL,
			   *name = NULL;
	struct pgw_buf text;
	bool		both = strncmp(fx->up.data, "BEGIN;", 6) == 0;
	int			rc;

	if (migrations_create(ctx->cfg.migrations_dir, "doctor_fix", &up, &down) != 0)
		return -1;
	buf_init(&text);
	{
		const char *base = strrchr(up, '/') ? strrchr(up, '/') + 1 : up;

		file_header(&text, base, cmdline, fx, false, both);
		buf_append(&text, fx->up.data);
		rc = fs_write_file(up, text.data, text.len, 0644);
		if (rc == 0)
			rc = migration_parse_name(base, &fx->version, &name);
	}
	if (rc == 0)
	{
		const char *base = strrchr(down, '/') ? strrchr(down, '/') + 1 : down;

		buf_reset(&text);
		file_header(&text, base, cmdline, fx, true, both);
		buf_append(&text, fx->down.data);
		rc = fs_write_file(down, text.data, text.len, 0644);
	}
	if (rc != 0)
	{
		/* half a pair would block every later migrate run */
		unlink(up);
		unlink(down);
	}
	else
	{
		fx->up_path = ctx_project_path(ctx, up);
		fx->down_path = ctx_project_path(ctx, down);
		fx->up_file = pgw_strdup(up);
		fx->down_file = pgw_strdup(down);
	}
	buf_release(&text);
	free(up);
	free(down);
	free(name);
	return rc;
}

/*
 * --yes applies only the doctor's migration: a migration already pending
 * would be applied with it, unasked.  Returns the number pending, or -1.
 */
static int
pending_migrations(struct pgw_ctx *ctx, PGconn *conn, struct pgw_strlist *names)
{
	struct pgw_migration_set set;
	struct pgw_strlist applied = {NULL, 0};
	bool		missing = false;
	int			n = 0;

	if (migrations_load(ctx->cfg.migrations_dir, &set, &missing) != 0)
		return -1;
	if (history_applied_versions(conn, migrations_supabase_layout(ctx->cfg.migrations_dir), &applied) != 0)
	{
		migrations_release(&set);
		return -1;
	}
	for (size_t i = 0; i < set.n; i++)
		if (!strlist_contains(&applied, set.items[i].version))
		{
			strlist_add(names, set.items[i].file);
			n++;
		}
	strlist_release(&applied);
	migrations_release(&set);
	return n;
}

/* Runs `migrate up --safe --to VERSION [--sandbox K] [--allow R]…`; its
 * JSON document into *doc. */
static int
apply_fix(struct pgw_ctx *ctx, const struct doctor_args *a, const char *version, json_t **doc)
{
	char	  **av = pgw_calloc(8 + 2 * a->allow.n, sizeof(char *));
	int			n = 0,
				rc;

	av[n++] = "migrate";
	av[n++] = "up";
	av[n++] = "--safe";
	av[n++] = "--to";
	av[n++] = (char *) version;
	if (a->sandbox)
	{
		av[n++] = "--sandbox";
		av[n++] = (char *) a->sandbox;
	}
	for (size_t i = 0; i < a->allow.n; i++)
	{
		av[n++] = "--allow";
		av[n++] = a->allow.items[i];
	}
	out_json_capture(doc);
	rc = cmd_migrate(ctx, n, av);
	out_json_capture(NULL);
	out_set_command("doctor");	/* migrate named itself */
	free(av);
	return rc;
}

/*
 * After a failed --yes: the written pair is removed when the database has
 * no record of it (the safe runner stopped at a check, or rolled it back),
 * so it does not stay pending and block the next run.  A migration the
 * history knows (partly applied, statement by statement) stays.
 */
static bool
forget_unapplied(struct pgw_ctx *ctx, const struct doctor_fix *fx)
{
	struct pgw_history h;
	int			rc;
	PGconn	   *conn = ctx_connect(ctx, &rc);
	bool		known = true;
	struct pgw_err saved;

	pgw_error_save(&saved);		/* the failure being reported */
	if (conn && history_read(conn, &h, migrations_supabase_layout(ctx->cfg.migrations_dir)) == 0)
	{
		known = history_find(&h, fx->version) != NULL;
		history_release(&h);
	}
	db_close(conn);
	pgw_error_restore(&saved);
	if (known)
		return false;
	unlink(fx->up_file);
	unlink(fx->down_file);
	return true;
}

static int
parse_args(struct doctor_args *a, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"allow", 0, true, OPT_ALLOW},
		{"category", 0, true, OPT_CATEGORY},
		{"delete-orphans", 0, false, OPT_DELETE},
		{"fail-on", 0, true, OPT_FAIL_ON},
		{"fix", 0, false, OPT_FIX},
		{"no-cache", 0, false, OPT_NO_CACHE},
		{"no-stats", 0, false, OPT_NO_STATS},
		{"nullify-orphans", 0, false, OPT_NULLIFY},
		{"only", 0, true, OPT_ONLY},
		{"rule", 0, true, OPT_RULE},
		{"sandbox", 0, true, OPT_SANDBOX},
		{"tenant-from", 0, true, OPT_TENANT_FROM},
		{"yes", 'y', false, OPT_YES},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *fix_only = NULL;
	const char *yes_only = NULL;
	int			r;

	memset(a, 0, sizeof(*a));
	a->fail_on = PGW_SEV_ERROR;
	a->stats = true;
	opt_init(&p, argc, argv, opts, DOCTOR_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_RULE:
				strlist_add(&a->rules, arg);
				break;
			case OPT_CATEGORY:
				if (strcmp(arg, "performance") && strcmp(arg, "security") && strcmp(arg, "integrity"))
					return opt_usage_error(&p, "categories: performance, security, integrity",
										   "unknown category '%s'", arg);
				a->category = arg;
				break;
			case OPT_FAIL_ON:
				a->fail_on = severity_parse(arg);
				if (a->fail_on < 0)
					return opt_usage_error(&p, "use error, warning or info", "unknown level '%s'", arg);
				break;
			case OPT_NO_STATS:
				a->stats = false;
				break;
			case OPT_FIX:
				a->fix = true;
				break;
			case OPT_YES:
				a->yes = true;
				fix_only = "yes";
				break;
			case OPT_ONLY:
				strlist_add(&a->only, arg);
				fix_only = "only";
				break;
			case OPT_DELETE:
			case OPT_NULLIFY:
				if (a->orphans != PGW_ORPHANS_REFUSE)
					return opt_usage_error(&p, NULL, "--delete-orphans and --nullify-orphans exclude each other");
				a->orphans = r == OPT_DELETE ? PGW_ORPHANS_DELETE : PGW_ORPHANS_NULLIFY;
				fix_only = r == OPT_DELETE ? "delete-orphans" : "nullify-orphans";
				break;
			case OPT_TENANT_FROM:
				if ((a->tenant_from = fix_tenant_from_parse(arg)) < 0)
					return opt_usage_error(&p, "use setting, jwt or membership", "invalid --tenant-from '%s'", arg);
				fix_only = "tenant-from";
				break;
			case OPT_SANDBOX:
				if (strcmp(arg, "local") != 0 && strcmp(arg, "tx") != 0)
					return opt_usage_error(&p, "use local or tx", "unknown sandbox '%s'", arg);
				a->sandbox = arg;
				yes_only = "sandbox";
				break;
			case OPT_NO_CACHE:
				a->no_cache = true;
				break;
			case OPT_ALLOW:
				strlist_add(&a->allow, arg);
				yes_only = "allow";
				break;
			case OPT_POSITIONAL:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (yes_only && !a->yes)
		return opt_usage_error(&p, "--yes applies the fix through pgwarden migrate up --safe",
							   "--%s goes with --fix --yes", yes_only);
	if (fix_only && !a->fix)
		return opt_usage_error(&p, "pgwarden doctor --fix writes the migration", "--%s goes with --fix", fix_only);
	return PGW_EXIT_OK;
}

/* The "fix" part of the JSON document: files written, what was and was not
 * fixed, the SQL. */
static json_t *
fix_json(const struct doctor_fix *fx)
{
	json_t	   *j = json_object();

	json_object_set_new(j, "up", fx->up_path ? json_string(fx->up_path) : json_null());
	json_object_set_new(j, "down", fx->down_path ? json_string(fx->down_path) : json_null());
	json_object_set_new(j, "reused", json_boolean(fx->reused));
	json_object_set_new(j, "fixed", json_incref(fx->jfixed));
	json_object_set_new(j, "left", json_incref(fx->jleft));
	json_object_set_new(j, "sql", json_string(fx->up.data ? fx->up.data : ""));
	json_object_set_new(j, "rollback", json_string(fx->down.data ? fx->down.data : ""));
	return j;
}

static void
print_fix(const struct doctor_fix *fx)
{
	size_t		i;
	json_t	   *o;

	out_printf("\nfix: %zu finding%s in one migration\n", fx->fixed, fx->fixed == 1 ? "" : "s");
	if (fx->up_path && fx->reused)
		out_printf("  pending and identical, not written again: %s\n        %s\n", fx->up_path, fx->down_path);
	else if (fx->up_path)
		out_printf("  wrote %s\n        %s\n", fx->up_path, fx->down_path);
	if (json_array_size(fx->jleft))
		out_printf("  left as they are:\n");
	json_array_foreach(fx->jleft, i, o)
	{
		const char *todo = json_string_value(json_object_get(o, "todo"));

		out_printf("    %s [%s]: %s\n", json_string_value(json_object_get(o, "message")),
				   json_string_value(json_object_get(o, "rule")),
				   json_string_value(json_object_get(o, "why")));
		if (todo)
			out_printf("      by hand: %s\n", todo);
	}
	if (fx->up.len)
	{
		out_printf("\n%s-- the migration%s\n", out_style(PGW_STYLE_INFO), out_style_end());
		out_write(fx->up.data);
		out_printf("%s-- its rollback%s\n", out_style(PGW_STYLE_INFO), out_style_end());
		out_write(fx->down.data);
	}
}

int
cmd_doctor(struct pgw_ctx *ctx, int argc, char **argv)
{
	struct doctor_args a;
	struct diagnosis d,
				after;
	struct doctor_fix fx;
	json_t	   *applied = NULL;
	bool		have_after = false;
	int			rc = PGW_EXIT_OK;

	memset(&fx, 0, sizeof(fx));
	buf_init(&fx.up);
	buf_init(&fx.down);
	if ((rc = parse_args(&a, argc, argv)) != PGW_EXIT_OK)
		goto out_args;

	if (diagnose(ctx, &a, &d, &rc) != 0)
	{
		if (rc == PGW_EXIT_OK)
			rc = out_fail();
		diagnosis_release(&d);
		goto out_args;
	}
	if (!a.fix && count_fixable(ctx, &a, &d) != 0)
	{
		rc = out_fail();
		goto out;
	}
	if (!out_is_json())
	{
		out_printf("doctor: %s\n", ctx->target.display);
		print_diagnosis(&d);
		if (!a.fix && d.will_fix)
			out_printf("%zu issue%s can be auto-fixed — run: pgwarden doctor --fix\n", d.will_fix,
					   d.will_fix == 1 ? "" : "s");
		if (!a.fix && d.fixable > d.will_fix)
			out_printf("%zu %s a fix that --fix leaves to you: SQL to review and run by hand, or orphans to delete or nullify (pgwarden doctor --fix says which)\n",
					   d.fixable - d.will_fix, d.fixable - d.will_fix == 1 ? "other carries" : "others carry");
		else if (d.shown.n == 0)
			out_printf("no problems found\n");
	}

	if (a.fix)
	{
		PGconn	   *conn = ctx_connect(ctx, &rc);
		struct pgw_strlist pending = {NULL, 0};
		struct pgw_buf cmdline;
		int			np = 0;

		if (!conn)
			goto out;
		buf_init(&cmdline);
		buf_append(&cmdline, "pgwarden doctor");
		for (int i = 1; i < argc; i++)
			buf_printf(&cmdline, " %s", argv[i]);
		if (build_fix(ctx, &a, &d, conn, &fx) != 0 ||
			(fx.up.len && find_twin(ctx, conn, cmdline.data, &fx) != 0))
		{
			rc = out_fail();
			buf_release(&cmdline);
			PQfinish(conn);
			goto out;
		}
		d.will_fix = fx.fixed;
		if (a.yes && (np = pending_migrations(ctx, conn, &pending)) > 0 && fx.reused)
		{
			/* the pending pair --fix wrote before, identical: it is the fix */
			const char *base = strrchr(fx.up_file, '/') ? strrchr(fx.up_file, '/') + 1 : fx.up_file;
			struct pgw_strlist others = {NULL, 0};

			for (size_t i = 0; i < pending.n; i++)
				if (strcmp(pending.items[i], base) != 0)
					strlist_add(&others, pending.items[i]);
			np = (int) others.n;
			strlist_release(&pending);
			pending = others;
		}
		if (a.yes && np != 0)
		{
			if (np > 0)
			{
				pgw_error(PGW_ERR_INPUT, "%d migration%s pending (%s%s): --yes would apply %s with the fix",
						  np, np == 1 ? " is" : "s are", pending.items[0], np > 1 ? ", …" : "",
						  np == 1 ? "it" : "them");
				pgw_error_hint("apply them first (pgwarden migrate up --safe), then run pgwarden doctor --fix --yes again");
			}
			rc = out_fail();
			strlist_release(&pending);
			buf_release(&cmdline);
			db_close(conn);
			goto out;
		}
		strlist_release(&pending);
		rc = fx.up.len == 0 || fx.reused || write_fix(ctx, cmdline.data, &fx) == 0 ? PGW_EXIT_OK : -1;
		db_close(conn);
		buf_release(&cmdline);
		if (rc != PGW_EXIT_OK)
		{
			rc = out_fail();
			goto out;
		}
		if (!out_is_json())
		{
			print_fix(&fx);
			if (!fx.up.len)
				out_printf("nothing to fix automatically\n");
			else if (!a.yes)
				out_printf("\nnext: review it, then pgwarden migrate up --safe (or pgwarden doctor --fix --yes)\n");
		}
		if (a.yes && fx.up.len)
		{
			if (!out_is_json())
				out_printf("\napplying it through pgwarden migrate up --safe:\n");
			rc = apply_fix(ctx, &a, fx.version, &applied);
			if (rc != PGW_EXIT_OK)
			{
				bool		removed = forget_unapplied(ctx, &fx);

				/* migrate said why (text), or it is in its document */
				if (!out_is_json())
					out_printf(removed ? "removed %s and its rollback: nothing of it was applied\n"
							   : "%s stays: it is recorded (see pgwarden migrate status)\n", fx.up_path);
				if (out_is_json())
				{
					json_t	   *doc = diagnosis_json(&d, a.fail_on, out_json_envelope(false));

					json_object_set_new(doc, "fix", fix_json(&fx));
					json_object_set_new(doc, "applied", applied ? applied : json_null());
					json_object_set_new(json_object_get(doc, "fix"), "removed", json_boolean(removed));
					applied = NULL;
					out_json_emit(doc);
				}
				goto out;
			}
			if (!out_is_json())
				out_printf("\ndoctor again:\n");
			if (diagnose(ctx, &a, &after, &rc) != 0)
			{
				if (rc == PGW_EXIT_OK)
					rc = out_fail();
				diagnosis_release(&after);
				goto out;
			}
			have_after = true;
			if (count_fixable(ctx, &a, &after) != 0)
			{
				rc = out_fail();
				goto out;
			}
			if (!out_is_json())
			{
				print_diagnosis(&after);
				out_printf("%zu finding%s left%s\n", after.shown.n, after.shown.n == 1 ? "" : "s",
						   after.shown.n ? " (above)" : "");
			}
		}
	}

	rc = findings_count_at_least(have_after ? &after.shown : &d.shown, (enum pgw_severity) a.fail_on) > 0
		? PGW_EXIT_CHECK : PGW_EXIT_OK;
	if (out_is_json())
	{
		json_t	   *doc = diagnosis_json(&d, a.fail_on, out_json_envelope(rc == PGW_EXIT_OK));

		if (a.fix)
		{
			json_object_set_new(doc, "fix", fix_json(&fx));
		}
		if (applied)
		{
			json_object_set_new(doc, "applied", applied);
			applied = NULL;
		}
		if (have_after)
			json_object_set_new(doc, "after", diagnosis_json(&after, a.fail_on, json_object()));
		out_json_emit(doc);
	}
out:
	if (have_after)
		diagnosis_release(&after);
	diagnosis_release(&d);
out_args:
	json_decref(applied);
	fix_release(&fx);
	strlist_release(&a.rules);
	strlist_release(&a.only);
	strlist_release(&a.allow);
	return rc;
}
