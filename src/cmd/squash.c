/*
 * squash.c — `pgwarden squash`: the migration history up to a version
 * replaced by one migration, proven equal before anything moves.
 *
 * In one throwaway sandbox cluster (the config's flavour):
 *   base     a fresh database: what every migration starts from;
 *   built    the migrations up to VERSION applied by the runner;
 *   proof    the squashed file applied by the runner.
 * The squashed file is the schema diff base → built over every schema but
 * pgwarden's and Supabase's history (so objects migrations put into
 * storage, auth or extensions come along), followed by the data
 * statements of the migrations — INSERT, UPDATE, DELETE, MERGE, COPY and
 * SELECT (setval, cron.schedule, ...) — in their order, since a schema
 * diff cannot see rows.  DO blocks are listed, not kept.  The proof: the
 * stable snapshots of built and proof are byte-identical and every table
 * has the same row count; otherwise squash refuses (exit 1).
 *
 * With --yes the old files move to MIGRATIONS/archive/TIMESTAMP/ and
 * VERSION_squashed.sql takes their place; without it nothing is written.
 * Databases that applied the old migrations need their history mapped:
 * the commands are printed (`migrate repair`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "db/local.h"
#include "db/query.h"
#include "diff/diff.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "migrate/runner.h"
#include "model/snapshot.h"
#include "out/out.h"
#include "out/progress.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/text.h"

#define SQUASH_USAGE "pgwarden squash [--to VERSION] [--yes]"

enum
{
	OPT_TO = 1,
	OPT_YES
};

struct squash
{
	struct pgw_ctx *ctx;
	struct pgw_migration_set set;
	size_t		n;				/* migrations squashed: set.items[0, n) */
	struct pgw_sandbox sb;
	bool		started;
	struct pgw_buf sql;			/* the squashed file */
	size_t		data_statements;
	struct pgw_strlist skipped; /* "file:line: DO" */
};

static char *
db_conninfo(const struct squash *q, const char *db)
{
	return text_conninfo_with(q->sb.conninfo, "dbname", db);
}

static PGconn *
connect_db(const struct squash *q, const char *db)
{
	char	   *ci = db_conninfo(q, db);
	char	   *what = pgw_asprintf("the sandbox database '%s'", db);
	PGconn	   *c = db_open(ci, PGW_ERR_CONNECT, what);

	free(what);
	free(ci);
	return c;
}

static int
create_db(PGconn *admin, const char *name)
{
	struct pgw_buf sql;
	int			rc;

	buf_init(&sql);
	buf_append(&sql, "CREATE DATABASE ");
	sql_ident(&sql, name);
	rc = db_command(admin, PGW_ERR_CONNECT, "cannot create a sandbox database", sql.data, 0, NULL);
	buf_release(&sql);
	return rc;
}

/* Applies plans through the runner (each migration its own transaction). */
static int
apply_plans(struct squash *q, PGconn *conn, const char *db, struct pgw_plan *plans, size_t n)
{
	struct pgw_runner r;
	char	   *ci = db_conninfo(q, db);
	size_t		i;
	int			rc = 0;

	if (runner_open(&r, conn, ci, &q->ctx->cfg, 0, false) != 0 || history_ensure(conn, false) != 0)
	{
		free(ci);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++)
	{
		struct pgw_step st;

		rc = runner_apply(&r, &plans[i], NULL, &st);
	}
	runner_close(&r);
	free(ci);
	return rc;
}

/* The model of a sandbox database: every schema but the histories (m
 * initialised by the caller). */
static int
read_model(struct squash *q, PGconn *conn, struct pgw_model *m)
{
	static char *all[] = {"*"};
	static char *history[] = {"pgwarden", "supabase_migrations"};
	struct pgw_strlist include = {all, 1};
	struct pgw_strlist exclude = {history, 2};
	struct pgw_catalog_opts o = {0};

	(void) q;
	o.stable = true;
	o.include = &include;
	o.exclude = &exclude;
	return catalog_read(&conn, 1, &o, m, NULL);
}

/* Row counts of every table but the histories, as "schema.table=n\n". */
static int
row_counts(PGconn *conn, struct pgw_buf *out)
{
	PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "cannot count rows in the sandbox",
							  "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname),"
							  " pg_catalog.format('SELECT count(*) FROM %I.%I', n.nspname, c.relname)"
							  " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
							  " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN"
							  " ('pg_catalog', 'information_schema', 'pgwarden', 'supabase_migrations')"
							  " AND n.nspname !~ '^pg_' ORDER BY 1",
							  0, NULL, PGRES_TUPLES_OK);
	int			i;

	if (!res)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
	{
		/* the statement text is the server's own format(%I): quoted there */
		PGresult   *n = PQexec(conn, PQgetvalue(res, i, 1));

		buf_printf(out, "%s=%s\n", PQgetvalue(res, i, 0),
				   PQresultStatus(n) == PGRES_TUPLES_OK ? PQgetvalue(n, 0, 0) : "?");
		PQclear(n);
	}
	PQclear(res);
	return 0;
}

