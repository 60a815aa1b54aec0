/*
 * rlsprobe.c — the isolation probes of `pgwarden rls test` (check/rlsprobe.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check/rlsprobe.h"
#include "check/tenant.h"
#include "db/query.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/mem.h"

const char *const pgw_probe_op_names[PGW_PROBE_NOPS] = {"SELECT", "UPDATE", "DELETE", "INSERT"};

const char *
probe_outcome_name(enum pgw_probe_outcome o)
{
	switch (o)
	{
		case PGW_PROBE_ISOLATED:
			return "isolated";
		case PGW_PROBE_LEAKS:
			return "LEAKS";
		case PGW_PROBE_INCONCLUSIVE:
			return "inconclusive";
		default:
			return "skipped";
	}
}

/* One value from a one-row query, or NULL (caller frees). */
static int
query_value(PGconn *conn, const char *sql, int n, const char *const *params, char **out)
{
	PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "rls test query failed", sql, n, params, PGRES_TUPLES_OK);

	*out = NULL;
	if (!res)
		return -1;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*out = pgw_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Columns a copied row sets: those without default, identity or
 * generation, plus the tenant column; as a quoted list. */
static void
copy_columns(const struct pgw_relation *rel, const char *tc, struct pgw_buf *b)
{
	bool		first = true;

	for (size_t i = 0; i < rel->columns.n; i++)
	{
		const struct pgw_column *c = rel->columns.items[i];

		if ((c->default_expr || c->identity || c->generated) && strcmp(c->obj.name, tc) != 0)
			continue;
		if (!first)
			buf_append(b, ", ");
		sql_ident(b, c->obj.name);
		first = false;
	}
}

/* INSERT … SELECT the columns from $1 (a row as JSON) with the tenant column
 * set to $3 ($2: its name). */
static void
copy_insert_sql(const struct pgw_relation *rel, const char *tc, struct pgw_buf *q)
{
	struct pgw_buf cols;

	buf_init(&cols);
	copy_columns(rel, tc, &cols);
	buf_append(q, "INSERT INTO ");
	sql_qname(q, rel->obj.schema, rel->obj.name);
	buf_printf(q, " (%s) SELECT %s FROM pg_catalog.jsonb_populate_record(NULL::", cols.data, cols.data);
	sql_qname(q, rel->obj.schema, rel->obj.name);
	buf_append(q, ", pg_catalog.jsonb_set($1::jsonb, ARRAY[$2::text], pg_catalog.to_jsonb($3::text)))");
	buf_release(&cols);
}

static int
exec_simple(PGconn *conn, const char *sql)
{
	return db_command(conn, PGW_ERR_CONNECT, "rls test statement failed", sql, 0, NULL);
}

/* Runs one probe statement under a savepoint; returns its result status
 * (caller clears) after rolling back to the savepoint. */
static PGresult *
probe_exec(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult   *res;

	if (exec_simple(conn, "SAVEPOINT pgw_probe") != 0)
		return NULL;
	res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (exec_simple(conn, "ROLLBACK TO SAVEPOINT pgw_probe") != 0)
	{
		PQclear(res);
		return NULL;
	}
	return res;
}

static void
judge(struct pgw_probe_op *op, PGresult *res, const char *op_name, const char *tc)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
	{
		long long	n = st == PGRES_TUPLES_OK && strcmp(op_name, "SELECT") == 0
			? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : strtoll(PQcmdTuples(res), NULL, 10);

		if (strcmp(op_name, "INSERT") == 0)
		{
			op->outcome = PGW_PROBE_LEAKS;
			op->detail = pgw_asprintf("row with foreign %s accepted", tc);
		}
		else if (n > 0)
		{
			op->outcome = PGW_PROBE_LEAKS;
			op->detail = pgw_asprintf("%s %lld row%s of the other tenant",
									  strcmp(op_name, "SELECT") == 0 ? "reads" :
									  strcmp(op_name, "UPDATE") == 0 ? "updates" : "deletes",
									  n, n == 1 ? "" : "s");
		}
		else
			op->outcome = PGW_PROBE_ISOLATED;
		return;
	}
	{
		const char *state = db_sqlstate(res);
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

		if (strcmp(state, "42501") == 0)
		{
			op->outcome = PGW_PROBE_ISOLATED;
			op->detail = pgw_strdup(msg && strstr(msg, "row-level security") ? "rejected by row-level security"
									: "no privilege");
		}
		else if (strcmp(state, "23503") == 0 && strcmp(op_name, "DELETE") == 0)
		{
			op->outcome = PGW_PROBE_LEAKS;
			op->detail = pgw_strdup("the other tenant's row was reachable (the delete failed only on a foreign key)");
		}
		else
		{
			op->outcome = PGW_PROBE_INCONCLUSIVE;
			op->detail = pgw_asprintf("%s (SQLSTATE %s)", msg ? msg : "error", state);
		}
	}
}

