/*
 * mcp.c — `pgwarden mcp`'s server: the Model Context Protocol over stdio
 * (see mcp.h and docs/mcp.md).
 *
 * Transport: newline-delimited JSON-RPC 2.0 messages on stdin and stdout.
 * A reader thread reads stdin and queues the lines, so that a
 * notifications/cancelled can stop the call that is running (it raises the
 * same interrupt Ctrl-C does: the command's queries are cancelled and its
 * children stopped); the main thread handles one message at a time.
 *
 * Tools are a table: name, description, input schema, output properties,
 * the argv builder and whether the tool writes files or the database.
 * Arguments are checked against the declared input schema (types, enums,
 * required, unknown keys) before anything runs: a wrong argument is an
 * isError result saying which, never a crash.  A tool's structuredContent is
 * the document the command prints with --json; its text content is the same
 * JSON (for clients that read only text), or for a failure the message,
 * detail and hint.
 *
 * Every call is appended to .pgwarden/mcp.log in the project: time, tool,
 * arguments (secrets redacted), duration, exit code and summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "out/out.h"
#include "out/progress.h"
#include "serve/mcp.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/embedded.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/interrupt.h"
#include "util/mem.h"
#include "util/redact.h"

#define MCP_MAX_LINE	(16 * 1024 * 1024)

/* JSON-RPC error codes */
#define RPC_PARSE_ERROR		-32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS	-32602
#define RPC_INTERNAL_ERROR	-32603
#define MCP_RESOURCE_NOT_FOUND -32002

const char *const mcp_protocol_versions[] = {
	"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", NULL
};

/* tool flags */
#define T_WRITES_FILES	0x01	/* hidden by --read-only */
#define T_WRITES_DB		0x02	/* offered only with --allow-apply */
#define T_IDEMPOTENT	0x04

struct mcp_session;

struct mcp_tool
{
	const char *name;
	const char *title;
	const char *description;
	const char *input_schema;	/* JSON Schema text */
	const char *output_props;	/* JSON object text: properties beyond the envelope */
	/* adds the command line for args (already checked against the schema)
	 * to argv; -1 with *why set (caller frees) for arguments the schema
	 * cannot express */
	int			(*build) (struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why);
	/* reshapes the command's document into the tool's (NULL: as is) */
	json_t	   *(*shape) (struct mcp_session *s, json_t *args, json_t *doc);
	int			flags;
};

struct line_item
{
	char	   *text;
	struct line_item *next;
};

struct mcp_session
{
	const struct mcp_options *o;
	bool		initialized;
	char		version[16];	/* negotiated */
	int			infd;			/* the protocol's stdin */
	/* the queue between the reader and the main thread */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct line_item *head,
			   *tail;
	bool		eof;
	/* the call in flight (under lock) */
	json_t	   *running_id;
	bool		cancelled;
	/* progress of the call in flight (main thread) */
	json_t	   *progress_token;
	double		progress;
	int			scratch_seq;
};

/* ---------- small helpers ---------- */

static char *
xasprintf(const char *fmt,...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf(const char *fmt,...)
{
	struct pgw_buf b;
	va_list		ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.data;
}

static void
send_msg(json_t *msg)
{
	out_protocol_line(msg);
	json_decref(msg);
}

static void
send_result(json_t *id, json_t *result)
{
	send_msg(json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result", result));
}

static void
send_error(json_t *id, int code, const char *message, json_t *data)
{
	json_t	   *err = json_pack("{s:i, s:s}", "code", code, "message", message);

	if (data)
		json_object_set_new(err, "data", data);
	send_msg(json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", err));
}

static const char *
str_arg(json_t *args, const char *key)
{
	return json_string_value(json_object_get(args, key));
}

static void
add_list(struct pgw_strlist *argv, const char *opt, json_t *arr)
{
	size_t		i;
	json_t	   *v;

	json_array_foreach(arr, i, v)
	{
		strlist_add(argv, opt);
		strlist_add(argv, json_string_value(v));
	}
}

static void
add_opt(struct pgw_strlist *argv, const char *opt, const char *value)
{
	if (!value)
		return;
	strlist_add(argv, opt);
	strlist_add(argv, value);
}

/* A path the client gave: relative to the project root; "-" (stdin, the
 * protocol's) and empty paths are refused. */
static int
user_path(struct mcp_session *s, const char *path, char **out, char **why)
{
	if (!*path || path[0] == '-')
	{
		*why = xasprintf("'%s' is not a file path", path);
		return -1;
	}
	*out = path[0] == '/' ? pgw_strdup(path) : fs_join(s->o->root, path);
	return 0;
}

/* Writes SQL text the client sent into a scratch file under
 * .pgwarden/mcp/ (0600) named like a migration, so the commands that take
 * files take it; the path goes to *out. */
static int
scratch_sql(struct mcp_session *s, const char *sql, char **out, char **why)
{
	char	   *dir = fs_join(s->o->root, ".pgwarden/mcp");
	char		name[64];
	struct tm	tm;
	time_t		now = time(NULL);
	int			rc = 0;

	gmtime_r(&now, &tm);
	snprintf(name, sizeof(name), "%04d%02d%02d%02d%02d%02d_mcp_input_%d_%d.sql",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int) getpid(), ++s->scratch_seq);
	*out = fs_join(dir, name);
	if (fs_mkdir_p(dir, 0700) != 0 || fs_write_file(*out, sql, strlen(sql), 0600) != 0)
	{
		*why = xasprintf("cannot write the SQL text to %s: %s", *out, pgw_error_last()->message);
		pgw_error_clear();
		rc = -1;
	}
	free(dir);
	return rc;
}

/* ---------- argv builders ---------- */

static int
build_inspect(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) args;
	(void) why;
	strlist_add(argv, "inspect");
	strlist_add(argv, "--out");
	strlist_add(argv, "-");
	return 0;
}

static int
build_validate(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) why;
	strlist_add(argv, "validate");
	add_opt(argv, "--table", str_arg(args, "table"));
	add_list(argv, "--category", json_object_get(args, "category"));
	add_list(argv, "--rule", json_object_get(args, "rule"));
	return 0;
}

static int
build_doctor(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) why;
	strlist_add(argv, "doctor");
	add_opt(argv, "--category", str_arg(args, "category"));
	add_list(argv, "--rule", json_object_get(args, "rule"));
	if (json_is_true(json_object_get(args, "no_stats")))
		strlist_add(argv, "--no-stats");
	return 0;
}

static int
build_doctor_fix(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	const char *orphans = str_arg(args, "orphans");

	(void) s;
	(void) why;
	strlist_add(argv, "doctor");
	strlist_add(argv, "--fix");
	strlist_add(argv, "--yes");
	add_list(argv, "--only", json_object_get(args, "only"));
	if (json_is_true(json_object_get(args, "no_stats")))
		strlist_add(argv, "--no-stats");
	if (orphans)
		strlist_add(argv, strcmp(orphans, "delete") == 0 ? "--delete-orphans" : "--nullify-orphans");
	add_opt(argv, "--sandbox", str_arg(args, "sandbox"));
	return 0;
}

