/*
 * exitcode.h — the process exit codes, one documented enum (docs/exit-codes.md).
 *
 * Only main() and cmd_* functions choose an exit code; the layers below report
 * an error kind (util/error.h) which pgw_exit_for_error() maps onto these.
 */
#ifndef PGW_EXITCODE_H
#define PGW_EXITCODE_H

enum pgw_exit
{
	PGW_EXIT_OK = 0,			/* done, nothing to report */
	PGW_EXIT_CHECK = 1,			/* a check failed: findings at/above --fail-on,
								 * drift, pending migrations with --exit-code */
	PGW_EXIT_USAGE = 2,			/* bad command line */
	PGW_EXIT_CONNECT = 3,		/* cannot connect, or the environment is not
								 * usable (no PostgreSQL binaries, port in use) */
	PGW_EXIT_INPUT = 4,			/* bad input: SQL, file, config */
	PGW_EXIT_APPLY = 5,			/* apply failed and was rolled back */
	PGW_EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM: stopped, cleaned up
								 * (util/interrupt.h) */
	PGW_EXIT_INTERNAL = 70		/* a bug in pgwarden (EX_SOFTWARE) */
};

#endif
