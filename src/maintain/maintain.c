/*
 * maintain.c — retention batches and vacuum selection (maintain/maintain.h).
 *
 * Batch shape: one statement picks the next rule->batch matching keys in
 * primary-key order after the last key seen, deletes exactly those rows
 * (re-checking the rule, since a concurrent writer may have changed them)
 * and returns how many it picked, deleted, and the highest key.  The key
 * range only moves forward, so a batch never rescans what the ones before
 * it passed over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/query.h"
#include "maintain/maintain.h"
#include "sql/quote.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/interrupt.h"
#include "util/mem.h"

void
maintain_tables_free(struct pgw_ret_table *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		free(t[i].schema);
		free(t[i].name);
		free(t[i].pk);
		free(t[i].pktype);
		free(t[i].cutoff);
	}
	free(t);
}

/* "schema.table" or "table" (in the first configured schema), quoted. */
static char *
rule_regclass_text(const struct pgw_config *cfg, const char *table)
{
	struct pgw_buf b;
	const char *dot = strchr(table, '.');

	buf_init(&b);
	if (dot)
	{
		char	   *schema = pgw_strndup(table, (size_t) (dot - table));

		sql_qname(&b, schema, dot + 1);
		free(schema);
	}
	else
		sql_qname(&b, cfg->schemas.n ? cfg->schemas.items[0] : "public", table);
	return buf_steal(&b);
}

static void
rule_from_where(struct pgw_buf *b, const struct pgw_ret_table *t, const char *alias)
{
	if (alias)
	{
		sql_ident(b, alias);
		buf_append(b, ".");
	}
	sql_ident(b, t->rule->column);
	buf_append(b, " < $1::timestamptz");
	if (t->rule->where)
		buf_printf(b, " AND (%s)", t->rule->where);
}

