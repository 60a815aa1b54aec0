/*
 * validate.c — the checks of `pgwarden validate` (check/validate.h).
 *
 * Per table, in canonical model order: build the data query (one per
 * table), run it, then emit the table's findings — schema ones and data
 * ones together, so a fix can depend on what the data showed (an FK that
 * would meet orphans is fixed with --nullify-orphans or --delete-orphans).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "check/tenant.h"
#include "check/validate.h"
#include "db/query.h"
#include "migrate/files.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/fs.h"
#include "util/mem.h"

/* One data check of a table: a FILTER condition and what it found. */
enum dcheck_kind
{
	DC_TENANT_NULL,
	DC_ORPHAN,
	DC_NULL
};

struct dcheck
{
	enum dcheck_kind kind;
	const struct pgw_constraint *fk;	/* DC_ORPHAN: an FK NOT VALID, or */
	const struct pgw_column *col;	/* a *_id column without FK / DC_NULL column */
	const struct pgw_relation *ref; /* DC_ORPHAN: the parent */
	const char *file;			/* DC_NULL: the pending migration */
	int64_t		count;
	char	   *samples;		/* "a, b, c" or NULL */
};

#define MAX_CHECKS 64

static void
append_fix(struct pgw_findings *out, struct pgw_finding *f, const char *action,
		   const char **args, size_t nargs)
{
	finding_set_fix(out, f, action, (const char *const *) args, nargs, NULL);
}

/* The condition, over alias c, that row is an orphan for check d. */
static void
orphan_condition(struct pgw_buf *q, const struct dcheck *d)
{
	size_t		n = d->fk ? d->fk->columns.n : 1;

	buf_append(q, "(");
	for (size_t i = 0; i < n; i++)
	{
		buf_append(q, "c.");
		sql_ident(q, d->fk ? d->fk->columns.items[i] : d->col->obj.name);
		buf_append(q, " IS NOT NULL AND ");
	}
	buf_append(q, "NOT EXISTS (SELECT 1 FROM ");
	sql_qname(q, d->ref->obj.schema, d->ref->obj.name);
	buf_append(q, " AS p WHERE ");
	for (size_t i = 0; i < n; i++)
	{
		if (i)
			buf_append(q, " AND ");
		buf_append(q, "p.");
		sql_ident(q, d->fk ? d->fk->ref_columns.items[i] : tenancy_single_pk(d->ref));
		buf_append(q, " = c.");
		sql_ident(q, d->fk ? d->fk->columns.items[i] : d->col->obj.name);
	}
	buf_append(q, "))");
}

static void
check_condition(struct pgw_buf *q, const struct pgw_tenancy *t, const struct dcheck *d)
{
	switch (d->kind)
	{
		case DC_TENANT_NULL:
			buf_append(q, "c.");
			sql_ident(q, t->column);
			buf_append(q, " IS NULL");
			break;
		case DC_NULL:
			buf_append(q, "c.");
			sql_ident(q, d->col->obj.name);
			buf_append(q, " IS NULL");
			break;
		case DC_ORPHAN:
			orphan_condition(q, d);
			break;
	}
}

/* Runs the table's one data query; fills rows and each check's count. */
static int
run_data_query(PGconn *conn, const struct pgw_tenancy *t, const struct pgw_relation *rel,
			   struct dcheck *dc, size_t ndc, int sample, int64_t *rows)
{
	struct pgw_buf q;
	struct pgw_buf id;
	const char *pk = tenancy_single_pk(rel);
	char		nsample[16];
	const char *params[1];
	PGresult   *res;

