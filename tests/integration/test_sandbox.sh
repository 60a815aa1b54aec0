#!/bin/bash
# pgwarden local sandbox: a throwaway cluster that lives as long as its
# command, passes on the exit code, cleans up, and dies with pgwarden even
# when pgwarden is killed.
. "$(dirname "$0")/../lib.sh"

# a temporary folder of our own, so the harness's sandbox is not counted
export TMPDIR="$SCRATCH/tmp"
mkdir -p "$TMPDIR" && chmod 755 "$TMPDIR"

expect_rc 7 "exit code passed on" "$PGW" -q local sandbox -- sh -c 'psql "$DATABASE_URL" -XAtc "select 1" >/dev/null && exit 7'
expect_rc 0 "fsync off, supabase on" "$PGW" -q local sandbox --supabase -- sh -c \
    'psql "$DATABASE_URL" -XAtc "select current_setting(\$\$fsync\$\$) || count(*) from pg_roles where rolname = \$\$anon\$\$"'
equals "sandbox settings" "$OUT" "off1"
left=$(ls -d "$TMPDIR"/pgwarden-sandbox-* 2>/dev/null | wc -l)
equals "sandbox folders removed" "$left" 0

# the first sandbox kept a copy of its fresh data folder; later ones start
# from it, each a cluster of its own; a copy someone else could have written
# is not used (initdb runs) and is left as it was
copy=$(ls -d "$TMPDIR"/pgwarden-initdb-* 2>/dev/null)
equals "one copy of initdb's folder kept" "$(echo "$copy" | grep -c .)" 1
server_user=$(id -un); [ "$(id -u)" = 0 ] && server_user=postgres
equals "the copy belongs to the server user, mode 700" "$(stat -c '%U %a' "$copy" 2>/dev/null)" "$server_user 700"
expect_rc 0 "sandbox from the copy" "$PGW" -q local sandbox -- sh -c \
    'psql "$DATABASE_URL" -XAtc "create table t (a int)"'
expect_rc 0 "the next one starts empty" "$PGW" -q local sandbox -- sh -c \
    'psql "$DATABASE_URL" -XAtc "select count(*) from pg_class where relname = \$\$t\$\$"'
equals "nothing carried over" "$OUT" 0
chmod 755 "$copy"
expect_rc 0 "a copy others can enter is not used" "$PGW" -q local sandbox -- true
equals "and is left alone" "$(stat -c '%a' "$copy")" 755
equals "nor replaced by another" "$(ls -d "$TMPDIR"/pgwarden-initdb-* | wc -l)" 1
rm -rf "$copy"

# SIGKILL pgwarden: its postgres child must die too (PR_SET_PDEATHSIG)
"$PGW" -q local sandbox -- sleep 120 >/dev/null 2>&1 &
victim=$!
# postmaster.pid is created first and filled a moment later: wait for the pid
check "sandbox server appears" wait_until 60 bash -c "head -1 $TMPDIR/pgwarden-sandbox-$victim-*/data/postmaster.pid 2>/dev/null | grep -q '^[0-9]'"
pidfile=$(ls $TMPDIR/pgwarden-sandbox-$victim-*/data/postmaster.pid 2>/dev/null | head -1)
server=$(head -1 "$pidfile" 2>/dev/null)
check "server pid known" test -n "$server"
kill -KILL "$victim"
wait "$victim" 2>/dev/null
check "server died with pgwarden" wait_until 30 bash -c "! kill -0 $server 2>/dev/null || grep -q '^State:.*Z' /proc/$server/status"
pkill -f "^sleep 120$" 2>/dev/null

# the next sandbox sweeps the folder the killed one left
expect_rc 0 "next sandbox" "$PGW" -q local sandbox -- true
check "stale sandbox folder swept" bash -c "! ls -d $TMPDIR/pgwarden-sandbox-$victim-* >/dev/null 2>&1"

# SIGTERM to pgwarden alone: passed to the command, then cleanup
"$PGW" -q local sandbox -- sleep 120 >/dev/null 2>&1 &
victim=$!
check "second sandbox up" wait_until 60 bash -c "ls $TMPDIR/pgwarden-sandbox-$victim-*/data/postmaster.pid >/dev/null 2>&1"
kill -TERM "$victim"
wait "$victim"
rc=$?
equals "exit code after SIGTERM" "$rc" 143
check "folder removed after SIGTERM" bash -c "! ls -d $TMPDIR/pgwarden-sandbox-$victim-* >/dev/null 2>&1"
finish
