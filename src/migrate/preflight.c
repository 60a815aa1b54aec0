/*
 * preflight.c — checks a migration against the live database
 * (migrate/preflight.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "db/query.h"
#include "migrate/preflight.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/mem.h"

void
preflight_init(struct pgw_preflight *pf)
{
	memset(pf, 0, sizeof(*pf));
}

static void
reset_results(struct pgw_preflight *pf)
{
	strlist_release(&pf->references);
	strlist_release(&pf->problems);
	strlist_release(&pf->warnings);
}

void
preflight_release(struct pgw_preflight *pf)
{
	strlist_release(&pf->created);
	strlist_release(&pf->dropped);
	reset_results(pf);
}

static bool
has(const struct pgw_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

static void
remove_item(struct pgw_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
		{
			free(l->items[i]);
			l->items[i] = l->items[--l->n];
			return;
		}
}

/* The lookup class of an object kind, or NULL for kinds not checked. */
static const char *
kind_class(const char *kind)
{
	static const char *const rel[] = {"table", "index", "sequence", "view", "materialized view",
	"foreign table"};

	for (size_t i = 0; i < sizeof(rel) / sizeof(*rel); i++)
		if (strcmp(kind, rel[i]) == 0)
			return "rel";
	if (!strcmp(kind, "type") || !strcmp(kind, "domain") || !strcmp(kind, "enum"))
		return "type";
	if (!strcmp(kind, "schema"))
		return "schema";
	if (!strcmp(kind, "function") || !strcmp(kind, "procedure") || !strcmp(kind, "routine"))
		return "function";
	return NULL;
}

/* IF NOT EXISTS, IF EXISTS, OR REPLACE: the statement tolerates both. */
static bool
tolerant(const PgQuery__Node *n)
{
	if (!n)
		return false;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_CREATE_STMT:
			return n->create_stmt->if_not_exists;
		case PG_QUERY__NODE__NODE_INDEX_STMT:
			return n->index_stmt->if_not_exists;
		case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
			return n->create_seq_stmt->if_not_exists;
		case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
			return n->create_schema_stmt->if_not_exists;
		case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
			return n->create_table_as_stmt->if_not_exists;
		case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
			return n->create_function_stmt->replace;
		case PG_QUERY__NODE__NODE_VIEW_STMT:
			return n->view_stmt->replace;
		case PG_QUERY__NODE__NODE_DROP_STMT:
			return n->drop_stmt->missing_ok;
		case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
			return n->alter_table_stmt->missing_ok;
		default:
			return false;
	}
}

/* Whether the object exists on the target: 1, 0, or -1 on a failed query.
 * reltuples: the planner's estimate for a relation (-1 unknown). */
static int
exists_live(PGconn *conn, const char *class, const char *schema, const char *name, double *reltuples)
{
	struct pgw_buf q;
	char	   *base = pgw_strndup(name, strcspn(name, "("));
	const char *p[2];
	const char *sql;
	PGresult   *res;
	int			rc;

	buf_init(&q);
	*reltuples = -1;
	if (!strcmp(class, "function"))
	{
		p[0] = schema ? schema : "";
		p[1] = base;
		sql = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc f"
			" JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace WHERE f.proname = $2"
			" AND CASE WHEN $1 = '' THEN n.nspname = ANY (pg_catalog.current_schemas(true))"
			" ELSE n.nspname = $1 END), -1";
	}
	else
	{
		if (schema)
			sql_qname(&q, schema, base);
		else
			sql_ident(&q, base);
		p[0] = q.data;
		p[1] = NULL;
		sql = !strcmp(class, "rel") ?
			"SELECT c.oid IS NOT NULL, coalesce(c.reltuples, -1) FROM (SELECT pg_catalog.to_regclass($1) AS r) x"
			" LEFT JOIN pg_catalog.pg_class c ON c.oid = x.r" :
			!strcmp(class, "type") ? "SELECT pg_catalog.to_regtype($1) IS NOT NULL, -1" :
			"SELECT pg_catalog.to_regnamespace($1) IS NOT NULL, -1";
	}
	res = db_exec(conn, PGW_ERR_CONNECT, "pre-flight lookup failed", sql,
				  !strcmp(class, "function") ? 2 : 1, p, PGRES_TUPLES_OK);
	buf_release(&q);
	free(base);
	if (!res)
		return -1;
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	*reltuples = atof(PQgetvalue(res, 0, 1));
	PQclear(res);
	return rc;
}

