/*
 * sync.c — `pgwarden sync [FROM] [TO]`: two databases' migration
 * histories compared version by version, then their schemas, and whether
 * the histories explain the schema difference (docs/sync.md).
 *
 * FROM defaults to the local cluster, TO to the target (--db,
 * DATABASE_URL, --env).  Explaining: when one side has versions the other
 * lacks, those migrations' files are applied to a sandbox copy of the
 * other side's schema, which is then compared with the first side: what
 * is left is drift no migration explains.  --apply runs `migrate up
 * --safe --to V` on TO (V: FROM's newest version); --repair records on TO
 * what FROM records (`migrate repair`), only when the schemas are equal,
 * each repair shown, and only with --yes.  Exit 0 in sync, 1 not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/sync.h"
#include "catalog/catalog.h"
#include "cmd/opt.h"
#include "commands.h"
#include "diff/diff.h"
#include "diff/source.h"
#include "migrate/sandbox.h"
#include "migrate/trial.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/mem.h"

#define SYNC_USAGE "pgwarden sync [FROM] [TO] [--apply | --repair [--yes]] [--no-cache]"

enum
{
	OPT_APPLY = 1,
	OPT_REPAIR,
	OPT_YES,
	OPT_NO_CACHE
};

struct side
{
	struct pgw_diff_source src;
	PGconn	   *conn;
	struct pgw_applied_set applied;
	struct pgw_model model;
	bool		have_model;
};

static void
catalog_opts(const struct pgw_ctx *ctx, struct pgw_catalog_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->stable = true;
	o->tenant_column = ctx->cfg.tenant_column;
	o->managed = &ctx->cfg.schemas;
}

static void
side_init(struct side *s)
{
	memset(s, 0, sizeof(*s));
	model_init(&s->model);
	model_init(&s->src.model);
}

static int
side_open(struct pgw_ctx *ctx, const char *spec, struct side *s, bool no_cache)
{
	struct pgw_catalog_opts o;

	if (spec)
	{
		model_release(&s->src.model);
		if (diff_source_parse(&ctx->cfg, spec, &s->src) != 0)
			return -1;
		if (s->src.kind != PGW_SOURCE_LIVE)
			return pgw_error(PGW_ERR_USAGE, "'%s' is not a database: sync compares two live databases", spec);
	}
	else
	{
		if (target_resolve(&ctx->cfg, ctx->db, ctx->env, &s->src.target) != 0)
			return -1;
		s->src.kind = PGW_SOURCE_LIVE;
		s->src.has_target = true;
		s->src.spec = pgw_strdup(s->src.target.source);
		s->src.display = pgw_strdup(s->src.target.display);
	}
	if (db_connect(&s->src.target, &s->conn) != 0)
		return -1;
	if (sync_read_applied(s->conn, &s->applied) != 0)
		return -1;
	catalog_opts(ctx, &o);
	/* a live database: through the snapshot cache (the sandbox read is not) */
	o.cache_dir = no_cache ? NULL : ctx_cache_dir(ctx);
	if (catalog_read(&s->conn, 1, &o, &s->model, NULL) != 0)
		return -1;
	s->have_model = true;
	return 0;
}

static void
side_close(struct side *s)
{
	if (s->conn)
		PQfinish(s->conn);
	sync_applied_release(&s->applied);
	model_release(&s->model);
	diff_source_release(&s->src);
}

/* The changes that turn a into b, described; 0 or -1. */
static int
compare_models(const struct pgw_model *a, const struct pgw_model *b, size_t *changes, struct pgw_buf *words,
			   json_t **groups)
{
	struct pgw_diff d;
	struct pgw_diff_opts o = {0};
	int			rc;

	o.unsafe = true;
	diff_init(&d);
	rc = diff_models(a, b, &o, &d);
	if (rc == 0)
	{
		*changes = d.changes.n;
		if (d.changes.n)
			trial_describe(&d, words, groups);
	}
	diff_release(&d);
	return rc;
}

