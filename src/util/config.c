/*
 * config.c — reading pgwarden.conf (see config.h).
 *
 * libinih does the INI syntax; we feed it lines through our own reader so we
 * know the line number in the handler (Debian builds inih without
 * INI_HANDLER_LINENO) and can refuse over-long lines instead of letting inih
 * split them silently.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "util/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

void
strlist_add(struct pgw_strlist *l, const char *s)
{
	l->items = pgw_realloc(l->items, (l->n + 1) * sizeof(char *));
	l->items[l->n++] = pgw_strdup(s);
}

bool
strlist_contains(const struct pgw_strlist *l, const char *s)
{
	size_t		i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

void
strlist_release(struct pgw_strlist *l)
{
	size_t		i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void
set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? pgw_strdup(value) : NULL;
}

/* seed.sql and seeds/ beside the migrations folder, unless the file names
 * its own (recomputed after parsing: migrations_dir may have moved). */
static void
default_seeds(struct pgw_config *cfg)
{
	char	   *parent = fs_dirname(cfg->migrations_dir);
	char	   *f = fs_join(parent, "seed.sql");
	char	   *d = fs_join(parent, "seeds");

	strlist_release(&cfg->seeds);
	strlist_add(&cfg->seeds, f);
	strlist_add(&cfg->seeds, d);
	free(f);
	free(d);
	free(parent);
}

void
config_defaults(struct pgw_config *cfg, const char *root)
{
	char	   *supa;

	memset(cfg, 0, sizeof(*cfg));
	cfg->root = fs_absolute(root);
	supa = fs_join(cfg->root, "supabase");
	cfg->migrations_dir = fs_join(cfg->root, fs_is_dir(supa) ? "supabase/migrations" : "migrations");
	strlist_add(&cfg->schemas, "public");
	/* a Supabase project's API serves public; a plain PostgreSQL project
	 * exposes nothing until the config says so */
	if (fs_is_dir(supa))
		strlist_add(&cfg->exposed_schemas, "public");
	free(supa);
	default_seeds(cfg);
	cfg->tenant_column = pgw_strdup("tenant_id");
	cfg->tenant_setting = pgw_strdup("app.current_tenant_id");
	cfg->app_role = pgw_strdup("authenticated");
	cfg->lock_timeout_ms = 5000;
	cfg->statement_timeout_ms = 0;
	cfg->lock_retries = 5;
	cfg->large_table_bytes = 10LL * 1024 * 1024 * 1024;
	cfg->lint_pg_version = 15;
	cfg->stats_min_age_s = 7 * 86400;
	cfg->local_dir = fs_join(cfg->root, ".pgwarden/local");
	cfg->local_user = pgw_strdup("postgres");
	cfg->backup_dir = fs_join(cfg->root, ".pgwarden/backups");
	cfg->backup_before_destructive = true;
	cfg->backup_keep = 0;
	cfg->deploy_dir = fs_join(cfg->root, "deploy");
	cfg->deploy_log_dir = fs_join(cfg->root, "logs");
	cfg->maintain_pause_ms = 100;
	cfg->maintain_dead_pct = 20;
	cfg->maintain_dead_min = 1000;
	cfg->maintain_vacuum_age_s = 7 * 86400;
	cfg->maintain_xid_age = 150000000;
	cfg->maintain_monitor_role = pgw_strdup("pgwarden_monitor");
}

static void
env_release(struct pgw_env *e)
{
	free(e->name);
	free(e->url);
	free(e->host);
	free(e->port);
	free(e->dbname);
	free(e->user);
	free(e->sslmode);
}

void
config_release(struct pgw_config *cfg)
{
	size_t		i;

	free(cfg->path);
	free(cfg->root);
	free(cfg->migrations_dir);
	free(cfg->maintain_monitor_role);
	strlist_release(&cfg->schemas);
	strlist_release(&cfg->exposed_schemas);
	free(cfg->tenant_column);
	free(cfg->tenant_setting);
	free(cfg->app_role);
	strlist_release(&cfg->ignore);
	strlist_release(&cfg->lint_enable);
	strlist_release(&cfg->tenant_tables);
	strlist_release(&cfg->required_columns);
	strlist_release(&cfg->seeds);
	free(cfg->local_dir);
	free(cfg->local_user);
	free(cfg->local_bindir);
	free(cfg->backup_dir);
	free(cfg->deploy_dir);
	free(cfg->deploy_log_dir);
	strlist_release(&cfg->deploy_order);
	for (i = 0; i < cfg->nenvs; i++)
		env_release(&cfg->envs[i]);
	free(cfg->envs);
	for (i = 0; i < cfg->nretentions; i++)
	{
		free(cfg->retentions[i].table);
		free(cfg->retentions[i].column);
		free(cfg->retentions[i].where);
	}
	free(cfg->retentions);
	memset(cfg, 0, sizeof(*cfg));
}

