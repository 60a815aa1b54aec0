SET lock_timeout = '5s';
SET statement_timeout = '1min';
MERGE INTO app.orders o USING app.staged s ON o.id = s.id
WHEN MATCHED THEN UPDATE SET total = s.total, total = 0
WHEN NOT MATCHED THEN INSERT (id, total, id) VALUES (s.id, s.total, s.id);
CREATE VIEW app.order_view (id, id) AS SELECT 1, 2;
CREATE TABLE app.order_copy (id, id) AS SELECT 1, 2;
-- quiet: distinct names, or distinct fields of one composite column
MERGE INTO app.orders o USING app.staged s ON o.id = s.id
WHEN MATCHED THEN UPDATE SET total = s.total, note = 'x'
WHEN NOT MATCHED THEN INSERT (addr.street, addr.city) VALUES ('a', 'b');
CREATE VIEW app.order_view2 (a, b) AS SELECT 1 AS x, 2 AS x;
