#!/bin/bash
# pgwarden deploy: the field-service example (4 phases, ~40 objects) deployed
# to an empty database, deployed again (everything skipped, nothing changed),
# deployed over a database holding half of it with differences (an auto-fix
# for every kind), --verify-only after a manual change; a statement failing
# mid-phase rolls the phase back; refusals; bad input changes nothing.
. "$(dirname "$0")/../lib.sh"

p="$SCRATCH/project"
mkdir -p "$p"
cp -r "$SRC/examples/field-service/deploy" "$p/deploy"
printf '[project]\nschemas = public\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cd "$p" || exit 1
pyj() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
schema_of() { pg_dump -s -x -O "$1" | grep -v '^--\|^SET\|^SELECT pg_catalog\|^\\restrict\|^\\unrestrict' | sed '/^$/d'; }

# --- 1. an empty database: everything applied, verified -----------------------
db=$(fresh_db empty) || { fail "cannot make a database"; finish; }
expect_rc 0 "deploy to an empty database" "$PGW" --no-color deploy --db "$db"
contains "phase progress" "$ERR" "phase 4: 4 statements (transaction: phase)"
contains "verified" "$OUT" "verification: no drift in the deployed phases"
contains "log named" "$OUT" "log: logs/deploy-"
log1=$(ls logs/deploy-*.json | head -1)
equals "one log" "$(ls logs | wc -l)" 1
equals "log: 37 statements applied" "$(pyj "$log1" "d['summary']['applied'], d['summary']['statements']")" "37 37"
equals "log: target redacted, no password" "$(pyj "$log1" "'password' in d['target'] or ':' in d['target'].split('@')[0].replace('postgresql://','')")" "False"
equals "log: every statement has file:line, kind, result" \
    "$(pyj "$log1" "sorted(set(tuple(sorted(s.keys())) for s in d['statements']))[0]")" \
    "('attempts', 'autofix', 'column', 'duration_ms', 'error', 'file', 'kind', 'line', 'object', 'phase', 'result')"
equals "log: first statement" "$(pyj "$log1" "d['statements'][0]['file'], d['statements'][0]['line'], d['statements'][0]['kind']")" \
    "phase1/enums.sql 2 CREATE TYPE"
equals "log: verification ran" "$(pyj "$log1" "d['verification']['drift']")" "False"
equals "tables made" "$(sql "$db" "select count(*) from pg_tables where schemaname='public'")" 7
equals "jobs has its phase-2 columns" "$(sql "$db" "select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid='public.jobs'::regclass and attnum>0")" \
    "id,tenant_id,site_id,technician_id,status,summary,updated_at,priority,scheduled_at"
before=$(schema_of "$db")

# --- 2. again: everything skipped, nothing changes -----------------------------
expect_rc 0 "deploy again" "$PGW" --no-color --json deploy --db "$db"
equals "again: everything skipped" "$(echo "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin)['summary']; print(d['applied'], d['autofixed'], d['skipped'], d['failed'])")" "0 0 37 0"
equals "again: views compared by definition" "$(echo "$OUT" | python3 -c "import json,sys; print([s['autofix']['reason'] for s in json.load(sys.stdin)['statements'] if s['kind']=='CREATE VIEW'][0])")" "view public.open_jobs exists with the same definition"
equals "again: no verification needed" "$(echo "$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['verification'])")" "None"
equals "again: the schema is the same" "$(schema_of "$db")" "$before"
equals "two logs" "$(ls logs | wc -l)" 2

