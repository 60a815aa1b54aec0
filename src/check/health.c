/*
 * health.c — the sections of `pgwarden health` and the status they add up
 * to (check/health.h).
 *
 * Each section is one query over the statistics views; its rows become
 * JSON with the server's types (numbers stay numbers).  The thresholds
 * that turn rows into findings are in judge_*(), next to the numbers
 * they read, so the reasons in the report and the status always agree.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/health.h"
#include "db/query.h"
#include "util/error.h"
#include "util/mem.h"

/* type oids (pg_type.h) of the columns turned into JSON numbers/booleans */
#define BOOLOID		16
#define INT8OID		20
#define INT2OID		21
#define INT4OID		23
#define OIDOID		26
#define FLOAT4OID	700
#define FLOAT8OID	701
#define NUMERICOID	1700

/*
 * Relations someone holds or waits for an ACCESS EXCLUSIVE lock on: sizing
 * them (pg_relation_size opens the relation) would queue the report behind
 * that lock, so their size shows as "locked".  lock_timeout bounds the
 * rest of the race.
 */
#define BUSY_RELATIONS \
	"SELECT DISTINCT l.relation AS oid FROM pg_catalog.pg_locks l" \
	" WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'" \
	" AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())"

/*
 * Every section gets the same three parameters: $1 long_query_s, $2
 * idle_tx_s, $3 top.  The server must be able to type each one, so a
 * section that does not need one still names it ("$2::int IS NOT NULL").
 *
 * The same text is the body of the SQL functions `maintain
 * --install-functions` writes (maintain/functions.c), whose three
 * arguments are these parameters: health and pgwarden.health_check()
 * cannot drift apart.  columns is the RETURNS TABLE list of the sections
 * that are also functions of their own; a column added here must be added
 * there (CREATE FUNCTION refuses a mismatch, and test_maintain_functions
 * creates them).
 */
