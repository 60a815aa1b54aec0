/*
 * tenant.c — tenancy facts read off the schema model (check/tenant.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <pg_query.h>

#include "check/tenant.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

bool
tenancy_is_managed_table(const struct pgw_relation *rel)
{
	return rel->obj.managed && rel->obj.kind == PGW_KIND_TABLE &&
		(rel->relkind == 'r' || rel->relkind == 'p') && rel->parent_name == NULL;
}

struct pgw_relation *
tenancy_find_relation(const struct pgw_model *m, const char *schema, const char *name)
{
	struct pgw_relation *fallback = NULL;

	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *r = m->relations.items[i];

		if (strcmp(r->obj.name, name) != 0)
			continue;
		if (schema)
		{
			if (strcmp(r->obj.schema, schema) == 0)
				return r;
		}
		else if (r->obj.managed)
			return r;
		else if (!fallback)
			fallback = r;
	}
	return schema ? NULL : fallback;
}

struct pgw_relation *
tenancy_resolve_table(const struct pgw_model *m, const char *arg)
{
	struct pgw_relation *r = tenancy_find_relation(m, NULL, arg);
	const char *dot;

	if (r || !(dot = strchr(arg, '.')))
		return r;
	{
		char		schema[256];
		size_t		n = (size_t) (dot - arg);

		if (n >= sizeof(schema))
			return NULL;
		memcpy(schema, arg, n);
		schema[n] = '\0';
		return tenancy_find_relation(m, schema, dot + 1);
	}
}

const char *
tenancy_table_arg(const struct pgw_model *m, const struct pgw_relation *rel)
{
	struct pgw_buf b;
	const char *s;

	if (strcmp(rel->obj.schema, "public") == 0)
		return rel->obj.name;
	buf_init(&b);
	buf_printf(&b, "%s.%s", rel->obj.schema, rel->obj.name);
	s = model_strdup((struct pgw_model *) m, b.data);
	buf_release(&b);
	return s;
}

bool
tenancy_has_column(const struct pgw_tenancy *t, const struct pgw_relation *rel)
{
	return t->column && *t->column && model_find_column(rel, t->column) != NULL;
}

const struct pgw_constraint *
tenancy_column_fk(const struct pgw_relation *rel, const char *col)
{
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];

		if (c->type == PGW_CON_FOREIGN && c->columns.n == 1 &&
			strcmp(c->columns.items[0], col) == 0)
			return c;
	}
	return NULL;
}

const char *
tenancy_single_pk(const struct pgw_relation *rel)
{
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];

		if (c->type == PGW_CON_PRIMARY)
			return c->columns.n == 1 ? c->columns.items[0] : NULL;
	}
	return NULL;
}

void
tenancy_init(struct pgw_tenancy *t, const struct pgw_model *m, const struct pgw_config *cfg)
{
	size_t		best = 0;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->cfg = cfg;
	t->column = cfg->tenant_column;
	t->key_type = "uuid";
	if (!t->column || !*t->column)
		return;
	/* the table most tenant-column foreign keys reference */
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *cand = m->relations.items[i];
		size_t		votes = 0;
		const char *key = NULL;

		if (!tenancy_is_managed_table(cand))
			continue;
		for (size_t j = 0; j < m->relations.n; j++)
		{
			const struct pgw_relation *r = m->relations.items[j];
			const struct pgw_constraint *fk;

			if (!tenancy_is_managed_table(r) || !(fk = tenancy_column_fk(r, t->column)))
				continue;
			if (strcmp(fk->ref_schema, cand->obj.schema) == 0 &&
				strcmp(fk->ref_table, cand->obj.name) == 0 && fk->ref_columns.n == 1)
			{
				votes++;
				key = fk->ref_columns.items[0];
			}
		}
		if (votes > best)
		{
			best = votes;
			t->tenants = cand;
			t->tenants_key = key;
		}
	}
	if (!t->tenants)
	{
		struct pgw_relation *r = tenancy_find_relation(m, NULL, "tenants");

		if (r && tenancy_is_managed_table(r))
		{
			t->tenants = r;
			t->tenants_key = tenancy_single_pk(r);
		}
	}
	if (t->tenants && t->tenants_key)
	{
		const struct pgw_column *c = model_find_column(t->tenants, t->tenants_key);

		if (c)
			t->key_type = c->type;
	}
	else
	{
		/* no tenants table: the type the tables' tenant columns have (the
		 * policies compare the column with the setting cast to it) */
		for (size_t i = 0; i < m->relations.n; i++)
		{
			const struct pgw_relation *r = m->relations.items[i];
			const struct pgw_column *c;

			if (tenancy_is_managed_table(r) && (c = model_find_column(r, t->column)) != NULL)
			{
				t->key_type = c->type;
				break;
			}
		}
	}
}

