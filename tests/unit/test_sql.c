/*
 * Unit tests: sql/ — the file reader, the splitter (dollar quotes, nested
 * comments, BEGIN ATOMIC, COPY data, CRLF, BOM, meta-commands), error
 * positions on multibyte text, and the statement classification the
 * migration runner relies on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/script.h"

struct loaded
{
	struct pgw_sql_file f;
	struct pgw_sql_script s;
};

static struct loaded *
load_len(const char *text, size_t len)
{
	struct loaded *l = calloc(1, sizeof(*l));

	sqlfile_from_text("t.sql", text, len, &l->f);
	sql_script_load(&l->s, &l->f);
	return l;
}

static struct loaded *
load(const char *text)
{
	return load_len(text, strlen(text));
}

static void
unload(struct loaded *l)
{
	sql_script_release(&l->s);
	sqlfile_release(&l->f);
	free(l);
}

/* The text of statement i. */
static char *
stmt_text(const struct loaded *l, size_t i)
{
	const struct pgw_sql_stmt *st = &l->s.stmts[i];

	return strndup(l->f.text + st->start, st->end - st->start);
}

static void
assert_stmt(const struct loaded *l, size_t i, const char *want)
{
	char	   *got = stmt_text(l, i);

	assert_string_equal(got, want);
	free(got);
}

static void
split_basic_and_positions(void **state)
{
	struct loaded *l = load("SELECT 1;\n  SELECT 'a;b' ; -- x;y\nSELECT \"c;d\"");

	(void) state;
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, 3);
	assert_stmt(l, 0, "SELECT 1;");
	assert_stmt(l, 1, "SELECT 'a;b' ;");
	assert_stmt(l, 2, "SELECT \"c;d\"");
	assert_int_equal(l->s.stmts[1].line, 2);
	assert_int_equal(l->s.stmts[1].column, 3);
	assert_true(l->s.stmts[1].terminated);
	assert_false(l->s.stmts[2].terminated);
	assert_int_equal(l->s.ncomments, 1);
	unload(l);
}

static void
split_dollar_quotes(void **state)
{
	struct loaded *l = load("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $f$ SELECT 1; $$ not the end $$ $f$;\n"
							"DO $$BEGIN PERFORM 1; END$$;\nSELECT $a$;$a$;");

	(void) state;
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, 3);
	assert_stmt(l, 1, "DO $$BEGIN PERFORM 1; END$$;");
	assert_stmt(l, 2, "SELECT $a$;$a$;");
	unload(l);
}

static void
split_nested_comments(void **state)
{
	struct loaded *l = load("/* outer /* inner; */ still comment; */ SELECT 1;\nSELECT 2; /* a */ /* b */");

	(void) state;
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, 2);
	assert_stmt(l, 0, "SELECT 1;");
	assert_int_equal(l->s.stmts[0].column, 41);
	assert_int_equal(l->s.ncomments, 3);
	unload(l);
}

static void
split_begin_atomic(void **state)
{
	struct loaded *l = load("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\n"
							"BEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END;\nEND;\n"
							"BEGIN;\nCOMMIT;");

	(void) state;
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, 3);
	assert_int_equal(l->s.stmts[1].line, 6);
	assert_int_equal(l->s.stmts[1].info.tx, PGW_TX_BEGIN);
	assert_int_equal(l->s.stmts[2].info.tx, PGW_TX_COMMIT);
	assert_non_null(l->s.stmts[0].node);
	unload(l);
}

static void
split_unbalanced_paren_is_contained(void **state)
{
	struct loaded *l = load("SELECT (1;\nSELECT 2;\nCREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\nSELECT 3;");

	(void) state;
	assert_int_equal(l->s.nstmts, 4);
	assert_int_equal(l->s.ndiags, 1);		/* only the first statement */
	assert_int_equal(l->s.diags[0].line, 1);
	assert_non_null(l->s.stmts[1].node);
	assert_non_null(l->s.stmts[2].node);	/* the rule kept its two actions */
	assert_non_null(l->s.stmts[3].node);
	unload(l);
}

