/* Unit tests: util/fs — paths, atomic writes, recursive removal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"

static void
expect_display(const char *path, const char *want)
{
	char	   *p = fs_display_path(path);

	assert_string_equal(p, want);
	free(p);
}

/* Paths in messages: relative to the current folder, as compilers show them. */
static void
display_paths(void **state)
{
	char	   *tmp = strdup("/tmp/pgw-fs-XXXXXX");
	char	   *old = getcwd(NULL, 0);
	char	   *sub,
			   *p;

	(void) state;
	assert_non_null(mkdtemp(tmp));
	sub = fs_join(tmp, "proj");
	assert_int_equal(fs_mkdir_p(sub, 0700), 0);
	assert_int_equal(chdir(sub), 0);
	free(sub);
	sub = getcwd(NULL, 0);		/* the physical path, as getcwd sees it */
	p = fs_dirname(sub);
	free(tmp);
	tmp = p;
	expect_display("supabase/migrations/x.sql", "supabase/migrations/x.sql");	/* as given */
	p = fs_join(sub, "supabase/migrations/x.sql");
	expect_display(p, "supabase/migrations/x.sql");
	free(p);
	p = fs_join(tmp, "x.sql");
	expect_display(p, "../x.sql");
	free(p);
	p = fs_join(tmp, "projx/y.sql");	/* a sibling whose name starts the same */
	expect_display(p, "../projx/y.sql");
	free(p);
	expect_display(sub, ".");
	expect_display("/etc/hosts", "/etc/hosts");	/* only "/" in common */
	assert_int_equal(chdir(old), 0);
	assert_int_equal(fs_remove_tree(tmp), 0);
	free(sub);
	free(tmp);
	free(old);
}

static void
paths(void **state)
{
	char	   *p;

	(void) state;
	p = fs_absolute("/a/b/../c/./d//e/");
	assert_string_equal(p, "/a/c/d/e");
	free(p);
	p = fs_absolute("/..");
	assert_string_equal(p, "/");
	free(p);
	p = fs_join("/a/", "b");
	assert_string_equal(p, "/a/b");
	free(p);
	p = fs_dirname("/a/b/c.sql");
	assert_string_equal(p, "/a/b");
	free(p);
	p = fs_dirname("c.sql");
	assert_string_equal(p, ".");
	free(p);
	p = fs_dirname("/c");
	assert_string_equal(p, "/");
	free(p);
}

static void
files_and_trees(void **state)
{
	char		templ[] = "/tmp/pgw-unit-XXXXXX";
	char	   *dir;
	char	   *deep;
	char	   *file;
	char	   *data;
	size_t		len;
	struct stat st;

	(void) state;
	dir = mkdtemp(templ);
	assert_non_null(dir);
	deep = fs_join(dir, "x/y/z");
	assert_int_equal(fs_mkdir_p(deep, 0755), 0);
	assert_true(fs_is_dir(deep));
	file = fs_join(deep, "f.txt");
	assert_int_equal(fs_write_file(file, "hello\0world", 11, 0600), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_read_file(file, &data, &len), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(data, "hello\0world", 11);
	free(data);
	assert_true(fs_tree_size(dir) > 0);
	/* a symbolic link inside is removed, not followed */
	{
		char	   *link = fs_join(dir, "link");

		assert_int_equal(symlink("/etc", link), 0);
		free(link);
	}
	assert_int_equal(fs_remove_tree(dir), 0);
	assert_false(fs_exists(dir));
	assert_true(fs_is_dir("/etc"));
	assert_int_equal(fs_remove_tree(dir), 0);	/* gone already: fine */
	assert_int_equal(fs_read_file(file, &data, &len), -1);
	assert_int_equal(pgw_error_last()->kind, PGW_ERR_INPUT);
	assert_non_null(strstr(pgw_error_last()->message, "cannot open"));
	assert_int_equal(fs_read_file("/", &data, &len), -1);
	assert_non_null(strstr(pgw_error_last()->message, "it is a folder"));
	free(file);
	free(deep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths),
		cmocka_unit_test(display_paths),
		cmocka_unit_test(files_and_trees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
