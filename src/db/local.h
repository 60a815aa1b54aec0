/*
 * local.h — the embedded PostgreSQL: a private cluster made and run with the
 * PostgreSQL binaries installed on this machine.
 *
 * Two modes share this code:
 *
 *   the local cluster (local_start/stop/...) lives under .pgwarden/local (or
 *   [local] dir / --dir) and outlives pgwarden: the server is detached into
 *   its own session, like pg_ctl does.  Its folder holds
 *       pgwarden.state   port, major version, flavour, whether init finished
 *       data/            PGDATA
 *       server.log       the server's output
 *       password         the superuser's password for TCP connections
 *                        (0600, owned by whoever ran pgwarden)
 *       .s.PGSQL.PORT    the Unix socket (the server also listens on
 *                        127.0.0.1:PORT, never on other addresses)
 *
 *   Authentication: the socket is trusted (its folder is 0700 and belongs to
 *   the server user: that is the protection), TCP asks for the password with
 *   scram-sha-256, because any user of the machine can reach 127.0.0.1.  A
 *   cluster made before pgwarden set a password has no password file and
 *   trusts TCP too; it is used as it is (never rewritten) until a reset.
 *   Every call works from what is on disk (the state file and the server's
 *   postmaster.pid), so a pgwarden killed half-way through `local start` leaves
 *   nothing the next call cannot find and finish or stop.
 *
 *   a sandbox (sandbox_start/stop) is a throwaway cluster in a temporary folder
 *   whose server is a direct child of pgwarden, started with fsync off and
 *   PR_SET_PDEATHSIG, so it dies with pgwarden however pgwarden ends.
 *
 * Run as root, both run initdb and the server as [local] user (default
 * postgres), which must be able to reach the folder; the default folder moves
 * to /var/tmp (with a symbolic link left in its place) when it cannot, or when
 * the socket path would be too long for the kernel.
 */
#ifndef PGW_LOCAL_H
#define PGW_LOCAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/config.h"
#include "util/proc.h"

#define PGW_LOCAL_DBNAME "postgres"
#define PGW_LOCAL_SUPERUSER "postgres"

struct pgw_pgbin
{
	char		dir[4096];		/* folder with initdb, postgres, psql... */
	int			major;			/* 15 */
	char		version[64];	/* "15.18" */
};

/* Finds the PostgreSQL binaries: PGWARDEN_PG_BINDIR, else configured (may be
 * NULL), else pg_config --bindir, /usr/lib/postgresql/N/bin (newest), PATH. */
int			local_find_binaries(const char *configured, struct pgw_pgbin *bin);

struct pgw_cluster
{
	char	   *dir;			/* as configured (absolute) */
	char	   *real_dir;		/* dir, or where its link points */
	bool		dir_explicit;	/* --dir / [local] dir given: never relocate */
	char	   *datadir;
	char	   *logfile;
	char	   *statefile;
	char	   *pwfile;			/* the password file's path */
	char	   *password;		/* from pwfile (registered as a secret with
								 * util/redact), or NULL: an older cluster
								 * whose TCP connections are trusted */
	/* from the state file */
	int			port;
	int			major;
	bool		initialized;
	bool		supabase;
	char	   *server_user;	/* OS user the server runs as */
	bool		created;		/* local_start made it anew */
	struct pgw_pgbin bin;		/* the binaries local_start used */
	char	   *notes;			/* things the command should tell the user
								 * (one per line), or NULL */
};

struct pgw_local_status
{
	bool		exists;			/* a cluster folder with an initialized cluster */
	bool		running;
	pid_t		pid;
	int			port;
	int			major;
	char		server_version[64]; /* from the running server, else "" */
	uint64_t	data_bytes;
	bool		supabase;
};

/* Describes the cluster at dir (NULL: cfg->local_dir), reading its state. */
int			local_open(const struct pgw_config *cfg, const char *dir, struct pgw_cluster *c);
void		local_close(struct pgw_cluster *c);

struct pgw_start_opts
{
	int			port;			/* 0: remembered or picked */
	bool		supabase;		/* add the Supabase basics */
	const char *bindir;			/* configured binaries, or NULL */
	const char *user;			/* OS user when root */
};

/*
 * Starts the cluster, creating it first when needed; waits until it accepts
 * connections.  *already is set when it was running before the call.
 * Errors: PGW_ERR_CONNECT for environment problems (no binaries, port in use,
 * folder unusable, server died: the detail shows the end of its log).
 */
int			local_start(struct pgw_cluster *c, const struct pgw_start_opts *opts, bool *already);

/* Stops the server (fast shutdown, then immediate after 60 s) and waits.
 * *was_running tells whether there was one. */
int			local_stop(struct pgw_cluster *c, bool *was_running);

int			local_status(struct pgw_cluster *c, struct pgw_local_status *st);

/* Whether a server is running on the cluster's data folder. */
bool		local_is_running(struct pgw_cluster *c);

/* Stops the server and removes the cluster, data and all. */
int			local_destroy(struct pgw_cluster *c);

/* libpq conninfo through the socket (caller frees).  pgwarden itself always
 * connects this way: it needs no password. */
char	   *local_conninfo(const struct pgw_cluster *c);

/*
 * postgresql:// URL: over TCP, or through the socket (caller frees).  The TCP
 * URL carries the password when the cluster has one: it is for handing to
 * something that connects (DATABASE_URL) or to a user who asked for it
 * (`local url`), never for a message — use local_url_display() there.
 */
char	   *local_url(const struct pgw_cluster *c, bool socket);

/* The TCP URL with the password, if any, masked: for messages, JSON and
 * target displays (caller frees). */
char	   *local_url_display(const struct pgw_cluster *c);

/* The Supabase basics: roles, auth, storage.  Idempotent; one transaction
 * per database.  Applied to template1 and postgres so new databases have it. */
int			local_apply_supabase(const char *conninfo_template1, const char *conninfo_postgres);

/* --- sandbox ---------------------------------------------------------- */

struct pgw_sandbox
{
	char	   *dir;
	pid_t		pid;
	int			port;
	struct pgw_runas runas;
	char	   *conninfo;
	char	   *url;
};

int			sandbox_start(struct pgw_sandbox *sb, const char *bindir, const char *user, bool supabase);
/* Stops the server, waits for it, removes the folder.  Safe to call twice. */
void		sandbox_stop(struct pgw_sandbox *sb);

#endif
