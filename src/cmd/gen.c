/*
 * gen.c — `pgwarden gen types`: TypeScript types for the database in the
 * shape `supabase gen types typescript` emits, or zod schemas (--lang zod;
 * gen/typescript.h), from the live catalog (a lean catalog read) or from a
 * snapshot file (--from), written to stdout or a file; --check compares with the file instead and exits 1 when it is
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
	"pgwarden gen types [--lang LANG] [--schema NAME]... [--from SNAPSHOT] " \
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
 * The shortest edit script between a and b (Myers' O(ND) algorithm),
 * as ops: '=' keep, '-' delete from a, '+' insert from b, in order.
 * Gives up (returns -1) beyond max_d edits; the caller then shows the
 * changed region as a whole.
 */
static int
myers(const struct lines *a, const struct lines *b, int max_d, char **ops, size_t *nops)
{
	int			n = (int) a->n;
	int			m = (int) b->n;
	int			off = n + m + 1;
	int		   *v = pgw_calloc((size_t) (2 * off + 1), sizeof(int));
	int		  **trace = pgw_calloc((size_t) max_d + 1, sizeof(int *));
	int			d;
	int			found = -1;

	for (d = 0; d <= max_d && found < 0; d++)
	{
		for (int k = -d; k <= d; k += 2)
		{
			int			x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ?
				v[off + k + 1] : v[off + k - 1] + 1;
			int			y = x - k;

			while (x < n && y < m && line_eq(a, (size_t) x, b, (size_t) y))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m)
			{
				found = d;
				break;
			}
		}
		trace[d] = pgw_malloc((size_t) (2 * off + 1) * sizeof(int));
		memcpy(trace[d], v, (size_t) (2 * off + 1) * sizeof(int));
	}
	if (found >= 0)
	{
		/* walk back from (n, m), writing ops from the end */
		size_t		cap = (size_t) (n + m) + 1;
		char	   *o = pgw_malloc(cap);
		size_t		pos = cap;
		int			x = n;
		int			y = m;

		for (d = found; d >= 0; d--)
		{
			int			k = x - y;
			int		   *pv = d > 0 ? trace[d - 1] : NULL;
			int			pk;
			int			px;

			if (d == 0)
			{
				while (x > 0 && y > 0)
					o[--pos] = '=', x--, y--;
				break;
			}
			pk = (k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1])) ? k + 1 : k - 1;
			px = pv[off + pk];
			while (x > px + (pk == k - 1 ? 1 : 0) && y > px - pk + (pk == k + 1 ? 1 : 0))
				o[--pos] = '=', x--, y--;
			if (pk == k + 1)
				o[--pos] = '+', y--;
			else
				o[--pos] = '-', x--;
		}
		*nops = cap - pos;
		*ops = pgw_malloc(*nops + 1);
		memcpy(*ops, o + pos, *nops);
		free(o);
	}
	for (int i = 0; i <= max_d; i++)
		free(trace[i]);
	free(trace);
	free(v);
	return found >= 0 ? 0 : -1;
}

/*
 * A short unified diff of the file (old) against the generated text (new):
 * hunks with two lines of context, at most max changed lines shown.
 * Returns the number of changed lines (removed + added).
 */
