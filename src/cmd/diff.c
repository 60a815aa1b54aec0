/*
 * diff.c — `pgwarden diff FROM TO`, `pgwarden diff capture` and
 * `pgwarden diff compare`: the migration that turns one schema into
 * another, and the drift workflow built on it (docs/diff.md).
 *
 * Reads both sides through diff/source.h (live sides concurrently), diffs
 * them with diff/diff.h, and prints the script (or writes it, with its
 * rollback — the diff the other way round).  Exit 0: no difference; 1:
 * differences (the drift check); data-deleting changes without --unsafe are
 * refused: exit 1 too, with the changes named and no script written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "cmd/opt.h"
#include "commands.h"
#include "diff/diff.h"
#include "diff/source.h"
#include "model/snapshot.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define DIFF_USAGE \
	"pgwarden diff FROM TO [--out FILE] [--rollback FILE] [--unsafe] [--rename OLD:NEW]... " \
	"[--schema PATTERN]... [--owners] [--no-concurrently] [--no-cache]\n" \
	"       pgwarden diff capture [--out FILE]\n" \
	"       pgwarden diff compare [FILE] [--generate-migration] [--unsafe]"

#define DEFAULT_CAPTURE "docs/schema-snapshot.json"

enum
{
	OPT_OUT = 1,
	OPT_ROLLBACK,
	OPT_UNSAFE,
	OPT_RENAME,
	OPT_SCHEMA,
	OPT_OWNERS,
	OPT_NO_CONCURRENTLY,
	OPT_GENERATE,
	OPT_JOBS,
	OPT_NO_CACHE
};

struct diff_args
{
	const char *out;
	const char *rollback;
	bool		unsafe;
	bool		owners;
	bool		no_concurrently;
	bool		generate;
	bool		no_cache;
	long		jobs;
	struct pgw_strlist renames;
	struct pgw_strlist include;
	const char *pos[3];
	int			npos;
};

static int
write_file(const char *path, const char *text)
{
	char	   *dir = fs_dirname(path);
	int			rc = 0;

	if (dir && *dir && !fs_is_dir(dir) && fs_mkdir_p(dir, 0755) != 0)
		rc = -1;
	free(dir);
	if (rc == 0)
		rc = fs_write_file(path, text, strlen(text), 0644);
	return rc;
}

static json_t *
changes_json(const struct pgw_vec *changes)
{
	json_t	   *arr = json_array();

	for (size_t i = 0; i < changes->n; i++)
	{
		const struct pgw_change *ch = changes->items[i];
		json_t	   *o = json_object();
		json_t	   *hz = json_array();

		json_object_set_new(o, "kind", json_string(model_kind_name(ch->kind)));
		json_object_set_new(o, "schema", ch->schema ? json_string(ch->schema) : json_null());
		json_object_set_new(o, "name", ch->name ? json_string(ch->name) : json_null());
		json_object_set_new(o, "sub", ch->sub ? json_string(ch->sub) : json_null());
		json_object_set_new(o, "action", json_string(ch->action));
		json_object_set_new(o, "summary", json_string(ch->summary ? ch->summary : ""));
		for (int b = 0; b < PGW_HAZARD__COUNT; b++)
			if (ch->hazards & (1u << b))
				json_array_append_new(hz, json_string(diff_hazard_name(b)));
		json_object_set_new(o, "hazards", hz);
		json_object_set_new(o, "sql", json_string(ch->sql ? ch->sql : ""));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
hazards_json(unsigned hazards)
{
	json_t	   *hz = json_array();

	for (int b = 0; b < PGW_HAZARD__COUNT; b++)
		if (hazards & (1u << b))
			json_array_append_new(hz, json_string(diff_hazard_name(b)));
	return hz;
}

static void
print_change_list(const struct pgw_vec *changes, const char *indent)
{
	for (size_t i = 0; i < changes->n; i++)
	{
		const struct pgw_change *ch = changes->items[i];
		char	   *h = diff_hazards_text(ch->hazards);

		out_printf("%s%s%s%s%s%s\n", indent, ch->summary, *h ? "  " : "", *h ? out_style(PGW_STYLE_WARN) : "",
				   *h ? h : "", *h ? out_style_end() : "");
		free(h);
	}
}

/* The refusal: data-deleting changes without --unsafe. */
static int
refuse(const struct pgw_diff *d)
{
	struct pgw_buf names;

	buf_init(&names);
	for (size_t i = 0; i < d->refused_list.n && i < 10; i++)
		buf_printf(&names, "%s%s", i ? "; " : "",
				   ((const struct pgw_change *) d->refused_list.items[i])->summary);
	if (d->refused_list.n > 10)
		buf_printf(&names, "; and %zu more", d->refused_list.n - 10);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(false);
		json_t	   *sum = json_object();

		json_object_set_new(sum, "changes", json_integer((json_int_t) d->changes.n));
		json_object_set_new(sum, "refused", json_integer((json_int_t) d->refused));
		json_object_set_new(doc, "summary", sum);
		json_object_set_new(doc, "refused", changes_json(&d->refused_list));
		json_object_set_new(doc, "changes", changes_json(&d->changes));
		out_json_emit(doc);
	}
	else
	{
		out_printf("%zu change%s, %zu of which delete data:\n", d->changes.n, d->changes.n == 1 ? "" : "s",
				   d->refused);
		print_change_list(&d->refused_list, "  ");
	}
	pgw_error(PGW_ERR_INPUT, "the migration would delete data; nothing written");
	pgw_error_detail("%s", names.data);
	pgw_error_hint("review the changes and rerun with --unsafe, or give --rename OLD:NEW when a drop and an add are a rename");
	buf_release(&names);
	out_fail();
	return PGW_EXIT_CHECK;
}

