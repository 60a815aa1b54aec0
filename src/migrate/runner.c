/*
 * runner.c — the migration runner (migrate/runner.h): session setup, the
 * advisory lock, plans, and running them in a transaction or statement by
 * statement with retries, history rows and clean-up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/query.h"
#include "migrate/runner.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/sha256.h"

/* pg_advisory_lock(bigint) key: "pgwdmigr"; pg_locks shows it as classid
 * (high half), objid (low half), objsubid 1. */
#define LOCK_KEY		"8099573728065185650"
#define LOCK_CLASSID	"1885828964"
#define LOCK_OBJID		"1835624306"

#define BACKOFF_FIRST_MS	500
#define BACKOFF_MAX_MS		8000

const char *
runner_txmode_name(enum pgw_txmode mode)
{
	switch (mode)
	{
		case PGW_TXMODE_TRANSACTION:
			return "transaction";
		case PGW_TXMODE_BATCH:
			return "batch";
		case PGW_TXMODE_STATEMENTS:
			return "statements";
		case PGW_TXMODE_FILE:
			return "file";
	}
	return "?";
}


/* Runs fixed SQL, ignoring the result (ROLLBACK after a failure, ...). */
static void
exec_quiet(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);

	PQclear(res);
}

/* --- session and lock ------------------------------------------------- */

static int
apply_settings(struct pgw_runner *r)
{
	char		lt[32],
				st[32];
	const char *p[2] = {lt, st};
	PGresult   *res;

	snprintf(lt, sizeof(lt), "%dms", r->lock_timeout_ms);
	snprintf(st, sizeof(st), "%dms", r->statement_timeout_ms);
	res = db_exec(r->conn, PGW_ERR_CONNECT, "cannot set up the migration session",
				  "SELECT pg_catalog.set_config('lock_timeout', $1, false),"
				  " pg_catalog.set_config('statement_timeout', $2, false),"
				  " pg_catalog.set_config('application_name', 'pgwarden migrate', false),"
				  " pg_catalog.pg_backend_pid()",
				  2, p, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	r->pid = atoi(PQgetvalue(res, 0, 3));
	PQclear(res);
	return 0;
}

/* Server notices (RAISE NOTICE in a migration, ...) go through the events,
 * so the command shows them its way (and through the secret filter). */
static void
notice_processor(void *arg, const char *message)
{
	struct pgw_runner *r = arg;
	size_t		len = strlen(message);
	char	   *msg;

	if (!r->ev.note)
		return;
	while (len > 0 && message[len - 1] == '\n')
		len--;
	msg = pgw_strndup(message, len);
	r->ev.note(r->ev.arg, "server", msg);
	free(msg);
}

int
runner_open(struct pgw_runner *r, PGconn *conn, const char *conninfo,
			const struct pgw_config *cfg, int lock_wait_s, bool supabase)
{
	memset(r, 0, sizeof(*r));
	r->conn = conn;
	r->conninfo = conninfo;
	r->lock_timeout_ms = cfg->lock_timeout_ms;
	r->statement_timeout_ms = cfg->statement_timeout_ms;
	r->retries = cfg->lock_retries;
	r->lock_wait_s = lock_wait_s;
	r->supabase = supabase;
	PQsetNoticeProcessor(conn, notice_processor, r);
	return apply_settings(r);
}

/* The holder of the migration lock: pid and a description, or 0. */
static int
lock_holder(struct pgw_runner *r, struct pgw_buf *who)
{
	PGresult   *res = PQexec(r->conn,
							 "SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),"
							 " coalesce(a.client_addr::text, 'local socket'),"
							 " coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '')"
							 " FROM pg_catalog.pg_locks l"
							 " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
							 " WHERE l.locktype = 'advisory' AND l.classid = " LOCK_CLASSID
							 " AND l.objid = " LOCK_OBJID " AND l.objsubid = 1 AND l.granted"
							 " AND l.database = (SELECT oid FROM pg_catalog.pg_database"
							 " WHERE datname = pg_catalog.current_database())");
	int			pid = 0;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
	{
		pid = atoi(PQgetvalue(res, 0, 0));
		buf_printf(who, "pid %d", pid);
		if (*PQgetvalue(res, 0, 1))
			buf_printf(who, ", application '%s'", PQgetvalue(res, 0, 1));
		if (*PQgetvalue(res, 0, 2))
			buf_printf(who, ", role '%s'", PQgetvalue(res, 0, 2));
		buf_printf(who, ", from %s", PQgetvalue(res, 0, 3));
		if (*PQgetvalue(res, 0, 4))
			buf_printf(who, ", connected since %s", PQgetvalue(res, 0, 4));
	}
	PQclear(res);
	return pid;
}

/*
 * After taking the lock, make sure it means something.  Behind a
 * transaction pooler (PgBouncer pool_mode = transaction, Supabase's port
 * 6543) the server backend is handed to other clients between
 * transactions, so a session lock protects nothing.  Two signs, either
 * enough: a later statement runs in another backend or does not see the
 * lock; or a second connection made the same way lands in our backend
 * (impossible with a direct or session-pooled connection, where a backend
 * serves one client; a transaction pooler hands the idle backend out).
 */
static int
check_session(struct pgw_runner *r)
{
	PGresult   *res = PQexec(r->conn,
							 "SELECT pg_catalog.pg_backend_pid(), EXISTS (SELECT FROM pg_catalog.pg_locks"
							 " WHERE locktype = 'advisory' AND classid = " LOCK_CLASSID
							 " AND objid = " LOCK_OBJID " AND objsubid = 1 AND granted"
							 " AND pid = pg_catalog.pg_backend_pid())");
	bool		same;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		db_error_from(r->conn, res, PGW_ERR_CONNECT, "cannot check the migration lock");
		PQclear(res);
		return -1;
	}
	same = atoi(PQgetvalue(res, 0, 0)) == r->pid && strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (same && r->conninfo)
	{
		PGconn	   *other = PQconnectdb(r->conninfo);

		if (PQstatus(other) == CONNECTION_OK)
		{
			res = PQexec(other, "SELECT pg_catalog.pg_backend_pid()");
			if (PQresultStatus(res) == PGRES_TUPLES_OK && atoi(PQgetvalue(res, 0, 0)) == r->pid)
				same = false;
			PQclear(res);
		}
		PQfinish(other);
	}
	if (!same)
	{
		pgw_error(PGW_ERR_CONNECT, "the connection goes through a transaction pooler: the migration lock would not hold");
		pgw_error_detail("server backend %d, which holds the migration lock, also answered another "
						 "connection (or the next statement ran elsewhere): the pooler hands it out "
						 "between transactions, as PgBouncer does in pool_mode = transaction", r->pid);
		pgw_error_hint("connect directly to PostgreSQL (port 5432) or through a session-mode pooler; "
					   "on Supabase use the direct connection string, not port 6543");
		return -1;
	}
	return 0;
}

