SET lock_timeout = '5s';
SET statement_timeout = '1min';
BEGIN;
CREATE INDEX CONCURRENTLY orders_user_idx ON app.orders (user_id);
COMMIT;
-- quiet: outside the transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_day_idx ON app.orders (day);
