/*
 * probe.c — settles the statements the parse tree alone cannot compare
 * with the live model (PGW_AF_PROBE: a CREATE TABLE that is not certainly
 * the live table, an index with expressions or a predicate, a policy's
 * USING / WITH CHECK): the server makes each file object, the catalog is
 * read once, and the two sides are compared as the catalog prints them.
 *
 * Exports deploy_probe() (deploy.h).  All of it happens in one
 * transaction that is rolled back: a schema per probed statement
 * (pgw_deploy_probe_<n>) holding the file's table, or an empty LIKE copy
 * of the live table carrying the file's index or policy.  Round trips: the
 * batch (one, or one per statement when some object cannot be made, to
 * tell which), then one catalog read — not one per statement.
 *
 * A differing table is handed to the diff engine as a one-table model
 * pair (the live table; the probe's, moved back into the live schema), so
 * the ALTERs are the ones `pgwarden diff` writes.  The pair holds columns,
 * constraints and the indexes behind them; indexes, policies and triggers
 * are their own statements' business.  A live column or constraint the
 * CREATE TABLE lacks but an ALTER TABLE of the folder adds is carried over
 * (it is not to be dropped).  Changes that lose data — a dropped column, a
 * type change that is not a widening — refuse the statement.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "db/query.h"
#include "deploy/deploy.h"
#include "diff/diff.h"
#include "sql/quote.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/mem.h"

static bool
streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static const struct pgw_relation *
rel_in(const struct pgw_model *m, const char *schema, const char *name)
{
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *r = m->relations.items[i];

		if (!strcmp(r->obj.schema, schema) && !strcmp(r->obj.name, name))
			return r;
	}
	return NULL;
}

static const void *
sub_in(const struct pgw_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
	{
		const struct pgw_object *o = v->items[i];

		if (!strcmp(o->name, name))
			return o;
	}
	return NULL;
}

static bool
vec_str_eq(const struct pgw_vec *a, const struct pgw_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

static bool
vec_str_has(const struct pgw_vec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->items[i], s))
			return true;
	return false;
}

/* The same roles in any order. */
static bool
roles_eq(const struct pgw_vec *a, const struct pgw_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!vec_str_has(b, a->items[i]))
			return false;
	return true;
}

/* text with every "<probe schema>." taken out, in m's arena. */
static const char *
unprobe(struct pgw_model *m, const char *text, const char *ps)
{
	struct pgw_buf b;
	char	   *dotted;
	const char *p;
	const char *hit;
	size_t		len;
	const char *out;

	if (!text)
		return NULL;
	dotted = pgw_asprintf("%s.", ps);
	len = strlen(dotted);
	if (!strstr(text, dotted))
	{
		free(dotted);
		return text;
	}
	buf_init(&b);
	for (p = text; (hit = strstr(p, dotted)) != NULL; p = hit + len)
		buf_append_len(&b, p, (size_t) (hit - p));
	buf_append(&b, p);
	out = model_strdup(m, b.data ? b.data : "");
	buf_release(&b);
	free(dotted);
	return out;
}

/* Whether changing a column from type a to type b keeps every value:
 * integers to wider integers or numeric, real to double precision, a
 * numeric to unconstrained numeric, varchar(n) to a longer varchar or text. */
static bool
widening(const char *a, const char *b)
{
	static const char *const order[] = {"smallint", "integer", "bigint", "numeric"};
	int			ia = -1,
				ib = -1;
	long		na,
				nb;

	for (int i = 0; i < 4; i++)
	{
		if (!strcmp(a, order[i]))
			ia = i;
		if (!strcmp(b, order[i]))
			ib = i;
	}
	if (ia >= 0 && ib > ia)
		return true;
	if (!strcmp(a, "real") && !strcmp(b, "double precision"))
		return true;
	if (!strncmp(a, "numeric(", 8) && !strcmp(b, "numeric"))
		return true;
	if (!strncmp(a, "character varying", 17) && (!strcmp(b, "text") || !strcmp(b, "character varying")))
		return true;
	if (sscanf(a, "character varying(%ld)", &na) == 1 && sscanf(b, "character varying(%ld)", &nb) == 1 &&
		!strchr(a, '[') && !strchr(b, '['))
		return nb >= na;
	return false;
}