int
runner_lock(struct pgw_runner *r)
{
	PGresult   *res;
	struct pgw_buf who;
	int			holder;
	char		wait[32] = "";

	res = PQexec(r->conn, "SELECT pg_catalog.pg_try_advisory_lock(" LOCK_KEY ")");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		db_error_from(r->conn, res, PGW_ERR_CONNECT, "cannot take the migration lock");
		PQclear(res);
		return -1;
	}
	r->locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	buf_init(&who);
	if (!r->locked && r->lock_wait_s > 0)
	{
		long long	deadline = pgw_now_ms() + (long long) r->lock_wait_s * 1000;
		int			pause = 50;

		holder = lock_holder(r, &who);
		if (r->ev.waiting)
			r->ev.waiting(r->ev.arg, holder, r->lock_wait_s);

		/*
		 * Poll instead of pg_advisory_lock(): a backend waiting inside a
		 * statement holds a snapshot, and CREATE INDEX CONCURRENTLY in the
		 * holder's migration waits for every such snapshot to go — the two
		 * would wait for each other until the deadlock detector kills one.
		 */
		while (!r->locked && pgw_now_ms() < deadline)
		{
			if (interrupt_sleep_ms(pause) != 0)
			{
				buf_release(&who);
				return interrupt_check();
			}
			if (pause < 500)
				pause *= 2;
			res = PQexec(r->conn, "SELECT pg_catalog.pg_try_advisory_lock(" LOCK_KEY ")");
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				db_error_from(r->conn, res, PGW_ERR_CONNECT, "cannot take the migration lock");
				PQclear(res);
				buf_release(&who);
				return -1;
			}
			r->locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
			PQclear(res);
		}
		snprintf(wait, sizeof(wait), "%ds", r->lock_wait_s);
	}
	if (!r->locked)
	{
		buf_reset(&who);
		holder = lock_holder(r, &who);
		pgw_error(PGW_ERR_CONNECT, "another migration run holds the migration lock%s%s",
				  r->lock_wait_s > 0 ? " after waiting " : "",
				  r->lock_wait_s > 0 ? wait : "");
		if (holder)
			pgw_error_detail("held by %s", who.data);
		else
			pgw_error_detail("the holder finished while we looked: run the command again");
		pgw_error_hint("wait for that run to finish (or give --lock-wait SECONDS); "
					   "if it is stuck, pg_terminate_backend(%d) releases the lock", holder);
		buf_release(&who);
		return -1;
	}
	buf_release(&who);
	return check_session(r);
}

void
runner_close(struct pgw_runner *r)
{
	if (r->locked && PQstatus(r->conn) == CONNECTION_OK)
	{
		if (PQtransactionStatus(r->conn) != PQTRANS_IDLE)
			exec_quiet(r->conn, "ROLLBACK");
		exec_quiet(r->conn, "SELECT pg_catalog.pg_advisory_unlock(" LOCK_KEY ")");
	}
	r->locked = false;
}

/* --- plans ------------------------------------------------------------ */

void
runner_plan_release(struct pgw_plan *p)
{
	if (p->loaded)
		sql_script_release(&p->s);
	free(p->stmts);
	memset(p, 0, sizeof(*p));
}

/* Parses f and keeps the statements in [start, end); decides the mode. */
static int
plan_range(struct pgw_plan *p, const char *name, const struct pgw_sql_file *f,
		   size_t start, size_t end)
{
	size_t		i,
				ntx = 0;
	const struct pgw_sql_stmt *first_tx = NULL,
			   *notx = NULL;

	p->name = name;
	p->f = f;
	sql_script_init(&p->s, f);
	p->loaded = true;
	sql_script_load(&p->s, f);
	for (i = 0; i < p->s.ndiags; i++)
	{
		const struct pgw_sql_diag *d = &p->s.diags[i];

		if (d->offset < start || d->offset >= end)
			continue;
		pgw_error(PGW_ERR_INPUT, "%s:%d:%d: %s", name, d->line, d->column, d->message);
		if (d->hint)
			pgw_error_hint("%s", d->hint);
		else
			pgw_error_hint("fix the SQL (pgwarden lint %s shows every problem); nothing was run", name);
		return -1;
	}
	p->stmts = pgw_malloc((p->s.nstmts ? p->s.nstmts : 1) * sizeof(size_t));
	for (i = 0; i < p->s.nstmts; i++)
	{
		const struct pgw_sql_stmt *st = &p->s.stmts[i];

		if (st->start < start || st->start >= end)
			continue;
		p->stmts[p->n++] = i;
		if (st->info.no_transaction && !notx)
			notx = st;
		if (st->info.tx != PGW_TX_NONE && st->info.tx != PGW_TX_SAVEPOINT)
		{
			if (!first_tx)
				first_tx = st;
			ntx++;
		}
	}
	p->mode = PGW_TXMODE_TRANSACTION;
	if (ntx == 2 && !notx && p->n >= 2 &&
		p->s.stmts[p->stmts[0]].info.tx == PGW_TX_BEGIN &&
		p->s.stmts[p->stmts[p->n - 1]].info.tx == PGW_TX_COMMIT)
	{
		/* BEGIN ... COMMIT around everything: the runner's own transaction
		 * does that, with the history row inside */
		memmove(p->stmts, p->stmts + 1, (p->n - 2) * sizeof(size_t));
		p->n -= 2;
	}
	else if (ntx > 0)
	{
		p->mode = PGW_TXMODE_FILE;
		p->why = first_tx;
	}
	else if (notx)
	{
		p->mode = PGW_TXMODE_STATEMENTS;
		p->why = notx;
	}
	return 0;
}

