/*
 * gen.c — `pgwarden gen types`: TypeScript types for the database in the
 * shape `supabase gen types typescript` emits (gen/typescript.h), from the
 * live catalog or from a snapshot file (--from), written to stdout or a
 * file; --check compares with the file instead and exits 1 when it is
 * stale, with a short diff.  Read-only on the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/opt.h"
#include "commands.h"
#include "gen/typescript.h"
#include "model/snapshot.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define GEN_USAGE \
	"pgwarden gen types [--lang typescript] [--schema NAME]... [--from SNAPSHOT] " \
	"[--out FILE] [--check] [--strict-views]"

enum
{
	OPT_LANG = 1,
	OPT_SCHEMA,
	OPT_OUT,
	OPT_CHECK,
	OPT_FROM,
	OPT_STRICT_VIEWS
};

/* The next line of text at *p (without its newline), advancing *p. */
static const char *
next_line(const char **p, size_t *len)
{
	const char *s = *p;
	const char *nl;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	*len = nl ? (size_t) (nl - s) : strlen(s);
	*p = nl ? nl + 1 : s + *len;
	return s;
}

struct lines
{
	const char **at;
	size_t	   *len;
	size_t		n;
};

static void
lines_split(const char *text, struct lines *l)
{
	const char *p = text;
	const char *s;
	size_t		len;
	size_t		cap = 0;

	memset(l, 0, sizeof(*l));
	while ((s = next_line(&p, &len)) != NULL)
	{
		if (l->n == cap)
		{
			cap = cap ? cap * 2 : 256;
			l->at = pgw_realloc(l->at, cap * sizeof(*l->at));
			l->len = pgw_realloc(l->len, cap * sizeof(*l->len));
		}
		l->at[l->n] = s;
		l->len[l->n++] = len;
	}
}

static bool
line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/*
 * A short diff of the file (old) against the generated text (new): the
 * changed region between the common head and tail, at most max lines of
 * each side.  Returns the number of changed lines (old + new).
 */
static size_t
short_diff(const char *old, const char *new, struct pgw_buf *out, size_t max)
{
	struct lines a;
	struct lines b;
	size_t		head = 0;
	size_t		tail = 0;
	size_t		shown = 0;
	size_t		changed;

	lines_split(old, &a);
	lines_split(new, &b);
	while (head < a.n && head < b.n && line_eq(&a, head, &b, head))
		head++;
	while (tail < a.n - head && tail < b.n - head && line_eq(&a, a.n - 1 - tail, &b, b.n - 1 - tail))
		tail++;
	changed = (a.n - head - tail) + (b.n - head - tail);
	buf_printf(out, "@@ line %zu @@\n", head + 1);
	for (size_t i = head; i < a.n - tail && shown < max; i++, shown++)
		buf_printf(out, "-%.*s\n", (int) a.len[i], a.at[i]);
	for (size_t i = head; i < b.n - tail && shown < 2 * max; i++, shown++)
		buf_printf(out, "+%.*s\n", (int) b.len[i], b.at[i]);
	if (shown < changed)
		buf_printf(out, "... and %zu more changed lines\n", changed - shown);
	free(a.at);
	free(a.len);
	free(b.at);
	free(b.len);
	return changed;
}

static json_t *
stats_json(const struct pgw_gen_stats *st, size_t bytes, const char *lang)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "lang", lang,
					 "tables", (json_int_t) st->tables, "views", (json_int_t) st->views,
					 "functions", (json_int_t) st->functions, "enums", (json_int_t) st->enums,
					 "composite_types", (json_int_t) st->composites, "bytes", (json_int_t) bytes);
}

/* Reads the model: from a snapshot, or the live catalog of the schemas. */
static int
read_model(struct pgw_ctx *ctx, const char *from, const struct pgw_strlist *schemas,
		   struct pgw_model *model)
{
	struct pgw_catalog_opts copts = {0};
	struct pgw_catalog_stats stats = {0};
	struct pgw_strlist include = {0};
	struct pgw_strlist none = {0};
	PGconn	   *conn;
	int			rc;

	if (from)
		return snapshot_read_file(from, model, NULL) == 0 ? PGW_EXIT_OK : out_fail();
	if (target_resolve(&ctx->cfg, ctx->db, ctx->env, &ctx->target) != 0)
		return out_fail();
	ctx->has_target = true;
	{
		json_t	   *t = target_to_json(&ctx->target);

		out_set_target(t);
		json_decref(t);
	}
	conn = ctx_connect(ctx, &rc);
	if (!conn)
		return rc;
	/* exactly the schemas asked for: a name is not a pattern here */
	for (size_t i = 0; i < schemas->n; i++)
		strlist_add(&include, schemas->items[i]);
	if (include.n == 0)
		strlist_add(&include, "public");
	copts.stable = true;
	copts.include = &include;
	copts.exclude = &none;
	copts.managed = &ctx->cfg.schemas;
	copts.tenant_column = ctx->cfg.tenant_column;
	if (catalog_read(&conn, 1, &copts, model, &stats) != 0)
	{
		pgw_error_prefix("cannot read the schema of %s", ctx->target.display);
		rc = out_fail();
	}
	PQfinish(conn);
	catalog_stats_release(&stats);
	strlist_release(&include);
	return rc;
}

