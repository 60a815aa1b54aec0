SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS public.notes (id bigint PRIMARY KEY, body text);
-- quiet: RLS enabled in the same file, or a schema the API does not expose
CREATE TABLE IF NOT EXISTS public.docs (id bigint PRIMARY KEY, body text);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE TABLE IF NOT EXISTS app.internal (id bigint PRIMARY KEY);
