-- Tenants (the companies using the app), user profiles and memberships.
-- Every other tenant-owned table points at tenants.id through tenant_id.

CREATE TABLE public.tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  slug text NOT NULL UNIQUE,
  plan text NOT NULL DEFAULT 'starter' CHECK (plan IN ('starter', 'pro', 'enterprise')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.profiles (
  id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
  full_name text,
  avatar_url text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.user_tenants (
  user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX user_tenants_tenant_id_idx ON public.user_tenants (tenant_id);

-- The tenants the signed-in user belongs to; SECURITY DEFINER so policies can
-- use it without recursing into user_tenants' own policies.
CREATE FUNCTION public.user_tenant_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
AS $$
  SELECT tenant_id FROM public.user_tenants WHERE user_id = auth.uid()
$$;

ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_tenants ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenants_member_read ON public.tenants
  FOR SELECT TO authenticated
  USING (id IN (SELECT public.user_tenant_ids()));

CREATE POLICY profiles_self ON public.profiles
  FOR ALL TO authenticated
  USING (id = (SELECT auth.uid()))
  WITH CHECK (id = (SELECT auth.uid()));

CREATE POLICY user_tenants_self ON public.user_tenants
  FOR SELECT TO authenticated
  USING (user_id = (SELECT auth.uid()));
