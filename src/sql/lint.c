/*
 * lint.c — runs the lint rules (lint_rules.c) over a loaded script.
 *
 * One pass over the statements in file order, keeping what earlier
 * statements established: tables and indexes created in this file (exempt
 * from the online-safety rules: nobody else can be using them yet),
 * constraints added and validated, timeouts set, enum values added, and the
 * transaction state.  A statement's transaction is identified by a number:
 * statements share it exactly when they run in the same transaction.
 *
 * Every finding points at the first token of its statement.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/lint.h"
#include "sql/node.h"


/*
 * A hash index over an append-only array: name -> chain of item numbers.
 * The bucket count is fixed from the file's statement count, so lookups stay
 * short without rehashing; chains only grow on pathological files.
 */
#define NO_ITEM SIZE_MAX

struct nameidx
{
	size_t	   *heads;
	size_t		nbuckets;		/* a power of two */
	size_t	   *next;
	size_t		cap;
};

static size_t
name_hash(const char *s)
{
	size_t		h = 1469598103934665603ULL;

	for (; s && *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

static void
nameidx_init(struct nameidx *x, size_t expected)
{
	size_t		i;

	x->nbuckets = 64;
	while (x->nbuckets < expected * 2)
		x->nbuckets *= 2;
	x->heads = pgw_malloc(x->nbuckets * sizeof(size_t));
	for (i = 0; i < x->nbuckets; i++)
		x->heads[i] = NO_ITEM;
	x->next = NULL;
	x->cap = 0;
}

static void
nameidx_release(struct nameidx *x)
{
	free(x->heads);
	free(x->next);
}

/* Item numbers must be added in order 0, 1, 2, ... */
static void
nameidx_add(struct nameidx *x, const char *name, size_t item)
{
	size_t		b = name_hash(name) & (x->nbuckets - 1);

	if (item >= x->cap)
	{
		x->cap = x->cap ? x->cap * 2 : 64;
		while (x->cap <= item)
			x->cap *= 2;
		x->next = pgw_realloc(x->next, x->cap * sizeof(size_t));
	}
	x->next[item] = x->heads[b];
	x->heads[b] = item;
}

static size_t
nameidx_first(const struct nameidx *x, const char *name)
{
	return x->heads[name_hash(name) & (x->nbuckets - 1)];
}

static size_t
nameidx_next(const struct nameidx *x, size_t item)
{
	return x->next[item];
}

struct relname
{
	const char *schema;
	const char *name;
};

struct constraint_info
{
	struct relname table;
	const char *name;
	const char *notnull_col;	/* CHECK (col IS NOT NULL): the column */
	bool		validated;
	bool		known;			/* defined in this file */
	int			not_valid_tx;	/* transaction of ADD ... NOT VALID, or -1 */
	size_t		drop_credit;	/* DROP CONSTRAINT IF EXISTS seen before an add */
};

/* A column of a table this file creates: what a foreign key to it meets */
struct keycol
{
	struct relname table;
	const char *column;
	bool		int32;			/* int, integer, int4, serial */
	bool		int64;			/* bigint, int8, bigserial */
	bool		pk;
};

struct enum_value
{
	const char *value;
	int			tx;
};

/* A table, column or schema the forward migration creates. */
struct fwd_obj
{
	char		kind;			/* 't' table, 'c' column, 's' schema */
	const char *schema;
	const char *name;			/* the table, or the schema */
	const char *column;
};

struct lctx
{
	struct pgw_sql_script *s;
	const struct pgw_lint_options *o;
	struct pgw_findings *out;
	int			pgv;
	/* per finding added: the statement it belongs to */
	size_t	   *fstmt;
	size_t		nf;
	size_t		capf;
	size_t		first;

	size_t		idx;			/* current statement */
	bool		in_tx;
	int			tx;				/* current transaction number */
	int			next_tx;
	bool		wrapped;		/* the tool's own transaction is open */
	bool		tool_tx;		/* --transaction always: the tool's transaction
								 * has not been ended by the file */
	size_t		explicit_begin; /* statement index of an open BEGIN, or SIZE_MAX */

	struct relname *tables;
	size_t		ntables,
				captables;
	const char **indexes;
	size_t		nindexes,
				capindexes;
	struct constraint_info *cons;
	size_t		ncons,
				capcons;
	struct enum_value *enums;
	size_t		nenums,
				capenums;
	struct keycol *keycols;
	size_t		nkeycols,
				capkeycols;
	bool		lock_timeout_set;
	bool		statement_timeout_set;
	bool		lock_timeout_reported;
	bool		statement_timeout_reported;
	bool		rls_enabled_any;
	struct pgw_buf namebuf;		/* rvq() */
	struct nameidx tables_by_name;
	struct nameidx indexes_by_name;
	struct nameidx cons_by_name;
	struct nameidx cons_by_table;
	struct relname *rls;		/* tables with ENABLE ROW LEVEL SECURITY */
	size_t		nrls;
	struct nameidx rls_by_name;
	int			at;				/* a node location for the next emit, or -1 */
	/* a rollback: what its forward migration creates (see fwd_collect) */
	struct fwd_obj *fwd;
	size_t		nfwd,
				capfwd;
	struct nameidx fwd_by_name;
	const PgQuery__RangeVar *on;	/* the table the next emit's object is on */
};

#define GROW(arr, n, cap) \
	do { \
		if ((n) == (cap)) { \
			(cap) = (cap) ? (cap) * 2 : 8; \
			(arr) = pgw_realloc((arr), (cap) * sizeof(*(arr))); \
		} \
	} while (0)

static bool
same_rel(const char *s1, const char *n1, const char *s2, const char *n2)
{
	if (!n1 || !n2 || strcmp(n1, n2) != 0)
		return false;
	return !s1 || !s2 || !*s1 || !*s2 || strcmp(s1, s2) == 0;
}

static bool
table_is_new_name(struct lctx *c, const char *schema, const char *name)
{
	size_t		i;

	if (!name)
		return false;
	for (i = nameidx_first(&c->tables_by_name, name); i != NO_ITEM;
		 i = nameidx_next(&c->tables_by_name, i))
		if (same_rel(c->tables[i].schema, c->tables[i].name, schema, name))
			return true;
	return false;
}

static bool
table_is_new(struct lctx *c, const PgQuery__RangeVar *rv)
{
	return rv && table_is_new_name(c, rv->schemaname, rv->relname);
}

static void
table_add(struct lctx *c, const char *schema, const char *name)
{
	if (!name)
		return;
	GROW(c->tables, c->ntables, c->captables);
	c->tables[c->ntables].schema = schema;
	c->tables[c->ntables].name = name;
	nameidx_add(&c->tables_by_name, name, c->ntables);
	c->ntables++;
}

static struct pgw_finding *
emit(struct lctx *c, const char *rule, const char *kind, const char *schema,
	 const char *name, const char *column, const char *fmt,...)
	__attribute__((format(printf, 7, 8)));

/* Whether rule id is on: opt-in rules only when the options name them. */
static bool
rule_on(const struct lctx *c, const char *rule)
{
	return !lint_rule_is_opt_in(rule) || (c->o->enable && strlist_contains(c->o->enable, rule));
}

/*
 * Rules that say nothing useful about a rollback, whose job is to put back
 * what was there before the migration: the old column types (types.*), a
 * table recreated as it was (rls.table_without_rls), a rename or a NOT NULL
 * undone.  Drops are decided where they are found (rollback_undoes).
 */
static bool
rule_in_rollback(const char *rule)
{
	static const char *const off[] = {
		"destructive.rename_table", "destructive.rename_column", "destructive.drop_not_null",
		"rls.table_without_rls", NULL
	};
	size_t		i;

	if (strncmp(rule, "types.", 6) == 0)
		return false;
	for (i = 0; off[i]; i++)
		if (strcmp(off[i], rule) == 0)
			return false;
	return true;
}

/* Adds a finding of rule at the current statement; NULL when the rule is
 * an opt-in one that is off (nothing is added). */
static struct pgw_finding *
emit(struct lctx *c, const char *rule, const char *kind, const char *schema,
	 const char *name, const char *column, const char *fmt,...)
{
	const struct pgw_lint_rule *r = lint_rule_find(rule);
	const struct pgw_sql_stmt *st = &c->s->stmts[c->idx];
	struct pgw_buf msg;
	va_list		ap;
	struct pgw_finding *f;

	if (!rule_on(c, rule) || (c->o->rollback && !rule_in_rollback(rule)))
	{
		c->at = -1;
		return NULL;
	}
	buf_init(&msg);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	f = findings_add(c->out, rule, r ? r->severity : PGW_SEV_ERROR,
					 r ? r->category : "lint", msg.data);
	buf_release(&msg);
	finding_set_object(c->out, f, kind, (schema && *schema) ? schema : NULL,
					   (name && *name) ? name : NULL, column);
	if (c->on && c->on->relname)
		finding_set_table(c->out, f, (c->on->schemaname && *c->on->schemaname) ? c->on->schemaname : NULL,
						  c->on->relname);
	c->on = NULL;
	if (r)
		finding_set_hint(c->out, f, r->hint);
	if (c->at >= 0 && st->loc_base + (size_t) c->at >= st->start &&
		st->loc_base + (size_t) c->at < st->end)
	{
		int			line,
					col;

		sqlfile_position(c->s->file, st->loc_base + (size_t) c->at, &line, &col);
		finding_set_location(c->out, f, c->s->file->name, line, col);
	}
	else
		finding_set_location(c->out, f, c->s->file->name, st->line, st->column);
	c->at = -1;
	GROW(c->fstmt, c->nf, c->capf);
	c->fstmt[c->nf++] = c->idx;
	return f;
}

static const char *
qname(struct pgw_buf *b, const char *schema, const char *name)
{
	buf_reset(b);
	if (schema && *schema)
		buf_printf(b, "%s.", schema);
	buf_append(b, name ? name : "?");
	return b->data;
}

/* "schema.name" of a relation as written (one at a time: the buffer is
 * reused). */
static const char *
rvq(struct lctx *c, const PgQuery__RangeVar *rv)
{
	return qname(&c->namebuf, rv ? rv->schemaname : NULL, rv ? rv->relname : NULL);
}

/* ---- types ---------------------------------------------------------- */

static bool
is_id_column(const char *col)
{
	size_t		n = strlen(col);

	return strcmp(col, "id") == 0 || (n > 3 && strcmp(col + n - 3, "_id") == 0);
}

static bool
type_is_int32(const PgQuery__TypeName *t)
{
	const char *ty = t ? node_type_last(t) : NULL;

	return ty && t->n_array_bounds == 0 &&
		(strcmp(ty, "int4") == 0 || strcmp(ty, "integer") == 0 || strcmp(ty, "int") == 0 ||
		 ((strcmp(ty, "serial") == 0 || strcmp(ty, "serial4") == 0) && !node_type_schema(t)));
}

/* The foreign key that column col is (the first) part of: an inline
 * REFERENCES, or a table constraint among elts; *pos: col's place in it. */
static const PgQuery__Constraint *
column_fk(const PgQuery__ColumnDef *cd, PgQuery__Node *const *elts, size_t n, size_t *pos)
{
	size_t		i,
				k;

	*pos = 0;
	for (i = 0; i < cd->n_constraints; i++)
		if (cd->constraints[i]->node_case == NK(CONSTRAINT) &&
			cd->constraints[i]->constraint->contype == CT(FOREIGN))
			return cd->constraints[i]->constraint;
	for (i = 0; i < n; i++)
	{
		const PgQuery__Constraint *con;

		if (elts[i]->node_case != NK(CONSTRAINT) ||
			(con = elts[i]->constraint)->contype != CT(FOREIGN))
			continue;
		for (k = 0; k < con->n_fk_attrs; k++)
			if (node_str(con->fk_attrs[k]) && strcmp(node_str(con->fk_attrs[k]), cd->colname) == 0)
			{
				*pos = k;
				return con;
			}
	}
	return NULL;
}

/* The column a foreign key's pos-th column references, when this file
 * created its table (no column list: the table's primary key). */
static const struct keycol *
fk_target(const struct lctx *c, const PgQuery__Constraint *fk, size_t pos)
{
	const PgQuery__RangeVar *t = fk ? fk->pktable : NULL;
	const char *col = NULL;
	size_t		i;

	if (!t || !t->relname)
		return NULL;
	if (fk->n_pk_attrs > 0)
	{
		if (pos >= fk->n_pk_attrs || !(col = node_str(fk->pk_attrs[pos])))
			return NULL;
	}
	else if (pos > 0)
		return NULL;
	for (i = 0; i < c->nkeycols; i++)
	{
		const struct keycol *k = &c->keycols[i];

		if (same_rel(k->table.schema, k->table.name, t->schemaname, t->relname) &&
			(col ? strcmp(k->column, col) == 0 : k->pk))
			return k;
	}
	return NULL;
}

static bool coldef_is_pk(const PgQuery__ColumnDef *cd);
static bool name_in_keys(PgQuery__Node *const *keys, size_t n, const char *col);

static bool
type_is_int64(const PgQuery__TypeName *t)
{
	const char *ty = t ? node_type_last(t) : NULL;

	return ty && t->n_array_bounds == 0 &&
		(strcmp(ty, "int8") == 0 || strcmp(ty, "bigint") == 0 ||
		 ((strcmp(ty, "bigserial") == 0 || strcmp(ty, "serial8") == 0) && !node_type_schema(t)));
}

static void
keycols_add(struct lctx *c, const PgQuery__RangeVar *rel, PgQuery__Node *const *elts, size_t n)
{
	size_t		i,
				k;

	if (!rel || !rel->relname)
		return;
	for (i = 0; i < n; i++)
	{
		const PgQuery__ColumnDef *cd;
		bool		pk;

		if (elts[i]->node_case != NK(COLUMN_DEF) || !(cd = elts[i]->column_def)->colname)
			continue;
		pk = coldef_is_pk(cd);
		for (k = 0; !pk && k < n; k++)
			if (elts[k]->node_case == NK(CONSTRAINT) && elts[k]->constraint->contype == CT(PRIMARY))
				pk = name_in_keys(elts[k]->constraint->keys, elts[k]->constraint->n_keys, cd->colname);
		GROW(c->keycols, c->nkeycols, c->capkeycols);
		c->keycols[c->nkeycols++] = (struct keycol) {
			{rel->schemaname, rel->relname}, cd->colname, type_is_int32(cd->type_name),
			type_is_int64(cd->type_name), pk
		};
	}
}

/*
 * A foreign-key column (fk set) is judged by the key it references: its
 * type must follow that key's, so a 32-bit one is worth a finding only when
 * the key it references (ref, when this file created it) is wider — a
 * 32-bit key is reported where it is defined.
 */
static void
check_column_type(struct lctx *c, const PgQuery__RangeVar *rel, const char *col,
				  const PgQuery__TypeName *t, bool is_pk, const PgQuery__Constraint *fk,
				  const struct keycol *ref)
{
	const char *ty = node_type_last(t);
	const char *schema = rel ? rel->schemaname : NULL;
	const char *table = rel ? rel->relname : NULL;
	int			loc = t ? t->location : -1;

	if (!t || !col)
		return;
#define AT_TYPE() (c->at = loc)

	if (strcmp(ty, "bpchar") == 0 || strcmp(ty, "char") == 0)
		AT_TYPE(), emit(c, "types.char", "column", schema, table, col,
			 "column \"%s\" uses char(n)", col);
	else if (strcmp(ty, "varchar") == 0 && t->n_typmods > 0)
		AT_TYPE(), emit(c, "types.varchar", "column", schema, table, col,
			 "column \"%s\" uses varchar(n)", col);
	else if (strcmp(ty, "timestamp") == 0)
		AT_TYPE(), emit(c, "types.timestamp_without_tz", "column", schema, table, col,
			 "column \"%s\" uses timestamp without time zone", col);
	if (!node_type_schema(t) &&
		(strcmp(ty, "serial") == 0 || strcmp(ty, "serial2") == 0 ||
		 strcmp(ty, "serial4") == 0 || strcmp(ty, "serial8") == 0 ||
		 strcmp(ty, "smallserial") == 0 || strcmp(ty, "bigserial") == 0))
		AT_TYPE(), emit(c, "types.serial", "column", schema, table, col,
			 "column \"%s\" uses %s instead of an identity column", col, ty);
	if (type_is_int32(t) && (is_pk || (!fk && is_id_column(col))))
		AT_TYPE(), emit(c, "types.int_primary_key", "column", schema, table, col,
			 "key column \"%s\" is a 32-bit integer", col);
	else if (type_is_int32(t) && fk && ref && ref->int64)
		AT_TYPE(), emit(c, "types.int_primary_key", "column", schema, table, col,
			 "foreign-key column \"%s\" is a 32-bit integer, but the key it references (%s.%s) is a bigint",
			 col, qname(&c->namebuf, ref->table.schema, ref->table.name), ref->column);
#undef AT_TYPE
}

static bool
coldef_is_pk(const PgQuery__ColumnDef *cd)
{
	size_t		i;

	for (i = 0; i < cd->n_constraints; i++)
		if (cd->constraints[i]->node_case == NK(CONSTRAINT) &&
			cd->constraints[i]->constraint->contype == CT(PRIMARY))
			return true;
	return false;
}

static bool
name_in_keys(PgQuery__Node *const *keys, size_t n, const char *col)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (node_str(keys[i]) && strcmp(node_str(keys[i]), col) == 0)
			return true;
	return false;
}

/* ---- duplicate columns ------------------------------------------------ */

/* The name a SELECT list entry gets when none is given (as PostgreSQL's
 * FigureColname does, for the common cases). */
static const char *
figure_colname(const PgQuery__Node *n)
{
	if (!n)
		return "?column?";
	switch (n->node_case)
	{
		case NK(COLUMN_REF):
			if (n->column_ref->n_fields > 0)
			{
				const char *f = node_str(n->column_ref->fields[n->column_ref->n_fields - 1]);

				return f ? f : "?column?";
			}
			break;
		case NK(FUNC_CALL):
			{
				const char *schema,
						   *name;

				node_qualified(n->func_call->funcname, n->func_call->n_funcname, &schema, &name);
				return name ? name : "?column?";
			}
		case NK(TYPE_CAST):
			{
				const char *inner = figure_colname(n->type_cast->arg);

				if (strcmp(inner, "?column?") != 0)
					return inner;
				return node_type_last(n->type_cast->type_name);
			}
		default:
			break;
	}
	return "?column?";
}

struct target
{
	const char *name;
	const char *sub;			/* first field of an indirection, or NULL */
	bool		indirect;		/* has an indirection (field or subscript) */
};

/* Counts the targets that collide with another one and reports them. */
static void
report_duplicates(struct lctx *c, const struct target *t, size_t n, const char *what,
				  const PgQuery__RangeVar *rel)
{
	size_t		i,
				j;

	for (i = 0; i < n; i++)
	{
		bool		dup = false;

		for (j = 0; j < n && !dup; j++)
		{
			if (i == j || strcmp(t[i].name, t[j].name) != 0)
				continue;
			if (!t[i].indirect || !t[j].indirect)
				dup = true;
			else if (t[i].sub && t[j].sub && strcmp(t[i].sub, t[j].sub) == 0)
				dup = true;
		}
		if (dup)
			emit(c, "robustness.duplicate_column", "column", rel ? rel->schemaname : NULL,
				 rel ? rel->relname : NULL, t[i].name,
				 "column \"%s\" appears more than once in %s", t[i].name, what);
	}
}

static void
check_restargets(struct lctx *c, PgQuery__Node *const *list, size_t n, const char *what,
				 const PgQuery__RangeVar *rel, bool infer)
{
	struct target *t;
	size_t		i,
				k = 0;

	if (n < 2)
		return;
	t = pgw_calloc(n, sizeof(*t));
	for (i = 0; i < n; i++)
	{
		const PgQuery__ResTarget *r;

		if (!list[i] || list[i]->node_case != NK(RES_TARGET))
			continue;
		r = list[i]->res_target;
		if (r->name && *r->name)
			t[k].name = r->name;
		else if (infer)
			t[k].name = figure_colname(r->val);
		else
			continue;
		t[k].indirect = r->n_indirection > 0;
		t[k].sub = r->n_indirection > 0 ? node_str(r->indirection[0]) : NULL;
		k++;
	}
	report_duplicates(c, t, k, what, rel);
	free(t);
}

static void
check_coldefs(struct lctx *c, PgQuery__Node *const *elts, size_t n, const PgQuery__RangeVar *rel)
{
	struct target *t = pgw_calloc(n ? n : 1, sizeof(*t));
	size_t		i,
				k = 0;

	for (i = 0; i < n; i++)
		if (elts[i] && elts[i]->node_case == NK(COLUMN_DEF) && elts[i]->column_def->colname)
			t[k++].name = elts[i]->column_def->colname;
	report_duplicates(c, t, k, "CREATE TABLE", rel);
	free(t);
}

/* An explicit column name list (String nodes): CREATE VIEW v (a, b) and
 * CREATE TABLE t (a, b) AS. */
static void
check_namelist(struct lctx *c, PgQuery__Node *const *names, size_t n, const char *what,
			   const PgQuery__RangeVar *rel)
{
	struct target *t = pgw_calloc(n ? n : 1, sizeof(*t));
	size_t		i,
				k = 0;

	for (i = 0; i < n; i++)
		if (node_str(names[i]))
			t[k++].name = node_str(names[i]);
	report_duplicates(c, t, k, what, rel);
	free(t);
}

/* MERGE: each WHEN clause's UPDATE SET and INSERT column list. */
static void
check_merge(struct lctx *c, const PgQuery__MergeStmt *m)
{
	size_t		i;

	for (i = 0; i < m->n_merge_when_clauses; i++)
	{
		const PgQuery__MergeWhenClause *w;

		if (!m->merge_when_clauses[i] || m->merge_when_clauses[i]->node_case != NK(MERGE_WHEN_CLAUSE))
			continue;
		w = m->merge_when_clauses[i]->merge_when_clause;
		if (w->command_type == PG_QUERY__CMD_TYPE__CMD_UPDATE)
			check_restargets(c, w->target_list, w->n_target_list, "MERGE ... UPDATE SET",
							 m->relation, false);
		else if (w->command_type == PG_QUERY__CMD_TYPE__CMD_INSERT)
			check_restargets(c, w->target_list, w->n_target_list, "the MERGE ... INSERT column list",
							 m->relation, false);
	}
}

/* robustness.unqualified_table (opt-in): a table named without a schema,
 * unless it is temporary. */
static void
check_qualified(struct lctx *c, const char *schema, const char *name, const char *persistence,
				const char *what)
{
	if (!name || (schema && *schema))
		return;
	if (persistence && strcmp(persistence, "t") == 0)
		return;
	emit(c, "robustness.unqualified_table", "table", NULL, name, NULL,
		 "table \"%s\" is %s without a schema", name, what);
}

/* ---- identifiers ------------------------------------------------------ */

/* Identifiers of the current statement that the scanner truncates. */
static void
check_long_idents(struct lctx *c, const struct pgw_sql_stmt *st)
{
	const struct pgw_sql_script *s = c->s;
	size_t		i;

	for (i = 0; i < s->nlong_idents; i++)
	{
		const struct pgw_sql_span *sp = &s->long_idents[i];
		const char *t = s->file->text + sp->start;
		size_t		n = sp->end - sp->start;
		bool		quoted = t[0] == '"';
		char	   *id;

		if (sp->start < st->start || sp->start >= st->end)
			continue;
		id = quoted ? pgw_strndup(t + 1, n - 2) : pgw_strndup(t, n);
		emit(c, "robustness.identifier_too_long", "identifier", NULL, id, NULL,
			 "identifier \"%.24s...\" is %zu bytes long; PostgreSQL keeps only the first 63",
			 id, strlen(id));
		free(id);
	}
}

/* ---- enum values used --------------------------------------------------- */

struct find_str
{
	const char *value;
	bool		found;
};

static bool
visit_find_const(const PgQuery__Node *n, void *arg)
{
	struct find_str *fs = arg;

	if (n->node_case == NK(A_CONST) && n->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL &&
		strcmp(n->a_const->sval->sval, fs->value) == 0)
	{
		fs->found = true;
		return false;
	}
	return true;
}

/* ---- security ------------------------------------------------------------ */

static bool
is_ident_char(char ch)
{
	return isalnum((unsigned char) ch) || ch == '_' || ch == '$';
}

/* Whether body contains "execute <word>" with word standing alone. */
static bool
body_executes(const char *body, const char *word)
{
	size_t		wl = strlen(word);
	const char *p = body;

	while ((p = strcasestr(p, "execute")) != NULL)
	{
		const char *q = p + 7;

		if (p > body && is_ident_char(p[-1]))
		{
			p = q;
			continue;
		}
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == '(')
			q++;
		if (strncasecmp(q, word, wl) == 0 && !is_ident_char(q[wl]))
			return true;
		p = q;
	}
	return false;
}

