/*
 * typescript.c — the TypeScript generator behind `pgwarden gen types`
 * (typescript.h).
 *
 * One walk over the model.  Column and argument types come as
 * format_type() text ("character varying(40)[]", "other.status"); they are
 * resolved here: array suffixes and type modifiers dropped, built-in names
 * mapped the way postgres-meta maps them, user types looked up in the model
 * (enums, composites, table and view row types; domains resolved to their
 * base type, recursively).  Function arguments and results come from
 * pg_get_function_arguments() / pg_get_function_result() text, split at
 * top-level commas.
 *
 * Order follows postgres-meta: schemas, relations, columns, functions and
 * arguments by name in JavaScript localeCompare order (approximated:
 * case-insensitive ASCII, lower case first on a tie, then bytes);
 * composite attributes and TABLE(...) result columns in their declared
 * order; enum labels in sort order.
 *
 * Keys and string literals are written the way prettier writes them, so the
 * output matches the Supabase CLI's token for token: bare when a valid
 * identifier, else double-quoted (single-quoted when the text has double
 * quotes and no single ones).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen/typescript.h"
#include "util/error.h"

/* ---- names ---- */

static int
locale_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *) a;
	const unsigned char *y = (const unsigned char *) b;
	int			tie = 0;

	for (; *x && *y; x++, y++)
	{
		int			lx = *x < 128 ? tolower(*x) : *x;
		int			ly = *y < 128 ? tolower(*y) : *y;

		if (lx != ly)
			return lx < ly ? -1 : 1;
		if (!tie && *x != *y)
			tie = islower(*x) ? -1 : 1;
	}
	if (*x || *y)
		return *x ? 1 : -1;
	return tie;
}

static bool
is_identifier(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	if (!*p || isdigit(*p))
		return false;
	for (; *p; p++)
		if (!(isalnum(*p) || *p == '_' || *p == '$' || *p >= 128))
			return false;
	return true;
}

/* A string literal as prettier writes it. */
static void
put_string(struct pgw_buf *b, const char *s)
{
	char		q = (strchr(s, '"') && !strchr(s, '\'')) ? '\'' : '"';

	buf_append_char(b, q);
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if (*p == (unsigned char) q || *p == '\\')
		{
			buf_append_char(b, '\\');
			buf_append_char(b, (char) *p);
		}
		else if (*p == '\n')
			buf_append(b, "\\n");
		else if (*p == '\r')
			buf_append(b, "\\r");
		else if (*p == '\t')
			buf_append(b, "\\t");
		else if (*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_append_char(b, (char) *p);
	}
	buf_append_char(b, q);
}

static void
put_key(struct pgw_buf *b, const char *s)
{
	if (is_identifier(s))
		buf_append(b, s);
	else
		put_string(b, s);
}

/* Database["s"]["Kind"]["n"] */
static void
put_ref(struct pgw_buf *b, const char *schema, const char *kind, const char *name)
{
	buf_append(b, "Database[");
	put_string(b, schema);
	buf_printf(b, "][\"%s\"][", kind);
	put_string(b, name);
	buf_append(b, "]");
}

static void
indent(struct pgw_buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_append(b, "  ");
}

/* ---- the walk's state ---- */

/* (schema, name) → object, open addressing; built once per run, so a
 * column's type is found in O(1) whatever the schema's size. */
struct namemap
{
	const struct pgw_object **slots;
	size_t		cap;			/* a power of two */
};

static size_t
name_hash(const char *schema, const char *name)
{
	size_t		h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *) schema; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static void
namemap_build(struct pgw_arena *a, struct namemap *map, const struct pgw_vec *objs)
{
	map->cap = 16;
	while (map->cap < objs->n * 2 + 1)
		map->cap *= 2;
	map->slots = arena_alloc(a, map->cap * sizeof(*map->slots));
	memset(map->slots, 0, map->cap * sizeof(*map->slots));
	for (size_t i = 0; i < objs->n; i++)
	{
		const struct pgw_object *o = objs->items[i];
		size_t		h = name_hash(o->schema, o->name) & (map->cap - 1);

		while (map->slots[h])
			h = (h + 1) & (map->cap - 1);
		map->slots[h] = o;
	}
}

static const struct pgw_object *
namemap_get(const struct namemap *map, const char *schema, const char *name)
{
	size_t		h = name_hash(schema, name) & (map->cap - 1);

	for (; map->slots[h]; h = (h + 1) & (map->cap - 1))
		if (strcmp(map->slots[h]->name, name) == 0 && strcmp(map->slots[h]->schema, schema) == 0)
			return map->slots[h];
	return NULL;
}

/* A view that depends on a table: a relationship to the table can be
 * repeated through it (view_exposes). */
struct view_dep
{
	const struct pgw_object *table;
	const struct pgw_relation *view;
};

/* A function of one argument and the row type it takes: a candidate
 * computed field. */
struct one_arg_fn
{
	const struct pgw_function *f;
	const char *schema;			/* of the argument's type */
	const char *name;
};

struct gen
{
	const struct pgw_model *m;
	const struct pgw_gen_opts *o;
	struct pgw_buf *b;
	struct pgw_arena scratch;
	struct pgw_vec schemas;		/* char *, sorted */
	struct namemap types;
	struct namemap relations;
	struct pgw_vec one_arg;		/* struct one_arg_fn * */
	struct pgw_vec views;		/* the model's views */
	struct view_dep *view_deps;	/* (table, view that depends on it), by table */
	size_t		nview_deps;
};

static bool
schema_wanted(const struct gen *g, const char *schema)
{
	for (size_t i = 0; i < g->schemas.n; i++)
		if (strcmp(g->schemas.items[i], schema) == 0)
			return true;
	return false;
}

/*
 * Splits a format_type() name into schema and name: "other.status",
 * "\"Odd\".\"T\"", "mood".  An unqualified name is visible on the search
 * path: public first, then pg_catalog (NULL schema).
 */
static void
split_qualified(struct pgw_arena *a, const char *s, const char **schema, const char **name)
{
	char	   *parts[2] = {NULL, NULL};
	int			np = 0;
	const char *p = s;

	while (*p && np < 2)
	{
		struct pgw_buf part;

		buf_init(&part);
		if (*p == '"')
		{
			for (p++; *p; p++)
			{
				if (*p == '"' && p[1] == '"')
					buf_append_char(&part, *p++);
				else if (*p == '"')
				{
					p++;
					break;
				}
				else
					buf_append_char(&part, *p);
			}
		}
		else
			while (*p && *p != '.')
				buf_append_char(&part, *p++);
		parts[np++] = arena_strdup(a, part.data ? part.data : "");
		buf_release(&part);
		if (*p == '.')
			p++;
		else
			break;
	}
	if (np == 2)
	{
		*schema = parts[0];
		*name = parts[1];
	}
	else
	{
		*schema = NULL;
		*name = parts[0] ? parts[0] : "";
	}
}

static const struct pgw_type *
find_type(const struct gen *g, const char *schema, const char *name)
{
	return (const struct pgw_type *) namemap_get(&g->types, schema ? schema : "public", name);
}

static const struct pgw_relation *
find_relation(const struct gen *g, const char *schema, const char *name)
{
	return (const struct pgw_relation *) namemap_get(&g->relations, schema ? schema : "public", name);
}

