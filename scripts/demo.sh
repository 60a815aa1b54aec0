#!/bin/bash
# demo.sh PGWARDEN [PROJECT] — the main job on the example project: start the embedded
# database with the Supabase flavour, apply examples/fleet's migrations and
# seed with pgwarden migrate, and run pgwarden's commands on it: inspect, then
# the loop validate → rls test → generate fix ALL → migrate up → validate →
# rls test → doctor --fix --yes.  The loop writes its fixes under
# .pgwarden/demo (ignored by git, never into the example's own migrations),
# and at the end `migrate reset` puts the example's database back to its own
# five migrations and seed — the state examples/fleet/README.md describes,
# with nothing "missing locally" — so the loop can be tried again by hand;
# the fixes stay to read and to re-apply (--config .pgwarden/demo/pgwarden.conf
# migrate up).  Run again, it starts from a fresh copy of the example.  The
# database is stopped at the end (no server is left running).
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
# PROJECT: a copy of examples/fleet elsewhere (the tests run the demo on one)
cd "${2:-$root/examples/fleet}" || exit 2

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { printf '$ pgwarden %s\n' "$*"; "$bin" "$@"; }

step "the embedded database (Supabase flavour)"
if "$bin" --json local status | grep -q '"exists": true'; then
    run local reset --yes || exit 1
else
    run local start --supabase || exit 1
fi

step "the example's migrations (examples/fleet/supabase/migrations)"
run migrate status || exit 1
run migrate up --dry-run
run migrate up || exit 1
run migrate seed || exit 1
"$bin" local psql -- -X -q -c ANALYZE || exit 1
run migrate status --exit-code || exit 1

step "the database pgwarden works on"
run target || exit 1
run local status || exit 1

step "the whole schema as a snapshot, with the planted problems as data (see examples/fleet/README.md)"
run inspect --exact || exit 1

# The loop writes migrations: into a copy of the project's migrations under
# .pgwarden/demo (never into the example itself), with a config that points
# at it and at the same local database.
demo=.pgwarden/demo
rm -rf "$demo" && mkdir -p "$demo" && cp -r "$(pwd)/supabase/migrations" "$demo/migrations" || exit 1
printf '[project]\nmigrations_dir = migrations\nexposed_schemas = public\ntenant_column = tenant_id\ntenant_setting = app.current_tenant_id\napp_role = authenticated\n[local]\ndir = ../local\nsupabase = true\n' > "$demo/pgwarden.conf"
loop() { printf '$ pgwarden --config %s %s\n' "$demo/pgwarden.conf" "$*"; "$bin" --config "$demo/pgwarden.conf" "$@"; }

step "validate: the planted tenant, RLS and foreign-key problems, each with its fix"
loop validate
[ $? = 1 ] || { echo "demo: validate should have found errors" >&2; exit 1; }

step "rls test: as the app role, can one tenant reach another's rows?"
loop rls test
[ $? = 1 ] || { echo "demo: rls test should have found leaks" >&2; exit 1; }

step "generate fix ALL: one migration for every fixable finding (in $demo/migrations)"
loop generate fix ALL || exit 1
loop lint --fail-on error "$demo"/migrations/*fix_all* >/dev/null || { echo "demo: generated SQL has lint errors" >&2; exit 1; }

step "apply the fix"
loop migrate up || exit 1

step "validate again: no error left"
loop validate || exit 1

step "rls test again: every table isolated"
loop rls test || exit 1

step "doctor --fix --yes: the index and security problems, fixed through the safe runner"
loop doctor --fix --yes --no-stats --rule index. --rule security. || exit 1

step "back to the example as its README describes: its own migrations and seed (the fixes stay in $demo/migrations)"
run migrate reset --yes || exit 1
run migrate status --exit-code || exit 1

step "done: stopping the example's database"
run local stop || exit 1
here=$(pwd)
echo "to look around: cd $here && $bin local start"
echo "to re-apply the demo's fixes there: $bin --config $demo/pgwarden.conf migrate up"
