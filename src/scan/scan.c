/*
 * scan.c — the application-code scanner behind `pgwarden scan` (scan.h).
 *
 * Each file is parsed by tree-sitter with its language's grammar and the
 * syntax tree walked once; rules look at node kinds (comment, string, call,
 * member access, declaration), so a word in a comment or a string is never
 * mistaken for code and a route handler's body is the subtree of its
 * function.  Each tree is walked once with one cursor; node kinds come from
 * a per-language table indexed by grammar symbol (built once), and guard
 * helpers (functions that check the user) are collected on the way so that
 * routes in any file calling them count as guarded.  Folder walks honour
 * .gitignore files (plain patterns, '*', '?',
 * a trailing '/', a leading '/'; not '!' negations) and skip dependency and
 * build folders and minified files.
 */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tree_sitter/api.h>

#include "scan/scan.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"

const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_python(void);

#define MAX_FILE_BYTES (2 * 1024 * 1024)

const struct pgw_scan_rule pgw_scan_rules[] = {
	{"scan.route_without_auth", PGW_SEV_ERROR,
		"a route handler reads or writes data without checking the session or user",
	"check the user first (supabase.auth.getUser(), getServerSession(), auth(), your guard) or add the guard's name with --guard"},
	{"scan.service_key_in_client", PGW_SEV_ERROR,
		"the service-role key is used in code that runs in the browser",
	"use the service key only in server code (route handlers, server actions, edge functions); the browser gets the anon key"},
	{"scan.service_key_literal", PGW_SEV_ERROR,
		"a JWT with role service_role is written in the source",
	"rotate the key and read it from the environment (SUPABASE_SERVICE_ROLE_KEY) on the server"},
	{"scan.public_env_secret", PGW_SEV_ERROR,
		"a secret is read from a public (bundled into the browser) environment variable",
	"public prefixes (NEXT_PUBLIC_, VITE_, REACT_APP_, EXPO_PUBLIC_) are inlined into client bundles; drop the prefix and read it on the server"},
	{"scan.auth_admin_in_client", PGW_SEV_ERROR,
		"supabase.auth.admin is used in code that runs in the browser",
	"auth.admin needs the service key; move the call to a route handler or edge function"},
	{"scan.hardcoded_tenant_id", PGW_SEV_WARNING,
		"a tenant or user id is a literal UUID in a query",
	"take the id from the session (auth.uid(), the user's claims) instead of a literal"},
	{"scan.mock_user", PGW_SEV_WARNING,
		"a mock or fake user is defined in application code",
	"keep mock users in tests and stories; application code must get the user from the session"},
	{"scan.auth_bypass", PGW_SEV_ERROR,
		"authentication can be switched off or skipped",
	"remove the bypass; a development login belongs in test set-up, not in the auth path"},
	{"scan.auth_todo", PGW_SEV_WARNING,
		"a TODO/FIXME/HACK comment about authentication or authorization",
	"do what the comment says, or remove it when it is done"},
	{"scan.sql_injection", PGW_SEV_ERROR,
		"SQL is built from request data by concatenation or a template literal",
	"pass values as parameters ($1, ?, or the query builder's methods) instead of splicing them into SQL"},
	{"scan.exec_sql", PGW_SEV_WARNING,
		"an exec_sql-style function runs arbitrary SQL",
	"replace generic SQL execution with specific RPC functions or query-builder calls"},
	{"scan.cors_wildcard_credentials", PGW_SEV_ERROR,
		"CORS allows any origin together with credentials",
	"list the allowed origins; '*' (or reflecting any origin) with credentials lets any site act as the user"},
	{"scan.jwt_verify_disabled", PGW_SEV_ERROR,
		"JWT verification is turned off",
	"verify the signature and expiry of every token (verify_jwt = true, no 'none' algorithm, no ignoreExpiration)"},
	{"scan.from_without_rls", PGW_SEV_ERROR,
		"the code queries a table that has no row-level security",
	"enable RLS on the table and add policies (pgwarden generate fix-rls-policy), or query it only from the server"},
};
const size_t pgw_scan_nrules = sizeof(pgw_scan_rules) / sizeof(pgw_scan_rules[0]);

const struct pgw_scan_rule *
scan_rule_find(const char *id)
{
	size_t		i;

	for (i = 0; i < pgw_scan_nrules; i++)
		if (strcmp(pgw_scan_rules[i].id, id) == 0)
			return &pgw_scan_rules[i];
	return NULL;
}

/* ---------------------------------------------------------------- files */

enum lang
{
	L_NONE, L_JS, L_TS, L_TSX, L_PY, L_TOML
};

struct ignore_set
{
	char	   *base;			/* folder of the .gitignore, relative, "" for the root */
	struct pgw_strlist pats;
};