/*
 * The schema an unqualified relation name means: where the target has it
 * (through the search_path), else where CREATE would put it
 * (current_schema()) — so "t" and "public.t" are one key in the batch
 * state.  NULL with an error recorded when the lookup fails.  Caller
 * frees.
 */
static char *
rel_schema(PGconn *conn, const char *schema, const char *name)
{
	struct pgw_buf q;
	const char *p[1];
	PGresult   *res;
	char	   *out;

	if (schema && *schema)
		return pgw_strdup(schema);
	buf_init(&q);
	sql_ident(&q, name);
	p[0] = q.data;
	res = db_exec(conn, PGW_ERR_CONNECT, "pre-flight lookup failed",
				  "SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class c"
				  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				  " WHERE c.oid = pg_catalog.to_regclass($1)), pg_catalog.current_schema(), '')",
				  1, p, PGRES_TUPLES_OK);
	buf_release(&q);
	if (!res)
		return NULL;
	out = pgw_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

/* --- columns ------------------------------------------------------------- */

enum colop
{
	COL_USE,					/* must exist */
	COL_ADD,					/* must not exist (unless tolerated); then does */
	COL_DROP					/* must exist (unless tolerated); then does not */
};

/*
 * Whether schema.table has column on the target: 1, 0, 2 when the table is
 * not there (the relation check speaks for it), -1 on a failed query.
 */
static int
column_live(PGconn *conn, const char *schema, const char *table, const char *column)
{
	struct pgw_buf q;
	const char *p[2];
	PGresult   *res;
	int			rc;

	buf_init(&q);
	if (schema)
		sql_qname(&q, schema, table);
	else
		sql_ident(&q, table);
	p[0] = q.data;
	p[1] = column;
	res = db_exec(conn, PGW_ERR_CONNECT, "pre-flight lookup failed",
				  "SELECT c.oid IS NOT NULL, EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
				  " WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped),"
				  " EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid)"
				  " FROM (SELECT pg_catalog.to_regclass($1) AS oid) c",
				  2, p, PGRES_TUPLES_OK);
	buf_release(&q);
	if (!res)
		return -1;
	rc = strcmp(PQgetvalue(res, 0, 0), "t") != 0 ? 2 : strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	/* a partition or child: a column added to its parent earlier in the
	 * batch reaches it too, which the batch state does not follow */
	if (rc == 0 && strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		rc = 2;
	PQclear(res);
	return rc;
}

/*
 * Checks one column a statement uses, adds or drops, against the batch
 * state first (columns added, dropped or renamed by earlier statements;
 * tables created by the batch, whose columns are known when their CREATE
 * TABLE listed them all), then the target.  Keys: "col:schema.table.column",
 * an unqualified table's schema resolved by rel_schema, like the
 * relations'.
 */
static int
check_column(struct pgw_preflight *pf, PGconn *conn, int line, const char *schema, const char *table,
			 const char *column, enum colop op, bool tol)
{
	char	   *key,
			   *rel,
			   *cols,
			   *shown;
	int			live;

	char	   *canon;

	if (!table || !*table || !column || !*column)
		return 0;
	if (schema && !*schema)
		schema = NULL;
	if (!(canon = rel_schema(conn, schema, table)))
		return -1;
	key = pgw_asprintf("col:%s.%s.%s", canon, table, column);
	rel = pgw_asprintf("rel:%s.%s", canon, table);
	cols = pgw_asprintf("cols:%s.%s", canon, table);
	free(canon);
	shown = schema ? pgw_asprintf("%s.%s.%s", schema, table, column) : pgw_asprintf("%s.%s", table, column);
	if (has(&pf->created, key))
		live = 1;
	else if (has(&pf->dropped, key))
		live = 0;
	else if (has(&pf->dropped, rel))
		live = 2;
	else if (has(&pf->created, rel))
		live = has(&pf->created, cols) ? 0 : 2;
	else if ((live = column_live(conn, schema, table, column)) < 0)
		goto done;
	if (live != 2)
	{
		char	   *m = NULL;

		if (op == COL_ADD && live == 1 && !tol)
			m = pgw_asprintf("line %d: column '%s' already exists", line, shown);
		else if (op != COL_ADD && live == 0 && !tol)
			m = pgw_asprintf("line %d: column '%s' does not exist", line, shown);
		if (m)
			strlist_add(&pf->problems, m);
		free(m);
	}
	if (op == COL_ADD)
	{
		remove_item(&pf->dropped, key);
		if (!has(&pf->created, key))
			strlist_add(&pf->created, key);
	}
	else if (op == COL_DROP)
	{
		remove_item(&pf->created, key);
		if (!has(&pf->dropped, key))
			strlist_add(&pf->dropped, key);
	}
	live = 0;
done:
	free(key);
	free(rel);
	free(cols);
	free(shown);
	return live;
}

static const char *
str_of(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* The columns of a key (PRIMARY KEY / UNIQUE / FOREIGN KEY lists). */
static int
check_names(struct pgw_preflight *pf, PGconn *conn, int line, const PgQuery__RangeVar *rv,
			PgQuery__Node **names, size_t n)
{
	for (size_t i = 0; rv && i < n; i++)
		if (check_column(pf, conn, line, rv->schemaname, rv->relname, str_of(names[i]), COL_USE, false) < 0)
			return -1;
	return 0;
}

/* A table or column constraint on rv: its own columns and, for a foreign
 * key, the referenced ones (default: the referenced table's primary key,
 * not checked). */
static int
check_constraint(struct pgw_preflight *pf, PGconn *conn, int line, const PgQuery__RangeVar *rv,
				 const PgQuery__Constraint *c)
{
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE)
		return check_names(pf, conn, line, rv, c->keys, c->n_keys);
	if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
	{
		if (check_names(pf, conn, line, rv, c->fk_attrs, c->n_fk_attrs) != 0)
			return -1;
		return check_names(pf, conn, line, c->pktable, c->pk_attrs, c->n_pk_attrs);
	}
	return 0;
}

/* ALTER TABLE subcommands that name one existing column. */
static bool
names_column(PgQuery__AlterTableType t)
{
	switch (t)
	{
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropExpression:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnGenericOptions:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity:
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
			return true;
		default:
			return false;
	}
}

/*
 * The columns one statement names: ALTER TABLE's column subcommands and
 * constraints, RENAME COLUMN, CREATE INDEX's plain key columns, UPDATE's
 * SET targets, COMMENT ON COLUMN, and CREATE TABLE's own columns (recorded
 * for later statements) and key/foreign-key lists.  Expressions (CHECK,
 * index expressions, WHERE) are left to the sandbox.
 */
static int
check_columns(struct pgw_preflight *pf, PGconn *conn, int line, const PgQuery__Node *n)
{
	if (!n)
		return 0;
	switch (n->node_case)
	{
		case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
			{
				const PgQuery__AlterTableStmt *a = n->alter_table_stmt;
				const PgQuery__RangeVar *rv = a->relation;

				if (!rv || a->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
					return 0;
				for (size_t i = 0; i < a->n_cmds; i++)
				{
					const PgQuery__AlterTableCmd *c;
					int			rc = 0;

					if (a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
						continue;
					c = a->cmds[i]->alter_table_cmd;
					if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn && c->def &&
						c->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
					{
						const PgQuery__ColumnDef *cd = c->def->column_def;

						rc = check_column(pf, conn, line, rv->schemaname, rv->relname, cd->colname,
										  COL_ADD, c->missing_ok);
						for (size_t k = 0; rc >= 0 && k < cd->n_constraints; k++)
							if (cd->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
								cd->constraints[k]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
								rc = check_names(pf, conn, line, cd->constraints[k]->constraint->pktable,
												 cd->constraints[k]->constraint->pk_attrs,
												 cd->constraints[k]->constraint->n_pk_attrs);
					}
					else if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn)
						rc = check_column(pf, conn, line, rv->schemaname, rv->relname, c->name, COL_DROP,
										  c->missing_ok || a->missing_ok);
					else if (names_column(c->subtype) && c->name && *c->name)
						rc = check_column(pf, conn, line, rv->schemaname, rv->relname, c->name, COL_USE,
										  a->missing_ok);
					else if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint && c->def &&
							 c->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
						rc = check_constraint(pf, conn, line, rv, c->def->constraint);
					if (rc < 0)
						return -1;
				}
				return 0;
			}
		case PG_QUERY__NODE__NODE_RENAME_STMT:
			{
				const PgQuery__RenameStmt *r = n->rename_stmt;

				if (r->relation && r->newname &&
					(r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
					 r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_VIEW ||
					 r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW ||
					 r->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE))
				{
					/* ALTER TABLE t RENAME TO u: u exists from here on, t not */
					char	   *canon = rel_schema(conn, r->relation->schemaname, r->relation->relname);
					char	   *from,
							   *to;

					if (!canon)
						return -1;
					from = pgw_asprintf("rel:%s.%s", canon, r->relation->relname);
					to = pgw_asprintf("rel:%s.%s", canon, r->newname);
					remove_item(&pf->created, from);
					if (!has(&pf->dropped, from))
						strlist_add(&pf->dropped, from);
					remove_item(&pf->dropped, to);
					if (!has(&pf->created, to))
						strlist_add(&pf->created, to);
					free(from);
					free(to);
					free(canon);
					return 0;
				}
				if (r->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || !r->relation ||
					r->relation_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
					return 0;
				if (check_column(pf, conn, line, r->relation->schemaname, r->relation->relname, r->subname,
								 COL_DROP, r->missing_ok) < 0 ||
					check_column(pf, conn, line, r->relation->schemaname, r->relation->relname, r->newname,
								 COL_ADD, false) < 0)
					return -1;
				return 0;
			}
		case PG_QUERY__NODE__NODE_INDEX_STMT:
			{
				const PgQuery__IndexStmt *x = n->index_stmt;

				for (size_t i = 0; x->relation && i < x->n_index_params; i++)
					if (x->index_params[i]->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM &&
						x->index_params[i]->index_elem->name && *x->index_params[i]->index_elem->name &&
						check_column(pf, conn, line, x->relation->schemaname, x->relation->relname,
									 x->index_params[i]->index_elem->name, COL_USE, false) < 0)
						return -1;
				return 0;
			}
		case PG_QUERY__NODE__NODE_UPDATE_STMT:
			{
				const PgQuery__UpdateStmt *u = n->update_stmt;

				for (size_t i = 0; u->relation && i < u->n_target_list; i++)
					if (u->target_list[i]->node_case == PG_QUERY__NODE__NODE_RES_TARGET &&
						check_column(pf, conn, line, u->relation->schemaname, u->relation->relname,
									 u->target_list[i]->res_target->name, COL_USE, false) < 0)
						return -1;
				return 0;
			}
		case PG_QUERY__NODE__NODE_COMMENT_STMT:
			{
				const PgQuery__CommentStmt *c = n->comment_stmt;
				PgQuery__Node **it;
				size_t		k;

				if (c->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN || !c->object ||
					c->object->node_case != PG_QUERY__NODE__NODE_LIST)
					return 0;
				it = c->object->list->items;
				k = c->object->list->n_items;
				/* [schema,] table, column */
				if (k == 2)
					return check_column(pf, conn, line, NULL, str_of(it[0]), str_of(it[1]), COL_USE, false) < 0
						? -1 : 0;
				if (k == 3)
					return check_column(pf, conn, line, str_of(it[0]), str_of(it[1]), str_of(it[2]), COL_USE,
										false) < 0 ? -1 : 0;
				return 0;
			}
		case PG_QUERY__NODE__NODE_CREATE_STMT:
			{
				const PgQuery__CreateStmt *c = n->create_stmt;
				const PgQuery__RangeVar *rv = c->relation;
				const char *schema;
				bool		complete;

				char	   *canon;

				if (!rv)
					return 0;
				if (!(canon = rel_schema(conn, rv->schemaname, rv->relname)))
					return -1;
				schema = canon;
				/* its columns are all listed unless it inherits, copies or is
				 * typed — or IF NOT EXISTS met a table that is there already,
				 * columns and all */
				complete = c->n_inh_relations == 0 && !c->of_typename && !c->partbound &&
					!c->if_not_exists;
				for (size_t i = 0; i < c->n_table_elts; i++)
					if (c->table_elts[i]->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
						complete = false;
				if (complete)
				{
					char	   *cols = pgw_asprintf("cols:%s.%s", schema, rv->relname);

					if (!has(&pf->created, cols))
						strlist_add(&pf->created, cols);
					free(cols);
				}
				for (size_t i = 0; !c->if_not_exists && i < c->n_table_elts; i++)
					if (c->table_elts[i]->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
					{
						char	   *key = pgw_asprintf("col:%s.%s.%s", schema, rv->relname,
													   c->table_elts[i]->column_def->colname);

						remove_item(&pf->dropped, key);
						if (!has(&pf->created, key))
							strlist_add(&pf->created, key);
						free(key);
					}
				free(canon);
				for (size_t i = 0; i < c->n_table_elts; i++)
				{
					const PgQuery__Node *e = c->table_elts[i];

					if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
					{
						if (check_constraint(pf, conn, line, rv, e->constraint) != 0)
							return -1;
					}
					else if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
						for (size_t k = 0; k < e->column_def->n_constraints; k++)
							if (e->column_def->constraints[k]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
								e->column_def->constraints[k]->constraint->contype ==
								PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN &&
								check_names(pf, conn, line, e->column_def->constraints[k]->constraint->pktable,
											e->column_def->constraints[k]->constraint->pk_attrs,
											e->column_def->constraints[k]->constraint->n_pk_attrs) != 0)
								return -1;
				}
				return 0;
			}
		default:
			return 0;
	}
}

int
preflight_check(struct pgw_preflight *pf, PGconn *conn, struct pgw_plan *p)
{
	reset_results(pf);
	for (size_t i = 0; i < p->n; i++)
	{
		struct pgw_sql_stmt *st = &p->s.stmts[p->stmts[i]];
		const PgQuery__Node *node = sql_script_tree(&p->s, p->stmts[i]);
		bool		tol = tolerant(node);
		bool		heavy = st->info.lock >= PGW_LOCK_SHARE || st->info.rewrites || st->info.scans;

		for (size_t k = 0; k < st->info.nobjects; k++)
		{
			const struct pgw_sql_object *o = &st->info.objects[k];
			const char *class = kind_class(o->kind);
			const char *schema = o->schema;
			char	   *key,
					   *shown;
			double		rows;
			int			live;

			char	   *canon = NULL;

			if (!class || !o->name)
				continue;
			if (!strcmp(class, "rel") && !(canon = rel_schema(conn, schema, o->name)))
				return -1;
			key = pgw_asprintf("%s:%s.%s", class, canon ? canon : schema ? schema : "", o->name);
			free(canon);
			shown = schema ? pgw_asprintf("%s.%s", schema, o->name) : pgw_strdup(o->name);
			if (has(&pf->created, key))
				live = 1;
			else if (has(&pf->dropped, key))
				live = 0;
			else
			{
				live = exists_live(conn, class, schema, o->name, &rows);
				if (live < 0)
				{
					free(key);
					free(shown);
					return -1;
				}
				if (live && o->action != PGW_OBJ_CREATE && !has(&pf->references, shown))
					strlist_add(&pf->references, shown);
				if (live && heavy && o->action != PGW_OBJ_CREATE && !strcmp(class, "rel") &&
					rows >= PGW_PREFLIGHT_LARGE_ROWS)
				{
					char	   *w = pgw_asprintf("line %d: %s takes %s on '%s', about %.0f rows%s",
												 st->line, st->info.tag ? st->info.tag : "the statement",
												 sql_lockmode_name(st->info.lock), shown, rows,
												 st->info.rewrites ? ", and may rewrite it" : "");

					strlist_add(&pf->warnings, w);
					free(w);
				}
			}
			if (o->action == PGW_OBJ_CREATE)
			{
				if (live && !tol)
				{
					char	   *m = pgw_asprintf("line %d: %s '%s' already exists", st->line, o->kind, shown);

					strlist_add(&pf->problems, m);
					free(m);
				}
				if (!has(&pf->created, key))
					strlist_add(&pf->created, key);
				remove_item(&pf->dropped, key);
			}
			else
			{
				if (!live && !tol)
				{
					char	   *m = pgw_asprintf("line %d: %s '%s' does not exist", st->line,
												 !strcmp(class, "rel") && !strcmp(o->kind, "table") ?
												 "relation" : o->kind, shown);

					strlist_add(&pf->problems, m);
					free(m);
				}
				if (o->action == PGW_OBJ_DROP)
				{
					remove_item(&pf->created, key);
					if (!has(&pf->dropped, key))
						strlist_add(&pf->dropped, key);
				}
			}
			free(key);
			free(shown);
		}
		/* after the statement's own relations: a CREATE TABLE is known then */
		if (check_columns(pf, conn, st->line, node) != 0)
			return -1;
	}
	return 0;
}
