/*
 * local.c — `pgwarden local start|stop|status|reset|url|psql|sandbox`: the
 * embedded PostgreSQL every command falls back to when no database is named.
 * The work is in db/local.c; this file parses options and shows results.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/opt.h"
#include "util/exitcode.h"
#include "commands.h"
#include "db/local.h"
#include "out/out.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

#define LOCAL_USAGE "pgwarden local start|stop|status|reset|url|psql|sandbox [--dir DIR] [--port N] [--supabase] [--yes] [--socket] [-- ARGS]"

enum
{
	OPT_DIR = 1,
	OPT_PORT,
	OPT_SUPABASE,
	OPT_YES,
	OPT_SOCKET
};

struct local_args
{
	const char *sub;
	const char *dir;
	int			port;
	bool		supabase;
	bool		yes;
	bool		socket;
	char	  **rest;			/* after "--" (psql, sandbox) */
	int			nrest;
};

static const char *const subcommands[] = {"psql", "reset", "sandbox", "start", "status", "stop", "url"};
#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static bool
is_subcommand(const char *s)
{
	size_t		i;

	for (i = 0; i < NSUBCOMMANDS; i++)
		if (strcmp(subcommands[i], s) == 0)
			return true;
	return false;
}

static int
parse_args(int argc, char **argv, struct local_args *a)
{
	static const struct pgw_opt opts[] = {
		{"dir", 0, true, OPT_DIR},
		{"port", 'p', true, OPT_PORT},
		{"socket", 0, false, OPT_SOCKET},
		{"supabase", 0, false, OPT_SUPABASE},
		{"yes", 'y', false, OPT_YES},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	long		n;
	int			r;

	memset(a, 0, sizeof(*a));
	opt_init(&p, argc, argv, opts, LOCAL_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_DIR:
				a->dir = arg;
				break;
			case OPT_PORT:
				if (!opt_int(&p, "port", arg, 1, 65535, &n))
					return PGW_EXIT_USAGE;
				a->port = (int) n;
				break;
			case OPT_SUPABASE:
				a->supabase = true;
				break;
			case OPT_YES:
				a->yes = true;
				break;
			case OPT_SOCKET:
				a->socket = true;
				break;
			case OPT_POSITIONAL:
				if (!a->sub)
					a->sub = arg;
				else
					return opt_usage_error(&p, "pass arguments for psql or the sandbox's command after '--'",
										   "unexpected argument '%s'", arg);
				break;
		}
	}
	a->nrest = opt_rest(&p, &a->rest);
	if (!a->sub)
		return opt_usage_error(&p, "run 'pgwarden local --help' for what each does",
							   "missing subcommand (start, stop, status, reset, url, psql or sandbox)");
	if (!is_subcommand(a->sub))
	{
		const char *close = text_closest(a->sub, subcommands, NSUBCOMMANDS);
		char	   *hint = close ? pgw_asprintf("did you mean 'local %s'?", close) : NULL;
		int			rc = opt_usage_error(&p, hint, "unknown subcommand '%s'", a->sub);

		free(hint);
		return rc;
	}
	if (a->nrest > 0 && strcmp(a->sub, "psql") != 0 && strcmp(a->sub, "sandbox") != 0)
		return opt_usage_error(&p, NULL, "'local %s' takes no arguments after '--'", a->sub);
	return PGW_EXIT_OK;
}

static void
show_notes(const struct pgw_cluster *c)
{
	char	   *copy;
	char	   *line;
	char	   *save = NULL;

	if (!c->notes)
		return;
	copy = pgw_strdup(c->notes);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		out_note("note: %s", line);
	free(copy);
}

