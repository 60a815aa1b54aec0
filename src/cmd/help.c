/*
 * help.c — `pgwarden help [COMMAND]`: the same text as --help.
 */
#include "cmd/opt.h"
#include "util/exitcode.h"
#include "commands.h"
#include "out/out.h"
#include "util/mem.h"
#include "util/text.h"

int
cmd_help(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {{NULL, 0, false, 0}};
	struct pgw_optparser p;
	const char *arg;
	const char *topic = NULL;
	int			r;

	(void) ctx;
	opt_init(&p, argc, argv, opts, "pgwarden help [COMMAND]");
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		if (r == OPT_ERROR)
			return PGW_EXIT_USAGE;
		if (topic)
			return opt_usage_error(&p, NULL, "too many arguments");
		topic = arg;
	}
	if (topic && !command_find(topic))
	{
		const char *names[64];
		size_t		n;
		const char *close;
		char	   *hint;
		int			rc;

		for (n = 0; n < pgw_ncommands && n < 64; n++)
			names[n] = pgw_commands[n].name;
		close = text_closest(topic, names, n);
		hint = close ? pgw_asprintf("did you mean '%s'?", close)
			: pgw_strdup("run 'pgwarden --help' for the list of commands");
		rc = opt_usage_error(&p, hint, "unknown command '%s'", topic);
		free(hint);
		return rc;
	}
	return command_print_help(topic);
}
