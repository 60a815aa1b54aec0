/*
 * history.c — pgwarden.schema_migrations and Supabase's mirror of it
 * (migrate/history.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/query.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "util/config.h"
#include "util/mem.h"
#include "util/sha256.h"

static const char history_ddl[] =
	"CREATE SCHEMA IF NOT EXISTS pgwarden;\n"
	"CREATE TABLE IF NOT EXISTS pgwarden.schema_migrations (\n"
	"    version text PRIMARY KEY,\n"
	"    name text NOT NULL,\n"
	"    checksum text NOT NULL,\n"
	"    checksum_algorithm text NOT NULL,\n"
	"    rollback_checksum text,\n"
	"    applied_at timestamptz NOT NULL DEFAULT pg_catalog.now(),\n"
	"    applied_by text NOT NULL DEFAULT CURRENT_USER,\n"
	"    duration_ms bigint NOT NULL DEFAULT 0,\n"
	"    transaction_mode text NOT NULL CHECK (transaction_mode IN\n"
	"        ('transaction', 'batch', 'statements', 'file', 'recorded')),\n"
	"    status text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'failed')),\n"
	"    statements_applied integer,\n"
	"    statements_total integer,\n"
	"    applied_prefix_checksum text,\n"
	"    error text\n"
	");\n"
	"COMMENT ON TABLE pgwarden.schema_migrations IS "
	"'migrations applied by pgwarden migrate (docs/migrate.md)';\n";

/* As the Supabase CLI makes it (version text key; statements and name
 * added later there, hence IF NOT EXISTS). */
static const char supabase_ddl[] =
	"CREATE SCHEMA IF NOT EXISTS supabase_migrations;\n"
	"CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations "
	"(version text NOT NULL PRIMARY KEY);\n"
	"ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[];\n"
	"ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text;\n";

static char *
dup_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : pgw_strdup(PQgetvalue(res, row, col));
}

static int
cmp_row(const void *a, const void *b)
{
	return migration_version_cmp(((const struct pgw_history_row *) a)->version,
								 ((const struct pgw_history_row *) b)->version);
}

/* Supabase's history as rows (no checksum: the Supabase CLI keeps none). */
static int
read_supabase(PGconn *conn, struct pgw_history *h)
{
	PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "cannot read supabase_migrations.schema_migrations",
							  "SELECT version, coalesce(name, '') FROM supabase_migrations.schema_migrations",
							  0, NULL, PGRES_TUPLES_OK);
	int			i;

	if (!res)
		return -1;
	h->n = (size_t) PQntuples(res);
	h->rows = pgw_calloc(h->n ? h->n : 1, sizeof(*h->rows));
	for (i = 0; i < PQntuples(res); i++)
	{
		struct pgw_history_row *r = &h->rows[i];

		r->version = pgw_strdup(PQgetvalue(res, i, 0));
		r->name = pgw_strdup(PQgetvalue(res, i, 1));
		r->checksum = pgw_strdup("");
		r->algorithm = pgw_strdup(PGW_SUPABASE_ALGORITHM);
		r->applied_at = pgw_strdup("");
		r->applied_by = pgw_strdup("supabase");
		r->tx_mode = pgw_strdup("recorded");
		r->statements_applied = r->statements_total = -1;
	}
	PQclear(res);
	h->imported = h->n;
	if (h->n > 1)
		qsort(h->rows, h->n, sizeof(*h->rows), cmp_row);
	return 0;
}

