SET lock_timeout = '5s';
SET statement_timeout = '1min';
BEGIN;
ALTER TYPE app.status ADD VALUE 'archived' AFTER 'done';
UPDATE app.orders SET status = 'archived' WHERE closed;
COMMIT;
-- quiet: used in a later transaction
ALTER TYPE app.status ADD VALUE 'held' BEFORE 'done';
UPDATE app.orders SET status = 'held' WHERE blocked;
