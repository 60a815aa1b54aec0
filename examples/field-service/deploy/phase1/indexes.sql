CREATE INDEX sites_customer_idx ON sites (customer_id);
CREATE INDEX jobs_site_idx ON jobs (site_id);
CREATE INDEX jobs_technician_idx ON jobs (technician_id);
CREATE INDEX jobs_tenant_status_idx ON jobs (tenant_id, status);
