SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- before PostgreSQL 11 every default rewrites the table
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS flag boolean DEFAULT false;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();
-- quiet: no default
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS note text;
