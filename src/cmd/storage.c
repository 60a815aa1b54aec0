/*
 * storage.c — `pgwarden storage`: Supabase Storage buckets listed, audited
 * and cleaned (docs/storage.md).  Subcommands list, info, audit, create,
 * orphans, cleanup; the work is in check/storage.c, this file parses the
 * options, picks the exit code and renders text or the JSON document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check/storage.h"
#include "cmd/opt.h"
#include "commands.h"
#include "db/query.h"
#include "migrate/files.h"
#include "out/out.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/fs.h"
#include "util/mem.h"

#define STORAGE_USAGE \
	"pgwarden storage list | info NAME | audit [NAME...] [--fix [--apply]] | create NAME [--public] [--size-limit SIZE] " \
	"[--mime TYPES] [--policy owner|tenant|public-read] [--apply] | orphans NAME [--ref TABLE.COLUMN...] " \
	"| cleanup NAME [--ref TABLE.COLUMN...] [--yes]"

enum
{
	OPT_PUBLIC = 1, OPT_SIZE, OPT_MIME, OPT_POLICY, OPT_APPLY, OPT_REF, OPT_LIMIT,
	OPT_YES, OPT_BATCH, OPT_WORDS, OPT_FAIL_ON, OPT_NO_PROBE, OPT_FIX
};

struct storage_args
{
	const char *sub;
	struct pgw_strlist names;
	bool		public;
	const char *size;
	const char *mime;
	const char *policy;
	bool		apply;
	struct pgw_strlist refs;
	long		limit;
	bool		yes;
	long		batch;
	const char *words;
	int			fail_on;
	bool		no_probe;
	bool		fix;
};

static char *
human(json_t *v)
{
	return out_bytes((unsigned long long) json_integer_value(v));
}

static char *
limit_text(json_t *b)
{
	json_t	   *l = json_object_get(b, "file_size_limit");

	return json_is_integer(l) && json_integer_value(l) > 0 ? human(l) : pgw_strdup("none");
}

static char *
mime_text(json_t *b)
{
	json_t	   *m = json_object_get(b, "allowed_mime_types");
	struct pgw_buf s;
	size_t		i;
	json_t	   *v;

	if (!json_is_array(m))
		return pgw_strdup("any");
	buf_init(&s);
	json_array_foreach(m, i, v)
		buf_printf(&s, "%s%s", i ? "," : "", json_string_value(v));
	return buf_steal(&s);
}

static int
fail(PGconn *conn)
{
	int			rc = out_fail();

	PQfinish(conn);
	return rc;
}

static void
print_bucket_line(json_t *b, size_t w, size_t mw)
{
	char	   *lim = limit_text(b),
			   *mime = mime_text(b),
			   *bytes = human(json_object_get(b, "bytes"));
	struct pgw_buf pols;
	size_t		i;
	json_t	   *v;

	buf_init(&pols);
	json_array_foreach(json_object_get(b, "policies"), i, v)
		buf_printf(&pols, "%s%s", i ? ", " : "", json_string_value(v));
	out_printf("%-*s %-7s %-9s %-*s %7lld %9s  %s\n", (int) w, json_string_value(json_object_get(b, "name")),
			   json_is_true(json_object_get(b, "public")) ? "public" : "private", lim, (int) mw, mime,
			   (long long) json_integer_value(json_object_get(b, "objects")), bytes, pols.len ? pols.data : "-");
	buf_release(&pols);
	free(lim);
	free(mime);
	free(bytes);
}

static size_t
name_width(json_t *buckets)
{
	size_t		w = 6,
				i;
	json_t	   *b;

	json_array_foreach(buckets, i, b)
		if (strlen(json_string_value(json_object_get(b, "name"))) > w)
		w = strlen(json_string_value(json_object_get(b, "name")));
	return w;
}

static int
do_list(PGconn *conn)
{
	json_t	   *buckets = storage_read_buckets(conn, NULL);
	long long	objects = 0,
				bytes = 0;
	size_t		i;
	json_t	   *b;

	if (!buckets)
		return fail(conn);
	json_array_foreach(buckets, i, b)
	{
		objects += json_integer_value(json_object_get(b, "objects"));
		bytes += json_integer_value(json_object_get(b, "bytes"));
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "summary", json_pack("{s:i, s:I, s:I}", "buckets", (int) json_array_size(buckets),
													  "objects", (json_int_t) objects, "bytes", (json_int_t) bytes));
		json_object_set_new(doc, "buckets", buckets);
		out_json_emit(doc);
	}
	else
	{
		size_t		w = name_width(buckets);
		size_t		mw = 10;
		char	   *hb = out_bytes((unsigned long long) bytes);

		json_array_foreach(buckets, i, b)
		{
			char	   *m = mime_text(b);

			if (strlen(m) > mw)
				mw = strlen(m);
			free(m);
		}
		out_printf("%s%-*s %-7s %-9s %-*s %7s %9s  %s%s\n", out_style(PGW_STYLE_BOLD), (int) w, "bucket", "access",
				   "max size", (int) mw, "mime types", "objects", "bytes", "policies", out_style_end());
		json_array_foreach(buckets, i, b)
			print_bucket_line(b, w, mw);
		out_printf("\n%zu bucket%s, %lld object%s, %s\n", json_array_size(buckets), json_array_size(buckets) == 1 ? "" : "s",
				   objects, objects == 1 ? "" : "s", hb);
		free(hb);
		json_decref(buckets);
	}
	PQfinish(conn);
	return PGW_EXIT_OK;
}

static const char *const probe_ops[4] = {"select", "insert", "update", "delete"};

static int
do_info(PGconn *conn, const char *name)
{
	json_t	   *buckets = storage_read_buckets(conn, name);
	json_t	   *b,
			   *pols,
			   *mine,
			   *ids,
			   *access;
	bool		rls,
				forced;
	size_t		i;
	json_t	   *v;

	if (!buckets)
		return fail(conn);
	b = json_incref(json_array_get(buckets, 0));
	json_decref(buckets);
	if (storage_read_detail(conn, name, b) != 0 || !(pols = storage_read_policies(conn, &rls, &forced)))
	{
		json_decref(b);
		return fail(conn);
	}
	mine = json_array();
	json_array_foreach(pols, i, v)
		if (storage_policy_applies(v, name))
		json_array_append(mine, v);
	json_decref(pols);
	json_object_set_new(b, "policies", mine);
	json_object_set_new(b, "rls_enabled", json_boolean(rls));
	ids = json_pack("[s]", name);
	access = storage_probe(conn, ids);
	json_decref(ids);
	if (!access)
	{
		json_decref(b);
		return fail(conn);
	}
	json_object_set(b, "access", json_object_get(access, name));
	json_decref(access);
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "summary", json_pack("{s:s, s:O, s:O}", "bucket", name,
													  "objects", json_object_get(b, "objects"), "bytes", json_object_get(b, "bytes")));
		json_object_set_new(doc, "bucket", b);
		out_json_emit(doc);
	}
	else
	{
		char	   *lim = limit_text(b),
				   *mime = mime_text(b),
				   *bytes = human(json_object_get(b, "bytes"));
		json_t	   *acc = json_object_get(b, "access");

		out_printf("%sbucket %s%s\n", out_style(PGW_STYLE_BOLD), json_string_value(json_object_get(b, "name")), out_style_end());
		out_printf("  access:      %s\n", json_is_true(json_object_get(b, "public")) ? "public (files served by URL to anyone)" : "private");
		out_printf("  size limit:  %s\n  mime types:  %s\n", lim, mime);
		out_printf("  objects:     %lld (%s)\n", (long long) json_integer_value(json_object_get(b, "objects")), bytes);
		free(lim);
		free(mime);
		free(bytes);
		out_printf("\nlargest objects\n");
		if (json_array_size(json_object_get(b, "largest")) == 0)
			out_printf("  (none)\n");
		json_array_foreach(json_object_get(b, "largest"), i, v)
		{
			char	   *h = human(json_object_get(v, "bytes"));

			out_printf("  %9s  %s\n", h, json_string_value(json_object_get(v, "name")));
			free(h);
		}
		out_printf("\nfolders\n");
		if (json_array_size(json_object_get(b, "folders")) == 0)
			out_printf("  (none)\n");
		json_array_foreach(json_object_get(b, "folders"), i, v)
		{
			char	   *h = human(json_object_get(v, "bytes"));
			const char *f = json_string_value(json_object_get(v, "folder"));

			out_printf("  %-20s %6lld objects %9s\n", f ? f : "(top level)",
					   (long long) json_integer_value(json_object_get(v, "objects")), h);
			free(h);
		}
		out_printf("\npolicies on storage.objects for this bucket%s\n", rls ? "" : " (row-level security is OFF)");
		if (json_array_size(json_object_get(b, "policies")) == 0)
			out_printf("  (none)\n");
		json_array_foreach(json_object_get(b, "policies"), i, v)
		{
			const char *q = json_string_value(json_object_get(v, "using"));
			const char *c = json_string_value(json_object_get(v, "check"));

			out_printf("  %s (%s)%s%s%s%s\n", json_string_value(json_object_get(v, "name")),
					   json_string_value(json_object_get(v, "command")), q ? " USING " : "", q ? q : "",
					   c ? " WITH CHECK " : "", c ? c : "");
		}
		out_printf("\nwho can do what (probed in a rolled-back transaction; another user's object, own folder for insert)\n");
		out_printf("  %-14s %-7s %-7s %-7s %-7s\n", "role", "select", "insert", "update", "delete");
		for (int r = 0; r < PGW_STORAGE_NROLES; r++)
		{
			json_t	   *ra = json_object_get(acc, pgw_storage_roles[r]);

			out_printf("  %-14s", pgw_storage_roles[r]);
			for (int k = 0; k < 4; k++)
			{
				const char *s = json_string_value(json_object_get(ra, probe_ops[k]));

				out_printf(" %-7s", s && strncmp(s, "error", 5) == 0 ? "error" : s ? s : "?");
			}
			out_printf("\n");
			for (int k = 0; k < 4; k++)
			{
				const char *s = json_string_value(json_object_get(ra, probe_ops[k]));

				if (s && strncmp(s, "error", 5) == 0)
					out_printf("    %s: %s\n", probe_ops[k], s);
			}
		}
		json_decref(b);
	}
	PQfinish(conn);
	return PGW_EXIT_OK;
}

/*
 * audit --fix: one migration with the SQL of every unsuppressed finding
 * that has a fix, its rollback the undos in reverse order.  *jfix: NULL
 * when nothing has a fix, else {version, file, rollback, fixed}.
 */
