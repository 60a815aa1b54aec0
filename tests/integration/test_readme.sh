#!/bin/bash
# Every command in README.md runs as written.  The README is read at test
# time: each ```-block that shows `$ COMMAND` lines followed by their output
# is replayed, its commands in order, in a fresh copy of examples/fleet
# loaded (migrate up + seed) into a fresh database of the test cluster, with
# DATABASE_URL set to it and STAGING_URL to a second copy; `pgwarden` is the
# binary under test.  Per command:
#
#   - `$ cat FILE` with output writes that output to FILE (the README shows a
#     file, the commands after it use it); other shell commands (sed, echo,
#     ls) run as written;
#   - the exit code must be the one the README implies: the number of an
#     "(exit N)" line in its output; else 2 to 5 when the output shows a
#     "pgwarden ...: error:" line; else 0 or 1 (ran; 1: a check found
#     something, as validate's findings);
#   - the first line of the output must match the README's once numbers,
#     URLs and absolute paths are blanked and spaces collapsed.
#
# Commands that cannot run here are listed in SKIP below, each with why; a
# block whose first command is in EMPTY_DIR runs in an empty folder instead
# of the example, one in SETUP in an empty database brought to the state the
# README shows first.  A command added to the README runs as soon as it is there.
. "$(dirname "$0")/../lib.sh"

# command as written after "$ "  →  why it cannot run on the example here
declare -A SKIP=(
    ['pgwarden scan app/api lib/queries.ts lib/server components']="runs on tests/fixtures/scan-app, not the example project (tests/integration/test_scan.sh checks it)"
    ['pgwarden scan services/reports']="runs on tests/fixtures/scan-app, not the example project (tests/integration/test_scan.sh checks it)"
    ['pgwarden diff "$DATABASE_URL" sql:supabase/migrations']="shows the database after the staging diff of the block before was applied (a color column)"
    ['pgwarden diff "$DATABASE_URL" sql:supabase/migrations --unsafe --out sync.sql --rollback sync_rollback.sql']="the same later state"
    ['pgwarden diff compare']="shows drift made after the capture (the color column)"
    ['pgwarden health --long-query 2 --top 5']="shows a blocked query the README made in another session"
    ['pgwarden smart-migrate']="needs drafts the README does not show (20251014120000_vehicle_documents.sql)"
    ['sed -i '"'"'s/caption/alt_text/g'"'"' supabase/migrations/20251015090000_image_captions.sql']="the same drafts"
    ['pgwarden migrate up --safe']="the same drafts"
    ['PGWARDEN_FAULT=safe:diverge pgwarden migrate up --safe     # a test hook: the target changes between the checks and the apply']="the same drafts"
    ['pgwarden test-migration drafts/20251014120000_vehicle_documents.sql']="a draft the README does not show"
    ['pgwarden --json test-migration drafts/20251014120000_vehicle_documents.sql | jq -c .sandbox,.summary']="the same draft"
    ['pgwarden squash --yes']="takes two sandboxes more than the dry run before it, which shows the same proof"
    ['ls supabase/migrations']="lists what squash --yes left"
    ['pgwarden restore 20261204T035154Z_postgres --create fleet_copy']="names the backup the block made by its time stamp"
    ['pgwarden sync --db postgresql://postgres@127.0.0.1:54345/fleet_copy']="FROM is the local cluster, which this test does not start"
    ['pgwarden serve']="runs until Ctrl-C (tests/integration/test_serve.sh drives it)"
    ['pgwarden deploy']="deploys examples/field-service (test_deploy runs it), not the fleet example"
    ['pgwarden deploy --phase 1 --dry-run']="the same: field-service over a database holding part of it"
    ['pgwarden deploy --verify-only']="the same, after a manual change"
    ['pgwarden maintain']="needs the job_queue table and rule the README shows, which the example has not (test_maintain runs them)"
    ['pgwarden maintain --yes']="the same table and rule"
    ['pgwarden migrate up --targets targets.txt --canary eu-1 --jobs 8']="needs three databases and their variables (test_fleet runs 20)"
)
# commands that start a block in an empty folder (a new project)
EMPTY_DIR=("pgwarden init")
# the first command of a block  →  the state the README shows it in, made
# by a command run first in an empty database (instead of the loaded example)
declare -A SETUP=(
    ['pgwarden migrate status']="pgwarden -q migrate up --to 20250103090000"
)

