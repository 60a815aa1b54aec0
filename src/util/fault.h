/*
 * fault.h — fault injection for tests.
 *
 * PGWARDEN_FAULT holds a comma-separated list of fault point names; code at a
 * named point asks fault_active("name") and, when set, fails the way the real
 * failure would (a statement that errors inside the transaction, a file that
 * cannot be written, ...).  Tests use it to prove that error paths leave
 * nothing half-done.  Fault points are documented next to their code and
 * listed in docs/testing.md.
 */
#ifndef PGW_FAULT_H
#define PGW_FAULT_H

#include <stdbool.h>

bool		fault_active(const char *name);

#endif