# --- 3. half of it there, with differences: every auto-fix ---------------------
db2=$(fresh_db half) || { fail "cannot make a database"; finish; }
psql "$db2" -X -q -v ON_ERROR_STOP=1 <<'SQL' || fail "cannot load the half schema"
CREATE TYPE job_status AS ENUM ('new', 'done');
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, name text NOT NULL);
INSERT INTO customers (tenant_id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'Acme');
CREATE TABLE technicians (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, full_name text NOT NULL, active boolean NOT NULL DEFAULT true, phone varchar(40));
CREATE TABLE sites (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, customer_id bigint NOT NULL, address text NOT NULL, city varchar(100));
ALTER TABLE sites ADD CONSTRAINT sites_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE;
CREATE INDEX sites_customer_idx ON sites (customer_id);
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, site_id bigint NOT NULL, technician_id bigint,
    status job_status NOT NULL DEFAULT 'new', summary text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TRIGGER jobs_updated_at AFTER UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION set_updated_at();
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant ON jobs FOR SELECT USING (true);
CREATE TABLE parts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, sku varchar(40) NOT NULL, description text, unit_price numeric(10,2) NOT NULL DEFAULT 0);
CREATE VIEW technician_load AS SELECT t.id, t.full_name, 0::bigint AS open_jobs FROM technicians t;
SQL
expect_rc 0 "deploy over half a schema" "$PGW" --no-color deploy --db "$db2"
log3=$(ls -t logs/deploy-*.json | head -1)
fix() { pyj "$log3" "[(s['result'], s['autofix'] and s['autofix']['action']) for s in d['statements'] if s['file']=='$1' and s['line']==$2][0]"; }
equals "enum: labels added" "$(fix phase1/enums.sql 2)" "('autofixed', 'add enum values')"
equals "table: columns added" "$(fix phase1/tables.sql 1)" "('autofixed', 'add columns')"
equals "table: identical skipped" "$(fix phase1/tables.sql 10)" "('skipped', 'skip')"
equals "constraint: existing skipped" "$(fix phase1/constraints.sql 1)" "('skipped', 'skip')"
equals "index: same definition skipped" "$(fix phase1/indexes.sql 1)" "('skipped', 'skip')"
equals "column: existing skipped" "$(fix phase2/columns.sql 3)" "('skipped', 'skip')"
equals "function: replaced" "$(fix phase3/functions.sql 1)" "('autofixed', 'create or replace')"
equals "trigger: replaced" "$(fix phase3/triggers.sql 3)" "('autofixed', 'create or replace')"
equals "policy: dropped and created" "$(fix phase4/policies.sql 4)" "('autofixed', 'drop and create')"
equals "view: another definition replaced" "$(fix phase3/views.sql 8)" "('autofixed', 'create or replace')"
equals "table: the same columns skipped" "$(fix phase2/tables.sql 1)" "('skipped', 'skip')"
equals "rls: already enabled skipped" "$(fix phase4/policies.sql 2)" "('skipped', 'skip')"
equals "auto-fix keeps the original statement" "$(pyj "$log3" "[s['autofix']['original'][:21] for s in d['statements'] if s['file']=='phase1/tables.sql' and s['line']==1][0]")" "CREATE TABLE customer"
contains "auto-fix says what ran instead" "$(pyj "$log3" "[s['autofix']['instead'] for s in d['statements'] if s['file']=='phase1/tables.sql' and s['line']==1][0]")" "ADD COLUMN email"
equals "enum labels in order" "$(sql "$db2" "select string_agg(enumlabel, ',' order by enumsortorder) from pg_enum where enumtypid='job_status'::regtype")" "new,scheduled,in_progress,done"
equals "the row is kept" "$(sql "$db2" "select name from customers")" "Acme"
equals "trigger now BEFORE" "$(sql "$db2" "select tgtype & 2 from pg_trigger where tgname='jobs_updated_at'")" 2
equals "policy now FOR ALL" "$(sql "$db2" "select polcmd from pg_policy where polname='jobs_tenant'")" "*"
contains "verified after" "$OUT" "verification: no drift in the deployed phases"
expect_rc 0 "verify-only: no drift" "$PGW" --no-color deploy --verify-only --db "$db2"
contains "no drift" "$OUT" "no drift"

# --- 4. --verify-only after a manual change ------------------------------------
sql "$db2" "ALTER TABLE parts ADD COLUMN legacy_code text; DROP INDEX visits_job_idx" >/dev/null
nlogs=$(ls logs | wc -l)
expect_rc 1 "verify-only reports drift" "$PGW" --no-color --json deploy --verify-only --db "$db2"
equals "drift counts" "$(echo "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin)['summary']; print(d['drift'], d['missing'], d['extra'])")" "True 1 1"
contains "names the missing index" "$OUT" "visits_job_idx"
contains "names the extra column" "$OUT" "legacy_code"
equals "verify-only writes no log" "$(ls logs | wc -l)" "$nlogs"
equals "verify-only changes nothing" "$(sql "$db2" "select count(*) from pg_indexes where indexname='visits_job_idx'")" 0

