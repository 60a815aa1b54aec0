#!/bin/bash
# pgwarden under SIGINT and SIGTERM (Ctrl-C): the running statement is
# cancelled, the command rolls back, releases the migration lock, removes
# its sandbox, says what was interrupted and exits 130 — or it finished
# before the signal and exits 0.  Afterwards: no session of it on the
# server, no advisory lock, no sandbox folder or server, the database as
# before or with exactly N whole migrations applied (the history agrees),
# and with --json one valid document ("interrupted": true).
#
# Signals land at random points (seeded: the seed is printed, and
# PGW_INTERRUPT_SEED=N replays a run; PGW_INTERRUPT_TRIALS sets the trials
# per command: 6 by default for migrate up, 2 for the commands that
# start a sandbox), and at chosen points: inside a slow statement, in the
# retry pause after a lock timeout, waiting for the migration lock, while
# the squash sandbox runs.
. "$(dirname "$0")/../lib.sh"

# squash's sandbox folders go here, so only ours are counted
export TMPDIR="$SCRATCH/tmp"
mkdir -p "$TMPDIR" && chmod 755 "$TMPDIR"

seed=${PGW_INTERRUPT_SEED:-$(( (RANDOM << 15) | RANDOM ))}
trials=${PGW_INTERRUPT_TRIALS:-6}
slow_trials=${PGW_INTERRUPT_TRIALS:-2}
echo "test_interrupt: seed $seed (PGW_INTERRUPT_SEED=$seed replays this run)"
RANDOM=$seed

# interrupt SIGNAL DELAY_MS OUT ERR COMMAND... — runs the command in the
# background, sends the signal after the delay; RC gets its exit code and
# TOOK_MS the time from the signal to its end
interrupt() {
    local sig=$1 ms=$2 out=$3 err=$4 pid t0
    shift 4
    "$@" >"$out" 2>"$err" &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    t0=$(date +%s%N)
    kill "-$sig" "$pid" 2>/dev/null
    wait "$pid"
    RC=$?
    TOOK_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# signalled LABEL SIGNAL ERR [JSON] — the exit code is 130 with the reason
# on stderr (and a document that says so), or 0 (done before the signal)
signalled() {
    local label=$1 sig=$2 err=$3 json=${4:-}
    CHECKS=$((CHECKS + 1))
    case $RC in
        130)
            contains "$label: says it was interrupted" "$(cat "$err")" "interrupted by $sig"
            [ -z "$json" ] || jq -e '.ok == false and .interrupted == true' \
                "$json" >/dev/null || fail "$label: no valid JSON document saying it was interrupted: $(head -c 300 "$json")" ;;
        0)
            [ -z "$json" ] || jq -e '.ok == true' "$json" >/dev/null || fail "$label: exit 0 without a valid document" ;;
        *)
            fail "$label: exit code $RC, expected 130 (or 0)"
            sed 's/^/    /' "$err" >&2 ;;
    esac
}

dbname() { echo "$1" | sed 's|.*@/\([^?]*\)?.*|\1|'; }
no_session() {
    [ "$(sql "$PGW_TEST_URL" "SELECT count(*) FROM pg_stat_activity WHERE datname = '$(dbname "$1")'")" = 0 ]
}
# left LABEL DB — no session on DB (none given: not checked), no advisory lock, no sandbox folder or server
left() {
    local label=$1 db=$2
    if [ -n "$db" ]; then
        wait_until 10 no_session "$db" || fail "$label: a session is still on the database"
        equals "$label: no advisory lock" "$(sql "$PGW_TEST_URL" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
            AND database = (SELECT oid FROM pg_database WHERE datname = '$(dbname "$db")')")" 0
    fi
    equals "$label: no sandbox folder" "$(find "$TMPDIR" -maxdepth 1 -name 'pgwarden-sandbox-*' | wc -l)" 0
    equals "$label: no sandbox server" "$(pgrep -f "postgres -D $TMPDIR" | wc -l)" 0
    if [ -d .pgwarden/sandbox ]; then
        "$PGW" local status --dir .pgwarden/sandbox 2>/dev/null | grep -Eq "local database: (stopped|not created)" ||
            fail "$label: the cached sandbox cluster is still running"
    fi
}

