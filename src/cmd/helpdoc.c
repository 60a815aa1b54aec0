/*
 * helpdoc.c — the --help texts as data, for `pgwarden --help --json`: an
 * agent discovers the commands, their subcommands and options from it.
 *
 * Exports command_help_json().  The one source of truth stays the docs
 * page's first ```text block (the same text --help prints); this file only
 * reads its shape, which every page follows:
 *
 *   usage: pgwarden CMD ...          (more forms on lines "       pgwarden ...",
 *                                     a long form continued on indented lines)
 *   Section:                          a line ending in ':' at column 0
 *     TERM   description             an item: two spaces (an option: up to
 *                                     six, "      --long" under "  -s, --x"), the term, two or
 *            more description         more spaces, the description, continued
 *                                     on deeper-indented lines; a term too long
 *                                     for its column has its description on the
 *                                     next lines (and may continue there with
 *                                     a line starting with '[')
 *
 * "Subcommands" and "Actions" become subcommands, "Options" and "Global
 * options" options (names, argument, description); other sections are only
 * in the text.  The command table (commands.h) gives the name, summary and
 * flags.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util/embedded.h"
#include "util/mem.h"

/* One item of a section while it is read. */
struct help_item
{
	char	   *term;
	char	   *desc;
};

static char *
join(char *a, const char *b, size_t n)
{
	char	   *r = a && *a ? pgw_asprintf("%s %.*s", a, (int) n, b) : pgw_strndup(b, n);

	free(a);
	return r;
}

static size_t
indent_of(const char *line)
{
	return strspn(line, " ");
}

/* {"names": ["-n", "--dry-run"], "argument": "VERSION"|null, "description"} */
static json_t *
option_json(const struct help_item *it)
{
	json_t	   *o = json_object();
	json_t	   *names = json_array();
	const char *argument = NULL;
	size_t		arglen = 0;
	const char *p = it->term;

	while (*p)
	{
		size_t		n = strcspn(p, " ,");

		json_array_append_new(names, json_stringn(p, n));
		p += n;
		if (*p == ',')
		{
			p += strspn(p, ", ");
			continue;
		}
		if (*p == ' ')
		{
			argument = p + 1;
			arglen = strlen(argument);
		}
		break;
	}
	json_object_set_new(o, "names", names);
	json_object_set_new(o, "argument", argument ? json_stringn(argument, arglen) : json_null());
	json_object_set_new(o, "description", json_string(it->desc ? it->desc : ""));
	return o;
}

/* {"name": "up", "synopsis": "up [--to VERSION] ...", "description"} */
static json_t *
subcommand_json(const struct help_item *it)
{
	json_t	   *o = json_object();

	json_object_set_new(o, "name", json_stringn(it->term, strcspn(it->term, " ")));
	json_object_set_new(o, "synopsis", json_string(it->term));
	json_object_set_new(o, "description", json_string(it->desc ? it->desc : ""));
	return o;
}

static void
item_flush(struct help_item *it, json_t *into, bool options)
{
	if (!it->term)
		return;
	if (into)
		json_array_append_new(into, options ? option_json(it) : subcommand_json(it));
	free(it->term);
	free(it->desc);
	it->term = it->desc = NULL;
}

/* Is the header line "NAME:" or "NAME (a remark):"? */
static bool
section_is(const char *line, size_t len, const char *name)
{
	size_t		n = strlen(name);

	return len > n && strncmp(line, name, n) == 0 &&
		(line[n] == ':' || (line[n] == ' ' && line[n + 1] == '('));
}

/*
 * Reads a help text into doc: "usage" (an array of forms), "subcommands",
 * "options" (the section named options_section, "Options" or "Global
 * options").  Sections that are absent
 * give no key.
 */
