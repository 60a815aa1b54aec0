/*
 * quote.h — the one way pgwarden writes an identifier or a literal into
 * generated SQL.
 *
 * sql_quote_ident() follows PostgreSQL's quote_ident(): a name of lowercase
 * letters, digits, '_' and '$' that does not start with a digit or '$' and
 * is not a reserved (or type/function-name) keyword is written bare;
 * anything else is double-quoted with '"' doubled.  sql_quote_qualified()
 * writes schema.name (schema may be NULL).  sql_quote_literal() writes a
 * standard string literal ('' doubled; E'' with doubled backslashes when
 * the text holds a backslash), for generated files only — statements that
 * pgwarden runs itself pass values as parameters.
 */
#ifndef PGW_SQL_QUOTE_H
#define PGW_SQL_QUOTE_H

#include "util/mem.h"

void		sql_quote_ident(struct pgw_buf *b, const char *name);
void		sql_quote_qualified(struct pgw_buf *b, const char *schema, const char *name);
void		sql_quote_literal(struct pgw_buf *b, const char *text);

#endif
