/*
 * backup.h — backups made with the real pg_dump, their manifests, and
 * restores with pg_restore (docs/backup.md, docs/restore.md).
 *
 * A backup is a folder, BACKUPS/YYYYMMDDTHHMMSSZ_<db>/, holding
 *   db.dump        pg_dump's custom-format archive (-Fc), or
 *   db.dir/        its directory format (-Fd), when pg_dump ran with -j N
 *   snapshot.json  the schema as `inspect --stable` writes it
 *   manifest.json  what was backed up (format tag pgwarden.backup/1): the
 *                  target (no password), server and pg_dump versions,
 *                  the schema fingerprint (SHA-256 of snapshot.json), the
 *                  last applied migration, row counts and sizes per table,
 *                  the archive's size and SHA-256, whether it was verified
 * Files are 0600, folders 0700.  Everything is written under a hidden
 * temporary name in the same folder and renamed at the end, so a backup
 * that fails half-way (or is interrupted: backup_cleanup_inflight) leaves
 * no folder behind.
 *
 * Consistency: the manifest and the archive describe one instant.  The
 * catalog, the history and the row counts are read in one REPEATABLE READ
 * READ ONLY transaction whose snapshot pg_dump imports (--snapshot); the
 * counts run while pg_dump writes.
 *
 * pg_dump and pg_restore must be at least the server's major version (an
 * older pg_dump refuses newer servers, and an archive needs a pg_restore at
 * least as new as the pg_dump that wrote it): backup_find_tools looks at
 * PGWARDEN_PG_BINDIR, [local] bindir, pg_config --bindir,
 * /usr/lib/postgresql/N/bin and PATH, and takes the same major when there
 * is one, else the nearest newer one.  Passwords reach them in PGPASSWORD
 * (the child's environment only), never on a command line.
 *
 * Errors: PGW_ERR_CONNECT (server, tools, disk: the environment),
 * PGW_ERR_INPUT (a backup folder that is missing, corrupted or truncated).
 * Fault points: backup:disk-full (the archive's write fails with ENOSPC
 * after pg_dump wrote part of it), backup:verify-mismatch (the restored
 * copy loses a row before it is compared).
 */
#ifndef PGW_BACKUP_H
#define PGW_BACKUP_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db/target.h"
#include "util/config.h"
#include "util/mem.h"

#define PGW_BACKUP_FORMAT "pgwarden.backup/1"

struct pgw_dumptools
{
	char		dir[4096];		/* holds pg_dump and pg_restore */
	int			major;
	char		version[64];	/* "15.18" */
};

/* The pg_dump/pg_restore pair for a server of major version server_major;
 * -1 (PGW_ERR_CONNECT) when only older ones (or none) are here. */
int			backup_find_tools(const struct pgw_config *cfg, int server_major, struct pgw_dumptools *t);

/* Row counts and sizes of every table with data: ordinary tables and
 * partitions outside the system schemas that no extension owns. */
struct pgw_table_count
{
	char	   *schema;
	char	   *name;
	long long	rows;
	long long	bytes;			/* pg_total_relation_size */
};

struct pgw_table_counts
{
	struct pgw_table_count *items;	/* sorted by schema, name */
	size_t		n;
	long long	rows;
	long long	database_bytes;
};

/* The one query that counts (in conn's current transaction, if any). */
int			backup_count_rows(PGconn *conn, struct pgw_table_counts *c);
void		backup_counts_release(struct pgw_table_counts *c);

/* The schema fingerprint: SHA-256 of conn's stable snapshot (written to
 * snapshot, may be NULL).  Reads in conn's transaction when it has one. */
int			backup_fingerprint(PGconn *conn, const struct pgw_config *cfg, char *fp,
							   struct pgw_buf *snapshot);

struct pgw_backup_opts
{
	const char *parent;			/* folder of backups; NULL: [backup] dir */
	bool		schema_only;
	int			jobs;			/* > 1: directory format with -j */
	bool		verify;
	const char *reason;			/* "manual", "before migrate up --safe: ..." */
	bool		progress;		/* a progress line on stderr */
};

