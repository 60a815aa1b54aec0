/*
 * history.h — the migration history kept in the database.
 *
 * pgwarden.schema_migrations has one row per migration that was applied (or
 * that failed part-way outside a transaction):
 *
 *   version text PRIMARY KEY, name, checksum, checksum_algorithm,
 *   rollback_checksum, applied_at, applied_by, duration_ms,
 *   transaction_mode  'transaction' (its own transaction), 'batch'
 *                     (--one-transaction), 'statements' (statement by
 *                     statement: a statement that cannot run in a
 *                     transaction), 'file' (the file's own BEGIN/COMMIT),
 *                     'recorded' (repair/baseline: never run by pgwarden)
 *   status            'applied' or 'failed'
 *   statements_applied, statements_total, applied_prefix_checksum, error
 *                     for a failed run: how far it got, a checksum of the
 *                     statements that were applied (so a re-run of an
 *                     unchanged prefix resumes after them), the server's
 *                     message
 *
 * In a Supabase layout supabase_migrations.schema_migrations (version, name,
 * statements) is kept in step in the same transaction, so `supabase
 * migration list` sees what pgwarden applied; on first use, what it lists
 * is adopted as applied (the Supabase CLI applied it before pgwarden came).
 *
 * Every value is a parameter; the DDL here is fixed text.  Errors are
 * PGW_ERR_APPLY with the server's message (the caller may change the kind).
 */
#ifndef PGW_MIGRATE_HISTORY_H
#define PGW_MIGRATE_HISTORY_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

struct pgw_history_row
{
	char	   *version;
	char	   *name;
	char	   *checksum;
	char	   *algorithm;
	char	   *rollback_checksum;	/* NULL when none was recorded */
	char	   *applied_at;		/* ISO 8601, UTC */
	char	   *applied_by;
	long long	duration_ms;
	char	   *tx_mode;
	bool		failed;
	int			statements_applied; /* -1: unknown */
	int			statements_total;	/* -1: unknown */
	char	   *prefix_checksum;	/* NULL unless failed part-way */
	char	   *error;
};

/* The "algorithm" of rows adopted from Supabase's history (no checksum). */
#define PGW_SUPABASE_ALGORITHM "supabase-cli"

struct pgw_history
{
	bool		exists;			/* the table is there */
	size_t		imported;		/* rows read from Supabase's table instead */
	struct pgw_history_row *rows;	/* sorted by version (numeric) */
	size_t		n;
};

/* Reads the history; a missing table is an empty history (exists false) —
 * unless supabase (a Supabase layout) and supabase_migrations has rows:
 * those versions, applied by the Supabase CLI, count as applied (no
 * checksum to compare), and history_ensure() adopts them. */
int			history_read(PGconn *conn, struct pgw_history *h, bool supabase);
void		history_release(struct pgw_history *h);

/* The versions applied (status applied), as history_read sees them,
 * appended to out. */
struct pgw_strlist;
int			history_applied_versions(PGconn *conn, bool supabase, struct pgw_strlist *out);
struct pgw_history_row *history_find(const struct pgw_history *h, const char *version);

/* Creates the tables when missing (pgwarden's; Supabase's too when
 * supabase).  Caller holds the migration lock. */
int			history_ensure(PGconn *conn, bool supabase);

/* What a history row says about a migration being recorded. */
struct pgw_history_entry
{
	const char *version;
	const char *name;
	const char *checksum;
	const char *rollback_checksum;	/* NULL or "" when none */
	const char *tx_mode;
	long long	duration_ms;
	bool		failed;
	int			statements_applied;
	int			statements_total;
	const char *prefix_checksum;
	const char *error;
	json_t	   *statements;		/* JSON array of statement texts, for
								 * Supabase's table (may be NULL) */
};

/* Inserts or replaces the row for e->version (and Supabase's, when
 * supabase and the entry is not failed).  In pipeline mode the statements
 * are only sent (history_record and history_delete without deleted): the
 * caller reads their results after the sync. */
int			history_record(PGconn *conn, const struct pgw_history_entry *e, bool supabase);

/* Updates a failed row's progress (statement-by-statement runs). */
int			history_record_progress(PGconn *conn, const char *version, int applied,
									const char *prefix_checksum, const char *error);

/* Marks an applied row failed (a statement-by-statement rollback stopped
 * part-way): status shows it, and `up` runs the migration again. */
int			history_mark_failed(PGconn *conn, const char *version, const char *error);

/* Deletes the rows for version (both tables).  *deleted says whether
 * pgwarden's had one. */
int			history_delete(PGconn *conn, const char *version, bool supabase, bool *deleted);

/* Sets the checksum of an applied row (repair --checksum). */
int			history_set_checksum(PGconn *conn, const char *version, const char *checksum,
								 const char *rollback_checksum);

json_t	   *history_row_to_json(const struct pgw_history_row *r);

#endif
