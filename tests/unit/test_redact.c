/* Unit tests: util/redact and db/target's display form — no password survives. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "db/target.h"
#include "util/redact.h"

static char *
filtered(const char *text)
{
	struct pgw_buf b;

	buf_init(&b);
	redact_text(text, &b);
	return buf_steal(&b);
}

static int
reset(void **state)
{
	(void) state;
	redact_reset();
	return 0;
}

static void
url_password(void **state)
{
	char	   *shown;
	char	   *f;

	(void) state;
	shown = redact_conninfo("postgresql://app:s3cr3t@db.example.com:5432/app?sslmode=require");
	assert_string_equal(shown, "postgresql://app:********@db.example.com:5432/app?sslmode=require");
	free(shown);
	f = filtered("FATAL: password s3cr3t rejected; again s3cr3t");
	assert_string_equal(f, "FATAL: password ******** rejected; again ********");
	free(f);
}

static void
url_password_encoded(void **state)
{
	char	   *shown;
	char	   *f;

	(void) state;
	/* "p@ss word" percent-encoded: both forms are secrets */
	shown = redact_conninfo("postgres://u:p%40ss%20word@h/db");
	assert_string_equal(shown, "postgres://u:********@h/db");
	free(shown);
	f = filtered("decoded p@ss word, encoded p%40ss%20word");
	assert_string_equal(f, "decoded ********, encoded ********");
	free(f);
}

static void
url_with_at_in_password(void **state)
{
	char	   *shown;

	(void) state;
	shown = redact_conninfo("postgresql://u:a@b@host/db");
	assert_string_equal(shown, "postgresql://u:********@host/db");
	free(shown);
}

static void
url_without_password(void **state)
{
	char	   *shown;

	(void) state;
	shown = redact_conninfo("postgresql://u@host:5432/db");
	assert_string_equal(shown, "postgresql://u@host:5432/db");
	free(shown);
}

static void
keyword_forms(void **state)
{
	char	   *shown;
	char	   *f;

	(void) state;
	shown = redact_conninfo("host=h password=plain dbname=d");
	assert_string_equal(shown, "host=h password=******** dbname=d");
	free(shown);
	shown = redact_conninfo("host=h password = 'with space\\'q' dbname=d");
	assert_string_equal(shown, "host=h password = ******** dbname=d");
	free(shown);
	f = filtered("libpq said: with space'q");
	assert_string_equal(f, "libpq said: ********");
	free(f);
	/* malformed quoting: mask up to the next keyword */
	shown = redact_conninfo("password='it''s Secret' dbname=app");
	assert_string_equal(shown, "password=******** dbname=app");
	free(shown);
	/* query parameter */
	shown = redact_conninfo("postgresql://h/db?password=qp&sslmode=disable");
	assert_string_equal(shown, "postgresql://h/db?password=********&sslmode=disable");
	free(shown);
	/* a word that merely contains "password" is left alone */
	shown = redact_conninfo("host=h passwordless=1");
	assert_string_equal(shown, "host=h passwordless=1");
	free(shown);
}

static void
longest_secret_wins(void **state)
{
	char	   *f;

	(void) state;
	redact_add_secret("abc");
	redact_add_secret("abcdef");
	f = filtered("xabcdefx abcx");
	assert_string_equal(f, "x********x ********x");
	free(f);
}

static void
display_drops_password(void **state)
{
	char	   *d;

	(void) state;
	d = conninfo_display("postgresql://app:pw1@db:6543/appdb");
	assert_string_equal(d, "postgresql://app@db:6543/appdb");
	free(d);
	d = conninfo_display("host=/tmp/sock port=5 user=postgres dbname=x password=pw2");
	assert_string_equal(d, "postgresql://postgres@/x?host=/tmp/sock&port=5");
	free(d);
	d = filtered("pw1 pw2");
	assert_string_equal(d, "******** ********");
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(url_password, reset),
		cmocka_unit_test_setup(url_password_encoded, reset),
		cmocka_unit_test_setup(url_with_at_in_password, reset),
		cmocka_unit_test_setup(url_without_password, reset),
		cmocka_unit_test_setup(keyword_forms, reset),
		cmocka_unit_test_setup(longest_secret_wins, reset),
		cmocka_unit_test_setup(display_drops_password, reset),
	};

	unsetenv("PGUSER");
	unsetenv("PGHOST");
	unsetenv("PGPORT");
	unsetenv("PGDATABASE");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
