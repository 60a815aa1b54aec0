SET lock_timeout = '5s';
SET statement_timeout = '1min';
UPDATE app.orders SET total = 1, total = 2;
-- quiet
UPDATE app.orders SET total = 1, note = 'x';
