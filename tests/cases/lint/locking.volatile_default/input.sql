SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
-- quiet: constant and stable defaults
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS flag boolean DEFAULT false;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS seen timestamptz DEFAULT now();