static const struct pgw_health_section sections[] = {
	{"connections",
		"SELECT coalesce(a.state, 'unknown') AS state, coalesce(a.usename::text, '') AS role,"
		" count(*) AS connections,"
		" max(extract(epoch FROM now() - a.state_change))::bigint AS longest_in_state_s,"
		" (SELECT count(*) FROM pg_catalog.pg_stat_activity x WHERE x.backend_type = 'client backend')"
		"   AS total,"
		" pg_catalog.current_setting('max_connections')::int AS max_connections"
		" FROM pg_catalog.pg_stat_activity a"
		" WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()"
		" AND $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL"
		" GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2", NULL},
	{"blocking",
		"SELECT a.pid AS blocked_pid, coalesce(a.usename::text, '') AS blocked_role,"
		" extract(epoch FROM now() - coalesce(a.query_start, a.state_change))::bigint AS waiting_s,"
		" b.pid AS blocking_pid, coalesce(b.usename::text, '') AS blocking_role,"
		" coalesce(b.state, '') AS blocking_state,"
		" left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60) AS blocked_query,"
		" left(regexp_replace(b.query, '\\s+', ' ', 'g'), 60) AS blocking_query"
		" FROM pg_catalog.pg_stat_activity a"
		" CROSS JOIN LATERAL unnest(pg_catalog.pg_blocking_pids(a.pid)) AS bp(pid)"
		" JOIN pg_catalog.pg_stat_activity b ON b.pid = bp.pid"
		" WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL"
		" ORDER BY 3 DESC, 1, 4",
		"blocked_pid integer, blocked_role text, waiting_s bigint, blocking_pid integer,"
		" blocking_role text, blocking_state text, blocked_query text, blocking_query text"},
	{"long_queries",
		"SELECT a.pid, coalesce(a.usename::text, '') AS role, a.state,"
		" extract(epoch FROM now() - CASE WHEN a.state = 'active' THEN a.query_start"
		"   ELSE a.xact_start END)::bigint AS running_s,"
		" coalesce(a.wait_event_type || ':' || a.wait_event, '') AS waiting_on,"
		" left(regexp_replace(a.query, '\\s+', ' ', 'g'), 60) AS query"
		" FROM pg_catalog.pg_stat_activity a"
		" WHERE a.backend_type = 'client backend' AND a.pid <> pg_catalog.pg_backend_pid()"
		" AND ((a.state = 'active' AND a.query_start < now() - make_interval(secs => $1::int))"
		"   OR (a.state LIKE 'idle in transaction%' AND a.xact_start < now() - make_interval(secs => $2::int)))"
		" AND $3::int IS NOT NULL"
		" ORDER BY 4 DESC, 1", NULL},
	{"cache",
		"SELECT 'tables' AS kind, coalesce(sum(heap_blks_hit), 0)::bigint AS hits,"
		" coalesce(sum(heap_blks_read), 0)::bigint AS reads,"
		" round(100 * sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 2)"
		"   AS hit_pct"
		" FROM pg_catalog.pg_statio_user_tables"
		" WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL"
		" UNION ALL"
		" SELECT 'indexes', coalesce(sum(idx_blks_hit), 0)::bigint, coalesce(sum(idx_blks_read), 0)::bigint,"
		" round(100 * sum(idx_blks_hit) / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0), 2)"
		" FROM pg_catalog.pg_statio_user_indexes",
		"kind text, hits bigint, reads bigint, hit_pct numeric"},
	{"unused_indexes",
		"WITH busy AS (" BUSY_RELATIONS ")"
		" SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, s.idx_scan AS scans,"
		" CASE WHEN s.indexrelid IN (SELECT oid FROM busy) OR s.relid IN (SELECT oid FROM busy) THEN 'locked'"
		"   ELSE pg_catalog.pg_size_pretty(pg_catalog.pg_relation_size(s.indexrelid)) END AS size,"
		" CASE WHEN s.indexrelid IN (SELECT oid FROM busy) OR s.relid IN (SELECT oid FROM busy) THEN NULL"
		"   ELSE pg_catalog.pg_relation_size(s.indexrelid) END AS size_bytes"
		" FROM pg_catalog.pg_stat_user_indexes s JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid"
		" WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary"
		" AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conindid = s.indexrelid)"
		" AND $1::int IS NOT NULL AND $2::int IS NOT NULL"
		" ORDER BY 6 DESC NULLS LAST, 1, 2, 3 LIMIT $3",
		"schema name, \"table\" name, index name, scans bigint, size text, size_bytes bigint"},
	{"tables",
		"WITH busy AS (" BUSY_RELATIONS "),"
		" busy_tables AS (SELECT oid AS table_oid FROM busy"
		"   UNION SELECT i.indrelid FROM pg_catalog.pg_index i WHERE i.indexrelid IN (SELECT oid FROM busy))"
		" SELECT s.schemaname AS schema, s.relname AS table,"
		" greatest(c.reltuples, 0)::bigint AS est_rows, s.n_dead_tup AS dead_rows,"
		" round(100.0 * s.n_dead_tup / nullif(s.n_live_tup + s.n_dead_tup, 0), 1) AS dead_pct,"
		" CASE WHEN s.relid IN (SELECT table_oid FROM busy_tables) THEN 'locked'"
		"   ELSE pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size(s.relid)) END AS size,"
		" CASE WHEN s.relid IN (SELECT table_oid FROM busy_tables) THEN NULL"
		"   ELSE pg_catalog.pg_total_relation_size(s.relid) END AS size_bytes,"
		" s.seq_scan AS seq_scans, coalesce(s.idx_scan, 0) AS idx_scans,"
		" coalesce(to_char(greatest(s.last_vacuum, s.last_autovacuum), 'YYYY-MM-DD HH24:MI'), 'never')"
		"   AS last_vacuum,"
		" coalesce(to_char(greatest(s.last_analyze, s.last_autoanalyze), 'YYYY-MM-DD HH24:MI'), 'never')"
		"   AS last_analyze"
		" FROM pg_catalog.pg_stat_user_tables s JOIN pg_catalog.pg_class c ON c.oid = s.relid"
		" WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL"
		" ORDER BY 7 DESC NULLS LAST, 1, 2 LIMIT $3",
		"schema name, \"table\" name, est_rows bigint, dead_rows bigint, dead_pct numeric, size text,"
		" size_bytes bigint, seq_scans bigint, idx_scans bigint, last_vacuum text, last_analyze text"},
	{"vacuum",
		"SELECT d.datname AS database, pg_catalog.age(d.datfrozenxid) AS xid_age,"
		" round(100.0 * pg_catalog.age(d.datfrozenxid) / 2147483648, 2) AS pct_to_wraparound,"
		" pg_catalog.current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age,"
		" pg_catalog.current_setting('autovacuum') AS autovacuum"
		" FROM pg_catalog.pg_database d WHERE d.datallowconn"
		" AND $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL"
		" ORDER BY 2 DESC, 1", NULL},
	{"replication_slots",
		"SELECT slot_name AS slot, slot_type AS type, active,"
		" CASE WHEN pg_catalog.pg_is_in_recovery() OR restart_lsn IS NULL THEN NULL"
		"   ELSE pg_catalog.pg_size_pretty(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)) END"
		"   AS retained_wal,"
		" CASE WHEN pg_catalog.pg_is_in_recovery() OR restart_lsn IS NULL THEN NULL"
		"   ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)::bigint END"
		"   AS retained_wal_bytes"
		" FROM pg_catalog.pg_replication_slots"
		" WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL"
		" ORDER BY 1", NULL},
	{NULL, NULL, NULL}
};