static const char *const builtin_map[][2] = {
	{"boolean", "boolean"}, {"bool", "boolean"},
	{"smallint", "number"}, {"integer", "number"}, {"bigint", "number"},
	{"int2", "number"}, {"int4", "number"}, {"int8", "number"},
	{"real", "number"}, {"double precision", "number"}, {"numeric", "number"},
	{"float4", "number"}, {"float8", "number"},
	{"bytea", "string"}, {"character", "string"}, {"bpchar", "string"},
	{"character varying", "string"}, {"varchar", "string"}, {"text", "string"},
	{"citext", "string"}, {"date", "string"}, {"time without time zone", "string"},
	{"time with time zone", "string"}, {"timestamp without time zone", "string"},
	{"timestamp with time zone", "string"}, {"uuid", "string"}, {"vector", "string"},
	{"interval", "string"}, {"time", "string"}, {"timestamp", "string"},
	{"timetz", "string"}, {"timestamptz", "string"},
	{"json", "Json"}, {"jsonb", "Json"},
	{"void", "undefined"}, {"record", "Record<string, unknown>"},
};

/*
 * The TypeScript type of a format_type() name, appended to b.  *is_json
 * tells the caller the result is plain Json (NOT NULL columns then say
 * NonNullable<Json>, as postgres-meta does).
 */
/*
 * The element type of a format_type() name (scratch copy): array brackets
 * counted into *dims and type modifiers dropped.
 */
static char *
type_base(struct gen *g, const char *pgtype, int *dims)
{
	size_t		len = strlen(pgtype);
	char	   *base;
	char	   *paren;

	*dims = 0;
	while (len >= 2 && pgtype[len - 2] == '[' && pgtype[len - 1] == ']')
	{
		len -= 2;
		(*dims)++;
	}
	base = arena_alloc(&g->scratch, len + 1);
	memcpy(base, pgtype, len);
	base[len] = '\0';
	/* typmods: "numeric(10,2)", "character varying(40)", "timestamp(3) with time zone" */
	if (base[0] != '"' && (paren = strchr(base, '(')) != NULL)
	{
		char	   *close = strchr(paren, ')');

		if (close)
			memmove(paren, close + 1, strlen(close + 1) + 1);
		len = strlen(base);
		while (len && base[len - 1] == ' ')
			base[--len] = '\0';
	}
	return base;
}

/* The TypeScript name of a built-in type (builtin_map), or NULL. */
static const char *
builtin_type(const char *base)
{
	for (size_t i = 0; i < sizeof(builtin_map) / sizeof(builtin_map[0]); i++)
		if (strcmp(base, builtin_map[i][0]) == 0 || (strncmp(base, "pg_catalog.", 11) == 0 &&
													 strcmp(base + 11, builtin_map[i][0]) == 0))
			return builtin_map[i][1];
	return NULL;
}

static void
put_type(struct gen *g, struct pgw_buf *b, const char *pgtype, bool *is_json)
{
	int			dims;
	char	   *base = type_base(g, pgtype, &dims);
	const char *builtin = builtin_type(base);
	const char *schema;
	const char *name;
	const struct pgw_type *t;
	const struct pgw_relation *r;

	if (is_json)
		*is_json = false;
	if (builtin)
	{
		buf_append(b, builtin);
		if (is_json && dims == 0 && strcmp(builtin, "Json") == 0)
			*is_json = true;
		goto arrays;
	}
	split_qualified(&g->scratch, base, &schema, &name);
	t = find_type(g, schema, name);
	if (t && t->obj.kind == PGW_KIND_DOMAIN && t->base_type)
	{
		/* a domain is its base type (a domain too, or an array: recursion;
		 * PostgreSQL rejects cycles) */
		bool		inner_json = false;

		put_type(g, b, t->base_type, &inner_json);
		if (is_json)
			*is_json = inner_json && dims == 0;
		goto arrays;
	}
	if (t && t->obj.kind == PGW_KIND_ENUM)
		put_ref(b, t->obj.schema, "Enums", t->obj.name);
	else if (t && t->obj.kind == PGW_KIND_COMPOSITE)
		put_ref(b, t->obj.schema, "CompositeTypes", t->obj.name);
	else if ((r = find_relation(g, schema, name)) != NULL && schema_wanted(g, r->obj.schema))
	{
		put_ref(b, r->obj.schema, r->obj.kind == PGW_KIND_VIEW ? "Views" : "Tables", r->obj.name);
		buf_append(b, "[\"Row\"]");
	}
	else
		buf_append(b, "unknown");
arrays:
	for (int i = 0; i < dims; i++)
		buf_append(b, "[]");
}

/* ---- function argument lists ---- */

struct arg
{
	char		mode;			/* i o b (inout) v (variadic) t (table column) */
	const char *name;			/* "" when unnamed */
	const char *type;
	bool		has_default;
};

