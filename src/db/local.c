/*
 * local.c — the embedded PostgreSQL cluster and sandboxes (see local.h).
 *
 * The local cluster listens on 127.0.0.1, which every user of the machine can
 * reach, so initdb is given a random superuser password (scram-sha-256 over
 * TCP) that pgwarden keeps in the cluster folder; the Unix socket, in a 0700
 * folder of the server user, stays trusted and is what pgwarden connects
 * through.  Sandboxes listen on no TCP address at all and need no password.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/local.h"
#include "out/progress.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/fault.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/redact.h"
#include "util/sha256.h"
#include "util/text.h"

#define STATE_FILE "pgwarden.state"
#define PASSWORD_FILE "password"
#define PASSWORD_BYTES 12		/* 96 random bits, 24 hex digits */
#define START_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 60000

/* --- binaries ---------------------------------------------------------- */

static bool
has_server_binaries(const char *dir)
{
	char	   *initdb = fs_join(dir, "initdb");
	char	   *postgres = fs_join(dir, "postgres");
	bool		ok = access(initdb, X_OK) == 0 && access(postgres, X_OK) == 0;

	free(initdb);
	free(postgres);
	return ok;
}

/* Reads "postgres (PostgreSQL) 15.18 (Debian ...)" from postgres --version. */
static int
read_version(struct pgw_pgbin *bin)
{
	char	   *postgres = fs_join(bin->dir, "postgres");
	char	   *argv[] = {postgres, "--version", NULL};
	struct pgw_buf out;
	int			status;
	const char *p;
	long		major;

	buf_init(&out);
	if (proc_run(argv, NULL, NULL, &out, &status) != 0 || status != 0)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot run '%s --version'", postgres);
		pgw_error_detail("%s", out.data);
		free(postgres);
		buf_release(&out);
		return -1;
	}
	free(postgres);
	p = strstr(out.data, ") ");
	p = p ? p + 2 : out.data;
	snprintf(bin->version, sizeof(bin->version), "%.*s", (int) strcspn(p, " \n"), p);
	major = strtol(bin->version, NULL, 10);
	buf_release(&out);
	if (major < 10)
		return pgw_error(PGW_ERR_CONNECT, "cannot tell the version of the PostgreSQL binaries in '%s'",
						 bin->dir);
	bin->major = (int) major;
	return 0;
}

static bool
try_dir(struct pgw_pgbin *bin, const char *dir)
{
	if (!dir || !*dir || !has_server_binaries(dir))
		return false;
	snprintf(bin->dir, sizeof(bin->dir), "%s", dir);
	return true;
}

/*
 * Calls fn with dir/name for each folder of PATH, in order, until fn returns
 * true; returns whether one did.
 */
static bool
path_each(const char *name, bool (*fn) (const char *candidate, struct pgw_pgbin *bin),
		  struct pgw_pgbin *bin)
{
	const char *path = getenv("PATH");
	char	   *copy;
	char	   *save = NULL;
	char	   *dir;
	bool		found = false;

	if (!path)
		return false;
	copy = pgw_strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save))
	{
		char	   *candidate = fs_join(dir, name);

		found = fn(candidate, bin);
		free(candidate);
	}
	free(copy);
	return found;
}

/* a pg_config whose --bindir has the server binaries */
static bool
try_pg_config_at(const char *pgc, struct pgw_pgbin *bin)
{
	char	   *argv[] = {(char *) pgc, "--bindir", NULL};
	struct pgw_buf out;
	int			status;
	bool		found = false;

	if (access(pgc, X_OK) != 0)
		return false;
	buf_init(&out);
	if (proc_run(argv, NULL, NULL, &out, &status) == 0 && status == 0)
		found = try_dir(bin, text_trim(out.data));
	buf_release(&out);
	pgw_error_clear();
	return found;
}

/* Debian links initdb into /usr/local/bin or similar: follow the link to
 * find the folder that also has postgres */
static bool
try_initdb_at(const char *initdb, struct pgw_pgbin *bin)
{
	char		resolved[PATH_MAX];
	char	   *d;
	bool		found;

	if (!realpath(initdb, resolved))
		return false;
	d = fs_dirname(resolved);
	found = try_dir(bin, d);
	free(d);
	return found;
}

