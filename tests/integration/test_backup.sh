#!/bin/bash
# pgwarden backup and restore: round trips (the example project, the
# fixture with every object kind, the directory format) give the same
# schema and row counts; --verify restores into the sandbox; a corrupted,
# truncated or manifest-less backup is refused before anything is touched;
# a dead target, a full disk (fault) and a failed verification leave no
# folder; --keep, backup list, restore over a database (--clean --yes takes
# a backup first); an older pg_dump is refused; the password never reaches
# pg_dump's command line.
. "$(dirname "$0")/../lib.sh"

p="$SCRATCH/project"
mkdir -p "$p/supabase/migrations"
cp "$SRC"/examples/fleet/supabase/migrations/*.sql "$p/supabase/migrations/"
printf '[project]\nmigrations_dir = supabase/migrations\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
BK="$p/.pgwarden/backups"

dbs() { sql "$PGW_TEST_URL" "SELECT count(*) FROM pg_database"; }
counts() {
    sql "$1" "SELECT string_agg(n.nspname || '.' || c.relname || '=' ||
        (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text, ' ' ORDER BY n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname !~ '^(pg_|information_schema$)'"
}
url_of() { echo "$PGW_TEST_URL" | sed "s|@/postgres?|@/$1?|"; }

# --- the example project, applied with migrate, with its seed ------------------
db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
check "migrations apply" "$PGW" -q migrate up --db "$db"
check "seed loads" psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$SRC/examples/fleet/supabase/seed.sql"

expect_rc 0 "backup --verify" "$PGW" --no-color backup --verify --db "$db"
contains "names the folder" "$OUT" "backup: .pgwarden/backups/"
contains "verified" "$OUT" "verified: restored into a sandbox, schema and row counts match"
contains "last migration" "$OUT" "last migration 20250105090000"
b1=$(ls -d "$BK"/*_t_test_backup_fleet | head -1)
check "one backup folder" test -d "$b1"
equals "folder 0700" "$(stat -c %a "$b1")" 700
equals "backups folder 0700" "$(stat -c %a "$BK")" 700
equals "files 0600" "$(stat -c %a "$b1"/* | sort -u | tr '\n' ' ')" "600 "
equals "no temporary folder left" "$(ls -A "$BK" | grep -c '^\.')" 0
m="$b1/manifest.json"
jq_() { python3 -c "import json,sys; d=json.load(open('$m')); print($1)"; }
equals "format" "$(jq_ "d['format']")" "pgwarden.backup/1"
equals "archive checksum" "$(jq_ "d['archive']['sha256']")" "$(sha256sum "$b1/db.dump" | cut -d' ' -f1)"
equals "archive size" "$(jq_ "d['archive']['bytes']")" "$(stat -c %s "$b1/db.dump")"
equals "fingerprint is the snapshot's SHA-256" "$(jq_ "d['schema']['fingerprint']")" "$(sha256sum "$b1/snapshot.json" | cut -d' ' -f1)"
equals "last migration" "$(jq_ "d['last_migration']['version']")" "20250105090000"
equals "verified" "$(jq_ "d['verified']['ok']")" "True"
lacks "no password in the manifest" "$(cat "$m")" "password"
want_rows=$(sql "$db" "SELECT count(*) FROM public.vehicles")
equals "vehicles counted" "$(jq_ "[t['rows'] for t in d['tables'] if t['name']=='vehicles' and t['schema']=='public'][0]")" "$want_rows"
equals "the fingerprint is inspect's snapshot" \
    "$("$PGW" --db "$db" inspect --stable -o "$SCRATCH/fleet.json" >/dev/null && sha256sum < "$SCRATCH/fleet.json" | cut -d' ' -f1)" \
    "$(jq_ "d['schema']['fingerprint']")"

# restore into a new database: same schema, same counts
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS fleet_copy WITH (FORCE)" >/dev/null
expect_rc 0 "restore --create" "$PGW" --no-color restore "$b1" --create fleet_copy --db "$db"
contains "matches" "$OUT" "matches the backup"
equals "row counts equal" "$(counts "$(url_of fleet_copy)")" "$(counts "$db")"
equals "snapshot equal" "$("$PGW" --db "$(url_of fleet_copy)" inspect --stable -o - | sha256sum)" \
    "$("$PGW" --db "$db" inspect --stable -o - | sha256sum)"
# by name, into a database named after the source
expect_rc 0 "restore by name" "$PGW" --json restore "$(basename "$b1")" --db "$db"
contains "json matches" "$OUT" '"matches": true'
contains "json created" "$OUT" '"created": true'
newdb=$(echo "$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['summary']['database'])")
contains "default name" "$newdb" "t_test_backup_fleet_restored_"
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS \"$newdb\" WITH (FORCE)" >/dev/null

# --- the fixture with every object kind, directory format with -j 2 ------------
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS t_backup_fx WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE t_backup_fx TEMPLATE template0 ENCODING 'UTF8'" >/dev/null
fx=$(url_of t_backup_fx)
check "fixture loads" psql "$fx" -X -q -v ON_ERROR_STOP=1 -f "$SRC/tests/cases/inspect/fixture/setup.sql"
expect_rc 0 "fixture backup, -j 2, verified" "$PGW" --no-color backup --jobs 2 --verify --db "$fx"
contains "directory format" "$OUT" "db.dir, directory"
contains "fixture verified" "$OUT" "verified:"
b2=$(ls -d "$BK"/*_t_backup_fx | head -1)
equals "directory archive 0700" "$(stat -c %a "$b2/db.dir")" 700
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS fx_copy WITH (FORCE)" >/dev/null
expect_rc 0 "fixture restore -j 2" "$PGW" --no-color restore "$b2" --create fx_copy --jobs 2 --db "$fx"
contains "fixture matches" "$OUT" "matches the backup"
equals "fixture snapshot equal" "$("$PGW" --db "$(url_of fx_copy)" inspect --stable -o - | sha256sum)" \
    "$("$PGW" --db "$fx" inspect --stable -o - | sha256sum)"
equals "fixture counts equal" "$(counts "$(url_of fx_copy)")" "$(counts "$fx")"

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
expect_rc 2 "not empty" "$PGW" restore "$b1" --to "$(url_of fleet_copy)" --db "$db"
contains "not empty" "$ERR" "is not empty"
expect_rc 2 "--clean needs --yes" "$PGW" restore "$b1" --to "$(url_of fleet_copy)" --clean --db "$db"
sql "$(url_of fleet_copy)" "DELETE FROM public.vehicle_events; CREATE TABLE public.extra (id int)" >/dev/null
expect_rc 1 "--clean --yes: restored, but the extra table stays" "$PGW" --no-color restore "$b1" --to "$(url_of fleet_copy)" --clean --yes --db "$db"
contains "backup first" "$OUT" "backup of the replaced database: .pgwarden/backups/"
contains "extra shown" "$OUT" "table public.extra is not in the backup"
pre=$(ls -d "$BK"/*_fleet_copy | head -1)
check "the replaced database's backup is there" test -f "$pre/manifest.json"
equals "rows back" "$(sql "$(url_of fleet_copy)" "SELECT count(*) FROM public.vehicle_events")" \
    "$(sql "$db" "SELECT count(*) FROM public.vehicle_events")"
# an empty database named with --to
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS fleet_empty WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE fleet_empty TEMPLATE template0" >/dev/null
expect_rc 0 "restore --to an empty database" "$PGW" --no-color restore "$b1" --to "$(url_of fleet_empty)" --db "$db"
contains "empty matches" "$OUT" "matches the backup"

# --- list, keep ------------------------------------------------------------------
expect_rc 0 "list" "$PGW" --no-color backup list
contains "header" "$OUT" "VERIFIED"
contains "the verified one" "$OUT" "$(basename "$b1")"
contains "reason of the automatic one" "$OUT" "(before restore of $(basename "$b1"))"
expect_rc 0 "list --json" "$PGW" --json backup list
contains "json verified" "$OUT" '"verified": true'
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

for d in fleet_copy fleet_empty fx_copy t_backup_fx; do
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null
done
finish
