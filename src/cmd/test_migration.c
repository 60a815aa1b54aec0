/*
 * test_migration.c — `pgwarden test-migration FILE… [--sandbox local|tx]
 * [--with-data N] [--write-rollback [--overwrite]]`:
 * tries migrations in a sandbox (migrate/sandbox.h, migrate/trial.h) and
 * says what they changed, the locks each statement took, what lint thinks,
 * and whether the rollback restores the schema exactly.  The target is only
 * read (local) or changed inside a transaction that is rolled back (tx).
 *
 * --write-rollback derives the rollbacks the files lack (trial_derive),
 * runs the trial with them in place and writes them only when it passes.
 * A migration the target's history says is applied already is tried
 * against the schema before it: the sandbox first runs its rollback and
 * those of the migrations applied after it, newest first.
 * docs/test-migration.md is the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/finding.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "cmd/safety.h"
#include "db/query.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "migrate/runner.h"
#include "migrate/sandbox.h"
#include "migrate/trial.h"
#include "out/out.h"
#include "sql/lint.h"
#include "util/error.h"
#include "util/exitcode.h"
#include "util/interrupt.h"
#include "util/mem.h"

#define TM_USAGE "pgwarden test-migration FILE... [--sandbox local|tx] [--with-data N] " \
	"[--write-rollback [--overwrite]] [--json]"

enum
{
	OPT_SANDBOX = 1,
	OPT_WITH_DATA,
	OPT_WRITE_ROLLBACK,
	OPT_OVERWRITE
};

static const struct pgw_opt tm_opts[] = {
	{"overwrite", 0, false, OPT_OVERWRITE},
	{"sandbox", 0, true, OPT_SANDBOX},
	{"with-data", 0, true, OPT_WITH_DATA},
	{"write-rollback", 0, false, OPT_WRITE_ROLLBACK},
	{NULL, 0, false, 0}
};

/* --- rollbacks derived (--write-rollback) --------------------------------- */

enum rb_state
{
	RB_NONE,					/* no rollback */
	RB_EMPTY,					/* a rollback with no statement: comments only */
	RB_FULL						/* a rollback with statements */
};

static enum rb_state
rollback_state(const struct pgw_migration *m)
{
	if (!migration_has_rollback(m))
		return RB_NONE;
	return migration_rollback_is_empty(m) ? RB_EMPTY : RB_FULL;
}

/* What --write-rollback does for one migration. */
struct tm_rollback
{
	enum rb_state was;
	bool		section;		/* written into the '-- pgwarden:down' section */
	bool		replace;		/* the file exists: replaced as a whole */
	char	   *path;			/* the file written */
	char	   *text;			/* its complete new text */
	bool		written;
};

static void
buf_end_line(struct pgw_buf *b)
{
	if (b->len && b->data[b->len - 1] != '\n')
		buf_append_char(b, '\n');
}

/*
 * The text to write for m's derived rollback (sql): a new or replaced
 * STEM_rollback.sql with a header, or the migration file itself with the
 * rollback in its '-- pgwarden:down' section.  A rollback there already
 * that holds no statement keeps its comments, the rollback going below
 * them; one with statements is replaced (--overwrite).  Then m's rollback
 * is made that text, so the trial runs what will be written.
 */