struct pgw_backup_result
{
	char	   *path;			/* the finished folder */
	char	   *name;			/* its base name */
	json_t	   *manifest;
	long long	dump_ms;		/* pg_dump alone */
	long long	total_ms;		/* everything but the verification */
	long long	verify_ms;
	bool		verified;		/* --verify ran and matched */
	bool		verify_failed;	/* --verify ran and found differences */
	struct pgw_strlist differences;	/* what --verify found */
	unsigned long long bytes;	/* the archive */
};

/*
 * Backs up conn's database (t: how it was reached, for pg_dump and the
 * manifest).  On success r->path is the finished folder.  A verification
 * that finds differences is not an error: r->verify_failed is set, the
 * differences listed, and no folder is left (the caller exits 1).  -1 with
 * an error recorded otherwise, and no folder either.
 */
int			backup_create(PGconn *conn, const char *conninfo, const char *display,
						  const struct pgw_config *cfg, const struct pgw_backup_opts *o,
						  struct pgw_backup_result *r);
void		backup_result_release(struct pgw_backup_result *r);

/*
 * Reads dir's manifest and checks the archive against it (size and
 * SHA-256, every file of a directory archive) before anything uses it.
 * *manifest: the parsed manifest (caller json_decref()s).  -1 with
 * PGW_ERR_INPUT when the manifest is missing or malformed or the archive
 * is missing, truncated or changed.
 */
int			backup_check(const char *dir, json_t **manifest);

/* The archive's path inside dir as the manifest names it (caller frees). */
char	   *backup_archive_path(const char *dir, json_t *manifest);

/*
 * pg_restore of dir's archive into the database at conninfo.  jobs > 1:
 * parallel (not one transaction); otherwise --single-transaction, so a
 * failure leaves the database as it was.  clean: --clean --if-exists.
 */
int			backup_restore_archive(const struct pgw_dumptools *tools, const char *dir, json_t *manifest,
								   const char *conninfo, int jobs, bool clean, bool no_owner);

/*
 * Compares the database at conn with the manifest: fingerprint of the
 * stable snapshot (snapshot_dir's snapshot.json gives the first differing
 * line) and, unless the backup is schema-only, the row count of every
 * table.  Differences are appended to diffs (none: it matches).
 */
int			backup_compare(PGconn *conn, const struct pgw_config *cfg, const char *dir, json_t *manifest,
						   struct pgw_strlist *diffs);

/* The backups under parent (complete ones: with a manifest), oldest
 * first, as folder names. */
int			backup_list_names(const char *parent, struct pgw_strlist *names);

/* Removes the oldest backups under parent beyond keep, never keep_name;
 * the removed names are appended to removed. */
int			backup_prune(const char *parent, int keep, const char *keep_name, struct pgw_strlist *removed);

/*
 * What an interrupt path calls: stops the pg_dump/pg_restore this process
 * is running (SIGTERM, then waits for it) and removes the temporary folder
 * of a backup in progress.  Not async-signal-safe: call it from the main
 * flow after the signal was noted.  Safe to call when nothing is running.
 */
void		backup_cleanup_inflight(void);

/*
 * Appends "file:line: why" for each statement of m's up part that deletes
 * data (dropped table, column or schema, TRUNCATE, a column type change
 * that may rewrite, DELETE without WHERE).  -1 when it does not parse.
 */
struct pgw_migration;
int			backup_destructive(const struct pgw_migration *m, struct pgw_strlist *why);

/* conninfo (URL or keywords) naming database db instead (caller frees). */
char	   *backup_conninfo_with_db(const char *conninfo, const char *db);

/* "YYYYMMDDTHHMMSSZ" for now (UTC), into out (17 bytes). */
void		backup_stamp(char *out, size_t n);

#endif
