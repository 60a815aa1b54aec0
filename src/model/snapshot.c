/*
 * snapshot.c — canonical JSON for the schema model, written and read from
 * one table of fields per object kind (see snapshot.h).
 *
 * The writer is a small streaming emitter into a buffer (no JSON tree: a
 * 5,000-table schema writes in tens of milliseconds and little memory); the
 * reader parses with jdoc (util/jdoc.h) and walks the same field tables, so the two
 * cannot disagree on a key or its encoding.
 *
 * Field flags:
 *   OPT   left out when NULL, false, 0 or empty (absent means that value);
 *   STAT  left out of --stable snapshots.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/jdoc.h"

#include "model/snapshot.h"
#include "util/error.h"
#include "util/fs.h"

enum ftype
{
	F_NAME,						/* obj.name */
	F_SCHEMA,					/* obj.schema (OPT: left out when NULL) */
	F_MANAGED,					/* obj.managed */
	F_OID,						/* obj.oid */
	F_DEPS,						/* obj.deps */
	F_STR,
	F_BOOL,
	F_I64,
	F_CHR,						/* a char field spelled through a map */
	F_STRS,						/* struct pgw_vec of char * */
	F_GRANTS,					/* struct pgw_vec of struct pgw_grant * */
	F_SUBS,						/* struct pgw_vec of sub-objects */
	F_STATS,					/* a relation's statistics object */
	F_PUBTABLES					/* a publication's tables */
};

#define OPT  0x01
#define STAT 0x02

struct chrmap
{
	char		c;
	const char *s;
};

struct objdesc;

struct field
{
	const char *key;
	enum ftype	type;
	size_t		off;
	unsigned	flags;
	const struct chrmap *map;	/* F_CHR */
	const struct objdesc *sub;	/* F_SUBS */
};

struct objdesc
{
	enum pgw_kind kind;
	size_t		size;
	const struct field *fields;
};

#define FLD(key, type, st, member, flags) {key, type, offsetof(st, member), flags, NULL, NULL}
#define HDR(key, type, flags) {key, type, 0, flags, NULL, NULL}
#define CHR(key, st, member, flags, map) {key, F_CHR, offsetof(st, member), flags, map, NULL}
#define SUBS(key, st, member, flags, desc) {key, F_SUBS, offsetof(st, member), flags, NULL, desc}
#define END {NULL, F_NAME, 0, 0, NULL, NULL}

static const struct chrmap map_identity[] = {{'a', "always"}, {'d', "by default"}, {0, NULL}};
static const struct chrmap map_contype[] = {
	{'p', "primary key"}, {'u', "unique"}, {'c', "check"}, {'x', "exclusion"}, {'f', "foreign key"}, {0, NULL}
};
static const struct chrmap map_fkaction[] = {
	{'a', "NO ACTION"}, {'r', "RESTRICT"}, {'c', "CASCADE"}, {'n', "SET NULL"}, {'d', "SET DEFAULT"}, {0, NULL}
};
static const struct chrmap map_match[] = {{'s', "SIMPLE"}, {'f', "FULL"}, {'p', "PARTIAL"}, {0, NULL}};
static const struct chrmap map_polcmd[] = {
	{'r', "SELECT"}, {'a', "INSERT"}, {'w', "UPDATE"}, {'d', "DELETE"}, {'*', "ALL"}, {0, NULL}
};
static const struct chrmap map_enabled[] = {
	{'O', "origin"}, {'D', "disabled"}, {'R', "replica"}, {'A', "always"}, {0, NULL}
};
static const struct chrmap map_tablekind[] = {{'r', "table"}, {'p', "partitioned"}, {'f', "foreign"}, {0, NULL}};
static const struct chrmap map_viewkind[] = {{'v', "view"}, {'m', "materialized"}, {0, NULL}};
static const struct chrmap map_prokind[] = {
	{'f', "function"}, {'p', "procedure"}, {'a', "aggregate"}, {'w', "window"}, {0, NULL}
};
static const struct chrmap map_volatility[] = {{'i', "immutable"}, {'s', "stable"}, {'v', "volatile"}, {0, NULL}};
static const struct chrmap map_parallel[] = {{'s', "safe"}, {'r', "restricted"}, {'u', "unsafe"}, {0, NULL}};

#define S struct pgw_column
static const struct field column_fields[] = {
	HDR("name", F_NAME, 0),
	FLD("type", F_STR, S, type, 0),
	FLD("not_null", F_BOOL, S, not_null, 0),
	FLD("default", F_STR, S, default_expr, OPT),
	CHR("identity", S, identity, OPT, map_identity),
	FLD("generated", F_BOOL, S, generated, OPT),
	FLD("collation", F_STR, S, collation, OPT),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("grants", F_GRANTS, S, grants, OPT),
	END
};
#undef S
static const struct objdesc column_desc = {PGW_KIND_COLUMN, sizeof(struct pgw_column), column_fields};

#define S struct pgw_constraint
static const struct field constraint_fields[] = {
	HDR("name", F_NAME, 0),
	CHR("type", S, type, 0, map_contype),
	FLD("columns", F_STRS, S, columns, OPT),
	FLD("ref_schema", F_STR, S, ref_schema, OPT),
	FLD("ref_table", F_STR, S, ref_table, OPT),
	FLD("ref_columns", F_STRS, S, ref_columns, OPT),
	CHR("on_update", S, on_update, OPT, map_fkaction),
	CHR("on_delete", S, on_delete, OPT, map_fkaction),
	CHR("match", S, match, OPT, map_match),
	FLD("deferrable", F_BOOL, S, deferrable, 0),
	FLD("deferred", F_BOOL, S, deferred, 0),
	FLD("validated", F_BOOL, S, validated, 0),
	FLD("inherited", F_BOOL, S, inherited, OPT),
	FLD("index", F_STR, S, index, OPT),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("definition", F_STR, S, definition, 0),
	END
};
#undef S
static const struct objdesc constraint_desc = {PGW_KIND_CONSTRAINT, sizeof(struct pgw_constraint), constraint_fields};

#define S struct pgw_index
static const struct field index_fields[] = {
	HDR("name", F_NAME, 0),
	HDR("oid", F_OID, STAT),
	FLD("method", F_STR, S, method, 0),
	FLD("keys", F_STRS, S, keys, 0),
	FLD("include", F_STRS, S, include, OPT),
	FLD("predicate", F_STR, S, predicate, OPT),
	FLD("unique", F_BOOL, S, unique, 0),
	FLD("primary", F_BOOL, S, primary, 0),
	FLD("exclusion", F_BOOL, S, exclusion, OPT),
	FLD("valid", F_BOOL, S, valid, 0),
	FLD("ready", F_BOOL, S, ready, 0),
	FLD("constraint", F_STR, S, constraint, OPT),
	FLD("attached_to", F_STR, S, parent, OPT),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("definition", F_STR, S, definition, 0),
	END
};
#undef S
static const struct objdesc index_desc = {PGW_KIND_INDEX, sizeof(struct pgw_index), index_fields};

#define S struct pgw_policy
static const struct field policy_fields[] = {
	HDR("name", F_NAME, 0),
	CHR("command", S, command, 0, map_polcmd),
	FLD("permissive", F_BOOL, S, permissive, 0),
	FLD("roles", F_STRS, S, roles, 0),
	FLD("using", F_STR, S, using_expr, OPT),
	FLD("with_check", F_STR, S, check_expr, OPT),
	END
};
#undef S
static const struct objdesc policy_desc = {PGW_KIND_POLICY, sizeof(struct pgw_policy), policy_fields};

