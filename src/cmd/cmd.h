/*
 * cmd.h — what every command gets: the context built by main() from the
 * global options, the config, and the target database.
 */
#ifndef PGW_CMD_H
#define PGW_CMD_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "db/target.h"
#include "util/config.h"

struct pgw_command;

struct pgw_ctx
{
	const struct pgw_command *command;
	/* global options */
	const char *config_path;	/* --config */
	const char *db;				/* --db */
	const char *env;			/* --env */
	bool		json;
	bool		no_color;
	int			verbosity;		/* -1 quiet, 0, 1+ verbose */
	/* loaded by main() */
	struct pgw_config cfg;
	bool		has_target;
	struct pgw_target target;	/* when the command has PGW_CMD_NEEDS_DB */
};

/* Connects to ctx->target; on failure reports through out_fail() and returns
 * NULL with *rc set to the exit code. */
PGconn	   *ctx_connect(struct pgw_ctx *ctx, int *rc);

/* The snapshot cache folder of the project (.pgwarden/cache under the
 * root), for pgw_catalog_opts.cache_dir (a static buffer, the same for the
 * whole process). */
const char *ctx_cache_dir(const struct pgw_ctx *ctx);

/* path as shown to the user: relative to the project root when inside it
 * (caller frees). */
char	   *ctx_project_path(const struct pgw_ctx *ctx, const char *path);

#endif
