CREATE TABLE parts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    sku varchar(40) NOT NULL,
    description text,
    unit_price numeric(10,2) NOT NULL DEFAULT 0
);

CREATE TABLE job_parts (
    job_id bigint NOT NULL,
    part_id bigint NOT NULL,
    quantity integer NOT NULL DEFAULT 1,
    PRIMARY KEY (job_id, part_id)
);

CREATE TABLE visits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    job_id bigint NOT NULL,
    arrived_at timestamptz NOT NULL,
    left_at timestamptz,
    notes text
);