	buf_init(&id);
	if (pk)
	{
		buf_append(&id, "c.");
		sql_ident(&id, pk);
		buf_append(&id, "::text");
	}
	else
		buf_append(&id, "c.ctid::text");
	buf_init(&q);
	buf_append(&q, "SELECT count(*)");
	for (size_t i = 0; i < ndc; i++)
	{
		buf_append(&q, ",\n  count(*) FILTER (WHERE ");
		check_condition(&q, t, &dc[i]);
		buf_printf(&q, "),\n  array_to_string((array_agg(%s ORDER BY %s) FILTER (WHERE ", id.data, id.data);
		check_condition(&q, t, &dc[i]);
		buf_append(&q, "))[1:$1::int], ', ')");
	}
	buf_append(&q, "\nFROM ");
	sql_qname(&q, rel->obj.schema, rel->obj.name);
	buf_append(&q, " AS c");
	snprintf(nsample, sizeof(nsample), "%d", sample);
	params[0] = nsample;
	/* fault point validate-data-query: the table's query fails (tests) */
	if (fault_active("validate-data-query"))
		res = db_exec(conn, PGW_ERR_CONNECT, "cannot check the data", "SELECT 1 / 0", 0, NULL, PGRES_TUPLES_OK);
	else
		res = db_exec(conn, PGW_ERR_CONNECT, "cannot check the data", q.data, ndc ? 1 : 0, ndc ? params : NULL,
					  PGRES_TUPLES_OK);
	buf_release(&q);
	buf_release(&id);
	if (!res)
	{
		pgw_error_prefix("\"%s\".\"%s\"", rel->obj.schema, rel->obj.name);
		return -1;
	}
	*rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	for (size_t i = 0; i < ndc; i++)
	{
		dc[i].count = strtoll(PQgetvalue(res, 0, (int) (1 + 2 * i)), NULL, 10);
		if (!PQgetisnull(res, 0, (int) (2 + 2 * i)) && *PQgetvalue(res, 0, (int) (2 + 2 * i)))
			dc[i].samples = pgw_strdup(PQgetvalue(res, 0, (int) (2 + 2 * i)));
	}
	PQclear(res);
	return 0;
}

static bool
pending_matches(const struct pgw_pending_not_null *p, const struct pgw_relation *rel)
{
	if (strcmp(p->table, rel->obj.name) != 0)
		return false;
	return p->schema ? strcmp(p->schema, rel->obj.schema) == 0 : strcmp(rel->obj.schema, "public") == 0;
}

static void
set_table(struct pgw_findings *out, struct pgw_finding *f, const struct pgw_relation *rel,
		  const char *column)
{
	finding_set_object(out, f, column ? "column" : "table", rel->obj.schema, rel->obj.name, column);
}

/* The orphan flag for an FK fix: nullify when every column may be NULL. */
static const char *
orphan_flag(const struct pgw_relation *rel, const struct dcheck *d)
{
	size_t		n = d->fk ? d->fk->columns.n : 1;

	for (size_t i = 0; i < n; i++)
	{
		const struct pgw_column *c = d->fk ? model_find_column(rel, d->fk->columns.items[i]) : d->col;

		if (!c || c->not_null)
			return "--delete-orphans";
	}
	return "--nullify-orphans";
}

static void
check_table(struct pgw_model *m, const struct pgw_tenancy *t, const struct pgw_validate_opts *o,
			struct pgw_relation *rel, struct dcheck *dc, size_t ndc, bool scanned, int64_t rows,
			struct pgw_findings *out, struct pgw_validate_result *res)
{
	const char *tab = tenancy_table_arg(m, rel);
	bool		has_tc = tenancy_has_column(t, rel);
	bool		exposed = false;
	const struct pgw_constraint *parent = tenancy_parent_fk(t, rel);
	const struct pgw_constraint *backfill = tenancy_backfill_fk(t, rel);
	const char *parent_arg = NULL;
	struct pgw_finding *f;
	char	   *msg;
	const char *args[8];

	/* none listed: a plain project, nothing reached through an API */
	exposed = strlist_contains(&o->cfg->exposed_schemas, rel->obj.schema);
	if (parent || backfill)
	{
		const struct pgw_constraint *fk = parent ? parent : backfill;

		parent_arg = tenancy_table_arg(m, tenancy_find_relation(m, fk->ref_schema, fk->ref_table));
	}

