/*
 * lint.h — offline checks of SQL migrations on the parse tree.
 *
 * Exports the rule table (pgw_lint_rules: id, severity, category, summary,
 * hint — docs/lint-rules.md has one section per id) and lint_script(),
 * which appends struct pgw_finding (check/finding.h) for one loaded script.
 *
 * Transaction awareness: whether a statement runs inside a transaction
 * decides several rules (CONCURRENTLY inside one fails; VALIDATE in the
 * same transaction as its ADD ... NOT VALID gains nothing; a file that is
 * not one transaction should be safe to re-run).  PGW_LINT_TX_AUTO is how
 * pgwarden's own runner executes a file: one
 * transaction unless the file contains a statement that cannot run in one
 * or manages transactions itself (sql_script_can_wrap).  ALWAYS and NEVER
 * model other tools.
 *
 * Suppression: "-- pgwarden:ignore RULE[, RULE]" silences those rules on
 * the next statement (or on the statement the comment ends the line of);
 * "-- pgwarden:ignore-file RULE" on the whole file; the config's ignore
 * list everywhere.  A comment ignore that silenced nothing, or one naming
 * no rule, is reported as lint.unused_ignore.
 */
#ifndef PGW_SQL_LINT_H
#define PGW_SQL_LINT_H

#include <stddef.h>

#include "check/finding.h"
#include "sql/script.h"
#include "util/config.h"

enum pgw_lint_txmode
{
	PGW_LINT_TX_AUTO = 0,		/* as pgwarden migrate runs it */
	PGW_LINT_TX_ALWAYS,			/* the tool wraps every file in a transaction */
	PGW_LINT_TX_NEVER			/* statements autocommit unless in BEGIN ... COMMIT */
};

struct pgw_lint_options
{
	int			pg_version;		/* server major version; 0 means 15 */
	enum pgw_lint_txmode tx_mode;
	const struct pgw_strlist *exposed_schemas;	/* NULL: "public"; empty: none (info) */
	const struct pgw_strlist *ignore;	/* rule ids, from the config */
	const struct pgw_strlist *enable;	/* opt-in rule ids turned on */
	bool		rollback;		/* the script undoes a migration (see docs/lint.md) */
	const struct pgw_sql_script *forward;	/* with rollback: what it undoes, or NULL */
};

struct pgw_lint_rule
{
	const char *id;
	enum pgw_severity severity;
	const char *category;
	const char *summary;		/* one line, for docs and --list-rules */
	const char *hint;			/* the safe way */
};

extern const struct pgw_lint_rule pgw_lint_rules[];
extern const size_t pgw_lint_nrules;

const struct pgw_lint_rule *lint_rule_find(const char *id);

/* Whether rule id is off unless pgw_lint_options.enable names it. */
bool		lint_rule_is_opt_in(const char *id);

/* The opt-in rule ids, comma separated, for messages. */
const char *lint_opt_in_list(void);

/*
 * Lints one script (loaded with sql_script_load, or with PGW_SQL_DEFER_DATA:
 * the trees of data statements are then built only where a rule needs one;
 * statements that did not parse are skipped).  Findings go to out with the file's name and the
 * statement's line and column; suppressed ones are kept with suppressed set.
 * Returns the number of findings added.
 */
size_t		lint_script(struct pgw_sql_script *s, const struct pgw_lint_options *o,
						struct pgw_findings *out);

#endif
