/* Unit tests: check/finding — the shared finding shape, exactly — and the
 * names check/fix gives generated objects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "check/finding.h"
#include "check/fix.h"

static void
json_shape(void **state)
{
	struct pgw_findings list;
	struct pgw_finding *f;
	const char *args[] = {"vehicles"};
	char	   *text;
	json_t	   *j;

	(void) state;
	findings_init(&list);
	f = findings_add(&list, "rls.weak_policy", PGW_SEV_ERROR, "rls",
					 "policy 'all_access' on 'vehicles' does not isolate tenants");
	finding_set_object(&list, f, "policy", "public", "all_access", NULL);
	finding_set_table(&list, f, "public", "vehicles");
	finding_set_hint(&list, f, "run: pgwarden generate fix-rls-policy vehicles");
	finding_set_fix(&list, f, "fix-rls-policy", args, 1, NULL);
	j = finding_to_json(f);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	assert_string_equal(text,
						"{\"rule\":\"rls.weak_policy\",\"severity\":\"error\",\"category\":\"rls\","
						"\"object\":{\"kind\":\"policy\",\"schema\":\"public\",\"name\":\"all_access\","
						"\"table\":{\"schema\":\"public\",\"table\":\"vehicles\"}},"
						"\"message\":\"policy 'all_access' on 'vehicles' does not isolate tenants\","
						"\"hint\":\"run: pgwarden generate fix-rls-policy vehicles\","
						"\"fix\":{\"action\":\"fix-rls-policy\",\"args\":[\"vehicles\"]},"
						"\"fingerprint\":\"75e9732bb839709c\"}");
	free(text);
	findings_release(&list);
}

static void
json_with_location_and_column(void **state)
{
	struct pgw_findings list;
	struct pgw_finding *f;
	json_t	   *j;

	(void) state;
	findings_init(&list);
	f = findings_add(&list, "types.prefer_text", PGW_SEV_INFO, "types", "varchar(n) limits length");
	finding_set_object(&list, f, "column", "public", "garages", "name");
	finding_set_location(&list, f, "migrations/1_x.sql", 3, 7);
	finding_set_detail(&list, f, "column name varchar(80)");
	j = finding_to_json(f);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "object"), "column")), "name");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "location"), "line")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "location"), "column")), 7);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "column name varchar(80)");
	assert_null(json_object_get(j, "fix"));
	assert_int_equal(strlen(json_string_value(json_object_get(j, "fingerprint"))), 16);
	json_decref(j);
	findings_release(&list);
}

static void
fingerprint_stability(void **state)
{
	struct pgw_findings list;
	struct pgw_finding *a;
	struct pgw_finding *b;
	char		fa[17];

	(void) state;
	findings_init(&list);
	a = findings_add(&list, "tenant.coverage", PGW_SEV_WARNING, "tenant", "3 rows without tenant");
	finding_set_object(&list, a, "table", "public", "vehicles", "tenant_id");
	memcpy(fa, a->fingerprint, 17);
	b = findings_add(&list, "tenant.coverage", PGW_SEV_WARNING, "tenant", "5 rows without tenant");
	finding_set_object(&list, b, "table", "public", "vehicles", "tenant_id");
	assert_string_equal(fa, list.items[1].fingerprint);	/* message is not part of it */
	b = findings_add(&list, "tenant.coverage", PGW_SEV_WARNING, "tenant", "x");
	finding_set_object(&list, b, "table", "public", "garages", "tenant_id");
	assert_string_not_equal(fa, list.items[2].fingerprint);
	/* ("ab","c") and ("a","bc") differ */
	b = findings_add(&list, "r", PGW_SEV_INFO, "c", "m");
	finding_set_object(&list, b, "table", "ab", "c", NULL);
	memcpy(fa, list.items[3].fingerprint, 17);
	b = findings_add(&list, "r", PGW_SEV_INFO, "c", "m");
	finding_set_object(&list, b, "table", "a", "bc", NULL);
	assert_string_not_equal(fa, list.items[4].fingerprint);
	findings_release(&list);
}

