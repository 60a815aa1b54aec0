/*
 * main.c — pgwarden's entry point: global options, the command table,
 * dispatch, exit codes.
 *
 *   pgwarden [global options] COMMAND [options] [args]
 *
 * Global options are accepted anywhere before a "--" (so `pgwarden local
 * status --json` works as well as `pgwarden --json local status`); main()
 * takes them out and hands the command only its own arguments.  The command
 * returns the exit code; main() adds nothing but PGW_EXIT_USAGE for bad
 * global options and unknown commands.
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/fleet.h"
#include "commands.h"
#include "out/out.h"
#include "sql/script.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/redact.h"
#include "util/text.h"

#define MAIN_USAGE "pgwarden [--db URL | --env NAME] [--json] [options] COMMAND [args]"

static const char *const global_long[] = {
	"config", "db", "env", "help", "json", "no-color", "quiet", "verbose", "version"
};

/* Takes the value of a global option: "--db=x" or "--db x". */
static const char *
global_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	const char *a = argv[*i];
	size_t		n = strlen(name);

	*missing = false;
	if (a[2 + n] == '=')
		return a + 3 + n;
	if (*i + 1 < argc)
		return argv[++*i];
	*missing = true;
	return NULL;
}

static bool
is_global(const char *a, const char *name)
{
	size_t		n = strlen(name);

	return strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, n) == 0 &&
		(a[2 + n] == '\0' || a[2 + n] == '=');
}

static int
version(void)
{
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "version", json_string(PGW_VERSION));
		out_json_emit(doc);
	}
	else
		out_printf("pgwarden %s\n", PGW_VERSION);
	return PGW_EXIT_OK;
}

