/*
 * parse.c — parse trees and syntax errors for a split script.
 *
 * Fast path: when splitting found nothing wrong, the whole file is parsed in
 * one call, with COPY data blanked out (spaces, newlines kept, so every
 * offset stays the file's own), and the parser's statements are matched to
 * ours by position.  Any disagreement, or a syntax error anywhere, falls
 * back to parsing statement by statement, which is slower but finds every
 * syntax error, each at its own line and column.
 *
 * libpg_query's cursorpos is 1-based and counts characters; offsets here
 * are bytes, so positions go through sqlfile_advance_chars.
 *
 * PL/pgSQL: bodies of LANGUAGE plpgsql functions and of DO blocks are
 * compiled with pg_query_parse_plpgsql.  Its errors name a line of the body
 * ("near line N"), which is mapped onto the file through the body's string
 * token; the word quoted in "at or near" pins the column.
 */
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "sql/script.h"
#include "sql/node.h"

#if defined(__SANITIZE_ADDRESS__)
/*
 * libpg_query 15-4.0's pg_query_parse_plpgsql keeps the stderr buffer of its
 * internal raw parse (one byte per call) and never frees it; the result
 * struct does not hand it over, so nobody can.  Tell LeakSanitizer, which
 * reads this hook at start-up, so `make test SAN=1` reports our leaks only.
 * The archive has no frame pointers, so the report's stack ends in
 * pg_query_raw_parse: that is the frame to name.  Every other caller of it
 * returns the buffer in its result, which we free with pg_query_free_*.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:pg_query_parse_plpgsql\nleak:pg_query_raw_parse\n";
}
#endif

#ifndef PGW_PARSE_CHUNK
#define PGW_PARSE_CHUNK ((size_t) 4 * 1024 * 1024)
#endif
#define PARSE_CHUNK ((size_t) PGW_PARSE_CHUNK)

/* Whether statement st only moves data (see PGW_SQL_DEFER_DATA). */
static bool
is_data_stmt(const struct pgw_sql_stmt *st)
{
	switch (st->first_token)
	{
		case PG_QUERY__TOKEN__INSERT:
		case PG_QUERY__TOKEN__SELECT:
		case PG_QUERY__TOKEN__VALUES:
		case PG_QUERY__TOKEN__TABLE:
		case PG_QUERY__TOKEN__COPY:
		case PG_QUERY__TOKEN__EXPLAIN:
		case PG_QUERY__TOKEN__SHOW:
			return true;
		default:
			return false;
	}
}

/* Spaces over bytes [from, to), newlines kept so offsets and lines stay. */
static void
blank(char *text, size_t from, size_t to)
{
	size_t		j;

	for (j = from; j < to; j++)
		if (text[j] != '\n')
			text[j] = ' ';
}

/*
 * Parses statements [i0, i1) in one call; true when every one got its tree
 * (or, deferred, passed the parser).  The text handed over runs from the
 * first statement's start to the last one's end, COPY data blanked out
 * (spaces, newlines kept), so node locations plus that start are file
 * offsets.  With deferral, the data statements are blanked out of the
 * protobuf parse and checked by a second, output-free parse
 * (pg_query_split_with_parser) of the text with everything else blanked.
 */
