SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE TABLE IF NOT EXISTS app.items (id int PRIMARY KEY, owner_id integer, qty int);
CREATE TABLE IF NOT EXISTS app.tags (tag_key int4, PRIMARY KEY (tag_key));
CREATE TABLE IF NOT EXISTS app.accounts (id bigint PRIMARY KEY);
CREATE TABLE IF NOT EXISTS app.orders (id bigint PRIMARY KEY, item_id int REFERENCES app.items (id), account_id int REFERENCES app.accounts, tag int, FOREIGN KEY (tag) REFERENCES app.tags);
