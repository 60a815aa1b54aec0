#!/bin/bash
# `pgwarden gen types`: the generated TypeScript equals what the Supabase
# generator (postgres-meta, which `supabase gen types typescript` runs in
# Docker) emits for the example project and for a schema with every object
# kind and hostile names, compiles under `tsc --noEmit --strict` with a file
# that uses every table's Row, is deterministic, reads snapshots, and
# --check catches a stale file.  `--lang zod`: the zod schemas compile, have
# exactly the TypeScript types' shape (tsc), and parse (node + zod): a valid
# row is accepted, invalid ones rejected.
. "$(dirname "$0")/../lib.sh"

node_dir="$SRC/tests/gen-types/node"
peer="$node_dir/node_modules/@supabase/postgres-meta/dist/server/server.js"
tsc="$node_dir/node_modules/.bin/tsc"
zod="$node_dir/node_modules/zod/package.json"
if [ ! -x "$tsc" ] || [ ! -f "$peer" ] || [ ! -f "$zod" ]; then
    "$SRC/scripts/npm-deps.sh" "$node_dir" >&2 || true
fi
have_node=1
if ! command -v node >/dev/null 2>&1 || [ ! -x "$tsc" ] || [ ! -f "$peer" ] || [ ! -f "$zod" ]; then
    have_node=0
    echo "$TEST_NAME: SKIP the tsc and Supabase-generator checks: node or the npm packages of tests/gen-types/node are not installed (scripts/npm-deps.sh tests/gen-types/node failed)" >&2
fi

