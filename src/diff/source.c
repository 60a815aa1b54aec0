/*
 * source.c — reading the sides of a diff (see source.h): snapshots, live
 * databases (concurrently, one thread per side), and folders of SQL loaded
 * into a sandbox first.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff/source.h"
#include "migrate/runner.h"
#include "model/snapshot.h"
#include "sql/file.h"
#include "sql/script.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

static bool
is_conninfo(const char *spec)
{
	return strncmp(spec, "postgres://", 11) == 0 || strncmp(spec, "postgresql://", 13) == 0 ||
		strchr(spec, '=') != NULL;
}

static void
set_target(struct pgw_target *t, enum pgw_target_kind kind, const char *source, const char *conninfo)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->source = pgw_strdup(source);
	t->conninfo = pgw_strdup(conninfo);
	t->display = conninfo_display(conninfo);
}

int
diff_source_parse(const struct pgw_config *cfg, const char *spec, struct pgw_diff_source *s)
{
	memset(s, 0, sizeof(*s));
	model_init(&s->model);
	s->spec = pgw_strdup(spec);
	if (!*spec)
		return pgw_error(PGW_ERR_USAGE, "an empty schema source");
	if (strncmp(spec, "sql:", 4) == 0)
	{
		s->kind = PGW_SOURCE_SQL;
		s->path = pgw_strdup(spec + 4);
		s->display = pgw_strdup(spec);
		if (!fs_exists(s->path))
			return pgw_error(PGW_ERR_INPUT, "no such file or folder '%s'", s->path);
		return 0;
	}
	if (strncmp(spec, "env:", 4) == 0)
	{
		const struct pgw_env *env = config_find_env(cfg, spec + 4);
		char	   *conninfo;
		char	   *source;

		if (!env)
		{
			pgw_error(PGW_ERR_INPUT, "no environment named '%s'", spec + 4);
			pgw_error_hint("add a section [env %s] with url = ${VARIABLE} to pgwarden.conf", spec + 4);
			return -1;
		}
		if (config_env_conninfo(cfg, env, &conninfo) != 0)
			return -1;
		source = pgw_asprintf("env %s", spec + 4);
		set_target(&s->target, PGW_TARGET_ENV, source, conninfo);
		s->target.env_name = pgw_strdup(spec + 4);
		free(source);
		free(conninfo);
		s->kind = PGW_SOURCE_LIVE;
		s->has_target = true;
		s->display = pgw_strdup(s->target.display);
		return 0;
	}
	if (strcmp(spec, "local") == 0)
	{
		struct pgw_cluster c;

		local_open(cfg, NULL, &c);
		memset(&s->target, 0, sizeof(s->target));
		s->target.kind = PGW_TARGET_LOCAL;
		s->target.source = pgw_strdup("local cluster");
		s->target.conninfo = local_conninfo(&c);
		s->target.display = c.port ? local_url_display(&c) : pgw_strdup("(local cluster, not created yet)");
		s->target.local_dir = pgw_strdup(c.dir);
		local_close(&c);
		s->kind = PGW_SOURCE_LIVE;
		s->has_target = true;
		s->display = pgw_strdup("local");
		return 0;
	}
	if (is_conninfo(spec))
	{
		set_target(&s->target, PGW_TARGET_URL, "argument", spec);
		s->kind = PGW_SOURCE_LIVE;
		s->has_target = true;
		s->display = pgw_strdup(s->target.display);
		return 0;
	}
	s->kind = PGW_SOURCE_SNAPSHOT;
	s->path = pgw_strdup(spec);
	s->display = pgw_strdup(spec);
	if (!fs_exists(spec))
	{
		pgw_error(PGW_ERR_INPUT, "no such snapshot file '%s'", spec);
		pgw_error_hint("name a database (postgresql://…, env:NAME, local), a snapshot file, or sql:PATH");
		return -1;
	}
	return 0;
}

void
diff_source_release(struct pgw_diff_source *s)
{
	if (s->has_sandbox)
		sandbox_stop(&s->sandbox);
	if (s->has_target)
		target_release(&s->target);
	model_release(&s->model);
	free(s->spec);
	free(s->display);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

static bool
schema_matches(const struct pgw_strlist *include, const char *schema)
{
	for (size_t i = 0; i < include->n; i++)
		if (catalog_pattern_match(include->items[i], schema))
			return true;
	return false;
}

void
diff_mark_managed(struct pgw_model *m, const struct pgw_strlist *include)
{
	struct pgw_vec *lists[] = {&m->schemas, &m->extensions, &m->types, &m->sequences, &m->relations, &m->functions};

	if (!include || include->n == 0)
		return;
	for (size_t l = 0; l < 6; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
		{
			struct pgw_object *o = lists[l]->items[i];

			o->managed = schema_matches(include, l == 0 ? o->name : o->schema);
		}
}

/* The .sql files of path (itself when a file), in name order, leaving out
 * a migrations folder's *_rollback.sql (the way back is not part of the
 * schema).  Caller releases the list. */
