/*
 * fix.c — SQL generators for `pgwarden generate` (check/fix.h).
 *
 * Conventions of the text written: one statement per line group, ending
 * with ";\n"; comments say why a statement is there.  Policy names are
 * fixed per table (tenant_isolation_select, …) so a re-run replaces its own
 * policies; constraint and index names are "<table>_<column>_<suffix>",
 * the table part shortened so the whole stays within PostgreSQL's 63 bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/fix.h"
#include "db/query.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/sha256.h"

#define NAMEDATALEN_MAX 63

static const char *const policy_names[4] = {
	"tenant_isolation_select", "tenant_isolation_insert",
	"tenant_isolation_update", "tenant_isolation_delete"
};

void
fix_piece_init(struct pgw_fix_piece *p)
{
	buf_init(&p->up);
	buf_init(&p->down);
	p->nontx = false;
}

void
fix_piece_release(struct pgw_fix_piece *p)
{
	buf_release(&p->up);
	buf_release(&p->down);
}

/*
 * A comment line of generated SQL.  Names in it come from the catalog and
 * may hold a line break, which would end the comment and turn the rest of
 * the name into SQL: every line break but the last becomes a space.
 */
void
fix_comment(struct pgw_buf *b, const char *fmt,...)
{
	size_t		start = b->len;
	va_list		ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
	for (size_t i = start; i + 1 < b->len; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r')
			b->data[i] = ' ';
}

char *
fix_object_name(const char *table, const char *middle, const char *suffix)
{
	size_t		tail = strlen(middle) + strlen(suffix) + 2;
	size_t		tl = strlen(table);
	char		hex[PGW_SHA256_HEX_LEN + 1];
	char	   *full;

	if (tl + tail <= NAMEDATALEN_MAX)
		return pgw_asprintf("%s_%s_%s", table, middle, suffix);

	/*
	 * Too long: shortened names of two objects could meet, and then IF NOT
	 * EXISTS would skip the second while its rollback drops the first.  A
	 * shortened name carries 8 hex digits of a hash of the full one.
	 */
	full = pgw_asprintf("%s_%s_%s", table, middle, suffix);
	sha256_hex(full, strlen(full), hex);
	free(full);
	tail = strlen(suffix) + 1 + 9;	/* "_suffix" and "_" + 8 digits */
	tl = tail < NAMEDATALEN_MAX ? NAMEDATALEN_MAX - tail : 0;
	{
		char	   *lead = pgw_asprintf("%s_%s", table, middle);
		char	   *out;

		if (tl > strlen(lead))
			tl = strlen(lead);
		while (tl > 0 && ((unsigned char) lead[tl] & 0xC0) == 0x80)
			tl--;				/* do not split a UTF-8 character */
		out = pgw_asprintf("%.*s_%.8s_%s", (int) tl, lead, hex, suffix);
		free(lead);
		return out;
	}
}

static void
qtable(struct pgw_buf *b, const struct pgw_relation *rel)
{
	sql_qname(b, rel->obj.schema, rel->obj.name);
}

int
fix_tenant_from_parse(const char *s)
{
	if (strcmp(s, "setting") == 0)
		return PGW_TENANT_FROM_SETTING;
	if (strcmp(s, "jwt") == 0)
		return PGW_TENANT_FROM_JWT;
	if (strcmp(s, "membership") == 0)
		return PGW_TENANT_FROM_MEMBERSHIP;
	return -1;
}

int
fix_prepare(struct pgw_fixgen *g)
{
	if (g->from != PGW_TENANT_FROM_MEMBERSHIP)
		return 0;
	for (size_t i = 0; i < g->m->relations.n && !g->membership; i++)
	{
		const struct pgw_relation *r = g->m->relations.items[i];

		if (tenancy_is_managed_table(r) && tenancy_has_column(&g->t, r) && model_find_column(r, "user_id"))
			g->membership = r;
	}
	if (!g->membership)
	{
		pgw_error(PGW_ERR_INPUT, "no membership table found");
		pgw_error_detail("--tenant-from membership needs a table with the columns %s and user_id", g->t.column);
		return -1;
	}
	return 0;
}

/* The condition a row of rel must meet to belong to the current tenant. */
static void
isolation_check(struct pgw_fixgen *g, const struct pgw_relation *rel, struct pgw_buf *b)
{
	buf_append(b, "(");
	if (g->from == PGW_TENANT_FROM_MEMBERSHIP && rel == g->membership)
	{
		/* the membership table itself: a user sees their own memberships */
		buf_append(b, "user_id = (SELECT auth.uid())");
	}
	else if (g->from == PGW_TENANT_FROM_MEMBERSHIP)
	{
		sql_ident(b, g->t.column);
		buf_append(b, " IN (SELECT m.");
		sql_ident(b, g->t.column);
		buf_append(b, " FROM ");
		sql_qname(b, g->membership->obj.schema, g->membership->obj.name);
		buf_append(b, " AS m WHERE m.user_id = (SELECT auth.uid()))");
	}
	else if (g->from == PGW_TENANT_FROM_JWT)
	{
		sql_ident(b, g->t.column);
		buf_append(b, " = (SELECT (auth.jwt() ->> ");
		sql_literal(b, g->t.column);
		buf_printf(b, ")::%s)", g->t.key_type);
	}
	else
	{
		sql_ident(b, g->t.column);
		buf_append(b, " = (SELECT pg_catalog.current_setting(");
		sql_literal(b, g->cfg->tenant_setting && *g->cfg->tenant_setting
						  ? g->cfg->tenant_setting : "app.current_tenant_id");
		buf_printf(b, ", true)::%s)", g->t.key_type);
	}
	buf_append(b, ")");
}

/* CREATE POLICY reproducing p exactly (for rollbacks). */
static void
restore_policy(struct pgw_buf *b, const struct pgw_relation *rel, const struct pgw_policy *p)
{
	buf_append(b, "-- restores the policy as it was\n");
	if (p->command != 'r' && (tenancy_expr_is_true(p->using_expr) || tenancy_expr_is_true(p->check_expr)))
		buf_append(b, "-- pgwarden:ignore rls.policy_always_true\n");
	buf_append(b, "CREATE POLICY ");
	sql_ident(b, p->obj.name);
	buf_append(b, " ON ");
	qtable(b, rel);
	buf_printf(b, " AS %s FOR %s TO ", p->permissive ? "PERMISSIVE" : "RESTRICTIVE",
			   tenancy_policy_command(p->command));
	for (size_t i = 0; i < p->roles.n; i++)
	{
		if (i)
			buf_append(b, ", ");
		if (strcmp(p->roles.items[i], "public") == 0)
			buf_append(b, "PUBLIC");
		else
			sql_ident(b, p->roles.items[i]);
	}
	if (p->roles.n == 0)
		buf_append(b, "PUBLIC");
	if (p->using_expr)
		buf_printf(b, "\n  USING (%s)", p->using_expr);
	if (p->check_expr)
		buf_printf(b, "\n  WITH CHECK (%s)", p->check_expr);
	buf_append(b, ";\n");
}

static bool
is_own_policy(const struct pgw_policy *p)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(p->obj.name, policy_names[i]) == 0)
			return true;
	return false;
}

