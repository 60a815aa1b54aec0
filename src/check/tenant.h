/*
 * tenant.h — what the schema model says about tenancy, shared by validate,
 * rls test and generate.
 *
 * The tenant column is the config's (tenant_column, default tenant_id).  The
 * tenants table is the one most foreign keys on that column point at (ties:
 * canonical order), else a managed table named "tenants".  A table is
 * tenant-owned when it has the tenant column; it *should* be when it has no
 * tenant column but a foreign key to a tenant-owned table (its rows belong
 * to that parent's tenant) — the parent is then its backfill source.
 *
 * Policies: an expression isolates when it mentions the tenant column, the
 * tenant setting, auth.uid() or auth.jwt(); a constant "true" never does.
 *
 * Nothing here allocates beyond the model's arena or touches the database.
 */
#ifndef PGW_CHECK_TENANT_H
#define PGW_CHECK_TENANT_H

#include <stdbool.h>

#include "model/model.h"
#include "util/config.h"

struct pgw_tenancy
{
	const struct pgw_model *m;
	const struct pgw_config *cfg;
	const char *column;			/* the tenant column's name */
	const struct pgw_relation *tenants; /* the tenants table, or NULL */
	const char *tenants_key;	/* its referenced column ("id"), or NULL */
	const char *key_type;		/* that column's type ("uuid"), default uuid */
};

void		tenancy_init(struct pgw_tenancy *t, const struct pgw_model *m,
						 const struct pgw_config *cfg);

/* A table of a managed schema (plain or partitioned; not a partition). */
bool		tenancy_is_managed_table(const struct pgw_relation *rel);

/* The relation schema.name (schema NULL: the first managed match), or NULL. */
struct pgw_relation *tenancy_find_relation(const struct pgw_model *m, const char *schema,
										   const char *name);

/* Resolves a table argument: "name" (managed schemas first) or "schema.name". */
struct pgw_relation *tenancy_resolve_table(const struct pgw_model *m, const char *arg);

/* How a table is named in fix arguments and messages: "name" in public,
 * else "schema.name" (arena string of m). */
const char *tenancy_table_arg(const struct pgw_model *m, const struct pgw_relation *rel);

bool		tenancy_has_column(const struct pgw_tenancy *t, const struct pgw_relation *rel);

/* For a table without the tenant column: its foreign key (single column) to
 * a tenant-owned managed table, NOT NULL columns first; NULL when none. */
const struct pgw_constraint *tenancy_parent_fk(const struct pgw_tenancy *t,
											   const struct pgw_relation *rel);

/* For a table with the tenant column: a single-column foreign key to another
 * tenant-owned table through which NULL tenant ids can be backfilled. */
const struct pgw_constraint *tenancy_backfill_fk(const struct pgw_tenancy *t,
												 const struct pgw_relation *rel);

/* Whether expr (pg_get_expr text; NULL: no) isolates tenants of rel. */
bool		tenancy_expr_isolates(const struct pgw_tenancy *t, const char *expr);

/* Whether expr is the constant true. */
bool		tenancy_expr_is_true(const char *expr);

/* Why a policy does not isolate (static text), or NULL when it does. */
const char *tenancy_policy_weakness(const struct pgw_tenancy *t, const struct pgw_relation *rel,
									const struct pgw_policy *p);

/* The single-column primary key's column, or NULL. */
const char *tenancy_single_pk(const struct pgw_relation *rel);

/* Whether expr (pg_get_expr text) can never be true for the anon role:
 * auth.uid() is NULL there, auth.role() 'anon', and auth.jwt() has no
 * claim but role, iss, ref, iat, exp.  False when unsure or unparsable. */
bool		tenancy_expr_never_for_anon(const char *expr);

/* Whether rel has an owner column: user_id, owner_id, owner, created_by,
 * author_id, or a foreign key to auth.users. */
bool		tenancy_owner_column(const struct pgw_relation *rel);

/* Whether column col is covered by a foreign key as its only column. */
const struct pgw_constraint *tenancy_column_fk(const struct pgw_relation *rel, const char *col);

/* For a "*_id" column without a foreign key: the managed table its name
 * names whose single-column primary key has the same type; NULL otherwise. */
struct pgw_relation *tenancy_guess_reference(const struct pgw_model *m,
											 const struct pgw_relation *rel,
											 const struct pgw_column *col);

/* "SELECT", "INSERT", ... for a policy command letter. */
const char *tenancy_policy_command(char cmd);

/*
 * A table or column the user named that is not there: records a usage
 * error (exit 2) whose detail lists what there is (the managed tables; the
 * table's columns) and whose hint names the nearest ("did you mean
 * 'vehicles'?").  One place, so every command that takes a table or a
 * column name answers a typo the same way.  Return -1.
 */
int			tenancy_unknown_table(const struct pgw_model *m, const char *arg);
int			tenancy_unknown_column(const struct pgw_relation *rel, const char *column);

#endif
