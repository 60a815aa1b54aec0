/*
 * cache.h — the snapshot cache: the last model read from a target, kept in
 * .pgwarden/cache/<system identifier>-<database oid>.snap (0600, written
 * through a temporary file and rename), reused when the catalogs have not
 * changed since.
 *
 * A file holds one header line (JSON: format tag, pgwarden version, the
 * read's key — server, database, role, search_path, schema options — the
 * XID epoch, one fingerprint per catalog: row count, sum of xmin, sum of a
 * hash of (ctid, xmin), and the SHA-256 of the body) followed by the body,
 * the model in the binary form of model/snapshot.h (oids, attnums and
 * statistics included; several times faster to load than the JSON).  Every catalog row a
 * DDL statement, GRANT or COMMENT writes gets a new (ctid, xmin), so an
 * unchanged fingerprint means an unchanged schema.  The fingerprints are
 * computed in the read's own REPEATABLE READ snapshot, so a change
 * committed meanwhile is either in both the fingerprint and the model or
 * in neither.  Anything else — another key, another pgwarden version, a
 * different epoch, a body whose hash does not match, a file that does not
 * parse — is a miss, and the read is done in full (and cached again).
 *
 * Internal to the catalog reader (catalog_read calls it); the reasons are
 * reported through struct pgw_catalog_stats and -v.
 */
#ifndef PGW_CATALOG_CACHE_H
#define PGW_CATALOG_CACHE_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "catalog/catalog.h"

struct pgw_cache_probe
{
	char	   *path;			/* the target's cache file */
	char	   *header;			/* the header line to write (no newline) */
	bool		ready;			/* fingerprints taken: a store may follow */
};

/*
 * Inside the read's transaction on conn: fingerprints the catalogs and, when
 * the cache file matches, loads its model into m (empty) and returns 1;
 * returns 0 on a miss (m untouched, the reason in stats), -1 on a failed
 * query (recorded; the transaction is then aborted).
 */
int			catalog_cache_lookup(PGconn *conn, const struct pgw_catalog_opts *opts,
								 struct pgw_model *m, struct pgw_catalog_stats *stats,
								 struct pgw_cache_probe *probe);

/* Writes m (a full read) as the target's cache; failures are only noted. */
void		catalog_cache_store(struct pgw_cache_probe *probe, const struct pgw_model *m,
								const struct pgw_catalog_stats *stats);

void		catalog_cache_probe_release(struct pgw_cache_probe *probe);

#endif
