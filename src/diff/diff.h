/*
 * diff.h — model × model → the changes that turn one schema into the other,
 * in an order PostgreSQL accepts, as SQL.
 *
 * diff_models compares the managed objects of two models (context objects
 * are assumed to exist on both sides and are never changed) and builds a
 * list of changes.  Each change names its object, says what it does, carries
 * hazard flags and its SQL.  The list is ordered in three phases:
 *
 *   1. detach and drop, dependants first (the FROM model's pg_depend edges):
 *      foreign keys, triggers, policies, changed constraints/indexes/defaults,
 *      views and functions that must be recreated, columns, tables, types...
 *   2. create and alter, dependencies first (the TO model's edges): schemas,
 *      extensions, types, sequences, functions, tables, columns, constraints,
 *      indexes, views, triggers, policies, grants, comments;
 *   3. final clean-up (a recreated enum's old copy).
 *
 * Inside a phase the order is a topological sort over the models'
 * dependencies with a per-kind priority breaking ties (like pg_dump's); a
 * cycle is an error naming the objects on it, never broken SQL.
 *
 * A rollback is the diff the other way round (diff_models(to, from)).
 *
 * Memory: everything a diff holds lives in its arena; diff_release frees it.
 * Errors: -1 with a PGW_ERR_INPUT error (a cycle, a bad --rename hint).
 */
#ifndef PGW_DIFF_H
#define PGW_DIFF_H

#include <stdbool.h>

#include "model/model.h"
#include "util/config.h"
#include "util/mem.h"

enum pgw_hazard
{
	PGW_HAZARD_DELETES_DATA = 0x01,
	PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK = 0x02,
	PGW_HAZARD_TABLE_REWRITE = 0x04,
	PGW_HAZARD_INDEX_BUILD = 0x08,
	PGW_HAZARD_INDEX_DROPPED = 0x10,
	PGW_HAZARD_AUTHZ_CHANGE = 0x20,
	PGW_HAZARD_MAY_FAIL_ON_DATA = 0x40
};
#define PGW_HAZARD__COUNT 7

/* "deletes_data", ... for bit i (0-based) */
const char *diff_hazard_name(int bit);

struct pgw_change
{
	enum pgw_kind kind;			/* of the object changed */
	const char *schema;
	const char *name;			/* relation, type, function signature, ... */
	const char *sub;			/* column, constraint, index, ... or NULL */
	const char *action;			/* create drop alter rename grant revoke comment ... */
	const char *summary;		/* one line for people */
	const char *sql;			/* statements, each ending ";\n" */
	unsigned	hazards;		/* enum pgw_hazard bits */
	bool		no_transaction; /* CREATE/DROP INDEX CONCURRENTLY */
	/* ordering (diff.c) */
	int			phase;
	int			priority;
	bool		late;			/* others never wait for it */
	bool		is_drop_of_owner;	/* drops (or creates) the owner object itself */
	bool		before_create_only; /* "before" objects: wait for their creation only */
	const struct pgw_object *owner_old;	/* the object whose deps order it */
	const struct pgw_object *owner_new;
	struct pgw_vec before;		/* struct pgw_change *: must come first */
	int			npending;
	size_t		seq;
};

struct pgw_rename
{
	const char *from;			/* "schema.table" or "schema.table.column" */
	const char *to;				/* new last part */
};

struct pgw_diff_opts
{
	bool		unsafe;			/* emit changes that delete data */
	bool		owners;			/* compare and set owners */
	bool		if_not_exists;	/* dump style: CREATE ... IF NOT EXISTS */
	bool		no_concurrently;	/* plain CREATE INDEX even on existing tables */
	bool		defaults_unknown;	/* dump style: the target's default privileges
									 * are not known; a created object's ACL
									 * revokes from every role the models name */
	const struct pgw_strlist *renames;	/* "old:new" hints */
};

struct pgw_diff
{
	struct pgw_arena arena;
	struct pgw_vec changes;		/* struct pgw_change *, in order */
	size_t		refused;		/* changes that delete data, left out (no --unsafe) */
	struct pgw_vec refused_list;	/* struct pgw_change * */
	bool		no_transaction; /* some change cannot run in a transaction */
	unsigned	hazards;		/* union */
};

void		diff_init(struct pgw_diff *d);
void		diff_release(struct pgw_diff *d);

int			diff_models(const struct pgw_model *from, const struct pgw_model *to,
						const struct pgw_diff_opts *opts, struct pgw_diff *d);

/* The changes as one SQL script (header comment, statements in order). */
void		diff_script(const struct pgw_diff *d, const char *title, struct pgw_buf *out);

/* "deletes_data, index_build" for a set of hazard bits (caller frees). */
char	   *diff_hazards_text(unsigned hazards);

#endif
