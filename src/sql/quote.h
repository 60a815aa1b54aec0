/*
 * quote.h — the one way pgwarden spells identifiers and literals in the SQL
 * it generates.
 *
 * sql_ident follows PostgreSQL's quote_ident(): a name stays bare when it is
 * all lowercase letters, digits, underscores and dollars, does not start with
 * a digit or dollar, and is not a keyword that needs quoting (reserved,
 * type/function-name or column-name keywords); otherwise it is put in double
 * quotes with embedded quotes doubled.  sql_literal writes a standard string
 * literal (E'' form when a backslash is present).  Both append to a buffer.
 */
#ifndef PGW_QUOTE_H
#define PGW_QUOTE_H

#include <stdbool.h>

#include "util/mem.h"

/* Whether name needs double quotes to survive as written. */
bool		sql_ident_needs_quotes(const char *name);

void		sql_ident(struct pgw_buf *b, const char *name);
/* schema.name; schema may be NULL */
void		sql_qname(struct pgw_buf *b, const char *schema, const char *name);
void		sql_literal(struct pgw_buf *b, const char *value);

#endif
