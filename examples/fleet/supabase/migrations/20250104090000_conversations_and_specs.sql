-- Chat with the workshop, and spec data enriched by a background job.

CREATE TABLE public.conversation_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- planted: nullable tenant column, NULLs in the data
  tenant_id uuid REFERENCES public.tenants (id),
  vehicle_id uuid REFERENCES public.vehicles (id) ON DELETE CASCADE,
  author_id uuid REFERENCES auth.users (id),
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_messages_vehicle_id_idx ON public.conversation_messages (vehicle_id);
CREATE INDEX conversation_messages_tenant_id_idx ON public.conversation_messages (tenant_id);
CREATE INDEX conversation_messages_author_id_idx ON public.conversation_messages (author_id);

CREATE TABLE public.vehicle_spec_enhancements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES public.tenants (id),
  -- planted: foreign key without an index
  vehicle_id uuid NOT NULL REFERENCES public.vehicles (id) ON DELETE CASCADE,
  source text NOT NULL,
  specs jsonb NOT NULL,
  fetched_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vehicle_spec_enhancements_tenant_id_idx ON public.vehicle_spec_enhancements (tenant_id);

ALTER TABLE public.conversation_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.vehicle_spec_enhancements ENABLE ROW LEVEL SECURITY;

-- planted: readable and writable by anyone signed in, any tenant
CREATE POLICY conversation_messages_all ON public.conversation_messages
  FOR ALL TO authenticated USING (true) WITH CHECK (true);

CREATE POLICY vehicle_spec_enhancements_tenant_isolation ON public.vehicle_spec_enhancements
  FOR ALL TO authenticated
  USING (tenant_id IN (SELECT public.user_tenant_ids()))
  WITH CHECK (tenant_id IN (SELECT public.user_tenant_ids()));