#define S struct pgw_trigger
static const struct field trigger_fields[] = {
	HDR("name", F_NAME, 0),
	FLD("timing", F_STR, S, timing, 0),
	FLD("events", F_STRS, S, events, 0),
	FLD("columns", F_STRS, S, columns, OPT),
	FLD("for_each_row", F_BOOL, S, row_level, 0),
	FLD("function_schema", F_STR, S, function_schema, 0),
	FLD("function_name", F_STR, S, function_name, 0),
	FLD("when", F_STR, S, when_expr, OPT),
	CHR("enabled", S, enabled, 0, map_enabled),
	FLD("constraint_trigger", F_BOOL, S, is_constraint, OPT),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("definition", F_STR, S, definition, 0),
	END
};
#undef S
static const struct objdesc trigger_desc = {PGW_KIND_TRIGGER, sizeof(struct pgw_trigger), trigger_fields};

#define S struct pgw_schema
static const struct field schema_fields[] = {
	HDR("name", F_NAME, 0),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("grants", F_GRANTS, S, grants, OPT),
	END
};
#undef S
static const struct objdesc schema_desc = {PGW_KIND_SCHEMA, sizeof(struct pgw_schema), schema_fields};

#define S struct pgw_extension
static const struct field extension_fields[] = {
	HDR("name", F_NAME, 0),
	HDR("schema", F_SCHEMA, 0),
	HDR("managed", F_MANAGED, 0),
	FLD("version", F_STR, S, version, 0),
	END
};
#undef S
static const struct objdesc extension_desc = {PGW_KIND_EXTENSION, sizeof(struct pgw_extension), extension_fields};

/* types: the kind is stored in the header; "kind" is handled by the reader */
#define S struct pgw_type
static const struct field type_fields[] = {
	HDR("schema", F_SCHEMA, 0),
	HDR("name", F_NAME, 0),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("labels", F_STRS, S, labels, OPT),
	FLD("base_type", F_STR, S, base_type, OPT),
	FLD("not_null", F_BOOL, S, not_null, OPT),
	FLD("default", F_STR, S, default_expr, OPT),
	FLD("collation", F_STR, S, collation, OPT),
	SUBS("constraints", S, constraints, OPT, &constraint_desc),
	SUBS("attributes", S, attributes, OPT, &column_desc),
	HDR("depends_on", F_DEPS, OPT),
	END
};
#undef S
static const struct objdesc type_desc = {PGW_KIND_ENUM, sizeof(struct pgw_type), type_fields};

#define S struct pgw_sequence
static const struct field sequence_fields[] = {
	HDR("schema", F_SCHEMA, 0),
	HDR("name", F_NAME, 0),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("data_type", F_STR, S, data_type, 0),
	FLD("start", F_I64, S, start, 0),
	FLD("increment", F_I64, S, increment, 0),
	FLD("min", F_I64, S, min, 0),
	FLD("max", F_I64, S, max, 0),
	FLD("cache", F_I64, S, cache, 0),
	FLD("cycle", F_BOOL, S, cycle, 0),
	FLD("owned_by_schema", F_STR, S, owned_by_schema, OPT),
	FLD("owned_by_table", F_STR, S, owned_by_table, OPT),
	FLD("owned_by_column", F_STR, S, owned_by_column, OPT),
	FLD("grants", F_GRANTS, S, grants, OPT),
	END
};
#undef S
static const struct objdesc sequence_desc = {PGW_KIND_SEQUENCE, sizeof(struct pgw_sequence), sequence_fields};

#define S struct pgw_relation
static const struct field table_fields[] = {
	HDR("schema", F_SCHEMA, 0),
	HDR("name", F_NAME, 0),
	CHR("kind", S, relkind, 0, map_tablekind),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("unlogged", F_BOOL, S, unlogged, OPT),
	FLD("rls_enabled", F_BOOL, S, rls_enabled, 0),
	FLD("rls_forced", F_BOOL, S, rls_forced, 0),
	FLD("partition_key", F_STR, S, partition_key, OPT),
	FLD("partition_of_schema", F_STR, S, parent_schema, OPT),
	FLD("partition_of", F_STR, S, parent_name, OPT),
	FLD("partition_bound", F_STR, S, partition_bound, OPT),
	FLD("options", F_STRS, S, options, OPT),
	FLD("readable", F_BOOL, S, readable, 0),
	SUBS("columns", S, columns, 0, &column_desc),
	SUBS("constraints", S, constraints, 0, &constraint_desc),
	SUBS("indexes", S, indexes, 0, &index_desc),
	SUBS("policies", S, policies, 0, &policy_desc),
	SUBS("triggers", S, triggers, OPT, &trigger_desc),
	FLD("grants", F_GRANTS, S, grants, OPT),
	HDR("depends_on", F_DEPS, OPT),
	HDR("stats", F_STATS, STAT),
	END
};
static const struct field view_fields[] = {
	HDR("schema", F_SCHEMA, 0),
	HDR("name", F_NAME, 0),
	CHR("kind", S, relkind, 0, map_viewkind),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("security_invoker", F_BOOL, S, security_invoker, 0),
	FLD("security_barrier", F_BOOL, S, security_barrier, 0),
	FLD("check_option", F_STR, S, check_option, OPT),
	FLD("populated", F_BOOL, S, populated, OPT),
	FLD("options", F_STRS, S, options, OPT),
	FLD("readable", F_BOOL, S, readable, 0),
	FLD("updatable", F_BOOL, S, updatable, OPT),
	SUBS("columns", S, columns, 0, &column_desc),
	SUBS("indexes", S, indexes, OPT, &index_desc),
	SUBS("triggers", S, triggers, OPT, &trigger_desc),
	FLD("grants", F_GRANTS, S, grants, OPT),
	HDR("depends_on", F_DEPS, OPT),
	HDR("stats", F_STATS, STAT),
	FLD("definition", F_STR, S, definition, 0),
	END
};
#undef S
static const struct objdesc table_desc = {PGW_KIND_TABLE, sizeof(struct pgw_relation), table_fields};
static const struct objdesc view_desc = {PGW_KIND_VIEW, sizeof(struct pgw_relation), view_fields};

