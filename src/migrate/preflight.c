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

			if (!class || !o->name)
				continue;
			key = pgw_asprintf("%s:%s.%s", class, schema ? schema : "", o->name);
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
	}
	return 0;
}
