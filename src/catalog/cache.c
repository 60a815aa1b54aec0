/*
 * cache.c — the snapshot cache (see cache.h for the file and its rules).
 */
#include <assert.h>
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

#define CACHE_FORMAT "pgwarden.cache/4"

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
 * catalogs (roles) are fingerprinted separately.  The first ones are
 * attributable: each of their rows belongs to one relation (or is a
 * database-wide object: then a change in it means a full read); a change
 * in any other catalog means a full read.
 */
static const char *const catalogs[] = {
	"pg_class", "pg_attribute", "pg_attrdef", "pg_constraint", "pg_index",
	"pg_policy", "pg_trigger", "pg_description", "pg_depend", "pg_type",
	"pg_sequence", "pg_rewrite", "pg_inherits", "pg_partitioned_table",
	"pg_foreign_table", "pg_statistic_ext",
	/* not attributable */
	"pg_namespace", "pg_enum", "pg_proc", "pg_extension", "pg_publication",
	"pg_publication_rel", "pg_event_trigger", "pg_default_acl",
	"pg_collation", "pg_opclass", "pg_operator", "pg_am", "pg_language",
	"pg_foreign_server", "pg_foreign_data_wrapper", "pg_cast", "pg_conversion",
	"pg_range", "pg_ts_config", "pg_ts_dict", "pg_transform", "pg_auth_members",
};

#define NATTRIBUTABLE 16

static bool
attributable(const char *catalog)
{
	for (size_t i = 0; i < NATTRIBUTABLE; i++)
		if (strcmp(catalogs[i], catalog) == 0)
			return true;
	return false;
}

/*
 * A row is new since the cached read when that read's snapshot could not
 * see its xmin: at or past the snapshot's xmax ($1, 32 bits) or one of the
 * transactions it saw running ($2).  age() counts back from one point fixed
 * for the whole transaction, so comparing ages compares transaction IDs
 * without the wraparound arithmetic; each age of a parameter is computed
 * once (an InitPlan), not per row.  $1 NULL: no cached read, no row is new.
 *
 * A subtransaction's ID is in no snapshot's list: rows that a transaction
 * running during the cached read wrote in a subtransaction (a SAVEPOINT, a
 * PL/pgSQL exception block) look old by the test above.  The window
 * catches them: the rows whose xmin lies between a snapshot's xmin and
 * xmax but not in its list are committed rows that snapshot saw; their
 * count is kept with the cache, and counted again over the same window
 * ($3 the old xmin, $1, $2): a subtransaction's rows that committed since
 * raise it (and mean a full read; a delete or an update of a window row
 * lowers it, and is located like any other change).  The current window ($6, $4, $5) is
 * counted for the next read.
 */
#define NEW_ROW(a) \
	"(pg_catalog.age(" a ".xmin) <= (SELECT pg_catalog.age($1::pg_catalog.xid)) " \
	"OR " a ".xmin = ANY($2::pg_catalog.xid[]))"
#define WINDOW(a, lo, hi, xip) \
	"(pg_catalog.age(" a ".xmin) <= (SELECT pg_catalog.age(" lo "::pg_catalog.xid)) " \
	"AND pg_catalog.age(" a ".xmin) > (SELECT pg_catalog.age(" hi "::pg_catalog.xid)) " \
	"AND NOT " a ".xmin = ANY(" xip "::pg_catalog.xid[]))"

/*
 * Phase one, every run: per catalog, its row count, how many of its rows
 * are new, (pg_index) the flags CREATE INDEX CONCURRENTLY sets in place
 * without a new row version, and the old and the current window counts.
 * Raw columns only, no deparse function: the cost of a scan.  Equal
 * counts, flags and windows and no new row mean an unchanged catalog: an
 * update or an insert leaves a new row, a delete a smaller count.
 */
static char *
fingerprint_sql(int server_version_num)
{
	struct pgw_buf b;
	size_t		n = sizeof(catalogs) / sizeof(catalogs[0]);

	buf_init(&b);
	buf_printf(&b, "SELECT 'roles', pg_catalog.count(*), 0, "
			   "pg_catalog.sum(pg_catalog.hashtext(r.oid::pg_catalog.text || '/' || r.rolname || r.rolsuper::pg_catalog.text || r.rolbypassrls::pg_catalog.text)::pg_catalog.int8), 0, 0 "
			   "FROM pg_catalog.pg_roles r");
	for (size_t i = 0; i <= n; i++)
	{
		const char *name = i < n ? catalogs[i] : "pg_publication_namespace";
		const char *extra = strcmp(name, "pg_index") == 0 ?
			"pg_catalog.sum(c.indisvalid::pg_catalog.int4 + 2 * c.indisready::pg_catalog.int4 + 4 * c.indislive::pg_catalog.int4)" : "0";

		if (i == n && server_version_num < 150000)
			break;
		buf_printf(&b, " UNION ALL SELECT '%s', pg_catalog.count(*), "
				   "pg_catalog.count(*) FILTER (WHERE " NEW_ROW("c") "), %s, "
				   "pg_catalog.count(*) FILTER (WHERE " WINDOW("c", "$3", "$1", "$2") "), "
				   "pg_catalog.count(*) FILTER (WHERE " WINDOW("c", "$6", "$4", "$5") ") "
				   "FROM pg_catalog.%s c", name, extra, name);
	}
	return b.data;
}

#define RC(name) "'pg_catalog." name "'::pg_catalog.regclass"

/* The relation a pg_description row describes (0: not a relation's). */
#define DESCRIBED(d) \
	"COALESCE(CASE " d ".classoid WHEN " RC("pg_class") " THEN " d ".objoid " \
	"WHEN " RC("pg_constraint") " THEN (SELECT x.conrelid FROM pg_catalog.pg_constraint x WHERE x.oid = " d ".objoid) " \
	"WHEN " RC("pg_trigger") " THEN (SELECT x.tgrelid FROM pg_catalog.pg_trigger x WHERE x.oid = " d ".objoid) " \
	"WHEN " RC("pg_policy") " THEN (SELECT x.polrelid FROM pg_catalog.pg_policy x WHERE x.oid = " d ".objoid) END, 0)"

/* The relation a dependent object (pg_depend's classid, objid) belongs to:
 * a table's default, constraint, trigger, policy, rule, statistics, row
 * type (or its array type); 0 for anything else. */