/*
 * Diffs from → to and renders it: the script on stdout (or in args->out
 * with the rollback beside it), the change list with hazards, JSON.
 */
static int
run_diff(const struct diff_args *a, const struct pgw_model *from, const struct pgw_model *to,
		 const char *from_name, const char *to_name)
{
	struct pgw_diff_opts opts = {0};
	struct pgw_diff d;
	struct pgw_diff back;
	struct pgw_buf script;
	struct pgw_buf rb;
	char	   *title;
	int			rc = PGW_EXIT_OK;

	opts.unsafe = a->unsafe;
	opts.owners = a->owners;
	opts.no_concurrently = a->no_concurrently;
	opts.renames = &a->renames;
	diff_init(&d);
	diff_init(&back);
	buf_init(&script);
	buf_init(&rb);
	if (diff_models(from, to, &opts, &d) != 0)
	{
		rc = out_fail();
		goto out;
	}
	if (d.refused)
	{
		rc = refuse(&d);
		goto out;
	}
	title = pgw_asprintf("pgwarden diff: %s → %s", from_name, to_name);
	diff_script(&d, title, &script);
	free(title);
	if (a->rollback)
	{
		struct pgw_diff_opts bopts = opts;

		/* the way back undoes creations: it deletes what they made */
		bopts.unsafe = true;
		bopts.renames = NULL;
		if (diff_models(to, from, &bopts, &back) != 0)
		{
			rc = out_fail();
			goto out;
		}
		title = pgw_asprintf("pgwarden diff (rollback): %s → %s", to_name, from_name);
		diff_script(&back, title, &rb);
		free(title);
	}
	if (a->out && write_file(a->out, script.data) != 0)
	{
		rc = out_fail();
		goto out;
	}
	if (a->rollback && write_file(a->rollback, rb.data) != 0)
	{
		rc = out_fail();
		goto out;
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);
		json_t	   *sum = json_object();

		json_object_set_new(sum, "changes", json_integer((json_int_t) d.changes.n));
		json_object_set_new(sum, "hazards", hazards_json(d.hazards));
		json_object_set_new(sum, "transaction", json_boolean(!d.no_transaction));
		json_object_set_new(doc, "summary", sum);
		json_object_set_new(doc, "from", json_string(from_name));
		json_object_set_new(doc, "to", json_string(to_name));
		json_object_set_new(doc, "changes", changes_json(&d.changes));
		json_object_set_new(doc, "sql", json_string(script.data));
		if (a->rollback)
			json_object_set_new(doc, "rollback_sql", json_string(rb.data));
		out_json_emit(doc);
	}
	else if (!a->out)
		out_write(script.data);
	else
	{
		if (d.changes.n == 0)
			out_printf("no differences between %s and %s\n", from_name, to_name);
		else
		{
			out_printf("%zu change%s from %s to %s:\n", d.changes.n, d.changes.n == 1 ? "" : "s", from_name, to_name);
			print_change_list(&d.changes, "  ");
		}
		out_printf("wrote %s%s%s\n", a->out, a->rollback ? " and " : "", a->rollback ? a->rollback : "");
	}
	if (d.changes.n && !out_is_json())
	{
		char	   *h = diff_hazards_text(d.hazards);

		out_note("%zu change%s%s%s%s", d.changes.n, d.changes.n == 1 ? "" : "s", *h ? "; hazards: " : "", h,
				 d.no_transaction ? "; cannot run in one transaction (CONCURRENTLY)" : "");
		free(h);
	}
	rc = d.changes.n ? PGW_EXIT_CHECK : PGW_EXIT_OK;
