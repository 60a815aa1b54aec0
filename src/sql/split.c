/*
 * split.c — statement boundaries from pg_query_scan tokens.
 *
 * Why our own splitter: libpg_query's splitters drop the text after an
 * unbalanced parenthesis, cut BEGIN ATOMIC bodies at their first ';' and
 * return nothing at all when one statement is wrong.  Here a statement ends
 * at a ';' outside a BEGIN ATOMIC body; parentheses only hold a ';' inside
 * CREATE RULE (the one statement whose grammar allows it), so a stray '('
 * damages one statement and not the rest of the file.
 *
 * What psql handles and the SQL scanner cannot:
 *   - COPY ... FROM STDIN is followed by data lines up to a line "\.".  The
 *     data is not SQL (it may hold quotes), so the file is scanned in
 *     windows that end at the next "\." line: a COPY found in a window has
 *     its data end exactly at the window's end.  Each byte is scanned once.
 *   - a backslash outside quotes starts a psql meta-command (\i, \set,
 *     \connect ...) that runs to the end of the line: a diagnostic naming
 *     it, and the splitter goes on after that line.
 * A scanner error (unterminated quote, comment or dollar quote) stops the
 * split with a diagnostic at the token that is never closed; statements
 * before it stay usable.
 */
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "sql/script.h"
#include "util/mem.h"

#define TOK(x) PG_QUERY__TOKEN__##x

/* Start of the next line that is exactly "\." (optionally CR), at or after
 * from; len when none. */
static size_t
next_copy_end(const char *text, size_t len, size_t from)
{
	size_t		i = from;

	while (i < len)
	{
		if (text[i] == '\\' && (i == 0 || text[i - 1] == '\n') &&
			i + 1 < len && text[i + 1] == '.' &&
			(i + 2 == len || text[i + 2] == '\n' ||
			 (text[i + 2] == '\r' && (i + 3 == len || text[i + 3] == '\n'))))
			return i;
		{
			const char *nl = memchr(text + i, '\n', len - i);

			if (!nl)
				return len;
			i = (size_t) (nl - text) + 1;
		}
	}
	return len;
}

static size_t
after_line(const char *text, size_t len, size_t at)
{
	const char *nl = memchr(text + at, '\n', len - at);

	return nl ? (size_t) (nl - text) + 1 : len;
}

static void
add_comment(struct pgw_sql_script *s, size_t start, size_t end)
{
	struct pgw_sql_comment *c;
	const char *t = s->file->text;
	size_t		i = start;
	int			col;

	if (s->ncomments == s->cap_comments)
	{
		s->cap_comments = s->cap_comments ? s->cap_comments * 2 : 16;
		s->comments = pgw_realloc(s->comments, s->cap_comments * sizeof(*s->comments));
	}
	c = &s->comments[s->ncomments++];
	c->start = start;
	c->end = end;
	sqlfile_position(s->file, start, &c->line, &col);
	while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
		i--;
	c->own_line = (i == 0 || t[i - 1] == '\n');
}

static struct pgw_sql_stmt *
add_stmt(struct pgw_sql_script *s, size_t start, size_t end, bool terminated)
{
	struct pgw_sql_stmt *st;

	if (s->nstmts == s->cap_stmts)
	{
		s->cap_stmts = s->cap_stmts ? s->cap_stmts * 2 : 16;
		s->stmts = pgw_realloc(s->stmts, s->cap_stmts * sizeof(*s->stmts));
	}
	st = &s->stmts[s->nstmts++];
	memset(st, 0, sizeof(*st));
	st->start = start;
	st->end = end;
	st->terminated = terminated;
	sqlfile_position(s->file, start, &st->line, &st->column);
	return st;
}

/* Shortens a scanner message: "... at or near "<rest of the file>"" is
 * useless when the token runs on for lines. */
static char *
short_message(const char *msg)
{
	const char *near = strstr(msg, " at or near \"");

	if (near && (strchr(near, '\n') || strlen(near) > 60))
		return pgw_strndup(msg, (size_t) (near - msg));
	return pgw_strdup(msg);
}

/* Bytes of the name an identifier token stands for: a quoted one loses its
 * quotes and "" becomes ".  (U&"..." escapes are counted as written.) */
