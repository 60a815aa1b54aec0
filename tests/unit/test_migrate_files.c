/* Unit tests: migrate/files — versions, names, the folder's checks, down
 * sections, checksums, new migration pairs and seed files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate/files.h"
#include "util/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"

static char *
tmpdir(void)
{
	char		tmpl[] = "/tmp/pgw-files-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return pgw_strdup(tmpl);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char	   *path = fs_join(dir, name);

	assert_int_equal(fs_write_file(path, text, strlen(text), 0644), 0);
	free(path);
}

static void
versions(void **state)
{
	char	   *v,
			   *n;

	(void) state;
	assert_true(migration_version_cmp("7", "10") < 0);
	assert_true(migration_version_cmp("0011", "11") == 0);
	assert_true(migration_version_cmp("20250102000000", "20250101999999") > 0);
	assert_true(migration_version_cmp("0", "00") == 0);
	assert_true(migration_version_valid("20250101120000"));
	assert_false(migration_version_valid("2025a"));
	assert_false(migration_version_valid(""));
	assert_int_equal(migration_parse_name("20250101120000_add_notes.sql", &v, &n), 0);
	assert_string_equal(v, "20250101120000");
	assert_string_equal(n, "add_notes");
	free(v);
	free(n);
	assert_int_equal(migration_parse_name("1_a.sql", &v, &n), 0);
	free(v);
	free(n);
	assert_int_equal(migration_parse_name("1_.sql", &v, &n), -1);
	assert_int_equal(migration_parse_name("notes.sql", &v, &n), -1);
	assert_int_equal(migration_parse_name("1_a.txt", &v, &n), -1);
	assert_int_equal(migration_parse_name("_a.sql", &v, &n), -1);
}

static void
load_and_checksums(void **state)
{
	char	   *dir = tmpdir();
	struct pgw_migration_set set;
	struct pgw_migration *m;
	const struct pgw_sql_file *f;
	size_t		start,
				end;
	bool		missing;

	(void) state;
	put(dir, "10_b.sql", "CREATE TABLE b (id int);\r\n");
	put(dir, "9_a.sql", "CREATE TABLE a (id int);\n-- pgwarden:down\nDROP TABLE a;\n");
	put(dir, "10_b_rollback.sql", "DROP TABLE b;\n");
	put(dir, "README.md", "not a migration\n");
	put(dir, ".hidden.sql", "ignored\n");
	assert_int_equal(migrations_load(dir, &set, &missing), 0);
	assert_false(missing);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.items[0].version, "9");	/* numeric order */
	assert_string_equal(set.items[1].version, "10");

	m = migrations_find(&set, "9");
	assert_non_null(m);
	assert_true(m->inline_down);
	assert_true(migration_has_rollback(m));
	migration_rollback_text(m, &f, &start, &end);
	assert_string_equal(f->text + start, "DROP TABLE a;\n");
	{
		char		want[PGW_SHA256_HEX_LEN + 1];
		const char *up = "CREATE TABLE a (id int);\n";

		sha256_hex(up, strlen(up), want);
		assert_string_equal(m->checksum, want);	/* the up part only */
	}
	m = migrations_find(&set, "010");
	assert_non_null(m);
	assert_non_null(m->rollback_path);
	{
		char		want[PGW_SHA256_HEX_LEN + 1];
		const char *lf = "CREATE TABLE b (id int);\n";

		sha256_hex(lf, strlen(lf), want);
		assert_string_equal(m->checksum, want);	/* CRLF counts as LF */
	}
	assert_null(migrations_find(&set, "11"));
	migrations_release(&set);
	fs_remove_tree(dir);
	free(dir);
}

