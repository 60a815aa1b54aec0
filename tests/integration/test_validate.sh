#!/bin/bash
# pgwarden validate on the example project: every planted data and RLS
# problem of examples/fleet/README.md is reported exactly, with its fix;
# filters, --fail-on, --json, --sample, --max-rows; one data query per
# table; the remaining rules on a small fixture; the database unchanged.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
proj="$SCRATCH/fleet"
cp -r "$SRC/examples/fleet" "$proj" && rm -rf "$proj/.pgwarden" "$proj/docs"
cd "$proj" || exit 1
check "example loads" "$PGW" -q migrate up --db "$db"
check "example seeded" "$PGW" -q migrate seed --db "$db"
sql "$db" "ANALYZE" >/dev/null

counts() {
    sql "$db" "SELECT string_agg(relname || '=' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', schemaname, relname), false, true, '')))[1]::text, ',' ORDER BY relname) FROM pg_stat_user_tables WHERE schemaname = 'public'"
}
before=$(counts)

expect_rc 1 "findings at error level: exit 1" "$PGW" --no-color validate --db "$db"
text=$OUT
contains "1: RLS off" "$text" "error   rls.disabled  vehicle_events: row-level security is disabled, though the table has a tenant column"
contains "1: its fix" "$text" "fix: pgwarden generate fix-rls-policy vehicle_events"
for p in vehicle_images_read capture_sessions_all photo_metadata_read conversation_messages_all; do
    contains "2: USING (true) $p" "$text" "rls.weak_policy  policy $p on"
done
contains "3: missing tenant column" "$text" "tenant.missing_column  photo_metadata has no tenant_id column, but its rows belong to a tenant through event_photos (photo_id)"
contains "3: its fix" "$text" "fix: pgwarden generate add-tenant-isolation photo_metadata --backfill-from event_photos"
contains "4: orphans counted" "$text" "fk.orphans  event_photos: 3 rows point at no row of capture_sessions (capture_session_id, no foreign key)"
contains "4: sample ids" "$text" "sample ids: ef000000-0000-4000-8000-000000000008, ef000000-0000-4000-8000-000000000009, ef000000-0000-4000-8000-000000000010"
contains "4: missing FK" "$text" "fk.missing  event_photos.capture_session_id names capture_sessions but has no foreign key"
contains "4: its fix" "$text" "fix: pgwarden generate add-foreign-key event_photos capture_sessions --column capture_session_id --nullify-orphans"
contains "5: vehicle_images coverage" "$text" "tenant.coverage  vehicle_images: 75.0% complete (9/12): 3 rows without a tenant_id"
contains "5: conversation_messages coverage" "$text" "tenant.coverage  conversation_messages: 77.8% complete (7/9): 2 rows without a tenant_id"
contains "5: nullable tenant column" "$text" "tenant.not_null  vehicle_images.tenant_id allows NULL"
contains "5: backfill fix" "$text" "fix: pgwarden generate add-tenant-isolation vehicle_images --backfill-from vehicles"
contains "complete table" "$text" "vehicles: 100.0% complete (22/22)"
contains "grouped by category" "$text" "$(printf 'tenant\n  error')"
contains "summary line; one query per scanned table" "$text" "12 tables checked (9 scanned, 9 queries): 9 errors, 3 warnings, 9 info"
lacks "right ones are quiet: vehicles" "$text" "policy vehicles_tenant_isolation"
lacks "right ones are quiet: garages" "$text" "policy garages_tenant_isolation"
lacks "no orphan noise on validated FKs" "$text" "point at no row of vehicles"

expect_rc 1 "json" "$PGW" --json validate --db "$db"
json=$OUT
equals "json: errors" "$(echo "$json" | jq '.summary.error')" 9
equals "json: rule counts" "$(echo "$json" | jq -r '[.findings[].rule] | group_by(.) | map("\(.[0])=\(length)") | join(",")')" \
    "fk.missing=1,fk.orphans=1,rls.disabled=1,rls.not_forced=9,rls.weak_policy=4,tenant.coverage=2,tenant.missing_column=1,tenant.not_null=2"
