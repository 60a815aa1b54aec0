CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    name text NOT NULL,
    email varchar(200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    customer_id bigint NOT NULL,
    address text NOT NULL,
    city varchar(100)
);

CREATE TABLE technicians (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    full_name text NOT NULL,
    active boolean NOT NULL DEFAULT true
);

CREATE TABLE jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL,
    site_id bigint NOT NULL,
    technician_id bigint,
    status job_status NOT NULL DEFAULT 'new',
    summary text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
