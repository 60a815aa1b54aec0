/*
 * commands.c — the command table built from PGW_COMMAND_TABLE (commands.h),
 * lookups on it, help printing, and the helpers every command shares.
 * Lives in the library, not in main.c, so the tests can check the table.
 */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "out/out.h"
#include "util/embedded.h"
#include "util/exitcode.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

#define PGW_COMMAND_ROW(name, summary, flags) {#name, summary, flags, cmd_##name},
const struct pgw_command pgw_commands[] = {
	PGW_COMMAND_TABLE(PGW_COMMAND_ROW)
};
#undef PGW_COMMAND_ROW
const size_t pgw_ncommands = sizeof(pgw_commands) / sizeof(pgw_commands[0]);

const char *
command_name(const struct pgw_command *cmd)
{
	static char spelled[64][32];
	size_t		i = (size_t) (cmd - pgw_commands);

	if (i >= 64 || strlen(cmd->name) >= sizeof(spelled[0]))
		return cmd->name;
	if (!spelled[i][0])
		for (size_t k = 0; cmd->name[k]; k++)
			spelled[i][k] = cmd->name[k] == '_' ? '-' : cmd->name[k];
	return spelled[i];
}

/* Command names are C identifiers in the table; the user spells '_' as '-'. */
static bool
name_matches(const char *table_name, const char *word)
{
	for (; *table_name && *word; table_name++, word++)
		if (*table_name != *word && !(*table_name == '_' && *word == '-'))
			return false;
	return *table_name == *word;
}

const struct pgw_command *
command_find(const char *name)
{
	size_t		i;

	if (strchr(name, '_'))
		return NULL;
	for (i = 0; i < pgw_ncommands; i++)
		if (name_matches(pgw_commands[i].name, name))
			return &pgw_commands[i];
	return NULL;
}

char *
command_suggestion(const char *word)
{
	const char *names[64];
	size_t		n;
	const char *close;

	for (n = 0; n < pgw_ncommands && n < 64; n++)
		names[n] = command_name(&pgw_commands[n]);
	close = text_closest(word, names, n);
	return close ? pgw_asprintf("did you mean '%s'?", close)
		: pgw_strdup("run 'pgwarden --help' for the list of commands");
}

int
command_print_help(const char *name)
{
	char	   *page;
	char	   *text;

	if (out_is_json())
	{
		const struct pgw_command *cmd = NULL;
		json_t	   *doc;
		json_t	   *help;

		/* name is as typed (help dump-schema) or the table's (dump_schema) */
		for (size_t i = 0; name && i < pgw_ncommands; i++)
			if (strcmp(pgw_commands[i].name, name) == 0 || strcmp(command_name(&pgw_commands[i]), name) == 0)
				cmd = &pgw_commands[i];
		out_set_command("help");
		doc = out_json_envelope(true);
		help = command_help_json(cmd);
		json_object_update(doc, help);
		json_decref(help);
		out_json_emit(doc);
		return PGW_EXIT_OK;
	}
	page = pgw_asprintf("docs/%s.md", name ? name : "pgwarden");
	for (char *p = page; *p; p++)
		if (*p == '_')
			*p = '-';
	text = embedded_help_text(page);

	free(page);
	if (!text)
	{
		pgw_error(PGW_ERR_INTERNAL, "no help text for '%s'", name ? name : "pgwarden");
		return out_fail();
	}
	out_write(text);
	free(text);
	return PGW_EXIT_OK;
}

const char *
ctx_cache_dir(const struct pgw_ctx *ctx)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/.pgwarden/cache", ctx->cfg.root ? ctx->cfg.root : ".");
	return path;
}

PGconn *
ctx_connect(struct pgw_ctx *ctx, int *rc)
{
	PGconn	   *conn;

	if (db_connect(&ctx->target, &conn) != 0)
	{
		*rc = out_fail();
		return NULL;
	}
	*rc = PGW_EXIT_OK;
	return conn;
}


char *
ctx_project_path(const struct pgw_ctx *ctx, const char *path)
{
	size_t		n = strlen(ctx->cfg.root);

	if (strncmp(path, ctx->cfg.root, n) == 0 && path[n] == '/')
		return pgw_strdup(path + n + 1);
	return pgw_strdup(path);
}

int
command_run_captured(struct pgw_ctx *ctx, int argc, char **argv, json_t **doc)
{
	const struct pgw_command *cmd;
	const char *was = out_command();
	char	   *was_name = was ? pgw_strdup(was) : NULL;
	bool		was_json = ctx->json;
	int			rc;

	*doc = NULL;
	if (argc < 1 || !(cmd = command_find(argv[0])))
	{
		free(was_name);
		return PGW_EXIT_USAGE;
	}
	pgw_error_clear();
	ctx->json = true;
	out_setup(true, ctx->no_color, ctx->verbosity);
	out_set_command(command_name(cmd));
	out_json_capture(doc);
	rc = cmd->fn(ctx, argc, argv);
	out_json_capture(NULL);
	ctx->json = was_json;
	out_setup(was_json, ctx->no_color, ctx->verbosity);
	if (was_name)
		out_set_command(was_name);
	free(was_name);
	return rc;
}
