#!/bin/bash
# pgwarden migrate up --safe (and smart-migrate): lint, pre-flight against
# the live database, sandbox trial with the rollback check, apply,
# post-verification — a migration failing any check never reaches the
# target; a divergent target (PGWARDEN_FAULT=safe:diverge) is caught before
# a transactional migration commits (never recorded), and after a
# non-transactional one, which its rollback file undoes (exit 5 either way).
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db safe) || { fail "cannot make a database"; finish; }
p="$SCRATCH/project"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\nlock_timeout = 2s\nlock_retries = 1\nexposed_schemas = api\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1

state() {
    sql "$1" "SELECT coalesce(string_agg(version || ':' || status, ' ' ORDER BY version), '') FROM pgwarden.schema_migrations"
}
sandbox_stopped() {
    "$PGW" local status --dir "$p/.pgwarden/sandbox" 2>/dev/null | grep -q "local database: stopped"
}

# --- a passing batch: applied, recorded, verified ------------------------------
cat > migrations/1_tenants.sql <<'EOF'
CREATE TABLE tenants (id int PRIMARY KEY, name text NOT NULL);
-- pgwarden:down
DROP TABLE tenants;
EOF
cat > migrations/2_vehicles.sql <<'EOF'
CREATE TABLE vehicles (id int PRIMARY KEY, owner_id int NOT NULL REFERENCES tenants(id), plate text);
CREATE INDEX vehicles_owner_idx ON vehicles (owner_id);
-- pgwarden:down
DROP TABLE vehicles;
EOF
expect_rc 0 "safe up of two" "$PGW" --no-color migrate up --safe --db "$db"
contains "pending" "$OUT" "pending: 2"
contains "step line" "$OUT" "[2/2] 2_vehicles.sql"
contains "checks in a row" "$OUT" "syntax ok · lint ok"
contains "pre-flight names the table it uses (made by the batch: not listed)" "$OUT" "pre-flight ok"
contains "sandbox words" "$OUT" "+1 table (vehicles), +3 columns"
contains "rollback checked" "$OUT" "rollback restores ok"
contains "the second migration is tried in the first's sandbox, not a new dump" "$OUT" "sandbox (local, kept from the last migration): +1 table (vehicles)"
contains "no backup needed" "$OUT" "backup: not needed (nothing in it deletes data)"
contains "verified" "$OUT" "· verified"
contains "summary" "$OUT" "applied 2 migrations safely"
equals "recorded" "$(state "$db")" "1:applied 2:applied"
check "sandbox server stopped" sandbox_stopped
sql "$db" "INSERT INTO tenants VALUES (1, 'a'); INSERT INTO vehicles VALUES (1, 1, 'X')" >/dev/null
# the verify reads of the target went through the snapshot cache (a file of
# its own, 0600); --no-cache goes with --safe only
equals "the target's schema cached" "$(find .pgwarden/cache -name '*.snap' -perm 600 2>/dev/null | wc -l)" 1
expect_rc 2 "--no-cache without --safe" "$PGW" migrate up --no-cache --db "$db"
contains "says so" "$ERR" "--no-cache goes with --safe"

# pre-flight lists what the migration uses on the live database
printf 'ALTER TABLE vehicles ADD COLUMN color text;\n-- pgwarden:down\nALTER TABLE vehicles DROP COLUMN color;\n' > migrations/3_color.sql
rm -rf .pgwarden/cache
expect_rc 0 "smart-migrate alias" "$PGW" --no-color smart-migrate --no-cache --db "$db"
equals "--no-cache: no cache written" "$(find .pgwarden/cache -name '*.snap' 2>/dev/null | wc -l)" 0
contains "references" "$OUT" "pre-flight ok (references vehicles)"
contains "column" "$OUT" "+1 column (vehicles.color)"
equals "recorded" "$(state "$db")" "1:applied 2:applied 3:applied"

