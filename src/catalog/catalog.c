/*
 * catalog.c — the catalog readers: one bulk query per object kind, rows
 * copied into the model (see catalog.h for the contract).
 *
 * Every query below filters system schemas the same way and orders its rows
 * deterministically.  Sub-objects (columns, constraints, indexes, policies,
 * triggers, grants, dependencies) are read for the whole database and hung
 * on their owner through the model's oid map; rows whose owner was not read
 * (an excluded schema, an extension's object) are dropped there, which keeps
 * the queries free of repeated filters.
 *
 * Fault hooks: PGWARDEN_FAULT=catalog:KIND makes that query fail on the
 * server (a division by zero), to prove the error path.
 */
#include <assert.h>
#include <errno.h>
#include <fnmatch.h>
#include <sys/select.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog/cache.h"
#include "catalog/catalog.h"
#include "db/target.h"
#include "out/out.h"
#include "out/progress.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/mem.h"

#define FIRST_NORMAL_OID 16384

/* schemas pgwarden reads: not the system ones */
#define NSP_FILTER(a) a ".nspname <> 'information_schema' AND " a ".nspname !~ '^pg_'"

/*
 * The object is not a member of an extension.  A member's 'e' entry always
 * refers to a pg_extension row: saying so lets the server anti-join against
 * the few entries on extensions (pg_depend_reference_index) instead of every
 * entry of the catalog class — a sixth of the relations query at 5,000
 * tables.
 */
#define NOT_EXT_MEMBER(catalog, oidexpr) \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x " \
	"WHERE x.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass " \
	"AND x.classid = 'pg_catalog." catalog "'::pg_catalog.regclass " \
	"AND x.objid = " oidexpr " AND x.deptype = 'e')"

#define DESCRIPTION_JOIN(catalog, oidexpr, subexpr) \
	"LEFT JOIN pg_catalog.pg_description d ON d.objoid = " oidexpr \
	" AND d.classoid = 'pg_catalog." catalog "'::pg_catalog.regclass AND d.objsubid = " subexpr " "

#define COLLATION_NAME \
	"CASE WHEN con.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname) " \
	"ELSE pg_catalog.quote_ident(con.nspname) || '.' || pg_catalog.quote_ident(co.collname) END"

static const char q_server[] =
"SELECT pg_catalog.current_database(), current_user, "
"pg_catalog.current_setting('server_version'), "
"pg_catalog.current_setting('server_version_num'), "
"pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
"(SELECT pg_catalog.count(*) FROM pg_catalog.pg_class)";

static const char q_schemas[] =
"SELECT n.oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, d.description "
"FROM pg_catalog.pg_namespace n "
DESCRIPTION_JOIN("pg_namespace", "n.oid", "0")
"WHERE " NSP_FILTER("n") " AND " NOT_EXT_MEMBER("pg_namespace", "n.oid") " "
"ORDER BY n.nspname";

static const char q_extensions[] =
"SELECT x.extname, x.extversion, n.nspname "
"FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace "
"ORDER BY x.extname";

static const char q_types[] =
"SELECT t.oid, n.nspname, t.typname, t.typtype, "
"pg_catalog.pg_get_userbyid(t.typowner) AS owner, d.description, "
"CASE WHEN t.typtype = 'e' THEN pg_catalog.to_json(ARRAY(SELECT e.enumlabel "
"  FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)) END AS labels, "
"CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base_type, "
"t.typnotnull, pg_catalog.pg_get_expr(t.typdefaultbin, 0) AS default_expr, "
"CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN " COLLATION_NAME " END AS collation, "
"t.typrelid "
"FROM pg_catalog.pg_type t "
"JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
"LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype "
"LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation "
"LEFT JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace "
"LEFT JOIN pg_catalog.pg_class tc ON tc.oid = t.typrelid "
DESCRIPTION_JOIN("pg_type", "t.oid", "0")
"WHERE " NSP_FILTER("n") " "
"AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND tc.relkind = 'c')) "
"AND " NOT_EXT_MEMBER("pg_type", "t.oid") " "
"ORDER BY n.nspname, t.typname";

static const char q_sequences[] =
"SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner) AS owner, d.description, "
"pg_catalog.format_type(s.seqtypid, NULL) AS data_type, s.seqstart, s.seqincrement, "
"s.seqmin, s.seqmax, s.seqcache, s.seqcycle, "
"tn.nspname AS owned_schema, tc.relname AS owned_table, a.attname AS owned_column "
"FROM pg_catalog.pg_sequence s "
"JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"LEFT JOIN pg_catalog.pg_depend dep ON dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
"  AND dep.objid = c.oid AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass "
"  AND dep.refobjsubid > 0 AND dep.deptype IN ('a', 'i') "
"LEFT JOIN pg_catalog.pg_class tc ON tc.oid = dep.refobjid "
"LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace "
"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid "
DESCRIPTION_JOIN("pg_class", "c.oid", "0")
"WHERE " NSP_FILTER("n") " AND dep.deptype IS DISTINCT FROM 'i' "
"AND " NOT_EXT_MEMBER("pg_class", "c.oid") " "
"ORDER BY n.nspname, c.relname";

#define RELATIONS_HEAD \
"SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, " \
"pg_catalog.pg_get_userbyid(c.relowner) AS owner, d.description, " \
"c.relrowsecurity, c.relforcerowsecurity, " \
"CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key, " \
"pn.nspname AS parent_schema, pc.relname AS parent_name, " \
"CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partition_bound, " \
"CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS definition, " \
"c.relispopulated, pg_catalog.to_json(c.reloptions) AS options, " \
"pg_catalog.has_table_privilege(c.oid, 'SELECT') AS readable, " \
"CASE WHEN c.relkind = 'v' THEN (pg_catalog.pg_relation_is_updatable(c.oid, false) & 20) = 20 END AS updatable"

#define RELATIONS_STATS \
", c.reltuples::pg_catalog.int8 AS estimated_rows, " \
"CASE WHEN c.relkind IN ('r', 'm') THEN pg_catalog.pg_table_size(c.oid) ELSE 0 END AS table_size, " \
"CASE WHEN c.relkind IN ('r', 'm', 'p') THEN pg_catalog.pg_indexes_size(c.oid) ELSE 0 END AS index_size, " \
"CASE WHEN c.reltoastrelid <> 0 THEN pg_catalog.pg_total_relation_size(c.reltoastrelid) ELSE 0 END AS toast_size"

#define RELATIONS_TAIL \
" FROM pg_catalog.pg_class c " \
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " \
"LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid " \
"LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent " \
"LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace " \
DESCRIPTION_JOIN("pg_class", "c.oid", "0") \
"WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND " NSP_FILTER("n") " " \
"AND " NOT_EXT_MEMBER("pg_class", "c.oid") " " \
"ORDER BY n.nspname, c.relname"

static const char q_relations_stable[] = RELATIONS_HEAD RELATIONS_TAIL;
static const char q_relations_stats[] = RELATIONS_HEAD RELATIONS_STATS RELATIONS_TAIL;

/*
 * Column types: format_type() once per distinct (type, typmod) — a schema
 * has tens of thousands of columns but a few hundred distinct types — and
 * the column rows carry the pair.
 */
static const char q_column_types[] =
"SELECT t.atttypid, t.atttypmod, pg_catalog.format_type(t.atttypid, t.atttypmod) "
"FROM (SELECT DISTINCT a.atttypid, a.atttypmod FROM pg_catalog.pg_attribute a "
"  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"  WHERE a.attnum > 0 AND NOT a.attisdropped "
"  AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND " NSP_FILTER("n") ") t "
"ORDER BY 1, 2";

/*
 * A default cannot refer to a column, so it is deparsed without its table
 * (relid 0): the same text, but the server does not open the relation once
 * per default (a third of this query's time).  A generated column's
 * expression does refer to columns and needs the table.
 */
static const char q_columns[] =
"SELECT a.attrelid, a.attnum, a.attname, "
"a.atttypid, a.attnotnull, "
"CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, 0) "
"ELSE pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) END AS default_expr, a.attidentity, a.attgenerated, "
"CASE WHEN co.oid IS NOT NULL THEN " COLLATION_NAME " END AS collation, d.description, a.atttypmod "
"FROM pg_catalog.pg_attribute a "
"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
"LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
"LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation "
"LEFT JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace "
DESCRIPTION_JOIN("pg_class", "a.attrelid", "a.attnum")
"WHERE a.attnum > 0 AND NOT a.attisdropped "
"AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND " NSP_FILTER("n") " "
"ORDER BY a.attrelid, a.attnum";

/*
 * A foreign key that references a partitioned table has one clone per
 * referenced partition on the same referencing table (conparentid set, same
 * conrelid); they are an implementation detail and left out.
 */
static const char q_constraints[] =
"SELECT co.oid, co.conrelid, co.contypid, co.conname, co.contype, "
"pg_catalog.pg_get_constraintdef(co.oid) AS definition, "
"pg_catalog.to_json(co.conkey) AS attnums, co.confrelid, "
"fn.nspname AS ref_schema, fc.relname AS ref_table, pg_catalog.to_json(co.confkey) AS ref_attnums, "
"co.confupdtype, co.confdeltype, co.confmatchtype, co.condeferrable, co.condeferred, co.convalidated, "
"co.coninhcount > 0 OR co.conparentid <> 0 AS inherited, "
"ic.relname AS index_name, d.description "
"FROM pg_catalog.pg_constraint co "
"JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace "
"LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid "
"LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace "
"LEFT JOIN pg_catalog.pg_class ic ON ic.oid = co.conindid AND co.contype IN ('p', 'u', 'x') "
DESCRIPTION_JOIN("pg_constraint", "co.oid", "0")
"WHERE co.contype IN ('p', 'u', 'c', 'x', 'f') AND " NSP_FILTER("n") " "
"AND NOT (co.conparentid <> 0 AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint pco "
"  WHERE pco.oid = co.conparentid AND pco.conrelid = co.conrelid)) "
"ORDER BY co.conrelid, co.contypid, co.conname";

static const char q_indexes[] =
"SELECT i.indexrelid, i.indrelid, ic.relname, am.amname, i.indisunique, i.indisprimary, "
"i.indisexclusion, i.indisvalid, i.indisready, i.indnkeyatts, "
"pg_catalog.to_json(i.indkey::pg_catalog.int2[]) AS attnums, "
"CASE WHEN i.indexprs IS NOT NULL THEN pg_catalog.to_json(ARRAY("
"  SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true) "
"  FROM pg_catalog.generate_series(1, i.indnatts) k)) END AS exprs, "
"pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) AS predicate, "
"pg_catalog.pg_get_indexdef(i.indexrelid) AS definition, "
"co.conname, d.description, pi.relname AS attached_to "
"FROM pg_catalog.pg_index i "
"JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace "
"JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
"LEFT JOIN pg_catalog.pg_constraint co ON co.conindid = i.indexrelid "
"  AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x') "
DESCRIPTION_JOIN("pg_class", "i.indexrelid", "0")
"LEFT JOIN pg_catalog.pg_inherits ih ON ih.inhrelid = i.indexrelid "
"LEFT JOIN pg_catalog.pg_class pi ON pi.oid = ih.inhparent "
"WHERE " NSP_FILTER("n") " "
"ORDER BY i.indrelid, ic.relname";

