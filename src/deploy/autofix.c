/*
 * autofix.c — the auto-fix engine: one statement's parse tree compared with
 * the live model, read once before the run (so a re-deploy of an unchanged
 * schema costs no query per statement).
 *
 * The rule per statement kind (docs/deploy.md has the table):
 *   CREATE TABLE         exists: certainly the same (columns, types, NOT
 *                        NULL, identity, defaults, PRIMARY KEY / UNIQUE /
 *                        FOREIGN KEY / CHECK, the live columns and
 *                        constraints the folder's ALTER TABLEs add aside)
 *                        -> skip; else PGW_AF_PROBE: deploy_probe (probe.c)
 *                        makes it on the server and diffs it (ALTERs, skip,
 *                        or refuse when data would be lost);
 *   CREATE TYPE AS ENUM  exists: missing labels -> ALTER TYPE ... ADD VALUE
 *                        in the file's order; not an enum -> refuse;
 *   ALTER TABLE          ADD COLUMN of an existing column: same type -> the
 *                        command leaves the tree, other type -> refuse; ADD
 *                        CONSTRAINT of an existing name: same kind -> leaves
 *                        the tree, else refuse; nothing left -> skip;
 *   CREATE INDEX         exists: same table, method, keys, INCLUDE,
 *                        predicate, uniqueness -> skip; another -> refuse;
 *                        expressions the text cannot settle -> probe;
 *   CREATE FUNCTION      the name exists with the same arguments: the same
 *                        body and language -> skip, else CREATE OR REPLACE;
 *   CREATE TRIGGER       exists: same function, timing and events -> skip,
 *                        else CREATE OR REPLACE TRIGGER;
 *   CREATE POLICY        exists: same command, mode, roles, USING and WITH
 *                        CHECK -> skip, else DROP POLICY + CREATE POLICY
 *                        (one transaction); expressions the text cannot
 *                        settle -> probe;
 *   CREATE VIEW          exists -> CREATE OR REPLACE VIEW;
 *   CREATE SCHEMA, SEQUENCE, EXTENSION, DOMAIN, TYPE AS (...)  exists -> skip.
 * Everything else runs as written.  Unqualified names resolve to public
 * (the search_path the files are written for).
 *
 * Expressions compare as text (expr_same_text): the file's tree deparsed
 * against the catalog's text parsed, normalized (constant casts off, =
 * ANY (ARRAY[...]) back to IN) and deparsed.  Equal text is the same
 * expression; unequal text proves nothing, so it means "probe", never
 * "different".
 */
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "deploy/deploy.h"
#include "sql/node.h"
#include "sql/quote.h"
#include "sql/tokens.h"
#include "util/mem.h"

#define DEFAULT_SCHEMA "public"

static const char *
sch(const char *s)
{
	return s && *s ? s : DEFAULT_SCHEMA;
}

static const struct pgw_relation *
find_rel(const struct pgw_model *m, const char *schema, const char *name)
{
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *r = m->relations.items[i];

		if (!strcmp(r->obj.schema, sch(schema)) && !strcmp(r->obj.name, name))
			return r;
	}
	return NULL;
}

static const struct pgw_type *
find_type(const struct pgw_model *m, const char *schema, const char *name)
{
	for (size_t i = 0; i < m->types.n; i++)
	{
		const struct pgw_type *t = m->types.items[i];

		if (!strcmp(t->obj.schema, sch(schema)) && !strcmp(t->obj.name, name))
			return t;
	}
	return NULL;
}

static bool
has_named(const struct pgw_vec *v, const char *schema, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
	{
		const struct pgw_object *o = v->items[i];

		if ((!schema || (o->schema && !strcmp(o->schema, sch(schema)))) && !strcmp(o->name, name))
			return true;
	}
	return false;
}

static const struct pgw_index *
find_index(const struct pgw_model *m, const char *schema, const char *name,
		   const struct pgw_relation **on)
{
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *r = m->relations.items[i];

		if (strcmp(r->obj.schema, sch(schema)) != 0)
			continue;
		for (size_t j = 0; j < r->indexes.n; j++)
		{
			const struct pgw_index *x = r->indexes.items[j];

			if (!strcmp(x->obj.name, name))
			{
				*on = r;
				return x;
			}
		}
	}
	return NULL;
}

static const void *
find_sub(const struct pgw_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
	{
		const struct pgw_object *o = v->items[i];

		if (!strcmp(o->name, name))
			return o;
	}
	return NULL;
}

/* A TypeName spelled as format_type() spells it: "integer",
 * "character varying(40)", "timestamp with time zone", "status[]". */
static char *
type_spelling(const PgQuery__TypeName *t)
{
	static const struct
	{
		const char *in;
		const char *out;
	}			map[] = {
		{"int4", "integer"}, {"int8", "bigint"}, {"int2", "smallint"},
		{"bool", "boolean"}, {"float8", "double precision"}, {"float4", "real"},
		{"varchar", "character varying"}, {"bpchar", "character"},
		{"serial", "integer"}, {"bigserial", "bigint"}, {"smallserial", "smallint"},
		{"serial4", "integer"}, {"serial8", "bigint"}, {"int", "integer"},
		{"integer", "integer"}, {"decimal", "numeric"},
	};
	const char *last = node_type_last(t);
	const char *schema = node_type_schema(t);
	const char *base = last;
	struct pgw_buf b;
	struct pgw_buf mods;
	const char *zone = NULL;

	buf_init(&b);
	buf_init(&mods);
	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(last, map[i].in))
			base = map[i].out;
	if (t->n_typmods > 0)
	{
		buf_append_char(&mods, '(');
		for (size_t i = 0; i < t->n_typmods; i++)
		{
			const PgQuery__Node *n = t->typmods[i];

			if (i)
				buf_append_char(&mods, ',');
			if (n->node_case == NK(A_CONST) && n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
				buf_printf(&mods, "%d", n->a_const->ival->ival);
			else
				buf_append(&mods, "?");
		}
		buf_append_char(&mods, ')');
	}
	if (!strcmp(last, "timestamptz"))
		base = "timestamp", zone = " with time zone";
	else if (!strcmp(last, "timestamp"))
		zone = " without time zone";
	else if (!strcmp(last, "timetz"))
		base = "time", zone = " with time zone";
	else if (!strcmp(last, "time"))
		zone = " without time zone";
	if (schema && strcmp(schema, "pg_catalog") != 0 && strcmp(schema, DEFAULT_SCHEMA) != 0)
	{
		sql_ident(&b, schema);
		buf_append_char(&b, '.');
	}
	if (base == last && (!schema || strcmp(schema, "pg_catalog") != 0))
		sql_ident(&b, base);
	else
		buf_append(&b, base);
	if (mods.len)
		buf_append(&b, mods.data);
	if (zone)
		buf_append(&b, zone);
	for (size_t i = 0; i < t->n_array_bounds; i++)
		buf_append(&b, "[]");
	buf_release(&mods);
	return buf_steal(&b);
}

/* The statement (its tree, maybe changed) as SQL text, through
 * libpg_query's deparser; NULL if it cannot. */
