-- Größe: the caret counts characters, not bytes
SELECT 'ünïcödé', '日本語' FROM TABEL t WHERE x = 'é' AND AND y;
SELECT 1;
CREATE FUNCTION app.f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  -- ß
  retrun 1;
END
$$;
