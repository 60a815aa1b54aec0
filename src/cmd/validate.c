/*
 * validate.c — `pgwarden validate`: tenant coverage, row-level security,
 * foreign-key integrity and NULL checks on the live database, as findings
 * (docs/validate.md).
 *
 * Reads the schema through catalog/ (statistics included: the planner's
 * row estimates decide which tables are too large to scan), the pending
 * migrations' SET NOT NULL columns from the migrations folder and the
 * history, then runs check/validate.c in one read-only transaction.  Text
 * output groups findings by category and ends with a summary line; --json
 * prints the findings in the shared finding shape.  Exit 1 when an
 * unsuppressed finding reaches --fail-on (default error).
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "check/validate.h"
#include "cmd/opt.h"
#include "commands.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/mem.h"

#define VALIDATE_USAGE \
	"pgwarden validate [--table TABLE] [--rule RULE]... [--category CAT]... " \
	"[--fail-on LEVEL] [--sample N] [--max-rows N]"

enum
{
	OPT_TABLE = 1,
	OPT_RULE,
	OPT_CATEGORY,
	OPT_FAIL_ON,
	OPT_SAMPLE,
	OPT_MAX_ROWS,
	OPT_NO_CACHE
};

static const char *const rule_ids[] = {
	"tenant.missing_column", "tenant.coverage", "tenant.not_null",
	"rls.disabled", "rls.no_policy", "rls.weak_policy", "rls.missing_with_check", "rls.not_forced",
	"fk.orphans", "fk.not_validated", "fk.missing",
	"null.violation",
};
static const char *const categories[] = {"tenant", "rls", "fk", "null"};

#define NRULES (sizeof(rule_ids) / sizeof(rule_ids[0]))
#define NCATS (sizeof(categories) / sizeof(categories[0]))

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Copies the findings that pass --rule / --category into dst. */
static void
filter_findings(const struct pgw_findings *src, const struct pgw_strlist *rules,
				const struct pgw_strlist *cats, struct pgw_findings *dst)
{
	for (size_t i = 0; i < src->n; i++)
	{
		const struct pgw_finding *s = &src->items[i];

		if (rules->n && !strlist_contains(rules, s->rule))
			continue;
		if (cats->n && !strlist_contains(cats, s->category))
			continue;
		findings_copy(dst, s);
	}
}

static const char *
sev_style(enum pgw_severity s)
{
	return out_style(s == PGW_SEV_ERROR ? PGW_STYLE_ERROR : s == PGW_SEV_WARNING ? PGW_STYLE_WARN : PGW_STYLE_INFO);
}

static void
print_text(const struct pgw_findings *list, const struct pgw_validate_result *res)
{
	size_t		counts[3] = {0};
	size_t		suppressed = 0;

	for (size_t c = 0; c < NCATS; c++)
	{
		bool		header = false;

		for (size_t i = 0; i < list->n; i++)
		{
			const struct pgw_finding *f = &list->items[i];

			if (strcmp(f->category, categories[c]) != 0)
				continue;
			if (f->suppressed)
			{
				suppressed++;
				continue;
			}
			if (!header)
			{
				out_printf("%s%s%s\n", out_style(PGW_STYLE_BOLD), categories[c], out_style_end());
				header = true;
			}
			counts[f->severity]++;
			out_printf("  %s%-7s%s %s  %s\n", sev_style(f->severity), severity_name(f->severity),
					   out_style_end(), f->rule, f->message);
			if (f->detail)
				out_printf("          %s\n", f->detail);
			if (f->has_fix)
			{
				out_printf("          fix: pgwarden generate %s", f->fix.action);
				for (size_t a = 0; a < f->fix.nargs; a++)
					out_printf(" %s", f->fix.args[a]);
				out_printf("\n");
			}
			else if (f->hint)
				out_printf("          hint: %s\n", f->hint);
		}
		if (header)
			out_printf("\n");
	}
	if (res->ncoverage)
	{
		out_printf("%stenant coverage%s\n", out_style(PGW_STYLE_BOLD), out_style_end());
		for (size_t i = 0; i < res->ncoverage; i++)
		{
			const struct pgw_coverage *c = &res->coverage[i];

			if (c->rows == 0)
				out_printf("  %s: empty\n", c->table);
			else
				out_printf("  %s: %.1f%% complete (%lld/%lld)\n", c->table,
						   100.0 * (double) c->with_tenant / (double) c->rows,
						   (long long) c->with_tenant, (long long) c->rows);
		}
		out_printf("\n");
	}
	out_printf("%d table%s checked (%d scanned, %d quer%s): %zu error%s, %zu warning%s, %zu info",
			   res->tables, res->tables == 1 ? "" : "s", res->scanned, res->queries,
			   res->queries == 1 ? "y" : "ies",
			   counts[PGW_SEV_ERROR], counts[PGW_SEV_ERROR] == 1 ? "" : "s",
			   counts[PGW_SEV_WARNING], counts[PGW_SEV_WARNING] == 1 ? "" : "s", counts[PGW_SEV_INFO]);
	if (suppressed)
		out_printf(", %zu suppressed", suppressed);
	out_printf("\n");
}

