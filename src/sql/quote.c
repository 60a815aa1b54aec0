/*
 * quote.c — identifiers and literals for generated SQL (sql/quote.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sql/quote.h"

/* PostgreSQL 15's keywords that quote_ident() quotes: reserved, and those
 * allowed only as type/function or column names (sorted for bsearch). */
static const char *const keywords[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
	"authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case",
	"cast", "char", "character", "check", "coalesce", "collate", "collation", "column",
	"concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp", "current_user",
	"dec", "decimal", "default", "deferrable", "desc", "distinct", "do", "else", "end",
	"except", "exists", "extract", "false", "fetch", "float", "for", "foreign", "freeze",
	"from", "full", "grant", "greatest", "group", "grouping", "having", "ilike", "in",
	"initially", "inner", "inout", "int", "integer", "intersect", "interval", "into", "is",
	"isnull", "join", "lateral", "leading", "least", "left", "like", "limit", "localtime",
	"localtimestamp", "national", "natural", "nchar", "none", "normalize", "not", "notnull",
	"null", "nullif", "numeric", "offset", "on", "only", "or", "order", "out", "outer",
	"overlaps", "overlay", "placing", "position", "precision", "primary", "real",
	"references", "returning", "right", "row", "select", "session_user", "setof",
	"similar", "smallint", "some", "substring", "symmetric", "table", "tablesample",
	"then", "time", "timestamp", "to", "trailing", "treat", "trim", "true", "union",
	"unique", "user", "using", "values", "varchar", "variadic", "verbose", "when", "where",
	"window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest",
	"xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable"
};

static int
cmp_kw(const void *key, const void *elem)
{
	return strcmp((const char *) key, *(const char *const *) elem);
}

static int
needs_quotes(const char *s)
{
	const char *p;

	if (!*s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 1;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$'))
			return 1;
	return bsearch(s, keywords, sizeof(keywords) / sizeof(*keywords), sizeof(*keywords), cmp_kw) != NULL;
}

void
sql_quote_ident(struct pgw_buf *b, const char *name)
{
	const char *p;

	if (!needs_quotes(name))
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
	if (schema)
	{
		sql_quote_ident(b, schema);
		buf_append_char(b, '.');
	}
	sql_quote_ident(b, name);
}

void
sql_quote_literal(struct pgw_buf *b, const char *text)
{
	const char *p;

	if (strchr(text, '\\'))
		buf_append_char(b, 'E');
	buf_append_char(b, '\'');
	for (p = text; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			buf_append_char(b, *p);
		buf_append_char(b, *p);
	}
	buf_append_char(b, '\'');
}
