#!/bin/bash
# pgwarden inspect: the fixture with every object kind gives exactly the
# expected snapshot; snapshots are deterministic and survive load → write;
# the example project's planted problems show as data; a role that cannot
# read some tables gets the rest complete; errors leave no file behind.
. "$(dirname "$0")/../lib.sh"

FX="$SRC/tests/cases/inspect/fixture"

# a database without the Supabase basics (template0), loaded with the fixture
name="t_inspect_fx"
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8'" >/dev/null
db=$(db_url "$name")
check "fixture loads" psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$FX/setup.sql"

# jget FILE SQL-PATH-EXPR — evaluates a jsonb expression over the document
# ($d) with the server's own JSON parser
jget() {
    echo "select $2 from (select :'doc'::jsonb as d) s" |
        psql "$db" -X -Atq -v ON_ERROR_STOP=1 -v doc="$(cat "$1")" -f -
}

cd "$SCRATCH" || exit 1

# --- exact snapshot of the fixture -----------------------------------------
expect_rc 0 "inspect the fixture" "$PGW" --db "$db" inspect --no-cache --stable -n app -n 'Weird*' --out fx.json
contains "summary names the file" "$OUT" "wrote fx.json"
# a catalog this small is read over one connection (a second costs more
# than it saves); --jobs 2 asks for two anyway
contains "summary counts the queries" "$OUT" "21 queries on 1 connection"
if ! cmp -s fx.json "$FX/expected.json"; then
    fail "fixture snapshot differs from tests/cases/inspect/fixture/expected.json"
    diff -u "$FX/expected.json" fx.json | head -40 >&2
fi
CHECKS=$((CHECKS + 1))

expect_rc 0 "inspect again" "$PGW" --db "$db" inspect --stable -n app -n 'Weird*' --out fx-again.json
check "two runs give identical bytes" cmp -s fx.json fx-again.json
expect_rc 0 "inspect over two connections" "$PGW" --db "$db" inspect --no-cache --jobs 2 --stable -n app -n 'Weird*' --out fx-two.json
contains "two connections: the snapshot shared" "$OUT" "25 queries on 2 connections"
check "two connections give identical bytes" cmp -s fx.json fx-two.json

expect_rc 0 "load and write a stable snapshot" "$PGW" inspect --from fx.json --out fx-round.json
# --out into what is not a regular file is written into, never replaced (a
# rename over /dev/null would replace the device); a symlink keeps its link
mkfifo out.fifo
timeout 20 cat out.fifo >fifo-got.json &
catpid=$!
expect_rc 0 "--out into a FIFO" "$PGW" inspect --from fx.json --out out.fifo
wait $catpid
equals "the FIFO is still one and carried the snapshot" "$([ -p out.fifo ] && cmp -s fifo-got.json fx-round.json && echo yes)" yes
: >fx-real.json
ln -s fx-real.json fx-link.json
expect_rc 0 "--out through a symlink" "$PGW" inspect --from fx.json --out fx-link.json
equals "the link stays, its file is written" "$([ -L fx-link.json ] && cmp -s fx-real.json fx-round.json && echo yes)" yes
check "stable round trip is byte-identical" cmp -s fx.json fx-round.json

expect_rc 0 "--json prints the snapshot" "$PGW" --db "$db" --json inspect --stable -n app -n 'Weird*' --out fx-json.json
equals "--json stdout is the snapshot" "$OUT" "$(cat fx.json)"
expect_rc 0 "--out - prints the snapshot" "$PGW" --db "$db" inspect --stable -n app -n 'Weird*' --out -
equals "--out - is the snapshot" "$OUT" "$(cat fx.json)"

lacks "stable: no oids" "$(cat fx.json)" '"oid"'
lacks "stable: no statistics" "$(cat fx.json)" '"stats"'
lacks "stable: no capture time" "$(cat fx.json)" 'captured_at'

# --- full snapshot with statistics -----------------------------------------
sql "$db" "INSERT INTO app.tenants (name) VALUES ('a'), ('b');
           SET session_replication_role = replica;
           INSERT INTO app.\"Order Items\" (tenant_id, qty) SELECT t.id, 3 FROM app.tenants t;
           INSERT INTO app.events VALUES (1, '2025-03-01', 1), (2, '2024-01-01', NULL), (3, '2025-05-05', NULL);
           ANALYZE" >/dev/null
expect_rc 0 "inspect --exact" "$PGW" --db "$db" inspect --exact -n app --out full.json
contains "summary: coverage of a partition" "$OUT" "50.0% (1/2)"
expect_rc 0 "load and write a full snapshot" "$PGW" inspect --from full.json --out full-round.json
check "full round trip is byte-identical" cmp -s full.json full-round.json
equals "exact rows of the partitioned table = its partitions'" \
    "$(jget full.json "(select t->'stats'->>'exact_rows' || '/' || (t->'stats'->>'tenant_rows') from jsonb_array_elements(d->'tables') t where t->>'name' = 'events')")" "3/1"
equals "oids and capture time present" \
    "$(jget full.json "(d->'source'->>'captured_at') is not null and (d->'tables'->0->>'oid') is not null")" "t"
equals "sizes present" \
    "$(jget full.json "(select (t->'stats'->>'total_bytes')::bigint > 0 from jsonb_array_elements(d->'tables') t where t->>'name' = 'tenants')")" "t"

# --- the catalog queries run as a plain script (the benchmark's floor) -----
expect_rc 0 "print the catalog queries" "$PGW" inspect --print-queries
echo "$OUT" > queries.sql
check "the printed queries run through psql" psql "$db" -X -q -v ON_ERROR_STOP=1 -o /dev/null -f queries.sql

