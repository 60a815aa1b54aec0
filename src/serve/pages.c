/*
 * pages.c — the HTML pages of `pgwarden serve` (pages.h).  Each page runs
 * the commands it shows through serve_run() (the very documents the API
 * gives) and renders them server-side into the layout template embedded
 * from src/serve/assets/layout.html; charts are inline SVG drawn here.
 * Every value is HTML-escaped; nothing is loaded from anywhere else.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/metrics.h"
#include "serve/pages.h"
#include "util/embedded.h"
#include "util/mem.h"

typedef const char *(*arg_fn) (void *, const char *);

static void
esc(struct pgw_buf *b, const char *s)
{
	for (; s && *s; s++)
		switch (*s)
		{
			case '<':
				buf_append(b, "&lt;");
				break;
			case '>':
				buf_append(b, "&gt;");
				break;
			case '&':
				buf_append(b, "&amp;");
				break;
			case '"':
				buf_append(b, "&quot;");
				break;
			case '\'':
				buf_append(b, "&#39;");
				break;
			default:
				buf_append_char(b, *s);
		}
}

/* a JSON value as short text */
static char *
text_of(json_t *v)
{
	if (!v || json_is_null(v))
		return pgw_strdup("–");
	if (json_is_string(v))
		return pgw_strdup(json_string_value(v));
	if (json_is_integer(v))
		return pgw_asprintf("%lld", (long long) json_integer_value(v));
	if (json_is_real(v))
		return pgw_asprintf("%.2f", json_real_value(v));
	if (json_is_boolean(v))
		return pgw_strdup(json_is_true(v) ? "yes" : "no");
	return json_dumps(v, JSON_COMPACT);
}

static void
esc_json(struct pgw_buf *b, json_t *v)
{
	char	   *t = text_of(v);

	esc(b, t);
	free(t);
}

/* An array of objects as a table, columns from the first row. */
static void
table_of(struct pgw_buf *b, json_t *rows, const char *empty)
{
	json_t	   *first = json_array_get(rows, 0);
	const char *key;
	json_t	   *v;
	size_t		i;

	if (!json_is_object(first))
	{
		buf_append(b, "<p class=\"muted\">");
		esc(b, empty);
		buf_append(b, "</p>\n");
		return;
	}
	buf_append(b, "<table><thead><tr>");
	json_object_foreach(first, key, v)
	{
		buf_append(b, "<th>");
		esc(b, key);
		buf_append(b, "</th>");
	}
	buf_append(b, "</tr></thead><tbody>\n");
	for (i = 0; i < json_array_size(rows); i++)
	{
		json_t	   *row = json_array_get(rows, i);

		buf_append(b, "<tr>");
		json_object_foreach(first, key, v)
		{
			buf_append(b, "<td>");
			esc_json(b, json_object_get(row, key));
			buf_append(b, "</td>");
		}
		buf_append(b, "</tr>\n");
	}
	buf_append(b, "</tbody></table>\n");
}

static json_t *
run(struct serve_server *s, int *rc, const char *a0, const char *a1, const char *a2)
{
	char	   *argv[4] = {(char *) a0, (char *) a1, (char *) a2, NULL};
	int			argc = a2 ? 3 : a1 ? 2 : 1;
	json_t	   *doc = NULL;

	*rc = serve_run(s, false, argc, argv, &doc);
	return doc;
}

/* A notice when a document is an error (cannot connect, busy, ...). */
static bool
failed(struct pgw_buf *b, const char *what, json_t *doc, int rc)
{
	json_t	   *err = json_object_get(doc, "error");

	if (doc && !err)
		return false;
	buf_append(b, "<div class=\"alert\" role=\"alert\"><strong>");
	esc(b, what);
	buf_append(b, ":</strong> ");
	if (rc < 0)
		buf_append(b, "the server is busy with another request; reload in a moment");
	else if (rc == 3)
	{
		buf_append(b, "cannot connect — ");
		esc_json(b, json_object_get(err, "message"));
	}
	else
		esc_json(b, json_object_get(err, "message"));
	if (json_is_string(json_object_get(err, "hint")))
	{
		buf_append(b, "<br><span class=\"muted\">hint: ");
		esc_json(b, json_object_get(err, "hint"));
		buf_append(b, "</span>");
	}
	buf_append(b, "</div>\n");
	return true;
}