static int
build_storage_audit(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	json_t	   *buckets = json_object_get(args, "buckets");
	size_t		i;
	json_t	   *v;

	(void) s;
	(void) why;
	strlist_add(argv, "storage");
	strlist_add(argv, "audit");
	if (json_is_true(json_object_get(args, "no_probe")))
		strlist_add(argv, "--no-probe");
	/* bucket names after "--": a name that starts with '-' is not an option */
	strlist_add(argv, "--");
	json_array_foreach(buckets, i, v)
		strlist_add(argv, json_string_value(v));
	return 0;
}

static int
build_health(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	json_t	   *top = json_object_get(args, "top");

	(void) s;
	(void) why;
	strlist_add(argv, "health");
	if (top)
	{
		char		n[32];

		snprintf(n, sizeof(n), "%lld", (long long) json_integer_value(top));
		add_opt(argv, "--top", n);
	}
	return 0;
}

static int
build_lint(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	const char *sql = str_arg(args, "sql");
	const char *file = str_arg(args, "file");
	char	   *path = NULL;

	if (sql && file)
	{
		*why = pgw_strdup("give either sql or file, not both");
		return -1;
	}
	strlist_add(argv, "lint");
	if (sql && scratch_sql(s, sql, &path, why) != 0)
		return -1;
	if (file && user_path(s, file, &path, why) != 0)
		return -1;
	if (json_is_true(json_object_get(args, "pending")))
		strlist_add(argv, "--pending");
	add_opt(argv, "--fail-on", str_arg(args, "fail_on"));
	if (path)
		strlist_add(argv, path);
	free(path);
	return 0;
}

static int
build_diff(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	const char *from = str_arg(args, "from");
	const char *to = str_arg(args, "to");
	const char *snapshot = str_arg(args, "snapshot");
	char	   *path = NULL;

	strlist_add(argv, "diff");
	if (from || to)
	{
		if (!from || !to || snapshot)
		{
			*why = pgw_strdup("give from and to together (and no snapshot), or only snapshot");
			return -1;
		}
		if (from[0] == '-' || to[0] == '-')
		{
			*why = pgw_strdup("from and to cannot start with '-'");
			return -1;
		}
		strlist_add(argv, from);
		strlist_add(argv, to);
		return 0;
	}
	strlist_add(argv, "compare");
	if (snapshot)
	{
		if (user_path(s, snapshot, &path, why) != 0)
			return -1;
		strlist_add(argv, path);
		free(path);
	}
	return 0;
}

static int
build_rls_test(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) why;
	strlist_add(argv, "rls");
	strlist_add(argv, "test");
	add_opt(argv, "--table", str_arg(args, "table"));
	return 0;
}

static int
build_generate(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	const char *action = str_arg(args, "action");
	json_t	   *list = json_object_get(args, "args");
	size_t		i;
	json_t	   *v;

	(void) s;
	strlist_add(argv, "generate");
	if (strcmp(action, "fix-all") == 0)
	{
		if (json_array_size(list))
		{
			*why = pgw_strdup("fix-all takes no args");
			return -1;
		}
		strlist_add(argv, "fix");
		strlist_add(argv, "ALL");
	}
	else
	{
		strlist_add(argv, action);
		json_array_foreach(list, i, v)
		{
			const char *a = json_string_value(v);

			if (strcmp(a, "-") == 0 || strncmp(a, "--out", 5) == 0 || strncmp(a, "--from-findings", 15) == 0)
			{
				*why = xasprintf("argument '%s' is not allowed here", a);
				return -1;
			}
			strlist_add(argv, a);
		}
	}
	add_opt(argv, "--tenant-from", str_arg(args, "tenant_from"));
	return 0;
}

static int
build_test_migration(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	const char *sql = str_arg(args, "sql");
	json_t	   *files = json_object_get(args, "files");
	size_t		i;
	json_t	   *v;

	if ((sql != NULL) == (json_array_size(files) > 0))
	{
		*why = pgw_strdup("give either sql or files (one or more), not both and not neither");
		return -1;
	}
	strlist_add(argv, "test-migration");
	add_opt(argv, "--sandbox", str_arg(args, "sandbox"));
	if (sql)
	{
		char	   *path;

		if (scratch_sql(s, sql, &path, why) != 0)
			return -1;
		strlist_add(argv, path);
		free(path);
	}
	json_array_foreach(files, i, v)
	{
		char	   *path;

		if (user_path(s, json_string_value(v), &path, why) != 0)
			return -1;
		strlist_add(argv, path);
		free(path);
	}
	return 0;
}

static int
build_migrate_status(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) args;
	(void) why;
	strlist_add(argv, "migrate");
	strlist_add(argv, "status");
	return 0;
}

static int
build_migrate_up_safe(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) why;
	strlist_add(argv, "migrate");
	strlist_add(argv, "up");
	strlist_add(argv, "--safe");
	add_opt(argv, "--to", str_arg(args, "to"));
	add_opt(argv, "--sandbox", str_arg(args, "sandbox"));
	add_list(argv, "--allow", json_object_get(args, "allow"));
	return 0;
}

static int
build_backup(struct mcp_session *s, json_t *args, struct pgw_strlist *argv, char **why)
{
	(void) s;
	(void) why;
	strlist_add(argv, "backup");
	if (json_is_true(json_object_get(args, "schema_only")))
		strlist_add(argv, "--schema-only");
	if (json_is_true(json_object_get(args, "verify")))
		strlist_add(argv, "--verify");
	return 0;
}

/* ---------- inspect's shape: a summary, or one table in full ---------- */

static bool
table_matches(json_t *t, const char *want)
{
	const char *schema = json_string_value(json_object_get(t, "schema"));
	const char *name = json_string_value(json_object_get(t, "name"));
	const char *dot = strchr(want, '.');

	if (!schema || !name)
		return false;
	if (!dot)
		return strcmp(name, want) == 0 && json_is_true(json_object_get(t, "managed"));
	return strlen(schema) == (size_t) (dot - want) && strncmp(schema, want, (size_t) (dot - want)) == 0 &&
		strcmp(name, dot + 1) == 0;
}

static json_t *
shape_inspect(struct mcp_session *s, json_t *args, json_t *snap)
{
	const char *want = str_arg(args, "table");
	static const char *const kinds[] = {"schemas", "extensions", "types", "sequences", "tables", "views", "functions"};
	json_t	   *doc;
	json_t	   *summary = json_object();
	json_t	   *tables = json_array();
	size_t		i;
	json_t	   *t;

	(void) s;
	if (!json_object_get(snap, "format"))
		return json_incref(snap);	/* an error document: as it is */
	doc = json_pack("{s:s, s:b, s:O}", "command", "inspect", "ok", 1, "source",
					json_object_get(snap, "source") ? json_object_get(snap, "source") : json_null());
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		json_object_set_new(summary, kinds[k], json_integer((json_int_t) json_array_size(json_object_get(snap, kinds[k]))));
	json_object_set(doc, "tenant_column", json_object_get(snap, "tenant_column"));
	json_array_foreach(json_object_get(snap, "tables"), i, t)
	{
		json_t	   *stats = json_object_get(t, "stats");
		json_t	   *row;

		if (want)
		{
			if (table_matches(t, want))
				json_object_set(doc, "table", t);
			continue;
		}
		if (!json_is_true(json_object_get(t, "managed")))
			continue;
		row = json_pack("{s:O, s:O, s:O, s:O, s:i, s:i, s:i}",
						"schema", json_object_get(t, "schema"), "name", json_object_get(t, "name"),
						"rls_enabled", json_object_get(t, "rls_enabled") ? json_object_get(t, "rls_enabled") : json_false(),
						"rls_forced", json_object_get(t, "rls_forced") ? json_object_get(t, "rls_forced") : json_false(),
						"columns", (int) json_array_size(json_object_get(t, "columns")),
						"policies", (int) json_array_size(json_object_get(t, "policies")),
						"indexes", (int) json_array_size(json_object_get(t, "indexes")));
		if (stats)
			json_object_set(row, "stats", stats);
		json_array_append_new(tables, row);
	}
	json_object_set_new(doc, "summary", summary);
	if (want)
	{
		json_decref(tables);
		if (!json_object_get(doc, "table"))
		{
			json_object_set_new(doc, "ok", json_false());
			json_object_set_new(doc, "error", json_pack("{s:s++, s:n, s:s, s:i}",
														"message", "no table '", want, "'",
														"detail", "hint", "call inspect without a table to list them",
														"exit_code", 2));
		}
	}
	else
		json_object_set_new(doc, "tables", tables);
	return doc;
}

