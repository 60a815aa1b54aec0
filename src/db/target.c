/*
 * target.c — target resolution and connecting (see target.h).
 */
#include <stdlib.h>
#include <string.h>

#include "db/local.h"
#include "db/target.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/redact.h"

const char *
target_kind_name(enum pgw_target_kind kind)
{
	switch (kind)
	{
		case PGW_TARGET_URL:
			return "url";
		case PGW_TARGET_ENV:
			return "env";
		case PGW_TARGET_LIBPQ_ENV:
			return "libpq-env";
		case PGW_TARGET_LOCAL:
			break;
	}
	return "local";
}

char *
conninfo_display(const char *conninfo)
{
	char	   *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
	PQconninfoOption *o;
	const char *user = NULL,
			   *host = NULL,
			   *hostaddr = NULL,
			   *port = NULL,
			   *dbname = NULL,
			   *service = NULL;
	struct pgw_buf b;

	if (!opts)
	{
		/* malformed: show it masked, as given */
		PQfreemem(errmsg);
		return redact_conninfo(conninfo);
	}
	for (o = opts; o->keyword; o++)
	{
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "password"))
			redact_add_secret(o->val);
		else if (!strcmp(o->keyword, "user"))
			user = o->val;
		else if (!strcmp(o->keyword, "host"))
			host = o->val;
		else if (!strcmp(o->keyword, "hostaddr"))
			hostaddr = o->val;
		else if (!strcmp(o->keyword, "port"))
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			dbname = o->val;
		else if (!strcmp(o->keyword, "service"))
			service = o->val;
	}
	if (!user)
		user = getenv("PGUSER");
	if (!host && !hostaddr)
		host = getenv("PGHOST");
	if (!port)
		port = getenv("PGPORT");
	if (!dbname)
		dbname = getenv("PGDATABASE");
	buf_init(&b);
	buf_append(&b, "postgresql://");
	if (user)
		buf_printf(&b, "%s@", user);
	if (host && host[0] == '/')
		;						/* socket: shown as a parameter below */
	else if (host)
		buf_append(&b, host);
	else if (hostaddr)
		buf_append(&b, hostaddr);
	if (port && !(host && host[0] == '/'))
		buf_printf(&b, ":%s", port);
	buf_printf(&b, "/%s", dbname ? dbname : (user ? user : ""));
	if (host && host[0] == '/')
		buf_printf(&b, "?host=%s%s%s", host, port ? "&port=" : "", port ? port : "");
	if (service)
		buf_printf(&b, "%sservice=%s", strchr(b.data, '?') ? "&" : "?", service);
	PQconninfoFree(opts);
	return buf_steal(&b);
}

static void
fill(struct pgw_target *t, enum pgw_target_kind kind, const char *source, const char *conninfo)
{
	t->kind = kind;
	t->source = pgw_strdup(source);
	t->conninfo = pgw_strdup(conninfo);
	t->display = conninfo_display(conninfo);
}

int
target_resolve(const struct pgw_config *cfg, const char *db_opt,
			   const char *env_opt, struct pgw_target *t)
{
	const char *env_url = getenv("DATABASE_URL");
	const char *pgpass = getenv("PGPASSWORD");

	memset(t, 0, sizeof(*t));
	if (pgpass)
		redact_add_secret(pgpass);

	if (db_opt)
	{
		if (!*db_opt)
			return pgw_error(PGW_ERR_USAGE, "--db is empty");
		fill(t, PGW_TARGET_URL, "--db", db_opt);
		return 0;
	}
	if (env_url && *env_url)
	{
		if (env_opt)
		{
			char	   *shown = redact_conninfo(env_url);

			pgw_error(PGW_ERR_USAGE, "both DATABASE_URL and --env %s name a database", env_opt);
			pgw_error_detail("DATABASE_URL=%s would take precedence over --env", shown);
			pgw_error_hint("unset DATABASE_URL to use [env %s], or pass the database with --db", env_opt);
			free(shown);
			return -1;
		}
		fill(t, PGW_TARGET_URL, "DATABASE_URL", env_url);
		return 0;
	}
	if (env_opt)
	{
		const struct pgw_env *env = config_find_env(cfg, env_opt);
		char	   *conninfo;
		char	   *source;

		if (!env)
		{
			pgw_error(PGW_ERR_INPUT, "no environment named '%s'", env_opt);
			if (cfg->path)
				pgw_error_detail("%s has %zu [env ...] section(s)", cfg->path, cfg->nenvs);
			else
				pgw_error_detail("no pgwarden.conf was found in this folder or its parents");
			pgw_error_hint("add a section [env %s] with url = ${VARIABLE} to pgwarden.conf", env_opt);
			return -1;
		}
		if (config_env_conninfo(cfg, env, &conninfo) != 0)
			return -1;
		source = pgw_asprintf("env %s", env_opt);
		fill(t, PGW_TARGET_ENV, source, conninfo);
		t->env_name = pgw_strdup(env_opt);
		free(source);
		free(conninfo);
		return 0;
	}
	if ((getenv("PGHOST") && *getenv("PGHOST")) || (getenv("PGSERVICE") && *getenv("PGSERVICE")))
	{
		fill(t, PGW_TARGET_LIBPQ_ENV, getenv("PGSERVICE") ? "PGSERVICE" : "PGHOST", "");
		return 0;
	}

	{
		struct pgw_cluster c;
		char	   *conninfo;
		char	   *url;

		local_open(cfg, NULL, &c);
		conninfo = local_conninfo(&c);
		url = local_url_display(&c);
		t->kind = PGW_TARGET_LOCAL;
		t->source = pgw_strdup("local cluster");
		t->conninfo = conninfo;
		t->display = c.port ? url : pgw_strdup("(local cluster, not created yet)");
		if (!c.port)
			free(url);
		t->local_dir = pgw_strdup(c.dir);
		local_close(&c);
	}
	return 0;
}

