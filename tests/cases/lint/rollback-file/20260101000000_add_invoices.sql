SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE SCHEMA IF NOT EXISTS billing;
CREATE TABLE IF NOT EXISTS billing.invoices (id bigint PRIMARY KEY);
ALTER TABLE billing.invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS invoice_id bigint;
ALTER TABLE app.orders ALTER COLUMN note TYPE text;