/* FKs to tenant-owned tables, NOT NULL columns first. */
static const struct pgw_constraint *
fk_to_owned(const struct pgw_tenancy *t, const struct pgw_relation *rel, bool skip_tenant_col)
{
	const struct pgw_constraint *nullable = NULL;

	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];
		const struct pgw_relation *parent;
		const struct pgw_column *col;

		if (c->type != PGW_CON_FOREIGN || c->columns.n != 1 || c->ref_columns.n != 1)
			continue;
		if (skip_tenant_col && strcmp(c->columns.items[0], t->column) == 0)
			continue;
		parent = tenancy_find_relation(t->m, c->ref_schema, c->ref_table);
		if (!parent || parent == rel || parent == t->tenants || !tenancy_is_managed_table(parent) ||
			!tenancy_has_column(t, parent))
			continue;
		col = model_find_column(rel, c->columns.items[0]);
		if (col && col->not_null)
			return c;
		if (!nullable)
			nullable = c;
	}
	return nullable;
}

const struct pgw_constraint *
tenancy_parent_fk(const struct pgw_tenancy *t, const struct pgw_relation *rel)
{
	if (!t->column || !*t->column || rel == t->tenants || tenancy_has_column(t, rel))
		return NULL;
	return fk_to_owned(t, rel, false);
}

const struct pgw_constraint *
tenancy_backfill_fk(const struct pgw_tenancy *t, const struct pgw_relation *rel)
{
	if (!tenancy_has_column(t, rel))
		return NULL;
	return fk_to_owned(t, rel, true);
}

/* word-bounded, case-insensitive search */
static bool
mentions(const char *hay, const char *word)
{
	size_t		n = strlen(word);

	if (!n)
		return false;
	for (const char *p = hay; (p = strcasestr(p, word)) != NULL; p++)
	{
		bool		left = p == hay || !(isalnum((unsigned char) p[-1]) || p[-1] == '_');
		bool		right = !(isalnum((unsigned char) p[n]) || p[n] == '_');

		if (left && right)
			return true;
	}
	return false;
}

bool
tenancy_expr_is_true(const char *expr)
{
	while (expr && (*expr == '(' || *expr == ' '))
		expr++;
	return expr && strncasecmp(expr, "true", 4) == 0 &&
		strspn(expr + 4, ") ") == strlen(expr + 4);
}

bool
tenancy_expr_isolates(const struct pgw_tenancy *t, const char *expr)
{
	if (!expr || tenancy_expr_is_true(expr))
		return false;
	if (t->column && mentions(expr, t->column))
		return true;
	if (t->cfg->tenant_setting && *t->cfg->tenant_setting && strstr(expr, t->cfg->tenant_setting))
		return true;
	return strstr(expr, "auth.uid()") != NULL || strstr(expr, "auth.jwt()") != NULL;
}

const char *
tenancy_policy_command(char cmd)
{
	switch (cmd)
	{
		case 'r':
			return "SELECT";
		case 'a':
			return "INSERT";
		case 'w':
			return "UPDATE";
		case 'd':
			return "DELETE";
		default:
			return "ALL";
	}
}

/*
 * What an expression is worth for the anon role, where auth.uid() is NULL,
 * auth.role() is 'anon' and auth.jwt() carries no claim but role, iss,
 * ref, iat and exp (an anon key's).  Read off the parse tree (JSON) of
 * pg_get_expr's text: AV_NULL and AV_FALSE are "never true", which is all
 * the policy check needs; AV_TEXT is a known text value; anything the walk
 * does not understand is AV_UNKNOWN (could be true).
 */
