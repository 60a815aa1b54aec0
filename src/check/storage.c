/*
 * storage.c — Supabase Storage metadata: readers, the role probe, the
 * storage.* audit rules, orphan detection and the batched cleanup
 * (check/storage.h, docs/storage.md).
 *
 * Invariants: bucket names are values (parameters), never pasted into SQL;
 * column and table names of references go through sql_ident; the probe
 * runs in one transaction that always ends in ROLLBACK, so it leaves
 * nothing behind whatever fails.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/storage.h"
#include "db/query.h"
#include "sql/quote.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/mem.h"

const char *const pgw_storage_roles[PGW_STORAGE_NROLES] = {"anon", "authenticated", "service_role"};

const char *const pgw_storage_private_words_default =
	"private,secret,profile,invoice,document,backup,personal,confidential,internal,"
	"receipt,contract,medical,passport,id-card,payroll,tax,statement";

/* The probe's two users: the owner of the probe object, and the
 * authenticated user who tries to reach it. */
#define PROBE_OWNER "a0a0a0a0-0000-4000-8000-00000000000a"
#define PROBE_OTHER "b0b0b0b0-0000-4000-8000-00000000000b"

/* Schemas whose columns never reference a project's objects. */
#define SYSTEM_SCHEMAS \
	"('pg_catalog','information_schema','storage','auth','pgwarden','supabase_migrations'," \
	"'extensions','realtime','vault','graphql','graphql_public','pgsodium','pgsodium_masks'," \
	"'net','supabase_functions','cron','pgbouncer','_realtime','_analytics')"

static const char *
val(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static json_t *
json_text(const char *s)
{
	json_t	   *v;

	if (!s)
		return json_null();
	v = json_loads(s, JSON_DECODE_ANY, NULL);
	return v ? v : json_null();
}

int
storage_require(PGconn *conn)
{
	PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the catalog",
							  "SELECT pg_catalog.to_regclass('storage.buckets') IS NOT NULL"
							  " AND pg_catalog.to_regclass('storage.objects') IS NOT NULL",
							  0, NULL, PGRES_TUPLES_OK);
	bool		ok;

	if (!res)
		return -1;
	ok = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!ok)
	{
		pgw_error(PGW_ERR_CONNECT, "not a Supabase database: there is no storage.buckets / storage.objects");
		pgw_error_hint("point --db at a Supabase project, or use a local database made with --supabase "
					   "(pgwarden local start --supabase)");
		return -1;
	}
	return 0;
}

/* The size of an object row, from metadata->>'size' (0 when absent). */
#define SIZE_EXPR(o) \
	"(CASE WHEN " o ".metadata->>'size' ~ '^[0-9]{1,18}$' THEN (" o ".metadata->>'size')::bigint ELSE 0 END)"

json_t *
storage_read_buckets(PGconn *conn, const char *only)
{
	const char *params[1] = {only};
	PGresult   *res;
	json_t	   *arr,
			   *pols;
	bool		rls,
				forced;

	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the buckets",
				  "SELECT b.id, b.name, coalesce(b.public, false), b.file_size_limit,"
				  " pg_catalog.to_json(b.allowed_mime_types)::text,"
				  " count(o.id), coalesce(sum(" SIZE_EXPR("o") "), 0)"
				  " FROM storage.buckets b LEFT JOIN storage.objects o ON o.bucket_id = b.id"
				  " WHERE $1::text IS NULL OR b.id = $1::text"
				  " GROUP BY b.id, b.name, b.public, b.file_size_limit, b.allowed_mime_types"
				  " ORDER BY b.name, b.id",
				  1, params, PGRES_TUPLES_OK);
	if (!res)
		return NULL;
	if (only && PQntuples(res) == 0)
	{
		PQclear(res);
		pgw_error(PGW_ERR_INPUT, "no bucket '%s'", only);
		pgw_error_hint("run 'pgwarden storage list' to see the buckets");
		return NULL;
	}
	if (!(pols = storage_read_policies(conn, &rls, &forced)))
	{
		PQclear(res);
		return NULL;
	}
	arr = json_array();
	for (int i = 0; i < PQntuples(res); i++)
	{
		json_t	   *mime = json_text(val(res, i, 4));
		json_t	   *names = json_array();
		size_t		k;
		json_t	   *p;

		if (json_is_array(mime) && json_array_size(mime) == 0)
		{
			json_decref(mime);
			mime = json_null();
		}
		json_array_foreach(pols, k, p)
			if (storage_policy_applies(p, PQgetvalue(res, i, 0)))
			json_array_append(names, json_object_get(p, "name"));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:o, s:o, s:I, s:I, s:o}",
											 "id", PQgetvalue(res, i, 0),
											 "name", PQgetvalue(res, i, 1),
											 "public", strcmp(PQgetvalue(res, i, 2), "t") == 0,
											 "file_size_limit", val(res, i, 3)
											 ? json_integer(atoll(val(res, i, 3))) : json_null(),
											 "allowed_mime_types", mime,
											 "objects", (json_int_t) atoll(PQgetvalue(res, i, 5)),
											 "bytes", (json_int_t) atoll(PQgetvalue(res, i, 6)),
											 "policies", names));
	}
	PQclear(res);
	json_decref(pols);
	return arr;
}

/*
 * The bucket ids an expression compares bucket_id with, as the server
 * deparses them: "bucket_id = 'x'::text" and
 * "bucket_id = ANY (ARRAY['a'::text, 'b'::text])".
 */
