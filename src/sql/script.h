/*
 * script.h — an SQL file understood: statements with their places, inline
 * COPY data, comments, parse trees, and what each statement does.
 *
 * The one entry point most callers need:
 *
 *     struct pgw_sql_file f;      (sql/file.h: read and checked bytes)
 *     struct pgw_sql_script s;
 *     sqlfile_read(path, &f);
 *     sql_script_load(&s, &f);    split + parse + classify
 *     if (s.ndiags > 0) ... the file has errors (positions in s.diags)
 *     for each s.stmts[i]:
 *         text    f.text + stmt.start, stmt.end - stmt.start bytes
 *         place   stmt.line / stmt.column (1-based; column in characters)
 *         COPY    stmt.copy_stdin: the data is f.text + copy_start,
 *                 copy_len bytes, without the "\." line — send it with
 *                 PQputCopyData after the statement
 *         tx      stmt.info.no_transaction: cannot run inside a
 *                 transaction block (CONCURRENTLY, VACUUM, ...);
 *                 stmt.info.tx: BEGIN/COMMIT/... written in the file
 *         locks   stmt.info.objects[]: kind, schema, name, action
 *                 (created, altered, dropped, referenced) and lock mode
 *     sql_script_release(&s); sqlfile_release(&f);
 * For the migration runner: sql_script_needs_no_transaction() names the
 * first statement that cannot run inside a transaction block, and
 * sql_script_can_wrap() says whether the whole file can run as one
 * transaction (no such statement and no BEGIN/COMMIT of its own) — the rule
 * `pgwarden lint --transaction auto` assumes the runner follows.  COPY data
 * is kept byte for byte (CRLF included: COPY's text format accepts it).
 * Call sql_library_exit() once at process end (main does); the memory of
 * other threads that parsed is freed by libpg_query when they end.
 *
 * Stages, usable separately: sql_script_split (tokens from pg_query_scan,
 * our own boundaries), sql_script_parse (pg_query_parse_protobuf, syntax
 * errors, PL/pgSQL bodies through pg_query_parse_plpgsql), and
 * sql_script_classify.
 *
 * Ownership: the script borrows the file (keep it alive); everything else —
 * statements, diagnostics, the unpacked protobuf parse trees (stmt.node
 * points into them) and classification strings — belongs to the script and
 * goes with sql_script_release().  libpg_query's own result structs never
 * outlive the function that called the library.
 *
 * Errors in the SQL are diagnostics (s.diags, ordered by offset), never a
 * crash or a silently shortened file: splitting stops at the first thing the
 * scanner cannot tokenise (an unterminated quote, comment or dollar quote)
 * and says so; syntax errors are collected per statement.
 *
 * Big files: the scanner runs over windows of at most 4 MB and the parser
 * over runs of statements of about 4 MB, so the library's temporary output
 * stays bounded; the trees kept are the script's.  A 100 MB file of
 * migrations lints in about 15 s with 1.5 GB of memory here.
 */
#ifndef PGW_SQL_SCRIPT_H
#define PGW_SQL_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

#include "sql/file.h"
#include "sql/tokens.h"
#include "util/mem.h"

/* PostgreSQL's table lock modes, weakest first (the order matters: a
 * statement's strongest lock is the maximum). */
enum pgw_lockmode
{
	PGW_LOCK_NONE = 0,
	PGW_LOCK_ACCESS_SHARE,
	PGW_LOCK_ROW_SHARE,
	PGW_LOCK_ROW_EXCLUSIVE,
	PGW_LOCK_SHARE_UPDATE_EXCLUSIVE,
	PGW_LOCK_SHARE,
	PGW_LOCK_SHARE_ROW_EXCLUSIVE,
	PGW_LOCK_EXCLUSIVE,
	PGW_LOCK_ACCESS_EXCLUSIVE
};

enum pgw_objaction
{
	PGW_OBJ_CREATE,
	PGW_OBJ_ALTER,
	PGW_OBJ_DROP,
	PGW_OBJ_REFERENCE
};

/* Transaction control written in the file. */
enum pgw_txcontrol
{
	PGW_TX_NONE = 0,
	PGW_TX_BEGIN,				/* BEGIN, START TRANSACTION */
	PGW_TX_COMMIT,				/* COMMIT, END */
	PGW_TX_ROLLBACK,			/* ROLLBACK, ABORT */
	PGW_TX_SAVEPOINT,			/* SAVEPOINT, RELEASE, ROLLBACK TO */
	PGW_TX_PREPARED				/* PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED */
};

struct pgw_sql_object
{
	enum pgw_objaction action;
	const char *kind;			/* "table", "index", "function", "type", ... */
	const char *schema;			/* NULL when not written */
	const char *name;
	enum pgw_lockmode lock;		/* on this relation; NONE for non-relations */
};

struct pgw_sql_info
{
	const char *tag;			/* "CREATE INDEX", "ALTER TABLE", ... */
	bool		no_transaction; /* cannot run inside a transaction block */
	const char *no_transaction_why; /* e.g. "CREATE INDEX CONCURRENTLY" */
	enum pgw_txcontrol tx;
	bool		ddl;			/* changes the schema */
	bool		rewrites;		/* may rewrite a whole table */
	bool		scans;			/* reads a whole table under its lock */
	enum pgw_lockmode lock;		/* strongest lock taken on any relation */
	struct pgw_sql_object *objects;
	size_t		nobjects;
};

