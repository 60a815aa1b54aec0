/*
 * run.c — runs a decided deploy plan, verifies the result against the
 * phase files, and turns results into the log's JSON.
 *
 * Transactions (--tx):
 *   phase      one transaction per phase, a savepoint per statement: a failed
 *              statement rolls back to its savepoint and is recorded; the
 *              phase then rolls back as a whole (its applied statements are
 *              logged rolled_back) unless continue_on_error, which keeps
 *              the others and commits;
 *   statement  one transaction per statement;
 *   none       autocommit.
 * A phase holding a statement that cannot run in a transaction block
 * (CREATE INDEX CONCURRENTLY, ...) runs statement by statement, as the
 * migration runner runs such a file.  A lock timeout (55P03), deadlock
 * (40P01) or serialization failure (40001) is retried after 0.5 s, 1 s, ...
 * (at most 8 s), retries times, as the runner does.
 *
 * Fault point (PGWARDEN_FAULT): deploy:after-statement fails the statement
 * after the first applied one of a run, as a server error would.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "db/query.h"
#include "deploy/deploy.h"
#include "diff/diff.h"
#include "migrate/sandbox.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/mem.h"

const char *
deploy_result_name(enum pgw_deploy_result r)
{
	switch (r)
	{
		case PGW_DEPLOY_PENDING: return "not_run";
		case PGW_DEPLOY_APPLIED: return "applied";
		case PGW_DEPLOY_SKIPPED: return "skipped";
		case PGW_DEPLOY_AUTOFIXED: return "autofixed";
		case PGW_DEPLOY_FAILED: return "failed";
		case PGW_DEPLOY_ROLLED_BACK: return "rolled_back";
	}
	return "?";
}

const char *
deploy_tx_name(enum pgw_deploy_tx tx)
{
	return tx == PGW_DEPLOY_TX_PHASE ? "phase" : tx == PGW_DEPLOY_TX_STATEMENT ? "statement" : "none";
}

void
deploy_decide(const struct pgw_deploy_plan *p, const struct pgw_deploy_plan *folder,
			  const struct pgw_model *live, struct pgw_deploy_run *run)
{
	size_t		k = 0;

	memset(run, 0, sizeof(*run));
	deploy_collect_adds(folder ? folder : p, &run->adds);
	run->stmts = pgw_calloc(p->nstatements + 1, sizeof(*run->stmts));
	run->phases = pgw_calloc(p->nphases + 1, sizeof(*run->phases));
	run->nphases = p->nphases;
	for (size_t i = 0; i < p->nphases; i++)
	{
		run->phases[i].number = p->phases[i].number;
		for (size_t j = 0; j < p->phases[i].nfiles; j++)
		{
			struct pgw_deploy_file *f = &p->phases[i].files[j];

			for (size_t s = 0; s < f->s.nstmts; s++)
			{
				struct pgw_deploy_stmt *st = &run->stmts[k++];
				const struct pgw_sql_stmt *ss = &f->s.stmts[s];

				st->phase = p->phases[i].number;
				st->file = f;
				st->index = s;
				st->line = ss->line;
				st->column = ss->column;
				st->kind = ss->info.tag ? ss->info.tag : "?";
				st->text = pgw_strndup(f->f.text + ss->start, ss->end - ss->start);
				st->no_transaction = ss->info.no_transaction;
				st->probe_id = (int) k;
				deploy_autofix(live, &run->adds, f, s, st);
				if (st->fix == PGW_AF_PROBE)
					run->nprobes++;
			}
		}
	}
	run->nstmts = k;
}

void
deploy_run_release(struct pgw_deploy_run *run)
{
	for (size_t i = 0; i < run->nstmts; i++)
	{
		struct pgw_deploy_stmt *st = &run->stmts[i];

		free(st->object);
		free(st->text);
		free(st->fix_sql);
		free(st->fix_action);
		free(st->fix_reason);
		free(st->compare_sql);
		free(st->compare_with);
		free(st->probe_sql);
		free(st->probe_schema);
		free(st->probe_table);
		free(st->probe_name);
		free(st->fallback_sql);
		free(st->error);
		free(st->sqlstate);
	}
	free(run->stmts);
	free(run->phases);
	strlist_release(&run->adds);
	memset(run, 0, sizeof(*run));
}

/* Sends one command; on failure records its message and SQLSTATE in st
 * (when given) and returns the SQLSTATE class check's input. */
