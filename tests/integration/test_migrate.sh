#!/bin/bash
# pgwarden migrate against a real server: files, history, checksums, up,
# down, redo, create, seed, reset, repair, baseline, non-transactional
# migrations, COPY, errors with file:line, and up → down → up giving a
# byte-identical snapshot.  (Locks, kills and concurrency:
# test_migrate_reliability.sh.)
. "$(dirname "$0")/../lib.sh"

# project NAME — a fresh project folder with a config; prints its path
project() {
    local d="$SCRATCH/$1"
    rm -rf "$d" && mkdir -p "$d/migrations" || return 1
    # exposed_schemas = public: lint's RLS rule is an error, as in a Supabase project
    printf '[project]\nmigrations_dir = migrations\nexposed_schemas = public\nlock_timeout = 2s\nlock_retries = 1\n' > "$d/pgwarden.conf"
    echo "$d"
}

# state DB — "version:status" of every history row
state() {
    sql "$1" "SELECT string_agg(version || ':' || status, ' ' ORDER BY version) FROM pgwarden.schema_migrations"
}

# --- the folder is checked before anything runs -----------------------------
db=$(fresh_db files) || { fail "cannot make a database"; finish; }
p=$(project files)
cd "$p" || exit 1
echo "CREATE TABLE a (id int);" > migrations/1_a.sql
echo "CREATE TABLE b (id int);" > migrations/notes.sql
expect_rc 4 "bad file name" "$PGW" migrate up --db "$db"
contains "names the file" "$ERR" "notes.sql: not a migration name"
equals "nothing created" "$(sql "$db" "SELECT to_regclass('pgwarden.schema_migrations') IS NULL AND to_regclass('a') IS NULL")" "t"
rm migrations/notes.sql
echo "CREATE TABLE b (id int);" > migrations/01_b.sql
expect_rc 4 "two files, one version" "$PGW" migrate status --db "$db"
contains "names both" "$ERR" "01_b.sql and 1_a.sql have the same version"
rm migrations/01_b.sql
echo "DROP TABLE z;" > migrations/7_z_rollback.sql
expect_rc 4 "rollback without migration" "$PGW" migrate up --db "$db"
contains "orphan rollback" "$ERR" "7_z_rollback.sql: a rollback without its migration"
rm migrations/7_z_rollback.sql
printf 'CREATE TABLE c (id int);\n' > migrations/2_c.sql
chmod 000 migrations/2_c.sql
if [ "$(id -u)" != 0 ]; then
    expect_rc 4 "unreadable file" "$PGW" migrate up --db "$db"
    contains "says so" "$ERR" "2_c.sql"
fi
chmod 644 migrations/2_c.sql
printf 'CREATE TABLE d (id int);\nCREATE TABLE d2 (id int;\n' > migrations/3_d.sql
expect_rc 4 "syntax error in a pending file" "$PGW" migrate up --db "$db"
contains "file:line:col, from the current folder" "$ERR" "migrations/3_d.sql:2:"
equals "nothing applied, not even the good ones" "$(sql "$db" "SELECT to_regclass('a') IS NULL AND to_regclass('c') IS NULL")" "t"
rm migrations/3_d.sql

# --- status, up, history ------------------------------------------------------
expect_rc 1 "status --exit-code with pending" "$PGW" migrate status --exit-code --db "$db"
contains "pending listed" "$OUT" "1                pending  a"
expect_rc 0 "status without --exit-code" "$PGW" --json migrate status --db "$db"
contains "json summary" "$OUT" '"pending": 2'
contains "no table yet" "$OUT" '"history_table": false'
expect_rc 1 "dry run (lint errors: exit 1)" "$PGW" --no-color migrate up --dry-run --db "$db"
contains "lists" "$OUT" "[1/2] 1_a.sql  1 statement, one transaction"
contains "lints" "$OUT" "1_a.sql:1:1: error: table \"public.a\" is created in exposed schema"
equals "dry run wrote nothing" "$(sql "$db" "SELECT to_regclass('pgwarden.schema_migrations') IS NULL AND to_regclass('a') IS NULL")" "t"
expect_rc 0 "up" "$PGW" --no-color migrate up --db "$db"
contains "progress" "$OUT" "[2/2] 2_c.sql  ok"
equals "history" "$(state "$db")" "1:applied 2:applied"
equals "history columns" "$(sql "$db" "SELECT name, checksum_algorithm, transaction_mode, applied_by = current_user, length(checksum) FROM pgwarden.schema_migrations WHERE version = '1'")" "a|sha256-lf-nobom|transaction|t|64"
equals "checksum is sha256 of the file" "$(sql "$db" "SELECT checksum FROM pgwarden.schema_migrations WHERE version = '1'")" "$(sha256sum < migrations/1_a.sql | cut -d' ' -f1)"
expect_rc 0 "up again: nothing" "$PGW" migrate up --db "$db"
contains "nothing to apply" "$OUT" "nothing to apply"
expect_rc 0 "status --exit-code clean" "$PGW" migrate status --exit-code --db "$db"

