/*
 * sandbox.c — where migrations are tried (migrate/sandbox.h): a cached
 * copy of the target's schema in a private cluster, or a transaction on
 * the target that is always rolled back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "db/query.h"
#include "migrate/sandbox.h"
#include "sql/quote.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/text.h"


/* Temporary tables (anyone's) are not part of the schema: their
 * namespaces and everything in them are left out. */
static const char fingerprint_sql[] =
	"WITH tmp AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_'),"
	" rel AS (SELECT oid, xmin FROM pg_catalog.pg_class WHERE relnamespace NOT IN (SELECT oid FROM tmp))"
	" SELECT pg_catalog.md5(string_agg(t, ',' ORDER BY t)) FROM ("
	" SELECT 'n' || oid || ':' || xmin FROM pg_catalog.pg_namespace WHERE oid NOT IN (SELECT oid FROM tmp)"
	" UNION ALL SELECT 'c' || oid || ':' || xmin FROM rel"
	" UNION ALL SELECT 'a' || attrelid || '.' || attnum || ':' || xmin FROM pg_catalog.pg_attribute"
	"   WHERE attnum > 0 AND attrelid IN (SELECT oid FROM rel)"
	" UNION ALL SELECT 'd' || oid || ':' || xmin FROM pg_catalog.pg_attrdef WHERE adrelid IN (SELECT oid FROM rel)"
	" UNION ALL SELECT 'k' || oid || ':' || xmin FROM pg_catalog.pg_constraint"
	"   WHERE connamespace NOT IN (SELECT oid FROM tmp)"
	" UNION ALL SELECT 'i' || indexrelid || ':' || xmin FROM pg_catalog.pg_index WHERE indrelid IN (SELECT oid FROM rel)"
	" UNION ALL SELECT 't' || oid || ':' || xmin FROM pg_catalog.pg_type WHERE typnamespace NOT IN (SELECT oid FROM tmp)"
	" UNION ALL SELECT 'p' || oid || ':' || xmin FROM pg_catalog.pg_proc WHERE pronamespace NOT IN (SELECT oid FROM tmp)"
	" UNION ALL SELECT 'r' || oid || ':' || xmin FROM pg_catalog.pg_rewrite WHERE ev_class IN (SELECT oid FROM rel)"
	" UNION ALL SELECT 'g' || oid || ':' || xmin FROM pg_catalog.pg_trigger WHERE tgrelid IN (SELECT oid FROM rel)"
	" UNION ALL SELECT 'o' || oid || ':' || xmin FROM pg_catalog.pg_policy"
	" UNION ALL SELECT 'e' || oid || ':' || xmin FROM pg_catalog.pg_extension"
	" UNION ALL SELECT 'l' || oid || ':' || xmin FROM pg_catalog.pg_enum"
	" UNION ALL SELECT 'm' || objoid || '.' || classoid || '.' || objsubid || ':' || xmin"
	"   FROM pg_catalog.pg_description"
	" UNION ALL SELECT 'v' || oid || ':' || xmin FROM pg_catalog.pg_default_acl"
	" UNION ALL SELECT 'h' || inhrelid || '.' || inhparent || ':' || xmin FROM pg_catalog.pg_inherits"
	" UNION ALL SELECT 'u' || oid || ':' || rolname FROM pg_catalog.pg_roles"
	") s(t)";

bool
sandbox_local_available(const struct pgw_config *cfg)
{
	struct pgw_pgbin bin;
	bool		ok = local_find_binaries(cfg->local_bindir, &bin) == 0;

	pgw_error_clear();
	return ok;
}

static int
use_lock(struct pgw_sandbox_db *sb)
{
	char	   *path = pgw_asprintf("%s.use", sb->cluster.real_dir);

	sb->use_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (sb->use_fd < 0)
		return pgw_error(PGW_ERR_CONNECT, "cannot lock the sandbox cluster: %s", strerror(errno));
	while (flock(sb->use_fd, LOCK_SH) != 0)
		if (errno != EINTR)
			return pgw_error(PGW_ERR_CONNECT, "cannot lock the sandbox cluster: %s", strerror(errno));
	return 0;
}

/* conninfo for database name on the sandbox cluster (caller frees) */
static char *
db_conninfo(const struct pgw_sandbox_db *sb, const char *name)
{
	char	   *base = local_conninfo(&sb->cluster);
	char	   *ci = text_conninfo_with(base, "dbname", name);

	free(base);
	return ci;
}

