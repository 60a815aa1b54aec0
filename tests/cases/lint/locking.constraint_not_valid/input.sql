SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id);
ALTER TABLE app.orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
-- quiet: NOT VALID
ALTER TABLE app.orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES app.shops (id) NOT VALID;