/* Splits "a integer, b text DEFAULT 'x'::text" at top-level commas. */
static void
split_args(struct pgw_arena *a, const char *text, struct pgw_vec *out)
{
	const char *start = text;
	int			depth = 0;
	char		quote = 0;

	if (!text || !*text)
		return;
	for (const char *p = text;; p++)
	{
		if (quote)
		{
			if (*p == quote)
				quote = 0;
			else if (!*p)
				break;
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		else if (*p == '(' || *p == '[')
			depth++;
		else if (*p == ')' || *p == ']')
			depth--;
		else if ((*p == ',' && depth == 0) || !*p)
		{
			const char *s = start;
			const char *e = p;
			char	   *piece;

			while (*s == ' ')
				s++;
			while (e > s && e[-1] == ' ')
				e--;
			piece = arena_alloc(a, (size_t) (e - s) + 1);
			memcpy(piece, s, (size_t) (e - s));
			piece[e - s] = '\0';
			vec_push(a, out, piece);
			if (!*p)
				break;
			start = p + 1;
		}
	}
}

static bool
starts_word(const char *s, const char *w)
{
	size_t		n = strlen(w);

	return strncmp(s, w, n) == 0 && (s[n] == ' ' || s[n] == '\0' || s[n] == '(' || s[n] == '[');
}

/* One argument's text: [MODE] [name] type [DEFAULT expr]. */
static struct arg *
parse_arg(struct pgw_arena *a, const char *text, char default_mode)
{
	struct arg *arg = arena_alloc(a, sizeof(*arg));
	const char *p = text;
	static const char *const multiword[] = {
		"double precision", "character varying", "character", "bit varying",
		"time with", "time without", "timestamp with", "timestamp without",
		"timestamp(", "time(", "interval "
	};
	bool		unnamed = false;
	const char *def;
	char	   *rest;

	memset(arg, 0, sizeof(*arg));
	arg->mode = default_mode;
	arg->name = "";
	if (starts_word(p, "INOUT"))
		arg->mode = 'b', p += 6;
	else if (starts_word(p, "IN"))
		arg->mode = 'i', p += 3;
	else if (starts_word(p, "OUT"))
		arg->mode = 'o', p += 4;
	else if (starts_word(p, "VARIADIC"))
		arg->mode = 'v', p += 9;
	rest = arena_strdup(a, p);
	if ((def = strstr(rest, " DEFAULT ")) != NULL)
	{
		arg->has_default = true;
		rest[def - rest] = '\0';
	}
	for (size_t i = 0; i < sizeof(multiword) / sizeof(multiword[0]); i++)
		if (strncmp(rest, multiword[i], strlen(multiword[i])) == 0)
			unnamed = true;
	if (!unnamed && rest[0] == '"')
	{
		/* a quoted name, unless the whole text is one quoted type name */
		struct pgw_buf name;
		const char *q = rest + 1;

		buf_init(&name);
		for (; *q; q++)
		{
			if (*q == '"' && q[1] == '"')
				buf_append_char(&name, *q++);
			else if (*q == '"')
				break;
			else
				buf_append_char(&name, *q);
		}
		if (*q == '"' && q[1] == ' ')
		{
			arg->name = arena_strdup(a, name.data ? name.data : "");
			arg->type = q + 2;
		}
		else
			arg->type = rest;
		buf_release(&name);
	}
	else if (!unnamed && strchr(rest, ' '))
	{
		char	   *sp = strchr(rest, ' ');

		*sp = '\0';
		arg->name = rest;
		arg->type = sp + 1;
	}
	else
		arg->type = rest;
	return arg;
}

static int
cmp_arg(const void *a, const void *b)
{
	const struct arg *x = *(const struct arg *const *) a;
	const struct arg *y = *(const struct arg *const *) b;

	return locale_cmp(x->name, y->name);
}

/* The functions postgres-meta leaves out: procedures, aggregates, window
 * functions, trigger functions, and those taking or returning pseudo-types
 * a client cannot pass. */
static bool
function_wanted(const struct pgw_function *f)
{
	struct pgw_arena a;
	struct pgw_vec args = {0};
	bool		ok = true;

	if (f->prokind != 'f' || !f->result)
		return false;
	if (strcmp(f->result, "trigger") == 0 || strcmp(f->result, "event_trigger") == 0 ||
		strcmp(f->result, "internal") == 0)
		return false;
	arena_init(&a);
	split_args(&a, f->identity_args, &args);
	for (size_t i = 0; i < args.n && ok; i++)
	{
		const struct arg *arg = parse_arg(&a, args.items[i], 'i');

		ok = strcmp(arg->type, "internal") != 0;
	}
	arena_release(&a);
	return ok;
}

/* ---- relations ---- */

static int
cmp_column(const void *a, const void *b)
{
	const struct pgw_column *x = *(const struct pgw_column *const *) a;
	const struct pgw_column *y = *(const struct pgw_column *const *) b;

	return locale_cmp(x->obj.name, y->obj.name);
}

static int
cmp_object(const void *a, const void *b)
{
	const struct pgw_object *x = *(const struct pgw_object *const *) a;
	const struct pgw_object *y = *(const struct pgw_object *const *) b;

	return locale_cmp(x->name, y->name);
}

/* Columns of rel sorted by name (scratch vector). */
static struct pgw_vec
sorted_columns(struct gen *g, const struct pgw_relation *rel)
{
	struct pgw_vec v = {0};

	for (size_t i = 0; i < rel->columns.n; i++)
		vec_push(&g->scratch, &v, rel->columns.items[i]);
	vec_sort(&v, cmp_column);
	return v;
}

/*
 * --strict-views: is view column col NOT NULL because the view selects a
 * NOT NULL column of its one base table directly?  Only for the simplest
 * views — one table, no joins, grouping, set operations or DISTINCT — whose
 * select list names the column plainly (col, t.col, t.col AS col).
 */
static bool
view_column_not_null(struct gen *g, const struct pgw_relation *view, const char *col)
{
	const struct pgw_relation *base = NULL;
	const char *def = view->definition;
	const char *sel;
	const char *from;
	struct pgw_vec items = {0};
	static const char *const complex[] = {" JOIN ", "UNION", "INTERSECT", "EXCEPT", "GROUP BY",
	"DISTINCT", "WITH ", "HAVING", "LATERAL", "VALUES"};

	if (!g->o->strict_views || !def || view->relkind != 'v')
		return false;
	for (size_t i = 0; i < view->obj.deps.n; i++)
	{
		const struct pgw_ref *r = view->obj.deps.items[i];

		if (r->kind != PGW_KIND_TABLE && r->kind != PGW_KIND_VIEW)
			continue;
		if (base)
			return false;
		base = find_relation(g, r->schema, r->name);
		if (!base || base->obj.kind != PGW_KIND_TABLE)
			return false;
	}
	if (!base)
		return false;
	for (size_t i = 0; i < sizeof(complex) / sizeof(complex[0]); i++)
		if (strstr(def, complex[i]))
			return false;
	sel = strstr(def, "SELECT ");
	from = strstr(def, " FROM ");
	if (!sel || !from || from < sel || strstr(from + 6, "SELECT") || strchr(from + 6, ','))
		return false;
	{
		size_t		n = (size_t) (from - (sel + 7));
		char	   *list = arena_alloc(&g->scratch, n + 1);

		memcpy(list, sel + 7, n);
		list[n] = '\0';
		split_args(&g->scratch, list, &items);
	}
	for (size_t i = 0; i < items.n; i++)
	{
		char	   *it = items.items[i];
		char	   *as;
		const char *ref;
		const char *alias;
		const struct pgw_column *bc;

		while (*it == '\n' || *it == ' ')
			it++;
		if ((as = strstr(it, " AS ")) != NULL)
		{
			*as = '\0';
			alias = as + 4;
		}
		else
			alias = NULL;
		ref = strrchr(it, '.') ? strrchr(it, '.') + 1 : it;
		if (!is_identifier(ref) || strpbrk(it, "()'\" ") != NULL)
			continue;
		if (strcmp(alias ? alias : ref, col) != 0)
			continue;
		bc = model_find_column(base, ref);
		return bc && bc->not_null;
	}
	return false;
}

/* A column's key and type: "name?: type | null". */
static void
put_column(struct gen *g, const struct pgw_column *c, int depth, bool optional,
		   bool never, bool nullable)
{
	struct pgw_buf *b = g->b;
	bool		json = false;

	indent(b, depth);
	put_key(b, c->obj.name);
	buf_append(b, optional ? "?: " : ": ");
	if (never)
	{
		buf_append(b, "never\n");
		return;
	}
	{
		struct pgw_buf t;

		buf_init(&t);
		put_type(g, &t, c->type, &json);
		if (json && !nullable)
			buf_printf(b, "NonNullable<%s>", t.data);
		else
			buf_append(b, t.data);
		/* unknown already holds null */
		if (strcmp(t.data, "unknown") == 0)
			nullable = false;
		buf_release(&t);
	}
	buf_append(b, nullable ? " | null\n" : "\n");
}

static bool
is_one_to_one(const struct pgw_relation *rel, const struct pgw_constraint *fk)
{
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *k = rel->constraints.items[i];
		bool		same = true;

		if ((k->type != PGW_CON_PRIMARY && k->type != PGW_CON_UNIQUE) || k->columns.n != fk->columns.n)
			continue;
		for (size_t a = 0; a < k->columns.n && same; a++)
		{
			bool		found = false;

			for (size_t c = 0; c < fk->columns.n; c++)
				if (strcmp(k->columns.items[a], fk->columns.items[c]) == 0)
					found = true;
			same = found;
		}
		if (same)
			return true;
	}
	return false;
}

/* One relationship: a foreign key, pointed at its table or at a view that
 * exposes the referenced columns. */
struct rel_entry
{
	const struct pgw_constraint *fk;
	const char *target;
	bool		one_to_one;
};

static int
cmp_entry(const void *a, const void *b)
{
	const struct rel_entry *x = *(const struct rel_entry *const *) a;
	const struct rel_entry *y = *(const struct rel_entry *const *) b;
	int			c = locale_cmp(x->fk->obj.name, y->fk->obj.name);

	return c ? c : locale_cmp(x->target, y->target);
}

/*
 * PostgREST can embed through a view that selects a table's key, so
 * postgres-meta repeats a foreign key for every view that depends on the
 * referenced table and has columns of the referenced names.  Approximated
 * by name: a view that renames the key column is missed (docs/gen-types.md).
 * The caller has found the view among the referenced table's dependents
 * (view_deps_of).
 */
static bool
view_exposes(const struct pgw_relation *view, const struct pgw_constraint *fk)
{
	for (size_t i = 0; i < fk->ref_columns.n; i++)
		if (!model_find_column(view, fk->ref_columns.items[i]))
			return false;
	return true;
}

