/*
 * http.c — `pgwarden serve`'s HTTP server (http.h) on libmicrohttpd.
 *
 * Every request must carry the access token: ?token=… (a page then answers
 * 303 to itself without it, setting an HttpOnly SameSite=Strict cookie),
 * the pgw_token cookie, or "Authorization: Bearer …".  Routes are exact
 * matches in three tables — the JSON API, the pages (pages.c) and the
 * static files embedded in the binary — so no path reaches the file system.
 * Limits: 32 kB of headers and 8 kB of body per request, 64 connections,
 * idle clients dropped after the request timeout.  Every body goes through
 * the redaction filter, so a password in a libpq message cannot leak.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "serve/http.h"
#include "serve/metrics.h"
#include "serve/pages.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/redact.h"

#define BODY_MAX		8192
#define HEADERS_MAX		(32 * 1024)

struct serve_server
{
	struct serve_options opt;
	struct MHD_Daemon *daemon;
	struct serve_metrics *metrics;
	pthread_mutex_t run_lock;
	char		token[33];
	int			port;
};

/*
 * The JSON API: one line per endpoint.  GET endpoints read; POST endpoints
 * change the database, need --allow-apply and a confirmation field, and
 * run through the same safe runner as the CLI.  Another command's document
 * is one more line here.
 */
struct api_endpoint
{
	const char *path;
	const char *method;
	bool		writes;
	const char *argv[6];
	const char *about;
};

static const struct api_endpoint api_endpoints[] = {
	{"/api/health", "GET", false, {"health"}, "pgwarden health --json"},
	{"/api/validate", "GET", false, {"validate"}, "pgwarden validate --json"},
	{"/api/doctor", "GET", false, {"doctor"}, "pgwarden doctor --json"},
	{"/api/migrate/status", "GET", false, {"migrate", "status"}, "pgwarden migrate status --json"},
	{"/api/diff/compare", "GET", false, {"diff", "compare"}, "pgwarden diff compare --json (drift against the captured snapshot)"},
	{"/api/inspect", "GET", false, {"inspect", "--out", "-"}, "pgwarden inspect --out - --json (the schema snapshot; no file written)"},
	{"/api/backups", "GET", false, {"backup", "list"}, "pgwarden backup list --json"},
	{"/api/storage/audit", "GET", false, {"storage", "audit"}, "pgwarden storage audit --json (Supabase Storage buckets; 503 on a database without them)"},
	{"/api/scan", "GET", false, {"scan", "--rls"}, "pgwarden scan --rls --json (the application code in serve's folder, cross-checked with the database)"},
	{"/api/migrate/up", "POST", true, {"smart-migrate"}, "pgwarden migrate up --safe --json (needs --allow-apply, confirm=yes)"},
	{"/api/doctor/fix", "POST", true, {"doctor", "--fix", "--yes"}, "pgwarden doctor --fix --yes --json (needs --allow-apply, confirm=yes)"},
	{NULL, NULL, false, {NULL}, NULL}
};

/* Static files: the URL and the embedded path, exact matches only. */
static const struct
{
	const char *url;
	const char *path;
	const char *type;
}			static_files[] = {
	{"/static/style.css", "src/serve/assets/style.css", "text/css; charset=utf-8"},
	{"/static/app.js", "src/serve/assets/app.js", "text/javascript; charset=utf-8"},
	{NULL, NULL, NULL}
};

struct request
{
	struct pgw_buf body;
	bool		too_large;
};

