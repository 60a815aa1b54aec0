SET lock_timeout = '5s';
SET statement_timeout = '1min';
REINDEX INDEX app.orders_user_idx;
-- quiet
REINDEX INDEX CONCURRENTLY app.orders_user_idx;