/*
 * Applies the files of the versions in state st (in order) to a sandbox
 * copy of base's schema and compares the result with other: *residual
 * changes remain (0: the migrations explain the difference).  -1 when the
 * sandbox cannot be made or a migration fails there (recorded).
 */
static int
explain(struct pgw_ctx *ctx, struct side *base, struct side *other, const struct pgw_sync_report *r,
		enum pgw_sync_state st, size_t *residual, struct pgw_buf *words, json_t **groups)
{
	struct pgw_sandbox_db sb;
	struct pgw_model m;
	struct pgw_catalog_opts o;
	int			rc = 0;

	if (sandbox_open(&sb, PGW_SANDBOX_LOCAL, &ctx->cfg, base->conn, base->src.target.conninfo,
					 ctx->cfg.lock_timeout_ms, 0) != 0)
		return -1;
	for (size_t i = 0; i < r->n && rc == 0; i++)
		if (r->rows[i].state == st)
		{
			if (!r->rows[i].file)
			{
				rc = pgw_error(PGW_ERR_INPUT, "version %s has no file in the migrations folder", r->rows[i].version);
				break;
			}
			rc = trial_apply(sb.conn, r->rows[i].file);
		}
	model_init(&m);
	catalog_opts(ctx, &o);
	if (rc == 0)
		rc = catalog_read(&sb.conn, 1, &o, &m, NULL);
	if (rc == 0)
		rc = compare_models(&m, &other->model, residual, words, groups);
	model_release(&m);
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		sandbox_close(&sb);
		pgw_error_restore(&saved);
	}
	return rc;
}

/* runs `migrate ARGS` on TO, its JSON document into *doc */
static int
run_migrate(struct pgw_ctx *ctx, struct side *to, char **av, int n, json_t **doc)
{
	struct pgw_ctx c2 = *ctx;
	int			rc;

	c2.target = to->src.target;
	c2.has_target = true;
	out_json_capture(doc);
	rc = cmd_migrate(&c2, n, av);
	out_json_capture(NULL);
	return rc;
}