static void
check_function(struct lctx *c, const PgQuery__CreateFunctionStmt *f)
{
	const char *schema,
			   *name;
	bool		definer = false;
	size_t		i;
	const char *lang = node_option_string(f->options, f->n_options, "language");

	node_qualified(f->funcname, f->n_funcname, &schema, &name);
	if (node_option_bool(f->options, f->n_options, "security", &definer) && definer)
	{
		bool		fixed = false;

		for (i = 0; i < f->n_options; i++)
		{
			const PgQuery__Node *o = f->options[i];

			if (o->node_case == NK(DEF_ELEM) && strcmp(o->def_elem->defname, "set") == 0 &&
				o->def_elem->arg && o->def_elem->arg->node_case == NK(VARIABLE_SET_STMT) &&
				strcmp(o->def_elem->arg->variable_set_stmt->name, "search_path") == 0 &&
				o->def_elem->arg->variable_set_stmt->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE)
				fixed = true;
		}
		if (!fixed)
			emit(c, "security.definer_without_search_path", f->is_procedure ? "procedure" : "function",
				 schema, name, NULL, "SECURITY DEFINER %s \"%s\" does not set search_path",
				 f->is_procedure ? "procedure" : "function", name ? name : "?");
	}
	if (lang && strcmp(lang, "plpgsql") == 0)
	{
		const PgQuery__Node *as = NULL;
		const char *body = NULL;

		for (i = 0; i < f->n_options; i++)
			if (f->options[i]->node_case == NK(DEF_ELEM) &&
				strcmp(f->options[i]->def_elem->defname, "as") == 0)
				as = f->options[i]->def_elem->arg;
		if (as && as->node_case == NK(LIST) && as->list->n_items > 0)
			body = node_str(as->list->items[0]);
		for (i = 0; body && i < f->n_parameters; i++)
		{
			const PgQuery__FunctionParameter *p;
			const char *ty;
			char		positional[32];

			if (f->parameters[i]->node_case != NK(FUNCTION_PARAMETER))
				continue;
			p = f->parameters[i]->function_parameter;
			ty = node_type_last(p->arg_type);
			if (strcmp(ty, "text") != 0 && strcmp(ty, "varchar") != 0)
				continue;
			snprintf(positional, sizeof(positional), "$%zu", i + 1);
			if ((p->name && *p->name && body_executes(body, p->name)) ||
				body_executes(body, positional))
			{
				emit(c, "security.exec_text_argument", "function", schema, name, NULL,
					 "function \"%s\" runs its argument \"%s\" with EXECUTE",
					 name ? name : "?", (p->name && *p->name) ? p->name : positional);
				break;
			}
		}
	}
}