/* ---------- generate's shape: the files' content with their names ---------- */

static void
attach_file(struct mcp_session *s, json_t *file, const char *key, const char *into)
{
	const char *name = json_string_value(json_object_get(file, key));
	char	   *path;
	char	   *data = NULL;
	size_t		len;

	if (!name)
		return;
	path = name[0] == '/' ? pgw_strdup(name) : fs_join(s->o->root, name);
	if (fs_read_file(path, &data, &len) == 0)
		json_object_set_new(file, into, json_stringn(data, len));
	else
		pgw_error_clear();
	free(data);
	free(path);
}

static json_t *
shape_generate(struct mcp_session *s, json_t *args, json_t *doc)
{
	json_t	   *copy = json_deep_copy(doc);
	size_t		i;
	json_t	   *f;

	(void) args;
	json_array_foreach(json_object_get(copy, "files"), i, f)
	{
		if (!json_is_object(f) || json_object_get(f, "up_sql"))
			continue;
		attach_file(s, f, "up", "up_sql");
		attach_file(s, f, "down", "down_sql");
	}
	return copy;
}

/* ---------- the tool table ---------- */

#define S_TABLE "\"table\": {\"type\": \"string\", \"description\": \"a table: name or schema.name\"}"
#define S_SANDBOX "\"sandbox\": {\"type\": \"string\", \"enum\": [\"local\", \"tx\"], " \
	"\"description\": \"local: a private copy of the schema (default when PostgreSQL is installed); tx: the target inside a transaction that is rolled back\"}"
#define S_FINDINGS "\"summary\": {\"type\": \"object\"}, \"findings\": {\"type\": \"array\", \"items\": {\"type\": \"object\"}}"

