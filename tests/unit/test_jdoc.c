/*
 * test_jdoc.c — the one-pass JSON parser behind snapshot reading: values of
 * every type, escapes (surrogate pairs included), lookups in any order,
 * keys that point into the source, and every refusal with its line and
 * column (duplicates, NUL, bad numbers, depth, trailing text, truncation).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/jdoc.h"

static struct jdoc *
parse(struct pgw_arena *a, const char *text, struct jdoc_error *err)
{
	return jdoc_parse(a, NULL, text, strlen(text), err);
}

static void
test_values(void **state)
{
	struct pgw_arena a;
	struct jdoc_error err;
	struct jdoc *d;
	struct jdoc *arr;

	(void) state;
	arena_init(&a);
	d = parse(&a, " {\"s\": \"x\\\"y\\\\z\\n\\u00e9\\ud83d\\ude00\", \"i\": -42, \"big\": 9223372036854775807,"
			  " \"r\": 1.5e3, \"t\": true, \"f\": false, \"n\": null, \"a\": [1, [], {}, \"q\"],"
			  " \"k\\u0041\": 1, \"e\": {}} ", &err);
	assert_non_null(d);
	assert_true(jdoc_is_object(d));
	/* out of order and repeated lookups */
	assert_int_equal(jdoc_integer(jdoc_get(d, "i")), -42);
	assert_string_equal(jdoc_string(jdoc_get(d, "s")), "x\"y\\z\n\xc3\xa9\xf0\x9f\x98\x80");
	assert_int_equal(jdoc_integer(jdoc_get(d, "big")), INT64_MAX);
	assert_int_equal(jdoc_get(d, "r")->type, JDOC_REAL);
	assert_true(jdoc_get(d, "r")->u.d == 1500.0);
	assert_true(jdoc_is_true(jdoc_get(d, "t")));
	assert_true(jdoc_is_boolean(jdoc_get(d, "f")) && !jdoc_is_true(jdoc_get(d, "f")));
	assert_true(jdoc_is_null(jdoc_get(d, "n")));
	assert_int_equal(jdoc_integer(jdoc_get(d, "i")), -42);
	assert_int_equal(jdoc_integer(jdoc_get(d, "kA")), 1);
	assert_null(jdoc_get(d, "k"));
	assert_null(jdoc_get(d, "missing"));
	assert_true(jdoc_is_object(jdoc_get(d, "e")));
	assert_null(jdoc_get(jdoc_get(d, "e"), "x"));
	arr = jdoc_get(d, "a");
	assert_int_equal(jdoc_size(arr), 4);
	assert_int_equal(jdoc_integer(&arr->u.items[0]), 1);
	assert_int_equal(jdoc_size(&arr->u.items[1]), 0);
	assert_string_equal(jdoc_string(&arr->u.items[3]), "q");
	assert_null(jdoc_string(&arr->u.items[0]));
	assert_int_equal(jdoc_integer(&arr->u.items[3]), 0);
	arena_release(&a);
}

static void
expect_error(const char *text, int line, int column, const char *needle)
{
	struct pgw_arena a;
	struct jdoc_error err;

	arena_init(&a);
	assert_null(parse(&a, text, &err));
	if (!strstr(err.text, needle))
		fail_msg("'%s' not in '%s'", needle, err.text);
	assert_int_equal(err.line, line);
	if (column)
		assert_int_equal(err.column, column);
	arena_release(&a);
}

static void
test_errors(void **state)
{
	char		deep[2000];

	(void) state;
	expect_error("{\"a\": 1,\n \"a\": 2}", 2, 2, "duplicate object key 'a'");
	expect_error("[,]", 1, 2, "invalid token");
	expect_error("{\"a\" 1}", 1, 6, "':' expected");
	expect_error("[1 2]", 1, 4, "',' or ']' expected");
	expect_error("{\"a\": 1 \"b\"}", 1, 9, "',' or '}' expected");
	expect_error("[\"a\\u0000\"]", 1, 0, "\\u0000");
	expect_error("[\"a\nb\"]", 1, 0, "control character");
	expect_error("[\"\\ud800\"]", 1, 0, "surrogate");
	expect_error("[\"\\x\"]", 1, 0, "invalid escape");
	expect_error("[01]", 1, 2, "invalid number");
	expect_error("[1.]", 1, 2, "invalid number");
	expect_error("[-]", 1, 2, "invalid number");
	expect_error("[tru]", 1, 2, "invalid token");
	expect_error("[1] x", 1, 5, "end of input expected");
	expect_error("[\"abc", 1, 0, "premature end");
	expect_error("{\"a\": ", 1, 0, "premature end");
	expect_error("", 1, 1, "premature end");
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	expect_error(deep, 1, 0, "nesting");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
