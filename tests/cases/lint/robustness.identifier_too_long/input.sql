SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS app.customer_subscription_billing_history_entries_for_reporting_purposes (id bigint PRIMARY KEY);
-- quiet: exactly 63 bytes
CREATE TABLE IF NOT EXISTS app.abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefgh (id bigint PRIMARY KEY);
