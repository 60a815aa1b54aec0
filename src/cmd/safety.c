/*
 * safety.c — sandbox trial of migrations, shared by test-migration and
 * migrate up --safe (cmd/safety.h): which sandbox (a tx one hands what a
 * transaction cannot hold to a local one), with or without a data sample,
 * opened per trial or kept over a batch, and the verdicts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/safety.h"
#include "migrate/runner.h"
#include "out/out.h"
#include "sql/lint.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

void
safety_catalog_opts(const struct pgw_ctx *ctx, struct pgw_catalog_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->stable = true;
	o->tenant_column = ctx->cfg.tenant_column;
	o->managed = &ctx->cfg.schemas;
}

static void
verdict(struct safety_trial *st, const char *rule, const char *file, int line, const char *message,
		const char *detail, const char *hint)
{
	struct pgw_finding *f = findings_add(&st->findings, rule, PGW_SEV_ERROR, "migration", message);

	if (file)
		finding_set_location(&st->findings, f, file, line, 1);
	if (detail)
		finding_set_detail(&st->findings, f, detail);
	if (hint)
		finding_set_hint(&st->findings, f, hint);
}

/*
 * The first part of ms (up or rollback) a transaction cannot hold, as
 * "file:line: why" (caller frees), or NULL when every part is one
 * transaction.  Parts that do not parse are left to the trial to report.
 */
static char *
non_transactional_part(struct pgw_migration *const *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int down = 0; down < 2; down++)
		{
			struct pgw_plan p;
			char	   *why = NULL;

			if (down && !migration_has_rollback(ms[i]))
				continue;
			if (runner_plan_migration(&p, ms[i], down) != 0)
				pgw_error_clear();
			else if (p.mode != PGW_TXMODE_TRANSACTION)
				why = pgw_asprintf("%s:%d: %s", p.name, p.why ? p.why->line : 1,
								   p.why && p.why->info.no_transaction_why ?
								   p.why->info.no_transaction_why : "a transaction-control statement");
			runner_plan_release(&p);
			if (why)
				return why;
		}
	return NULL;
}

int
safety_trial_run(struct safety_trial *st, struct pgw_ctx *ctx, PGconn *conn, const struct safety_opts *so,
				 struct pgw_migration *const *ms, size_t n, struct safety_keep *keep)
{
	struct pgw_sandbox_db local_sb;
	struct pgw_sandbox_db *sb = &local_sb;
	struct pgw_catalog_opts co;
	long long	t0 = pgw_now_ms();
	int			rc;
	bool		local_ok;

