/*
 * backup.c — pg_dump / pg_restore driving, manifests, checks and
 * comparisons for backup and restore (backup/backup.h).
 *
 * The tools run as children of pgwarden (parent-death signal set, so a
 * killed pgwarden does not leave a pg_dump writing), with their stderr read
 * through a pipe: with -v they name every table they dump or restore,
 * which drives the progress line together with the archive's size on disk.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup.h"
#include "catalog/catalog.h"
#include "db/query.h"
#include "migrate/files.h"
#include "migrate/history.h"
#include "migrate/sandbox.h"
#include "model/snapshot.h"
#include "out/out.h"
#include "out/progress.h"
#include "sql/quote.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fault.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/proc.h"
#include "util/sha256.h"
#include "util/text.h"

/* --- what an interrupt must undo ---------------------------------------- */

static pid_t inflight_pid = 0;
static char *inflight_dir = NULL;

void
backup_cleanup_inflight(void)
{
	if (inflight_pid > 0)
	{
		int			st;

		kill(inflight_pid, SIGTERM);
		while (waitpid(inflight_pid, &st, 0) < 0 && errno == EINTR)
			;
		inflight_pid = 0;
	}
	if (inflight_dir)
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		fs_remove_tree(inflight_dir);
		pgw_error_restore(&saved);
		free(inflight_dir);
		inflight_dir = NULL;
	}
}

void
backup_stamp(char *out, size_t n)
{
	time_t		now = time(NULL);
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(out, n, "%Y%m%dT%H%M%SZ", &tm);
}

static char *
iso_now(void)
{
	time_t		now = time(NULL);
	struct tm	tm;
	char		b[32];

	gmtime_r(&now, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return pgw_strdup(b);
}

/* --- finding pg_dump ------------------------------------------------------ */

/* "pg_dump (PostgreSQL) 15.18 (Debian 15.18-1)" → 15, "15.18" */
static bool
tool_version(const char *dir, const char *tool, int *major, char *version, size_t n)
{
	char	   *path = fs_join(dir, tool);
	char	   *argv[] = {path, "--version", NULL};
	struct pgw_runas me = {0};
	struct pgw_buf out;
	int			status = -1;
	bool		ok = false;
	const char *p;

	buf_init(&out);
	if (access(path, X_OK) == 0 && proc_run(argv, &me, NULL, &out, &status) == 0 && status == 0 &&
		(p = strstr(out.data ? out.data : "", "(PostgreSQL) ")) != NULL)
	{
		p += strlen("(PostgreSQL) ");
		*major = atoi(p);
		snprintf(version, n, "%.*s", (int) strcspn(p, " \n"), p);
		ok = *major > 0;
	}
	pgw_error_clear();
	buf_release(&out);
	free(path);
	return ok;
}

struct candidate
{
	char	   *dir;
	int			major;
	char		version[64];
};

static void
add_candidate(struct candidate **cs, size_t *n, const char *dir)
{
	int			major = 0,
				rmajor = 0;
	char		version[64],
				rversion[64];

	char		real[4096];

	if (!realpath(dir, real))
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*cs)[i].dir, real) == 0)
			return;
	dir = real;
	if (!tool_version(dir, "pg_dump", &major, version, sizeof(version)) ||
		!tool_version(dir, "pg_restore", &rmajor, rversion, sizeof(rversion)) || rmajor != major)
		return;
	*cs = pgw_realloc(*cs, (*n + 1) * sizeof(**cs));
	(*cs)[*n].dir = pgw_strdup(dir);
	(*cs)[*n].major = major;
	snprintf((*cs)[*n].version, sizeof((*cs)[*n].version), "%s", version);
	(*n)++;
}

static bool
has_major(const struct candidate *cs, size_t n, int major)
{
	for (size_t i = 0; i < n; i++)
		if (cs[i].major == major)
			return true;
	return false;
}

/* pg_config --bindir of the first pg_config on PATH, or NULL */
static char *
pg_config_bindir(void)
{
	const char *path = getenv("PATH");
	char	   *copy,
			   *save = NULL,
			   *result = NULL;

	if (!path)
		return NULL;
	copy = pgw_strdup(path);
	for (char *d = strtok_r(copy, ":", &save); d && !result; d = strtok_r(NULL, ":", &save))
	{
		char	   *pc = fs_join(d, "pg_config");

		if (access(pc, X_OK) == 0)
		{
			char	   *argv[] = {pc, "--bindir", NULL};
			struct pgw_runas me = {0};
			struct pgw_buf out;
			int			status = -1;

			buf_init(&out);
			if (proc_run(argv, &me, NULL, &out, &status) == 0 && status == 0 && out.data)
				result = pgw_strdup(text_trim(out.data));
			pgw_error_clear();
			buf_release(&out);
		}
		free(pc);
	}
	free(copy);
	return result;
}

