ALTER TABLE sites ADD CONSTRAINT sites_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE;
ALTER TABLE jobs ADD CONSTRAINT jobs_site_fk FOREIGN KEY (site_id) REFERENCES sites (id);
ALTER TABLE jobs ADD CONSTRAINT jobs_technician_fk FOREIGN KEY (technician_id) REFERENCES technicians (id) ON DELETE SET NULL;
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (tenant_id, email);