bool
config_parse_size(const char *s, long long *bytes)
{
	static const struct
	{
		const char *unit;
		long long	mult;
	}			units[] = {
		{"", 1}, {"B", 1}, {"kB", 1024}, {"KB", 1024}, {"MB", 1024 * 1024},
		{"GB", 1024LL * 1024 * 1024}, {"TB", 1024LL * 1024 * 1024 * 1024}
	};
	char	   *end;
	long long	n;
	size_t		i;

	if (!s || !*s || *s == '-')
		return false;
	n = strtoll(s, &end, 10);
	while (*end == ' ')
		end++;
	for (i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (strcmp(end, units[i].unit) == 0)
		{
			if (n > (long long) (9e18 / units[i].mult))
				return false;
			*bytes = n * units[i].mult;
			return true;
		}
	return false;
}

bool
config_parse_duration(const char *s, int *ms)
{
	char	   *end;
	double		v;
	double		mult;

	if (!s || !*s)
		return false;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return false;
	while (*end == ' ')
		end++;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "min") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		return false;
	v *= mult;
	if (v > 2147483647.0)
		return false;
	*ms = (int) v;
	return true;
}

/* An age in seconds: "7d", "36h", "90min", "30s", or "0". */
static bool
parse_age(const char *s, long long *seconds)
{
	char	   *end;
	double		v;
	double		mult;

	if (!s || !*s)
		return false;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return false;
	while (*end == ' ')
		end++;
	if (strcmp(end, "s") == 0 || (*end == '\0' && v == 0))
		mult = 1;
	else if (strcmp(end, "min") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else if (strcmp(end, "d") == 0)
		mult = 86400;
	else
		return false;
	v *= mult;
	if (v > 1e15)
		return false;
	*seconds = (long long) v;
	return true;
}

/* --- the parser -------------------------------------------------------- */

struct parse_ctx
{
	struct pgw_config *cfg;
	const char *name;			/* file name for messages */
	const char *pos;			/* reader position in the text */
	int			lineno;			/* line the reader returned last */
	bool		failed;
	struct pgw_strlist seen;	/* "section\x1fkey" already set */
	struct pgw_env *env;		/* current [env NAME] section, or NULL */
	struct pgw_retention *ret;	/* current [retention "T"] section, or NULL */
};

static int
fail_at(struct parse_ctx *ctx, const char *fmt, const char *a, const char *b)
{
	char	   *msg;

	if (ctx->failed)
		return 0;
	ctx->failed = true;
	msg = pgw_asprintf(fmt, a ? a : "", b ? b : "");
	pgw_error(PGW_ERR_INPUT, "%s:%d: %s", ctx->name, ctx->lineno, msg);
	free(msg);
	return 0;
}

static char *
reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	const char *nl;
	size_t		len;
	size_t		content;

	if (ctx->failed || *ctx->pos == '\0')
		return NULL;
	ctx->lineno++;
	nl = strchr(ctx->pos, '\n');
	len = nl ? (size_t) (nl - ctx->pos) + 1 : strlen(ctx->pos);
	content = len - (nl ? 1 : 0);
	if (content > 0 && ctx->pos[content - 1] == '\r')
		content--;
	if (content > (size_t) num - 2)
	{
		ctx->failed = true;
		pgw_error(PGW_ERR_INPUT, "%s:%d: line is too long (%zu bytes; at most %d fit)",
				  ctx->name, ctx->lineno, content, num - 2);
		pgw_error_hint("shorten the value, e.g. put a long URL in an environment "
					   "variable and write url = ${NAME}");
		return NULL;
	}
	memcpy(str, ctx->pos, content);
	str[content] = '\n';
	str[content + 1] = '\0';
	ctx->pos += len;
	return str;
}

static bool
parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* A list value: names separated by commas and/or spaces; appends. */
static void
parse_list(struct pgw_strlist *l, const char *v)
{
	const char *p = v;

	while (*p)
	{
		size_t		n;

		while (*p == ',' || isspace((unsigned char) *p))
			p++;
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		{
			char	   *item = pgw_strndup(p, n);

			if (!strlist_contains(l, item))
				strlist_add(l, item);
			free(item);
		}
		p += n;
	}
}

