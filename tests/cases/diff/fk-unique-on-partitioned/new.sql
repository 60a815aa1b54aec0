CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE orders (id int NOT NULL, account int REFERENCES accounts (id) ON DELETE CASCADE, region text NOT NULL, code text) PARTITION BY LIST (region);
ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id, region);
ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code, region);
CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
CREATE TABLE lines (order_id int, region text, FOREIGN KEY (order_id, region) REFERENCES orders (id, region));
