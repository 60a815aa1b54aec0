#!/bin/bash
# pgwarden backup and restore, round trips: the example project and the
# fixture with every object kind (directory format, -j 2) come back with
# the same schema and row counts; --verify restores into the sandbox; the
# manifest's fields, modes and checksums.  test_backup_checks.sh has the
# failures, restore over a database, list, --keep and the tools.
. "$(dirname "$0")/../lib.sh"

p="$SCRATCH/project"
mkdir -p "$p/supabase/migrations"
cp "$SRC"/examples/fleet/supabase/migrations/*.sql "$p/supabase/migrations/"
printf '[project]\nmigrations_dir = supabase/migrations\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
BK="$p/.pgwarden/backups"


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
equals "row counts equal" "$(table_counts "$(db_url fleet_copy)")" "$(table_counts "$db")"
equals "snapshot equal" "$("$PGW" --db "$(db_url fleet_copy)" inspect --stable -o - | sha256sum)" \
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
fx=$(db_url t_backup_fx)
check "fixture loads" psql "$fx" -X -q -v ON_ERROR_STOP=1 -f "$SRC/tests/cases/inspect/fixture/setup.sql"
expect_rc 0 "fixture backup, -j 2, verified" "$PGW" --no-color backup --jobs 2 --verify --db "$fx"
contains "directory format" "$OUT" "db.dir, directory"
contains "fixture verified" "$OUT" "verified:"
b2=$(ls -d "$BK"/*_t_backup_fx | head -1)
equals "directory archive 0700" "$(stat -c %a "$b2/db.dir")" 700
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS fx_copy WITH (FORCE)" >/dev/null
expect_rc 0 "fixture restore -j 2" "$PGW" --no-color restore "$b2" --create fx_copy --jobs 2 --db "$fx"
contains "fixture matches" "$OUT" "matches the backup"
equals "fixture snapshot equal" "$("$PGW" --db "$(db_url fx_copy)" inspect --stable -o - | sha256sum)" \
    "$("$PGW" --db "$fx" inspect --stable -o - | sha256sum)"
equals "fixture counts equal" "$(table_counts "$(db_url fx_copy)")" "$(table_counts "$fx")"

for d in fleet_copy fx_copy t_backup_fx; do
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null
done
finish
