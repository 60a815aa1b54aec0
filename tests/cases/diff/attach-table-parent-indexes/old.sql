CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);
CREATE INDEX events_kind_idx ON events (kind);
CREATE UNIQUE INDEX events_kind_id_at_key ON events (kind, id, at);
CREATE TABLE events_2024 (id bigint NOT NULL, at date NOT NULL, kind text);
