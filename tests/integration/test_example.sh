#!/bin/bash
# The example project loads on the Supabase flavour, its rollbacks undo it,
# and every planted problem documented in examples/fleet/README.md is there.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
mig="$SRC/examples/fleet/supabase/migrations"
load() {
    local f
    for f in "$mig"/*.sql; do
        case "$f" in *_rollback.sql) continue ;; esac
        psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$f" || return 1
    done
    psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$SRC/examples/fleet/supabase/seed.sql"
}
check "migrations and seed load" load

q() { sql "$db" "$1"; }
equals "12 tables" "$(q "select count(*) from pg_tables where schemaname = 'public'")" 12
equals "1: RLS off on vehicle_events" \
    "$(q "select string_agg(relname, ',') from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and not relrowsecurity")" \
    "vehicle_events"
equals "2: USING (true) policies" \
    "$(q "select string_agg(tablename || '.' || policyname, ',' order by tablename) from pg_policies where schemaname = 'public' and qual = 'true'")" \
    "capture_sessions.capture_sessions_all,conversation_messages.conversation_messages_all,photo_metadata.photo_metadata_read,vehicle_images.vehicle_images_read"
equals "3: photo_metadata has no tenant column" \
    "$(q "select count(*) from information_schema.columns where table_name = 'photo_metadata' and column_name = 'tenant_id'")" 0
equals "4: capture_session_id has no FK" \
    "$(q "select count(*) from pg_constraint where conrelid = 'public.event_photos'::regclass and contype = 'f' and conkey = array[(select attnum from pg_attribute where attrelid = 'public.event_photos'::regclass and attname = 'capture_session_id')]")" 0
equals "4: three orphans" \
    "$(q "select count(*) from event_photos p where not exists (select 1 from capture_sessions s where s.id = p.capture_session_id)")" 3
equals "5: NULL tenant ids" \
    "$(q "select (select count(*) from vehicle_images where tenant_id is null) || '/' || (select count(*) from conversation_messages where tenant_id is null)")" "3/2"
equals "vehicles complete" "$(q "select count(tenant_id) || '/' || count(*) from vehicles")" "22/22"
equals "6: FKs without a covering index" \
    "$(q "select string_agg(c.conrelid::regclass || '.' || a.attname, ',' order by c.conrelid::regclass::text, a.attname) from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1] where c.contype = 'f' and c.connamespace = 'public'::regnamespace and array_length(c.conkey, 1) = 1 and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])")" \
    "event_photos.event_id,vehicle_events.vehicle_id,vehicle_spec_enhancements.vehicle_id,vehicles.garage_id"
equals "7: public bucket with a private name" "$(q "select string_agg(id, ',') from storage.buckets where public and name ilike '%private%'")" "private-documents"
equals "8: bucket without size limit" "$(q "select string_agg(id, ',') from storage.buckets where file_size_limit is null")" "vehicle-photos"

# isolation that is right works: as Acme's user through the API role
equals "vehicles isolated by setting" \
    "$(psql "$db" -XAtq -c "begin; set local role authenticated; set local app.current_tenant_id = 'a0000000-0000-4000-8000-000000000001'; select count(*) from vehicles; rollback;")" 12
equals "garages isolated by membership" \
    "$(psql "$db" -XAtq -c "begin; set local role authenticated; set local request.jwt.claims = '{\"sub\": \"0b000000-0000-4000-8000-0000000000b1\"}'; select count(*) from garages; rollback;")" 2
equals "USING (true) leaks every tenant's messages" \
    "$(psql "$db" -XAtq -c "begin; set local role authenticated; set local request.jwt.claims = '{\"sub\": \"0b000000-0000-4000-8000-0000000000b1\"}'; select count(*) from conversation_messages; rollback;")" 9

# the rollbacks undo everything, newest first
q "delete from storage.objects" >/dev/null
for f in $(ls -r "$mig"/*_rollback.sql); do
    psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$f" || fail "rollback $(basename "$f")"
done
equals "public empty after rollbacks" "$(q "select count(*) from pg_class where relnamespace = 'public'::regnamespace")" 0
equals "buckets gone" "$(q "select count(*) from storage.buckets")" 0
finish