# CRLF and a BOM do not change the checksum; an edit does
printf '\xef\xbb\xbfCREATE TABLE a (id int);\r\n' > migrations/1_a.sql
expect_rc 0 "CRLF + BOM: same checksum" "$PGW" migrate status --exit-code --db "$db"
echo "CREATE TABLE a (id bigint);" > migrations/1_a.sql
echo "CREATE TABLE e (id int);" > migrations/4_e.sql
expect_rc 4 "edited applied file refused" "$PGW" migrate up --db "$db"
contains "names it" "$ERR" "1_a.sql: applied"
contains "points at repair" "$ERR" "pgwarden migrate repair VERSION --checksum"
equals "nothing ran" "$(sql "$db" "SELECT to_regclass('e') IS NULL")" "t"
expect_rc 1 "status shows changed" "$PGW" migrate status --exit-code --db "$db"
contains "changed" "$OUT" "changed"
expect_rc 0 "repair --checksum" "$PGW" migrate repair 1 --checksum --db "$db"
contains "recorded" "$OUT" "repaired 1: applied → checksum updated"
expect_rc 0 "up after repair" "$PGW" migrate up --db "$db"
equals "e applied" "$(state "$db")" "1:applied 2:applied 4:applied"

# a failing migration: server message, SQLSTATE, file:line, nothing of it kept
printf -- '-- five\nCREATE TABLE f (id int);\nINSERT INTO f VALUES (1);\nINSERT INTO nope VALUES (1);\n' > migrations/5_f.sql
echo "CREATE TABLE g (id int);" > migrations/6_g.sql
expect_rc 5 "failing migration" "$PGW" migrate up --db "$db"
contains "server message" "$ERR" 'relation "nope" does not exist'
contains "sqlstate" "$ERR" "SQLSTATE 42P01"
contains "file:line:col, from the current folder" "$ERR" "migrations/5_f.sql:4:13"
contains "rolled back" "$ERR" "nothing of this migration was applied"
equals "f not created, g not run" "$(sql "$db" "SELECT to_regclass('f') IS NULL AND to_regclass('g') IS NULL")" "t"
equals "not recorded" "$(state "$db")" "1:applied 2:applied 4:applied"
expect_rc 5 "json failure document" "$PGW" --json migrate up --db "$db"
contains "error in json" "$OUT" '"sqlstate": "42P01"'
contains "exit code in json" "$OUT" '"exit_code": 5'
printf 'CREATE TABLE f (id int);\nINSERT INTO f VALUES (1);\n' > migrations/5_f.sql
expect_rc 0 "fixed, up" "$PGW" migrate up --to 5 --db "$db"
equals "--to stops" "$(state "$db")" "1:applied 2:applied 4:applied 5:applied"
rm migrations/6_g.sql

