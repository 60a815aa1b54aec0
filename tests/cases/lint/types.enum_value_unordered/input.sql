SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TYPE app.status ADD VALUE 'archived';
ALTER TYPE app.status ADD VALUE 'held' BEFORE 'done';
