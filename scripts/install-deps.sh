#!/bin/sh
# install-deps.sh — install the Debian packages pgwarden needs to build and test,
# and only those that are missing.  Safe to run again: with everything present it
# does nothing and prints nothing (unless -v).
#
# Usage: scripts/install-deps.sh [-v]
# Exit: 0 when every package is present afterwards; 1 when something is missing
# and could not be installed (the message says which and how).
set -u

verbose=0
[ "${1:-}" = "-v" ] && verbose=1

# Build: compiler driver glue and libraries.  Test: cmocka, pgbouncer (the
# transaction-pooler test of migrate).  Run: the PostgreSQL
# client tools (psql, pg_dump) next to the server binaries that must already be here.
packages="pkg-config libpq-dev libpg-query-dev libprotobuf-c-dev libjansson-dev
libssl-dev libcmocka-dev libinih-dev libmicrohttpd-dev postgresql-client-15 procps
pgbouncer libtree-sitter-dev"

missing=""
for p in $packages; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    [ $verbose -eq 1 ] && echo "install-deps: all packages present"
else

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: error: packages missing:$missing" >&2
    echo "hint: run as root: apt-get update && apt-get install -y$missing" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || {
    echo "install-deps: error: apt-get update failed" >&2
    exit 1
}
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "install-deps: error: apt-get install failed for:$missing" >&2
    echo "hint: run 'apt-get install$missing' by hand to see why" >&2
    exit 1
}
fi
# npm folders (after the Debian packages: npm-deps.sh may install node itself)
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/npm-deps.sh" "$here/src/scan/grammars" || exit 1
exit 0
