COPY t FROM stdin;
1	it's
\.
SELECT 2;
