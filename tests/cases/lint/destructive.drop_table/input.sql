SET lock_timeout = '5s';
SET statement_timeout = '1min';
DROP TABLE app.orders;
-- quiet: created in this file
CREATE TABLE IF NOT EXISTS app.scratch (id bigint PRIMARY KEY);
DROP TABLE app.scratch;
