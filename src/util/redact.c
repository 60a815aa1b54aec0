/*
 * redact.c — the secret registry and the masking filter (see redact.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/redact.h"

static char **secrets;
static size_t nsecrets;

static void
add_one(const char *s, size_t n)
{
	size_t		i;

	if (n == 0)
		return;
	for (i = 0; i < nsecrets; i++)
		if (strlen(secrets[i]) == n && memcmp(secrets[i], s, n) == 0)
			return;
	secrets = pgw_realloc(secrets, (nsecrets + 1) * sizeof(char *));
	secrets[nsecrets++] = pgw_strndup(s, n);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
redact_add_secret(const char *s)
{
	struct pgw_buf enc;
	struct pgw_buf dec;
	const char *p;

	if (!s || !*s)
		return;
	add_one(s, strlen(s));

	/* the percent-encoded form, as it would appear inside a URL */
	buf_init(&enc);
	for (p = s; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (isalnum(c) || strchr("-._~", c))
			buf_append_char(&enc, (char) c);
		else
			buf_printf(&enc, "%%%02X", c);
	}
	add_one(enc.data, enc.len);
	buf_release(&enc);

	/* and the decoded form, when s came from a URL */
	buf_init(&dec);
	for (p = s; *p; p++)
	{
		if (p[0] == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0)
		{
			buf_append_char(&dec, (char) (hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
		}
		else
			buf_append_char(&dec, *p);
	}
	add_one(dec.data, dec.len);
	buf_release(&dec);
}

/*
 * URL form: scheme://user:password@host...  The password runs from the first
 * ':' after "://" to the last '@' before the path (passwords may contain '@'
 * when not encoded; libpq takes the last one too).
 */
static void
mask_url(const char *s, struct pgw_buf *out)
{
	const char *auth = strstr(s, "://") + 3;
	const char *end = auth + strcspn(auth, "/?");
	const char *at = NULL;
	const char *colon;
	const char *p;

	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
	{
		buf_append(out, s);
		return;
	}
	colon = memchr(auth, ':', (size_t) (at - auth));
	if (!colon || colon + 1 == at)
	{
		buf_append(out, s);
		return;
	}
	{
		char	   *pw = pgw_strndup(colon + 1, (size_t) (at - colon - 1));

		redact_add_secret(pw);
		free(pw);
	}
	buf_append_len(out, s, (size_t) (colon + 1 - s));
	buf_append(out, PGW_REDACTED);
	buf_append(out, at);
}

/*
 * Keyword form (and URL query parameters): password=value.  The value runs to
 * the next " keyword=" (or '&' in a URL query) or the end, whatever its
 * quoting: on a malformed string libpq's own idea of where it ends differs
 * from the user's, and masking a little too much is the safe side.  Both the
 * raw value and its unquoted form are registered.
 */
static const char *
value_end(const char *v, bool in_query)
{
	const char *p;

	for (p = v; *p; p++)
	{
		if (in_query && *p == '&')
			return p;
		if (*p == ' ' || *p == '\t' || *p == '\n')
		{
			const char *k = p;

			while (*k == ' ' || *k == '\t' || *k == '\n')
				k++;
			if (isalpha((unsigned char) *k) || *k == '_')
			{
				while (isalnum((unsigned char) *k) || *k == '_')
					k++;
				while (*k == ' ')
					k++;
				if (*k == '=')
					return p;
			}
		}
	}
	/* trailing blanks are not part of the value */
	while (p > v && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n'))
		p--;
	return p;
}

static void
register_value(const char *v, size_t n)
{
	char	   *raw = pgw_strndup(v, n);

	redact_add_secret(raw);
	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'')
	{
		struct pgw_buf val;
		size_t		i;

		buf_init(&val);
		for (i = 1; i + 1 < n; i++)
		{
			if (v[i] == '\\' && i + 2 < n)
				i++;
			buf_append_char(&val, v[i]);
		}
		redact_add_secret(val.data);
		buf_release(&val);
	}
	free(raw);
}

static void
mask_keywords(const char *s, struct pgw_buf *out)
{
	const char *p = s;
	bool		in_query = strstr(s, "://") != NULL;

	while (*p)
	{
		const char *hit = strstr(p, "password");
		const char *v;
		const char *vend;

		if (!hit)
		{
			buf_append(out, p);
			return;
		}
		v = hit + strlen("password");
		while (*v == ' ')
			v++;
		if (*v != '=' || (hit > s && (isalnum((unsigned char) hit[-1]) || hit[-1] == '_')))
		{
			buf_append_len(out, p, (size_t) (v - p));
			p = v;
			continue;
		}
		v++;
		while (*v == ' ')
			v++;
		buf_append_len(out, p, (size_t) (v - p));
		vend = value_end(v, in_query);
		register_value(v, (size_t) (vend - v));
		buf_append(out, PGW_REDACTED);
		p = vend;
	}
}

char *
redact_conninfo(const char *conninfo)
{
	struct pgw_buf step;
	struct pgw_buf out;

	buf_init(&step);
	if (strstr(conninfo, "://"))
		mask_url(conninfo, &step);
	else
		buf_append(&step, conninfo);
	buf_init(&out);
	mask_keywords(step.data, &out);
	buf_release(&step);
	return buf_steal(&out);
}

void
redact_text(const char *text, struct pgw_buf *out)
{
	const char *p = text;

	if (nsecrets == 0)
	{
		buf_append(out, text);
		return;
	}
	while (*p)
	{
		size_t		best_len = 0;
		size_t		i;

		/* longest secret starting here wins */
		for (i = 0; i < nsecrets; i++)
		{
			size_t		n = strlen(secrets[i]);

			if (n > best_len && strncmp(p, secrets[i], n) == 0)
				best_len = n;
		}
		if (best_len)
		{
			buf_append(out, PGW_REDACTED);
			p += best_len;
		}
		else
			buf_append_char(out, *p++);
	}
}

void
redact_reset(void)
{
	size_t		i;

	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
}