	memset(st, 0, sizeof(*st));
	findings_init(&st->findings);
	findings_init(&st->lint);
	buf_init(&st->words);
	buf_init(&st->residue);
	local_ok = sandbox_local_available(&ctx->cfg);
	if (so->kind)
		st->kind = strcmp(so->kind, "tx") == 0 ? PGW_SANDBOX_TX : PGW_SANDBOX_LOCAL;
	else
		st->kind = local_ok ? PGW_SANDBOX_LOCAL : PGW_SANDBOX_TX;
	/*
	 * A transaction cannot hold CREATE INDEX CONCURRENTLY and the like:
	 * what the tx sandbox cannot test goes to a local one when there can
	 * be one (without, the trial reports it untestable).
	 */
	if (st->kind == PGW_SANDBOX_TX && local_ok)
	{
		char	   *why = non_transactional_part(ms, n);

		if (!why && so->nrewind)
			why = non_transactional_part(so->rewind, so->nrewind);

		if (why)
		{
			st->kind = PGW_SANDBOX_LOCAL;
			st->pushed = true;
			st->pushed_why = pgw_asprintf("%s cannot run inside a transaction", why);
			free(why);
			if (!out_is_json())
				out_note("not testable in a transaction (%s): trying it in a local sandbox",
						 st->pushed_why);
		}
	}
	if (st->kind == PGW_SANDBOX_TX && so->with_data)
		return pgw_error(PGW_ERR_USAGE, "--with-data needs a local sandbox, and PostgreSQL's binaries "
						 "are not here");
	st->with_data = st->kind == PGW_SANDBOX_LOCAL ? so->with_data : 0;
	if (keep && keep->open && st->kind == PGW_SANDBOX_LOCAL)
	{
		sb = &keep->sb;
		st->reused = true;
		st->cached = true;
	}
	else
	{
		if (keep && keep->open)
			safety_keep_close(keep);
		if (st->kind == PGW_SANDBOX_LOCAL && !out_is_json())
			out_note("preparing the sandbox…");
		if (sandbox_open(sb, st->kind, &ctx->cfg, conn, ctx->target.conninfo,
						 ctx->cfg.lock_timeout_ms, st->with_data) != 0)
			return -1;
		st->cached = sb->cached;
		st->open_ms = sb->open_ms;
	}
	safety_catalog_opts(ctx, &co);
	rc = 0;
	if (so->nrewind && !st->reused)
	{
		/* back to the schema before the migrations already applied (a
		 * sandbox kept from safety_derive_run is there already) */
		rc = trial_rewind(sb->conn, st->kind == PGW_SANDBOX_TX, so->rewind, so->nrewind);
		st->rewound = rc == 0;
	}
	if (rc == 0)
		rc = trial_run(&st->t, sb->conn, st->kind == PGW_SANDBOX_TX, ms, n, &co);
	if (keep && !so->nrewind && st->kind == PGW_SANDBOX_LOCAL && rc == 0 && st->t.restored)
	{
		/*
		 * Keep it for the next migration of the batch — only when the
		 * rollback brought it back to the target's state exactly.
		 */
		if (sb == &local_sb)
			keep->sb = local_sb;
		keep->open = true;
		keep->trials++;
	}
	else
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		sandbox_close(sb);
		if (keep && sb == &keep->sb)
			keep->open = false;
		pgw_error_restore(&saved);
	}
	st->total_ms = pgw_now_ms() - t0;
	if (rc != 0)
		return -1;
	st->ran = true;

	if (st->t.up_ok)
	{
		struct pgw_diff d;
		struct pgw_diff_opts o = {0};

		o.unsafe = true;
		diff_init(&d);
		if (diff_models(&st->t.m_before, &st->t.m_after, &o, &d) == 0)
			trial_describe(&d, &st->words, &st->groups);
		else
		{
			buf_append(&st->words, "(the change could not be described: ");
			buf_append(&st->words, pgw_error_last()->message);
			buf_append(&st->words, ")");
			pgw_error_clear();
		}
		diff_release(&d);
	}
	if (st->t.untestable)
		verdict(st, "migration.untestable", NULL, 0, st->t.untestable_why, NULL,
				"--sandbox local tries it in a private copy of the schema");
	else if (!st->t.up_ok)
	{
		char	   *m = pgw_asprintf("'%s' fails in the sandbox at line %d: %s", st->t.fail_file,
									 st->t.fail_line, st->t.fail_message);
		char	   *d = pgw_asprintf("SQLSTATE %s", st->t.fail_sqlstate);

		verdict(st, "migration.failed", st->t.fail_file, st->t.fail_line, m, d, NULL);
		free(m);
		free(d);
	}
	else if (!st->t.has_rollback)
	{
		for (size_t i = 0; i < n; i++)
			if (!migration_has_rollback(ms[i]))
			{
				char	   *m = pgw_asprintf("'%s' has no rollback", ms[i]->up.name);
				char	   *h = pgw_asprintf("write %.*s_rollback.sql, or a '%s' section; or let "
											 "'pgwarden test-migration %s --write-rollback' derive one and "
											 "verify it", (int) (strlen(ms[i]->up.name) - 4), ms[i]->up.name,
											 PGW_DOWN_MARKER, ms[i]->up.name);

				verdict(st, "migration.no_rollback", ms[i]->up.name, 1, m, NULL, h);
				free(m);
				free(h);
			}
	}
	else if (!st->t.down_ok)
	{
		char	   *m = pgw_asprintf("the rollback '%s' fails in the sandbox at line %d: %s",
									 st->t.fail_file, st->t.fail_line, st->t.fail_message);
		char	   *d = pgw_asprintf("SQLSTATE %s", st->t.fail_sqlstate);

		verdict(st, "migration.rollback_failed", st->t.fail_file, st->t.fail_line, m, d, NULL);
		free(m);
		free(d);
	}
	else if (!st->t.restored)
	{
		struct pgw_diff d;
		struct pgw_diff_opts o = {0};
		char	   *m,
				   *det;

		o.unsafe = true;
		diff_init(&d);
		if (diff_models(&st->t.m_before, &st->t.m_after_down, &o, &d) == 0)
			trial_describe(&d, &st->residue, &st->residue_groups);
		else
			pgw_error_clear();
		diff_release(&d);
		if (!st->residue_groups || json_array_size(st->residue_groups) == 0)
		{
			buf_reset(&st->residue);
			buf_append(&st->residue, "a difference outside the managed objects");
		}
		const struct pgw_migration *empty = NULL;
		char	   *h;

		for (size_t i = 0; i < n && !empty; i++)
			if (migration_rollback_is_empty(ms[i]))
				empty = ms[i];
		m = pgw_asprintf("the rollback does not restore the schema: after up and down, %s%s%s%s",
						 st->residue.data, empty ? " ('" : "", empty ? empty->file : "",
						 empty ? "' has an empty rollback)" : "");
		det = json_array_size(st->residue_groups) ? NULL : text_first_difference(st->t.before, st->t.after_down, "before", "after the rollback");
		h = empty ? pgw_asprintf("write its statements, or let 'pgwarden test-migration %s --write-rollback' "
								 "derive them and verify them", empty->path) :
			pgw_strdup("make the rollback undo every change of the migration");
		verdict(st, "migration.rollback_incomplete", NULL, 0, m, det, h);
		free(h);
		free(m);
		free(det);
	}
	st->passed = st->t.up_ok && st->t.has_rollback && st->t.down_ok && st->t.restored &&
		!st->t.untestable;
	return 0;
}

