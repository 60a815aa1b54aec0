/*
 * deploy.c — `pgwarden deploy`: phased, re-runnable schema deployment with
 * the auto-fix engine, a JSON log per run and --verify-only
 * (docs/deploy.md).  The work is in deploy/deploy.h; this file parses
 * options, sets the session up through the migration runner (lock_timeout,
 * advisory lock), renders, and writes the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "db/query.h"
#include "cmd/opt.h"
#include "commands.h"
#include "deploy/deploy.h"
#include "diff/diff.h"
#include "migrate/runner.h"
#include "out/out.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define DEPLOY_USAGE "pgwarden deploy [--phase N|all] [--dir DIR] [--verify-only] [--dry-run] [--tx phase|statement|none] [--continue-on-error] [--log-dir DIR] [--lock-wait SEC]"

enum
{
	OPT_PHASE = 1,
	OPT_DIR,
	OPT_VERIFY_ONLY,
	OPT_DRY_RUN,
	OPT_TX,
	OPT_CONTINUE,
	OPT_LOG_DIR,
	OPT_LOCK_WAIT
};

struct deploy_args
{
	int			phase;			/* 0: all */
	char	   *dir;
	char	   *log_dir;
	bool		verify_only;
	bool		dry_run;
	bool		continue_on_error;
	enum pgw_deploy_tx tx;
	int			lock_wait;
};

static const struct pgw_style_result
{
	enum pgw_deploy_result r;
	enum pgw_style style;
}			result_styles[] = {
	{PGW_DEPLOY_APPLIED, PGW_STYLE_OK},
	{PGW_DEPLOY_SKIPPED, PGW_STYLE_DIM},
	{PGW_DEPLOY_AUTOFIXED, PGW_STYLE_INFO},
	{PGW_DEPLOY_FAILED, PGW_STYLE_ERROR},
	{PGW_DEPLOY_ROLLED_BACK, PGW_STYLE_WARN},
	{PGW_DEPLOY_PENDING, PGW_STYLE_DIM},
};

static enum pgw_style
style_for(enum pgw_deploy_result r)
{
	for (size_t i = 0; i < sizeof(result_styles) / sizeof(*result_styles); i++)
		if (result_styles[i].r == r)
			return result_styles[i].style;
	return PGW_STYLE_PLAIN;
}

static const char *
fix_word(enum pgw_autofix f)
{
	return f == PGW_AF_SKIP ? "skip" : f == PGW_AF_REWRITE ? "autofix" : f == PGW_AF_REFUSE ? "refuse" :
		f == PGW_AF_PROBE ? "compare" : "run";
}

static void
print_stmt(const struct pgw_deploy_stmt *st, const char *word, enum pgw_style style)
{
	out_printf("  %s%-11s%s %s:%d  %s%s%s\n", out_style(style), word, out_style_end(),
			   st->file->name, st->line, st->kind, st->object ? " " : "", st->object ? st->object : "");
	if (st->fix != PGW_AF_RUN && st->fix_reason)
		out_printf("              %s%s: %s%s\n", out_style(PGW_STYLE_DIM), st->fix_action ? st->fix_action : "",
				   st->fix_reason, out_style_end());
	if (st->error && st->fix != PGW_AF_REFUSE)
		out_printf("              %serror: %s%s%s%s%s\n", out_style(PGW_STYLE_ERROR), st->error,
				   st->sqlstate && *st->sqlstate ? " (SQLSTATE " : "", st->sqlstate ? st->sqlstate : "",
				   st->sqlstate && *st->sqlstate ? ")" : "", out_style_end());
}

static void
ev_phase_start(void *arg, int phase, size_t n, enum pgw_deploy_tx tx)
{
	(void) arg;
	out_note("phase %d: %zu statement%s (transaction: %s)", phase, n, n == 1 ? "" : "s", deploy_tx_name(tx));
	out_printf("phase %d\n", phase);
}

static void
ev_statement(void *arg, const struct pgw_deploy_stmt *st)
{
	(void) arg;
	print_stmt(st, deploy_result_name(st->result), style_for(st->result));
}