static bool
has_suffix(const char *s, const char *suf)
{
	size_t		n = strlen(s),
				m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static enum lang
lang_of(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (has_suffix(b, ".d.ts") || has_suffix(b, ".min.js") || has_suffix(b, ".min.mjs"))
		return L_NONE;
	if (has_suffix(b, ".tsx"))
		return L_TSX;
	if (has_suffix(b, ".ts") || has_suffix(b, ".mts") || has_suffix(b, ".cts"))
		return L_TS;
	if (has_suffix(b, ".js") || has_suffix(b, ".jsx") || has_suffix(b, ".mjs") || has_suffix(b, ".cjs"))
		return L_JS;
	if (has_suffix(b, ".py"))
		return L_PY;
	if (strcmp(b, "config.toml") == 0 && strstr(path, "supabase/"))
		return L_TOML;
	return L_NONE;
}

static const char *const skip_dirs[] = {
	"node_modules", ".git", ".next", ".nuxt", ".svelte-kit", ".vercel", ".turbo", ".cache",
	"dist", "build", "out", "coverage", "__pycache__", ".venv", "venv", ".expo", NULL
};

static bool
ignored(const struct ignore_set *sets, size_t nsets, const char *rel, const char *name, bool dir)
{
	size_t		i,
				k;

	for (i = 0; i < nsets; i++)
	{
		const char *sub = rel;
		size_t		bl = strlen(sets[i].base);

		if (bl > 0)
		{
			if (strncmp(rel, sets[i].base, bl) != 0 || rel[bl] != '/')
				continue;
			sub = rel + bl + 1;
		}
		for (k = 0; k < sets[i].pats.n; k++)
		{
			char		pat[1024];
			const char *p = sets[i].pats.items[k];
			size_t		pl = strlen(p);
			bool		dironly = pl > 0 && p[pl - 1] == '/';

			if (pl >= sizeof(pat))
				continue;
			memcpy(pat, p, pl + 1);
			if (dironly)
				pat[--pl] = '\0';
			if (dironly && !dir)
				continue;
			if (pat[0] == '/')
			{
				if (fnmatch(pat + 1, sub, FNM_PATHNAME) == 0)
					return true;
			}
			else if (strchr(pat, '/'))
			{
				if (fnmatch(pat, sub, FNM_PATHNAME) == 0)
					return true;
			}
			else if (fnmatch(pat, name, 0) == 0)
				return true;
		}
	}
	return false;
}

static void
read_gitignore(const char *dir, const char *rel, struct ignore_set **sets, size_t *nsets)
{
	char	   *path = fs_join(dir, ".gitignore");
	char	   *data;
	size_t		len;
	char	   *line,
			   *save;
	struct ignore_set *s;

	if (fs_read_file(path, &data, &len) != 0)
	{
		pgw_error_clear();
		free(path);
		return;
	}
	free(path);
	*sets = pgw_realloc(*sets, (*nsets + 1) * sizeof(**sets));
	s = &(*sets)[(*nsets)++];
	s->base = pgw_strdup(rel);
	s->pats.items = NULL;
	s->pats.n = 0;
	for (line = strtok_r(data, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save))
	{
		size_t		n = strlen(line);

		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#' || line[0] == '!')
			continue;
		if (strncmp(line, "**/", 3) == 0 && line[3] != '\0')
			line += 3;
		strlist_add(&s->pats, line);
	}
	free(data);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
walk_dir(const char *dir, const char *rel, struct ignore_set **sets, size_t *nsets,
		 struct pgw_strlist *files)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	struct pgw_strlist names = {NULL, 0};
	size_t		mark = *nsets,
				i;

	if (!d)
		return;
	read_gitignore(dir, rel, sets, nsets);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			strlist_add(&names, e->d_name);
	closedir(d);
	qsort(names.items, names.n, sizeof(char *), cmp_str);
	for (i = 0; i < names.n; i++)
	{
		const char *name = names.items[i];
		char	   *path = fs_join(dir, name);
		char	   *r = rel[0] ? pgw_asprintf("%s/%s", rel, name) : pgw_strdup(name);
		struct stat st;
		size_t		k;
		bool		skip = false;

		if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
			skip = true;
		if (!skip && S_ISDIR(st.st_mode))
		{
			for (k = 0; skip_dirs[k]; k++)
				if (strcmp(name, skip_dirs[k]) == 0)
					skip = true;
			if (!skip && !ignored(*sets, *nsets, r, name, true))
				walk_dir(path, r, sets, nsets, files);
		}
		else if (!skip && S_ISREG(st.st_mode) && lang_of(path) != L_NONE &&
				 !ignored(*sets, *nsets, r, name, false))
			strlist_add(files, path);
		free(path);
		free(r);
	}
	for (i = mark; i < *nsets; i++)
	{
		free((*sets)[i].base);
		strlist_release(&(*sets)[i].pats);
	}
	*nsets = mark;
	strlist_release(&names);
}

/* ---------------------------------------------------------------- one file */

struct ignore_comment
{
	int			line;
	char	   *rules;			/* the comment's text after pgwarden:ignore */
};

/* A route reported without a guard, and the functions its handler calls:
 * when one of them turns out (after every file is scanned) to be a helper
 * that checks the user, the finding is dropped. */
struct route_calls
{
	int			line;
	int			column;
	struct pgw_strlist calls;
};

struct sfile
{
	const struct pgw_scan_options *opts;
	const char *path;
	const char *src;
	size_t		len;
	enum lang	lang;
	bool		client;
	bool		test;
	bool		next_route;		/* app/.../route.* */
	bool		pages_api;		/* under pages/api/ */
	bool		edge;			/* under supabase/functions/ */
	bool		file_guard;		/* app.use(guard) in the file */
	bool		acao_star;		/* Access-Control-Allow-Origin: * */
	bool		acac_true;		/* Access-Control-Allow-Credentials: true */
	TSNode		acao_node;
	TSNode		py_params;		/* parameters of the Python route handler
								 * being visited, or a null node */
	struct pgw_findings findings;
	struct ignore_comment *ign;
	size_t		nign;
	struct pgw_scan_table_use *uses;
	size_t		nuses;
	struct pgw_strlist helpers;	/* functions defined here that check the user */
	struct route_calls *rcalls;
	size_t		nrcalls;
	size_t		nsuppressed;
	size_t		bytes;
	bool		skipped;
	bool		done;
};

/*
 * Node kinds the rules look at.  Each language's grammar numbers its node
 * types (symbols); a table per language maps a symbol to its kind once, so
 * the walk compares small integers instead of type names for every node.
 */
enum nkind
{
	K_OTHER = 0, K_COMMENT, K_STRING, K_TEMPLATE, K_CALL, K_BINOP, K_MEMBER, K_SUBSCRIPT, K_PAIR,
	K_VARDECL, K_FUNCDECL, K_METHOD, K_ASSIGN, K_IDENT, K_IF, K_EXPORT, K_DECORATED
};

static const struct
{
	const char *name;
	enum nkind	kind;
}			kind_names[] = {
	{"comment", K_COMMENT}, {"string", K_STRING}, {"template_string", K_TEMPLATE},
	{"call_expression", K_CALL}, {"call", K_CALL}, {"binary_operator", K_BINOP},
	{"member_expression", K_MEMBER}, {"attribute", K_MEMBER},
	{"subscript_expression", K_SUBSCRIPT}, {"subscript", K_SUBSCRIPT}, {"pair", K_PAIR},
	{"variable_declarator", K_VARDECL}, {"function_declaration", K_FUNCDECL},
	{"function_definition", K_FUNCDECL}, {"method_definition", K_METHOD}, {"assignment", K_ASSIGN},
	{"identifier", K_IDENT}, {"property_identifier", K_IDENT},
	{"shorthand_property_identifier", K_IDENT}, {"if_statement", K_IF},
	{"export_statement", K_EXPORT}, {"decorated_definition", K_DECORATED},
};

struct kind_table
{
	unsigned char *kinds;		/* by symbol; built once, kept for the
								 * process */
	uint32_t	n;
};

static struct kind_table kind_tables[L_TOML + 1];
static pthread_once_t kind_once = PTHREAD_ONCE_INIT;

static const TSLanguage *
language_of(enum lang l)
{
	switch (l)
	{
		case L_JS:
			return tree_sitter_javascript();
		case L_TS:
			return tree_sitter_typescript();
		case L_TSX:
			return tree_sitter_tsx();
		case L_PY:
			return tree_sitter_python();
		default:
			return NULL;
	}
}

static void
kind_tables_build(void)
{
	int			l;

	for (l = L_JS; l <= L_PY; l++)
	{
		const TSLanguage *lang = language_of((enum lang) l);
		uint32_t	n = ts_language_symbol_count(lang),
					sym;
		size_t		k;

		kind_tables[l].kinds = pgw_calloc(n ? n : 1, 1);
		kind_tables[l].n = n;
		for (sym = 0; sym < n; sym++)
		{
			const char *name = ts_language_symbol_name(lang, (TSSymbol) sym);

			if (!name || ts_language_symbol_type(lang, (TSSymbol) sym) != TSSymbolTypeRegular)
				continue;
			for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
				if (strcmp(name, kind_names[k].name) == 0)
					kind_tables[l].kinds[sym] = (unsigned char) kind_names[k].kind;
		}
	}
}

static enum nkind
node_kind(const struct sfile *f, TSNode n)
{
	const struct kind_table *kt = &kind_tables[f->lang];
	TSSymbol	sym = ts_node_symbol(n);

	return sym < kt->n ? (enum nkind) kt->kinds[sym] : K_OTHER;
}

static const char *
ntext(const struct sfile *f, TSNode n, size_t *len)
{
	uint32_t	s = ts_node_start_byte(n),
				e = ts_node_end_byte(n);

	*len = e - s;
	return f->src + s;
}

static bool
nis(const struct sfile *f, TSNode n, const char *word)
{
	size_t		l;
	const char *t = ntext(f, n, &l);

	return l == strlen(word) && memcmp(t, word, l) == 0;
}

static char *
ndup(const struct sfile *f, TSNode n, size_t max)
{
	size_t		l;
	const char *t = ntext(f, n, &l);

	return pgw_strndup(t, l > max ? max : l);
}

static bool
ncontains(const struct sfile *f, TSNode n, const char *word)
{
	size_t		l;
	const char *t = ntext(f, n, &l);

	return memmem(t, l, word, strlen(word)) != NULL;
}

static bool
type_is(TSNode n, const char *t)
{
	return strcmp(ts_node_type(n), t) == 0;
}

static bool
name_in(const char *s, size_t n, const char *const *list)
{
	size_t		i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], s, n) == 0)
			return true;
	return false;
}

/* A string literal's contents without its quotes (caller frees), or NULL
 * when the node is no plain string. */
static char *
string_value(const struct sfile *f, TSNode n)
{
	size_t		l;
	const char *t;

	if (ts_node_is_null(n) || !(type_is(n, "string") || type_is(n, "template_string")))
		return NULL;
	if (ts_node_named_child_count(n) > 0)
	{
		uint32_t	i;

		for (i = 0; i < ts_node_named_child_count(n); i++)
			if (type_is(ts_node_named_child(n, i), "template_substitution") ||
				type_is(ts_node_named_child(n, i), "interpolation"))
				return NULL;
	}
	t = ntext(f, n, &l);
	while (l > 0 && strchr("frbuFRBU", *t))
		t++, l--;				/* python prefixes */
	if (l >= 6 && (strncmp(t, "\"\"\"", 3) == 0 || strncmp(t, "'''", 3) == 0))
		return pgw_strndup(t + 3, l - 6);
	if (l < 2)
		return NULL;
	return pgw_strndup(t + 1, l - 2);
}

static bool
is_uuid(const char *s, size_t n)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t		i = 0;
	int			g,
				k;

	if (n != 36)
		return false;
	for (g = 0; g < 5; g++)
	{
		for (k = 0; k < groups[g]; k++, i++)
			if (!isxdigit((unsigned char) s[i]))
				return false;
		if (g < 4 && s[i++] != '-')
			return false;
	}
	return true;
}

static void
report(struct sfile *f, const char *rule, TSNode at, const char *name, const char *fmt,...)
	__attribute__((format(printf, 5, 6)));

static void
report(struct sfile *f, const char *rule, TSNode at, const char *name, const char *fmt,...)
{
	const struct pgw_scan_rule *r = scan_rule_find(rule);
	TSPoint		p = ts_node_start_point(at);
	int			line = (int) p.row + 1;
	va_list		ap;
	char	   *msg;
	struct pgw_finding *fd;
	size_t		i;

	for (i = 0; i < f->findings.n; i++)
		if (strcmp(f->findings.items[i].rule, rule) == 0 &&
			strcmp(f->findings.items[i].object.name, name) == 0)
			return;				/* the same thing again in the file: one
								 * finding, one fingerprint */
	for (i = 0; i < f->nign; i++)
		if ((f->ign[i].line == line || f->ign[i].line == line - 1) && strstr(f->ign[i].rules, rule))
		{
			f->nsuppressed++;
			return;
		}
	va_start(ap, fmt);
	msg = pgw_vasprintf(fmt, ap);
	va_end(ap);
	fd = findings_add(&f->findings, rule, r->severity, "code", msg);
	finding_set_object(&f->findings, fd, "code", NULL, name, NULL);
	finding_set_hint(&f->findings, fd, r->hint);
	finding_set_location(&f->findings, fd, f->path, line, (int) p.column + 1);
	free(msg);
}

/* The last name of a callee: foo in a.b.foo(...), foo(...), a.foo?.(...) */
static TSNode
callee_name(TSNode call)
{
	TSNode		fn = ts_node_child_by_field_name(call, "function", 8);

	if (ts_node_is_null(fn))
		return fn;
	if (type_is(fn, "member_expression"))
		return ts_node_child_by_field_name(fn, "property", 8);
	if (type_is(fn, "attribute"))
		return ts_node_child_by_field_name(fn, "attribute", 9);
	return fn;
}

static TSNode
call_args(TSNode call)
{
	return ts_node_child_by_field_name(call, "arguments", 9);
}

static const char *const default_guards[] = {
	"getUser", "getSession", "getServerSession", "getClaims", "currentUser", "getAuth",
	"requireAuth", "requireUser", "requireSession", "withAuth", "withApiAuth", "verifyToken",
	"verifyJwt", "verifyJWT", "jwtVerify", "authenticate", "isAuthenticated", "ensureAuthenticated",
	"checkAuth", "validateRequest", "getToken", "withApiAuthRequired", "getServerUser",
	"login_required", "jwt_required", "get_current_user", "current_user", "require_auth",
	"verify_token", "get_user", "get_current_active_user", "permission_required", "auth_required",
	"requires_auth", "verify_jwt_in_request", "get_jwt_identity", NULL
};

/* A FastAPI dependency that resolves the caller: Depends(get_current_user),
 * Security(verify_token), Depends(auth.require_user).  Its name says so —
 * current, auth, token, jwt, principal, verify, require, login — unlike
 * Depends(get_db) or Depends(get_user_service); Depends(get_user) too. */
