CREATE INDEX job_parts_part_idx ON job_parts (part_id);
CREATE INDEX visits_job_idx ON visits (job_id);
