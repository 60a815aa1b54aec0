/*
 * inspect.c — `pgwarden inspect`: the whole database as a canonical JSON
 * snapshot (docs/snapshot.md) plus a readable summary.
 *
 * Reads through catalog/ (a fixed number of bulk queries in one read-only
 * transaction), writes the snapshot file (default docs/database-schema.json
 * under the project root), and prints either the summary or, with --json,
 * the snapshot itself.  Read-only on the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "cmd/opt.h"
#include "commands.h"
#include "model/snapshot.h"
#include "out/out.h"
#include "out/progress.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define INSPECT_USAGE \
	"pgwarden inspect [--out FILE|-] [--stable] [--exact] [--schema PATTERN]... " \
	"[--exclude-schema PATTERN]... [--from SNAPSHOT] [--jobs N] [--no-cache] [--cache-stats] [--print-queries]"

#define DEFAULT_SNAPSHOT "docs/database-schema.json"

enum
{
	OPT_OUT = 1,
	OPT_STABLE,
	OPT_EXACT,
	OPT_SCHEMA,
	OPT_EXCLUDE,
	OPT_PRINT_QUERIES,
	OPT_FROM,
	OPT_NO_CACHE,
	OPT_CACHE_STATS,
	OPT_JOBS
};

/* "95.5% (21/22)", or a reason there is no figure. */
static char *
coverage_text(const struct pgw_model *m, const struct pgw_relation *rel)
{
	if (!m->source.tenant_column || !model_find_column(rel, m->source.tenant_column))
		return pgw_strdup("no tenant column");
	if (!rel->readable)
		return pgw_strdup("not readable");
	if (!rel->has_exact)
		return pgw_strdup("(--exact)");
	if (rel->exact_rows == 0)
		return pgw_strdup("empty");
	return pgw_asprintf("%.1f%% (%lld/%lld)",
						100.0 * (double) rel->tenant_rows / (double) rel->exact_rows,
						(long long) rel->tenant_rows, (long long) rel->exact_rows);
}

static int
cmp_size_desc(const void *a, const void *b)
{
	const struct pgw_relation *x = *(const struct pgw_relation *const *) a;
	const struct pgw_relation *y = *(const struct pgw_relation *const *) b;

	if (x->total_bytes != y->total_bytes)
		return x->total_bytes < y->total_bytes ? 1 : -1;
	return 0;
}

static void
print_counts(const struct pgw_model *m)
{
	static const struct
	{
		enum pgw_kind kind;
		const char *label;
	}			order[] = {
		{PGW_KIND_SCHEMA, "schemas"}, {PGW_KIND_TABLE, "tables"}, {PGW_KIND_VIEW, "views"},
		{PGW_KIND_COLUMN, "columns"}, {PGW_KIND_CONSTRAINT, "constraints"},
		{PGW_KIND_INDEX, "indexes"}, {PGW_KIND_POLICY, "policies"},
		{PGW_KIND_TRIGGER, "triggers"}, {PGW_KIND_FUNCTION, "functions"},
		{PGW_KIND_SEQUENCE, "sequences"}, {PGW_KIND_ENUM, "enums"},
		{PGW_KIND_DOMAIN, "domains"}, {PGW_KIND_COMPOSITE, "composite types"},
		{PGW_KIND_EXTENSION, "extensions"},
	};
	size_t		managed[PGW_KIND__COUNT];
	size_t		all[PGW_KIND__COUNT];
	struct pgw_buf line;
	struct pgw_buf ctxnames;

	model_count(m, all, false);
	model_count(m, managed, true);

	buf_init(&line);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		buf_printf(&line, "%s%zu %s", i ? " · " : "", managed[order[i].kind], order[i].label);
	out_printf("\n%sobjects%s in managed schemas\n  %s\n", out_style(PGW_STYLE_BOLD), out_style_end(), line.data);
	buf_release(&line);

	buf_init(&ctxnames);
	for (size_t i = 0; i < m->schemas.n; i++)
	{
		struct pgw_object *s = m->schemas.items[i];

		if (!s->managed)
			buf_printf(&ctxnames, "%s%s", ctxnames.len ? ", " : "", s->name);
	}
	if (ctxnames.len)
		out_printf("  context, read but not managed: %s (%zu tables, %zu functions)\n",
				   ctxnames.data, all[PGW_KIND_TABLE] - managed[PGW_KIND_TABLE],
				   all[PGW_KIND_FUNCTION] - managed[PGW_KIND_FUNCTION]);
	buf_release(&ctxnames);
}

