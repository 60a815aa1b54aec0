/*
 * test_snapshot.c — the snapshot reader and writer without a server: the
 * fixture's expected snapshot loads and writes back byte for byte, strings
 * are escaped and read back exactly, canonical order is imposed on load, and
 * malformed input is refused with a position or a field name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/snapshot.h"
#include "util/error.h"
#include "util/fs.h"

static void
roundtrip_text(const char *text, size_t len, const char *want)
{
	struct pgw_model m;
	struct pgw_buf out;
	bool		stable = false;

	model_init(&m);
	buf_init(&out);
	assert_int_equal(snapshot_read_text("t.json", text, len, &m, &stable), 0);
	snapshot_write(&m, stable, &out);
	assert_string_equal(out.data, want);
	buf_release(&out);
	model_release(&m);
}

static void
test_fixture_roundtrip(void **state)
{
	char	   *data;
	size_t		len;

	(void) state;
	assert_int_equal(fs_read_file(PGW_SOURCE_DIR "/tests/cases/inspect/fixture/expected.json", &data, &len), 0);
	roundtrip_text(data, len, data);
	free(data);
}

static void
test_escaping_and_order(void **state)
{
	/* out of order on input, awkward strings: written sorted and escaped */
	const char *in =
		"{\"format\": \"pgwarden.snapshot/1\", \"stable\": true, \"tenant_column\": null,"
		" \"schemas\": [{\"name\": \"z\", \"managed\": true, \"owner\": \"o\"},"
		"  {\"name\": \"a \\\"q\\\" \\\\ \\u0001\\n\\u00fc\", \"managed\": false, \"owner\": \"o\"}]}";
	const char *want =
		"{\n"
		"  \"format\": \"pgwarden.snapshot/1\",\n"
		"  \"stable\": true,\n"
		"  \"tenant_column\": null,\n"
		"  \"schemas\": [\n"
		"    {\n"
		"      \"name\": \"a \\\"q\\\" \\\\ \\u0001\\n\xc3\xbc\",\n"
		"      \"managed\": false,\n"
		"      \"owner\": \"o\"\n"
		"    },\n"
		"    {\n"
		"      \"name\": \"z\",\n"
		"      \"managed\": true,\n"
		"      \"owner\": \"o\"\n"
		"    }\n"
		"  ],\n"
		"  \"extensions\": [],\n"
		"  \"types\": [],\n"
		"  \"sequences\": [],\n"
		"  \"tables\": [],\n"
		"  \"views\": [],\n"
		"  \"functions\": []\n"
		"}\n";

	(void) state;
	roundtrip_text(in, strlen(in), want);
	roundtrip_text(want, strlen(want), want);
}

static void
expect_error(const char *text, const char *needle)
{
	struct pgw_model m;

	model_init(&m);
	pgw_error_clear();
	assert_int_equal(snapshot_read_text("bad.json", text, strlen(text), &m, NULL), -1);
	assert_int_equal(pgw_error_last()->kind, PGW_ERR_INPUT);
	if (!strstr(pgw_error_last()->message, needle))
		fail_msg("'%s' not in '%s'", needle, pgw_error_last()->message);
	model_release(&m);
}

static void
test_errors(void **state)
{
	(void) state;
	expect_error("{\"format\": \"pgwarden.snapshot/1\",\n \"tables\": [,]}", "bad.json:2:");
	expect_error("[]", "is not a pgwarden snapshot (format missing)");
	expect_error("{\"format\": \"pgwarden.snapshot/2\"}", "format 'pgwarden.snapshot/2'");
	expect_error("{\"format\": \"pgwarden.snapshot/1\", \"tables\": {}}", "not a valid snapshot: tables must be an array");
	expect_error("{\"format\": \"pgwarden.snapshot/1\", \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
				 " \"kind\": \"table\", \"columns\": [{\"name\": 3}]}]}",
				 "tables[0].columns[0].name must be a string");
	expect_error("{\"format\": \"pgwarden.snapshot/1\", \"tables\": [{\"schema\": \"s\", \"name\": \"t\","
				 " \"kind\": \"tabel\"}]}", "tables[0].kind has an unknown value");
	expect_error("{\"format\": \"pgwarden.snapshot/1\", \"format\": \"x\"}", "duplicate");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_roundtrip),
		cmocka_unit_test(test_escaping_and_order),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
