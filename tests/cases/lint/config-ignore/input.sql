SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- both silenced by pgwarden.conf's ignore list
DROP TABLE app.orders;
CREATE TABLE IF NOT EXISTS app.items (id bigint PRIMARY KEY, code char(2));
-- still reported
TRUNCATE app.sessions;
