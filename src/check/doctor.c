/*
 * doctor.c — the doctor's performance and security rules (check/doctor.h).
 *
 * The model rules walk the managed relations and functions once each; the
 * statistics rules are four queries.  Every finding names its object, says
 * what is wrong and what to do; a fix carries SQL written with
 * sql/quote.h, never pasted names.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/doctor.h"
#include "db/query.h"
#include "check/fix.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/mem.h"

static bool
exposed(const struct pgw_config *cfg, const char *schema)
{
	return schema && strlist_contains(&cfg->exposed_schemas, schema);
}

/* Judged: managed, or (for the security rules) in an exposed schema. */
static bool
judged(const struct pgw_object *o, const struct pgw_config *cfg)
{
	return o->managed || exposed(cfg, o->schema);
}

static struct pgw_finding *
add(struct pgw_findings *out, const char *rule, enum pgw_severity sev, const char *category,
	const char *kind, const char *schema, const char *name, const char *hint,
	const char *fmt,...)
__attribute__((format(printf, 9, 10)));

static struct pgw_finding *
add(struct pgw_findings *out, const char *rule, enum pgw_severity sev, const char *category,
	const char *kind, const char *schema, const char *name, const char *hint,
	const char *fmt,...)
{
	struct pgw_buf b;
	va_list		ap;
	struct pgw_finding *f;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	f = findings_add(out, rule, sev, category, b.data);
	finding_set_object(out, f, kind, schema, name, NULL);
	if (hint)
		finding_set_hint(out, f, hint);
	buf_release(&b);
	return f;
}

/* "a, b" */
static void
join(struct pgw_buf *b, const struct pgw_vec *v)
{
	size_t		i;

	for (i = 0; i < v->n; i++)
		buf_printf(b, "%s%s", i ? ", " : "", (const char *) v->items[i]);
}

/* The columns of a key list, quoted, for generated SQL. */
static void
join_quoted(struct pgw_buf *b, const struct pgw_vec *v)
{
	size_t		i;

	for (i = 0; i < v->n; i++)
	{
		if (i)
			buf_append(b, ", ");
		sql_ident(b, v->items[i]);
	}
}

/* --- performance, from the model ------------------------------------------ */

/* An index whose leading keys are exactly the FK's columns (any order) and
 * that has no predicate serves the FK's lookups. */
static bool
covers(const struct pgw_index *ix, const struct pgw_constraint *fk)
{
	size_t		i,
				j;

	if (!ix->valid || ix->predicate || ix->keys.n < fk->columns.n || strcmp(ix->method, "btree") != 0)
		return false;
	for (i = 0; i < fk->columns.n; i++)
	{
		bool		found = false;

		for (j = 0; j < fk->columns.n; j++)
			if (strcmp(ix->keys.items[j], fk->columns.items[i]) == 0)
				found = true;
		if (!found)
			return false;
	}
	return true;
}

static void
check_unindexed_fk(const struct pgw_relation *r, struct pgw_findings *out)
{
	size_t		i,
				j;

	for (i = 0; i < r->constraints.n; i++)
	{
		const struct pgw_constraint *c = r->constraints.items[i];
		bool		ok = false;
		struct pgw_buf cols,
					sql,
					undo;
		struct pgw_finding *f;
		const char **args;

		if (c->type != PGW_CON_FOREIGN || c->inherited)
			continue;
		for (j = 0; j < r->indexes.n && !ok; j++)
			ok = covers(r->indexes.items[j], c);
		if (ok)
			continue;
		buf_init(&cols);
		buf_init(&sql);
		join(&cols, &c->columns);
		buf_init(&undo);
		buf_append(&sql, "CREATE INDEX CONCURRENTLY IF NOT EXISTS ");
		{
			struct pgw_buf mid;
			char	   *name;

			buf_init(&mid);
			for (j = 0; j < c->columns.n; j++)
				buf_printf(&mid, "%s%s", j ? "_" : "", (const char *) c->columns.items[j]);
			/* the name generate add-composite-index gives it */
			name = fix_object_name(r->obj.name, mid.data, "idx");
			buf_release(&mid);

			sql_ident(&sql, name);
			buf_append(&undo, "DROP INDEX CONCURRENTLY IF EXISTS ");
			sql_qname(&undo, r->obj.schema, name);
			buf_append(&undo, ";");
			free(name);
		}
		buf_append(&sql, " ON ");
		sql_qname(&sql, r->obj.schema, r->obj.name);
		buf_append(&sql, " (");
		join_quoted(&sql, &c->columns);
		buf_append(&sql, ");");
		f = add(out, "index.unindexed_fk", PGW_SEV_WARNING, "performance", "constraint",
				r->obj.schema, c->obj.name,
				"index the referencing columns: deletes and updates of the referenced rows, and joins, scan the whole table without one",
				"foreign key %s on %s.%s (%s) has no index on its columns", c->obj.name,
				r->obj.schema, r->obj.name, cols.data);
		finding_set_table(out, f, r->obj.schema, r->obj.name);
		args = pgw_calloc(c->columns.n + 1, sizeof(char *));
		args[0] = pgw_asprintf("%s.%s", r->obj.schema, r->obj.name);
		for (j = 0; j < c->columns.n; j++)
			args[j + 1] = c->columns.items[j];
		/* CONCURRENTLY cannot build a partitioned table's index: that one
		 * is by hand (each partition, then ON ONLY the parent, attached) */
		if (r->relkind == 'r')
		{
			finding_set_fix(out, f, "add-composite-index", args, c->columns.n + 1, sql.data);
			finding_set_fix_undo(out, f, undo.data, true);
		}
		free((char *) args[0]);
		free(args);
		buf_release(&cols);
		buf_release(&sql);
		buf_release(&undo);
	}
}

