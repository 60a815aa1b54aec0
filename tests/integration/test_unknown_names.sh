#!/bin/bash
# A table or column name the user got wrong, wherever a command takes one
# (generate's TABLE, COL..., --column and --backfill-from, validate --table,
# rls test --table): exit 2, the tables or the table's columns listed, the
# nearest suggested, nothing written.
. "$(dirname "$0")/../lib.sh"

db=$(fresh_db fleet) || { fail "cannot make a database"; finish; }
proj="$SCRATCH/fleet"
cp -r "$SRC/examples/fleet" "$proj" && rm -rf "$proj/.pgwarden" "$proj/docs"
cd "$proj" || exit 1
mig=supabase/migrations
check "example loads" "$PGW" -q migrate up --db "$db"
check "example seeded" "$PGW" -q migrate seed --db "$db"
tables="detail: the tables of the managed schemas: capture_sessions, conversation_messages, event_photos, garages, photo_metadata, profiles, tenants, user_tenants, vehicle_events, vehicle_images, vehicle_spec_enhancements, vehicles"

# tables
expect_rc 2 "generate: misspelt table" "$PGW" generate fix-rls-policy vehicle --db "$db"
contains "says so" "$ERR" "error: table 'vehicle' does not exist"
contains "lists the tables" "$ERR" "$tables"
contains "the nearest" "$ERR" "hint: did you mean 'vehicles'?"
expect_rc 2 "generate: schema.table misspelt" "$PGW" generate fix-rls-policy public.vehicle --db "$db"
contains "the nearest, as given" "$ERR" "hint: did you mean 'vehicles'?"
expect_rc 2 "generate: nothing near" "$PGW" generate fix-rls-policy zzzzzzzz --db "$db"
contains "no guess" "$ERR" "hint: name one of these tables, or schema.table"
expect_rc 2 "--backfill-from misspelt" "$PGW" generate add-tenant-isolation photo_metadata --backfill-from event_photo --db "$db"
contains "the nearest parent" "$ERR" "hint: did you mean 'event_photos'?"
expect_rc 2 "validate --table misspelt" "$PGW" validate --table vehicle --db "$db"
contains "the nearest" "$ERR" "hint: did you mean 'vehicles'?"
expect_rc 2 "rls test --table misspelt" "$PGW" rls test --table garage --db "$db"
contains "lists the tables" "$ERR" "$tables"
contains "the nearest" "$ERR" "hint: did you mean 'garages'?"

# columns
expect_rc 2 "add-composite-index, a column not there" "$PGW" generate add-composite-index vehicles tenant_id nosuchcol --db "$db"
contains "names the column" "$ERR" "error: table 'vehicles' has no column 'nosuchcol'"
contains "lists the columns" "$ERR" "detail: its columns: id, tenant_id, garage_id, vin, make, model, year, mileage_km, created_at"
contains "no guess" "$ERR" "hint: name one of its columns"
expect_rc 2 "add-composite-index misspelt" "$PGW" generate add-composite-index vehicles tenantid --db "$db"
contains "the nearest column" "$ERR" "hint: did you mean 'tenant_id'?"
expect_rc 2 "add-foreign-key --column misspelt" "$PGW" generate add-foreign-key vehicles garages --column garage --db "$db"
contains "the nearest column" "$ERR" "hint: did you mean 'garage_id'?"
expect_rc 2 "add-foreign-key --column misspelt, no REF" "$PGW" --json generate add-foreign-key vehicles --column garageid --db "$db"
equals "JSON: the hint" "$(echo "$OUT" | jq -r .error.hint)" "did you mean 'garage_id'?"
equals "JSON: exit code" "$(echo "$OUT" | jq -r .error.exit_code)" 2

equals "nothing written" "$(ls $mig | wc -l)" 10
finish
