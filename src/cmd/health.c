/*
 * health.c — `pgwarden health`: the live view of the database as one
 * report (check/health.c gathers it), an overall status with its reasons,
 * exit 1 when critical; --watch repeats it in place.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check/health.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/mem.h"

#define HEALTH_USAGE "pgwarden health [--watch SECONDS [--count N]] [--long-query SECONDS] [--idle-in-transaction SECONDS] [--top N]"

enum
{
	OPT_WATCH = 1,
	OPT_COUNT,
	OPT_LONG,
	OPT_IDLE,
	OPT_TOP
};

static volatile sig_atomic_t stop_watching;

static void
on_signal(int sig)
{
	(void) sig;
	stop_watching = 1;
}

/* Section titles, in display order, and the columns text leaves out. */
static const struct
{
	const char *key;
	const char *title;
	const char *hide;			/* comma-separated */
}			layout[] = {
	{"connections", "connections", "total,max_connections"},
	{"blocking", "blocking locks (who waits for whom)", ""},
	{"long_queries", "long-running queries and transactions", ""},
	{"cache", "cache hit ratio", ""},
	{"unused_indexes", "unused indexes (never scanned, not unique)", ""},
	{"tables", "largest tables", ""},
	{"vacuum", "transaction ID age (wraparound)", ""},
	{"replication_slots", "replication slots", ""},
	{NULL, NULL, NULL}
};

