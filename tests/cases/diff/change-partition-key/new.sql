CREATE TABLE m (id int, at date NOT NULL, region text) PARTITION BY LIST (region);
CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');
CREATE VIEW m_view AS SELECT id FROM m;
