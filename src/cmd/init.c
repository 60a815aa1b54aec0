/*
 * init.c — `pgwarden init`: writes a commented pgwarden.conf and creates the
 * migrations folder.  A project with a supabase/ folder gets
 * supabase/migrations and the Supabase flavour for its local database.
 * An existing pgwarden.conf is left alone unless --force.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/opt.h"
#include "util/exitcode.h"
#include "commands.h"
#include "out/out.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"

#define INIT_USAGE "pgwarden init [--dir DIR] [--force]"

enum
{
	OPT_DIR = 1,
	OPT_FORCE
};

static bool
gitignore_has(const char *path, const char *line)
{
	char	   *text;
	size_t		len;
	bool		found = false;
	const char *p;

	if (fs_read_file(path, &text, &len) != 0)
	{
		pgw_error_clear();
		return false;
	}
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, strlen(line)) == 0 &&
			(p[strlen(line)] == '\n' || p[strlen(line)] == '\0'))
			found = true;
	free(text);
	return found;
}

int
cmd_init(struct pgw_ctx *ctx, int argc, char **argv)
{
	static const struct pgw_opt opts[] = {
		{"dir", 0, true, OPT_DIR},
		{"force", 0, false, OPT_FORCE},
		{NULL, 0, false, 0}
	};
	struct pgw_optparser p;
	const char *arg;
	const char *dir = ".";
	bool		force = false;
	int			r;
	char	   *root;
	char	   *conf_path;
	char	   *supa;
	bool		supabase;
	const char *mig_rel;
	char	   *mig_abs;
	char	   *text;
	bool		existed;
	char	   *gitignore;
	int			rc = PGW_EXIT_OK;

	(void) ctx;
	opt_init(&p, argc, argv, opts, INIT_USAGE);
	while ((r = opt_next(&p, &arg)) != OPT_END)
	{
		switch (r)
		{
			case OPT_ERROR:
				return PGW_EXIT_USAGE;
			case OPT_DIR:
				dir = arg;
				break;
			case OPT_FORCE:
				force = true;
				break;
			default:
				return opt_usage_error(&p, NULL, "unexpected argument '%s'", arg);
		}
	}

	if (!fs_is_dir(dir))
	{
		pgw_error(PGW_ERR_INPUT, "folder '%s' does not exist", dir);
		pgw_error_hint("create it first, or run init inside the project folder");
		return out_fail();
	}
	root = fs_absolute(dir);
	conf_path = fs_join(root, PGW_CONFIG_FILE);
	supa = fs_join(root, "supabase");
	supabase = fs_is_dir(supa);
	mig_rel = supabase ? "supabase/migrations" : "migrations";
	mig_abs = fs_join(root, mig_rel);
	existed = fs_exists(conf_path);

	if (existed && !force)
	{
		pgw_error(PGW_ERR_INPUT, "'%s' exists already", conf_path);
		pgw_error_hint("edit it, or run 'pgwarden init --force' to write a fresh one");
		rc = out_fail();
		goto done;
	}
	text = config_template(mig_rel, supabase);
	if (fs_write_file(conf_path, text, strlen(text), 0644) != 0 ||
		fs_mkdir_p(mig_abs, 0755) != 0)
	{
		free(text);
		rc = out_fail();
		goto done;
	}
	free(text);

	/* the local database and sandboxes must never be committed */
	gitignore = fs_join(root, ".gitignore");
	if (!gitignore_has(gitignore, ".pgwarden/"))
	{
		char	   *old = NULL;
		size_t		len = 0;
		FILE	   *f;

		if (fs_read_file(gitignore, &old, &len) != 0)
			pgw_error_clear();
		f = fopen(gitignore, "a");
		if (f)
		{
			/* never glue our line onto a last line without a newline */
			fputs(len > 0 && old[len - 1] != '\n' ? "\n.pgwarden/\n" : ".pgwarden/\n", f);
			fclose(f);
		}
		free(old);
	}
	free(gitignore);

	if (out_is_json())
	{
		json_t	   *doc = out_json_envelope(true);
		json_t	   *summary = json_object();

		json_object_set_new(summary, "config", json_string(conf_path));
		json_object_set_new(summary, "migrations_dir", json_string(mig_abs));
		json_object_set_new(summary, "supabase", json_boolean(supabase));
		json_object_set_new(summary, "exposed_schemas", supabase ? json_pack("[s]", "public") : json_array());
		json_object_set_new(summary, "replaced", json_boolean(existed));
		json_object_set_new(doc, "summary", summary);
		out_json_emit(doc);
	}
	else
	{
		out_printf("%s %s\n", existed ? "rewrote" : "wrote", conf_path);
		out_printf("migrations folder: %s\n", mig_abs);
		if (supabase)
			out_printf("supabase/ found: using supabase/migrations and the Supabase flavour; exposed_schemas = public\n");
		else
			out_printf("no supabase/ folder: a plain PostgreSQL project, no schema exposed to clients (exposed_schemas is empty)\n");
		out_printf("next: pgwarden local start%s\n", supabase ? " --supabase" : "");
	}
done:
	free(root);
	free(conf_path);
	free(supa);
	free(mig_abs);
	return rc;
}
