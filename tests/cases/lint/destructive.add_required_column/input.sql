SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ADD COLUMN region text NOT NULL;
-- quiet: a default, or a generated column
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'web';
