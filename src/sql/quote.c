/*
 * quote.c — identifier and literal quoting for generated SQL (sql/quote.h).
 *
 * The keyword list is PostgreSQL 15's reserved, type_func_name and col_name
 * keywords (src/include/parser/kwlist.h): the ones quote_ident() quotes.
 * Unreserved keywords may stay bare, as quote_ident leaves them.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/quote.h"

static const char *const quoted_keywords[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
	"authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case",
	"cast", "char", "character", "check", "coalesce", "collate", "collation", "column",
	"concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp",
	"current_user", "dec", "decimal", "default", "deferrable", "desc", "distinct", "do",
	"else", "end", "except", "exists", "extract", "false", "fetch", "float", "for",
	"foreign", "freeze", "from", "full", "grant", "greatest", "group", "grouping",
	"having", "ilike", "in", "initially", "inner", "inout", "int", "integer",
	"intersect", "interval", "into", "is", "isnull", "join", "json", "json_array",
	"json_arrayagg", "json_exists", "json_object", "json_objectagg", "json_query",
	"json_scalar", "json_serialize", "json_table", "json_value", "lateral", "leading",
	"least", "left", "like", "limit", "localtime", "localtimestamp", "merge_action",
	"national", "natural", "nchar", "none", "normalize", "not", "notnull", "null",
	"nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer",
	"overlaps", "overlay", "placing", "position", "precision", "primary", "real",
	"references", "returning", "right", "row", "select", "session_user", "setof",
	"similar", "smallint", "some", "substring", "symmetric", "system_user", "table",
	"tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim",
	"true", "union", "unique", "user", "using", "values", "varchar", "variadic",
	"verbose", "when", "where", "window", "with", "xmlattributes", "xmlconcat",
	"xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi",
	"xmlroot", "xmlserialize", "xmltable",
};

static int
cmp_kw(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

bool
sql_ident_is_bare(const char *name)
{
	const char *p;
	const char *key = name;

	if (!name || !*name || !((*name >= 'a' && *name <= 'z') || *name == '_'))
		return false;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	/* the list is sorted; checked by a unit test */
	return bsearch(&key, quoted_keywords, sizeof(quoted_keywords) / sizeof(quoted_keywords[0]),
				   sizeof(quoted_keywords[0]), cmp_kw) == NULL;
}

void
sql_quote_ident(struct pgw_buf *b, const char *name)
{
	const char *p;

	if (sql_ident_is_bare(name))
	{
		buf_append(b, name);
		return;
	}
	buf_append_char(b, '"');
	for (p = name; *p; p++)
	{
		if (*p == '"')
			buf_append_char(b, '"');
		buf_append_char(b, *p);
	}
	buf_append_char(b, '"');
}

void
sql_quote_qualified(struct pgw_buf *b, const char *schema, const char *name)
{
	if (schema && *schema)
	{
		sql_quote_ident(b, schema);
		buf_append_char(b, '.');
	}
	sql_quote_ident(b, name);
}

void
sql_quote_literal(struct pgw_buf *b, const char *value)
{
	const char *p;

	if (strchr(value, '\\'))
		buf_append_char(b, 'E');
	buf_append_char(b, '\'');
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			buf_append_char(b, *p);
		buf_append_char(b, *p);
	}
	buf_append_char(b, '\'');
}