static int
cmp_view_dep(const void *a, const void *b)
{
	const struct view_dep *x = a;
	const struct view_dep *y = b;
	uintptr_t	xt = (uintptr_t) x->table;
	uintptr_t	yt = (uintptr_t) y->table;
	uintptr_t	xv = (uintptr_t) x->view;
	uintptr_t	yv = (uintptr_t) y->view;

	if (xt != yt)
		return xt < yt ? -1 : 1;
	return xv < yv ? -1 : xv > yv;
}

/*
 * Indexes which views depend on which tables, once per run: a sorted array
 * of (table, view) pairs, so each foreign key finds the views it can be
 * repeated through by binary search instead of walking every view's
 * dependencies (quadratic in a schema of thousands of tables and views).
 */
static void
view_deps_build(struct gen *g)
{
	size_t		n = 0;
	size_t		cap = 0;
	size_t		out = 0;

	for (size_t v = 0; v < g->views.n; v++)
		cap += ((const struct pgw_relation *) g->views.items[v])->obj.deps.n;
	g->view_deps = arena_alloc(&g->scratch, (cap ? cap : 1) * sizeof(*g->view_deps));
	for (size_t v = 0; v < g->views.n; v++)
	{
		const struct pgw_relation *view = g->views.items[v];

		for (size_t i = 0; i < view->obj.deps.n; i++)
		{
			const struct pgw_ref *r = view->obj.deps.items[i];
			const struct pgw_object *t;

			if (r->kind != PGW_KIND_TABLE)
				continue;
			t = namemap_get(&g->relations, r->schema, r->name);
			if (t && t->kind == PGW_KIND_TABLE)
				g->view_deps[n++] = (struct view_dep) {t, view};
		}
	}
	if (n > 1)
		qsort(g->view_deps, n, sizeof(*g->view_deps), cmp_view_dep);
	/* a view listed once per table, however many times it depends on it */
	for (size_t i = 0; i < n; i++)
		if (out == 0 || cmp_view_dep(&g->view_deps[out - 1], &g->view_deps[i]) != 0)
			g->view_deps[out++] = g->view_deps[i];
	g->nview_deps = out;
}

/* The views that depend on table: view_deps[*first .. *first + return). */
static size_t
view_deps_of(const struct gen *g, const struct pgw_object *table, size_t *first)
{
	size_t		lo = 0;
	size_t		hi = g->nview_deps;
	size_t		end;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if ((uintptr_t) g->view_deps[mid].table < (uintptr_t) table)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < g->nview_deps && g->view_deps[end].table == table; end++)
		;
	*first = lo;
	return end - lo;
}

static void
put_strings(struct pgw_buf *b, const struct pgw_vec *v)
{
	buf_append(b, "[");
	for (size_t i = 0; i < v->n; i++)
	{
		if (i)
			buf_append(b, ", ");
		put_string(b, v->items[i]);
	}
	buf_append(b, "]");
}

static void
put_relationships(struct gen *g, const struct pgw_relation *rel, int depth)
{
	struct pgw_buf *b = g->b;
	struct pgw_vec entries = {0};

	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *k = rel->constraints.items[i];
		struct rel_entry *e;
		const struct pgw_object *table;
		size_t		first = 0;
		size_t		nviews = 0;
		bool		one;

		/* postgres-meta lists a schema's relationships within that schema */
		if (k->type != PGW_CON_FOREIGN || k->inherited || !k->ref_schema ||
			strcmp(k->ref_schema, rel->obj.schema) != 0)
			continue;
		one = is_one_to_one(rel, k);
		e = arena_alloc(&g->scratch, sizeof(*e));
		*e = (struct rel_entry) {k, k->ref_table, one};
		vec_push(&g->scratch, &entries, e);
		table = namemap_get(&g->relations, k->ref_schema, k->ref_table);
		if (table)
			nviews = view_deps_of(g, table, &first);
		for (size_t v = first; v < first + nviews; v++)
		{
			const struct pgw_relation *view = g->view_deps[v].view;

			if (strcmp(view->obj.schema, rel->obj.schema) != 0 ||
				!view_exposes(view, k))
				continue;
			e = arena_alloc(&g->scratch, sizeof(*e));
			*e = (struct rel_entry) {k, view->obj.name, one};
			vec_push(&g->scratch, &entries, e);
		}
	}
	indent(b, depth);
	if (entries.n == 0)
	{
		buf_append(b, "Relationships: []\n");
		return;
	}
	vec_sort(&entries, cmp_entry);
	buf_append(b, "Relationships: [\n");
	for (size_t i = 0; i < entries.n; i++)
	{
		const struct rel_entry *e = entries.items[i];

		indent(b, depth + 1);
		buf_append(b, "{\n");
		indent(b, depth + 2);
		buf_append(b, "foreignKeyName: ");
		put_string(b, e->fk->obj.name);
		buf_append(b, "\n");
		indent(b, depth + 2);
		buf_append(b, "columns: ");
		put_strings(b, &e->fk->columns);
		buf_append(b, "\n");
		indent(b, depth + 2);
		buf_printf(b, "isOneToOne: %s\n", e->one_to_one ? "true" : "false");
		indent(b, depth + 2);
		buf_append(b, "referencedRelation: ");
		put_string(b, e->target);
		buf_append(b, "\n");
		indent(b, depth + 2);
		buf_append(b, "referencedColumns: ");
		put_strings(b, &e->fk->ref_columns);
		buf_append(b, "\n");
		indent(b, depth + 1);
		buf_append(b, "},\n");
	}
	indent(b, depth);
	buf_append(b, "]\n");
}

static void
put_empty(struct pgw_buf *b, int depth)
{
	indent(b, depth);
	buf_append(b, "[_ in never]: never\n");
}

/* Functions that take one row of rel: PostgREST computed fields. */
static struct pgw_vec
computed_fields(struct gen *g, const struct pgw_relation *rel)
{
	struct pgw_vec v = {0};

	for (size_t i = 0; i < g->one_arg.n; i++)
	{
		const struct one_arg_fn *c = g->one_arg.items[i];

		if (strcmp(c->name, rel->obj.name) == 0 && strcmp(c->schema, rel->obj.schema) == 0 &&
			strcmp(c->f->obj.schema, rel->obj.schema) == 0)
			vec_push(&g->scratch, &v, (void *) c->f);
	}
	return v;
}

/* The candidates for computed_fields, found once. */
static void
find_one_arg_functions(struct gen *g)
{
	for (size_t i = 0; i < g->m->functions.n; i++)
	{
		const struct pgw_function *f = g->m->functions.items[i];
		struct pgw_vec args = {0};
		const struct arg *a;
		struct one_arg_fn *c;

		if (!schema_wanted(g, f->obj.schema) || !function_wanted(f) ||
			strncmp(f->result, "SETOF ", 6) == 0 || strncmp(f->result, "TABLE(", 6) == 0)
			continue;
		split_args(&g->scratch, f->identity_args, &args);
		if (args.n != 1)
			continue;
		a = parse_arg(&g->scratch, args.items[0], 'i');
		c = arena_alloc(&g->scratch, sizeof(*c));
		c->f = f;
		split_qualified(&g->scratch, a->type, &c->schema, &c->name);
		if (!c->schema)
			c->schema = "public";
		vec_push(&g->scratch, &g->one_arg, c);
	}
}

