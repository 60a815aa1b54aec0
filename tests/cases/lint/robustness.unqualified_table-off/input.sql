SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE TABLE order_totals AS SELECT 1 AS total;
DROP TABLE IF EXISTS old_orders;
-- quiet: qualified, or temporary
CREATE TABLE IF NOT EXISTS app.orders (id bigint PRIMARY KEY);
CREATE TEMP TABLE scratch (id bigint);
CREATE TEMP TABLE scratch_totals AS SELECT 1 AS total;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS note text;
