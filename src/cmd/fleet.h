/*
 * fleet.h — one command run on many databases: `--targets FILE|env:A,B`
 * with `--jobs N`, `--canary NAME` and `--fail-fast` on migrate up [--safe],
 * smart-migrate, validate, doctor, health and diff (docs/fleet.md).
 *
 * Each target runs as its own pgwarden process (this binary, re-executed
 * with --json and the target's URL in DATABASE_URL, never on a command
 * line), at most N at a time: a failure, a crash or a signal in one target
 * cannot touch another, and every command keeps its own guarantees
 * (transactions, advisory lock, rollback) per database.  The parent only
 * schedules, collects each child's JSON document and renders one report.
 */
#ifndef PGW_FLEET_H
#define PGW_FLEET_H

#include <stdbool.h>

#include "cmd/cmd.h"

/* the commands that take --targets (" NAME " each) */
#define PGW_FLEET_COMMANDS " migrate smart-migrate validate doctor health diff "

/* Whether the command (as typed: "smart-migrate") takes --targets. */
bool		fleet_command(const char *name);

/* Whether the command's arguments ask for a fleet run (--targets). */
bool		fleet_requested(int argc, char **argv);

/* Runs the command (argv[0], its arguments after it) on every target and
 * reports; returns the exit code: 0 only when every target succeeded. */
int			fleet_run(struct pgw_ctx *ctx, int argc, char **argv);

#endif