static void
ev_phase_end(void *arg, const struct pgw_deploy_phase_result *r)
{
	(void) arg;
	out_printf("phase %d: %s%s%s — %d applied, %d autofixed, %d skipped, %d failed%s (%lld ms)\n", r->number,
			   out_style(r->ok ? PGW_STYLE_OK : PGW_STYLE_ERROR), r->ok ? "ok" : "failed", out_style_end(),
			   r->counts[PGW_DEPLOY_APPLIED], r->counts[PGW_DEPLOY_AUTOFIXED], r->counts[PGW_DEPLOY_SKIPPED],
			   r->counts[PGW_DEPLOY_FAILED], r->rolled_back ? ", rolled back" : "", r->duration_ms);
}

/* The log folder exists (made) and takes a file: checked before anything
 * runs. */
static int
check_log_dir(const char *dir)
{
	char	   *probe;
	int			fd;

	if (fs_mkdir_p(dir, 0755) != 0)
	{
		pgw_error_prefix("cannot use the deploy log folder");
		pgw_error_hint("set --log-dir or [deploy] log_dir to a folder you can write; nothing was run");
		return -1;
	}
	probe = pgw_asprintf("%s/.deploy-probe-%d", dir, (int) getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
	{
		int			e = errno;

		free(probe);
		pgw_error(PGW_ERR_INPUT, "cannot write to the deploy log folder '%s'", dir);
		pgw_error_detail("%s", strerror(e));
		pgw_error_hint("set --log-dir or [deploy] log_dir to a folder you can write; nothing was run");
		return -1;
	}
	close(fd);
	unlink(probe);
	free(probe);
	return 0;
}

static json_t *
verify_json(const struct pgw_deploy_verify *v, bool extras_count)
{
	json_t	   *items = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s?, s:s?}",
											   "state", v->items[i].state, "kind", v->items[i].kind,
											   "object", v->items[i].object, "summary", v->items[i].summary,
											   "sql", v->items[i].sql));
	return json_pack("{s:b, s:I, s:I, s:I, s:I, s:o}",
					 "drift", v->missing + v->different + (extras_count ? v->extra : 0) > 0,
					 "missing", (json_int_t) v->missing, "extra", (json_int_t) v->extra,
					 "different", (json_int_t) v->different, "duration_ms", (json_int_t) v->duration_ms,
					 "items", items);
}

static void
print_verify(const struct pgw_deploy_verify *v, bool extras_count)
{
	for (size_t i = 0; i < v->n; i++)
	{
		const struct pgw_deploy_drift *x = &v->items[i];
		bool		counts = extras_count || strcmp(x->state, "extra") != 0;

		out_printf("  %s%-10s%s %s %s%s%s\n", out_style(counts ? PGW_STYLE_WARN : PGW_STYLE_DIM), x->state,
				   out_style_end(), x->kind, x->object, x->summary ? " — " : "", x->summary ? x->summary : "");
	}
}

static int
parse_args(int argc, char **argv, struct deploy_args *a)
{
	static const struct pgw_opt opts[] = {
		{"continue-on-error", 0, false, OPT_CONTINUE},
		{"dir", 'd', true, OPT_DIR},
		{"dry-run", 'n', false, OPT_DRY_RUN},
		{"lock-wait", 0, true, OPT_LOCK_WAIT},
		{"log-dir", 0, true, OPT_LOG_DIR},
		{"phase", 'p', true, OPT_PHASE},
		{"tx", 0, true, OPT_TX},
		{"verify-only", 0, false, OPT_VERIFY_ONLY},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	long		n;
	int			x;

	opt_init(&p, argc, argv, opts, DEPLOY_USAGE);
	while ((x = opt_next(&p, &arg)) != OPT_END)
	{
		switch (x)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_POSITIONAL:
				return opt_usage_error(&p, "options only: --phase N picks a phase", "unexpected argument '%s'", arg);
			case OPT_PHASE:
				if (!strcmp(arg, "all"))
					a->phase = 0;
				else if (!opt_int(&p, "phase", arg, 1, 100000, &n))
					return PGW_EXIT_USAGE;
				else
					a->phase = (int) n;
				break;
			case OPT_DIR:
				free(a->dir);
				a->dir = fs_absolute(arg);
				break;
			case OPT_LOG_DIR:
				free(a->log_dir);
				a->log_dir = fs_absolute(arg);
				break;
			case OPT_VERIFY_ONLY:
				a->verify_only = true;
				break;
			case OPT_DRY_RUN:
				a->dry_run = true;
				break;
			case OPT_CONTINUE:
				a->continue_on_error = true;
				break;
			case OPT_TX:
				if (!strcmp(arg, "phase"))
					a->tx = PGW_DEPLOY_TX_PHASE;
				else if (!strcmp(arg, "statement"))
					a->tx = PGW_DEPLOY_TX_STATEMENT;
				else if (!strcmp(arg, "none"))
					a->tx = PGW_DEPLOY_TX_NONE;
				else
					return opt_usage_error(&p, "--tx is phase, statement or none", "unknown transaction mode '%s'", arg);
				break;
			case OPT_LOCK_WAIT:
				if (!opt_int(&p, "lock-wait", arg, 0, 86400, &n))
					return PGW_EXIT_USAGE;
				a->lock_wait = (int) n;
				break;
		}
	}
	if (a->verify_only && a->dry_run)
		return opt_usage_error(&p, NULL, "--verify-only and --dry-run cannot be combined (--verify-only changes nothing)");
	return PGW_EXIT_OK;
}