static bool
same_vec(const struct pgw_vec *a, const struct pgw_vec *b)
{
	size_t		i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

/*
 * The fix of an index that should go: DROP INDEX CONCURRENTLY, undone by
 * building it again from its definition — except an INVALID one, which was
 * never usable (and which pg_dump, hence the sandbox, leaves out): its
 * rollback says so and builds nothing.  None for an index of a partitioned
 * table or a partition's attached index (CONCURRENTLY cannot drop those).
 */
static void
drop_index_fix(const struct pgw_relation *r, const struct pgw_index *ix, struct pgw_findings *out,
			   struct pgw_finding *f)
{
	struct pgw_buf sql,
				undo;
	const char *kw = ix->definition ? strstr(ix->definition, " INDEX ") : NULL;

	if (r->relkind != 'r' || ix->parent || !kw)
		return;
	buf_init(&sql);
	buf_init(&undo);
	buf_append(&sql, "DROP INDEX CONCURRENTLY IF EXISTS ");
	sql_qname(&sql, ix->obj.schema, ix->obj.name);
	buf_append(&sql, ";");
	/* "CREATE [UNIQUE] INDEX name ON ..." from pg_get_indexdef */
	if (ix->valid)
		buf_printf(&undo, "%.*s INDEX CONCURRENTLY IF NOT EXISTS %s;", (int) (kw - ix->definition),
				   ix->definition, kw + 7);
	else
		buf_append(&undo, "-- an INVALID index was never usable: not built again");
	finding_set_fix(out, f, NULL, NULL, 0, sql.data);
	finding_set_fix_undo(out, f, undo.data, true);
	buf_release(&sql);
	buf_release(&undo);
}

static void
check_indexes(const struct pgw_relation *r, struct pgw_findings *out)
{
	size_t		i,
				j;

	for (i = 0; i < r->indexes.n; i++)
	{
		const struct pgw_index *ix = r->indexes.items[i];

		if (!ix->valid)
		{
			struct pgw_finding *f;

			f = add(out, "index.invalid", PGW_SEV_ERROR, "performance", "index", ix->obj.schema,
					ix->obj.name,
					"drop it and build it again (CREATE INDEX CONCURRENTLY); an INVALID index is left by a failed CONCURRENTLY build",
					"index %s on %s.%s is INVALID: it is maintained on every write but never used",
					ix->obj.name, r->obj.schema, r->obj.name);
			finding_set_table(out, f, r->obj.schema, r->obj.name);
			finding_set_detail(out, f, ix->definition);
			drop_index_fix(r, ix, out, f);
		}
		for (j = i + 1; j < r->indexes.n; j++)
		{
			const struct pgw_index *o = r->indexes.items[j];
			const struct pgw_index *drop;
			const struct pgw_index *keep;
			struct pgw_finding *f;

			if (strcmp(ix->method, o->method) != 0 || !same_vec(&ix->keys, &o->keys) ||
				!same_vec(&ix->include, &o->include) ||
				(ix->predicate == NULL) != (o->predicate == NULL) ||
				(ix->predicate && strcmp(ix->predicate, o->predicate) != 0) ||
				!ix->valid || !o->valid)
				continue;
			/* keep the one a constraint needs, or the unique one */
			if (o->constraint || (o->unique && !ix->unique))
			{
				drop = ix;
				keep = o;
			}
			else
			{
				drop = o;
				keep = ix;
			}
			if (drop->constraint)
				continue;		/* both back constraints: not ours to drop */
			if (drop->unique && !keep->unique)
				continue;
			f = add(out, "index.duplicate", PGW_SEV_WARNING, "performance", "index", drop->obj.schema,
					drop->obj.name, "drop the duplicate: every write maintains both",
					"index %s on %s.%s duplicates %s", drop->obj.name, r->obj.schema, r->obj.name,
					keep->obj.name);
			finding_set_table(out, f, r->obj.schema, r->obj.name);
			drop_index_fix(r, drop, out, f);
		}
	}
}

static void
check_primary_key(const struct pgw_relation *r, struct pgw_findings *out)
{
	size_t		i;

	if (r->relkind != 'r' && r->relkind != 'p')
		return;
	if (r->parent_name)
		return;					/* a partition: its parent decides */
	for (i = 0; i < r->constraints.n; i++)
		if (((const struct pgw_constraint *) r->constraints.items[i])->type == PGW_CON_PRIMARY)
			return;
	add(out, "table.no_primary_key", PGW_SEV_WARNING, "performance", "table", r->obj.schema,
		r->obj.name,
		"add a primary key (an identity column, or the natural key): replication, updates by row and most tools need one",
		"table %s.%s has no primary key", r->obj.schema, r->obj.name);
}

/* --- security, from the model ---------------------------------------------- */

static bool
has_search_path(const struct pgw_function *fn)
{
	size_t		i;

	for (i = 0; i < fn->config.n; i++)
		if (strncmp(fn->config.items[i], "search_path=", 12) == 0)
			return true;
	return false;
}

static bool
granted_to(const struct pgw_vec *grants, const char *priv, const char *const *roles, size_t nroles)
{
	size_t		i,
				j;

	for (i = 0; i < grants->n; i++)
	{
		const struct pgw_grant *g = grants->items[i];

		if (strcmp(g->privilege, priv) != 0)
			continue;
		for (j = 0; j < nroles; j++)
			if (strcmp(g->grantee, roles[j]) == 0)
				return true;
	}
	return false;
}

static void
function_sql(struct pgw_buf *b, const struct pgw_function *fn)
{
	sql_qname(b, fn->obj.schema, fn->obj.name);
	buf_printf(b, "(%s)", fn->identity_args ? fn->identity_args : "");
}

/*
 * A function that runs its text argument as SQL: PL/pgSQL with a text
 * parameter and EXECUTE of that parameter (by name, or $n).
 */
static bool
executes_argument(const struct pgw_function *fn)
{
	const char *args = fn->identity_args ? fn->identity_args : "";
	const char *body = fn->definition;
	const char *p;
	int			n = 0;

	if (!body || !fn->language || strcmp(fn->language, "plpgsql") != 0 || !strstr(args, "text"))
		return false;
	/* every argument: "[name] type", comma separated */
	for (p = args; *p;)
	{
		size_t		len = strcspn(p, ",");
		char	   *arg = pgw_strndup(p, len);
		char	   *a = arg;
		char		pos[16];
		const char *q;

		n++;
		while (*a == ' ')
			a++;
		if (strstr(a, "text") || strstr(a, "character varying"))
		{
			char	   *name = NULL;
			char	   *sp = strchr(a, ' ');

			if (sp && strncmp(a, "text", 4) != 0 && strncmp(a, "character", 9) != 0)
				name = pgw_strndup(a, (size_t) (sp - a));
			snprintf(pos, sizeof(pos), "$%d", n);
			for (q = body; (q = strcasestr(q, "execute")) != NULL; q += 7)
			{
				const char *r = q + 7;

				while (*r && isspace((unsigned char) *r))
					r++;
				if ((name && strncmp(r, name, strlen(name)) == 0 &&
					 !isalnum((unsigned char) r[strlen(name)]) && r[strlen(name)] != '_') ||
					strncmp(r, pos, strlen(pos)) == 0)
				{
					free(name);
					free(arg);
					return true;
				}
			}
			free(name);
		}
		free(arg);
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

/*
 * The fix of a function too many may call: REVOKE EXECUTE from those of
 * roles[] that hold it, undone by granting it back as it was.
 */
static void
revoke_fix(const struct pgw_function *fn, const char *const *roles, size_t nroles,
		   struct pgw_findings *out, struct pgw_finding *f)
{
	struct pgw_buf sql,
				undo,
				who;
	size_t		i;

	buf_init(&sql);
	buf_init(&undo);
	buf_init(&who);
	for (i = 0; i < fn->grants.n; i++)
	{
		const struct pgw_grant *g = fn->grants.items[i];

		if (strcmp(g->privilege, "EXECUTE") != 0)
			continue;
		for (size_t k = 0; k < nroles; k++)
			if (strcmp(g->grantee, roles[k]) == 0)
			{
				if (who.len)
					buf_append(&who, ", ");
				if (strcmp(g->grantee, "public") == 0)
					buf_append(&who, "PUBLIC");
				else
					sql_ident(&who, g->grantee);
				buf_append(&undo, "GRANT EXECUTE ON FUNCTION ");
				function_sql(&undo, fn);
				buf_append(&undo, " TO ");
				if (strcmp(g->grantee, "public") == 0)
					buf_append(&undo, "PUBLIC");
				else
					sql_ident(&undo, g->grantee);
				buf_append(&undo, g->grantable ? " WITH GRANT OPTION;\n" : ";\n");
			}
	}
	buf_append(&sql, "REVOKE EXECUTE ON FUNCTION ");
	function_sql(&sql, fn);
	buf_printf(&sql, " FROM %s;", who.data);
	if (undo.len)
		undo.data[--undo.len] = '\0';
	finding_set_fix(out, f, NULL, NULL, 0, sql.data);
	finding_set_fix_undo(out, f, undo.data, false);
	buf_release(&sql);
	buf_release(&undo);
	buf_release(&who);
}

static void
check_functions(const struct pgw_model *m, const struct pgw_config *cfg, struct pgw_findings *out)
{
	static const char *const callers[] = {"public", "anon", "authenticated"};
	static const char *const everyone[] = {"public"};
	size_t		i;

	for (i = 0; i < m->functions.n; i++)
	{
		const struct pgw_function *fn = m->functions.items[i];
		struct pgw_buf sig,
					name,
					sql;
		struct pgw_finding *f;

		if (!judged(&fn->obj, cfg) || fn->prokind == 'a')
			continue;
		buf_init(&sig);
		buf_init(&name);
		buf_init(&sql);
		buf_printf(&name, "%s(%s)", fn->obj.name, fn->identity_args ? fn->identity_args : "");
		buf_printf(&sig, "%s.%s", fn->obj.schema, name.data);
		if (fn->security_definer && !has_search_path(fn))
		{
			buf_append(&sql, "ALTER FUNCTION ");
			function_sql(&sql, fn);
			buf_append(&sql, " SET search_path = pg_catalog, ");
			sql_ident(&sql, fn->obj.schema);
			buf_append(&sql, ";");
			f = add(out, "security.definer_search_path", PGW_SEV_ERROR, "security", "function",
					fn->obj.schema, name.data,
					"fix its search_path (ALTER FUNCTION ... SET search_path = pg_catalog, its schema) and qualify what it uses",
					"SECURITY DEFINER function %s has no fixed search_path: a caller's search_path can make it run their objects with its owner's rights",
					sig.data);
			finding_set_fix(out, f, NULL, NULL, 0, sql.data);
			buf_reset(&sql);
			buf_append(&sql, "ALTER FUNCTION ");
			function_sql(&sql, fn);
			buf_append(&sql, " RESET search_path;");
			finding_set_fix_undo(out, f, sql.data, false);
			buf_reset(&sql);
		}
		if (executes_argument(fn) && granted_to(&fn->grants, "EXECUTE", callers, 3))
		{
			f = add(out, "security.exec_sql", PGW_SEV_ERROR, "security", "function", fn->obj.schema,
					name.data,
					"revoke EXECUTE from public/anon/authenticated (keep it for service_role), or remove the function",
					"function %s runs its text argument as SQL and clients may call it: anyone can run any statement%s",
					sig.data, fn->security_definer ? " with its owner's rights" : "");
			revoke_fix(fn, callers, 3, out, f);
		}
		else if (exposed(cfg, fn->obj.schema) && fn->security_definer &&
				 granted_to(&fn->grants, "EXECUTE", everyone, 1))
		{
			f = add(out, "security.public_execute", PGW_SEV_WARNING, "security", "function",
					fn->obj.schema, name.data,
					"revoke EXECUTE FROM PUBLIC and grant it to the roles that need it",
					"SECURITY DEFINER function %s in exposed schema %s is executable by PUBLIC (every role, anon included)",
					sig.data, fn->obj.schema);
			revoke_fix(fn, everyone, 1, out, f);
		}
		buf_release(&sig);
		buf_release(&name);
		buf_release(&sql);
	}
}

static bool
depends_on(const struct pgw_object *o, const char *schema, const char *name)
{
	size_t		i;

	for (i = 0; i < o->deps.n; i++)
	{
		const struct pgw_ref *r = o->deps.items[i];

		if (r->schema && strcmp(r->schema, schema) == 0 && strcmp(r->name, name) == 0)
			return true;
	}
	return false;
}

/* Whether reloptions ("key=value") set key. */
static bool
has_option(const struct pgw_vec *options, const char *key)
{
	size_t		n = strlen(key);

	for (size_t i = 0; i < options->n; i++)
		if (strncmp(options->items[i], key, n) == 0 && ((const char *) options->items[i])[n] == '=')
			return true;
	return false;
}

static void
check_views(const struct pgw_relation *r, const struct pgw_config *cfg, struct pgw_findings *out)
{
	struct pgw_buf sql;
	struct pgw_finding *f;

	if ((r->relkind != 'v' && r->relkind != 'm') || !exposed(cfg, r->obj.schema))
		return;
	buf_init(&sql);
	if (depends_on(&r->obj, "auth", "users") ||
		(r->definition && strstr(r->definition, "auth.users")))
		add(out, "security.exposed_auth_users", PGW_SEV_ERROR, "security", "view", r->obj.schema,
			r->obj.name,
			"move the view out of the exposed schema, or select only what clients may see from a table of your own",
			"view %s.%s in exposed schema %s reads auth.users: the API can reach user emails and metadata",
			r->obj.schema, r->obj.name, r->obj.schema);
	if (r->relkind == 'v' && !r->security_invoker)
	{
		buf_append(&sql, "ALTER VIEW ");
		sql_qname(&sql, r->obj.schema, r->obj.name);
		buf_append(&sql, " SET (security_invoker = true);");
		f = add(out, "security.definer_view", PGW_SEV_WARNING, "security", "view", r->obj.schema,
				r->obj.name,
				"ALTER VIEW ... SET (security_invoker = true), so the caller's row-level security applies",
				"view %s.%s in exposed schema %s runs with its owner's rights: row-level security of the tables it reads is bypassed",
				r->obj.schema, r->obj.name, r->obj.schema);
		finding_set_fix(out, f, NULL, NULL, 0, sql.data);
		/* undo: as it was — the option set to false, or not set at all */
		buf_reset(&sql);
		buf_append(&sql, "ALTER VIEW ");
		sql_qname(&sql, r->obj.schema, r->obj.name);
		buf_append(&sql, has_option(&r->options, "security_invoker") ?
				   " SET (security_invoker = false);" : " RESET (security_invoker);");
		finding_set_fix_undo(out, f, sql.data, false);
	}
	buf_release(&sql);
}

/*
 * auth.uid(), auth.jwt(), auth.role() or current_setting() called for
 * every row instead of once.  pg_get_expr prints a sub-select as
 * "( SELECT auth.uid() AS uid)" — possibly with casts around the call,
 * "( SELECT (current_setting('x'::text, true))::bigint AS ...)" — so a call
 * counts as wrapped when a parenthesis around it opens a SELECT with no
 * FROM before the call: "(EXISTS ( SELECT 1 FROM m WHERE m.u = auth.uid()))"
 * is a correlated sub-query, run per row, call and all.
 *
 * Every scan works on a mask of the expression: the insides of '...' and
 * "..." replaced by spaces (quotes kept, so offsets match), so text in a
 * string literal or a quoted name is never taken for a call, a parenthesis
 * or a keyword.
 */
static const char *const per_row_calls[] = {"auth.uid()", "auth.jwt()", "auth.role()", "current_setting("};

static char *
mask_quotes(const char *expr)
{
	char	   *m = pgw_strdup(expr);
	char		q = 0;

	for (char *p = m; *p; p++)
	{
		if (!q && (*p == '\'' || *p == '"'))
			q = *p;
		else if (q && *p == q)
		{
			if (p[1] == q)		/* '' or "" inside: still quoted */
				*p++ = ' ', *p = ' ';
			else
				q = 0;
		}
		else if (q)
			*p = ' ';
	}
	return m;
}

static bool
in_subselect(const char *mask, const char *at)
{
	int			depth = 0;

	for (const char *q = at; q-- > mask;)
	{
		if (*q == ')')
			depth++;
		else if (*q == '(' && depth > 0)
			depth--;
		else if (*q == '(')
		{
			const char *r = q + 1;
			const char *from;

			while (*r == ' ')
				r++;
			if (strncmp(r, "SELECT ", 7) != 0)
				continue;
			from = strstr(r, " FROM ");
			if (!from || from > at)
				return true;
		}
	}
	return false;
}

/* The next call (in mask) not in a sub-select at or after from (*which:
 * its name), or NULL. */
static const char *
next_per_row_call(const char *mask, const char *from, const char **which)
{
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(per_row_calls) / sizeof(*per_row_calls); i++)
		for (const char *p = from; (p = strstr(p, per_row_calls[i])) != NULL; p++)
		{
			/* a name that merely ends so (myauth.uid()) is not the call */
			if (p > mask && (isalnum((unsigned char) p[-1]) || p[-1] == '_' || p[-1] == '.'))
				continue;
			if (in_subselect(mask, p))
				continue;
			if (!best || p < best)
			{
				best = p;
				*which = per_row_calls[i];
			}
			break;
		}
	return best;
}

static const char *
per_row_call(const char *expr)
{
	const char *which = NULL;
	char	   *mask;
	bool		found;

	if (!expr)
		return NULL;
	mask = mask_quotes(expr);
	found = next_per_row_call(mask, mask, &which) != NULL;
	free(mask);
	return found ? which : NULL;
}

/*
 * expr with every per-row call wrapped in a sub-select, or NULL when a call
 * cannot be wrapped safely: its arguments must be constants (quoted
 * literals, casts, true/false) so the value is the same for every row.
 * Caller frees.
 */
static char *
wrap_per_row_calls(const char *expr)
{
	struct pgw_buf b;
	char	   *mask = mask_quotes(expr);
	const char *p = mask,
			   *call,
			   *which;

	buf_init(&b);
	while ((call = next_per_row_call(mask, p, &which)) != NULL)
	{
		const char *end = call + strlen(which);

		if (which[strlen(which) - 1] == '(')
		{
			/* current_setting(args): to its closing parenthesis; in the
			 * mask a literal is its quotes around spaces */
			int			depth = 1;
			bool		quoted = false;

			for (; *end && depth > 0; end++)
			{
				if (*end == '\'')
					quoted = !quoted;
				else if (quoted)
					continue;
				else if (*end == '"')
					break;		/* a quoted name: not a constant */
				else if (*end == '(')
					depth++;
				else if (*end == ')')
					depth--;
				else if (isalpha((unsigned char) *end) || *end == '_')
				{
					size_t		n = 0;

					while (isalnum((unsigned char) end[n]) || end[n] == '_')
						n++;
					/* a word outside quotes: a cast's type or a boolean */
					if (!(end[-1] == ':' || (n == 4 && strncmp(end, "true", 4) == 0) ||
						  (n == 5 && strncmp(end, "false", 5) == 0)))
						break;
					end += n - 1;
				}
			}
			if (depth)
			{
				buf_release(&b);
				free(mask);
				return NULL;
			}
		}
		/* the original text, at the mask's offsets */
		buf_printf(&b, "%.*s(SELECT %.*s)", (int) (call - p), expr + (p - mask), (int) (end - call),
				   expr + (call - mask));
		p = end;
	}
	buf_append(&b, expr + (p - mask));
	free(mask);
	return buf_steal(&b);
}

/* ALTER POLICY name ON table USING (u) WITH CHECK (c), the parts it has. */
static void
alter_policy(struct pgw_buf *b, const struct pgw_relation *r, const struct pgw_policy *p, const char *u,
			 const char *c)
{
	buf_append(b, "ALTER POLICY ");
	sql_ident(b, p->obj.name);
	buf_append(b, " ON ");
	sql_qname(b, r->obj.schema, r->obj.name);
	if (u)
		buf_printf(b, " USING (%s)", u);
	if (c)
		buf_printf(b, " WITH CHECK (%s)", c);
	buf_append(b, ";");
}

static void
check_policies(const struct pgw_relation *r, struct pgw_findings *out)
{
	size_t		i;

	for (i = 0; i < r->policies.n; i++)
	{
		const struct pgw_policy *p = r->policies.items[i];
		const char *call = per_row_call(p->using_expr);

		if (!call)
			call = per_row_call(p->check_expr);
		if (!call)
			continue;
		{
			char	   *shown = pgw_asprintf("%s%s", call, call[strlen(call) - 1] == '(' ? "...)" : "");
			char	   *hint = pgw_asprintf("wrap the call in a sub-select — (SELECT %s) — so PostgreSQL evaluates it once per query",
											shown);

			char	   *u = p->using_expr ? wrap_per_row_calls(p->using_expr) : NULL;
			char	   *c = p->check_expr ? wrap_per_row_calls(p->check_expr) : NULL;
			struct pgw_finding *f;

			f = add(out, "security.rls_policy_initplan", PGW_SEV_WARNING, "security", "policy",
					r->obj.schema, p->obj.name, hint, "policy %s on %s.%s calls %s for every row",
					p->obj.name, r->obj.schema, r->obj.name, shown);
			finding_set_table(out, f, r->obj.schema, r->obj.name);
			/* the same policy with the calls wrapped; undone by the
			 * expressions as they were */
			if ((u || !p->using_expr) && (c || !p->check_expr))
			{
				struct pgw_buf sql;

				char	   *table = pgw_asprintf("%s.%s", r->obj.schema, r->obj.name);
				const char *args[1] = {table};

				buf_init(&sql);
				alter_policy(&sql, r, p, u, c);
				/* the table as the fix's argument: doctor --fix leaves the
				 * policy be when a fix of that table rewrites its policies */
				finding_set_fix(out, f, NULL, args, 1, sql.data);
				free(table);
				buf_reset(&sql);
				alter_policy(&sql, r, p, p->using_expr, p->check_expr);
				finding_set_fix_undo(out, f, sql.data, false);
				buf_release(&sql);
			}
			free(u);
			free(c);
			free(hint);
			free(shown);
		}
	}
}

static void
check_extensions(const struct pgw_model *m, struct pgw_findings *out)
{
	size_t		i;

	for (i = 0; i < m->extensions.n; i++)
	{
		const struct pgw_extension *e = m->extensions.items[i];

		if (!e->obj.schema || strcmp(e->obj.schema, "public") != 0 || strcmp(e->obj.name, "plpgsql") == 0)
			continue;
		add(out, "security.extension_in_public", PGW_SEV_WARNING, "security", "extension", NULL,
			e->obj.name,
			"install extensions into their own schema (CREATE SCHEMA extensions; ALTER EXTENSION ... SET SCHEMA extensions) when the extension allows it",
			"extension %s is installed in schema public, which the API exposes", e->obj.name);
	}
}

void
doctor_check_model(const struct pgw_model *m, const struct pgw_config *cfg, struct pgw_findings *out)
{
	size_t		i;

	for (i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *r = m->relations.items[i];

		if (r->obj.managed)
		{
			check_unindexed_fk(r, out);
			check_indexes(r, out);
			check_primary_key(r, out);
		}
		if (judged(&r->obj, cfg))
		{
			check_views(r, cfg, out);
			check_policies(r, out);
		}
	}
	check_functions(m, cfg, out);
	check_extensions(m, out);
}

/* --- from the statistics views ------------------------------------------------ */

/* $1: the managed schemas as a JSON array; $2: table.large threshold in bytes */
static const char stats_tables[] =
	"SELECT s.schemaname, s.relname, s.seq_scan, s.seq_tup_read, coalesce(s.idx_scan, 0),"
	" s.n_live_tup, s.n_dead_tup, pg_catalog.pg_total_relation_size(s.relid),"
	" pg_catalog.pg_size_pretty(pg_catalog.pg_total_relation_size(s.relid)),"
	" pg_catalog.age(c.relfrozenxid),"
	" pg_catalog.current_setting('autovacuum_freeze_max_age')::bigint"
	" FROM pg_catalog.pg_stat_user_tables s JOIN pg_catalog.pg_class c ON c.oid = s.relid"
	" WHERE s.schemaname IN (SELECT pg_catalog.jsonb_array_elements_text($1::jsonb))"
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.relation = s.relid"
	"   AND l.mode = 'AccessExclusiveLock')"
	" AND $2::bigint IS NOT NULL"
	" ORDER BY 1, 2";

/*
 * Since when the counters count: the later of the server's start and the
 * database's last statistics reset (seconds, and the moment).
 */
static const char stats_age[] =
	"SELECT pg_catalog.date_part('epoch', pg_catalog.now() - t)::bigint, t::text, r"
	" FROM (SELECT GREATEST(pg_catalog.pg_postmaster_start_time(),"
	"   coalesce(d.stats_reset, '-infinity')) AS t,"
	"   coalesce(d.stats_reset > pg_catalog.pg_postmaster_start_time(), false) AS r"
	" FROM pg_catalog.pg_stat_database d WHERE d.datname = pg_catalog.current_database()) x";

/*
 * Never scanned, and none of: unique or primary (a constraint's), backing
 * a constraint, serving a foreign key (its leading keys are the FK's
 * columns: deletes of the parent need it however rarely they run), or the
 * first (oldest) of the indexes that lead with a column a policy reads
 * (pg_depend records a policy's columns): one of them always stays.
 */
static const char stats_indexes[] =
	"SELECT s.schemaname, s.relname, s.indexrelname,"
	" pg_catalog.pg_size_pretty(pg_catalog.pg_relation_size(s.indexrelid))"
	" FROM pg_catalog.pg_stat_user_indexes s JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid"
	" WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary AND i.indisvalid"
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conindid = s.indexrelid)"
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint f"
	"   WHERE f.contype = 'f' AND f.conrelid = i.indrelid AND i.indnkeyatts >= pg_catalog.cardinality(f.conkey)"
	"   AND (SELECT pg_catalog.array_agg(k) FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[])"
	"        WITH ORDINALITY AS u(k, o) WHERE o <= pg_catalog.cardinality(f.conkey))"
	"       OPERATOR(pg_catalog.@>) f.conkey"
	"   AND i.indexprs IS NULL AND i.indpred IS NULL)"
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
	"   WHERE d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass"
	"   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"   AND d.refobjid = i.indrelid AND d.refobjsubid = i.indkey[0]"
	"   AND NOT EXISTS (SELECT FROM pg_catalog.pg_index j WHERE j.indrelid = i.indrelid"
	"     AND j.indexrelid < i.indexrelid AND j.indisvalid AND j.indkey[0] = i.indkey[0]))"
	" AND s.schemaname IN (SELECT pg_catalog.jsonb_array_elements_text($1::jsonb))"
	" AND NOT EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.relation IN (s.relid, s.indexrelid)"
	"   AND l.mode = 'AccessExclusiveLock')"
	" ORDER BY 1, 2, 3";

static const char stats_cache[] =
	"SELECT coalesce(sum(heap_blks_hit), 0)::bigint, coalesce(sum(heap_blks_read), 0)::bigint,"
	" round(100 * sum(heap_blks_hit) / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 2)"
	" FROM pg_catalog.pg_statio_user_tables";

/* sequences past 75% of their range: theirs, or the int column they feed */
static const char stats_sequences[] =
	"SELECT s.schemaname, s.sequencename, s.last_value, s.max_value,"
	" round(100.0 * (s.last_value - s.min_value) / nullif(s.max_value - s.min_value, 0), 1),"
	" coalesce(col.typname, '')"
	" FROM pg_catalog.pg_sequences s"
	" JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname"
	" JOIN pg_catalog.pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = n.oid"
	" LEFT JOIN LATERAL (SELECT t.typname, CASE t.typname WHEN 'int2' THEN 32767"
	"   WHEN 'int4' THEN 2147483647 ELSE NULL END AS cap"
	"   FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a"
	"   ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
	"   JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
	"   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = sc.oid"
	"   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')"
	"   LIMIT 1) col ON true"
	" WHERE s.last_value IS NOT NULL"
	" AND s.schemaname IN (SELECT pg_catalog.jsonb_array_elements_text($1::jsonb))"
	" AND s.last_value >= s.min_value + 0.75 * (least(s.max_value, coalesce(col.cap, s.max_value)) - s.min_value)"
	" ORDER BY 1, 2";

void
doctor_age_text(struct pgw_buf *b, long long secs)
{
	buf_reset(b);
	if (secs >= 2 * 86400)
		buf_printf(b, "%lld days", secs / 86400);
	else if (secs >= 2 * 3600)
		buf_printf(b, "%lld hours", secs / 3600);
	else if (secs >= 120)
		buf_printf(b, "%lld minutes", secs / 60);
	else
		buf_printf(b, "%lld second%s", secs, secs == 1 ? "" : "s");
}

static int
stats_query(PGconn *conn, const char *sql, int n, const char *const *p, PGresult **res)
{
	*res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the statistics views", sql, n, p,
				   PGRES_TUPLES_OK);
	return *res ? 0 : -1;
}