static bool
hidden(const char *key, const char *hide)
{
	size_t		n = strlen(key);
	const char *p;

	if (n > 6 && strcmp(key + n - 6, "_bytes") == 0)
		return true;
	for (p = hide; *p;)
	{
		size_t		len = strcspn(p, ",");

		if (len == n && strncmp(p, key, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static char *
cell(json_t *v)
{
	if (json_is_null(v) || !v)
		return pgw_strdup("-");
	if (json_is_string(v))
		return pgw_strdup(json_string_value(v));
	if (json_is_integer(v))
		return pgw_asprintf("%lld", (long long) json_integer_value(v));
	if (json_is_real(v))
		return pgw_asprintf("%.2f", json_real_value(v));
	return pgw_strdup(json_is_true(v) ? "yes" : "no");
}

/* Prints rows as a table with a header line; columns as wide as needed. */
static void
print_table(json_t *rows, const char *hide)
{
	json_t	   *first = json_array_get(rows, 0);
	const char *key;
	json_t	   *v;
	size_t		ncol = 0,
				i,
				c;
	const char *cols[32];
	size_t		width[32];

	json_object_foreach(first, key, v)
	{
		if (!hidden(key, hide) && ncol < 32)
		{
			cols[ncol] = key;
			width[ncol++] = strlen(key);
		}
	}
	for (i = 0; i < json_array_size(rows); i++)
		for (c = 0; c < ncol; c++)
		{
			char	   *s = cell(json_object_get(json_array_get(rows, i), cols[c]));

			if (strlen(s) > width[c])
				width[c] = strlen(s);
			free(s);
		}
	out_printf(" ");
	for (c = 0; c < ncol; c++)
		out_printf(" %s%-*s%s", out_style(PGW_STYLE_DIM), c + 1 < ncol ? (int) width[c] : 0, cols[c],
				   out_style_end());
	out_printf("\n");
	for (i = 0; i < json_array_size(rows); i++)
	{
		out_printf(" ");
		for (c = 0; c < ncol; c++)
		{
			char	   *s = cell(json_object_get(json_array_get(rows, i), cols[c]));

			out_printf(" %-*s", c + 1 < ncol ? (int) width[c] : 0, s);
			free(s);
		}
		out_printf("\n");
	}
}

static void
print_report(struct pgw_ctx *ctx, json_t *report, const struct pgw_findings *f)
{
	enum pgw_health_status st = health_status(f);
	size_t		i;
	json_t	   *conns = json_object_get(report, "connections");
	json_t	   *stmts = json_object_get(report, "statements");
	time_t		now = time(NULL);
	char		when[32];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	out_printf("health of %s at %s: %s%s%s\n", ctx->target.display, when,
			   out_style(st == PGW_HEALTH_OK ? PGW_STYLE_OK : st == PGW_HEALTH_WARNING ? PGW_STYLE_WARN : PGW_STYLE_ERROR),
			   st == PGW_HEALTH_OK ? "ok" : st == PGW_HEALTH_WARNING ? "WARNING" : "CRITICAL",
			   out_style_end());
	for (i = 0; i < f->n; i++)
	{
		const struct pgw_finding *x = &f->items[i];

		if (x->severity == PGW_SEV_INFO)
			continue;
		out_printf("  %s%-8s%s %s [%s]\n", out_style(x->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR : PGW_STYLE_WARN),
				   x->severity == PGW_SEV_ERROR ? "critical" : "warning", out_style_end(), x->message, x->rule);
	}
	for (i = 0; layout[i].key; i++)
	{
		json_t	   *rows = json_object_get(report, layout[i].key);

		out_printf("\n%s%s%s", out_style(PGW_STYLE_BOLD), layout[i].title, out_style_end());
		if (i == 0 && json_array_size(rows) > 0)
			out_printf(" (%lld of %lld in use)",
					   (long long) json_integer_value(json_object_get(json_array_get(conns, 0), "total")),
					   (long long) json_integer_value(json_object_get(json_array_get(conns, 0), "max_connections")));
		if (json_array_size(rows) == 0)
		{
			out_printf(": none\n");
			continue;
		}
		out_printf("\n");
		print_table(rows, layout[i].hide);
	}
	out_printf("\n%sstatements%s", out_style(PGW_STYLE_BOLD), out_style_end());
	if (!json_is_object(stmts))
		out_printf(": pg_stat_statements is not installed in this database\n");
	else
	{
		out_printf(" (pg_stat_statements), slowest on average\n");
		print_table(json_object_get(stmts, "slowest"), "");
		out_printf("  most called\n");
		print_table(json_object_get(stmts, "most_called"), "");
	}
}

static json_t *
report_doc(json_t *report, const struct pgw_findings *f)
{
	json_t	   *doc = out_json_envelope(health_status(f) != PGW_HEALTH_CRITICAL);
	json_t	   *summary = findings_summary_json(f);
	time_t		now = time(NULL);
	char		when[32];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	json_object_set_new(summary, "status", json_string(health_status_name(health_status(f))));
	json_object_set_new(summary, "at", json_string(when));
	json_object_set_new(doc, "summary", summary);
	json_object_set_new(doc, "findings", findings_to_json(f));
	json_object_set_new(doc, "sections", json_incref(report));
	return doc;
}

int
cmd_health(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"count", 0, true, OPT_COUNT},
		{"idle-in-transaction", 0, true, OPT_IDLE},
		{"long-query", 0, true, OPT_LONG},
		{"top", 0, true, OPT_TOP},
		{"watch", 'w', true, OPT_WATCH},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	struct pgw_health_opts o = {PGW_HEALTH_LONG_QUERY_S, PGW_HEALTH_IDLE_TX_S, PGW_HEALTH_TOP};
	const char *arg;
	long		n,
				watch = 0,
				count = 0,
				round;
	int			r,
				rc = PGW_EXIT_OK;
	PGconn	   *conn;
	bool		tty = isatty(STDOUT_FILENO);

	opt_init(&p, argc, argv, opts, HEALTH_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_WATCH:
				if (!opt_int(&p, "watch", arg, 1, 86400, &watch))
					return PGW_EXIT_USAGE;
				break;
			case OPT_COUNT:
				if (!opt_int(&p, "count", arg, 1, 1000000, &count))
					return PGW_EXIT_USAGE;
				break;
			case OPT_LONG:
				if (!opt_int(&p, "long-query", arg, 0, 86400 * 7, &n))
					return PGW_EXIT_USAGE;
				o.long_query_s = (int) n;
				break;
			case OPT_IDLE:
				if (!opt_int(&p, "idle-in-transaction", arg, 0, 86400 * 7, &n))
					return PGW_EXIT_USAGE;
				o.idle_tx_s = (int) n;
				break;
			case OPT_TOP:
				if (!opt_int(&p, "top", arg, 1, 1000, &n))
					return PGW_EXIT_USAGE;
				o.top = (int) n;
				break;
			case OPT_POSITIONAL:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (count && !watch)
		return opt_usage_error(&p, "--count sets how many rounds --watch runs", "--count needs --watch");

	conn = ctx_connect(ctx, &rc);
	if (!conn)
		return rc;
	if (watch)
	{
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	for (round = 1; !stop_watching; round++)
	{
		struct pgw_findings f;
		json_t	   *report = NULL;

		findings_init(&f);
		if (health_collect(conn, &o, &report, &f) != 0)
		{
			findings_release(&f);
			rc = out_fail();
			break;
		}
		rc = health_status(&f) == PGW_HEALTH_CRITICAL ? PGW_EXIT_CHECK : PGW_EXIT_OK;
		if (out_is_json())
		{
			if (watch)
				out_json_line(report_doc(report, &f));
			else
				out_json_emit(report_doc(report, &f));
		}
		else
		{
			if (watch && tty)
				out_printf("\033[H\033[2J");
			else if (round > 1)
				out_printf("\n");
			print_report(ctx, report, &f);
			if (watch && !(count && round >= count))
				out_printf("\n(every %ld s; Ctrl-C stops)\n", watch);
			out_flush();
		}
		json_decref(report);
		findings_release(&f);
		if (!watch || (count && round >= count))
			break;
		for (n = 0; n < watch * 10 && !stop_watching; n++)
			usleep(100000);
	}
	PQfinish(conn);
	return rc;
}