static int
probe_table(PGconn *conn, struct pgw_model *m, const struct pgw_tenancy *t, const struct pgw_config *cfg,
			const struct pgw_relation *rel, const char *a, const char *b, struct pgw_probe_table *pt)
{
	struct pgw_buf q;
	char	   *count_b = NULL;
	char	   *source = NULL;
	const char *params[3];
	PGresult   *res;
	int			rc = -1;

	(void) cfg;
	buf_init(&q);
	pt->table = pgw_strdup(tenancy_table_arg(m, rel));

	/* as the connecting role: B's rows, and a row to copy */
	buf_append(&q, "SELECT count(*) FROM ");
	sql_qname(&q, rel->obj.schema, rel->obj.name);
	buf_append(&q, " AS c WHERE c.");
	sql_ident(&q, t->column);
	buf_append(&q, "::text = $1");
	params[0] = b;
	if (query_value(conn, q.data, 1, params, &count_b) != 0)
		goto out;
	buf_reset(&q);
	buf_append(&q, "SELECT pg_catalog.row_to_json(c)::text FROM ");
	sql_qname(&q, rel->obj.schema, rel->obj.name);
	buf_append(&q, " AS c ORDER BY (c.");
	sql_ident(&q, t->column);
	buf_append(&q, "::text = $1) DESC LIMIT 1");
	params[0] = a;
	if (query_value(conn, q.data, 1, params, &source) != 0)
		goto out;
	if (!source)
	{
		for (int i = 0; i < PGW_PROBE_NOPS; i++)
		{
			pt->ops[i].outcome = PGW_PROBE_SKIPPED;
			pt->ops[i].detail = pgw_strdup("the table is empty: no row to copy for a probe");
		}
		rc = 0;
		goto out;
	}
	if (strcmp(count_b, "0") == 0)
	{
		/* a probe row of B, kept until the final rollback */
		buf_reset(&q);
		copy_insert_sql(rel, t->column, &q);
		params[0] = source;
		params[1] = t->column;
		params[2] = b;
		if (exec_simple(conn, "SAVEPOINT pgw_probe_row") != 0)
			goto out;
		res = PQexecParams(conn, q.data, 3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			char	   *why = pgw_asprintf("no row of the other tenant, and a probe row could not be inserted: %s",
										   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
										   ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "error");

			PQclear(res);
			if (exec_simple(conn, "ROLLBACK TO SAVEPOINT pgw_probe_row") != 0)
			{
				free(why);
				goto out;
			}
			for (int i = 0; i < PGW_PROBE_NOPS - 1; i++)
			{
				pt->ops[i].outcome = PGW_PROBE_SKIPPED;
				pt->ops[i].detail = pgw_strdup(why);
			}
			free(why);
		}
		else
		{
			PQclear(res);
			pt->probe_row = true;
		}
	}

	/* as the application */
	buf_reset(&q);
	buf_append(&q, "SET LOCAL ROLE ");
	sql_ident(&q, cfg->app_role);
	if (exec_simple(conn, q.data) != 0)
		goto out;
	/* fault point rls-after-probe-row: fail once a probe row exists (tests) */
	if (pt->probe_row && fault_active("rls-after-probe-row") && exec_simple(conn, "SELECT 1 / 0") != 0)
		goto out;
	for (int i = 0; i < PGW_PROBE_NOPS; i++)
	{
		const char *op = pgw_probe_op_names[i];
		int			np = 1;

		if (pt->ops[i].outcome == PGW_PROBE_SKIPPED && pt->ops[i].detail)
			continue;
		buf_reset(&q);
		params[0] = b;
		if (i == 0)
			buf_append(&q, "SELECT count(*) FROM ");
		else if (i == 1)
			buf_append(&q, "UPDATE ");
		else if (i == 2)
			buf_append(&q, "DELETE FROM ");
		if (i < 3)
		{
			sql_qname(&q, rel->obj.schema, rel->obj.name);
			buf_append(&q, " AS c");
			if (i == 1)
			{
				buf_append(&q, " SET ");
				sql_ident(&q, t->column);
				buf_append(&q, " = c.");
				sql_ident(&q, t->column);
			}
			buf_append(&q, " WHERE c.");
			sql_ident(&q, t->column);
			buf_append(&q, "::text = $1");
		}
		else
		{
			copy_insert_sql(rel, t->column, &q);
			params[0] = source;
			params[1] = t->column;
			params[2] = b;
			np = 3;
		}
		if (!(res = probe_exec(conn, q.data, np, params)))
			goto out;
		judge(&pt->ops[i], res, op, t->column);
		PQclear(res);
	}
	if (exec_simple(conn, "RESET ROLE") != 0)
		goto out;
	rc = 0;
out:
	buf_release(&q);
	free(count_b);
	free(source);
	return rc;
}