static void
put_table(struct gen *g, const struct pgw_relation *rel)
{
	struct pgw_buf *b = g->b;
	struct pgw_vec cols = sorted_columns(g, rel);
	struct pgw_vec computed = computed_fields(g, rel);
	static const char *const parts[] = {"Row", "Insert", "Update"};

	indent(b, 3);
	put_key(b, rel->obj.name);
	buf_append(b, ": {\n");
	for (int p = 0; p < 3; p++)
	{
		indent(b, 4);
		buf_printf(b, "%s: {\n", parts[p]);
		for (size_t i = 0; i < cols.n; i++)
		{
			const struct pgw_column *c = cols.items[i];
			bool		never = p > 0 && (c->identity == 'a' || c->generated);
			bool		optional = p == 2 || (p == 1 && (!c->not_null || c->default_expr || c->identity));

			put_column(g, c, 5, p > 0 && (optional || never), never, !c->not_null);
		}
		for (size_t i = 0; p == 0 && i < computed.n; i++)
		{
			const struct pgw_function *f = computed.items[i];

			indent(b, 5);
			put_key(b, f->obj.name);
			buf_append(b, ": ");
			put_type(g, b, f->result, NULL);
			buf_append(b, " | null\n");
		}
		indent(b, 4);
		buf_append(b, "}\n");
	}
	put_relationships(g, rel, 4);
	indent(b, 3);
	buf_append(b, "}\n");
}

static void
put_view(struct gen *g, const struct pgw_relation *rel)
{
	struct pgw_buf *b = g->b;
	struct pgw_vec cols = sorted_columns(g, rel);
	static const char *const parts[] = {"Row", "Insert", "Update"};

	indent(b, 3);
	put_key(b, rel->obj.name);
	buf_append(b, ": {\n");
	for (int p = 0; p < (rel->updatable ? 3 : 1); p++)
	{
		indent(b, 4);
		buf_printf(b, "%s: {\n", parts[p]);
		for (size_t i = 0; i < cols.n; i++)
		{
			const struct pgw_column *c = cols.items[i];
			bool		nn = p == 0 && view_column_not_null(g, rel, c->obj.name);

			put_column(g, c, 5, p > 0, false, !nn);
		}
		indent(b, 4);
		buf_append(b, "}\n");
	}
	indent(b, 4);
	buf_append(b, "Relationships: []\n");
	indent(b, 3);
	buf_append(b, "}\n");
}

/* ---- functions ---- */

/* The row object of a relation (SETOF table): its columns, sorted. */
static void
put_row_object(struct gen *g, const struct pgw_relation *rel, int depth)
{
	struct pgw_vec cols = sorted_columns(g, rel);

	buf_append(g->b, "{\n");
	for (size_t i = 0; i < cols.n; i++)
	{
		const struct pgw_column *c = cols.items[i];

		put_column(g, c, depth + 1, false, false,
				   rel->obj.kind == PGW_KIND_VIEW || !c->not_null);
	}
	indent(g->b, depth);
	buf_append(g->b, "}");
}

static void
put_function(struct gen *g, const struct pgw_function *f, int depth)
{
	struct pgw_buf *b = g->b;
	struct pgw_vec all = {0};
	struct pgw_vec in = {0};
	const char *result = f->result;
	bool		setof = false;
	const struct pgw_relation *setof_rel = NULL;

	split_args(&g->scratch, f->arguments ? f->arguments : f->identity_args, &all);
	for (size_t i = 0; i < all.n; i++)
	{
		struct arg *a = parse_arg(&g->scratch, all.items[i], 'i');

		if (a->mode != 'o')
			vec_push(&g->scratch, &in, a);
	}
	vec_sort(&in, cmp_arg);

	buf_append(b, "{\n");
	indent(b, depth + 1);
	if (in.n == 0)
		buf_append(b, "Args: Record<PropertyKey, never>\n");
	else
	{
		buf_append(b, "Args: {\n");
		for (size_t i = 0; i < in.n; i++)
		{
			const struct arg *a = in.items[i];

			indent(b, depth + 2);
			put_key(b, a->name);
			buf_append(b, a->has_default ? "?: " : ": ");
			put_type(g, b, a->type, NULL);
			buf_append(b, "\n");
		}
		indent(b, depth + 1);
		buf_append(b, "}\n");
	}
	indent(b, depth + 1);
	buf_append(b, "Returns: ");
	if (strncmp(result, "SETOF ", 6) == 0)
	{
		const char *schema;
		const char *name;

		setof = true;
		result += 6;
		split_qualified(&g->scratch, result, &schema, &name);
		setof_rel = find_relation(g, schema, name);
	}
	if (strncmp(result, "TABLE(", 6) == 0)
	{
		struct pgw_vec cols = {0};
		size_t		n = strlen(result);
		char	   *inner = arena_alloc(&g->scratch, n);

		memcpy(inner, result + 6, n - 7);
		inner[n - 7] = '\0';
		split_args(&g->scratch, inner, &cols);
		buf_append(b, "{\n");
		for (size_t i = 0; i < cols.n; i++)
		{
			const struct arg *a = parse_arg(&g->scratch, cols.items[i], 't');

			indent(b, depth + 2);
			put_key(b, a->name);
			buf_append(b, ": ");
			put_type(g, b, a->type, NULL);
			buf_append(b, "\n");
		}
		indent(b, depth + 1);
		buf_append(b, "}[]\n");
	}
	else if (setof_rel)
	{
		put_row_object(g, setof_rel, depth + 1);
		buf_append(b, "[]\n");
		indent(b, depth + 1);
		buf_append(b, "SetofOptions: {\n");
		indent(b, depth + 2);
		buf_append(b, "from: \"*\"\n");
		indent(b, depth + 2);
		buf_append(b, "to: ");
		put_string(b, setof_rel->obj.name);
		buf_append(b, "\n");
		indent(b, depth + 2);
		buf_append(b, "isOneToOne: false\n");
		indent(b, depth + 2);
		buf_append(b, "isSetofReturn: true\n");
		indent(b, depth + 1);
		buf_append(b, "}\n");
	}
	else
	{
		put_type(g, b, result, NULL);
		buf_append(b, setof ? "[]\n" : "\n");
	}
	indent(b, depth);
	buf_append(b, "}");
}

static int
cmp_function(const void *a, const void *b)
{
	const struct pgw_function *x = *(const struct pgw_function *const *) a;
	const struct pgw_function *y = *(const struct pgw_function *const *) b;
	int			c = locale_cmp(x->obj.name, y->obj.name);

	return c ? c : strcmp(x->identity_args, y->identity_args);
}

static void
put_functions(struct gen *g, const char *schema, struct pgw_gen_stats *st)
{
	struct pgw_buf *b = g->b;
	struct pgw_vec fns = {0};

	for (size_t i = 0; i < g->m->functions.n; i++)
	{
		const struct pgw_function *f = g->m->functions.items[i];

		if (strcmp(f->obj.schema, schema) == 0 && function_wanted(f))
			vec_push(&g->scratch, &fns, (void *) f);
	}
	vec_sort(&fns, cmp_function);
	indent(b, 2);
	buf_append(b, "Functions: {\n");
	if (fns.n == 0)
		put_empty(b, 3);
	for (size_t i = 0; i < fns.n;)
	{
		const struct pgw_function *f = fns.items[i];
		size_t		j = i + 1;

		while (j < fns.n && strcmp(((struct pgw_function *) fns.items[j])->obj.name, f->obj.name) == 0)
			j++;
		indent(b, 3);
		put_key(b, f->obj.name);
		if (j - i == 1)
		{
			buf_append(b, ": ");
			put_function(g, f, 3);
			buf_append(b, "\n");
		}
		else
		{
			buf_append(b, ":\n");
			for (size_t k = i; k < j; k++)
			{
				indent(b, 4);
				buf_append(b, "| ");
				put_function(g, fns.items[k], 4);
				buf_append(b, "\n");
			}
		}
		st->functions += j - i;
		i = j;
	}
	indent(b, 2);
	buf_append(b, "}\n");
}

