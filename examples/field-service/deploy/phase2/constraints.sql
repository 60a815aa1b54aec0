ALTER TABLE job_parts ADD CONSTRAINT job_parts_job_fk FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
ALTER TABLE job_parts ADD CONSTRAINT job_parts_part_fk FOREIGN KEY (part_id) REFERENCES parts (id);
ALTER TABLE job_parts ADD CONSTRAINT job_parts_quantity_check CHECK (quantity > 0);
ALTER TABLE visits ADD CONSTRAINT visits_job_fk FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
ALTER TABLE parts ADD CONSTRAINT parts_sku_key UNIQUE (tenant_id, sku);