static char *
deparse(PgQuery__Node *stmt)
{
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	PgQuery__RawStmt *rawp = &raw;
	PgQuery__ParseResult pr = PG_QUERY__PARSE_RESULT__INIT;
	PgQueryProtobuf pb;
	PgQueryDeparseResult r;
	char	   *out = NULL;

	raw.stmt = stmt;
	pr.version = PG_VERSION_NUM;
	pr.n_stmts = 1;
	pr.stmts = &rawp;
	pb.len = pg_query__parse_result__get_packed_size(&pr);
	pb.data = pgw_malloc(pb.len + 1);
	pg_query__parse_result__pack(&pr, (uint8_t *) pb.data);
	sql_library_mark_used();
	r = pg_query_deparse_protobuf(pb);
	if (!r.error && r.query)
		out = pgw_asprintf("%s;", r.query);
	pg_query_free_deparse_result(r);
	free(pb.data);
	return out;
}

static void
decide(struct pgw_deploy_stmt *st, enum pgw_autofix fix, const char *action, char *reason)
{
	st->fix = fix;
	free(st->fix_action);
	st->fix_action = action ? pgw_strdup(action) : NULL;
	free(st->fix_reason);
	st->fix_reason = reason;
}

static void
rewrite(struct pgw_deploy_stmt *st, PgQuery__Node *tree, const char *action, char *reason)
{
	char	   *sql = deparse(tree);

	if (!sql)
	{
		decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("%s; but the rewritten statement cannot be deparsed", reason));
		free(reason);
		return;
	}
	decide(st, PGW_AF_REWRITE, action, reason);
	st->fix_sql = sql;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A bare expression as the deparser writes it ("now()", "'new'"), or NULL. */
static char *
expr_text(PgQuery__Node *e)
{
	PgQuery__ResTarget rt = PG_QUERY__RES_TARGET__INIT;
	PgQuery__Node rtn = PG_QUERY__NODE__INIT;
	PgQuery__Node *rtp = &rtn;
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	PgQuery__Node seln = PG_QUERY__NODE__INIT;
	char	   *s,
			   *out;
	size_t		len;

	if (!e)
		return NULL;
	rt.val = e;
	rtn.node_case = NK(RES_TARGET);
	rtn.res_target = &rt;
	sel.n_target_list = 1;
	sel.target_list = &rtp;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	seln.node_case = NK(SELECT_STMT);
	seln.select_stmt = &sel;
	s = deparse(&seln);
	if (!s || strncmp(s, "SELECT ", 7) != 0)
	{
		free(s);
		return NULL;
	}
	len = strlen(s + 7);
	if (len && s[7 + len - 1] == ';')
		len--;
	out = pgw_strndup(s + 7, len);
	free(s);
	return out;
}

/* node_walk visitor over the catalog's expression (its tree lives in a
 * pool, so replaced nodes are simply left behind):
 *   a cast of a constant becomes the constant;
 *   x = ANY (ARRAY[...]) becomes x IN (...), and x <> ALL (ARRAY[...])
 *   x NOT IN (...): how the server prints what a file writes as IN. */
static bool
normalize_live(const PgQuery__Node *cn, void *arg)
{
	PgQuery__Node *n = (PgQuery__Node *) cn;
	struct pgw_sql_pool *pool = arg;

	while (n->node_case == NK(TYPE_CAST) && n->type_cast->arg && n->type_cast->arg->node_case == NK(A_CONST))
		*n = *n->type_cast->arg;
	if (n->node_case == NK(A_EXPR) && n->a_expr->rexpr && n->a_expr->rexpr->node_case == NK(A_ARRAY_EXPR) &&
		n->a_expr->n_name == 1 &&
		((n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY && !strcmp(node_str(n->a_expr->name[0]) ? node_str(n->a_expr->name[0]) : "", "=")) ||
		 (n->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL && !strcmp(node_str(n->a_expr->name[0]) ? node_str(n->a_expr->name[0]) : "", "<>"))))
	{
		PgQuery__List init = PG_QUERY__LIST__INIT;
		PgQuery__List *l = pool->allocator.alloc(pool->allocator.allocator_data, sizeof(*l));
		PgQuery__AArrayExpr *a = n->a_expr->rexpr->a_array_expr;

		*l = init;
		l->n_items = a->n_elements;
		l->items = a->elements;
		n->a_expr->kind = PG_QUERY__A__EXPR__KIND__AEXPR_IN;
		n->a_expr->rexpr->node_case = NK(LIST);
		n->a_expr->rexpr->list = l;
	}
	return true;
}

/*
 * The catalog's text of an expression (pg_get_expr, pg_get_constraintdef's
 * inside) in the deparser's spelling, normalized (normalize_live): the
 * server writes 'new'::job_status, ''::text, (0)::numeric and
 * s = ANY (ARRAY['a'::text, 'b'::text]) for what a file writes 'new', '',
 * 0 and s IN ('a', 'b').  NULL when it does not parse.
 */
static char *
live_expr_norm(const char *text)
{
	char	   *sql = pgw_asprintf("SELECT %s", text);
	PgQueryProtobufParseResult r;
	PgQuery__ParseResult *tree;
	struct pgw_sql_pool pool;
	char	   *out = NULL;

	sql_library_mark_used();
	r = pg_query_parse_protobuf(sql);
	free(sql);
	if (r.error)
	{
		pg_query_free_protobuf_parse_result(r);
		return NULL;
	}
	sql_pool_init(&pool);
	tree = pg_query__parse_result__unpack(&pool.allocator, r.parse_tree.len, (const uint8_t *) r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	if (tree && tree->n_stmts == 1 && tree->stmts[0]->stmt &&
		tree->stmts[0]->stmt->node_case == NK(SELECT_STMT) &&
		tree->stmts[0]->stmt->select_stmt->n_target_list == 1 &&
		tree->stmts[0]->stmt->select_stmt->target_list[0]->node_case == NK(RES_TARGET))
	{
		PgQuery__Node *e = tree->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val;

		node_walk(e, normalize_live, &pool);
		out = expr_text(e);
	}
	sql_pool_release(&pool);
	return out;
}

/*
 * Whether the file's expression is the live one, from the text alone: the
 * file's tree deparsed against the catalog's text parsed, its constants'
 * casts taken off, and deparsed.  False means "ask the server", not
 * "different".  (An untyped literal of the file thus matches the live
 * literal of whatever type the server resolved it to.)
 */
static bool
expr_same_text(PgQuery__Node *e, const char *live)
{
	char	   *t,
			   *l;
	bool		same;

	if (!e || !live)
		return !e && !live;
	t = expr_text(e);
	if (!t)
		return false;
	if (!strcmp(t, live))
	{
		free(t);
		return true;
	}
	l = live_expr_norm(live);
	same = l && !strcmp(t, l);
	free(t);
	free(l);
	return same;
}

/* The names of a list of String nodes, comma-separated, in a buffer. */
static void
names_of(PgQuery__Node *const *l, size_t n, struct pgw_buf *b)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? "," : "", node_str(l[i]) ? node_str(l[i]) : "?");
}