int
backup_find_tools(const struct pgw_config *cfg, int server_major, struct pgw_dumptools *t)
{
	const char *forced = getenv("PGWARDEN_PG_BINDIR");
	struct candidate *cs = NULL;
	size_t		n = 0;
	int			best = -1,
				newest_older = 0;
	struct pgw_buf seen;

	memset(t, 0, sizeof(*t));
	if (forced && *forced)
		add_candidate(&cs, &n, forced);
	else if (cfg->local_bindir && *cfg->local_bindir)
		add_candidate(&cs, &n, cfg->local_bindir);
	else
	{
		/*
		 * The likely places first, and stop at the server's own major
		 * (each candidate costs a --version run; Debian's /usr/bin ones
		 * are Perl wrappers)
		 */
		char	   *pc = pg_config_bindir();
		char	   *own = pgw_asprintf("/usr/lib/postgresql/%d/bin", server_major);
		DIR		   *d;
		const char *path = getenv("PATH");

		if (pc)
			add_candidate(&cs, &n, pc);
		free(pc);
		if (!has_major(cs, n, server_major))
			add_candidate(&cs, &n, own);
		free(own);
		if (!has_major(cs, n, server_major) && (d = opendir("/usr/lib/postgresql")) != NULL)
		{
			struct dirent *de;

			while ((de = readdir(d)) != NULL)
				if (de->d_name[0] != '.')
				{
					char	   *bin = pgw_asprintf("/usr/lib/postgresql/%s/bin", de->d_name);

					add_candidate(&cs, &n, bin);
					free(bin);
				}
			closedir(d);
		}
		if (!has_major(cs, n, server_major) && path)
		{
			char	   *copy = pgw_strdup(path),
					   *save = NULL;

			for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
				add_candidate(&cs, &n, dir);
			free(copy);
		}
	}
	/* the server's own major, else the nearest newer one */
	for (size_t i = 0; i < n; i++)
	{
		if (cs[i].major < server_major)
		{
			if (cs[i].major > newest_older)
				newest_older = cs[i].major;
			continue;
		}
		if (best < 0 || cs[i].major < cs[best].major)
			best = (int) i;
	}
	buf_init(&seen);
	for (size_t i = 0; i < n; i++)
		buf_printf(&seen, "%s%s (%s)", i ? ", " : "", cs[i].dir, cs[i].version);
	if (best >= 0)
	{
		snprintf(t->dir, sizeof(t->dir), "%s", cs[best].dir);
		t->major = cs[best].major;
		snprintf(t->version, sizeof(t->version), "%s", cs[best].version);
	}
	else if (newest_older)
	{
		pgw_error(PGW_ERR_CONNECT, "pg_dump %d is older than the server (PostgreSQL %d)", newest_older,
				  server_major);
		pgw_error_detail("an older pg_dump cannot dump a newer server; found: %s", seen.data);
		pgw_error_hint("install PostgreSQL %d's client programs (apt-get install postgresql-client-%d) "
					   "or point PGWARDEN_PG_BINDIR at them", server_major, server_major);
	}
	else
	{
		pgw_error(PGW_ERR_CONNECT, "no pg_dump and pg_restore found");
		pgw_error_detail("looked at %s", forced && *forced ? "PGWARDEN_PG_BINDIR" :
						 cfg->local_bindir ? "[local] bindir" :
						 "pg_config --bindir, /usr/lib/postgresql/*/bin and PATH");
		pgw_error_hint("install PostgreSQL %d's client programs (apt-get install postgresql-client-%d)",
					   server_major, server_major);
	}
	for (size_t i = 0; i < n; i++)
		free(cs[i].dir);
	free(cs);
	buf_release(&seen);
	return best >= 0 ? 0 : -1;
}

/* --- running a tool --------------------------------------------------------- */

/*
 * conninfo (a URL or keywords) as keywords, with dbname replaced when db is
 * given, and the password taken out into *password when password is not
 * NULL (see sandbox.c: a command line is visible to every user in ps).
 */
static char *
conninfo_rebuild(const char *conninfo, const char *db, char **password)
{
	char	   *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	struct pgw_buf b;

	if (password)
		*password = NULL;
	if (!opts)
	{
		PQfreemem(err);
		return db ? text_conninfo_with(conninfo, "dbname", db) : pgw_strdup(conninfo);
	}
	buf_init(&b);
	for (PQconninfoOption *o = opts; o->keyword; o++)
	{
		const char *v = o->val;

		if (db && strcmp(o->keyword, "dbname") == 0)
			v = db;
		if (!v)
			continue;
		if (password && strcmp(o->keyword, "password") == 0)
		{
			*password = pgw_strdup(v);
			continue;
		}
		if (b.len)
			buf_append(&b, " ");
		text_conninfo_append(&b, o->keyword, v);
	}
	PQconninfoFree(opts);
	if (db && !strstr(b.data ? b.data : "", "dbname="))
	{
		if (b.len)
			buf_append(&b, " ");
		text_conninfo_append(&b, "dbname", db);
	}
	return buf_steal(&b);
}

static char *
split_password(const char *conninfo, char **password)
{
	return conninfo_rebuild(conninfo, NULL, password);
}

char *
backup_conninfo_with_db(const char *conninfo, const char *db)
{
	return conninfo_rebuild(conninfo, db, NULL);
}

static const char count_sql[] =
	"SELECT t.nspname, t.relname, t.n, t.bytes, d.sz"
	" FROM (SELECT pg_catalog.pg_database_size(pg_catalog.current_database())) d(sz)"
	" LEFT JOIN (SELECT n.nspname, c.relname,"
	"   (pg_catalog.xpath('/row/c/text()', pg_catalog.query_to_xml(pg_catalog.format("
	"     'SELECT pg_catalog.count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint AS n,"
	"   pg_catalog.pg_total_relation_size(c.oid) AS bytes"
	"   FROM pg_catalog.pg_class c"
	"   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	"   WHERE c.relkind = 'r' AND n.nspname !~ '^(pg_|information_schema$)'"
	"     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e"
	"       WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')"
	" ) t ON true"
	" ORDER BY t.nspname COLLATE \"C\", t.relname COLLATE \"C\"";

