DROP TABLE public.vehicle_spec_enhancements;
DROP TABLE public.conversation_messages;