static void
scan_buckets(const char *expr, json_t *out)
{
	const char *p = expr;

	while (p && (p = strstr(p, "bucket_id")))
	{
		p += strlen("bucket_id");
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ')
			p++;
		if (strncmp(p, "ANY (ARRAY[", 11) == 0)
			p += 11;
		for (;;)
		{
			struct pgw_buf lit;

			if (*p != '\'')
				break;
			buf_init(&lit);
			for (p++; *p; p++)
			{
				if (*p == '\'' && p[1] == '\'')
				{
					buf_append_char(&lit, '\'');
					p++;
				}
				else if (*p == '\'')
				{
					p++;
					break;
				}
				else
					buf_append_char(&lit, *p);
			}
			json_array_append_new(out, json_string(lit.data ? lit.data : ""));
			buf_release(&lit);
			while (*p && *p != ',' && *p != ']' && *p != ')' && *p != ' ')
				p++;			/* ::text */
			if (*p == ',')
			{
				p++;
				while (*p == ' ')
					p++;
				continue;
			}
			break;
		}
	}
}

/* Whether expr is a bucket_id comparison and nothing else (NULL: yes). */
static bool
bucket_only(const char *expr)
{
	if (!expr)
		return true;
	while (*expr == '(' || *expr == ' ')
		expr++;
	return strncmp(expr, "bucket_id = ", 12) == 0 && !strstr(expr, " AND ") && !strstr(expr, " OR ");
}

static bool
mentions_identity(const char *expr)
{
	return expr && (strstr(expr, "auth.uid()") || strstr(expr, "auth.jwt()"));
}

json_t *
storage_read_policies(PGconn *conn, bool *rls_enabled, bool *rls_forced)
{
	PGresult   *res;
	json_t	   *arr;

	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the policies on storage.objects",
				  "SELECT c.relrowsecurity, c.relforcerowsecurity FROM pg_catalog.pg_class c"
				  " WHERE c.oid = 'storage.objects'::pg_catalog.regclass",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return NULL;
	*rls_enabled = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	*rls_forced = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the policies on storage.objects",
				  "SELECT p.polname,"
				  " CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'"
				  "  WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,"
				  " p.polpermissive,"
				  " pg_catalog.to_json(ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END"
				  "  FROM pg_catalog.unnest(p.polroles) r ORDER BY 1))::text,"
				  " pg_catalog.pg_get_expr(p.polqual, p.polrelid),"
				  " pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)"
				  " FROM pg_catalog.pg_policy p"
				  " WHERE p.polrelid = 'storage.objects'::pg_catalog.regclass ORDER BY p.polname",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return NULL;
	arr = json_array();
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *qual = val(res, i, 4);
		const char *check = val(res, i, 5);
		json_t	   *buckets = json_array();

		if (qual)
			scan_buckets(qual, buckets);
		if (check)
			scan_buckets(check, buckets);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:b, s:s?, s:s?, s:o, s:b, s:b, s:b}",
											 "name", PQgetvalue(res, i, 0),
											 "command", PQgetvalue(res, i, 1),
											 "roles", json_text(PQgetvalue(res, i, 3)),
											 "permissive", strcmp(PQgetvalue(res, i, 2), "t") == 0,
											 "using", qual, "check", check,
											 "buckets", buckets,
											 "by_bucket", json_array_size(buckets) > 0,
											 "by_owner", mentions_identity(qual) || mentions_identity(check),
											 "bucket_only", json_array_size(buckets) > 0 && bucket_only(qual) && bucket_only(check)));
	}
	PQclear(res);
	return arr;
}

bool
storage_policy_applies(json_t *policy, const char *bucket)
{
	json_t	   *b = json_object_get(policy, "buckets");
	size_t		i;
	json_t	   *v;

	if (json_array_size(b) == 0)
		return true;
	json_array_foreach(b, i, v)
		if (strcmp(json_string_value(v), bucket) == 0)
		return true;
	return false;
}

int
storage_read_detail(PGconn *conn, const char *bucket, json_t *b)
{
	const char *params[1] = {bucket};
	PGresult   *res;
	json_t	   *arr;

	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the objects of the bucket",
				  "SELECT o.name, " SIZE_EXPR("o") " AS size, o.metadata->>'mimetype', o.created_at::text"
				  " FROM storage.objects o WHERE o.bucket_id = $1::text"
				  " ORDER BY size DESC, o.name LIMIT 10",
				  1, params, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	arr = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:s?, s:I, s:s?, s:s?}", "name", val(res, i, 0),
											 "bytes", (json_int_t) atoll(PQgetvalue(res, i, 1)),
											 "mimetype", val(res, i, 2), "created_at", val(res, i, 3)));
	PQclear(res);
	json_object_set_new(b, "largest", arr);
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the objects of the bucket",
				  "SELECT CASE WHEN strpos(o.name, '/') > 0 THEN split_part(o.name, '/', 1) END AS folder,"
				  " count(*), sum(" SIZE_EXPR("o") ")"
				  " FROM storage.objects o WHERE o.bucket_id = $1::text"
				  " GROUP BY 1 ORDER BY 1 NULLS FIRST",
				  1, params, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	arr = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(arr, json_pack("{s:s?, s:I, s:I}", "folder", val(res, i, 0),
											 "objects", (json_int_t) atoll(PQgetvalue(res, i, 1)),
											 "bytes", (json_int_t) atoll(PQgetvalue(res, i, 2))));
	PQclear(res);
	json_object_set_new(b, "folders", arr);
	return 0;
}

