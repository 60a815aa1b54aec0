#!/bin/bash
# pgwarden doctor --fix: one migration (and rollback) for every fixable
# finding of a fixture with the problems planted — written only, then with
# --yes applied through migrate up --safe, and a second diagnosis with only
# the findings that have no automatic fix left.  The rollback restores the
# schema exactly; orphans are touched only with --delete-orphans; doctor
# and health change nothing in the database.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db fix) || { fail "cannot make a database"; finish; }
p="$SCRATCH/project"
mkdir -p "$p/migrations"
printf '[project]\nmigrations_dir = migrations\nschemas = public\nexposed_schemas = public\ntenant_column = tenant_id\ntenant_setting = app.tenant\napp_role = authenticated\nlock_timeout = 5s\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1

sql "$db" "
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenants_read ON tenants FOR SELECT TO authenticated USING (id = current_setting('app.tenant', true)::bigint);
-- RLS off on an exposed tenant table, and an unindexed foreign key
CREATE TABLE vehicles (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), plate text);
-- a duplicate index
CREATE INDEX vehicles_plate_a ON vehicles (plate);
CREATE INDEX vehicles_plate_b ON vehicles (plate);
-- a table without a primary key (no automatic fix)
CREATE TABLE audit_log (tenant_id bigint NOT NULL REFERENCES tenants (id), line text);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_tenant ON audit_log TO authenticated USING (tenant_id = current_setting('app.tenant', true)::bigint)
  WITH CHECK (tenant_id = current_setting('app.tenant', true)::bigint);
-- orphans: a tenant id without a foreign key, pointing nowhere
CREATE TABLE notes (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, body text);
CREATE INDEX notes_tenant_idx ON notes (tenant_id);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_tenant ON notes TO authenticated USING (tenant_id = current_setting('app.tenant', true)::bigint)
  WITH CHECK (tenant_id = current_setting('app.tenant', true)::bigint);
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
INSERT INTO tenants VALUES (1, 'a'), (2, 'b');
INSERT INTO vehicles VALUES (1, 1, 'X'), (2, 2, 'Y');
INSERT INTO audit_log VALUES (1, 'x');
INSERT INTO notes VALUES (1, 1, 'ok'), (2, 9, 'orphan');
-- security: definer without search_path, exec_sql granted to anon, a view without security_invoker
CREATE FUNCTION definer_no_path() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION definer_no_path() FROM PUBLIC;
CREATE FUNCTION exec_sql(query text) RETURNS void LANGUAGE plpgsql AS \$\$ BEGIN EXECUTE query; END \$\$;
REVOKE EXECUTE ON FUNCTION exec_sql(text) FROM PUBLIC, authenticated;
GRANT EXECUTE ON FUNCTION exec_sql(text) TO anon;
CREATE VIEW vehicle_plates AS SELECT id, plate FROM vehicles;
CREATE TABLE emails (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), email text);
CREATE INDEX emails_tenant_idx ON emails (tenant_id);
ALTER TABLE emails ENABLE ROW LEVEL SECURITY;
CREATE POLICY emails_tenant ON emails TO authenticated USING (tenant_id = current_setting('app.tenant', true)::bigint)
  WITH CHECK (tenant_id = current_setting('app.tenant', true)::bigint);
ALTER TABLE emails FORCE ROW LEVEL SECURITY;
INSERT INTO emails VALUES (1, 1, 'x'), (2, 1, 'x');
" >/dev/null || fail "fixture"
# an INVALID index, as a failed CREATE INDEX CONCURRENTLY leaves it
sql "$db" "CREATE UNIQUE INDEX CONCURRENTLY emails_email_key ON emails (email)" >/dev/null 2>&1
sql "$db" "ANALYZE" >/dev/null

