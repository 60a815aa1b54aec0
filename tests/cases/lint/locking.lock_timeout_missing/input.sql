SET statement_timeout = '1min';
SELECT count(*) FROM app.orders;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS note text;
-- reported once per file
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS memo text;
