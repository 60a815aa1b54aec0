#!/bin/bash
# make demo's main job, on a copy of examples/fleet: it loads the example,
# shows the planted problems, runs the validate → generate → migrate →
# validate → rls test loop, runs twice (the second time from a fresh copy),
# and leaves no server running.  Afterwards the example is as its README
# describes: its own five migrations applied, nothing missing, nothing
# pending; the fixes stay under .pgwarden/demo (ignored by git) and apply
# again as the demo's last line says.
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
    contains "$run: reset to the example's own migrations" "$OUT" "reset: dropped"
    contains "$run: says how to re-apply the fixes" "$OUT" "--config .pgwarden/demo/pgwarden.conf migrate up"
    equals "$run: files written only where git ignores them" \
        "$(cd "$proj" && find . -path ./.pgwarden -prune -o -path ./docs -prune -o -type f -print | sort)" \
        "$(cd "$SRC/examples/fleet" && find . -path ./.pgwarden -prune -o -path ./docs -prune -o -type f -print | sort)"
    if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
        for f in .pgwarden/demo/pgwarden.conf docs/database-schema.json; do
            check "$run: $f is ignored by git" git -C "$SRC" check-ignore -q "examples/fleet/$f"
        done
    fi
    [ $run = first ] || continue
    # after the demo, the example's database is the README's: no "missing"
    cd "$proj" || exit 1
    expect_rc 0 "after the demo: local start" "$PGW" local start
    expect_rc 0 "after the demo: status --exit-code" "$PGW" migrate status --exit-code
    contains "after the demo: five applied" "$OUT" "5 migrations: 5 applied, 0 pending"
    lacks "after the demo: nothing missing" "$OUT" "missing"
    expect_rc 0 "after the demo: migrate up" "$PGW" migrate up
    equals "after the demo: migrate up warns of nothing" "$ERR" ""
    expect_rc 1 "after the demo: the planted problems are there" "$PGW" validate
    expect_rc 0 "the fixes apply again" "$PGW" --config .pgwarden/demo/pgwarden.conf migrate up
    contains "three of them" "$OUT" "applied 3 migrations in"
    expect_rc 0 "then validate finds no error" "$PGW" --config .pgwarden/demo/pgwarden.conf validate
    expect_rc 0 "stop" "$PGW" local stop
    cd "$SCRATCH" || exit 1
done
contains "second run starts from a fresh copy" "$OUT" "re-created the local database"
finish
