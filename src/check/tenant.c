/*
 * tenant.c — tenancy facts read off the schema model (check/tenant.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/tenant.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"

bool
tenancy_is_managed_table(const struct pgw_relation *rel)
{
	return rel->obj.managed && rel->obj.kind == PGW_KIND_TABLE &&
		(rel->relkind == 'r' || rel->relkind == 'p') && rel->parent_name == NULL;
}

struct pgw_relation *
tenancy_find_relation(const struct pgw_model *m, const char *schema, const char *name)
{
	struct pgw_relation *fallback = NULL;

	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *r = m->relations.items[i];

		if (strcmp(r->obj.name, name) != 0)
			continue;
		if (schema)
		{
			if (strcmp(r->obj.schema, schema) == 0)
				return r;
		}
		else if (r->obj.managed)
			return r;
		else if (!fallback)
			fallback = r;
	}
	return schema ? NULL : fallback;
}

struct pgw_relation *
tenancy_resolve_table(const struct pgw_model *m, const char *arg)
{
	struct pgw_relation *r = tenancy_find_relation(m, NULL, arg);
	const char *dot;

	if (r || !(dot = strchr(arg, '.')))
		return r;
	{
		char		schema[256];
		size_t		n = (size_t) (dot - arg);

		if (n >= sizeof(schema))
			return NULL;
		memcpy(schema, arg, n);
		schema[n] = '\0';
		return tenancy_find_relation(m, schema, dot + 1);
	}
}

const char *
tenancy_table_arg(const struct pgw_model *m, const struct pgw_relation *rel)
{
	struct pgw_buf b;
	const char *s;

	if (strcmp(rel->obj.schema, "public") == 0)
		return rel->obj.name;
	buf_init(&b);
	buf_printf(&b, "%s.%s", rel->obj.schema, rel->obj.name);
	s = model_strdup((struct pgw_model *) m, b.data);
	buf_release(&b);
	return s;
}

bool
tenancy_has_column(const struct pgw_tenancy *t, const struct pgw_relation *rel)
{
	return t->column && *t->column && model_find_column(rel, t->column) != NULL;
}

const struct pgw_constraint *
tenancy_column_fk(const struct pgw_relation *rel, const char *col)
{
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];

		if (c->type == PGW_CON_FOREIGN && c->columns.n == 1 &&
			strcmp(c->columns.items[0], col) == 0)
			return c;
	}
	return NULL;
}

const char *
tenancy_single_pk(const struct pgw_relation *rel)
{
	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];

		if (c->type == PGW_CON_PRIMARY)
			return c->columns.n == 1 ? c->columns.items[0] : NULL;
	}
	return NULL;
}

void
tenancy_init(struct pgw_tenancy *t, const struct pgw_model *m, const struct pgw_config *cfg)
{
	size_t		best = 0;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->cfg = cfg;
	t->column = cfg->tenant_column;
	t->key_type = "uuid";
	if (!t->column || !*t->column)
		return;
	/* the table most tenant-column foreign keys reference */
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *cand = m->relations.items[i];
		size_t		votes = 0;
		const char *key = NULL;

		if (!tenancy_is_managed_table(cand))
			continue;
		for (size_t j = 0; j < m->relations.n; j++)
		{
			const struct pgw_relation *r = m->relations.items[j];
			const struct pgw_constraint *fk;

			if (!tenancy_is_managed_table(r) || !(fk = tenancy_column_fk(r, t->column)))
				continue;
			if (strcmp(fk->ref_schema, cand->obj.schema) == 0 &&
				strcmp(fk->ref_table, cand->obj.name) == 0 && fk->ref_columns.n == 1)
			{
				votes++;
				key = fk->ref_columns.items[0];
			}
		}
		if (votes > best)
		{
			best = votes;
			t->tenants = cand;
			t->tenants_key = key;
		}
	}
	if (!t->tenants)
	{
		struct pgw_relation *r = tenancy_find_relation(m, NULL, "tenants");

		if (r && tenancy_is_managed_table(r))
		{
			t->tenants = r;
			t->tenants_key = tenancy_single_pk(r);
		}
	}
	if (t->tenants && t->tenants_key)
	{
		const struct pgw_column *c = model_find_column(t->tenants, t->tenants_key);

		if (c)
			t->key_type = c->type;
	}
	else
	{
		/* no tenants table: the type the tables' tenant columns have (the
		 * policies compare the column with the setting cast to it) */
		for (size_t i = 0; i < m->relations.n; i++)
		{
			const struct pgw_relation *r = m->relations.items[i];
			const struct pgw_column *c;

			if (tenancy_is_managed_table(r) && (c = model_find_column(r, t->column)) != NULL)
			{
				t->key_type = c->type;
				break;
			}
		}
	}
}