static int
write_audit_fix(struct pgw_ctx *ctx, const struct pgw_findings *list, json_t **jfix)
{
	struct pgw_buf up,
				down;
	size_t		fixed = 0;
	char	   *up_path = NULL,
			   *down_path = NULL;
	int			rc = 0;

	*jfix = NULL;
	buf_init(&up);
	buf_init(&down);
	buf_append(&up, "-- fixes of pgwarden storage audit (pgwarden storage audit --fix)\n");
	buf_append(&down, "");
	for (size_t k = 0; k < list->n; k++)
	{
		const struct pgw_finding *f = &list->items[k];
		struct pgw_buf d;

		if (f->suppressed || !f->has_fix || !f->fix.sql)
			continue;
		fixed++;
		buf_printf(&up, "\n-- %s: %s\n%s", f->rule, f->message, f->fix.sql);
		buf_init(&d);
		buf_printf(&d, "-- undo %s: %s\n%s\n%s", f->rule, f->object.name ? f->object.name : "",
				   f->fix.undo ? f->fix.undo : "", down.data ? down.data : "");
		buf_reset(&down);
		buf_append(&down, d.data);
		buf_release(&d);
	}
	if (fixed > 0)
	{
		if (migrations_create(ctx->cfg.migrations_dir, "storage_audit_fix", &up_path, &down_path) != 0 ||
			fs_write_file(up_path, up.data, up.len, 0644) != 0 ||
			fs_write_file(down_path, down.data, down.len, 0644) != 0)
			rc = -1;
		else
		{
			char	   *su = ctx_project_path(ctx, up_path);
			char	   *sd = ctx_project_path(ctx, down_path);
			const char *base = strrchr(up_path, '/') ? strrchr(up_path, '/') + 1 : up_path;
			char	   *version = pgw_strndup(base, strspn(base, "0123456789"));

			*jfix = json_pack("{s:s, s:s, s:s, s:i}", "version", version, "file", su, "rollback", sd, "fixed", (int) fixed);
			free(su);
			free(sd);
			free(version);
		}
	}
	free(up_path);
	free(down_path);
	buf_release(&up);
	buf_release(&down);
	return rc;
}

