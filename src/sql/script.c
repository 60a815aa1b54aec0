/*
 * script.c — the script's lifecycle, its diagnostics list, and the one-call
 * loader (see script.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "sql/script.h"

/* Whether libpg_query was called in this thread: its memory contexts are
 * per thread, and pg_query_exit() crashes when the library never made this
 * thread's top memory context. */
static _Thread_local bool library_used = false;

void
sql_library_exit(void)
{
	if (library_used)
		pg_query_exit();
	library_used = false;
}

void
sql_library_mark_used(void)
{
	library_used = true;
}

void
sql_script_init(struct pgw_sql_script *s, const struct pgw_sql_file *f)
{
	memset(s, 0, sizeof(*s));
	s->file = f;
	arena_init(&s->arena);
	sql_pool_init(&s->pool);
}

void
sql_script_release(struct pgw_sql_script *s)
{
	size_t		i;

	for (i = 0; i < s->ndiags; i++)
		sql_diag_release(&s->diags[i]);
	sql_pool_release(&s->pool);
	free(s->diags);
	free(s->stmts);
	free(s->comments);
	free(s->long_idents);
	arena_release(&s->arena);
	memset(s, 0, sizeof(*s));
}

void
sql_script_diag(struct pgw_sql_script *s, size_t offset, const char *hint,
				const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;
	struct pgw_sql_diag *d;
	size_t		at;

	if (s->ndiags == s->cap_diags)
	{
		s->cap_diags = s->cap_diags ? s->cap_diags * 2 : 8;
		s->diags = pgw_realloc(s->diags, s->cap_diags * sizeof(*s->diags));
	}
	/* keep them ordered by offset: usually appended at the end */
	at = s->ndiags;
	while (at > 0 && s->diags[at - 1].offset > offset)
		at--;
	memmove(&s->diags[at + 1], &s->diags[at], (s->ndiags - at) * sizeof(*s->diags));
	s->ndiags++;
	d = &s->diags[at];
	memset(d, 0, sizeof(*d));
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	d->message = buf_steal(&b);
	d->hint = hint ? pgw_strdup(hint) : NULL;
	d->offset = offset;
	sqlfile_position(s->file, offset, &d->line, &d->column);
}

size_t
sql_script_load(struct pgw_sql_script *s, const struct pgw_sql_file *f)
{
	return sql_script_load_flags(s, f, 0);
}

size_t
sql_script_load_flags(struct pgw_sql_script *s, const struct pgw_sql_file *f, unsigned flags)
{
	sql_script_init(s, f);
	s->defer_data = (flags & PGW_SQL_DEFER_DATA) != 0;
	if (f->bad)
	{
		sql_script_diag(s, f->diag.offset, f->diag.hint, "%s", f->diag.message);
		return s->ndiags;
	}
	sql_script_split(s);
	sql_script_parse(s);
	sql_script_classify(s);
	if (s->nstmts == 0 && s->ndiags == 0)
		sql_script_diag(s, 0, NULL, "%s", f->len == 0 ? "file is empty" :
						"file holds no SQL statements (only comments or whitespace)");
	return s->ndiags;
}

const struct pgw_sql_stmt *
sql_script_needs_no_transaction(const struct pgw_sql_script *s)
{
	size_t		i;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].info.no_transaction)
			return &s->stmts[i];
	return NULL;
}

bool
sql_script_can_wrap(const struct pgw_sql_script *s)
{
	size_t		i;

	for (i = 0; i < s->nstmts; i++)
		if (s->stmts[i].info.no_transaction || s->stmts[i].info.tx != PGW_TX_NONE)
			return false;
	return true;
}

const char *
sql_lockmode_name(enum pgw_lockmode m)
{
	switch (m)
	{
		case PGW_LOCK_NONE:
			return "none";
		case PGW_LOCK_ACCESS_SHARE:
			return "ACCESS SHARE";
		case PGW_LOCK_ROW_SHARE:
			return "ROW SHARE";
		case PGW_LOCK_ROW_EXCLUSIVE:
			return "ROW EXCLUSIVE";
		case PGW_LOCK_SHARE_UPDATE_EXCLUSIVE:
			return "SHARE UPDATE EXCLUSIVE";
		case PGW_LOCK_SHARE:
			return "SHARE";
		case PGW_LOCK_SHARE_ROW_EXCLUSIVE:
			return "SHARE ROW EXCLUSIVE";
		case PGW_LOCK_EXCLUSIVE:
			return "EXCLUSIVE";
		case PGW_LOCK_ACCESS_EXCLUSIVE:
			return "ACCESS EXCLUSIVE";
	}
	return "none";
}

const char *
sql_objaction_name(enum pgw_objaction a)
{
	switch (a)
	{
		case PGW_OBJ_CREATE:
			return "create";
		case PGW_OBJ_ALTER:
			return "alter";
		case PGW_OBJ_DROP:
			return "drop";
		case PGW_OBJ_REFERENCE:
			break;
	}
	return "reference";
}
