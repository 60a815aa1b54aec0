SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS app.items (id bigserial PRIMARY KEY);
CREATE TABLE IF NOT EXISTS app.tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
