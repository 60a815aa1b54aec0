/* Unit tests: util/config — defaults, every key, and exact error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/config.h"
#include "util/error.h"

static struct pgw_config cfg;

static int
setup(void **state)
{
	(void) state;
	config_defaults(&cfg, "/proj");
	pgw_error_clear();
	return 0;
}

static int
teardown(void **state)
{
	(void) state;
	config_release(&cfg);
	return 0;
}

static void
assert_error(const char *message, const char *hint)
{
	const struct pgw_err *e = pgw_error_last();

	assert_int_equal(e->kind, PGW_ERR_INPUT);
	assert_string_equal(e->message, message);
	if (hint)
		assert_string_equal(e->hint, hint);
}

static void
defaults(void **state)
{
	(void) state;
	assert_string_equal(cfg.root, "/proj");
	assert_string_equal(cfg.migrations_dir, "/proj/migrations");
	assert_int_equal(cfg.schemas.n, 1);
	assert_string_equal(cfg.schemas.items[0], "public");
	assert_string_equal(cfg.tenant_column, "tenant_id");
	assert_string_equal(cfg.tenant_setting, "app.current_tenant_id");
	assert_string_equal(cfg.app_role, "authenticated");
	assert_int_equal(cfg.lock_timeout_ms, 5000);
	assert_int_equal(cfg.lock_retries, 5);
	assert_string_equal(cfg.local_dir, "/proj/.pgwarden/local");
	assert_false(cfg.local_dir_set);
	assert_string_equal(cfg.local_user, "postgres");
	/* /proj has no supabase/ folder: a plain project exposes nothing */
	assert_int_equal(cfg.exposed_schemas.n, 0);
}

static void
full_file(void **state)
{
	const char *text =
		"\xEF\xBB\xBF# comment\r\n"
		"[project]\r\n"
		"migrations_dir = db/migrations\n"
		"schemas = public, app\n"
		"  billing\n"				/* continuation line: appended */
		"tenant_column = org_id ; inline comment\n"
		"lock_timeout = 2s\n"
		"statement_timeout = 1.5min\n"
		"lock_retries = 3\n"
		"ignore = types.prefer_text types.timestamp_tz\n"
		"[local]\n"
		"port = 6000\n"
		"dir = /var/db/x\n"
		"supabase = yes\n"
		"[env staging]\n"
		"url = ${STAGING_URL}\n"
		"[env prod]\n"
		"host = db.prod\n"
		"dbname = app\n"
		"user = deploy\n";

	(void) state;
	assert_int_equal(config_parse_text(&cfg, "pgwarden.conf", text), 0);
	assert_string_equal(cfg.migrations_dir, "/proj/db/migrations");
	assert_int_equal(cfg.schemas.n, 3);
	assert_string_equal(cfg.schemas.items[2], "billing");
	assert_string_equal(cfg.tenant_column, "org_id");
	assert_int_equal(cfg.lock_timeout_ms, 2000);
	assert_int_equal(cfg.statement_timeout_ms, 90000);
	assert_int_equal(cfg.lock_retries, 3);
	assert_int_equal(cfg.ignore.n, 2);
	assert_int_equal(cfg.local_port, 6000);
	assert_string_equal(cfg.local_dir, "/var/db/x");
	assert_true(cfg.local_dir_set);	/* absolute: never relocated */
	assert_true(cfg.local_supabase);
	assert_int_equal(cfg.nenvs, 2);
	assert_non_null(config_find_env(&cfg, "prod"));
	assert_null(config_find_env(&cfg, "dev"));
}

static void
env_conninfo(void **state)
{
	char	   *ci;

	(void) state;
	assert_int_equal(config_parse_text(&cfg, "c",
									   "[env staging]\nurl = ${PGW_T_URL}\n"
									   "[env prod]\nhost = db.prod\nuser = o'neil\n"
									   "[env both]\nurl = postgresql://h/db\nsslmode = require\n"
									   "[env empty]\n"), 0);
	setenv("PGW_T_URL", "postgresql://u:pw@h:1/d", 1);
	assert_int_equal(config_env_conninfo(&cfg, config_find_env(&cfg, "staging"), &ci), 0);
	assert_string_equal(ci, "postgresql://u:pw@h:1/d");
	free(ci);
	assert_int_equal(config_env_conninfo(&cfg, config_find_env(&cfg, "prod"), &ci), 0);
	assert_string_equal(ci, "host='db.prod' user='o\\'neil'");
	free(ci);
	assert_int_equal(config_env_conninfo(&cfg, config_find_env(&cfg, "both"), &ci), 0);
	assert_string_equal(ci, "postgresql://h/db?sslmode=require");
	free(ci);
	unsetenv("PGW_T_URL");
	assert_int_equal(config_env_conninfo(&cfg, config_find_env(&cfg, "staging"), &ci), -1);
	assert_error("environment variable 'PGW_T_URL' is not set (needed by [env staging] in pgwarden.conf)",
				 "export PGW_T_URL=postgresql://... before running pgwarden");
	/* the section is known but names no database: an env with no keys is
	 * never created, so "empty" does not exist */
	assert_null(config_find_env(&cfg, "empty"));
}

