#!/bin/bash
# pgwarden deploy over tables, indexes and policies that exist but differ:
# a CREATE TABLE whose table has another default, an extra NOT NULL or a
# narrower integer type is turned into the ALTERs the diff engine writes
# (rows kept); a table that would lose a column, or a type that would have
# to narrow, is refused with the database unchanged; a policy with another
# USING is replaced, not skipped; an index with another predicate is
# refused; expression indexes, CHECK constraints and policies that match
# are skipped after the comparison on the server.  After each deploy that
# changed something, --verify-only reports no drift.
. "$(dirname "$0")/../lib.sh"

p="$SCRATCH/project"
d="$p/deploy"
mkdir -p "$d/phase1" "$d/phase2"
printf '[project]\nschemas = public\n' > "$p/pgwarden.conf"
CLUSTERS+=("$p/.pgwarden/sandbox")
cat > "$d/phase1/tables.sql" <<'SQL'
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    name text NOT NULL,
    plan text NOT NULL DEFAULT 'free',
    note text
);
CREATE TABLE counters (id bigint PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
CREATE TABLE invoices (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid'))
);
SQL
cat > "$d/phase1/indexes.sql" <<'SQL'
CREATE INDEX invoices_open_idx ON invoices (account_id) WHERE status = 'open';
CREATE INDEX accounts_lower_name_idx ON accounts (lower(name));
SQL
cat > "$d/phase2/columns.sql" <<'SQL'
ALTER TABLE accounts ADD COLUMN phone text;
SQL
cat > "$d/phase2/policies.sql" <<'SQL'
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoices_tenant ON invoices FOR SELECT
    USING (account_id IN (SELECT id FROM accounts WHERE tenant_id = current_setting('app.tenant_id', true)::uuid));
SQL
cd "$p" || exit 1
pyj() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
schema_of() { pg_dump -s -x -O "$1" | grep -v '^--\|^SET\|^SELECT pg_catalog\|^\\restrict\|^\\unrestrict' | sed '/^$/d'; }
# the invoices table and the matching objects, as the files make them
same_parts="CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id),
    amount numeric(12,2) NOT NULL CHECK (amount >= 0), status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid')));
CREATE INDEX accounts_lower_name_idx ON accounts (lower(name));"

# --- 1. half deployed, with differences: altered, replaced, skipped -----------
db=$(fresh_db half) || { fail "cannot make a database"; finish; }
psql "$db" -X -q -v ON_ERROR_STOP=1 <<SQL || fail "cannot load the half schema"
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, name text NOT NULL,
    plan text NOT NULL DEFAULT 'basic', note text NOT NULL, phone text);
