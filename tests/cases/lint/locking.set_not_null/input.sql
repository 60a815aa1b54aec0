SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ALTER COLUMN user_id SET NOT NULL;
-- quiet: a validated CHECK proves it first
ALTER TABLE app.orders ADD CONSTRAINT orders_shop_nn CHECK (shop_id IS NOT NULL) NOT VALID;
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_shop_nn;
ALTER TABLE app.orders ALTER COLUMN shop_id SET NOT NULL;
