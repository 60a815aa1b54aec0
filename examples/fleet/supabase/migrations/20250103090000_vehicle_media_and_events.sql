-- Photos and service events.  Written in a hurry: several planted problems.

CREATE TABLE public.vehicle_images (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- planted: nullable tenant column (some rows have none)
  tenant_id uuid REFERENCES public.tenants (id),
  vehicle_id uuid NOT NULL REFERENCES public.vehicles (id) ON DELETE CASCADE,
  storage_path text NOT NULL,
  caption text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vehicle_images_vehicle_id_idx ON public.vehicle_images (vehicle_id);
CREATE INDEX vehicle_images_tenant_id_idx ON public.vehicle_images (tenant_id);

-- planted: tenant column, but row-level security never enabled
CREATE TABLE public.vehicle_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id),
  -- planted: foreign key without an index
  vehicle_id uuid NOT NULL REFERENCES public.vehicles (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('service', 'inspection', 'damage', 'tyres')),
  notes text,
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vehicle_events_tenant_id_idx ON public.vehicle_events (tenant_id);

CREATE TABLE public.capture_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id),
  vehicle_id uuid NOT NULL REFERENCES public.vehicles (id) ON DELETE CASCADE,
  started_by uuid REFERENCES auth.users (id),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX capture_sessions_vehicle_id_idx ON public.capture_sessions (vehicle_id);
CREATE INDEX capture_sessions_tenant_id_idx ON public.capture_sessions (tenant_id);
CREATE INDEX capture_sessions_started_by_idx ON public.capture_sessions (started_by);

CREATE TABLE public.event_photos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id),
  -- planted: foreign key without an index
  event_id uuid NOT NULL REFERENCES public.vehicle_events (id) ON DELETE CASCADE,
  -- planted: names capture_sessions but has no foreign key (orphans exist)
  capture_session_id uuid,
  storage_path text NOT NULL,
  taken_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_photos_tenant_id_idx ON public.event_photos (tenant_id);

-- planted: no tenant column at all, though every row belongs to a tenant's photo
CREATE TABLE public.photo_metadata (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  photo_id uuid NOT NULL REFERENCES public.event_photos (id) ON DELETE CASCADE,
  width integer,
  height integer,
  exif jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX photo_metadata_photo_id_idx ON public.photo_metadata (photo_id);

ALTER TABLE public.vehicle_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.capture_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.event_photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.photo_metadata ENABLE ROW LEVEL SECURITY;

-- planted: policies that let every signed-in user see every tenant's rows
CREATE POLICY vehicle_images_read ON public.vehicle_images
  FOR SELECT TO authenticated USING (true);
CREATE POLICY capture_sessions_all ON public.capture_sessions
  FOR ALL TO authenticated USING (true) WITH CHECK (true);
CREATE POLICY photo_metadata_read ON public.photo_metadata
  FOR SELECT TO authenticated USING (true);

CREATE POLICY event_photos_tenant_isolation ON public.event_photos
  FOR ALL TO authenticated
  USING (tenant_id IN (SELECT public.user_tenant_ids()))
  WITH CHECK (tenant_id IN (SELECT public.user_tenant_ids()));
