/*
 * maintain.c — `pgwarden maintain`: the retention rules of pgwarden.conf
 * deleted in batches, then VACUUM (ANALYZE) of the tables that need it
 * (docs/maintain.md).  A dry run (the default without --yes) counts what
 * would go and lists what would be vacuumed.  The work is in
 * maintain/maintain.h; this file parses options and renders.
 * --install-functions writes the migration of maintain/functions.h;
 * --schedule prints pg_cron statements when the target has pg_cron and
 * the functions are installed, a crontab line otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/opt.h"
#include "commands.h"
#include "db/query.h"
#include "maintain/functions.h"
#include "maintain/maintain.h"
#include "migrate/files.h"
#include "out/out.h"
#include "sql/quote.h"
#include "util/config.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"

#define MAINTAIN_USAGE "pgwarden maintain [--dry-run | --yes] [--table NAME]... [--no-retention] [--no-vacuum] [--full] [--pause DURATION] | maintain --schedule [--at CRON] [--table NAME]... | maintain --install-functions [--name NAME]"

enum
{
	OPT_DRY_RUN = 1,
	OPT_YES,
	OPT_TABLE,
	OPT_NO_RETENTION,
	OPT_NO_VACUUM,
	OPT_FULL,
	OPT_PAUSE,
	OPT_SCHEDULE,
	OPT_AT,
	OPT_INSTALL_FUNCTIONS,
	OPT_NAME
};

static void
on_batch(const struct pgw_ret_table *t, void *arg)
{
	(void) arg;
	out_verbose("%s.%s: batch %d committed, %lld rows deleted so far", t->schema, t->name, t->batches,
				t->deleted);
}

static char *
age_text(long long s)
{
	if (s % 86400 == 0 && s > 0)
		return pgw_asprintf("%lld d", s / 86400);
	if (s % 3600 == 0 && s > 0)
		return pgw_asprintf("%lld h", s / 3600);
	if (s % 60 == 0 && s > 0)
		return pgw_asprintf("%lld min", s / 60);
	return pgw_asprintf("%lld s", s);
}

static json_t *
retention_json(const struct pgw_ret_table *t, bool dry)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "rule", json_string(t->rule->table));
	json_object_set_new(o, "schema", json_string(t->schema));
	json_object_set_new(o, "table", json_string(t->name));
	json_object_set_new(o, "column", json_string(t->rule->column));
	json_object_set_new(o, "keep_s", json_integer(t->rule->keep_s));
	json_object_set_new(o, "where", t->rule->where ? json_string(t->rule->where) : json_null());
	json_object_set_new(o, "batch", json_integer(t->rule->batch));
	json_object_set_new(o, "cutoff", json_string(t->cutoff));
	json_object_set_new(o, "matching", json_integer(t->matching));
	json_object_set_new(o, "deleted", json_integer(dry ? 0 : t->deleted));
	json_object_set_new(o, "batches", json_integer(dry ? (t->matching + t->rule->batch - 1) / t->rule->batch
												  : t->batches));
	json_object_set_new(o, "largest_batch", json_integer(t->largest_batch));
	json_object_set_new(o, "lock_retries", json_integer(t->lock_retries));
	json_object_set_new(o, "ms", json_integer(t->ms));
	json_object_set_new(o, "finished", json_boolean(!dry && t->finished));
	return o;
}

static void
print_retention(const struct pgw_ret_table *t, size_t n, bool dry)
{
	out_printf("retention%s:\n", dry ? " (dry run: nothing deleted; --yes deletes)" : "");
	if (n == 0)
		out_printf("  no rules: add [retention \"TABLE\"] sections to pgwarden.conf\n");
	for (size_t i = 0; i < n; i++)
	{
		char	   *keep = age_text(t[i].rule->keep_s);

		if (dry)
			out_printf("  %s.%s: %lld rows would go (%s older than %s%s%s), %lld batches of %d\n",
					   t[i].schema, t[i].name, t[i].matching, t[i].rule->column, keep,
					   t[i].rule->where ? ", where " : "", t[i].rule->where ? t[i].rule->where : "",
					   (t[i].matching + t[i].rule->batch - 1) / t[i].rule->batch, t[i].rule->batch);
		else
			out_printf("  %s.%s: %lld rows deleted in %d batch%s (at most %d rows each), %.1f s%s\n",
					   t[i].schema, t[i].name, t[i].deleted, t[i].batches, t[i].batches == 1 ? "" : "es",
					   t[i].rule->batch, t[i].ms / 1000.0,
					   t[i].finished ? "" : (t[i].cutoff ? " — stopped: run again to resume" : ""));
		free(keep);
	}
}

static void
print_vacuum(json_t *rows, bool dry, bool full)
{
	size_t		i;
	json_t	   *r;

	out_printf("vacuum%s:\n", dry ? " (dry run)" : "");
	if (json_array_size(rows) == 0)
		out_printf("  no table needs it\n");
	json_array_foreach(rows, i, r)
	{
		struct pgw_buf why,
					pre;
		size_t		j;
		json_t	   *x;
		const char *state = json_string_value(json_object_get(r, "result"));

		buf_init(&why);
		buf_init(&pre);
		json_array_foreach(json_object_get(r, "reasons"), j, x)
			buf_printf(&why, "%s%s", j ? ", " : "", json_string_value(x));
		json_t	   *rd = json_object_get(r, "retention_deleted");

		if (json_integer_value(rd) > 0)
			buf_printf(&pre, "%lld rows deleted by retention; ", (long long) json_integer_value(rd));
		out_printf("  %s.%s: %s%lld dead rows (%.1f%%), last vacuum %s, xid age %lld — %s: %s\n",
				   json_string_value(json_object_get(r, "schema")), json_string_value(json_object_get(r, "table")),
				   pre.data,
				   (long long) json_integer_value(json_object_get(r, "dead_rows")),
				   json_real_value(json_object_get(r, "dead_pct")),
				   json_string_value(json_object_get(r, "last_vacuum")),
				   (long long) json_integer_value(json_object_get(r, "xid_age")), why.data,
				   dry ? (full ? "would VACUUM (FULL, ANALYZE)" : "would VACUUM (ANALYZE)") : state);
		buf_release(&why);
		buf_release(&pre);
	}
}

/* What the target offers for scheduling, by one query: whether pg_cron
 * can be created (or is), whether run_retention() is installed, and the
 * database pg_cron runs its jobs in.  false when it cannot be asked. */
