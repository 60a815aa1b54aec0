/*
 * error.h — the error a layer reports to the command that called it.
 *
 * Layers (util, db, check, ...) never print and never exit: on failure they
 * call pgw_error() — which records a primary message and a kind, and returns
 * -1 so "return pgw_error(...)" reads naturally — optionally followed by
 * pgw_error_detail() and pgw_error_hint().  The command then shows it with
 * out_error() and exits with pgw_exit_for_error().
 *
 * Messages follow PostgreSQL's style: primary lowercase, no trailing period,
 * subject in single quotes; detail is the evidence (server message, SQLSTATE,
 * file:line); hint says what to do.  Only one error is kept: a new pgw_error()
 * replaces the previous one.  The recorded error is per thread; a worker
 * thread hands its error to the main thread through its own struct (see
 * diff/source.c), since only the main thread reports.
 */
#ifndef PGW_ERROR_H
#define PGW_ERROR_H

#include "util/exitcode.h"

enum pgw_errkind
{
	PGW_ERR_NONE = 0,
	PGW_ERR_USAGE,				/* bad arguments → exit 2 */
	PGW_ERR_CONNECT,			/* server unreachable, environment unusable → 3 */
	PGW_ERR_INPUT,				/* bad SQL, file, config → 4 */
	PGW_ERR_APPLY,				/* apply failed and was rolled back → 5 */
	PGW_ERR_INTERNAL,			/* a bug → 70 */
	PGW_ERR_INTERRUPTED			/* SIGINT/SIGTERM (util/interrupt.h) → 130 */
};

struct pgw_err
{
	enum pgw_errkind kind;
	char	   *message;
	char	   *detail;
	char	   *hint;
	char	   *sqlstate;		/* set by db helpers for server errors */
};

int			pgw_error(enum pgw_errkind kind, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
void		pgw_error_detail(const char *fmt,...) __attribute__((format(printf, 1, 2)));
void		pgw_error_hint(const char *fmt,...) __attribute__((format(printf, 1, 2)));
void		pgw_error_sqlstate(const char *sqlstate);

/* Changes the kind of the recorded error (a layer above knows better). */
void		pgw_error_set_kind(enum pgw_errkind kind);

/* Adds context in front of the current primary message: "ctx: message". */
void		pgw_error_prefix(const char *fmt,...) __attribute__((format(printf, 1, 2)));

const struct pgw_err *pgw_error_last(void);
/* Moves the recorded error out (nothing is recorded afterwards), and back:
 * for clean-up work that may record errors of its own which must not
 * replace the one being reported. */
void		pgw_error_save(struct pgw_err *saved);
void		pgw_error_restore(struct pgw_err *saved);
/* Frees a saved error that is not restored (safe on a restored or zeroed one). */
void		pgw_err_release(struct pgw_err *saved);
void		pgw_error_clear(void);
enum pgw_exit pgw_exit_for_kind(enum pgw_errkind kind);

#endif