equals "json: fix of the orphans" "$(echo "$json" | jq -c '.findings[] | select(.rule == "fk.orphans") | .fix')" \
    '{"action":"add-foreign-key","args":["event_photos","capture_sessions","--column","capture_session_id","--nullify-orphans"]}'
equals "json: coverage" "$(echo "$json" | jq -c '.coverage[] | select(.table == "vehicle_images")')" '{"table":"vehicle_images","rows":12,"with_tenant":9}'
equals "json: every error has a fix" "$(echo "$json" | jq '[.findings[] | select(.severity == "error" and .fix == null)] | length')" 0
equals "json: fingerprints unique" "$(echo "$json" | jq '[.findings[].fingerprint] | unique | length')" "$(echo "$json" | jq '.findings | length')"

expect_rc 0 "a correct table: exit 0" "$PGW" --no-color validate --table vehicles --db "$db"
contains "only that table" "$OUT" "1 table checked (1 scanned, 1 query): 0 errors, 0 warnings, 1 info"
expect_rc 1 "--fail-on info" "$PGW" validate --table vehicles --fail-on info --db "$db"
expect_rc 0 "--category fk --fail-on error? no: orphans" "$PGW" validate --category tenant --table vehicles --db "$db"
expect_rc 1 "--rule" "$PGW" --json validate --rule fk.orphans --db "$db"
equals "--rule keeps one rule" "$(echo "$OUT" | jq -r '[.findings[].rule] | unique | join(",")')" "fk.orphans"
expect_rc 1 "--category" "$PGW" --json validate --category rls --db "$db"
equals "--category keeps one category" "$(echo "$OUT" | jq -r '[.findings[].category] | unique | join(",")')" "rls"
expect_rc 1 "--sample 1" "$PGW" --no-color validate --sample 1 --rule fk.orphans --db "$db"
contains "one sample id" "$OUT" "sample ids: ef000000-0000-4000-8000-000000000008
"
expect_rc 1 "--max-rows 10: large tables skipped" "$PGW" --no-color validate --max-rows 10 --db "$db"
contains "warns" "$ERR" "not scanned, larger than --max-rows 10: vehicles (~22 rows)"
lacks "no coverage of the skipped table" "$OUT" "vehicles: 100.0%"
expect_rc 2 "unknown table" "$PGW" validate --table nope --db "$db"
contains "says so" "$ERR" "table 'nope' does not exist"
expect_rc 2 "unknown rule" "$PGW" validate --rule nope.rule --db "$db"
expect_rc 2 "bad sample" "$PGW" validate --sample x --db "$db"
printf '[project]\nmigrations_dir = supabase/migrations\nignore = rls.weak_policy, rls.disabled, tenant.coverage, tenant.missing_column, fk.orphans\n' > "$SCRATCH/ignore.conf"
expect_rc 0 "config ignore list" "$PGW" --json --config "$SCRATCH/ignore.conf" validate --db "$db"
equals "suppressed counted" "$(echo "$OUT" | jq '.summary.suppressed')" 9

PGWARDEN_FAULT=validate-data-query expect_rc 3 "a failing data query" "$PGW" validate --db "$db"
contains "names the table" "$ERR" "\"public\".\"capture_sessions\": cannot check the data"
equals "data unchanged" "$(counts)" "$before"

# null.violation: a pending migration sets a column NOT NULL that has NULLs
sql "$db" "UPDATE garages SET city = NULL WHERE name = 'Beta East'" >/dev/null
printf 'ALTER TABLE public.garages ALTER COLUMN city SET NOT NULL;\n' > supabase/migrations/20990101000000_city_required.sql
expect_rc 1 "pending SET NOT NULL" "$PGW" --no-color validate --rule null.violation --db "$db"
contains "null.violation" "$OUT" "null.violation  garages: 1 row has NULL in city, which pending migration 20990101000000_city_required.sql sets NOT NULL"
rm supabase/migrations/20990101000000_city_required.sql

