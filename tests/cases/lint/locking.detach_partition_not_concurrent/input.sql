SET lock_timeout = '5s';
SET statement_timeout = '1min';
ALTER TABLE app.events DETACH PARTITION app.events_2020;
-- quiet
ALTER TABLE app.events DETACH PARTITION app.events_2021 CONCURRENTLY;