static const char q_policies[] =
"SELECT p.polrelid, p.polname, p.polcmd, p.polpermissive, "
"pg_catalog.to_json(ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'public' "
"  ELSE pg_catalog.pg_get_userbyid(r.oid) END FROM pg_catalog.unnest(p.polroles) r(oid))) AS roles, "
"pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr, "
"pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr "
"FROM pg_catalog.pg_policy p "
"JOIN pg_catalog.pg_class c ON c.oid = p.polrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"WHERE " NSP_FILTER("n") " "
"ORDER BY p.polrelid, p.polname";

/* Triggers cloned onto partitions from their parent (tgparentid) belong to
 * the parent's definition and are left out, as pg_dump does. */
static const char q_triggers[] =
"SELECT t.tgrelid, t.tgname, t.tgtype, t.tgenabled, pn.nspname AS function_schema, "
"p.proname AS function_name, pg_catalog.pg_get_triggerdef(t.oid) AS definition, "
"t.tgconstraint <> 0 AS is_constraint, pg_catalog.to_json(t.tgattr::pg_catalog.int2[]) AS attnums, "
"d.description "
"FROM pg_catalog.pg_trigger t "
"JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid "
"JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace "
DESCRIPTION_JOIN("pg_trigger", "t.oid", "0")
"WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND " NSP_FILTER("n") " "
"ORDER BY t.tgrelid, t.tgname";

static const char q_functions[] =
"SELECT p.oid, n.nspname, p.proname, "
"pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_args, "
"CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END AS result, "
"p.prokind, l.lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel, "
"pg_catalog.to_json(p.proconfig) AS config, "
"CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) "
/* aggregates: pg_get_functiondef refuses them; the common (normal-kind) shape */
"  ELSE (SELECT 'CREATE OR REPLACE AGGREGATE ' || pg_catalog.quote_ident(n.nspname) || '.' || "
"    pg_catalog.quote_ident(p.proname) || '(' || pg_catalog.pg_get_function_arguments(p.oid) || ') (SFUNC = ' || "
"    a.aggtransfn::pg_catalog.regproc::pg_catalog.text || ', STYPE = ' || pg_catalog.format_type(a.aggtranstype, NULL) || "
"    CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::pg_catalog.regproc::pg_catalog.text ELSE '' END || "
"    CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::pg_catalog.regproc::pg_catalog.text ELSE '' END || "
"    CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || pg_catalog.quote_literal(a.agginitval) ELSE '' END || ')' "
"    FROM pg_catalog.pg_aggregate a WHERE a.aggfnoid = p.oid AND a.aggkind = 'n') END AS definition, "
"pg_catalog.pg_get_userbyid(p.proowner) AS owner, d.description, "
/* only when it says more than the identity arguments (defaults, OUT) */
"NULLIF(pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.pg_get_function_identity_arguments(p.oid)) AS arguments "
"FROM pg_catalog.pg_proc p "
"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
"JOIN pg_catalog.pg_language l ON l.oid = p.prolang "
DESCRIPTION_JOIN("pg_proc", "p.oid", "0")
"WHERE " NSP_FILTER("n") " AND " NOT_EXT_MEMBER("pg_proc", "p.oid") " "
"ORDER BY n.nspname, p.proname, 4";

/*
 * Privileges: the effective ACL (the default one when the column is NULL),
 * exploded, without the owner's own entries — the owner holds everything
 * implicitly, and listing it on every object would drown the grants that
 * matter.  Column ACLs are only ever explicit.
 */
static const char q_privileges[] =
"WITH acl(kind, objoid, subid, owner, acl) AS ("
" SELECT 'n', n.oid, 0, n.nspowner, COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) "
"  FROM pg_catalog.pg_namespace n WHERE " NSP_FILTER("n")
" UNION ALL "
" SELECT 'r', c.oid, 0, c.relowner, COALESCE(c.relacl, pg_catalog.acldefault("
"   CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner)) "
"  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND " NSP_FILTER("n")
" UNION ALL "
" SELECT 'c', a.attrelid, a.attnum, 0, a.attacl "
"  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
"  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"  WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND " NSP_FILTER("n")
" UNION ALL "
" SELECT 'f', p.oid, 0, p.proowner, COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner)) "
"  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
"  WHERE " NSP_FILTER("n")
") "
"SELECT acl.kind, acl.objoid, acl.subid, "
"CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x.grantee) END AS grantee, "
"x.privilege_type, x.is_grantable "
"FROM acl, LATERAL pg_catalog.aclexplode(acl.acl) x "
"WHERE x.grantee <> acl.owner "
"ORDER BY 1, 2, 3, 4, 5";

/*
 * Dependencies between the objects of the model, from pg_depend's normal
 * entries.  A dependency of a sub-object is charged to its owner: a view's
 * rewrite rule, a column default, a trigger, a policy or a table constraint
 * to the relation; a domain constraint to the domain.  Classes: r relation,
 * f function, t type.
 */
static const char q_depends[] =
"SELECT CASE WHEN d.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass, "
"    'pg_catalog.pg_rewrite'::pg_catalog.regclass, 'pg_catalog.pg_attrdef'::pg_catalog.regclass, "
"    'pg_catalog.pg_trigger'::pg_catalog.regclass, 'pg_catalog.pg_policy'::pg_catalog.regclass) THEN 'r' "
"  WHEN d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN "
"    CASE WHEN co.conrelid <> 0 THEN 'r' ELSE 't' END "
"  WHEN d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'f' ELSE 't' END AS objclass, "
"COALESCE(rw.ev_class, ad.adrelid, tg.tgrelid, po.polrelid, NULLIF(co.conrelid, 0), "
"  NULLIF(co.contypid, 0), d.objid) AS objid, "
"CASE WHEN d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'r' "
"  WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'f' ELSE 't' END AS refclass, "
"d.refobjid, rt.typelem, rt.typrelid "
"FROM pg_catalog.pg_depend d "
"LEFT JOIN pg_catalog.pg_rewrite rw ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND rw.oid = d.objid "
"LEFT JOIN pg_catalog.pg_attrdef ad ON d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND ad.oid = d.objid "
"LEFT JOIN pg_catalog.pg_trigger tg ON d.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND tg.oid = d.objid "
"LEFT JOIN pg_catalog.pg_policy po ON d.classid = 'pg_catalog.pg_policy'::pg_catalog.regclass AND po.oid = d.objid "
"LEFT JOIN pg_catalog.pg_constraint co ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND co.oid = d.objid "
"LEFT JOIN pg_catalog.pg_type rt ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND rt.oid = d.refobjid "
"WHERE d.deptype = 'n' AND d.refobjid >= 16384 "
"AND d.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_rewrite'::pg_catalog.regclass, "
"  'pg_catalog.pg_attrdef'::pg_catalog.regclass, 'pg_catalog.pg_trigger'::pg_catalog.regclass, "
"  'pg_catalog.pg_policy'::pg_catalog.regclass, 'pg_catalog.pg_constraint'::pg_catalog.regclass, "
"  'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass) "
"AND d.refclassid IN ('pg_catalog.pg_class'::pg_catalog.regclass, "
"  'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass) "
"ORDER BY 1, 2, 3, 4";

/*
 * Objects that live outside every schema but that migrations create:
 * publications (with their tables and, from PostgreSQL 15, schemas, column
 * lists and row filters), event triggers, and default privileges.
 * Publication rows come in one query: kind 't' (a table) or 's' (a
 * schema), hung on their publication by oid.
 */
static const char q_publications[] =
"SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner) AS owner, p.puballtables, "
"p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot, d.description "
"FROM pg_catalog.pg_publication p "
DESCRIPTION_JOIN("pg_publication", "p.oid", "0")
"ORDER BY p.pubname";

static const char q_publication_members[] =
"SELECT 't' AS kind, pr.prpubid, n.nspname, c.relname, "
"CASE WHEN pr.prattrs IS NOT NULL THEN pg_catalog.to_json(ARRAY(SELECT a.attname "
"  FROM pg_catalog.unnest(pr.prattrs::pg_catalog.int2[]) k(attnum) "
"  JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = k.attnum ORDER BY k.attnum)) END AS columns, "
"pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS where_expr "
"FROM pg_catalog.pg_publication_rel pr "
"JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"UNION ALL "
"SELECT 's', pn.pnpubid, n.nspname, NULL, NULL, NULL "
"FROM pg_catalog.pg_publication_namespace pn "
"JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid "
"ORDER BY 2, 1, 3, 4";

/* before PostgreSQL 15: no column lists, row filters or schemas */
static const char q_publication_members_14[] =
"SELECT 't' AS kind, pr.prpubid, n.nspname, c.relname, NULL AS columns, NULL AS where_expr "
"FROM pg_catalog.pg_publication_rel pr "
"JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"ORDER BY 2, 1, 3, 4";

static const char q_event_triggers[] =
"SELECT e.evtname, e.evtevent, pg_catalog.to_json(e.evttags) AS tags, n.nspname, p.proname, "
"e.evtenabled, pg_catalog.pg_get_userbyid(e.evtowner) AS owner, d.description "
"FROM pg_catalog.pg_event_trigger e "
"JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid "
"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
DESCRIPTION_JOIN("pg_event_trigger", "e.oid", "0")
"WHERE " NOT_EXT_MEMBER("pg_event_trigger", "e.oid") " "
"ORDER BY e.evtname";

/*
 * Default privileges, one row per grant (an entry granting nothing but to
 * its own role still gives one row, grantee NULL: a global entry that
 * takes PUBLIC's EXECUTE away is exactly that).
 */
static const char q_default_acls[] =
"SELECT pg_catalog.pg_get_userbyid(da.defaclrole) AS role, n.nspname, da.defaclobjtype, "
"CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x.grantee) END AS grantee, "
"x.privilege_type, x.is_grantable "
"FROM pg_catalog.pg_default_acl da "
"LEFT JOIN pg_catalog.pg_namespace n ON n.oid = da.defaclnamespace "
"LEFT JOIN LATERAL pg_catalog.aclexplode(da.defaclacl) x ON x.grantee <> da.defaclrole "
"ORDER BY 1, 2 NULLS FIRST, 3, 4, 5";

/*
 * The lean read (catalog_opts.lean, for gen types): the queries above for
 * the kinds the generators need, with the same columns in the same
 * positions — so the same loaders copy them — but NULL where the full read
 * deparses or joins something no generator looks at (owners, comments,
 * reloptions, partition bounds, collations, constraint definitions,
 * function bodies).  CHECK and EXCLUDE constraints are left out, and of
 * the dependencies only those of views (their rewrite rules).
 */
#define RELATIONS_LEAN(definition) \
"SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, " \
"NULL AS owner, NULL AS description, c.relrowsecurity, c.relforcerowsecurity, " \
"NULL AS partition_key, pn.nspname AS parent_schema, pc.relname AS parent_name, " \
"NULL AS partition_bound, " definition " AS definition, " \
"c.relispopulated, NULL AS options, NULL AS readable, " \
"CASE WHEN c.relkind = 'v' THEN (pg_catalog.pg_relation_is_updatable(c.oid, false) & 20) = 20 END AS updatable " \
"FROM pg_catalog.pg_class c " \
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " \
"LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid " \
"LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent " \
"LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace " \
"WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND " NSP_FILTER("n") " " \
"AND " NOT_EXT_MEMBER("pg_class", "c.oid") " " \
"ORDER BY n.nspname, c.relname"