static void
rollback_compose(struct pgw_migration *m, struct tm_rollback *r, const char *sql,
				 const char *caution, enum pgw_sandbox_kind kind)
{
	struct pgw_buf b;
	const char *base;
	char	   *header;
	size_t		part = 0;

	header = pgw_asprintf("%s-- Rollback of %s,\n"
						  "-- derived by 'pgwarden test-migration --write-rollback': the diff from\n"
						  "-- the schema after the migration back to the schema before it.\n"
						  "-- Verified in a %s sandbox: run after the migration, it restores the\n"
						  "-- schema byte for byte (stable snapshots).  It restores the schema, not\n"
						  "-- rows: what the migration stored in objects it made goes with them.\n",
						  "", m->file, kind == PGW_SANDBOX_LOCAL ? "local" : "tx");
	buf_init(&b);
	r->section = m->inline_down;
	if (m->inline_down)
	{
		r->path = pgw_strdup(m->path);
		r->replace = true;
		buf_append_len(&b, m->up.text, r->was == RB_EMPTY ? m->up.len : m->down_start);
		buf_end_line(&b);
		part = m->down_start;
	}
	else if (m->has_down_file)
	{
		r->path = pgw_strdup(m->rollback_path);
		r->replace = true;
		if (r->was == RB_EMPTY)
		{
			buf_append_len(&b, m->down.text, m->down.len);
			buf_end_line(&b);
			buf_append_char(&b, '\n');
		}
	}
	else
		r->path = pgw_asprintf("%.*s_rollback.sql", (int) (strlen(m->path) - 4), m->path);
	base = strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path;
	if (!r->section && !(m->has_down_file && r->was == RB_EMPTY))
		buf_printf(&b, "-- %s\n", base);
	buf_append(&b, header);
	if (caution)
		buf_printf(&b, "-- Mind: rows written after the migration can make these fail: %s.\n", caution);
	buf_append_char(&b, '\n');
	buf_append(&b, sql);
	buf_end_line(&b);
	free(header);
	r->text = buf_steal(&b);
	/* the trial runs the rollback as it will be written */
	if (m->has_down_file)
		sqlfile_release(&m->down);
	free(m->rollback_path);
	m->rollback_path = pgw_strdup(r->path);
	sqlfile_from_text(r->section ? m->file : base, r->text + part, strlen(r->text + part), &m->down);
	m->has_down_file = true;
	m->inline_down = false;
}

/* --- migrations already applied on the target ------------------------------ */

struct tm_applied
{
	struct pgw_migration_set set;	/* the migrations folder */
	struct pgw_migration **rewind;	/* newest first */
	size_t		nrewind;
	json_t	   *json;			/* [{version, file, applied_at}] of the given ones */
	struct pgw_buf words;		/* for the text report */
};

/*
 * When the target's history says some of ms[0..n) are applied, the trial
 * must start from the schema before them: the rollbacks of every applied
 * migration from the oldest of them on, newest first.  Fills a (nrewind 0:
 * nothing applied).  -1 with an error saying why that cannot be done (a
 * rollback or a file missing, an applied migration between the given ones
 * that is not given).
 */
