/*
 * files.c — reads the migrations folder into a sorted, checked set
 * (migrate/files.h), creates new migration pairs and lists seed files.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "migrate/files.h"
#include "util/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

#define ROLLBACK_SUFFIX "_rollback.sql"

bool
migration_version_valid(const char *s)
{
	size_t		n = strspn(s, "0123456789");

	return n > 0 && n <= 32 && s[n] == '\0';
}

int
migration_version_cmp(const char *a, const char *b)
{
	size_t		la,
				lb;
	int			c;

	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

int
migration_parse_name(const char *base, char **version, char **name)
{
	size_t		n = strspn(base, "0123456789");
	size_t		len = strlen(base);

	if (n == 0 || n > 32 || base[n] != '_' || len < 4 || strcmp(base + len - 4, ".sql") != 0)
		return -1;
	if (len - 4 <= n + 1)
		return -1;				/* no name */
	*version = pgw_strndup(base, n);
	*name = pgw_strndup(base + n + 1, len - 4 - n - 1);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
cmp_migration(const void *a, const void *b)
{
	const struct pgw_migration *x = a,
			   *y = b;

	int			c = migration_version_cmp(x->version, y->version);

	/* equal versions (an error reported below) in name order, not readdir's */
	return c != 0 ? c : strcmp(x->file, y->file);
}

/* The down marker: a line "-- pgwarden:down" (spacing and case free).
 * Sets *line_start and *next_line; false when there is none. */
static bool
find_down_marker(const struct pgw_sql_file *f, size_t *line_start, size_t *next_line)
{
	size_t		i;

	for (i = 0; i < f->nlines; i++)
	{
		const char *p = f->text + f->lines[i];
		const char *end = f->text + (i + 1 < f->nlines ? f->lines[i + 1] : f->len);

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '-' || p[1] != '-')
			continue;
		p += 2;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t) (end - p) < strlen("pgwarden:down") ||
			strncasecmp(p, "pgwarden:down", strlen("pgwarden:down")) != 0)
			continue;
		p += strlen("pgwarden:down");
		while (p < end && isspace((unsigned char) *p))
			p++;
		if (p != end)
			continue;
		*line_start = f->lines[i];
		*next_line = (size_t) (end - f->text);
		return true;
	}
	return false;
}

static void
migration_release(struct pgw_migration *m)
{
	free(m->version);
	free(m->name);
	free(m->file);
	free(m->path);
	free(m->rollback_path);
	sqlfile_release(&m->up);
	if (m->has_down_file)
		sqlfile_release(&m->down);
}

void
migrations_release(struct pgw_migration_set *set)
{
	size_t		i;

	for (i = 0; i < set->n; i++)
		migration_release(&set->items[i]);
	free(set->items);
	free(set->dir);
	memset(set, 0, sizeof(*set));
}

/* Reads one SQL file; content problems (binary, not UTF-8) are problems of
 * the folder, listed in b. */
static bool
read_sql(const char *path, const char *base, struct pgw_sql_file *f, struct pgw_buf *problems)
{
	(void) base;
	if (sqlfile_read(path, f) != 0)
	{
		char	   *shown = fs_display_path(path);

		buf_printf(problems, "\n  %s: %s", shown, pgw_error_last()->message);
		free(shown);
		memset(f, 0, sizeof(*f));
		return false;
	}
	if (f->bad)
	{
		/* f->name: the path relative to the current folder */
		buf_printf(problems, "\n  %s:%d:%d: %s", f->name, f->diag.line, f->diag.column, f->diag.message);
		sqlfile_release(f);
		memset(f, 0, sizeof(*f));
		return false;
	}
	return true;
}