static const struct mcp_tool tools[] = {
	{"backup", "Back up the database",
		"Back up the target database with pg_dump into a new folder of the backups directory, with a manifest "
		"(schema fingerprint, row counts, SHA-256); optionally verified by restoring it into a sandbox. "
		"Writes files; never changes the database.",
		"{\"type\": \"object\", \"properties\": {"
		"\"schema_only\": {\"type\": \"boolean\", \"description\": \"the schema without rows\"}, "
		"\"verify\": {\"type\": \"boolean\", \"description\": \"restore into a sandbox and compare\"}}, "
		"\"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}}",
		build_backup, NULL, T_WRITES_FILES},
	{"diff", "Schema diff",
		"The migration SQL that turns one schema into another (from/to: a database URL, env:NAME, local, "
		"sql:PATH or a snapshot file), or with no from/to the drift between the live database and the "
		"captured snapshot (diff compare). Never changes the database.",
		"{\"type\": \"object\", \"properties\": {"
		"\"from\": {\"type\": \"string\"}, \"to\": {\"type\": \"string\"}, "
		"\"snapshot\": {\"type\": \"string\", \"description\": \"diff compare: the captured snapshot file (default docs/schema-snapshot.json)\"}}, "
		"\"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}, \"changes\": {\"type\": \"array\"}, \"sql\": {\"type\": \"string\"}}",
		build_diff, NULL, T_IDEMPOTENT},
	{"doctor", "Diagnose the database",
		"Performance, security and integrity findings of the live database, ranked, each with a stable rule id, "
		"a hint and where possible the SQL that fixes it. Read-only.",
		"{\"type\": \"object\", \"properties\": {"
		"\"category\": {\"type\": \"string\", \"enum\": [\"performance\", \"security\", \"integrity\"]}, "
		"\"rule\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"rule ids or prefixes ending in '.'\"}, "
		"\"no_stats\": {\"type\": \"boolean\", \"description\": \"leave out the rules that read the statistics views\"}}, "
		"\"additionalProperties\": false}",
		"{" S_FINDINGS "}",
		build_doctor, NULL, T_IDEMPOTENT},
	{"doctor_fix", "Fix what doctor finds",
		"Write ONE migration that fixes every fixable doctor finding and apply it through the safe runner "
		"(lint, sandbox test, apply, verify, roll back on a mismatch), then diagnose again. Changes the database.",
		"{\"type\": \"object\", \"properties\": {"
		"\"only\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"fix only these rules (or prefixes)\"}, "
		"\"orphans\": {\"type\": \"string\", \"enum\": [\"delete\", \"nullify\"], \"description\": \"what to do with rows a new foreign key would orphan\"}, "
		"\"no_stats\": {\"type\": \"boolean\"}, " S_SANDBOX "}, "
		"\"additionalProperties\": false}",
		"{" S_FINDINGS "}",
		build_doctor_fix, NULL, T_WRITES_FILES | T_WRITES_DB},
	{"generate", "Write a fix migration",
		"Write a migration and its rollback into the migrations folder that fix a problem, and return their "
		"content. action and args are a finding's fix (validate's fix.action and fix.args), or fix-all for one "
		"migration fixing every fixable validate finding. Reads the database; changes only files.",
		"{\"type\": \"object\", \"properties\": {"
		"\"action\": {\"type\": \"string\", \"enum\": [\"fix-all\", \"add-tenant-isolation\", \"fix-rls-policy\", "
		"\"add-foreign-key\", \"add-composite-index\", \"create-table\"]}, "
		"\"args\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"the action's arguments as on the command line, e.g. [\\\"public.vehicle_events\\\"]\"}, "
		"\"tenant_from\": {\"type\": \"string\", \"enum\": [\"setting\", \"jwt\", \"membership\"]}}, "
		"\"required\": [\"action\"], \"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}, \"files\": {\"type\": \"array\"}}",
		build_generate, shape_generate, T_WRITES_FILES},
	{"health", "Live health report",
		"Connections, blocking locks, long queries, cache hit ratio, unused indexes, table sizes, XID age and "
		"an overall status. Read-only.",
		"{\"type\": \"object\", \"properties\": {"
		"\"top\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 1000, \"description\": \"rows in the index and table sections\"}}, "
		"\"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}, \"status\": {\"type\": \"string\"}}",
		build_health, NULL, T_IDEMPOTENT},
	{"inspect", "Inspect the schema",
		"The schema of the live database: without table, a summary (object counts and every managed table "
		"with its RLS state, policies, indexes and statistics); with table, that table in full (columns, "
		"constraints, indexes, policies, triggers, grants). Read-only.",
		"{\"type\": \"object\", \"properties\": {" S_TABLE "}, \"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}, \"tables\": {\"type\": \"array\"}, \"table\": {\"type\": \"object\"}}",
		build_inspect, shape_inspect, T_IDEMPOTENT},
	{"lint", "Lint SQL",
		"Check SQL offline with PostgreSQL's parser: syntax, locks, rewrites, destructive changes, RLS and "
		"security mistakes. Give sql (text), or file (a path in the project), or neither for the migrations folder.",
		"{\"type\": \"object\", \"properties\": {"
		"\"sql\": {\"type\": \"string\"}, \"file\": {\"type\": \"string\"}, "
		"\"pending\": {\"type\": \"boolean\", \"description\": \"only the migrations not yet applied\"}, "
		"\"fail_on\": {\"type\": \"string\", \"enum\": [\"error\", \"warning\", \"info\"]}}, "
		"\"additionalProperties\": false}",
		"{" S_FINDINGS "}",
		build_lint, NULL, T_IDEMPOTENT},
	{"migrate_status", "Migration status",
		"Every migration version: applied, pending, changed, missing or failed. Read-only.",
		"{\"type\": \"object\", \"properties\": {}, \"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}, \"migrations\": {\"type\": \"array\"}}",
		build_migrate_status, NULL, T_IDEMPOTENT},
	{"migrate_up_safe", "Apply pending migrations safely",
		"Apply the pending migrations one by one through the safe runner: lint, pre-flight, sandbox test with "
		"the rollback, a backup when data would be deleted, apply, verify; stops at the first failure and "
		"rolls it back. Changes the database.",
		"{\"type\": \"object\", \"properties\": {"
		"\"to\": {\"type\": \"string\", \"description\": \"stop at this version\"}, "
		"\"allow\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"lint rules whose errors do not stop\"}, "
		S_SANDBOX "}, \"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}}",
		build_migrate_up_safe, NULL, T_WRITES_DB},
	{"rls_test", "Prove tenant isolation",
		"As the application role, in one tenant's context, try to read, update, delete and insert another "
		"tenant's rows in every table with the tenant column; everything is rolled back. Read-only in effect.",
		"{\"type\": \"object\", \"properties\": {" S_TABLE "}, \"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}, \"tables\": {\"type\": \"array\"}}",
		build_rls_test, NULL, T_IDEMPOTENT},
	{"storage_audit", "Audit Supabase Storage",
		"Findings about Supabase Storage buckets (storage.buckets, storage.objects and their policies): public "
		"buckets with private-sounding names, no size or MIME limits, who can read or write objects as anon and "
		"authenticated (probed in a rolled-back transaction), weak policies, objects of missing buckets. Read-only.",
		"{\"type\": \"object\", \"properties\": {"
		"\"buckets\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"only these buckets (default: all)\"}, "
		"\"no_probe\": {\"type\": \"boolean\", \"description\": \"judge from the policy text only, without probing as each role\"}}, "
		"\"additionalProperties\": false}",
		"{" S_FINDINGS "}",
		build_storage_audit, NULL, T_IDEMPOTENT},
	{"test_migration", "Try a migration in a sandbox",
		"Apply migration SQL (text, or files in the project) in a sandbox: what it changes, the locks each "
		"statement takes, its lint findings, and whether its rollback restores the schema exactly. "
		"Never changes the target.",
		"{\"type\": \"object\", \"properties\": {"
		"\"sql\": {\"type\": \"string\"}, "
		"\"files\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"description\": \"migration files, in order\"}, "
		S_SANDBOX "}, \"additionalProperties\": false}",
		"{\"summary\": {\"type\": \"object\"}}",
		build_test_migration, NULL, T_IDEMPOTENT},
	{"validate", "Validate tenant isolation and integrity",
		"Tenant coverage, row-level security, foreign-key integrity and NULL checks on the live data, as "
		"findings; a fixable finding carries fix {action, args} for the generate tool. Read-only.",
		"{\"type\": \"object\", \"properties\": {" S_TABLE ", "
		"\"category\": {\"type\": \"array\", \"items\": {\"type\": \"string\", \"enum\": [\"tenant\", \"rls\", \"fk\", \"null\"]}}, "
		"\"rule\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}, "
		"\"additionalProperties\": false}",
		"{" S_FINDINGS ", \"coverage\": {\"type\": \"array\"}}",
		build_validate, NULL, T_IDEMPOTENT},
};

#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

static bool
tool_offered(const struct mcp_options *o, const struct mcp_tool *t)
{
	if ((t->flags & T_WRITES_DB) && !o->allow_apply)
		return false;
	if ((t->flags & T_WRITES_FILES) && o->read_only)
		return false;
	return true;
}

static json_t *
parse_const(const char *text, const char *what)
{
	json_error_t err;
	json_t	   *v = json_loads(text, 0, &err);

	/* the tables are constants: a parse failure is a bug, caught by tests */
	if (!v)
		fprintf(stderr, "pgwarden mcp: internal error: %s: %s\n", what, err.text);
	return v;
}

static json_t *
output_schema(const struct mcp_tool *t)
{
	json_t	   *props = parse_const(t->output_props, t->name);
	json_t	   *schema = json_pack("{s:s, s:{s:{s:s}, s:{s:s}, s:{}, s:{s:s, s:{s:{s:s}, s:{s:[s,s]}, s:{s:[s,s]}, s:{s:[s,s]}}}}, s:[s,s], s:b}",
								   "type", "object",
								   "properties",
								   "command", "type", "string",
								   "ok", "type", "boolean",
								   "target",
								   "error", "type", "object", "properties",
								   "message", "type", "string",
								   "detail", "type", "string", "null",
								   "hint", "type", "string", "null",
								   "sqlstate", "type", "string", "null",
								   "required", "command", "ok",
								   "additionalProperties", 1);

	if (props)
		json_object_update(json_object_get(schema, "properties"), props);
	json_decref(props);
	return schema;
}

json_t *
mcp_tools_json(const struct mcp_options *o)
{
	json_t	   *list = json_array();

	for (size_t i = 0; i < NTOOLS; i++)
	{
		const struct mcp_tool *t = &tools[i];
		bool		ro = !(t->flags & (T_WRITES_DB | T_WRITES_FILES));

		if (!tool_offered(o, t))
			continue;
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s, s:b, s:b, s:b, s:b}}",
											  "name", t->name, "title", t->title, "description", t->description,
											  "inputSchema", parse_const(t->input_schema, t->name),
											  "outputSchema", output_schema(t),
											  "annotations", "title", t->title,
											  "readOnlyHint", ro,
											  "destructiveHint", (t->flags & T_WRITES_DB) != 0,
											  "idempotentHint", (t->flags & T_IDEMPOTENT) != 0,
											  "openWorldHint", 0));
	}
	return list;
}

/* ---------- argument checking against the input schema ---------- */

static bool
type_ok(json_t *v, const char *type)
{
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	return true;
}

