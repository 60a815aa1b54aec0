/*
 * trial.c — a migration tried in a sandbox and its rollback checked
 * (migrate/trial.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/query.h"
#include "migrate/runner.h"
#include "migrate/trial.h"
#include "model/snapshot.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/mem.h"

/* Relation locks our backend holds, outside the system schemas.  A relation
 * dropped in this transaction shows as its oid. */
static const char locks_sql[] =
	"SELECT coalesce(pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), '') || ' ' || mode"
	" FROM (SELECT l.relation, l.mode, row_number() OVER (PARTITION BY l.relation ORDER BY"
	"   pg_catalog.array_position(ARRAY['AccessShareLock', 'RowShareLock', 'RowExclusiveLock',"
	"   'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock',"
	"   'AccessExclusiveLock'], l.mode) DESC) AS rn"
	"   FROM pg_catalog.pg_locks l"
	"   WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted"
	"     AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())) x"
	" LEFT JOIN pg_catalog.pg_class c ON c.oid = x.relation"
	" LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE x.rn = 1 AND coalesce(n.nspname, '') NOT IN ('pg_catalog', 'information_schema')"
	"   AND coalesce(n.nspname, '') !~ '^pg_toast'"
	" ORDER BY 1";

static bool
strlist_has(const struct pgw_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

static int
read_locks(PGconn *conn, struct pgw_strlist *out)
{
	PGresult   *res = PQexec(conn, locks_sql);
	int			i;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		PQclear(res);
		return -1;
	}
	for (i = 0; i < PQntuples(res); i++)
		strlist_add(out, PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

/* "public.t AccessExclusiveLock" → "AccessExclusiveLock on public.t"; the
 * relations dropped by the statement (no name left) are counted. */
static void
add_locks(struct pgw_trial_stmt *x, const struct pgw_strlist *held, const struct pgw_strlist *now)
{
	size_t		dropped = 0;

	for (size_t k = 0; k < now->n; k++)
	{
		const char *e = now->items[k];
		const char *sp = strrchr(e, ' ');
		char	   *s;

		if (strlist_has(held, e) || !sp)
			continue;
		if (sp == e)
		{
			dropped++;
			continue;
		}
		s = pgw_asprintf("%s on %.*s", sp + 1, (int) (sp - e), e);
		strlist_add(&x->locks, s);
		free(s);
	}
	if (dropped)
	{
		char	   *s = pgw_asprintf("AccessExclusiveLock on %zu relation%s it dropped", dropped,
									 dropped == 1 ? "" : "s");

		strlist_add(&x->locks, s);
		free(s);
	}
}

static int
snapshot(PGconn *conn, const struct pgw_catalog_opts *copts, struct pgw_model *m, char **text)
{
	struct pgw_catalog_opts o = *copts;
	struct pgw_buf b;

	o.stable = true;
	o.exact = false;
	model_init(m);
	if (catalog_read(&conn, 1, &o, m, NULL) != 0)
	{
		pgw_error_prefix("sandbox snapshot");
		return -1;
	}
	buf_init(&b);
	snapshot_write(m, true, &b);
	*text = buf_steal(&b);
	return 0;
}

static struct pgw_trial_stmt *
add_stmt(struct pgw_trial *t, const char *file, const struct pgw_sql_stmt *st, bool down)
{
	struct pgw_trial_stmt *x;

	if (t->nstmts == t->cap)
	{
		t->cap = t->cap ? t->cap * 2 : 16;
		t->stmts = pgw_realloc(t->stmts, t->cap * sizeof(*t->stmts));
	}
	x = &t->stmts[t->nstmts++];
	memset(x, 0, sizeof(*x));
	x->file = pgw_strdup(file);
	x->line = st->line;
	x->tag = pgw_strdup(st->info.tag ? st->info.tag : "?");
	x->down = down;
	return x;
}

static void
record_failure(struct pgw_trial *t, const char *file, int line, PGresult *res, PGconn *conn,
			   bool down)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (t->fail_message)
		return;
	t->fail_file = pgw_strdup(file);
	t->fail_line = line;
	t->fail_message = pgw_strdup(msg ? msg : PQerrorMessage(conn));
	t->fail_sqlstate = pgw_strdup(res ? db_sqlstate(res) : "");
	t->fail_in_down = down;
}

static bool
simple(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	return ok;
}

/*
 * Runs one plan.  Returns 1 when every statement ran, 0 when one failed
 * (recorded in t), -1 when the plan cannot run in this sandbox.
 */
static int
run_plan(struct pgw_trial *t, PGconn *conn, bool tx, struct pgw_plan *p, bool down)
{
	bool		own_tx = !tx && p->mode == PGW_TXMODE_TRANSACTION;
	size_t		i;

	if (tx && p->mode != PGW_TXMODE_TRANSACTION)
	{
		t->untestable = true;
		free(t->untestable_why);
		t->untestable_why = pgw_asprintf("%s:%d: %s cannot run inside the sandbox transaction "
										 "(try --sandbox local)", p->name, p->why ? p->why->line : 1,
										 p->why && p->why->info.no_transaction_why ?
										 p->why->info.no_transaction_why : "a transaction-control statement");
		return -1;
	}
	if (own_tx && !simple(conn, "BEGIN"))
	{
		record_failure(t, p->name, 1, NULL, conn, down);
		return 0;
	}
	for (i = 0; i < p->n; i++)
	{
		const struct pgw_sql_stmt *st = &p->s.stmts[p->stmts[i]];
		struct pgw_trial_stmt *x = add_stmt(t, p->name, st, down);
		struct pgw_strlist held = {NULL, 0};
		bool		wrap = p->mode == PGW_TXMODE_STATEMENTS && !st->info.no_transaction;
		char	   *sql;
		PGresult   *res;
		long long	t0;
		bool		ok;

		if (st->copy_stdin)
		{
			t->untestable = true;
			free(t->untestable_why);
			t->untestable_why = pgw_asprintf("%s:%d: COPY ... FROM stdin is not tried in a sandbox",
											 p->name, st->line);
			if (own_tx)
				simple(conn, "ROLLBACK");
			return -1;
		}
		if (wrap && !simple(conn, "BEGIN"))
		{
			record_failure(t, p->name, st->line, NULL, conn, down);
			return 0;
		}
		if (PQtransactionStatus(conn) == PQTRANS_INTRANS)
			read_locks(conn, &held);
		sql = pgw_strndup(p->f->text + st->start, st->end - st->start);
		t0 = pgw_now_ms();
		res = PQexec(conn, sql);
		free(sql);
		x->ms = pgw_now_ms() - t0;
		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ||
			PQresultStatus(res) == PGRES_EMPTY_QUERY;
		if (!ok)
		{
			record_failure(t, p->name, st->line, res, conn, down);
			PQclear(res);
			strlist_release(&held);
			if (!tx && PQtransactionStatus(conn) != PQTRANS_IDLE)
				simple(conn, "ROLLBACK");
			return 0;
		}
		PQclear(res);
		if (PQtransactionStatus(conn) == PQTRANS_INTRANS)
		{
			struct pgw_strlist now = {NULL, 0};

			x->observed = true;
			if (read_locks(conn, &now) == 0)
				add_locks(x, &held, &now);
			strlist_release(&now);
		}
		strlist_release(&held);
		if (wrap && !simple(conn, "COMMIT"))
		{
			record_failure(t, p->name, st->line, NULL, conn, down);
			return 0;
		}
	}
	if (own_tx)
	{
		PGresult   *res = PQexec(conn, "COMMIT");

		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			/* a deferred constraint, say */
			record_failure(t, p->name, p->n ? p->s.stmts[p->stmts[p->n - 1]].line : 1, res, conn, down);
			PQclear(res);
			return 0;
		}
		PQclear(res);
	}
	return 1;
}