static void
settle(struct pgw_deploy_stmt *st, enum pgw_autofix fix, const char *action, char *reason)
{
	st->fix = fix;
	free(st->fix_action);
	st->fix_action = pgw_strdup(action);
	free(st->fix_reason);
	st->fix_reason = reason;
}

/*
 * The table statement st against the live table lr, given the probe's
 * table pr (in schema ps): the one-table model pair, diffed.
 */
static void
settle_table(struct pgw_deploy_stmt *st, const struct pgw_model *live, const struct pgw_relation *lr,
			 const struct pgw_relation *pr, const char *ps, const struct pgw_strlist *adds)
{
	struct pgw_model from,
				to;
	struct pgw_relation *o,
			   *n;
	struct pgw_diff d;
	struct pgw_diff_opts opts = {0};
	struct pgw_buf why,
				sql,
				prefix_buf;
	const char *prefix;
	size_t		prefix_len;
	bool		only_adds = true;

	model_init(&from);
	model_init(&to);
	diff_init(&d);
	buf_init(&why);
	buf_init(&sql);
	buf_init(&prefix_buf);
	for (size_t i = 0; i < live->schemas.n; i++)
	{
		const struct pgw_object *s = live->schemas.items[i];

		if (!strcmp(s->name, lr->obj.schema))
		{
			model_push(&from, &from.schemas, live->schemas.items[i]);
			model_push(&to, &to.schemas, live->schemas.items[i]);
		}
	}

	/* from: the live table, without what other statements own */
	o = model_new_object(&from, sizeof(*o), PGW_KIND_TABLE, lr->obj.schema, lr->obj.name);
	*o = *lr;
	o->obj.managed = true;
	memset(&o->indexes, 0, sizeof(o->indexes));
	memset(&o->policies, 0, sizeof(o->policies));
	memset(&o->triggers, 0, sizeof(o->triggers));
	for (size_t i = 0; i < lr->indexes.n; i++)
		if (((const struct pgw_index *) lr->indexes.items[i])->constraint)
			model_push(&from, &o->indexes, lr->indexes.items[i]);
	model_push(&from, &from.relations, o);

	/* to: the probe's table, moved back; what the file does not say about
	 * the table (comments, grants, RLS, owner) taken from the live one */
	n = model_new_object(&to, sizeof(*n), PGW_KIND_TABLE, lr->obj.schema, lr->obj.name);
	*n = *pr;
	n->obj = lr->obj;
	n->obj.managed = true;
	n->owner = lr->owner;
	n->comment = lr->comment;
	n->grants = lr->grants;
	n->rls_enabled = lr->rls_enabled;
	n->rls_forced = lr->rls_forced;
	memset(&n->columns, 0, sizeof(n->columns));
	memset(&n->constraints, 0, sizeof(n->constraints));
	memset(&n->indexes, 0, sizeof(n->indexes));
	memset(&n->policies, 0, sizeof(n->policies));
	memset(&n->triggers, 0, sizeof(n->triggers));
	for (size_t i = 0; i < pr->columns.n; i++)
	{
		const struct pgw_column *pc = pr->columns.items[i];
		const struct pgw_column *lc = model_find_column(lr, pc->obj.name);
		struct pgw_column *c = model_new_object(&to, sizeof(*c), PGW_KIND_COLUMN, lr->obj.schema, pc->obj.name);

		*c = *pc;
		c->obj.schema = lr->obj.schema;
		memset(&c->obj.deps, 0, sizeof(c->obj.deps));
		c->default_expr = unprobe(&to, pc->default_expr, ps);
		c->comment = lc ? lc->comment : NULL;
		if (lc)
			c->grants = lc->grants;
		else
			memset(&c->grants, 0, sizeof(c->grants));
		model_push(&to, &n->columns, c);
	}
	for (size_t i = 0; i < lr->columns.n; i++)
	{
		const struct pgw_column *lc = lr->columns.items[i];

		if (!model_find_column(pr, lc->obj.name) && deploy_has_add(adds, 'c', lr->obj.schema, lr->obj.name, lc->obj.name))
			model_push(&to, &n->columns, lr->columns.items[i]);
	}
	for (size_t i = 0; i < pr->constraints.n; i++)
	{
		const struct pgw_constraint *pk = pr->constraints.items[i];
		const struct pgw_constraint *lk = sub_in(&lr->constraints, pk->obj.name);
		struct pgw_constraint *k = model_new_object(&to, sizeof(*k), PGW_KIND_CONSTRAINT, lr->obj.schema, pk->obj.name);

		*k = *pk;
		k->obj.schema = lr->obj.schema;
		memset(&k->obj.deps, 0, sizeof(k->obj.deps));
		k->definition = unprobe(&to, pk->definition, ps);
		k->comment = lk ? lk->comment : NULL;
		model_push(&to, &n->constraints, k);
	}
	for (size_t i = 0; i < pr->indexes.n; i++)
	{
		const struct pgw_index *px = pr->indexes.items[i];
		const struct pgw_index *lx = sub_in(&lr->indexes, px->obj.name);
		struct pgw_index *x;

		if (!px->constraint)
			continue;
		x = model_new_object(&to, sizeof(*x), PGW_KIND_INDEX, lr->obj.schema, px->obj.name);
		*x = *px;
		x->obj.schema = lr->obj.schema;
		memset(&x->obj.deps, 0, sizeof(x->obj.deps));
		x->definition = unprobe(&to, px->definition, ps);
		x->comment = lx ? lx->comment : NULL;
		model_push(&to, &n->indexes, x);
	}
	for (size_t i = 0; i < lr->constraints.n; i++)
	{
		const struct pgw_constraint *lk = lr->constraints.items[i];

		if (sub_in(&pr->constraints, lk->obj.name) || !deploy_has_add(adds, 'k', lr->obj.schema, lr->obj.name, lk->obj.name))
			continue;
		model_push(&to, &n->constraints, lr->constraints.items[i]);
		if (lk->index && sub_in(&lr->indexes, lk->index))
			model_push(&to, &n->indexes, (void *) sub_in(&lr->indexes, lk->index));
	}
	model_push(&to, &to.relations, n);

	/* a type change that is not a widening could lose data */
	for (size_t i = 0; i < n->columns.n; i++)
	{
		const struct pgw_column *nc = n->columns.items[i];
		const struct pgw_column *oc = model_find_column(lr, nc->obj.name);

		if (oc && !streq(oc->type, nc->type) && !widening(oc->type, nc->type))
			buf_printf(&why, "%scolumn %s.%s is %s in the database but %s in the file", why.len ? "; " : "",
					   st->object, nc->obj.name, oc->type, nc->type);
	}
	if (why.len)
	{
		settle(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("%s: changing the type could lose data; nothing was changed (change it with a migration that says how, or restore the file's type)",
							why.data));
		goto out;
	}
	opts.no_concurrently = true;
	if (diff_models(&from, &to, &opts, &d) != 0)
	{
		const struct pgw_err *e = pgw_error_last();

		settle(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("table %s differs from the file, and the changes cannot be worked out: %s", st->object,
							e->message ? e->message : "?"));
		pgw_error_clear();
		goto out;
	}
	if (d.refused > 0)
	{
		for (size_t i = 0; i < d.refused_list.n; i++)
		{
			const struct pgw_change *c = d.refused_list.items[i];

			buf_printf(&why, "%s%s", why.len ? "; " : "", c->summary ? c->summary : c->action);
		}
		settle(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("table %s differs from the file in a way that would lose data (%s); nothing was changed",
							st->object, why.data ? why.data : "?"));
		goto out;
	}
	if (d.changes.n == 0)
	{
		settle(st, PGW_AF_SKIP, "skip", pgw_asprintf("table %s exists with the same definition", st->object));
		goto out;
	}
	buf_append(&prefix_buf, "ALTER TABLE ");
	sql_qname(&prefix_buf, lr->obj.schema, lr->obj.name);
	buf_append(&prefix_buf, " ");
	prefix = prefix_buf.data;
	prefix_len = prefix_buf.len;
	for (size_t i = 0; i < d.changes.n; i++)
	{
		const struct pgw_change *c = d.changes.items[i];

		if (c->kind != PGW_KIND_COLUMN || strcmp(c->action, "add") != 0)
			only_adds = false;
		buf_append(&sql, c->sql);
		/* the reason lists the ALTERs, each without its "ALTER TABLE t " */
		for (const char *p = c->sql; p && *p;)
		{
			const char *end = strstr(p, ";\n");
			size_t		len = end ? (size_t) (end - p) : strlen(p);

			if (len > prefix_len && !strncmp(p, prefix, prefix_len))
				p += prefix_len, len -= prefix_len;
			buf_append(&why, why.len ? "; " : "");
			buf_append_len(&why, p, len);
			p += len + (end ? 2 : 0);
		}
	}
	settle(st, PGW_AF_REWRITE, only_adds ? "add columns" : "alter table",
		   pgw_asprintf("table %s exists and differs from the file: %s (the ALTERs pgwarden diff writes)",
						st->object, why.data));
	free(st->fix_sql);
	st->fix_sql = buf_steal(&sql);
out:
	buf_release(&why);
	buf_release(&sql);
	buf_release(&prefix_buf);
	diff_release(&d);
	model_release(&from);
	model_release(&to);
}