#define DEPENDENT(d) \
	"COALESCE(CASE " d ".classid WHEN " RC("pg_class") " THEN " d ".objid " \
	"WHEN " RC("pg_attrdef") " THEN (SELECT x.adrelid FROM pg_catalog.pg_attrdef x WHERE x.oid = " d ".objid) " \
	"WHEN " RC("pg_constraint") " THEN (SELECT x.conrelid FROM pg_catalog.pg_constraint x WHERE x.oid = " d ".objid) " \
	"WHEN " RC("pg_trigger") " THEN (SELECT x.tgrelid FROM pg_catalog.pg_trigger x WHERE x.oid = " d ".objid) " \
	"WHEN " RC("pg_policy") " THEN (SELECT x.polrelid FROM pg_catalog.pg_policy x WHERE x.oid = " d ".objid) " \
	"WHEN " RC("pg_rewrite") " THEN (SELECT x.ev_class FROM pg_catalog.pg_rewrite x WHERE x.oid = " d ".objid) " \
	"WHEN " RC("pg_statistic_ext") " THEN (SELECT x.stxrelid FROM pg_catalog.pg_statistic_ext x WHERE x.oid = " d ".objid) " \
	"WHEN " RC("pg_type") " THEN (SELECT COALESCE(NULLIF(x.typrelid, 0), e.typrelid) FROM pg_catalog.pg_type x " \
	"  LEFT JOIN pg_catalog.pg_type e ON e.oid = x.typelem WHERE x.oid = " d ".objid) END, 0)"

/*
 * (cat, obj) rows → (cat, rel): an index's rows belong to its table, a
 * TOAST table's (and its index's) to the table it serves (its internal
 * dependency: an index lookup, pg_class has none on reltoastrelid).
 * Scalar subqueries, never joins: the planner cannot turn them into hash
 * joins that scan all of pg_class and pg_index for the few rows a change
 * leaves; each is an index lookup per row.
 */
#define OWNER_MAP(src) \
	"SELECT n.cat, COALESCE((SELECT CASE WHEN o.relkind = 't' THEN COALESCE((SELECT t.refobjid FROM pg_catalog.pg_depend t " \
	"  WHERE t.classid = " RC("pg_class") " AND t.objid = o.oid AND t.objsubid = 0 " \
	"  AND t.refclassid = " RC("pg_class") " AND t.deptype = 'i' LIMIT 1), 0) ELSE o.oid END " \
	"  FROM pg_catalog.pg_class o WHERE o.oid = COALESCE((SELECT i.indrelid FROM pg_catalog.pg_index i " \
	"  WHERE i.indexrelid = n.obj), n.obj)), n.obj) AS rel FROM " src " n"

/* A relation's relkind, NULL when there is none (a scalar subquery, as
 * above). */
#define RELKIND(rel) "(SELECT r.relkind FROM pg_catalog.pg_class r WHERE r.oid = " rel ")"

/*
 * Phase two, when only attributable catalogs changed.  q_new, rows 'n': the
 * relations that own a new row (rel 0: a new row no relation owns, e.g. a
 * function's comment).  With it, counts_sql (below) for the catalogs
 * whose fingerprint moved: together the relations that changed.  A new
 * pg_depend row of a policy or a trigger is tagged 'pg_depend:own' (see
 * own_change).
 */
static const char q_new[] =
"WITH new(cat, obj) AS ("
" SELECT 'pg_class', c.oid FROM pg_catalog.pg_class c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_attribute', c.attrelid FROM pg_catalog.pg_attribute c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_attrdef', c.adrelid FROM pg_catalog.pg_attrdef c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_constraint', c.conrelid FROM pg_catalog.pg_constraint c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_index', c.indrelid FROM pg_catalog.pg_index c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_policy', c.polrelid FROM pg_catalog.pg_policy c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_trigger', c.tgrelid FROM pg_catalog.pg_trigger c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_description', " DESCRIBED("c") " FROM pg_catalog.pg_description c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_depend' || CASE WHEN c.classid IN (" RC("pg_policy") ", " RC("pg_trigger") ") THEN ':own' ELSE '' END, "
"  " DEPENDENT("c") " FROM pg_catalog.pg_depend c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_type', COALESCE(NULLIF(c.typrelid, 0), (SELECT e.typrelid FROM pg_catalog.pg_type e WHERE e.oid = c.typelem), 0) "
"  FROM pg_catalog.pg_type c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_sequence', c.seqrelid FROM pg_catalog.pg_sequence c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_rewrite', c.ev_class FROM pg_catalog.pg_rewrite c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_inherits', c.inhrelid FROM pg_catalog.pg_inherits c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_partitioned_table', c.partrelid FROM pg_catalog.pg_partitioned_table c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_foreign_table', c.ftrelid FROM pg_catalog.pg_foreign_table c WHERE " NEW_ROW("c")
" UNION ALL SELECT 'pg_statistic_ext', c.stxrelid FROM pg_catalog.pg_statistic_ext c WHERE " NEW_ROW("c")
"), newrel AS (" OWNER_MAP("new") ") "
"SELECT 'n', n.cat, n.rel, " RELKIND("n.rel") ", NULL::pg_catalog.int8 FROM (SELECT DISTINCT cat, rel FROM newrel) n ";

/*
 * q_new with only the branches of the catalogs that have new rows (phase
 * one counted them): the others would be scanned to find nothing.  The
 * branches are the " UNION ALL "-separated parts of the new CTE (none of
 * them contains that text itself).  Caller frees.
 */
static char *
new_sql(const struct pgw_strlist *cats)
{
	const char *head = "WITH new(cat, obj) AS (";
	const char *start = q_new + strlen(head);
	const char *end = strstr(q_new, "), newrel AS (");
	struct pgw_buf b;
	int			kept = 0;

	buf_init(&b);
	buf_append(&b, head);
	while (start < end)
	{
		const char *next = strstr(start, " UNION ALL ");
		const char *stop = next && next < end ? next : end;
		const char *q = strstr(start, "SELECT '");
		char		name[64];
		size_t		len;

		assert(q && q < stop);
		q += strlen("SELECT '");
		len = (size_t) (strchr(q, '\'') - q);
		snprintf(name, sizeof(name), "%.*s", (int) len, q);
		if (strlist_contains(cats, name))
		{
			buf_append(&b, kept++ ? " UNION ALL " : " ");
			buf_append_len(&b, start, (size_t) (stop - start));
		}
		start = stop == end ? end : stop + strlen(" UNION ALL ");
	}
	buf_append(&b, end);
	return buf_steal(&b);
}

