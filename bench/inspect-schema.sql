-- bench/inspect-schema.sql — a realistic application schema of N tables for
-- bench/inspect, generated server-side (5,000 tables take about a minute):
--
--   psql -X -v ON_ERROR_STOP=1 -v tables=1000 -f bench/inspect-schema.sql URL
--
-- Deterministic (choices come from hashint4 of the table number, not random()).
-- Per table, about 12 columns picked from a pool of types (uuid, text,
-- varchar(n), numeric(p,s), timestamptz, jsonb, bool, int/bigint/smallint, an
-- enum, arrays, inet, interval, bytea, a generated tsvector); an id that is a
-- uuid, an identity or a serial; a tenant_id on most; defaults, NOT NULL and
-- CHECK constraints; 0–2 foreign keys to earlier tables (half of them to a
-- few hub tables) and a self-reference on some; 2–3 indexes besides the
-- primary key (multicolumn, expression, partial, unique, GIN, BRIN); RLS with
-- 1–2 policies (USING and WITH CHECK, permissive and restrictive); grants to
-- anon and authenticated (some column-level); comments on some; an
-- updated_at trigger on some and an audit trigger on a few.  Every 20th table
-- gets a view and every 20th (offset 10) a function, SQL and PL/pgSQL in turn.
-- Tables live in public, app and billing.  Commits every 25 tables, so the
-- lock table never fills.

\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT set_config('pgw_bench.tables', :'tables', false) \gset

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
END
$roles$;

CREATE FUNCTION pg_temp.h(i int, k int) RETURNS int
    LANGUAGE sql IMMUTABLE AS 'SELECT hashint4($1 * 1009 + $2) & 2147483647';

CREATE SCHEMA app;
CREATE SCHEMA billing;
GRANT USAGE ON SCHEMA app, billing TO anon, authenticated;

CREATE TABLE app.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name  text NOT NULL,
    operation   text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    row_data    jsonb,
    changed_by  text DEFAULT current_user,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_table_time_idx ON app.audit_log (table_name, changed_at DESC);
ALTER TABLE app.audit_log ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE app.audit_log IS 'Row changes written by the audit_row trigger.';

CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS
$f$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$f$;

CREATE FUNCTION app.audit_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS
$f$
BEGIN
    INSERT INTO app.audit_log (table_name, operation, row_data)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP,
            to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END));
    RETURN NULL;
END
$f$;
REVOKE EXECUTE ON FUNCTION app.audit_row() FROM PUBLIC;

DO $gen$
DECLARE
    n           int := current_setting('pgw_bench.tables')::int;
    nouns       text[] := ARRAY['customers', 'orders', 'invoices', 'products', 'projects', 'tasks',
                    'comments', 'messages', 'events', 'payments', 'subscriptions', 'teams',
                    'members', 'documents', 'attachments', 'notes', 'tickets', 'shipments',
                    'addresses', 'reviews', 'carts', 'coupons', 'campaigns', 'leads', 'contacts',
                    'accounts', 'vehicles', 'routes', 'devices', 'sensors', 'readings', 'articles',
                    'categories', 'labels', 'bookings', 'rooms', 'courses', 'lessons',
                    'enrollments', 'webhooks'];
    labelsets   text[] := ARRAY['draft,active,archived', 'pending,paid,failed,refunded',
                    'low,medium,high,urgent', 'open,in_progress,blocked,done,cancelled',
                    'free,pro,team,enterprise', 'queued,running,succeeded,failed,skipped'];
    nenum       int := greatest(3, n / 40);
    tname       text[] := '{}';     -- qualified name of table i
    tbase       text[] := '{}';     -- bare name
    idtype      text[] := '{}';     -- type of its id
    claim       text := $$(current_setting('request.jwt.claims', true)::jsonb ->> 'tenant_id')::uuid$$;
    i           int;
    j           int;
    k           int;
    sch         text;
    base        text;
    t           text;
    cols        text[];
    names       text[];
    cons        text[];
    cand        text[];
    fks         text[];
    labels      text[];
    enumname    text;
    tenant      bool;
    parent      int;
    parent2     int;
    col         text;
    on_delete   text;
    nidx        int;
    start       int;
    body        text;
