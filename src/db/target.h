/*
 * target.h — which database a command works on, and connecting to it.
 *
 * Resolution order (DESIGN.md §4), first match wins:
 *   --db URL  ›  DATABASE_URL  ›  --env NAME ([env NAME] in pgwarden.conf)
 *   ›  libpq's environment (PGHOST or PGSERVICE set)  ›  the local cluster.
 * Giving --env while DATABASE_URL is set is refused: the variable would win
 * silently and the command would run against a database the user did not
 * name.  libpq's other PG* variables (PGPASSWORD, PGSSLMODE, ...) fill in
 * whatever a URL leaves out, as they do for psql.
 *
 * Every password met on the way is registered with util/redact.h, and the
 * display form never contains one.
 */
#ifndef PGW_TARGET_H
#define PGW_TARGET_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "util/config.h"

enum pgw_target_kind
{
	PGW_TARGET_URL,				/* --db or DATABASE_URL */
	PGW_TARGET_ENV,				/* [env NAME] */
	PGW_TARGET_LIBPQ_ENV,		/* PGHOST / PGSERVICE */
	PGW_TARGET_LOCAL			/* the embedded cluster */
};

struct pgw_target
{
	enum pgw_target_kind kind;
	char	   *source;			/* "--db", "DATABASE_URL", "env staging", ... */
	char	   *conninfo;		/* what libpq gets; may hold a password */
	char	   *display;		/* postgresql://user@host:port/db, no password */
	char	   *env_name;		/* for PGW_TARGET_ENV */
	char	   *local_dir;		/* for PGW_TARGET_LOCAL */
};

int			target_resolve(const struct pgw_config *cfg, const char *db_opt,
						   const char *env_opt, struct pgw_target *t);
void		target_release(struct pgw_target *t);
const char *target_kind_name(enum pgw_target_kind kind);
json_t	   *target_to_json(const struct pgw_target *t);

/*
 * Opens a connection (application_name pgwarden, connect_timeout 10 s unless
 * the target says otherwise).  Failure: PGW_ERR_CONNECT with libpq's message
 * as detail and a hint that fits the kind of target.
 */
int			db_connect(const struct pgw_target *t, PGconn **conn);

/* A display form of any conninfo: postgresql://user@host:port/db (caller frees). */
char	   *conninfo_display(const char *conninfo);

#endif