/* ---- the role probe ---------------------------------------------------- */

static int
simple(PGconn *conn, const char *sql)
{
	return db_command(conn, PGW_ERR_CONNECT, "the storage probe failed", sql, 0, NULL);
}

/*
 * One operation as role: "yes" (it happened), "no" (refused: permission
 * or row-level security, or no row reached) or "error: ...".  Runs
 * between a savepoint and its rollback; -1 only when the transaction
 * itself cannot go on.
 */
static int
probe_op(PGconn *conn, const char *role, const char *op, const char *bucket, const char *probe_id,
		 json_t *out)
{
	const char *uid = strcmp(role, "authenticated") == 0 ? PROBE_OTHER : NULL;
	char	   *claims = pgw_asprintf("{\"role\":\"%s\"%s%s%s}", role, uid ? ",\"sub\":\"" : "",
									  uid ? uid : "", uid ? "\"" : "");
	const char *cp[3] = {claims, uid ? uid : "", role};
	struct pgw_buf q;
	PGresult   *res;
	const char *result;
	char	   *msg = NULL;

	if (simple(conn, "SAVEPOINT pgw_storage_probe") != 0)
	{
		free(claims);
		return -1;
	}
	res = db_exec(conn, PGW_ERR_CONNECT, "the storage probe failed",
				  "SELECT pg_catalog.set_config('request.jwt.claims', $1, true),"
				  " pg_catalog.set_config('request.jwt.claim.sub', $2, true),"
				  " pg_catalog.set_config('request.jwt.claim.role', $3, true)",
				  3, cp, PGRES_TUPLES_OK);
	free(claims);
	if (!res)
		return -1;
	PQclear(res);
	buf_init(&q);
	buf_append(&q, "SET LOCAL ROLE ");
	sql_ident(&q, role);
	res = PQexec(conn, q.data);
	buf_release(&q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		msg = pgw_asprintf("error: cannot act as %s: %s", role, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		PQclear(res);
		res = NULL;
	}
	else
	{
		PQclear(res);
		if (strcmp(op, "select") == 0)
		{
			const char *p[1] = {probe_id};

			res = PQexecParams(conn, "SELECT count(*) FROM storage.objects WHERE id = $1::uuid",
							   1, NULL, p, NULL, NULL, 0);
		}
		else if (strcmp(op, "update") == 0 || strcmp(op, "delete") == 0)
		{
			const char *p[1] = {probe_id};

			res = PQexecParams(conn, strcmp(op, "update") == 0
							   ? "UPDATE storage.objects SET updated_at = now() WHERE id = $1::uuid"
							   : "DELETE FROM storage.objects WHERE id = $1::uuid",
							   1, NULL, p, NULL, NULL, 0);
		}
		else
		{
			char	   *name = pgw_asprintf("%s/pgwarden-probe-insert.txt", uid ? uid : role);
			const char *p[3] = {bucket, name, uid};

			res = PQexecParams(conn, "INSERT INTO storage.objects (bucket_id, name, owner, owner_id, metadata)"
							   " VALUES ($1::text, $2::text, $3::uuid, $3::text, '{\"size\": 0}')",
							   3, NULL, p, NULL, NULL, 0);
			free(name);
		}
	}
	if (msg)
		result = msg;
	else if (PQresultStatus(res) == PGRES_TUPLES_OK)
		result = atoll(PQgetvalue(res, 0, 0)) > 0 ? "yes" : "no";
	else if (PQresultStatus(res) == PGRES_COMMAND_OK)
		result = atoll(PQcmdTuples(res)) > 0 ? "yes" : "no";
	else if (strcmp(db_sqlstate(res), "42501") == 0)
		result = "no";
	else
		result = msg = pgw_asprintf("error: %s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
									? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(conn));
	json_object_set_new(out, op, json_string(result));
	free(msg);
	PQclear(res);
	return simple(conn, "ROLLBACK TO SAVEPOINT pgw_storage_probe");
}

json_t *
storage_probe(PGconn *conn, json_t *bucket_ids)
{
	static const char *const ops[] = {"select", "insert", "update", "delete"};
	json_t	   *out = json_object();
	size_t		i;
	json_t	   *b;

	if (simple(conn, "BEGIN") != 0)
	{
		json_decref(out);
		return NULL;
	}
	json_array_foreach(bucket_ids, i, b)
	{
		const char *bucket = json_string_value(b);
		const char *p[2] = {bucket, PROBE_OWNER};
		json_t	   *roles = json_object();
		PGresult   *res;

		json_object_set_new(out, bucket, roles);
		res = db_exec(conn, PGW_ERR_CONNECT, "cannot add the probe object",
					  "INSERT INTO storage.objects (bucket_id, name, owner, owner_id, metadata)"
					  " VALUES ($1::text, $2::text || '/pgwarden-probe.txt', $2::uuid, $2::text, '{\"size\": 0}')"
					  " RETURNING id::text",
					  2, p, PGRES_TUPLES_OK);
		if (!res)
			goto fail;
		for (int r = 0; r < PGW_STORAGE_NROLES; r++)
		{
			json_t	   *acc = json_object();

			json_object_set_new(roles, pgw_storage_roles[r], acc);
			for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
				if (probe_op(conn, pgw_storage_roles[r], ops[k], bucket, PQgetvalue(res, 0, 0), acc) != 0)
				{
					PQclear(res);
					goto fail;
				}
		}
		PQclear(res);
	}
	if (simple(conn, "ROLLBACK") != 0)
	{
		json_decref(out);
		return NULL;
	}
	return out;
fail:
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		PQclear(PQexec(conn, "ROLLBACK"));
		pgw_error_restore(&saved);
	}
	json_decref(out);
	return NULL;
}