static PGconn *
connect_to(const char *conninfo, const char *what)
{
	char	   *w = pgw_asprintf("the sandbox %s", what);
	PGconn	   *c = db_open(conninfo, PGW_ERR_CONNECT, w);

	free(w);
	return c;
}

/* DROP DATABASE IF EXISTS name [WITH (FORCE)]; errors ignored (clean-up). */
static void
drop_db(PGconn *admin, const char *name, bool force)
{
	struct pgw_buf sql;

	buf_init(&sql);
	buf_append(&sql, "DROP DATABASE IF EXISTS ");
	sql_ident(&sql, name);
	if (force)
		buf_append(&sql, " WITH (FORCE)");
	PQclear(PQexec(admin, sql.data));
	buf_release(&sql);
}

/* The target's roles, created NOLOGIN where missing (cluster-wide). */
static int
copy_roles(PGconn *target, PGconn *admin)
{
	PGresult   *res = db_exec(target, PGW_ERR_CONNECT, "cannot list the target's roles",
							  "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_' ORDER BY 1",
							  0, NULL, PGRES_TUPLES_OK);
	int			i;

	if (!res)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *p[1] = {PQgetvalue(res, i, 0)};
		PGresult   *have = PQexecParams(admin, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
										1, NULL, p, NULL, NULL, 0);
		bool		exists = PQresultStatus(have) == PGRES_TUPLES_OK && PQntuples(have) > 0;

		PQclear(have);
		if (!exists)
		{
			struct pgw_buf sql;

			buf_init(&sql);
			buf_append(&sql, "CREATE ROLE ");
			sql_ident(&sql, p[0]);
			buf_append(&sql, " NOLOGIN");
			/* a concurrent run may have made it: not an error */
			PQclear(PQexec(admin, sql.data));
			buf_release(&sql);
		}
	}
	PQclear(res);
	return 0;
}

/*
 * Blanks psql meta-command lines (\connect, and the \restrict/\unrestrict
 * pair newer pg_dump releases write): the dump goes to the server, which
 * knows no backslash commands (a function body's line that happens to
 * start the same way would be blanked too: unlikely enough).
 */
static void
strip_meta_commands(char *text)
{
	char	   *line = text;

	while (*line)
	{
		char	   *nl = strchr(line, '\n');
		size_t		n = nl ? (size_t) (nl - line) : strlen(line);

		if (strncmp(line, "\\connect ", 9) == 0 || strncmp(line, "\\restrict ", 10) == 0 ||
			strncmp(line, "\\unrestrict ", 12) == 0)
			memset(line, ' ', n);
		if (!nl)
			break;
		line = nl + 1;
	}
}

/*
 * The target's conninfo for pg_dump's command line, without the password
 * (a command line is visible to every user in ps): the password, if any,
 * is returned apart (caller frees both) and handed over in the
 * environment, which only the same user can read.
 */
static char *
conninfo_without_password(const char *conninfo, char **password)
{
	char	   *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	struct pgw_buf b;

	*password = NULL;
	if (!opts)
	{
		PQfreemem(err);
		return pgw_strdup(conninfo);
	}
	buf_init(&b);
	for (PQconninfoOption *o = opts; o->keyword; o++)
	{
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0)
		{
			*password = pgw_strdup(o->val);
			continue;
		}
		if (b.len)
			buf_append(&b, " ");
		text_conninfo_append(&b, o->keyword, o->val);
	}
	PQconninfoFree(opts);
	return buf_steal(&b);
}

/* --- the data sample (--with-data N) ----------------------------------- */

/*
 * The target's tables whose rows are sampled: ordinary tables (and
 * partitions — a partitioned parent holds no rows of its own) that belong
 * to no extension and that the role may read, with the columns COPY can
 * fill (generated ones are computed by the sandbox).  One row per column;
 * the caller keeps those of the managed schemas.
 */
static const char sample_tables_sql[] =
	"SELECT n.nspname, c.relname, a.attname"
	" FROM pg_catalog.pg_class c"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
	"   AND a.attgenerated = ''"
	" WHERE c.relkind = 'r' AND n.nspname !~ '^(pg_|information_schema$)'"
	"   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
	"     AND d.objid = c.oid AND d.deptype = 'e')"
	"   AND pg_catalog.has_table_privilege(c.oid, 'SELECT')"
	" ORDER BY n.nspname, c.relname, a.attnum";

