/*
 * http.h — the HTTP server of `pgwarden serve` (libmicrohttpd): access
 * token and cookie, routing, request limits, the JSON API and the pages.
 *
 * The server never runs commands itself: cmd/serve.c hands it a runner that
 * runs one command in process with --json and returns its document
 * (command_run_captured), so the API gives the very documents the CLI does.
 * Runs are serialised (the output layer is process-wide); a request that
 * cannot get its turn within the request timeout is answered 503.
 */
#ifndef PGW_SERVE_HTTP_H
#define PGW_SERVE_HTTP_H

#include <stdbool.h>

#include <jansson.h>

/* Runs argv (argv[0] a command name; writes: it may change the database,
 * so no statement timeout) and returns its exit code and its
 * JSON document in *doc (caller owns; may be NULL). */
typedef int (*serve_run_fn) (void *arg, bool writes, int argc, char **argv, json_t **doc);

struct serve_options
{
	const char *bind;			/* numeric IPv4 or IPv6 address */
	int			port;			/* 0: any free port */
	bool		allow_remote;	/* bind may be non-loopback */
	bool		allow_apply;	/* the POST endpoints that change the database */
	int			interval_s;		/* metrics sampling */
	int			timeout_s;		/* per request: waiting for a turn, idle clients */
	int			pool_size;		/* 2..4 */
	const char *conninfo;		/* for the pool (never shown) */
	const char *target_display; /* the target without its password */
	const char *metrics_file;	/* .pgwarden/metrics.jsonl, or NULL */
	serve_run_fn run;
	void	   *run_arg;
};

struct serve_server;

/* Whether addr (numeric) is a loopback address; *valid false when it is
 * not an address at all. */
bool		serve_is_loopback(const char *addr, bool *valid);

/* Starts listening (and sampling).  Returns NULL with an error recorded
 * (PGW_ERR_CONNECT when the port cannot be bound). */
struct serve_server *serve_start(const struct serve_options *o);
int			serve_port(const struct serve_server *s);
const char *serve_token(const struct serve_server *s);
void		serve_stop(struct serve_server *s);

/* ---- shared with pages.c ---- */

/* One command run under the server's lock; rc -1 when the lock could not
 * be had in time (doc NULL). */
int			serve_run(struct serve_server *s, bool writes, int argc, char **argv, json_t **doc);
struct serve_metrics *serve_metrics_of(struct serve_server *s);
const struct serve_options *serve_options_of(const struct serve_server *s);

#endif
