#!/bin/bash
# Nothing may be lost without a word: every fixture survives dump-schema →
# load into an empty database of the same flavour → identical `inspect
# --stable` snapshot and an empty diff (the inspect fixture, the Supabase
# fixture, the example project; test_validate runs it on its own; the
# doctor fixtures plant an INVALID index, which a dump creates valid).  The Supabase fixture owns objects outside its managed
# schema — a trigger on auth.users, publication membership, an event
# trigger, default privileges — and a function only `authenticated` may
# call, which stays so after dump → reload and after a diff-generated
# migration into a database whose defaults grant to anon.
. "$(dirname "$0")/../lib.sh"
cd "$SCRATCH" || exit 1

# --- the inspect fixture (no Supabase basics) ---------------------------------
fx=$(db_url t_roundtrip_fx)
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS t_roundtrip_fx WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE t_roundtrip_fx TEMPLATE template0 ENCODING 'UTF8'" >/dev/null
check "inspect fixture loads" psql "$fx" -X -q -v ON_ERROR_STOP=1 -f "$SRC/tests/cases/inspect/fixture/setup.sql"
dump_roundtrip "inspect fixture" "$fx" bare -n app -n 'Weird*' -n ctx

# --- the Supabase fixture -------------------------------------------------------
sb=$(fresh_db supabase)
# §3: a Supabase project's migration calls pgcrypto unqualified (the
# extensions schema is on the search path); it failed on the local flavour
check "the Supabase fixture loads (gen_random_bytes unqualified)" \
    psql "$sb" -X -q -v ON_ERROR_STOP=1 -o /dev/null -f "$SRC/tests/cases/roundtrip/supabase/setup.sql" 2>/dev/null
equals "extensions is on postgres' search path" "$(sql "$sb" "SHOW search_path")" '"$user", public, extensions'
equals "uuid_generate_v4() unqualified" "$(sql "$sb" "SELECT length(uuid_generate_v4()::text)")" "36"
equals "supabase_realtime exists" "$(sql "$sb" "SELECT count(*) FROM pg_publication WHERE pubname = 'supabase_realtime'")" "1"
equals "the API roles' statement timeouts" \
    "$(sql "$sb" "SELECT string_agg(rolname || '=' || array_to_string(rolconfig, ','), ' ' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('anon', 'authenticated')")" \
    "anon=statement_timeout=3s authenticated=statement_timeout=8s"

# §1: the snapshot has what lives outside public
"$PGW" -q --db "$sb" inspect --stable -n public --out sb.json >/dev/null
contains "snapshot: the trigger on auth.users" "$(cat sb.json)" '"function_name": "handle_new_user"'
contains "snapshot: publications" "$(cat sb.json)" '"publications": ['
contains "snapshot: a publication's table, columns and row filter" "$(cat sb.json)" \
    '{"schema": "public", "name": "messages", "columns": ["id", "author", "body"], "where": "(body <> '"''"'::text)"}'
contains "snapshot: event triggers" "$(cat sb.json)" '"event_triggers": ['
contains "snapshot: default privileges" "$(cat sb.json)" '"default_privileges": ['
expect_rc 0 "the snapshot loads and writes the same bytes" "$PGW" inspect --from sb.json --out sb-round.json
check "snapshot load → write is byte-identical" cmp -s sb.json sb-round.json

expect_rc 0 "dump-schema of the Supabase fixture" "$PGW" --db "$sb" dump-schema -n public --out sb-dump.sql
dump=$(cat sb-dump.sql)
contains "the dump has the trigger on auth.users" "$dump" "CREATE OR REPLACE TRIGGER on_auth_user_created AFTER INSERT ON auth.users"
contains "the dump adds the table to supabase_realtime" "$dump" "ALTER PUBLICATION supabase_realtime ADD TABLE public.messages;"
contains "the dump has the event trigger" "$dump" "CREATE EVENT TRIGGER app_log_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')"
contains "the dump has the default privileges" "$dump" \
    "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public REVOKE ALL ON FUNCTIONS FROM anon;"
contains "a created function's ACL is exact" "$dump" "REVOKE ALL ON ROUTINE public.my_display_name() FROM anon;"
dump_roundtrip "supabase fixture" "$sb" supabase -n public
reload=$RT_URL

# the reloaded database behaves: the sign-up trigger makes the profile
sql "$reload" "INSERT INTO auth.users (id, raw_user_meta_data) VALUES ('00000000-0000-0000-0000-000000000001', '{\"name\": \"Ada\"}')" >/dev/null
equals "reload: the auth.users trigger fires" \
    "$(sql "$reload" "SELECT display_name FROM public.profiles")" "Ada"

# §2: callable only by authenticated (and service_role, by the defaults)
callers() {
    sql "$1" "SELECT string_agg(r, ',' ORDER BY r) FROM unnest(ARRAY['anon', 'authenticated', 'service_role', 'public']) r
              WHERE CASE WHEN r = 'public' THEN EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) x
                  WHERE p.oid = 'public.my_display_name()'::regprocedure AND x.grantee = 0)
              ELSE has_function_privilege(r, 'public.my_display_name()', 'EXECUTE') END"
}
equals "source: only authenticated and service_role may call it" "$(callers "$sb")" "authenticated,service_role"
equals "dump → reload: still only them" "$(callers "$reload")" "authenticated,service_role"
equals "dump → reload: anon may not call the trigger function" \
    "$(sql "$reload" "SELECT has_function_privilege('anon', 'public.handle_new_user()', 'EXECUTE')")" "f"
