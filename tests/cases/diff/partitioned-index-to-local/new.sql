CREATE TABLE t (id int NOT NULL, region text NOT NULL, v int) PARTITION BY LIST (region);
CREATE TABLE t_eu PARTITION OF t FOR VALUES IN ('eu');
CREATE TABLE t_us PARTITION OF t FOR VALUES IN ('us');
CREATE INDEX t_eu_v_idx ON t_eu (v);
CREATE INDEX t_us_v_idx ON t_us (v);
CREATE UNIQUE INDEX t_eu_id_region_idx ON t_eu (id, region);