static int
count_matching(PGconn *conn, struct pgw_ret_table *t)
{
	struct pgw_buf sql;
	PGresult   *res;
	const char *params[1] = {t->cutoff};
	char	   *what;

	buf_init(&sql);
	buf_append(&sql, "SELECT count(*) FROM ");
	sql_qname(&sql, t->schema, t->name);
	buf_append(&sql, " WHERE ");
	rule_from_where(&sql, t, NULL);
	what = pgw_asprintf("cannot count the rows [retention \"%s\"] would delete", t->rule->table);
	res = db_exec(conn, PGW_ERR_INPUT, what, sql.data, 1, params, PGRES_TUPLES_OK);
	free(what);
	buf_release(&sql);
	if (!res)
	{
		pgw_error_hint("check column and where in [retention \"%s\"] (pgwarden.conf line %d)",
					   t->rule->table, t->rule->line);
		return -1;
	}
	t->matching = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
maintain_resolve(PGconn *conn, const struct pgw_config *cfg, const struct pgw_strlist *only,
				 struct pgw_ret_table **out, size_t *n)
{
	struct pgw_ret_table *t = NULL;
	size_t		nt = 0;
	struct pgw_buf sql;
	const char **params;
	char	  **owned;
	char		keep[32];
	PGresult   *res;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; only && i < only->n; i++)
	{
		bool		found = false;

		for (size_t j = 0; j < cfg->nretentions && !found; j++)
			found = !strcmp(cfg->retentions[j].table, only->items[i]);
		if (!found)
		{
			pgw_error(PGW_ERR_INPUT, "no retention rule for table '%s'", only->items[i]);
			pgw_error_hint("rules are [retention \"TABLE\"] sections in pgwarden.conf");
			return -1;
		}
	}
	t = pgw_calloc(cfg->nretentions ? cfg->nretentions : 1, sizeof(*t));
	for (size_t j = 0; j < cfg->nretentions; j++)
		if (!only || only->n == 0 || strlist_contains(only, cfg->retentions[j].table))
			t[nt++].rule = &cfg->retentions[j];
	if (nt == 0)
	{
		*out = t;
		return 0;
	}

	/* one catalog query for every rule: the table, its primary key, the
	 * rule's column and its type */
	buf_init(&sql);
	buf_append(&sql,
			   "SELECT v.i, c.oid IS NOT NULL, n.nspname, c.relname, x.indnatts, pa.attname,"
			   " pg_catalog.format_type(pa.atttypid, pa.atttypmod),"
			   " ca.attname IS NOT NULL, ca.atttypid IN (1082, 1114, 1184),"
			   " (pg_catalog.now() - pg_catalog.make_interval(secs => v.keep::double precision))::text"
			   " FROM (VALUES ");
	params = pgw_calloc(nt * 3, sizeof(*params));
	owned = pgw_calloc(nt * 2, sizeof(*owned));
	for (size_t i = 0; i < nt; i++)
	{
		owned[2 * i] = rule_regclass_text(cfg, t[i].rule->table);
		snprintf(keep, sizeof(keep), "%lld", t[i].rule->keep_s);
		owned[2 * i + 1] = pgw_strdup(keep);
		params[3 * i] = owned[2 * i];
		params[3 * i + 1] = t[i].rule->column;
		params[3 * i + 2] = owned[2 * i + 1];
		buf_printf(&sql, "%s(%zu, $%zu::text, $%zu::text, $%zu::bigint)", i ? ", " : "",
				   i, 3 * i + 1, 3 * i + 2, 3 * i + 3);
	}
	buf_append(&sql,
			   ") v(i, rel, col, keep)"
			   " LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(v.rel)"
			   "  AND c.relkind IN ('r', 'p')"
			   " LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
			   " LEFT JOIN pg_catalog.pg_index x ON x.indrelid = c.oid AND x.indisprimary"
			   " LEFT JOIN pg_catalog.pg_attribute pa ON pa.attrelid = c.oid AND pa.attnum = x.indkey[0]"
			   " LEFT JOIN pg_catalog.pg_attribute ca ON ca.attrelid = c.oid AND ca.attname = v.col"
			   "  AND ca.attnum > 0 AND NOT ca.attisdropped"
			   " ORDER BY v.i");
	res = db_exec(conn, PGW_ERR_INPUT, "cannot read the retention rules' tables", sql.data,
				  (int) (nt * 3), params, PGRES_TUPLES_OK);
	buf_release(&sql);
	for (size_t i = 0; i < nt * 2; i++)
		free(owned[i]);
	free(owned);
	free(params);
	if (!res)
	{
		maintain_tables_free(t, nt);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_ret_table *x = &t[r];
		const struct pgw_retention *rule = x->rule;

		if (strcmp(PQgetvalue(res, r, 1), "t") != 0)
			pgw_error(PGW_ERR_INPUT, "table '%s' of [retention \"%s\"] does not exist", rule->table, rule->table);
		else if (PQgetisnull(res, r, 4) || strcmp(PQgetvalue(res, r, 4), "1") != 0)
			pgw_error(PGW_ERR_INPUT, "table '%s' has no single-column primary key", rule->table);
		else if (strcmp(PQgetvalue(res, r, 7), "t") != 0)
			pgw_error(PGW_ERR_INPUT, "table '%s' has no column '%s'", rule->table, rule->column);
		else if (strcmp(PQgetvalue(res, r, 8), "t") != 0)
			pgw_error(PGW_ERR_INPUT, "column '%s' of '%s' is not a date or timestamp", rule->column, rule->table);
		else
		{
			x->schema = pgw_strdup(PQgetvalue(res, r, 2));
			x->name = pgw_strdup(PQgetvalue(res, r, 3));
			x->pk = pgw_strdup(PQgetvalue(res, r, 5));
			x->pktype = pgw_strdup(PQgetvalue(res, r, 6));
			x->cutoff = pgw_strdup(PQgetvalue(res, r, 9));
			continue;
		}
		if (!PQgetisnull(res, r, 4) && strcmp(PQgetvalue(res, r, 4), "1") != 0)
			pgw_error_detail("batches go by primary-key range, and its primary key has %s columns",
							 PQgetvalue(res, r, 4));
		pgw_error_hint("fix [retention \"%s\"] (pgwarden.conf line %d)", rule->table, rule->line);
		PQclear(res);
		maintain_tables_free(t, nt);
		return -1;
	}
	PQclear(res);
	for (size_t i = 0; i < nt; i++)
		if (count_matching(conn, &t[i]) != 0)
		{
			maintain_tables_free(t, nt);
			return -1;
		}
	*out = t;
	*n = nt;
	return 0;
}