	/* tenant.missing_column */
	if (!has_tc && !parent && t->column && *t->column && rel != t->tenants &&
		(strlist_contains(&o->cfg->tenant_tables, rel->obj.name) ||
		 strlist_contains(&o->cfg->tenant_tables, tab)))
	{
		msg = pgw_asprintf("%s has no %s column, but the config lists it in tenant_tables", tab, t->column);
		f = findings_add(out, "tenant.missing_column", PGW_SEV_ERROR, "tenant", msg);
		free(msg);
		set_table(out, f, rel, NULL);
		finding_set_hint(out, f, "add the column, set every row's tenant, then isolate the table");
		args[0] = tab;
		append_fix(out, f, "add-tenant-isolation", args, 1);
	}
	if (parent)
	{
		msg = pgw_asprintf("%s has no %s column, but its rows belong to a tenant through %s (%s)",
						   tab, t->column, parent_arg, (const char *) parent->columns.items[0]);
		f = findings_add(out, "tenant.missing_column", PGW_SEV_ERROR, "tenant", msg);
		free(msg);
		set_table(out, f, rel, NULL);
		finding_set_hint(out, f, "add the column, backfill it from the parent, then isolate the table");
		args[0] = tab;
		args[1] = "--backfill-from";
		args[2] = parent_arg;
		append_fix(out, f, "add-tenant-isolation", args, 3);
	}

	/* tenant.coverage and tenant.not_null */
	if (has_tc)
	{
		const struct pgw_column *tc = model_find_column(rel, t->column);

		for (size_t i = 0; i < ndc; i++)
		{
			struct pgw_coverage *cv;

			if (dc[i].kind != DC_TENANT_NULL)
				continue;
			res->coverage = pgw_realloc(res->coverage, (res->ncoverage + 1) * sizeof(*res->coverage));
			cv = &res->coverage[res->ncoverage++];
			cv->table = pgw_strdup(tab);
			cv->rows = rows;
			cv->with_tenant = rows - dc[i].count;
			if (dc[i].count == 0)
				continue;
			msg = pgw_asprintf("%s: %.1f%% complete (%lld/%lld): %lld row%s without a %s",
							   tab, 100.0 * (double) cv->with_tenant / (double) rows,
							   (long long) cv->with_tenant, (long long) rows, (long long) dc[i].count,
							   dc[i].count == 1 ? "" : "s", t->column);
			f = findings_add(out, "tenant.coverage", PGW_SEV_ERROR, "tenant", msg);
			free(msg);
			set_table(out, f, rel, t->column);
			if (dc[i].samples)
			{
				msg = pgw_asprintf("sample ids: %s", dc[i].samples);
				finding_set_detail(out, f, msg);
				free(msg);
			}
			finding_set_hint(out, f, backfill
							 ? "backfill the tenant from the parent row, then make the column NOT NULL"
							 : "set the tenant of these rows, then make the column NOT NULL");
			args[0] = tab;
			if (backfill)
			{
				args[1] = "--backfill-from";
				args[2] = parent_arg;
			}
			append_fix(out, f, "add-tenant-isolation", args, backfill ? 3 : 1);
		}
		if (tc && !tc->not_null)
		{
			msg = pgw_asprintf("%s.%s allows NULL: a row without a tenant is invisible to every tenant, or visible to all",
							   tab, t->column);
			f = findings_add(out, "tenant.not_null", PGW_SEV_WARNING, "tenant", msg);
			free(msg);
			set_table(out, f, rel, t->column);
			args[0] = tab;
			if (backfill)
			{
				args[1] = "--backfill-from";
				args[2] = parent_arg;
			}
			append_fix(out, f, "add-tenant-isolation", args, backfill ? 3 : 1);
		}
	}