int
trial_apply(PGconn *conn, const struct pgw_migration *m)
{
	struct pgw_trial t;
	struct pgw_plan p;
	int			rc = -1;

	memset(&t, 0, sizeof(t));
	if (runner_plan_migration(&p, m, false) == 0)
	{
		if (run_plan(&t, conn, false, &p, false) == 1)
			rc = 0;
		else
			pgw_error(PGW_ERR_APPLY, "'%s' does not apply in the sandbox again: %s", m->up.name,
					  t.fail_message ? t.fail_message : t.untestable_why ? t.untestable_why : "?");
	}
	runner_plan_release(&p);
	trial_release(&t);
	return rc;
}

int
trial_run(struct pgw_trial *t, PGconn *conn, bool tx, struct pgw_migration *const *ms, size_t n,
		  const struct pgw_catalog_opts *copts)
{
	struct pgw_plan *up = pgw_calloc(n ? n : 1, sizeof(*up));
	struct pgw_plan *down = pgw_calloc(n ? n : 1, sizeof(*down));
	size_t		i;
	int			rc = -1;
	long long	t0;

	memset(t, 0, sizeof(*t));
	model_init(&t->m_before);
	model_init(&t->m_after);
	model_init(&t->m_after_down);
	t->has_rollback = true;
	for (i = 0; i < n; i++)
	{
		if (runner_plan_migration(&up[i], ms[i], false) != 0)
			goto done;
		if (!migration_has_rollback(ms[i]))
			t->has_rollback = false;
		else if (runner_plan_migration(&down[i], ms[i], true) != 0)
			goto done;
	}
	model_release(&t->m_before);
	if (snapshot(conn, copts, &t->m_before, &t->before) != 0)
		goto done;
	rc = 0;
	t0 = pgw_now_ms();
	for (i = 0; i < n; i++)
		if (run_plan(t, conn, tx, &up[i], false) != 1)
			break;
	t->up_ms = pgw_now_ms() - t0;
	if (i < n)
		goto done;
	t->up_ok = true;
	model_release(&t->m_after);
	if (snapshot(conn, copts, &t->m_after, &t->after) != 0)
	{
		rc = -1;
		goto done;
	}
	if (!t->has_rollback)
		goto done;
	t0 = pgw_now_ms();
	for (i = n; i-- > 0;)
		if (run_plan(t, conn, tx, &down[i], true) != 1)
			break;
	t->down_ms = pgw_now_ms() - t0;
	if (i != (size_t) -1)
		goto done;
	t->down_ok = true;
	model_release(&t->m_after_down);
	if (snapshot(conn, copts, &t->m_after_down, &t->after_down) != 0)
	{
		rc = -1;
		goto done;
	}
	t->restored = strcmp(t->before, t->after_down) == 0;
done:
	for (i = 0; i < n; i++)
	{
		runner_plan_release(&up[i]);
		if (down[i].m || down[i].loaded)
			runner_plan_release(&down[i]);
	}
	free(up);
	free(down);
	return rc;
}

