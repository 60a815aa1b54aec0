/*
 * deploy.h — phased, re-runnable schema deployment (`pgwarden deploy`).
 *
 * A deploy folder holds phase folders phase1, phase2, ... each with SQL
 * files run in a fixed order (enums, tables, columns, constraints, indexes,
 * functions, triggers, views — configurable — then any other .sql file,
 * sorted).  Three parts:
 *
 *   plan     deploy_plan_load(): finds the phases and files, reads each with
 *            the real parser (a syntax error is PGW_ERR_INPUT with
 *            file:line:col before anything connects) and lints it;
 *   autofix  deploy_autofix(): one statement's parse tree against the live
 *            model (read once, before the run): run it as written, skip it
 *            (the object exists and matches), rewrite it (the tree is
 *            changed and deparsed: CREATE OR REPLACE, the missing columns of
 *            an existing table as ALTER TABLE ... ADD COLUMN, missing enum
 *            labels as ADD VALUE, ...) or refuse it (the object exists and
 *            differs in a way that could lose data);
 *   run      deploy_run(): each phase in one transaction with a savepoint
 *            per statement (or one transaction per statement, or none),
 *            lock_timeout and retries as the migration runner does;
 *            deploy_verify(): the phase files loaded into an empty sandbox,
 *            read back and diffed against the live database.
 *
 * Layers never print: results are in struct pgw_deploy_stmt, which the
 * command renders and writes to the JSON log (deploy_log_json()).
 */
#ifndef PGW_DEPLOY_H
#define PGW_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "check/finding.h"
#include "model/model.h"
#include "sql/script.h"
#include "util/config.h"

#define PGW_DEPLOY_DEFAULT_ORDER "enums,tables,columns,constraints,indexes,functions,triggers,views"

struct pgw_deploy_file
{
	char	   *path;			/* absolute */
	char	   *name;			/* "phase1/tables.sql" */
	struct pgw_sql_file f;
	struct pgw_sql_script s;
	bool		loaded;
};

struct pgw_deploy_phase
{
	int			number;
	char	   *dir;
	struct pgw_deploy_file *files;
	size_t		nfiles;
};

struct pgw_deploy_plan
{
	char	   *dir;
	struct pgw_deploy_phase *phases;	/* in number order */
	size_t		nphases;
	size_t		nstatements;
	struct pgw_findings lint;	/* lint findings of every file */
};

/*
 * Loads the phases of dir: only phase `phase` (0: all).  order: file stems
 * in run order (NULL: the default).  Errors (PGW_ERR_INPUT): dir missing,
 * no phase folder, the phase asked for missing, a file that does not read
 * or parse (the first syntax error with file:line:col).
 */
int			deploy_plan_load(struct pgw_deploy_plan *p, const char *dir, int phase,
							 const struct pgw_strlist *order, const struct pgw_config *cfg);
void		deploy_plan_release(struct pgw_deploy_plan *p);

enum pgw_deploy_result
{
	PGW_DEPLOY_PENDING = 0,		/* not run (dry run, or an earlier failure) */
	PGW_DEPLOY_APPLIED,
	PGW_DEPLOY_SKIPPED,
	PGW_DEPLOY_AUTOFIXED,
	PGW_DEPLOY_FAILED,
	PGW_DEPLOY_ROLLED_BACK		/* applied, then its phase was rolled back */
};
const char *deploy_result_name(enum pgw_deploy_result r);

enum pgw_autofix
{
	PGW_AF_RUN = 0,				/* as written */
	PGW_AF_SKIP,				/* exists and matches */
	PGW_AF_REWRITE,				/* run sql instead */
	PGW_AF_REFUSE,				/* exists and differs: report, do not run */
	PGW_AF_PROBE				/* exists; the parse tree alone cannot tell
								 * whether it matches: deploy_probe() makes
								 * the file's object on the server and
								 * decides (skip, rewrite or refuse) */
};

