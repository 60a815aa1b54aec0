/*
 * fleet.c — the fleet runner (cmd/fleet.h): targets, a bounded pool of
 * child pgwarden processes, the canary, and the combined report.
 *
 * Targets file: one target a line, "NAME VARIABLE [GROUP]", '#' comments;
 * VARIABLE is the environment variable holding its URL (the file holds no
 * secret).  "env:A,B,C" names the variables directly (NAME = VARIABLE).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/fleet.h"
#include "cmd/opt.h"
#include "out/out.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/text.h"

#define FLEET_USAGE "pgwarden COMMAND ... --targets FILE|env:VAR,... [--jobs N] [--canary NAME] [--fail-fast]"

enum fleet_state
{
	FLEET_PENDING,
	FLEET_RUNNING,
	FLEET_DONE,
	FLEET_NOT_RUN
};

struct fleet_target
{
	char	   *name;
	char	   *var;
	char	   *group;
	enum fleet_state state;
	pid_t		pid;
	int			rc;
	long long	started_ms;
	long long	ms;
	char	   *out_path;
	char	   *err_path;
	json_t	   *doc;			/* the child's JSON document, or NULL */
	char	   *why;			/* what went wrong when doc says nothing */
};

bool
fleet_command(const char *name)
{
	char	   *needle = pgw_asprintf(" %s ", name);
	bool		yes = strstr(PGW_FLEET_COMMANDS, needle) != NULL;

	free(needle);
	return yes;
}

bool
fleet_requested(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
	{
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--targets") || !strncmp(argv[i], "--targets=", 10))
			return true;
	}
	return false;
}

static void
add_target(struct fleet_target **t, size_t *n, const char *name, const char *var, const char *group)
{
	*t = pgw_realloc(*t, (*n + 1) * sizeof(**t));
	memset(&(*t)[*n], 0, sizeof(**t));
	(*t)[*n].name = pgw_strdup(name);
	(*t)[*n].var = pgw_strdup(var);
	(*t)[*n].group = group ? pgw_strdup(group) : NULL;
	(*n)++;
}

static void
targets_free(struct fleet_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		free(t[i].name);
		free(t[i].var);
		free(t[i].group);
		if (t[i].out_path)
			unlink(t[i].out_path);
		if (t[i].err_path)
			unlink(t[i].err_path);
		free(t[i].out_path);
		free(t[i].err_path);
		free(t[i].why);
		json_decref(t[i].doc);
	}
	free(t);
}

static int
read_targets(const char *spec, const char *root, struct fleet_target **t, size_t *n)
{
	*t = NULL;
	*n = 0;
	if (!strncmp(spec, "env:", 4))
	{
		char	   *copy = pgw_strdup(spec + 4);
		char	   *save = NULL;

		for (char *v = strtok_r(copy, ",", &save); v; v = strtok_r(NULL, ",", &save))
			if (*v)
				add_target(t, n, v, v, NULL);
		free(copy);
	}
	else
	{
		char	   *path = spec[0] == '/' ? pgw_strdup(spec) : pgw_asprintf("%s/%s", root, spec);
		FILE	   *f = fopen(path, "r");
		char		line[1024];
		int			lineno = 0;

		if (!f)
			f = fopen(spec, "r");
		if (!f)
		{
			pgw_error(PGW_ERR_INPUT, "cannot read the targets file '%s': %s", spec, strerror(errno));
			free(path);
			return -1;
		}
		while (fgets(line, sizeof(line), f))
		{
			char	   *w[4] = {0};
			int			nw = 0;
			char	   *save = NULL;
			char	   *hash = strchr(line, '#');

			lineno++;
			if (hash)
				*hash = '\0';
			for (char *tok = strtok_r(line, " \t\r\n", &save); tok && nw < 4; tok = strtok_r(NULL, " \t\r\n", &save))
				w[nw++] = tok;
			if (nw == 0)
				continue;
			if (nw < 2 || nw > 3)
			{
				fclose(f);
				pgw_error(PGW_ERR_INPUT, "%s:%d: expected 'NAME VARIABLE [GROUP]'", spec, lineno);
				pgw_error_hint("VARIABLE is the environment variable holding the target's URL");
				free(path);
				return -1;
			}
			for (size_t i = 0; i < *n; i++)
				if (!strcmp((*t)[i].name, w[0]))
				{
					fclose(f);
					pgw_error(PGW_ERR_INPUT, "%s:%d: target '%s' is listed twice", spec, lineno, w[0]);
					free(path);
					return -1;
				}
			add_target(t, n, w[0], w[1], nw == 3 ? w[2] : NULL);
		}
		fclose(f);
		free(path);
	}
	if (*n == 0)
		return pgw_error(PGW_ERR_INPUT, "no targets in '%s'", spec);
	for (size_t i = 0; i < *n; i++)
		if (!getenv((*t)[i].var) || !*getenv((*t)[i].var))
		{
			pgw_error(PGW_ERR_CONNECT, "environment variable '%s' (target '%s') is not set", (*t)[i].var,
					  (*t)[i].name);
			pgw_error_hint("each target's URL comes from its environment variable");
			return -1;
		}
	return 0;
}