#define S struct pgw_function
static const struct field function_fields[] = {
	HDR("schema", F_SCHEMA, 0),
	HDR("name", F_NAME, 0),
	FLD("arguments", F_STR, S, identity_args, 0),
	FLD("full_arguments", F_STR, S, arguments, OPT),
	CHR("kind", S, prokind, 0, map_prokind),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("result", F_STR, S, result, OPT),
	FLD("language", F_STR, S, language, 0),
	CHR("volatility", S, volatility, 0, map_volatility),
	FLD("strict", F_BOOL, S, strict, 0),
	FLD("security_definer", F_BOOL, S, security_definer, 0),
	FLD("leakproof", F_BOOL, S, leakproof, OPT),
	CHR("parallel", S, parallel, 0, map_parallel),
	FLD("config", F_STRS, S, config, OPT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	FLD("grants", F_GRANTS, S, grants, OPT),
	HDR("depends_on", F_DEPS, OPT),
	FLD("definition", F_STR, S, definition, OPT),
	END
};
#undef S
static const struct objdesc function_desc = {PGW_KIND_FUNCTION, sizeof(struct pgw_function), function_fields};

#define S struct pgw_publication
static const struct field publication_fields[] = {
	HDR("name", F_NAME, 0),
	HDR("managed", F_MANAGED, 0),
	HDR("oid", F_OID, STAT),
	FLD("owner", F_STR, S, owner, 0),
	FLD("all_tables", F_BOOL, S, all_tables, OPT),
	FLD("publish", F_STRS, S, publish, 0),
	FLD("via_root", F_BOOL, S, via_root, OPT),
	FLD("schemas", F_STRS, S, schemas, OPT),
	FLD("tables", F_PUBTABLES, S, tables, OPT),
	FLD("comment", F_STR, S, comment, OPT),
	END
};
#undef S
static const struct objdesc publication_desc = {PGW_KIND_PUBLICATION, sizeof(struct pgw_publication), publication_fields};

static const struct chrmap map_defacltype[] = {
	{'r', "tables"}, {'S', "sequences"}, {'f', "functions"}, {'T', "types"}, {'n', "schemas"}, {0, NULL}
};

#define S struct pgw_event_trigger
static const struct field event_trigger_fields[] = {
	HDR("name", F_NAME, 0),
	HDR("managed", F_MANAGED, 0),
	FLD("event", F_STR, S, event, 0),
	FLD("tags", F_STRS, S, tags, OPT),
	FLD("function_schema", F_STR, S, function_schema, 0),
	FLD("function_name", F_STR, S, function_name, 0),
	CHR("enabled", S, enabled, 0, map_enabled),
	FLD("owner", F_STR, S, owner, 0),
	FLD("comment", F_STR, S, comment, OPT),
	END
};
#undef S
static const struct objdesc event_trigger_desc = {PGW_KIND_EVENT_TRIGGER, sizeof(struct pgw_event_trigger), event_trigger_fields};

#define S struct pgw_default_acl
static const struct field default_acl_fields[] = {
	HDR("role", F_NAME, 0),
	HDR("schema", F_SCHEMA, OPT),
	CHR("object_type", S, objtype, 0, map_defacltype),
	HDR("managed", F_MANAGED, 0),
	FLD("grants", F_GRANTS, S, grants, OPT),
	END
};
#undef S
static const struct objdesc default_acl_desc = {PGW_KIND_DEFAULT_ACL, sizeof(struct pgw_default_acl), default_acl_fields};

/* The top-level lists, in document order. */
static const struct
{
	const char *key;
	size_t		off;
	const struct objdesc *desc;
	enum pgw_kind kind;			/* only relations of this kind (tables/views) */
	bool		opt;			/* left out when empty (newer lists) */
}			lists[] = {
	{"schemas", offsetof(struct pgw_model, schemas), &schema_desc, PGW_KIND_SCHEMA, false},
	{"extensions", offsetof(struct pgw_model, extensions), &extension_desc, PGW_KIND_EXTENSION, false},
	{"types", offsetof(struct pgw_model, types), &type_desc, PGW_KIND_ENUM, false},
	{"sequences", offsetof(struct pgw_model, sequences), &sequence_desc, PGW_KIND_SEQUENCE, false},
	{"tables", offsetof(struct pgw_model, relations), &table_desc, PGW_KIND_TABLE, false},
	{"views", offsetof(struct pgw_model, relations), &view_desc, PGW_KIND_VIEW, false},
	{"functions", offsetof(struct pgw_model, functions), &function_desc, PGW_KIND_FUNCTION, false},
	{"publications", offsetof(struct pgw_model, publications), &publication_desc, PGW_KIND_PUBLICATION, true},
	{"event_triggers", offsetof(struct pgw_model, event_triggers), &event_trigger_desc, PGW_KIND_EVENT_TRIGGER, true},
	{"default_privileges", offsetof(struct pgw_model, default_acls), &default_acl_desc, PGW_KIND_DEFAULT_ACL, true},
};

#define NLISTS (sizeof(lists) / sizeof(lists[0]))

#define AT(base, off, type) ((type *) ((char *) (base) + (off)))
#define CAT(base, off, type) ((const type *) ((const char *) (base) + (off)))

/* ================= writer ================= */

struct writer
{
	struct pgw_buf *b;
	bool		stable;
	int			depth;
	bool		first;			/* no member written yet at this level */
};

static void
w_string(struct pgw_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *run = p;

	buf_append_char(b, '"');
	for (; *p; p++)
	{
		const char *esc = NULL;
		char		u[8];

		switch (*p)
		{
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\r':
				esc = "\\r";
				break;
			default:
				if (*p < 0x20)
				{
					snprintf(u, sizeof(u), "\\u%04x", *p);
					esc = u;
				}
		}
		if (esc)
		{
			buf_append_len(b, (const char *) run, (size_t) (p - run));
			buf_append(b, esc);
			run = p + 1;
		}
	}
	buf_append_len(b, (const char *) run, (size_t) (p - run));
	buf_append_char(b, '"');
}

/* A newline and two spaces per level (appends, not a loop of them). */
static void
w_indent(struct pgw_buf *b, int depth)
{
	static const char spaces[] = "                                                                ";
	size_t		n = 2 * (size_t) depth;

	buf_append_char(b, '\n');
	while (n > 0)
	{
		size_t		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		buf_append_len(b, spaces, k);
		n -= k;
	}
}

/* Starts a member: separator, newline, indentation, key. */
static void
w_key(struct writer *w, const char *key)
{
	if (!w->first)
		buf_append_char(w->b, ',');
	w->first = false;
	w_indent(w->b, w->depth);
	if (key)
	{
		w_string(w->b, key);
		buf_append_len(w->b, ": ", 2);
	}
}

static void
w_open(struct writer *w, const char *key, char c)
{
	w_key(w, key);
	buf_append_char(w->b, c);
	w->depth++;
	w->first = true;
}

static void
w_close(struct writer *w, char c)
{
	bool		empty = w->first;

	w->depth--;
	if (!empty)
		w_indent(w->b, w->depth);
	buf_append_char(w->b, c);
	w->first = false;
}

static void
w_strs_inline(struct pgw_buf *b, const struct pgw_vec *v)
{
	buf_append_char(b, '[');
	for (size_t i = 0; i < v->n; i++)
	{
		if (i)
			buf_append(b, ", ");
		w_string(b, v->items[i]);
	}
	buf_append_char(b, ']');
}

static const char *
chr_name(const struct chrmap *map, char c)
{
	for (; map->s; map++)
		if (map->c == c)
			return map->s;
	return NULL;
}

static void w_object(struct writer *w, const void *obj, const struct objdesc *desc);

static void
w_stats(struct writer *w, const struct pgw_relation *rel)
{
	if (!rel->has_stats && !rel->has_exact)
		return;
	w_open(w, "stats", '{');
	if (rel->has_stats)
	{
		w_key(w, "estimated_rows");
		buf_printf(w->b, "%lld", (long long) rel->estimated_rows);
		w_key(w, "total_bytes");
		buf_printf(w->b, "%lld", (long long) rel->total_bytes);
		w_key(w, "table_bytes");
		buf_printf(w->b, "%lld", (long long) rel->table_bytes);
		w_key(w, "index_bytes");
		buf_printf(w->b, "%lld", (long long) rel->index_bytes);
		w_key(w, "toast_bytes");
		buf_printf(w->b, "%lld", (long long) rel->toast_bytes);
	}
	if (rel->has_exact)
	{
		w_key(w, "exact_rows");
		buf_printf(w->b, "%lld", (long long) rel->exact_rows);
		if (rel->has_tenant)
		{
			w_key(w, "tenant_rows");
			buf_printf(w->b, "%lld", (long long) rel->tenant_rows);
			w_key(w, "tenant_coverage");
			if (rel->exact_rows > 0)
				buf_printf(w->b, "%.4f", (double) rel->tenant_rows / (double) rel->exact_rows);
			else
				buf_append(w->b, "null");
		}
	}
	w_close(w, '}');
}

static void
w_field(struct writer *w, const void *obj, const struct field *f)
{
	const struct pgw_object *hdr = obj;

	if ((f->flags & STAT) && w->stable)
		return;
	switch (f->type)
	{
		case F_NAME:
			w_key(w, f->key);
			w_string(w->b, hdr->name);
			break;
		case F_SCHEMA:
			if (!hdr->schema && (f->flags & OPT))
				return;
			w_key(w, f->key);
			w_string(w->b, hdr->schema ? hdr->schema : "");
			break;
		case F_MANAGED:
			w_key(w, f->key);
			buf_append(w->b, hdr->managed ? "true" : "false");
			break;
		case F_OID:
			if (hdr->oid == 0)
				return;
			w_key(w, f->key);
			buf_printf(w->b, "%u", hdr->oid);
			break;
		case F_DEPS:
			if (hdr->deps.n == 0 && (f->flags & OPT))
				return;
			w_open(w, f->key, '[');
			for (size_t i = 0; i < hdr->deps.n; i++)
			{
				const struct pgw_ref *r = hdr->deps.items[i];

				w_key(w, NULL);
				buf_append(w->b, "{\"kind\": ");
				w_string(w->b, model_kind_name(r->kind));
				buf_append(w->b, ", \"schema\": ");
				w_string(w->b, r->schema);
				buf_append(w->b, ", \"name\": ");
				w_string(w->b, r->name);
				buf_append_char(w->b, '}');
			}
			w_close(w, ']');
			break;
		case F_STR:
			{
				const char *s = *CAT(obj, f->off, char *);

				if (!s && (f->flags & OPT))
					return;
				w_key(w, f->key);
				if (s)
					w_string(w->b, s);
				else
					buf_append(w->b, "null");
				break;
			}
		case F_BOOL:
			{
				bool		v = *CAT(obj, f->off, bool);

				if (!v && (f->flags & OPT))
					return;
				w_key(w, f->key);
				buf_append(w->b, v ? "true" : "false");
				break;
			}
		case F_I64:
			w_key(w, f->key);
			buf_printf(w->b, "%lld", (long long) *CAT(obj, f->off, int64_t));
			break;
		case F_CHR:
			{
				const char *s = chr_name(f->map, *CAT(obj, f->off, char));

				if (!s && (f->flags & OPT))
					return;
				w_key(w, f->key);
				if (s)
					w_string(w->b, s);
				else
					buf_append(w->b, "null");
				break;
			}
		case F_STRS:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				if (v->n == 0 && (f->flags & OPT))
					return;
				w_key(w, f->key);
				w_strs_inline(w->b, v);
				break;
			}
		case F_GRANTS:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				if (v->n == 0 && (f->flags & OPT))
					return;
				w_open(w, f->key, '[');
				for (size_t i = 0; i < v->n; i++)
				{
					const struct pgw_grant *g = v->items[i];

					w_key(w, NULL);
					buf_append(w->b, "{\"grantee\": ");
					w_string(w->b, g->grantee);
					buf_append(w->b, ", \"privilege\": ");
					w_string(w->b, g->privilege);
					buf_append(w->b, g->grantable ? ", \"grantable\": true}" : ", \"grantable\": false}");
				}
				w_close(w, ']');
				break;
			}
		case F_SUBS:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				if (v->n == 0 && (f->flags & OPT))
					return;
				w_open(w, f->key, '[');
				for (size_t i = 0; i < v->n; i++)
				{
					w_key(w, NULL);
					w_object(w, v->items[i], f->sub);
				}
				w_close(w, ']');
				break;
			}
		case F_STATS:
			w_stats(w, obj);
			break;
		case F_PUBTABLES:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				if (v->n == 0 && (f->flags & OPT))
					return;
				w_open(w, f->key, '[');
				for (size_t i = 0; i < v->n; i++)
				{
					const struct pgw_publication_table *t = v->items[i];

					w_key(w, NULL);
					buf_append(w->b, "{\"schema\": ");
					w_string(w->b, t->schema);
					buf_append(w->b, ", \"name\": ");
					w_string(w->b, t->name);
					if (t->columns.n)
					{
						buf_append(w->b, ", \"columns\": ");
						w_strs_inline(w->b, &t->columns);
					}
					if (t->where_expr)
					{
						buf_append(w->b, ", \"where\": ");
						w_string(w->b, t->where_expr);
					}
					buf_append_char(w->b, '}');
				}
				w_close(w, ']');
				break;
			}
	}
}

