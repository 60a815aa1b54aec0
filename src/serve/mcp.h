/*
 * mcp.h — the Model Context Protocol server behind `pgwarden mcp`: JSON-RPC
 * 2.0 over stdio (one message per line), protocol version negotiation,
 * tools, resources and prompts, progress and cancellation.
 *
 * Every tool is one command of the CLI run in this process with --json; the
 * server never touches the database itself.  It reaches the commands only
 * through the run callback (src/cmd/mcp.c passes command_run_captured), so
 * this layer knows nothing of cmd/.  The real stdout carries only protocol
 * messages (out_protocol_open()); everything human goes to stderr.
 */
#ifndef PGW_SERVE_MCP_H
#define PGW_SERVE_MCP_H

#include <stdbool.h>

#include <jansson.h>

/* Runs one command (argv[0] is its name as typed) and puts its --json
 * document into *doc (NULL when there is none); returns its exit code. */
typedef int (*mcp_run_fn) (void *arg, int argc, char **argv, json_t **doc);

struct mcp_options
{
	bool		allow_apply;	/* offer the tools that change the database */
	bool		read_only;		/* also hide the tools that write files */
	const char *root;			/* project root: .pgwarden/mcp.log, scratch files */
	const char *migrations_dir; /* absolute: the migrations resource */
	const char *target;			/* the database as shown (no password) */
	mcp_run_fn	run;
	void	   *run_arg;
};

/* The protocol versions this server speaks, newest first (NULL-terminated). */
extern const char *const mcp_protocol_versions[];

/*
 * Serves until stdin ends: reads requests from stdin, answers on stdout.
 * Returns 0 at end of input, -1 with an error recorded when the server
 * cannot run at all (the descriptors cannot be set up).  Bad messages are
 * answered with JSON-RPC errors, never ended on.
 */
int			mcp_serve(const struct mcp_options *opts);

/* The tools the options offer, as tools/list returns them (caller owns). */
json_t	   *mcp_tools_json(const struct mcp_options *opts);

#endif