enum anon_kind
{
	AV_UNKNOWN,
	AV_NULL,
	AV_FALSE,
	AV_TEXT,
	AV_JWT
};

struct anon_val
{
	enum anon_kind k;
	const char *text;			/* AV_TEXT */
};

static const struct anon_val av_unknown = {AV_UNKNOWN, NULL};

static struct anon_val anon_eval(json_t *node);

static bool
av_never(struct anon_val v)
{
	return v.k == AV_NULL || v.k == AV_FALSE;
}

static const char *
sval(json_t *string_node)
{
	return json_string_value(json_object_get(json_object_get(string_node, "String"), "sval"));
}

/* The last name of a list of String nodes, and the one before (schema). */
static const char *
last_name(json_t *names, const char **schema)
{
	size_t		n = json_array_size(names);

	*schema = n >= 2 ? sval(json_array_get(names, n - 2)) : NULL;
	return n ? sval(json_array_get(names, n - 1)) : NULL;
}

/* Functions that may return non-NULL for a NULL argument. */
static bool
non_strict(const char *fn)
{
	static const char *const names[] = {
		"concat", "concat_ws", "format", "num_nulls", "num_nonnulls", "coalesce",
		"json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
		"to_json", "to_jsonb", "array_append", "array_prepend", "array_cat", "row", "nullif",
		"greatest", "least"
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcasecmp(fn, names[i]) == 0)
			return true;
	return false;
}

static struct anon_val
anon_func(json_t *fc)
{
	const char *schema;
	const char *fn = last_name(json_object_get(fc, "funcname"), &schema);
	json_t	   *args = json_object_get(fc, "args");
	size_t		i;
	json_t	   *a;

	if (!fn)
		return av_unknown;
	if (schema && strcmp(schema, "auth") == 0 && json_array_size(args) == 0)
	{
		if (strcmp(fn, "uid") == 0 || strcmp(fn, "email") == 0)
			return (struct anon_val) {AV_NULL, NULL};
		if (strcmp(fn, "role") == 0)
			return (struct anon_val) {AV_TEXT, "anon"};
		if (strcmp(fn, "jwt") == 0)
			return (struct anon_val) {AV_JWT, NULL};
		return av_unknown;
	}
	if (non_strict(fn) || json_object_get(fc, "agg_star") || json_object_get(fc, "over"))
		return av_unknown;
	json_array_foreach(args, i, a)
	{
		if (anon_eval(a).k == AV_NULL)
			return (struct anon_val) {AV_NULL, NULL};
	}
	return av_unknown;
}

static struct anon_val
anon_op(json_t *e)
{
	const char *kind = json_string_value(json_object_get(e, "kind"));
	const char *schema;
	const char *op = last_name(json_object_get(e, "name"), &schema);
	struct anon_val l = anon_eval(json_object_get(e, "lexpr"));
	struct anon_val r;

	if (!kind || !op)
		return av_unknown;
	if (strcmp(kind, "AEXPR_IN") == 0 || strcmp(kind, "AEXPR_OP_ANY") == 0 || strcmp(kind, "AEXPR_OP_ALL") == 0)
		return l.k == AV_NULL ? (struct anon_val) {AV_NULL, NULL} : av_unknown;
	if (strcmp(kind, "AEXPR_OP") != 0)
		return av_unknown;		/* IS DISTINCT FROM and the like see NULLs */
	r = anon_eval(json_object_get(e, "rexpr"));
	if (l.k == AV_JWT && (strcmp(op, "->>") == 0 || strcmp(op, "->") == 0))
	{
		static const char *const claims[] = {"iss", "ref", "iat", "exp"};

		if (r.k != AV_TEXT)
			return av_unknown;
		if (strcmp(r.text, "role") == 0)
			return strcmp(op, "->>") == 0 ? (struct anon_val) {AV_TEXT, "anon"} : av_unknown;
		for (size_t i = 0; i < sizeof(claims) / sizeof(*claims); i++)
			if (strcmp(r.text, claims[i]) == 0)
				return av_unknown;
		return (struct anon_val) {AV_NULL, NULL};	/* sub, email, app_metadata ... */
	}
	if (l.k == AV_NULL || r.k == AV_NULL)
		return (struct anon_val) {AV_NULL, NULL};	/* operators are strict */
	if (l.k == AV_TEXT && r.k == AV_TEXT)
	{
		if (strcmp(op, "=") == 0 && strcmp(l.text, r.text) != 0)
			return (struct anon_val) {AV_FALSE, NULL};
		if ((strcmp(op, "<>") == 0 || strcmp(op, "!=") == 0) && strcmp(l.text, r.text) == 0)
			return (struct anon_val) {AV_FALSE, NULL};
	}
	return av_unknown;
}

