/*
 * autofix.c — the auto-fix engine: one statement's parse tree compared with
 * the live model, read once before the run (so a re-deploy of an unchanged
 * schema costs no query per statement).
 *
 * The rule per statement kind (docs/deploy.md has the table):
 *   CREATE TABLE         exists: every column of the file present with the
 *                        same type -> skip; columns missing -> the tree's
 *                        ColumnDefs moved into an ALTER TABLE ... ADD COLUMN
 *                        and deparsed; a column of another type -> refuse
 *                        (changing it could lose data);
 *   CREATE TYPE AS ENUM  exists: missing labels -> ALTER TYPE ... ADD VALUE
 *                        in the file's order; not an enum -> refuse;
 *   ALTER TABLE          ADD COLUMN of an existing column: same type -> the
 *                        command leaves the tree, other type -> refuse; ADD
 *                        CONSTRAINT of an existing name: same kind -> leaves
 *                        the tree, else refuse; nothing left -> skip;
 *   CREATE INDEX         exists: same table, keys and uniqueness -> skip,
 *                        else refuse;
 *   CREATE FUNCTION      the name exists with the same arguments: the same
 *                        body and language -> skip, else CREATE OR REPLACE;
 *   CREATE TRIGGER       exists: same function, timing and events -> skip,
 *                        else CREATE OR REPLACE TRIGGER;
 *   CREATE POLICY        exists: same command and permissiveness -> skip,
 *                        else DROP POLICY + CREATE POLICY (one transaction);
 *   CREATE VIEW          exists -> CREATE OR REPLACE VIEW;
 *   CREATE SCHEMA, SEQUENCE, EXTENSION, DOMAIN, TYPE AS (...)  exists -> skip.
 * Everything else runs as written.  Unqualified names resolve to public
 * (the search_path the files are written for).
 */
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "deploy/deploy.h"
#include "sql/node.h"
#include "sql/quote.h"
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

static bool
col_not_null(const PgQuery__ColumnDef *c)
{
	for (size_t i = 0; i < c->n_constraints; i++)
	{
		const PgQuery__Constraint *k = c->constraints[i]->constraint;

		if (c->constraints[i]->node_case == NK(CONSTRAINT) &&
			(k->contype == CT(NOTNULL) || k->contype == CT(PRIMARY)))
			return true;
	}
	return false;
}

static void
fix_create_table(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__CreateStmt *cs = n->create_stmt;
	const struct pgw_relation *r = find_rel(m, cs->relation->schemaname, cs->relation->relname);
	PgQuery__Node **missing;
	size_t		nmissing = 0;
	struct pgw_buf names;

	st->object = pgw_asprintf("%s.%s", sch(cs->relation->schemaname), cs->relation->relname);
	if (!r)
		return;
	if (r->obj.kind != PGW_KIND_TABLE || (r->relkind != 'r' && r->relkind != 'p'))
	{
		decide(st, PGW_AF_REFUSE, "refuse", pgw_asprintf("%s exists and is not a table", st->object));
		return;
	}
	missing = pgw_calloc(cs->n_table_elts + 1, sizeof(*missing));
	buf_init(&names);
	for (size_t i = 0; i < cs->n_table_elts; i++)
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
			buf_printf(&names, "%s%s", names.len ? ", " : "", e->column_def->colname);
			continue;
		}
		want = type_spelling(e->column_def->type_name);
		if (strcmp(want, c->type) != 0)
		{
			decide(st, PGW_AF_REFUSE, "refuse",
				   pgw_asprintf("column %s.%s is %s in the database but %s in the file: changing its type could lose data",
								st->object, c->obj.name, c->type, want));
			free(want);
			free(missing);
			buf_release(&names);
			return;
		}
		if (col_not_null(e->column_def) && !c->not_null)
		{
			decide(st, PGW_AF_REFUSE, "refuse",
				   pgw_asprintf("column %s.%s allows NULL in the database but is NOT NULL in the file",
								st->object, c->obj.name));
			free(want);
			free(missing);
			buf_release(&names);
			return;
		}
		free(want);
	}
	if (nmissing == 0)
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("table %s exists with the same columns and types", st->object));
	else
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
		rewrite(st, &atn, "add columns",
				pgw_asprintf("table %s exists without column%s %s: added with ALTER TABLE (nothing else changes)",
							 st->object, nmissing > 1 ? "s" : "", names.data));
		free(cmds);
		free(cmdn);
		free(cmdp);
	}
	free(missing);
	buf_release(&names);
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

