# lib.sh — helpers for the integration tests (sourced; bash).
#
# The harness (scripts/test.sh) provides:
#   PGW_TEST_URL   the shared private cluster (superuser, Unix socket)
#   PGW_TEST_WORK  a scratch folder every OS user can enter
#   PGW_SOURCE_DIR the source tree
# A test gets the pgwarden binary as $1.  It makes its own databases with
# fresh_db and its own clusters under its own scratch folder, and stops every
# cluster it starts (stop_clusters_on_exit does that on any exit).
set -u
PGW=${1:?usage: $0 PGWARDEN_BINARY}
SRC=${PGW_SOURCE_DIR:?run through scripts/test.sh (make test)}
TEST_NAME=$(basename "$0" .sh)
: "${PGW_TEST_WORK:?run through scripts/test.sh (make test)}"
SCRATCH="$PGW_TEST_WORK/$TEST_NAME"
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
chmod 755 "$SCRATCH"
unset DATABASE_URL PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD NO_COLOR
export LC_ALL=C.UTF-8

FAILS=0
CHECKS=0

fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}

# check DESCRIPTION COMMAND... — the command must succeed
check() {
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    if ! "$@"; then
        fail "$what"
    fi
}

# expect_rc RC DESCRIPTION COMMAND... — runs it, keeps stdout/stderr in
# $OUT / $ERR, and checks the exit code
expect_rc() {
    local want=$1 what=$2
    shift 2
    CHECKS=$((CHECKS + 1))
    OUT=$("$@" 2>"$SCRATCH/.stderr")
    RC=$?
    ERR=$(<"$SCRATCH/.stderr")
    if [ "$RC" != "$want" ]; then
        fail "$what: exit code $RC, expected $want"
        echo "  stdout: $OUT" >&2
        echo "  stderr: $ERR" >&2
        return 1
    fi
    return 0
}

# contains DESCRIPTION HAYSTACK NEEDLE
contains() {
    CHECKS=$((CHECKS + 1))
    case "$2" in
        *"$3"*) return 0 ;;
    esac
    fail "$1: expected to find '$3' in:"
    echo "$2" | sed 's/^/    /' >&2
    return 1
}

# lacks DESCRIPTION HAYSTACK NEEDLE
lacks() {
    CHECKS=$((CHECKS + 1))
    case "$2" in
        *"$3"*)
            fail "$1: found '$3' in:"
            echo "$2" | sed 's/^/    /' >&2
            return 1 ;;
    esac
    return 0
}

# equals DESCRIPTION GOT WANT
equals() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" != "$3" ]; then
        fail "$1: got '$2', expected '$3'"
        return 1
    fi
}

# sql URL QUERY — prints the unaligned result
sql() {
    psql "$1" -X -v ON_ERROR_STOP=1 -Atq -c "$2"
}

# fresh_db NAME — drops and creates database NAME in the shared cluster (it
# inherits the Supabase basics from template1) and prints its URL
fresh_db() {
    local name="t_${TEST_NAME}_$1"
    psql "$PGW_TEST_URL" -X -v ON_ERROR_STOP=1 -Atq -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$name\"" >/dev/null || return 1
    db_url "$name"
}

# db_url NAME — the URL of database NAME in the test cluster
# (no sed: the tests start thousands of processes, each costs)
db_url() { echo "${PGW_TEST_URL/@\/postgres\?/@/$1?}"; }

# table_counts URL — "schema.table=rows ..." for every ordinary table
# outside the system schemas, sorted: equal strings mean equal row counts
table_counts() {
    sql "$1" "SELECT string_agg(n.nspname || '.' || c.relname || '=' ||
        (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text, ' ' ORDER BY n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname !~ '^(pg_|information_schema$)'"
}

# dump_roundtrip WHAT URL FLAVOUR [SCHEMA OPTIONS...] — the round trip every
# fixture must survive: dump-schema of URL, loaded into an empty database of
# the same FLAVOUR (bare: template0; supabase: template1, which has the
# Supabase basics), gives the same `inspect --stable` snapshot and an empty
# `diff --owners`.  The schema options (-n ...) go to all three commands.
dump_roundtrip() {
    local what=$1 src=$2 flavour=$3 name dst tmpl=""
    shift 3
    name="rt_${TEST_NAME}_$(echo "$what" | tr -c 'a-z0-9\n' '_')"
    [ "$flavour" = bare ] && tmpl="TEMPLATE template0 ENCODING 'UTF8'"
    psql "$PGW_TEST_URL" -X -v ON_ERROR_STOP=1 -Atq -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$name\" $tmpl" >/dev/null ||
        { fail "$what: cannot make the database to reload into"; return 1; }
    dst=$(db_url "$name")
    expect_rc 0 "$what: dump-schema" "$PGW" --db "$src" dump-schema "$@" --out "$SCRATCH/$name.sql" || return 1
    CHECKS=$((CHECKS + 1))
    if ! psql "$dst" -X -q -v ON_ERROR_STOP=1 -o /dev/null -f "$SCRATCH/$name.sql" 2>"$SCRATCH/$name.err"; then
        fail "$what: the dump does not load into an empty $flavour database"
        grep -v 'WARNING\|HINT\|NOTICE' "$SCRATCH/$name.err" | head -5 >&2
        return 1
    fi
    "$PGW" -q --db "$src" inspect --stable "$@" --out "$SCRATCH/$name.src.json" >/dev/null &&
        "$PGW" -q --db "$dst" inspect --stable "$@" --out "$SCRATCH/$name.dst.json" >/dev/null ||
        { fail "$what: cannot inspect"; return 1; }
    CHECKS=$((CHECKS + 1))
    if ! cmp -s "$SCRATCH/$name.src.json" "$SCRATCH/$name.dst.json"; then
        fail "$what: dump → reload: the snapshots differ"
        diff -u "$SCRATCH/$name.src.json" "$SCRATCH/$name.dst.json" | head -40 >&2
    fi
    expect_rc 0 "$what: dump → reload: diff finds nothing" "$PGW" diff "$src" "$dst" "$@" --owners
    RT_URL=$dst
}

# Clusters made by this test, stopped on exit whatever happens.
CLUSTERS=()
stop_clusters() {
    local d
    for d in "${CLUSTERS[@]}"; do
        "$PGW" -q local stop --dir "$d" >/dev/null 2>&1
    done
}
trap stop_clusters EXIT

# server_pids DATADIR — pids of postmasters serving DATADIR
server_pids() {
    pgrep -f "postgres -D $1( |\$)" 2>/dev/null | while read -r pid; do
        local ppid
        ppid=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')
        grep -q postgres "/proc/$ppid/cmdline" 2>/dev/null || echo "$pid"
    done
}

# wait_until SECONDS COMMAND... — polls (bounded) until the command succeeds
wait_until() {
    local limit=$1 i
    shift
    for i in $(seq 1 $((limit * 10))); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

finish() {
    if [ "$FAILS" -gt 0 ]; then
        echo "$TEST_NAME: $FAILS of $CHECKS checks failed" >&2
        exit 1
    fi
    echo "$TEST_NAME: all $CHECKS checks passed"
    exit 0
}