static bool
parse_range(struct pgw_sql_script *s, size_t i0, size_t i1)
{
	const struct pgw_sql_file *f = s->file;
	size_t		base = s->stmts[i0].start;
	size_t		len = s->stmts[i1 - 1].end - base;
	char	   *text = pgw_malloc(len + 1);
	char	   *data = NULL;
	PgQueryProtobufParseResult r;
	PgQuery__ParseResult *tree;
	size_t		i,
				k;
	size_t		ntree = 0;
	bool		ok = true;

	memcpy(text, f->text + base, len);
	text[len] = '\0';
	for (i = i0; i < i1; i++)
	{
		const struct pgw_sql_stmt *st = &s->stmts[i];
		size_t		stop;

		if (!st->copy_stdin || st->copy_start >= base + len)
			continue;
		/* the data and its "\." line */
		stop = st->copy_start + st->copy_len;
		while (stop < f->len && f->text[stop] != '\n')
			stop++;
		if (stop > base + len)
			stop = base + len;
		blank(text, st->copy_start - base, stop - base);
	}
	if (s->defer_data)
	{
		bool		any = false;

		data = pgw_malloc(len + 1);
		memset(data, ' ', len);
		data[len] = '\0';
		for (i = i0; i < i1; i++)
		{
			struct pgw_sql_stmt *st = &s->stmts[i];

			if (!is_data_stmt(st))
				continue;
			st->deferred = true;
			any = true;
			memcpy(data + st->start - base, text + st->start - base, st->end - st->start);
			blank(text, st->start - base, st->end - base);
		}
		if (any)
		{
			PgQuerySplitResult sr = pg_query_split_with_parser(data);

			if (sr.error)
				ok = false;
			pg_query_free_split_result(sr);
		}
		free(data);
		if (!ok)
		{
			free(text);
			goto fail;
		}
	}
	for (i = i0; i < i1; i++)
		if (!s->stmts[i].deferred)
			ntree++;
	if (ntree == 0)
	{
		free(text);
		return true;
	}
	r = pg_query_parse_protobuf(text);
	free(text);
	if (r.error)
	{
		pg_query_free_protobuf_parse_result(r);
		goto fail;
	}
	tree = pg_query__parse_result__unpack(&s->pool.allocator, r.parse_tree.len,
										  (const uint8_t *) r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	if (!tree || tree->n_stmts != ntree)
		goto fail;				/* the pool keeps the tree until release */
	for (i = i0, k = 0; ok && i < i1; i++)
	{
		const PgQuery__RawStmt *raw;
		size_t		loc,
					end;

		if (s->stmts[i].deferred)
			continue;
		raw = tree->stmts[k++];
		loc = base + (size_t) raw->stmt_location;
		end = raw->stmt_len ? loc + (size_t) raw->stmt_len : base + len;
		/* the parser's statement starts after the previous ';' (so it
		 * holds our leading comments) and must cover our first token */
		if (loc > s->stmts[i].start || end < s->stmts[i].start || !raw->stmt)
			ok = false;
	}
	if (!ok)
		goto fail;
	for (i = i0, k = 0; i < i1; i++)
		if (!s->stmts[i].deferred)
		{
			s->stmts[i].node = tree->stmts[k++]->stmt;
			s->stmts[i].loc_base = base;	/* locations count from base */
		}
	return true;
fail:
	for (i = i0; i < i1; i++)
		s->stmts[i].deferred = false;
	return false;
}

/* "syntax error at or near "x"" → x (caller frees), or NULL. */
static char *
near_word(const char *msg)
{
	const char *p = strstr(msg, "at or near \"");
	const char *q;

	if (!p)
		return NULL;
	p += strlen("at or near \"");
	q = strrchr(p, '"');
	if (!q || q <= p)
		return NULL;
	return pgw_strndup(p, (size_t) (q - p));
}

static void
parse_one(struct pgw_sql_script *s, struct pgw_sql_stmt *st)
{
	const struct pgw_sql_file *f = s->file;
	size_t		n = st->end - st->start;
	char	   *text = pgw_strndup(f->text + st->start, n);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);

	if (r.error)
	{
		size_t		at = sqlfile_advance_chars(text, n, 0,
											   r.error->cursorpos > 0 ? (size_t) r.error->cursorpos - 1 : 0);

		st->syntax_error = true;
		sql_script_diag(s, st->start + at, NULL, "%s", r.error->message);
	}
	else
	{
		PgQuery__ParseResult *tree =
			pg_query__parse_result__unpack(&s->pool.allocator, r.parse_tree.len,
										   (const uint8_t *) r.parse_tree.data);

		if (tree && tree->n_stmts > 0 && tree->stmts[0]->stmt)
		{
			st->node = tree->stmts[0]->stmt;
			st->loc_base = st->start;	/* locations count from the statement */
		}
	}
	pg_query_free_protobuf_parse_result(r);
	free(text);
}

/* The body string of a function or DO statement: byte range of its content
 * in the file.  Found through the statement's tokens: the string after AS
 * (functions) or the first string (DO). */
static bool
find_body(struct pgw_sql_script *s, const struct pgw_sql_stmt *st, bool is_do,
		  size_t *bstart, size_t *bend)
{
	const struct pgw_sql_file *f = s->file;
	char	   *text = pgw_strndup(f->text + st->start, st->end - st->start);
	PgQueryScanResult r = pg_query_scan(text);
	struct pgw_sql_token *tok = NULL;
	size_t		ntok = 0;
	bool		found = false;
	size_t		i;

	if (r.error || sql_tokens_decode((const uint8_t *) r.pbuf.data, r.pbuf.len, &tok, &ntok) != 0)
	{
		pg_query_free_scan_result(r);
		free(text);
		return false;
	}
	pg_query_free_scan_result(r);
	for (i = 0; i < ntok && !found; i++)
	{
		const struct pgw_sql_token *t = &tok[i];

		if (t->token != PG_QUERY__TOKEN__SCONST)
			continue;
		if (!is_do && (i == 0 || tok[i - 1].token != PG_QUERY__TOKEN__AS))
			continue;
		{
			const char *p = text + t->start;
			size_t		len = (size_t) (t->end - t->start);
			size_t		open = 1,
						close = 1;

			if (p[0] == '$')
			{
				const char *q = memchr(p + 1, '$', len - 1);

				if (!q)
					continue;
				open = close = (size_t) (q - p) + 1;
			}
			else if (p[0] == 'E' || p[0] == 'e')
				open = 2;
			if (len < open + close)
				continue;
			*bstart = st->start + (size_t) t->start + open;
			*bend = st->start + (size_t) t->end - close;
			found = true;
		}
	}
	free(tok);
	free(text);
	return found;
}

