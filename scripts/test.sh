#!/bin/bash
# test.sh BUILD_DIR — runs every test through CTest against a private cluster.
#
# The cluster is a pgwarden sandbox (`pgwarden local sandbox --supabase`): a
# throwaway PostgreSQL whose server is a child of pgwarden and dies with it,
# so no server outlives the run, pass or fail.  Tests get its URL as
# PGW_TEST_URL and make their own databases in it; tests of `pgwarden local`
# make their own clusters under PGW_TEST_WORK, which is swept afterwards: a
# server still running there is stopped and fails the run.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build/pgwarden"
[ -x "$bin" ] || { echo "test.sh: error: $bin is not built" >&2; exit 2; }

# pgwarden-test.XXXXXX, world-enterable: when run as root the server runs
# as postgres, which must reach the clusters the tests make.  In /dev/shm when
# it is a tmpfs with room (PGW_TEST_TMP overrides): the run creates and drops
# over a thousand databases and sandboxes, hundreds of thousands of files, and
# on ext4 the server then spends most of its time in the kernel looking for a
# free inode that was not recently deleted (measured: the diff peer suite's
# server CPU 29 s -> 12 s, wall halved).  Peak use is a few GB.
base=${PGW_TEST_TMP:-}
if [ -z "$base" ]; then
    base=/tmp
    if [ -d /dev/shm ] && [ -w /dev/shm ] &&
        awk '$2 == "/dev/shm" && $3 == "tmpfs" && $4 !~ /(^|,)noexec(,|$)/ { ok = 1 } END { exit !ok }' /proc/mounts &&
        [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -ge $((12 * 1024 * 1024)) ]; then
        base=/dev/shm
    fi
fi
work=$(mktemp -d "$base/pgwarden-test.XXXXXX") || exit 2
chmod 755 "$work"
export PGW_TEST_WORK="$work"
export PGW_SOURCE_DIR="$root"
export TMPDIR="$work"

sweep() {
    local leaked=0 pid
    for pid in $(pgrep -f "^[^ ]*postgres -D $work" 2>/dev/null); do
        # only postmasters: their parent is not another postgres
        if ! grep -q postgres "/proc/$(ps -o ppid= -p "$pid" | tr -d ' ')/cmdline" 2>/dev/null; then
            echo "test.sh: error: a test left a server running (pid $pid): $(tr '\0' ' ' < /proc/$pid/cmdline)" >&2
            kill -INT "$pid" 2>/dev/null
            leaked=1
        fi
    done
    for _ in $(seq 1 100); do
        pgrep -f "postgres -D $work" >/dev/null 2>&1 || break
        sleep 0.1
    done
    pkill -KILL -f "postgres -D $work" 2>/dev/null
    rm -rf "$work"
    return $leaked
}
trap 'sweep; exit 130' INT TERM

# the tests call psql hundreds of times: the server's own binary, not
# Debian's /usr/bin/psql (pg_wrapper, a Perl script that costs more to start
# than the query it runs)
pgbin=$(pg_config --bindir 2>/dev/null)
[ -x "$pgbin/psql" ] || pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pgbin" ] && [ -x "$pgbin/psql" ] && export PATH="$pgbin:$PATH"

jobs=${PGW_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
"$bin" -q local sandbox --supabase -- bash -c '
    export PGW_TEST_URL="$DATABASE_URL"
    unset DATABASE_URL PGWARDEN_SANDBOX_URL
    ctest --test-dir "$0" --output-on-failure -j "$1" ${PGW_CTEST_ARGS:-}
' "$root/$build" "$jobs"
rc=$?
trap - INT TERM
sweep || rc=1
exit $rc
