/*
 * out.c — text, JSON and message output (see out.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/out.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/redact.h"

static struct
{
	bool		json;
	bool		color_out;
	bool		color_err;
	int			verbosity;
	bool		emitted;		/* the JSON document was printed */
	char		command[128];
	json_t	   *target;
	const char *usage;			/* usage line shown with a usage error */
	json_t	  **capture;		/* out_json_capture: documents go here */
}			st = {.command = "pgwarden"};

static bool
color_allowed(int fd, bool no_color)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no_color || (nc && *nc))
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd) == 1;
}

void
out_setup(bool json, bool no_color, int verbosity)
{
	st.json = json;
	st.verbosity = verbosity;
	st.color_out = !json && color_allowed(STDOUT_FILENO, no_color);
	st.color_err = color_allowed(STDERR_FILENO, no_color);
	/* text lines go out as they are made, so an interrupted (or killed)
	 * run still shows what it did; JSON is one write at the end */
	if (!json)
		setvbuf(stdout, NULL, _IOLBF, 0);
}

void
out_set_command(const char *name)
{
	snprintf(st.command, sizeof(st.command), "pgwarden%s%s", *name ? " " : "", name);
}

const char *
out_command(void)
{
	return st.command;
}

void
out_set_target(json_t *target)
{
	if (st.target)
		json_decref(st.target);
	st.target = target ? json_incref(target) : NULL;
}

bool
out_is_json(void)
{
	return st.json;
}

bool
out_is_quiet(void)
{
	return st.verbosity < 0;
}

bool
out_is_verbose(void)
{
	return st.verbosity > 0;
}

bool
out_color_stdout(void)
{
	return st.color_out;
}

bool
out_color_stderr(void)
{
	return st.color_err;
}

static const char *
style_code(enum pgw_style style)
{
	switch (style)
	{
		case PGW_STYLE_BOLD:
			return "\033[1m";
		case PGW_STYLE_DIM:
			return "\033[2m";
		case PGW_STYLE_OK:
			return "\033[32m";
		case PGW_STYLE_WARN:
			return "\033[33m";
		case PGW_STYLE_ERROR:
			return "\033[1;31m";
		case PGW_STYLE_INFO:
			return "\033[36m";
		case PGW_STYLE_PLAIN:
			break;
	}
	return "";
}

const char *
out_style(enum pgw_style style)
{
	return st.color_out ? style_code(style) : "";
}

const char *
out_style_end(void)
{
	return st.color_out ? "\033[0m" : "";
}

/* The one function that writes: redacts, then writes all of it. */
static void
write_redacted(FILE *f, const char *text)
{
	struct pgw_buf b;

	buf_init(&b);
	redact_text(text, &b);
	fwrite(b.data, 1, b.len, f);
	buf_release(&b);
}

static void
vwrite(FILE *f, const char *fmt, va_list ap)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_vprintf(&b, fmt, ap);
	write_redacted(f, b.data);
	buf_release(&b);
}

void
out_printf(const char *fmt,...)
{
	va_list		ap;

	if (st.json)
		return;
	va_start(ap, fmt);
	vwrite(stdout, fmt, ap);
	va_end(ap);
}

void
out_styled(enum pgw_style style, const char *fmt,...)
{
	va_list		ap;

	if (st.json)
		return;
	fputs(out_style(style), stdout);
	va_start(ap, fmt);
	vwrite(stdout, fmt, ap);
	va_end(ap);
	fputs(*out_style(style) ? out_style_end() : "", stdout);
}

void
out_write(const char *text)
{
	write_redacted(stdout, text);
}

void
out_write_unredacted(const char *text)
{
	if (st.json)
		return;
	fputs(text, stdout);
}