static size_t
ident_bytes(const char *t, size_t n)
{
	size_t		i,
				count = 0;

	if (n < 2 || t[0] != '"')
		return n;
	for (i = 1; i + 1 < n; i++)
	{
		count++;
		if (t[i] == '"' && t[i + 1] == '"')
			i++;
	}
	return count;
}

/* The state of the statement being collected. */
struct splitter
{
	bool		in_stmt;
	size_t		start;			/* of the first token */
	size_t		last_end;		/* end of the last significant token */
	int			ntok;			/* significant tokens so far */
	int			depth;			/* parentheses */
	int			atomic;			/* BEGIN ATOMIC nesting (CASE ... END inside) */
	int			prev;			/* previous significant token */
	bool		is_rule;		/* CREATE [OR REPLACE] RULE */
	int			first[4];		/* first significant tokens */
	/* COPY detection: COPY ... FROM STDIN at depth 0 */
	bool		saw_from;
	bool		copy_stdin;
	bool		has_into;
	bool		has_conflict;
};

static struct pgw_sql_stmt *
add_stmt_sp(struct pgw_sql_script *s, const struct splitter *sp, size_t end, bool terminated)
{
	struct pgw_sql_stmt *st = add_stmt(s, sp->start, end, terminated);

	st->first_token = sp->first[0];
	st->has_into = sp->has_into;
	st->has_conflict = sp->has_conflict;
	return st;
}

static void
reset(struct splitter *sp)
{
	memset(sp, 0, sizeof(*sp));
}

/*
 * Scans text[from, to) (to is a window end) and appends what it finds.
 * Returns the offset to continue from, or (size_t) -1 when splitting must
 * stop (a diagnostic was added).  *copy_hit tells the caller that a COPY
 * FROM STDIN ended in this window, its data running to the window end.
 */
/* How much of a script a window has added so far, to undo back to. */
struct script_mark
{
	size_t		nstmts;
	size_t		ncomments;
	size_t		ndiags;
	size_t		nlong_idents;
};

static struct script_mark
script_mark_take(const struct pgw_sql_script *s)
{
	struct script_mark m = {s->nstmts, s->ncomments, s->ndiags, s->nlong_idents};

	return m;
}

/* Drops what was added after the mark (diagnostics own memory). */
static void
script_mark_restore(struct pgw_sql_script *s, const struct script_mark *m)
{
	while (s->ndiags > m->ndiags)
		sql_diag_release(&s->diags[--s->ndiags]);
	s->nstmts = m->nstmts;
	s->ncomments = m->ncomments;
	s->nlong_idents = m->nlong_idents;
}

