/*
 * model.h — the schema model: every object of a database that pgwarden
 * reasons about, as plain structs.
 *
 * Who fills it: catalog/catalog.c (from a live server) and
 * model/snapshot.c (from a snapshot file).  Who reads it: inspect, and every
 * later command (validate, doctor, diff, test-migration, gen types).
 *
 * Every object kind starts with the common header struct pgw_object (kind,
 * oid, schema, name, dependencies, managed), so code that walks "all
 * objects" can treat them alike.  Sub-objects (columns, constraints,
 * indexes, policies, triggers) hang off their relation and carry the same
 * header; their schema is the relation's.
 *
 * Memory: one arena per model holds every object and string; vectors hold
 * pointers into it and are freed by model_release.  Nothing in a model is
 * freed on its own.
 *
 * Order: after model_sort() (both readers call it) every list is in
 * canonical order — schema, then name (functions: name, then identity
 * arguments); columns keep their table position; grants by grantee then
 * privilege; dependencies by kind, schema, name.  The snapshot writer relies
 * on it to produce byte-identical output for identical schemas.
 */
#ifndef PGW_MODEL_H
#define PGW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

enum pgw_kind
{
	PGW_KIND_SCHEMA,
	PGW_KIND_EXTENSION,
	PGW_KIND_ENUM,
	PGW_KIND_DOMAIN,
	PGW_KIND_COMPOSITE,
	PGW_KIND_SEQUENCE,
	PGW_KIND_TABLE,
	PGW_KIND_VIEW,
	PGW_KIND_FUNCTION,
	PGW_KIND_COLUMN,
	PGW_KIND_CONSTRAINT,
	PGW_KIND_INDEX,
	PGW_KIND_POLICY,
	PGW_KIND_TRIGGER,
	PGW_KIND_PUBLICATION,		/* database-wide: schema is NULL */
	PGW_KIND_EVENT_TRIGGER,		/* database-wide: schema is NULL */
	PGW_KIND_DEFAULT_ACL,		/* name: the role; schema: NULL for global */
	PGW_KIND__COUNT
};

/* "schema", "table", ... (the snapshot's spelling). */
const char *model_kind_name(enum pgw_kind kind);
/* The kind spelled name, or -1. */
int			model_kind_parse(const char *name);

/* A growable array of pointers.  Its storage comes from an arena (grown
 * geometrically; the old block stays in the arena until it is released), so
 * a model frees all its vectors at once. */
struct pgw_vec
{
	void	  **items;
	size_t		n;
	size_t		cap;
};

void		vec_push(struct pgw_arena *a, struct pgw_vec *v, void *item);
/* cmp gets pointers to elements, i.e. (T **) */
void		vec_sort(struct pgw_vec *v, int (*cmp) (const void *, const void *));

/* A reference to another object by name (oids do not survive a snapshot).
 * For functions, name is "name(identity arguments)". */
struct pgw_ref
{
	enum pgw_kind kind;
	const char *schema;
	const char *name;
};

/* The common header. */
struct pgw_object
{
	enum pgw_kind kind;
	uint32_t	oid;			/* 0 when loaded from a snapshot */
	const char *schema;
	const char *name;
	struct pgw_vec deps;		/* struct pgw_ref *: what this object needs */
	bool		managed;		/* in a managed schema (see catalog.h) */
};

/* One privilege granted to one role (or "public"). */
struct pgw_grant
{
	const char *grantee;
	const char *privilege;		/* SELECT, INSERT, USAGE, EXECUTE, ... */
	bool		grantable;
};

struct pgw_schema
{
	struct pgw_object obj;
	const char *owner;
	const char *comment;
	struct pgw_vec grants;
};

struct pgw_extension
{
	struct pgw_object obj;		/* schema: where its objects live */
	const char *version;
};

/* Enums, domains and composite types. */
struct pgw_type
{
	struct pgw_object obj;
	const char *owner;
	const char *comment;
	/* enum */
	struct pgw_vec labels;		/* char *, in sort order */
	/* domain */
	const char *base_type;		/* format_type() spelling */
	bool		not_null;
	const char *default_expr;
	const char *collation;
	struct pgw_vec constraints; /* struct pgw_constraint * (CHECK) */
	/* composite */
	uint32_t	relid;			/* pg_class oid of the composite's row */
	struct pgw_vec attributes;	/* struct pgw_column * */
};

