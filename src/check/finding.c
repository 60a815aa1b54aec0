/*
 * finding.c — findings and their JSON form (see finding.h).
 */
#include <stdlib.h>
#include <string.h>

#include "check/finding.h"
#include "util/sha256.h"

static const char *
dup(struct pgw_findings *list, const char *s)
{
	return s ? arena_strdup(&list->arena, s) : NULL;
}

void
findings_init(struct pgw_findings *list)
{
	list->items = NULL;
	list->n = list->cap = 0;
	arena_init(&list->arena);
}

void
findings_release(struct pgw_findings *list)
{
	free(list->items);
	arena_release(&list->arena);
	list->items = NULL;
	list->n = list->cap = 0;
}

void
finding_update_fingerprint(struct pgw_finding *f)
{
	struct pgw_buf key;
	char		hex[PGW_SHA256_HEX_LEN + 1];
	const char *parts[6];
	char	   *qualified = NULL;
	size_t		i;

	parts[0] = f->rule;
	parts[1] = f->object.kind;
	parts[2] = f->object.schema;
	parts[3] = f->object.name;
	if (f->object.table && f->object.name && f->object.kind &&
		(strcmp(f->object.kind, "policy") == 0 || strcmp(f->object.kind, "trigger") == 0))
	{
		qualified = pgw_asprintf("%s.%s", f->object.table, f->object.name);
		parts[3] = qualified;
	}
	parts[4] = f->object.column;
	parts[5] = f->file;
	buf_init(&key);
	for (i = 0; i < 6; i++)
	{
		/* a unit separator keeps ("ab","c") apart from ("a","bc") */
		buf_append(&key, parts[i] ? parts[i] : "");
		buf_append_char(&key, '\x1f');
	}
	if (sha256_hex(key.data, key.len, hex) == 0)
		memcpy(f->fingerprint, hex, 16);
	else
		memset(f->fingerprint, '0', 16);
	f->fingerprint[16] = '\0';
	buf_release(&key);
	free(qualified);
}

struct pgw_finding *
findings_add(struct pgw_findings *list, const char *rule,
			 enum pgw_severity severity, const char *category,
			 const char *message)
{
	struct pgw_finding *f;

	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 16;
		list->items = pgw_realloc(list->items, list->cap * sizeof(*list->items));
	}
	f = &list->items[list->n++];
	memset(f, 0, sizeof(*f));
	f->rule = dup(list, rule);
	f->severity = severity;
	f->category = dup(list, category);
	f->message = dup(list, message);
	finding_update_fingerprint(f);
	return f;
}

struct pgw_finding *
findings_copy(struct pgw_findings *list, const struct pgw_finding *from)
{
	struct pgw_finding *f = findings_add(list, from->rule, from->severity, from->category, from->message);

	f->object.kind = dup(list, from->object.kind);
	f->object.schema = dup(list, from->object.schema);
	f->object.name = dup(list, from->object.name);
	f->object.column = dup(list, from->object.column);
	f->object.table_schema = dup(list, from->object.table_schema);
	f->object.table = dup(list, from->object.table);
	f->detail = dup(list, from->detail);
	f->hint = dup(list, from->hint);
	f->file = dup(list, from->file);
	f->line = from->line;
	f->column = from->column;
	if (from->has_fix)
	{
		finding_set_fix(list, f, from->fix.action, from->fix.args, from->fix.nargs, from->fix.sql);
		finding_set_fix_undo(list, f, from->fix.undo, from->fix.concurrent);
	}
	f->suppressed = from->suppressed;
	memcpy(f->fingerprint, from->fingerprint, sizeof(f->fingerprint));
	return f;
}

void
finding_set_object(struct pgw_findings *list, struct pgw_finding *f,
				   const char *kind, const char *schema,
				   const char *name, const char *column)
{
	f->object.kind = dup(list, kind);
	f->object.schema = dup(list, schema);
	f->object.name = dup(list, name);
	f->object.column = dup(list, column);
	f->object.table_schema = f->object.table = NULL;
	if (kind && name && (strcmp(kind, "table") == 0 || strcmp(kind, "column") == 0))
	{
		f->object.table_schema = f->object.schema;
		f->object.table = f->object.name;
	}
	finding_update_fingerprint(f);
}

void
finding_set_table(struct pgw_findings *list, struct pgw_finding *f,
				  const char *schema, const char *table)
{
	f->object.table_schema = table ? dup(list, schema) : NULL;
	f->object.table = dup(list, table);
	finding_update_fingerprint(f);
}

void
finding_set_detail(struct pgw_findings *list, struct pgw_finding *f, const char *detail)
{
	f->detail = dup(list, detail);
}

void
finding_set_hint(struct pgw_findings *list, struct pgw_finding *f, const char *hint)
{
	f->hint = dup(list, hint);
}

void
finding_set_location(struct pgw_findings *list, struct pgw_finding *f,
					 const char *file, int line, int column)
{
	f->file = dup(list, file);
	f->line = line;
	f->column = column;
	finding_update_fingerprint(f);
}