static bool
is_auth_dependency(const struct sfile *f, TSNode call)
{
	TSNode		fn = ts_node_child_by_field_name(call, "function", 8);
	TSNode		args = ts_node_child_by_field_name(call, "arguments", 9);
	static const char *const words[] = {"current", "auth", "token", "jwt", "principal", "verify",
	"require", "login", "logged", NULL};
	size_t		l,
				i,
				k;
	const char *t;

	if (f->lang != L_PY || ts_node_is_null(fn) || ts_node_is_null(args) ||
		!(nis(f, fn, "Depends") || nis(f, fn, "Security")))
		return false;
	t = ntext(f, args, &l);
	if (nis(f, args, "(get_user)"))
		return true;
	for (i = 0; words[i]; i++)
	{
		size_t		m = strlen(words[i]);

		for (k = 0; k + m <= l; k++)
			if (strncasecmp(t + k, words[i], m) == 0)
				return true;
	}
	return false;
}

static bool
is_guard_name(const struct sfile *f, const char *s, size_t n)
{
	size_t		i;

	for (i = 0; default_guards[i]; i++)
		if (n > 0 && default_guards[i][0] == s[0] && strlen(default_guards[i]) == n && memcmp(default_guards[i], s, n) == 0)
			return true;
	if (f->opts->guards)
		for (i = 0; i < f->opts->guards->n; i++)
			if (strlen(f->opts->guards->items[i]) == n && memcmp(f->opts->guards->items[i], s, n) == 0)
				return true;
	return false;
}

static const char *const data_calls[] = {
	"from", "rpc", "query", "execute", "insert", "upsert", "findMany", "findUnique", "findFirst",
	"$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe", "exec_sql", "fetchall",
	"fetchone", "executemany", "raw", "scalars", NULL
};

struct body_scan
{
	bool		guard;
	bool		data;
};

/* One node of scan_body's walk. */
static void
body_node(const struct sfile *f, TSNode n, enum nkind kind, struct body_scan *bs)
{
	if (kind == K_IDENT)
	{
		size_t		l;
		const char *s = ntext(f, n, &l);

		if (is_guard_name(f, s, l))
			bs->guard = true;
	}
	else if (kind == K_CALL)
	{
		TSNode		cn = callee_name(n);
		TSNode		fn = ts_node_child_by_field_name(n, "function", 8);

		if (!ts_node_is_null(fn) && (nis(f, fn, "auth") || nis(f, fn, "getAuth")))
			bs->guard = true;
		if (is_auth_dependency(f, n))
			bs->guard = true;
		if (!ts_node_is_null(cn))
		{
			size_t		l,
						k;
			const char *s = ntext(f, cn, &l);

			for (k = 0; data_calls[k]; k++)
				if (l > 0 && data_calls[k][0] == s[0] && strlen(data_calls[k]) == l && memcmp(data_calls[k], s, l) == 0)
					bs->data = true;
		}
	}
	else if (kind == K_MEMBER)
	{
		if (nis(f, n, "req.user") || nis(f, n, "req.auth") || nis(f, n, "req.session") ||
			nis(f, n, "request.user") || nis(f, n, "request.auth"))
			bs->guard = true;
	}
	else if (kind == K_STRING)
	{
		if (ncontains(f, n, "uthorization"))
			bs->guard = true;	/* the caller's token forwarded: RLS applies */
	}
}

/* Whether the subtree checks the user (a guard's name, req.user, the
 * Authorization header forwarded to the client) and whether it touches data.
 * Comments are skipped.  One cursor walks the subtree (indexing children is
 * quadratic in tree-sitter 0.20). */
static void
scan_body(const struct sfile *f, TSNode root, struct body_scan *bs)
{
	TSTreeCursor cur;

	if (ts_node_is_null(root))
		return;
	cur = ts_tree_cursor_new(root);
	for (;;)
	{
		TSNode		n = ts_tree_cursor_current_node(&cur);
		enum nkind	k = ts_node_is_named(n) ? node_kind(f, n) : K_OTHER;

		if (k != K_COMMENT)
		{
			if (k != K_OTHER)
				body_node(f, n, k, bs);
			if (ts_tree_cursor_goto_first_child(&cur))
				continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&cur))
			if (!ts_tree_cursor_goto_parent(&cur))
			{
				ts_tree_cursor_delete(&cur);
				return;
			}
	}
}

/* The names of the functions called in a subtree, into out (no repeats). */
static void
collect_calls(const struct sfile *f, TSNode n, struct pgw_strlist *out)
{
	uint32_t	i,
				c;

	if (type_is(n, "call_expression") || type_is(n, "call"))
	{
		TSNode		cn = callee_name(n);

		if (!ts_node_is_null(cn) && (type_is(cn, "identifier") || type_is(cn, "property_identifier")))
		{
			char	   *nm = ndup(f, cn, 120);

			if (!strlist_contains(out, nm))
				strlist_add(out, nm);
			free(nm);
		}
	}
	c = ts_node_named_child_count(n);
	for (i = 0; i < c; i++)
		collect_calls(f, ts_node_named_child(n, i), out);
}

/* Python handler parameters: a database session (SessionDep, db: Session =
 * Depends(get_db), supabase: Client) means the handler touches data; a
 * parameter typed as the user (user: CurrentUser, UserDep, AuthUser) means
 * FastAPI resolved the caller before the handler runs. */
static void
scan_py_params(const struct sfile *f, TSNode def, struct body_scan *bs)
{
	TSNode		params = ts_node_child_by_field_name(def, "parameters", 10);
	uint32_t	i,
				c;
	static const char *const data_marks[] = {"Session", "get_db", "get_session", "Database", "DbDep",
	"DBDep", "Connection", "supabase", "Supabase", NULL};
	/* CurrentUser, AuthUser, UserDep — not UserUpdate, a request body */
	static const char *const user_marks[] = {"Current", "Auth", "Principal", "UserDep", "ActiveUser",
	"LoggedIn", NULL};

	if (ts_node_is_null(params))
		return;
	c = ts_node_named_child_count(params);
	for (i = 0; i < c; i++)
	{
		TSNode		p = ts_node_named_child(params, i);
		TSNode		ty = ts_node_child_by_field_name(p, "type", 4);
		TSNode		v = ts_node_child_by_field_name(p, "value", 5);
		size_t		k;

		for (k = 0; data_marks[k]; k++)
			if ((!ts_node_is_null(ty) && ncontains(f, ty, data_marks[k])) ||
				(!ts_node_is_null(v) && ncontains(f, v, data_marks[k])))
				bs->data = true;
		for (k = 0; user_marks[k] && !ts_node_is_null(ty); k++)
			if (ncontains(f, ty, user_marks[k]))
				bs->guard = true;
	}
}

/* Reports a route whose handler touches data and never checks the user,
 * remembering what it calls (see struct route_calls). */
static void
check_handler(struct sfile *f, TSNode handler, TSNode at, const char *what)
{
	struct body_scan bs = {false, false};
	size_t		before = f->findings.n;

	if (f->test || f->file_guard)
		return;
	scan_body(f, handler, &bs);
	if (f->lang == L_PY && type_is(handler, "decorated_definition"))
		scan_py_params(f, ts_node_child_by_field_name(handler, "definition", 10), &bs);
	if (!bs.data || bs.guard)
		return;
	report(f, "scan.route_without_auth", at, what,
		   "%s reads or writes data but never checks the session or user", what);
	if (f->findings.n > before)
	{
		struct route_calls *rc;

		f->rcalls = pgw_realloc(f->rcalls, (f->nrcalls + 1) * sizeof(*f->rcalls));
		rc = &f->rcalls[f->nrcalls++];
		rc->line = f->findings.items[before].line;
		rc->column = f->findings.items[before].column;
		rc->calls.items = NULL;
		rc->calls.n = 0;
		collect_calls(f, handler, &rc->calls);
	}
}

/* A function defined in this file whose body checks the user is a guard for
 * every route that calls it, in any file (getServerProfile() that calls
 * supabase.auth.getUser() and throws).  walk() finds them in its one pass:
 * this says whether a function's name can be one (not a route method, not
 * already a guard name, not in a test file). */
static bool
helper_name_ok(const struct sfile *f, TSNode name)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", NULL};
	size_t		l;
	const char *s;

	if (f->test || ts_node_is_null(name) ||
		!(type_is(name, "identifier") || type_is(name, "property_identifier")))
		return false;
	s = ntext(f, name, &l);
	return !name_in(s, l, methods) && !is_guard_name(f, s, l);
}

static void
helper_add(struct sfile *f, TSNode name)
{
	char	   *nm = ndup(f, name, 120);

	if (!strlist_contains(&f->helpers, nm))
		strlist_add(&f->helpers, nm);
	free(nm);
}

static bool
is_function_node(TSNode n)
{
	return type_is(n, "arrow_function") || type_is(n, "function") ||
		type_is(n, "function_expression") || type_is(n, "function_declaration");
}

/* Whether an identifier in n names a parameter of the Python route handler
 * being visited: FastAPI passes path, query and body values as parameters.
 * Dependencies (x = Depends(...)) and self are not request data; in a.b only
 * a is looked at. */