/* RLS + policies part shared by fix-rls-policy, add-tenant-isolation and
 * create-table.  rel NULL: a new table named by qname (nothing to drop). */
static void
policies_up(struct pgw_fixgen *g, const struct pgw_relation *rel, const char *qname, struct pgw_buf *up)
{
	static const char *const cmds[4] = {"SELECT", "INSERT", "UPDATE", "DELETE"};

	buf_printf(up, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", qname);
	for (size_t i = 0; rel && i < rel->policies.n; i++)
	{
		const struct pgw_policy *p = rel->policies.items[i];
		const char *why = tenancy_policy_weakness(&g->t, rel, p);

		if (!why || is_own_policy(p))
			continue;
		fix_comment(up, "-- %s: %s\n", p->obj.name, why);
		buf_append(up, "DROP POLICY IF EXISTS ");
		sql_ident(up, p->obj.name);
		buf_printf(up, " ON %s;\n", qname);
	}
	for (int i = 0; i < 4; i++)
	{
		buf_append(up, "DROP POLICY IF EXISTS ");
		sql_ident(up, policy_names[i]);
		buf_printf(up, " ON %s;\n", qname);
		buf_append(up, "CREATE POLICY ");
		sql_ident(up, policy_names[i]);
		buf_printf(up, " ON %s\n  AS PERMISSIVE FOR %s TO ", qname, cmds[i]);
		sql_ident(up, g->cfg->app_role && *g->cfg->app_role ? g->cfg->app_role : "authenticated");
		if (i != 1)
		{
			buf_append(up, "\n  USING ");
			isolation_check(g, rel, up);
		}
		if (i == 1 || i == 2)
		{
			buf_append(up, "\n  WITH CHECK ");
			isolation_check(g, rel, up);
		}
		buf_append(up, ";\n");
	}
}

/* The undo of policies_up, for an existing table. */
static void
policies_down(struct pgw_fixgen *g, const struct pgw_relation *rel, const char *qname, struct pgw_buf *down)
{
	for (int i = 3; i >= 0; i--)
	{
		buf_append(down, "DROP POLICY IF EXISTS ");
		sql_ident(down, policy_names[i]);
		buf_printf(down, " ON %s;\n", qname);
	}
	for (size_t i = 0; i < rel->policies.n; i++)
	{
		const struct pgw_policy *p = rel->policies.items[i];

		if (tenancy_policy_weakness(&g->t, rel, p) || is_own_policy(p))
			restore_policy(down, rel, p);
	}
	if (!rel->rls_enabled)
		buf_printf(down, "ALTER TABLE %s DISABLE ROW LEVEL SECURITY;\n", qname);
}

static char *
qualified(const struct pgw_relation *rel)
{
	struct pgw_buf b;

	buf_init(&b);
	qtable(&b, rel);
	return buf_steal(&b);
}

int
fix_rls_policy(struct pgw_fixgen *g, const struct pgw_relation *rel, struct pgw_fix_piece *p)
{
	char	   *q;

	if (!tenancy_has_column(&g->t, rel))
	{
		pgw_error(PGW_ERR_INPUT, "table '%s' has no tenant column '%s'", rel->obj.name, g->t.column);
		pgw_error_hint("add it first: pgwarden generate add-tenant-isolation %s", rel->obj.name);
		return -1;
	}
	q = qualified(rel);
	fix_comment(&p->up, "-- %s: row-level security with one isolation policy per command for role %s\n",
			   q, g->cfg->app_role);
	policies_up(g, rel, q, &p->up);
	policies_down(g, rel, q, &p->down);
	free(q);
	return 0;
}

/* An index whose first key is col. */
static bool
has_leading_index(const struct pgw_relation *rel, const char *col)
{
	for (size_t i = 0; i < rel->indexes.n; i++)
	{
		const struct pgw_index *ix = rel->indexes.items[i];

		if (ix->keys.n > 0 && strcmp(ix->keys.items[0], col) == 0 && !ix->predicate)
			return true;
	}
	return false;
}

/* count of a query with one text result; -1 on error */
static long long
count_query(PGconn *conn, const char *sql)
{
	PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "cannot count rows", sql, 0, NULL, PGRES_TUPLES_OK);
	long long	n;

	if (!res)
		return -1;
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

static void
index_piece(const struct pgw_relation *rel, const char *const *cols, size_t ncols,
			const char *name, struct pgw_fix_piece *p)
{
	buf_append(&p->up, "CREATE INDEX CONCURRENTLY IF NOT EXISTS ");
	sql_ident(&p->up, name);
	buf_append(&p->up, " ON ");
	qtable(&p->up, rel);
	buf_append(&p->up, " (");
	for (size_t i = 0; i < ncols; i++)
	{
		if (i)
			buf_append(&p->up, ", ");
		sql_ident(&p->up, cols[i]);
	}
	buf_append(&p->up, ");\n");
	buf_append(&p->down, "DROP INDEX CONCURRENTLY IF EXISTS ");
	sql_qname(&p->down, rel->obj.schema, name);
	buf_append(&p->down, ";\n");
	p->nontx = true;
}

int
fix_tenant_isolation(struct pgw_fixgen *g, const struct pgw_relation *rel,
					 const struct pgw_relation *parent, struct pgw_fix_piece *tx,
					 struct pgw_fix_piece *idx)
{
	const struct pgw_column *tc = model_find_column(rel, g->t.column);
	const struct pgw_constraint *pfk = NULL;
	const struct pgw_constraint *tfk = tc ? tenancy_column_fk(rel, g->t.column) : NULL;
	char	   *q = qualified(rel);
	char	   *fkname = fix_object_name(rel->obj.name, g->t.column, "fkey");
	char	   *chkname = fix_object_name(rel->obj.name, g->t.column, "not_null");
	struct pgw_buf sql;
	struct pgw_buf down;
	long long	remaining;
	int			rc = -1;

	buf_init(&sql);
	buf_init(&down);
	if (rel == g->t.tenants)
	{
		pgw_error(PGW_ERR_INPUT, "table '%s' is the tenants table", rel->obj.name);
		goto out;
	}
	if (!g->t.tenants || !g->t.tenants_key)
	{
		pgw_error(PGW_ERR_INPUT, "no tenants table found");
		pgw_error_hint("a table that %s columns reference, or one named tenants, is needed", g->t.column);
		goto out;
	}
	if (parent)
	{
		for (size_t i = 0; i < rel->constraints.n && !pfk; i++)
		{
			const struct pgw_constraint *c = rel->constraints.items[i];

			if (c->type == PGW_CON_FOREIGN && c->columns.n == 1 && c->ref_columns.n == 1 &&
				strcmp(c->ref_schema, parent->obj.schema) == 0 &&
				strcmp(c->ref_table, parent->obj.name) == 0 &&
				strcmp(c->columns.items[0], g->t.column) != 0)
				pfk = c;
		}
		if (!pfk || !tenancy_has_column(&g->t, parent))
		{
			pgw_error(PGW_ERR_INPUT, "cannot backfill '%s' from '%s'", rel->obj.name, parent->obj.name);
			pgw_error_detail(!pfk ? "'%s' has no single-column foreign key to '%s'"
							 : "'%s' has no tenant column to copy", !pfk ? rel->obj.name : parent->obj.name,
							 parent->obj.name);
			goto out;
		}
	}

	/* rows that would still have no tenant after the backfill */
	buf_append(&sql, "SELECT count(*) FROM ");
	buf_append(&sql, q);
	buf_append(&sql, " AS c");
	if (pfk)
	{
		buf_append(&sql, " LEFT JOIN ");
		qtable(&sql, parent);
		buf_append(&sql, " AS p ON p.");
		sql_ident(&sql, pfk->ref_columns.items[0]);
		buf_append(&sql, " = c.");
		sql_ident(&sql, pfk->columns.items[0]);
		buf_append(&sql, " WHERE p.");
		sql_ident(&sql, g->t.column);
		buf_append(&sql, " IS NULL");
	}
	else
		buf_append(&sql, " WHERE true");
	if (tc)
	{
		buf_append(&sql, " AND c.");
		sql_ident(&sql, g->t.column);
		buf_append(&sql, " IS NULL");
	}
	if ((remaining = count_query(g->conn, sql.data)) < 0)
		goto out;

	fix_comment(&tx->up, "-- %s: tenant column %s, references %s, row-level security\n", q,
			   g->t.column, g->t.tenants->obj.name);
	if (!tc)
	{
		buf_printf(&tx->up, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS ", q);
		sql_ident(&tx->up, g->t.column);
		buf_printf(&tx->up, " %s;\n", g->t.key_type);
	}
	if (pfk)
	{
		fix_comment(&tx->up, "-- backfill: the tenant of the parent row in %s\n", parent->obj.name);
		buf_printf(&tx->up, "UPDATE %s AS c SET ", q);
		sql_ident(&tx->up, g->t.column);
		buf_append(&tx->up, " = p.");
		sql_ident(&tx->up, g->t.column);
		buf_append(&tx->up, " FROM ");
		qtable(&tx->up, parent);
		buf_append(&tx->up, " AS p WHERE p.");
		sql_ident(&tx->up, pfk->ref_columns.items[0]);
		buf_append(&tx->up, " = c.");
		sql_ident(&tx->up, pfk->columns.items[0]);
		buf_append(&tx->up, " AND c.");
		sql_ident(&tx->up, g->t.column);
		buf_append(&tx->up, " IS NULL;\n");
	}
	else if (remaining > 0)
		fix_comment(&tx->up, "-- %lld rows have no %s: set them (no parent to backfill from), then generate again\n",
				   remaining, g->t.column);
	if (!tfk)
	{
		buf_printf(&tx->up, "ALTER TABLE %s ADD CONSTRAINT ", q);
		sql_ident(&tx->up, fkname);
		buf_append(&tx->up, " FOREIGN KEY (");
		sql_ident(&tx->up, g->t.column);
		buf_append(&tx->up, ") REFERENCES ");
		qtable(&tx->up, g->t.tenants);
		buf_append(&tx->up, " (");
		sql_ident(&tx->up, g->t.tenants_key);
		buf_append(&tx->up, ") NOT VALID;\n");
		buf_printf(&tx->up, "ALTER TABLE %s VALIDATE CONSTRAINT ", q);
		sql_ident(&tx->up, fkname);
		buf_append(&tx->up, ";\n");
	}
	if (remaining == 0 && !(tc && tc->not_null))
	{
		buf_append(&tx->up, "-- NOT NULL through a validated CHECK, so SET NOT NULL needs no second scan\n");
		buf_printf(&tx->up, "ALTER TABLE %s ADD CONSTRAINT ", q);
		sql_ident(&tx->up, chkname);
		buf_append(&tx->up, " CHECK (");
		sql_ident(&tx->up, g->t.column);
		buf_append(&tx->up, " IS NOT NULL) NOT VALID;\n");
		buf_printf(&tx->up, "ALTER TABLE %s VALIDATE CONSTRAINT ", q);
		sql_ident(&tx->up, chkname);
		buf_printf(&tx->up, ";\nALTER TABLE %s ALTER COLUMN ", q);
		sql_ident(&tx->up, g->t.column);
		buf_printf(&tx->up, " SET NOT NULL;\nALTER TABLE %s DROP CONSTRAINT ", q);
		sql_ident(&tx->up, chkname);
		buf_append(&tx->up, ";\n");
	}
	else if (remaining > 0)
		fix_comment(&tx->up, "-- %s stays nullable: %lld rows would keep no tenant\n", g->t.column, remaining);
	policies_up(g, rel, q, &tx->up);

	/* down, in reverse */
	policies_down(g, rel, q, &tx->down);
	if (!tc)
	{
		buf_printf(&tx->down, "ALTER TABLE %s DROP COLUMN IF EXISTS ", q);
		sql_ident(&tx->down, g->t.column);
		buf_append(&tx->down, ";\n");
	}
	else
	{
		if (remaining == 0 && !tc->not_null)
		{
			buf_printf(&tx->down, "ALTER TABLE %s ALTER COLUMN ", q);
			sql_ident(&tx->down, g->t.column);
			buf_append(&tx->down, " DROP NOT NULL;\n");
		}
		if (!tfk)
		{
			buf_printf(&tx->down, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS ", q);
			sql_ident(&tx->down, fkname);
			buf_append(&tx->down, ";\n");
		}
		if (pfk)
			fix_comment(&tx->down, "-- the backfilled %s values stay: they are correct data\n", g->t.column);
	}

	if ((!tc || !has_leading_index(rel, g->t.column)) && rel->relkind == 'p')
		fix_comment(&tx->up, "-- %s is partitioned: index the tenant column CONCURRENTLY on each partition by hand\n",
					q);
	else if (!tc || !has_leading_index(rel, g->t.column))
	{
		char	   *ixname = fix_object_name(rel->obj.name, g->t.column, "idx");
		const char *cols[1] = {g->t.column};

		fix_comment(&idx->up, "-- %s: index on the tenant column (every policy filters on it)\n", q);
		index_piece(rel, cols, 1, ixname, idx);
		free(ixname);
	}
	rc = 0;
out:
	buf_release(&sql);
	buf_release(&down);
	free(q);
	free(fkname);
	free(chkname);
	return rc;
}

int
fix_foreign_key(struct pgw_fixgen *g, const struct pgw_relation *rel, const struct pgw_relation *ref,
				const char *column, enum pgw_orphans orphans, struct pgw_fix_piece *p)
{
	const char *pk = tenancy_single_pk(ref);
	const struct pgw_column *col;
	const struct pgw_constraint *existing;
	char	   *guess = NULL;
	char	   *q = qualified(rel);
	char	   *fkname = NULL;
	struct pgw_buf cond;
	struct pgw_buf sql;
	long long	n;
	int			rc = -1;

	if (rel->relkind != 'r')
	{
		free(q);
		pgw_error(PGW_ERR_INPUT, "'%s' is partitioned: a foreign key cannot be added NOT VALID there, nor its index built CONCURRENTLY",
				  rel->obj.name);
		pgw_error_hint("add it by hand: the index on each partition CONCURRENTLY, then ALTER TABLE ... ADD FOREIGN KEY in a quiet moment");
		return -1;
	}

	buf_init(&cond);
	buf_init(&sql);
	if (!column)
	{
		size_t		l = strlen(ref->obj.name);

		if (l > 3 && strcmp(ref->obj.name + l - 3, "ies") == 0)
			guess = pgw_asprintf("%.*sy_id", (int) (l - 3), ref->obj.name);
		else if (l > 1 && ref->obj.name[l - 1] == 's')
			guess = pgw_asprintf("%.*s_id", (int) (l - 1), ref->obj.name);
		else
			guess = pgw_asprintf("%s_id", ref->obj.name);
		column = guess;
	}
	if (!(col = model_find_column(rel, column)))
	{
		if (!guess)
		{
			/* the user's --column: a typo, answered as every unknown name */
			tenancy_unknown_column(rel, column);
			goto out;
		}
		pgw_error(PGW_ERR_INPUT, "table '%s' has no column '%s'", rel->obj.name, column);
		pgw_error_detail("the column's name was guessed from the table '%s'", ref->obj.name);
		pgw_error_hint("name the column with --column");
		goto out;
	}
	if (!pk)
	{
		pgw_error(PGW_ERR_INPUT, "table '%s' has no single-column primary key to reference", ref->obj.name);
		goto out;
	}
	if ((existing = tenancy_column_fk(rel, column)) != NULL)
	{
		pgw_error(PGW_ERR_INPUT, "column '%s' of '%s' already has foreign key '%s'", column,
				  rel->obj.name, existing->obj.name);
		if (!existing->validated)
			pgw_error_hint("it is NOT VALID: fix the orphans, then ALTER TABLE ... VALIDATE CONSTRAINT");
		goto out;
	}
	if (orphans == PGW_ORPHANS_NULLIFY && col->not_null)
	{
		pgw_error(PGW_ERR_INPUT, "column '%s' of '%s' is NOT NULL: its orphans cannot be set to NULL",
				  column, rel->obj.name);
		pgw_error_hint("use --delete-orphans, or fix the rows by hand");
		goto out;
	}
	fkname = fix_object_name(rel->obj.name, column, "fkey");

	/* over alias t: the row is an orphan */
	buf_append(&cond, "t.");
	sql_ident(&cond, column);
	buf_append(&cond, " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ");
	qtable(&cond, ref);
	buf_append(&cond, " AS p WHERE p.");
	sql_ident(&cond, pk);
	buf_append(&cond, " = t.");
	sql_ident(&cond, column);
	buf_append(&cond, ")");
	buf_printf(&sql, "SELECT count(*) FROM %s AS t WHERE %s", q, cond.data);
	if ((n = count_query(g->conn, sql.data)) < 0)
		goto out;
	if (n > 0 && orphans == PGW_ORPHANS_REFUSE)
	{
		pgw_error(PGW_ERR_INPUT, "%lld row%s of '%s' point%s at no row of '%s'", n, n == 1 ? "" : "s",
				  rel->obj.name, n == 1 ? "s" : "", ref->obj.name);
		pgw_error_detail("the foreign key could not be validated");
		pgw_error_hint("fix them by hand, or pass --nullify-orphans or --delete-orphans");
		goto out;
	}

	fix_comment(&p->up, "-- %s.%s references %s: foreign key added NOT VALID, then validated\n",
			   q, column, ref->obj.name);
	buf_append(&p->up, "-- (statement by statement: the index is built CONCURRENTLY, and VALIDATE\n"
			   "-- takes only a SHARE UPDATE EXCLUSIVE lock in its own transaction)\n");
	if (n > 0 && orphans == PGW_ORPHANS_NULLIFY)
	{
		fix_comment(&p->up, "-- %lld orphaned rows get NULL\n", n);
		buf_printf(&p->up, "UPDATE %s AS t SET ", q);
		sql_ident(&p->up, column);
		buf_printf(&p->up, " = NULL WHERE %s;\n", cond.data);
	}
	else if (n > 0 && orphans == PGW_ORPHANS_DELETE)
	{
		fix_comment(&p->up, "-- %lld orphaned rows are deleted\n", n);
		buf_printf(&p->up, "DELETE FROM %s AS t WHERE %s;\n", q, cond.data);
	}
	if (!has_leading_index(rel, column))
	{
		char	   *ixname = fix_object_name(rel->obj.name, column, "idx");
		struct pgw_fix_piece ix;
		const char *cols[1] = {column};

		fix_piece_init(&ix);
		index_piece(rel, cols, 1, ixname, &ix);
		buf_append(&p->up, ix.up.data);
		buf_append(&sql, "");
		fix_piece_release(&ix);
		free(ixname);
	}
	buf_printf(&p->up, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS ", q);
	sql_ident(&p->up, fkname);
	buf_printf(&p->up, ";\nALTER TABLE %s ADD CONSTRAINT ", q);
	sql_ident(&p->up, fkname);
	buf_append(&p->up, " FOREIGN KEY (");
	sql_ident(&p->up, column);
	buf_append(&p->up, ") REFERENCES ");
	qtable(&p->up, ref);
	buf_append(&p->up, " (");
	sql_ident(&p->up, pk);
	buf_printf(&p->up, ") NOT VALID;\nALTER TABLE %s VALIDATE CONSTRAINT ", q);
	sql_ident(&p->up, fkname);
	buf_append(&p->up, ";\n");

	buf_printf(&p->down, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS ", q);
	sql_ident(&p->down, fkname);
	buf_append(&p->down, ";\n");
	if (!has_leading_index(rel, column))
	{
		char	   *ixname = fix_object_name(rel->obj.name, column, "idx");

		buf_append(&p->down, "DROP INDEX CONCURRENTLY IF EXISTS ");
		sql_qname(&p->down, rel->obj.schema, ixname);
		buf_append(&p->down, ";\n");
		free(ixname);
	}
	if (n > 0)
		fix_comment(&p->down, "-- the %lld orphaned rows are not restored\n", n);
	p->nontx = true;
	rc = 0;
out:
	buf_release(&cond);
	buf_release(&sql);
	free(guess);
	free(q);
	free(fkname);
	return rc;
}

int
fix_composite_index(struct pgw_fixgen *g, const struct pgw_relation *rel, const char *const *cols,
					size_t ncols, struct pgw_fix_piece *p)
{
	struct pgw_buf mid;
	char	   *name;
	char	   *q;

	(void) g;
	if (ncols == 0)
		return pgw_error(PGW_ERR_USAGE, "name at least one column");
	if (rel->relkind != 'r')
	{
		pgw_error(PGW_ERR_INPUT, "'%s' is partitioned: CREATE INDEX CONCURRENTLY cannot build its index",
				  rel->obj.name);
		pgw_error_hint("build the index CONCURRENTLY on each partition, then CREATE INDEX ON ONLY the parent and ALTER INDEX ... ATTACH PARTITION each");
		return -1;
	}
	buf_init(&mid);
	for (size_t i = 0; i < ncols; i++)
	{
		if (!model_find_column(rel, cols[i]))
		{
			buf_release(&mid);
			return tenancy_unknown_column(rel, cols[i]);
		}
		buf_printf(&mid, "%s%s", i ? "_" : "", cols[i]);
	}
	name = fix_object_name(rel->obj.name, mid.data, "idx");
	q = qualified(rel);
	fix_comment(&p->up, "-- %s: index on (%s), built without blocking writes\n", q, mid.data);
	index_piece(rel, cols, ncols, name, p);
	free(q);
	free(name);
	buf_release(&mid);
	return 0;
}

/* A type as the user wrote it: only characters a type name needs. */
static bool
type_is_plain(const char *t)
{
	if (!*t)
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
			  strchr("_ ()[],.", *t)))
			return false;
	return true;
}

int
fix_create_table(struct pgw_fixgen *g, const char *schema, const char *name, bool with_tenant,
				 const char *const *columns, size_t ncolumns, struct pgw_fix_piece *p)
{
	struct pgw_buf qb;
	char	   *q;

	if (tenancy_find_relation(g->m, schema, name))
	{
		pgw_error(PGW_ERR_INPUT, "table '%s.%s' already exists", schema, name);
		return -1;
	}
	if (with_tenant && (!g->t.tenants || !g->t.tenants_key))
	{
		pgw_error(PGW_ERR_INPUT, "no tenants table found");
		pgw_error_hint("a table that %s columns reference, or one named tenants, is needed", g->t.column);
		return -1;
	}
	for (size_t i = 0; i < ncolumns; i++)
	{
		const char *colon = strchr(columns[i], ':');

		if (!colon || colon == columns[i] || !type_is_plain(colon + 1))
		{
			pgw_error(PGW_ERR_USAGE, "invalid column '%s'", columns[i]);
			pgw_error_hint("write --column name:type, e.g. --column notes:text");
			return -1;
		}
	}
	buf_init(&qb);
	sql_qname(&qb, schema, name);
	q = buf_steal(&qb);
	fix_comment(&p->up, "-- %s: a new table%s\n", q, with_tenant ? ", isolated per tenant" : "");
	buf_printf(&p->up, "CREATE TABLE IF NOT EXISTS %s (\n  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n", q);
	if (with_tenant)
	{
		buf_append(&p->up, "  ");
		sql_ident(&p->up, g->t.column);
		buf_printf(&p->up, " %s NOT NULL REFERENCES ", g->t.key_type);
		qtable(&p->up, g->t.tenants);
		buf_append(&p->up, " (");
		sql_ident(&p->up, g->t.tenants_key);
		buf_append(&p->up, ") ON DELETE CASCADE,\n");
	}
	for (size_t i = 0; i < ncolumns; i++)
	{
		const char *colon = strchr(columns[i], ':');
		char	   *cname = pgw_strndup(columns[i], (size_t) (colon - columns[i]));

		buf_append(&p->up, "  ");
		sql_ident(&p->up, cname);
		buf_printf(&p->up, " %s,\n", colon + 1);
		free(cname);
	}
	buf_append(&p->up, "  created_at timestamptz NOT NULL DEFAULT now(),\n"
			   "  updated_at timestamptz NOT NULL DEFAULT now()\n);\n");
	if (with_tenant)
	{
		char	   *ixname = fix_object_name(name, g->t.column, "idx");

		buf_append(&p->up, "CREATE INDEX IF NOT EXISTS ");
		sql_ident(&p->up, ixname);
		buf_printf(&p->up, " ON %s (", q);
		sql_ident(&p->up, g->t.column);
		buf_append(&p->up, ");\n");
		free(ixname);
		policies_up(g, NULL, q, &p->up);
	}
	else
		buf_printf(&p->up, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n", q);
	buf_printf(&p->down, "DROP TABLE IF EXISTS %s;\n", q);
	free(q);
	return 0;
}

/* --- many fixes in one migration ----------------------------------------- */

static void
fix_piece_reset(struct pgw_fix_piece *p)
{
	buf_reset(&p->up);
	buf_reset(&p->down);
}

struct pgw_relation *
fix_need_table(struct pgw_model *m, const char *arg)
{
	struct pgw_relation *r = tenancy_resolve_table(m, arg);

	if (!r || !tenancy_is_managed_table(r))
	{
		tenancy_unknown_table(m, arg);
		return NULL;
	}
	return r;
}

void
fix_request_from_args(struct pgw_fixreq *r, const char *action, const char *const *args, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->action = action;
	r->args = args;
	r->nargs = n;
	for (size_t i = 0; i < n; i++)
	{
		if (strcmp(args[i], "--backfill-from") == 0 && i + 1 < n)
			r->backfill = args[++i];
		else if (strcmp(args[i], "--column") == 0 && i + 1 < n)
			r->column = args[++i];
		else if (strcmp(args[i], "--nullify-orphans") == 0)
			r->orphans = PGW_ORPHANS_NULLIFY;
		else if (strcmp(args[i], "--delete-orphans") == 0)
			r->orphans = PGW_ORPHANS_DELETE;
		else if (!r->table)
			r->table = args[i];
		else if (!r->ref)
			r->ref = args[i];
	}
}

int
fix_requests_from_json(json_t *findings, struct pgw_arena *arena, struct pgw_fixreq **reqs, size_t *n)
{
	size_t		i;
	json_t	   *f;

	if (!json_is_array(findings))
		return pgw_error(PGW_ERR_INPUT, "no \"findings\" array in the document");
	json_array_foreach(findings, i, f)
	{
		json_t	   *fix = json_object_get(f, "fix");
		json_t	   *jargs = json_object_get(fix, "args");
		const char *action = json_string_value(json_object_get(fix, "action"));
		const char **args;
		size_t		na = 0;
		size_t		k;
		json_t	   *v;

		if (!action)
			continue;
		args = arena_alloc(arena, (json_array_size(jargs) + 1) * sizeof(char *));
		json_array_foreach(jargs, k, v)
			if (json_is_string(v))
			args[na++] = arena_strdup(arena, json_string_value(v));
		*reqs = pgw_realloc(*reqs, (*n + 1) * sizeof(**reqs));
		fix_request_from_args(&(*reqs)[*n], arena_strdup(arena, action), args, na);
		(*n)++;
	}
	return 0;
}

void
fix_set_init(struct pgw_fixset *s)
{
	memset(s, 0, sizeof(*s));
	fix_piece_init(&s->tx);
	fix_piece_init(&s->nontx);
	s->nontx.nontx = true;
	buf_init(&s->what);
}

void
fix_set_release(struct pgw_fixset *s)
{
	fix_piece_release(&s->tx);
	fix_piece_release(&s->nontx);
	buf_release(&s->what);
	for (size_t i = 0; i < s->nreqs; i++)
		free(s->refused[i]);
	free(s->refused);
	free(s->done);
}

void
fix_prepend(struct pgw_buf *b, const char *text)
{
	struct pgw_buf t;

	buf_init(&t);
	buf_append(&t, text);
	buf_append(&t, b->data ? b->data : "");
	buf_release(b);
	*b = t;
}

/* Moves a finished piece into the set: ups appended, downs prepended. */
static void
take(struct pgw_fixset *s, struct pgw_fix_piece *p, bool nontx)
{
	struct pgw_fix_piece *to = nontx ? &s->nontx : &s->tx;

	buf_append(&to->up, p->up.data ? p->up.data : "");
	fix_prepend(&to->down, p->down.data ? p->down.data : "");
	fix_piece_reset(p);
}

/*
 * Whether one generator's failure is a refusal to note (tolerant) rather
 * than an error: the data or the schema says no, not the server.  The
 * reason goes to every request in mark[] (those the failed fix stood for).
 */
static bool
refused(struct pgw_fixset *s, bool tolerant, const bool *mark)
{
	const struct pgw_err *e = pgw_error_last();

	if (!tolerant || e->kind == PGW_ERR_CONNECT)
		return false;
	for (size_t k = 0; k < s->nreqs; k++)
		if (mark[k] && !s->refused[k])
			s->refused[k] = pgw_strdup(e->message);
	pgw_error_clear();
	return true;
}

static void
mark_done(struct pgw_fixset *s, const bool *mark)
{
	for (size_t k = 0; k < s->nreqs; k++)
		if (mark[k])
			s->done[k] = true;
}

static bool
is_action(const struct pgw_fixreq *r, const char *action)
{
	return strcmp(r->action, action) == 0;
}

static bool
same_request(const struct pgw_fixreq *a, const struct pgw_fixreq *b)
{
	if (strcmp(a->action, b->action) != 0 || a->nargs != b->nargs)
		return false;
	for (size_t i = 0; i < a->nargs; i++)
		if (strcmp(a->args[i], b->args[i]) != 0)
			return false;
	return true;
}

int
fix_combine(struct pgw_fixgen *g, const struct pgw_fixreq *reqs, size_t n, bool tolerant,
			struct pgw_fixset *s)
{
	struct pgw_fix_piece a,
				b;
	bool	   *mark = pgw_calloc(n + 1, sizeof(bool));
	int			rc = -1;

	fix_piece_init(&a);
	fix_piece_init(&b);
	s->nreqs = n;
	s->done = pgw_calloc(n + 1, sizeof(bool));
	s->refused = pgw_calloc(n + 1, sizeof(char *));
	/* per table in model order: tenant isolation subsumes the policy fix */
	for (size_t i = 0; i < g->m->relations.n; i++)
	{
		struct pgw_relation *rel = g->m->relations.items[i];
		const struct pgw_fixreq *iso = NULL;
		const struct pgw_fixreq *rls = NULL;

		if (!tenancy_is_managed_table(rel))
			continue;
		for (size_t k = 0; k < n; k++)
		{
			mark[k] = false;
			if (!reqs[k].table || tenancy_resolve_table(g->m, reqs[k].table) != rel)
				continue;
			if (is_action(&reqs[k], "add-tenant-isolation") && (!iso || (!iso->backfill && reqs[k].backfill)))
				iso = &reqs[k];
			else if (is_action(&reqs[k], "fix-rls-policy"))
				rls = &reqs[k];
			else
				continue;
			mark[k] = true;		/* one fix of the table stands for all */
		}
		if (iso)
		{
			struct pgw_relation *parent = NULL;

			if ((iso->backfill && !(parent = fix_need_table(g->m, iso->backfill))) ||
				fix_tenant_isolation(g, rel, parent, &a, &b) != 0)
			{
				fix_piece_reset(&a);
				fix_piece_reset(&b);
				if (refused(s, tolerant, mark))
					continue;
				goto out;
			}
			buf_printf(&s->what, "%stenant isolation of %s", s->what.len ? "; " : "", rel->obj.name);
			mark_done(s, mark);
			take(s, &a, false);
			take(s, &b, true);
		}
		else if (rls)
		{
			if (fix_rls_policy(g, rel, &a) != 0)
			{
				fix_piece_reset(&a);
				if (refused(s, tolerant, mark))
					continue;
				goto out;
			}
			buf_printf(&s->what, "%sisolation policies on %s", s->what.len ? "; " : "", rel->obj.name);
			mark_done(s, mark);
			take(s, &a, false);
		}
	}
	/* then foreign keys and indexes, each once */
	for (size_t k = 0; k < n; k++)
	{
		struct pgw_relation *rel,
				   *ref = NULL;
		bool		fk = is_action(&reqs[k], "add-foreign-key");
		bool		dup = false;
		int			r;

		if ((!fk && !is_action(&reqs[k], "add-composite-index")) || !reqs[k].table)
			continue;
		for (size_t j = 0; j < k && !dup; j++)
			if ((dup = same_request(&reqs[j], &reqs[k])))
			{
				/* the same fix once: its outcome is this one's too */
				s->done[k] = s->done[j];
				if (s->refused[j])
					s->refused[k] = pgw_strdup(s->refused[j]);
			}
		if (dup)
			continue;
		memset(mark, 0, n * sizeof(bool));
		mark[k] = true;
		if (!(rel = fix_need_table(g->m, reqs[k].table)))
			goto out;
		if (fk)
		{
			if (!reqs[k].ref || !(ref = fix_need_table(g->m, reqs[k].ref)))
				goto out;
			r = fix_foreign_key(g, rel, ref, reqs[k].column, reqs[k].orphans, &a);
		}
		else
			r = fix_composite_index(g, rel, reqs[k].args + 1, reqs[k].nargs - 1, &a);
		if (r != 0)
		{
			fix_piece_reset(&a);
			if (refused(s, tolerant, mark))
				continue;
			goto out;
		}
		if (fk)
			buf_printf(&s->what, "%sforeign key %s.%s", s->what.len ? "; " : "", rel->obj.name,
					   reqs[k].column ? reqs[k].column : ref->obj.name);
		else
			buf_printf(&s->what, "%sindex on %s", s->what.len ? "; " : "", rel->obj.name);
		s->done[k] = true;
		take(s, &a, true);
	}
	rc = 0;
out:
	free(mark);
	fix_piece_release(&a);
	fix_piece_release(&b);
	return rc;
}