static int
do_audit(struct pgw_ctx *ctx, PGconn *conn, const struct storage_args *a)
{
	const struct pgw_config *cfg = &ctx->cfg;
	json_t	   *jfix = NULL,
			   *applied = NULL;
	size_t		nsup,
				nerr,
				nwarn,
				ninfo;
	json_t	   *buckets = json_array(),
			   *pols,
			   *ids = json_array(),
			   *access = NULL,
			   *orphans = json_object();
	bool		rls,
				forced;
	long long	missing = 0,
				missing_bytes = 0;
	struct pgw_findings list;
	size_t		i;
	json_t	   *b;
	int			rc = PGW_EXIT_OK;

	if (a->names.n == 0)
	{
		json_decref(buckets);
		if (!(buckets = storage_read_buckets(conn, NULL)))
			return fail(conn);
	}
	for (size_t k = 0; k < a->names.n; k++)
	{
		json_t	   *one = storage_read_buckets(conn, a->names.items[k]);

		if (!one)
		{
			json_decref(buckets);
			json_decref(ids);
			json_decref(orphans);
			return fail(conn);
		}
		json_array_extend(buckets, one);
		json_decref(one);
	}
	if (!(pols = storage_read_policies(conn, &rls, &forced)) ||
		storage_missing_bucket_rows(conn, &missing, &missing_bytes) != 0)
		goto failed;
	json_array_foreach(buckets, i, b)
	{
		const char *id = json_string_value(json_object_get(b, "id"));
		json_t	   *refs;

		json_array_append(ids, json_object_get(b, "id"));
		if (json_integer_value(json_object_get(b, "objects")) == 0)
			continue;
		if (!(refs = storage_find_refs(conn, id, NULL)))
			goto failed;
		if (json_array_size(refs) > 0)
		{
			json_t	   *o = storage_find_orphans(conn, id, refs, 1);

			if (!o)
			{
				json_decref(refs);
				goto failed;
			}
			json_object_set_new(orphans, id, o);
		}
		json_decref(refs);
	}
	if (!a->no_probe && !(access = storage_probe(conn, ids)))
		goto failed;
	findings_init(&list);
	storage_audit(buckets, access, pols, rls, missing, missing_bytes, orphans, a->words, a->names.n > 0, &list);
	nsup = findings_suppress(&list, (const char *const *) cfg->ignore.items, cfg->ignore.n);
	if (findings_count_at_least(&list, (enum pgw_severity) a->fail_on) > 0)
		rc = PGW_EXIT_CHECK;
	nerr = findings_count_at_least(&list, PGW_SEV_ERROR);
	nwarn = findings_count_at_least(&list, PGW_SEV_WARNING) - nerr;
	ninfo = findings_count_at_least(&list, PGW_SEV_INFO) - nerr - nwarn;
	PQfinish(conn);
	conn = NULL;
	if (a->fix && write_audit_fix(ctx, &list, &jfix) != 0)
	{
		findings_release(&list);
		goto failed;
	}
	if (jfix && a->apply)
	{
		char	   *av[] = {"migrate", "up", "--safe", "--to", (char *) json_string_value(json_object_get(jfix, "version")), NULL};
		int			arc;

		out_json_capture(&applied);
		arc = cmd_migrate(ctx, 5, av);
		out_json_capture(NULL);
		out_set_command("storage audit");
		json_object_set_new(jfix, "applied", json_boolean(arc == PGW_EXIT_OK));
		if (arc != PGW_EXIT_OK)
			rc = arc;
	}
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(rc == PGW_EXIT_OK);
		json_t	   *jf = json_array();

		for (size_t k = 0; k < list.n; k++)
			if (!list.items[k].suppressed)
				json_array_append_new(jf, finding_to_json(&list.items[k]));
		json_object_set_new(doc, "summary", json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "buckets", (int) json_array_size(buckets),
													  "findings", (int) (nerr + nwarn + ninfo), "error", (int) nerr,
													  "warning", (int) nwarn, "info", (int) ninfo, "suppressed", (int) nsup));
		json_object_set_new(doc, "findings", jf);
		if (access)
			json_object_set(doc, "access", access);
		if (jfix)
			json_object_set(doc, "fix", jfix);
		if (applied)
			json_object_set_new(doc, "apply", applied);
		out_json_emit(doc);
	}
	else
	{
		for (int sev = PGW_SEV_ERROR; sev >= PGW_SEV_INFO; sev--)
			for (size_t k = 0; k < list.n; k++)
			{
				const struct pgw_finding *f = &list.items[k];

				if ((int) f->severity != sev || f->suppressed)
					continue;
				out_printf("%s%s%s %s: %s\n", out_style(sev == PGW_SEV_ERROR ? PGW_STYLE_ERROR : sev == PGW_SEV_WARNING
															 ? PGW_STYLE_WARN : PGW_STYLE_INFO),
						   severity_name(f->severity), out_style_end(), f->rule, f->message);
				if (f->detail)
					out_printf("  detail: %s\n", f->detail);
				if (f->hint)
					out_printf("  hint: %s\n", f->hint);
				if (f->has_fix && f->fix.sql)
					out_printf("  fix: %s", f->fix.sql);
			}
		out_printf("%s%zu bucket%s audited: %zu finding%s (%zu error%s)%s\n", nerr + nwarn + ninfo ? "\n" : "",
				   json_array_size(buckets), json_array_size(buckets) == 1 ? "" : "s", nerr + nwarn + ninfo,
				   nerr + nwarn + ninfo == 1 ? "" : "s", nerr, nerr == 1 ? "" : "s",
				   access ? "; access probed as anon, authenticated, service_role and rolled back" : "");
		if (jfix)
		{
			out_printf("wrote %s (fixes %lld finding%s)\n  and %s\n", json_string_value(json_object_get(jfix, "file")),
					   (long long) json_integer_value(json_object_get(jfix, "fixed")),
					   json_integer_value(json_object_get(jfix, "fixed")) == 1 ? "" : "s",
					   json_string_value(json_object_get(jfix, "rollback")));
			if (!a->apply)
				out_printf("review it, then apply with: pgwarden migrate up --safe\n");
			else if (json_is_true(json_object_get(jfix, "applied")))
				out_printf("applied through migrate up --safe\n");
		}
		else if (a->fix)
			out_printf("nothing to fix automatically\n");
		json_decref(applied);
	}
	json_decref(jfix);
	findings_release(&list);
	json_decref(buckets);
	json_decref(pols);
	json_decref(ids);
	json_decref(access);
	json_decref(orphans);
	return rc;
