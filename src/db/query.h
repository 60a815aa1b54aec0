/*
 * query.h — running a statement and turning a server error into the
 * recorded error (util/error.h).
 *
 * db_exec() runs one statement with text parameters (never pasted into the
 * SQL) and checks that its status is the one expected; on failure it
 * records kind with "what" as the primary message and the server's
 * message, DETAIL, HINT and SQLSTATE, and returns NULL.  db_error_from()
 * does the same for a result the caller already holds.
 */
#ifndef PGW_DB_QUERY_H
#define PGW_DB_QUERY_H

#include <libpq-fe.h>

#include "util/error.h"

/* NULL (error recorded) unless the result has status want; the caller
 * PQclear()s what it gets. */
PGresult   *db_exec(PGconn *conn, enum pgw_errkind kind, const char *what, const char *sql,
					int nparams, const char *const *params, ExecStatusType want);

/* db_exec for statements without rows: 0 or -1. */
int			db_command(PGconn *conn, enum pgw_errkind kind, const char *what, const char *sql,
					   int nparams, const char *const *params);

/* db_command, or — when conn is in pipeline mode — only sends it: the
 * caller collects the result after PQpipelineSync (errors then). */
int			db_command_or_send(PGconn *conn, enum pgw_errkind kind, const char *what,
							   const char *sql, int nparams, const char *const *params);

/* Connects with a plain conninfo (a sandbox's, ...) and quiets NOTICEs
 * (client_min_messages = warning): NULL with kind recorded, "cannot connect
 * to WHAT", libpq's message as detail.  The connection is watched
 * (util/interrupt.h): close it with db_close(). */
PGconn	   *db_open(const char *conninfo, enum pgw_errkind kind, const char *what);

/* Forgets conn's cancel watch (util/interrupt.h) and closes it: the
 * server ends the session, which rolls back what is open and releases its
 * session locks.  NULL is fine. */
void		db_close(PGconn *conn);

/* Records res's error (or the connection's, when res is NULL). */
int			db_error_from(PGconn *conn, const PGresult *res, enum pgw_errkind kind,
						  const char *what);

/* The server's SQLSTATE of res ("" when none, e.g. a lost connection). */
const char *db_sqlstate(const PGresult *res);

#endif
