#!/bin/bash
# pgwarden storage: list/info/audit on a fixture covering every storage.*
# rule with two traps that must stay quiet; the role probe on policies
# written three ways that mean the same; orphans and cleanup (dry run
# changes nothing, --yes removes exactly the orphans, an interrupted run
# loses nothing referenced and a rerun finishes); create (+ --apply) with
# a name that needs quoting; bad input.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db main) || { fail "cannot make a database"; finish; }
check "fixture loads" psql "$db" -X -q -v ON_ERROR_STOP=1 -f "$SRC/tests/integration/storage/fixture.sql"
proj="$SCRATCH/proj"
mkdir -p "$proj/migrations" && cd "$proj" || exit 1

# list
expect_rc 0 "list" "$PGW" --no-color storage list --db "$db"
contains "list: public bucket with limit and mime" "$OUT" "public-assets  public  5.0 MB    image/png,image/jpeg       1 700 bytes  -"
contains "list: photos counts and bytes" "$OUT" "photos         private 2.0 MB    image/png                  5     94 kB  photos owner"
contains "list: totals" "$OUT" "7 buckets, 6 objects"
expect_rc 0 "list --json" "$PGW" --json storage list --db "$db"
equals "list json: photos bytes" "$(echo "$OUT" | jq '.buckets[] | select(.id == "photos") | .bytes')" 96000
equals "list json: policies of uploads" "$(echo "$OUT" | jq -c '.buckets[] | select(.id == "uploads") | .policies')" '["uploads insert","uploads read","uploads update"]'
equals "list json: summary" "$(echo "$OUT" | jq -S -c '.summary')" '{"buckets":7,"bytes":96700,"objects":6}'

# audit: exactly the planted findings
before=$(table_counts "$db")
expect_rc 1 "audit: findings exit 1" "$PGW" --json storage audit --db "$db"
got=$(echo "$OUT" | jq -r '.findings[] | "\(.rule) \(.object.name)"' | sort)
want=$(printf '%s\n' \
    "storage.anon_write dropbox" \
    "storage.cross_user_read uploads" \
    "storage.cross_user_write uploads" \
    "storage.no_size_limit user-documents" \
    "storage.orphaned_objects photos" \
    "storage.public_listable gallery" \
    "storage.public_no_mime user-documents" \
    "storage.public_private_name user-documents" \
    "storage.weak_policy dropbox anon insert" \
    "storage.weak_policy uploads insert" \
    "storage.weak_policy uploads update" | sort)
equals "audit: exactly the planted findings" "$got" "$want"
lacks "trap: public-assets quiet" "$got" "public-assets"
lacks "trap: private-files quiet" "$got" "private-files"
equals "audit: orphan finding counts" "$(echo "$OUT" | jq -r '.findings[] | select(.rule == "storage.orphaned_objects") | .message')" \
    "2 objects of bucket 'photos' referenced by no row (90000 bytes)"
equals "audit: fix for the private name" "$(echo "$OUT" | jq -r '.findings[] | select(.rule == "storage.public_private_name") | .fix.sql')" \
    "UPDATE storage.buckets SET public = false WHERE id = 'user-documents';"
equals "audit: every finding has a hint" "$(echo "$OUT" | jq '[.findings[] | select(.hint == null)] | length')" 0
equals "audit: probe left nothing" "$(table_counts "$db")" "$before"
expect_rc 0 "audit of the traps alone" "$PGW" --no-color storage audit public-assets private-files --db "$db"
contains "traps: no finding" "$OUT" "2 buckets audited: 0 findings (0 errors)"
expect_rc 1 "audit one bucket, text" "$PGW" --no-color storage audit user-documents --db "$db"
contains "text: the issue's example" "$OUT" "error storage.public_private_name: public bucket 'user-documents' has a private-sounding name (\"document\")"
expect_rc 0 "--private-words replaces the list" "$PGW" --json storage audit user-documents --private-words secret --fail-on error --db "$db"
equals "no private-name finding" "$(echo "$OUT" | jq '[.findings[] | select(.rule == "storage.public_private_name")] | length')" 0

