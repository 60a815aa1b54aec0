#!/bin/bash
# pgwarden local: each failure is clear, has its exit code, and changes
# nothing it should not.
. "$(dirname "$0")/../lib.sh"

# no binaries
expect_rc 3 "no binaries" env PGWARDEN_PG_BINDIR="$SCRATCH/nobin" "$PGW" local start --dir "$SCRATCH/c0"
contains "no binaries message" "$ERR" "error: no PostgreSQL server binaries in '$SCRATCH/nobin'"
[ -e "$SCRATCH/c0/data" ] && fail "a data folder was made without binaries"

# a data folder from another major version
c1="$SCRATCH/c1"
CLUSTERS+=("$c1")
expect_rc 0 "make a cluster" "$PGW" local start --dir "$c1"
expect_rc 0 "stop it" "$PGW" local stop --dir "$c1"
echo 14 > "$c1/data/PG_VERSION"
expect_rc 3 "wrong major version" "$PGW" local start --dir "$c1"
contains "version message" "$ERR" "is from PostgreSQL 14, the binaries are 15"
contains "version hint" "$ERR" "hint: run 'pgwarden local reset --yes'"
equals "nothing started" "$(server_pids "$c1/data" | wc -l)" 0
echo 15 > "$c1/data/PG_VERSION"

# a server that dies while starting: the log's last lines are shown
echo "shared_buffers = 'lots'" >> "$c1/data/postgresql.conf"
expect_rc 3 "server dies during start" "$PGW" local start --dir "$c1"
contains "died message" "$ERR" "error: the server stopped while starting"
contains "log lines shown" "$ERR" "shared_buffers"
equals "no server left" "$(server_pids "$c1/data" | wc -l)" 0
sed -i "/shared_buffers = 'lots'/d" "$c1/data/postgresql.conf"
expect_rc 0 "starts again once fixed" "$PGW" local start --dir "$c1"
expect_rc 0 "stop" "$PGW" local stop --dir "$c1"

# a folder the server cannot use
if [ "$(id -u)" = 0 ]; then
    locked="$SCRATCH/locked"
    mkdir -p "$locked" && chmod 700 "$locked"
    expect_rc 3 "explicit --dir the server user cannot reach" "$PGW" local start --dir "$locked/db"
    contains "unreachable message" "$ERR" "error: user 'postgres' cannot use folder '$locked/db'"
    contains "unreachable hint" "$ERR" "hint: make the parents traversable"
    # the default folder moves instead, and says so
    mkdir -p "$locked/proj"
    CLUSTERS+=("$locked/proj/.pgwarden/local")
    expect_rc 0 "default folder relocates" bash -c "cd '$locked/proj' && '$PGW' local start"
    contains "relocation note" "$ERR" "the server user cannot reach the project folder"
    check "link left in place" test -L "$locked/proj/.pgwarden/local"
    expect_rc 0 "status through the link" bash -c "cd '$locked/proj' && '$PGW' local status"
    contains "running through the link" "$OUT" "local database: running"
    expect_rc 0 "reset through the link" bash -c "cd '$locked/proj' && '$PGW' local reset --yes"
    expect_rc 0 "stop through the link" bash -c "cd '$locked/proj' && '$PGW' local stop"
    real=$(readlink "$locked/proj/.pgwarden/local")
    equals "stopped" "$(server_pids "$real/data" | wc -l)" 0
    rm -rf "$real"
    # two starts at once on a new project (fleet's --safe targets share the
    # project's sandbox): the second waits for the first's lock, then must
    # follow the link the first made, not find it "in the way"
    mkdir -p "$locked/two"
    CLUSTERS+=("$locked/two/.pgwarden/local")
    (cd "$locked/two" && "$PGW" -q local start >/dev/null 2>"$SCRATCH/two-1.err"; echo $? >"$SCRATCH/two-1.rc") &
    (cd "$locked/two" && "$PGW" -q local start >/dev/null 2>"$SCRATCH/two-2.err"; echo $? >"$SCRATCH/two-2.rc") &
    wait
    equals "both starts succeed" "$(cat "$SCRATCH/two-1.rc" "$SCRATCH/two-2.rc" | tr '\n' ' ')$(cat "$SCRATCH/two-1.err" "$SCRATCH/two-2.err")" "0 0 "
    real=$(readlink "$locked/two/.pgwarden/local")
    equals "one server" "$(server_pids "$real/data" | wc -l)" 1
    expect_rc 0 "stop the two" bash -c "cd '$locked/two' && '$PGW' local stop"
    rm -rf "$real"
else
    ro="$SCRATCH/ro"
    mkdir -p "$ro" && chmod 500 "$ro"
    expect_rc 3 "folder not writable" "$PGW" local start --dir "$ro/db"
    contains "not writable message" "$ERR" "error: cannot write in folder '$ro': Permission denied"
    contains "not writable hint" "$ERR" "hint: fix the folder's permissions"
    chmod 700 "$ro"
fi

# a configured OS user that does not exist (root only: others run as themselves)
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$SCRATCH/nouser"
    printf '[local]\nuser = pgw_no_such_user\n' > "$SCRATCH/nouser/pgwarden.conf"
    expect_rc 3 "missing server user" bash -c "cd '$SCRATCH/nouser' && '$PGW' local start"
    contains "missing user message" "$ERR" "error: user 'pgw_no_such_user' does not exist"
fi
# the Supabase basics go in as one transaction: a failure at its very end
# (fault point supabase-setup) leaves none of it, and the next start adds it
c2="$SCRATCH/c2"
CLUSTERS+=("$c2")
expect_rc 3 "supabase setup fails" env PGWARDEN_FAULT=supabase-setup "$PGW" local start --dir "$c2" --supabase
contains "setup failure message" "$ERR" "error: cannot add the Supabase basics"
contains "setup failure detail" "$ERR" "fault injected at supabase-setup"
sock=$("$PGW" local url --socket --dir "$c2")
equals "no auth schema after the failure" "$(sql "$sock" "select count(*) from pg_namespace where nspname in ('auth', 'storage', 'extensions')")" 0
equals "no roles after the failure" "$(sql "$sock" "select count(*) from pg_roles where rolname in ('anon', 'authenticated', 'service_role')")" 0
equals "template1 untouched too" "$(sql "$(echo "$sock" | sed 's|@/postgres?|@/template1?|')" "select count(*) from pg_namespace where nspname = 'auth'")" 0
expect_rc 0 "next start adds the basics" "$PGW" local start --dir "$c2" --supabase
equals "basics there now" "$(sql "$sock" "select count(*) from pg_namespace where nspname in ('auth', 'storage', 'extensions')")" 3
expect_rc 0 "status shows the flavour" "$PGW" --json local status --dir "$c2"
contains "flavour recorded" "$OUT" '"supabase": true'
expect_rc 0 "stop" "$PGW" local stop --dir "$c2"
finish