# --- migrate up --------------------------------------------------------------------
# project NAME — migrations 1..10: k_N created, N marked; 5 sleeps 0.3 s
# (a statement running when the signal comes); 8 builds an index
# concurrently (statement by statement)
project() {
    local d="$SCRATCH/$1" i v
    rm -rf "$d" && mkdir -p "$d/migrations" || return 1
    printf '[project]\nmigrations_dir = migrations\nlock_timeout = %s\nlock_retries = 5\n' "${2:-5s}" > "$d/pgwarden.conf"
    echo "CREATE TABLE marks (n int PRIMARY KEY);" > "$d/migrations/00000000000000_marks.sql"
    for i in $(seq 1 10); do
        v=$(printf '%014d' "$i")
        case $i in
            5) printf 'CREATE TABLE k_%d (id int);\nSELECT pg_sleep(0.3);\nINSERT INTO marks VALUES (%d);\n' "$i" "$i" ;;
            8) printf 'CREATE TABLE k_%d (id int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS k_%d_id ON k_7 (id);\nINSERT INTO marks VALUES (%d);\n' "$i" "$i" "$i" ;;
            *) printf 'CREATE TABLE k_%d (id int);\nINSERT INTO k_%d VALUES (%d);\nINSERT INTO marks VALUES (%d);\n' "$i" "$i" "$i" "$i" ;;
        esac > "$d/migrations/${v}_k${i}.sql"
    done
    echo "$d"
}

# whole DB — "ok" when the applied migrations are 0..N-1 for some N, each
# with its table and mark and nothing of the others (migration 8, statement
# by statement, may be recorded as failed with its first statements kept)
whole() {
    local db=$1 h="SELECT NULL::bigint AS v, NULL::text AS status WHERE false" m="SELECT NULL::int AS n WHERE false"
    [ "$(sql "$db" "SELECT to_regclass('pgwarden.schema_migrations') IS NOT NULL")" = t ] &&
        h="SELECT version::bigint AS v, status FROM pgwarden.schema_migrations"
    [ "$(sql "$db" "SELECT to_regclass('marks') IS NOT NULL")" = t ] && m="SELECT n FROM marks"
    sql "$db" "
        WITH h AS ($h), m AS ($m),
        applied AS (SELECT v FROM h WHERE status = 'applied'),
        n AS (SELECT count(*) AS n FROM applied)
        SELECT CASE WHEN
            (SELECT coalesce(max(v), -1) FROM applied) = (SELECT n - 1 FROM n)
        AND NOT EXISTS (SELECT FROM generate_series(1, 10) g(i)
                        WHERE g.i <> 8 AND ((EXISTS (SELECT FROM applied WHERE v = g.i))
                                            <> (to_regclass('k_' || g.i) IS NOT NULL)
                                         OR (EXISTS (SELECT FROM applied WHERE v = g.i))
                                            <> (EXISTS (SELECT FROM m WHERE m.n = g.i))))
        AND NOT EXISTS (SELECT FROM h WHERE status <> 'applied' AND v <> 8)
        AND (SELECT count(*) FROM pg_index WHERE NOT indisvalid) = 0
        THEN 'ok' ELSE 'not whole' END"
}

p=$(project up)
cd "$p" || exit 1
for t in $(seq 1 "$trials"); do
    db=$(fresh_db "up$t") || { fail "cannot make a database"; break; }
    json=$(( RANDOM % 2 ))
    ms=$(( RANDOM % 1500 ))
    args=(migrate up --db "$db")
    [ "$json" = 1 ] && args=(--json "${args[@]}")
    interrupt INT "$ms" "$SCRATCH/up.out" "$SCRATCH/up.err" "$PGW" "${args[@]}"
    label="migrate up, trial $t (SIGINT after $ms ms$([ "$json" = 1 ] && echo ", --json"))"
    signalled "$label" SIGINT "$SCRATCH/up.err" "$([ "$json" = 1 ] && echo "$SCRATCH/up.out")"
    left "$label" "$db"
    equals "$label: whole migrations applied" "$(whole "$db")" ok
    expect_rc 0 "$label: the re-run finishes (no lock left)" "$PGW" -q migrate up --db "$db"
    equals "$label: all applied once" "$(sql "$db" "SELECT count(*), count(DISTINCT n) FROM marks")" "10|10"
