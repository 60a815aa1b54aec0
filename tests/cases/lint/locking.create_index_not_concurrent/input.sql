SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE INDEX orders_user_idx ON app.orders (user_id);
-- quiet: concurrently, or a table created in this file
CREATE TABLE IF NOT EXISTS app.items (id bigint PRIMARY KEY, name text);
CREATE INDEX items_name_idx ON app.items (name);