static char *
batch_sql(const struct pgw_ret_table *t)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_append(&b, "WITH pgw_b AS (SELECT ");
	sql_ident(&b, t->pk);
	buf_append(&b, " AS pgw_k FROM ");
	sql_qname(&b, t->schema, t->name);
	buf_append(&b, " WHERE ");
	rule_from_where(&b, t, NULL);
	buf_append(&b, " AND ($2::text IS NULL OR ");
	sql_ident(&b, t->pk);
	/* pktype is format_type()'s output: already a valid, quoted type name */
	buf_printf(&b, " > $2::text::%s) ORDER BY ", t->pktype);
	sql_ident(&b, t->pk);
	buf_append(&b, " LIMIT $3::int), pgw_d AS (DELETE FROM ");
	sql_qname(&b, t->schema, t->name);
	buf_append(&b, " pgw_t USING pgw_b WHERE pgw_t.");
	sql_ident(&b, t->pk);
	buf_append(&b, " = pgw_b.pgw_k AND ");
	rule_from_where(&b, t, "pgw_t");
	buf_append(&b, " RETURNING 1)"
			   " SELECT (SELECT count(*) FROM pgw_b), (SELECT count(*) FROM pgw_d),"
			   " (SELECT max(pgw_k)::text FROM pgw_b)");
	return buf_steal(&b);
}

/* One batch in its own transaction: 0 done, 1 lock_timeout/deadlock
 * (rolled back, retry), -1 error (rolled back, recorded). */
static int
run_batch(PGconn *conn, const char *sql, const char *lock_timeout, const char *const params[3],
		  bool fail_now, long long *picked, long long *deleted, char **last)
{
	const char *lt[1] = {lock_timeout};
	PGresult   *res;

	if (db_command(conn, PGW_ERR_APPLY, "cannot start a retention batch", "BEGIN", 0, NULL) != 0)
		return -1;
	res = db_exec(conn, PGW_ERR_APPLY, "cannot set lock_timeout",
				  "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, lt, PGRES_TUPLES_OK);
	if (!res)
		goto fail;
	PQclear(res);
	res = PQexecParams(conn, sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		const char *state = db_sqlstate(res);
		bool		busy = !strcmp(state, "55P03") || !strcmp(state, "40P01");

		db_error_from(conn, res, PGW_ERR_APPLY, "a retention batch failed and was rolled back");
		PQclear(res);
		db_command(conn, PGW_ERR_APPLY, "cannot roll back", "ROLLBACK", 0, NULL);
		return busy ? 1 : -1;
	}
	*picked = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*deleted = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	free(*last);
	*last = PQgetisnull(res, 0, 2) ? NULL : pgw_strdup(PQgetvalue(res, 0, 2));
	PQclear(res);
	if (fail_now)
	{
		pgw_error(PGW_ERR_APPLY, "a retention batch failed and was rolled back");
		pgw_error_detail("fault point maintain:batch-fail");
		goto fail;
	}
	if (db_command(conn, PGW_ERR_APPLY, "cannot commit a retention batch", "COMMIT", 0, NULL) != 0)
		return -1;
	return 0;
fail:
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		db_command(conn, PGW_ERR_APPLY, "cannot roll back", "ROLLBACK", 0, NULL);
		pgw_error_restore(&saved);
	}
	return -1;
}