static void
vec_names(const struct pgw_vec *v, struct pgw_buf *b)
{
	for (size_t i = 0; i < v->n; i++)
		buf_printf(b, "%s%s", i ? "," : "", (const char *) v->items[i]);
}

bool
deploy_has_add(const struct pgw_strlist *adds, char what, const char *schema, const char *table,
			   const char *name)
{
	char	   *key = pgw_asprintf("%c:%s.%s.%s", what, schema, table, name);
	bool		r = strlist_contains(adds, key);

	free(key);
	return r;
}

/*
 * One constraint of the file (inline on column col, or a table constraint)
 * against the live table: the live constraint it is, or NULL when none
 * certainly is.  Only primary keys, unique constraints and foreign keys
 * are matched this way; CHECK and EXCLUDE need the server.
 */
static const struct pgw_constraint *
match_constraint(const struct pgw_relation *r, const PgQuery__Constraint *k, const char *col, const bool *used)
{
	struct pgw_buf want,
				got;
	const struct pgw_constraint *found = NULL;
	char		type = k->contype == CT(PRIMARY) ? 'p' : k->contype == CT(UNIQUE) ? 'u' :
		k->contype == CT(FOREIGN) ? 'f' : k->contype == CT(CHECK) ? 'c' : 0;

	if (type == 'c')
	{
		/* CHECK: the expression, as the catalog prints it */
		if (k->is_no_inherit || k->skip_validation || !k->raw_expr)
			return NULL;
		for (size_t i = 0; i < r->constraints.n; i++)
		{
			const struct pgw_constraint *c = r->constraints.items[i];
			const char *def = c->definition;
			size_t		len = def ? strlen(def) : 0;
			char	   *inner;
			bool		same;

			if (used[i] || c->type != 'c' || c->inherited || !def || len < 9 || strncmp(def, "CHECK (", 7) != 0 ||
				def[len - 1] != ')' || (k->conname && *k->conname && strcmp(k->conname, c->obj.name) != 0))
				continue;
			inner = pgw_strndup(def + 7, len - 8);
			same = expr_same_text(k->raw_expr, inner);
			free(inner);
			if (same)
			{
				((bool *) used)[i] = true;
				return c;
			}
		}
		return NULL;
	}
	if (!type || k->deferrable || k->initdeferred || k->n_including || k->n_options ||
		(k->indexname && *k->indexname) || (k->indexspace && *k->indexspace) || k->nulls_not_distinct ||
		k->n_fk_del_set_cols)
		return NULL;
	buf_init(&want);
	if (col)
		buf_append(&want, col);
	else
		names_of(type == 'f' ? k->fk_attrs : k->keys, type == 'f' ? k->n_fk_attrs : k->n_keys, &want);
	for (size_t i = 0; i < r->constraints.n && !found; i++)
	{
		const struct pgw_constraint *c = r->constraints.items[i];

		if (used[i] || c->type != type || c->deferrable || c->inherited ||
			(k->conname && *k->conname && strcmp(k->conname, c->obj.name) != 0))
			continue;
		buf_init(&got);
		vec_names(&c->columns, &got);
		if (!strcmp(want.data ? want.data : "", got.data ? got.data : ""))
		{
			found = c;
			if (type == 'f')
			{
				const char *upd = k->fk_upd_action && *k->fk_upd_action ? k->fk_upd_action : "a";
				const char *del = k->fk_del_action && *k->fk_del_action ? k->fk_del_action : "a";
				const char *mt = k->fk_matchtype && *k->fk_matchtype ? k->fk_matchtype : "s";

				if (!k->pktable || strcmp(sch(k->pktable->schemaname), c->ref_schema ? c->ref_schema : "") != 0 ||
					strcmp(k->pktable->relname, c->ref_table ? c->ref_table : "") != 0 ||
					upd[0] != c->on_update || del[0] != c->on_delete || mt[0] != c->match)
					found = NULL;
				else if (k->n_pk_attrs)
				{
					struct pgw_buf a,
								b;

					buf_init(&a);
					buf_init(&b);
					names_of(k->pk_attrs, k->n_pk_attrs, &a);
					vec_names(&c->ref_columns, &b);
					if (strcmp(a.data ? a.data : "", b.data ? b.data : "") != 0)
						found = NULL;
					buf_release(&a);
					buf_release(&b);
				}
			}
		}
		buf_release(&got);
		if (found)
			for (size_t j = 0; j < r->constraints.n; j++)
				if (r->constraints.items[j] == found)
				{
					((bool *) used)[j] = true;
					break;
				}
	}
	buf_release(&want);
	return found;
}

/*
 * Whether the CREATE TABLE certainly describes the live table r, from the
 * parse tree alone: the same columns (the live ones the folder adds later
 * aside), types, NOT NULL, identity, defaults written as the catalog
 * prints them, and primary keys, unique constraints and foreign keys that
 * match; nothing the tree cannot compare (CHECK, LIKE, partitioning, WITH,
 * collations, generated columns...).  False means "ask the server", not
 * "different".
 */
