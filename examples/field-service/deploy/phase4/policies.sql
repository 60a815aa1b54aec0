-- Tenant isolation: every row belongs to the tenant in app.tenant_id.
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE visits ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_tenant ON jobs FOR ALL
    USING (tenant_id = current_setting('app.tenant_id', true)::uuid);
CREATE POLICY visits_tenant ON visits FOR SELECT
    USING (tenant_id = current_setting('app.tenant_id', true)::uuid);
