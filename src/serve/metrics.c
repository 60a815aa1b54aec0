/*
 * metrics.c — the connection pool and the health sampler of `pgwarden
 * serve` (metrics.h).  The pool hands out at most pool_size connections;
 * a connection whose status is bad when it comes back is closed, and the
 * next caller connects again, so the server recovers by itself after the
 * database restarts.  The sampler holds one pool connection per round.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/metrics.h"
#include "util/error.h"
#include "util/mem.h"

struct serve_metrics
{
	char	   *conninfo;
	int			pool_size;
	PGconn	   *conns[SERVE_POOL_MAX];
	bool		busy[SERVE_POOL_MAX];
	pthread_mutex_t lock;
	pthread_cond_t freed;

	int			interval_s;
	char	   *file;
	pthread_t	thread;
	bool		running;
	bool		stopping;
	pthread_cond_t wake;

	json_t	   *samples[SERVE_SAMPLES_MAX];	/* ring */
	size_t		nsamples;
	size_t		head;			/* index of the oldest */
	double		last_xacts;
	double		last_t;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L)
	{
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

PGconn *
metrics_acquire(struct serve_metrics *m, int wait_ms, const char **why)
{
	struct timespec until;
	int			slot = -1,
				i;
	PGconn	   *c;

	deadline_after(&until, wait_ms);
	pthread_mutex_lock(&m->lock);
	for (;;)
	{
		for (i = 0; i < m->pool_size; i++)
			if (!m->busy[i])
			{
				slot = i;
				break;
			}
		if (slot >= 0)
			break;
		if (pthread_cond_timedwait(&m->freed, &m->lock, &until) == ETIMEDOUT)
		{
			pthread_mutex_unlock(&m->lock);
			*why = "every pooled connection is busy";
			return NULL;
		}
	}
	m->busy[slot] = true;
	c = m->conns[slot];
	m->conns[slot] = NULL;
	pthread_mutex_unlock(&m->lock);

	if (c && PQstatus(c) != CONNECTION_OK)
	{
		PQfinish(c);
		c = NULL;
	}
	if (!c)
	{
		c = PQconnectdb(m->conninfo);
		if (PQstatus(c) != CONNECTION_OK)
		{
			PQfinish(c);
			c = NULL;
			*why = "cannot connect to the database";
		}
		else
		{
			PGresult   *r = PQexec(c, "SET application_name = 'pgwarden serve'; "
								   "SET statement_timeout = '10s'; SET lock_timeout = '2s'");

			PQclear(r);
		}
	}
	if (!c)
	{
		pthread_mutex_lock(&m->lock);
		m->busy[slot] = false;
		pthread_cond_signal(&m->freed);
		pthread_mutex_unlock(&m->lock);
		return NULL;
	}
	/* remember the slot in the connection's place: the first NULL busy slot */
	return c;
}

void
metrics_release(struct serve_metrics *m, PGconn *conn)
{
	int			i;

	if (conn && PQstatus(conn) != CONNECTION_OK)
	{
		PQfinish(conn);
		conn = NULL;
	}
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->pool_size; i++)
		if (m->busy[i] && !m->conns[i])
		{
			m->busy[i] = false;
			m->conns[i] = conn;
			break;
		}
	pthread_cond_signal(&m->freed);
	pthread_mutex_unlock(&m->lock);
}

static const char *SAMPLE_SQL =
"SELECT (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = current_database()),"
" (SELECT round((100.0 * sum(blks_hit) / nullif(sum(blks_hit) + sum(blks_read), 0))::numeric, 2)"
"    FROM pg_catalog.pg_stat_database WHERE datname = current_database()),"
" (SELECT xact_commit + xact_rollback FROM pg_catalog.pg_stat_database WHERE datname = current_database()),"
" (SELECT coalesce(round(max(extract(epoch FROM now() - query_start))::numeric, 3), 0)"
"    FROM pg_catalog.pg_stat_activity WHERE state NOT IN ('idle') AND pid <> pg_backend_pid()"
"    AND datname = current_database()),"
" (SELECT count(*) FROM pg_catalog.pg_locks WHERE NOT granted)";

static void
record(struct serve_metrics *m, json_t *s)
{
	char	   *line;

	if (m->file && (line = json_dumps(s, JSON_COMPACT)))
	{
		FILE	   *f = fopen(m->file, "a");

		if (f)
		{
			fprintf(f, "%s\n", line);
			fclose(f);
		}
		free(line);
	}
	pthread_mutex_lock(&m->lock);
	if (m->nsamples == SERVE_SAMPLES_MAX)
	{
		json_decref(m->samples[m->head]);
		m->samples[m->head] = s;
		m->head = (m->head + 1) % SERVE_SAMPLES_MAX;
	}
	else
		m->samples[(m->head + m->nsamples++) % SERVE_SAMPLES_MAX] = s;
	pthread_mutex_unlock(&m->lock);
}

