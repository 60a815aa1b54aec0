SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE POLICY notes_write ON public.notes FOR UPDATE USING (true) WITH CHECK (true);
CREATE POLICY notes_read ON public.notes FOR SELECT USING (true);
CREATE POLICY notes_own ON public.notes FOR DELETE USING (owner = auth.uid());
