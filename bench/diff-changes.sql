-- bench/diff-changes.sql — the changes that make bench/diff's second database
-- differ from the first: run on a copy of a schema bench/inspect-schema.sql
-- generated, it changes about 5% of the objects:
--
--   psql -X -v ON_ERROR_STOP=1 -f bench/diff-changes.sql URL
--
-- Deterministic (hashint4 of the table number, as the generator).  Each
-- table draws each change on its own, so a table gets about one change in
-- all: a column added (20%), dropped (10%) or altered (15%: type, default,
-- NOT NULL), an index added (10%) or dropped (10%), a CHECK added (10%) or
-- dropped (5%), a foreign key dropped (5%), a policy altered (10%), added
-- (5%) or dropped (5%), the comment changed (5%).  Besides: a quarter of
-- the views redefined (a column more) and a quarter made security_invoker
-- the other way, a quarter of the functions given a new body, an enum label
-- added, 1% of the tables dropped (those nothing else depends on) and 1%
-- new ones created (with an index, RLS, a policy and grants).

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.h(i int, k int) RETURNS int
    LANGUAGE sql IMMUTABLE AS 'SELECT hashint4($1 * 1009 + $2) & 2147483647';

ALTER TYPE public.status_1 ADD VALUE 'on_hold';

DO $changes$
DECLARE
    r       record;
    t       text;
    i       int;
    col     text;
    obj     text;
    def     text;
    n       int := 0;