INSERT INTO accounts (tenant_id, name, note) VALUES ('00000000-0000-0000-0000-000000000001', 'Acme', 'kept');
CREATE TABLE counters (id integer PRIMARY KEY, hits integer NOT NULL DEFAULT 0);
INSERT INTO counters VALUES (1, 41);
$same_parts
CREATE INDEX invoices_open_idx ON invoices (account_id) WHERE status = 'open';
SQL
expect_rc 0 "phase 1 over the half schema" "$PGW" --no-color deploy --db "$db" --phase 1
contains "verified" "$OUT" "verification: no drift in the deployed phases"
log=$(ls -t logs/deploy-*.json | head -1)
fix() { pyj "$log" "[(s['result'], s['autofix'] and s['autofix']['action']) for s in d['statements'] if s['file']=='$1' and s['line']==$2][0]"; }
instead() { pyj "$log" "[s['autofix']['instead'] for s in d['statements'] if s['file']=='$1' and s['line']==$2][0]"; }
equals "accounts: altered" "$(fix phase1/tables.sql 1)" "('autofixed', 'alter table')"
contains "accounts: the other default set" "$(instead phase1/tables.sql 1)" "ALTER COLUMN plan SET DEFAULT 'free'::text"
contains "accounts: the extra NOT NULL dropped" "$(instead phase1/tables.sql 1)" "ALTER COLUMN note DROP NOT NULL"
lacks "accounts: phone (a later phase adds it) kept" "$(instead phase1/tables.sql 1)" "phone"
equals "counters: altered" "$(fix phase1/tables.sql 8)" "('autofixed', 'alter table')"
contains "counters: int -> bigint with USING" "$(instead phase1/tables.sql 8)" "ALTER COLUMN id TYPE bigint USING id::bigint"
equals "invoices (CHECK, inline FK, default): skipped" "$(fix phase1/tables.sql 9)" "('skipped', 'skip')"
equals "partial index, same predicate: skipped" "$(fix phase1/indexes.sql 1)" "('skipped', 'skip')"
equals "expression index: skipped" "$(fix phase1/indexes.sql 2)" "('skipped', 'skip')"
equals "the rows are kept" "$(sql "$db" "select a.name || a.note || c.hits from accounts a, counters c")" "Acmekept41"
equals "types now bigint" "$(sql "$db" "select string_agg(format_type(atttypid, atttypmod), ',' order by attnum) from pg_attribute where attrelid='counters'::regclass and attnum>0")" "bigint,bigint"
equals "default and NULL now as the file says" "$(sql "$db" "select pg_get_expr(adbin, adrelid) from pg_attrdef where adrelid='accounts'::regclass and adnum=4")|$(sql "$db" "select attnotnull from pg_attribute where attrelid='accounts'::regclass and attname='note'")" "'free'::text|f"
expect_rc 0 "phase 1 verify-only: no drift" "$PGW" --no-color deploy --verify-only --phase 1 --db "$db"
# phase 2's policy, made by hand with another USING
sql "$db" "ALTER TABLE invoices ENABLE ROW LEVEL SECURITY; CREATE POLICY invoices_tenant ON invoices FOR SELECT USING (true)" >/dev/null
expect_rc 0 "every phase" "$PGW" --no-color deploy --db "$db"
log=$(ls -t logs/deploy-*.json | head -1)
equals "policy with another USING: replaced" "$(fix phase2/policies.sql 2)" "('autofixed', 'drop and create')"
contains "the reason shows the live USING" "$(pyj "$log" "[s['autofix']['reason'] for s in d['statements'] if s['file']=='phase2/policies.sql' and s['line']==2][0]")" "USING true"
contains "the policy now checks the tenant" "$(sql "$db" "select pg_get_expr(polqual, polrelid) from pg_policy where polname='invoices_tenant'")" "current_setting('app.tenant_id'"
expect_rc 0 "verify-only: no drift" "$PGW" --no-color deploy --verify-only --db "$db"
contains "no drift" "$OUT" "no drift"
before=$(schema_of "$db")
expect_rc 0 "again: everything skipped" "$PGW" --no-color --json deploy --db "$db"
equals "again: counts" "$(echo "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin)['summary']; print(d['applied'], d['autofixed'], d['failed'])")" "0 0 0"
equals "again: the policy compared, skipped" "$(echo "$OUT" | python3 -c "import json,sys; print([s['autofix']['reason'] for s in json.load(sys.stdin)['statements'] if s['kind']=='CREATE POLICY'][0])")" "policy public.invoices.invoices_tenant exists with the same definition"
# defaults, CHECKs (IN lists too), an inline foreign key, a partial and an
# expression index settle as text; the policy's subquery (the catalog
# qualifies its columns) is the one compared on the server
equals "again: only the policy compared on the server" "$(echo "$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['summary']['compared_on_server'])")" 1
equals "again: the schema is the same" "$(schema_of "$db")" "$before"

# --- 2. an index with another predicate: refused, nothing changes --------------
db2=$(fresh_db index) || { fail "cannot make a database"; finish; }
psql "$db2" -X -q -v ON_ERROR_STOP=1 <<SQL || fail "cannot load the index schema"
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, name text NOT NULL,
    plan text NOT NULL DEFAULT 'free', note text);
