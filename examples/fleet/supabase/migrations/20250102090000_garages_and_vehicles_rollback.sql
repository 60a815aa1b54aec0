DROP TABLE public.vehicles;
DROP TABLE public.garages;
