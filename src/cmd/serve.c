/*
 * serve.c — `pgwarden serve`: the local dashboard and JSON API.  Parses the
 * options, refuses a non-loopback bind without --allow-remote, and hands
 * the HTTP server (serve/http.c) a runner that runs a command in process
 * with --json (command_run_captured) — so every API document is the very
 * document the CLI prints.  Runs until SIGINT or SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "commands.h"
#include "out/out.h"
#include "serve/http.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/text.h"

#define SERVE_USAGE "pgwarden serve [--port PORT] [--bind ADDR [--allow-remote]] [--allow-apply] [--open]\n" \
	"                      [--interval SECONDS] [--timeout SECONDS] [--pool N]"

enum
{
	OPT_PORT = 1,
	OPT_BIND,
	OPT_ALLOW_REMOTE,
	OPT_ALLOW_APPLY,
	OPT_OPEN,
	OPT_INTERVAL,
	OPT_TIMEOUT,
	OPT_POOL
};

struct runner
{
	struct pgw_ctx *ctx;
	char	   *conninfo;		/* the target's */
	char	   *read_conninfo;	/* with a statement timeout */
};

/*
 * The target's conninfo with extra settings: parsed (URL or key=value) and
 * written back as key=value, so the extras are added whatever the form.
 */
static char *
conninfo_plus(const char *base, int connect_timeout_s, int statement_timeout_s)
{
	PQconninfoOption *opts = PQconninfoParse(base, NULL);
	PQconninfoOption *o;
	struct pgw_buf b;
	char		tmp[64];
	const char *options = NULL;

	if (!opts)
		return pgw_strdup(base);
	buf_init(&b);
	for (o = opts; o->keyword; o++)
	{
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "options") == 0)
		{
			options = o->val;
			continue;
		}
		if (strcmp(o->keyword, "connect_timeout") == 0)
			continue;
		text_conninfo_append(&b, o->keyword, o->val);
	}
	snprintf(tmp, sizeof tmp, "%d", connect_timeout_s);
	text_conninfo_append(&b, "connect_timeout", tmp);
	if (statement_timeout_s > 0)
	{
		char	   *all = pgw_asprintf("%s%s-c statement_timeout=%ds", options ? options : "",
									   options ? " " : "", statement_timeout_s);

		text_conninfo_append(&b, "options", all);
		free(all);
	}
	else if (options)
		text_conninfo_append(&b, "options", options);
	PQconninfoFree(opts);
	return buf_steal(&b);
}

static int
run_command(void *arg, bool writes, int argc, char **argv, json_t **doc)
{
	struct runner *r = arg;
	char	   *was = r->ctx->target.conninfo;
	int			rc;

	r->ctx->target.conninfo = writes ? r->conninfo : r->read_conninfo;
	rc = command_run_captured(r->ctx, argc, argv, doc);
	r->ctx->target.conninfo = was;
	return rc;
}

