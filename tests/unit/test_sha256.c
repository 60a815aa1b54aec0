/* Unit tests: util/sha256 — known vectors and the checksum normalisation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/sha256.h"

static void
vectors(void **state)
{
	char		hex[PGW_SHA256_HEX_LEN + 1];

	(void) state;
	assert_int_equal(sha256_hex("", 0, hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
normalized(void **state)
{
	const char *lf = "create table t (id int);\nselect 1;\n";
	const char *crlf = "create table t (id int);\r\nselect 1;\r\n";
	const char *cr = "create table t (id int);\rselect 1;\r";
	const char *bom = "\xEF\xBB\xBF" "create table t (id int);\r\nselect 1;\n";
	char		a[PGW_SHA256_HEX_LEN + 1];
	char		b[PGW_SHA256_HEX_LEN + 1];
	char		raw[PGW_SHA256_HEX_LEN + 1];

	(void) state;
	assert_int_equal(sha256_hex_normalized(lf, strlen(lf), a), 0);
	sha256_hex(lf, strlen(lf), raw);
	assert_string_equal(a, raw);	/* LF text is hashed as is */
	sha256_hex_normalized(crlf, strlen(crlf), b);
	assert_string_equal(a, b);
	sha256_hex_normalized(cr, strlen(cr), b);
	assert_string_equal(a, b);
	sha256_hex_normalized(bom, strlen(bom), b);
	assert_string_equal(a, b);
	/* a change of content still changes it */
	sha256_hex_normalized("select 2;\n", 10, b);
	assert_string_not_equal(a, b);
	/* CR CR LF is two line ends, not one */
	sha256_hex_normalized("a\r\r\nb", 5, a);
	sha256_hex_normalized("a\n\nb", 4, b);
	assert_string_equal(a, b);
	/* a BOM in the middle is content */
	sha256_hex_normalized("a\xEF\xBB\xBF", 4, a);
	sha256_hex_normalized("a", 1, b);
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vectors),
		cmocka_unit_test(normalized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