static const char *const project_keys[] = {
	"app_role", "exposed_schemas", "ignore", "large_table", "lock_retries", "lock_timeout",
	"migrations_dir", "required_columns", "schemas", "seeds", "stats_min_age", "statement_timeout",
	"tenant_column", "tenant_setting", "tenant_tables"
};
static const char *const local_keys[] = {"bindir", "dir", "port", "supabase", "user"};
static const char *const lint_keys[] = {"enable", "pg_version"};
static const char *const backup_keys[] = {"before_destructive", "dir", "keep"};
static const char *const deploy_keys[] = {"dir", "log_dir", "order"};
static const char *const env_keys[] = {"dbname", "host", "port", "sslmode", "url", "user"};

static int
unknown_key(struct parse_ctx *ctx, const char *section, const char *name,
			const char *const *keys, size_t nkeys)
{
	const char *close = text_closest(name, keys, nkeys);

	fail_at(ctx, "unknown key '%s' in section [%s]", name, section);
	if (close)
		pgw_error_hint("did you mean '%s'?", close);
	else
	{
		struct pgw_buf b;
		size_t		i;

		buf_init(&b);
		for (i = 0; i < nkeys; i++)
			buf_printf(&b, "%s%s", i ? ", " : "", keys[i]);
		pgw_error_hint("keys of [%s]: %s", section, b.data);
		buf_release(&b);
	}
	return 0;
}

/* Scalars may be set once per section; lists accumulate (and inih calls us
 * once per continuation line). */
static bool
first_time(struct parse_ctx *ctx, const char *section, const char *name)
{
	char	   *key = pgw_asprintf("%s\x1f%s", section, name);
	bool		first = !strlist_contains(&ctx->seen, key);

	if (first)
		strlist_add(&ctx->seen, key);
	free(key);
	return first;
}

static int
handle_project(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct pgw_config *cfg = ctx->cfg;
	long		n;

	if (!strcmp(name, "schemas") || !strcmp(name, "exposed_schemas") || !strcmp(name, "ignore") ||
		!strcmp(name, "tenant_tables") || !strcmp(name, "required_columns"))
	{
		struct pgw_strlist *l = !strcmp(name, "schemas") ? &cfg->schemas :
		!strcmp(name, "ignore") ? &cfg->ignore :
		!strcmp(name, "tenant_tables") ? &cfg->tenant_tables :
		!strcmp(name, "required_columns") ? &cfg->required_columns : &cfg->exposed_schemas;

		if (first_time(ctx, "project", name))
			strlist_release(l);
		parse_list(l, value);
		return 1;
	}
	if (!strcmp(name, "seeds"))
	{
		struct pgw_strlist l = {NULL, 0};
		size_t		i;

		/* relative to the project root, like every path in the file */
		if (first_time(ctx, "project", name))
		{
			strlist_release(&cfg->seeds);
			cfg->seeds_set = true;
		}
		parse_list(&l, value);
		for (i = 0; i < l.n; i++)
		{
			char	   *path = l.items[i][0] == '/' ? pgw_strdup(l.items[i]) : fs_join(cfg->root, l.items[i]);

			strlist_add(&cfg->seeds, path);
			free(path);
		}
		strlist_release(&l);
		return 1;
	}
	if (!first_time(ctx, "project", name))
		return fail_at(ctx, "'%s' is set twice in [project]", name, NULL);
	if (!strcmp(name, "migrations_dir"))
	{
		free(cfg->migrations_dir);
		cfg->migrations_dir = value[0] == '/' ? pgw_strdup(value) : fs_join(cfg->root, value);
	}
	else if (!strcmp(name, "tenant_column"))
		set_str(&cfg->tenant_column, value);
	else if (!strcmp(name, "tenant_setting"))
		set_str(&cfg->tenant_setting, value);
	else if (!strcmp(name, "app_role"))
		set_str(&cfg->app_role, value);
	else if (!strcmp(name, "lock_timeout") || !strcmp(name, "statement_timeout"))
	{
		int			ms;

		if (!config_parse_duration(value, &ms))
			return fail_at(ctx, "'%s' is not a duration for %s (expected e.g. 5s, 500ms, 2min, or 0 for off)",
						   value, name);
		if (!strcmp(name, "lock_timeout"))
			cfg->lock_timeout_ms = ms;
		else
			cfg->statement_timeout_ms = ms;
	}
	else if (!strcmp(name, "large_table"))
	{
		if (!config_parse_size(value, &cfg->large_table_bytes))
			return fail_at(ctx, "'%s' is not a size for %s (expected e.g. 10GB, 500MB, or 0 for off)",
						   value, name);
	}
	else if (!strcmp(name, "stats_min_age"))
	{
		if (!parse_age(value, &cfg->stats_min_age_s))
			return fail_at(ctx, "'%s' is not an age for %s (expected e.g. 7d, 36h, 90min, or 0 for any age)",
						   value, name);
	}
	else if (!strcmp(name, "lock_retries"))
	{
		if (!text_parse_int(value, 0, 100, &n))
			return fail_at(ctx, "'%s' is not a number of retries (expected 0 to 100) for %s", value, name);
		cfg->lock_retries = (int) n;
	}
	else
		return unknown_key(ctx, "project", name, project_keys,
						   sizeof(project_keys) / sizeof(*project_keys));
	if (!*value && strcmp(name, "tenant_column") != 0)
		return fail_at(ctx, "'%s' is empty", name, NULL);
	return 1;
}