static bool
grantee_is_open(PgQuery__Node *const *g, size_t n, const char **who)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		const PgQuery__RoleSpec *r;

		if (g[i]->node_case != NK(ROLE_SPEC))
			continue;
		r = g[i]->role_spec;
		if (r->roletype == PG_QUERY__ROLE_SPEC_TYPE__ROLESPEC_PUBLIC)
		{
			*who = "PUBLIC";
			return true;
		}
		if (r->rolename && strcmp(r->rolename, "anon") == 0)
		{
			*who = "anon";
			return true;
		}
	}
	return false;
}

static void
check_grant(struct lctx *c, const PgQuery__GrantStmt *g, bool defaults)
{
	const char *who;
	bool		all = g->n_privileges == 0;
	bool		exec_all = false;

	if (!g->is_grant || !grantee_is_open(g->grantees, g->n_grantees, &who))
		return;
	if ((g->objtype == OT(FUNCTION) || g->objtype == OT(ROUTINE) || g->objtype == OT(PROCEDURE)) &&
		(g->targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_ALL_IN_SCHEMA || defaults))
		exec_all = true;
	if (all)
		emit(c, "security.grant_to_public", "grant", NULL, who, NULL,
			 "ALL privileges are granted to %s%s", who, defaults ? " by default" : "");
	else if (exec_all)
		emit(c, "security.grant_to_public", "grant", NULL, who, NULL,
			 "EXECUTE on every function%s is granted to %s",
			 defaults ? " created from now on" : " in the schema", who);
}

static void
check_policy(struct lctx *c, const char *pname, const PgQuery__RangeVar *table, const char *cmd,
			 const PgQuery__Node *qual, const PgQuery__Node *check, bool creating)
{
	bool		writes = !cmd || strcmp(cmd, "select") != 0;

	if (writes && (node_expr_is_true(qual) || node_expr_is_true(check)))
		c->on = table, emit(c, "rls.policy_always_true", "policy", table ? table->schemaname : NULL, pname, NULL,
			 "policy \"%s\" on \"%s\" allows %s on every row: its %s is true",
			 pname, rvq(c, table), cmd ? cmd : "everything",
			 node_expr_is_true(qual) ? "USING" : "WITH CHECK");
	if (creating && cmd && (strcmp(cmd, "insert") == 0 || strcmp(cmd, "update") == 0) && !check)
		c->on = table, emit(c, "rls.policy_missing_with_check", "policy", table ? table->schemaname : NULL, pname, NULL,
			 "%s policy \"%s\" on \"%s\" has no WITH CHECK", cmd, pname, rvq(c, table));
}

