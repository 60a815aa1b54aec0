/*
 * fix.h — the SQL behind `pgwarden generate`: for one action on one table,
 * the forward statements and the statements that undo them.
 *
 * Each generator appends to a piece's up and down buffers: up in the order
 * to run, down already in reverse (a combined migration runs the pieces'
 * downs last piece first).  Every identifier goes through sql_ident,
 * every constant through sql_literal; statements are idempotent where
 * PostgreSQL allows (IF [NOT] EXISTS).  A piece is non-transactional when
 * it holds CREATE/DROP INDEX CONCURRENTLY: such pieces go into a migration
 * of their own, which `migrate up` runs statement by statement.
 *
 * Facts that come from the data (rows that would keep a NULL tenant after a
 * backfill, orphans of a new foreign key) are read through conn, values as
 * parameters.  Errors: -1 with PGW_ERR_INPUT (the action cannot apply to
 * this table: reason and hint) or PGW_ERR_CONNECT (a query failed).
 */
#ifndef PGW_CHECK_FIX_H
#define PGW_CHECK_FIX_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "check/tenant.h"
#include "model/model.h"
#include "util/mem.h"

struct pgw_fix_piece
{
	struct pgw_buf up;
	struct pgw_buf down;
	bool		nontx;
};

/* Where the policies take the current tenant from. */
enum pgw_tenant_from
{
	PGW_TENANT_FROM_SETTING = 0,	/* current_setting(tenant_setting, true) */
	PGW_TENANT_FROM_JWT,		/* auth.jwt() ->> '<tenant column>' (Supabase) */
	PGW_TENANT_FROM_MEMBERSHIP	/* a membership table: tenant column + user_id
								 * = auth.uid() (Supabase) */
};

struct pgw_fixgen
{
	struct pgw_model *m;
	const struct pgw_config *cfg;
	struct pgw_tenancy t;
	PGconn	   *conn;
	enum pgw_tenant_from from;
	const struct pgw_relation *membership;	/* for PGW_TENANT_FROM_MEMBERSHIP */
};

/* Parses "setting", "jwt", "membership"; -1 otherwise. */
int			fix_tenant_from_parse(const char *s);

/* Finds the membership table (a managed table with the tenant column and
 * user_id) when g->from needs it: -1 with PGW_ERR_INPUT when there is none. */
int			fix_prepare(struct pgw_fixgen *g);

enum pgw_orphans
{
	PGW_ORPHANS_REFUSE = 0,
	PGW_ORPHANS_DELETE,
	PGW_ORPHANS_NULLIFY
};

void		fix_piece_init(struct pgw_fix_piece *p);
void		fix_piece_release(struct pgw_fix_piece *p);

/* RLS on, weak policies replaced by isolation policies for the app role. */
int			fix_rls_policy(struct pgw_fixgen *g, const struct pgw_relation *rel,
						   struct pgw_fix_piece *p);

/* Tenant column (added when missing), backfill from parent (may be NULL),
 * foreign key to the tenants table, NOT NULL when no NULL would remain,
 * RLS and policies: into tx; the tenant-column index into idx (non-tx; left
 * empty when an index exists). */
int			fix_tenant_isolation(struct pgw_fixgen *g, const struct pgw_relation *rel,
								 const struct pgw_relation *parent,
								 struct pgw_fix_piece *tx, struct pgw_fix_piece *idx);

/* Orphans handled as asked, supporting index, FK NOT VALID, VALIDATE
 * (non-tx).  column NULL: "<ref singular>_id". */
int			fix_foreign_key(struct pgw_fixgen *g, const struct pgw_relation *rel,
							const struct pgw_relation *ref, const char *column,
							enum pgw_orphans orphans, struct pgw_fix_piece *p);

/* CREATE INDEX CONCURRENTLY IF NOT EXISTS on cols (non-tx). */
int			fix_composite_index(struct pgw_fixgen *g, const struct pgw_relation *rel,
								const char *const *cols, size_t ncols, struct pgw_fix_piece *p);

/* A new table: id, tenant column (with_tenant), columns "name:type",
 * timestamps, RLS and policies. */
int			fix_create_table(struct pgw_fixgen *g, const char *schema, const char *name,
							 bool with_tenant, const char *const *columns, size_t ncolumns,
							 struct pgw_fix_piece *p);

/* Appends a comment line (fmt starts with "-- " and ends with a line
 * break): any other line break, which a name from the catalog may hold and
 * which would turn the rest of the line into SQL, becomes a space. */
void		fix_comment(struct pgw_buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* "<table>_<middle>_<suffix>" within PostgreSQL's 63 bytes, the table part
 * shortened (caller frees): the names of generated indexes and
 * constraints. */
char	   *fix_object_name(const char *table, const char *middle, const char *suffix);

/* A managed table by name ("vehicles", "public.vehicles"), or NULL with
 * PGW_ERR_USAGE naming it. */
struct pgw_relation *fix_need_table(struct pgw_model *m, const char *arg);

/*
 * One requested fix: a generate action with its arguments, as a finding's
 * fix carries them (validate's, doctor's) or the command line gives them.
 * Strings are borrowed.
 */
struct pgw_fixreq
{
	const char *action;
	const char *table;
	const char *ref;			/* add-foreign-key: the referenced table */
	const char *column;			/* --column */
	const char *backfill;		/* --backfill-from */
	enum pgw_orphans orphans;
	const char *const *args;	/* every argument, for add-composite-index */
	size_t		nargs;
};

void		fix_request_from_args(struct pgw_fixreq *r, const char *action, const char *const *args,
								  size_t n);

/* The requests of a findings array (JSON, as findings_to_json writes it),
 * appended to *reqs; strings copied into arena. */
int			fix_requests_from_json(json_t *findings, struct pgw_arena *arena, struct pgw_fixreq **reqs,
								   size_t *n);

/*
 * Many fixes combined, as `generate fix ALL` and `doctor --fix` write
 * them: per table in model order, tenant isolation (which subsumes the
 * policy fix) or the policy fix; then foreign keys and composite indexes,
 * each once.  Transactional statements go to tx, the rest to nontx (ups
 * in request order, downs in reverse).  what: the fixes in words.
 */
struct pgw_fixset
{
	struct pgw_fix_piece tx;
	struct pgw_fix_piece nontx;
	struct pgw_buf what;
	/* per request of the last fix_combine: made (or covered by another
	 * fix of the same table), or refused with this reason (tolerant) */
	size_t		nreqs;
	bool	   *done;
	char	  **refused;
};

void		fix_set_init(struct pgw_fixset *s);
void		fix_set_release(struct pgw_fixset *s);

/* Adds the fixes of reqs to s.  A fix the data refuses (orphans, …) is an
 * error, or with tolerant a line in s->refused and the rest goes on. */
int			fix_combine(struct pgw_fixgen *g, const struct pgw_fixreq *reqs, size_t n, bool tolerant,
						struct pgw_fixset *s);

/* Prepends text to b (rollbacks grow at the front). */
void		fix_prepend(struct pgw_buf *b, const char *text);

#endif