/*
 * object.table: a table or column finding is its own table; any other kind
 * gets one from finding_set_table.  Adding the table keeps the fingerprint,
 * and a policy's is still what it was when its name read "table.policy".
 */
static void
object_table(void **state)
{
	struct pgw_findings list;
	struct pgw_finding *f;
	json_t	   *j;
	json_t	   *t;
	char		fp[17];

	(void) state;
	findings_init(&list);
	f = findings_add(&list, "fk.missing", PGW_SEV_WARNING, "fk", "m");
	finding_set_object(&list, f, "column", "app", "work_orders", "garage_id");
	j = finding_to_json(f);
	t = json_object_get(json_object_get(j, "object"), "table");
	assert_string_equal(json_string_value(json_object_get(t, "schema")), "app");
	assert_string_equal(json_string_value(json_object_get(t, "table")), "work_orders");
	json_decref(j);

	/* an index: no table until set; setting it leaves the fingerprint */
	f = findings_add(&list, "index.unused", PGW_SEV_INFO, "performance", "m");
	finding_set_object(&list, f, "index", "app", "work_orders_garage_idx", NULL);
	j = finding_to_json(f);
	assert_null(json_object_get(json_object_get(j, "object"), "table"));
	json_decref(j);
	memcpy(fp, f->fingerprint, 17);
	finding_set_table(&list, f, "app", "work_orders");
	assert_string_equal(fp, f->fingerprint);
	j = finding_to_json(f);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "object"), "name")),
						"work_orders_garage_idx");
	t = json_object_get(json_object_get(j, "object"), "table");
	assert_string_equal(json_string_value(json_object_get(t, "table")), "work_orders");
	json_decref(j);

	/* a policy: named by itself now, fingerprinted as before */
	f = findings_add(&list, "rls.weak_policy", PGW_SEV_ERROR, "rls", "m");
	finding_set_object(&list, f, "policy", "app", "work_orders.open_read", NULL);
	memcpy(fp, f->fingerprint, 17);
	f = findings_add(&list, "rls.weak_policy", PGW_SEV_ERROR, "rls", "m");
	finding_set_object(&list, f, "policy", "app", "open_read", NULL);
	finding_set_table(&list, f, "app", "work_orders");
	assert_string_equal(fp, f->fingerprint);
	/* the same policy name on another table is another problem */
	f = findings_add(&list, "rls.weak_policy", PGW_SEV_ERROR, "rls", "m");
	finding_set_object(&list, f, "policy", "app", "open_read", NULL);
	finding_set_table(&list, f, "app", "garages");
	assert_string_not_equal(fp, f->fingerprint);
	/* copies keep the table */
	{
		struct pgw_findings other;

		findings_init(&other);
		f = findings_copy(&other, &list.items[list.n - 1]);
		assert_string_equal(f->object.table, "garages");
		assert_string_equal(f->object.table_schema, "app");
		findings_release(&other);
	}
	findings_release(&list);
}

static void
counts_and_suppression(void **state)
{
	struct pgw_findings list;
	const char *ignore[] = {"rls.not_forced"};
	json_t	   *summary;
	json_t	   *arr;
	int			i;

	(void) state;
	findings_init(&list);
	for (i = 0; i < 40; i++)	/* grows past the first allocation */
		findings_add(&list, i % 2 ? "rls.disabled" : "rls.not_forced",
					 i % 2 ? PGW_SEV_ERROR : PGW_SEV_INFO, "rls", "m");
	findings_add(&list, "fk.missing", PGW_SEV_WARNING, "fk", "m");
	assert_int_equal(findings_count_at_least(&list, PGW_SEV_INFO), 41);
	assert_int_equal(findings_count_at_least(&list, PGW_SEV_WARNING), 21);
	assert_int_equal(findings_count_at_least(&list, PGW_SEV_ERROR), 20);
	assert_int_equal(findings_suppress(&list, ignore, 1), 20);
	assert_int_equal(findings_count_at_least(&list, PGW_SEV_INFO), 21);
	summary = findings_summary_json(&list);
	assert_int_equal(json_integer_value(json_object_get(summary, "error")), 20);
	assert_int_equal(json_integer_value(json_object_get(summary, "warning")), 1);
	assert_int_equal(json_integer_value(json_object_get(summary, "info")), 0);
	assert_int_equal(json_integer_value(json_object_get(summary, "suppressed")), 20);
	json_decref(summary);
	arr = findings_to_json(&list);
	assert_int_equal(json_array_size(arr), 21);
	json_decref(arr);
	findings_release(&list);
}

