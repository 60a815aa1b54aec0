/*
 * test_diff.c — the diff engine without a server: models built in memory,
 * the change list and its order checked.  Dependency chains through views
 * and functions come out dependencies first on creation and dependants
 * first on drop; a changed view takes its unchanged dependants along; a
 * cycle is reported by name; data-deleting changes are held back without
 * --unsafe; enums grow with ADD VALUE; identifiers are quoted as
 * quote_ident() would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diff/diff.h"
#include "model/model.h"
#include "sql/quote.h"
#include "util/error.h"

static struct pgw_schema *
add_schema(struct pgw_model *m, const char *name)
{
	struct pgw_schema *s = model_new_object(m, sizeof(*s), PGW_KIND_SCHEMA, NULL, name);

	s->obj.managed = true;
	s->owner = "postgres";
	model_push(m, &m->schemas, s);
	return s;
}

static struct pgw_column *
add_column(struct pgw_model *m, struct pgw_relation *r, const char *name, const char *type)
{
	struct pgw_column *c = model_new_object(m, sizeof(*c), PGW_KIND_COLUMN, r->obj.schema, name);

	c->type = type;
	model_push(m, &r->columns, c);
	return c;
}

static struct pgw_relation *
add_table(struct pgw_model *m, const char *name)
{
	struct pgw_relation *r = model_new_object(m, sizeof(*r), PGW_KIND_TABLE, "public", name);

	r->obj.managed = true;
	r->relkind = 'r';
	r->owner = "postgres";
	add_column(m, r, "id", "integer");
	model_push(m, &m->relations, r);
	return r;
}

static struct pgw_relation *
add_view(struct pgw_model *m, const char *name, const char *def, const char *dep_kind_name, enum pgw_kind dep_kind)
{
	struct pgw_relation *r = model_new_object(m, sizeof(*r), PGW_KIND_VIEW, "public", name);

	r->obj.managed = true;
	r->relkind = 'v';
	r->owner = "postgres";
	r->definition = def;
	add_column(m, r, "id", "integer");
	if (dep_kind_name)
		model_add_dep(m, &r->obj, dep_kind, "public", dep_kind_name);
	model_push(m, &m->relations, r);
	return r;
}

static struct pgw_function *
add_function(struct pgw_model *m, const char *name, const char *dep, enum pgw_kind dep_kind)
{
	struct pgw_function *f = model_new_object(m, sizeof(*f), PGW_KIND_FUNCTION, "public", name);
	char		def[256];

	f->obj.managed = true;
	f->identity_args = "";
	f->result = "integer";
	f->prokind = 'f';
	f->language = "sql";
	f->volatility = 'v';
	f->parallel = 'u';
	f->owner = "postgres";
	snprintf(def, sizeof(def), "CREATE OR REPLACE FUNCTION public.%s()\n RETURNS integer\n LANGUAGE sql\nAS $$ select 1 $$\n", name);
	f->definition = model_strdup(m, def);
	if (dep)
		model_add_dep(m, &f->obj, dep_kind, "public", dep);
	model_push(m, &m->functions, f);
	return f;
}

/* Index of the first change whose summary contains what, or -1. */
static int
find(const struct pgw_diff *d, const char *what)
{
	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *ch = d->changes.items[i];

		if (strstr(ch->summary, what))
			return (int) i;
	}
	return -1;
}

static void
chain(struct pgw_model *m, const char *v1def)
{
	add_schema(m, "public");
	add_table(m, "t");
	add_view(m, "v1", v1def, "t", PGW_KIND_TABLE);
	add_view(m, "v2", " SELECT v1.id FROM v1;", "v1", PGW_KIND_VIEW);
	add_function(m, "f", "v2", PGW_KIND_VIEW);
	add_view(m, "v3", " SELECT f() AS id;", "f()", PGW_KIND_FUNCTION);
	model_sort(m);
}

static void
test_create_order(void **state)
{
	struct pgw_model from, to;
	struct pgw_diff d;
	struct pgw_diff_opts opts = {0};

	(void) state;
	model_init(&from);
	model_init(&to);
	add_schema(&from, "public");
	chain(&to, " SELECT t.id FROM t;");
	diff_init(&d);
	assert_int_equal(diff_models(&from, &to, &opts, &d), 0);
	assert_true(find(&d, "create table public.t") >= 0);
	assert_true(find(&d, "create table public.t") < find(&d, "create view public.v1"));
	assert_true(find(&d, "create view public.v1") < find(&d, "create view public.v2"));
	assert_true(find(&d, "create view public.v2") < find(&d, "create function public.f()"));
	assert_true(find(&d, "create function public.f()") < find(&d, "create view public.v3"));
	assert_int_equal(d.refused, 0);
	diff_release(&d);

	/* and back: dependants first, nothing created */
	opts.unsafe = true;
	diff_init(&d);
	assert_int_equal(diff_models(&to, &from, &opts, &d), 0);
	assert_true(find(&d, "drop view public.v3") < find(&d, "drop function public.f()"));
	assert_true(find(&d, "drop function public.f()") < find(&d, "drop view public.v2"));
	assert_true(find(&d, "drop view public.v2") < find(&d, "drop view public.v1"));
	assert_true(find(&d, "drop view public.v1") < find(&d, "drop table public.t"));
	diff_release(&d);
	model_release(&from);
	model_release(&to);
}

