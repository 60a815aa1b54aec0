#!/bin/bash
# every-command.sh PGWARDEN — every command listed by `pgwarden --help`
# answers -h, --help and `help CMD` with its usage (exit 0), and refuses an
# unknown option with exit 2, a usage line and a hint; --help --json gives
# the same help as data.  New commands are
# covered as soon as they are listed.
set -u
bin=$1
fails=0
count=0
cmds=$("$bin" --help | awk '/^Commands:/ {on=1; next} on && /^$/ {exit} on {print $1}')
[ -n "$cmds" ] || { echo "no commands found in --help"; exit 1; }
for c in $cmds; do
    for form in "$c -h" "$c --help" "help $c"; do
        count=$((count + 1))
        out=$($bin $form 2>&1 </dev/null)
        rc=$?
        if [ $rc -ne 0 ] || ! printf '%s\n' "$out" | head -1 | grep -q "^usage: pgwarden $c"; then
            echo "FAIL: 'pgwarden $form' (exit $rc): $(printf '%s' "$out" | head -2)"
            fails=$((fails + 1))
        fi
    done
    # the same help as data: `CMD --help --json`, `help CMD --json`
    for form in "$c --help --json" "--json help $c"; do
        count=$((count + 1))
        if ! $bin $form </dev/null | jq -e --arg c "$c" \
            '.command == "help" and .ok and .name == $c and (.usage | length) > 0 and (.help | startswith("usage: pgwarden " + $c))' >/dev/null; then
            echo "FAIL: 'pgwarden $form' does not give $c's help as JSON"
            fails=$((fails + 1))
        fi
    done
    count=$((count + 1))
    err=$($bin "$c" --no-such-option 2>&1 >/dev/null </dev/null)
    rc=$?
    if [ $rc -ne 2 ] || ! printf '%s\n' "$err" | grep -q "error: unknown option '--no-such-option'" ||
        ! printf '%s\n' "$err" | grep -q '^usage: ' || ! printf '%s\n' "$err" | grep -q '^hint: '; then
        echo "FAIL: 'pgwarden $c --no-such-option' (exit $rc): $err"
        fails=$((fails + 1))
    fi
done
# --help --json lists the same commands as --help, with their flags
count=$((count + 1))
if [ "$($bin --help --json | jq -r '.commands[].name')" != "$cmds" ] ||
    ! $bin --json help | jq -e '[.commands[] | select(.name == "init")][0] | .needs_db == false and .writes == true' >/dev/null; then
    echo "FAIL: 'pgwarden --help --json' does not list the commands of --help"
    fails=$((fails + 1))
fi
echo "every-command: $((count - fails)) passed, $fails failed"
[ $fails -eq 0 ]