struct pgw_sequence
{
	struct pgw_object obj;
	const char *owner;
	const char *comment;
	const char *data_type;
	int64_t		start;
	int64_t		increment;
	int64_t		min;
	int64_t		max;
	int64_t		cache;
	bool		cycle;
	const char *owned_by_schema;	/* OWNED BY, or NULL */
	const char *owned_by_table;
	const char *owned_by_column;
	struct pgw_vec grants;
};

struct pgw_column
{
	struct pgw_object obj;		/* schema = the relation's */
	int			attnum;			/* position in the catalog; not in snapshots */
	const char *type;			/* format_type(): "character varying(40)[]" */
	bool		not_null;
	const char *default_expr;	/* NULL when none; generated: the expression */
	char		identity;		/* 0, 'a' (ALWAYS) or 'd' (BY DEFAULT) */
	bool		generated;		/* GENERATED ALWAYS AS (default_expr) STORED */
	const char *collation;		/* only when not the type's default */
	const char *comment;
	struct pgw_vec grants;		/* column privileges */
};

enum pgw_contype
{
	PGW_CON_PRIMARY = 'p',
	PGW_CON_UNIQUE = 'u',
	PGW_CON_CHECK = 'c',
	PGW_CON_EXCLUSION = 'x',
	PGW_CON_FOREIGN = 'f'
};

struct pgw_constraint
{
	struct pgw_object obj;
	char		type;			/* enum pgw_contype */
	const char *definition;		/* pg_get_constraintdef() */
	struct pgw_vec columns;		/* char * */
	/* foreign keys */
	const char *ref_schema;
	const char *ref_table;
	struct pgw_vec ref_columns; /* char * */
	char		on_update;		/* a r c n d, as pg_constraint spells them */
	char		on_delete;
	char		match;			/* f p s */
	bool		deferrable;
	bool		deferred;
	bool		validated;
	bool		inherited;		/* comes from a parent (partitions) */
	const char *index;			/* PK/UNIQUE/EXCLUDE: the index behind it */
	const char *comment;
};

struct pgw_index
{
	struct pgw_object obj;
	const char *method;			/* btree, gin, ... */
	struct pgw_vec keys;		/* char *: column name or expression text */
	struct pgw_vec include;		/* char *: INCLUDE columns */
	const char *predicate;		/* WHERE ..., or NULL */
	bool		unique;
	bool		primary;
	bool		exclusion;
	bool		valid;
	bool		ready;
	const char *constraint;		/* the constraint it backs, or NULL */
	const char *parent;			/* partitions: the parent table's index it is
								 * attached to (created with it), or NULL */
	const char *definition;		/* pg_get_indexdef() */
	const char *comment;
};

struct pgw_policy
{
	struct pgw_object obj;
	char		command;		/* r a w d *: SELECT INSERT UPDATE DELETE ALL */
	bool		permissive;
	struct pgw_vec roles;		/* char *, "public" for PUBLIC */
	const char *using_expr;
	const char *check_expr;
};

struct pgw_trigger
{
	struct pgw_object obj;
	const char *timing;			/* BEFORE, AFTER, INSTEAD OF */
	struct pgw_vec events;		/* char *: INSERT UPDATE DELETE TRUNCATE */
	struct pgw_vec columns;		/* char *: UPDATE OF columns */
	bool		row_level;
	const char *function_schema;
	const char *function_name;
	const char *when_expr;
	char		enabled;		/* O (origin) D (disabled) R (replica) A (always) */
	bool		is_constraint;
	const char *definition;		/* pg_get_triggerdef() */
	const char *comment;
};

/* Tables, partitioned tables, partitions, foreign tables, views and
 * materialized views: everything that has columns and lives in pg_class. */