static void
help_parse(const char *text, json_t *doc, const char *options_section)
{
	json_t	   *usage = json_array();
	json_t	   *section = NULL;
	bool		options = false;
	bool		in_usage = false;
	struct help_item it = {NULL, NULL};
	const char *line = text;

	while (*line)
	{
		size_t		len = strcspn(line, "\n");
		const char *next = line[len] ? line + len + 1 : line + len;
		size_t		ind = indent_of(line);

		if (len == 0 || ind == len)
		{
			/* a blank line ends the usage and any section */
			item_flush(&it, section, options);
			section = NULL;
			in_usage = false;
		}
		else if (strncmp(line, "usage: ", 7) == 0)
		{
			json_array_append_new(usage, json_stringn(line + 7, len - 7));
			in_usage = true;
		}
		else if (in_usage && ind > 0)
		{
			size_t		last = json_array_size(usage) - 1;

			if (strncmp(line + ind, "pgwarden ", 9) == 0)
				json_array_append_new(usage, json_stringn(line + ind, len - ind));
			else
			{
				char	   *form = join(pgw_strdup(json_string_value(json_array_get(usage, last))),
										line + ind, len - ind);

				json_array_set_new(usage, last, json_string(form));
				free(form);
			}
		}
		else if (ind == 0 && line[len - 1] == ':' && isupper((unsigned char) line[0]))
		{
			item_flush(&it, section, options);
			section = NULL;
			options = false;
			if ((len == 12 && strncmp(line, "Subcommands:", 12) == 0) ||
				(len == 8 && strncmp(line, "Actions:", 8) == 0))
				section = json_object_get(doc, "subcommands");
			else if (section_is(line, len, options_section))
			{
				section = json_object_get(doc, "options");
				options = true;
			}
			/* other sections have no JSON form: their items are skipped */
			in_usage = false;
		}
		else if (section && (ind == 2 || (options && ind <= 6 && line[ind] == '-')))
		{
			const char *gap = strstr(line + ind, "  ");
			size_t		tlen = gap && gap < line + len ? (size_t) (gap - line - ind) : len - ind;

			item_flush(&it, section, options);
			it.term = pgw_strndup(line + ind, tlen);
			if (gap && gap < line + len)
			{
				const char *d = gap + strspn(gap, " ");

				it.desc = pgw_strndup(d, (size_t) (line + len - d));
			}
		}
		else if (ind > 2 && section && it.term)
		{
			if (!it.desc && line[ind] == '[')
				it.term = join(it.term, line + ind, len - ind);
			else
				it.desc = join(it.desc, line + ind, len - ind);
		}
		line = next;
	}
	item_flush(&it, section, options);
	json_object_set_new(doc, "usage", usage);
}

static json_t *
command_json(const struct pgw_command *cmd, bool with_text)
{
	json_t	   *o = json_object();
	char	   *page = pgw_asprintf("docs/%s.md", command_name(cmd));
	char	   *text = embedded_help_text(page);

	json_object_set_new(o, "name", json_string(command_name(cmd)));
	json_object_set_new(o, "summary", json_string(cmd->summary));
	json_object_set_new(o, "needs_db", json_boolean(cmd->flags & PGW_CMD_NEEDS_DB));
	json_object_set_new(o, "optional_db", json_boolean(cmd->flags & PGW_CMD_OPTIONAL_DB));
	json_object_set_new(o, "writes", json_boolean(cmd->flags & PGW_CMD_WRITES));
	json_object_set_new(o, "subcommands", json_array());
	json_object_set_new(o, "options", json_array());
	if (text)
	{
		help_parse(text, o, "Options");
		if (with_text)
			json_object_set_new(o, "help", json_string(text));
	}
	free(text);
	free(page);
	return o;
}

json_t *
command_help_json(const struct pgw_command *cmd)
{
	json_t	   *doc;
	json_t	   *list;
	char	   *text;

	if (cmd)
		return command_json(cmd, true);

	doc = json_object();
	text = embedded_help_text("docs/pgwarden.md");
	json_object_set_new(doc, "options", json_array());
	if (text)
	{
		help_parse(text, doc, "Global options");
		json_object_set_new(doc, "help", json_string(text));
	}
	free(text);
	/* "options" of pgwarden itself are the global ones */
	json_object_set(doc, "global_options", json_object_get(doc, "options"));
	json_object_del(doc, "options");
	list = json_array();
	for (size_t i = 0; i < pgw_ncommands; i++)
		json_array_append_new(list, command_json(&pgw_commands[i], false));
	json_object_set_new(doc, "commands", list);
	return doc;
}
