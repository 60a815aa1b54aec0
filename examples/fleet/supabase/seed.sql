-- Seed data for the fleet example: two tenants with users, garages, 22
-- vehicles, photos, events and messages.  Ids are fixed so tests and docs can
-- name rows.  Planted data problems are marked.

INSERT INTO public.tenants (id, name, slug, plan) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'Acme Fleet', 'acme', 'pro'),
  ('b0000000-0000-4000-8000-000000000002', 'Beta Motors', 'beta', 'starter');

INSERT INTO auth.users (id, aud, role, email, created_at) VALUES
  ('0a000000-0000-4000-8000-0000000000a1', 'authenticated', 'authenticated', 'alice@acme.test', '2025-01-01'),
  ('0a000000-0000-4000-8000-0000000000a2', 'authenticated', 'authenticated', 'arno@acme.test', '2025-01-02'),
  ('0b000000-0000-4000-8000-0000000000b1', 'authenticated', 'authenticated', 'bea@beta.test', '2025-01-03')
ON CONFLICT (id) DO NOTHING;  -- auth.users outlives `pgwarden migrate reset`

INSERT INTO public.profiles (id, full_name) VALUES
  ('0a000000-0000-4000-8000-0000000000a1', 'Alice Archer'),
  ('0a000000-0000-4000-8000-0000000000a2', 'Arno Acker'),
  ('0b000000-0000-4000-8000-0000000000b1', 'Bea Bauer');

INSERT INTO public.user_tenants (user_id, tenant_id, role) VALUES
  ('0a000000-0000-4000-8000-0000000000a1', 'a0000000-0000-4000-8000-000000000001', 'owner'),
  ('0a000000-0000-4000-8000-0000000000a2', 'a0000000-0000-4000-8000-000000000001', 'member'),
  ('0b000000-0000-4000-8000-0000000000b1', 'b0000000-0000-4000-8000-000000000002', 'owner');