/* ---- ALTER TABLE ------------------------------------------------------- */

static struct constraint_info *
constraint_find(struct lctx *c, const PgQuery__RangeVar *rel, const char *name)
{
	size_t		i;

	if (!name || !rel)
		return NULL;
	for (i = nameidx_first(&c->cons_by_name, name); i != NO_ITEM; i = nameidx_next(&c->cons_by_name, i))
		if (strcmp(c->cons[i].name, name) == 0 &&
			same_rel(c->cons[i].table.schema, c->cons[i].table.name, rel->schemaname, rel->relname))
			return &c->cons[i];
	return NULL;
}

static struct constraint_info *
constraint_add(struct lctx *c, const PgQuery__RangeVar *rel, const char *name)
{
	struct constraint_info *ci;

	GROW(c->cons, c->ncons, c->capcons);
	ci = &c->cons[c->ncons++];
	memset(ci, 0, sizeof(*ci));
	ci->table.schema = rel->schemaname;
	ci->table.name = rel->relname;
	ci->name = name;
	ci->not_valid_tx = -1;
	nameidx_add(&c->cons_by_name, name, c->ncons - 1);
	nameidx_add(&c->cons_by_table, rel->relname, c->ncons - 1);
	return ci;
}

static bool
notnull_is_proven(struct lctx *c, const PgQuery__RangeVar *rel, const char *col)
{
	size_t		i;

	for (i = nameidx_first(&c->cons_by_table, rel->relname); i != NO_ITEM;
		 i = nameidx_next(&c->cons_by_table, i))
	{
		const struct constraint_info *ci = &c->cons[i];

		if (!ci->validated || !same_rel(ci->table.schema, ci->table.name, rel->schemaname, rel->relname))
			continue;
		if (ci->known && ci->notnull_col && strcmp(ci->notnull_col, col) == 0)
			return true;
		/* validated here, defined elsewhere: trust a name that says so */
		if (!ci->known && strstr(ci->name, col) && strstr(ci->name, "not_null"))
			return true;
	}
	return false;
}

static bool
not_in_transaction(struct lctx *c)
{
	return !c->in_tx && c->s->nstmts > 1;
}

static void
robust(struct lctx *c, const char *what, const PgQuery__RangeVar *rel, const char *name)
{
	if (not_in_transaction(c))
		emit(c, "robustness.not_idempotent", "table", rel ? rel->schemaname : NULL,
			 rel ? rel->relname : name, NULL, "%s fails if run twice", what);
}

/*
 * An ALTER TABLE action with no IF [NOT] EXISTS form (SET NOT NULL, ENABLE
 * ROW LEVEL SECURITY, ...), outside a transaction in a file of several
 * statements: it commits on its own, so a failure later in the file leaves
 * the table half-migrated, and nothing in the statement says whether it
 * already ran.  (squawk's prefer-robust-stmts reports every such action.)
 */
static const char *alter_action_name(PgQuery__AlterTableType t);
static bool rollback_undoes(struct lctx *c, char kind, const char *schema, const char *name,
							const char *column);

static void
robust_action(struct lctx *c, PgQuery__AlterTableType t, const PgQuery__RangeVar *rel)
{
	if (not_in_transaction(c))
		emit(c, "robustness.not_idempotent", "table", rel ? rel->schemaname : NULL,
			 rel ? rel->relname : NULL, NULL,
			 "%s on \"%s\" runs outside a transaction: if a later statement fails, the file is left half-applied",
			 alter_action_name(t), rvq(c, rel));
}

/* What an ALTER TABLE action is called in messages (the common ones). */
static const char *
alter_action_name(PgQuery__AlterTableType t)
{
	switch (t)
	{
		case AT(SetNotNull):
			return "ALTER COLUMN ... SET NOT NULL";
		case AT(DropNotNull):
			return "ALTER COLUMN ... DROP NOT NULL";
		case AT(ColumnDefault):
			return "ALTER COLUMN ... SET/DROP DEFAULT";
		case AT(AlterColumnType):
			return "ALTER COLUMN ... TYPE";
		case AT(EnableRowSecurity):
			return "ENABLE ROW LEVEL SECURITY";
		case AT(DisableRowSecurity):
			return "DISABLE ROW LEVEL SECURITY";
		case AT(ForceRowSecurity):
			return "FORCE ROW LEVEL SECURITY";
		case AT(NoForceRowSecurity):
			return "NO FORCE ROW LEVEL SECURITY";
		case AT(AttachPartition):
			return "ATTACH PARTITION";
		case AT(DetachPartition):
			return "DETACH PARTITION";
		case AT(ChangeOwner):
			return "OWNER TO";
		case AT(SetLogged):
			return "SET LOGGED";
		case AT(SetUnLogged):
			return "SET UNLOGGED";
		case AT(AddIdentity):
			return "ADD GENERATED ... AS IDENTITY";
		case AT(DropIdentity):
			return "DROP IDENTITY";
		default:
			return "this ALTER TABLE action";
	}
}

