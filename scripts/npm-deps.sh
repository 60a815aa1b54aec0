#!/bin/sh
# npm-deps.sh DIR... — install the npm packages that DIR/package.json and
# DIR/package-lock.json pin into DIR/node_modules, for each DIR, only when they
# are missing or the lock file changed since the last install.  Node.js and
# npm come from Debian when the machine has none.  Safe to run again and in
# parallel (one install per DIR at a time, under flock).
#
# Each part of pgwarden that needs npm packages (a peer tool a test compares
# with, a compiler a test runs, grammars the build compiles) keeps its own
# small package.json + package-lock.json beside its code, and
# scripts/install-deps.sh lists the folders.
#
# Usage: scripts/npm-deps.sh [-v] DIR...
# Exit: 0 when every DIR is installed afterwards; 1 when something could not be
# installed (the message says which and how).
set -u

verbose=0
[ "${1:-}" = "-v" ] && { verbose=1; shift; }

if ! command -v npm >/dev/null 2>&1; then
    echo "npm-deps: installing: nodejs npm" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "npm-deps: error: npm is not installed" >&2
        echo "hint: run as root: apt-get update && apt-get install -y nodejs npm" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends nodejs npm; } >/dev/null || {
        echo "npm-deps: error: apt-get install nodejs npm failed" >&2
        exit 1
    }
fi

rc=0
for dir in "$@"; do
    if [ ! -f "$dir/package.json" ] || [ ! -f "$dir/package-lock.json" ]; then
        echo "npm-deps: error: '$dir' has no package.json and package-lock.json" >&2
        rc=1
        continue
    fi
    want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    stamp="$dir/node_modules/.pgwarden-lock-sha256"
    (
        flock 9
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
            [ $verbose -eq 1 ] && echo "npm-deps: $dir: up to date"
            exit 0
        fi
        echo "npm-deps: installing the packages of $dir" >&2
        log=$(mktemp)
        if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            echo "npm-deps: error: npm ci failed in '$dir'" >&2
            echo "hint: the npm registry must be reachable; run 'npm ci' in '$dir' by hand to see why" >&2
            exit 1
        fi
        rm -f "$log"
        echo "$want" >"$stamp"
    ) 9>"$dir/.npm-deps.lock" || rc=1
done
exit $rc
