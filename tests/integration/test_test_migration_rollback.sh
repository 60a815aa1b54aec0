#!/bin/bash
# pgwarden test-migration --write-rollback (rollbacks derived, run and
# verified in a sandbox, written only when the trial passes; refused when
# the migration loses data), migrate create --with-rollback, and
# test-migration of a migration already applied on the target (tried
# against the schema before it).  The target is never changed.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db tmrb) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE tenants (id int PRIMARY KEY, name text NOT NULL);
           CREATE TABLE vehicles (id int PRIMARY KEY, tenant_id int NOT NULL REFERENCES tenants(id), plate text, old_code text);
           CREATE INDEX vehicles_plate_idx ON vehicles (plate);
           INSERT INTO tenants SELECT g, 't' || g FROM generate_series(1, 3) g;
           INSERT INTO vehicles SELECT g, 1 + g % 3, 'P' || g, 'c' FROM generate_series(1, 20) g;" >/dev/null

p="$SCRATCH/project"
mkdir -p "$p/migrations" "$p/t"
printf '[project]\nmigrations_dir = migrations\nlock_timeout = 2s\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1

state() {
    "$PGW" -q inspect --stable --out - --db "$db" 2>/dev/null | sha256sum
    sql "$db" "SELECT (SELECT count(*) FROM tenants) || '/' || (SELECT count(*) FROM vehicles)"
}
before=$(state)

# --- one migration without a rollback: derived, verified, written -------------
cat > t/20250201000000_notes.sql <<'EOF'
CREATE TABLE notes (
  id int PRIMARY KEY,
  vehicle_id int NOT NULL REFERENCES vehicles(id),
  body text
);
CREATE INDEX notes_vehicle_idx ON notes (vehicle_id);
ALTER TABLE vehicles ADD COLUMN color text;
ALTER TABLE vehicles ALTER COLUMN plate SET NOT NULL;
CREATE TABLE labels (id int PRIMARY KEY, name text);
INSERT INTO labels VALUES (1, 'first');
EOF
expect_rc 1 "no rollback: the report names --write-rollback" "$PGW" --no-color test-migration t/20250201000000_notes.sql --db "$db"
contains "hint" "$OUT" "--write-rollback' derive one"
expect_rc 0 "derived" "$PGW" --no-color test-migration t/20250201000000_notes.sql --write-rollback --db "$db"
contains "wrote it" "$OUT" "rollback derived: wrote t/20250201000000_notes_rollback.sql"
contains "verified" "$OUT" "verified: restores the schema byte for byte"
contains "trial passes with it" "$OUT" "rollback: restores the schema exactly"
contains "result" "$OUT" "result: migration and rollback pass"
check "file written" test -f t/20250201000000_notes_rollback.sql
rb=$(cat t/20250201000000_notes_rollback.sql 2>/dev/null)
contains "header: derived" "$rb" "derived by 'pgwarden test-migration --write-rollback'"
contains "header: verified" "$rb" "Verified in a local sandbox"
contains "drops the table" "$rb" 'DROP TABLE public.notes'
contains "drops the column" "$rb" 'DROP COLUMN color'
contains "drops the NOT NULL" "$rb" 'DROP NOT NULL'
# the written file is an ordinary rollback: the plain trial passes with it
expect_rc 0 "plain trial with the written rollback" "$PGW" --no-color test-migration t/20250201000000_notes.sql --db "$db"
contains "rollback restores" "$OUT" "rollback: restores the schema exactly"
# never overwritten without --overwrite
cp t/20250201000000_notes_rollback.sql "$SCRATCH/rb.keep"
expect_rc 0 "a rollback there: kept" "$PGW" --no-color test-migration t/20250201000000_notes.sql --write-rollback --db "$db"
contains "nothing derived" "$OUT" "every migration has one, nothing derived"
equals "file untouched" "$(cat t/20250201000000_notes_rollback.sql)" "$(cat "$SCRATCH/rb.keep")"
echo "DROP TABLE notes;" > t/20250201000000_notes_rollback.sql
expect_rc 0 "--overwrite replaces a hand-written one" "$PGW" --no-color test-migration t/20250201000000_notes.sql --write-rollback --overwrite --db "$db"
contains "replaced" "$OUT" "rollback derived: replaced t/20250201000000_notes_rollback.sql"
equals "same derivation as before" "$(cat t/20250201000000_notes_rollback.sql)" "$(cat "$SCRATCH/rb.keep")"
expect_rc 2 "--overwrite alone" "$PGW" test-migration t/20250201000000_notes.sql --overwrite --db "$db"
contains "usage" "$ERR" "--overwrite goes with --write-rollback"
equals "target unchanged" "$(state)" "$before"

# --- a rollback that rows written since can make fail: said in its header ------
echo "ALTER TABLE vehicles ALTER COLUMN tenant_id DROP NOT NULL;" > t/20250201100000_optional_tenant.sql
expect_rc 0 "DROP NOT NULL: derived" "$PGW" --no-color test-migration t/20250201100000_optional_tenant.sql --write-rollback --db "$db"
contains "SET NOT NULL back" "$(cat t/20250201100000_optional_tenant_rollback.sql)" "SET NOT NULL"
contains "caution in the header" "$(cat t/20250201100000_optional_tenant_rollback.sql)" "-- Mind: rows written after the migration can make these fail"

