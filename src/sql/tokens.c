/*
 * tokens.c — scan-result decoding and the unpack pool (see tokens.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sql/tokens.h"
#include "util/mem.h"

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t	r = 0;
	int			shift = 0;

	while (*p < end && shift < 64)
	{
		uint8_t		b = *(*p)++;

		r |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
		{
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/* Skips a field of wire type wt. */
static int
skip(const uint8_t **p, const uint8_t *end, unsigned wt)
{
	uint64_t	v;

	switch (wt)
	{
		case 0:
			return varint(p, end, &v);
		case 1:
			if (end - *p < 8)
				return -1;
			*p += 8;
			return 0;
		case 2:
			if (varint(p, end, &v) != 0 || (uint64_t) (end - *p) < v)
				return -1;
			*p += v;
			return 0;
		case 5:
			if (end - *p < 4)
				return -1;
			*p += 4;
			return 0;
		default:
			return -1;
	}
}

int
sql_tokens_decode(const uint8_t *data, size_t len,
				  struct pgw_sql_token **tokens, size_t *ntokens)
{
	const uint8_t *p = data,
			   *end = data + len;
	struct pgw_sql_token *arr = NULL;
	size_t		n = 0,
				cap = 0;

	while (p < end)
	{
		uint64_t	key,
					sz;

		if (varint(&p, end, &key) != 0)
			goto bad;
		if (key == ((2 << 3) | 2))	/* tokens, length-delimited */
		{
			const uint8_t *q,
					   *qend;
			struct pgw_sql_token t = {0, 0, 0};

			if (varint(&p, end, &sz) != 0 || (uint64_t) (end - p) < sz)
				goto bad;
			q = p;
			qend = p + sz;
			p = qend;
			while (q < qend)
			{
				uint64_t	k,
							v;

				if (varint(&q, qend, &k) != 0)
					goto bad;
				if ((k & 7) != 0)
				{
					if (skip(&q, qend, (unsigned) (k & 7)) != 0)
						goto bad;
					continue;
				}
				if (varint(&q, qend, &v) != 0)
					goto bad;
				switch (k >> 3)
				{
					case 1:
						t.start = (int32_t) v;
						break;
					case 2:
						t.end = (int32_t) v;
						break;
					case 4:
						t.token = (int32_t) v;
						break;
					default:
						break;
				}
			}
			if (n == cap)
			{
				cap = cap ? cap * 2 : 256;
				arr = pgw_realloc(arr, cap * sizeof(*arr));
			}
			arr[n++] = t;
		}
		else if (skip(&p, end, (unsigned) (key & 7)) != 0)
			goto bad;
	}
	*tokens = arr;
	*ntokens = n;
	return 0;
bad:
	free(arr);
	*tokens = NULL;
	*ntokens = 0;
	return -1;
}

struct pgw_sql_pool_block
{
	struct pgw_sql_pool_block *next;
	size_t		size;
	max_align_t data[];
};

#define POOL_BLOCK (256 * 1024)

static void *
pool_alloc(void *arg, size_t n)
{
	struct pgw_sql_pool *p = arg;
	size_t		align = sizeof(max_align_t);

	n = (n + align - 1) & ~(align - 1);
	if (!p->head || p->used + n > p->size)
	{
		size_t		sz = n > POOL_BLOCK ? n : POOL_BLOCK;
		struct pgw_sql_pool_block *b = pgw_malloc(sizeof(*b) + sz);

		b->next = p->head;
		b->size = sz;
		p->head = b;
		p->used = 0;
		p->size = sz;
	}
	p->used += n;
	return (char *) p->head->data + p->used - n;
}

static void
pool_free(void *arg, void *ptr)
{
	(void) arg;
	(void) ptr;
}

void
sql_pool_init(struct pgw_sql_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->allocator.alloc = pool_alloc;
	p->allocator.free = pool_free;
	p->allocator.allocator_data = p;
}

void
sql_pool_release(struct pgw_sql_pool *p)
{
	while (p->head)
	{
		struct pgw_sql_pool_block *next = p->head->next;

		free(p->head);
		p->head = next;
	}
	p->used = p->size = 0;
}