static void
folder_problems(void **state)
{
	char	   *dir = tmpdir();
	struct pgw_migration_set set;
	const struct pgw_err *e;

	(void) state;
	put(dir, "1_a.sql", "SELECT 1;\n");
	put(dir, "01_b.sql", "SELECT 1;\n");
	put(dir, "notes.sql", "SELECT 1;\n");
	put(dir, "5_gone_rollback.sql", "SELECT 1;\n");
	put(dir, "2_c.sql", "SELECT 1;\n-- pgwarden:down\nSELECT 2;\n");
	put(dir, "2_c_rollback.sql", "SELECT 2;\n");
	assert_int_equal(migrations_load(dir, &set, NULL), -1);
	e = pgw_error_last();
	assert_int_equal(e->kind, PGW_ERR_INPUT);
	assert_non_null(strstr(e->message, "has 4 problems"));
	assert_non_null(strstr(e->detail, "same version"));
	assert_non_null(strstr(e->detail, "notes.sql: not a migration name"));
	assert_non_null(strstr(e->detail, "5_gone_rollback.sql: a rollback without its migration"));
	assert_non_null(strstr(e->detail, "2_c.sql has a '-- pgwarden:down' section and a rollback file"));
	assert_int_equal(set.n, 0);
	fs_remove_tree(dir);
	free(dir);
	pgw_error_clear();

	/* a missing folder is an empty set */
	{
		bool		missing = false;

		assert_int_equal(migrations_load("/nonexistent/pgw/migrations", &set, &missing), 0);
		assert_true(missing);
		assert_int_equal(set.n, 0);
		migrations_release(&set);
	}
}

static void
create_pairs(void **state)
{
	char	   *dir = tmpdir();
	char	   *sub = fs_join(dir, "new/migrations");
	char	   *up1,
			   *down1,
			   *up2,
			   *down2;
	struct pgw_migration_set set;

	(void) state;
	assert_int_equal(migrations_create(sub, "add notes", &up1, &down1), 0);
	assert_int_equal(migrations_create(sub, "add notes", &up2, &down2), 0);
	assert_string_not_equal(up1, up2);	/* the second gets the next second */
	assert_non_null(strstr(up1, "_add_notes.sql"));
	assert_non_null(strstr(down1, "_add_notes_rollback.sql"));
	assert_int_equal(migrations_load(sub, &set, NULL), 0);
	assert_int_equal(set.n, 2);
	assert_true(migration_has_rollback(&set.items[0]));
	migrations_release(&set);
	free(up2);
	free(down2);
	assert_int_equal(migrations_create(sub, "bad/name", &up2, &down2), -1);
	assert_null(up2);
	assert_int_equal(pgw_error_last()->kind, PGW_ERR_USAGE);
	pgw_error_clear();
	free(up1);
	free(down1);
	fs_remove_tree(dir);
	free(sub);
	free(dir);
}

static void
seeds(void **state)
{
	char	   *dir = tmpdir();
	char	   *seeds_dir = fs_join(dir, "seeds");
	char	   *seed = fs_join(dir, "seed.sql");
	char	   *missing = fs_join(dir, "nope.sql");
	struct pgw_strlist list = {NULL, 0};
	struct pgw_strlist files = {NULL, 0};

	(void) state;
	fs_mkdir_p(seeds_dir, 0755);
	put(dir, "seed.sql", "SELECT 1;\n");
	put(seeds_dir, "2_b.sql", "SELECT 1;\n");
	put(seeds_dir, "1_a.sql", "SELECT 1;\n");
	put(seeds_dir, "notes.txt", "x\n");
	strlist_add(&list, seed);
	strlist_add(&list, seeds_dir);
	strlist_add(&list, missing);
	assert_int_equal(migrations_seed_files(&list, false, &files), 0);
	assert_int_equal(files.n, 3);
	assert_string_equal(files.items[0], seed);
	assert_non_null(strstr(files.items[1], "1_a.sql"));
	assert_non_null(strstr(files.items[2], "2_b.sql"));
	strlist_release(&files);
	assert_int_equal(migrations_seed_files(&list, true, &files), -1);
	assert_non_null(strstr(pgw_error_last()->message, "nope.sql"));
	pgw_error_clear();
	strlist_release(&files);
	strlist_release(&list);
	fs_remove_tree(dir);
	free(seeds_dir);
	free(seed);
	free(missing);
	free(dir);
}

