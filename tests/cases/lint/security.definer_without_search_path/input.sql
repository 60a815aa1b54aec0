SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE FUNCTION app.whoami() RETURNS text LANGUAGE sql SECURITY DEFINER AS $$ SELECT current_user $$;
CREATE FUNCTION app.whoami2() RETURNS text LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT current_user $$;
