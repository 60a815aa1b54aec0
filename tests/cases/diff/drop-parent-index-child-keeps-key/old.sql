CREATE TABLE t (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE t_eu PARTITION OF t FOR VALUES IN ('eu');
CREATE UNIQUE INDEX t_pkey ON t (id, region);
ALTER TABLE t_eu ADD CONSTRAINT t_eu_pkey PRIMARY KEY USING INDEX t_eu_id_region_idx;