# the fix SQL works and its rollback restores
fix=$("$PGW" --json storage audit user-documents --db "$db" | jq -r '.findings[] | select(.rule == "storage.public_private_name") | .fix.sql')
check "fix applies" sql "$db" "$fix"
expect_rc 0 "after the fix: no private-name finding" "$PGW" --json storage audit user-documents --fail-on error --db "$db"
sql "$db" "UPDATE storage.buckets SET public = true WHERE id = 'user-documents'" >/dev/null

# info: detail and who can do what, probed
expect_rc 0 "info" "$PGW" --no-color storage info photos --db "$db"
contains "info: largest first" "$OUT" "    49 kB  tmp/upload.png"
contains "info: folders" "$OUT" "u4                        1 objects     39 kB"
contains "info: policy" "$OUT" "photos owner (ALL) USING ((bucket_id = 'photos'::text) AND (auth.uid() = owner))"
contains "info: anon nothing" "$OUT" "anon           no      no      no      no"
contains "info: authenticated own only" "$OUT" "authenticated  no      yes     no      no"
contains "info: service_role all" "$OUT" "service_role   yes     yes     yes     yes"
expect_rc 0 "info gallery --json" "$PGW" --json storage info gallery --db "$db"
equals "anon lists gallery" "$(echo "$OUT" | jq -c '.bucket.access.anon')" '{"select":"yes","insert":"no","update":"no","delete":"no"}'
equals "info: rows unchanged" "$(table_counts "$db")" "$before"

# the role probe: three spellings of "owner only" give the same answer
db3=$(fresh_db three) || fail "cannot make a database"
sql "$db3" "INSERT INTO storage.buckets (id, name, file_size_limit, allowed_mime_types) VALUES
    ('w1', 'w1', 1000, '{text/plain}'), ('w2', 'w2', 1000, '{text/plain}'), ('w3', 'w3', 1000, '{text/plain}');
  CREATE POLICY w1 ON storage.objects FOR ALL TO authenticated
    USING (bucket_id = 'w1' AND owner_id = auth.uid()::text);
  CREATE POLICY w2 ON storage.objects FOR ALL TO authenticated
    USING ('w2' = bucket_id AND auth.uid() = owner);
  CREATE POLICY w3a ON storage.objects FOR ALL TO authenticated
    USING (bucket_id IN ('w3', 'nothing') AND (storage.foldername(name))[1] = (SELECT auth.uid()::text));" >/dev/null
for b in w1 w2 w3; do
    expect_rc 0 "probe $b" "$PGW" --json storage info $b --db "$db3"
    equals "probe $b: same meaning, same access" "$(echo "$OUT" | jq -c '.bucket.access')" \
        '{"anon":{"select":"no","insert":"no","update":"no","delete":"no"},"authenticated":{"select":"no","insert":"yes","update":"no","delete":"no"},"service_role":{"select":"yes","insert":"yes","update":"yes","delete":"yes"}}'
done
expect_rc 0 "three ways: no finding" "$PGW" --json storage audit --db "$db3"
equals "three ways: quiet" "$(echo "$OUT" | jq '.summary.findings')" 0

# weak policies, RLS off, objects of a dropped bucket
dbw=$(fresh_db weak) || fail "cannot make a database"
sql "$dbw" "INSERT INTO storage.buckets (id, name, file_size_limit) VALUES ('b', 'b', 100);
  CREATE POLICY \"everyone reads\" ON storage.objects FOR SELECT TO public USING (true);
  ALTER TABLE storage.objects DISABLE ROW LEVEL SECURITY;
  ALTER TABLE storage.objects DROP CONSTRAINT IF EXISTS objects_bucket_id_fkey;
  INSERT INTO storage.objects (bucket_id, name, metadata) VALUES ('gone', 'x.txt', '{\"size\": 12}');" >/dev/null
