SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS public.notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner uuid NOT NULL DEFAULT auth.uid(),
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON public.notes FOR ALL
    USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());
CREATE INDEX IF NOT EXISTS notes_owner_idx ON public.notes (owner);
CREATE FUNCTION public.note_count() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    BEGIN ATOMIC
        SELECT count(*) FROM public.notes WHERE owner = auth.uid();
    END;
COPY public.notes (body) FROM stdin;
first; with a semicolon
it's got a quote
\.