/*
 * Run in the sandbox after the sample is in (session_replication_role =
 * replica, so no trigger — an FK's cascade included — fires): deletes the
 * rows whose validated foreign key points at a row the sample does not
 * hold (every FK column set, no matching parent), until a pass deletes
 * nothing (chains, self-references, cycles); then moves every owned or
 * identity sequence to its column's maximum.  Identifiers are quoted by
 * the server (regclass output, format's %I: quote_ident's rules), so no
 * name is pasted on the client.
 */
static const char sample_fix_sql[] =
	"DO $pgwarden$\n"
	"DECLARE r record; n bigint; total bigint; v bigint;\n"
	"BEGIN\n"
	"  LOOP\n"
	"    total := 0;\n"
	"    FOR r IN SELECT con.conrelid::pg_catalog.regclass AS child, con.confrelid::pg_catalog.regclass AS parent,\n"
	"        (SELECT pg_catalog.string_agg(pg_catalog.format('c.%I IS NOT NULL', ca.attname), ' AND ')\n"
	"           FROM pg_catalog.unnest(con.conkey) k(a)\n"
	"           JOIN pg_catalog.pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.a) AS set_cols,\n"
	"        (SELECT pg_catalog.string_agg(pg_catalog.format('p.%I = c.%I', pa.attname, ca.attname), ' AND ')\n"
	"           FROM ROWS FROM (pg_catalog.unnest(con.conkey), pg_catalog.unnest(con.confkey)) k(a, b)\n"
	"           JOIN pg_catalog.pg_attribute ca ON ca.attrelid = con.conrelid AND ca.attnum = k.a\n"
	"           JOIN pg_catalog.pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = k.b) AS matches\n"
	"      FROM pg_catalog.pg_constraint con\n"
	"      JOIN pg_catalog.pg_class cc ON cc.oid = con.conrelid\n"
	"      WHERE con.contype = 'f' AND con.convalidated AND cc.relkind = 'r'\n"
	"      ORDER BY con.oid\n"
	"    LOOP\n"
	"      EXECUTE pg_catalog.format('DELETE FROM ONLY %s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)',\n"
	"        r.child, r.set_cols, r.parent, r.matches);\n"
	"      GET DIAGNOSTICS n = ROW_COUNT;\n"
	"      total := total + n;\n"
	"    END LOOP;\n"
	"    EXIT WHEN total = 0;\n"
	"  END LOOP;\n"
	"  FOR r IN SELECT d.objid::pg_catalog.regclass AS seq, d.refobjid::pg_catalog.regclass AS tbl, a.attname,\n"
	"        sq.seqmin, sq.seqmax\n"
	"      FROM pg_catalog.pg_depend d\n"
	"      JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'\n"
	"      JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid\n"
	"      JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid\n"
	"      WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass\n"
	"        AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')\n"
	"        AND a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,\n"
	"                           'pg_catalog.int8'::pg_catalog.regtype)\n"
	"  LOOP\n"
	"    EXECUTE pg_catalog.format('SELECT pg_catalog.max(%I)::bigint FROM %s', r.attname, r.tbl) INTO v;\n"
	"    IF v IS NOT NULL THEN\n"
	"      PERFORM pg_catalog.setval(r.seq, LEAST(GREATEST(v, r.seqmin), r.seqmax));\n"
	"    END IF;\n"
	"  END LOOP;\n"
	"END\n"
	"$pgwarden$";

static bool
schema_managed(const struct pgw_strlist *schemas, const char *name)
{
	if (schemas->n == 0)
		return strcmp(name, "public") == 0;
	for (size_t i = 0; i < schemas->n; i++)
		if (catalog_pattern_match(schemas->items[i], name))
			return true;
	return false;
}

/*
 * One table's rows from the target into the sandbox: COPY (SELECT ... LIMIT
 * rows) TO STDOUT there, COPY ... FROM STDIN here, streamed through.
 */