const struct pgw_health_section *
health_sections(void)
{
	return sections;
}

/* A result's rows as JSON objects, numbers and booleans typed. */
static json_t *
rows_json(const PGresult *res)
{
	json_t	   *rows = json_array();
	int			i,
				j;

	for (i = 0; i < PQntuples(res); i++)
	{
		json_t	   *o = json_object();

		for (j = 0; j < PQnfields(res); j++)
		{
			const char *v = PQgetvalue(res, i, j);
			json_t	   *jv;

			if (PQgetisnull(res, i, j))
				jv = json_null();
			else
				switch (PQftype(res, j))
				{
					case INT2OID:
					case INT4OID:
					case INT8OID:
					case OIDOID:
						jv = json_integer(strtoll(v, NULL, 10));
						break;
					case FLOAT4OID:
					case FLOAT8OID:
					case NUMERICOID:
						jv = strchr(v, '.') ? json_real(strtod(v, NULL)) : json_integer(strtoll(v, NULL, 10));
						break;
					case BOOLOID:
						jv = json_boolean(v[0] == 't');
						break;
					default:
						jv = json_string(v);
				}
			json_object_set_new(o, PQfname(res, j), jv);
		}
		json_array_append_new(rows, o);
	}
	return rows;
}

static long long
num(json_t *row, const char *key)
{
	json_t	   *v = json_object_get(row, key);

	return json_is_integer(v) ? (long long) json_integer_value(v) :
		json_is_real(v) ? (long long) json_real_value(v) : 0;
}

static double
real(json_t *row, const char *key)
{
	json_t	   *v = json_object_get(row, key);

	return json_is_number(v) ? json_number_value(v) : -1;
}

