SET lock_timeout = '5s';
SET app.statement_timeout = '1min';
COMMENT ON TABLE app.orders IS 'orders';
