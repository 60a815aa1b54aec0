SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ALTER COLUMN note DROP NOT NULL;
