SET lock_timeout = '5s';
SET statement_timeout = '1min';
DROP INDEX app.orders_user_idx;
-- quiet
DROP INDEX CONCURRENTLY IF EXISTS app.orders_old_idx;
