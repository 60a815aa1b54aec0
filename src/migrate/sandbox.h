/*
 * sandbox.h — a place to try a migration before it touches the target.
 *
 * Two kinds:
 *   local  a database in a private cluster kept under .pgwarden/sandbox
 *          (a pgwarden local cluster, relocated like .pgwarden/local when
 *          PostgreSQL cannot use the project folder), holding the target's
 *          schema: `pg_dump --schema-only` of the target plus the roles it
 *          names (NOLOGIN), loaded once into a template database named after
 *          the target schema's fingerprint; every sandbox is then a
 *          CREATE DATABASE ... TEMPLATE of it (STRATEGY FILE_COPY, fsync
 *          off in that cluster).  A run that closes leaves a spare copy
 *          of its template (spare_<fingerprint>) which the next run on the
 *          same schema takes by renaming it, so its start does not wait
 *          for a copy (seconds for a thousand tables).  The target is only
 *          read.  Templates of older
 *          fingerprints are dropped (the three newest stay).
 *   tx     the target itself, inside one transaction that is always rolled
 *          back, with lock_timeout set; statements that cannot run in a
 *          transaction cannot be tried this way.
 *
 * The fingerprint is one catalog query on the target: an md5 over the
 * identity and row version (xmin) of every row of the catalogs that make
 * up a schema (namespaces, relations, attributes, defaults, constraints,
 * indexes, types, functions, rules, triggers, policies, extensions, enum
 * labels, comments, default privileges, roles), so any DDL changes it and
 * nothing else does.
 *
 * pg_dump gets the target's conninfo without its password on its command
 * line (visible in ps); the password travels in its environment
 * (PGPASSWORD), which only the same user can read.
 *
 * Concurrent runs share the cached cluster: each holds a shared lock on it
 * while in use and the last one out stops the server.  Names of work
 * databases carry the pid.  Errors: PGW_ERR_CONNECT (the cluster, pg_dump)
 * or PGW_ERR_INPUT (the target's schema does not load: the message says
 * why and suggests --sandbox tx).
 */
#ifndef PGW_MIGRATE_SANDBOX_H
#define PGW_MIGRATE_SANDBOX_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "db/local.h"
#include "util/config.h"

enum pgw_sandbox_kind
{
	PGW_SANDBOX_LOCAL,
	PGW_SANDBOX_TX
};

struct pgw_sandbox_db
{
	enum pgw_sandbox_kind kind;
	PGconn	   *conn;			/* the work database (local), or the target
								 * inside its transaction (tx) */
	char	   *conninfo;		/* local: to the work database */
	char	   *dbname;			/* local: the work database */
	char		fingerprint[33];
	bool		cached;			/* local: the template was there already */
	long long	open_ms;		/* how long opening took */
	/* private */
	struct pgw_cluster cluster;
	bool		cluster_open;
	bool		started;		/* this run started the server */
	int			use_fd;			/* shared lock while in use */
	char	   *template_conninfo;
	char	   *template_name;
	char	   *bindir;
};

/* Whether PostgreSQL's binaries are here (the default kind is local then). */
bool		sandbox_local_available(const struct pgw_config *cfg);

/*
 * Opens a sandbox of the target (target: an open connection; conninfo: how
 * it was made, for pg_dump).  lock_timeout_ms applies to the tx kind.
 * sample_rows > 0 (local only): the template also holds up to that many
 * rows of every table of the managed schemas (cfg->schemas), read from the
 * target with COPY and loaded with triggers off; rows whose validated
 * foreign key finds no parent in the sample are deleted (repeatedly, for
 * chains and cycles) and owned sequences are moved to their column's
 * maximum.  Such a template is cached apart (tmpl_<fingerprint>_d<rows>):
 * its sample is the one taken when the schema last changed.
 */
int			sandbox_open(struct pgw_sandbox_db *sb, enum pgw_sandbox_kind kind,
						 const struct pgw_config *cfg, PGconn *target, const char *conninfo,
						 int lock_timeout_ms, int sample_rows);

/*
 * An empty database (from template0, named PREFIX_<pid>_<n>) in the local
 * sandbox cluster, for loading something else than the target's schema
 * (backup --verify restores an archive there).  roles_from (may be NULL):
 * its roles are created NOLOGIN first, so owners and grants load.  Closed
 * with sandbox_close(), which drops the database.
 */
int			sandbox_open_empty(struct pgw_sandbox_db *sb, const struct pgw_config *cfg,
							   PGconn *roles_from, const char *prefix);

/* local only: another database from the same template (for comparing a
 * fresh copy with one a migration went through).  Caller PQfinish()es. */
int			sandbox_clone(struct pgw_sandbox_db *sb, const char *suffix, PGconn **conn,
						  char **conninfo);

/* Rolls back (tx) or drops the work databases and stops the cached server
 * when no other run uses it (local).  Safe to call twice. */
void		sandbox_close(struct pgw_sandbox_db *sb);

#endif
