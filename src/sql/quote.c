/*
 * quote.c — identifier and literal quoting for generated SQL (see quote.h).
 *
 * The keyword list is PostgreSQL 15's kwlist.h minus the unreserved
 * keywords, which quote_ident() leaves bare too.  Sorted, for bsearch.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/quote.h"

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
	"isnull", "join", "json_array", "json_arrayagg", "json_object", "json_objectagg",
	"lateral", "leading", "least", "left", "like", "limit", "localtime", "localtimestamp",
	"national", "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
	"numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay",
	"placing", "position", "precision", "primary", "real", "references", "returning",
	"right", "row", "select", "session_user", "setof", "similar", "smallint", "some",
	"substring", "symmetric", "system_user", "table", "tablesample", "then", "time",
	"timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique", "user",
	"using", "values", "varchar", "variadic", "verbose", "when", "where", "window", "with",
	"xmlattributes", "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces",
	"xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable"
};

static int
cmp_kw(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

bool
sql_ident_needs_quotes(const char *name)
{
	const char *p;

	if (!name[0] || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return true;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$'))
			return true;
	return bsearch(&name, keywords, sizeof(keywords) / sizeof(keywords[0]),
				   sizeof(keywords[0]), cmp_kw) != NULL;
}

void
sql_ident(struct pgw_buf *b, const char *name)
{
	if (!sql_ident_needs_quotes(name))
	{
		buf_append(b, name);
		return;
	}
	buf_append_char(b, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			buf_append_char(b, '"');
		buf_append_char(b, *p);
	}
	buf_append_char(b, '"');
}

void
sql_qname(struct pgw_buf *b, const char *schema, const char *name)
{
	if (schema)
	{
		sql_ident(b, schema);
		buf_append_char(b, '.');
	}
	sql_ident(b, name);
}

void
sql_literal(struct pgw_buf *b, const char *value)
{
	if (strchr(value, '\\'))
		buf_append_char(b, 'E');
	buf_append_char(b, '\'');
	for (const char *p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			buf_append_char(b, *p);
		buf_append_char(b, *p);
	}
	buf_append_char(b, '\'');
}