static int
handle_local(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct pgw_config *cfg = ctx->cfg;
	long		n;

	if (!first_time(ctx, "local", name))
		return fail_at(ctx, "'%s' is set twice in [local]", name, NULL);
	if (!strcmp(name, "dir"))
	{
		free(cfg->local_dir);
		cfg->local_dir = value[0] == '/' ? pgw_strdup(value) : fs_join(cfg->root, value);
		/* a folder inside the project may move like the default one; an
		 * absolute path is a deliberate choice and is never moved */
		cfg->local_dir_set = value[0] == '/';
	}
	else if (!strcmp(name, "port"))
	{
		if (!text_parse_int(value, 1, 65535, &n))
			return fail_at(ctx, "'%s' is not a port number (expected 1 to 65535)", value, NULL);
		cfg->local_port = (int) n;
	}
	else if (!strcmp(name, "user"))
		set_str(&cfg->local_user, value);
	else if (!strcmp(name, "bindir"))
		set_str(&cfg->local_bindir, value);
	else if (!strcmp(name, "supabase"))
	{
		if (!parse_bool(value, &cfg->local_supabase))
			return fail_at(ctx, "'%s' is not a boolean for supabase (expected true or false)", value, NULL);
	}
	else
		return unknown_key(ctx, "local", name, local_keys, sizeof(local_keys) / sizeof(*local_keys));
	return 1;
}

static int
handle_lint(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct pgw_config *cfg = ctx->cfg;
	long		n;

	if (!strcmp(name, "enable"))
	{
		if (first_time(ctx, "lint", name))
			strlist_release(&cfg->lint_enable);
		parse_list(&cfg->lint_enable, value);
		return 1;
	}
	if (!first_time(ctx, "lint", name))
		return fail_at(ctx, "'%s' is set twice in [lint]", name, NULL);
	if (!strcmp(name, "pg_version"))
	{
		if (!text_parse_int(value, 9, 99, &n))
			return fail_at(ctx, "'%s' is not a PostgreSQL major version (expected 9 to 99) for %s",
						   value, name);
		cfg->lint_pg_version = (int) n;
	}
	else
		return unknown_key(ctx, "lint", name, lint_keys, sizeof(lint_keys) / sizeof(*lint_keys));
	return 1;
}

static int
handle_backup(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct pgw_config *cfg = ctx->cfg;
	long		n;

	if (!first_time(ctx, "backup", name))
		return fail_at(ctx, "'%s' is set twice in [backup]", name, NULL);
	if (!strcmp(name, "dir"))
	{
		if (!*value)
			return fail_at(ctx, "'%s' is empty", name, NULL);
		free(cfg->backup_dir);
		cfg->backup_dir = value[0] == '/' ? pgw_strdup(value) : fs_join(cfg->root, value);
	}
	else if (!strcmp(name, "before_destructive"))
	{
		if (!parse_bool(value, &cfg->backup_before_destructive))
			return fail_at(ctx, "'%s' is not a boolean for before_destructive (expected true or false)",
						   value, NULL);
	}
	else if (!strcmp(name, "keep"))
	{
		if (!text_parse_int(value, 0, 100000, &n))
			return fail_at(ctx, "'%s' is not a number of backups for keep (expected 0 to 100000)", value, NULL);
		cfg->backup_keep = (int) n;
	}
	else
		return unknown_key(ctx, "backup", name, backup_keys, sizeof(backup_keys) / sizeof(*backup_keys));
	return 1;
}

static const char *const maintain_keys[] = {"dead_min", "dead_pct", "monitor_role", "pause", "vacuum_age", "xid_age"};

