-- Garages and the vehicles they service.  Both isolated per tenant.

CREATE TABLE public.garages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  name text NOT NULL,
  city text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX garages_tenant_id_idx ON public.garages (tenant_id);

CREATE TABLE public.vehicles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  -- planted: a foreign key without an index (deletes on garages scan vehicles)
  garage_id uuid REFERENCES public.garages (id) ON DELETE SET NULL,
  vin text NOT NULL,
  make text NOT NULL,
  model text NOT NULL,
  year integer CHECK (year BETWEEN 1950 AND 2100),
  mileage_km integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, vin)
);

ALTER TABLE public.garages ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.vehicles ENABLE ROW LEVEL SECURITY;

CREATE POLICY garages_tenant_isolation ON public.garages
  FOR ALL TO authenticated
  USING (tenant_id IN (SELECT public.user_tenant_ids()))
  WITH CHECK (tenant_id IN (SELECT public.user_tenant_ids()));

CREATE POLICY vehicles_tenant_isolation ON public.vehicles
  FOR ALL TO authenticated
  USING (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid))
  WITH CHECK (tenant_id = (SELECT current_setting('app.current_tenant_id', true)::uuid));
