SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS app.invoices (id bigint PRIMARY KEY, code char(8));
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS invoice_id bigint;
ALTER TABLE app.orders RENAME COLUMN ref TO reference;

-- pgwarden:down
SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- quiet: undoing the forward part is the rollback's job
ALTER TABLE app.orders RENAME COLUMN reference TO ref;
ALTER TABLE app.orders DROP COLUMN IF EXISTS invoice_id;
DROP TABLE IF EXISTS app.invoices;
-- reported: the forward part did not create these, and locks still matter
ALTER TABLE app.orders DROP COLUMN IF EXISTS total;
DROP TABLE IF EXISTS app.customers;
CREATE INDEX orders_ref_idx ON app.orders (ref);
