/*
 * source.h — one side of a diff: where a schema model comes from.
 *
 * A side is written as
 *   postgres://… or postgresql://… or a conninfo with '='   a live database
 *   env:NAME                                              [env NAME] of the config
 *   local                                                 the local cluster
 *   sql:PATH                                              a .sql file, or a folder of them
 *                                                         applied in name order to a sandbox
 *                                                         (a folder's *_rollback.sql are skipped)
 *   anything else                                         a snapshot file (pgwarden.snapshot/1)
 *
 * diff_sources_read reads every side: snapshot files are parsed, sql: sides
 * are loaded into one throwaway sandbox cluster each (started from the main
 * thread: the server's parent-death signal follows the thread that forked
 * it), and then all live catalogs are read at the same time, one thread per
 * side, each over its own connections.
 */
#ifndef PGW_DIFF_SOURCE_H
#define PGW_DIFF_SOURCE_H

#include <stdbool.h>

#include "catalog/catalog.h"
#include "db/local.h"
#include "db/target.h"
#include "model/model.h"
#include "util/config.h"

enum pgw_source_kind
{
	PGW_SOURCE_LIVE,
	PGW_SOURCE_SNAPSHOT,
	PGW_SOURCE_SQL
};

struct pgw_diff_source
{
	enum pgw_source_kind kind;
	char	   *spec;			/* as given */
	char	   *display;		/* for messages: no password */
	char	   *path;			/* snapshot file or sql path */
	struct pgw_target target;	/* live (and sql, once its sandbox runs) */
	bool		has_target;
	struct pgw_sandbox sandbox;
	bool		has_sandbox;
	const char *cache_dir;		/* live side: the snapshot cache (NULL: none) */
	struct pgw_model model;
	double		read_ms;
};

/* Works out what spec names (no I/O beyond reading the config's env). */
int			diff_source_parse(const struct pgw_config *cfg, const char *spec, struct pgw_diff_source *s);

/*
 * Reads the models of n sides (n ≤ 4).  jobs: connections per live side;
 * 0: up to 2, the second only for a large catalog (catalog_jobs_for).
 * include: --schema patterns (marks managed schemas; snapshots are re-marked
 * with them too).  Returns 0, or -1 with the first error recorded, its
 * message prefixed with the side's spec.
 */
int			diff_sources_read(struct pgw_diff_source **sides, int n, const struct pgw_config *cfg,
							  const struct pgw_strlist *include, int jobs);

/* Stops a sandbox, frees everything. */
void		diff_source_release(struct pgw_diff_source *s);

/* Marks objects managed by schema patterns (for snapshots and tests). */
void		diff_mark_managed(struct pgw_model *m, const struct pgw_strlist *include);

#endif