/* --open: the desktop's browser, when there is one; never fatal. */
static void
open_browser(const char *url)
{
	pid_t		pid = fork();

	if (pid == 0)
	{
		int			devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
		{
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execlp("xdg-open", "xdg-open", url, (char *) NULL);
		_exit(127);
	}
	if (pid < 0)
		out_warning("--open: cannot start a browser; open the URL by hand");
}

int
cmd_serve(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"port", 'p', true, OPT_PORT},
		{"bind", 0, true, OPT_BIND},
		{"allow-remote", 0, false, OPT_ALLOW_REMOTE},
		{"allow-apply", 0, false, OPT_ALLOW_APPLY},
		{"open", 0, false, OPT_OPEN},
		{"interval", 0, true, OPT_INTERVAL},
		{"timeout", 0, true, OPT_TIMEOUT},
		{"pool", 0, true, OPT_POOL},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	struct serve_options so;
	struct runner r;
	struct serve_server *srv;
	const char *arg;
	int			id;
	long		n;
	bool		open_it = false,
				valid;
	char	   *host_url,
			   *url,
			   *metrics_dir,
			   *metrics_file;

	memset(&so, 0, sizeof so);
	so.bind = "127.0.0.1";
	so.port = 5480;
	so.interval_s = 5;
	so.timeout_s = 30;
	so.pool_size = 3;
	opt_init(&p, argc, argv, opts, SERVE_USAGE);
	while ((id = opt_next(&p, &arg)) != OPT_END)
	{
		switch (id)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_POSITIONAL:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
			case OPT_PORT:
				if (!opt_int(&p, "--port", arg, 0, 65535, &n))
					return PGW_EXIT_USAGE;
				so.port = (int) n;
				break;
			case OPT_BIND:
				so.bind = arg;
				break;
			case OPT_ALLOW_REMOTE:
				so.allow_remote = true;
				break;
			case OPT_ALLOW_APPLY:
				so.allow_apply = true;
				break;
			case OPT_OPEN:
				open_it = true;
				break;
			case OPT_INTERVAL:
				if (!opt_int(&p, "--interval", arg, 1, 3600, &n))
					return PGW_EXIT_USAGE;
				so.interval_s = (int) n;
				break;
			case OPT_TIMEOUT:
				if (!opt_int(&p, "--timeout", arg, 1, 3600, &n))
					return PGW_EXIT_USAGE;
				so.timeout_s = (int) n;
				break;
			case OPT_POOL:
				if (!opt_int(&p, "--pool", arg, 2, 4, &n))
					return PGW_EXIT_USAGE;
				so.pool_size = (int) n;
				break;
		}
	}
	if (!serve_is_loopback(so.bind, &valid))
	{
		if (!valid)
			return opt_usage_error(&p, "give a numeric address: 127.0.0.1, ::1, 0.0.0.0, 192.168.1.20",
								   "--bind '%s' is not a numeric IP address", so.bind);
		if (!so.allow_remote)
			return opt_usage_error(&p, "add --allow-remote if other machines must reach it; the access token is then the only protection",
								   "refusing to listen on '%s', which is not a loopback address", so.bind);
		out_warning("listening on %s: anyone who can reach this address and has the token can read the "
					"database's reports%s — the access token is the ONLY protection (no TLS)",
					so.bind, so.allow_apply ? " and APPLY MIGRATIONS" : "");
	}

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.conninfo = conninfo_plus(ctx->target.conninfo, 5, 0);
	r.read_conninfo = conninfo_plus(ctx->target.conninfo, 5, so.timeout_s);
	so.conninfo = r.read_conninfo;
	so.target_display = ctx->target.display;
	so.run = run_command;
	so.run_arg = &r;
	metrics_dir = fs_join(ctx->cfg.root, ".pgwarden");
	metrics_file = fs_join(metrics_dir, "metrics.jsonl");
	if (fs_mkdir_p(metrics_dir, 0755) == 0)
		so.metrics_file = metrics_file;
	else
	{
		out_warning("cannot create %s: health samples are kept in memory only", metrics_dir);
		pgw_error_clear();
	}

	srv = serve_start(&so);
	if (!srv)
	{
		free(r.conninfo);
		free(r.read_conninfo);
		free(metrics_dir);
		free(metrics_file);
		return out_fail();
	}
	host_url = strchr(so.bind, ':')
		? pgw_asprintf("http://[%s]:%d/", so.bind, serve_port(srv))
		: pgw_asprintf("http://%s:%d/", so.bind, serve_port(srv));
	url = pgw_asprintf("%s?token=%s", host_url, serve_token(srv));
	if (out_is_json())
	{
		json_t	   *d = json_pack("{s:s,s:b,s:s,s:s,s:i,s:b,s:s?}", "event", "listening", "ok", 1,
								  "url", url, "bind", so.bind, "port", serve_port(srv),
								  "allow_apply", so.allow_apply, "metrics_file", so.metrics_file);

		json_object_set_new(d, "command", json_string("serve"));
		json_object_set_new(d, "target", target_to_json(&ctx->target));
		out_json_line(d);
	}
	else
	{
		out_printf("pgwarden serve: listening on %s\n", host_url);
		out_printf("  open:    %s\n", url);
		out_printf("  target:  %s\n", ctx->target.display);
		out_printf("  mode:    %s\n", so.allow_apply ? "may apply migrations and doctor fixes (--allow-apply)"
				   : "read-only (--allow-apply allows applying migrations)");
		out_printf("  metrics: every %d s%s%s\n", so.interval_s, so.metrics_file ? " into " : ", in memory",
				   so.metrics_file ? so.metrics_file : "");
		out_printf("  Ctrl-C stops it\n");
	}
	out_flush();
	if (open_it)
		open_browser(url);

	while (!pgw_interrupted())
	{
		interrupt_sleep_ms(1000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	serve_stop(srv);
	if (!out_is_json())
		fprintf(stderr, "pgwarden serve: stopped\n");
	free(host_url);
	free(url);
	free(r.conninfo);
	free(r.read_conninfo);
	free(metrics_dir);
	free(metrics_file);
	return PGW_EXIT_OK;
}
