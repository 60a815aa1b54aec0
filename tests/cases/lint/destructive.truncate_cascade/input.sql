SET lock_timeout = '5s';
SET statement_timeout = '1min';
TRUNCATE app.users CASCADE;
-- one finding per statement, naming every table
TRUNCATE app.orders, app.invoices CASCADE;
