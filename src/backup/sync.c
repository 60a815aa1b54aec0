/*
 * sync.c — reading and comparing two migration histories (backup/sync.h).
 */
#include <stdlib.h>
#include <string.h>

#include "backup/sync.h"
#include "db/query.h"
#include "migrate/history.h"
#include "util/error.h"
#include "util/mem.h"

static struct pgw_applied *
find(struct pgw_applied_set *s, const char *version)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].version, version) == 0)
			return &s->items[i];
	return NULL;
}

static struct pgw_applied *
add(struct pgw_applied_set *s, const char *version, const char *name)
{
	struct pgw_applied *a = find(s, version);

	if (a)
		return a;
	s->items = pgw_realloc(s->items, (s->n + 1) * sizeof(*s->items));
	a = &s->items[s->n++];
	memset(a, 0, sizeof(*a));
	a->version = pgw_strdup(version);
	a->name = name ? pgw_strdup(name) : NULL;
	return a;
}

static int
cmp_applied(const void *x, const void *y)
{
	const struct pgw_applied *a = x,
			   *b = y;

	return migration_version_cmp(a->version, b->version);
}

int
sync_read_applied(PGconn *conn, struct pgw_applied_set *out)
{
	struct pgw_history h;
	PGresult   *res;

	memset(out, 0, sizeof(*out));
	if (history_read(conn, &h, false) != 0)
		return -1;
	for (size_t i = 0; i < h.n; i++)
	{
		struct pgw_applied *a;

		if (h.rows[i].failed)
			continue;
		a = add(out, h.rows[i].version, h.rows[i].name);
		a->pgwarden = true;
		if (h.rows[i].checksum && *h.rows[i].checksum &&
			(!h.rows[i].algorithm || strcmp(h.rows[i].algorithm, PGW_SUPABASE_ALGORITHM) != 0))
			a->checksum = pgw_strdup(h.rows[i].checksum);
	}
	history_release(&h);
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read Supabase's migration history",
				  "SELECT pg_catalog.to_regclass('supabase_migrations.schema_migrations') IS NOT NULL",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		PQclear(res);
		res = db_exec(conn, PGW_ERR_CONNECT, "cannot read Supabase's migration history",
					  "SELECT version::text, name::text FROM supabase_migrations.schema_migrations",
					  0, NULL, PGRES_TUPLES_OK);
		if (!res)
		{
			/* an older CLI's table has no name column */
			pgw_error_clear();
			res = db_exec(conn, PGW_ERR_CONNECT, "cannot read Supabase's migration history",
						  "SELECT version::text, NULL::text FROM supabase_migrations.schema_migrations",
						  0, NULL, PGRES_TUPLES_OK);
			if (!res)
				return -1;
		}
		for (int i = 0; i < PQntuples(res); i++)
			add(out, PQgetvalue(res, i, 0), PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1))->supabase = true;
	}
	PQclear(res);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), cmp_applied);
	return 0;
}

void
sync_applied_release(struct pgw_applied_set *s)
{
	for (size_t i = 0; i < s->n; i++)
	{
		free(s->items[i].version);
		free(s->items[i].name);
		free(s->items[i].checksum);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static int
cmp_row(const void *x, const void *y)
{
	const struct pgw_sync_row *a = x,
			   *b = y;

	return migration_version_cmp(a->version, b->version);
}

void
sync_compare(const struct pgw_applied_set *from, const struct pgw_applied_set *to,
			 const struct pgw_migration_set *files, struct pgw_sync_report *r)
{
	size_t		cap = from->n + to->n + files->n + 1;

	memset(r, 0, sizeof(*r));
	r->rows = pgw_calloc(cap, sizeof(*r->rows));
	/* every version once: FROM's, then TO's and the files' not seen yet */
	for (int pass = 0; pass < 3; pass++)
	{
		size_t		n = pass == 0 ? from->n : pass == 1 ? to->n : files->n;

		for (size_t i = 0; i < n; i++)
		{
			const char *v = pass == 0 ? from->items[i].version :
				pass == 1 ? to->items[i].version : files->items[i].version;
			struct pgw_sync_row *row;
			bool		seen = false;

			for (size_t k = 0; k < r->n && !seen; k++)
				seen = strcmp(r->rows[k].version, v) == 0;
			if (seen)
				continue;
			row = &r->rows[r->n++];
			row->version = v;
			row->from = find((struct pgw_applied_set *) from, v);
			row->to = find((struct pgw_applied_set *) to, v);
			row->file = migrations_find(files, v);
			row->name = row->file ? row->file->name : row->from && row->from->name ? row->from->name :
				row->to ? row->to->name : NULL;
			if (row->from && row->to)
				row->state = row->from->checksum && row->to->checksum &&
					strcmp(row->from->checksum, row->to->checksum) != 0 ? PGW_SYNC_CHECKSUM : PGW_SYNC_BOTH;
			else if (row->from)
				row->state = PGW_SYNC_ONLY_FROM;
			else if (row->to)
				row->state = PGW_SYNC_ONLY_TO;
			else
				row->state = PGW_SYNC_NOWHERE;
			r->count[row->state]++;
		}
	}
	if (r->n > 1)
		qsort(r->rows, r->n, sizeof(*r->rows), cmp_row);
}

void
sync_report_release(struct pgw_sync_report *r)
{
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

const char *
sync_state_name(enum pgw_sync_state s)
{
	switch (s)
	{
		case PGW_SYNC_BOTH:
			return "both";
		case PGW_SYNC_CHECKSUM:
			return "checksum differs";
		case PGW_SYNC_ONLY_FROM:
			return "only from";
		case PGW_SYNC_ONLY_TO:
			return "only to";
		case PGW_SYNC_NOWHERE:
			return "applied nowhere";
	}
	return "?";
}

static json_t *
side_json(const struct pgw_applied *a)
{
	if (!a)
		return json_null();
	return json_pack("{s:s?,s:b,s:b}", "checksum", a->checksum, "pgwarden", a->pgwarden, "supabase", a->supabase);
}

json_t *
sync_row_json(const struct pgw_sync_row *r)
{
	json_t	   *o = json_object();
	static const char *const keys[] = {"both", "checksum_differs", "only_from", "only_to", "nowhere"};

	json_object_set_new(o, "version", json_string(r->version));
	json_object_set_new(o, "name", r->name ? json_string(r->name) : json_null());
	json_object_set_new(o, "state", json_string(keys[r->state]));
	json_object_set_new(o, "file", r->file ? json_string(r->file->file) : json_null());
	json_object_set_new(o, "from", side_json(r->from));
	json_object_set_new(o, "to", side_json(r->to));
	return o;
}
