/*
 * node.h — small readers over libpg_query's protobuf parse tree
 * (pg_query.pb-c.h), shared by the classifier and the lint rules.
 *
 * The tree is libpg_query's PostgreSQL 15 raw parse tree: names are lists of
 * String nodes, options are DefElem lists, types are TypeName with the
 * catalog name ("int4", "bpchar", "timestamptz") after the parser's
 * rewriting of SQL spellings.  Every reader here takes NULL and empty
 * fields in its stride and returns NULL / false / 0 for them.
 */
#ifndef PGW_SQL_NODE_H
#define PGW_SQL_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

#define NK(x)	PG_QUERY__NODE__NODE_##x
#define AT(x)	PG_QUERY__ALTER_TABLE_TYPE__AT_##x
#define CT(x)	PG_QUERY__CONSTR_TYPE__CONSTR_##x
#define OT(x)	PG_QUERY__OBJECT_TYPE__OBJECT_##x

/* The String value of a node, or NULL. */
const char *node_str(const PgQuery__Node *n);

/* The value of option name in a DefElem list as a string (String, or the
 * text of an Integer/Boolean is not offered: NULL). */
const char *node_option_string(PgQuery__Node *const *opts, size_t n, const char *name);

/* Whether DefElem name is present, and its boolean value (a bare option is
 * true; "false", "off", "0" are false). */
bool		node_option_bool(PgQuery__Node *const *opts, size_t n, const char *name,
							 bool *value);

/* Schema and name of a qualified name given as a list of String nodes
 * ("a.b.c": schema b, name c); *schema is NULL when not written. */
void		node_qualified(PgQuery__Node *const *names, size_t n,
						   const char **schema, const char **name);

/* The last name of a TypeName ("int4", "varchar", ...), or "". */
const char *node_type_last(const PgQuery__TypeName *t);
/* The schema of a TypeName when qualified ("pg_catalog"), else NULL. */
const char *node_type_schema(const PgQuery__TypeName *t);

/* Whether an expression is a constant: literals, casts of constants,
 * operators over constants, and calls of functions known to be
 * non-volatile (now(), current_timestamp, ...). */
bool		node_expr_is_nonvolatile(const PgQuery__Node *n);

/* Whether an expression is the constant true (true, 't'::boolean, 1=1). */
bool		node_expr_is_true(const PgQuery__Node *n);

/* Whether an expression is "col IS NOT NULL" for column col. */
bool		node_expr_is_not_null_test(const PgQuery__Node *n, const char *col);

/* Calls fn for every node in the subtree (pre-order); fn returns false to
 * stop the walk.  Returns false when stopped. */
typedef bool (*node_visit_fn) (const PgQuery__Node *n, void *arg);
bool		node_walk(const PgQuery__Node *n, node_visit_fn fn, void *arg);

#endif
