-- Storage buckets and their object policies.

INSERT INTO storage.buckets (id, name, public, file_size_limit, allowed_mime_types) VALUES
  ('avatars', 'avatars', true, 1048576, ARRAY['image/png', 'image/jpeg', 'image/webp']),
  -- planted: no size limit and no MIME restriction on a bucket users upload to
  ('vehicle-photos', 'vehicle-photos', false, NULL, NULL),
  -- planted: a public bucket whose name says it is private
  ('private-documents', 'private-documents', true, 10485760, ARRAY['application/pdf'])
-- rows outside the managed schemas survive `migrate reset`: keep this re-runnable
ON CONFLICT (id) DO NOTHING;

-- Objects live under <tenant_id>/... in vehicle-photos.  storage.objects is
-- outside the managed schemas too, so its policies are dropped first.
DROP POLICY IF EXISTS vehicle_photos_tenant_read ON storage.objects;
DROP POLICY IF EXISTS vehicle_photos_tenant_write ON storage.objects;
DROP POLICY IF EXISTS avatars_public_read ON storage.objects;

CREATE POLICY vehicle_photos_tenant_read ON storage.objects
  FOR SELECT TO authenticated
  USING (bucket_id = 'vehicle-photos'
         AND (storage.foldername(name))[1]::uuid IN (SELECT public.user_tenant_ids()));

CREATE POLICY vehicle_photos_tenant_write ON storage.objects
  FOR INSERT TO authenticated
  WITH CHECK (bucket_id = 'vehicle-photos'
              AND (storage.foldername(name))[1]::uuid IN (SELECT public.user_tenant_ids()));

CREATE POLICY avatars_public_read ON storage.objects
  FOR SELECT TO anon, authenticated
  USING (bucket_id = 'avatars');