static struct anon_val
anon_sublink(json_t *sl)
{
	const char *type = json_string_value(json_object_get(sl, "subLinkType"));
	json_t	   *sel = json_object_get(json_object_get(sl, "subselect"), "SelectStmt");
	bool		empty = sel && av_never(anon_eval(json_object_get(sel, "whereClause")));

	if (!type || !sel)
		return av_unknown;
	if (strcmp(type, "EXISTS_SUBLINK") == 0)
		return empty ? (struct anon_val) {AV_FALSE, NULL} : av_unknown;
	if (strcmp(type, "ANY_SUBLINK") == 0)
		/* NULL IN (...) and x IN (no rows) are never true */
		return empty || anon_eval(json_object_get(sl, "testexpr")).k == AV_NULL
			? (struct anon_val) {AV_FALSE, NULL} : av_unknown;
	if (strcmp(type, "EXPR_SUBLINK") == 0 && json_array_size(json_object_get(sel, "targetList")) == 1)
	{
		json_t	   *rt = json_object_get(json_array_get(json_object_get(sel, "targetList"), 0), "ResTarget");
		struct anon_val v = anon_eval(json_object_get(rt, "val"));

		/* no row or a NULL column: NULL either way */
		if (empty || v.k == AV_NULL)
			return (struct anon_val) {AV_NULL, NULL};
		if (!json_object_get(sel, "fromClause"))
			return v;
	}
	return av_unknown;
}

static struct anon_val
anon_eval(json_t *node)
{
	json_t	   *x;

	if (!node)
		return av_unknown;
	if ((x = json_object_get(node, "FuncCall")) != NULL)
		return anon_func(x);
	if ((x = json_object_get(node, "A_Expr")) != NULL)
		return anon_op(x);
	if ((x = json_object_get(node, "TypeCast")) != NULL)
		return anon_eval(json_object_get(x, "arg"));
	if ((x = json_object_get(node, "SubLink")) != NULL)
		return anon_sublink(x);
	if ((x = json_object_get(node, "A_Const")) != NULL)
	{
		if (json_is_true(json_object_get(x, "isnull")))
			return (struct anon_val) {AV_NULL, NULL};
		if (json_object_get(x, "sval"))
			return (struct anon_val) {AV_TEXT, json_string_value(json_object_get(json_object_get(x, "sval"), "sval"))};
		return av_unknown;
	}
	if ((x = json_object_get(node, "NullTest")) != NULL)
	{
		const char *t = json_string_value(json_object_get(x, "nulltesttype"));

		if (t && strcmp(t, "IS_NOT_NULL") == 0 && anon_eval(json_object_get(x, "arg")).k == AV_NULL)
			return (struct anon_val) {AV_FALSE, NULL};
		return av_unknown;
	}
	if ((x = json_object_get(node, "BoolExpr")) != NULL)
	{
		const char *op = json_string_value(json_object_get(x, "boolop"));
		json_t	   *args = json_object_get(x, "args");
		size_t		i;
		json_t	   *a;
		size_t		never = 0;

		if (!op)
			return av_unknown;
		json_array_foreach(args, i, a)
		{
			struct anon_val v = anon_eval(a);

			if (strcmp(op, "NOT_EXPR") == 0)
				return v.k == AV_NULL ? v : av_unknown;
			if (av_never(v))
				never++;
		}
		if (strcmp(op, "AND_EXPR") == 0 && never > 0)
			return (struct anon_val) {AV_FALSE, NULL};
		if (strcmp(op, "OR_EXPR") == 0 && never == json_array_size(args) && never > 0)
			return (struct anon_val) {AV_FALSE, NULL};
		return av_unknown;
	}
	return av_unknown;
}