static void
check_alter_table(struct lctx *c, const PgQuery__AlterTableStmt *a)
{
	const PgQuery__RangeVar *rel = a->relation;
	bool		is_new = table_is_new(c, rel);
	struct pgw_buf qb;
	size_t		i;

	if (!rel)
		return;
	if (a->objtype == OT(TABLE))
		check_qualified(c, rel->schemaname, rel->relname, rel->relpersistence, "altered");
	buf_init(&qb);
	qname(&qb, rel->schemaname, rel->relname);
	for (i = 0; i < a->n_cmds; i++)
	{
		const PgQuery__AlterTableCmd *cmd;
		const PgQuery__Constraint *con = NULL;

		if (a->cmds[i]->node_case != NK(ALTER_TABLE_CMD))
			continue;
		cmd = a->cmds[i]->alter_table_cmd;
		if (cmd->def && cmd->def->node_case == NK(CONSTRAINT))
			con = cmd->def->constraint;
		switch (cmd->subtype)
		{
			case AT(AddColumn):
			case AT(AddColumnRecurse):
				{
					const PgQuery__ColumnDef *cd;
					bool		notnull = false,
								has_default = false,
								generated = false;
					size_t		k;

					if (!cmd->def || cmd->def->node_case != NK(COLUMN_DEF))
						break;
					cd = cmd->def->column_def;
					{
						size_t		pos;
						const PgQuery__Constraint *fk = column_fk(cd, NULL, 0, &pos);

						check_column_type(c, rel, cd->colname, cd->type_name, coldef_is_pk(cd), fk,
										  fk_target(c, fk, pos));
					}
					notnull = cd->is_not_null;
					for (k = 0; k < cd->n_constraints; k++)
					{
						const PgQuery__Constraint *cc = cd->constraints[k]->constraint;

						if (cd->constraints[k]->node_case != NK(CONSTRAINT))
							continue;
						if (cc->contype == CT(NOTNULL))
							notnull = true;
						else if (cc->contype == CT(DEFAULT))
						{
							has_default = true;
							if (!is_new && (c->pgv < 11 || !node_expr_is_nonvolatile(cc->raw_expr)))
								emit(c, "locking.volatile_default", "column", rel->schemaname, rel->relname,
									 cd->colname, "column \"%s\" is added to \"%s\" with a default that %s",
									 cd->colname, qb.data,
									 c->pgv < 11 ? "rewrites the table before PostgreSQL 11" :
									 "is volatile, so every row is rewritten");
						}
						else if (cc->contype == CT(GENERATED) || cc->contype == CT(IDENTITY))
						{
							generated = true;
							if (!is_new && cc->contype == CT(GENERATED))
								emit(c, "locking.volatile_default", "column", rel->schemaname, rel->relname,
									 cd->colname, "stored generated column \"%s\" rewrites \"%s\"",
									 cd->colname, qb.data);
						}
						else if (cc->contype == CT(FOREIGN) && !is_new && !cc->skip_validation)
							emit(c, "locking.constraint_not_valid", "column", rel->schemaname, rel->relname,
								 cd->colname, "column \"%s\" is added to \"%s\" with a foreign key that is validated at once",
								 cd->colname, qb.data);
						else if ((cc->contype == CT(PRIMARY) || cc->contype == CT(UNIQUE)) && !is_new)
							emit(c, "locking.unique_without_index", "column", rel->schemaname, rel->relname,
								 cd->colname, "column \"%s\" is added to \"%s\" with a %s constraint that builds its index under the lock",
								 cd->colname, qb.data, cc->contype == CT(PRIMARY) ? "PRIMARY KEY" : "UNIQUE");
					}
					if (notnull && !has_default && !generated && !is_new)
						emit(c, "destructive.add_required_column", "column", rel->schemaname, rel->relname,
							 cd->colname, "NOT NULL column \"%s\" is added to \"%s\" without a default",
							 cd->colname, qb.data);
					if (!cmd->missing_ok)
						robust(c, "ADD COLUMN without IF NOT EXISTS", rel, NULL);
					break;
				}
			case AT(AlterColumnType):
				robust_action(c, cmd->subtype, rel);
				if (cmd->def && cmd->def->node_case == NK(COLUMN_DEF))
					check_column_type(c, rel, cmd->name, cmd->def->column_def->type_name, false, NULL, NULL);
				if (!is_new)
					emit(c, "locking.column_type_change", "column", rel->schemaname, rel->relname, cmd->name,
						 "the type of column \"%s\" of \"%s\" is changed", cmd->name, qb.data);
				break;
			case AT(SetNotNull):
				robust_action(c, cmd->subtype, rel);
				if (!is_new && (c->pgv < 12 || !notnull_is_proven(c, rel, cmd->name)))
					emit(c, "locking.set_not_null", "column", rel->schemaname, rel->relname, cmd->name,
						 "column \"%s\" of \"%s\" is set NOT NULL without a validated CHECK (\"%s\" IS NOT NULL)%s",
						 cmd->name, qb.data, cmd->name,
						 c->pgv < 12 ? " (and before PostgreSQL 12 the scan happens anyway)" : "");
				break;
			case AT(DropNotNull):
				robust_action(c, cmd->subtype, rel);
				if (!is_new)
					emit(c, "destructive.drop_not_null", "column", rel->schemaname, rel->relname, cmd->name,
						 "column \"%s\" of \"%s\" drops NOT NULL", cmd->name, qb.data);
				break;
			case AT(DropColumn):
			case AT(DropColumnRecurse):
				if (!is_new && !rollback_undoes(c, 'c', rel->schemaname, rel->relname, cmd->name))
					emit(c, "destructive.drop_column", "column", rel->schemaname, rel->relname, cmd->name,
						 "column \"%s\" of \"%s\" is dropped", cmd->name, qb.data);
				if (!cmd->missing_ok)
					robust(c, "DROP COLUMN without IF EXISTS", rel, NULL);
				break;
			case AT(AddConstraint):
			case AT(AddConstraintRecurse):
			case AT(AddIndexConstraint):
				if (!con)
					break;
				{
					struct constraint_info *ci = constraint_find(c, rel, con->conname);

					if (con->conname && *con->conname)
					{
						if (ci && ci->drop_credit > 0)
							ci->drop_credit--;
						else
							robust(c, "ADD CONSTRAINT without a DROP CONSTRAINT IF EXISTS before it", rel, NULL);
						if (!ci)
							ci = constraint_add(c, rel, con->conname);
						ci->known = true;
						ci->validated = !con->skip_validation;
						ci->not_valid_tx = con->skip_validation ? c->tx : -1;
						if (con->contype == CT(CHECK) && con->raw_expr &&
							con->raw_expr->node_case == NK(NULL_TEST) &&
							con->raw_expr->null_test->arg &&
							con->raw_expr->null_test->arg->node_case == NK(COLUMN_REF))
						{
							const PgQuery__ColumnRef *cr = con->raw_expr->null_test->arg->column_ref;
							const char *col = node_str(cr->fields[cr->n_fields - 1]);

							if (col && node_expr_is_not_null_test(con->raw_expr, col))
								ci->notnull_col = col;
						}
					}
					else
						robust(c, "ADD CONSTRAINT without a name", rel, NULL);
				}
				if (is_new)
					break;
				c->at = con->location;
				if ((con->contype == CT(FOREIGN) || con->contype == CT(CHECK)) && !con->skip_validation)
					c->on = rel, emit(c, "locking.constraint_not_valid", "constraint", rel->schemaname,
						 con->conname && *con->conname ? con->conname : NULL, NULL,
						 "%s constraint%s%s%s is added to \"%s\" without NOT VALID",
						 con->contype == CT(FOREIGN) ? "FOREIGN KEY" : "CHECK",
						 con->conname && *con->conname ? " \"" : "",
						 con->conname && *con->conname ? con->conname : "",
						 con->conname && *con->conname ? "\"" : "", qb.data);
				else if ((con->contype == CT(PRIMARY) || con->contype == CT(UNIQUE)) &&
						 !(con->indexname && *con->indexname))
					c->on = rel, emit(c, "locking.unique_without_index", "constraint", rel->schemaname,
						 con->conname && *con->conname ? con->conname : NULL, NULL,
						 "%s constraint is added to \"%s\" without USING INDEX",
						 con->contype == CT(PRIMARY) ? "PRIMARY KEY" : "UNIQUE", qb.data);
				else if (con->contype == CT(EXCLUSION))
					c->on = rel, emit(c, "locking.unique_without_index", "constraint", rel->schemaname,
						 con->conname && *con->conname ? con->conname : NULL, NULL,
						 "EXCLUDE constraint is added to \"%s\": its index is built under the lock", qb.data);
				c->at = -1;
				break;
			case AT(ValidateConstraint):
			case AT(ValidateConstraintRecurse):
				{
					struct constraint_info *ci = constraint_find(c, rel, cmd->name);

					if (!ci)
					{
						ci = constraint_add(c, rel, cmd->name);
						ci->known = false;
					}
					else if (ci->not_valid_tx >= 0 && ci->not_valid_tx == c->tx && !is_new)
						c->on = rel, emit(c, "locking.validate_same_transaction", "constraint", rel->schemaname, cmd->name,
							 NULL, "constraint \"%s\" of \"%s\" is validated in the transaction that added it",
							 cmd->name, qb.data);
					ci->validated = true;
				}
				break;
			case AT(DropConstraint):
			case AT(DropConstraintRecurse):
				{
					struct constraint_info *ci = constraint_find(c, rel, cmd->name);

					if (!ci)
						ci = constraint_add(c, rel, cmd->name);
					ci->validated = false;
					ci->known = true;
					ci->notnull_col = NULL;
					if (cmd->missing_ok)
						ci->drop_credit++;
					else
						robust(c, "DROP CONSTRAINT without IF EXISTS", rel, NULL);
				}
				break;
			case AT(DetachPartition):
				robust_action(c, cmd->subtype, rel);
				if (cmd->def && cmd->def->node_case == NK(PARTITION_CMD) &&
					!cmd->def->partition_cmd->concurrent && c->pgv >= 14 && !is_new)
					emit(c, "locking.detach_partition_not_concurrent", "table", rel->schemaname, rel->relname,
						 NULL, "partition is detached from \"%s\" without CONCURRENTLY", qb.data);
				break;
			case AT(EnableRowSecurity):
			case AT(ForceRowSecurity):
				c->rls_enabled_any = true;
				robust_action(c, cmd->subtype, rel);
				break;
			default:
				robust_action(c, cmd->subtype, rel);
				break;
		}
	}
	buf_release(&qb);
}

/* ---- rollbacks ------------------------------------------------------------ */

static void
fwd_add(struct lctx *c, char kind, const char *schema, const char *name, const char *column)
{
	if (!name)
		return;
	GROW(c->fwd, c->nfwd, c->capfwd);
	c->fwd[c->nfwd].kind = kind;
	c->fwd[c->nfwd].schema = schema;
	c->fwd[c->nfwd].name = name;
	c->fwd[c->nfwd].column = column;
	nameidx_add(&c->fwd_by_name, name, c->nfwd);
	c->nfwd++;
}

/* The tables, columns and schemas the forward migration creates. */
static void
fwd_collect(struct lctx *c, const struct pgw_sql_script *f)
{
	size_t		i,
				k;

	for (i = 0; i < f->nstmts; i++)
	{
		const PgQuery__Node *n = f->stmts[i].node;

		if (!n)
			continue;
		switch (n->node_case)
		{
			case NK(CREATE_STMT):
				if (n->create_stmt->relation)
					fwd_add(c, 't', n->create_stmt->relation->schemaname,
							n->create_stmt->relation->relname, NULL);
				break;
			case NK(CREATE_TABLE_AS_STMT):
				if (n->create_table_as_stmt->into && n->create_table_as_stmt->into->rel)
					fwd_add(c, 't', n->create_table_as_stmt->into->rel->schemaname,
							n->create_table_as_stmt->into->rel->relname, NULL);
				break;
			case NK(CREATE_SCHEMA_STMT):
				fwd_add(c, 's', NULL, n->create_schema_stmt->schemaname, NULL);
				break;
			case NK(ALTER_TABLE_STMT):
				if (!n->alter_table_stmt->relation)
					break;
				for (k = 0; k < n->alter_table_stmt->n_cmds; k++)
				{
					const PgQuery__AlterTableCmd *cmd;

					if (n->alter_table_stmt->cmds[k]->node_case != NK(ALTER_TABLE_CMD))
						continue;
					cmd = n->alter_table_stmt->cmds[k]->alter_table_cmd;
					if ((cmd->subtype == AT(AddColumn) || cmd->subtype == AT(AddColumnRecurse)) &&
						cmd->def && cmd->def->node_case == NK(COLUMN_DEF))
						fwd_add(c, 'c', n->alter_table_stmt->relation->schemaname,
								n->alter_table_stmt->relation->relname, cmd->def->column_def->colname);
				}
				break;
			default:
				break;
		}
	}
}

/*
 * In a rollback, whether dropping this table (column NULL), column, or
 * schema (kind 's') undoes the forward migration: it created the table or
 * schema, or added the column (or created its table).  With no forward
 * migration to look at, every drop is taken as undoing it.  Outside a
 * rollback, false.
 */
static bool
rollback_undoes(struct lctx *c, char kind, const char *schema, const char *name, const char *column)
{
	size_t		i;

	if (!c->o->rollback)
		return false;
	if (!c->o->forward)
		return true;
	for (i = nameidx_first(&c->fwd_by_name, name); i != NO_ITEM; i = nameidx_next(&c->fwd_by_name, i))
	{
		const struct fwd_obj *o = &c->fwd[i];

		if (kind == 's')
		{
			if (o->kind == 's' && strcmp(o->name, name) == 0)
				return true;
			continue;
		}
		if (o->kind == 's' || !same_rel(o->schema, o->name, schema, name))
			continue;
		if (o->kind == 't' || (column && o->column && strcmp(o->column, column) == 0))
			return true;
	}
	return false;
}

/* ---- the statement dispatcher -------------------------------------------- */

static bool
is_lock_taking(const struct pgw_sql_stmt *st)
{
	const PgQuery__Node *n = st->node;

	if (st->info.ddl)
		return true;
	if (!n)
		return false;
	switch (n->node_case)
	{
		case NK(LOCK_STMT):
		case NK(TRUNCATE_STMT):
		case NK(VACUUM_STMT):
		case NK(CLUSTER_STMT):
		case NK(REINDEX_STMT):
		case NK(REFRESH_MAT_VIEW_STMT):
			return true;
		default:
			return false;
	}
}

/*
 * VACUUM FULL and CLUSTER: from PostgreSQL 19 the server has REPACK, whose
 * CONCURRENTLY form rewrites the table without blocking it, so the hint
 * names it (squawk's prefer-repack); before 19 only the pg_repack
 * extension does that, and the rule's own hint says so.
 */
static void
prefer_repack(struct lctx *c, struct pgw_finding *f)
{
	if (!f || c->pgv < 19)
		return;
	finding_set_hint(c->out, f, "use REPACK (CONCURRENTLY) on the table instead "
					 "(PostgreSQL 19+): it rewrites it without blocking reads and writes");
}