/* The tenant context as the application sets it: the tenant setting and,
 * with Supabase's auth.uid(), JWT claims naming a member of the tenant. */
static int
set_context(PGconn *conn, struct pgw_model *m, const struct pgw_tenancy *t, const struct pgw_config *cfg,
			const char *a, struct pgw_rls_report *rep)
{
	const char *params[2];
	char	   *has_uid = NULL;

	params[0] = cfg->tenant_setting && *cfg->tenant_setting ? cfg->tenant_setting : "app.current_tenant_id";
	params[1] = a;
	if (query_value(conn, "SELECT pg_catalog.set_config($1, $2, true)", 2, params, &has_uid) != 0)
		return -1;
	free(has_uid);
	if (query_value(conn, "SELECT (pg_catalog.to_regprocedure('auth.uid()') IS NOT NULL)::text", 0, NULL,
					&has_uid) != 0)
		return -1;
	if (has_uid && strcmp(has_uid, "true") == 0)
	{
		/* a membership table: tenant column plus user_id */
		for (size_t i = 0; i < m->relations.n && !rep->user_a; i++)
		{
			const struct pgw_relation *r = m->relations.items[i];
			struct pgw_buf q;

			if (!tenancy_is_managed_table(r) || !tenancy_has_column(t, r) || !model_find_column(r, "user_id"))
				continue;
			buf_init(&q);
			buf_append(&q, "SELECT user_id::text FROM ");
			sql_qname(&q, r->obj.schema, r->obj.name);
			buf_append(&q, " WHERE ");
			sql_ident(&q, t->column);
			buf_append(&q, "::text = $1 ORDER BY 1 LIMIT 1");
			params[0] = a;
			if (query_value(conn, q.data, 1, params, &rep->user_a) != 0)
			{
				buf_release(&q);
				free(has_uid);
				return -1;
			}
			buf_release(&q);
		}
		{
			json_t	   *claims = json_pack("{s:s, s:s}", "sub",
										   rep->user_a ? rep->user_a : "00000000-0000-0000-0000-000000000000",
										   "role", cfg->app_role);
			char	   *text;
			char	   *ignored = NULL;
			int			r;

			/* a tenant claim too, for policies on auth.jwt() ->> 'tenant_id' */
			json_object_set_new(claims, t->column, json_string(a));
			text = json_dumps(claims, JSON_COMPACT);

			params[0] = "request.jwt.claims";
			params[1] = text;
			r = query_value(conn, "SELECT pg_catalog.set_config($1, $2, true)", 2, params, &ignored);
			free(ignored);
			free(text);
			json_decref(claims);
			if (r != 0)
			{
				free(has_uid);
				return -1;
			}
		}
	}
	free(has_uid);
	return 0;
}