/* ---- audit ------------------------------------------------------------- */

static const char *
access_of(json_t *access, const char *bucket, const char *role, const char *op)
{
	const char *s = json_string_value(json_object_get(json_object_get(json_object_get(access, bucket), role), op));

	return s ? s : "";
}

/* The first private-sounding word of words found in name, or NULL. */
static char *
private_word(const char *name, const char *words)
{
	char	   *lname = pgw_strdup(name);
	const char *p = words;
	char	   *found = NULL;

	for (char *c = lname; *c; c++)
		*c = (char) tolower((unsigned char) *c);
	while (p && *p && !found)
	{
		const char *e = strchr(p, ',');
		size_t		n = e ? (size_t) (e - p) : strlen(p);
		char	   *w = pgw_strndup(p, n);

		for (char *c = w; *c; c++)
			*c = (char) tolower((unsigned char) *c);
		if (*w && strstr(lname, w))
			found = pgw_strdup(w);
		free(w);
		p = e ? e + 1 : NULL;
	}
	free(lname);
	return found;
}

static struct pgw_finding *
bucket_finding(struct pgw_findings *out, const char *rule, enum pgw_severity sev,
			   const char *bucket, const char *msg)
{
	struct pgw_finding *f = findings_add(out, rule, sev, "storage", msg);

	finding_set_object(out, f, "bucket", "storage", bucket, NULL);
	finding_set_table(out, f, "storage", "buckets");
	return f;
}

static void
set_fix(struct pgw_findings *out, struct pgw_finding *f, const char *bucket, const char *sql,
		const char *undo)
{
	const char *args[1] = {bucket};

	finding_set_fix(out, f, "storage-fix", args, bucket ? 1 : 0, sql);
	finding_set_fix_undo(out, f, undo, false);
}

static void
bucket_update_fix(struct pgw_findings *out, struct pgw_finding *f, const char *bucket,
				  const char *set, const char *unset)
{
	struct pgw_buf up,
				down;

	buf_init(&up);
	buf_init(&down);
	buf_printf(&up, "UPDATE storage.buckets SET %s WHERE id = ", set);
	sql_literal(&up, bucket);
	buf_append(&up, ";\n");
	buf_printf(&down, "UPDATE storage.buckets SET %s WHERE id = ", unset);
	sql_literal(&down, bucket);
	buf_append(&down, ";\n");
	set_fix(out, f, bucket, up.data, down.data);
	buf_release(&up);
	buf_release(&down);
}

/* CREATE POLICY for a policy as read (roles, command, expressions). */
static void
policy_create(struct pgw_buf *b, const char *name, json_t *p, const char *qual, const char *check)
{
	size_t		i;
	json_t	   *r;

	buf_append(b, "CREATE POLICY ");
	sql_ident(b, name);
	buf_printf(b, " ON storage.objects AS %s FOR %s TO ",
			   json_is_true(json_object_get(p, "permissive")) ? "PERMISSIVE" : "RESTRICTIVE",
			   json_string_value(json_object_get(p, "command")));
	json_array_foreach(json_object_get(p, "roles"), i, r)
	{
		if (i)
			buf_append(b, ", ");
		if (strcmp(json_string_value(r), "public") == 0)
			buf_append(b, "PUBLIC");
		else
			sql_ident(b, json_string_value(r));
	}
	if (qual)
		buf_printf(b, " USING (%s)", qual);
	if (check)
		buf_printf(b, " WITH CHECK (%s)", check);
	buf_append(b, ";\n");
}

#define OWNER_EXPR "owner_id = ((SELECT auth.uid()))::text"

static void
weak_policy_fix(struct pgw_findings *out, struct pgw_finding *f, json_t *p)
{
	const char *name = json_string_value(json_object_get(p, "name"));
	const char *cmd = json_string_value(json_object_get(p, "command"));
	const char *qual = json_string_value(json_object_get(p, "using"));
	const char *check = json_string_value(json_object_get(p, "check"));
	struct pgw_buf up,
				down,
				nq,
				nc;

	buf_init(&up);
	buf_init(&down);
	buf_init(&nq);
	buf_init(&nc);
	if (strcmp(cmd, "INSERT") != 0)
		buf_printf(&nq, "(%s) AND " OWNER_EXPR, qual ? qual : "true");
	if (strcmp(cmd, "SELECT") != 0 && strcmp(cmd, "DELETE") != 0)
		buf_printf(&nc, "(%s) AND " OWNER_EXPR, check ? check : qual ? qual : "true");
	buf_append(&up, "DROP POLICY ");
	sql_ident(&up, name);
	buf_append(&up, " ON storage.objects;\n");
	policy_create(&up, name, p, nq.len ? nq.data : NULL, nc.len ? nc.data : NULL);
	buf_append(&down, "DROP POLICY ");
	sql_ident(&down, name);
	buf_append(&down, " ON storage.objects;\n");
	policy_create(&down, name, p, qual, check);
	set_fix(out, f, NULL, up.data, down.data);
	buf_release(&up);
	buf_release(&down);
	buf_release(&nq);
	buf_release(&nc);
}