static bool
table_certainly_same(const struct pgw_relation *r, const PgQuery__CreateStmt *cs, const struct pgw_strlist *adds,
					 const char *schema)
{
	bool	   *used = pgw_calloc(r->constraints.n + 1, sizeof(bool));
	struct pgw_strlist pk = {0};
	size_t		ncols = 0;
	bool		same = false;

	if (cs->n_inh_relations || cs->partbound || cs->partspec || cs->of_typename || cs->n_options ||
		(cs->tablespacename && *cs->tablespacename) || (cs->access_method && *cs->access_method) ||
		cs->n_constraints || r->relkind != 'r' || r->parent_name ||
		(cs->relation->relpersistence && cs->relation->relpersistence[0] == 'u') != r->unlogged)
		goto out;
	/* table constraints first: a PRIMARY KEY (a, b) makes a and b NOT NULL */
	for (size_t i = 0; i < cs->n_table_elts; i++)
	{
		const PgQuery__Node *e = cs->table_elts[i];

		if (e->node_case == NK(COLUMN_DEF))
			continue;
		if (e->node_case != NK(CONSTRAINT) || !match_constraint(r, e->constraint, NULL, used))
			goto out;
		if (e->constraint->contype == CT(PRIMARY))
			for (size_t k = 0; k < e->constraint->n_keys; k++)
				strlist_add(&pk, node_str(e->constraint->keys[k]));
	}
	for (size_t i = 0; i < cs->n_table_elts; i++)
	{
		const PgQuery__ColumnDef *cd;
		const struct pgw_column *c;
		bool		not_null = false;
		char		identity = 0;
		PgQuery__Node *def = NULL;
		char	   *want;
		bool		ok;

		if (cs->table_elts[i]->node_case != NK(COLUMN_DEF))
			continue;
		cd = cs->table_elts[i]->column_def;
		ncols++;
		c = model_find_column(r, cd->colname);
		if (!c || cd->coll_clause || c->collation || c->generated)
			goto out;
		for (size_t k = 0; k < cd->n_constraints; k++)
		{
			const PgQuery__Constraint *con = cd->constraints[k]->constraint;

			if (cd->constraints[k]->node_case != NK(CONSTRAINT))
				goto out;
			switch (con->contype)
			{
				case CT(NOTNULL):
					not_null = true;
					break;
				case CT(NULL):
					break;
				case CT(DEFAULT):
					def = con->raw_expr;
					break;
				case CT(IDENTITY):
					identity = con->generated_when && *con->generated_when ? con->generated_when[0] : 'a';
					not_null = true;
					if (con->n_options)
						goto out;
					break;
				case CT(PRIMARY):
				case CT(UNIQUE):
				case CT(FOREIGN):
				case CT(CHECK):
					if (!match_constraint(r, con, cd->colname, used))
						goto out;
					if (con->contype == CT(PRIMARY))
						not_null = true;
					break;
				default:
					goto out;	/* GENERATED, EXCLUDE, ... */
			}
		}
		if (strlist_contains(&pk, cd->colname))
			not_null = true;
		want = type_spelling(cd->type_name);
		ok = !strcmp(want, c->type) && not_null == c->not_null && identity == c->identity;
		free(want);
		if (!ok)
			goto out;
		/* serial: the live default is its sequence's nextval() */
		if (!strncmp(node_type_last(cd->type_name), "serial", 6) ||
			!strcmp(node_type_last(cd->type_name), "bigserial") ||
			!strcmp(node_type_last(cd->type_name), "smallserial"))
		{
			if (def || !c->default_expr || strncmp(c->default_expr, "nextval(", 8) != 0)
				goto out;
		}
		else if (!expr_same_text(def, c->default_expr))
			goto out;
	}
	/* live columns and constraints the file does not name: the folder's
	 * ALTER TABLE statements add them, or the server must tell */
	for (size_t i = 0; i < r->columns.n; i++)
	{
		const struct pgw_column *c = r->columns.items[i];
		bool		in_file = false;

		for (size_t k = 0; k < cs->n_table_elts && !in_file; k++)
			in_file = cs->table_elts[k]->node_case == NK(COLUMN_DEF) &&
				!strcmp(cs->table_elts[k]->column_def->colname, c->obj.name);
		if (!in_file && !deploy_has_add(adds, 'c', schema, r->obj.name, c->obj.name))
			goto out;
	}
	for (size_t i = 0; i < r->constraints.n; i++)
	{
		const struct pgw_constraint *c = r->constraints.items[i];

		if (!used[i] && !deploy_has_add(adds, 'k', schema, r->obj.name, c->obj.name))
			goto out;
	}
	same = ncols > 0;
out:
	strlist_release(&pk);
	free(used);
	return same;
}

/* st is to be settled on the server (deploy_probe): tree is the file's
 * statement with its table moved into the probe schema. */
static void
probe(struct pgw_deploy_stmt *st, enum pgw_kind kind, PgQuery__Node *tree, PgQuery__RangeVar *rel,
	  const char *schema, const char *table, const char *name, bool like)
{
	PgQuery__RangeVar saved = *rel;
	char	   *ps = pgw_asprintf(PGW_DEPLOY_PROBE_SCHEMA "%d", st->probe_id);
	char	   *create;
	struct pgw_buf sql;

	rel->schemaname = ps;
	rel->catalogname = (char *) "";
	rel->relpersistence = (char *) "p";
	create = deparse(tree);
	*rel = saved;
	if (!create)
	{
		decide(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("%s exists, and the file's statement cannot be deparsed to compare it", st->object));
		free(ps);
		return;
	}
	buf_init(&sql);
	buf_append(&sql, "CREATE SCHEMA ");
	sql_ident(&sql, ps);
	buf_append(&sql, ";\n");
	if (like)
	{
		buf_append(&sql, "CREATE TABLE ");
		sql_qname(&sql, ps, table);
		buf_append(&sql, " (LIKE ");
		sql_qname(&sql, schema, table);
		buf_append(&sql, ");\n");
	}
	buf_append(&sql, create);
	buf_append(&sql, "\n");
	free(create);
	free(ps);
	decide(st, PGW_AF_PROBE, "compare", pgw_asprintf("%s exists: compared on the server", st->object));
	st->probe_kind = kind;
	st->probe_sql = buf_steal(&sql);
	st->probe_schema = pgw_strdup(schema);
	st->probe_table = pgw_strdup(table);
	st->probe_name = name ? pgw_strdup(name) : NULL;
}

static bool
col_not_null(const PgQuery__ColumnDef *c)
{
	for (size_t i = 0; i < c->n_constraints; i++)
	{
		const PgQuery__Constraint *k = c->constraints[i]->constraint;

		if (c->constraints[i]->node_case == NK(CONSTRAINT) &&
			(k->contype == CT(NOTNULL) || k->contype == CT(PRIMARY) || k->contype == CT(IDENTITY)))
			return true;
	}
	return false;
}

/*
 * For a table the server cannot make to compare (deploy_probe: it needs
 * something only this deploy creates, such as a new enum for a new
 * column): when the file's columns that exist have the live type and NULL
 * rule and the others are missing, st->fallback_sql adds the missing ones
 * (ALTER TABLE ... ADD COLUMN of the tree's own ColumnDefs), the rest of
 * the definition left to the verification after the deploy.
 */
static void
add_columns_fallback(const struct pgw_relation *r, PgQuery__CreateStmt *cs, struct pgw_deploy_stmt *st)
{
	PgQuery__Node **missing = pgw_calloc(cs->n_table_elts + 1, sizeof(*missing));
	size_t		nmissing = 0;
	bool		ok = true;

	for (size_t i = 0; i < cs->n_table_elts && ok; i++)
	{
		PgQuery__Node *e = cs->table_elts[i];
		const struct pgw_column *c;
		char	   *want;

		if (e->node_case != NK(COLUMN_DEF))
			continue;
		c = model_find_column(r, e->column_def->colname);
		if (!c)
		{
			missing[nmissing++] = e;
			continue;
		}
		want = type_spelling(e->column_def->type_name);
		ok = !strcmp(want, c->type) && col_not_null(e->column_def) == c->not_null;
		free(want);
	}
	if (ok && nmissing > 0)
	{
		PgQuery__AlterTableStmt at = PG_QUERY__ALTER_TABLE_STMT__INIT;
		PgQuery__Node atn = PG_QUERY__NODE__INIT;
		PgQuery__AlterTableCmd *cmds = pgw_calloc(nmissing, sizeof(*cmds));
		PgQuery__Node *cmdn = pgw_calloc(nmissing, sizeof(*cmdn));
		PgQuery__Node **cmdp = pgw_calloc(nmissing, sizeof(*cmdp));

		for (size_t i = 0; i < nmissing; i++)
		{
			PgQuery__AlterTableCmd init = PG_QUERY__ALTER_TABLE_CMD__INIT;
			PgQuery__Node ninit = PG_QUERY__NODE__INIT;

			cmds[i] = init;
			cmds[i].subtype = AT(AddColumn);
			cmds[i].def = missing[i];
			cmds[i].behavior = PG_QUERY__DROP_BEHAVIOR__DROP_RESTRICT;
			cmdn[i] = ninit;
			cmdn[i].node_case = NK(ALTER_TABLE_CMD);
			cmdn[i].alter_table_cmd = &cmds[i];
			cmdp[i] = &cmdn[i];
		}
		at.relation = cs->relation;
		at.n_cmds = nmissing;
		at.cmds = cmdp;
		at.objtype = OT(TABLE);
		atn.node_case = NK(ALTER_TABLE_STMT);
		atn.alter_table_stmt = &at;
		st->fallback_sql = deparse(&atn);
		free(cmds);
		free(cmdn);
		free(cmdp);
	}
	free(missing);
}

