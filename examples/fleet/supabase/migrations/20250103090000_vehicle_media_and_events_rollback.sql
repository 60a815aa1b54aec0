DROP TABLE public.photo_metadata;
DROP TABLE public.event_photos;
DROP TABLE public.capture_sessions;
DROP TABLE public.vehicle_events;
DROP TABLE public.vehicle_images;
