#!/bin/bash
# Target resolution against real servers, and passwords: a password never
# appears in any output — text or JSON, stdout or stderr, success or failure,
# libpq's messages included.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
cd "$SCRATCH" || exit 1

# --db beats DATABASE_URL beats --env beats the local cluster
expect_rc 0 "--db" "$PGW" --json target --db "$db"
contains "--db source" "$OUT" '"source": "--db"'
contains "--db database" "$OUT" '"database": "t_test_target_main"'
expect_rc 0 "DATABASE_URL" env DATABASE_URL="$db" "$PGW" --json target
contains "DATABASE_URL source" "$OUT" '"source": "DATABASE_URL"'
expect_rc 0 "--db over DATABASE_URL" env DATABASE_URL=postgresql://nobody@127.0.0.1:1/x "$PGW" target --db "$db"
contains "--db wins" "$OUT" "source: --db"
contains "supabase detected" "$OUT" "flavour: Supabase"

printf '[env staging]\nurl = ${PGW_STAGING_URL}\n' > "$SCRATCH/pgwarden.conf"
expect_rc 0 "--env" env PGW_STAGING_URL="$db" "$PGW" --json --env staging target
contains "--env source" "$OUT" '"source": "env staging"'
contains "--env name" "$OUT" '"env": "staging"'
expect_rc 4 "--env with its variable unset" "$PGW" --env staging target
contains "unset variable message" "$ERR" "error: environment variable 'PGW_STAGING_URL' is not set"
expect_rc 4 "--env unknown" "$PGW" --env prod target
contains "unknown env" "$ERR" "error: no environment named 'prod'"
contains "unknown env detail" "$ERR" "detail: $SCRATCH/pgwarden.conf has 1 [env ...] section(s)"
expect_rc 2 "--env with DATABASE_URL set" env DATABASE_URL="$db" PGW_STAGING_URL="$db" "$PGW" --env staging target
contains "conflict message" "$ERR" "error: both DATABASE_URL and --env staging name a database"
rm "$SCRATCH/pgwarden.conf"

# a config error stops every command with file:line
printf '[project]\nschemas = public\nlock_timeout = forever\n' > "$SCRATCH/pgwarden.conf"
expect_rc 4 "bad config" "$PGW" target --db "$db"
equals "bad config message" "$ERR" "pgwarden target: error: $SCRATCH/pgwarden.conf:3: 'forever' is not a duration for lock_timeout (expected e.g. 5s, 500ms, 2min, or 0 for off)"
rm "$SCRATCH/pgwarden.conf"

# passwords: a cluster of our own whose TCP connections need one
pw="$SCRATCH/pw"
CLUSTERS+=("$pw")
expect_rc 0 "password cluster" "$PGW" local start --dir "$pw"
port=$(sed -n 's/^port=//p' "$pw/pgwarden.state")
admin=$("$PGW" local url --socket --dir "$pw")
secret='Sw0rd-Fish_$ecret'
sql "$admin" "CREATE ROLE pgw_pw LOGIN PASSWORD 'Sw0rd-Fish_\$ecret'" >/dev/null || fail "create role"
sed -i '1i host all pgw_pw 127.0.0.1/32 scram-sha-256' "$pw/data/pg_hba.conf"
sql "$admin" "SELECT pg_reload_conf()" >/dev/null
enc='Sw0rd-Fish_%24ecret'

check_no_secret() {
    lacks "$1 (stdout)" "$OUT" "$secret"
    lacks "$1 (stderr)" "$ERR" "$secret"
    lacks "$1 (stdout, encoded)" "$OUT" "$enc"
    lacks "$1 (stderr, encoded)" "$ERR" "$enc"
}

expect_rc 0 "right password" "$PGW" -v target --db "postgresql://pgw_pw:$enc@127.0.0.1:$port/postgres"
contains "connected as pgw_pw" "$OUT" "user:   pgw_pw"
check_no_secret "right password"
expect_rc 0 "right password, JSON" "$PGW" --json target --db "postgresql://pgw_pw:$enc@127.0.0.1:$port/postgres"
check_no_secret "right password, JSON"
expect_rc 0 "keyword form" "$PGW" target --db "host=127.0.0.1 port=$port user=pgw_pw dbname=postgres password='$secret'"
check_no_secret "keyword form"
expect_rc 0 "PGPASSWORD" env PGPASSWORD="$secret" "$PGW" --json target --db "postgresql://pgw_pw@127.0.0.1:$port/postgres"
check_no_secret "PGPASSWORD"
expect_rc 0 "DATABASE_URL with password" env DATABASE_URL="postgresql://pgw_pw:$enc@127.0.0.1:$port/postgres" "$PGW" target
check_no_secret "DATABASE_URL with password"

wrong='Wr0ng-Guess_42'
expect_rc 3 "wrong password" "$PGW" target --db "postgresql://pgw_pw:$wrong@127.0.0.1:$port/postgres"
contains "auth failure shown" "$ERR" 'password authentication failed for user "pgw_pw"'
lacks "wrong password hidden (stderr)" "$ERR" "$wrong"
lacks "wrong password hidden (stdout)" "$OUT" "$wrong"
expect_rc 3 "wrong password, JSON" "$PGW" --json target --db "postgresql://pgw_pw:$wrong@127.0.0.1:$port/postgres"
lacks "wrong password hidden (JSON)" "$OUT" "$wrong"
contains "JSON error exit code" "$OUT" '"exit_code": 3'
expect_rc 3 "wrong PGPASSWORD" env PGPASSWORD="$wrong" "$PGW" target --db "postgresql://pgw_pw@127.0.0.1:$port/postgres"
lacks "wrong PGPASSWORD hidden" "$OUT$ERR" "$wrong"

expect_rc 0 "stop password cluster" "$PGW" local stop --dir "$pw"
finish
