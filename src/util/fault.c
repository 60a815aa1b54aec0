/*
 * fault.c — fault injection switches (see fault.h).
 */
#include <stdlib.h>
#include <string.h>

#include "util/fault.h"

bool
fault_active(const char *name)
{
	const char *list = getenv("PGWARDEN_FAULT");
	size_t		n = strlen(name);
	const char *p;

	if (!list || !*list)
		return false;
	for (p = list; *p;)
	{
		size_t		len = strcspn(p, ",");

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}