void
trial_release(struct pgw_trial *t)
{
	for (size_t i = 0; i < t->nstmts; i++)
	{
		free(t->stmts[i].file);
		free(t->stmts[i].tag);
		strlist_release(&t->stmts[i].locks);
	}
	free(t->stmts);
	free(t->untestable_why);
	free(t->fail_file);
	free(t->fail_message);
	free(t->fail_sqlstate);
	free(t->before);
	free(t->after);
	free(t->after_down);
	model_release(&t->m_before);
	model_release(&t->m_after);
	model_release(&t->m_after_down);
	memset(t, 0, sizeof(*t));
}

/* --- in words ------------------------------------------------------------- */

static const char *
plural(enum pgw_kind k, size_t n)
{
	static const char *const one[] = {"schema", "extension", "enum", "domain", "composite type",
		"sequence", "table", "view", "function", "column", "constraint", "index", "policy", "trigger",
		"publication", "event trigger", "default privileges"};
	static const char *const many[] = {"schemas", "extensions", "enums", "domains",
		"composite types", "sequences", "tables", "views", "functions", "columns", "constraints",
	"indexes", "policies", "triggers", "publications", "event triggers", "default privileges"};

	if ((int) k < 0 || k >= PGW_KIND__COUNT)
		return n == 1 ? "object" : "objects";
	return n == 1 ? one[k] : many[k];
}

struct group
{
	enum pgw_kind kind;
	const char *action;			/* "create", "drop", "alter", "rls on", ... */
	size_t		count;
	struct pgw_strlist names;
};

static struct group *
group_for(struct group **gs, size_t *n, enum pgw_kind kind, const char *action)
{
	for (size_t i = 0; i < *n; i++)
		if ((*gs)[i].kind == kind && strcmp((*gs)[i].action, action) == 0)
			return &(*gs)[i];
	*gs = pgw_realloc(*gs, (*n + 1) * sizeof(**gs));
	memset(&(*gs)[*n], 0, sizeof(**gs));
	(*gs)[*n].kind = kind;
	(*gs)[*n].action = action;
	return &(*gs)[(*n)++];
}