struct pgw_relation
{
	struct pgw_object obj;		/* kind TABLE or VIEW */
	char		relkind;		/* r p f v m */
	const char *owner;
	const char *comment;
	bool		unlogged;
	/* tables */
	bool		rls_enabled;
	bool		rls_forced;
	const char *partition_key;	/* partitioned: pg_get_partkeydef() */
	const char *parent_schema;	/* partitions: the parent */
	const char *parent_name;
	const char *partition_bound;	/* FOR VALUES ... */
	/* views */
	const char *definition;		/* pg_get_viewdef() */
	bool		security_invoker;
	bool		security_barrier;
	const char *check_option;	/* local, cascaded, or NULL */
	bool		populated;		/* materialized views */
	struct pgw_vec options;		/* char *: reloptions as "key=value" */
	bool		readable;		/* the reading role may SELECT from it */
	bool		updatable;		/* views: automatically updatable (UPDATE and
								 * DELETE, pg_relation_is_updatable) */

	struct pgw_vec columns;		/* struct pgw_column *, in table order */
	struct pgw_vec constraints;
	struct pgw_vec indexes;
	struct pgw_vec policies;
	struct pgw_vec triggers;
	struct pgw_vec grants;

	/* statistics (absent from --stable snapshots) */
	bool		has_stats;
	int64_t		estimated_rows; /* -1: never analyzed */
	int64_t		total_bytes;
	int64_t		table_bytes;
	int64_t		index_bytes;
	int64_t		toast_bytes;
	/* with --exact */
	bool		has_exact;
	int64_t		exact_rows;
	bool		has_tenant;		/* it has the tenant column */
	int64_t		tenant_rows;	/* rows with a non-NULL tenant value */
};

struct pgw_function
{
	struct pgw_object obj;		/* name: the function's name alone */
	const char *identity_args;	/* pg_get_function_identity_arguments() */
	const char *arguments;		/* pg_get_function_arguments() (with OUT
								 * arguments and DEFAULTs) when it differs
								 * from identity_args, else NULL */
	const char *result;			/* NULL for procedures */
	char		prokind;		/* f p a w */
	const char *language;
	char		volatility;		/* i s v */
	bool		strict;
	bool		security_definer;
	bool		leakproof;
	char		parallel;		/* s r u */
	struct pgw_vec config;		/* char *: proconfig, "search_path=..." */
	const char *definition;		/* pg_get_functiondef(); aggregates: a CREATE
								 * AGGREGATE built from pg_aggregate (plain
								 * aggregates only, else NULL) */
	const char *owner;
	const char *comment;
	struct pgw_vec grants;
};

/*
 * A publication (logical replication; Supabase Realtime's
 * supabase_realtime).  Database-wide: obj.schema is NULL.  Its tables are
 * listed whatever their schema; the diff only adds or removes tables of the
 * managed schemas, and creates or drops the publication itself.
 */
struct pgw_publication_table
{
	const char *schema;
	const char *name;
	struct pgw_vec columns;		/* char *: column list (PG 15), empty: all */
	const char *where_expr;		/* row filter (PG 15), or NULL */
};

struct pgw_publication
{
	struct pgw_object obj;		/* managed: see catalog.c (always, for now) */
	const char *owner;
	bool		all_tables;		/* FOR ALL TABLES */
	bool		via_root;		/* publish_via_partition_root */
	struct pgw_vec publish;		/* char *: insert update delete truncate */
	struct pgw_vec tables;		/* struct pgw_publication_table *, by schema, name */
	struct pgw_vec schemas;		/* char *: FOR TABLES IN SCHEMA (PG 15) */
	const char *comment;
};

/* An event trigger.  Database-wide: obj.schema is NULL; managed when its
 * function lives in a managed schema (the app made it). */
struct pgw_event_trigger
{
	struct pgw_object obj;
	const char *event;			/* ddl_command_start, ddl_command_end, ... */
	struct pgw_vec tags;		/* char *: WHEN TAG IN (...) */
	const char *function_schema;
	const char *function_name;
	char		enabled;		/* O D R A, as pg_event_trigger spells it */
	const char *owner;
	const char *comment;
};

