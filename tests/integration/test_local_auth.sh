#!/bin/bash
# pgwarden local: who may connect.  TCP (127.0.0.1) needs the cluster's
# password (scram-sha-256), kept in a 0600 file; `local url` prints the URL
# with it and nothing else shows it; the socket stays trusted; a cluster made
# before passwords (no password file, trust in pg_hba.conf) works as before;
# sandboxes listen on no TCP address at all.
. "$(dirname "$0")/../lib.sh"

proj="$SCRATCH/proj"
mkdir -p "$proj" && cd "$proj" || exit 1
dir="$proj/.pgwarden/local"
CLUSTERS+=("$dir")

expect_rc 0 "start" "$PGW" local start
start_out=$OUT
pwfile="$dir/password"
check "password file exists" test -s "$pwfile"
pw=$(cat "$pwfile")
check "password is 24 hex digits" grep -qxE '[0-9a-f]{24}' "$pwfile"
equals "password file mode" "$(stat -c %a "$pwfile")" 600
equals "password file owner" "$(stat -c %u "$pwfile")" "$(id -u)"
lacks "start does not print the password" "$start_out" "$pw"
contains "start shows the masked URL" "$start_out" "postgresql://postgres:********@127.0.0.1:"
contains "start says where the password is" "$start_out" "password: in $pwfile"

expect_rc 0 "url" "$PGW" local url
url=$OUT
port=$(echo "$url" | sed -n 's/.*@127\.0\.0\.1:\([0-9]*\)\/.*/\1/p')
[ -n "$port" ] || fail "no port in '$url'"
equals "url carries the password" "$url" "postgresql://postgres:$pw@127.0.0.1:$port/postgres"
expect_rc 0 "url works over TCP" psql "$url" -XAtc "select 'tcp ' || inet_server_addr()"
equals "went over TCP" "$OUT" "tcp 127.0.0.1/32"
expect_rc 0 "url works as DATABASE_URL" env DATABASE_URL="$url" sh -c 'psql "$DATABASE_URL" -XAtc "select 1"'

# without the password, or with a wrong one, TCP is refused; -w: never prompt
expect_rc 2 "TCP without a password refused" psql -w "postgresql://postgres@127.0.0.1:$port/postgres" -XAtc "select 1"
contains "no password message" "$ERR" "no password supplied"
expect_rc 2 "TCP with a wrong password refused" env PGPASSWORD=wrong psql -w "postgresql://postgres@127.0.0.1:$port/postgres" -XAtc "select 1"
contains "wrong password message" "$ERR" 'password authentication failed for user "postgres"'
expect_rc 0 "the server stores a SCRAM verifier" "$PGW" local psql -- -XAtc \
    "select left(rolpassword, 14) from pg_authid where rolname = 'postgres'"
equals "SCRAM verifier" "$OUT" "SCRAM-SHA-256\$"

# the socket needs none
expect_rc 0 "socket url" "$PGW" local url --socket
sock_url=$OUT
lacks "socket url has no password" "$sock_url" "$pw"
expect_rc 0 "socket works without a password" psql -w "$sock_url" -XAtc "select 1"
expect_rc 0 "local psql works" "$PGW" local psql -- -XAtc "select 2"
equals "local psql output" "$OUT" 2

# nothing else prints it
for args in "local status" "--json local status" "--json local url" "local start" "--json local start" \
    "target" "--json target" "-v target" "inspect --out $SCRATCH/snap.json"; do
    # shellcheck disable=SC2086
    expect_rc 0 "$args" "$PGW" $args
    lacks "$args: no password" "$OUT$ERR" "$pw"
