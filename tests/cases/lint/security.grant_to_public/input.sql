SET lock_timeout = '5s';
SET statement_timeout = '1min';
GRANT ALL ON TABLE app.orders TO anon;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO PUBLIC;
GRANT SELECT ON TABLE app.orders TO anon;
