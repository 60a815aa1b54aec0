#!/bin/bash
# pgwarden backup and restore, the checks: a corrupted, truncated or
# manifest-less backup is refused before anything is touched; a dead
# target, a full disk (fault) and a failed verification leave no folder;
# restore over a database (--clean --yes takes a backup first); backup
# list, --keep; an older pg_dump is refused; the password never reaches
# pg_dump's command line.
. "$(dirname "$0")/../lib.sh"

p="$SCRATCH/project"
mkdir -p "$p/supabase/migrations"
cp "$SRC"/examples/fleet/supabase/migrations/*.sql "$p/supabase/migrations/"
printf '[project]\nmigrations_dir = supabase/migrations\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
BK="$p/.pgwarden/backups"

# this test's databases only: other tests make and drop theirs in the same cluster
dbs() { sql "$PGW_TEST_URL" "SELECT count(*) FROM pg_database WHERE datname LIKE 't\\_test\\_backup\\_checks%'"; }

# --- a backup of the example project to work with --------------------------------
db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
check "migrations apply" "$PGW" -q migrate up --db "$db"
check "seed loads" psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$SRC/examples/fleet/supabase/seed.sql"
expect_rc 0 "backup" "$PGW" --no-color backup --db "$db"
b1=$(ls -d "$BK"/*_t_test_backup_checks_fleet | head -1)
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS fleet_copy2 WITH (FORCE)" >/dev/null
expect_rc 0 "restore --create" "$PGW" --no-color restore "$b1" --create fleet_copy2 --db "$db"

# --- backups that must not be used -------------------------------------------------
before=$(dbs)
bad="$SCRATCH/bad"
rm -rf "$bad"; cp -a "$b1" "$bad"
printf 'XXXX' | dd of="$bad/db.dump" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_rc 4 "changed archive" "$PGW" restore "$bad" --db "$db"
contains "checksum" "$ERR" "does not match its checksum"
truncate -s 300 "$bad/db.dump"
expect_rc 4 "truncated archive" "$PGW" restore "$bad" --db "$db"
contains "truncated" "$ERR" "is truncated: 300 bytes"
rm "$bad/manifest.json"
expect_rc 4 "missing manifest" "$PGW" restore "$bad" --db "$db"
contains "no manifest" "$ERR" "has no manifest.json"
echo '{"format": "other"}' > "$bad/manifest.json"
expect_rc 4 "foreign manifest" "$PGW" restore "$bad" --db "$db"
contains "not a manifest" "$ERR" "is not a pgwarden backup manifest"
expect_rc 4 "no such backup" "$PGW" restore no_such_backup --db "$db"
equals "no database made by the refused restores" "$(dbs)" "$before"

# --- backups that fail leave nothing ----------------------------------------------
n_before=$(ls -A "$BK" | wc -l)
expect_rc 3 "dead target" "$PGW" backup --db "postgresql://nobody@127.0.0.1:1/x?connect_timeout=2"
contains "cannot connect" "$ERR" "cannot connect"
expect_rc 3 "full disk" env PGWARDEN_FAULT=backup:disk-full "$PGW" backup --db "$db"
contains "says why" "$ERR" "No space left on device"
contains "hint" "$ERR" "hint: free space in"
expect_rc 1 "verification that finds a difference" env PGWARDEN_FAULT=backup:verify-mismatch "$PGW" --no-color backup --verify --db "$db"
contains "names the table" "$OUT" "rows, the backup"
contains "not kept" "$OUT" "no backup was kept"
equals "no folder left by the failures" "$(ls -A "$BK" | wc -l)" "$n_before"

# --- restore over a database ---------------------------------------------------
expect_rc 2 "not empty" "$PGW" restore "$b1" --to "$(db_url fleet_copy2)" --db "$db"
contains "not empty" "$ERR" "is not empty"
expect_rc 2 "--clean needs --yes" "$PGW" restore "$b1" --to "$(db_url fleet_copy2)" --clean --db "$db"
sql "$(db_url fleet_copy2)" "DELETE FROM public.vehicle_events; CREATE TABLE public.extra (id int)" >/dev/null
expect_rc 1 "--clean --yes: restored, but the extra table stays" "$PGW" --no-color restore "$b1" --to "$(db_url fleet_copy2)" --clean --yes --db "$db"
contains "backup first" "$OUT" "backup of the replaced database: .pgwarden/backups/"
contains "extra shown" "$OUT" "table public.extra is not in the backup"
pre=$(ls -d "$BK"/*_fleet_copy2 | head -1)
check "the replaced database's backup is there" test -f "$pre/manifest.json"
equals "rows back" "$(sql "$(db_url fleet_copy2)" "SELECT count(*) FROM public.vehicle_events")" \
    "$(sql "$db" "SELECT count(*) FROM public.vehicle_events")"
# an empty database named with --to
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS fleet_empty2 WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE fleet_empty2 TEMPLATE template0" >/dev/null
expect_rc 0 "restore --to an empty database" "$PGW" --no-color restore "$b1" --to "$(db_url fleet_empty2)" --db "$db"
contains "empty matches" "$OUT" "matches the backup"

# --- list, keep ------------------------------------------------------------------
expect_rc 0 "list" "$PGW" --no-color backup list
contains "header" "$OUT" "VERIFIED"
contains "the first one" "$OUT" "$(basename "$b1")"
contains "reason of the automatic one" "$OUT" "(before restore of $(basename "$b1"))"
expect_rc 0 "list --json" "$PGW" --json backup list
contains "json verified" "$OUT" '"verified": false'
total=$(ls "$BK" | wc -l)
expect_rc 0 "backup --keep 2" "$PGW" --no-color backup --keep 2 --db "$db"
contains "says what it removed" "$OUT" "removed old backup"
equals "two kept" "$(ls "$BK" | wc -l)" 2
newest=$(echo "$OUT" | sed -n 's|^backup: .pgwarden/backups/||p')
check "the new one is kept" test -d "$BK/$newest"

# --- the tools ------------------------------------------------------------------
fake="$SCRATCH/oldbin"
mkdir -p "$fake"
for t in pg_dump pg_restore; do
    printf '#!/bin/sh\necho "%s (PostgreSQL) 9.6.24"\n' "$t" > "$fake/$t"
    chmod +x "$fake/$t"
done
expect_rc 3 "older pg_dump refused" env PGWARDEN_PG_BINDIR="$fake" "$PGW" backup --db "$db"
contains "older" "$ERR" "pg_dump 9 is older than the server (PostgreSQL 15)"
contains "hint" "$ERR" "postgresql-client-15"
# a wrapper that records what pg_dump is given: no password on its command line
real=$(pg_config --bindir)
wrap="$SCRATCH/wrapbin"
mkdir -p "$wrap"
for t in pg_dump pg_restore; do
    printf '#!/bin/sh\necho "$*" >> %s/argv.log\necho "PGPASSWORD=${PGPASSWORD:-unset}" >> %s/argv.log\nexec %s/%s "$@"\n' \
        "$SCRATCH" "$SCRATCH" "$real" "$t" > "$wrap/$t"
    chmod +x "$wrap/$t"
done
rm -f "$SCRATCH/argv.log"
expect_rc 0 "backup with a password in the URL" env PGWARDEN_PG_BINDIR="$wrap" "$PGW" -q backup --db "$db&password=s3cretpw"
lacks "password not on pg_dump's command line" "$(grep -v '^PGPASSWORD=' "$SCRATCH/argv.log")" "s3cretpw"
contains "password in its environment" "$(cat "$SCRATCH/argv.log")" "PGPASSWORD=s3cretpw"
lacks "nor in the output" "$OUT$ERR" "s3cretpw"

for d in fleet_copy2 fleet_empty2; do
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null
done
finish
