/*
 * safety.h — the parts `test-migration` and `migrate up --safe` share: a
 * sandbox opened on the target, the migrations tried in it with their
 * rollbacks (migrate/trial.h), the outcome as findings, and how it is
 * shown (text and JSON).  Command-level code: it renders through out/.
 */
#ifndef PGW_CMD_SAFETY_H
#define PGW_CMD_SAFETY_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "check/finding.h"
#include "cmd/cmd.h"
#include "diff/diff.h"
#include "migrate/files.h"
#include "migrate/sandbox.h"
#include "migrate/trial.h"

/* How to try: which sandbox, and whether with a data sample. */
struct safety_opts
{
	const char *kind;			/* "local", "tx" or NULL: the default */
	int			with_data;		/* local: rows per table copied (0: none) */
	/* rollbacks run in the sandbox before the trial, in this order (newest
	 * first): test-migration of migrations already applied on the target */
	struct pgw_migration *const *rewind;
	size_t		nrewind;
};

/*
 * A local sandbox kept open over a batch (migrate up --safe): opened by the
 * first trial, then brought along with the target — each migration applied
 * there is applied in the sandbox too (safety_keep_advance) — so the next
 * trial starts from it instead of dumping the changed target again.
 */
struct safety_keep
{
	struct pgw_sandbox_db sb;
	bool		open;
	int			trials;			/* trials that used it */
};

struct safety_trial
{
	enum pgw_sandbox_kind kind;
	bool		pushed;			/* tx asked for, local used: see pushed_why */
	char	   *pushed_why;		/* the statement a transaction cannot hold */
	bool		reused;			/* the batch's sandbox, already open */
	int			with_data;		/* rows per table sampled (local) */
	bool		cached;			/* local: the template was there */
	long long	open_ms;		/* sandbox ready */
	long long	total_ms;		/* open + trial + close */
	struct pgw_trial t;
	bool		ran;
	struct pgw_buf words;		/* what the migration changes */
	json_t	   *groups;
	struct pgw_buf residue;		/* what the rollback leaves changed */
	json_t	   *residue_groups;
	struct pgw_findings findings;	/* the trial's verdicts */
	struct pgw_findings lint;		/* lint findings of the up parts */
	bool		passed;
	bool		rewound;		/* o->rewind ran first */
};

/* The catalog options every snapshot of the safe path uses. */
void		safety_catalog_opts(const struct pgw_ctx *ctx, struct pgw_catalog_opts *o);

/*
 * Opens a sandbox of conn's database (o->kind "local", "tx" or NULL for
 * the default), tries ms[0..n) with their rollbacks, closes the sandbox
 * and fills st.  A tx sandbox cannot hold a part that is not one
 * transaction (CREATE INDEX CONCURRENTLY, ...): such migrations are pushed
 * to a local sandbox when PostgreSQL's binaries are here (st->pushed), and
 * reported untestable only when they are not.  keep (may be NULL): a local
 * sandbox is taken from it when open, and left open in it afterwards.
 * -1 with an error recorded when the sandbox failed; a migration that fails
 * is a result (st->passed false), not an error.
 */
int			safety_trial_run(struct safety_trial *st, struct pgw_ctx *ctx, PGconn *conn,
							 const struct safety_opts *o, struct pgw_migration *const *ms, size_t n,
							 struct safety_keep *keep);
void		safety_trial_release(struct safety_trial *st);

/*
 * Opens a sandbox as safety_trial_run would (o->rewind run first) and
 * derives the rollbacks d[i].want asks for (trial_derive).  *kind: the
 * sandbox used.  keep (may be NULL): a local sandbox that every rollback
 * brought back to where it started (the rewound state) is left open in
 * it, for the trial that follows (which then runs no rewind again).  -1
 * with an error recorded when the sandbox failed.
 */
int			safety_derive_run(struct pgw_ctx *ctx, PGconn *conn, const struct safety_opts *o,
							  struct pgw_migration *const *ms, size_t n, struct pgw_derived *d,
							  enum pgw_sandbox_kind *kind, struct safety_keep *keep);

/*
 * Applies m's up part in the kept sandbox, after it was applied to the
 * target, so the sandbox mirrors the target for the next trial.  When that
 * fails the sandbox is closed (the next trial opens a fresh one); never an
 * error for the caller.
 */
void		safety_keep_advance(struct safety_keep *k, const struct pgw_migration *m);
void		safety_keep_close(struct safety_keep *k);

/* Lints m's up part into st->lint (suppressed: the config's ignore list and
 * allow); returns the number of unsuppressed errors. */
size_t		safety_lint(struct pgw_ctx *ctx, const struct pgw_migration *m, struct pgw_findings *out,
						const struct pgw_strlist *allow);

/* Adds "sandbox", "changes", "statements", "rollback", "findings",
 * "lint" and "summary" to doc. */
void		safety_trial_json(const struct safety_trial *st, json_t *doc);
/* The same for people: changes, locks per statement, rollback check. */
void		safety_trial_print(const struct safety_trial *st, const char *indent);

#endif
