/*
 * doctor.h — the doctor's own checks: performance and security problems
 * read from the schema model, and the ones only the statistics views show.
 *
 * doctor_check_model() needs nothing but a model (catalog_read, or a
 * snapshot); doctor_check_stats() runs a fixed number of queries over the
 * statistics views (pg_stat_user_indexes, pg_stat_user_tables, pg_statio_*,
 * pg_sequences, pg_class.relfrozenxid) in a READ ONLY transaction.  Both
 * append findings (check/finding.h) with the rule ids of docs/doctor.md:
 *
 *   index.unindexed_fk  index.duplicate  index.unused  index.invalid
 *   table.no_primary_key  table.seq_scan_heavy  table.bloat  table.large
 *   db.cache_hit_ratio  vacuum.xid_age  sequence.exhaustion
 *   security.definer_search_path  security.exec_sql  security.definer_view
 *   security.exposed_auth_users  security.extension_in_public
 *   security.public_execute  security.rls_policy_initplan
 *
 * Only managed objects are judged (the config's schemas; an exposed schema
 * counts as managed for the security rules).  A finding that pgwarden can
 * fix carries fix.sql (and fix.action when a `generate` action does it).
 */
#ifndef PGW_DOCTOR_H
#define PGW_DOCTOR_H

#include <libpq-fe.h>

#include "check/finding.h"
#include "model/model.h"
#include "util/config.h"

void		doctor_check_model(const struct pgw_model *m, const struct pgw_config *cfg,
							   struct pgw_findings *out);
/* How old the statistics are, and whether that was too young to judge. */
struct pgw_stats_age
{
	long long	age_s;			/* seconds since the counters started */
	char		since[40];		/* that moment, as the server prints it */
	bool		since_reset;	/* a stats reset, not the server's start */
	bool		unused_skipped; /* younger than stats_min_age: no index.unused */
};

/* "9 days", "5 hours", "12 minutes", "40 seconds" into b (reset first). */
void		doctor_age_text(struct pgw_buf *b, long long secs);

/* age: filled when not NULL. */
int			doctor_check_stats(PGconn *conn, const struct pgw_config *cfg,
							   struct pgw_findings *out, struct pgw_stats_age *age);

/* critical / high / medium / recommendation: how the doctor ranks a
 * finding (error on a critical rule, error, warning, info). */
const char *doctor_rank(const struct pgw_finding *f);

#endif