static void
split_copy_data(void **state)
{
	struct loaded *l = load("COPY t (a, b) FROM stdin;\n1\tit's; 'odd\n2\t$$\n\\.\nSELECT 1;\n"
							"COPY t FROM STDIN WITH (FORMAT csv);\r\nx,y\r\n\\.\r\nSELECT 2;");
	char	   *data;

	(void) state;
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, 4);
	assert_true(l->s.stmts[0].copy_stdin);
	data = strndup(l->f.text + l->s.stmts[0].copy_start, l->s.stmts[0].copy_len);
	assert_string_equal(data, "1\tit's; 'odd\n2\t$$\n");
	free(data);
	assert_int_equal(l->s.stmts[0].copy_line, 2);
	assert_stmt(l, 1, "SELECT 1;");
	assert_int_equal(l->s.stmts[1].line, 5);
	assert_true(l->s.stmts[2].copy_stdin);
	data = strndup(l->f.text + l->s.stmts[2].copy_start, l->s.stmts[2].copy_len);
	assert_string_equal(data, "x,y\r\n");
	free(data);
	assert_stmt(l, 3, "SELECT 2;");
	assert_non_null(l->s.stmts[3].node);
	unload(l);
}

static void
split_copy_without_end(void **state)
{
	struct loaded *l = load("COPY t FROM stdin;\n1\t2\n");

	(void) state;
	assert_int_equal(l->s.ndiags, 1);
	assert_non_null(strstr(l->s.diags[0].message, "no end marker"));
	unload(l);
}

static void
split_crlf_and_bom(void **state)
{
	struct loaded *l = load("\xEF\xBB\xBFSELECT 1;\r\n\r\n  SELECT x FROM;\r\n");

	(void) state;
	assert_true(l->f.bom_skipped);
	assert_true(l->f.has_crlf);
	assert_int_equal(l->s.nstmts, 2);
	assert_int_equal(l->s.stmts[0].column, 1);
	assert_int_equal(l->s.ndiags, 1);
	assert_int_equal(l->s.diags[0].line, 3);
	assert_int_equal(l->s.diags[0].column, 16);
	unload(l);
}

static void
split_meta_commands(void **state)
{
	struct loaded *l = load("SELECT 1;\n\\set x 'unterminated\n\\i other.sql\nSELECT 2;");

	(void) state;
	assert_int_equal(l->s.ndiags, 2);
	assert_int_equal(l->s.diags[0].line, 2);
	assert_string_equal(l->s.diags[0].message, "psql meta-command '\\set' is not SQL");
	assert_int_equal(l->s.diags[1].line, 3);
	assert_int_equal(l->s.nstmts, 2);
	unload(l);
}

static void
unterminated_things(void **state)
{
	static const struct
	{
		const char *sql;
		const char *msg;
		int			line;
		int			col;
	}			cases[] = {
		{"SELECT 1;\nSELECT 'abc;\nSELECT 2;", "unterminated quoted string", 2, 8},
		{"SELECT 1; /* a /* b */", "unterminated /* comment", 1, 11},
		{"SELECT $x$ body $y$;", "unterminated dollar-quoted string", 1, 8},
		{"SELECT \"ident", "unterminated quoted identifier", 1, 8},
	};
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		struct loaded *l = load(cases[i].sql);

		assert_true(l->s.ndiags >= 1);
		assert_true(l->s.split_stopped);
		assert_non_null(strstr(l->s.diags[0].message, cases[i].msg));
		assert_int_equal(l->s.diags[0].line, cases[i].line);
		assert_int_equal(l->s.diags[0].column, cases[i].col);
		unload(l);
	}
}

static void
bad_bytes(void **state)
{
	struct loaded *l;

	(void) state;
	l = load_len("SELECT 1;\n\0\x01binary", 17);
	assert_true(l->f.bad);
	assert_int_equal(l->s.ndiags, 1);
	assert_int_equal(l->s.diags[0].line, 2);
	assert_non_null(strstr(l->s.diags[0].message, "binary"));
	unload(l);

	l = load("SELECT 'ok';\nSELECT '\xC3\x28';");
	assert_true(l->f.bad);
	assert_int_equal(l->s.diags[0].line, 2);
	assert_int_equal(l->s.diags[0].column, 9);
	assert_non_null(strstr(l->s.diags[0].message, "0xc3"));
	unload(l);

	l = load("");
	assert_int_equal(l->s.ndiags, 1);
	assert_string_equal(l->s.diags[0].message, "file is empty");
	unload(l);

	l = load("-- nothing here\n/* or here */\n");
	assert_int_equal(l->s.ndiags, 1);
	assert_non_null(strstr(l->s.diags[0].message, "no SQL statements"));
	unload(l);
}

