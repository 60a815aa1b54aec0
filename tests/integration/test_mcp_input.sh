#!/bin/bash
# pgwarden mcp on bad input, driven by hand over a pipe (no SDK): malformed
# JSON, not JSON-RPC, batches, unknown methods, requests before initialize,
# wrong argument types, unknown tools, apply tools without --allow-apply,
# '-' as a file, a call after the database died; each is a JSON-RPC error
# or an isError result, the server keeps answering, stdout holds only
# protocol lines, and secrets stay out of stdout and the log.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db input) || { fail "cannot make a database"; finish; }
proj="$SCRATCH/proj"
mkdir -p "$proj/supabase/migrations" && printf '[project]\nmigrations_dir = supabase/migrations\n' > "$proj/pgwarden.conf"
sql "$db" "CREATE TABLE t (id int PRIMARY KEY)" >/dev/null
cd "$proj" || exit 1

init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sh","version":"1"}}}'
# serve URL LINE... — the server's stdout for these lines (stderr to $SCRATCH/err)
serve() {
    local url=$1
    shift
    printf '%s\n' "$@" | timeout 120 "$PGW" --db "$url" mcp 2>"$SCRATCH/err"
    echo "rc=$?"
}
# reply OUT ID — the response with that id
reply() { printf '%s\n' "$1" | grep "\"id\":$2[,}]"; }

out=$(serve "$db" \
    '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' \
    "$init" \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
    '{"jsonrpc":"2.0","id":2,"method":' \
    'not json at all' \
    '[{"jsonrpc":"2.0","id":3,"method":"ping"}]' \
    '{"jsonrpc":"1.0","id":4,"method":"ping"}' \
    '{"jsonrpc":"2.0","id":5,"method":"no/such/method"}' \
    '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"validate","arguments":{"table":["x"]}}}' \
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"health","arguments":{"top":"ten"}}}' \
    '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}' \
    '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"migrate_up_safe","arguments":{}}}' \
    '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"lint","arguments":{"file":"-"}}}' \
    '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"validate","arguments":"oops"}}' \
    '{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"arguments":{}}}' \
    '{"jsonrpc":"2.0","id":13,"method":"resources/read","params":{"uri":"pgwarden://nothing"}}' \
    '{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"validate","arguments":{}}}' \
    '{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"generate","arguments":{"action":"drop-everything"}}}' \
    '{"jsonrpc":"2.0","id":16,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{}}}' \
    '{"jsonrpc":"2.0","id":17,"method":"ping"}')
contains "ends at end of input with 0" "$out" "rc=0"
lines=$(printf '%s\n' "$out" | grep -v '^rc=')
bad=$(printf '%s\n' "$lines" | while IFS= read -r l; do printf '%s' "$l" | node -e 'JSON.parse(require("fs").readFileSync(0,"utf8"))' 2>/dev/null || echo "$l"; done)
if command -v node >/dev/null 2>&1; then
    equals "stdout holds only JSON lines" "$bad" ""
fi
equals "one response per request (17) plus the parse errors' (2)" "$(printf '%s\n' "$lines" | wc -l)" 19
contains "before initialize: refused" "$(reply "$out" 1)" '"code":-32600'
contains "version negotiated: the client's" "$(reply "$out" 0)" '"protocolVersion":"2025-06-18"'
contains "truncated JSON: parse error" "$out" '{"jsonrpc":"2.0","id":null,"error":{"code":-32700'
equals "two parse errors" "$(printf '%s\n' "$out" | grep -c -- '-32700')" 2
contains "batch: invalid request" "$out" 'batches are not supported'
contains "jsonrpc 1.0: invalid request" "$(reply "$out" 4)" '"code":-32600'
contains "unknown method" "$(reply "$out" 5)" '"code":-32601'
contains "array for a string: isError" "$(reply "$out" 6)" 'table must be a string'
contains "isError set" "$(reply "$out" 6)" '"isError":true'
contains "string for an integer: isError" "$(reply "$out" 7)" 'top must be an integer'
contains "unknown tool: invalid params" "$(reply "$out" 8)" '"code":-32602'
contains "apply tool without --allow-apply: unknown, with the reason" "$(reply "$out" 9)" 'allow-apply'
contains "'-' is not a file here" "$(reply "$out" 10)" "is not a file path"
contains "arguments not an object" "$(reply "$out" 11)" 'arguments must be an object'
contains "no tool name" "$(reply "$out" 12)" '"code":-32602'
contains "unknown resource" "$(reply "$out" 13)" '"code":-32002'
contains "a good call still works after all that" "$(reply "$out" 14)" '"command":"validate"'
lacks "and is not an error" "$(reply "$out" 14)" '"isError":true'
contains "enum checked" "$(reply "$out" 15)" 'action must be one of'
contains "unknown version: the newest offered" "$(reply "$out" 16)" '"protocolVersion":"2025-11-25"'
contains "ping" "$(reply "$out" 17)" '"result":{}'
contains "stderr has the human text" "$(cat "$SCRATCH/err")" "MCP server on stdio"
contains "log written" "$(cat .pgwarden/mcp.log)" '"tool":"validate"'