/*
 * Relations: readable is only for --exact (never lean); a view's definition
 * only when asked for (catalog_opts.view_definitions) — deparsing a view
 * opens every relation it reads, which cost more than all the other
 * relation columns together at 5,000 tables.
 */
static const char q_relations_lean[] = RELATIONS_LEAN("NULL");
static const char q_relations_lean_defs[] =
RELATIONS_LEAN("CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END");

/* Types: without owners, comments, domain defaults and collations. */
static const char q_types_lean[] =
"SELECT t.oid, n.nspname, t.typname, t.typtype, NULL AS owner, NULL AS description, "
"CASE WHEN t.typtype = 'e' THEN pg_catalog.to_json(ARRAY(SELECT e.enumlabel "
"  FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)) END AS labels, "
"CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS base_type, "
"t.typnotnull, NULL AS default_expr, NULL AS collation, t.typrelid "
"FROM pg_catalog.pg_type t "
"JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
"WHERE " NSP_FILTER("n") " "
"AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class tc "
"  WHERE tc.oid = t.typrelid AND tc.relkind = 'c'))) "
"AND " NOT_EXT_MEMBER("pg_type", "t.oid") " "
"ORDER BY n.nspname, t.typname";

/*
 * Columns, with their type names: format_type() per row costs less than
 * the second scan of pg_attribute the separate "column types" query makes
 * (the loader keeps one copy per distinct type), so a lean read has no
 * such query.  A default is not deparsed: the generators only ask whether
 * there is one (atthasdef: a default or a generation expression), and the
 * column gets PGW_LEAN_DEFAULT in its place.  No ORDER BY: the loader puts
 * each column in attnum order itself, and sorting 67,000 wide rows (past
 * work_mem, on disk) was a fifth of this query at 5,000 tables.
 */
static const char q_columns_lean[] =
"SELECT a.attrelid, a.attnum, a.attname, "
"a.atttypid, a.attnotnull, "
"CASE WHEN a.atthasdef THEN '" PGW_LEAN_DEFAULT "' END AS default_expr, a.attidentity, a.attgenerated, "
"NULL AS collation, NULL AS description, a.atttypmod, "
"pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_name "
"FROM pg_catalog.pg_attribute a "
"JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
"WHERE a.attnum > 0 AND NOT a.attisdropped "
"AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'c') AND " NSP_FILTER("n");

static const char q_constraints_lean[] =
"SELECT co.oid, co.conrelid, co.contypid, co.conname, co.contype, "
"NULL AS definition, "
"co.conkey AS attnums, co.confrelid, "
"fn.nspname AS ref_schema, fc.relname AS ref_table, co.confkey AS ref_attnums, "
"co.confupdtype, co.confdeltype, co.confmatchtype, co.condeferrable, co.condeferred, co.convalidated, "
"co.coninhcount > 0 OR co.conparentid <> 0 AS inherited, "
"NULL AS index_name, NULL AS description "
"FROM pg_catalog.pg_constraint co "
"JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace "
"LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid "
"LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace "
"WHERE co.contype IN ('p', 'u', 'f') AND " NSP_FILTER("n") " "
"AND NOT (co.conparentid <> 0 AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint pco "
"  WHERE pco.oid = co.conparentid AND pco.conrelid = co.conrelid)) "
"ORDER BY co.conrelid, co.contypid, co.conname";

static const char q_functions_lean[] =
"SELECT p.oid, n.nspname, p.proname, "
"pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_args, "
"CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END AS result, "
"p.prokind, NULL AS lanname, p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel, "
"NULL AS config, NULL AS definition, NULL AS owner, NULL AS description, "
"NULLIF(pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.pg_get_function_identity_arguments(p.oid)) AS arguments "
"FROM pg_catalog.pg_proc p "
"JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
"WHERE " NSP_FILTER("n") " AND " NOT_EXT_MEMBER("pg_proc", "p.oid") " "
"ORDER BY n.nspname, p.proname, 4";

/* the dependencies of views (their _RETURN rules) on relations, functions
 * and types: what the relationships through views are traced by */
static const char q_depends_lean[] =
"SELECT 'r' AS objclass, rw.ev_class AS objid, "
"CASE WHEN d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass THEN 'r' "
"  WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN 'f' ELSE 't' END AS refclass, "
"d.refobjid, rt.typelem, rt.typrelid "
"FROM pg_catalog.pg_depend d "
"JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid "
"LEFT JOIN pg_catalog.pg_type rt ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass AND rt.oid = d.refobjid "
"WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.deptype = 'n' AND d.refobjid >= 16384 "
"AND d.refclassid IN ('pg_catalog.pg_class'::pg_catalog.regclass, "
"  'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_type'::pg_catalog.regclass) "
"ORDER BY 1, 2, 3, 4";

/*
 * Every catalog read runs in one REPEATABLE READ READ ONLY transaction.
 * JIT is off in it: the planner overestimates some catalog joins (the
 * constraints query's is costed past jit_above_cost) and compiling them
 * took longer than running them — a third of that query at 5,000 tables.
 * SET LOCAL takes no snapshot, so SET TRANSACTION SNAPSHOT may follow.
 */
#define BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL jit = off"
static const char q_begin[] = BEGIN_READ;

/* One reader step: its query and the function that copies its rows. */
struct reader
{
	const char *what;			/* for messages and fault hooks */
	const char *sql;
	void		(*load) (struct pgw_model *m, PGresult *res);
	const char *sql_pre15;		/* for servers before 15, when different */
	bool		lean;			/* read by a lean read too */
	const char *sql_lean;		/* its query there, when different */
};

/* ---- row access ---- */

static const char *
val(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static const char *
str(struct pgw_model *m, PGresult *res, int row, int col)
{
	return model_strdup(m, val(res, row, col));
}

static bool
flag(PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);

	return v && v[0] == 't';
}

static int64_t
num(PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);

	return v ? strtoll(v, NULL, 10) : 0;
}

static uint32_t
oidval(PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);

	return v ? (uint32_t) strtoul(v, NULL, 10) : 0;
}

static char
chr(PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);

	return v ? v[0] : 0;
}

/* Column number by name, looked up once per result. */
#define COL(res, name) PQfnumber((res), (name))

/* Appends the strings of a JSON array (to_json of text[]) to v. */
static void
json_strings(struct pgw_model *m, struct pgw_vec *v, const char *json)
{
	json_t	   *arr;
	size_t		i;
	json_t	   *item;

	if (!json)
		return;
	arr = json_loads(json, JSON_DECODE_ANY, NULL);
	if (!json_is_array(arr))
	{
		json_decref(arr);
		return;
	}
	json_array_foreach(arr, i, item)
	{
		if (json_is_string(item))
			model_push(m, v, (void *) model_strdup(m, json_string_value(item)));
	}
	json_decref(arr);
}

/*
 * Attnums from to_json(int2[]), or from an int2[]'s own text form ("{1,2}",
 * what the lean constraints query sends: cheaper on both ends) → positions
 * in *out (caller frees).
 */
static size_t
json_ints(const char *json, int **out)
{
	json_t	   *arr;
	size_t		n = 0;

	*out = NULL;
	if (!json)
		return 0;
	if (json[0] == '{')
	{
		const char *p = json + 1;

		if (*p == '}')
			return 0;
		*out = pgw_calloc(strlen(json) / 2 + 1, sizeof(int));
		while (*p && *p != '}')
		{
			char	   *end;
			long		v = strtol(p, &end, 10);

			if (end == p)
				break;
			(*out)[n++] = (int) v;
			p = *end == ',' ? end + 1 : end;
		}
		return n;
	}
	arr = json_loads(json, JSON_DECODE_ANY, NULL);
	if (json_is_array(arr) && json_array_size(arr) > 0)
	{
		*out = pgw_calloc(json_array_size(arr), sizeof(int));
		for (n = 0; n < json_array_size(arr); n++)
			(*out)[n] = (int) json_integer_value(json_array_get(arr, n));
	}
	json_decref(arr);
	return n;
}

static const char *
column_name_at(const struct pgw_relation *rel, int attnum)
{
	for (size_t i = 0; i < rel->columns.n; i++)
	{
		struct pgw_column *c = rel->columns.items[i];

		if (c->attnum == attnum)
			return c->obj.name;
	}
	return NULL;
}

static void
add_grant(struct pgw_model *m, struct pgw_vec *v, const char *grantee,
		  const char *privilege, bool grantable)
{
	struct pgw_grant *g = arena_alloc(&m->arena, sizeof(*g));

	g->grantee = model_strdup(m, grantee);
	g->privilege = model_strdup(m, privilege);
	g->grantable = grantable;
	model_push(m, v, g);
}

/* ---- loaders, one per query ---- */

static void
load_schemas(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_schema *s = model_new_object(m, sizeof(*s), PGW_KIND_SCHEMA,
												NULL, val(res, r, 1));

		s->obj.oid = oidval(res, r, 0);
		s->obj.schema = s->obj.name;
		s->owner = str(m, res, r, 2);
		s->comment = str(m, res, r, 3);
		model_push(m, &m->schemas, s);
		model_map_put(m, PGW_OC_SCHEMA, s->obj.oid, s);
	}
}

static void
load_extensions(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_extension *e = model_new_object(m, sizeof(*e), PGW_KIND_EXTENSION,
												   val(res, r, 2), val(res, r, 0));

		e->version = str(m, res, r, 1);
		model_push(m, &m->extensions, e);
	}
}

static void
load_types(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		char		tt = chr(res, r, 3);
		enum pgw_kind kind = tt == 'e' ? PGW_KIND_ENUM : tt == 'd' ? PGW_KIND_DOMAIN : PGW_KIND_COMPOSITE;
		struct pgw_type *t = model_new_object(m, sizeof(*t), kind, val(res, r, 1), val(res, r, 2));

		t->obj.oid = oidval(res, r, 0);
		t->owner = str(m, res, r, 4);
		t->comment = str(m, res, r, 5);
		json_strings(m, &t->labels, val(res, r, 6));
		t->base_type = str(m, res, r, 7);
		t->not_null = flag(res, r, 8);
		t->default_expr = str(m, res, r, 9);
		t->collation = str(m, res, r, 10);
		t->relid = oidval(res, r, 11);
		model_push(m, &m->types, t);
		model_map_put(m, PGW_OC_TYPE, t->obj.oid, t);
		if (t->relid)
			model_map_put(m, PGW_OC_RELATION, t->relid, t);
	}
}

