/*
 * Unit tests: sql/lint and out/sarif — the rule table agrees with
 * docs/lint-rules.md, findings carry the shared shape, suppression works,
 * and the SARIF log has every property SARIF 2.1.0 requires.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/sarif.h"
#include "sql/lint.h"
#include "sql/script.h"
#include "util/embedded.h"

static void
run_lint(const char *sql, struct pgw_findings *out, enum pgw_lint_txmode mode)
{
	struct pgw_sql_file f;
	struct pgw_sql_script s;
	struct pgw_lint_options o;

	memset(&o, 0, sizeof(o));
	o.tx_mode = mode;
	sqlfile_from_text("m.sql", sql, strlen(sql), &f);
	sql_script_load(&s, &f);
	assert_int_equal(s.ndiags, 0);
	lint_script(&s, &o, out);
	sql_script_release(&s);
	sqlfile_release(&f);
}

static size_t
count_rule(const struct pgw_findings *l, const char *rule, bool suppressed)
{
	size_t		i,
				n = 0;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].rule, rule) == 0 && l->items[i].suppressed == suppressed)
			n++;
	return n;
}

static void
rules_documented(void **state)
{
	const char *doc = embedded_get("docs/lint-rules.md");
	size_t		i,
				j;

	(void) state;
	assert_non_null(doc);
	for (i = 0; i < pgw_lint_nrules; i++)
	{
		char		heading[128];

		snprintf(heading, sizeof(heading), "\n## %s\n", pgw_lint_rules[i].id);
		if (!strstr(doc, heading))
			fail_msg("docs/lint-rules.md has no section for '%s'", pgw_lint_rules[i].id);
		/* ids: dotted, lowercase, unique */
		assert_non_null(strchr(pgw_lint_rules[i].id, '.'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(pgw_lint_rules[i].id, pgw_lint_rules[j].id);
		assert_ptr_equal(lint_rule_find(pgw_lint_rules[i].id), &pgw_lint_rules[i]);
	}
	assert_null(lint_rule_find("no.such_rule"));
}

static void
finding_shape(void **state)
{
	struct pgw_findings l;
	json_t	   *arr,
			   *f;

	(void) state;
	findings_init(&l);
	run_lint("SET lock_timeout = '1s';\nSET statement_timeout = '1s';\n"
			 "CREATE INDEX i ON app.t (a);", &l, PGW_LINT_TX_AUTO);
	assert_int_equal(l.n, 1);
	arr = findings_to_json(&l);
	f = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(f, "rule")), "locking.create_index_not_concurrent");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "error");
	assert_string_equal(json_string_value(json_object_get(f, "category")), "locking");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "object"), "kind")), "index");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "object"), "schema")), "app");
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "location"), "file")), "m.sql");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "location"), "line")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f, "location"), "column")), 1);
	assert_non_null(json_object_get(f, "hint"));
	assert_int_equal(strlen(json_string_value(json_object_get(f, "fingerprint"))), 16);
	json_decref(arr);
	findings_release(&l);
}

static void
suppression(void **state)
{
	struct pgw_findings l;

	(void) state;
	findings_init(&l);
	run_lint("-- pgwarden:ignore-file locking.lock_timeout_missing, locking.statement_timeout_missing\n"
			 "-- pgwarden:ignore destructive.drop_table\n"
			 "DROP TABLE app.a;\n"
			 "DROP TABLE app.b; -- pgwarden:ignore destructive.drop_table\n"
			 "DROP TABLE app.c;\n"
			 "-- pgwarden:ignore types.char\n"
			 "SELECT 1;\n", &l, PGW_LINT_TX_AUTO);
	assert_int_equal(count_rule(&l, "destructive.drop_table", true), 2);
	assert_int_equal(count_rule(&l, "destructive.drop_table", false), 1);
	assert_int_equal(count_rule(&l, "locking.lock_timeout_missing", true), 1);
	assert_int_equal(count_rule(&l, "lint.unused_ignore", false), 1);
	findings_release(&l);
}

/* A rollback: drops of what its forward script creates are quiet, others
 * are not, type rules are off, locking rules stay; opt-in rules need
 * enable. */