struct cron_probe
{
	bool		asked;
	bool		available;
	bool		installed;
	bool		functions;
	char	   *cron_db;		/* cron.database_name, or NULL */
	char	   *db;				/* current_database() */
};

static void
probe_cron(struct pgw_ctx *ctx, struct cron_probe *c)
{
	PGconn	   *conn = NULL;
	PGresult   *res;

	memset(c, 0, sizeof(*c));
	/* quietly: a schedule can be printed without the database */
	if (db_connect(&ctx->target, &conn) != 0)
	{
		pgw_error_clear();
		return;
	}
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot look for pg_cron",
				  "SELECT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pg_cron'),"
				  " EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'),"
				  " pg_catalog.to_regprocedure('pgwarden.run_retention(text, integer)') IS NOT NULL,"
				  " pg_catalog.current_setting('cron.database_name', true), pg_catalog.current_database()",
				  0, NULL, PGRES_TUPLES_OK);
	if (res)
	{
		c->asked = true;
		c->available = !strcmp(PQgetvalue(res, 0, 0), "t");
		c->installed = !strcmp(PQgetvalue(res, 0, 1), "t");
		c->functions = !strcmp(PQgetvalue(res, 0, 2), "t");
		c->cron_db = PQgetisnull(res, 0, 3) || !*PQgetvalue(res, 0, 3) ? NULL : pgw_strdup(PQgetvalue(res, 0, 3));
		c->db = pgw_strdup(PQgetvalue(res, 0, 4));
		PQclear(res);
	}
	else
		pgw_error_clear();
	db_close(conn);
}

