#!/bin/bash
# The snapshot cache (.pgwarden/cache): after each of a long list of DDL
# changes of every object kind, one at a time, a cached inspect gives the
# same bytes as `inspect --no-cache`; with nothing changed it is a cache hit;
# damaged, truncated or foreign cache files are ignored (full read, a note);
# the file is 0600; diff compare and doctor read through it.
. "$(dirname "$0")/../lib.sh"

# template0: no Supabase context schemas, a cheaper read per step
name="t_inspect_cache"
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE $name TEMPLATE template0 ENCODING 'UTF8'" >/dev/null
db=$(db_url "$name")
mkdir -p "$SCRATCH/proj" && cd "$SCRATCH/proj" || exit 1

sql "$PGW_TEST_URL" "DO \$\$ BEGIN ALTER ROLE t_cache_renamed RENAME TO t_cache_reader; EXCEPTION WHEN undefined_object THEN NULL; END \$\$" >/dev/null
sql "$PGW_TEST_URL" "DO \$\$ BEGIN CREATE ROLE t_cache_reader NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null

check "base schema loads" psql "$db" -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('new', 'active');
CREATE DOMAIN app.email AS text CHECK (VALUE LIKE '%@%');
CREATE TYPE app.pair AS (a integer, b text);
CREATE SEQUENCE app.seq1;
CREATE FUNCTION app.f_default() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 42';
CREATE FUNCTION app.f_check(integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
CREATE FUNCTION app.f_idx(text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower($1)';
CREATE FUNCTION app.tg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TABLE app.tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,
    status app.status NOT NULL DEFAULT 'new', n integer DEFAULT app.f_default() CHECK (app.f_check(n)));
CREATE TABLE app.items (id serial PRIMARY KEY, tenant_id bigint REFERENCES app.tenants (id),
    label text, mail app.email, p app.pair, qty integer);
CREATE INDEX items_label ON app.items (app.f_idx(label));
CREATE INDEX items_tenant ON app.items (tenant_id);
ALTER TABLE app.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY p_sel ON app.items FOR SELECT USING (app.f_check(qty));
CREATE TRIGGER items_tg BEFORE INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.tg();
CREATE VIEW app.v_items AS SELECT id, label, qty FROM app.items;
CREATE TABLE app.parted (k integer, v text) PARTITION BY RANGE (k);
CREATE TABLE app.parted_1 PARTITION OF app.parted FOR VALUES FROM (0) TO (100);
INSERT INTO app.tenants (name) VALUES ('a'), ('b');
SQL

n=0
# step DESCRIPTION SQL — applies the change, then a cached inspect must give
# the bytes of a full read (stable, and full with statistics minus the time)
step() {
    n=$((n + 1))
    if ! psql "$db" -X -q -v ON_ERROR_STOP=1 -c "$2" >/dev/null 2>"$SCRATCH/step.err"; then
        fail "step $n ($1): SQL failed: $(cat "$SCRATCH/step.err")"
        return
    fi
    "$PGW" --db "$db" inspect --jobs 1 --stable --out cached.json --cache-stats >"$SCRATCH/c.out" 2>&1 ||
        fail "step $n ($1): cached inspect failed: $(cat "$SCRATCH/c.out")"
    "$PGW" --db "$db" inspect --jobs 1 --stable --no-cache --out full.json >/dev/null 2>&1 ||
        fail "step $n ($1): full inspect failed"
    CHECKS=$((CHECKS + 1))
    if ! cmp -s cached.json full.json; then
        fail "step $n ($1): the cached snapshot differs from a full read"
        diff -u full.json cached.json | head -20 >&2
    fi
    # nothing changed since: a hit, and still the same bytes (every third
    # step: the runtime stays modest)
    [ $((n % 3)) = 0 ] || return
    expect_rc 0 "step $n ($1): repeat" "$PGW" --db "$db" inspect --jobs 1 --stable --out again.json --cache-stats
    contains "step $n ($1): repeat is a cache hit" "$OUT" "cache: hit"
    check "step $n ($1): the hit gives the same bytes" cmp -s again.json full.json
}

# a first read writes the cache; the second hits it
expect_rc 0 "first inspect" "$PGW" --db "$db" inspect --stable --out first.json --cache-stats
contains "first read misses" "$OUT" "no cache for this database yet"
cache=$(ls .pgwarden/cache/*.snap 2>/dev/null | head -1)
check "the cache file exists" test -f "$cache"
equals "the cache file is 0600" "$(stat -c %a "$cache")" "600"
expect_rc 0 "second inspect" "$PGW" --db "$db" inspect --stable --out second.json --cache-stats
contains "second read hits" "$OUT" "cache: hit"
check "hit gives the same bytes" cmp -s first.json second.json
expect_rc 0 "-v says why" "$PGW" -v --db "$db" inspect --stable --out second.json
contains "-v names the hit" "$ERR" "cache: hit"

# statistics are today's on a hit (not the cached read's)
check "data grows" sql "$db" "INSERT INTO app.items (label) SELECT 'x' || g FROM generate_series(1, 3000) g; ANALYZE app.items"
expect_rc 0 "full inspect after data" "$PGW" --db "$db" inspect --out stats-cached.json
expect_rc 0 "full inspect --no-cache" "$PGW" --db "$db" inspect --no-cache --out stats-full.json
check "statistics from a hit equal a full read's" cmp -s <(grep -v captured_at stats-cached.json) <(grep -v captured_at stats-full.json)

step "rename a column used by an index, a policy and a view" "ALTER TABLE app.items RENAME COLUMN qty TO quantity"
step "rename a table" "ALTER TABLE app.items RENAME TO line_items"
step "rename the function used in a default" "ALTER FUNCTION app.f_default() RENAME TO f_default2"
step "rename the function used in a check and a policy" "ALTER FUNCTION app.f_check(integer) RENAME TO f_check2"
step "rename the function used in an index" "ALTER FUNCTION app.f_idx(text) RENAME TO f_idx2"
step "rename the schema" "ALTER SCHEMA app RENAME TO app2"
step "change a column type" "ALTER TABLE app2.line_items ALTER COLUMN tenant_id TYPE integer"
step "add an enum label" "ALTER TYPE app2.status ADD VALUE 'closed'"
step "rename an enum label" "ALTER TYPE app2.status RENAME VALUE 'active' TO 'live'"
step "rename a type" "ALTER TYPE app2.pair RENAME TO couple"
step "add a composite attribute" "ALTER TYPE app2.couple ADD ATTRIBUTE c date"
step "edit a policy" "ALTER POLICY p_sel ON app2.line_items USING (quantity > 5)"
step "add a policy" "CREATE POLICY p_ins ON app2.line_items FOR INSERT WITH CHECK (true)"
step "drop a policy" "DROP POLICY p_ins ON app2.line_items"
step "swap an index" "CREATE INDEX items_tenant2 ON app2.line_items (tenant_id, id); DROP INDEX app2.items_tenant; ALTER INDEX app2.items_tenant2 RENAME TO items_tenant"
step "grant on a table" "GRANT SELECT ON app2.line_items TO t_cache_reader"
step "grant on a column" "GRANT UPDATE (label) ON app2.line_items TO t_cache_reader"
step "revoke" "REVOKE SELECT ON app2.line_items FROM t_cache_reader"
step "grant on a schema" "GRANT USAGE ON SCHEMA app2 TO t_cache_reader"
step "grant on a function" "REVOKE EXECUTE ON FUNCTION app2.f_idx2(text) FROM PUBLIC"
step "default privileges" "ALTER DEFAULT PRIVILEGES IN SCHEMA app2 GRANT SELECT ON TABLES TO t_cache_reader"
step "comment on a table" "COMMENT ON TABLE app2.line_items IS 'lines'"
step "comment on a column" "COMMENT ON COLUMN app2.line_items.label IS 'the label'"
step "change a comment" "COMMENT ON TABLE app2.line_items IS 'order lines'"
step "drop a comment" "COMMENT ON COLUMN app2.line_items.label IS NULL"
step "comment on a function" "COMMENT ON FUNCTION app2.tg() IS 'trigger body'"
step "add a column with a default" "ALTER TABLE app2.tenants ADD COLUMN created timestamptz DEFAULT now()"
step "change a default" "ALTER TABLE app2.tenants ALTER COLUMN n SET DEFAULT 7"
step "drop a column" "ALTER TABLE app2.tenants DROP COLUMN created"
step "set not null" "ALTER TABLE app2.line_items ALTER COLUMN label SET NOT NULL"
step "add a check constraint" "ALTER TABLE app2.line_items ADD CONSTRAINT q_pos CHECK (quantity >= 0) NOT VALID"
step "validate it" "ALTER TABLE app2.line_items VALIDATE CONSTRAINT q_pos"
step "rename a constraint" "ALTER TABLE app2.line_items RENAME CONSTRAINT q_pos TO quantity_positive"
step "replace a function body" "CREATE OR REPLACE FUNCTION app2.f_default2() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 43'"
step "replace a view" "CREATE OR REPLACE VIEW app2.v_items AS SELECT id, label, quantity AS qty, tenant_id FROM app2.line_items"
step "disable a trigger" "ALTER TABLE app2.line_items DISABLE TRIGGER items_tg"
step "rename a trigger" "ALTER TRIGGER items_tg ON app2.line_items RENAME TO line_items_tg"
step "drop a trigger" "DROP TRIGGER line_items_tg ON app2.line_items"
step "add a partition" "CREATE TABLE app2.parted_2 PARTITION OF app2.parted FOR VALUES FROM (100) TO (200)"
step "detach a partition" "ALTER TABLE app2.parted DETACH PARTITION app2.parted_2"
step "force row level security" "ALTER TABLE app2.tenants ENABLE ROW LEVEL SECURITY; ALTER TABLE app2.tenants FORCE ROW LEVEL SECURITY"
step "storage option" "ALTER TABLE app2.tenants SET (fillfactor = 70)"
step "sequence options" "ALTER SEQUENCE app2.seq1 INCREMENT BY 5 CACHE 10"
step "domain constraint" "ALTER DOMAIN app2.email ADD CONSTRAINT not_empty CHECK (VALUE <> '')"
step "change an owner" "ALTER TABLE app2.parted_2 OWNER TO t_cache_reader"
step "new schema with a table" "CREATE SCHEMA extra; CREATE TABLE extra.t (id int PRIMARY KEY)"
step "drop a schema" "DROP SCHEMA extra CASCADE"
step "a foreign key change" "ALTER TABLE app2.line_items DROP CONSTRAINT items_tenant_id_fkey, ADD FOREIGN KEY (tenant_id) REFERENCES app2.tenants (id) ON DELETE CASCADE"
step "unlogged table" "ALTER TABLE app2.parted_2 SET UNLOGGED"
step "materialized view" "CREATE MATERIALIZED VIEW app2.mv AS SELECT count(*) AS c FROM app2.tenants WITH NO DATA"
step "refresh it (populated)" "REFRESH MATERIALIZED VIEW app2.mv"
step "publication" "CREATE PUBLICATION t_cache_pub FOR TABLE app2.tenants"
step "rename the column under a view" "ALTER TABLE app2.line_items RENAME COLUMN label TO title"
step "rename a role-free object: sequence" "ALTER SEQUENCE app2.seq1 RENAME TO seq_one"
step "a transaction of several changes" "BEGIN; ALTER TABLE app2.tenants RENAME COLUMN name TO title; CREATE INDEX ON app2.tenants (lower(title)); COMMENT ON COLUMN app2.tenants.title IS 't'; COMMIT"
step "an index built concurrently" "CREATE INDEX CONCURRENTLY items_title ON app2.line_items (title)"
step "rename the owner role" "ALTER ROLE t_cache_reader RENAME TO t_cache_renamed"
step "rename it back" "ALTER ROLE t_cache_renamed RENAME TO t_cache_reader"
step "rollback changes nothing" "BEGIN; DROP TABLE app2.tenants CASCADE; ROLLBACK"

# --- the partial path: only the changed relations (and what names them) are
# read again, merged into the cached model; the same bytes as a full read,
# and --cache-stats says it was partial, so the feature cannot silently
# degrade into full reads
# pstep DESCRIPTION SQL — a step that must be answered by a partial read
pstep() {
    step "$1" "$2"
    CHECKS=$((CHECKS + 1))
    grep -q "cache: partial" "$SCRATCH/c.out" ||
        fail "step $n ($1): not a partial read: $(grep 'cache:' "$SCRATCH/c.out")"
}
check "the cache is current before the partial steps" "$PGW" --db "$db" inspect --stable --out pre.json
pstep "add a table" "CREATE TABLE app2.p_a (id integer PRIMARY KEY, note text)"
pstep "add a table with a foreign key and an index" "CREATE TABLE app2.p_b (id serial PRIMARY KEY, a_id integer REFERENCES app2.p_a (id), label text); CREATE INDEX p_b_label ON app2.p_b (label)"
pstep "change one of several tables" "ALTER TABLE app2.p_a ADD COLUMN extra integer DEFAULT 1"
pstep "rename a column used by an index and a foreign key on another table" "ALTER TABLE app2.p_a RENAME COLUMN id TO a_key"
pstep "a view and a policy over a table" "CREATE VIEW app2.p_v AS SELECT a_key, note FROM app2.p_a; ALTER TABLE app2.p_b ENABLE ROW LEVEL SECURITY; CREATE POLICY p_pol ON app2.p_b USING (a_id IN (SELECT a_key FROM app2.p_a))"
pstep "rename a table referenced by a view and a policy" "ALTER TABLE app2.p_a RENAME TO p_a2"
# a rename shows in what names the table: the view and the policy's table too
CHECKS=$((CHECKS + 1))
grep -q "re-read 1 relation (" "$SCRATCH/c.out" && fail "step $n: a rename re-read the table alone"
# a comment, a policy or a trigger changes only its relation's own text: the
# relation alone is read again, though a view, a policy and a foreign key
# name it
# nstep DESCRIPTION SQL [WHAT] — a partial read of exactly the changed
# relations (WHAT: the reason's count, default "1 relation")
nstep() {
    pstep "$1" "$2"
    CHECKS=$((CHECKS + 1))
    grep -q "re-read ${3:-1 relation} (" "$SCRATCH/c.out" ||
        fail "step $n ($1): not the changed relations alone: $(grep 'cache:' "$SCRATCH/c.out")"
}
nstep "comment on a table a view, a policy and a foreign key name" "COMMENT ON TABLE app2.p_a2 IS 'named by others'"
nstep "comment on a column a view selects" "COMMENT ON COLUMN app2.p_a2.note IS 'seen through p_v'"
nstep "change a policy" "ALTER POLICY p_pol ON app2.p_b USING (a_id > 0)"
nstep "a second policy" "CREATE POLICY p_pol2 ON app2.p_b FOR INSERT WITH CHECK (a_id IN (SELECT a_key FROM app2.p_a2))"
pstep "a trigger on a table a view names" "CREATE TRIGGER p_a2_tg BEFORE UPDATE ON app2.p_a2 FOR EACH ROW EXECUTE FUNCTION app2.tg()"
nstep "disable the trigger" "ALTER TABLE app2.p_a2 DISABLE TRIGGER p_a2_tg"
# the same number of policies and of comments, moved from one table to
# another: the counts per catalog find the table that lost them
nstep "a policy moved to another table" "BEGIN; DROP POLICY p_pol2 ON app2.p_b; CREATE POLICY p_pol3 ON app2.p_a2 USING (true); COMMIT" "2 relations"
nstep "a comment moved to another table" "BEGIN; COMMENT ON TABLE app2.p_a2 IS NULL; COMMENT ON TABLE app2.p_b IS 'moved'; COMMIT" "2 relations"
nstep "and back" "BEGIN; DROP POLICY p_pol3 ON app2.p_a2; CREATE POLICY p_pol2 ON app2.p_b FOR INSERT WITH CHECK (a_id > 1); COMMENT ON TABLE app2.p_b IS NULL; COMMIT" "2 relations"
pstep "a comment and a column rename at once" "BEGIN; COMMENT ON TABLE app2.p_a2 IS 'renamed too'; ALTER TABLE app2.p_a2 RENAME COLUMN note TO note2; COMMIT"
CHECKS=$((CHECKS + 1))
grep -q "re-read 1 relation (" "$SCRATCH/c.out" && fail "step $n: a rename with a comment re-read the table alone"
nstep "comment on the trigger and drop the other table's second policy" "COMMENT ON TRIGGER p_a2_tg ON app2.p_a2 IS 't'; DROP POLICY p_pol2 ON app2.p_b" "2 relations"
pstep "comment on one table" "COMMENT ON TABLE app2.p_b IS 'the b side'"
pstep "drop an index" "DROP INDEX app2.p_b_label"
pstep "drop a policy" "DROP POLICY p_pol ON app2.p_b"
pstep "rename an owned sequence" "ALTER SEQUENCE app2.p_b_id_seq RENAME TO p_b_ids"
pstep "drop a comment" "COMMENT ON TABLE app2.p_b IS NULL"
pstep "drop a table" "DROP TABLE app2.p_b"
# a change no relation owns: a full read, and it says why
step "a function changes: full read" "CREATE FUNCTION app2.p_f() RETURNS integer LANGUAGE sql AS 'SELECT 1'"
contains "a function change is a full read" "$(cat "$SCRATCH/c.out")" "miss, full read"
contains "the reason names the catalog" "$(cat "$SCRATCH/c.out")" "pg_proc"
# a delete no relation owns, hidden behind a table change in one
# transaction: the partial path must not take it for the table's alone
step "a domain and a composite type" "CREATE DOMAIN app2.p_dom AS integer; CREATE TYPE app2.p_comp AS (x integer)"
step "drop them and comment on a table at once" "BEGIN; DROP DOMAIN app2.p_dom; DROP TYPE app2.p_comp; COMMENT ON TABLE app2.tenants IS 'at once'; COMMIT"
contains "a hidden type drop is a full read" "$(cat "$SCRATCH/c.out")" "miss, full read"

# --- damaged and foreign cache files: ignored, never trusted -----------------
check "the cache is current" "$PGW" --db "$db" inspect --stable --out ref.json
head -c 2000 "$cache" > "$SCRATCH/trunc" && cp "$SCRATCH/trunc" "$cache"
expect_rc 0 "truncated cache" "$PGW" --db "$db" inspect --stable --out t1.json --cache-stats
contains "truncated: a note" "$ERR" "ignoring the cache file"
contains "truncated: full read" "$OUT" "miss, full read"
check "truncated: right bytes" cmp -s t1.json ref.json
# same header, body tampered (a table renamed inside): the checksum catches it
sed -i '2,$ s/line_items/tampered_x/' "$cache"
expect_rc 0 "tampered cache" "$PGW" --db "$db" inspect --stable --out t2.json --cache-stats
contains "tampered: checksum" "$ERR" "checksum mismatch"
check "tampered: right bytes" cmp -s t2.json ref.json
echo '{"format":"something else"}' > "$cache"
expect_rc 0 "foreign cache" "$PGW" --db "$db" inspect --stable --out t3.json --cache-stats
contains "foreign: a note" "$ERR" "not a pgwarden.cache/4 file"
check "foreign: right bytes" cmp -s t3.json ref.json
printf '\x00\x01garbage' > "$cache"
expect_rc 0 "garbage cache" "$PGW" --db "$db" inspect --stable --out t4.json
check "garbage: right bytes" cmp -s t4.json ref.json
# another build wrote it: the build id differs
sed -i '1 s/"pgwarden":"[^"]*"/"pgwarden":"0.0.0 old"/' "$cache"
expect_rc 0 "other build" "$PGW" --db "$db" inspect --stable --out t5.json --cache-stats
contains "other build: a miss" "$OUT" "another pgwarden build"
equals "still 0600 after rewrites" "$(stat -c %a "$cache")" "600"
# the per-relation counts are read only when a change is located: damaged,
# a hit still hits; then a change is a full read, not a partial one
sed -i '1 s/"relations":"[^"]*"/"relations":"1.x:y"/' "$cache"
expect_rc 0 "damaged counts, nothing changed" "$PGW" --db "$db" inspect --stable --out t6.json --cache-stats
contains "damaged counts: a hit needs none" "$OUT" "cache: hit"
check "damaged counts: hit bytes" cmp -s t6.json ref.json
check "a change" sql "$db" "COMMENT ON TABLE app2.tenants IS 'counts damaged'"
expect_rc 0 "damaged counts, a change" "$PGW" --db "$db" inspect --stable --out t7.json --cache-stats
contains "damaged counts: a note" "$ERR" "its header is damaged"
contains "damaged counts: full read" "$OUT" "miss, full read"
"$PGW" --db "$db" inspect --stable --no-cache --out ref.json >/dev/null 2>&1
check "damaged counts: right bytes" cmp -s t7.json ref.json
check "no temporary files left" test -z "$(ls .pgwarden/cache | grep -v '\.snap$')"

# --- --no-cache and --exact leave the file alone ------------------------------
before=$(sha256sum "$cache")
check "schema change" sql "$db" "COMMENT ON TABLE app2.tenants IS 'changed'"
expect_rc 0 "--no-cache" "$PGW" --db "$db" inspect --no-cache --stable --out nc.json --cache-stats
contains "--no-cache says off" "$OUT" "cache: off"
equals "--no-cache does not write the cache" "$(sha256sum "$cache")" "$before"

# --- other commands read through the cache -------------------------------------
expect_rc 0 "capture for diff" "$PGW" --db "$db" inspect --stable --out cap.json
expect_rc 0 "diff compare against the live side (cached)" "$PGW" -v --db "$db" diff compare cap.json
contains "diff: the live side hits the cache" "$ERR" "cache: hit"
expect_rc 0 "diff --no-cache" "$PGW" -v --db "$db" diff compare cap.json --no-cache
lacks "diff --no-cache: no cache" "$ERR" "cache: hit"

finish
