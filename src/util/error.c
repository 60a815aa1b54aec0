/*
 * error.c — the single recorded error (see error.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

static _Thread_local struct pgw_err last;	/* per thread: diff reads two catalogs at once */

static char *
vformat(const char *fmt, va_list ap)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_vprintf(&b, fmt, ap);
	/* drop trailing newlines: libpq messages end with one */
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

void
pgw_error_clear(void)
{
	pgw_err_release(&last);
}

int
pgw_error(enum pgw_errkind kind, const char *fmt,...)
{
	va_list		ap;

	pgw_error_clear();
	last.kind = kind;
	va_start(ap, fmt);
	last.message = vformat(fmt, ap);
	va_end(ap);
	return -1;
}

void
pgw_error_detail(const char *fmt,...)
{
	va_list		ap;

	free(last.detail);
	va_start(ap, fmt);
	last.detail = vformat(fmt, ap);
	va_end(ap);
}

void
pgw_error_hint(const char *fmt,...)
{
	va_list		ap;

	free(last.hint);
	va_start(ap, fmt);
	last.hint = vformat(fmt, ap);
	va_end(ap);
}

void
pgw_error_sqlstate(const char *sqlstate)
{
	free(last.sqlstate);
	last.sqlstate = sqlstate ? pgw_strdup(sqlstate) : NULL;
}

void
pgw_error_set_kind(enum pgw_errkind kind)
{
	last.kind = kind;
}

void
pgw_error_prefix(const char *fmt,...)
{
	va_list		ap;
	char	   *ctx;
	char	   *joined;

	va_start(ap, fmt);
	ctx = vformat(fmt, ap);
	va_end(ap);
	joined = pgw_asprintf("%s: %s", ctx, last.message ? last.message : "unknown error");
	free(ctx);
	free(last.message);
	last.message = joined;
	if (last.kind == PGW_ERR_NONE)
		last.kind = PGW_ERR_INTERNAL;
}

void
pgw_error_save(struct pgw_err *saved)
{
	*saved = last;
	memset(&last, 0, sizeof(last));
}

void
pgw_error_restore(struct pgw_err *saved)
{
	pgw_error_clear();
	last = *saved;
	memset(saved, 0, sizeof(*saved));
}

void
pgw_err_release(struct pgw_err *saved)
{
	free(saved->message);
	free(saved->detail);
	free(saved->hint);
	free(saved->sqlstate);
	memset(saved, 0, sizeof(*saved));
}

const struct pgw_err *
pgw_error_last(void)
{
	return &last;
}

enum pgw_exit
pgw_exit_for_kind(enum pgw_errkind kind)
{
	switch (kind)
	{
		case PGW_ERR_USAGE:
			return PGW_EXIT_USAGE;
		case PGW_ERR_CONNECT:
			return PGW_EXIT_CONNECT;
		case PGW_ERR_INPUT:
			return PGW_EXIT_INPUT;
		case PGW_ERR_APPLY:
			return PGW_EXIT_APPLY;
		case PGW_ERR_INTERRUPTED:
			return PGW_EXIT_INTERRUPTED;
		case PGW_ERR_NONE:
		case PGW_ERR_INTERNAL:
			break;
	}
	return PGW_EXIT_INTERNAL;
}
