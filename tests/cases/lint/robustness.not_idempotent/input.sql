SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE INDEX CONCURRENTLY orders_day_idx ON app.orders (day);
CREATE TABLE app.audit (id bigint PRIMARY KEY);
-- quiet: re-runnable
CREATE TABLE IF NOT EXISTS app.audit2 (id bigint PRIMARY KEY);
DROP INDEX CONCURRENTLY IF EXISTS app.orders_old_idx;
