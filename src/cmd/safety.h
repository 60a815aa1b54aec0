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

struct safety_trial
{
	enum pgw_sandbox_kind kind;
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
};

/* The catalog options every snapshot of the safe path uses. */
void		safety_catalog_opts(const struct pgw_ctx *ctx, struct pgw_catalog_opts *o);

/*
 * Opens a sandbox of conn's database (kind_opt "local", "tx" or NULL for
 * the default), tries ms[0..n) with their rollbacks, closes the sandbox
 * and fills st.  -1 with an error recorded when the sandbox failed; a
 * migration that fails is a result (st->passed false), not an error.
 */
int			safety_trial_run(struct safety_trial *st, struct pgw_ctx *ctx, PGconn *conn,
							 const char *kind_opt, struct pgw_migration *const *ms, size_t n);
void		safety_trial_release(struct safety_trial *st);

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