static void
load_sequences(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_sequence *s = model_new_object(m, sizeof(*s), PGW_KIND_SEQUENCE,
												  val(res, r, 1), val(res, r, 2));

		s->obj.oid = oidval(res, r, 0);
		s->owner = str(m, res, r, 3);
		s->comment = str(m, res, r, 4);
		s->data_type = str(m, res, r, 5);
		s->start = num(res, r, 6);
		s->increment = num(res, r, 7);
		s->min = num(res, r, 8);
		s->max = num(res, r, 9);
		s->cache = num(res, r, 10);
		s->cycle = flag(res, r, 11);
		s->owned_by_schema = str(m, res, r, 12);
		s->owned_by_table = str(m, res, r, 13);
		s->owned_by_column = str(m, res, r, 14);
		model_push(m, &m->sequences, s);
		model_map_put(m, PGW_OC_RELATION, s->obj.oid, s);
	}
}

/* reloptions that views carry as flags of their own */
static void
relation_options(struct pgw_model *m, struct pgw_relation *rel, const char *json)
{
	struct pgw_vec all = {0};

	json_strings(m, &all, json);
	for (size_t i = 0; i < all.n; i++)
	{
		const char *o = all.items[i];

		if (rel->obj.kind == PGW_KIND_VIEW && strcmp(o, "security_invoker=true") == 0)
			rel->security_invoker = true;
		else if (rel->obj.kind == PGW_KIND_VIEW && strcmp(o, "security_barrier=true") == 0)
			rel->security_barrier = true;
		else if (rel->obj.kind == PGW_KIND_VIEW && strncmp(o, "check_option=", 13) == 0)
			rel->check_option = o + 13;
		else if (rel->obj.kind == PGW_KIND_VIEW &&
				 (strcmp(o, "security_invoker=false") == 0 || strcmp(o, "security_barrier=false") == 0))
			continue;
		else
			model_push(m, &rel->options, (void *) o);
	}
}

static void
load_relations(struct pgw_model *m, PGresult *res)
{
	int			c_est = COL(res, "estimated_rows");
	int			c_tsize = COL(res, "table_size");
	int			c_isize = COL(res, "index_size");
	int			c_toast = COL(res, "toast_size");

	for (int r = 0; r < PQntuples(res); r++)
	{
		char		relkind = chr(res, r, 3);
		bool		view = relkind == 'v' || relkind == 'm';
		struct pgw_relation *rel = model_new_object(m, sizeof(*rel),
													view ? PGW_KIND_VIEW : PGW_KIND_TABLE,
													val(res, r, 1), val(res, r, 2));

		rel->obj.oid = oidval(res, r, 0);
		rel->relkind = relkind;
		rel->unlogged = chr(res, r, 4) == 'u';
		rel->owner = str(m, res, r, 5);
		rel->comment = str(m, res, r, 6);
		rel->rls_enabled = flag(res, r, 7);
		rel->rls_forced = flag(res, r, 8);
		rel->partition_key = str(m, res, r, 9);
		rel->parent_schema = str(m, res, r, 10);
		rel->parent_name = str(m, res, r, 11);
		rel->partition_bound = str(m, res, r, 12);
		rel->definition = str(m, res, r, 13);
		rel->populated = relkind == 'm' ? flag(res, r, 14) : false;
		relation_options(m, rel, val(res, r, 15));
		rel->readable = flag(res, r, 16);
		rel->updatable = flag(res, r, 17);
		if (c_est >= 0)
		{
			int64_t		tsize = num(res, r, c_tsize);

			rel->has_stats = true;
			rel->estimated_rows = num(res, r, c_est);
			rel->toast_bytes = num(res, r, c_toast);
			rel->table_bytes = tsize - rel->toast_bytes;
			if (rel->table_bytes < 0)
				rel->table_bytes = 0;
			rel->index_bytes = num(res, r, c_isize);
			rel->total_bytes = tsize + rel->index_bytes;
		}
		if (rel->parent_name)
			model_add_dep(m, &rel->obj, PGW_KIND_TABLE, rel->parent_schema, rel->parent_name);
		model_push(m, &m->relations, rel);
		model_map_put(m, PGW_OC_RELATION, rel->obj.oid, rel);
	}
}

/* The relation with this oid, or NULL (composite types answer too: check
 * the kind). */
static struct pgw_relation *
relation_of(struct pgw_model *m, uint32_t oid)
{
	struct pgw_object *o = model_map_get(m, PGW_OC_RELATION, oid);

	if (o && (o->kind == PGW_KIND_TABLE || o->kind == PGW_KIND_VIEW))
		return (struct pgw_relation *) o;
	return NULL;
}

/*
 * Columns.  Their type names come from "column types" (read first), or,
 * from a lean read, in the row itself (type_name), kept once per distinct
 * (type, typmod) in the same map.
 */
static void
load_columns(struct pgw_model *m, PGresult *res)
{
	int			c_tname = COL(res, "type_name");

	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_object *owner = model_map_get(m, PGW_OC_RELATION, oidval(res, r, 0));
		struct pgw_vec *cols;
		struct pgw_column *c;
		char		gen;

		if (!owner)
			continue;
		if (owner->kind == PGW_KIND_COMPOSITE)
			cols = &((struct pgw_type *) owner)->attributes;
		else if (owner->kind == PGW_KIND_TABLE || owner->kind == PGW_KIND_VIEW)
			cols = &((struct pgw_relation *) owner)->columns;
		else
			continue;
		c = model_new_object(m, sizeof(*c), PGW_KIND_COLUMN, NULL, val(res, r, 2));
		c->obj.schema = owner->schema;
		c->attnum = (int) num(res, r, 1);
		c->type = model_type_name_get(m, oidval(res, r, 3), (int32_t) num(res, r, 10));
		if (!c->type && c_tname >= 0 && val(res, r, c_tname))
		{
			model_type_name_put(m, oidval(res, r, 3), (int32_t) num(res, r, 10), val(res, r, c_tname));
			c->type = model_type_name_get(m, oidval(res, r, 3), (int32_t) num(res, r, 10));
		}
		if (!c->type)
			c->type = "?";
		c->not_null = flag(res, r, 4);
		c->default_expr = str(m, res, r, 5);
		c->identity = chr(res, r, 6);
		gen = chr(res, r, 7);
		c->generated = gen == 's';
		c->collation = str(m, res, r, 8);
		c->comment = str(m, res, r, 9);
		model_push(m, cols, c);
		/* in attnum order: rows of a lean read come in storage order */
		for (size_t k = cols->n - 1;
			 k > 0 && ((struct pgw_column *) cols->items[k - 1])->attnum > c->attnum; k--)
		{
			cols->items[k] = cols->items[k - 1];
			cols->items[k - 1] = c;
		}
	}
}

/* Column names for attnums of a relation read earlier (columns come first). */
static void
attnum_names(struct pgw_model *m, struct pgw_vec *out, struct pgw_relation *rel, const char *json)
{
	int		   *attnums;
	size_t		n = json_ints(json, &attnums);

	for (size_t k = 0; k < n && rel; k++)
	{
		const char *col = column_name_at(rel, attnums[k]);

		model_push(m, out, (void *) (col ? col : "?"));
	}
	free(attnums);
}

static void
load_column_types(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
		model_type_name_put(m, oidval(res, r, 0), (int32_t) num(res, r, 1), val(res, r, 2));
}

static void
load_constraints(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		uint32_t	relid = oidval(res, r, 1);
		uint32_t	typid = oidval(res, r, 2);
		struct pgw_relation *rel = relid ? relation_of(m, relid) : NULL;
		struct pgw_type *dom = typid ? model_map_get(m, PGW_OC_TYPE, typid) : NULL;
		struct pgw_constraint *c;

		if (!rel && !dom)
			continue;
		c = model_new_object(m, sizeof(*c), PGW_KIND_CONSTRAINT,
							 rel ? rel->obj.schema : dom->obj.schema, val(res, r, 3));
		c->obj.oid = oidval(res, r, 0);
		c->type = chr(res, r, 4);
		c->definition = str(m, res, r, 5);
		attnum_names(m, &c->columns, rel, val(res, r, 6));
		if (c->type == PGW_CON_FOREIGN)
		{
			c->ref_schema = str(m, res, r, 8);
			c->ref_table = str(m, res, r, 9);
			attnum_names(m, &c->ref_columns, relation_of(m, oidval(res, r, 7)), val(res, r, 10));
			c->on_update = chr(res, r, 11);
			c->on_delete = chr(res, r, 12);
			c->match = chr(res, r, 13);
		}
		c->deferrable = flag(res, r, 14);
		c->deferred = flag(res, r, 15);
		c->validated = flag(res, r, 16);
		c->inherited = flag(res, r, 17);
		c->index = str(m, res, r, 18);
		c->comment = str(m, res, r, 19);
		model_push(m, rel ? &rel->constraints : &dom->constraints, c);
	}
}

static void
load_indexes(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_relation *rel = relation_of(m, oidval(res, r, 1));
		struct pgw_index *ix;
		struct pgw_vec exprs = {0};
		int		   *attnums;
		size_t		natts;
		int			nkey;

		if (!rel)
			continue;
		ix = model_new_object(m, sizeof(*ix), PGW_KIND_INDEX, rel->obj.schema, val(res, r, 2));
		ix->obj.oid = oidval(res, r, 0);
		ix->method = str(m, res, r, 3);
		ix->unique = flag(res, r, 4);
		ix->primary = flag(res, r, 5);
		ix->exclusion = flag(res, r, 6);
		ix->valid = flag(res, r, 7);
		ix->ready = flag(res, r, 8);
		nkey = (int) num(res, r, 9);
		natts = json_ints(val(res, r, 10), &attnums);
		json_strings(m, &exprs, val(res, r, 11));
		for (size_t k = 0; k < natts; k++)
		{
			const char *key;

			if (exprs.n == natts)
				key = exprs.items[k];
			else
				key = column_name_at(rel, attnums[k]);
			if (!key)
				key = "?";
			model_push(m, (int) k < nkey ? &ix->keys : &ix->include, (void *) key);
		}
		free(attnums);
		ix->predicate = str(m, res, r, 12);
		ix->definition = str(m, res, r, 13);
		ix->constraint = str(m, res, r, 14);
		ix->comment = str(m, res, r, 15);
		ix->parent = str(m, res, r, 16);
		model_push(m, &rel->indexes, ix);
		model_map_put(m, PGW_OC_RELATION, ix->obj.oid, ix);
	}
}

static void
load_policies(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_relation *rel = relation_of(m, oidval(res, r, 0));
		struct pgw_policy *p;

		if (!rel)
			continue;
		p = model_new_object(m, sizeof(*p), PGW_KIND_POLICY, rel->obj.schema, val(res, r, 1));
		p->command = chr(res, r, 2);
		p->permissive = flag(res, r, 3);
		json_strings(m, &p->roles, val(res, r, 4));
		p->using_expr = str(m, res, r, 5);
		p->check_expr = str(m, res, r, 6);
		model_push(m, &rel->policies, p);
	}
}

/*
 * The WHEN condition of a trigger, cut from pg_get_triggerdef(): the text
 * between "FOR EACH ROW|STATEMENT WHEN (" and the last ") EXECUTE ".  The
 * catalog's tgqual cannot be deparsed on its own (it refers to OLD and NEW).
 */