bool
tenancy_expr_never_for_anon(const char *expr)
{
	char	   *q;
	PgQueryParseResult pr;
	json_t	   *tree;
	bool		never = false;

	if (!expr || !*expr)
		return false;
	q = pgw_asprintf("SELECT 1 WHERE (%s)", expr);
	pr = pg_query_parse(q);
	free(q);
	if (!pr.error && pr.parse_tree && (tree = json_loads(pr.parse_tree, 0, NULL)) != NULL)
	{
		json_t	   *stmts = json_object_get(tree, "stmts");
		json_t	   *sel = json_object_get(json_object_get(json_object_get(json_array_get(stmts, 0), "stmt"),
														   "SelectStmt"), "whereClause");

		if (json_array_size(stmts) == 1)
			never = av_never(anon_eval(sel));
		json_decref(tree);
	}
	pg_query_free_parse_result(pr);
	return never;
}

/* Whether the anon role can write a row through permissive policy p: the
 * expression that gates each command it covers can be true for anon. */
static bool
anon_can_write(const struct pgw_policy *p)
{
	bool		using_never = tenancy_expr_never_for_anon(p->using_expr);
	bool		check_never = p->check_expr ? tenancy_expr_never_for_anon(p->check_expr) : using_never;

	switch (p->command)
	{
		case 'a':
			return !tenancy_expr_never_for_anon(p->check_expr);
		case 'w':
			return !using_never && !check_never;
		case 'd':
			return !using_never;
		default:
			/* ALL: a DELETE needs USING, an INSERT the check (or USING) */
			return !using_never || !check_never;
	}
}

bool
tenancy_owner_column(const struct pgw_relation *rel)
{
	static const char *const names[] = {"user_id", "owner_id", "owner", "created_by", "author_id"};

	for (size_t i = 0; i < rel->columns.n; i++)
	{
		const struct pgw_column *c = rel->columns.items[i];

		for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++)
			if (strcmp(c->obj.name, names[k]) == 0)
				return true;
	}
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];

		if (c->type == PGW_CON_FOREIGN && c->ref_schema && c->ref_table &&
			strcmp(c->ref_schema, "auth") == 0 && strcmp(c->ref_table, "users") == 0)
			return true;
	}
	return false;
}

const char *
tenancy_policy_weakness(const struct pgw_tenancy *t, const struct pgw_relation *rel,
						const struct pgw_policy *p)
{
	bool		writes = p->command != 'r';

	/* a catalogue everyone may read (products, prices, settings): a read-only
	 * policy on a table with no tenant column (nor a parent that has one)
	 * and no owner column is the pattern */
	if (!writes && !tenancy_has_column(t, rel) && !tenancy_parent_fk(t, rel) && !tenancy_owner_column(rel))
		return NULL;
	if (tenancy_expr_is_true(p->using_expr) || tenancy_expr_is_true(p->check_expr))
		return "its expression is the constant true: every row of every tenant passes";
	if (p->permissive && tenancy_has_column(t, rel) &&
		!tenancy_expr_isolates(t, p->using_expr) && !tenancy_expr_isolates(t, p->check_expr))
		return "it mentions neither the tenant column, the tenant setting nor auth.uid()";
	if (writes && p->permissive)
		for (size_t i = 0; i < p->roles.n; i++)
			if ((strcmp(p->roles.items[i], "public") == 0 || strcmp(p->roles.items[i], "anon") == 0) &&
				anon_can_write(p))
				return "it lets anonymous users write";
	return NULL;
}