static size_t
scan_window(struct pgw_sql_script *s, size_t from, size_t to, size_t copy_end, bool capped,
			bool *copy_hit, bool *need_wider)
{
	bool		window_is_copy_end = !capped && to == copy_end && copy_end < s->file->len;
	const char *text = s->file->text;
	char	   *chunk;
	PgQueryScanResult r;
	struct pgw_sql_token *toks = NULL;
	size_t		ntoks = 0;
	struct splitter sp;
	size_t		limit = to - from;
	size_t		i;
	size_t		resume = to;
	size_t		err_at = 0;
	char	   *err_msg = NULL;
	struct script_mark saved = script_mark_take(s);
	size_t		meta_end = 0;	/* end of the last meta-command's line */
	/* a capped window keeps only what precedes its last statement end */
	size_t		snap_at = (size_t) -1;
	struct script_mark snap = saved;

	*copy_hit = false;
	*need_wider = false;
	chunk = pgw_malloc(limit + 1);
	memcpy(chunk, text + from, limit);
	chunk[limit] = '\0';

	r = pg_query_scan(chunk);
	if (r.error)
	{
		/* where the scanner gave up: cursorpos counts characters, 1-based */
		err_at = sqlfile_advance_chars(chunk, limit, 0,
									   r.error->cursorpos > 0 ? (size_t) r.error->cursorpos - 1 : 0);
		err_msg = short_message(r.error->message);
		pg_query_free_scan_result(r);
		/* what precedes the error still splits: a COPY there makes the
		 * "error" mere data */
		chunk[err_at] = '\0';
		limit = err_at;
		r = pg_query_scan(chunk);
		if (r.error)
		{
			/* cannot happen in practice; report at the original place */
			pg_query_free_scan_result(r);
			sql_script_diag(s, from + err_at, NULL, "%s", err_msg);
			free(err_msg);
			free(chunk);
			return (size_t) -1;
		}
	}
	if (sql_tokens_decode((const uint8_t *) r.pbuf.data, r.pbuf.len, &toks, &ntoks) != 0)
	{
		pg_query_free_scan_result(r);
		free(err_msg);
		free(chunk);
		sql_script_diag(s, from, NULL, "cannot read the scanner's output for this file");
		return (size_t) -1;
	}
	pg_query_free_scan_result(r);

	reset(&sp);
	for (i = 0; i < ntoks; i++)
	{
		const struct pgw_sql_token *t = &toks[i];
		size_t		ts = from + (size_t) t->start;
		size_t		te = from + (size_t) t->end;
		int			tok = (int) t->token;
		bool		ends = false;

		if (tok == TOK(SQL_COMMENT) || tok == TOK(C_COMMENT))
		{
			add_comment(s, ts, te);
			continue;
		}
		if (tok == TOK(IDENT) && ident_bytes(text + ts, te - ts) >= 64)
		{
			if (s->nlong_idents == s->cap_long_idents)
			{
				s->cap_long_idents = s->cap_long_idents ? s->cap_long_idents * 2 : 4;
				s->long_idents = pgw_realloc(s->long_idents,
											 s->cap_long_idents * sizeof(*s->long_idents));
			}
			s->long_idents[s->nlong_idents].start = ts;
			s->long_idents[s->nlong_idents].end = te;
			s->nlong_idents++;
		}
		if (tok == TOK(ASCII_92))
		{
			/* a psql meta-command: the statement so far ends here */
			size_t		word_end = te;
			size_t		line_end = after_line(text, s->file->len, ts);

			while (word_end < line_end && word_end < from + limit &&
				   text[word_end] != ' ' && text[word_end] != '\t' &&
				   text[word_end] != '\n' && text[word_end] != '\r' && text[word_end] != ';')
				word_end++;
			if (sp.in_stmt)
				add_stmt_sp(s, &sp, sp.last_end, false);
			sql_script_diag(s, ts, "pgwarden reads plain SQL: replace the meta-command with SQL, or run this file with psql",
							"psql meta-command '%.*s' is not SQL",
							(int) (word_end - ts), text + ts);
			reset(&sp);
			meta_end = line_end;
			/* skip the rest of the line: its tokens are the command's arguments */
			while (i + 1 < ntoks && from + (size_t) toks[i + 1].start < line_end)
				i++;
			continue;
		}
		if (!sp.in_stmt)
		{
			if (tok == TOK(ASCII_59))
				continue;		/* an empty statement */
			sp.in_stmt = true;
			sp.start = ts;
		}
		if (sp.ntok < 4)
			sp.first[sp.ntok] = tok;
		if (tok == TOK(INTO))
			sp.has_into = true;
		else if (tok == TOK(CONFLICT))
			sp.has_conflict = true;
		sp.ntok++;
		if (sp.ntok == 2 && sp.first[0] == TOK(CREATE) && tok == TOK(RULE))
			sp.is_rule = true;
		if (sp.ntok == 4 && sp.first[0] == TOK(CREATE) && sp.first[1] == TOK(OR) &&
			sp.first[2] == TOK(REPLACE) && tok == TOK(RULE))
			sp.is_rule = true;

		if (sp.atomic > 0)
		{
			if (tok == TOK(CASE))
				sp.atomic++;
			else if (tok == TOK(END_P))
				sp.atomic--;
		}
		else if (tok == TOK(ATOMIC) && sp.prev == TOK(BEGIN_P) && sp.ntok > 2)
			sp.atomic = 1;
		else if (tok == TOK(ASCII_40))
			sp.depth++;
		else if (tok == TOK(ASCII_41))
		{
			if (sp.depth > 0)
				sp.depth--;
		}
		else if (tok == TOK(ASCII_59) && (sp.depth == 0 || !sp.is_rule))
			ends = true;
		else if (sp.depth == 0 && sp.first[0] == TOK(COPY))
		{
			if (tok == TOK(FROM))
				sp.saw_from = true;
			else if (tok == TOK(STDIN) && sp.prev == TOK(FROM))
				sp.copy_stdin = true;
			else if (tok == TOK(TO))
				sp.saw_from = false;
		}
		sp.prev = tok;
		sp.last_end = te;

		if (ends)
		{
			struct pgw_sql_stmt *st = add_stmt_sp(s, &sp, te, true);

			if (sp.copy_stdin)
			{
				/* data from the next line to the "\." line */
				size_t		data = after_line(text, s->file->len, te);

				st->copy_stdin = true;
				if (data > copy_end)
					data = copy_end;
				st->copy_start = data;
				st->copy_len = copy_end - data;
				{
					int			col;

					sqlfile_position(s->file, data, &st->copy_line, &col);
				}
				if (copy_end >= s->file->len)
				{
					sql_script_diag(s, te, "end the data with a line holding only \\.",
									"COPY data after this statement has no end marker");
					resume = (size_t) -1;
				}
				else
					resume = after_line(text, s->file->len, copy_end);
				*copy_hit = true;
				reset(&sp);
				goto done;
			}
			reset(&sp);
			snap_at = te;
			snap = script_mark_take(s);
		}
	}
	if (capped && !(err_msg && from + err_at < meta_end))
	{
		/* the cut may fall inside a token: keep what precedes the last
		 * statement end, and go on from there; none: widen */
		if (snap_at == (size_t) -1)
		{
			script_mark_restore(s, &saved);
			*need_wider = true;
			resume = from;
			goto done;
		}
		script_mark_restore(s, &snap);
		resume = snap_at;
		goto done;
	}
	if (err_msg && from + err_at < meta_end)
	{
		/* the scanner tripped over a meta-command's arguments (\set x 'y):
		 * already reported; go on after its line */
		resume = meta_end;
		goto done;
	}
	if (err_msg)
	{
		if (window_is_copy_end)
		{
			/* a quote or comment may run over the "\." line: undo this
			 * window and let the caller widen it */
			script_mark_restore(s, &saved);
			*need_wider = true;
			resume = from;
			goto done;
		}
		sql_script_diag(s, from + err_at,
						strstr(err_msg, "unterminated") ? "it starts here and is never closed" : NULL,
						"%s", err_msg);
		resume = (size_t) -1;
		goto done;
	}
	if (sp.in_stmt)
		add_stmt_sp(s, &sp, sp.last_end, false);
	if (window_is_copy_end)
	{
		/* a "\." line with no COPY before it */
		sql_script_diag(s, to, "remove the line, or put the COPY ... FROM stdin statement before the data",
						"end-of-data marker \\. without a COPY ... FROM stdin");
		resume = after_line(text, s->file->len, to);
	}
done:
	free(toks);
	free(err_msg);
	free(chunk);
	return resume;
}

