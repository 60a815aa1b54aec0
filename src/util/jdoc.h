/*
 * jdoc.h — a fast, read-only JSON document for large inputs (snapshots).
 *
 * jansson builds a hash table per object and mallocs every value; reading a
 * 36 MB snapshot of 5,000 tables that way costs most of a second and frees
 * for as long again.  A jdoc is parsed in one pass into an arena: values are
 * 16 bytes, arrays and objects are contiguous runs of them, strings are
 * decoded and NUL-terminated.  Lookup by key is a linear scan that starts
 * where the previous lookup on the same object matched, so reading the
 * members in the order they were written costs one comparison each.
 *
 * Exports jdoc_parse (RFC 8259; duplicate keys, NUL in strings and nesting
 * deeper than 512 are rejected, as jansson does with JSON_REJECT_DUPLICATES)
 * and small accessors named after jansson's.  Not UTF-8-validating: bytes
 * are kept as they are (snapshots are written by pgwarden).
 *
 * Memory: everything lives in the arena given to jdoc_parse; the caller
 * releases it.  Keys may point into the parsed text, which must outlive
 * the document.  Errors: jdoc_parse returns NULL and fills line, column and
 * text of the first error.
 */
#ifndef PGW_JDOC_H
#define PGW_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

enum jdoc_type
{
	JDOC_NULL,
	JDOC_FALSE,
	JDOC_TRUE,
	JDOC_INT,
	JDOC_REAL,
	JDOC_STRING,
	JDOC_ARRAY,
	JDOC_OBJECT
};

struct jdoc_member;

struct jdoc
{
	uint8_t		type;			/* enum jdoc_type */
	uint16_t	hint;			/* objects: where the last jdoc_get matched */
	uint32_t	n;				/* items, members, or string length */
	union
	{
		int64_t		i;
		double		d;
		const char *s;
		struct jdoc *items;
		struct jdoc_member *members;
	}			u;
};

struct jdoc_member
{
	const char *key;			/* not NUL-terminated: klen bytes */
	uint32_t	klen;
	uint32_t	hash;
	struct jdoc v;
};

struct jdoc_error
{
	int			line;
	int			column;
	char		text[160];
};

/*
 * Parses text into arena.  The decoded strings go into one block of
 * strings (or of arena when NULL) the size of text, whose pages past the
 * strings are never touched: give the arena that should own the strings
 * (a model's), and they need no copying.
 */
struct jdoc *jdoc_parse(struct pgw_arena *arena, struct pgw_arena *strings, const char *text, size_t len,
						struct jdoc_error *err);

/* The member named key of an object, or NULL (also when v is no object). */
struct jdoc *jdoc_get(struct jdoc *v, const char *key);

static inline bool
jdoc_is_null(const struct jdoc *v)
{
	return v && v->type == JDOC_NULL;
}
static inline bool
jdoc_is_true(const struct jdoc *v)
{
	return v && v->type == JDOC_TRUE;
}
static inline bool
jdoc_is_boolean(const struct jdoc *v)
{
	return v && (v->type == JDOC_TRUE || v->type == JDOC_FALSE);
}
static inline bool
jdoc_is_integer(const struct jdoc *v)
{
	return v && v->type == JDOC_INT;
}
static inline bool
jdoc_is_string(const struct jdoc *v)
{
	return v && v->type == JDOC_STRING;
}
static inline bool
jdoc_is_array(const struct jdoc *v)
{
	return v && v->type == JDOC_ARRAY;
}
static inline bool
jdoc_is_object(const struct jdoc *v)
{
	return v && v->type == JDOC_OBJECT;
}
/* NULL unless a string */
static inline const char *
jdoc_string(const struct jdoc *v)
{
	return v && v->type == JDOC_STRING ? v->u.s : NULL;
}
/* 0 unless an integer */
static inline int64_t
jdoc_integer(const struct jdoc *v)
{
	return v && v->type == JDOC_INT ? v->u.i : 0;
}
/* items of an array (0 for anything else) */
static inline size_t
jdoc_size(const struct jdoc *v)
{
	return v && v->type == JDOC_ARRAY ? v->n : 0;
}

#endif
