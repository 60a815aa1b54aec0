#!/bin/bash
# pgwarden maintain against a real server: a dry run counts and changes
# nothing; --yes deletes exactly the rows a rule names, in batches no larger
# than its batch size, while a pgbench writer inserts into the same table
# without a failed transaction; the table is vacuumed afterwards; SIGTERM
# mid-run leaves only whole batches deleted and a second run resumes; a
# batch that fails (fault point) or meets a held row lock rolls back alone;
# bad rules change nothing.  200k rows here (the 2 M-row run is bench/maintain).
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
proj="$SCRATCH/proj"
mkdir -p "$proj"
cat >"$proj/pgwarden.conf" <<'CONF'
[project]
lock_timeout = 300ms
lock_retries = 1

[maintain]
pause = 0

[retention "job_queue"]
column = created_at
keep = 7d
where = status = 'done'
batch = 1000
CONF
cd "$proj" || exit 1

sql "$db" "CREATE TABLE job_queue (id bigserial PRIMARY KEY, status text NOT NULL,
             created_at timestamptz NOT NULL, payload text);
           INSERT INTO job_queue (status, created_at, payload)
             SELECT 'done', now() - interval '10 days' - g * interval '1 s', 'p' FROM generate_series(1, 150000) g;
           INSERT INTO job_queue (status, created_at, payload)
             SELECT 'failed', now() - interval '10 days', 'p' FROM generate_series(1, 20000) g;
           INSERT INTO job_queue (status, created_at, payload)
             SELECT 'done', now() - interval '1 day', 'p' FROM generate_series(1, 30000) g;" >/dev/null

# dry run: counts, changes nothing
expect_rc 0 "dry run" "$PGW" --no-color maintain --db "$db"
contains "dry run counts" "$OUT" "public.job_queue: 150000 rows would go (created_at older than 7 d, where status = 'done'), 150 batches of 1000"
contains "dry run says so" "$OUT" "dry run: nothing changed"
equals "dry run deleted nothing" "$(sql "$db" "SELECT count(*) FROM job_queue")" 200000
expect_rc 0 "dry run json" "$PGW" --json maintain --db "$db"
equals "json matching" "$(echo "$OUT" | jq -c '[.dry_run, .summary.matching, .summary.deleted, .retention[0].batches]')" '[true,150000,0,150]'

# --yes while pgbench inserts into the same table
cat >"$SCRATCH/writer.sql" <<'SQL'
INSERT INTO job_queue (status, created_at, payload) VALUES ('queued', now(), 'w');
SQL
pgbench -n -c 2 -t 1500 -f "$SCRATCH/writer.sql" "$db" >"$SCRATCH/pgbench.out" 2>&1 &
bench=$!
expect_rc 0 "maintain --yes" "$PGW" --json maintain --yes --pause 2ms --db "$db"
wait "$bench"
equals "pgbench ran without error" "$?" 0
contains "pgbench: no failed transaction" "$(cat "$SCRATCH/pgbench.out")" "number of failed transactions: 0"
equals "deleted, batches, largest batch" \
    "$(echo "$OUT" | jq -c '[.summary.deleted, .retention[0].batches, .retention[0].largest_batch, .retention[0].finished]')" \
    '[150000,150,1000,true]'
equals "old done rows gone" "$(sql "$db" "SELECT count(*) FROM job_queue WHERE status = 'done' AND created_at < now() - interval '7 days'")" 0
equals "other rows kept" "$(sql "$db" "SELECT count(*) FILTER (WHERE status = 'failed') || ' ' || count(*) FILTER (WHERE status = 'done') || ' ' || count(*) FILTER (WHERE status = 'queued') FROM job_queue")" "20000 30000 3000"
equals "vacuumed after retention" "$(echo "$OUT" | jq -c '[.vacuum[] | select(.table == "job_queue") | .reasons[0], .result]')" '["retention","VACUUM (ANALYZE) done"]'
vacuumed() { [ "$(sql "$db" "SELECT vacuum_count > 0 AND analyze_count > 0 FROM pg_stat_user_tables WHERE relname = 'job_queue'")" = t ]; }
check "the server saw the vacuum" wait_until 20 vacuumed

# nothing left: a rerun deletes nothing, vacuums nothing for retention
expect_rc 0 "second run" "$PGW" --json maintain --yes --db "$db"
equals "second run deleted nothing" "$(echo "$OUT" | jq -c '[.summary.deleted, .retention[0].finished]')" '[0,true]'

# SIGTERM mid-run: only whole batches are deleted, a rerun resumes
sql "$db" "TRUNCATE job_queue; INSERT INTO job_queue (status, created_at, payload)
           SELECT 'done', now() - interval '10 days', 'p' FROM generate_series(1, 60000) g" >/dev/null