expect_rc 1 "weak audit" "$PGW" --json storage audit --db "$dbw"
got=$(echo "$OUT" | jq -r '.findings[] | "\(.rule) \(.object.name)"' | sort | tr '\n' ';')
equals "weak: findings" "$got" "storage.anon_read b;storage.anon_write b;storage.cross_user_read b;storage.cross_user_write b;storage.missing_bucket objects;storage.rls_disabled objects;storage.weak_policy everyone reads;"
equals "weak: USING (true) named" "$(echo "$OUT" | jq -r '.findings[] | select(.rule == "storage.weak_policy") | .message')" \
    "policy 'everyone reads' (SELECT) on storage.objects restricts neither by bucket nor by owner: USING (true)"
fix=$(echo "$OUT" | jq -r '.findings[] | select(.rule == "storage.rls_disabled") | .fix.sql')
check "rls fix applies" sql "$dbw" "$fix"
equals "rls on" "$(sql "$dbw" "select relrowsecurity from pg_class where oid = 'storage.objects'::regclass")" t
fix=$(echo "$OUT" | jq -r '.findings[] | select(.rule == "storage.weak_policy") | .fix.sql')
undo=$(echo "$OUT" | jq -r '.findings[] | select(.rule == "storage.weak_policy") | .fix.undo // empty')
check "policy fix applies" sql "$dbw" "$fix"
expect_rc 1 "after the policy fix" "$PGW" --json storage audit --db "$dbw"
lacks "policy fixed" "$(echo "$OUT" | jq -r '.findings[].rule')" "storage.weak_policy"

# audit --fix: one migration with the fixes, applied safely, rolled back
dbf=$(fresh_db fix) || fail "cannot make a database"
sql "$dbf" "INSERT INTO storage.buckets (id, name, public, allowed_mime_types) VALUES ('secret-stuff', 'secret-stuff', true, '{text/plain}');
  CREATE POLICY \"stuff write\" ON storage.objects FOR UPDATE TO authenticated USING (bucket_id = 'secret-stuff');" >/dev/null