# --- down, redo, rollbacks ---------------------------------------------------
expect_rc 4 "down without rollback" "$PGW" migrate down 2 --db "$db"
contains "no rollback, named from the current folder" "$ERR" "cannot roll back 'migrations/5_f.sql': it has no rollback"
contains "the file to write, from the current folder" "$ERR" "write migrations/5_f_rollback.sql"
equals "nothing rolled back" "$(state "$db")" "1:applied 2:applied 4:applied 5:applied"
echo "DROP TABLE f;" > migrations/5_f_rollback.sql
printf 'CREATE TABLE e (id int);\n-- pgwarden:down\nDROP TABLE e;\n' > migrations/4_e.sql
expect_rc 0 "repair after adding a down section keeps the checksum" "$PGW" migrate status --exit-code --db "$db"
expect_rc 0 "down 2" "$PGW" migrate down 2 --db "$db"
contains "newest first" "$OUT" "[1/2] rolled back 5_f.sql"
equals "both gone" "$(sql "$db" "SELECT to_regclass('e') IS NULL AND to_regclass('f') IS NULL")" "t"
equals "history" "$(state "$db")" "1:applied 2:applied"
expect_rc 0 "up" "$PGW" migrate up --db "$db"
expect_rc 0 "redo" "$PGW" migrate redo --db "$db"
contains "rolled back then applied" "$OUT" "rolled back 5_f.sql"
equals "f back, one row" "$(sql "$db" "SELECT count(*) FROM f")" "1"
expect_rc 4 "down --to past a migration without rollback" "$PGW" migrate down --to 0 --db "$db"
equals "still all applied" "$(state "$db")" "1:applied 2:applied 4:applied 5:applied"
expect_rc 2 "down with count and --to" "$PGW" migrate down 1 --to 2 --db "$db"

# --- non-transactional migrations ---------------------------------------------
db=$(fresh_db notx) || { fail "cannot make a database"; finish; }
p=$(project notx)
cd "$p" || exit 1
printf 'CREATE TABLE t (id int, email text);\nINSERT INTO t VALUES (1, '"'"'a'"'"'), (2, '"'"'a'"'"');\n' > migrations/1_t.sql
cat > migrations/2_idx.sql <<'EOF'
CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS t_email ON t (email);
CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id_email ON t (id, email);
EOF
expect_rc 5 "CIC fails on duplicates" "$PGW" migrate up --db "$db"
contains "which statements were applied" "$ERR" "statements 1 to 1 of 3 were applied"
contains "why" "$ERR" "CREATE INDEX CONCURRENTLY"
contains "invalid index dropped" "$ERR" "dropped the INVALID index t_email"
equals "no invalid index left" "$(sql "$db" "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" "0"
equals "first index kept" "$(sql "$db" "SELECT to_regclass('t_id') IS NOT NULL")" "t"
equals "recorded as failed" "$(sql "$db" "SELECT status, statements_applied, statements_total, transaction_mode FROM pgwarden.schema_migrations WHERE version = '2'")" "failed|1|3|statements"
expect_rc 1 "status shows failed" "$PGW" migrate status --exit-code --db "$db"
contains "failed state" "$OUT" "statements applied: 1 of 3"
sql "$db" "DELETE FROM t WHERE id = 2" >/dev/null
expect_rc 0 "re-run resumes" "$PGW" migrate up --db "$db"
contains "resumed" "$ERR" "resuming at statement 2 of 3"
contains "mode shown" "$OUT" "(3 statements outside a transaction)"
equals "applied" "$(sql "$db" "SELECT status, statements_applied IS NULL FROM pgwarden.schema_migrations WHERE version = '2'")" "applied|t"
equals "all indexes valid" "$(sql "$db" "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 't_%' AND indisvalid")" "3"
# --one-transaction refuses a file that cannot run in one, before running anything
echo "CREATE TABLE u (id int);" > migrations/3_u.sql
echo "VACUUM t;" > migrations/4_v.sql
expect_rc 4 "--one-transaction with VACUUM" "$PGW" migrate up --one-transaction --db "$db"
contains "names it" "$ERR" "4_v.sql"
equals "nothing applied" "$(sql "$db" "SELECT to_regclass('u') IS NULL")" "t"
rm migrations/4_v.sql
echo "CREATE TABLE w (id int);" > migrations/4_w.sql
echo "CREATE TABLE u (id int);" > migrations/5_dup.sql
expect_rc 5 "--one-transaction failure keeps none" "$PGW" migrate up --one-transaction --db "$db"
contains "none applied" "$ERR" "none of these migrations was applied"
equals "u and w absent" "$(sql "$db" "SELECT to_regclass('u') IS NULL AND to_regclass('w') IS NULL")" "t"
rm migrations/5_dup.sql
expect_rc 0 "--one-transaction" "$PGW" --json migrate up --one-transaction --db "$db"
contains "batch mode" "$OUT" '"transaction_mode": "batch"'
equals "both" "$(state "$db")" "1:applied 2:applied 3:applied 4:applied"

