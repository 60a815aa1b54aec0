SET lock_timeout = '5s';
SET statement_timeout = '1min';
CREATE FUNCTION app.exec_sql(query text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE query;
END
$$;
CREATE FUNCTION app.count_rows(tbl text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %I', tbl) INTO n;
  RETURN n;
END
$$;
