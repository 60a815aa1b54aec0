#!/bin/bash
# pgwarden test-migration against a real server: what a migration changes
# in words, the locks its statements take, the rollback check (up → down →
# byte-identical snapshot), failures, the template cache of the local
# sandbox, the tx sandbox, and — every time — a target left exactly as it
# was (inspect --stable + row counts).
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db tm) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE tenants (id int PRIMARY KEY, name text NOT NULL);
           CREATE TABLE vehicles (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants(id), plate text);
           INSERT INTO tenants SELECT g, 't' || g FROM generate_series(1, 3) g;
           INSERT INTO vehicles SELECT g, 1 + g % 3, 'P' || g FROM generate_series(1, 50) g;" >/dev/null

p="$SCRATCH/project"
mkdir -p "$p/migrations" "$p/t"
printf '[project]\nmigrations_dir = migrations\nlock_timeout = 2s\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1

# state — the target as the tests compare it: stable snapshot + row counts
state() {
    "$PGW" -q inspect --stable --out - --db "$db" 2>/dev/null | sha256sum
    sql "$db" "SELECT (SELECT count(*) FROM tenants) || '/' || (SELECT count(*) FROM vehicles)"
}
sandbox_stopped() {
    "$PGW" local status --dir "$p/.pgwarden/sandbox" 2>/dev/null | grep -q "local database: stopped"
}
before=$(state)

# --- a migration that passes, with its rollback file -------------------------
cat > t/20250101000000_notes.sql <<'EOF'
CREATE TABLE notes (
  id int PRIMARY KEY,
  vehicle_id int NOT NULL REFERENCES vehicles(id),
  body text
);
CREATE INDEX notes_vehicle_idx ON notes (vehicle_id);
ALTER TABLE vehicles ADD COLUMN color text;
EOF
cat > t/20250101000000_notes_rollback.sql <<'EOF'
ALTER TABLE vehicles DROP COLUMN color;
DROP TABLE notes;
EOF
expect_rc 0 "passing migration" "$PGW" --no-color test-migration t/20250101000000_notes.sql --db "$db"
contains "says local" "$OUT" "sandbox: local, schema copied"
contains "tables created" "$OUT" "+1 table (notes)"
contains "columns counted" "$OUT" "+4 columns"
contains "the added column named" "$OUT" "vehicles.color"
contains "index named" "$OUT" "+1 index (notes.notes_vehicle_idx)"
contains "locks of the CREATE TABLE" "$OUT" "t/20250101000000_notes.sql:1 CREATE TABLE — AccessExclusiveLock on public.notes"
contains "FK lock on the referenced table" "$OUT" "ShareRowExclusiveLock on public.vehicles"
contains "ALTER TABLE lock" "$OUT" "t/20250101000000_notes.sql:7 ALTER TABLE — AccessExclusiveLock on public.vehicles"
contains "rollback checked" "$OUT" "rollback: restores the schema exactly"
contains "verdict" "$OUT" "result: migration and rollback pass"
equals "target unchanged (snapshot + rows)" "$(state)" "$before"
check "sandbox server stopped afterwards" sandbox_stopped

# the second run starts from the cached template
expect_rc 0 "second run, json" "$PGW" --json test-migration t/20250101000000_notes.sql --db "$db"
contains "cached" "$OUT" '"cached": true'
contains "json changes" "$OUT" '"kind": "table"'
contains "json locks" "$OUT" '"AccessExclusiveLock on public.vehicles"'
contains "json rollback" "$OUT" '"restores": true'
contains "json passed" "$OUT" '"passed": true'
equals "target unchanged after the cached run" "$(state)" "$before"
check "sandbox server stopped again" sandbox_stopped

# --- an incomplete rollback ---------------------------------------------------
cat > t/20250102000000_partial.sql <<'EOF'
ALTER TABLE vehicles ADD COLUMN vin text;
CREATE TABLE garages (id int PRIMARY KEY);
-- pgwarden:down
DROP TABLE garages;
EOF
expect_rc 1 "incomplete rollback" "$PGW" --no-color test-migration t/20250102000000_partial.sql --db "$db"
contains "reported" "$OUT" "the rollback does not restore the schema: after up and down, +1 column (vehicles.vin)"
contains "rule" "$OUT" "[migration.rollback_incomplete]"
contains "result failed" "$OUT" "result: failed"
expect_rc 1 "incomplete rollback, json" "$PGW" --json test-migration t/20250102000000_partial.sql --db "$db"
contains "json rule" "$OUT" '"rule": "migration.rollback_incomplete"'
contains "json restores false" "$OUT" '"restores": false'
equals "target unchanged" "$(state)" "$before"

