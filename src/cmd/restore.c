/*
 * restore.c — `pgwarden restore BACKUP`: a backup made by `pgwarden
 * backup` put back with pg_restore (docs/restore.md).
 *
 * Before anything is touched the manifest is read and the archive checked
 * against its size and SHA-256.  The default destination is a new database
 * on the target's server (--create NAME, else <db>_restored_<stamp>);
 * --to URL names an existing database, which must be empty unless --clean
 * --yes is given — then a backup of what it holds is taken first.  A
 * single-job restore is one transaction, so a failure leaves the
 * destination as it was (a database made for it is dropped).  Afterwards
 * the restored schema and row counts are compared with the manifest: exit
 * 0 when they match, 1 when not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "cmd/opt.h"
#include "commands.h"
#include "db/query.h"
#include "out/out.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

#define RESTORE_USAGE "pgwarden restore BACKUP [--create NAME | --to URL [--clean --yes]] [--jobs N] [--no-owner]"

enum
{
	OPT_TO = 1,
	OPT_CREATE,
	OPT_CLEAN,
	OPT_YES,
	OPT_JOBS,
	OPT_NO_OWNER
};

/* user objects in conn's database: relations, functions, types outside
 * the system schemas and not an extension's, and schemas but public */
static const char objects_sql[] =
	"SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c"
	"   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	"   WHERE n.nspname !~ '^(pg_|information_schema$)'"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"     AND d.objid = c.oid AND d.deptype = 'e'))"
	" + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p"
	"   JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
	"   WHERE n.nspname !~ '^(pg_|information_schema$)'"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass"
	"     AND d.objid = p.oid AND d.deptype = 'e'))"
	" + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace n"
	"   WHERE n.nspname !~ '^(pg_|information_schema$)' AND n.nspname <> 'public'"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass"
	"     AND d.objid = n.oid AND d.deptype = 'e'))";

/* BACKUP as given: a folder, or the name of one under the backups folder */
static char *
backup_dir_of(const struct pgw_ctx *ctx, const char *arg)
{
	char	   *under;

	if (fs_is_dir(arg) || strchr(arg, '/'))
		return fs_absolute(arg);
	under = fs_join(ctx->cfg.backup_dir, arg);
	if (fs_is_dir(under))
		return under;
	free(under);
	return fs_absolute(arg);
}

static const char *
jstr(json_t *o, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : def;
}

static json_t *
strlist_to_json(const struct pgw_strlist *l)
{
	json_t	   *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->items[i]));
	return a;
}

/*
 * Drops the database this run created for the restore (a failed or
 * interrupted restore leaves nothing behind); the recorded error is kept and
 * its hint says so.
 */
static void
drop_created(PGconn *server, const char *name)
{
	struct pgw_err saved;
	struct pgw_buf sql;

	pgw_error_save(&saved);
	buf_init(&sql);
	buf_append(&sql, "DROP DATABASE IF EXISTS ");
	sql_ident(&sql, name);
	buf_append(&sql, " WITH (FORCE)");
	PQclear(PQexec(server, sql.data));
	buf_release(&sql);
	pgw_error_restore(&saved);
	pgw_error_hint("the database made for it was dropped; nothing else was touched");
}