static int
handle_maintain(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct pgw_config *cfg = ctx->cfg;
	long		n;
	char	   *end;

	if (!first_time(ctx, "maintain", name))
		return fail_at(ctx, "'%s' is set twice in [maintain]", name, NULL);
	if (!strcmp(name, "pause"))
	{
		if (!config_parse_duration(value, &cfg->maintain_pause_ms))
			return fail_at(ctx, "'%s' is not a duration for pause (e.g. 100ms, 1s)", value, NULL);
	}
	else if (!strcmp(name, "dead_pct"))
	{
		cfg->maintain_dead_pct = strtod(value, &end);
		if (end == value || *end || cfg->maintain_dead_pct < 0 || cfg->maintain_dead_pct > 100)
			return fail_at(ctx, "'%s' is not a percentage for dead_pct (0 to 100)", value, NULL);
	}
	else if (!strcmp(name, "dead_min"))
	{
		if (!text_parse_int(value, 0, 2000000000, &n))
			return fail_at(ctx, "'%s' is not a number of rows for dead_min", value, NULL);
		cfg->maintain_dead_min = n;
	}
	else if (!strcmp(name, "vacuum_age"))
	{
		if (!parse_age(value, &cfg->maintain_vacuum_age_s))
			return fail_at(ctx, "'%s' is not an age for vacuum_age (e.g. 7d, 12h; 0 turns it off)", value, NULL);
	}
	else if (!strcmp(name, "monitor_role"))
	{
		/* a plain name: it is written into generated SQL (quoted) and
		 * compared with pg_roles.rolname */
		bool		plain = *value && strlen(value) < 64;

		for (const char *p = value; *p && plain; p++)
			plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
		if (!plain || (*value >= '0' && *value <= '9') || !strncmp(value, "pg_", 3))
			return fail_at(ctx, "'%s' is not a role name for monitor_role (lowercase letters, digits, _; "
						   "not starting with pg_)", value, NULL);
		free(cfg->maintain_monitor_role);
		cfg->maintain_monitor_role = pgw_strdup(value);
	}
	else if (!strcmp(name, "xid_age"))
	{
		if (!text_parse_int(value, 0, 2000000000, &n))
			return fail_at(ctx, "'%s' is not a number of transactions for xid_age", value, NULL);
		cfg->maintain_xid_age = n;
	}
	else
		return unknown_key(ctx, "maintain", name, maintain_keys, sizeof(maintain_keys) / sizeof(*maintain_keys));
	return 1;
}

static const char *const retention_keys[] = {"batch", "column", "keep", "where"};

/* 'retention "T"' or 'retention T' → T (caller frees), "" when malformed,
 * NULL when the section is not a retention section. */
static char *
retention_section_name(const char *section)
{
	size_t		n;

	if (strncmp(section, "retention ", 10) != 0)
		return NULL;
	section += 10;
	while (*section == ' ')
		section++;
	n = strlen(section);
	if (n >= 2 && section[0] == '"' && section[n - 1] == '"')
		return pgw_strndup(section + 1, n - 2);
	if (strchr(section, '"'))
		return pgw_strdup("");
	return pgw_strdup(section);
}

static int
handle_retention(struct parse_ctx *ctx, const char *section, const char *name, const char *value)
{
	struct pgw_retention *r = ctx->ret;
	long		n;

	if (!first_time(ctx, section, name))
		return fail_at(ctx, "'%s' is set twice in [%s]", name, section);
	if (!strcmp(name, "column"))
	{
		if (!*value)
			return fail_at(ctx, "'%s' is empty", name, NULL);
		r->column = pgw_strdup(value);
	}
	else if (!strcmp(name, "keep"))
	{
		if (!parse_age(value, &r->keep_s))
			return fail_at(ctx, "'%s' is not an age for keep (e.g. 7d, 90d, 36h)", value, NULL);
	}
	else if (!strcmp(name, "where"))
	{
		if (!*value)
			return fail_at(ctx, "'%s' is empty", name, NULL);
		r->where = pgw_strdup(value);
	}
	else if (!strcmp(name, "batch"))
	{
		if (!text_parse_int(value, 1, 1000000, &n))
			return fail_at(ctx, "'%s' is not a batch size (1 to 1000000 rows)", value, NULL);
		r->batch = (int) n;
	}
	else
		return unknown_key(ctx, section, name, retention_keys, sizeof(retention_keys) / sizeof(*retention_keys));
	return 1;
}