failed:
	json_decref(buckets);
	json_decref(pols);
	json_decref(ids);
	json_decref(orphans);
	json_decref(access);
	if (!conn)
		return out_fail();
	return fail(conn);
}

/* ---- create ----------------------------------------------------------- */

static void
policy_sql(struct pgw_buf *up, struct pgw_buf *down, const char *bucket, const char *what, const char *cmd,
		   const char *roles, const char *cond)
{
	char	   *pname = pgw_asprintf("%s: %s", bucket, what);
	bool		with_check = strcmp(cmd, "INSERT") == 0 || strcmp(cmd, "UPDATE") == 0;
	bool		using = strcmp(cmd, "INSERT") != 0;

	buf_append(up, "CREATE POLICY ");
	sql_ident(up, pname);
	buf_printf(up, " ON storage.objects FOR %s TO %s", cmd, roles);
	if (using)
	{
		buf_append(up, "\n  USING (bucket_id = ");
		sql_literal(up, bucket);
		buf_printf(up, "%s%s)", cond ? " AND " : "", cond ? cond : "");
	}
	if (with_check)
	{
		buf_append(up, "\n  WITH CHECK (bucket_id = ");
		sql_literal(up, bucket);
		buf_printf(up, "%s%s)", cond ? " AND " : "", cond ? cond : "");
	}
	buf_append(up, ";\n");
	/* down runs in reverse: prepend */
	{
		struct pgw_buf d;

		buf_init(&d);
		buf_append(&d, "DROP POLICY IF EXISTS ");
		sql_ident(&d, pname);
		buf_append(&d, " ON storage.objects;\n");
		buf_append(&d, down->data ? down->data : "");
		buf_reset(down);
		buf_append(down, d.data);
		buf_release(&d);
	}
	free(pname);
}

