#!/bin/bash
# maintain --install-functions: the migration it writes is lint-clean,
# passes test-migration and applies with migrate up; every function runs
# for the monitoring role and for no other role; health --json and the
# functions give the same numbers on the same statistics; run_retention()
# deletes exactly the rows maintain --yes deletes (two identical tables, one
# per path); migrate down leaves the database as it was (the role the
# migration created is gone too).  --schedule says which scheduler it chose
# and why.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
mon="mon_i23_$$"
plain="plain_i23_$$"
proj="$SCRATCH/proj"
mkdir -p "$proj"
cat >"$proj/pgwarden.conf" <<CONF
[project]
schemas = public

[maintain]
monitor_role = $mon

[retention "job_a"]
column = created_at
keep = 7d
where = status = 'done'
batch = 700

[retention "public.job_b"]
column = created_at
keep = 7d
where = status = 'done'
batch = 700
CONF
cd "$proj" || exit 1

# two identical tables; an index nothing scans; a table with dead rows
sql "$db" "CREATE TABLE job_a (id bigserial PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL);
           INSERT INTO job_a (status, created_at)
             SELECT CASE WHEN g % 3 = 0 THEN 'queued' ELSE 'done' END,
                    now() - CASE WHEN g % 5 = 0 THEN interval '1 day' ELSE interval '30 days' END
             FROM generate_series(1, 5000) g;
           CREATE TABLE job_b AS SELECT * FROM job_a;
           ALTER TABLE job_b ADD PRIMARY KEY (id);
           CREATE INDEX job_a_status ON job_a (status);
           CREATE TABLE churn (id int PRIMARY KEY, v text);
           INSERT INTO churn SELECT g, 'x' FROM generate_series(1, 3000) g;
           DELETE FROM churn WHERE id <= 1200;
           CREATE ROLE $plain NOLOGIN;
           SELECT pg_stat_force_next_flush();" >/dev/null
# the catalog objects the migration may add, as one line
objects() {
    sql "$db" "SELECT coalesce((SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'pgwarden' AND c.relname NOT LIKE 'schema_migrations%'), '-')
             || ' ' || coalesce((SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p
                 JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'pgwarden'), '-')
             || ' ' || (SELECT count(*) FROM pg_roles WHERE rolname = '$mon')"
}
expect_rc 0 "migrate up (nothing yet: makes the tracking table)" "$PGW" migrate up --db "$db"
before=$(objects)
equals "nothing installed yet" "$before" "- - 0"

# the migration
expect_rc 0 "install-functions" "$PGW" --json maintain --install-functions --name monitoring --db "$db"
up=$(echo "$OUT" | jq -r .up)
down=$(echo "$OUT" | jq -r .down)
check "migration written" test -f "$up"
check "rollback written" test -f "$down"
contains "named" "$up" "_monitoring.sql"
contains "grants to the monitoring role" "$(cat "$up")" "GRANT EXECUTE ON FUNCTION pgwarden.run_retention(text, integer) TO $mon;"
contains "search_path fixed" "$(cat "$up")" "SECURITY INVOKER SET search_path = pg_catalog, pg_temp"
expect_rc 0 "lint is clean" "$PGW" --json lint "$up" "$down"
equals "no warning or error" "$(echo "$OUT" | jq '[.findings[] | select(.severity != "info")] | length')" 0
expect_rc 0 "test-migration passes" "$PGW" test-migration "$up" --db "$db"
equals "test-migration left nothing" "$(objects)" "$before"
expect_rc 2 "--name without --install-functions" "$PGW" maintain --name x --db "$db"
expect_rc 2 "--install-functions with --yes" "$PGW" maintain --install-functions --yes --db "$db"

expect_rc 0 "migrate up applies it" "$PGW" migrate up --db "$db"
equals "installed" "$(objects)" \
    "functions_install,functions_install_pkey,retention_rules,retention_rules_pkey blocking_locks,cache_hit_ratio,health_check,run_retention,table_bloat,unused_indexes 1"
