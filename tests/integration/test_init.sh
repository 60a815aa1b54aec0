#!/bin/bash
# pgwarden init: writes a config every command accepts, respects an existing
# one, picks the Supabase layout.
. "$(dirname "$0")/../lib.sh"

plain="$SCRATCH/plain"
mkdir -p "$plain" && cd "$plain" || exit 1
expect_rc 0 "init" "$PGW" init
contains "init output" "$OUT" "wrote $plain/pgwarden.conf"
check "config written" test -f "$plain/pgwarden.conf"
check "migrations folder" test -d "$plain/migrations"
check "gitignore" grep -qx '.pgwarden/' "$plain/.gitignore"
expect_rc 0 "config accepted" "$PGW" target --no-check
# a plain project exposes nothing: its tables are not critical for lacking RLS
check "plain: nothing exposed" grep -qx 'exposed_schemas =' "$plain/pgwarden.conf"
contains "plain: says so" "$OUT$(cat "$plain/pgwarden.conf")" "exposed_schemas"
db=$(fresh_db plain) || fail "cannot make a database"
sql "$db" "CREATE TABLE items (id bigint PRIMARY KEY, name text)" >/dev/null
expect_rc 0 "plain: validate passes" "$PGW" --json validate --db "$db"
equals "plain: rls.disabled is info" "$(echo "$OUT" | jq -c '[.findings[] | select(.rule == "rls.disabled") | .severity]')" '["info"]'
expect_rc 0 "plain: doctor has no critical" "$PGW" --json doctor --no-stats --db "$db"
equals "plain: no critical" "$(echo "$OUT" | jq '.summary.critical')" "0"
printf 'CREATE TABLE IF NOT EXISTS public.t (id bigint PRIMARY KEY);\n' > "$plain/t.sql"
"$PGW" --no-color --json lint --fail-on info "$plain/t.sql" > "$SCRATCH/lint.json" 2>/dev/null
equals "plain: lint's rls.table_without_rls is info" "$(jq -c '[.findings[] | select(.rule == "rls.table_without_rls") | .severity]' "$SCRATCH/lint.json")" '["info"]'
before=$(sha256sum "$plain/pgwarden.conf")
expect_rc 4 "second init refused" "$PGW" init
contains "refusal" "$ERR" "error: '$plain/pgwarden.conf' exists already"
equals "config untouched" "$(sha256sum "$plain/pgwarden.conf")" "$before"
echo "# my edit" >> "$plain/pgwarden.conf"
expect_rc 0 "init --force" "$PGW" --json init --force
contains "replaced" "$OUT" '"replaced": true'
lacks "edit gone" "$(cat "$plain/pgwarden.conf")" "# my edit"
equals "gitignore not duplicated" "$(grep -cx '.pgwarden/' "$plain/.gitignore")" 1

# the config is found from a subfolder, and relative paths are the project's
mkdir -p "$plain/src/deep"
cd "$plain/src/deep" || exit 1
expect_rc 0 "status from a subfolder" "$PGW" --json local status
contains "cluster dir relative to the config" "$OUT" "\"dir\": \"$plain/.pgwarden/local\""

# an existing .gitignore without a final newline keeps its last line intact
glued="$SCRATCH/glued"
mkdir -p "$glued"
printf 'node_modules/' > "$glued/.gitignore"
expect_rc 0 "init next to a .gitignore" "$PGW" init --dir "$glued"
equals "gitignore lines" "$(cat "$glued/.gitignore")" "node_modules/
.pgwarden/"

supa="$SCRATCH/supa"
mkdir -p "$supa/supabase"
expect_rc 0 "init --dir supabase project" "$PGW" init --dir "$supa"
check "supabase migrations folder" test -d "$supa/supabase/migrations"
check "supabase flavour" grep -qx 'supabase = true' "$supa/pgwarden.conf"
check "migrations_dir" grep -qx 'migrations_dir = supabase/migrations' "$supa/pgwarden.conf"
check "supabase: public exposed" grep -qx 'exposed_schemas = public' "$supa/pgwarden.conf"
cd "$supa" || exit 1
expect_rc 1 "supabase: validate fails" "$PGW" --json validate --db "$db"
equals "supabase: rls.disabled is an error" "$(echo "$OUT" | jq -c '[.findings[] | select(.rule == "rls.disabled") | .severity]')" '["error"]'
# --db, --env and DATABASE_URL mean nothing to init and local: ignored
# (with -v, a note), as scripts export one database for every command
ign="$SCRATCH/ignored"
mkdir -p "$ign"
expect_rc 0 "init --db" "$PGW" --db postgresql://x:Secret@nohost/db init --dir "$ign"
check "init --db wrote the config" test -f "$ign/pgwarden.conf"
lacks "no note without -v" "$ERR" "ignored"
expect_rc 0 "init --force --env -v" "$PGW" init --force --dir "$ign" --env nosuchenv -v
contains "note with -v" "$ERR" "'init' does not use a database; --env ignored"
expect_rc 0 "init with DATABASE_URL and --env" env DATABASE_URL=postgresql://x@nohost/db "$PGW" --env staging init --force --dir "$ign"
cd "$ign" || exit 1
expect_rc 0 "local status --db" "$PGW" local status --db postgresql://x@nohost/db
finish