static void
w_object(struct writer *w, const void *obj, const struct objdesc *desc)
{
	/* the caller wrote the separator and indentation */
	buf_append_char(w->b, '{');
	w->depth++;
	w->first = true;
	if (desc == &type_desc)
	{
		w_key(w, "kind");
		w_string(w->b, model_kind_name(((const struct pgw_object *) obj)->kind));
	}
	for (const struct field *f = desc->fields; f->key; f++)
		w_field(w, obj, f);
	w_close(w, '}');
}

void
snapshot_write(const struct pgw_model *m, bool stable, struct pgw_buf *out)
{
	struct writer w = {out, stable, 0, true};

	buf_append_char(out, '{');
	w.depth = 1;
	w_key(&w, "format");
	w_string(out, PGW_SNAPSHOT_FORMAT);
	w_key(&w, "stable");
	buf_append(out, stable ? "true" : "false");
	if (!stable)
	{
		w_open(&w, "source", '{');
		w_key(&w, "database");
		w_string(out, m->source.database ? m->source.database : "");
		w_key(&w, "user");
		w_string(out, m->source.user ? m->source.user : "");
		w_key(&w, "server_version");
		w_string(out, m->source.server_version ? m->source.server_version : "");
		w_key(&w, "server_version_num");
		buf_printf(out, "%d", m->source.server_version_num);
		w_key(&w, "captured_at");
		w_string(out, m->source.captured_at ? m->source.captured_at : "");
		w_key(&w, "exact");
		buf_append(out, m->source.exact ? "true" : "false");
		w_close(&w, '}');
	}
	w_key(&w, "tenant_column");
	if (m->source.tenant_column)
		w_string(out, m->source.tenant_column);
	else
		buf_append(out, "null");
	for (size_t l = 0; l < NLISTS; l++)
	{
		const struct pgw_vec *v = CAT(m, lists[l].off, struct pgw_vec);

		if (lists[l].opt && v->n == 0)
			continue;
		w_open(&w, lists[l].key, '[');
		for (size_t i = 0; i < v->n; i++)
		{
			const struct pgw_object *o = v->items[i];

			if (lists[l].off == offsetof(struct pgw_model, relations) && o->kind != lists[l].kind)
				continue;
			w_key(&w, NULL);
			w_object(&w, o, lists[l].desc);
		}
		w_close(&w, ']');
	}
	w_close(&w, '}');
	buf_append_char(out, '\n');
}

