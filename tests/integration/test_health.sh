#!/bin/bash
# pgwarden health against a real server: a session holding a lock that
# blocks another shows up as who-blocks-whom and makes the status critical
# once the wait passes --long-query; an unused index and a replication slot
# are listed; the report is read-only; --watch --count gives one JSON line
# per round.  No timing is asserted: the waits are polled, bounded.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE parts (id bigint PRIMARY KEY, sku text, note text);
           INSERT INTO parts SELECT g, 'sku' || g, 'n' FROM generate_series(1, 100) g;
           CREATE INDEX parts_note_idx ON parts (note);" >/dev/null

expect_rc 0 "quiet database: ok" "$PGW" --no-color health --db "$db"
contains "status ok" "$OUT" ": ok"
contains "unused index listed" "$OUT" "parts_note_idx"
contains "no blocking" "$OUT" "blocking locks (who waits for whom): none"
contains "pg_stat_statements noted" "$OUT" "pg_stat_statements is not installed"
expect_rc 0 "json" "$PGW" --json health --db "$db"
contains "status in summary" "$OUT" '"status": "ok"'
contains "unused index finding" "$OUT" '"rule": "health.unused_index"'
contains "sections" "$OUT" '"replication_slots": []'

# an inactive slot is a warning
sql "$db" "SELECT pg_create_physical_replication_slot('pgw_health_slot', true)" >/dev/null
expect_rc 0 "inactive slot: warning" "$PGW" --no-color health --db "$db"
contains "warning status" "$OUT" ": WARNING"
contains "slot named" "$OUT" "replication slot pgw_health_slot is inactive"
sql "$db" "SELECT pg_drop_replication_slot('pgw_health_slot')" >/dev/null

# a session holding a lock, another waiting for it
psql "$db" -X -q -c "BEGIN; LOCK TABLE parts; SELECT pg_sleep(60); COMMIT;" >/dev/null 2>&1 &
holder=$!
locked() { [ "$(sql "$db" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'parts' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; }
check "lock taken" wait_until 20 locked
psql "$db" -X -q -c "SELECT count(*) FROM parts" >/dev/null 2>&1 &
waiter=$!
waited() { [ "$(sql "$db" "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT count(*) FROM parts' AND wait_event_type = 'Lock' AND now() - query_start > interval '1.5 s'")" = 1 ]; }
check "the other session waits" wait_until 20 waited
hpid=$(sql "$db" "SELECT pid FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE parts%'")
wpid=$(sql "$db" "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT count(*) FROM parts'")
expect_rc 1 "blocked past --long-query: critical" "$PGW" --no-color health --long-query 1 --db "$db"
contains "critical" "$OUT" ": CRITICAL"
contains "who waits for whom" "$OUT" "pid $wpid has waited"
contains "names the blocker" "$OUT" "for pid $hpid (active)"
contains "blocking table" "$OUT" "SELECT count(*) FROM parts"
contains "long query reported" "$OUT" "pid $hpid has run for"
contains "the locked table is not sized (that would wait for the lock)" "$OUT" "locked"
expect_rc 0 "under the default threshold: warning" "$PGW" --json health --db "$db"
contains "blocking finding" "$OUT" '"rule": "health.blocking"'
contains "warning" "$OUT" '"status": "warning"'
sql "$db" "SELECT pg_terminate_backend($hpid)" >/dev/null
wait "$holder" "$waiter" 2>/dev/null

# read-only: a report changes nothing (its transaction is READ ONLY)
before=$(sql "$db" "SELECT count(*) FROM parts")
expect_rc 0 "after the lock is gone" "$PGW" health --db "$db"
equals "rows unchanged" "$(sql "$db" "SELECT count(*) FROM parts")" "$before"

# --watch --count: one JSON document per line per round
expect_rc 0 "watch, two rounds" "$PGW" --json health --watch 1 --count 2 --db "$db"
equals "two lines" "$(echo "$OUT" | wc -l | tr -d ' ')" "2"
echo "$OUT" > "$SCRATCH/watch.jsonl"
check "each line is JSON" python3 -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$SCRATCH/watch.jsonl"
expect_rc 2 "--count without --watch" "$PGW" health --count 2 --db "$db"

finish