/* One cron.schedule statement per rule (schedule_in_database when the
 * target is not the database pg_cron runs in). */
static void
cron_statements(const struct pgw_ctx *ctx, const struct cron_probe *c, const char *at,
				const struct pgw_strlist *only, json_t *list, struct pgw_buf *text)
{
	bool		here = !c->cron_db || !strcmp(c->cron_db, c->db);

	for (size_t i = 0; i < ctx->cfg.nretentions; i++)
	{
		const char *rule = ctx->cfg.retentions[i].table;
		char	   *cmd;
		char	   *job;
		struct pgw_buf b;

		if (only->n > 0 && !strlist_contains(only, rule))
			continue;
		cmd = maintain_functions_cron_command(rule);
		job = pgw_asprintf("pgwarden-retention-%s", rule);
		buf_init(&b);
		buf_append(&b, here ? "SELECT cron.schedule(" : "SELECT cron.schedule_in_database(");
		sql_literal(&b, job);
		buf_append(&b, ", ");
		sql_literal(&b, at);
		buf_append(&b, ", ");
		sql_literal(&b, cmd);
		if (!here)
		{
			buf_append(&b, ", ");
			sql_literal(&b, c->db);
		}
		buf_append(&b, ");");
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s}", "rule", rule, "job", job,
											  "schedule", at, "command", cmd, "sql", b.data));
		buf_printf(text, "%s\n", b.data);
		buf_release(&b);
		free(cmd);
		free(job);
	}
}

static int
print_schedule(struct pgw_ctx *ctx, const char *at, const struct pgw_strlist *only)
{
	struct pgw_buf line,
				stmts;
	char	   *cmd = NULL;
	struct cron_probe c;
	const char *why;
	bool		cron;
	json_t	   *list = json_array();

	for (size_t i = 0; i < only->n; i++)
	{
		bool		found = false;

		for (size_t j = 0; j < ctx->cfg.nretentions && !found; j++)
			found = !strcmp(ctx->cfg.retentions[j].table, only->items[i]);
		if (!found)
		{
			json_decref(list);
			pgw_error(PGW_ERR_INPUT, "no retention rule for table '%s'", only->items[i]);
			pgw_error_hint("rules are [retention \"TABLE\"] sections in pgwarden.conf");
			return out_fail();
		}
	}
	probe_cron(ctx, &c);
	cron = c.available && c.functions && ctx->cfg.nretentions > 0;
	why = !c.asked ? "the database could not be asked whether it has pg_cron"
		: !c.available ? "pg_cron is not available on the database"
		: !c.functions ? "pg_cron is available, but pgwarden.run_retention() is not installed "
		"(maintain --install-functions, then migrate up)"
		: ctx->cfg.nretentions == 0 ? "there are no retention rules"
		: c.installed ? "pg_cron is installed and pgwarden.run_retention() is there"
		: "pg_cron is available (CREATE EXTENSION pg_cron first) and pgwarden.run_retention() is there";

	buf_init(&line);
	buf_init(&stmts);
	buf_printf(&line, "%s cd ", at);
	sql_literal(&line, ctx->cfg.root);	/* single quotes, as sh wants them */
	buf_append(&line, " && pgwarden maintain --yes");
	if (ctx->env)
		buf_printf(&line, " --env %s", ctx->env);
	for (size_t i = 0; i < only->n; i++)
	{
		buf_append(&line, " --table ");
		sql_literal(&line, only->items[i]);
	}
	buf_append(&line, " >> .pgwarden/maintain.log 2>&1");
	cmd = buf_steal(&line);
	if (cron)
		cron_statements(ctx, &c, at, only, list, &stmts);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "scheduler", json_string(cron ? "pg_cron" : "crontab"));
		json_object_set_new(doc, "reason", json_string(why));
		json_object_set_new(doc, "crontab", cron ? json_null() : json_string(cmd));
		json_object_set_new(doc, "pg_cron", list);
		list = NULL;
		json_object_set_new(doc, "summary", json_pack("{s:i,s:b,s:b}", "rules", (int) ctx->cfg.nretentions,
													  "pg_cron_available", c.available,
													  "functions_installed", c.functions));
		out_json_emit(doc);
	}
	else if (cron)
	{
		out_printf("# pg_cron: %s.\n"
				   "# Run these in the database; each job deletes one rule's rows in batches\n"
				   "# inside one transaction (pgwarden.run_retention); VACUUM is left to\n"
				   "# autovacuum.  pgwarden maintain --yes from cron does the same with a\n"
				   "# transaction per batch.\n", why);
		if (!c.installed)
			out_printf("CREATE EXTENSION IF NOT EXISTS pg_cron;\n");
		out_printf("%s", stmts.data);
	}
	else
	{
		out_printf("# crontab line (crontab -e): %s.\n"
				   "# The database comes from DATABASE_URL or --env, never from this line:\n"
				   "# set it in the crontab's environment.\n", why);
		out_printf("%s\n", cmd);
	}
	json_decref(list);
	buf_release(&stmts);
	free(cmd);
	free(c.cron_db);
	free(c.db);
	return PGW_EXIT_OK;
}

