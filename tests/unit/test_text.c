/* Unit tests: util/text (edit distance, suggestions, integers) and util/mem. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>

#include "util/mem.h"
#include "util/text.h"

static void
edit_distance(void **state)
{
	(void) state;
	assert_int_equal(text_edit_distance("", ""), 0);
	assert_int_equal(text_edit_distance("local", "local"), 0);
	assert_int_equal(text_edit_distance("lcoal", "local"), 1);	/* swap */
	assert_int_equal(text_edit_distance("strat", "start"), 1);
	assert_int_equal(text_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(text_edit_distance("", "abc"), 3);
	assert_int_equal(text_edit_distance("abc", ""), 3);
}

static void
closest(void **state)
{
	const char *cmds[] = {"help", "init", "local", "target"};

	(void) state;
	assert_string_equal(text_closest("lcoal", cmds, 4), "local");
	assert_string_equal(text_closest("taret", cmds, 4), "target");
	assert_string_equal(text_closest("ini", cmds, 4), "init");
	assert_string_equal(text_closest("tar", cmds, 4), "target");	/* unique prefix */
	assert_null(text_closest("frobnicate", cmds, 4));
	assert_null(text_closest("xyz", cmds, 4));
}

static void
parse_int(void **state)
{
	long		v = -1;

	(void) state;
	assert_true(text_parse_int("5432", 1, 65535, &v));
	assert_int_equal(v, 5432);
	assert_false(text_parse_int("0", 1, 65535, &v));
	assert_false(text_parse_int("65536", 1, 65535, &v));
	assert_false(text_parse_int("12a", 1, 65535, &v));
	assert_false(text_parse_int(" 12", 1, 65535, &v));
	assert_false(text_parse_int("", 1, 65535, &v));
	assert_false(text_parse_int("99999999999999999999", 1, 65535, &v));
}

static void
trim_and_suffix(void **state)
{
	char		s[] = "  \t hello world \n";

	(void) state;
	assert_string_equal(text_trim(s), "hello world");
	assert_true(text_ends_with("a_rollback.sql", "_rollback.sql"));
	assert_false(text_ends_with("sql", "_rollback.sql"));
}

static void
buffers(void **state)
{
	struct pgw_buf b;
	int			i;
	char	   *s;

	(void) state;
	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	assert_true(text_ends_with(b.data, "998,999,"));
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_append_len(&b, "abc\0def", 7);
	assert_int_equal(b.len, 7);
	s = buf_steal(&b);
	assert_null(b.data);
	free(s);
	s = pgw_asprintf("%s-%05d", "x", 42);
	assert_string_equal(s, "x-00042");
	free(s);
}

static void
arena(void **state)
{
	struct pgw_arena a;
	char	   *big;
	int			i;

	(void) state;
	arena_init(&a);
	for (i = 0; i < 10000; i++)
	{
		char	   *p = arena_alloc(&a, 40);

		assert_true(((uintptr_t) p % 16) == 0);
		assert_int_equal(p[0], 0);
		memset(p, 'x', 40);
	}
	big = arena_alloc(&a, 1 << 20);	/* larger than a block */
	memset(big, 1, 1 << 20);
	assert_string_equal(arena_strdup(&a, "tenant_id"), "tenant_id");
	assert_true(a.total >= (size_t) (10000 * 48 + (1 << 20)));
	arena_release(&a);
	assert_null(a.head);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edit_distance),
		cmocka_unit_test(closest),
		cmocka_unit_test(parse_int),
		cmocka_unit_test(trim_and_suffix),
		cmocka_unit_test(buffers),
		cmocka_unit_test(arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
