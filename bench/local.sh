#!/bin/bash
# bench/local.sh [RUNS] — how fast the embedded database comes up, against
# what a user would otherwise type: initdb + pg_ctl.
#
#   sandbox      pgwarden local sandbox -- true        (first: initdb, start, stop,
#                remove; later: a copy of the first one's fresh folder instead of initdb)
#   peer         initdb --no-sync + pg_ctl start -w + pg_ctl stop + rm -rf
#   restart      pgwarden local stop + local start     (existing cluster)
#   peer         pg_ctl stop + pg_ctl start -w
#
# Prints the median of RUNS (default 5) for each and the ratios.  As root the
# peer commands run as postgres, as pgwarden does.
set -u
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
pgw="$root/build/pgwarden"
[ -x "$pgw" ] || { echo "build first: make build" >&2; exit 2; }
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/pgw-bench.XXXXXX)
chmod 755 "$work"
export TMPDIR="$work"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
cleanup() { "$pgw" -q local stop --dir "$work/c" >/dev/null 2>&1; as_pg "$bindir/pg_ctl -D $work/p/data stop -m fast" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
time_it() { local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || echo "bench: failed: $*" >&2; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }

peer_fresh() {
    mkdir -p "$work/p" && chmod 755 "$work/p"
    [ "$(id -u)" = 0 ] && chown postgres "$work/p"
    as_pg "$bindir/initdb -D $work/p/data -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null &&
           $bindir/pg_ctl -D $work/p/data -o '-c listen_addresses= -c unix_socket_directories=$work/p -c fsync=off' -w -l $work/p/log start >/dev/null &&
           $bindir/pg_ctl -D $work/p/data -m fast -w stop >/dev/null" && rm -rf "$work/p"
}

# the first sandbox runs initdb (and keeps a copy of its folder in TMPDIR);
# the others start from that copy
s1=$(time_it "$pgw" -q local sandbox -- true)
s=$(for i in $(seq "$runs"); do time_it "$pgw" -q local sandbox -- true; done | median)
p=$(for i in $(seq "$runs"); do time_it peer_fresh; done | median)

"$pgw" -q local start --dir "$work/c" >/dev/null
r=$(for i in $(seq "$runs"); do time_it sh -c "'$pgw' -q local stop --dir '$work/c' && '$pgw' -q local start --dir '$work/c'"; done | median)
mkdir -p "$work/p" && chmod 755 "$work/p"
[ "$(id -u)" = 0 ] && chown postgres "$work/p"
as_pg "$bindir/initdb -D $work/p/data -U postgres -A trust --no-sync >/dev/null"
as_pg "$bindir/pg_ctl -D $work/p/data -o '-c listen_addresses= -c unix_socket_directories=$work/p' -w -l $work/p/log start" >/dev/null
pr=$(for i in $(seq "$runs"); do time_it as_pg "$bindir/pg_ctl -D $work/p/data -m fast -w stop && $bindir/pg_ctl -D $work/p/data -o '-c listen_addresses= -c unix_socket_directories=$work/p' -w -l $work/p/log start"; done | median)

printf '%-44s %8.3f s\n' "pgwarden local sandbox, first (initdb)" "$s1"
printf '%-44s %8.3f s\n' "pgwarden local sandbox, later (copy)" "$s"
printf '%-44s %8.3f s\n' "initdb + pg_ctl start -w + stop (peer)" "$p"
printf '%-44s %8.2fx\n' "ratio (pgwarden / peer)" "$(ratio "$s" "$p")"
printf '%-44s %8.3f s\n' "pgwarden local stop + start" "$r"
printf '%-44s %8.3f s\n' "pg_ctl stop + start -w (peer)" "$pr"
printf '%-44s %8.2fx\n' "ratio (pgwarden / peer)" "$(ratio "$r" "$pr")"