bool
serve_is_loopback(const char *addr, bool *valid)
{
	struct in_addr a4;
	struct in6_addr a6;

	*valid = true;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
			(IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	*valid = false;
	return false;
}

int
serve_run(struct serve_server *s, bool writes, int argc, char **argv, json_t **doc)
{
	struct timespec until;
	int			rc;

	*doc = NULL;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += s->opt.timeout_s;
	if (pthread_mutex_timedlock(&s->run_lock, &until) != 0)
		return -1;
	rc = s->opt.run(s->opt.run_arg, writes, argc, argv, doc);
	pthread_mutex_unlock(&s->run_lock);
	return rc;
}

struct serve_metrics *
serve_metrics_of(struct serve_server *s)
{
	return s->metrics;
}

const struct serve_options *
serve_options_of(const struct serve_server *s)
{
	return &s->opt;
}

int
serve_port(const struct serve_server *s)
{
	return s->port;
}

const char *
serve_token(const struct serve_server *s)
{
	return s->token;
}

/* Queues body (redacted) with status and the headers every answer has. */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *type,
	  const char *body, const char *extra_name, const char *extra_value)
{
	struct pgw_buf b;
	struct MHD_Response *r;
	enum MHD_Result ret;

	buf_init(&b);
	redact_text(body ? body : "", &b);
	r = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
	b.data = NULL;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
							"default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'");
	if (extra_name)
		MHD_add_response_header(r, extra_name, extra_value);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* {"ok":false,"error":{"message":..,"hint":..}} with status. */
static enum MHD_Result
reply_error(struct MHD_Connection *c, unsigned int status, const char *message,
			const char *hint, const char *allow)
{
	json_t	   *d = json_pack("{s:b,s:{s:s,s:s?,s:i}}", "ok", 0, "error", "message", message,
							  "hint", hint, "status", (int) status);
	char	   *text = json_dumps(d, JSON_INDENT(2));
	enum MHD_Result ret;

	ret = reply(c, status, "application/json", text, allow ? "Allow" : NULL, allow);
	free(text);
	json_decref(d);
	return ret;
}

static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned int status, json_t *doc, const char *exit_code)
{
	char	   *text = json_dumps(doc, JSON_INDENT(2));
	enum MHD_Result ret;
	struct pgw_buf b;

	buf_init(&b);
	buf_append(&b, text ? text : "null");
	buf_append_char(&b, '\n');
	ret = reply(c, status, "application/json", b.data,
				exit_code ? "X-Pgwarden-Exit-Code" : NULL, exit_code);
	buf_release(&b);
	free(text);
	return ret;
}

static bool
token_equal(const char *given, const char *token)
{
	size_t		n = strlen(token),
				i;
	unsigned char diff = 0;

	if (!given || strlen(given) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char) (given[i] ^ token[i]);
	return diff == 0;
}

/* 0 not allowed, 1 by cookie/header, 2 by the query parameter */
static int
authorised(struct serve_server *s, struct MHD_Connection *c)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	if (token_equal(MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "pgw_token"), s->token))
		return 1;
	if (auth && strncmp(auth, "Bearer ", 7) == 0 && token_equal(auth + 7, s->token))
		return 1;
	if (token_equal(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token"), s->token))
		return 2;
	return 0;
}

static unsigned int
status_of(int rc)
{
	switch (rc)
	{
		case 0:
		case 1:
			return MHD_HTTP_OK;
		case 2:
			return MHD_HTTP_BAD_REQUEST;
		case 3:
			return MHD_HTTP_SERVICE_UNAVAILABLE;
		case 4:
			return MHD_HTTP_UNPROCESSABLE_CONTENT;
		case 5:
			return MHD_HTTP_CONFLICT;
		default:
			return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* The confirmation field of a POST body: JSON {"confirm": "yes"|true} or
 * form-encoded confirm=yes. */
static bool
confirmed(struct MHD_Connection *c, const struct pgw_buf *body)
{
	const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *p;

	if (!body->data)
		return false;
	if (type && strncmp(type, "application/json", 16) == 0)
	{
		json_t	   *d = json_loadb(body->data, body->len, 0, NULL);
		json_t	   *v = json_object_get(d, "confirm");
		bool		ok = json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "yes") == 0);

		json_decref(d);
		return ok;
	}
	for (p = body->data; p && *p;)
	{
		size_t		len = strcspn(p, "&");

		if ((len == 11 && strncmp(p, "confirm=yes", 11) == 0) ||
			(len == 10 && strncmp(p, "confirm=on", 10) == 0))
			return true;
		p += len + (p[len] == '&');
	}
	return false;
}

static enum MHD_Result
api(struct serve_server *s, struct MHD_Connection *c, const struct api_endpoint *e,
	const struct pgw_buf *body)
{
	char	   *argv[6];
	int			argc = 0,
				rc;
	json_t	   *doc;
	char		code[16];
	enum MHD_Result ret;

	if (e->writes)
	{
		if (!s->opt.allow_apply)
			return reply_error(c, MHD_HTTP_FORBIDDEN, "changing the database is not allowed by this server",
							   "start it with 'pgwarden serve --allow-apply'", NULL);
		if (!confirmed(c, body))
			return reply_error(c, MHD_HTTP_BAD_REQUEST, "the confirmation field is missing",
							   "send confirm=yes (form) or {\"confirm\": \"yes\"} (JSON)", NULL);
	}
	while (argc < 5 && e->argv[argc])
	{
		argv[argc] = (char *) e->argv[argc];
		argc++;
	}
	argv[argc] = NULL;
	rc = serve_run(s, e->writes, argc, argv, &doc);
	if (rc < 0)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the server is busy with another request",
						   "try again in a moment", NULL);
	if (!doc)
		doc = json_pack("{s:b,s:{s:s,s:i}}", "ok", 0, "error", "message", "the command gave no document",
						"exit_code", rc);
	snprintf(code, sizeof code, "%d", rc);
	ret = reply_json(c, status_of(rc), doc, code);
	json_decref(doc);
	return ret;
}