static bool
uses_handler_param(const struct sfile *f, TSNode n)
{
	uint32_t	i,
				c;

	if (type_is(n, "identifier") && !nis(f, n, "self"))
	{
		c = ts_node_named_child_count(f->py_params);
		for (i = 0; i < c; i++)
		{
			TSNode		p = ts_node_named_child(f->py_params, i);
			TSNode		nm = p;

			if (type_is(p, "typed_parameter"))
				nm = ts_node_named_child(p, 0);
			else if (type_is(p, "default_parameter") || type_is(p, "typed_default_parameter"))
			{
				TSNode		v = ts_node_child_by_field_name(p, "value", 5);

				if (!ts_node_is_null(v) && (ncontains(f, v, "Depends(") || ncontains(f, v, "Security(")))
					continue;
				nm = ts_node_child_by_field_name(p, "name", 4);
			}
			if (ts_node_is_null(nm) || !type_is(nm, "identifier"))
				continue;
			if (ts_node_end_byte(nm) - ts_node_start_byte(nm) == ts_node_end_byte(n) - ts_node_start_byte(n) &&
				memcmp(f->src + ts_node_start_byte(nm), f->src + ts_node_start_byte(n),
					   ts_node_end_byte(n) - ts_node_start_byte(n)) == 0)
				return true;
		}
		return false;
	}
	if (type_is(n, "attribute"))
	{
		TSNode		obj = ts_node_child_by_field_name(n, "object", 6);

		return !ts_node_is_null(obj) && uses_handler_param(f, obj);
	}
	c = ts_node_named_child_count(n);
	for (i = 0; i < c; i++)
		if (uses_handler_param(f, ts_node_named_child(n, i)))
			return true;
	return false;
}

/* Request data in an expression: req.*, request.*, params, body, query, or
 * (Python) a parameter of the route handler it is in. */
static bool
has_request_data(const struct sfile *f, TSNode n)
{
	static const char *const marks[] = {
		"req.", "request.", "params", "searchParams", "body", "query.", "formData", "ctx.request",
		"args.", "input", NULL
	};
	size_t		i;

	for (i = 0; marks[i]; i++)
		if (ncontains(f, n, marks[i]))
			return true;
	return !ts_node_is_null(f->py_params) && uses_handler_param(f, n);
}

static bool
is_word_char(char c)
{
	return isalnum((unsigned char) c) || c == '_';
}

/* Offset just past the first whole-word, case-insensitive occurrence of word
 * at or after from, or 0 when there is none. */
static size_t
find_word(const char *s, size_t n, size_t from, const char *word)
{
	size_t		m = strlen(word),
				k;

	for (k = from; k + m <= n; k++)
		if (strncasecmp(s + k, word, m) == 0 && (k == 0 || !is_word_char(s[k - 1])) &&
			(k + m == n || !is_word_char(s[k + m])))
			return k + m;
	return 0;
}

/* Text shaped like a SQL statement or clause, not one English word:
 * "select … from", "insert into", "update … set", "delete from",
 * "where <column> =|like|in".  "Please select a plan" is no SQL. */
static bool
looks_like_sql(const char *s, size_t n)
{
	size_t		k,
				j;

	if ((k = find_word(s, n, 0, "select")) && find_word(s, n, k, "from"))
		return true;
	if ((k = find_word(s, n, 0, "insert")) && find_word(s, n, k, "into"))
		return true;
	if ((k = find_word(s, n, 0, "update")) && find_word(s, n, k, "set"))
		return true;
	if ((k = find_word(s, n, 0, "delete")) && find_word(s, n, k, "from"))
		return true;
	if ((k = find_word(s, n, 0, "where")))
	{
		/* where, a column name, then an operator */
		while (k < n && s[k] == ' ')
			k++;
		j = k;
		while (j < n && (is_word_char(s[j]) || s[j] == '.' || s[j] == '"'))
			j++;
		if (j == k)
			return false;
		while (j < n && s[j] == ' ')
			j++;
		return j < n && (s[j] == '=' || s[j] == '<' || s[j] == '>' || s[j] == '!' ||
						 find_word(s, n, j, "like") == j + 4 || find_word(s, n, j, "in") == j + 2 ||
						 find_word(s, n, j, "ilike") == j + 5 || find_word(s, n, j, "is") == j + 2);
	}
	return false;
}

/* SQL text with "tenant_id = '<uuid>'" (or user_id, org_id, ...). */
static void
check_sql_literal_ids(struct sfile *f, TSNode n)
{
	size_t		l,
				i;
	const char *t = ntext(f, n, &l);

	if (f->test || !looks_like_sql(t, l))
		return;
	for (i = 0; i + 3 < l; i++)
	{
		size_t		j;

		if (!(t[i] == '_' && strncmp(t + i, "_id", 3) == 0))
			continue;
		j = i + 3;
		while (j < l && t[j] == ' ')
			j++;
		if (j >= l || t[j] != '=')
			continue;
		j++;
		while (j < l && t[j] == ' ')
			j++;
		if (j < l && t[j] == '\'' && j + 37 < l && is_uuid(t + j + 1, 36))
		{
			char	   *id = pgw_strndup(t + j + 1, 36);

			report(f, "scan.hardcoded_tenant_id", n, id,
				   "SQL compares an id column with the literal '%s'", id);
			free(id);
			return;
		}
	}
}

/* A JWT literal whose payload says role service_role. */
static void
check_jwt_literal(struct sfile *f, TSNode n)
{
	size_t		l;
	const char *t = ntext(f, n, &l);
	const char *p = memmem(t, l, "eyJ", 3);

	while (p)
	{
		const char *d1 = p,
				   *end = t + l;
		unsigned char buf[1024];
		size_t		nb = 0;
		unsigned int acc = 0;
		int			bits = 0;

		while (d1 < end && *d1 != '.')
			d1++;
		if (d1 < end)
		{
			const char *q;

			for (q = d1 + 1; q < end && nb < sizeof(buf) - 1; q++)
			{
				int			v;
				char		c = *q;

				if (c >= 'A' && c <= 'Z')
					v = c - 'A';
				else if (c >= 'a' && c <= 'z')
					v = c - 'a' + 26;
				else if (c >= '0' && c <= '9')
					v = c - '0' + 52;
				else if (c == '-' || c == '+')
					v = 62;
				else if (c == '_' || c == '/')
					v = 63;
				else
					break;
				acc = (acc << 6) | (unsigned) v;
				bits += 6;
				if (bits >= 8)
				{
					bits -= 8;
					buf[nb++] = (unsigned char) ((acc >> bits) & 0xFF);
				}
			}
			buf[nb] = '\0';
			if (memmem(buf, nb, "service_role", 12))
			{
				report(f, "scan.service_key_literal", n, "service_role JWT",
					   "a service_role JWT is written in the source");
				return;
			}
		}
		p = memmem(p + 3, (size_t) (end - p - 3), "eyJ", 3);
	}
}

static const char *const public_prefixes[] = {"NEXT_PUBLIC_", "VITE_", "REACT_APP_", "EXPO_PUBLIC_", "PUBLIC_", NULL};
static const char *const secret_words[] = {"SERVICE_ROLE", "SECRET", "PRIVATE", "PASSWORD", "SERVICE_KEY", NULL};

static void
check_env_name(struct sfile *f, TSNode at, const char *name)
{
	size_t		i,
				k;

	for (i = 0; public_prefixes[i]; i++)
		if (strncmp(name, public_prefixes[i], strlen(public_prefixes[i])) == 0)
		{
			for (k = 0; secret_words[k]; k++)
				if (strstr(name, secret_words[k]))
				{
					report(f, "scan.public_env_secret", at, name,
						   "%s is a public variable (bundled into the browser) but its name says it holds a secret", name);
					return;
				}
			return;
		}
	if (f->client && strstr(name, "SERVICE_ROLE"))
		report(f, "scan.service_key_in_client", at, name,
			   "%s is read in client code (%s)", name, "runs in the browser");
}


static const char *const mock_names[] = {
	"mockUser", "fakeUser", "dummyUser", "mockSession", "fakeSession", "mock_user", "fake_user",
	"dummy_user", "mockAuthUser", "fakeAuthUser", NULL
};
static const char *const bypass_names[] = {
	"skipAuth", "bypassAuth", "DISABLE_AUTH", "disableAuth", "AUTH_DISABLED", "SKIP_AUTH",
	"BYPASS_AUTH", "skip_auth", "bypass_auth", "disable_auth", "noAuth", "authDisabled", NULL
};

/* Whether lower-case text c holds word w at the start of a word (or after
 * "un"/"re" there: unauthorized, relogin) — "oauthlib" and "urls" hold no
 * "auth" and no "rls".  Whole: w must end the word too.  "author" and
 * "authored" are no "auth"; "authorize", "authorisation" are. */
static bool
has_word(const char *c, const char *w, bool whole)
{
	size_t		m = strlen(w);
	const char *p;

	for (p = strstr(c, w); p; p = strstr(p + 1, w))
	{
		size_t		before = (size_t) (p - c);
		bool		start = before == 0 || !is_word_char(p[-1]);

		if (!start && before >= 2 && (strncmp(p - 2, "un", 2) == 0 || strncmp(p - 2, "re", 2) == 0))
			start = before == 2 || !is_word_char(p[-3]);
		if (!start)
			continue;
		if (whole && is_word_char(p[m]))
			continue;
		if (strcmp(w, "auth") == 0 && strncmp(p + m, "or", 2) == 0 &&
			strncmp(p + m, "oriz", 4) != 0 && strncmp(p + m, "oris", 4) != 0)
			continue;
		return true;
	}
	return false;
}

static void
check_comment(struct sfile *f, TSNode n)
{
	size_t		l,
				i;
	const char *t = ntext(f, n, &l);
	char	   *c = pgw_strndup(t, l);
	char	   *ig = strstr(c, "pgwarden:ignore");
	static const char *const marks[] = {"TODO", "FIXME", "HACK", "XXX", NULL};
	static const char *const words[] = {"auth", "session", "permission", "login", "access control",
	"guard", "protect", NULL};
	bool		mark = false,
				word = false;

	if (ig)
	{
		f->ign = pgw_realloc(f->ign, (f->nign + 1) * sizeof(*f->ign));
		f->ign[f->nign].line = (int) ts_node_end_point(n).row + 1;
		f->ign[f->nign].rules = pgw_strdup(ig + strlen("pgwarden:ignore"));
		f->nign++;
		free(c);
		return;
	}
	for (i = 0; marks[i]; i++)
		if (strstr(c, marks[i]))
			mark = true;
	for (i = 0; c[i]; i++)
		c[i] = (char) tolower((unsigned char) c[i]);
	for (i = 0; words[i] && !word; i++)
		if (has_word(c, words[i], false))
			word = true;
	if (has_word(c, "rls", true))
		word = true;
	if (mark && word)
	{
		char	   *first = ndup(f, n, 60);
		char	   *nl = strchr(first, '\n');

		if (nl)
			*nl = '\0';
		report(f, "scan.auth_todo", n, first, "an unfinished piece of auth is noted here: %s", first);
		free(first);
	}
	free(c);
}

