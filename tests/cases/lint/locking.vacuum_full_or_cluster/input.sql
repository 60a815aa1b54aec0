SET lock_timeout = '5s';
SET statement_timeout = '1min';
VACUUM FULL app.orders;
CLUSTER app.orders USING orders_pkey;
-- quiet
VACUUM (ANALYZE) app.orders;
VACUUM (FULL false) app.orders;
