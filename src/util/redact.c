/*
 * redact.c — the secret registry and the masking filter (see redact.h).
 */
#include <ctype.h>
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
 * Keyword form (and URL query parameters): password=value, where value may be
 * single-quoted with backslash escapes, or runs to the next space or '&'.
 */
static void
mask_keywords(const char *s, struct pgw_buf *out)
{
	const char *p = s;

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
		if (*v == '\'')
		{
			struct pgw_buf val;

			buf_init(&val);
			for (vend = v + 1; *vend && *vend != '\''; vend++)
			{
				if (*vend == '\\' && vend[1])
					vend++;
				buf_append_char(&val, *vend);
			}
			if (*vend == '\'')
				vend++;
			redact_add_secret(val.data);
			buf_release(&val);
		}
		else
		{
			char	   *val;

			vend = v + strcspn(v, " &");
			val = pgw_strndup(v, (size_t) (vend - v));
			redact_add_secret(val);
			free(val);
		}
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