void
target_release(struct pgw_target *t)
{
	free(t->source);
	free(t->conninfo);
	free(t->display);
	free(t->env_name);
	free(t->local_dir);
	memset(t, 0, sizeof(*t));
}

json_t *
target_to_json(const struct pgw_target *t)
{
	json_t	   *j = json_object();

	json_object_set_new(j, "kind", json_string(target_kind_name(t->kind)));
	json_object_set_new(j, "source", json_string(t->source));
	json_object_set_new(j, "url", json_string(t->display));
	if (t->env_name)
		json_object_set_new(j, "env", json_string(t->env_name));
	return j;
}

int
db_connect(const struct pgw_target *t, PGconn **out)
{
	const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *vals[] = {"10", "pgwarden", t->conninfo, NULL};
	PGconn	   *conn;

	*out = NULL;
	if (t->kind == PGW_TARGET_LOCAL)
	{
		struct pgw_cluster c;
		struct pgw_config cfg;
		bool		running;

		/* say plainly that the local database is missing or stopped,
		 * rather than pass on libpq's socket error */
		memset(&cfg, 0, sizeof(cfg));
		cfg.local_dir = t->local_dir;
		local_open(&cfg, t->local_dir, &c);
		running = local_is_running(&c);
		if (!running)
		{
			pgw_error(PGW_ERR_CONNECT, "the local database is %s",
					  c.initialized ? "not running" : "not created yet");
			pgw_error_detail("no --db, DATABASE_URL or --env was given, so pgwarden uses the "
							 "local database in %s", c.dir);
			pgw_error_hint("%s it with 'pgwarden local start', or name a database with --db URL",
						   c.initialized ? "start" : "create");
			local_close(&c);
			return -1;
		}
		local_close(&c);
	}
	else if (t->conninfo[0])
	{
		char	   *errmsg = NULL;
		PQconninfoOption *opts = PQconninfoParse(t->conninfo, &errmsg);

		if (!opts)
		{
			/* libpq's message may quote a piece of the password: withhold it
			 * when there is one */
			bool		secret = strstr(t->conninfo, "password") || strstr(t->display, PGW_REDACTED);

			pgw_error(PGW_ERR_INPUT, "cannot parse the connection string from %s", t->source);
			if (secret)
				pgw_error_detail("libpq's message is withheld because it may quote the password");
			else
				pgw_error_detail("%s", errmsg ? errmsg : "invalid connection string");
			pgw_error_hint("use postgresql://user@host:port/dbname (percent-encode special characters) "
						   "or key=value pairs; see libpq's documentation on connection strings");
			PQfreemem(errmsg);
			return -1;
		}
		PQconninfoFree(opts);
	}
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return pgw_error(PGW_ERR_INTERNAL, "out of memory while connecting");
	if (PQstatus(conn) != CONNECTION_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot connect to %s", t->display);
		pgw_error_detail("%s", PQerrorMessage(conn));
		switch (t->kind)
		{
			case PGW_TARGET_LOCAL:
				pgw_error_hint("start the local database with 'pgwarden local start', "
							   "or name another with --db URL or DATABASE_URL");
				break;
			case PGW_TARGET_ENV:
				pgw_error_hint("check [env %s] in pgwarden.conf and the variables it reads; "
							   "passwords come from the URL's variable, PGPASSWORD or ~/.pgpass",
							   t->env_name);
				break;
			default:
				pgw_error_hint("check the URL (from %s), that the server is running and accepts "
							   "connections, and the password (PGPASSWORD or ~/.pgpass)", t->source);
				break;
		}
		PQfinish(conn);
		return -1;
	}
	interrupt_watch_conn(conn);	/* ^C cancels its query */
	*out = conn;
	return 0;
}