static void
check_statement(struct lctx *c, const struct pgw_sql_stmt *st)
{
	const PgQuery__Node *n = st->node;
	const char *schema,
			   *name;
	size_t		i;

	c->at = -1;
	/* transaction state first: BEGIN/COMMIT change it */
	switch (st->info.tx)
	{
		case PGW_TX_BEGIN:
			if (c->in_tx && !c->wrapped)
				emit(c, "robustness.transaction_nesting", "transaction", NULL, NULL, NULL,
					 "BEGIN inside a transaction that is already open");
			else if (c->in_tx && c->wrapped && c->o->tx_mode == PGW_LINT_TX_ALWAYS)
				emit(c, "robustness.transaction_nesting", "transaction", NULL, NULL, NULL,
					 "BEGIN inside the transaction the migration tool opens for the file");
			c->in_tx = true;
			c->wrapped = false;
			c->tx = c->next_tx++;
			if (c->explicit_begin == SIZE_MAX)
				c->explicit_begin = c->idx;
			return;
		case PGW_TX_COMMIT:
		case PGW_TX_ROLLBACK:
			if (!c->in_tx)
				emit(c, "robustness.transaction_nesting", "transaction", NULL, NULL, NULL,
					 "%s without a transaction in progress", st->info.tag);
			else if (c->tool_tx)	/* a BEGIN inside it did nothing */
				emit(c, "robustness.transaction_nesting", "transaction", NULL, NULL, NULL,
					 "%s ends the transaction the migration tool opened for the file",
					 st->info.tag);
			c->tool_tx = false;
			c->in_tx = false;
			c->wrapped = false;
			c->explicit_begin = SIZE_MAX;
			c->tx = c->next_tx++;
			return;
		default:
			break;
	}
	if (!c->in_tx)
		c->tx = c->next_tx++;	/* autocommit: a transaction of its own */

	if (st->info.no_transaction && c->in_tx &&
		!(c->wrapped && c->o->tx_mode == PGW_LINT_TX_ALWAYS && c->s->nstmts == 1))
		emit(c, "locking.concurrently_in_transaction", "statement", NULL, st->info.tag, NULL,
			 "%s cannot run inside a transaction block", st->info.no_transaction_why);

	if (is_lock_taking(st))
	{
		if (!c->lock_timeout_set && !c->lock_timeout_reported)
		{
			c->lock_timeout_reported = true;
			emit(c, "locking.lock_timeout_missing", "statement", NULL, st->info.tag, NULL,
				 "%s runs without a lock_timeout", st->info.tag);
		}
		if (!c->statement_timeout_set && !c->statement_timeout_reported)
		{
			c->statement_timeout_reported = true;
			emit(c, "locking.statement_timeout_missing", "statement", NULL, st->info.tag, NULL,
				 "%s runs without a statement_timeout", st->info.tag);
		}
	}
	check_long_idents(c, st);
	if (!n)
		return;					/* a deferred data statement nobody needs */

	/* a value added to an enum, used in the same transaction */
	if (c->in_tx)
		for (i = 0; i < c->nenums; i++)
			if (c->enums[i].tx == c->tx && n->node_case != NK(ALTER_ENUM_STMT))
			{
				struct find_str fs = {c->enums[i].value, false};

				node_walk(n, visit_find_const, &fs);
				if (fs.found)
					emit(c, "locking.enum_value_used_same_transaction", "type", NULL, c->enums[i].value, NULL,
						 "enum value '%s' is used in the transaction that added it", c->enums[i].value);
			}

	switch (n->node_case)
	{
		case NK(VARIABLE_SET_STMT):
			if (n->variable_set_stmt->name)
			{
				if (strcmp(n->variable_set_stmt->name, "lock_timeout") == 0)
					c->lock_timeout_set = true;
				else if (strcmp(n->variable_set_stmt->name, "statement_timeout") == 0)
					c->statement_timeout_set = true;
			}
			break;
		case NK(CREATE_STMT):
			{
				const PgQuery__CreateStmt *cs = n->create_stmt;
				const PgQuery__RangeVar *rel = cs->relation;
				bool		temp = rel && rel->relpersistence && strcmp(rel->relpersistence, "t") == 0;
				const char *sch;
				bool		exposed = false,
							plain = false;

				check_coldefs(c, cs->table_elts, cs->n_table_elts, rel);
				keycols_add(c, rel, cs->table_elts, cs->n_table_elts);
				for (i = 0; i < cs->n_table_elts; i++)
				{
					const PgQuery__Node *e = cs->table_elts[i];
					const PgQuery__Constraint *fk;
					bool		pk = false;
					size_t		k,
								pos;

					if (e->node_case != NK(COLUMN_DEF))
						continue;
					pk = coldef_is_pk(e->column_def);
					for (k = 0; !pk && k < cs->n_table_elts; k++)
						if (cs->table_elts[k]->node_case == NK(CONSTRAINT) &&
							cs->table_elts[k]->constraint->contype == CT(PRIMARY))
							pk = name_in_keys(cs->table_elts[k]->constraint->keys,
											  cs->table_elts[k]->constraint->n_keys,
											  e->column_def->colname);
					fk = column_fk(e->column_def, cs->table_elts, cs->n_table_elts, &pos);
					check_column_type(c, rel, e->column_def->colname, e->column_def->type_name, pk, fk,
									  fk_target(c, fk, pos));
				}
				if (!rel)
					break;
				if (!cs->if_not_exists && !(temp && cs->oncommit == PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_DROP))
					robust(c, "CREATE TABLE without IF NOT EXISTS", rel, NULL);
				check_qualified(c, rel->schemaname, rel->relname, rel->relpersistence, "created");
				sch = (rel->schemaname && *rel->schemaname) ? rel->schemaname : "public";
				if (!temp)
				{
					/* an empty list: a plain project, where the rule is info
					 * (for public); no list at all: public is exposed */
					plain = c->o->exposed_schemas && c->o->exposed_schemas->n == 0;
					if (c->o->exposed_schemas && c->o->exposed_schemas->n > 0)
						exposed = strlist_contains(c->o->exposed_schemas, sch);
					else
						exposed = strcmp(sch, "public") == 0;
				}
				if (exposed && cs->partbound == NULL)
				{
					/* ENABLE ROW LEVEL SECURITY anywhere in the file for it */
					bool		found = false;
					size_t		k;

					for (k = nameidx_first(&c->rls_by_name, rel->relname); k != NO_ITEM && !found;
						 k = nameidx_next(&c->rls_by_name, k))
						found = same_rel(c->rls[k].schema, c->rls[k].name, rel->schemaname, rel->relname);
					if (!found && plain)
						emit(c, "rls.table_without_rls", "table", sch, rel->relname, NULL,
							 "table \"%s.%s\" is created without ENABLE ROW LEVEL SECURITY (no schema is exposed: exposed_schemas is empty)",
							 sch, rel->relname)->severity = PGW_SEV_INFO;
					else if (!found)
						emit(c, "rls.table_without_rls", "table", sch, rel->relname, NULL,
							 "table \"%s.%s\" is created in exposed schema \"%s\" without ENABLE ROW LEVEL SECURITY",
							 sch, rel->relname, sch);
				}
				table_add(c, rel->schemaname, rel->relname);
				break;
			}
		case NK(CREATE_FOREIGN_TABLE_STMT):
			if (n->create_foreign_table_stmt->base_stmt)
			{
				const PgQuery__CreateStmt *cs = n->create_foreign_table_stmt->base_stmt;

				check_coldefs(c, cs->table_elts, cs->n_table_elts, cs->relation);
				if (cs->relation)
					table_add(c, cs->relation->schemaname, cs->relation->relname);
			}
			break;
		case NK(CREATE_TABLE_AS_STMT):
			{
				const PgQuery__CreateTableAsStmt *ct = n->create_table_as_stmt;

				if (ct->into && ct->into->n_col_names == 0 && ct->query &&
					ct->query->node_case == NK(SELECT_STMT))
					check_restargets(c, ct->query->select_stmt->target_list,
									 ct->query->select_stmt->n_target_list, "the column list",
									 ct->into->rel, true);
				else if (ct->into && ct->into->n_col_names > 1)
					check_namelist(c, ct->into->col_names, ct->into->n_col_names, "the column list",
								   ct->into->rel);
				if (ct->into && ct->into->rel && ct->objtype == OT(TABLE))
					check_qualified(c, ct->into->rel->schemaname, ct->into->rel->relname,
									ct->into->rel->relpersistence, "created");
				if (ct->into && ct->into->rel)
					table_add(c, ct->into->rel->schemaname, ct->into->rel->relname);
				break;
			}
		case NK(VIEW_STMT):
			if (n->view_stmt->n_aliases > 1)
				check_namelist(c, n->view_stmt->aliases, n->view_stmt->n_aliases, "the view's column list",
							   n->view_stmt->view);
			else if (n->view_stmt->n_aliases == 0 && n->view_stmt->query &&
				n->view_stmt->query->node_case == NK(SELECT_STMT))
				check_restargets(c, n->view_stmt->query->select_stmt->target_list,
								 n->view_stmt->query->select_stmt->n_target_list, "the view's columns",
								 n->view_stmt->view, true);
			break;
		case NK(SELECT_STMT):
			if (n->select_stmt->into_clause)
			{
				check_restargets(c, n->select_stmt->target_list, n->select_stmt->n_target_list,
								 "SELECT INTO", n->select_stmt->into_clause->rel, true);
				if (n->select_stmt->into_clause->rel)
					check_qualified(c, n->select_stmt->into_clause->rel->schemaname,
									n->select_stmt->into_clause->rel->relname,
									n->select_stmt->into_clause->rel->relpersistence, "created");
				if (n->select_stmt->into_clause->rel)
					table_add(c, n->select_stmt->into_clause->rel->schemaname,
							  n->select_stmt->into_clause->rel->relname);
			}
			break;
		case NK(MERGE_STMT):
			check_merge(c, n->merge_stmt);
			break;
		case NK(UPDATE_STMT):
			check_restargets(c, n->update_stmt->target_list, n->update_stmt->n_target_list,
							 "UPDATE ... SET", n->update_stmt->relation, false);
			break;
		case NK(INSERT_STMT):
			check_restargets(c, n->insert_stmt->cols, n->insert_stmt->n_cols, "the INSERT column list",
							 n->insert_stmt->relation, false);
			if (n->insert_stmt->on_conflict_clause)
				check_restargets(c, n->insert_stmt->on_conflict_clause->target_list,
								 n->insert_stmt->on_conflict_clause->n_target_list,
								 "ON CONFLICT DO UPDATE SET", n->insert_stmt->relation, false);
			break;
		case NK(INDEX_STMT):
			{
				const PgQuery__IndexStmt *x = n->index_stmt;

				if (!x->concurrent && !table_is_new(c, x->relation))
					c->on = x->relation, emit(c, "locking.create_index_not_concurrent", "index",
						 x->relation ? x->relation->schemaname : NULL,
						 x->idxname && *x->idxname ? x->idxname : NULL, NULL,
						 "index%s%s%s is created on \"%s\" without CONCURRENTLY",
						 x->idxname && *x->idxname ? " \"" : "", x->idxname ? x->idxname : "",
						 x->idxname && *x->idxname ? "\"" : "", rvq(c, x->relation));
				/* without a name each run makes a new one: re-running cannot fail */
				if (!x->if_not_exists && x->idxname && *x->idxname)
					robust(c, "CREATE INDEX without IF NOT EXISTS", x->relation, NULL);
				if (x->idxname && *x->idxname)
				{
					GROW(c->indexes, c->nindexes, c->capindexes);
					nameidx_add(&c->indexes_by_name, x->idxname, c->nindexes);
					c->indexes[c->nindexes++] = x->idxname;
				}
				break;
			}
		case NK(DROP_STMT):
			{
				const PgQuery__DropStmt *d = n->drop_stmt;

				for (i = 0; i < d->n_objects; i++)
				{
					const PgQuery__Node *o = d->objects[i];
					size_t		k;
					bool		is_new = false;

					schema = name = NULL;
					if (o && o->node_case == NK(LIST))
						node_qualified(o->list->items, o->list->n_items, &schema, &name);
					else if (o)
						name = node_str(o);
					if (d->remove_type == OT(TABLE) && name)
					{
						is_new = table_is_new_name(c, schema, name);
						if (!is_new && !rollback_undoes(c, 't', schema, name, NULL))
							emit(c, "destructive.drop_table", "table", schema, name, NULL,
								 "table \"%s\" is dropped", qname(&c->namebuf, schema, name));
						if (!schema)
							emit(c, "robustness.unqualified_table", "table", NULL, name, NULL,
								 "table \"%s\" is dropped without a schema", name);
					}
					else if (d->remove_type == OT(INDEX) && name)
					{
						for (k = nameidx_first(&c->indexes_by_name, name); k != NO_ITEM && !is_new;
							 k = nameidx_next(&c->indexes_by_name, k))
							is_new = strcmp(c->indexes[k], name) == 0;
						if (!d->concurrent && !is_new)
							emit(c, "locking.drop_index_not_concurrent", "index", schema, name, NULL,
								 "index \"%s\" is dropped without CONCURRENTLY",
								 qname(&c->namebuf, schema, name));
					}
					else if (d->remove_type == OT(SCHEMA) && name && !rollback_undoes(c, 's', NULL, name, NULL))
						emit(c, "destructive.drop_schema", "schema", NULL, name, NULL,
							 "schema \"%s\" is dropped%s", name,
							 d->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE ? " with CASCADE" : "");
				}
				if (!d->missing_ok)
					robust(c, "DROP without IF EXISTS", NULL, NULL);
				break;
			}
		case NK(DROPDB_STMT):
			emit(c, "destructive.drop_database", "database", NULL, n->dropdb_stmt->dbname, NULL,
				 "database \"%s\" is dropped", n->dropdb_stmt->dbname);
			break;
		case NK(TRUNCATE_STMT):
			{
				/* CASCADE is a property of the statement: one finding naming
				 * its tables; a plain TRUNCATE empties each table it names */
				bool		cascade = n->truncate_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
				const PgQuery__RangeVar *first = NULL;
				struct pgw_buf names;
				size_t		nnames = 0;

				buf_init(&names);
				for (i = 0; i < n->truncate_stmt->n_relations; i++)
				{
					const PgQuery__RangeVar *rv = n->truncate_stmt->relations[i]->node_case == NK(RANGE_VAR) ?
						n->truncate_stmt->relations[i]->range_var : NULL;

					if (!rv || table_is_new(c, rv))
						continue;
					if (cascade)
					{
						buf_printf(&names, "%s\"%s\"", nnames ? ", " : "", rvq(c, rv));
						if (!first)
							first = rv;
						nnames++;
					}
					else
						emit(c, "destructive.truncate", "table", rv->schemaname, rv->relname, NULL,
							 "table \"%s\" is truncated", rvq(c, rv));
				}
				if (first)
					emit(c, "destructive.truncate_cascade", "table", first->schemaname, first->relname, NULL,
						 "%s %s %s truncated with CASCADE, which also empties every table with a foreign key to %s",
						 nnames == 1 ? "table" : "tables", names.data,
						 nnames == 1 ? "is" : "are", nnames == 1 ? "it" : "them");
				buf_release(&names);
				break;
			}
		case NK(RENAME_STMT):
			{
				const PgQuery__RenameStmt *r = n->rename_stmt;

				if (!r->relation || table_is_new(c, r->relation))
					break;
				if (r->rename_type == OT(TABLE))
					emit(c, "destructive.rename_table", "table", r->relation->schemaname, r->relation->relname,
						 NULL, "table \"%s\" is renamed to \"%s\"", rvq(c, r->relation), r->newname);
				else if (r->rename_type == OT(COLUMN))
					emit(c, "destructive.rename_column", "column", r->relation->schemaname,
						 r->relation->relname, r->subname, "column \"%s\" of \"%s\" is renamed to \"%s\"",
						 r->subname, rvq(c, r->relation), r->newname);
				break;
			}
		case NK(ALTER_TABLE_STMT):
			check_alter_table(c, n->alter_table_stmt);
			break;
		case NK(VACUUM_STMT):
			{
				bool		full = false;

				node_option_bool(n->vacuum_stmt->options, n->vacuum_stmt->n_options, "full", &full);
				if (n->vacuum_stmt->is_vacuumcmd && full)
					prefer_repack(c, emit(c, "locking.vacuum_full_or_cluster", "statement", NULL, "VACUUM FULL", NULL,
										  "VACUUM FULL rewrites %s under an ACCESS EXCLUSIVE lock",
										  n->vacuum_stmt->n_rels ? "the table" : "every table"));
				break;
			}
		case NK(CLUSTER_STMT):
			prefer_repack(c, emit(c, "locking.vacuum_full_or_cluster", "statement", NULL, "CLUSTER", NULL,
								  "CLUSTER rewrites %s under an ACCESS EXCLUSIVE lock",
								  n->cluster_stmt->relation ? "the table" : "every clustered table"));
			break;
		case NK(REINDEX_STMT):
			{
				bool		conc = false;

				node_option_bool(n->reindex_stmt->params, n->reindex_stmt->n_params, "concurrently", &conc);
				if (!conc && c->pgv >= 12 &&
					n->reindex_stmt->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM &&
					!(n->reindex_stmt->relation && table_is_new(c, n->reindex_stmt->relation)))
					emit(c, "locking.reindex_not_concurrent", "statement", NULL,
						 n->reindex_stmt->relation ? n->reindex_stmt->relation->relname : n->reindex_stmt->name,
						 NULL, "REINDEX runs without CONCURRENTLY");
				break;
			}
		case NK(ALTER_ENUM_STMT):
			{
				const PgQuery__AlterEnumStmt *e = n->alter_enum_stmt;

				if (e->new_val && *e->new_val && !(e->old_val && *e->old_val))
				{
					node_qualified(e->type_name, e->n_type_name, &schema, &name);
					if (!(e->new_val_neighbor && *e->new_val_neighbor))
						emit(c, "types.enum_value_unordered", "type", schema, name, NULL,
							 "value '%s' is added to \"%s\" without BEFORE or AFTER", e->new_val,
							 name ? name : "?");
					GROW(c->enums, c->nenums, c->capenums);
					c->enums[c->nenums].value = e->new_val;
					c->enums[c->nenums].tx = c->tx;
					c->nenums++;
				}
				break;
			}
		case NK(CREATE_DOMAIN_STMT):
			{
				const PgQuery__CreateDomainStmt *d = n->create_domain_stmt;

				node_qualified(d->domainname, d->n_domainname, &schema, &name);
				for (i = 0; i < d->n_constraints; i++)
					if (d->constraints[i]->node_case == NK(CONSTRAINT) &&
						d->constraints[i]->constraint->contype == CT(CHECK))
					{
						emit(c, "types.domain_with_constraint", "domain", schema, name, NULL,
							 "domain \"%s\" is created with a CHECK constraint", name ? name : "?");
						break;
					}
				break;
			}
		case NK(ALTER_DOMAIN_STMT):
			{
				const PgQuery__AlterDomainStmt *d = n->alter_domain_stmt;

				node_qualified(d->type_name, d->n_type_name, &schema, &name);
				if (d->subtype && d->subtype[0] == 'C' && d->def && d->def->node_case == NK(CONSTRAINT) &&
					!d->def->constraint->skip_validation)
					emit(c, "locking.domain_add_constraint", "domain", schema, name, NULL,
						 "a constraint is added to domain \"%s\" without NOT VALID", name ? name : "?");
				break;
			}
		case NK(CREATE_POLICY_STMT):
			{
				const PgQuery__CreatePolicyStmt *p = n->create_policy_stmt;

				check_policy(c, p->policy_name, p->table, p->cmd_name, p->qual, p->with_check, true);
				break;
			}
		case NK(ALTER_POLICY_STMT):
			{
				const PgQuery__AlterPolicyStmt *p = n->alter_policy_stmt;

				check_policy(c, p->policy_name, p->table, NULL, p->qual, p->with_check, false);
				break;
			}
		case NK(CREATE_FUNCTION_STMT):
			check_function(c, n->create_function_stmt);
			break;
		case NK(GRANT_STMT):
			check_grant(c, n->grant_stmt, false);
			break;
		case NK(ALTER_DEFAULT_PRIVILEGES_STMT):
			if (n->alter_default_privileges_stmt->action)
				check_grant(c, n->alter_default_privileges_stmt->action, true);
			break;
		default:
			break;
	}
}

