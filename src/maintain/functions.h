/*
 * functions.h — the SQL of `pgwarden maintain --install-functions`: a
 * migration that puts health's figures and the retention rules into the
 * database as functions in the pgwarden schema, for teams that call them
 * from SQL or pg_cron, and its rollback.
 *
 * What the migration creates (docs/maintain.md):
 *   pgwarden.health_check(), blocking_locks(), cache_hit_ratio(),
 *   unused_indexes(), table_bloat()   LANGUAGE sql, bodies = the text of
 *                                      health's sections (check/health.h),
 *                                      so the numbers are health's;
 *   pgwarden.retention_rules           the [retention] rules of the config;
 *   pgwarden.run_retention()           the batches of maintain/maintain.c,
 *                                      in PL/pgSQL;
 *   pgwarden.functions_install         which monitoring role, and whether
 *                                      this migration created it;
 *   the monitoring role ([maintain] monitor_role), NOLOGIN and a member
 *   of pg_monitor, created only when missing.
 * Every function is SECURITY INVOKER with search_path fixed to
 * pg_catalog, pg_temp; EXECUTE is revoked from PUBLIC and granted to the
 * monitoring role only.
 *
 * The rollback drops the functions and tables, drops the role only when
 * this migration created it and nothing else (a grant, an owned object,
 * a member, in any database) needs it, and drops the schema only when it
 * is left empty (under `migrate`, it holds pgwarden.schema_migrations and
 * stays).
 *
 * Nothing here touches a database: the text is built from the config
 * alone, identifiers through sql/quote.h, values as literals.
 */
#ifndef PGW_MAINTAIN_FUNCTIONS_H
#define PGW_MAINTAIN_FUNCTIONS_H

#include "util/config.h"
#include "util/mem.h"

/* Appends the forward migration to up and its rollback to down. */
void		maintain_functions_sql(const struct pgw_config *cfg, struct pgw_buf *up, struct pgw_buf *down);

/* The SQL a pg_cron job runs for one rule: SELECT … run_retention('rule'). */
char	   *maintain_functions_cron_command(const char *rule);

#endif