kinds=$(fresh_db kinds) || { fail "cannot make a database"; finish; }
check "kinds.sql loads" psql "$kinds" -X -q -v ON_ERROR_STOP=1 -f "$SRC/tests/gen-types/kinds.sql"
fleet=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
load_fleet() {
    local f
    for f in "$SRC"/examples/fleet/supabase/migrations/*.sql; do
        case "$f" in *_rollback.sql) continue ;; esac
        psql "$fleet" -X -q -v ON_ERROR_STOP=1 -f "$f" || return 1
    done
}
check "the example project loads" load_fleet

out="$SCRATCH/out"
mkdir -p "$out/kinds" "$out/fleet"
expect_rc 0 "gen types (kinds)" "$PGW" --db "$kinds" gen types --schema public --schema other --out "$out/kinds/database.ts"
expect_rc 0 "gen types (fleet)" "$PGW" --db "$fleet" gen types --out "$out/fleet/database.ts"
k="$out/kinds/database.ts"

# a few facts, spelled out (the peer comparison below covers the rest)
contains "identity ALWAYS: never on insert" "$(cat "$k")" "id?: never"
contains "enum in order" "$(cat "$k")" 'mood: "sad" | "ok" | "happy" | "very happy"'
contains "quoted key with a double quote" "$(cat "$k")" "'Weird \"Col\"': string | null"
contains "key with a space" "$(cat "$k")" '"with space"?: string | null'
contains "reserved word as a bare key" "$(cat "$k")" "select: number | null"
contains "table with a space" "$(cat "$k")" '"Odd Table": {'
contains "domain resolved to its base" "$(cat "$k")" "email: string | null"
contains "NOT NULL json" "$(cat "$k")" "raw: NonNullable<Json>"
contains "overloads as a union" "$(cat "$k")" "| {"
contains "default argument optional" "$(cat "$k")" "greeting?: string"
contains "setof scalar as an array" "$(cat "$k")" "Returns: number[]"
contains "one-to-one FK" "$(cat "$k")" "isOneToOne: true"
contains "Constants" "$(cat "$k")" 'status: ["on", "off"],'
lacks "trigger functions left out" "$(cat "$k")" "trg:"

# deterministic, and a snapshot gives the same file
"$PGW" --db "$kinds" gen types --schema public --schema other > "$SCRATCH/again.ts"
check "two runs are byte-identical" cmp -s "$k" "$SCRATCH/again.ts"
expect_rc 0 "inspect --stable" "$PGW" --db "$kinds" inspect --stable --schema public --schema other --out "$SCRATCH/snap.json"
"$PGW" gen types --from "$SCRATCH/snap.json" --schema public --schema other > "$SCRATCH/from.ts"
check "--from snapshot equals the live read" cmp -s "$k" "$SCRATCH/from.ts"

# the lean read takes columns in storage order and puts them in attnum
# order: renaming a composite's first attribute (and back) stores its row
# anew, after the others
check "rename street and back" psql "$kinds" -X -q -v ON_ERROR_STOP=1 \
    -c "ALTER TYPE public.address RENAME ATTRIBUTE street TO street_" \
    -c "ALTER TYPE public.address RENAME ATTRIBUTE street_ TO street"
equals "street is stored after the other attributes" \
    "$(sql "$kinds" "SELECT string_agg(attname, ',' ORDER BY ctid) FROM pg_attribute WHERE attrelid = 'public.address'::regclass AND attnum > 0")" \
    "zip,tags,m,street"
"$PGW" --db "$kinds" gen types --schema public --schema other > "$SCRATCH/moved.ts"
check "composite attributes in declared order whatever their storage order" cmp -s "$k" "$SCRATCH/moved.ts"
contains "the composite is in the file" "$(cat "$k")" "street: string | null
        zip: number | null"

# --check: up to date, stale (with a diff), missing
expect_rc 0 "--check up to date" "$PGW" --db "$kinds" gen types --schema public --schema other --check --out "$k"
sql "$kinds" "ALTER TABLE public.pairs ADD COLUMN extra_col integer" >/dev/null
r=$("$PGW" --db "$kinds" gen types --schema public --schema other --check --out "$k" 2>&1); rc=$?
equals "--check stale exits 1" "$rc" 1
contains "--check shows the new column" "$r" "+          extra_col: number | null"
j=$("$PGW" --db "$kinds" --json gen types --schema public --schema other --check --out "$k")
contains "--check --json says stale" "$j" '"up_to_date": false'
sql "$kinds" "ALTER TABLE public.pairs DROP COLUMN extra_col" >/dev/null
expect_rc 1 "--check missing file" "$PGW" --db "$kinds" gen types --check --out "$SCRATCH/none.ts"

# errors
expect_rc 4 "unknown schema" "$PGW" --db "$kinds" gen types --schema nosuch
expect_rc 2 "--check without --out" "$PGW" --db "$kinds" gen types --check
expect_rc 2 "unknown generator" "$PGW" --db "$kinds" gen classes
expect_rc 2 "unknown language" "$PGW" --db "$kinds" gen types --lang cobol
j=$("$PGW" --db "$fleet" --json gen types)
contains "--json document" "$j" '"command": "gen"'
contains "--json has the types" "$j" '"types": "export type Json'

# --lang zod: the same walk, zod schemas
z="$out/kinds/zod.ts"
expect_rc 0 "gen types --lang zod (kinds)" "$PGW" --db "$kinds" gen types --lang zod --schema public --schema other --out "$z"
contains "zod: imports zod" "$(cat "$z")" 'import { z } from "zod"'
contains "zod: enum column" "$(cat "$z")" 'mood: z.enum(["sad", "ok", "happy", "very happy"]),'
contains "zod: NOT NULL json" "$(cat "$z")" "raw: NonNullJson,"
contains "zod: nullable and optional on insert" "$(cat "$z")" "score: z.number().nullable().optional(),"
contains "zod: identity ALWAYS never on insert" "$(cat "$z")" "id: z.never().optional(),"
contains "zod: array" "$(cat "$z")" "tags: z.array(z.string()),"
contains "zod: quoted key" "$(cat "$z")" '"Odd Table": {'
"$PGW" gen types --lang zod --from "$SCRATCH/snap.json" --schema public --schema other > "$SCRATCH/from-zod.ts"
check "zod: --from snapshot equals the live read" cmp -s "$z" "$SCRATCH/from-zod.ts"
expect_rc 0 "zod: --check up to date" "$PGW" --db "$kinds" gen types --lang zod --schema public --schema other --check --out "$z"
r=$("$PGW" --db "$kinds" gen types --schema public --schema other --check --out "$z" 2>&1); rc=$?
equals "--check: the TypeScript types are not the zod file" "$rc" 1
j=$("$PGW" --db "$kinds" --json gen types --lang zod --schema public --schema other)
contains "zod: --json says the language" "$j" '"lang": "zod"'

# --strict-views: a view column that selects a NOT NULL column directly
"$PGW" --db "$kinds" gen types --strict-views > "$SCRATCH/strict.ts"
contains "--strict-views: people_names.name NOT NULL" "$(sed -n '/people_names: {/,/Relationships/p' "$SCRATCH/strict.ts")" "name: string
"
lacks "default stays nullable" "$(sed -n '/people_names: {/,/Relationships/p' "$k")" "          name: string
"

if [ "$have_node" = 1 ]; then
    # the Supabase generator: postgres-meta's typegen, as the CLI runs it
    # (node-postgres wants a host in the URL: the socket folder as ?host=)
    node_url() {
        local sock port
        sock=$(echo "$1" | sed -n 's/.*host=\([^&]*\).*/\1/p' | sed 's/%2F/\//g')
        port=$(echo "$1" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
        echo "$1" | sed "s|^postgresql://\([^@]*\)@/\([^?]*\)?.*|postgresql://\1@localhost:${port:-5432}/\2?host=$sock|"
    }
    supabase_types() {
        PG_META_DB_URL=$(node_url "$1") PG_META_GENERATE_TYPES=typescript \
            PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS=$2 \
            PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS=true \
            node "$peer" 2>"$SCRATCH/peer.err"
    }
    # whitespace, statement semicolons and trailing commas are prettier's
    # line-breaking choices; the tokens must be the same
    norm() { tr -d ' \n\t;' < "$1" | sed 's/,\([]}]\)/\1/g'; }
    supabase_types "$kinds" public,other > "$SCRATCH/peer-kinds.ts"
    check "the Supabase generator ran (kinds)" test -s "$SCRATCH/peer-kinds.ts"
    check "same types as the Supabase generator (kinds)" cmp -s <(norm "$SCRATCH/peer-kinds.ts") <(norm "$k")
    supabase_types "$fleet" public > "$SCRATCH/peer-fleet.ts"
    check "the Supabase generator ran (fleet)" test -s "$SCRATCH/peer-fleet.ts"
    check "same types as the Supabase generator (fleet)" cmp -s <(norm "$SCRATCH/peer-fleet.ts") <(norm "$out/fleet/database.ts")

    # tsc --strict on both files, with a use of every table's Row
    for d in kinds fleet; do
        url=$kinds; [ "$d" = fleet ] && url=$fleet
        {
            echo 'import type { Database, Tables, TablesInsert, TablesUpdate, Enums, Json } from "./database"'
            echo 'import { Constants } from "./database"'
            sql "$url" "SELECT format('export type %s = Database[%s][\"Tables\"][%s][\"Row\"]', 'T' || row_number() OVER (ORDER BY n.nspname, c.relname), to_json(n.nspname::text), to_json(c.relname::text))
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname IN ('public', 'other')"
            echo 'export type Any = Tables<keyof Database["public"]["Tables"]> | TablesInsert<keyof Database["public"]["Tables"]> | TablesUpdate<keyof Database["public"]["Tables"]> | Json'
            echo 'export const all = Constants'
        } > "$out/$d/use.ts"
    done
    echo 'export const m: Enums<"mood"> = "very happy"' >> "$out/kinds/use.ts"
    r=$("$tsc" --noEmit --strict "$out/kinds/use.ts" "$out/fleet/use.ts" 2>&1); rc=$?
    equals "tsc --noEmit --strict compiles the generated files${r:+: $r}" "$rc" 0
    # and tsc can fail: a wrong field is caught
    echo 'export const bad: Database["public"]["Tables"]["pairs"]["Row"] = { a: 1, b: 2, note: null, nope: 1 }' > "$out/kinds/bad.ts"
    expect_rc 2 "tsc rejects a wrong use" "$tsc" --noEmit --strict "$out/kinds/bad.ts"

    # zod: tests/gen-types/zod-use.ts holds the zod schemas' inferred types
    # against the TypeScript types (equal both ways, per table and part) and
    # parses rows.  One tsc run (zod's types are slow to check) compiles it
    # twice: against the generated schemas, and against a copy with one
    # nullable column made NOT NULL, which must be the only error — the
    # comparison can fail.  --skipLibCheck: zod's own .d.ts files are not
    # ours to check.
    zd="$out/zod"
    mkdir -p "$zd"
    ln -s "$node_dir/node_modules" "$zd/node_modules"
    cp "$z" "$zd/database.ts"
    cp "$k" "$zd/types.ts"
    cp "$SRC/tests/gen-types/zod-use.ts" "$zd/use.ts"
    sed 's/^          bio: z.string().nullable(),$/          bio: z.string(),/' "$z" > "$zd/bad.ts"
    sed 's#"./database"#"./bad"#' "$zd/use.ts" > "$zd/usebad.ts"
    check "zod: the bad copy differs" bash -c "! cmp -s '$zd/bad.ts' '$zd/database.ts'"
    r=$(cd "$zd" && "$tsc" --strict --skipLibCheck --module nodenext --outDir js database.ts types.ts use.ts bad.ts usebad.ts 2>&1)
    equals "zod: tsc --strict compiles the zod schemas, same shape as the types${r:+: $r}" "$(echo "$r" | grep -c -v '^usebad\.ts(')" 0
    contains "zod: tsc catches a column whose nullability differs" "$r" "usebad.ts("
    r=$(node "$zd/js/use.js" 2>&1); rc=$?
    equals "zod: node parses a valid row and rejects invalid ones${r:+: $r}" "$rc" 0
    contains "zod: every parse check ran" "$r" "zod checks passed: 10"
fi
finish