CREATE TABLE counters (id bigint PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
$same_parts
CREATE INDEX invoices_open_idx ON invoices (account_id) WHERE status = 'paid';
SQL
snap=$(schema_of "$db2")
expect_rc 5 "another predicate is refused" "$PGW" --no-color deploy --db "$db2"
contains "says which index and how it is" "$ERR" "index public.invoices_open_idx exists with another definition: CREATE INDEX invoices_open_idx ON public.invoices USING btree (account_id) WHERE (status = 'paid'::text)"
equals "index refusal: database unchanged" "$(schema_of "$db2")" "$snap"

# --- 3. data would be lost: refused, nothing changes ---------------------------
db3=$(fresh_db lose) || { fail "cannot make a database"; finish; }
psql "$db3" -X -q -v ON_ERROR_STOP=1 <<SQL || fail "cannot load the lose schema"
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, name text NOT NULL,
    plan text NOT NULL DEFAULT 'free', note text, legacy_code text);
INSERT INTO accounts (tenant_id, name, legacy_code) VALUES ('00000000-0000-0000-0000-000000000001', 'Acme', 'A-1');
CREATE TABLE counters (id bigint PRIMARY KEY, hits numeric NOT NULL DEFAULT 0);
SQL
snap=$(schema_of "$db3")
expect_rc 0 "dry run shows both refusals" "$PGW" --no-color --json deploy --db "$db3" --dry-run
equals "dry run: decisions" "$(echo "$OUT" | python3 -c "import json,sys; print([s['decision'] for s in json.load(sys.stdin)['statements'] if s['kind']=='CREATE TABLE'])")" "['refuse', 'refuse', 'run']"
contains "narrowing named" "$OUT" "column public.counters.hits is numeric in the database but bigint in the file: changing the type could lose data"
expect_rc 5 "a dropped column is refused" "$PGW" --no-color deploy --db "$db3"
contains "says the column would be lost" "$ERR" "table public.accounts differs from the file in a way that would lose data"
contains "names the column" "$ERR" "legacy_code"
equals "refusal: database unchanged" "$(schema_of "$db3")" "$snap"
equals "refusal: the row is there" "$(sql "$db3" "select legacy_code from accounts")" "A-1"

# --- 4. a table the server cannot make before the deploy runs ------------------
# (its new column's type is made by the same phase): the missing columns
# are added from the tree, the rest left to the verification; when the
# columns that exist differ too, it is refused, saying why
mkdir -p "$p/typed/phase1"
echo "CREATE TYPE mood AS ENUM ('ok', 'meh');" > "$p/typed/phase1/enums.sql"
echo "CREATE TABLE moods (id integer PRIMARY KEY, m mood NOT NULL DEFAULT 'ok');" > "$p/typed/phase1/tables.sql"
db4=$(fresh_db typed) || { fail "cannot make a database"; finish; }
sql "$db4" "CREATE TABLE moods (id integer PRIMARY KEY); INSERT INTO moods VALUES (7)" >/dev/null
expect_rc 0 "columns of a type the deploy makes" "$PGW" --no-color deploy --dir typed --db "$db4"
contains "says why it fell back" "$OUT" "cannot be made on the server to compare the rest (type \"mood\" does not exist)"
contains "verified" "$OUT" "verification: no drift in the deployed phases"
equals "the column is there, the row kept" "$(sql "$db4" "select id || m::text from moods")" "7ok"
sql "$db4" "DROP TABLE moods; DROP TYPE mood; CREATE TABLE moods (id bigint PRIMARY KEY)" >/dev/null
snap=$(schema_of "$db4")
expect_rc 5 "and a column that differs too: refused" "$PGW" --no-color deploy --dir typed --db "$db4"
contains "says it cannot compare" "$ERR" "public.moods exists, and the file's statement cannot be made on the server to compare it: type \"mood\" does not exist"
equals "that refusal: database unchanged" "$(schema_of "$db4")" "$snap"

finish
