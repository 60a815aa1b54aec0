/*
 * text.h — small string helpers: edit distance for "did you mean", trimming,
 * and a strict integer parser.
 */
#ifndef PGW_TEXT_H
#define PGW_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein distance between a and b (ASCII, case-sensitive). */
size_t		text_edit_distance(const char *a, const char *b);

/*
 * The candidate closest to word, or NULL when none is close enough to be a
 * plausible typo (distance at most a third of the word's length, at least 1,
 * or word is a prefix of exactly one candidate).
 */
const char *text_closest(const char *word, const char *const *candidates, size_t n);

/* Trims ASCII whitespace at both ends, in place; returns s. */
char	   *text_trim(char *s);

/* Parses a whole decimal integer in [min, max]; false on anything else. */
bool		text_parse_int(const char *s, long min, long max, long *out);

/* Appends key='value' to a libpq conninfo string, quoting value the way
 * libpq reads it (backslash before ' and \), with a space before it unless b
 * is empty. */
struct pgw_buf;
void		text_conninfo_append(struct pgw_buf *b, const char *key, const char *value);

/* true if s ends with suffix */
/* base with key=value appended (a later key wins in libpq); caller frees. */
char	   *text_conninfo_with(const char *base, const char *key, const char *value);

bool		text_ends_with(const char *s, const char *suffix);

/* "snapshot line N: NAME_A 'line of a', NAME_B 'line of b'" for the first
 * line where two texts differ (malloc'd; the caller frees).  Used to show
 * why two snapshots that should be byte-identical are not. */
char	   *text_first_difference(const char *a, const char *b, const char *name_a, const char *name_b);

#endif
