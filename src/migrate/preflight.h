/*
 * preflight.h — a migration checked against the live database before it is
 * tried anywhere: every relation, type, schema and function its statements
 * alter, drop or reference exists — or is created earlier in the same batch
 * — and every one it creates does not exist yet (unless the statement says
 * IF NOT EXISTS / OR REPLACE; IF EXISTS excuses a missing one).  Columns
 * too, from the parse tree: those ALTER TABLE alters, drops or renames,
 * the key and foreign-key lists of a new constraint (local and referenced),
 * CREATE INDEX's plain key columns, UPDATE's SET targets and COMMENT ON
 * COLUMN must exist; ADD COLUMN's must not (unless IF NOT EXISTS); columns
 * added, dropped or renamed earlier in the batch, and the columns of a
 * table the batch creates, count.  Expressions (CHECK, index expressions,
 * WHERE clauses) are left to the sandbox.  Lock-heavy
 * statements (SHARE lock or stronger, or a table rewrite or scan) on a
 * table the planner estimates at PGW_PREFLIGHT_LARGE_ROWS rows or more get a
 * warning.  Names without a schema are looked up through the session's
 * search_path, as the server would.
 *
 * The batch state (what earlier migrations of the run create and drop)
 * lives in struct pgw_preflight; results are plain strings for the caller
 * to show.  Errors: -1 with PGW_ERR_CONNECT when a lookup query fails.
 */
#ifndef PGW_MIGRATE_PREFLIGHT_H
#define PGW_MIGRATE_PREFLIGHT_H

#include <libpq-fe.h>

#include "migrate/runner.h"
#include "util/config.h"

#define PGW_PREFLIGHT_LARGE_ROWS 100000

struct pgw_preflight
{
	struct pgw_strlist created;	/* "class:schema.name" made by the batch */
	struct pgw_strlist dropped;	/* ... and dropped by it */
	/* of the last preflight_check */
	struct pgw_strlist references;	/* existing objects it uses ("vehicles") */
	struct pgw_strlist problems;	/* "line 3: table 'public.x' does not exist" */
	struct pgw_strlist warnings;
};

void		preflight_init(struct pgw_preflight *pf);
void		preflight_release(struct pgw_preflight *pf);
/* Checks one up plan (on conn, the target) and adds its creations and drops
 * to the batch state.  Returns 0 (problems may be non-empty) or -1. */
int			preflight_check(struct pgw_preflight *pf, PGconn *conn, struct pgw_plan *p);

#endif
