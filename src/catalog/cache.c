/*
 * cache.c — the snapshot cache (see cache.h for the file and its rules).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>

#include <jansson.h>

#include "catalog/cache.h"
#include "model/snapshot.h"
#include "out/out.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/sha256.h"

#define CACHE_FORMAT "pgwarden.cache/2"

/*
 * What wrote the cache: the version, the snapshot format and the build (the
 * executable's size and modification time), so a rebuilt pgwarden — whose
 * model may carry new fields — never trusts an older build's file.
 */
static char *
build_id(void)
{
	struct stat st;

	if (stat("/proc/self/exe", &st) == 0)
		return pgw_asprintf("%s %s %lld.%lld", PGW_VERSION, PGW_SNAPSHOT_FORMAT,
							(long long) st.st_size, (long long) st.st_mtime);
	return pgw_asprintf("%s %s", PGW_VERSION, PGW_SNAPSHOT_FORMAT);
}

/*
 * Every catalog whose rows the model is built from, directly or through a
 * deparse function (pg_rewrite for views, pg_opclass/pg_operator/pg_am for
 * index and constraint text, pg_language for functions, ...).  Shared
 * catalogs (roles) are fingerprinted separately.
 */
static const char *const catalogs[] = {
	"pg_namespace", "pg_class", "pg_attribute", "pg_attrdef", "pg_constraint",
	"pg_index", "pg_type", "pg_enum", "pg_proc", "pg_policy", "pg_trigger",
	"pg_description", "pg_depend", "pg_extension", "pg_inherits", "pg_sequence",
	"pg_publication", "pg_publication_rel", "pg_event_trigger", "pg_default_acl",
	"pg_collation", "pg_rewrite", "pg_opclass", "pg_operator", "pg_am",
	"pg_language", "pg_partitioned_table", "pg_foreign_table", "pg_foreign_server",
	"pg_foreign_data_wrapper", "pg_cast", "pg_conversion", "pg_statistic_ext",
	"pg_range", "pg_ts_config", "pg_ts_dict", "pg_transform", "pg_auth_members",
};

static char *
fingerprint_sql(int server_version_num)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_printf(&b, "SELECT 'roles', pg_catalog.count(*), 0, "
			   "pg_catalog.sum(pg_catalog.hashtext(r.oid::pg_catalog.text || '/' || r.rolname || r.rolsuper::pg_catalog.text || r.rolbypassrls::pg_catalog.text)::pg_catalog.int8) "
			   "FROM pg_catalog.pg_roles r");
	for (size_t i = 0; i < sizeof(catalogs) / sizeof(catalogs[0]); i++)
	{
		/*
		 * CREATE INDEX CONCURRENTLY sets pg_index's indisready/indisvalid in
		 * place (no new row version): those bits are hashed too.
		 */
		const char *extra = strcmp(catalogs[i], "pg_index") == 0 ?
			" || c.indisvalid::pg_catalog.text || c.indisready::pg_catalog.text || c.indislive::pg_catalog.text" : "";

		buf_printf(&b, " UNION ALL SELECT '%s', pg_catalog.count(*), "
				   "pg_catalog.sum(c.xmin::pg_catalog.text::pg_catalog.int8), "
				   "pg_catalog.sum(pg_catalog.hashtext(c.ctid::pg_catalog.text || c.xmin::pg_catalog.text%s)::pg_catalog.int8) "
				   "FROM pg_catalog.%s c", catalogs[i], extra, catalogs[i]);
	}
	if (server_version_num >= 150000)
		buf_printf(&b, " UNION ALL SELECT 'pg_publication_namespace', pg_catalog.count(*), "
				   "pg_catalog.sum(c.xmin::pg_catalog.text::pg_catalog.int8), "
				   "pg_catalog.sum(pg_catalog.hashtext(c.ctid::pg_catalog.text || c.xmin::pg_catalog.text)::pg_catalog.int8) "
				   "FROM pg_catalog.pg_publication_namespace c");
	return b.data;
}

static const char q_identity[] =
"SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') "
"  THEN (SELECT s.system_identifier::pg_catalog.text FROM pg_catalog.pg_control_system() s) ELSE '' END, "
"d.oid, pg_catalog.current_setting('search_path'), "
"pg_catalog.div(pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::pg_catalog.text::pg_catalog.numeric, 4294967296) "
"FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()";

static void
key_list(json_t *key, const char *name, const struct pgw_strlist *l)
{
	json_t	   *a = json_array();

	for (size_t i = 0; l && i < l->n; i++)
		json_array_append_new(a, json_string(l->items[i]));
	json_object_set_new(key, name, a);
}