static void
fix_create_table(const struct pgw_model *m, const struct pgw_strlist *adds, struct pgw_deploy_stmt *st,
				 PgQuery__Node *n)
{
	PgQuery__CreateStmt *cs = n->create_stmt;
	const struct pgw_relation *r = find_rel(m, cs->relation->schemaname, cs->relation->relname);

	st->object = pgw_asprintf("%s.%s", sch(cs->relation->schemaname), cs->relation->relname);
	if (!r)
		return;
	if (r->obj.kind != PGW_KIND_TABLE || (r->relkind != 'r' && r->relkind != 'p'))
	{
		decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("%s exists and is not a table", st->object));
		return;
	}
	if (table_certainly_same(r, cs, adds, sch(cs->relation->schemaname)))
	{
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("table %s exists with the same definition", st->object));
		return;
	}
	probe(st, PGW_KIND_TABLE, n, cs->relation, sch(cs->relation->schemaname), cs->relation->relname, NULL, false);
	if (st->fix == PGW_AF_PROBE)
		add_columns_fallback(r, cs, st);
}

static void
fix_enum(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__CreateEnumStmt *es = n->create_enum_stmt;
	const char *schema,
			   *name;
	const struct pgw_type *t;
	struct pgw_buf sql,
				added;
	size_t		nadded = 0;

	node_qualified(es->type_name, es->n_type_name, &schema, &name);
	st->object = pgw_asprintf("%s.%s", sch(schema), name);
	t = find_type(m, schema, name);
	if (!t)
	{
		if (find_rel(m, schema, name))
			decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("%s exists and is not an enum", st->object));
		return;
	}
	if (t->obj.kind != PGW_KIND_ENUM)
	{
		decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("type %s exists and is not an enum", st->object));
		return;
	}
	buf_init(&sql);
	buf_init(&added);
	for (size_t i = 0; i < es->n_vals; i++)
	{
		const char *label = node_str(es->vals[i]);
		bool		have = false;

		for (size_t j = 0; j < t->labels.n && !have; j++)
			have = !strcmp(t->labels.items[j], label);
		if (have)
			continue;
		buf_append(&sql, "ALTER TYPE ");
		sql_qname(&sql, sch(schema), name);
		buf_append(&sql, " ADD VALUE IF NOT EXISTS ");
		sql_literal(&sql, label);
		if (i > 0)
		{
			buf_append(&sql, " AFTER ");
			sql_literal(&sql, node_str(es->vals[i - 1]));
		}
		else if (es->n_vals > 1)
		{
			buf_append(&sql, " BEFORE ");
			sql_literal(&sql, node_str(es->vals[1]));
		}
		buf_append(&sql, ";\n");
		buf_printf(&added, "%s'%s'", nadded++ ? ", " : "", label);
	}
	if (nadded == 0)
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("enum %s exists with every label", st->object));
	else
	{
		decide(st, PGW_AF_REWRITE, "add enum values",
			   pgw_asprintf("enum %s exists without %s: added with ALTER TYPE ... ADD VALUE", st->object, added.data));
		st->fix_sql = buf_steal(&sql);
	}
	buf_release(&sql);
	buf_release(&added);
}

static void
fix_alter_table(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__AlterTableStmt *as = n->alter_table_stmt;
	const struct pgw_relation *r;
	size_t		kept = 0,
				removed = 0;
	struct pgw_buf why;
	PgQuery__Node **orig;
	size_t		norig;

	if (as->objtype != OT(TABLE) || !as->relation)
		return;
	st->object = pgw_asprintf("%s.%s", sch(as->relation->schemaname), as->relation->relname);
	r = find_rel(m, as->relation->schemaname, as->relation->relname);
	if (!r)
		return;
	buf_init(&why);
	orig = as->cmds;
	norig = as->n_cmds;
	for (size_t i = 0; i < norig; i++)
	{
		PgQuery__AlterTableCmd *c = orig[i]->alter_table_cmd;
		bool		drop = false;

		if (orig[i]->node_case != NK(ALTER_TABLE_CMD))
			continue;
		if ((c->subtype == AT(EnableRowSecurity) && r->rls_enabled) ||
			(c->subtype == AT(ForceRowSecurity) && r->rls_forced))
		{
			drop = true;
			buf_printf(&why, "%srow level security is already %s", why.len ? "; " : "",
					   c->subtype == AT(ForceRowSecurity) ? "forced" : "enabled");
		}
		else if (c->subtype == AT(AddColumn) && c->def && c->def->node_case == NK(COLUMN_DEF))
		{
			const PgQuery__ColumnDef *cd = c->def->column_def;
			const struct pgw_column *col = model_find_column(r, cd->colname);

			if (col)
			{
				char	   *want = type_spelling(cd->type_name);

				if (strcmp(want, col->type) != 0)
				{
					decide(st, PGW_AF_REFUSE, "refuse",
						   pgw_asprintf("column %s.%s exists as %s, the file adds it as %s: changing its type could lose data",
										st->object, cd->colname, col->type, want));
					free(want);
					buf_release(&why);
					return;
				}
				free(want);
				drop = true;
				buf_printf(&why, "%scolumn %s exists with the same type", why.len ? "; " : "", cd->colname);
			}
		}
		else if (c->subtype == AT(AddConstraint) && c->def && c->def->node_case == NK(CONSTRAINT) &&
				 c->def->constraint->conname && *c->def->constraint->conname)
		{
			const PgQuery__Constraint *k = c->def->constraint;
			const struct pgw_constraint *have = find_sub(&r->constraints, k->conname);
			char		want = 0;

			switch (k->contype)
			{
				case CT(PRIMARY): want = 'p'; break;
				case CT(UNIQUE): want = 'u'; break;
				case CT(CHECK): want = 'c'; break;
				case CT(FOREIGN): want = 'f'; break;
				case CT(EXCLUSION): want = 'x'; break;
				default: break;
			}
			if (have)
			{
				if (have->type != want)
				{
					decide(st, PGW_AF_REFUSE, "refuse",
						   pgw_asprintf("constraint %s on %s exists as another kind of constraint (%s)",
										k->conname, st->object, have->definition));
					buf_release(&why);
					return;
				}
				if (want == 'f' && k->pktable && have->ref_table &&
					strcmp(have->ref_table, k->pktable->relname) != 0)
				{
					decide(st, PGW_AF_REFUSE, "refuse",
						   pgw_asprintf("foreign key %s on %s exists and references %s, not %s",
										k->conname, st->object, have->ref_table, k->pktable->relname));
					buf_release(&why);
					return;
				}
				drop = true;
				buf_printf(&why, "%sconstraint %s exists (%s)", why.len ? "; " : "", k->conname, have->definition);
			}
		}
		if (drop)
			removed++;
		else
			orig[kept++] = orig[i];
	}
	if (removed == 0)
	{
		buf_release(&why);
		return;
	}
	if (kept == 0)
	{
		decide(st, PGW_AF_SKIP, "skip", buf_steal(&why));
		as->n_cmds = norig;
	}
	else
	{
		as->n_cmds = kept;
		rewrite(st, n, "drop existing parts", buf_steal(&why));
	}
	buf_release(&why);
}

