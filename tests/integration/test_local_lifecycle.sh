#!/bin/bash
# pgwarden local: start (twice: one server), status, url, psql, stop (twice),
# restart on the remembered port, reset (refused without --yes, then wipes).
. "$(dirname "$0")/../lib.sh"

proj="$SCRATCH/proj"
mkdir -p "$proj" && cd "$proj" || exit 1
dir="$proj/.pgwarden/local"
CLUSTERS+=("$dir")

expect_rc 0 "first start" "$PGW" local start
contains "first start says it created" "$OUT" "created and started the local database"
expect_rc 0 "second start" "$PGW" local start
contains "second start is idempotent" "$OUT" "already running"
equals "one server after two starts" "$(server_pids "$dir/data" | wc -l)" 1

expect_rc 0 "status --json" "$PGW" --json local status
contains "status running" "$OUT" '"running": true'
contains "status has a pid" "$OUT" '"pid": '
port=$(echo "$OUT" | sed -n 's/.*"port": \([0-9]*\).*/\1/p')
[ -n "$port" ] || fail "no port in status"
expect_rc 0 "status text" "$PGW" local status
contains "status text running" "$OUT" "local database: running"
contains "status text version" "$OUT" "version: PostgreSQL 15"

pw=$(cat "$dir/password")
expect_rc 0 "url" "$PGW" local url
equals "url is TCP on 127.0.0.1, with the password" "$OUT" "postgresql://postgres:$pw@127.0.0.1:$port/postgres"
expect_rc 0 "url over TCP works" psql "$OUT" -XAtc "select 40 + 2"
equals "TCP query" "$OUT" 42
expect_rc 0 "socket url" "$PGW" local url --socket
sock_url=$OUT
expect_rc 0 "socket url works" psql "$sock_url" -XAtc "select current_setting('listen_addresses')"
equals "listens on loopback only" "$OUT" "127.0.0.1"
expect_rc 0 "psql passthrough" "$PGW" local psql -- -qXAtc "create table keepme (id int); select 'made'"
equals "psql output" "$OUT" "made"

expect_rc 0 "target falls back to the local cluster" "$PGW" --json target
contains "target kind local" "$OUT" '"kind": "local"'
contains "target reachable" "$OUT" '"reachable": true'

expect_rc 0 "stop" "$PGW" local stop
equals "stop says so" "$OUT" "stopped the local database"
equals "no server after stop" "$(server_pids "$dir/data" | wc -l)" 0
expect_rc 0 "stop again" "$PGW" local stop
equals "second stop" "$OUT" "the local database is not running"
expect_rc 3 "target when stopped" "$PGW" target
contains "target stopped message" "$ERR" "error: the local database is not running"

expect_rc 0 "restart" "$PGW" local start
expect_rc 0 "port remembered" "$PGW" local url
equals "same port and password after restart" "$OUT" "postgresql://postgres:$pw@127.0.0.1:$port/postgres"
expect_rc 0 "data kept" psql "$sock_url" -XAtc "select count(*) from keepme"

expect_rc 2 "reset without --yes" "$PGW" local reset
contains "reset refusal" "$ERR" "deletes every database"
expect_rc 0 "data intact after refused reset" psql "$sock_url" -XAtc "select count(*) from keepme"
expect_rc 0 "reset --yes" "$PGW" local reset --yes
contains "reset re-creates" "$OUT" "re-created the local database"
expect_rc 1 "table gone after reset" psql "$sock_url" -XAtc "select count(*) from keepme"
equals "one server after reset" "$(server_pids "$dir/data" | wc -l)" 1
newpw=$(cat "$dir/password")
[ -n "$newpw" ] && [ "$newpw" != "$pw" ] || fail "reset did not make a new password"

# a second cluster on an explicit port, next to the first
other="$SCRATCH/other"
CLUSTERS+=("$other")
free_port=$((port + 7))
expect_rc 0 "second cluster with --port" "$PGW" local start --dir "$other" --port "$free_port"
contains "second cluster port" "$OUT" "127.0.0.1:$free_port/"
expect_rc 3 "port in use" "$PGW" local start --dir "$SCRATCH/third" --port "$free_port"
contains "port in use message" "$ERR" "error: port $free_port is in use"
contains "port in use hint" "$ERR" "hint: choose another one with --port"
[ -e "$SCRATCH/third/data/postmaster.pid" ] && fail "a server was started on a busy port"
"$PGW" -q local stop --dir "$SCRATCH/third" >/dev/null 2>&1

expect_rc 0 "final stop" "$PGW" local stop
expect_rc 0 "stop second" "$PGW" local stop --dir "$other"
equals "nothing left" "$(server_pids "$dir/data" | wc -l)$(server_pids "$other/data" | wc -l)" "00"
finish