/* Checks v against the schema subset the table uses (type, enum, items,
 * minimum, maximum); NULL when it fits, else why (caller frees). */
static char *
check_value(const char *where, json_t *v, json_t *schema)
{
	const char *type = json_string_value(json_object_get(schema, "type"));
	json_t	   *en = json_object_get(schema, "enum");

	if (type && !type_ok(v, type))
		return xasprintf("%s must be %s %s", where, strcmp(type, "integer") == 0 || strcmp(type, "array") == 0 ? "an" : "a", type);
	if (json_is_string(v) && memchr(json_string_value(v), '\0', json_string_length(v)))
		return xasprintf("%s must not contain a NUL character", where);
	if (en)
	{
		size_t		i;
		json_t	   *e;
		struct pgw_buf b;

		json_array_foreach(en, i, e)
			if (json_equal(e, v))
			return NULL;
		buf_init(&b);
		json_array_foreach(en, i, e)
			buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(e));
		{
			char	   *why = xasprintf("%s must be one of: %s", where, b.data);

			buf_release(&b);
			return why;
		}
	}
	if (json_is_integer(v))
	{
		json_t	   *min = json_object_get(schema, "minimum");
		json_t	   *max = json_object_get(schema, "maximum");

		if ((min && json_integer_value(v) < json_integer_value(min)) ||
			(max && json_integer_value(v) > json_integer_value(max)))
			return xasprintf("%s must be between %lld and %lld", where,
							 (long long) json_integer_value(min), (long long) json_integer_value(max));
	}
	if (json_is_array(v) && json_object_get(schema, "items"))
	{
		size_t		i;
		json_t	   *e;

		json_array_foreach(v, i, e)
		{
			char		w[128];
			char	   *why;

			snprintf(w, sizeof(w), "%s[%zu]", where, i);
			if ((why = check_value(w, e, json_object_get(schema, "items"))) != NULL)
				return why;
		}
	}
	return NULL;
}

static char *
check_args(json_t *args, json_t *schema)
{
	json_t	   *props = json_object_get(schema, "properties");
	json_t	   *req = json_object_get(schema, "required");
	const char *key;
	json_t	   *v;
	size_t		i;

	json_object_foreach(args, key, v)
	{
		json_t	   *ps = json_object_get(props, key);

		if (!ps)
			return xasprintf("unknown argument '%s'", key);
		{
			char	   *why = check_value(key, v, ps);

			if (why)
				return why;
		}
	}
	json_array_foreach(req, i, v)
		if (!json_object_get(args, json_string_value(v)))
		return xasprintf("missing required argument '%s'", json_string_value(v));
	return NULL;
}

/* ---------- the log ---------- */

static bool
secret_key(const char *key)
{
	static const char *const words[] = {"password", "secret", "token", "key", "url", "from", "to"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(key, words[i]))
			return true;
	return false;
}

/* Arguments for the log: values of secret-looking keys that look like a
 * connection string are replaced, everything else passes the redact filter
 * when written; long SQL text is cut. */
static json_t *
log_args(json_t *args)
{
	json_t	   *copy = json_deep_copy(args ? args : json_object());
	const char *key;
	json_t	   *v;

	json_object_foreach(copy, key, v)
	{
		const char *s = json_string_value(v);

		if (!s)
			continue;
		if (secret_key(key) && (strstr(s, "://") || strchr(s, '=')))
		{
			char	   *safe = redact_conninfo(s);

			json_object_set_new(copy, key, json_string(safe ? safe : "(redacted)"));
			free(safe);
		}
		else if (strlen(s) > 200)
		{
			char	   *cut = xasprintf("%.200s… (%zu bytes)", s, strlen(s));

			json_object_set_new(copy, key, json_string(cut));
			free(cut);
		}
	}
	return copy;
}