/* ================= reader ================= */

struct reader
{
	struct pgw_model *m;
	const char *name;
	/* where in the document: key[i] and index[i] of each level, turned
	 * into "tables[3].columns[2]" only for a message */
	const char *pkey[8];
	size_t		pidx[8];
	int			depth;
};

static int
r_fail(struct reader *r, const char *key, const char *what)
{
	char		path[256] = "";
	size_t		len = 0;

	for (int d = 0; d < r->depth && d < 8 && len < sizeof(path); d++)
		len += (size_t) snprintf(path + len, sizeof(path) - len, "%s%s[%zu]", d ? "." : "", r->pkey[d], r->pidx[d]);
	return pgw_error(PGW_ERR_INPUT, "'%s' is not a valid snapshot: %s%s%s %s",
					 r->name, path, key && path[0] ? "." : "", key ? key : "", what);
}

static int
r_str(struct reader *r, struct jdoc *v, const char *key, const char **out)
{
	if (!v || jdoc_is_null(v))
	{
		*out = NULL;
		return 0;
	}
	if (!jdoc_is_string(v))
		return r_fail(r, key, "must be a string");
	*out = jdoc_string(v);
	return 0;
}

static int
r_strs(struct reader *r, struct jdoc *v, const char *key, struct pgw_vec *out)
{
	size_t		i;
	struct jdoc *item;

	if (!v || jdoc_is_null(v))
		return 0;
	if (!jdoc_is_array(v))
		return r_fail(r, key, "must be an array of strings");
	for (i = 0; i < jdoc_size(v) && ((item = &(v)->u.items[i]) != NULL); i++)
	{
		if (!jdoc_is_string(item))
			return r_fail(r, key, "must be an array of strings");
		model_push(r->m, out, (void *) jdoc_string(item));
	}
	return 0;
}

static int	r_object(struct reader *r, struct jdoc *j, const struct objdesc *desc,
					 const char *schema, void **out);

static int
r_stats(struct reader *r, struct jdoc *v, struct pgw_relation *rel)
{
	struct jdoc *x;

	if (!v)
		return 0;
	if (!jdoc_is_object(v))
		return r_fail(r, "stats", "must be an object");
	if ((x = jdoc_get(v, "estimated_rows")) != NULL)
	{
		rel->has_stats = true;
		rel->estimated_rows = jdoc_integer(x);
		rel->total_bytes = jdoc_integer(jdoc_get(v, "total_bytes"));
		rel->table_bytes = jdoc_integer(jdoc_get(v, "table_bytes"));
		rel->index_bytes = jdoc_integer(jdoc_get(v, "index_bytes"));
		rel->toast_bytes = jdoc_integer(jdoc_get(v, "toast_bytes"));
	}
	if ((x = jdoc_get(v, "exact_rows")) != NULL)
	{
		rel->has_exact = true;
		rel->exact_rows = jdoc_integer(x);
		if ((x = jdoc_get(v, "tenant_rows")) != NULL)
		{
			rel->has_tenant = true;
			rel->tenant_rows = jdoc_integer(x);
		}
	}
	return 0;
}

static int
r_field(struct reader *r, struct jdoc *j, void *obj, const struct field *f)
{
	struct pgw_object *hdr = obj;
	struct jdoc *v = jdoc_get(j, f->key);

	switch (f->type)
	{
		case F_NAME:
			if (!jdoc_is_string(v))
				return r_fail(r, f->key, "must be a string");
			hdr->name = jdoc_string(v);
			return 0;
		case F_SCHEMA:
			if (!v && (f->flags & OPT))
			{
				hdr->schema = NULL;
				return 0;
			}
			if (!jdoc_is_string(v))
				return r_fail(r, f->key, "must be a string");
			hdr->schema = jdoc_string(v);
			return 0;
		case F_MANAGED:
			hdr->managed = jdoc_is_true(v);
			return 0;
		case F_OID:
			hdr->oid = v ? (uint32_t) jdoc_integer(v) : 0;
			return 0;
		case F_DEPS:
			{
				size_t		i;
				struct jdoc *d;

				if (!v)
					return 0;
				if (!jdoc_is_array(v))
					return r_fail(r, f->key, "must be an array");
				for (i = 0; i < jdoc_size(v) && ((d = &(v)->u.items[i]) != NULL); i++)
				{
					const char *kind = jdoc_string(jdoc_get(d, "kind"));
					const char *schema = jdoc_string(jdoc_get(d, "schema"));
					const char *name = jdoc_string(jdoc_get(d, "name"));
					int			k = kind ? model_kind_parse(kind) : -1;

					if (k < 0 || !schema || !name)
						return r_fail(r, f->key, "has an entry without a known kind, schema and name");
					model_add_dep(r->m, hdr, (enum pgw_kind) k, schema,
								  name);
				}
				return 0;
			}
		case F_STR:
			return r_str(r, v, f->key, AT(obj, f->off, const char *));
		case F_BOOL:
			if (v && !jdoc_is_boolean(v))
				return r_fail(r, f->key, "must be true or false");
			*AT(obj, f->off, bool) = jdoc_is_true(v);
			return 0;
		case F_I64:
			if (!jdoc_is_integer(v))
				return r_fail(r, f->key, "must be an integer");
			*AT(obj, f->off, int64_t) = jdoc_integer(v);
			return 0;
		case F_CHR:
			{
				const char *s = jdoc_string(v);
				const struct chrmap *map;

				*AT(obj, f->off, char) = 0;
				if (!v || jdoc_is_null(v))
					return 0;
				for (map = f->map; s && map->s; map++)
					if (strcmp(map->s, s) == 0)
					{
						*AT(obj, f->off, char) = map->c;
						return 0;
					}
				return r_fail(r, f->key, "has an unknown value");
			}
		case F_STRS:
			return r_strs(r, v, f->key, AT(obj, f->off, struct pgw_vec));
		case F_GRANTS:
			{
				size_t		i;
				struct jdoc *g;

				if (!v)
					return 0;
				if (!jdoc_is_array(v))
					return r_fail(r, f->key, "must be an array");
				for (i = 0; i < jdoc_size(v) && ((g = &(v)->u.items[i]) != NULL); i++)
				{
					struct pgw_grant *gr = arena_alloc(&r->m->arena, sizeof(*gr));

					gr->grantee = jdoc_string(jdoc_get(g, "grantee"));
					gr->privilege = jdoc_string(jdoc_get(g, "privilege"));
					gr->grantable = jdoc_is_true(jdoc_get(g, "grantable"));
					if (!gr->grantee || !gr->privilege)
						return r_fail(r, f->key, "has an entry without grantee and privilege");
					model_push(r->m, AT(obj, f->off, struct pgw_vec), gr);
				}
				return 0;
			}
		case F_SUBS:
			{
				size_t		i;
				struct jdoc *s;

				if (!v)
					return 0;
				if (!jdoc_is_array(v))
					return r_fail(r, f->key, "must be an array");
				for (i = 0; i < jdoc_size(v) && ((s = &(v)->u.items[i]) != NULL); i++)
				{
					void	   *sub;

					if (r->depth < 8)
					{
						r->pkey[r->depth] = f->key;
						r->pidx[r->depth] = i;
					}
					r->depth++;
					if (r_object(r, s, f->sub, hdr->schema, &sub) != 0)
						return -1;
					r->depth--;
					((struct pgw_object *) sub)->managed = hdr->managed;
					model_push(r->m, AT(obj, f->off, struct pgw_vec), sub);
				}
				return 0;
			}
		case F_STATS:
			return r_stats(r, v, obj);
		case F_PUBTABLES:
			{
				size_t		i;
				struct jdoc *t;

				if (!v)
					return 0;
				if (!jdoc_is_array(v))
					return r_fail(r, f->key, "must be an array");
				for (i = 0; i < jdoc_size(v) && ((t = &(v)->u.items[i]) != NULL); i++)
				{
					struct pgw_publication_table *pt = arena_alloc(&r->m->arena, sizeof(*pt));

					memset(pt, 0, sizeof(*pt));
					pt->schema = jdoc_string(jdoc_get(t, "schema"));
					pt->name = jdoc_string(jdoc_get(t, "name"));
					if (!pt->schema || !pt->name)
						return r_fail(r, f->key, "has an entry without schema and name");
					if (r_strs(r, jdoc_get(t, "columns"), f->key, &pt->columns) != 0 ||
						r_str(r, jdoc_get(t, "where"), f->key, &pt->where_expr) != 0)
						return -1;
					model_push(r->m, AT(obj, f->off, struct pgw_vec), pt);
					model_add_dep(r->m, hdr, PGW_KIND_TABLE, pt->schema, pt->name);
				}
				return 0;
			}
	}
	return 0;
}