# the config's tenant_tables and required_columns
sql "$db" "UPDATE vehicle_images SET caption = NULL WHERE id = '1a000000-0000-4000-8000-000000000001'" >/dev/null
printf '[project]\nmigrations_dir = supabase/migrations\ntenant_tables = profiles\nrequired_columns = garages.city, public.vehicle_images.caption\n' > "$SCRATCH/lists.conf"
expect_rc 1 "config lists" "$PGW" --no-color --config "$SCRATCH/lists.conf" validate --category tenant --category null --db "$db"
contains "tenant_tables" "$OUT" "tenant.missing_column  profiles has no tenant_id column, but the config lists it in tenant_tables"
contains "required_columns" "$OUT" "null.violation  garages: 1 row has NULL in city, which the config declares required"
contains "required_columns, schema-qualified" "$OUT" "null.violation  vehicle_images: 1 row has NULL in caption, which the config declares required"
contains "sample id" "$OUT" "sample ids: 1a000000-0000-4000-8000-000000000001"

# the other rules on a small fixture
db2=$(fresh_db rules) || { fail "cannot make a database"; finish; }
psql "$db2" -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "fixture"
CREATE TABLE tenants (id uuid PRIMARY KEY);
CREATE TABLE projects (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id));
CREATE TABLE tasks (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id), project_id uuid);
CREATE TABLE notes (id int PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants (id));
CREATE TABLE audit (id int PRIMARY KEY, n int CHECK (n > 0));
INSERT INTO tenants VALUES ('a0000000-0000-4000-8000-000000000001');
INSERT INTO projects VALUES ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001');
INSERT INTO tasks VALUES (1, 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001'),
                         (2, 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000009');
ALTER TABLE tasks ADD CONSTRAINT tasks_project_fk FOREIGN KEY (project_id) REFERENCES projects (id) NOT VALID;
ALTER TABLE audit ADD CONSTRAINT audit_n_small CHECK (n < 100) NOT VALID;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenants_read ON tenants FOR SELECT USING (id IS NOT NULL);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_rw ON tasks FOR UPDATE TO authenticated USING (tenant_id = current_setting('app.current_tenant_id', true)::uuid);
CREATE POLICY tasks_anon_write ON tasks FOR INSERT TO PUBLIC WITH CHECK (tenant_id IS NOT NULL AND tenant_id = current_setting('app.current_tenant_id', true)::uuid);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_any ON notes USING (id > 0);
ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_all ON audit USING (true);
-- no TO clause, but auth.uid() is NULL for anon: these never let anon write
CREATE TABLE profiles (id uuid PRIMARY KEY, name text);
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_update ON profiles FOR UPDATE USING (auth.uid() = id);
CREATE POLICY profiles_insert ON profiles FOR INSERT WITH CHECK ((SELECT auth.uid()) = id);
CREATE POLICY profiles_staff ON profiles FOR DELETE USING (auth.role() = 'service_role');
-- ... and this one does (a NULL uid OR a nameless row)
CREATE POLICY profiles_delete ON profiles FOR DELETE USING (auth.uid() = id OR name IS NULL);
-- a public catalogue: read by all, no tenant or owner column — the pattern
CREATE TABLE products (id int PRIMARY KEY, name text);
ALTER TABLE products ENABLE ROW LEVEL SECURITY;
CREATE POLICY products_read ON products FOR SELECT USING (true);
-- ... but a table with an owner column read by all is still reported
CREATE TABLE posts (id int PRIMARY KEY, user_id uuid, body text);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_read ON posts FOR SELECT USING (true);
SQL
# the fixture survives dump → reload (tests/integration/test_roundtrip.sh)
dump_roundtrip "validate fixture" "$db2" supabase -n public
printf '[project]\nmigrations_dir = migrations\n' > "$SCRATCH/rules.conf"
expect_rc 1 "fixture" "$PGW" --json --config "$SCRATCH/rules.conf" validate --db "$db2"
r=$OUT
has() { echo "$r" | jq -r '.findings[] | "\(.rule) \(.message)"'; }
contains "rls.no_policy" "$(has)" "rls.no_policy projects: row-level security is on but no policy exists"
contains "rls.missing_with_check" "$(has)" "rls.missing_with_check policy tasks_rw on tasks (UPDATE) has no WITH CHECK"
contains "rls.weak_policy: public write" "$(has)" "rls.weak_policy policy tasks_anon_write on tasks (INSERT) does not isolate tenants: it lets anonymous users write"
contains "rls.weak_policy: no tenant reference" "$(has)" "rls.weak_policy policy notes_any on notes (ALL) does not isolate tenants: it mentions neither"
contains "rls.weak_policy: true on a table without tenant column" "$(has)" "rls.weak_policy policy audit_all on audit (ALL) does not isolate tenants: its expression is the constant true"
lacks "tenants' own policy is not judged by the tenant column" "$(has)" "policy tenants_read"
lacks "anon: UPDATE USING (auth.uid() = id)" "$(has)" "rls.weak_policy policy profiles_update"
lacks "anon: INSERT WITH CHECK ((SELECT auth.uid()) = id)" "$(has)" "rls.weak_policy policy profiles_insert"
lacks "anon: auth.role() = 'service_role'" "$(has)" "rls.weak_policy policy profiles_staff"
contains "anon: an OR that anon can meet" "$(has)" "rls.weak_policy policy profiles_delete on profiles (DELETE) does not isolate tenants: it lets anonymous users write"
lacks "a public catalogue read by all" "$(has)" "products"
contains "owner column read by all" "$(has)" "rls.weak_policy policy posts_read on posts (SELECT) does not isolate tenants: its expression is the constant true"
contains "fk.not_validated FK" "$(has)" "fk.not_validated tasks: foreign key constraint tasks_project_fk is NOT VALID"
contains "fk.not_validated CHECK" "$(has)" "fk.not_validated audit: check constraint audit_n_small is NOT VALID"
contains "fk.orphans through a NOT VALID FK" "$(has)" "fk.orphans tasks: 1 row points at no row of projects (project_id, foreign key NOT VALID)"
lacks "forced RLS is not reported" "$(has)" "rls.not_forced notes"
equals "hint has the VALIDATE statement" "$(echo "$r" | jq -r '.findings[] | select(.rule == "fk.not_validated" and .object.name == "tasks_project_fk") | .hint')" \
    "fix the offending rows, then: ALTER TABLE public.tasks VALIDATE CONSTRAINT tasks_project_fk;"
# every finding names its table; a policy is named by itself, a constraint too
equals "every finding has object.table" "$(echo "$r" | jq '[.findings[] | select(.object.table == null)] | length')" "0"
equals "policy object" "$(echo "$r" | jq -c '.findings[] | select(.rule == "rls.weak_policy" and .object.name == "tasks_anon_write") | .object')" \
    '{"kind":"policy","schema":"public","name":"tasks_anon_write","table":{"schema":"public","table":"tasks"}}'
equals "constraint object" "$(echo "$r" | jq -c '.findings[] | select(.rule == "fk.not_validated" and .object.name == "tasks_project_fk") | .object.table')" \
    '{"schema":"public","table":"tasks"}'
equals "column object" "$(echo "$r" | jq -c '[.findings[] | select(.rule == "fk.orphans")][0].object')" \
    '{"kind":"column","schema":"public","name":"tasks","column":"project_id","table":{"schema":"public","table":"tasks"}}'
# the fingerprint is what it was when the policy's name read "tasks.tasks_anon_write":
# SHA-256 of rule, kind, schema, name, column, file, each ended by 0x1f
old_fp=$(printf 'rls.weak_policy\037policy\037public\037tasks.tasks_anon_write\037\037\037' | sha256sum | cut -c1-16)
equals "policy fingerprint unchanged" "$(echo "$r" | jq -r '.findings[] | select(.rule == "rls.weak_policy" and .object.name == "tasks_anon_write") | .fingerprint')" "$old_fp"
old_fp=$(printf 'fk.not_validated\037constraint\037public\037tasks_project_fk\037\037\037' | sha256sum | cut -c1-16)
equals "constraint fingerprint unchanged" "$(echo "$r" | jq -r '.findings[] | select(.rule == "fk.not_validated" and .object.name == "tasks_project_fk") | .fingerprint')" "$old_fp"
finish