/*
 * The per-relation counts, one branch per catalog (rows (rel, n)): the
 * catalogs where a row can go without a new one appearing.  The cache
 * keeps them per catalog, so a read compares only the catalogs whose
 * fingerprint moved: an unchanged catalog (same count, no new row, same
 * window) has the same rows, so the same counts.  Each catalog's rows map
 * to their relation through fields that never change (an index's table,
 * a constraint's), so an unchanged catalog cannot move a count either.
 */
static const struct
{
	const char *cat;
	const char *sql;
}			count_branches[] = {
	{"pg_class", "SELECT CASE WHEN c.relkind = 'c' THEN 0 ELSE c.oid END AS rel, pg_catalog.count(*) AS n FROM pg_catalog.pg_class c "
	"WHERE c.relkind NOT IN ('i', 'I') GROUP BY 1"},
	{"pg_index", "SELECT c.indrelid, pg_catalog.count(*) + 1000000 * pg_catalog.sum(c.indisvalid::pg_catalog.int4 + 2 * c.indisready::pg_catalog.int4 + 4 * c.indislive::pg_catalog.int4) "
	"FROM pg_catalog.pg_index c GROUP BY 1"},
	{"pg_constraint", "SELECT c.conrelid, pg_catalog.count(*) FROM pg_catalog.pg_constraint c GROUP BY 1"},
	{"pg_policy", "SELECT c.polrelid, pg_catalog.count(*) FROM pg_catalog.pg_policy c GROUP BY 1"},
	{"pg_trigger", "SELECT c.tgrelid, pg_catalog.count(*) FROM pg_catalog.pg_trigger c GROUP BY 1"},
	{"pg_attrdef", "SELECT c.adrelid, pg_catalog.count(*) FROM pg_catalog.pg_attrdef c GROUP BY 1"},
	{"pg_rewrite", "SELECT c.ev_class, pg_catalog.count(*) FROM pg_catalog.pg_rewrite c GROUP BY 1"},
	{"pg_inherits", "SELECT COALESCE(i.indrelid, c.inhrelid), pg_catalog.count(*) FROM pg_catalog.pg_inherits c "
	"LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.inhrelid GROUP BY 1"},
	{"pg_sequence", "SELECT c.seqrelid, pg_catalog.count(*) FROM pg_catalog.pg_sequence c GROUP BY 1"},
	{"pg_partitioned_table", "SELECT c.partrelid, pg_catalog.count(*) FROM pg_catalog.pg_partitioned_table c GROUP BY 1"},
	{"pg_foreign_table", "SELECT c.ftrelid, pg_catalog.count(*) FROM pg_catalog.pg_foreign_table c GROUP BY 1"},
	{"pg_statistic_ext", "SELECT c.stxrelid, pg_catalog.count(*) FROM pg_catalog.pg_statistic_ext c GROUP BY 1"},
	{"pg_description", "SELECT COALESCE((SELECT i.indrelid FROM pg_catalog.pg_index i WHERE c.classoid = " RC("pg_class") " "
	"AND i.indexrelid = c.objoid), " DESCRIBED("c") "), pg_catalog.count(*) FROM pg_catalog.pg_description c GROUP BY 1"},
	{"pg_depend", "SELECT CASE WHEN c.classid = " RC("pg_class") " THEN c.objid ELSE 0 END, pg_catalog.count(*) FROM pg_catalog.pg_depend c "
	"WHERE c.deptype IN ('e', 'x') OR (c.classid = " RC("pg_class") " AND c.deptype = 'a' "
	"AND c.objid IN (SELECT s.seqrelid FROM pg_catalog.pg_sequence s)) GROUP BY 1"},
	{"pg_type", "SELECT 0, pg_catalog.count(*) FROM pg_catalog.pg_type c WHERE c.typrelid = 0 "
	"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = c.typelem AND e.typrelid <> 0)"},
};

#define NCOUNT_BRANCHES (sizeof(count_branches) / sizeof(count_branches[0]))

/*
 * Phase two's counts, rows 'c' (kind, branch number, rel, relkind, n):
 * per catalog in cats (NULL: every one), the relations whose count of
 * rows in it differs from the cached one ($1, $2, $3: branch numbers,
 * oids and counts; a dropped relation has no count now, a new one had
 * none).  Relation 0 counts the rows that can go and belong to no
 * relation (standalone types, composite types, domain constraints, other
 * objects' comments, extension membership), so such a delete is seen too
 * (and means a full read).  pg_index's in-place flags weigh in the count,
 * so a concurrently built index that becomes valid counts too.  With
 * empty arrays it gives every relation's counts.  NULL when no catalog in
 * cats has counts.  Caller frees.
 */
static char *
counts_sql(const struct pgw_strlist *cats)
{
	struct pgw_buf b;
	int			kept = 0;

	buf_init(&b);
	buf_append(&b, "WITH cnt(k, rel, n) AS (SELECT x.k, x.rel, pg_catalog.sum(x.n)::pg_catalog.int8 FROM (");
	for (size_t i = 0; i < NCOUNT_BRANCHES; i++)
	{
		if (cats && !strlist_contains(cats, count_branches[i].cat))
			continue;
		buf_printf(&b, "%sSELECT %zu AS k, b.* FROM (%s) b(rel, n)",
				   kept++ ? " UNION ALL " : " ", i, count_branches[i].sql);
	}
	if (!kept)
	{
		buf_release(&b);
		return NULL;
	}
	buf_append(&b, ") x WHERE x.rel = 0 OR (x.rel >= 16384 AND " RELKIND("x.rel") " IN ('r', 'p', 'f', 'v', 'm', 'S')) "
			   "GROUP BY 1, 2) "
			   "SELECT 'c', d.k, d.rel, " RELKIND("d.rel") ", d.n FROM ("
			   "SELECT COALESCE(k.k, o.k) AS k, COALESCE(k.rel, o.rel) AS rel, k.n FROM cnt k "
			   "FULL JOIN ROWS FROM (pg_catalog.unnest($1::pg_catalog.int4[]), pg_catalog.unnest($2::pg_catalog.oid[]), "
			   "pg_catalog.unnest($3::pg_catalog.int8[])) o(k, rel, n) ON o.k = k.k AND o.rel = k.rel "
			   "WHERE k.n IS DISTINCT FROM o.n) d");
	return buf_steal(&b);
}