out:
	buf_release(&script);
	buf_release(&rb);
	diff_release(&d);
	diff_release(&back);
	return rc;
}

/* Reads the sides, live ones through the snapshot cache unless --no-cache. */
static int
read_sides(struct pgw_ctx *ctx, struct diff_args *a, struct pgw_diff_source **sides, int n)
{
	for (int i = 0; i < n; i++)
		sides[i]->cache_dir = a->no_cache ? NULL : ctx_cache_dir(ctx);
	return diff_sources_read(sides, n, &ctx->cfg, &a->include, (int) a->jobs);
}

/* The live target of the command (--db, DATABASE_URL, --env, local) as a side. */
static int
target_side(struct pgw_ctx *ctx, struct pgw_diff_source *s)
{
	memset(s, 0, sizeof(*s));
	model_init(&s->model);
	if (target_resolve(&ctx->cfg, ctx->db, ctx->env, &s->target) != 0)
		return -1;
	s->kind = PGW_SOURCE_LIVE;
	s->has_target = true;
	s->spec = pgw_strdup(s->target.display);
	s->display = pgw_strdup(s->target.display);
	{
		json_t	   *t = target_to_json(&s->target);

		out_set_target(t);
		json_decref(t);
	}
	return 0;
}

static int
cmd_capture(struct pgw_ctx *ctx, struct diff_args *a)
{
	struct pgw_diff_source s;
	struct pgw_diff_source *sides[1] = {&s};
	struct pgw_buf doc;
	char	   *path;
	int			rc = PGW_EXIT_OK;

	if (target_side(ctx, &s) != 0 || read_sides(ctx, a, sides, 1) != 0)
	{
		rc = out_fail();
		diff_source_release(&s);
		return rc;
	}
	buf_init(&doc);
	snapshot_write(&s.model, true, &doc);
	path = a->out ? pgw_strdup(a->out) : fs_join(ctx->cfg.root, DEFAULT_CAPTURE);
	if (write_file(path, doc.data) != 0)
		rc = out_fail();
	else if (out_is_json())
	{
		json_t	   *j = out_json_envelope(true);
		json_t	   *sum = json_object();
		size_t		counts[PGW_KIND__COUNT];

		model_count(&s.model, counts, true);
		json_object_set_new(sum, "file", json_string(path));
		json_object_set_new(sum, "tables", json_integer((json_int_t) counts[PGW_KIND_TABLE]));
		json_object_set_new(j, "summary", sum);
		out_json_emit(j);
	}
	else
		out_printf("captured %s into %s\n", s.display, path);
	free(path);
	buf_release(&doc);
	diff_source_release(&s);
	return rc;
}

/* counts of drift by kind for the compare summary */
struct drift
{
	size_t		missing[PGW_KIND__COUNT];	/* in the capture, not live */
	size_t		extra[PGW_KIND__COUNT];	/* live, not in the capture */
	size_t		changed[PGW_KIND__COUNT];
};

static void
drift_count(const struct pgw_diff *d, struct drift *dr)
{
	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *ch = d->changes.items[i];

		if (strcmp(ch->action, "create") == 0 || strcmp(ch->action, "add") == 0)
			dr->missing[ch->kind]++;
		else if (strcmp(ch->action, "drop") == 0)
			dr->extra[ch->kind]++;
		else if (strcmp(ch->action, "drop (recreate)") != 0)
			dr->changed[ch->kind]++;
	}
}

