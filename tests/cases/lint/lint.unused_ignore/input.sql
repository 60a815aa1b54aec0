SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- pgwarden:ignore destructive.drop_table
DROP TABLE app.orders;
-- pgwarden:ignore destructive.drop_column
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS note text;
SELECT 1; -- pgwarden:ignore no.such_rule