static void
add_name(struct group *g, const char *schema, const char *name, const char *sub)
{
	char	   *s;

	if (sub)
		s = pgw_asprintf("%s%s%s.%s", schema && strcmp(schema, "public") ? schema : "",
						 schema && strcmp(schema, "public") ? "." : "", name, sub);
	else
		s = pgw_asprintf("%s%s%s", schema && strcmp(schema, "public") ? schema : "",
						 schema && strcmp(schema, "public") ? "." : "", name ? name : "?");
	if (!strlist_has(&g->names, s))
		strlist_add(&g->names, s);
	free(s);
	g->count++;
}

/* Whether the diff creates c's table (or view, function, ...) itself. */
static bool
created_here(const struct pgw_diff *d, const struct pgw_change *c)
{
	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *o = d->changes.items[i];

		if (o->sub == NULL && strcmp(o->action, "create") == 0 && o->kind == c->kind &&
			o->name && c->name && strcmp(o->name, c->name) == 0 &&
			((!o->schema && !c->schema) || (o->schema && c->schema && strcmp(o->schema, c->schema) == 0)))
			return true;
	}
	return false;
}

void
trial_describe(const struct pgw_diff *d, struct pgw_buf *text, json_t **groups)
{
	struct group *gs = NULL;
	size_t		ng = 0;
	json_t	   *arr = json_array();

	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *c = d->changes.items[i];
		const char *action = c->action;
		enum pgw_kind kind = c->kind;

		if (strcmp(action, "drop (recreate)") == 0)
			continue;			/* the create that follows says it */
		if (strcmp(action, "add") == 0)
			action = "create";
		/* grants and comments of a table made here are part of making it */
		if ((!strcmp(action, "grant") || !strcmp(action, "revoke") || !strcmp(action, "comment") ||
			 !strcmp(action, "owner")) && created_here(d, c))
			continue;
		if (strcmp(action, "rls") == 0 && c->owner_new)
		{
			const struct pgw_relation *r = (const struct pgw_relation *) c->owner_new;

			action = r->rls_enabled ? "rls on" : "rls off";
		}
		else if (strcmp(action, "replace") == 0)
			action = "alter";
		add_name(group_for(&gs, &ng, kind, action), c->schema, c->name, c->sub);
		/* a new table's columns are part of it: count them too */
		if (kind == PGW_KIND_TABLE && strcmp(action, "create") == 0 && c->owner_new)
		{
			const struct pgw_relation *r = (const struct pgw_relation *) c->owner_new;
			struct group *g = group_for(&gs, &ng, PGW_KIND_COLUMN, "create");

			/* counted, and named by their table: "8 in vehicle_documents" */
			if (r->columns.n)
			{
				char	   *label = pgw_asprintf("%zu in %s%s%s", r->columns.n,
												c->schema && strcmp(c->schema, "public") ? c->schema : "",
												c->schema && strcmp(c->schema, "public") ? "." : "", c->name);

				strlist_add(&g->names, label);
				free(label);
				g->count += r->columns.n;
			}
		}
	}
	for (size_t i = 0; i < ng; i++)
	{
		struct group *g = &gs[i];
		const char *a = g->action;
		json_t	   *o = json_object();
		json_t	   *names = json_array();
		bool		list = true;

		if (i)
			buf_append(text, ", ");
		if (!strcmp(a, "rls on") || !strcmp(a, "rls off"))
			buf_printf(text, "RLS %s", a + 4);
		else
			buf_printf(text, "%s%zu %s%s", !strcmp(a, "create") ? "+" : !strcmp(a, "drop") ? "-" : "~",
					   g->count, plural(g->kind, g->count),
					   strcmp(a, "create") && strcmp(a, "drop") ? (strcmp(a, "alter") ? "" : " changed") : "");
		if (strcmp(a, "create") && strcmp(a, "drop") && strcmp(a, "alter") && strncmp(a, "rls", 3))
			buf_printf(text, " (%s)", a);
		if (list && g->names.n)
		{
			buf_append(text, " (");
			for (size_t k = 0; k < g->names.n && k < 5; k++)
				buf_printf(text, "%s%s", k ? ", " : "", g->names.items[k]);
			if (g->names.n > 5)
				buf_printf(text, ", … %zu more", g->names.n - 5);
			buf_append(text, ")");
		}
		json_object_set_new(o, "kind", json_string(model_kind_name(g->kind)));
		json_object_set_new(o, "action", json_string(a));
		json_object_set_new(o, "count", json_integer((json_int_t) g->count));
		for (size_t k = 0; k < g->names.n; k++)
			json_array_append_new(names, json_string(g->names.items[k]));
		json_object_set_new(o, "names", names);
		json_array_append_new(arr, o);
		strlist_release(&g->names);
	}
	if (ng == 0)
		buf_append(text, "no schema change");
	free(gs);
	*groups = arr;
}

