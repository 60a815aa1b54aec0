/*
 * quote.h — the one way pgwarden writes an identifier or a literal into SQL
 * text it generates (migrations, probes): PostgreSQL's quote_ident and
 * quote_literal rules.
 *
 * sql_quote_ident leaves a name bare only when PostgreSQL would read it back
 * unchanged: lowercase ASCII letters, digits and '_', not starting with a
 * digit, and not a keyword that cannot be a bare column name (reserved,
 * type/function-name and column-name keywords — quote_ident's own list;
 * quoting a name that did not need it is harmless).  Anything else is
 * double-quoted with '"' doubled.
 *
 * sql_quote_literal writes a standard string literal with '' doubled, and
 * the E'' form with \\ doubled when the value holds a backslash (so it reads
 * the same whatever standard_conforming_strings says).  Only for generated
 * files a person reviews; statements sent to a server pass values as
 * parameters instead (db/query.h).
 */
#ifndef PGW_SQL_QUOTE_H
#define PGW_SQL_QUOTE_H

#include <stdbool.h>

#include "util/mem.h"

/* Appends name, quoted when needed. */
void		sql_quote_ident(struct pgw_buf *b, const char *name);

/* Appends schema.name, each part quoted when needed. */
void		sql_quote_qualified(struct pgw_buf *b, const char *schema, const char *name);

/* Appends value as a string literal. */
void		sql_quote_literal(struct pgw_buf *b, const char *value);

/* Whether name can be written bare. */
bool		sql_ident_is_bare(const char *name);

#endif