static void
test_changed_view_takes_dependants(void **state)
{
	struct pgw_model from, to;
	struct pgw_diff d;
	struct pgw_diff_opts opts = {0};

	(void) state;
	model_init(&from);
	model_init(&to);
	chain(&from, " SELECT t.id FROM t;");
	chain(&to, " SELECT t.id FROM t WHERE t.id > 0;");
	diff_init(&d);
	assert_int_equal(diff_models(&from, &to, &opts, &d), 0);
	/* v2, f and v3 are unchanged but sit on v1: recreated with it */
	assert_true(find(&d, "drop (recreate) view public.v3") >= 0);
	assert_true(find(&d, "drop (recreate) view public.v3") < find(&d, "drop function public.f()"));
	assert_true(find(&d, "drop function public.f()") < find(&d, "drop (recreate) view public.v2"));
	assert_true(find(&d, "drop (recreate) view public.v2") < find(&d, "drop (recreate) view public.v1"));
	assert_true(find(&d, "drop (recreate) view public.v1") < find(&d, "create view public.v1"));
	assert_true(find(&d, "create view public.v1") < find(&d, "create view public.v2"));
	assert_true(find(&d, "create view public.v2") < find(&d, "create function public.f()"));
	assert_true(find(&d, "create function public.f()") < find(&d, "create view public.v3"));
	assert_int_equal(find(&d, "table public.t"), -1);
	diff_release(&d);

	/* identical models: nothing */
	diff_init(&d);
	assert_int_equal(diff_models(&from, &from, &opts, &d), 0);
	assert_int_equal(d.changes.n, 0);
	diff_release(&d);
	model_release(&from);
	model_release(&to);
}

static void
test_cycle_reported(void **state)
{
	struct pgw_model from, to;
	struct pgw_diff d;
	struct pgw_diff_opts opts = {0};

	(void) state;
	model_init(&from);
	model_init(&to);
	add_schema(&from, "public");
	add_schema(&to, "public");
	add_view(&to, "loop_v", " SELECT loop_f() AS id;", "loop_f()", PGW_KIND_FUNCTION);
	add_function(&to, "loop_f", "loop_v", PGW_KIND_VIEW);
	model_sort(&to);
	diff_init(&d);
	assert_int_equal(diff_models(&from, &to, &opts, &d), -1);
	assert_int_equal(pgw_error_last()->kind, PGW_ERR_INPUT);
	assert_non_null(strstr(pgw_error_last()->message, "cycle"));
	assert_non_null(strstr(pgw_error_last()->detail, "public.loop_v"));
	assert_non_null(strstr(pgw_error_last()->detail, "public.loop_f()"));
	pgw_error_clear();
	diff_release(&d);
	model_release(&from);
	model_release(&to);
}

static void
test_unsafe_and_enum(void **state)
{
	struct pgw_model from, to;
	struct pgw_diff d;
	struct pgw_diff_opts opts = {0};
	struct pgw_type *e;
	struct pgw_buf sql;

	(void) state;
	model_init(&from);
	model_init(&to);
	add_schema(&from, "public");
	add_schema(&to, "public");
	add_table(&from, "gone");
	e = model_new_object(&from, sizeof(*e), PGW_KIND_ENUM, "public", "mood");
	e->obj.managed = true;
	model_push(&from, &e->labels, "sad");
	model_push(&from, &e->labels, "happy");
	model_push(&from, &from.types, e);
	e = model_new_object(&to, sizeof(*e), PGW_KIND_ENUM, "public", "mood");
	e->obj.managed = true;
	model_push(&to, &e->labels, "sad");
	model_push(&to, &e->labels, "meh");
	model_push(&to, &e->labels, "happy");
	model_push(&to, &e->labels, "ecstatic");
	model_push(&to, &to.types, e);

	diff_init(&d);
	assert_int_equal(diff_models(&from, &to, &opts, &d), 0);
	assert_int_equal(d.refused, 1);
	assert_non_null(strstr(((struct pgw_change *) d.refused_list.items[0])->summary, "drop table public.gone"));
	diff_release(&d);

	opts.unsafe = true;
	diff_init(&d);
	buf_init(&sql);
	assert_int_equal(diff_models(&from, &to, &opts, &d), 0);
	assert_int_equal(d.refused, 0);
	assert_true(d.hazards & PGW_HAZARD_DELETES_DATA);
	diff_script(&d, "t", &sql);
	assert_non_null(strstr(sql.data, "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'happy';"));
	assert_non_null(strstr(sql.data, "ALTER TYPE public.mood ADD VALUE 'ecstatic';"));
	assert_null(strstr(sql.data, "RENAME"));
	assert_non_null(strstr(sql.data, "DROP TABLE public.gone;"));
	buf_release(&sql);
	diff_release(&d);
	model_release(&from);
	model_release(&to);
}

static void
test_quote(void **state)
{
	struct pgw_buf b;

	(void) state;
	buf_init(&b);
	sql_ident(&b, "plain_name1");
	buf_append(&b, " ");
	sql_ident(&b, "Order Items");
	buf_append(&b, " ");
	sql_ident(&b, "select");
	buf_append(&b, " ");
	sql_ident(&b, "quote\"d");
	buf_append(&b, " ");
	sql_ident(&b, "name");		/* unreserved: bare */
	buf_append(&b, " ");
	sql_literal(&b, "it's");
	buf_append(&b, " ");
	sql_literal(&b, "back\\slash");
	assert_string_equal(b.data, "plain_name1 \"Order Items\" \"select\" \"quote\"\"d\" name 'it''s' E'back\\\\slash'");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_order),
		cmocka_unit_test(test_changed_view_takes_dependants),
		cmocka_unit_test(test_cycle_reported),
		cmocka_unit_test(test_unsafe_and_enum),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
