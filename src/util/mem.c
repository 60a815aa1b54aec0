/*
 * mem.c — checked allocation, string buffers, arenas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/exitcode.h"

static void
out_of_memory(size_t n)
{
	fprintf(stderr, "pgwarden: fatal: out of memory (asked for %zu bytes)\n", n);
	exit(PGW_EXIT_INTERNAL);
}

void *
pgw_malloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory(n);
	return p;
}

void *
pgw_calloc(size_t count, size_t size)
{
	void	   *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		out_of_memory(count * size);
	return p;
}

void *
pgw_realloc(void *p, size_t n)
{
	void	   *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory(n);
	return q;
}

char *
pgw_strdup(const char *s)
{
	return pgw_strndup(s, strlen(s));
}

char *
pgw_strndup(const char *s, size_t n)
{
	char	   *p = pgw_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
pgw_vasprintf(const char *fmt, va_list ap)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_vprintf(&b, fmt, ap);
	return buf_steal(&b);
}

char *
pgw_asprintf(const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = pgw_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
buf_init(struct pgw_buf *b)
{
	b->cap = 64;
	b->len = 0;
	b->data = pgw_malloc(b->cap);
	b->data[0] = '\0';
}

void
buf_release(struct pgw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct pgw_buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

static void
buf_reserve(struct pgw_buf *b, size_t extra)
{
	size_t		need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	while (b->cap < need)
		b->cap *= 2;
	b->data = pgw_realloc(b->data, b->cap);
}

void
buf_append_len(struct pgw_buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_append(struct pgw_buf *b, const char *s)
{
	buf_append_len(b, s, strlen(s));
}

void
buf_append_char(struct pgw_buf *b, char c)
{
	/* the snapshot writer appends millions of these: no memcpy call */
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_vprintf(struct pgw_buf *b, const char *fmt, va_list ap)
{
	va_list		ap2;
	int			n;

	va_copy(ap2, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t) n >= b->cap - b->len)
	{
		buf_reserve(b, (size_t) n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t) n;
}

void
buf_printf(struct pgw_buf *b, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
buf_steal(struct pgw_buf *b)
{
	char	   *s = b->data;

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

/* Arena: a list of blocks, newest first; big requests get a block of their own. */
#define ARENA_BLOCK 65536

struct pgw_arena_block
{
	struct pgw_arena_block *next;
	size_t		size;
	_Alignas(16) char data[];
};

void
arena_init(struct pgw_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
}

void *
arena_alloc_raw(struct pgw_arena *a, size_t n)
{
	struct pgw_arena_block *blk;
	void	   *p;

	n = (n + 15) & ~(size_t) 15;
	if (!a->head || a->used + n > a->head->size)
	{
		size_t		size = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		blk = pgw_malloc(sizeof(*blk) + size);
		blk->size = size;
		blk->next = a->head;
		a->head = blk;
		a->used = 0;
		a->total += size;
	}
	p = a->head->data + a->used;
	a->used += n;
	return p;
}

void *
arena_alloc(struct pgw_arena *a, size_t n)
{
	void	   *p = arena_alloc_raw(a, n);

	memset(p, 0, n);
	return p;
}

char *
arena_strdup(struct pgw_arena *a, const char *s)
{
	size_t		n = strlen(s);
	char	   *p = arena_alloc(a, n + 1);

	memcpy(p, s, n + 1);
	return p;
}

void
arena_release(struct pgw_arena *a)
{
	struct pgw_arena_block *blk = a->head;

	while (blk)
	{
		struct pgw_arena_block *next = blk->next;

		free(blk);
		blk = next;
	}
	arena_init(a);
}
