/*
 * embedded.h — text files compiled into the binary (docs pages, SQL scripts).
 *
 * Exports pgw_embedded_files[] (generated at build time by cmake/embed.c) and
 * lookups on it.  Paths are relative to the source tree ("docs/local.md").
 */
#ifndef PGW_EMBEDDED_H
#define PGW_EMBEDDED_H

#include <stddef.h>

struct pgw_embedded
{
	const char *path;
	const char *text;
	size_t		len;
};

extern const struct pgw_embedded pgw_embedded_files[];

/* The text of an embedded file, or NULL when there is none by that path. */
const char *embedded_get(const char *path);

/*
 * The --help text of a docs page: the body of its first ```text fenced block.
 * Returns a malloc'd string (caller frees) or NULL if the page or block is
 * missing.
 */
char	   *embedded_help_text(const char *docs_page);

#endif
