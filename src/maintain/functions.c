/*
 * functions.c — the migration of `maintain --install-functions`
 * (maintain/functions.h).
 *
 * The monitoring functions are LANGUAGE sql and their bodies are health's
 * section queries word for word (health_sections()); their three
 * arguments, all with health's defaults, are the section parameters $1
 * long_query_s, $2 idle_tx_s, $3 top.  run_retention() is the batch of
 * maintain.c (batch_sql) in PL/pgSQL: the next `batch` keys in primary-key
 * order past the last one seen, deleted with the rule re-checked, the
 * cut-off fixed once per rule.  Identifiers go through format('%I') at run
 * time, values through EXECUTE … USING; the rule's `where` is the
 * project's own SQL, pasted as an expression exactly as maintain.c does.
 *
 * Every body is dollar-quoted with $pgw$, and only fixed text (plus the
 * monitor role, a plain name by config.c's check) goes inside one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/health.h"
#include "maintain/functions.h"
#include "sql/quote.h"
#include "util/mem.h"

#define FN_OPTS "SECURITY INVOKER SET search_path = pg_catalog, pg_temp"

/* the health sections that are functions of their own */
static const struct
{
	const char *section;
	const char *function;
	const char *comment;
}			own[] = {
	{"blocking", "blocking_locks", "sessions waiting for a lock, and who holds it (pgwarden health: blocking)"},
	{"cache", "cache_hit_ratio", "buffer cache hit ratio of tables and indexes (pgwarden health: cache)"},
	{"unused_indexes", "unused_indexes",
	"indexes never scanned since statistics were reset, not backing a constraint (pgwarden health: unused_indexes)"},
	{"tables", "table_bloat",
	"dead rows (the bloat estimate), size and last vacuum per table (pgwarden health: tables)"},
};

#define HEALTH_ARGS_DECL \
	"long_query_s integer DEFAULT %d, idle_tx_s integer DEFAULT %d, top integer DEFAULT %d"
#define HEALTH_ARGS_TYPES "integer, integer, integer"

static const char *const run_retention_body =
"#variable_conflict error\n"
"DECLARE\n"
"    r pgwarden.retention_rules;\n"
"    pk name;\n"
"    pktype text;\n"
"    cutoff timestamptz;\n"
"    q text;\n"
"    last_key text;\n"
"    picked bigint;\n"
"    n bigint;\n"
"    n_deleted bigint;\n"
"    n_batches integer;\n"
"BEGIN\n"
"    FOR r IN SELECT x.* FROM pgwarden.retention_rules x\n"
"             WHERE x.enabled AND (only_rule IS NULL OR x.rule = only_rule) ORDER BY x.rule\n"
"    LOOP\n"
"        pk := NULL;\n"
"        SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) INTO pk, pktype\n"
"          FROM pg_catalog.pg_index i\n"
"          JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]\n"
"         WHERE i.indrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', r.table_schema, r.table_name))\n"
"           AND i.indisprimary AND i.indnatts = 1;\n"
"        IF pk IS NULL THEN\n"
"            RAISE EXCEPTION 'pgwarden.run_retention: table %.% of rule % is missing or has no single-column primary key',\n"
"                r.table_schema, r.table_name, r.rule\n"
"                USING HINT = 'batches go by primary-key range; fix the rule in pgwarden.retention_rules';\n"
"        END IF;\n"
"        cutoff := pg_catalog.now() - r.keep;\n"
"        q := pg_catalog.format(\n"
"            'WITH pgw_b AS (SELECT %1$I AS pgw_k FROM %2$I.%3$I WHERE %4$I < $1%5$s'\n"
"            ' AND ($2::text IS NULL OR %1$I > $2::text::%6$s) ORDER BY %1$I LIMIT $3),'\n"
"            ' pgw_d AS (DELETE FROM %2$I.%3$I pgw_t USING pgw_b WHERE pgw_t.%1$I = pgw_b.pgw_k'\n"
"            ' AND pgw_t.%4$I < $1%5$s RETURNING 1)'\n"
"            ' SELECT (SELECT count(*) FROM pgw_b), (SELECT count(*) FROM pgw_d),'\n"
"            ' (SELECT max(pgw_k)::text FROM pgw_b)',\n"
"            pk, r.table_schema, r.table_name, r.column_name,\n"
"            CASE WHEN r.where_sql IS NULL THEN '' ELSE pg_catalog.format(' AND (%s)', r.where_sql) END,\n"
"            pktype);\n"
"        n_deleted := 0;\n"
"        n_batches := 0;\n"
"        last_key := NULL;\n"
"        LOOP\n"
"            EXIT WHEN max_batches IS NOT NULL AND n_batches >= max_batches;\n"
"            EXECUTE q INTO picked, n, last_key USING cutoff, last_key, r.batch;\n"
"            EXIT WHEN picked = 0;\n"
"            n_deleted := n_deleted + n;\n"
"            n_batches := n_batches + 1;\n"
"            EXIT WHEN picked < r.batch;\n"
"        END LOOP;\n"
"        RETURN QUERY SELECT r.rule, r.table_schema, r.table_name, n_deleted, n_batches;\n"
"    END LOOP;\n"
"END\n";