static enum MHD_Result
api_index(struct MHD_Connection *c)
{
	json_t	   *list = json_array();
	size_t		i;
	enum MHD_Result ret;
	json_t	   *d;

	for (i = 0; api_endpoints[i].path; i++)
		json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s}", "path", api_endpoints[i].path,
											  "method", api_endpoints[i].method,
											  "writes", api_endpoints[i].writes,
											  "about", api_endpoints[i].about));
	json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s}", "path", "/api/metrics", "method", "GET",
										  "writes", 0, "about", "the health samples taken while serve runs"));
	d = json_pack("{s:s,s:b,s:o}", "command", "serve", "ok", 1, "endpoints", list);
	ret = reply_json(c, MHD_HTTP_OK, d, NULL);
	json_decref(d);
	return ret;
}

static const char *
query_arg(void *cls, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *) cls, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct serve_server *s = cls;
	struct request *req = *state;
	bool		get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool		post = strcmp(method, "POST") == 0;
	const char *origin;
	const char *host;
	size_t		i;
	int			auth;

	(void) version;
	if (!req)
	{
		req = pgw_calloc(1, sizeof *req);
		buf_init(&req->body);
		*state = req;
		return MHD_YES;
	}
	if (*upload_size)
	{
		if (req->body.len + *upload_size > BODY_MAX)
			req->too_large = true;
		else
			buf_append_len(&req->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->too_large)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the request body is too large", NULL, NULL);

	if (!(auth = authorised(s, c)))
		return reply(c, MHD_HTTP_UNAUTHORIZED, "text/plain; charset=utf-8",
					 "401 unauthorized: open the URL with ?token=… that 'pgwarden serve' printed\n",
					 "WWW-Authenticate", "Bearer realm=\"pgwarden\"");
	if (!get && !post)
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL, "GET, HEAD, POST");

	/* a form from another site must not drive the POST endpoints */
	origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	if (post && origin && (!host || strncmp(origin, "http://", 7) != 0 || strcmp(origin + 7, host) != 0))
		return reply_error(c, MHD_HTTP_FORBIDDEN, "cross-origin request refused", NULL, NULL);

	for (i = 0; api_endpoints[i].path; i++)
		if (strcmp(url, api_endpoints[i].path) == 0)
		{
			bool		want_post = strcmp(api_endpoints[i].method, "POST") == 0;

			if (want_post != post)
				return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL,
								   want_post ? "POST" : "GET, HEAD");
			return api(s, c, &api_endpoints[i], &req->body);
		}
	if (strcmp(url, "/api") == 0 || strcmp(url, "/api/") == 0 || strcmp(url, "/api/metrics") == 0)
	{
		json_t	   *m;
		enum MHD_Result ret;

		if (!get)
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL, "GET, HEAD");
		if (strcmp(url, "/api/metrics") != 0)
			return api_index(c);
		m = metrics_json(s->metrics);
		json_object_set_new(m, "command", json_string("serve metrics"));
		json_object_set_new(m, "ok", json_true());
		ret = reply_json(c, MHD_HTTP_OK, m, NULL);
		json_decref(m);
		return ret;
	}
	for (i = 0; static_files[i].url; i++)
		if (strcmp(url, static_files[i].url) == 0)
		{
			if (!get)
				return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL, "GET, HEAD");
			return reply(c, MHD_HTTP_OK, static_files[i].type, embedded_get(static_files[i].path), NULL, NULL);
		}
	{
		const struct serve_page *p = pages_find(url);
		char	   *html;
		enum MHD_Result ret;

		if (!p)
			return reply_error(c, MHD_HTTP_NOT_FOUND, "no such page", "the pages are /, /findings, /migrations, /health, /schema, /diagnostics; the API is listed at /api", NULL);
		if (!get)
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL, "GET, HEAD");
		if (auth == 2)
		{
			/* trade the token in the URL for a cookie, and drop it from the URL */
			char	   *cookie = pgw_asprintf("pgw_token=%s; Path=/; HttpOnly; SameSite=Strict", s->token);
			struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);

			MHD_add_response_header(r, "Set-Cookie", cookie);
			MHD_add_response_header(r, "Location", url);
			MHD_add_response_header(r, "Cache-Control", "no-store");
			MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
			ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
			MHD_destroy_response(r);
			free(cookie);
			return ret;
		}
		html = pages_render(s, p, query_arg, c);
		ret = reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", html, NULL, NULL);
		free(html);
		return ret;
	}
}