int
doctor_check_stats(PGconn *conn, const struct pgw_config *cfg, struct pgw_findings *out,
				   struct pgw_stats_age *sa)
{
	struct pgw_buf age_text;
	long long	stats_secs = 0;
	json_t	   *names = json_array();
	char	   *jnames;
	char		large[32];
	const char *p[2];
	PGresult   *res;
	int			i,
				rc = -1;
	size_t		k;

	buf_init(&age_text);
	for (k = 0; k < cfg->schemas.n; k++)
		json_array_append_new(names, json_string(cfg->schemas.items[k]));
	jnames = json_dumps(names, JSON_COMPACT);
	json_decref(names);
	snprintf(large, sizeof(large), "%lld", (long long) cfg->large_table_bytes);
	p[0] = jnames;
	p[1] = large;
	if (db_command(conn, PGW_ERR_CONNECT, "cannot start the statistics pass", "BEGIN READ ONLY", 0, NULL) != 0)
		goto done;
	PQclear(PQexec(conn, "SET LOCAL lock_timeout = '2s'"));

	if (stats_query(conn, stats_tables, 2, p, &res) != 0)
		goto done;
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *schema = PQgetvalue(res, i, 0),
				   *table = PQgetvalue(res, i, 1);
		long long	seq = atoll(PQgetvalue(res, i, 2)),
					seq_read = atoll(PQgetvalue(res, i, 3)),
					idx = atoll(PQgetvalue(res, i, 4)),
					live = atoll(PQgetvalue(res, i, 5)),
					dead = atoll(PQgetvalue(res, i, 6)),
					bytes = atoll(PQgetvalue(res, i, 7)),
					age = atoll(PQgetvalue(res, i, 9)),
					freeze = atoll(PQgetvalue(res, i, 10));

