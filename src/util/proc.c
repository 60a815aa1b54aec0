/*
 * proc.c — child processes and privilege drop (see proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/proc.h"

int
proc_runas_resolve(const char *user, struct pgw_runas *ra)
{
	struct passwd *pw;

	memset(ra, 0, sizeof(*ra));
	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (!pw)
	{
		pgw_error(PGW_ERR_CONNECT, "user '%s' does not exist", user);
		pgw_error_detail("PostgreSQL refuses to run as root, so pgwarden runs the server as another user");
		pgw_error_hint("create it (adduser --system --group %s) or name another one in [local] user", user);
		return -1;
	}
	if (pw->pw_uid == 0)
	{
		pgw_error(PGW_ERR_CONNECT, "user '%s' is root; PostgreSQL will not run as root", user);
		pgw_error_hint("name an ordinary user in [local] user");
		return -1;
	}
	ra->active = true;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	snprintf(ra->name, sizeof(ra->name), "%s", pw->pw_name);
	return 0;
}

int
proc_child_setup(const struct pgw_runas *ra, int deathsig, pid_t parent)
{
	/* pgwarden ignores SIGPIPE and catches SIGINT/SIGTERM (its handler is
	 * not for this process); the programs it runs expect the defaults */
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (ra && ra->active)
	{
		if (initgroups(ra->name, ra->gid) != 0 || setgid(ra->gid) != 0 || setuid(ra->uid) != 0)
		{
			fprintf(stderr, "pgwarden: cannot switch to user '%s': %s\n", ra->name, strerror(errno));
			return -1;
		}
		if (setuid(0) == 0)
		{
			fprintf(stderr, "pgwarden: privilege drop to '%s' did not stick\n", ra->name);
			return -1;
		}
	}
	if (deathsig)
	{
		/* after the switch: changing credentials clears the setting */
		if (prctl(PR_SET_PDEATHSIG, deathsig) != 0)
			return -1;
		if (getppid() != parent)
			return -1;			/* the parent already died */
	}
	return 0;
}

int
proc_run(char *const argv[], const struct pgw_runas *ra, const char *cwd,
		 struct pgw_buf *output, int *status)
{
	int			fds[2];
	pid_t		parent = getpid();
	pid_t		pid;
	int			wstatus;
	char		chunk[4096];
	ssize_t		n;
	sigset_t	stop,
				was;

	if (interrupt_check() != 0)
		return -1;				/* no new work after a signal */
	if (pipe2(fds, O_CLOEXEC) != 0)
		return pgw_error(PGW_ERR_INTERNAL, "cannot create a pipe: %s", strerror(errno));
	fflush(NULL);
	/* a signal between the fork and the watch must reach the child, and
	 * the child must take it with the default action, not pgwarden's
	 * handler: held back until both are set */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &was);
	pid = fork();
	if (pid < 0)
	{
		sigprocmask(SIG_SETMASK, &was, NULL);
		close(fds[0]);
		close(fds[1]);
		return pgw_error(PGW_ERR_INTERNAL, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0)
	{
		int			devnull = open("/dev/null", O_RDONLY);

		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		if (proc_child_setup(ra, SIGKILL, parent) != 0)
			_exit(126);
		sigprocmask(SIG_SETMASK, &was, NULL);
		if (chdir(cwd ? cwd : "/") != 0)
		{
			fprintf(stderr, "pgwarden: cannot enter '%s': %s\n", cwd, strerror(errno));
			_exit(126);
		}
		execv(argv[0], argv);
		fprintf(stderr, "pgwarden: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	/* ^C stops it too (it may be in another process group, or the signal
	 * may have been sent to pgwarden alone) */
	interrupt_watch_child(pid);
	sigprocmask(SIG_SETMASK, &was, NULL);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0)
	{
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			break;
		}
		if (output)
			buf_append_len(output, chunk, (size_t) n);
	}
	close(fds[0]);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
		{
			interrupt_forget_child(pid);
			return pgw_error(PGW_ERR_INTERNAL, "waitpid failed: %s", strerror(errno));
		}
	interrupt_forget_child(pid);
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	return 0;
}

bool
proc_alive(pid_t pid)
{
	char		path[64];
	char		stat[512];
	FILE	   *f;
	char	   *close_paren;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	f = fopen(path, "r");
	if (!f)
		return true;			/* no /proc: trust kill() */
	if (!fgets(stat, sizeof(stat), f))
	{
		fclose(f);
		return false;
	}
	fclose(f);
	close_paren = strrchr(stat, ')');
	return !(close_paren && close_paren[1] == ' ' && (close_paren[2] == 'Z' || close_paren[2] == 'X'));
}

bool
proc_is_postgres(pid_t pid)
{
	char		path[64];
	char		cmd[4096];
	FILE	   *f;
	size_t		n;
	const char *base;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
	f = fopen(path, "r");
	if (!f)
		return proc_alive(pid);
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	return strncmp(base, "postgres", 8) == 0 || strncmp(base, "postmaster", 10) == 0;
}

bool
proc_user_can_use_dir(const struct pgw_runas *ra, const char *path)
{
	pid_t		pid;
	int			wstatus;

	if (!ra || !ra->active)
		return access(path, R_OK | W_OK | X_OK) == 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
	{
		int			devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		if (proc_child_setup(ra, 0, 0) != 0)
			_exit(2);
		_exit(access(path, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}