static void
card(struct pgw_buf *b, const char *id, const char *label, const char *value, const char *cls)
{
	buf_printf(b, "<div class=\"card %s\" id=\"%s\"><div class=\"label\">", cls ? cls : "", id);
	esc(b, label);
	buf_append(b, "</div><div class=\"value\">");
	esc(b, value);
	buf_append(b, "</div></div>\n");
}

static const char *
sum_str(json_t *doc, const char *key, char *tmp, size_t n)
{
	json_t	   *v = json_object_get(json_object_get(doc, "summary"), key);

	if (json_is_integer(v))
		snprintf(tmp, n, "%lld", (long long) json_integer_value(v));
	else if (json_is_string(v))
		snprintf(tmp, n, "%s", json_string_value(v));
	else
		snprintf(tmp, n, "–");
	return tmp;
}

/* A card with summary[key] of doc, styled cls_nonzero unless it is 0. */
static void
card_count(struct pgw_buf *b, const char *id, const char *label, json_t *doc, const char *key,
		   const char *cls_nonzero)
{
	char		tmp[64];

	sum_str(doc, key, tmp, sizeof tmp);
	card(b, id, label, tmp, strcmp(tmp, "0") != 0 ? cls_nonzero : (cls_nonzero ? "good" : NULL));
}

static char *
page_overview(struct serve_server *s, arg_fn arg, void *cls)
{
	struct pgw_buf b;
	const char *why = NULL;
	json_t	   *live = metrics_overview(serve_metrics_of(s), &why);
	json_t	   *mig,
			   *drift,
			   *doc,
			   *health;
	int			rc_m,
				rc_d,
				rc_doc,
				rc_h;
	char		tmp[64];

	(void) arg;
	(void) cls;
	buf_init(&b);
	if (!live)
	{
		buf_append(&b, "<div class=\"alert\" role=\"alert\" id=\"down\"><strong>cannot connect:</strong> ");
		esc(&b, why);
		buf_append(&b, ". The page recovers by itself when the database is back.</div>\n");
		return buf_steal(&b);
	}
	health = run(s, &rc_h, "health", NULL, NULL);
	mig = run(s, &rc_m, "migrate", "status", NULL);
	drift = run(s, &rc_d, "diff", "compare", NULL);
	doc = run(s, &rc_doc, "doctor", NULL, NULL);

	buf_append(&b, "<section class=\"cards\">\n");
	card(&b, "server-version", "server version", json_string_value(json_object_get(live, "server_version")), NULL);
	card(&b, "database", "database", json_string_value(json_object_get(live, "database")), NULL);
	card(&b, "size", "size", json_string_value(json_object_get(live, "size")), NULL);
	snprintf(tmp, sizeof tmp, "%lld / %lld", (long long) json_integer_value(json_object_get(live, "connections")),
			 (long long) json_integer_value(json_object_get(live, "max_connections")));
	card(&b, "connections", "connections", tmp, NULL);
	if (json_is_real(json_object_get(live, "cache_hit_pct")))
		snprintf(tmp, sizeof tmp, "%.2f %%", json_real_value(json_object_get(live, "cache_hit_pct")));
	else
		snprintf(tmp, sizeof tmp, "–");
	card(&b, "cache-hit", "cache hit ratio", tmp, NULL);
	if (health && !json_object_get(health, "error"))
	{
		const char *st = json_string_value(json_object_get(json_object_get(health, "summary"), "status"));

		card(&b, "health-status", "health", st ? st : "–", st && strcmp(st, "ok") != 0 ? "warn" : "good");
	}
	if (mig && !json_object_get(mig, "error"))
		card_count(&b, "pending", "pending migrations", mig, "pending", "warn");
	else
		card(&b, "pending", "pending migrations", "unknown", "warn");
	if (drift && !json_object_get(drift, "error"))
	{
		bool		drifted = json_is_true(json_object_get(json_object_get(drift, "summary"), "drift"));

		card(&b, "drift", "drift", drifted ? "yes" : "no", drifted ? "bad" : "good");
	}
	else
		card(&b, "drift", "drift", "no snapshot", "muted");
	buf_append(&b, "</section>\n");

	buf_append(&b, "<h2>Findings by severity</h2>\n");
	if (!failed(&b, "doctor", doc, rc_doc))
	{
		buf_append(&b, "<section class=\"cards\">\n");
		card_count(&b, "sev-error", "error", doc, "error", "bad");
		card_count(&b, "sev-warning", "warning", doc, "warning", "warn");
		card_count(&b, "sev-info", "info", doc, "info", NULL);
		buf_append(&b, "</section>\n<p><a href=\"/findings\">All findings →</a></p>\n");
	}
	if (drift && json_object_get(drift, "error"))
	{
		buf_append(&b, "<p class=\"muted\">Drift: ");
		esc_json(&b, json_object_get(json_object_get(drift, "error"), "message"));
		buf_append(&b, " (capture one with <code>pgwarden diff capture</code>)</p>\n");
	}
	json_decref(live);
	json_decref(health);
	json_decref(mig);
	json_decref(drift);
	json_decref(doc);
	return buf_steal(&b);
}

