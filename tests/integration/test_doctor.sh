#!/bin/bash
# pgwarden doctor on a fixture with one of each problem planted: exactly
# those findings (rule and object), ranks, fixes that PostgreSQL accepts,
# --rule / --category / --fail-on, and a clean database with none.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
cd "$SCRATCH" || exit 1
# stats_min_age = 0: the fixture's statistics are seconds old, and the
# unused-index rule is tested here on them (its default age: below)
printf '[project]\nschemas = public\nexposed_schemas = public\nlarge_table = 1MB\nstats_min_age = 0\n' > pgwarden.conf

sql "$db" "
CREATE TABLE parent (id bigint PRIMARY KEY);
CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id), note text);
CREATE INDEX child_note_a ON child (note);
CREATE INDEX child_note_b ON child (note);
CREATE TABLE no_pk (a int, b text);
CREATE TABLE emails (id bigint PRIMARY KEY, email text);
INSERT INTO emails VALUES (1, 'x'), (2, 'x');
CREATE TABLE counters (id serial PRIMARY KEY);
SELECT setval('counters_id_seq', 2000000000);
CREATE TABLE big (id bigint PRIMARY KEY, pad text) WITH (autovacuum_enabled = false);
INSERT INTO big SELECT g, repeat('x', 40) FROM generate_series(1, 40000) g;
CREATE FUNCTION definer_no_path() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
CREATE FUNCTION exec_sql(query text) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN EXECUTE query; END \$\$;
GRANT EXECUTE ON FUNCTION exec_sql(text) TO anon;
CREATE VIEW child_view AS SELECT id, note FROM child;
CREATE VIEW user_emails WITH (security_invoker = true) AS SELECT id, email FROM auth.users;
CREATE TABLE owned (id bigint PRIMARY KEY, user_id uuid NOT NULL);
ALTER TABLE owned ENABLE ROW LEVEL SECURITY;
CREATE POLICY owned_read ON owned FOR SELECT USING (user_id = auth.uid());
-- no TO: anon too, but auth.uid() is NULL for anon, so it never lets anon write
CREATE POLICY owned_write ON owned FOR INSERT WITH CHECK (user_id = (SELECT auth.uid()));
CREATE EXTENSION citext SCHEMA public;
" >/dev/null || fail "fixture"
# an INVALID index, as a failed CREATE INDEX CONCURRENTLY leaves it
sql "$db" "CREATE UNIQUE INDEX CONCURRENTLY emails_email_key ON emails (email)" >/dev/null 2>&1
# 100 sequential scans of a 40,000-row table, and a third of it deleted;
# statistics flushed at the end of each session
for i in $(seq 1 101); do echo "SELECT count(*) FROM big;"; done | psql "$db" -X -q >/dev/null
sql "$db" "DELETE FROM big WHERE id % 3 = 0" >/dev/null