static bool
try_debian_dirs(struct pgw_pgbin *bin)
{
	glob_t		g;
	long		best = -1;
	size_t		i;
	char		best_dir[4096] = "";

	if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g) != 0)
		return false;
	for (i = 0; i < g.gl_pathc; i++)
	{
		const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
		long		major = strtol(v, NULL, 10);

		if (major > best && has_server_binaries(g.gl_pathv[i]))
		{
			best = major;
			snprintf(best_dir, sizeof(best_dir), "%s", g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return best >= 0 && try_dir(bin, best_dir);
}

int
local_find_binaries(const char *configured, struct pgw_pgbin *bin)
{
	const char *forced = getenv("PGWARDEN_PG_BINDIR");

	memset(bin, 0, sizeof(*bin));
	if (forced && *forced)
	{
		if (!try_dir(bin, forced))
		{
			pgw_error(PGW_ERR_CONNECT, "no PostgreSQL server binaries in '%s'", forced);
			pgw_error_detail("PGWARDEN_PG_BINDIR names a folder without initdb and postgres");
			pgw_error_hint("point PGWARDEN_PG_BINDIR at PostgreSQL's bin folder, or unset it");
			return -1;
		}
	}
	else if (configured && *configured)
	{
		if (!try_dir(bin, configured))
		{
			pgw_error(PGW_ERR_CONNECT, "no PostgreSQL server binaries in '%s'", configured);
			pgw_error_detail("[local] bindir names a folder without initdb and postgres");
			pgw_error_hint("fix [local] bindir in pgwarden.conf, or remove it to search");
			return -1;
		}
	}
	else if (!path_each("pg_config", try_pg_config_at, bin) && !try_debian_dirs(bin) &&
			 !path_each("initdb", try_initdb_at, bin))
	{
		pgw_error(PGW_ERR_CONNECT, "no PostgreSQL server binaries found");
		pgw_error_detail("looked at pg_config --bindir, /usr/lib/postgresql/*/bin and PATH for initdb and postgres");
		pgw_error_hint("install them (apt-get install postgresql-15), set [local] bindir, "
					   "or use a database elsewhere with --db URL");
		return -1;
	}
	return read_version(bin);
}

/* --- the state file ---------------------------------------------------- */

/*
 * Reads the password file into c->password and registers the password as a
 * secret, so no message or JSON document can show it.  No file (a cluster
 * made before pgwarden set passwords, or none yet) leaves it NULL.
 */
static void
password_read(struct pgw_cluster *c)
{
	char	   *text;
	size_t		len;
	const char *pw;

	free(c->password);
	c->password = NULL;
	if (fs_read_file(c->pwfile, &text, &len) != 0)
	{
		pgw_error_clear();
		return;
	}
	pw = text_trim(text);
	if (*pw)
	{
		c->password = pgw_strdup(pw);
		redact_add_secret(c->password);
	}
	explicit_bzero(text, len);
	free(text);
}

static void
state_read(struct pgw_cluster *c)
{
	char	   *text;
	size_t		len;
	char	   *line;
	char	   *save = NULL;

	c->port = 0;
	c->major = 0;
	c->initialized = false;
	c->supabase = false;
	password_read(c);
	if (fs_read_file(c->statefile, &text, &len) != 0)
	{
		pgw_error_clear();
		return;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		char	   *eq = strchr(line, '=');
		long		v;

		if (!eq)
			continue;
		*eq = '\0';
		if (!strcmp(line, "port") && text_parse_int(eq + 1, 1, 65535, &v))
			c->port = (int) v;
		else if (!strcmp(line, "major") && text_parse_int(eq + 1, 1, 1000, &v))
			c->major = (int) v;
		else if (!strcmp(line, "initialized"))
			c->initialized = strcmp(eq + 1, "1") == 0;
		else if (!strcmp(line, "supabase"))
			c->supabase = strcmp(eq + 1, "1") == 0;
		else if (!strcmp(line, "server_user"))
		{
			free(c->server_user);
			c->server_user = pgw_strdup(eq + 1);
		}
	}
	free(text);
}

static int
state_write(const struct pgw_cluster *c)
{
	char	   *text = pgw_asprintf("# written by pgwarden local; do not edit\n"
									"port=%d\nmajor=%d\ninitialized=%d\nsupabase=%d\nserver_user=%s\n",
									c->port, c->major, c->initialized ? 1 : 0,
									c->supabase ? 1 : 0, c->server_user ? c->server_user : "");
	int			rc = fs_write_file(c->statefile, text, strlen(text), 0644);

	free(text);
	return rc;
}

static void add_note(struct pgw_cluster *c, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Notes are for the command to show; layers do not print. */
static void
add_note(struct pgw_cluster *c, const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;

	buf_init(&b);
	if (c->notes)
	{
		buf_append(&b, c->notes);
		buf_append_char(&b, '\n');
		free(c->notes);
	}
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->notes = buf_steal(&b);
}

/* --- opening ----------------------------------------------------------- */

static void
set_paths(struct pgw_cluster *c, const char *real)
{
	free(c->real_dir);
	free(c->datadir);
	free(c->logfile);
	free(c->statefile);
	free(c->pwfile);
	c->real_dir = pgw_strdup(real);
	c->datadir = fs_join(real, "data");
	c->logfile = fs_join(real, "server.log");
	c->statefile = fs_join(real, STATE_FILE);
	c->pwfile = fs_join(real, PASSWORD_FILE);
}

/*
 * The cluster's real folder: where c->dir links to when it was relocated
 * (prepare_dir), else c->dir itself.  Read again under the cluster's lock:
 * another pgwarden may have made the link while this one waited for it.
 */
static void
resolve_paths(struct pgw_cluster *c)
{
	char		target[PATH_MAX];
	ssize_t		n = readlink(c->dir, target, sizeof(target) - 1);

	if (n > 0)
		target[n] = '\0';
	else
		snprintf(target, sizeof(target), "%s", c->dir);
	if (!c->real_dir || strcmp(target, c->real_dir) != 0)
		set_paths(c, target);
}

int
local_open(const struct pgw_config *cfg, const char *dir, struct pgw_cluster *c)
{
	memset(c, 0, sizeof(*c));
	c->dir = fs_absolute(dir ? dir : cfg->local_dir);
	c->dir_explicit = dir != NULL || cfg->local_dir_set;
	resolve_paths(c);
	state_read(c);
	return 0;
}

void
local_close(struct pgw_cluster *c)
{
	free(c->dir);
	free(c->real_dir);
	free(c->datadir);
	free(c->logfile);
	free(c->statefile);
	free(c->pwfile);
	free(c->password);
	free(c->server_user);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}

/* --- the running server ------------------------------------------------- */

/*
 * The postmaster's pid from postmaster.pid, if it names a live postgres.
 * The server creates the file and fills it a moment later: an empty or
 * partial first line is read again for up to a second.
 */
static pid_t
running_pid(const char *datadir)
{
	char	   *path = fs_join(datadir, "postmaster.pid");
	long		pid = 0;
	int			tries;

	for (tries = 0; tries < 50; tries++)
	{
		char	   *text;
		size_t		len;
		char	   *nl;

		if (fs_read_file(path, &text, &len) != 0)
		{
			pgw_error_clear();
			break;				/* no file: not running */
		}
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		if (!nl || !text_parse_int(text, 1, INT_MAX, &pid))
			pid = 0;
		free(text);
		if (pid > 0)
			break;
		usleep(20000);
	}
	free(path);
	if (pid > 0 && proc_alive((pid_t) pid) && proc_is_postgres((pid_t) pid))
		return (pid_t) pid;
	return 0;
}

static bool
port_in_use(int port)
{
	struct sockaddr_in addr;
	int			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int			one = 1;
	bool		busy;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	busy = bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0;
	close(fd);
	return busy;
}

/* A free port, starting from one derived from the folder so a project tends
 * to keep the same port across resets. */
static int
pick_port(const char *dir)
{
	char		hex[PGW_SHA256_HEX_LEN + 1];
	unsigned	seed = 0;
	int			i;

	if (sha256_hex(dir, strlen(dir), hex) == 0)
		seed = (unsigned) strtoul((char[9]) {hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7], 0}, NULL, 16);
	for (i = 0; i < 2000; i++)
	{
		int			port = 54320 + (int) ((seed + (unsigned) i) % 2000);

		if (!port_in_use(port))
			return port;
	}
	return 0;
}

/* conninfo for database dbname of the server whose socket is in sockdir */
static char *
socket_conninfo(const char *sockdir, int port, const char *dbname)
{
	struct pgw_buf b;
	char		portstr[16];

	snprintf(portstr, sizeof(portstr), "%d", port);
	buf_init(&b);
	text_conninfo_append(&b, "host", sockdir);
	text_conninfo_append(&b, "port", portstr);
	text_conninfo_append(&b, "user", PGW_LOCAL_SUPERUSER);
	text_conninfo_append(&b, "dbname", dbname);
	return buf_steal(&b);
}

char *
local_conninfo(const struct pgw_cluster *c)
{
	return socket_conninfo(c->real_dir, c->port, PGW_LOCAL_DBNAME);
}

static char *
url_encode(const char *s)
{
	struct pgw_buf b;

	buf_init(&b);
	for (; *s; s++)
	{
		unsigned char ch = (unsigned char) *s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			strchr("-._~", ch))
			buf_append_char(&b, (char) ch);
		else
			buf_printf(&b, "%%%02X", ch);
	}
	return buf_steal(&b);
}

static char *
socket_url(const char *dir, int port)
{
	char	   *enc = url_encode(dir);
	char	   *url = pgw_asprintf("postgresql://%s@/%s?host=%s&port=%d", PGW_LOCAL_SUPERUSER,
								   PGW_LOCAL_DBNAME, enc, port);

	free(enc);
	return url;
}

/* The TCP URL, with the password when there is one; masked: shown as
 * PGW_REDACTED, the form for messages. */
static char *
tcp_url(int port, const char *pw, bool masked)
{
	char	   *enc;
	char	   *url;

	if (!pw)
		return pgw_asprintf("postgresql://%s@127.0.0.1:%d/%s", PGW_LOCAL_SUPERUSER, port,
							PGW_LOCAL_DBNAME);
	enc = masked ? pgw_strdup(PGW_REDACTED) : url_encode(pw);
	url = pgw_asprintf("postgresql://%s:%s@127.0.0.1:%d/%s", PGW_LOCAL_SUPERUSER, enc, port,
					   PGW_LOCAL_DBNAME);
	free(enc);
	return url;
}

char *
local_url(const struct pgw_cluster *c, bool socket)
{
	if (socket)
		return socket_url(c->real_dir, c->port);
	return tcp_url(c->port, c->password, false);
}

char *
local_url_display(const struct pgw_cluster *c)
{
	return tcp_url(c->port, c->password, true);
}

/* The last lines of the server log written since offset, for error details. */
static char *
log_tail(const char *logfile, long offset, int lines)
{
	char	   *text;
	size_t		len;
	const char *start;
	const char *p;
	int			count = 0;

	if (fs_read_file(logfile, &text, &len) != 0)
	{
		pgw_error_clear();
		return pgw_strdup("(the server log could not be read)");
	}
	start = text + ((size_t) offset <= len ? (size_t) offset : 0);
	p = text + len;
	while (p > start && (p[-1] == '\n'))
		p--;
	while (p > start)
	{
		if (p[-1] == '\n' && ++count == lines)
			break;
		p--;
	}
	{
		char	   *tail = pgw_strdup(*p ? p : "(the server log is empty)");
		size_t		n = strlen(tail);

		while (n > 0 && tail[n - 1] == '\n')
			tail[--n] = '\0';
		free(text);
		return tail;
	}
}

/*
 * Whether process pid has ended.  child: it is our child (a sandbox) and is
 * reaped here; otherwise (a detached server) it is looked up.
 */
static bool
process_gone(pid_t pid, bool child)
{
	int			wstatus;
	pid_t		r;

	if (!child)
		return !proc_alive(pid);
	r = waitpid(pid, &wstatus, WNOHANG);
	return r == pid || (r < 0 && errno == ECHILD);
}

/*
 * Waits until the server at conninfo accepts connections or process pid is
 * gone.  child: pid is our child (sandbox) and must be reaped with waitpid.
 */
static int
wait_ready(const char *conninfo, pid_t pid, bool child, const char *logfile, long log_offset)
{
	int64_t		deadline = pgw_now_ms() + START_TIMEOUT_MS;
	struct pgw_progress prog;
	int			rc = -1;

	progress_start(&prog, "waiting for the server to start", 0);
	for (;;)
	{
		/* fault point local:slow-start: the server never answers (a start
		 * under heavy load), so the caller's ^C or timeout path runs */
		if (!fault_active("local:slow-start") && PQping(conninfo) == PQPING_OK)
		{
			rc = 0;
			break;
		}
		if (process_gone(pid, child))
		{
			char	   *tail = log_tail(logfile, log_offset, 15);

			pgw_error(PGW_ERR_CONNECT, "the server stopped while starting");
			pgw_error_detail("last lines of %s:\n%s", logfile, tail);
			pgw_error_hint("fix what the log says, then run the command again");
			free(tail);
			break;
		}
		if (interrupt_check() != 0)
			break;
		if (pgw_now_ms() > deadline)
		{
			pgw_error(PGW_ERR_CONNECT, "the server did not accept connections within %d s",
					  START_TIMEOUT_MS / 1000);
			pgw_error_hint("see %s", logfile);
			break;
		}
		progress_update(&prog, 0);
		usleep(20000);
	}
	progress_finish(&prog);
	return rc;
}

/* Sends sig, then waits for the process to be gone; escalates to SIGQUIT
 * (immediate shutdown) after timeout. */
static int
stop_pid(pid_t pid, bool child)
{
	int64_t		deadline = pgw_now_ms() + STOP_TIMEOUT_MS;
	bool		escalated = false;

	if (kill(pid, SIGINT) != 0 && errno != ESRCH)
		return pgw_error(PGW_ERR_CONNECT, "cannot signal the server (pid %d): %s", (int) pid, strerror(errno));
	for (;;)
	{
		if (process_gone(pid, child))
			return 0;
		if (pgw_now_ms() > deadline)
		{
			if (escalated)
				return pgw_error(PGW_ERR_CONNECT, "the server (pid %d) does not stop", (int) pid);
			kill(pid, SIGQUIT);
			escalated = true;
			deadline = pgw_now_ms() + 10000;
		}
		usleep(20000);
	}
}

/* --- creating ------------------------------------------------------------ */

/* Folders per user live here when the project folder cannot hold the cluster. */
static char *
relocated_dir(const char *dir)
{
	char		hex[PGW_SHA256_HEX_LEN + 1];
	const char *base = fs_is_dir("/var/tmp") ? "/var/tmp" : "/tmp";

	if (sha256_hex(dir, strlen(dir), hex) != 0)
		memset(hex, '0', 12);
	return pgw_asprintf("%s/pgwarden-%d-%.12s", base, (int) geteuid(), hex);
}

static bool
socket_path_fits(const char *dir)
{
	struct sockaddr_un sa;

	return strlen(dir) + strlen("/.s.PGSQL.65535") < sizeof(sa.sun_path);
}

/* Creates folder d (mode 0700) owned by the server user. */
static int
make_owned_dir(const char *d, const struct pgw_runas *ra)
{
	struct stat st;

	if (mkdir(d, 0700) != 0)
	{
		if (errno != EEXIST)
			return pgw_error(PGW_ERR_CONNECT, "cannot create folder '%s': %s", d, strerror(errno));
		if (lstat(d, &st) != 0 || !S_ISDIR(st.st_mode))
			return pgw_error(PGW_ERR_CONNECT, "'%s' is in the way: it is not a folder", d);
		if (st.st_uid != geteuid() && !(ra->active && st.st_uid == ra->uid))
			return pgw_error(PGW_ERR_CONNECT, "folder '%s' belongs to another user", d);
	}
	if (ra->active && chown(d, ra->uid, ra->gid) != 0)
		return pgw_error(PGW_ERR_CONNECT, "cannot give folder '%s' to user '%s': %s", d, ra->name,
						 strerror(errno));
	if (chmod(d, 0700) != 0)
		return pgw_error(PGW_ERR_CONNECT, "cannot set permissions of '%s': %s", d, strerror(errno));
	return 0;
}

/*
 * Makes sure the cluster folder exists, belongs to the server user and can be
 * used by it; moves the default folder to /var/tmp (leaving a link) when it
 * cannot, or when its socket path would be too long.
 */
static int
prepare_dir(struct pgw_cluster *c, const struct pgw_runas *ra)
{
	char	   *parent = fs_dirname(c->dir);
	bool		fits;

	if (fs_mkdir_p(parent, 0755) != 0)
	{
		free(parent);
		pgw_error_set_kind(PGW_ERR_CONNECT);
		return -1;
	}
	free(parent);
	if (strcmp(c->real_dir, c->dir) != 0)
		return make_owned_dir(c->real_dir, ra);	/* already relocated */

	fits = socket_path_fits(c->dir);
	if (fits)
	{
		if (make_owned_dir(c->dir, ra) != 0)
			return -1;
		if (proc_user_can_use_dir(ra, c->dir))
			return 0;
	}

	if (c->dir_explicit)
	{
		if (!fits)
		{
			pgw_error(PGW_ERR_CONNECT, "folder '%s' is too deep for a Unix socket", c->dir);
			pgw_error_detail("the socket path must stay under %d bytes", 107);
			pgw_error_hint("choose a shorter --dir / [local] dir");
		}
		else
		{
			pgw_error(PGW_ERR_CONNECT, "user '%s' cannot use folder '%s'", ra->active ? ra->name : "you", c->dir);
			pgw_error_detail("the server runs as '%s' and needs to enter every parent folder",
							 ra->active ? ra->name : "you");
			pgw_error_hint("make the parents traversable (chmod o+x on each) or choose another --dir");
		}
		return -1;
	}

	/* move it: drop the folder we may just have made, link to the new place */
	{
		char	   *moved = relocated_dir(c->dir);

		rmdir(c->dir);
		if (make_owned_dir(moved, ra) != 0)
		{
			free(moved);
			return -1;
		}
		if (symlink(moved, c->dir) != 0)
		{
			pgw_error(PGW_ERR_CONNECT, "cannot link '%s' to '%s': %s", c->dir, moved, strerror(errno));
			free(moved);
			return -1;
		}
		add_note(c, "%s; the cluster lives in %s (linked from %s)",
				 !fits ? "the project folder is too deep for a Unix socket"
				 : "the server user cannot reach the project folder",
				 moved, c->dir);
		set_paths(c, moved);
		free(moved);
	}
	return 0;
}

/*
 * A new random password: PASSWORD_BYTES from the kernel as hex, so it needs
 * no quoting in a URL or a file.  out must hold 2 * PASSWORD_BYTES + 1.
 */
static int
make_password(char *out)
{
	unsigned char raw[PASSWORD_BYTES];
	size_t		got = 0;
	size_t		i;

	while (got < sizeof(raw))
	{
		ssize_t		n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS)
				break;			/* an old kernel: /dev/urandom below */
			return pgw_error(PGW_ERR_INTERNAL, "cannot get random bytes: %s", strerror(errno));
		}
		got += (size_t) n;
	}
	if (got < sizeof(raw))
	{
		int			fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		ssize_t		n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;

		if (fd >= 0)
			close(fd);
		if (n != (ssize_t) sizeof(raw))
			return pgw_error(PGW_ERR_INTERNAL, "cannot read /dev/urandom");
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/*
 * Writes password to a new file at path (mode 0600) that initdb, which runs
 * as the server user, can read: given to that user when pgwarden is root.
 */
static int
write_initdb_pwfile(const char *path, const char *password, const struct pgw_runas *ra)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t		len = strlen(password);
	int			rc = 0;

	if (fd < 0)
		return pgw_error(PGW_ERR_CONNECT, "cannot create '%s': %s", path, strerror(errno));
	if (write(fd, password, len) != (ssize_t) len || write(fd, "\n", 1) != 1)
		rc = pgw_error(PGW_ERR_CONNECT, "cannot write '%s': %s", path, strerror(errno));
	else if (ra->active && fchown(fd, ra->uid, ra->gid) != 0)
		rc = pgw_error(PGW_ERR_CONNECT, "cannot give '%s' to user '%s': %s", path, ra->name,
					   strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = pgw_error(PGW_ERR_CONNECT, "cannot write '%s': %s", path, strerror(errno));
	if (rc != 0)
		unlink(path);
	return rc;
}

/*
 * Runs initdb for datadir.  password NULL: every connection is trusted (a
 * sandbox, which listens on no TCP address).  Otherwise it becomes the
 * superuser's password and TCP connections need it (scram-sha-256); initdb
 * reads it from a temporary file next to datadir, removed before returning
 * (a killed run's file goes with the data.initdb-* folders).
 */
static int
run_initdb(const struct pgw_pgbin *bin, const struct pgw_runas *ra, const char *dir,
		   const char *datadir, bool nosync, const char *password)
{
	char	   *initdb = fs_join(bin->dir, "initdb");
	char	   *dflag = pgw_asprintf("--pgdata=%s", datadir);
	char	   *pwpath = NULL;
	char	   *pwflag = NULL;
	char	   *argv[13];
	int			i = 0;
	struct pgw_buf out;
	int			status;
	int			rc = 0;

	argv[i++] = initdb;
	argv[i++] = dflag;
	argv[i++] = "--username=" PGW_LOCAL_SUPERUSER;
	argv[i++] = "--auth-local=trust";
	if (password)
	{
		pwpath = pgw_asprintf("%s.pwfile", datadir);
		unlink(pwpath);			/* left by a killed run of this pid */
		if (write_initdb_pwfile(pwpath, password, ra) != 0)
		{
			free(pwpath);
			free(initdb);
			free(dflag);
			return -1;
		}
		pwflag = pgw_asprintf("--pwfile=%s", pwpath);
		argv[i++] = "--auth-host=scram-sha-256";
		argv[i++] = pwflag;
	}
	else
		argv[i++] = "--auth-host=trust";
	argv[i++] = "--encoding=UTF8";
	argv[i++] = "--locale=C.UTF-8";
	if (nosync)
		argv[i++] = "--no-sync";
	argv[i++] = "--no-instructions";
	argv[i] = NULL;
	buf_init(&out);
	if (proc_run(argv, ra, dir, &out, &status) != 0)
		rc = -1;
	else if (status != 0 && pgw_interrupted())
		rc = interrupt_check();	/* stopped by the signal (it cleans up after itself) */
	else if (status != 0)
	{
		pgw_error(PGW_ERR_CONNECT, "initdb failed (exit status %d)", status);
		pgw_error_detail("%s", out.data);
		rc = -1;
	}
	if (pwpath)
		unlink(pwpath);
	buf_release(&out);
	free(pwpath);
	free(pwflag);
	free(initdb);
	free(dflag);
	return rc;
}

/* Settings for every server we make; port and paths are passed at start. */
static int
write_server_conf(const struct pgw_pgbin *bin, const char *datadir, const char *sockdir, bool tcp)
{
	char	   *conf = fs_join(datadir, "postgresql.conf");
	char	   *text;
	size_t		len;
	char	   *statements = pgw_asprintf("%s/../lib/pg_stat_statements.so", bin->dir);
	bool		pgss = access(statements, R_OK) == 0;
	struct pgw_buf b;
	int			rc;
	FILE	   *f;

	free(statements);
	if (fs_read_file(conf, &text, &len) != 0)
	{
		free(conf);
		return -1;
	}
	free(text);
	buf_init(&b);
	buf_printf(&b, "\n# --- added by pgwarden ---\n"
			   "listen_addresses = '%s'\n"
			   "unix_socket_directories = '%s'\n"
			   "unix_socket_permissions = 0700\n"
			   "log_line_prefix = '%%m [%%p] '\n"
			   "log_timezone = 'UTC'\n"
			   "timezone = 'UTC'\n",
			   tcp ? "127.0.0.1" : "", sockdir);
	if (pgss)
		buf_append(&b, "shared_preload_libraries = 'pg_stat_statements'\n");
	f = fopen(conf, "a");
	if (!f)
	{
		rc = pgw_error(PGW_ERR_CONNECT, "cannot write '%s': %s", conf, strerror(errno));
	}
	else
	{
		fputs(b.data, f);
		rc = fclose(f) == 0 ? 0 : pgw_error(PGW_ERR_CONNECT, "cannot write '%s'", conf);
	}
	buf_release(&b);
	free(conf);
	return rc;
}

static long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long) st.st_size : 0;
}