static bool
in_filter(json_t *buckets, const char *id)
{
	size_t		i;
	json_t	   *b;

	json_array_foreach(buckets, i, b)
		if (strcmp(json_string_value(json_object_get(b, "id")), id) == 0)
		return true;
	return false;
}

void
storage_audit(json_t *buckets, json_t *access, json_t *policies, bool rls_enabled,
			  long long missing_rows, long long missing_bytes, json_t *orphans,
			  const char *words, bool filtered, struct pgw_findings *out)
{
	size_t		i;
	json_t	   *b,
			   *p;

	if (!rls_enabled)
	{
		struct pgw_finding *f = findings_add(out, "storage.rls_disabled", PGW_SEV_ERROR, "storage",
											 "row-level security is off on storage.objects: every role with table privileges reads and writes every object row");

		finding_set_object(out, f, "table", "storage", "objects", NULL);
		finding_set_hint(out, f, "turn it on: ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY (then the policies decide)");
		set_fix(out, f, NULL, "ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;\n",
				"ALTER TABLE storage.objects DISABLE ROW LEVEL SECURITY;\n");
	}
	json_array_foreach(buckets, i, b)
	{
		const char *id = json_string_value(json_object_get(b, "id"));
		const char *name = json_string_value(json_object_get(b, "name"));
		bool		pub = json_is_true(json_object_get(b, "public"));
		json_t	   *limit = json_object_get(b, "file_size_limit");
		json_t	   *mime = json_object_get(b, "allowed_mime_types");
		char	   *word = pub ? private_word(name, words) : NULL;
		struct pgw_finding *f;
		char	   *m;

		if (word)
		{
			m = pgw_asprintf("public bucket '%s' has a private-sounding name (\"%s\"): anyone with a link reads its files", name, word);
			f = bucket_finding(out, "storage.public_private_name", PGW_SEV_ERROR, id, m);
			free(m);
			finding_set_detail(out, f, "a public bucket serves every object by URL without checking any policy");
			finding_set_hint(out, f, "make it private and serve files through signed URLs, or rename it if it really holds public files");
			bucket_update_fix(out, f, id, "public = false", "public = true");
			free(word);
		}
		if (json_is_null(limit) || json_integer_value(limit) <= 0)
		{
			m = pgw_asprintf("bucket '%s' has no file size limit", name);
			f = bucket_finding(out, "storage.no_size_limit", PGW_SEV_WARNING, id, m);
			free(m);
			finding_set_hint(out, f, "set file_size_limit to the largest file the application uploads (the fix sets 50 MB)");
			bucket_update_fix(out, f, id, "file_size_limit = 52428800", "file_size_limit = NULL");
		}
		if (pub && json_is_null(mime))
		{
			m = pgw_asprintf("public bucket '%s' accepts any MIME type", name);
			f = bucket_finding(out, "storage.public_no_mime", PGW_SEV_WARNING, id, m);
			free(m);
			finding_set_detail(out, f, "anyone allowed to upload can publish HTML or scripts under the project's domain");
			finding_set_hint(out, f, "set allowed_mime_types to the types the application serves, e.g. '{image/png,image/jpeg}'");
		}
		if (access)
		{
			const char *wops[3] = {"insert", "update", "delete"};
			struct pgw_buf ops;

			buf_init(&ops);
			for (int k = 0; k < 3; k++)
				if (strcmp(access_of(access, id, "anon", wops[k]), "yes") == 0)
					buf_printf(&ops, "%s%s", ops.len ? ", " : "", wops[k]);
			if (ops.len)
			{
				m = pgw_asprintf("anonymous users can %s objects of bucket '%s'", ops.data, name);
				f = bucket_finding(out, "storage.anon_write", PGW_SEV_ERROR, id, m);
				free(m);
				finding_set_detail(out, f, "found by the role probe: as anon, in a rolled-back transaction");
				finding_set_hint(out, f, "restrict the write policies on storage.objects to authenticated and to the object's owner or tenant");
			}
			buf_reset(&ops);
			if (strcmp(access_of(access, id, "anon", "select"), "yes") == 0)
			{
				if (pub)
				{
					m = pgw_asprintf("anonymous users can list the objects of public bucket '%s'", name);
					f = bucket_finding(out, "storage.public_listable", PGW_SEV_WARNING, id, m);
					finding_set_detail(out, f, "public buckets serve files by URL without a SELECT policy; one for anon only adds listing every file name");
					finding_set_hint(out, f, "drop the SELECT policy that lets anon read storage.objects rows of this bucket");
				}
				else
				{
					m = pgw_asprintf("anonymous users can read objects of private bucket '%s'", name);
					f = bucket_finding(out, "storage.anon_read", PGW_SEV_ERROR, id, m);
					finding_set_hint(out, f, "restrict the SELECT policy to authenticated and to the object's owner or tenant");
				}
				free(m);
				finding_set_detail(out, f, "found by the role probe: as anon, in a rolled-back transaction");
			}
			for (int k = 1; k < 3; k++)
				if (strcmp(access_of(access, id, "authenticated", wops[k]), "yes") == 0)
					buf_printf(&ops, "%s%s", ops.len ? ", " : "", wops[k]);
			if (ops.len)
			{
				m = pgw_asprintf("any signed-in user can %s other users' objects in bucket '%s'", ops.data, name);
				f = bucket_finding(out, "storage.cross_user_write", PGW_SEV_ERROR, id, m);
				free(m);
				finding_set_detail(out, f, "found by the role probe: as authenticated user " PROBE_OTHER " on an object owned by " PROBE_OWNER);
				finding_set_hint(out, f, "scope the UPDATE/DELETE policies by owner (owner_id = auth.uid()::text) or by tenant folder");
			}
			buf_release(&ops);
			if (!pub && strcmp(access_of(access, id, "authenticated", "select"), "yes") == 0)
			{
				m = pgw_asprintf("any signed-in user can read other users' objects in private bucket '%s'", name);
				f = bucket_finding(out, "storage.cross_user_read", PGW_SEV_WARNING, id, m);
				free(m);
				finding_set_detail(out, f, "found by the role probe: as authenticated user " PROBE_OTHER " on an object owned by " PROBE_OWNER);
				finding_set_hint(out, f, "scope the SELECT policy by owner or tenant if the files are not meant to be shared");
			}
		}
		if (orphans && json_object_get(orphans, id))
		{
			json_t	   *o = json_object_get(orphans, id);
			long long	n = json_integer_value(json_object_get(o, "count"));

			if (n > 0)
			{
				m = pgw_asprintf("%lld object%s of bucket '%s' referenced by no row (%lld bytes)", n, n == 1 ? "" : "s",
								 name, (long long) json_integer_value(json_object_get(o, "bytes")));
				f = bucket_finding(out, "storage.orphaned_objects", PGW_SEV_WARNING, id, m);
				free(m);
				finding_set_hint(out, f, "review them with 'pgwarden storage orphans BUCKET', remove them with 'pgwarden storage cleanup BUCKET --yes'");
			}
		}
	}
	json_array_foreach(policies, i, p)
	{
		const char *pname = json_string_value(json_object_get(p, "name"));
		const char *cmd = json_string_value(json_object_get(p, "command"));
		const char *qual = json_string_value(json_object_get(p, "using"));
		const char *check = json_string_value(json_object_get(p, "check"));
		bool		by_bucket = json_is_true(json_object_get(p, "by_bucket"));
		bool		by_owner = json_is_true(json_object_get(p, "by_owner"));
		bool		writes = strcmp(cmd, "SELECT") != 0;
		bool		relevant = !filtered;
		struct pgw_finding *f = NULL;
		char	   *m = NULL;
		size_t		k;
		json_t	   *bb;

		if (!json_is_true(json_object_get(p, "permissive")))
			continue;			/* a restrictive policy only narrows */
		if (filtered)
		{
			if (!by_bucket)
				relevant = true;
			json_array_foreach(json_object_get(p, "buckets"), k, bb)
				if (in_filter(buckets, json_string_value(bb)))
				relevant = true;
		}
		if (!relevant || by_owner)
			continue;
		if (!by_bucket)
		{
			m = pgw_asprintf("policy '%s' (%s) on storage.objects restricts neither by bucket nor by owner: %s", pname, cmd,
							 (qual && strcmp(qual, "true") == 0) || (check && strcmp(check, "true") == 0) ? "USING (true)"
							 : "it applies to every bucket");
			f = findings_add(out, "storage.weak_policy", PGW_SEV_ERROR, "storage", m);
		}
		else if (writes && json_is_true(json_object_get(p, "bucket_only")))
		{
			m = pgw_asprintf("policy '%s' (%s) lets its roles write any object of its bucket: bucket_id alone, no owner or tenant", pname, cmd);
			f = findings_add(out, "storage.weak_policy", PGW_SEV_ERROR, "storage", m);
		}
		if (!f)
			continue;
		free(m);
		finding_set_object(out, f, "policy", "storage", pname, NULL);
		finding_set_table(out, f, "storage", "objects");
		finding_set_detail(out, f, qual || check ? (qual ? qual : check) : "no expression");
		finding_set_hint(out, f, "scope it by owner (owner_id = auth.uid()::text) or tenant folder; the fix adds the owner condition");
		weak_policy_fix(out, f, p);
	}
	if (!filtered && missing_rows > 0)
	{
		char	   *m = pgw_asprintf("%lld object row%s name%s a bucket that does not exist (%lld bytes)", missing_rows,
									 missing_rows == 1 ? "" : "s", missing_rows == 1 ? "s" : "", missing_bytes);
		struct pgw_finding *f = findings_add(out, "storage.missing_bucket", PGW_SEV_ERROR, "storage", m);

		free(m);
		finding_set_object(out, f, "table", "storage", "objects", NULL);
		finding_set_hint(out, f, "recreate the bucket, or delete those rows after checking nothing needs their files");
	}
}