static void
print_tables(const struct pgw_model *m)
{
	struct pgw_vec tables = {0};
	struct pgw_arena scratch;
	size_t		namew = 5;

	arena_init(&scratch);
	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *r = m->relations.items[i];
		size_t		w;

		if (!r->obj.managed || r->obj.kind != PGW_KIND_TABLE)
			continue;
		vec_push(&scratch, &tables, r);
		w = strlen(r->obj.schema) + 1 + strlen(r->obj.name);
		if (w > namew)
			namew = w;
	}
	if (tables.n == 0)
	{
		out_printf("\nno tables in the managed schemas\n");
		arena_release(&scratch);
		return;
	}
	if (namew > 48)
		namew = 48;
	out_printf("\n%s%-*s  %-7s  %8s  %-22s  %10s  %9s%s\n", out_style(PGW_STYLE_BOLD), (int) namew,
			   "table", "RLS", "policies", "tenant coverage", "est. rows", "size", out_style_end());
	for (size_t i = 0; i < tables.n; i++)
	{
		struct pgw_relation *r = tables.items[i];
		char	   *name = pgw_asprintf("%s.%s", r->obj.schema, r->obj.name);
		char	   *cov = coverage_text(m, r);
		char	   *size = r->has_stats ? out_bytes((unsigned long long) r->total_bytes) : pgw_strdup("-");
		char		rows[32];
		const char *rls = r->rls_forced ? "forced" : r->rls_enabled ? "on" : "OFF";

		if (r->has_exact)
			snprintf(rows, sizeof(rows), "%lld", (long long) r->exact_rows);
		else if (r->has_stats && r->estimated_rows >= 0)
			snprintf(rows, sizeof(rows), "~%lld", (long long) r->estimated_rows);
		else
			snprintf(rows, sizeof(rows), "-");
		out_printf("%-*s  %s%-7s%s  %8zu  %-22s  %10s  %9s\n", (int) namew, name,
				   r->rls_enabled ? "" : out_style(PGW_STYLE_ERROR), rls,
				   r->rls_enabled ? "" : out_style_end(),
				   r->policies.n, cov, r->relkind == 'p' ? "(parts)" : rows, size);
		free(name);
		free(cov);
		free(size);
	}
	if (tables.items && tables.n > 0 && ((struct pgw_relation *) tables.items[0])->has_stats)
	{
		size_t		top = tables.n < 5 ? tables.n : 5;

		vec_sort(&tables, cmp_size_desc);
		out_printf("\n%slargest tables%s\n", out_style(PGW_STYLE_BOLD), out_style_end());
		for (size_t i = 0; i < top; i++)
		{
			struct pgw_relation *r = tables.items[i];
			char	   *total = out_bytes((unsigned long long) r->total_bytes);
			char	   *idx = out_bytes((unsigned long long) r->index_bytes);

			out_printf("  %s.%s  %s (indexes %s)\n", r->obj.schema, r->obj.name, total, idx);
			free(total);
			free(idx);
		}
	}
	arena_release(&scratch);
}

/* Where the snapshot goes: --out, else the default under the project root. */
static char *
snapshot_path(const struct pgw_ctx *ctx, const char *out)
{
	if (out)
		return pgw_strdup(out);
	return fs_join(ctx->cfg.root, DEFAULT_SNAPSHOT);
}

static int
write_snapshot(const char *path, const struct pgw_buf *doc)
{
	char	   *dir = fs_dirname(path);
	int			rc = 0;

	if (dir && !fs_is_dir(dir) && fs_mkdir_p(dir, 0755) != 0)
		rc = -1;
	free(dir);
	if (rc == 0)
		rc = fs_write_file(path, doc->data, doc->len, 0644);
	return rc;
}