int
safety_derive_run(struct pgw_ctx *ctx, PGconn *conn, const struct safety_opts *so,
				  struct pgw_migration *const *ms, size_t n, struct pgw_derived *d,
				  enum pgw_sandbox_kind *kind, struct safety_keep *keep)
{
	struct pgw_sandbox_db sb;
	struct pgw_catalog_opts co;
	struct pgw_err saved;
	bool		local_ok = sandbox_local_available(&ctx->cfg);
	bool		restored = false;
	int			rc = 0;

	if (so->kind)
		*kind = strcmp(so->kind, "tx") == 0 ? PGW_SANDBOX_TX : PGW_SANDBOX_LOCAL;
	else
		*kind = local_ok ? PGW_SANDBOX_LOCAL : PGW_SANDBOX_TX;
	if (*kind == PGW_SANDBOX_TX && local_ok)
	{
		char	   *why = non_transactional_part(ms, n);

		if (!why && so->nrewind)
			why = non_transactional_part(so->rewind, so->nrewind);
		if (why)
			*kind = PGW_SANDBOX_LOCAL;
		free(why);
	}
	if (*kind == PGW_SANDBOX_TX && so->with_data)
		return pgw_error(PGW_ERR_USAGE, "--with-data needs a local sandbox, and PostgreSQL's binaries "
						 "are not here");
	if (*kind == PGW_SANDBOX_LOCAL && !out_is_json())
		out_note("deriving the rollback%s in a sandbox…", n == 1 ? "" : "s");
	if (sandbox_open(&sb, *kind, &ctx->cfg, conn, ctx->target.conninfo, ctx->cfg.lock_timeout_ms,
					 *kind == PGW_SANDBOX_LOCAL ? so->with_data : 0) != 0)
		return -1;
	safety_catalog_opts(ctx, &co);
	if (so->nrewind)
		rc = trial_rewind(sb.conn, *kind == PGW_SANDBOX_TX, so->rewind, so->nrewind);
	if (rc == 0)
		rc = trial_derive(sb.conn, *kind == PGW_SANDBOX_TX, ms, n, &co, d, &restored);
	if (keep && rc == 0 && restored && *kind == PGW_SANDBOX_LOCAL)
	{
		keep->sb = sb;
		keep->open = true;
		keep->trials++;
		return 0;
	}
	pgw_error_save(&saved);
	sandbox_close(&sb);
	pgw_error_restore(&saved);
	return rc;
}

void
safety_trial_release(struct safety_trial *st)
{
	trial_release(&st->t);
	buf_release(&st->words);
	buf_release(&st->residue);
	json_decref(st->groups);
	json_decref(st->residue_groups);
	findings_release(&st->findings);
	findings_release(&st->lint);
	free(st->pushed_why);
	memset(st, 0, sizeof(*st));
}

void
safety_keep_advance(struct safety_keep *k, const struct pgw_migration *m)
{
	if (!k->open)
		return;
	if (trial_apply(k->sb.conn, m) != 0)
	{
		/* out of step with the target: the next trial starts afresh */
		pgw_error_clear();
		safety_keep_close(k);
	}
}

void
safety_keep_close(struct safety_keep *k)
{
	if (k->open)
		sandbox_close(&k->sb);
	k->open = false;
}

