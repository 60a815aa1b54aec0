SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders DROP COLUMN legacy_code;
