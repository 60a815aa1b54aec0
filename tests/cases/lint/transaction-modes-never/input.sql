SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- each statement commits on its own: re-running must be safe
CREATE TABLE app.audit (id bigint PRIMARY KEY);
ALTER TABLE app.audit ADD COLUMN IF NOT EXISTS note text;
ALTER TABLE app.orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES app.users (id) NOT VALID;
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_user_fk;
