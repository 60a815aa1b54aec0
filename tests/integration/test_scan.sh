#!/bin/bash
# pgwarden scan on the fixture app (tests/fixtures/scan-app): every planted
# problem is reported and no look-alike is (the exact set of file/rule pairs
# in tests/fixtures/scan-app-expected.txt); the same output for any -j;
# inline ignores, config ignores and baselines; SARIF shape; and the
# .from('table') x RLS cross-check against a real database.
. "$(dirname "$0")/../lib.sh"

src="$(cd "$(dirname "$0")/../fixtures" && pwd)"
cd "$SCRATCH" || exit 1
cp -r "$src/scan-app" app
cd app || exit 1

expect_rc 1 "fixture has findings" "$PGW" --json scan
printf '%s' "$OUT" > ../scan.json
got=$(python3 -c '
import json,sys
d=json.load(open("../scan.json"))
print("\n".join(sorted({f["location"]["file"].removeprefix("./")+" "+f["rule"] for f in d["findings"]})))')
equals "exactly the planted findings" "$got" "$(cat "$src/scan-app-expected.txt")"
contains "inline ignore counted" "$OUT" '"ignored_inline": 1'
lacks "gitignored folder skipped" "$OUT" "vendor/"
lacks "build output skipped" "$OUT" "dist/"
lacks "test files are not reported" "$OUT" "__tests__"
lacks "stories are not reported" "$OUT" "UserCard.stories"
lacks "server-only file with the service key" "$OUT" "lib/supabase/admin.ts"
lacks "python tests are not reported" "$OUT" "test_main.py"
lacks "pytest fixtures are not reported" "$OUT" "conftest.py"
lacks "router-level auth dependency" "$OUT" "routers/projects.py"
lacks "a helper in another file checks the user" "$OUT" "app/api/files/route.ts"
lacks "words that only read like SQL" "$OUT" "messages.py"

# same result on one thread and on four
expect_rc 1 "one thread" "$PGW" --json scan -j 1
one=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["findings"]))')
expect_rc 1 "four threads" "$PGW" --json scan -j 4
four=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["findings"]))')
equals "output independent of -j" "$one" "$four"

# text output names file:line:col
expect_rc 1 "text" "$PGW" --no-color scan .
contains "route finding in text" "$OUT" "./app/api/invoices/route.ts:4:23: error: GET route handler reads or writes data but never checks the session or user [scan.route_without_auth]"

# a helper that checks the user guards the routes calling it when its file
# is scanned too; Python services (the README's example)
expect_rc 1 "helper scanned" "$PGW" --no-color scan app/api lib/server
lacks "route calling the helper" "$OUT" "app/api/files/route.ts"
expect_rc 1 "helper not scanned" "$PGW" --no-color scan app/api
contains "the same route without its helper" "$OUT" "app/api/files/route.ts:5:23: error: POST route handler"
expect_rc 1 "flask service" "$PGW" --no-color scan services/reports
contains "percent-formatted SQL" "$OUT" "services/reports/app.py:26:20: error: SQL is built from request data with '%' [scan.sql_injection]"
contains "flask route without login_required" "$OUT" "services/reports/app.py:45:5: error: export_reports route handler"
expect_rc 1 "fastapi CRUD router" "$PGW" --no-color scan services/api/routers/items.py
contains "a session dependency is data access" "$OUT" "read_item route handler reads or writes data"
contains "a User-named body is no guard" "$OUT" "change_owner route handler reads or writes data"
lacks "CurrentUser is a guard" "$OUT" "create_item"
contains "a users service is no guard" "$OUT" "delete_item route handler reads or writes data"

# the baseline accepts today's findings; a new one fails again
expect_rc 0 "baseline accepts all" "$PGW" --json scan --baseline ../scan.json
contains "baseline count" "$OUT" '"baseline": 42'
printf "const fakeUser = { id: 'x' }\nexport default fakeUser\n" > lib/newdemo.ts
expect_rc 0 "new warning below --fail-on" "$PGW" scan --baseline ../scan.json
expect_rc 1 "new warning at --fail-on warning" "$PGW" --no-color scan --baseline ../scan.json --fail-on warning
contains "only the new one" "$OUT" "lib/newdemo.ts:1:7: warning: fakeUser is defined in application code [scan.mock_user]"
lacks "old ones silenced" "$OUT" "invoices"
rm lib/newdemo.ts

# a pgwarden:ignore comment silences only its rule
printf "// pgwarden:ignore scan.exec_sql reviewed\nexport const f = (s: any) => s.rpc('exec_sql', { query: 'x' })\n" > lib/ign.ts
printf "// pgwarden:ignore scan.mock_user wrong rule\nexport const g = (s: any) => s.rpc('exec_sql', { query: 'x' })\n" > lib/ign2.ts
expect_rc 1 "ignore comments" "$PGW" --no-color scan lib/ign.ts lib/ign2.ts --fail-on warning
lacks "ignored" "$OUT" "lib/ign.ts:"
contains "other rule not ignored" "$OUT" "lib/ign2.ts:2:"
rm lib/ign.ts lib/ign2.ts

# SARIF 2.1.0 (validated against the schema in test_sarif_schema.sh)
expect_rc 1 "sarif" "$PGW" scan --sarif
printf '%s' "$OUT" > ../scan.sarif
check "sarif shape" python3 -c '
import json
d=json.load(open("../scan.sarif"))
assert d["version"]=="2.1.0", d["version"]
run=d["runs"][0]
ids={r["id"] for r in run["tool"]["driver"]["rules"]}
assert "scan.route_without_auth" in ids
assert len(run["results"])==42, len(run["results"])
for r in run["results"]:
    assert r["ruleId"] in ids
    loc=r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"]>=1
'

# bad input
expect_rc 4 "missing path" "$PGW" scan no/such/dir
contains "names the path" "$ERR" "no/such/dir"
expect_rc 4 "bad baseline" "$PGW" scan --baseline ../nope.json

# --rls: .from('table') on a table without RLS
db=$(fresh_db main) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE public.invoices (id int); CREATE TABLE public.projects (id int);
           ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;" || fail "schema"
expect_rc 1 "rls cross-check" "$PGW" --json scan --rls --db "$db"
contains "invoices without RLS" "$OUT" "queries public.invoices, which has no row-level security"
lacks "projects has RLS" "$OUT" "queries public.projects"
contains "rls checked" "$OUT" '"rls_checked": true'
expect_rc 1 "no cross-check unless asked" "$PGW" --json scan
lacks "no rls finding" "$OUT" "scan.from_without_rls"

finish