# a file with its own BEGIN/COMMIT around everything runs in the runner's
# transaction; one with several transactions runs as written
printf 'BEGIN;\nCREATE TABLE x1 (id int);\nCOMMIT;\n' > migrations/6_x1.sql
printf 'BEGIN;\nCREATE TABLE x2 (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE x3 (id int);\nCOMMIT;\n' > migrations/7_x2.sql
expect_rc 0 "own transactions" "$PGW" migrate up --db "$db"
equals "modes" "$(sql "$db" "SELECT string_agg(transaction_mode, ',' ORDER BY version) FROM pgwarden.schema_migrations WHERE version IN ('6', '7')")" "transaction,file"

# SET in one migration does not leak into the next
printf "SET search_path = nowhere;\nCREATE TABLE public.s1 (id int);\n" > migrations/8_set.sql
printf "CREATE TABLE s2 (id int);\n" > migrations/9_after.sql
expect_rc 0 "SET does not leak" "$PGW" migrate up --db "$db"
equals "s2 in public" "$(sql "$db" "SELECT to_regclass('public.s2') IS NOT NULL")" "t"

# COPY ... FROM stdin is replayed with the COPY protocol
printf 'CREATE TABLE cp (id int, note text);\nCOPY cp (id, note) FROM stdin;\n1\tone\n2\ttwo\\ttab\n\\.\nINSERT INTO cp VALUES (3, '"'"'three'"'"');\n' > migrations/10_copy.sql
expect_rc 0 "COPY FROM stdin" "$PGW" migrate up --db "$db"
equals "rows" "$(sql "$db" "SELECT string_agg(id || '=' || note, ',' ORDER BY id) FROM cp")" "$(printf '1=one,2=two\ttab,3=three')"

# --- create, repair, baseline ---------------------------------------------------
expect_rc 0 "create" "$PGW" migrate create "add notes"
up=$(echo "$OUT" | sed -n 1p | sed 's/^created //')
contains "up file" "$up" "_add_notes.sql"
check "up exists" test -f "$up"
check "rollback exists" test -f "${up%.sql}_rollback.sql"
check "name is a timestamp" bash -c "basename '$up' | grep -Eq '^[0-9]{14}_add_notes.sql$'"
expect_rc 2 "create with a bad name" "$PGW" migrate create "drop;table"
rm -f "$up" "${up%.sql}_rollback.sql"
expect_rc 0 "repair --reverted" "$PGW" migrate repair 10 --reverted --db "$db"
contains "forgotten" "$OUT" "repaired 10: applied → not applied"
expect_rc 0 "repair --applied" "$PGW" migrate repair 10 --applied --db "$db"
equals "recorded mode" "$(sql "$db" "SELECT transaction_mode FROM pgwarden.schema_migrations WHERE version = '10'")" "recorded"
expect_rc 2 "repair needs a flag" "$PGW" migrate repair 10 --db "$db"
expect_rc 4 "repair of an unknown version" "$PGW" migrate repair 99 --applied --db "$db"

db=$(fresh_db baseline) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE t (id int, email text)" >/dev/null
expect_rc 0 "baseline" "$PGW" migrate baseline 2 --db "$db"
contains "two recorded" "$OUT" "2 migrations recorded as applied"
expect_rc 0 "up after baseline" "$PGW" migrate up --to 3 --db "$db"
equals "u created, t untouched" "$(state "$db")" "1:applied 2:applied 3:applied"

