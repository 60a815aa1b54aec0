#!/bin/bash
# pgwarden migrate under stress, against a real server: the runner SIGKILLed
# at random points (every migration applied and recorded, or neither; a
# re-run finishes), several runners at once (each migration applied exactly
# once), the server connection terminated mid-migration, a conflicting lock
# held by another session (lock timeout, retries, success or a clean
# failure), and the migration lock held elsewhere (waits, or names the pid).
# PGW_KILL_TRIALS sets the number of kill trials (default 8).
. "$(dirname "$0")/../lib.sh"

LOCK_KEY=8099573728065185650

# project NAME COUNT [lock_timeout] [retries] — COUNT migrations; migration
# N creates table k_N and inserts N into marks; migration 16 (when there)
# builds an index concurrently, so a run holds a non-transactional one
project() {
    local d="$SCRATCH/$1" n=$2 i v
    rm -rf "$d" && mkdir -p "$d/migrations" || return 1
    printf '[project]\nmigrations_dir = migrations\nlock_timeout = %s\nlock_retries = %s\n' \
        "${3:-5s}" "${4:-5}" > "$d/pgwarden.conf"
    echo "CREATE TABLE marks (n int PRIMARY KEY);" > "$d/migrations/00000000000000_marks.sql"
    for i in $(seq 1 "$n"); do
        v=$(printf '%014d' "$i")
        if [ "$i" = 16 ]; then
            printf 'CREATE INDEX CONCURRENTLY IF NOT EXISTS k15_id ON k_15 (id);\nINSERT INTO marks VALUES (%d);\n' "$i" \
                > "$d/migrations/${v}_index.sql"
        else
            printf 'CREATE TABLE k_%d (id int);\nINSERT INTO k_%d VALUES (%d);\nINSERT INTO marks VALUES (%d);\n' \
                "$i" "$i" "$i" "$i" > "$d/migrations/${v}_k${i}.sql"
        fi
    done
    echo "$d"
}

# consistent DB COUNT — every migration is applied and recorded, or neither
consistent() {
    local db=$1 n=$2 h m
    # killed before the first commit: neither table exists yet
    h="SELECT NULL::bigint AS v, NULL::text AS status WHERE false"
    m="SELECT NULL::int AS n WHERE false"
    [ "$(sql "$db" "SELECT to_regclass('pgwarden.schema_migrations') IS NOT NULL")" = t ] &&
        h="SELECT version::bigint AS v, status FROM pgwarden.schema_migrations"
    [ "$(sql "$db" "SELECT to_regclass('marks') IS NOT NULL")" = t ] && m="SELECT n FROM marks"
    sql "$db" "
        WITH h AS ($h), m AS ($m)
        SELECT count(*) FROM generate_series(1, $n) AS g(i)
        WHERE g.i <> 16 AND (
              (EXISTS (SELECT FROM h WHERE h.v = g.i AND status = 'applied'))
          <> (to_regclass('k_' || g.i) IS NOT NULL)
           OR (EXISTS (SELECT FROM h WHERE h.v = g.i AND status = 'applied'))
          <> (EXISTS (SELECT FROM m WHERE m.n = g.i)))"
}

# no_runner DB — no pgwarden session left on the database (a killed
# client's backend finishes its statement before it notices)
no_runner() {
    [ "$(sql "$PGW_TEST_URL" "SELECT count(*) FROM pg_stat_activity WHERE datname = '$(dbname "$1")' AND application_name = 'pgwarden migrate'")" = 0 ]
}
dbname() { echo "$1" | sed 's|.*@/\([^?]*\)?.*|\1|'; }

# --- SIGKILL at random points -------------------------------------------------
trials=${PGW_KILL_TRIALS:-8}
p=$(project kill 30)
cd "$p" || exit 1
for t in $(seq 1 "$trials"); do
    db=$(fresh_db "kill$t") || { fail "cannot make a database"; break; }
    PGWARDEN_FAULT=migrate:slow "$PGW" -q migrate up --db "$db" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    wait_until 10 no_runner "$db" || fail "trial $t: a runner backend is still there"
    equals "trial $t: applied and recorded, or neither" "$(consistent "$db" 30)" "0"
    expect_rc 0 "trial $t: the re-run finishes" "$PGW" -q migrate up --db "$db"
    equals "trial $t: all applied once" "$(sql "$db" "SELECT count(*), count(DISTINCT n) FROM marks")" "30|30"
    equals "trial $t: history complete" "$(sql "$db" "SELECT count(*) FILTER (WHERE status = 'applied') FROM pgwarden.schema_migrations")" "31"
    equals "trial $t: no INVALID index" "$(sql "$db" "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" "0"
    equals "trial $t: the index is there" "$(sql "$db" "SELECT to_regclass('k15_id') IS NOT NULL")" "t"
done

# --- several runners at once ------------------------------------------------------
db=$(fresh_db many) || { fail "cannot make a database"; finish; }
p=$(project many 20)
cd "$p" || exit 1
pids=()
for i in 1 2 3 4 5 6; do
    "$PGW" -q migrate up --db "$db" > "$SCRATCH/many.$i.out" 2>&1 &
    pids+=($!)
done
ok=0
for pid in "${pids[@]}"; do
    wait "$pid" && ok=$((ok + 1))
