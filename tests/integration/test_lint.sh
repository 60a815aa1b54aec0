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

sql "$db" "CREATE SCHEMA pgwarden; CREATE TABLE pgwarden.schema_migrations (version text PRIMARY KEY, name text);
           INSERT INTO pgwarden.schema_migrations VALUES ('20250101000000', 'first')" >/dev/null
expect_rc 1 "pending, first applied" "$PGW" --no-color lint --pending --fail-on warning --db "$db"
contains "second linted" "$OUT" "20250102000000_second.sql:3:1: warning: table \"app.b\" is dropped"
lacks "first skipped" "$OUT" "20250101000000_first.sql"

sql "$db" "INSERT INTO pgwarden.schema_migrations VALUES ('20250102000000', 'second')" >/dev/null
expect_rc 0 "pending, all applied" "$PGW" --json lint --pending --db "$db"
contains "no files" "$OUT" '"files": 0'

# without --pending, --db is accepted and not used: no connection attempt
expect_rc 1 "no --pending, unreachable --db" "$PGW" lint --fail-on warning --db postgresql://nobody@127.0.0.1:1/x migrations
contains "both linted" "$OUT" "20250101000000_first.sql"
expect_rc 3 "--pending, unreachable --db" "$PGW" lint --pending --db postgresql://nobody@127.0.0.1:1/x
contains "cannot connect" "$ERR" "error: cannot connect"

finish
