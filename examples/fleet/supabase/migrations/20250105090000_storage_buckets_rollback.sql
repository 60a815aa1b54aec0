DROP POLICY avatars_public_read ON storage.objects;
DROP POLICY vehicle_photos_tenant_write ON storage.objects;
DROP POLICY vehicle_photos_tenant_read ON storage.objects;
DELETE FROM storage.buckets WHERE id IN ('avatars', 'vehicle-photos', 'private-documents');