	/* row-level security */
	args[0] = tab;
	if (!rel->rls_enabled && (has_tc || exposed))
	{
		msg = pgw_asprintf("%s: row-level security is disabled%s", tab,
						   has_tc ? ", though the table has a tenant column" : " on a table in an exposed schema");
		f = findings_add(out, "rls.disabled", PGW_SEV_ERROR, "rls", msg);
		free(msg);
		set_table(out, f, rel, NULL);
		finding_set_hint(out, f, "enable row-level security and add isolation policies");
		if (has_tc)
			append_fix(out, f, "fix-rls-policy", args, 1);
		else if (parent)
			append_fix(out, f, "add-tenant-isolation", (const char *[]) {tab, "--backfill-from", parent_arg}, 3);
	}
	else if (!rel->rls_enabled && o->cfg->exposed_schemas.n == 0)
	{
		msg = pgw_asprintf("%s: row-level security is disabled; no schema is exposed to clients (exposed_schemas is empty), so only roles you grant reach it",
						   tab);
		f = findings_add(out, "rls.disabled", PGW_SEV_INFO, "rls", msg);
		free(msg);
		set_table(out, f, rel, NULL);
		finding_set_hint(out, f, "when an API (PostgREST, Supabase) serves this schema, list it in exposed_schemas and enable row-level security");
	}
	if (rel->rls_enabled && rel->policies.n == 0)
	{
		msg = pgw_asprintf("%s: row-level security is on but no policy exists: only the owner sees rows", tab);
		f = findings_add(out, "rls.no_policy", PGW_SEV_WARNING, "rls", msg);
		free(msg);
		set_table(out, f, rel, NULL);
		if (has_tc)
			append_fix(out, f, "fix-rls-policy", args, 1);
	}
	for (size_t i = 0; i < rel->policies.n; i++)
	{
		const struct pgw_policy *p = rel->policies.items[i];
		const char *why = tenancy_policy_weakness(t, rel, p);

		if (why)
		{
			msg = pgw_asprintf("policy %s on %s (%s) does not isolate tenants: %s", p->obj.name, tab,
							   tenancy_policy_command(p->command), why);
			f = findings_add(out, "rls.weak_policy", PGW_SEV_ERROR, "rls", msg);
			free(msg);
			finding_set_object(out, f, "policy", rel->obj.schema, p->obj.name, NULL);
			finding_set_table(out, f, rel->obj.schema, rel->obj.name);
			msg = pgw_asprintf("USING (%s)%s%s%s", p->using_expr ? p->using_expr : "",
							   p->check_expr ? " WITH CHECK (" : "", p->check_expr ? p->check_expr : "",
							   p->check_expr ? ")" : "");
			finding_set_detail(out, f, msg);
			free(msg);
			if (has_tc)
				append_fix(out, f, "fix-rls-policy", args, 1);
			else if (parent)
				append_fix(out, f, "add-tenant-isolation", (const char *[]) {tab, "--backfill-from", parent_arg}, 3);
			continue;
		}
		if ((p->command == 'a' || p->command == 'w' || p->command == '*') && !p->check_expr &&
			tenancy_expr_isolates(t, p->using_expr))
		{
			msg = pgw_asprintf("policy %s on %s (%s) has no WITH CHECK: new rows are checked only by USING",
							   p->obj.name, tab, tenancy_policy_command(p->command));
			f = findings_add(out, "rls.missing_with_check", PGW_SEV_WARNING, "rls", msg);
			free(msg);
			finding_set_object(out, f, "policy", rel->obj.schema, p->obj.name, NULL);
			finding_set_table(out, f, rel->obj.schema, rel->obj.name);
			if (has_tc)
				append_fix(out, f, "fix-rls-policy", args, 1);
		}
	}
	if (rel->rls_enabled && !rel->rls_forced && (has_tc || parent))
	{
		msg = pgw_asprintf("%s: row-level security is not forced: the table owner bypasses it", tab);
		f = findings_add(out, "rls.not_forced", PGW_SEV_INFO, "rls", msg);
		free(msg);
		set_table(out, f, rel, NULL);
		finding_set_hint(out, f, "ALTER TABLE ... FORCE ROW LEVEL SECURITY when the application connects as the owner");
	}