# the database dies between two calls: isError with the message, then the
# server still answers
victim=$(fresh_db victim) || { fail "cannot make a database"; finish; }
victim_name=t_${TEST_NAME}_victim
{
    echo "$init"
    echo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"migrate_status","arguments":{}}}'
    # wait for the first answer before dropping the database
    while ! grep -q '"id":1,' "$SCRATCH/died.out" 2>/dev/null; do sleep 0.2; done
    sql "$PGW_TEST_URL" "DROP DATABASE \"$victim_name\" WITH (FORCE)" >/dev/null
    echo '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"validate","arguments":{}}}'
    echo '{"jsonrpc":"2.0","id":3,"method":"ping"}'
} | timeout 120 "$PGW" --db "$victim" mcp >"$SCRATCH/died.out" 2>"$SCRATCH/died.err"
equals "server exit code" "$?" 0
died=$(cat "$SCRATCH/died.out")
lacks "first call ran" "$(reply "$died" 1)" '"isError":true'
contains "call after the database died: isError" "$(reply "$died" 2)" '"isError":true'
contains "with the message" "$(reply "$died" 2)" 'error: '
contains "and the JSON error document" "$(reply "$died" 2)" '"exit_code":3'
contains "still answering" "$(reply "$died" 3)" '"result":{}'

# cancellation: a call blocked on a lock is cancelled by the client; no
# response is sent for it, its query is cancelled, the next call runs
psql "$db" -Xq -c "BEGIN; LOCK t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(100); COMMIT;" >/dev/null 2>&1 &
locker=$!
until [ "$(sql "$db" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 't' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; do sleep 0.2; done
{
    echo "$init"
    echo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"validate","arguments":{"table":"t"},"_meta":{"progressToken":"tok"}}}'
    # once the call runs and waits for the lock, cancel it
    while ! grep -q '"progressToken":"tok"' "$SCRATCH/cancel.out" 2>/dev/null; do sleep 0.2; done
    until [ "$(sql "$db" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 't' AND NOT l.granted")" -ge 1 ]; do sleep 0.2; done
    echo '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"test"}}'
    echo '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"migrate_status","arguments":{}}}'
} | timeout 120 "$PGW" --db "$db" mcp >"$SCRATCH/cancel.out" 2>"$SCRATCH/cancel.err"
equals "server exit code after a cancel" "$?" 0
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null
cancel=$(cat "$SCRATCH/cancel.out")
contains "progress sent for the call" "$cancel" '"method":"notifications/progress","params":{"progressToken":"tok","progress":1.0,"message":"running validate"}'
equals "no response for the cancelled call" "$(reply "$cancel" 1)" ""
contains "the next call runs" "$(reply "$cancel" 2)" '"command":"migrate status"'
lacks "and is not interrupted" "$(reply "$cancel" 2)" '"isError":true'
contains "its query was cancelled" "$(cat "$SCRATCH/cancel.err")" "canceling statement due to user request"
contains "logged as cancelled" "$(cat .pgwarden/mcp.log)" '"outcome":"cancelled","error":"interrupted by a cancel request'

# secrets: a password in the URL never reaches stdout or the log
pwurl="postgresql://nobody:Sup3rSecretPw@127.0.0.1:1/nodb"
out=$(serve "$pwurl" "$init" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"diff","arguments":{"from":"postgresql://a:An0therSecret@127.0.0.1:1/x","to":"postgresql://a:An0therSecret@127.0.0.1:1/y"}}}')
contains "connection failure is an isError result" "$(reply "$out" 1)" '"isError":true'
lacks "no password on stdout" "$out" "Sup3rSecretPw"
lacks "no argument password on stdout" "$out" "An0therSecret"
lacks "no password in the log" "$(cat .pgwarden/mcp.log)" "An0therSecret"
lacks "no password on stderr" "$(cat "$SCRATCH/err")" "Sup3rSecretPw"

# --read-only hides the tools that write files; options are checked
out=$(serve "$db" "$init" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
lacks "generate listed by default... (sanity)" "$(reply "$out" 1)" '"name":"migrate_up_safe"'
out=$(printf '%s\n' "$init" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | "$PGW" --db "$db" mcp --read-only 2>/dev/null)
lacks "--read-only: no generate" "$(reply "$out" 1)" '"name":"generate"'
lacks "--read-only: no backup" "$(reply "$out" 1)" '"name":"backup"'
contains "--read-only: validate stays" "$(reply "$out" 1)" '"name":"validate"'
expect_rc 2 "--allow-apply with --read-only" "$PGW" --db "$db" mcp --allow-apply --read-only </dev/null
finish