static void
multibyte_error_positions(void **state)
{
	/* é, 日 and 😀 are 2, 3 and 4 bytes: the column counts characters */
	struct loaded *l = load("SELECT 'é日😀' AS \"ü\" FRM t;\nSELECT 1;\n  SELECT 'ß' FROM WHERE;");

	(void) state;
	assert_int_equal(l->s.ndiags, 2);
	assert_int_equal(l->s.diags[0].line, 1);
	assert_int_equal(l->s.diags[0].column, 21);
	assert_string_equal(l->s.diags[0].message, "syntax error at or near \"FRM\"");
	assert_int_equal(l->s.diags[1].line, 3);
	assert_int_equal(l->s.diags[1].column, 19);
	assert_string_equal(l->s.diags[1].message, "syntax error at or near \"WHERE\"");
	unload(l);
}

static void
plpgsql_errors_mapped(void **state)
{
	struct loaded *l = load("SELECT 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
							"DECLARE\n  n int;\nBEGIN\n  n := 1;\n  retrun n;\nEND\n$$;\n"
							"DO $$ BEGIN RAISE NOTICE 'é'; perfom 1; END $$;");

	(void) state;
	assert_int_equal(l->s.ndiags, 2);
	assert_int_equal(l->s.diags[0].line, 7);
	assert_int_equal(l->s.diags[0].column, 3);
	assert_int_equal(l->s.diags[1].line, 10);
	assert_int_equal(l->s.diags[1].column, 31);
	unload(l);
}

/* Found by make fuzz: a PL/pgSQL function without a body made libpg_query's
 * PL/pgSQL parser hit an assertion (abort). */
static void
plpgsql_without_body(void **state)
{
	struct loaded *l = load("CREATE FUNCTION f(q text) RETURNS void LANGUAGE plpgsql;\n"
							"COPY \n\\.\nSELECT 1;");

	(void) state;
	assert_int_equal(l->s.nstmts, 3);
	assert_non_null(l->s.stmts[0].node);
	unload(l);
}

static void
deferred_data_trees(void **state)
{
	struct pgw_sql_file f;
	struct pgw_sql_script s;
	const char *sql = "CREATE TABLE app.t (a int);\nINSERT INTO app.t (a) VALUES (1), (2);\n"
		"COPY app.t FROM stdin;\n3\n\\.\nSELECT a INTO app.u FROM app.t;\nALTER TABLE app.t ADD b int;";

	(void) state;
	sqlfile_from_text("d.sql", sql, strlen(sql), &f);
	assert_int_equal(sql_script_load_flags(&s, &f, PGW_SQL_DEFER_DATA), 0);
	assert_int_equal(s.nstmts, 5);
	assert_non_null(s.stmts[0].node);
	assert_true(s.stmts[1].deferred);
	assert_null(s.stmts[1].node);
	assert_string_equal(s.stmts[1].info.tag, "INSERT");
	assert_true(s.stmts[2].deferred);
	assert_true(s.stmts[3].has_into);
	assert_non_null(s.stmts[4].node);
	/* on request: the tree and the full classification */
	assert_non_null(sql_script_tree(&s, 1));
	assert_false(s.stmts[1].deferred);
	assert_int_equal(s.stmts[1].info.lock, PGW_LOCK_ROW_EXCLUSIVE);
	sql_script_release(&s);

	/* a syntax error among data statements: every statement is parsed */
	sqlfile_release(&f);
	sql = "SELECT 1;\nINSERT INTO t VALUES (1;\nCREATE TABLE x (a int);";
	sqlfile_from_text("d.sql", sql, strlen(sql), &f);
	assert_int_equal(sql_script_load_flags(&s, &f, PGW_SQL_DEFER_DATA), 1);
	assert_int_equal(s.diags[0].line, 2);
	assert_false(s.stmts[0].deferred);
	assert_non_null(s.stmts[0].node);
	assert_non_null(s.stmts[2].node);
	sql_script_release(&s);
	sqlfile_release(&f);
}

static const struct pgw_sql_object *
find_obj(const struct pgw_sql_stmt *st, const char *name)
{
	size_t		i;

	for (i = 0; i < st->info.nobjects; i++)
		if (strcmp(st->info.objects[i].name, name) == 0)
			return &st->info.objects[i];
	return NULL;
}