/*
 * The objects whose text names a changed relation ($1): what depends on
 * it, on one of its indexes or on its row type (pg_depend), mapped to the
 * relation they belong to (a view's rule to the view, a foreign key to its
 * table, a default to its table, an owned sequence to itself); 0 for a
 * dependent no relation owns (a function, a domain, a publication).
 */
static const char q_dependents[] =
"WITH k AS (SELECT pg_catalog.unnest($1::pg_catalog.oid[]) AS rel), "
"refs(cls, oid) AS ("
" SELECT " RC("pg_class") ", k.rel FROM k"
" UNION ALL SELECT " RC("pg_class") ", i.indexrelid FROM pg_catalog.pg_index i JOIN k ON i.indrelid = k.rel"
" UNION ALL SELECT " RC("pg_type") ", c.reltype FROM pg_catalog.pg_class c JOIN k ON c.oid = k.rel WHERE c.reltype <> 0), "
"dep(cat, obj) AS (SELECT DISTINCT c.classid::pg_catalog.regclass::pg_catalog.text, " DEPENDENT("c") " "
" FROM pg_catalog.pg_depend c JOIN refs r ON c.refclassid = r.cls AND c.refobjid = r.oid), "
"deprel AS (" OWNER_MAP("dep") ") "
"SELECT d.cat, d.rel, " RELKIND("d.rel") " FROM (SELECT DISTINCT cat, rel FROM deprel) d";

/*
 * The cache key, and the snapshot the next read compares against.  JIT
 * off for the rest of the read's transaction first: the fingerprint and
 * change queries are cheap scans that LLVM would spend seconds compiling
 * (their estimated cost passes jit_above_cost at a few thousand tables).
 */
static const char q_identity[] =
"SET LOCAL jit = off; "
"SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') "
"  THEN (SELECT s.system_identifier::pg_catalog.text FROM pg_catalog.pg_control_system() s) ELSE '' END, "
"d.oid, pg_catalog.current_setting('search_path'), "
"pg_catalog.pg_snapshot_xmin(s.s)::pg_catalog.text, pg_catalog.pg_snapshot_xmax(s.s)::pg_catalog.text, "
"COALESCE((SELECT pg_catalog.string_agg(x::pg_catalog.text, ',') FROM pg_catalog.pg_snapshot_xip(s.s) x), '') "
"FROM pg_catalog.pg_database d, (SELECT pg_catalog.pg_current_snapshot()) s(s) "
"WHERE d.datname = pg_catalog.current_database()";

/* Beyond this many transactions since the cached read, a full read (ages
 * near 2^31 would wrap). */
#define MAX_XID_DISTANCE (1LL << 30)

static void
key_list(json_t *key, const char *name, const struct pgw_strlist *l)
{
	json_t	   *a = json_array();

	for (size_t i = 0; l && i < l->n; i++)
		json_array_append_new(a, json_string(l->items[i]));
	json_object_set_new(key, name, a);
}

static void
set_reason(struct pgw_catalog_stats *stats, int result, const char *fmt,...)
	__attribute__((format(printf, 3, 4)));

/* result: 1 hit, 0 full read, 3 partial read */
static void
set_reason(struct pgw_catalog_stats *stats, int result, const char *fmt,...)
{
	char		msg[sizeof(stats->cache_reason)];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	stats->cache_hits += result == 1;
	stats->cache_misses += result == 0;
	stats->cache_partials += result == 3;
	snprintf(stats->cache_reason, sizeof(stats->cache_reason), "%s", msg);
	out_verbose("cache: %s — %s", result == 1 ? "hit" : result == 3 ? "partial read" : "full read", msg);
}

/* Appends name to a "a, b, c and N more" list of at most 6 names. */
static void
list_add(char *out, size_t size, int *n, const char *name)
{
	size_t		used = strlen(out);

	if ((*n)++ < 6)
		snprintf(out + used, used < size ? size - used : 0, "%s%s", used ? ", " : "", name);
}

static void
list_end(char *out, size_t size, int n)
{
	size_t		used = strlen(out);

	if (n > 6 && used < size)
		snprintf(out + used, size - used, " and %d more", n - 6);
}

/* ---- per-relation counts: sorted (oid, count) pairs ---- */

static int
cmp_relcount(const void *a, const void *b)
{
	const struct pgw_cache_relcount *x = a;
	const struct pgw_cache_relcount *y = b;

	if (x->cat != y->cat)
		return x->cat < y->cat ? -1 : 1;
	return x->oid < y->oid ? -1 : x->oid > y->oid;
}

static void
counts_add(struct pgw_cache_probe *probe, int cat, uint32_t oid, int64_t n)
{
	if (probe->nrels == probe->caprels)
	{
		probe->caprels = probe->caprels ? probe->caprels * 2 : 256;
		probe->rels = pgw_realloc(probe->rels, probe->caprels * sizeof(*probe->rels));
	}
	probe->rels[probe->nrels].cat = cat;
	probe->rels[probe->nrels].oid = oid;
	probe->rels[probe->nrels].n = n;
	probe->nrels++;
}

/* "k.oid:n,k.oid:n,..." (the header's form: k a count_branches index) →
 * probe->rels, sorted; false when it does not parse. */