		if (seq >= 100 && seq > idx && live >= 10000 && seq_read / (seq ? seq : 1) >= 10000)
			add(out, "table.seq_scan_heavy", PGW_SEV_WARNING, "performance", "table", schema, table,
				"find the queries that scan it (pg_stat_statements, EXPLAIN) and index what they filter on",
				"table %s.%s (%lld rows) was read by %lld sequential scans and %lld index scans",
				schema, table, live, seq, idx);
		if (dead >= 10000 && dead * 5 >= live + dead)
			add(out, "table.bloat", PGW_SEV_WARNING, "performance", "table", schema, table,
				"VACUUM it, and check that autovacuum keeps up (autovacuum_vacuum_scale_factor for big tables)",
				"table %s.%s: about %lld%% of its rows are dead (%lld of %lld)", schema, table,
				dead * 100 / (live + dead), dead, live + dead);
		if (cfg->large_table_bytes > 0 && bytes >= cfg->large_table_bytes)
			add(out, "table.large", PGW_SEV_INFO, "performance", "table", schema, table,
				"plan for its growth: partitioning, archiving old rows, or a retention rule",
				"table %s.%s takes %s (above large_table in pgwarden.conf)", schema, table,
				PQgetvalue(res, i, 8));
		if (age >= 1000000000LL)
			add(out, "vacuum.xid_age", PGW_SEV_ERROR, "performance", "table", schema, table,
				"VACUUM (FREEZE) it now: at 2^31 PostgreSQL stops accepting writes",
				"table %s.%s is %lld transactions from its last freeze", schema, table, age);
		else if (age >= freeze)
			add(out, "vacuum.xid_age", PGW_SEV_WARNING, "performance", "table", schema, table,
				"check what keeps autovacuum from freezing it (long transactions, old replication slots)",
				"table %s.%s is %lld transactions from its last freeze (autovacuum_freeze_max_age %lld)",
				schema, table, age, freeze);
	}
	PQclear(res);

	if (stats_query(conn, stats_age, 0, NULL, &res) != 0)
		goto done;
	{
		long long	secs = PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : 0;
		bool		young = cfg->stats_min_age_s > 0 && secs < cfg->stats_min_age_s;

		stats_secs = secs;
		if (sa)
		{
			memset(sa, 0, sizeof(*sa));
			sa->age_s = secs;
			if (PQntuples(res) == 1)
			{
				snprintf(sa->since, sizeof(sa->since), "%s", PQgetvalue(res, 0, 1));
				sa->since_reset = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
			}
			sa->unused_skipped = young;
		}
		PQclear(res);
		/* counters younger than that say nothing about an index's use */
		if (young)
			goto no_unused;
	}

	if (stats_query(conn, stats_indexes, 1, p, &res) != 0)
		goto done;
	doctor_age_text(&age_text, stats_secs);
	for (i = 0; i < PQntuples(res); i++)
	{
		struct pgw_buf sql;
		struct pgw_finding *f;

		buf_init(&sql);
		buf_append(&sql, "DROP INDEX CONCURRENTLY IF EXISTS ");
		sql_qname(&sql, PQgetvalue(res, i, 0), PQgetvalue(res, i, 2));
		buf_append(&sql, ";");
		f = add(out, "index.unused", PGW_SEV_INFO, "performance", "index", PQgetvalue(res, i, 0),
				PQgetvalue(res, i, 2),
				"drop it if it stays unused over a full business cycle (statistics start at the last reset)",
				"index %s on %s.%s has not been scanned in %s of statistics (%s)", PQgetvalue(res, i, 2),
				PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), age_text.data, PQgetvalue(res, i, 3));
		finding_set_table(out, f, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		finding_set_fix(out, f, NULL, NULL, 0, sql.data);
		buf_release(&sql);
	}
	PQclear(res);

