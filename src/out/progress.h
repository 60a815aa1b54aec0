/*
 * progress.h — a progress bar (or a spinner when the total is unknown) on
 * stderr, drawn only when stderr is a terminal and -q is not given, redrawn
 * at most ten times a second, and erased when done so it never mixes with
 * the output that follows.
 */
#ifndef PGW_PROGRESS_H
#define PGW_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/clock.h"

struct pgw_progress
{
	char		label[64];
	uint64_t	total;			/* 0: unknown, show a spinner */
	uint64_t	done;
	int64_t		last_draw_ms;
	int			spin;
	bool		active;
};

void		progress_start(struct pgw_progress *p, const char *label, uint64_t total);
void		progress_update(struct pgw_progress *p, uint64_t done);
void		progress_finish(struct pgw_progress *p);

/*
 * A listener told of every bar's start and of its updates (at most twice a
 * second), whether or not a bar is drawn: the MCP server turns them into
 * progress notifications.  NULL removes it.  Called on the thread that
 * updates the bar.
 */
typedef void (*pgw_progress_listener) (const char *label, uint64_t done, uint64_t total, void *arg);
void		progress_set_listener(pgw_progress_listener fn, void *arg);


#endif