static int
handle_deploy(struct parse_ctx *ctx, const char *name, const char *value)
{
	struct pgw_config *cfg = ctx->cfg;
	char	  **slot = NULL;

	if (!first_time(ctx, "deploy", name))
		return fail_at(ctx, "'%s' is set twice in [deploy]", name, NULL);
	if (!strcmp(name, "dir"))
		slot = &cfg->deploy_dir;
	else if (!strcmp(name, "log_dir"))
		slot = &cfg->deploy_log_dir;
	else if (!strcmp(name, "order"))
	{
		const char *s = value;

		strlist_release(&cfg->deploy_order);
		while (*s)
		{
			const char *c = strchr(s, ',');
			size_t		len = c ? (size_t) (c - s) : strlen(s);
			char	   *t = pgw_strndup(s, len);
			char	   *b = t,
					   *e;

			while (*b == ' ')
				b++;
			e = b + strlen(b);
			while (e > b && e[-1] == ' ')
				*--e = '\0';
			if (!*b || strchr(b, '/'))
			{
				free(t);
				return fail_at(ctx, "'%s' is not a list of file names for order (expected e.g. enums,tables,views)",
							   value, NULL);
			}
			strlist_add(&cfg->deploy_order, b);
			free(t);
			s += len + (c ? 1 : 0);
		}
		return 1;
	}
	else
		return unknown_key(ctx, "deploy", name, deploy_keys, sizeof(deploy_keys) / sizeof(*deploy_keys));
	if (!*value)
		return fail_at(ctx, "'%s' is empty", name, NULL);
	free(*slot);
	*slot = value[0] == '/' ? pgw_strdup(value) : fs_join(cfg->root, value);
	return 1;
}

static int
handle_env(struct parse_ctx *ctx, const char *section, const char *name, const char *value)
{
	struct pgw_env *e = ctx->env;
	char	  **field = NULL;

	if (!strcmp(name, "password"))
	{
		fail_at(ctx, "passwords do not belong in the config file (section [%s])", section, NULL);
		pgw_error_hint("write url = ${DATABASE_URL_%s} and keep the secret in the environment, "
					   "or use PGPASSWORD / ~/.pgpass", "NAME");
		return 0;
	}
	if (!strcmp(name, "url"))
		field = &e->url;
	else if (!strcmp(name, "host"))
		field = &e->host;
	else if (!strcmp(name, "port"))
		field = &e->port;
	else if (!strcmp(name, "dbname"))
		field = &e->dbname;
	else if (!strcmp(name, "user"))
		field = &e->user;
	else if (!strcmp(name, "sslmode"))
		field = &e->sslmode;
	else
		return unknown_key(ctx, section, name, env_keys, sizeof(env_keys) / sizeof(*env_keys));
	if (!first_time(ctx, section, name))
		return fail_at(ctx, "'%s' is set twice in [%s]", name, section);
	set_str(field, value);
	return 1;
}

/* "env NAME" → NAME, or NULL when the section is not an env section. */
static const char *
env_section_name(const char *section)
{
	if (strncmp(section, "env ", 4) != 0)
		return NULL;
	section += 4;
	while (*section == ' ')
		section++;
	return section;
}

static bool
valid_env_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char) *s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	const char *envname;

	if (ctx->failed)
		return 0;
	if (!*section)
		return fail_at(ctx, "'%s' is outside any section (expected [project], [local], [lint] or [env NAME] first)",
					   name, NULL);
	if (!strcmp(section, "project"))
		return handle_project(ctx, name, value);
	if (!strcmp(section, "local"))
		return handle_local(ctx, name, value);
	if (!strcmp(section, "lint"))
		return handle_lint(ctx, name, value);
	if (!strcmp(section, "backup"))
		return handle_backup(ctx, name, value);
	if (!strcmp(section, "deploy"))
		return handle_deploy(ctx, name, value);
	if (!strcmp(section, "maintain"))
		return handle_maintain(ctx, name, value);
	{
		char	   *t = retention_section_name(section);

		if (t)
		{
			struct pgw_config *cfg = ctx->cfg;

			if (!*t || strlen(t) > 127)
			{
				free(t);
				return fail_at(ctx, "'[%s]' does not name a table (expected [retention \"TABLE\"])", section, NULL);
			}
			if (!ctx->ret || strcmp(ctx->ret->table, t) != 0)
			{
				for (size_t i = 0; i < cfg->nretentions; i++)
					if (!strcmp(cfg->retentions[i].table, t))
					{
						free(t);
						return fail_at(ctx, "section [%s] appears twice", section, NULL);
					}
				cfg->retentions = pgw_realloc(cfg->retentions, (cfg->nretentions + 1) * sizeof(*cfg->retentions));
				ctx->ret = &cfg->retentions[cfg->nretentions++];
				memset(ctx->ret, 0, sizeof(*ctx->ret));
				ctx->ret->table = t;
				ctx->ret->line = ctx->lineno;
				ctx->ret->keep_s = -1;
				ctx->ret->batch = 5000;
				t = NULL;
			}
			free(t);
			return handle_retention(ctx, section, name, value);
		}
	}
	envname = env_section_name(section);
	if (envname)
	{
		if (!valid_env_name(envname))
			return fail_at(ctx, "'%s' is not a valid environment name (letters, digits, _ and - only)",
						   envname, NULL);
		if (!ctx->env || strcmp(ctx->env->name, envname) != 0)
		{
			struct pgw_config *cfg = ctx->cfg;

			if (config_find_env(cfg, envname))
				return fail_at(ctx, "section [env %s] appears twice", envname, NULL);
			cfg->envs = pgw_realloc(cfg->envs, (cfg->nenvs + 1) * sizeof(*cfg->envs));
			ctx->env = &cfg->envs[cfg->nenvs++];
			memset(ctx->env, 0, sizeof(*ctx->env));
			ctx->env->name = pgw_strdup(envname);
			ctx->env->line = ctx->lineno;
		}
		return handle_env(ctx, section, name, value);
	}
	fail_at(ctx, "unknown section [%s]", section, NULL);
	pgw_error_hint("sections are [project], [local], [lint], [backup], [deploy], [maintain], [retention \"TABLE\"] and [env NAME]");
	return 0;
}

