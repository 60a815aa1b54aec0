#!/bin/bash
# --targets: one migration rolled across 20 databases of the test cluster,
# a canary first, 4 at a time; one target has a conflicting table, so its
# migration fails: the report names it with its error and exit code, every
# other target is migrated, the failing one is unchanged.  A failing canary
# stops the rest.  URLs come from environment variables only.
. "$(dirname "$0")/../lib.sh"

proj="$SCRATCH/proj"
mkdir -p "$proj/migrations"
printf '[project]\nschemas = public\n' >"$proj/pgwarden.conf"
cat >"$proj/migrations/20260101000000_widgets.sql" <<'SQL'
CREATE TABLE public.widgets (id bigint PRIMARY KEY, name text NOT NULL);
SQL
cd "$proj" || exit 1
vars=()
for i in $(seq -w 1 20); do
    url=$(fresh_db "f$i") || { fail "cannot make database f$i"; finish; }
    export "FLEET_DB_$i=$url"
    vars+=("FLEET_DB_$i")
    echo "t$i FLEET_DB_$i $([ $((10#$i % 2)) = 0 ] && echo even || echo odd)" >>targets.txt
done
# target 13 already has a widgets table of its own: the migration conflicts
sql "$FLEET_DB_13" "CREATE TABLE public.widgets (id int, legacy text); INSERT INTO public.widgets VALUES (1, 'keep')" >/dev/null

expect_rc 5 "a failing target fails the run" "$PGW" --json migrate up --targets targets.txt --jobs 4 --canary t01
equals "summary" "$(echo "$OUT" | jq -c '[.summary.targets, .summary.ok, .summary.failed, .summary.not_run]')" '[20,19,1,0]'
equals "the failing one is named" "$(echo "$OUT" | jq -c '[.targets[] | select(.result == "failed") | .name, .exit_code]')" '["t13",5]'
contains "with its error" "$(echo "$OUT" | jq -r '.targets[] | select(.name == "t13") | .report.error.message')" "20260101000000_widgets"
equals "canary flagged" "$(echo "$OUT" | jq -c '[.targets[] | select(.canary) | .name]')" '["t01"]'
equals "groups kept" "$(echo "$OUT" | jq -r '.targets[1].group')" even
ok=0
for i in $(seq -w 1 20); do
    [ "$i" = 13 ] && continue
    v="FLEET_DB_$i"
    [ "$(sql "${!v}" "SELECT count(*) FROM pgwarden.schema_migrations WHERE version = '20260101000000'")" = 1 ] &&
        [ "$(sql "${!v}" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets'")" = 2 ] && ok=$((ok + 1))
done
equals "19 targets migrated" "$ok" 19
equals "the failing target is unchanged" "$(sql "$FLEET_DB_13" "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'widgets'") $(sql "$FLEET_DB_13" "SELECT legacy FROM widgets")" "id,legacy keep"
equals "no migration recorded on it" "$(sql "$FLEET_DB_13" "SELECT count(*) FROM pg_tables WHERE schemaname = 'pgwarden' AND tablename = 'schema_migrations'") $(sql "$FLEET_DB_13" "SELECT count(*) FROM pgwarden.schema_migrations" 2>/dev/null || echo 0)" "$(sql "$FLEET_DB_13" "SELECT count(*) FROM pg_tables WHERE schemaname = 'pgwarden' AND tablename = 'schema_migrations'") 0"

# text report
expect_rc 0 "health on a few targets" "$PGW" --no-color health --targets env:FLEET_DB_01,FLEET_DB_02 --jobs 2
contains "table header" "$OUT" "TARGET"
contains "summary line" "$OUT" "2 of 2 targets ok, 0 failed, 0 not run"

# a failing canary stops the rest
expect_rc 5 "canary fails" "$PGW" --json migrate up --targets targets.txt --canary t13
equals "the rest not run" "$(echo "$OUT" | jq -c '[.summary.failed, .summary.not_run]')" '[1,19]'

# a target that dies before writing its JSON (here: it cannot open its
# output file) is reported with its exit status, not an empty message
TMPDIR="$SCRATCH/no-such-dir" expect_rc 3 "a target with no report" "$PGW" --no-color validate --targets env:FLEET_DB_01
contains "its exit status is shown" "$OUT" "exit 3: exit status 3, no report and nothing on stderr"
TMPDIR="$SCRATCH/no-such-dir" expect_rc 3 "a target with no report, json" "$PGW" --json validate --targets env:FLEET_DB_01
equals "json names it" "$(echo "$OUT" | jq -r '.targets[0].error')" "exit status 3, no report and nothing on stderr"

# --safe on each target: the trial in a sandbox, then the real run.  First
# without a rollback: --safe refuses it on every target, and the report
# says where it stopped (the JSON report holds no error message then)
echo "ALTER TABLE public.widgets ADD COLUMN color text;" >"$proj/migrations/20260102000000_widget_color.sql"
expect_rc 1 "migrate up --safe, no rollback" "$PGW" --no-color migrate up --safe --targets env:FLEET_DB_01,FLEET_DB_02 --jobs 2
contains "where it stopped" "$OUT" "exit 1: 20260102000000_widget_color.sql stopped at the sandbox step"
cat >"$proj/migrations/20260102000000_widget_color.sql" <<'SQL'
ALTER TABLE public.widgets ADD COLUMN color text;
-- pgwarden:down
ALTER TABLE public.widgets DROP COLUMN color;
SQL
expect_rc 0 "migrate up --safe on two targets" "$PGW" --json migrate up --safe --targets env:FLEET_DB_01,FLEET_DB_02 --jobs 2
equals "both ok" "$(echo "$OUT" | jq -c '[.summary.targets, .summary.ok, .summary.failed]')" '[2,2,0]'
equals "applied there, not elsewhere" "$(for v in FLEET_DB_01 FLEET_DB_02 FLEET_DB_03; do
    sql "${!v}" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets' AND column_name = 'color'"; done | tr '\n' ' ')" "1 1 0 "
rm "$proj/migrations/20260102000000_widget_color.sql"

# targets need their variables; --db does not mix
unset FLEET_DB_20
expect_rc 3 "unset variable" "$PGW" validate --targets targets.txt
contains "names the variable" "$ERR" "environment variable 'FLEET_DB_20' (target 't20') is not set"
expect_rc 2 "--db with --targets" "$PGW" validate --targets env:FLEET_DB_01 --db "$FLEET_DB_01"
finish
