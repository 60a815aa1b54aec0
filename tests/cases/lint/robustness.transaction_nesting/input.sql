SET lock_timeout = '5s';
SET statement_timeout = '1min';
BEGIN;
BEGIN;
SELECT 1;
COMMIT;
COMMIT;