int
maintain_retention_run(PGconn *conn, const struct pgw_config *cfg, struct pgw_ret_table *t,
					   int pause_ms, pgw_ret_progress progress, void *arg)
{
	char	   *sql = batch_sql(t);
	char	   *last = NULL;
	char		batch[16],
				lt[32];
	long long	start = pgw_now_ms();
	int			rc = 0;

	snprintf(batch, sizeof(batch), "%d", t->rule->batch);
	snprintf(lt, sizeof(lt), "%dms", cfg->lock_timeout_ms);
	for (;;)
	{
		const char *params[3] = {t->cutoff, last, batch};
		long long	picked = 0,
					deleted = 0;
		int			attempt = 0,
					b;
		char	   *from = last ? pgw_strdup(last) : NULL;

		if (interrupt_check() != 0)
		{
			free(from);
			rc = -1;
			break;
		}
		for (;;)
		{
			/* the third batch fails inside its transaction (tests) */
			b = run_batch(conn, sql, lt, params, t->batches == 2 && fault_active("maintain:batch-fail"),
						  &picked, &deleted, &last);
			if (b != 1 || attempt >= cfg->lock_retries || pgw_interrupted())
				break;
			attempt++;
			t->lock_retries++;
			interrupt_sleep_ms(200 * attempt);
		}
		free(from);
		if (b != 0)
		{
			if (b == 1)
				pgw_error_hint("another session held a conflicting lock past lock_timeout (%d ms) on %d "
							   "tries; the %d batches before stay deleted: run again to resume",
							   cfg->lock_timeout_ms, attempt + 1, t->batches);
			rc = -1;
			break;
		}
		if (picked == 0)
		{
			t->finished = true;
			break;
		}
		t->batches++;
		t->deleted += deleted;
		if (deleted > t->largest_batch)
			t->largest_batch = (int) deleted;
		t->ms = pgw_now_ms() - start;
		if (progress)
			progress(t, arg);
		if (picked < t->rule->batch)
		{
			t->finished = true;
			break;
		}
		if (pause_ms > 0)
			interrupt_sleep_ms(pause_ms);
	}
	t->ms = pgw_now_ms() - start;
	free(last);
	free(sql);
	return rc;
}

static void
array_literal(struct pgw_buf *b, const struct pgw_strlist *l)
{
	buf_append_char(b, '{');
	for (size_t i = 0; i < l->n; i++)
	{
		if (i)
			buf_append_char(b, ',');
		buf_append_char(b, '"');
		for (const char *p = l->items[i]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				buf_append_char(b, '\\');
			buf_append_char(b, *p);
		}
		buf_append_char(b, '"');
	}
	buf_append_char(b, '}');
}