static int
do_create(struct pgw_ctx *ctx, PGconn *conn, const struct storage_args *a)
{
	const char *name = a->names.items[0];
	long long	limit = 0;
	struct pgw_buf up,
				down,
				mimes;
	const char *p[1] = {name};
	PGresult   *res;
	char	   *up_path = NULL,
			   *down_path = NULL,
			   *fname,
			   *cond = NULL;
	const char *policy = a->policy ? a->policy : "owner";
	int			rc = PGW_EXIT_OK;

	if (a->size && !config_parse_size(a->size, &limit))
	{
		PQfinish(conn);
		return out_usage_error(STORAGE_USAGE, "write a size such as 10MB or 500kB", "invalid --size-limit '%s'", a->size);
	}
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the buckets", "SELECT 1 FROM storage.buckets WHERE id = $1::text OR name = $1::text",
				  1, p, PGRES_TUPLES_OK);
	if (!res)
		return fail(conn);
	if (PQntuples(res) > 0)
	{
		PQclear(res);
		pgw_error(PGW_ERR_INPUT, "bucket '%s' already exists", name);
		pgw_error_hint("run 'pgwarden storage info %s'", name);
		return fail(conn);
	}
	PQclear(res);
	buf_init(&up);
	buf_init(&down);
	buf_init(&mimes);
	buf_printf(&up, "-- storage bucket '%s' with its policies on storage.objects (pgwarden storage create)\n", name);
	buf_append(&up, "INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types)\nVALUES (");
	sql_literal(&up, name);
	buf_append(&up, ", ");
	sql_literal(&up, name);
	buf_printf(&up, ", %s, ", a->public ? "true" : "false");
	if (limit > 0)
		buf_printf(&up, "%lld, ", limit);
	else
		buf_append(&up, "NULL, ");
	if (a->mime)
	{
		const char *s = a->mime;

		buf_append(&up, "ARRAY[");
		while (*s)
		{
			const char *e = strchr(s, ',');
			char	   *t = e ? pgw_strndup(s, (size_t) (e - s)) : pgw_strdup(s);

			buf_printf(&mimes, "%s", mimes.len ? ", " : "");
			sql_literal(&mimes, t);
			free(t);
			s = e ? e + 1 : s + strlen(s);
		}
		buf_printf(&up, "%s]::text[]);\n", mimes.data ? mimes.data : "");
	}
	else
		buf_append(&up, "NULL);\n");
	if (strcmp(policy, "tenant") == 0)
	{
		struct pgw_buf c;

		buf_init(&c);
		buf_append(&c, "(storage.foldername(name))[1] = ((SELECT auth.jwt()) ->> ");
		sql_literal(&c, ctx->cfg.tenant_column ? ctx->cfg.tenant_column : "tenant_id");
		buf_append(&c, ")");
		cond = buf_steal(&c);
	}
	else
		cond = pgw_strdup("owner_id = ((SELECT auth.uid()))::text");
	buf_append(&down, "DELETE FROM storage.buckets WHERE id = ");
	sql_literal(&down, name);
	buf_append(&down, ";\n");
	if (strcmp(policy, "public-read") == 0)
		policy_sql(&up, &down, name, "read", "SELECT", "anon, authenticated", NULL);
	else
		policy_sql(&up, &down, name, "read own", "SELECT", "authenticated", cond);
	policy_sql(&up, &down, name, "upload own", "INSERT", "authenticated", cond);
	policy_sql(&up, &down, name, "update own", "UPDATE", "authenticated", cond);
	policy_sql(&up, &down, name, "delete own", "DELETE", "authenticated", cond);
	free(cond);
	buf_release(&mimes);
	{
		/* file name: letters, digits, '_' only */
		struct pgw_buf fn;

		buf_init(&fn);
		buf_append(&fn, "storage_bucket_");
		for (const char *c = name; *c && fn.len < 60; c++)
			buf_append_char(&fn, ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')) ? *c : '_');
		fname = buf_steal(&fn);
	}
	if (migrations_create(ctx->cfg.migrations_dir, fname, &up_path, &down_path) != 0 ||
		fs_write_file(up_path, up.data, up.len, 0644) != 0 ||
		fs_write_file(down_path, down.data, down.len, 0644) != 0)
	{
		rc = out_fail();
		goto done;
	}
	{
		char	   *shown_up = ctx_project_path(ctx, up_path);
		char	   *shown_down = ctx_project_path(ctx, down_path);
		char	   *base = strrchr(up_path, '/') ? strrchr(up_path, '/') + 1 : up_path;
		char	   *version = pgw_strndup(base, strspn(base, "0123456789"));
		json_t	   *applied = NULL;

		if (a->apply)
		{
			char	   *av[] = {"migrate", "up", "--safe", "--to", version, NULL};

			PQfinish(conn);
			conn = NULL;
			out_json_capture(&applied);
			rc = cmd_migrate(ctx, 5, av);
			out_json_capture(NULL);
			out_set_command("storage create");
		}
		if (out_is_json())
		{
			json_t	   *doc = out_json_envelope(rc == PGW_EXIT_OK);

			json_object_set_new(doc, "summary", json_pack("{s:s, s:b, s:b}", "bucket", name, "public", a->public, "applied", a->apply && rc == PGW_EXIT_OK));
			json_object_set_new(doc, "migration", json_pack("{s:s, s:s, s:s, s:s, s:s}", "version", version, "file", shown_up,
															"rollback", shown_down, "sql", up.data, "rollback_sql", down.data));
			if (applied)
				json_object_set_new(doc, "apply", applied);
			out_json_emit(doc);
		}
		else
		{
			out_printf("wrote %s\n  and %s\n", shown_up, shown_down);
			if (!a->apply)
				out_printf("review it, then apply with: pgwarden migrate up --safe\n");
			else if (rc == PGW_EXIT_OK)
				out_printf("applied through migrate up --safe\n");
			json_decref(applied);
		}
		free(shown_up);
		free(shown_down);
		free(version);
	}
done:
	free(fname);
	free(up_path);
	free(down_path);
	buf_release(&up);
	buf_release(&down);
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- orphans / cleanup ------------------------------------------------- */

static void
print_refs(json_t *refs)
{
	size_t		i;
	json_t	   *r;

	out_printf("references: ");
	json_array_foreach(refs, i, r)
		out_printf("%s%s.%s.%s", i ? ", " : "", json_string_value(json_object_get(r, "schema")),
				   json_string_value(json_object_get(r, "table")), json_string_value(json_object_get(r, "column")));
	out_printf("%s\n", json_is_true(json_object_get(json_array_get(refs, 0), "given")) ? " (given)" : " (found from the schema)");
}

static void
print_objects(json_t *o, size_t max)
{
	size_t		i;
	json_t	   *v;

	json_array_foreach(json_object_get(o, "objects"), i, v)
	{
		char	   *h;

		if (i >= max)
			break;
		h = human(json_object_get(v, "bytes"));
		out_printf("  %9s  %s\n", h, json_string_value(json_object_get(v, "name")));
		free(h);
	}
	if ((size_t) json_integer_value(json_object_get(o, "count")) > max)
		out_printf("  ... and %lld more\n", (long long) json_integer_value(json_object_get(o, "count")) - (long long) max);
}

static int
do_orphans(struct pgw_ctx *ctx, PGconn *conn, const struct storage_args *a, bool cleanup)
{
	const char *name = a->names.items[0];
	json_t	   *bk = storage_read_buckets(conn, name);
	json_t	   *refs = NULL,
			   *o = NULL;
	char	   *saved = NULL,
			   *h;
	long long	deleted = 0;
	int			rc = PGW_EXIT_OK;

	if (!bk)
		return fail(conn);
	json_decref(bk);
	if (!(refs = storage_find_refs(conn, name, &a->refs)) ||
		!(o = storage_find_orphans(conn, name, refs, cleanup ? 0 : a->limit)))
	{
		json_decref(refs);
		return fail(conn);
	}
	if (cleanup && a->yes && json_integer_value(json_object_get(o, "count")) > 0)
	{
		char		ts[32];
		time_t		now = time(NULL);
		char	   *dir = pgw_asprintf("%s/.pgwarden", ctx->cfg.root);
		char	   *path;
		char	   *text;
		json_t	   *meta = json_pack("{s:s, s:s, s:O, s:O}", "format", "pgwarden.storage-cleanup/1", "bucket", name,
									 "references", refs, "objects", json_object_get(o, "objects"));

		strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", gmtime(&now));
		path = pgw_asprintf("%s/storage-cleanup-%s.json", dir, ts);
		text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(meta);
		if (fs_mkdir_p(dir, 0755) != 0 || fs_write_file(path, text, strlen(text), 0600) != 0)
		{
			free(text);
			free(dir);
			free(path);
			json_decref(refs);
			json_decref(o);
			return fail(conn);
		}
		free(text);
		free(dir);
		saved = ctx_project_path(ctx, path);
		free(path);
		if (storage_delete_orphans(conn, name, refs, o, a->batch, ctx->cfg.lock_timeout_ms, &deleted) != 0)
		{
			pgw_error_detail("%lld object row%s deleted before the failure (each batch is its own transaction); their metadata is in %s",
							 deleted, deleted == 1 ? "" : "s", saved);
			pgw_error_hint("run the cleanup again: it deletes what is still orphaned");
			rc = out_fail();
			goto done;
		}
	}
	h = human(json_object_get(o, "bytes"));
	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);

		json_object_set_new(doc, "summary", json_pack("{s:s, s:O, s:O, s:b, s:I}", "bucket", name, "orphans", json_object_get(o, "count"),
													  "bytes", json_object_get(o, "bytes"), "dry_run", cleanup && !a->yes,
													  "deleted", (json_int_t) deleted));
		json_object_set(doc, "references", refs);
		json_object_set(doc, "objects", json_object_get(o, "objects"));
		if (saved)
			json_object_set_new(doc, "saved", json_string(saved));
		if (cleanup && a->yes && deleted > 0)
			json_object_set_new(doc, "remaining", json_string("the files themselves are still in the storage backend: delete them through the Storage API with the names in the saved file"));
		out_json_emit(doc);
	}
	else
	{
		long long	n = json_integer_value(json_object_get(o, "count"));

		print_refs(refs);
		if (!cleanup || !a->yes)
		{
			out_printf("%lld orphaned object%s in bucket %s (%s)%s\n", n, n == 1 ? "" : "s", name, h,
					   cleanup ? " would be removed" : "");
			print_objects(o, cleanup ? 20 : (size_t) a->limit);
			if (cleanup && n > 0)
				out_printf("dry run: nothing deleted; run again with --yes to delete these object rows\n");
		}
		else
		{
			out_printf("deleted %lld orphaned object row%s of bucket %s (%s)\n", deleted, deleted == 1 ? "" : "s", name, h);
			if (saved)
				out_printf("their metadata was saved to %s\n", saved);
			if (deleted > 0)
				out_printf("only the metadata rows were removed: delete the files themselves through the Storage API "
						   "(the names are in the saved file)\n");
		}
	}
	free(h);
