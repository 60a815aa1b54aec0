#!/bin/bash
# run-case.sh PGWARDEN CASE_DIR — one diff case from tests/cases/diff/.
#
# A case folder holds old.sql (the starting schema) and new.sql (the wanted
# one), and optionally:
#   expect      "converge" (the default) or "empty-plan";
#   plan-has    lines that must each appear in the plan (fixed strings);
#   plan-lacks  lines that must not appear in it;
#   hazards     hazard names the summary must list (one a line).
# In the test cluster (PGW_TEST_URL): old.sql goes into one fresh database
# and new.sql into another; `pgwarden diff OLD NEW --unsafe -n '*'` is
# applied to OLD with psql (stopping at the first error); a second diff
# must find nothing and `inspect --stable` of both must be equal.  The
# databases are dropped on the way out (not under make test, whose cluster
# goes whole).
set -u
bin=$1
dir=$2
name=$(basename "$dir")
: "${PGW_TEST_URL:?run through scripts/test.sh (make test)}"
unset DATABASE_URL PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD
work=$(mktemp -d)
db() { echo "t_diffcase_${name//-/_}_$1"; }
url() { local d; d=$(db "$1"); echo "${PGW_TEST_URL/@\/postgres\?/@/$d?}"; }
q() { PGOPTIONS="-c client_min_messages=warning" psql "$PGW_TEST_URL" -X -q -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }
cleanup() {
    # under make test the cluster goes whole afterwards: a DROP DATABASE costs
    # a checkpoint of everything the other tests wrote
    if [ -z "${PGW_TEST_WORK:-}" ]; then
        q "DROP DATABASE IF EXISTS $(db o) WITH (FORCE)"
        q "DROP DATABASE IF EXISTS $(db n) WITH (FORCE)"
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; status=1; }

status=0
expect=converge
[ -f "$dir/expect" ] && expect=$(head -1 "$dir/expect")
for x in o n; do
    PGOPTIONS="-c client_min_messages=warning" psql "$PGW_TEST_URL" -X -q -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS $(db $x) WITH (FORCE)" -c "CREATE DATABASE $(db $x) TEMPLATE template0" >/dev/null || exit 2
done
psql "$(url o)" -X -q -v ON_ERROR_STOP=1 -f "$dir/old.sql" >"$work/load" 2>&1 || { cat "$work/load"; exit 2; }
psql "$(url n)" -X -q -v ON_ERROR_STOP=1 -f "$dir/new.sql" >"$work/load" 2>&1 || { cat "$work/load"; exit 2; }

"$bin" diff "$(url o)" "$(url n)" --unsafe -n '*' --out "$work/plan.sql" >"$work/out" 2>"$work/err"
rc=$?
echo "--- plan (exit $rc)"
grep -v '^--' "$work/plan.sql" 2>/dev/null | grep -v '^$'
if [ "$expect" = empty-plan ]; then
    [ $rc = 0 ] || fail "the plan is not empty"
    exit $status
fi
[ $rc = 1 ] || { fail "diff exit $rc, expected 1 (changes)"; cat "$work/err"; exit 1; }
if [ -f "$dir/plan-has" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [ -z "$line" ] || grep -qF -- "$line" "$work/plan.sql" || fail "the plan lacks: $line"
    done < "$dir/plan-has"
fi
if [ -f "$dir/plan-lacks" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [ -z "$line" ] || ! grep -qF -- "$line" "$work/plan.sql" || fail "the plan has: $line"
    done < "$dir/plan-lacks"
fi
if [ -f "$dir/hazards" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [ -z "$line" ] || grep -qw -- "$line" "$work/out" || fail "the summary does not list hazard $line"
    done < "$dir/hazards"
fi
if ! psql "$(url o)" -X -q -v ON_ERROR_STOP=1 -f "$work/plan.sql" >"$work/apply" 2>&1; then
    fail "the plan does not apply: $(grep -m1 ERROR "$work/apply")"
    exit 1
fi
"$bin" diff "$(url o)" "$(url n)" -n '*' --out "$work/again.sql" >/dev/null 2>"$work/err2"
rc=$?
[ $rc = 0 ] || { fail "a second diff is not empty (exit $rc):"; grep -v '^--' "$work/again.sql" | grep -v '^$'; cat "$work/err2"; }
"$bin" -q --db "$(url o)" inspect --stable -n '*' --out "$work/old.json" >/dev/null 2>&1 &&
    "$bin" -q --db "$(url n)" inspect --stable -n '*' --out "$work/new.json" >/dev/null 2>&1 ||
    fail "inspect failed"
diff -u "$work/new.json" "$work/old.json" >"$work/snap" || { fail "the snapshots differ (- wanted, + got):"; head -40 "$work/snap"; }
exit $status