static int
cmd_compare(struct pgw_ctx *ctx, struct diff_args *a)
{
	struct pgw_diff_source live;
	struct pgw_diff_source snap;
	struct pgw_diff_source *sides[2] = {&live, &snap};
	char	   *file = a->npos > 1 ? pgw_strdup(a->pos[1]) : fs_join(ctx->cfg.root, DEFAULT_CAPTURE);
	struct pgw_diff_opts opts = {0};
	struct pgw_diff d;
	struct drift dr = {{0}, {0}, {0}};
	int			rc = PGW_EXIT_OK;

	diff_init(&d);
	memset(&snap, 0, sizeof(snap));
	model_init(&snap.model);
	if (target_side(ctx, &live) != 0 || diff_source_parse(&ctx->cfg, file, &snap) != 0 ||
		read_sides(ctx, a, sides, 2) != 0)
	{
		rc = out_fail();
		goto out;
	}
	opts.unsafe = true;			/* counting; refusal is for writing */
	opts.owners = a->owners;
	if (diff_models(&live.model, &snap.model, &opts, &d) != 0)
	{
		rc = out_fail();
		goto out;
	}
	drift_count(&d, &dr);
	if (a->generate && d.changes.n)
	{
		struct diff_args w = *a;
		char		stamp[32];
		time_t		now = time(NULL);
		struct tm	tm;
		char	   *fwd;
		char	   *back;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
		fwd = pgw_asprintf("%s/%s_sync_drift.sql", ctx->cfg.migrations_dir, stamp);
		back = pgw_asprintf("%s/%s_sync_drift_rollback.sql", ctx->cfg.migrations_dir, stamp);
		w.out = fwd;
		w.rollback = back;
		rc = run_diff(&w, &live.model, &snap.model, live.display, file);
		free(fwd);
		free(back);
		goto out;
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);
		json_t	   *sum = json_object();
		json_t	   *mis = json_object(),
				   *ext = json_object(),
				   *chg = json_object();

		for (int k = 0; k < PGW_KIND__COUNT; k++)
		{
			if (dr.missing[k])
				json_object_set_new(mis, model_kind_name(k), json_integer((json_int_t) dr.missing[k]));
			if (dr.extra[k])
				json_object_set_new(ext, model_kind_name(k), json_integer((json_int_t) dr.extra[k]));
			if (dr.changed[k])
				json_object_set_new(chg, model_kind_name(k), json_integer((json_int_t) dr.changed[k]));
		}
		json_object_set_new(sum, "drift", json_boolean(d.changes.n > 0));
		json_object_set_new(sum, "missing", mis);
		json_object_set_new(sum, "extra", ext);
		json_object_set_new(sum, "changed", chg);
		json_object_set_new(doc, "summary", sum);
		json_object_set_new(doc, "snapshot", json_string(file));
		json_object_set_new(doc, "changes", changes_json(&d.changes));
		out_json_emit(doc);
	}
	else if (d.changes.n == 0)
		out_printf("no drift: %s matches %s\n", live.display, file);
	else
	{
		out_printf("drift: %s differs from %s\n", live.display, file);
		for (int k = 0; k < PGW_KIND__COUNT; k++)
			if (dr.missing[k] || dr.extra[k] || dr.changed[k])
				out_printf("  %-11s %zu missing, %zu extra, %zu changed\n", model_kind_name(k),
						   dr.missing[k], dr.extra[k], dr.changed[k]);
		out_printf("\n");
		print_change_list(&d.changes, "  ");
		out_printf("\nrun 'pgwarden diff compare --generate-migration' to write a migration that removes it\n");
	}
	rc = d.changes.n ? PGW_EXIT_CHECK : PGW_EXIT_OK;
out:
	free(file);
	diff_release(&d);
	diff_source_release(&live);
	diff_source_release(&snap);
	return rc;
}