# --- pre-flight: a missing table stops before anything runs ---------------------
printf 'ALTER TABLE garages ADD COLUMN city text;\n-- pgwarden:down\nALTER TABLE garages DROP COLUMN city;\n' > migrations/4_garages.sql
expect_rc 1 "missing table" "$PGW" --no-color migrate up --safe --db "$db"
contains "names it" "$OUT" "4_garages.sql: line 1: relation 'garages' does not exist"
contains "stopped" "$OUT" "stopped at 4_garages.sql"
equals "not recorded" "$(state "$db")" "1:applied 2:applied 3:applied"
expect_rc 1 "missing table, json" "$PGW" --json migrate up --safe --db "$db"
contains "json problem" "$OUT" "relation 'garages' does not exist"
contains "json stopped_at" "$OUT" '"stopped_at": "preflight"'
# already exists, unless IF NOT EXISTS
printf 'CREATE TABLE tenants (id int);\n-- pgwarden:down\nSELECT 1;\n' > migrations/4_garages.sql
expect_rc 1 "exists already" "$PGW" --no-color migrate up --safe --db "$db"
contains "says it exists" "$OUT" "line 1: table 'tenants' already exists"
rm migrations/4_garages.sql
# columns: used, added, dropped and renamed — earlier statements and earlier
# migrations of the batch count
cat > migrations/4_garages.sql <<'EOF'
ALTER TABLE vehicles ADD COLUMN plate text;
ALTER TABLE vehicles ADD COLUMN IF NOT EXISTS plate text;
ALTER TABLE vehicles RENAME COLUMN color TO colour;
CREATE INDEX vehicles_colour_idx ON vehicles (colour);
UPDATE vehicles SET color = 'x';
COMMENT ON COLUMN vehicles.nope IS 'x';
ALTER TABLE vehicles ADD CONSTRAINT vehicles_owner_fk FOREIGN KEY (owner_id) REFERENCES tenants (nid);
CREATE TABLE garages (id int PRIMARY KEY, name text);
CREATE INDEX garages_city_idx ON garages (city);
ALTER TABLE garages ADD COLUMN city text;
CREATE INDEX garages_city2_idx ON garages (city);
ALTER TABLE vehicles DROP COLUMN colour;
ALTER TABLE vehicles ALTER COLUMN colour SET NOT NULL;
ALTER TABLE vehicles DROP COLUMN IF EXISTS wheels;
-- pgwarden:down
SELECT 1;
EOF
allow="--allow locking.create_index_not_concurrent --allow locking.constraint_not_valid --allow locking.set_not_null"
expect_rc 1 "column problems" "$PGW" --no-color migrate up --safe $allow --db "$db"
contains "add an existing column" "$OUT" "line 1: column 'vehicles.plate' already exists"
lacks "IF NOT EXISTS tolerated" "$OUT" "line 2:"
lacks "renamed column found" "$OUT" "line 4:"
contains "the old name is gone" "$OUT" "line 5: column 'vehicles.color' does not exist"
contains "comment on a missing column" "$OUT" "line 6: column 'vehicles.nope' does not exist"
contains "referenced column" "$OUT" "line 7: column 'tenants.nid' does not exist"
contains "a new table's columns are known" "$OUT" "line 9: column 'garages.city' does not exist"
lacks "added in the batch" "$OUT" "line 11:"
contains "dropped in the batch" "$OUT" "line 13: column 'vehicles.colour' does not exist"
lacks "IF EXISTS tolerated" "$OUT" "line 14:"
equals "nothing applied" "$(state "$db")" "1:applied 2:applied 3:applied"
expect_rc 1 "column problems, json" "$PGW" --json migrate up --safe $allow --db "$db"
contains "json problem" "$OUT" "line 5: column 'vehicles.color' does not exist"
# a column added by an earlier migration of the same batch
printf 'ALTER TABLE vehicles ADD COLUMN seats int;\n-- pgwarden:down\nALTER TABLE vehicles DROP COLUMN seats;\n' > migrations/4_garages.sql
printf 'ALTER TABLE vehicles ALTER COLUMN seats SET DEFAULT 4;\nCOMMENT ON COLUMN vehicles.seats IS $$seats$$;\n-- pgwarden:down\nALTER TABLE vehicles ALTER COLUMN seats DROP DEFAULT;\nCOMMENT ON COLUMN vehicles.seats IS NULL;\n' > migrations/41_seats.sql
expect_rc 0 "a column from the batch" "$PGW" --no-color migrate up --safe --db "$db"
equals "both applied" "$(state "$db")" "1:applied 2:applied 3:applied 4:applied 41:applied"
expect_rc 0 "undo them" "$PGW" migrate down 2 --db "$db"
rm migrations/4_garages.sql migrations/41_seats.sql

