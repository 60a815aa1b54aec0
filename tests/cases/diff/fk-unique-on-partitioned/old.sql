CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE orders (id int NOT NULL, account int, region text NOT NULL, code text) PARTITION BY LIST (region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
CREATE TABLE lines (order_id int, region text);
