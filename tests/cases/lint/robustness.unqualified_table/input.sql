SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
-- quiet: qualified, or temporary
CREATE TABLE IF NOT EXISTS app.orders (id bigint PRIMARY KEY);
CREATE TEMP TABLE scratch (id bigint);