static int
send(PGconn *conn, const char *sql, struct pgw_deploy_stmt *st)
{
	PGresult   *res = PQexec(conn, sql);
	ExecStatusType s = PQresultStatus(res);

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY)
	{
		PQclear(res);
		return 0;
	}
	if (st)
	{
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

		free(st->error);
		free(st->sqlstate);
		st->error = pgw_strdup(msg ? msg : PQerrorMessage(conn));
		st->sqlstate = pgw_strdup(db_sqlstate(res));
	}
	PQclear(res);
	return -1;
}

static bool
retryable(const char *sqlstate)
{
	return sqlstate && (!strcmp(sqlstate, "55P03") || !strcmp(sqlstate, "40P01") || !strcmp(sqlstate, "40001"));
}

#define VIEW_CMP_SQL \
	"SELECT pg_catalog.pg_get_viewdef(('pg_temp.pgw_deploy_cmp_' || u.i)::pg_catalog.regclass)" \
	" = pg_catalog.pg_get_viewdef(u.w::pg_catalog.regclass)" \
	" FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int4[]), pg_catalog.unnest($2::pg_catalog.text[]))" \
	" WITH ORDINALITY AS u(i, w, o)" \
	" ORDER BY u.o"

/* Appends s to an array literal's element list, quoted. */
static void
array_elem(struct pgw_buf *b, const char *s)
{
	buf_append_char(b, b->len ? ',' : '{');
	buf_append_char(b, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			buf_append_char(b, '\\');
		buf_append_char(b, *s);
	}
	buf_append_char(b, '"');
}

/*
 * Compares the view statements stmts[from..to) (those with compare_sql)
 * with the live views in one round of queries: every file query made as a
 * temporary view (in a savepoint, or a transaction of its own), one query
 * comparing each pair of pg_get_viewdef() texts, rolled back either way.
 * Sets view_cmp (1 same, 2 differs) of each; leaves them 0 when the batch
 * cannot run (a view needs what a later statement makes): each is then
 * compared alone when its turn comes.
 */
static void
views_compare(PGconn *conn, struct pgw_deploy_stmt *stmts, size_t from, size_t to, bool in_tx)
{
	struct pgw_buf sql,
				ids,
				names;
	const char *params[2];
	size_t		n = 0;

	buf_init(&sql);
	buf_init(&ids);
	buf_init(&names);
	buf_append(&ids, "{");
	for (size_t s = from; s < to; s++)
		if (stmts[s].compare_sql)
		{
			buf_append(&sql, stmts[s].compare_sql);
			buf_append(&sql, "\n");
			buf_printf(&ids, "%s%d", n ? "," : "", stmts[s].probe_id);
			array_elem(&names, stmts[s].compare_with);
			n++;
		}
	buf_append(&ids, "}");
	buf_append(&names, names.len ? "}" : "{}");
	if (n > 0 && send(conn, in_tx ? "SAVEPOINT pgw_cmp" : "BEGIN", NULL) == 0)
	{
		if (send(conn, sql.data, NULL) == 0)
		{
			PGresult   *res;

			params[0] = ids.data;
			params[1] = names.data;
			res = PQexecParams(conn, VIEW_CMP_SQL, 2, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(res) == PGRES_TUPLES_OK && (size_t) PQntuples(res) == n)
			{
				int			r = 0;

				for (size_t s = from; s < to; s++)
					if (stmts[s].compare_sql)
						stmts[s].view_cmp = !strcmp(PQgetvalue(res, r++, 0), "t") ? 1 : 2;
			}
			PQclear(res);
		}
		send(conn, in_tx ? "ROLLBACK TO SAVEPOINT pgw_cmp" : "ROLLBACK", NULL);
		if (in_tx)
			send(conn, "RELEASE SAVEPOINT pgw_cmp", NULL);
	}
	buf_release(&sql);
	buf_release(&ids);
	buf_release(&names);
}