# --- 5. a statement failing mid-phase: the phase rolls back --------------------
db3=$(fresh_db fail) || { fail "cannot make a database"; finish; }
"$PGW" -q deploy --db "$db3" --phase 1 >/dev/null 2>&1 || fail "phase 1 alone"
snap=$(schema_of "$db3")
cp -r "$p/deploy" "$p/bad"
echo "ALTER TABLE visits ADD CONSTRAINT visits_nowhere_fk FOREIGN KEY (job_id) REFERENCES nowhere (id);" >> "$p/bad/phase2/constraints.sql"
expect_rc 5 "a failing statement" "$PGW" --no-color deploy --dir bad --db "$db3"
contains "names file:line" "$ERR" "phase2/constraints.sql:6:1: relation \"nowhere\" does not exist (SQLSTATE 42P01)"
contains "says rolled back" "$ERR" "the phase was rolled back"
equals "database equals its before-snapshot" "$(schema_of "$db3")" "$snap"
log5=$(ls -t logs/deploy-*.json | head -1)
equals "log: results" "$(pyj "$log5" "d['summary']['failed'], d['summary']['rolled_back'], d['summary']['not_run'], d['summary']['skipped']")" "1 11 12 14"
equals "log: the failed statement" "$(pyj "$log5" "[(s['file'], s['line'], s['error']['sqlstate']) for s in d['statements'] if s['result']=='failed'][0]")" "('phase2/constraints.sql', 6, '42P01')"
equals "log: phase 2 rolled back" "$(pyj "$log5" "d['phases'][1]['result'], d['phases'][1]['rolled_back']")" "failed True"
equals "log: ok false" "$(pyj "$log5" "d['ok']")" "False"
# the fault point: the second statement to run fails
expect_rc 5 "fault after a statement" env PGWARDEN_FAULT=deploy:after-statement "$PGW" --no-color deploy --db "$db3"
equals "fault: database unchanged" "$(schema_of "$db3")" "$snap"
# --continue-on-error keeps the rest and says what did not apply
expect_rc 5 "continue on error" "$PGW" --no-color deploy --dir bad --continue-on-error --db "$db3"
log6=$(ls -t logs/deploy-*.json | head -1)
equals "continue: only the bad one failed" "$(pyj "$log6" "d['summary']['failed'], d['summary']['rolled_back']")" "1 0"
equals "continue: the rest applied" "$(sql "$db3" "select count(*) from pg_tables where schemaname='public'")" 7

# --- 6. refusals: a type that would narrow, an index defined differently -------
# (a widening, integer -> bigint, is altered: test_deploy_alter.sh)
db4=$(fresh_db refuse) || { fail "cannot make a database"; finish; }
sql "$db4" "CREATE TYPE job_status AS ENUM ('new'); CREATE TABLE technicians (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL, full_name text NOT NULL, active boolean NOT NULL DEFAULT true)" >/dev/null
snap4=$(schema_of "$db4")
expect_rc 5 "a column of another type is refused" "$PGW" --no-color deploy --db "$db4" --phase 1
contains "says why" "$ERR" "column public.technicians.tenant_id is text in the database but uuid in the file: changing the type could lose data"
equals "refusal: database unchanged" "$(schema_of "$db4")" "$snap4"
sql "$db4" "DROP TABLE technicians; CREATE TABLE t (a int, b int); CREATE INDEX jobs_site_idx ON t (b)" >/dev/null
expect_rc 0 "dry run shows the refusal" "$PGW" --no-color deploy --db "$db4" --phase 1 --dry-run
contains "index refused" "$OUT" "index public.jobs_site_idx exists with another definition"

# --- 6b. a phase with CREATE INDEX CONCURRENTLY runs statement by statement ---
cp -r "$p/deploy" "$p/conc"
mkdir -p "$p/conc/phase5"
echo "CREATE INDEX CONCURRENTLY visits_arrived_idx ON visits (arrived_at);" > "$p/conc/phase5/indexes.sql"
expect_rc 0 "a CONCURRENTLY phase" "$PGW" --no-color --json deploy --dir conc --db "$db"
equals "phase 5 ran per statement" "$(echo "$OUT" | python3 -c "import json,sys; print([x['tx'] for x in json.load(sys.stdin)['phases'] if x['phase']==5][0])")" "statement"
equals "the index is valid" "$(sql "$db" "select indisvalid from pg_index where indexrelid='visits_arrived_idx'::regclass")" "t"
expect_rc 0 "again: skipped" "$PGW" --no-color deploy --dir conc --db "$db"
contains "index skipped" "$OUT" "skip: index public.visits_arrived_idx exists with the same definition"

# --- 7. bad input: nothing runs -------------------------------------------------
db5=$(fresh_db input) || { fail "cannot make a database"; finish; }
expect_rc 4 "missing folder" "$PGW" --no-color deploy --dir nowhere --db "$db5"
contains "names it" "$ERR" "deploy folder '$p/nowhere' does not exist"
expect_rc 4 "unknown phase" "$PGW" --no-color deploy --phase 9 --db "$db5"
contains "names the phase" "$ERR" "phase 9 does not exist"
cp -r "$p/deploy" "$p/broken"
printf 'CREATE TABLE broken (\n  id int,,\n);\n' > "$p/broken/phase2/zz_extra.sql"
expect_rc 4 "a file that does not parse" "$PGW" --no-color deploy --dir broken --db "$db5"
contains "file:line:col" "$ERR" "phase2/zz_extra.sql:2:10:"
touch "$p/afile"
expect_rc 4 "a log folder that cannot be written" "$PGW" --no-color deploy --log-dir "$p/afile/logs" --db "$db5"
contains "says so" "$ERR" "deploy log folder"
expect_rc 2 "bad --tx" "$PGW" deploy --tx sometimes --db "$db5"
equals "bad input ran nothing" "$(sql "$db5" "select count(*) from pg_tables where schemaname='public'")" 0

finish
