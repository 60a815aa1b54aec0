#!/bin/bash
# make demo's main job, on a copy of examples/fleet: it loads the example,
# shows the planted problems, runs the validate → generate → migrate →
# validate → rls test loop, runs twice (the second time from a fresh copy),
# and leaves no server running.
. "$(dirname "$0")/../lib.sh"

proj="$SCRATCH/fleet"
cp -r "$SRC/examples/fleet" "$proj"
rm -rf "$proj/.pgwarden"
CLUSTERS+=("$proj/.pgwarden/local")
for run in first second; do
    expect_rc 0 "demo, $run run" "$SRC/scripts/demo.sh" "$PGW" "$proj"
    contains "$run: migrations applied" "$OUT" "applied 5 migrations in"
    contains "$run: example seeded" "$OUT" "seeded supabase/seed.sql"
    contains "$run: target reached" "$OUT" "flavour: Supabase (auth and storage schemas present)"
    contains "$run: snapshot written" "$OUT" "wrote $proj/docs/database-schema.json"
    contains "$run: RLS off shown" "$OUT" "public.vehicle_events             OFF"
    contains "$run: 22 vehicles, all with a tenant" "$OUT" "100.0% (22/22)"
    contains "$run: NULL tenants shown" "$OUT" "75.0% (9/12)"
    contains "$run: validate finds the RLS hole" "$OUT" "rls.disabled  vehicle_events"
    contains "$run: rls test finds the leak" "$OUT" "SELECT LEAKS — reads 7 rows of the other tenant"
    contains "$run: fix written" "$OUT" "_fix_all.sql"
    contains "$run: fix applied" "$OUT" "applied 2 migrations in"
    contains "$run: validate clean" "$OUT" "12 tables checked (10 scanned, 10 queries): 0 errors, 0 warnings"
    contains "$run: rls test passes" "$OUT" "10 tables, 0 leaks, 0 inconclusive"
    contains "$run: doctor fixes through the safe runner" "$OUT" "applied 1 migration safely"
    contains "$run: nothing left of those rules" "$OUT" "0 findings left"
    equals "$run: the example's own migrations untouched" "$(ls "$proj/supabase/migrations" | wc -l)" 10
    contains "$run: stopped at the end" "$OUT" "stopped the local database"
    real=$(readlink -f "$proj/.pgwarden/local")
    equals "$run: no server left" "$(server_pids "$real/data" | wc -l)" 0
done
contains "second run starts from a fresh copy" "$OUT" "re-created the local database"
finish
