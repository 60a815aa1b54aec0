/* Unit tests: util/interrupt — the flag, the recorded error, the pause that
 * ends early, a watched child told to stop, the exit code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/interrupt.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One test, in order: the handler's first signal is the one that counts. */
static void
first_signal(void **state)
{
	pid_t		child;
	int			status = 0;
	long long	t0;

	(void) state;
	/* the handler's note goes to stderr: keep the test output clean */
	interrupt_setup();
	assert_false(pgw_interrupted());
	assert_int_equal(interrupt_check(), 0);
	assert_int_equal(interrupt_signal(), 0);
	assert_string_equal(interrupt_signal_name(), "");
	t0 = now_ms();
	assert_int_equal(interrupt_sleep_ms(30), 0);
	assert_true(now_ms() - t0 >= 30);

	{
		sigset_t	term,
					was;

		/* the child takes SIGTERM with the default action (as proc_run's do) */
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, &was);
		child = fork();
		assert_true(child >= 0);
		if (child == 0)
		{
			signal(SIGTERM, SIG_DFL);
			sigprocmask(SIG_SETMASK, &was, NULL);
			pause();
			_exit(0);
		}
		interrupt_watch_child(child);
		sigprocmask(SIG_SETMASK, &was, NULL);
	}

	raise(SIGINT);
	assert_true(pgw_interrupted());
	assert_int_equal(interrupt_signal(), SIGINT);
	assert_string_equal(interrupt_signal_name(), "SIGINT");

	/* the child got SIGTERM from the handler */
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	interrupt_forget_child(child);

	/* the check records the error, with its own exit code */
	assert_int_equal(interrupt_check(), -1);
	assert_int_equal(pgw_error_last()->kind, PGW_ERR_INTERRUPTED);
	assert_string_equal(pgw_error_last()->message, "interrupted by SIGINT");
	assert_int_equal(pgw_exit_for_kind(PGW_ERR_INTERRUPTED), 130);
	pgw_error_clear();

	/* pauses end at once now */
	t0 = now_ms();
	assert_int_equal(interrupt_sleep_ms(5000), -1);
	assert_true(now_ms() - t0 < 1000);

	/* a connection that is not open is not watched (and nothing breaks) */
	interrupt_watch_conn(NULL);
	interrupt_forget_conn(NULL);
	interrupt_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
