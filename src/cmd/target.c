/*
 * target.c — `pgwarden target`: which database the other commands would
 * use, where that choice came from, and whether it answers.  The quickest
 * check an agent or a CI job can make before doing real work.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/opt.h"
#include "util/exitcode.h"
#include "commands.h"
#include "out/out.h"
#include "out/progress.h"
#include "util/error.h"
#include "util/mem.h"

#define TARGET_USAGE "pgwarden target [--no-check]"

enum
{
	OPT_NO_CHECK = 1
};

int
cmd_target(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"no-check", 0, false, OPT_NO_CHECK},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	bool		check = true;
	int			r;
	int			rc;
	PGconn	   *conn;
	PGresult   *res;
	int64_t		t0;
	double		ms;
	json_t	   *summary;

	opt_init(&p, argc, argv, opts, TARGET_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		if (r == OPT_ERROR)
			return PGW_EXIT_USAGE;
		if (r == OPT_NO_CHECK)
			check = false;
		else
			return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
	}

	summary = json_object();
	if (!out_is_json())
	{
		out_printf("target: %s%s%s\n", out_style(PGW_STYLE_BOLD), ctx->target.display, out_style_end());
		out_printf("source: %s\n", ctx->target.source);
	}
	if (!check)
	{
		if (out_is_json())
		{
			json_t	   *doc = out_json_envelope(true);

			json_object_set_new(doc, "summary", summary);
			out_json_emit(doc);
		}
		else
			json_decref(summary);
		return PGW_EXIT_OK;
	}

	t0 = pgw_now_ms();
	conn = ctx_connect(ctx, &rc);
	if (!conn)
	{
		json_decref(summary);
		return rc;
	}
	res = PQexecParams(conn,
					   "SELECT current_user, current_database(), "
					   "  (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), "
					   "  pg_catalog.to_regnamespace('auth') IS NOT NULL "
					   "    AND pg_catalog.to_regnamespace('storage') IS NOT NULL, "
					   "  pg_catalog.current_setting('server_version'), "
					   "  pg_catalog.pg_is_in_recovery()",
					   0, NULL, NULL, NULL, NULL, 0);
	ms = (double) (pgw_now_ms() - t0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "connected to %s, but a catalog query failed", ctx->target.display);
		pgw_error_detail("%s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		json_decref(summary);
		return out_fail();
	}
	{
		const char *user = PQgetvalue(res, 0, 0);
		const char *db = PQgetvalue(res, 0, 1);
		bool		super = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
		bool		supa = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
		const char *version = PQgetvalue(res, 0, 4);
		bool		standby = strcmp(PQgetvalue(res, 0, 5), "t") == 0;

		json_object_set_new(summary, "reachable", json_true());
		json_object_set_new(summary, "server_version", json_string(version));
		json_object_set_new(summary, "user", json_string(user));
		json_object_set_new(summary, "superuser", json_boolean(super));
		json_object_set_new(summary, "database", json_string(db));
		json_object_set_new(summary, "supabase", json_boolean(supa));
		json_object_set_new(summary, "standby", json_boolean(standby));
		json_object_set_new(summary, "connect_ms", json_integer((json_int_t) ms));
		if (!out_is_json())
		{
			out_printf("server: PostgreSQL %s%s\n", version, standby ? " (standby, read-only)" : "");
			out_printf("user:   %s%s · database %s\n", user, super ? " (superuser)" : "", db);
			out_printf("flavour: %s\n", supa ? "Supabase (auth and storage schemas present)" : "plain PostgreSQL");
			out_printf("%sok%s (connected in %.0f ms)\n", out_style(PGW_STYLE_OK), out_style_end(), ms);
		}
	}
	PQclear(res);
	PQfinish(conn);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "summary", summary);
		out_json_emit(doc);
	}
	else
		json_decref(summary);
	return PGW_EXIT_OK;
}