static int
find_applied(struct pgw_ctx *ctx, PGconn *conn, struct pgw_migration *ms, size_t n, struct tm_applied *a)
{
	struct pgw_history h;
	bool		changed;
	const char *oldest = NULL,
			   *newest_given = NULL;
	const char *oldest_file = NULL;
	int			rc = -1;
	size_t		i;

	memset(&h, 0, sizeof(h));
	if (history_read(conn, &h, migrations_supabase_layout(ctx->cfg.migrations_dir)) != 0)
	{
		/* no history to read (no privilege, say): nothing known as applied */
		pgw_error_clear();
		return 0;
	}
	for (i = 0; i < n; i++)
	{
		struct pgw_history_row *row;

		if (!ms[i].version[0])
			continue;
		if (!newest_given || migration_version_cmp(ms[i].version, newest_given) > 0)
			newest_given = ms[i].version;
		row = history_find(&h, ms[i].version);
		if (!row || row->failed)
			continue;
		/* rows adopted from Supabase's history carry no checksum */
		changed = row->checksum && row->checksum[0] && strcmp(row->checksum, ms[i].checksum) != 0 &&
			strcmp(row->algorithm ? row->algorithm : "", PGW_SUPABASE_ALGORITHM) != 0;
		if (!a->json)
			a->json = json_array();
		json_array_append_new(a->json, json_pack("{s:s,s:s,s:s,s:b}", "version", ms[i].version,
												 "file", ms[i].file, "applied_at", row->applied_at ? row->applied_at : "",
												 "changed_since", changed));
		buf_printf(&a->words, "%s%s (applied %s%s)", a->words.len ? ", " : "", ms[i].file,
				   row->applied_at ? row->applied_at : "?", changed ? "; the file changed since" : "");
		if (!oldest || migration_version_cmp(ms[i].version, oldest) < 0)
		{
			oldest = ms[i].version;
			oldest_file = ms[i].file;
		}
	}
	if (!oldest)
	{
		rc = 0;
		goto out;
	}
	if (migrations_load(ctx->cfg.migrations_dir, &a->set, NULL) != 0)
		pgw_error_clear();		/* only the given files then */
	for (i = h.n; i-- > 0;)
	{
		struct pgw_history_row *row = &h.rows[i];
		struct pgw_migration *m = NULL;

		if (row->failed || migration_version_cmp(row->version, oldest) < 0)
			continue;
		for (size_t k = 0; k < n && !m; k++)
			if (ms[k].version[0] && migration_version_cmp(ms[k].version, row->version) == 0)
				m = &ms[k];
		if (!m && migration_version_cmp(row->version, newest_given) < 0)
		{
			pgw_error(PGW_ERR_INPUT, "migration %s is applied on the target between the files given, "
					  "and is not given", row->version);
			pgw_error_detail("'%s' is already applied: it is tried against the schema before it, and "
							 "that needs every migration applied since in the batch", oldest_file);
			pgw_error_hint("give %s too (in version order), or test the files one at a time", row->version);
			goto out;
		}
		if (!m)
			m = migrations_find(&a->set, row->version);
		if (!m)
		{
			pgw_error(PGW_ERR_INPUT, "'%s' is already applied on the target, and so is %s_%s, "
					  "which has no file here", oldest_file, row->version, row->name ? row->name : "");
			pgw_error_detail("to try it against the schema before it, the sandbox runs the rollbacks of "
							 "the migrations applied since, newest first");
			pgw_error_hint("test against a database where it is not applied yet (--db)");
			goto out;
		}
		if (rollback_state(m) != RB_FULL)
		{
			pgw_error(PGW_ERR_INPUT, "'%s' is already applied on the target: its statements would meet "
					  "what they made (\"already exists\")", oldest_file);
			pgw_error_detail("to try it against the schema before it, the sandbox runs the rollback of "
							 "it and of every migration applied after it, newest first; '%s' has %s",
							 m->file, migration_has_rollback(m) ? "an empty rollback" : "no rollback");
			pgw_error_hint("write that rollback, or test against a database where it is not applied "
						   "yet (--db), or roll it back there first (pgwarden migrate down --to VERSION)");
			goto out;
		}
		a->rewind = pgw_realloc(a->rewind, (a->nrewind + 1) * sizeof(*a->rewind));
		a->rewind[a->nrewind++] = m;
	}
	rc = 0;
out:
	history_release(&h);
	return rc;
}