# --- a migration that fails in the sandbox never reaches the target --------------
cat > migrations/5_bad.sql <<'EOF'
CREATE TABLE parts (id int PRIMARY KEY);
ALTER TABLE parts ADD CONSTRAINT parts_nope_check CHECK (nope > 0);
-- pgwarden:down
DROP TABLE parts;
EOF
expect_rc 1 "sandbox failure" "$PGW" --no-color migrate up --safe --db "$db"
contains "sandbox says why" "$OUT" "fails in the sandbox at line 2"
equals "parts never made" "$(sql "$db" "SELECT to_regclass('parts') IS NULL")" "t"
equals "not recorded" "$(state "$db")" "1:applied 2:applied 3:applied"
# an incomplete rollback stops it too
cat > migrations/5_bad.sql <<'EOF'
CREATE TABLE parts (id int PRIMARY KEY);
ALTER TABLE vehicles ADD COLUMN vin text;
-- pgwarden:down
DROP TABLE parts;
EOF
expect_rc 1 "incomplete rollback" "$PGW" --no-color migrate up --safe --db "$db"
contains "rollback finding" "$OUT" "[migration.rollback_incomplete]"
equals "vin never added" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE column_name = 'vin'")" "0"
# no rollback: stopped, and the report says a rollback can be derived
printf 'CREATE TABLE parts (id int PRIMARY KEY);\n' > migrations/5_bad.sql
expect_rc 1 "no rollback" "$PGW" --no-color migrate up --safe --db "$db"
contains "no rollback finding" "$OUT" "'migrations/5_bad.sql' has no rollback [migration.no_rollback]"
contains "hint names --write-rollback" "$OUT" "hint: write migrations/5_bad_rollback.sql, or a '-- pgwarden:down' section; or let 'pgwarden test-migration migrations/5_bad.sql --write-rollback'"
contains "the option" "$OUT" "--write-rollback' derive one and verify it"
equals "parts never made" "$(sql "$db" "SELECT to_regclass('parts') IS NULL")" "t"
rm migrations/5_bad.sql

# --- lint errors stop unless --allow ------------------------------------------------
printf 'CREATE TABLE api.things (id int);\n-- pgwarden:down\nDROP TABLE api.things;\n' > migrations/6_api.sql
sql "$db" "CREATE SCHEMA api" >/dev/null
expect_rc 1 "lint error" "$PGW" --no-color migrate up --safe --db "$db"
contains "lint named" "$OUT" "lint: 1 error"
contains "rule shown" "$OUT" "[rls.table_without_rls]"
equals "not made" "$(sql "$db" "SELECT to_regclass('api.things') IS NULL")" "t"
expect_rc 0 "--allow the rule" "$PGW" --no-color migrate up --safe --allow rls.table_without_rls --db "$db"
equals "made" "$(sql "$db" "SELECT to_regclass('api.things') IS NOT NULL")" "t"
expect_rc 2 "--allow an unknown rule" "$PGW" migrate up --safe --allow no.such --db "$db"
expect_rc 2 "--allow without --safe" "$PGW" migrate up --allow rls.table_without_rls --db "$db"
expect_rc 2 "--safe --dry-run" "$PGW" migrate up --safe --dry-run --db "$db"

