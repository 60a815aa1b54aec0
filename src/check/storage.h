/*
 * storage.h — Supabase Storage as the database sees it: the buckets of
 * storage.buckets, the object rows of storage.objects and the policies on
 * storage.objects (docs/storage.md).
 *
 * Exports the readers behind `pgwarden storage` (bucket list with counts and
 * bytes, one bucket's detail, the policies), the role probe (who can
 * select/insert/update/delete an object of a bucket as anon, authenticated
 * and service_role, decided by running the statements inside a transaction
 * that is always rolled back), the audit rules (storage.*, findings in the
 * shared shape), orphan detection and the batched cleanup.
 *
 * Readers return jansson values the caller owns; every bucket name is passed
 * as a parameter and every identifier goes through sql/quote.h.  Errors: -1
 * (or NULL) with the error recorded: PGW_ERR_CONNECT for a failed query or a
 * database without the storage schema ("not a Supabase database"),
 * PGW_ERR_INPUT for an unknown bucket or a bad --ref.
 */
#ifndef PGW_CHECK_STORAGE_H
#define PGW_CHECK_STORAGE_H

#include <stdbool.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "check/finding.h"
#include "util/config.h"

/* The roles the probe acts as, in report order. */
#define PGW_STORAGE_NROLES 3
extern const char *const pgw_storage_roles[PGW_STORAGE_NROLES];

/* The private-sounding words of storage.public_private_name by default. */
extern const char *const pgw_storage_private_words_default;

/* -1 (PGW_ERR_CONNECT, "not a Supabase database") unless storage.buckets and
 * storage.objects exist. */
int			storage_require(PGconn *conn);

/*
 * Every bucket (only: just that one; an unknown name is PGW_ERR_INPUT), as
 * [{id, name, public, file_size_limit|null, allowed_mime_types|null,
 *   objects, bytes, policies:[names]}] ordered by name.  Two queries.
 */
json_t	   *storage_read_buckets(PGconn *conn, const char *only);

/*
 * The policies on storage.objects: [{name, command, roles:[..], permissive,
 * using|null, check|null, buckets:[literals compared with bucket_id],
 * by_bucket, by_owner, bucket_only}]. bucket_only: the expressions are a
 * bucket_id comparison and nothing else.  by_owner: the expressions mention the object's
 * owner or path with the caller's identity (auth.uid(), auth.jwt()).
 */
json_t	   *storage_read_policies(PGconn *conn, bool *rls_enabled, bool *rls_forced);

/* Whether policy (an element of the above) applies to bucket id. */
bool		storage_policy_applies(json_t *policy, const char *bucket);

/* One bucket's detail into b: "largest" (10 objects) and "folders"
 * (objects and bytes per top-level folder). */
int			storage_read_detail(PGconn *conn, const char *bucket, json_t *b);

/*
 * The role probe for the given buckets (ids): for each bucket
 * {role:{select, insert, update, delete}} with "yes", "no" or
 * "error: ..." — select/update/delete on a probe object that another user
 * owns (owner, owner_id and first folder all that user's id), insert of an
 * object into the role's own folder as itself.  All inside one transaction
 * rolled back at the end.  Result: object keyed by bucket id.
 */
json_t	   *storage_probe(PGconn *conn, json_t *bucket_ids);

/*
 * The storage.* audit of the buckets (as read above, with access from
 * storage_probe) and the policies; words: comma-separated private-sounding
 * words.  orphans: object keyed by bucket id of orphan summaries (may be
 * NULL).  missing: object rows whose bucket does not exist.
 */
void		storage_audit(json_t *buckets, json_t *access, json_t *policies, bool rls_enabled,
						  long long missing_rows, long long missing_bytes, json_t *orphans,
						  const char *words, bool filtered, struct pgw_findings *out);

/* Object rows whose bucket_id names no bucket: count and bytes. */
int			storage_missing_bucket_rows(PGconn *conn, long long *rows, long long *bytes);

/*
 * The columns that reference objects of bucket: refs given as
 * "[schema.]table.column" (checked: exists, text-like), or when none are
 * given found from the schema — text columns outside the system schemas
 * whose sampled values name objects of the bucket (as the object name,
 * "bucket/name" or a URL ending in "/bucket/name").  Result:
 * [{schema, table, column, matched}].
 */
json_t	   *storage_find_refs(PGconn *conn, const char *bucket, const struct pgw_strlist *given);

/*
 * The objects of bucket that no ref column names (refs as above; empty:
 * nothing can be said — an error, PGW_ERR_INPUT).  {count, bytes,
 * objects:[{id, name, size, owner, created_at, metadata}] (at most limit;
 * 0: all)}.
 */
json_t	   *storage_find_orphans(PGconn *conn, const char *bucket, json_t *refs, long limit);

/*
 * Deletes the orphans listed (ids) in batches of batch rows, each batch
 * its own transaction with lock_timeout_ms, deleting only rows that are
 * still orphans at that moment (the anti-join is repeated in the DELETE).
 * *deleted counts the rows removed, also on error.  Fault point
 * storage-cleanup-after-batch fails after the first committed batch.
 */
int			storage_delete_orphans(PGconn *conn, const char *bucket, json_t *refs, json_t *orphans,
								   long batch, int lock_timeout_ms, long long *deleted);

#endif