/* Writes the migration of maintain/functions.h into the migrations folder. */
static int
install_functions(struct pgw_ctx *ctx, const char *name)
{
	struct pgw_buf up,
				down,
				text;
	char	   *up_path = NULL,
			   *down_path = NULL;
	int			rc;

	if (migrations_create(ctx->cfg.migrations_dir, name, &up_path, &down_path) != 0)
		return out_fail();
	buf_init(&up);
	buf_init(&down);
	buf_init(&text);
	maintain_functions_sql(&ctx->cfg, &up, &down);
	buf_printf(&text, "-- Generated by `pgwarden maintain --install-functions`.\n"
			   "-- What: health's figures and the %zu retention rule%s of pgwarden.conf as\n"
			   "-- functions in the pgwarden schema, EXECUTE granted to %s only.\n"
			   "-- Runs in one transaction (pgwarden migrate up).  docs/maintain.md\n\n%s",
			   ctx->cfg.nretentions, ctx->cfg.nretentions == 1 ? "" : "s", ctx->cfg.maintain_monitor_role, up.data);
	rc = fs_write_file(up_path, text.data, text.len, 0644);
	if (rc == 0)
	{
		buf_reset(&text);
		buf_printf(&text, "-- Generated by `pgwarden maintain --install-functions`.\n"
				   "-- Undoes the migration of the same version (pgwarden migrate down).\n\n%s", down.data);
		rc = fs_write_file(down_path, text.data, text.len, 0644);
	}
	if (rc != 0)
	{
		/* never leave half a pair behind */
		unlink(up_path);
		unlink(down_path);
	}
	else
	{
		char	   *du = ctx_project_path(ctx, up_path);
		char	   *dd = ctx_project_path(ctx, down_path);

		if (out_is_json())
		{
			json_t	   *doc = out_json_envelope(true);

			json_object_set_new(doc, "up", json_string(du));
			json_object_set_new(doc, "down", json_string(dd));
			json_object_set_new(doc, "summary", json_pack("{s:i,s:s}", "rules", (int) ctx->cfg.nretentions,
														  "monitor_role", ctx->cfg.maintain_monitor_role));
			out_json_emit(doc);
		}
		else
			out_printf("wrote %s\n      %s\napply it with: pgwarden migrate up\n", du, dd);
		free(du);
		free(dd);
	}
	buf_release(&up);
	buf_release(&down);
	buf_release(&text);
	free(up_path);
	free(down_path);
	return rc == 0 ? PGW_EXIT_OK : out_fail();
}