static const char *
object_table(json_t *f)
{
	json_t	   *o = json_object_get(f, "object");
	json_t	   *t = json_object_get(o, "table");

	if (json_is_string(json_object_get(t, "table")))
		return json_string_value(json_object_get(t, "table"));
	if (json_is_string(json_object_get(o, "table")))
		return json_string_value(json_object_get(o, "table"));
	return json_string_value(json_object_get(o, "name"));
}

static bool
matches(const char *want, const char *have, bool prefix)
{
	if (!want || !*want)
		return true;
	if (!have)
		return false;
	return prefix ? strncmp(have, want, strlen(want)) == 0 : strcmp(have, want) == 0;
}

static void
finding_rows(struct pgw_buf *b, json_t *findings, const char *source, arg_fn arg, void *cls, int *shown)
{
	size_t		i;

	for (i = 0; i < json_array_size(findings); i++)
	{
		json_t	   *f = json_array_get(findings, i);
		const char *rule = json_string_value(json_object_get(f, "rule"));
		const char *sev = json_string_value(json_object_get(f, "severity"));
		const char *table = object_table(f);
		json_t	   *fix = json_object_get(f, "fix");
		char	   *objtext;

		if (!matches(arg(cls, "rule"), rule, true) || !matches(arg(cls, "severity"), sev, false) ||
			!matches(arg(cls, "table"), table, false))
			continue;
		(*shown)++;
		buf_append(b, "<tr class=\"finding sev-");
		esc(b, sev);
		buf_append(b, "\" data-rule=\"");
		esc(b, rule);
		buf_append(b, "\" data-severity=\"");
		esc(b, sev);
		buf_append(b, "\" data-table=\"");
		esc(b, table);
		buf_append(b, "\"><td><span class=\"badge ");
		esc(b, sev);
		buf_append(b, "\">");
		esc(b, sev);
		buf_append(b, "</span></td><td><code>");
		esc(b, rule);
		buf_append(b, "</code></td><td>");
		esc(b, source);
		buf_append(b, "</td><td>");
		objtext = table ? pgw_strdup(table) : pgw_strdup("–");
		esc(b, objtext);
		free(objtext);
		buf_append(b, "</td><td>");
		esc_json(b, json_object_get(f, "message"));
		if (json_is_string(json_object_get(f, "hint")))
		{
			buf_append(b, "<div class=\"hint\">hint: ");
			esc_json(b, json_object_get(f, "hint"));
			buf_append(b, "</div>");
		}
		buf_append(b, "</td><td>");
		if (json_is_string(json_object_get(fix, "sql")))
		{
			buf_append(b, "<pre class=\"sql\">");
			esc_json(b, json_object_get(fix, "sql"));
			buf_append(b, "</pre>");
		}
		if (json_is_string(json_object_get(fix, "action")))
		{
			size_t		k;

			buf_append(b, "<code>pgwarden generate ");
			esc_json(b, json_object_get(fix, "action"));
			for (k = 0; k < json_array_size(json_object_get(fix, "args")); k++)
			{
				buf_append_char(b, ' ');
				esc_json(b, json_array_get(json_object_get(fix, "args"), k));
			}
			buf_append(b, "</code>");
		}
		else if (json_is_object(fix) && !json_is_string(json_object_get(fix, "sql")))
			esc_json(b, fix);
		buf_append(b, "</td></tr>\n");
	}
}

