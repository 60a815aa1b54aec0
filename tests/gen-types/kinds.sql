-- Every object kind `pgwarden gen types` renders, for the tsc and the
-- Supabase-generator comparison tests (tests/integration/test_gen_types.sh).
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy', 'very happy');
CREATE TYPE public.address AS (street text, zip integer, tags text[], m public.mood);
CREATE DOMAIN public.email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN public.positive AS numeric CHECK (VALUE > 0);

CREATE TABLE public.people (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email public.email,
    mood public.mood NOT NULL DEFAULT 'ok',
    moods public.mood[],
    home public.address,
    score numeric(10,2),
    weight real,
    big int8 DEFAULT 0 NOT NULL,
    small smallint,
    flag boolean NOT NULL,
    data jsonb,
    raw json NOT NULL DEFAULT '{}',
    born date,
    seen timestamptz DEFAULT now(),
    at_time time,
    span interval,
    uid uuid NOT NULL DEFAULT gen_random_uuid(),
    blob bytea,
    ip inet,
    tags text[] NOT NULL DEFAULT '{}',
    grid integer[][],
    amount public.positive,
    cash money,
    vec tsvector,
    upper_name text GENERATED ALWAYS AS (upper(name)) STORED,
    "Weird ""Col""" text,
    "select" integer,
    "with space" text,
    "名前" text
);

CREATE TABLE public.profiles (
    person_id bigint PRIMARY KEY REFERENCES public.people(id),
    bio text
);

CREATE TABLE public.posts (
    id serial PRIMARY KEY,
    author bigint NOT NULL REFERENCES public.people(id) ON DELETE CASCADE,
    editor bigint,
    title varchar(200) NOT NULL,
    CONSTRAINT posts_editor_fkey FOREIGN KEY (editor) REFERENCES public.people(id)
);

CREATE TABLE public.pairs (
    a integer NOT NULL,
    b integer NOT NULL,
    note text,
    PRIMARY KEY (a, b)
);
CREATE TABLE public.pair_notes (
    id integer PRIMARY KEY,
    a integer,
    b integer,
    FOREIGN KEY (a, b) REFERENCES public.pairs(a, b)
);

CREATE TABLE public."Odd Table" (
    "ID" integer PRIMARY KEY,
    "x'y" text
);

CREATE VIEW public.people_names AS SELECT id, name, mood FROM public.people;
CREATE VIEW public.post_counts AS
    SELECT p.id, p.name, count(po.id) AS posts
    FROM public.people p LEFT JOIN public.posts po ON po.author = p.id GROUP BY p.id;
CREATE MATERIALIZED VIEW public.mood_stats AS SELECT mood, count(*) AS n FROM public.people GROUP BY mood;

CREATE FUNCTION public.add(a integer, b integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION public.add(a text, b text) RETURNS text
    LANGUAGE sql IMMUTABLE AS 'SELECT a || b';
CREATE FUNCTION public.greet(name text, greeting text DEFAULT 'hello') RETURNS text
    LANGUAGE sql AS 'SELECT greeting || '' '' || name';
CREATE FUNCTION public.now_utc() RETURNS timestamptz LANGUAGE sql AS 'SELECT now()';
CREATE FUNCTION public.people_by_mood(m public.mood) RETURNS SETOF public.people
    LANGUAGE sql STABLE AS 'SELECT * FROM public.people WHERE mood = m';
CREATE FUNCTION public.ids(n integer) RETURNS SETOF integer
    LANGUAGE sql AS 'SELECT generate_series(1, n)';
CREATE FUNCTION public.search(q text) RETURNS TABLE(id bigint, name text, rank real)
    LANGUAGE sql AS 'SELECT id, name, 1::real FROM public.people WHERE name LIKE q';
CREATE FUNCTION public.split(x integer, OUT half integer, OUT rest integer)
    LANGUAGE sql AS 'SELECT x / 2, x % 2';
CREATE FUNCTION public.touch() RETURNS void LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION public.total(VARIADIC nums integer[]) RETURNS integer
    LANGUAGE sql AS 'SELECT sum(n)::integer FROM unnest(nums) n';
CREATE FUNCTION public.get_mood(p public.people) RETURNS public.mood
    LANGUAGE sql AS 'SELECT p.mood';
CREATE FUNCTION public.info(j jsonb) RETURNS json LANGUAGE sql AS 'SELECT j::json';
CREATE FUNCTION public.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE PROCEDURE public.noop() LANGUAGE sql AS 'SELECT 1';

CREATE SCHEMA other;
CREATE TYPE other.status AS ENUM ('on', 'off');
CREATE TABLE other.things (
    id integer PRIMARY KEY,
    status other.status NOT NULL,
    owner bigint REFERENCES public.people(id)
);