struct pgw_deploy_stmt
{
	int			phase;
	const struct pgw_deploy_file *file;
	size_t		index;			/* in file->s.stmts */
	int			line;
	int			column;
	const char *kind;			/* "CREATE TABLE", ... */
	char	   *object;			/* "public.jobs", or NULL */
	char	   *text;			/* as written */
	enum pgw_autofix fix;
	char	   *fix_sql;		/* PGW_AF_REWRITE: what runs instead */
	char	   *fix_action;		/* "skip", "create or replace", "add column", ... */
	char	   *fix_reason;		/* why */
	char	   *compare_sql;	/* views: the file's view as a temporary
								 * one, compared with the live definition
								 * when it runs: identical -> skipped */
	char	   *compare_with;	/* the live view, quoted; the temporary one
								 * is pg_temp.pgw_deploy_cmp_<probe_id> */
	int			view_cmp;		/* run.c: 0 not known, 1 same, 2 differs */
	/* PGW_AF_PROBE (deploy_probe) */
	enum pgw_kind probe_kind;	/* TABLE, INDEX or POLICY */
	char	   *probe_sql;		/* makes the file's object in probe schema
								 * PROBE_SCHEMA_n (n = probe_id) */
	int			probe_id;
	char	   *probe_schema;	/* the live object: its table's schema */
	char	   *probe_table;	/* ... its table */
	char	   *probe_name;		/* ... index or policy name */
	bool		probed;			/* settled by deploy_probe() */
	char	   *fallback_sql;	/* a table the server cannot make: ADD COLUMN
								 * of the missing columns, or NULL */
	bool		no_transaction; /* cannot run in a transaction block */
	enum pgw_deploy_result result;
	long long	duration_ms;
	int			attempts;
	char	   *error;			/* server message */
	char	   *sqlstate;
};

/* A probe object's schema: PGW_DEPLOY_PROBE_SCHEMA "<n>", made and rolled
 * back inside deploy_probe()'s transaction. */
#define PGW_DEPLOY_PROBE_SCHEMA "pgw_deploy_probe_"

/*
 * Decides what to do with statement i of file f against the live model.
 * adds: what the folder's ALTER TABLE statements add, "c:schema.table.column"
 * and "k:schema.table.constraint" (deploy_collect_adds): a live column or
 * constraint that the CREATE TABLE lacks but a statement adds is expected,
 * not something to drop.  Fills st->fix, fix_sql, fix_action, fix_reason,
 * object, and the probe fields for PGW_AF_PROBE.
 */
void		deploy_autofix(const struct pgw_model *live, const struct pgw_strlist *adds,
						   struct pgw_deploy_file *f, size_t i, struct pgw_deploy_stmt *st);
void		deploy_collect_adds(const struct pgw_deploy_plan *p, struct pgw_strlist *adds);
/* whether adds (deploy_collect_adds) holds WHAT ('c' column, 'k' constraint)
 * SCHEMA.TABLE.NAME: added by an ALTER TABLE somewhere in the folder */
bool		deploy_has_add(const struct pgw_strlist *adds, char what, const char *schema,
						   const char *table, const char *name);

enum pgw_deploy_tx
{
	PGW_DEPLOY_TX_PHASE = 0,
	PGW_DEPLOY_TX_STATEMENT,
	PGW_DEPLOY_TX_NONE
};
const char *deploy_tx_name(enum pgw_deploy_tx tx);

struct pgw_deploy_phase_result
{
	int			number;
	enum pgw_deploy_tx tx;		/* as run (a phase with CONCURRENTLY runs per statement) */
	bool		ok;
	bool		rolled_back;
	int			counts[6];		/* by enum pgw_deploy_result */
	long long	duration_ms;
};

struct pgw_deploy_events
{
	void	   *arg;
	void		(*phase_start) (void *arg, int phase, size_t nstatements, enum pgw_deploy_tx tx);
	void		(*statement) (void *arg, const struct pgw_deploy_stmt *st);
	void		(*phase_end) (void *arg, const struct pgw_deploy_phase_result *r);
};

