/*
 * doctor.c — `pgwarden doctor`: every check in one diagnosis.
 *
 * Reads the schema (catalog_read, as inspect does), runs the doctor's
 * model rules and statistics rules (check/doctor.c), then shows the
 * findings grouped by rank — critical, high, medium, recommendation — with
 * a diagnosis summary and how many carry an automatic fix.  Exit 1 when a
 * finding reaches --fail-on (default error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "check/doctor.h"
#include "check/validate.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "model/model.h"
#include "out/out.h"
#include "out/progress.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/mem.h"
#include "util/text.h"

#define DOCTOR_USAGE "pgwarden doctor [--rule RULE]... [--category CAT] [--fail-on LEVEL] [--no-stats]"

enum
{
	OPT_RULE = 1,
	OPT_CATEGORY,
	OPT_FAIL_ON,
	OPT_NO_STATS
};

static const char *const ranks[] = {"critical", "high", "medium", "recommendation"};

static bool
wanted(const struct pgw_finding *f, const struct pgw_strlist *rules, const char *category)
{
	size_t		i;

	if (category)
	{
		/* integrity: validate's categories (tenant, rls, fk, null) */
		bool		ours = strcmp(f->category, "performance") == 0 || strcmp(f->category, "security") == 0;

		if (strcmp(category, "integrity") == 0 ? ours : strcmp(f->category, category) != 0)
			return false;
	}
	if (rules->n == 0)
		return true;
	for (i = 0; i < rules->n; i++)
	{
		size_t		n = strlen(rules->items[i]);

		/* a rule id, or a prefix ending in '.' (security.) */
		if (strcmp(f->rule, rules->items[i]) == 0 ||
			(rules->items[i][n - 1] == '.' && strncmp(f->rule, rules->items[i], n) == 0))
			return true;
	}
	return false;
}

