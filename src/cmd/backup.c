/*
 * backup.c — `pgwarden backup`: a pg_dump archive of the target with its
 * manifest, optionally verified by restoring it into the local sandbox;
 * `backup list` shows the backups (docs/backup.md).  The work is in
 * backup/backup.h; this file parses options and renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup/backup.h"
#include "cmd/opt.h"
#include "commands.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define BACKUP_USAGE "pgwarden backup [--out DIR] [--schema-only] [--jobs N] [--verify] [--keep N] | backup list [--out DIR]"

enum
{
	OPT_OUT = 1,
	OPT_SCHEMA_ONLY,
	OPT_VERIFY,
	OPT_KEEP,
	OPT_JOBS
};

static json_t *
jcopy(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

static const char *
jstr(json_t *o, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : def;
}

/* "3 min", "2 h", "5 d" since an ISO 8601 UTC time (caller frees) */
static char *
age_of(const char *iso)
{
	struct tm	tm;
	time_t		then,
				now = time(NULL);
	long long	s;

	memset(&tm, 0, sizeof(tm));
	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return pgw_strdup("?");
	then = timegm(&tm);
	s = (long long) difftime(now, then);
	if (s < 0)
		s = 0;
	if (s < 120)
		return pgw_asprintf("%lld s", s);
	if (s < 7200)
		return pgw_asprintf("%lld min", s / 60);
	if (s < 172800)
		return pgw_asprintf("%lld h", s / 3600);
	return pgw_asprintf("%lld d", s / 86400);
}

static int
backup_list(struct pgw_ctx *ctx, const char *dir)
{
	struct pgw_strlist names = {0};
	json_t	   *list = json_array();
	int			rc = PGW_EXIT_OK;

	if (backup_list_names(dir, &names) != 0)
	{
		json_decref(list);
		return out_fail();
	}
	for (size_t i = 0; i < names.n; i++)
	{
		char	   *path = fs_join(dir, names.items[i]);
		char	   *mpath = fs_join(path, "manifest.json");
		json_t	   *m = json_load_file(mpath, 0, NULL);
		json_t	   *e = json_object();
		json_t	   *arch = json_object_get(m, "archive");

		json_object_set_new(e, "name", json_string(names.items[i]));
		json_object_set_new(e, "path", json_string(path));
		json_object_set_new(e, "created_at", jcopy(json_object_get(m, "created_at")));
		json_object_set_new(e, "bytes", jcopy(json_object_get(arch, "bytes")));
		json_object_set_new(e, "target", jcopy(json_object_get(m, "target")));
		json_object_set_new(e, "reason", jcopy(json_object_get(m, "reason")));
		json_object_set_new(e, "schema_only", json_boolean(json_is_true(json_object_get(m, "schema_only"))));
		json_object_set_new(e, "verified", json_boolean(json_is_true(json_object_get(json_object_get(m, "verified"), "ok"))));
		json_array_append_new(list, e);
		json_decref(m);
		free(mpath);
		free(path);
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "dir", json_string(dir));
		json_object_set_new(doc, "backups", list);
		json_object_set_new(doc, "summary", json_pack("{s:I}", "backups", (json_int_t) names.n));
		out_json_emit(doc);
	}
	else
	{
		char	   *shown = ctx_project_path(ctx, dir);
		size_t		i;
		json_t	   *e;

		if (names.n == 0)
			out_printf("no backups in %s\n", shown);
		else
		{
			out_printf("%-36s %10s %8s  %-8s %s\n", "BACKUP", "SIZE", "AGE", "VERIFIED", "TARGET (REASON)");
			json_array_foreach(list, i, e)
			{
				char	   *size = out_bytes((unsigned long long) json_integer_value(json_object_get(e, "bytes")));
				char	   *age = age_of(json_string_value(json_object_get(e, "created_at")));
				const char *reason = json_string_value(json_object_get(e, "reason"));

				out_printf("%-36s %10s %8s  %-8s %s%s%s%s\n", json_string_value(json_object_get(e, "name")),
						   size, age, json_is_true(json_object_get(e, "verified")) ? "yes" : "no",
						   jstr(e, "target", "?"),
						   reason && strcmp(reason, "manual") ? " (" : "",
						   reason && strcmp(reason, "manual") ? reason : "",
						   reason && strcmp(reason, "manual") ? ")" : "");
				free(size);
				free(age);
			}
			out_printf("%zu backup%s in %s\n", names.n, names.n == 1 ? "" : "s", shown);
		}
		free(shown);
		json_decref(list);
	}
	strlist_release(&names);
	return rc;
}

