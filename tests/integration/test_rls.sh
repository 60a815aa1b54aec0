#!/bin/bash
# pgwarden rls test on the example project: the leaks planted in
# examples/fleet are found per table and operation, the correct tables are
# isolated, probe rows are used where a tenant has no rows, and the
# database is unchanged afterwards (stable snapshot and row counts).
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
proj="$SCRATCH/fleet"
cp -r "$SRC/examples/fleet" "$proj" && rm -rf "$proj/.pgwarden" "$proj/docs"
cd "$proj" || exit 1
check "example loads" "$PGW" -q migrate up --db "$db"
check "example seeded" "$PGW" -q migrate seed --db "$db"

counts() {
    sql "$db" "SELECT string_agg(relname || '=' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', schemaname, relname), false, true, '')))[1]::text, ',' ORDER BY relname) FROM pg_stat_user_tables WHERE schemaname IN ('public', 'auth')"
}
snap() { "$PGW" -q inspect --stable --out "$1" --db "$db" >/dev/null; }
snap "$SCRATCH/before.json"
before=$(counts)

expect_rc 1 "leaks: exit 1" "$PGW" --no-color rls test --db "$db"
text=$OUT
contains "context: role and tenants" "$text" "as role authenticated in the context of tenant a0000000-0000-4000-8000-000000000001, against tenant b0000000-0000-4000-8000-000000000002"
contains "Supabase claims" "$text" "Supabase: request.jwt.claims sub = 0a000000-0000-4000-8000-0000000000a1"
contains "1: RLS off leaks everything" "$text" "vehicle_events             SELECT LEAKS, UPDATE LEAKS, DELETE LEAKS, INSERT LEAKS"
contains "1: reads Beta's events" "$text" "SELECT LEAKS — reads 7 rows of the other tenant"
contains "2: USING (true) FOR ALL" "$text" "capture_sessions           SELECT LEAKS, UPDATE LEAKS, DELETE LEAKS, INSERT LEAKS"
contains "2: foreign tenant id accepted" "$text" "INSERT LEAKS — row with foreign tenant_id accepted"
contains "2: USING (true) FOR SELECT leaks reads only" "$text" "vehicle_images             SELECT LEAKS, UPDATE isolated, DELETE isolated, INSERT isolated"
contains "right: setting" "$text" "vehicles                   SELECT isolated, UPDATE isolated, DELETE isolated, INSERT isolated"
contains "right: membership" "$text" "garages                    SELECT isolated, UPDATE isolated, DELETE isolated, INSERT isolated"
contains "summary" "$text" "9 tables, 13 leaks, 0 inconclusive; everything was rolled back"
lacks "no tenant column: not probed" "$text" "photo_metadata"

expect_rc 1 "json" "$PGW" --json rls test --db "$db"
equals "json: leaks" "$(echo "$OUT" | jq '.summary.leaks')" 13
equals "json: per operation" "$(echo "$OUT" | jq -c '.tables[] | select(.table == "vehicle_images") | [.select.result, .update.result, .delete.result, .insert.result]')" \
    '["LEAKS","isolated","isolated","isolated"]'
equals "json: refusal reason" "$(echo "$OUT" | jq -r '.tables[] | select(.table == "vehicles") | .insert.detail')" "rejected by row-level security"

# nothing changed
snap "$SCRATCH/after.json"
check "schema unchanged (stable snapshot)" cmp "$SCRATCH/before.json" "$SCRATCH/after.json"
equals "rows unchanged" "$(counts)" "$before"
equals "no transaction left open" "$(sql "$db" "select count(*) from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'")" 0

# a table with rows of one tenant only: a probe row for the other
sql "$db" "DELETE FROM vehicle_spec_enhancements WHERE tenant_id = 'b0000000-0000-4000-8000-000000000002'" >/dev/null
before=$(counts)
expect_rc 0 "probe row: isolated table passes" "$PGW" --json rls test --table vehicle_spec_enhancements --db "$db"
equals "probe row used" "$(echo "$OUT" | jq '.tables[0].probe_row')" true
equals "all four probed" "$(echo "$OUT" | jq -c '[.tables[0][] | objects | .result]')" '["isolated","isolated","isolated","isolated"]'
equals "probe row gone" "$(counts)" "$before"
PGWARDEN_FAULT=rls-after-probe-row expect_rc 3 "a failure after the probe row" "$PGW" rls test --table vehicle_spec_enhancements --db "$db"
contains "reported" "$ERR" "division by zero"
equals "failure: probe row rolled back too" "$(counts)" "$before"
equals "failure: no transaction left open" "$(sql "$db" "select count(*) from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'")" 0
expect_rc 1 "--table on a leaking table" "$PGW" rls test --table conversation_messages --db "$db"

# an empty table is skipped, not a pass by accident
sql "$db" "DELETE FROM vehicle_spec_enhancements" >/dev/null
expect_rc 0 "empty table" "$PGW" --no-color rls test --table vehicle_spec_enhancements --db "$db"
contains "skipped" "$OUT" "SELECT skipped, UPDATE skipped, DELETE skipped, INSERT skipped"

# errors
printf '[project]\nmigrations_dir = supabase/migrations\napp_role = no_such_role\n' > "$SCRATCH/bad.conf"
expect_rc 4 "missing app role" "$PGW" --config "$SCRATCH/bad.conf" rls test --db "$db"
contains "names it" "$ERR" "role 'no_such_role' does not exist"
expect_rc 2 "unknown subcommand" "$PGW" rls probe --db "$db"
expect_rc 2 "missing subcommand" "$PGW" rls --db "$db"
db2=$(fresh_db one) || { fail "cannot make a database"; finish; }
sql "$db2" "CREATE TABLE tenants (id uuid PRIMARY KEY); CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid REFERENCES tenants (id)); INSERT INTO tenants VALUES (gen_random_uuid())" >/dev/null
expect_rc 4 "one tenant" "$PGW" rls test --db "$db2"
contains "needs two" "$ERR" "'tenants' holds 1 tenant: two are needed to test isolation"
finish
