#!/bin/bash
# run-lint-case.sh PGWARDEN CASE_DIR — one lint case: runs
#     pgwarden --no-color lint --fail-on info [args...] input.sql
# in the case folder and compares stdout and the exit code exactly with
# expected.out and expected.rc (and stderr with expected.err when present).
# args: optional, one argument per line.
set -u
bin=$1
case_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

args=()
if [ -f "$case_dir/args" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        args+=("$line")
    done < "$case_dir/args"
fi
cd "$case_dir" || exit 2
env -i PATH="$PATH" HOME="$work" LC_ALL=C.UTF-8 \
    "$bin" --no-color lint --fail-on info "${args[@]}" input.sql >"$work/out" 2>"$work/err" </dev/null
rc=$?
status=0
if [ "$rc" != "$(cat expected.rc)" ]; then
    echo "exit code: got $rc, expected $(cat expected.rc)"
    status=1
fi
if ! diff -u expected.out "$work/out"; then
    echo "stdout differs (- expected, + got)"
    status=1
fi
if [ -f expected.err ] && ! diff -u expected.err "$work/err"; then
    echo "stderr differs (- expected, + got)"
    status=1
fi
exit $status