/* Whether a view statement's query gives the live view's definition: the
 * batch's answer while it holds, else compared alone. */
static bool
view_unchanged(PGconn *conn, struct pgw_deploy_stmt *st, bool in_tx)
{
	if (!st->view_cmp)
		views_compare(conn, st, 0, 1, in_tx);
	return st->view_cmp == 1;
}

/* Runs one statement (in a savepoint when in_tx), with retries.  Returns 0
 * applied, -1 failed (st has the error). */
static int
run_one(PGconn *conn, struct pgw_deploy_stmt *st, bool in_tx, bool own_tx, int retries, bool *fault_armed)
{
	const char *sql = st->fix == PGW_AF_REWRITE ? st->fix_sql : st->text;
	int			delay = 500;

	for (int attempt = 1;; attempt++)
	{
		int			rc;

		st->attempts = attempt;
		if (own_tx && send(conn, "BEGIN", st) != 0)
			return -1;
		if (in_tx && send(conn, "SAVEPOINT pgw_deploy", st) != 0)
			return -1;
		rc = send(conn, sql, st);
		if (rc == 0 && *fault_armed)
		{
			free(st->error);
			st->error = pgw_strdup("fault injected at deploy:after-statement");
			free(st->sqlstate);
			st->sqlstate = pgw_strdup("XX000");
			rc = -1;
		}
		if (rc == 0)
		{
			if (fault_active("deploy:after-statement"))
				*fault_armed = true;
			if (in_tx)
				send(conn, "RELEASE SAVEPOINT pgw_deploy", NULL);
			if (own_tx && send(conn, "COMMIT", st) != 0)
				return -1;
			return 0;
		}
		if (in_tx)
			send(conn, "ROLLBACK TO SAVEPOINT pgw_deploy", NULL);
		if (own_tx)
			send(conn, "ROLLBACK", NULL);
		if (!retryable(st->sqlstate) || attempt > retries)
			return -1;
		usleep((useconds_t) delay * 1000);
		delay = delay * 2 > 8000 ? 8000 : delay * 2;
	}
}