static int
r_object(struct reader *r, struct jdoc *j, const struct objdesc *desc, const char *schema, void **out)
{
	struct pgw_object *o;
	enum pgw_kind kind = desc->kind;

	if (!jdoc_is_object(j))
		return r_fail(r, NULL, "must be an object");
	if (desc == &type_desc)
	{
		const char *k = jdoc_string(jdoc_get(j, "kind"));
		int			kk = k ? model_kind_parse(k) : -1;

		if (kk != PGW_KIND_ENUM && kk != PGW_KIND_DOMAIN && kk != PGW_KIND_COMPOSITE)
			return r_fail(r, "kind", "must be enum, domain or composite");
		kind = (enum pgw_kind) kk;
	}
	/* strings come from the document's string block, in the model's arena:
	 * no copies */
	o = model_new_object(r->m, desc->size, kind, NULL, NULL);
	o->schema = schema;
	for (const struct field *f = desc->fields; f->key; f++)
		if (r_field(r, j, o, f) != 0)
			return -1;
	*out = o;
	return 0;
}

int
snapshot_read_text(const char *name, const char *text, size_t len,
				   struct pgw_model *m, bool *stable)
{
	struct jdoc_error jerr;
	struct pgw_arena tmp;
	struct jdoc *doc;
	struct reader r = {.m = m, .name = name};
	const char *format;
	struct jdoc *src;
	int			rc = -1;

	/* the parsed document lives in its own arena, gone when read */
	arena_init(&tmp);
	doc = jdoc_parse(&tmp, &m->arena, text, len, &jerr);
	if (!doc)
	{
		arena_release(&tmp);
		return pgw_error(PGW_ERR_INPUT, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
	}
	format = jdoc_string(jdoc_get(doc, "format"));
	if (!format || strcmp(format, PGW_SNAPSHOT_FORMAT) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "'%s' is not a pgwarden snapshot (format %s%s%s)", name,
				  format ? "'" : "", format ? format : "missing", format ? "'" : "");
		pgw_error_hint("expected \"format\": \"%s\", as written by pgwarden inspect", PGW_SNAPSHOT_FORMAT);
		goto out;
	}
	if (stable)
		*stable = jdoc_is_true(jdoc_get(doc, "stable"));
	if ((src = jdoc_get(doc, "source")) != NULL)
	{
		m->source.database = jdoc_string(jdoc_get(src, "database"));
		m->source.user = jdoc_string(jdoc_get(src, "user"));
		m->source.server_version = jdoc_string(jdoc_get(src, "server_version"));
		m->source.server_version_num = (int) jdoc_integer(jdoc_get(src, "server_version_num"));
		m->source.captured_at = jdoc_string(jdoc_get(src, "captured_at"));
		m->source.exact = jdoc_is_true(jdoc_get(src, "exact"));
	}
	m->source.tenant_column = jdoc_string(jdoc_get(doc, "tenant_column"));
	for (size_t l = 0; l < NLISTS; l++)
	{
		struct jdoc *arr = jdoc_get(doc, lists[l].key);
		size_t		i;
		struct jdoc *j;

		if (!arr)
			continue;
		r.depth = 0;
		if (!jdoc_is_array(arr))
		{
			r_fail(&r, lists[l].key, "must be an array");
			goto out;
		}
		for (i = 0; i < jdoc_size(arr) && ((j = &(arr)->u.items[i]) != NULL); i++)
		{
			void	   *o;

			r.pkey[0] = lists[l].key;
			r.pidx[0] = i;
			r.depth = 1;
			if (r_object(&r, j, lists[l].desc, NULL, &o) != 0)
				goto out;
			if (lists[l].desc == &schema_desc)
				((struct pgw_object *) o)->schema = ((struct pgw_object *) o)->name;
			model_push(m, AT(m, lists[l].off, struct pgw_vec), o);
		}
	}
	model_sort(m);
	rc = 0;
out:
	arena_release(&tmp);
	return rc;
}

int
snapshot_read_file(const char *path, struct pgw_model *m, bool *stable)
{
	char	   *data;
	size_t		len;
	int			rc;
	int			fd;
	struct stat st;

	/* a regular file is mapped, not copied (36 MB at 5,000 tables) */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
	{
		void	   *map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (map != MAP_FAILED)
		{
			close(fd);
			(void) madvise(map, (size_t) st.st_size, MADV_SEQUENTIAL);
			rc = snapshot_read_text(path, map, (size_t) st.st_size, m, stable);
			munmap(map, (size_t) st.st_size);
			return rc;
		}
	}
	if (fd >= 0)
		close(fd);
	if (fs_read_file(path, &data, &len) != 0)
		return -1;
	rc = snapshot_read_text(path, data, len, m, stable);
	free(data);
	return rc;
}

/* ================= binary form ================= */

/*
 * The snapshot cache's body (snapshot.h): the model walked through the same
 * field tables, every field written whatever its flags, plus each object's
 * whole header (kind, oid, schema, name, managed, dependencies) and what
 * the JSON leaves out (a column's attnum, a composite's relid).  Integers
 * are host-order fixed width; a string is a u32 (0: NULL, else its length
 * plus one) then its bytes and a NUL, so the reader points into one copy of
 * the body instead of copying each string.
 */

#define BIN_MAGIC "pgwarden.model/1"

static void
b_u8(struct pgw_buf *b, unsigned v)
{
	buf_append_char(b, (char) v);
}

static void
b_u32(struct pgw_buf *b, uint32_t v)
{
	buf_append_len(b, (const char *) &v, sizeof(v));
}

static void
b_i64(struct pgw_buf *b, int64_t v)
{
	buf_append_len(b, (const char *) &v, sizeof(v));
}

static void
b_str(struct pgw_buf *b, const char *s)
{
	size_t		n;

	if (!s)
	{
		b_u32(b, 0);
		return;
	}
	n = strlen(s);
	b_u32(b, (uint32_t) n + 1);
	buf_append_len(b, s, n + 1);
}