static char *
page_findings(struct serve_server *s, arg_fn arg, void *cls)
{
	struct pgw_buf b;
	int			rc_doc,
				rc_h,
				shown = 0;
	json_t	   *doc = run(s, &rc_doc, "doctor", NULL, NULL);
	json_t	   *health = run(s, &rc_h, "health", NULL, NULL);
	const char *sevs[] = {"", "error", "warning", "info"};
	size_t		i;

	buf_init(&b);
	buf_append(&b, "<form class=\"filters\" method=\"get\" action=\"/findings\">\n"
			   "<label>rule <input name=\"rule\" id=\"f-rule\" placeholder=\"rls. or rls.disabled\" value=\"");
	esc(&b, arg(cls, "rule"));
	buf_append(&b, "\"></label>\n<label>severity <select name=\"severity\" id=\"f-severity\">");
	for (i = 0; i < 4; i++)
	{
		const char *cur = arg(cls, "severity");

		buf_printf(&b, "<option value=\"%s\"%s>%s</option>", sevs[i],
				   cur && strcmp(cur, sevs[i]) == 0 ? " selected" : "", *sevs[i] ? sevs[i] : "any");
	}
	buf_append(&b, "</select></label>\n<label>table <input name=\"table\" id=\"f-table\" value=\"");
	esc(&b, arg(cls, "table"));
	buf_append(&b, "\"></label>\n<button type=\"submit\">Filter</button></form>\n");
	if (!failed(&b, "doctor", doc, rc_doc))
	{
		buf_append(&b, "<table id=\"findings\"><thead><tr><th>severity</th><th>rule</th><th>from</th>"
				   "<th>table</th><th>finding and hint</th><th>fix</th></tr></thead><tbody>\n");
		finding_rows(&b, json_object_get(doc, "findings"), "doctor", arg, cls, &shown);
		if (health && !json_object_get(health, "error"))
			finding_rows(&b, json_object_get(health, "findings"), "health", arg, cls, &shown);
		buf_append(&b, "</tbody></table>\n");
		buf_printf(&b, "<p class=\"muted\" id=\"count\">%d finding%s shown</p>\n", shown, shown == 1 ? "" : "s");
	}
	json_decref(doc);
	json_decref(health);
	return buf_steal(&b);
}

static char *
page_migrations(struct serve_server *s, arg_fn arg, void *cls)
{
	struct pgw_buf b;
	int			rc;
	json_t	   *mig = run(s, &rc, "migrate", "status", NULL);

	(void) arg;
	(void) cls;
	buf_init(&b);
	if (!failed(&b, "migrate status", mig, rc))
	{
		buf_append(&b, "<section class=\"cards\">\n");
		card_count(&b, "m-applied", "applied", mig, "applied", NULL);
		card_count(&b, "m-pending", "pending", mig, "pending", "warn");
		card_count(&b, "m-changed", "checksum changed", mig, "changed", "bad");
		card_count(&b, "m-missing", "missing files", mig, "missing", "bad");
		card_count(&b, "m-failed", "failed", mig, "failed", "bad");
		buf_append(&b, "</section>\n");
		table_of(&b, json_object_get(mig, "migrations"), "no migrations yet");
		if (serve_options_of(s)->allow_apply)
			buf_append(&b, "<form method=\"post\" action=\"/api/migrate/up\" class=\"apply\">"
					   "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\"> I want to apply the pending "
					   "migrations (migrate up --safe: lint, sandbox test, apply, verify, roll back on failure)</label> "
					   "<button type=\"submit\">Apply pending migrations</button></form>\n");
		else
			buf_append(&b, "<p class=\"muted\">Read-only: start <code>pgwarden serve --allow-apply</code> to apply pending migrations from here.</p>\n");
	}
	json_decref(mig);
	return buf_steal(&b);
}