static void check_py_call(struct sfile *f, TSNode n, TSNode fn, const char *name, size_t l,
						  TSNode args, const char *s0);

static void
check_call(struct sfile *f, TSNode n)
{
	TSNode		cn = callee_name(n);
	TSNode		fn = ts_node_child_by_field_name(n, "function", 8);
	TSNode		args = call_args(n);
	uint32_t	na = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
	TSNode		a0 = na > 0 ? ts_node_named_child(args, 0) : args;
	TSNode		a1 = na > 1 ? ts_node_named_child(args, 1) : args;
	char	   *s0 = na > 0 ? string_value(f, a0) : NULL;
	size_t		l;
	const char *name;

	if (ts_node_is_null(cn) || ts_node_is_null(fn))
	{
		free(s0);
		return;
	}
	name = ntext(f, cn, &l);
	/* .from('table') */
	if (l == 4 && memcmp(name, "from", 4) == 0 && s0 && na == 1 && type_is(fn, "member_expression") &&
		!ncontains(f, ts_node_child_by_field_name(fn, "object", 6), "Array") &&
		!ncontains(f, ts_node_child_by_field_name(fn, "object", 6), "Buffer"))
	{
		TSPoint		p = ts_node_start_point(n);

		f->uses = pgw_realloc(f->uses, (f->nuses + 1) * sizeof(*f->uses));
		f->uses[f->nuses].table = pgw_strdup(s0);
		f->uses[f->nuses].file = pgw_strdup(f->path);
		f->uses[f->nuses].line = (int) p.row + 1;
		f->uses[f->nuses].column = (int) p.column + 1;
		f->nuses++;
	}
	/* .eq('tenant_id', '<uuid>') */
	if (!f->test && na >= 2 && s0 && has_suffix(s0, "_id") &&
		((l == 2 && memcmp(name, "eq", 2) == 0) || (l == 3 && memcmp(name, "neq", 3) == 0) ||
		 (l == 5 && memcmp(name, "match", 5) == 0) || (l == 6 && memcmp(name, "filter", 6) == 0)))
	{
		TSNode		v = ts_node_named_child(args, na - 1);
		char	   *sv = string_value(f, v);

		if (sv && is_uuid(sv, strlen(sv)))
			report(f, "scan.hardcoded_tenant_id", v, sv,
				   "%s is compared with the literal id '%s'", s0, sv);
		free(sv);
	}
	/* exec_sql */
	if ((l == 3 && memcmp(name, "rpc", 3) == 0 && s0 &&
		 (strcmp(s0, "exec_sql") == 0 || strcmp(s0, "execute_sql") == 0 || strcmp(s0, "run_sql") == 0 ||
		  strcmp(s0, "exec") == 0 || strcmp(s0, "sql") == 0)) ||
		(l == 8 && memcmp(name, "exec_sql", 8) == 0) || (l == 11 && memcmp(name, "execute_sql", 11) == 0))
	{
		report(f, "scan.exec_sql", n, s0 ? s0 : "exec_sql", "%s runs arbitrary SQL",
			   s0 ? s0 : "exec_sql");
		if (na > 0 && has_request_data(f, args))
			report(f, "scan.sql_injection", n, "exec_sql", "SQL sent to %s comes from request data",
				   s0 ? s0 : "exec_sql");
	}
	/* SQL by concatenation in a query call */
	if (na > 0 && type_is(a0, "binary_expression") && ncontains(f, a0, "+") && has_request_data(f, a0))
	{
		size_t		al;
		const char *at = ntext(f, a0, &al);

		if (looks_like_sql(at, al))
			report(f, "scan.sql_injection", a0, "concatenation",
				   "SQL is concatenated with request data");
	}
	/* Express/Fastify routes */
	if (type_is(fn, "member_expression") && na >= 2 && s0 && s0[0] == '/')
	{
		static const char *const verbs[] = {"get", "post", "put", "patch", "delete", "all", NULL};

		if (name_in(name, l, verbs))
		{
			TSNode		last = ts_node_named_child(args, na - 1);
			uint32_t	k;
			bool		mw = false;

			for (k = 1; k + 1 < na; k++)
			{
				struct body_scan bs = {false, false};

				scan_body(f, ts_node_named_child(args, k), &bs);
				if (bs.guard)
					mw = true;
			}
			if (!mw && is_function_node(last))
			{
				char	   *what = pgw_asprintf("%.*s %s handler", (int) l, name, s0);

				for (k = 0; what[k] && what[k] != ' '; k++)
					what[k] = (char) toupper((unsigned char) what[k]);
				check_handler(f, last, n, what);
				free(what);
			}
		}
	}
	/* edge functions: serve(handler) / Deno.serve(handler) */
	if (f->edge && (nis(f, fn, "serve") || nis(f, fn, "Deno.serve")) && na >= 1 &&
		is_function_node(ts_node_named_child(args, na - 1)))
		check_handler(f, ts_node_named_child(args, na - 1), n, "edge function handler");
	/* headers */
	if (s0 && na >= 2 && strcasecmp(s0, "Access-Control-Allow-Origin") == 0)
	{
		char	   *v = string_value(f, a1);

		if (v && strcmp(v, "*") == 0)
		{
			f->acao_star = true;
			f->acao_node = n;
		}
		free(v);
	}
	if (s0 && na >= 2 && strcasecmp(s0, "Access-Control-Allow-Credentials") == 0 &&
		(ncontains(f, a1, "true")))
		f->acac_true = true;
	if (f->lang == L_PY)
		check_py_call(f, n, fn, name, l, args, s0);
	free(s0);
}

/* The value of keyword argument kw in a Python call's argument list, or a
 * null node. */
static TSNode
py_kwarg(const struct sfile *f, TSNode args, const char *kw)
{
	uint32_t	i,
				c = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
	TSNode		none = {{0}, NULL, NULL};

	for (i = 0; i < c; i++)
	{
		TSNode		a = ts_node_named_child(args, i);
		TSNode		k;

		if (!type_is(a, "keyword_argument"))
			continue;
		k = ts_node_child_by_field_name(a, "name", 4);
		if (!ts_node_is_null(k) && nis(f, k, kw))
			return ts_node_child_by_field_name(a, "value", 5);
	}
	return none;
}

/* Python calls: os.getenv('SKIP_AUTH'), CORS middleware with '*' and
 * credentials, jwt.decode(verify=False) (PyJWT 1), and SQL built with
 * "...".format(request data) or % as a call's first argument. */
static void
check_py_call(struct sfile *f, TSNode n, TSNode fn, const char *name, size_t l, TSNode args,
			  const char *s0)
{
	TSNode		v;

	if (s0 && !f->test && (nis(f, fn, "os.getenv") || nis(f, fn, "os.environ.get") ||
						   nis(f, fn, "getenv") || nis(f, fn, "environ.get")) &&
		name_in(s0, strlen(s0), bypass_names))
		report(f, "scan.auth_bypass", n, s0, "%s switches authentication off", s0);
	/* FastAPI/Starlette CORSMiddleware, flask-cors CORS() */
	v = py_kwarg(f, args, "allow_origins");
	if (ts_node_is_null(v))
		v = py_kwarg(f, args, "origins");
	if (!ts_node_is_null(v) && (ncontains(f, v, "\"*\"") || ncontains(f, v, "'*'")))
	{
		TSNode		c = py_kwarg(f, args, "allow_credentials");

		if (ts_node_is_null(c))
			c = py_kwarg(f, args, "supports_credentials");
		if (!ts_node_is_null(c) && nis(f, c, "True"))
			report(f, "scan.cors_wildcard_credentials", n, "cors",
				   "CORS allows origin '*' together with credentials");
	}
	if (l == 6 && memcmp(name, "format", 6) == 0 && type_is(fn, "attribute"))
	{
		TSNode		obj = ts_node_child_by_field_name(fn, "object", 6);
		size_t		sl;
		const char *st;

		if (!ts_node_is_null(obj) && type_is(obj, "string"))
		{
			st = ntext(f, obj, &sl);
			if (looks_like_sql(st, sl) && has_request_data(f, args))
				report(f, "scan.sql_injection", n, "format",
					   "SQL is built from request data with str.format()");
		}
	}
	if (l == 6 && memcmp(name, "decode", 6) == 0 && ncontains(f, fn, "jwt"))
	{
		v = py_kwarg(f, args, "verify");
		if (!ts_node_is_null(v) && nis(f, v, "False"))
			report(f, "scan.jwt_verify_disabled", n, "jwt.decode",
				   "jwt.decode is called with verify=False: the signature is not checked");
	}
}

/* Python SQL built with + or % from request data: "select … " + x,
 * "… where id = %s" % request.args["id"] (anywhere, not only as a call's
 * argument: the string is usually built first and executed later). */
static void
check_py_binary(struct sfile *f, TSNode n)
{
	TSNode		left = ts_node_child_by_field_name(n, "left", 4);
	TSNode		op = ts_node_child_by_field_name(n, "operator", 8);
	TSNode		right = ts_node_child_by_field_name(n, "right", 5);
	TSNode		str,
				other;
	size_t		sl;
	const char *st;

	if (ts_node_is_null(left) || ts_node_is_null(op) || ts_node_is_null(right) ||
		!(nis(f, op, "+") || nis(f, op, "%")))
		return;
	str = type_is(left, "string") ? left : right;
	other = type_is(left, "string") ? right : left;
	if (!type_is(str, "string"))
		return;
	st = ntext(f, str, &sl);
	if (looks_like_sql(st, sl) && has_request_data(f, other))
		report(f, "scan.sql_injection", n, "concatenation",
			   "SQL is built from request data with '%.*s'",
			   (int) (ts_node_end_byte(op) - ts_node_start_byte(op)), f->src + ts_node_start_byte(op));
}