	/* foreign keys */
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];

		if ((c->type != PGW_CON_FOREIGN && c->type != PGW_CON_CHECK) || c->validated)
			continue;
		msg = pgw_asprintf("%s: %s constraint %s is NOT VALID: existing rows were never checked", tab,
						   c->type == PGW_CON_FOREIGN ? "foreign key" : "check", c->obj.name);
		f = findings_add(out, "fk.not_validated", PGW_SEV_WARNING, "fk", msg);
		free(msg);
		finding_set_object(out, f, "constraint", rel->obj.schema, c->obj.name, NULL);
		finding_set_table(out, f, rel->obj.schema, rel->obj.name);
		{
			struct pgw_buf sql;

			buf_init(&sql);
			buf_append(&sql, "ALTER TABLE ");
			sql_qname(&sql, rel->obj.schema, rel->obj.name);
			buf_append(&sql, " VALIDATE CONSTRAINT ");
			sql_ident(&sql, c->obj.name);
			buf_append(&sql, ";");
			msg = pgw_asprintf("fix the offending rows, then: %s", sql.data);
			finding_set_hint(out, f, msg);
			free(msg);
			buf_release(&sql);
		}
	}
	for (size_t i = 0; i < rel->columns.n; i++)
	{
		const struct pgw_column *col = rel->columns.items[i];
		struct pgw_relation *ref;
		const struct dcheck *d = NULL;

		if (tenancy_column_fk(rel, col->obj.name) || !(ref = tenancy_guess_reference(m, rel, col)))
			continue;
		for (size_t k = 0; k < ndc; k++)
			if (dc[k].kind == DC_ORPHAN && dc[k].col == col)
				d = &dc[k];
		msg = pgw_asprintf("%s.%s names %s but has no foreign key", tab, col->obj.name,
						   tenancy_table_arg(m, ref));
		f = findings_add(out, "fk.missing", PGW_SEV_WARNING, "fk", msg);
		free(msg);
		set_table(out, f, rel, col->obj.name);
		args[0] = tab;
		args[1] = tenancy_table_arg(m, ref);
		args[2] = "--column";
		args[3] = col->obj.name;
		args[4] = d && d->count > 0 ? orphan_flag(rel, d) : NULL;
		append_fix(out, f, "add-foreign-key", args, args[4] ? 5 : 4);
	}
	for (size_t k = 0; k < ndc; k++)
	{
		struct dcheck *d = &dc[k];
		const char *colname;

		if (d->kind != DC_ORPHAN || d->count == 0)
			continue;
		colname = d->fk ? d->fk->columns.items[0] : d->col->obj.name;
		msg = pgw_asprintf("%s: %lld row%s point%s at no row of %s (%s%s)", tab, (long long) d->count,
						   d->count == 1 ? "" : "s", d->count == 1 ? "s" : "", tenancy_table_arg(m, d->ref), colname,
						   d->fk ? ", foreign key NOT VALID" : ", no foreign key");
		f = findings_add(out, "fk.orphans", PGW_SEV_ERROR, "fk", msg);
		free(msg);
		set_table(out, f, rel, colname);
		if (d->samples)
		{
			msg = pgw_asprintf("sample ids: %s", d->samples);
			finding_set_detail(out, f, msg);
			free(msg);
		}
		args[0] = tab;
		args[1] = tenancy_table_arg(m, d->ref);
		args[2] = "--column";
		args[3] = colname;
		args[4] = orphan_flag(rel, d);
		if (!d->fk || d->fk->columns.n == 1)
			append_fix(out, f, "add-foreign-key", args, 5);
	}

	/* null.violation */
	for (size_t k = 0; k < ndc; k++)
	{
		struct dcheck *d = &dc[k];

		if (d->kind != DC_NULL || d->count == 0)
			continue;
		if (d->file)
			msg = pgw_asprintf("%s: %lld row%s NULL in %s, which pending migration %s sets NOT NULL",
							   tab, (long long) d->count, d->count == 1 ? " has" : "s have",
							   d->col->obj.name, d->file);
		else
			msg = pgw_asprintf("%s: %lld row%s NULL in %s, which the config declares required",
							   tab, (long long) d->count, d->count == 1 ? " has" : "s have",
							   d->col->obj.name);
		f = findings_add(out, "null.violation", PGW_SEV_ERROR, "null", msg);
		free(msg);
		set_table(out, f, rel, d->col->obj.name);
		if (d->samples)
		{
			msg = pgw_asprintf("sample ids: %s", d->samples);
			finding_set_detail(out, f, msg);
			free(msg);
		}
		finding_set_hint(out, f, "set a value in these rows (or a default) before the migration runs");
	}
	(void) scanned;
}

int
validate_run(PGconn *conn, struct pgw_model *m, const struct pgw_validate_opts *o,
			 struct pgw_findings *out, struct pgw_validate_result *res)
{
	struct pgw_tenancy t;
	struct pgw_relation *only = NULL;
	int			rc = 0;
	bool		outer;