int
deploy_execute(PGconn *conn, const struct pgw_deploy_plan *p, struct pgw_deploy_run *run,
			   enum pgw_deploy_tx tx, bool continue_on_error, int retries,
			   const struct pgw_deploy_events *ev)
{
	size_t		k = 0;
	bool		fault_armed = false;
	const struct pgw_deploy_stmt *first_fail = NULL;

	run->ok = true;
	for (size_t i = 0; i < p->nphases; i++)
	{
		struct pgw_deploy_phase_result *pr = &run->phases[i];
		size_t		first = k,
					last = k;
		enum pgw_deploy_tx mode = tx;
		bool		failed = false,
					views_batched = false;
		int64_t		t0 = pgw_now_ms();

		while (last < run->nstmts && run->stmts[last].phase == pr->number)
			last++;
		k = last;
		for (size_t s = first; s < last; s++)
			if (run->stmts[s].no_transaction && mode == PGW_DEPLOY_TX_PHASE)
				mode = PGW_DEPLOY_TX_STATEMENT;
		pr->tx = mode;
		if (ev && ev->phase_start)
			ev->phase_start(ev->arg, pr->number, last - first, mode);
		if (mode == PGW_DEPLOY_TX_PHASE && send(conn, "BEGIN", NULL) != 0)
			return db_error_from(conn, NULL, PGW_ERR_APPLY, "cannot begin the phase's transaction");
		for (size_t s = first; s < last; s++)
		{
			struct pgw_deploy_stmt *st = &run->stmts[s];
			int64_t		s0;

			if (failed && !continue_on_error)
				break;
			if (st->fix == PGW_AF_SKIP)
			{
				st->result = PGW_DEPLOY_SKIPPED;
				if (ev && ev->statement)
					ev->statement(ev->arg, st);
				continue;
			}
			if (st->fix == PGW_AF_REFUSE || st->fix == PGW_AF_PROBE)
			{
				/* a probe left unsettled cannot happen (deploy_probe runs
				 * first); refused rather than run blind */
				st->result = PGW_DEPLOY_FAILED;
				st->error = pgw_strdup(st->fix_reason);
				failed = true;
				if (!first_fail)
					first_fail = st;
				if (ev && ev->statement)
					ev->statement(ev->arg, st);
				continue;
			}
			if (st->compare_sql && !views_batched)
			{
				/* every view of the phase in one round; the answers hold
				 * until a statement changes something */
				views_compare(conn, run->stmts, s, last, mode == PGW_DEPLOY_TX_PHASE);
				views_batched = true;
			}
			if (st->compare_sql && view_unchanged(conn, st, mode == PGW_DEPLOY_TX_PHASE))
			{
				st->fix = PGW_AF_SKIP;
				free(st->fix_action);
				st->fix_action = pgw_strdup("skip");
				free(st->fix_reason);
				st->fix_reason = pgw_asprintf("view %s exists with the same definition", st->object);
				st->result = PGW_DEPLOY_SKIPPED;
				if (ev && ev->statement)
					ev->statement(ev->arg, st);
				continue;
			}
			s0 = pgw_now_ms();
			if (run_one(conn, st, mode == PGW_DEPLOY_TX_PHASE, mode == PGW_DEPLOY_TX_STATEMENT && !st->no_transaction,
						retries, &fault_armed) == 0)
				st->result = st->fix == PGW_AF_REWRITE ? PGW_DEPLOY_AUTOFIXED : PGW_DEPLOY_APPLIED;
			else
			{
				st->result = PGW_DEPLOY_FAILED;
				failed = true;
				if (!first_fail)
					first_fail = st;
			}
			st->duration_ms = pgw_now_ms() - s0;
			for (size_t t = s + 1; t < last; t++)
				run->stmts[t].view_cmp = 0;
			if (ev && ev->statement)
				ev->statement(ev->arg, st);
		}
		if (mode == PGW_DEPLOY_TX_PHASE)
		{
			if (failed && !continue_on_error)
			{
				send(conn, "ROLLBACK", NULL);
				pr->rolled_back = true;
				for (size_t s = first; s < last; s++)
					if (run->stmts[s].result == PGW_DEPLOY_APPLIED || run->stmts[s].result == PGW_DEPLOY_AUTOFIXED)
						run->stmts[s].result = PGW_DEPLOY_ROLLED_BACK;
			}
			else if (send(conn, "COMMIT", NULL) != 0)
			{
				failed = true;
				pr->rolled_back = true;
			}
		}
		for (size_t s = first; s < last; s++)
			pr->counts[run->stmts[s].result]++;
		pr->ok = !failed;
		pr->duration_ms = pgw_now_ms() - t0;
		if (ev && ev->phase_end)
			ev->phase_end(ev->arg, pr);
		if (failed)
		{
			run->ok = false;
			if (!continue_on_error)
				break;
		}
	}
	if (!run->ok)
	{
		if (first_fail)
		{
			pgw_error(PGW_ERR_APPLY, "phase %d failed at '%s' line %d", first_fail->phase,
					  first_fail->file->name, first_fail->line);
			pgw_error_detail("%s:%d:%d: %s%s%s%s", first_fail->file->name, first_fail->line, first_fail->column,
							 first_fail->error ? first_fail->error : "failed",
							 first_fail->sqlstate ? " (SQLSTATE " : "",
							 first_fail->sqlstate ? first_fail->sqlstate : "",
							 first_fail->sqlstate ? ")" : "");
			if (continue_on_error)
				pgw_error_hint("--continue-on-error: the other statements were kept; the log lists what did not apply");
			else if (tx == PGW_DEPLOY_TX_PHASE)
				pgw_error_hint("the phase was rolled back; later phases did not run");
			else
				pgw_error_hint("statements before it stay applied; later ones did not run");
		}
		else
			pgw_error(PGW_ERR_APPLY, "a phase could not be committed");
		return -1;
	}
	return 0;
}

