#!/bin/bash
# pgwarden sync: every kind of divergence between two histories (both, only
# FROM, only TO, another checksum, applied nowhere, a Supabase-only
# version), drift that no migration explains, a difference the history
# explains (replayed in the sandbox), --apply, --repair (refused while the
# schemas differ, shown without --yes, done with it), exit codes.
. "$(dirname "$0")/../lib.sh"

a=$(fresh_db from) || { fail "cannot make a database"; finish; }
b=$(fresh_db to) || { fail "cannot make a database"; finish; }
p="$SCRATCH/project"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\nexposed_schemas = api\nlock_timeout = 2s\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
for i in 1 2 3 4 5; do
    printf 'CREATE TABLE t%s (id int);\n-- pgwarden:down\nDROP TABLE t%s;\n' "$i" "$i" > "migrations/${i}_t$i.sql"
done

# --- every kind of divergence ----------------------------------------------------
check "FROM: 1 2 3" "$PGW" -q migrate up --to 3 --db "$a"
check "TO: 1 3 4" "$PGW" -q migrate up --to 1 --db "$b"
sql "$b" "CREATE TABLE t3 (id int); CREATE TABLE t4 (id int)" >/dev/null
check "TO: 3 recorded" "$PGW" -q migrate repair 3 --applied --db "$b"
check "TO: 4 recorded" "$PGW" -q migrate repair 4 --applied --db "$b"
sql "$b" "UPDATE pgwarden.schema_migrations SET checksum = 'deadbeef' WHERE version = '3'" >/dev/null
sql "$b" "CREATE SCHEMA IF NOT EXISTS supabase_migrations; CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text PRIMARY KEY, name text, statements text[]); INSERT INTO supabase_migrations.schema_migrations VALUES ('6', 'from_the_cli', NULL)" >/dev/null

expect_rc 1 "divergent" "$PGW" --no-color sync "$a" "$b"
contains "both" "$OUT" "1                t1                               yes   yes   both"
contains "only from" "$OUT" "2                t2                               yes   -     only from"
contains "checksum" "$OUT" "3                t3                               yes   yes   checksum differs"
contains "only to" "$OUT" "4                t4                               -     yes   only to"
contains "nowhere" "$OUT" "5                t5                               -     -     applied nowhere"
contains "supabase-only, no file" "$OUT" "6                from_the_cli                     -     yes   only to (no file here)"
contains "summary" "$OUT" "history: 1 on both, 1 only on FROM, 2 only on TO, 1 with a different checksum, 1 applied nowhere"
contains "both ways: not explained" "$OUT" "both sides have versions the other lacks"
contains "verdict" "$OUT" "not in sync"
expect_rc 1 "json" "$PGW" --json sync "$a" "$b"
contains "json only_to" "$OUT" '"only_to": 2'
contains "json checksum" "$OUT" '"state": "checksum_differs"'
contains "json supabase side" "$OUT" '"supabase": true'
expect_rc 2 "same database" "$PGW" sync "$a" "$a"
contains "same" "$ERR" "FROM and TO are the same database"
expect_rc 2 "--yes alone" "$PGW" sync "$a" "$b" --yes

# --- equal histories, a hand-made table: drift ------------------------------------
c=$(fresh_db c) || { fail "cannot make a database"; finish; }
d=$(fresh_db d) || { fail "cannot make a database"; finish; }
check "c: 1 2" "$PGW" -q migrate up --to 2 --db "$c"
check "d: 1 2" "$PGW" -q migrate up --to 2 --db "$d"
expect_rc 0 "in sync" "$PGW" --no-color sync "$c" "$d"
contains "in sync" "$OUT" "schema: equal"
sql "$d" "CREATE TABLE by_hand (id int)" >/dev/null
expect_rc 1 "drift" "$PGW" --no-color sync "$c" "$d"
contains "drift named" "$OUT" "drift: no migration explains it"
contains "what differs" "$OUT" "by_hand"
sql "$d" "DROP TABLE by_hand" >/dev/null

# --- FROM ahead: explained by its history, --apply brings TO up -------------------
check "c: 3" "$PGW" -q migrate up --to 3 --db "$c"
expect_rc 1 "explained" "$PGW" --no-color sync "$c" "$d"
contains "explained" "$OUT" "explained: the migrations only on FROM account for all of it"
sql "$d" "CREATE TABLE by_hand (id int)" >/dev/null
expect_rc 1 "partly explained" "$PGW" --no-color sync "$c" "$d"
contains "drift remains" "$OUT" "drift no migration explains"
sql "$d" "DROP TABLE by_hand" >/dev/null
expect_rc 1 "--repair refused while the schemas differ" "$PGW" --no-color sync "$c" "$d" --repair --yes
contains "refused" "$OUT" "--repair: refused"
equals "nothing recorded" "$(sql "$d" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '3'")" 0
expect_rc 0 "--apply" "$PGW" --no-color sync "$c" "$d" --apply
contains "through the safe runner" "$OUT" "--apply: migrate up --safe --to 3 on TO"
contains "applied" "$OUT" "applied 1 migration safely"
expect_rc 0 "then in sync" "$PGW" sync "$c" "$d"
# both live sides were read through the snapshot cache (its tests prove a
# cached read equals a full one); --no-cache reads in full, same answer
check "both sides cached" test "$(find .pgwarden/cache -name '*.snap' | wc -l)" -ge 2
expect_rc 0 "then in sync, --no-cache" "$PGW" sync "$c" "$d" --no-cache

# --- schema already there, history missing: --repair -------------------------------
check "c: 4" "$PGW" -q migrate up --to 4 --db "$c"
sql "$d" "CREATE TABLE t4 (id int)" >/dev/null
expect_rc 1 "repair shown" "$PGW" --no-color sync "$c" "$d" --repair
contains "the repair" "$OUT" "pgwarden migrate repair 4 --applied"
contains "needs --yes" "$OUT" "add --yes"
equals "not yet recorded" "$(sql "$d" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '4'")" 0
expect_rc 0 "repair --yes" "$PGW" --no-color sync "$c" "$d" --repair --yes
contains "repaired" "$OUT" "repaired: in sync"
equals "recorded" "$(sql "$d" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '4'")" 1

# --- defaults: FROM the local cluster, TO the target -------------------------------
expect_rc 3 "no local cluster" "$PGW" sync --db "$d"
finish