static void
set_reason(struct pgw_catalog_stats *stats, bool hit, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

static void
set_reason(struct pgw_catalog_stats *stats, bool hit, const char *fmt,...)
{
	char		msg[sizeof(stats->cache_reason)];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	stats->cache_hits += hit ? 1 : 0;
	stats->cache_misses += hit ? 0 : 1;
	snprintf(stats->cache_reason, sizeof(stats->cache_reason), "%s", msg);
	out_verbose("cache: %s — %s", hit ? "hit" : "full read", msg);
}

/* The names of the catalogs whose fingerprints differ, for the reason. */
static void
changed_catalogs(json_t *old, json_t *now, char *out, size_t size)
{
	const char *name;
	json_t	   *v;
	size_t		used = 0;
	int			n = 0;

	out[0] = '\0';
	json_object_foreach(now, name, v)
	{
		json_t	   *o = json_object_get(old, name);

		if (o && json_equal(o, v))
			continue;
		if (n++ < 6)
			used += (size_t) snprintf(out + used, used < size ? size - used : 0, "%s%s",
									  used ? ", " : "", name);
		if (used >= size)
			used = size - 1;
	}
	if (n > 6 && used < size)
		snprintf(out + used, size - used, " and %d more", n - 6);
}

int
catalog_cache_lookup(PGconn *conn, const struct pgw_catalog_opts *opts,
					 struct pgw_model *m, struct pgw_catalog_stats *stats,
					 struct pgw_cache_probe *probe)
{
	struct pgw_catalog_stats dummy = {0};
	PGresult   *res;
	char	   *sql;
	json_t	   *key;
	json_t	   *fps;
	json_t	   *header;
	json_t	   *old = NULL;
	char	   *keytext;
	char	   *file;
	char	   *data = NULL;
	size_t		len = 0;
	char		ident[160];
	long long	epoch;
	int			rc = 0;

	if (!stats)
		stats = &dummy;
	memset(probe, 0, sizeof(*probe));
	res = PQexec(conn, q_identity);
	stats->queries++;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot read the cache key from the catalog");
		pgw_error_detail("%s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	if (PQgetvalue(res, 0, 0)[0])
		snprintf(ident, sizeof(ident), "%s-%s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	else
	{
		/* no pg_control_system(): the address stands in for the cluster */
		char		addr[512];
		char		hex[PGW_SHA256_HEX_LEN + 1];

		snprintf(addr, sizeof(addr), "%s:%s", PQhost(conn) ? PQhost(conn) : "",
				 PQport(conn) ? PQport(conn) : "");
		if (sha256_hex(addr, strlen(addr), hex) != 0)
		{
			PQclear(res);
			return -1;
		}
		hex[16] = '\0';
		snprintf(ident, sizeof(ident), "h%s-%s", hex, PQgetvalue(res, 0, 1));
	}
	key = json_object();
	json_object_set_new(key, "cluster", json_string(ident));
	json_object_set_new(key, "server_version_num", json_integer(m->source.server_version_num));
	json_object_set_new(key, "user", json_string(m->source.user ? m->source.user : ""));
	json_object_set_new(key, "search_path", json_string(PQgetvalue(res, 0, 2)));
	json_object_set_new(key, "tenant_column", json_string(opts->tenant_column ? opts->tenant_column : ""));
	key_list(key, "include", opts->include);
	key_list(key, "exclude", opts->exclude);
	key_list(key, opts->include && opts->include->n ? "managed_unused" : "managed", opts->managed);
	epoch = atoll(PQgetvalue(res, 0, 3));
	PQclear(res);

	sql = fingerprint_sql(m->source.server_version_num);
	res = PQexec(conn, sql);
	free(sql);
	stats->queries++;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot fingerprint the catalog");
		pgw_error_detail("%s", PQresultErrorMessage(res));
		PQclear(res);
		json_decref(key);
		return -1;
	}
	fps = json_object();
	for (int r = 0; r < PQntuples(res); r++)
		json_object_set_new(fps, PQgetvalue(res, r, 0),
							json_sprintf("%s/%s/%s", PQgetvalue(res, r, 1),
										 PQgetvalue(res, r, 2), PQgetvalue(res, r, 3)));
	PQclear(res);

	file = pgw_asprintf("%s.snap", ident);
	probe->path = fs_join(opts->cache_dir, file);
	free(file);
	keytext = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS);
	header = json_object();
	json_object_set_new(header, "format", json_string(CACHE_FORMAT));
	{
		char	   *id = build_id();

		json_object_set_new(header, "pgwarden", json_string(id));
		free(id);
	}
	json_object_set_new(header, "key", json_string(keytext));
	json_object_set_new(header, "epoch", json_integer(epoch));
	json_object_set_new(header, "catalogs", fps);
	probe->header = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
	probe->ready = true;
	json_decref(key);

	if (!fs_exists(probe->path))
	{
		set_reason(stats, false, "no cache for this database yet");
		goto out;
	}
	if (fs_read_file(probe->path, &data, &len) != 0)
	{
		pgw_error_clear();
		set_reason(stats, false, "the cache file cannot be read");
		goto out;
	}
	{
		char	   *nl = memchr(data, '\n', len);
		json_error_t jerr;
		json_t	   *v;
		char		hex[PGW_SHA256_HEX_LEN + 1];
		char		what[200];
		size_t		hlen;

		if (!nl)
		{
			out_note("ignoring the cache file %s: it is not a pgwarden cache", probe->path);
			set_reason(stats, false, "the cache file is damaged (no header)");
			goto out;
		}
		hlen = (size_t) (nl - data);
		old = json_loadb(data, hlen, 0, &jerr);
		if (!old || !json_is_object(old) ||
			!json_is_string(json_object_get(old, "format")) ||
			strcmp(json_string_value(json_object_get(old, "format")), CACHE_FORMAT) != 0)
		{
			out_note("ignoring the cache file %s: it is not a %s file", probe->path, CACHE_FORMAT);
			set_reason(stats, false, "the cache file is damaged or foreign");
			goto out;
		}
		v = json_object_get(old, "pgwarden");
		if (!json_is_string(v) || !json_equal(v, json_object_get(header, "pgwarden")))
		{
			set_reason(stats, false, "the cache was written by another pgwarden build (%s)",
					   json_is_string(v) ? json_string_value(v) : "?");
			goto out;
		}
		v = json_object_get(old, "key");
		if (!json_is_string(v) || strcmp(json_string_value(v), keytext) != 0)
		{
			set_reason(stats, false, "the cache was read with other settings (server version, role, search_path or schema options)");
			goto out;
		}
		if (json_integer_value(json_object_get(old, "epoch")) != epoch)
		{
			set_reason(stats, false, "the transaction ID epoch changed (xmin values cannot be compared)");
			goto out;
		}
		changed_catalogs(json_object_get(old, "catalogs"), json_object_get(header, "catalogs"), what, sizeof(what));
		if (what[0] || !json_is_object(json_object_get(old, "catalogs")))
		{
			set_reason(stats, false, "the schema changed (%s)", what[0] ? what : "catalogs");
			goto out;
		}
		v = json_object_get(old, "body_sha256");
		if (sha256_hex(nl + 1, len - hlen - 1, hex) != 0 || !json_is_string(v) ||
			strcmp(json_string_value(v), hex) != 0)
		{
			pgw_error_clear();
			out_note("ignoring the cache file %s: its contents are damaged (checksum mismatch)", probe->path);
			set_reason(stats, false, "the cache file is damaged (checksum mismatch)");
			goto out;
		}
		if (snapshot_read_binary(probe->path, nl + 1, len - hlen - 1, m) != 0)
		{
			out_note("ignoring the cache file %s: %s", probe->path, pgw_error_last()->message);
			pgw_error_clear();
			/* m may be half filled: the caller starts again on a fresh one */
			set_reason(stats, false, "the cache file's snapshot does not load");
			rc = 2;
			goto out;
		}
		{
			json_t	   *um = json_object_get(old, "unmatched");
			size_t		i;

			json_array_foreach(um, i, v)
				if (json_is_string(v))
					strlist_add(&stats->unmatched, json_string_value(v));
		}
		set_reason(stats, true, "no catalog changed since the cached read");
		rc = 1;
	}
out:
	free(keytext);
	json_decref(header);
	json_decref(old);
	free(data);
	if (stats == &dummy)
		catalog_stats_release(&dummy);
	return rc;
}

/*
 * A temporary file of its own (mkstemp: 0600, a unique name even for two
 * threads of one process reading the same target), then rename().
 */
static int
write_atomic(const char *path, const char *data, size_t len)
{
	char	   *tmp = pgw_asprintf("%s.tmp.XXXXXX", path);
	int			fd = mkstemp(tmp);
	size_t		done = 0;

	if (fd < 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	while (done < len)
	{
		ssize_t		w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t) w;
	}
	if (done < len || close(fd) != 0 || rename(tmp, path) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		if (done < len)
			close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

void
catalog_cache_store(struct pgw_cache_probe *probe, const struct pgw_model *m,
					const struct pgw_catalog_stats *stats)
{
	struct pgw_buf body;
	struct pgw_buf all;
	json_t	   *header;
	json_t	   *um;
	char		hex[PGW_SHA256_HEX_LEN + 1];
	char	   *dir;
	char	   *h;

	if (!probe->ready)
		return;
	buf_init(&body);
	snapshot_write_binary(m, &body);
	if (sha256_hex(body.data, body.len, hex) != 0)
	{
		pgw_error_clear();
		buf_release(&body);
		return;
	}
	header = json_loads(probe->header, 0, NULL);
	json_object_set_new(header, "body_sha256", json_string(hex));
	um = json_array();
	for (size_t i = 0; stats && i < stats->unmatched.n; i++)
		json_array_append_new(um, json_string(stats->unmatched.items[i]));
	json_object_set_new(header, "unmatched", um);
	h = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(header);
	buf_init(&all);
	buf_printf(&all, "%s\n", h);
	free(h);
	buf_append_len(&all, body.data, body.len);
	buf_release(&body);
	dir = fs_dirname(probe->path);
	if ((fs_is_dir(dir) || fs_mkdir_p(dir, 0700) == 0) &&
		write_atomic(probe->path, all.data, all.len) == 0)
		out_verbose("cache: wrote %s", probe->path);
	else
	{
		out_note("cannot write the schema cache: %s", pgw_error_last()->message);
		pgw_error_clear();
	}
	free(dir);
	buf_release(&all);
}

void
catalog_cache_probe_release(struct pgw_cache_probe *probe)
{
	free(probe->path);
	free(probe->header);
	memset(probe, 0, sizeof(*probe));
}
