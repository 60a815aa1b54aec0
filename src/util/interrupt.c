/*
 * interrupt.c — SIGINT/SIGTERM: a flag, cancel requests, children told to
 * stop (see interrupt.h).
 *
 * The handler may run on any thread and at any moment, so everything it
 * reads is an atomic, and it calls only async-signal-safe functions
 * (PQcancel, kill, write, alarm, _exit).  A watched connection's PGcancel
 * sits in a slot; forgetting it empties the slot first and frees the
 * PGcancel only when no handler is running, so the handler never touches
 * freed memory.  Which slot belongs to which connection is kept apart,
 * under a mutex, since only the main flow (and catalog worker threads)
 * look it up.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/interrupt.h"

static _Atomic(PGcancel *) cancels[INTERRUPT_SLOTS];
static const PGconn *owners[INTERRUPT_SLOTS];	/* under lock */
static _Atomic pid_t children[INTERRUPT_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_int signals;		/* how many came */
static atomic_int first_signal;
static atomic_int in_handler;

static void
say(const char *text)
{
	ssize_t		n = write(STDERR_FILENO, text, strlen(text));

	(void) n;
}

static void
on_alarm(int signo)
{
	(void) signo;
	say("pgwarden: clean-up took too long; exiting\n");
	_exit(PGW_EXIT_INTERRUPTED);
}

static void
on_signal(int signo)
{
	int			saved_errno = errno;
	int			n = atomic_fetch_add(&signals, 1) + 1;
	int			i;

	if (n == 1)
	{
		char		errbuf[256];
		int			none = 0;

		/* interrupt_raise() names its interruption before calling */
		atomic_compare_exchange_strong(&first_signal, &none, signo);
		atomic_fetch_add(&in_handler, 1);
		for (i = 0; i < INTERRUPT_SLOTS; i++)
		{
			PGcancel   *c = atomic_load(&cancels[i]);
			pid_t		pid = atomic_load(&children[i]);

			if (c)
				(void) PQcancel(c, errbuf, sizeof(errbuf));
			if (pid > 0)
				kill(pid, SIGTERM);
		}
		atomic_fetch_sub(&in_handler, 1);
		say(signo == SIGTERM ? "\npgwarden: terminated (SIGTERM); stopping and cleaning up\n"
			: "\npgwarden: interrupted; stopping and cleaning up (interrupt again to hurry it)\n");
	}
	else if (n == 2)
	{
		say("pgwarden: still cleaning up: at most 10 s more; interrupt once more to quit at once, "
			"leaving what is not cleaned up\n");
		alarm(INTERRUPT_GRACE_S);
	}
	else
	{
		say("pgwarden: quitting at once; the clean-up did not finish\n");
		_exit(PGW_EXIT_INTERRUPTED);
	}
	errno = saved_errno;
}

void
interrupt_raise(void)
{
	if (atomic_load(&signals) == 0)
	{
		atomic_store(&first_signal, -1);	/* named as a cancel request */
		on_signal(SIGINT);
	}
}

void
interrupt_reset(void)
{
	atomic_store(&signals, 0);
	atomic_store(&first_signal, 0);
}

void
interrupt_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* restart reads and waits: the flag is checked where it matters */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
}

bool
pgw_interrupted(void)
{
	return atomic_load(&signals) > 0;
}

int
interrupt_signal(void)
{
	return atomic_load(&first_signal);
}

const char *
interrupt_signal_name(void)
{
	switch (atomic_load(&first_signal))
	{
		case SIGINT:
			return "SIGINT";
		case SIGTERM:
			return "SIGTERM";
		case -1:
			return "a cancel request";
		default:
			return "";
	}
}

int
interrupt_check(void)
{
	if (!pgw_interrupted())
		return 0;
	pgw_error(PGW_ERR_INTERRUPTED, "interrupted by %s", interrupt_signal_name());
	return -1;
}

int
interrupt_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};

	if (pgw_interrupted())
		return -1;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		if (pgw_interrupted())
			return -1;
	return pgw_interrupted() ? -1 : 0;
}

/* Frees c once no handler can be reading it (the slot is already empty). */
static void
free_cancel(PGcancel *c)
{
	if (!c)
		return;
	while (atomic_load(&in_handler) > 0)
		sched_yield();
	PQfreeCancel(c);
}

void
interrupt_watch_conn(PGconn *conn)
{
	PGcancel   *c;
	PGcancel   *old = NULL;
	int			i,
				slot = -1;

	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return;
	c = PQgetCancel(conn);
	if (!c)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < INTERRUPT_SLOTS; i++)
	{
		if (owners[i] == conn)
		{
			slot = i;
			break;
		}
		if (!owners[i] && slot < 0)
			slot = i;
	}
	if (slot >= 0)
	{
		owners[slot] = conn;
		old = atomic_exchange(&cancels[slot], c);
		c = NULL;
	}
	pthread_mutex_unlock(&lock);
	free_cancel(old);
	if (c)
		PQfreeCancel(c);		/* every slot taken: not watched */
}

void
interrupt_forget_conn(PGconn *conn)
{
	PGcancel   *old = NULL;
	int			i;

	if (!conn)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < INTERRUPT_SLOTS; i++)
		if (owners[i] == conn)
		{
			old = atomic_exchange(&cancels[i], NULL);
			owners[i] = NULL;
			break;
		}
	pthread_mutex_unlock(&lock);
	free_cancel(old);
}

void
interrupt_watch_child(pid_t pid)
{
	int			i;

	if (pid <= 0)
		return;
	for (i = 0; i < INTERRUPT_SLOTS; i++)
	{
		pid_t		none = 0;

		if (atomic_compare_exchange_strong(&children[i], &none, pid))
			break;
	}
	/* a signal that came before the watch began still reaches it */
	if (pgw_interrupted())
		kill(pid, SIGTERM);
}

void
interrupt_forget_child(pid_t pid)
{
	int			i;

	if (pid <= 0)
		return;
	for (i = 0; i < INTERRUPT_SLOTS; i++)
	{
		pid_t		was = pid;

		if (atomic_compare_exchange_strong(&children[i], &was, 0))
			break;
	}
}

void
interrupt_release(void)
{
	int			i;

	for (i = 0; i < INTERRUPT_SLOTS; i++)
	{
		pthread_mutex_lock(&lock);
		owners[i] = NULL;
		pthread_mutex_unlock(&lock);
		free_cancel(atomic_exchange(&cancels[i], NULL));
		atomic_store(&children[i], 0);
	}
}
