CREATE TABLE r (id int NOT NULL, v int, CONSTRAINT r_v_check CHECK (v > 0)) PARTITION BY LIST (id);
CREATE INDEX r_expr_idx ON r ((v + 1));
CREATE UNIQUE INDEX r_lower_idx ON r (id, lower(v::text));
CREATE TABLE r_1 (id int, v int);