"$PGW" --no-color maintain --yes --no-vacuum --pause 40ms --db "$db" >"$SCRATCH/term.out" 2>"$SCRATCH/term.err" &
mpid=$!
some_gone() { [ "$(sql "$db" "SELECT count(*) < 57000 FROM job_queue")" = t ]; }
check "the run is under way" wait_until 60 some_gone
kill -TERM "$mpid"
wait "$mpid"
equals "SIGTERM: exit 130" "$?" 130
left=$(sql "$db" "SELECT count(*) FROM job_queue")
equals "whole batches only" "$((left % 1000))" 0
check "stopped before the end" test "$left" -gt 0
contains "says how to resume" "$(cat "$SCRATCH/term.out" "$SCRATCH/term.err")" "run again to resume"
expect_rc 0 "resumed run" "$PGW" --json maintain --yes --no-vacuum --db "$db"
equals "resumed run deletes the rest" "$(echo "$OUT" | jq .summary.deleted)" "$left"
equals "table empty" "$(sql "$db" "SELECT count(*) FROM job_queue")" 0

# a failing batch rolls back alone: two whole batches stay deleted
sql "$db" "INSERT INTO job_queue (status, created_at, payload)
           SELECT 'done', now() - interval '10 days', 'p' FROM generate_series(1, 5000) g" >/dev/null
expect_rc 5 "fault in the third batch" env PGWARDEN_FAULT=maintain:batch-fail "$PGW" --no-color maintain --yes --db "$db"
contains "names the failure" "$ERR" "a retention batch failed and was rolled back"
equals "two batches deleted" "$(sql "$db" "SELECT count(*) FROM job_queue")" 3000

# a row lock held past lock_timeout: the batch is retried, then fails alone
psql "$db" -X -q -c "BEGIN; SELECT * FROM job_queue ORDER BY id LIMIT 1 FOR UPDATE; SELECT pg_sleep(30); COMMIT;" >/dev/null 2>&1 &
holder=$!
held() { [ "$(sql "$db" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'BEGIN; SELECT * FROM job_queue%' AND state = 'active'")" = 1 ]; }
check "row lock held" wait_until 20 held
expect_rc 5 "locked batch" "$PGW" --no-color maintain --yes --no-vacuum --db "$db"
contains "lock hint" "$ERR" "past lock_timeout"
equals "nothing deleted under the lock" "$(sql "$db" "SELECT count(*) FROM job_queue")" 3000
sql "$db" "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; SELECT * FROM job_queue%'" >/dev/null
wait "$holder" 2>/dev/null

# bad rules change nothing
cp pgwarden.conf good.conf
printf '\n[retention "no_such_table"]\ncolumn = created_at\nkeep = 1d\n' >>pgwarden.conf
expect_rc 4 "missing table" "$PGW" --no-color maintain --yes --db "$db"
contains "names the table" "$ERR" "table 'no_such_table' of [retention \"no_such_table\"] does not exist"
equals "nothing deleted" "$(sql "$db" "SELECT count(*) FROM job_queue")" 3000
cp good.conf pgwarden.conf
printf '\n[retention "other"]\ncolumn = created_at\n' >>pgwarden.conf
expect_rc 4 "rule without keep" "$PGW" --no-color maintain --db "$db"
contains "needs keep" "$ERR" "needs keep"
cp good.conf pgwarden.conf
printf '\n[retention "job_queue2"]\ncolumn = status\nkeep = 1d\n' >>pgwarden.conf
sql "$db" "CREATE TABLE job_queue2 (id int PRIMARY KEY, status text)" >/dev/null
expect_rc 4 "not a time column" "$PGW" --no-color maintain --db "$db"
contains "not a time" "$ERR" "is not a date or timestamp"
cp good.conf pgwarden.conf
expect_rc 4 "unknown --table" "$PGW" --no-color maintain --table nope --db "$db"
contains "no rule" "$ERR" "no retention rule for table 'nope'"

# vacuum by dead rows, found from the statistics
sql "$db" "CREATE TABLE churn (id int PRIMARY KEY, v text);
           INSERT INTO churn SELECT g, 'x' FROM generate_series(1, 5000) g;
           DELETE FROM churn WHERE id <= 3000; SELECT pg_stat_force_next_flush();" >/dev/null
dead_seen() { [ "$(sql "$db" "SELECT n_dead_tup >= 3000 FROM pg_stat_user_tables WHERE relname = 'churn'")" = t ]; }
check "statistics show the dead rows" wait_until 20 dead_seen
expect_rc 0 "vacuum dry run" "$PGW" --no-color maintain --no-retention --db "$db"
contains "churn needs vacuum" "$OUT" "public.churn: 3000 dead rows (60.0%)"
contains "would vacuum" "$OUT" "dead_rows"
expect_rc 0 "vacuum" "$PGW" --json maintain --no-retention --yes --db "$db"
equals "churn vacuumed" "$(echo "$OUT" | jq -r '.vacuum[] | select(.table == "churn") | .result')" "VACUUM (ANALYZE) done"

# --schedule
expect_rc 0 "schedule" "$PGW" --no-color maintain --schedule --at "30 3 * * *" --db "$db"
contains "crontab line" "$OUT" "30 3 * * * cd '$proj' && pgwarden maintain --yes"
expect_rc 2 "--yes with --dry-run" "$PGW" maintain --yes --dry-run --db "$db"
finish