int
storage_missing_bucket_rows(PGconn *conn, long long *rows, long long *bytes)
{
	PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "cannot read storage.objects",
							  "SELECT count(*), coalesce(sum(" SIZE_EXPR("o") "), 0) FROM storage.objects o"
							  " WHERE NOT EXISTS (SELECT 1 FROM storage.buckets b WHERE b.id = o.bucket_id)",
							  0, NULL, PGRES_TUPLES_OK);

	if (!res)
		return -1;
	*rows = atoll(PQgetvalue(res, 0, 0));
	*bytes = atoll(PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/* ---- orphans ----------------------------------------------------------- */

/*
 * The object name a reference value names: "name", "BUCKET/name" or
 * "...​/BUCKET/name" (a URL); $1 is the bucket.
 */
static void
norm_expr(struct pgw_buf *b, const char *alias, const char *column)
{
	struct pgw_buf v;

	buf_init(&v);
	buf_printf(&v, "%s.", alias);
	sql_ident(&v, column);
	buf_append(&v, "::text");
	buf_printf(b, "(CASE WHEN left(%s, length($1::text) + 1) = $1::text || '/' THEN substr(%s, length($1::text) + 2)"
			   " WHEN strpos(%s, '/' || $1::text || '/') > 0"
			   " THEN substr(%s, strpos(%s, '/' || $1::text || '/') + length($1::text) + 2)"
			   " ELSE %s END)", v.data, v.data, v.data, v.data, v.data, v.data);
	buf_release(&v);
}

json_t *
storage_find_refs(PGconn *conn, const char *bucket, const struct pgw_strlist *given)
{
	json_t	   *out = json_array();
	PGresult   *res;

	if (given && given->n)
	{
		for (size_t i = 0; i < given->n; i++)
		{
			const char *s = given->items[i];
			const char *d1 = strchr(s, '.');
			const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
			char	   *schema,
					   *table,
					   *column;
			const char *p[3];

			if (!d1 || (d2 && strchr(d2 + 1, '.')) || d1 == s || !d1[1])
			{
				json_decref(out);
				pgw_error(PGW_ERR_INPUT, "bad --ref '%s'", s);
				pgw_error_hint("write TABLE.COLUMN or SCHEMA.TABLE.COLUMN");
				return NULL;
			}
			if (d2)
			{
				schema = pgw_strndup(s, (size_t) (d1 - s));
				table = pgw_strndup(d1 + 1, (size_t) (d2 - d1 - 1));
				column = pgw_strdup(d2 + 1);
			}
			else
			{
				schema = pgw_strdup("public");
				table = pgw_strndup(s, (size_t) (d1 - s));
				column = pgw_strdup(d1 + 1);
			}
			p[0] = schema;
			p[1] = table;
			p[2] = column;
			res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the catalog",
						  "SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
						  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						  " WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0"
						  " AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
						  3, p, PGRES_TUPLES_OK);
			if (!res || PQntuples(res) == 0)
			{
				if (res)
				{
					pgw_error(PGW_ERR_INPUT, "no column '%s' in table '%s.%s' (--ref %s)", column, schema, table, s);
					pgw_error_hint("name a column that holds object paths, as TABLE.COLUMN or SCHEMA.TABLE.COLUMN");
				}
				PQclear(res);
				free(schema);
				free(table);
				free(column);
				json_decref(out);
				return NULL;
			}
			PQclear(res);
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b}", "schema", schema, "table", table,
												 "column", column, "given", 1));
			free(schema);
			free(table);
			free(column);
		}
		return out;
	}
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot read the catalog",
				  "SELECT n.nspname, c.relname, a.attname FROM pg_catalog.pg_attribute a"
				  " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
				  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				  " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
				  " AND a.atttypid IN ('text'::pg_catalog.regtype, 'varchar'::pg_catalog.regtype)"
				  " AND n.nspname NOT IN " SYSTEM_SCHEMAS " AND n.nspname !~ '^pg_'"
				  " AND NOT c.relispartition"
				  " ORDER BY 1, 2, 3",
				  0, NULL, PGRES_TUPLES_OK);
	if (!res)
	{
		json_decref(out);
		return NULL;
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *schema = PQgetvalue(res, i, 0);
		const char *table = PQgetvalue(res, i, 1);
		const char *column = PQgetvalue(res, i, 2);
		const char *p[1] = {bucket};
		struct pgw_buf q;
		PGresult   *r;

		/* sample: do some of its values name objects of the bucket? */
		buf_init(&q);
		buf_append(&q, "SELECT count(*) FROM (SELECT ");
		norm_expr(&q, "t", column);
		buf_append(&q, " AS v FROM ");
		sql_qname(&q, schema, table);
		buf_append(&q, " t WHERE t.");
		sql_ident(&q, column);
		buf_append(&q, " IS NOT NULL LIMIT 200) s WHERE EXISTS (SELECT 1 FROM storage.objects o"
				   " WHERE o.bucket_id = $1::text AND o.name = s.v)");
		r = db_exec(conn, PGW_ERR_CONNECT, "cannot sample a column for object references", q.data, 1, p,
					PGRES_TUPLES_OK);
		buf_release(&q);
		if (!r)
		{
			PQclear(res);
			json_decref(out);
			return NULL;
		}
		if (atoll(PQgetvalue(r, 0, 0)) > 0)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b}", "schema", schema, "table", table,
												 "column", column, "given", 0));
		PQclear(r);
	}
	PQclear(res);
	return out;
}