static void
unknown_key(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[project]\nschemas = a\ntenant_colum = x\n"), -1);
	assert_error("p.conf:3: unknown key 'tenant_colum' in section [project]",
				 "did you mean 'tenant_column'?");
}

static void
unknown_key_no_guess(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[local]\nzzzzzz = 1\n"), -1);
	assert_error("p.conf:2: unknown key 'zzzzzz' in section [local]",
				 "keys of [local]: bindir, dir, port, supabase, user");
}

static void
unknown_section(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "\n\n[projet]\nx = 1\n"), -1);
	assert_error("p.conf:4: unknown section [projet]", "sections are [project], [local], [lint], [backup], [deploy], [maintain], [retention \"TABLE\"] and [env NAME]");
}

static void
lint_section(void **state)
{
	(void) state;
	assert_int_equal(cfg.lint_pg_version, 15);
	assert_int_equal(config_parse_text(&cfg, "p.conf",
									   "[lint]\npg_version = 19\nenable = robustness.unqualified_table\n"), 0);
	assert_int_equal(cfg.lint_pg_version, 19);
	assert_int_equal(cfg.lint_enable.n, 1);
	assert_string_equal(cfg.lint_enable.items[0], "robustness.unqualified_table");
	assert_int_equal(config_parse_text(&cfg, "q.conf", "[lint]\npg_version = 8\n"), -1);
	assert_error("q.conf:2: '8' is not a PostgreSQL major version (expected 9 to 99) for pg_version", NULL);
	assert_int_equal(config_parse_text(&cfg, "r.conf", "[lint]\npg_versoin = 16\n"), -1);
	assert_error("r.conf:2: unknown key 'pg_versoin' in section [lint]", "did you mean 'pg_version'?");
}

static void
outside_section(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "schemas = a\n"), -1);
	assert_error("p.conf:1: 'schemas' is outside any section (expected [project], [local], [lint] or [env NAME] first)",
				 NULL);
}

static void
syntax_error(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[project]\nschemas = a\nthis line has no equals\n"), -1);
	assert_error("p.conf:3: expected 'key = value', '[section]' or a comment", NULL);
}

static void
long_line(void **state)
{
	char		text[512];

	(void) state;
	memset(text, 0, sizeof(text));
	strcpy(text, "[env x]\nurl = ");
	memset(text + strlen(text), 'a', 250);
	strcat(text, "\n");
	assert_int_equal(config_parse_text(&cfg, "p.conf", text), -1);
	assert_error("p.conf:2: line is too long (256 bytes; at most 198 fit)",
				 "shorten the value, e.g. put a long URL in an environment variable and write url = ${NAME}");
}

static void
longest_line_that_fits(void **state)
{
	char		text[512];
	size_t		n;

	(void) state;
	memset(text, 0, sizeof(text));
	strcpy(text, "[env x]\nurl = ");
	n = strlen("url = ");
	memset(text + strlen(text), 'a', 198 - n);
	strcat(text, "\r\n");		/* CR does not count */
	assert_int_equal(config_parse_text(&cfg, "p.conf", text), 0);
	assert_int_equal(strlen(config_find_env(&cfg, "x")->url), 198 - n);
}

static void
duplicate_scalar(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[project]\ntenant_column = a\ntenant_column = b\n"), -1);
	assert_error("p.conf:3: 'tenant_column' is set twice in [project]", NULL);
}