/* FKs to tenant-owned tables, NOT NULL columns first. */
static const struct pgw_constraint *
fk_to_owned(const struct pgw_tenancy *t, const struct pgw_relation *rel, bool skip_tenant_col)
{
	const struct pgw_constraint *nullable = NULL;

	for (size_t i = 0; i < rel->constraints.n; i++)
	{
		const struct pgw_constraint *c = rel->constraints.items[i];
		const struct pgw_relation *parent;
		const struct pgw_column *col;

		if (c->type != PGW_CON_FOREIGN || c->columns.n != 1 || c->ref_columns.n != 1)
			continue;
		if (skip_tenant_col && strcmp(c->columns.items[0], t->column) == 0)
			continue;
		parent = tenancy_find_relation(t->m, c->ref_schema, c->ref_table);
		if (!parent || parent == rel || parent == t->tenants || !tenancy_is_managed_table(parent) ||
			!tenancy_has_column(t, parent))
			continue;
		col = model_find_column(rel, c->columns.items[0]);
		if (col && col->not_null)
			return c;
		if (!nullable)
			nullable = c;
	}
	return nullable;
}

const struct pgw_constraint *
tenancy_parent_fk(const struct pgw_tenancy *t, const struct pgw_relation *rel)
{
	if (!t->column || !*t->column || rel == t->tenants || tenancy_has_column(t, rel))
		return NULL;
	return fk_to_owned(t, rel, false);
}

const struct pgw_constraint *
tenancy_backfill_fk(const struct pgw_tenancy *t, const struct pgw_relation *rel)
{
	if (!tenancy_has_column(t, rel))
		return NULL;
	return fk_to_owned(t, rel, true);
}

/* word-bounded, case-insensitive search */
static bool
mentions(const char *hay, const char *word)
{
	size_t		n = strlen(word);

	if (!n)
		return false;
	for (const char *p = hay; (p = strcasestr(p, word)) != NULL; p++)
	{
		bool		left = p == hay || !(isalnum((unsigned char) p[-1]) || p[-1] == '_');
		bool		right = !(isalnum((unsigned char) p[n]) || p[n] == '_');

		if (left && right)
			return true;
	}
	return false;
}

bool
tenancy_expr_is_true(const char *expr)
{
	while (expr && (*expr == '(' || *expr == ' '))
		expr++;
	return expr && strncasecmp(expr, "true", 4) == 0 &&
		strspn(expr + 4, ") ") == strlen(expr + 4);
}

bool
tenancy_expr_isolates(const struct pgw_tenancy *t, const char *expr)
{
	if (!expr || tenancy_expr_is_true(expr))
		return false;
	if (t->column && mentions(expr, t->column))
		return true;
	if (t->cfg->tenant_setting && *t->cfg->tenant_setting && strstr(expr, t->cfg->tenant_setting))
		return true;
	return strstr(expr, "auth.uid()") != NULL || strstr(expr, "auth.jwt()") != NULL;
}

const char *
tenancy_policy_command(char cmd)
{
	switch (cmd)
	{
		case 'r':
			return "SELECT";
		case 'a':
			return "INSERT";
		case 'w':
			return "UPDATE";
		case 'd':
			return "DELETE";
		default:
			return "ALL";
	}
}

const char *
tenancy_policy_weakness(const struct pgw_tenancy *t, const struct pgw_relation *rel,
						const struct pgw_policy *p)
{
	bool		writes = p->command != 'r';

	if (tenancy_expr_is_true(p->using_expr) || tenancy_expr_is_true(p->check_expr))
		return "its expression is the constant true: every row of every tenant passes";
	if (p->permissive && tenancy_has_column(t, rel) &&
		!tenancy_expr_isolates(t, p->using_expr) && !tenancy_expr_isolates(t, p->check_expr))
		return "it mentions neither the tenant column, the tenant setting nor auth.uid()";
	if (writes && p->permissive)
		for (size_t i = 0; i < p->roles.n; i++)
			if (strcmp(p->roles.items[i], "public") == 0 || strcmp(p->roles.items[i], "anon") == 0)
				return "it lets anonymous users write";
	return NULL;
}

