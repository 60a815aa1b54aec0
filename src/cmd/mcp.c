/*
 * mcp.c — `pgwarden mcp`: the Model Context Protocol server on stdio for AI
 * agents (docs/mcp.md).  Parses the options and hands serve/mcp.c the way to
 * run a command: command_run_captured(), the CLI's own code, in process.
 * Tools that change the database exist only with --allow-apply; --read-only
 * also hides the tools that write files.
 */
#include <stdlib.h>

#include "cmd/opt.h"
#include "commands.h"
#include "out/out.h"
#include "serve/mcp.h"
#include "util/error.h"
#include "util/exitcode.h"

#define MCP_USAGE "pgwarden mcp [--allow-apply] [--read-only]"

enum
{
	OPT_ALLOW_APPLY = 1,
	OPT_READ_ONLY
};

static int
run_command(void *arg, int argc, char **argv, json_t **doc)
{
	return command_run_captured(arg, argc, argv, doc);
}

int
cmd_mcp(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"allow-apply", 0, false, OPT_ALLOW_APPLY},
		{"read-only", 0, false, OPT_READ_ONLY},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	struct mcp_options mo = {0};
	const char *arg;
	int			r;

	opt_init(&p, argc, argv, opts, MCP_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ALLOW_APPLY:
				mo.allow_apply = true;
				break;
			case OPT_READ_ONLY:
				mo.read_only = true;
				break;
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			default:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (mo.allow_apply && mo.read_only)
		return opt_usage_error(&p, "--read-only hides every tool that writes", "--allow-apply and --read-only cannot be used together");
	if (ctx->json)
		return opt_usage_error(&p, "the server speaks JSON-RPC on stdout already", "--json is not supported by mcp");

	mo.root = ctx->cfg.root;
	mo.migrations_dir = ctx->cfg.migrations_dir;
	mo.target = ctx->has_target ? ctx->target.display : NULL;
	mo.run = run_command;
	mo.run_arg = ctx;
	if (mcp_serve(&mo) != 0)
		return out_fail();
	return PGW_EXIT_OK;
}