static int
gen_types(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"check", 0, false, OPT_CHECK},
		{"from", 0, true, OPT_FROM},
		{"lang", 'l', true, OPT_LANG},
		{"out", 'o', true, OPT_OUT},
		{"schema", 'n', true, OPT_SCHEMA},
		{"strict-views", 0, false, OPT_STRICT_VIEWS},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *out = NULL;
	const char *from = NULL;
	const char *lang = "typescript";
	const char *sub = NULL;
	bool		check = false;
	struct pgw_strlist schemas = {0};
	struct pgw_gen_opts gopts = {0};
	struct pgw_gen_stats st = {0};
	struct pgw_model model;
	struct pgw_buf text;
	char	   *old = NULL;
	int			rc = PGW_EXIT_OK;
	int			r;

	opt_init(&p, argc, argv, opts, GEN_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				strlist_release(&schemas);
				return PGW_EXIT_USAGE;
			case OPT_LANG:
				lang = arg;
				break;
			case OPT_SCHEMA:
				strlist_add(&schemas, arg);
				break;
			case OPT_OUT:
				out = arg;
				break;
			case OPT_CHECK:
				check = true;
				break;
			case OPT_FROM:
				from = arg;
				break;
			case OPT_STRICT_VIEWS:
				gopts.strict_views = true;
				break;
			case OPT_POSITIONAL:
				if (!sub)
				{
					sub = arg;
					break;
				}
				/* FALLTHROUGH */
			default:
				strlist_release(&schemas);
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (!sub || strcmp(sub, "types") != 0)
	{
		strlist_release(&schemas);
		if (!sub)
			return opt_usage_error(&p, "the one generator is 'types': pgwarden gen types",
								   "missing what to generate");
		return opt_usage_error(&p, "the one generator is 'types': pgwarden gen types",
							   "unknown generator '%s'", sub);
	}
	if (strcmp(lang, "typescript") != 0 && strcmp(lang, "ts") != 0)
	{
		strlist_release(&schemas);
		return opt_usage_error(&p, "only TypeScript is generated for now",
							   "unknown language '%s'", lang);
	}
	if (check && (!out || strcmp(out, "-") == 0))
	{
		strlist_release(&schemas);
		return opt_usage_error(&p, "name the checked-in file: --check --out src/types/database.ts",
							   "--check needs --out FILE");
	}
	gopts.schemas = &schemas;

	model_init(&model);
	buf_init(&text);
	if ((rc = read_model(ctx, from, &schemas, &model)) != PGW_EXIT_OK)
		goto done;
	if (gen_typescript(&model, &gopts, &text, &st) != 0)
	{
		rc = out_fail();
		goto done;
	}

	if (check)
	{
		size_t		len = 0;
		bool		missing = !fs_exists(out);
		json_t	   *doc;
		struct pgw_buf diff;
		size_t		changed = 0;

		if (!missing && fs_read_file(out, &old, &len) != 0)
		{
			rc = out_fail();
			goto done;
		}
		buf_init(&diff);
		if (!missing && strcmp(old, text.data) != 0)
			changed = short_diff(old, text.data, &diff, 20);
		if (out_is_json())
		{
			json_t	   *summary = stats_json(&st, text.len, "typescript");

			json_object_set_new(summary, "up_to_date", json_boolean(!missing && !changed));
			json_object_set_new(summary, "changed_lines", json_integer((json_int_t) changed));
			doc = out_json_envelope(!missing && !changed);
			json_object_set_new(doc, "summary", summary);
			json_object_set_new(doc, "file", json_string(out));
			json_object_set_new(doc, "missing", json_boolean(missing));
			if (diff.len)
				json_object_set_new(doc, "diff", json_string(diff.data));
			out_json_emit(doc);
		}
		else if (missing)
			out_printf("%s is missing: run 'pgwarden gen types --out %s' to write it\n", out, out);
		else if (changed)
			out_printf("%s is out of date (%zu changed lines):\n%s\nrun 'pgwarden gen types --out %s' to update it\n",
					   out, changed, diff.data, out);
		else
			out_printf("%s is up to date (%zu tables, %zu views, %zu functions, %zu enums)\n",
					   out, st.tables, st.views, st.functions, st.enums);
		buf_release(&diff);
		rc = (missing || changed) ? PGW_EXIT_CHECK : PGW_EXIT_OK;
		goto done;
	}

	if (out && strcmp(out, "-") != 0)
	{
		char	   *dir = fs_dirname(out);

		if (dir && *dir && !fs_is_dir(dir) && fs_mkdir_p(dir, 0755) != 0)
			rc = out_fail();
		free(dir);
		if (rc == PGW_EXIT_OK && fs_write_file(out, text.data, text.len, 0644) != 0)
			rc = out_fail();
		if (rc != PGW_EXIT_OK)
			goto done;
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "summary", stats_json(&st, text.len, "typescript"));
		if (out && strcmp(out, "-") != 0)
			json_object_set_new(doc, "file", json_string(out));
		else
			json_object_set_new(doc, "types", json_string(text.data));
		out_json_emit(doc);
	}
	else if (!out || strcmp(out, "-") == 0)
		out_write(text.data);
	else
		out_note("wrote %s (%zu tables, %zu views, %zu functions, %zu enums, %zu composite types)",
				 out, st.tables, st.views, st.functions, st.enums, st.composites);

done:
	free(old);
	buf_release(&text);
	model_release(&model);
	strlist_release(&schemas);
	return rc;
}

int
cmd_gen(struct pgw_ctx *ctx, int argc, char **argv)
{
	return gen_types(ctx, argc, argv);
}