/* One line chart of samples[key]; gaps where the database was down. */
static void
chart(struct pgw_buf *b, json_t *samples, const char *key, const char *title, const char *unit)
{
	const int	w = 560,
				h = 140,
				pad = 30;
	size_t		n = json_array_size(samples),
				i;
	double		maxv = 0,
				last = NAN;
	bool		pen = false;

	for (i = 0; i < n; i++)
	{
		json_t	   *v = json_object_get(json_array_get(samples, i), key);

		if (json_is_number(v) && json_number_value(v) > maxv)
			maxv = json_number_value(v);
	}
	if (maxv <= 0)
		maxv = 1;
	if (strcmp(key, "cache_hit_pct") == 0)
		maxv = 100;
	buf_printf(b, "<figure class=\"chart\" id=\"chart-%s\"><figcaption>", key);
	esc(b, title);
	for (i = n; i > 0; i--)
	{
		json_t	   *v = json_object_get(json_array_get(samples, i - 1), key);

		if (json_is_number(v))
		{
			last = json_number_value(v);
			break;
		}
	}
	if (!isnan(last))
		buf_printf(b, " — now %.2f %s", last, unit);
	buf_printf(b, "</figcaption><svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", w, h);
	esc(b, title);
	buf_printf(b, "\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", pad, h - pad / 2, w, h - pad / 2);
	buf_printf(b, "<text x=\"2\" y=\"12\" font-size=\"10\" fill=\"#666\">%.4g</text>"
			   "<text x=\"2\" y=\"%d\" font-size=\"10\" fill=\"#666\">0</text>", maxv, h - pad / 2);
	if (n > 0)
	{
		buf_append(b, "<path fill=\"none\" stroke=\"#2a6fdb\" stroke-width=\"2\" d=\"");
		for (i = 0; i < n; i++)
		{
			json_t	   *v = json_object_get(json_array_get(samples, i), key);
			double		x = pad + (n == 1 ? 0 : (double) (w - pad) * i / (n - 1));
			double		y;

			if (!json_is_number(v))
			{
				pen = false;
				continue;
			}
			y = (h - pad / 2) - (h - pad) * json_number_value(v) / maxv;
			buf_printf(b, "%s%.1f %.1f ", pen ? "L" : "M", x, y);
			pen = true;
		}
		buf_append(b, "\"/>");
	}
	else
		buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#666\">no samples yet</text>", w / 3, h / 2);
	buf_append(b, "</svg></figure>\n");
}

static char *
page_health(struct serve_server *s, arg_fn arg, void *cls)
{
	struct pgw_buf b;
	json_t	   *m = metrics_json(serve_metrics_of(s));
	json_t	   *samples = json_object_get(m, "samples");
	json_t	   *lastup = json_array_get(samples, json_array_size(samples) - 1);
	int			rc;
	json_t	   *health;
	const char *key;
	json_t	   *v;

	(void) arg;
	(void) cls;
	buf_init(&b);
	if (lastup && !json_is_true(json_object_get(lastup, "up")))
	{
		buf_append(&b, "<div class=\"alert\" role=\"alert\" id=\"down\"><strong>cannot connect:</strong> ");
		esc_json(&b, json_object_get(lastup, "error"));
		buf_append(&b, " (last sample). The charts go on when the database is back.</div>\n");
	}
	buf_printf(&b, "<p class=\"muted\">Sampled every %lld s while serve runs (%zu samples; also in "
			   ".pgwarden/metrics.jsonl). <label><input type=\"checkbox\" id=\"autorefresh\" data-seconds=\"%lld\"> "
			   "refresh automatically</label></p>\n<section class=\"charts\">\n",
			   (long long) json_integer_value(json_object_get(m, "interval_s")), json_array_size(samples),
			   (long long) json_integer_value(json_object_get(m, "interval_s")));
	chart(&b, samples, "connections", "connections", "");
	chart(&b, samples, "cache_hit_pct", "cache hit ratio", "%");
	chart(&b, samples, "tps", "transactions per second", "tps");
	chart(&b, samples, "longest_query_s", "longest running query", "s");
	chart(&b, samples, "lock_waits", "sessions waiting for a lock", "");
	buf_append(&b, "</section>\n");
	health = run(s, &rc, "health", NULL, NULL);
	if (!failed(&b, "health", health, rc))
		json_object_foreach(json_object_get(health, "sections"), key, v)
		{
			if (!json_is_array(v))
				continue;
			buf_append(&b, "<h2>");
			esc(&b, key);
			buf_append(&b, "</h2>\n");
			table_of(&b, v, "none");
		}
	json_decref(health);
	json_decref(m);
	return buf_steal(&b);
}

