/* Unit tests: the command table, its help texts and the docs stay in step. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/embedded.h"
#include "util/mem.h"

static void
table_sorted_and_unique(void **state)
{
	size_t		i;

	(void) state;
	assert_true(pgw_ncommands > 0);
	for (i = 1; i < pgw_ncommands; i++)
		assert_true(strcmp(pgw_commands[i - 1].name, pgw_commands[i].name) < 0);
	for (i = 0; i < pgw_ncommands; i++)
	{
		assert_ptr_equal(command_find(command_name(&pgw_commands[i])), &pgw_commands[i]);
		assert_non_null(pgw_commands[i].fn);
		assert_true(strlen(pgw_commands[i].summary) > 10);
	}
	assert_null(command_find("nosuch"));
}

static void
every_command_has_help(void **state)
{
	size_t		i;

	(void) state;
	for (i = 0; i < pgw_ncommands; i++)
	{
		char	   *page = pgw_asprintf("docs/%s.md", command_name(&pgw_commands[i]));
		char	   *help = embedded_help_text(page);
		char	   *usage = pgw_asprintf("usage: pgwarden %s", command_name(&pgw_commands[i]));

		assert_non_null(help);
		assert_non_null(strstr(help, usage));
		free(usage);
		free(help);
		free(page);
	}
}

static void
main_help_lists_every_command_with_its_summary(void **state)
{
	char	   *help = embedded_help_text("docs/pgwarden.md");
	size_t		i;
	int			width = 0;

	(void) state;
	assert_non_null(help);
	/* one column for the summaries: the longest name, then two spaces */
	for (i = 0; i < pgw_ncommands; i++)
		if ((int) strlen(command_name(&pgw_commands[i])) > width)
			width = (int) strlen(command_name(&pgw_commands[i]));
	for (i = 0; i < pgw_ncommands; i++)
	{
		char	   *line = pgw_asprintf("  %-*s  %s\n", width, command_name(&pgw_commands[i]), pgw_commands[i].summary);

		if (!strstr(help, line))
			fail_msg("docs/pgwarden.md does not list '%s' as: %s", command_name(&pgw_commands[i]), line);
		free(line);
	}
	free(help);
}

static void
supabase_script_embedded(void **state)
{
	const char *sql = embedded_get("src/db/supabase.sql");

	(void) state;
	assert_non_null(sql);
	assert_non_null(strstr(sql, "CREATE TABLE IF NOT EXISTS storage.objects"));
	assert_null(embedded_get("docs/nosuch.md"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_sorted_and_unique),
		cmocka_unit_test(every_command_has_help),
		cmocka_unit_test(main_help_lists_every_command_with_its_summary),
		cmocka_unit_test(supabase_script_embedded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