static void
check_pair(struct sfile *f, TSNode n)
{
	TSNode		k = ts_node_child_by_field_name(n, "key", 3);
	TSNode		v = ts_node_child_by_field_name(n, "value", 5);
	char	   *ks;

	if (ts_node_is_null(k) || ts_node_is_null(v))
		return;
	ks = type_is(k, "string") ? string_value(f, k) : ndup(f, k, 80);
	if (!ks)
		return;					/* an f-string key */
	if ((strcmp(ks, "ignoreExpiration") == 0 && nis(f, v, "true")) ||
		(strcmp(ks, "verify_signature") == 0 && (nis(f, v, "false") || nis(f, v, "False"))) ||
		(strcmp(ks, "algorithms") == 0 && (ncontains(f, v, "'none'") || ncontains(f, v, "\"none\""))))
		report(f, "scan.jwt_verify_disabled", n, ks, "JWT verification is weakened: %.*s",
			   (int) (ts_node_end_byte(n) - ts_node_start_byte(n)), f->src + ts_node_start_byte(n));
	if (strcmp(ks, "credentials") == 0 && nis(f, v, "true"))
	{
		/* the object holding this pair: origin '*' or true? */
		TSNode		obj = ts_node_parent(n);
		uint32_t	i;

		for (i = 0; i < ts_node_named_child_count(obj); i++)
		{
			TSNode		p = ts_node_named_child(obj, i);
			TSNode		pk,
						pv;

			if (!type_is(p, "pair"))
				continue;
			pk = ts_node_child_by_field_name(p, "key", 3);
			pv = ts_node_child_by_field_name(p, "value", 5);
			if (!ts_node_is_null(pk) && !ts_node_is_null(pv) && nis(f, pk, "origin") &&
				(nis(f, pv, "'*'") || nis(f, pv, "\"*\"") || nis(f, pv, "true")))
				report(f, "scan.cors_wildcard_credentials", p, "cors",
					   "CORS origin %.*s together with credentials: true",
					   (int) (ts_node_end_byte(pv) - ts_node_start_byte(pv)), f->src + ts_node_start_byte(pv));
		}
	}
	free(ks);
}

static void
check_declaration_name(struct sfile *f, TSNode name)
{
	size_t		l;
	const char *s;

	if (ts_node_is_null(name) || !type_is(name, "identifier"))
		return;
	s = ntext(f, name, &l);
	if (!f->test && name_in(s, l, mock_names))
	{
		char	   *nm = pgw_strndup(s, l);

		report(f, "scan.mock_user", name, nm, "%s is defined in application code", nm);
		free(nm);
	}
}

/* `if (process.env.NODE_ENV !== 'production') return next()` and alike */
static void
check_if(struct sfile *f, TSNode n)
{
	TSNode		cond = ts_node_child_by_field_name(n, "condition", 9);
	TSNode		then = ts_node_child_by_field_name(n, "consequence", 11);

	if (ts_node_is_null(cond) || ts_node_is_null(then) || f->test)
		return;
	if (!(ncontains(f, cond, "NODE_ENV") || ncontains(f, cond, "ENVIRONMENT") || ncontains(f, cond, "APP_ENV") ||
		  ncontains(f, cond, "FLASK_ENV") || ncontains(f, cond, "ENV")))
		return;
	if (!(ncontains(f, cond, "!== 'production'") || ncontains(f, cond, "!== \"production\"") ||
		  ncontains(f, cond, "!= 'production'") || ncontains(f, cond, "!= \"production\"") ||
		  ncontains(f, cond, "=== 'development'") || ncontains(f, cond, "=== \"development\"") ||
		  ncontains(f, cond, "== 'development'") || ncontains(f, cond, "== \"development\"")))
		return;
	if (ncontains(f, then, "next()") || ncontains(f, then, "mockUser") || ncontains(f, then, "fakeUser") ||
		ncontains(f, then, "mock_user") || ncontains(f, then, "fake_user") ||
		ncontains(f, then, "return true") || ncontains(f, then, "return True") || ncontains(f, then, "user ="))
		report(f, "scan.auth_bypass", n, "NODE_ENV bypass",
			   "outside production this skips the auth check");
}

/* The checks of one named node (walk() calls it for each); returns true
 * when it set f->py_params for the node's subtree (walk restores it after). */
static bool
visit(struct sfile *f, TSNode n, enum nkind k)
{
	uint32_t	i;
	bool		restore = false;

	if (k == K_COMMENT)
	{
		check_comment(f, n);
		return false;
	}
	if (k == K_STRING || k == K_TEMPLATE)
	{
		size_t		l;
		const char *s = ntext(f, n, &l);

		check_jwt_literal(f, n);
		check_sql_literal_ids(f, n);
		if (f->client && memmem(s, l, "SUPABASE_SERVICE_ROLE_KEY", 25))
			report(f, "scan.service_key_in_client", n, "SUPABASE_SERVICE_ROLE_KEY",
				   "SUPABASE_SERVICE_ROLE_KEY is named in client code");
		if ((k == K_TEMPLATE || (f->lang == L_PY && ncontains(f, n, "{"))) &&
			looks_like_sql(s, l))
		{
			for (i = 0; i < ts_node_named_child_count(n); i++)
			{
				TSNode		sub = ts_node_named_child(n, i);

				if ((type_is(sub, "template_substitution") || type_is(sub, "interpolation")) &&
					has_request_data(f, sub))
				{
					report(f, "scan.sql_injection", n, "template",
						   "SQL is built with request data in a template/f-string");
					break;
				}
			}
		}
	}
	else if (k == K_CALL)
		check_call(f, n);
	else if (k == K_BINOP)
		check_py_binary(f, n);
	else if (k == K_MEMBER)
	{
		TSNode		obj = ts_node_child_by_field_name(n, "object", 6);
		TSNode		prop = ts_node_child_by_field_name(n, f->lang == L_PY ? "attribute" : "property",
													   f->lang == L_PY ? 9 : 8);

		if (!ts_node_is_null(obj) && !ts_node_is_null(prop))
		{
			if (nis(f, obj, "process.env") || nis(f, obj, "import.meta.env") || nis(f, obj, "os.environ"))
			{
				char	   *nm = ndup(f, prop, 120);

				check_env_name(f, prop, nm);
				free(nm);
			}
			if (f->client && nis(f, prop, "admin") && type_is(obj, "member_expression") &&
				nis(f, ts_node_child_by_field_name(obj, "property", 8), "auth"))
				report(f, "scan.auth_admin_in_client", n, "auth.admin",
					   "auth.admin is used in client code");
		}
	}
	else if (k == K_SUBSCRIPT)
	{
		TSNode		obj = ts_node_child_by_field_name(n, "object", 6);
		TSNode		idx = ts_node_child_by_field_name(n, f->lang == L_PY ? "subscript" : "index",
													  f->lang == L_PY ? 9 : 5);

		if (ts_node_is_null(obj))
			obj = ts_node_child_by_field_name(n, "value", 5);
		if (!ts_node_is_null(obj) && !ts_node_is_null(idx) &&
			(nis(f, obj, "process.env") || nis(f, obj, "os.environ") || nis(f, obj, "Deno.env")))
		{
			char	   *nm = string_value(f, idx);

			if (nm)
				check_env_name(f, idx, nm);
			free(nm);
		}
	}
	else if (k == K_PAIR)
		check_pair(f, n);
	else if (k == K_VARDECL)
		check_declaration_name(f, ts_node_child_by_field_name(n, "name", 4));
	else if (k == K_FUNCDECL)
		check_declaration_name(f, ts_node_child_by_field_name(n, "name", 4));
	else if (k == K_ASSIGN)
		check_declaration_name(f, ts_node_child_by_field_name(n, "left", 4));
	else if (k == K_IDENT)
	{
		size_t		l;
		const char *s = ntext(f, n, &l);

		if (!f->test && name_in(s, l, bypass_names))
		{
			char	   *nm = pgw_strndup(s, l);

			report(f, "scan.auth_bypass", n, nm, "%s switches authentication off", nm);
			free(nm);
		}
	}
	else if (k == K_IF)
		check_if(f, n);
	else if (k == K_EXPORT && f->next_route)
	{
		TSNode		d = ts_node_child_by_field_name(n, "declaration", 11);
		static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", NULL};

		if (!ts_node_is_null(d) && type_is(d, "function_declaration"))
		{
			TSNode		nm = ts_node_child_by_field_name(d, "name", 4);
			size_t		l = 0;
			const char *s = ts_node_is_null(nm) ? "" : ntext(f, nm, &l);

			if (!ts_node_is_null(nm) && name_in(s, l, methods))
			{
				char	   *what = pgw_asprintf("%.*s route handler", (int) l, s);

				check_handler(f, d, nm, what);
				free(what);
			}
		}
		else if (!ts_node_is_null(d) && type_is(d, "lexical_declaration"))
		{
			for (i = 0; i < ts_node_named_child_count(d); i++)
			{
				TSNode		vd = ts_node_named_child(d, i);
				TSNode		nm = ts_node_child_by_field_name(vd, "name", 4);
				TSNode		val = ts_node_child_by_field_name(vd, "value", 5);
				size_t		l;
				const char *s;

				if (ts_node_is_null(nm) || ts_node_is_null(val))
					continue;
				s = ntext(f, nm, &l);
				if (name_in(s, l, methods))
				{
					char	   *what = pgw_asprintf("%.*s route handler", (int) l, s);

					check_handler(f, val, nm, what);
					free(what);
				}
			}
		}
	}
	else if (k == K_DECORATED)
	{
		/* Flask/FastAPI: @app.get("/x") / @app.route("/x") */
		TSNode		def = ts_node_child_by_field_name(n, "definition", 10);
		bool		route = false;
		static const char *const verbs[] = {"route", "get", "post", "put", "delete", "patch",
		"api_route", "websocket", NULL};

		for (i = 0; i < ts_node_named_child_count(n); i++)
		{
			TSNode		d = ts_node_named_child(n, i);
			TSNode		call = type_is(d, "decorator") ? ts_node_named_child(d, 0) : d;
			TSNode		cn,
						args;
			char	   *path;

			if (!type_is(d, "decorator") || ts_node_is_null(call) || !type_is(call, "call"))
				continue;
			cn = callee_name(call);
			args = call_args(call);
			if (ts_node_is_null(cn) || ts_node_is_null(args) || ts_node_named_child_count(args) == 0)
				continue;
			{
				size_t		cl;
				const char *ct = ntext(f, cn, &cl);

				if (!name_in(ct, cl, verbs))
					continue;
			}
			/* @app.get("/items"): the first argument is a path */
			path = string_value(f, ts_node_named_child(args, 0));
			if (path && path[0] == '/')
				route = true;
			free(path);
		}
		if (route && !ts_node_is_null(def) && type_is(def, "function_definition"))
		{
			/* its parameters are request data while its body is visited */
			f->py_params = ts_node_child_by_field_name(def, "parameters", 10);
			restore = true;
		}
		if (route && !ts_node_is_null(def))
		{
			TSNode		nm = ts_node_child_by_field_name(def, "name", 4);
			char	   *fname = ts_node_is_null(nm) ? pgw_strdup("python") : ndup(f, nm, 80);
			char	   *what = pgw_asprintf("%s route handler", fname);

			free(fname);

			check_handler(f, n, ts_node_is_null(nm) ? n : nm, what);
			free(what);
		}
	}
	return restore;
}