static const char *
str(json_t *row, const char *key)
{
	json_t	   *v = json_object_get(row, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

static struct pgw_finding *
add(struct pgw_findings *f, const char *rule, enum pgw_severity sev, const char *kind,
	const char *schema, const char *name, const char *hint, const char *fmt,...)
__attribute__((format(printf, 8, 9)));

static struct pgw_finding *
add(struct pgw_findings *f, const char *rule, enum pgw_severity sev, const char *kind,
	const char *schema, const char *name, const char *hint, const char *fmt,...)
{
	struct pgw_buf b;
	va_list		ap;
	struct pgw_finding *x;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	x = findings_add(f, rule, sev, "health", b.data);
	finding_set_object(f, x, kind, schema, name, NULL);
	if (hint)
		finding_set_hint(f, x, hint);
	finding_update_fingerprint(x);
	buf_release(&b);
	return x;
}

/* --- what the numbers mean ----------------------------------------------- */

static void
judge_connections(json_t *rows, const struct pgw_health_opts *o, struct pgw_findings *f)
{
	size_t		i;
	long long	total = 0,
				max = 0,
				idle_tx = 0,
				idle_tx_longest = 0;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);

		total = num(r, "total");
		max = num(r, "max_connections");
		if (strncmp(str(r, "state"), "idle in transaction", 19) == 0)
		{
			idle_tx += num(r, "connections");
			if (num(r, "longest_in_state_s") > idle_tx_longest)
				idle_tx_longest = num(r, "longest_in_state_s");
		}
	}
	if (max > 0 && total * 100 >= max * 90)
		add(f, "health.connections", PGW_SEV_ERROR, "database", NULL, NULL,
			"use a connection pooler, or find what holds connections open",
			"%lld of %lld connections in use (%lld%%)", total, max, total * 100 / max);
	else if (max > 0 && total * 100 >= max * 75)
		add(f, "health.connections", PGW_SEV_WARNING, "database", NULL, NULL,
			"use a connection pooler, or find what holds connections open",
			"%lld of %lld connections in use (%lld%%)", total, max, total * 100 / max);
	if (idle_tx > 0 && idle_tx_longest >= o->idle_tx_s)
		add(f, "health.idle_in_transaction", PGW_SEV_WARNING, "database", NULL, NULL,
			"an open transaction holds its locks and keeps vacuum from cleaning up: "
			"set idle_in_transaction_session_timeout, fix the client",
			"%lld session%s idle in transaction, the longest for %lld s", idle_tx,
			idle_tx == 1 ? "" : "s", idle_tx_longest);
}

static void
judge_blocking(json_t *rows, const struct pgw_health_opts *o, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);
		long long	waited = num(r, "waiting_s");
		char		name[32];

		snprintf(name, sizeof(name), "%lld", num(r, "blocked_pid"));
		add(f, "health.blocking", waited >= o->long_query_s ? PGW_SEV_ERROR : PGW_SEV_WARNING,
			"session", NULL, name,
			"end the blocking transaction (pg_cancel_backend / pg_terminate_backend) or wait for it",
			"pid %lld has waited %lld s for pid %lld (%s): %s", num(r, "blocked_pid"), waited,
			num(r, "blocking_pid"), str(r, "blocking_state"), str(r, "blocked_query"));
	}
}

static void
judge_long(json_t *rows, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);
		char		name[32];

		if (strcmp(str(r, "state"), "active") != 0)
			continue;			/* idle in transaction: reported above */
		snprintf(name, sizeof(name), "%lld", num(r, "pid"));
		add(f, "health.long_query", PGW_SEV_WARNING, "session", NULL, name,
			"check the plan (EXPLAIN), or set statement_timeout for the role",
			"pid %lld has run for %lld s: %s", num(r, "pid"), num(r, "running_s"), str(r, "query"));
	}
}

static void
judge_cache(json_t *rows, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);
		double		pct = real(r, "hit_pct");

		/* too few reads to mean anything right after a start */
		if (pct >= 0 && pct < 99 && num(r, "hits") + num(r, "reads") >= 10000)
			add(f, "health.cache_hit", PGW_SEV_WARNING, "database", NULL, str(r, "kind"),
				"the working set does not fit in shared_buffers: add memory or indexes",
				"%s cache hit ratio is %.2f%% (below 99%%)", str(r, "kind"), pct);
	}
}

static void
judge_unused(json_t *rows, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);

		struct pgw_finding *x;

		x = add(f, "health.unused_index", PGW_SEV_INFO, "index", str(r, "schema"), str(r, "index"),
				"drop it (DROP INDEX CONCURRENTLY) if it stays unused over a full business cycle",
				"index %s on %s.%s has not been scanned since statistics were reset (%s)",
				str(r, "index"), str(r, "schema"), str(r, "table"), str(r, "size"));
		finding_set_table(f, x, str(r, "schema"), str(r, "table"));
	}
}