static void
names_of(struct pgw_buf *b, json_t *arr, const char *key)
{
	size_t		i;

	for (i = 0; i < json_array_size(arr); i++)
	{
		json_t	   *o = json_array_get(arr, i);

		buf_append(b, "<li><code>");
		esc_json(b, json_object_get(o, "name"));
		buf_append(b, "</code>");
		if (key && json_object_get(o, key))
		{
			buf_append(b, " ");
			esc_json(b, json_object_get(o, key));
		}
		buf_append(b, "</li>");
	}
}

static char *
page_schema(struct serve_server *s, arg_fn arg, void *cls)
{
	struct pgw_buf b;
	int			rc;
	json_t	   *snap = run(s, &rc, "inspect", "--out", "-");
	json_t	   *tables = json_object_get(snap, "tables");
	size_t		i,
				shown = 0;

	(void) arg;
	(void) cls;
	buf_init(&b);
	if (!snap || (json_object_get(snap, "error") && failed(&b, "inspect", snap, rc)))
	{
		if (!snap)
			failed(&b, "inspect", snap, rc);
		json_decref(snap);
		return buf_steal(&b);
	}
	buf_append(&b, "<p><input id=\"schema-filter\" placeholder=\"filter tables\"></p>\n");
	for (i = 0; i < json_array_size(tables); i++)
	{
		json_t	   *t = json_array_get(tables, i);
		json_t	   *cols = json_object_get(t, "columns");
		size_t		k;

		if (!json_is_true(json_object_get(t, "managed")))
			continue;
		shown++;
		buf_append(&b, "<details class=\"table\" data-name=\"");
		esc_json(&b, json_object_get(t, "name"));
		buf_append(&b, "\" open><summary><strong>");
		esc_json(&b, json_object_get(t, "schema"));
		buf_append(&b, ".");
		esc_json(&b, json_object_get(t, "name"));
		buf_append(&b, "</strong> ");
		buf_append(&b, json_is_true(json_object_get(t, "rls_enabled"))
				   ? "<span class=\"badge good\">RLS on</span>" : "<span class=\"badge warning\">RLS off</span>");
		buf_append(&b, "</summary>\n<table><thead><tr><th>column</th><th>type</th><th>not null</th><th>default</th></tr></thead><tbody>");
		for (k = 0; k < json_array_size(cols); k++)
		{
			json_t	   *c = json_array_get(cols, k);

			buf_append(&b, "<tr><td>");
			esc_json(&b, json_object_get(c, "name"));
			buf_append(&b, "</td><td>");
			esc_json(&b, json_object_get(c, "type"));
			buf_append(&b, "</td><td>");
			esc_json(&b, json_object_get(c, "not_null"));
			buf_append(&b, "</td><td>");
			esc_json(&b, json_object_get(c, "default"));
			buf_append(&b, "</td></tr>");
		}
		buf_append(&b, "</tbody></table>\n<div class=\"cols3\"><div><h4>constraints</h4><ul>");
		names_of(&b, json_object_get(t, "constraints"), "type");
		buf_append(&b, "</ul></div><div><h4>indexes</h4><ul>");
		names_of(&b, json_object_get(t, "indexes"), "definition");
		buf_append(&b, "</ul></div><div><h4>policies</h4><ul>");
		names_of(&b, json_object_get(t, "policies"), "command");
		buf_append(&b, "</ul></div></div></details>\n");
	}
	if (!shown)
		buf_append(&b, "<p class=\"muted\">no tables in the managed schemas</p>\n");
	json_decref(snap);
	return buf_steal(&b);
}