# --- a migration that fails in the sandbox ------------------------------------
cat > t/20250103000000_broken.sql <<'EOF'
CREATE TABLE parts (id int PRIMARY KEY);
ALTER TABLE vehicles ADD CONSTRAINT vehicles_part_fk FOREIGN KEY (part_id) REFERENCES parts(id);
-- pgwarden:down
DROP TABLE parts;
EOF
expect_rc 1 "failing migration" "$PGW" --no-color test-migration t/20250103000000_broken.sql --db "$db"
contains "file and line" "$OUT" "'t/20250103000000_broken.sql' fails in the sandbox at line 2"
contains "server's words" "$OUT" 'column "part_id" referenced in foreign key constraint does not exist'
equals "never reached the target" "$(sql "$db" "SELECT to_regclass('parts') IS NULL")" "t"
equals "target unchanged" "$(state)" "$before"

# --- no rollback, a rollback that fails ---------------------------------------
echo "CREATE TABLE lonely (id int);" > t/20250104000000_lonely.sql
expect_rc 1 "no rollback" "$PGW" --no-color test-migration t/20250104000000_lonely.sql --db "$db"
contains "says so" "$OUT" "'t/20250104000000_lonely.sql' has no rollback [migration.no_rollback]"
printf 'CREATE TABLE x2 (id int);\n-- pgwarden:down\nDROP TABLE nope;\n' > t/20250105000000_badback.sql
expect_rc 1 "failing rollback" "$PGW" --no-color test-migration t/20250105000000_badback.sql --db "$db"
contains "rollback failure" "$OUT" "the rollback 't/20250105000000_badback.sql' fails in the sandbox at line 3"

# --- several files: ups in order, rollbacks in reverse -------------------------
printf 'ALTER TABLE notes ADD COLUMN seen boolean;\n-- pgwarden:down\nALTER TABLE notes DROP COLUMN seen;\n' > t/20250106000000_seen.sql
expect_rc 0 "two files" "$PGW" --no-color test-migration t/20250101000000_notes.sql t/20250106000000_seen.sql --db "$db"
contains "both changes (4 + 1 columns)" "$OUT" "+1 table (notes), +5 columns"
contains "rollback of the second first" "$OUT" "rollback t/20250106000000_seen.sql:3"

# --- statements outside a transaction -----------------------------------------
printf 'CREATE INDEX CONCURRENTLY vehicles_plate_idx ON vehicles (plate);\n-- pgwarden:down\nDROP INDEX CONCURRENTLY vehicles_plate_idx;\n' > t/20250107000000_conc.sql
expect_rc 0 "CONCURRENTLY in the local sandbox" "$PGW" --no-color test-migration t/20250107000000_conc.sql --db "$db"
contains "locks not observed" "$OUT" "locks not observed (outside a transaction)"
contains "index created" "$OUT" "+1 index (vehicles.vehicles_plate_idx)"

# --- the tx sandbox -------------------------------------------------------------
expect_rc 0 "tx sandbox passes" "$PGW" --no-color test-migration --sandbox tx t/20250101000000_notes.sql --db "$db"
contains "says tx" "$OUT" "sandbox: tx (rolled back afterwards"
contains "same words" "$OUT" "+1 table (notes)"
equals "target unchanged after tx" "$(state)" "$before"
# what a transaction cannot hold is pushed to a local sandbox
expect_rc 0 "tx sandbox: CONCURRENTLY pushed to local" "$PGW" --no-color test-migration --sandbox tx t/20250107000000_conc.sql --db "$db"
contains "pushed" "$OUT" "pushed from tx: t/20250107000000_conc.sql:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction"
contains "tried locally" "$OUT" "sandbox: local"
contains "index created there" "$OUT" "+1 index (vehicles.vehicles_plate_idx)"
contains "said on stderr" "$ERR" "not testable in a transaction"
expect_rc 0 "tx sandbox pushed, json" "$PGW" --json test-migration --sandbox tx t/20250107000000_conc.sql --db "$db"
contains "json kind" "$OUT" '"kind": "local"'
contains "json pushed_from" "$OUT" '"pushed_from": "tx"'
# ... and stays untestable where there are no PostgreSQL binaries
PGWARDEN_PG_BINDIR=/nonexistent expect_rc 1 "tx sandbox without binaries: not testable" "$PGW" --no-color test-migration --sandbox tx t/20250107000000_conc.sql --db "$db"
contains "not testable" "$OUT" "CREATE INDEX CONCURRENTLY cannot run inside the sandbox transaction"
contains "rule" "$OUT" "[migration.untestable]"
lacks "not pushed" "$OUT" "pushed from tx"
expect_rc 1 "tx sandbox: failing migration" "$PGW" --no-color test-migration --sandbox tx t/20250103000000_broken.sql --db "$db"
contains "tx failure" "$OUT" "fails in the sandbox at line 2"
expect_rc 1 "tx sandbox: incomplete rollback" "$PGW" --no-color test-migration --sandbox tx t/20250102000000_partial.sql --db "$db"
contains "tx incomplete" "$OUT" "+1 column (vehicles.vin)"
equals "target unchanged after the tx failures" "$(state)" "$before"
equals "no transaction left open" "$(sql "$db" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")" "0"

