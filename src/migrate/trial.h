/*
 * trial.h — a migration tried in a sandbox (migrate/sandbox.h): snapshot
 * before, the up parts of the migrations in order, snapshot after, their
 * rollbacks in reverse order, snapshot again; the rollback passes when the
 * last snapshot is byte-identical to the first (stable snapshots,
 * model/snapshot.h).  Used by `test-migration` and `migrate up --safe`.
 *
 * Statements run as the runner would run them (migrate/runner.h): a
 * transaction-mode part in one transaction, a statements-mode part one
 * statement at a time (each transactional one in its own transaction), a
 * file-mode part as written.  After every statement that ran inside a
 * transaction, the relation locks our backend holds that it did not hold
 * before the statement are read from pg_locks (before the commit), so the
 * report can say which locks each statement takes.
 *
 * In a tx sandbox (the target, inside a transaction that is never
 * committed) everything runs in that one transaction; a part that is not in
 * transaction mode cannot be tried and the trial says so (untestable) —
 * cmd/safety.c sends such migrations to a local sandbox when there can be
 * one, so this is what is left where PostgreSQL's binaries are missing.
 *
 * Results: trial_run() returns 0 when the trial ran — whether the
 * migration passed or not is in the struct — and -1 with an error recorded
 * when the sandbox itself failed (a snapshot could not be read).  The
 * trial owns everything it holds; trial_release() frees it.
 */
#ifndef PGW_MIGRATE_TRIAL_H
#define PGW_MIGRATE_TRIAL_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "catalog/catalog.h"
#include "diff/diff.h"
#include "migrate/files.h"
#include "model/model.h"
#include "util/config.h"

struct pgw_trial_stmt
{
	char	   *file;			/* the file it comes from */
	int			line;
	char	   *tag;			/* "CREATE TABLE", ... */
	bool		down;			/* part of a rollback */
	bool		observed;		/* ran inside a transaction: locks read */
	long long	ms;
	struct pgw_strlist locks;	/* "AccessExclusiveLock on public.t" */
};

struct pgw_trial
{
	bool		up_ok;			/* every up part ran */
	bool		has_rollback;	/* every migration has one */
	bool		down_ok;		/* every rollback ran */
	bool		restored;		/* after the rollbacks: identical to before */
	bool		untestable;		/* this sandbox cannot run the migration */
	char	   *untestable_why;
	/* the first failure: which file and line, the server's words */
	char	   *fail_file;
	int			fail_line;
	char	   *fail_message;
	char	   *fail_sqlstate;
	bool		fail_in_down;
	long long	up_ms;
	long long	down_ms;
	/* stable snapshots (NULL when not reached) */
	char	   *before;
	char	   *after;
	char	   *after_down;
	struct pgw_model m_before;
	struct pgw_model m_after;
	struct pgw_model m_after_down;
	struct pgw_trial_stmt *stmts;
	size_t		nstmts;
	size_t		cap;
};

/*
 * Tries ms[0..n) on conn (the sandbox's connection; tx: already inside the
 * sandbox transaction).  copts: how to read the snapshots (stable is set
 * here).
 */
int			trial_run(struct pgw_trial *t, PGconn *conn, bool tx, struct pgw_migration *const *ms,
					  size_t n, const struct pgw_catalog_opts *copts);
void		trial_release(struct pgw_trial *t);

/*
 * A rollback worked out for a migration that has none (test-migration
 * --write-rollback): in the sandbox, a snapshot after each migration of the
 * batch, and the rollback of migration i is the diff from the schema after
 * it back to the schema after the one before it (diff/diff.h, the same
 * engine as `diff --rollback`).  It is then run: the rollbacks go down the
 * batch newest first (a migration's own rollback where it has one and is
 * not being replaced) and after each one the snapshot must be byte for
 * byte the one taken before that migration.
 *
 * Refused (refused set, sql still there when it could be computed) when
 * the migration deletes data — a change the diff marks deletes_data
 * (a dropped table or column, a type recreated) — or changes rows of a
 * table it did not create (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY
 * FROM): a schema diff brings back the shape, never the rows.
 */
struct pgw_derived
{
	bool		want;			/* in: derive one for this migration */
	char	   *sql;			/* the rollback statements (diff_script) */
	size_t		changes;		/* changes in it */
	bool		verified;		/* ran and restored the schema exactly */
	char	   *refused;		/* why there is none to write (NULL: fine) */
	char	   *refused_detail;
	int			refused_line;	/* of the statement that refused it, or 0 */
	char	   *caution;		/* its changes that rows written after the
								 * migration can make fail (may_fail_on_data),
								 * or NULL */
};

/*
 * Derives the rollbacks d[i].want asks for, for ms[0..n) tried in order on
 * conn (a sandbox, as trial_run).  Returns 0 when the derivation ran —
 * what came of each is in d — and -1 with an error recorded when the
 * sandbox itself failed.  *restored: every rollback ran and the sandbox
 * is back at its first snapshot.  d[i]'s strings are freed by
 * trial_derived_release.
 */
int			trial_derive(PGconn *conn, bool tx, struct pgw_migration *const *ms, size_t n,
						 const struct pgw_catalog_opts *copts, struct pgw_derived *d, bool *restored);
void		trial_derived_release(struct pgw_derived *d, size_t n);

/*
 * Runs the rollbacks of ms[0..n), in that order (newest first), on conn:
 * the sandbox goes back to the schema before them (test-migration of a
 * migration already applied on the target).  0, or -1 with an error
 * recorded naming the rollback that failed or is missing.
 */
int			trial_rewind(PGconn *conn, bool tx, struct pgw_migration *const *ms, size_t n);

/*
 * Applies m's up part on conn (a local sandbox, outside any transaction)
 * as the runner would, without history: how a sandbox kept over a batch
 * follows the target.  0, or -1 with an error recorded.
 */
int			trial_apply(PGconn *conn, const struct pgw_migration *m);

/*
 * The changes of a diff in words, grouped by kind and action with counts
 * and names: "+1 table (vehicle_documents), +8 columns, +2 policies
 * (…)" into text (no trailing newline; "no schema change" when empty), and
 * the same as a JSON array of {kind, action, count, names} (new reference).
 */
void		trial_describe(const struct pgw_diff *d, struct pgw_buf *text, json_t **groups);

/* The statements and their locks as a JSON array (new reference). */
json_t	   *trial_statements_json(const struct pgw_trial *t);

#endif
