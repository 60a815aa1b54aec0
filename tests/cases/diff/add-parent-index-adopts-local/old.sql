CREATE TABLE t (id int NOT NULL, region text NOT NULL, v int) PARTITION BY LIST (region);
CREATE TABLE t_eu PARTITION OF t FOR VALUES IN ('eu');
CREATE TABLE t_us PARTITION OF t FOR VALUES IN ('us');
CREATE INDEX t_eu_v_local ON t_eu (v);
CREATE INDEX t_eu_v_other ON t_eu (v);
CREATE UNIQUE INDEX t_us_key ON t_us (id, region);
