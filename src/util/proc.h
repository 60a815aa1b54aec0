/*
 * proc.h — child processes: running PostgreSQL's programs, as another OS user
 * when pgwarden runs as root, and checking on processes by pid.
 *
 * The privilege drop happens in the child between fork() and exec(), so
 * pgwarden itself keeps its identity.  Children started by proc_run() get
 * PR_SET_PDEATHSIG (set after the user switch, which would clear it), so a
 * killed pgwarden does not leave an initdb running.
 */
#ifndef PGW_PROC_H
#define PGW_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/mem.h"

struct pgw_runas
{
	bool		active;			/* true: switch to uid/gid in children */
	uid_t		uid;
	gid_t		gid;
	char		name[64];
};

/*
 * When pgwarden runs as root, looks up user (error if missing or root
 * itself); otherwise leaves ra inactive — the children run as the caller.
 */
int			proc_runas_resolve(const char *user, struct pgw_runas *ra);

/* In a child: switch to ra's user (groups, gid, uid) and set the parent-death
 * signal (sig, 0 for none); returns -1 after printing to stderr on failure. */
int			proc_child_setup(const struct pgw_runas *ra, int deathsig, pid_t parent);

/*
 * Runs argv[0] (an absolute path) with argv, as ra's user, stdin from
 * /dev/null, stdout and stderr collected into output (may be NULL), in cwd
 * (NULL: "/").  *status gets the exit status (-1 if killed by a signal).
 * Returns -1 (recorded) only when the program could not be started.
 */
int			proc_run(char *const argv[], const struct pgw_runas *ra, const char *cwd,
					 struct pgw_buf *output, int *status);

/* Whether the process exists and is not a zombie. */
bool		proc_alive(pid_t pid);

/* Whether pid's command line starts with a program named postgres or
 * postmaster (guards against a reused pid). */
bool		proc_is_postgres(pid_t pid);

/* Whether ra's user (or the caller when inactive) can enter path and create
 * files in it. */
bool		proc_user_can_use_dir(const struct pgw_runas *ra, const char *path);

#endif
