/*
 * cache.h — the snapshot cache: the last model read from a target, kept in
 * .pgwarden/cache/<system identifier>-<database oid>.snap (0600, written
 * through a temporary file and rename), reused when the catalogs have not
 * changed since, and patched when only some relations changed.
 *
 * A file holds one header line (JSON: format tag, pgwarden build, the
 * read's key — server, database, role, search_path, schema options — the
 * read's snapshot xmin, per catalog its row
 * count (and pg_index's in-place flags), per catalog where a row can go
 * alone and per relation a count of its rows, and the SHA-256 of the body)
 * followed by the body, the model in the binary form of model/snapshot.h
 * (oids, attnums and statistics included; several times faster to load
 * than the JSON).
 *
 * A read first counts each catalog's rows and its rows new since the
 * cached read — rows whose xmin is at or past that read's snapshot xmin
 * (all it could not see): every insert or update leaves one, every delete
 * a smaller count.  Nothing new
 * and the same counts: a hit.  A change in a catalog whose rows belong to
 * relations (pg_class, pg_attribute, pg_attrdef, pg_constraint, pg_index,
 * pg_policy, pg_trigger, pg_description, pg_depend, pg_type, ...) is
 * located: the relations owning a new row or whose count moved (counted
 * only in the catalogs whose fingerprint moved), plus what depends on
 * them (pg_depend: views, foreign keys, policies, owned sequences naming
 * them; not for a comment, a policy or a trigger, which stay in their
 * relation's text), are re-read alone (catalog.c) and merged into the
 * cached model — the same bytes as a full read.  Anything else — a
 * change in pg_namespace, pg_type's own types, pg_proc, roles, ...; a new
 * row no relation owns; a dependent that is not a relation; a composite
 * type; many relations at once; another key or build; too many
 * transactions since; a body whose hash does not match — is a full read
 * (and cached again), with the reason in struct pgw_catalog_stats and -v.
 * Everything is computed in the read's own REPEATABLE READ snapshot, so a
 * change committed meanwhile is either in both the fingerprint and the
 * model or in neither.
 *
 * Internal to the catalog reader (catalog_read calls it).
 */
#ifndef PGW_CATALOG_CACHE_H
#define PGW_CATALOG_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "catalog/catalog.h"

struct pgw_cache_relcount
{
	int			cat;			/* which catalog (cache.c's count branches) */
	uint32_t	oid;
	int64_t		n;
};

struct pgw_cache_probe
{
	char	   *path;			/* the target's cache file */
	char	   *header;			/* the header line to write (no newline) */
	bool		ready;			/* fingerprints taken: a store may follow */
	/* every relation's counts now, by catalog and oid (written with the
	 * next store) */
	struct pgw_cache_relcount *rels;
	size_t		nrels;
	size_t		caprels;
	/* a partial read: the relations (and sequences) to read again */
	uint32_t   *reread;
	size_t		nreread;
};

/*
 * Inside the read's transaction on conn: fingerprints the catalogs and, when
 * the cache file matches, loads its model into m (empty) and returns 1;
 * when only some relations changed, loads it and returns 3 with
 * probe->reread naming them (the caller reads them again and merges);
 * returns 0 on a miss (m untouched, the reason in stats), 2 on a miss
 * after m was written to (a damaged file, or the cached model loaded while
 * the server computed a fingerprint that then showed a change: start again
 * on a fresh model), -1 on a failed query (recorded; the transaction is
 * then aborted).
 */
int			catalog_cache_lookup(PGconn *conn, const struct pgw_catalog_opts *opts,
								 struct pgw_model *m, struct pgw_catalog_stats *stats,
								 struct pgw_cache_probe *probe);

/* Writes m (a full read) as the target's cache; failures are only noted. */
void		catalog_cache_store(struct pgw_cache_probe *probe, const struct pgw_model *m,
								const struct pgw_catalog_stats *stats);

void		catalog_cache_probe_release(struct pgw_cache_probe *probe);

/* The text form of an oid[] parameter ("{1,2,3}") for = ANY($1::oid[]);
 * caller frees. */
char	   *catalog_oid_array(const uint32_t *oids, size_t n);

#endif
