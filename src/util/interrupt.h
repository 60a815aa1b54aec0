/*
 * interrupt.h — Ctrl-C (SIGINT) and SIGTERM, the way PostgreSQL's client
 * tools handle them: the signal handler only records the signal and sends
 * a cancel request for every registered connection (PQcancel is
 * async-signal-safe) and SIGTERM to every registered child process; the
 * command notices the flag at safe points, rolls back, releases its locks,
 * removes what it made, reports what was interrupted and exits 130
 * (PGW_EXIT_INTERRUPTED).
 *
 *   1st signal  flag set, running queries cancelled, children sent SIGTERM;
 *               a line on stderr says so
 *   2nd signal  clean-up goes on, at most INTERRUPT_GRACE_S more seconds
 *               (then the process exits 130 where it stands)
 *   3rd signal  exits 130 at once
 *
 * Using it in a command (or a layer):
 *   - connections: interrupt_watch_conn(conn) after connecting (db_open,
 *     target_connect and the runner do it), interrupt_forget_conn(conn)
 *     before PQfinish (or db_close(), which does both).  A query running on
 *     a watched connection fails with SQLSTATE 57014 when interrupted.
 *   - child processes (pg_dump, ...): proc_run() does it all; by hand,
 *     block SIGINT and SIGTERM around fork (the child restores the default
 *     actions, then unblocks), interrupt_watch_child(pid) before unblocking
 *     in the parent, interrupt_forget_child(pid) once reaped.  A child that
 *     ends with a failure after a signal is reported with interrupt_check()
 *     rather than as its own failure.
 *   - between steps: `if (interrupt_check() != 0) goto fail;` records the
 *     error "interrupted by SIGINT" (PGW_ERR_INTERRUPTED) when a signal
 *     came; pauses use interrupt_sleep_ms(), which returns early.
 *   - clean-up code runs as usual: nothing in the db layer refuses to run
 *     after the signal, so ROLLBACK, unlock and DROP still work.
 *   - reporting: out_fail() turns any error into exit 130 with
 *     "interrupted" in front of the message and "interrupted": true in the
 *     JSON document when a signal came; main() makes sure one JSON document
 *     is printed with --json.
 *
 * Only main() calls interrupt_setup().  A command that wants the default
 * behaviour back for a child (local psql's exec) is unaffected: exec resets
 * caught signals.  Up to INTERRUPT_SLOTS connections and as many children
 * are watched at once; more are simply not cancelled.
 */
#ifndef PGW_INTERRUPT_H
#define PGW_INTERRUPT_H

#include <stdbool.h>
#include <sys/types.h>

#include <libpq-fe.h>

#define INTERRUPT_SLOTS		64
#define INTERRUPT_GRACE_S	10

/* Installs the SIGINT and SIGTERM handlers (main, once). */
void		interrupt_setup(void);

/* Whether SIGINT or SIGTERM came; interrupt_signal() says which (0: none). */
bool		pgw_interrupted(void);
int			interrupt_signal(void);

/* "SIGINT" or "SIGTERM" for the signal that came ("" when none). */
const char *interrupt_signal_name(void);

/* -1 with PGW_ERR_INTERRUPTED recorded when interrupted, else 0. */
int			interrupt_check(void);

/* Sleeps ms milliseconds, less when interrupted: then -1 (nothing recorded). */
int			interrupt_sleep_ms(int ms);

/* Cancel requests go to conn's backend on a signal (idempotent). */
void		interrupt_watch_conn(PGconn *conn);
void		interrupt_forget_conn(PGconn *conn);

/* SIGTERM goes to pid on a signal. */
void		interrupt_watch_child(pid_t pid);
void		interrupt_forget_child(pid_t pid);

/*
 * For a server that runs commands one after another (mcp): interrupt_raise()
 * does what a first SIGINT does (flag, cancel requests, children told to
 * stop, messages say "interrupted by a cancel request") when a client cancels
 * a request; interrupt_reset() clears the flag
 * once the interrupted command has returned, so the next one runs.
 */
void		interrupt_raise(void);
void		interrupt_reset(void);

/* Frees what the watches hold (main, at the end). */
void		interrupt_release(void);

#endif