static bool
counts_parse(struct pgw_cache_probe *probe, const char *text)
{
	const char *p = text;

	while (*p)
	{
		char	   *end;
		unsigned long k = strtoul(p, &end, 10);
		unsigned long oid;
		long long	n;

		if (end == p || *end != '.' || k >= NCOUNT_BRANCHES)
			return false;
		p = end + 1;
		oid = strtoul(p, &end, 10);
		if (end == p || *end != ':')
			return false;
		p = end + 1;
		n = strtoll(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0'))
			return false;
		counts_add(probe, (int) k, (uint32_t) oid, n);
		p = *end ? end + 1 : end;
	}
	if (probe->nrels)
		qsort(probe->rels, probe->nrels, sizeof(*probe->rels), cmp_relcount);
	return true;
}

/* The cached counts of the catalogs in cats as three array literals for
 * counts_sql's $1..$3 (caller frees). */
static void
counts_arrays(const struct pgw_cache_probe *probe, const struct pgw_strlist *cats,
			  char **ks, char **oids, char **counts)
{
	struct pgw_buf a;
	struct pgw_buf b;
	struct pgw_buf c;
	bool		want[NCOUNT_BRANCHES];
	int			kept = 0;

	for (size_t k = 0; k < NCOUNT_BRANCHES; k++)
		want[k] = !cats || strlist_contains(cats, count_branches[k].cat);
	buf_init(&a);
	buf_init(&b);
	buf_init(&c);
	buf_append_char(&a, '{');
	buf_append_char(&b, '{');
	buf_append_char(&c, '{');
	for (size_t i = 0; i < probe->nrels; i++)
	{
		if (!want[probe->rels[i].cat])
			continue;
		buf_printf(&a, "%s%d", kept ? "," : "", probe->rels[i].cat);
		buf_printf(&b, "%s%u", kept ? "," : "", probe->rels[i].oid);
		buf_printf(&c, "%s%lld", kept ? "," : "", (long long) probe->rels[i].n);
		kept++;
	}
	buf_append_char(&a, '}');
	buf_append_char(&b, '}');
	buf_append_char(&c, '}');
	*ks = buf_steal(&a);
	*oids = buf_steal(&b);
	*counts = buf_steal(&c);
}

/* Applies a changed count (n < 0: the relation is gone). */
static void
counts_set(struct pgw_cache_probe *probe, size_t sorted, int cat, uint32_t oid, int64_t n)
{
	struct pgw_cache_relcount key = {cat, oid, 0};
	struct pgw_cache_relcount *hit = sorted ?
		bsearch(&key, probe->rels, sorted, sizeof(*probe->rels), cmp_relcount) : NULL;

	if (hit)
		hit->n = n;
	else if (n >= 0)
		counts_add(probe, cat, oid, n);
}

static void
counts_finish(struct pgw_cache_probe *probe)
{
	size_t		keep = 0;

	if (probe->nrels)
		qsort(probe->rels, probe->nrels, sizeof(*probe->rels), cmp_relcount);
	for (size_t i = 0; i < probe->nrels; i++)
		if (probe->rels[i].n >= 0)
			probe->rels[keep++] = probe->rels[i];
	probe->nrels = keep;
}

static void
reread_add(struct pgw_cache_probe *probe, uint32_t oid)
{
	for (size_t i = 0; i < probe->nreread; i++)
		if (probe->reread[i] == oid)
			return;
	if (probe->nreread % 64 == 0)
		probe->reread = pgw_realloc(probe->reread, (probe->nreread + 64) * sizeof(*probe->reread));
	probe->reread[probe->nreread++] = oid;
}

static bool
relation_kind(const char *relkind)
{
	return relkind[0] && strchr("rpfvmS", relkind[0]) != NULL;
}

/* "123" (a full 64-bit transaction ID) → its low 32 bits, as text. */
static void
xid32(const char *full, char *out, size_t size)
{
	snprintf(out, size, "%llu", strtoull(full, NULL, 10) & 0xffffffffULL);
}

/* "1,2,3" (full IDs) → "{1,2,3}" of their low 32 bits (caller frees). */
static char *
xid32_array(const char *list)
{
	struct pgw_buf b;
	const char *p = list;

	buf_init(&b);
	buf_append_char(&b, '{');
	while (*p)
	{
		char	   *end;
		unsigned long long x = strtoull(p, &end, 10);

		if (end == p)
			break;
		buf_printf(&b, "%s%llu", b.len > 1 ? "," : "", x & 0xffffffffULL);
		p = *end ? end + 1 : end;
	}
	buf_append_char(&b, '}');
	return buf_steal(&b);
}

/*
 * Changes that stay inside their relation's own text: a comment (on the
 * relation, a column, an index, a constraint, a trigger or a policy), a
 * policy, a trigger, and the pg_depend rows of a policy or a trigger.
 * Nothing another relation's model holds comes from them: a view's
 * definition, a foreign key, another table's policy name a relation by
 * its name and its columns' names and types (pg_class, pg_attribute), and
 * a dependency is charged to the object that depends, so the relation
 * alone is read again.  Anything else (a rename, a column, a constraint,
 * an index, a rule, OWNED BY, an extension member) is followed through
 * pg_depend to what names it.
 */
static bool
own_change(const char *cat)
{
	return strcmp(cat, "pg_description") == 0 || strcmp(cat, "pg_policy") == 0 ||
		strcmp(cat, "pg_trigger") == 0;
}

/*
 * Runs counts_sql (every relation's counts, or with old_ok those of the
 * catalogs in diffcats that differ from the cached counts) and, with
 * old_ok, q_new for the catalogs in newcats against the cached read's
 * snapshot ($1 its xmax, $2 its running transactions).  Fills probe->rels
 * with the current counts and, with old_ok, probe->reread with the
 * relations that changed; *doubt gets why a partial read cannot be
 * trusted ("" when it can); *wide is set when a change located may show
 * in other relations' text (see own_change).  Returns 0, or -1 on a
 * failed query (recorded).
 */
static int
run_changes(PGconn *conn, struct pgw_cache_probe *probe, bool old_ok, const char *xmax32,
			const char *xip32, const struct pgw_strlist *newcats,
			const struct pgw_strlist *diffcats, bool *wide,
			struct pgw_catalog_stats *stats, char *doubt, size_t dsize)
{
	char	   *ks = NULL;
	char	   *oids = NULL;
	char	   *counts = NULL;
	size_t		sorted;
	char		what[160] = "";
	int			nwhat = 0;
	int			rc = 0;

	doubt[0] = '\0';
	if (!old_ok)
		probe->nrels = 0;
	counts_arrays(probe, old_ok ? diffcats : NULL, &ks, &oids, &counts);
	sorted = probe->nrels;
	for (int q = old_ok && newcats->n ? 0 : 1; q < 2 && rc == 0; q++)
	{
		const char *params[3];
		char	   *sql = q == 0 ? new_sql(newcats) : counts_sql(old_ok ? diffcats : NULL);
		PGresult   *res;

		if (!sql)
			continue;			/* no changed catalog keeps counts */
		params[0] = q == 0 ? xmax32 : ks;
		params[1] = q == 0 ? xip32 : oids;
		params[2] = counts;
		res = PQexecParams(conn, sql, q == 0 ? 2 : 3, NULL, params, NULL, NULL, 0);
		free(sql);
		stats->queries++;
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			pgw_error(PGW_ERR_CONNECT, "cannot locate the catalog changes");
			pgw_error_detail("%s", PQresultErrorMessage(res));
			PQclear(res);
			rc = -1;
			break;
		}
		for (int r = 0; r < PQntuples(res); r++)
		{
			char		kind = PQgetvalue(res, r, 0)[0];
			const char *cat = PQgetvalue(res, r, 1);
			uint32_t	rel = (uint32_t) strtoul(PQgetvalue(res, r, 2), NULL, 10);
			const char *relkind = PQgetvalue(res, r, 3);

			if (kind == 'c')
			{
				int			k = atoi(cat);

				counts_set(probe, sorted, k, rel, PQgetisnull(res, r, 4) ? -1 :
						   strtoll(PQgetvalue(res, r, 4), NULL, 10));
				if (k < 0 || (size_t) k >= NCOUNT_BRANCHES || !own_change(count_branches[k].cat))
					*wide = true;
			}
			else if (!own_change(cat) && strcmp(cat, "pg_depend:own") != 0)
				*wide = true;
			if (!old_ok)
				continue;
			if (kind == 'n' && (rel < 16384 || PQgetisnull(res, r, 3)))
			{
				char		item[80];

				snprintf(item, sizeof(item), "a new %s row of no table", cat);
				list_add(what, sizeof(what), &nwhat, item);
			}
			else if (rel < 16384)
				list_add(what, sizeof(what), &nwhat, "a row of no table (a type, a domain constraint, a comment, an extension member)");
			else if (relkind[0] == 'c')
				list_add(what, sizeof(what), &nwhat, "a composite type");
			else if (relation_kind(relkind) || (kind == 'c' && PQgetisnull(res, r, 3)))
				reread_add(probe, rel); /* changed, new, or dropped */
			else
				list_add(what, sizeof(what), &nwhat, "a relation of an unexpected kind");
		}
		PQclear(res);
	}
	free(ks);
	free(oids);
	free(counts);
	if (rc != 0)
		return -1;
	counts_finish(probe);
	list_end(what, sizeof(what), nwhat);
	if (what[0])
		snprintf(doubt, dsize, "%s changed", what);
	return 0;
}

