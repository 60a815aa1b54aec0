/*
 * jdoc.c — the one-pass JSON parser behind jdoc.h.
 *
 * Recursive descent over [p, end).  Items of the containers being parsed
 * wait on two scratch stacks (values, members); a container, once closed,
 * is copied from the top of its stack into the arena at its exact size and
 * popped, so nesting needs no per-container growth.  Decoded strings go
 * into one arena block the size of the input: a string's text with its NUL
 * never takes more room than its quoted source.
 */
#include "util/jdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JDOC_MAX_DEPTH 512

struct parser
{
	struct pgw_arena *arena;
	const char *start;
	const char *p;
	const char *end;
	char	   *sbuf;			/* decoded strings, sequentially */
	struct jdoc *vals;			/* scratch stack of array items */
	size_t		nvals;
	size_t		capvals;
	struct jdoc_member *mems;	/* scratch stack of object members */
	size_t		nmems;
	size_t		capmems;
	int			depth;
	struct jdoc_error *err;
	bool		failed;
};

static void
fail_at(struct parser *ps, const char *at, const char *what)
{
	int			line = 1;
	int			col = 0;

	if (ps->failed)
		return;
	ps->failed = true;
	if (at > ps->end)
		at = ps->end;
	for (const char *q = ps->start; q < at; q++)
	{
		if (*q == '\n')
		{
			line++;
			col = 0;
		}
		else
			col++;
	}
	ps->err->line = line;
	ps->err->column = col + 1;
	snprintf(ps->err->text, sizeof(ps->err->text), "%s", what);
}

static inline void
skip_ws(struct parser *ps)
{
	const char *p = ps->p;

	while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	ps->p = p;
}

/* After an array item or object member: true at ',' (another follows),
 * false at close (the end, consumed) or on an error (ps->failed). */
static bool
more_items(struct parser *ps, char close)
{
	skip_ws(ps);
	if (ps->p < ps->end && (*ps->p == ',' || *ps->p == close))
		return *ps->p++ == ',';
	fail_at(ps, ps->p, close == ']' ? "',' or ']' expected" : "',' or '}' expected");
	return false;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
read_hex4(struct parser *ps, const char *p, unsigned *out)
{
	unsigned	v = 0;

	if (ps->end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++)
	{
		int			h = hexval(p[i]);

		if (h < 0)
			return -1;
		v = (v << 4) | (unsigned) h;
	}
	*out = v;
	return 0;
}

/*
 * A string at ps->p (on its opening quote): decoded into sbuf.  *hash gets
 * FNV-1a of the decoded bytes when hash is not NULL.
 */
static const char *
parse_string(struct parser *ps, uint32_t *len, uint32_t *hash)
{
	const char *p = ps->p + 1;
	const char *end = ps->end;
	char	   *out = ps->sbuf;
	char	   *o = out;

	for (;;)
	{
		const char *run = p;
		unsigned char c = 0;

		while (p < end && (c = (unsigned char) *p) != '"' && c != '\\' && c >= 0x20)
			p++;
		memcpy(o, run, (size_t) (p - run));
		o += p - run;
		if (p >= end)
		{
			fail_at(ps, p, "premature end of input in a string");
			return NULL;
		}
		if (c == '"')
		{
			p++;
			break;
		}
		if (c < 0x20)
		{
			fail_at(ps, p, "control character in a string");
			return NULL;
		}
		/* an escape */
		if (p + 1 >= end)
		{
			fail_at(ps, p, "premature end of input in a string");
			return NULL;
		}
		switch (p[1])
		{
			case '"': *o++ = '"'; p += 2; break;
			case '\\': *o++ = '\\'; p += 2; break;
			case '/': *o++ = '/'; p += 2; break;
			case 'b': *o++ = '\b'; p += 2; break;
			case 'f': *o++ = '\f'; p += 2; break;
			case 'n': *o++ = '\n'; p += 2; break;
			case 'r': *o++ = '\r'; p += 2; break;
			case 't': *o++ = '\t'; p += 2; break;
			case 'u':
				{
					unsigned	cp;

					if (read_hex4(ps, p + 2, &cp) != 0)
					{
						fail_at(ps, p, "invalid \\u escape");
						return NULL;
					}
					p += 6;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						unsigned	lo;

						if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || read_hex4(ps, p + 2, &lo) != 0 ||
							lo < 0xDC00 || lo > 0xDFFF)
						{
							fail_at(ps, p, "invalid Unicode surrogate pair");
							return NULL;
						}
						p += 6;
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
					{
						fail_at(ps, p, "invalid Unicode surrogate pair");
						return NULL;
					}
					if (cp == 0)
					{
						fail_at(ps, p, "\\u0000 is not allowed");
						return NULL;
					}
					if (cp < 0x80)
						*o++ = (char) cp;
					else if (cp < 0x800)
					{
						*o++ = (char) (0xC0 | (cp >> 6));
						*o++ = (char) (0x80 | (cp & 0x3F));
					}
					else if (cp < 0x10000)
					{
						*o++ = (char) (0xE0 | (cp >> 12));
						*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
						*o++ = (char) (0x80 | (cp & 0x3F));
					}
					else
					{
						*o++ = (char) (0xF0 | (cp >> 18));
						*o++ = (char) (0x80 | ((cp >> 12) & 0x3F));
						*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
						*o++ = (char) (0x80 | (cp & 0x3F));
					}
					break;
				}
			default:
				fail_at(ps, p, "invalid escape");
				return NULL;
		}
	}
	*o = '\0';
	*len = (uint32_t) (o - out);
	if (hash)
	{
		uint32_t	h = 2166136261u;

		for (const char *q = out; q < o; q++)
			h = (h ^ (unsigned char) *q) * 16777619u;
		*hash = h;
	}
	ps->sbuf = o + 1;
	ps->p = p;
	return out;
}