static void
severities(void **state)
{
	(void) state;
	assert_int_equal(severity_parse("error"), PGW_SEV_ERROR);
	assert_int_equal(severity_parse("warning"), PGW_SEV_WARNING);
	assert_int_equal(severity_parse("info"), PGW_SEV_INFO);
	assert_int_equal(severity_parse("fatal"), -1);
	assert_string_equal(severity_name(PGW_SEV_WARNING), "warning");
	assert_true(PGW_SEV_ERROR > PGW_SEV_WARNING && PGW_SEV_WARNING > PGW_SEV_INFO);
}

/* copies carry everything, the fix's rollback included */
static void
copy_is_whole(void **state)
{
	struct pgw_findings a,
				b;
	struct pgw_finding *f;
	const char *args[] = {"public.t"};

	(void) state;
	findings_init(&a);
	findings_init(&b);
	f = findings_add(&a, "index.duplicate", PGW_SEV_WARNING, "performance", "dup");
	finding_set_object(&a, f, "index", "public", "t_b", NULL);
	finding_set_hint(&a, f, "drop it");
	finding_set_location(&a, f, "x.sql", 3, 4);
	finding_set_fix(&a, f, NULL, args, 1, "DROP INDEX CONCURRENTLY t_b;");
	finding_set_fix_undo(&a, f, "CREATE INDEX CONCURRENTLY t_b ON t (b);", true);
	f->suppressed = true;
	f = findings_copy(&b, &a.items[0]);
	assert_string_equal(f->object.name, "t_b");
	assert_string_equal(f->hint, "drop it");
	assert_int_equal(f->line, 3);
	assert_string_equal(f->fix.args[0], "public.t");
	assert_string_equal(f->fix.undo, "CREATE INDEX CONCURRENTLY t_b ON t (b);");
	assert_true(f->fix.concurrent);
	assert_true(f->suppressed);
	assert_string_equal(f->fingerprint, a.items[0].fingerprint);
	findings_release(&a);
	findings_release(&b);
}

/* names within 63 bytes; shortened ones stay apart */
static void
object_names(void **state)
{
	char		longt[61];
	char	   *a,
			   *b,
			   *c;

	(void) state;
	a = fix_object_name("vehicles", "tenant_id", "idx");
	assert_string_equal(a, "vehicles_tenant_id_idx");
	free(a);
	memset(longt, 'x', 60);
	longt[60] = '\0';
	a = fix_object_name(longt, "tenant_id", "idx");
	b = fix_object_name(longt, "tenant_ix", "idx");
	c = fix_object_name(longt, "tenant_id", "idx");
	assert_true(strlen(a) <= 63 && strlen(b) <= 63);
	assert_string_not_equal(a, b);
	assert_string_equal(a, c);	/* the same input, the same name */
	assert_true(strcmp(a + strlen(a) - 4, "_idx") == 0);
	free(a);
	free(b);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_shape),
		cmocka_unit_test(json_with_location_and_column),
		cmocka_unit_test(fingerprint_stability),
		cmocka_unit_test(object_table),
		cmocka_unit_test(counts_and_suppression),
		cmocka_unit_test(severities),
		cmocka_unit_test(copy_is_whole),
		cmocka_unit_test(object_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