static void
classification(void **state)
{
	struct loaded *l = load(
							"CREATE INDEX CONCURRENTLY i ON app.t (a);\n"	/* 0 */
							"CREATE INDEX j ON app.t (a);\n"	/* 1 */
							"VACUUM app.t;\n"	/* 2 */
							"ALTER TABLE app.t ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES app.u (id);\n"	/* 3 */
							"ALTER TABLE app.t VALIDATE CONSTRAINT fk;\n"	/* 4 */
							"ALTER TABLE app.t ALTER COLUMN a TYPE bigint;\n"	/* 5 */
							"CREATE DATABASE x;\n"	/* 6 */
							"ALTER SYSTEM SET work_mem = '1MB';\n"	/* 7 */
							"REINDEX (CONCURRENTLY) TABLE app.t;\n"	/* 8 */
							"LOCK TABLE app.t IN SHARE MODE;\n"	/* 9 */
							"DROP TABLE app.old, app.older;\n"	/* 10 */
							"CREATE TABLE app.n (id bigint REFERENCES app.u);\n"	/* 11 */
							"SELECT 1;\n"	/* 12 */
		);
	const struct pgw_sql_stmt *st = l->s.stmts;

	(void) state;
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, 13);
	assert_true(st[0].info.no_transaction);
	assert_int_equal(st[0].info.lock, PGW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_false(st[1].info.no_transaction);
	assert_int_equal(st[1].info.lock, PGW_LOCK_SHARE);
	assert_true(st[1].info.scans);
	assert_true(st[2].info.no_transaction);
	assert_int_equal(find_obj(&st[3], "t")->lock, PGW_LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(find_obj(&st[3], "u")->action, PGW_OBJ_REFERENCE);
	assert_string_equal(find_obj(&st[3], "u")->schema, "app");
	assert_true(st[3].info.scans);
	assert_int_equal(st[4].info.lock, PGW_LOCK_SHARE_UPDATE_EXCLUSIVE);
	assert_true(st[5].info.rewrites);
	assert_int_equal(st[5].info.lock, PGW_LOCK_ACCESS_EXCLUSIVE);
	assert_true(st[6].info.no_transaction);
	assert_true(st[7].info.no_transaction);
	assert_true(st[8].info.no_transaction);
	assert_int_equal(st[9].info.lock, PGW_LOCK_SHARE);
	assert_int_equal(st[10].info.nobjects, 2);
	assert_int_equal(find_obj(&st[10], "older")->action, PGW_OBJ_DROP);
	assert_int_equal(find_obj(&st[11], "n")->action, PGW_OBJ_CREATE);
	assert_int_equal(find_obj(&st[11], "u")->lock, PGW_LOCK_SHARE_ROW_EXCLUSIVE);
	assert_int_equal(st[12].info.lock, PGW_LOCK_NONE);
	assert_ptr_equal(sql_script_needs_no_transaction(&l->s), &st[0]);
	assert_false(sql_script_can_wrap(&l->s));
	unload(l);

	l = load("CREATE TABLE a (id bigint);\nINSERT INTO a VALUES (1);");
	assert_null(sql_script_needs_no_transaction(&l->s));
	assert_true(sql_script_can_wrap(&l->s));
	unload(l);

	/* its own transaction control: the runner must not wrap it */
	l = load("BEGIN;\nCREATE TABLE a (id bigint);\nCOMMIT;");
	assert_null(sql_script_needs_no_transaction(&l->s));
	assert_false(sql_script_can_wrap(&l->s));
	unload(l);
}

static void
large_file(void **state)
{
	/* many statements, one long line, and the last one intact */
	size_t		n = 20000;
	size_t		i;
	char	   *text = malloc(n * 32 + 64);
	size_t		len = 0;
	struct loaded *l;

	(void) state;
	for (i = 0; i < n; i++)
		len += (size_t) snprintf(text + len, 32, "SELECT %zu;\n", i);
	len += (size_t) snprintf(text + len, 64, "SELECT 'last';");
	l = load_len(text, len);
	assert_int_equal(l->s.ndiags, 0);
	assert_int_equal(l->s.nstmts, n + 1);
	assert_int_equal(l->s.stmts[n].line, (int) n + 1);
	assert_non_null(l->s.stmts[n].node);
	unload(l);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_basic_and_positions),
		cmocka_unit_test(split_dollar_quotes),
		cmocka_unit_test(split_nested_comments),
		cmocka_unit_test(split_begin_atomic),
		cmocka_unit_test(split_unbalanced_paren_is_contained),
		cmocka_unit_test(split_copy_data),
		cmocka_unit_test(split_copy_without_end),
		cmocka_unit_test(split_crlf_and_bom),
		cmocka_unit_test(split_meta_commands),
		cmocka_unit_test(unterminated_things),
		cmocka_unit_test(bad_bytes),
		cmocka_unit_test(multibyte_error_positions),
		cmocka_unit_test(plpgsql_errors_mapped),
		cmocka_unit_test(plpgsql_without_body),
		cmocka_unit_test(deferred_data_trees),
		cmocka_unit_test(classification),
		cmocka_unit_test(large_file),
	};
	int			rc = cmocka_run_group_tests(tests, NULL, NULL);

	sql_library_exit();
	return rc;
}