static void
log_call(struct mcp_session *s, const char *tool, json_t *args, int64_t ms, int rc, json_t *doc, const char *outcome)
{
	char	   *dir = fs_join(s->o->root, ".pgwarden");
	char	   *path = fs_join(dir, "mcp.log");
	char		stamp[32];
	time_t		now = time(NULL);
	struct tm	tm;
	json_t	   *line;
	char	   *text;
	struct pgw_buf b;
	int			fd;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	line = json_pack("{s:s, s:s, s:o, s:I, s:i, s:s}", "time", stamp, "tool", tool,
					 "arguments", log_args(args), "ms", (json_int_t) ms, "exit_code", rc, "outcome", outcome);
	if (doc && json_object_get(doc, "summary"))
		json_object_set(line, "summary", json_object_get(doc, "summary"));
	if (doc && json_object_get(doc, "error"))
		json_object_set(line, "error", json_object_get(json_object_get(doc, "error"), "message"));
	text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(line);
	buf_init(&b);
	if (text)
		redact_text(text, &b);
	buf_append_char(&b, '\n');
	if (fs_mkdir_p(dir, 0700) == 0 && (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0)
	{
		if (write(fd, b.data, b.len) != (ssize_t) b.len)
			out_warning("cannot write %s: %s", path, strerror(errno));
		close(fd);
	}
	else
	{
		out_warning("cannot write %s", path);
		pgw_error_clear();
	}
	buf_release(&b);
	free(text);
	free(dir);
	free(path);
}

/* ---------- progress ---------- */

static void
send_progress(struct mcp_session *s, const char *message, double total)
{
	json_t	   *params;

	if (!s->progress_token)
		return;
	s->progress += 1;
	params = json_pack("{s:O, s:f, s:s}", "progressToken", s->progress_token, "progress", s->progress,
					   "message", message);
	if (total > 0)
		json_object_set_new(params, "total", json_real(total));
	send_msg(json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", "notifications/progress", "params", params));
}

static void
on_progress(const char *label, uint64_t done, uint64_t total, void *arg)
{
	char		msg[128];

	if (total)
		snprintf(msg, sizeof(msg), "%s (%llu/%llu)", label, (unsigned long long) done, (unsigned long long) total);
	else
		snprintf(msg, sizeof(msg), "%s", label);
	send_progress(arg, msg, 0);
}

/* ---------- tools/call ---------- */

static const struct mcp_tool *
tool_find(const struct mcp_options *o, const char *name)
{
	for (size_t i = 0; i < NTOOLS; i++)
		if (strcmp(tools[i].name, name) == 0 && tool_offered(o, &tools[i]))
			return &tools[i];
	return NULL;
}

static json_t *
text_content(const char *text)
{
	return json_pack("[{s:s, s:s}]", "type", "text", "text", text);
}

static json_t *
error_result(const char *message)
{
	return json_pack("{s:o, s:b}", "content", text_content(message), "isError", 1);
}

static bool
structured_ok(struct mcp_session *s)
{
	/* structuredContent and outputSchema came with 2025-06-18 */
	return strcmp(s->version, "2025-06-18") >= 0;
}

/* The result of a finished call: isError for exit codes other than 0 and 1
 * (1 is a check that found something, which is the tool's answer). */
static json_t *
call_result(struct mcp_session *s, int rc, json_t *doc)
{
	json_t	   *res;
	char	   *text;

	if (!doc)
	{
		char	   *msg = xasprintf("the command ended with exit code %d and no result document", rc);

		res = error_result(msg);
		free(msg);
		return res;
	}
	if (rc <= 1 && !json_object_get(doc, "error"))
		text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
	else
	{
		json_t	   *err = json_object_get(doc, "error");
		struct pgw_buf b;

		buf_init(&b);
		buf_printf(&b, "error: %s", json_string_value(json_object_get(err, "message")) ?
				   json_string_value(json_object_get(err, "message")) : "the command failed");
		if (json_string_value(json_object_get(err, "detail")))
			buf_printf(&b, "\ndetail: %s", json_string_value(json_object_get(err, "detail")));
		if (json_string_value(json_object_get(err, "hint")))
			buf_printf(&b, "\nhint: %s", json_string_value(json_object_get(err, "hint")));
		buf_printf(&b, "\nexit code: %d", rc);
		text = b.data;
	}
	res = json_pack("{s:o}", "content", text_content(text ? text : ""));
	free(text);
	if (structured_ok(s))
		json_object_set(res, "structuredContent", doc);
	if (rc > 1 || json_object_get(doc, "error"))
		json_object_set_new(res, "isError", json_true());
	return res;
}

/* Runs a tool; returns the result, or NULL when the call was cancelled (no
 * response is sent then). */
static json_t *
call_tool(struct mcp_session *s, json_t *id, const struct mcp_tool *t, json_t *args)
{
	json_t	   *schema = parse_const(t->input_schema, t->name);
	char	   *why = NULL;
	struct pgw_strlist argv = {0};
	json_t	   *doc = NULL;
	json_t	   *res;
	int64_t		t0 = pgw_now_ms();
	int			rc;
	bool		cancelled;

	if ((why = check_args(args, schema)) != NULL || t->build(s, args, &argv, &why) != 0)
	{
		char	   *msg = xasprintf("invalid arguments for tool %s: %s", t->name, why);

		log_call(s, t->name, args, 0, 2, NULL, msg);
		res = error_result(msg);
		free(msg);
		free(why);
		json_decref(schema);
		strlist_release(&argv);
		return res;
	}
	json_decref(schema);

	pthread_mutex_lock(&s->lock);
	s->running_id = json_incref(id);
	s->cancelled = false;
	pthread_mutex_unlock(&s->lock);
	{
		char	   *msg = xasprintf("running %s", t->name);

		send_progress(s, msg, 0);
		free(msg);
	}
	progress_set_listener(on_progress, s);
	rc = s->o->run(s->o->run_arg, (int) argv.n, argv.items, &doc);
	progress_set_listener(NULL, NULL);
	pthread_mutex_lock(&s->lock);
	cancelled = s->cancelled;
	json_decref(s->running_id);
	s->running_id = NULL;
	pthread_mutex_unlock(&s->lock);
	if (cancelled)
		interrupt_reset();		/* a real signal stays: the server stops */

	if (t->shape && doc)
	{
		json_t	   *shaped = t->shape(s, args, doc);

		json_decref(doc);
		doc = shaped;
		if (json_object_get(doc, "error") && rc == 0)
			rc = 2;
	}
	if (doc && !json_object_get(doc, "target") && s->o->target)
		json_object_set_new(doc, "target", json_string(s->o->target));
	log_call(s, t->name, args, pgw_now_ms() - t0, rc, doc,
			 cancelled ? "cancelled" : rc == 0 ? "ok" : rc == 1 ? "check failed" : "error");
	res = cancelled ? NULL : call_result(s, rc, doc);
	json_decref(doc);
	strlist_release(&argv);
	return res;
}

/* ---------- resources ---------- */

struct doc_resource
{
	const char *name;			/* pgwarden://docs/NAME */
	const char *path;			/* embedded file */
	const char *description;
};

static const struct doc_resource doc_resources[] = {
	{"findings", "docs/findings.md", "the finding shape and how findings are suppressed"},
	{"validate", "docs/validate.md", "validate's rules: tenant, rls, fk, null"},
	{"doctor", "docs/doctor.md", "doctor's rules: performance, security, integrity"},
	{"lint-rules", "docs/lint-rules.md", "every lint rule with its reason and fix"},
	{"mcp", "docs/mcp.md", "this server: tools, resources, safety model"},
};

#define NDOCS (sizeof(doc_resources) / sizeof(doc_resources[0]))

static json_t *
run_snapshot(struct mcp_session *s, json_t **err_doc)
{
	char	   *argv[] = {"inspect", "--out", "-", NULL};
	json_t	   *doc = NULL;
	int			rc = s->o->run(s->o->run_arg, 3, argv, &doc);

	if (rc != 0 || !doc || !json_object_get(doc, "format"))
	{
		*err_doc = doc;
		return NULL;
	}
	return doc;
}

static json_t *
resources_list(struct mcp_session *s)
{
	json_t	   *list = json_array();
	json_t	   *err = NULL;
	json_t	   *snap;
	size_t		i;
	json_t	   *t;

	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "uri", "pgwarden://schema", "name", "schema",
										  "title", "The schema snapshot",
										  "description", "the live schema as pgwarden inspect writes it (docs/snapshot.md)",
										  "mimeType", "application/json"));
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "uri", "pgwarden://migrations", "name", "migrations",
										  "title", "The migrations folder",
										  "description", "every file of the migrations folder with its content",
										  "mimeType", "application/json"));
	for (i = 0; i < NDOCS; i++)
	{
		char	   *uri = xasprintf("pgwarden://docs/%s", doc_resources[i].name);

		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "uri", uri, "name", doc_resources[i].path,
											  "description", doc_resources[i].description, "mimeType", "text/markdown"));
		free(uri);
	}
	/* one resource per managed table, from a snapshot; without a database
	 * the rest is still listed */
	snap = run_snapshot(s, &err);
	json_decref(err);
	json_array_foreach(json_object_get(snap, "tables"), i, t)
	{
		char	   *uri;

		if (!json_is_true(json_object_get(t, "managed")))
			continue;
		uri = xasprintf("pgwarden://table/%s.%s", json_string_value(json_object_get(t, "schema")),
						json_string_value(json_object_get(t, "name")));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "uri", uri, "name", uri + 17,
											  "description", "the table in full, from the snapshot",
											  "mimeType", "application/json"));
		free(uri);
	}
	json_decref(snap);
	return json_pack("{s:o}", "resources", list);
}

static json_t *
one_content(const char *uri, const char *mime, const char *text)
{
	return json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType", mime, "text", text);
}

static json_t *
json_content(const char *uri, json_t *v)
{
	char	   *text = json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
	json_t	   *res = one_content(uri, "application/json", text ? text : "null");

	free(text);
	return res;
}