#define MAX_DEPTH 400
#define MAX_ROUTE_NEST 16
#define MAX_FUNC_NEST 64

/* The name of a function a helper can be: function f() {}, def f():,
 * const f = () => {}, a method; else a null node. */
static TSNode
helper_candidate(const struct sfile *f, TSNode n, enum nkind k)
{
	TSNode		none = {{0}, NULL, NULL};
	TSNode		name;

	if (k == K_FUNCDECL || k == K_METHOD)
		name = ts_node_child_by_field_name(n, "name", 4);
	else if (k == K_VARDECL)
	{
		TSNode		v = ts_node_child_by_field_name(n, "value", 5);

		if (ts_node_is_null(v) || !is_function_node(v))
			return none;
		name = ts_node_child_by_field_name(n, "name", 4);
	}
	else
		return none;
	return helper_name_ok(f, name) ? name : none;
}

/*
 * Walks the tree once with one cursor, calling visit() for each named node
 * down to MAX_DEPTH.  A Python route's parameters (f->py_params) hold for
 * its subtree: the value before it is saved on entry and put back when the
 * walk leaves the route's node.
 */
static void
walk(struct sfile *f, TSNode root)
{
	TSTreeCursor cur = ts_tree_cursor_new(root);
	struct
	{
		TSNode		node;
		TSNode		saved;
	}			routes[MAX_ROUTE_NEST];
	struct
	{
		TSNode		node;
		TSNode		name;
		bool		guard;
	}			funcs[MAX_FUNC_NEST];
	int			nroutes = 0,
				nfuncs = 0,
				depth = 0;

	for (;;)
	{
		TSNode		n = ts_tree_cursor_current_node(&cur);
		TSNode		saved = f->py_params;
		enum nkind	k = ts_node_is_named(n) ? node_kind(f, n) : K_OTHER;

		/* functions that may be helpers are open while their subtree is
		 * walked; a guard anywhere inside marks every open one */
		if (k == K_FUNCDECL || k == K_METHOD || k == K_VARDECL)
		{
			TSNode		name = helper_candidate(f, n, k);

			if (!ts_node_is_null(name) && nfuncs < MAX_FUNC_NEST)
			{
				funcs[nfuncs].node = n;
				funcs[nfuncs].name = name;
				funcs[nfuncs].guard = false;
				nfuncs++;
			}
		}
		if (nfuncs > 0 && k != K_OTHER && k != K_COMMENT && !funcs[nfuncs - 1].guard)
		{
			struct body_scan bs = {false, false};
			int			i;

			body_node(f, n, k, &bs);
			if (bs.guard)
				for (i = 0; i < nfuncs; i++)
					funcs[i].guard = true;
		}
		if (k != K_OTHER && visit(f, n, k))
		{
			if (nroutes < MAX_ROUTE_NEST)
			{
				routes[nroutes].node = n;
				routes[nroutes].saved = saved;
				nroutes++;
			}
			else
				f->py_params = saved;	/* too deep: not a route's scope */
		}
		if (depth < MAX_DEPTH && ts_tree_cursor_goto_first_child(&cur))
		{
			depth++;
			continue;
		}
		for (;;)
		{
			n = ts_tree_cursor_current_node(&cur);
			if (nroutes > 0 && ts_node_eq(n, routes[nroutes - 1].node))
				f->py_params = routes[--nroutes].saved;
			if (nfuncs > 0 && ts_node_eq(n, funcs[nfuncs - 1].node))
			{
				nfuncs--;
				if (funcs[nfuncs].guard)
					helper_add(f, funcs[nfuncs].name);
			}
			if (ts_tree_cursor_goto_next_sibling(&cur))
				break;
			if (!ts_tree_cursor_goto_parent(&cur))
			{
				ts_tree_cursor_delete(&cur);
				return;
			}
			depth--;
		}
	}
}

static bool
path_has(const char *path, const char *seg)
{
	return strstr(path, seg) != NULL;
}

static void
classify(struct sfile *f)
{
	const char *p = f->path;
	const char *b = strrchr(p, '/');
	char	   *lp = pgw_asprintf("/%s", p);

	b = b ? b + 1 : p;
	f->test = path_has(lp, "/__tests__/") || path_has(lp, "/test/") || path_has(lp, "/tests/") ||
		strstr(b, ".test.") || strstr(b, ".spec.") || strstr(b, ".stories.") || strstr(b, ".story.") ||
		path_has(lp, "/stories/") || path_has(lp, "/__mocks__/") || path_has(lp, "/mocks/") ||
		path_has(lp, "/fixtures/") || path_has(lp, "/e2e/") || path_has(lp, "/cypress/") ||
		strncmp(b, "test_", 5) == 0 || has_suffix(b, "_test.py") || strcmp(b, "conftest.py") == 0;
	f->next_route = (path_has(lp, "/app/") && strncmp(b, "route.", 6) == 0);
	f->pages_api = path_has(lp, "/pages/api/");
	f->edge = path_has(lp, "/supabase/functions/") && !path_has(lp, "/_shared/");
	f->client = f->lang != L_PY &&
		(path_has(lp, "/public/") || path_has(lp, "/components/") ||
		 (path_has(lp, "/app/") && (strncmp(b, "page.", 5) == 0 || strncmp(b, "layout.", 7) == 0)) ||
		 (path_has(lp, "/pages/") && !f->pages_api));
	free(lp);
}

/* A guard for every route of a Python module: a router or app made with an
 * auth dependency (APIRouter(dependencies=[Depends(get_current_user)])), or
 * a Flask before_request / FastAPI middleware hook that checks the user. */
static void
prepass_py(struct sfile *f, TSNode st)
{
	struct body_scan bs = {false, false};

	if (type_is(st, "expression_statement"))
	{
		TSNode		e = ts_node_named_child(st, 0);
		TSNode		v;

		if (ts_node_is_null(e) || !type_is(e, "assignment"))
			return;
		v = ts_node_child_by_field_name(e, "right", 5);
		if (ts_node_is_null(v) || !type_is(v, "call"))
			return;
		{
			TSNode		cn = callee_name(v);

			if (ts_node_is_null(cn) || !(nis(f, cn, "APIRouter") || nis(f, cn, "FastAPI")))
				return;
		}
		scan_body(f, call_args(v), &bs);
	}
	else if (type_is(st, "decorated_definition"))
	{
		uint32_t	i;
		bool		hook = false;

		for (i = 0; i < ts_node_named_child_count(st); i++)
		{
			TSNode		d = ts_node_named_child(st, i);

			if (type_is(d, "decorator") &&
				(ncontains(f, d, ".before_request") || ncontains(f, d, ".middleware(")))
				hook = true;
		}
		if (!hook)
			return;
		scan_body(f, ts_node_child_by_field_name(st, "definition", 10), &bs);
	}
	if (bs.guard)
		f->file_guard = true;
}

static void
prepass(struct sfile *f, TSNode root)
{
	uint32_t	i,
				c = ts_node_named_child_count(root);

	for (i = 0; i < c; i++)
	{
		TSNode		st = ts_node_named_child(root, i);
		TSNode		e;

		if (i < 3 && type_is(st, "expression_statement"))
		{
			e = ts_node_named_child(st, 0);
			if (!ts_node_is_null(e) && type_is(e, "string"))
			{
				if (nis(f, e, "'use client'") || nis(f, e, "\"use client\""))
					f->client = true;
				if (nis(f, e, "'use server'") || nis(f, e, "\"use server\""))
					f->client = false;
			}
		}
		if (f->lang == L_PY)
		{
			prepass_py(f, st);
			continue;
		}
		if (type_is(st, "import_statement") && (ncontains(f, st, "'server-only'") || ncontains(f, st, "\"server-only\"")))
			f->client = false;
		if (type_is(st, "expression_statement"))
		{
			e = ts_node_named_child(st, 0);
			if (!ts_node_is_null(e) && type_is(e, "call_expression"))
			{
				TSNode		cn = callee_name(e);

				if (!ts_node_is_null(cn) && nis(f, cn, "use"))
				{
					struct body_scan bs = {false, false};

					scan_body(f, call_args(e), &bs);
					if (bs.guard)
						f->file_guard = true;
				}
			}
		}
	}
}