int
cmd_restore(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"clean", 0, false, OPT_CLEAN},
		{"create", 0, true, OPT_CREATE},
		{"jobs", 'j', true, OPT_JOBS},
		{"no-owner", 0, false, OPT_NO_OWNER},
		{"to", 0, true, OPT_TO},
		{"yes", 'y', false, OPT_YES},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *backup_arg = NULL,
			   *to = NULL,
			   *create = NULL;
	bool		clean = false,
				yes = false,
				no_owner = false,
				created = false;
	long		jobs = 1;
	char	   *dir = NULL,
			   *dest_ci = NULL,
			   *dest_display = NULL,
			   *new_name = NULL;
	json_t	   *manifest = NULL;
	struct pgw_dumptools tools;
	struct pgw_strlist diffs = {0};
	struct pgw_backup_result pre;
	bool		have_pre = false;
	PGconn	   *server = NULL,
			   *dest = NULL;
	int			rc = PGW_EXIT_OK;
	int			x;

	memset(&pre, 0, sizeof(pre));
	opt_init(&p, argc, argv, opts, RESTORE_USAGE);
	while ((x = opt_next(&p, &arg)) != OPT_END)
	{
		switch (x)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_TO:
				to = arg;
				break;
			case OPT_CREATE:
				create = arg;
				break;
			case OPT_CLEAN:
				clean = true;
				break;
			case OPT_YES:
				yes = true;
				break;
			case OPT_NO_OWNER:
				no_owner = true;
				break;
			case OPT_JOBS:
				if (!opt_int(&p, "jobs", arg, 1, 64, &jobs))
					return PGW_EXIT_USAGE;
				break;
			case OPT_POSITIONAL:
				if (backup_arg)
					return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
				backup_arg = arg;
				break;
		}
	}
	if (!backup_arg)
		return opt_usage_error(&p, "'pgwarden backup list' shows the backups", "which backup? BACKUP is missing");
	if (to && create)
		return opt_usage_error(&p, NULL, "--to and --create cannot be used together");
	if (clean && !to)
		return opt_usage_error(&p, "a new database needs no --clean", "--clean needs --to URL");
	if (clean && !yes)
		return opt_usage_error(&p, "restoring over a database replaces its objects: add --yes",
							   "--clean needs --yes");
	if (clean && jobs > 1)
		return opt_usage_error(&p, NULL, "--clean runs as one transaction: it cannot use --jobs");

	/* 1. the backup itself, before anything is touched */
	dir = backup_dir_of(ctx, backup_arg);
	if (backup_check(dir, &manifest) != 0)
	{
		rc = out_fail();
		goto done;
	}

	/* 2. the server, and tools that can read the archive */
	if (to)
	{
		dest_ci = pgw_strdup(to);
		dest_display = conninfo_display(to);
		dest = db_open(to, PGW_ERR_CONNECT, dest_display);
		if (!dest)
		{
			rc = out_fail();
			goto done;
		}
		server = dest;
	}
	else
	{
		server = ctx_connect(ctx, &rc);
		if (!server)
			goto done;
	}
	{
		int			major = PQserverVersion(server) / 10000;
		int			dump_major = atoi(jstr(manifest, "pg_dump_version", "0"));

		if (backup_find_tools(&ctx->cfg, major > dump_major ? major : dump_major, &tools) != 0)
		{
			rc = out_fail();
			goto done;
		}
	}

	/* 3. the destination */
	if (to)
	{
		PGresult   *res = db_exec(dest, PGW_ERR_CONNECT, "cannot look at the destination database",
								  objects_sql, 0, NULL, PGRES_TUPLES_OK);
		long long	objects;

		if (!res)
		{
			rc = out_fail();
			goto done;
		}
		objects = atoll(PQgetvalue(res, 0, 0));
		PQclear(res);
		if (objects > 0 && !clean)
		{
			pgw_error(PGW_ERR_USAGE, "the database '%s' is not empty (%lld objects)", PQdb(dest), objects);
			pgw_error_hint("restore into a new database (leave out --to), or replace what it holds with "
						   "--clean --yes (a backup of it is taken first)");
			rc = out_fail();
			goto done;
		}
		if (objects > 0)
		{
			struct pgw_backup_opts bo;
			char	   *why = pgw_asprintf("before restore of %s", json_string_value(json_object_get(manifest, "name")));

			memset(&bo, 0, sizeof(bo));
			bo.reason = why;
			bo.jobs = 1;
			bo.progress = !out_is_json() && !out_is_quiet();
			if (!out_is_json())
				out_note("backing up what '%s' holds before replacing it", PQdb(dest));
			if (backup_create(dest, to, dest_display, &ctx->cfg, &bo, &pre) != 0)
			{
				free(why);
				pgw_error_prefix("cannot back up the destination first, so nothing was restored");
				rc = out_fail();
				goto done;
			}
			free(why);
			have_pre = true;
		}
	}
	else
	{
		struct pgw_buf sql;
		char		stamp[32];

		backup_stamp(stamp, sizeof(stamp));
		if (create)
			new_name = pgw_strdup(create);
		else
		{
			/* lowercase t/z: a folded name needs no quotes in psql */
			new_name = pgw_asprintf("%s_restored_%s", jstr(manifest, "database", "db"),
									stamp);
			for (char *c = new_name; *c; c++)
				if (*c == 'T' || *c == 'Z')
					*c = (char) (*c - 'A' + 'a');
		}
		buf_init(&sql);
		buf_append(&sql, "CREATE DATABASE ");
		sql_ident(&sql, new_name);
		buf_append(&sql, " TEMPLATE template0");
		if (db_command(server, PGW_ERR_INPUT, "cannot create the database to restore into", sql.data, 0, NULL) != 0)
		{
			buf_release(&sql);
			rc = out_fail();
			goto done;
		}
		buf_release(&sql);
		created = true;
		dest_ci = backup_conninfo_with_db(ctx->target.conninfo, new_name);
		dest_display = conninfo_display(dest_ci);
	}

	/* 4. pg_restore */
	if (!out_is_json())
		out_note("restoring %s into %s", json_string_value(json_object_get(manifest, "name")), dest_display);
	if (backup_restore_archive(&tools, dir, manifest, dest_ci, (int) jobs, clean, no_owner) != 0)
	{
		if (created)
		{
			drop_created(server, new_name);
			created = false;
		}
		else if (jobs <= 1)
			pgw_error_hint("the restore ran in one transaction: '%s' is as it was", PQdb(dest));
		rc = out_fail();
		goto done;
	}

	/* 5. compare with the manifest */
	if (!dest)
	{
		dest = db_open(dest_ci, PGW_ERR_CONNECT, dest_display);
		if (!dest)
		{
			rc = out_fail();
			goto done;
		}
	}
	if (backup_compare(dest, &ctx->cfg, dir, manifest, &diffs) != 0)
	{
		/* interrupted before the restored copy was compared: not kept */
		if (created && pgw_interrupted())
		{
			if (dest != server)
				PQfinish(dest);
			dest = NULL;
			drop_created(server, new_name);
		}
		rc = out_fail();
		goto done;
	}
	if (diffs.n)
		rc = PGW_EXIT_CHECK;
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(diffs.n == 0);
		json_t	   *sum = json_object();

		json_object_set_new(sum, "backup", json_string(dir));
		json_object_set_new(sum, "database", json_string(PQdb(dest)));
		json_object_set_new(sum, "to", json_string(dest_display));
		json_object_set_new(sum, "created", json_boolean(created));
		json_object_set_new(sum, "matches", json_boolean(diffs.n == 0));
		json_object_set_new(sum, "backup_before", have_pre ? json_string(pre.path) : json_null());
		json_object_set_new(doc, "summary", sum);
		json_object_set_new(doc, "differences", strlist_to_json(&diffs));
		out_json_emit(doc);
	}
	else
	{
		json_t	   *totals = json_object_get(manifest, "totals");

		if (have_pre)
		{
			char	   *shown = ctx_project_path(ctx, pre.path);

			out_printf("backup of the replaced database: %s\n", shown);
			free(shown);
		}
		out_printf("restored %s into %s%s\n", json_string_value(json_object_get(manifest, "name")), dest_display,
				   created ? " (new database)" : "");
		if (diffs.n == 0)
			out_printf("%smatches the backup%s: schema fingerprint %.16s…, %lld tables, %lld rows\n",
					   out_style(PGW_STYLE_OK), out_style_end(),
					   json_string_value(json_object_get(json_object_get(manifest, "schema"), "fingerprint")),
					   (long long) json_integer_value(json_object_get(totals, "tables")),
					   json_is_true(json_object_get(manifest, "schema_only")) ? 0LL :
					   (long long) json_integer_value(json_object_get(totals, "rows")));
		else
		{
			out_printf("%sdiffers from the backup%s:\n", out_style(PGW_STYLE_ERROR), out_style_end());
			for (size_t i = 0; i < diffs.n; i++)
				out_printf("  %s\n", diffs.items[i]);
		}
	}
done:
	if (dest && dest != server)
		PQfinish(dest);
	if (server)
		PQfinish(server);
	json_decref(manifest);
	strlist_release(&diffs);
	if (have_pre)
		backup_result_release(&pre);
	free(dir);
	free(dest_ci);
	free(dest_display);
	free(new_name);
	return rc;
}