void
finding_set_fix(struct pgw_findings *list, struct pgw_finding *f,
				const char *action, const char *const *args, size_t nargs,
				const char *sql)
{
	size_t		i;

	f->has_fix = true;
	f->fix.action = dup(list, action);
	f->fix.args = arena_alloc(&list->arena, (nargs ? nargs : 1) * sizeof(char *));
	for (i = 0; i < nargs; i++)
		f->fix.args[i] = dup(list, args[i]);
	f->fix.nargs = nargs;
	f->fix.sql = dup(list, sql);
	f->fix.undo = NULL;
	f->fix.concurrent = false;
}

void
finding_set_fix_undo(struct pgw_findings *list, struct pgw_finding *f, const char *undo,
					 bool concurrent)
{
	f->fix.undo = dup(list, undo);
	f->fix.concurrent = concurrent;
}

size_t
findings_suppress(struct pgw_findings *list, const char *const *rules, size_t n)
{
	size_t		count = 0;
	size_t		i,
				j;

	for (i = 0; i < list->n; i++)
		for (j = 0; j < n; j++)
			if (!list->items[i].suppressed && strcmp(list->items[i].rule, rules[j]) == 0)
			{
				list->items[i].suppressed = true;
				count++;
			}
	return count;
}

size_t
findings_count_at_least(const struct pgw_findings *list, enum pgw_severity min)
{
	size_t		count = 0;
	size_t		i;

	for (i = 0; i < list->n; i++)
		if (!list->items[i].suppressed && list->items[i].severity >= min)
			count++;
	return count;
}

const char *
severity_name(enum pgw_severity s)
{
	switch (s)
	{
		case PGW_SEV_ERROR:
			return "error";
		case PGW_SEV_WARNING:
			return "warning";
		case PGW_SEV_INFO:
			break;
	}
	return "info";
}

int
severity_parse(const char *s)
{
	if (strcmp(s, "error") == 0)
		return PGW_SEV_ERROR;
	if (strcmp(s, "warning") == 0)
		return PGW_SEV_WARNING;
	if (strcmp(s, "info") == 0)
		return PGW_SEV_INFO;
	return -1;
}

static void
set_str(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

json_t *
finding_object_json(const struct pgw_finding *f)
{
	json_t	   *obj = json_object();

	json_object_set_new(obj, "kind", f->object.kind ? json_string(f->object.kind) : json_null());
	json_object_set_new(obj, "schema", f->object.schema ? json_string(f->object.schema) : json_null());
	json_object_set_new(obj, "name", f->object.name ? json_string(f->object.name) : json_null());
	set_str(obj, "column", f->object.column);
	if (f->object.table)
		json_object_set_new(obj, "table", json_pack("{s:o, s:s}", "schema",
													f->object.table_schema ? json_string(f->object.table_schema) : json_null(),
													"table", f->object.table));
	return obj;
}

json_t *
finding_to_json(const struct pgw_finding *f)
{
	json_t	   *j = json_object();

	set_str(j, "rule", f->rule);
	set_str(j, "severity", severity_name(f->severity));
	set_str(j, "category", f->category);
	json_object_set_new(j, "object", finding_object_json(f));
	set_str(j, "message", f->message);
	set_str(j, "detail", f->detail);
	set_str(j, "hint", f->hint);
	if (f->file)
	{
		json_t	   *loc = json_object();

		json_object_set_new(loc, "file", json_string(f->file));
		json_object_set_new(loc, "line", json_integer(f->line));
		json_object_set_new(loc, "column", json_integer(f->column));
		json_object_set_new(j, "location", loc);
	}
	if (f->has_fix)
	{
		json_t	   *fix = json_object();
		json_t	   *args = json_array();
		size_t		i;

		for (i = 0; i < f->fix.nargs; i++)
			json_array_append_new(args, json_string(f->fix.args[i]));
		set_str(fix, "action", f->fix.action);
		json_object_set_new(fix, "args", args);
		set_str(fix, "sql", f->fix.sql);
		set_str(fix, "rollback", f->fix.undo);
		if (f->fix.concurrent)
			json_object_set_new(fix, "concurrent", json_true());
		json_object_set_new(j, "fix", fix);
	}
	json_object_set_new(j, "fingerprint", json_string(f->fingerprint));
	return j;
}

json_t *
findings_to_json(const struct pgw_findings *list)
{
	json_t	   *arr = json_array();
	size_t		i;

	for (i = 0; i < list->n; i++)
		if (!list->items[i].suppressed)
			json_array_append_new(arr, finding_to_json(&list->items[i]));
	return arr;
}

json_t *
findings_summary_json(const struct pgw_findings *list)
{
	json_int_t	counts[3] = {0, 0, 0};
	json_int_t	suppressed = 0;
	json_t	   *j = json_object();
	size_t		i;

	for (i = 0; i < list->n; i++)
	{
		if (list->items[i].suppressed)
			suppressed++;
		else
			counts[list->items[i].severity]++;
	}
	json_object_set_new(j, "error", json_integer(counts[PGW_SEV_ERROR]));
	json_object_set_new(j, "warning", json_integer(counts[PGW_SEV_WARNING]));
	json_object_set_new(j, "info", json_integer(counts[PGW_SEV_INFO]));
	json_object_set_new(j, "suppressed", json_integer(suppressed));
	return j;
}

static int
cmp_location(const void *a, const void *b)
{
	const struct pgw_finding *x = a,
			   *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

void
findings_sort_by_location(struct pgw_findings *list)
{
	if (list->n > 1)
		qsort(list->items, list->n, sizeof(*list->items), cmp_location);
}