/* "schema.table" or "table" (in the first configured schema) */
static void
rule_schema_table(const struct pgw_config *cfg, const char *table, char **schema, char **name)
{
	const char *dot = strchr(table, '.');

	if (dot)
	{
		*schema = pgw_strndup(table, (size_t) (dot - table));
		*name = pgw_strdup(dot + 1);
	}
	else
	{
		*schema = pgw_strdup(cfg->schemas.n ? cfg->schemas.items[0] : "public");
		*name = pgw_strdup(table);
	}
}

static void
grant_execute(struct pgw_buf *b, const char *role, const char *fn, const char *types)
{
	buf_printf(b, "REVOKE ALL ON FUNCTION pgwarden.%s(%s) FROM PUBLIC;\n", fn, types);
	buf_printf(b, "GRANT EXECUTE ON FUNCTION pgwarden.%s(%s) TO ", fn, types);
	sql_ident(b, role);
	buf_append(b, ";\n");
}

static void
emit_up(const struct pgw_config *cfg, struct pgw_buf *b)
{
	const struct pgw_health_section *s;
	const char *role = cfg->maintain_monitor_role;

	buf_append(b,
			   "CREATE SCHEMA IF NOT EXISTS pgwarden;\n\n"
			   "-- which monitoring role the functions are granted to, and whether this\n"
			   "-- migration created it (its rollback drops only a role it created)\n"
			   "CREATE TABLE pgwarden.functions_install (\n"
			   "    monitor_role name PRIMARY KEY,\n"
			   "    role_created boolean NOT NULL,\n"
			   "    installed_at timestamptz NOT NULL DEFAULT pg_catalog.now()\n"
			   ");\n\n");
	buf_append(b, "DO $pgw$\nBEGIN\n    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ");
	sql_literal(b, role);
	buf_append(b, ") THEN\n        CREATE ROLE ");
	sql_ident(b, role);
	buf_append(b, " NOLOGIN;\n        GRANT pg_monitor TO ");
	sql_ident(b, role);
	buf_append(b, ";\n        INSERT INTO pgwarden.functions_install (monitor_role, role_created) VALUES (");
	sql_literal(b, role);
	buf_append(b, ", true);\n    ELSE\n"
			   "        INSERT INTO pgwarden.functions_install (monitor_role, role_created) VALUES (");
	sql_literal(b, role);
	buf_append(b, ", false);\n    END IF;\nEND\n$pgw$;\n\n");

	/* the rules */
	buf_append(b,
			   "-- the [retention] rules of pgwarden.conf, for pgwarden.run_retention();\n"
			   "-- where_sql is the rule's own SQL condition, ANDed\n"
			   "CREATE TABLE pgwarden.retention_rules (\n"
			   "    rule text PRIMARY KEY,\n"
			   "    table_schema name NOT NULL,\n"
			   "    table_name name NOT NULL,\n"
			   "    column_name name NOT NULL,\n"
			   "    keep interval NOT NULL,\n"
			   "    where_sql text,\n"
			   "    batch integer NOT NULL CHECK (batch > 0),\n"
			   "    enabled boolean NOT NULL DEFAULT true\n"
			   ");\n");
	if (cfg->nretentions > 0)
	{
		buf_append(b, "INSERT INTO pgwarden.retention_rules"
				   " (rule, table_schema, table_name, column_name, keep, where_sql, batch) VALUES\n");
		for (size_t i = 0; i < cfg->nretentions; i++)
		{
			const struct pgw_retention *r = &cfg->retentions[i];
			char	   *schema,
					   *name;

			rule_schema_table(cfg, r->table, &schema, &name);
			buf_append(b, "    (");
			sql_literal(b, r->table);
			buf_append(b, ", ");
			sql_literal(b, schema);
			buf_append(b, ", ");
			sql_literal(b, name);
			buf_append(b, ", ");
			sql_literal(b, r->column);
			/* exact seconds, as maintain.c counts them (no calendar days) */
			buf_printf(b, ", interval '%lld seconds', ", r->keep_s);
			if (r->where)
				sql_literal(b, r->where);
			else
				buf_append(b, "NULL");
			buf_printf(b, ", %d)%s\n", r->batch, i + 1 < cfg->nretentions ? "," : ";");
			free(schema);
			free(name);
		}
	}
	buf_append(b, "\n");

	/* the monitoring functions: health's section text as their bodies */
	for (size_t k = 0; k < sizeof(own) / sizeof(*own); k++)
		for (s = health_sections(); s->name; s++)
			if (!strcmp(s->name, own[k].section))
			{
				buf_printf(b, "CREATE FUNCTION pgwarden.%s(" HEALTH_ARGS_DECL ")\n", own[k].function,
						   PGW_HEALTH_LONG_QUERY_S, PGW_HEALTH_IDLE_TX_S, PGW_HEALTH_TOP);
				buf_printf(b, "RETURNS TABLE (%s)\nLANGUAGE sql STABLE " FN_OPTS "\nAS $pgw$\n%s\n$pgw$;\n",
						   s->columns, s->sql);
				buf_printf(b, "COMMENT ON FUNCTION pgwarden.%s(" HEALTH_ARGS_TYPES ") IS ", own[k].function);
				sql_literal(b, own[k].comment);
				buf_append(b, ";\n\n");
			}

	/* health_check: every section, as health --json's "sections" */
	buf_printf(b, "CREATE FUNCTION pgwarden.health_check(" HEALTH_ARGS_DECL ")\n"
			   "RETURNS jsonb\nLANGUAGE sql STABLE " FN_OPTS "\nAS $pgw$\nSELECT pg_catalog.jsonb_build_object(\n",
			   PGW_HEALTH_LONG_QUERY_S, PGW_HEALTH_IDLE_TX_S, PGW_HEALTH_TOP);
	for (s = health_sections(); s->name; s++)
		buf_printf(b, "%s    '%s', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)), '[]'::jsonb) FROM (\n"
				   "        %s) s)", s == health_sections() ? "" : ",\n", s->name, s->sql);
	buf_append(b, ")\n$pgw$;\n");
	buf_append(b, "COMMENT ON FUNCTION pgwarden.health_check(" HEALTH_ARGS_TYPES ") IS "
			   "'every section of pgwarden health (without pg_stat_statements) as one JSON object';\n\n");

	/* run_retention */
	buf_printf(b, "CREATE FUNCTION pgwarden.run_retention(only_rule text DEFAULT NULL, max_batches integer DEFAULT NULL)\n"
			   "RETURNS TABLE (rule text, table_schema name, table_name name, deleted bigint, batches integer)\n"
			   "LANGUAGE plpgsql VOLATILE " FN_OPTS " SET lock_timeout = '%dms'\nAS $pgw$\n%s$pgw$;\n",
			   cfg->lock_timeout_ms, run_retention_body);
	buf_append(b, "COMMENT ON FUNCTION pgwarden.run_retention(text, integer) IS "
			   "'deletes what the rules of pgwarden.retention_rules match, in batches by primary key; "
			   "rows deleted per rule';\n\n");

	/* privileges: the monitoring role only */
	buf_append(b, "GRANT USAGE ON SCHEMA pgwarden TO ");
	sql_ident(b, role);
	buf_append(b, ";\nGRANT SELECT ON pgwarden.retention_rules TO ");
	sql_ident(b, role);
	buf_append(b, ";\n");
	for (size_t k = 0; k < sizeof(own) / sizeof(*own); k++)
		grant_execute(b, role, own[k].function, HEALTH_ARGS_TYPES);
	grant_execute(b, role, "health_check", HEALTH_ARGS_TYPES);
	grant_execute(b, role, "run_retention", "text, integer");
}

