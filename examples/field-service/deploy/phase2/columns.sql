ALTER TABLE jobs ADD COLUMN priority job_priority NOT NULL DEFAULT 'normal';
ALTER TABLE jobs ADD COLUMN scheduled_at timestamptz;
ALTER TABLE technicians ADD COLUMN phone varchar(40);