int
cmd_doctor(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"category", 0, true, OPT_CATEGORY},
		{"fail-on", 0, true, OPT_FAIL_ON},
		{"no-stats", 0, false, OPT_NO_STATS},
		{"rule", 0, true, OPT_RULE},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	struct pgw_strlist rules = {NULL, 0};
	const char *category = NULL;
	const char *arg;
	int			r,
				rc = PGW_EXIT_OK,
				fail_on = PGW_SEV_ERROR;
	bool		stats = true;
	PGconn	   *conns[2] = {NULL, NULL};
	int			nconns = 0;
	struct pgw_model m;
	struct pgw_catalog_opts copts = {0};
	struct pgw_findings all,
				shown;
	struct pgw_progress prog;
	size_t		i,
				k,
				fixable = 0,
				count[4] = {0};

	opt_init(&p, argc, argv, opts, DOCTOR_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				strlist_release(&rules);
				return PGW_EXIT_USAGE;
			case OPT_RULE:
				strlist_add(&rules, arg);
				break;
			case OPT_CATEGORY:
				if (strcmp(arg, "performance") && strcmp(arg, "security") && strcmp(arg, "integrity"))
				{
					strlist_release(&rules);
					return opt_usage_error(&p, "categories: performance, security, integrity",
										   "unknown category '%s'", arg);
				}
				category = arg;
				break;
			case OPT_FAIL_ON:
				fail_on = severity_parse(arg);
				if (fail_on < 0)
				{
					strlist_release(&rules);
					return opt_usage_error(&p, "use error, warning or info", "unknown level '%s'", arg);
				}
				break;
			case OPT_NO_STATS:
				stats = false;
				break;
			case OPT_POSITIONAL:
				strlist_release(&rules);
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}

	for (nconns = 0; nconns < 2; nconns++)
	{
		conns[nconns] = ctx_connect(ctx, &rc);
		if (!conns[nconns])
		{
			if (nconns == 0)
			{
				strlist_release(&rules);
				return rc;
			}
			pgw_error_clear();
			rc = PGW_EXIT_OK;
			break;
		}
	}
	model_init(&m);
	copts.managed = &ctx->cfg.schemas;
	copts.tenant_column = ctx->cfg.tenant_column;
	progress_start(&prog, "reading the schema", 0);
	r = catalog_read(conns, nconns, &copts, &m, NULL);
	progress_finish(&prog);
	findings_init(&all);
	findings_init(&shown);
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
		r = validate_run(conns[0], &m, &vo, &all, &vres);
		progress_finish(&prog);
		for (i = 0; r == 0 && i < vres.skipped.n; i++)
			out_warning("data checks skipped for %s (more rows than 1,000,000; pgwarden validate --max-rows N checks them)",
						vres.skipped.items[i]);
		validate_result_release(&vres);
		if (r == 0)
			doctor_check_model(&m, &ctx->cfg, &all);
		if (r == 0 && stats)
		{
			progress_start(&prog, "reading the statistics", 0);
			r = doctor_check_stats(conns[0], &ctx->cfg, &all);
			progress_finish(&prog);
		}
	}
	for (i = 0; i < (size_t) nconns; i++)
		PQfinish(conns[i]);
	if (r != 0)
	{
		rc = out_fail();
		goto done;
	}
	findings_suppress(&all, (const char *const *) ctx->cfg.ignore.items, ctx->cfg.ignore.n);

	/* the findings asked for, in rank order */
	for (k = 0; k < 4; k++)
		for (i = 0; i < all.n; i++)
		{
			const struct pgw_finding *f = &all.items[i];
			struct pgw_finding *c;

			if (f->suppressed || !wanted(f, &rules, category) || strcmp(doctor_rank(f), ranks[k]) != 0)
				continue;
			c = findings_add(&shown, f->rule, f->severity, f->category, f->message);
			finding_set_object(&shown, c, f->object.kind, f->object.schema, f->object.name, f->object.column);
			if (f->detail)
				finding_set_detail(&shown, c, f->detail);
			if (f->hint)
				finding_set_hint(&shown, c, f->hint);
			if (f->has_fix)
				finding_set_fix(&shown, c, f->fix.action, f->fix.args, f->fix.nargs, f->fix.sql);
			count[k]++;
			if (f->has_fix)
				fixable++;
		}
	if (findings_count_at_least(&shown, (enum pgw_severity) fail_on) > 0)
		rc = PGW_EXIT_CHECK;

	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(rc == PGW_EXIT_OK);
		json_t	   *summary = findings_summary_json(&shown);
		json_t	   *jf = findings_to_json(&shown);

		for (k = 0; k < 4; k++)
			json_object_set_new(summary, ranks[k], json_integer((json_int_t) count[k]));
		json_object_set_new(summary, "fixable", json_integer((json_int_t) fixable));
		json_object_set_new(summary, "fail_on", json_string(severity_name((enum pgw_severity) fail_on)));
		for (i = 0; i < json_array_size(jf); i++)
			json_object_set_new(json_array_get(jf, i), "rank",
								json_string(doctor_rank(&shown.items[i])));
		json_object_set_new(doc, "summary", summary);
		json_object_set_new(doc, "findings", jf);
		out_json_emit(doc);
	}
	else
	{
		static const enum pgw_style styles[] = {PGW_STYLE_ERROR, PGW_STYLE_ERROR, PGW_STYLE_WARN, PGW_STYLE_INFO};

		out_printf("doctor: %s\n", ctx->target.display);
		for (k = 0; k < 4; k++)
		{
			if (!count[k])
				continue;
			const char *last_rule = "";

			out_printf("\n%s%s%s (%zu)\n", out_style(styles[k]), ranks[k], out_style_end(), count[k]);
			for (i = 0; i < shown.n; i++)
			{
				const struct pgw_finding *f = &shown.items[i];

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
				   count[0], count[1], count[2], count[3]);
		if (fixable)
			out_printf("%zu issue%s can be fixed by the SQL shown\n", fixable, fixable == 1 ? "" : "s");
		else if (shown.n == 0)
			out_printf("no problems found\n");
	}
done:
	findings_release(&all);
	findings_release(&shown);
	model_release(&m);
	strlist_release(&rules);
	return rc;
}