int
history_read(PGconn *conn, struct pgw_history *h, bool supabase)
{
	PGresult   *res;
	int			i;
	bool		theirs;

	memset(h, 0, sizeof(*h));
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the migration history",
				  "SELECT pg_catalog.to_regclass('pgwarden.schema_migrations') IS NOT NULL,"
				  " pg_catalog.to_regclass('supabase_migrations.schema_migrations') IS NOT NULL",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	h->exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	theirs = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (!h->exists)
		return supabase && theirs ? read_supabase(conn, h) : 0;
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the migration history",
				  "SELECT version, name, checksum, checksum_algorithm, rollback_checksum,"
				  " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
				  " applied_by, duration_ms, transaction_mode, status = 'failed',"
				  " statements_applied, statements_total, applied_prefix_checksum, error"
				  " FROM pgwarden.schema_migrations",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	h->n = (size_t) PQntuples(res);
	h->rows = pgw_calloc(h->n ? h->n : 1, sizeof(*h->rows));
	for (i = 0; i < PQntuples(res); i++)
	{
		struct pgw_history_row *r = &h->rows[i];

		r->version = pgw_strdup(PQgetvalue(res, i, 0));
		r->name = pgw_strdup(PQgetvalue(res, i, 1));
		r->checksum = pgw_strdup(PQgetvalue(res, i, 2));
		r->algorithm = pgw_strdup(PQgetvalue(res, i, 3));
		r->rollback_checksum = dup_or_null(res, i, 4);
		r->applied_at = pgw_strdup(PQgetvalue(res, i, 5));
		r->applied_by = pgw_strdup(PQgetvalue(res, i, 6));
		r->duration_ms = atoll(PQgetvalue(res, i, 7));
		r->tx_mode = pgw_strdup(PQgetvalue(res, i, 8));
		r->failed = strcmp(PQgetvalue(res, i, 9), "t") == 0;
		r->statements_applied = PQgetisnull(res, i, 10) ? -1 : atoi(PQgetvalue(res, i, 10));
		r->statements_total = PQgetisnull(res, i, 11) ? -1 : atoi(PQgetvalue(res, i, 11));
		r->prefix_checksum = dup_or_null(res, i, 12);
		r->error = dup_or_null(res, i, 13);
	}
	PQclear(res);
	if (h->n > 1)
		qsort(h->rows, h->n, sizeof(*h->rows), cmp_row);
	return 0;
}

int
history_applied_versions(PGconn *conn, bool supabase, struct pgw_strlist *out)
{
	struct pgw_history h;
	size_t		i;

	if (history_read(conn, &h, supabase) != 0)
		return -1;
	for (i = 0; i < h.n; i++)
		if (!h.rows[i].failed)
			strlist_add(out, h.rows[i].version);
	history_release(&h);
	return 0;
}

void
history_release(struct pgw_history *h)
{
	size_t		i;

	for (i = 0; i < h->n; i++)
	{
		struct pgw_history_row *r = &h->rows[i];

		free(r->version);
		free(r->name);
		free(r->checksum);
		free(r->algorithm);
		free(r->rollback_checksum);
		free(r->applied_at);
		free(r->applied_by);
		free(r->tx_mode);
		free(r->prefix_checksum);
		free(r->error);
	}
	free(h->rows);
	memset(h, 0, sizeof(*h));
}

struct pgw_history_row *
history_find(const struct pgw_history *h, const char *version)
{
	size_t		i;

	for (i = 0; i < h->n; i++)
		if (migration_version_cmp(h->rows[i].version, version) == 0)
			return &h->rows[i];
	return NULL;
}

