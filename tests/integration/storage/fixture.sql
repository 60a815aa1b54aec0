-- Buckets covering the storage.* audit rules, and traps that must stay quiet.
INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types) VALUES
  ('user-documents', 'user-documents', true, NULL, NULL),            -- private name, no limit, no mime
  ('public-assets', 'public-assets', true, 5242880, '{image/png,image/jpeg}'),  -- trap
  ('private-files', 'private-files', false, 10485760, '{application/pdf}'),     -- trap: owner-scoped
  ('uploads', 'uploads', false, 10485760, NULL),                    -- writes by bucket_id alone
  ('dropbox', 'dropbox', false, 1048576, NULL),                     -- anon may insert
  ('gallery', 'gallery', true, 2097152, '{image/png}'),             -- anon may list
  ('photos', 'photos', false, 2097152, '{image/png}');              -- orphans

CREATE POLICY "private-files read own" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'private-files' AND owner_id = (SELECT auth.uid())::text);
CREATE POLICY "private-files insert own" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'private-files' AND owner_id = (SELECT auth.uid())::text);
CREATE POLICY "private-files update own" ON storage.objects FOR UPDATE TO authenticated
  USING (bucket_id = 'private-files' AND owner_id = (SELECT auth.uid())::text);
CREATE POLICY "private-files delete own" ON storage.objects FOR DELETE TO authenticated
  USING (bucket_id = 'private-files' AND owner_id = (SELECT auth.uid())::text);

CREATE POLICY "uploads insert" ON storage.objects FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'uploads');
CREATE POLICY "uploads read" ON storage.objects FOR SELECT TO authenticated
  USING (bucket_id = 'uploads');
CREATE POLICY "uploads update" ON storage.objects FOR UPDATE TO authenticated
  USING (bucket_id = 'uploads');

CREATE POLICY "dropbox anon insert" ON storage.objects FOR INSERT TO anon
  WITH CHECK (bucket_id = 'dropbox');

CREATE POLICY "gallery list" ON storage.objects FOR SELECT TO anon
  USING (bucket_id = 'gallery');

CREATE POLICY "photos owner" ON storage.objects FOR ALL TO authenticated
  USING (bucket_id IN ('photos') AND auth.uid() = owner);

-- photos: three objects referenced in three spellings, two orphans
CREATE TABLE public.profiles (id int PRIMARY KEY, avatar_path text, bio text);
INSERT INTO storage.objects (bucket_id, name, owner, owner_id, metadata) VALUES
  ('photos', 'u1/a.png', 'a1000000-0000-4000-8000-000000000001', 'a1000000-0000-4000-8000-000000000001', '{"size": 1000, "mimetype": "image/png"}'),
  ('photos', 'u2/b.png', 'a1000000-0000-4000-8000-000000000002', 'a1000000-0000-4000-8000-000000000002', '{"size": 2000, "mimetype": "image/png"}'),
  ('photos', 'u3/c.png', NULL, NULL, '{"size": 3000, "mimetype": "image/png"}'),
  ('photos', 'u4/old.png', NULL, NULL, '{"size": 40000, "mimetype": "image/png"}'),
  ('photos', 'tmp/upload.png', NULL, NULL, '{"size": 50000, "mimetype": "image/png"}'),
  ('public-assets', 'logo.png', NULL, NULL, '{"size": 700, "mimetype": "image/png"}');
INSERT INTO public.profiles VALUES
  (1, 'u1/a.png', 'hello'),
  (2, 'photos/u2/b.png', NULL),
  (3, 'https://abc.supabase.co/storage/v1/object/public/photos/u3/c.png', NULL);