static json_t *
cluster_json(const struct pgw_cluster *c, const struct pgw_local_status *st)
{
	json_t	   *j = json_object();

	json_object_set_new(j, "running", json_boolean(st->running));
	json_object_set_new(j, "exists", json_boolean(st->exists));
	json_object_set_new(j, "dir", json_string(c->dir));
	json_object_set_new(j, "data_dir", json_string(c->datadir));
	if (c->port)
	{
		char	   *url = local_url_display(c);
		char	   *surl = local_url(c, true);

		json_object_set_new(j, "url", json_string(url));
		json_object_set_new(j, "socket_url", json_string(surl));
		free(url);
		free(surl);
	}
	else
	{
		json_object_set_new(j, "url", json_null());
		json_object_set_new(j, "socket_url", json_null());
	}
	json_object_set_new(j, "port", c->port ? json_integer(c->port) : json_null());
	json_object_set_new(j, "password_file", c->password ? json_string(c->pwfile) : json_null());
	json_object_set_new(j, "pid", st->pid ? json_integer(st->pid) : json_null());
	json_object_set_new(j, "major_version", st->major ? json_integer(st->major) : json_null());
	json_object_set_new(j, "server_version", st->server_version[0] ? json_string(st->server_version) : json_null());
	json_object_set_new(j, "data_bytes", json_integer((json_int_t) st->data_bytes));
	json_object_set_new(j, "supabase", json_boolean(st->supabase));
	json_object_set_new(j, "server_user", c->server_user && *c->server_user ?
						json_string(c->server_user) : json_null());
	return j;
}

static void
emit_json(const struct pgw_cluster *c, const char *action, bool ok)
{
	struct pgw_local_status st;
	json_t	   *doc = out_json_envelope(ok);
	json_t	   *summary;

	local_status((struct pgw_cluster *) c, &st);
	summary = cluster_json(c, &st);
	json_object_set_new(summary, "action", json_string(action));
	json_object_set_new(doc, "summary", summary);
	out_json_emit(doc);
}

/* The URL as messages show it: the password masked, and where to get it. */
static void
print_urls(const struct pgw_cluster *c)
{
	char	   *url = local_url_display(c);

	out_printf("  url:  %s%s%s\n", out_style(PGW_STYLE_BOLD), url, out_style_end());
	if (c->password)
		out_printf("  password: in %s ('pgwarden local url' prints the URL with it)\n", c->pwfile);
	else if (c->pwfile && fs_exists(c->pwfile))
		out_printf("  password: in %s (not readable by you)\n", c->pwfile);
	else
		out_printf("  %spassword: none%s — 127.0.0.1 is trusted (a cluster made before pgwarden set one); "
				   "'pgwarden local reset --yes' makes it again with a password\n",
				   out_style(PGW_STYLE_WARN), out_style_end());
	out_printf("  dir:  %s\n", c->real_dir);
	free(url);
}

static int
do_start(const struct pgw_config *cfg, struct pgw_cluster *c, const struct local_args *a, bool reset)
{
	struct pgw_start_opts so;
	bool		already;
	bool		supabase = a->supabase || cfg->local_supabase || c->supabase;

	memset(&so, 0, sizeof(so));
	so.port = a->port ? a->port : cfg->local_port;
	so.supabase = supabase;
	so.bindir = cfg->local_bindir;
	so.user = cfg->local_user;
	if (local_start(c, &so, &already) != 0)
	{
		show_notes(c);
		return out_fail();
	}
	show_notes(c);
	out_verbose("binaries: %s (PostgreSQL %s)", c->bin.dir, c->bin.version);
	out_verbose("data: %s", c->datadir);
	out_verbose("log: %s", c->logfile);
	if (out_is_json())
	{
		emit_json(c, already ? "already-running" : reset ? "reset" : c->created ? "created" : "started", true);
		return PGW_EXIT_OK;
	}
	if (already)
		out_printf("the local database is already running\n");
	else
		out_printf("%s the local database%s\n",
				   reset ? "re-created" : c->created ? "created and started" : "started",
				   c->supabase ? " (Supabase flavour)" : "");
	print_urls(c);
	if (!already && c->server_user && *c->server_user)
		out_printf("  server runs as OS user '%s' (pgwarden runs as root)\n", c->server_user);
	return PGW_EXIT_OK;
}

static int
do_stop(struct pgw_cluster *c)
{
	bool		was;

	if (local_stop(c, &was) != 0)
		return out_fail();
	if (out_is_json())
		emit_json(c, was ? "stopped" : "not-running", true);
	else
		out_printf(was ? "stopped the local database\n" : "the local database is not running\n");
	return PGW_EXIT_OK;
}

