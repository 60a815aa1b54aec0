/*
 * runner.h — applies and reverts migrations so that the database is never
 * left half-changed.
 *
 * A run: runner_open() sets the session up (lock_timeout, statement_timeout,
 * application_name), runner_lock() takes the session-level advisory lock
 * that keeps two runners from applying at once (waiting up to lock_wait
 * seconds, then naming the holder's pid) and checks that the connection is
 * not a transaction pooler (where a session lock does not hold), then the
 * caller reads the history and applies plans one by one.
 *
 * A plan is one part of a migration file — its up part, its rollback, or a
 * seed file — parsed with the real parser (errors: PGW_ERR_INPUT with
 * file:line:col before anything runs) and given a mode:
 *   transaction  the statements and the history row in one transaction: the
 *                migration is applied and recorded, or neither;
 *   statements   the file holds a statement that cannot run in a transaction
 *                (CREATE INDEX CONCURRENTLY, VACUUM, ...): statements run one
 *                by one; the history row is written first as 'failed' with
 *                the number of statements applied, kept up to date, and
 *                turned into 'applied' at the end.  A failed statement stops
 *                the run; an INVALID index it leaves is dropped.  A re-run
 *                resumes after the statements already applied when their
 *                text is unchanged (checked by a chained checksum);
 *   file         the file has its own BEGIN/COMMIT (other than one pair around
 *                everything, which is simply dropped): statements run as
 *                written, progress counted between its transactions.
 * A lock timeout (55P03), deadlock (40P01) or serialization failure (40001)
 * rolls the attempt back and retries it after a growing pause (0.5 s, 1 s,
 * 2 s, ... at most 8 s), lock_retries times; each attempt is reported
 * through the events.  The server's error becomes PGW_ERR_APPLY with its
 * message, SQLSTATE, file:line:col of the statement and a hint.
 *
 * The runner never prints: progress goes through struct pgw_runner_events.
 * Fault points (PGWARDEN_FAULT): migrate:after-statement fails a run after
 * its first statement, as a server error would.
 */
#ifndef PGW_MIGRATE_RUNNER_H
#define PGW_MIGRATE_RUNNER_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "migrate/files.h"
#include "migrate/history.h"
#include "sql/script.h"
#include "util/config.h"

enum pgw_txmode
{
	PGW_TXMODE_TRANSACTION,
	PGW_TXMODE_BATCH,
	PGW_TXMODE_STATEMENTS,
	PGW_TXMODE_FILE
};

const char *runner_txmode_name(enum pgw_txmode mode);

struct pgw_runner_events
{
	void	   *arg;
	/* the lock is held elsewhere: waiting up to wait_s seconds */
	void		(*waiting) (void *arg, int holder_pid, int wait_s);
	/* an attempt failed on a lock (or deadlock); the next starts after delay_ms */
	void		(*retry) (void *arg, const char *file, int attempt, int attempts,
						  int delay_ms, const char *reason);
	/* something worth a line: a resumed run, an index cleaned up, ... */
	void		(*note) (void *arg, const char *file, const char *message);
};

struct pgw_runner
{
	PGconn	   *conn;
	const char *conninfo;
	int			lock_timeout_ms;
	int			statement_timeout_ms;
	int			retries;
	int			lock_wait_s;
	bool		supabase;		/* keep supabase_migrations in step */
	bool		locked;
	int			pid;			/* our backend */
	bool		reset_settings; /* a migration ran SET: RESET ALL after it */
	int			pos_shift;		/* characters sent before the statement */
	struct pgw_runner_events ev;

	/*
	 * Optional: called in transaction mode when an up plan's statements
	 * have run, inside its still-open transaction, before the history row
	 * and COMMIT are sent — so a check of the result (migrate up --safe's
	 * post-verification) can refuse it and nothing is committed.  Returns
	 * 0 to commit; anything else rolls the transaction back (not retried)
	 * and runner_apply returns -1 with whatever error the hook recorded,
	 * st->vetoed set.  Not called in statements or file mode, where
	 * statements commit one by one.
	 */
	int			(*before_commit) (void *arg, PGconn *conn);
	void	   *before_commit_arg;
};

/* One part of a file, ready to run. */
struct pgw_plan
{
	const struct pgw_migration *m;	/* NULL for a seed file */
	const char *name;			/* file name shown in messages */
	const struct pgw_sql_file *f;
	struct pgw_sql_script s;
	size_t	   *stmts;			/* indexes into s.stmts, in order */
	size_t		n;
	enum pgw_txmode mode;
	const struct pgw_sql_stmt *why; /* the statement that decided the mode */
	bool		loaded;
};

/* What happened to one plan. */
struct pgw_step
{
	enum pgw_txmode mode;
	long long	duration_ms;
	int			attempts;
	int			statements;		/* in the plan */
	int			done;			/* applied (statements/file modes) */
	int			skipped;		/* already applied by an earlier run */
	bool		ok;
	bool		vetoed;			/* before_commit refused it: rolled back */
};

/* conninfo: how conn was made (for the pooler check; may be NULL); it
 * must outlive the runner. */
int			runner_open(struct pgw_runner *r, PGconn *conn, const char *conninfo,
						const struct pgw_config *cfg, int lock_wait_s, bool supabase);
/* Takes the migration lock.  -1 (PGW_ERR_CONNECT) when another run holds it
 * past lock_wait, or when the connection is a transaction pooler. */
int			runner_lock(struct pgw_runner *r);
/* Releases the lock (the connection stays open: the caller owns it). */
void		runner_close(struct pgw_runner *r);

/* Plans a migration's up part (down false) or its rollback (down true). */
int			runner_plan_migration(struct pgw_plan *p, const struct pgw_migration *m, bool down);
/* Plans a whole file (a seed); f must outlive the plan. */
int			runner_plan_file(struct pgw_plan *p, const struct pgw_sql_file *f);
void		runner_plan_release(struct pgw_plan *p);

/* Applies an up plan with its history row.  failed: the history row of an
 * earlier failed run of this migration, or NULL. */
int			runner_apply(struct pgw_runner *r, struct pgw_plan *p,
						 const struct pgw_history_row *failed, struct pgw_step *st);
/* Runs a rollback plan and removes the history row. */
int			runner_revert(struct pgw_runner *r, struct pgw_plan *p, struct pgw_step *st);
/* Applies n up plans (all in transaction mode) in one transaction. */
int			runner_apply_batch(struct pgw_runner *r, struct pgw_plan *plans, size_t n,
							   struct pgw_step *st);
/* Runs a plan without history (seeds). */
int			runner_run(struct pgw_runner *r, struct pgw_plan *p, struct pgw_step *st);

/* Records a history row for a migration that is not run (repair --applied,
 * baseline). */
int			runner_record(struct pgw_runner *r, const struct pgw_migration *m);

#endif