/* Returns the result, or NULL with *code and *msg set. */
static json_t *
resource_read(struct mcp_session *s, const char *uri, int *code, char **msg)
{
	if (strncmp(uri, "pgwarden://docs/", 16) == 0)
	{
		for (size_t i = 0; i < NDOCS; i++)
			if (strcmp(uri + 16, doc_resources[i].name) == 0 && embedded_get(doc_resources[i].path))
				return one_content(uri, "text/markdown", embedded_get(doc_resources[i].path));
	}
	else if (strcmp(uri, "pgwarden://migrations") == 0)
	{
		struct pgw_strlist files = {0};
		json_t	   *arr = json_array();
		json_t	   *res;

		if (fs_list_files(s->o->migrations_dir, ".sql", &files) != 0)
		{
			*code = RPC_INTERNAL_ERROR;
			*msg = xasprintf("cannot read the migrations folder: %s", pgw_error_last()->message);
			pgw_error_clear();
			json_decref(arr);
			return NULL;
		}
		for (size_t i = 0; i < files.n; i++)
		{
			const char *path = files.items[i];	/* dir/name */
			const char *slash = strrchr(path, '/');
			char	   *data = NULL;
			size_t		len;

			if (fs_read_file(path, &data, &len) == 0)
				json_array_append_new(arr, json_pack("{s:s, s:s%}", "file", slash ? slash + 1 : path, "sql", data, len));
			else
				pgw_error_clear();
			free(data);
		}
		strlist_release(&files);
		res = json_pack("{s:s, s:o}", "folder", s->o->migrations_dir, "files", arr);
		{
			json_t	   *out = json_content(uri, res);

			json_decref(res);
			return out;
		}
	}
	else if (strcmp(uri, "pgwarden://schema") == 0 || strncmp(uri, "pgwarden://table/", 17) == 0)
	{
		json_t	   *err = NULL;
		json_t	   *snap = run_snapshot(s, &err);
		json_t	   *res = NULL;

		if (!snap)
		{
			*code = RPC_INTERNAL_ERROR;
			*msg = xasprintf("cannot read the schema: %s",
							 json_string_value(json_object_get(json_object_get(err, "error"), "message")) ?
							 json_string_value(json_object_get(json_object_get(err, "error"), "message")) : "no snapshot");
			json_decref(err);
			return NULL;
		}
		if (uri[11] == 's')
			res = json_content(uri, snap);
		else
		{
			size_t		i;
			json_t	   *t;

			json_array_foreach(json_object_get(snap, "tables"), i, t)
				if (strchr(uri + 17, '.') && table_matches(t, uri + 17))
				res = json_content(uri, t);
		}
		json_decref(snap);
		if (res)
			return res;
	}
	*code = MCP_RESOURCE_NOT_FOUND;
	*msg = xasprintf("resource not found: %s", uri);
	return NULL;
}

/* ---------- prompts ---------- */

static const char repair_prompt[] =
"Repair the database's tenant isolation and integrity with pgwarden's tools only; write no SQL yourself.\n"
"1. Call validate. For each finding with a fix, call generate with its fix.action and fix.args.\n"
"2. Call test_migration on the files generate wrote; if the rollback does not restore the schema, stop and report.\n"
"3. Call migrate_up_safe to apply them (lint, sandbox, apply, verify, roll back on a mismatch).\n"
"4. Call validate and rls_test again; repeat until validate has no error and rls_test finds no leak.\n"
"Report what was changed, with the migration files.";

static json_t *
prompts_list(void)
{
	return json_pack("{s:[{s:s, s:s, s:s, s:[]}]}", "prompts", "name", "repair", "title", "Repair the database",
					 "description", "validate → generate → test_migration → migrate_up_safe → validate and rls_test, until clean",
					 "arguments");
}

/* ---------- dispatch ---------- */

static const char *
negotiate(const char *asked)
{
	for (int i = 0; asked && mcp_protocol_versions[i]; i++)
		if (strcmp(asked, mcp_protocol_versions[i]) == 0)
			return mcp_protocol_versions[i];
	return mcp_protocol_versions[0];
}

static void
handle_request(struct mcp_session *s, json_t *id, const char *method, json_t *params)
{
	if (params && !json_is_object(params))
	{
		send_error(id, RPC_INVALID_PARAMS, "params must be an object", NULL);
		return;
	}
	if (strcmp(method, "initialize") == 0)
	{
		const char *asked = str_arg(params, "protocolVersion");

		if (!asked)
		{
			send_error(id, RPC_INVALID_PARAMS, "initialize: protocolVersion (a string) is required", NULL);
			return;
		}
		snprintf(s->version, sizeof(s->version), "%s", negotiate(asked));
		s->initialized = true;
		send_result(id, json_pack("{s:s, s:{s:{s:b}, s:{s:b, s:b}, s:{s:b}}, s:{s:s, s:s, s:s}, s:s}",
								  "protocolVersion", s->version,
								  "capabilities",
								  "tools", "listChanged", 0,
								  "resources", "subscribe", 0, "listChanged", 0,
								  "prompts", "listChanged", 0,
								  "serverInfo", "name", "pgwarden", "title", "pgwarden", "version", PGW_VERSION,
								  "instructions",
								  "pgwarden changes a PostgreSQL/Supabase database only through its safe path: "
								  "validate finds problems, generate writes the migration that fixes one, "
								  "test_migration tries it in a sandbox, migrate_up_safe applies it (when the server "
								  "runs with --allow-apply). There is no tool that runs arbitrary SQL."));
		return;
	}
	if (strcmp(method, "ping") == 0)
	{
		send_result(id, json_object());
		return;
	}
	if (!s->initialized)
	{
		send_error(id, RPC_INVALID_REQUEST, "the session is not initialized: send initialize first", NULL);
		return;
	}
	if (strcmp(method, "tools/list") == 0)
	{
		json_t	   *list = mcp_tools_json(s->o);

		if (!structured_ok(s))
		{
			size_t		i;
			json_t	   *t;

			json_array_foreach(list, i, t)
				json_object_del(t, "outputSchema");
		}
		send_result(id, json_pack("{s:o}", "tools", list));
	}
	else if (strcmp(method, "tools/call") == 0)
	{
		const char *name = str_arg(params, "name");
		json_t	   *args = json_object_get(params, "arguments");
		const struct mcp_tool *t;
		json_t	   *res;

		if (!name)
		{
			send_error(id, RPC_INVALID_PARAMS, "tools/call: name (a string) is required", NULL);
			return;
		}
		if (!(t = tool_find(s->o, name)))
		{
			char	   *msg = xasprintf("unknown tool: %s", name);

			send_error(id, RPC_INVALID_PARAMS, msg,
					   tool_find(&(struct mcp_options) {.allow_apply = true}, name) ?
					   json_pack("{s:s}", "hint", "this tool changes files or the database: start the server with --allow-apply (and without --read-only)")
					   : NULL);
			free(msg);
			return;
		}
		if (args && !json_is_object(args))
		{
			send_result(id, error_result("invalid arguments: arguments must be an object"));
			return;
		}
		s->progress_token = json_object_get(json_object_get(params, "_meta"), "progressToken");
		if (s->progress_token && !json_is_string(s->progress_token) && !json_is_integer(s->progress_token))
			s->progress_token = NULL;
		s->progress = 0;
		json_incref(s->progress_token);
		args = args ? json_incref(args) : json_object();
		res = call_tool(s, id, t, args);
		json_decref(args);
		json_decref(s->progress_token);
		s->progress_token = NULL;
		if (res)
			send_result(id, res);	/* steals it */
	}
	else if (strcmp(method, "resources/list") == 0)
		send_result(id, resources_list(s));
	else if (strcmp(method, "resources/templates/list") == 0)
		send_result(id, json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "resourceTemplates",
								  "uriTemplate", "pgwarden://table/{schema}.{name}", "name", "table",
								  "description", "one table in full, from the snapshot", "mimeType", "application/json"));
	else if (strcmp(method, "resources/read") == 0)
	{
		const char *uri = str_arg(params, "uri");
		int			code = 0;
		char	   *msg = NULL;
		json_t	   *res;

		if (!uri)
		{
			send_error(id, RPC_INVALID_PARAMS, "resources/read: uri (a string) is required", NULL);
			return;
		}
		res = resource_read(s, uri, &code, &msg);
		if (res)
			send_result(id, res);	/* steals it */
		else
			send_error(id, code, msg, json_pack("{s:s}", "uri", uri));
		free(msg);
	}
	else if (strcmp(method, "prompts/list") == 0)
		send_result(id, prompts_list());
	else if (strcmp(method, "prompts/get") == 0)
	{
		const char *name = str_arg(params, "name");

		if (!name || strcmp(name, "repair") != 0)
			send_error(id, RPC_INVALID_PARAMS, "unknown prompt", NULL);
		else
			send_result(id, json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}]}", "description", "the repair loop",
									  "messages", "role", "user", "content", "type", "text", "text", repair_prompt));
	}
	else
	{
		char	   *msg = xasprintf("method not found: %s", method);

		send_error(id, RPC_METHOD_NOT_FOUND, msg, NULL);
		free(msg);
	}
}

