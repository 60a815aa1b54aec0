#!/bin/bash
# pgwarden lint against a real server: --pending reads the migration history
# (pgwarden.schema_migrations) of the target and lints only what is not
# applied; without --pending lint never connects, even when given --db.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
cd "$SCRATCH" || exit 1
mkdir -p migrations
printf "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\nDROP TABLE app.a;\n" \
    > migrations/20250101000000_first.sql
printf "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\nDROP TABLE app.b;\n" \
    > migrations/20250102000000_second.sql

# no history table yet: nothing is applied, both files are pending
expect_rc 1 "pending, no history table" "$PGW" --json lint --pending --fail-on warning --db "$db"
contains "both files" "$OUT" '"files": 2'
contains "target shown" "$OUT" '"kind": "url"'

check "record first as applied" "$PGW" -q migrate repair 20250101000000 --applied --db "$db"
expect_rc 1 "pending, first applied" "$PGW" --no-color lint --pending --fail-on warning --db "$db"
contains "second linted, named from the current folder" "$OUT" "migrations/20250102000000_second.sql:3:1: warning: table \"app.b\" is dropped"
lacks "first skipped" "$OUT" "20250101000000_first.sql"

check "record second as applied" "$PGW" -q migrate repair 20250102000000 --applied --db "$db"
expect_rc 0 "pending, all applied" "$PGW" --json lint --pending --db "$db"
contains "no files" "$OUT" '"files": 0'

# without --pending, --db is accepted and not used: no connection attempt
expect_rc 1 "no --pending, unreachable --db" "$PGW" lint --fail-on warning --db postgresql://nobody@127.0.0.1:1/x migrations
contains "both linted" "$OUT" "20250101000000_first.sql"
expect_rc 3 "--pending, unreachable --db" "$PGW" lint --pending --db postgresql://nobody@127.0.0.1:1/x
contains "cannot connect" "$ERR" "error: cannot connect"

# the classification agrees with the server: a statement pgwarden says
# cannot run in a transaction is exactly one PostgreSQL refuses in BEGIN
sql "$db" "CREATE TABLE t (a int); CREATE INDEX t_a ON t (a);
           CREATE TABLE p (a int) PARTITION BY RANGE (a);
           CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
           CREATE TYPE mood AS ENUM ('ok')" >/dev/null
while IFS= read -r stmt; do
    printf '%s;\n' "$stmt" > one.sql
    said=$("$PGW" --no-color lint --statements one.sql 2>&1)
    server=$(psql "$db" -X -q -v ON_ERROR_STOP=1 -c "BEGIN" -c "$stmt" -c "ROLLBACK" 2>&1 >/dev/null)
    case "$server" in
        *"inside a transaction block"*) want="not in a transaction" ;;
        *) want="" ;;
    esac
    CHECKS=$((CHECKS + 1))
    if [ -n "$want" ] && [[ "$said" != *"$want"* ]]; then
        fail "server refuses '$stmt' in a transaction, pgwarden says: $said"
    elif [ -z "$want" ] && [[ "$said" == *"not in a transaction"* ]]; then
        fail "server runs '$stmt' in a transaction ($server), pgwarden says: $said"
    fi
done <<'STATEMENTS'
CREATE INDEX CONCURRENTLY t_a2 ON t (a)
CREATE INDEX t_a3 ON t (a)
DROP INDEX CONCURRENTLY IF EXISTS t_nope
DROP INDEX IF EXISTS t_nope
REINDEX TABLE CONCURRENTLY t
REINDEX TABLE t
REINDEX (CONCURRENTLY) INDEX t_a
REINDEX SCHEMA public
VACUUM t
VACUUM (FULL) t
ANALYZE t
CLUSTER
CLUSTER t USING t_a
CREATE DATABASE t_lint_never_made
DROP DATABASE IF EXISTS t_lint_never_made
ALTER SYSTEM SET work_mem = '4MB'
ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY
ALTER TABLE p DETACH PARTITION p1
ALTER TYPE mood ADD VALUE 'meh'
ALTER TABLE t ADD COLUMN b int DEFAULT 0
TRUNCATE t
COMMENT ON TABLE t IS 'x'
STATEMENTS

# the lock pgwarden names for table t is the strongest one the server takes
# on t (pg_locks, inside the statement's transaction)
sql "$db" "CREATE TABLE u (id int PRIMARY KEY); ALTER TABLE t ADD COLUMN uid int;
           ALTER TABLE t ADD CONSTRAINT t_pos CHECK (a > 0) NOT VALID;
           CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN RETURN NEW; END\$\$" >/dev/null
