#!/bin/bash
# pgwarden mcp through the official MCP TypeScript SDK (tests/agent/): the
# client test lists the tools, calls every read-only tool on the example
# database and checks each result against its outputSchema, resources,
# prompts, progress and cancellation; then the scripted agent repairs the
# example through MCP calls only until validate is clean and rls test
# passes, and the CLI confirms it.
. "$(dirname "$0")/../lib.sh"

agent="$SRC/tests/agent"
if ! command -v node >/dev/null 2>&1 || [ ! -d "$agent/node_modules/@modelcontextprotocol/sdk" ]; then
    if ! "$SRC/scripts/npm-deps.sh" "$agent" >&2; then
        echo "SKIP: node or the MCP SDK cannot be installed here (scripts/npm-deps.sh tests/agent)" >&2
        finish
    fi
fi

db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
proj="$SCRATCH/fleet"
cp -r "$SRC/examples/fleet" "$proj" && rm -rf "$proj/.pgwarden" "$proj/docs"
export DATABASE_URL="$db"
(cd "$proj" && "$PGW" -q migrate up >/dev/null && "$PGW" -q migrate seed >/dev/null &&
    "$PGW" -q diff capture >/dev/null) || { fail "the example does not load"; finish; }

check "client: every read-only tool through the SDK" node "$agent/client.mjs" "$PGW" "$proj"
contains "calls logged" "$(cat "$proj/.pgwarden/mcp.log")" '"tool":"validate"'

before=$(ls "$proj/supabase/migrations" | wc -l)
check "agent: repairs the example through MCP only" node "$agent/agent.mjs" "$PGW" "$proj"
after=$(ls "$proj/supabase/migrations" | wc -l)
[ "$after" -gt "$before" ] || fail "the agent wrote no migration ($before files before, $after after)"
# the CLI agrees: clean, isolated, everything applied
cd "$proj" || exit 1
expect_rc 0 "validate clean" "$PGW" -q validate
expect_rc 0 "rls test isolated" "$PGW" -q rls test
expect_rc 0 "nothing pending" "$PGW" -q migrate status --exit-code
contains "applies logged" "$(cat "$proj/.pgwarden/mcp.log")" '"tool":"migrate_up_safe"'
finish