no_unused:
	if (stats_query(conn, stats_cache, 0, NULL, &res) != 0)
		goto done;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 2) &&
		atoll(PQgetvalue(res, 0, 0)) + atoll(PQgetvalue(res, 0, 1)) >= 10000 &&
		atof(PQgetvalue(res, 0, 2)) < 99.0)
		add(out, "db.cache_hit_ratio", PGW_SEV_WARNING, "performance", "database", NULL, NULL,
			"the working set does not fit in shared_buffers: add memory, or index the big scans",
			"table cache hit ratio is %s%% (below 99%%)", PQgetvalue(res, 0, 2));
	PQclear(res);

	if (stats_query(conn, stats_sequences, 1, p, &res) != 0)
		goto done;
	for (i = 0; i < PQntuples(res); i++)
	{
		double		pct = atof(PQgetvalue(res, i, 4));
		const char *col = PQgetvalue(res, i, 5);

		add(out, "sequence.exhaustion", pct >= 90 || (*col && strcmp(col, "int8") != 0) ? PGW_SEV_ERROR : PGW_SEV_WARNING,
			"performance", "sequence", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
			"move the column and the sequence to bigint before they run out (ALTER ... TYPE bigint)",
			"sequence %s.%s is at %s of %s (%.1f%% of its range)%s%s", PQgetvalue(res, i, 0),
			PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), pct,
			*col && strcmp(col, "int8") != 0 ? "; it feeds a column of type " : "",
			*col && strcmp(col, "int8") != 0 ? col : "");
	}
	PQclear(res);
	rc = 0;
done:
	PQclear(PQexec(conn, "ROLLBACK"));
	free(jnames);
	buf_release(&age_text);
	return rc;
}

const char *
doctor_rank(const struct pgw_finding *f)
{
	static const char *const critical[] = {
		"security.exec_sql", "security.exposed_auth_users", "rls.disabled", "vacuum.xid_age"
	};
	size_t		i;

	if (f->severity == PGW_SEV_ERROR)
	{
		for (i = 0; i < sizeof(critical) / sizeof(*critical); i++)
			if (strcmp(f->rule, critical[i]) == 0)
				return "critical";
		return "high";
	}
	return f->severity == PGW_SEV_WARNING ? "medium" : "recommendation";
}
