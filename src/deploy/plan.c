/*
 * plan.c — the deploy folder read: phases in number order, files in the
 * configured order, every file parsed and linted before anything connects.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "sql/lint.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

/* "phase12" -> 12, else 0 */
static int
phase_number(const char *name)
{
	long		n;

	if (strncmp(name, "phase", 5) != 0 || !name[5])
		return 0;
	if (!text_parse_int(name + 5, 1, 100000, &n))
		return 0;
	return (int) n;
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *) a - *(const int *) b;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Files of one phase folder in run order: the order's stems first, then
 * the rest sorted (fs_list_files sorts). */
static int
phase_files(const char *dir, const struct pgw_strlist *order, struct pgw_strlist *out)
{
	struct pgw_strlist all = {0};
	bool	   *used;

	if (fs_list_files(dir, ".sql", &all) != 0)
		return -1;
	used = pgw_calloc(all.n + 1, sizeof(bool));
	for (size_t o = 0; o < order->n; o++)
		for (size_t i = 0; i < all.n; i++)
		{
			char	   *want = pgw_asprintf("%s.sql", order->items[o]);

			if (!used[i] && !strcmp(base_name(all.items[i]), want))
			{
				strlist_add(out, all.items[i]);
				used[i] = true;
			}
			free(want);
		}
	for (size_t i = 0; i < all.n; i++)
		if (!used[i])
			strlist_add(out, all.items[i]);
	free(used);
	strlist_release(&all);
	return 0;
}

static int
load_file(struct pgw_deploy_file *df, const struct pgw_config *cfg, struct pgw_findings *lint)
{
	struct pgw_lint_options lo;

	if (sqlfile_read(df->path, &df->f) != 0)
		return -1;
	free(df->f.name);
	df->f.name = pgw_strdup(df->name);
	sql_script_init(&df->s, &df->f);
	df->loaded = true;
	if (sql_script_load(&df->s, &df->f) > 0)
	{
		const struct pgw_sql_diag *d = &df->s.diags[0];

		pgw_error(PGW_ERR_INPUT, "cannot parse '%s'", df->name);
		pgw_error_detail("%s:%d:%d: %s", df->name, d->line, d->column, d->message);
		pgw_error_hint("nothing was run: fix the file and deploy again%s%s",
					   d->hint ? "; " : "", d->hint ? d->hint : "");
		return -1;
	}
	memset(&lo, 0, sizeof(lo));
	lo.pg_version = cfg->lint_pg_version;
	lo.tx_mode = PGW_LINT_TX_AUTO;
	lo.exposed_schemas = &cfg->exposed_schemas;
	lo.ignore = &cfg->ignore;
	lo.enable = &cfg->lint_enable;
	lint_script(&df->s, &lo, lint);
	return 0;
}

int
deploy_plan_load(struct pgw_deploy_plan *p, const char *dir, int phase,
				 const struct pgw_strlist *order, const struct pgw_config *cfg)
{
	struct pgw_strlist def = {0};
	DIR		   *d;
	struct dirent *e;
	int		   *nums = NULL;
	size_t		n = 0,
				cap = 0;
	int			rc = -1;

	memset(p, 0, sizeof(*p));
	findings_init(&p->lint);
	p->dir = pgw_strdup(dir);
	if (!fs_is_dir(dir))
	{
		pgw_error(PGW_ERR_INPUT, "deploy folder '%s' does not exist", dir);
		pgw_error_hint("create %s/phase1/tables.sql, ... or point --dir (or [deploy] dir) at it", dir);
		return -1;
	}
	if (!order || order->n == 0)
	{
		const char *s = PGW_DEPLOY_DEFAULT_ORDER;

		while (*s)
		{
			const char *c = strchr(s, ',');
			size_t		len = c ? (size_t) (c - s) : strlen(s);
			char	   *t = pgw_strndup(s, len);

			strlist_add(&def, t);
			free(t);
			s += len + (c ? 1 : 0);
		}
		order = &def;
	}
	d = opendir(dir);
	if (!d)
	{
		pgw_error(PGW_ERR_INPUT, "cannot read deploy folder '%s'", dir);
		goto done;
	}
	while ((e = readdir(d)) != NULL)
	{
		int			k = phase_number(e->d_name);
		char	   *path;

		if (k == 0)
			continue;
		path = fs_join(dir, e->d_name);
		if (fs_is_dir(path) && (phase == 0 || k == phase))
		{
			if (n == cap)
			{
				cap = cap ? cap * 2 : 8;
				nums = pgw_realloc(nums, cap * sizeof(int));
			}
			nums[n++] = k;
		}
		free(path);
	}
	closedir(d);
	if (n == 0)
	{
		if (phase)
		{
			pgw_error(PGW_ERR_INPUT, "phase %d does not exist in '%s'", phase, dir);
			pgw_error_hint("phases are folders named phase1, phase2, ...; use --phase all for every one");
		}
		else
		{
			pgw_error(PGW_ERR_INPUT, "no phase folders in '%s'", dir);
			pgw_error_hint("a deploy folder holds phase1/, phase2/, ... with .sql files");
		}
		goto done;
	}
	qsort(nums, n, sizeof(int), cmp_int);
	p->phases = pgw_calloc(n, sizeof(*p->phases));
	for (size_t i = 0; i < n; i++)
	{
		struct pgw_deploy_phase *ph = &p->phases[p->nphases++];
		struct pgw_strlist files = {0};
		char	   *sub = pgw_asprintf("phase%d", nums[i]);

		ph->number = nums[i];
		ph->dir = fs_join(dir, sub);
		if (phase_files(ph->dir, order, &files) != 0)
		{
			strlist_release(&files);
			free(sub);
			goto done;
		}
		ph->files = pgw_calloc(files.n + 1, sizeof(*ph->files));
		for (size_t j = 0; j < files.n; j++)
		{
			struct pgw_deploy_file *df = &ph->files[ph->nfiles++];

			df->path = pgw_strdup(files.items[j]);
			df->name = pgw_asprintf("%s/%s", sub, base_name(files.items[j]));
			if (load_file(df, cfg, &p->lint) != 0)
			{
				strlist_release(&files);
				free(sub);
				goto done;
			}
			p->nstatements += df->s.nstmts;
		}
		strlist_release(&files);
		free(sub);
	}
	rc = 0;
done:
	free(nums);
	strlist_release(&def);
	return rc;
}

void
deploy_plan_release(struct pgw_deploy_plan *p)
{
	for (size_t i = 0; i < p->nphases; i++)
	{
		struct pgw_deploy_phase *ph = &p->phases[i];

		for (size_t j = 0; j < ph->nfiles; j++)
		{
			if (ph->files[j].loaded)
			{
				sql_script_release(&ph->files[j].s);
				sqlfile_release(&ph->files[j].f);
			}
			free(ph->files[j].path);
			free(ph->files[j].name);
		}
		free(ph->files);
		free(ph->dir);
	}
	free(p->phases);
	free(p->dir);
	findings_release(&p->lint);
	memset(p, 0, sizeof(*p));
}