/* migration_load_file: one file on its own (test-migration) */
static void
load_one_file(void **state)
{
	char	   *dir = tmpdir();
	char	   *a = fs_join(dir, "20250101000000_a.sql");
	char	   *b = fs_join(dir, "draft.sql");
	char	   *rb = fs_join(dir, "20250101000000_a_rollback.sql");
	char	   *txt = fs_join(dir, "notes.txt");
	struct pgw_migration m;

	(void) state;
	put(dir, "20250101000000_a.sql", "CREATE TABLE a (id int);\n");
	put(dir, "20250101000000_a_rollback.sql", "DROP TABLE a;\n");
	put(dir, "draft.sql", "CREATE TABLE b (id int);\n-- pgwarden:down\nDROP TABLE b;\n");
	put(dir, "notes.txt", "x\n");
	assert_int_equal(migration_load_file(a, &m), 0);
	assert_string_equal(m.version, "20250101000000");
	assert_string_equal(m.name, "a");
	assert_true(m.has_down_file);
	assert_true(migration_has_rollback(&m));
	migration_free_file(&m);
	/* not a VERSION_NAME name: version "" and the stem as its name */
	assert_int_equal(migration_load_file(b, &m), 0);
	assert_string_equal(m.version, "");
	assert_string_equal(m.name, "draft");
	assert_true(m.inline_down);
	assert_int_equal(strncmp(m.up.text + m.down_start, "DROP TABLE b;", 13), 0);
	migration_free_file(&m);
	assert_int_equal(migration_load_file(rb, &m), -1);
	assert_non_null(strstr(pgw_error_last()->message, "is a rollback"));
	assert_int_equal(migration_load_file(txt, &m), -1);
	assert_non_null(strstr(pgw_error_last()->message, "is not a .sql file"));
	pgw_error_clear();
	fs_remove_tree(dir);
	free(a);
	free(b);
	free(rb);
	free(txt);
	free(dir);
}

/* rollbacks of comments only, migrate create --with-rollback, writing text */
static void
empty_rollbacks(void **state)
{
	char	   *dir = tmpdir();
	char	   *up,
			   *down;
	char	   *path;
	struct pgw_migration m;
	static const struct
	{
		const char *text;
		bool		empty;
	}			cases[] = {
		{"CREATE TABLE c (id int);\n-- pgwarden:down\n", true},
		{"CREATE TABLE c (id int);\n-- pgwarden:down\n-- to be derived\n\n", true},
		{"CREATE TABLE c (id int);\n-- pgwarden:down\n/* a /* nested */ comment */\n", true},
		{"CREATE TABLE c (id int);\n-- pgwarden:down\n/* x */ DROP TABLE c;\n", false},
		{"CREATE TABLE c (id int);\n-- pgwarden:down\n-- x\nDROP TABLE c;\n", false},
		{"CREATE TABLE c (id int);\n", false},	/* no rollback: not an empty one */
	};

	(void) state;
	path = fs_join(dir, "20250101000000_c.sql");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
	{
		put(dir, "20250101000000_c.sql", cases[i].text);
		assert_int_equal(migration_load_file(path, &m), 0);
		assert_int_equal(migration_rollback_is_empty(&m), cases[i].empty);
		migration_free_file(&m);
	}
	unlink(path);
	/* the pair migrate create writes: its rollback is comments only */
	assert_int_equal(migrations_create(dir, "pair", &up, &down), 0);
	assert_int_equal(migration_load_file(up, &m), 0);
	assert_true(m.has_down_file);
	assert_true(migration_rollback_is_empty(&m));
	assert_non_null(strstr(m.down.text, "--write-rollback"));
	migration_free_file(&m);
	/* writing: refused over a file, replaced with replace */
	assert_int_equal(migration_write_text(down, "DROP TABLE c;\n", false), -1);
	assert_non_null(strstr(pgw_error_last()->message, "exists already"));
	pgw_error_clear();
	assert_int_equal(migration_write_text(down, "DROP TABLE c;\n", true), 0);
	assert_int_equal(migration_load_file(up, &m), 0);
	assert_false(migration_rollback_is_empty(&m));
	migration_free_file(&m);
	unlink(up);
	unlink(down);
	free(up);
	free(down);
	/* --with-rollback: one file, an empty down section, no rollback file */
	assert_int_equal(migrations_create_derived(dir, "solo", &up), 0);
	assert_int_equal(migration_load_file(up, &m), 0);
	assert_true(m.inline_down);
	assert_false(m.has_down_file);
	assert_true(migration_rollback_is_empty(&m));
	migration_free_file(&m);
	free(up);
	fs_remove_tree(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(versions),
		cmocka_unit_test(load_and_checksums),
		cmocka_unit_test(folder_problems),
		cmocka_unit_test(create_pairs),
		cmocka_unit_test(seeds),
		cmocka_unit_test(load_one_file),
		cmocka_unit_test(empty_rollbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
