/*
 * out.h — the output layer: the only code that writes to stdout, and the one
 * place that writes messages to stderr.
 *
 * Text mode prints human text on stdout, with color only when stdout is a
 * terminal, --no-color is not given and NO_COLOR is unset.  JSON mode (--json)
 * prints nothing on stdout but exactly one JSON document, at the end, through
 * out_json_emit() (or out_fail() on error).  Messages (errors, warnings,
 * notes, progress) go to stderr in both modes.  Everything written, on both
 * streams, passes through the secret filter (util/redact.h), except the one
 * deliberate exception, out_write_unredacted().
 *
 * Message shape, as PostgreSQL's tools print them:
 *     pgwarden local: error: cannot start the local database
 *     detail: ...
 *     hint: ...
 */
#ifndef PGW_OUT_H
#define PGW_OUT_H

#include <stdbool.h>

#include <jansson.h>

enum pgw_style
{
	PGW_STYLE_PLAIN = 0,
	PGW_STYLE_BOLD,
	PGW_STYLE_DIM,
	PGW_STYLE_OK,				/* green */
	PGW_STYLE_WARN,				/* yellow */
	PGW_STYLE_ERROR,			/* red */
	PGW_STYLE_INFO				/* cyan */
};

/* verbosity: -1 quiet, 0 normal, 1+ verbose */
void		out_setup(bool json, bool no_color, int verbosity);

/* The command named in message prefixes and in the JSON "command" field. */
void		out_set_command(const char *name);
const char *out_command(void);

/* The target shown in JSON documents ("target" field); takes a reference. */
void		out_set_target(json_t *target);

bool		out_is_json(void);
bool		out_is_quiet(void);
bool		out_is_verbose(void);
bool		out_color_stdout(void);
bool		out_color_stderr(void);

/* Text on stdout; ignored in JSON mode. */
void		out_printf(const char *fmt,...) __attribute__((format(printf, 1, 2)));
void		out_styled(enum pgw_style style, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* Escape sequence that starts style on stdout ("" when color is off). */
const char *out_style(enum pgw_style style);
const char *out_style_end(void);

/* Messages on stderr.  Notes are silenced by -q; verbose lines need -v. */
void		out_warning(const char *fmt,...) __attribute__((format(printf, 1, 2)));
void		out_note(const char *fmt,...) __attribute__((format(printf, 1, 2)));
void		out_verbose(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/*
 * Reports the recorded error (util/error.h): text on stderr, and in JSON mode
 * also the JSON error document on stdout.  Returns the exit code for it, so a
 * command can "return out_fail();".
 */
int			out_fail(void);

/*
 * After a signal (util/interrupt.h) out_fail() reports any error as
 * "interrupted by SIGINT: MESSAGE" with exit code 130, and every JSON
 * document gets "interrupted": true.  out_finish_interrupted() is main()'s
 * last word on a command's exit code rc: unchanged without a signal or when
 * the command succeeded (it finished before noticing); otherwise the
 * interruption is reported (the JSON error document too, when none was
 * printed) and 130 returned.
 */
int			out_finish_interrupted(int rc);

/* out_fail() that puts the error into doc (an envelope the command filled
 * with what it did before failing; stolen, may be NULL). */
int			out_fail_with(json_t *doc);

/*
 * A usage error: "pgwarden CMD: error: MESSAGE", the usage line, and a hint
 * if given.  Returns PGW_EXIT_USAGE.
 */
int			out_usage_error(const char *usage, const char *hint, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* A new JSON document {"command":..., "ok":ok, "target":...}; caller adds
 * "summary" and the rest, then passes it to out_json_emit(). */
json_t	   *out_json_envelope(bool ok);

/* Prints doc (steals the reference) as the one JSON document on stdout. */
void		out_json_emit(json_t *doc);

/* Until called again with NULL, out_json_emit() puts the document into
 * *slot (replacing what is there) instead of printing it: a command that
 * runs another (doctor --fix --yes runs migrate up --safe) makes the
 * other's document part of its own. */
void		out_json_capture(json_t **slot);

/* Whether documents are being captured (command_run_captured). */
bool		out_json_capturing(void);

/* For commands that stream (health --watch --json): one compact document
 * per line (JSON Lines), as many as there are rounds; steals doc. */
void		out_json_line(json_t *doc);

/* Writes raw bytes to stdout, redacted (for generated text such as SQL). */
void		out_write(const char *text);

/*
 * Writes text to stdout as it is, past the secret filter; ignored in JSON
 * mode.  Only for output whose whole point is to hand the user a secret they
 * asked for: `pgwarden local url`, so DATABASE_URL=$(pgwarden local url)
 * works.  Everything else goes through the filter.
 */
void		out_write_unredacted(const char *text);

/*
 * For a server that speaks a protocol on stdout (pgwarden mcp): from
 * out_protocol_open() on, the real stdout carries only out_protocol_line()'s
 * messages, and anything else written to stdout goes to stderr (fd 1 is
 * pointed at stderr), so no command can corrupt the protocol.  Each message
 * is one compact JSON line, redacted, written whole under a lock (any
 * thread).  Returns -1 with an error recorded when the descriptors cannot be
 * set up.
 */
int			out_protocol_open(void);
void		out_protocol_line(const json_t *msg);

/* Flushes both streams. */
void		out_flush(void);

/* Human-readable byte count: "12 kB", "3.4 MB" (caller frees). */
char	   *out_bytes(unsigned long long n);

#endif