static int
run_verify_only(struct pgw_ctx *ctx, struct deploy_args *a, PGconn *conn)
{
	struct pgw_deploy_verify v;
	bool		extras = a->phase == 0;
	size_t		drift;
	int			rc;

	out_note("loading the phase files into a sandbox and comparing with the database");
	if (deploy_verify(&ctx->cfg, conn, a->dir, a->phase, &ctx->cfg.deploy_order, &v) != 0)
		return out_fail();
	drift = v.missing + v.different + (extras ? v.extra : 0);
	rc = drift ? PGW_EXIT_CHECK : PGW_EXIT_OK;
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(drift == 0);

		json_object_set_new(doc, "dir", json_string(a->dir));
		json_object_set_new(doc, "mode", json_string("verify-only"));
		json_object_set_new(doc, "phase", a->phase ? json_integer(a->phase) : json_string("all"));
		json_object_set_new(doc, "summary", json_pack("{s:b, s:I, s:I, s:I}", "drift", drift > 0,
													  "missing", (json_int_t) v.missing, "extra", (json_int_t) v.extra,
													  "different", (json_int_t) v.different));
		json_object_set_new(doc, "verification", verify_json(&v, extras));
		out_json_emit(doc);
	}
	else
	{
		print_verify(&v, extras);
		if (drift == 0)
			out_printf("%sno drift%s: the database matches %s%s\n", out_style(PGW_STYLE_OK), out_style_end(),
					   a->phase ? "phases up to " : "every phase", a->phase ? "" : "");
		else
			out_printf("%sdrift%s: %zu missing, %zu different, %zu extra%s\n", out_style(PGW_STYLE_WARN), out_style_end(),
					   v.missing, v.different, v.extra, extras ? "" : " (extra objects may belong to later phases)");
	}
	deploy_verify_release(&v);
	return rc;
}

/* logs/deploy-20261204T123456Z.json, -2, -3 ... when taken */
static char *
log_path(const char *dir, const char *stamp)
{
	char	   *path = pgw_asprintf("%s/deploy-%s.json", dir, stamp);

	for (int i = 2; fs_exists(path) && i < 1000; i++)
	{
		free(path);
		path = pgw_asprintf("%s/deploy-%s-%d.json", dir, stamp, i);
	}
	return path;
}