int
migrations_load(const char *dir, struct pgw_migration_set *set, bool *missing)
{
	DIR		   *d;
	struct dirent *de;
	struct pgw_strlist rollbacks = {NULL, 0};
	struct pgw_strlist badnames = {NULL, 0};
	struct pgw_buf problems;
	size_t		cap = 0,
				i,
				nproblems = 0;
	int			rc = 0;

	memset(set, 0, sizeof(*set));
	set->dir = pgw_strdup(dir);
	if (missing)
		*missing = false;
	d = opendir(dir);
	if (!d)
	{
		if (errno == ENOENT)
		{
			if (missing)
				*missing = true;
			return 0;
		}
		return pgw_error(PGW_ERR_INPUT, "cannot read the migrations folder '%s': %s", dir,
						 strerror(errno));
	}
	buf_init(&problems);
	while ((de = readdir(d)) != NULL)
	{
		const char *base = de->d_name;
		char	   *version,
				   *name;
		struct pgw_migration *m;

		if (base[0] == '.' || !text_ends_with(base, ".sql"))
			continue;
		if (migration_parse_name(base, &version, &name) != 0)
		{
			strlist_add(&badnames, base);
			continue;
		}
		if (strlen(base) > strlen(ROLLBACK_SUFFIX) &&
			strcmp(base + strlen(base) - strlen(ROLLBACK_SUFFIX), ROLLBACK_SUFFIX) == 0)
		{
			strlist_add(&rollbacks, base);
			free(version);
			free(name);
			continue;
		}
		if (set->n == cap)
		{
			cap = cap ? cap * 2 : 64;
			set->items = pgw_realloc(set->items, cap * sizeof(*set->items));
		}
		m = &set->items[set->n++];
		memset(m, 0, sizeof(*m));
		m->version = version;
		m->name = name;
		m->file = pgw_strdup(base);
		m->path = fs_join(dir, base);
	}
	closedir(d);
	if (set->n > 1)
		qsort(set->items, set->n, sizeof(*set->items), cmp_migration);

	/* problems in name order, whatever order the folder was read in */
	if (badnames.n > 1)
		qsort(badnames.items, badnames.n, sizeof(*badnames.items), cmp_name);
	if (rollbacks.n > 1)
		qsort(rollbacks.items, rollbacks.n, sizeof(*rollbacks.items), cmp_name);
	for (i = 0; i < badnames.n; i++)
		buf_printf(&problems, "\n  %s: not a migration name (expected VERSION_NAME.sql, "
				   "VERSION being digits such as 20250101120000)", badnames.items[i]);
	nproblems += badnames.n;
	strlist_release(&badnames);

	/* one version, one migration */
	for (i = 1; i < set->n; i++)
		if (migration_version_cmp(set->items[i - 1].version, set->items[i].version) == 0)
		{
			buf_printf(&problems, "\n  %s and %s have the same version %s",
					   set->items[i - 1].file, set->items[i].file, set->items[i].version);
			nproblems++;
		}

	/* pair rollback files with their migrations */
	for (i = 0; i < rollbacks.n; i++)
	{
		const char *rb = rollbacks.items[i];
		size_t		stem = strlen(rb) - strlen(ROLLBACK_SUFFIX);
		size_t		j;
		bool		found = false;

		for (j = 0; j < set->n; j++)
		{
			struct pgw_migration *m = &set->items[j];

			if (strlen(m->file) == stem + 4 && strncmp(m->file, rb, stem) == 0)
			{
				m->rollback_path = fs_join(dir, rb);
				found = true;
				break;
			}
		}
		if (!found)
		{
			buf_printf(&problems, "\n  %s: a rollback without its migration (expected %.*s.sql)",
					   rb, (int) stem, rb);
			nproblems++;
		}
	}
	strlist_release(&rollbacks);

	/* read, split off down sections, checksum */
	for (i = 0; i < set->n; i++)
	{
		struct pgw_migration *m = &set->items[i];
		size_t		ls,
					next;

		if (!read_sql(m->path, m->file, &m->up, &problems))
		{
			nproblems++;
			continue;
		}
		m->up_end = m->up.len;
		if (find_down_marker(&m->up, &ls, &next))
		{
			m->inline_down = true;
			m->up_end = ls;
			m->down_start = next;
		}
		if (m->rollback_path)
		{
			const char *rbase = strrchr(m->rollback_path, '/') + 1;

			if (m->inline_down)
			{
				buf_printf(&problems, "\n  %s has a '%s' section and a rollback file %s: keep one",
						   m->file, PGW_DOWN_MARKER, rbase);
				nproblems++;
				continue;
			}
			if (!read_sql(m->rollback_path, rbase, &m->down, &problems))
			{
				nproblems++;
				continue;
			}
			m->has_down_file = true;
		}
		if (sha256_hex_normalized(m->up.text, m->up_end, m->checksum) != 0)
		{
			rc = -1;
			break;
		}
		if (m->inline_down)
			rc = sha256_hex_normalized(m->up.text + m->down_start, m->up.len - m->down_start,
									   m->rollback_checksum);
		else if (m->has_down_file)
			rc = sha256_hex_normalized(m->down.text, m->down.len, m->rollback_checksum);
		if (rc != 0)
			break;
	}
	if (rc == 0 && nproblems > 0)
	{
		pgw_error(PGW_ERR_INPUT, "the migrations folder '%s' has %zu problem%s", dir, nproblems,
				  nproblems == 1 ? "" : "s");
		pgw_error_detail("%s", problems.data + 1);
		pgw_error_hint("rename or fix the files named; nothing was run");
		rc = -1;
	}
	buf_release(&problems);
	if (rc != 0)
		migrations_release(set);
	return rc;
}

