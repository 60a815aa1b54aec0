/*
 * tokens.h — pg_query_scan's result without protobuf-c, and a bump
 * allocator for unpacking parse trees.
 *
 * Why: on a 20 MB corpus, protobuf-c's generic unpacking of millions of
 * scan tokens (one malloc each) and freeing them again cost as much as
 * PostgreSQL's parser itself.  A ScanResult is a flat list of four varints
 * per token, decoded here in place into one array.  Parse trees keep the
 * generated unpacker (typed access is the point) but allocate from blocks
 * that are released at once.
 */
#ifndef PGW_SQL_TOKENS_H
#define PGW_SQL_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct pgw_sql_token
{
	int32_t		start;			/* byte offsets in the scanned text */
	int32_t		end;
	int32_t		token;			/* PgQuery__Token */
};

/*
 * Decodes a serialized pg_query.ScanResult.  Returns 0 and a malloc'd array
 * (caller frees; may be NULL when there are no tokens), or -1 when the bytes
 * are not a ScanResult.
 */
int			sql_tokens_decode(const uint8_t *data, size_t len,
							  struct pgw_sql_token **tokens, size_t *ntokens);

/* A bump allocator usable as a ProtobufCAllocator: free is a no-op, the
 * blocks go with sql_pool_release. */
struct pgw_sql_pool_block;
struct pgw_sql_pool
{
	struct pgw_sql_pool_block *head;
	size_t		used;
	size_t		size;
	ProtobufCAllocator allocator;
};

void		sql_pool_init(struct pgw_sql_pool *p);
void		sql_pool_release(struct pgw_sql_pool *p);

#endif