int
cmd_deploy(struct pgw_ctx *ctx, int argc, char **argv)
{
	struct deploy_args a;
	struct pgw_deploy_plan plan;
	struct pgw_deploy_plan folder;	/* every phase, when --phase picks one */
	struct pgw_deploy_run run;
	struct pgw_deploy_verify v;
	struct pgw_model live;
	struct pgw_catalog_opts co = {0};
	struct pgw_runner r;
	struct pgw_deploy_events ev = {NULL, ev_phase_start, ev_statement, ev_phase_end};
	PGconn	   *conn = NULL;
	bool		runner_is_open = false,
				verified = false,
				changed = false;
	char		stamp[32];
	char	   *logfile = NULL;
	char	   *run_id;
	time_t		now = time(NULL);
	struct tm	tm;
	int64_t		t0 = pgw_now_ms();
	int			rc;
	int			upto = 0;
	size_t		lint_errors = 0,
				lint_warnings = 0;
	json_t	   *doc,
			   *log,
			   *stmts,
			   *phases;

	memset(&a, 0, sizeof(a));
	memset(&run, 0, sizeof(run));
	memset(&v, 0, sizeof(v));
	memset(&plan, 0, sizeof(plan));
	memset(&folder, 0, sizeof(folder));
	a.lock_wait = 60;
	rc = parse_args(argc, argv, &a);
	if (rc != PGW_EXIT_OK)
		goto out_args;
	if (!a.dir)
		a.dir = pgw_strdup(ctx->cfg.deploy_dir);
	if (!a.log_dir)
		a.log_dir = pgw_strdup(ctx->cfg.deploy_log_dir);

	/* 1. every file parsed and linted before the database is touched */
	model_init(&live);
	if (deploy_plan_load(&plan, a.dir, a.phase, &ctx->cfg.deploy_order, &ctx->cfg) != 0)
	{
		rc = out_fail();
		goto out_live;
	}
	for (size_t i = 0; i < plan.lint.n; i++)
	{
		const struct pgw_finding *f = &plan.lint.items[i];

		if (f->suppressed || f->severity < PGW_SEV_WARNING)
			continue;
		if (f->severity == PGW_SEV_ERROR)
			lint_errors++;
		else
			lint_warnings++;
		out_verbose("%s:%d: %s [%s]", f->file ? f->file : "?", f->line, f->message, f->rule);
	}
	if (lint_errors + lint_warnings)
		out_note("lint: %zu error%s, %zu warning%s in the phase files (-v or pgwarden lint shows them)",
				 lint_errors, lint_errors == 1 ? "" : "s", lint_warnings, lint_warnings == 1 ? "" : "s");
	upto = plan.phases[plan.nphases - 1].number;
	if (!a.dry_run && !a.verify_only && check_log_dir(a.log_dir) != 0)
	{
		rc = out_fail();
		goto out_live;
	}

	conn = ctx_connect(ctx, &rc);
	if (!conn)
		goto out_live;
	if (a.verify_only)
	{
		rc = run_verify_only(ctx, &a, conn);
		goto out_live;
	}

	/* 2. the live model, once; every statement's decision against it */
	co.stable = true;
	co.managed = &ctx->cfg.schemas;
	/* the snapshot cache: an unchanged schema (a re-deploy) costs one
	 * fingerprint query instead of the full read */
	co.cache_dir = ctx_cache_dir(ctx);
	if (catalog_read(&conn, 1, &co, &live, NULL) != 0)
	{
		rc = out_fail();
		goto out_live;
	}
	/* what later phases add to a table is expected, not to be dropped */
	if (a.phase != 0 && deploy_plan_load(&folder, a.dir, 0, &ctx->cfg.deploy_order, &ctx->cfg) != 0)
	{
		rc = out_fail();
		goto out_live;
	}
	deploy_decide(&plan, a.phase != 0 ? &folder : NULL, &live, &run);

	if (a.dry_run)
	{
		if (deploy_probe(conn, &ctx->cfg, &live, &run) != 0)
		{
			rc = out_fail();
			goto out_live;
		}
		if (out_is_json())
		{
			doc = out_json_envelope(true);
			stmts = json_array();
			for (size_t i = 0; i < run.nstmts; i++)
			{
				json_t	   *o = deploy_stmt_json(&run.stmts[i]);

				json_object_set_new(o, "decision", json_string(fix_word(run.stmts[i].fix)));
				json_array_append_new(stmts, o);
			}
			json_object_set_new(doc, "dir", json_string(a.dir));
			json_object_set_new(doc, "mode", json_string("dry-run"));
			json_object_set_new(doc, "statements", stmts);
			json_object_set_new(doc, "summary", deploy_summary_json(&run));
			out_json_emit(doc);
		}
		else
		{
			int			c[5] = {0};

			for (size_t i = 0; i < run.nstmts; i++)
			{
				const struct pgw_deploy_stmt *st = &run.stmts[i];
				enum pgw_style s = st->fix == PGW_AF_REFUSE ? PGW_STYLE_ERROR : st->fix == PGW_AF_SKIP ?
					PGW_STYLE_DIM : st->fix == PGW_AF_REWRITE ? PGW_STYLE_INFO : PGW_STYLE_OK;

				c[st->fix]++;
				if (i == 0 || st->phase != run.stmts[i - 1].phase)
					out_printf("phase %d\n", st->phase);
				print_stmt(st, fix_word(st->fix), s);
			}
			out_printf("dry run: %d to run, %d to autofix, %d to skip, %d refused; nothing was changed\n",
					   c[PGW_AF_RUN], c[PGW_AF_REWRITE], c[PGW_AF_SKIP], c[PGW_AF_REFUSE]);
		}
		rc = PGW_EXIT_OK;
		goto out_live;
	}

	/* 3. run under the runner's session settings and advisory lock */
	if (runner_open(&r, conn, ctx->target.conninfo, &ctx->cfg, a.lock_wait, false) != 0)
	{
		rc = out_fail();
		goto out_live;
	}
	runner_is_open = true;
	if (runner_lock(&r) != 0)
	{
		rc = out_fail();
		goto out_live;
	}
	/* the statements the parse tree cannot settle: one batch on the server */
	if (deploy_probe(conn, &ctx->cfg, &live, &run) != 0)
	{
		rc = out_fail();
		goto out_live;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	run_id = pgw_asprintf("%s-%d", stamp, (int) getpid());
	logfile = log_path(a.log_dir, stamp);
	if (!out_is_json())
		out_printf("deploying %zu phase%s (%zu statements) from %s\n", plan.nphases, plan.nphases == 1 ? "" : "s",
				   plan.nstatements, a.dir);
	rc = deploy_execute(conn, &plan, &run, a.tx, a.continue_on_error, ctx->cfg.lock_retries,
						out_is_json() ? NULL : &ev) == 0 ? PGW_EXIT_OK : PGW_EXIT_APPLY;
	for (size_t i = 0; i < run.nstmts; i++)
		if (run.stmts[i].result == PGW_DEPLOY_APPLIED || run.stmts[i].result == PGW_DEPLOY_AUTOFIXED)
			changed = true;
	runner_close(&r);
	runner_is_open = false;
	/* statements that ran may still have changed nothing (CREATE OR REPLACE
	 * of an identical view): one more catalog read tells */
	if (rc == PGW_EXIT_OK && changed)
	{
		struct pgw_model after;
		struct pgw_diff d;
		struct pgw_diff_opts dopts = {0};

		model_init(&after);
		diff_init(&d);
		dopts.unsafe = true;
		if (catalog_read(&conn, 1, &co, &after, NULL) == 0 && diff_models(&live, &after, &dopts, &d) == 0 &&
			d.changes.n == 0)
			changed = false;
		pgw_error_clear();
		diff_release(&d);
		model_release(&after);
	}

	/* 4. the result verified against the files (when anything changed) */
	{
		struct pgw_err saved = {0};

		if (rc != PGW_EXIT_OK)
			pgw_error_save(&saved);
		if (rc == PGW_EXIT_OK && changed)
		{
			out_note("verifying: loading phases up to %d into a sandbox and comparing", upto);
			if (deploy_verify(&ctx->cfg, conn, a.dir, upto, &ctx->cfg.deploy_order, &v) != 0)
				rc = pgw_exit_for_kind(pgw_error_last()->kind);
			else
			{
				verified = true;
				if (v.missing + v.different > 0)
				{
					pgw_error(PGW_ERR_APPLY, "the deployed database does not match the phase files");
					pgw_error_detail("%zu missing, %zu different after the deploy", v.missing, v.different);
					pgw_error_hint("pgwarden deploy --verify-only lists them; the log has every statement");
					rc = PGW_EXIT_CHECK;
				}
			}
		}
		if (saved.kind != PGW_ERR_NONE)
			pgw_error_restore(&saved);
	}

	/* 5. the log */
	log = json_object();
	stmts = json_array();
	phases = json_array();
	for (size_t i = 0; i < run.nstmts; i++)
		json_array_append_new(stmts, deploy_stmt_json(&run.stmts[i]));
	for (size_t i = 0; i < run.nphases; i++)
	{
		const struct pgw_deploy_phase_result *pr = &run.phases[i];

		json_array_append_new(phases, json_pack("{s:i, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:i, s:I}",
												"phase", pr->number, "tx", deploy_tx_name(pr->tx),
												"result", pr->ok ? "ok" : (pr->counts[PGW_DEPLOY_FAILED] ? "failed" : "not_run"),
												"rolled_back", pr->rolled_back,
												"applied", pr->counts[PGW_DEPLOY_APPLIED],
												"autofixed", pr->counts[PGW_DEPLOY_AUTOFIXED],
												"skipped", pr->counts[PGW_DEPLOY_SKIPPED],
												"failed", pr->counts[PGW_DEPLOY_FAILED],
												"rolled_back_statements", pr->counts[PGW_DEPLOY_ROLLED_BACK],
												"duration_ms", (json_int_t) pr->duration_ms));
	}
	json_object_set_new(log, "format", json_string("pgwarden.deploy-log/1"));
	json_object_set_new(log, "run_id", json_string(run_id));
	json_object_set_new(log, "started_at", json_string(stamp));
	json_object_set_new(log, "target", json_string(ctx->target.display ? ctx->target.display : "?"));
	json_object_set_new(log, "dir", json_string(a.dir));
	json_object_set_new(log, "tx", json_string(deploy_tx_name(a.tx)));
	json_object_set_new(log, "continue_on_error", json_boolean(a.continue_on_error));
	json_object_set_new(log, "ok", json_boolean(rc == PGW_EXIT_OK));
	json_object_set_new(log, "duration_ms", json_integer(pgw_now_ms() - t0));
	json_object_set_new(log, "summary", deploy_summary_json(&run));
	json_object_set_new(log, "phases", phases);
	json_object_set_new(log, "statements", stmts);
	json_object_set_new(log, "verification", verified ? verify_json(&v, false) : json_null());
	if (rc != PGW_EXIT_OK && pgw_error_last()->kind != PGW_ERR_NONE)
	{
		const struct pgw_err *e = pgw_error_last();

		json_object_set_new(log, "error", json_pack("{s:s, s:s?, s:s?}", "message", e->message,
													"detail", e->detail, "hint", e->hint));
	}
	{
		char	   *text = json_dumps(log, JSON_INDENT(2) | JSON_SORT_KEYS);
		struct pgw_err saved = {0};

		pgw_error_save(&saved);
		if (!text || fs_write_file(logfile, text, strlen(text), 0644) != 0)
			out_warning("cannot write the deploy log '%s'", logfile);
		pgw_error_restore(&saved);
		free(text);
	}

	if (out_is_json())
	{
		doc = out_json_envelope(rc == PGW_EXIT_OK);
		json_object_set_new(doc, "run_id", json_string(run_id));
		json_object_set_new(doc, "log", json_string(logfile));
		json_object_set_new(doc, "summary", json_incref(json_object_get(log, "summary")));
		json_object_set_new(doc, "phases", json_incref(phases));
		json_object_set_new(doc, "statements", json_incref(stmts));
		json_object_set_new(doc, "verification", json_incref(json_object_get(log, "verification")));
		if (rc != PGW_EXIT_OK)
		{
			int			code = pgw_error_last()->kind != PGW_ERR_NONE ? out_fail_with(doc) : rc;

			rc = rc == PGW_EXIT_CHECK ? PGW_EXIT_CHECK : code;
		}
		else
			out_json_emit(doc);
	}
	else
	{
		char	   *shown = ctx_project_path(ctx, logfile);

		if (verified)
		{
			print_verify(&v, false);
			out_printf("verification: %s\n", v.missing + v.different == 0 ? "no drift in the deployed phases" : "the database does not match the files");
		}
		else if (rc == PGW_EXIT_OK)
			out_printf("verification: nothing changed\n");
		out_printf("log: %s\n", shown);
		free(shown);
		if (rc != PGW_EXIT_OK)
		{
			int			code = out_fail();

			rc = rc == PGW_EXIT_CHECK ? PGW_EXIT_CHECK : code;
		}
	}
	json_decref(log);
	free(run_id);

out_live:
	model_release(&live);
	if (runner_is_open)
		runner_close(&r);
	db_close(conn);
	deploy_verify_release(&v);
	deploy_run_release(&run);
	deploy_plan_release(&plan);
	deploy_plan_release(&folder);
out_args:
	free(logfile);
	free(a.dir);
	free(a.log_dir);
	return rc;
}