# --- a URL with a password: pg_dump gets it through its environment -----------
# (the test cluster trusts local connections, so any password works; the
# point is that the conninfo rebuilt without it still reaches the target)
sql "$db" "CREATE TABLE pw_probe (id int)" >/dev/null
pwurl=$(echo "$db" | sed 's|://\([^@]*\)@|://\1:s3cret@|')
expect_rc 0 "password URL" "$PGW" --no-color test-migration t/20250101000000_notes.sql --db "$pwurl"
contains "new template (pw_probe changed the schema)" "$OUT" "schema copied"
lacks "no password printed" "$OUT$ERR" "s3cret"
sql "$db" "DROP TABLE pw_probe" >/dev/null

# --- --with-data N: a sample of the target's rows, foreign keys kept ---------------
# tenants 1..3, vehicles 1..50 (tenant 1 + id % 3): a sample of 2 rows each
# takes tenants 1, 2 and vehicles 1 (tenant 2), 2 (tenant 3: no parent in the
# sample, so left out)
cat > t/20250109000000_counts.sql <<'EOF'
DO $$
BEGIN
  IF (SELECT count(*) FROM tenants) <> 2 OR (SELECT count(*) FROM vehicles) <> 1
     OR EXISTS (SELECT 1 FROM vehicles v WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = v.tenant_id)) THEN
    RAISE EXCEPTION 'sample: % tenants, % vehicles', (SELECT count(*) FROM tenants), (SELECT count(*) FROM vehicles);
  END IF;
END $$;
-- pgwarden:down
SELECT 1;
EOF
expect_rc 0 "the sample: N rows, no orphan" "$PGW" --no-color test-migration --with-data 2 t/20250109000000_counts.sql --db "$db"
contains "says with data" "$OUT" "with a data sample"
expect_rc 1 "without data the tables are empty" "$PGW" --no-color test-migration t/20250109000000_counts.sql --db "$db"
contains "empty" "$OUT" "sample: 0 tenants, 0 vehicles"
# a check the target's rows break: passes on the schema alone, fails with data
printf "ALTER TABLE vehicles ADD CONSTRAINT plate_not_p CHECK (plate NOT LIKE 'P%%');\n-- pgwarden:down\nALTER TABLE vehicles DROP CONSTRAINT plate_not_p;\n" > t/20250110000000_check.sql
expect_rc 0 "data-only failure passes without data" "$PGW" --no-color test-migration t/20250110000000_check.sql --db "$db"
expect_rc 1 "data-only failure fails with data" "$PGW" --no-color test-migration --with-data 2 t/20250110000000_check.sql --db "$db"
contains "the rows say why" "$OUT" "is violated by some row"
# a validated foreign key made again over the sample holds
printf 'ALTER TABLE vehicles DROP CONSTRAINT vehicles_tenant_id_fkey;\nALTER TABLE vehicles ADD CONSTRAINT vehicles_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id);\n-- pgwarden:down\nALTER TABLE vehicles DROP CONSTRAINT vehicles_tenant_fk;\nALTER TABLE vehicles ADD CONSTRAINT vehicles_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);\n' > t/20250111000000_fk.sql
expect_rc 0 "an FK validated over the sample" "$PGW" --no-color test-migration --with-data 2 t/20250111000000_fk.sql --db "$db"
expect_rc 0 "with data, json" "$PGW" --json test-migration --with-data 2 t/20250109000000_counts.sql --db "$db"
contains "json with_data" "$OUT" '"with_data": 2'
expect_rc 2 "--with-data with --sandbox tx" "$PGW" test-migration --with-data 2 --sandbox tx t/20250109000000_counts.sql --db "$db"
contains "usage says why" "$ERR" "--with-data does not go with --sandbox tx"
expect_rc 2 "--with-data 0" "$PGW" test-migration --with-data 0 t/20250109000000_counts.sql --db "$db"
equals "target unchanged after the samples" "$(state)" "$before"

# --- bad input --------------------------------------------------------------------
printf 'CREATE TABLE y (id int;\n' > t/20250108000000_syntax.sql
expect_rc 4 "syntax error" "$PGW" test-migration t/20250108000000_syntax.sql --db "$db"
contains "file:line, as given" "$ERR" "t/20250108000000_syntax.sql:1:"
expect_rc 4 "missing file" "$PGW" test-migration t/nope.sql --db "$db"
expect_rc 4 "a rollback given" "$PGW" test-migration t/20250101000000_notes_rollback.sql --db "$db"
contains "says rollback" "$ERR" "is a rollback"
expect_rc 2 "unknown sandbox" "$PGW" test-migration --sandbox docker t/20250101000000_notes.sql --db "$db"
expect_rc 2 "no file" "$PGW" test-migration --db "$db"
expect_rc 3 "unreachable target" "$PGW" test-migration t/20250101000000_notes.sql --db "postgresql://nobody@127.0.0.1:1/x?connect_timeout=2"

equals "target unchanged at the end" "$(state)" "$before"
check "sandbox server stopped at the end" sandbox_stopped
finish