int
migration_load_file(const char *path, struct pgw_migration *m)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t		blen = strlen(base);
	struct pgw_buf problems;
	size_t		ls,
				next;
	int			rc = -1;

	memset(m, 0, sizeof(*m));
	if (blen <= 4 || strcmp(base + blen - 4, ".sql") != 0)
		return pgw_error(PGW_ERR_INPUT, "'%s' is not a .sql file", path);
	if (blen > strlen(ROLLBACK_SUFFIX) && strcmp(base + blen - strlen(ROLLBACK_SUFFIX), ROLLBACK_SUFFIX) == 0)
	{
		pgw_error(PGW_ERR_INPUT, "'%s' is a rollback", path);
		pgw_error_hint("give the migration itself; its rollback is found beside it");
		return -1;
	}
	if (migration_parse_name(base, &m->version, &m->name) != 0)
	{
		m->version = pgw_strdup("");
		m->name = pgw_strndup(base, blen - 4);
	}
	m->file = pgw_strdup(base);
	m->path = pgw_strdup(path);
	buf_init(&problems);
	if (!read_sql(m->path, m->file, &m->up, &problems))
	{
		pgw_error(PGW_ERR_INPUT, "cannot read the migration '%s'", path);
		pgw_error_detail("%s", problems.data + strspn(problems.data, "\n "));
		goto done;
	}
	m->up_end = m->up.len;
	if (find_down_marker(&m->up, &ls, &next))
	{
		m->inline_down = true;
		m->up_end = ls;
		m->down_start = next;
	}
	{
		char	   *rb = pgw_asprintf("%.*s%s", (int) (strlen(path) - 4), path, ROLLBACK_SUFFIX);

		if (fs_exists(rb))
		{
			if (m->inline_down)
			{
				pgw_error(PGW_ERR_INPUT, "'%s' has a '%s' section and a rollback file %s: keep one",
						  m->file, PGW_DOWN_MARKER, rb);
				free(rb);
				goto done;
			}
			m->rollback_path = rb;
			if (!read_sql(rb, rb, &m->down, &problems))
			{
				pgw_error(PGW_ERR_INPUT, "cannot read the rollback '%s'", rb);
				pgw_error_detail("%s", problems.data + strspn(problems.data, "\n "));
				goto done;
			}
			m->has_down_file = true;
		}
		else
			free(rb);
	}
	if (sha256_hex_normalized(m->up.text, m->up_end, m->checksum) != 0)
		goto done;
	rc = 0;
done:
	buf_release(&problems);
	if (rc != 0)
	{
		struct pgw_err saved;

		pgw_error_save(&saved);
		migration_release(m);
		memset(m, 0, sizeof(*m));
		pgw_error_restore(&saved);
	}
	return rc;
}

void
migration_free_file(struct pgw_migration *m)
{
	migration_release(m);
	memset(m, 0, sizeof(*m));
}

bool
migrations_supabase_layout(const char *dir)
{
	return text_ends_with(dir, "/supabase/migrations") || text_ends_with(dir, "/supabase/migrations/");
}

