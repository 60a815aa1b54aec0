SET lock_timeout = '5s';
SET statement_timeout = '1min';
-- volatile inside an expression with arguments: every row gets its own value
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS score int DEFAULT random() * 10;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS bucket int DEFAULT CASE WHEN random() > 0.5 THEN 1 ELSE 2 END;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS token text DEFAULT md5(gen_random_uuid()::text);
-- quiet: stable or immutable with constant arguments, evaluated once
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS due timestamptz DEFAULT now() + interval '1 day';
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS label text DEFAULT coalesce(NULL, lower('X'));
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS tier int DEFAULT greatest(1, 2) * 10;
ALTER TABLE app.orders ADD COLUMN IF NOT EXISTS kind text DEFAULT CASE WHEN 1 > 0 THEN 'a' ELSE 'b' END;
