/*
 * opt.h — a command's own options: a table per command, one parser.
 *
 * Accepts --name, --name=value, --name value, -x, -x value, and "--" to end
 * options.  Errors (unknown option, missing or unexpected value) are reported
 * by the parser itself, with the command's usage line and the closest option
 * name as a hint, so a command can simply return the code it gets.
 * Global options were already taken out of argv by main().
 */
#ifndef PGW_OPT_H
#define PGW_OPT_H

#include <stdbool.h>

struct pgw_opt
{
	const char *name;			/* long name without "--" */
	char		short_name;		/* 0 for none */
	bool		has_arg;
	int			id;				/* > 0 */
};

struct pgw_optparser
{
	int			argc;
	char	  **argv;
	int			i;
	const struct pgw_opt *opts;
	const char *usage;
	bool		done;			/* saw "--": the rest are positional */
};

#define OPT_END			0		/* no more arguments */
#define OPT_POSITIONAL	(-1)	/* *arg is a positional argument */
#define OPT_ERROR		(-2)	/* reported; return PGW_EXIT_USAGE */

/* opts ends with an entry whose name is NULL.  argv[0] is the command name. */
void		opt_init(struct pgw_optparser *p, int argc, char **argv,
					 const struct pgw_opt *opts, const char *usage);
int			opt_next(struct pgw_optparser *p, const char **arg);

/* After opt_next returned OPT_END: the arguments after "--" (may be 0). */
int			opt_rest(struct pgw_optparser *p, char ***rest);

/* Reports a usage error for this command; returns PGW_EXIT_USAGE. */
int			opt_usage_error(const struct pgw_optparser *p, const char *hint, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* Parses an integer option value, reporting a usage error when it is not one. */
bool		opt_int(const struct pgw_optparser *p, const char *name, const char *value,
					long min, long max, long *out);

#endif