/* Loads phases up to upto (0: all) into conn, statement by statement. */
static int
load_files(PGconn *conn, const struct pgw_deploy_plan *p)
{
	for (size_t i = 0; i < p->nphases; i++)
		for (size_t j = 0; j < p->phases[i].nfiles; j++)
		{
			const struct pgw_deploy_file *f = &p->phases[i].files[j];

			for (size_t s = 0; s < f->s.nstmts; s++)
			{
				const struct pgw_sql_stmt *ss = &f->s.stmts[s];
				char	   *sql = pgw_strndup(f->f.text + ss->start, ss->end - ss->start);
				PGresult   *res = PQexec(conn, sql);

				free(sql);
				if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
				{
					db_error_from(conn, res, PGW_ERR_INPUT, "the phase files do not load into an empty database");
					pgw_error_detail("%s:%d:%d: %s", f->name, ss->line, ss->column,
									 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
									 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "failed");
					pgw_error_hint("verification loads every phase in order into an empty sandbox database: a phase must not depend on objects no phase creates");
					PQclear(res);
					return -1;
				}
				PQclear(res);
			}
		}
	return 0;
}

static int
read_model(PGconn *conn, const struct pgw_config *cfg, struct pgw_model *m)
{
	struct pgw_catalog_opts co = {0};

	co.stable = true;
	co.managed = &cfg->schemas;
	co.tenant_column = cfg->tenant_column;
	model_init(m);
	return catalog_read(&conn, 1, &co, m, NULL);
}

int
deploy_verify(const struct pgw_config *cfg, PGconn *conn, const char *dir, int upto,
			  const struct pgw_strlist *order, struct pgw_deploy_verify *v)
{
	struct pgw_deploy_plan all;
	struct pgw_sandbox_db sb;
	struct pgw_model want,
				have;
	struct pgw_diff d;
	struct pgw_diff_opts o = {0};
	int64_t		t0 = pgw_now_ms();
	int			rc = -1;

	memset(v, 0, sizeof(*v));
	memset(&sb, 0, sizeof(sb));
	if (deploy_plan_load(&all, dir, 0, order, cfg) != 0)
	{
		deploy_plan_release(&all);
		return -1;
	}
	/* phases after upto are not part of what is checked */
	if (upto > 0)
		while (all.nphases > 0 && all.phases[all.nphases - 1].number > upto)
		{
			struct pgw_deploy_phase *ph = &all.phases[all.nphases - 1];

			for (size_t j = 0; j < ph->nfiles; j++)
			{
				sql_script_release(&ph->files[j].s);
				sqlfile_release(&ph->files[j].f);
				free(ph->files[j].path);
				free(ph->files[j].name);
			}
			free(ph->files);
			free(ph->dir);
			all.nphases--;
		}
	if (sandbox_open_empty(&sb, cfg, conn, "deploy") != 0)
	{
		deploy_plan_release(&all);
		return -1;
	}
	model_init(&want);
	model_init(&have);
	diff_init(&d);
	if (load_files(sb.conn, &all) != 0)
		goto done;
	model_release(&want);
	if (read_model(sb.conn, cfg, &want) != 0)
		goto done;
	model_release(&have);
	if (read_model(conn, cfg, &have) != 0)
		goto done;
	o.unsafe = true;
	if (diff_models(&have, &want, &o, &d) != 0)
		goto done;
	v->items = pgw_calloc(d.changes.n + 1, sizeof(*v->items));
	for (size_t i = 0; i < d.changes.n; i++)
	{
		const struct pgw_change *c = d.changes.items[i];
		struct pgw_deploy_drift *x;

		/* privileges and database-wide objects depend on what the target
		 * had before (default privileges, Supabase's publication), which
		 * an empty sandbox cannot hold: not drift of the phase files */
		if (!strcmp(c->action, "grant") || !strcmp(c->action, "revoke") ||
			c->kind == PGW_KIND_PUBLICATION || c->kind == PGW_KIND_EVENT_TRIGGER ||
			c->kind == PGW_KIND_DEFAULT_ACL)
			continue;
		x = &v->items[v->n++];

		if (!strcmp(c->action, "create"))
			x->state = "missing", v->missing++;
		else if (!strcmp(c->action, "drop"))
			x->state = "extra", v->extra++;
		else
			x->state = "different", v->different++;
		x->kind = pgw_strdup(model_kind_name(c->kind));
		x->object = c->sub ? pgw_asprintf("%s%s%s.%s", c->schema ? c->schema : "", c->schema ? "." : "", c->name, c->sub)
			: pgw_asprintf("%s%s%s", c->schema ? c->schema : "", c->schema ? "." : "", c->name);
		x->summary = pgw_strdup(c->summary);
		x->sql = pgw_strdup(c->sql);
	}
	rc = 0;
done:
	diff_release(&d);
	model_release(&want);
	model_release(&have);
	sandbox_close(&sb);
	deploy_plan_release(&all);
	v->duration_ms = pgw_now_ms() - t0;
	return rc;
}