static bool
is_data_statement(const struct pgw_sql_stmt *st)
{
	static const char *const tags[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "SELECT"};
	size_t		i;

	if (!st->info.tag)
		return false;
	for (i = 0; i < sizeof(tags) / sizeof(*tags); i++)
		if (strcmp(st->info.tag, tags[i]) == 0)
			return true;
	return false;
}

/* Appends the data statements of the plans, in order, with their COPY data. */
static void
append_data(struct squash *q, struct pgw_plan *plans, size_t n)
{
	size_t		i,
				k;

	for (i = 0; i < n; i++)
	{
		const struct pgw_plan *p = &plans[i];
		bool		header = false;

		for (k = 0; k < p->n; k++)
		{
			const struct pgw_sql_stmt *st = &p->s.stmts[p->stmts[k]];

			if (st->info.tag && strcmp(st->info.tag, "DO") == 0)
			{
				char	   *s = pgw_asprintf("%s:%d: DO block", p->name, st->line);

				strlist_add(&q->skipped, s);
				free(s);
				continue;
			}
			if (!is_data_statement(st))
				continue;
			if (!header)
			{
				buf_printf(&q->sql, "\n-- data from %s\n", p->name);
				header = true;
			}
			buf_append_len(&q->sql, p->f->text + st->start, st->end - st->start);
			if (!st->terminated)
				buf_append_char(&q->sql, ';');
			buf_append_char(&q->sql, '\n');
			if (st->copy_stdin)
			{
				buf_append_len(&q->sql, p->f->text + st->copy_start, st->copy_len);
				buf_append(&q->sql, "\\.\n");
			}
			q->data_statements++;
		}
	}
}

/* The squashed file as a migration (version and name of the last one). */
static int
plan_squashed(struct squash *q, struct pgw_sql_file *f, struct pgw_migration *m, struct pgw_plan *p)
{
	const struct pgw_migration *last = &q->set.items[q->n - 1];

	memset(m, 0, sizeof(*m));
	sqlfile_from_text("squashed", q->sql.data, q->sql.len, f);
	m->version = last->version;
	m->name = "squashed";
	m->file = "squashed";
	m->up = *f;
	m->up_end = f->len;
	sha256_hex_normalized(f->text, f->len, m->checksum);
	return runner_plan_migration(p, m, false);
}

static int
archive_and_write(struct squash *q, char **written, char **archive)
{
	const struct pgw_migration *last = &q->set.items[q->n - 1];
	char		stamp[32];
	time_t		now = time(NULL);
	struct tm	tm;
	size_t		i;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	*archive = pgw_asprintf("%s/archive/%s", q->set.dir, stamp);
	*written = pgw_asprintf("%s/%s_squashed.sql", q->set.dir, last->version);
	if (fs_mkdir_p(*archive, 0755) != 0)
		return -1;
	for (i = 0; i < q->n; i++)
	{
		const struct pgw_migration *m = &q->set.items[i];
		char	   *to = fs_join(*archive, m->file);

		if (rename(m->path, to) != 0)
		{
			pgw_error(PGW_ERR_INPUT, "cannot move '%s' to '%s'", m->path, to);
			free(to);
			return -1;
		}
		free(to);
		if (m->rollback_path)
		{
			to = fs_join(*archive, strrchr(m->rollback_path, '/') + 1);
			if (rename(m->rollback_path, to) != 0)
			{
				pgw_error(PGW_ERR_INPUT, "cannot move '%s' to '%s'", m->rollback_path, to);
				free(to);
				return -1;
			}
			free(to);
		}
	}
	return fs_write_file(*written, q->sql.data, q->sql.len, 0644);
}

