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

/* An option of --help --json: names that start with '-', an argument of
 * one word, a description: what a misaligned help line breaks. */
static void
check_option(const char *cmd, json_t *o)
{
	json_t	   *names = json_object_get(o, "names");
	json_t	   *arg = json_object_get(o, "argument");
	const char *desc = json_string_value(json_object_get(o, "description"));
	size_t		k;
	json_t	   *n;

	assert_true(json_array_size(names) > 0);
	json_array_foreach(names, k, n)
		if (json_string_value(n)[0] != '-')
			fail_msg("%s: option name '%s'", cmd, json_string_value(n));
	if (json_is_string(arg) && strchr(json_string_value(arg), ' '))
		fail_msg("%s: %s: argument '%s' (the description needs two spaces before it)",
				 cmd, json_string_value(json_array_get(names, 0)), json_string_value(arg));
	if (!desc || !*desc)
		fail_msg("%s: %s has no description", cmd, json_string_value(json_array_get(names, 0)));
}

static void
help_json_reads_every_page(void **state)
{
	json_t	   *all = command_help_json(NULL);
	json_t	   *list = json_object_get(all, "commands");
	json_t	   *o;
	size_t		i;
	size_t		k;

	(void) state;
	assert_int_equal(json_array_size(list), pgw_ncommands);
	json_array_foreach(json_object_get(all, "global_options"), k, o)
		check_option("pgwarden", o);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(
		json_object_get(all, "global_options"), 0), "names"), 0)), "--db");
	for (i = 0; i < pgw_ncommands; i++)
	{
		json_t	   *one = command_help_json(&pgw_commands[i]);
		const char *name = command_name(&pgw_commands[i]);
		const char *help = json_string_value(json_object_get(one, "help"));
		json_t	   *usage = json_object_get(one, "usage");
		char	   *prefix = pgw_asprintf("pgwarden %s", name);

		assert_string_equal(json_string_value(json_object_get(one, "name")), name);
		assert_true(json_is_boolean(json_object_get(one, "needs_db")));
		assert_true(json_array_size(usage) > 0);
		json_array_foreach(usage, k, o)
			if (strncmp(json_string_value(o), prefix, strlen(prefix)) != 0)
				fail_msg("%s: usage '%s'", name, json_string_value(o));
		json_array_foreach(json_object_get(one, "options"), k, o)
			check_option(name, o);
		if (strstr(help, "\nOptions:\n"))
			assert_true(json_array_size(json_object_get(one, "options")) > 0);
		if (strstr(help, "\nSubcommands:\n") || strstr(help, "\nActions:\n"))
			assert_true(json_array_size(json_object_get(one, "subcommands")) > 0);
		json_array_foreach(json_object_get(one, "subcommands"), k, o)
			if (!*json_string_value(json_object_get(o, "description")))
				fail_msg("%s: subcommand '%s' has no description", name,
						 json_string_value(json_object_get(o, "name")));
		/* the list carries the same, without the text */
		assert_null(json_object_get(json_array_get(list, i), "help"));
		json_object_del(one, "help");
		assert_true(json_equal(one, json_array_get(list, i)));
		free(prefix);
		json_decref(one);
	}
	json_decref(all);
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
		cmocka_unit_test(help_json_reads_every_page),
		cmocka_unit_test(supabase_script_embedded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