static void
settle_index(struct pgw_deploy_stmt *st, const struct pgw_relation *lr, const struct pgw_relation *pr)
{
	const struct pgw_index *lx = sub_in(&lr->indexes, st->probe_name);
	const struct pgw_index *px = sub_in(&pr->indexes, st->probe_name);

	if (lx && px && streq(lx->method, px->method) && vec_str_eq(&lx->keys, &px->keys) &&
		vec_str_eq(&lx->include, &px->include) && streq(lx->predicate, px->predicate) && lx->unique == px->unique)
		settle(st, PGW_AF_SKIP, "skip", pgw_asprintf("index %s exists with the same definition", st->object));
	else
		settle(st, PGW_AF_REFUSE, "refuse",
			   pgw_asprintf("index %s exists with another definition: %s", st->object,
							lx && lx->definition ? lx->definition : "?"));
}

static void
settle_policy(struct pgw_deploy_stmt *st, const struct pgw_relation *lr, const struct pgw_relation *pr)
{
	const struct pgw_policy *lp = sub_in(&lr->policies, st->probe_name);
	const struct pgw_policy *pp = sub_in(&pr->policies, st->probe_name);

	if (lp && pp && lp->command == pp->command && lp->permissive == pp->permissive &&
		roles_eq(&lp->roles, &pp->roles) && streq(lp->using_expr, pp->using_expr) &&
		streq(lp->check_expr, pp->check_expr))
	{
		settle(st, PGW_AF_SKIP, "skip", pgw_asprintf("policy %s exists with the same definition", st->object));
		free(st->fix_sql);
		st->fix_sql = NULL;
	}
	else
	{
		/* fix_sql (DROP POLICY + CREATE POLICY) was prepared by autofix */
		st->fix = PGW_AF_REWRITE;
		free(st->fix_reason);
		st->fix_reason = pgw_asprintf("policy %s exists with another definition (USING %s%s%s): dropped and created again in the same transaction",
									  st->object, lp && lp->using_expr ? lp->using_expr : "-",
									  lp && lp->check_expr ? ", WITH CHECK " : "",
									  lp && lp->check_expr ? lp->check_expr : "");
	}
}

