/*
 * scan.h — `pgwarden scan`: security checks of the application code that
 * talks to the database (TypeScript/JavaScript/TSX and Python), parsed with
 * tree-sitter so code is told apart from comments and strings.
 *
 * Rules (docs/findings.md, "scan.*"): routes without an auth check, service
 * keys and auth.admin in client code, secrets in NEXT_PUBLIC_ names,
 * hard-coded tenant/user ids, mock users and auth bypasses, auth TODOs, SQL
 * built from request data and exec_sql calls, CORS "*" with credentials, JWT
 * verification disabled.  The `.from('table')` calls are collected so the
 * command can cross-check them against the database's RLS.
 *
 * Files are scanned on opts->jobs threads; results are merged in file order,
 * so the output does not depend on the number of threads.
 */
#ifndef PGW_SCAN_H
#define PGW_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "check/finding.h"
#include "util/config.h"

struct pgw_scan_rule
{
	const char *id;
	enum pgw_severity severity;
	const char *summary;
	const char *hint;
};

extern const struct pgw_scan_rule pgw_scan_rules[];
extern const size_t pgw_scan_nrules;

struct pgw_scan_options
{
	const struct pgw_strlist *guards;	/* extra auth guard function names */
	int			jobs;
};

/* A `.from('name')` call in the code. */
struct pgw_scan_table_use
{
	char	   *table;
	char	   *file;
	int			line;
	int			column;
};

struct pgw_scan_result
{
	struct pgw_findings findings;	/* sorted by file, line, column */
	size_t		nfiles;
	size_t		nbytes;
	size_t		nskipped;		/* minified or too big */
	size_t		nsuppressed_inline;	/* pgwarden:ignore comments */
	struct pgw_scan_table_use *uses;
	size_t		nuses;
};

/* Scans the files and folders in paths.  -1 (error set) when a path does not
 * exist or cannot be read. */
int			scan_run(const struct pgw_strlist *paths, const struct pgw_scan_options *opts,
					 struct pgw_scan_result *res);
void		scan_result_release(struct pgw_scan_result *res);

const struct pgw_scan_rule *scan_rule_find(const char *id);

#endif