BEGIN
    FOR r IN
        SELECT c.oid, n.nspname AS sch, c.relname AS base,
               substring(c.relname FROM '_([0-9]+)$')::int AS i
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname IN ('public', 'app', 'billing')
           AND c.relname ~ '_[0-9]+$'
         ORDER BY 4
    LOOP
        i := r.i;
        n := n + 1;
        t := format('%I.%I', r.sch, r.base);

        -- 1% of the tables, those no other table, view or function needs
        IF pg_temp.h(i, 215) % 100 < 1 AND i % 20 NOT IN (0, 10)
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
                            WHERE confrelid = r.oid AND conrelid <> r.oid)
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                             JOIN pg_catalog.pg_rewrite w ON d.classid = 'pg_catalog.pg_rewrite'::regclass
                                                         AND w.oid = d.objid
                            WHERE d.refobjid = r.oid AND w.ev_class <> r.oid) THEN
            EXECUTE format('DROP TABLE %s', t);
            CONTINUE;
        END IF;

        IF pg_temp.h(i, 201) % 100 < 20 THEN
            EXECUTE format('ALTER TABLE %s ADD COLUMN %s', t,
                           CASE WHEN i % 2 = 0 THEN 'note text'
                                ELSE 'score integer NOT NULL DEFAULT 0' END);
        END IF;

        IF pg_temp.h(i, 202) % 100 < 10 THEN
            SELECT a.attname INTO col
              FROM unnest(ARRAY['ratio', 'payload', 'ip_address', 'scores', 'price', 'settings',
                                'description', 'counter']) WITH ORDINALITY AS p(name, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attname = p.name
                                            AND NOT a.attisdropped
             ORDER BY p.ord LIMIT 1;
            IF col IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %s DROP COLUMN %I', t, col);
            END IF;
        END IF;

        IF pg_temp.h(i, 203) % 100 < 15 THEN
            CASE pg_temp.h(i, 216) % 3
                WHEN 0 THEN
                    IF EXISTS (SELECT FROM pg_catalog.pg_attribute
                                WHERE attrelid = r.oid AND attname = 'description' AND NOT attisdropped) THEN
                        EXECUTE format('ALTER TABLE %s ALTER COLUMN description TYPE varchar(2000)', t);
                    ELSE
                        EXECUTE format('ALTER TABLE %s ALTER COLUMN created_at SET DEFAULT clock_timestamp()', t);
                    END IF;
                WHEN 1 THEN
                    EXECUTE format('ALTER TABLE %s ALTER COLUMN created_at SET DEFAULT clock_timestamp()', t);
                ELSE
                    EXECUTE format('ALTER TABLE %s ALTER COLUMN name DROP NOT NULL', t);
            END CASE;
        END IF;

        IF pg_temp.h(i, 204) % 100 < 10 THEN
            EXECUTE format('CREATE INDEX %I ON %s (name, created_at)', r.base || '_bench_idx', t);
        END IF;

        IF pg_temp.h(i, 205) % 100 < 10 THEN
            SELECT ic.relname INTO obj
              FROM pg_catalog.pg_index x
              JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
             WHERE x.indrelid = r.oid AND NOT x.indisprimary
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conindid = x.indexrelid)
               AND ic.relname <> r.base || '_bench_idx'
             ORDER BY 1 LIMIT 1;
            IF obj IS NOT NULL THEN
                EXECUTE format('DROP INDEX %I.%I', r.sch, obj);
            END IF;
        END IF;

        IF pg_temp.h(i, 206) % 100 < 10 THEN
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (char_length(name) < 500)',
                           t, r.base || '_name_len_check');
        END IF;

        IF pg_temp.h(i, 207) % 100 < 5 THEN
            SELECT conname INTO obj FROM pg_catalog.pg_constraint
             WHERE conrelid = r.oid AND contype = 'c' AND conname <> r.base || '_name_len_check'
             ORDER BY 1 LIMIT 1;
            IF obj IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', t, obj);
            END IF;
        END IF;

        IF pg_temp.h(i, 211) % 100 < 5 THEN
            SELECT conname INTO obj FROM pg_catalog.pg_constraint
             WHERE conrelid = r.oid AND contype = 'f' ORDER BY 1 LIMIT 1;
            IF obj IS NOT NULL THEN
                EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', t, obj);
            END IF;
        END IF;

        IF pg_temp.h(i, 208) % 100 < 10 THEN
            SELECT polname INTO obj FROM pg_catalog.pg_policy WHERE polrelid = r.oid ORDER BY 1 LIMIT 1;
            IF obj IS NOT NULL THEN
                IF pg_temp.h(i, 217) % 2 = 0 THEN
                    EXECUTE format('ALTER POLICY %I ON %s TO authenticated, anon', obj, t);
                ELSE
                    EXECUTE format('ALTER POLICY %I ON %s %s (created_at > now() - interval ''90 days'')', obj, t,
                                   CASE WHEN (SELECT polcmd FROM pg_catalog.pg_policy
                                               WHERE polrelid = r.oid AND polname = obj) = 'a'
                                        THEN 'WITH CHECK' ELSE 'USING' END);
                END IF;
            END IF;
        END IF;

        IF pg_temp.h(i, 209) % 100 < 5 THEN
            EXECUTE format('CREATE POLICY bench_no_anon ON %s AS RESTRICTIVE FOR SELECT TO anon USING (false)', t);
        END IF;

        IF pg_temp.h(i, 210) % 100 < 5 THEN
            SELECT polname INTO obj FROM pg_catalog.pg_policy
             WHERE polrelid = r.oid AND polname <> 'bench_no_anon' ORDER BY 1 DESC LIMIT 1;
            IF obj IS NOT NULL THEN
                EXECUTE format('DROP POLICY %I ON %s', obj, t);
            END IF;
        END IF;

        IF pg_temp.h(i, 212) % 100 < 5 THEN
            EXECUTE format('COMMENT ON TABLE %s IS %L', t, 'Changed by bench/diff, table ' || i || '.');
        END IF;

        -- its view (every 20th table) and function (every 20th, offset 10)
        IF i % 20 = 0 THEN
            obj := format('%I.%I', r.sch, r.base || '_overview');
            CASE pg_temp.h(i, 213) % 4
                WHEN 0 THEN
                    def := pg_catalog.pg_get_viewdef(obj::regclass);
                    EXECUTE format('CREATE OR REPLACE VIEW %s AS SELECT s.*, 1 AS version FROM (%s) s',
                                   obj, rtrim(def, E'; \n'));
                WHEN 1 THEN
                    EXECUTE format('ALTER VIEW %s SET (security_invoker = %s)', obj,
                                   NOT coalesce((SELECT 'security_invoker=true' = ANY (reloptions)
                                                   FROM pg_catalog.pg_class WHERE oid = obj::regclass), false));
                ELSE NULL;
            END CASE;
        END IF;
        IF i % 20 = 10 AND pg_temp.h(i, 214) % 4 = 0 THEN
            SELECT pg_catalog.pg_get_functiondef(p.oid) INTO def
              FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = r.sch::regnamespace AND p.proname LIKE r.base || '\_%';
            IF def IS NOT NULL THEN
                EXECUTE replace(replace(def, 'count(*)', 'count(id)'), 'RETURN p_id;', 'RETURN p_id + 0;');
            END IF;
        END IF;

        IF n % 25 = 0 THEN
            COMMIT;
        END IF;
    END LOOP;

    -- 1% new tables
    FOR i IN 1 .. greatest(1, n / 100) LOOP
        t := format('public.%I', 'bench_added_' || i);
        EXECUTE format('CREATE TABLE %s (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, '
                       'tenant_id uuid NOT NULL, name text NOT NULL, amount numeric(10,2) DEFAULT 0, '
                       'created_at timestamptz NOT NULL DEFAULT now())', t);
        EXECUTE format('CREATE INDEX %I ON %s (tenant_id, created_at DESC)', 'bench_added_' || i || '_tenant_idx', t);
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %s FOR ALL TO authenticated '
                       'USING (tenant_id = (current_setting(''request.jwt.claims'', true)::jsonb ->> ''tenant_id'')::uuid)', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO authenticated', t);
    END LOOP;
END
$changes$;