/*
 * The child's half of starting a server: become the server user (with the
 * parent-death signal deathsig, 0 for none), stdin from /dev/null, output
 * appended to logfile, run from datadir, exec argv.  Never returns.
 */
static void
exec_server(char *const argv[], const struct pgw_runas *ra, int deathsig, pid_t parent,
			const char *logfile, const char *datadir)
{
	int			devnull = open("/dev/null", O_RDONLY);
	int			log;

	if (proc_child_setup(ra, deathsig, parent) != 0)
		_exit(126);
	log = open(logfile, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	if (log >= 0)
	{
		dup2(log, STDOUT_FILENO);
		dup2(log, STDERR_FILENO);
	}
	if (chdir(datadir) != 0)
		_exit(126);
	execv(argv[0], argv);
	fprintf(stderr, "pgwarden: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Starts postgres detached, the way pg_ctl does: fork, new session, fork
 * again so the server is not our child, output to the log.  Returns the
 * server's pid (through a pipe from the middle process).
 */
static int
spawn_detached(const struct pgw_pgbin *bin, const struct pgw_runas *ra,
			   const struct pgw_cluster *c, pid_t *server_pid)
{
	char	   *postgres = fs_join(bin->dir, "postgres");
	char	   *port = pgw_asprintf("%d", c->port);
	char	   *argv[] = {postgres, "-D", c->datadir, "-p", port, NULL};
	int			fds[2];
	pid_t		mid;
	int			wstatus;
	pid_t		pid = 0;
	ssize_t		n;

	if (pipe2(fds, O_CLOEXEC) != 0)
	{
		free(postgres);
		free(port);
		return pgw_error(PGW_ERR_INTERNAL, "cannot create a pipe: %s", strerror(errno));
	}
	fflush(NULL);
	mid = fork();
	if (mid < 0)
	{
		free(postgres);
		free(port);
		close(fds[0]);
		close(fds[1]);
		return pgw_error(PGW_ERR_INTERNAL, "cannot fork: %s", strerror(errno));
	}
	if (mid == 0)
	{
		pid_t		srv;

		setsid();
		srv = fork();
		if (srv != 0)
		{
			/* the middle process reports the pid and leaves */
			if (write(fds[1], &srv, sizeof(srv)) != (ssize_t) sizeof(srv))
				_exit(1);
			_exit(srv > 0 ? 0 : 1);
		}
		exec_server(argv, ra, 0, 0, c->logfile, c->datadir);
	}
	close(fds[1]);
	while ((n = read(fds[0], &pid, sizeof(pid))) < 0 && errno == EINTR)
		;
	close(fds[0]);
	while (waitpid(mid, &wstatus, 0) < 0 && errno == EINTR)
		;
	free(postgres);
	free(port);
	if (n != (ssize_t) sizeof(pid) || pid <= 0)
		return pgw_error(PGW_ERR_INTERNAL, "cannot start the server process");
	*server_pid = pid;
	return 0;
}

static int
data_major(const char *datadir)
{
	char	   *path = fs_join(datadir, "PG_VERSION");
	char	   *text;
	size_t		len;
	long		v = 0;

	if (fs_read_file(path, &text, &len) == 0)
	{
		text_parse_int(text_trim(text), 1, 1000, &v);
		free(text);
	}
	else
		pgw_error_clear();
	free(path);
	return (int) v;
}

/* Removes what killed initdb runs left (data.initdb-PID folders).  Best
 * effort: a folder still being written by a dying bootstrap backend is left
 * for the next start; it is never used. */
static void
remove_stale_initdb_dirs(const struct pgw_cluster *c)
{
	DIR		   *d = opendir(c->real_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
	{
		if (strncmp(de->d_name, "data.initdb-", 12) == 0)
		{
			char	   *path = fs_join(c->real_dir, de->d_name);

			fs_remove_tree(path);
			free(path);
		}
	}
	closedir(d);
	pgw_error_clear();
}

/* Serializes start/stop/reset on one cluster: a lock file next to its folder. */
static int
lock_cluster(const struct pgw_cluster *c)
{
	char	   *parent = fs_dirname(c->dir);
	char	   *base = strrchr(c->dir, '/');
	char	   *path;
	int			fd;

	if (fs_mkdir_p(parent, 0755) != 0)
	{
		free(parent);
		return -1;
	}
	path = pgw_asprintf("%s/.%s.lock", parent, base ? base + 1 : "local");
	free(parent);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		char	   *folder = fs_dirname(path);

		pgw_error(PGW_ERR_CONNECT, "cannot write in folder '%s': %s", folder, strerror(errno));
		pgw_error_detail("the local database keeps its lock file %s there", path);
		pgw_error_hint("fix the folder's permissions, or choose another place with --dir / [local] dir");
		free(folder);
		free(path);
		return -1;
	}
	free(path);
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
		{
			close(fd);
			return pgw_error(PGW_ERR_CONNECT, "cannot lock the cluster: %s", strerror(errno));
		}
	return fd;					/* closing it releases the lock */
}

static int
apply_supabase_if_needed(struct pgw_cluster *c, bool wanted)
{
	char	   *ci_pg;
	char	   *ci_t1;
	int			rc;

	if (!wanted || c->supabase)
		return 0;
	ci_pg = local_conninfo(c);
	ci_t1 = socket_conninfo(c->real_dir, c->port, "template1");
	rc = local_apply_supabase(ci_t1, ci_pg);
	free(ci_pg);
	free(ci_t1);
	if (rc != 0)
		return -1;
	c->supabase = true;
	return state_write(c);
}

int
local_start(struct pgw_cluster *c, const struct pgw_start_opts *opts, bool *already)
{
	struct pgw_pgbin bin;
	struct pgw_runas ra;
	int			lockfd;
	pid_t		pid;
	int			rc = -1;
	int			dmajor;
	char		password[2 * PASSWORD_BYTES + 1];

	*already = false;
	if (local_find_binaries(opts->bindir, &bin) != 0)
		return -1;
	c->bin = bin;
	if (proc_runas_resolve(opts->user ? opts->user : "postgres", &ra) != 0)
		return -1;
	lockfd = lock_cluster(c);
	if (lockfd < 0)
		return -1;
	/* another start may have finished meanwhile, or relocated the folder */
	resolve_paths(c);
	state_read(c);

	if (prepare_dir(c, &ra) != 0)
		goto done;

	dmajor = data_major(c->datadir);
	if (dmajor && dmajor != bin.major)
	{
		pgw_error(PGW_ERR_CONNECT, "the cluster in '%s' is from PostgreSQL %d, the binaries are %d",
				  c->real_dir, dmajor, bin.major);
		pgw_error_detail("binaries found in %s", bin.dir);
		pgw_error_hint("run 'pgwarden local reset --yes' to re-create it (its data is lost), "
					   "or point [local] bindir at PostgreSQL %d", dmajor);
		goto done;
	}

	pid = running_pid(c->datadir);
	if (pid && c->initialized)
	{
		if (opts->port && opts->port != c->port)
			add_note(c, "already running on port %d; stop it first to change the port", c->port);
		*already = true;
		/* it may still be starting (a start that was killed, or another
		 * pgwarden): wait for it the same way */
		{
			char	   *ci = local_conninfo(c);

			rc = wait_ready(ci, pid, false, c->logfile, file_size(c->logfile));
			free(ci);
		}
		if (rc == 0)
			rc = apply_supabase_if_needed(c, opts->supabase);
		goto done;
	}
	if (pid)
	{
		/* a start that was killed before it finished: its server goes, the
		 * half-made cluster is made again */
		if (stop_pid(pid, false) != 0)
			goto done;
	}
	if (!c->initialized)
	{
		/*
		 * initdb works in a folder of its own and the result is renamed into
		 * place, so a killed initdb (whose bootstrap backend may still be
		 * writing for a moment) never leaves a half-made data folder behind.
		 */
		char	   *fresh = pgw_asprintf("%s.initdb-%d", c->datadir, (int) getpid());

		remove_stale_initdb_dirs(c);
		if (fs_exists(c->datadir) && fs_remove_tree(c->datadir) != 0)
		{
			free(fresh);
			pgw_error_set_kind(PGW_ERR_CONNECT);
			goto done;
		}
		unlink(c->statefile);
		c->supabase = false;

		/*
		 * The password file is written before initdb and the state file
		 * after it, so a cluster the state calls initialized always has its
		 * password on disk.  It belongs to whoever runs pgwarden (the server
		 * never reads it) and only they may read it.
		 */
		if (make_password(password) != 0 ||
			fs_write_file(c->pwfile, password, strlen(password), 0600) != 0)
		{
			pgw_error_set_kind(PGW_ERR_CONNECT);
			free(fresh);
			goto done;
		}
		/* the umask can only narrow the mode, but a temporary file left by a
		 * killed run would have kept its own */
		if (chmod(c->pwfile, 0600) != 0)
		{
			pgw_error(PGW_ERR_CONNECT, "cannot set permissions of '%s': %s", c->pwfile, strerror(errno));
			free(fresh);
			goto done;
		}
		free(c->password);
		c->password = pgw_strdup(password);
		redact_add_secret(c->password);
		if (run_initdb(&bin, &ra, c->real_dir, fresh, false, password) != 0 ||
			write_server_conf(&bin, fresh, c->real_dir, true) != 0)
		{
			free(fresh);
			goto done;
		}
		if (rename(fresh, c->datadir) != 0)
		{
			pgw_error(PGW_ERR_CONNECT, "cannot rename '%s' to '%s': %s", fresh, c->datadir, strerror(errno));
			free(fresh);
			goto done;
		}
		free(fresh);
		c->major = bin.major;
		free(c->server_user);
		c->server_user = pgw_strdup(ra.active ? ra.name : "");
		c->initialized = true;
		c->created = true;
		if (state_write(c) != 0)
			goto done;
	}

	if (opts->port)
	{
		if (port_in_use(opts->port))
		{
			pgw_error(PGW_ERR_CONNECT, "port %d is in use", opts->port);
			pgw_error_hint("choose another one with --port, or leave it out to pick a free one");
			goto done;
		}
		c->port = opts->port;
	}
	else if (!c->port || port_in_use(c->port))
	{
		int			was = c->port;

		c->port = pick_port(c->dir);
		if (!c->port)
		{
			pgw_error(PGW_ERR_CONNECT, "no free port found between 54320 and 56319");
			pgw_error_hint("name one with --port");
			goto done;
		}
		if (was)
			add_note(c, "port %d is taken now; using %d", was, c->port);
	}
	if (state_write(c) != 0)
		goto done;

	{
		long		offset = file_size(c->logfile);
		char	   *ci = local_conninfo(c);

		if (spawn_detached(&bin, &ra, c, &pid) != 0)
		{
			free(ci);
			goto done;
		}
		rc = wait_ready(ci, pid, false, c->logfile, offset);
		free(ci);
		if (rc != 0 && pgw_interrupted())
		{
			/* ^C while it starts: the start is undone, not left behind */
			struct pgw_err saved;

			pgw_error_save(&saved);
			stop_pid(pid, false);
			pgw_error_restore(&saved);
		}
		if (rc != 0)
			goto done;
	}
	rc = apply_supabase_if_needed(c, opts->supabase);

done:
	explicit_bzero(password, sizeof(password));
	close(lockfd);
	return rc;
}

int
local_stop(struct pgw_cluster *c, bool *was_running)
{
	int			lockfd = lock_cluster(c);
	pid_t		pid;
	int			rc = 0;

	*was_running = false;
	if (lockfd < 0)
		return -1;
	resolve_paths(c);
	pid = running_pid(c->datadir);
	if (pid)
	{
		*was_running = true;
		rc = stop_pid(pid, false);
	}
	close(lockfd);
	return rc;
}

int
local_status(struct pgw_cluster *c, struct pgw_local_status *st)
{
	memset(st, 0, sizeof(*st));
	state_read(c);
	st->exists = c->initialized && fs_exists(c->datadir);
	st->port = c->port;
	st->major = c->major ? c->major : data_major(c->datadir);
	st->supabase = c->supabase;
	st->pid = running_pid(c->datadir);
	st->running = st->pid != 0;
	st->data_bytes = fs_tree_size(c->datadir);
	if (st->running)
	{
		char	   *ci = local_conninfo(c);
		PGconn	   *conn = PQconnectdb(ci);

		if (PQstatus(conn) == CONNECTION_OK)
		{
			const char *v = PQparameterStatus(conn, "server_version");

			snprintf(st->server_version, sizeof(st->server_version), "%s", v ? v : "");
		}
		PQfinish(conn);
		free(ci);
	}
	return 0;
}

bool
local_is_running(struct pgw_cluster *c)
{
	return running_pid(c->datadir) != 0;
}

int
local_destroy(struct pgw_cluster *c)
{
	bool		was;
	int			rc;

	if (local_stop(c, &was) != 0)
		return -1;
	rc = fs_remove_tree(c->real_dir);
	if (rc == 0 && strcmp(c->real_dir, c->dir) != 0)
		unlink(c->dir);
	if (rc == 0)
	{
		char	   *real = pgw_strdup(c->dir);

		set_paths(c, real);
		free(real);
		c->initialized = false;
		c->supabase = false;
		c->port = 0;
		free(c->password);
		c->password = NULL;
	}
	return rc;
}

/* --- Supabase basics ----------------------------------------------------- */

static void
ignore_notice(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

static int
exec_script(const char *conninfo, const char *sql)
{
	PGconn	   *conn = PQconnectdb(conninfo);
	PGresult   *res;
	int			rc = 0;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot connect to the new cluster");
		pgw_error_detail("%s", PQerrorMessage(conn));
		PQfinish(conn);
		return -1;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	/* a multi-statement simple query runs as one transaction: all or nothing.
	 * Fault point "supabase-setup": the script fails at its very end. */
	if (fault_active("supabase-setup"))
	{
		char	   *failing = pgw_asprintf("%s\nDO $fault$ BEGIN RAISE EXCEPTION "
										   "'fault injected at supabase-setup'; END $fault$;", sql);

		res = PQexec(conn, failing);
		free(failing);
	}
	else
		res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot add the Supabase basics");
		pgw_error_detail("%s", PQresultErrorMessage(res));
		pgw_error_hint("nothing of them was added (one transaction); fix the cause, e.g. install "
					   "postgresql-contrib for pgcrypto, then run the command with --supabase again");
		rc = -1;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

int
local_apply_supabase(const char *conninfo_template1, const char *conninfo_postgres)
{
	const char *sql = embedded_get("src/db/supabase.sql");

	if (!sql)
		return pgw_error(PGW_ERR_INTERNAL, "the Supabase setup script is missing from the binary");
	if (exec_script(conninfo_template1, sql) != 0)
		return -1;
	return exec_script(conninfo_postgres, sql);
}

/* --- sandbox ------------------------------------------------------------- */

/* Removes sandbox folders whose pgwarden is gone (it was killed). */
static void
sweep_stale_sandboxes(const char *tmp)
{
	DIR		   *d = opendir(tmp);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL)
	{
		long		owner;
		char	   *path;

		if (strncmp(de->d_name, "pgwarden-sandbox-", 17) != 0)
			continue;
		owner = strtol(de->d_name + 17, NULL, 10);
		if (owner <= 0 || owner == getpid() || proc_alive((pid_t) owner))
			continue;
		path = fs_join(tmp, de->d_name);
		{
			char	   *data = fs_join(path, "data");

			if (!running_pid(data))
			{
				struct stat st;

				if (lstat(path, &st) == 0 && (st.st_uid == geteuid() || geteuid() == 0))
					fs_remove_tree(path);
				pgw_error_clear();
			}
			free(data);
		}
		free(path);
	}
	closedir(d);
}

/*
 * A sandbox's data folder is a copy of the one an earlier sandbox's initdb
 * made, kept in TMPDIR as pgwarden-initdb-UID-KEY (KEY names the server build
 * and initdb's options): copying 40 MB costs a fraction of initdb, which
 * bootstraps the catalogs and runs postgres a dozen times.  The copy is made
 * by the server user and used only when it is a folder of that user no one
 * else can enter; anything else under that name is left alone and initdb
 * runs.  A copy of an older build stays until TMPDIR is cleaned.
 */
#define SANDBOX_INITDB_OPTIONS "trust,UTF8,C.UTF-8,no-sync,1"

static char *
initdb_copy_path(const struct pgw_pgbin *bin, const struct pgw_runas *ra, const char *tmp)
{
	const char *const files[] = {"initdb", "postgres"};
	struct pgw_buf key;
	char		hex[PGW_SHA256_HEX_LEN + 1];
	char	   *path = NULL;

	buf_init(&key);
	buf_printf(&key, "%s|%s", bin->dir, SANDBOX_INITDB_OPTIONS);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
	{
		char	   *f = fs_join(bin->dir, files[i]);
		struct stat st;
		bool		ok = stat(f, &st) == 0;

		free(f);
		if (!ok)
		{
			buf_release(&key);
			return NULL;
		}
		buf_printf(&key, "|%llu:%llu:%lld:%lld", (unsigned long long) st.st_dev,
				   (unsigned long long) st.st_ino, (long long) st.st_size, (long long) st.st_mtime);
	}
	if (sha256_hex(key.data, key.len, hex) == 0)
		path = pgw_asprintf("%s/pgwarden-initdb-%u-%.16s", tmp,
							(unsigned) (ra->active ? ra->uid : geteuid()), hex);
	buf_release(&key);
	return path;
}

static bool
initdb_copy_usable(const char *path, const struct pgw_runas *ra)
{
	uid_t		uid = ra->active ? ra->uid : geteuid();
	char	   *version = fs_join(path, "PG_VERSION");
	struct stat st;
	bool		ok;

	ok = lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid && (st.st_mode & 077) == 0 &&
		lstat(version, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == uid;
	free(version);
	return ok;
}

/* cp -a FROM TO as the server user; any failure is only reported by -1 */
static int
copy_as(const struct pgw_runas *ra, const char *cwd, const char *from, const char *to)
{
	char	   *argv[] = {"/bin/cp", "-a", "--", (char *) from, (char *) to, NULL};
	struct pgw_buf out;
	int			status = -1;
	int			rc;

	buf_init(&out);
	rc = proc_run(argv, ra, cwd, &out, &status);
	buf_release(&out);
	return rc == 0 && status == 0 ? 0 : -1;
}

static int
sandbox_initdb(const struct pgw_pgbin *bin, struct pgw_sandbox *sb, const char *tmp, const char *datadir)
{
	char	   *copy = initdb_copy_path(bin, &sb->runas, tmp);
	char	   *staging;
	struct stat st;

	if (copy && initdb_copy_usable(copy, &sb->runas))
	{
		if (copy_as(&sb->runas, sb->dir, copy, datadir) == 0)
		{
			free(copy);
			return 0;
		}
		if (pgw_interrupted())
		{
			free(copy);
			return interrupt_check();
		}
		/* removed under us, or a full disk: initdb decides */
		fs_remove_tree(datadir);
		pgw_error_clear();
		free(copy);
		copy = NULL;			/* and leave whatever is there alone */
	}
	if (run_initdb(bin, &sb->runas, sb->dir, datadir, true, NULL) != 0)
	{
		free(copy);
		return -1;
	}
	if (!copy || lstat(copy, &st) == 0)
	{
		free(copy);
		return 0;
	}

	/*
	 * Keep a copy for the next sandbox: made inside this sandbox's folder (a
	 * killed run's half copy goes with it) and renamed into place whole;
	 * another run that got there first wins.
	 */
	staging = fs_join(sb->dir, "initdb-copy");
	if (copy_as(&sb->runas, sb->dir, datadir, staging) != 0 || rename(staging, copy) != 0)
		fs_remove_tree(staging);
	pgw_error_clear();
	free(staging);
	free(copy);
	return interrupt_check();
}

int
sandbox_start(struct pgw_sandbox *sb, const char *bindir, const char *user, bool supabase)
{
	struct pgw_pgbin bin;
	const char *tmp = getenv("TMPDIR");
	char	   *templ;
	char	   *datadir;
	char	   *logfile;
	char	   *postgres;
	char	   *port;
	pid_t		parent = getpid();
	pid_t		pid;

	memset(sb, 0, sizeof(*sb));
	if (local_find_binaries(bindir, &bin) != 0)
		return -1;
	if (proc_runas_resolve(user ? user : "postgres", &sb->runas) != 0)
		return -1;
	if (!tmp || !*tmp || !fs_is_dir(tmp) || !socket_path_fits(tmp) || strlen(tmp) > 60)
		tmp = "/tmp";
	sweep_stale_sandboxes(tmp);
	templ = pgw_asprintf("%s/pgwarden-sandbox-%d-XXXXXX", tmp, (int) getpid());
	if (!mkdtemp(templ))
	{
		pgw_error(PGW_ERR_CONNECT, "cannot create a sandbox folder in '%s': %s", tmp, strerror(errno));
		free(templ);
		return -1;
	}
	sb->dir = templ;
	if (make_owned_dir(sb->dir, &sb->runas) != 0)
		goto fail;
	if (!proc_user_can_use_dir(&sb->runas, sb->dir))
	{
		pgw_error(PGW_ERR_CONNECT, "user '%s' cannot use the sandbox folder '%s'",
				  sb->runas.name, sb->dir);
		pgw_error_hint("set TMPDIR to a folder every user can enter");
		goto fail;
	}
	datadir = fs_join(sb->dir, "data");
	if (sandbox_initdb(&bin, sb, tmp, datadir) != 0 ||
		write_server_conf(&bin, datadir, sb->dir, false) != 0)
	{
		free(datadir);
		goto fail;
	}
	sb->port = 5432;
	logfile = fs_join(sb->dir, "server.log");
	postgres = fs_join(bin.dir, "postgres");
	port = pgw_asprintf("%d", sb->port);
	fflush(NULL);
	pid = fork();
	if (pid == 0)
	{
		char	   *argv[] = {postgres, "-D", datadir, "-p", port,
			"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "synchronous_commit=off", NULL};

		/* its own process group: a ^C reaches pgwarden, which stops it */
		setpgid(0, 0);
		exec_server(argv, &sb->runas, SIGKILL, parent, logfile, datadir);
	}
	free(postgres);
	free(port);
	free(datadir);
	if (pid < 0)
	{
		free(logfile);
		pgw_error(PGW_ERR_INTERNAL, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	sb->pid = pid;
	sb->conninfo = socket_conninfo(sb->dir, sb->port, PGW_LOCAL_DBNAME);
	sb->url = socket_url(sb->dir, sb->port);
	if (wait_ready(sb->conninfo, pid, true, logfile, 0) != 0)
	{
		/*
		 * A server that stopped was reaped by wait_ready; one that is still
		 * starting (^C, or no answer in time) keeps its pid, so that
		 * sandbox_stop stops it before removing the folder it writes in.
		 */
		if (process_gone(pid, true))
			sb->pid = 0;
		free(logfile);
		goto fail;
	}
	free(logfile);
	if (supabase)
	{
		char	   *t1 = socket_conninfo(sb->dir, sb->port, "template1");
		int			rc = local_apply_supabase(t1, sb->conninfo);

		free(t1);
		if (rc != 0)
			goto fail;
	}
	return 0;

fail:
	{
		/* keep the error across the cleanup */
		struct pgw_err saved;

		pgw_error_save(&saved);
		sandbox_stop(sb);
		pgw_error_restore(&saved);
	}
	return -1;
}

void
sandbox_stop(struct pgw_sandbox *sb)
{
	if (sb->pid > 0)
	{
		stop_pid(sb->pid, true);
		sb->pid = 0;
	}
	if (sb->dir)
	{
		fs_remove_tree(sb->dir);
		pgw_error_clear();
	}
	free(sb->dir);
	free(sb->conninfo);
	free(sb->url);
	sb->dir = sb->conninfo = sb->url = NULL;
}