tmpl=$(fresh_db tmpl) || { fail "cannot make a database"; finish; }
base="$SCRATCH/example"
cp -r "$SRC/examples/fleet" "$base" && rm -rf "$base/.pgwarden" "$base/docs"
(cd "$base" && "$PGW" -q migrate up --db "$tmpl" >/dev/null && "$PGW" -q migrate seed --db "$tmpl" >/dev/null) ||
    { fail "the example does not load"; finish; }
tmpl_name=t_${TEST_NAME}_tmpl

# copy_db NAME — a new database NAME made from the loaded example; its URL
copy_db() {
    local name="t_${TEST_NAME}_$1"
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 &&
        sql "$PGW_TEST_URL" "CREATE DATABASE \"$name\" TEMPLATE \"$tmpl_name\"" >/dev/null || return 1
    db_url "$name"
}

# `pgwarden` in the README's commands is the binary under test
mkdir -p "$SCRATCH/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$PGW" > "$SCRATCH/bin/pgwarden"
chmod +x "$SCRATCH/bin/pgwarden"

# first_line — the first non-blank line, numbers, URLs and paths blanked
norm() {
    sed -E -e 's#postgres(ql)?://[^ ]*#URL#g' -e 's#(^|[ (=:])/[^ ),:]*#\1PATH#g' -e 's/database [^ )]+/database DB/g' \
        -e 's/[0-9]+/N/g' -e 's/[[:space:]]+/ /g' -e 's/^ //; s/ $//' | sed -n '/./{p;q}'
}

# The blocks: "B LINE" starts one, "C LINE COMMAND" a command, "O TEXT" a line of output.
parsed="$SCRATCH/readme.parsed"
awk '/^```/ { inb = !inb; if (inb) print "B " NR; next }
     inb && /^\$ / { print "C " NR " " substr($0, 3); next }
     inb { print "O " $0 }' "$SRC/README.md" > "$parsed"

nblocks=0
ncmds=0
nskipped=0

