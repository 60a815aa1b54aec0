SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE DOMAIN app.positive AS int CHECK (VALUE > 0);
CREATE DOMAIN app.label AS text;