BEGIN
    FOR k IN 1 .. nenum LOOP
        labels := string_to_array(labelsets[1 + (k - 1) % array_length(labelsets, 1)], ',');
        EXECUTE format('CREATE TYPE public.%I AS ENUM (%s)',
                       'status_' || k,
                       (SELECT string_agg(quote_literal(l), ', ') FROM unnest(labels) l));
        IF k % 4 = 1 THEN
            EXECUTE format('COMMENT ON TYPE public.%I IS %L', 'status_' || k, 'Lifecycle states, set ' || k);
        END IF;
    END LOOP;

    FOR i IN 1 .. n LOOP
        sch := CASE WHEN i % 11 = 5 THEN 'billing' WHEN i % 7 = 3 THEN 'app' ELSE 'public' END;
        base := nouns[1 + (i - 1) % array_length(nouns, 1)] || '_' || i;
        t := format('%I.%I', sch, base);
        tname[i] := t;
        tbase[i] := base;
        cols := '{}';
        names := '{}';
        cons := '{}';
        fks := '{}';
        cand := '{}';

        -- the id
        CASE pg_temp.h(i, 1) % 4
            WHEN 0 THEN cols := array_append(cols, 'id uuid PRIMARY KEY DEFAULT gen_random_uuid()'); idtype[i] := 'uuid';
            WHEN 1 THEN cols := array_append(cols, 'id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY'); idtype[i] := 'bigint';
            WHEN 2 THEN cols := array_append(cols, 'id bigserial PRIMARY KEY'); idtype[i] := 'bigint';
            ELSE cols := array_append(cols, 'id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY'); idtype[i] := 'integer';
        END CASE;
        tenant := pg_temp.h(i, 2) % 8 <> 0;
        IF tenant THEN
            cols := array_append(cols, 'tenant_id uuid NOT NULL'::text);
            names := array_append(names, 'tenant_id'::text);
        END IF;
        cols := array_append(cols, 'name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200)'::text);
        names := array_append(names, 'name'::text);

        -- foreign keys to earlier tables: half to one of the first ten (hubs)
        IF i > 1 THEN
            IF pg_temp.h(i, 3) % 2 = 0 THEN
                parent := 1 + pg_temp.h(i, 4) % least(10, i - 1);
            ELSE
                parent := 1 + pg_temp.h(i, 4) % (i - 1);
            END IF;
            parent2 := CASE WHEN pg_temp.h(i, 5) % 10 < 4 THEN 1 + pg_temp.h(i, 6) % (i - 1) END;
            FOR j IN 1 .. 2 LOOP
                k := CASE j WHEN 1 THEN parent ELSE parent2 END;
                CONTINUE WHEN k IS NULL OR (j = 2 AND k = parent);
                col := tbase[k] || '_id';
                on_delete := (ARRAY['CASCADE', 'SET NULL', 'RESTRICT', 'NO ACTION'])[1 + pg_temp.h(i, 7 + k) % 4];
                cols := array_append(cols, format('%I %s%s', col, idtype[k],
                                       CASE WHEN on_delete = 'SET NULL' THEN '' ELSE ' NOT NULL' END));
                cons := array_append(cons, format('CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %s (id) ON DELETE %s%s',
                                       base || '_' || col || '_fkey', col, tname[k], on_delete,
                                       CASE WHEN pg_temp.h(i, 8 + k) % 10 = 0 THEN ' DEFERRABLE INITIALLY DEFERRED' ELSE '' END));
                fks := array_append(fks, col);
            END LOOP;
        END IF;
        IF pg_temp.h(i, 9) % 10 = 0 THEN
            cols := array_append(cols, format('parent_id %s', idtype[i]));
            cons := array_append(cons, format('CONSTRAINT %I FOREIGN KEY (parent_id) REFERENCES %s (id) ON DELETE CASCADE',
                                   base || '_parent_id_fkey', t));
            fks := array_append(fks, 'parent_id'::text);
        END IF;

        -- the pool: each column on about a third of the tables
        enumname := 'status_' || (1 + pg_temp.h(i, 10) % nenum);
        labels := string_to_array(labelsets[1 + (1 + pg_temp.h(i, 10) % nenum - 1) % array_length(labelsets, 1)], ',');
        FOR k IN 1 .. 23 LOOP
            CONTINUE WHEN pg_temp.h(i, 100 + k) % 100 >= CASE k WHEN 3 THEN 70 WHEN 6 THEN 55 WHEN 23 THEN 5 ELSE 30 END;
            col := (ARRAY['slug', 'email', 'status', 'amount', 'price', 'metadata', 'settings', 'is_active',
                          'tags', 'scores', 'quantity', 'counter', 'description', 'due_date', 'duration',
                          'ip_address', 'ratio', 'priority', 'deleted_at', 'payload', 'external_ref',
                          'currency', 'search'])[k];
            cols := array_append(cols, (col || ' ' || CASE col
                WHEN 'slug' THEN format('varchar(%s) NOT NULL', (ARRAY[40, 64, 120])[1 + pg_temp.h(i, 11) % 3])
                WHEN 'email' THEN 'varchar(320) CHECK (email LIKE ''%_@_%'')'
                WHEN 'status' THEN format('public.%I NOT NULL DEFAULT %L', enumname, labels[1])
                WHEN 'amount' THEN 'numeric(10,2) NOT NULL DEFAULT 0 CHECK (amount >= 0)'
                WHEN 'price' THEN 'numeric(12,4)'
                WHEN 'metadata' THEN 'jsonb NOT NULL DEFAULT ''{}''::jsonb'
                WHEN 'settings' THEN 'jsonb'
                WHEN 'is_active' THEN 'boolean NOT NULL DEFAULT true'
                WHEN 'tags' THEN 'text[] NOT NULL DEFAULT ''{}''::text[]'
                WHEN 'scores' THEN 'integer[]'
                WHEN 'quantity' THEN 'integer NOT NULL DEFAULT 0 CHECK (quantity >= 0)'
                WHEN 'counter' THEN 'bigint DEFAULT 0'
                WHEN 'description' THEN 'text'
                WHEN 'due_date' THEN 'date'
                WHEN 'duration' THEN 'interval DEFAULT ''1 hour''::interval'
                WHEN 'ip_address' THEN 'inet'
                WHEN 'ratio' THEN 'double precision'
                WHEN 'priority' THEN 'smallint NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5)'
                WHEN 'deleted_at' THEN 'timestamptz'
                WHEN 'payload' THEN 'bytea'
                WHEN 'external_ref' THEN 'varchar(64) COLLATE "C" UNIQUE'
                WHEN 'currency' THEN 'char(3) NOT NULL DEFAULT ''EUR'''
                ELSE 'tsvector GENERATED ALWAYS AS (to_tsvector(''simple''::regconfig, name)) STORED'
            END));
            names := array_append(names, col);
        END LOOP;
        cols := array_append(cols, 'created_at timestamptz NOT NULL DEFAULT now()'::text);
        IF pg_temp.h(i, 12) % 2 = 0 THEN
            cols := array_append(cols, 'updated_at timestamptz NOT NULL DEFAULT now()'::text);
            cons := array_append(cons, 'CHECK (updated_at >= created_at)'::text);
            names := array_append(names, 'updated_at'::text);
        END IF;
        IF 'slug' = ANY (names) AND tenant THEN
            cons := array_append(cons, format('CONSTRAINT %I UNIQUE (tenant_id, slug)', base || '_tenant_slug_key'));
        END IF;
        IF 'due_date' = ANY (names) AND 'deleted_at' = ANY (names) THEN
            cons := array_append(cons, 'CHECK (deleted_at IS NULL OR due_date IS NOT NULL)'::text);
        END IF;

        EXECUTE format('CREATE TABLE %s (%s)', t, array_to_string(cols || cons, ', '));

        -- 2–3 indexes besides the primary key and unique constraints
        FOREACH col IN ARRAY fks LOOP
            cand := array_append(cand, format('(%I)', col));
        END LOOP;
        IF tenant THEN cand := array_append(cand, '(tenant_id, created_at DESC)'::text); ELSE cand := array_append(cand, '(created_at DESC)'::text); END IF;
        cand := array_append(cand, '(lower(name))'::text);
        IF 'metadata' = ANY (names) THEN cand := array_append(cand, 'USING gin (metadata jsonb_path_ops)'::text); END IF;
        IF 'tags' = ANY (names) THEN cand := array_append(cand, 'USING gin (tags)'::text); END IF;
        IF 'deleted_at' = ANY (names) THEN cand := array_append(cand, '(created_at) WHERE deleted_at IS NULL'::text); END IF;
        IF 'status' = ANY (names) THEN
            cand := array_append(cand, format('(status, created_at) WHERE status <> %L', labels[array_length(labels, 1)]));
        END IF;
        IF 'email' = ANY (names) THEN cand := array_append(cand, 'UNIQUE (lower(email::text))'::text); END IF;
        IF 'due_date' = ANY (names) AND 'priority' = ANY (names) THEN cand := array_append(cand, '(due_date, priority DESC)'::text); END IF;
        IF 'search' = ANY (names) THEN cand := array_append(cand, 'USING gin (search)'::text); END IF;
        IF pg_temp.h(i, 13) % 10 = 0 THEN cand := array_append(cand, 'USING brin (created_at)'::text); END IF;
        nidx := least(2 + pg_temp.h(i, 14) % 2, array_length(cand, 1));
        start := pg_temp.h(i, 15) % array_length(cand, 1);
        FOR k IN 0 .. nidx - 1 LOOP
            col := cand[1 + (start + k) % array_length(cand, 1)];
            IF col LIKE 'UNIQUE %' THEN
                EXECUTE format('CREATE UNIQUE INDEX %I ON %s %s', base || '_' || k || '_key', t, substr(col, 8));
            ELSE
                EXECUTE format('CREATE INDEX %I ON %s %s', base || '_' || k || '_idx', t, col);
            END IF;
        END LOOP;

        -- row level security: 1–2 policies
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        IF pg_temp.h(i, 16) % 10 = 0 THEN
            EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        END IF;
        IF tenant THEN
            EXECUTE format('CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO authenticated '
                           'USING (tenant_id = %s) WITH CHECK (tenant_id = %s)', t, claim, claim);
        ELSE
            EXECUTE format('CREATE POLICY authenticated_read ON %s FOR SELECT TO authenticated USING (true)', t);
        END IF;
        CASE pg_temp.h(i, 17) % 6
            WHEN 0 THEN
                EXECUTE format('CREATE POLICY anon_read ON %s FOR SELECT TO anon USING (%s)', t,
                               CASE WHEN 'is_active' = ANY (names) THEN 'is_active'
                                    WHEN 'deleted_at' = ANY (names) THEN 'deleted_at IS NULL'
                                    ELSE 'created_at > now() - interval ''30 days''' END);
            WHEN 1 THEN
                EXECUTE format('CREATE POLICY insert_checked ON %s FOR INSERT TO authenticated '
                               'WITH CHECK (created_at <= now() + interval ''1 minute'')', t);
            WHEN 2 THEN
                EXECUTE format('CREATE POLICY admins_only_delete ON %s AS RESTRICTIVE FOR DELETE TO authenticated '
                               'USING ((current_setting(''request.jwt.claims'', true)::jsonb ->> ''role'') = ''admin'')', t);
            WHEN 3 THEN
                EXECUTE format('CREATE POLICY update_recent ON %s FOR UPDATE TO authenticated '
                               'USING (created_at > now() - interval ''1 day'') WITH CHECK (name <> '''')', t);
            ELSE NULL;      -- one policy only
        END CASE;

        -- grants
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO authenticated', t);
        IF pg_temp.h(i, 18) % 5 < 2 THEN
            EXECUTE format('GRANT SELECT ON %s TO anon', t);
        ELSIF pg_temp.h(i, 18) % 5 = 2 THEN
            EXECUTE format('GRANT SELECT (id, name, created_at) ON %s TO anon', t);
        END IF;

        -- comments, triggers
        IF pg_temp.h(i, 19) % 3 = 0 THEN
            EXECUTE format('COMMENT ON TABLE %s IS %L', t,
                           initcap(replace(base, '_', ' #')) || ': one row per record, scoped to its tenant.');
        END IF;
        IF pg_temp.h(i, 20) % 5 = 0 THEN
            EXECUTE format('COMMENT ON COLUMN %s.name IS %L', t, 'Display name shown in the app.');
        END IF;
        IF 'updated_at' = ANY (names) AND pg_temp.h(i, 21) % 2 = 0 THEN
            EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s '
                           'FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()', t);
        END IF;
        IF i % 25 = 7 THEN
            EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %s '
                           'FOR EACH ROW EXECUTE FUNCTION app.audit_row()', t);
        END IF;

        -- a view per 20 tables
        IF i % 20 = 0 THEN
            IF fks[1] IS NOT NULL AND fks[1] <> 'parent_id' THEN
                EXECUTE format('CREATE VIEW %I.%I WITH (security_invoker = %s) AS '
                               'SELECT c.id, c.name, c.created_at, p.name AS parent_name '
                               'FROM %s c LEFT JOIN %s p ON p.id = c.%I',
                               sch, base || '_overview', (i / 20) % 2 = 0, t, tname[parent], fks[1]);
            ELSE
                EXECUTE format('CREATE VIEW %I.%I AS SELECT %s, count(*) AS n, max(created_at) AS last_at '
                               'FROM %s GROUP BY 1', sch, base || '_overview',
                               CASE WHEN tenant THEN 'tenant_id' ELSE 'date_trunc(''day'', created_at) AS day' END, t);
            END IF;
            EXECUTE format('GRANT SELECT ON %I.%I TO authenticated', sch, base || '_overview');
        END IF;

        -- a function per 20 tables: SQL and PL/pgSQL in turn
        IF i % 20 = 10 THEN
            IF (i / 20) % 2 = 0 THEN
                EXECUTE format('CREATE FUNCTION %I.%I(p_since timestamptz DEFAULT now() - interval ''7 days'') '
                               'RETURNS bigint LANGUAGE sql STABLE AS $f$ SELECT count(*) FROM %s WHERE created_at >= p_since $f$',
                               sch, base || '_recent_count', t);
                EXECUTE format('GRANT EXECUTE ON FUNCTION %I.%I(timestamptz) TO authenticated', sch, base || '_recent_count');
            ELSE
                body := format('BEGIN UPDATE %s SET name = p_name WHERE id = p_id; '
                               'IF NOT FOUND THEN RAISE EXCEPTION ''no row %%'', p_id; END IF; RETURN p_id; END', t);
                EXECUTE format('CREATE FUNCTION %I.%I(p_id %s, p_name text) RETURNS %s '
                               'LANGUAGE plpgsql SECURITY DEFINER SET search_path = '''' AS %L',
                               sch, base || '_rename', idtype[i], idtype[i], body);
                EXECUTE format('REVOKE EXECUTE ON FUNCTION %I.%I(%s, text) FROM PUBLIC', sch, base || '_rename', idtype[i]);
                EXECUTE format('GRANT EXECUTE ON FUNCTION %I.%I(%s, text) TO authenticated', sch, base || '_rename', idtype[i]);
            END IF;
        END IF;

        IF i % 25 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;
END
$gen$;

GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public, app, billing TO authenticated;
ANALYZE;