static void
emit_down(const struct pgw_config *cfg, struct pgw_buf *b)
{
	const char *role = cfg->maintain_monitor_role;

	buf_append(b, "DROP FUNCTION pgwarden.run_retention(text, integer);\n");
	buf_append(b, "DROP FUNCTION pgwarden.health_check(" HEALTH_ARGS_TYPES ");\n");
	for (size_t k = sizeof(own) / sizeof(*own); k-- > 0;)
		buf_printf(b, "DROP FUNCTION pgwarden.%s(" HEALTH_ARGS_TYPES ");\n", own[k].function);
	buf_append(b, "DROP TABLE pgwarden.retention_rules;\n\n");
	buf_append(b,
			   "-- the role goes only when this migration created it and nothing else\n"
			   "-- needs it: no grant or owned object in any database (pg_shdepend), no\n"
			   "-- member; the schema only when nothing is left in it\n"
			   "DO $pgw$\nDECLARE\n    created boolean;\n    role_oid oid;\n    ns oid;\nBEGIN\n"
			   "    SELECT f.role_created INTO created FROM pgwarden.functions_install f WHERE f.monitor_role = ");
	sql_literal(b, role);
	buf_append(b, ";\n    SELECT r.oid INTO role_oid FROM pg_catalog.pg_roles r WHERE r.rolname = ");
	sql_literal(b, role);
	buf_append(b, ";\n    IF role_oid IS NOT NULL THEN\n        REVOKE USAGE ON SCHEMA pgwarden FROM ");
	sql_ident(b, role);
	buf_append(b, ";\n    END IF;\n"
			   "    IF created AND role_oid IS NOT NULL\n"
			   "       AND NOT EXISTS (SELECT FROM pg_catalog.pg_shdepend d\n"
			   "                       WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass\n"
			   "                         AND d.refobjid = role_oid)\n"
			   "       AND NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.roleid = role_oid) THEN\n"
			   "        DROP ROLE ");
	sql_ident(b, role);
	buf_append(b, ";\n    ELSIF role_oid IS NOT NULL THEN\n"
			   "        RAISE NOTICE 'role % kept: %', ");
	sql_literal(b, role);
	buf_append(b, ",\n            CASE WHEN created THEN 'other grants, objects or members depend on it'\n"
			   "                 ELSE 'it existed before the functions were installed' END;\n"
			   "    END IF;\n"
			   "    DROP TABLE pgwarden.functions_install;\n"
			   "    ns := pg_catalog.to_regnamespace('pgwarden');\n"
			   "    IF NOT EXISTS (SELECT FROM pg_catalog.pg_depend d\n"
			   "                   WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass\n"
			   "                     AND d.refobjid = ns) THEN\n"
			   "        DROP SCHEMA pgwarden;\n"
			   "    END IF;\n"
			   "END\n$pgw$;\n");
}

void
maintain_functions_sql(const struct pgw_config *cfg, struct pgw_buf *up, struct pgw_buf *down)
{
	emit_up(cfg, up);
	emit_down(cfg, down);
}

char *
maintain_functions_cron_command(const char *rule)
{
	struct pgw_buf b;

	buf_init(&b);
	buf_append(&b, "SELECT * FROM pgwarden.run_retention(");
	sql_literal(&b, rule);
	buf_append(&b, ")");
	return buf_steal(&b);
}