expect_rc 1 "audit --fix" "$PGW" --json storage audit --fix --db "$dbf"
equals "fix: three fixed" "$(echo "$OUT" | jq '.fix.fixed')" 3
check "fix: file written" test -f "$proj/$(echo "$OUT" | jq -r '.fix.file')"
equals "fix: not applied" "$(sql "$dbf" "select public from storage.buckets")" t
expect_rc 0 "fix applies safely" "$PGW" -q migrate up --safe --db "$dbf"
equals "fix: private, limited" "$(sql "$dbf" "select public || ' ' || file_size_limit from storage.buckets")" "false 52428800"
expect_rc 0 "after the fix: clean" "$PGW" --json storage audit --db "$dbf"
expect_rc 0 "fix rolls back" "$PGW" -q migrate down --db "$dbf"
equals "rolled back: public again" "$(sql "$dbf" "select public || ' ' || coalesce(file_size_limit::text, 'none') from storage.buckets")" "true none"
equals "rolled back: policy as it was" "$(sql "$dbf" "select pg_get_expr(polqual, polrelid) from pg_policy where polname = 'stuff write'")" "(bucket_id = 'secret-stuff'::text)"
rm -f "$proj"/migrations/*

# orphans: found from the schema, and given
db2=$(fresh_db clean) || fail "cannot make a database"
check "fixture loads (clean)" psql "$db2" -X -q -v ON_ERROR_STOP=1 -f "$SRC/tests/integration/storage/fixture.sql"
expect_rc 0 "orphans" "$PGW" --no-color storage orphans photos --db "$db2"
contains "orphans: reference found" "$OUT" "references: public.profiles.avatar_path (found from the schema)"
contains "orphans: count" "$OUT" "2 orphaned objects in bucket photos (88 kB)"
contains "orphans: listed" "$OUT" "tmp/upload.png"
expect_rc 0 "orphans --ref --json" "$PGW" --json storage orphans photos --ref profiles.avatar_path --db "$db2"
equals "orphans json" "$(echo "$OUT" | jq -c '[.summary.orphans, .summary.bytes, [.objects[].name]]')" '[2,90000,["tmp/upload.png","u4/old.png"]]'
expect_rc 4 "bad --ref" "$PGW" storage orphans photos --ref profiles.nope --db "$db2"
contains "bad --ref: said" "$ERR" "no column 'nope' in table 'public.profiles'"
expect_rc 4 "no reference at all" "$PGW" storage orphans public-assets --db "$db2"
contains "no reference: hint" "$ERR" "--ref TABLE.COLUMN"

# cleanup: dry run changes nothing
sql "$db2" "INSERT INTO storage.objects (bucket_id, name, metadata) SELECT 'photos', 'junk/' || g || '.png', '{\"size\": 10}' FROM generate_series(1, 5) g" >/dev/null
before=$(table_counts "$db2")
"$PGW" -q --db "$db2" inspect --stable --out "$SCRATCH/before.json" >/dev/null
expect_rc 0 "cleanup dry run" "$PGW" --no-color storage cleanup photos --db "$db2"
contains "dry run: what" "$OUT" "7 orphaned objects in bucket photos (88 kB) would be removed"
contains "dry run: says so" "$OUT" "dry run: nothing deleted"
equals "dry run: rows unchanged" "$(table_counts "$db2")" "$before"
"$PGW" -q --db "$db2" inspect --stable --out "$SCRATCH/after.json" >/dev/null
check "dry run: schema unchanged" cmp "$SCRATCH/before.json" "$SCRATCH/after.json"
equals "dry run: nothing saved" "$(ls "$proj"/.pgwarden/storage-cleanup-*.json 2>/dev/null | wc -l)" 0

# interrupted after the first batch: that batch stays done, nothing referenced lost
PGWARDEN_FAULT=storage-cleanup-after-batch expect_rc 3 "cleanup interrupted" "$PGW" storage cleanup photos --yes --batch 3 --db "$db2"
contains "interrupted: says how far" "$ERR" "3 object rows deleted before the failure"
equals "interrupted: 3 gone" "$(sql "$db2" "select count(*) from storage.objects where bucket_id = 'photos'")" 7
equals "interrupted: referenced kept" "$(sql "$db2" "select string_agg(name, ',' order by name) from storage.objects where name in ('u1/a.png','u2/b.png','u3/c.png')")" "u1/a.png,u2/b.png,u3/c.png"
saved=$(ls "$proj"/.pgwarden/storage-cleanup-*.json | head -1)
check "metadata saved" test -f "$saved"
equals "saved 0600" "$(stat -c %a "$saved")" 600
equals "saved: the 7 orphans" "$(jq '.objects | length' "$saved")" 7
# referenced meanwhile: kept by the rerun
sql "$db2" "INSERT INTO public.profiles VALUES (9, 'photos/u4/old.png', NULL)" >/dev/null
sleep 1
expect_rc 0 "cleanup rerun" "$PGW" --json storage cleanup photos --yes --db "$db2"
equals "rerun: deleted the rest" "$(echo "$OUT" | jq '.summary.deleted')" 3
contains "rerun: what remains" "$(echo "$OUT" | jq -r '.remaining')" "Storage API"
equals "exactly the referenced remain" "$(sql "$db2" "select string_agg(name, ',' order by name) from storage.objects where bucket_id = 'photos'")" "u1/a.png,u2/b.png,u3/c.png,u4/old.png"
equals "other buckets untouched" "$(sql "$db2" "select count(*) from storage.objects where bucket_id <> 'photos'")" 1
expect_rc 0 "nothing left" "$PGW" --json storage cleanup photos --db "$db2"
equals "nothing left: 0" "$(echo "$OUT" | jq '.summary.orphans')" 0

# create: a migration, a name that needs quoting, --apply
dbc=$(fresh_db create) || fail "cannot make a database"
odd='team "x" files'
expect_rc 0 "create writes a migration" "$PGW" --json storage create "$odd" --size-limit 10MB --mime image/png,image/jpeg --policy owner --db "$dbc"
up=$(echo "$OUT" | jq -r '.migration.file')
check "migration file" test -f "$proj/$up"
check "rollback file" test -f "$proj/$(echo "$OUT" | jq -r '.migration.rollback')"
equals "nothing applied yet" "$(sql "$dbc" "select count(*) from storage.buckets")" 0
contains "quoted policy name" "$(cat "$proj/$up")" 'CREATE POLICY "team ""x"" files: read own"'
expect_rc 0 "apply" "$PGW" -q migrate up --safe --db "$dbc"
equals "bucket created" "$(sql "$dbc" "select name || ' ' || public || ' ' || file_size_limit || ' ' || array_to_string(allowed_mime_types, ',') from storage.buckets")" 'team "x" files false 10485760 image/png,image/jpeg'
expect_rc 0 "created bucket: no finding" "$PGW" --json storage audit "$odd" --fail-on warning --db "$dbc"
expect_rc 0 "created bucket: owner-scoped" "$PGW" --json storage info "$odd" --db "$dbc"
equals "created: authenticated own only" "$(echo "$OUT" | jq -c '.bucket.access.authenticated')" '{"select":"no","insert":"yes","update":"no","delete":"no"}'
expect_rc 4 "create an existing bucket" "$PGW" storage create "$odd" --db "$dbc"
contains "exists: said" "$ERR" "already exists"
expect_rc 0 "rollback" "$PGW" -q migrate down --db "$dbc"
equals "rolled back" "$(sql "$dbc" "select count(*) from storage.buckets")" 0
equals "policies gone" "$(sql "$dbc" "select count(*) from pg_policy where polrelid = 'storage.objects'::regclass")" 0
expect_rc 0 "create --apply" "$PGW" --json storage create media --public --size-limit 5MB --mime image/png --policy public-read --apply --db "$dbc"
equals "applied" "$(echo "$OUT" | jq '.summary.applied')" true
equals "media exists, public" "$(sql "$dbc" "select public from storage.buckets where id = 'media'")" t

# suppression through the config's ignore list
printf '[project]\nignore = storage.public_listable\n' > "$proj/pgwarden.conf"
expect_rc 0 "suppressed" "$PGW" --json storage audit gallery --fail-on warning --db "$db"
equals "suppressed: counted, not listed" "$(echo "$OUT" | jq -c '[.summary.suppressed, (.findings | length)]')" '[1,0]'
rm -f "$proj/pgwarden.conf"

# bad input
expect_rc 4 "unknown bucket" "$PGW" storage info nope --db "$db"
contains "unknown bucket: said" "$ERR" "pgwarden storage info: error: no bucket 'nope'"
expect_rc 2 "info without a name" "$PGW" storage info --db "$db"
sql "$PGW_TEST_URL" "DROP DATABASE IF EXISTS t_test_storage_plain WITH (FORCE)" >/dev/null
sql "$PGW_TEST_URL" "CREATE DATABASE t_test_storage_plain TEMPLATE template0" >/dev/null
expect_rc 3 "plain PostgreSQL" "$PGW" storage list --db "$(db_url t_test_storage_plain)"
contains "plain: not a Supabase database" "$ERR" "not a Supabase database"
expect_rc 3 "plain PostgreSQL, json" "$PGW" --json storage audit --db "$(db_url t_test_storage_plain)"
equals "plain json: error" "$(echo "$OUT" | jq -r '.ok')" false

finish
