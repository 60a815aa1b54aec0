/*
 * dump_schema.c — `pgwarden dump-schema`: the managed schema as one ordered
 * SQL file (docs/dump-schema.md).
 *
 * It is the diff from an empty model to the target's: every object created
 * in dependency order, with IF NOT EXISTS / OR REPLACE where PostgreSQL has
 * them, owners, grants and comments.  Loading it into an empty database
 * gives the same `inspect --stable` snapshot as the source.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/opt.h"
#include "commands.h"
#include "diff/diff.h"
#include "diff/source.h"
#include "out/out.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define DUMP_USAGE "pgwarden dump-schema [--out FILE] [--from SNAPSHOT|sql:PATH] [--schema PATTERN]... [--no-owners]"

enum
{
	OPT_OUT = 1,
	OPT_FROM,
	OPT_SCHEMA,
	OPT_NO_OWNERS
};

int
cmd_dump_schema(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"from", 0, true, OPT_FROM},
		{"no-owners", 0, false, OPT_NO_OWNERS},
		{"out", 'o', true, OPT_OUT},
		{"schema", 'n', true, OPT_SCHEMA},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *out = NULL;
	const char *from = NULL;
	bool		owners = true;
	struct pgw_strlist include = {0};
	struct pgw_diff_source src;
	struct pgw_diff_source *sides[1] = {&src};
	struct pgw_model empty;
	struct pgw_diff_opts dopts = {0};
	struct pgw_diff d;
	struct pgw_buf script;
	int			rc = PGW_EXIT_OK;
	int			r;

	opt_init(&p, argc, argv, opts, DUMP_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				strlist_release(&include);
				return PGW_EXIT_USAGE;
			case OPT_OUT:
				out = arg;
				break;
			case OPT_FROM:
				from = arg;
				break;
			case OPT_SCHEMA:
				strlist_add(&include, arg);
				break;
			case OPT_NO_OWNERS:
				owners = false;
				break;
			default:
				strlist_release(&include);
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}

	memset(&src, 0, sizeof(src));
	model_init(&src.model);
	if (from)
	{
		model_release(&src.model);
		if (diff_source_parse(&ctx->cfg, from, &src) != 0)
		{
			rc = out_fail();
			goto out;
		}
	}
	else
	{
		if (target_resolve(&ctx->cfg, ctx->db, ctx->env, &src.target) != 0)
		{
			rc = out_fail();
			goto out;
		}
		src.kind = PGW_SOURCE_LIVE;
		src.has_target = true;
		src.display = pgw_strdup(src.target.display);
	}
	if (diff_sources_read(sides, 1, &ctx->cfg, &include, 0) != 0)
	{
		rc = out_fail();
		goto out;
	}
	model_init(&empty);
	diff_init(&d);
	buf_init(&script);
	dopts.unsafe = true;
	dopts.owners = owners;
	dopts.if_not_exists = true;
	dopts.no_concurrently = true;
	dopts.defaults_unknown = true;
	if (diff_models(&empty, &src.model, &dopts, &d) != 0)
		rc = out_fail();
	else
	{
		char	   *title = pgw_asprintf("pgwarden dump-schema: %s", src.display);

		diff_script(&d, title, &script);
		free(title);
		if (out)
		{
			if (fs_write_file(out, script.data, script.len, 0644) != 0)
				rc = out_fail();
			else if (out_is_json())
			{
				json_t	   *doc = out_json_envelope(true);
				json_t	   *sum = json_object();

				json_object_set_new(sum, "statements", json_integer((json_int_t) d.changes.n));
				json_object_set_new(sum, "file", json_string(out));
				json_object_set_new(doc, "summary", sum);
				out_json_emit(doc);
			}
			else
				out_printf("wrote %s (%zu changes from %s)\n", out, d.changes.n, src.display);
		}
		else if (out_is_json())
		{
			json_t	   *doc = out_json_envelope(true);
			json_t	   *sum = json_object();

			json_object_set_new(sum, "statements", json_integer((json_int_t) d.changes.n));
			json_object_set_new(doc, "summary", sum);
			json_object_set_new(doc, "sql", json_string(script.data));
			out_json_emit(doc);
		}
		else
			out_write(script.data);
	}
	buf_release(&script);
	diff_release(&d);
	model_release(&empty);
out:
	diff_source_release(&src);
	strlist_release(&include);
	return rc;
}