static void
completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe)
{
	struct request *req = *state;

	(void) cls;
	(void) c;
	(void) toe;
	if (req)
	{
		buf_release(&req->body);
		free(req);
		*state = NULL;
	}
}

struct serve_server *
serve_start(const struct serve_options *o)
{
	struct serve_server *s = pgw_calloc(1, sizeof *s);
	unsigned char raw[16];
	struct sockaddr_storage ss;
	socklen_t	len;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	const union MHD_DaemonInfo *info;
	size_t		i;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, o->bind, &((struct sockaddr_in *) &ss)->sin_addr) == 1)
	{
		((struct sockaddr_in *) &ss)->sin_family = AF_INET;
		((struct sockaddr_in *) &ss)->sin_port = htons((uint16_t) o->port);
		len = sizeof(struct sockaddr_in);
	}
	else if (inet_pton(AF_INET6, o->bind, &((struct sockaddr_in6 *) &ss)->sin6_addr) == 1)
	{
		((struct sockaddr_in6 *) &ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *) &ss)->sin6_port = htons((uint16_t) o->port);
		len = sizeof(struct sockaddr_in6);
		flags |= MHD_USE_IPv6;
	}
	else
	{
		free(s);
		pgw_error(PGW_ERR_USAGE, "'%s' is not a numeric IP address", o->bind);
		return NULL;
	}
	(void) len;
	if (RAND_bytes(raw, sizeof raw) != 1)
	{
		free(s);
		pgw_error(PGW_ERR_INTERNAL, "cannot make a random access token");
		return NULL;
	}
	for (i = 0; i < sizeof raw; i++)
		snprintf(s->token + 2 * i, 3, "%02x", raw[i]);
	s->opt = *o;
	pthread_mutex_init(&s->run_lock, NULL);
	s->daemon = MHD_start_daemon(flags, (uint16_t) o->port, NULL, NULL, handle, s,
								 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
								 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 64,
								 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) o->timeout_s,
								 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HEADERS_MAX,
								 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
								 MHD_OPTION_END);
	if (!s->daemon)
	{
		pthread_mutex_destroy(&s->run_lock);
		free(s);
		pgw_error(PGW_ERR_CONNECT, "cannot listen on %s port %d", o->bind, o->port);
		pgw_error_hint("is another server using the port? pick another with --port (0: any free port)");
		return NULL;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	s->metrics = metrics_start(o->conninfo, o->pool_size, o->interval_s, o->metrics_file);
	if (!s->metrics)
	{
		MHD_stop_daemon(s->daemon);
		pthread_mutex_destroy(&s->run_lock);
		free(s);
		return NULL;
	}
	return s;
}

void
serve_stop(struct serve_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	metrics_stop(s->metrics);
	pthread_mutex_destroy(&s->run_lock);
	free(s);
}