toid=$(sql "$db" "SELECT 'public.t'::regclass::oid")
while IFS='|' read -r want stmt; do
    printf '%s;\n' "$stmt" > one.sql
    said=$("$PGW" --no-color lint --statements one.sql 2>&1)
    got=$(psql "$db" -X -At -v ON_ERROR_STOP=1 -c "BEGIN" -c "$stmt" \
        -c "SELECT mode FROM pg_catalog.pg_locks WHERE relation = $toid AND pid = pg_backend_pid()
            ORDER BY array_position(ARRAY['AccessShareLock','RowShareLock','RowExclusiveLock','ShareUpdateExclusiveLock',
              'ShareLock','ShareRowExclusiveLock','ExclusiveLock','AccessExclusiveLock'], mode) DESC LIMIT 1" \
        -c "ROLLBACK" 2>&1 | grep -v '^BEGIN$\|^ROLLBACK$' | tail -1)
    equals "server lock for '$stmt'" "$got" "$want"
    CHECKS=$((CHECKS + 1))
    case "$want" in
        AccessExclusiveLock) name="ACCESS EXCLUSIVE" ;;
        ShareRowExclusiveLock) name="SHARE ROW EXCLUSIVE" ;;
        ShareUpdateExclusiveLock) name="SHARE UPDATE EXCLUSIVE" ;;
        ShareLock) name="SHARE" ;;
        RowExclusiveLock) name="ROW EXCLUSIVE" ;;
        *) name="$want" ;;
    esac
    [[ "$said" == *" t ($name)"* ]] || fail "'$stmt': server takes $want on t, pgwarden says: $said"
done <<'STATEMENTS'
AccessExclusiveLock|ALTER TABLE t ADD COLUMN c int
ShareLock|CREATE INDEX t_c ON t (a)
ShareUpdateExclusiveLock|ALTER TABLE t VALIDATE CONSTRAINT t_pos
ShareRowExclusiveLock|ALTER TABLE t ADD CONSTRAINT t_u FOREIGN KEY (uid) REFERENCES u (id) NOT VALID
ShareRowExclusiveLock|CREATE TRIGGER t_trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg()
ShareUpdateExclusiveLock|COMMENT ON TABLE t IS 'x'
ShareLock|LOCK TABLE t IN SHARE MODE
AccessExclusiveLock|TRUNCATE t
RowExclusiveLock|INSERT INTO t (a) VALUES (1)
ShareUpdateExclusiveLock|ALTER TABLE t ALTER COLUMN a SET STATISTICS 100
ShareRowExclusiveLock|ALTER TABLE t DISABLE TRIGGER ALL
AccessExclusiveLock|CREATE POLICY t_p ON t USING (true)
ShareLock|REINDEX TABLE t
AccessExclusiveLock|ALTER TABLE t ALTER COLUMN a TYPE bigint
AccessExclusiveLock|ALTER TABLE t RENAME COLUMN a TO aa
AccessExclusiveLock|DROP TABLE t
ShareUpdateExclusiveLock|ALTER TABLE t SET (fillfactor = 90)
AccessExclusiveLock|ALTER TABLE t ALTER COLUMN a SET NOT NULL
STATEMENTS

# --- threads: the same output, byte for byte, whatever -j is ------------------
# every lint case's files (SQL errors, findings, suppressions) in one folder
mkdir -p many
n=0
for f in "$SRC"/tests/cases/lint/*/*.sql; do
    n=$((n + 1))
    cp "$f" "many/$(printf '%04d' "$n")_$(basename "$f")"
done
for fmt in text json sarif; do
    "$PGW" --no-color lint -j 1 --format "$fmt" many > "one.$fmt" 2>&1
    rc1=$?
    "$PGW" --no-color lint -j 4 --format "$fmt" many > "four.$fmt" 2>&1
    rc4=$?
    check "-j 4 prints what -j 1 prints ($fmt)" cmp -s "one.$fmt" "four.$fmt"
    equals "-j 4 exits as -j 1 ($fmt)" "$rc4" "$rc1"
done
contains "the cases hold SQL errors too" "$(cat one.text)" "error: syntax error"
"$PGW" --no-color lint -j 1 --statements many > one.st 2>&1
"$PGW" --no-color lint -j 3 --statements many > three.st 2>&1
check "--statements the same on threads" cmp -s one.st three.st
expect_rc 2 "-j 0 refused" "$PGW" lint -j 0 many

finish
