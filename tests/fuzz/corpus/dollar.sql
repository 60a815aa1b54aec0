DO $x$ BEGIN PERFORM 1; END $x$;
SELECT $$a;b$$;
