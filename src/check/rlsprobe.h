/*
 * rlsprobe.h — `pgwarden rls test`: proves tenant isolation by trying to
 * break it, as the application's role with one tenant's context, on every
 * tenant-owned table.
 *
 * Everything runs in ONE transaction that is always rolled back: probe
 * rows, the role switch (SET LOCAL ROLE), the tenant context
 * (set_config(tenant_setting, A, true) and, on Supabase, request.jwt.claims
 * with sub = a member of A).  Each probe runs under a savepoint and is
 * rolled back to it, so one failing probe does not end the transaction.
 * Probes per table, against tenant B's rows:
 *   SELECT  count(*) WHERE tenant = B        > 0: leaks
 *   UPDATE  SET tenant = tenant WHERE = B    rows changed: leaks
 *   DELETE  WHERE tenant = B                 rows deleted: leaks
 *   INSERT  a copy of an existing row with tenant B: accepted: leaks
 * A permission error or "new row violates row-level security" is isolation;
 * any other error makes the probe inconclusive.  When a table has no row of
 * B, one is inserted first (as the connecting role, a copy of an existing
 * row with B's id, defaults regenerated).
 */
#ifndef PGW_CHECK_RLSPROBE_H
#define PGW_CHECK_RLSPROBE_H

#include <libpq-fe.h>

#include "model/model.h"
#include "util/config.h"

enum pgw_probe_outcome
{
	PGW_PROBE_ISOLATED,
	PGW_PROBE_LEAKS,
	PGW_PROBE_INCONCLUSIVE,
	PGW_PROBE_SKIPPED
};

#define PGW_PROBE_NOPS 4		/* SELECT UPDATE DELETE INSERT */

struct pgw_probe_op
{
	enum pgw_probe_outcome outcome;
	char	   *detail;			/* why, for the report (may be NULL) */
};

struct pgw_probe_table
{
	char	   *table;
	bool		probe_row;		/* B's row was inserted for the test */
	struct pgw_probe_op ops[PGW_PROBE_NOPS];
};

struct pgw_rls_report
{
	char	   *role;
	char	   *tenant_a;
	char	   *tenant_b;
	char	   *user_a;			/* Supabase: the sub used, or NULL */
	struct pgw_probe_table *tables;
	size_t		n;
	int			leaks;
	int			inconclusive;
};

extern const char *const pgw_probe_op_names[PGW_PROBE_NOPS];
const char *probe_outcome_name(enum pgw_probe_outcome o);

/*
 * Probes every tenant-owned table of m (only: one table, or NULL).  0 with
 * rep filled (caller releases), or -1 with an error recorded: PGW_ERR_INPUT
 * when there are not two tenants or the role does not exist,
 * PGW_ERR_CONNECT when a query fails outside a probe.  The transaction is
 * rolled back in every case.
 */
int			rls_probe_run(PGconn *conn, struct pgw_model *m, const struct pgw_config *cfg,
						  const char *only, struct pgw_rls_report *rep);
void		rls_report_release(struct pgw_rls_report *rep);

#endif