# run_command LINE COMMAND OUTPUT — one command of a block, in the current folder
run_command() {
    local line=$1 cmd=$2 want=$3 got rc want_rc want_first got_first
    if [[ $cmd == "cat "* ]] && [ -n "$want" ]; then
        local file=${cmd#cat }
        mkdir -p "$(dirname "$file")" && printf '%s\n' "$want" > "$file"
        return
    fi
    ncmds=$((ncmds + 1))
    got=$(PATH="$SCRATCH/bin:$PATH" timeout 180 bash -c "$cmd" 2>&1 </dev/null)
    rc=$?
    if printf '%s\n' "$want" | grep -q '^(exit [0-9]*)$'; then
        want_rc=$(printf '%s\n' "$want" | sed -n 's/^(exit \([0-9]*\))$/\1/p' | head -1)
        equals "README:$line '$cmd': exit code" "$rc" "$want_rc" || echo "$got" | head -20 | sed 's/^/    /' >&2
    elif printf '%s\n' "$want" | grep -Eq '^pgwarden[a-z -]*: error:'; then
        CHECKS=$((CHECKS + 1))
        if [ "$rc" -lt 2 ] || [ "$rc" -gt 5 ]; then
            fail "README:$line '$cmd': exit code $rc, the README shows an error (2 to 5)"
            echo "$got" | head -20 | sed 's/^/    /' >&2
        fi
    else
        CHECKS=$((CHECKS + 1))
        if [ "$rc" -gt 1 ]; then
            fail "README:$line '$cmd': exit code $rc, the README shows it working (0 or 1)"
            echo "$got" | head -20 | sed 's/^/    /' >&2
        fi
    fi
    want_first=$(printf '%s\n' "$want" | norm)
    if [ -n "$want_first" ]; then
        got_first=$(printf '%s\n' "$got" | norm)
        equals "README:$line '$cmd': first line" "$got_first" "$want_first"
    fi
}

# run_block — replays the commands collected in cmds/lines/outs
run_block() {
    local i dir db first_cmd=${cmds[0]}
    local in_empty=false e
    for e in "${EMPTY_DIR[@]}"; do [ "$first_cmd" = "$e" ] && in_empty=true; done
    nblocks=$((nblocks + 1))
    dir="$SCRATCH/block${lines[0]}"
    rm -rf "$dir"
    if $in_empty; then mkdir -p "$dir"; else cp -r "$base" "$dir"; fi
    CLUSTERS+=("$dir/.pgwarden/local")
    if [ -n "${SETUP[$first_cmd]+x}" ]; then
        db=$(fresh_db "b${lines[0]}" 2>/dev/null) || { fail "README:${lines[0]}: cannot make a database"; return; }
    else
        db=$(copy_db "b${lines[0]}") || { fail "README:${lines[0]}: cannot make a database"; return; }
    fi
    export DATABASE_URL=$db
    if grep -q STAGING_URL <<<"${cmds[*]}"; then
        STAGING_URL=$(copy_db "s${lines[0]}") || { fail "cannot make the staging database"; return; }
        export STAGING_URL
    fi
    cd "$dir" || return
    if [ -n "${SETUP[$first_cmd]+x}" ]; then
        PATH="$SCRATCH/bin:$PATH" bash -c "${SETUP[$first_cmd]}" >/dev/null ||
            fail "README:${lines[0]}: setup '${SETUP[$first_cmd]}' failed"
    fi
    for i in "${!cmds[@]}"; do
        if [ -n "${SKIP[${cmds[$i]}]+x}" ]; then
            nskipped=$((nskipped + 1))
            echo "skipped README:${lines[$i]} '${cmds[$i]}': ${SKIP[${cmds[$i]}]}"
            continue
        fi
        run_command "${lines[$i]}" "${cmds[$i]}" "${outs[$i]}"
    done
    [ -d .pgwarden/local ] && "$PGW" -q local stop >/dev/null 2>&1
    cd "$SCRATCH" || exit 1
    unset DATABASE_URL STAGING_URL
    # the block's databases stay: the cluster goes whole after the run, and a
    # DROP DATABASE costs a checkpoint of everything the other tests wrote
}

cmds=() lines=() outs=()
flush() {
    [ ${#cmds[@]} -gt 0 ] && run_block
    cmds=() lines=() outs=()
}
exec 3< "$parsed"
while IFS= read -r rec <&3; do
    case $rec in
        "B "*) flush ;;
        "C "*)
            rest=${rec#C }
            lines+=("${rest%% *}")
            cmds+=("${rest#* }")
            outs+=("") ;;
        "O "*)
            n=$(( ${#outs[@]} - 1 ))
            if [ $n -ge 0 ]; then
                if [ -n "${outs[$n]}" ]; then outs[$n]+=$'\n'; fi
                outs[$n]+=${rec#O }
            fi ;;
    esac
done
flush
exec 3<&-

# `cd DIR && PATH/pgwarden ...` in the prose: DIR exists and PATH from there
# is the build's binary (the README once said build/pgwarden from examples/fleet)
while IFS= read -r span; do
    d=$(sed -E 's/^`cd ([^ `]+).*/\1/' <<<"$span")
    check "README: '$span': folder $d exists" test -d "$SRC/$d"
    p=$(grep -oE '&& *[^ `]*pgwarden( |`)' <<<"$span" | sed -E 's/^&& *//; s/[ `]$//')
    [ -n "$p" ] && [ "$p" != pgwarden ] &&
        equals "README: '$span': the binary" "$(realpath -m "$SRC/$d/$p")" "$(realpath -m "$SRC/build/pgwarden")"
done < <(grep -ohE '`cd [^`]*`' "$SRC/README.md" "$SRC/examples/fleet/README.md")

echo "README: $nblocks blocks, $ncmds commands run, $nskipped skipped"
CHECKS=$((CHECKS + 1))
[ "$ncmds" -ge 30 ] || fail "only $ncmds README commands ran: is the README's format still '\$ COMMAND' in \`\`\`-blocks?"
finish