size_t
safety_lint(struct pgw_ctx *ctx, const struct pgw_migration *m, struct pgw_findings *out,
			const struct pgw_strlist *allow)
{
	struct pgw_plan p;
	struct pgw_lint_options lo;
	struct pgw_findings f;
	int			end_line = 1 << 30,
				col;
	size_t		errors = 0;

	if (runner_plan_migration(&p, m, false) != 0)
	{
		pgw_error_clear();
		runner_plan_release(&p);
		return 0;
	}
	memset(&lo, 0, sizeof(lo));
	lo.exposed_schemas = &ctx->cfg.exposed_schemas;
	lo.ignore = &ctx->cfg.ignore;
	if (m->inline_down)
		sqlfile_position(p.f, m->up_end, &end_line, &col);
	findings_init(&f);
	lint_script(&p.s, &lo, &f);
	if (allow && allow->n)
		findings_suppress(&f, (const char *const *) allow->items, allow->n);
	for (size_t i = 0; i < f.n; i++)
	{
		const struct pgw_finding *x = &f.items[i];
		struct pgw_finding *y;

		if (x->suppressed || x->line >= end_line)
			continue;
		if (x->severity == PGW_SEV_ERROR)
			errors++;
		y = findings_copy(out, x);
		finding_set_location(out, y, x->file ? x->file : m->up.name, x->line, x->column);
	}
	findings_release(&f);
	runner_plan_release(&p);
	return errors;
}

void
safety_trial_json(const struct safety_trial *st, json_t *doc)
{
	json_t	   *sb = json_object();
	json_t	   *rb = json_object();
	json_t	   *summary = json_object();

	json_object_set_new(sb, "kind", json_string(st->kind == PGW_SANDBOX_LOCAL ? "local" : "tx"));
	if (st->pushed)
	{
		json_object_set_new(sb, "pushed_from", json_string("tx"));
		json_object_set_new(sb, "pushed_why", json_string(st->pushed_why));
	}
	json_object_set_new(sb, "reused", json_boolean(st->reused));
	json_object_set_new(sb, "with_data", json_integer(st->with_data));
	json_object_set_new(sb, "cached", json_boolean(st->cached));
	json_object_set_new(sb, "ready_ms", json_integer(st->open_ms));
	json_object_set_new(sb, "total_ms", json_integer(st->total_ms));
	json_object_set_new(doc, "sandbox", sb);
	json_object_set_new(doc, "changes", st->groups ? json_incref(st->groups) : json_array());
	json_object_set_new(doc, "statements", trial_statements_json(&st->t));
	json_object_set_new(rb, "present", json_boolean(st->t.has_rollback));
	json_object_set_new(rb, "ran", json_boolean(st->t.down_ok));
	json_object_set_new(rb, "restores", json_boolean(st->t.down_ok && st->t.restored));
	json_object_set_new(rb, "duration_ms", json_integer(st->t.down_ms));
	if (st->residue_groups)
		json_object_set_new(rb, "left_changed", json_incref(st->residue_groups));
	json_object_set_new(doc, "rollback", rb);
	json_object_set_new(doc, "findings", findings_to_json(&st->findings));
	json_object_set_new(doc, "lint", findings_to_json(&st->lint));
	json_object_set_new(summary, "passed", json_boolean(st->passed));
	json_object_set_new(summary, "applied", json_boolean(st->t.up_ok));
	json_object_set_new(summary, "changes", json_string(st->words.data ? st->words.data : ""));
	json_object_set_new(summary, "duration_ms", json_integer(st->t.up_ms));
	json_object_set_new(summary, "cached", json_boolean(st->cached));
	json_object_set_new(summary, "lint_findings", json_integer((json_int_t) st->lint.n));
	json_object_set_new(doc, "summary", summary);
}

void
safety_trial_print(const struct safety_trial *st, const char *indent)
{
	if (st->t.up_ok)
		out_printf("%schanges: %s (%lld ms)\n", indent, st->words.data, st->t.up_ms);
	for (size_t i = 0; i < st->t.nstmts; i++)
	{
		const struct pgw_trial_stmt *x = &st->t.stmts[i];

		out_printf("%s  %s%s:%d %s", indent, x->down ? "rollback " : "", x->file, x->line, x->tag);
		if (!x->observed)
			out_printf(" — locks not observed (outside a transaction)\n");
		else if (x->locks.n == 0)
			out_printf(" — no new relation locks\n");
		else
		{
			out_printf(" — ");
			for (size_t k = 0; k < x->locks.n; k++)
				out_printf("%s%s", k ? ", " : "", x->locks.items[k]);
			out_printf("\n");
		}
	}
	if (st->t.up_ok && st->t.has_rollback && st->t.down_ok)
		out_printf("%srollback: %s (%lld ms)\n", indent,
				   st->t.restored ? "restores the schema exactly" : "does NOT restore the schema",
				   st->t.down_ms);
}