done

# inside a slow statement: cancelled at once, nothing of it kept
db=$(fresh_db slow) || fail "cannot make a database"
expect_rc 0 "base" "$PGW" -q migrate up --db "$db"
printf 'CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n' > migrations/00000000000011_slow.sql
"$PGW" --json migrate up --db "$db" > "$SCRATCH/slow.out" 2> "$SCRATCH/slow.err" &
pid=$!
sleeping() { [ "$(sql "$db" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'")" = 1 ]; }
check "the slow statement runs" wait_until 20 sleeping
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
RC=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
equals "in a statement: exit code" "$RC" 130
[ "$took" -lt 5000 ] || fail "in a statement: took $took ms to stop"
signalled "in a statement" SIGINT "$SCRATCH/slow.err" "$SCRATCH/slow.out"
contains "names the statement" "$(cat "$SCRATCH/slow.err")" "00000000000011_slow.sql:2:1"
contains "the server cancelled it" "$(cat "$SCRATCH/slow.err")" "canceling statement due to user request"
equals "the document says which" "$(jq -r '.migrations[-1].file + " " + .migrations[-1].status' "$SCRATCH/slow.out")" \
    "00000000000011_slow.sql interrupted"
left "in a statement" "$db"
equals "nothing of it applied" "$(sql "$db" "SELECT to_regclass('slow') IS NULL, (SELECT count(*) FROM pgwarden.schema_migrations)")" "t|11"
# the same with SIGTERM
"$PGW" migrate up --db "$db" > "$SCRATCH/term.out" 2> "$SCRATCH/term.err" &
pid=$!
check "the slow statement runs again" wait_until 20 sleeping
kill -TERM "$pid"
wait "$pid"
RC=$?
equals "SIGTERM: exit code" "$RC" 130
signalled "SIGTERM" SIGTERM "$SCRATCH/term.err"
contains "the lines printed before it are there" "$(cat "$SCRATCH/term.out")" "pending: 1"
left "SIGTERM" "$db"
rm migrations/00000000000011_slow.sql

# in the pause between retries after a lock timeout: no waiting it out
p=$(project retry 200ms)
cd "$p" || exit 1
db=$(fresh_db retry) || fail "cannot make a database"
expect_rc 0 "base" "$PGW" -q migrate up --db "$db"
echo "ALTER TABLE k_1 ADD COLUMN c int;" > migrations/00000000000011_alter.sql
psql "$db" -X -q -c "BEGIN; LOCK TABLE k_1; SELECT pg_sleep(30); COMMIT;" >/dev/null 2>&1 &
holder=$!
locked() { [ "$(sql "$db" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'k_1' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; }
check "the other session holds the lock" wait_until 10 locked
"$PGW" migrate up --db "$db" > "$SCRATCH/retry.out" 2> "$SCRATCH/retry.err" &
pid=$!
retrying() { grep -q "attempt 3 of 6 failed" "$SCRATCH/retry.err"; }
check "it retries" wait_until 20 retrying
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
RC=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
equals "in the retry pause: exit code" "$RC" 130
[ "$took" -lt 1500 ] || fail "in the retry pause: took $took ms to stop (the pause is 2 s)"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
sql "$PGW_TEST_URL" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$(dbname "$db")' AND query LIKE 'BEGIN; LOCK%'" >/dev/null
left "in the retry pause" "$db"
equals "not applied" "$(sql "$db" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'k_1' AND column_name = 'c'")|$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations")" "0|11"

# waiting for the migration lock another run holds
psql "$db" -X -q -c "SELECT pg_advisory_lock(8099573728065185650); SELECT pg_sleep(30);" >/dev/null 2>&1 &
holder=$!
held() { [ "$(sql "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ]; }
check "the lock is held elsewhere" wait_until 10 held
"$PGW" migrate up --db "$db" --lock-wait 60 > "$SCRATCH/wait.out" 2> "$SCRATCH/wait.err" &
pid=$!
waiting() { grep -q "waiting up to 60 s" "$SCRATCH/wait.err"; }
check "it waits" wait_until 10 waiting
t0=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
RC=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
equals "waiting for the lock: exit code" "$RC" 130
[ "$took" -lt 1500 ] || fail "waiting for the lock: took $took ms to stop"
sql "$PGW_TEST_URL" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$(dbname "$db")' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null
left "waiting for the lock" "$db"

# --- migrate up --safe, test-migration, doctor --fix --yes (cached sandbox) ----------
p="$SCRATCH/safe"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\nschemas = app\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
echo "CREATE SCHEMA app; CREATE TABLE app.marks (n int PRIMARY KEY);" > migrations/00000000000000_app.sql
echo "DROP SCHEMA app CASCADE;" > migrations/00000000000000_app_rollback.sql
for i in 1 2; do
    v=$(printf '%014d' "$i")
    printf 'CREATE TABLE app.k_%d (id int);\nINSERT INTO app.marks VALUES (%d);\n' "$i" "$i" > "migrations/${v}_k$i.sql"
    printf 'DELETE FROM app.marks WHERE n = %d;\nDROP TABLE app.k_%d;\n' "$i" "$i" > "migrations/${v}_k${i}_rollback.sql"
done
# safe_whole DB — 0..N-1 applied, each with its objects, nothing else
safe_whole() {
    local db=$1
    [ "$(sql "$db" "SELECT to_regclass('pgwarden.schema_migrations') IS NOT NULL")" = t ] || {
        [ "$(sql "$db" "SELECT to_regnamespace('app') IS NULL")" = t ] && echo ok || echo "not whole"
        return
    }
    sql "$db" "
        WITH a AS (SELECT version::int AS v FROM pgwarden.schema_migrations WHERE status = 'applied')
        SELECT CASE WHEN (SELECT count(*) FROM pgwarden.schema_migrations WHERE status <> 'applied') = 0
            AND (SELECT coalesce(max(v), -1) FROM a) = (SELECT count(*) - 1 FROM a)
            AND (to_regnamespace('app') IS NOT NULL) = EXISTS (SELECT FROM a WHERE v = 0)
            AND NOT EXISTS (SELECT FROM generate_series(1, 2) g(i)
                            WHERE EXISTS (SELECT FROM a WHERE v = g.i) <> (to_regclass('app.k_' || g.i) IS NOT NULL))
            THEN 'ok' ELSE 'not whole' END"
}
for t in $(seq 1 "$slow_trials"); do
    db=$(fresh_db "safe$t") || { fail "cannot make a database"; break; }
    ms=$(( RANDOM % 6000 ))
    interrupt INT "$ms" "$SCRATCH/safe.out" "$SCRATCH/safe.err" "$PGW" --json migrate up --safe --db "$db"
    label="migrate up --safe, trial $t (SIGINT after $ms ms)"
    signalled "$label" SIGINT "$SCRATCH/safe.err" "$SCRATCH/safe.out"
    left "$label" "$db"
    equals "$label: whole migrations applied" "$(safe_whole "$db")" ok
done

db=$(fresh_db tm) || fail "cannot make a database"
expect_rc 0 "base" "$PGW" -q migrate up --db "$db"
printf 'CREATE TABLE app.notes (id int);\nSELECT pg_sleep(0.5);\n' > "$SCRATCH/20990101000000_notes.sql"
echo "DROP TABLE app.notes;" > "$SCRATCH/20990101000000_notes_rollback.sql"
before=$("$PGW" -q inspect --stable --out - --db "$db" 2>/dev/null | sha256sum)
for t in $(seq 1 "$slow_trials"); do
    ms=$(( RANDOM % 5000 ))
    interrupt INT "$ms" "$SCRATCH/tm.out" "$SCRATCH/tm.err" "$PGW" --json test-migration "$SCRATCH/20990101000000_notes.sql" --db "$db"
    label="test-migration, trial $t (SIGINT after $ms ms)"
    signalled "$label" SIGINT "$SCRATCH/tm.err" "$SCRATCH/tm.out"
    left "$label" "$db"
    equals "$label: the target unchanged" "$("$PGW" -q inspect --stable --out - --db "$db" 2>/dev/null | sha256sum)" "$before"
done
# in the statement, in a transaction on the target (--sandbox tx)
printf 'CREATE TABLE app.notes (id int);\nSELECT pg_sleep(30);\n' > "$SCRATCH/20990101000000_long.sql"
"$PGW" test-migration "$SCRATCH/20990101000000_long.sql" --sandbox tx --db "$db" > "$SCRATCH/tx.out" 2> "$SCRATCH/tx.err" &
pid=$!
in_trial() { [ "$(sql "$db" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%'")" = 1 ]; }
check "the trial runs on the target" wait_until 20 in_trial
kill -INT "$pid"
wait "$pid"
RC=$?
equals "test-migration --sandbox tx in a statement: exit code" "$RC" 130
signalled "test-migration --sandbox tx" SIGINT "$SCRATCH/tx.err"
left "test-migration --sandbox tx" "$db"
equals "the target unchanged after --sandbox tx" "$("$PGW" -q inspect --stable --out - --db "$db" 2>/dev/null | sha256sum)" "$before"

# doctor --fix --yes: the fix is written, tried, applied through migrate up --safe
p="$SCRATCH/doctor"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\nschemas = public\nexposed_schemas = public\ntenant_column = tenant_id\ntenant_setting = app.tenant\napp_role = authenticated\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
for t in $(seq 1 "$slow_trials"); do
    db=$(fresh_db "doc$t") || { fail "cannot make a database"; break; }
    rm -f migrations/*
    sql "$db" "CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
        ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenants_read ON tenants FOR SELECT TO authenticated
          USING (id = (SELECT current_setting('app.tenant', true))::bigint);
        CREATE TABLE vehicles (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), plate text);
        CREATE INDEX vehicles_tenant_idx ON vehicles (tenant_id);" >/dev/null
    ms=$(( RANDOM % 6000 ))
    interrupt INT "$ms" "$SCRATCH/doc.out" "$SCRATCH/doc.err" "$PGW" --json doctor --fix --yes --db "$db"
    label="doctor --fix --yes, trial $t (SIGINT after $ms ms)"
    signalled "$label" SIGINT "$SCRATCH/doc.err" "$SCRATCH/doc.out"
    left "$label" "$db"
    # before (RLS off, nothing recorded, the files removed) or the fix whole
    recorded=0
    [ "$(sql "$db" "SELECT to_regclass('pgwarden.schema_migrations') IS NOT NULL")" = t ] &&
        recorded=$(sql "$db" "SELECT count(*) FROM pgwarden.schema_migrations WHERE status = 'applied'")
    state=$(sql "$db" "SELECT (SELECT relrowsecurity FROM pg_class WHERE oid = 'vehicles'::regclass),
        $recorded, (SELECT count(*) FROM pg_policy WHERE polrelid = 'vehicles'::regclass)")
    case "$state" in
        "f|0|0") equals "$label: nothing applied, nothing left pending" "$(ls migrations | wc -l)" 0 ;;
        "t|1|4") ;;
        *) fail "$label: the database is neither as before nor fixed: $state" ;;
    esac
done

# --- squash (a throwaway cluster in TMPDIR) ---------------------------------------
p="$SCRATCH/squash"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\n' > "$p/pgwarden.conf"
cd "$p" || exit 1
echo "CREATE TABLE a (id int PRIMARY KEY);" > migrations/00000000000001_a.sql
echo "CREATE TABLE b (id int PRIMARY KEY, a int REFERENCES a);" > migrations/00000000000002_b.sql
echo "INSERT INTO a VALUES (1);" > migrations/00000000000003_c.sql
files=$(ls -R migrations | sha256sum)
for t in $(seq 1 "$slow_trials"); do
    ms=$(( RANDOM % 8000 ))
    interrupt INT "$ms" "$SCRATCH/sq.out" "$SCRATCH/sq.err" "$PGW" --json squash --yes
    label="squash, trial $t (SIGINT after $ms ms)"
    signalled "$label" SIGINT "$SCRATCH/sq.err" "$SCRATCH/sq.out"
    left "$label" ""
    if [ "$RC" = 130 ]; then
        equals "$label: the migrations untouched" "$(ls -R migrations | sha256sum)" "$files"
    else
        # it finished: put the files back for the next trial
        rm -rf migrations/archive migrations/*_squashed.sql
        echo "CREATE TABLE a (id int PRIMARY KEY);" > migrations/00000000000001_a.sql
        echo "CREATE TABLE b (id int PRIMARY KEY, a int REFERENCES a);" > migrations/00000000000002_b.sql
        echo "INSERT INTO a VALUES (1);" > migrations/00000000000003_c.sql
    fi
done
# while a migration runs in the sandbox
echo "SELECT pg_sleep(60);" > migrations/00000000000004_slow.sql
"$PGW" squash --yes > "$SCRATCH/sq.out" 2> "$SCRATCH/sq.err" &
pid=$!
sandbox_up() { ls "$TMPDIR"/pgwarden-sandbox-*/data/postmaster.pid >/dev/null 2>&1; }
check "the squash sandbox runs" wait_until 30 sandbox_up
sleep 1
t0=$(date +%s%N)
# twice, as an impatient user does: the clean-up still finishes
kill -INT "$pid"
sleep 0.2
second=0
kill -INT "$pid" 2>/dev/null && second=1
wait "$pid"
RC=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
equals "squash with its sandbox up: exit code" "$RC" 130
[ "$second" = 0 ] || contains "the second ^C: clean-up goes on" "$(cat "$SCRATCH/sq.err")" "still cleaning up"
[ "$took" -lt 10000 ] || fail "squash with its sandbox up: took $took ms to stop"
left "squash with its sandbox up" ""
# while its sandbox server starts (under load it can take seconds to answer;
# the fault point makes it never seem ready): pgwarden stops the server that
# is still starting, and waits for it, before it removes the folder the
# server writes in.  The server is held (SIGSTOP) when the ^C comes, so
# pgwarden must still be there a second later; let go, it stops, and none
# of its processes outlives pgwarden.
PGWARDEN_FAULT=local:slow-start "$PGW" squash --yes > "$SCRATCH/sq.out" 2> "$SCRATCH/sq.err" &
pid=$!
# the server itself: initdb's single-user backends write a negative pid
postmaster_up() {
    pm=$(head -1 "$TMPDIR"/pgwarden-sandbox-*/data/postmaster.pid 2>/dev/null)
    [ "${pm:-0}" -gt 0 ] 2>/dev/null
}
check "the squash sandbox server starts" wait_until 60 postmaster_up
sleep 1
kill -STOP "$pm"
kill -INT "$pid"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "squash while its sandbox starts: exited without waiting for its server to stop"
kill -CONT "$pm"
wait "$pid"
RC=$?
equals "squash while its sandbox starts: exit code" "$RC" 130
equals "squash while its sandbox starts: no server process left" \
    "$(pgrep -f "postgres -D $TMPDIR/pgwarden-sandbox-" | wc -l)" 0
left "squash while its sandbox starts" ""
# --- restore into a new database --------------------------------------------------
# interrupted anywhere (pg_restore, the comparison after it), the database
# made for it is dropped; finished, it is there and matches
p="$SCRATCH/restore"
mkdir -p "$p" && cd "$p" || exit 1
rdb=$(fresh_db restore) || fail "cannot make a database"
sql "$rdb" "CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;" >/dev/null
check "a backup to restore" "$PGW" -q backup --db "$rdb"
bname=$("$PGW" --json backup list --db "$rdb" | jq -r '.backups[0].name')
for t in $(seq 1 "$slow_trials"); do
    new="pgw_interrupt_restored_$t"
    ms=$(( RANDOM % 3000 ))
    interrupt INT "$ms" "$SCRATCH/rs.out" "$SCRATCH/rs.err" "$PGW" --json restore "$bname" --create "$new" --db "$rdb"
    label="restore, trial $t (SIGINT after $ms ms)"
    signalled "$label" SIGINT "$SCRATCH/rs.err" "$SCRATCH/rs.out"
    there=$(sql "$PGW_TEST_URL" "SELECT count(*) FROM pg_database WHERE datname = '$new'")
    case $RC in
        130) equals "$label: the database made for it is dropped" "$there" 0 ;;
        0) equals "$label: restored" "$there" 1
           sql "$PGW_TEST_URL" "DROP DATABASE $new WITH (FORCE)" >/dev/null ;;
    esac
done

echo "test_interrupt: seed $seed"
finish
