SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- the tool wraps the file: CONCURRENTLY fails, VALIDATE shares the ADD's transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_day_idx ON app.orders (day);
ALTER TABLE app.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id) NOT VALID;
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_user_fk;