static int
do_status(struct pgw_cluster *c)
{
	struct pgw_local_status st;

	local_status(c, &st);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "summary", cluster_json(c, &st));
		out_json_emit(doc);
		return PGW_EXIT_OK;
	}
	if (!st.exists)
	{
		out_printf("local database: %snot created%s (%s)\n", out_style(PGW_STYLE_WARN),
				   out_style_end(), c->dir);
		out_printf("  create it with: pgwarden local start\n");
		return PGW_EXIT_OK;
	}
	out_printf("local database: %s%s%s\n",
			   out_style(st.running ? PGW_STYLE_OK : PGW_STYLE_WARN),
			   st.running ? "running" : "stopped", out_style_end());
	print_urls(c);
	{
		char	   *size = out_bytes(st.data_bytes);

		if (st.server_version[0])
			out_printf("  version: PostgreSQL %s\n", st.server_version);
		else
			out_printf("  version: PostgreSQL %d\n", st.major);
		out_printf("  port: %d%s\n", st.port, st.running ? "" : " (remembered for the next start)");
		if (st.running)
			out_printf("  pid:  %d\n", (int) st.pid);
		out_printf("  data: %s\n", size);
		out_printf("  flavour: %s\n", st.supabase ? "Supabase (roles, auth, storage)" : "plain PostgreSQL");
		if (c->server_user && *c->server_user)
			out_printf("  server user: %s\n", c->server_user);
		free(size);
	}
	if (!st.running)
		out_printf("  start it with: pgwarden local start\n");
	return PGW_EXIT_OK;
}

static int
need_running(struct pgw_cluster *c)
{
	struct pgw_local_status st;

	local_status(c, &st);
	if (st.running)
		return 0;
	pgw_error(PGW_ERR_CONNECT, "the local database is %s", st.exists ? "not running" : "not created yet");
	pgw_error_detail("folder: %s", c->dir);
	pgw_error_hint("start it with 'pgwarden local start'");
	return -1;
}

static int
do_psql(const struct pgw_config *cfg, struct pgw_cluster *c, const struct local_args *a)
{
	struct pgw_pgbin bin;
	char	   *psql;
	char	   *ci;
	char	  **argv;
	int			i;

	if (need_running(c) != 0)
		return out_fail();
	if (local_find_binaries(cfg->local_bindir, &bin) != 0)
		return out_fail();
	psql = fs_join(bin.dir, "psql");
	ci = local_conninfo(c);
	argv = pgw_calloc((size_t) a->nrest + 3, sizeof(char *));
	argv[0] = psql;
	argv[1] = ci;
	for (i = 0; i < a->nrest; i++)
		argv[i + 2] = a->rest[i];
	out_flush();
	signal(SIGPIPE, SIG_DFL);
	execv(psql, argv);
	pgw_error(PGW_ERR_CONNECT, "cannot run '%s': %s", psql, strerror(errno));
	pgw_error_hint("install the PostgreSQL client (apt-get install postgresql-client-15)");
	free(argv);
	free(ci);
	free(psql);
	return out_fail();
}

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

/*
 * A throwaway cluster for as long as a command runs (or until a signal when
 * there is none).  The server is our child and dies with us.
 */
