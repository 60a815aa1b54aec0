#!/bin/bash
# pgwarden serve against a real server process on a random port, driven with
# curl: every API endpoint gives the command's --json document; the token is
# required (401), unknown paths 404, wrong methods 405, HEAD works; the POST
# endpoints need --allow-apply, a confirmation field and a same-site origin,
# and apply through the safe runner; path traversal, oversized and malformed
# requests are refused; no password reaches a response; the database going
# away (connections refused, backends terminated) gives "cannot connect"
# and the server recovers when it is back; non-loopback binds are refused.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE orders (id bigint PRIMARY KEY, tenant_id uuid, total numeric);
           INSERT INTO orders SELECT g, NULL, g FROM generate_series(1, 50) g;" >/dev/null
dbname=$(sql "$db" "SELECT current_database()")
# a password in the URL (the test cluster may not ask for it): it must never
# be shown
pw=$(python3 -c "import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).password or '')" "$db")
if [ -z "$pw" ]; then
    pw="Sekr3tServePw"
    db=$(echo "$db" | sed "s|://\([^@:/]*\)@|://\1:$pw@|")
fi

proj="$SCRATCH/proj"
mkdir -p "$proj/migrations"
cd "$proj" || exit 1
printf 'CREATE TABLE audit_log (id bigint PRIMARY KEY, note text);\n-- pgwarden:down\nDROP TABLE audit_log;\n' > migrations/1_audit_log.sql

