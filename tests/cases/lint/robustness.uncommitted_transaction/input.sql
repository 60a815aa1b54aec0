SET lock_timeout = '5s';
SET statement_timeout = '1min';
BEGIN;
CREATE TABLE IF NOT EXISTS app.items (id bigint PRIMARY KEY);