# --- the divergence hook: caught before the COMMIT, never committed ----------------
printf 'ALTER TABLE vehicles ADD COLUMN model text;\nCREATE TABLE models (id int);\n-- pgwarden:down\nDROP TABLE models;\nALTER TABLE vehicles DROP COLUMN model;\n' > migrations/7_model.sql
rows_before=$(sql "$db" "SELECT count(*) FROM vehicles")
PGWARDEN_FAULT=safe:diverge expect_rc 5 "divergent target" "$PGW" --no-color migrate up --safe --db "$db"
contains "says it" "$OUT" "verification failed"
contains "names the difference" "$OUT" "the target differs from the sandbox's result: +1 table (pgwarden_fault_diverge)"
contains "not committed" "$OUT" "not committed: rolled back, nothing of it was applied or recorded"
contains "error" "$ERR" "'migrations/7_model.sql' failed post-verification and was not committed"
equals "column never there" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE column_name = 'model'")" "0"
equals "table never there" "$(sql "$db" "SELECT to_regclass('models') IS NULL")" "t"
equals "never recorded, not even as failed" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '7'")" "0"
equals "history as before" "$(state "$db")" "1:applied 2:applied 3:applied 6:applied"
equals "rows kept" "$(sql "$db" "SELECT count(*) FROM vehicles")" "$rows_before"
sql "$db" "DROP TABLE pgwarden_fault_diverge" >/dev/null
PGWARDEN_FAULT=safe:diverge expect_rc 5 "divergent target, json" "$PGW" --json migrate up --safe --db "$db"
contains "json rolled back" "$OUT" '"status": "rolled back"'
contains "json verify" "$OUT" '"schema_matches_sandbox": false'
contains "json not committed" "$OUT" '"committed": false'
contains "json verified inside the transaction" "$OUT" '"before_commit": true'
contains "json exit code" "$OUT" '"exit_code": 5'
equals "not recorded (json)" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '7'")" "0"
sql "$db" "DROP TABLE pgwarden_fault_diverge" >/dev/null
expect_rc 0 "without the fault it goes through" "$PGW" --json migrate up --safe --db "$db"
contains "json verified" "$OUT" '"schema_matches_sandbox": true'
contains "json committed" "$OUT" '"committed": true'
contains "json applied" "$OUT" '"status": "applied"'
equals "recorded" "$(state "$db")" "1:applied 2:applied 3:applied 6:applied 7:applied"

# --- not one transaction (CREATE INDEX CONCURRENTLY): verified after, undone by
# its rollback file ------------------------------------------------------------------
printf 'CREATE INDEX CONCURRENTLY vehicles_plate_idx ON vehicles (plate);\n-- pgwarden:down\nDROP INDEX CONCURRENTLY vehicles_plate_idx;\n' > migrations/75_plate.sql
PGWARDEN_FAULT=safe:diverge expect_rc 5 "divergent target, statements mode" "$PGW" --no-color migrate up --safe --sandbox tx --db "$db"
contains "tx cannot hold it: pushed to local" "$OUT" "sandbox (local, pushed from tx)"
contains "applied first" "$OUT" "applied ("
contains "then verification failed" "$OUT" "verification failed"
contains "rollback file ran" "$OUT" "rolled back by its rollback file"
contains "error" "$ERR" "'migrations/75_plate.sql' failed post-verification and was rolled back"
equals "index gone" "$(sql "$db" "SELECT to_regclass('vehicles_plate_idx') IS NULL")" "t"
equals "history row gone" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '75'")" "0"
sql "$db" "DROP TABLE pgwarden_fault_diverge" >/dev/null
rm migrations/75_plate.sql

# --- post-verification: a new validate error rolls the migration back ----------------
# (a tenant column on a table without row-level security: validate's error)
printf 'ALTER TABLE vehicles ADD COLUMN tenant_id int;\n-- pgwarden:down\nALTER TABLE vehicles DROP COLUMN tenant_id;\n' > migrations/8_tenant.sql
expect_rc 5 "new validate error" "$PGW" --no-color migrate up --safe --db "$db"
contains "says validate" "$OUT" "validate finds 2 new errors: vehicles:"
contains "rolled back" "$OUT" "rolled back"
equals "column gone" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'vehicles' AND column_name = 'tenant_id'")" "0"
equals "not recorded" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '8'")" "0"
rm migrations/8_tenant.sql