done
expect_rc 0 "status" "$PGW" local status
contains "status shows the masked URL" "$OUT" "url:  postgresql://postgres:********@127.0.0.1:$port/postgres"
expect_rc 0 "status --json" "$PGW" --json local status
contains "JSON URL masked" "$OUT" "\"url\": \"postgresql://postgres:********@127.0.0.1:$port/postgres\""
contains "JSON names the password file" "$OUT" "\"password_file\": \"$pwfile\""
expect_rc 0 "target --json" "$PGW" --json target
contains "target reachable" "$OUT" '"reachable": true'
contains "target URL masked" "$OUT" "postgres:********@127.0.0.1:$port"
check "snapshot file has no password" sh -c "! grep -q '$pw' '$SCRATCH/snap.json'"
# a failure whose message would quote the URL: still masked
expect_rc 3 "error with the local cluster stopped" sh -c "'$PGW' local stop >/dev/null && '$PGW' target"
lacks "error has no password" "$OUT$ERR" "$pw"
expect_rc 0 "restart" "$PGW" local start
expect_rc 0 "same password after restart" cat "$pwfile"
equals "password kept" "$OUT" "$pw"

# a cluster made before passwords: no password file, TCP trusted.  Used as it
# is: the URL has no password and works; its pg_hba.conf is left alone.
old="$SCRATCH/old"
CLUSTERS+=("$old")
expect_rc 0 "old-style cluster: start" "$PGW" local start --dir "$old"
expect_rc 0 "old-style cluster: stop" "$PGW" local stop --dir "$old"
rm -f "$old/password"
sed 's/scram-sha-256$/trust/' "$old/data/pg_hba.conf" >"$SCRATCH/hba" && cat "$SCRATCH/hba" >"$old/data/pg_hba.conf"
hba_before=$(sha256sum <"$old/data/pg_hba.conf")
expect_rc 0 "old-style cluster: start again" "$PGW" local start --dir "$old"
contains "old-style start: says TCP is trusted" "$OUT" "password: none — 127.0.0.1 is trusted"
expect_rc 0 "old-style cluster: url" "$PGW" local url --dir "$old"
old_url=$OUT
oport=$(echo "$old_url" | sed -n 's/.*@127\.0\.0\.1:\([0-9]*\)\/.*/\1/p')
equals "old-style url has no password" "$old_url" "postgresql://postgres@127.0.0.1:$oport/postgres"
expect_rc 0 "old-style url works over TCP" psql -w "$old_url" -XAtc "select 1"
expect_rc 0 "old-style status --json" "$PGW" --json local status --dir "$old"
contains "old-style: no password file" "$OUT" '"password_file": null'
contains "old-style JSON URL" "$OUT" "\"url\": \"$old_url\""
expect_rc 0 "old-style: target through DATABASE_URL" env DATABASE_URL="$old_url" "$PGW" target
equals "old-style pg_hba.conf untouched" "$(sha256sum <"$old/data/pg_hba.conf")" "$hba_before"
check "old-style: no password file made" test ! -e "$old/password"
# reset brings the new scheme
expect_rc 0 "old-style cluster: reset" "$PGW" local reset --yes --dir "$old"
check "reset made a password file" test -s "$old/password"
expect_rc 0 "url after reset" "$PGW" local url --dir "$old"
contains "url after reset has the password" "$OUT" "postgres:$(cat "$old/password")@"
expect_rc 2 "TCP without a password refused after reset" psql -w "$old_url" -XAtc "select 1"
expect_rc 0 "stop old" "$PGW" local stop --dir "$old"

# sandboxes listen on no TCP address: nothing to protect there
expect_rc 0 "sandbox listens on the socket only" "$PGW" -q local sandbox -- sh -c \
    'case "$DATABASE_URL" in *127.0.0.1*) echo tcp ;; esac; psql "$DATABASE_URL" -XAtc "select current_setting(\$\$listen_addresses\$\$) = \$\$\$\$"'
equals "sandbox listen_addresses empty" "$OUT" "t"

expect_rc 0 "final stop" "$PGW" local stop
equals "nothing left" "$(server_pids "$dir/data" | wc -l)$(server_pids "$old/data" | wc -l)" "00"
finish