equals "the role: NOLOGIN, in pg_monitor" \
    "$(sql "$db" "SELECT rolcanlogin, pg_has_role('$mon', 'pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = '$mon'")" "f|t"
equals "rules from the config" "$(sql "$db" "SELECT string_agg(rule || ':' || table_schema || '.' || table_name || ':' || keep || ':' || batch, ' ' ORDER BY rule) FROM pgwarden.retention_rules")" \
    "job_a:public.job_a:168:00:00:700 public.job_b:public.job_b:168:00:00:700"
equals "every function: invoker, fixed search_path" \
    "$(sql "$db" "SELECT count(*) FILTER (WHERE NOT prosecdef AND proconfig @> '{\"search_path=pg_catalog, pg_temp\"}'), count(*) FROM pg_proc WHERE pronamespace = 'pgwarden'::regnamespace")" "6|6"

# callable by the monitoring role, by no other (even with USAGE on the schema)
sql "$db" "GRANT USAGE ON SCHEMA pgwarden TO $plain" >/dev/null
calls=("SELECT pgwarden.health_check() IS NOT NULL" "SELECT count(*) >= 0 FROM pgwarden.blocking_locks()"
    "SELECT count(*) >= 0 FROM pgwarden.unused_indexes()" "SELECT count(*) = 2 FROM pgwarden.cache_hit_ratio()"
    "SELECT count(*) >= 0 FROM pgwarden.table_bloat()" "SELECT count(*) = 0 FROM pgwarden.run_retention('no such rule')")
for c in "${calls[@]}"; do
    equals "monitor: $c" "$(psql "$db" -X -Atq -v ON_ERROR_STOP=1 -c "SET ROLE $mon" -c "$c" 2>&1)" t
    contains "plain role refused: $c" "$(psql "$db" -X -Atq -c "SET ROLE $plain" -c "$c" 2>&1)" "permission denied for function"
done

# the same numbers as health, on the same statistics (nothing touches the
# user tables in between: health and the functions read only statistics)
expect_rc 0 "health --json" "$PGW" --json health --db "$db"
health=$OUT
fn=$(sql "$db" "SELECT jsonb_build_object('check', pgwarden.health_check(),
        'cache', (SELECT jsonb_agg(x) FROM pgwarden.cache_hit_ratio() x),
        'unused', (SELECT jsonb_agg(x) FROM pgwarden.unused_indexes() x),
        'bloat', (SELECT jsonb_agg(x) FROM pgwarden.table_bloat() x))")
norm_cache='[.[] | [.kind, .hits, .reads, (if .hit_pct == null then null else (.hit_pct * 100 | round) end)]]'
norm_unused='[.[] | [.schema, .table, .index, .scans, .size_bytes]]'
norm_bloat='[.[] | [.schema, .table, .est_rows, .dead_rows, (if .dead_pct == null then null else (.dead_pct * 10 | round) end), .size_bytes]]'
h_cache=$(echo "$health" | jq -c ".sections.cache | $norm_cache")
h_unused=$(echo "$health" | jq -c ".sections.unused_indexes | $norm_unused")
h_bloat=$(echo "$health" | jq -c ".sections.tables | $norm_bloat")
contains "health sees reads" "$h_cache" '["tables",'
contains "health sees the unused index" "$h_unused" '"job_a_status"'
contains "health sees the dead rows" "$h_bloat" '["public","churn",'
equals "cache_hit_ratio() = health" "$(echo "$fn" | jq -c ".cache | $norm_cache")" "$h_cache"
equals "unused_indexes() = health" "$(echo "$fn" | jq -c ".unused | $norm_unused")" "$h_unused"
equals "table_bloat() = health" "$(echo "$fn" | jq -c ".bloat | $norm_bloat")" "$h_bloat"
equals "health_check() cache = health" "$(echo "$fn" | jq -c ".check.cache | $norm_cache")" "$h_cache"
equals "health_check() unused = health" "$(echo "$fn" | jq -c ".check.unused_indexes | $norm_unused")" "$h_unused"
equals "health_check() tables = health" "$(echo "$fn" | jq -c ".check.tables | $norm_bloat")" "$h_bloat"
equals "health_check() has every section" "$(echo "$fn" | jq -c '.check | keys')" \
    "$(echo "$health" | jq -c '.sections | del(.statements) | keys')"

# run_retention deletes what maintain --yes deletes
expect_rc 0 "maintain --yes on job_a" "$PGW" --json maintain --yes --no-vacuum --pause 0 --table job_a --db "$db"
m=$(echo "$OUT" | jq -c '[.retention[0].deleted, .retention[0].batches]')
f=$(sql "$db" "SELECT json_build_array(deleted, batches) FROM pgwarden.run_retention('public.job_b')" | jq -c .)
equals "run_retention: same count and batches as maintain" "$f" "$m"
contains "and it deleted something" "$m" "[2667,4]"
equals "the same rows are left" "$(sql "$db" "SELECT (SELECT count(*) FROM (SELECT * FROM job_a EXCEPT SELECT * FROM job_b) x)
                                              + (SELECT count(*) FROM (SELECT * FROM job_b EXCEPT SELECT * FROM job_a) y),
                                              (SELECT count(*) FROM job_b)")" "0|2333"
equals "a second run finds nothing" "$(sql "$db" "SELECT string_agg(rule || '=' || deleted, ' ' ORDER BY rule) FROM pgwarden.run_retention()")" \
    "job_a=0 public.job_b=0"
sql "$db" "INSERT INTO job_b (id, status, created_at) SELECT 100000 + g, 'done', now() - interval '9 days' FROM generate_series(1, 2000) g" >/dev/null
equals "max_batches bounds one call" "$(sql "$db" "SELECT deleted || '/' || batches FROM pgwarden.run_retention('public.job_b', 2)")" "1400/2"
equals "the next call goes on" "$(sql "$db" "SELECT deleted || '/' || batches FROM pgwarden.run_retention('public.job_b')")" "600/1"

# --schedule: pg_cron jobs when the server has pg_cron (install-deps installs
# Debian's postgresql-15-cron), a crontab line otherwise, and why
expect_rc 0 "schedule" "$PGW" --json maintain --schedule --table job_a --at "*/5 * * * *" --db "$db"
if [ "$(echo "$OUT" | jq .summary.pg_cron_available)" = true ]; then
    equals "pg_cron chosen" "$(echo "$OUT" | jq -c '[.scheduler, .summary.functions_installed, .crontab, (.pg_cron | length)]')" '["pg_cron",true,null,1]'
    contains "says why" "$(echo "$OUT" | jq -r .reason)" "pg_cron is available (CREATE EXTENSION pg_cron first)"
    equals "one job for the rule" "$(echo "$OUT" | jq -r '.pg_cron[0] | [.rule, .job, .schedule] | join(" ")')" \
        "job_a pgwarden-retention-job_a */5 * * * *"
    contains "scheduled by cron.schedule" "$(echo "$OUT" | jq -r '.pg_cron[0].sql')" \
        "SELECT cron.schedule('pgwarden-retention-job_a', '*/5 * * * *', 'SELECT * FROM pgwarden.run_retention(''job_a'')');"
    # what the job would run, run here: it works and finds nothing left
    equals "the job's command runs" "$(sql "$db" "$(echo "$OUT" | jq -r '.pg_cron[0].command')" | cut -d'|' -f1,4)" "job_a|0"
    expect_rc 0 "schedule, text" "$PGW" --no-color maintain --schedule --table job_a --db "$db"
    contains "text: create the extension first" "$OUT" "CREATE EXTENSION IF NOT EXISTS pg_cron;"
else
    echo "note: pg_cron is not available on this server: only the crontab branch is checked (install postgresql-15-cron)"
    equals "crontab chosen" "$(echo "$OUT" | jq -c '[.scheduler, .summary.functions_installed, (.crontab | test("--table .job_a."))]')" '["crontab",true,true]'
    contains "says why" "$(echo "$OUT" | jq -r .reason)" "pg_cron is not available"
fi
expect_rc 4 "schedule for an unknown rule" "$PGW" maintain --schedule --table nope --db "$db"

# migrate down: all of it gone, the role too (the migration made it)
expect_rc 0 "migrate down" "$PGW" migrate down --db "$db"
equals "as before" "$(objects)" "$before"
equals "the tracking table stays" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations")" 0

# a role that existed before is kept by the rollback
sql "$db" "CREATE ROLE $mon NOLOGIN" >/dev/null
expect_rc 0 "up again, role there" "$PGW" migrate up --db "$db"
expect_rc 0 "down again" "$PGW" migrate down --db "$db"
equals "the role that was there stays" "$(sql "$db" "SELECT count(*) FROM pg_roles WHERE rolname = '$mon'")" 1
sql "$db" "DROP ROLE $mon; REVOKE USAGE ON SCHEMA pgwarden FROM $plain; DROP ROLE $plain" >/dev/null
finish
