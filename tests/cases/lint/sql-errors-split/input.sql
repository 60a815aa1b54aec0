SET lock_timeout = '5s';
SET statement_timeout = '1min';
\set ON_ERROR_STOP on
COPY app.t (a, b) FROM stdin;
1	it's; not SQL
\.
SELECT (1;
SELECT 2;
SELECT $tag$ never closed;