rules() { python3 -c '
import json, sys
d = json.load(sys.stdin)
for f in d["findings"]:
    o = f["object"]
    print(f["rule"], (o.get("schema") or "") + "." + (o.get("name") or ""))
' | sort; }
snapshot() { "$PGW" -q inspect --stable -N pgwarden --out - --db "$db"; }
# the schema without INVALID indexes (the rollback does not rebuild one)
valid_only() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in d.get("tables", []):
    r["indexes"] = [i for i in r.get("indexes", []) if i.get("valid", True)]
print(json.dumps(d, indent=1, sort_keys=True))' "$1"; }
counts() {
    sql "$db" "SELECT string_agg(relname || '=' || (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', schemaname, relname), false, true, '')))[1]::text, ',' ORDER BY relname) FROM pg_stat_user_tables WHERE schemaname = 'public'"
}
files() { ls migrations | tr '\n' ' '; }

# --- the diagnosis: exactly the planted problems; doctor and health change nothing
before=$(snapshot)
rows=$(counts)
expect_rc 1 "doctor finds them" "$PGW" --json doctor --no-stats --db "$db"
want=$(sort <<'LIST'
fk.missing public.notes
fk.orphans public.notes
index.duplicate public.vehicles_plate_b
index.invalid public.emails_email_key
index.unindexed_fk public.vehicles_tenant_id_fkey
rls.disabled public.vehicles
security.definer_search_path public.definer_no_path()
security.definer_view public.vehicle_plates
security.exec_sql public.exec_sql(query text)
security.rls_policy_initplan public.audit_log_tenant
security.rls_policy_initplan public.emails_tenant
security.rls_policy_initplan public.notes_tenant
security.rls_policy_initplan public.tenants_read
table.no_primary_key public.audit_log
LIST
)
got=$(echo "$OUT" | rules)
equals "exactly the planted findings" "$got" "$want"
[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") >&2
contains "fixes carry their rollback" "$OUT" '"rollback": "ALTER FUNCTION public.definer_no_path() RESET search_path;"'
# the count is what --fix does (11, below); the others carry SQL for a person
equals "fixable: what --fix fixes" "$(echo "$OUT" | jq '.summary.fixable')" "11"
equals "the rest by hand" "$(echo "$OUT" | jq '.summary.fix_by_hand')" "2"
expect_rc 1 "doctor text" "$PGW" --no-color doctor --no-stats --db "$db"
contains "the count --fix keeps" "$OUT" "11 issues can be auto-fixed — run: pgwarden doctor --fix"
contains "and the others" "$OUT" "2 others carry a fix that --fix leaves to you"
expect_rc 0 "health" "$PGW" --json health --db "$db"
equals "doctor and health leave the schema as it was" "$(snapshot)" "$before"
equals "... and the rows" "$(counts)" "$rows"

# --- flags that need --fix
expect_rc 2 "--yes without --fix" "$PGW" doctor --yes --db "$db"
contains "says so" "$ERR" "--yes goes with --fix"
expect_rc 2 "both orphan flags" "$PGW" doctor --fix --delete-orphans --nullify-orphans --db "$db"
expect_rc 2 "--sandbox without --yes" "$PGW" doctor --fix --sandbox tx --db "$db"
contains "says so" "$ERR" "--sandbox goes with --fix --yes"

# --- --fix writes one migration and shows it; the database is untouched
expect_rc 1 "--fix writes" "$PGW" --no-color doctor --fix --no-stats --db "$db"
contains "how many" "$OUT" "fix: 11 findings in one migration"
contains "wrote" "$OUT" "_doctor_fix.sql"
contains "shown" "$OUT" "CREATE INDEX CONCURRENTLY IF NOT EXISTS vehicles_tenant_id_idx ON public.vehicles (tenant_id);"
contains "policies for the RLS-off table" "$OUT" "ALTER TABLE public.vehicles ENABLE ROW LEVEL SECURITY;"
contains "orphans are not touched unasked" "$OUT" "1 row of 'notes' points at no row of 'tenants'"
contains "what to do about them" "$OUT" "by hand: pgwarden doctor --fix --delete-orphans or --nullify-orphans"
contains "no primary key: by hand" "$OUT" "no safe automatic fix"
contains "next step" "$OUT" "next: review it, then pgwarden migrate up --safe"
equals "one pair written" "$(ls migrations | wc -l)" "2"
up=$(ls migrations/*_doctor_fix.sql)
down=$(ls migrations/*_doctor_fix_rollback.sql)
contains "transactional part first" "$(head -20 "$up")" "BEGIN;"
check "the migration parses" "$PGW" -q lint "$up"
equals "nothing applied by --fix" "$(snapshot)" "$before"

# --fix again: the pending pair is the same, so it is not written twice
up_before=$(sha256sum "$up" "$down")
expect_rc 1 "--fix again" "$PGW" --no-color doctor --fix --no-stats --db "$db"
contains "reused" "$OUT" "pending and identical, not written again: migrations/$(basename "$up")"
equals "still one pair" "$(ls migrations | wc -l)" "2"
equals "the pair unchanged" "$(sha256sum "$up" "$down")" "$up_before"
expect_rc 1 "--fix again, JSON" "$PGW" --json doctor --fix --no-stats --db "$db"
equals "reused in JSON" "$(echo "$OUT" | jq '.fix.reused')" "true"

# with --yes and another migration pending: refused, nothing written
printf 'SELECT 1;\n' > migrations/20990101000000_other.sql
expect_rc 4 "--yes with a pending migration" "$PGW" --no-color doctor --fix --yes --no-stats --db "$db"
contains "names it" "$ERR" "1 migration is pending (20990101000000_other.sql)"
rm migrations/20990101000000_other.sql
equals "nothing more written" "$(ls migrations | wc -l)" "2"

# the written migration goes through the safe runner, and its rollback
# restores the schema exactly
expect_rc 0 "safe apply of the written fix" "$PGW" --no-color migrate up --safe --db "$db"
contains "sandbox checked the rollback" "$OUT" "rollback restores ok"
expect_rc 0 "down" "$PGW" --no-color migrate down --db "$db"
snapshot > "$SCRATCH/after-down.json"
echo "$before" > "$SCRATCH/before.json"
check "rollback restores the schema (but the INVALID index)" \
    diff <(valid_only "$SCRATCH/before.json") <(valid_only "$SCRATCH/after-down.json")
rm -f migrations/*

# --- --fix --yes: applied through migrate up --safe, then diagnosed again
expect_rc 0 "--fix --yes" "$PGW" --no-color doctor --fix --yes --sandbox local --delete-orphans --no-stats --db "$db"
contains "through the safe runner" "$OUT" "applying it through pgwarden migrate up --safe"
contains "sandbox" "$OUT" "rollback restores ok"
contains "verified" "$OUT" "· verified"
contains "doctor again" "$OUT" "doctor again:"
contains "what is left" "$OUT" "2 findings left"
after=$(sed -n '/doctor again:/,$p' <<< "$OUT")
contains "no primary key is left" "$after" "[table.no_primary_key]"
contains "a recommendation with no fix is left" "$after" "vehicles: row-level security is not forced"
for r in index.unindexed_fk index.duplicate index.invalid rls.disabled security.definer_search_path security.exec_sql security.definer_view security.rls_policy_initplan fk.orphans fk.missing; do
    lacks "$r fixed" "$after" "[$r]"
done
equals "orphan deleted, the rest kept" "$(sql "$db" "SELECT string_agg(id::text, ',' ORDER BY id) FROM notes")" "1"
equals "anon lost EXECUTE" "$(sql "$db" "SELECT has_function_privilege('anon', 'public.exec_sql(text)', 'EXECUTE')")" "f"
equals "recorded" "$("$PGW" -q --json migrate status --db "$db" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["applied"])')" "1"

# --json: one document with the fix, the apply and the second diagnosis
expect_rc 0 "json: nothing left to fix" "$PGW" --json doctor --fix --yes --no-stats --db "$db"
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["fix"]["up"] is None, d["fix"]
assert sorted(x["rule"] for x in d["fix"]["left"]) == ["rls.not_forced", "table.no_primary_key"], d["fix"]["left"]
' <<< "$OUT" || fail "json document: $OUT"
check "--only limits the fix" "$PGW" -q doctor --fix --only index. --no-stats --db "$db"

# --- policies: strings are not rewritten, correlated sub-queries are per row,
# a policy the same migration drops is left alone; partitioned tables by hand
db2=$(fresh_db fix2) || { fail "cannot make a database"; finish; }
sql "$db2" "
CREATE TABLE members (tenant_id bigint NOT NULL, user_id uuid NOT NULL, PRIMARY KEY (tenant_id, user_id));
ALTER TABLE members ENABLE ROW LEVEL SECURITY; ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_own ON members TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE TABLE notes2 (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, note text);
CREATE INDEX notes2_tenant_idx ON notes2 (tenant_id);
ALTER TABLE notes2 ENABLE ROW LEVEL SECURITY; ALTER TABLE notes2 FORCE ROW LEVEL SECURITY;
CREATE POLICY notes2_str ON notes2 TO authenticated
  USING (tenant_id = current_setting('app.tenant', true)::bigint AND note <> 'auth.uid() (x')
  WITH CHECK (tenant_id = current_setting('app.tenant', true)::bigint);
CREATE POLICY notes2_members ON notes2 FOR SELECT TO authenticated
  USING (EXISTS (SELECT 1 FROM members m WHERE m.tenant_id = notes2.tenant_id AND m.user_id = auth.uid()));
CREATE TABLE docs (id bigint PRIMARY KEY, tenant_id bigint NOT NULL);
CREATE INDEX docs_tenant_idx ON docs (tenant_id);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;
CREATE POLICY docs_auth ON docs TO authenticated USING (auth.role() = 'authenticated');
CREATE TABLE events (id bigint, member_tenant bigint, member_user uuid, at date,
  FOREIGN KEY (member_tenant, member_user) REFERENCES members) PARTITION BY RANGE (at);
" >/dev/null || fail "second fixture"
expect_rc 1 "doctor on the policies" "$PGW" --json doctor --no-stats --db "$db2"
got=$(echo "$OUT" | rules)
contains "correlated sub-query found" "$got" "security.rls_policy_initplan public.notes2_members"
contains "string policy found" "$got" "security.rls_policy_initplan public.notes2_str"
contains "partitioned FK found" "$got" "index.unindexed_fk public.events_member_tenant_member_user_fkey"
mkdir -p "$SCRATCH/p2/migrations" && cp pgwarden.conf "$SCRATCH/p2/"
( cd "$SCRATCH/p2" && "$PGW" --no-color doctor --fix --yes --no-stats --db "$db2" ) > "$SCRATCH/p2.out" 2>&1
out2=$(cat "$SCRATCH/p2.out")
contains "the string stays as written" "$out2" "(note <> 'auth.uid() (x'::text)"
contains "the correlated call is wrapped" "$out2" "(m.user_id = (SELECT auth.uid()))"
contains "the dropped policy is left alone" "$out2" "this migration rewrites the table's policies"
lacks "no ALTER POLICY of a dropped policy" "$(sed -n '/^-- the migration/,$p' <<< "$out2")" "ALTER POLICY docs_auth"
contains "the tenant column's own type (no tenants table)" "$out2" "current_setting('app.tenant', true)::bigint)"
contains "applied through the safe runner" "$out2" "applied 1 migration safely"
equals "the string in the live policy" "$(sql "$db2" "SELECT pg_get_expr(polqual, polrelid) LIKE '%''auth.uid() (x''%' FROM pg_policy WHERE polname = 'notes2_str'")" "t"
contains "partitioned: no fix offered" "$(sed -n '/doctor again:/,$p' <<< "$out2")" "[index.unindexed_fk]"
equals "no new file when nothing is fixable" "$(ls migrations | grep -c doctor_fix)" "2"


# --- a --yes that fails leaves no pending file behind --------------------------------
sql "$db2" "CREATE VIEW member_view AS SELECT tenant_id FROM members" >/dev/null
before_files=$(ls "$SCRATCH/p2/migrations" | wc -l)
( cd "$SCRATCH/p2" && PGWARDEN_FAULT=safe:diverge "$PGW" --no-color doctor --fix --yes --only security.definer_view --no-stats --db "$db2" ) > "$SCRATCH/p3.out" 2>&1
equals "exit 5: rolled back" "$?" "5"
contains "says the file is gone" "$(cat "$SCRATCH/p3.out")" "and its rollback: nothing of it was applied"
equals "no file left pending" "$(ls "$SCRATCH/p2/migrations" | wc -l)" "$before_files"
equals "the view as it was" "$(sql "$db2" "SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE relname = 'member_view'")" ""

finish