/* ---- suppression ---------------------------------------------------------- */

struct ignore
{
	char	   *rule;
	size_t		comment;		/* index in s->comments */
	bool		whole_file;
	size_t		stmt;			/* the statement it applies to */
	bool		used;
};

/* The statement a comment applies to: the one whose last line it ends, or
 * else the next one; SIZE_MAX when none. */
static size_t
comment_target(const struct pgw_sql_script *s, const struct pgw_sql_comment *cm)
{
	size_t		lo = 0,
				hi = s->nstmts;

	/* the first statement that starts after the comment (binary search:
	 * statements are in file order) */
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (s->stmts[mid].start > cm->start)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo > 0 && cm->start < s->stmts[lo - 1].end)
		return lo - 1;			/* inside that statement */
	/* a trailing comment on the line where the previous one ends */
	if (lo > 0 && !cm->own_line)
		return lo - 1;
	if (lo < s->nstmts)
		return lo;
	return SIZE_MAX;
}

static void
collect_ignores(const struct pgw_sql_script *s, struct ignore **out, size_t *nout)
{
	size_t		i,
				cap = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < s->ncomments; i++)
	{
		const struct pgw_sql_comment *cm = &s->comments[i];
		const char *text = s->file->text + cm->start;
		size_t		len = cm->end - cm->start;
		char	   *copy = pgw_strndup(text, len);
		char	   *p = strstr(copy, "pgwarden:ignore");
		bool		whole = false;
		size_t		target;

		if (!p)
		{
			free(copy);
			continue;
		}
		p += strlen("pgwarden:ignore");
		if (strncmp(p, "-file", 5) == 0)
		{
			whole = true;
			p += 5;
		}
		target = comment_target(s, cm);
		for (;;)
		{
			size_t		n;

			p += strspn(p, " \t,");
			n = strcspn(p, " \t,\r\n*");
			if (n == 0)
				break;
			GROW(*out, *nout, cap);
			(*out)[*nout].rule = pgw_strndup(p, n);
			(*out)[*nout].comment = i;
			(*out)[*nout].whole_file = whole;
			(*out)[*nout].stmt = target;
			(*out)[*nout].used = false;
			(*nout)++;
			p += n;
			if (*p == '*' || *p == '\r' || *p == '\n')
				break;
		}
		free(copy);
	}
}