static void
judge_tables(json_t *rows, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);

		if (num(r, "dead_rows") >= 10000 && real(r, "dead_pct") >= 20)
			add(f, "health.dead_rows", PGW_SEV_WARNING, "table", str(r, "schema"), str(r, "table"),
				"VACUUM the table, and check that autovacuum keeps up with it",
				"%s.%s: %.1f%% of its rows are dead (%lld)", str(r, "schema"), str(r, "table"),
				real(r, "dead_pct"), num(r, "dead_rows"));
	}
}

static void
judge_vacuum(json_t *rows, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);
		long long	age = num(r, "xid_age");

		if (age >= 1000000000LL)
			add(f, "health.xid_age", PGW_SEV_ERROR, "database", NULL, str(r, "database"),
				"VACUUM (FREEZE) the oldest tables now: at 2^31 PostgreSQL stops accepting writes",
				"database %s is %lld transactions old (%.1f%% of the way to wraparound)",
				str(r, "database"), age, real(r, "pct_to_wraparound"));
		else if (age >= num(r, "freeze_max_age"))
			add(f, "health.xid_age", PGW_SEV_WARNING, "database", NULL, str(r, "database"),
				"check that autovacuum can freeze it (long transactions, old slots block it)",
				"database %s is %lld transactions old, past autovacuum_freeze_max_age",
				str(r, "database"), age);
	}
}

static void
judge_slots(json_t *rows, struct pgw_findings *f)
{
	size_t		i;

	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *r = json_array_get(rows, i);
		long long	bytes = num(r, "retained_wal_bytes");

		if (bytes >= 10LL * 1024 * 1024 * 1024)
			add(f, "health.replication_slot", PGW_SEV_ERROR, "slot", NULL, str(r, "slot"),
				"drop the slot if its consumer is gone (pg_drop_replication_slot), before the disk fills",
				"replication slot %s retains %s of WAL", str(r, "slot"), str(r, "retained_wal"));
		else if (!json_is_true(json_object_get(r, "active")))
			add(f, "health.replication_slot", PGW_SEV_WARNING, "slot", NULL, str(r, "slot"),
				"an inactive slot keeps WAL forever: drop it if nothing will use it",
				"replication slot %s is inactive (retains %s of WAL)", str(r, "slot"),
				json_is_string(json_object_get(r, "retained_wal")) ? str(r, "retained_wal") : "no");
	}
}

/* --- pg_stat_statements --------------------------------------------------- */

/* The slowest and the most called statements, when the extension is
 * there; its schema is quoted by the server (format %I). */
static int
collect_statements(PGconn *conn, int top, json_t *report)
{
	char		n[16];
	const char *p[1] = {n};
	PGresult   *res;
	char	   *sql;

	res = db_exec(conn, PGW_ERR_CONNECT, "cannot look for pg_stat_statements",
				  "SELECT pg_catalog.format('SELECT left(regexp_replace(query, ''\\s+'', '' '', ''g''), 60) AS query,"
				  " calls, round(mean_exec_time::numeric, 2) AS mean_ms,"
				  " round(total_exec_time::numeric, 0) AS total_ms, rows"
				  " FROM %I.pg_stat_statements WHERE dbid = (SELECT oid FROM pg_catalog.pg_database"
				  " WHERE datname = pg_catalog.current_database())', n.nspname)"
				  " FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
				  " WHERE e.extname = 'pg_stat_statements'",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	if (PQntuples(res) == 0)
	{
		PQclear(res);
		json_object_set_new(report, "statements", json_null());
		return 0;
	}
	sql = pgw_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	snprintf(n, sizeof(n), "%d", top);
	{
		char	   *slow = pgw_asprintf("%s ORDER BY mean_ms DESC LIMIT $1::int", sql);
		char	   *busy = pgw_asprintf("%s ORDER BY calls DESC LIMIT $1::int", sql);
		json_t	   *o = json_object();

		res = PQexecParams(conn, slow, 1, NULL, p, NULL, NULL, 0);
		/* a view that is there but not loaded (shared_preload_libraries)
		 * errors: report it as absent rather than failing the report */
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			json_object_set_new(o, "slowest", rows_json(res));
			PQclear(res);
			res = PQexecParams(conn, busy, 1, NULL, p, NULL, NULL, 0);
			if (PQresultStatus(res) == PGRES_TUPLES_OK)
				json_object_set_new(o, "most_called", rows_json(res));
		}
		PQclear(res);
		if (json_object_size(o) == 2)
			json_object_set_new(report, "statements", o);
		else
		{
			json_decref(o);
			json_object_set_new(report, "statements", json_null());
			PQclear(PQexec(conn, "ROLLBACK"));
			PQclear(PQexec(conn, "BEGIN READ ONLY"));
			PQclear(PQexec(conn, "SET LOCAL lock_timeout = '2s'"));
		}
		free(slow);
		free(busy);
	}
	free(sql);
	return 0;
}

