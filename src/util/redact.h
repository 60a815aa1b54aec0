/*
 * redact.h — keeps secrets out of every output.
 *
 * Whoever learns a secret (a password from a URL, PGPASSWORD, a config value)
 * registers it with redact_add_secret(); the output layer passes everything it
 * writes, text or JSON, stdout or stderr, through redact_text().  Registering
 * at the source, and filtering at the one place that writes, means a secret
 * cannot leak through a message nobody thought of (a libpq error quoting the
 * URL, say).
 */
#ifndef PGW_REDACT_H
#define PGW_REDACT_H

#include "util/mem.h"

#define PGW_REDACTED "********"

/* Registers s (and its percent-encoded form) as secret.  Empty s is ignored. */
void		redact_add_secret(const char *s);

/* Finds the password inside a conninfo string or URL, registers it, and
 * returns a display form of it with the password masked (caller frees).
 * Works on malformed strings too, which libpq would refuse to parse. */
char	   *redact_conninfo(const char *conninfo);

/* Appends text to out with every registered secret replaced by PGW_REDACTED. */
void		redact_text(const char *text, struct pgw_buf *out);

/* Forgets every secret (tests). */
void		redact_reset(void);

#endif
