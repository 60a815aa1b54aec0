/*
 * health.h — the live view of a running database: one report, in sections,
 * with an overall status.
 *
 * health_collect() runs one query per section (fixed text, thresholds as
 * parameters) in a READ ONLY transaction and fills:
 *   report   a JSON object, one key per section in display order, each an
 *            array of rows (objects whose keys are the columns, numbers as
 *            numbers; a key ending in "_bytes" is the raw value behind a
 *            human-readable neighbour and is left out of text tables);
 *   findings the reasons behind the status, as findings (rule ids
 *            health.connections, health.idle_in_transaction,
 *            health.blocking, health.long_query, health.cache_hit,
 *            health.xid_age, health.replication_slot, health.dead_rows,
 *            health.unused_index): error = critical, warning, info.
 * Sections: connections, blocking, long_queries, cache, unused_indexes,
 * tables, vacuum, replication_slots, statements (only when
 * pg_stat_statements is installed; its absence is noted in the report).
 * The session running the report is left out of every section.
 */
#ifndef PGW_HEALTH_H
#define PGW_HEALTH_H

#include <jansson.h>
#include <libpq-fe.h>

#include "check/finding.h"

struct pgw_health_opts
{
	int			long_query_s;	/* active longer than this: a long query */
	int			idle_tx_s;		/* idle in transaction longer than this */
	int			top;			/* rows in the top-N sections */
};

enum pgw_health_status
{
	PGW_HEALTH_OK,
	PGW_HEALTH_WARNING,
	PGW_HEALTH_CRITICAL
};

/* `pgwarden health`'s defaults for the options above */
#define PGW_HEALTH_LONG_QUERY_S	300
#define PGW_HEALTH_IDLE_TX_S	300
#define PGW_HEALTH_TOP			10

/*
 * One section's query: $1 long_query_s, $2 idle_tx_s, $3 top (int).
 * columns: its result as a RETURNS TABLE list, for the sections that
 * pgwarden.* functions return on their own (blocking, cache,
 * unused_indexes, tables); NULL for the others.
 */
struct pgw_health_section
{
	const char *name;
	const char *sql;
	const char *columns;
};

/* The sections in report order, ended by one whose name is NULL.  The
 * one text both health_collect() and the SQL functions of `maintain
 * --install-functions` run. */
const struct pgw_health_section *health_sections(void);

/* report: a new object (caller decrefs); findings appended to. */
int			health_collect(PGconn *conn, const struct pgw_health_opts *o, json_t **report,
						   struct pgw_findings *findings);

enum pgw_health_status health_status(const struct pgw_findings *findings);
const char *health_status_name(enum pgw_health_status s);

#endif