SRV_PID=""
stop_server() { [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null; SRV_PID=""; }
trap 'stop_server' EXIT

# start_server ARGS... — sets URL (http://127.0.0.1:PORT/) and TOKEN
start_server() {
    : > "$SCRATCH/serve.out"
    "$PGW" serve --db "$db" --port 0 --interval 1 "$@" >"$SCRATCH/serve.out" 2>"$SCRATCH/serve.err" &
    SRV_PID=$!
    listening() { grep -q 'open: ' "$SCRATCH/serve.out"; }
    check "server prints its URL" wait_until 30 listening
    URL=$(sed -n 's/^pgwarden serve: listening on //p' "$SCRATCH/serve.out")
    TOKEN=$(grep -o 'token=[0-9a-f]*' "$SCRATCH/serve.out" | cut -d= -f2)
    equals "token is 32 hex digits" "${#TOKEN}" 32
}
ALL="$SCRATCH/responses"
: > "$ALL"
# get PATH [curl args] — body in $BODY, status in $CODE, every body kept
get() {
    local path=$1
    shift
    CODE=$(curl -s --path-as-is -o "$SCRATCH/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$@" "$URL${path#/}")
    BODY=$(cat "$SCRATCH/body")
    { echo "== $path"; echo "$BODY"; } >> "$ALL"
}

start_server
contains "banner says read-only" "$(cat "$SCRATCH/serve.out")" "read-only"
lacks "banner hides the password" "$(cat "$SCRATCH/serve.out" "$SCRATCH/serve.err")" "$pw"

# -- the token
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/health")
equals "no token: 401" "$CODE" 401
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${URL}")
equals "page without token: 401" "$CODE" 401
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${URL}static/style.css")
equals "static file without token: 401" "$CODE" 401
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer 0000${TOKEN:4}" "${URL}api/health")
equals "wrong token: 401" "$CODE" 401
CODE=$(curl -s -o /dev/null -w '%{http_code}' -b "pgw_token=${TOKEN}x" "${URL}api/health")
equals "wrong cookie: 401" "$CODE" 401
hdrs=$(curl -s -o /dev/null -D - "${URL}findings?token=$TOKEN")
contains "?token= on a page: 303" "$hdrs" "303 See Other"
contains "sets an HttpOnly SameSite cookie" "$hdrs" "Set-Cookie: pgw_token=$TOKEN; Path=/; HttpOnly; SameSite=Strict"
contains "redirects to the page without the token" "$hdrs" "Location: /findings"
CODE=$(curl -s -o "$SCRATCH/body" -w '%{http_code}' -b "pgw_token=$TOKEN" "${URL}findings")
equals "cookie: page served" "$CODE" 200
CODE=$(curl -s -o /dev/null -w '%{http_code}' "${URL}api/health?token=$TOKEN")
equals "?token= on the API" "$CODE" 200

# -- every endpoint: the CLI's own document
get /api
equals "index: 200" "$CODE" 200
for e in /api/health /api/validate /api/doctor /api/migrate/status /api/diff/compare /api/inspect /api/backups /api/storage/audit /api/scan /api/metrics /api/migrate/up /api/doctor/fix; do
    contains "index lists $e" "$BODY" "\"path\": \"$e\""
done
get /api/health
equals "health: 200" "$CODE" 200
contains "health document" "$BODY" '"command": "health"'
contains "health sections" "$BODY" '"replication_slots"'
get /api/validate
equals "validate: 200 (findings are not an HTTP error)" "$CODE" 200
contains "validate document" "$BODY" '"command": "validate"'
contains "validate finds the NULL tenant" "$BODY" "orders.tenant_id"
get /api/doctor
equals "doctor: 200" "$CODE" 200
contains "doctor document" "$BODY" '"command": "doctor"'
contains "doctor finding" "$BODY" '"rule": "rls.disabled"'
get /api/migrate/status
equals "migrate status: 200" "$CODE" 200
cli=$("$PGW" --json migrate status --db "$db")
equals "migrate status: the same document as the CLI" "$BODY" "$cli"
contains "the pending migration" "$BODY" '"pending": 1'
get /api/diff/compare
equals "diff compare without a snapshot: 422 (bad input, exit 4)" "$CODE" 422
contains "diff compare error document" "$BODY" '"exit_code": 4'
hdrs=$(curl -s -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "${URL}api/diff/compare")
contains "exit code header" "$hdrs" "X-Pgwarden-Exit-Code: 4"
expect_rc 0 "capture a snapshot" "$PGW" diff capture --db "$db"
get /api/diff/compare
equals "diff compare with a snapshot: 200" "$CODE" 200
contains "no drift" "$BODY" '"drift": false'
get /
contains "overview: drift no" "$BODY" '<div class="label">drift</div><div class="value">no<'
sql "$db" "ALTER TABLE orders ADD COLUMN drifted int" >/dev/null
get /api/diff/compare
contains "drift found" "$BODY" '"drift": true'
contains "drift names the column" "$BODY" "drifted"
get /
contains "overview: drift yes" "$BODY" '<div class="label">drift</div><div class="value">yes<'
get /api/inspect
equals "inspect: 200" "$CODE" 200
contains "inspect is the snapshot" "$BODY" '"format": "pgwarden.snapshot/1"'
contains "inspect has the table" "$BODY" '"name": "orders"'
check "inspect wrote no file" test ! -e docs/database-schema.json
get /api/backups
equals "backups: 200" "$CODE" 200
contains "backup list document" "$BODY" '"backups": []'
get /api/storage/audit
equals "storage audit: 200" "$CODE" 200
contains "storage audit document" "$BODY" '"command": "storage audit"'
get /api/scan
equals "scan: 200" "$CODE" 200
contains "scan document" "$BODY" '"command": "scan"'
get /api/metrics
equals "metrics: 200" "$CODE" 200
contains "samples taken" "$BODY" '"up": true'
contains "tps sampled" "$BODY" '"tps"'
check "metrics file written" grep -q '"up":true' .pgwarden/metrics.jsonl

# -- pages
for p in / /findings /migrations /health /schema /diagnostics; do
    get "$p"
    equals "page $p: 200" "$CODE" 200
    contains "page $p is HTML" "$BODY" "<!DOCTYPE html>"
done
get "/findings?severity=error"
contains "findings filtered by severity" "$BODY" 'data-rule="rls.disabled"'
lacks "warnings filtered out" "$BODY" 'data-severity="warning"'
get "/findings?rule=tenant."
lacks "rule filter" "$BODY" 'data-rule="rls.disabled"'
get /health
contains "svg charts" "$BODY" '<svg viewBox'
get /static/app.js
equals "static js" "$CODE" 200

# -- 404, 405, HEAD
get /nope
equals "unknown path: 404" "$CODE" 404
get /api/nope
equals "unknown API path: 404" "$CODE" 404
get /api/health -X DELETE
equals "DELETE: 405" "$CODE" 405
get /api/health -X POST
equals "POST on a read endpoint: 405" "$CODE" 405
get /api/migrate/up
equals "GET on a POST endpoint: 405" "$CODE" 405
hdrs=$(curl -s -I -H "Authorization: Bearer $TOKEN" "${URL}api/migrate/status")
contains "HEAD: 200" "$hdrs" "200 OK"
n=$(curl -s -I -H "Authorization: Bearer $TOKEN" "${URL}api/migrate/status" | wc -l)
body=$(curl -s --head -H "Authorization: Bearer $TOKEN" "${URL}" -o - | grep -c DOCTYPE)
equals "HEAD has no body" "$body" 0

# -- the POST endpoints are off without --allow-apply
get /api/migrate/up -X POST -d confirm=yes
equals "apply without --allow-apply: 403" "$CODE" 403
equals "nothing applied" "$(sql "$db" "SELECT to_regclass('public.audit_log') IS NULL")" "t"

# -- path traversal, oversized and malformed requests
for p in "/static/../../../../etc/passwd" "/static/%2e%2e/%2e%2e/etc/passwd" "/static/style.css/../../../etc/passwd" \
         "/..%2f..%2fetc%2fpasswd" "/static//etc/passwd" "/static/%2fetc%2fpasswd"; do
    get "$p"
    equals "traversal $p: 404" "$CODE" 404
    lacks "traversal $p: no file" "$BODY" "root:"
done
big=$(head -c 40000 /dev/zero | tr '\0' a)
CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "X-Big: $big" "${URL}api/health")
case "$CODE" in 431|413|400|000) ;; *) fail "oversized headers refused: got $CODE" ;; esac
head -c 20000 /dev/zero | tr '\0' a > "$SCRATCH/bigbody"
get /api/migrate/up -X POST --data-binary "@$SCRATCH/bigbody"
equals "oversized body: 413" "$CODE" 413
resp=$(exec 3<>"/dev/tcp/127.0.0.1/$(echo "$URL" | sed 's|.*:\([0-9]*\)/$|\1|')"; printf 'GARBAGE \x01\x02 HTTP/9\r\n\r\n' >&3; timeout 5 cat <&3)
contains "malformed request: 400" "$resp" "400"
get /api/health
equals "still serving after bad requests" "$CODE" 200

