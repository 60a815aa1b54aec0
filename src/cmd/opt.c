/*
 * opt.c — the option parser for commands (see opt.h).
 */
#include <stdarg.h>
#include <string.h>

#include "cmd/opt.h"
#include "out/out.h"
#include "util/exitcode.h"
#include "util/mem.h"
#include "util/text.h"

void
opt_init(struct pgw_optparser *p, int argc, char **argv,
		 const struct pgw_opt *opts, const char *usage)
{
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
	p->opts = opts;
	p->usage = usage;
	p->done = false;
}

int
opt_usage_error(const struct pgw_optparser *p, const char *hint, const char *fmt,...)
{
	va_list		ap;
	struct pgw_buf b;
	int			rc;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = out_usage_error(p->usage, hint, "%s", b.data);
	buf_release(&b);
	return rc;
}

static int
unknown(struct pgw_optparser *p, const char *given)
{
	const char *names[64];
	size_t		n = 0;
	const struct pgw_opt *o;
	const char *close;
	char	   *hint = NULL;
	int			rc;
	const char *bare = given + strspn(given, "-");
	size_t		len = strcspn(bare, "=");
	char	   *word = pgw_strndup(bare, len);

	for (o = p->opts; o->name && n < 64; o++)
		names[n++] = o->name;
	close = text_closest(word, names, n);
	if (close)
		hint = pgw_asprintf("did you mean '--%s'?", close);
	else
		hint = pgw_asprintf("run 'pgwarden %s --help' to see its options", p->argv[0]);
	rc = opt_usage_error(p, hint, "unknown option '%s'", given);
	free(hint);
	free(word);
	(void) rc;
	return OPT_ERROR;
}

int
opt_next(struct pgw_optparser *p, const char **arg)
{
	const char *a;
	const struct pgw_opt *o;

	*arg = NULL;
	if (p->i >= p->argc)
		return OPT_END;
	a = p->argv[p->i];
	if (p->done || a[0] != '-' || a[1] == '\0')
	{
		if (p->done)
			return OPT_END;
		*arg = a;
		p->i++;
		return OPT_POSITIONAL;
	}
	if (strcmp(a, "--") == 0)
	{
		p->done = true;
		p->i++;
		return OPT_END;
	}
	p->i++;
	if (a[1] == '-')
	{
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t		len = eq ? (size_t) (eq - name) : strlen(name);

		for (o = p->opts; o->name; o++)
		{
			if (strlen(o->name) != len || strncmp(o->name, name, len) != 0)
				continue;
			if (!o->has_arg)
			{
				if (eq)
				{
					opt_usage_error(p, NULL, "option '--%s' takes no value", o->name);
					return OPT_ERROR;
				}
				return o->id;
			}
			if (eq)
				*arg = eq + 1;
			else if (p->i < p->argc)
				*arg = p->argv[p->i++];
			else
			{
				opt_usage_error(p, NULL, "option '--%s' needs a value", o->name);
				return OPT_ERROR;
			}
			return o->id;
		}
		return unknown(p, a);
	}
	/* short option, alone */
	for (o = p->opts; o->name; o++)
	{
		if (!o->short_name || o->short_name != a[1] || a[2] != '\0')
			continue;
		if (o->has_arg)
		{
			if (p->i >= p->argc)
			{
				opt_usage_error(p, NULL, "option '-%c' needs a value", o->short_name);
				return OPT_ERROR;
			}
			*arg = p->argv[p->i++];
		}
		return o->id;
	}
	return unknown(p, a);
}

int
opt_rest(struct pgw_optparser *p, char ***rest)
{
	*rest = p->argv + p->i;
	return p->argc - p->i;
}

bool
opt_int(const struct pgw_optparser *p, const char *name, const char *value,
		long min, long max, long *out)
{
	if (text_parse_int(value, min, max, out))
		return true;
	opt_usage_error(p, NULL, "'%s' is not a valid value for --%s (expected a number from %ld to %ld)",
					value, name, min, max);
	return false;
}
