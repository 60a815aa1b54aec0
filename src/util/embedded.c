/*
 * embedded.c — lookups on the files compiled into the binary.
 */
#include <string.h>

#include "util/embedded.h"
#include "util/mem.h"

const char *
embedded_get(const char *path)
{
	const struct pgw_embedded *e;

	for (e = pgw_embedded_files; e->path; e++)
		if (strcmp(e->path, path) == 0)
			return e->text;
	return NULL;
}

char *
embedded_help_text(const char *docs_page)
{
	const char *text = embedded_get(docs_page);
	const char *start;
	const char *end;

	if (!text)
		return NULL;
	start = strstr(text, "```text\n");
	if (!start)
		return NULL;
	start += strlen("```text\n");
	end = strstr(start, "\n```");
	if (!end)
		return NULL;
	return pgw_strndup(start, (size_t) (end - start) + 1);
}