/* Whether every key of the index is a column or an expression written
 * without collation, operator class or ordering, and the index has no
 * options: then its keys and predicate compare as text. */
static bool
index_simple(const PgQuery__IndexStmt *x)
{
	if (x->n_options || (x->table_space && *x->table_space) || x->nulls_not_distinct)
		return false;
	for (size_t i = 0; i < x->n_index_params; i++)
	{
		const PgQuery__IndexElem *e = x->index_params[i]->index_elem;

		if (x->index_params[i]->node_case != NK(INDEX_ELEM) || (!(e->name && *e->name) && !e->expr) ||
			e->n_collation || e->n_opclass || e->n_opclassopts ||
			e->ordering != PG_QUERY__SORT_BY_DIR__SORTBY_DEFAULT ||
			e->nulls_ordering != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_DEFAULT)
			return false;
	}
	for (size_t i = 0; i < x->n_index_including_params; i++)
		if (x->index_including_params[i]->node_case != NK(INDEX_ELEM) ||
			!x->index_including_params[i]->index_elem->name)
			return false;
	return true;
}

static void
fix_index(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__IndexStmt *x = n->index_stmt;
	const struct pgw_relation *on = NULL;
	const struct pgw_index *have;
	bool		differs = false,
				unsure = false;

	if (!x->idxname || !*x->idxname)
		return;
	st->object = pgw_asprintf("%s.%s", sch(x->relation->schemaname), x->idxname);
	have = find_index(m, x->relation->schemaname, x->idxname, &on);
	if (!have)
	{
		if (find_rel(m, x->relation->schemaname, x->idxname))
			decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("%s exists and is not an index", st->object));
		return;
	}
	if (strcmp(on->obj.name, x->relation->relname) != 0 || have->unique != x->unique ||
		strcmp(x->access_method && *x->access_method ? x->access_method : "btree", have->method) != 0 ||
		x->n_index_params != have->keys.n || x->n_index_including_params != have->include.n ||
		(x->where_clause != NULL) != (have->predicate != NULL))
		differs = true;
	else if (!index_simple(x))
		unsure = true;
	else
	{
		for (size_t i = 0; i < x->n_index_params && !differs && !unsure; i++)
		{
			const PgQuery__IndexElem *e = x->index_params[i]->index_elem;
			const char *k = have->keys.items[i];

			if (e->expr)
				unsure = !expr_same_text(e->expr, k);
			else
				differs = strcmp(e->name, k) != 0;
		}
		for (size_t i = 0; i < x->n_index_including_params && !differs; i++)
			differs = strcmp(x->index_including_params[i]->index_elem->name, have->include.items[i]) != 0;
		if (!differs && !unsure && x->where_clause)
			unsure = !expr_same_text(x->where_clause, have->predicate);
	}
	if (differs)
		decide(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("index %s exists with another definition: %s", st->object, have->definition));
	else if (!unsure)
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("index %s exists with the same definition", st->object));
	else
	{
		/* only the server spells these the way the catalog does */
		bool		conc = x->concurrent;

		x->concurrent = false;	/* the probe runs in a transaction, on an empty copy */
		probe(st, PGW_KIND_INDEX, n, x->relation, sch(x->relation->schemaname), x->relation->relname,
			  x->idxname, true);
		x->concurrent = conc;
	}
}

/* The function's body as written (AS '...'), or NULL. */
static const char *
function_body(const PgQuery__CreateFunctionStmt *f)
{
	for (size_t i = 0; i < f->n_options; i++)
	{
		const PgQuery__DefElem *d = f->options[i]->def_elem;

		if (f->options[i]->node_case == NK(DEF_ELEM) && !strcmp(d->defname, "as") && d->arg &&
			d->arg->node_case == NK(LIST) && d->arg->list->n_items > 0)
			return node_str(d->arg->list->items[0]);
	}
	return NULL;
}

static const char *
function_language(const PgQuery__CreateFunctionStmt *f)
{
	return node_option_string(f->options, f->n_options, "language");
}

static void
fix_function(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__CreateFunctionStmt *f = n->create_function_stmt;
	const char *schema,
			   *name;
	struct pgw_buf args;
	const struct pgw_function *have = NULL;
	size_t		nin = 0;
	const char *body,
			   *lang;

	node_qualified(f->funcname, f->n_funcname, &schema, &name);
	buf_init(&args);
	for (size_t i = 0; i < f->n_parameters; i++)
	{
		const PgQuery__FunctionParameter *p = f->parameters[i]->function_parameter;
		char	   *t;

		if (p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_OUT ||
			p->mode == PG_QUERY__FUNCTION_PARAMETER_MODE__FUNC_PARAM_TABLE)
			continue;
		t = type_spelling(p->arg_type);
		buf_printf(&args, "%s%s", nin++ ? ", " : "", t);
		free(t);
	}
	st->object = pgw_asprintf("%s.%s(%s)", sch(schema), name, args.data ? args.data : "");
	for (size_t i = 0; i < m->functions.n && !have; i++)
	{
		const struct pgw_function *fn = m->functions.items[i];
		struct pgw_buf types;
		const char *a = fn->identity_args ? fn->identity_args : "";

		if (strcmp(fn->obj.schema, sch(schema)) != 0 || strcmp(fn->obj.name, name) != 0)
			continue;
		/* identity args carry parameter names: "p_id uuid, n integer";
		 * compare the types only */
		buf_init(&types);
		while (*a)
		{
			const char *end = strstr(a, ", ");
			size_t		len = end ? (size_t) (end - a) : strlen(a);
			char	   *one = pgw_strndup(a, len);
			const char *sp = strchr(one, ' ');
			const char *ty = one;

			/* "name type" unless the first word is a type (unnamed) */
			if (sp && strncmp(one, "character", 9) && strncmp(one, "double", 6) &&
				strncmp(one, "timestamp", 9) && strncmp(one, "time ", 5) && strncmp(one, "bit ", 4))
				ty = sp + 1;
			buf_printf(&types, "%s%s", types.len ? ", " : "", ty);
			free(one);
			a += len + (end ? 2 : 0);
		}
		if (!strcmp(types.data ? types.data : "", args.data ? args.data : ""))
			have = fn;
		buf_release(&types);
	}
	buf_release(&args);
	if (!have)
		return;
	body = function_body(f);
	lang = function_language(f);
	if (body && have->definition && strstr(have->definition, body) && lang && have->language &&
		!strcmp(lang, have->language))
	{
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("function %s exists with the same body", st->object));
		return;
	}
	if (f->replace)
		return;
	f->replace = true;
	rewrite(st, n, "create or replace",
			pgw_asprintf("function %s exists with another body: replaced (CREATE OR REPLACE keeps its grants and dependants)",
						 st->object));
}

