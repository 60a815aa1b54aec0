/*
 * file.h — an SQL file in memory, checked before anything parses it.
 *
 * Exports sqlfile_read() (a path, or "-" for stdin), sqlfile_from_text()
 * (bytes already in memory), sqlfile_release(), and the position helpers
 * every later stage uses to turn a byte offset into line:column.
 *
 * Invariants after a successful load:
 *   - text is NUL-terminated and holds no NUL byte before len;
 *   - a UTF-8 byte-order mark has been removed (bom_skipped says so) and
 *     offsets count from the first byte after it;
 *   - CRLF line endings are kept as they are ('\r' is whitespace to the
 *     scanner); lines are counted on '\n' only;
 *   - columns count characters, not bytes (the way PostgreSQL's cursorpos
 *     and editors count), starting at 1.
 * Content problems (binary data, bytes that are not UTF-8, a file too large
 * for the parser) are not load failures: they come back as a positioned
 * struct pgw_sql_diag in f->diag, so the command can print them like a
 * compiler.  Only I/O failures return -1 (PGW_ERR_INPUT recorded).
 */
#ifndef PGW_SQL_FILE_H
#define PGW_SQL_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* The parser's own limit on one query string is 1 GB; files this size are
 * refused with a clear message instead of failing deep in the library. */
#define PGW_SQL_MAX_FILE	((size_t) 1024 * 1024 * 1024 - 1)

/* A problem at a place in a file: "file:line:col: error: message". */
struct pgw_sql_diag
{
	char	   *message;		/* lowercase, problem first */
	char	   *hint;			/* may be NULL */
	size_t		offset;			/* byte offset in the file text */
	int			line;			/* 1-based */
	int			column;			/* 1-based, in characters */
};

struct pgw_sql_file
{
	char	   *name;			/* as shown in messages ("-" is "<stdin>") */
	char	   *text;			/* NUL-terminated, BOM removed */
	size_t		len;
	bool		bom_skipped;
	bool		has_crlf;
	bool		bad;			/* diag holds why the text cannot be used */
	struct pgw_sql_diag diag;
	/* byte offset where each line starts: lines[0] = 0 (built on load, so
	 * positions cost a binary search, not a walk from the top) */
	size_t	   *lines;
	size_t		nlines;
};

/* Reads path ("-": stdin).  -1 on I/O failure (error recorded); 0 otherwise,
 * with f->bad set when the content is unusable. */
int			sqlfile_read(const char *path, struct pgw_sql_file *f);

/* Same checks on bytes in memory (copied). name is used in messages. */
void		sqlfile_from_text(const char *name, const char *data, size_t len,
							  struct pgw_sql_file *f);

void		sqlfile_release(struct pgw_sql_file *f);

/* Line (1-based) and column (1-based, characters) of a byte offset. */
void		sqlfile_position(const struct pgw_sql_file *f, size_t offset,
							 int *line, int *column);

/* Byte offset of the start of the line holding offset, and of its end
 * (the '\n' or '\r\n', or len). */
size_t		sqlfile_line_start(const struct pgw_sql_file *f, size_t offset);
size_t		sqlfile_line_end(const struct pgw_sql_file *f, size_t offset);

/* Byte offset reached by advancing nchars characters from byte offset from
 * (stops at len).  Used to turn the parser's character cursor into bytes. */
size_t		sqlfile_advance_chars(const char *text, size_t len, size_t from, size_t nchars);

/* Bytes of a valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
size_t		sql_utf8_seqlen(const unsigned char *s, size_t n);

void		sql_diag_set(struct pgw_sql_diag *d, const struct pgw_sql_file *f,
						 size_t offset, const char *hint, const char *fmt,...)
			__attribute__((format(printf, 5, 6)));
void		sql_diag_release(struct pgw_sql_diag *d);

#endif