/*
 * A key at ps->p (on its opening quote).  Keys are only compared, never
 * handed out as C strings: one without escapes points into the source text
 * (not NUL-terminated: klen says its length); one with escapes is decoded.
 */
static const char *
parse_key(struct parser *ps, uint32_t *len, uint32_t *hash)
{
	const char *s = ps->p + 1;
	const char *p = s;
	uint32_t	h = 2166136261u;
	unsigned char ch = 0;

	while (p < ps->end && (ch = (unsigned char) *p) != '"' && ch != '\\' && ch >= 0x20)
	{
		h = (h ^ ch) * 16777619u;
		p++;
	}
	if (p < ps->end && ch == '"')
	{
		*len = (uint32_t) (p - s);
		*hash = h;
		ps->p = p + 1;
		return s;
	}
	return parse_string(ps, len, hash);
}

static void
parse_number(struct parser *ps, struct jdoc *v)
{
	const char *p = ps->p;
	const char *s = p;
	bool		neg = false;
	bool		is_int = true;
	uint64_t	acc = 0;
	bool		overflow = false;

	if (p < ps->end && *p == '-')
	{
		neg = true;
		p++;
	}
	if (p >= ps->end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < ps->end && p[1] >= '0' && p[1] <= '9'))
	{
		fail_at(ps, s, "invalid number");
		return;
	}
	while (p < ps->end && *p >= '0' && *p <= '9')
	{
		if (acc > (UINT64_MAX - 9) / 10)
			overflow = true;
		acc = acc * 10 + (uint64_t) (*p - '0');
		p++;
	}
	if (p < ps->end && *p == '.')
	{
		is_int = false;
		p++;
		if (p >= ps->end || *p < '0' || *p > '9')
		{
			fail_at(ps, s, "invalid number");
			return;
		}
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E'))
	{
		is_int = false;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || *p < '0' || *p > '9')
		{
			fail_at(ps, s, "invalid number");
			return;
		}
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (is_int && !overflow && acc <= (uint64_t) INT64_MAX + (neg ? 1 : 0))
	{
		v->type = JDOC_INT;
		v->u.i = neg ? (int64_t) (0 - acc) : (int64_t) acc;
	}
	else
	{
		char		tmp[64];
		size_t		n = (size_t) (p - s);

		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		v->type = JDOC_REAL;
		v->u.d = strtod(tmp, NULL);
	}
	ps->p = p;
}

static void parse_value(struct parser *ps, struct jdoc *v);

static void
push_val(struct parser *ps, const struct jdoc *v)
{
	if (ps->nvals == ps->capvals)
	{
		ps->capvals = ps->capvals ? ps->capvals * 2 : 256;
		ps->vals = pgw_realloc(ps->vals, ps->capvals * sizeof(*ps->vals));
	}
	ps->vals[ps->nvals++] = *v;
}

static void
push_mem(struct parser *ps, const struct jdoc_member *m)
{
	if (ps->nmems == ps->capmems)
	{
		ps->capmems = ps->capmems ? ps->capmems * 2 : 256;
		ps->mems = pgw_realloc(ps->mems, ps->capmems * sizeof(*ps->mems));
	}
	ps->mems[ps->nmems++] = *m;
}

static void
parse_array(struct parser *ps, struct jdoc *v)
{
	size_t		base = ps->nvals;
	size_t		n;

	ps->p++;					/* [ */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']')
		ps->p++;
	else
		for (;;)
		{
			struct jdoc item;

			parse_value(ps, &item);
			if (ps->failed)
				return;
			push_val(ps, &item);
			if (!more_items(ps, ']'))
			{
				if (ps->failed)
					return;
				break;
			}
		}
	n = ps->nvals - base;
	v->type = JDOC_ARRAY;
	v->n = (uint32_t) n;
	v->u.items = NULL;
	if (n)
	{
		v->u.items = arena_alloc_raw(ps->arena, n * sizeof(struct jdoc));
		memcpy(v->u.items, ps->vals + base, n * sizeof(struct jdoc));
	}
	ps->nvals = base;
}

