-- Field service: the states a job moves through, and how urgent it is.
CREATE TYPE job_status AS ENUM ('new', 'scheduled', 'in_progress', 'done');
CREATE TYPE job_priority AS ENUM ('low', 'normal', 'high');
