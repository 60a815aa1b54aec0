-- pgwarden:ignore-file locking.lock_timeout_missing, locking.statement_timeout_missing
/* pgwarden:ignore destructive.drop_column */
ALTER TABLE app.orders DROP COLUMN legacy;
ALTER TABLE app.orders DROP COLUMN other; -- pgwarden:ignore destructive.drop_column
ALTER TABLE app.orders DROP COLUMN third;
