/*
 * sarif.h — findings as a SARIF 2.1.0 log, the format code-scanning
 * services (GitHub, GitLab, Azure DevOps) read.
 *
 * One run, tool.driver = pgwarden with the rules that are described (all of
 * them, so a viewer can show help for any result), one result per
 * unsuppressed finding with its physical location, level (error, warning,
 * note) and the finding's fingerprint as a partial fingerprint so the
 * service tracks the same problem across commits.
 */
#ifndef PGW_SARIF_H
#define PGW_SARIF_H

#include <stddef.h>

#include <jansson.h>

#include "check/finding.h"

struct pgw_sarif_rule
{
	const char *id;
	const char *summary;
	const char *hint;
	enum pgw_severity severity;
	const char *category;
};

/* A new SARIF document (caller owns the reference).  Results come from each
 * list in order; a finding whose rule is not in rules still gets a result
 * (without ruleIndex). */
json_t	   *sarif_document(const char *tool_version, const char *help_uri,
						   const struct pgw_sarif_rule *rules, size_t nrules,
						   const struct pgw_findings *const *lists, size_t nlists);

/* Prints doc (steals the reference) on stdout, indented, as the command's
 * whole output (--format sarif). */
void		sarif_emit(json_t *doc);

#endif
