/*
 * validate.h — `pgwarden validate`'s checks: tenant coverage, row-level
 * security, foreign-key integrity and NULLs, on a live database, as findings
 * (check/finding.h; rule ids in docs/validate.md).
 *
 * Two kinds of check: schema checks read the model (catalog/catalog.h) only;
 * data checks count rows.  All data checks of one table run as ONE query
 * (count(*) FILTER (WHERE …) per check, plus a few sample ids each), inside
 * one READ ONLY transaction that validate_run opens and rolls back, so the
 * database cannot change and the round trips grow with the number of
 * tables, not of checks.  A table whose planner estimate (pg_class.reltuples)
 * is above max_rows is not scanned: its data checks are skipped and named
 * in the result.
 *
 * Findings carry a fix when `pgwarden generate` has an action for them.
 */
#ifndef PGW_CHECK_VALIDATE_H
#define PGW_CHECK_VALIDATE_H

#include <stdint.h>

#include <libpq-fe.h>

#include "check/finding.h"
#include "model/model.h"
#include "util/config.h"

/* A column a pending migration sets NOT NULL. */
struct pgw_pending_not_null
{
	char	   *schema;			/* NULL: resolve like an unqualified name */
	char	   *table;
	char	   *column;
	char	   *file;			/* the migration's file name */
};

struct pgw_validate_opts
{
	const struct pgw_config *cfg;
	const char *table;			/* only this table ("name" or "schema.name"), or NULL */
	int			sample;			/* sample ids per data finding */
	int64_t		max_rows;		/* 0: no limit */
	const struct pgw_pending_not_null *pending;
	size_t		npending;
};

/* Tenant coverage of one table. */
struct pgw_coverage
{
	char	   *table;			/* as fix arguments name it */
	int64_t		rows;
	int64_t		with_tenant;
};

struct pgw_validate_result
{
	int			tables;			/* tables checked */
	int			scanned;		/* tables whose data was read */
	int			queries;		/* data queries sent */
	struct pgw_coverage *coverage;
	size_t		ncoverage;
	struct pgw_strlist skipped; /* "table (~N rows)" not scanned */
	struct pgw_strlist unreadable;
};

/*
 * Runs every check on m (read from the same database as conn).  Returns 0
 * with findings appended to out, or -1 with an error recorded (a failed
 * query: PGW_ERR_CONNECT; --table naming nothing: PGW_ERR_USAGE).  conn is
 * left outside a transaction — unless it was inside one when called (a
 * migration verified before its COMMIT): then the checks read in that
 * transaction and leave it open, as catalog_read does, and a failed query
 * leaves it aborted for the caller to roll back.
 */
int			validate_run(PGconn *conn, struct pgw_model *m, const struct pgw_validate_opts *o,
						 struct pgw_findings *out, struct pgw_validate_result *res);

void		validate_result_release(struct pgw_validate_result *res);

/*
 * The columns that pending migrations (files in dir whose versions are not
 * in applied) set NOT NULL with ALTER TABLE … ALTER COLUMN … SET NOT NULL,
 * read from PostgreSQL's parse tree.  Files that do not parse are skipped
 * (lint reports them).  Caller releases with validate_pending_release.
 */
int			validate_pending_not_null(const char *dir, const struct pgw_strlist *applied,
									  struct pgw_pending_not_null **items, size_t *n);
void		validate_pending_release(struct pgw_pending_not_null *items, size_t n);

#endif