int
health_collect(PGconn *conn, const struct pgw_health_opts *o, json_t **report,
			   struct pgw_findings *findings)
{
	char		a[16],
				b[16],
				c[16];
	const char *p[3] = {a, b, c};
	const struct pgw_health_section *s;
	json_t	   *rep = json_object();
	int			rc = 0;

	snprintf(a, sizeof(a), "%d", o->long_query_s);
	snprintf(b, sizeof(b), "%d", o->idle_tx_s);
	snprintf(c, sizeof(c), "%d", o->top);
	if (db_command(conn, PGW_ERR_CONNECT, "cannot start the health report", "BEGIN READ ONLY", 0, NULL) != 0 ||
		db_command(conn, PGW_ERR_CONNECT, "cannot start the health report",
				   "SET LOCAL lock_timeout = '2s'", 0, NULL) != 0)
	{
		PQclear(PQexec(conn, "ROLLBACK"));
		json_decref(rep);
		return -1;
	}
	for (s = sections; s->name; s++)
	{
		char	   *what = pgw_asprintf("cannot read the %s section", s->name);
		PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, what, s->sql, 3, p, PGRES_TUPLES_OK);
		json_t	   *rows;

		free(what);
		if (!res)
		{
			rc = -1;
			break;
		}
		rows = rows_json(res);
		PQclear(res);
		json_object_set_new(rep, s->name, rows);
		if (!strcmp(s->name, "connections"))
			judge_connections(rows, o, findings);
		else if (!strcmp(s->name, "blocking"))
			judge_blocking(rows, o, findings);
		else if (!strcmp(s->name, "long_queries"))
			judge_long(rows, findings);
		else if (!strcmp(s->name, "cache"))
			judge_cache(rows, findings);
		else if (!strcmp(s->name, "unused_indexes"))
			judge_unused(rows, findings);
		else if (!strcmp(s->name, "tables"))
			judge_tables(rows, findings);
		else if (!strcmp(s->name, "vacuum"))
			judge_vacuum(rows, findings);
		else if (!strcmp(s->name, "replication_slots"))
			judge_slots(rows, findings);
	}
	if (rc == 0)
		rc = collect_statements(conn, o->top, rep);
	PQclear(PQexec(conn, "ROLLBACK"));
	if (rc != 0)
	{
		json_decref(rep);
		return -1;
	}
	*report = rep;
	return 0;
}

enum pgw_health_status
health_status(const struct pgw_findings *findings)
{
	if (findings_count_at_least(findings, PGW_SEV_ERROR) > 0)
		return PGW_HEALTH_CRITICAL;
	if (findings_count_at_least(findings, PGW_SEV_WARNING) > 0)
		return PGW_HEALTH_WARNING;
	return PGW_HEALTH_OK;
}

const char *
health_status_name(enum pgw_health_status s)
{
	return s == PGW_HEALTH_CRITICAL ? "critical" : s == PGW_HEALTH_WARNING ? "warning" : "ok";
}