/* Sends sql; 0 when it ran.  On failure, *msg (when given) gets the
 * server's message. */
static int
exec_msg(PGconn *conn, const char *sql, char **msg)
{
	PGresult   *res = PQexec(conn, sql);
	int			rc = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	if (rc != 0 && msg)
	{
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

		free(*msg);
		*msg = pgw_strdup(m ? m : PQerrorMessage(conn));
	}
	PQclear(res);
	return rc;
}

static int
begin(PGconn *conn, const struct pgw_config *cfg)
{
	char	   *set;
	int			rc;

	if (exec_msg(conn, "BEGIN", NULL) != 0)
		return -1;
	/* the probe takes locks (a foreign key's on the referenced table):
	 * never wait long for them, with or without the runner's session */
	set = pgw_asprintf("SET LOCAL lock_timeout = %d", cfg->lock_timeout_ms > 0 ? cfg->lock_timeout_ms : 5000);
	rc = exec_msg(conn, set, NULL);
	free(set);
	return rc;
}

int
deploy_probe(PGconn *conn, const struct pgw_config *cfg, const struct pgw_model *live,
			 struct pgw_deploy_run *run)
{
	struct pgw_buf batch;
	char	  **failed;
	struct pgw_model pm;
	struct pgw_catalog_opts co = {0};
	struct pgw_strlist include = {0};
	int64_t		t0 = pgw_now_ms();
	int			rc = -1;

