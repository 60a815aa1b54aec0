#!/bin/bash
# pgwarden diff and dump-schema: round trips on the fixture with every
# object kind and on the example project (dump → load → identical
# snapshot; diff → apply → re-diff empty; rollback → original snapshot),
# exit codes, the --unsafe refusal, --rename, sql:PATH, the drift workflow,
# and the three traps other diff tools fall into.
. "$(dirname "$0")/../lib.sh"

FX="$SRC/tests/cases/inspect/fixture"
FXN=(-n app -n 'Weird*' -n ctx)
cd "$SCRATCH" || exit 1

# bare_db NAME — a database without the Supabase basics (template0)
bare_db() {
    local name="t_diff_$1"
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null &&
        sql "$PGW_TEST_URL" "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8'" >/dev/null || return 1
    db_url "$name"
}
load() { psql "$1" -X -q -v ON_ERROR_STOP=1 -f "$2" >/dev/null; }
snap() { "$PGW" -q --db "$1" inspect --stable "${@:3}" --out "$2" >/dev/null; }
same_snap() {   # same_snap DESCRIPTION A.json B.json
    CHECKS=$((CHECKS + 1))
    if ! cmp -s "$2" "$3"; then
        fail "$1"
        diff -u "$2" "$3" | head -30 >&2
    fi
}

# --- the fixture: dump-schema round trip -------------------------------------
fx=$(bare_db fx)
check "fixture loads" load "$fx" "$FX/setup.sql"
expect_rc 0 "dump-schema of the fixture" "$PGW" --db "$fx" dump-schema "${FXN[@]}" --out fx-dump.sql
contains "dump names the file" "$OUT" "wrote fx-dump.sql"
contains "dump is idempotent where it can be" "$(cat fx-dump.sql)" "CREATE TABLE IF NOT EXISTS app.tenants"
dump=$(bare_db dump)
check "the dump loads into an empty database" load "$dump" fx-dump.sql
snap "$fx" fx.json "${FXN[@]}"
snap "$dump" dump.json "${FXN[@]}"
same_snap "dump-schema round trip: identical snapshot" fx.json dump.json

# --- the fixture: diff from empty, apply, re-diff, rollback ------------------
empty=$(bare_db empty)
snap "$empty" empty.json "${FXN[@]}"
expect_rc 1 "diff empty → fixture finds differences" "$PGW" diff "$empty" "$fx" "${FXN[@]}" --owners \
    --out up.sql --rollback down.sql
contains "diff lists the changes" "$OUT" "create table app.tenants"
check "the migration applies" load "$empty" up.sql
expect_rc 0 "re-diff after applying is empty" "$PGW" diff "$empty" "$fx" "${FXN[@]}" --owners
snap "$empty" applied.json "${FXN[@]}"
same_snap "diff + apply gives the fixture's snapshot" fx.json applied.json
check "the rollback applies" load "$empty" down.sql
snap "$empty" rolled.json "${FXN[@]}"
same_snap "the rollback restores the original snapshot" empty.json rolled.json

# snapshot files as sides; --json
expect_rc 0 "snapshot vs itself: no differences" "$PGW" diff fx.json fx.json
equals "no output change" "$(echo "$OUT" | tail -1)" "-- no changes"
expect_rc 1 "--json" "$PGW" --json diff empty.json fx.json
contains "--json has changes with hazards" "$OUT" '"hazards": ['
contains "--json has the sql" "$OUT" '"sql": "-- pgwarden diff'