int
cmd_test_migration(struct pgw_ctx *ctx, int argc, char **argv)
{
	struct pgw_optparser p;
	const char *arg;
	struct safety_opts so = {NULL, 0, NULL, 0};
	struct tm_applied ap;
	struct safety_keep keep;
	struct pgw_derived *dv = NULL;
	struct tm_rollback *rbs = NULL;
	enum pgw_sandbox_kind dkind = PGW_SANDBOX_LOCAL;
	bool		write_rollback = false,
				overwrite = false;
	size_t		nwant = 0,
				nwritten = 0,
				nrefused = 0;
	long		rows;
	struct pgw_strlist files = {NULL, 0};
	struct pgw_migration *ms = NULL;
	struct pgw_migration **mp = NULL;
	struct safety_trial st;
	json_t	   *doc = NULL;
	int			r,
				rc = PGW_EXIT_OK;
	size_t		i,
				loaded = 0;
	PGconn	   *conn = NULL;

	memset(&st, 0, sizeof(st));
	memset(&ap, 0, sizeof(ap));
	memset(&keep, 0, sizeof(keep));
	opt_init(&p, argc, argv, tm_opts, TM_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		if (r == OPT_ERROR)
			return PGW_EXIT_USAGE;
		if (r == OPT_SANDBOX)
		{
			if (strcmp(arg, "local") && strcmp(arg, "tx"))
				return opt_usage_error(&p, "local: a cached copy of the schema in a private cluster; "
									   "tx: the target inside a transaction that is rolled back",
									   "unknown sandbox '%s'", arg);
			so.kind = arg;
		}
		else if (r == OPT_WITH_DATA)
		{
			if (!opt_int(&p, "with-data", arg, 1, 1000000, &rows))
				return PGW_EXIT_USAGE;
			so.with_data = (int) rows;
		}
		else if (r == OPT_WRITE_ROLLBACK)
			write_rollback = true;
		else if (r == OPT_OVERWRITE)
			overwrite = true;
		else if (r == OPT_POSITIONAL)
			strlist_add(&files, arg);
	}
	if (overwrite && !write_rollback)
	{
		strlist_release(&files);
		return opt_usage_error(&p, "--overwrite lets --write-rollback replace rollbacks that have statements",
							   "--overwrite goes with --write-rollback");
	}
	if (so.with_data && so.kind && strcmp(so.kind, "tx") == 0)
	{
		strlist_release(&files);
		return opt_usage_error(&p, "the sample is copied into a local sandbox; a tx sandbox has the target's own rows",
							   "--with-data does not go with --sandbox tx");
	}
	if (files.n == 0)
	{
		strlist_release(&files);
		return opt_usage_error(&p, "e.g. pgwarden test-migration migrations/20250101120000_add_notes.sql",
							   "no migration file given");
	}
	buf_init(&ap.words);
	ms = pgw_calloc(files.n, sizeof(*ms));
	mp = pgw_calloc(files.n, sizeof(*mp));
	for (i = 0; i < files.n; i++, loaded++)
	{
		if (migration_load_file(files.items[i], &ms[i]) != 0)
		{
			rc = out_fail();
			goto done;
		}
		mp[i] = &ms[i];
	}
	/* a rollback file of comments only cannot run: say what to do */
	for (i = 0; i < files.n && !write_rollback; i++)
		if (ms[i].has_down_file && rollback_state(&ms[i]) == RB_EMPTY)
		{
			pgw_error(PGW_ERR_INPUT, "the rollback of '%s' holds no statement (comments only)", ms[i].file);
			pgw_error_hint("write its statements, or let 'pgwarden test-migration %s --write-rollback' "
						   "derive them and verify them", ms[i].path);
			rc = out_fail();
			goto done;
		}
	conn = ctx_connect(ctx, &rc);
	if (!conn)
		goto done;
	doc = out_json_envelope(true);
	/* already applied on the target: start from the schema before them */
	if (find_applied(ctx, conn, ms, files.n, &ap) != 0)
	{
		rc = out_fail_with(doc);
		doc = NULL;
		goto done;
	}
	so.rewind = ap.rewind;
	so.nrewind = ap.nrewind;
	if (ap.json)
		json_object_set_new(doc, "already_applied", json_incref(ap.json));
	if (ap.nrewind && !out_is_json())
		out_note("already applied on the target: %s; tried against the schema before it (the sandbox "
				 "first runs the rollback%s of %zu applied migration%s, newest first)", ap.words.data,
				 ap.nrewind == 1 ? "" : "s", ap.nrewind, ap.nrewind == 1 ? "" : "s");
	if (write_rollback)
	{
		dv = pgw_calloc(files.n, sizeof(*dv));
		rbs = pgw_calloc(files.n, sizeof(*rbs));
		for (i = 0; i < files.n; i++)
		{
			rbs[i].was = rollback_state(&ms[i]);
			dv[i].want = rbs[i].was != RB_FULL || overwrite;
			nwant += dv[i].want;
		}
		if (nwant && (safety_derive_run(ctx, conn, &so, mp, files.n, dv, &dkind, &keep) != 0 ||
					  interrupt_check() != 0))
		{
			rc = out_fail_with(doc);
			doc = NULL;
			goto done;
		}
		for (i = 0; i < files.n; i++)
			if (dv[i].want && dv[i].verified && !dv[i].refused)
				rollback_compose(&ms[i], &rbs[i], dv[i].sql, dv[i].caution, dkind);
			else if (dv[i].want)
				nrefused++;
	}
	/* the sandbox the derivation left where it started serves the trial */
	r = safety_trial_run(&st, ctx, conn, &so, mp, files.n, keep.open ? &keep : NULL);
	safety_keep_close(&keep);
	/* a trial that a signal cut short proves nothing: say so instead */
	if (r != 0 || interrupt_check() != 0)
	{
		rc = out_fail_with(doc);
		doc = NULL;
		goto done;
	}
	/* lint: findings of the up parts */
	for (i = 0; i < files.n; i++)
		safety_lint(ctx, mp[i], &st.lint, NULL);
	/* the derived rollbacks are written when the whole trial passed */
	if (write_rollback && st.passed)
		for (i = 0; i < files.n; i++)
		{
			if (!rbs[i].text)
				continue;
			if (migration_write_text(rbs[i].path, rbs[i].text, rbs[i].replace) != 0)
			{
				rc = out_fail_with(doc);
				doc = NULL;
				goto done;
			}
			rbs[i].written = true;
			nwritten++;
		}
	safety_trial_json(&st, doc);
	if (ap.nrewind)
	{
		json_t	   *rw = json_array();

		for (i = 0; i < ap.nrewind; i++)
			json_array_append_new(rw, json_string(ap.rewind[i]->file));
		json_object_set_new(json_object_get(doc, "sandbox"), "rewound", rw);
	}
	if (write_rollback)
	{
		json_t	   *arr = json_array();

		for (i = 0; i < files.n; i++)
		{
			json_t	   *o = json_object();

			json_object_set_new(o, "file", json_string(ms[i].file));
			json_object_set_new(o, "had", json_string(rbs[i].was == RB_NONE ? "none" :
													  rbs[i].was == RB_EMPTY ? "empty" : "statements"));
			json_object_set_new(o, "derived", json_boolean(dv[i].want));
			if (dv[i].want)
			{
				json_object_set_new(o, "verified", json_boolean(dv[i].verified && !dv[i].refused));
				json_object_set_new(o, "changes", json_integer((json_int_t) dv[i].changes));
				json_object_set_new(o, "refused", dv[i].refused ? json_string(dv[i].refused) : json_null());
				if (dv[i].refused_detail)
					json_object_set_new(o, "detail", json_string(dv[i].refused_detail));
			}
			json_object_set_new(o, "path", rbs[i].path ? json_string(rbs[i].path) : json_null());
			json_object_set_new(o, "section", json_boolean(rbs[i].section));
			json_object_set_new(o, "written", json_boolean(rbs[i].written));
			json_array_append_new(arr, o);
		}
		json_object_set_new(doc, "derived_rollbacks", arr);
		json_object_set_new(json_object_get(doc, "summary"), "rollbacks_written",
							json_integer((json_int_t) nwritten));
		json_object_set_new(json_object_get(doc, "summary"), "rollbacks_not_derived",
							json_integer((json_int_t) nrefused));
	}
	if (!out_is_json())
	{
		if (st.reused)
			out_printf("sandbox: local%s (target only read; the one the rollbacks were derived in)\n",
					   st.with_data ? ", with a data sample" : "");
		else
			out_printf("sandbox: %s%s%s (%s, ready in %lld ms)\n", st.kind == PGW_SANDBOX_LOCAL ? "local" : "tx",
					   st.kind == PGW_SANDBOX_LOCAL ? (st.cached ? ", cached schema" : ", schema copied") : "",
					   st.with_data ? ", with a data sample" : "",
					   st.kind == PGW_SANDBOX_LOCAL ? "target only read" : "rolled back afterwards",
					   st.open_ms);
		if (st.pushed)
			out_printf("  pushed from tx: %s\n", st.pushed_why);
		for (i = 0; i < files.n; i++)
			out_printf("migration: %s\n", ms[i].file);
		safety_trial_print(&st, "  ");
		for (i = 0; i < st.findings.n; i++)
		{
			const struct pgw_finding *f = &st.findings.items[i];

			out_printf("  %s%s%s: %s [%s]\n",
					   out_style(f->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR : PGW_STYLE_WARN),
					   severity_name(f->severity), out_style_end(), f->message, f->rule);
			if (f->detail)
				out_printf("    %s\n", f->detail);
			if (f->hint)
				out_printf("    hint: %s\n", f->hint);
		}
		if (st.lint.n)
		{
			size_t		info = 0;

			out_printf("  lint:\n");
			for (i = 0; i < st.lint.n; i++)
			{
				const struct pgw_finding *f = &st.lint.items[i];

				if (f->severity == PGW_SEV_INFO && !out_is_verbose())
				{
					info++;
					continue;
				}
				out_printf("    %s:%d:%d: %s%s%s: %s [%s]\n", f->file, f->line, f->column,
						   out_style(f->severity == PGW_SEV_ERROR ? PGW_STYLE_ERROR :
									 f->severity == PGW_SEV_WARNING ? PGW_STYLE_WARN : PGW_STYLE_INFO),
						   severity_name(f->severity), out_style_end(), f->message, f->rule);
			}
			if (info)
				out_printf("    (%zu info finding%s; -v shows them)\n", info, info == 1 ? "" : "s");
		}
		else
			out_printf("  lint: no findings\n");
		if (write_rollback)
		{
			if (nwant == 0)
				out_printf("rollbacks: every migration has one, nothing derived (--overwrite derives "
						   "them anew)\n");
			for (i = 0; i < files.n; i++)
			{
				if (!dv[i].want)
					continue;
				if (dv[i].refused || !dv[i].verified)
				{
					out_printf("%srollback not derived%s for %s: %s\n",
							   out_style(PGW_STYLE_ERROR), out_style_end(), ms[i].file,
							   dv[i].refused ? dv[i].refused : "not verified");
					if (dv[i].refused_detail)
						out_printf("  %s\n", dv[i].refused_detail);
					out_printf("  nothing written for it: write its rollback by hand\n");
				}
				else if (rbs[i].written)
					out_printf("rollback derived: %s %s (%zu change%s, verified: restores the schema "
							   "byte for byte)\n", rbs[i].section ? "into the '" PGW_DOWN_MARKER "' section of" :
							   rbs[i].replace && rbs[i].was == RB_FULL ? "replaced" :
							   rbs[i].replace ? "written below the comments of" : "wrote", rbs[i].path,
							   dv[i].changes, dv[i].changes == 1 ? "" : "s");
				else
					out_printf("rollback derived for %s, not written: the trial failed\n", ms[i].file);
			}
		}
		out_printf("%s\n", st.passed ? "result: migration and rollback pass" :
				   "result: failed");
	}
	if (!st.passed)
		json_object_set_new(doc, "ok", json_false());
	if (out_is_json())
		out_json_emit(doc);
	else
		json_decref(doc);
	doc = NULL;
	rc = st.passed ? PGW_EXIT_OK : PGW_EXIT_CHECK;
done:
	safety_keep_close(&keep);
	safety_trial_release(&st);
	if (dv)
		trial_derived_release(dv, files.n);
	free(dv);
	for (i = 0; rbs && i < files.n; i++)
	{
		free(rbs[i].path);
		free(rbs[i].text);
	}
	free(rbs);
	migrations_release(&ap.set);
	free(ap.rewind);
	json_decref(ap.json);
	buf_release(&ap.words);
	json_decref(doc);
	db_close(conn);
	for (i = 0; i < loaded; i++)
		migration_free_file(&ms[i]);
	free(ms);
	free(mp);
	strlist_release(&files);
	return rc;
}