static void
parse_object(struct parser *ps, struct jdoc *v)
{
	size_t		base = ps->nmems;
	size_t		n;

	ps->p++;					/* { */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}')
		ps->p++;
	else
		for (;;)
		{
			struct jdoc_member m;
			const char *at;

			skip_ws(ps);
			at = ps->p;
			if (ps->p >= ps->end || *ps->p != '"')
			{
				fail_at(ps, ps->p, "string or '}' expected");
				return;
			}
			m.key = parse_key(ps, &m.klen, &m.hash);
			if (!m.key)
				return;
			for (size_t k = base; k < ps->nmems; k++)
				if (ps->mems[k].hash == m.hash && ps->mems[k].klen == m.klen &&
					memcmp(ps->mems[k].key, m.key, m.klen) == 0)
				{
					char		what[120];

					snprintf(what, sizeof(what), "duplicate object key '%.*s'",
							 (int) (m.klen < 80 ? m.klen : 80), m.key);
					fail_at(ps, at, what);
					return;
				}
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
			{
				fail_at(ps, ps->p, "':' expected");
				return;
			}
			ps->p++;
			parse_value(ps, &m.v);
			if (ps->failed)
				return;
			push_mem(ps, &m);
			if (!more_items(ps, '}'))
			{
				if (ps->failed)
					return;
				break;
			}
		}
	n = ps->nmems - base;
	v->type = JDOC_OBJECT;
	v->hint = 0;
	v->n = (uint32_t) n;
	v->u.members = NULL;
	if (n)
	{
		v->u.members = arena_alloc_raw(ps->arena, n * sizeof(struct jdoc_member));
		memcpy(v->u.members, ps->mems + base, n * sizeof(struct jdoc_member));
	}
	ps->nmems = base;
}

static bool
literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t) (ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0)
	{
		ps->p += n;
		return true;
	}
	fail_at(ps, ps->p, "invalid token");
	return false;
}

static void
parse_value(struct parser *ps, struct jdoc *v)
{
	memset(v, 0, sizeof(*v));
	skip_ws(ps);
	if (ps->p >= ps->end)
	{
		fail_at(ps, ps->p, "premature end of input");
		return;
	}
	switch (*ps->p)
	{
		case '{':
		case '[':
			if (++ps->depth > JDOC_MAX_DEPTH)
			{
				fail_at(ps, ps->p, "maximum nesting depth reached");
				return;
			}
			if (*ps->p == '{')
				parse_object(ps, v);
			else
				parse_array(ps, v);
			ps->depth--;
			return;
		case '"':
			v->type = JDOC_STRING;
			v->u.s = parse_string(ps, &v->n, NULL);
			return;
		case 't':
			if (literal(ps, "true", 4))
				v->type = JDOC_TRUE;
			return;
		case 'f':
			if (literal(ps, "false", 5))
				v->type = JDOC_FALSE;
			return;
		case 'n':
			if (literal(ps, "null", 4))
				v->type = JDOC_NULL;
			return;
		default:
			if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
				parse_number(ps, v);
			else
				fail_at(ps, ps->p, "invalid token");
			return;
	}
}

struct jdoc *
jdoc_parse(struct pgw_arena *arena, struct pgw_arena *strings, const char *text, size_t len,
		   struct jdoc_error *err)
{
	struct parser ps = {0};
	struct jdoc *root = arena_alloc(arena, sizeof(*root));

	ps.arena = arena;
	ps.start = ps.p = text;
	ps.end = text + len;
	ps.err = err;
	/* not zeroed: the pages past what the strings take are never touched */
	ps.sbuf = len ? arena_alloc_raw(strings ? strings : arena, len) : NULL;
	memset(err, 0, sizeof(*err));
	parse_value(&ps, root);
	if (!ps.failed)
	{
		skip_ws(&ps);
		if (ps.p != ps.end)
			fail_at(&ps, ps.p, "end of input expected");
	}
	free(ps.vals);
	free(ps.mems);
	return ps.failed ? NULL : root;
}

struct jdoc *
jdoc_get(struct jdoc *v, const char *key)
{
	size_t		n;
	size_t		start;

	size_t		klen;

	if (!v || v->type != JDOC_OBJECT || v->n == 0)
		return NULL;
	klen = strlen(key);
	n = v->n;
	start = v->hint < n ? v->hint : 0;
	for (size_t k = 0; k < n; k++)
	{
		size_t		i = start + k < n ? start + k : start + k - n;
		struct jdoc_member *m = &v->u.members[i];

		if (m->klen == klen && memcmp(m->key, key, klen) == 0)
		{
			v->hint = (uint16_t) (i + 1 < n ? i + 1 : 0);
			return &m->v;
		}
	}
	return NULL;
}