static int
sql_files(const char *path, struct pgw_strlist *out)
{
	struct pgw_strlist all = {0};

	if (!fs_is_dir(path))
	{
		strlist_add(out, path);
		return 0;
	}
	if (fs_list_files(path, ".sql", &all) != 0)
		return -1;
	for (size_t i = 0; i < all.n; i++)
		if (!text_ends_with(all.items[i], "_rollback.sql"))
			strlist_add(out, all.items[i]);
	strlist_release(&all);
	return 0;
}

/* Runs one file statement by statement (so CONCURRENTLY and the like work). */
static int
apply_file(PGconn *conn, const char *path, const struct pgw_config *cfg)
{
	struct pgw_sql_file f;
	struct pgw_plan p;
	struct pgw_runner r;
	struct pgw_step st;
	int			rc = -1;

	if (sqlfile_read(path, &f) != 0)
		return -1;
	/* as migrate runs a file: its modes, COPY, positions in errors */
	memset(&p, 0, sizeof(p));
	if (runner_plan_file(&p, &f) == 0 && runner_open(&r, conn, NULL, cfg, 0, false) == 0)
	{
		rc = runner_run(&r, &p, &st);
		runner_close(&r);
	}
	if (rc != 0)
	{
		pgw_error_prefix("cannot load '%s' into the sandbox", path);
		pgw_error_set_kind(PGW_ERR_INPUT);
	}
	runner_plan_release(&p);
	sqlfile_release(&f);
	return rc;
}

/* Starts a sandbox for an sql: side and loads its files. */
static int
load_sql_side(struct pgw_diff_source *s, const struct pgw_config *cfg)
{
	struct pgw_strlist files = {0};
	PGconn	   *conn;
	int			rc = 0;

	if (sql_files(s->path, &files) != 0)
		return -1;
	if (sandbox_start(&s->sandbox, cfg->local_bindir, cfg->local_user, cfg->local_supabase) != 0)
	{
		strlist_release(&files);
		return -1;
	}
	s->has_sandbox = true;
	set_target(&s->target, PGW_TARGET_URL, "sandbox", s->sandbox.conninfo);
	s->has_target = true;
	if (db_connect(&s->target, &conn) != 0)
	{
		strlist_release(&files);
		return -1;
	}
	for (size_t i = 0; i < files.n && rc == 0; i++)
		rc = apply_file(conn, files.items[i], cfg);
	PQfinish(conn);
	strlist_release(&files);
	return rc;
}

struct reader_job
{
	struct pgw_diff_source *side;
	PGconn	   *conns[PGW_CATALOG_MAX_JOBS];
	int			nconns;
	struct pgw_catalog_opts copts;
	int			rc;
	struct pgw_err err;			/* the thread's error, handed back */
};

static void *
reader_main(void *arg)
{
	struct reader_job *j = arg;
	double		t0 = (double) pgw_now_ms();

	j->rc = catalog_read(j->conns, j->nconns, &j->copts, &j->side->model, NULL);
	j->side->read_ms = (double) pgw_now_ms() - t0;
	if (j->rc != 0)
		pgw_error_save(&j->err);
	return NULL;
}

static void *
snapshot_main(void *arg)
{
	struct reader_job *j = arg;
	double		t0 = (double) pgw_now_ms();

	j->rc = snapshot_read_file(j->side->path, &j->side->model, NULL);
	j->side->read_ms = (double) pgw_now_ms() - t0;
	if (j->rc != 0)
		pgw_error_save(&j->err);
	return NULL;
}