/* Scanner windows are at most this long: the scanner's output for a
 * window is held at once, so this bounds its memory on huge files. */
#ifndef PGW_SCAN_WINDOW
#define PGW_SCAN_WINDOW ((size_t) 4 * 1024 * 1024)
#endif
#define SCAN_WINDOW ((size_t) PGW_SCAN_WINDOW)

void
sql_script_split(struct pgw_sql_script *s)
{
	const struct pgw_sql_file *f = s->file;
	size_t		pos = 0;

	if (f->bad)
		return;
	if (f->len > 0)
		sql_library_mark_used();
	while (pos < f->len)
	{
		size_t		copy_end = next_copy_end(f->text, f->len, pos);
		size_t		cap = SCAN_WINDOW;
		size_t		next;
		bool		copy_hit;
		bool		need_wider;

		for (;;)
		{
			size_t		to = copy_end;
			bool		capped = false;

			if (to - pos > cap)
			{
				to = pos + cap;
				capped = true;
			}
			next = scan_window(s, pos, to, copy_end, capped, &copy_hit, &need_wider);
			if (!need_wider)
				break;
			if (capped)
				cap *= 2;		/* one statement longer than the window */
			else
			{
				/* a quote or comment spans the "\." line: take the next one too */
				copy_end = next_copy_end(f->text, f->len, after_line(f->text, f->len, copy_end));
			}
		}
		if (next == (size_t) -1)
		{
			s->split_stopped = true;
			return;
		}
		pos = next;
	}
}