static int
copy_one_table(PGconn *from, PGconn *to, const char *schema, const char *table,
			   const struct pgw_buf *cols, int rows)
{
	struct pgw_buf out,
				in;
	PGresult   *res;
	char	   *data;
	int			n,
				rc = -1;
	bool		from_ok = true;

	buf_init(&out);
	buf_init(&in);
	buf_printf(&out, "COPY (SELECT %s FROM ONLY ", cols->data);
	sql_qname(&out, schema, table);
	buf_printf(&out, " LIMIT %d) TO STDOUT", rows);
	buf_append(&in, "COPY ");
	sql_qname(&in, schema, table);
	buf_printf(&in, " (%s) FROM STDIN", cols->data);
	res = PQexec(from, out.data);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
	{
		db_error_from(from, res, PGW_ERR_CONNECT, "cannot read the data sample from the target");
		PQclear(res);
		goto done;
	}
	PQclear(res);
	res = PQexec(to, in.data);
	if (PQresultStatus(res) != PGRES_COPY_IN)
	{
		db_error_from(to, res, PGW_ERR_CONNECT, "cannot load the data sample into the sandbox");
		PQclear(res);
		/* read the target's side to its end, so its connection stays usable */
		while ((n = PQgetCopyData(from, &data, 0)) > 0)
			PQfreemem(data);
		while ((res = PQgetResult(from)) != NULL)
			PQclear(res);
		goto done;
	}
	PQclear(res);
	while ((n = PQgetCopyData(from, &data, 0)) > 0)
	{
		if (PQputCopyData(to, data, n) != 1)
			from_ok = false;
		PQfreemem(data);
	}
	while ((res = PQgetResult(from)) != NULL)
	{
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			if (from_ok)
				db_error_from(from, res, PGW_ERR_CONNECT, "cannot read the data sample from the target");
			from_ok = false;
		}
		PQclear(res);
	}
	if (n == -2)
		from_ok = false;
	PQputCopyEnd(to, from_ok ? NULL : "the source failed");
	rc = from_ok ? 0 : -1;
	while ((res = PQgetResult(to)) != NULL)
	{
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
		{
			db_error_from(to, res, PGW_ERR_CONNECT, "cannot load the data sample into the sandbox");
			rc = -1;
		}
		PQclear(res);
	}
	if (rc != 0 && !pgw_error_last()->message)
		pgw_error(PGW_ERR_CONNECT, "cannot copy the data sample of %s.%s", schema, table);
done:
	buf_release(&out);
	buf_release(&in);
	return rc;
}

/*
 * Up to rows rows of every table of the managed schemas, from the target
 * into c (the template being loaded), with foreign keys made to hold and
 * sequences moved past the copied values (sample_fix_sql).
 */
static int
copy_sample(PGconn *target, PGconn *c, const struct pgw_strlist *schemas, int rows)
{
	PGresult   *res = db_exec(target, PGW_ERR_CONNECT, "cannot list the tables to sample",
							  sample_tables_sql, 0, NULL, PGRES_TUPLES_OK);
	struct pgw_buf cols;
	int			i,
				rc = 0;

	if (!res)
		return -1;
	if (db_command(c, PGW_ERR_CONNECT, "cannot prepare the sandbox for the data sample",
				   "SET session_replication_role = replica", 0, NULL) != 0)
	{
		PQclear(res);
		return -1;
	}
	buf_init(&cols);
	for (i = 0; i < PQntuples(res) && rc == 0; i++)
	{
		const char *schema = PQgetvalue(res, i, 0);
		const char *table = PQgetvalue(res, i, 1);

		if (!schema_managed(schemas, schema))
			continue;
		if (cols.len)
			buf_append(&cols, ", ");
		sql_ident(&cols, PQgetvalue(res, i, 2));
		/* the table's last column: copy it */
		if (i + 1 == PQntuples(res) || strcmp(schema, PQgetvalue(res, i + 1, 0)) != 0 ||
			strcmp(table, PQgetvalue(res, i + 1, 1)) != 0)
		{
			rc = copy_one_table(target, c, schema, table, &cols, rows);
			buf_reset(&cols);
		}
	}
	buf_release(&cols);
	PQclear(res);
	if (rc == 0)
		rc = db_command(c, PGW_ERR_CONNECT, "cannot make the data sample consistent",
						sample_fix_sql, 0, NULL);
	if (rc == 0)
		rc = db_command(c, PGW_ERR_CONNECT, "cannot prepare the sandbox for the data sample",
						"RESET session_replication_role", 0, NULL);
	return rc;
}

/*
 * pg_dump --schema-only of the target into a file, then the file into a
 * new database: a template, renamed into place only when complete.
 */