int
runner_plan_migration(struct pgw_plan *p, const struct pgw_migration *m, bool down)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
	if (!down)
		return plan_range(p, m->up.name, &m->up, 0, m->up_end);
	if (m->inline_down)
		return plan_range(p, m->up.name, &m->up, m->down_start, m->up.len);
	if (m->has_down_file)
		return plan_range(p, m->down.name, &m->down, 0, m->down.len);
	pgw_error(PGW_ERR_INPUT, "migration '%s' has no rollback", m->up.name);
	pgw_error_hint("write %.*s_rollback.sql (or a '%s' section); nothing was rolled back",
				   (int) (strlen(m->up.name) - 4), m->up.name, PGW_DOWN_MARKER);
	return -1;
}

int
runner_plan_file(struct pgw_plan *p, const struct pgw_sql_file *f)
{
	memset(p, 0, sizeof(*p));
	return plan_range(p, f->name, f, 0, f->len);
}

/* --- running statements ------------------------------------------------ */

/* Sends COPY data for a COPY ... FROM STDIN statement in 1 MB pieces. */
static PGresult *
copy_in(PGconn *conn, const struct pgw_sql_file *f, const struct pgw_sql_stmt *st)
{
	size_t		off = 0;
	PGresult   *res,
			   *last = NULL;

	while (off < st->copy_len)
	{
		size_t		n = st->copy_len - off > (1 << 20) ? (1 << 20) : st->copy_len - off;

		if (PQputCopyData(conn, f->text + st->copy_start + off, (int) n) != 1)
			break;
		off += n;
	}
	PQputCopyEnd(conn, off < st->copy_len ? "pgwarden could not send the COPY data" : NULL);
	while ((res = PQgetResult(conn)) != NULL)
	{
		PQclear(last);
		last = res;
	}
	return last;
}

/* Reads and drops COPY TO STDOUT data (a migration has no use for it). */
static PGresult *
copy_out(PGconn *conn)
{
	char	   *row;
	PGresult   *res,
			   *last = NULL;

	while (PQgetCopyData(conn, &row, 0) > 0)
		PQfreemem(row);
	while ((res = PQgetResult(conn)) != NULL)
	{
		PQclear(last);
		last = res;
	}
	return last;
}

/* Runs one statement of the plan (the simple protocol, as psql does),
 * after prefix when given ("BEGIN;": the transaction starts in the same
 * round trip; error positions are shifted back by r->pos_shift).
 * Returns the final result; NULL only when the connection failed. */
static PGresult *
exec_stmt(struct pgw_runner *r, const struct pgw_plan *p, const struct pgw_sql_stmt *st,
		  const char *prefix)
{
	size_t		plen = prefix ? strlen(prefix) : 0;
	char	   *sql = pgw_malloc(plen + st->end - st->start + 1);
	PGresult   *res;

	memcpy(sql, prefix ? prefix : "", plen);
	memcpy(sql + plen, p->f->text + st->start, st->end - st->start);
	sql[plen + st->end - st->start] = '\0';
	r->pos_shift = (int) plen;
	if (pgw_interrupted())
	{
		/*
		 * A signal came between statements (a cancel request then finds
		 * the backend idle and is ignored): the statement is not run, and
		 * the server reports it as cancelled, so every caller takes the
		 * path it takes for a statement cancelled while running —
		 * rollback, clean-up, history — with nothing new to get wrong.
		 */
		free(sql);
		sql = pgw_asprintf("%sDO $pgw$BEGIN RAISE EXCEPTION USING ERRCODE = 'query_canceled',"
						   " MESSAGE = 'not run: pgwarden was interrupted (%s) before this statement';"
						   " END$pgw$", prefix ? prefix : "", interrupt_signal_name());
		r->pos_shift = 0;
	}
	res = PQexec(r->conn, sql);
	free(sql);
	if (res && PQresultStatus(res) == PGRES_COPY_IN)
	{
		PQclear(res);
		if (st->copy_stdin)
			return copy_in(r->conn, p->f, st);
		/* COPY FROM STDIN the splitter did not see data for: end it empty */
		PQputCopyEnd(r->conn, NULL);
		return copy_out(r->conn);
	}
	if (res && PQresultStatus(res) == PGRES_COPY_OUT)
	{
		PQclear(res);
		return copy_out(r->conn);
	}
	if (st->info.tag && (strcmp(st->info.tag, "SET") == 0 || strcmp(st->info.tag, "RESET") == 0))
		r->reset_settings = true;
	return res;
}

static bool
res_ok(const PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY;
}

static bool
retryable(const PGresult *res)
{
	const char *s = db_sqlstate(res);

	return strcmp(s, "55P03") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "40001") == 0;
}