static void
check_plpgsql(struct pgw_sql_script *s, struct pgw_sql_stmt *st, bool is_do)
{
	const struct pgw_sql_file *f = s->file;
	char	   *text = pgw_strndup(f->text + st->start, st->end - st->start);
	PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(text);
	size_t		bstart,
				bend;

	if (!r.error)
	{
		pg_query_free_plpgsql_parse_result(r);
		free(text);
		return;
	}
	if (find_body(s, st, is_do, &bstart, &bend))
	{
		const char *ctx = r.error->context ? strstr(r.error->context, "near line ") : NULL;
		long		line = ctx ? strtol(ctx + strlen("near line "), NULL, 10) : 1;
		size_t		at = bstart;
		char	   *word = near_word(r.error->message);

		/* to the start of the body's line N */
		while (line > 1 && at < bend)
		{
			const char *nl = memchr(f->text + at, '\n', bend - at);

			if (!nl)
				break;
			at = (size_t) (nl - f->text) + 1;
			line--;
		}
		if (strstr(r.error->message, "at end of input"))
			at = bend;
		else if (word && *word)
		{
			const char *hit = memmem(f->text + at, bend - at, word, strlen(word));

			if (!hit)			/* the line can be late: search the body */
				hit = memmem(f->text + bstart, bend - bstart, word, strlen(word));
			if (hit)
				at = (size_t) (hit - f->text);
		}
		else
			while (at < bend && (f->text[at] == ' ' || f->text[at] == '\t' || f->text[at] == '\n' || f->text[at] == '\r'))
				at++;
		free(word);
		sql_script_diag(s, at, NULL, "%s (in PL/pgSQL %s)", r.error->message,
						is_do ? "DO block" : "function body");
	}
	else
		sql_script_diag(s, st->start, NULL, "%s (in PL/pgSQL %s)", r.error->message,
						is_do ? "DO block" : "function body");
	st->syntax_error = true;
	pg_query_free_plpgsql_parse_result(r);
	free(text);
}

static bool
has_option(PgQuery__Node *const *opts, size_t n, const char *name)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (opts[i] && opts[i]->node_case == NK(DEF_ELEM) &&
			strcmp(opts[i]->def_elem->defname, name) == 0)
			return true;
	return false;
}

void
sql_script_parse(struct pgw_sql_script *s)
{
	size_t		i;
	bool		split_bad;

	if (s->file->bad || s->nstmts == 0)
		return;
	sql_library_mark_used();
	/*
	 * Statements go to the parser in runs of about PARSE_CHUNK bytes: one
	 * call per run is fast, and the library's output for a run is held at
	 * once, so this bounds memory on huge files.  A run that fails (a
	 * syntax error, or our split and the parser's disagree) is parsed again
	 * statement by statement, which finds every error with its place.
	 */
	split_bad = s->ndiags > 0;
	for (i = 0; i < s->nstmts;)
	{
		size_t		j = i + 1;
		size_t		k;

		while (j < s->nstmts && s->stmts[j].end - s->stmts[i].start < PARSE_CHUNK)
			j++;
		if (split_bad || !parse_range(s, i, j))
			for (k = i; k < j; k++)
				parse_one(s, &s->stmts[k]);
		i = j;
	}
	for (i = 0; i < s->nstmts; i++)
	{
		struct pgw_sql_stmt *st = &s->stmts[i];
		const PgQuery__Node *n = st->node;

		if (!n)
			continue;
		if (n->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT)
		{
			const char *lang = node_option_string(n->create_function_stmt->options,
												  n->create_function_stmt->n_options, "language");

			/* no AS body: nothing to compile (and libpg_query asserts on it) */
			if (lang && strcmp(lang, "plpgsql") == 0 && !n->create_function_stmt->sql_body &&
				has_option(n->create_function_stmt->options, n->create_function_stmt->n_options, "as"))
				check_plpgsql(s, st, false);
		}
		else if (n->node_case == PG_QUERY__NODE__NODE_DO_STMT)
		{
			const char *lang = node_option_string(n->do_stmt->args, n->do_stmt->n_args, "language");

			if (!lang || strcmp(lang, "plpgsql") == 0)
				check_plpgsql(s, st, true);
		}
	}
}

const PgQuery__Node *
sql_script_tree(struct pgw_sql_script *s, size_t i)
{
	struct pgw_sql_stmt *st = &s->stmts[i];

	if (st->deferred && !st->node)
	{
		st->deferred = false;
		parse_one(s, st);
		sql_script_classify_one(s, st);
	}
	return st->node;
}