struct pgw_migration *
migrations_find(const struct pgw_migration_set *set, const char *version)
{
	size_t		lo = 0,
				hi = set->n;

	if (!migration_version_valid(version))
		return NULL;
	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;
		int			c = migration_version_cmp(set->items[mid].version, version);

		if (c == 0)
			return &set->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
migration_rollback_text(const struct pgw_migration *m, const struct pgw_sql_file **f,
						size_t *start, size_t *end)
{
	if (m->inline_down)
	{
		*f = &m->up;
		*start = m->down_start;
		*end = m->up.len;
	}
	else if (m->has_down_file)
	{
		*f = &m->down;
		*start = 0;
		*end = m->down.len;
	}
	else
	{
		*f = NULL;
		*start = *end = 0;
	}
}

bool
migration_has_rollback(const struct pgw_migration *m)
{
	return m->inline_down || m->has_down_file;
}

bool
migration_rollback_is_empty(const struct pgw_migration *m)
{
	const struct pgw_sql_file *f;
	size_t		i,
				end;

	if (!migration_has_rollback(m))
		return false;
	migration_rollback_text(m, &f, &i, &end);
	while (i < end)
	{
		const char *t = f->text;

		if (isspace((unsigned char) t[i]))
			i++;
		else if (t[i] == '-' && i + 1 < end && t[i + 1] == '-')
			while (i < end && t[i] != '\n')
				i++;
		else if (t[i] == '/' && i + 1 < end && t[i + 1] == '*')
		{
			int			depth = 0;

			/* block comments nest in PostgreSQL */
			do
			{
				if (t[i] == '/' && i + 1 < end && t[i + 1] == '*')
				{
					depth++;
					i += 2;
				}
				else if (t[i] == '*' && i + 1 < end && t[i + 1] == '/')
				{
					depth--;
					i += 2;
				}
				else
					i++;
			} while (i < end && depth > 0);
		}
		else
			return false;
	}
	return true;
}

/* Letters, digits, '_' and '-'; spaces become '_'.  NULL when nothing is
 * left or a character is refused. */
static char *
clean_name(const char *name)
{
	char	   *s = pgw_strdup(name);
	char	   *p;

	for (p = s; *p; p++)
	{
		if (*p == ' ')
			*p = '_';
		else if (!isalnum((unsigned char) *p) && *p != '_' && *p != '-')
		{
			free(s);
			return NULL;
		}
	}
	if (!*s)
	{
		free(s);
		return NULL;
	}
	return s;
}

/* Writes path with O_EXCL: -1 and errno EEXIST when it is there. */
static int
write_new(const char *path, const char *text)
{
	int			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	size_t		len = strlen(text),
				off = 0;

	if (fd < 0)
		return -1;
	while (off < len)
	{
		ssize_t		w = write(fd, text + off, len - off);

		if (w < 0)
		{
			int			e = errno;

			close(fd);
			unlink(path);
			errno = e;
			return -1;
		}
		off += (size_t) w;
	}
	return close(fd);
}

static int	create_files(const char *dir, const char *name, bool derive, char **up_path,
						 char **down_path);

int
migrations_create(const char *dir, const char *name, char **up_path, char **down_path)
{
	return create_files(dir, name, false, up_path, down_path);
}

int
migrations_create_derived(const char *dir, const char *name, char **up_path)
{
	char	   *down = NULL;

	return create_files(dir, name, true, up_path, &down);
}

int
migration_write_text(const char *path, const char *text, bool replace)
{
	char	   *tmp;
	int			e;

	if (!replace)
	{
		if (write_new(path, text) == 0)
			return 0;
		if (errno == EEXIST)
			return pgw_error(PGW_ERR_INPUT, "'%s' exists already: not overwritten", path);
		return pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
	}
	/* beside it, then renamed over it: the old text or the new, never half */
	tmp = pgw_asprintf("%s.pgwarden-%d.tmp", path, (int) getpid());
	unlink(tmp);
	if (write_new(tmp, text) != 0 || rename(tmp, path) != 0)
	{
		e = errno;
		unlink(tmp);
		free(tmp);
		return pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(e));
	}
	free(tmp);
	return 0;
}

/* migrate create: the pair, or (derive) one file whose '-- pgwarden:down'
 * section is left for test-migration --write-rollback to fill. */
