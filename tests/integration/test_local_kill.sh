#!/bin/bash
# SIGKILL `pgwarden local start` at many points (during initdb, while the
# server starts, while the Supabase basics are added): afterwards
# start/status/stop find and manage whatever it left — never an unmanaged
# server, never a broken cluster.  Delays are spread over the whole start, so
# the kill lands in different phases; the check does not depend on timing.
. "$(dirname "$0")/../lib.sh"

trials=${PGW_KILL_TRIALS:-8}
for t in $(seq 1 "$trials"); do
    proj="$SCRATCH/p$t"
    dir="$proj/.pgwarden/local"
    mkdir -p "$proj"
    CLUSTERS+=("$dir")
    delay=$(awk -v t="$t" -v n="$trials" 'BEGIN { printf "%.2f", 0.05 + (t - 1) * 1.0 / n }')
    (cd "$proj" && exec "$PGW" -q local start --supabase >/dev/null 2>&1) &
    victim=$!
    sleep "$delay"
    kill -KILL "$victim" 2>/dev/null
    wait "$victim" 2>/dev/null

    # whatever it left: status must answer, start must finish the job
    (cd "$proj" && "$PGW" --json local status >"$SCRATCH/status.json" 2>&1)
    check "trial $t: status answers" grep -q '"running"' "$SCRATCH/status.json"
    expect_rc 0 "trial $t: start after kill" bash -c "cd '$proj' && '$PGW' local start --supabase"
    equals "trial $t: exactly one server" "$(server_pids "$dir/data" | wc -l)" 1
    expect_rc 0 "trial $t: usable" bash -c "cd '$proj' && '$PGW' local psql -- -XAtc 'select count(*) from pg_roles where rolname = \$\$authenticated\$\$'"
    equals "trial $t: supabase flavour complete" "$OUT" 1
    expect_rc 0 "trial $t: stop" bash -c "cd '$proj' && '$PGW' local stop"
    equals "trial $t: no server after stop" "$(server_pids "$dir/data" | wc -l)" 0
done

# killed after the server started but before it was marked ready: a stop
# without a start must still find it
proj="$SCRATCH/late"
dir="$proj/.pgwarden/local"
mkdir -p "$proj"
CLUSTERS+=("$dir")
(cd "$proj" && exec "$PGW" -q local start >/dev/null 2>&1) &
victim=$!
wait_until 30 test -f "$dir/data/postmaster.pid"
kill -KILL "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
wait_until 30 bash -c "[ \$(pgrep -fc 'postgres -D $dir/data') -gt 0 ]"
expect_rc 0 "stop after kill during server start" bash -c "cd '$proj' && '$PGW' local stop"
equals "no orphan server" "$(server_pids "$dir/data" | wc -l)" 0
finish