# --- --with-data: a migration the target's rows break stops in the sandbox ---------
printf 'ALTER TABLE vehicles ADD CONSTRAINT vehicles_plate_lower CHECK (plate = lower(plate));\n-- pgwarden:down\nALTER TABLE vehicles DROP CONSTRAINT vehicles_plate_lower;\n' > migrations/85_lower.sql
expect_rc 1 "with a data sample the sandbox sees the rows" "$PGW" --no-color migrate up --safe --with-data 10 --allow locking.constraint_not_valid --db "$db"
contains "sandbox with data" "$OUT" "sandbox (local, with data): the migration fails"
contains "the check fails there" "$OUT" "is violated by some row"
equals "not recorded" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '85'")" "0"
expect_rc 5 "without it, the target's rows stop it at the apply" "$PGW" --no-color migrate up --safe --allow locking.constraint_not_valid --db "$db"
contains "sandbox passed" "$OUT" "rollback restores ok"
equals "not recorded either" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '85'")" "0"
expect_rc 2 "--with-data with --sandbox tx" "$PGW" migrate up --safe --with-data 10 --sandbox tx --db "$db"
contains "says why" "$ERR" "--with-data does not go with --sandbox tx"
expect_rc 2 "--with-data without --safe" "$PGW" migrate up --with-data 10 --db "$db"
rm migrations/85_lower.sql

# --- the tx sandbox -----------------------------------------------------------------
printf 'CREATE TABLE drivers (id int PRIMARY KEY);\n-- pgwarden:down\nDROP TABLE drivers;\n' > migrations/9_drivers.sql
expect_rc 0 "tx sandbox" "$PGW" --no-color migrate up --safe --sandbox tx --db "$db"
contains "tx named" "$OUT" "sandbox (tx): +1 table (drivers)"
equals "recorded" "$(sql "$db" "SELECT status FROM pgwarden.schema_migrations WHERE version = '9'")" "applied"
expect_rc 0 "nothing pending" "$PGW" --no-color smart-migrate --db "$db"
contains "nothing" "$OUT" "nothing to apply"

# --- pre-flight: valid migrations are not refused ---------------------------------
# one name qualified here and not there, renames then use, a column added to
# a partitioned table then used on a partition, IF NOT EXISTS on a table that
# is there already
sql "$db" "CREATE TABLE pf1 (id int); CREATE TABLE pf2 (a int); CREATE TABLE pf6 (a int);
           CREATE TABLE pf3 (id int, b int); CREATE TABLE pf4 (id int);
           CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);
           CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" >/dev/null
cat > migrations/95_valid.sql <<'EOF'
ALTER TABLE public.pf1 ADD COLUMN x int;
CREATE INDEX pf1_x ON pf1 (x);
ALTER TABLE pf2 RENAME COLUMN a TO b;
UPDATE public.pf2 SET b = 1;
ALTER TABLE public.pf6 DROP COLUMN a;
ALTER TABLE pf6 ADD COLUMN a text;
ALTER TABLE ev ADD COLUMN kind text;
CREATE INDEX ev_2024_kind ON ev_2024 (kind);
CREATE TABLE IF NOT EXISTS pf3 (id int);
CREATE INDEX IF NOT EXISTS pf3_b ON pf3 (b);
ALTER TABLE pf4 RENAME TO pf4b;
ALTER TABLE pf4b ADD COLUMN y int;
CREATE TABLE pf9 (id int);
ALTER TABLE public.pf9 ADD COLUMN z int;
-- pgwarden:down
DROP TABLE public.pf9;
ALTER TABLE pf4b DROP COLUMN y;
ALTER TABLE pf4b RENAME TO pf4;
DROP INDEX pf3_b;
DROP INDEX ev_2024_kind;
ALTER TABLE ev DROP COLUMN kind;
ALTER TABLE pf6 DROP COLUMN a;
ALTER TABLE pf6 ADD COLUMN a int;
ALTER TABLE pf2 RENAME COLUMN b TO a;
DROP INDEX pf1_x;
ALTER TABLE pf1 DROP COLUMN x;
EOF
"$PGW" --no-color migrate up --safe --allow locking.create_index_not_concurrent --db "$db" > "$SCRATCH/valid.out" 2>&1
contains "valid migration passes pre-flight" "$(cat "$SCRATCH/valid.out")" "pre-flight ok"
lacks "no column or relation problem" "$(cat "$SCRATCH/valid.out")" "does not exist"
lacks "nothing said to exist already" "$(cat "$SCRATCH/valid.out")" "already exists"
contains "and it applies" "$(cat "$SCRATCH/valid.out")" "applied 1 migration safely"

check "sandbox server stopped at the end" sandbox_stopped
finish