int
cmd_maintain(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"at", 0, true, OPT_AT},
		{"dry-run", 'n', false, OPT_DRY_RUN},
		{"full", 0, false, OPT_FULL},
		{"install-functions", 0, false, OPT_INSTALL_FUNCTIONS},
		{"name", 0, true, OPT_NAME},
		{"no-retention", 0, false, OPT_NO_RETENTION},
		{"no-vacuum", 0, false, OPT_NO_VACUUM},
		{"pause", 0, true, OPT_PAUSE},
		{"schedule", 0, false, OPT_SCHEDULE},
		{"table", 't', true, OPT_TABLE},
		{"yes", 'y', false, OPT_YES},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *at = "0 2 * * *";
	const char *name = NULL;
	bool		yes = false,
				dry_flag = false,
				no_ret = false,
				no_vac = false,
				full = false,
				schedule = false,
				install = false,
				at_set = false,
				failed = false,
				dry;
	int			pause_ms = ctx->cfg.maintain_pause_ms;
	struct pgw_strlist only = {0};
	struct pgw_strlist touched = {0};
	struct pgw_ret_table *tables = NULL;
	size_t		ntables = 0;
	json_t	   *vac = NULL;
	json_t	   *doc = NULL;
	long long	matching = 0,
				deleted = 0,
				batches = 0;
	int			vacuumed = 0,
				skipped = 0;
	PGconn	   *conn;
	int			rc = PGW_EXIT_OK;
	int			x;

	opt_init(&p, argc, argv, opts, MAINTAIN_USAGE);
	while ((x = opt_next(&p, &arg)) != OPT_END)
	{
		switch (x)
		{
			case OPT_ERROR:
				strlist_release(&only);
				return PGW_EXIT_USAGE;
			case OPT_DRY_RUN:
				dry_flag = true;
				break;
			case OPT_YES:
				yes = true;
				break;
			case OPT_TABLE:
				strlist_add(&only, arg);
				break;
			case OPT_NO_RETENTION:
				no_ret = true;
				break;
			case OPT_NO_VACUUM:
				no_vac = true;
				break;
			case OPT_FULL:
				full = true;
				break;
			case OPT_SCHEDULE:
				schedule = true;
				break;
			case OPT_INSTALL_FUNCTIONS:
				install = true;
				break;
			case OPT_NAME:
				name = arg;
				break;
			case OPT_AT:
				at = arg;
				at_set = true;
				break;
			case OPT_PAUSE:
				if (!config_parse_duration(arg, &pause_ms))
				{
					strlist_release(&only);
					return opt_usage_error(&p, "e.g. --pause 100ms, --pause 1s, --pause 0",
										   "'%s' is not a duration for --pause", arg);
				}
				break;
			case OPT_POSITIONAL:
				strlist_release(&only);
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (yes && dry_flag)
	{
		strlist_release(&only);
		return opt_usage_error(&p, NULL, "--yes and --dry-run contradict each other");
	}
	if (no_ret && no_vac)
	{
		strlist_release(&only);
		return opt_usage_error(&p, NULL, "--no-retention and --no-vacuum leave nothing to do");
	}
	if (at_set && !schedule)
	{
		strlist_release(&only);
		return opt_usage_error(&p, NULL, "--at goes with --schedule");
	}
	if (name && !install)
	{
		strlist_release(&only);
		return opt_usage_error(&p, NULL, "--name goes with --install-functions");
	}
	if (install)
	{
		strlist_release(&only);
		if (schedule || yes || dry_flag || no_ret || no_vac || full || at_set || only.n > 0)
			return opt_usage_error(&p, NULL, "--install-functions takes only --name");
		return install_functions(ctx, name ? name : "pgwarden_functions");
	}
	if (schedule)
	{
		if (yes || dry_flag || no_ret || no_vac || full)
		{
			strlist_release(&only);
			return opt_usage_error(&p, NULL, "--schedule takes only --at and --table");
		}
		rc = print_schedule(ctx, at, &only);
		strlist_release(&only);
		return rc;
	}
	dry = !yes;
	conn = ctx_connect(ctx, &rc);
	if (!conn)
	{
		strlist_release(&only);
		return rc;
	}
	if (!no_ret && maintain_resolve(conn, &ctx->cfg, &only, &tables, &ntables) != 0)
	{
		failed = true;
		goto done;
	}
	for (size_t i = 0; i < ntables; i++)
		matching += tables[i].matching;
	if (!dry)
	{
		for (size_t i = 0; i < ntables; i++)
		{
			int			r = maintain_retention_run(conn, &ctx->cfg, &tables[i], pause_ms, on_batch, NULL);

			deleted += tables[i].deleted;
			batches += tables[i].batches;
			if (tables[i].deleted > 0)
			{
				char	   *q = pgw_asprintf("%s.%s", tables[i].schema, tables[i].name);

				strlist_add(&touched, q);
				free(q);
			}
			if (r != 0)
			{
				failed = true;
				goto done;
			}
		}
	}
	if (!no_vac)
	{
		size_t		i;
		json_t	   *r;

		if (maintain_vacuum_candidates(conn, &ctx->cfg, &touched, &vac) != 0)
		{
			failed = true;
			goto done;
		}
		json_array_foreach(vac, i, r)
		{
			bool		busy = false;
			const char *schema = json_string_value(json_object_get(r, "schema"));
			const char *table = json_string_value(json_object_get(r, "table"));

			/* this session's deletes reach the statistics views only
			 * after its next stats flush: say what retention did */
			for (size_t k = 0; k < ntables; k++)
				if (tables[k].schema && !strcmp(tables[k].schema, schema) && !strcmp(tables[k].name, table))
					json_object_set_new(r, "retention_deleted", json_integer(tables[k].deleted));

			if (dry)
			{
				json_object_set_new(r, "result", json_string("would vacuum"));
				continue;
			}
			if (interrupt_check() != 0)
			{
				failed = true;
				goto done;
			}
			if (maintain_vacuum_table(conn, &ctx->cfg, schema, table, full, &busy) != 0)
			{
				if (!busy)
				{
					failed = true;
					goto done;
				}
				/* a table someone holds stays for the next run */
				out_warning("%s.%s skipped: another session held a lock past lock_timeout", schema, table);
				pgw_error_clear();
				json_object_set_new(r, "result", json_string("skipped: lock_timeout"));
				skipped++;
				continue;
			}
			json_object_set_new(r, "result", json_string(full ? "VACUUM (FULL, ANALYZE) done"
														 : "VACUUM (ANALYZE) done"));
			vacuumed++;
		}
	}

done:
	if (out_is_json())
	{
		json_t	   *ret = json_array();

		for (size_t i = 0; i < ntables; i++)
			if (tables[i].cutoff)
				json_array_append_new(ret, retention_json(&tables[i], dry));
		doc = out_json_envelope(!failed);
		json_object_set_new(doc, "dry_run", json_boolean(dry));
		json_object_set_new(doc, "retention", ret);
		json_object_set_new(doc, "vacuum", vac ? json_incref(vac) : json_array());
		json_object_set_new(doc, "summary",
							json_pack("{s:i,s:I,s:I,s:I,s:i,s:i,s:i}", "rules", (int) ntables,
									  "matching", (json_int_t) matching, "deleted", (json_int_t) deleted,
									  "batches", (json_int_t) batches,
									  "vacuum_needed", (int) (vac ? json_array_size(vac) : 0),
									  "vacuumed", vacuumed, "vacuum_skipped", skipped));
	}
	else
	{
		if (!no_ret && tables && (!failed || deleted > 0 || batches > 0 || pgw_interrupted()))
			print_retention(tables, ntables, dry);
		if (vac)
			print_vacuum(vac, dry, full);
		if (dry && !failed)
			out_printf("dry run: nothing changed; run with --yes to delete and vacuum\n");
	}
	if (failed)
	{
		if (deleted > 0)
			pgw_error_hint("the %lld rows of the %lld whole batches before stay deleted; run again to resume",
						   deleted, batches);
		rc = out_is_json() ? out_fail_with(doc) : out_fail();
	}
	else if (doc)
		out_json_emit(doc);
	db_close(conn);
	json_decref(vac);
	maintain_tables_free(tables, ntables);
	strlist_release(&only);
	strlist_release(&touched);
	return rc;
}