static void
fix_trigger(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__CreateTrigStmt *t = n->create_trig_stmt;
	const struct pgw_relation *r = find_rel(m, t->relation->schemaname, t->relation->relname);
	const struct pgw_trigger *have;
	const char *fschema,
			   *fname;
	const char *timing;
	int			events = 0;

	st->object = pgw_asprintf("%s.%s.%s", sch(t->relation->schemaname), t->relation->relname, t->trigname);
	if (!r || !(have = find_sub(&r->triggers, t->trigname)))
		return;
	node_qualified(t->funcname, t->n_funcname, &fschema, &fname);
	/* pg_trigger.tgtype bits: 2 BEFORE, 64 INSTEAD; events 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE */
	timing = (t->timing & 2) ? "BEFORE" : (t->timing & 64) ? "INSTEAD OF" : "AFTER";
	for (size_t i = 0; i < have->events.n; i++)
	{
		const char *e = have->events.items[i];

		events |= !strcmp(e, "INSERT") ? 4 : !strcmp(e, "DELETE") ? 8 : !strcmp(e, "UPDATE") ? 16 : 32;
	}
	if (!strcmp(have->function_name, fname) && !strcmp(have->function_schema, sch(fschema)) &&
		!strcmp(have->timing, timing) && events == t->events && have->row_level == t->row)
	{
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("trigger %s exists with the same definition", st->object));
		return;
	}
	if (t->isconstraint)
	{
		decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("constraint trigger %s exists with another definition", st->object));
		return;
	}
	t->replace = true;
	rewrite(st, n, "create or replace",
			pgw_asprintf("trigger %s exists with another definition (%s): replaced", st->object, have->definition));
}

static void
policy_rewrite(struct pgw_deploy_stmt *st, PgQuery__Node *n, const char *why)
{
	PgQuery__CreatePolicyStmt *p = n->create_policy_stmt;
	struct pgw_buf sql;
	char	   *create = deparse(n);

	if (!create)
	{
		decide(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("policy %s exists %s, and the file's statement cannot be deparsed", st->object, why));
		return;
	}
	buf_init(&sql);
	buf_append(&sql, "DROP POLICY ");
	sql_ident(&sql, p->policy_name);
	buf_append(&sql, " ON ");
	sql_qname(&sql, sch(p->table->schemaname), p->table->relname);
	buf_append(&sql, ";\n");
	buf_append(&sql, create);
	free(create);
	decide(st, PGW_AF_REWRITE, "drop and create",
		   pgw_asprintf("policy %s exists %s: dropped and created again in the same transaction", st->object, why));
	free(st->fix_sql);
	st->fix_sql = buf_steal(&sql);
}

/* The policy's roles as the catalog lists them (sorted names, "public"),
 * or NULL when one is CURRENT_USER & co. (the server must tell). */
static char *
policy_roles(const PgQuery__CreatePolicyStmt *p)
{
	struct pgw_strlist names = {0};
	struct pgw_buf b;

	for (size_t i = 0; i < p->n_roles; i++)
	{
		const PgQuery__RoleSpec *r = p->roles[i]->role_spec;

		if (p->roles[i]->node_case != NK(ROLE_SPEC))
			goto unknown;
		if (r->roletype == PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_PUBLIC)
			strlist_add(&names, "public");
		else if (r->roletype == PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_CSTRING)
			strlist_add(&names, r->rolename);
		else
			goto unknown;
	}
	if (names.n == 0)
		strlist_add(&names, "public");
	qsort(names.items, names.n, sizeof(char *), cmp_str);
	buf_init(&b);
	for (size_t i = 0; i < names.n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", names.items[i]);
	strlist_release(&names);
	return buf_steal(&b);
unknown:
	strlist_release(&names);
	return NULL;
}

static void
fix_policy(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__CreatePolicyStmt *p = n->create_policy_stmt;
	const struct pgw_relation *r = find_rel(m, p->table->schemaname, p->table->relname);
	const struct pgw_policy *have;
	char		cmd;
	char	   *roles;
	struct pgw_buf live_roles;
	bool		roles_known,
				roles_same;

	st->object = pgw_asprintf("%s.%s.%s", sch(p->table->schemaname), p->table->relname, p->policy_name);
	if (!r || !(have = find_sub(&r->policies, p->policy_name)))
		return;
	cmd = !strcmp(p->cmd_name, "select") ? 'r' : !strcmp(p->cmd_name, "insert") ? 'a' :
		!strcmp(p->cmd_name, "update") ? 'w' : !strcmp(p->cmd_name, "delete") ? 'd' : '*';
	if (have->command != cmd || have->permissive != p->permissive ||
		(have->using_expr != NULL) != (p->qual != NULL) || (have->check_expr != NULL) != (p->with_check != NULL))
	{
		policy_rewrite(st, n, "for another command, mode or set of expressions");
		return;
	}
	roles = policy_roles(p);
	buf_init(&live_roles);
	{
		struct pgw_strlist sorted = {0};

		for (size_t i = 0; i < have->roles.n; i++)
			strlist_add(&sorted, have->roles.items[i]);
		qsort(sorted.items, sorted.n, sizeof(char *), cmp_str);
		for (size_t i = 0; i < sorted.n; i++)
			buf_printf(&live_roles, "%s%s", i ? "," : "", sorted.items[i]);
		strlist_release(&sorted);
	}
	roles_known = roles != NULL;
	roles_same = roles && !strcmp(roles, live_roles.data ? live_roles.data : "");
	free(roles);
	buf_release(&live_roles);
	if (roles_known && !roles_same)
	{
		policy_rewrite(st, n, "for other roles");
		return;
	}
	if (roles_known && expr_same_text(p->qual, have->using_expr) && expr_same_text(p->with_check, have->check_expr))
	{
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("policy %s exists with the same definition", st->object));
		return;
	}
	/* the expressions as the server prints them decide */
	probe(st, PGW_KIND_POLICY, n, p->table, sch(p->table->schemaname), p->table->relname, p->policy_name, true);
	if (st->fix == PGW_AF_PROBE)
	{
		/* what runs when they differ */
		PgQuery__Node *keep = n;

		policy_rewrite(st, keep, "with another definition");
		if (st->fix == PGW_AF_REWRITE)
			st->fix = PGW_AF_PROBE;
	}
}

void
deploy_autofix(const struct pgw_model *live, const struct pgw_strlist *adds,
			   struct pgw_deploy_file *f, size_t i, struct pgw_deploy_stmt *st)
{
	PgQuery__Node *n = f->s.stmts[i].node;
	const char *schema,
			   *name;