static void
rollback_and_opt_in(void **state)
{
	static const char fwd_sql[] = "CREATE TABLE app.inv (id bigint);\n"
		"ALTER TABLE app.orders ADD COLUMN inv_id bigint;\n";
	static const char rb_sql[] = "SET lock_timeout = '1s';\nSET statement_timeout = '1s';\n"
		"ALTER TABLE app.orders DROP COLUMN inv_id;\nDROP TABLE app.inv;\n"
		"DROP TABLE app.orders;\nALTER TABLE app.orders ADD COLUMN c char(3);\n"
		"CREATE INDEX i ON app.orders (c);\nDROP TABLE t;\n";
	struct pgw_sql_file ff,
				rf;
	struct pgw_sql_script fs,
				rs;
	struct pgw_lint_options o;
	struct pgw_findings l;
	struct pgw_strlist en = {NULL, 0};

	(void) state;
	sqlfile_from_text("f.sql", fwd_sql, strlen(fwd_sql), &ff);
	sql_script_load(&fs, &ff);
	sqlfile_from_text("f_rollback.sql", rb_sql, strlen(rb_sql), &rf);
	sql_script_load(&rs, &rf);
	memset(&o, 0, sizeof(o));
	o.rollback = true;
	o.forward = &fs;
	findings_init(&l);
	lint_script(&rs, &o, &l);
	assert_int_equal(count_rule(&l, "destructive.drop_column", false), 0);
	assert_int_equal(count_rule(&l, "destructive.drop_table", false), 2);	/* app.orders, t */
	assert_int_equal(count_rule(&l, "types.char", false), 0);
	assert_int_equal(count_rule(&l, "locking.create_index_not_concurrent", false), 1);
	assert_int_equal(count_rule(&l, "robustness.unqualified_table", false), 0);	/* off */
	findings_release(&l);

	/* the same script as a forward migration, with the opt-in rule on */
	strlist_add(&en, "robustness.unqualified_table");
	memset(&o, 0, sizeof(o));
	o.enable = &en;
	findings_init(&l);
	lint_script(&rs, &o, &l);
	assert_int_equal(count_rule(&l, "destructive.drop_column", false), 1);
	assert_int_equal(count_rule(&l, "destructive.drop_table", false), 3);
	assert_int_equal(count_rule(&l, "types.char", false), 1);
	assert_int_equal(count_rule(&l, "robustness.unqualified_table", false), 1);
	assert_true(lint_rule_is_opt_in("robustness.unqualified_table"));
	assert_false(lint_rule_is_opt_in("destructive.drop_table"));
	findings_release(&l);
	strlist_release(&en);
	sql_script_release(&rs);
	sqlfile_release(&rf);
	sql_script_release(&fs);
	sqlfile_release(&ff);
}

static void
runner_awareness(void **state)
{
	struct pgw_findings l;

	(void) state;
	findings_init(&l);
	/* created in this file: exempt from the online-safety rules */
	run_lint("SET lock_timeout = '1s'; SET statement_timeout = '1s';\n"
			 "CREATE TABLE IF NOT EXISTS app.t (id bigint PRIMARY KEY, a int);\n"
			 "CREATE INDEX i ON app.t (a);\n"
			 "ALTER TABLE app.t ADD CONSTRAINT c CHECK (a > 0);\n"
			 "ALTER TABLE app.t ALTER COLUMN a SET NOT NULL;\n", &l, PGW_LINT_TX_AUTO);
	assert_int_equal(l.n, 0);
	findings_release(&l);

	/* the same file runs in one transaction under auto, but not under never */
	findings_init(&l);
	run_lint("SET lock_timeout = '1s'; SET statement_timeout = '1s';\n"
			 "CREATE TABLE app.x (id bigint PRIMARY KEY);\n", &l, PGW_LINT_TX_NEVER);
	assert_int_equal(count_rule(&l, "robustness.not_idempotent", false), 1);
	findings_release(&l);
	findings_init(&l);
	run_lint("SET lock_timeout = '1s'; SET statement_timeout = '1s';\n"
			 "CREATE TABLE app.x (id bigint PRIMARY KEY);\n", &l, PGW_LINT_TX_AUTO);
	assert_int_equal(count_rule(&l, "robustness.not_idempotent", false), 0);
	findings_release(&l);
}

/* Findings on a policy, a constraint or an index carry their own name and
 * their table; a column finding's table is the one its name gives. */
static void
objects_name_their_table(void **state)
{
	struct pgw_findings l;
	size_t		i;
	int			seen = 0;

	(void) state;
	findings_init(&l);
	run_lint("SET lock_timeout = '1s'; SET statement_timeout = '1s';\n"
			 "CREATE POLICY p_all ON app.orders FOR UPDATE USING (true);\n"
			 "ALTER TABLE app.orders ADD CONSTRAINT orders_fk FOREIGN KEY (a) REFERENCES app.x (id);\n"
			 "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_a ON app.orders (a);\n"
			 "ALTER TABLE app.orders ADD COLUMN c timestamp;\n", &l, PGW_LINT_TX_AUTO);
	for (i = 0; i < l.n; i++)
	{
		const struct pgw_finding *f = &l.items[i];

		if (strcmp(f->rule, "rls.policy_always_true") == 0 ||
			strcmp(f->rule, "locking.constraint_not_valid") == 0 ||
			strcmp(f->rule, "types.timestamp_without_tz") == 0)
		{
			assert_non_null(f->object.table);
			assert_string_equal(f->object.table, "orders");
			assert_string_equal(f->object.table_schema, "app");
			seen++;
		}
		if (strcmp(f->rule, "rls.policy_always_true") == 0)
			assert_string_equal(f->object.name, "p_all");
		if (strcmp(f->rule, "locking.constraint_not_valid") == 0)
			assert_string_equal(f->object.name, "orders_fk");
	}
	assert_int_equal(seen, 3);
	findings_release(&l);
}