equals "dump → reload: anon may not read profiles" \
    "$(sql "$reload" "SELECT has_table_privilege('anon', 'public.profiles', 'SELECT')")" "f"

# a diff-generated migration into a fresh Supabase database (its defaults
# grant EXECUTE to anon)
fresh=$(fresh_db fresh)
expect_rc 1 "diff fresh → fixture" "$PGW" diff "$fresh" "$sb" -n public --owners --out up.sql --rollback down.sql
contains "the diff creates the trigger on auth.users" "$OUT" "create trigger auth.users.on_auth_user_created"
contains "the diff adds to supabase_realtime" "$OUT" "add table publication supabase_realtime public.messages"
contains "the diff creates the event trigger" "$OUT" "create event trigger app_log_ddl"
contains "the diff changes default privileges" "$OUT" "default privileges for role postgres in schema public on FUNCTIONS"
check "the migration applies" psql "$fresh" -X -q -v ON_ERROR_STOP=1 -o /dev/null -f up.sql 2>/dev/null
equals "diff migration: only them" "$(callers "$fresh")" "authenticated,service_role"
expect_rc 0 "after the migration: no differences" "$PGW" diff "$fresh" "$sb" -n public --owners
check "the rollback applies" psql "$fresh" -X -q -v ON_ERROR_STOP=1 -o /dev/null -f down.sql 2>/dev/null
expect_rc 0 "rolled back = a fresh database" "$PGW" diff "$fresh" "$(fresh_db fresh2)" -n public --owners
equals "rolled back: the trigger on auth.users is gone" \
    "$(sql "$fresh" "SELECT count(*) FROM pg_trigger WHERE tgname = 'on_auth_user_created'")" "0"

# a diff that only changes what lives outside public says so (was "no changes")
other=$(fresh_db other)
sql "$other" "$(sed -n '/^CREATE TABLE public.profiles/,$p' "$SRC/tests/cases/roundtrip/supabase/setup.sql")" >/dev/null 2>&1
sql "$other" "DROP TRIGGER on_auth_user_created ON auth.users" >/dev/null
expect_rc 1 "diff sees a trigger on auth.users alone" "$PGW" diff "$other" "$sb" -n public
contains "…and names it" "$OUT" "create trigger auth.users.on_auth_user_created"

# --- the example project ---------------------------------------------------------
fleet=$(fresh_db fleet)
for f in "$SRC"/examples/fleet/supabase/migrations/*.sql; do
    case "$f" in *_rollback.sql) continue ;; esac
    psql "$fleet" -X -q -v ON_ERROR_STOP=1 -o /dev/null -f "$f" 2>/dev/null || fail "cannot load $f"
done
dump_roundtrip "example project" "$fleet" supabase -n public

for d in fx supabase fresh fresh2 other fleet; do
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS t_roundtrip_$d WITH (FORCE)" >/dev/null
done
for d in inspect_fixture supabase_fixture example_project; do
    sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS rt_roundtrip_$d WITH (FORCE)" >/dev/null
done
finish
