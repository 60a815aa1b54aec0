#!/bin/bash
# Output rules: color only on a terminal and never with NO_COLOR or
# --no-color; --json is one JSON document on stdout (also on errors) with no
# color; -q silences notes, not errors.  A terminal is made with script(1).
. "$(dirname "$0")/../lib.sh"

cd "$SCRATCH" || exit 1
esc=$'\033['
tty_run() {
    # script(1) gives the command a terminal; its output is the terminal's
    OUT=$(env "$@" script -qec "$PGW lcoal" /dev/null 2>&1)
}

tty_run TERM=xterm
contains "color on a terminal" "$OUT" "${esc}1;31merror"
tty_run TERM=xterm NO_COLOR=1
lacks "NO_COLOR honored" "$OUT" "$esc"
tty_run TERM=dumb
lacks "TERM=dumb has no color" "$OUT" "$esc"
OUT=$(TERM=xterm script -qec "$PGW --no-color lcoal" /dev/null 2>&1)
lacks "--no-color honored" "$OUT" "$esc"
OUT=$(TERM=xterm script -qec "$PGW --json local status" /dev/null 2>&1)
lacks "JSON never colored" "$OUT" "${esc}3"

expect_rc 2 "not a terminal" "$PGW" lcoal
lacks "no color in a pipe" "$ERR" "$esc"

# --json: exactly one document on stdout, for success and for each failure
for args in "local status" "lcoal" "target --db postgresql://u@127.0.0.1:1/x" "--config nope.conf target" "local url"; do
    # shellcheck disable=SC2086
    "$PGW" --json $args >"$SCRATCH/doc.json" 2>/dev/null
    rc=$?
    CHECKS=$((CHECKS + 1))
    # the server's JSON parser is the judge: one value, an object, with the keys
    if ! echo "select jsonb_typeof((:'doc')::jsonb) = 'object' and (:'doc')::jsonb ?& array['command', 'ok', 'target']" |
        psql "$PGW_TEST_URL" -XAtq -v doc="$(cat "$SCRATCH/doc.json")" | grep -qx t; then
        fail "'$args --json': stdout is not one JSON document: $(cat "$SCRATCH/doc.json")"
    fi
    if [ $rc -ne 0 ]; then
        contains "'$args --json' error code in JSON" "$(cat "$SCRATCH/doc.json")" "\"exit_code\": $rc"
    fi
done
# global options after the command work too
expect_rc 0 "--json after the command" "$PGW" local status --json
contains "JSON after the command" "$OUT" '"command": "local status"'

# -q: notes gone, errors stay
expect_rc 3 "quiet error" "$PGW" -q local url
contains "errors survive -q" "$ERR" "error: the local database is not created yet"
finish
