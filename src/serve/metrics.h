/*
 * metrics.h — serve's own view of the live database: a small pool of libpq
 * connections (reconnected when the server went away) and a sampler thread
 * that every N seconds records connections, cache hit ratio, TPS, the longest
 * running query and lock waits, keeps the last samples in memory and appends
 * each to a JSON-lines file.
 */
#ifndef PGW_SERVE_METRICS_H
#define PGW_SERVE_METRICS_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#define SERVE_POOL_MAX		4
#define SERVE_SAMPLES_MAX	720

struct serve_metrics;

/* Starts the pool (size 2..4, nothing connects yet) and the sampler thread.
 * file may be NULL (memory only).  Returns NULL with an error recorded. */
struct serve_metrics *metrics_start(const char *conninfo, int pool_size,
									int interval_s, const char *file);
void		metrics_stop(struct serve_metrics *m);

/* A connection from the pool, waiting at most wait_ms for a free one;
 * connects (again) when needed.  NULL: none free in time, or the database
 * does not answer (*why says which, static text). */
PGconn	   *metrics_acquire(struct serve_metrics *m, int wait_ms, const char **why);
/* Gives it back; broken connections are closed and re-made on next use. */
void		metrics_release(struct serve_metrics *m, PGconn *conn);

/* {"interval_s":N,"samples":[{"at":..,"up":..,"connections":..,...}]}
 * (caller owns). */
json_t	   *metrics_json(struct serve_metrics *m);

/* The newest sample (caller owns), or NULL when none was taken yet. */
json_t	   *metrics_latest(struct serve_metrics *m);

/* Live facts for the overview: server version, database size, connections
 * (caller owns), or NULL with *why set when the database does not answer. */
json_t	   *metrics_overview(struct serve_metrics *m, const char **why);

#endif