char *
catalog_oid_array(const uint32_t *oids, size_t n)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_append_char(&b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%u", i ? "," : "", oids[i]);
	buf_append_char(&b, '}');
	return buf_steal(&b);
}

/*
 * Adds to probe->reread what depends on the relations in it (their text
 * names them); *doubt as for run_changes.
 */
static int
run_dependents(PGconn *conn, struct pgw_cache_probe *probe, struct pgw_catalog_stats *stats,
			   char *doubt, size_t dsize)
{
	char	   *arr = catalog_oid_array(probe->reread, probe->nreread);
	const char *params[1] = {arr};
	PGresult   *res;
	char		what[160] = "";
	int			nwhat = 0;

	res = PQexecParams(conn, q_dependents, 1, NULL, params, NULL, NULL, 0);
	stats->queries++;
	free(arr);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot read what depends on the changed relations");
		pgw_error_detail("%s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *cat = PQgetvalue(res, r, 0);
		uint32_t	rel = (uint32_t) strtoul(PQgetvalue(res, r, 1), NULL, 10);
		const char *relkind = PQgetvalue(res, r, 2);

		if (relation_kind(relkind) && rel >= 16384)
			reread_add(probe, rel);
		else
		{
			char		item[80];

			snprintf(item, sizeof(item), "a %s object", cat);
			list_add(what, sizeof(what), &nwhat, item);
		}
	}
	PQclear(res);
	list_end(what, sizeof(what), nwhat);
	if (what[0])
		snprintf(doubt, dsize, "%s depends on a changed relation", what);
	return 0;
}

/*
 * Checks the body's hash and loads it into m, quietly: done while the
 * server computes the fingerprint, before it is known whether the model
 * will be used.  Returns 1 loaded, 0 not trusted (checksum; m untouched),
 * -1 not loadable (m may be half filled); *why the message for a note.
 */
static int
load_body(json_t *old, const char *body, size_t len, struct pgw_model *m,
		  const char *path, char *why, size_t wsize)
{
	json_t	   *v = json_object_get(old, "body_sha256");
	char		hex[PGW_SHA256_HEX_LEN + 1];

	why[0] = '\0';
	if (sha256_hex(body, len, hex) != 0 || !json_is_string(v) ||
		strcmp(json_string_value(v), hex) != 0)
	{
		pgw_error_clear();
		snprintf(why, wsize, "its contents are damaged (checksum mismatch)");
		return 0;
	}
	if (snapshot_read_binary(path, body, len, m) != 0)
	{
		snprintf(why, wsize, "%s", pgw_error_last()->message);
		pgw_error_clear();
		return -1;
	}
	return 1;
}

/* The loaded model may be used: true; else notes why and sets the reason. */
static bool
body_usable(struct pgw_cache_probe *probe, int loaded, const char *why,
			struct pgw_catalog_stats *stats)
{
	if (loaded == 1)
		return true;
	out_note("ignoring the cache file %s: %s", probe->path, why);
	set_reason(stats, 0, loaded == 0 ? "the cache file is damaged (checksum mismatch)" :
			   "the cache file's model does not load");
	return false;
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
	json_t	   *oldfps = NULL;
	char	   *keytext;
	char	   *file;
	char	   *data = NULL;
	size_t		len = 0;
	size_t		hlen = 0;
	char		ident[160];
	char		xmin_now[32];
	char		xmax_now[32];
	char	   *xip_now;
	char		old_xmin32[32] = "";
	char		old_xmax32[32] = "";
	char	   *old_xip32 = NULL;
	char		cur_xmin32[32];
	char		cur_xmax32[32];
	char	   *cur_xip32;
	const char *why = NULL;		/* why the old file is not usable */
	bool		old_ok = false;
	const char *params[6];
	bool		sent;
	int			loaded = 0;		/* load_body's result */
	bool		touched = false;	/* m was written to */
	char		lwhy[256] = "";
	struct pgw_strlist newcats = {0};	/* catalogs with new rows */
	struct pgw_strlist diffcats = {0};	/* attributable catalogs that moved */
	char		changed[200] = "";
	char		other[200] = "";
	int			nchanged = 0;
	int			nother = 0;
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
	snprintf(xmin_now, sizeof(xmin_now), "%s", PQgetvalue(res, 0, 3));
	snprintf(xmax_now, sizeof(xmax_now), "%s", PQgetvalue(res, 0, 4));
	xip_now = pgw_strdup(PQgetvalue(res, 0, 5));
	xid32(xmin_now, cur_xmin32, sizeof(cur_xmin32));
	xid32(xmax_now, cur_xmax32, sizeof(cur_xmax32));
	cur_xip32 = xid32_array(xip_now);
	PQclear(res);
	keytext = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(key);

