/*
 * maintain.h — the work behind `pgwarden maintain`: retention rules
 * ([retention "TABLE"] in pgwarden.conf) deleted in batches, and VACUUM
 * (ANALYZE) of the tables that need it.
 *
 * It lives in its own folder, not in check/ (which only reads and judges)
 * nor migrate/ (which applies versioned files): this is the one layer that
 * deletes rows on a schedule, and a newcomer looking for "what does maintain
 * delete, and how" finds it here.
 *
 * Invariants: every batch is its own transaction with lock_timeout set
 * (SET LOCAL), so a stop at any point leaves only whole batches deleted;
 * the cut-off time is fixed once per table at the start, so a run never
 * chases rows that age while it works; a rerun resumes by itself (rows
 * already deleted are gone, the rest still match).  Identifiers are
 * quoted through sql/quote.h, values are parameters; the rule's `where`
 * is SQL from the project's own config, run as one expression inside a
 * parameterised statement (the extended protocol refuses a second
 * statement).  Nothing here prints: progress goes through the callback.
 */
#ifndef PGW_MAINTAIN_H
#define PGW_MAINTAIN_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "util/config.h"

/* One retention rule resolved against the catalog, and what became of it. */
struct pgw_ret_table
{
	const struct pgw_retention *rule;
	char	   *schema;
	char	   *name;
	char	   *pk;				/* the single primary-key column */
	char	   *pktype;			/* format_type() of it */
	char	   *cutoff;			/* rows older than this go (timestamptz text) */
	long long	matching;		/* rows that match now (counted) */
	long long	deleted;		/* rows deleted by this run */
	int			batches;		/* batches committed by this run */
	int			largest_batch;	/* most rows one batch deleted */
	int			lock_retries;	/* batches retried after lock_timeout */
	long long	ms;
	bool		finished;		/* ran until nothing matched */
};

/* Called after each committed batch (may be NULL). */
typedef void (*pgw_ret_progress) (const struct pgw_ret_table *t, void *arg);

/*
 * Resolves cfg's rules (only those named in only, when only->n > 0; an
 * unknown name there is an input error) with one catalog query, and
 * counts the matching rows of each with one query per rule.  Errors: a
 * missing table or column, a column that is not a time, no single-column
 * primary key, a `where` the server rejects — PGW_ERR_INPUT, nothing
 * changed.  *out is an array of *n (maintain_tables_free).
 */
int			maintain_resolve(PGconn *conn, const struct pgw_config *cfg, const struct pgw_strlist *only,
							 struct pgw_ret_table **out, size_t *n);
void		maintain_tables_free(struct pgw_ret_table *t, size_t n);

/*
 * Deletes t's matching rows in batches of rule->batch rows by primary-key
 * order, each batch in its own transaction with lock_timeout; a batch that
 * hits lock_timeout (or a deadlock) is retried up to cfg->lock_retries
 * times with a growing pause.  pause_ms between batches.  Stops after the
 * current batch on SIGINT/SIGTERM (-1, PGW_ERR_INTERRUPTED; t says what
 * was done).  Fault point maintain:batch-fail makes the third batch fail
 * inside its transaction (the batches before stay deleted).
 */
int			maintain_retention_run(PGconn *conn, const struct pgw_config *cfg, struct pgw_ret_table *t,
								   int pause_ms, pgw_ret_progress progress, void *arg);

/*
 * The tables of cfg's schemas that need VACUUM (ANALYZE), by the [maintain]
 * thresholds, plus every table in also (schema.name strings, e.g. the ones
 * retention deleted from): a new array of {schema, table, live_rows,
 * dead_rows, dead_pct, last_vacuum, xid_age, reasons:[...]} (one query).
 */
int			maintain_vacuum_candidates(PGconn *conn, const struct pgw_config *cfg,
									   const struct pgw_strlist *also, json_t **out);

/* VACUUM (ANALYZE) — or (FULL, ANALYZE) — one table, session lock_timeout
 * from cfg.  -1 with the server's error recorded (*lock_busy set when it
 * was lock_timeout). */
int			maintain_vacuum_table(PGconn *conn, const struct pgw_config *cfg, const char *schema,
								  const char *table, bool full, bool *lock_busy);

#endif