static json_t *
result_json(const struct pgw_findings *list, const struct pgw_validate_result *res, bool ok)
{
	json_t	   *doc = out_json_envelope(ok);
	json_t	   *summary = findings_summary_json(list);
	json_t	   *cov = json_array();
	json_t	   *skipped = json_array();

	json_object_set_new(summary, "tables", json_integer(res->tables));
	json_object_set_new(summary, "scanned", json_integer(res->scanned));
	json_object_set_new(summary, "queries", json_integer(res->queries));
	for (size_t i = 0; i < res->ncoverage; i++)
		json_array_append_new(cov, json_pack("{s:s, s:I, s:I}", "table", res->coverage[i].table,
											 "rows", (json_int_t) res->coverage[i].rows,
											 "with_tenant", (json_int_t) res->coverage[i].with_tenant));
	for (size_t i = 0; i < res->skipped.n; i++)
		json_array_append_new(skipped, json_string(res->skipped.items[i]));
	json_object_set_new(doc, "summary", summary);
	json_object_set_new(doc, "coverage", cov);
	json_object_set_new(doc, "skipped", skipped);
	json_object_set_new(doc, "findings", findings_to_json(list));
	return doc;
}

int
cmd_validate(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"category", 0, true, OPT_CATEGORY},
		{"fail-on", 0, true, OPT_FAIL_ON},
		{"max-rows", 0, true, OPT_MAX_ROWS},
		{"rule", 0, true, OPT_RULE},
		{"sample", 0, true, OPT_SAMPLE},
		{"table", 't', true, OPT_TABLE},
		{"no-cache", 0, false, OPT_NO_CACHE},
		{NULL, 0, false, 0}
	};
	bool		no_cache = false;
	struct pgw_optparser p;
	const char *arg;
	struct pgw_strlist rules = {0};
	struct pgw_strlist cats = {0};
	struct pgw_strlist applied = {0};
	struct pgw_validate_opts vo = {0};
	struct pgw_validate_result res = {0};
	struct pgw_catalog_opts copts = {0};
	struct pgw_findings all;
	struct pgw_findings shown;
	struct pgw_model model;
	struct pgw_pending_not_null *pending = NULL;
	size_t		npending = 0;
	enum pgw_severity fail_on = PGW_SEV_ERROR;
	long		sample = 5;
	long		max_rows = 1000000;
	PGconn	   *conn;
	int			rc = PGW_EXIT_OK;
	int			r;

	opt_init(&p, argc, argv, opts, VALIDATE_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_TABLE:
				vo.table = arg;
				break;
			case OPT_RULE:
				if (!in_list(arg, rule_ids, NRULES))
				{
					rc = opt_usage_error(&p, "the rules are listed in 'pgwarden help validate'",
										 "unknown rule '%s'", arg);
					goto out_args;
				}
				strlist_add(&rules, arg);
				break;
			case OPT_CATEGORY:
				if (!in_list(arg, categories, NCATS))
				{
					rc = opt_usage_error(&p, "categories: tenant, rls, fk, null", "unknown category '%s'", arg);
					goto out_args;
				}
				strlist_add(&cats, arg);
				break;
			case OPT_FAIL_ON:
				if (severity_parse(arg) < 0)
				{
					rc = opt_usage_error(&p, "use error, warning or info", "invalid --fail-on level '%s'", arg);
					goto out_args;
				}
				fail_on = (enum pgw_severity) severity_parse(arg);
				break;
			case OPT_SAMPLE:
				if (!opt_int(&p, "sample", arg, 0, 1000, &sample))
				{
					rc = PGW_EXIT_USAGE;
					goto out_args;
				}
				break;
			case OPT_MAX_ROWS:
				if (!opt_int(&p, "max-rows", arg, 0, 2000000000L, &max_rows))
				{
					rc = PGW_EXIT_USAGE;
					goto out_args;
				}
				break;
			case OPT_NO_CACHE:
				no_cache = true;
				break;
			case OPT_ERROR:
				rc = PGW_EXIT_USAGE;
				goto out_args;
			default:
				rc = opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
				goto out_args;
		}
	}

	conn = ctx_connect(ctx, &rc);
	if (!conn)
		goto out_args;
	model_init(&model);
	findings_init(&all);
	findings_init(&shown);
	copts.tenant_column = ctx->cfg.tenant_column;
	copts.managed = &ctx->cfg.schemas;
	if (!no_cache)
		copts.cache_dir = ctx_cache_dir(ctx);
	if (catalog_read(&conn, 1, &copts, &model, NULL) != 0)
	{
		pgw_error_prefix("cannot read the schema of %s", ctx->target.display);
		rc = out_fail();
		goto out_conn;
	}
	if (history_applied_versions(conn, migrations_supabase_layout(ctx->cfg.migrations_dir), &applied) != 0 ||
		validate_pending_not_null(ctx->cfg.migrations_dir, &applied, &pending, &npending) != 0)
	{
		/* the pending-migration check is a bonus: say why it is missing */
		out_warning("pending migrations not read: %s", pgw_error_last()->message);
		pgw_error_clear();
		PQclear(PQexec(conn, "ROLLBACK"));
	}
	vo.cfg = &ctx->cfg;
	vo.sample = (int) sample;
	vo.max_rows = max_rows;
	vo.pending = pending;
	vo.npending = npending;
	if (validate_run(conn, &model, &vo, &all, &res) != 0)
	{
		rc = out_fail();
		goto out_conn;
	}
	for (size_t i = 0; i < res.skipped.n; i++)
		out_warning("not scanned, larger than --max-rows %ld: %s", max_rows, res.skipped.items[i]);
	for (size_t i = 0; i < res.unreadable.n; i++)
		out_warning("not scanned, not readable by this role: %s", res.unreadable.items[i]);
	filter_findings(&all, &rules, &cats, &shown);
	findings_suppress(&shown, (const char *const *) ctx->cfg.ignore.items, ctx->cfg.ignore.n);
	if (findings_count_at_least(&shown, fail_on) > 0)
		rc = PGW_EXIT_CHECK;
	if (out_is_json())
		out_json_emit(result_json(&shown, &res, rc == PGW_EXIT_OK));
	else
		print_text(&shown, &res);

out_conn:
	PQfinish(conn);
	validate_result_release(&res);
	validate_pending_release(pending, npending);
	findings_release(&all);
	findings_release(&shown);
	model_release(&model);
out_args:
	strlist_release(&rules);
	strlist_release(&cats);
	strlist_release(&applied);
	return rc;
}