int
maintain_vacuum_candidates(PGconn *conn, const struct pgw_config *cfg,
						   const struct pgw_strlist *also, json_t **out)
{
	struct pgw_buf schemas,
				extra;
	char		dead_min[32],
				dead_pct[32],
				vac_age[32],
				xid_age[32];
	const char *params[6];
	PGresult   *res;
	json_t	   *rows = json_array();

	*out = NULL;
	buf_init(&schemas);
	buf_init(&extra);
	array_literal(&schemas, &cfg->schemas);
	array_literal(&extra, also);
	snprintf(dead_min, sizeof(dead_min), "%lld", cfg->maintain_dead_min);
	snprintf(dead_pct, sizeof(dead_pct), "%g", cfg->maintain_dead_pct);
	snprintf(vac_age, sizeof(vac_age), "%lld", cfg->maintain_vacuum_age_s);
	snprintf(xid_age, sizeof(xid_age), "%lld", cfg->maintain_xid_age);
	params[0] = schemas.data;
	params[1] = extra.data;
	params[2] = dead_min;
	params[3] = dead_pct;
	params[4] = vac_age;
	params[5] = xid_age;
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the tables' vacuum statistics",
				  "SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup,"
				  " coalesce(round(100.0 * s.n_dead_tup / nullif(s.n_live_tup + s.n_dead_tup, 0), 1), 0),"
				  " coalesce(to_char(greatest(s.last_vacuum, s.last_autovacuum), 'YYYY-MM-DD HH24:MI'), 'never'),"
				  " pg_catalog.age(c.relfrozenxid),"
				  " s.n_dead_tup >= $3::bigint AND 100.0 * s.n_dead_tup"
				  "   >= $4::float8 * nullif(s.n_live_tup + s.n_dead_tup, 0),"
				  " $5::bigint > 0 AND s.n_dead_tup > 0 AND coalesce(greatest(s.last_vacuum, s.last_autovacuum)"
				  "   < pg_catalog.now() - pg_catalog.make_interval(secs => $5::double precision), true),"
				  " $6::bigint > 0 AND pg_catalog.age(c.relfrozenxid) > $6::bigint,"
				  " (s.schemaname || '.' || s.relname) = ANY ($2::text[])"
				  " FROM pg_catalog.pg_stat_user_tables s"
				  " JOIN pg_catalog.pg_class c ON c.oid = s.relid"
				  " WHERE s.schemaname = ANY ($1::text[])"
				  " ORDER BY s.schemaname, s.relname",
				  6, params, PGRES_TUPLES_OK);
	buf_release(&schemas);
	buf_release(&extra);
	if (!res)
	{
		json_decref(rows);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		json_t	   *reasons = json_array();
		json_t	   *row;

		if (!strcmp(PQgetvalue(res, r, 10), "t"))
			json_array_append_new(reasons, json_string("retention"));
		if (!strcmp(PQgetvalue(res, r, 7), "t"))
			json_array_append_new(reasons, json_string("dead_rows"));
		if (!strcmp(PQgetvalue(res, r, 8), "t"))
			json_array_append_new(reasons, json_string("vacuum_age"));
		if (!strcmp(PQgetvalue(res, r, 9), "t"))
			json_array_append_new(reasons, json_string("xid_age"));
		if (json_array_size(reasons) == 0)
		{
			json_decref(reasons);
			continue;
		}
		row = json_object();
		json_object_set_new(row, "schema", json_string(PQgetvalue(res, r, 0)));
		json_object_set_new(row, "table", json_string(PQgetvalue(res, r, 1)));
		json_object_set_new(row, "live_rows", json_integer(strtoll(PQgetvalue(res, r, 2), NULL, 10)));
		json_object_set_new(row, "dead_rows", json_integer(strtoll(PQgetvalue(res, r, 3), NULL, 10)));
		json_object_set_new(row, "dead_pct", json_real(strtod(PQgetvalue(res, r, 4), NULL)));
		json_object_set_new(row, "last_vacuum", json_string(PQgetvalue(res, r, 5)));
		json_object_set_new(row, "xid_age", json_integer(strtoll(PQgetvalue(res, r, 6), NULL, 10)));
		json_object_set_new(row, "reasons", reasons);
		json_array_append_new(rows, row);
	}
	PQclear(res);
	*out = rows;
	return 0;
}

int
maintain_vacuum_table(PGconn *conn, const struct pgw_config *cfg, const char *schema,
					  const char *table, bool full, bool *lock_busy)
{
	struct pgw_buf sql;
	char		lt[32];
	const char *params[1] = {lt};
	PGresult   *res;
	int			rc = 0;

	*lock_busy = false;
	snprintf(lt, sizeof(lt), "%dms", cfg->lock_timeout_ms);
	res = db_exec(conn, PGW_ERR_APPLY, "cannot set lock_timeout",
				  "SELECT pg_catalog.set_config('lock_timeout', $1, false)", 1, params, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	PQclear(res);
	buf_init(&sql);
	buf_append(&sql, full ? "VACUUM (FULL, ANALYZE) " : "VACUUM (ANALYZE) ");
	sql_qname(&sql, schema, table);
	res = PQexec(conn, sql.data);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		*lock_busy = !strcmp(db_sqlstate(res), "55P03");
		db_error_from(conn, res, PGW_ERR_APPLY, "VACUUM failed");
		pgw_error_prefix("%s.%s", schema, table);
		rc = -1;
	}
	PQclear(res);
	buf_release(&sql);
	return rc;
}
