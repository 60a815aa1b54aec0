/*
 * test_migration.c — `pgwarden test-migration FILE… [--sandbox local|tx]
 * [--with-data N]`:
 * tries migrations in a sandbox (migrate/sandbox.h, migrate/trial.h) and
 * says what they changed, the locks each statement took, what lint thinks,
 * and whether the rollback restores the schema exactly.  The target is only
 * read (local) or changed inside a transaction that is rolled back (tx).
 * docs/test-migration.md is the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/finding.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "cmd/safety.h"
#include "db/query.h"
#include "migrate/files.h"
#include "migrate/runner.h"
#include "migrate/sandbox.h"
#include "migrate/trial.h"
#include "out/out.h"
#include "sql/lint.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/interrupt.h"
#include "util/mem.h"

#define TM_USAGE "pgwarden test-migration FILE... [--sandbox local|tx] [--with-data N] [--json]"

enum
{
	OPT_SANDBOX = 1,
	OPT_WITH_DATA
};

static const struct pgw_opt tm_opts[] = {
	{"sandbox", 0, true, OPT_SANDBOX},
	{"with-data", 0, true, OPT_WITH_DATA},
	{NULL, 0, false, 0}
};

int
cmd_test_migration(struct pgw_ctx *ctx, int argc, char **argv)
{
	struct pgw_optparser p;
	const char *arg;
	struct safety_opts so = {NULL, 0};
	long		rows;
	struct pgw_strlist files = {NULL, 0};
	struct pgw_migration *ms = NULL;
	struct pgw_migration **mp = NULL;
	struct safety_trial st;
	json_t	   *doc = NULL;
	int			r,
				rc = PGW_EXIT_OK;
	size_t		i,
				loaded = 0;
	PGconn	   *conn = NULL;

	memset(&st, 0, sizeof(st));
	opt_init(&p, argc, argv, tm_opts, TM_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		if (r == OPT_ERROR)
			return PGW_EXIT_USAGE;
		if (r == OPT_SANDBOX)
		{
			if (strcmp(arg, "local") && strcmp(arg, "tx"))
				return opt_usage_error(&p, "local: a cached copy of the schema in a private cluster; "
									   "tx: the target inside a transaction that is rolled back",
									   "unknown sandbox '%s'", arg);
			so.kind = arg;
		}
		else if (r == OPT_WITH_DATA)
		{
			if (!opt_int(&p, "with-data", arg, 1, 1000000, &rows))
				return PGW_EXIT_USAGE;
			so.with_data = (int) rows;
		}
		else if (r == OPT_POSITIONAL)
			strlist_add(&files, arg);
	}
	if (so.with_data && so.kind && strcmp(so.kind, "tx") == 0)
	{
		strlist_release(&files);
		return opt_usage_error(&p, "the sample is copied into a local sandbox; a tx sandbox has the target's own rows",
							   "--with-data does not go with --sandbox tx");
	}
	if (files.n == 0)
	{
		strlist_release(&files);
		return opt_usage_error(&p, "e.g. pgwarden test-migration migrations/20250101120000_add_notes.sql",
							   "no migration file given");
	}
	ms = pgw_calloc(files.n, sizeof(*ms));
	mp = pgw_calloc(files.n, sizeof(*mp));
	for (i = 0; i < files.n; i++, loaded++)
	{
		if (migration_load_file(files.items[i], &ms[i]) != 0)
		{
			rc = out_fail();
			goto done;
		}
		mp[i] = &ms[i];
	}
	conn = ctx_connect(ctx, &rc);
	if (!conn)
		goto done;
	doc = out_json_envelope(true);
	/* a trial that a signal cut short proves nothing: say so instead */
	if (safety_trial_run(&st, ctx, conn, &so, mp, files.n, NULL) != 0 || interrupt_check() != 0)
	{
		rc = out_fail_with(doc);
		doc = NULL;
		goto done;
	}
	/* lint: findings of the up parts */
	for (i = 0; i < files.n; i++)
		safety_lint(ctx, mp[i], &st.lint, NULL);
	safety_trial_json(&st, doc);
	if (!out_is_json())
	{
		out_printf("sandbox: %s%s%s (%s, ready in %lld ms)\n", st.kind == PGW_SANDBOX_LOCAL ? "local" : "tx",
				   st.kind == PGW_SANDBOX_LOCAL ? (st.cached ? ", cached schema" : ", schema copied") : "",
				   st.with_data ? ", with a data sample" : "",
				   st.kind == PGW_SANDBOX_LOCAL ? "target only read" : "rolled back afterwards",
				   st.open_ms);
		if (st.pushed)
			out_printf("  pushed from tx: %s\n", st.pushed_why);
		for (i = 0; i < files.n; i++)
			out_printf("migration: %s\n", ms[i].file);
		safety_trial_print(&st, "  ");
		for (i = 0; i < st.findings.n; i++)
		{
			const struct pgw_finding *f = &st.findings.items[i];

			out_printf("  %s%s%s: %s [%s]\n",
					   out_style(f->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR : PGW_STYLE_WARN),
					   severity_name(f->severity), out_style_end(), f->message, f->rule);
			if (f->detail)
				out_printf("    %s\n", f->detail);
		}
		if (st.lint.n)
		{
			size_t		info = 0;

			out_printf("  lint:\n");
			for (i = 0; i < st.lint.n; i++)
			{
				const struct pgw_finding *f = &st.lint.items[i];

				if (f->severity == PGW_SEV_INFO && !out_is_verbose())
				{
					info++;
					continue;
				}
				out_printf("    %s:%d:%d: %s%s%s: %s [%s]\n", f->file, f->line, f->column,
						   out_style(f->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR :
									 f->severity == PGW_SEV_WARNING ? PGW_STYLE_WARN : PGW_STYLE_INFO),
						   severity_name(f->severity), out_style_end(), f->message, f->rule);
			}
			if (info)
				out_printf("    (%zu info finding%s; -v shows them)\n", info, info == 1 ? "" : "s");
		}
		else
			out_printf("  lint: no findings\n");
		out_printf("%s\n", st.passed ? "result: migration and rollback pass" :
				   "result: failed");
	}
	if (!st.passed)
		json_object_set_new(doc, "ok", json_false());
	if (out_is_json())
		out_json_emit(doc);
	else
		json_decref(doc);
	doc = NULL;
	rc = st.passed ? PGW_EXIT_OK : PGW_EXIT_CHECK;
done:
	safety_trial_release(&st);
	json_decref(doc);
	db_close(conn);
	for (i = 0; i < loaded; i++)
		migration_free_file(&ms[i]);
	free(ms);
	free(mp);
	strlist_release(&files);
	return rc;
}