static void
index_keys(const PgQuery__IndexStmt *x, struct pgw_buf *b)
{
	for (size_t i = 0; i < x->n_index_params; i++)
	{
		const PgQuery__IndexElem *e = x->index_params[i]->index_elem;

		if (i)
			buf_append(b, ",");
		buf_append(b, e->name && *e->name ? e->name : "(expr)");
	}
}

static void
fix_index(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__IndexStmt *x = n->index_stmt;
	const struct pgw_relation *on = NULL;
	const struct pgw_index *have;
	struct pgw_buf want,
				got;
	bool		same;

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
	buf_init(&want);
	buf_init(&got);
	index_keys(x, &want);
	for (size_t i = 0; i < have->keys.n; i++)
	{
		const char *k = have->keys.items[i];

		buf_printf(&got, "%s%s", i ? "," : "", strchr(k, '(') || strchr(k, ' ') ? "(expr)" : k);
	}
	same = !strcmp(on->obj.name, x->relation->relname) && have->unique == x->unique &&
		!strcmp(want.data ? want.data : "", got.data ? got.data : "") &&
		!strcmp(x->access_method && *x->access_method ? x->access_method : "btree", have->method) &&
		(x->where_clause != NULL) == (have->predicate != NULL);
	if (same)
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("index %s exists with the same definition", st->object));
	else
		decide(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("index %s exists with another definition: %s", st->object, have->definition));
	buf_release(&want);
	buf_release(&got);
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
fix_policy(const struct pgw_model *m, struct pgw_deploy_stmt *st, PgQuery__Node *n)
{
	PgQuery__CreatePolicyStmt *p = n->create_policy_stmt;
	const struct pgw_relation *r = find_rel(m, p->table->schemaname, p->table->relname);
	const struct pgw_policy *have;
	char		cmd;
	struct pgw_buf sql;
	char	   *create;

	st->object = pgw_asprintf("%s.%s.%s", sch(p->table->schemaname), p->table->relname, p->policy_name);
	if (!r || !(have = find_sub(&r->policies, p->policy_name)))
		return;
	cmd = !strcmp(p->cmd_name, "select") ? 'r' : !strcmp(p->cmd_name, "insert") ? 'a' :
		!strcmp(p->cmd_name, "update") ? 'w' : !strcmp(p->cmd_name, "delete") ? 'd' : '*';
	if (have->command == cmd && have->permissive == p->permissive &&
		(have->using_expr != NULL) == (p->qual != NULL) && (have->check_expr != NULL) == (p->with_check != NULL))
	{
		decide(st, PGW_AF_SKIP, "skip", pgw_asprintf("policy %s exists for the same command", st->object));
		return;
	}
	create = deparse(n);
	if (!create)
		return;
	buf_init(&sql);
	buf_append(&sql, "DROP POLICY ");
	sql_ident(&sql, p->policy_name);
	buf_append(&sql, " ON ");
	sql_qname(&sql, sch(p->table->schemaname), p->table->relname);
	buf_append(&sql, ";\n");
	buf_append(&sql, create);
	free(create);
	decide(st, PGW_AF_REWRITE, "drop and create",
		   pgw_asprintf("policy %s exists for another command or mode: dropped and created again in the same transaction",
						st->object));
	st->fix_sql = buf_steal(&sql);
}

void
deploy_autofix(const struct pgw_model *live, struct pgw_deploy_file *f, size_t i,
			   struct pgw_deploy_stmt *st)
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
			fix_create_table(live, st, n);
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
				tmp.relname = (char *) "pgw_deploy_cmp";
				n->view_stmt->view = &tmp;
				st->compare_sql = deparse(n);
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
