/*
 * sync.h — two databases' migration histories side by side, for `pgwarden
 * sync` (docs/sync.md).
 *
 * A database's applied versions are the union of pgwarden.schema_migrations
 * (status applied, with checksums) and Supabase's
 * supabase_migrations.schema_migrations (no checksums): a version either
 * table lists is applied.  Every version seen on either side or in the
 * migrations folder gets one state:
 *   both       applied on both (checksums equal, or one side has none)
 *   checksum   applied on both with different checksums
 *   only_from  applied on FROM only
 *   only_to    applied on TO only
 *   nowhere    a file in the folder applied on neither
 */
#ifndef PGW_BACKUP_SYNC_H
#define PGW_BACKUP_SYNC_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "migrate/files.h"

enum pgw_sync_state
{
	PGW_SYNC_BOTH,
	PGW_SYNC_CHECKSUM,
	PGW_SYNC_ONLY_FROM,
	PGW_SYNC_ONLY_TO,
	PGW_SYNC_NOWHERE
};

struct pgw_applied
{
	char	   *version;
	char	   *name;
	char	   *checksum;		/* NULL: Supabase's table only */
	bool		pgwarden;		/* in pgwarden's table */
	bool		supabase;		/* in Supabase's */
};

struct pgw_applied_set
{
	struct pgw_applied *items;	/* sorted by version */
	size_t		n;
};

struct pgw_sync_row
{
	const char *version;
	const char *name;
	enum pgw_sync_state state;
	const struct pgw_applied *from;	/* NULL when not applied there */
	const struct pgw_applied *to;
	const struct pgw_migration *file;	/* NULL when no file here */
};

struct pgw_sync_report
{
	struct pgw_sync_row *rows;	/* sorted by version */
	size_t		n;
	size_t		count[5];		/* per state */
};

/* Reads conn's applied versions (both tables; missing tables: none). */
int			sync_read_applied(PGconn *conn, struct pgw_applied_set *out);
void		sync_applied_release(struct pgw_applied_set *s);

/* The rows for from, to and the folder's files (which must outlive r). */
void		sync_compare(const struct pgw_applied_set *from, const struct pgw_applied_set *to,
						 const struct pgw_migration_set *files, struct pgw_sync_report *r);
void		sync_report_release(struct pgw_sync_report *r);

const char *sync_state_name(enum pgw_sync_state s);
json_t	   *sync_row_json(const struct pgw_sync_row *r);

#endif