# --- data-losing migrations: refused, nothing written ----------------------------
echo "ALTER TABLE vehicles DROP COLUMN old_code;" > t/20250202000000_dropcol.sql
expect_rc 1 "dropped column refused" "$PGW" --no-color test-migration t/20250202000000_dropcol.sql --write-rollback --db "$db"
contains "says why" "$OUT" "rollback not derived for 20250202000000_dropcol.sql: it deletes data a rollback cannot bring back"
contains "names the change" "$OUT" "old_code"
contains "nothing written" "$OUT" "nothing written for it"
check "no file" test ! -e t/20250202000000_dropcol_rollback.sql
echo "UPDATE vehicles SET plate = lower(plate);" > t/20250203000000_update.sql
expect_rc 1 "rows changed refused" "$PGW" --no-color test-migration t/20250203000000_update.sql --write-rollback --db "$db"
contains "the UPDATE" "$OUT" "line 1: UPDATE changes rows of vehicles, a table it did not create"
check "no file" test ! -e t/20250203000000_update_rollback.sql
expect_rc 1 "json: refused" "$PGW" --json test-migration t/20250202000000_dropcol.sql --write-rollback --db "$db"
contains "json refused" "$OUT" '"refused": "it deletes data a rollback cannot bring back"'
contains "json written false" "$OUT" '"written": false'
contains "json summary" "$OUT" '"rollbacks_not_derived": 1'
equals "target unchanged" "$(state)" "$before"

# --- a batch: each rollback derived against the schema after the previous ones ---
printf 'CREATE TABLE garages (id int PRIMARY KEY, name text);\n' > t/20250204000000_garages.sql
printf 'ALTER TABLE garages ADD COLUMN city text;\nCREATE INDEX garages_city_idx ON garages (city);\n' > t/20250205000000_city.sql
printf 'ALTER TABLE vehicles ADD COLUMN garage_id int REFERENCES garages(id);\n-- pgwarden:down\nALTER TABLE vehicles DROP COLUMN garage_id;\n' > t/20250206000000_link.sql
expect_rc 0 "batch" "$PGW" --no-color test-migration t/20250204000000_garages.sql t/20250205000000_city.sql t/20250206000000_link.sql --write-rollback --db "$db"
contains "first" "$OUT" "rollback derived: wrote t/20250204000000_garages_rollback.sql"
contains "second" "$OUT" "rollback derived: wrote t/20250205000000_city_rollback.sql"
lacks "the third has its own" "$OUT" "20250206000000_link_rollback.sql"
contains "first drops only the table" "$(cat t/20250204000000_garages_rollback.sql)" "DROP TABLE public.garages"
lacks "first knows nothing of city" "$(cat t/20250204000000_garages_rollback.sql)" "city"
contains "second drops the column" "$(cat t/20250205000000_city_rollback.sql)" "DROP COLUMN city"
lacks "second keeps the table" "$(cat t/20250205000000_city_rollback.sql)" "DROP TABLE"
# a batch where one is refused: the others are written, that one is not
rm -f t/20250204000000_garages_rollback.sql t/20250205000000_city_rollback.sql
expect_rc 1 "batch with a refusal" "$PGW" --no-color test-migration t/20250204000000_garages.sql t/20250202000000_dropcol.sql --write-rollback --db "$db"
contains "refusal" "$OUT" "rollback not derived for 20250202000000_dropcol.sql"
check "nothing written when the trial fails" test ! -e t/20250204000000_garages_rollback.sql
equals "target unchanged" "$(state)" "$before"

# --- a file in the current folder (no folder in its path) ----------------------
(cd t && "$PGW" --no-color test-migration 20250204000000_garages.sql --write-rollback --db "$db" >"$SCRATCH/cwd.out" 2>&1); rc=$?
equals "derived in the current folder" "$rc" "0"
contains "wrote it there" "$(cat "$SCRATCH/cwd.out")" "rollback derived: wrote 20250204000000_garages_rollback.sql"
(cd t && "$PGW" --no-color test-migration 20250204000000_garages.sql --db "$db" >"$SCRATCH/cwd.out" 2>&1); rc=$?
equals "its rollback beside it is found and runs (was a crash)" "$rc" "0"
rm -f t/20250204000000_garages_rollback.sql

# --- the tx sandbox --------------------------------------------------------------
printf 'CREATE TABLE tags (id int PRIMARY KEY);\n' > t/20250207000000_tags.sql
expect_rc 0 "tx sandbox" "$PGW" --no-color test-migration --sandbox tx t/20250207000000_tags.sql --write-rollback --db "$db"
contains "header says tx" "$(cat t/20250207000000_tags_rollback.sql)" "Verified in a tx sandbox"
equals "target unchanged after tx" "$(state)" "$before"