int
history_ensure(PGconn *conn, bool supabase)
{
	PGresult   *res;
	bool		have_ours,
				have_supabase;

	/* look first: DDL on every run would take locks for nothing */
	res = db_exec(conn, PGW_ERR_APPLY, "cannot check for the migration history table",
				  "SELECT pg_catalog.to_regclass('pgwarden.schema_migrations') IS NOT NULL,"
				  " pg_catalog.to_regclass('supabase_migrations.schema_migrations') IS NOT NULL"
				  " AND EXISTS (SELECT FROM pg_catalog.pg_attribute"
				  "  WHERE attrelid = pg_catalog.to_regclass('supabase_migrations.schema_migrations')"
				  "  AND attname = 'name' AND NOT attisdropped)",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	have_ours = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	have_supabase = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (have_ours && (!supabase || have_supabase))
		return 0;
	res = PQexec(conn, "BEGIN");
	PQclear(res);
	if (!have_ours)
	{
		res = PQexec(conn, history_ddl);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto fail;
		PQclear(res);
	}
	if (supabase && !have_supabase)
	{
		res = PQexec(conn, supabase_ddl);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto fail;
		PQclear(res);
	}
	if (supabase && !have_ours)
	{
		/* adopt what the Supabase CLI applied before pgwarden came */
		res = PQexec(conn, "INSERT INTO pgwarden.schema_migrations (version, name, checksum,"
					 " checksum_algorithm, transaction_mode, applied_by)"
					 " SELECT version, coalesce(name, ''), '', '" PGW_SUPABASE_ALGORITHM "', 'recorded', 'supabase'"
					 " FROM supabase_migrations.schema_migrations ON CONFLICT (version) DO NOTHING");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto fail;
		PQclear(res);
	}
	res = PQexec(conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		goto fail;
	PQclear(res);
	return 0;

fail:
	db_error_from(conn, res, PGW_ERR_APPLY, "cannot create the migration history table");
	pgw_error_hint("the role needs CREATE on the database (for schema pgwarden)");
	PQclear(res);
	res = PQexec(conn, "ROLLBACK");
	PQclear(res);
	return -1;
}

int
history_record(PGconn *conn, const struct pgw_history_entry *e, bool supabase)
{
	char		duration[32],
				applied[16],
				total[16];
	char	   *stmts = NULL;
	const char *p[13];
	int			rc;

	snprintf(duration, sizeof(duration), "%lld", e->duration_ms);
	snprintf(applied, sizeof(applied), "%d", e->statements_applied);
	snprintf(total, sizeof(total), "%d", e->statements_total);
	p[0] = e->version;
	p[1] = e->name;
	p[2] = e->checksum;
	p[3] = PGW_CHECKSUM_ALGORITHM;
	p[4] = e->rollback_checksum && *e->rollback_checksum ? e->rollback_checksum : NULL;
	p[5] = duration;
	p[6] = e->tx_mode;
	p[7] = e->failed ? "failed" : "applied";
	p[8] = e->failed ? applied : NULL;
	p[9] = e->failed ? total : NULL;
	p[10] = e->failed ? e->prefix_checksum : NULL;
	p[11] = e->failed ? e->error : NULL;
	rc = db_command_or_send(conn, PGW_ERR_APPLY, "cannot record the migration in pgwarden.schema_migrations",
					"INSERT INTO pgwarden.schema_migrations AS m (version, name, checksum,"
					" checksum_algorithm, rollback_checksum, duration_ms, transaction_mode, status,"
					" statements_applied, statements_total, applied_prefix_checksum, error)"
					" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
					" ON CONFLICT (version) DO UPDATE SET name = excluded.name,"
					" checksum = excluded.checksum, checksum_algorithm = excluded.checksum_algorithm,"
					" rollback_checksum = excluded.rollback_checksum, applied_at = pg_catalog.now(),"
					" applied_by = CURRENT_USER, duration_ms = excluded.duration_ms,"
					" transaction_mode = excluded.transaction_mode, status = excluded.status,"
					" statements_applied = excluded.statements_applied,"
					" statements_total = excluded.statements_total,"
					" applied_prefix_checksum = excluded.applied_prefix_checksum, error = excluded.error",
					12, p);
	if (rc != 0 || !supabase || e->failed)
		return rc;
	stmts = e->statements ? json_dumps(e->statements, JSON_COMPACT) : NULL;
	p[0] = e->version;
	p[1] = e->name;
	p[2] = stmts ? stmts : "[]";
	rc = db_command_or_send(conn, PGW_ERR_APPLY,
					"cannot record the migration in supabase_migrations.schema_migrations",
					"INSERT INTO supabase_migrations.schema_migrations (version, name, statements)"
					" VALUES ($1, $2, ARRAY(SELECT pg_catalog.jsonb_array_elements_text($3::jsonb)))"
					" ON CONFLICT (version) DO UPDATE SET name = excluded.name,"
					" statements = excluded.statements",
					3, p);
	free(stmts);
	return rc;
}

int
history_record_progress(PGconn *conn, const char *version, int applied,
						const char *prefix_checksum, const char *error)
{
	char		n[16];
	const char *p[4];

	snprintf(n, sizeof(n), "%d", applied);
	p[0] = version;
	p[1] = n;
	p[2] = prefix_checksum;
	p[3] = error;
	return db_command_or_send(conn, PGW_ERR_APPLY, "cannot record the progress of the migration",
					  "UPDATE pgwarden.schema_migrations SET statements_applied = $2,"
					  " applied_prefix_checksum = $3, error = coalesce($4, error)"
					  " WHERE version = $1",
					  4, p);
}

int
history_mark_failed(PGconn *conn, const char *version, const char *error)
{
	const char *p[2] = {version, error};

	return db_command(conn, PGW_ERR_APPLY, "cannot record the failed rollback",
					  "UPDATE pgwarden.schema_migrations SET status = 'failed',"
					  " statements_applied = NULL, applied_prefix_checksum = NULL,"
					  " error = 'rollback failed: ' || coalesce($2, '') WHERE version = $1",
					  2, p);
}

int
history_delete(PGconn *conn, const char *version, bool supabase, bool *deleted)
{
	PGresult   *res;
	const char *p[1] = {version};
	static const char sql[] = "DELETE FROM pgwarden.schema_migrations WHERE version = $1";
	static const char what[] = "cannot remove the migration from pgwarden.schema_migrations";

	if (!deleted)
	{
		if (db_command_or_send(conn, PGW_ERR_APPLY, what, sql, 1, p) != 0)
			return -1;
	}
	else
	{
		res = db_exec(conn, PGW_ERR_APPLY, what, sql, 1, p, PGRES_COMMAND_OK);
		if (!res)
			return -1;
		*deleted = strcmp(PQcmdTuples(res), "0") != 0;
		PQclear(res);
	}
	if (!supabase)
		return 0;
	return db_command_or_send(conn, PGW_ERR_APPLY,
							  "cannot remove the migration from supabase_migrations.schema_migrations",
							  "DELETE FROM supabase_migrations.schema_migrations WHERE version = $1", 1, p);
}

int
history_set_checksum(PGconn *conn, const char *version, const char *checksum,
					 const char *rollback_checksum)
{
	const char *p[4] = {version, checksum, PGW_CHECKSUM_ALGORITHM,
	rollback_checksum && *rollback_checksum ? rollback_checksum : NULL};

	return db_command(conn, PGW_ERR_APPLY, "cannot update the checksum",
					  "UPDATE pgwarden.schema_migrations SET checksum = $2,"
					  " checksum_algorithm = $3, rollback_checksum = $4 WHERE version = $1",
					  4, p);
}

json_t *
history_row_to_json(const struct pgw_history_row *r)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "version", json_string(r->version));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "checksum", json_string(r->checksum));
	json_object_set_new(o, "checksum_algorithm", json_string(r->algorithm));
	json_object_set_new(o, "rollback_checksum",
						r->rollback_checksum ? json_string(r->rollback_checksum) : json_null());
	json_object_set_new(o, "applied_at", json_string(r->applied_at));
	json_object_set_new(o, "applied_by", json_string(r->applied_by));
	json_object_set_new(o, "duration_ms", json_integer(r->duration_ms));
	json_object_set_new(o, "transaction_mode", json_string(r->tx_mode));
	json_object_set_new(o, "status", json_string(r->failed ? "failed" : "applied"));
	if (r->failed)
	{
		json_object_set_new(o, "statements_applied", json_integer(r->statements_applied));
		json_object_set_new(o, "statements_total", json_integer(r->statements_total));
		json_object_set_new(o, "error", r->error ? json_string(r->error) : json_null());
	}
	return o;
}