static char *
page_diagnostics(struct serve_server *s, arg_fn arg, void *cls)
{
	struct pgw_buf b;
	json_t	   *report = json_object();
	const char *const cmds[][2] = {{"health", NULL}, {"doctor", NULL}, {"validate", NULL},
	{"migrate", "status"}, {"diff", "compare"}, {"backup", "list"}};
	size_t		i;
	char	   *text;
	const char *why = NULL;
	json_t	   *live;

	(void) arg;
	(void) cls;
	buf_init(&b);
	json_object_set_new(report, "about", json_string("pgwarden diagnostics: every report below is the --json document of that command, taken now"));
	live = metrics_overview(serve_metrics_of(s), &why);
	json_object_set_new(report, "target", json_string(serve_options_of(s)->target_display));
	json_object_set_new(report, "server", live ? live : json_pack("{s:s}", "error", why));
	json_object_set_new(report, "metrics_latest", metrics_latest(serve_metrics_of(s)));
	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
	{
		int			rc;
		json_t	   *doc = run(s, &rc, cmds[i][0], cmds[i][1], NULL);
		char	   *key = cmds[i][1] ? pgw_asprintf("%s %s", cmds[i][0], cmds[i][1]) : pgw_strdup(cmds[i][0]);

		json_object_set_new(report, key, doc ? doc : json_pack("{s:s}", "error", "busy"));
		free(key);
	}
	text = json_dumps(report, JSON_INDENT(2));
	buf_append(&b, "<p>The full report as one JSON document, ready to paste into an AI assistant. "
			   "Nothing is sent anywhere: the button only copies it to your clipboard.</p>\n"
			   "<p><button type=\"button\" id=\"copy-json\" data-target=\"report\">Copy as JSON for an AI assistant</button> "
			   "<span id=\"copy-status\" class=\"muted\"></span></p>\n<pre id=\"report\">");
	esc(&b, text);
	buf_append(&b, "</pre>\n");
	free(text);
	json_decref(report);
	return buf_steal(&b);
}

const struct serve_page serve_pages[] = {
	{"/", "Overview", page_overview},
	{"/findings", "Findings", page_findings},
	{"/migrations", "Migrations", page_migrations},
	{"/health", "Health", page_health},
	{"/schema", "Schema", page_schema},
	{"/diagnostics", "Diagnostics", page_diagnostics},
	{NULL, NULL, NULL}
};

const struct serve_page *
pages_find(const char *path)
{
	size_t		i;

	for (i = 0; serve_pages[i].path; i++)
		if (strcmp(serve_pages[i].path, path) == 0)
			return &serve_pages[i];
	return NULL;
}

char *
pages_render(struct serve_server *s, const struct serve_page *p, arg_fn arg, void *cls)
{
	const char *tpl = embedded_get("src/serve/assets/layout.html");
	char	   *body = p->render(s, arg, cls);
	struct pgw_buf nav,
				out;
	size_t		i;
	const char *c;

	buf_init(&nav);
	for (i = 0; serve_pages[i].path; i++)
		buf_printf(&nav, "<a href=\"%s\"%s>%s</a>", serve_pages[i].path,
				   &serve_pages[i] == p ? " class=\"current\" aria-current=\"page\"" : "", serve_pages[i].title);
	buf_init(&out);
	for (c = tpl ? tpl : "{{body}}"; *c;)
	{
		if (strncmp(c, "{{title}}", 9) == 0)
		{
			esc(&out, p->title);
			c += 9;
		}
		else if (strncmp(c, "{{target}}", 10) == 0)
		{
			esc(&out, serve_options_of(s)->target_display);
			c += 10;
		}
		else if (strncmp(c, "{{nav}}", 7) == 0)
		{
			buf_append(&out, nav.data ? nav.data : "");
			c += 7;
		}
		else if (strncmp(c, "{{body}}", 8) == 0)
		{
			buf_append(&out, body);
			c += 8;
		}
		else
			buf_append_char(&out, *c++);
	}
	buf_release(&nav);
	free(body);
	return buf_steal(&out);
}