	memset(res, 0, sizeof(*res));
	tenancy_init(&t, m, o->cfg);
	if (o->table && !(only = tenancy_resolve_table(m, o->table)))
		return tenancy_unknown_table(m, o->table);
	/*
	 * Inside the caller's transaction (migrate up --safe verifies a
	 * migration before its COMMIT): read there and leave it open — a BEGIN
	 * would only warn, and our ROLLBACK would undo the caller's work.
	 */
	outer = PQtransactionStatus(conn) == PQTRANS_INTRANS;
	if (!outer &&
		db_command(conn, PGW_ERR_CONNECT, "cannot start a read-only transaction",
				   "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) != 0)
		return -1;
	for (size_t i = 0; i < m->relations.n && rc == 0; i++)
	{
		struct pgw_relation *rel = m->relations.items[i];
		struct dcheck dc[MAX_CHECKS];
		size_t		ndc = 0;
		int64_t		rows = 0;
		bool		scanned = false;

		if (!tenancy_is_managed_table(rel) || (only && rel != only))
			continue;
		res->tables++;
		memset(dc, 0, sizeof(dc));
		if (tenancy_has_column(&t, rel))
			dc[ndc++] = (struct dcheck) {.kind = DC_TENANT_NULL};
		for (size_t k = 0; k < rel->constraints.n && ndc < MAX_CHECKS; k++)
		{
			const struct pgw_constraint *c = rel->constraints.items[k];
			struct pgw_relation *ref;

			if (c->type != PGW_CON_FOREIGN || c->validated || c->columns.n != c->ref_columns.n ||
				!(ref = tenancy_find_relation(m, c->ref_schema, c->ref_table)))
				continue;
			dc[ndc++] = (struct dcheck) {.kind = DC_ORPHAN, .fk = c, .ref = ref};
		}
		for (size_t k = 0; k < rel->columns.n && ndc < MAX_CHECKS; k++)
		{
			const struct pgw_column *col = rel->columns.items[k];
			struct pgw_relation *ref;

			if (tenancy_column_fk(rel, col->obj.name) || !(ref = tenancy_guess_reference(m, rel, col)))
				continue;
			dc[ndc++] = (struct dcheck) {.kind = DC_ORPHAN, .col = col, .ref = ref};
		}
		for (size_t k = 0; k < o->npending && ndc < MAX_CHECKS; k++)
		{
			const struct pgw_column *col;

			if (!pending_matches(&o->pending[k], rel) ||
				!(col = model_find_column(rel, o->pending[k].column)) || col->not_null)
				continue;
			dc[ndc++] = (struct dcheck) {.kind = DC_NULL, .col = col, .file = o->pending[k].file};
		}
		for (size_t k = 0; k < o->cfg->required_columns.n && ndc < MAX_CHECKS; k++)
		{
			const char *spec = o->cfg->required_columns.items[k];
			const char *dot = strrchr(spec, '.');
			const struct pgw_column *col;
			size_t		tl;
			bool		dup = false;

			if (!dot)
				continue;
			tl = (size_t) (dot - spec);
			/* "table.column" or "schema.table.column" */
			if (!((strlen(rel->obj.name) == tl && strncmp(spec, rel->obj.name, tl) == 0) ||
				  (strlen(rel->obj.schema) + 1 + strlen(rel->obj.name) == tl &&
				   strncmp(spec, rel->obj.schema, strlen(rel->obj.schema)) == 0 &&
				   spec[strlen(rel->obj.schema)] == '.' &&
				   strncmp(spec + strlen(rel->obj.schema) + 1, rel->obj.name, strlen(rel->obj.name)) == 0)))
				continue;
			if (!(col = model_find_column(rel, dot + 1)) || col->not_null)
				continue;
			for (size_t j = 0; j < ndc && !dup; j++)
				dup = dc[j].kind == DC_NULL && dc[j].col == col;
			if (!dup)
				dc[ndc++] = (struct dcheck) {.kind = DC_NULL, .col = col, .file = NULL};
		}
		if (ndc > 0)
		{
			if (!rel->readable)
			{
				strlist_add(&res->unreadable, tenancy_table_arg(m, rel));
				ndc = 0;
			}
			else if (o->max_rows > 0 && rel->has_stats && rel->estimated_rows > o->max_rows)
			{
				char	   *s = pgw_asprintf("%s (~%lld rows)", tenancy_table_arg(m, rel),
											 (long long) rel->estimated_rows);

				strlist_add(&res->skipped, s);
				free(s);
				ndc = 0;
			}
			else
			{
				rc = run_data_query(conn, &t, rel, dc, ndc, o->sample, &rows);
				res->queries++;
				res->scanned++;
				scanned = true;
			}
		}
		if (rc == 0)
			check_table(m, &t, o, rel, dc, ndc, scanned, rows, out, res);
		for (size_t k = 0; k < ndc; k++)
			free(dc[k].samples);
	}
	if (outer)
		return rc;
	if (rc != 0)
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		PQclear(PQexec(conn, "ROLLBACK"));
		pgw_error_restore(&saved);
		return -1;
	}
	return db_command(conn, PGW_ERR_CONNECT, "cannot end the read-only transaction", "ROLLBACK", 0, NULL);
}

void
validate_result_release(struct pgw_validate_result *res)
{
	for (size_t i = 0; i < res->ncoverage; i++)
		free(res->coverage[i].table);
	free(res->coverage);
	strlist_release(&res->skipped);
	strlist_release(&res->unreadable);
	memset(res, 0, sizeof(*res));
}

/* Walks one parse tree (JSON) for AlterTableStmt … AT_SetNotNull. */
static void
collect_not_null(json_t *tree, const char *file, struct pgw_pending_not_null **items, size_t *n)
{
	json_t	   *stmts = json_object_get(tree, "stmts");
	size_t		i;
	json_t	   *s;

	json_array_foreach(stmts, i, s)
	{
		json_t	   *alter = json_object_get(json_object_get(s, "stmt"), "AlterTableStmt");
		json_t	   *rel = json_object_get(alter, "relation");
		json_t	   *cmds = json_object_get(alter, "cmds");
		size_t		j;
		json_t	   *c;

		if (!alter || !rel)
			continue;
		json_array_foreach(cmds, j, c)
		{
			json_t	   *cmd = json_object_get(c, "AlterTableCmd");
			const char *sub = json_string_value(json_object_get(cmd, "subtype"));
			const char *col = json_string_value(json_object_get(cmd, "name"));
			const char *schema = json_string_value(json_object_get(rel, "schemaname"));
			const char *table = json_string_value(json_object_get(rel, "relname"));
			struct pgw_pending_not_null *p;

			if (!sub || strcmp(sub, "AT_SetNotNull") != 0 || !col || !table)
				continue;
			*items = pgw_realloc(*items, (*n + 1) * sizeof(**items));
			p = &(*items)[(*n)++];
			p->schema = schema ? pgw_strdup(schema) : NULL;
			p->table = pgw_strdup(table);
			p->column = pgw_strdup(col);
			p->file = pgw_strdup(file);
		}
	}
}

int
validate_pending_not_null(const char *dir, const struct pgw_strlist *applied,
						  struct pgw_pending_not_null **items, size_t *n)
{
	struct pgw_migration_set set;
	bool		missing = false;

	*items = NULL;
	*n = 0;
	if (migrations_load(dir, &set, &missing) != 0)
		return -1;
	for (size_t i = 0; i < set.n; i++)
	{
		struct pgw_migration *mg = &set.items[i];
		bool		done = false;
		char	   *text;
		PgQueryParseResult pr;
		json_t	   *tree;

		for (size_t k = 0; k < applied->n && !done; k++)
			done = migration_version_cmp(applied->items[k], mg->version) == 0;
		if (done)
			continue;
		text = pgw_strndup(mg->up.text, mg->up_end);
		pr = pg_query_parse(text);
		free(text);
		if (!pr.error && pr.parse_tree && (tree = json_loads(pr.parse_tree, 0, NULL)) != NULL)
		{
			collect_not_null(tree, mg->file, items, n);
			json_decref(tree);
		}
		pg_query_free_parse_result(pr);
	}
	migrations_release(&set);
	return 0;
}

void
validate_pending_release(struct pgw_pending_not_null *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		free(items[i].schema);
		free(items[i].table);
		free(items[i].column);
		free(items[i].file);
	}
	free(items);
}