# -- the database going away, and coming back
sql "$db" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
get /api/health
equals "after the backends were terminated: 200" "$CODE" 200
sql "$PGW_TEST_URL" "ALTER DATABASE \"$dbname\" ALLOW_CONNECTIONS false" >/dev/null
sql "$PGW_TEST_URL" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$dbname'" >/dev/null
get /api/health
equals "database gone: 503" "$CODE" 503
contains "cannot connect document" "$BODY" '"exit_code": 3'
get /
equals "overview while down: 200" "$CODE" 200
contains "overview says cannot connect" "$BODY" "cannot connect"
down_sample() { grep -q '"up":false' .pgwarden/metrics.jsonl; }
check "a down sample is recorded" wait_until 20 down_sample
sql "$PGW_TEST_URL" "ALTER DATABASE \"$dbname\" ALLOW_CONNECTIONS true" >/dev/null
get /api/health
equals "back: 200" "$CODE" 200
get /
lacks "overview recovered" "$BODY" "cannot connect"
contains "overview shows the server" "$BODY" 'id="server-version"'
up_again() { tail -n 1 .pgwarden/metrics.jsonl | grep -q '"up":true'; }
check "sampler recovered" wait_until 20 up_again

# -- no secret anywhere
lacks "no password in any response" "$(cat "$ALL")" "$pw"
stop_server
lacks "no password on stderr" "$(cat "$SCRATCH/serve.err")" "$pw"

# -- --allow-apply: confirmation, origin, the safe runner
start_server --allow-apply
get /api/migrate/up -X POST
equals "no confirmation: 400" "$CODE" 400
get /api/migrate/up -X POST -d confirm=yes -H "Origin: http://evil.example"
equals "another origin: 403" "$CODE" 403
equals "still nothing applied" "$(sql "$db" "SELECT to_regclass('public.audit_log') IS NULL")" "t"
get /api/migrate/up -X POST -H "Content-Type: application/json" -d '{"confirm": "yes"}'
equals "confirmed apply: 200" "$CODE" 200
contains "the safe runner's document" "$BODY" '"safe": true'
equals "migration applied" "$(sql "$db" "SELECT to_regclass('public.audit_log') IS NOT NULL")" "t"
get /migrations
contains "migrations page offers the apply form" "$BODY" 'action="/api/migrate/up"'
lacks "no password in apply responses" "$(cat "$ALL")" "$pw"
stop_server

# -- binds
expect_rc 2 "non-loopback bind refused" "$PGW" serve --db "$db" --bind 0.0.0.0 --port 0
contains "says why" "$ERR" "not a loopback address"
contains "names the flag" "$ERR" "--allow-remote"
expect_rc 2 "not an address" "$PGW" serve --db "$db" --bind localhost.example --port 0
expect_rc 2 "bad pool size" "$PGW" serve --db "$db" --pool 9
"$PGW" serve --db "$db" --bind 0.0.0.0 --allow-remote --port 0 >"$SCRATCH/remote.out" 2>"$SCRATCH/remote.err" &
rpid=$!
remote_up() { grep -q 'open: ' "$SCRATCH/remote.out"; }
check "remote bind with --allow-remote" wait_until 30 remote_up
contains "loud warning" "$(cat "$SCRATCH/remote.err")" "ONLY protection"
kill "$rpid"; wait "$rpid"
equals "stops cleanly on SIGTERM" "$?" 0
# the port in use
"$PGW" serve --db "$db" --port 0 >"$SCRATCH/a.out" 2>&1 &
apid=$!
a_up() { grep -q 'open: ' "$SCRATCH/a.out"; }
check "first server up" wait_until 30 a_up
port=$(sed -n 's|^pgwarden serve: listening on http://127.0.0.1:\([0-9]*\)/|\1|p' "$SCRATCH/a.out")
expect_rc 3 "port in use: exit 3" "$PGW" serve --db "$db" --port "$port"
contains "port in use message" "$ERR" "cannot listen"
kill "$apid"; wait "$apid"

finish
