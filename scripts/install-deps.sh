#!/bin/sh
# install-deps.sh — install what pgwarden needs to build and test, and only
# what is missing: Debian packages first, then the npm folders (each with its
# own package.json and package-lock.json, installed by scripts/npm-deps.sh,
# which brings Node.js and npm from Debian when the machine has none).  Safe
# to run again: with everything present it does nothing and prints nothing
# (unless -v).
#
# Usage: scripts/install-deps.sh [-v]
# Exit: 0 when everything is present afterwards; 1 when something is missing
# and could not be installed (the message says which and how).
set -u

verbose=0
[ "${1:-}" = "-v" ] && verbose=1
root=$(cd "$(dirname "$0")/.." && pwd)

# Build: compiler driver glue and libraries (libmicrohttpd: serve;
# libtree-sitter: scan).  Test: cmocka, pgbouncer (the transaction-pooler
# test of migrate), curl and chromium (serve's API and browser tests),
# pg_cron (maintain --schedule's pg_cron jobs).  Run:
# the PostgreSQL client tools (psql, pg_dump) next to the server binaries
# that must already be here.
packages="pkg-config libpq-dev libpg-query-dev libprotobuf-c-dev libjansson-dev
libssl-dev libcmocka-dev libinih-dev libmicrohttpd-dev libtree-sitter-dev
postgresql-client-15 postgresql-15-cron procps pgbouncer curl chromium"

# npm folders: the grammars scan compiles (the build needs them), then what
# tests run: tsc and the Supabase type generator (gen types), the MCP SDK
# client (mcp), the SARIF 2.1.0 schema and its validator (lint, scan)
npm_dirs="src/scan/grammars tests/gen-types/node tests/agent tests/sarif"

install_debian() {
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
        return 0
    fi

    echo "install-deps: installing:$missing" >&2
    if [ "$(id -u)" -eq 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: error: packages missing:$missing" >&2
        echo "hint: run as root: apt-get update && apt-get install -y$missing" >&2
        return 1
    fi

    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >/dev/null || {
        echo "install-deps: error: apt-get update failed" >&2
        return 1
    }
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "install-deps: error: apt-get install failed for:$missing" >&2
        echo "hint: run 'apt-get install$missing' by hand to see why" >&2
        return 1
    }
}

install_debian || exit 1
for d in $npm_dirs; do
    if [ $verbose -eq 1 ]; then
        "$root/scripts/npm-deps.sh" -v "$root/$d" || exit 1
    else
        "$root/scripts/npm-deps.sh" "$root/$d" || exit 1
    fi
done
exit 0
