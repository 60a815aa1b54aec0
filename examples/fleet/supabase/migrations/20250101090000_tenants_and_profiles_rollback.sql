DROP TABLE public.user_tenants;
DROP TABLE public.profiles;
DROP TABLE public.tenants;
DROP FUNCTION public.user_tenant_ids();