/* " AND NOT EXISTS (...)" for every ref: the object is named by no row. */
static void
orphan_conditions(struct pgw_buf *q, json_t *refs)
{
	size_t		i;
	json_t	   *r;

	json_array_foreach(refs, i, r)
	{
		buf_append(q, " AND NOT EXISTS (SELECT 1 FROM ");
		sql_qname(q, json_string_value(json_object_get(r, "schema")), json_string_value(json_object_get(r, "table")));
		buf_append(q, " r WHERE ");
		norm_expr(q, "r", json_string_value(json_object_get(r, "column")));
		buf_append(q, " = o.name)");
	}
}

json_t *
storage_find_orphans(PGconn *conn, const char *bucket, json_t *refs, long limit)
{
	const char *p[1] = {bucket};
	struct pgw_buf q;
	PGresult   *res;
	json_t	   *objs = json_array();
	long long	bytes = 0;

	if (json_array_size(refs) == 0)
	{
		json_decref(objs);
		pgw_error(PGW_ERR_INPUT, "no column references objects of bucket '%s'", bucket);
		pgw_error_detail("no text column outside the system schemas holds a sampled value naming one of its objects");
		pgw_error_hint("name the columns that hold object paths with --ref TABLE.COLUMN");
		return NULL;
	}
	buf_init(&q);
	buf_append(&q, "SELECT o.id::text, o.name, " SIZE_EXPR("o") ", o.owner::text, o.created_at::text, o.metadata::text"
			   " FROM storage.objects o WHERE o.bucket_id = $1::text");
	orphan_conditions(&q, refs);
	buf_append(&q, " ORDER BY o.name, o.id");
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot find the orphaned objects", q.data, 1, p, PGRES_TUPLES_OK);
	buf_release(&q);
	if (!res)
	{
		json_decref(objs);
		return NULL;
	}
	for (int i = 0; i < PQntuples(res); i++)
	{
		bytes += atoll(PQgetvalue(res, i, 2));
		if (limit > 0 && i >= limit)
			continue;
		json_array_append_new(objs, json_pack("{s:s, s:s?, s:I, s:s?, s:s?, s:o}", "id", PQgetvalue(res, i, 0),
											  "name", val(res, i, 1), "bytes", (json_int_t) atoll(PQgetvalue(res, i, 2)),
											  "owner", val(res, i, 3), "created_at", val(res, i, 4),
											  "metadata", json_text(val(res, i, 5))));
	}
	{
		json_t	   *out = json_pack("{s:I, s:I, s:o}", "count", (json_int_t) PQntuples(res),
									"bytes", (json_int_t) bytes, "objects", objs);

		PQclear(res);
		return out;
	}
}

