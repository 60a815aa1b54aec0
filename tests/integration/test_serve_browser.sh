#!/bin/bash
# pgwarden serve in a real browser: headless Chromium loads every page with
# the token (the ?token= URL, then the cookie), the test reads the DOM it
# built (--dump-dom), with JavaScript on and off (the pages are rendered by
# the server, so they must be complete without it), and screenshots of the
# overview and findings pages are kept in the test's output folder
# (build/tests/test-output/test_serve_browser/, or $PGW_TEST_OUTPUT).
. "$(dirname "$0")/../lib.sh"

CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
    echo "test_serve_browser: SKIPPED: no chromium (scripts/install-deps.sh installs Debian's 'chromium')"
    exit 0
fi
OUTDIR="${PGW_TEST_OUTPUT:-$(pwd)/test-output}/$TEST_NAME"
mkdir -p "$OUTDIR"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
sql "$db" "CREATE TABLE invoices (id bigint PRIMARY KEY, tenant_id uuid, amount numeric);
           CREATE TABLE customers (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, name text);
           INSERT INTO invoices SELECT g, NULL, g FROM generate_series(1, 20) g;" >/dev/null
proj="$SCRATCH/proj"
mkdir -p "$proj/migrations"
cd "$proj" || exit 1
printf 'ALTER TABLE customers ADD COLUMN email text;\n-- pgwarden:down\nALTER TABLE customers DROP COLUMN email;\n' > migrations/1_email.sql

"$PGW" serve --db "$db" --port 0 --interval 1 >"$SCRATCH/serve.out" 2>"$SCRATCH/serve.err" &
SRV_PID=$!
trap 'kill $SRV_PID 2>/dev/null; wait $SRV_PID 2>/dev/null' EXIT
listening() { grep -q 'open: ' "$SCRATCH/serve.out"; }
check "server up" wait_until 30 listening
URL=$(sed -n 's/^pgwarden serve: listening on //p' "$SCRATCH/serve.out")
TOKEN=$(grep -o 'token=[0-9a-f]*' "$SCRATCH/serve.out" | cut -d= -f2)
sample() { grep -q '"up":true' .pgwarden/metrics.jsonl 2>/dev/null; }
check "a health sample exists" wait_until 20 sample

# browser ARGS... — headless Chromium, its own profile, as root too
browser() {
    timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --user-data-dir="$SCRATCH/profile" --window-size=1280,1000 "$@" 2>>"$SCRATCH/chromium.err"
}
# dom PAGE [ARGS] — the DOM after load, in $DOM
dom() {
    local page=$1
    shift
    DOM=$(browser "$@" --dump-dom "$URL${page#/}?token=$TOKEN")
    local name=${page#/}
    echo "$DOM" > "$OUTDIR/${name:-overview}${1:+-nojs}.html"
}

dom /
contains "overview: title" "$DOM" "<title>Overview — pgwarden</title>"
contains "overview: JavaScript ran" "$DOM" '<html lang="en" class="js">'
contains "overview: server version" "$DOM" '<div class="label">server version</div><div class="value">15'
contains "overview: pending migrations" "$DOM" '<div class="label">pending migrations</div><div class="value">1</div>'
contains "overview: findings by severity" "$DOM" 'id="sev-error"'
contains "overview: cache hit ratio" "$DOM" "cache hit ratio"
lacks "overview: no token in the page" "$DOM" "$TOKEN"

dom /findings
contains "findings: the RLS finding" "$DOM" 'data-rule="rls.disabled"'
contains "findings: the table" "$DOM" 'data-table="invoices"'
contains "findings: hints" "$DOM" 'class="hint"'
contains "findings: the fix" "$DOM" "pgwarden generate"
contains "findings: filter form" "$DOM" 'id="f-severity"'

dom /migrations
contains "migrations: the pending one" "$DOM" "1_email.sql"
contains "migrations: read-only note" "$DOM" "--allow-apply"

dom /health
contains "health: charts" "$DOM" '<figure class="chart" id="chart-connections">'
contains "health: TPS chart" "$DOM" 'id="chart-tps"'
contains "health: a drawn line" "$DOM" '<path fill="none" stroke="#2a6fdb"'
contains "health: report sections" "$DOM" "<h2>cache</h2>"

dom /schema
contains "schema: table" "$DOM" "public.customers"
contains "schema: columns" "$DOM" "<td>tenant_id</td>"
contains "schema: indexes" "$DOM" "customers_pkey"

dom /diagnostics
contains "diagnostics: copy button" "$DOM" "Copy as JSON for an AI assistant"
contains "diagnostics: the report" "$DOM" '"command": "doctor"'
contains "diagnostics: migrate status inside" "$DOM" '"command": "migrate status"'

# without JavaScript: this Chromium cannot dump or screenshot a page with
# scripts off (both need script), so the check is on what a browser without
# JavaScript gets — the server's HTML must already hold the content
html=$(curl -s -b "pgw_token=$TOKEN" "${URL}findings")
contains "no-JS findings: rows in the server's HTML" "$html" 'data-rule="rls.disabled"'
html=$(curl -s -b "pgw_token=$TOKEN" "${URL}")
contains "no-JS overview: cards in the server's HTML" "$html" '<div class="label">pending migrations</div><div class="value">1</div>'

# screenshots
rm -f "$OUTDIR/overview.png" "$OUTDIR/findings.png"
browser --screenshot="$OUTDIR/overview.png" "$URL?token=$TOKEN" >/dev/null
browser --screenshot="$OUTDIR/findings.png" "${URL}findings?token=$TOKEN" >/dev/null
for f in overview findings; do
    check "$f screenshot is a PNG" bash -c "head -c 8 '$OUTDIR/$f.png' | od -An -c | grep -q 'P   N   G'"
    size=$(stat -c %s "$OUTDIR/$f.png" 2>/dev/null || echo 0)
    check "$f screenshot is not empty ($size bytes)" test "$size" -gt 10000
done
echo "screenshots: $OUTDIR"

lacks "no secrets in the server's messages" "$(cat "$SCRATCH/serve.err")" "password="
finish