int
cmd_sync(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"apply", 0, false, OPT_APPLY},
		{"repair", 0, false, OPT_REPAIR},
		{"yes", 'y', false, OPT_YES},
		{"no-cache", 0, false, OPT_NO_CACHE},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *specs[2] = {NULL, NULL};
	int			nspecs = 0;
	bool		apply = false,
				repair = false,
				yes = false,
				no_cache = false;
	struct side from,
				to;
	struct pgw_migration_set files;
	struct pgw_sync_report r;
	size_t		changes = 0,
				residual = 0;
	struct pgw_buf words,
				rwords;
	json_t	   *groups = NULL,
			   *rgroups = NULL,
			   *sub_docs = json_array();
	const char *explanation = NULL;
	const char *repair_refused = NULL;
	bool		repair_failed = false;
	json_t	   *repairs = json_array();
	char	   *explain_error = NULL;
	bool		in_sync;
	int			rc = PGW_EXIT_OK,
				x;

	opt_init(&p, argc, argv, opts, SYNC_USAGE);
	while ((x = opt_next(&p, &arg)) != OPT_END)
	{
		switch (x)
		{
			case OPT_ERROR:
				json_decref(sub_docs);
				json_decref(repairs);
				return PGW_EXIT_USAGE;
			case OPT_APPLY:
				apply = true;
				break;
			case OPT_NO_CACHE:
				no_cache = true;
				break;
			case OPT_REPAIR:
				repair = true;
				break;
			case OPT_YES:
				yes = true;
				break;
			case OPT_POSITIONAL:
				if (nspecs == 2)
				{
					json_decref(sub_docs);
					json_decref(repairs);
					return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
				}
				specs[nspecs++] = arg;
				break;
		}
	}
	if (apply && repair)
	{
		json_decref(sub_docs);
		json_decref(repairs);
		return opt_usage_error(&p, "--apply runs the migrations, --repair only records them", "give --apply or --repair, not both");
	}
	if (yes && !repair)
	{
		json_decref(sub_docs);
		json_decref(repairs);
		return opt_usage_error(&p, NULL, "--yes goes with --repair");
	}

	memset(&files, 0, sizeof(files));
	memset(&r, 0, sizeof(r));
	buf_init(&words);
	buf_init(&rwords);
	side_init(&from);
	side_init(&to);
	if (side_open(ctx, specs[0] ? specs[0] : "local", &from, no_cache) != 0 ||
		side_open(ctx, nspecs == 2 ? specs[1] : NULL, &to, no_cache) != 0)
	{
		rc = out_fail();
		goto done_sides;
	}
	if (strcmp(from.src.target.display, to.src.target.display) == 0)
	{
		pgw_error(PGW_ERR_USAGE, "FROM and TO are the same database (%s)", from.src.target.display);
		pgw_error_hint("name the other one: pgwarden sync local --env prod, or set DATABASE_URL");
		rc = out_fail();
		goto done_sides;
	}
	if (migrations_load(ctx->cfg.migrations_dir, &files, NULL) != 0)
	{
		rc = out_fail();
		goto done_sides;
	}
	sync_compare(&from.applied, &to.applied, &files, &r);

	/* the schemas, and whether the histories explain the difference */
	if (compare_models(&to.model, &from.model, &changes, &words, &groups) != 0)
	{
		rc = out_fail();
		sync_report_release(&r);
		migrations_release(&files);
		goto done_sides;
	}
	if (changes == 0)
		explanation = "equal";
	else if (r.count[PGW_SYNC_ONLY_FROM] == 0 && r.count[PGW_SYNC_ONLY_TO] == 0)
	{
		explanation = "drift";
		residual = changes;
		buf_append(&rwords, words.data);
		rgroups = json_incref(groups);
	}
	else if (r.count[PGW_SYNC_ONLY_FROM] && r.count[PGW_SYNC_ONLY_TO])
		explanation = "both sides have versions the other lacks: not explained";
	else
	{
		bool		fwd = r.count[PGW_SYNC_ONLY_FROM] > 0;

		if (!out_is_json())
			out_note("applying the versions only on %s to a sandbox copy of %s…", fwd ? "FROM" : "TO",
					 fwd ? "TO" : "FROM");
		if (explain(ctx, fwd ? &to : &from, fwd ? &from : &to, &r, fwd ? PGW_SYNC_ONLY_FROM : PGW_SYNC_ONLY_TO,
					&residual, &rwords, &rgroups) != 0)
		{
			explain_error = pgw_strdup(pgw_error_last()->message);
			pgw_error_clear();
			explanation = "cannot tell";
		}
		else
			explanation = residual ? "partly explained: drift remains" : "explained by the history";
	}
	in_sync = changes == 0 && r.count[PGW_SYNC_ONLY_FROM] == 0 && r.count[PGW_SYNC_ONLY_TO] == 0 &&
		r.count[PGW_SYNC_CHECKSUM] == 0;
	if (!in_sync)
		rc = PGW_EXIT_CHECK;

	if (!out_is_json())
	{
		out_printf("FROM %s\nTO   %s\n\n", from.src.target.display, to.src.target.display);
		if (r.n)
		{
			out_printf("%-16s %-32s %-5s %-5s %s\n", "VERSION", "NAME", "FROM", "TO", "STATE");
			for (size_t i = 0; i < r.n; i++)
			{
				const struct pgw_sync_row *row = &r.rows[i];
				enum pgw_style style = row->state == PGW_SYNC_BOTH ? PGW_STYLE_OK :
					row->state == PGW_SYNC_NOWHERE ? PGW_STYLE_WARN : PGW_STYLE_ERROR;

				out_printf("%-16s %-32.32s %-5s %-5s %s%s%s%s\n", row->version, row->name ? row->name : "",
						   row->from ? "yes" : "-", row->to ? "yes" : "-", out_style(style),
						   sync_state_name(row->state), out_style_end(),
						   row->file ? "" : row->state == PGW_SYNC_NOWHERE ? "" : " (no file here)");
			}
			out_printf("\n");
		}
		out_printf("history: %zu on both, %zu only on FROM, %zu only on TO, %zu with a different checksum, "
				   "%zu applied nowhere\n", r.count[PGW_SYNC_BOTH], r.count[PGW_SYNC_ONLY_FROM],
				   r.count[PGW_SYNC_ONLY_TO], r.count[PGW_SYNC_CHECKSUM], r.count[PGW_SYNC_NOWHERE]);
		if (changes == 0)
			out_printf("schema: equal\n");
		else
		{
			out_printf("schema: TO differs from FROM (%zu change%s to make TO like FROM): %s\n", changes,
					   changes == 1 ? "" : "s", words.data);
			if (strcmp(explanation, "drift") == 0)
				out_printf("  %sdrift%s: no migration explains it (the histories agree)\n",
						   out_style(PGW_STYLE_ERROR), out_style_end());
			else if (strcmp(explanation, "explained by the history") == 0)
				out_printf("  explained: the migrations only on %s account for all of it\n",
						   r.count[PGW_SYNC_ONLY_FROM] ? "FROM" : "TO");
			else if (strncmp(explanation, "partly", 6) == 0)
				out_printf("  %sdrift%s no migration explains: %s\n", out_style(PGW_STYLE_ERROR), out_style_end(),
						   rwords.data);
			else if (explain_error)
				out_printf("  cannot tell which migrations explain it: %s\n", explain_error);
			else
				out_printf("  %s\n", explanation);
		}
		out_printf("%s\n", in_sync ? "in sync" : "not in sync");
	}

	/* --apply: TO up to FROM's newest version, through the safe runner */
	if (apply && !in_sync)
	{
		const char *newest = NULL;

		for (size_t i = 0; i < r.n; i++)
			if (r.rows[i].from)
				newest = r.rows[i].version;
		if (!newest || r.count[PGW_SYNC_ONLY_FROM] == 0)
		{
			if (!out_is_json())
				out_printf("--apply: nothing of FROM's history is missing on TO\n");
		}
		else
		{
			char	   *av[] = {"migrate", "up", "--safe", "--to", (char *) newest,
				no_cache ? "--no-cache" : NULL, NULL};
			json_t	   *doc = NULL;

			if (!out_is_json())
				out_printf("\n--apply: migrate up --safe --to %s%s on TO\n", newest, no_cache ? " --no-cache" : "");
			rc = run_migrate(ctx, &to, av, no_cache ? 6 : 5, &doc);
			if (doc)
				json_array_append_new(sub_docs, doc);
		}
	}

	/* --repair: only where the schemas already agree, each shown */
	if (repair && !in_sync)
	{
		if (changes != 0)
		{
			repair_refused = "the schemas differ: recording versions would not make them equal";
			if (!out_is_json())
				out_printf("\n--repair: %srefused%s: %s; --apply runs the missing migrations, "
						   "'pgwarden diff' shows the drift\n", out_style(PGW_STYLE_ERROR), out_style_end(),
						   repair_refused);
		}
		else
		{
			if (!out_is_json())
				out_printf("\n--repair: the schemas are equal; on TO%s:\n", yes ? "" : " (add --yes to run them)");
			for (size_t i = 0; i < r.n; i++)
			{
				const struct pgw_sync_row *row = &r.rows[i];
				const char *flag = NULL;
				const char *skip = NULL;

				if (row->state == PGW_SYNC_ONLY_FROM && row->file)
					flag = "--applied";
				else if (row->state == PGW_SYNC_ONLY_FROM)
					skip = "no file here to record";
				else if (row->state == PGW_SYNC_ONLY_TO)
					flag = "--reverted";
				else if (row->state == PGW_SYNC_CHECKSUM)
				{
					if (row->file && row->from->checksum && strcmp(row->from->checksum, row->file->checksum) == 0)
						flag = "--checksum";
					else
						skip = "FROM's checksum is not the file's either: which one is right is not known";
				}
				if (!flag && !skip)
					continue;
				json_array_append_new(repairs, json_pack("{s:s,s:s?,s:s?}", "version", row->version,
														 "action", flag, "skipped", skip));
				if (!out_is_json())
				{
					if (flag)
						out_printf("  pgwarden migrate repair %s %s\n", row->version, flag);
					else
						out_printf("  %s: not repaired (%s)\n", row->version, skip);
				}
				if (flag && yes)
				{
					char	   *av[] = {"migrate", "repair", (char *) row->version, (char *) flag, NULL};
					json_t	   *doc = NULL;
					int			mrc = run_migrate(ctx, &to, av, 4, &doc);

					if (doc)
						json_array_append_new(sub_docs, doc);
					if (mrc != PGW_EXIT_OK)
					{
						rc = mrc;
						repair_failed = true;
						break;
					}
				}
			}
			if (yes && !repair_failed)
			{
				/* what TO records now */
				struct pgw_applied_set now;

				if (sync_read_applied(to.conn, &now) == 0)
				{
					struct pgw_sync_report r2;

					sync_compare(&from.applied, &now, &files, &r2);
					if (r2.count[PGW_SYNC_ONLY_FROM] == 0 && r2.count[PGW_SYNC_ONLY_TO] == 0 &&
						r2.count[PGW_SYNC_CHECKSUM] == 0)
					{
						in_sync = true;
						rc = PGW_EXIT_OK;
					}
					sync_report_release(&r2);
					sync_applied_release(&now);
					if (!out_is_json())
						out_printf("%s\n", in_sync ? "repaired: in sync" : "repaired what could be: still not in sync");
				}
				else
					pgw_error_clear();
			}
		}
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(in_sync);
		json_t	   *vers = json_array();
		json_t	   *sum = json_object();
		json_t	   *schema = json_object();

		for (size_t i = 0; i < r.n; i++)
			json_array_append_new(vers, sync_row_json(&r.rows[i]));
		json_object_set_new(doc, "from", json_string(from.src.target.display));
		json_object_set_new(doc, "to", json_string(to.src.target.display));
		json_object_set_new(doc, "versions", vers);
		json_object_set_new(schema, "equal", json_boolean(changes == 0));
		json_object_set_new(schema, "changes", json_integer((json_int_t) changes));
		json_object_set_new(schema, "difference", groups ? json_incref(groups) : json_array());
		json_object_set_new(schema, "explanation", json_string(explanation ? explanation : ""));
		json_object_set_new(schema, "drift", rgroups ? json_incref(rgroups) : json_array());
		if (explain_error)
			json_object_set_new(schema, "explain_error", json_string(explain_error));
		json_object_set_new(doc, "schema", schema);
		json_object_set_new(sum, "in_sync", json_boolean(in_sync));
		json_object_set_new(sum, "both", json_integer((json_int_t) r.count[PGW_SYNC_BOTH]));
		json_object_set_new(sum, "only_from", json_integer((json_int_t) r.count[PGW_SYNC_ONLY_FROM]));
		json_object_set_new(sum, "only_to", json_integer((json_int_t) r.count[PGW_SYNC_ONLY_TO]));
		json_object_set_new(sum, "checksum_differs", json_integer((json_int_t) r.count[PGW_SYNC_CHECKSUM]));
		json_object_set_new(sum, "nowhere", json_integer((json_int_t) r.count[PGW_SYNC_NOWHERE]));
		json_object_set_new(doc, "summary", sum);
		json_object_set_new(doc, "repairs", json_incref(repairs));
		if (repair_refused)
			json_object_set_new(doc, "repair_refused", json_string(repair_refused));
		json_object_set_new(doc, "actions", json_incref(sub_docs));
		out_json_emit(doc);
	}
	sync_report_release(&r);
	migrations_release(&files);
done_sides:
	side_close(&from);
	side_close(&to);
	buf_release(&words);
	buf_release(&rwords);
	json_decref(groups);
	json_decref(rgroups);
	json_decref(sub_docs);
	json_decref(repairs);
	free(explain_error);
	return rc;
}
