#!/bin/bash
# The SARIF logs pgwarden writes (lint --format sarif, scan --sarif) are valid
# against the SARIF 2.1.0 JSON schema — the published schema file from an npm
# package pinned in tests/sarif, checked by ajv, not a hand-written list of
# properties.  A log with a wrong level is refused, so the check can fail.
# Skips (says so, passes) when Node.js or the npm packages cannot be had.
. "$(dirname "$0")/../lib.sh"

dir="$SRC/tests/sarif"
if ! command -v node >/dev/null 2>&1 || [ ! -f "$dir/node_modules/ajv/package.json" ] ||
    [ ! -f "$dir/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json" ]; then
    if ! "$SRC/scripts/npm-deps.sh" "$dir" >&2 || ! command -v node >/dev/null 2>&1; then
        echo "$TEST_NAME: SKIP: node or the npm packages of tests/sarif cannot be installed here (scripts/npm-deps.sh tests/sarif)" >&2
        finish
    fi
fi
validate() { node "$dir/validate.js" "$@"; }
cd "$SCRATCH" || exit 1

# lint: every lint case (findings, suppressions, syntax errors) in one log
"$PGW" lint --format sarif "$SRC"/tests/cases/lint/*/*.sql > lint.sarif
check "lint wrote SARIF" test -s lint.sarif
check "lint's SARIF is valid" validate lint.sarif
# a clean run: no results
printf 'SELECT 1;\n' > clean.sql
"$PGW" lint --format sarif clean.sql > clean.sarif
check "lint's SARIF with no results is valid" validate clean.sarif

# scan: the fixture app (every rule that needs no database)
cp -r "$SRC/tests/fixtures/scan-app" app
(cd app && "$PGW" scan --sarif > ../scan.sarif)
check "scan's SARIF is valid" validate scan.sarif
expect_rc 0 "counts the results" validate scan.sarif
contains "all of them" "$OUT" "valid SARIF 2.1.0 (42 results)"

# the validator refuses what the schema refuses
python3 -c '
import json
d=json.load(open("scan.sarif"))
d["runs"][0]["results"][0]["level"]="critical"
json.dump(d,open("bad.sarif","w"))'
expect_rc 1 "a level outside the schema's enum is refused" validate bad.sarif
contains "names the property" "$OUT" "level"

finish
