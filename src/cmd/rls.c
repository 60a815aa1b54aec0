/*
 * rls.c — `pgwarden rls test`: proves tenant isolation empirically
 * (docs/rls.md).  Reads the schema through catalog/, then runs the probes
 * of check/rlsprobe.c in one transaction that is always rolled back, and
 * reports per table and operation.  Exit 1 on any leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "check/rlsprobe.h"
#include "cmd/opt.h"
#include "commands.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/mem.h"

#define RLS_USAGE "pgwarden rls test [--table TABLE]"

enum
{
	OPT_TABLE = 1,
	OPT_NO_CACHE
};

static void
print_report(const struct pgw_rls_report *rep)
{
	size_t		w = 5;

	out_printf("as role %s%s%s in the context of tenant %s, against tenant %s\n",
			   out_style(PGW_STYLE_BOLD), rep->role, out_style_end(), rep->tenant_a, rep->tenant_b);
	if (rep->user_a)
		out_printf("Supabase: request.jwt.claims sub = %s, a member of that tenant\n", rep->user_a);
	out_printf("\n");
	for (size_t i = 0; i < rep->n; i++)
		if (strlen(rep->tables[i].table) > w)
			w = strlen(rep->tables[i].table);
	for (size_t i = 0; i < rep->n; i++)
	{
		const struct pgw_probe_table *t = &rep->tables[i];

		out_printf("%-*s ", (int) w + 1, t->table);
		for (int k = 0; k < PGW_PROBE_NOPS; k++)
		{
			enum pgw_probe_outcome o = t->ops[k].outcome;

			out_printf("%s%s %s%s%s", k ? ", " : "", pgw_probe_op_names[k],
					   out_style(o == PGW_PROBE_LEAKS ? PGW_STYLE_ERROR : o == PGW_PROBE_ISOLATED
								 ? PGW_STYLE_OK : PGW_STYLE_WARN),
					   probe_outcome_name(o), out_style_end());
		}
		out_printf("\n");
		for (int k = 0; k < PGW_PROBE_NOPS; k++)
			if (t->ops[k].outcome != PGW_PROBE_ISOLATED && t->ops[k].detail)
				out_printf("%-*s   %s %s — %s\n", (int) w + 1, "", pgw_probe_op_names[k],
						   probe_outcome_name(t->ops[k].outcome), t->ops[k].detail);
	}
	out_printf("\n%zu table%s, %d leak%s, %d inconclusive; everything was rolled back\n",
			   rep->n, rep->n == 1 ? "" : "s", rep->leaks, rep->leaks == 1 ? "" : "s", rep->inconclusive);
}

static json_t *
report_json(const struct pgw_rls_report *rep)
{
	json_t	   *doc = out_json_envelope(rep->leaks == 0);
	json_t	   *tables = json_array();

	for (size_t i = 0; i < rep->n; i++)
	{
		const struct pgw_probe_table *t = &rep->tables[i];
		json_t	   *jt = json_pack("{s:s, s:b}", "table", t->table, "probe_row", t->probe_row);

		for (int k = 0; k < PGW_PROBE_NOPS; k++)
		{
			json_t	   *op = json_pack("{s:s}", "result", probe_outcome_name(t->ops[k].outcome));
			char		key[16];

			if (t->ops[k].detail)
				json_object_set_new(op, "detail", json_string(t->ops[k].detail));
			snprintf(key, sizeof(key), "%s", pgw_probe_op_names[k]);
			for (char *c = key; *c; c++)
				*c = (char) (*c - 'A' + 'a');
			json_object_set_new(jt, key, op);
		}
		json_array_append_new(tables, jt);
	}
	json_object_set_new(doc, "summary", json_pack("{s:i, s:i, s:i}", "tables", (int) rep->n,
												  "leaks", rep->leaks, "inconclusive", rep->inconclusive));
	json_object_set_new(doc, "context", json_pack("{s:s, s:s, s:s, s:s?}", "role", rep->role,
												  "tenant", rep->tenant_a, "other_tenant", rep->tenant_b,
												  "user", rep->user_a));
	json_object_set_new(doc, "tables", tables);
	return doc;
}

int
cmd_rls(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"table", 't', true, OPT_TABLE},
		{"no-cache", 0, false, OPT_NO_CACHE},
		{NULL, 0, false, 0}
	};
	bool		no_cache = false;
	struct pgw_optparser p;
	const char *arg;
	const char *sub = NULL;
	const char *table = NULL;
	struct pgw_catalog_opts copts = {0};
	struct pgw_model model;
	struct pgw_rls_report rep;
	PGconn	   *conn;
	int			rc = PGW_EXIT_OK;
	int			r;

	opt_init(&p, argc, argv, opts, RLS_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_POSITIONAL:
				if (sub)
					return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
				sub = arg;
				break;
			case OPT_TABLE:
				table = arg;
				break;
			case OPT_NO_CACHE:
				no_cache = true;
				break;
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			default:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (!sub)
		return opt_usage_error(&p, "run 'pgwarden help rls'", "missing subcommand");
	if (strcmp(sub, "test") != 0)
		return opt_usage_error(&p, "run 'pgwarden help rls'", "unknown subcommand '%s'", sub);
	out_set_command("rls test");

	conn = ctx_connect(ctx, &rc);
	if (!conn)
		return rc;
	model_init(&model);
	copts.stable = true;
	copts.tenant_column = ctx->cfg.tenant_column;
	copts.managed = &ctx->cfg.schemas;
	if (!no_cache)
		copts.cache_dir = ctx_cache_dir(ctx);
	if (catalog_read(&conn, 1, &copts, &model, NULL) != 0)
	{
		pgw_error_prefix("cannot read the schema of %s", ctx->target.display);
		rc = out_fail();
	}
	else if (rls_probe_run(conn, &model, &ctx->cfg, table, &rep) != 0)
	{
		rc = out_fail();
		rls_report_release(&rep);
	}
	else
	{
		if (rep.leaks > 0)
			rc = PGW_EXIT_CHECK;
		if (out_is_json())
			out_json_emit(report_json(&rep));
		else
			print_report(&rep);
		rls_report_release(&rep);
	}
	PQfinish(conn);
	model_release(&model);
	return rc;
}