static int
counts_from(PGconn *conn, PGresult *res, struct pgw_table_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return db_error_from(conn, res, PGW_ERR_CONNECT, "cannot count the rows of the tables");
	c->items = pgw_calloc((size_t) PQntuples(res) + 1, sizeof(*c->items));
	for (int i = 0; i < PQntuples(res); i++)
	{
		c->database_bytes = atoll(PQgetvalue(res, i, 4));
		if (PQgetisnull(res, i, 0))
			continue;
		c->items[c->n].schema = pgw_strdup(PQgetvalue(res, i, 0));
		c->items[c->n].name = pgw_strdup(PQgetvalue(res, i, 1));
		c->items[c->n].rows = atoll(PQgetvalue(res, i, 2));
		c->items[c->n].bytes = atoll(PQgetvalue(res, i, 3));
		c->rows += c->items[c->n].rows;
		c->n++;
	}
	return 0;
}

int
backup_count_rows(PGconn *conn, struct pgw_table_counts *c)
{
	PGresult   *res = PQexec(conn, count_sql);
	int			rc = counts_from(conn, res, c);

	PQclear(res);
	return rc;
}

void
backup_counts_release(struct pgw_table_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
	{
		free(c->items[i].schema);
		free(c->items[i].name);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

/* Lines of a tool's stderr worth showing: its errors, details, hints. */
static char *
tool_errors(const char *text)
{
	struct pgw_buf b;
	const char *line = text ? text : "";

	buf_init(&b);
	while (*line)
	{
		size_t		n = strcspn(line, "\n");

		if ((memmem(line, n, "error", 5) || memmem(line, n, "DETAIL", 6) || memmem(line, n, "HINT", 4) ||
			 memmem(line, n, "detail:", 7) || memmem(line, n, "hint:", 5) || memmem(line, n, "ERROR", 5) ||
			 memmem(line, n, "cannot", 6) || memmem(line, n, "could not", 9)) && b.len < 4000)
		{
			buf_append_len(&b, line, n);
			buf_append_char(&b, '\n');
		}
		line += n;
		if (*line == '\n')
			line++;
	}
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return b.len ? buf_steal(&b) : (buf_release(&b), pgw_strdup("(no message)"));
}

static uint64_t
path_bytes(const char *path)
{
	struct stat st;

	if (!path || stat(path, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return fs_tree_size(path);
	return (uint64_t) st.st_size;
}

struct tool_run
{
	const char *label;			/* "pg_dump", "pg_restore" */
	const char *marker;			/* the -v line naming a table done */
	const char *watch;			/* file or folder whose size is shown */
	size_t		tables;			/* total, for the progress line */
	bool		progress;
	PGconn	   *counts_conn;	/* a count query to run meanwhile, or NULL */
	struct pgw_table_counts *counts;
	/* results */
	struct pgw_buf err;
	int			status;
	bool		counts_failed;
	struct pgw_err counts_error;
};

/*
 * Runs argv (argv[0] absolute) with password in its environment only, its
 * stderr read while it runs.  0 when it ran (see r->status); -1 when it
 * could not be started.
 */
static int
tool_run(char *const argv[], const char *password, struct tool_run *r)
{
	int			fds[2];
	pid_t		parent = getpid(),
				pid;
	struct pgw_progress pr;
	size_t		done = 0;
	bool		pipe_open = true,
				pending = false;
	struct pgw_buf line;
	int			st;

	buf_init(&r->err);
	buf_init(&line);
	r->status = -1;
	if (pipe(fds) != 0)
		return pgw_error(PGW_ERR_CONNECT, "cannot run %s: %s", r->label, strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		return pgw_error(PGW_ERR_CONNECT, "cannot run %s: %s", r->label, strerror(errno));
	}
	if (pid == 0)
	{
		struct pgw_runas me = {0};
		int			null = open("/dev/null", O_RDWR);

		umask(077);
		if (proc_child_setup(&me, SIGTERM, parent) != 0)
			_exit(126);
		if (null >= 0)
		{
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		if (password)
			setenv("PGPASSWORD", password, 1);
		execv(argv[0], argv);
		fprintf(stderr, "pgwarden: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	inflight_pid = pid;
	close(fds[1]);
	if (r->counts_conn)
		pending = PQsendQuery(r->counts_conn, count_sql) == 1;
	if (r->counts_conn && !pending)
	{
		r->counts_failed = true;
		db_error_from(r->counts_conn, NULL, PGW_ERR_CONNECT, "cannot count the rows of the tables");
		pgw_error_save(&r->counts_error);
	}
	if (r->progress)
		progress_start(&pr, r->label, r->tables);
	while (pipe_open || pending)
	{
		struct pollfd p[2];
		int			np = 0;

		if (pipe_open)
		{
			p[np].fd = fds[0];
			p[np].events = POLLIN;
			np++;
		}
		if (pending)
		{
			p[np].fd = PQsocket(r->counts_conn);
			p[np].events = POLLIN;
			np++;
		}
		if (poll(p, (nfds_t) np, 200) < 0 && errno != EINTR)
			break;
		if (pipe_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		{
			char		chunk[4096];
			ssize_t		n = read(fds[0], chunk, sizeof(chunk));

			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				pipe_open = false;
			else if (n > 0)
			{
				buf_append_len(&r->err, chunk, (size_t) n);
				for (ssize_t k = 0; k < n; k++)
				{
					if (chunk[k] != '\n')
					{
						buf_append_char(&line, chunk[k]);
						continue;
					}
					if (line.data && r->marker && strstr(line.data, r->marker))
						done++;
					buf_reset(&line);
				}
			}
		}
		if (pending && (p[np - 1].revents & (POLLIN | POLLHUP | POLLERR)))
		{
			if (PQconsumeInput(r->counts_conn) == 0)
				pending = false;
			while (pending && !PQisBusy(r->counts_conn))
			{
				PGresult   *res = PQgetResult(r->counts_conn);

				if (!res)
				{
					pending = false;
					break;
				}
				if (!r->counts_failed && PQresultStatus(res) == PGRES_TUPLES_OK)
					counts_from(r->counts_conn, res, r->counts);
				else if (!r->counts_failed)
				{
					struct pgw_err saved;

					pgw_error_save(&saved);
					db_error_from(r->counts_conn, res, PGW_ERR_CONNECT, "cannot count the rows of the tables");
					pgw_error_save(&r->counts_error);
					pgw_error_restore(&saved);
					r->counts_failed = true;
				}
				PQclear(res);
			}
			if (!pending && !r->counts_failed && !r->counts->items)
			{
				r->counts_failed = true;
				db_error_from(r->counts_conn, NULL, PGW_ERR_CONNECT, "cannot count the rows of the tables");
				pgw_error_save(&r->counts_error);
			}
		}
		if (r->progress)
		{
			char	   *bytes = out_bytes(path_bytes(r->watch));

			snprintf(pr.label, sizeof(pr.label), "%s %s, tables", r->label, bytes);
			free(bytes);
			progress_update(&pr, done);
		}
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	inflight_pid = 0;
	if (r->progress)
		progress_finish(&pr);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	buf_release(&line);
	return 0;
}

/* --- the fingerprint -------------------------------------------------------- */

int
backup_fingerprint(PGconn *conn, const struct pgw_config *cfg, char *fp, struct pgw_buf *snapshot)
{
	struct pgw_catalog_opts o;
	struct pgw_model m;
	struct pgw_buf b;
	int			rc;

	memset(&o, 0, sizeof(o));
	o.stable = true;
	o.tenant_column = cfg->tenant_column;
	o.managed = &cfg->schemas;
	model_init(&m);
	buf_init(&b);
	rc = catalog_read(&conn, 1, &o, &m, NULL);
	if (rc == 0)
	{
		snapshot_write(&m, true, &b);
		rc = sha256_hex(b.data, b.len, fp);
	}
	model_release(&m);
	if (rc == 0 && snapshot)
		buf_append_len(snapshot, b.data, b.len);
	buf_release(&b);
	return rc;
}

/* --- the manifest ------------------------------------------------------------ */

static json_t *
counts_json(const struct pgw_table_counts *c)
{
	json_t	   *a = json_array();

	for (size_t i = 0; i < c->n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I}", "schema", c->items[i].schema,
										   "name", c->items[i].name, "rows", (json_int_t) c->items[i].rows,
										   "bytes", (json_int_t) c->items[i].bytes));
	return a;
}

static int
write_json(const char *path, json_t *doc)
{
	char	   *text = json_dumps(doc, JSON_INDENT(2));
	struct pgw_buf b;
	int			rc;

	buf_init(&b);
	buf_append(&b, text);
	buf_append_char(&b, '\n');
	free(text);
	rc = fs_write_file(path, b.data, b.len, 0600);
	buf_release(&b);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* SHA-256 and size of an archive: a file, or a folder's files (sorted by
 * name) whose "sha name" lines are hashed in turn; files: filled for a
 * folder (may be NULL). */
static int
archive_digest(const char *path, char *hex, unsigned long long *bytes, json_t *files)
{
	struct pgw_strlist names = {0};
	struct pgw_buf lines;
	DIR		   *d;
	struct dirent *de;
	int			rc = 0;

	*bytes = 0;
	if (!fs_is_dir(path))
		return sha256_file_hex(path, hex, bytes);
	if ((d = opendir(path)) == NULL)
		return pgw_error(PGW_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			strlist_add(&names, de->d_name);
	closedir(d);
	qsort(names.items, names.n, sizeof(char *), cmp_str);
	buf_init(&lines);
	for (size_t i = 0; i < names.n && rc == 0; i++)
	{
		char	   *f = fs_join(path, names.items[i]);
		char		h[PGW_SHA256_HEX_LEN + 1];
		unsigned long long n = 0;

		rc = sha256_file_hex(f, h, &n);
		if (rc == 0)
		{
			*bytes += n;
			buf_printf(&lines, "%s  %s\n", h, names.items[i]);
			if (files)
				json_array_append_new(files, json_pack("{s:s,s:I,s:s}", "name", names.items[i],
													   "bytes", (json_int_t) n, "sha256", h));
		}
		free(f);
	}
	if (rc == 0)
		rc = sha256_hex(lines.data ? lines.data : "", lines.len, hex);
	buf_release(&lines);
	strlist_release(&names);
	return rc;
}

/* a database name as part of a folder name */
static char *
safe_name(const char *db)
{
	char	   *s = pgw_strdup(db && *db ? db : "db");

	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  *p == '_' || *p == '-'))
			*p = '_';
	return s;
}

/* The restore-and-compare of --verify, in an empty database of the local
 * sandbox cluster. */
static int
verify_in_sandbox(PGconn *conn, const struct pgw_config *cfg, const struct pgw_dumptools *tools,
				  const char *dir, json_t *manifest, struct pgw_strlist *diffs)
{
	struct pgw_sandbox_db sb;
	int			rc;

	if (sandbox_open_empty(&sb, cfg, conn, "verify") != 0)
	{
		pgw_error_prefix("cannot verify the backup");
		return -1;
	}
	rc = backup_restore_archive(tools, dir, manifest, sb.conninfo, 1, false, false);
	if (rc == 0 && fault_active("backup:verify-mismatch"))
	{
		/* test hook: the restored copy loses a row of the first table with rows */
		json_t	   *tables = json_object_get(manifest, "tables");
		size_t		i;
		json_t	   *t;

		json_array_foreach(tables, i, t)
		{
			if (json_integer_value(json_object_get(t, "rows")) > 0)
			{
				struct pgw_buf sql;

				buf_init(&sql);
				buf_append(&sql, "SET session_replication_role = replica; DELETE FROM ");
				sql_qname(&sql, json_string_value(json_object_get(t, "schema")),
						  json_string_value(json_object_get(t, "name")));
				buf_append(&sql, " WHERE ctid = (SELECT ctid FROM ");
				sql_qname(&sql, json_string_value(json_object_get(t, "schema")),
						  json_string_value(json_object_get(t, "name")));
				buf_append(&sql, " LIMIT 1)");
				PQclear(PQexec(sb.conn, sql.data));
				buf_release(&sql);
				break;
			}
		}
	}
	if (rc == 0)
		rc = backup_compare(sb.conn, cfg, dir, manifest, diffs);
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		sandbox_close(&sb);
		pgw_error_restore(&saved);
	}
	if (rc != 0)
		pgw_error_prefix("cannot verify the backup");
	return rc;
}

int
backup_create(PGconn *conn, const char *conninfo, const char *display, const struct pgw_config *cfg,
			  const struct pgw_backup_opts *o, struct pgw_backup_result *r)
{
	const char *parent = o->parent ? o->parent : cfg->backup_dir;
	char		stamp[32];
	char	   *db = safe_name(PQdb(conn));
	char	   *tmp = NULL,
			   *archive = NULL,
			   *snapfile = NULL,
			   *manfile = NULL,
			   *safe_ci = NULL,
			   *password = NULL,
			   *pg_dump = NULL,
			   *snapid = NULL,
			   *created = NULL;
	char		fp[PGW_SHA256_HEX_LEN + 1],
				sha[PGW_SHA256_HEX_LEN + 1];
	char		jobs[16];
	struct pgw_dumptools tools;
	struct pgw_table_counts counts;
	struct pgw_history h;
	struct pgw_buf snap;
	struct tool_run tr;
	bool		in_tx = false;
	json_t	   *files = NULL;
	long long	t0 = pgw_now_ms(),
				t1;
	int			rc = -1;
	PGresult   *res;
	const char *last_version = NULL,
			   *last_name = NULL;

	memset(r, 0, sizeof(*r));
	memset(&counts, 0, sizeof(counts));
	memset(&h, 0, sizeof(h));
	memset(&tr, 0, sizeof(tr));
	buf_init(&snap);
	if (backup_find_tools(cfg, PQserverVersion(conn) / 10000, &tools) != 0)
		goto done;
	if (fs_mkdir_p(parent, 0700) != 0)
		goto done;
	backup_stamp(stamp, sizeof(stamp));
	/* two backups in the same second get _2, _3, ... */
	for (int k = 1;; k++)
	{
		char	   *name = k == 1 ? pgw_asprintf("%s_%s", stamp, db) : pgw_asprintf("%s_%s_%d", stamp, db, k);
		char	   *path = fs_join(parent, name);

		if (!fs_exists(path))
		{
			r->name = name;
			r->path = path;
			break;
		}
		free(name);
		free(path);
	}
	{
		char	   *hidden = pgw_asprintf(".%s.tmp-%d", r->name, (int) getpid());

		tmp = fs_join(parent, hidden);
		free(hidden);
	}
	if (mkdir(tmp, 0700) != 0)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot create '%s': %s", tmp, strerror(errno));
		goto done;
	}
	inflight_dir = pgw_strdup(tmp);
	archive = fs_join(tmp, o->jobs > 1 ? "db.dir" : "db.dump");
	snapfile = fs_join(tmp, "snapshot.json");
	manfile = fs_join(tmp, "manifest.json");

	/* one snapshot for the catalog, the history, the counts and pg_dump */
	if (db_command(conn, PGW_ERR_CONNECT, "cannot start the backup's transaction",
				   "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL) != 0)
		goto done;
	in_tx = true;
	res = db_exec(conn, PGW_ERR_CONNECT, "cannot export a snapshot for pg_dump",
				  "SELECT pg_catalog.pg_export_snapshot()", 0, NULL, PGRES_TUPLES_OK);
	if (!res)
		goto done;
	snapid = pgw_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (history_read(conn, &h, migrations_supabase_layout(cfg->migrations_dir)) != 0)
		goto done;
	for (size_t i = h.n; i > 0; i--)
		if (!h.rows[i - 1].failed)
		{
			last_version = h.rows[i - 1].version;
			last_name = h.rows[i - 1].name;
			break;
		}
	if (backup_fingerprint(conn, cfg, fp, &snap) != 0)
		goto done;
	if (fs_write_file(snapfile, snap.data, snap.len, 0600) != 0)
		goto done;

	pg_dump = fs_join(tools.dir, "pg_dump");
	safe_ci = split_password(conninfo, &password);
	snprintf(jobs, sizeof(jobs), "%d", o->jobs);
	{
		char	   *snaparg = pgw_asprintf("--snapshot=%s", snapid);
		char	   *argv[16];
		int			a = 0;

		argv[a++] = pg_dump;
		argv[a++] = o->jobs > 1 ? "--format=directory" : "--format=custom";
		if (o->jobs > 1)
		{
			argv[a++] = "--jobs";
			argv[a++] = jobs;
		}
		argv[a++] = snaparg;
		argv[a++] = "--verbose";
		if (o->schema_only)
			argv[a++] = "--schema-only";
		argv[a++] = "--file";
		argv[a++] = archive;
		argv[a++] = "--dbname";
		argv[a++] = safe_ci;
		argv[a] = NULL;
		tr.label = "pg_dump";
		tr.marker = "dumping contents of table";
		tr.watch = archive;
		tr.progress = o->progress;
		tr.counts_conn = conn;
		tr.counts = &counts;
		t1 = pgw_now_ms();
		rc = tool_run(argv, password, &tr);
		r->dump_ms = pgw_now_ms() - t1;
		free(snaparg);
	}
	if (rc != 0)
		goto done;
	rc = -1;
	/* test hook: the disk fills up while pg_dump writes */
	if (tr.status == 0 && fault_active("backup:disk-full"))
	{
		tr.status = 1;
		buf_append(&tr.err, "pg_dump: error: could not write to output file: No space left on device\n");
	}
	if (tr.status != 0)
	{
		char	   *why = tool_errors(tr.err.data);

		pgw_error(PGW_ERR_CONNECT, "pg_dump failed (exit %d)", tr.status);
		pgw_error_detail("%s", why);
		if (strstr(why, "No space left"))
			pgw_error_hint("free space in '%s', or write the backup elsewhere with --out DIR", parent);
		free(why);
		goto done;
	}
	if (tr.counts_failed)
	{
		pgw_error_restore(&tr.counts_error);
		goto done;
	}
	in_tx = false;
	if (db_command(conn, PGW_ERR_CONNECT, "cannot end the backup's transaction", "COMMIT", 0, NULL) != 0)
		goto done;
	if (o->jobs > 1)
		files = json_array();
	if (archive_digest(archive, sha, &r->bytes, files) != 0)
		goto done;

	created = iso_now();
	r->manifest = json_object();
	json_object_set_new(r->manifest, "format", json_string(PGW_BACKUP_FORMAT));
	json_object_set_new(r->manifest, "name", json_string(r->name));
	json_object_set_new(r->manifest, "created_at", json_string(created));
	json_object_set_new(r->manifest, "reason", json_string(o->reason ? o->reason : "manual"));
	json_object_set_new(r->manifest, "pgwarden_version", json_string(PGW_VERSION));
	json_object_set_new(r->manifest, "target", json_string(display));
	json_object_set_new(r->manifest, "database", json_string(PQdb(conn)));
	{
		const char *sv = PQparameterStatus(conn, "server_version");

		json_object_set_new(r->manifest, "server_version", json_string(sv ? sv : ""));
	}
	json_object_set_new(r->manifest, "server_major", json_integer(PQserverVersion(conn) / 10000));
	json_object_set_new(r->manifest, "pg_dump_version", json_string(tools.version));
	json_object_set_new(r->manifest, "schema_only", json_boolean(o->schema_only));
	json_object_set_new(r->manifest, "archive",
						json_pack("{s:s,s:s,s:I,s:s}", "file", o->jobs > 1 ? "db.dir" : "db.dump",
								  "format", o->jobs > 1 ? "directory" : "custom",
								  "bytes", (json_int_t) r->bytes, "sha256", sha));
	if (files)
		json_object_set_new(json_object_get(r->manifest, "archive"), "files", files);
	files = NULL;
	json_object_set_new(r->manifest, "schema", json_pack("{s:s,s:s}", "fingerprint", fp, "snapshot",
														 "snapshot.json"));
	json_object_set_new(r->manifest, "last_migration", last_version ?
						json_pack("{s:s,s:s?}", "version", last_version, "name", last_name) : json_null());
	json_object_set_new(r->manifest, "tables", counts_json(&counts));
	json_object_set_new(r->manifest, "totals",
						json_pack("{s:I,s:I,s:I}", "tables", (json_int_t) counts.n,
								  "rows", (json_int_t) counts.rows,
								  "database_bytes", (json_int_t) counts.database_bytes));
	json_object_set_new(r->manifest, "dump_ms", json_integer(r->dump_ms));
	json_object_set_new(r->manifest, "verified", json_null());
	if (write_json(manfile, r->manifest) != 0)
		goto done;
	r->total_ms = pgw_now_ms() - t0;

	if (o->verify)
	{
		t1 = pgw_now_ms();
		if (verify_in_sandbox(conn, cfg, &tools, tmp, r->manifest, &r->differences) != 0)
			goto done;
		r->verify_ms = pgw_now_ms() - t1;
		if (r->differences.n)
		{
			r->verify_failed = true;
			rc = 0;
			goto done;			/* the folder goes: a backup that does not restore */
		}
		r->verified = true;
		{
			char	   *at = iso_now();

			json_object_set_new(r->manifest, "verified",
								json_pack("{s:b,s:s,s:I}", "ok", 1, "at", at, "ms", (json_int_t) r->verify_ms));
			free(at);
		}
		if (write_json(manfile, r->manifest) != 0)
			goto done;
	}
	if (rename(tmp, r->path) != 0)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot rename '%s' to '%s': %s", tmp, r->path, strerror(errno));
		goto done;
	}
	free(inflight_dir);
	inflight_dir = NULL;
	rc = 0;
done:
	if (in_tx)
		PQclear(PQexec(conn, "ROLLBACK"));
	if (rc != 0 || r->verify_failed)
	{
		backup_cleanup_inflight();
		if (rc != 0)
		{
			json_decref(r->manifest);
			r->manifest = NULL;
			free(r->path);
			free(r->name);
			r->path = r->name = NULL;
		}
	}
	if (tr.counts_failed)
		pgw_err_release(&tr.counts_error);
	buf_release(&tr.err);
	json_decref(files);
	history_release(&h);
	backup_counts_release(&counts);
	buf_release(&snap);
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	free(safe_ci);
	free(pg_dump);
	free(snapid);
	free(created);
	free(archive);
	free(snapfile);
	free(manfile);
	free(tmp);
	free(db);
	return rc;
}

void
backup_result_release(struct pgw_backup_result *r)
{
	free(r->path);
	free(r->name);
	json_decref(r->manifest);
	strlist_release(&r->differences);
	memset(r, 0, sizeof(*r));
}

/* --- checking a backup before it is used --------------------------------------- */

char *
backup_archive_path(const char *dir, json_t *manifest)
{
	const char *file = json_string_value(json_object_get(json_object_get(manifest, "archive"), "file"));

	return fs_join(dir, file ? file : "db.dump");
}

int
backup_check(const char *dir, json_t **manifest)
{
	char	   *mpath,
			   *apath = NULL;
	json_t	   *m;
	json_error_t je;
	json_t	   *arch;
	const char *file,
			   *want;
	char		sha[PGW_SHA256_HEX_LEN + 1];
	unsigned long long bytes = 0;
	int			rc = -1;

	*manifest = NULL;
	if (!fs_is_dir(dir))
	{
		pgw_error(PGW_ERR_INPUT, "no backup at '%s'", dir);
		pgw_error_hint("'pgwarden backup list' shows the backups");
		return -1;
	}
	mpath = fs_join(dir, "manifest.json");
	if (!fs_exists(mpath))
	{
		pgw_error(PGW_ERR_INPUT, "'%s' has no manifest.json", dir);
		pgw_error_detail("without its manifest an archive cannot be checked, so it is not used");
		pgw_error_hint("pass a folder made by 'pgwarden backup'");
		free(mpath);
		return -1;
	}
	m = json_load_file(mpath, 0, &je);
	if (!m)
	{
		pgw_error(PGW_ERR_INPUT, "'%s' is not valid JSON", mpath);
		pgw_error_detail("line %d, column %d: %s", je.line, je.column, je.text);
		free(mpath);
		return -1;
	}
	arch = json_object_get(m, "archive");
	file = json_string_value(json_object_get(arch, "file"));
	want = json_string_value(json_object_get(arch, "sha256"));
	if (!json_is_object(m) || !json_is_string(json_object_get(m, "format")) ||
		strcmp(json_string_value(json_object_get(m, "format")), PGW_BACKUP_FORMAT) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "'%s' is not a pgwarden backup manifest", mpath);
		pgw_error_detail("its format is not %s", PGW_BACKUP_FORMAT);
		goto done;
	}
	if (!file || !want || strchr(file, '/') || !json_is_integer(json_object_get(arch, "bytes")) ||
		!json_is_string(json_object_get(json_object_get(m, "schema"), "fingerprint")) ||
		!json_is_array(json_object_get(m, "tables")))
	{
		pgw_error(PGW_ERR_INPUT, "'%s' lacks fields a backup manifest has", mpath);
		pgw_error_detail("archive.file, archive.bytes, archive.sha256, schema.fingerprint and tables are needed");
		goto done;
	}
	apath = fs_join(dir, file);
	if (!fs_exists(apath))
	{
		pgw_error(PGW_ERR_INPUT, "the archive '%s' is missing", apath);
		goto done;
	}
	if (archive_digest(apath, sha, &bytes, NULL) != 0)
		goto done;
	if ((json_int_t) bytes != json_integer_value(json_object_get(arch, "bytes")))
	{
		pgw_error(PGW_ERR_INPUT, "the archive '%s' is %s: %llu bytes, the manifest says %lld", apath,
				  (json_int_t) bytes < json_integer_value(json_object_get(arch, "bytes")) ? "truncated" : "changed",
				  bytes, (long long) json_integer_value(json_object_get(arch, "bytes")));
		pgw_error_hint("use another backup; this one cannot be restored safely");
		goto done;
	}
	if (strcmp(sha, want) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "the archive '%s' does not match its checksum", apath);
		pgw_error_detail("SHA-256 %s, the manifest says %s", sha, want);
		pgw_error_hint("the file was changed or corrupted after the backup; use another backup");
		goto done;
	}
	*manifest = m;
	m = NULL;
	rc = 0;
done:
	json_decref(m);
	free(mpath);
	free(apath);
	return rc;
}

/* --- restoring and comparing ------------------------------------------------ */

int
backup_restore_archive(const struct pgw_dumptools *tools, const char *dir, json_t *manifest,
					   const char *conninfo, int jobs, bool clean, bool no_owner)
{
	char	   *pg_restore = fs_join(tools->dir, "pg_restore");
	char	   *archive = backup_archive_path(dir, manifest);
	char	   *password = NULL;
	char	   *safe_ci = split_password(conninfo, &password);
	char		jtext[16];
	char	   *argv[20];
	int			a = 0,
				rc;
	struct tool_run tr;

	memset(&tr, 0, sizeof(tr));
	snprintf(jtext, sizeof(jtext), "%d", jobs);
	argv[a++] = pg_restore;
	argv[a++] = "--exit-on-error";
	argv[a++] = "--verbose";
	if (jobs > 1)
	{
		argv[a++] = "--jobs";
		argv[a++] = jtext;
	}
	else
		argv[a++] = "--single-transaction";
	if (clean)
	{
		argv[a++] = "--clean";
		argv[a++] = "--if-exists";
	}
	if (no_owner)
	{
		argv[a++] = "--no-owner";
		argv[a++] = "--no-privileges";
	}
	argv[a++] = "--dbname";
	argv[a++] = safe_ci;
	argv[a++] = archive;
	argv[a] = NULL;
	tr.label = "pg_restore";
	tr.marker = "processing data for table";
	tr.tables = json_array_size(json_object_get(manifest, "tables"));
	tr.progress = !out_is_quiet();
	rc = tool_run(argv, password, &tr);
	if (rc == 0 && tr.status != 0)
	{
		char	   *why = tool_errors(tr.err.data);

		rc = pgw_error(PGW_ERR_APPLY, "pg_restore failed (exit %d)", tr.status);
		pgw_error_detail("%s", why);
		if (strstr(why, "role") && strstr(why, "does not exist"))
			pgw_error_hint("create the roles the backup's objects belong to, or restore with --no-owner");
		free(why);
	}
	buf_release(&tr.err);
	if (password)
		explicit_bzero(password, strlen(password));
	free(password);
	free(safe_ci);
	free(archive);
	free(pg_restore);
	return rc;
}

static const char *
json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

int
backup_compare(PGconn *conn, const struct pgw_config *cfg, const char *dir, json_t *manifest,
			   struct pgw_strlist *diffs)
{
	char		fp[PGW_SHA256_HEX_LEN + 1];
	struct pgw_buf snap;
	struct pgw_table_counts c;
	const char *want = json_string_value(json_object_get(json_object_get(manifest, "schema"), "fingerprint"));
	json_t	   *tables = json_object_get(manifest, "tables");
	json_t	   *t;
	size_t		i;

	buf_init(&snap);
	if (backup_fingerprint(conn, cfg, fp, &snap) != 0)
	{
		buf_release(&snap);
		return -1;
	}
	if (!want || strcmp(fp, want) != 0)
	{
		char	   *path = fs_join(dir, "snapshot.json");
		char	   *text = NULL;
		size_t		len;

		if (fs_read_file(path, &text, &len) == 0)
		{
			char	   *d = text_first_difference(text, snap.data ? snap.data : "", "backup", "restored");
			char	   *m = pgw_asprintf("the schema differs from the backup's (%s)", d);

			strlist_add(diffs, m);
			free(m);
			free(d);
		}
		else
		{
			pgw_error_clear();
			strlist_add(diffs, "the schema differs from the backup's (fingerprint)");
		}
		free(text);
		free(path);
	}
	buf_release(&snap);
	if (json_is_true(json_object_get(manifest, "schema_only")))
		return 0;
	if (backup_count_rows(conn, &c) != 0)
		return -1;
	json_array_foreach(tables, i, t)
	{
		const char *s = json_string_value(json_object_get(t, "schema"));
		const char *n = json_string_value(json_object_get(t, "name"));
		long long	rows = json_integer_value(json_object_get(t, "rows"));
		bool		found = false;

		if (!s || !n)
			continue;
		for (size_t k = 0; k < c.n; k++)
			if (strcmp(c.items[k].schema, s) == 0 && strcmp(c.items[k].name, n) == 0)
			{
				found = true;
				if (c.items[k].rows != rows)
				{
					char	   *m = pgw_asprintf("table %s.%s has %lld rows, the backup %lld", s, n,
												 c.items[k].rows, rows);

					strlist_add(diffs, m);
					free(m);
				}
				break;
			}
		if (!found)
		{
			char	   *m = pgw_asprintf("table %s.%s is missing", s, n);

			strlist_add(diffs, m);
			free(m);
		}
	}
	for (size_t k = 0; k < c.n; k++)
	{
		bool		found = false;

		json_array_foreach(tables, i, t)
			if (strcmp(c.items[k].schema, json_str(t, "schema")) == 0 &&
				strcmp(c.items[k].name, json_str(t, "name")) == 0)
			found = true;
		if (!found)
		{
			char	   *m = pgw_asprintf("table %s.%s is not in the backup", c.items[k].schema, c.items[k].name);

			strlist_add(diffs, m);
			free(m);
		}
	}
	backup_counts_release(&c);
	return 0;
}

/* --- the folder of backups ----------------------------------------------------- */

int
backup_list_names(const char *parent, struct pgw_strlist *names)
{
	DIR		   *d = opendir(parent);
	struct dirent *de;

	if (!d)
	{
		if (errno == ENOENT)
			return 0;
		return pgw_error(PGW_ERR_INPUT, "cannot read '%s': %s", parent, strerror(errno));
	}
	while ((de = readdir(d)) != NULL)
	{
		char	   *m;

		if (de->d_name[0] == '.')
			continue;
		m = pgw_asprintf("%s/%s/manifest.json", parent, de->d_name);
		if (fs_exists(m))
			strlist_add(names, de->d_name);
		free(m);
	}
	closedir(d);
	if (names->n > 1)
		qsort(names->items, names->n, sizeof(char *), cmp_str);
	return 0;
}

int
backup_prune(const char *parent, int keep, const char *keep_name, struct pgw_strlist *removed)
{
	struct pgw_strlist names = {0};
	size_t		extra;
	int			rc = 0;

	if (keep <= 0)
		return 0;
	if (backup_list_names(parent, &names) != 0)
		return -1;
	extra = names.n > (size_t) keep ? names.n - (size_t) keep : 0;
	for (size_t i = 0; i < names.n && extra > 0 && rc == 0; i++)
	{
		char	   *path;

		if (keep_name && strcmp(names.items[i], keep_name) == 0)
			continue;
		path = fs_join(parent, names.items[i]);
		rc = fs_remove_tree(path);
		if (rc == 0)
			strlist_add(removed, names.items[i]);
		free(path);
		extra--;
	}
	strlist_release(&names);
	return rc;
}