static int
backoff_ms(int attempt)
{
	int			ms = BACKOFF_FIRST_MS;

	while (--attempt > 0 && ms < BACKOFF_MAX_MS)
		ms *= 2;
	return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

/* The first line of a statement, shortened, for messages. */
static char *
stmt_excerpt(const struct pgw_plan *p, const struct pgw_sql_stmt *st)
{
	const char *s = p->f->text + st->start;
	size_t		n = strcspn(s, "\r\n");

	if (n > st->end - st->start)
		n = st->end - st->start;
	if (n > 72)
		return pgw_asprintf("%.69s...", s);
	return pgw_strndup(s, n);
}

/*
 * Records the failure of statement st (res: its result, NULL when the
 * connection failed) as PGW_ERR_APPLY: primary "cannot VERB 'file'", detail
 * with the place, the statement, the server's message and SQLSTATE, and a
 * hint.  applied_note says what is left behind.
 */
static int
stmt_error(struct pgw_runner *r, const struct pgw_plan *p, const struct pgw_sql_stmt *st,
		   const PGresult *res, const char *verb, const char *applied_note)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *context = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *state = db_sqlstate(res);
	bool		lost = PQstatus(r->conn) != CONNECTION_OK;
	int			line = st->line,
				col = st->column;
	char	   *excerpt = stmt_excerpt(p, st);
	struct pgw_buf b;

	if (pos && atoi(pos) - r->pos_shift > 0)
	{
		size_t		off = sqlfile_advance_chars(p->f->text, st->end, st->start,
												(size_t) (atoi(pos) - r->pos_shift) - 1);

		sqlfile_position(p->f, off, &line, &col);
	}
	buf_init(&b);
	buf_printf(&b, "%s:%d:%d: %s\n", p->name, line, col, excerpt);
	if (lost)
	{
		const char *msg = PQerrorMessage(r->conn);

		buf_printf(&b, "the connection to the server was lost: %.*s", (int) strcspn(msg, "\n"), msg);
		if (*state)
			buf_printf(&b, " (SQLSTATE %s)", state);
	}
	else if (primary)
	{
		buf_printf(&b, "server: %s", primary);
		if (detail)
			buf_printf(&b, "\nserver detail: %s", detail);
		if (*state)
			buf_printf(&b, "\nSQLSTATE %s", state);
		if (context)
			buf_printf(&b, "\ncontext: %s", context);
	}
	else
	{
		const char *msg = PQerrorMessage(r->conn);

		buf_printf(&b, "%.*s", (int) strcspn(msg, "\n"), msg);
	}
	if (applied_note)
		buf_printf(&b, "\n%s", applied_note);
	pgw_error(PGW_ERR_APPLY, "cannot %s '%s'", verb, p->name);
	pgw_error_detail("%s", b.data);
	if (*state)
		pgw_error_sqlstate(state);
	if (hint)
		pgw_error_hint("%s", hint);
	else if (strcmp(state, "57014") == 0 && pgw_interrupted())
		pgw_error_hint("run the command again to go on from here");
	else if (strcmp(state, "55P03") == 0)
		pgw_error_hint("another session kept a conflicting lock past lock_timeout (%d ms) on every "
					   "attempt; run again when the table is quiet, or raise lock_timeout / "
					   "lock_retries in pgwarden.conf", r->lock_timeout_ms);
	else if (strcmp(state, "42P07") == 0 || strcmp(state, "42710") == 0 || strcmp(state, "42701") == 0)
		pgw_error_hint("the object already exists: if an earlier run or another tool made it, "
					   "add IF NOT EXISTS or mark the migration with `pgwarden migrate repair`");
	else if (lost)
		pgw_error_hint("check that the server is up (pgwarden target) and run the command again");
	else
		pgw_error_hint("fix the statement and run the command again");
	buf_release(&b);
	free(excerpt);
	return -1;
}

/* The statement texts of a plan as a JSON array (Supabase's history). */
static json_t *
plan_statements_json(const struct pgw_plan *p)
{
	json_t	   *a = json_array();
	size_t		i;

	for (i = 0; i < p->n; i++)
	{
		const struct pgw_sql_stmt *st = &p->s.stmts[p->stmts[i]];

		json_array_append_new(a, json_stringn(p->f->text + st->start, st->end - st->start));
	}
	return a;
}

static void
history_entry_for(struct pgw_history_entry *e, const struct pgw_plan *p, enum pgw_txmode mode,
				  long long duration)
{
	memset(e, 0, sizeof(*e));
	e->version = p->m->version;
	e->name = p->m->name;
	e->checksum = p->m->checksum;
	e->rollback_checksum = p->m->rollback_checksum;
	e->tx_mode = runner_txmode_name(mode);
	e->duration_ms = duration;
}

/* Resets session settings a migration changed with SET. */
static int
settle_session(struct pgw_runner *r)
{
	if (!r->reset_settings)
		return 0;
	r->reset_settings = false;
	exec_quiet(r->conn, "RESET ALL");
	return apply_settings(r);
}

enum op
{
	OP_UP,
	OP_DOWN,
	OP_SEED
};

static const char *
op_verb(enum op op)
{
	return op == OP_UP ? "apply" : op == OP_DOWN ? "roll back" : "run";
}

/*
 * Syncs a pipeline, reads every result and leaves pipeline mode.  Returns
 * NULL when all succeeded, else the first error (caller clears) — or a
 * made-up fatal result when the connection broke.
 */
static PGresult *
pipeline_finish(PGconn *conn)
{
	PGresult   *err = NULL,
			   *res;
	int			idle = 0;

	PQpipelineSync(conn);
	for (;;)
	{
		res = PQgetResult(conn);
		if (!res)
		{
			/* NULL ends each command's results; a broken connection
			 * gives nothing else */
			if (PQstatus(conn) != CONNECTION_OK || ++idle > 64)
				break;
			continue;
		}
		idle = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		{
			PQclear(res);
			break;
		}
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && !err)
			err = res;
		else
			PQclear(res);
	}
	PQexitPipelineMode(conn);
	if (!err && PQstatus(conn) != CONNECTION_OK)
		err = PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
	return err;
}

/*
 * Transaction mode: BEGIN, the statements of every plan, their history
 * rows, COMMIT; retried as a whole on a lock timeout.
 */