int
cmd_diff(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"generate-migration", 0, false, OPT_GENERATE},
		{"jobs", 'j', true, OPT_JOBS},
		{"no-cache", 0, false, OPT_NO_CACHE},
		{"no-concurrently", 0, false, OPT_NO_CONCURRENTLY},
		{"out", 'o', true, OPT_OUT},
		{"owners", 0, false, OPT_OWNERS},
		{"rename", 0, true, OPT_RENAME},
		{"rollback", 0, true, OPT_ROLLBACK},
		{"schema", 'n', true, OPT_SCHEMA},
		{"unsafe", 0, false, OPT_UNSAFE},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	struct diff_args a;
	const char *arg;
	int			r;
	int			rc = PGW_EXIT_OK;
	struct pgw_diff_source from;
	struct pgw_diff_source to;
	struct pgw_diff_source *sides[2] = {&from, &to};

	memset(&a, 0, sizeof(a));
	a.jobs = 0;					/* up to 2: diff_sources_read */
	opt_init(&p, argc, argv, opts, DIFF_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				rc = PGW_EXIT_USAGE;
				goto out_args;
			case OPT_OUT:
				a.out = arg;
				break;
			case OPT_ROLLBACK:
				a.rollback = arg;
				break;
			case OPT_UNSAFE:
				a.unsafe = true;
				break;
			case OPT_RENAME:
				strlist_add(&a.renames, arg);
				break;
			case OPT_SCHEMA:
				strlist_add(&a.include, arg);
				break;
			case OPT_OWNERS:
				a.owners = true;
				break;
			case OPT_NO_CACHE:
				a.no_cache = true;
				break;
			case OPT_NO_CONCURRENTLY:
				a.no_concurrently = true;
				break;
			case OPT_GENERATE:
				a.generate = true;
				break;
			case OPT_JOBS:
				if (!opt_int(&p, "jobs", arg, 1, PGW_CATALOG_MAX_JOBS, &a.jobs))
				{
					rc = PGW_EXIT_USAGE;
					goto out_args;
				}
				break;
			case OPT_POSITIONAL:
				if (a.npos == 3)
				{
					rc = opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
					goto out_args;
				}
				a.pos[a.npos++] = arg;
				break;
		}
	}
	if (a.npos >= 1 && strcmp(a.pos[0], "capture") == 0)
	{
		if (a.npos > 1 || a.rollback || a.generate || a.renames.n || a.unsafe)
		{
			rc = opt_usage_error(&p, NULL, "'diff capture' takes only --out and --schema");
			goto out_args;
		}
		rc = cmd_capture(ctx, &a);
		goto out_args;
	}
	if (a.npos >= 1 && strcmp(a.pos[0], "compare") == 0)
	{
		if (a.npos > 2 || a.out || a.rollback)
		{
			rc = opt_usage_error(&p, NULL, "'diff compare' takes [FILE], --generate-migration, --unsafe and --schema");
			goto out_args;
		}
		rc = cmd_compare(ctx, &a);
		goto out_args;
	}
	if (a.npos != 2)
	{
		rc = opt_usage_error(&p, "name two schemas: databases (postgresql://…, env:NAME, local), snapshot files or sql:PATH",
							 a.npos < 2 ? "diff needs FROM and TO" : "too many arguments");
		goto out_args;
	}
	if (a.generate)
	{
		rc = opt_usage_error(&p, NULL, "--generate-migration belongs to 'diff compare'");
		goto out_args;
	}
	if (ctx->db || ctx->env)
	{
		rc = opt_usage_error(&p, "write the databases as FROM and TO (a URL or env:NAME)",
							 "diff FROM TO does not use --db or --env");
		goto out_args;
	}
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	model_init(&from.model);
	model_init(&to.model);
	if (diff_source_parse(&ctx->cfg, a.pos[0], &from) != 0 || diff_source_parse(&ctx->cfg, a.pos[1], &to) != 0 ||
		read_sides(ctx, &a, sides, 2) != 0)
		rc = out_fail();
	else
	{
		out_verbose("read %s in %.0f ms and %s in %.0f ms", from.display, from.read_ms, to.display, to.read_ms);
		rc = run_diff(&a, &from.model, &to.model, from.display, to.display);
	}
	diff_source_release(&from);
	diff_source_release(&to);
out_args:
	strlist_release(&a.renames);
	strlist_release(&a.include);
	return rc;
}