static void
b_strs(struct pgw_buf *b, const struct pgw_vec *v)
{
	b_u32(b, (uint32_t) v->n);
	for (size_t i = 0; i < v->n; i++)
		b_str(b, v->items[i]);
}

static void b_object(struct pgw_buf *b, const void *obj, const struct objdesc *desc);

static void
b_field(struct pgw_buf *b, const void *obj, const struct field *f)
{
	switch (f->type)
	{
		case F_NAME:
		case F_SCHEMA:
		case F_MANAGED:
		case F_OID:
		case F_DEPS:
			break;				/* in the header */
		case F_STR:
			b_str(b, *CAT(obj, f->off, char *));
			break;
		case F_BOOL:
			b_u8(b, *CAT(obj, f->off, bool));
			break;
		case F_I64:
			b_i64(b, *CAT(obj, f->off, int64_t));
			break;
		case F_CHR:
			b_u8(b, (unsigned char) *CAT(obj, f->off, char));
			break;
		case F_STRS:
			b_strs(b, CAT(obj, f->off, struct pgw_vec));
			break;
		case F_GRANTS:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				b_u32(b, (uint32_t) v->n);
				for (size_t i = 0; i < v->n; i++)
				{
					const struct pgw_grant *g = v->items[i];

					b_str(b, g->grantee);
					b_str(b, g->privilege);
					b_u8(b, g->grantable);
				}
				break;
			}
		case F_SUBS:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				b_u32(b, (uint32_t) v->n);
				for (size_t i = 0; i < v->n; i++)
					b_object(b, v->items[i], f->sub);
				break;
			}
		case F_STATS:
			{
				const struct pgw_relation *rel = obj;

				b_u8(b, rel->has_stats);
				b_i64(b, rel->estimated_rows);
				b_i64(b, rel->total_bytes);
				b_i64(b, rel->table_bytes);
				b_i64(b, rel->index_bytes);
				b_i64(b, rel->toast_bytes);
				b_u8(b, rel->has_exact);
				b_i64(b, rel->exact_rows);
				b_u8(b, rel->has_tenant);
				b_i64(b, rel->tenant_rows);
				break;
			}
		case F_PUBTABLES:
			{
				const struct pgw_vec *v = CAT(obj, f->off, struct pgw_vec);

				b_u32(b, (uint32_t) v->n);
				for (size_t i = 0; i < v->n; i++)
				{
					const struct pgw_publication_table *t = v->items[i];

					b_str(b, t->schema);
					b_str(b, t->name);
					b_strs(b, &t->columns);
					b_str(b, t->where_expr);
				}
				break;
			}
	}
}

static void
b_object(struct pgw_buf *b, const void *obj, const struct objdesc *desc)
{
	const struct pgw_object *hdr = obj;

	b_u8(b, hdr->kind);
	b_u32(b, hdr->oid);
	b_str(b, hdr->schema);
	b_str(b, hdr->name);
	b_u8(b, hdr->managed);
	b_u32(b, (uint32_t) hdr->deps.n);
	for (size_t i = 0; i < hdr->deps.n; i++)
	{
		const struct pgw_ref *r = hdr->deps.items[i];

		b_u8(b, r->kind);
		b_str(b, r->schema);
		b_str(b, r->name);
	}
	if (desc == &column_desc)
		b_i64(b, ((const struct pgw_column *) obj)->attnum);
	else if (desc == &type_desc)
		b_u32(b, ((const struct pgw_type *) obj)->relid);
	for (const struct field *f = desc->fields; f->key; f++)
		b_field(b, obj, f);
}

/* The top-level lists of the binary form: relations once, in model order. */
static const size_t bin_lists[] = {
	offsetof(struct pgw_model, schemas), offsetof(struct pgw_model, extensions),
	offsetof(struct pgw_model, types), offsetof(struct pgw_model, sequences),
	offsetof(struct pgw_model, relations), offsetof(struct pgw_model, functions),
	offsetof(struct pgw_model, publications), offsetof(struct pgw_model, event_triggers),
	offsetof(struct pgw_model, default_acls),
};

#define NBINLISTS (sizeof(bin_lists) / sizeof(bin_lists[0]))

/* The field table of an object of this kind in a top-level list. */
static const struct objdesc *
bin_desc(enum pgw_kind kind)
{
	switch (kind)
	{
		case PGW_KIND_SCHEMA:
			return &schema_desc;
		case PGW_KIND_EXTENSION:
			return &extension_desc;
		case PGW_KIND_ENUM:
		case PGW_KIND_DOMAIN:
		case PGW_KIND_COMPOSITE:
			return &type_desc;
		case PGW_KIND_SEQUENCE:
			return &sequence_desc;
		case PGW_KIND_TABLE:
			return &table_desc;
		case PGW_KIND_VIEW:
			return &view_desc;
		case PGW_KIND_FUNCTION:
			return &function_desc;
		case PGW_KIND_PUBLICATION:
			return &publication_desc;
		case PGW_KIND_EVENT_TRIGGER:
			return &event_trigger_desc;
		case PGW_KIND_DEFAULT_ACL:
			return &default_acl_desc;
		default:
			return NULL;
	}
}

void
snapshot_write_binary(const struct pgw_model *m, struct pgw_buf *out)
{
	buf_append_len(out, BIN_MAGIC, sizeof(BIN_MAGIC));
	b_str(out, m->source.database);
	b_str(out, m->source.server_version);
	b_u32(out, (uint32_t) m->source.server_version_num);
	b_str(out, m->source.user);
	b_str(out, m->source.captured_at);
	b_str(out, m->source.tenant_column);
	b_u8(out, m->source.exact);
	for (size_t l = 0; l < NBINLISTS; l++)
	{
		const struct pgw_vec *v = CAT(m, bin_lists[l], struct pgw_vec);

		b_u32(out, (uint32_t) v->n);
		for (size_t i = 0; i < v->n; i++)
		{
			const struct pgw_object *o = v->items[i];

			b_object(out, o, bin_desc(o->kind));
		}
	}
}

/* A cursor over the body; bad is set on the first read past its end or of
 * a malformed value, after which every read gives zeros. */
struct binreader
{
	struct pgw_model *m;
	const char *p;
	const char *end;
	bool		bad;
};

static bool
g_need(struct binreader *r, size_t n)
{
	if (r->bad || (size_t) (r->end - r->p) < n)
	{
		r->bad = true;
		return false;
	}
	return true;
}

static unsigned
g_u8(struct binreader *r)
{
	return g_need(r, 1) ? (unsigned char) *r->p++ : 0;
}

static uint32_t
g_u32(struct binreader *r)
{
	uint32_t	v = 0;

	if (g_need(r, sizeof(v)))
	{
		memcpy(&v, r->p, sizeof(v));
		r->p += sizeof(v);
	}
	return v;
}

static int64_t
g_i64(struct binreader *r)
{
	int64_t		v = 0;

	if (g_need(r, sizeof(v)))
	{
		memcpy(&v, r->p, sizeof(v));
		r->p += sizeof(v);
	}
	return v;
}

static const char *
g_str(struct binreader *r)
{
	uint32_t	n = g_u32(r);
	const char *s;

	if (n == 0 || r->bad)
		return NULL;
	if (!g_need(r, n) || r->p[n - 1] != '\0')
	{
		r->bad = true;
		return NULL;
	}
	s = r->p;
	r->p += n;
	return s;
}

/* A count of items that each take at least min bytes: never more than
 * what is left (a damaged count cannot make the reader allocate wildly). */