# --- a role that cannot read some tables -----------------------------------
reader=$(echo "$db" | sed 's|//[^@]*@|//fx_reader@|')
expect_rc 0 "inspect as a role with few privileges" "$PGW" --db "$reader" inspect --exact -n app --out reader.json
contains "unreadable tables named" "$ERR" "not readable by role 'fx_reader'"
contains "unreadable tables named" "$ERR" "app.cache_entries"
lacks "readable table not named" "$ERR" "app.tenants,"
expect_rc 0 "stable snapshot as the reader" "$PGW" --db "$reader" inspect --stable -n app -n 'Weird*' --out reader-stable.json
sed 's/"readable": false/"readable": true/' reader-stable.json > reader-normalised.json
check "the reader sees the whole schema" cmp -s reader-normalised.json fx.json
equals "readable flags" "$(jget reader-stable.json "(select string_agg(t->>'name', ',' order by t->>'name') from jsonb_array_elements(d->'tables') t where (t->>'readable')::boolean)")" "tenants"

# --- the example project ----------------------------------------------------
ex=$(fresh_db fleet) || fail "cannot make a database"
mig="$SRC/examples/fleet/supabase/migrations"
for f in "$mig"/*.sql; do
    case "$f" in *_rollback.sql) continue ;; esac
    psql "$ex" -X -q -v ON_ERROR_STOP=1 -f "$f" || fail "load $f"
done
psql "$ex" -X -q -v ON_ERROR_STOP=1 -f "$SRC/examples/fleet/supabase/seed.sql" || fail "seed"
expect_rc 0 "inspect the example without row counts" "$PGW" --db "$ex" inspect --no-cache --out fleet-est.json
contains "same number of queries on another schema" "$OUT" "21 queries on 1 connection"
expect_rc 0 "inspect the example" "$PGW" --db "$ex" inspect --exact --out fleet.json
contains "row counts take one more query" "$OUT" "22 queries"
contains "RLS off shows" "$OUT" "public.vehicle_events"
contains "coverage below 100% shows" "$OUT" "75.0% (9/12)"
contains "auth is context" "$OUT" "context, read but not managed: auth, extensions, storage"
db=$ex
equals "RLS off: vehicle_events" \
    "$(jget fleet.json "(select string_agg(t->>'name', ',') from jsonb_array_elements(d->'tables') t where (t->>'managed')::boolean and not (t->>'rls_enabled')::boolean)")" "vehicle_events"
equals "USING (true) policies" \
    "$(jget fleet.json "(select string_agg(t->>'name', ',' order by t->>'name') from jsonb_array_elements(d->'tables') t, jsonb_array_elements(t->'policies') p where p->>'using' = 'true')")" \
    "capture_sessions,conversation_messages,photo_metadata,vehicle_images"
equals "photo_metadata has no tenant column" \
    "$(jget fleet.json "(select count(*) from jsonb_array_elements(d->'tables') t, jsonb_array_elements(t->'columns') c where t->>'name' = 'photo_metadata' and c->>'name' = 'tenant_id')")" "0"
equals "coverage below 100%" \
    "$(jget fleet.json "(select string_agg(t->>'name' || '=' || (t->'stats'->>'tenant_rows') || '/' || (t->'stats'->>'exact_rows'), ',' order by t->>'name') from jsonb_array_elements(d->'tables') t where (t->'stats'->>'tenant_coverage')::numeric < 1)")" \
    "conversation_messages=7/9,vehicle_images=9/12"
equals "auth.users is context" \
    "$(jget fleet.json "(select t->>'managed' from jsonb_array_elements(d->'tables') t where t->>'schema' = 'auth' and t->>'name' = 'users')")" "false"

# --- errors -----------------------------------------------------------------
expect_rc 3 "dead server" "$PGW" --db "postgresql://127.0.0.1:1/x?connect_timeout=2" inspect --out dead.json
contains "dead server: hint" "$ERR" "hint:"
check "dead server: no file" test ! -e dead.json

expect_rc 0 "pattern that matches nothing" "$PGW" --db "$ex" inspect -n 'nosuch*' --out nosuch.json
contains "warning for the pattern" "$ERR" "schema pattern 'nosuch*' matched no schema"

PGWARDEN_FAULT=catalog:policies expect_rc 3 "a failing catalog query" "$PGW" --db "$ex" inspect --out fault.json
contains "the failing kind is named" "$ERR" "cannot read policies from the catalog"
contains "the server's message is shown" "$ERR" "division by zero"
check "failed read: no file" test ! -e fault.json

expect_rc 2 "--stable with --exact" "$PGW" --db "$ex" inspect --stable --exact
printf '{"format": "pgwarden.snapshot/1",\n  "tables": [1, }\n' > broken.json
expect_rc 4 "malformed snapshot" "$PGW" inspect --from broken.json
contains "malformed snapshot: file:line:col" "$ERR" "broken.json:2:"
echo '{"format": "other/2"}' > other.json
expect_rc 4 "not a snapshot" "$PGW" inspect --from other.json
contains "not a snapshot: says why" "$ERR" "is not a pgwarden snapshot (format 'other/2')"
echo '{"format": "pgwarden.snapshot/1", "tables": [{"schema": "a"}]}' > shape.json
expect_rc 4 "snapshot of the wrong shape" "$PGW" inspect --from shape.json
contains "wrong shape: names the field" "$ERR" "tables[0].name must be a string"
mkdir -p ro && chmod 555 ro
if [ "$(id -u)" != 0 ]; then
    expect_rc 4 "unwritable output" "$PGW" --db "$ex" inspect --out ro/x.json
    contains "unwritable: names the file" "$ERR" "cannot write 'ro/x.json'"
fi

finish
