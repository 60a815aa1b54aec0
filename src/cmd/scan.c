/*
 * scan.c — `pgwarden scan`: security checks of the application code that
 * talks to the database (scan/scan.h does the scanning), printed like a
 * compiler, as one JSON document, or as SARIF.
 *
 * Exit codes: 4 when a path does not exist or the baseline cannot be read,
 * 3 when --rls cannot connect, else 1 when an unsuppressed finding reaches
 * --fail-on, else 0.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/opt.h"
#include "commands.h"
#include "db/query.h"
#include "out/out.h"
#include "out/sarif.h"
#include "scan/scan.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define SCAN_USAGE "pgwarden scan [PATH]... [--format text|json|sarif] [--fail-on LEVEL] [--baseline FILE] [--guard NAME] [--rls] [-j N]"

enum
{
	OPT_FORMAT = 1,
	OPT_SARIF,
	OPT_FAIL_ON,
	OPT_BASELINE,
	OPT_GUARD,
	OPT_RLS,
	OPT_RULES,
	OPT_JOBS
};

enum scan_format
{
	FMT_TEXT,
	FMT_JSON,
	FMT_SARIF
};

static int
list_rules(void)
{
	size_t		i;

	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);
		json_t	   *arr = json_array();

		for (i = 0; i < pgw_scan_nrules; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "id", pgw_scan_rules[i].id,
												 "severity", severity_name(pgw_scan_rules[i].severity),
												 "summary", pgw_scan_rules[i].summary,
												 "hint", pgw_scan_rules[i].hint));
		json_object_set_new(doc, "rules", arr);
		out_json_emit(doc);
		return PGW_EXIT_OK;
	}
	for (i = 0; i < pgw_scan_nrules; i++)
		out_printf("%-32s %-8s %s\n", pgw_scan_rules[i].id, severity_name(pgw_scan_rules[i].severity),
				   pgw_scan_rules[i].summary);
	return PGW_EXIT_OK;
}

/* Fingerprints from a previous --json output, or one per line. */
static int
load_baseline(const char *path, struct pgw_strlist *fps)
{
	char	   *data;
	size_t		len;
	json_t	   *doc;
	json_error_t jerr;

	if (fs_read_file(path, &data, &len) != 0)
		return -1;
	doc = json_loadb(data, len, 0, &jerr);
	if (doc)
	{
		json_t	   *arr = json_object_get(doc, "findings");
		size_t		i;
		json_t	   *it;

		if (!json_is_array(arr))
		{
			json_decref(doc);
			free(data);
			pgw_error(PGW_ERR_INPUT, "%s: a JSON baseline must be a `pgwarden scan --json` document (with \"findings\")", path);
			return -1;
		}
		json_array_foreach(arr, i, it)
		{
			const char *fp = json_string_value(json_object_get(it, "fingerprint"));

			if (fp)
				strlist_add(fps, fp);
		}
		json_decref(doc);
	}
	else
	{
		char	   *save,
				   *line;

		for (line = strtok_r(data, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
		{
			while (*line == ' ')
				line++;
			if (*line && *line != '#')
				strlist_add(fps, line);
		}
	}
	free(data);
	return 0;
}

/* --rls: the tables the code queries that have no row-level security (one
 * query for all of them). */
static int
check_rls(struct pgw_ctx *ctx, struct pgw_scan_result *res, int *rc)
{
	PGconn	   *conn;
	struct pgw_buf names;
	PGresult   *r;
	const char *params[1];
	size_t		i;
	int			k;

	if (target_resolve(&ctx->cfg, ctx->db, ctx->env, &ctx->target) != 0)
	{
		*rc = out_fail();
		return -1;
	}
	ctx->has_target = true;
	{
		json_t	   *t = target_to_json(&ctx->target);

		out_set_target(t);
		json_decref(t);
	}
	conn = ctx_connect(ctx, rc);
	if (!conn)
		return -1;
	buf_init(&names);
	for (i = 0; i < res->nuses; i++)
		buf_printf(&names, "%s%s", i ? "\n" : "", res->uses[i].table);
	params[0] = names.data ? names.data : "";
	r = db_exec(conn, PGW_ERR_CONNECT, "reading row-level security",
				"SELECT DISTINCT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
				"WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity "
				"AND c.relname = ANY (string_to_array($1, E'\\n'))",
				1, params, PGRES_TUPLES_OK);
	buf_release(&names);
	if (!r)
	{
		PQfinish(conn);
		*rc = out_fail();
		return -1;
	}
	for (k = 0; k < PQntuples(r); k++)
	{
		const char *t = PQgetvalue(r, k, 0);

		for (i = 0; i < res->nuses; i++)
		{
			struct pgw_finding *f;
			char	   *msg;

			if (strcmp(res->uses[i].table, t) != 0)
				continue;
			msg = pgw_asprintf(".from('%s') queries public.%s, which has no row-level security: "
							   "any client with the anon key reads and writes all of it", t, t);
			f = findings_add(&res->findings, "scan.from_without_rls", PGW_SEV_ERROR, "code", msg);
			free(msg);
			finding_set_object(&res->findings, f, "table", "public", t, NULL);
			finding_set_hint(&res->findings, f, scan_rule_find("scan.from_without_rls")->hint);
			finding_set_location(&res->findings, f, res->uses[i].file, res->uses[i].line, res->uses[i].column);
		}
	}
	PQclear(r);
	PQfinish(conn);
	return 0;
}

static void
print_text(const struct pgw_scan_result *res)
{
	size_t		i;

	for (i = 0; i < res->findings.n; i++)
	{
		const struct pgw_finding *f = &res->findings.items[i];
		enum pgw_style st = f->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR :
			f->severity == PGW_SEV_WARNING ? PGW_STYLE_WARN : PGW_STYLE_INFO;

		if (f->suppressed)
			continue;
		out_printf("%s:%d:%d: ", f->file, f->line, f->column);
		out_styled(st, "%s", severity_name(f->severity));
		out_printf(": %s [%s]\n", f->message, f->rule);
		if (f->hint && out_is_verbose())
			out_printf("hint: %s\n", f->hint);
	}
}

static void
print_sarif(const struct pgw_scan_result *res)
{
	struct pgw_sarif_rule *rules = pgw_calloc(pgw_scan_nrules, sizeof(*rules));
	const struct pgw_findings *lists[1];
	json_t	   *doc;
	size_t		i;

	for (i = 0; i < pgw_scan_nrules; i++)
	{
		rules[i].id = pgw_scan_rules[i].id;
		rules[i].summary = pgw_scan_rules[i].summary;
		rules[i].hint = pgw_scan_rules[i].hint;
		rules[i].severity = pgw_scan_rules[i].severity;
		rules[i].category = "code";
	}
	lists[0] = &res->findings;
	doc = sarif_document(PGW_VERSION, NULL, rules, pgw_scan_nrules, lists, 1);
	sarif_emit(doc);
	free(rules);
}

int
cmd_scan(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"baseline", 0, true, OPT_BASELINE},
		{"fail-on", 0, true, OPT_FAIL_ON},
		{"format", 0, true, OPT_FORMAT},
		{"guard", 0, true, OPT_GUARD},
		{"jobs", 'j', true, OPT_JOBS},
		{"rls", 0, false, OPT_RLS},
		{"rules", 0, false, OPT_RULES},
		{"sarif", 0, false, OPT_SARIF},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	struct pgw_strlist paths = {NULL, 0};
	struct pgw_strlist guards = {NULL, 0};
	struct pgw_strlist baseline = {NULL, 0};
	const char *baseline_path = NULL;
	struct pgw_scan_options so;
	struct pgw_scan_result res;
	enum scan_format format = out_is_json() ? FMT_JSON : FMT_TEXT;
	enum pgw_severity fail_on = PGW_SEV_ERROR;
	bool		rls = false;
	size_t		nbaseline = 0,
				i;
	int			r,
				rc = PGW_EXIT_OK;
	long		v;
	long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int			jobs = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (int) ncpu;

	opt_init(&p, argc, argv, opts, SCAN_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				rc = PGW_EXIT_USAGE;
				goto done;
			case OPT_FORMAT:
				if (strcmp(arg, "text") == 0)
					format = out_is_json() ? FMT_JSON : FMT_TEXT;
				else if (strcmp(arg, "json") == 0)
					format = FMT_JSON;
				else if (strcmp(arg, "sarif") == 0)
					format = FMT_SARIF;
				else
				{
					rc = opt_usage_error(&p, "use text, json or sarif", "unknown format '%s'", arg);
					goto done;
				}
				break;
			case OPT_SARIF:
				format = FMT_SARIF;
				break;
			case OPT_FAIL_ON:
				if (severity_parse(arg) < 0)
				{
					rc = opt_usage_error(&p, "use error, warning or info", "unknown level '%s'", arg);
					goto done;
				}
				fail_on = (enum pgw_severity) severity_parse(arg);
				break;
			case OPT_BASELINE:
				baseline_path = arg;
				break;
			case OPT_GUARD:
				strlist_add(&guards, arg);
				break;
			case OPT_RLS:
				rls = true;
				break;
			case OPT_RULES:
				rc = list_rules();
				goto done;
			case OPT_JOBS:
				if (!opt_int(&p, "jobs", arg, 1, 64, &v))
				{
					rc = PGW_EXIT_USAGE;
					goto done;
				}
				jobs = (int) v;
				break;
			case OPT_POSITIONAL:
				strlist_add(&paths, arg);
				break;
			default:
				break;
		}
	}
	if (out_is_json() && format == FMT_SARIF)
	{
		rc = opt_usage_error(&p, NULL, "--json and SARIF output cannot be used together");
		goto done;
	}
	if (format == FMT_JSON && !out_is_json())
		out_setup(true, ctx->no_color, ctx->verbosity);
	if (ctx->db || ctx->env)
		rls = true;
	if (paths.n == 0)
		strlist_add(&paths, ".");
	if (baseline_path && load_baseline(baseline_path, &baseline) != 0)
	{
		pgw_error_prefix("baseline %s", baseline_path);
		rc = out_fail();
		goto done;
	}
	so.guards = &guards;
	so.jobs = jobs;
	if (scan_run(&paths, &so, &res) != 0)
	{
		rc = out_fail();
		goto done;
	}
	if (rls && check_rls(ctx, &res, &rc) != 0)
	{
		scan_result_release(&res);
		goto done;
	}
	findings_suppress(&res.findings, (const char *const *) ctx->cfg.ignore.items, ctx->cfg.ignore.n);
	for (i = 0; i < res.findings.n; i++)
		if (!res.findings.items[i].suppressed &&
			strlist_contains(&baseline, res.findings.items[i].fingerprint))
		{
			res.findings.items[i].suppressed = true;
			nbaseline++;
		}
	if (findings_count_at_least(&res.findings, fail_on) > 0)
		rc = PGW_EXIT_CHECK;
	if (format == FMT_SARIF)
		print_sarif(&res);
	else if (format == FMT_JSON)
	{
		json_t	   *doc = out_json_envelope(rc == PGW_EXIT_OK);
		json_t	   *summary = findings_summary_json(&res.findings);

		json_object_set_new(summary, "files", json_integer((json_int_t) res.nfiles));
		json_object_set_new(summary, "bytes", json_integer((json_int_t) res.nbytes));
		json_object_set_new(summary, "skipped", json_integer((json_int_t) res.nskipped));
		json_object_set_new(summary, "ignored_inline", json_integer((json_int_t) res.nsuppressed_inline));
		json_object_set_new(summary, "baseline", json_integer((json_int_t) nbaseline));
		json_object_set_new(summary, "fail_on", json_string(severity_name(fail_on)));
		json_object_set_new(summary, "rls_checked", json_boolean(rls));
		json_object_set_new(doc, "summary", summary);
		json_object_set_new(doc, "findings", findings_to_json(&res.findings));
		out_json_emit(doc);
	}
	else
	{
		size_t		ne = findings_count_at_least(&res.findings, PGW_SEV_ERROR);
		size_t		nw = findings_count_at_least(&res.findings, PGW_SEV_WARNING) - ne;

		print_text(&res);
		if (!out_is_quiet())
			out_printf("%zu file%s scanned%s: %zu error%s, %zu warning%s%s\n", res.nfiles,
					   res.nfiles == 1 ? "" : "s", res.nskipped ? " (some skipped: minified or too big)" : "",
					   ne, ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s",
					   nbaseline ? " (more in the baseline)" : "");
	}
	scan_result_release(&res);
done:
	strlist_release(&paths);
	strlist_release(&guards);
	strlist_release(&baseline);
	return rc;
}
