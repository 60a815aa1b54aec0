SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY);
VACUUM FULL app.orders;