static const char *
trigger_when(struct pgw_model *m, const char *def)
{
	const char *start = NULL;
	const char *end = NULL;
	const char *p;
	static const char *const heads[] = {"FOR EACH ROW WHEN (", "FOR EACH STATEMENT WHEN ("};

	if (!def)
		return NULL;
	for (int i = 0; i < 2 && !start; i++)
	{
		p = strstr(def, heads[i]);
		if (p)
			start = p + strlen(heads[i]);
	}
	if (!start)
		return NULL;
	for (p = strstr(start, ") EXECUTE "); p; p = strstr(p + 1, ") EXECUTE "))
		end = p;
	if (!end || end < start)
		return NULL;
	{
		char	   *s = arena_alloc(&m->arena, (size_t) (end - start) + 1);

		memcpy(s, start, (size_t) (end - start));
		return s;
	}
}

static void
load_triggers(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_relation *rel = relation_of(m, oidval(res, r, 0));
		struct pgw_trigger *t;
		int			type;
		int		   *attnums;
		size_t		n;

		if (!rel)
			continue;
		t = model_new_object(m, sizeof(*t), PGW_KIND_TRIGGER, rel->obj.schema, val(res, r, 1));
		type = (int) num(res, r, 2);
		/* tgtype bits, from PostgreSQL's catalog/pg_trigger.h */
		t->row_level = (type & 1) != 0;
		t->timing = (type & 64) ? "INSTEAD OF" : (type & 2) ? "BEFORE" : "AFTER";
		if (type & 4)
			model_push(m, &t->events, "INSERT");
		if (type & 16)
			model_push(m, &t->events, "UPDATE");
		if (type & 8)
			model_push(m, &t->events, "DELETE");
		if (type & 32)
			model_push(m, &t->events, "TRUNCATE");
		t->enabled = chr(res, r, 3);
		t->function_schema = str(m, res, r, 4);
		t->function_name = str(m, res, r, 5);
		t->definition = str(m, res, r, 6);
		t->when_expr = trigger_when(m, t->definition);
		t->is_constraint = flag(res, r, 7);
		n = json_ints(val(res, r, 8), &attnums);
		for (size_t k = 0; k < n; k++)
		{
			const char *col = column_name_at(rel, attnums[k]);

			if (col)
				model_push(m, &t->columns, (void *) col);
		}
		free(attnums);
		t->comment = str(m, res, r, 9);
		model_push(m, &rel->triggers, t);
	}
}

static void
load_functions(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_function *f = model_new_object(m, sizeof(*f), PGW_KIND_FUNCTION,
												  val(res, r, 1), val(res, r, 2));

		f->obj.oid = oidval(res, r, 0);
		f->identity_args = str(m, res, r, 3);
		f->result = str(m, res, r, 4);
		f->prokind = chr(res, r, 5);
		f->language = str(m, res, r, 6);
		f->volatility = chr(res, r, 7);
		f->strict = flag(res, r, 8);
		f->security_definer = flag(res, r, 9);
		f->leakproof = flag(res, r, 10);
		f->parallel = chr(res, r, 11);
		json_strings(m, &f->config, val(res, r, 12));
		f->definition = str(m, res, r, 13);
		f->owner = str(m, res, r, 14);
		f->comment = str(m, res, r, 15);
		f->arguments = str(m, res, r, 16);
		model_push(m, &m->functions, f);
		model_map_put(m, PGW_OC_FUNCTION, f->obj.oid, f);
	}
}

static void
load_privileges(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		char		kind = chr(res, r, 0);
		uint32_t	oid = oidval(res, r, 1);
		const char *grantee = val(res, r, 3);
		const char *priv = val(res, r, 4);
		bool		grantable = flag(res, r, 5);
		struct pgw_vec *v = NULL;

		if (kind == 'n')
		{
			struct pgw_schema *s = model_map_get(m, PGW_OC_SCHEMA, oid);

			v = s ? &s->grants : NULL;
		}
		else if (kind == 'r' || kind == 'c')
		{
			struct pgw_object *o = model_map_get(m, PGW_OC_RELATION, oid);

			if (o && o->kind == PGW_KIND_SEQUENCE && kind == 'r')
				v = &((struct pgw_sequence *) o)->grants;
			else if (o && (o->kind == PGW_KIND_TABLE || o->kind == PGW_KIND_VIEW))
			{
				struct pgw_relation *rel = (struct pgw_relation *) o;

				if (kind == 'r')
					v = &rel->grants;
				else
				{
					int			attnum = (int) num(res, r, 2);

					for (size_t i = 0; i < rel->columns.n && !v; i++)
					{
						struct pgw_column *c = rel->columns.items[i];

						if (c->attnum == attnum)
							v = &c->grants;
					}
				}
			}
		}
		else if (kind == 'f')
		{
			struct pgw_function *f = model_map_get(m, PGW_OC_FUNCTION, oid);

			v = f ? &f->grants : NULL;
		}
		if (v && grantee && priv)
			add_grant(m, v, grantee, priv, grantable);
	}
}

/* The model object an oid of class r/f/t stands for, as a reference. */
static struct pgw_object *
depend_target(struct pgw_model *m, char cls, uint32_t oid, uint32_t typelem, uint32_t typrelid)
{
	struct pgw_object *o = NULL;

	if (cls == 'r')
		o = model_map_get(m, PGW_OC_RELATION, oid);
	else if (cls == 'f')
		o = model_map_get(m, PGW_OC_FUNCTION, oid);
	else
	{
		o = model_map_get(m, PGW_OC_TYPE, oid);
		if (!o && typelem)
			o = model_map_get(m, PGW_OC_TYPE, typelem);
		if (!o && typrelid)
			o = model_map_get(m, PGW_OC_RELATION, typrelid);
	}
	if (o && o->kind == PGW_KIND_INDEX)
		return NULL;
	return o;
}

static void
load_depends(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_object *obj = depend_target(m, chr(res, r, 0), oidval(res, r, 1), 0, 0);
		struct pgw_object *ref = depend_target(m, chr(res, r, 2), oidval(res, r, 3),
											   oidval(res, r, 4), oidval(res, r, 5));
		const char *name;

		if (!obj || !ref || obj == ref)
			continue;
		if (obj->kind == PGW_KIND_INDEX || obj->kind == PGW_KIND_SEQUENCE)
			continue;
		name = ref->name;
		if (ref->kind == PGW_KIND_FUNCTION)
			name = model_function_signature(m, (struct pgw_function *) ref);
		model_add_dep(m, obj, ref->kind, ref->schema, name);
	}
}

static void
load_publications(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_publication *p = model_new_object(m, sizeof(*p), PGW_KIND_PUBLICATION,
													 NULL, val(res, r, 1));

		p->obj.oid = oidval(res, r, 0);
		p->obj.managed = true;
		p->owner = str(m, res, r, 2);
		p->all_tables = flag(res, r, 3);
		if (flag(res, r, 4))
			model_push(m, &p->publish, "insert");
		if (flag(res, r, 5))
			model_push(m, &p->publish, "update");
		if (flag(res, r, 6))
			model_push(m, &p->publish, "delete");
		if (flag(res, r, 7))
			model_push(m, &p->publish, "truncate");
		p->via_root = flag(res, r, 8);
		p->comment = str(m, res, r, 9);
		model_push(m, &m->publications, p);
	}
}

/* Publications are few: a linear search by oid. */
static void
load_publication_members(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		uint32_t	oid = oidval(res, r, 1);
		struct pgw_publication *p = NULL;

		for (size_t i = 0; i < m->publications.n && !p; i++)
			if (((struct pgw_publication *) m->publications.items[i])->obj.oid == oid)
				p = m->publications.items[i];
		if (!p)
			continue;
		if (chr(res, r, 0) == 's')
			model_push(m, &p->schemas, (void *) str(m, res, r, 2));
		else
		{
			struct pgw_publication_table *t = arena_alloc(&m->arena, sizeof(*t));

			memset(t, 0, sizeof(*t));
			t->schema = str(m, res, r, 2);
			t->name = str(m, res, r, 3);
			json_strings(m, &t->columns, val(res, r, 4));
			t->where_expr = str(m, res, r, 5);
			model_push(m, &p->tables, t);
			model_add_dep(m, &p->obj, PGW_KIND_TABLE, t->schema, t->name);
		}
	}
}

static void
load_event_triggers(struct pgw_model *m, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_event_trigger *e = model_new_object(m, sizeof(*e), PGW_KIND_EVENT_TRIGGER,
													   NULL, val(res, r, 0));

		e->event = str(m, res, r, 1);
		json_strings(m, &e->tags, val(res, r, 2));
		e->function_schema = str(m, res, r, 3);
		e->function_name = str(m, res, r, 4);
		e->enabled = chr(res, r, 5);
		e->owner = str(m, res, r, 6);
		e->comment = str(m, res, r, 7);
		model_push(m, &m->event_triggers, e);
	}
}

static void
load_default_acls(struct pgw_model *m, PGresult *res)
{
	struct pgw_default_acl *cur = NULL;

	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *role = val(res, r, 0);
		const char *schema = val(res, r, 1);
		char		type = chr(res, r, 2);

		if (!cur || strcmp(cur->obj.name, role) != 0 || cur->objtype != type ||
			(cur->obj.schema == NULL) != (schema == NULL) ||
			(schema && strcmp(cur->obj.schema, schema) != 0))
		{
			cur = model_new_object(m, sizeof(*cur), PGW_KIND_DEFAULT_ACL, schema, role);
			cur->objtype = type;
			model_push(m, &m->default_acls, cur);
		}
		if (val(res, r, 3) && val(res, r, 4))
			add_grant(m, &cur->grants, val(res, r, 3), val(res, r, 4), flag(res, r, 5));
	}
}

static const struct reader readers[] = {
	{"schemas", q_schemas, load_schemas, NULL, true, NULL},
	{"extensions", q_extensions, load_extensions, NULL, false, NULL},
	{"types", q_types, load_types, NULL, true, q_types_lean},
	{"sequences", q_sequences, load_sequences, NULL, false, NULL},
	{"relations", NULL, load_relations, NULL, true, q_relations_lean},	/* stable or with statistics */
	{"column types", q_column_types, load_column_types, NULL, false, NULL},	/* lean: in columns */
	{"columns", q_columns, load_columns, NULL, true, q_columns_lean},
	{"constraints", q_constraints, load_constraints, NULL, true, q_constraints_lean},
	{"indexes", q_indexes, load_indexes, NULL, false, NULL},
	{"policies", q_policies, load_policies, NULL, false, NULL},
	{"triggers", q_triggers, load_triggers, NULL, false, NULL},
	{"functions", q_functions, load_functions, NULL, true, q_functions_lean},
	{"privileges", q_privileges, load_privileges, NULL, false, NULL},
	{"dependencies", q_depends, load_depends, NULL, true, q_depends_lean},
	{"publications", q_publications, load_publications, NULL, false, NULL},
	{"publication tables", q_publication_members, load_publication_members, q_publication_members_14, false, NULL},
	{"event triggers", q_event_triggers, load_event_triggers, NULL, false, NULL},
	{"default privileges", q_default_acls, load_default_acls, NULL, false, NULL},
};

/*
 * The query a reader sends; NULL when a lean read skips it.  view_defs: a
 * lean read that deparses view definitions (catalog_opts.view_definitions).
 */