struct pgw_relation *
tenancy_guess_reference(const struct pgw_model *m, const struct pgw_relation *rel,
						const struct pgw_column *col)
{
	const char *name = col->obj.name;
	size_t		n = strlen(name);
	char		base[128];
	char		cand[4][140];

	if (n <= 3 || n - 3 >= sizeof(base) || strcmp(name + n - 3, "_id") != 0)
		return NULL;
	memcpy(base, name, n - 3);
	base[n - 3] = '\0';
	snprintf(cand[0], sizeof(cand[0]), "%s", base);
	snprintf(cand[1], sizeof(cand[1]), "%ss", base);
	snprintf(cand[2], sizeof(cand[2]), "%ses", base);
	if (n - 3 > 1 && base[n - 4] == 'y')
		snprintf(cand[3], sizeof(cand[3]), "%.*sies", (int) (n - 4), base);
	else
		cand[3][0] = '\0';
	for (int k = 0; k < 4; k++)
	{
		struct pgw_relation *ref;
		const char *pk;
		const struct pgw_column *pkcol;

		if (!cand[k][0])
			continue;
		ref = tenancy_find_relation(m, rel->obj.schema, cand[k]);
		if (!ref)
			ref = tenancy_find_relation(m, NULL, cand[k]);
		if (!ref || ref == rel || !tenancy_is_managed_table(ref) || !(pk = tenancy_single_pk(ref)))
			continue;
		pkcol = model_find_column(ref, pk);
		if (pkcol && strcmp(pkcol->type, col->type) == 0)
			return ref;
	}
	return NULL;
}

/* --- names the user got wrong ---------------------------------------------- */

#define TENANCY_LIST_MAX 40

/*
 * Records the error for an unknown name: detail "LABEL: a, b, c" (at most
 * TENANCY_LIST_MAX, then how many more), hint the nearest of match[] (the
 * spelling compared with the word) shown as shown[], else fallback_hint.
 */
static int
unknown_name(const char *word, const char *const *match, const char *const *shown, size_t n,
			 const char *label, const char *fallback_hint)
{
	const char *close = text_closest(word, match, n);
	struct pgw_buf b;

	buf_init(&b);
	for (size_t i = 0; i < n && i < TENANCY_LIST_MAX; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", shown[i]);
	if (n > TENANCY_LIST_MAX)
		buf_printf(&b, " and %zu more", n - TENANCY_LIST_MAX);
	if (n)
		pgw_error_detail("%s: %s", label, b.data);
	for (size_t i = 0; close && i < n; i++)
		if (match[i] == close)
		{
			pgw_error_hint("did you mean '%s'?", shown[i]);
			break;
		}
	if (!close)
		pgw_error_hint("%s", fallback_hint);
	buf_release(&b);
	return -1;
}

int
tenancy_unknown_table(const struct pgw_model *m, const char *arg)
{
	const char **match = pgw_calloc(m->relations.n + 1, sizeof(char *));
	const char **shown = pgw_calloc(m->relations.n + 1, sizeof(char *));
	bool		qualified = strchr(arg, '.') != NULL;
	size_t		n = 0;

	pgw_error(PGW_ERR_USAGE, "table '%s' does not exist", arg);
	for (size_t i = 0; i < m->relations.n; i++)
	{
		const struct pgw_relation *r = m->relations.items[i];

		if (!tenancy_is_managed_table(r))
			continue;
		/* "vehicle" is compared with "vehicles", "fleet.vehicle" with
		 * "fleet.vehicles"; shown as the argument that names it */
		shown[n] = tenancy_table_arg(m, r);
		match[n] = qualified ? pgw_asprintf("%s.%s", r->obj.schema, r->obj.name) : r->obj.name;
		n++;
	}
	unknown_name(arg, match, shown, n, "the tables of the managed schemas",
				 n ? "name one of these tables, or schema.table"
				 : "the managed schemas (config: schemas) hold no table");
	for (size_t i = 0; qualified && i < n; i++)
		free((char *) match[i]);
	free(match);
	free(shown);
	return -1;
}

int
tenancy_unknown_column(const struct pgw_relation *rel, const char *column)
{
	const char **names = pgw_calloc(rel->columns.n + 1, sizeof(char *));

	pgw_error(PGW_ERR_USAGE, "table '%s' has no column '%s'", rel->obj.name, column);
	for (size_t i = 0; i < rel->columns.n; i++)
		names[i] = ((const struct pgw_column *) rel->columns.items[i])->obj.name;
	unknown_name(column, names, names, rel->columns.n, "its columns",
				 "name one of its columns");
	free(names);
	return -1;
}