static void
bad_values(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[project]\nlock_timeout = soon\n"), -1);
	assert_error("p.conf:2: 'soon' is not a duration for lock_timeout (expected e.g. 5s, 500ms, 2min, or 0 for off)", NULL);
	config_release(&cfg);
	config_defaults(&cfg, "/proj");
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[local]\nport = 70000\n"), -1);
	assert_error("p.conf:2: '70000' is not a port number (expected 1 to 65535)", NULL);
	config_release(&cfg);
	config_defaults(&cfg, "/proj");
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[local]\nsupabase = maybe\n"), -1);
	assert_error("p.conf:2: 'maybe' is not a boolean for supabase (expected true or false)", NULL);
}

static void
password_refused(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[env prod]\nhost = h\npassword = hunter2\n"), -1);
	assert_error("p.conf:3: passwords do not belong in the config file (section [env prod])", NULL);
}

static void
relative_local_dir(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "c", "[local]\ndir = db/cluster\n"), 0);
	assert_string_equal(cfg.local_dir, "/proj/db/cluster");
	assert_false(cfg.local_dir_set);	/* inside the project: may move */
}

static void
durations(void **state)
{
	int			ms;

	(void) state;
	assert_true(config_parse_duration("0", &ms));
	assert_int_equal(ms, 0);
	assert_true(config_parse_duration("250", &ms));
	assert_int_equal(ms, 250);
	assert_true(config_parse_duration("250ms", &ms));
	assert_true(config_parse_duration("5s", &ms));
	assert_int_equal(ms, 5000);
	assert_true(config_parse_duration("2min", &ms));
	assert_int_equal(ms, 120000);
	assert_false(config_parse_duration("5 days", &ms));
	assert_false(config_parse_duration("-1s", &ms));
	assert_false(config_parse_duration("", &ms));
}

static void
template_parses(void **state)
{
	char	   *text = config_template("supabase/migrations", true);

	(void) state;
	assert_int_equal(config_parse_text(&cfg, "t", text), 0);
	assert_string_equal(cfg.migrations_dir, "/proj/supabase/migrations");
	assert_true(cfg.local_supabase);
	assert_int_equal(cfg.ignore.n, 0);
	/* the Supabase template exposes public, the plain one nothing */
	assert_int_equal(cfg.exposed_schemas.n, 1);
	assert_string_equal(cfg.exposed_schemas.items[0], "public");
	free(text);
	config_release(&cfg);
	config_defaults(&cfg, "/proj");
	text = config_template("migrations", false);
	assert_int_equal(config_parse_text(&cfg, "t", text), 0);
	assert_int_equal(cfg.exposed_schemas.n, 0);
	assert_false(cfg.local_supabase);
	free(text);
}
static void
deploy_section(void **state)
{
	(void) state;
	assert_string_equal(cfg.deploy_dir, "/proj/deploy");
	assert_string_equal(cfg.deploy_log_dir, "/proj/logs");
	assert_int_equal(cfg.deploy_order.n, 0);
	assert_int_equal(config_parse_text(&cfg, "p.conf",
									   "[deploy]\ndir = db/deploy\nlog_dir = /var/log/pgw\norder = tables, enums ,views\n"), 0);
	assert_string_equal(cfg.deploy_dir, "/proj/db/deploy");
	assert_string_equal(cfg.deploy_log_dir, "/var/log/pgw");
	assert_int_equal(cfg.deploy_order.n, 3);
	assert_string_equal(cfg.deploy_order.items[0], "tables");
	assert_string_equal(cfg.deploy_order.items[1], "enums");
	assert_string_equal(cfg.deploy_order.items[2], "views");
}

static void
deploy_bad(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[deploy]\norder = tables,,views\n"), -1);
	assert_error("p.conf:2: 'tables,,views' is not a list of file names for order (expected e.g. enums,tables,views)", NULL);
}

static void
deploy_unknown_key(void **state)
{
	(void) state;
	assert_int_equal(config_parse_text(&cfg, "p.conf", "[deploy]\nlogdir = x\n"), -1);
	assert_string_equal(pgw_error_last()->message, "p.conf:2: unknown key 'logdir' in section [deploy]");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(defaults), T(full_file), T(env_conninfo), T(unknown_key), T(unknown_key_no_guess),
		T(unknown_section), T(lint_section), T(outside_section), T(syntax_error), T(long_line),
		T(longest_line_that_fits), T(duplicate_scalar), T(bad_values), T(password_refused),
		T(durations), T(template_parses), T(relative_local_dir), T(deploy_section), T(deploy_bad),
		T(deploy_unknown_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