int
config_parse_text(struct pgw_config *cfg, const char *name, const char *text)
{
	struct parse_ctx ctx;
	int			rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.name = name;
	ctx.pos = text;
	rc = ini_parse_stream(reader, &ctx, handler, &ctx);
	strlist_release(&ctx.seen);
	if (ctx.failed)
		return -1;
	if (rc > 0)
		return pgw_error(PGW_ERR_INPUT, "%s:%d: expected 'key = value', '[section]' or a comment",
						 name, rc);
	if (rc < 0)
		return pgw_error(PGW_ERR_INTERNAL, "%s: the INI parser failed (%d)", name, rc);
	for (size_t i = 0; i < cfg->nretentions; i++)
	{
		const struct pgw_retention *r = &cfg->retentions[i];

		if (!r->column || r->keep_s < 0)
			return pgw_error(PGW_ERR_INPUT, "%s:%d: [retention \"%s\"] needs %s", name, r->line, r->table,
							 !r->column ? "column (the time each row is judged by)" : "keep (how long rows stay, e.g. 7d)");
	}
	if (!cfg->seeds_set)
		default_seeds(cfg);
	return 0;
}

static char *
find_upwards(const char *start)
{
	char	   *dir = fs_absolute(start);

	for (;;)
	{
		char	   *candidate = fs_join(dir, PGW_CONFIG_FILE);
		char	   *parent;

		if (fs_exists(candidate))
		{
			free(dir);
			return candidate;
		}
		free(candidate);
		if (strcmp(dir, "/") == 0)
			break;
		parent = fs_dirname(dir);
		free(dir);
		dir = parent;
	}
	free(dir);
	return NULL;
}