json_t *
trial_statements_json(const struct pgw_trial *t)
{
	json_t	   *arr = json_array();

	for (size_t i = 0; i < t->nstmts; i++)
	{
		const struct pgw_trial_stmt *x = &t->stmts[i];
		json_t	   *o = json_object();
		json_t	   *locks = json_array();

		json_object_set_new(o, "file", json_string(x->file));
		json_object_set_new(o, "line", json_integer(x->line));
		json_object_set_new(o, "statement", json_string(x->tag));
		json_object_set_new(o, "part", json_string(x->down ? "rollback" : "up"));
		json_object_set_new(o, "duration_ms", json_integer(x->ms));
		for (size_t k = 0; k < x->locks.n; k++)
			json_array_append_new(locks, json_string(x->locks.items[k]));
		json_object_set_new(o, "locks", x->observed ? locks : (json_decref(locks), json_null()));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* --- rollbacks derived ------------------------------------------------------ */

static void
derived_refuse(struct pgw_derived *d, int line, const char *detail, const char *fmt,...)
	__attribute__((format(printf, 4, 5)));

static void
derived_refuse(struct pgw_derived *d, int line, const char *detail, const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;

	if (d->refused)
		return;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d->refused = buf_steal(&b);
	d->refused_line = line;
	d->refused_detail = detail ? pgw_strdup(detail) : NULL;
}

/* Whether diff d creates the table schema.name (schema NULL: any schema,
 * as an unqualified name in the migration). */
static bool
diff_creates_table(const struct pgw_diff *d, const char *schema, const char *name)
{
	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *c = d->changes.items[i];

		if (c->kind == PGW_KIND_TABLE && c->sub == NULL && strcmp(c->action, "create") == 0 &&
			c->name && strcmp(c->name, name) == 0 &&
			(!schema || (c->schema && strcmp(c->schema, schema) == 0)))
			return true;
	}
	return false;
}

/*
 * What makes a rollback of the migration planned in up impossible to derive,
 * given its forward diff fwd: a change that deletes data, or rows written
 * to a table it did not create.  Recorded in d.
 */
static void
derive_check_data(struct pgw_derived *d, const struct pgw_plan *up, const struct pgw_diff *fwd)
{
	struct pgw_buf lost;

	buf_init(&lost);
	for (size_t i = 0; i < fwd->changes.n; i++)
	{
		const struct pgw_change *c = fwd->changes.items[i];

		if (c->hazards & PGW_HAZARD_DELETES_DATA)
			buf_printf(&lost, "%s%s", lost.len ? "; " : "", c->summary);
	}
	if (lost.len)
		derived_refuse(d, 0, lost.data, "it deletes data a rollback cannot bring back");
	buf_release(&lost);
	for (size_t i = 0; i < up->n && !d->refused; i++)
	{
		const struct pgw_sql_stmt *st = &up->s.stmts[up->stmts[i]];
		const char *tag = st->info.tag ? st->info.tag : "";

		if (strcmp(tag, "INSERT") && strcmp(tag, "UPDATE") && strcmp(tag, "DELETE") &&
			strcmp(tag, "MERGE") && strcmp(tag, "TRUNCATE") && strcmp(tag, "COPY"))
			continue;
		if (st->info.nobjects == 0)
			derived_refuse(d, st->line, NULL, "line %d: %s changes rows, which a rollback derived from "
						   "the schema does not undo", st->line, tag);
		for (size_t k = 0; k < st->info.nobjects; k++)
		{
			const struct pgw_sql_object *o = &st->info.objects[k];

			if (strcmp(tag, "COPY") == 0 && o->lock == PGW_LOCK_ACCESS_SHARE)
				continue;		/* COPY ... TO reads */
			if (strcmp(o->kind, "table") || !o->name || diff_creates_table(fwd, o->schema, o->name))
				continue;
			derived_refuse(d, st->line, NULL, "line %d: %s changes rows of %s%s%s, a table it did not "
						   "create; a rollback derived from the schema does not undo that", st->line, tag,
						   o->schema ? o->schema : "", o->schema ? "." : "", o->name);
			break;
		}
	}
}

int
trial_derive(PGconn *conn, bool tx, struct pgw_migration *const *ms, size_t n,
			 const struct pgw_catalog_opts *copts, struct pgw_derived *d, bool *restored)
{
	struct pgw_plan *up = pgw_calloc(n ? n : 1, sizeof(*up));
	struct pgw_plan *down = pgw_calloc(n ? n : 1, sizeof(*down));
	struct pgw_sql_file *files = pgw_calloc(n ? n : 1, sizeof(*files));
	struct pgw_model *snap = pgw_calloc(n + 1, sizeof(*snap));
	char	  **text = pgw_calloc(n + 1, sizeof(*text));
	struct pgw_trial t;
	size_t		i,
				reached = 0;
	const char *stop = NULL;	/* why the way down stopped */
	char	   *stop_owned = NULL;
	int			rc = -1;

	memset(&t, 0, sizeof(t));
	*restored = false;
	for (i = 0; i <= n; i++)
		model_init(&snap[i]);
	for (i = 0; i < n; i++)
	{
		if (runner_plan_migration(&up[i], ms[i], false) != 0)
			goto done;
		if (!d[i].want && migration_has_rollback(ms[i]) &&
			runner_plan_migration(&down[i], ms[i], true) != 0)
			goto done;
	}
	if (snapshot(conn, copts, &snap[0], &text[0]) != 0)
		goto done;
	/* up, a snapshot after each migration */
	for (reached = 0; reached < n; reached++)
	{
		if (run_plan(&t, conn, tx, &up[reached], false) != 1)
			break;
		if (snapshot(conn, copts, &snap[reached + 1], &text[reached + 1]) != 0)
			goto done;
	}
	rc = 0;
	if (reached < n)
	{
		char	   *why = t.untestable ? pgw_strdup(t.untestable_why) :
			pgw_asprintf("'%s' fails in the sandbox at line %d: %s", t.fail_file, t.fail_line,
						 t.fail_message ? t.fail_message : "?");

		for (i = reached; i < n; i++)
			if (d[i].want)
				derived_refuse(&d[i], 0, NULL, "%s", why);
		for (i = 0; i < reached; i++)
			if (d[i].want)
				derived_refuse(&d[i], 0, NULL, "not verified: %s", why);
		free(why);
		goto done;
	}
	/* the rollbacks: schema after → schema before, and what forbids them */
	for (i = 0; i < n; i++)
	{
		struct pgw_diff fwd,
					back;
		struct pgw_diff_opts o = {0};

		if (!d[i].want)
			continue;
		o.unsafe = true;
		/* one transaction: a rollback is all or nothing */
		o.no_concurrently = true;
		diff_init(&fwd);
		diff_init(&back);
		if (diff_models(&snap[i], &snap[i + 1], &o, &fwd) != 0 ||
			diff_models(&snap[i + 1], &snap[i], &o, &back) != 0)
		{
			derived_refuse(&d[i], 0, NULL, "the change cannot be reversed: %s", pgw_error_last()->message);
			pgw_error_clear();
		}
		else if (derive_check_data(&d[i], &up[i], &fwd), back.changes.n == 0)
			derived_refuse(&d[i], 0, NULL, "it changes nothing in the schema: there is nothing to undo");
		else
		{
			struct pgw_buf b;

			buf_init(&b);
			diff_script(&back, "rollback derived by pgwarden (schema after → schema before)", &b);
			d[i].sql = buf_steal(&b);
			d[i].changes = back.changes.n;
			buf_init(&b);
			for (size_t k = 0; k < back.changes.n; k++)
			{
				const struct pgw_change *c = back.changes.items[k];

				if (c->hazards & PGW_HAZARD_MAY_FAIL_ON_DATA)
					buf_printf(&b, "%s%s", b.len ? "; " : "", c->summary);
			}
			if (b.len)
				d[i].caution = buf_steal(&b);
			else
				buf_release(&b);
		}
		diff_release(&fwd);
		diff_release(&back);
	}
	/* down, newest first: each must give back the snapshot before it */
	for (i = n; i-- > 0;)
	{
		struct pgw_plan *p = &down[i];
		struct pgw_model m;
		char	   *after = NULL;
		int			ran;

		if (d[i].want && !d[i].sql)
		{
			stop = "no rollback could be derived for it";
			break;
		}
		if (d[i].want)
		{
			sqlfile_from_text(ms[i]->file, d[i].sql, strlen(d[i].sql), &files[i]);
			if (runner_plan_file(p, &files[i]) != 0)
			{
				derived_refuse(&d[i], 0, NULL, "the derived rollback does not parse: %s",
							   pgw_error_last()->message);
				pgw_error_clear();
				stop = "its derived rollback does not parse";
				break;
			}
		}
		else if (!p->m && !p->loaded)
		{
			stop = "it has no rollback";
			break;
		}
		ran = run_plan(&t, conn, tx, p, true);
		if (ran != 1)
		{
			if (d[i].want)
				derived_refuse(&d[i], t.fail_line, NULL, "the derived rollback fails in the sandbox at line %d: %s",
							   t.fail_line, t.fail_message ? t.fail_message : t.untestable_why ? t.untestable_why : "?");
			stop = "its rollback fails in the sandbox";
			break;
		}
		model_init(&m);
		if (snapshot(conn, copts, &m, &after) != 0)
		{
			model_release(&m);
			rc = -1;
			goto done;
		}
		model_release(&m);
		if (strcmp(after, text[i]) != 0)
		{
			if (d[i].want)
				derived_refuse(&d[i], 0, NULL, "the derived rollback does not restore the schema exactly");
			stop = "its rollback does not restore the schema exactly";
			free(after);
			break;
		}
		free(after);
		if (d[i].want)
			d[i].verified = true;
	}
	*restored = !stop;
	/* what is below where the way down stopped was not verified */
	if (stop && i != (size_t) -1)
	{
		stop_owned = pgw_asprintf("not verified: the way down stopped at '%s', which comes after it (%s)",
								  ms[i]->file, stop);
		for (size_t k = 0; k < i; k++)
			if (d[k].want)
				derived_refuse(&d[k], 0, NULL, "%s", stop_owned);
	}
done:
	for (i = 0; i < n; i++)
	{
		runner_plan_release(&up[i]);
		if (down[i].m || down[i].loaded)
			runner_plan_release(&down[i]);
		sqlfile_release(&files[i]);
	}
	for (i = 0; i <= n; i++)
	{
		model_release(&snap[i]);
		free(text[i]);
	}
	free(stop_owned);
	trial_release(&t);
	free(up);
	free(down);
	free(files);
	free(snap);
	free(text);
	return rc;
}

void
trial_derived_release(struct pgw_derived *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		free(d[i].sql);
		free(d[i].refused);
		free(d[i].refused_detail);
		free(d[i].caution);
		d[i].sql = d[i].refused = d[i].refused_detail = d[i].caution = NULL;
	}
}

