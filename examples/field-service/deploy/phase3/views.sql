CREATE VIEW open_jobs AS
    SELECT j.id, j.tenant_id, j.status, j.priority, s.address, t.full_name AS technician
    FROM jobs j
    JOIN sites s ON s.id = j.site_id
    LEFT JOIN technicians t ON t.id = j.technician_id
    WHERE j.status <> 'done';

CREATE VIEW technician_load AS
    SELECT t.id, t.full_name, count(j.id) AS open_jobs
    FROM technicians t
    LEFT JOIN jobs j ON j.technician_id = t.id AND j.status <> 'done'
    GROUP BY t.id, t.full_name;
