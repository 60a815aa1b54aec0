/*
 * help.c — `pgwarden help [COMMAND]`: the same text as --help.
 */
#include "cmd/opt.h"
#include "util/exitcode.h"
#include "commands.h"
#include "out/out.h"
#include "util/mem.h"

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
		char	   *hint = command_suggestion(topic);
		int			rc = opt_usage_error(&p, hint, "unknown command '%s'", topic);

		free(hint);
		return rc;
	}
	return command_print_help(topic);
}
