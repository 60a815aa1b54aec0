/*
 * pages.h — the server-rendered HTML pages of `pgwarden serve`: overview,
 * findings, migrations, health (inline SVG charts), schema, diagnostics.
 * Each page works without JavaScript; app.js only adds refresh, filtering
 * as you type and the copy button.
 */
#ifndef PGW_SERVE_PAGES_H
#define PGW_SERVE_PAGES_H

#include "serve/http.h"

struct serve_page
{
	const char *path;			/* "/", "/findings", ... */
	const char *title;
	char	   *(*render) (struct serve_server *s, const char *(*arg) (void *, const char *), void *cls);
};

extern const struct serve_page serve_pages[];

/* The page for path, or NULL. */
const struct serve_page *pages_find(const char *path);

/* The whole HTML document for page p (caller frees). arg(cls, name) reads a
 * query parameter (NULL when absent). */
char	   *pages_render(struct serve_server *s, const struct serve_page *p,
						 const char *(*arg) (void *, const char *), void *cls);

#endif