static uint32_t
g_count(struct binreader *r, size_t min)
{
	uint32_t	n = g_u32(r);

	if (!r->bad && (size_t) n > (size_t) (r->end - r->p) / min)
		r->bad = true;
	return r->bad ? 0 : n;
}

/* Room for n more items at once (vectors of a loaded model never grow). */
static void
g_reserve(struct binreader *r, struct pgw_vec *v, uint32_t n)
{
	if (n && v->n == 0 && v->cap < n)
	{
		v->items = arena_alloc_raw(&r->m->arena, n * sizeof(void *));
		v->cap = n;
	}
}

static void
g_strs(struct binreader *r, struct pgw_vec *v)
{
	uint32_t	n = g_count(r, 4);

	g_reserve(r, v, n);

	for (uint32_t i = 0; i < n && !r->bad; i++)
	{
		const char *s = g_str(r);

		if (!s)
			r->bad = true;
		else
			model_push(r->m, v, (void *) s);
	}
}

static void *g_object(struct binreader *r, const struct objdesc *desc);

static void
g_field(struct binreader *r, void *obj, const struct field *f)
{
	switch (f->type)
	{
		case F_NAME:
		case F_SCHEMA:
		case F_MANAGED:
		case F_OID:
		case F_DEPS:
			break;
		case F_STR:
			*AT(obj, f->off, const char *) = g_str(r);
			break;
		case F_BOOL:
			*AT(obj, f->off, bool) = g_u8(r) != 0;
			break;
		case F_I64:
			*AT(obj, f->off, int64_t) = g_i64(r);
			break;
		case F_CHR:
			*AT(obj, f->off, char) = (char) g_u8(r);
			break;
		case F_STRS:
			g_strs(r, AT(obj, f->off, struct pgw_vec));
			break;
		case F_GRANTS:
			{
				uint32_t	n = g_count(r, 9);

				g_reserve(r, AT(obj, f->off, struct pgw_vec), n);
				for (uint32_t i = 0; i < n && !r->bad; i++)
				{
					struct pgw_grant *g = arena_alloc(&r->m->arena, sizeof(*g));

					g->grantee = g_str(r);
					g->privilege = g_str(r);
					g->grantable = g_u8(r) != 0;
					if (!g->grantee || !g->privilege)
						r->bad = true;
					else
						model_push(r->m, AT(obj, f->off, struct pgw_vec), g);
				}
				break;
			}
		case F_SUBS:
			{
				uint32_t	n = g_count(r, 18);

				g_reserve(r, AT(obj, f->off, struct pgw_vec), n);
				for (uint32_t i = 0; i < n && !r->bad; i++)
				{
					void	   *sub = g_object(r, f->sub);

					if (sub)
						model_push(r->m, AT(obj, f->off, struct pgw_vec), sub);
				}
				break;
			}
		case F_STATS:
			{
				struct pgw_relation *rel = obj;

				rel->has_stats = g_u8(r) != 0;
				rel->estimated_rows = g_i64(r);
				rel->total_bytes = g_i64(r);
				rel->table_bytes = g_i64(r);
				rel->index_bytes = g_i64(r);
				rel->toast_bytes = g_i64(r);
				rel->has_exact = g_u8(r) != 0;
				rel->exact_rows = g_i64(r);
				rel->has_tenant = g_u8(r) != 0;
				rel->tenant_rows = g_i64(r);
				break;
			}
		case F_PUBTABLES:
			{
				uint32_t	n = g_count(r, 16);

				for (uint32_t i = 0; i < n && !r->bad; i++)
				{
					struct pgw_publication_table *t = arena_alloc(&r->m->arena, sizeof(*t));

					t->schema = g_str(r);
					t->name = g_str(r);
					g_strs(r, &t->columns);
					t->where_expr = g_str(r);
					if (!t->schema || !t->name)
						r->bad = true;
					else
						model_push(r->m, AT(obj, f->off, struct pgw_vec), t);
				}
				break;
			}
	}
}

static void *
g_object(struct binreader *r, const struct objdesc *desc)
{
	unsigned	kind = g_u8(r);
	struct pgw_object *o;
	uint32_t	ndeps;

	if (r->bad || kind >= PGW_KIND__COUNT)
	{
		r->bad = true;
		return NULL;
	}
	/* a top-level object's table comes from its kind */
	if (!desc && !(desc = bin_desc((enum pgw_kind) kind)))
	{
		r->bad = true;
		return NULL;
	}
	if (desc->kind != kind && desc != &type_desc)
	{
		r->bad = true;
		return NULL;
	}
	o = arena_alloc(&r->m->arena, desc->size);
	o->kind = (enum pgw_kind) kind;
	o->oid = g_u32(r);
	o->schema = g_str(r);
	o->name = g_str(r);
	o->managed = g_u8(r) != 0;
	ndeps = g_count(r, 9);
	g_reserve(r, &o->deps, ndeps);
	for (uint32_t i = 0; i < ndeps && !r->bad; i++)
	{
		struct pgw_ref *ref = arena_alloc(&r->m->arena, sizeof(*ref));
		unsigned	k = g_u8(r);

		ref->kind = (enum pgw_kind) k;
		ref->schema = g_str(r);
		ref->name = g_str(r);
		if (k >= PGW_KIND__COUNT || !ref->schema || !ref->name)
			r->bad = true;
		else
			model_push(r->m, &o->deps, ref);
	}
	if (desc == &column_desc)
		((struct pgw_column *) o)->attnum = (int) g_i64(r);
	else if (desc == &type_desc)
		((struct pgw_type *) o)->relid = g_u32(r);
	if (!o->name)
		r->bad = true;
	for (const struct field *f = desc->fields; f->key && !r->bad; f++)
		g_field(r, o, f);
	return r->bad ? NULL : o;
}

int
snapshot_read_binary(const char *name, const char *data, size_t len, struct pgw_model *m)
{
	struct binreader r = {.m = m};
	char	   *copy;

	if (len < sizeof(BIN_MAGIC) || memcmp(data, BIN_MAGIC, sizeof(BIN_MAGIC)) != 0)
		return pgw_error(PGW_ERR_INPUT, "'%s' does not hold a %s model", name, BIN_MAGIC);
	/* one copy in the model's arena: every string points into it */
	copy = arena_alloc_raw(&m->arena, len);
	memcpy(copy, data, len);
	r.p = copy + sizeof(BIN_MAGIC);
	r.end = copy + len;
	m->source.database = g_str(&r);
	m->source.server_version = g_str(&r);
	m->source.server_version_num = (int) g_u32(&r);
	m->source.user = g_str(&r);
	m->source.captured_at = g_str(&r);
	m->source.tenant_column = g_str(&r);
	m->source.exact = g_u8(&r) != 0;
	for (size_t l = 0; l < NBINLISTS && !r.bad; l++)
	{
		uint32_t	n = g_count(&r, 18);

		g_reserve(&r, AT(m, bin_lists[l], struct pgw_vec), n);
		for (uint32_t i = 0; i < n && !r.bad; i++)
		{
			void	   *o = g_object(&r, NULL);

			if (o)
				model_push(m, AT(m, bin_lists[l], struct pgw_vec), o);
		}
	}
	if (r.bad || r.p != r.end)
		return pgw_error(PGW_ERR_INPUT, "'%s' holds a damaged %s model", name, BIN_MAGIC);
	model_sort(m);
	return 0;
}
