SET lock_timeout = '5s';
SET statement_timeout = '1min';
BEGIN;
ALTER TABLE app.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id) NOT VALID;
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_user_fk;
COMMIT;
-- quiet: validated in a transaction of its own
ALTER TABLE app.orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES app.shops (id) NOT VALID;
BEGIN;
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_shop_fk;
COMMIT;