# --- the example project: seeds, Supabase history, reset, round trip -------------
db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
rm -rf "$SCRATCH/fleet" && cp -r "$SRC/examples/fleet" "$SCRATCH/fleet" && rm -rf "$SCRATCH/fleet/docs"
cd "$SCRATCH/fleet" || exit 1
# the history tables live outside the managed schemas: leave them out
snap() { "$PGW" -q inspect --stable -N pgwarden -N supabase_migrations --out "$1" --db "$db" >/dev/null; }
snap "$SCRATCH/empty.json"
expect_rc 0 "fleet up" "$PGW" migrate up --db "$db"
equals "supabase history in step" "$(sql "$db" "SELECT count(*), min(name), bool_and(cardinality(statements) > 0) FROM supabase_migrations.schema_migrations")" "5|conversations_and_specs|t"
check "inspect after up" snap "$SCRATCH/up1.json"
expect_rc 0 "down everything" "$PGW" migrate down 5 --db "$db"
equals "supabase history emptied" "$(sql "$db" "SELECT count(*) FROM supabase_migrations.schema_migrations")" "0"
check "inspect after down" snap "$SCRATCH/down.json"
check "down restores the empty schema" cmp -s "$SCRATCH/empty.json" "$SCRATCH/down.json"
expect_rc 0 "up again" "$PGW" migrate up --db "$db"
check "inspect after up again" snap "$SCRATCH/up2.json"
check "up → down → up is byte-identical" cmp -s "$SCRATCH/up1.json" "$SCRATCH/up2.json"
expect_rc 0 "seed" "$PGW" migrate seed --db "$db"
contains "seed file" "$OUT" "seeded supabase/seed.sql"
equals "seed rows" "$(sql "$db" "SELECT count(*) FROM vehicles")" "22"
expect_rc 2 "reset needs --yes" "$PGW" migrate reset --db "$db"
equals "reset without --yes changed nothing" "$(sql "$db" "SELECT count(*) FROM vehicles")" "22"
sql "$db" "CREATE TABLE public.stray (id int); CREATE VIEW public.stray_v AS SELECT 1 AS x" >/dev/null
expect_rc 0 "reset --yes" "$PGW" migrate reset --yes --db "$db"
contains "dropped" "$OUT" "reset: dropped"
equals "stray objects gone, seeds back" "$(sql "$db" "SELECT to_regclass('public.stray') IS NULL, (SELECT count(*) FROM vehicles)")" "t|22"
check "inspect after reset" snap "$SCRATCH/reset.json"
check "reset gives the same schema" cmp -s "$SCRATCH/up1.json" "$SCRATCH/reset.json"

# --- adopting the Supabase CLI's history ---------------------------------------------
db=$(fresh_db adopt) || { fail "cannot make a database"; finish; }
rm -rf "$SCRATCH/adopt" && cp -r "$SRC/examples/fleet" "$SCRATCH/adopt" && rm -rf "$SCRATCH/adopt/docs"
cd "$SCRATCH/adopt" || exit 1
for f in supabase/migrations/20250101090000_tenants_and_profiles.sql supabase/migrations/20250102090000_garages_and_vehicles.sql; do
    psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$f" >/dev/null || fail "cannot load $f"
done
sql "$db" "CREATE SCHEMA supabase_migrations;
           CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, statements text[], name text);
           INSERT INTO supabase_migrations.schema_migrations VALUES
             ('20250101090000', NULL, 'tenants_and_profiles'), ('20250102090000', NULL, 'garages_and_vehicles')" >/dev/null
expect_rc 1 "status sees what the Supabase CLI applied" "$PGW" migrate status --exit-code --db "$db"
contains "adopted" "$OUT" "20250101090000   applied  tenants_and_profiles"
contains "says by whom" "$OUT" "(applied by the Supabase CLI)"
contains "rest pending" "$OUT" "5 migrations: 2 applied, 3 pending"
expect_rc 0 "up applies only the rest" "$PGW" migrate up --db "$db"
contains "three" "$OUT" "applied 3 migrations"
equals "history adopted" "$(sql "$db" "SELECT count(*), count(*) FILTER (WHERE checksum_algorithm = 'supabase-cli') FROM pgwarden.schema_migrations")" "5|2"
equals "supabase's in step" "$(sql "$db" "SELECT count(*) FROM supabase_migrations.schema_migrations")" "5"

finish