# --- migrate create --with-rollback: an empty down section, filled --------------------
expect_rc 0 "create --with-rollback" "$PGW" --no-color migrate create add_bays --with-rollback
contains "says how" "$OUT" "--write-rollback' derives it"
f=$(ls migrations/*_add_bays.sql 2>/dev/null | head -1)
check "one file" test -n "$f"
check "no rollback file" test -z "$(ls migrations/*_add_bays_rollback.sql 2>/dev/null)"
contains "down marker" "$(cat "$f")" "-- pgwarden:down"
sed -i '0,/^-- pgwarden:down/s//CREATE TABLE bays (id int PRIMARY KEY, garage text);\n-- pgwarden:down/' "$f"
expect_rc 1 "empty section: the trial says so" "$PGW" --no-color test-migration "$f" --db "$db"
contains "empty rollback named" "$OUT" "has an empty rollback"
contains "and what to do" "$OUT" "--write-rollback' derive them"
up_sum=$(sed -n '1,/^-- pgwarden:down/p' "$f" | sha256sum)
expect_rc 0 "section filled" "$PGW" --no-color test-migration "$f" --write-rollback --db "$db"
contains "into the section" "$OUT" "rollback derived: into the '-- pgwarden:down' section of"
contains "drop in the file" "$(cat "$f")" "DROP TABLE public.bays"
equals "up part unchanged" "$(sed -n '1,/^-- pgwarden:down/p' "$f" | sha256sum)" "$up_sum"
expect_rc 0 "the filled file passes" "$PGW" --no-color test-migration "$f" --db "$db"
# the plain pair: the rollback template (comments only) gets the rollback below its comments
expect_rc 0 "create" "$PGW" --no-color migrate create add_docks
g=$(ls migrations/*_add_docks.sql | head -1)
echo "CREATE TABLE docks (id int);" >> "$g"
expect_rc 4 "a template rollback: said what to do" "$PGW" --no-color test-migration "$g" --db "$db"
contains "comments only" "$ERR" "holds no statement (comments only)"
contains "hint" "$ERR" "--write-rollback' derive them"
expect_rc 0 "template filled" "$PGW" --no-color test-migration "$g" --write-rollback --db "$db"
contains "below the comments" "$OUT" "written below the comments of"
grb="${g%.sql}_rollback.sql"
contains "template comments kept" "$(cat "$grb")" "Undoes migration"
contains "rollback below" "$(cat "$grb")" "DROP TABLE public.docks"
expect_rc 2 "create takes --with-rollback only" "$PGW" migrate status --with-rollback --db "$db"
equals "target unchanged" "$(state)" "$before"

# --- a migration already applied on the target -------------------------------------
cp t/20250201000000_notes.sql t/20250201000000_notes_rollback.sql migrations/
printf 'ALTER TABLE notes ADD COLUMN seen boolean;\n-- pgwarden:down\nALTER TABLE notes DROP COLUMN seen;\n' > migrations/20250208000000_seen.sql
rm -f migrations/*_add_bays.sql migrations/*_add_docks*.sql
expect_rc 0 "apply two" "$PGW" migrate up --db "$db"
applied=$(state)
expect_rc 0 "applied: tried against the schema before it" "$PGW" --no-color test-migration migrations/20250201000000_notes.sql --db "$db"
contains "says applied" "$ERR" "already applied on the target: 20250201000000_notes.sql"
contains "says how" "$ERR" "first runs the rollbacks of 2 applied migrations"
contains "the change as from before" "$OUT" "+2 tables (labels, notes)"
contains "passes" "$OUT" "result: migration and rollback pass"
expect_rc 0 "applied, tx sandbox" "$PGW" --no-color test-migration --sandbox tx migrations/20250201000000_notes.sql --db "$db"
contains "tx passes" "$OUT" "result: migration and rollback pass"
expect_rc 0 "json" "$PGW" --json test-migration migrations/20250208000000_seen.sql --db "$db"
contains "json already_applied" "$OUT" '"already_applied"'
contains "json rewound" "$OUT" '"rewound"'
# a rollback of an applied migration that fails in the sandbox: said, exit 4
cp migrations/20250208000000_seen.sql "$SCRATCH/seen.keep"
printf 'ALTER TABLE notes ADD COLUMN seen boolean;\n-- pgwarden:down\nALTER TABLE notes DROP COLUMN nope;\n' > migrations/20250208000000_seen.sql
expect_rc 4 "applied, its rollback fails" "$PGW" --no-color test-migration migrations/20250208000000_seen.sql --db "$db"
contains "which rollback" "$ERR" "the rollback of '20250208000000_seen.sql' fails in the sandbox at line 3"
cp "$SCRATCH/seen.keep" migrations/20250208000000_seen.sql
# without a rollback to go back with: said, with what to do
rm migrations/20250201000000_notes_rollback.sql
expect_rc 4 "applied, no rollback" "$PGW" --no-color test-migration migrations/20250201000000_notes.sql --db "$db"
contains "message" "$ERR" "'20250201000000_notes.sql' is already applied on the target"
contains "detail" "$ERR" "'20250201000000_notes.sql' has no rollback"
contains "hint" "$ERR" "migrate down --to VERSION"
equals "applied target unchanged" "$(state)" "$applied"

finish