/* ---- schemas ---- */

/* A schema's tables, views, enums and composite types, each sorted. */
struct schema_objects
{
	struct pgw_vec tables;
	struct pgw_vec views;
	struct pgw_vec enums;
	struct pgw_vec comps;
};

static void
collect_schema(struct gen *g, const char *schema, struct schema_objects *so,
			   struct pgw_gen_stats *st)
{
	struct pgw_vec tables = {0};
	struct pgw_vec views = {0};
	struct pgw_vec enums = {0};
	struct pgw_vec comps = {0};

	for (size_t i = 0; i < g->m->relations.n; i++)
	{
		const struct pgw_relation *r = g->m->relations.items[i];

		if (strcmp(r->obj.schema, schema) != 0)
			continue;
		vec_push(&g->scratch, r->obj.kind == PGW_KIND_VIEW ? &views : &tables, (void *) r);
	}
	for (size_t i = 0; i < g->m->types.n; i++)
	{
		const struct pgw_type *t = g->m->types.items[i];

		if (strcmp(t->obj.schema, schema) != 0)
			continue;
		if (t->obj.kind == PGW_KIND_ENUM)
			vec_push(&g->scratch, &enums, (void *) t);
		else if (t->obj.kind == PGW_KIND_COMPOSITE)
			vec_push(&g->scratch, &comps, (void *) t);
	}
	vec_sort(&tables, cmp_object);
	vec_sort(&views, cmp_object);
	vec_sort(&enums, cmp_object);
	vec_sort(&comps, cmp_object);
	st->tables += tables.n;
	st->views += views.n;
	st->enums += enums.n;
	st->composites += comps.n;
	so->tables = tables;
	so->views = views;
	so->enums = enums;
	so->comps = comps;
}

static void
put_schema(struct gen *g, const char *schema, struct pgw_gen_stats *st)
{
	struct pgw_buf *b = g->b;
	struct schema_objects so;
	struct pgw_vec tables;
	struct pgw_vec views;
	struct pgw_vec enums;
	struct pgw_vec comps;

	collect_schema(g, schema, &so, st);
	tables = so.tables;
	views = so.views;
	enums = so.enums;
	comps = so.comps;

	indent(b, 1);
	put_key(b, schema);
	buf_append(b, ": {\n");
	indent(b, 2);
	buf_append(b, "Tables: {\n");
	if (tables.n == 0)
		put_empty(b, 3);
	for (size_t i = 0; i < tables.n; i++)
		put_table(g, tables.items[i]);
	indent(b, 2);
	buf_append(b, "}\n");
	indent(b, 2);
	buf_append(b, "Views: {\n");
	if (views.n == 0)
		put_empty(b, 3);
	for (size_t i = 0; i < views.n; i++)
		put_view(g, views.items[i]);
	indent(b, 2);
	buf_append(b, "}\n");
	put_functions(g, schema, st);
	indent(b, 2);
	buf_append(b, "Enums: {\n");
	if (enums.n == 0)
		put_empty(b, 3);
	for (size_t i = 0; i < enums.n; i++)
	{
		const struct pgw_type *t = enums.items[i];

		indent(b, 3);
		put_key(b, t->obj.name);
		buf_append(b, ":");
		if (t->labels.n == 0)
			buf_append(b, " never");
		for (size_t k = 0; k < t->labels.n; k++)
		{
			buf_append(b, k ? " | " : " ");
			put_string(b, t->labels.items[k]);
		}
		buf_append(b, "\n");
	}
	indent(b, 2);
	buf_append(b, "}\n");
	indent(b, 2);
	buf_append(b, "CompositeTypes: {\n");
	if (comps.n == 0)
		put_empty(b, 3);
	for (size_t i = 0; i < comps.n; i++)
	{
		const struct pgw_type *t = comps.items[i];

		indent(b, 3);
		put_key(b, t->obj.name);
		buf_append(b, ": {\n");
		for (size_t k = 0; k < t->attributes.n; k++)
		{
			const struct pgw_column *c = t->attributes.items[k];

			indent(b, 4);
			put_key(b, c->obj.name);
			buf_append(b, ": ");
			put_type(g, b, c->type, NULL);
			buf_append(b, " | null\n");
		}
		indent(b, 3);
		buf_append(b, "}\n");
	}
	indent(b, 2);
	buf_append(b, "}\n");
	indent(b, 1);
	buf_append(b, "}\n");
}

/* The helper types: the same declarations every Supabase-generated file
 * ends with, so code written against one compiles against the other. */