static const char *
reader_sql(const struct reader *rd, bool stable, bool lean, bool view_defs, int server_version_num)
{
	if (lean && !rd->lean)
		return NULL;
	if (lean && view_defs && rd->sql_lean == q_relations_lean)
		return q_relations_lean_defs;
	if (lean && rd->sql_lean)
		return rd->sql_lean;
	if (rd->sql_pre15 && server_version_num > 0 && server_version_num < 150000)
		return rd->sql_pre15;
	if (rd->sql)
		return rd->sql;
	return stable ? q_relations_stable : q_relations_stats;
}

char *
catalog_script(bool stable, bool lean)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_printf(&b, "%s;\n%s;\n", q_begin, q_server);
	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++)
	{
		const char *sql = reader_sql(&readers[i], stable || lean, lean, false, 0);

		if (sql)
			buf_printf(&b, "%s;\n", sql);
	}
	buf_append(&b, "COMMIT;\n");
	return buf_steal(&b);
}

bool
catalog_pattern_match(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, 0) == 0;
}

/* ---- running ---- */

/*
 * The SQL to send for a catalog step: its own, or — when PGWARDEN_FAULT
 * names "catalog:WHAT" — one that fails on the server.
 */
static const char *
step_sql(const char *what, const char *sql)
{
	char		hook[64];

	snprintf(hook, sizeof(hook), "catalog:%s", what);
	return fault_active(hook) ? "SELECT 1 / 0" : sql;
}