/* read_targets, and on failure nothing left allocated */
static int
load_targets(const char *spec, const char *root, struct fleet_target **t, size_t *n)
{
	int			rc = read_targets(spec, root, t, n);

	if (rc != 0)
	{
		targets_free(*t, *n);
		*t = NULL;
		*n = 0;
	}
	return rc;
}

static int
start_target(struct fleet_target *t, char **child_argv, const char *tmpdir, int seq)
{
	sigset_t	block,
				old;
	pid_t		pid;

	t->out_path = pgw_asprintf("%s/fleet-%d-%d.out", tmpdir, (int) getpid(), seq);
	t->err_path = pgw_asprintf("%s/fleet-%d-%d.err", tmpdir, (int) getpid(), seq);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	out_flush();
	pid = fork();
	if (pid < 0)
	{
		sigprocmask(SIG_SETMASK, &old, NULL);
		return pgw_error(PGW_ERR_CONNECT, "cannot start a process for target '%s': %s", t->name, strerror(errno));
	}
	if (pid == 0)
	{
		int			o = open(t->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int			e = open(t->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (o < 0 || e < 0)
			_exit(PGW_EXIT_CONNECT);
		dup2(o, 1);
		dup2(e, 2);
		setenv("DATABASE_URL", getenv(t->var), 1);
		setenv("PGWARDEN_FLEET_TARGET", t->name, 1);
		execv("/proc/self/exe", child_argv);
		_exit(PGW_EXIT_INTERNAL);
	}
	interrupt_watch_child(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	t->pid = pid;
	t->state = FLEET_RUNNING;
	t->started_ms = pgw_now_ms();
	return 0;
}

/*
 * The last non-empty line of a child's stderr (at most the last 300
 * bytes of the file), or NULL: what a target that died before writing
 * its JSON document (a crash, a kill, a failed exec) left behind.
 */
static char *
stderr_tail(const char *path)
{
	char	   *data = NULL;
	size_t		len = 0,
				end,
				start;
	char	   *tail;

	if (fs_read_file(path, &data, &len) != 0)
	{
		pgw_error_clear();
		return NULL;
	}
	end = len;
	while (end > 0 && (data[end - 1] == '\n' || data[end - 1] == '\r' || data[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && data[start - 1] != '\n' && end - start < 300)
		start--;
	tail = end > start ? pgw_strndup(data + start, end - start) : NULL;
	free(data);
	return tail;
}

/*
 * What a report that holds no error message says went wrong: a migration
 * stopped by a check (migrate up --safe's trial, a lint error) names its
 * file and step; otherwise the exit status, the report having the rest.
 */
static char *
report_failure(json_t *doc, int rc)
{
	json_t	   *migs = json_object_get(doc, "migrations");
	size_t		i;
	json_t	   *m;

	json_array_foreach(migs, i, m)
	{
		const char *file = json_string_value(json_object_get(m, "file"));
		const char *step = json_string_value(json_object_get(m, "stopped_at"));

		if (file && step)
			return pgw_asprintf("%s stopped at the %s step", file, step);
	}
	return pgw_asprintf("exit status %d; its report has the details", rc);
}

static void
finish_target(struct fleet_target *t, int status)
{
	interrupt_forget_child(t->pid);
	t->ms = pgw_now_ms() - t->started_ms;
	t->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	t->doc = json_load_file(t->out_path, 0, NULL);
	t->state = FLEET_DONE;
	if (t->rc != 0 && t->doc && !json_is_string(json_object_get(json_object_get(t->doc, "error"), "message")))
		t->why = report_failure(t->doc, t->rc);
	else if (t->rc != 0 && !t->doc)
	{
		char	   *tail = stderr_tail(t->err_path);
		char	   *how = WIFSIGNALED(status) ? pgw_asprintf("killed by signal %d (%s)", WTERMSIG(status),
															 strsignal(WTERMSIG(status)))
			: pgw_asprintf("exit status %d", t->rc);

		t->why = tail ? pgw_asprintf("%s, no report; stderr: %s", how, tail)
			: pgw_asprintf("%s, no report and nothing on stderr", how);
		free(tail);
		free(how);
	}
}

/* Waits for one running child; returns its index, or -1 when none runs. */
static int
reap_one(struct fleet_target *t, size_t n)
{
	int			status;
	pid_t		pid;

	for (;;)
	{
		pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (t[i].state == FLEET_RUNNING && t[i].pid == pid)
			{
				finish_target(&t[i], status);
				return (int) i;
			}
	}
}

static const char *
target_error(const struct fleet_target *t)
{
	const char *m = json_string_value(json_object_get(json_object_get(t->doc, "error"), "message"));

	return m ? m : t->why ? t->why : "";
}

int
fleet_run(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {{NULL, 0, false, 0}};
	struct pgw_optparser p;
	const char *spec = NULL,
			   *canary = NULL;
	long		jobs = 4;
	bool		fail_fast = false;
	char	  **cargv = pgw_calloc((size_t) argc + 8, sizeof(char *));
	int			cargc = 0;
	struct fleet_target *t = NULL;
	size_t		n = 0;
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int			canary_i = -1,
				rc = PGW_EXIT_OK,
				running = 0,
				seq = 0,
				nok = 0,
				nfail = 0,
				nnot = 0;
	bool		stop = false;
	long long	start = pgw_now_ms();
	json_t	   *list;

	opt_init(&p, argc, argv, opts, FLEET_USAGE);
	cargv[cargc++] = "pgwarden";
	cargv[cargc++] = "--json";
	if (ctx->config_path)
	{
		cargv[cargc++] = "--config";
		cargv[cargc++] = (char *) ctx->config_path;
	}
	cargv[cargc++] = argv[0];
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char **slot = NULL;
		const char *name = NULL;

		if (!strcmp(a, "--fail-fast"))
		{
			fail_fast = true;
			continue;
		}
		if (!strncmp(a, "--targets", 9) && (a[9] == '\0' || a[9] == '='))
			name = "targets";
		else if (!strncmp(a, "--canary", 8) && (a[8] == '\0' || a[8] == '='))
			name = "canary";
		else if (!strncmp(a, "--jobs", 6) && (a[6] == '\0' || a[6] == '='))
			name = "jobs";
		if (!name)
		{
			cargv[cargc++] = argv[i];
			continue;
		}
		{
			const char *v = strchr(a, '=') ? strchr(a, '=') + 1 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v)
			{
				free(cargv);
				return opt_usage_error(&p, NULL, "option '--%s' needs a value", name);
			}
			if (!strcmp(name, "jobs"))
			{
				if (!opt_int(&p, "jobs", v, 1, 64, &jobs))
				{
					free(cargv);
					return PGW_EXIT_USAGE;
				}
			}
			else
			{
				slot = !strcmp(name, "targets") ? &spec : &canary;
				*slot = v;
			}
		}
	}
	cargv[cargc] = NULL;
	if (ctx->db || ctx->env)
	{
		free(cargv);
		return opt_usage_error(&p, "each target's URL comes from its environment variable",
							   "--targets does not go with --db or --env");
	}
	if (load_targets(spec, ctx->cfg.root, &t, &n) != 0)
	{
		free(cargv);
		return out_fail();
	}
	if (canary)
	{
		for (size_t i = 0; i < n; i++)
			if (!strcmp(t[i].name, canary))
				canary_i = (int) i;
		if (canary_i < 0)
		{
			targets_free(t, n);
			free(cargv);
			pgw_error(PGW_ERR_USAGE, "--canary '%s' is not one of the targets", canary);
			return out_fail();
		}
		if (!out_is_json() && !out_is_quiet())
			out_note("canary %s first", canary);
		if (start_target(&t[canary_i], cargv, tmpdir, seq++) != 0 || reap_one(t, n) < 0)
			stop = true;
		else if (t[canary_i].rc != 0)
		{
			stop = true;
			if (!out_is_json())
				out_warning("the canary %s failed: the other targets are not run", canary);
		}
	}
	for (size_t next = 0; !stop || running > 0;)
	{
		while (!stop && running < jobs && next < n)
		{
			if ((int) next == canary_i)
			{
				next++;
				continue;
			}
			if (pgw_interrupted())
			{
				stop = true;
				break;
			}
			if (start_target(&t[next], cargv, tmpdir, seq++) != 0)
			{
				stop = true;
				break;
			}
			next++;
			running++;
		}
		if (running == 0)
			break;
		{
			int			i = reap_one(t, n);

			if (i < 0)
				break;
			running--;
			if (!out_is_json() && !out_is_quiet())
				out_note("%s: %s (%.1f s)", t[i].name, t[i].rc == 0 ? "ok" : "failed", t[i].ms / 1000.0);
			if (t[i].rc != 0 && fail_fast)
				stop = true;
			if (pgw_interrupted())
				stop = true;
		}
	}
	list = json_array();
	for (size_t i = 0; i < n; i++)
	{
		json_t	   *e = json_object();

		if (t[i].state != FLEET_DONE)
			t[i].state = FLEET_NOT_RUN;
		json_object_set_new(e, "name", json_string(t[i].name));
		json_object_set_new(e, "group", t[i].group ? json_string(t[i].group) : json_null());
		json_object_set_new(e, "canary", json_boolean((int) i == canary_i));
		json_object_set_new(e, "result", json_string(t[i].state == FLEET_NOT_RUN ? "not run"
													 : t[i].rc == 0 ? "ok" : "failed"));
		json_object_set_new(e, "exit_code", t[i].state == FLEET_NOT_RUN ? json_null() : json_integer(t[i].rc));
		json_object_set_new(e, "ms", json_integer(t[i].ms));
		json_object_set_new(e, "report", t[i].doc ? json_incref(t[i].doc) : json_null());
		if (t[i].why)
			json_object_set_new(e, "error", json_string(t[i].why));
		json_array_append_new(list, e);
		if (t[i].state == FLEET_NOT_RUN)
			nnot++;
		else if (t[i].rc == 0)
			nok++;
		else
		{
			nfail++;
			if (rc == PGW_EXIT_OK)
				rc = t[i].rc;
		}
	}
	if (rc == PGW_EXIT_OK && nnot > 0)
		rc = pgw_interrupted() ? PGW_EXIT_INTERRUPTED : PGW_EXIT_CHECK;
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(rc == PGW_EXIT_OK);

		json_object_set_new(doc, "targets", list);
		json_object_set_new(doc, "summary",
							json_pack("{s:i,s:i,s:i,s:i,s:I,s:i}", "targets", (int) n, "ok", nok, "failed", nfail,
									  "not_run", nnot, "ms", (json_int_t) (pgw_now_ms() - start), "jobs", (int) jobs));
		out_json_emit(doc);
	}
	else
	{
		size_t		i;
		json_t	   *e;

		out_printf("%-24s %-10s %-8s %8s  %s\n", "TARGET", "GROUP", "RESULT", "TIME", "DETAIL");
		json_array_foreach(list, i, e)
		{
			const char *res = json_string_value(json_object_get(e, "result"));
			char	   *detail;

			if (!strcmp(res, "failed"))
				detail = pgw_asprintf("exit %d: %s", t[i].rc, target_error(&t[i]));
			else if (!strcmp(res, "not run"))
				detail = pgw_strdup(canary_i >= 0 && t[canary_i].rc != 0 ? "the canary failed" : "stopped");
			else
				detail = json_dumps(json_object_get(t[i].doc, "summary"), JSON_COMPACT | JSON_SORT_KEYS);
			out_printf("%-24s %-10s %s%-8s%s %7.1fs  %s%s\n", t[i].name, t[i].group ? t[i].group : "-",
					   out_style(!strcmp(res, "ok") ? PGW_STYLE_OK : PGW_STYLE_ERROR), res, out_style_end(),
					   t[i].ms / 1000.0, (int) i == canary_i ? "(canary) " : "", detail ? detail : "");
			free(detail);
		}
		out_printf("%d of %zu targets ok, %d failed, %d not run (--jobs %ld, %.1f s)\n", nok, n, nfail, nnot, jobs,
				   (pgw_now_ms() - start) / 1000.0);
		json_decref(list);
	}
	targets_free(t, n);
	free(cargv);
	return rc;
}