static void
put_helpers(struct pgw_buf *b, const char *def)
{
	struct
	{
		const char *name;
		const char *param;
		const char *pick;		/* Row / Insert / Update, or NULL */
		const char *section;	/* Tables, Enums, CompositeTypes */
		bool		with_views;
	}			h[] = {
		{"Tables", "DefaultSchemaTableNameOrOptions", "Row", "Tables", true},
		{"TablesInsert", "DefaultSchemaTableNameOrOptions", "Insert", "Tables", false},
		{"TablesUpdate", "DefaultSchemaTableNameOrOptions", "Update", "Tables", false},
		{"Enums", "DefaultSchemaEnumNameOrOptions", NULL, "Enums", false},
		{"CompositeTypes", "PublicCompositeTypeNameOrOptions", NULL, "CompositeTypes", false},
	};
	const char *db = "DatabaseWithoutInternals";

	buf_append(b, "type DatabaseWithoutInternals = Omit<Database, \"__InternalSupabase\">\n\n");
	buf_append(b, "type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, ");
	put_string(b, def);
	buf_append(b, ">]\n");
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
	{
		const char *P = h[i].param;
		const char *sec = h[i].section;
		const char *second = strcmp(sec, "Tables") == 0 ? "TableName" :
			strcmp(sec, "Enums") == 0 ? "EnumName" : "CompositeTypeName";
		char		letter = h[i].pick ? h[i].pick[0] : 0;

		buf_printf(b, "\nexport type %s<\n  %s extends\n", h[i].name, P);
		if (h[i].with_views)
			buf_printf(b, "    | keyof (DefaultSchema[\"Tables\"] & DefaultSchema[\"Views\"])\n");
		else
			buf_printf(b, "    | keyof DefaultSchema[\"%s\"]\n", sec);
		buf_printf(b, "    | { schema: keyof %s },\n", db);
		buf_printf(b, "  %s extends (%s extends {\n    schema: keyof %s\n  }\n", second, P, db);
		if (h[i].with_views)
			buf_printf(b, "    ? keyof (%s[%s[\"schema\"]][\"Tables\"] &\n        %s[%s[\"schema\"]][\"Views\"])\n",
					   db, P, db, P);
		else
			buf_printf(b, "    ? keyof %s[%s[\"schema\"]][\"%s\"]\n", db, P, sec);
		buf_printf(b, "    : never) = never,\n> = %s extends {\n  schema: keyof %s\n}\n", P, db);
		if (h[i].with_views)
		{
			buf_printf(b, "  ? (%s[%s[\"schema\"]][\"Tables\"] &\n      %s[%s[\"schema\"]][\"Views\"])[%s] extends {\n"
					   "      Row: infer R\n    }\n    ? R\n    : never\n",
					   db, P, db, P, second);
			buf_printf(b, "  : %s extends keyof (DefaultSchema[\"Tables\"] &\n        DefaultSchema[\"Views\"])\n"
					   "    ? (DefaultSchema[\"Tables\"] &\n        DefaultSchema[\"Views\"])[%s] extends {\n"
					   "        Row: infer R\n      }\n      ? R\n      : never\n    : never\n", P, P);
		}
		else if (letter)
		{
			buf_printf(b, "  ? %s[%s[\"schema\"]][\"Tables\"][%s] extends {\n      %s: infer %c\n    }\n"
					   "    ? %c\n    : never\n", db, P, second, h[i].pick, letter, letter);
			buf_printf(b, "  : %s extends keyof DefaultSchema[\"Tables\"]\n"
					   "    ? DefaultSchema[\"Tables\"][%s] extends {\n        %s: infer %c\n      }\n"
					   "      ? %c\n      : never\n    : never\n", P, P, h[i].pick, letter, letter);
		}
		else
		{
			buf_printf(b, "  ? %s[%s[\"schema\"]][\"%s\"][%s]\n", db, P, sec, second);
			buf_printf(b, "  : %s extends keyof DefaultSchema[\"%s\"]\n    ? DefaultSchema[\"%s\"][%s]\n    : never\n",
					   P, sec, sec, P);
		}
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return locale_cmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * The walk's state for m: the schemas to emit (checked against the model),
 * the name maps and the indexes.  Returns 0, or -1 with a PGW_ERR_INPUT
 * error (g released) when a requested schema is not in the model.  The
 * caller releases g->scratch.
 */
static int
gen_begin(struct gen *g, const struct pgw_model *m, const struct pgw_gen_opts *o,
		  struct pgw_buf *out)
{
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->o = o;
	g->b = out;
	arena_init(&g->scratch);
	if (o->schemas && o->schemas->n)
	{
		for (size_t i = 0; i < o->schemas->n; i++)
		{
			bool		found = false;

			for (size_t k = 0; k < m->schemas.n && !found; k++)
				found = strcmp(((struct pgw_object *) m->schemas.items[k])->name, o->schemas->items[i]) == 0;
			if (!found)
			{
				arena_release(&g->scratch);
				pgw_error(PGW_ERR_INPUT, "schema '%s' is not in the schema model", o->schemas->items[i]);
				pgw_error_hint("check the name (it is exact, not a pattern); a snapshot holds only the schemas it was taken with");
				return -1;
			}
			if (!schema_wanted(g, o->schemas->items[i]))
				vec_push(&g->scratch, &g->schemas, o->schemas->items[i]);
		}
	}
	else
		vec_push(&g->scratch, &g->schemas, "public");
	vec_sort(&g->schemas, cmp_str);
	namemap_build(&g->scratch, &g->types, &m->types);
	namemap_build(&g->scratch, &g->relations, &m->relations);
	for (size_t i = 0; i < m->relations.n; i++)
		if (((struct pgw_object *) m->relations.items[i])->kind == PGW_KIND_VIEW)
			vec_push(&g->scratch, &g->views, m->relations.items[i]);
	view_deps_build(g);
	find_one_arg_functions(g);
	return 0;
}

/* the Json type both outputs start with (Supabase's shape) */
static const char json_type[] =
"export type Json =\n  | string\n  | number\n  | boolean\n  | null\n"
"  | { [key: string]: Json | undefined }\n  | Json[]\n\n";

/* "NAME: {" at depth 2 — "NAME: {}," when it will stay empty */
static void
group_open(struct pgw_buf *b, const char *name, size_t n)
{
	indent(b, 2);
	buf_printf(b, n ? "%s: {\n" : "%s: {},\n", name);
}

/* closes what group_open opened (nothing when it was empty) */
static void
group_close(struct pgw_buf *b, size_t n)
{
	if (n)
	{
		indent(b, 2);
		buf_append(b, "},\n");
	}
}

int
gen_typescript(const struct pgw_model *m, const struct pgw_gen_opts *o,
			   struct pgw_buf *out, struct pgw_gen_stats *stats)
{
	struct gen	g;
	struct pgw_gen_stats st = {0};

	if (gen_begin(&g, m, o, out) != 0)
		return -1;

	buf_append(out, json_type);
	buf_append(out, "export type Database = {\n");
	for (size_t i = 0; i < g.schemas.n; i++)
		put_schema(&g, g.schemas.items[i], &st);
	buf_append(out, "}\n\n");
	put_helpers(out, schema_wanted(&g, "public") ? "public" : g.schemas.items[0]);

	buf_append(out, "\nexport const Constants = {\n");
	for (size_t i = 0; i < g.schemas.n; i++)
	{
		const char *schema = g.schemas.items[i];
		struct pgw_vec enums = {0};

		for (size_t k = 0; k < m->types.n; k++)
		{
			const struct pgw_type *t = m->types.items[k];

			if (t->obj.kind == PGW_KIND_ENUM && strcmp(t->obj.schema, schema) == 0)
				vec_push(&g.scratch, &enums, (void *) t);
		}
		vec_sort(&enums, cmp_object);
		indent(out, 1);
		put_key(out, schema);
		buf_append(out, ": {\n");
		group_open(out, "Enums", enums.n);
		for (size_t k = 0; k < enums.n; k++)
		{
			const struct pgw_type *t = enums.items[k];

			indent(out, 3);
			put_key(out, t->obj.name);
			buf_append(out, ": ");
			put_strings(out, &t->labels);
			buf_append(out, ",\n");
		}
		group_close(out, enums.n);
		indent(out, 1);
		buf_append(out, "},\n");
	}
	buf_append(out, "} as const\n");
	arena_release(&g.scratch);
	if (stats)
		*stats = st;
	return 0;
}

/* ---- zod ---- */

/*
 * A key of an object literal.  "__proto__" written plainly (bare or
 * quoted) would set the literal's prototype instead of a property: a
 * computed key does not.
 */
static void
zod_key(struct pgw_buf *b, const char *s)
{
	if (strcmp(s, "__proto__") == 0)
		buf_append(b, "[\"__proto__\"]");
	else
		put_key(b, s);
}

static const char *const zod_map[][2] = {
	{"boolean", "z.boolean()"}, {"number", "z.number()"}, {"string", "z.string()"},
	{"Json", "Json"}, {"undefined", "z.undefined()"},
	{"Record<string, unknown>", "z.record(z.string(), z.unknown())"},
};

#define ZOD_MAX_DEPTH 16

/*
 * The zod schema of a format_type() name, appended to b: put_type's
 * resolution (built-in names, domains to their base, arrays), with enums and
 * composite types written out in place (z.enum, z.object: a composite's
 * attributes each .nullable(), as CompositeTypes has them), so no schema
 * refers to another and their order does not matter.  A table's or view's
 * row type, a type nested deeper than ZOD_MAX_DEPTH, and anything without a
 * TypeScript type is z.unknown().  *is_json as for put_type.
 */
static void
put_zod_type(struct gen *g, struct pgw_buf *b, const char *pgtype, bool *is_json, int depth)
{
	int			dims;
	char	   *base = type_base(g, pgtype, &dims);
	const char *builtin = builtin_type(base);
	const char *schema;
	const char *name;
	const struct pgw_type *t;

	if (is_json)
		*is_json = false;
	for (int i = 0; i < dims; i++)
		buf_append(b, "z.array(");
	if (builtin)
	{
		const char *zt = "z.unknown()";

		for (size_t i = 0; i < sizeof(zod_map) / sizeof(zod_map[0]); i++)
			if (strcmp(builtin, zod_map[i][0]) == 0)
				zt = zod_map[i][1];
		buf_append(b, zt);
		if (is_json && dims == 0 && strcmp(builtin, "Json") == 0)
			*is_json = true;
		goto arrays;
	}
	split_qualified(&g->scratch, base, &schema, &name);
	t = depth < ZOD_MAX_DEPTH ? find_type(g, schema, name) : NULL;
	if (t && t->obj.kind == PGW_KIND_DOMAIN && t->base_type)
	{
		bool		inner_json = false;

		put_zod_type(g, b, t->base_type, &inner_json, depth + 1);
		if (is_json)
			*is_json = inner_json && dims == 0;
	}
	else if (t && t->obj.kind == PGW_KIND_ENUM && t->labels.n == 0)
		buf_append(b, "z.never()");
	else if (t && t->obj.kind == PGW_KIND_ENUM)
	{
		buf_append(b, "z.enum(");
		put_strings(b, &t->labels);
		buf_append(b, ")");
	}
	else if (t && t->obj.kind == PGW_KIND_COMPOSITE)
	{
		buf_append(b, "z.object({");
		for (size_t k = 0; k < t->attributes.n; k++)
		{
			const struct pgw_column *c = t->attributes.items[k];
			size_t		mark;

			buf_append(b, k ? ", " : " ");
			zod_key(b, c->obj.name);
			buf_append(b, ": ");
			mark = b->len;
			put_zod_type(g, b, c->type, NULL, depth + 1);
			if (strcmp(b->data + mark, "z.unknown()") != 0)
				buf_append(b, ".nullable()");
		}
		buf_append(b, t->attributes.n ? " })" : "})");
	}
	else
		buf_append(b, "z.unknown()");
arrays:
	for (int i = 0; i < dims; i++)
		buf_append(b, ")");
}

/* One property of a z.object: "name: z.string().nullable().optional(),". */
static void
put_zod_column(struct gen *g, const struct pgw_column *c, int depth, bool optional,
			   bool never, bool nullable)
{
	struct pgw_buf *b = g->b;
	bool		json = false;
	size_t		mark;

	indent(b, depth);
	zod_key(b, c->obj.name);
	buf_append(b, ": ");
	if (never)
	{
		buf_append(b, "z.never().optional(),\n");
		return;
	}
	mark = b->len;
	put_zod_type(g, b, c->type, &json, 0);
	if (json && !nullable)
	{
		b->len = mark;
		b->data[mark] = '\0';
		buf_append(b, "NonNullJson");
	}
	/* unknown already holds null */
	if (nullable && strcmp(b->data + mark, "z.unknown()") != 0)
		buf_append(b, ".nullable()");
	if (optional)
		buf_append(b, ".optional()");
	buf_append(b, ",\n");
}

static void
put_zod_table(struct gen *g, const struct pgw_relation *rel)
{
	struct pgw_buf *b = g->b;
	struct pgw_vec cols = sorted_columns(g, rel);
	struct pgw_vec computed = computed_fields(g, rel);
	bool		view = rel->obj.kind == PGW_KIND_VIEW;
	int			parts = view ? (rel->updatable ? 3 : 1) : 3;
	static const char *const names[] = {"Row", "Insert", "Update"};

	indent(b, 3);
	zod_key(b, rel->obj.name);
	buf_append(b, ": {\n");
	for (int p = 0; p < parts; p++)
	{
		indent(b, 4);
		buf_printf(b, "%s: z.object({\n", names[p]);
		for (size_t i = 0; i < cols.n; i++)
		{
			const struct pgw_column *c = cols.items[i];

			if (view)
			{
				bool		nn = p == 0 && view_column_not_null(g, rel, c->obj.name);

				put_zod_column(g, c, 5, p > 0, false, !nn);
			}
			else
			{
				bool		never = p > 0 && (c->identity == 'a' || c->generated);
				bool		optional = p == 2 || (p == 1 && (!c->not_null || c->default_expr || c->identity));

				put_zod_column(g, c, 5, p > 0 && (optional || never), never, !c->not_null);
			}
		}
		for (size_t i = 0; !view && p == 0 && i < computed.n; i++)
		{
			const struct pgw_function *f = computed.items[i];
			size_t		mark;

			indent(b, 5);
			zod_key(b, f->obj.name);
			buf_append(b, ": ");
			mark = b->len;
			put_zod_type(g, b, f->result, NULL, 0);
			buf_append(b, strcmp(b->data + mark, "z.unknown()") != 0 ? ".nullable(),\n" : ",\n");
		}
		indent(b, 4);
		buf_append(b, "}),\n");
	}
	indent(b, 3);
	buf_append(b, "},\n");
}

static void
put_zod_schema(struct gen *g, const char *schema, struct pgw_gen_stats *st)
{
	struct pgw_buf *b = g->b;
	struct schema_objects so;

	collect_schema(g, schema, &so, st);
	indent(b, 1);
	zod_key(b, schema);
	buf_append(b, ": {\n");

	group_open(b, "Tables", so.tables.n);
	for (size_t i = 0; i < so.tables.n; i++)
		put_zod_table(g, so.tables.items[i]);
	group_close(b, so.tables.n);

	group_open(b, "Views", so.views.n);
	for (size_t i = 0; i < so.views.n; i++)
		put_zod_table(g, so.views.items[i]);
	group_close(b, so.views.n);

	group_open(b, "Enums", so.enums.n);
	for (size_t i = 0; i < so.enums.n; i++)
	{
		const struct pgw_type *t = so.enums.items[i];

		indent(b, 3);
		zod_key(b, t->obj.name);
		if (t->labels.n == 0)
			buf_append(b, ": z.never(),\n");
		else
		{
			buf_append(b, ": z.enum(");
			put_strings(b, &t->labels);
			buf_append(b, "),\n");
		}
	}
	group_close(b, so.enums.n);

	group_open(b, "CompositeTypes", so.comps.n);
	for (size_t i = 0; i < so.comps.n; i++)
	{
		const struct pgw_type *t = so.comps.items[i];

		indent(b, 3);
		zod_key(b, t->obj.name);
		buf_append(b, ": z.object({\n");
		for (size_t k = 0; k < t->attributes.n; k++)
		{
			const struct pgw_column *c = t->attributes.items[k];
			size_t		mark;

			indent(b, 4);
			zod_key(b, c->obj.name);
			buf_append(b, ": ");
			mark = b->len;
			put_zod_type(g, b, c->type, NULL, 1);
			buf_append(b, strcmp(b->data + mark, "z.unknown()") != 0 ? ".nullable(),\n" : ",\n");
		}
		indent(b, 3);
		buf_append(b, "}),\n");
	}
	group_close(b, so.comps.n);
	indent(b, 1);
	buf_append(b, "},\n");
}

int
gen_zod(const struct pgw_model *m, const struct pgw_gen_opts *o,
		struct pgw_buf *out, struct pgw_gen_stats *stats)
{
	struct gen	g;
	struct pgw_gen_stats st = {0};

	if (gen_begin(&g, m, o, out) != 0)
		return -1;
	buf_append(out, "import { z } from \"zod\"\n\n");
	buf_append(out, json_type);
	buf_append(out, "export const Json: z.ZodType<Json> = z.lazy(() => z.union([NonNullJson, z.null()]))\n");
	buf_append(out, "export const NonNullJson: z.ZodType<NonNullable<Json>> = z.lazy(() =>\n"
			   "  z.union([\n    z.string(),\n    z.number(),\n    z.boolean(),\n"
			   "    z.record(z.string(), Json.optional()),\n    z.array(Json),\n  ]),\n)\n\n");
	buf_append(out, "export const Database = {\n");
	for (size_t i = 0; i < g.schemas.n; i++)
		put_zod_schema(&g, g.schemas.items[i], &st);
	buf_append(out, "}\n");
	arena_release(&g.scratch);
	if (stats)
		*stats = st;
	return 0;
}