int
cmd_squash(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"to", 0, true, OPT_TO},
		{"yes", 'y', false, OPT_YES},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg,
			   *to = NULL;
	bool		yes = false;
	int			r,
				rc = PGW_EXIT_OK;
	struct squash q;
	struct pgw_plan *plans = NULL;
	struct pgw_plan sp;
	struct pgw_sql_file sf;
	struct pgw_migration sm;
	PGconn	   *admin = NULL,
			   *base = NULL,
			   *built = NULL,
			   *proof = NULL;
	struct pgw_model mbase,
				mbuilt,
				mproof;
	struct pgw_buf a,
				b,
				ca,
				cb;
	struct pgw_progress prog;
	size_t		i;
	char	   *written = NULL,
			   *archive = NULL;
	bool		same;

	opt_init(&p, argc, argv, opts, SQUASH_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_TO:
				if (!migration_version_valid(arg))
					return opt_usage_error(&p, NULL, "'%s' is not a migration version", arg);
				to = arg;
				break;
			case OPT_YES:
				yes = true;
				break;
			default:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	memset(&q, 0, sizeof(q));
	memset(&sp, 0, sizeof(sp));
	memset(&sf, 0, sizeof(sf));
	q.ctx = ctx;
	model_init(&mbase);
	model_init(&mbuilt);
	model_init(&mproof);
	buf_init(&q.sql);
	buf_init(&a);
	buf_init(&b);
	buf_init(&ca);
	buf_init(&cb);
	if (migrations_load(ctx->cfg.migrations_dir, &q.set, NULL) != 0)
	{
		rc = out_fail();
		goto out;
	}
	for (q.n = 0; q.n < q.set.n; q.n++)
		if (to && migration_version_cmp(q.set.items[q.n].version, to) > 0)
			break;
	if (to && !migrations_find(&q.set, to))
	{
		pgw_error(PGW_ERR_INPUT, "there is no migration %s in %s", to, ctx->cfg.migrations_dir);
		rc = out_fail();
		goto out;
	}
	if (q.n < 2)
	{
		pgw_error(PGW_ERR_INPUT, "nothing to squash: %zu migration%s up to %s", q.n, q.n == 1 ? "" : "s",
				  to ? to : "the newest");
		pgw_error_hint("squash needs two migrations or more");
		rc = out_fail();
		goto out;
	}
	plans = pgw_calloc(q.n, sizeof(*plans));
	for (i = 0; i < q.n; i++)
		if (runner_plan_migration(&plans[i], &q.set.items[i], false) != 0)
		{
			rc = out_fail();
			goto out;
		}

	/* the sandbox: base, built */
	progress_start(&prog, "building the migrations in a sandbox", 0);
	if (sandbox_start(&q.sb, ctx->cfg.local_bindir, ctx->cfg.local_user, ctx->cfg.local_supabase) != 0)
		goto fail;
	q.started = true;
	admin = connect_db(&q, "postgres");
	if (!admin || create_db(admin, "squash_base") != 0 || create_db(admin, "squash_built") != 0 ||
		create_db(admin, "squash_proof") != 0)
		goto fail;
	base = connect_db(&q, "squash_base");
	built = connect_db(&q, "squash_built");
	proof = connect_db(&q, "squash_proof");
	if (!base || !built || !proof)
		goto fail;
	if (apply_plans(&q, built, "squash_built", plans, q.n) != 0)
	{
		pgw_error_prefix("the migrations do not build");
		goto fail;
	}
	if (read_model(&q, base, &mbase) != 0 || read_model(&q, built, &mbuilt) != 0)
		goto fail;

	/* the squashed file: the schema diff, then the data statements */
	{
		struct pgw_diff d;
		struct pgw_diff_opts dopts = {0};
		char	   *title = pgw_asprintf("%s_squashed.sql: migrations %s to %s squashed by pgwarden squash",
										 q.set.items[q.n - 1].version, q.set.items[0].version,
										 q.set.items[q.n - 1].version);

		dopts.unsafe = true;
		dopts.owners = true;
		dopts.no_concurrently = true;
		diff_init(&d);
		if (diff_models(&mbase, &mbuilt, &dopts, &d) != 0)
		{
			diff_release(&d);
			free(title);
			goto fail;
		}
		diff_script(&d, title, &q.sql);
		free(title);
		diff_release(&d);
	}
	append_data(&q, plans, q.n);

	/* the proof */
	progress_finish(&prog);
	progress_start(&prog, "proving the squashed migration", 0);
	if (plan_squashed(&q, &sf, &sm, &sp) != 0)
		goto fail;
	if (interrupt_check() != 0)
		goto fail;
	if (apply_plans(&q, proof, "squash_proof", &sp, 1) != 0)
	{
		if (pgw_interrupted())
			goto fail;			/* not a refusal: the run was stopped */
		/* a refusal, not a failure of pgwarden: nothing is written */
		const struct pgw_err *e = pgw_error_last();

		progress_finish(&prog);
		out_warning("the squashed migration does not apply: %s%s%s", e->message,
					e->detail ? "\n" : "", e->detail ? e->detail : "");
		out_printf("squash refused: the squashed migration does not apply in a fresh sandbox; nothing was written\n");
		if (q.data_statements)
			out_printf("  its %zu data statement%s run against the final schema: one that needs a column or table "
					   "a later migration removed cannot be kept\n", q.data_statements,
					   q.data_statements == 1 ? "" : "s");
		if (out_is_json())
		{
			json_t	   *doc = out_json_envelope(false);

			json_object_set_new(doc, "summary", json_pack("{s:b,s:s,s:s?}", "proved", 0, "reason", e->message,
														   "detail", e->detail));
			out_json_emit(doc);
		}
		pgw_error_clear();
		rc = PGW_EXIT_CHECK;
		goto out;
	}
	if (read_model(&q, proof, &mproof) != 0)
		goto fail;
	snapshot_write(&mbuilt, true, &a);
	snapshot_write(&mproof, true, &b);
	if (row_counts(built, &ca) != 0 || row_counts(proof, &cb) != 0)
		goto fail;
	progress_finish(&prog);
	/* a signal now: nothing is written (the sandbox goes below) */
	if (interrupt_check() != 0)
		goto fail;
	same = a.len == b.len && memcmp(a.data, b.data, a.len) == 0 && strcmp(ca.data, cb.data) == 0;

	if (!same)
	{
		out_printf("squash refused: the squashed migration does not give the same database\n");
		if (strcmp(ca.data, cb.data) != 0)
			out_printf("  row counts differ\n");
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			out_printf("  the schema differs (compare with: pgwarden diff sql:%s ...)\n",
					   ctx->cfg.migrations_dir);
		rc = PGW_EXIT_CHECK;
		if (out_is_json())
		{
			json_t	   *doc = out_json_envelope(false);

			json_object_set_new(doc, "summary", json_pack("{s:b,s:b,s:b}", "proved", 0, "schema_equal",
														   a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
														   "rows_equal", strcmp(ca.data, cb.data) == 0));
			out_json_emit(doc);
		}
		goto out;
	}
	if (yes && archive_and_write(&q, &written, &archive) != 0)
	{
		rc = out_fail();
		goto out;
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);
		json_t	   *versions = json_array();
		json_t	   *skipped = json_array();

		for (i = 0; i < q.n; i++)
			json_array_append_new(versions, json_string(q.set.items[i].version));
		for (i = 0; i < q.skipped.n; i++)
			json_array_append_new(skipped, json_string(q.skipped.items[i]));
		json_object_set_new(doc, "summary",
							json_pack("{s:b,s:i,s:i,s:b}", "proved", 1, "migrations", (int) q.n,
									  "data_statements", (int) q.data_statements, "written", yes));
		json_object_set_new(doc, "versions", versions);
		json_object_set_new(doc, "skipped", skipped);
		if (written)
		{
			json_object_set_new(doc, "file", json_string(written));
			json_object_set_new(doc, "archive", json_string(archive));
		}
		else
			json_object_set_new(doc, "sql", json_string(q.sql.data));
		out_json_emit(doc);
	}
	else
	{
		const char *last = q.set.items[q.n - 1].version;

		out_printf("squashed %zu migrations (%s to %s): %zu bytes, %zu data statement%s kept in order\n",
				   q.n, q.set.items[0].version, last, q.sql.len, q.data_statements,
				   q.data_statements == 1 ? "" : "s");
		out_printf("proof: a sandbox built from the squashed file and one built from the originals "
				   "have identical schemas and row counts\n");
		for (i = 0; i < q.skipped.n; i++)
			out_warning("not kept (a DO block may change data a schema diff cannot see): %s",
						q.skipped.items[i]);
		if (!yes)
			out_printf("dry run: nothing written; run with --yes to archive the %zu files and write %s_squashed.sql\n",
					   q.n, last);
		else
		{
			out_printf("wrote %s\narchived the old files in %s\n", written, archive);
			out_printf("on databases that applied them, map the history:\n");
			for (i = 0; i + 1 < q.n; i++)
				out_printf("  pgwarden migrate repair %s --reverted\n", q.set.items[i].version);
			out_printf("  pgwarden migrate repair %s --checksum\n", last);
		}
	}
	goto out;

fail:
	progress_finish(&prog);
	rc = out_fail();
out:
	model_release(&mbase);
	model_release(&mbuilt);
	model_release(&mproof);
	if (sp.loaded || sp.stmts)
		runner_plan_release(&sp);
	if (sf.text)
		sqlfile_release(&sf);
	db_close(base);
	db_close(built);
	db_close(proof);
	db_close(admin);
	if (q.started)
		sandbox_stop(&q.sb);
	if (plans)
	{
		for (i = 0; i < q.n; i++)
			runner_plan_release(&plans[i]);
		free(plans);
	}
	migrations_release(&q.set);
	strlist_release(&q.skipped);
	buf_release(&q.sql);
	buf_release(&a);
	buf_release(&b);
	buf_release(&ca);
	buf_release(&cb);
	free(written);
	free(archive);
	return rc;
}