/*
 * Default privileges (pg_default_acl): what role obj.name's new objects of
 * one type get, in schema obj.schema or (NULL) everywhere.  grants are the
 * entry's ACL without the role's own; a global entry replaces PostgreSQL's
 * built-in default (EXECUTE / USAGE to PUBLIC for functions / types), a
 * schema entry adds to it.  Managed when the schema is managed, and global
 * entries always.
 */
struct pgw_default_acl
{
	struct pgw_object obj;
	char		objtype;		/* r tables, S sequences, f functions, T types, n schemas */
	struct pgw_vec grants;
};

/* Facts about where the model came from. */
struct pgw_model_source
{
	const char *database;
	const char *server_version;
	int			server_version_num;
	const char *user;
	const char *captured_at;	/* ISO 8601, UTC */
	const char *tenant_column;	/* the config's, used for coverage */
	bool		exact;			/* --exact statistics present */
	bool		lean;			/* a lean read (catalog.h): only what gen types
								 * needs; never written as a snapshot */
};

struct pgw_model
{
	struct pgw_arena arena;
	struct pgw_model_source source;
	struct pgw_vec schemas;		/* struct pgw_schema * */
	struct pgw_vec extensions;
	struct pgw_vec types;		/* enums, domains, composites */
	struct pgw_vec sequences;
	struct pgw_vec relations;	/* tables and views */
	struct pgw_vec functions;
	struct pgw_vec publications;	/* struct pgw_publication *, by name */
	struct pgw_vec event_triggers;	/* struct pgw_event_trigger *, by name */
	struct pgw_vec default_acls;	/* struct pgw_default_acl *: role, schema, type */
	/* lookups for the catalog reader */
	struct pgw_oidmap *byoid;	/* (catalog, oid) → object */
	struct pgw_oidmap *bytypmod;	/* (type oid, typmod) → format_type() */
};

void		model_init(struct pgw_model *m);
void		model_release(struct pgw_model *m);

/* Appends item to a vector of this model. */
void		model_push(struct pgw_model *m, struct pgw_vec *v, void *item);

/* Arena helpers: a zeroed object of the given kind with its header set. */
void	   *model_new_object(struct pgw_model *m, size_t size, enum pgw_kind kind,
							 const char *schema, const char *name);
const char *model_strdup(struct pgw_model *m, const char *s);

/* Puts every list into canonical order (see the file header). */
void		model_sort(struct pgw_model *m);

/* Adds a dependency of obj on (kind, schema, name), once. */
void		model_add_dep(struct pgw_model *m, struct pgw_object *obj,
						  enum pgw_kind kind, const char *schema, const char *name);

/* A relation's column by name (linear; NULL when absent). */
struct pgw_column *model_find_column(const struct pgw_relation *rel, const char *name);

/*
 * oid → object map (catalog reader).  Oids are unique per catalog, not across
 * catalogs, so the key includes the catalog.
 */
enum pgw_oidclass
{
	PGW_OC_RELATION = 1,		/* pg_class: tables, views, sequences, indexes */
	PGW_OC_TYPE,				/* pg_type */
	PGW_OC_FUNCTION,			/* pg_proc */
	PGW_OC_SCHEMA				/* pg_namespace */
};
void		model_map_put(struct pgw_model *m, enum pgw_oidclass cls, uint32_t oid, void *obj);
void	   *model_map_get(const struct pgw_model *m, enum pgw_oidclass cls, uint32_t oid);
/* format_type(typid, typmod), read once per distinct pair (catalog reader). */
void		model_type_name_put(struct pgw_model *m, uint32_t typid, int32_t typmod, const char *name);
const char *model_type_name_get(const struct pgw_model *m, uint32_t typid, int32_t typmod);

/* Counts by kind, sub-objects included (for summaries); managed_only
 * leaves out context objects (extensions are always counted). */
void		model_count(const struct pgw_model *m, size_t counts[PGW_KIND__COUNT], bool managed_only);

/* The display name of a function: name(identity args) (arena string). */
const char *model_function_signature(struct pgw_model *m, const struct pgw_function *f);

#endif