static void
sample_once(struct serve_metrics *m)
{
	const char *why = NULL;
	PGconn	   *c = metrics_acquire(m, 2000, &why);
	json_t	   *s = json_object();
	char		at[32];
	time_t		t = time(NULL);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(s, "at", json_string(at));
	if (c)
	{
		PGresult   *r = PQexec(c, SAMPLE_SQL);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		{
			double		xacts = atof(PQgetvalue(r, 0, 2));
			double		tnow = now_s();

			json_object_set_new(s, "up", json_true());
			json_object_set_new(s, "connections", json_integer(atoll(PQgetvalue(r, 0, 0))));
			json_object_set_new(s, "cache_hit_pct", PQgetisnull(r, 0, 1) ? json_null()
								: json_real(atof(PQgetvalue(r, 0, 1))));
			json_object_set_new(s, "tps", m->last_t > 0 && tnow > m->last_t && xacts >= m->last_xacts
								? json_real((double) ((long long) ((xacts - m->last_xacts) / (tnow - m->last_t) * 100)) / 100)
								: json_null());
			json_object_set_new(s, "longest_query_s", json_real(atof(PQgetvalue(r, 0, 3))));
			json_object_set_new(s, "lock_waits", json_integer(atoll(PQgetvalue(r, 0, 4))));
			m->last_xacts = xacts;
			m->last_t = tnow;
		}
		else
		{
			json_object_set_new(s, "up", json_false());
			json_object_set_new(s, "error", json_string(PQerrorMessage(c)));
		}
		PQclear(r);
		metrics_release(m, c);
	}
	else
	{
		json_object_set_new(s, "up", json_false());
		json_object_set_new(s, "error", json_string(why));
		m->last_t = 0;
	}
	record(m, s);
}

static void *
sampler(void *arg)
{
	struct serve_metrics *m = arg;

	for (;;)
	{
		struct timespec until;

		sample_once(m);
		deadline_after(&until, m->interval_s * 1000);
		pthread_mutex_lock(&m->lock);
		while (!m->stopping &&
			   pthread_cond_timedwait(&m->wake, &m->lock, &until) != ETIMEDOUT)
			;
		if (m->stopping)
		{
			pthread_mutex_unlock(&m->lock);
			break;
		}
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

struct serve_metrics *
metrics_start(const char *conninfo, int pool_size, int interval_s, const char *file)
{
	struct serve_metrics *m = pgw_calloc(1, sizeof *m);

	m->conninfo = pgw_strdup(conninfo);
	m->pool_size = pool_size < 2 ? 2 : pool_size > SERVE_POOL_MAX ? SERVE_POOL_MAX : pool_size;
	m->interval_s = interval_s < 1 ? 1 : interval_s;
	m->file = file ? pgw_strdup(file) : NULL;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->freed, NULL);
	pthread_cond_init(&m->wake, NULL);
	if (pthread_create(&m->thread, NULL, sampler, m) != 0)
	{
		pgw_error(PGW_ERR_INTERNAL, "cannot start the metrics sampler thread");
		metrics_stop(m);
		return NULL;
	}
	m->running = true;
	return m;
}

void
metrics_stop(struct serve_metrics *m)
{
	size_t		i;
	int			j;

	if (!m)
		return;
	if (m->running)
	{
		pthread_mutex_lock(&m->lock);
		m->stopping = true;
		pthread_cond_broadcast(&m->wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	for (j = 0; j < SERVE_POOL_MAX; j++)
		if (m->conns[j])
			PQfinish(m->conns[j]);
	for (i = 0; i < m->nsamples; i++)
		json_decref(m->samples[(m->head + i) % SERVE_SAMPLES_MAX]);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->freed);
	pthread_cond_destroy(&m->wake);
	free(m->conninfo);
	free(m->file);
	free(m);
}

json_t *
metrics_json(struct serve_metrics *m)
{
	json_t	   *arr = json_array();
	size_t		i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nsamples; i++)
		json_array_append(arr, m->samples[(m->head + i) % SERVE_SAMPLES_MAX]);
	pthread_mutex_unlock(&m->lock);
	return json_pack("{s:i,s:i,s:o}", "interval_s", m->interval_s,
					 "pool_size", m->pool_size, "samples", arr);
}

json_t *
metrics_latest(struct serve_metrics *m)
{
	json_t	   *s = NULL;

	pthread_mutex_lock(&m->lock);
	if (m->nsamples)
		s = json_deep_copy(m->samples[(m->head + m->nsamples - 1) % SERVE_SAMPLES_MAX]);
	pthread_mutex_unlock(&m->lock);
	return s;
}

json_t *
metrics_overview(struct serve_metrics *m, const char **why)
{
	PGconn	   *c = metrics_acquire(m, 5000, why);
	PGresult   *r;
	json_t	   *o = NULL;

	if (!c)
		return NULL;
	r = PQexec(c, "SELECT current_setting('server_version'), current_database(),"
			   " pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(current_database())),"
			   " pg_catalog.pg_database_size(current_database()),"
			   " (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE datname = current_database()),"
			   " current_setting('max_connections')::int,"
			   " (SELECT round((100.0 * blks_hit / nullif(blks_hit + blks_read, 0))::numeric, 2)"
			   "    FROM pg_catalog.pg_stat_database WHERE datname = current_database())");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:o}",
					  "server_version", PQgetvalue(r, 0, 0),
					  "database", PQgetvalue(r, 0, 1),
					  "size", PQgetvalue(r, 0, 2),
					  "size_bytes", (json_int_t) atoll(PQgetvalue(r, 0, 3)),
					  "connections", (json_int_t) atoll(PQgetvalue(r, 0, 4)),
					  "max_connections", (json_int_t) atoll(PQgetvalue(r, 0, 5)),
					  "cache_hit_pct", PQgetisnull(r, 0, 6) ? json_null()
					  : json_real(atof(PQgetvalue(r, 0, 6))));
	else
		*why = "the database did not answer";
	PQclear(r);
	metrics_release(m, c);
	return o;
}
