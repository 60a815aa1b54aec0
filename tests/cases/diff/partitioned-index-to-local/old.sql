CREATE TABLE t (id int NOT NULL, region text NOT NULL, v int) PARTITION BY LIST (region);
CREATE TABLE t_eu PARTITION OF t FOR VALUES IN ('eu');
CREATE TABLE t_us PARTITION OF t FOR VALUES IN ('us');
CREATE INDEX t_v_idx ON t (v);
CREATE UNIQUE INDEX t_id_region_key ON t (id, region);