static int
build_template(struct pgw_sandbox_db *sb, PGconn *target, const char *conninfo, PGconn *admin,
			   const struct pgw_strlist *schemas, int sample_rows)
{
	char	   *dump = pgw_asprintf("%s/dump-%d.sql", sb->cluster.real_dir, (int) getpid());
	char	   *pg_dump = fs_join(sb->bindir, "pg_dump");
	char	   *loading = pgw_asprintf("%s_loading_%d", sb->template_name, (int) getpid());
	char	   *password = NULL;
	char	   *safe_ci = conninfo_without_password(conninfo, &password);
	char	   *argv[] = {pg_dump, "--schema-only", "--no-subscriptions",
		"--file", dump, "--dbname", safe_ci, NULL};
	char	   *old_pw = getenv("PGPASSWORD") ? pgw_strdup(getenv("PGPASSWORD")) : NULL;
	struct pgw_runas me = {0};
	struct pgw_buf out,
				sql;
	int			status = 0,
				rc = -1;
	char	   *text = NULL;
	size_t		len;
	PGconn	   *c = NULL;
	PGresult   *res;

	buf_init(&out);
	buf_init(&sql);
	if (copy_roles(target, admin) != 0)
		goto done;
	if (password)
		setenv("PGPASSWORD", password, 1);
	rc = proc_run(argv, &me, NULL, &out, &status);
	if (old_pw)
		setenv("PGPASSWORD", old_pw, 1);
	else if (password)
		unsetenv("PGPASSWORD");
	if (rc != 0)
		goto done;
	rc = -1;
	if (status != 0)
	{
		pgw_error(PGW_ERR_CONNECT, "pg_dump could not dump the target's schema for the sandbox");
		pgw_error_detail("%s", out.data);
		goto done;
	}
	if (fs_read_file(dump, &text, &len) != 0)
		goto done;
	strip_meta_commands(text);
	buf_append(&sql, "CREATE DATABASE ");
	sql_ident(&sql, loading);
	buf_append(&sql, " TEMPLATE template0");
	if (db_command(admin, PGW_ERR_CONNECT, "cannot create the sandbox template", sql.data, 0, NULL) != 0)
		goto done;
	{
		char	   *ci = db_conninfo(sb, loading);

		c = connect_to(ci, "template");
		free(ci);
	}
	if (!c)
		goto drop;
	res = PQexec(c, text);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		db_error_from(c, res, PGW_ERR_INPUT, "the target's schema does not load into the sandbox");
		pgw_error_hint("it may use extensions or settings this machine lacks; try --sandbox tx");
		PQclear(res);
		goto drop;
	}
	PQclear(res);
	if (sample_rows > 0 && copy_sample(target, c, schemas, sample_rows) != 0)
		goto drop;
	db_close(c);
	c = NULL;
	buf_reset(&sql);
	buf_append(&sql, "ALTER DATABASE ");
	sql_ident(&sql, loading);
	buf_append(&sql, " RENAME TO ");
	sql_ident(&sql, sb->template_name);
	res = PQexec(admin, sql.data);
	/* another run finished the same template first: use theirs */
	if (PQresultStatus(res) != PGRES_COMMAND_OK && strcmp(db_sqlstate(res), "42P04") != 0)
	{
		db_error_from(admin, res, PGW_ERR_CONNECT, "cannot install the sandbox template");
		PQclear(res);
		goto drop;
	}
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : 1;
	PQclear(res);
	if (rc == 0)
		goto done;
	rc = 0;
drop:
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		if (c)
			db_close(c);
		c = NULL;
		drop_db(admin, loading, false);
		pgw_error_restore(&saved);
	}
done:
	if (c)
		db_close(c);
	unlink(dump);
	free(text);
	free(dump);
	free(safe_ci);
	free(password);
	free(old_pw);
	free(pg_dump);
	free(loading);
	buf_release(&out);
	buf_release(&sql);
	return rc;
}

/* Drops templates beyond the three newest (by oid). */
static void
prune_templates(PGconn *admin)
{
	PGresult   *res = PQexec(admin, "WITH old AS (SELECT datname FROM pg_catalog.pg_database"
							  " WHERE datname ~ '^tmpl_[0-9a-f]{16}(_d[0-9]+)?$' ORDER BY oid DESC OFFSET 3)"
							 " SELECT 'spare_' || substr(datname, 6) FROM old"
							 " UNION ALL SELECT datname FROM old");
	int			i;

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		for (i = 0; i < PQntuples(res); i++)
			drop_db(admin, PQgetvalue(res, i, 0), false);
	PQclear(res);
}