int
cmd_backup(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"jobs", 'j', true, OPT_JOBS},
		{"keep", 0, true, OPT_KEEP},
		{"out", 'o', true, OPT_OUT},
		{"schema-only", 0, false, OPT_SCHEMA_ONLY},
		{"verify", 0, false, OPT_VERIFY},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	struct pgw_backup_opts o;
	struct pgw_backup_result r;
	struct pgw_strlist removed = {0};
	bool		list = false;
	long		keep = ctx->cfg.backup_keep,
				jobs = 1;
	char	   *dir = NULL;
	PGconn	   *conn;
	int			rc = PGW_EXIT_OK;
	int			x;

	memset(&o, 0, sizeof(o));
	opt_init(&p, argc, argv, opts, BACKUP_USAGE);
	while ((x = opt_next(&p, &arg)) != OPT_END)
	{
		switch (x)
		{
			case OPT_ERROR:
				free(dir);
				return PGW_EXIT_USAGE;
			case OPT_OUT:
				free(dir);
				dir = fs_absolute(arg);
				break;
			case OPT_SCHEMA_ONLY:
				o.schema_only = true;
				break;
			case OPT_VERIFY:
				o.verify = true;
				break;
			case OPT_KEEP:
				if (!opt_int(&p, "keep", arg, 1, 100000, &keep))
				{
					free(dir);
					return PGW_EXIT_USAGE;
				}
				break;
			case OPT_JOBS:
				if (!opt_int(&p, "jobs", arg, 1, 64, &jobs))
				{
					free(dir);
					return PGW_EXIT_USAGE;
				}
				break;
			case OPT_POSITIONAL:
				if (strcmp(arg, "list") == 0 && !list)
				{
					list = true;
					break;
				}
				free(dir);
				return opt_usage_error(&p, "the only sub-command is 'list'", "unexpected argument '%s'", arg);
		}
	}
	if (!dir)
		dir = pgw_strdup(ctx->cfg.backup_dir);
	if (list)
	{
		if (o.schema_only || o.verify || jobs > 1 || keep != ctx->cfg.backup_keep)
		{
			free(dir);
			return opt_usage_error(&p, NULL, "'backup list' takes only --out");
		}
		rc = backup_list(ctx, dir);
		free(dir);
		return rc;
	}
	conn = ctx_connect(ctx, &rc);
	if (!conn)
	{
		free(dir);
		return rc;
	}
	o.parent = dir;
	o.jobs = (int) jobs;
	o.reason = "manual";
	o.progress = !out_is_json() && !out_is_quiet();
	if (o.verify && !out_is_json())
		out_note("the backup is restored into a sandbox to verify it");
	if (backup_create(conn, ctx->target.conninfo, ctx->target.display, &ctx->cfg, &o, &r) != 0)
	{
		PQfinish(conn);
		free(dir);
		return out_fail();
	}
	PQfinish(conn);
	if (!r.verify_failed && keep > 0 && backup_prune(dir, (int) keep, r.name, &removed) != 0)
	{
		/* the backup is made: a failed clean-up is a warning */
		out_warning("cannot remove old backups: %s", pgw_error_last()->message);
		pgw_error_clear();
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(!r.verify_failed);
		json_t	   *sum = json_object();
		json_t	   *diffs = json_array();

		for (size_t i = 0; i < r.differences.n; i++)
			json_array_append_new(diffs, json_string(r.differences.items[i]));
		json_object_set_new(sum, "path", r.verify_failed ? json_null() : json_string(r.path));
		json_object_set_new(sum, "bytes", json_integer((json_int_t) r.bytes));
		json_object_set_new(sum, "dump_ms", json_integer(r.dump_ms));
		json_object_set_new(sum, "total_ms", json_integer(r.total_ms));
		json_object_set_new(sum, "verified", json_boolean(r.verified));
		json_object_set_new(sum, "verify_ms", json_integer(r.verify_ms));
		json_object_set_new(doc, "summary", sum);
		json_object_set_new(doc, "manifest", json_incref(r.manifest));
		json_object_set_new(doc, "differences", diffs);
		json_object_set_new(doc, "removed", json_array());
		for (size_t i = 0; i < removed.n; i++)
			json_array_append_new(json_object_get(doc, "removed"), json_string(removed.items[i]));
		out_json_emit(doc);
	}
	else
	{
		json_t	   *m = r.manifest;
		json_t	   *totals = json_object_get(m, "totals");
		json_t	   *last = json_object_get(m, "last_migration");
		char	   *size = out_bytes(r.bytes);
		char	   *shown = ctx_project_path(ctx, r.path);

		if (r.verify_failed)
		{
			out_printf("%sbackup failed verification%s: the archive restored into a sandbox differs\n",
					   out_style(PGW_STYLE_ERROR), out_style_end());
			for (size_t i = 0; i < r.differences.n; i++)
				out_printf("  %s\n", r.differences.items[i]);
			out_printf("no backup was kept\n");
		}
		else
		{
			out_printf("backup: %s\n", shown);
			out_printf("  archive: %s, %s (%s), sha256 %.16s…\n",
					   json_string_value(json_object_get(json_object_get(m, "archive"), "file")),
					   json_string_value(json_object_get(json_object_get(m, "archive"), "format")), size,
					   json_string_value(json_object_get(json_object_get(m, "archive"), "sha256")));
			out_printf("  target: %s (PostgreSQL %s, pg_dump %s)\n", ctx->target.display,
					   json_string_value(json_object_get(m, "server_version")),
					   json_string_value(json_object_get(m, "pg_dump_version")));
			out_printf("  contents: %lld tables, %lld rows%s; schema %.16s…; last migration %s\n",
					   (long long) json_integer_value(json_object_get(totals, "tables")),
					   (long long) json_integer_value(json_object_get(totals, "rows")),
					   o.schema_only ? " (schema only: no rows in the archive)" : "",
					   json_string_value(json_object_get(json_object_get(m, "schema"), "fingerprint")),
					   json_is_object(last) ? json_string_value(json_object_get(last, "version")) : "none");
			out_printf("  time: pg_dump %.1f s, total %.1f s\n", r.dump_ms / 1000.0, r.total_ms / 1000.0);
			if (r.verified)
				out_printf("  %sverified%s: restored into a sandbox, schema and row counts match (%.1f s)\n",
						   out_style(PGW_STYLE_OK), out_style_end(), r.verify_ms / 1000.0);
			for (size_t i = 0; i < removed.n; i++)
				out_printf("  removed old backup %s (--keep %ld)\n", removed.items[i], keep);
		}
		free(size);
		free(shown);
	}
	if (r.verify_failed)
		rc = PGW_EXIT_CHECK;
	strlist_release(&removed);
	backup_result_release(&r);
	free(dir);
	return rc;
}
