SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS app.items (id bigint PRIMARY KEY, created timestamp, updated timestamptz);