static void
apply_suppression(struct lctx *c)
{
	struct ignore *ig;
	size_t		nig;
	size_t		i,
				k;

	collect_ignores(c->s, &ig, &nig);
	for (i = c->first; i < c->out->n; i++)
	{
		struct pgw_finding *f = &c->out->items[i];
		size_t		st = c->fstmt[i - c->first];

		for (k = 0; k < nig; k++)
			if (strcmp(ig[k].rule, f->rule) == 0 && (ig[k].whole_file || ig[k].stmt == st))
			{
				f->suppressed = true;
				ig[k].used = true;
			}
		if (c->o->ignore && strlist_contains(c->o->ignore, f->rule))
			f->suppressed = true;
	}
	for (k = 0; k < nig; k++)
	{
		const struct pgw_sql_comment *cm = &c->s->comments[ig[k].comment];
		struct pgw_finding *f = NULL;
		bool		known = lint_rule_find(ig[k].rule) != NULL;

		if (!ig[k].used || !known)
		{
			f = findings_add(c->out, "lint.unused_ignore", PGW_SEV_WARNING, "lint",
							 known ? "this pgwarden:ignore comment silenced nothing" :
							 "this pgwarden:ignore comment names no rule");
			{
				struct pgw_buf d;
				int			line,
							col;

				buf_init(&d);
				buf_printf(&d, "rule \"%s\"%s", ig[k].rule,
						   known ? " found nothing to silence here" : " does not exist (see docs/lint-rules.md)");
				finding_set_detail(c->out, f, d.data);
				buf_release(&d);
				finding_set_object(c->out, f, "rule", NULL, ig[k].rule, NULL);
				finding_set_hint(c->out, f, lint_rule_find("lint.unused_ignore")->hint);
				sqlfile_position(c->s->file, cm->start, &line, &col);
				finding_set_location(c->out, f, c->s->file->name, line, col);
			}
			if (c->o->ignore && strlist_contains(c->o->ignore, "lint.unused_ignore"))
				f->suppressed = true;
		}
		free(ig[k].rule);
	}
	free(ig);
}

/* The tables the file enables row level security on, wherever it does. */
static void
collect_rls(struct lctx *c)
{
	size_t		i,
				j,
				cap = 0;

	for (i = 0; i < c->s->nstmts; i++)
	{
		const PgQuery__Node *m = c->s->stmts[i].node;

		if (!m || m->node_case != NK(ALTER_TABLE_STMT) || !m->alter_table_stmt->relation)
			continue;
		for (j = 0; j < m->alter_table_stmt->n_cmds; j++)
			if (m->alter_table_stmt->cmds[j]->node_case == NK(ALTER_TABLE_CMD) &&
				m->alter_table_stmt->cmds[j]->alter_table_cmd->subtype == AT(EnableRowSecurity))
			{
				GROW(c->rls, c->nrls, cap);
				c->rls[c->nrls].schema = m->alter_table_stmt->relation->schemaname;
				c->rls[c->nrls].name = m->alter_table_stmt->relation->relname;
				nameidx_add(&c->rls_by_name, c->rls[c->nrls].name, c->nrls);
				c->nrls++;
			}
	}
}


/* Whether the rules need the tree of a deferred data statement: only for
 * what they look at in INSERT and SELECT, and only when it can matter. */
static bool
needs_tree(const struct lctx *c, const struct pgw_sql_stmt *st)
{
	const char *t = c->s->file->text + st->start;
	size_t		n = st->end - st->start;
	size_t		i,
				w = 0;
	char		words[64][64];

	if (c->nenums > 0)
		return true;			/* a value added earlier may be used here */
	if (st->first_token == PG_QUERY__TOKEN__SELECT)
		return st->has_into;
	if (st->first_token != PG_QUERY__TOKEN__INSERT)
		return false;
	if (st->has_conflict)
		return true;
	/* a repeated word before the first ')': maybe a repeated column */
	for (i = 0; i < n && t[i] != ')' && w < 64;)
	{
		size_t		j = i,
					k;

		while (j < n && (isalnum((unsigned char) t[j]) || t[j] == '_' || t[j] == '"' ||
						 t[j] == '$' || ((unsigned char) t[j] & 0x80)))
			j++;
		if (j == i)
		{
			i++;
			continue;
		}
		if (j - i < sizeof(words[0]))
		{
			for (k = 0; k < j - i; k++)
				words[w][k] = (char) tolower((unsigned char) t[i + k]);
			words[w][j - i] = '\0';
			for (k = 0; k < w; k++)
				if (strcmp(words[k], words[w]) == 0)
					return true;
			w++;
		}
		else
			return true;		/* long words: let the parser decide */
		i = j;
	}
	return w >= 64;
}

size_t
lint_script(struct pgw_sql_script *s, const struct pgw_lint_options *o,
			struct pgw_findings *out)
{
	struct lctx c;
	size_t		i;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.o = o;
	c.out = out;
	c.first = out->n;
	c.pgv = o->pg_version > 0 ? o->pg_version : 15;
	c.explicit_begin = SIZE_MAX;
	switch (o->tx_mode)
	{
		case PGW_LINT_TX_AUTO:
			c.in_tx = sql_script_can_wrap(s);
			break;
		case PGW_LINT_TX_ALWAYS:
			c.in_tx = true;
			break;
		case PGW_LINT_TX_NEVER:
			c.in_tx = false;
			break;
	}
	c.wrapped = c.in_tx;
	c.tool_tx = o->tx_mode == PGW_LINT_TX_ALWAYS;
	c.next_tx = 1;
	c.at = -1;
	buf_init(&c.namebuf);
	nameidx_init(&c.tables_by_name, s->nstmts);
	nameidx_init(&c.indexes_by_name, s->nstmts);
	nameidx_init(&c.cons_by_name, s->nstmts);
	nameidx_init(&c.cons_by_table, s->nstmts);
	nameidx_init(&c.rls_by_name, s->nstmts);
	nameidx_init(&c.fwd_by_name, o->forward ? o->forward->nstmts : 1);
	if (o->rollback && o->forward)
		fwd_collect(&c, o->forward);
	collect_rls(&c);
	for (i = 0; i < s->nstmts; i++)
	{
		if (s->stmts[i].deferred && needs_tree(&c, &s->stmts[i]))
			sql_script_tree(s, i);
		if (!s->stmts[i].node && !s->stmts[i].deferred)
			continue;			/* did not parse */
		c.idx = i;
		check_statement(&c, &s->stmts[i]);
	}
	if (c.explicit_begin != SIZE_MAX && c.in_tx)
	{
		c.idx = c.explicit_begin;
		emit(&c, "robustness.uncommitted_transaction", "transaction", NULL, NULL, NULL,
			 "this BEGIN is never committed: the file ends inside the transaction");
	}
	apply_suppression(&c);
	buf_release(&c.namebuf);
	nameidx_release(&c.tables_by_name);
	nameidx_release(&c.indexes_by_name);
	nameidx_release(&c.cons_by_name);
	nameidx_release(&c.cons_by_table);
	nameidx_release(&c.rls_by_name);
	nameidx_release(&c.fwd_by_name);
	free(c.fwd);
	free(c.rls);
	free(c.fstmt);
	free(c.tables);
	free(c.indexes);
	free(c.cons);
	free(c.enums);
	free(c.keycols);
	return out->n - c.first;
}