/*
 * Copies the template.  PostgreSQL 15's default strategy (WAL_LOG) writes
 * every block of a big schema to the WAL — seconds for a thousand tables —
 * while FILE_COPY copies the files after a checkpoint, which costs nothing
 * with fsync off.
 */
static int
create_from_template(struct pgw_sandbox_db *sb, PGconn *admin, const char *name)
{
	struct pgw_buf sql;
	int			rc;

	buf_init(&sql);
	buf_append(&sql, "CREATE DATABASE ");
	sql_ident(&sql, name);
	buf_append(&sql, " TEMPLATE ");
	sql_ident(&sql, sb->template_name);
	if (PQserverVersion(admin) >= 150000)
		buf_append(&sql, " STRATEGY FILE_COPY");
	rc = db_command(admin, PGW_ERR_CONNECT, "cannot create the sandbox database", sql.data, 0, NULL);
	buf_release(&sql);
	return rc;
}

/* The spare copy of a template: made when a run closes, so the next run
 * on the same schema starts without copying (see take_spare). */
static char *
spare_name(const char *template_name)
{
	return pgw_asprintf("spare_%s", template_name + 5);
}

/*
 * Takes the template's spare copy, made by the last run that closed, as
 * this run's work database: a rename, instant whatever the size of the
 * schema, where a copy of a thousand tables' files takes seconds.  0 when
 * taken; -1 (nothing recorded) when there is none or another run took it.
 */
static int
take_spare(struct pgw_sandbox_db *sb, PGconn *admin)
{
	char	   *spare = spare_name(sb->template_name);
	struct pgw_buf sql;
	PGresult   *res;
	int			rc;

	buf_init(&sql);
	buf_append(&sql, "ALTER DATABASE ");
	sql_ident(&sql, spare);
	buf_append(&sql, " RENAME TO ");
	sql_ident(&sql, sb->dbname);
	res = PQexec(admin, sql.data);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	PQclear(res);
	buf_release(&sql);
	free(spare);
	return rc;
}

/* Makes the spare copy for the next run, unless there is one (errors are
 * ignored: the next run copies the template itself then). */
static void
make_spare(struct pgw_sandbox_db *sb, PGconn *admin)
{
	char	   *spare = spare_name(sb->template_name);
	const char *p[2] = {spare, sb->template_name};
	PGresult   *res = PQexecParams(admin,
								   "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)"
								   " AND EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $2)",
								   2, NULL, p, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		create_from_template(sb, admin, spare);
		pgw_error_clear();
	}
	PQclear(res);
	free(spare);
}

static int
open_local(struct pgw_sandbox_db *sb, const struct pgw_config *cfg, PGconn *target,
		   const char *conninfo, int sample_rows)
{
	char	   *dir = fs_join(cfg->root, ".pgwarden/sandbox");
	struct pgw_start_opts so = {0};
	bool		already = false;
	PGconn	   *admin = NULL;
	PGresult   *res;
	const char *p[1];
	int			rc = -1;

	local_open(cfg, dir, &sb->cluster);
	free(dir);
	sb->cluster.dir_explicit = false;	/* relocate like .pgwarden/local */
	sb->cluster_open = true;
	so.bindir = cfg->local_bindir;
	so.user = cfg->local_user;
	if (local_start(&sb->cluster, &so, &already) != 0)
		return -1;
	sb->started = !already;
	sb->bindir = pgw_strdup(sb->cluster.bin.dir);
	if (use_lock(sb) != 0)
		return -1;
	{
		char	   *ci = db_conninfo(sb, "postgres");

		admin = connect_to(ci, "cluster");
		free(ci);
	}
	if (!admin)
		return -1;
	/* a throwaway cluster: durability only costs time (kept in
	 * postgresql.auto.conf for the next start; a reload applies it) */
	res = PQexec(admin, "SELECT pg_catalog.current_setting('fsync') = 'on'");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		PQclear(PQexec(admin, "ALTER SYSTEM SET fsync = off"));
		PQclear(PQexec(admin, "ALTER SYSTEM SET full_page_writes = off"));
		PQclear(PQexec(admin, "ALTER SYSTEM SET synchronous_commit = off"));
		PQclear(PQexec(admin, "SELECT pg_catalog.pg_reload_conf()"));
	}
	PQclear(res);
	/* a template with a data sample is another template (per size) */
	if (sample_rows > 0)
		sb->template_name = pgw_asprintf("tmpl_%.16s_d%d", sb->fingerprint, sample_rows);
	else
		sb->template_name = pgw_asprintf("tmpl_%.16s", sb->fingerprint);
	p[0] = sb->template_name;
	res = PQexecParams(admin, "SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", 1, NULL, p,
					   NULL, NULL, 0);
	sb->cached = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	PQclear(res);
	if (!sb->cached)
	{
		if (build_template(sb, target, conninfo, admin, &cfg->schemas, sample_rows) != 0)
			goto done;
		prune_templates(admin);
	}
	sb->dbname = pgw_asprintf("sandbox_%d_%lld", (int) getpid(), (long long) (pgw_now_ms() % 100000));
	if (take_spare(sb, admin) != 0 && create_from_template(sb, admin, sb->dbname) != 0)
		goto done;
	sb->conninfo = db_conninfo(sb, sb->dbname);
	sb->conn = connect_to(sb->conninfo, "database");
	if (!sb->conn)
		goto done;
	rc = 0;
