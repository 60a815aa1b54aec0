/*
 * catalog.h — reads a live database's schema into the model.
 *
 * Shape (like pg_dump's getTables & co.): one query per object kind for the
 * whole database — never one per table — each pg_catalog-qualified, with a
 * deterministic ORDER BY and no parameters, all inside one REPEATABLE READ
 * READ ONLY transaction, so the snapshot is consistent and the number of
 * round trips does not depend on the size of the schema.  Rows are copied
 * into the model and each PGresult is freed at once.
 *
 * Which schemas: every schema except the system ones (pg_catalog,
 * information_schema, pg_toast, pg_temp_*) and those matching an exclude
 * pattern.  A schema is *managed* when it matches one of the include
 * patterns (--schema), or, without patterns, when the config lists it
 * (`schemas`, default public).  Everything else — Supabase's auth, storage,
 * extensions, realtime, …, pgwarden's own history schema — is read as
 * context: in the model, marked managed = false.  Objects that belong to an
 * extension are left out, as pg_dump does.
 *
 * Supported servers: PostgreSQL 13 and later (pg_trigger.tgparentid).
 */
#ifndef PGW_CATALOG_H
#define PGW_CATALOG_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "db/target.h"
#include "model/model.h"
#include "util/config.h"

struct pgw_catalog_opts
{
	bool		stable;			/* skip statistics (sizes, estimates) */
	bool		exact;			/* count rows and tenant coverage */
	const char *tenant_column;
	const struct pgw_strlist *include;	/* --schema patterns (may be empty) */
	const struct pgw_strlist *exclude;	/* --exclude-schema patterns */
	const struct pgw_strlist *managed;	/* config `schemas`, used without include */
	const char *cache_dir;		/* snapshot cache folder (catalog/cache.h); NULL: none */

	/*
	 * A lean read, for generators that only need the shape of the data
	 * (gen types): schemas, enums/domains/composites, tables and views
	 * (with updatability; definitions only with view_definitions),
	 * columns (identity, generated, and whether there is a default: its
	 * default_expr is PGW_LEAN_DEFAULT, not the expression; no
	 * table-readable flag), primary key / unique / foreign key constraints
	 * (without their deparsed definitions), functions (arguments and
	 * result, without their bodies) and the dependencies of views.
	 * Nothing else: no extensions, sequences, indexes, CHECK constraints,
	 * policies, triggers, privileges, comments, owners, publications,
	 * event triggers or default privileges.  The same bulk queries, fewer
	 * of them, with the costly deparsing left out.  Implies stable.  The
	 * model is marked source.lean; the cache never stores it (a cached
	 * full read may still answer a lean one).
	 */
	bool		lean;
	bool		view_definitions;	/* lean: deparse view definitions too */

	/*
	 * More connections opened on demand, to the target of conns[0]: up to
	 * helper_jobs in all, for a full read of a catalog of
	 * PGW_CATALOG_HELPER_MIN_RELATIONS relations or more.  A smaller
	 * catalog, or one the cache answers, is read faster by one connection
	 * than another server process starts.  catalog_read closes them.
	 * NULL: only the connections given.
	 */
	const struct pgw_target *helper_target;
	int			helper_jobs;
};

#define PGW_CATALOG_HELPER_MIN_RELATIONS 1500

/* A lean read's default_expr of a column that has a default (not deparsed) */
#define PGW_LEAN_DEFAULT "DEFAULT"

/* Progress/diagnostics of one read, for the caller to show. */
struct pgw_catalog_stats
{
	int			queries;		/* statements sent, BEGIN/COMMIT included */
	int			connections;	/* how many shared the work */
	double		catalog_ms;
	double		count_ms;		/* --exact data pass */
	struct pgw_strlist unmatched;	/* patterns that matched no schema */
	struct pgw_strlist unreadable;	/* "schema.table" the role cannot SELECT */
	int			cache_hits;		/* reads answered by the snapshot cache */
	int			cache_misses;	/* reads done in full with the cache on */
	int			cache_partials; /* reads that re-read changed relations only */
	int			cache_reread;	/* relations the last partial read re-read */
	char		cache_reason[256];	/* why the last read hit or missed */
};

#define PGW_CATALOG_MAX_JOBS 8

/*
 * Reads the whole schema into m (initialised by the caller, empty), over
 * nconns open connections to the same database (1 to PGW_CATALOG_MAX_JOBS):
 * the first exports its snapshot and the others import it (as pg_dump -j
 * does), so every query sees the same state; the queries are spread over
 * them, the most expensive first.  A connection that cannot join the
 * snapshot (a pooler, an old standby) is simply not used.  Returns 0, or -1
 * with an error recorded (PGW_ERR_CONNECT for a lost connection or a failed
 * catalog query, which names the object kind and carries the server's
 * message).  The connections are left outside any transaction either way;
 * the caller closes them.  A connection already inside a transaction
 * (the tx sandbox) is read alone, in that transaction, which is left
 * open: nothing is committed.  stats may be NULL; when given, the caller
 * releases its lists.
 */
int			catalog_read(PGconn **conns, int nconns, const struct pgw_catalog_opts *opts,
						 struct pgw_model *m, struct pgw_catalog_stats *stats);

void		catalog_stats_release(struct pgw_catalog_stats *stats);

/*
 * How many connections to read conn's catalog over when the caller opens
 * them itself (catalog_read's helper_target opens them on demand instead):
 * jobs when the catalog has PGW_CATALOG_HELPER_MIN_RELATIONS relations or
 * more, else 1.  One small query; 1 when it fails.
 */
int			catalog_jobs_for(PGconn *conn, int jobs);

/*
 * The catalog queries catalog_read sends for these options (lean: those
 * of a lean read), in order, as one SQL script: each query ends with
 * ";\n".  For benchmarks (the floor: the
 * same queries through psql) and for review.  Caller frees.
 */
char	   *catalog_script(bool stable, bool lean);

/* True when name matches the shell-style pattern (*, ?, [..]). */
bool		catalog_pattern_match(const char *pattern, const char *name);

#endif
