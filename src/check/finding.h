/*
 * finding.h — the finding: one problem found by lint, validate, doctor,
 * storage audit, scan or health (DESIGN.md §4), and lists of them.
 *
 * JSON form (finding_to_json), keys in this order, absent optional keys
 * omitted:
 *   {rule, severity, category,
 *    object:{kind, schema, name, column?, table?:{schema, table}},
 *    message, detail?, hint?, location?:{file, line, column},
 *    fix?:{action, args, sql?}, fingerprint}
 *
 * object.name is the object's own name (a policy's, an index's); object.table
 * is the table the object is or belongs to, whenever there is one, so "all
 * about table t" is a filter on object.table and never a parse of messages.
 *
 * The fingerprint identifies "the same problem on the same object" across
 * runs: SHA-256 over the rule, the object's kind, schema, name and column,
 * and the file (not the message, so a changed count keeps it), first 16 hex
 * digits.  Policy and trigger names are unique only per table, so theirs is
 * hashed as "table.name" (what validate always named a policy); object.table
 * adds nothing else to it, so adding the table kept every other fingerprint.
 * Suppression lists and CI baselines key on it or on the rule id.
 *
 * Memory: every string of every finding lives in the list's arena; release
 * the list once.
 */
#ifndef PGW_FINDING_H
#define PGW_FINDING_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/mem.h"

enum pgw_severity
{
	PGW_SEV_INFO = 0,
	PGW_SEV_WARNING = 1,
	PGW_SEV_ERROR = 2
};

struct pgw_object_ref
{
	const char *kind;			/* "table", "column", "policy", "index", ... */
	const char *schema;
	const char *name;
	const char *column;			/* NULL unless the finding is about a column */
	const char *table_schema;	/* the table it is or belongs to, or NULL */
	const char *table;
};

struct pgw_fix
{
	const char *action;			/* a generate action, e.g. "fix-rls-policy" */
	const char **args;
	size_t		nargs;
	const char *sql;			/* optional: the statement(s) that fix it */
	const char *undo;			/* optional: the statement(s) that undo sql */
	bool		concurrent;		/* sql cannot run in a transaction */
};

struct pgw_finding
{
	const char *rule;			/* stable dotted id: "rls.weak_policy" */
	enum pgw_severity severity;
	const char *category;		/* "rls", "tenant", "locking", ... */
	struct pgw_object_ref object;
	const char *message;
	const char *detail;
	const char *hint;
	const char *file;			/* lint: where, else NULL */
	int			line;
	int			column;
	bool		has_fix;
	struct pgw_fix fix;
	bool		suppressed;
	char		fingerprint[17];
};

struct pgw_findings
{
	struct pgw_finding *items;
	size_t		n;
	size_t		cap;
	struct pgw_arena arena;
};

void		findings_init(struct pgw_findings *list);
void		findings_release(struct pgw_findings *list);

/* Appends a finding; strings are copied into the list's arena.  The returned
 * pointer is valid until the next findings_add(). */
struct pgw_finding *findings_add(struct pgw_findings *list, const char *rule,
								 enum pgw_severity severity, const char *category,
								 const char *message);
/* Appends a copy of another list's finding, everything included. */
struct pgw_finding *findings_copy(struct pgw_findings *list, const struct pgw_finding *from);
/* Sets the object; a "table" or "column" object is its own table (name is
 * the table's), any other kind has none until finding_set_table. */
void		finding_set_object(struct pgw_findings *list, struct pgw_finding *f,
							   const char *kind, const char *schema,
							   const char *name, const char *column);
/* The table the object belongs to (an index's, a policy's); table NULL: none. */
void		finding_set_table(struct pgw_findings *list, struct pgw_finding *f,
							  const char *schema, const char *table);
void		finding_set_detail(struct pgw_findings *list, struct pgw_finding *f, const char *detail);
void		finding_set_hint(struct pgw_findings *list, struct pgw_finding *f, const char *hint);
void		finding_set_location(struct pgw_findings *list, struct pgw_finding *f,
								 const char *file, int line, int column);
void		finding_set_fix(struct pgw_findings *list, struct pgw_finding *f,
							const char *action, const char *const *args, size_t nargs,
							const char *sql);
/* The rollback of a fix's SQL; concurrent: the SQL cannot run inside a
 * transaction (CREATE/DROP INDEX CONCURRENTLY). */
void		finding_set_fix_undo(struct pgw_findings *list, struct pgw_finding *f,
								 const char *undo, bool concurrent);

/* Computes f->fingerprint from rule, object and file.  findings_add and the
 * setters keep it current; exposed for tests. */
void		finding_update_fingerprint(struct pgw_finding *f);

/* Sorts the findings of one file by line, column, then rule id (lint and
 * scan print a file's findings in this order). */
void		findings_sort_by_location(struct pgw_findings *list);

/* Marks findings whose rule is in rules[] as suppressed; returns how many. */
size_t		findings_suppress(struct pgw_findings *list, const char *const *rules, size_t n);

/* Unsuppressed findings at or above min. */
size_t		findings_count_at_least(const struct pgw_findings *list, enum pgw_severity min);

const char *severity_name(enum pgw_severity s);
/* Parses "error" / "warning" / "info"; -1 when s is none of them. */
int			severity_parse(const char *s);

json_t	   *finding_to_json(const struct pgw_finding *f);
/* The finding's object alone: {kind, schema, name, column?, table?}. */
json_t	   *finding_object_json(const struct pgw_finding *f);
/* Unsuppressed findings as a JSON array. */
json_t	   *findings_to_json(const struct pgw_findings *list);
/* {"error":n, "warning":n, "info":n, "suppressed":n} */
json_t	   *findings_summary_json(const struct pgw_findings *list);

#endif
