SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS public.notes (id bigint PRIMARY KEY, body text);
-- a plain project (no pgwarden.conf, no supabase/ folder) exposes nothing: notes is info
-- quiet: RLS enabled in the same file, or a schema other than public
CREATE TABLE IF NOT EXISTS public.docs (id bigint PRIMARY KEY, body text);
ALTER TABLE public.docs ENABLE ROW LEVEL SECURITY;
CREATE TABLE IF NOT EXISTS app.internal (id bigint PRIMARY KEY);
