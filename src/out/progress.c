/*
 * progress.c — the stderr progress bar (see progress.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "out/out.h"
#include "out/progress.h"

static pgw_progress_listener listener;
static void *listener_arg;
static int64_t listener_last_ms;

void
progress_set_listener(pgw_progress_listener fn, void *arg)
{
	listener = fn;
	listener_arg = arg;
	listener_last_ms = 0;
}

static void
draw(struct pgw_progress *p)
{
	static const char spinner[] = "|/-\\";
	const int	width = 30;

	if (p->total > 0)
	{
		uint64_t	done = p->done > p->total ? p->total : p->done;
		int			filled = (int) (done * (uint64_t) width / p->total);
		int			pct = (int) (done * 100 / p->total);
		char		bar[64];

		memset(bar, '#', (size_t) filled);
		memset(bar + filled, '.', (size_t) (width - filled));
		bar[width] = '\0';
		fprintf(stderr, "\r%s [%s] %3d%% (%llu/%llu)\033[K", p->label, bar, pct,
				(unsigned long long) done, (unsigned long long) p->total);
	}
	else
		fprintf(stderr, "\r%s %c\033[K", p->label, spinner[p->spin++ % 4]);
	fflush(stderr);
}

void
progress_start(struct pgw_progress *p, const char *label, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->label, sizeof(p->label), "%s", label);
	p->total = total;
	p->active = !out_is_quiet() && isatty(STDERR_FILENO) == 1;
	if (listener)
	{
		listener_last_ms = pgw_now_ms();
		listener(p->label, 0, total, listener_arg);
	}
	if (p->active)
	{
		p->last_draw_ms = pgw_now_ms();
		draw(p);
	}
}

void
progress_update(struct pgw_progress *p, uint64_t done)
{
	int64_t		now;

	p->done = done;
	if (listener && pgw_now_ms() - listener_last_ms >= 500)
	{
		listener_last_ms = pgw_now_ms();
		listener(p->label, done, p->total, listener_arg);
	}
	if (!p->active)
		return;
	now = pgw_now_ms();
	if (now - p->last_draw_ms < 100)
		return;
	p->last_draw_ms = now;
	draw(p);
}

void
progress_finish(struct pgw_progress *p)
{
	if (p->active)
	{
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->active = false;
}