struct pgw_relation *
tenancy_guess_reference(const struct pgw_model *m, const struct pgw_relation *rel,
						const struct pgw_column *col)
{
	const char *name = col->obj.name;
	size_t		n = strlen(name);
	char		base[128];
	char		cand[4][140];

	if (n <= 3 || n - 3 >= sizeof(base) || strcmp(name + n - 3, "_id") != 0)
		return NULL;
	memcpy(base, name, n - 3);
	base[n - 3] = '\0';
	snprintf(cand[0], sizeof(cand[0]), "%s", base);
	snprintf(cand[1], sizeof(cand[1]), "%ss", base);
	snprintf(cand[2], sizeof(cand[2]), "%ses", base);
	if (n - 3 > 1 && base[n - 4] == 'y')
		snprintf(cand[3], sizeof(cand[3]), "%.*sies", (int) (n - 4), base);
	else
		cand[3][0] = '\0';
	for (int k = 0; k < 4; k++)
	{
		struct pgw_relation *ref;
		const char *pk;
		const struct pgw_column *pkcol;

		if (!cand[k][0])
			continue;
		ref = tenancy_find_relation(m, rel->obj.schema, cand[k]);
		if (!ref)
			ref = tenancy_find_relation(m, NULL, cand[k]);
		if (!ref || ref == rel || !tenancy_is_managed_table(ref) || !(pk = tenancy_single_pk(ref)))
			continue;
		pkcol = model_find_column(ref, pk);
		if (pkcol && strcmp(pkcol->type, col->type) == 0)
			return ref;
	}
	return NULL;
}

/* --- names the user got wrong ---------------------------------------------- */

#define TENANCY_LIST_MAX 40

/*
 * Records the error for an unknown name: detail "LABEL: a, b, c" (at most
 * TENANCY_LIST_MAX, then how many more), hint the nearest of match[] (the
 * spelling compared with the word) shown as shown[], else fallback_hint.
 */
static int
unknown_name(const char *word, const char *const *match, const char *const *shown, size_t n,
			 const char *label, const char *fallback_hint)
{
	const char *close = text_closest(word, match, n);
	struct pgw_buf b;

	buf_init(&b);
	for (size_t i = 0; i < n && i < TENANCY_LIST_MAX; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", shown[i]);
	if (n > TENANCY_LIST_MAX)
		buf_printf(&b, " and %zu more", n - TENANCY_LIST_MAX);
	if (n)
		pgw_error_detail("%s: %s", label, b.data);
	for (size_t i = 0; close && i < n; i++)
		if (match[i] == close)
		{
			pgw_error_hint("did you mean '%s'?", shown[i]);
			break;
		}
	if (!close)
		pgw_error_hint("%s", fallback_hint);
	buf_release(&b);
	return -1;
}

int
tenancy_unknown_table(const struct pgw_model *m, const char *arg)
{
	const char **match = pgw_calloc(m->relations.n + 1, sizeof(char *));
	const char **shown = pgw_calloc(m->relations.n + 1, sizeof(char *));
	bool		qualified = strchr(arg, '.') != NULL;
	size_t		n = 0;

	pgw_error(PGW_ERR_USAGE, "table '%s' does not exist", arg);
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *r = m->relations.items[i];

		if (!tenancy_is_managed_table(r))
			continue;
		/* "vehicle" is compared with "vehicles", "fleet.vehicle" with
		 * "fleet.vehicles"; shown as the argument that names it */
		shown[n] = tenancy_table_arg(m, r);
		match[n] = qualified ? pgw_asprintf("%s.%s", r->obj.schema, r->obj.name) : r->obj.name;
		n++;
	}
	unknown_name(arg, match, shown, n, "the tables of the managed schemas",
				 n ? "name one of these tables, or schema.table"
				 : "the managed schemas (config: schemas) hold no table");
	for (size_t i = 0; qualified && i < n; i++)
		free((char *) match[i]);
	free(match);
	free(shown);
	return -1;
}

int
tenancy_unknown_column(const struct pgw_relation *rel, const char *column)
{
	const char **names = pgw_calloc(rel->columns.n + 1, sizeof(char *));

	pgw_error(PGW_ERR_USAGE, "table '%s' has no column '%s'", rel->obj.name, column);
	for (size_t i = 0; i < rel->columns.n; i++)
		names[i] = ((const struct pgw_column *) rel->columns.items[i])->obj.name;
	unknown_name(column, names, names, rel->columns.n, "its columns",
				 "name one of its columns");
	free(names);
	return -1;
}