static void
message(enum pgw_style style, const char *label, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", st.command);
	if (st.color_err)
		fputs(style_code(style), stderr);
	fputs(label, stderr);
	if (st.color_err)
		fputs("\033[0m", stderr);
	fputs(": ", stderr);
	vwrite(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
out_warning(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	message(PGW_STYLE_WARN, "warning", fmt, ap);
	va_end(ap);
}

void
out_note(const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;

	if (st.verbosity < 0)
		return;
	fflush(stdout);
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_append_char(&b, '\n');
	write_redacted(stderr, b.data);
	buf_release(&b);
}

void
out_verbose(const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;

	if (st.verbosity < 1)
		return;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fputs(st.color_err ? "\033[2m" : "", stderr);
	write_redacted(stderr, b.data);
	fputs(st.color_err ? "\033[0m" : "", stderr);
	fputc('\n', stderr);
	buf_release(&b);
}

static void
print_labeled(const char *label, const char *text)
{
	struct pgw_buf b;

	if (!text || !*text)
		return;
	buf_init(&b);
	buf_printf(&b, "%s: %s\n", label, text);
	if (st.color_err)
		fputs("\033[2m", stderr);
	write_redacted(stderr, b.data);
	if (st.color_err)
		fputs("\033[0m", stderr);
	buf_release(&b);
}

static void
print_error_text(const struct pgw_err *e)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", st.command);
	if (st.color_err)
		fputs(style_code(PGW_STYLE_ERROR), stderr);
	fputs("error", stderr);
	if (st.color_err)
		fputs("\033[0m", stderr);
	fputs(": ", stderr);
	write_redacted(stderr, e->message ? e->message : "unknown error");
	fputc('\n', stderr);
	if (st.usage)
		fprintf(stderr, "usage: %s\n", st.usage);
	print_labeled("detail", e->detail);
	print_labeled("hint", e->hint);
}

json_t *
out_json_envelope(bool ok)
{
	json_t	   *doc = json_object();

	json_object_set_new(doc, "command", json_string(st.command[8] ? st.command + 9 : ""));
	json_object_set_new(doc, "ok", json_boolean(ok));
	json_object_set(doc, "target", st.target ? st.target : json_null());
	return doc;
}

void
out_json_emit(json_t *doc)
{
	char	   *text;

	if (st.capture)
	{
		json_decref(*st.capture);
		*st.capture = doc;
		return;
	}
	if (st.emitted)
	{
		/* a second document would break every consumer: a bug */
		fprintf(stderr, "pgwarden: internal error: second JSON document suppressed\n");
		json_decref(doc);
		return;
	}
	st.emitted = true;
	if (pgw_interrupted())
		json_object_set_new(doc, "interrupted", json_true());
	text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
	json_decref(doc);
	if (!text)
	{
		fprintf(stderr, "pgwarden: internal error: cannot serialize JSON output\n");
		return;
	}
	write_redacted(stdout, text);
	fputc('\n', stdout);
	free(text);
	fflush(stdout);
}

void
out_json_capture(json_t **slot)
{
	st.capture = slot;
}

bool
out_json_capturing(void)
{
	return st.capture != NULL;
}

void
out_json_line(json_t *doc)
{
	char	   *text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));

	json_decref(doc);
	if (!text)
		return;
	write_redacted(stdout, text);
	fputc('\n', stdout);
	free(text);
	fflush(stdout);
}

static FILE *protocol;
static pthread_mutex_t protocol_lock = PTHREAD_MUTEX_INITIALIZER;

int
out_protocol_open(void)
{
	int			fd;

	fflush(stdout);
	fd = dup(STDOUT_FILENO);
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || !(protocol = fdopen(fd, "w")))
	{
		pgw_error(PGW_ERR_CONNECT, "cannot set up the protocol stream: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
out_protocol_line(const json_t *msg)
{
	char	   *text = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
	struct pgw_buf b;

	if (!text || !protocol)
	{
		free(text);
		return;
	}
	buf_init(&b);
	redact_text(text, &b);
	buf_append_char(&b, '\n');
	pthread_mutex_lock(&protocol_lock);
	fwrite(b.data, 1, b.len, protocol);
	fflush(protocol);
	pthread_mutex_unlock(&protocol_lock);
	buf_release(&b);
	free(text);
}

static json_t *
json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int
out_fail_with(json_t *doc)
{
	const struct pgw_err *e = pgw_error_last();
	int			code;

	/* whatever failed after a signal failed because of it: say so first */
	if (pgw_interrupted() && e->kind != PGW_ERR_INTERRUPTED)
	{
		if (e->message)
			pgw_error_prefix("interrupted by %s", interrupt_signal_name());
		else
			pgw_error(PGW_ERR_INTERRUPTED, "interrupted by %s", interrupt_signal_name());
		pgw_error_set_kind(PGW_ERR_INTERRUPTED);
	}
	code = pgw_exit_for_kind(e->kind);
	print_error_text(e);
	if (st.json && (st.capture || !st.emitted))
	{
		json_t	   *err = json_object();

		if (!doc)
			doc = out_json_envelope(false);
		else
			json_object_set_new(doc, "ok", json_false());
		json_object_set_new(err, "message", json_str_or_null(e->message));
		json_object_set_new(err, "detail", json_str_or_null(e->detail));
		json_object_set_new(err, "hint", json_str_or_null(e->hint));
		json_object_set_new(err, "sqlstate", json_str_or_null(e->sqlstate));
		if (st.usage)
			json_object_set_new(err, "usage", json_string(st.usage));
		json_object_set_new(err, "exit_code", json_integer(code));
		json_object_set_new(doc, "error", err);
		out_json_emit(doc);
	}
	else
		json_decref(doc);
	return code;
}

int
out_fail(void)
{
	return out_fail_with(NULL);
}

int
out_finish_interrupted(int rc)
{
	if (!pgw_interrupted() || rc == PGW_EXIT_OK || rc == PGW_EXIT_INTERRUPTED)
		return rc;
	/* the command reported its failure its own way (a trial that failed,
	 * ...): the reason comes last, and the code says it */
	interrupt_check();
	return out_fail();
}

int
out_usage_error(const char *usage, const char *hint, const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;
	int			code;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	pgw_error(PGW_ERR_USAGE, "%s", b.data);
	buf_release(&b);
	if (hint)
		pgw_error_hint("%s", hint);
	st.usage = usage;
	code = out_fail();
	st.usage = NULL;
	return code;
}

void
out_flush(void)
{
	fflush(stdout);
	fflush(stderr);
}

char *
out_bytes(unsigned long long n)
{
	static const char *units[] = {"bytes", "kB", "MB", "GB", "TB"};
	double		v = (double) n;
	int			u = 0;

	if (n < 1024)
		return pgw_asprintf("%llu bytes", n);
	while (v >= 1024 && u < 4)
	{
		v /= 1024;
		u++;
	}
	return pgw_asprintf(v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}