INSERT INTO public.garages (id, tenant_id, name, city) VALUES
  ('6a000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'Acme North', 'Hamburg'),
  ('6a000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000001', 'Acme South', 'Munich'),
  ('6b000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'Beta Central', 'Vienna'),
  ('6b000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002', 'Beta East', 'Graz');

-- 22 vehicles: 12 for Acme, 10 for Beta; every one has its tenant.
INSERT INTO public.vehicles (id, tenant_id, garage_id, vin, make, model, year, mileage_km)
SELECT ('7e000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i <= 12 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       CASE WHEN i <= 12 THEN ('6a000000-0000-4000-8000-00000000000' || (1 + i % 2))::uuid
            ELSE ('6b000000-0000-4000-8000-00000000000' || (1 + i % 2))::uuid END,
       'WVWZZZ1JZ' || lpad(i::text, 8, '0'),
       (ARRAY['Volkswagen', 'Ford', 'Toyota', 'Skoda'])[1 + i % 4],
       (ARRAY['Golf', 'Transit', 'Corolla', 'Octavia'])[1 + i % 4],
       2015 + i % 9,
       10000 * i
FROM generate_series(1, 22) AS i;

-- 12 images; planted: the last 3 have no tenant_id.
INSERT INTO public.vehicle_images (id, tenant_id, vehicle_id, storage_path, caption)
SELECT ('1a000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i > 9 THEN NULL
            WHEN i <= 6 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       ('7e000000-0000-4000-8000-' || lpad((CASE WHEN i <= 6 THEN i ELSE i + 6 END)::text, 12, '0'))::uuid,
       'vehicle-photos/' || i || '.jpg',
       'photo ' || i
FROM generate_series(1, 12) AS i;

-- 15 service events (in the table without row-level security).
INSERT INTO public.vehicle_events (id, tenant_id, vehicle_id, kind, notes, occurred_at)
SELECT ('ee000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i <= 8 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       ('7e000000-0000-4000-8000-' || lpad((CASE WHEN i <= 8 THEN i ELSE i + 5 END)::text, 12, '0'))::uuid,
       (ARRAY['service', 'inspection', 'damage', 'tyres'])[1 + i % 4],
       'event ' || i,
       timestamptz '2025-03-01' + i * interval '1 day'
FROM generate_series(1, 15) AS i;

INSERT INTO public.capture_sessions (id, tenant_id, vehicle_id, started_by, started_at, finished_at)
SELECT ('c5000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i <= 3 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       ('7e000000-0000-4000-8000-' || lpad((CASE WHEN i <= 3 THEN i ELSE i + 10 END)::text, 12, '0'))::uuid,
       CASE WHEN i <= 3 THEN '0a000000-0000-4000-8000-0000000000a1'::uuid
            ELSE '0b000000-0000-4000-8000-0000000000b1'::uuid END,
       timestamptz '2025-03-10' + i * interval '1 hour',
       timestamptz '2025-03-10' + i * interval '1 hour' + interval '20 minutes'
FROM generate_series(1, 6) AS i;

-- 10 event photos; planted: photos 8-10 point at capture sessions that do
-- not exist (no foreign key stopped them).
INSERT INTO public.event_photos (id, tenant_id, event_id, capture_session_id, storage_path)
SELECT ('ef000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i <= 5 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       ('ee000000-0000-4000-8000-' || lpad((CASE WHEN i <= 5 THEN i ELSE i + 4 END)::text, 12, '0'))::uuid,
       CASE WHEN i >= 8 THEN ('dead0000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid
            WHEN i <= 5 THEN ('c5000000-0000-4000-8000-' || lpad((1 + i % 3)::text, 12, '0'))::uuid
            ELSE ('c5000000-0000-4000-8000-' || lpad((4 + i % 3)::text, 12, '0'))::uuid END,
       'vehicle-photos/events/' || i || '.jpg'
FROM generate_series(1, 10) AS i;

INSERT INTO public.photo_metadata (photo_id, width, height, exif)
SELECT ('ef000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 4032, 3024,
       jsonb_build_object('camera', 'Pixel 8', 'iso', 100 * i)
FROM generate_series(1, 8) AS i;

-- 9 messages; planted: 2 without a tenant.
INSERT INTO public.conversation_messages (id, tenant_id, vehicle_id, author_id, body)
SELECT ('3e000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i IN (4, 9) THEN NULL
            WHEN i <= 5 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       ('7e000000-0000-4000-8000-' || lpad((CASE WHEN i <= 5 THEN i ELSE i + 8 END)::text, 12, '0'))::uuid,
       CASE WHEN i <= 5 THEN '0a000000-0000-4000-8000-0000000000a1'::uuid
            ELSE '0b000000-0000-4000-8000-0000000000b1'::uuid END,
       'message ' || i
FROM generate_series(1, 9) AS i;

INSERT INTO public.vehicle_spec_enhancements (tenant_id, vehicle_id, source, specs)
SELECT CASE WHEN i <= 3 THEN 'a0000000-0000-4000-8000-000000000001'::uuid
            ELSE 'b0000000-0000-4000-8000-000000000002'::uuid END,
       ('7e000000-0000-4000-8000-' || lpad((CASE WHEN i <= 3 THEN i ELSE i + 12 END)::text, 12, '0'))::uuid,
       'vin-decoder',
       jsonb_build_object('engine', '1.5 TSI', 'power_kw', 96 + i)
FROM generate_series(1, 5) AS i;

INSERT INTO storage.objects (bucket_id, name, owner, metadata)
SELECT 'vehicle-photos',
       'a0000000-0000-4000-8000-000000000001/' || i || '.jpg',
       '0a000000-0000-4000-8000-0000000000a1',
       jsonb_build_object('size', 200000 + i, 'mimetype', 'image/jpeg')
FROM generate_series(1, 6) AS i
ON CONFLICT (bucket_id, name) DO NOTHING;