static void
handle_line(struct mcp_session *s, const char *line)
{
	json_error_t jerr;
	json_t	   *msg;
	json_t	   *id;
	const char *method;

	while (*line == ' ' || *line == '\t' || *line == '\r')
		line++;
	if (!*line)
		return;
	msg = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg)
	{
		send_error(NULL, RPC_PARSE_ERROR, "parse error: the line is not JSON",
				   json_pack("{s:s, s:i}", "detail", jerr.text, "column", jerr.column));
		return;
	}
	id = json_object_get(msg, "id");
	if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "jsonrpc")) ||
		strcmp(json_string_value(json_object_get(msg, "jsonrpc")), "2.0") != 0 ||
		(id && !json_is_string(id) && !json_is_integer(id)))
	{
		send_error(json_is_string(id) || json_is_integer(id) ? id : NULL, RPC_INVALID_REQUEST,
				   json_is_array(msg) ? "invalid request: batches are not supported" :
				   "invalid request: not a JSON-RPC 2.0 message", NULL);
		json_decref(msg);
		return;
	}
	method = str_arg(msg, "method");
	if (!method)
	{
		/* a response (to nothing this server asked) or garbage */
		if (id && !json_object_get(msg, "result") && !json_object_get(msg, "error"))
			send_error(id, RPC_INVALID_REQUEST, "invalid request: method (a string) is required", NULL);
		json_decref(msg);
		return;
	}
	if (!id)
	{
		/* notifications: initialized, cancelled (handled by the reader),
		 * anything else is ignored as the spec asks */
		json_decref(msg);
		return;
	}
	handle_request(s, id, method, json_object_get(msg, "params"));
	json_decref(msg);
}

/* ---------- the reader thread ---------- */

static void
reader_cancel(struct mcp_session *s, const char *line)
{
	json_t	   *msg;

	if (!strstr(line, "notifications/cancelled"))
		return;
	msg = json_loads(line, 0, NULL);
	if (msg && json_is_object(msg) && !json_object_get(msg, "id") &&
		strcmp(str_arg(msg, "method") ? str_arg(msg, "method") : "", "notifications/cancelled") == 0)
	{
		json_t	   *rid = json_object_get(json_object_get(msg, "params"), "requestId");

		pthread_mutex_lock(&s->lock);
		if (rid && s->running_id && json_equal(rid, s->running_id) && !s->cancelled)
		{
			s->cancelled = true;
			interrupt_raise();
		}
		pthread_mutex_unlock(&s->lock);
	}
	json_decref(msg);
}

/* Queues one line (the reader thread). */
static void
reader_push(struct mcp_session *s, const char *text)
{
	struct line_item *it = pgw_malloc(sizeof(*it));

	it->text = pgw_strdup(text);
	it->next = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/*
 * The reader reads the descriptor with read(2), not stdio: a FILE blocked in
 * getline() holds its lock, and the commands' fflush(NULL) (before fork)
 * would wait for it forever.
 */
static void *
reader_main(void *arg)
{
	struct mcp_session *s = arg;
	struct pgw_buf line;
	char		chunk[65536];
	bool		too_long = false;
	ssize_t		n;

	buf_init(&line);
	for (;;)
	{
		n = read(s->infd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
		{
			if (chunk[i] != '\n')
			{
				if (line.len < MCP_MAX_LINE)
					buf_append_char(&line, chunk[i] ? chunk[i] : ' ');
				else
					too_long = true;
				continue;
			}
			if (too_long)
				reader_push(s, "{");	/* answered as a parse error */
			else
			{
				reader_cancel(s, line.data ? line.data : "");
				reader_push(s, line.data ? line.data : "");
			}
			buf_reset(&line);
			too_long = false;
		}
	}
	if (line.len)
	{
		reader_cancel(s, line.data);
		reader_push(s, line.data);
	}
	buf_release(&line);
	pthread_mutex_lock(&s->lock);
	s->eof = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int
mcp_serve(const struct mcp_options *opts)
{
	struct mcp_session s;
	pthread_t	reader;
	int			infd;
	int			devnull;

	memset(&s, 0, sizeof(s));
	s.o = opts;
	snprintf(s.version, sizeof(s.version), "%s", mcp_protocol_versions[0]);
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);

	/* stdin is the protocol's: the commands get /dev/null */
	infd = dup(STDIN_FILENO);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (infd < 0 || devnull < 0 || dup2(devnull, STDIN_FILENO) < 0)
	{
		pgw_error(PGW_ERR_CONNECT, "cannot set up standard input: %s", strerror(errno));
		return -1;
	}
	close(devnull);
	(void) fcntl(infd, F_SETFD, FD_CLOEXEC);
	s.infd = infd;
	if (out_protocol_open() != 0)
		return -1;
	if (pthread_create(&reader, NULL, reader_main, &s) != 0)
	{
		pgw_error(PGW_ERR_INTERNAL, "cannot start the reader thread");
		return -1;
	}
	pthread_detach(reader);
	out_note("MCP server on stdio for %s (%s%s); waiting for a client",
			 opts->target ? opts->target : "no database",
			 opts->allow_apply ? "--allow-apply" : "no database changes",
			 opts->read_only ? ", --read-only" : "");

	for (;;)
	{
		struct line_item *it;

		pthread_mutex_lock(&s.lock);
		while (!s.head && !s.eof && !pgw_interrupted())
		{
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&s.cond, &s.lock, &ts);
		}
		it = s.head;
		if (it)
		{
			s.head = it->next;
			if (!s.head)
				s.tail = NULL;
		}
		pthread_mutex_unlock(&s.lock);
		if (!it || pgw_interrupted())
		{
			if (it)
				free(it->text);
			free(it);
			break;				/* end of input, or a signal */
		}
		handle_line(&s, it->text);
		free(it->text);
		free(it);
	}
	out_note("MCP server: %s; stopping", pgw_interrupted() ? "interrupted" : "end of input");
	return 0;
}