int
cmd_inspect(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"cache-stats", 0, false, OPT_CACHE_STATS},
		{"exact", 0, false, OPT_EXACT},
		{"exclude-schema", 'N', true, OPT_EXCLUDE},
		{"from", 0, true, OPT_FROM},
		{"jobs", 'j', true, OPT_JOBS},
		{"no-cache", 0, false, OPT_NO_CACHE},
		{"out", 'o', true, OPT_OUT},
		{"print-queries", 0, false, OPT_PRINT_QUERIES},
		{"schema", 'n', true, OPT_SCHEMA},
		{"stable", 0, false, OPT_STABLE},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *out = NULL;
	const char *from = NULL;
	long		jobs = 0;		/* 0: up to 2, the second for a large catalog */
	PGconn	   *conns[PGW_CATALOG_MAX_JOBS];
	int			nconns = 0;
	bool		print_queries = false;
	bool		no_cache = false;
	bool		cache_stats = false;
	struct pgw_strlist include = {0};
	struct pgw_strlist exclude = {0};
	struct pgw_catalog_opts copts = {0};
	struct pgw_catalog_stats stats = {0};
	struct pgw_model model;
	struct pgw_buf doc;
	char	   *path = NULL;
	int64_t		t0;
	int			rc = PGW_EXIT_OK;
	int			r;

	opt_init(&p, argc, argv, opts, INSPECT_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				strlist_release(&include);
				strlist_release(&exclude);
				return PGW_EXIT_USAGE;
			case OPT_OUT:
				out = arg;
				break;
			case OPT_STABLE:
				copts.stable = true;
				break;
			case OPT_EXACT:
				copts.exact = true;
				break;
			case OPT_SCHEMA:
				strlist_add(&include, arg);
				break;
			case OPT_EXCLUDE:
				strlist_add(&exclude, arg);
				break;
			case OPT_NO_CACHE:
				no_cache = true;
				break;
			case OPT_CACHE_STATS:
				cache_stats = true;
				break;
			case OPT_PRINT_QUERIES:
				print_queries = true;
				break;
			case OPT_FROM:
				from = arg;
				break;
			case OPT_JOBS:
				if (!opt_int(&p, "jobs", arg, 1, PGW_CATALOG_MAX_JOBS, &jobs))
				{
					strlist_release(&include);
					strlist_release(&exclude);
					return PGW_EXIT_USAGE;
				}
				break;
			default:
				strlist_release(&include);
				strlist_release(&exclude);
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}
	if (copts.stable && copts.exact)
	{
		strlist_release(&include);
		strlist_release(&exclude);
		return opt_usage_error(&p, "row counts change without a schema change, so a stable snapshot leaves them out",
							   "--exact cannot be combined with --stable");
	}
	if (print_queries)
	{
		char	   *script = catalog_script(copts.stable, false);

		out_write(script);
		free(script);
		strlist_release(&include);
		strlist_release(&exclude);
		return PGW_EXIT_OK;
	}

	copts.tenant_column = ctx->cfg.tenant_column;
	copts.include = &include;
	copts.exclude = &exclude;
	copts.managed = &ctx->cfg.schemas;
	if (!no_cache)
		copts.cache_dir = ctx_cache_dir(ctx);

	t0 = pgw_now_ms();
	model_init(&model);
	buf_init(&doc);
	if (from)
	{
		bool		was_stable;

		if (include.n || exclude.n || copts.exact)
		{
			rc = opt_usage_error(&p, "a snapshot is re-written as it is",
								 "--from cannot be combined with --schema, --exclude-schema or --exact");
			goto out_model;
		}
		if (snapshot_read_file(from, &model, &was_stable) != 0)
		{
			rc = out_fail();
			goto out_model;
		}
		/* a stable snapshot has nothing more to give */
		copts.stable = copts.stable || was_stable;
	}
	else
	{
		struct pgw_progress prog;

		conns[0] = ctx_connect(ctx, &rc);
		if (!conns[0])
			goto out_model;
		/*
		 * helpers: best effort, the first connection can do it all; asked
		 * for with --jobs, else opened by the read when the catalog is large
		 */
		copts.helper_target = jobs == 0 ? &ctx->target : NULL;
		copts.helper_jobs = 2;
		for (nconns = 1; nconns < jobs; nconns++)
			if (db_connect(&ctx->target, &conns[nconns]) != 0)
			{
				out_verbose("reading with %d connection%s: %s", nconns,
							nconns == 1 ? "" : "s", pgw_error_last()->message);
				pgw_error_clear();
				break;
			}
		progress_start(&prog, "reading the catalog", 0);
		r = catalog_read(conns, nconns, &copts, &model, &stats);
		progress_finish(&prog);
		for (int c = 0; c < nconns; c++)
			PQfinish(conns[c]);
		if (r != 0)
		{
			pgw_error_prefix("cannot inspect %s", ctx->target.display);
			rc = out_fail();
			goto out_model;
		}
	}

	for (size_t i = 0; i < stats.unmatched.n; i++)
		out_warning("schema pattern '%s' matched no schema%s", stats.unmatched.items[i],
					include.n ? "" : " (from `schemas` in the config)");
	if (stats.unreadable.n)
	{
		struct pgw_buf names;

		buf_init(&names);
		for (size_t i = 0; i < stats.unreadable.n && i < 10; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", stats.unreadable.items[i]);
		if (stats.unreadable.n > 10)
			buf_printf(&names, ", and %zu more", stats.unreadable.n - 10);
		out_warning("%zu table%s not readable by role '%s': %s — row counts and tenant coverage left out for %s",
					stats.unreadable.n, stats.unreadable.n == 1 ? " is" : "s are",
					model.source.user, names.data, stats.unreadable.n == 1 ? "it" : "them");
		buf_release(&names);
	}

	snapshot_write(&model, copts.stable, &doc);
	if (!out || strcmp(out, "-") != 0)
	{
		path = snapshot_path(ctx, out);
		if (write_snapshot(path, &doc) != 0)
		{
			rc = out_fail();
			goto out_model;
		}
	}

	if (out_is_json() && out_json_capturing())
	{
		/* run by a server (mcp): the snapshot is the captured document */
		json_t	   *snap = json_loadb(doc.data, doc.len, 0, NULL);

		if (!snap)
		{
			pgw_error(PGW_ERR_INTERNAL, "the snapshot is not valid JSON");
			rc = out_fail();
			goto out_model;
		}
		out_json_emit(snap);
	}
	else if (out_is_json() || (out && strcmp(out, "-") == 0))
		out_write(doc.data);
	else
	{
		double		ms = (double) (pgw_now_ms() - t0);
		char	   *size = out_bytes(doc.len);

		if (from)
			out_printf("read %s%s%s%s%s\n", out_style(PGW_STYLE_BOLD), from, out_style_end(),
					   model.source.captured_at ? ", captured " : "",
					   model.source.captured_at ? model.source.captured_at : "");
		else
			out_printf("inspected %s%s%s (PostgreSQL %s, database %s) in %.0f ms, %d queries on %d connection%s\n",
					   out_style(PGW_STYLE_BOLD), ctx->target.display, out_style_end(),
					   model.source.server_version, model.source.database, ms, stats.queries,
					   stats.connections, stats.connections == 1 ? "" : "s");
		out_printf("wrote %s (%s%s)\n", path, size, copts.stable ? ", stable" : "");
		free(size);
		print_counts(&model);
		print_tables(&model);
	}
	if (!from)
		out_verbose("catalog read in %.0f ms%s", stats.catalog_ms,
					copts.exact ? "; row counts in a separate pass" : "");
	if (cache_stats && !from)
	{
		const char *state = no_cache ? "off (--no-cache)" :
			stats.cache_hits ? "hit" : stats.cache_partials ? "partial, changed relations re-read" :
			stats.cache_misses ? "miss, full read" : "not used";

		/* stdout carries the snapshot with --json or --out -: stderr then */
		if (out_is_json() || (out && strcmp(out, "-") == 0))
			out_note("cache: %s; hits %d, partial %d, misses %d%s%s", state, stats.cache_hits,
					 stats.cache_partials, stats.cache_misses,
					 stats.cache_reason[0] ? "; " : "", stats.cache_reason);
		else
			out_printf("cache: %s; hits %d, partial %d, misses %d%s%s\n", state, stats.cache_hits,
					   stats.cache_partials, stats.cache_misses,
					   stats.cache_reason[0] ? "; " : "", stats.cache_reason);
	}

out_model:
	free(path);
	buf_release(&doc);
	model_release(&model);
	catalog_stats_release(&stats);
	strlist_release(&include);
	strlist_release(&exclude);
	return rc;
}