static size_t
short_diff(const char *old, const char *new, struct pgw_buf *out, size_t max)
{
	struct lines a;
	struct lines b;
	char	   *ops = NULL;
	size_t		nops = 0;
	size_t		changed = 0;
	size_t		shown = 0;

	lines_split(old, &a);
	lines_split(new, &b);
	if (myers(&a, &b, 400, &ops, &nops) != 0)
	{
		/* too different for a short diff: the changed region as a whole */
		size_t		head = 0;
		size_t		tail = 0;

		while (head < a.n && head < b.n && line_eq(&a, head, &b, head))
			head++;
		while (tail < a.n - head && tail < b.n - head && line_eq(&a, a.n - 1 - tail, &b, b.n - 1 - tail))
			tail++;
		nops = 0;
		ops = pgw_malloc(a.n + b.n + 1);
		for (size_t i = 0; i < head; i++)
			ops[nops++] = '=';
		for (size_t i = head; i < a.n - tail; i++)
			ops[nops++] = '-';
		for (size_t i = head; i < b.n - tail; i++)
			ops[nops++] = '+';
		for (size_t i = 0; i < tail; i++)
			ops[nops++] = '=';
	}
	for (size_t i = 0; i < nops; i++)
		changed += ops[i] != '=';
	{
		size_t		ai = 0;
		size_t		bi = 0;
		size_t		last_printed = (size_t) -1;	/* op index */

		for (size_t i = 0; i < nops; i++)
		{
			bool		near = false;

			for (size_t j = (i >= 2 ? i - 2 : 0); j <= i + 2 && j < nops; j++)
				near = near || ops[j] != '=';
			if (near && shown < max)
			{
				if (last_printed == (size_t) -1 || last_printed + 1 != i)
					buf_printf(out, "@@ -%zu +%zu @@\n", ai + 1, bi + 1);
				if (ops[i] == '=')
					buf_printf(out, " %.*s\n", (int) a.len[ai], a.at[ai]);
				else if (ops[i] == '-')
				{
					buf_printf(out, "-%.*s\n", (int) a.len[ai], a.at[ai]);
					shown++;
				}
				else
				{
					buf_printf(out, "+%.*s\n", (int) b.len[bi], b.at[bi]);
					shown++;
				}
				last_printed = i;
			}
			if (ops[i] != '+')
				ai++;
			if (ops[i] != '-')
				bi++;
		}
	}
	if (shown < changed)
		buf_printf(out, "... and %zu more changed lines\n", changed - shown);
	free(ops);
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
		   bool view_definitions, struct pgw_model *model)
{
	struct pgw_catalog_opts copts = {0};
	struct pgw_catalog_stats stats = {0};
	struct pgw_strlist include = {0};
	struct pgw_strlist none = {0};
	PGconn	   *conns[2];
	int			nconns;
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
	conns[0] = ctx_connect(ctx, &rc);
	if (!conns[0])
		return rc;
	nconns = 1;
	/* a second connection for a large catalog (as inspect) */
	copts.helper_target = &ctx->target;
	copts.helper_jobs = 2;
	/* exactly the schemas asked for: a name is not a pattern here */
	for (size_t i = 0; i < schemas->n; i++)
		strlist_add(&include, schemas->items[i]);
	if (include.n == 0)
		strlist_add(&include, "public");
	copts.stable = true;
	copts.lean = true;		/* only what the types need (catalog.h) */
	copts.view_definitions = view_definitions;	/* --strict-views reads them */
	copts.include = &include;
	copts.exclude = &none;
	copts.managed = &ctx->cfg.schemas;
	copts.tenant_column = ctx->cfg.tenant_column;
	if (catalog_read(conns, nconns, &copts, model, &stats) != 0)
	{
		pgw_error_prefix("cannot read the schema of %s", ctx->target.display);
		rc = out_fail();
	}
	for (int c = 0; c < nconns; c++)
		PQfinish(conns[c]);
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
	const char *lang_arg;
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
	if (strcmp(lang, "ts") == 0)
		lang = "typescript";
	if (strcmp(lang, "typescript") != 0 && strcmp(lang, "zod") != 0)
	{
		strlist_release(&schemas);
		return opt_usage_error(&p, "the languages are typescript (Supabase's types) and zod (runtime validators)",
							   "unknown language '%s'", lang);
	}
	if (check && (!out || strcmp(out, "-") == 0))
	{
		strlist_release(&schemas);
		return opt_usage_error(&p, "name the checked-in file: --check --out src/types/database.ts",
							   "--check needs --out FILE");
	}
	gopts.schemas = &schemas;
	lang_arg = strcmp(lang, "zod") == 0 ? " --lang zod" : "";

	model_init(&model);
	buf_init(&text);
	if ((rc = read_model(ctx, from, &schemas, gopts.strict_views, &model)) != PGW_EXIT_OK)
		goto done;
	if ((strcmp(lang, "zod") == 0 ? gen_zod(&model, &gopts, &text, &st) :
		 gen_typescript(&model, &gopts, &text, &st)) != 0)
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
			json_t	   *summary = stats_json(&st, text.len, lang);

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
			out_printf("%s is missing: run 'pgwarden gen types%s --out %s' to write it\n", out, lang_arg, out);
		else if (changed)
			out_printf("%s is out of date (%zu changed lines):\n%s\nrun 'pgwarden gen types%s --out %s' to update it\n",
					   out, changed, diff.data, lang_arg, out);
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

		json_object_set_new(doc, "summary", stats_json(&st, text.len, lang));
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