int
diff_sources_read(struct pgw_diff_source **sides, int n, const struct pgw_config *cfg,
				  const struct pgw_strlist *include, int jobs)
{
	struct reader_job rj[4];
	pthread_t	th[4];
	bool		started[4] = {false};
	struct pgw_strlist exclude = {0};
	struct pgw_catalog_opts copts = {0};
	int			rc = 0;

	if (n > 4)
		n = 4;
	memset(rj, 0, sizeof(rj));
	copts.stable = true;
	copts.include = include;
	copts.exclude = &exclude;
	copts.managed = &cfg->schemas;
	copts.tenant_column = cfg->tenant_column;

	/* snapshot files at the same time, one thread each (a 5,000-table
	 * snapshot takes a few hundred milliseconds to parse) */
	for (int i = 0; i < n; i++)
		if (sides[i]->kind == PGW_SOURCE_SNAPSHOT)
		{
			rj[i].side = sides[i];
			if (pthread_create(&th[i], NULL, snapshot_main, &rj[i]) == 0)
				started[i] = true;
			else
				snapshot_main(&rj[i]);
		}
	for (int i = 0; i < n; i++)
	{
		struct pgw_diff_source *s = sides[i];

		if (s->kind != PGW_SOURCE_SNAPSHOT)
			continue;
		if (started[i])
			pthread_join(th[i], NULL);
		started[i] = false;
		if (rj[i].rc != 0 && rc == 0)
		{
			pgw_error_restore(&rj[i].err);
			pgw_error_prefix("%s", s->display);
			rc = -1;
		}
		pgw_err_release(&rj[i].err);
		memset(&rj[i], 0, sizeof(rj[i]));
		if (rc == 0 && include && include->n)
			diff_mark_managed(&s->model, include);
	}
	/* sandboxes, from this thread */
	for (int i = 0; i < n && rc == 0; i++)
	{
		struct pgw_diff_source *s = sides[i];

		if (s->kind == PGW_SOURCE_SQL)
			rc = load_sql_side(s, cfg);
		if (rc != 0)
			pgw_error_prefix("%s", s->display);
	}
	/* connections, from this thread too (messages, secrets) */
	for (int i = 0; i < n && rc == 0; i++)
	{
		struct pgw_diff_source *s = sides[i];
		int			want;

		if (s->kind == PGW_SOURCE_SNAPSHOT)
			continue;
		rj[i].side = s;
		rj[i].copts = copts;
		/* a live target only: a sandbox is thrown away */
		rj[i].copts.cache_dir = s->kind == PGW_SOURCE_LIVE ? s->cache_dir : NULL;
		if (db_connect(&s->target, &rj[i].conns[0]) != 0)
		{
			pgw_error_prefix("%s", s->display);
			rc = -1;
			break;
		}
		/* jobs 0: up to 2, the second for a large catalog */
		want = jobs ? jobs : catalog_jobs_for(rj[i].conns[0], 2);
		for (rj[i].nconns = 1; rj[i].nconns < want; rj[i].nconns++)
			if (db_connect(&s->target, &rj[i].conns[rj[i].nconns]) != 0)
			{
				pgw_error_clear();
				break;
			}
	}
	for (int i = 0; i < n && rc == 0; i++)
		if (rj[i].side)
		{
			if (pthread_create(&th[i], NULL, reader_main, &rj[i]) == 0)
				started[i] = true;
			else
				reader_main(&rj[i]);
		}
	for (int i = 0; i < n; i++)
	{
		if (started[i])
			pthread_join(th[i], NULL);
		for (int k = 0; k < rj[i].nconns; k++)
			PQfinish(rj[i].conns[k]);
		if (rj[i].side && rj[i].rc != 0 && rc == 0)
		{
			pgw_error_restore(&rj[i].err);
			pgw_error_prefix("%s", rj[i].side->display);
			rc = -1;
		}
		pgw_err_release(&rj[i].err);
	}
	/* the sandboxes are done with (stopping one clears the recorded error:
	 * keep it) */
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		for (int i = 0; i < n; i++)
			if (sides[i]->has_sandbox)
			{
				sandbox_stop(&sides[i]->sandbox);
				sides[i]->has_sandbox = false;
			}
		if (rc != 0)
			pgw_error_restore(&saved);
		pgw_err_release(&saved);
	}
	return rc;
}