struct pgw_sql_stmt
{
	size_t		start;			/* first byte of the first token */
	size_t		end;			/* one past the ';' (or the last token) */
	int			line;			/* of start, 1-based */
	int			column;			/* of start, 1-based, in characters */
	bool		terminated;		/* ended with ';' */

	/* COPY ... FROM STDIN: the inline data after it, up to the "\." line */
	bool		copy_stdin;
	size_t		copy_start;
	size_t		copy_len;
	int			copy_line;

	/* what the scanner saw (filled by sql_script_split) */
	int			first_token;	/* PgQuery__Token of the first token */
	bool		has_into;		/* an INTO token (SELECT ... INTO) */
	bool		has_conflict;	/* a CONFLICT token (ON CONFLICT) */

	/* filled by sql_script_parse */
	PgQuery__Node *node;		/* NULL when the statement did not parse, or
								 * its tree is deferred (use sql_script_tree) */
	bool		syntax_error;
	bool		deferred;		/* syntax checked; tree built on request */
	size_t		loc_base;		/* add to a node's location for a file offset */

	/* filled by sql_script_classify */
	struct pgw_sql_info info;
};

struct pgw_sql_comment
{
	size_t		start;
	size_t		end;
	int			line;
	bool		own_line;		/* nothing but whitespace before it on its line */
};

/* A span of the file: an identifier the scanner truncates, ... */
struct pgw_sql_span
{
	size_t		start;
	size_t		end;
};

struct pgw_sql_script
{
	const struct pgw_sql_file *file;
	struct pgw_sql_stmt *stmts;
	size_t		nstmts;
	struct pgw_sql_comment *comments;
	size_t		ncomments;
	struct pgw_sql_diag *diags;
	size_t		ndiags;
	bool		split_stopped;	/* the scanner stopped before the end */
	bool		defer_data;		/* set before sql_script_parse: see
								 * PGW_SQL_DEFER_DATA */
	/* identifiers longer than 63 bytes: PostgreSQL's scanner truncates them,
	 * so the parse tree never shows them; the splitter sees the tokens */
	struct pgw_sql_span *long_idents;
	size_t		nlong_idents;

	/* private */
	size_t		cap_stmts;
	size_t		cap_comments;
	size_t		cap_diags;
	size_t		cap_long_idents;
	struct pgw_sql_pool pool;	/* the unpacked parse trees */
	struct pgw_arena arena;
};

void		sql_script_init(struct pgw_sql_script *s, const struct pgw_sql_file *f);
void		sql_script_release(struct pgw_sql_script *s);

/* Split + parse + classify.  Returns the number of diagnostics (0: clean).
 * A file whose bytes were refused (f->bad) gets that one diagnostic. */
size_t		sql_script_load(struct pgw_sql_script *s, const struct pgw_sql_file *f);

/*
 * PGW_SQL_DEFER_DATA: statements that only move data (INSERT, SELECT, VALUES,
 * TABLE, COPY, EXPLAIN, SHOW) are syntax-checked by the parser but get no
 * parse tree until sql_script_tree() asks for one: serializing the tree of
 * a big INSERT costs several times what parsing it does, and lint rarely
 * needs it.  Their info then holds only the tag.  The runner wants every
 * tree and loads without flags.
 */
#define PGW_SQL_DEFER_DATA	0x01
size_t		sql_script_load_flags(struct pgw_sql_script *s, const struct pgw_sql_file *f,
								  unsigned flags);

/* The parse tree of statement i, building a deferred one now (and
 * classifying it).  NULL when the statement does not parse. */
const PgQuery__Node *sql_script_tree(struct pgw_sql_script *s, size_t i);

/* Statement boundaries, COPY data, comments; scanner and psql-meta-command
 * diagnostics.  Call once after sql_script_init. */
void		sql_script_split(struct pgw_sql_script *s);

/* Parse trees and syntax diagnostics for every statement; PL/pgSQL bodies
 * of functions and DO blocks are compiled too. */
void		sql_script_parse(struct pgw_sql_script *s);

/* Fills every statement's info from its parse tree. */
void		sql_script_classify(struct pgw_sql_script *s);
void		sql_script_classify_one(struct pgw_sql_script *s, struct pgw_sql_stmt *st);

/* The first statement that cannot run inside a transaction block, or NULL:
 * when NULL the whole file can run in one transaction. */
const struct pgw_sql_stmt *sql_script_needs_no_transaction(const struct pgw_sql_script *s);

/* Adds a diagnostic at a byte offset (kept ordered by offset). */
void		sql_script_diag(struct pgw_sql_script *s, size_t offset, const char *hint,
							const char *fmt,...) __attribute__((format(printf, 4, 5)));

/* Whether the whole file can run as one transaction: no statement that
 * cannot, and no transaction control (BEGIN, COMMIT, ...) of its own. */
bool		sql_script_can_wrap(const struct pgw_sql_script *s);

/* Frees libpg_query's memory (pg_query_exit) if any script was made: call
 * once at process end, on the main thread, never from a thread. */
void		sql_library_exit(void);
/* Called before every libpg_query call (internal to src/sql). */
void		sql_library_mark_used(void);

const char *sql_lockmode_name(enum pgw_lockmode m);
const char *sql_objaction_name(enum pgw_objaction a);

#endif
