/*
 * config.h — pgwarden.conf: the project's settings.
 *
 * An INI file read with libinih.  Found at --config FILE, else the first
 * pgwarden.conf in the current folder or one of its parents (as git finds
 * .git); the folder holding it is the project root, and relative paths in it
 * are relative to that root.  Without a file, defaults apply and the root is
 * the current folder.
 *
 * Sections and keys (docs/config.md is the reference):
 *   [project] migrations_dir, seeds, schemas, exposed_schemas, tenant_column,
 *             tenant_setting, app_role, ignore, tenant_tables,
 *             required_columns, lock_timeout, statement_timeout,
 *             lock_retries, large_table, stats_min_age
 *   [local]   dir, port, user, bindir, supabase
 *   [lint]    pg_version, enable
 *   [backup]  dir, before_destructive, keep
 *   [deploy]  dir, order, log_dir
 *   [env NAME] url, host, port, dbname, user, sslmode
 *   [maintain] pause, dead_pct, dead_min, vacuum_age, xid_age, monitor_role
 *   [retention "TABLE"] column, keep, where, batch   (pgwarden maintain)
 *
 * Errors name file:line and what was expected; unknown keys and sections are
 * errors (a typo must not be silently ignored); a line longer than libinih's
 * 200-byte buffer is an error rather than a silent split.  Passwords are not
 * accepted: they come from ${VAR} in url, PGPASSWORD or ~/.pgpass.
 */
#ifndef PGW_CONFIG_H
#define PGW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PGW_CONFIG_FILE "pgwarden.conf"
#define PGW_CONFIG_MAX_LINE 198	/* libinih's INI_MAX_LINE (200) less newline and NUL */

struct pgw_strlist
{
	char	  **items;
	size_t		n;
};

struct pgw_env
{
	char	   *name;
	int			line;			/* where its section starts */
	char	   *url;			/* may hold ${VAR}; expanded by config_env_conninfo */
	char	   *host;
	char	   *port;
	char	   *dbname;
	char	   *user;
	char	   *sslmode;
};

/* One [retention "TABLE"] section: rows of TABLE whose column is older
 * than keep (and that match where, an SQL condition) are deleted by
 * `pgwarden maintain` in batches of batch rows. */
struct pgw_retention
{
	char	   *table;			/* as written: "job_queue" or "schema.table" */
	int			line;			/* where its section starts */
	char	   *column;
	long long	keep_s;			/* -1 until set */
	char	   *where;			/* NULL: every old row */
	int			batch;
};

struct pgw_config
{
	char	   *path;			/* the file read, or NULL */
	char	   *root;			/* absolute project root */

	char	   *migrations_dir; /* absolute */
	struct pgw_strlist schemas;
	struct pgw_strlist exposed_schemas;
	char	   *tenant_column;
	char	   *tenant_setting;
	char	   *app_role;
	struct pgw_strlist ignore;
	struct pgw_strlist tenant_tables;	/* must carry the tenant column */
	struct pgw_strlist required_columns;	/* "table.column": no NULLs */
	struct pgw_strlist seeds;	/* absolute paths of files or folders */
	bool		seeds_set;		/* from the file: missing ones are errors */
	int			lock_timeout_ms;
	int			statement_timeout_ms;	/* 0: off */
	int			lock_retries;
	long long	large_table_bytes;	/* doctor's table.large; 0: off */
	long long	stats_min_age_s;	/* doctor's index.unused needs statistics
									 * this old (seconds); 0: any age */

	int			lint_pg_version;	/* the server major version lint assumes */
	struct pgw_strlist lint_enable; /* opt-in lint rules turned on */

	char	   *local_dir;		/* absolute */
	bool		local_dir_set;	/* an absolute dir in the file: never relocated */
	int			local_port;		/* 0: pick one */
	char	   *local_user;		/* OS user for the server when run as root */
	char	   *local_bindir;	/* NULL: search */
	bool		local_supabase;
	char	   *backup_dir;		/* absolute; default .pgwarden/backups */
	bool		backup_before_destructive;	/* default true */
	int			backup_keep;	/* 0: keep every backup */
	char	   *deploy_dir;		/* absolute; default deploy */
	struct pgw_strlist deploy_order;	/* file stems; empty: the default */
	char	   *deploy_log_dir; /* absolute; default logs */

	struct pgw_env *envs;
	size_t		nenvs;
	/* [maintain]: pause between retention batches, and the thresholds that
	 * make a table need VACUUM (ANALYZE) */
	int			maintain_pause_ms;	/* default 100ms */
	double		maintain_dead_pct;	/* dead share of rows, percent (20) */
	long long	maintain_dead_min;	/* and at least this many dead rows (1000) */
	long long	maintain_vacuum_age_s;	/* no vacuum for this long, with dead rows (7d) */
	long long	maintain_xid_age;	/* age(relfrozenxid) past this (150 M) */
	char	   *maintain_monitor_role;	/* granted the maintain --install-functions
										 * functions (pgwarden_monitor) */
	struct pgw_retention *retentions;
	size_t		nretentions;
};

/*
 * Loads the config.  explicit_path (from --config) must exist; otherwise the
 * search described above runs from start_dir (NULL: the current folder).
 * On error returns -1 with a PGW_ERR_INPUT error recorded; cfg is then still
 * safe to release.
 */
int			config_load(struct pgw_config *cfg, const char *explicit_path, const char *start_dir);
void		config_release(struct pgw_config *cfg);

/* Parses INI text (named name in messages) on top of the defaults in cfg. */
int			config_parse_text(struct pgw_config *cfg, const char *name, const char *text);

/* Sets every field to its default for a project rooted at root. */
void		config_defaults(struct pgw_config *cfg, const char *root);

const struct pgw_env *config_find_env(const struct pgw_config *cfg, const char *name);

/* The libpq conninfo string for an env section, ${VAR}s expanded (caller
 * frees).  -1 with an error when a variable is unset or nothing is set. */
int			config_env_conninfo(const struct pgw_config *cfg, const struct pgw_env *env, char **out);

/* Parses a size ("10GB", "500MB", "64kB", plain number = bytes). */
bool		config_parse_size(const char *s, long long *bytes);

/* Parses a duration ("5s", "500ms", "2min", "0", plain number = ms). */
bool		config_parse_duration(const char *s, int *ms);

void		strlist_add(struct pgw_strlist *l, const char *s);
bool		strlist_contains(const struct pgw_strlist *l, const char *s);
void		strlist_release(struct pgw_strlist *l);

/* The commented file `pgwarden init` writes (caller frees). */
char	   *config_template(const char *migrations_dir, bool supabase);

#endif