int
storage_delete_orphans(PGconn *conn, const char *bucket, json_t *refs, json_t *orphans,
					   long batch, int lock_timeout_ms, long long *deleted)
{
	json_t	   *objs = json_object_get(orphans, "objects");
	size_t		n = json_array_size(objs);
	struct pgw_buf q;
	int			batches = 0;

	*deleted = 0;
	buf_init(&q);
	buf_append(&q, "DELETE FROM storage.objects o WHERE o.bucket_id = $1::text AND o.id = ANY ($2::uuid[])");
	orphan_conditions(&q, refs);
	for (size_t start = 0; start < n; start += (size_t) batch)
	{
		struct pgw_buf ids;
		char		lt[32];
		int			attempt;

		buf_init(&ids);
		buf_append_char(&ids, '{');
		for (size_t i = start; i < n && i < start + (size_t) batch; i++)
			buf_printf(&ids, "%s%s", i > start ? "," : "",
					   json_string_value(json_object_get(json_array_get(objs, i), "id")));
		buf_append_char(&ids, '}');
		snprintf(lt, sizeof(lt), "%dms", lock_timeout_ms);
		for (attempt = 0;; attempt++)
		{
			const char *lp[1] = {lt};
			const char *p[2] = {bucket, ids.data};
			PGresult   *res;

			if (simple(conn, "BEGIN") != 0)
				goto fail;
			res = db_exec(conn, PGW_ERR_CONNECT, "cannot set lock_timeout",
						  "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, lp, PGRES_TUPLES_OK);
			if (!res)
				goto fail_tx;
			PQclear(res);
			res = PQexecParams(conn, q.data, 2, NULL, p, NULL, NULL, 0);
			if (PQresultStatus(res) == PGRES_COMMAND_OK)
			{
				long long	k = atoll(PQcmdTuples(res));

				PQclear(res);
				if (simple(conn, "COMMIT") != 0)
					goto fail;
				*deleted += k;
				break;
			}
			if (strcmp(db_sqlstate(res), "55P03") == 0 && attempt < 3)
			{
				PQclear(res);
				PQclear(PQexec(conn, "ROLLBACK"));
				sleep((unsigned) (attempt + 1));
				continue;
			}
			db_error_from(conn, res, PGW_ERR_CONNECT, "cannot delete a batch of orphaned object rows");
			PQclear(res);
			goto fail_tx;
		}
		buf_release(&ids);
		batches++;
		if (batches == 1 && start + (size_t) batch < n && fault_active("storage-cleanup-after-batch"))
		{
			/* a real server error between two batches, as a lost connection would be */
			PGresult   *res = db_exec(conn, PGW_ERR_CONNECT, "cannot delete the next batch of orphaned object rows",
									  "SELECT 1 / 0", 0, NULL, PGRES_TUPLES_OK);

			PQclear(res);
			buf_release(&q);
			return -1;
		}
		continue;
fail_tx:
		{
			struct pgw_err saved;

			pgw_error_save(&saved);
			PQclear(PQexec(conn, "ROLLBACK"));
			pgw_error_restore(&saved);
		}
fail:
		buf_release(&ids);
		buf_release(&q);
		return -1;
	}
	buf_release(&q);
	return 0;
}