static int
create_files(const char *dir, const char *name, bool derive, char **up_path, char **down_path)
{
	char	   *clean = clean_name(name);
	struct pgw_migration_set set;
	time_t		now = time(NULL);
	int			tries;

	*up_path = *down_path = NULL;
	if (!clean)
	{
		pgw_error(PGW_ERR_USAGE, "'%s' cannot be a migration name", name);
		pgw_error_hint("use letters, digits, '_' and '-', e.g. add_vehicle_notes");
		return -1;
	}
	if (strlen(clean) > 200)
	{
		free(clean);
		return pgw_error(PGW_ERR_USAGE, "the migration name is longer than 200 characters");
	}
	if (fs_mkdir_p(dir, 0755) != 0)
	{
		free(clean);
		return -1;
	}
	if (migrations_load(dir, &set, NULL) != 0)
	{
		free(clean);
		return -1;
	}
	for (tries = 0; tries < 600; tries++, now++)
	{
		struct tm	tm;
		char		version[32];
		char	   *up,
				   *down,
				   *up_text,
				   *down_text;

		gmtime_r(&now, &tm);
		strftime(version, sizeof(version), "%Y%m%d%H%M%S", &tm);
		if (migrations_find(&set, version))
			continue;
		up = pgw_asprintf("%s/%s_%s.sql", dir, version, clean);
		down = pgw_asprintf("%s/%s_%s_rollback.sql", dir, version, clean);
		if (derive)
			up_text = pgw_asprintf(
				"-- %s_%s.sql\n"
				"-- Migration %s: %s.\n"
				"-- Runs in one transaction with its history row (pgwarden migrate up);\n"
				"-- a statement that cannot (CREATE INDEX CONCURRENTLY, ...) makes the\n"
				"-- whole file run statement by statement.  Write the statements above\n"
				"-- the '%s' line; then\n"
				"--   pgwarden test-migration %s --write-rollback\n"
				"-- derives the rollback, checks in a sandbox that it restores the schema\n"
				"-- exactly, and writes it below that line.\n"
				"\n"
				"\n"
				"%s\n", version, clean, version, name, PGW_DOWN_MARKER, up, PGW_DOWN_MARKER);
		else
			up_text = pgw_asprintf(
				"-- %s_%s.sql\n"
				"-- Migration %s: %s.\n"
				"-- Runs in one transaction with its history row (pgwarden migrate up);\n"
				"-- a statement that cannot (CREATE INDEX CONCURRENTLY, ...) makes the\n"
				"-- whole file run statement by statement.  The rollback is\n"
				"-- %s_%s_rollback.sql.\n"
				"\n", version, clean, version, name, version, clean);
		down_text = pgw_asprintf(
			"-- %s_%s_rollback.sql\n"
			"-- Undoes migration %s (pgwarden migrate down): write the statements that\n"
			"-- restore the schema exactly as it was before it, or let\n"
			"--   pgwarden test-migration %s --write-rollback\n"
			"-- derive them (and check them in a sandbox) below these lines.\n"
			"\n", version, clean, version, up);
		if (write_new(up, up_text) != 0)
		{
			int			e = errno;

			free(up_text);
			free(down_text);
			free(down);
			free(up);
			if (e == EEXIST)
				continue;
			pgw_error(PGW_ERR_INPUT, "cannot write '%s/%s_%s.sql': %s", dir, version, clean,
					  strerror(e));
			migrations_release(&set);
			free(clean);
			return -1;
		}
		if (!derive && write_new(down, down_text) != 0)
		{
			int			e = errno;

			unlink(up);
			free(up_text);
			free(down_text);
			free(down);
			free(up);
			pgw_error(PGW_ERR_INPUT, "cannot write the rollback of %s_%s.sql: %s",
					  version, clean, strerror(e));
			migrations_release(&set);
			free(clean);
			return -1;
		}
		free(up_text);
		free(down_text);
		*up_path = up;
		if (derive)
			free(down);
		else
			*down_path = down;
		migrations_release(&set);
		free(clean);
		return 0;
	}
	migrations_release(&set);
	free(clean);
	return pgw_error(PGW_ERR_INPUT, "no free version for a new migration in '%s'", dir);
}

int
migrations_seed_files(const struct pgw_strlist *seeds, bool required, struct pgw_strlist *files)
{
	size_t		i;

	for (i = 0; i < seeds->n; i++)
	{
		const char *path = seeds->items[i];

		if (fs_is_dir(path))
		{
			if (fs_list_files(path, ".sql", files) != 0)
				return -1;
		}
		else if (fs_exists(path))
			strlist_add(files, path);
		else if (required)
		{
			pgw_error(PGW_ERR_INPUT, "the seed file '%s' named in the config does not exist", path);
			pgw_error_hint("fix 'seeds' in [project], or create the file");
			return -1;
		}
	}
	return 0;
}

bool
migration_is_rollback_file(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t		n = strlen(base);

	return n > strlen(ROLLBACK_SUFFIX) && strcmp(base + n - strlen(ROLLBACK_SUFFIX), ROLLBACK_SUFFIX) == 0;
}

bool
migration_find_down(const struct pgw_sql_file *f, size_t *up_end, size_t *down_start)
{
	return find_down_marker(f, up_end, down_start);
}