/* supabase/config.toml: verify_jwt = false */
static void
scan_toml(struct sfile *f)
{
	const char *p = f->src;
	int			line = 1;
	const char *ls = p;

	for (; p < f->src + f->len; p++)
	{
		if (*p == '\n' || p + 1 == f->src + f->len)
		{
			size_t		n = (size_t) (p - ls) + (*p == '\n' ? 0 : 1);
			char	   *l = pgw_strndup(ls, n);
			char	   *q = l;

			while (*q == ' ' || *q == '\t')
				q++;
			if (strncmp(q, "verify_jwt", 10) == 0 && strstr(q, "false") && !strchr(q, '#'))
			{
				struct pgw_finding *fd;

				fd = findings_add(&f->findings, "scan.jwt_verify_disabled", PGW_SEV_ERROR, "code",
								  "verify_jwt = false: the edge function accepts requests without a valid JWT");
				finding_set_object(&f->findings, fd, "code", NULL, "verify_jwt", NULL);
				finding_set_hint(&f->findings, fd, scan_rule_find("scan.jwt_verify_disabled")->hint);
				finding_set_location(&f->findings, fd, f->path, line, (int) (q - l) + 1);
			}
			free(l);
			line++;
			ls = p + 1;
		}
	}
}

static bool
minified(const char *s, size_t n)
{
	size_t		lines = 1,
				i,
				cur = 0,
				longest = 0;

	for (i = 0; i < n; i++)
	{
		if (s[i] == '\n')
		{
			lines++;
			cur = 0;
		}
		else if (++cur > longest)
			longest = cur;
	}
	return n > 2048 && (longest > 2000 || n / lines > 300);
}

static void
scan_file(struct sfile *f, TSParser **parsers)
{
	char	   *data;
	size_t		len;
	TSTree	   *tree;
	const TSLanguage *lang;

	if (fs_read_file(f->path, &data, &len) != 0)
	{
		pgw_error_clear();
		f->skipped = true;
		return;
	}
	f->src = data;
	f->len = len;
	f->bytes = len;
	classify(f);
	if (f->lang == L_TOML)
	{
		scan_toml(f);
		free(data);
		f->src = NULL;
		return;
	}
	if (len > MAX_FILE_BYTES || minified(data, len))
	{
		f->skipped = true;
		free(data);
		f->src = NULL;
		return;
	}
	lang = language_of(f->lang);
	if (!parsers[f->lang])
	{
		parsers[f->lang] = ts_parser_new();
		ts_parser_set_language(parsers[f->lang], lang);
	}
	tree = ts_parser_parse_string(parsers[f->lang], NULL, data, (uint32_t) len);
	if (tree)
	{
		TSNode		root = ts_tree_root_node(tree);

		/* comments first: pgwarden:ignore applies to what follows */
		if (memmem(data, len, "pgwarden:ignore", 15))
		{
			TSTreeCursor cur = ts_tree_cursor_new(root);
			bool		more = true;

			while (more)
			{
				TSNode		n = ts_tree_cursor_current_node(&cur);

				if (type_is(n, "comment"))
				{
					size_t		l;
					const char *t = ntext(f, n, &l);

					if (memmem(t, l, "pgwarden:ignore", 15))
						check_comment(f, n);
				}
				if (ts_tree_cursor_goto_first_child(&cur))
					continue;
				while (!ts_tree_cursor_goto_next_sibling(&cur))
					if (!ts_tree_cursor_goto_parent(&cur))
					{
						more = false;
						break;
					}
			}
			ts_tree_cursor_delete(&cur);
		}
		prepass(f, root);
		if (f->pages_api && !f->test)
		{
			uint32_t	i;

			for (i = 0; i < ts_node_named_child_count(root); i++)
			{
				TSNode		st = ts_node_named_child(root, i);

				if (type_is(st, "export_statement") && ncontains(f, st, "export default"))
				{
					check_handler(f, root, st, "API route");
					break;
				}
			}
		}
		walk(f, root);
		if (f->acao_star && f->acac_true)
			report(f, "scan.cors_wildcard_credentials", f->acao_node, "cors",
				   "Access-Control-Allow-Origin: * together with Allow-Credentials: true");
		ts_tree_delete(tree);
	}
	free(data);
	f->src = NULL;
}

/* ---------------------------------------------------------------- the run */

struct pool
{
	struct sfile *files;
	size_t		n;
	size_t		next;
	pthread_mutex_t mu;
};

static void *
worker(void *arg)
{
	struct pool *pl = arg;
	TSParser   *parsers[L_TOML + 1] = {NULL};
	size_t		i;

	for (;;)
	{
		size_t		k;

		pthread_mutex_lock(&pl->mu);
		k = pl->next++;
		pthread_mutex_unlock(&pl->mu);
		if (k >= pl->n)
			break;
		scan_file(&pl->files[k], parsers);
	}
	for (i = 0; i <= L_TOML; i++)
		if (parsers[i])
			ts_parser_delete(parsers[i]);
	return NULL;
}

/* Whether fd is a route finding whose handler calls a helper that checks
 * the user. */
static bool
guarded_by_helper(const struct sfile *f, const struct pgw_finding *fd, const struct pgw_strlist *helpers)
{
	size_t		i,
				k;

	if (strcmp(fd->rule, "scan.route_without_auth") != 0)
		return false;
	for (i = 0; i < f->nrcalls; i++)
		if (f->rcalls[i].line == fd->line && f->rcalls[i].column == fd->column)
			for (k = 0; k < f->rcalls[i].calls.n; k++)
				if (strlist_contains(helpers, f->rcalls[i].calls.items[k]))
					return true;
	return false;
}

int
scan_run(const struct pgw_strlist *paths, const struct pgw_scan_options *opts,
		 struct pgw_scan_result *res)
{
	struct pgw_strlist files = {NULL, 0};
	struct pgw_strlist helpers = {NULL, 0};
	struct pool pl;
	pthread_t  *th;
	int			jobs = opts->jobs < 1 ? 1 : opts->jobs;
	int			started = 0,
				k;
	size_t		i,
				j;

	memset(res, 0, sizeof(*res));
	findings_init(&res->findings);
	pthread_once(&kind_once, kind_tables_build);
	for (i = 0; i < paths->n; i++)
	{
		const char *p = paths->items[i];
		struct stat st;

		if (stat(p, &st) != 0)
		{
			strlist_release(&files);
			pgw_error(PGW_ERR_INPUT, "'%s' does not exist", p);
			return -1;
		}
		if (S_ISDIR(st.st_mode))
		{
			struct ignore_set *sets = NULL;
			size_t		nsets = 0;
			char	   *root = pgw_strdup(p);
			size_t		rl = strlen(root);

			while (rl > 1 && root[rl - 1] == '/')
				root[--rl] = '\0';
			walk_dir(root, "", &sets, &nsets, &files);
			free(sets);
			free(root);
		}
		else if (lang_of(p) != L_NONE)
			strlist_add(&files, p);
		else
		{
			strlist_release(&files);
			pgw_error(PGW_ERR_INPUT, "'%s' is not a file pgwarden scan reads", p);
			pgw_error_hint("scan reads .js .jsx .mjs .cjs .ts .tsx .mts .cts .py and supabase/config.toml");
			return -1;
		}
	}
	pl.files = pgw_calloc(files.n ? files.n : 1, sizeof(*pl.files));
	pl.n = files.n;
	pl.next = 0;
	pthread_mutex_init(&pl.mu, NULL);
	for (i = 0; i < files.n; i++)
	{
		pl.files[i].opts = opts;
		pl.files[i].path = files.items[i];
		pl.files[i].lang = lang_of(files.items[i]);
		findings_init(&pl.files[i].findings);
	}
	if ((size_t) jobs > files.n)
		jobs = files.n ? (int) files.n : 1;
	th = pgw_calloc((size_t) jobs, sizeof(*th));
	for (k = 1; k < jobs; k++)
		if (pthread_create(&th[k], NULL, worker, &pl) == 0)
			started = k;
		else
			break;
	worker(&pl);
	for (k = 1; k <= started; k++)
		pthread_join(th[k], NULL);
	free(th);
	pthread_mutex_destroy(&pl.mu);

	/* helpers that check the user, from every file: a route calling one is
	 * guarded after all */
	for (i = 0; i < files.n; i++)
		for (j = 0; j < pl.files[i].helpers.n; j++)
			if (!strlist_contains(&helpers, pl.files[i].helpers.items[j]))
				strlist_add(&helpers, pl.files[i].helpers.items[j]);
	for (i = 0; i < files.n; i++)
	{
		struct sfile *f = &pl.files[i];

		res->nfiles++;
		res->nbytes += f->bytes;
		if (f->skipped)
			res->nskipped++;
		res->nsuppressed_inline += f->nsuppressed;
		findings_sort_by_location(&f->findings);
		for (j = 0; j < f->findings.n; j++)
			if (!guarded_by_helper(f, &f->findings.items[j], &helpers))
				findings_copy(&res->findings, &f->findings.items[j]);
		findings_release(&f->findings);
		for (j = 0; j < f->nrcalls; j++)
			strlist_release(&f->rcalls[j].calls);
		free(f->rcalls);
		strlist_release(&f->helpers);
		for (j = 0; j < f->nign; j++)
			free(f->ign[j].rules);
		free(f->ign);
		if (f->nuses)
		{
			res->uses = pgw_realloc(res->uses, (res->nuses + f->nuses) * sizeof(*res->uses));
			memcpy(res->uses + res->nuses, f->uses, f->nuses * sizeof(*f->uses));
			res->nuses += f->nuses;
		}
		free(f->uses);
	}
	free(pl.files);
	strlist_release(&files);
	strlist_release(&helpers);
	return 0;
}

void
scan_result_release(struct pgw_scan_result *res)
{
	size_t		i;

	findings_release(&res->findings);
	for (i = 0; i < res->nuses; i++)
	{
		free(res->uses[i].table);
		free(res->uses[i].file);
	}
	free(res->uses);
	memset(res, 0, sizeof(*res));
}