int
rls_probe_run(PGconn *conn, struct pgw_model *m, const struct pgw_config *cfg, const char *only,
			  struct pgw_rls_report *rep)
{
	struct pgw_tenancy t;
	struct pgw_relation *one = NULL;
	const char *params[1];
	char	   *exists = NULL;
	PGresult   *res = NULL;
	int			rc = -1;

	memset(rep, 0, sizeof(*rep));
	tenancy_init(&t, m, cfg);
	rep->role = pgw_strdup(cfg->app_role);
	if (only && !(one = tenancy_resolve_table(m, only)))
		return tenancy_unknown_table(m, only);
	if (!t.tenants || !t.tenants_key)
	{
		pgw_error(PGW_ERR_INPUT, "no tenants table found");
		pgw_error_hint("a table that %s columns reference, or one named tenants, is needed", t.column);
		return -1;
	}
	params[0] = cfg->app_role;
	if (query_value(conn, "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = $1", 1, params, &exists) != 0)
		return -1;
	if (!exists)
	{
		pgw_error(PGW_ERR_INPUT, "role '%s' does not exist", cfg->app_role);
		pgw_error_hint("set app_role in pgwarden.conf to the role the application uses");
		return -1;
	}
	free(exists);
	if (exec_simple(conn, "BEGIN") != 0)
		return -1;

	/* two tenants, in key order */
	{
		struct pgw_buf q;

		buf_init(&q);
		buf_append(&q, "SELECT ");
		sql_ident(&q, t.tenants_key);
		buf_append(&q, "::text FROM ");
		sql_qname(&q, t.tenants->obj.schema, t.tenants->obj.name);
		buf_append(&q, " ORDER BY 1 LIMIT 2");
		res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the tenants", q.data, 0, NULL, PGRES_TUPLES_OK);
		buf_release(&q);
		if (!res)
			goto out;
		if (PQntuples(res) < 2)
		{
			pgw_error(PGW_ERR_INPUT, "'%s' holds %d tenant%s: two are needed to test isolation",
					  t.tenants->obj.name, PQntuples(res), PQntuples(res) == 1 ? "" : "s");
			pgw_error_hint("seed two tenants (the test rolls everything back)");
			goto out;
		}
		rep->tenant_a = pgw_strdup(PQgetvalue(res, 0, 0));
		rep->tenant_b = pgw_strdup(PQgetvalue(res, 1, 0));
		PQclear(res);
		res = NULL;
	}
	if (set_context(conn, m, &t, cfg, rep->tenant_a, rep) != 0)
		goto out;
	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *rel = m->relations.items[i];
		struct pgw_probe_table *pt;

		if (!tenancy_is_managed_table(rel) || !tenancy_has_column(&t, rel) || (one && rel != one))
			continue;
		rep->tables = pgw_realloc(rep->tables, (rep->n + 1) * sizeof(*rep->tables));
		pt = &rep->tables[rep->n++];
		memset(pt, 0, sizeof(*pt));
		if (probe_table(conn, m, &t, cfg, rel, rep->tenant_a, rep->tenant_b, pt) != 0)
			goto out;
		for (int k = 0; k < PGW_PROBE_NOPS; k++)
		{
			if (pt->ops[k].outcome == PGW_PROBE_LEAKS)
				rep->leaks++;
			else if (pt->ops[k].outcome == PGW_PROBE_INCONCLUSIVE)
				rep->inconclusive++;
		}
	}
	rc = 0;
out:
	PQclear(res);
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		if (exec_simple(conn, "ROLLBACK") != 0 && rc == 0)
		{
			pgw_error_restore(&saved);
			return pgw_error(PGW_ERR_CONNECT, "cannot roll back the rls test");
		}
		pgw_error_restore(&saved);
	}
	return rc;
}

void
rls_report_release(struct pgw_rls_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
	{
		free(rep->tables[i].table);
		for (int k = 0; k < PGW_PROBE_NOPS; k++)
			free(rep->tables[i].ops[k].detail);
	}
	free(rep->tables);
	free(rep->role);
	free(rep->tenant_a);
	free(rep->tenant_b);
	free(rep->user_a);
	memset(rep, 0, sizeof(*rep));
}