done:
	free(saved);
	json_decref(refs);
	json_decref(o);
	PQfinish(conn);
	return rc;
}

int
cmd_storage(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"apply", 0, false, OPT_APPLY},
		{"batch", 0, true, OPT_BATCH},
		{"fail-on", 0, true, OPT_FAIL_ON},
		{"fix", 0, false, OPT_FIX},
		{"limit", 0, true, OPT_LIMIT},
		{"mime", 0, true, OPT_MIME},
		{"no-probe", 0, false, OPT_NO_PROBE},
		{"policy", 0, true, OPT_POLICY},
		{"private-words", 0, true, OPT_WORDS},
		{"public", 0, false, OPT_PUBLIC},
		{"ref", 0, true, OPT_REF},
		{"size-limit", 0, true, OPT_SIZE},
		{"yes", 'y', false, OPT_YES},
		{NULL, 0, false, 0}
	};
	static const char *const subs[] = {"list", "info", "audit", "create", "orphans", "cleanup"};
	struct pgw_optparser p;
	struct storage_args a;
	const char *arg;
	char		cmdname[32];
	PGconn	   *conn;
	int			rc = PGW_EXIT_OK;
	int			r;
	bool		known = false;

	memset(&a, 0, sizeof(a));
	a.limit = 20;
	a.batch = 500;
	a.fail_on = PGW_SEV_ERROR;
	a.words = pgw_storage_private_words_default;
	opt_init(&p, argc, argv, opts, STORAGE_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_POSITIONAL:
				if (!a.sub)
					a.sub = arg;
				else
					strlist_add(&a.names, arg);
				break;
			case OPT_PUBLIC: a.public = true; break;
			case OPT_SIZE: a.size = arg; break;
			case OPT_MIME: a.mime = arg; break;
			case OPT_POLICY:
				if (strcmp(arg, "owner") != 0 && strcmp(arg, "tenant") != 0 && strcmp(arg, "public-read") != 0)
				{
					rc = opt_usage_error(&p, "use owner, tenant or public-read", "invalid --policy '%s'", arg);
					goto out;
				}
				a.policy = arg;
				break;
			case OPT_APPLY: a.apply = true; break;
			case OPT_REF: strlist_add(&a.refs, arg); break;
			case OPT_LIMIT:
				if (!opt_int(&p, "limit", arg, 1, 1000000, &a.limit))
				{
					rc = PGW_EXIT_USAGE;
					goto out;
				}
				break;
			case OPT_BATCH:
				if (!opt_int(&p, "batch", arg, 1, 100000, &a.batch))
				{
					rc = PGW_EXIT_USAGE;
					goto out;
				}
				break;
			case OPT_YES: a.yes = true; break;
			case OPT_WORDS: a.words = arg; break;
			case OPT_NO_PROBE: a.no_probe = true; break;
			case OPT_FIX: a.fix = true; break;
			case OPT_FAIL_ON:
				if ((a.fail_on = severity_parse(arg)) < 0)
				{
					rc = opt_usage_error(&p, "use error, warning or info", "invalid --fail-on level '%s'", arg);
					goto out;
				}
				break;
			case OPT_ERROR:
				rc = PGW_EXIT_USAGE;
				goto out;
			default:
				rc = opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
				goto out;
		}
	}
	if (!a.sub)
	{
		rc = opt_usage_error(&p, "run 'pgwarden help storage'", "missing subcommand");
		goto out;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(a.sub, subs[i]) == 0)
			known = true;
	if (!known)
	{
		rc = opt_usage_error(&p, "run 'pgwarden help storage'", "unknown subcommand '%s'", a.sub);
		goto out;
	}
	if (strcmp(a.sub, "list") == 0 && a.names.n)
	{
		rc = opt_usage_error(&p, NULL, "unexpected argument '%s'", a.names.items[0]);
		goto out;
	}
	if (strcmp(a.sub, "list") != 0 && strcmp(a.sub, "audit") != 0 && a.names.n != 1)
	{
		rc = a.names.n ? opt_usage_error(&p, NULL, "unexpected argument '%s'", a.names.items[1])
			: opt_usage_error(&p, NULL, "storage %s needs a bucket name", a.sub);
		goto out;
	}
	if ((a.public || a.size || a.mime || a.policy) && strcmp(a.sub, "create") != 0)
	{
		rc = opt_usage_error(&p, NULL, "--public, --size-limit, --mime and --policy go with storage create");
		goto out;
	}
	if (a.fix && strcmp(a.sub, "audit") != 0)
	{
		rc = opt_usage_error(&p, NULL, "--fix goes with storage audit");
		goto out;
	}
	if (a.apply && strcmp(a.sub, "create") != 0 && !(a.fix && strcmp(a.sub, "audit") == 0))
	{
		rc = opt_usage_error(&p, NULL, "--apply goes with storage create and storage audit --fix");
		goto out;
	}
	if ((a.refs.n) && strcmp(a.sub, "orphans") != 0 && strcmp(a.sub, "cleanup") != 0)
	{
		rc = opt_usage_error(&p, NULL, "--ref goes with storage orphans and storage cleanup");
		goto out;
	}
	if (a.yes && strcmp(a.sub, "cleanup") != 0)
	{
		rc = opt_usage_error(&p, NULL, "--yes goes with storage cleanup");
		goto out;
	}
	snprintf(cmdname, sizeof(cmdname), "storage %s", a.sub);
	out_set_command(cmdname);
	if (!(conn = ctx_connect(ctx, &rc)))
		goto out;
	if (storage_require(conn) != 0)
	{
		rc = fail(conn);
		goto out;
	}
	if (strcmp(a.sub, "list") == 0)
		rc = do_list(conn);
	else if (strcmp(a.sub, "info") == 0)
		rc = do_info(conn, a.names.items[0]);
	else if (strcmp(a.sub, "audit") == 0)
		rc = do_audit(ctx, conn, &a);
	else if (strcmp(a.sub, "create") == 0)
		rc = do_create(ctx, conn, &a);
	else
		rc = do_orphans(ctx, conn, &a, strcmp(a.sub, "cleanup") == 0);
out:
	strlist_release(&a.names);
	strlist_release(&a.refs);
	return rc;
}
