/*
 * files.h — the migrations folder: which versions exist, their files, their
 * rollbacks and their checksums.
 *
 * A migration is VERSION_NAME.sql, VERSION being digits (a timestamp
 * YYYYMMDDHHMMSS, or a plain number) and NAME anything non-empty.  Its
 * rollback is VERSION_NAME_rollback.sql beside it, or the part of the file
 * after a line that reads "-- pgwarden:down".  Versions sort by numeric
 * value (leading zeros do not count, so 7 < 10 < 0011 == 11 is a clash).
 *
 * migrations_load() refuses the folder as a whole — before anything runs —
 * when a .sql file has a name that is not a migration, two files carry one
 * version, a rollback has no migration, a migration has both a rollback file
 * and a down section, or a file cannot be read.  Files that do not end in
 * ".sql" and hidden files are ignored.
 *
 * Checksums: SHA-256 of the up part (the whole file, or the part before the
 * down marker) with the BOM removed and line endings made LF
 * (util/sha256.h, PGW_CHECKSUM_ALGORITHM); the rollback's the same way.
 * Editing a rollback therefore never makes an applied migration "changed".
 *
 * Ownership: the set owns every string and the file texts; release with
 * migrations_release().  Parsing (sql_script_load) is left to the runner,
 * which parses only what it is about to run.
 */
#ifndef PGW_MIGRATE_FILES_H
#define PGW_MIGRATE_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "sql/file.h"
#include "util/sha256.h"

#define PGW_DOWN_MARKER "-- pgwarden:down"

struct pgw_migration
{
	char	   *version;		/* digits as written in the file name */
	char	   *name;			/* between "VERSION_" and ".sql" */
	char	   *file;			/* base name of the up file */
	char	   *path;			/* full path of the up file */
	char	   *rollback_path;	/* the separate rollback file, or NULL */
	struct pgw_sql_file up;		/* the whole up file (a down section too) */
	size_t		up_end;			/* the up part is up.text[0, up_end) */
	size_t		down_start;		/* inline down part: [down_start, up.len) */
	bool		inline_down;
	struct pgw_sql_file down;	/* the rollback file, when separate */
	bool		has_down_file;
	char		checksum[PGW_SHA256_HEX_LEN + 1];
	char		rollback_checksum[PGW_SHA256_HEX_LEN + 1];	/* "" when none */
};

struct pgw_migration_set
{
	char	   *dir;
	struct pgw_migration *items;	/* sorted by version */
	size_t		n;
};

/*
 * Reads the folder (missing folder: an empty set, and *missing set when the
 * pointer is given).  -1 with PGW_ERR_INPUT recorded on the problems listed
 * above; every problem found is listed in the error's detail.
 */
int			migrations_load(const char *dir, struct pgw_migration_set *set, bool *missing);
void		migrations_release(struct pgw_migration_set *set);

/*
 * One migration file on its own (test-migration): path need not follow the
 * VERSION_NAME.sql pattern (version is "" then); its rollback is
 * STEM_rollback.sql beside it or its down section.  Release with
 * migration_free_file().  -1 with PGW_ERR_INPUT when it cannot be read.
 */
int			migration_load_file(const char *path, struct pgw_migration *m);
void		migration_free_file(struct pgw_migration *m);

/* Whether dir is a Supabase layout (…/supabase/migrations). */
bool		migrations_supabase_layout(const char *dir);

/* The migration with this version (numeric comparison), or NULL. */
struct pgw_migration *migrations_find(const struct pgw_migration_set *set, const char *version);

/* Compares two version strings by numeric value. */
int			migration_version_cmp(const char *a, const char *b);

/* Whether s is a version: 1 to 32 digits. */
bool		migration_version_valid(const char *s);

/* Splits "VERSION_NAME.sql" (a base name): 0 and malloc'd parts, or -1. */
int			migration_parse_name(const char *base, char **version, char **name);

/* Whether path (a file name or path) names a rollback file, …_rollback.sql. */
bool		migration_is_rollback_file(const char *path);

/* The "-- pgwarden:down" line of a migration's text: the rollback section
 * starts at *down_start, the forward part ends at *up_end.  false when the
 * file has none. */
bool		migration_find_down(const struct pgw_sql_file *f, size_t *up_end, size_t *down_start);

/* Whether the migration has a rollback with at least one statement's worth
 * of text (the runner checks it parses). */
bool		migration_has_rollback(const struct pgw_migration *m);

/* Whether the rollback is there but holds nothing but comments and
 * whitespace (the file `migrate create` writes, an empty down section). */
bool		migration_rollback_is_empty(const struct pgw_migration *m);

/* The rollback text: file and byte range, and the name shown in messages. */
void		migration_rollback_text(const struct pgw_migration *m, const struct pgw_sql_file **f,
									size_t *start, size_t *end);

/*
 * Writes VERSION_NAME.sql and VERSION_NAME_rollback.sql into dir (created
 * if missing), VERSION being the UTC time now (a second later while that
 * version is taken).  name: letters, digits, '_' and '-' (spaces become
 * '_').  The two paths are returned (caller frees).  Never overwrites.
 */
int			migrations_create(const char *dir, const char *name, char **up_path,
							  char **down_path);

/*
 * migrate create --with-rollback: writes VERSION_NAME.sql alone, ending in
 * an empty '-- pgwarden:down' section that `test-migration --write-rollback`
 * fills with a derived, verified rollback.  Path returned (caller frees).
 */
int			migrations_create_derived(const char *dir, const char *name, char **up_path);

/*
 * Writes text to path: a new file (refused when path exists), or, with
 * replace, a complete replacement (written beside it and renamed over it,
 * so a reader sees the old text or the new).  -1 with PGW_ERR_INPUT.
 */
int			migration_write_text(const char *path, const char *text, bool replace);

/* The seed files: every path in seeds that is a file, and the *.sql files
 * of every folder (name order).  Missing paths are skipped unless required
 * (then an error).  Returns 0 with the list in files (strlist, caller
 * releases). */
struct pgw_strlist;
int			migrations_seed_files(const struct pgw_strlist *seeds, bool required,
								  struct pgw_strlist *files);

#endif