static void
record_query_error(PGconn *conn, PGresult *res, const char *what)
{
	const char *msg = res ? PQresultErrorMessage(res) : "";

	pgw_error(PGW_ERR_CONNECT, "cannot read %s from the catalog", what);
	pgw_error_detail("%s", msg[0] ? msg : PQerrorMessage(conn));
	if (res && PQresultErrorField(res, PG_DIAG_SQLSTATE))
		pgw_error_sqlstate(PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

static PGresult *
run(PGconn *conn, const char *what, const char *sql, ExecStatusType want,
	struct pgw_catalog_stats *stats)
{
	PGresult   *res = PQexec(conn, step_sql(what, sql));

	if (stats)
		stats->queries++;
	if (PQresultStatus(res) != want)
	{
		record_query_error(conn, res, what);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Marks schemas (and everything in them) managed or not; drops excluded ones. */
static void
apply_schema_rules(struct pgw_model *m, const struct pgw_catalog_opts *opts,
				   struct pgw_catalog_stats *stats)
{
	const struct pgw_strlist *inc = opts->include && opts->include->n ? opts->include : opts->managed;
	bool	   *used = pgw_calloc(inc && inc->n ? inc->n : 1, sizeof(bool));
	size_t		keep = 0;

	for (size_t i = 0; i < m->schemas.n; i++)
	{
		struct pgw_schema *s = m->schemas.items[i];
		bool		excluded = false;

		for (size_t k = 0; opts->exclude && k < opts->exclude->n; k++)
			if (catalog_pattern_match(opts->exclude->items[k], s->obj.name))
				excluded = true;
		if (excluded)
			continue;
		s->obj.managed = false;
		for (size_t k = 0; inc && k < inc->n; k++)
			if (catalog_pattern_match(inc->items[k], s->obj.name))
			{
				s->obj.managed = true;
				used[k] = true;
			}
		m->schemas.items[keep++] = s;
	}
	m->schemas.n = keep;
	for (size_t k = 0; stats && inc && k < inc->n; k++)
		if (!used[k])
			strlist_add(&stats->unmatched, inc->items[k]);
	free(used);
}

static bool
schema_kept(const struct pgw_model *m, const char *name, bool *managed)
{
	for (size_t i = 0; i < m->schemas.n; i++)
	{
		struct pgw_schema *s = m->schemas.items[i];

		if (strcmp(s->obj.name, name) == 0)
		{
			*managed = s->obj.managed;
			return true;
		}
	}
	return false;
}

/* Drops the objects of excluded schemas from a top-level list and sets the
 * managed flag of the rest (sub-objects inherit their owner's). */
static void
filter_list(struct pgw_model *m, struct pgw_vec *v)
{
	size_t		keep = 0;

	for (size_t i = 0; i < v->n; i++)
	{
		struct pgw_object *o = v->items[i];
		bool		managed;

		if (!schema_kept(m, o->schema, &managed))
			continue;
		o->managed = managed;
		if (o->kind == PGW_KIND_TABLE || o->kind == PGW_KIND_VIEW)
		{
			struct pgw_relation *rel = (struct pgw_relation *) o;
			struct pgw_vec *subs[] = {&rel->columns, &rel->constraints, &rel->indexes,
			&rel->policies, &rel->triggers};

			for (size_t s = 0; s < sizeof(subs) / sizeof(subs[0]); s++)
				for (size_t j = 0; j < subs[s]->n; j++)
					((struct pgw_object *) subs[s]->items[j])->managed = managed;
		}
		v->items[keep++] = o;
	}
	v->n = keep;
}

/*
 * Database-wide objects: an event trigger is the app's when its function
 * is in a managed schema (else context, e.g. a platform's own); default
 * privileges follow their schema (dropped with an excluded one), global
 * ones are managed.  Publications stay managed (see model.h).
 */
static void
filter_database_objects(struct pgw_model *m)
{
	size_t		keep = 0;

	for (size_t i = 0; i < m->event_triggers.n; i++)
	{
		struct pgw_event_trigger *e = m->event_triggers.items[i];
		bool		managed = false;

		e->obj.managed = schema_kept(m, e->function_schema, &managed) && managed;
	}
	for (size_t i = 0; i < m->default_acls.n; i++)
	{
		struct pgw_default_acl *d = m->default_acls.items[i];
		bool		managed = true;

		if (d->obj.schema && !schema_kept(m, d->obj.schema, &managed))
			continue;
		d->obj.managed = managed;
		m->default_acls.items[keep++] = d;
	}
	m->default_acls.n = keep;
}

/*
 * --exact: row counts and tenant coverage, one pass per table, batched into
 * a few statements (UNION ALL of one aggregate per table).  Partitioned
 * tables get the sum of their partitions instead of a second scan.
 */
static int
count_rows(PGconn *conn, struct pgw_model *m, const struct pgw_catalog_opts *opts,
		   struct pgw_catalog_stats *stats)
{
	enum
	{
		BATCH = 200
	};
	struct pgw_vec leaves = {0};
	struct pgw_progress prog;
	size_t		done = 0;
	int			rc = 0;

	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *rel = m->relations.items[i];

		if (rel->relkind != 'r' && rel->relkind != 'p')
			continue;
		rel->has_tenant = opts->tenant_column && *opts->tenant_column &&
			model_find_column(rel, opts->tenant_column) != NULL;
		if (!rel->readable)
		{
			if (stats)
			{
				char	   *n = pgw_asprintf("%s.%s", rel->obj.schema, rel->obj.name);

				strlist_add(&stats->unreadable, n);
				free(n);
			}
			continue;
		}
		if (rel->relkind == 'r')
			model_push(m, &leaves, rel);
	}
	progress_start(&prog, "counting rows", leaves.n);
	while (done < leaves.n && rc == 0)
	{
		struct pgw_buf sql;
		size_t		end = done + BATCH < leaves.n ? done + BATCH : leaves.n;
		PGresult   *res;

		buf_init(&sql);
		for (size_t i = done; i < end; i++)
		{
			struct pgw_relation *rel = leaves.items[i];
			char	   *sch = PQescapeIdentifier(conn, rel->obj.schema, strlen(rel->obj.schema));
			char	   *tab = PQescapeIdentifier(conn, rel->obj.name, strlen(rel->obj.name));
			char	   *col = rel->has_tenant ?
				PQescapeIdentifier(conn, opts->tenant_column, strlen(opts->tenant_column)) : NULL;

			buf_printf(&sql, "%sSELECT %zu, pg_catalog.count(*), %s%s%s FROM ONLY %s.%s",
					   i > done ? " UNION ALL " : "", i,
					   col ? "pg_catalog.count(" : "NULL::pg_catalog.int8",
					   col ? col : "", col ? ")" : "", sch, tab);
			PQfreemem(sch);
			PQfreemem(tab);
			if (col)
				PQfreemem(col);
		}
		res = run(conn, "row counts", sql.data, PGRES_TUPLES_OK, stats);
		buf_release(&sql);
		if (!res)
		{
			rc = -1;
			break;
		}
		for (int r = 0; r < PQntuples(res); r++)
		{
			struct pgw_relation *rel = leaves.items[strtoul(PQgetvalue(res, r, 0), NULL, 10)];

			rel->has_exact = true;
			rel->exact_rows = num(res, r, 1);
			rel->tenant_rows = rel->has_tenant ? num(res, r, 2) : 0;
		}
		PQclear(res);
		done = end;
		progress_update(&prog, done);
	}
	progress_finish(&prog);

	/* partitioned tables: sum of their readable partitions, deepest first */
	for (int pass = 0; rc == 0 && pass < 8; pass++)
	{
		bool		changed = false;

		for (size_t i = 0; i < m->relations.n; i++)
		{
			struct pgw_relation *p = m->relations.items[i];
			int64_t		rows = 0;
			int64_t		tenant = 0;
			bool		complete = true;

			if (p->relkind != 'p' || p->has_exact || !p->readable)
				continue;
			for (size_t j = 0; j < m->relations.n; j++)
			{
				struct pgw_relation *c = m->relations.items[j];

				if (!c->parent_name || strcmp(c->parent_name, p->obj.name) != 0 ||
					strcmp(c->parent_schema, p->obj.schema) != 0)
					continue;
				if (!c->has_exact)
					complete = false;
				rows += c->exact_rows;
				tenant += c->tenant_rows;
			}
			if (complete)
			{
				p->has_exact = true;
				p->exact_rows = rows;
				p->tenant_rows = p->has_tenant ? tenant : 0;
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	return rc;
}

/*
 * Which reader to send first when several connections are free: the most
 * expensive first (longest-processing-time scheduling), from timings at
 * 5,000 tables (bench/inspect --per-query).  Indexes into readers[].
 */
static const int cost_order[] = {8, 6, 7, 13, 12, 9, 4, 5, 3, 2, 10, 11, 0, 1, 14, 15, 16, 17};

#define NREADERS (sizeof(readers) / sizeof(readers[0]))
_Static_assert(sizeof(cost_order) / sizeof(cost_order[0]) == NREADERS,
			   "cost_order must list every reader once");

/*
 * A lean read: the columns (the one query that outweighs the others) on
 * one connection, the rest in load order on the other, so the client loads
 * schemas, types and relations while the server still reads columns and
 * constraints, instead of loading everything at the end.
 */
static const int lean_order[] = {6, 0, 2, 4, 7, 11, 13, 1, 3, 5, 8, 9, 10, 12, 14, 15, 16, 17};

_Static_assert(sizeof(lean_order) / sizeof(lean_order[0]) == NREADERS,
			   "lean_order must list every reader once");

/*
 * Runs every reader's query, spread over the connections (all in the same
 * snapshot), and loads the results in readers[] order as they arrive — the
 * loaders depend on each other (columns before indexes, relations before
 * everything on them), the queries do not.  On any failure, stops sending,
 * drains what is in flight, and returns -1 with the first error recorded.
 */
static int
fetch_all(PGconn **conns, int nconns, const struct pgw_catalog_opts *opts,
		  struct pgw_model *m, struct pgw_catalog_stats *stats)
{
	PGresult   *results[NREADERS] = {0};
	bool		arrived[NREADERS] = {0};
	int			busy[PGW_CATALOG_MAX_JOBS];
	size_t		next_send = 0;
	size_t		next_load = 0;
	int			inflight = 0;
	int			rc = 0;

	for (int c = 0; c < nconns; c++)
		busy[c] = -1;
	/* what a lean read skips counts as arrived, with nothing to load */
	for (size_t k = 0; k < NREADERS; k++)
		arrived[k] = !reader_sql(&readers[k], opts->stable, opts->lean, opts->view_definitions, 0);
	while (next_load < NREADERS)
	{
		fd_set		fds;
		int			maxfd = -1;

		for (int c = 0; c < nconns && rc == 0; c++)
		{
			int			k = -1;
			const char *sql = NULL;

			if (busy[c] >= 0)
				continue;
			while (!sql && next_send < NREADERS)
			{
				k = nconns < 2 ? (int) next_send :
					opts->lean ? lean_order[next_send] : cost_order[next_send];
				next_send++;
				sql = reader_sql(&readers[k], opts->stable, opts->lean, opts->view_definitions,
								 m->source.server_version_num);
			}
			if (!sql)
				continue;
			if (stats)
				stats->queries++;
			if (!PQsendQuery(conns[c], step_sql(readers[k].what, sql)))
			{
				record_query_error(conns[c], NULL, readers[k].what);
				rc = -1;
				break;
			}
			busy[c] = k;
			inflight++;
		}
		if (inflight == 0)
			break;				/* after a failure: nothing left to drain */

		FD_ZERO(&fds);
		for (int c = 0; c < nconns; c++)
			if (busy[c] >= 0)
			{
				FD_SET(PQsocket(conns[c]), &fds);
				if (PQsocket(conns[c]) > maxfd)
					maxfd = PQsocket(conns[c]);
			}
		if (select(maxfd + 1, &fds, NULL, NULL, NULL) < 0 && errno != EINTR)
		{
			pgw_error(PGW_ERR_CONNECT, "cannot wait for the catalog queries: %s", strerror(errno));
			rc = -1;
			break;
		}
		for (int c = 0; c < nconns; c++)
		{
			int			k = busy[c];

			if (k < 0 || !FD_ISSET(PQsocket(conns[c]), &fds))
				continue;
			if (!PQconsumeInput(conns[c]))
			{
				if (rc == 0)
					record_query_error(conns[c], NULL, readers[k].what);
				rc = -1;
				busy[c] = -1;
				inflight--;
				continue;
			}
			while (!PQisBusy(conns[c]))
			{
				PGresult   *res = PQgetResult(conns[c]);

				if (!res)
				{
					arrived[k] = true;
					busy[c] = -1;
					inflight--;
					break;
				}
				if (PQresultStatus(res) == PGRES_TUPLES_OK && !results[k])
					results[k] = res;
				else
				{
					if (rc == 0)
						record_query_error(conns[c], res, readers[k].what);
					rc = -1;
					PQclear(res);
				}
			}
		}
		while (rc == 0 && next_load < NREADERS && arrived[next_load])
		{
			if (!reader_sql(&readers[next_load], opts->stable, opts->lean, opts->view_definitions, 0))
			{
				next_load++;	/* skipped by a lean read */
				continue;
			}
			if (!results[next_load])
			{
				record_query_error(conns[0], NULL, readers[next_load].what);
				rc = -1;
				break;
			}
			readers[next_load].load(m, results[next_load]);
			PQclear(results[next_load]);
			results[next_load] = NULL;
			next_load++;
		}
		if (rc != 0 && inflight == 0)
			break;
	}
	for (size_t k = 0; k < NREADERS; k++)
		PQclear(results[k]);
	return rc;
}

/* Ends the transaction of every connection used. */
static void
end_all(PGconn **conns, int nconns, bool commit, struct pgw_catalog_stats *stats)
{
	for (int c = 0; c < nconns; c++)
	{
		PGresult   *res = PQexec(conns[c], commit ? "COMMIT" : "ROLLBACK");

		if (stats)
			stats->queries++;
		PQclear(res);
	}
}

/*
 * Puts conns[1..] into the snapshot of conns[0] (pg_export_snapshot / SET
 * TRANSACTION SNAPSHOT, as pg_dump -j does).  A connection that cannot join
 * is left out; returns how many connections are usable, or -1 when conns[0]
 * could not export (its transaction is then aborted: the caller restarts
 * it and goes on alone).
 */
static int
share_snapshot(PGconn **conns, int nconns, struct pgw_catalog_stats *stats)
{
	PGresult   *res;
	char	   *lit;
	char	   *sql;
	int			used = 1;

	if (nconns < 2)
		return 1;
	/* in REPEATABLE READ: the snapshot conns[0]'s earlier queries saw */
	res = PQexec(conns[0], "SELECT pg_catalog.pg_export_snapshot()");
	if (stats)
		stats->queries++;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		PQclear(res);
		return -1;
	}
	lit = PQescapeLiteral(conns[0], PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)));
	PQclear(res);
	sql = pgw_asprintf("%s; SET TRANSACTION SNAPSHOT %s", q_begin, lit ? lit : "''");
	PQfreemem(lit);
	for (int c = 1; c < nconns; c++)
	{
		res = PQexec(conns[c], sql);
		if (stats)
			stats->queries += 2;
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
		{
			PGconn	   *t = conns[used];

			conns[used] = conns[c];
			conns[c] = t;
			used++;
		}
		else
		{
			PGresult   *rb = PQexec(conns[c], "ROLLBACK");

			PQclear(rb);
		}
		PQclear(res);
	}
	free(sql);
	return used;
}

/* The source fields of q_server's row (a cached model gets today's). */
static void
set_source(struct pgw_model *m, PGresult *res, const struct pgw_catalog_opts *opts)
{
	m->source.database = str(m, res, 0, 0);
	m->source.user = str(m, res, 0, 1);
	m->source.server_version = str(m, res, 0, 2);
	m->source.server_version_num = (int) num(res, 0, 3);
	m->source.captured_at = str(m, res, 0, 4);
	m->source.tenant_column = model_strdup(m, opts->tenant_column);
	m->source.exact = false;
	m->source.lean = false;
}

static const char q_relation_stats[] =
"SELECT c.oid" RELATIONS_STATS " FROM pg_catalog.pg_class c "
"WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND c.oid >= 16384 "
"ORDER BY c.oid";

static int
cmp_rel_oid(const void *a, const void *b)
{
	uint32_t	x = (*(struct pgw_relation *const *) a)->obj.oid;
	uint32_t	y = (*(struct pgw_relation *const *) b)->obj.oid;

	return x < y ? -1 : x > y;
}

/*
 * A cached model has the statistics of the read that wrote it: a stable
 * read drops them, any other reads today's (sizes and estimates change
 * without a schema change, and without a new catalog row version).
 */
static int
refresh_stats(PGconn *conn, const struct pgw_catalog_opts *opts, struct pgw_model *m,
			  struct pgw_catalog_stats *stats)
{
	struct pgw_relation **rels;
	size_t		n = m->relations.n;
	PGresult   *res;

	for (size_t i = 0; i < n; i++)
	{
		struct pgw_relation *rel = m->relations.items[i];

		rel->has_stats = false;
		rel->estimated_rows = rel->table_bytes = rel->toast_bytes = 0;
		rel->index_bytes = rel->total_bytes = 0;
	}
	if (opts->stable || opts->lean)
		return 0;
	res = run(conn, "relation statistics", q_relation_stats, PGRES_TUPLES_OK, stats);
	if (!res)
		return -1;
	rels = pgw_malloc(sizeof(*rels) * (n ? n : 1));
	for (size_t i = 0; i < n; i++)
		rels[i] = m->relations.items[i];
	qsort(rels, n, sizeof(*rels), cmp_rel_oid);
	for (int r = 0; r < PQntuples(res); r++)
	{
		struct pgw_relation key_rel;
		struct pgw_relation *kp = &key_rel;
		struct pgw_relation **hit;

		key_rel.obj.oid = oidval(res, r, 0);
		hit = bsearch(&kp, rels, n, sizeof(*rels), cmp_rel_oid);
		if (hit)
		{
			struct pgw_relation *rel = *hit;
			int64_t		tsize = num(res, r, 2);

			rel->has_stats = true;
			rel->estimated_rows = num(res, r, 1);
			rel->toast_bytes = num(res, r, 4);
			rel->table_bytes = tsize - rel->toast_bytes;
			if (rel->table_bytes < 0)
				rel->table_bytes = 0;
			rel->index_bytes = num(res, r, 3);
			rel->total_bytes = tsize + rel->index_bytes;
		}
	}
	PQclear(res);
	free(rels);
	return 0;
}

/* ---- a partial read: some relations again, into a cached model ---- */

/*
 * base with " AND cond" before its last ORDER BY (every reader query that
 * a partial read restricts ends with WHERE ... ORDER BY ...).  Caller frees.
 */
static char *
restrict_sql(const char *base, const char *cond)
{
	const char *order = NULL;

	for (const char *p = strstr(base, "ORDER BY"); p; p = strstr(p + 1, "ORDER BY"))
		order = p;
	assert(order);
	return pgw_asprintf("%.*sAND %s %s", (int) (order - base), base, cond, order);
}

#define OIDS "ANY($1::pg_catalog.oid[])"

static const char q_column_types_of[] =
"SELECT t.atttypid, t.atttypmod, pg_catalog.format_type(t.atttypid, t.atttypmod) "
"FROM (SELECT DISTINCT a.atttypid, a.atttypmod FROM pg_catalog.pg_attribute a "
"  WHERE a.attrelid = " OIDS " AND a.attnum > 0 AND NOT a.attisdropped) t "
"ORDER BY 1, 2";

static bool
in_oids(const uint32_t *oids, size_t n, uint32_t oid)
{
	for (size_t i = 0; i < n; i++)
		if (oids[i] == oid)
			return true;
	return false;
}

/* Drops the objects with these oids from a top-level list. */
static void
drop_oids(struct pgw_vec *v, const uint32_t *oids, size_t n)
{
	size_t		keep = 0;

	for (size_t i = 0; i < v->n; i++)
	{
		struct pgw_object *o = v->items[i];

		if (!in_oids(oids, n, o->oid))
			v->items[keep++] = o;
	}
	v->n = keep;
}

/* The oid map of a model loaded from the cache, as the loaders fill it. */
static void
map_cached(struct pgw_model *m)
{
	for (size_t i = 0; i < m->schemas.n; i++)
	{
		struct pgw_object *o = m->schemas.items[i];

		model_map_put(m, PGW_OC_SCHEMA, o->oid, o);
	}
	for (size_t i = 0; i < m->types.n; i++)
	{
		struct pgw_type *t = m->types.items[i];

		model_map_put(m, PGW_OC_TYPE, t->obj.oid, t);
		if (t->relid)
			model_map_put(m, PGW_OC_RELATION, t->relid, t);
	}
	for (size_t i = 0; i < m->sequences.n; i++)
	{
		struct pgw_object *o = m->sequences.items[i];

		model_map_put(m, PGW_OC_RELATION, o->oid, o);
	}
	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *rel = m->relations.items[i];

		model_map_put(m, PGW_OC_RELATION, rel->obj.oid, rel);
		for (size_t j = 0; j < rel->indexes.n; j++)
		{
			struct pgw_object *ix = rel->indexes.items[j];

			model_map_put(m, PGW_OC_RELATION, ix->oid, ix);
		}
	}
	for (size_t i = 0; i < m->functions.n; i++)
	{
		struct pgw_object *o = m->functions.items[i];

		model_map_put(m, PGW_OC_FUNCTION, o->oid, o);
	}
}

/*
 * Reads the relations and sequences oids[0..n) again — the readers that
 * hang on a relation, each restricted to them by an oid array — into m, a
 * model loaded from the cache: the old objects go, the new ones (if they
 * still exist) come in, as a full read would have read them.
 */
static int
read_relations(PGconn *conn, const struct pgw_catalog_opts *opts, struct pgw_model *m,
			   const uint32_t *oids, size_t n, struct pgw_catalog_stats *stats)
{
	static const struct
	{
		const char *what;
		const char *cond;		/* NULL: the query is q_column_types_of */
		void		(*load) (struct pgw_model *m, PGresult *res);
	}			steps[] = {
		{"sequences", "c.oid = " OIDS, load_sequences},
		{"relations", "c.oid = " OIDS, load_relations},
		{"column types", NULL, load_column_types},
		{"columns", "a.attrelid = " OIDS, load_columns},
		{"constraints", "co.conrelid = " OIDS, load_constraints},
		{"indexes", "i.indrelid = " OIDS, load_indexes},
		{"policies", "p.polrelid = " OIDS, load_policies},
		{"triggers", "t.tgrelid = " OIDS, load_triggers},
		{"privileges", "acl.kind IN ('r', 'c') AND acl.objoid = " OIDS, load_privileges},
		{"dependencies", "(d.classid, d.objid) IN ("
			"SELECT 'pg_catalog.pg_class'::pg_catalog.regclass, x.oid FROM pg_catalog.unnest($1::pg_catalog.oid[]) x(oid) "
			"UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass, x.oid FROM pg_catalog.pg_rewrite x WHERE x.ev_class = " OIDS " "
			"UNION ALL SELECT 'pg_catalog.pg_attrdef'::pg_catalog.regclass, x.oid FROM pg_catalog.pg_attrdef x WHERE x.adrelid = " OIDS " "
			"UNION ALL SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass, x.oid FROM pg_catalog.pg_trigger x WHERE x.tgrelid = " OIDS " "
			"UNION ALL SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass, x.oid FROM pg_catalog.pg_policy x WHERE x.polrelid = " OIDS " "
			"UNION ALL SELECT 'pg_catalog.pg_constraint'::pg_catalog.regclass, x.oid FROM pg_catalog.pg_constraint x WHERE x.conrelid = " OIDS ")",
		load_depends},
	};
	char	   *arr;
	int			rc = 0;

	drop_oids(&m->relations, oids, n);
	drop_oids(&m->sequences, oids, n);
	map_cached(m);
	arr = catalog_oid_array(oids, n);
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]) && rc == 0; k++)
	{
		const char *base = NULL;
		char	   *sql;
		const char *params[1] = {arr};
		PGresult   *res;

		for (size_t r = 0; r < NREADERS; r++)
			if (strcmp(readers[r].what, steps[k].what) == 0)
				base = reader_sql(&readers[r], opts->stable, false, false, m->source.server_version_num);
		assert(base);
		sql = steps[k].cond ? restrict_sql(base, steps[k].cond) : pgw_strdup(q_column_types_of);
		res = PQexecParams(conn, step_sql(steps[k].what, sql), 1, NULL, params, NULL, NULL, 0);
		free(sql);
		if (stats)
			stats->queries++;
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			record_query_error(conn, res, steps[k].what);
			rc = -1;
		}
		else
			steps[k].load(m, res);
		PQclear(res);
	}
	free(arr);
	if (rc == 0)
	{
		filter_list(m, &m->sequences);
		filter_list(m, &m->relations);
	}
	return rc;
}