int
config_load(struct pgw_config *cfg, const char *explicit_path, const char *start_dir)
{
	char	   *path = NULL;
	char	   *root;
	char	   *text;
	size_t		len;

	if (explicit_path)
	{
		if (!fs_exists(explicit_path))
		{
			config_defaults(cfg, start_dir ? start_dir : ".");
			pgw_error(PGW_ERR_INPUT, "config file '%s' does not exist", explicit_path);
			pgw_error_hint("create one with 'pgwarden init', or leave out --config");
			return -1;
		}
		path = fs_absolute(explicit_path);
	}
	else
		path = find_upwards(start_dir ? start_dir : ".");

	if (!path)
	{
		config_defaults(cfg, start_dir ? start_dir : ".");
		return 0;
	}
	root = fs_dirname(path);
	config_defaults(cfg, root);
	free(root);
	cfg->path = path;
	if (fs_read_file(path, &text, &len) != 0)
		return -1;
	if (memchr(text, '\0', len))
	{
		free(text);
		return pgw_error(PGW_ERR_INPUT, "%s: not a text file (it contains NUL bytes)", path);
	}
	if (config_parse_text(cfg, path, text) != 0)
	{
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

const struct pgw_env *
config_find_env(const struct pgw_config *cfg, const char *name)
{
	size_t		i;

	for (i = 0; i < cfg->nenvs; i++)
		if (strcmp(cfg->envs[i].name, name) == 0)
			return &cfg->envs[i];
	return NULL;
}

/* Expands ${VAR} in s.  -1 with an error naming the variable if unset. */
static int
expand_vars(const struct pgw_config *cfg, const struct pgw_env *env, const char *s, struct pgw_buf *out)
{
	const char *p = s;

	while (*p)
	{
		if (p[0] == '$' && p[1] == '{')
		{
			const char *close = strchr(p + 2, '}');
			char	   *var;
			const char *val;

			if (!close)
				return pgw_error(PGW_ERR_INPUT, "%s: [env %s]: unterminated '${' in a value",
								 cfg->path ? cfg->path : PGW_CONFIG_FILE, env->name);
			var = pgw_strndup(p + 2, (size_t) (close - p - 2));
			val = getenv(var);
			if (!val || !*val)
			{
				pgw_error(PGW_ERR_INPUT, "environment variable '%s' is not set (needed by [env %s] in %s)",
						  var, env->name, cfg->path ? cfg->path : PGW_CONFIG_FILE);
				pgw_error_hint("export %s=postgresql://... before running pgwarden", var);
				free(var);
				return -1;
			}
			free(var);
			buf_append(out, val);
			p = close + 1;
		}
		else
			buf_append_char(out, *p++);
	}
	return 0;
}

int
config_env_conninfo(const struct pgw_config *cfg, const struct pgw_env *env, char **out)
{
	struct pgw_buf b;
	const char *keys[] = {"host", "port", "dbname", "user", "sslmode"};
	const char *vals[5];
	size_t		i;
	bool		any = false;

	vals[0] = env->host;
	vals[1] = env->port;
	vals[2] = env->dbname;
	vals[3] = env->user;
	vals[4] = env->sslmode;
	buf_init(&b);
	if (env->url)
	{
		if (expand_vars(cfg, env, env->url, &b) != 0)
		{
			buf_release(&b);
			return -1;
		}
		any = true;
	}
	for (i = 0; i < 5; i++)
	{
		struct pgw_buf v;

		if (!vals[i])
			continue;
		buf_init(&v);
		if (expand_vars(cfg, env, vals[i], &v) != 0)
		{
			buf_release(&v);
			buf_release(&b);
			return -1;
		}
		if (env->url && b.len && strstr(b.data, "://"))
		{
			/* URL plus keywords: libpq takes only one form; turn the keywords
			 * into query parameters */
			buf_append_char(&b, strchr(b.data, '?') ? '&' : '?');
			buf_printf(&b, "%s=%s", keys[i], v.data);
		}
		else
			text_conninfo_append(&b, keys[i], v.data);
		buf_release(&v);
		any = true;
	}
	if (!any)
	{
		buf_release(&b);
		pgw_error(PGW_ERR_INPUT, "[env %s] in %s names no database", env->name,
				  cfg->path ? cfg->path : PGW_CONFIG_FILE);
		pgw_error_hint("add url = ${SOME_VARIABLE} or host/dbname/user keys to the section");
		return -1;
	}
	*out = buf_steal(&b);
	return 0;
}

char *
config_template(const char *migrations_dir, bool supabase)
{
	return pgw_asprintf(
		"# pgwarden.conf — settings for pgwarden in this project.\n"
		"# Reference: docs/config.md.  Keep secrets out of this file: use ${VARIABLE}\n"
		"# in url, or PGPASSWORD / ~/.pgpass.  Lines are limited to 198 bytes.\n"
		"\n"
		"[project]\n"
		"# Where migration files live (relative to this file).\n"
		"migrations_dir = %s\n"
		"# Seed files or folders run by `migrate seed` and `migrate reset`\n"
		"# (default: seed.sql and seeds/ beside the migrations folder).\n"
		"#seeds = seed.sql\n"
		"# The schemas pgwarden manages (comma separated).\n"
		"schemas = public\n"
		"# Schemas an API exposes to clients (Supabase: public); tables there need\n"
		"# row-level security.  Empty: nothing is exposed, RLS findings are info.\n"
		"exposed_schemas =%s\n"
		"# The column that says which tenant owns a row, and the setting the\n"
		"# application sets to the current tenant.\n"
		"tenant_column = tenant_id\n"
		"tenant_setting = app.current_tenant_id\n"
		"# The role the application's queries run as.\n"
		"app_role = authenticated\n"
		"# Every DDL session sets lock_timeout; a lock timeout is retried this often.\n"
		"lock_timeout = 5s\n"
		"lock_retries = 5\n"
		"statement_timeout = 0\n"
		"# Rule ids to suppress everywhere, e.g. ignore = types.prefer_text\n"
		"ignore =\n"
		"\n"
		"[local]\n"
		"# The embedded database (pgwarden local ...): folder, port (empty: pick a\n"
		"# free one), and the OS user the server runs as when pgwarden runs as root.\n"
		"#dir = .pgwarden/local\n"
		"user = postgres\n"
		"supabase = %s\n"
		"\n"
		"# A remote database, used with --env staging.  The URL comes from the\n"
		"# environment so no password is written here.\n"
		"#[env staging]\n"
		"#url = ${STAGING_DATABASE_URL}\n",
		migrations_dir, supabase ? " public" : "", supabase ? "true" : "false");
}