int
trial_rewind(PGconn *conn, bool tx, struct pgw_migration *const *ms, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		struct pgw_trial t;
		struct pgw_plan p;
		int			ran = -1;

		if (!migration_has_rollback(ms[i]))
			return pgw_error(PGW_ERR_INPUT, "'%s' has no rollback", ms[i]->file);
		memset(&t, 0, sizeof(t));
		if (runner_plan_migration(&p, ms[i], true) != 0)
			return -1;
		ran = run_plan(&t, conn, tx, &p, true);
		runner_plan_release(&p);
		if (ran != 1)
		{
			if (t.untestable)
				pgw_error(PGW_ERR_INPUT, "the rollback of '%s' cannot run in this sandbox: %s", ms[i]->file,
						  t.untestable_why);
			else
				pgw_error(PGW_ERR_INPUT, "the rollback of '%s' fails in the sandbox at line %d: %s",
						  ms[i]->file, t.fail_line, t.fail_message ? t.fail_message : "?");
			pgw_error_detail("it runs first to bring the sandbox back to the schema before the "
							 "migrations already applied on the target");
			pgw_error_hint("fix that rollback, or test against a database where the migration is not "
						   "applied yet (--db)");
			trial_release(&t);
			return -1;
		}
		trial_release(&t);
	}
	return 0;
}