done:
	db_close(admin);
	return rc;
}

/* A sandbox that failed to open is closed, and the error that made it
 * fail stays the one reported (closing may record errors of its own). */
static void
close_keeping_error(struct pgw_sandbox_db *sb)
{
	struct pgw_err saved;

	pgw_error_save(&saved);
	sandbox_close(sb);
	pgw_error_restore(&saved);
}

int
sandbox_open(struct pgw_sandbox_db *sb, enum pgw_sandbox_kind kind, const struct pgw_config *cfg,
			 PGconn *target, const char *conninfo, int lock_timeout_ms, int sample_rows)
{
	long long	t0 = pgw_now_ms();
	PGresult   *res;
	int			rc;

	memset(sb, 0, sizeof(*sb));
	sb->kind = kind;
	sb->use_fd = -1;
	res = db_exec(target, PGW_ERR_CONNECT, "cannot read the target's schema fingerprint",
				  fingerprint_sql, 0, NULL, PGRES_TUPLES_OK);
	if (!res)
		return -1;
	snprintf(sb->fingerprint, sizeof(sb->fingerprint), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (kind == PGW_SANDBOX_TX)
	{
		char		lt[32];
		const char *p[1] = {lt};

		snprintf(lt, sizeof(lt), "%dms", lock_timeout_ms);
		if (db_command(target, PGW_ERR_CONNECT, "cannot start the sandbox transaction", "BEGIN", 0, NULL) != 0)
			return -1;
		res = db_exec(target, PGW_ERR_CONNECT, "cannot start the sandbox transaction",
					  "SELECT pg_catalog.set_config('lock_timeout', $1, true)", 1, p, PGRES_TUPLES_OK);
		if (!res)
		{
			PQclear(PQexec(target, "ROLLBACK"));
			return -1;
		}
		PQclear(res);
		sb->conn = target;
		sb->open_ms = pgw_now_ms() - t0;
		return 0;
	}
	rc = open_local(sb, cfg, target, conninfo, sample_rows);
	sb->open_ms = pgw_now_ms() - t0;
	if (rc != 0)
		close_keeping_error(sb);
	return rc;
}

int
sandbox_open_empty(struct pgw_sandbox_db *sb, const struct pgw_config *cfg, PGconn *roles_from,
				   const char *prefix)
{
	char	   *dir = fs_join(cfg->root, ".pgwarden/sandbox");
	struct pgw_start_opts so = {0};
	bool		already = false;
	PGconn	   *admin = NULL;
	struct pgw_buf sql;
	long long	t0 = pgw_now_ms();
	int			rc = -1;

	memset(sb, 0, sizeof(*sb));
	sb->kind = PGW_SANDBOX_LOCAL;
	sb->use_fd = -1;
	local_open(cfg, dir, &sb->cluster);
	free(dir);
	sb->cluster.dir_explicit = false;
	sb->cluster_open = true;
	so.bindir = cfg->local_bindir;
	so.user = cfg->local_user;
	buf_init(&sql);
	if (local_start(&sb->cluster, &so, &already) != 0)
		goto done;
	sb->started = !already;
	sb->bindir = pgw_strdup(sb->cluster.bin.dir);
	if (use_lock(sb) != 0)
		goto done;
	{
		char	   *ci = db_conninfo(sb, "postgres");

		admin = connect_to(ci, "cluster");
		free(ci);
	}
	if (!admin)
		goto done;
	if (roles_from && copy_roles(roles_from, admin) != 0)
		goto done;
	sb->dbname = pgw_asprintf("%s_%d_%lld", prefix, (int) getpid(), (long long) (pgw_now_ms() % 100000));
	buf_append(&sql, "CREATE DATABASE ");
	sql_ident(&sql, sb->dbname);
	buf_append(&sql, " TEMPLATE template0");
	if (db_command(admin, PGW_ERR_CONNECT, "cannot create a database in the sandbox", sql.data, 0, NULL) != 0)
	{
		free(sb->dbname);
		sb->dbname = NULL;
		goto done;
	}
	sb->conninfo = db_conninfo(sb, sb->dbname);
	sb->conn = connect_to(sb->conninfo, "database");
	if (sb->conn)
		rc = 0;
done:
	if (admin)
		PQfinish(admin);
	buf_release(&sql);
	sb->open_ms = pgw_now_ms() - t0;
	if (rc != 0)
		close_keeping_error(sb);
	return rc;
}

int
sandbox_clone(struct pgw_sandbox_db *sb, const char *suffix, PGconn **conn, char **conninfo)
{
	char	   *ci = db_conninfo(sb, "postgres");
	PGconn	   *admin = connect_to(ci, "cluster");
	char	   *name;
	int			rc;

	free(ci);
	*conn = NULL;
	*conninfo = NULL;
	if (!admin)
		return -1;
	name = pgw_asprintf("%s_%s", sb->dbname, suffix);
	rc = create_from_template(sb, admin, name);
	db_close(admin);
	if (rc == 0)
	{
		*conninfo = db_conninfo(sb, name);
		*conn = connect_to(*conninfo, "database");
		if (!*conn)
			rc = -1;
	}
	free(name);
	return rc;
}

void
sandbox_close(struct pgw_sandbox_db *sb)
{
	if (sb->kind == PGW_SANDBOX_TX)
	{
		if (sb->conn && PQtransactionStatus(sb->conn) != PQTRANS_IDLE)
			PQclear(PQexec(sb->conn, "ROLLBACK"));
		sb->conn = NULL;			/* the target: the caller's */
		return;
	}
	if (sb->conn)
		db_close(sb->conn);
	sb->conn = NULL;
	if (sb->dbname && sb->cluster_open)
	{
		char	   *ci = db_conninfo(sb, "postgres");
		PGconn	   *admin = PQconnectdb(ci);

		free(ci);
		if (PQstatus(admin) == CONNECTION_OK)
		{
			/* this run's databases: the work one and its clones */
			const char *p[1] = {sb->dbname};
			PGresult   *res = PQexecParams(admin,
										   "SELECT datname FROM pg_catalog.pg_database"
										   " WHERE datname = $1 OR datname LIKE $1 || '\\_%'",
										   1, NULL, p, NULL, NULL, 0);
			int			i;

			if (PQresultStatus(res) == PGRES_TUPLES_OK)
				for (i = 0; i < PQntuples(res); i++)
					drop_db(admin, PQgetvalue(res, i, 0), true);
			PQclear(res);
			if (sb->template_name)
				make_spare(sb, admin);
		}
		db_close(admin);
	}
	/* the last run out stops the server */
	if (sb->use_fd >= 0)
	{
		if (flock(sb->use_fd, LOCK_EX | LOCK_NB) == 0)
		{
			bool		was;

			local_stop(&sb->cluster, &was);
			pgw_error_clear();
		}
		close(sb->use_fd);
		sb->use_fd = -1;
	}
	else if (sb->started && sb->cluster_open)
	{
		bool		was;

		local_stop(&sb->cluster, &was);
		pgw_error_clear();
	}
	if (sb->cluster_open)
		local_close(&sb->cluster);
	sb->cluster_open = false;
	free(sb->conninfo);
	free(sb->dbname);
	free(sb->template_name);
	free(sb->template_conninfo);
	free(sb->bindir);
	sb->conninfo = sb->dbname = sb->template_name = sb->template_conninfo = sb->bindir = NULL;
}