	file = pgw_asprintf("%s.snap", ident);
	probe->path = fs_join(opts->cache_dir, file);
	free(file);
	header = json_object();
	json_object_set_new(header, "format", json_string(CACHE_FORMAT));
	{
		char	   *id = build_id();

		json_object_set_new(header, "pgwarden", json_string(id));
		free(id);
	}
	json_object_set_new(header, "key", json_string(keytext));
	json_object_set_new(header, "xmin", json_string(xmin_now));
	json_object_set_new(header, "xmax", json_string(xmax_now));
	json_object_set_new(header, "xip", json_string(xip_now));
	free(xip_now);

	/* the old file's header first: its snapshot is the fingerprint's reference */
	if (!fs_exists(probe->path))
		why = "no cache for this database yet";
	else if (fs_read_file(probe->path, &data, &len) != 0)
	{
		pgw_error_clear();
		why = "the cache file cannot be read";
	}
	else
	{
		char	   *nl = memchr(data, '\n', len);
		json_error_t jerr;
		json_t	   *v;

		hlen = nl ? (size_t) (nl - data) : 0;
		old = nl ? json_loadb(data, hlen, 0, &jerr) : NULL;
		if (!nl)
		{
			out_note("ignoring the cache file %s: it is not a pgwarden cache", probe->path);
			why = "the cache file is damaged (no header)";
		}
		else if (!old || !json_is_object(old) ||
				 !json_is_string(json_object_get(old, "format")) ||
				 strcmp(json_string_value(json_object_get(old, "format")), CACHE_FORMAT) != 0)
		{
			out_note("ignoring the cache file %s: it is not a %s file", probe->path, CACHE_FORMAT);
			why = "the cache file is damaged or foreign";
		}
		else if (!json_is_string(v = json_object_get(old, "pgwarden")) ||
				 !json_equal(v, json_object_get(header, "pgwarden")))
			why = "the cache was written by another pgwarden build";
		else if (!json_is_string(v = json_object_get(old, "key")) || strcmp(json_string_value(v), keytext) != 0)
			why = "the cache was read with other settings (server version, role, search_path or schema options)";
		else if (!json_is_string(json_object_get(old, "xmin")) || !json_is_string(json_object_get(old, "xmax")) ||
				 !json_is_string(json_object_get(old, "xip")) ||
				 !json_is_object(oldfps = json_object_get(old, "catalogs")) ||
				 !json_is_string(json_object_get(old, "relations")))
		{
			out_note("ignoring the cache file %s: its header is damaged", probe->path);
			why = "the cache file is damaged (header)";
		}
		else
		{
			long long	from = strtoll(json_string_value(json_object_get(old, "xmin")), NULL, 10);
			long long	to = strtoll(xmax_now, NULL, 10);

			if (to < from || to - from > MAX_XID_DISTANCE)
				why = "too many transactions since the cached read to compare transaction IDs";
			else
			{
				old_ok = true;
				xid32(json_string_value(json_object_get(old, "xmin")), old_xmin32, sizeof(old_xmin32));
				xid32(json_string_value(json_object_get(old, "xmax")), old_xmax32, sizeof(old_xmax32));
				old_xip32 = xid32_array(json_string_value(json_object_get(old, "xip")));
			}
		}
	}
	if (!old_ok)
		probe->nrels = 0;

	/*
	 * The fingerprint runs on the server while the cached model is checked
	 * and loaded here: on a hit both are needed, and neither waits for the
	 * other.  A model loaded for nothing is dropped (rc 2: the caller
	 * starts again on a fresh one).
	 */
	sql = fingerprint_sql(m->source.server_version_num);
	params[0] = old_ok ? old_xmax32 : NULL;
	params[1] = old_ok ? old_xip32 : "{}";
	params[2] = old_ok ? old_xmin32 : NULL;
	params[3] = cur_xmax32;
	params[4] = cur_xip32;
	params[5] = cur_xmin32;
	sent = PQsendQueryParams(conn, sql, 6, NULL, params, NULL, NULL, 0) == 1;
	free(sql);
	stats->queries++;
	if (sent && old_ok)
	{
		loaded = load_body(old, data + hlen + 1, len - hlen - 1, m, probe->path, lwhy, sizeof(lwhy));
		touched = loaded != 0;
	}
	res = sent ? PQgetResult(conn) : NULL;
	if (res)
	{
		PGresult   *extra;

		while ((extra = PQgetResult(conn)) != NULL)
			PQclear(extra);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot fingerprint the catalog");
		pgw_error_detail("%s", res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
		PQclear(res);
		rc = -1;
		goto out;
	}
	fps = json_object();
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *name = PQgetvalue(res, r, 0);
		/* what the cached read stored, as this read counts it now */
		json_t	   *seen = json_sprintf("%s/%s/%s", PQgetvalue(res, r, 1), PQgetvalue(res, r, 3),
										PQgetvalue(res, r, 4));
		json_t	   *now = json_sprintf("%s/%s/%s", PQgetvalue(res, r, 1), PQgetvalue(res, r, 3),
									   PQgetvalue(res, r, 5));
		json_t	   *was = oldfps ? json_object_get(oldfps, name) : NULL;
		bool		differ = !was || !json_equal(was, seen) || strcmp(PQgetvalue(res, r, 2), "0") != 0;
		const char *w = json_is_string(was) ? strrchr(json_string_value(was), '/') : NULL;

		json_decref(seen);
		if (strcmp(PQgetvalue(res, r, 2), "0") != 0 && attributable(name))
			strlist_add(&newcats, name);
		if (old_ok && differ)
		{
			/*
			 * More rows in the old window than the cached read counted:
			 * rows of a subtransaction it could not see.  Fewer is an
			 * ordinary delete or update, located like any other.
			 */
			if (!w || strtoll(PQgetvalue(res, r, 4), NULL, 10) > strtoll(w + 1, NULL, 10))
			{
				char		item[96];

				snprintf(item, sizeof(item), "%s (a transaction running during the cached read)", name);
				list_add(other, sizeof(other), &nother, item);
			}
			else if (attributable(name))
			{
				list_add(changed, sizeof(changed), &nchanged, name);
				strlist_add(&diffcats, name);
			}
			else
				list_add(other, sizeof(other), &nother, name);
		}
		json_object_set_new(fps, name, now);
	}
	PQclear(res);
	json_object_set_new(header, "catalogs", fps);
	list_end(changed, sizeof(changed), nchanged);
	list_end(other, sizeof(other), nother);
	probe->ready = true;

