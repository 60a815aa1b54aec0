CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
CREATE INDEX events_kind_idx ON events (kind);
CREATE TABLE events_2024 (id bigint NOT NULL, at date NOT NULL, kind text);
ALTER TABLE events_2024 ADD CONSTRAINT events_2024_own_pkey PRIMARY KEY (id, at);
CREATE INDEX events_2024_by_kind ON events_2024 (kind);
ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