int
catalog_read(PGconn **conns, int nconns, const struct pgw_catalog_opts *opts,
			 struct pgw_model *m, struct pgw_catalog_stats *stats)
{
	PGconn	   *all[PGW_CATALOG_MAX_JOBS];
	PGconn	   *opened[PGW_CATALOG_MAX_JOBS];
	int			nall = nconns;
	int			nopened = 0;
	PGconn	   *conn = conns[0];
	PGresult   *res;
	int64_t		t0 = pgw_now_ms();
	int			rc = -1;
	int			used = 1;
	bool		outer;
	int64_t		relations;
	struct pgw_cache_probe probe = {0};

	assert(nconns >= 1 && nconns <= PGW_CATALOG_MAX_JOBS);
	assert(!(opts->lean && opts->exact));	/* a lean read has no readable flag */
	memcpy(all, conns, sizeof(*conns) * nconns);
	/*
	 * Already inside a transaction (the tx sandbox, which must never be
	 * committed): read in it, alone, and leave it open — a BEGIN here would
	 * be ignored and our COMMIT would commit the caller's work.
	 */
	outer = PQtransactionStatus(conn) == PQTRANS_INTRANS;
	if (outer)
		used = 1;
	else
	{
		res = run(conn, "a consistent snapshot", q_begin, PGRES_COMMAND_OK, stats);
		if (!res)
			return -1;
		PQclear(res);
	}

	res = run(conn, "the server version", q_server, PGRES_TUPLES_OK, stats);
	if (!res)
		goto done;
	set_source(m, res, opts);
	relations = num(res, 0, 5);
	if (m->source.server_version_num < 130000)
	{
		PQclear(res);
		pgw_error(PGW_ERR_CONNECT, "PostgreSQL %s is too old to inspect", m->source.server_version);
		pgw_error_hint("pgwarden reads the catalogs of PostgreSQL 13 and later");
		goto done;
	}

	/*
	 * The snapshot cache: fingerprinted in this transaction, so the model
	 * it gives is the one a full read would give now.  Not for --exact
	 * (row counts) nor inside a caller's transaction (the tx sandbox).
	 */
	if (stats)
		stats->connections = used;
	if (opts->cache_dir && !opts->exact && !outer)
	{
		int			c = catalog_cache_lookup(conn, opts, m, stats, &probe);

		if (c < 0)
		{
			PQclear(res);
			goto done;
		}
		if (c == 2)
		{
			/* a file that failed to load half way: start from scratch */
			model_release(m);
			model_init(m);
			set_source(m, res, opts);
		}
		if (c == 3)
		{
			/* some relations changed: read those again, then cache */
			set_source(m, res, opts);
			PQclear(res);
			if (read_relations(conn, opts, m, probe.reread, probe.nreread, stats) != 0 ||
				refresh_stats(conn, opts, m, stats) != 0)
				goto done;
			if (stats)
				stats->catalog_ms = (double) (pgw_now_ms() - t0);
			model_sort(m);
			catalog_cache_store(&probe, m, stats);
			rc = 0;
			goto done;
		}
		if (c == 1)
		{
			set_source(m, res, opts);
			PQclear(res);
			if (refresh_stats(conn, opts, m, stats) != 0)
				goto done;
			if (stats)
				stats->catalog_ms = (double) (pgw_now_ms() - t0);
			model_sort(m);
			rc = 0;
			goto done;
		}
	}
	else if (opts->cache_dir && stats)
	{
		snprintf(stats->cache_reason, sizeof(stats->cache_reason), "%s",
				 opts->exact ? "--exact counts rows: the cache is not used" :
				 "read inside a transaction: the cache is not used");
		out_verbose("cache: not used — %s", stats->cache_reason);
	}
	PQclear(res);

	/* a full read: helpers join now, in this transaction's snapshot */
	if (!outer && opts->helper_target && relations >= PGW_CATALOG_HELPER_MIN_RELATIONS)
	{
		for (; nall < opts->helper_jobs && nall < PGW_CATALOG_MAX_JOBS; nall++)
		{
			if (db_connect(opts->helper_target, &all[nall]) != 0)
			{
				out_verbose("reading with %d connection%s: %s", nall, nall == 1 ? "" : "s",
							pgw_error_last()->message);
				pgw_error_clear();
				break;
			}
			opened[nopened++] = all[nall];
		}
	}
	if (!outer)
		used = share_snapshot(all, nall, stats);
	if (used < 0)
	{
		/*
		 * Cannot share (e.g. some poolers): one connection does it all, in a
		 * new transaction, so what the cache probe saw in the old one is not
		 * stored against this read.
		 */
		end_all(all, 1, false, stats);
		used = 1;
		catalog_cache_probe_release(&probe);
		memset(&probe, 0, sizeof(probe));
		res = run(conn, "a consistent snapshot", q_begin, PGRES_COMMAND_OK, stats);
		if (!res)
			goto done;
		PQclear(res);
	}
	if (stats)
		stats->connections = used;
	if (fetch_all(all, used, opts, m, stats) != 0)
		goto done;
	m->source.lean = opts->lean;
	if (stats)
		stats->catalog_ms = (double) (pgw_now_ms() - t0);

	apply_schema_rules(m, opts, stats);
	for (size_t i = 0; i < m->extensions.n; i++)
	{
		struct pgw_object *e = m->extensions.items[i];
		bool		managed = false;

		/* kept wherever they live (pg_catalog for plpgsql) */
		e->managed = schema_kept(m, e->schema, &managed) && managed;
	}
	filter_list(m, &m->types);
	filter_list(m, &m->sequences);
	filter_list(m, &m->relations);
	filter_list(m, &m->functions);
	filter_database_objects(m);

	if (opts->exact)
	{
		int64_t		t1 = pgw_now_ms();

		m->source.exact = true;
		if (count_rows(conn, m, opts, stats) != 0)
			goto done;
		if (stats)
			stats->count_ms = (double) (pgw_now_ms() - t1);
	}
	model_sort(m);
	/* a lean model is not a full one: never cached (a full one may answer a lean read) */
	if (!opts->exact && !opts->lean)
		catalog_cache_store(&probe, m, stats);
	rc = 0;

done:
	catalog_cache_probe_release(&probe);
	if (!outer)
		end_all(all, used, rc == 0, stats);
	for (int i = 0; i < nopened; i++)
		PQfinish(opened[i]);
	return rc;
}

int
catalog_jobs_for(PGconn *conn, int jobs)
{
	PGresult   *res;
	int64_t		relations = 0;

	if (jobs <= 1)
		return 1;
	res = PQexec(conn, "SELECT pg_catalog.count(*) FROM pg_catalog.pg_class");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		relations = num(res, 0, 0);
	PQclear(res);
	return relations >= PGW_CATALOG_HELPER_MIN_RELATIONS ? jobs : 1;
}

void
catalog_stats_release(struct pgw_catalog_stats *stats)
{
	strlist_release(&stats->unmatched);
	strlist_release(&stats->unreadable);
}