static void
sarif_shape(void **state)
{
	struct pgw_findings l;
	struct pgw_sarif_rule rules[1] = {{"locking.create_index_not_concurrent", "summary", "hint",
	PGW_SEV_ERROR, "locking"}};
	const struct pgw_findings *lists[1];
	json_t	   *doc,
			   *run,
			   *driver,
			   *res,
			   *loc;

	(void) state;
	findings_init(&l);
	run_lint("SET lock_timeout = '1s'; SET statement_timeout = '1s';\nCREATE INDEX i ON app.t (a);\n-- pgwarden:ignore destructive.truncate\nTRUNCATE app.t;",
			 &l, PGW_LINT_TX_AUTO);
	lists[0] = &l;
	doc = sarif_document("0.1.0", NULL, rules, 1, lists, 1);
	/* sarifLog: version, $schema, runs */
	assert_string_equal(json_string_value(json_object_get(doc, "version")), "2.1.0");
	assert_non_null(strstr(json_string_value(json_object_get(doc, "$schema")), "sarif-2.1.0"));
	assert_int_equal(json_array_size(json_object_get(doc, "runs")), 1);
	run = json_array_get(json_object_get(doc, "runs"), 0);
	/* run.tool.driver.name is required; rules carry id and descriptions */
	driver = json_object_get(json_object_get(run, "tool"), "driver");
	assert_string_equal(json_string_value(json_object_get(driver, "name")), "pgwarden");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(driver, "rules"), 0), "id")),
						"locking.create_index_not_concurrent");
	assert_non_null(json_object_get(json_object_get(json_array_get(json_object_get(driver, "rules"), 0),
													"shortDescription"), "text"));
	/* results: message.text required; level from the enumeration; the
	 * suppressed TRUNCATE finding is not a result */
	assert_true(json_is_array(json_object_get(run, "results")));
	res = json_array_get(json_object_get(run, "results"), 0);
	assert_non_null(res);
	assert_string_equal(json_string_value(json_object_get(res, "ruleId")), "locking.create_index_not_concurrent");
	assert_int_equal(json_integer_value(json_object_get(res, "ruleIndex")), 0);
	assert_string_equal(json_string_value(json_object_get(res, "level")), "error");
	assert_non_null(json_string_value(json_object_get(json_object_get(res, "message"), "text")));
	loc = json_object_get(json_array_get(json_object_get(res, "locations"), 0), "physicalLocation");
	assert_string_equal(json_string_value(json_object_get(json_object_get(loc, "artifactLocation"), "uri")), "m.sql");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(loc, "region"), "startLine")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(loc, "region"), "startColumn")), 1);
	assert_non_null(json_object_get(json_object_get(res, "partialFingerprints"), "pgwarden/v1"));
	/* the object: a logical location through its table, and as --json has it */
	loc = json_array_get(json_object_get(json_array_get(json_object_get(res, "locations"), 0), "logicalLocations"), 0);
	assert_string_equal(json_string_value(json_object_get(loc, "fullyQualifiedName")), "app.t.i");
	assert_string_equal(json_string_value(json_object_get(loc, "name")), "i");
	assert_string_equal(json_string_value(json_object_get(loc, "kind")), "index");
	loc = json_object_get(json_object_get(res, "properties"), "object");
	assert_string_equal(json_string_value(json_object_get(loc, "name")), "i");
	assert_string_equal(json_string_value(json_object_get(json_object_get(loc, "table"), "schema")), "app");
	assert_string_equal(json_string_value(json_object_get(json_object_get(loc, "table"), "table")), "t");
	{
		size_t		i;

		for (i = 0; i < json_array_size(json_object_get(run, "results")); i++)
		{
			const char *lvl = json_string_value(json_object_get(json_array_get(json_object_get(run, "results"), i), "level"));

			assert_true(strcmp(lvl, "error") == 0 || strcmp(lvl, "warning") == 0 ||
						strcmp(lvl, "note") == 0 || strcmp(lvl, "none") == 0);
			assert_string_not_equal(json_string_value(json_object_get(json_array_get(json_object_get(run, "results"), i),
																	   "ruleId")), "destructive.truncate");
		}
	}
	json_decref(doc);
	findings_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules_documented),
		cmocka_unit_test(finding_shape),
		cmocka_unit_test(suppression),
		cmocka_unit_test(runner_awareness),
		cmocka_unit_test(rollback_and_opt_in),
		cmocka_unit_test(objects_name_their_table),
		cmocka_unit_test(sarif_shape),
	};
	int			rc = cmocka_run_group_tests(tests, NULL, NULL);

	sql_library_exit();
	return rc;
}
