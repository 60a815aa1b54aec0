/*
 * file.c — loading and checking SQL files (see file.h).
 *
 * The checks run once over the bytes, in this order, and the first problem
 * wins: size, NUL bytes (a binary file), UTF-8 validity.  PostgreSQL itself
 * would reject the same bytes with "invalid byte sequence for encoding
 * UTF8", so saying it here, with the line, is strictly more helpful.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/file.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"

size_t
sql_utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF)
	{
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0;			/* overlong */
		if (c == 0xED && s[1] > 0x9F)
			return 0;			/* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4)
	{
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			(s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;
		if (c == 0xF4 && s[1] > 0x8F)
			return 0;
		return 4;
	}
	return 0;
}

void
sql_diag_set(struct pgw_sql_diag *d, const struct pgw_sql_file *f,
			 size_t offset, const char *hint, const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(d->message);
	free(d->hint);
	d->message = buf_steal(&b);
	d->hint = hint ? pgw_strdup(hint) : NULL;
	d->offset = offset;
	sqlfile_position(f, offset, &d->line, &d->column);
}

void
sql_diag_release(struct pgw_sql_diag *d)
{
	free(d->message);
	free(d->hint);
	d->message = d->hint = NULL;
}

static void
index_lines(struct pgw_sql_file *f)
{
	size_t		cap = 64;
	size_t		i;

	f->lines = pgw_malloc(cap * sizeof(size_t));
	f->lines[0] = 0;
	f->nlines = 1;
	for (i = 0; i < f->len; i++)
	{
		const char *nl = memchr(f->text + i, '\n', f->len - i);

		if (!nl)
			break;
		i = (size_t) (nl - f->text);
		if (f->nlines == cap)
		{
			cap *= 2;
			f->lines = pgw_realloc(f->lines, cap * sizeof(size_t));
		}
		f->lines[f->nlines++] = i + 1;
	}
}

/* Checks the bytes; sets f->bad and f->diag on the first problem. */
static void
check_bytes(struct pgw_sql_file *f)
{
	const unsigned char *s = (const unsigned char *) f->text;
	size_t		i = 0;

	if (f->len > PGW_SQL_MAX_FILE)
	{
		f->bad = true;
		sql_diag_set(&f->diag, f, 0, "split it into several files",
					 "file is too large for the SQL parser (%zu bytes, the limit is 1 GB)", f->len);
		return;
	}
	if (memchr(f->text, '\0', f->len))
	{
		size_t		at = (size_t) ((const char *) memchr(f->text, '\0', f->len) - f->text);

		f->bad = true;
		sql_diag_set(&f->diag, f, at, "is this an SQL file? pg_dump's custom format is read with pg_restore",
					 "file holds a NUL byte: it looks like a binary file, not SQL text");
		return;
	}
	while (i < f->len)
	{
		size_t		n;

		/* fast path over ASCII */
		while (i < f->len && s[i] < 0x80)
			i++;
		if (i >= f->len)
			break;
		n = sql_utf8_seqlen(s + i, f->len - i);
		if (n == 0)
		{
			f->bad = true;
			sql_diag_set(&f->diag, f, i, "convert the file to UTF-8 (for example with iconv)",
						 "invalid byte sequence for encoding \"UTF8\": 0x%02x", s[i]);
			return;
		}
		i += n;
	}
}

static void
load(struct pgw_sql_file *f, const char *name, char *data, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->name = pgw_strdup(name);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
	{
		memmove(data, data + 3, len - 3);
		len -= 3;
		data[len] = '\0';
		f->bom_skipped = true;
	}
	f->text = data;
	f->len = len;
	f->has_crlf = memmem(data, len, "\r\n", 2) != NULL;
	index_lines(f);
	check_bytes(f);
}

void
sqlfile_from_text(const char *name, const char *data, size_t len,
				  struct pgw_sql_file *f)
{
	char	   *copy = pgw_malloc(len + 1);

	memcpy(copy, data, len);
	copy[len] = '\0';
	load(f, name, copy, len);
}

static int
read_stream(FILE *in, char **data, size_t *len)
{
	size_t		cap = 65536;
	size_t		n = 0;
	char	   *buf = pgw_malloc(cap + 1);

	for (;;)
	{
		size_t		got;

		if (n == cap)
		{
			cap *= 2;
			buf = pgw_realloc(buf, cap + 1);
		}
		got = fread(buf + n, 1, cap - n, in);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(in))
	{
		free(buf);
		return pgw_error(PGW_ERR_INPUT, "cannot read standard input: %s", strerror(errno));
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int
sqlfile_read(const char *path, struct pgw_sql_file *f)
{
	char	   *data;
	size_t		len;

	memset(f, 0, sizeof(*f));
	if (strcmp(path, "-") == 0)
	{
		if (read_stream(stdin, &data, &len) != 0)
			return -1;
		load(f, "<stdin>", data, len);
		return 0;
	}
	if (fs_is_dir(path))
		return pgw_error(PGW_ERR_INPUT, "'%s' is a folder, not an SQL file", path);
	if (fs_read_file(path, &data, &len) != 0)
	{
		pgw_error_set_kind(PGW_ERR_INPUT);
		return -1;
	}
	{
		/* messages name it relative to the current folder (fs_display_path) */
		char	   *shown = fs_display_path(path);

		load(f, shown, data, len);
		free(shown);
	}
	return 0;
}

void
sqlfile_release(struct pgw_sql_file *f)
{
	free(f->name);
	free(f->text);
	free(f->lines);
	sql_diag_release(&f->diag);
	memset(f, 0, sizeof(*f));
}

static size_t
line_index(const struct pgw_sql_file *f, size_t offset)
{
	size_t		lo = 0,
				hi = f->nlines;

	/* the last line start <= offset */
	while (hi - lo > 1)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (f->lines[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void
sqlfile_position(const struct pgw_sql_file *f, size_t offset, int *line, int *column)
{
	size_t		li;
	size_t		i;
	int			col = 1;

	if (!f->lines || f->nlines == 0)
	{
		*line = 1;
		*column = 1;
		return;
	}
	if (offset > f->len)
		offset = f->len;
	li = line_index(f, offset);
	for (i = f->lines[li]; i < offset; i++)
		if (((unsigned char) f->text[i] & 0xC0) != 0x80)
			col++;
	*line = (int) li + 1;
	*column = col;
}

size_t
sqlfile_line_start(const struct pgw_sql_file *f, size_t offset)
{
	if (!f->lines)
		return 0;
	if (offset > f->len)
		offset = f->len;
	return f->lines[line_index(f, offset)];
}

size_t
sqlfile_line_end(const struct pgw_sql_file *f, size_t offset)
{
	const char *nl;

	if (offset > f->len)
		offset = f->len;
	nl = memchr(f->text + offset, '\n', f->len - offset);
	if (!nl)
		return f->len;
	if (nl > f->text + offset && nl[-1] == '\r')
		nl--;
	return (size_t) (nl - f->text);
}

size_t
sqlfile_advance_chars(const char *text, size_t len, size_t from, size_t nchars)
{
	size_t		i = from;

	while (nchars > 0 && i < len)
	{
		i++;
		while (i < len && ((unsigned char) text[i] & 0xC0) == 0x80)
			i++;
		nchars--;
	}
	return i;
}
