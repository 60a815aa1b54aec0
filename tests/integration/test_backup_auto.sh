#!/bin/bash
# migrate up --safe takes a backup before a migration that deletes data
# (dropped column, DELETE without WHERE, ...) and names it; the data comes
# back with restore; --no-backup and [backup] before_destructive = false
# skip it; a backup that fails stops the migration before it runs; a
# migration that fails after its backup points at `pgwarden restore PATH`.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db auto) || { fail "cannot make a database"; finish; }
p="$SCRATCH/project"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\nlock_timeout = 2s\nlock_retries = 1\nexposed_schemas = api\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
BK="$p/.pgwarden/backups"
nbackups() { ls "$BK" 2>/dev/null | wc -l; }

cat > migrations/1_vehicles.sql <<'SQL'
CREATE TABLE vehicles (id int PRIMARY KEY, plate text, color text);
-- pgwarden:down
DROP TABLE vehicles;
SQL
expect_rc 0 "a migration that deletes nothing" "$PGW" --no-color migrate up --safe --db "$db"
contains "no backup needed" "$OUT" "backup: not needed (nothing in it deletes data)"
equals "no backup taken" "$(nbackups)" 0
sql "$db" "INSERT INTO vehicles SELECT g, 'P' || g, CASE WHEN g % 2 = 0 THEN 'red' ELSE 'blue' END FROM generate_series(1, 50) g" >/dev/null

# --- a dropped column: backup first, data back with restore --------------------
cat > migrations/2_drop_color.sql <<'SQL'
ALTER TABLE vehicles DROP COLUMN color;
-- pgwarden:down
ALTER TABLE vehicles ADD COLUMN color text;
SQL
expect_rc 0 "drop column, backed up" "$PGW" --no-color migrate up --safe --db "$db"
contains "says why and where" "$OUT" "backup (it deletes data: 2_drop_color.sql:1: destructive.drop_column): .pgwarden/backups/"
contains "applied" "$OUT" "applied 1 migration safely"
equals "one backup" "$(nbackups)" 1
b=$(ls -d "$BK"/* | head -1)
contains "the reason is in the manifest" "$(cat "$b/manifest.json")" '"reason": "before migrate up --safe: 2_drop_color.sql:1: destructive.drop_column"'
contains "the manifest has the migration before it" "$(cat "$b/manifest.json")" '"version": "1"'
equals "column gone" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'vehicles' AND column_name = 'color'")" 0
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS auto_back WITH (FORCE)" >/dev/null
expect_rc 0 "restore the backup" "$PGW" --no-color restore "$b" --create auto_back --db "$db"
contains "matches" "$OUT" "matches the backup"
equals "the colors are back" "$(sql "$(db_url auto_back)" "SELECT count(*) FILTER (WHERE color = 'red') || '/' || count(*) FILTER (WHERE color = 'blue') FROM vehicles")" "25/25"
expect_rc 0 "backup list names why" "$PGW" --no-color backup list
contains "reason" "$OUT" "(before migrate up --safe: 2_drop_color.sql:1: destructive.drop_column)"

# --- JSON names the backup and the command that restores it --------------------
cat > migrations/3_wipe.sql <<'SQL'
DELETE FROM vehicles;
-- pgwarden:down
SELECT 1;
SQL
expect_rc 0 "DELETE without WHERE, json" "$PGW" --json migrate up --safe --db "$db"
contains "needed" "$OUT" '"needed": true'
contains "why" "$OUT" "3_wipe.sql:1: DELETE without WHERE"
contains "restore command" "$OUT" '"restore": "pgwarden restore '
equals "two backups" "$(nbackups)" 2
sql "$db" "INSERT INTO vehicles SELECT g, 'P' || g FROM generate_series(1, 10) g" >/dev/null

# --- skipped on request --------------------------------------------------------
printf 'TRUNCATE vehicles;\n-- pgwarden:down\nSELECT 1;\n' > migrations/4_truncate.sql
expect_rc 0 "--no-backup" "$PGW" --no-color migrate up --safe --no-backup --db "$db"
contains "skipped" "$OUT" "backup: skipped (--no-backup) although it deletes data: 4_truncate.sql:1: destructive.truncate"
equals "still two" "$(nbackups)" 2
expect_rc 2 "--no-backup needs --safe" "$PGW" migrate up --no-backup --db "$db"
printf 'ALTER TABLE vehicles ALTER COLUMN plate TYPE varchar(20);\n-- pgwarden:down\nALTER TABLE vehicles ALTER COLUMN plate TYPE text;\n' > migrations/5_plate.sql
printf '[project]\nmigrations_dir = migrations\nlock_timeout = 2s\nlock_retries = 1\nexposed_schemas = api\n[backup]\nbefore_destructive = false\n' > pgwarden.conf
expect_rc 0 "config off" "$PGW" --no-color migrate up --safe --db "$db"
contains "skipped by config" "$OUT" "backup: skipped ([backup] before_destructive = false)"
equals "still two (config)" "$(nbackups)" 2
printf '[project]\nmigrations_dir = migrations\nlock_timeout = 2s\nlock_retries = 1\nexposed_schemas = api\n' > pgwarden.conf

# --- a backup that fails: the migration does not run ------------------------------
sql "$db" "INSERT INTO vehicles SELECT g, 'P' || g FROM generate_series(1, 10) g" >/dev/null
printf 'ALTER TABLE vehicles DROP COLUMN plate;\n-- pgwarden:down\nALTER TABLE vehicles ADD COLUMN plate varchar(20);\n' > migrations/6_drop_plate.sql
expect_rc 3 "backup fails" env PGWARDEN_FAULT=backup:disk-full "$PGW" --no-color migrate up --safe --db "$db"
contains "says so" "$ERR" "cannot back up before '6_drop_plate.sql', so it was not applied"
contains "hint" "$ERR" "--no-backup"
equals "column still there" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'vehicles' AND column_name = 'plate'")" 1
equals "not recorded" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '6'")" 0
equals "no folder from the failed backup" "$(ls -A "$BK" | wc -l)" 2

# --- a migration that fails after its backup points at restore ------------------
expect_rc 5 "diverged target, rolled back" env PGWARDEN_FAULT=safe:diverge "$PGW" --no-color migrate up --safe --db "$db"
contains "backup taken" "$OUT" "backup (it deletes data: 6_drop_plate.sql:1: destructive.drop_column): .pgwarden/backups/"
b3=$(ls -d "$BK"/* | tail -1)
contains "points at restore with the path" "$ERR" "pgwarden restore $b3"
sql "$db" "DROP TABLE IF EXISTS public.pgwarden_fault_diverge" >/dev/null

sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS auto_back WITH (FORCE)" >/dev/null
finish
