/*
 * query.c — statements with parameters, and server errors as recorded
 * errors (db/query.h).
 */
#include <string.h>

#include "db/query.h"
#include "util/interrupt.h"

const char *
db_sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

int
db_error_from(PGconn *conn, const PGresult *res, enum pgw_errkind kind, const char *what)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *state = db_sqlstate(res);

	pgw_error(kind, "%s", what);
	if (primary)
		pgw_error_detail("%s%s%s%s%s", primary, detail ? "\n" : "", detail ? detail : "",
						 *state ? "\nSQLSTATE " : "", state);
	else
	{
		const char *msg = res ? PQresultErrorMessage(res) : "";
		size_t		len;

		if (!*msg && conn)
			msg = PQerrorMessage(conn);
		len = strlen(msg);
		while (len > 0 && msg[len - 1] == '\n')
			len--;
		if (len > 0)
			pgw_error_detail("%.*s", (int) len, msg);
	}
	if (*state)
		pgw_error_sqlstate(state);
	if (hint)
		pgw_error_hint("%s", hint);
	return -1;
}

PGresult *
db_exec(PGconn *conn, enum pgw_errkind kind, const char *what, const char *sql,
		int nparams, const char *const *params, ExecStatusType want)
{
	PGresult   *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != want)
	{
		db_error_from(conn, res, kind, what);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
db_command(PGconn *conn, enum pgw_errkind kind, const char *what, const char *sql,
		   int nparams, const char *const *params)
{
	PGresult   *res = db_exec(conn, kind, what, sql, nparams, params, PGRES_COMMAND_OK);

	if (!res)
		return -1;
	PQclear(res);
	return 0;
}

int
db_command_or_send(PGconn *conn, enum pgw_errkind kind, const char *what, const char *sql,
				   int nparams, const char *const *params)
{
	if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF)
		return db_command(conn, kind, what, sql, nparams, params);
	if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return db_error_from(conn, NULL, kind, what);
	return 0;
}

PGconn *
db_open(const char *conninfo, enum pgw_errkind kind, const char *what)
{
	PGconn	   *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
	{
		pgw_error(kind, "cannot connect to %s", what);
		pgw_error_detail("%s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	interrupt_watch_conn(c);
	return c;
}

void
db_close(PGconn *conn)
{
	if (!conn)
		return;
	interrupt_forget_conn(conn);
	PQfinish(conn);
}