	if (old_ok && !nchanged && !nother)
	{
		if (!body_usable(probe, loaded, lwhy, stats))
			old_ok = false;		/* counts below: all of them */
		else
		{
			json_t	   *um = json_object_get(old, "unmatched");
			size_t		i;
			json_t	   *v;

			json_array_foreach(um, i, v)
				if (json_is_string(v))
				strlist_add(&stats->unmatched, json_string_value(v));
			set_reason(stats, 1, "no catalog changed since the cached read");
			rc = 1;
			goto out;
		}
	}
	else if (!old_ok)
		set_reason(stats, 0, "%s", why);
	else if (nother)
	{
		set_reason(stats, 0, "the schema changed (%s%s%s)", other, nchanged ? ", " : "", changed);
		old_ok = false;
	}

	/* the cached counts: parsed only now, a hit never needs them */
	if (old_ok && !counts_parse(probe, json_string_value(json_object_get(old, "relations"))))
	{
		out_note("ignoring the cache file %s: its header is damaged", probe->path);
		set_reason(stats, 0, "the cache file is damaged (header)");
		old_ok = false;
	}

	/* the per-relation counts, and with old_ok the relations to re-read */
	{
		char		doubt[256] = "";
		bool		wide = false;	/* follow pg_depend to what names them */

		for (size_t i = 0; i < diffcats.n; i++)
			if (!own_change(diffcats.items[i]) && strcmp(diffcats.items[i], "pg_depend") != 0)
				wide = true;
		if (run_changes(conn, probe, old_ok, old_xmax32, old_xip32, &newcats, &diffcats, &wide,
						stats, doubt, sizeof(doubt)) != 0)
		{
			rc = -1;
			goto out;
		}
		if (!old_ok)
			goto out;
		if (!doubt[0] && probe->nreread == 0)
			snprintf(doubt, sizeof(doubt), "%s changed in a way no relation shows", changed);
		if (!doubt[0] && wide && run_dependents(conn, probe, stats, doubt, sizeof(doubt)) != 0)
		{
			rc = -1;
			goto out;
		}
		if (!doubt[0] && probe->nreread > 64 && probe->nreread * 4 > probe->nrels)
			snprintf(doubt, sizeof(doubt), "%zu relations changed", probe->nreread);
		if (doubt[0])
		{
			set_reason(stats, 0, "the schema changed (%s): %s", changed, doubt);
			probe->nreread = 0;
			goto out;
		}
		if (!body_usable(probe, loaded, lwhy, stats))
		{
			probe->nreread = 0;
			goto out;
		}
		{
			json_t	   *um = json_object_get(old, "unmatched");
			size_t		i;
			json_t	   *v;

			json_array_foreach(um, i, v)
				if (json_is_string(v))
				strlist_add(&stats->unmatched, json_string_value(v));
		}
		stats->cache_reread = (int) probe->nreread;
		set_reason(stats, 3, "re-read %zu relation%s (%s changed)", probe->nreread,
				   probe->nreread == 1 ? "" : "s", changed);
		rc = 3;
	}
out:
	if (touched && rc != 1 && rc != 3 && rc != -1)
		rc = 2;					/* m holds a model that is not used */
	probe->header = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
	free(keytext);
	free(old_xip32);
	free(cur_xip32);
	strlist_release(&newcats);
	strlist_release(&diffcats);
	json_decref(header);
	json_decref(old);
	free(data);
	if (stats == &dummy)
		catalog_stats_release(&dummy);
	return rc;
}

/* All of data[0..len) to fd; false on an error (errno set). */
static bool
write_all(int fd, const char *data, size_t len)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
		{
			if (w == 0)
				errno = EIO;
			return false;
		}
		done += (size_t) w;
	}
	return true;
}

/*
 * head then body, into a temporary file of its own (mkstemp: 0600, a
 * unique name even for two threads of one process reading the same
 * target), then rename(): a reader sees the old file or the new one.
 */
static int
write_atomic(const char *path, const char *head, size_t hlen, const char *body, size_t blen)
{
	char	   *tmp = pgw_asprintf("%s.tmp.XXXXXX", path);
	int			fd = mkstemp(tmp);
	bool		ok;

	if (fd < 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	ok = write_all(fd, head, hlen) && write_all(fd, body, blen);
	if (!ok || close(fd) != 0 || rename(tmp, path) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		if (!ok)
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
	char	   *hl;
	json_t	   *header;
	json_t	   *um;
	char		hex[PGW_SHA256_HEX_LEN + 1];
	char	   *dir;
	char	   *h;

	if (!probe->ready || m->source.lean)
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
	{
		struct pgw_buf rels;

		buf_init(&rels);
		for (size_t i = 0; i < probe->nrels; i++)
			buf_printf(&rels, "%s%d.%u:%lld", i ? "," : "", probe->rels[i].cat, probe->rels[i].oid,
					   (long long) probe->rels[i].n);
		json_object_set_new(header, "relations", json_string(rels.data ? rels.data : ""));
		buf_release(&rels);
	}
	h = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(header);
	hl = pgw_asprintf("%s\n", h);
	free(h);
	dir = fs_dirname(probe->path);
	/* header and body written apart: no copy of the body */
	if ((fs_is_dir(dir) || fs_mkdir_p(dir, 0700) == 0) &&
		write_atomic(probe->path, hl, strlen(hl), body.data, body.len) == 0)
		out_verbose("cache: wrote %s", probe->path);
	else
	{
		out_note("cannot write the schema cache: %s", pgw_error_last()->message);
		pgw_error_clear();
	}
	free(dir);
	free(hl);
	buf_release(&body);
}

void
catalog_cache_probe_release(struct pgw_cache_probe *probe)
{
	free(probe->path);
	free(probe->header);
	free(probe->rels);
	free(probe->reread);
	memset(probe, 0, sizeof(*probe));
}
