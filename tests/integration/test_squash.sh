#!/bin/bash
# pgwarden squash: on the example project (its storage buckets and the
# policies it puts on storage.objects come along), with data statements
# kept in order, a dry run that writes nothing, --yes archiving the old
# files, the squashed file giving the same database as the originals, and
# a refusal when the data statements cannot run against the final schema.
. "$(dirname "$0")/../lib.sh"

rm -rf "$SCRATCH/fleet" && cp -r "$SRC/examples/fleet" "$SCRATCH/fleet" && rm -rf "$SCRATCH/fleet/docs"
cd "$SCRATCH/fleet" || exit 1
m=supabase/migrations
cat > $m/20250106090000_service_types.sql <<'SQL'
CREATE TABLE public.service_types (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO public.service_types (name) VALUES ('inspection'), ('oil change');
COPY public.service_types (name) FROM stdin;
tyres
brakes
\.
UPDATE public.service_types SET name = 'oil service' WHERE name = 'oil change';
SQL
echo "DROP TABLE public.service_types;" > $m/20250106090000_service_types_rollback.sql
before=$(ls $m | sort)

expect_rc 0 "dry run" "$PGW" --no-color squash
contains "proof" "$OUT" "identical schemas and row counts"
contains "data kept" "$OUT" "4 data statements kept in order"
equals "nothing written" "$(ls $m | sort)" "$before"

expect_rc 0 "json dry run has the SQL" "$PGW" --json squash --to 20250105090000
contains "five" "$OUT" '"migrations": 5'
contains "storage policies come along" "$OUT" 'vehicle_photos_tenant_read'
contains "bucket rows kept" "$OUT" "INSERT INTO storage.buckets"

expect_rc 0 "squash --yes" "$PGW" --no-color squash --yes
contains "written" "$OUT" "wrote $SCRATCH/fleet/$m/20250106090000_squashed.sql"
contains "repair commands" "$OUT" "pgwarden migrate repair 20250101090000 --reverted"
contains "checksum repair" "$OUT" "pgwarden migrate repair 20250106090000 --checksum"
equals "one migration left" "$(ls $m | grep -c '\.sql$')" "1"
equals "old files archived" "$(ls $m/archive/*/ | wc -l | tr -d ' ')" "12"

# the squashed file builds the same database as the originals
orig=$(fresh_db orig) && squashed=$(fresh_db squashed) || { fail "cannot make databases"; finish; }
mkdir -p "$SCRATCH/orig" && cp -r $m/archive/*/. "$SCRATCH/orig/"
printf '[project]\nmigrations_dir = %s\n' "$SCRATCH/orig" > "$SCRATCH/orig.conf"
check "originals apply" "$PGW" -q --config "$SCRATCH/orig.conf" migrate up --db "$orig"
check "squashed applies" "$PGW" -q migrate up --db "$squashed"
snap() { "$PGW" -q inspect --stable -N pgwarden -N supabase_migrations --out "$2" --db "$1" >/dev/null; }
check "snapshot of the originals" snap "$orig" "$SCRATCH/orig.json"
check "snapshot of the squashed" snap "$squashed" "$SCRATCH/squashed.json"
check "same schema" cmp -s "$SCRATCH/orig.json" "$SCRATCH/squashed.json"
rows="SELECT (SELECT count(*) FROM storage.buckets), (SELECT string_agg(name, ',' ORDER BY id) FROM public.service_types)"
equals "same rows" "$(sql "$squashed" "$rows")" "$(sql "$orig" "$rows")"
equals "rows in order" "$(sql "$squashed" "SELECT string_agg(name, ',' ORDER BY id) FROM public.service_types")" "inspection,oil service,tyres,brakes"

# refused: a data statement needs a column a later migration drops
mkdir -p "$SCRATCH/bad/migrations" && cd "$SCRATCH/bad" || exit 1
printf '[project]\nmigrations_dir = migrations\n' > pgwarden.conf
printf 'CREATE TABLE t (a int, b int);\nINSERT INTO t (a, b) VALUES (1, 2);\n' > migrations/1_t.sql
printf 'ALTER TABLE t DROP COLUMN b;\n' > migrations/2_drop.sql
expect_rc 1 "refused" "$PGW" --no-color squash --yes
contains "says why" "$OUT" "squash refused"
contains "the server's reason" "$ERR" 'column "b" of relation "t" does not exist'
equals "nothing moved" "$(ls migrations | sort | tr '\n' ' ')" "1_t.sql 2_drop.sql "
expect_rc 4 "nothing to squash" "$PGW" squash --to 1
expect_rc 2 "bad version" "$PGW" squash --to x1

finish