void
deploy_verify_release(struct pgw_deploy_verify *v)
{
	for (size_t i = 0; i < v->n; i++)
	{
		free(v->items[i].kind);
		free(v->items[i].object);
		free(v->items[i].summary);
		free(v->items[i].sql);
	}
	free(v->items);
	memset(v, 0, sizeof(*v));
}

json_t *
deploy_stmt_json(const struct pgw_deploy_stmt *st)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "phase", json_integer(st->phase));
	json_object_set_new(o, "file", json_string(st->file->name));
	json_object_set_new(o, "line", json_integer(st->line));
	json_object_set_new(o, "column", json_integer(st->column));
	json_object_set_new(o, "kind", json_string(st->kind));
	json_object_set_new(o, "object", st->object ? json_string(st->object) : json_null());
	json_object_set_new(o, "result", json_string(deploy_result_name(st->result)));
	if (st->fix != PGW_AF_RUN)
	{
		json_t	   *a = json_object();

		json_object_set_new(a, "action", json_string(st->fix_action ? st->fix_action : "?"));
		json_object_set_new(a, "reason", json_string(st->fix_reason ? st->fix_reason : ""));
		json_object_set_new(a, "original", json_string(st->text));
		json_object_set_new(a, "instead", st->fix_sql ? json_string(st->fix_sql) : json_null());
		json_object_set_new(o, "autofix", a);
	}
	else
		json_object_set_new(o, "autofix", json_null());
	json_object_set_new(o, "duration_ms", json_integer(st->duration_ms));
	json_object_set_new(o, "attempts", json_integer(st->attempts));
	if (st->error)
		json_object_set_new(o, "error", json_pack("{s:s, s:s?}", "message", st->error, "sqlstate",
												  st->sqlstate && *st->sqlstate ? st->sqlstate : NULL));
	else
		json_object_set_new(o, "error", json_null());
	return o;
}

json_t *
deploy_summary_json(const struct pgw_deploy_run *run)
{
	int			c[6] = {0};
	int			probed = 0;

	for (size_t i = 0; i < run->nstmts; i++)
	{
		c[run->stmts[i].result]++;
		probed += run->stmts[i].probed;
	}
	return json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
					 "statements", (json_int_t) run->nstmts, "compared_on_server", probed,
					 "applied", c[PGW_DEPLOY_APPLIED], "skipped", c[PGW_DEPLOY_SKIPPED],
					 "autofixed", c[PGW_DEPLOY_AUTOFIXED], "failed", c[PGW_DEPLOY_FAILED],
					 "rolled_back", c[PGW_DEPLOY_ROLLED_BACK], "not_run", c[PGW_DEPLOY_PENDING]);
}
