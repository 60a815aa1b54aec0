SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ADD CONSTRAINT orders_ref_key UNIQUE (ref);
-- quiet: the index was built concurrently first
ALTER TABLE app.orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_idx;