static int
do_sandbox(const struct pgw_config *cfg, const struct local_args *a)
{
	struct pgw_sandbox sb;
	struct sigaction sa;
	int			status = 0;
	int			rc = PGW_EXIT_OK;
	pid_t		child = 0;
	char	   *sb_url;

	/* handlers first: a signal during the start must still clean up */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (sandbox_start(&sb, cfg->local_bindir, cfg->local_user, a->supabase || cfg->local_supabase) != 0)
		return out_fail();

	if (got_signal)
		rc = 128 + got_signal;
	else if (a->nrest == 0)
	{
		if (out_is_json())
			out_note("sandbox running: %s (stop it with Ctrl-C)", sb.url);
		out_printf("sandbox running: %s\n", sb.url);
		out_printf("stop it with Ctrl-C\n");
		out_flush();
		while (!got_signal)
			pause();
	}
	else
	{
		out_note("sandbox: %s", sb.url);
		out_flush();
		child = fork();
		if (child == 0)
		{
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			signal(SIGPIPE, SIG_DFL);
			setenv("DATABASE_URL", sb.url, 1);
			setenv("PGWARDEN_SANDBOX_URL", sb.url, 1);
			execvp(a->rest[0], a->rest);
			fprintf(stderr, "pgwarden local: error: cannot run '%s': %s\n", a->rest[0], strerror(errno));
			_exit(127);
		}
		if (child < 0)
		{
			pgw_error(PGW_ERR_INTERNAL, "cannot fork: %s", strerror(errno));
			sandbox_stop(&sb);
			return out_fail();
		}
		for (;;)
		{
			pid_t		r = waitpid(child, &status, 0);

			if (r == child)
				break;
			if (r < 0 && errno != EINTR)
				break;
			/* ^C reaches the command itself (same process group); a
			 * SIGTERM or SIGHUP sent to pgwarden alone is passed on */
			if (got_signal && got_signal != SIGINT)
				kill(child, got_signal);
			got_signal = 0;
		}
		if (WIFEXITED(status))
			rc = WEXITSTATUS(status);
		else
			rc = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
	sb_url = sb.url ? pgw_strdup(sb.url) : NULL;
	sandbox_stop(&sb);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(rc == 0);
		json_t	   *summary = json_object();

		json_object_set_new(summary, "url", json_string(sb_url ? sb_url : ""));
		json_object_set_new(summary, "command_exit_code", json_integer(rc));
		json_object_set_new(doc, "summary", summary);
		out_json_emit(doc);
	}
	free(sb_url);
	return rc;
}

int
cmd_local(struct pgw_ctx *ctx, int argc, char **argv)
{
	struct local_args a;
	struct pgw_cluster c;
	int			rc;

	rc = parse_args(argc, argv, &a);
	if (rc != PGW_EXIT_OK)
		return rc;
	{
		char	   *name = pgw_asprintf("local %s", a.sub);

		out_set_command(name);
		free(name);
	}
	if (strcmp(a.sub, "sandbox") == 0)
		return do_sandbox(&ctx->cfg, &a);

	local_open(&ctx->cfg, a.dir, &c);
	if (strcmp(a.sub, "start") == 0)
		rc = do_start(&ctx->cfg, &c, &a, false);
	else if (strcmp(a.sub, "stop") == 0)
		rc = do_stop(&c);
	else if (strcmp(a.sub, "status") == 0)
		rc = do_status(&c);
	else if (strcmp(a.sub, "reset") == 0)
	{
		if (!a.yes)
		{
			pgw_error(PGW_ERR_USAGE, "'local reset' deletes every database in %s", c.dir);
			pgw_error_hint("run 'pgwarden local reset --yes' to go ahead");
			rc = out_fail();
		}
		else
		{
			bool		supabase = c.supabase;

			if (local_destroy(&c) != 0)
				rc = out_fail();
			else
			{
				a.supabase = a.supabase || supabase;
				rc = do_start(&ctx->cfg, &c, &a, true);
			}
		}
	}
	else if (strcmp(a.sub, "url") == 0)
	{
		if (!c.initialized || !c.port)
		{
			pgw_error(PGW_ERR_CONNECT, "the local database is not created yet");
			pgw_error_detail("folder: %s", c.dir);
			pgw_error_hint("create it with 'pgwarden local start'");
			rc = out_fail();
		}
		else if (out_is_json())
			emit_json(&c, "url", true);
		else
		{
			/*
			 * The one place a password is printed: this command exists so
			 * that DATABASE_URL=$(pgwarden local url) works, as `supabase
			 * status` prints its URL.  --json keeps it masked like every
			 * other document.
			 */
			char	   *url = local_url(&c, a.socket);

			out_write_unredacted(url);
			out_write_unredacted("\n");
			free(url);
		}
	}
	else
		rc = do_psql(&ctx->cfg, &c, &a);
	local_close(&c);
	return rc;
}