rules() { python3 -c '
import json, sys
d = json.load(sys.stdin)
for f in d["findings"]:
    o = f["object"]
    t = o.get("table")
    on = ""
    # an index, constraint or policy names its table; a table or column is its own
    if t and o["kind"] not in ("table", "column"):
        on = " on " + (t["schema"] or "") + "." + t["table"]
    elif o["kind"] in ("table", "column") and (not t or t["table"] != o["name"]):
        on = " table missing"
    print(f["rank"], f["rule"], (o.get("schema") or "") + "." + (o.get("name") or "") + on)
' | sort; }

expect_rc 1 "doctor finds the planted problems" "$PGW" --json doctor --db "$db"
got=$(echo "$OUT" | rules)
want=$(sort <<'LIST'
critical rls.disabled public.big
critical rls.disabled public.child
critical rls.disabled public.counters
critical rls.disabled public.emails
critical rls.disabled public.no_pk
critical rls.disabled public.parent
critical security.exec_sql public.exec_sql(query text)
critical security.exposed_auth_users public.user_emails
high index.invalid public.emails_email_key on public.emails
high security.definer_search_path public.definer_no_path()
high sequence.exhaustion public.counters_id_seq
medium index.duplicate public.child_note_b on public.child
medium index.unindexed_fk public.child_parent_id_fkey on public.child
medium security.definer_view public.child_view
medium security.extension_in_public .citext
medium security.public_execute public.definer_no_path()
medium security.rls_policy_initplan public.owned_read on public.owned
medium table.bloat public.big
medium table.no_primary_key public.no_pk
medium table.seq_scan_heavy public.big
recommendation index.unused public.child_note_a on public.child
recommendation index.unused public.child_note_b on public.child
recommendation table.large public.big
LIST
)
equals "exactly the planted findings" "$got" "$want"
[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") >&2

# the fixes PostgreSQL accepts, and a second run without those findings
fixes=$(echo "$OUT" | python3 -c '
import json, sys
for f in json.load(sys.stdin)["findings"]:
    if f.get("fix", {}).get("sql") and f["rule"] != "index.unused":
        print(f["fix"]["sql"])')
contains "index fix" "$fixes" 'CREATE INDEX CONCURRENTLY IF NOT EXISTS child_parent_id_idx ON public.child (parent_id);'
contains "search_path fix" "$fixes" 'ALTER FUNCTION public.definer_no_path() SET search_path = pg_catalog, public;'
contains "view fix" "$fixes" 'ALTER VIEW public.child_view SET (security_invoker = true);'
while IFS= read -r stmt; do
    check "fix runs: $stmt" sql "$db" "$stmt"
done <<< "$fixes"
expect_rc 1 "after the fixes" "$PGW" --json doctor --db "$db"
after=$(echo "$OUT" | rules)
for r in index.unindexed_fk index.duplicate index.invalid security.definer_search_path security.exec_sql security.definer_view security.public_execute; do
    lacks "$r fixed" "$after" " $r "
done
contains "no fix for auth.users exposure" "$after" "security.exposed_auth_users"

# text output: ranks, summary
expect_rc 1 "text" "$PGW" --no-color doctor --db "$db"
contains "rank heading" "$OUT" "critical (7)"
contains "summary" "$OUT" "diagnosis: critical: 7 · high: 1 ·"
contains "validate's checks are part of it" "$OUT" "[rls.disabled]"
# filters
expect_rc 0 "--rule prefix" "$PGW" --json doctor --rule index. --db "$db"
lacks "only index rules" "$(echo "$OUT" | rules)" "security."
expect_rc 1 "--category security" "$PGW" --json doctor --category security --db "$db"
lacks "no performance rules" "$(echo "$OUT" | rules)" "table."
lacks "no integrity rules" "$(echo "$OUT" | rules)" "rls.disabled"
expect_rc 1 "--category integrity" "$PGW" --json doctor --category integrity --db "$db"
contains "validate's" "$(echo "$OUT" | rules)" "rls.disabled"
lacks "not the doctor's own" "$(echo "$OUT" | rules)" "security."
expect_rc 1 "--fail-on warning" "$PGW" --json doctor --rule table. --fail-on warning --db "$db"
expect_rc 0 "--no-stats leaves the statistics rules out" "$PGW" --json doctor --no-stats --rule table. --rule index.unused --db "$db"
lacks "no stats findings" "$(echo "$OUT" | rules)" "seq_scan_heavy"
contains "model rules still run" "$(echo "$OUT" | rules)" "table.no_primary_key"
expect_rc 2 "bad category" "$PGW" doctor --category speed --db "$db"

# index.unused: not on statistics younger than stats_min_age (default 7d:
# the test cluster started minutes ago), and saying why; never an index that
# serves a foreign key or is the only one on a column a policy reads
unused=$(fresh_db unused) || { fail "cannot make a database"; finish; }
sql "$unused" "
CREATE TABLE owners (id bigint PRIMARY KEY);
CREATE TABLE pets (id bigint PRIMARY KEY, owner_id bigint REFERENCES owners (id), keeper uuid, name text, tag text);
CREATE INDEX pets_owner_id_idx ON pets (owner_id);
CREATE INDEX pets_keeper_idx ON pets (keeper);
CREATE INDEX pets_name_idx ON pets (name);
CREATE INDEX pets_tag_idx ON pets (tag);
CREATE INDEX pets_tag_name_idx ON pets (tag, name);
ALTER TABLE pets ENABLE ROW LEVEL SECURITY;
CREATE POLICY pets_mine ON pets FOR SELECT TO authenticated USING (keeper = (SELECT auth.uid()));
CREATE POLICY pets_tagged ON pets FOR SELECT TO authenticated USING (tag IS NOT NULL);
" >/dev/null || fail "unused fixture"
printf '[project]\nschemas = public\nexposed_schemas = public\n' > "$SCRATCH/young.conf"
expect_rc 0 "young statistics" "$PGW" --no-color --config "$SCRATCH/young.conf" doctor --rule index.unused --db "$unused"
contains "says why" "$OUT" "unused indexes not judged: the statistics are"
contains "names the setting" "$OUT" "stats_min_age"
lacks "no index.unused" "$OUT" "[index.unused]"
expect_rc 0 "young statistics, JSON" "$PGW" --json --config "$SCRATCH/young.conf" doctor --rule index.unused --db "$unused"
equals "judged: no" "$(echo "$OUT" | jq '.summary.statistics.unused_indexes_judged')" "false"
check "an age" test "$(echo "$OUT" | jq '.summary.statistics.age_s')" -ge 0
expect_rc 0 "any age" "$PGW" --json doctor --rule index.unused --db "$unused"
equals "only the indexes nothing needs" "$(echo "$OUT" | jq -c '[.findings[].object.name] | sort')" '["pets_name_idx","pets_tag_name_idx"]'
equals "judged: yes" "$(echo "$OUT" | jq '.summary.statistics.unused_indexes_judged')" "true"
printf '[project]\nstats_min_age = a week\n' > "$SCRATCH/badage.conf"
expect_rc 4 "a bad stats_min_age" "$PGW" --config "$SCRATCH/badage.conf" doctor --db "$unused"
contains "says what an age is" "$ERR" "is not an age for stats_min_age"

# a clean database (a table in an exposed schema needs row-level security)
clean=$(fresh_db clean) || { fail "cannot make a database"; finish; }
sql "$clean" "CREATE TABLE t (id bigint PRIMARY KEY, owner uuid NOT NULL, v text);
               ALTER TABLE t ENABLE ROW LEVEL SECURITY;
               CREATE POLICY t_read ON t FOR SELECT TO authenticated USING (owner = (SELECT auth.uid()))" >/dev/null
expect_rc 0 "clean database" "$PGW" --no-color doctor --db "$clean"
contains "nothing" "$OUT" "no problems found"

finish
