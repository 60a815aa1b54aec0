SET lock_timeout = '5s';
SET statement_timeout = '1min';
TRUNCATE app.sessions;
