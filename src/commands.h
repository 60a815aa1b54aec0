/*
 * commands.h — the command table: every pgwarden command, one line each.
 *
 * Adding a command:
 *   1. add a line to PGW_COMMAND_TABLE below (kept in alphabetical order):
 *      name, one-line summary (shown by `pgwarden --help`), flags; a name
 *      with '_' is spelled with '-' on the command line and in docs/
 *      (dump_schema is `pgwarden dump-schema`, docs/dump-schema.md);
 *   2. write src/cmd/NAME.c with `int cmd_NAME(struct pgw_ctx *ctx, int argc,
 *      char **argv)` — parse options with cmd/opt.h, call the layers, render
 *      through out/, return an exit code (util/exitcode.h);
 *   3. write docs/NAME.md whose first ```text block is the --help text, and
 *      list it in EMBED_FILES in CMakeLists.txt;
 *   4. add the command to docs/pgwarden.md's list and to the README with an
 *      example and its real output;
 *   5. add CLI cases (tests/cases/cli/) for -h and a bad option, and tests
 *      for what it does.
 *
 * Flags, read by main() before the command runs:
 *   PGW_CMD_NEEDS_DB  resolve the target database first (--db, DATABASE_URL,
 *                     --env, the local cluster) and put it in ctx->target;
 *   PGW_CMD_WRITES    the command can change files or databases (shown in
 *                     help; the MCP server only offers these when asked);
 *   PGW_CMD_OPTIONAL_DB  works offline, but one of its options uses a
 *                     database (lint --pending): --db and --env are accepted
 *                     and the command resolves the target itself, only when
 *                     that option is given.
 */
#ifndef PGW_COMMANDS_H
#define PGW_COMMANDS_H

#include <jansson.h>

#include "cmd/cmd.h"

#define PGW_CMD_NEEDS_DB	0x01
#define PGW_CMD_WRITES		0x02
#define PGW_CMD_OPTIONAL_DB	0x04

#define PGW_COMMAND_TABLE(X) \
	X(backup, "a pg_dump archive of the database with a manifest, verified on request; backup list", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(deploy, "phased, re-runnable schema deployment with an auto-fix engine, a JSON log per run and --verify-only", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(diff,   "the migration that turns one schema into another; drift capture and compare", PGW_CMD_OPTIONAL_DB | PGW_CMD_WRITES) \
	X(doctor, "diagnose performance, security and integrity problems; --fix writes one migration that fixes them", PGW_CMD_NEEDS_DB) \
	X(dump_schema, "the managed schema as one ordered SQL file", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(gen,    "generate code from the schema: gen types writes TypeScript types in the Supabase shape, or zod schemas", PGW_CMD_OPTIONAL_DB | PGW_CMD_WRITES) \
	X(generate, "write a migration and its rollback that fix a problem: tenant isolation, RLS policies, FKs, ...", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(health, "the live database in one report: connections, locks, slow queries, cache, vacuum", PGW_CMD_NEEDS_DB) \
	X(help,   "show help for pgwarden or one of its commands", 0) \
	X(init,   "write pgwarden.conf and create the migrations folder", PGW_CMD_WRITES) \
	X(inspect, "read the whole schema into a canonical JSON snapshot and summarise it", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(lint,   "check SQL files offline: syntax, locking, destructive changes, RLS and security", PGW_CMD_OPTIONAL_DB) \
	X(local,  "run the embedded PostgreSQL: start, stop, status, reset, url, psql, sandbox", PGW_CMD_WRITES) \
	X(maintain, "retention rules deleted in batches, then VACUUM (ANALYZE) of the tables that need it", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(mcp,    "the Model Context Protocol server on stdio: the safe loop as tools for AI agents", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(migrate, "apply, roll back and track versioned migrations: status, up, down, create, ...", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(restore, "put a backup back into a new or empty database, checked before and compared after", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(rls,    "prove tenant isolation as the application role: rls test", PGW_CMD_NEEDS_DB) \
	X(scan,   "security checks of the application code: unprotected routes, leaked service keys, hard-coded tenant ids, mock users, SQL injection", PGW_CMD_OPTIONAL_DB) \
	X(serve,  "a local dashboard and JSON API: health, findings, migrations, drift, schema", PGW_CMD_NEEDS_DB) \
	X(smart_migrate, "migrate up --safe: lint, pre-flight, sandbox test, apply, verify, roll back on a mismatch", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(squash, "replace the migration history up to a version with one migration, proven equal in a sandbox", PGW_CMD_WRITES) \
	X(storage, "Supabase Storage: list, audit, create, info, orphans and cleanup of buckets and their objects", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(sync,   "compare two databases' migration histories and schemas; --apply or --repair brings TO in step", PGW_CMD_NEEDS_DB | PGW_CMD_WRITES) \
	X(target, "show which database pgwarden would use, why, and whether it answers", PGW_CMD_NEEDS_DB) \
	X(test_migration, "try migrations in a sandbox: what they change, their locks, whether the rollback restores", PGW_CMD_NEEDS_DB) \
	X(validate, "check tenant coverage, row-level security, foreign keys and NULLs in the live data", PGW_CMD_NEEDS_DB)

#define PGW_DECLARE_CMD(name, summary, flags) \
	int cmd_##name(struct pgw_ctx *ctx, int argc, char **argv);
PGW_COMMAND_TABLE(PGW_DECLARE_CMD)
#undef PGW_DECLARE_CMD

struct pgw_command
{
	const char *name;
	const char *summary;
	int			flags;
	int			(*fn) (struct pgw_ctx *ctx, int argc, char **argv);
};

extern const struct pgw_command pgw_commands[];
extern const size_t pgw_ncommands;

/* The name as typed and documented: the table's identifier with '_'
 * spelled '-' ("dump-schema"). */
const char *command_name(const struct pgw_command *cmd);

/* The command named name (as typed), or NULL. */
const struct pgw_command *command_find(const char *name);

/* The hint for an unknown command word: "did you mean 'local'?" when one is
 * close, else a pointer to --help (caller frees). */
char	   *command_suggestion(const char *word);

/* Prints the --help text of a command (NULL: pgwarden's own) on stdout;
 * with --json, command_help_json()'s document.
 * Returns PGW_EXIT_OK, or PGW_EXIT_INTERNAL when its docs page is missing. */
int			command_print_help(const char *name);

/* The help as data (cmd/helpdoc.c): for one command its name, summary,
 * flags (needs_db, optional_db, writes), usage forms, subcommands, options
 * and the help text; for NULL every command (without the texts), the global
 * options and pgwarden's own help text.  Caller owns the result. */
json_t	   *command_help_json(const struct pgw_command *cmd);

/*
 * Runs one command in this process as if typed with --json, for the servers
 * that expose commands (serve, mcp): argv[0] is the command name as the user
 * spells it, the target and config are ctx's.  Its JSON document (the error
 * document too, when it failed) goes to *doc instead of stdout; nothing is
 * written to stdout (messages still go to stderr).  Returns its exit code,
 * PGW_EXIT_USAGE with *doc NULL for an unknown command.  Output mode and the
 * command name in messages are put back afterwards.
 */
int			command_run_captured(struct pgw_ctx *ctx, int argc, char **argv, json_t **doc);

#endif
