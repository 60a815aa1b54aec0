-- A Supabase project's migrations that own objects outside their managed
-- schema (public): a trigger on auth.users calling a function in public,
-- tables in the supabase_realtime publication and in a publication of
-- their own, an event trigger, and default privileges that take EXECUTE
-- away from the API roles.  Loaded into a database with the Supabase
-- basics (pgwarden local --supabase).

-- Functions are not callable by the API roles unless granted one by one.
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public
  REVOKE EXECUTE ON FUNCTIONS FROM anon, authenticated;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE TABLE public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  display_name text,
  -- pgcrypto lives in the extensions schema, called unqualified as a
  -- Supabase project's migrations do
  invite_code text NOT NULL DEFAULT encode(gen_random_bytes(9), 'hex')
);
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profiles_own ON public.profiles FOR ALL TO authenticated
  USING (id = auth.uid()) WITH CHECK (id = auth.uid());
REVOKE ALL ON public.profiles FROM anon;

CREATE FUNCTION public.handle_new_user() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
  INSERT INTO public.profiles (id, display_name)
  VALUES (NEW.id, NEW.raw_user_meta_data ->> 'name');
  RETURN NEW;
END
$$;

CREATE TRIGGER on_auth_user_created
  AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();

-- callable by signed-in users only
CREATE FUNCTION public.my_display_name() RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT display_name FROM public.profiles WHERE id = auth.uid() $$;
GRANT EXECUTE ON FUNCTION public.my_display_name() TO authenticated;

CREATE TABLE public.messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author uuid NOT NULL REFERENCES public.profiles (id),
  body text NOT NULL,
  internal_note text,
  sent_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;

ALTER PUBLICATION supabase_realtime ADD TABLE public.messages;
CREATE PUBLICATION app_audit FOR TABLE public.messages (id, author, body) WHERE (body <> '')
  WITH (publish = 'insert, update');

CREATE FUNCTION public.log_ddl() RETURNS event_trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE NOTICE 'ddl: %', tg_tag;
END
$$;
CREATE EVENT TRIGGER app_log_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION public.log_ddl();
ALTER EVENT TRIGGER app_log_ddl DISABLE;