struct pgw_deploy_run
{
	struct pgw_deploy_stmt *stmts;	/* every statement of the plan, in order */
	size_t		nstmts;
	struct pgw_deploy_phase_result *phases;
	size_t		nphases;
	bool		ok;
	struct pgw_strlist adds;	/* deploy_collect_adds() of the whole folder */
	size_t		nprobes;		/* statements left PGW_AF_PROBE */
	long long	probe_ms;		/* deploy_probe()'s time */
};

/* Plans every statement (autofix decisions) without running anything.
 * folder: every phase of the folder (for deploy_collect_adds; p itself when
 * p holds every phase). */
void		deploy_decide(const struct pgw_deploy_plan *p, const struct pgw_deploy_plan *folder,
						  const struct pgw_model *live, struct pgw_deploy_run *run);

/*
 * Settles the PGW_AF_PROBE statements of run, all in one transaction on
 * conn that is rolled back: each file object is made in a schema of its own
 * (a CREATE TABLE as written, an index or policy on an empty LIKE copy of
 * its live table), in one batch; the catalog is read once inside the
 * transaction; then
 *   a table is diffed against the live one (diff_models on a one-table
 *   pair): no change -> skip; changes -> the ALTERs (the diff engine's
 *   SQL) run instead; a change that would lose data (a dropped column, a
 *   type that is not a widening) -> refuse;
 *   an index: the same method, keys, INCLUDE, predicate and uniqueness ->
 *   skip, else refuse;
 *   a policy: the same command, mode, roles, USING and WITH CHECK ->
 *   skip, else drop and create.
 * An object that cannot be made (it needs something only this deploy
 * creates) is refused, saying why.  Nothing changes.  No probe: no query.
 * Returns 0, or -1 with PGW_ERR_CONNECT (the connection failed).
 */
int			deploy_probe(PGconn *conn, const struct pgw_config *cfg, const struct pgw_model *live,
						 struct pgw_deploy_run *run);

/*
 * Runs the decided statements on conn (set up and locked by the migration
 * runner: lock_timeout, advisory lock).  Stops after the first failed phase
 * unless continue_on_error.  Returns 0 when every phase applied, -1 with a
 * PGW_ERR_APPLY error otherwise (what happened is in run).
 */
int			deploy_execute(PGconn *conn, const struct pgw_deploy_plan *p, struct pgw_deploy_run *run,
						   enum pgw_deploy_tx tx, bool continue_on_error, int retries,
						   const struct pgw_deploy_events *ev);
void		deploy_run_release(struct pgw_deploy_run *run);

/* One difference between the phase files and the live database. */
struct pgw_deploy_drift
{
	const char *state;			/* missing, extra, different */
	char	   *kind;
	char	   *object;
	char	   *summary;
	char	   *sql;			/* what would make the database match */
};

struct pgw_deploy_verify
{
	struct pgw_deploy_drift *items;
	size_t		n;
	size_t		missing,
				extra,
				different;
	long long	duration_ms;
};

/*
 * Loads phases 1..upto (0: all) of p's folder into an empty sandbox
 * database (the target's roles created there), reads it and the live
 * database (conn) and diffs them.  Errors: PGW_ERR_CONNECT (no sandbox),
 * PGW_ERR_INPUT (the files do not load into an empty database).
 */
int			deploy_verify(const struct pgw_config *cfg, PGconn *conn, const char *dir, int upto,
						  const struct pgw_strlist *order, struct pgw_deploy_verify *v);
void		deploy_verify_release(struct pgw_deploy_verify *v);

/* The log document (docs/deploy.md): run id, target, phases, statements,
 * summary. */
json_t	   *deploy_stmt_json(const struct pgw_deploy_stmt *st);
json_t	   *deploy_summary_json(const struct pgw_deploy_run *run);

#endif
