/*
 * text.c — string helpers (see text.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/text.h"

size_t
text_edit_distance(const char *a, const char *b)
{
	/* optimal string alignment: insert, delete, substitute, and swap two
	 * neighbours ("lcoal" is one step from "local") */
	size_t		la = strlen(a);
	size_t		lb = strlen(b);
	size_t		w = lb + 1;
	size_t	   *d = pgw_malloc((la + 1) * w * sizeof(size_t));
	size_t		i,
				j,
				result;

	for (i = 0; i <= la; i++)
		d[i * w] = i;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++)
		{
			size_t		best = d[(i - 1) * w + j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (d[(i - 1) * w + j] + 1 < best)
				best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
				d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	result = d[la * w + lb];
	free(d);
	return result;
}

const char *
text_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	const char *prefix_hit = NULL;
	size_t		best_d = (size_t) -1;
	size_t		limit = strlen(word) / 3;
	size_t		prefix_hits = 0;
	size_t		i;

	if (limit < 1)
		limit = 1;
	for (i = 0; i < n; i++)
	{
		size_t		d = text_edit_distance(word, candidates[i]);

		if (d < best_d)
		{
			best_d = d;
			best = candidates[i];
		}
		if (*word && strncmp(candidates[i], word, strlen(word)) == 0)
		{
			prefix_hits++;
			prefix_hit = candidates[i];
		}
	}
	if (best && best_d <= limit)
		return best;
	if (prefix_hits == 1)
		return prefix_hit;
	return NULL;
}

char *
text_trim(char *s)
{
	char	   *start = s;
	size_t		n;

	while (*start && isspace((unsigned char) *start))
		start++;
	n = strlen(start);
	while (n > 0 && isspace((unsigned char) start[n - 1]))
		n--;
	memmove(s, start, n);
	s[n] = '\0';
	return s;
}

bool
text_parse_int(const char *s, long min, long max, long *out)
{
	char	   *end;
	long		v;

	if (!s || !*s || isspace((unsigned char) *s))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
text_ends_with(const char *s, const char *suffix)
{
	size_t		ls = strlen(s);
	size_t		lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

void
text_conninfo_append(struct pgw_buf *b, const char *key, const char *value)
{
	const char *p;

	if (b->len)
		buf_append_char(b, ' ');
	buf_printf(b, "%s='", key);
	for (p = value; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			buf_append_char(b, '\\');
		buf_append_char(b, *p);
	}
	buf_append_char(b, '\'');
}

char *
text_conninfo_with(const char *base, const char *key, const char *value)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_append(&b, base);
	text_conninfo_append(&b, key, value);
	return buf_steal(&b);
}

char *
text_first_difference(const char *a, const char *b, const char *name_a, const char *name_b)
{
	int			line = 1;
	const char *la = a,
			   *lb = b;

	while (*a && *a == *b)
	{
		if (*a == '\n')
		{
			line++;
			la = a + 1;
			lb = b + 1;
		}
		a++;
		b++;
	}
	return pgw_asprintf("snapshot line %d: %s '%.*s', %s '%.*s'", line, name_a,
						(int) strcspn(la, "\n"), la, name_b, (int) strcspn(lb, "\n"), lb);
}
