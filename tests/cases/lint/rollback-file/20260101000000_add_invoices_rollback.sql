SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- quiet: what the forward migration created, and the old column type
ALTER TABLE app.orders DROP COLUMN IF EXISTS invoice_id;
DROP TABLE IF EXISTS billing.invoices;
DROP SCHEMA IF EXISTS billing;
CREATE TABLE IF NOT EXISTS app.notes_backup (note varchar(200));
-- reported: the forward migration did not create it
DROP TABLE IF EXISTS app.orders;
-- the column type change back still rewrites the table
ALTER TABLE app.orders ALTER COLUMN note TYPE varchar(200);
