#!/bin/bash
# run-case.sh PGWARDEN CASE_DIR — one CLI case: runs pgwarden with the case's
# arguments in an empty folder with a clean environment, and compares stdout,
# stderr and the exit code with the expected ones exactly.
#
# Case folder:
#   args          one argument per line
#   env           optional: KEY=VALUE lines added to the environment
#   expected.out  expected stdout; a file holding just @DOCS:docs/X.md@ means
#                 "the first ```text block of that page" (the --help text)
#   expected.err  expected stderr
#   expected.rc   expected exit code
# In expected files, @CWD@ stands for the folder the case runs in.
set -u
bin=$1
case_dir=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

args=()
if [ -f "$case_dir/args" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        args+=("$line")
    done < "$case_dir/args"
fi
envs=(PATH="$PATH" HOME="$work" LC_ALL=C.UTF-8)
if [ -f "$case_dir/env" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        [ -n "$line" ] && envs+=("$line")
    done < "$case_dir/env"
fi

cd "$work" || exit 2
env -i "${envs[@]}" "$bin" "${args[@]}" >"$work/.out" 2>"$work/.err" </dev/null
rc=$?

expand() {
    local f=$1
    if grep -q '^@DOCS:' "$f"; then
        local page
        page=$(sed -n 's/^@DOCS:\(.*\)@$/\1/p' "$f")
        awk '/^```text$/ {on=1; next} on && /^```$/ {exit} on {print}' "$src/$page"
    else
        sed "s|@CWD@|$work|g" "$f"
    fi
}

status=0
if [ "$rc" != "$(cat "$case_dir/expected.rc")" ]; then
    echo "exit code: got $rc, expected $(cat "$case_dir/expected.rc")"
    status=1
fi
for stream in out err; do
    want="$case_dir/expected.$stream"
    [ -f "$want" ] || want=/dev/null
    if ! diff -u <(expand "$want") "$work/.$stream" >"$work/.diff"; then
        echo "std$stream differs (- expected, + got):"
        cat "$work/.diff"
        status=1
    fi
done
exit $status
