SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- PostgreSQL 19 has REPACK: the hint names it
VACUUM FULL app.orders;
CLUSTER app.orders USING orders_pkey;
CLUSTER;
-- quiet
VACUUM (FULL false) app.orders;
VACUUM ANALYZE app.orders;