	st->fix = PGW_AF_RUN;
	if (!n)
		return;
	switch (n->node_case)
	{
		case NK(CREATE_STMT):
			fix_create_table(live, adds, st, n);
			break;
		case NK(CREATE_ENUM_STMT):
			fix_enum(live, st, n);
			break;
		case NK(ALTER_TABLE_STMT):
			fix_alter_table(live, st, n);
			break;
		case NK(INDEX_STMT):
			fix_index(live, st, n);
			break;
		case NK(CREATE_FUNCTION_STMT):
			fix_function(live, st, n);
			break;
		case NK(CREATE_TRIG_STMT):
			fix_trigger(live, st, n);
			break;
		case NK(CREATE_POLICY_STMT):
			fix_policy(live, st, n);
			break;
		case NK(VIEW_STMT):
			st->object = pgw_asprintf("%s.%s", sch(n->view_stmt->view->schemaname), n->view_stmt->view->relname);
			if (!n->view_stmt->replace && find_rel(live, n->view_stmt->view->schemaname, n->view_stmt->view->relname))
			{
				PgQuery__RangeVar *orig = n->view_stmt->view;
				PgQuery__RangeVar tmp = *orig;
				struct pgw_buf q;

				/* the same query as a temporary view: its pg_get_viewdef()
				 * is compared with the live one's when the statement runs */
				tmp.schemaname = (char *) "pg_temp";
				tmp.relname = pgw_asprintf("pgw_deploy_cmp_%d", st->probe_id);
				n->view_stmt->view = &tmp;
				st->compare_sql = deparse(n);
				free(tmp.relname);
				n->view_stmt->view = orig;
				buf_init(&q);
				sql_qname(&q, sch(orig->schemaname), orig->relname);
				st->compare_with = buf_steal(&q);
				buf_release(&q);
				n->view_stmt->replace = true;
				rewrite(st, n, "create or replace",
						pgw_asprintf("view %s exists with another definition: CREATE OR REPLACE VIEW", st->object));
			}
			break;
		case NK(CREATE_SCHEMA_STMT):
			st->object = pgw_strdup(n->create_schema_stmt->schemaname);
			if (has_named(&live->schemas, NULL, n->create_schema_stmt->schemaname))
				decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("schema %s exists", st->object));
			break;
		case NK(CREATE_EXTENSION_STMT):
			st->object = pgw_strdup(n->create_extension_stmt->extname);
			if (has_named(&live->extensions, NULL, n->create_extension_stmt->extname))
				decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("extension %s exists", st->object));
			break;
		case NK(CREATE_SEQ_STMT):
			st->object = pgw_asprintf("%s.%s", sch(n->create_seq_stmt->sequence->schemaname),
									  n->create_seq_stmt->sequence->relname);
			if (has_named(&live->sequences, n->create_seq_stmt->sequence->schemaname ? n->create_seq_stmt->sequence->schemaname : DEFAULT_SCHEMA,
						  n->create_seq_stmt->sequence->relname))
				decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("sequence %s exists (options not compared)", st->object));
			break;
		case NK(CREATE_DOMAIN_STMT):
			node_qualified(n->create_domain_stmt->domainname, n->create_domain_stmt->n_domainname, &schema, &name);
			st->object = pgw_asprintf("%s.%s", sch(schema), name);
			if (find_type(live, schema, name))
				decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("type %s exists", st->object));
			break;
		case NK(COMPOSITE_TYPE_STMT):
			st->object = pgw_asprintf("%s.%s", sch(n->composite_type_stmt->typevar->schemaname),
									  n->composite_type_stmt->typevar->relname);
			if (find_type(live, n->composite_type_stmt->typevar->schemaname, n->composite_type_stmt->typevar->relname))
				decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("type %s exists", st->object));
			break;
		default:
			break;
	}
}

/* The name PostgreSQL gives an unnamed constraint (ChooseConstraintName's
 * usual result: table_col1_col2_suffix; not truncated past 63 bytes). */
static char *
default_conname(const char *table, PgQuery__Node *const *cols, size_t ncols, const char *col, const char *suffix)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_append(&b, table);
	if (col)
		buf_printf(&b, "_%s", col);
	for (size_t i = 0; i < ncols; i++)
		buf_printf(&b, "_%s", node_str(cols[i]) ? node_str(cols[i]) : "");
	buf_printf(&b, "_%s", suffix);
	return buf_steal(&b);
}

static void
add_constraint_key(struct pgw_strlist *adds, const char *schema, const char *table, const PgQuery__Constraint *k,
				   const char *col)
{
	char	   *name = NULL;
	char	   *key;

	if (k->conname && *k->conname)
		name = pgw_strdup(k->conname);
	else if (k->contype == CT(PRIMARY))
		name = pgw_asprintf("%s_pkey", table);
	else if (k->contype == CT(UNIQUE))
		name = default_conname(table, k->keys, k->n_keys, col, "key");
	else if (k->contype == CT(FOREIGN))
		name = default_conname(table, k->fk_attrs, k->n_fk_attrs, col, "fkey");
	else if (k->contype == CT(CHECK) && col)
		name = default_conname(table, NULL, 0, col, "check");
	if (!name)
		return;
	key = pgw_asprintf("k:%s.%s.%s", schema, table, name);
	strlist_add(adds, key);
	free(key);
	free(name);
}

void
deploy_collect_adds(const struct pgw_deploy_plan *p, struct pgw_strlist *adds)
{
	for (size_t i = 0; i < p->nphases; i++)
		for (size_t j = 0; j < p->phases[i].nfiles; j++)
		{
			const struct pgw_deploy_file *f = &p->phases[i].files[j];

			for (size_t s = 0; s < f->s.nstmts; s++)
			{
				const PgQuery__Node *n = f->s.stmts[s].node;
				const PgQuery__AlterTableStmt *as;
				const char *schema;

				if (!n || n->node_case != NK(ALTER_TABLE_STMT))
					continue;
				as = n->alter_table_stmt;
				if (as->objtype != OT(TABLE) || !as->relation)
					continue;
				schema = sch(as->relation->schemaname);
				for (size_t c = 0; c < as->n_cmds; c++)
				{
					const PgQuery__AlterTableCmd *cmd = as->cmds[c]->alter_table_cmd;

					if (as->cmds[c]->node_case != NK(ALTER_TABLE_CMD) || !cmd->def)
						continue;
					if (cmd->subtype == AT(AddColumn) && cmd->def->node_case == NK(COLUMN_DEF))
					{
						const PgQuery__ColumnDef *cd = cmd->def->column_def;
						char	   *key = pgw_asprintf("c:%s.%s.%s", schema, as->relation->relname, cd->colname);

						strlist_add(adds, key);
						free(key);
						for (size_t k = 0; k < cd->n_constraints; k++)
							if (cd->constraints[k]->node_case == NK(CONSTRAINT))
								add_constraint_key(adds, schema, as->relation->relname, cd->constraints[k]->constraint,
												   cd->colname);
					}
					else if (cmd->subtype == AT(AddConstraint) && cmd->def->node_case == NK(CONSTRAINT))
						add_constraint_key(adds, schema, as->relation->relname, cmd->def->constraint, NULL);
				}
			}
		}
}