static int
run(int argc, char **argv)
{
	struct pgw_ctx ctx;
	char	  **cargv = pgw_calloc((size_t) argc + 1, sizeof(char *));
	int			cargc = 0;
	const char *cmdname = NULL;
	bool		help = false;
	bool		want_version = false;
	bool		dashdash = false;
	const char *bad = NULL;
	const char *missing_value = NULL;
	int			i;
	int			rc;

	memset(&ctx, 0, sizeof(ctx));
	for (i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		bool		missing = false;

		/* after the command word, "-" (stdin/stdout) is an argument too */
		if (dashdash || (cmdname && (a[0] != '-' || a[1] == '\0')))
		{
			cargv[cargc++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0)
		{
			dashdash = true;
			if (cmdname)
				cargv[cargc++] = argv[i];
			continue;
		}
		if (a[0] != '-' || a[1] == '\0')
		{
			/* a bare "-" after the command is its argument (stdin) */
			if (!cmdname)
				cmdname = a;
			cargv[cargc++] = argv[i];
			continue;
		}
		if (is_global(a, "json"))
			ctx.json = true;
		else if (is_global(a, "no-color"))
			ctx.no_color = true;
		else if (is_global(a, "verbose") || strcmp(a, "-v") == 0)
			ctx.verbosity = ctx.verbosity < 0 ? 1 : ctx.verbosity + 1;
		else if (is_global(a, "quiet") || strcmp(a, "-q") == 0)
			ctx.verbosity = -1;
		else if (is_global(a, "help") || strcmp(a, "-h") == 0)
			help = true;
		else if (is_global(a, "version"))
			want_version = true;
		else if (is_global(a, "db"))
			ctx.db = global_value(argc, argv, &i, "db", &missing);
		else if (is_global(a, "env"))
			ctx.env = global_value(argc, argv, &i, "env", &missing);
		else if (is_global(a, "config"))
			ctx.config_path = global_value(argc, argv, &i, "config", &missing);
		else if (cmdname)
			cargv[cargc++] = argv[i];	/* the command's own option */
		else if (!bad)
			bad = a;
		if (missing && !missing_value)
			missing_value = a;
	}
	if (ctx.db)
		free(redact_conninfo(ctx.db));	/* registers its password */

	out_setup(ctx.json, ctx.no_color, ctx.verbosity);
	out_set_command(cmdname && command_find(cmdname) ? cmdname : "");

	if (missing_value)
	{
		rc = out_usage_error(MAIN_USAGE, NULL, "option '%s' needs a value", missing_value);
		goto out;
	}
	if (bad)
	{
		const char *bare = bad + strspn(bad, "-");
		const char *close = text_closest(bare, global_long, sizeof(global_long) / sizeof(*global_long));
		char	   *hint = close ? pgw_asprintf("did you mean '--%s'?", close)
			: pgw_strdup("run 'pgwarden --help' for the options");

		rc = out_usage_error(MAIN_USAGE, hint, "unknown option '%s'", bad);
		free(hint);
		goto out;
	}
	if (want_version)
	{
		out_set_command("version");
		rc = version();
		goto out;
	}
	if (!cmdname)
	{
		if (help)
			rc = command_print_help(NULL);
		else
			rc = out_usage_error(MAIN_USAGE, "run 'pgwarden --help' for the list of commands",
								 "no command given");
		goto out;
	}
	ctx.command = command_find(cmdname);
	if (!ctx.command)
	{
		char	   *hint = command_suggestion(cmdname);

		rc = out_usage_error(MAIN_USAGE, hint, "unknown command '%s'", cmdname);
		free(hint);
		goto out;
	}
	if (help)
	{
		rc = command_print_help(ctx.command->name);
		goto out;
	}

	if (config_load(&ctx.cfg, ctx.config_path, NULL) != 0)
	{
		rc = out_fail();
		goto out;
	}
	if (ctx.cfg.path)
		out_verbose("config: %s", ctx.cfg.path);
	else
		out_verbose("config: none found; using the defaults for %s", ctx.cfg.root);
	if (fleet_requested(cargc, cargv) && fleet_command(command_name(ctx.command)))
	{
		rc = out_finish_interrupted(fleet_run(&ctx, cargc, cargv));	/* cmd/fleet.h */
		goto out;
	}
	if (ctx.command->flags & PGW_CMD_NEEDS_DB)
	{
		if (target_resolve(&ctx.cfg, ctx.db, ctx.env, &ctx.target) != 0)
		{
			rc = out_fail();
			goto out;
		}
		ctx.has_target = true;
		out_verbose("target: %s (from %s)", ctx.target.display, ctx.target.source);
		{
			json_t	   *t = target_to_json(&ctx.target);

			out_set_target(t);
			json_decref(t);
		}
	}
	else if ((ctx.db || ctx.env) && !(ctx.command->flags & PGW_CMD_OPTIONAL_DB))
	{
		/*
		 * A global option with no effect here is ignored, as git ignores -C
		 * where it does not apply: scripts export one --db (or
		 * DATABASE_URL) for every command they run.
		 */
		out_verbose("'%s' does not use a database; %s ignored",
					command_name(ctx.command), ctx.db && ctx.env ? "--db and --env" : ctx.db ? "--db" : "--env");
	}
	rc = ctx.command->fn(&ctx, cargc, cargv);
	rc = out_finish_interrupted(rc);

out:
	if (ctx.has_target)
		target_release(&ctx.target);
	config_release(&ctx.cfg);
	out_set_target(NULL);
	free(cargv);
	pgw_error_clear();
	redact_reset();
	return rc;
}

int
main(int argc, char **argv)
{
	int			rc;

	setlocale(LC_CTYPE, "");
	/* a closed pipe (pgwarden ... | head) ends output quietly */
	signal(SIGPIPE, SIG_IGN);
	/* ^C and SIGTERM cancel the queries and let the command clean up */
	interrupt_setup();
	rc = run(argc, argv);
	out_flush();
	interrupt_release();
	/* libpg_query's top memory context, once, on the main thread */
	sql_library_exit();
	return rc;
}