# --- the example project -----------------------------------------------------
fleet=$(fresh_db fleet)
for f in "$SRC"/examples/fleet/supabase/migrations/*.sql; do
    case "$f" in *_rollback.sql) continue ;; esac
    load "$fleet" "$f" || fail "cannot load $f"
done
expect_rc 0 "dump-schema of the example" "$PGW" --db "$fleet" dump-schema -n public --out fleet-dump.sql
fleet2=$(fresh_db fleet2)
check "the example's dump loads" load "$fleet2" fleet-dump.sql
# policies on storage.objects live in a context schema: compare the
# managed schema (the diff finds nothing = identical managed objects)
expect_rc 0 "example: dump round trip" "$PGW" diff "$fleet" "$fleet2" -n public --owners
fleet3=$(fresh_db fleet3)
expect_rc 1 "example: diff from a fresh database" "$PGW" diff "$fleet3" "$fleet" -n public --out f-up.sql --rollback f-down.sql
check "example: the migration applies" load "$fleet3" f-up.sql
expect_rc 0 "example: re-diff empty" "$PGW" diff "$fleet3" "$fleet" -n public
check "example: the rollback applies" load "$fleet3" f-down.sql
expect_rc 0 "example: rolled back = fresh" "$PGW" diff "$fleet3" "$(fresh_db fleet4)" -n public

# --- refusal, renames, exit codes ---------------------------------------------
a=$(bare_db a)
b=$(bare_db b)
sql "$a" "CREATE TABLE t (id int PRIMARY KEY, old_name text, gone int); CREATE TABLE dropped (x int)" >/dev/null
sql "$b" "CREATE TABLE t (id int PRIMARY KEY, new_name text, gone int)" >/dev/null
rm -f refused.sql
expect_rc 1 "a migration that deletes data is refused" "$PGW" diff "$a" "$b" --out refused.sql \
    --rename public.t.old_name:new_name
contains "the refusal names the change" "$ERR" "drop table public.dropped"
contains "the refusal says why" "$ERR" "would delete data"
check "nothing written when refused" test ! -e refused.sql
expect_rc 1 "--unsafe and --rename" "$PGW" diff "$a" "$b" --unsafe --rename public.t.old_name:new_name
contains "the rename is a RENAME" "$OUT" "ALTER TABLE public.t RENAME COLUMN old_name TO new_name;"
lacks "no column dropped" "$OUT" "DROP COLUMN"
contains "hazards are shown" "$OUT" "[deletes_data, access_exclusive_lock]"
expect_rc 1 "--json refusal" "$PGW" --json diff "$a" "$b"
contains "--json refusal lists the change" "$OUT" '"refused": ['
contains "--json refusal is not ok" "$OUT" '"ok": false'
# a table rename: RENAME, nothing dropped, converges
r1=$(bare_db r1)
r2=$(bare_db r2)
sql "$r1" "CREATE TABLE old_t (id int, note text); CREATE INDEX old_t_note ON old_t (note)" >/dev/null
sql "$r2" "CREATE TABLE new_t (id int, note text); CREATE INDEX old_t_note ON new_t (note)" >/dev/null
expect_rc 1 "--rename a table" "$PGW" diff "$r1" "$r2" --rename public.old_t:new_t --out rename.sql
contains "the table is renamed" "$(cat rename.sql)" "ALTER TABLE public.old_t RENAME TO new_t;"
lacks "no table dropped" "$(cat rename.sql)" "DROP TABLE"
check "the rename applies" load "$r1" rename.sql
expect_rc 0 "renamed: converged" "$PGW" diff "$r1" "$r2"
expect_rc 2 "a bad --rename" "$PGW" diff "$a" "$b" --rename nodot:x
expect_rc 0 "identical databases: exit 0" "$PGW" diff "$b" "$b"

# --- sql:PATH -------------------------------------------------------------------
mkdir -p sqldir
printf 'CREATE TABLE t (id int PRIMARY KEY, new_name text, gone int);\n' > sqldir/01_t.sql
printf 'CREATE INDEX t_gone ON t (gone);\n' > sqldir/02_idx.sql
expect_rc 1 "diff against sql:FOLDER" "$PGW" diff "$b" sql:sqldir
contains "sql: folder loaded in order" "$OUT" "CREATE INDEX CONCURRENTLY t_gone ON public.t USING btree (gone);"
contains "CONCURRENTLY: outside a transaction" "$OUT" "pgwarden:no-transaction"
printf 'CREATE TABLE broken (;\n' > bad.sql
expect_rc 4 "sql: with bad SQL" "$PGW" diff "$b" sql:bad.sql
contains "the error names the file, line and column" "$ERR" "bad.sql:1:22"
expect_rc 4 "sql: a missing path" "$PGW" diff "$b" sql:nope
printf 'CREATE TABLE fine (id int);\n\nINSERT INTO nowhere VALUES (1);\n' > runtime.sql
expect_rc 4 "sql: a statement the server refuses" "$PGW" diff "$b" sql:runtime.sql
contains "names the file" "$ERR" "cannot load '"
contains "and the line of the statement" "$ERR" "runtime.sql:3:13"

# --- drift: capture, compare, --generate-migration -----------------------------
mkdir -p proj/migrations
printf '[project]\nmigrations_dir = migrations\nschemas = public\n' > proj/pgwarden.conf
(
    cd proj || exit 1
    expect_rc 0 "diff capture" "$PGW" --db "$b" diff capture
    contains "capture names the file" "$OUT" "docs/schema-snapshot.json"
    expect_rc 0 "compare without drift" "$PGW" --db "$b" diff compare
    contains "no drift" "$OUT" "no drift"
    sql "$b" "ALTER TABLE t ADD COLUMN extra int; CREATE INDEX t_new ON t (new_name)" >/dev/null
    expect_rc 1 "compare finds drift" "$PGW" --db "$b" diff compare
    contains "summary by kind" "$OUT" "column      0 missing, 1 extra, 0 changed"
    expect_rc 1 "--generate-migration refuses to drop data without --unsafe" "$PGW" --db "$b" diff compare --generate-migration
    expect_rc 1 "--generate-migration --unsafe" "$PGW" --db "$b" diff compare --generate-migration --unsafe
    check "a sync migration pair" test "$(ls migrations | grep -c '_sync_drift')" = 2
    up=$(ls migrations/*_sync_drift.sql)
    check "the sync migration applies" load "$b" "$up"
    expect_rc 0 "no drift after the sync" "$PGW" --db "$b" diff compare
    [ $FAILS -eq 0 ]
) || FAILS=$((FAILS + 1))

# --- the peers' traps -----------------------------------------------------------
# (a) an enum used by a function gets ADD VALUE, not a rebuild
t1=$(bare_db t1)
t2=$(bare_db t2)
sql "$t1" "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE p (m mood DEFAULT 'sad');
           CREATE FUNCTION is_happy(mood) RETURNS boolean LANGUAGE sql AS \$\$ SELECT \$1 = 'happy' \$\$" >/dev/null
sql "$t2" "CREATE TYPE mood AS ENUM ('sad', 'meh', 'happy'); CREATE TABLE p (m mood DEFAULT 'sad');
           CREATE FUNCTION is_happy(mood) RETURNS boolean LANGUAGE sql AS \$\$ SELECT \$1 = 'happy' \$\$" >/dev/null
expect_rc 1 "trap a: enum diff" "$PGW" diff "$t1" "$t2" --out trap-a.sql
contains "trap a: ADD VALUE in place" "$(cat trap-a.sql)" "ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'happy';"
lacks "trap a: no rebuild" "$(cat trap-a.sql)" "RENAME TO"
lacks "trap a: the function stays" "$(cat trap-a.sql)" "DROP FUNCTION"
check "trap a: applies" load "$t1" trap-a.sql
expect_rc 0 "trap a: converged" "$PGW" diff "$t1" "$t2"

# (b) a generated column goes before the column it reads
t3=$(bare_db t3)
t4=$(bare_db t4)
sql "$t3" "CREATE TABLE g (id int, price numeric, doubled numeric GENERATED ALWAYS AS (price * 2) STORED)" >/dev/null
sql "$t4" "CREATE TABLE g (id int)" >/dev/null
expect_rc 1 "trap b: drop columns" "$PGW" diff "$t3" "$t4" --unsafe --out trap-b.sql
first=$(grep -n 'DROP COLUMN doubled' trap-b.sql | cut -d: -f1)
second=$(grep -n 'DROP COLUMN price' trap-b.sql | cut -d: -f1)
check "trap b: generated column dropped first" test "${first:-99}" -lt "${second:-0}"
check "trap b: applies" load "$t3" trap-b.sql
expect_rc 0 "trap b: converged" "$PGW" diff "$t3" "$t4"

# (c) a recreated view keeps security_invoker and its grants
t5=$(bare_db t5)
t6=$(bare_db t6)
for u in "$t5" "$t6"; do
    sql "$u" "CREATE TABLE s (id int, secret text, note text);
              CREATE VIEW v WITH (security_invoker = true) AS SELECT id FROM s;
              COMMENT ON VIEW v IS 'public part'; GRANT SELECT ON v TO PUBLIC" >/dev/null
done
sql "$t6" "CREATE OR REPLACE VIEW v WITH (security_invoker = true) AS SELECT id, note FROM s" >/dev/null
expect_rc 1 "trap c: view diff" "$PGW" diff "$t5" "$t6" --out trap-c.sql
check "trap c: applies" load "$t5" trap-c.sql
equals "trap c: security_invoker kept" "$(sql "$t5" "select reloptions from pg_class where relname = 'v'")" \
    "{security_invoker=true}"
equals "trap c: grant kept" "$(sql "$t5" "select has_table_privilege('public', 'v', 'SELECT')")" "t"
equals "trap c: comment kept" "$(sql "$t5" "select obj_description('v'::regclass)")" "public part"
expect_rc 0 "trap c: converged" "$PGW" diff "$t5" "$t6"

for d in fx dump empty a b r1 r2 t1 t2 t3 t4 t5 t6; do
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS t_diff_$d WITH (FORCE)" >/dev/null
done
finish
