CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE FUNCTION job_parts_total(p_job bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(jp.quantity * p.unit_price), 0)
    FROM job_parts jp JOIN parts p ON p.id = jp.part_id
    WHERE jp.job_id = p_job
$$;
