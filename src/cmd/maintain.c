/*
 * maintain.c — `pgwarden maintain`: the retention rules of pgwarden.conf
 * deleted in batches, then VACUUM (ANALYZE) of the tables that need it
 * (docs/maintain.md).  A dry run (the default without --yes) counts what
 * would go and lists what would be vacuumed.  The work is in
 * maintain/maintain.h; this file parses options and renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/opt.h"
#include "commands.h"
#include "db/query.h"
#include "maintain/maintain.h"
#include "out/out.h"
#include "sql/quote.h"
#include "util/config.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/interrupt.h"
#include "util/mem.h"

#define MAINTAIN_USAGE "pgwarden maintain [--dry-run | --yes] [--table NAME]... [--no-retention] [--no-vacuum] [--full] [--pause DURATION] | maintain --schedule [--at CRON]"

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
	OPT_AT
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

static int
print_schedule(struct pgw_ctx *ctx, const char *at)
{
	struct pgw_buf line;
	char	   *cmd = NULL;

	buf_init(&line);
	buf_printf(&line, "%s cd ", at);
	sql_literal(&line, ctx->cfg.root);	/* single quotes, as sh wants them */
	buf_append(&line, " && pgwarden maintain --yes");
	if (ctx->env)
		buf_printf(&line, " --env %s", ctx->env);
	buf_append(&line, " >> .pgwarden/maintain.log 2>&1");
	cmd = buf_steal(&line);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "crontab", json_string(cmd));
		json_object_set_new(doc, "summary", json_pack("{s:i}", "rules", (int) ctx->cfg.nretentions));
		out_json_emit(doc);
	}
	else
	{
		out_printf("# crontab line (crontab -e); the database comes from DATABASE_URL or --env,\n"
				   "# never from this line: set it in the crontab's environment\n");
		out_printf("%s\n", cmd);
	}
	free(cmd);
	return PGW_EXIT_OK;
}

int
cmd_maintain(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"at", 0, true, OPT_AT},
		{"dry-run", 'n', false, OPT_DRY_RUN},
		{"full", 0, false, OPT_FULL},
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
	bool		yes = false,
				dry_flag = false,
				no_ret = false,
				no_vac = false,
				full = false,
				schedule = false,
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
	if (schedule)
	{
		strlist_release(&only);
		if (yes || dry_flag || no_ret || no_vac || full)
			return opt_usage_error(&p, NULL, "--schedule takes only --at");
		return print_schedule(ctx, at);
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