static int
run_transaction(struct pgw_runner *r, struct pgw_plan *plans, size_t nplans, enum op op,
				enum pgw_txmode mode, struct pgw_step *st)
{
	int			attempt;
	int			attempts = r->retries + 1;

	long long  *took = pgw_calloc(nplans, sizeof(long long));

	for (attempt = 1; attempt <= attempts; attempt++)
	{
		long long	t0 = pgw_now_ms();
		PGresult   *res = NULL;
		const struct pgw_plan *fp = NULL;
		const struct pgw_sql_stmt *fst = NULL;
		size_t		k,
					i,
					nstmts = 0;
		bool		failed = false;
		const char *begin = "BEGIN;";

		for (k = 0; k < nplans; k++)
			nstmts += plans[k].n;
		if (nstmts == 0)
		{
			/* nothing to carry the BEGIN: send it alone */
			res = PQexec(r->conn, "BEGIN");
			if (!res_ok(res))
			{
				db_error_from(r->conn, res, PGW_ERR_APPLY, "cannot start a transaction");
				PQclear(res);
				free(took);
				return -1;
			}
			PQclear(res);
			res = NULL;
		}
		for (k = 0; k < nplans && !failed; k++)
		{
			struct pgw_plan *p = &plans[k];
			long long	tp = pgw_now_ms();

			for (i = 0; i < p->n; i++)
			{
				const struct pgw_sql_stmt *s = &p->s.stmts[p->stmts[i]];

				res = exec_stmt(r, p, s, nstmts ? begin : NULL);
				begin = NULL;
				if (!res_ok(res))
				{
					fp = p;
					fst = s;
					failed = true;
					break;
				}
				PQclear(res);
				res = NULL;
				if (i == 0 && fault_active("migrate:after-statement"))
				{
					res = PQexec(r->conn, "SELECT 1 / 0");
					fp = p;
					fst = s;
					failed = true;
					break;
				}
			}
			took[k] = pgw_now_ms() - tp;
		}
		if (!failed && fault_active("migrate:slow"))
			exec_quiet(r->conn, "SELECT pg_catalog.pg_sleep(0.02)");
		if (!failed && op == OP_UP && r->before_commit &&
			r->before_commit(r->before_commit_arg, r->conn) != 0)
		{
			struct pgw_err saved;

			/* the hook's verdict stands: roll back, keep its error */
			pgw_error_save(&saved);
			if (PQstatus(r->conn) == CONNECTION_OK && PQtransactionStatus(r->conn) != PQTRANS_IDLE)
				exec_quiet(r->conn, "ROLLBACK");
			r->reset_settings = true;
			if (PQstatus(r->conn) == CONNECTION_OK)
				settle_session(r);
			pgw_error_restore(&saved);
			st->mode = mode;
			st->attempts = attempt;
			st->duration_ms = pgw_now_ms() - t0;
			st->vetoed = true;
			free(took);
			return -1;
		}
		if (!failed)
		{
			/*
			 * The history rows and COMMIT in one pipeline: one round trip
			 * for the lot, so the bookkeeping costs no more round trips
			 * than psql's own COMMIT.
			 */
			if (!PQenterPipelineMode(r->conn))
			{
				db_error_from(r->conn, NULL, PGW_ERR_APPLY, "cannot record the migration");
				exec_quiet(r->conn, "ROLLBACK");
				free(took);
				return -1;
			}
			for (k = 0; k < nplans; k++)
			{
				struct pgw_plan *p = &plans[k];
				int			rc = 0;

				if (op == OP_UP)
				{
					struct pgw_history_entry e;

					history_entry_for(&e, p, mode, took[k]);
					e.statements = r->supabase ? plan_statements_json(p) : NULL;
					rc = history_record(r->conn, &e, r->supabase);
					json_decref(e.statements);
				}
				else if (op == OP_DOWN)
					rc = history_delete(r->conn, p->m->version, r->supabase, NULL);
				if (rc != 0)
					break;
			}
			PQsendQueryParams(r->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
			res = pipeline_finish(r->conn);
			if (!res && PQtransactionStatus(r->conn) == PQTRANS_IDLE)
			{
				st->mode = mode;
				st->attempts = attempt;
				st->duration_ms = pgw_now_ms() - t0;
				st->ok = true;
				free(took);
				return settle_session(r);
			}
			/* a deferred constraint fails at COMMIT: blame the last plan */
			fp = &plans[nplans - 1];
			fst = fp->n ? &fp->s.stmts[fp->stmts[fp->n - 1]] : NULL;
		}
		if (PQstatus(r->conn) == CONNECTION_OK && PQtransactionStatus(r->conn) != PQTRANS_IDLE)
			exec_quiet(r->conn, "ROLLBACK");
		r->reset_settings = true;
		if (retryable(res) && attempt < attempts && PQstatus(r->conn) == CONNECTION_OK)
		{
			int			delay = backoff_ms(attempt);

			if (r->ev.retry)
			{
				const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

				r->ev.retry(r->ev.arg, fp->name, attempt, attempts, delay, msg ? msg : "lock timeout");
			}
			PQclear(res);
			settle_session(r);
			interrupt_sleep_ms(delay);	/* the next attempt sees the signal */
			continue;
		}
		free(took);
		if (fst)
			stmt_error(r, fp, fst, res, op_verb(op),
					   nplans > 1 ? "the transaction was rolled back: none of these migrations was applied"
					   : op == OP_UP ? "the transaction was rolled back: nothing of this migration was applied"
					   : "the transaction was rolled back: nothing was changed");
		else
			db_error_from(r->conn, res, PGW_ERR_APPLY, "cannot commit");
		PQclear(res);
		if (PQstatus(r->conn) == CONNECTION_OK)
			settle_session(r);
		st->attempts = attempt;
		return -1;
	}
	free(took);
	return -1;
}

/* Invalid indexes, as regclass text, for the clean-up after a failed
 * CREATE INDEX CONCURRENTLY / REINDEX CONCURRENTLY. */
static void
invalid_indexes(PGconn *conn, struct pgw_strlist *out)
{
	PGresult   *res = PQexec(conn, "SELECT indexrelid::pg_catalog.regclass::text"
							 " FROM pg_catalog.pg_index WHERE NOT indisvalid ORDER BY 1");
	int			i;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		for (i = 0; i < PQntuples(res); i++)
			strlist_add(out, PQgetvalue(res, i, 0));
	PQclear(res);
}

static bool
builds_index_concurrently(const struct pgw_sql_stmt *st)
{
	return st->info.no_transaction && st->info.tag &&
		(strcmp(st->info.tag, "CREATE INDEX") == 0 || strcmp(st->info.tag, "REINDEX") == 0);
}

/* Drops the invalid indexes that are not in before; notes them in dropped. */
static void
drop_new_invalid(struct pgw_runner *r, const struct pgw_strlist *before, struct pgw_buf *dropped)
{
	struct pgw_strlist now = {NULL, 0};
	size_t		i;

	if (PQstatus(r->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(r->conn) != PQTRANS_IDLE)
		exec_quiet(r->conn, "ROLLBACK");
	invalid_indexes(r->conn, &now);
	for (i = 0; i < now.n; i++)
	{
		const char *p[1] = {now.items[i]};
		PGresult   *res;

		if (strlist_contains(before, now.items[i]))
			continue;
		/* the name comes from the server's regclass output, already quoted */
		res = PQexecParams(r->conn,
						   "SELECT pg_catalog.format('DROP INDEX CONCURRENTLY IF EXISTS %s',"
						   " $1::pg_catalog.regclass)", 1, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			PGresult   *d = PQexec(r->conn, PQgetvalue(res, 0, 0));

			if (PQresultStatus(d) == PGRES_COMMAND_OK)
				buf_printf(dropped, "%s%s", dropped->len ? ", " : "", now.items[i]);
			PQclear(d);
		}
		PQclear(res);
	}
	strlist_release(&now);
}

/* A named index this statement creates that an interrupted run left
 * INVALID: IF NOT EXISTS would skip it and keep a useless index, so drop it
 * first. */
static void
drop_stale_invalid(struct pgw_runner *r, const struct pgw_plan *p, const struct pgw_sql_stmt *st)
{
	size_t		i;

	for (i = 0; i < st->info.nobjects; i++)
	{
		const struct pgw_sql_object *o = &st->info.objects[i];
		const char *prm[2];
		PGresult   *res;

		if (o->action != PGW_OBJ_CREATE || strcmp(o->kind, "index") != 0 || !o->name)
			continue;
		prm[0] = o->name;
		prm[1] = o->schema;
		res = PQexecParams(r->conn,
						   "SELECT pg_catalog.format('DROP INDEX CONCURRENTLY IF EXISTS %s', c.oid::pg_catalog.regclass),"
						   " c.oid::pg_catalog.regclass::text"
						   " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid"
						   " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						   " WHERE c.relname = $1 AND NOT i.indisvalid"
						   " AND (n.nspname = $2 OR ($2 IS NULL AND pg_catalog.pg_table_is_visible(c.oid)))",
						   2, NULL, prm, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		{
			PGresult   *d = PQexec(r->conn, PQgetvalue(res, 0, 0));

			if (PQresultStatus(d) == PGRES_COMMAND_OK && r->ev.note)
			{
				char	   *msg = pgw_asprintf("dropped the INVALID index %s left by an interrupted run",
											   PQgetvalue(res, 0, 1));

				r->ev.note(r->ev.arg, p->name, msg);
				free(msg);
			}
			PQclear(d);
		}
		PQclear(res);
	}
}

/* Extends a chained checksum over statement i: h = sha256(h || stmt), so
 * the checksum of the first n statements is cheap to keep up to date. */
static void
chain_add(const struct pgw_plan *p, size_t i, char *chain)
{
	const struct pgw_sql_stmt *st = &p->s.stmts[p->stmts[i]];
	struct pgw_buf b;

	buf_init(&b);
	buf_append(&b, chain);
	buf_append_char(&b, '\n');
	buf_append_len(&b, p->f->text + st->start, st->end - st->start);
	sha256_hex_normalized(b.data, b.len, chain);
	buf_release(&b);
}

/*
 * Runs statement i of a statement-by-statement up migration so that a kill
 * can never leave it applied but uncounted: a statement that can run in a
 * transaction runs in one with its progress row (BEGIN travels with it,
 * the row with COMMIT); the file's own COMMIT gets the row written just
 * before it, inside the file's transaction.  Only statements that cannot
 * run in a transaction are counted after the fact (re-running them is what
 * IF NOT EXISTS is for).  *counted says whether the row was written.
 * Returns the statement's result (or the first error).
 */
static PGresult *
run_counted(struct pgw_runner *r, const struct pgw_plan *p, size_t i, char *chain,
			size_t *chained, bool *counted)
{
	const struct pgw_sql_stmt *s = &p->s.stmts[p->stmts[i]];
	bool		wrap = p->mode == PGW_TXMODE_STATEMENTS && !s->info.no_transaction;
	bool		before_commit = p->mode == PGW_TXMODE_FILE && s->info.tx == PGW_TX_COMMIT &&
		PQtransactionStatus(r->conn) == PQTRANS_INTRANS;
	char		next[PGW_SHA256_HEX_LEN + 1];
	size_t		k;
	PGresult   *res;

	*counted = false;
	if (!wrap && !before_commit)
		return exec_stmt(r, p, s, NULL);
	strcpy(next, chain);
	for (k = *chained; k <= i; k++)
		chain_add(p, k, next);
	if (before_commit)
	{
		if (history_record_progress(r->conn, p->m->version, (int) i + 1, next, NULL) != 0)
			return PQmakeEmptyPGresult(r->conn, PGRES_FATAL_ERROR);
		res = exec_stmt(r, p, s, NULL);
	}
	else
	{
		res = exec_stmt(r, p, s, "BEGIN;");
		if (!res_ok(res))
			return res;
		PQclear(res);
		if (!PQenterPipelineMode(r->conn))
			return PQmakeEmptyPGresult(r->conn, PGRES_FATAL_ERROR);
		history_record_progress(r->conn, p->m->version, (int) i + 1, next, NULL);
		PQsendQueryParams(r->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
		res = pipeline_finish(r->conn);
		if (res)
			return res;
		res = PQmakeEmptyPGresult(r->conn, PGRES_COMMAND_OK);
	}
	if (res_ok(res) && PQtransactionStatus(r->conn) == PQTRANS_IDLE)
	{
		strcpy(chain, next);
		*chained = i + 1;
		*counted = true;
	}
	return res;
}

/*
 * Statement (and file) mode: each statement on its own (or in the file's
 * own transactions), progress kept in the history row.
 */
static int
run_statements(struct pgw_runner *r, struct pgw_plan *p, enum op op,
			   const struct pgw_history_row *failed, struct pgw_step *st)
{
	long long	t0 = pgw_now_ms();
	char		chain[PGW_SHA256_HEX_LEN + 1] = "";
	size_t		i,
				start = 0,
				chained = 0;
	int			attempts = r->retries + 1,
				max_attempt = 1;

	st->mode = p->mode;
	st->statements = (int) p->n;
	if (op == OP_UP && failed && failed->statements_applied > 0 && failed->prefix_checksum &&
		(size_t) failed->statements_applied <= p->n)
	{
		while (chained < (size_t) failed->statements_applied)
			chain_add(p, chained++, chain);
		if (strcmp(chain, failed->prefix_checksum) == 0)
		{
			start = chained;
			if (r->ev.note)
			{
				char	   *msg = pgw_asprintf("resuming at statement %zu of %zu: an earlier run applied "
											   "the %zu before it", start + 1, p->n, start);

				r->ev.note(r->ev.arg, p->name, msg);
				free(msg);
			}
		}
		else
		{
			strcpy(chain, "");
			chained = 0;
		}
	}
	st->done = (int) start;
	st->skipped = (int) start;
	if (op == OP_UP)
	{
		struct pgw_history_entry e;

		history_entry_for(&e, p, p->mode, 0);
		e.failed = true;
		e.statements_applied = (int) start;
		e.statements_total = (int) p->n;
		e.prefix_checksum = chain;
		e.error = "interrupted: the run stopped before this migration finished";
		if (history_record(r->conn, &e, false) != 0)
			return -1;
	}
	for (i = start; i < p->n; i++)
	{
		const struct pgw_sql_stmt *s = &p->s.stmts[p->stmts[i]];
		struct pgw_strlist before = {NULL, 0};
		bool		cic = builds_index_concurrently(s);
		bool		counted = false;
		int			attempt;
		PGresult   *res = NULL;

		if (cic)
		{
			drop_stale_invalid(r, p, s);
			invalid_indexes(r->conn, &before);
		}
		for (attempt = 1;; attempt++)
		{
			if (op == OP_UP)
				res = run_counted(r, p, i, chain, &chained, &counted);
			else
				res = exec_stmt(r, p, s, NULL);
			if (res_ok(res) && !(i == start && fault_active("migrate:after-statement")))
				break;
			if (res_ok(res))
			{
				PQclear(res);
				res = PQexec(r->conn, "SELECT 1 / 0");
			}
			if (cic)
			{
				struct pgw_buf dropped;

				buf_init(&dropped);
				drop_new_invalid(r, &before, &dropped);
				if (dropped.len && r->ev.note)
				{
					char	   *msg = pgw_asprintf("dropped the INVALID index %s the failed statement left",
												   dropped.data);

					r->ev.note(r->ev.arg, p->name, msg);
					free(msg);
				}
				buf_release(&dropped);
			}
			/* a statement run in its own transaction (with its count) */
			if (p->mode == PGW_TXMODE_STATEMENTS && PQstatus(r->conn) == CONNECTION_OK &&
				PQtransactionStatus(r->conn) != PQTRANS_IDLE)
				exec_quiet(r->conn, "ROLLBACK");
			if (retryable(res) && attempt < attempts && PQstatus(r->conn) == CONNECTION_OK &&
				PQtransactionStatus(r->conn) == PQTRANS_IDLE)
			{
				int			delay = backoff_ms(attempt);
				const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

				if (r->ev.retry)
					r->ev.retry(r->ev.arg, p->name, attempt, attempts, delay, msg ? msg : "lock timeout");
				PQclear(res);
				interrupt_sleep_ms(delay);
				continue;
			}
			break;
		}
		if (attempt > max_attempt)
			max_attempt = attempt;
		if (!res_ok(res))
		{
			char	   *note;

			if (PQstatus(r->conn) == CONNECTION_OK && PQtransactionStatus(r->conn) != PQTRANS_IDLE)
				exec_quiet(r->conn, "ROLLBACK");
			if (i == 0)
				note = pgw_asprintf("no statement of it was applied%s",
									op == OP_UP && !failed ? "; it stays pending" : "");
			else
				note = pgw_asprintf("statements 1 to %zu of %zu were applied and stay (it cannot run in "
									"one transaction: %s at line %d)%s", i, p->n,
									p->why->info.no_transaction_why ? p->why->info.no_transaction_why :
									"its own BEGIN/COMMIT", p->why->line,
									op == OP_UP ? "; it is recorded as failed, and a re-run resumes "
									"after them if they are unchanged" : "");
			stmt_error(r, p, s, res, op_verb(op), note);
			free(note);
			PQclear(res);
			st->done = (int) i;
			st->attempts = max_attempt;
			st->duration_ms = pgw_now_ms() - t0;
			if (PQstatus(r->conn) == CONNECTION_OK)
			{
				struct pgw_err saved;

				/* keep the statement's error: recording must not replace it */
				char	   *brief;

				pgw_error_save(&saved);
				/* the history keeps the place and the server's message */
				brief = pgw_strndup(saved.detail, strcspn(saved.detail, "\n"));
				if (strchr(saved.detail, '\n'))
				{
					const char *l2 = strchr(saved.detail, '\n') + 1;
					char	   *both = pgw_asprintf("%s — %.*s%s%s", brief, (int) strcspn(l2, "\n"), l2,
													saved.sqlstate ? " SQLSTATE " : "",
													saved.sqlstate ? saved.sqlstate : "");

					free(brief);
					brief = both;
				}
				if (op == OP_UP && chained == 0 && st->done == 0 && !failed)
					/* nothing of it was applied: as if it never ran */
					history_delete(r->conn, p->m->version, false, NULL);
				else if (op == OP_UP)
					history_record_progress(r->conn, p->m->version, (int) chained, chain, brief);
				else if (op == OP_DOWN)
					history_mark_failed(r->conn, p->m->version, brief);
				free(brief);
				settle_session(r);
				pgw_error_restore(&saved);
			}
			strlist_release(&before);
			return -1;
		}
		PQclear(res);
		strlist_release(&before);
		/* progress counts only between transactions: inside the file's own
		 * BEGIN ... COMMIT nothing is kept if the run dies */
		if (PQtransactionStatus(r->conn) != PQTRANS_IDLE)
			continue;
		st->done = (int) i + 1;
		if (op == OP_UP && !counted)
		{
			/* extend the chain over the statements since the last point */
			while (chained <= i)
				chain_add(p, chained++, chain);
			if (history_record_progress(r->conn, p->m->version, (int) chained, chain, NULL) != 0)
				return -1;
		}
	}
	if (PQtransactionStatus(r->conn) != PQTRANS_IDLE)
	{
		/* a BEGIN without its COMMIT: do not leave it open */
		exec_quiet(r->conn, "ROLLBACK");
		pgw_error(PGW_ERR_APPLY, "'%s' leaves a transaction open", p->name);
		pgw_error_detail("it ends inside a BEGIN without COMMIT; the open transaction was rolled back");
		pgw_error_hint("end the file with COMMIT");
		return -1;
	}
	st->duration_ms = pgw_now_ms() - t0;
	st->attempts = max_attempt;
	st->done = (int) p->n;
	if (op == OP_UP)
	{
		struct pgw_history_entry e;
		int			rc;

		history_entry_for(&e, p, p->mode, st->duration_ms);
		e.statements = r->supabase ? plan_statements_json(p) : NULL;
		rc = history_record(r->conn, &e, r->supabase);
		json_decref(e.statements);
		if (rc != 0)
			return -1;
	}
	else if (op == OP_DOWN && history_delete(r->conn, p->m->version, r->supabase, NULL) != 0)
		return -1;
	st->ok = true;
	return settle_session(r);
}

int
runner_apply(struct pgw_runner *r, struct pgw_plan *p, const struct pgw_history_row *failed,
			 struct pgw_step *st)
{
	memset(st, 0, sizeof(*st));
	st->statements = (int) p->n;
	if (p->mode == PGW_TXMODE_TRANSACTION)
		return run_transaction(r, p, 1, OP_UP, PGW_TXMODE_TRANSACTION, st);
	return run_statements(r, p, OP_UP, failed, st);
}

int
runner_revert(struct pgw_runner *r, struct pgw_plan *p, struct pgw_step *st)
{
	memset(st, 0, sizeof(*st));
	st->statements = (int) p->n;
	if (p->mode == PGW_TXMODE_TRANSACTION)
		return run_transaction(r, p, 1, OP_DOWN, PGW_TXMODE_TRANSACTION, st);
	return run_statements(r, p, OP_DOWN, NULL, st);
}

int
runner_run(struct pgw_runner *r, struct pgw_plan *p, struct pgw_step *st)
{
	memset(st, 0, sizeof(*st));
	st->statements = (int) p->n;
	if (p->mode == PGW_TXMODE_TRANSACTION)
		return run_transaction(r, p, 1, OP_SEED, PGW_TXMODE_TRANSACTION, st);
	return run_statements(r, p, OP_SEED, NULL, st);
}

int
runner_apply_batch(struct pgw_runner *r, struct pgw_plan *plans, size_t n, struct pgw_step *st)
{
	size_t		i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++)
	{
		if (plans[i].mode != PGW_TXMODE_TRANSACTION)
		{
			pgw_error(PGW_ERR_INPUT, "'%s' cannot run inside one transaction with the others",
					  plans[i].name);
			pgw_error_detail("%s:%d:%d: %s", plans[i].name, plans[i].why->line, plans[i].why->column,
							 plans[i].mode == PGW_TXMODE_FILE ? "it has its own transaction control"
							 : plans[i].why->info.no_transaction_why ? plans[i].why->info.no_transaction_why
							 : "a statement that cannot run in a transaction block");
			pgw_error_hint("run without --one-transaction (each migration gets its own), or apply up "
						   "to the one before it with --to; nothing was run");
			return -1;
		}
		st->statements += (int) plans[i].n;
	}
	return run_transaction(r, plans, n, OP_UP, PGW_TXMODE_BATCH, st);
}

int
runner_record(struct pgw_runner *r, const struct pgw_migration *m)
{
	struct pgw_history_entry e;

	memset(&e, 0, sizeof(e));
	e.version = m->version;
	e.name = m->name;
	e.checksum = m->checksum;
	e.rollback_checksum = m->rollback_checksum;
	e.tx_mode = "recorded";
	return history_record(r->conn, &e, r->supabase);
}