	if (run->nprobes == 0)
		return 0;
	failed = pgw_calloc(run->nstmts + 1, sizeof(char *));
	model_init(&pm);
	buf_init(&batch);
	for (size_t i = 0; i < run->nstmts; i++)
		if (run->stmts[i].fix == PGW_AF_PROBE)
			buf_append(&batch, run->stmts[i].probe_sql);
	if (begin(conn, cfg) != 0)
		goto lost;
	if (exec_msg(conn, batch.data, NULL) != 0)
	{
		/* something cannot be made: again one by one, to tell which */
		exec_msg(conn, "ROLLBACK", NULL);
		if (begin(conn, cfg) != 0)
			goto lost;
		for (size_t i = 0; i < run->nstmts; i++)
		{
			char	   *one;

			if (run->stmts[i].fix != PGW_AF_PROBE)
				continue;
			one = pgw_asprintf("SAVEPOINT pgw_probe;\n%sRELEASE SAVEPOINT pgw_probe", run->stmts[i].probe_sql);
			if (exec_msg(conn, one, &failed[i]) != 0)
			{
				if (exec_msg(conn, "ROLLBACK TO SAVEPOINT pgw_probe", NULL) != 0 ||
					exec_msg(conn, "RELEASE SAVEPOINT pgw_probe", NULL) != 0)
				{
					free(one);
					goto lost;
				}
			}
			free(one);
		}
	}
	strlist_add(&include, PGW_DEPLOY_PROBE_SCHEMA "*");
	co.stable = true;
	co.include = &include;
	if (catalog_read(&conn, 1, &co, &pm, NULL) != 0)
	{
		exec_msg(conn, "ROLLBACK", NULL);
		goto out;
	}
	if (exec_msg(conn, "ROLLBACK", NULL) != 0)
		goto lost;

	for (size_t i = 0; i < run->nstmts; i++)
	{
		struct pgw_deploy_stmt *st = &run->stmts[i];
		char	   *ps;
		const struct pgw_relation *lr,
				   *pr;

		if (st->fix != PGW_AF_PROBE)
			continue;
		st->probed = true;
		ps = pgw_asprintf(PGW_DEPLOY_PROBE_SCHEMA "%d", st->probe_id);
		lr = rel_in(live, st->probe_schema, st->probe_table);
		pr = rel_in(&pm, ps, st->probe_table);
		if (failed[i] && st->probe_kind == PGW_KIND_TABLE && st->fallback_sql)
		{
			settle(st, PGW_AF_REWRITE, "add columns",
				   pgw_asprintf("table %s exists without some of the file's columns; the file's table cannot be made on the server to compare the rest (%s): the missing columns are added, and the verification after the deploy reports any other difference",
								st->object, failed[i]));
			free(st->fix_sql);
			st->fix_sql = st->fallback_sql;
			st->fallback_sql = NULL;
		}
		else if (failed[i] || !lr || !pr)
			settle(st, PGW_AF_REFUSE, "refuse",
				   pgw_asprintf("%s exists, and the file's statement cannot be made on the server to compare it: %s",
								st->object, failed[i] ? failed[i] : "not found after it ran"));
		else if (st->probe_kind == PGW_KIND_TABLE)
			settle_table(st, live, lr, pr, ps, &run->adds);
		else if (st->probe_kind == PGW_KIND_INDEX)
			settle_index(st, lr, pr);
		else
			settle_policy(st, lr, pr);
		free(ps);
	}
	run->nprobes = 0;
	rc = 0;
	goto out;
lost:
	db_error_from(conn, NULL, PGW_ERR_CONNECT, "cannot compare the phase files with the database");
	exec_msg(conn, "ROLLBACK", NULL);
out:
	for (size_t i = 0; i < run->nstmts; i++)
		free(failed[i]);
	free(failed);
	strlist_release(&include);
	buf_release(&batch);
	model_release(&pm);
	run->probe_ms = pgw_now_ms() - t0;
	return rc;
}
