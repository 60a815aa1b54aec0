SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE POLICY notes_edit ON public.notes FOR UPDATE USING (owner = auth.uid());
CREATE POLICY notes_add ON public.notes FOR INSERT WITH CHECK (owner = auth.uid());