done
equals "six runners all succeed" "$ok" "6"
equals "each migration applied exactly once" "$(sql "$db" "SELECT count(*), count(DISTINCT n) FROM marks")" "20|20"
equals "history rows" "$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations")" "21"

# --- the server connection terminated mid-migration ------------------------------------
db=$(fresh_db term) || { fail "cannot make a database"; finish; }
p=$(project term 2)
cd "$p" || exit 1
printf 'CREATE TABLE slow (id int);\nSELECT pg_sleep(20);\n' > migrations/00000000000003_slow.sql
"$PGW" migrate up --db "$db" > "$SCRATCH/term.out" 2> "$SCRATCH/term.err" &
pid=$!
sleeping() { [ "$(sql "$db" "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgwarden migrate' AND query LIKE 'SELECT pg_sleep%'")" = 1 ]; }
check "the migration is running" wait_until 20 sleeping
sql "$db" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgwarden migrate' AND datname = current_database()" >/dev/null
wait "$pid"
equals "exit code 5" "$?" "5"
contains "says the connection was lost" "$(cat "$SCRATCH/term.err")" "the connection to the server was lost"
contains "names the statement" "$(cat "$SCRATCH/term.err")" "00000000000003_slow.sql:2:1"
equals "nothing of it applied" "$(sql "$db" "SELECT to_regclass('slow') IS NULL, (SELECT count(*) FROM pgwarden.schema_migrations)")" "t|3"
printf 'CREATE TABLE slow (id int);\nSELECT pg_sleep(0);\n' > migrations/00000000000003_slow.sql
expect_rc 0 "the re-run applies it" "$PGW" -q migrate up --db "$db"
equals "applied" "$(sql "$db" "SELECT to_regclass('slow') IS NOT NULL")" "t"

# --- a conflicting lock held by another session -----------------------------------------
db=$(fresh_db locks) || { fail "cannot make a database"; finish; }
p=$(project locks 1 300ms 5)
cd "$p" || exit 1
expect_rc 0 "base" "$PGW" -q migrate up --db "$db"
echo "ALTER TABLE k_1 ADD COLUMN c int;" > migrations/00000000000002_alter.sql
locked() { [ "$(sql "$db" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'k_1' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; }
psql "$db" -X -q -c "BEGIN; LOCK TABLE k_1; SELECT pg_sleep(1.2); COMMIT;" >/dev/null 2>&1 &
holder=$!
check "the other session holds the lock" wait_until 10 locked
expect_rc 0 "lock timeout, retries, then success" "$PGW" migrate up --db "$db"
contains "first attempt failed" "$ERR" "attempt 1 of 6 failed: canceling statement due to lock timeout; retrying in 0.5 s"
contains "attempts shown" "$OUT" "after "
wait "$holder"
equals "column added once" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'k_1' AND column_name = 'c'")" "1"
# the last retry fails: a clean failure, nothing applied
p=$(project locks2 1 200ms 1)
cd "$p" || exit 1
db=$(fresh_db locks2) || { fail "cannot make a database"; finish; }
expect_rc 0 "base" "$PGW" -q migrate up --db "$db"
echo "ALTER TABLE k_1 ADD COLUMN c int;" > migrations/00000000000002_alter.sql
psql "$db" -X -q -c "BEGIN; LOCK TABLE k_1; SELECT pg_sleep(4); COMMIT;" >/dev/null 2>&1 &
holder=$!
check "the other session holds the lock" wait_until 10 locked
expect_rc 5 "lock timeout after the last retry" "$PGW" migrate up --db "$db"
contains "attempt 1 of 2" "$ERR" "attempt 1 of 2 failed"
contains "sqlstate" "$ERR" "SQLSTATE 55P03"
contains "hint" "$ERR" "raise lock_timeout"
equals "not applied" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'k_1' AND column_name = 'c'")|$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations")" "0|2"
wait "$holder"

# --- the migration lock held by someone else ----------------------------------------------
# (6 s: the three runs below must start while it is held, under ASan too)
psql "$db" -X -q -c "SELECT pg_advisory_lock($LOCK_KEY); SELECT pg_sleep(6);" >/dev/null 2>&1 &
holder=$!
# this database's lock only: other tests' runners hold the same key elsewhere
mydb="database = (SELECT oid FROM pg_database WHERE datname = current_database())"
held() { [ "$(sql "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 1835624306 AND $mydb")" = 1 ]; }
check "the lock is held" wait_until 10 held
hpid=$(sql "$db" "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 1835624306 AND $mydb")
expect_rc 3 "--lock-wait 0" "$PGW" migrate up --lock-wait 0 --db "$db"
contains "names the holder" "$ERR" "held by pid $hpid"
expect_rc 3 "--lock-wait 1 gives up" "$PGW" migrate up --lock-wait 1 --db "$db"
contains "waited" "$ERR" "after waiting 1s"
expect_rc 0 "status needs no lock" "$PGW" migrate status --db "$db"
expect_rc 0 "waits, then applies" "$PGW" migrate up --lock-wait 30 --db "$db"
contains "said it waits" "$ERR" "waiting up to 30 s for the migration lock held by pid $hpid"
wait "$holder"

finish
