SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER DOMAIN app.positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);
-- quiet
ALTER DOMAIN app.amount ADD CONSTRAINT amount_check CHECK (VALUE >= 0) NOT VALID;
