SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ALTER COLUMN total TYPE numeric(12,2);
-- quiet: a table created in this file
CREATE TABLE IF NOT EXISTS app.items (id bigint PRIMARY KEY, price int);
ALTER TABLE app.items ALTER COLUMN price TYPE bigint;
