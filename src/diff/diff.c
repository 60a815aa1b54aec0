/*
 * diff.c — the diff engine: matches the managed objects of two models,
 * decides what has to change, writes the SQL for it, and orders the result
 * (see diff.h for the phases and the contract).
 *
 * How objects are matched: by kind class and qualified name (functions by
 * name and identity arguments; tables and views share one class so a table
 * that became a view is a drop and a create); --rename hints make an old
 * name match a new one and add a RENAME.  Equality of sub-objects
 * (columns, constraints, indexes, policies, triggers) is decided on their
 * snapshot fields, so "no change" here means "the same inspect --stable".
 *
 * Recreation: a view whose definition changed, a function whose signature
 * or result changed, or an enum/domain that cannot be altered in place is
 * dropped and created again; every view and function that depends on it
 * (the FROM model's pg_depend edges, transitively) is recreated with it, and
 * so are the triggers, policies, checks, defaults and indexes of tables that
 * mention it.  Recreated objects get back everything the TO model gives
 * them: options (security_invoker, security_barrier, check option), indexes,
 * triggers, grants and comments.
 *
 * Statements name identifiers only through sql/quote.h.  Expressions,
 * definitions and type names come from the server's own deparsers
 * (pg_get_expr, pg_get_viewdef, pg_get_functiondef, format_type) as the
 * model holds them.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff.h"
#include "sql/quote.h"
#include "util/error.h"

/* ---- a string-keyed hash map (keys and values live elsewhere) ---- */

struct smap
{
	const char **keys;
	void	  **vals;
	size_t		cap;
	size_t		n;
};

static uint64_t
str_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char) *s) * 1099511628211ULL;
	return h;
}

static void smap_put(struct smap *m, const char *key, void *val);

static void
smap_grow(struct smap *m)
{
	struct smap bigger = {0};

	bigger.cap = m->cap ? m->cap * 2 : 64;
	bigger.keys = pgw_calloc(bigger.cap, sizeof(char *));
	bigger.vals = pgw_calloc(bigger.cap, sizeof(void *));
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			smap_put(&bigger, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = bigger;
}

static void
smap_put(struct smap *m, const char *key, void *val)
{
	size_t		i;

	if ((m->n + 1) * 2 > m->cap)
		smap_grow(m);
	for (i = str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
		{
			m->vals[i] = val;
			return;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
}

static void *
smap_get(const struct smap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return NULL;
}

static void
smap_release(struct smap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- context ---- */

struct dctx
{
	struct pgw_diff *d;
	const struct pgw_model *from;
	const struct pgw_model *to;
	const struct pgw_diff_opts *opts;
	struct smap oldobj;			/* key (in TO's names) → old object */
	struct smap newobj;			/* key → new object */
	struct smap oldkey;			/* old object pointer text → key */
	struct smap recreate;		/* key → old object dropped and recreated */
	struct smap renamed;		/* old "schema.name" → new name */
	struct smap colrenames;		/* "schema.table.col" (new table name) → old column */
	struct pgw_vec all;			/* every change, unordered */
	struct pgw_buf b;			/* scratch for SQL */
	size_t		seq;
	/* mentions_recreated: whether mr_rel depends on anything recreated
	 * (valid while recreate does not change) */
	const struct pgw_relation *tc_o;	/* touches_changed_column: whether */
	const struct pgw_relation *tc_n;	/* some column of tc_o changes type */
	bool		tc_any;			/* (or goes) in tc_n */
	const struct pgw_relation *mr_rel;
	size_t		mr_nrecreate;
	bool		mr_any;
};

/* phases */
#define PH_DROP 0
#define PH_CREATE 1
#define PH_FINAL 2

/* priorities in the drop phase */
enum
{
	PA_RENAME = 0, PA_FK = 5, PA_TRIGGER = 10, PA_POLICY = 12, PA_VIEW = 15,
	PA_FUNCTION = 20, PA_CONSTRAINT = 25, PA_INDEX = 27, PA_GENCOL = 30, PA_COLUMN = 32,
	PA_TABLE = 35, PA_SEQUENCE = 40, PA_TYPE = 45, PA_TYPE_RENAME = 46,
	PA_EXTENSION = 50, PA_SCHEMA = 55, PA_PUBLICATION = 3
};

/* priorities in the create phase */
enum
{
	PB_SCHEMA = 0, PB_EXTENSION = 5, PB_ENUM = 10, PB_DOMAIN = 12, PB_COMPOSITE = 14,
	PB_SEQUENCE = 16, PB_FUNCTION = 20, PB_TABLE = 30, PB_TYPE_SWAP = 31, PB_COLUMN = 32,
	PB_SEQ_OWNED = 35, PB_CONSTRAINT = 38, PB_INDEX = 40, PB_VIEW = 45, PB_FK = 48,
	PB_TRIGGER = 55, PB_POLICY = 60, PB_RLS = 62, PB_GRANT = 65, PB_COMMENT = 70,
	PB_VALIDATE = 75, PB_OWNER = 80, PB_PUBLICATION = 66, PB_EVENT_TRIGGER = 67, PB_DEFAULT_ACL = 85
};

static const char *const hazard_names[PGW_HAZARD__COUNT] = {
	"deletes_data", "access_exclusive_lock", "table_rewrite", "index_build",
	"index_dropped", "authz_change", "may_fail_on_data"
};

const char *
diff_hazard_name(int bit)
{
	return bit >= 0 && bit < PGW_HAZARD__COUNT ? hazard_names[bit] : "?";
}

char *
diff_hazards_text(unsigned hazards)
{
	struct pgw_buf b;

	buf_init(&b);
	for (int i = 0; i < PGW_HAZARD__COUNT; i++)
		if (hazards & (1u << i))
			buf_printf(&b, "%s%s", b.len ? ", " : "", hazard_names[i]);
	return buf_steal(&b);
}

void
diff_init(struct pgw_diff *d)
{
	memset(d, 0, sizeof(*d));
	arena_init(&d->arena);
}

void
diff_release(struct pgw_diff *d)
{
	arena_release(&d->arena);
	memset(d, 0, sizeof(*d));
}

static const char *
astr(struct dctx *c, const char *s)
{
	return s ? arena_strdup(&c->d->arena, s) : NULL;
}

static const char *
aprintf(struct dctx *c, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Formats into the arena; short results (nearly all: names, keys) go
 * through a stack buffer, with no malloc of their own. */
static const char *
aprintf(struct dctx *c, const char *fmt,...)
{
	char		tmp[256];
	va_list		ap;
	int			n;
	char	   *s;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return astr(c, "");
	s = arena_alloc(&c->d->arena, (size_t) n + 1);
	if ((size_t) n < sizeof(tmp))
		memcpy(s, tmp, (size_t) n + 1);
	else
	{
		va_start(ap, fmt);
		vsnprintf(s, (size_t) n + 1, fmt, ap);
		va_end(ap);
	}
	return s;
}

/* ---- keys ---- */

static char
kind_class(enum pgw_kind k)
{
	switch (k)
	{
		case PGW_KIND_SCHEMA:
			return 's';
		case PGW_KIND_EXTENSION:
			return 'x';
		case PGW_KIND_ENUM:
		case PGW_KIND_DOMAIN:
		case PGW_KIND_COMPOSITE:
			return 't';
		case PGW_KIND_SEQUENCE:
			return 'q';
		case PGW_KIND_TABLE:
		case PGW_KIND_VIEW:
			return 'r';
		case PGW_KIND_FUNCTION:
			return 'f';
		case PGW_KIND_PUBLICATION:
			return 'p';
		case PGW_KIND_EVENT_TRIGGER:
			return 'e';
		case PGW_KIND_DEFAULT_ACL:
			return 'd';
		default:
			return '?';
	}
}

static const char *
obj_name(struct dctx *c, const struct pgw_object *o)
{
	if (o->kind == PGW_KIND_FUNCTION)
	{
		const struct pgw_function *f = (const struct pgw_function *) o;

		return aprintf(c, "%s(%s)", o->name, f->identity_args ? f->identity_args : "");
	}
	return o->name;
}

/* "class\x1fschema\x1fname": built by hand, the diff makes one per lookup */
static const char *
make_key(struct dctx *c, enum pgw_kind kind, const char *schema, const char *name)
{
	const char *sch = kind == PGW_KIND_SCHEMA || kind == PGW_KIND_EXTENSION ? "" : (schema ? schema : "");
	size_t		ls = strlen(sch);
	size_t		ln = name ? strlen(name) : 0;
	char	   *k = arena_alloc(&c->d->arena, ls + ln + 4);

	k[0] = kind_class(kind);
	k[1] = '\x1f';
	memcpy(k + 2, sch, ls);
	k[2 + ls] = '\x1f';
	if (ln)
		memcpy(k + 3 + ls, name, ln);
	k[3 + ls + ln] = '\0';
	return k;
}

static const char *
obj_key(struct dctx *c, const struct pgw_object *o)
{
	return make_key(c, o->kind, o->schema, obj_name(c, o));
}

static const char *
ptr_key(struct dctx *c, const void *p)
{
	static const char hex[] = "0123456789abcdef";
	uintptr_t	v = (uintptr_t) p;
	char	   *k = arena_alloc(&c->d->arena, sizeof(v) * 2 + 1);

	for (int i = (int) sizeof(v) * 2 - 1; i >= 0; i--, v >>= 4)
		k[i] = hex[v & 0xf];
	return k;
}

/* ---- SQL text helpers (into the scratch buffer) ---- */

static void
bi(struct dctx *c, const char *name)
{
	sql_ident(&c->b, name);
}

static void
bs(struct dctx *c, const char *s)
{
	buf_append(&c->b, s);
}

static void
bf(struct dctx *c, const char *fmt,...) __attribute__((format(printf, 2, 3)));

static void
bf(struct dctx *c, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	buf_vprintf(&c->b, fmt, ap);
	va_end(ap);
}

static const char *
qn(struct dctx *c, const char *schema, const char *name)
{
	struct pgw_buf b;
	const char *s;

	buf_init(&b);
	sql_qname(&b, schema, name);
	s = arena_strdup(&c->d->arena, b.data ? b.data : "");
	buf_release(&b);
	return s;
}

static const char *
qi(struct dctx *c, const char *name)
{
	return qn(c, NULL, name);
}

/* the function as DROP/COMMENT/GRANT name it: schema.name(args) */
static const char *
func_ref(struct dctx *c, const struct pgw_function *f)
{
	return aprintf(c, "%s(%s)", qn(c, f->obj.schema, f->obj.name), f->identity_args ? f->identity_args : "");
}

static const char *
func_word(const struct pgw_function *f)
{
	return f->prokind == 'p' ? "PROCEDURE" : f->prokind == 'a' ? "AGGREGATE" : "FUNCTION";
}

static const char *
rel_word(const struct pgw_relation *r)
{
	switch (r->relkind)
	{
		case 'v':
			return "VIEW";
		case 'm':
			return "MATERIALIZED VIEW";
		case 'f':
			return "FOREIGN TABLE";
		default:
			return "TABLE";
	}
}

static bool
streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
strs_eq(const struct pgw_vec *a, const struct pgw_vec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!streq(a->items[i], b->items[i]))
			return false;
	return true;
}

/* ---- changes ---- */

static struct pgw_change *
change_new(struct dctx *c, enum pgw_kind kind, const char *schema, const char *name, const char *sub,
		   const char *action, int phase, int priority)
{
	struct pgw_change *ch = arena_alloc(&c->d->arena, sizeof(*ch));

	ch->kind = kind;
	ch->schema = schema;
	ch->name = name;
	ch->sub = sub;
	ch->action = action;
	ch->phase = phase;
	ch->priority = priority;
	ch->seq = c->seq++;
	vec_push(&c->d->arena, &c->all, ch);
	return ch;
}

/* Takes the scratch buffer as the change's SQL and clears it. */
static void
change_sql(struct dctx *c, struct pgw_change *ch)
{
	ch->sql = astr(c, c->b.data ? c->b.data : "");
	buf_reset(&c->b);
}

static void
change_summary(struct dctx *c, struct pgw_change *ch, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static void
change_summary(struct dctx *c, struct pgw_change *ch, const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = pgw_vasprintf(fmt, ap);
	va_end(ap);
	ch->summary = astr(c, s);
	free(s);
}

/* A change built in one go: SQL from the scratch buffer. */
static struct pgw_change *
emit(struct dctx *c, enum pgw_kind kind, const struct pgw_object *owner_old,
	 const struct pgw_object *owner_new, const char *sub, const char *action, int phase,
	 int priority, unsigned hazards)
{
	const struct pgw_object *o = owner_new ? owner_new : owner_old;
	struct pgw_change *ch = change_new(c, kind, o ? o->schema : NULL, o ? obj_name(c, o) : NULL,
									   sub, action, phase, priority);

	ch->owner_old = owner_old;
	ch->owner_new = owner_new;
	ch->hazards = hazards;
	change_sql(c, ch);
	if (o && (o->kind == PGW_KIND_SCHEMA || o->kind == PGW_KIND_EXTENSION || !o->schema))
		change_summary(c, ch, "%s %s %s%s%s", action, model_kind_name(kind), o->name,
					   sub ? " " : "", sub ? sub : "");
	else if (o)
		change_summary(c, ch, "%s %s %s.%s%s%s", action, model_kind_name(kind), o->schema,
					   ch->name, sub ? "." : "", sub ? sub : "");
	return ch;
}

/* ---- comments, grants, owners ---- */

static void
emit_comment(struct dctx *c, const struct pgw_object *owner, enum pgw_kind kind, const char *target,
			 const char *sub, const char *old, const char *new, bool created)
{
	if (streq(old, new) || (created && !new))
		return;
	bf(c, "COMMENT ON %s IS ", target);
	if (new)
		sql_literal(&c->b, new);
	else
		bs(c, "NULL");
	bs(c, ";\n");
	emit(c, kind, NULL, owner, sub, "comment", PH_CREATE, PB_COMMENT, 0)->late = true;
}

static bool
grant_has(const struct pgw_vec *v, const char *grantee, const char *priv, bool grantable)
{
	for (size_t i = 0; i < v->n; i++)
	{
		const struct pgw_grant *g = v->items[i];

		if (streq(g->grantee, grantee) && streq(g->privilege, priv) && g->grantable == grantable)
			return true;
	}
	return false;
}

static void
grantee_sql(struct dctx *c, const char *grantee)
{
	if (strcmp(grantee, "public") == 0)
		bs(c, "PUBLIC");
	else
		bi(c, grantee);
}

/*
 * GRANT/REVOKE statements turning old into new on one object (onwhat:
 * "TABLE s.t", "SCHEMA s", ...; column: the column for column privileges).
 */
static void
emit_grants(struct dctx *c, const struct pgw_object *owner, enum pgw_kind kind, const char *onwhat,
			const char *column, const struct pgw_vec *old, const struct pgw_vec *new)
{
	static const struct pgw_vec empty = {0};

	old = old ? old : &empty;
	new = new ? new : &empty;
	for (size_t i = 0; i < old->n; i++)
	{
		const struct pgw_grant *g = old->items[i];

		if (grant_has(new, g->grantee, g->privilege, g->grantable))
			continue;
		bs(c, g->grantable && grant_has(new, g->grantee, g->privilege, false) ? "REVOKE GRANT OPTION FOR " : "REVOKE ");
		bs(c, g->privilege);
		if (column)
		{
			bs(c, " (");
			bi(c, column);
			bs(c, ")");
		}
		bf(c, " ON %s FROM ", onwhat);
		grantee_sql(c, g->grantee);
		bs(c, ";\n");
	}
	for (size_t i = 0; i < new->n; i++)
	{
		const struct pgw_grant *g = new->items[i];

		if (grant_has(old, g->grantee, g->privilege, g->grantable))
			continue;
		bf(c, "GRANT %s", g->privilege);
		if (column)
		{
			bs(c, " (");
			bi(c, column);
			bs(c, ")");
		}
		bf(c, " ON %s TO ", onwhat);
		grantee_sql(c, g->grantee);
		bs(c, g->grantable ? " WITH GRANT OPTION;\n" : ";\n");
	}
	if (c->b.len)
		emit(c, kind, NULL, owner, column, "grant", PH_CREATE, PB_GRANT, PGW_HAZARD_AUTHZ_CHANGE)->late = true;
}

/* ---- exact ACLs of created objects ---- */

static void
role_add(struct dctx *c, struct pgw_vec *roles, const char *role)
{
	if (!role)
		return;
	for (size_t i = 0; i < roles->n; i++)
		if (streq(roles->items[i], role))
			return;
	vec_push(&c->d->arena, roles, (void *) role);
}

static void
roles_of_grants(struct dctx *c, struct pgw_vec *roles, const struct pgw_vec *grants)
{
	for (size_t i = 0; i < grants->n; i++)
		role_add(c, roles, ((const struct pgw_grant *) grants->items[i])->grantee);
}

/* Roles the default privileges of m give a new object of this type in this
 * schema (global entries and the schema's). */
static void
roles_of_defaults(struct dctx *c, struct pgw_vec *roles, const struct pgw_model *m, char objtype,
				  const char *schema)
{
	for (size_t i = 0; i < m->default_acls.n; i++)
	{
		const struct pgw_default_acl *d = m->default_acls.items[i];

		if (d->objtype == objtype && (!d->obj.schema || streq(d->obj.schema, schema)))
			roles_of_grants(c, roles, &d->grants);
	}
}

/* Every role a model grants anything to (dump style). */
static void
roles_of_model(struct dctx *c, struct pgw_vec *roles, const struct pgw_model *m)
{
	for (size_t i = 0; i < m->schemas.n; i++)
		roles_of_grants(c, roles, &((const struct pgw_schema *) m->schemas.items[i])->grants);
	for (size_t i = 0; i < m->sequences.n; i++)
		roles_of_grants(c, roles, &((const struct pgw_sequence *) m->sequences.items[i])->grants);
	for (size_t i = 0; i < m->relations.n; i++)
		roles_of_grants(c, roles, &((const struct pgw_relation *) m->relations.items[i])->grants);
	for (size_t i = 0; i < m->functions.n; i++)
		roles_of_grants(c, roles, &((const struct pgw_function *) m->functions.items[i])->grants);
	for (size_t i = 0; i < m->default_acls.n; i++)
		roles_of_grants(c, roles, &((const struct pgw_default_acl *) m->default_acls.items[i])->grants);
}

static int
cmp_role(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * A created object starts with the ACL the target's defaults give it
 * (pg_default_acl of the creating role, PUBLIC's EXECUTE on functions), not
 * an empty one: writes, into the scratch buffer ahead of the GRANTs that
 * emit_grants adds, a REVOKE of what any such role might have got and the
 * new ACL does not hold.  Which roles: those of both models' default
 * privileges for this type and schema, PUBLIC for functions, and with
 * defaults_unknown (dump-schema: the target is not known) every role the
 * model grants to.  Grantees already in baseline are emit_grants' own.
 */
static void
acl_revoke_defaults(struct dctx *c, char objtype, const char *schema, const char *owner,
					const char *onwhat, const struct pgw_vec *baseline, const struct pgw_vec *new)
{
	static const char *const table_privs[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE",
	"REFERENCES", "TRIGGER", NULL};
	static const char *const seq_privs[] = {"USAGE", "SELECT", "UPDATE", NULL};
	static const char *const func_privs[] = {"EXECUTE", NULL};
	static const char *const schema_privs[] = {"USAGE", "CREATE", NULL};
	const char *const *privs = objtype == 'r' ? table_privs : objtype == 'S' ? seq_privs :
		objtype == 'f' ? func_privs : schema_privs;
	struct pgw_vec roles = {0};

	roles_of_defaults(c, &roles, c->from, objtype, schema);
	roles_of_defaults(c, &roles, c->to, objtype, schema);
	if (c->opts->defaults_unknown)
	{
		role_add(c, &roles, "public");
		roles_of_model(c, &roles, c->to);
	}
	vec_sort(&roles, cmp_role);
	for (size_t i = 0; i < roles.n; i++)
	{
		const char *role = roles.items[i];
		bool		holds = false;
		bool		listed = false;

		if (streq(role, owner))
			continue;
		for (size_t k = 0; baseline && k < baseline->n && !listed; k++)
			listed = streq(((const struct pgw_grant *) baseline->items[k])->grantee, role);
		if (listed)
			continue;
		for (size_t k = 0; k < new->n && !holds; k++)
			holds = streq(((const struct pgw_grant *) new->items[k])->grantee, role);
		if (!holds)
		{
			bf(c, "REVOKE ALL ON %s FROM ", onwhat);
			grantee_sql(c, role);
			bs(c, ";\n");
			continue;
		}
		/* it keeps some: revoke the others by name */
		{
			bool		first = true;

			for (size_t p = 0; privs[p]; p++)
			{
				bool		kept = false;

				for (size_t k = 0; k < new->n && !kept; k++)
				{
					const struct pgw_grant *g = new->items[k];

					kept = streq(g->grantee, role) && streq(g->privilege, privs[p]);
				}
				if (kept)
					continue;
				bf(c, "%s%s", first ? "REVOKE " : ", ", privs[p]);
				first = false;
			}
			if (!first)
			{
				bf(c, " ON %s FROM ", onwhat);
				grantee_sql(c, role);
				bs(c, ";\n");
			}
		}
	}
}

static void
emit_owner(struct dctx *c, const struct pgw_object *owner, enum pgw_kind kind, const char *alterwhat,
		   const char *old, const char *new)
{
	if (!c->opts->owners || !new || streq(old, new))
		return;
	bf(c, "ALTER %s OWNER TO ", alterwhat);
	bi(c, new);
	bs(c, ";\n");
	emit(c, kind, NULL, owner, NULL, "owner", PH_CREATE, PB_OWNER, PGW_HAZARD_AUTHZ_CHANGE)->late = true;
}

/* ---- lookups ---- */

static const struct pgw_object *
old_of(struct dctx *c, const struct pgw_object *n)
{
	return smap_get(&c->oldobj, obj_key(c, n));
}

static const struct pgw_object *
new_of(struct dctx *c, const struct pgw_object *o)
{
	const char *k = smap_get(&c->oldkey, ptr_key(c, o));

	return k ? smap_get(&c->newobj, k) : NULL;
}

static bool
is_recreated(struct dctx *c, const struct pgw_object *o)
{
	const char *k = smap_get(&c->oldkey, ptr_key(c, o));

	return k && smap_get(&c->recreate, k) != NULL;
}

static void
mark_recreate(struct dctx *c, const struct pgw_object *o)
{
	const char *k = smap_get(&c->oldkey, ptr_key(c, o));

	if (k)
		smap_put(&c->recreate, k, (void *) o);
}

/* The name an old relation has once the renames ran. */
static const char *
cur_name(struct dctx *c, const struct pgw_object *o)
{
	const char *n = smap_get(&c->renamed, aprintf(c, "%s.%s", o->schema, o->name));

	return n ? n : o->name;
}

/* ---- schemas and extensions ---- */

static void
diff_schemas(struct dctx *c)
{
	for (size_t i = 0; i < c->to->schemas.n; i++)
	{
		const struct pgw_schema *n = c->to->schemas.items[i];
		const struct pgw_schema *o;
		const char *q;

		if (!n->obj.managed)
			continue;
		o = (const struct pgw_schema *) old_of(c, &n->obj);
		q = qi(c, n->obj.name);
		if (!o)
		{
			bf(c, "CREATE SCHEMA %s%s;\n", c->opts->if_not_exists ? "IF NOT EXISTS " : "", q);
			emit(c, PGW_KIND_SCHEMA, NULL, &n->obj, NULL, "create", PH_CREATE, PB_SCHEMA, 0);
		}
		emit_comment(c, &n->obj, PGW_KIND_SCHEMA, aprintf(c, "SCHEMA %s", q), NULL,
					 o ? o->comment : NULL, n->comment, !o);
		if (!o)
			acl_revoke_defaults(c, 'n', NULL, n->owner, aprintf(c, "SCHEMA %s", q), NULL, &n->grants);
		emit_grants(c, &n->obj, PGW_KIND_SCHEMA, aprintf(c, "SCHEMA %s", q), NULL,
					o ? &o->grants : NULL, &n->grants);
		emit_owner(c, &n->obj, PGW_KIND_SCHEMA, aprintf(c, "SCHEMA %s", q), o ? o->owner : NULL, n->owner);
	}
	for (size_t i = 0; i < c->from->schemas.n; i++)
	{
		const struct pgw_schema *o = c->from->schemas.items[i];
		struct pgw_change *ch;

		if (!o->obj.managed || new_of(c, &o->obj))
			continue;
		bf(c, "DROP SCHEMA %s;\n", qi(c, o->obj.name));
		ch = emit(c, PGW_KIND_SCHEMA, &o->obj, NULL, NULL, "drop", PH_FINAL, PA_SCHEMA, 0);
		ch->is_drop_of_owner = true;
	}
}

static void
diff_extensions(struct dctx *c)
{
	for (size_t i = 0; i < c->to->extensions.n; i++)
	{
		const struct pgw_extension *n = c->to->extensions.items[i];
		const struct pgw_extension *o;

		if (!n->obj.managed)
			continue;
		o = (const struct pgw_extension *) old_of(c, &n->obj);
		if (!o)
		{
			bf(c, "CREATE EXTENSION IF NOT EXISTS %s WITH SCHEMA %s", qi(c, n->obj.name), qi(c, n->obj.schema));
			if (n->version)
			{
				bs(c, " VERSION ");
				sql_literal(&c->b, n->version);
			}
			bs(c, ";\n");
			emit(c, PGW_KIND_EXTENSION, NULL, &n->obj, NULL, "create", PH_CREATE, PB_EXTENSION, 0);
			continue;
		}
		if (!streq(o->obj.schema, n->obj.schema))
		{
			bf(c, "ALTER EXTENSION %s SET SCHEMA %s;\n", qi(c, n->obj.name), qi(c, n->obj.schema));
			emit(c, PGW_KIND_EXTENSION, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_EXTENSION, 0);
		}
		if (!streq(o->version, n->version) && n->version)
		{
			bf(c, "ALTER EXTENSION %s UPDATE TO ", qi(c, n->obj.name));
			sql_literal(&c->b, n->version);
			bs(c, ";\n");
			emit(c, PGW_KIND_EXTENSION, NULL, &n->obj, NULL, "update", PH_CREATE, PB_EXTENSION, 0);
		}
	}
	for (size_t i = 0; i < c->from->extensions.n; i++)
	{
		const struct pgw_extension *o = c->from->extensions.items[i];
		struct pgw_change *ch;

		if (!o->obj.managed || new_of(c, &o->obj))
			continue;
		bf(c, "DROP EXTENSION %s;\n", qi(c, o->obj.name));
		ch = emit(c, PGW_KIND_EXTENSION, &o->obj, NULL, NULL, "drop", PH_FINAL, PA_EXTENSION,
				  PGW_HAZARD_DELETES_DATA);
		ch->is_drop_of_owner = true;
	}
}

/* ---- types ---- */

/* Whether column type text names the type (schema.name or bare name, any
 * array dimensions). */
static bool
type_matches(struct dctx *c, const char *coltype, const char *schema, const char *name)
{
	size_t		len = strlen(coltype);
	const char *q = qn(c, schema, name);
	const char *bare = qi(c, name);

	while (len >= 2 && coltype[len - 2] == '[' && coltype[len - 1] == ']')
		len -= 2;
	return (strlen(q) == len && strncmp(coltype, q, len) == 0) ||
		(strlen(bare) == len && strncmp(coltype, bare, len) == 0 && strcmp(schema, "public") == 0);
}

static bool
labels_subsequence(const struct pgw_vec *old, const struct pgw_vec *new)
{
	size_t		j = 0;

	for (size_t i = 0; i < new->n && j < old->n; i++)
		if (streq(new->items[i], old->items[j]))
			j++;
	return j == old->n;
}

static bool
vec_has_str(const struct pgw_vec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(v->items[i], s))
			return true;
	return false;
}

static void
type_create_sql(struct dctx *c, const struct pgw_type *t)
{
	const char *q = qn(c, t->obj.schema, t->obj.name);

	if (t->obj.kind == PGW_KIND_ENUM)
	{
		bf(c, "CREATE TYPE %s AS ENUM (", q);
		for (size_t i = 0; i < t->labels.n; i++)
		{
			if (i)
				bs(c, ", ");
			sql_literal(&c->b, t->labels.items[i]);
		}
		bs(c, ");\n");
	}
	else if (t->obj.kind == PGW_KIND_DOMAIN)
	{
		bf(c, "CREATE DOMAIN %s AS %s", q, t->base_type);
		if (t->collation)
			bf(c, " COLLATE %s", t->collation);
		if (t->default_expr)
			bf(c, " DEFAULT %s", t->default_expr);
		if (t->not_null)
			bs(c, " NOT NULL");
		for (size_t i = 0; i < t->constraints.n; i++)
		{
			const struct pgw_constraint *k = t->constraints.items[i];

			bf(c, " CONSTRAINT %s %s", qi(c, k->obj.name), k->definition);
		}
		bs(c, ";\n");
	}
	else
	{
		bf(c, "CREATE TYPE %s AS (", q);
		for (size_t i = 0; i < t->attributes.n; i++)
		{
			const struct pgw_column *a = t->attributes.items[i];

			bf(c, "%s%s %s", i ? ", " : "", qi(c, a->obj.name), a->type);
			if (a->collation)
				bf(c, " COLLATE %s", a->collation);
		}
		bs(c, ");\n");
	}
}

static int
type_priority(const struct pgw_type *t)
{
	return t->obj.kind == PGW_KIND_ENUM ? PB_ENUM : t->obj.kind == PGW_KIND_DOMAIN ? PB_DOMAIN : PB_COMPOSITE;
}

static void
type_extras(struct dctx *c, const struct pgw_type *o, const struct pgw_type *n)
{
	const char *word = n->obj.kind == PGW_KIND_DOMAIN ? "DOMAIN" : "TYPE";
	const char *q = qn(c, n->obj.schema, n->obj.name);

	emit_comment(c, &n->obj, n->obj.kind, aprintf(c, "%s %s", word, q), NULL,
				 o ? o->comment : NULL, n->comment, !o);
	emit_owner(c, &n->obj, n->obj.kind, aprintf(c, "%s %s", word, q), o ? o->owner : NULL, n->owner);
	if (n->obj.kind == PGW_KIND_COMPOSITE)
		for (size_t i = 0; i < n->attributes.n; i++)
		{
			const struct pgw_column *a = n->attributes.items[i];
			const struct pgw_column *oa = NULL;

			if (o)
				for (size_t j = 0; j < o->attributes.n; j++)
					if (streq(((struct pgw_column *) o->attributes.items[j])->obj.name, a->obj.name))
						oa = o->attributes.items[j];
			emit_comment(c, &n->obj, n->obj.kind, aprintf(c, "COLUMN %s.%s", q, qi(c, a->obj.name)),
						 a->obj.name, oa ? oa->comment : NULL, a->comment, !oa);
		}
}

/*
 * A type that cannot be altered in place: the old one is renamed out of the
 * way (drop phase), the new one created, every column of the TO model that
 * uses it converted through text, and the old one dropped at the end.
 */
static void
type_swap(struct dctx *c, const struct pgw_type *o, const struct pgw_type *n)
{
	const char *oldname = aprintf(c, "%s__pgw_old", o->obj.name);
	struct pgw_change *ch;

	bf(c, "ALTER TYPE %s RENAME TO %s;\n", qn(c, o->obj.schema, o->obj.name), qi(c, oldname));
	ch = emit(c, n->obj.kind, &o->obj, NULL, NULL, "rename", PH_DROP, PA_TYPE_RENAME, 0);
	ch->is_drop_of_owner = true;

	type_create_sql(c, n);
	ch = emit(c, n->obj.kind, NULL, &n->obj, NULL, "recreate", PH_CREATE, type_priority(n), 0);
	ch->is_drop_of_owner = true;

	for (size_t i = 0; i < c->to->relations.n; i++)
	{
		const struct pgw_relation *r = c->to->relations.items[i];

		if (r->relkind != 'r' && r->relkind != 'p')
			continue;
		if (r->parent_name)
			continue;
		for (size_t j = 0; j < r->columns.n; j++)
		{
			const struct pgw_column *col = r->columns.items[j];
			const char *qt = qn(c, r->obj.schema, r->obj.name);
			const char *qc = qi(c, col->obj.name);
			bool		arr;

			if (!type_matches(c, col->type, n->obj.schema, n->obj.name))
				continue;
			arr = strstr(col->type, "[]") != NULL;
			if (col->default_expr && !col->generated)
				bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qt, qc);
			bf(c, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::text%s::%s;\n", qt, qc, col->type, qc,
			   arr ? "[]" : "", col->type);
			if (col->default_expr && !col->generated)
				bf(c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", qt, qc, col->default_expr);
			ch = emit(c, PGW_KIND_COLUMN, NULL, &r->obj, col->obj.name, "convert", PH_CREATE, PB_TYPE_SWAP,
					  PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_TABLE_REWRITE | PGW_HAZARD_MAY_FAIL_ON_DATA);
			/* after the new type exists */
			vec_push(&c->d->arena, &ch->before, (void *) &n->obj);
		}
	}
	bf(c, "DROP TYPE %s;\n", qn(c, o->obj.schema, oldname));
	emit(c, n->obj.kind, &o->obj, NULL, NULL, "drop", PH_FINAL, 0, 0);
}

static bool
domain_constraints_eq(const struct pgw_type *o, const struct pgw_type *n, const char *name)
{
	const struct pgw_constraint *a = NULL,
			   *b = NULL;

	for (size_t i = 0; i < o->constraints.n; i++)
		if (streq(((struct pgw_constraint *) o->constraints.items[i])->obj.name, name))
			a = o->constraints.items[i];
	for (size_t i = 0; i < n->constraints.n; i++)
		if (streq(((struct pgw_constraint *) n->constraints.items[i])->obj.name, name))
			b = n->constraints.items[i];
	return a && b && streq(a->definition, b->definition) && a->validated == b->validated;
}

/* Decides, before anything is emitted, which types must be swapped. */
static bool
type_needs_swap(const struct pgw_type *o, const struct pgw_type *n)
{
	if (o->obj.kind != n->obj.kind)
		return true;
	if (n->obj.kind == PGW_KIND_ENUM)
		return !labels_subsequence(&o->labels, &n->labels);
	if (n->obj.kind == PGW_KIND_DOMAIN)
		return !streq(o->base_type, n->base_type) || !streq(o->collation, n->collation);
	return false;
}

static void
diff_types(struct dctx *c)
{
	for (size_t i = 0; i < c->to->types.n; i++)
	{
		const struct pgw_type *n = c->to->types.items[i];
		const struct pgw_type *o;
		const char *q;

		if (!n->obj.managed)
			continue;
		o = (const struct pgw_type *) old_of(c, &n->obj);
		q = qn(c, n->obj.schema, n->obj.name);
		if (!o)
		{
			struct pgw_change *ch;

			type_create_sql(c, n);
			ch = emit(c, n->obj.kind, NULL, &n->obj, NULL, "create", PH_CREATE, type_priority(n), 0);
			ch->is_drop_of_owner = true;
			type_extras(c, NULL, n);
			continue;
		}
		if (type_needs_swap(o, n))
		{
			type_swap(c, o, n);
			type_extras(c, NULL, n);
			continue;
		}
		if (n->obj.kind == PGW_KIND_ENUM)
		{
			for (size_t k = 0; k < n->labels.n; k++)
			{
				const char *l = n->labels.items[k];

				if (vec_has_str(&o->labels, l))
					continue;
				bf(c, "ALTER TYPE %s ADD VALUE ", q);
				sql_literal(&c->b, l);
				/* place it before the next label that already exists */
				for (size_t m = k + 1; m < n->labels.n; m++)
					if (vec_has_str(&o->labels, n->labels.items[m]))
					{
						bs(c, " BEFORE ");
						sql_literal(&c->b, n->labels.items[m]);
						break;
					}
				bs(c, ";\n");
				emit(c, n->obj.kind, NULL, &n->obj, l, "add value", PH_CREATE, PB_ENUM, 0);
			}
		}
		else if (n->obj.kind == PGW_KIND_DOMAIN)
		{
			if (!streq(o->default_expr, n->default_expr))
			{
				if (n->default_expr)
					bf(c, "ALTER DOMAIN %s SET DEFAULT %s;\n", q, n->default_expr);
				else
					bf(c, "ALTER DOMAIN %s DROP DEFAULT;\n", q);
				emit(c, n->obj.kind, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_DOMAIN, 0);
			}
			if (o->not_null != n->not_null)
			{
				bf(c, "ALTER DOMAIN %s %s NOT NULL;\n", q, n->not_null ? "SET" : "DROP");
				emit(c, n->obj.kind, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_DOMAIN,
					 n->not_null ? PGW_HAZARD_MAY_FAIL_ON_DATA : 0);
			}
			for (size_t k = 0; k < o->constraints.n; k++)
			{
				const struct pgw_constraint *oc = o->constraints.items[k];

				if (domain_constraints_eq(o, n, oc->obj.name))
					continue;
				bf(c, "ALTER DOMAIN %s DROP CONSTRAINT %s;\n", q, qi(c, oc->obj.name));
				emit(c, n->obj.kind, &o->obj, NULL, oc->obj.name, "drop constraint", PH_DROP, PA_CONSTRAINT, 0);
			}
			for (size_t k = 0; k < n->constraints.n; k++)
			{
				const struct pgw_constraint *nc = n->constraints.items[k];

				if (domain_constraints_eq(o, n, nc->obj.name))
					continue;
				bf(c, "ALTER DOMAIN %s ADD CONSTRAINT %s %s NOT VALID;\n", q, qi(c, nc->obj.name), nc->definition);
				if (nc->validated)
					bf(c, "ALTER DOMAIN %s VALIDATE CONSTRAINT %s;\n", q, qi(c, nc->obj.name));
				emit(c, n->obj.kind, NULL, &n->obj, nc->obj.name, "add constraint", PH_CREATE, PB_DOMAIN,
					 PGW_HAZARD_MAY_FAIL_ON_DATA);
			}
			for (size_t k = 0; k < n->constraints.n; k++)
			{
				const struct pgw_constraint *nc = n->constraints.items[k];
				const struct pgw_constraint *oc = NULL;

				for (size_t m = 0; m < o->constraints.n; m++)
					if (streq(((struct pgw_constraint *) o->constraints.items[m])->obj.name, nc->obj.name))
						oc = o->constraints.items[m];
				emit_comment(c, &n->obj, n->obj.kind,
							 aprintf(c, "CONSTRAINT %s ON DOMAIN %s", qi(c, nc->obj.name), q), nc->obj.name,
							 oc && domain_constraints_eq(o, n, nc->obj.name) ? oc->comment : NULL, nc->comment, false);
			}
		}
		else
		{
			/* composite: attributes by name */
			for (size_t k = 0; k < o->attributes.n; k++)
			{
				const struct pgw_column *oa = o->attributes.items[k];
				bool		found = false;

				for (size_t m = 0; m < n->attributes.n; m++)
					if (streq(((struct pgw_column *) n->attributes.items[m])->obj.name, oa->obj.name))
						found = true;
				if (!found)
				{
					bf(c, "ALTER TYPE %s DROP ATTRIBUTE %s;\n", q, qi(c, oa->obj.name));
					emit(c, n->obj.kind, NULL, &n->obj, oa->obj.name, "drop attribute", PH_CREATE, PB_COMPOSITE,
						 PGW_HAZARD_DELETES_DATA);
				}
			}
			for (size_t k = 0; k < n->attributes.n; k++)
			{
				const struct pgw_column *na = n->attributes.items[k];
				const struct pgw_column *oa = NULL;

				for (size_t m = 0; m < o->attributes.n; m++)
					if (streq(((struct pgw_column *) o->attributes.items[m])->obj.name, na->obj.name))
						oa = o->attributes.items[m];
				if (!oa)
				{
					bf(c, "ALTER TYPE %s ADD ATTRIBUTE %s %s", q, qi(c, na->obj.name), na->type);
					if (na->collation)
						bf(c, " COLLATE %s", na->collation);
					bs(c, ";\n");
					emit(c, n->obj.kind, NULL, &n->obj, na->obj.name, "add attribute", PH_CREATE, PB_COMPOSITE, 0);
				}
				else if (!streq(oa->type, na->type) || !streq(oa->collation, na->collation))
				{
					bf(c, "ALTER TYPE %s ALTER ATTRIBUTE %s TYPE %s", q, qi(c, na->obj.name), na->type);
					if (na->collation)
						bf(c, " COLLATE %s", na->collation);
					bs(c, ";\n");
					emit(c, n->obj.kind, NULL, &n->obj, na->obj.name, "alter attribute", PH_CREATE, PB_COMPOSITE, 0);
				}
			}
		}
		type_extras(c, o, n);
	}
	for (size_t i = 0; i < c->from->types.n; i++)
	{
		const struct pgw_type *o = c->from->types.items[i];
		struct pgw_change *ch;

		if (!o->obj.managed || new_of(c, &o->obj))
			continue;
		/* at the end: columns may still be converted away from it */
		bf(c, "DROP %s %s;\n", o->obj.kind == PGW_KIND_DOMAIN ? "DOMAIN" : "TYPE",
		   qn(c, o->obj.schema, o->obj.name));
		ch = emit(c, o->obj.kind, &o->obj, NULL, NULL, "drop", PH_FINAL, PA_TYPE, 0);
		ch->is_drop_of_owner = true;
	}
}

/* ---- sequences ---- */

static void
sequence_params(struct dctx *c, const struct pgw_sequence *s)
{
	bf(c, " AS %s INCREMENT BY %lld MINVALUE %lld MAXVALUE %lld START WITH %lld CACHE %lld %s",
	   s->data_type, (long long) s->increment, (long long) s->min, (long long) s->max,
	   (long long) s->start, (long long) s->cache, s->cycle ? "CYCLE" : "NO CYCLE");
}

/* The column named name, looked for first at position at (the two sides
 * mostly list the same columns in the same order). */
static const struct pgw_column *
find_column_at(const struct pgw_vec *cols, const char *name, size_t at)
{
	if (at < cols->n && streq(((struct pgw_column *) cols->items[at])->obj.name, name))
		return cols->items[at];
	for (size_t i = 0; i < cols->n; i++)
		if (streq(((struct pgw_column *) cols->items[i])->obj.name, name))
			return cols->items[i];
	return NULL;
}

static const struct pgw_column *
find_column(const struct pgw_vec *cols, const char *name)
{
	for (size_t i = 0; i < cols->n; i++)
		if (streq(((struct pgw_column *) cols->items[i])->obj.name, name))
			return cols->items[i];
	return NULL;
}

/*
 * Whether an owned sequence would go with its table or column: the table
 * is dropped or recreated, or the column dropped.  The sequence is then
 * released first (OWNED BY NONE) and owned again afterwards.
 */
static bool
owner_goes(struct dctx *c, const struct pgw_sequence *o)
{
	const struct pgw_relation *ot;
	const struct pgw_relation *nt;
	const struct pgw_column *nc;

	if (!o->owned_by_table)
		return false;
	ot = smap_get(&c->oldobj, make_key(c, PGW_KIND_TABLE, o->owned_by_schema, o->owned_by_table));
	if (!ot)
		return false;
	nt = (const struct pgw_relation *) new_of(c, &ot->obj);
	if (!nt || is_recreated(c, &ot->obj) || nt->obj.kind != PGW_KIND_TABLE || ot->relkind != nt->relkind ||
		!streq(ot->partition_key, nt->partition_key))
		return true;
	nc = find_column(&nt->columns, o->owned_by_column);
	return !nc || nc->generated;
}

static void
diff_sequences(struct dctx *c)
{
	for (size_t i = 0; i < c->to->sequences.n; i++)
	{
		const struct pgw_sequence *n = c->to->sequences.items[i];
		const struct pgw_sequence *o;
		const char *q;
		const struct pgw_object *table = NULL;

		if (!n->obj.managed)
			continue;
		o = (const struct pgw_sequence *) old_of(c, &n->obj);
		q = qn(c, n->obj.schema, n->obj.name);
		if (n->owned_by_table)
			table = smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->owned_by_schema, n->owned_by_table));
		if (!o)
		{
			struct pgw_change *ch;

			bf(c, "CREATE SEQUENCE %s%s", c->opts->if_not_exists ? "IF NOT EXISTS " : "", q);
			sequence_params(c, n);
			bs(c, ";\n");
			ch = emit(c, PGW_KIND_SEQUENCE, NULL, &n->obj, NULL, "create", PH_CREATE, PB_SEQUENCE, 0);
			ch->is_drop_of_owner = true;
		}
		else if (!streq(o->data_type, n->data_type) || o->increment != n->increment || o->min != n->min ||
				 o->max != n->max || o->start != n->start || o->cache != n->cache || o->cycle != n->cycle)
		{
			bf(c, "ALTER SEQUENCE %s", q);
			sequence_params(c, n);
			bs(c, ";\n");
			emit(c, PGW_KIND_SEQUENCE, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_SEQUENCE, 0);
		}
		if (!o || !streq(o->owned_by_table, n->owned_by_table) || !streq(o->owned_by_column, n->owned_by_column) ||
			!streq(o->owned_by_schema, n->owned_by_schema) || owner_goes(c, o))
		{
			if (o && o->owned_by_table)
			{
				/* before its old column or table is dropped, which would take it along */
				bf(c, "ALTER SEQUENCE %s OWNED BY NONE;\n", qn(c, o->obj.schema, o->obj.name));
				emit(c, PGW_KIND_SEQUENCE, &o->obj, NULL, NULL, "owned by none", PH_DROP, PA_RENAME + 1, 0);
			}
			if (n->owned_by_table)
			{
				bf(c, "ALTER SEQUENCE %s OWNED BY %s.%s;\n", q, qn(c, n->owned_by_schema, n->owned_by_table),
				   qi(c, n->owned_by_column));
				/* charged to the table, so it runs after the table exists */
				emit(c, PGW_KIND_SEQUENCE, NULL, table ? table : &n->obj, n->obj.name, "owned by",
					 PH_CREATE, PB_SEQ_OWNED, 0);
			}
		}
		emit_comment(c, &n->obj, PGW_KIND_SEQUENCE, aprintf(c, "SEQUENCE %s", q), NULL,
					 o ? o->comment : NULL, n->comment, !o);
		if (!o)
			acl_revoke_defaults(c, 'S', n->obj.schema, n->owner, aprintf(c, "SEQUENCE %s", q), NULL, &n->grants);
		emit_grants(c, &n->obj, PGW_KIND_SEQUENCE, aprintf(c, "SEQUENCE %s", q), NULL,
					o ? &o->grants : NULL, &n->grants);
		/* an owned sequence follows its table's owner (ALTER TABLE OWNER
		 * moves it; ALTER SEQUENCE OWNER is refused) */
		if (!n->owned_by_table)
			emit_owner(c, &n->obj, PGW_KIND_SEQUENCE, aprintf(c, "SEQUENCE %s", q), o ? o->owner : NULL, n->owner);
	}
	for (size_t i = 0; i < c->from->sequences.n; i++)
	{
		const struct pgw_sequence *o = c->from->sequences.items[i];
		struct pgw_change *ch;

		if (!o->obj.managed || new_of(c, &o->obj))
			continue;
		/* an owned sequence goes with its column; IF EXISTS covers both orders */
		bf(c, "DROP SEQUENCE %s%s;\n", o->owned_by_table ? "IF EXISTS " : "", qn(c, o->obj.schema, o->obj.name));
		ch = emit(c, PGW_KIND_SEQUENCE, &o->obj, NULL, NULL, "drop", PH_DROP, PA_SEQUENCE, 0);
		ch->is_drop_of_owner = true;
	}
}

/* ---- functions ---- */

/* The first line of pg_get_functiondef: name, arguments with defaults. */
static size_t
header_len(const char *def)
{
	const char *nl = strchr(def, '\n');

	return nl ? (size_t) (nl - def) : strlen(def);
}

static bool
function_needs_recreate(const struct pgw_function *o, const struct pgw_function *n)
{
	if (o->prokind != n->prokind || !streq(o->result, n->result) || !streq(o->language, n->language))
		return true;
	if (!o->definition || !n->definition)
		return !streq(o->definition, n->definition);
	return header_len(o->definition) != header_len(n->definition) ||
		strncmp(o->definition, n->definition, header_len(n->definition)) != 0;
}

static bool
function_changed(const struct pgw_function *o, const struct pgw_function *n)
{
	return !streq(o->definition, n->definition) || o->volatility != n->volatility ||
		o->strict != n->strict || o->security_definer != n->security_definer ||
		o->leakproof != n->leakproof || o->parallel != n->parallel || !strs_eq(&o->config, &n->config);
}

/* mode: 'c' create, 'r' CREATE OR REPLACE, 'x' only comment/grants/owner */
static void
function_create(struct dctx *c, const struct pgw_function *n, const struct pgw_function *o, char mode)
{
	struct pgw_vec baseline = {0};
	struct pgw_grant pub = {"public", "EXECUTE", false};
	const char *ref = func_ref(c, n);
	struct pgw_change *ch;
	size_t		len;

	if (mode != 'x')
	{
		if (!n->definition)
			bf(c, "-- %s %s: this kind of aggregate is not generated; create it by hand\n", func_word(n), ref);
		else
		{
			len = strlen(n->definition);
			while (len > 0 && (n->definition[len - 1] == '\n' || n->definition[len - 1] == ' '))
				len--;
			buf_append_len(&c->b, n->definition, len);
			bs(c, ";\n");
		}
		ch = emit(c, PGW_KIND_FUNCTION, NULL, &n->obj, NULL, mode == 'r' ? "replace" : "create", PH_CREATE,
				  PB_FUNCTION, 0);
		ch->is_drop_of_owner = mode == 'c';
	}
	/* a new function starts with EXECUTE for PUBLIC */
	if (!o)
		vec_push(&c->d->arena, &baseline, &pub);
	emit_comment(c, &n->obj, PGW_KIND_FUNCTION, aprintf(c, "%s %s", func_word(n), ref), NULL,
				 o ? o->comment : NULL, n->comment, !o);
	if (!o)
		acl_revoke_defaults(c, 'f', n->obj.schema, n->owner, aprintf(c, "ROUTINE %s", ref), &baseline, &n->grants);
	emit_grants(c, &n->obj, PGW_KIND_FUNCTION, aprintf(c, "ROUTINE %s", ref), NULL,
				o ? &o->grants : &baseline, &n->grants);
	emit_owner(c, &n->obj, PGW_KIND_FUNCTION, aprintf(c, "%s %s", func_word(n), ref),
			   o ? o->owner : NULL, n->owner);
}

static void
function_drop(struct dctx *c, const struct pgw_function *o)
{
	struct pgw_change *ch;

	bf(c, "DROP %s %s;\n", func_word(o), func_ref(c, o));
	ch = emit(c, PGW_KIND_FUNCTION, &o->obj, NULL, NULL, "drop", PH_DROP, PA_FUNCTION, 0);
	ch->is_drop_of_owner = true;
}

static void
diff_functions(struct dctx *c)
{
	for (size_t i = 0; i < c->to->functions.n; i++)
	{
		const struct pgw_function *n = c->to->functions.items[i];
		const struct pgw_function *o;

		if (!n->obj.managed)
			continue;
		o = (const struct pgw_function *) old_of(c, &n->obj);
		if (!o)
			function_create(c, n, NULL, 'c');
		else if (is_recreated(c, &o->obj))
		{
			function_drop(c, o);
			function_create(c, n, NULL, 'c');
		}
		else
			function_create(c, n, o, function_changed(o, n) ? 'r' : 'x');
	}
	for (size_t i = 0; i < c->from->functions.n; i++)
	{
		const struct pgw_function *o = c->from->functions.items[i];

		if (!o->obj.managed || new_of(c, &o->obj))
			continue;
		function_drop(c, o);
	}
}

/* ---- relations ---- */


static const struct pgw_constraint *
find_constraint(const struct pgw_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(((struct pgw_constraint *) v->items[i])->obj.name, name))
			return v->items[i];
	return NULL;
}

static const struct pgw_index *
find_index(const struct pgw_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(((struct pgw_index *) v->items[i])->obj.name, name))
			return v->items[i];
	return NULL;
}

static const struct pgw_policy *
find_policy(const struct pgw_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(((struct pgw_policy *) v->items[i])->obj.name, name))
			return v->items[i];
	return NULL;
}

static const struct pgw_trigger *
find_trigger(const struct pgw_vec *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (streq(((struct pgw_trigger *) v->items[i])->obj.name, name))
			return v->items[i];
	return NULL;
}

/* column definition as CREATE TABLE / ADD COLUMN write it */
static void
column_def(struct dctx *c, const struct pgw_column *col)
{
	bf(c, "%s %s", qi(c, col->obj.name), col->type);
	if (col->collation)
		bf(c, " COLLATE %s", col->collation);
	if (col->generated)
		bf(c, " GENERATED ALWAYS AS (%s) STORED", col->default_expr);
	else if (col->default_expr)
		bf(c, " DEFAULT %s", col->default_expr);
	if (col->identity)
		bf(c, " GENERATED %s AS IDENTITY", col->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
	if (col->not_null)
		bs(c, " NOT NULL");
}

static bool
index_is_separate(const struct pgw_index *ix)
{
	return !ix->constraint;
}

/* "CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON ..." from
 * pg_get_indexdef, optionally under another name. */
static void
index_sql(struct dctx *c, const struct pgw_index *ix, bool concurrently, const char *as_name)
{
	const char *def = ix->definition;
	const char *q = qi(c, ix->obj.name);
	bool		uniq = strncmp(def, "CREATE UNIQUE INDEX ", 20) == 0;
	const char *rest = def + (uniq ? 20 : 13);

	if (strncmp(rest, q, strlen(q)) != 0 || strncmp(rest + strlen(q), " ON ", 4) != 0)
	{
		bf(c, "%s;\n", def);	/* unexpected shape: as it is */
		return;
	}
	rest += strlen(q);
	bf(c, "CREATE %sINDEX %s%s%s%s;\n", uniq ? "UNIQUE " : "", concurrently ? "CONCURRENTLY " : "",
	   c->opts->if_not_exists && !as_name ? "IF NOT EXISTS " : "", as_name ? qi(c, as_name) : q, rest);
}

static bool
is_word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		ch == '$' || (unsigned char) ch >= 0x80;
}

/* Whether text mentions name as a whole word (an identifier, not a piece
 * of a longer one). */
static bool
str_mentions(const char *text, const char *name)
{
	size_t		len;

	if (!text || !name || !*name)
		return false;
	len = strlen(name);
	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
	{
		bool		left = p == text || !is_word_char(p[-1]) || name[0] == '"';
		bool		right = !is_word_char(p[len]) || name[len - 1] == '"';

		if (left && right)
			return true;
	}
	return false;
}

/* Whether a table sub-object's text mentions an object being recreated. */
static bool
mentions_recreated(struct dctx *c, const struct pgw_relation *o, const char *text)
{
	if (!text || c->recreate.n == 0)
		return false;
	/* most relations depend on nothing recreated: find out once per
	 * relation (the calls for one relation come together) */
	if (c->mr_rel != o || c->mr_nrecreate != c->recreate.n)
	{
		c->mr_rel = o;
		c->mr_nrecreate = c->recreate.n;
		c->mr_any = false;
		for (size_t i = 0; i < o->obj.deps.n && !c->mr_any; i++)
		{
			const struct pgw_ref *r = o->obj.deps.items[i];

			c->mr_any = smap_get(&c->recreate, make_key(c, r->kind, r->schema, r->name)) != NULL;
		}
	}
	if (!c->mr_any)
		return false;
	for (size_t i = 0; i < o->obj.deps.n; i++)
	{
		const struct pgw_ref *r = o->obj.deps.items[i];
		const struct pgw_object *dep = smap_get(&c->recreate, make_key(c, r->kind, r->schema, r->name));
		const char *bare;
		const char *paren;

		if (!dep)
			continue;
		bare = dep->name;
		paren = strchr(bare, '(');
		if (paren)
			bare = aprintf(c, "%.*s", (int) (paren - bare), bare);
		if (str_mentions(text, qi(c, bare)))
			return true;
	}
	return false;
}

struct reltask
{
	const struct pgw_relation *o;	/* NULL: created */
	const struct pgw_relation *n;	/* NULL: dropped */
	bool		created;		/* n is new or recreated: everything is added */
};

/* An index of o that the new constraint k of n can take over as it is: same
 * name and definition, not behind a constraint in o. */
static const struct pgw_index *
reusable_index(const struct pgw_relation *o, const struct pgw_relation *n, const struct pgw_constraint *k)
{
	const struct pgw_index *nx;
	const struct pgw_index *ox;

	/* USING INDEX: not on partitioned tables, and only a valid index */
	if (!o || !k->index || n->relkind == 'p' || (k->type != PGW_CON_PRIMARY && k->type != PGW_CON_UNIQUE))
		return NULL;
	nx = find_index(&n->indexes, k->index);
	ox = find_index(&o->indexes, k->index);
	if (!nx || !ox || ox->constraint || !ox->valid || !streq(nx->definition, ox->definition))
		return NULL;
	return ox;
}

static void
emit_constraint_add(struct dctx *c, const struct pgw_relation *n, const struct pgw_constraint *k, bool existing,
					bool reuse)
{
	const char *qt = qn(c, n->obj.schema, n->obj.name);
	const char *qk = qi(c, k->obj.name);
	bool		fk = k->type == PGW_CON_FOREIGN;
	unsigned	hz = 0;
	struct pgw_change *ch;

	if ((k->type == PGW_CON_CHECK || fk) && (existing || !k->validated) && !(fk && n->relkind == 'p'))
	{
		bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID;\n", qt, qk, k->definition);
		ch = emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "add", PH_CREATE,
				  fk ? PB_FK : PB_CONSTRAINT, 0);
		ch->late = fk;
		if (k->validated)
		{
			bf(c, "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n", qt, qk);
			ch = emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "validate", PH_CREATE, PB_VALIDATE,
					  PGW_HAZARD_MAY_FAIL_ON_DATA);
			ch->late = true;
		}
		return;
	}
	if (existing && reuse)
	{
		bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;\n", qt, qk,
		   k->type == PGW_CON_PRIMARY ? "PRIMARY KEY" : "UNIQUE", qi(c, k->index));
		emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "add", PH_CREATE, PB_CONSTRAINT + 1,
			 PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | (k->type == PGW_CON_PRIMARY ? PGW_HAZARD_MAY_FAIL_ON_DATA : 0));
		return;
	}
	if (existing && (k->type == PGW_CON_PRIMARY || k->type == PGW_CON_UNIQUE))
	{
		const struct pgw_index *ix = k->index ? find_index(&n->indexes, k->index) : NULL;

		/* build the index without blocking writes, then attach it */
		if (ix && !c->opts->no_concurrently && n->relkind == 'r' && !ix->predicate &&
			streq(ix->obj.name, k->obj.name) && !k->deferrable)
		{
			index_sql(c, ix, true, NULL);
			ch = emit(c, PGW_KIND_INDEX, NULL, &n->obj, ix->obj.name, "create", PH_CREATE, PB_CONSTRAINT,
					  PGW_HAZARD_INDEX_BUILD);
			ch->no_transaction = true;
			bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;\n", qt, qk,
			   k->type == PGW_CON_PRIMARY ? "PRIMARY KEY" : "UNIQUE", qk);
			ch = emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "add", PH_CREATE, PB_CONSTRAINT + 1,
					  k->type == PGW_CON_PRIMARY ? PGW_HAZARD_MAY_FAIL_ON_DATA | PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK : 0);
			return;
		}
		hz = PGW_HAZARD_INDEX_BUILD | PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_MAY_FAIL_ON_DATA;
	}
	else if (existing)
		hz = PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_MAY_FAIL_ON_DATA |
			(k->type == PGW_CON_EXCLUSION ? PGW_HAZARD_INDEX_BUILD : 0);
	bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s;\n", qt, qk, k->definition);
	ch = emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "add", PH_CREATE,
			  fk ? PB_FK : PB_CONSTRAINT, hz);
	ch->late = fk;
}

static void
emit_policy_create(struct dctx *c, const struct pgw_relation *n, const struct pgw_policy *p)
{
	static const char *const cmds[] = {"r", "SELECT", "a", "INSERT", "w", "UPDATE", "d", "DELETE", "*", "ALL"};
	const char *cmd = "ALL";

	for (size_t i = 0; i < 10; i += 2)
		if (p->command == cmds[i][0])
			cmd = cmds[i + 1];
	bf(c, "CREATE POLICY %s ON %s AS %s FOR %s TO ", qi(c, p->obj.name), qn(c, n->obj.schema, n->obj.name),
	   p->permissive ? "PERMISSIVE" : "RESTRICTIVE", cmd);
	for (size_t i = 0; i < p->roles.n; i++)
	{
		if (i)
			bs(c, ", ");
		grantee_sql(c, p->roles.items[i]);
	}
	if (p->using_expr)
		bf(c, " USING (%s)", p->using_expr);
	if (p->check_expr)
		bf(c, " WITH CHECK (%s)", p->check_expr);
	bs(c, ";\n");
	emit(c, PGW_KIND_POLICY, NULL, &n->obj, p->obj.name, "create", PH_CREATE, PB_POLICY,
		 PGW_HAZARD_AUTHZ_CHANGE)->late = true;
}

static void
emit_trigger_create(struct dctx *c, const struct pgw_relation *n, const struct pgw_trigger *t)
{
	const char *def = t->definition;

	if (c->opts->if_not_exists && strncmp(def, "CREATE TRIGGER ", 15) == 0)
		bf(c, "CREATE OR REPLACE TRIGGER %s;\n", def + 15);
	else
		bf(c, "%s;\n", def);
	if (t->enabled && t->enabled != 'O')
		bf(c, "ALTER TABLE %s %s TRIGGER %s;\n", qn(c, n->obj.schema, n->obj.name),
		   t->enabled == 'D' ? "DISABLE" : t->enabled == 'R' ? "ENABLE REPLICA" : "ENABLE ALWAYS",
		   qi(c, t->obj.name));
	emit(c, PGW_KIND_TRIGGER, NULL, &n->obj, t->obj.name, "create", PH_CREATE, PB_TRIGGER, 0)->late = true;
}

static void
view_create(struct dctx *c, const struct pgw_relation *n)
{
	const char *def = n->definition ? n->definition : "";
	size_t		len = strlen(def);
	struct pgw_buf opts;
	struct pgw_change *ch;

	while (len > 0 && (def[len - 1] == ';' || def[len - 1] == ' ' || def[len - 1] == '\n'))
		len--;
	buf_init(&opts);
	if (n->security_invoker)
		buf_append(&opts, "security_invoker = true");
	if (n->security_barrier)
		buf_printf(&opts, "%ssecurity_barrier = true", opts.len ? ", " : "");
	for (size_t i = 0; i < n->options.n; i++)
		buf_printf(&opts, "%s%s", opts.len ? ", " : "", (const char *) n->options.items[i]);
	bf(c, "CREATE %s%s %s%s", n->relkind == 'm' ? "MATERIALIZED VIEW " : (c->opts->if_not_exists ? "OR REPLACE VIEW" : "VIEW"),
	   n->relkind == 'm' && c->opts->if_not_exists ? "IF NOT EXISTS" : "",
	   qn(c, n->obj.schema, n->obj.name), "");
	if (opts.len)
		bf(c, " WITH (%s)", opts.data);
	bs(c, " AS\n");
	buf_append_len(&c->b, def, len);
	if (n->relkind == 'm')
		bs(c, n->populated ? "\nWITH DATA" : "\nWITH NO DATA");
	else if (n->check_option)
		bf(c, "\nWITH %s CHECK OPTION", strcmp(n->check_option, "local") == 0 ? "LOCAL" : "CASCADED");
	bs(c, ";\n");
	buf_release(&opts);
	ch = emit(c, PGW_KIND_VIEW, NULL, &n->obj, NULL, "create", PH_CREATE, PB_VIEW, 0);
	ch->is_drop_of_owner = true;
}

static bool
view_changed(const struct pgw_relation *o, const struct pgw_relation *n)
{
	if (o->relkind != n->relkind || !streq(o->definition, n->definition) ||
		o->security_invoker != n->security_invoker || o->security_barrier != n->security_barrier ||
		!streq(o->check_option, n->check_option) || !strs_eq(&o->options, &n->options) ||
		o->columns.n != n->columns.n || (o->relkind == 'm' && o->populated != n->populated))
		return true;
	for (size_t i = 0; i < o->columns.n; i++)
	{
		const struct pgw_column *a = o->columns.items[i],
				   *b = n->columns.items[i];

		if (!streq(a->obj.name, b->obj.name) || !streq(a->type, b->type) || !streq(a->collation, b->collation))
			return true;
	}
	return false;
}

static bool
table_shape_changed(const struct pgw_relation *o, const struct pgw_relation *n)
{
	return o->relkind != n->relkind || !streq(o->partition_key, n->partition_key);
}

/* CREATE TABLE with its columns; everything else is added by rel_body. */
static void
table_create(struct dctx *c, const struct pgw_relation *n)
{
	struct pgw_change *ch;
	bool		first = true;

	bf(c, "CREATE %sTABLE %s%s", n->unlogged ? "UNLOGGED " : "", c->opts->if_not_exists ? "IF NOT EXISTS " : "",
	   qn(c, n->obj.schema, n->obj.name));
	if (n->parent_name)
	{
		bf(c, " PARTITION OF %s", qn(c, n->parent_schema, n->parent_name));
		/* defaults and NOT NULL that differ from the parent's */
		bs(c, "\n");
		bs(c, n->partition_bound ? n->partition_bound : "DEFAULT");
		if (n->partition_key)
			bf(c, " PARTITION BY %s", n->partition_key);	/* sub-partitioned */
	}
	else
	{
		bs(c, " (");
		for (size_t i = 0; i < n->columns.n; i++)
		{
			bs(c, first ? "\n    " : ",\n    ");
			first = false;
			column_def(c, n->columns.items[i]);
		}
		bs(c, "\n)");
		if (n->partition_key)
			bf(c, " PARTITION BY %s", n->partition_key);
	}
	if (n->options.n)
	{
		bs(c, " WITH (");
		for (size_t i = 0; i < n->options.n; i++)
			bf(c, "%s%s", i ? ", " : "", (const char *) n->options.items[i]);
		bs(c, ")");
	}
	bs(c, ";\n");
	ch = emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "create", PH_CREATE, PB_TABLE, 0);
	ch->is_drop_of_owner = true;
	if (n->parent_name)
	{
		const struct pgw_relation *pr = (const struct pgw_relation *)
			smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->parent_schema, n->parent_name));
		const char *qt = qn(c, n->obj.schema, n->obj.name);

		/* what a partition may have of its own: NOT NULL, defaults */
		for (size_t i = 0; pr && i < n->columns.n; i++)
		{
			const struct pgw_column *col = n->columns.items[i];
			const struct pgw_column *pc = find_column(&pr->columns, col->obj.name);

			if (!pc || col->generated)
				continue;
			if (col->not_null && !pc->not_null)
				bf(c, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", qt, qi(c, col->obj.name));
			if (!streq(col->default_expr, pc->default_expr))
			{
				if (col->default_expr)
					bf(c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", qt, qi(c, col->obj.name),
					   col->default_expr);
				else
					bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qt, qi(c, col->obj.name));
			}
		}
		if (c->b.len)
			emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_COLUMN + 2, 0);
	}
	if (n->parent_name)
	{
		const struct pgw_object *parent = smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->parent_schema,
																			n->parent_name));

		if (parent)
		{
			vec_push(&c->d->arena, &ch->before, (void *) parent);
			ch->before_create_only = true;
		}
	}
}

static void
rel_drop(struct dctx *c, const struct pgw_relation *o, bool recreate)
{
	struct pgw_change *ch;
	bool		table = o->obj.kind == PGW_KIND_TABLE;

	if (table)
		for (size_t i = 0; i < o->constraints.n; i++)
		{
			const struct pgw_constraint *k = o->constraints.items[i];

			if (k->type != PGW_CON_FOREIGN || k->inherited)
				continue;
			bf(c, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s;\n", qn(c, o->obj.schema, cur_name(c, &o->obj)),
			   qi(c, k->obj.name));
			emit(c, PGW_KIND_CONSTRAINT, &o->obj, NULL, k->obj.name, "drop", PH_DROP, PA_FK, 0);
		}
	if (table && o->parent_name)
	{
		const struct pgw_object *parent = smap_get(&c->oldobj, make_key(c, PGW_KIND_TABLE, o->parent_schema,
																			o->parent_name));

		/* dropped with its parent */
		if (parent && (is_recreated(c, parent) || !new_of(c, parent)))
			return;
	}

	bf(c, "DROP %s %s;\n", rel_word(o), qn(c, o->obj.schema, cur_name(c, &o->obj)));
	ch = emit(c, o->obj.kind, &o->obj, NULL, NULL, recreate ? "drop (recreate)" : "drop", PH_DROP,
			  table ? PA_TABLE : PA_VIEW,
			  table ? PGW_HAZARD_DELETES_DATA | PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK : PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK);
	ch->is_drop_of_owner = true;
}

/* Whether a column type is an enum of the model (casts go through text). */
static bool
is_enum(struct dctx *c, const struct pgw_model *m, const char *type)
{
	for (size_t i = 0; i < m->types.n; i++)
	{
		const struct pgw_type *t = m->types.items[i];

		if (t->obj.kind == PGW_KIND_ENUM && type_matches(c, type, t->obj.schema, t->obj.name))
			return true;
	}
	return false;
}

static const struct pgw_relation *rel_lookup(struct dctx *c, struct smap *m, const char *schema, const char *name);

/* Columns of an existing table: add, drop, alter. */
static void
diff_columns(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n)
{
	const char *qt = qn(c, n->obj.schema, n->obj.name);

	if (n->parent_name)
	{
		/* a partition's columns are its parent's; NOT NULL and defaults can differ */
		for (size_t i = 0; i < n->columns.n; i++)
		{
			const struct pgw_column *nc = n->columns.items[i];
			const struct pgw_column *oc = find_column(&o->columns, nc->obj.name);
			const char *qc = qi(c, nc->obj.name);

			if (!oc)
			{
				/* added through the parent: what differs from the parent's */
				const struct pgw_relation *np = rel_lookup(c, &c->newobj, n->parent_schema, n->parent_name);
				const struct pgw_column *pc = np ? find_column(&np->columns, nc->obj.name) : NULL;

				if (!pc || nc->generated || pc->generated)
					continue;
				if (!streq(nc->default_expr, pc->default_expr))
				{
					if (nc->default_expr)
						bf(c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", qt, qc, nc->default_expr);
					else
						bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qt, qc);
				}
				if (nc->not_null && !pc->not_null)
					bf(c, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", qt, qc);
				if (c->b.len)
					emit(c, PGW_KIND_COLUMN, NULL, &n->obj, nc->obj.name, "alter", PH_CREATE, PB_COLUMN + 2,
						 nc->not_null && !pc->not_null ? PGW_HAZARD_MAY_FAIL_ON_DATA : 0);
				continue;
			}
			if (!streq(oc->type, nc->type))
				continue;
			if (oc->default_expr && !oc->generated && mentions_recreated(c, o, oc->default_expr))
			{
				bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qn(c, o->obj.schema, cur_name(c, &o->obj)), qc);
				emit(c, PGW_KIND_COLUMN, &o->obj, NULL, nc->obj.name, "drop default", PH_DROP, PA_CONSTRAINT, 0);
				if (nc->default_expr)
					bf(c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", qt, qc, nc->default_expr);
			}
			else if (!nc->generated && !oc->generated && !streq(oc->default_expr, nc->default_expr))
			{
				if (nc->default_expr)
					bf(c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", qt, qc, nc->default_expr);
				else
					bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qt, qc);
			}
			if (oc->not_null != nc->not_null)
				bf(c, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL;\n", qt, qc, nc->not_null ? "SET" : "DROP");
			if (c->b.len)
				emit(c, PGW_KIND_COLUMN, NULL, &n->obj, nc->obj.name, "alter", PH_CREATE, PB_COLUMN + 2,
					 nc->not_null && !oc->not_null ? PGW_HAZARD_MAY_FAIL_ON_DATA : 0);
		}
		return;
	}
	for (size_t i = 0; i < o->columns.n; i++)
	{
		const struct pgw_column *oc = o->columns.items[i];
		const char *newname = c->colrenames.n == 0 ? NULL :
			smap_get(&c->colrenames, aprintf(c, "%s.%s.%s", n->obj.schema, n->obj.name, oc->obj.name));
		const struct pgw_column *nc = find_column_at(&n->columns, newname ? newname : oc->obj.name, i);
		bool		gen_changed = nc && (oc->generated != nc->generated ||
										 (nc->generated && !streq(oc->default_expr, nc->default_expr)));

		if (newname && nc)
		{
			bf(c, "ALTER TABLE %s RENAME COLUMN %s TO %s;\n", qt, qi(c, oc->obj.name), qi(c, newname));
			emit(c, PGW_KIND_COLUMN, &o->obj, NULL, newname, "rename", PH_DROP, PA_RENAME, 0);
		}
		if (nc && !gen_changed)
			continue;
		bf(c, "ALTER TABLE %s DROP COLUMN %s;\n", qt, qi(c, oc->obj.name));
		emit(c, PGW_KIND_COLUMN, &o->obj, NULL, oc->obj.name, "drop", PH_DROP,
			 oc->generated ? PA_GENCOL : PA_COLUMN,
			 (oc->generated ? 0 : PGW_HAZARD_DELETES_DATA) | PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK);
	}
	for (size_t i = 0; i < n->columns.n; i++)
	{
		const struct pgw_column *nc = n->columns.items[i];
		const struct pgw_column *oc = find_column_at(&o->columns, nc->obj.name, i);
		const char *qc = qi(c, nc->obj.name);
		unsigned	hz = 0;

		if (!oc && c->colrenames.n)
		{
			/* renamed? */
			for (size_t k = 0; k < o->columns.n && !oc; k++)
			{
				const struct pgw_column *cand = o->columns.items[k];
				const char *nn = smap_get(&c->colrenames, aprintf(c, "%s.%s.%s", n->obj.schema, n->obj.name, cand->obj.name));

				if (nn && streq(nn, nc->obj.name))
					oc = cand;
			}
		}
		if (oc && (oc->generated != nc->generated || (nc->generated && !streq(oc->default_expr, nc->default_expr))))
			oc = NULL;			/* dropped above, added again */
		if (!oc)
		{
			bf(c, "ALTER TABLE %s ADD COLUMN %s", qt, c->opts->if_not_exists ? "IF NOT EXISTS " : "");
			column_def(c, nc);
			bs(c, ";\n");
			hz = PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK;
			if (nc->generated || nc->identity)
				hz |= PGW_HAZARD_TABLE_REWRITE;
			if (nc->not_null && !nc->default_expr && !nc->identity)
				hz |= PGW_HAZARD_MAY_FAIL_ON_DATA;
			emit(c, PGW_KIND_COLUMN, NULL, &n->obj, nc->obj.name, "add", PH_CREATE, PB_COLUMN, hz);
			emit_comment(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "COLUMN %s.%s", qt, qc), nc->obj.name,
						 NULL, nc->comment, true);
			emit_grants(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "TABLE %s", qt), nc->obj.name, NULL, &nc->grants);
			continue;
		}
		/* type, default, not null, identity */
		{
			bool		type_changed = !streq(oc->type, nc->type) || !streq(oc->collation, nc->collation);
			bool		default_changed = !nc->generated && !streq(oc->default_expr, nc->default_expr);
			bool		default_mentions = mentions_recreated(c, o, oc->default_expr);

			if ((type_changed || default_mentions) && oc->default_expr && !oc->generated && oc->identity == 0)
			{
				/* the old default may not fit the new type: off first */
				bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qt, qc);
				emit(c, PGW_KIND_COLUMN, &o->obj, NULL, nc->obj.name, "drop default", PH_DROP, PA_CONSTRAINT, 0);
				default_changed = nc->default_expr != NULL;	/* set again below */
			}
			else if (default_changed && !nc->default_expr && oc->identity == 0)
			{
				bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n", qt, qc);
				emit(c, PGW_KIND_COLUMN, &o->obj, NULL, nc->obj.name, "drop default", PH_DROP, PA_CONSTRAINT, 0);
				default_changed = false;
			}
			if (oc->identity && nc->identity != oc->identity && nc->identity == 0)
				bf(c, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY;\n", qt, qc);
			if (type_changed)
			{
				bf(c, "ALTER TABLE %s ALTER COLUMN %s TYPE %s", qt, qc, nc->type);
				if (nc->collation)
					bf(c, " COLLATE %s", nc->collation);
				if (is_enum(c, c->from, oc->type) || is_enum(c, c->to, nc->type))
					bf(c, " USING %s::text%s::%s;\n", qc, strstr(nc->type, "[]") ? "[]" : "", nc->type);
				else
					bf(c, " USING %s::%s;\n", qc, nc->type);
				hz |= PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_TABLE_REWRITE | PGW_HAZARD_MAY_FAIL_ON_DATA;
			}
			if (default_changed && nc->default_expr)
				bf(c, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n", qt, qc, nc->default_expr);
			if (oc->not_null != nc->not_null && !(nc->identity && !oc->identity))
			{
				bf(c, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL;\n", qt, qc, nc->not_null ? "SET" : "DROP");
				if (nc->not_null)
					hz |= PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_MAY_FAIL_ON_DATA;
			}
			if (nc->identity && nc->identity != oc->identity)
			{
				if (oc->identity)
					bf(c, "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s;\n", qt, qc,
					   nc->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
				else
				{
					if (!oc->not_null)
						bf(c, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", qt, qc);
					bf(c, "ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY;\n", qt, qc,
					   nc->identity == 'a' ? "ALWAYS" : "BY DEFAULT");
					hz |= PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_MAY_FAIL_ON_DATA;
				}
			}
			if (c->b.len)
				emit(c, PGW_KIND_COLUMN, NULL, &n->obj, nc->obj.name, "alter", PH_CREATE, PB_COLUMN, hz);
		}
		emit_comment(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "COLUMN %s.%s", qt, qc), nc->obj.name,
					 oc->comment, nc->comment, false);
		emit_grants(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "TABLE %s", qt), nc->obj.name, &oc->grants, &nc->grants);
	}
}

static bool
constraint_eq(const struct pgw_constraint *a, const struct pgw_constraint *b)
{
	return a->type == b->type && streq(a->definition, b->definition) && a->deferrable == b->deferrable &&
		a->deferred == b->deferred;
}

static bool
index_eq(const struct pgw_index *a, const struct pgw_index *b)
{
	return streq(a->definition, b->definition);
}

static bool
policy_eq(const struct pgw_policy *a, const struct pgw_policy *b)
{
	return a->command == b->command && a->permissive == b->permissive && strs_eq(&a->roles, &b->roles) &&
		streq(a->using_expr, b->using_expr) && streq(a->check_expr, b->check_expr);
}

/* Whether an expression mentions a column of o that is dropped or changes
 * type (PostgreSQL refuses both while a policy uses the column). */
static bool
touches_changed_column(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n, const char *text)
{
	if (!o || !n || !text)
		return false;
	/* most tables change no column's type: find out once per pair */
	if (c->tc_o != o || c->tc_n != n)
	{
		c->tc_o = o;
		c->tc_n = n;
		c->tc_any = false;
		for (size_t i = 0; i < o->columns.n && !c->tc_any; i++)
		{
			const struct pgw_column *oc = o->columns.items[i];
			const struct pgw_column *nc = find_column_at(&n->columns, oc->obj.name, i);

			c->tc_any = !(nc && streq(oc->type, nc->type) && streq(oc->collation, nc->collation) &&
						  oc->generated == nc->generated);
		}
	}
	if (!c->tc_any)
		return false;
	for (size_t i = 0; i < o->columns.n; i++)
	{
		const struct pgw_column *oc = o->columns.items[i];
		const struct pgw_column *nc = find_column_at(&n->columns, oc->obj.name, i);

		if (nc && streq(oc->type, nc->type) && streq(oc->collation, nc->collation) &&
			oc->generated == nc->generated)
			continue;
		if (str_mentions(text, qi(c, oc->obj.name)))
			return true;
	}
	return false;
}

/* Whether a partition's parent table is created (or recreated) by this diff:
 * its indexes are new, and the partition's must be attached again. */
static bool
parent_table_new(struct dctx *c, const struct pgw_relation *n)
{
	const struct pgw_object *op;

	if (!n->parent_name)
		return false;
	op = smap_get(&c->oldobj, make_key(c, PGW_KIND_TABLE, n->parent_schema, n->parent_name));
	return !op || is_recreated(c, op);
}

/* ---- partitions: what PostgreSQL does by itself ----
 *
 * A partition created with PARTITION OF, or a table attached with ATTACH
 * PARTITION, gets an index for each index its parent has at that moment:
 * PostgreSQL adopts a matching index of the table that is attached to
 * nothing (for a key, one behind a constraint) or builds one under a name
 * of its own choosing.  The plan must not build those indexes again nor
 * attach them; it names a built one as the target does, and creates an
 * index the target names otherwise before the ATTACH, so that it is the one
 * adopted.  An index of the parent dropped takes its partitions' attached
 * indexes along, and their constraints with CASCADE only.
 */

static const struct pgw_relation *
rel_lookup(struct dctx *c, struct smap *m, const char *schema, const char *name)
{
	if (!name)
		return NULL;
	return (const struct pgw_relation *) smap_get(m, make_key(c, PGW_KIND_TABLE, schema, name));
}

/* Whether partition n joins its parent in this plan: created, attached
 * (it was a plain table or another's partition) or attached again with
 * another bound. */
static bool
partition_joins(const struct pgw_relation *o, const struct pgw_relation *n)
{
	return n->parent_name && (!o || !streq(o->parent_name, n->parent_name) ||
							  !streq(o->parent_schema, n->parent_schema) ||
							  !streq(o->partition_bound, n->partition_bound));
}

/* The parent's index pname when it exists, unchanged, before partition n
 * joins: the parent table and that index are kept from the old model, or
 * the parent, a partition created too, got that index on creation. */
static char joined_index(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n,
						 const struct pgw_index *nx, const char **other);

static const struct pgw_index *
parent_index_kept(struct dctx *c, const struct pgw_relation *n, const char *pname)
{
	const struct pgw_relation *op;
	const struct pgw_relation *np;
	const struct pgw_index *oi;
	const struct pgw_index *ni;

	if (!n->parent_name || !pname)
		return NULL;
	op = rel_lookup(c, &c->oldobj, n->parent_schema, n->parent_name);
	np = rel_lookup(c, &c->newobj, n->parent_schema, n->parent_name);
	if (np && parent_table_new(c, n))
	{
		const char *other = NULL;

		/* a created partition's index that came with it (sub-partitions) */
		ni = find_index(&np->indexes, pname);
		return ni && np->parent_name && joined_index(c, NULL, np, ni, &other) ? ni : NULL;
	}
	if (!op || !np || table_shape_changed(op, np))
		return NULL;
	oi = find_index(&op->indexes, pname);
	ni = find_index(&np->indexes, pname);
	if (!oi || !ni || !index_eq(oi, ni) || !oi->constraint != !ni->constraint ||
		smap_get(&c->recreate, make_key(c, PGW_KIND_TABLE, op->obj.schema, op->obj.name)))
		return NULL;
	return ni;
}

/*
 * The name PostgreSQL gives the index it builds on partition table n for
 * the parent's index pi (ChooseIndexName: the table's name, the key and
 * INCLUDE columns, then pkey, excl, key or idx), or NULL when it is not
 * foreseeable here: expressions, a repeated column, a name too long to be
 * kept whole.  A taken name (PostgreSQL appends a number) is not foreseen.
 */
static const char *
clone_index_name(struct dctx *c, const struct pgw_relation *n, const struct pgw_index *pi)
{
	const char *name;

	if (pi->primary)
		name = aprintf(c, "%s_pkey", n->obj.name);
	else
	{
		name = n->obj.name;
		for (size_t pass = 0; pass < 2; pass++)
		{
			const struct pgw_vec *v = pass ? &pi->include : &pi->keys;

			for (size_t i = 0; i < v->n; i++)
			{
				const char *col = v->items[i];

				if (!find_column(&n->columns, col) || strstr(name + strlen(n->obj.name), aprintf(c, "_%s", col)))
					return NULL;
				name = aprintf(c, "%s_%s", name, col);
			}
		}
		name = aprintf(c, "%s_%s", name, pi->exclusion ? "excl" : pi->constraint ? "key" : "idx");
	}
	return strlen(name) < 64 ? name : NULL;
}

/* The old index of o that partition n adopts as its part of the parent's
 * index pi on joining: same name and definition as n's index nx, attached
 * to nothing, and behind a constraint when pi is. */
static const struct pgw_index *
adopted_index(const struct pgw_relation *o, const struct pgw_index *nx, const struct pgw_index *pi)
{
	const struct pgw_index *ox;

	if (!o)
		return NULL;
	ox = find_index(&o->indexes, nx->obj.name);
	if (!ox || !index_eq(ox, nx) || !ox->constraint != !pi->constraint)
		return NULL;
	return ox;
}

/* Whether the index pname of o's parent goes in this plan: dropped,
 * rebuilt, or its table recreated. */
static bool
parent_index_goes(struct dctx *c, const struct pgw_relation *o, const char *pname)
{
	const struct pgw_relation *op = rel_lookup(c, &c->oldobj, o->parent_schema, o->parent_name);
	const struct pgw_relation *np = rel_lookup(c, &c->newobj, o->parent_schema, o->parent_name);
	const struct pgw_index *oi = op ? find_index(&op->indexes, pname) : NULL;
	const struct pgw_index *ni = np ? find_index(&np->indexes, pname) : NULL;

	return !oi || !ni || !index_eq(oi, ni) || !oi->constraint != !ni->constraint ||
		is_recreated(c, &op->obj) || table_shape_changed(op, np) || mentions_recreated(c, op, oi->definition);
}

/* Whether partition o's constraint k (a key of its own) is lost when its
 * index, attached to an index of the parent, goes with that index: the
 * parent's index is dropped or n's index is no longer attached to it. */
static bool
key_lost_with_parent_index(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n,
						   const struct pgw_constraint *k)
{
	const struct pgw_index *ox;

	if (!o || k->inherited || !k->index || !o->parent_name ||
		(k->type != PGW_CON_PRIMARY && k->type != PGW_CON_UNIQUE && k->type != PGW_CON_EXCLUSION))
		return false;
	ox = find_index(&o->indexes, k->index);
	if (!ox || !ox->parent || !n || !streq(n->parent_name, o->parent_name) ||
		!streq(n->parent_schema, o->parent_schema))
		return false;			/* a detached partition keeps its index */
	return parent_index_goes(c, o, ox->parent);
}

/*
 * How partition n's index nx comes when n joins its parent in this plan
 * (o: n before, NULL when created):
 *   0    not by joining: the plan builds it and attaches it;
 *   'a'  adopted (o's own) or built by PostgreSQL under nx's name;
 *   'r'  built by PostgreSQL under *other, renamed after;
 *   'c'  created (or made a constraint) by the plan before the ATTACH, to be adopted.
 */
static char
joined_index(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n,
			 const struct pgw_index *nx, const char **other)
{
	const struct pgw_index *pi;
	const char *clone;

	if (!nx->parent || !partition_joins(o, n))
		return 0;
	pi = parent_index_kept(c, n, nx->parent);
	if (!pi)
		return 0;
	if (o && adopted_index(o, nx, pi))
		return 'a';
	clone = clone_index_name(c, n, pi);
	if (!clone || streq(clone, nx->obj.name))
		return 'a';
	if (o)
		return 'c';
	*other = clone;
	return 'r';
}

/* Whether a partitioned table's index ix, dropped, has attached indexes
 * behind constraints of the partitions' own (they need CASCADE). */
static bool
index_has_keyed_parts(struct dctx *c, const struct pgw_relation *o, const struct pgw_index *ix)
{
	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *p = c->from->relations.items[i];

		if (!streq(p->parent_name, o->obj.name) || !streq(p->parent_schema, o->obj.schema))
			continue;
		for (size_t j = 0; j < p->indexes.n; j++)
		{
			const struct pgw_index *px = p->indexes.items[j];
			const struct pgw_constraint *k = px->constraint ? find_constraint(&p->constraints, px->constraint) : NULL;

			if (streq(px->parent, ix->obj.name) && k && !k->inherited)
				return true;
		}
	}
	return false;
}

/* Whether o's key k becomes n's part of the parent's key nk as it is:
 * adopted when n joins the parent, or when the parent's key is added (it
 * goes down to the partitions and takes a matching key of theirs). */
static bool
key_adopted(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n,
			const struct pgw_constraint *k, const struct pgw_constraint *nk)
{
	const struct pgw_index *nx = nk->index ? find_index(&n->indexes, nk->index) : NULL;
	const struct pgw_index *ox = k->index ? find_index(&o->indexes, k->index) : NULL;
	const struct pgw_relation *np;
	const struct pgw_index *pi;
	const char *other = NULL;

	if (!nx || !nx->parent || !ox || !streq(ox->obj.name, nx->obj.name) || !index_eq(ox, nx) ||
		!constraint_eq(k, nk))
		return false;
	if (partition_joins(o, n))
		return joined_index(c, o, n, nx, &other) == 'a';
	if (ox->parent || parent_table_new(c, n))
		return false;
	np = rel_lookup(c, &c->newobj, n->parent_schema, n->parent_name);
	pi = np ? find_index(&np->indexes, nx->parent) : NULL;
	return pi && pi->constraint && !parent_index_kept(c, n, nx->parent);
}

/*
 * The parts of a relation every table and view has: constraints, indexes,
 * RLS, policies, triggers, grants, comments, owner.  o is NULL when n is
 * created (or recreated), and then everything in n is added.
 */
static void
rel_body(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n)
{
	const char *qt = qn(c, n->obj.schema, n->obj.name);
	bool		existing = o != NULL;
	const struct pgw_vec empty = {0};
	const struct pgw_vec *ocons = o ? &o->constraints : &empty;
	const struct pgw_vec *oidx = o ? &o->indexes : &empty;
	const struct pgw_vec *opol = o ? &o->policies : &empty;
	const struct pgw_vec *otrg = o ? &o->triggers : &empty;
	bool		table = n->obj.kind == PGW_KIND_TABLE;
	bool		concurrently = existing && !c->opts->no_concurrently && n->relkind != 'p';
	/* a partition leaving its parent keeps the inherited constraints as its own */
	bool		detached = o && o->parent_name &&
		(!n->parent_name || !streq(o->parent_name, n->parent_name) || !streq(o->parent_schema, n->parent_schema));

	/* constraints */
	for (size_t i = 0; i < ocons->n; i++)
	{
		const struct pgw_constraint *k = ocons->items[i];
		const struct pgw_constraint *nk = find_constraint(&n->constraints, k->obj.name);

		if (k->inherited && !detached)
			continue;
		if (key_lost_with_parent_index(c, o, n, k))
			continue;			/* goes with the parent's index (CASCADE) */
		if (nk && nk->inherited && key_adopted(c, o, n, k, nk))
			continue;
		if (nk && !nk->inherited && constraint_eq(k, nk) && !mentions_recreated(c, o, k->definition) &&
			!(k->type == PGW_CON_FOREIGN && smap_get(&c->recreate, aprintf(c, "fk\x1f%s.%s.%s", o->obj.schema,
																	   o->obj.name, k->obj.name))))
			continue;
		bf(c, "ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s;\n", qn(c, o->obj.schema, cur_name(c, &o->obj)),
		   qi(c, k->obj.name));
		/* an inherited one only after the partition is detached */
		emit(c, PGW_KIND_CONSTRAINT, &o->obj, NULL, k->obj.name, "drop", PH_DROP,
				  k->inherited ? PA_CONSTRAINT + 1 : k->type == PGW_CON_FOREIGN ? PA_FK : PA_CONSTRAINT,
				  PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK |
				  (k->type == PGW_CON_PRIMARY || k->type == PGW_CON_UNIQUE || k->type == PGW_CON_EXCLUSION ?
				   PGW_HAZARD_INDEX_DROPPED : 0));
	}
	for (size_t i = 0; i < n->constraints.n; i++)
	{
		const struct pgw_constraint *k = n->constraints.items[i];
		const struct pgw_constraint *ok = find_constraint(ocons, k->obj.name);
		bool		same;

		if (k->inherited && !ok && n->parent_name && reusable_index(o, n, k))
		{
			/* a partition's index becomes its part of the parent's key */
			const struct pgw_index *nx = find_index(&n->indexes, k->index);
			const struct pgw_object *pt = smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->parent_schema,
																		   n->parent_name));
			const struct pgw_relation *np = (const struct pgw_relation *) pt;
			const struct pgw_index *pi = nx && nx->parent && np ? find_index(&np->indexes, nx->parent) : NULL;
			const char *other = NULL;
			/* the parent's key, added, goes down to the partitions and
			 * takes this one: it must be a key first */
			bool		taken = pi && pi->constraint && !parent_index_kept(c, n, nx->parent) && !parent_table_new(c, n);
			struct pgw_change *ch;

			if (nx && joined_index(c, o, n, nx, &other))
				continue;		/* before the ATTACH (table_alter) */
			bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;\n", qt, qi(c, k->obj.name),
			   k->type == PGW_CON_PRIMARY ? "PRIMARY KEY" : "UNIQUE", qi(c, k->index));
			if (nx && nx->parent && !taken)
				bf(c, "ALTER INDEX %s ATTACH PARTITION %s;\n", qn(c, n->parent_schema, nx->parent),
				   qn(c, n->obj.schema, nx->obj.name));
			ch = emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "add", PH_CREATE,
					  taken ? PB_CONSTRAINT - 1 : PB_INDEX + 1, PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK);
			if (pt && !taken)
				vec_push(&c->d->arena, &ch->before, (void *) pt);
			continue;
		}
		if (k->inherited)
			continue;
		same = ok && (!ok->inherited || detached) && constraint_eq(ok, k) && !mentions_recreated(c, o, ok->definition) &&
			!key_lost_with_parent_index(c, o, n, ok) &&
			!(k->type == PGW_CON_FOREIGN && smap_get(&c->recreate, aprintf(c, "fk\x1f%s.%s.%s", o->obj.schema,
																	   o->obj.name, k->obj.name)));
		if (!same)
			emit_constraint_add(c, n, k, existing, reusable_index(o, n, k) != NULL);
		else if (!ok->validated && k->validated)
		{
			bf(c, "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n", qt, qi(c, k->obj.name));
			emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "validate", PH_CREATE, PB_VALIDATE,
				 PGW_HAZARD_MAY_FAIL_ON_DATA)->late = true;
		}
		else if (ok->validated && !k->validated)
		{
			/* cannot un-validate: drop and add NOT VALID */
			bf(c, "ALTER TABLE %s DROP CONSTRAINT %s;\n", qt, qi(c, k->obj.name));
			bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID;\n", qt, qi(c, k->obj.name), k->definition);
			emit(c, PGW_KIND_CONSTRAINT, NULL, &n->obj, k->obj.name, "alter", PH_CREATE, PB_FK, 0)->late = true;
		}
		emit_comment(c, &n->obj, PGW_KIND_CONSTRAINT, aprintf(c, "CONSTRAINT %s ON %s", qi(c, k->obj.name), qt),
					 k->obj.name, same ? ok->comment : NULL, k->comment, !same);
	}

	/* indexes (those behind constraints come with them) */
	for (size_t i = 0; i < oidx->n; i++)
	{
		const struct pgw_index *ix = oidx->items[i];
		const struct pgw_index *nx = find_index(&n->indexes, ix->obj.name);
		bool		conc = concurrently && o->relkind != 'p';

		if (!index_is_separate(ix))
			continue;
		if (ix->parent && !detached && (!nx || !streq(ix->parent, nx->parent)))
			continue;			/* goes with the parent's index */
		if (nx && index_is_separate(nx) && index_eq(ix, nx) && !mentions_recreated(c, o, ix->definition))
			continue;
		if (nx && index_is_separate(nx) && conc && index_eq(ix, nx) == false)
			continue;			/* rebuilt under a temporary name below */
		if (nx && nx->constraint && find_constraint(&n->constraints, nx->constraint) &&
			!find_constraint(&o->constraints, nx->constraint) &&
			reusable_index(o, n, find_constraint(&n->constraints, nx->constraint)))
			continue;			/* a new constraint takes it over */
		/* partitions' keys on its attached indexes go with it */
		bf(c, "DROP INDEX %sIF EXISTS %s%s;\n", conc ? "CONCURRENTLY " : "", qn(c, o->obj.schema, ix->obj.name),
		   o->relkind == 'p' && index_has_keyed_parts(c, o, ix) ? " CASCADE" : "");
		{
			/* a partitioned table's index goes first: it takes the
			 * partitions' attached indexes (and their constraints) along */
			struct pgw_change *ch = emit(c, PGW_KIND_INDEX, &o->obj, NULL, ix->obj.name, "drop", PH_DROP,
										 o->relkind == 'p' ? PA_CONSTRAINT - 1 : PA_INDEX,
										 PGW_HAZARD_INDEX_DROPPED | (conc ? 0 : PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK));

			ch->no_transaction = conc;
		}
	}
	for (size_t i = 0; i < n->indexes.n; i++)
	{
		const struct pgw_index *nx = n->indexes.items[i];
		const struct pgw_index *ix = find_index(oidx, nx->obj.name);
		const char *other = NULL;
		char		how = joined_index(c, o, n, nx, &other);
		struct pgw_change *ch;

		if (how == 'r')
		{
			/* built with the partition under PostgreSQL's name */
			bf(c, "ALTER INDEX %s RENAME TO %s;\n", qn(c, n->obj.schema, other), qi(c, nx->obj.name));
			emit(c, PGW_KIND_INDEX, NULL, &n->obj, nx->obj.name, "rename", PH_CREATE, PB_COLUMN, 0);
		}
		if (how)
		{
			if (index_is_separate(nx))
				emit_comment(c, &n->obj, PGW_KIND_INDEX, aprintf(c, "INDEX %s", qn(c, n->obj.schema, nx->obj.name)),
							 nx->obj.name, ix ? ix->comment : NULL, nx->comment, !ix);
			continue;
		}
		if (!index_is_separate(nx))
			continue;
		/* attached to a parent's index that goes: it goes too */
		if (ix && ix->parent && !nx->parent && o->parent_name && streq(o->parent_name, n->parent_name) &&
			streq(o->parent_schema, n->parent_schema) && parent_index_goes(c, o, ix->parent))
			ix = NULL;
		if (nx->parent && ix && index_is_separate(ix) && index_eq(ix, nx) &&
			(!streq(ix->parent, nx->parent) || parent_table_new(c, n)))
		{
			/* an existing index, attached now */
			bf(c, "ALTER INDEX %s ATTACH PARTITION %s;\n", qn(c, n->parent_schema, nx->parent),
			   qn(c, n->obj.schema, nx->obj.name));
			ch = emit(c, PGW_KIND_INDEX, NULL, &n->obj, nx->obj.name, "attach", PH_CREATE, PB_INDEX + 1, 0);
			vec_push(&c->d->arena, &ch->before, (void *) smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE,
																					  n->parent_schema, n->parent_name)));
			continue;
		}
		if (ix && index_is_separate(ix) && index_eq(ix, nx) && !mentions_recreated(c, o, ix->definition))
		{
			emit_comment(c, &n->obj, PGW_KIND_INDEX, aprintf(c, "INDEX %s", qn(c, n->obj.schema, nx->obj.name)),
						 nx->obj.name, ix->comment, nx->comment, false);
			continue;
		}
		if (ix && index_is_separate(ix) && concurrently)
		{
			/* rebuild beside the old one, then swap */
			const char *tmp = aprintf(c, "%.50s_pgw_new", nx->obj.name);

			index_sql(c, nx, true, tmp);
			bf(c, "DROP INDEX CONCURRENTLY IF EXISTS %s;\n", qn(c, n->obj.schema, ix->obj.name));
			bf(c, "ALTER INDEX %s RENAME TO %s;\n", qn(c, n->obj.schema, tmp), qi(c, nx->obj.name));
			if (nx->parent)
				bf(c, "ALTER INDEX %s ATTACH PARTITION %s;\n", qn(c, n->parent_schema, nx->parent),
				   qn(c, n->obj.schema, nx->obj.name));
			ch = emit(c, PGW_KIND_INDEX, NULL, &n->obj, nx->obj.name, "rebuild", PH_CREATE,
					  nx->parent ? PB_INDEX + 1 : PB_INDEX, PGW_HAZARD_INDEX_BUILD | PGW_HAZARD_INDEX_DROPPED);
			ch->no_transaction = true;
			if (nx->parent)
			{
				const struct pgw_object *pt = smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->parent_schema,
																				n->parent_name));

				if (pt)
					vec_push(&c->d->arena, &ch->before, (void *) pt);
			}
		}
		else
		{
			index_sql(c, nx, concurrently, NULL);
			if (nx->parent)
				bf(c, "ALTER INDEX %s ATTACH PARTITION %s;\n", qn(c, n->parent_schema, nx->parent),
				   qn(c, n->obj.schema, nx->obj.name));
			ch = emit(c, PGW_KIND_INDEX, NULL, &n->obj, nx->obj.name, "create", PH_CREATE,
					  nx->parent ? PB_INDEX + 1 : PB_INDEX,
					  existing ? PGW_HAZARD_INDEX_BUILD | (concurrently ? 0 : PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK) : 0);
			ch->no_transaction = concurrently;
			if (nx->parent)
			{
				const struct pgw_object *pt = smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->parent_schema,
																				n->parent_name));

				if (pt)
					vec_push(&c->d->arena, &ch->before, (void *) pt);
			}
		}
		emit_comment(c, &n->obj, PGW_KIND_INDEX, aprintf(c, "INDEX %s", qn(c, n->obj.schema, nx->obj.name)),
					 nx->obj.name, NULL, nx->comment, true);
	}
	/* a partition's own constraint index attached to the parent's index */
	for (size_t i = 0; n->parent_name && i < n->indexes.n; i++)
	{
		const struct pgw_index *nx = n->indexes.items[i];
		const struct pgw_index *ix = find_index(oidx, nx->obj.name);
		const struct pgw_constraint *k = nx->constraint ? find_constraint(&n->constraints, nx->constraint) : NULL;
		const struct pgw_object *pt;
		struct pgw_change *ch;

		const char *other = NULL;

		if (!nx->constraint || !nx->parent || (k && k->inherited) ||
			(ix && streq(ix->parent, nx->parent) && !parent_table_new(c, n)) || joined_index(c, o, n, nx, &other))
			continue;
		bf(c, "ALTER INDEX %s ATTACH PARTITION %s;\n", qn(c, n->parent_schema, nx->parent),
		   qn(c, n->obj.schema, nx->obj.name));
		ch = emit(c, PGW_KIND_INDEX, NULL, &n->obj, nx->obj.name, "attach", PH_CREATE, PB_INDEX + 1, 0);
		pt = smap_get(&c->newobj, make_key(c, PGW_KIND_TABLE, n->parent_schema, n->parent_name));
		if (pt)
			vec_push(&c->d->arena, &ch->before, (void *) pt);
	}

	/* comments of indexes behind constraints */
	for (size_t i = 0; i < n->indexes.n; i++)
	{
		const struct pgw_index *nx = n->indexes.items[i];
		const struct pgw_index *ix = find_index(oidx, nx->obj.name);

		if (nx->constraint && !nx->parent)
			emit_comment(c, &n->obj, PGW_KIND_INDEX, aprintf(c, "INDEX %s", qn(c, n->obj.schema, nx->obj.name)),
						 nx->obj.name, ix && ix->constraint ? ix->comment : NULL, nx->comment, !ix);
	}

	/* row-level security */
	if (table && ((o ? o->rls_enabled : false) != n->rls_enabled))
	{
		bf(c, "ALTER TABLE %s %s ROW LEVEL SECURITY;\n", qt, n->rls_enabled ? "ENABLE" : "DISABLE");
		emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "rls", PH_CREATE, PB_RLS, PGW_HAZARD_AUTHZ_CHANGE)->late = true;
	}
	if (table && ((o ? o->rls_forced : false) != n->rls_forced))
	{
		bf(c, "ALTER TABLE %s %sFORCE ROW LEVEL SECURITY;\n", qt, n->rls_forced ? "" : "NO ");
		emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "rls", PH_CREATE, PB_RLS, PGW_HAZARD_AUTHZ_CHANGE)->late = true;
	}

	/* policies */
	for (size_t i = 0; i < opol->n; i++)
	{
		const struct pgw_policy *p = opol->items[i];
		const struct pgw_policy *np = find_policy(&n->policies, p->obj.name);

		if (np && p->command == np->command && p->permissive == np->permissive &&
			!(p->using_expr && !np->using_expr) && !(p->check_expr && !np->check_expr) &&
			!mentions_recreated(c, o, p->using_expr) && !mentions_recreated(c, o, p->check_expr) &&
			!touches_changed_column(c, o, n, p->using_expr) && !touches_changed_column(c, o, n, p->check_expr))
			continue;
		bf(c, "DROP POLICY %s ON %s;\n", qi(c, p->obj.name), qn(c, o->obj.schema, cur_name(c, &o->obj)));
		emit(c, PGW_KIND_POLICY, &o->obj, NULL, p->obj.name, "drop", PH_DROP, PA_POLICY, PGW_HAZARD_AUTHZ_CHANGE);
	}
	for (size_t i = 0; i < n->policies.n; i++)
	{
		const struct pgw_policy *np = n->policies.items[i];
		const struct pgw_policy *p = find_policy(opol, np->obj.name);

		bool		touched = p && (touches_changed_column(c, o, n, p->using_expr) ||
									touches_changed_column(c, o, n, p->check_expr));

		if (p && policy_eq(p, np) && !mentions_recreated(c, o, p->using_expr) &&
			!mentions_recreated(c, o, p->check_expr) && !touched)
			continue;
		if (p && p->command == np->command && p->permissive == np->permissive && !touched &&
			!(p->using_expr && !np->using_expr) && !(p->check_expr && !np->check_expr) &&
			!mentions_recreated(c, o, p->using_expr) && !mentions_recreated(c, o, p->check_expr))
		{
			bf(c, "ALTER POLICY %s ON %s TO ", qi(c, np->obj.name), qt);
			for (size_t k = 0; k < np->roles.n; k++)
			{
				if (k)
					bs(c, ", ");
				grantee_sql(c, np->roles.items[k]);
			}
			if (np->using_expr)
				bf(c, " USING (%s)", np->using_expr);
			if (np->check_expr)
				bf(c, " WITH CHECK (%s)", np->check_expr);
			bs(c, ";\n");
			emit(c, PGW_KIND_POLICY, NULL, &n->obj, np->obj.name, "alter", PH_CREATE, PB_POLICY,
				 PGW_HAZARD_AUTHZ_CHANGE)->late = true;
			continue;
		}
		emit_policy_create(c, n, np);
	}

	/* triggers */
	for (size_t i = 0; i < otrg->n; i++)
	{
		const struct pgw_trigger *t = otrg->items[i];
		const struct pgw_trigger *nt = find_trigger(&n->triggers, t->obj.name);
		bool		fn_recreated = smap_get(&c->recreate, make_key(c, PGW_KIND_FUNCTION, t->function_schema,
																   aprintf(c, "%s()", t->function_name))) != NULL;

		if (nt && streq(t->definition, nt->definition) && !fn_recreated)
			continue;
		bf(c, "DROP TRIGGER %s ON %s;\n", qi(c, t->obj.name), qn(c, o->obj.schema, cur_name(c, &o->obj)));
		emit(c, PGW_KIND_TRIGGER, &o->obj, NULL, t->obj.name, "drop", PH_DROP, PA_TRIGGER, 0);
	}
	for (size_t i = 0; i < n->triggers.n; i++)
	{
		const struct pgw_trigger *nt = n->triggers.items[i];
		const struct pgw_trigger *t = find_trigger(otrg, nt->obj.name);
		bool		fn_recreated = t && smap_get(&c->recreate, make_key(c, PGW_KIND_FUNCTION, t->function_schema,
																		aprintf(c, "%s()", t->function_name))) != NULL;

		if (t && streq(t->definition, nt->definition) && !fn_recreated)
		{
			if (t->enabled != nt->enabled)
			{
				bf(c, "ALTER TABLE %s %s TRIGGER %s;\n", qt,
				   nt->enabled == 'D' ? "DISABLE" : nt->enabled == 'R' ? "ENABLE REPLICA" :
				   nt->enabled == 'A' ? "ENABLE ALWAYS" : "ENABLE", qi(c, nt->obj.name));
				emit(c, PGW_KIND_TRIGGER, NULL, &n->obj, nt->obj.name, "alter", PH_CREATE, PB_TRIGGER, 0)->late = true;
			}
			emit_comment(c, &n->obj, PGW_KIND_TRIGGER, aprintf(c, "TRIGGER %s ON %s", qi(c, nt->obj.name), qt),
						 nt->obj.name, t->comment, nt->comment, false);
			continue;
		}
		emit_trigger_create(c, n, nt);
		emit_comment(c, &n->obj, PGW_KIND_TRIGGER, aprintf(c, "TRIGGER %s ON %s", qi(c, nt->obj.name), qt),
					 nt->obj.name, NULL, nt->comment, true);
	}

	/* relation-level extras */
	emit_comment(c, &n->obj, n->obj.kind, aprintf(c, "%s %s", rel_word(n), qt), NULL,
				 o ? o->comment : NULL, n->comment, !o);
	if (!o)
		acl_revoke_defaults(c, 'r', n->obj.schema, n->owner, aprintf(c, "TABLE %s", qt), NULL, &n->grants);
	emit_grants(c, &n->obj, n->obj.kind, aprintf(c, "TABLE %s", qt), NULL, o ? &o->grants : NULL, &n->grants);
	emit_owner(c, &n->obj, n->obj.kind, aprintf(c, "%s %s", n->relkind == 'm' ? "MATERIALIZED VIEW" :
												n->relkind == 'v' ? "VIEW" : "TABLE", qt),
			   o ? o->owner : NULL, n->owner);
	if (!o)
	{
		/* columns of a created relation: comments and grants */
		for (size_t i = 0; i < n->columns.n; i++)
		{
			const struct pgw_column *col = n->columns.items[i];

			emit_comment(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "COLUMN %s.%s", qt, qi(c, col->obj.name)),
						 col->obj.name, NULL, col->comment, true);
			emit_grants(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "TABLE %s", qt), col->obj.name, NULL, &col->grants);
		}
	}
	else if (n->obj.kind == PGW_KIND_VIEW)
	{
		for (size_t i = 0; i < n->columns.n; i++)
		{
			const struct pgw_column *col = n->columns.items[i];
			const struct pgw_column *oc = find_column(&o->columns, col->obj.name);

			emit_comment(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "COLUMN %s.%s", qt, qi(c, col->obj.name)),
						 col->obj.name, oc ? oc->comment : NULL, col->comment, false);
			emit_grants(c, &n->obj, PGW_KIND_COLUMN, aprintf(c, "TABLE %s", qt), col->obj.name,
						oc ? &oc->grants : NULL, &col->grants);
		}
	}
}

/*
 * What table o needs before ATTACH PARTITION makes it partition n (into the
 * scratch buffer): the parent's CHECK constraints it lacks (ATTACH refuses
 * a table without them), and its indexes and keys that the target names
 * otherwise than PostgreSQL would, so that ATTACH adopts them instead of
 * building its own.  Returns the hazards.
 */
static unsigned
attach_prepare(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n)
{
	const char *qt = qn(c, n->obj.schema, n->obj.name);
	unsigned	hz = 0;

	for (size_t i = 0; i < n->constraints.n; i++)
	{
		const struct pgw_constraint *k = n->constraints.items[i];
		const struct pgw_constraint *ok = find_constraint(&o->constraints, k->obj.name);

		if (k->type != PGW_CON_CHECK || !k->inherited || (ok && constraint_eq(ok, k)))
			continue;
		bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s;\n", qt, qi(c, k->obj.name), k->definition);
		hz |= PGW_HAZARD_MAY_FAIL_ON_DATA;
	}
	for (size_t i = 0; i < n->indexes.n; i++)
	{
		const struct pgw_index *nx = n->indexes.items[i];
		const struct pgw_constraint *k = nx->constraint ? find_constraint(&n->constraints, nx->constraint) : NULL;
		const struct pgw_index *ox = find_index(&o->indexes, nx->obj.name);
		const char *other = NULL;

		if (joined_index(c, o, n, nx, &other) != 'c')
			continue;
		hz |= PGW_HAZARD_INDEX_BUILD;
		if (!k)
			index_sql(c, nx, false, NULL);
		else if (ox && !ox->constraint && index_eq(ox, nx))
			bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;\n", qt, qi(c, k->obj.name),
			   k->type == PGW_CON_PRIMARY ? "PRIMARY KEY" : "UNIQUE", qi(c, nx->obj.name));
		else
			bf(c, "ALTER TABLE %s ADD CONSTRAINT %s %s;\n", qt, qi(c, k->obj.name), k->definition);
	}
	return hz;
}

static void
table_alter(struct dctx *c, const struct pgw_relation *o, const struct pgw_relation *n)
{
	const char *qt = qn(c, n->obj.schema, n->obj.name);

	if (!streq(o->obj.name, n->obj.name))
	{
		bf(c, "ALTER %s %s RENAME TO %s;\n", rel_word(o), qn(c, o->obj.schema, o->obj.name), qi(c, n->obj.name));
		emit(c, n->obj.kind, &o->obj, NULL, NULL, "rename", PH_DROP, PA_RENAME, 0);
	}
	if (o->unlogged != n->unlogged)
	{
		bf(c, "ALTER TABLE %s SET %s;\n", qt, n->unlogged ? "UNLOGGED" : "LOGGED");
		emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_COLUMN,
			 PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_TABLE_REWRITE);
	}
	if (!strs_eq(&o->options, &n->options))
	{
		for (size_t i = 0; i < o->options.n; i++)
		{
			const char *opt = o->options.items[i];
			const char *eq = strchr(opt, '=');
			bool		kept = false;

			for (size_t k = 0; k < n->options.n; k++)
			{
				const char *nopt = n->options.items[k];

				if (eq && strncmp(nopt, opt, (size_t) (eq - opt) + 1) == 0)
					kept = true;
			}
			if (!kept && eq)
				bf(c, "ALTER TABLE %s RESET (%.*s);\n", qt, (int) (eq - opt), opt);
		}
		if (n->options.n)
		{
			bf(c, "ALTER TABLE %s SET (", qt);
			for (size_t i = 0; i < n->options.n; i++)
				bf(c, "%s%s", i ? ", " : "", (const char *) n->options.items[i]);
			bs(c, ");\n");
		}
		emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_COLUMN, 0);
	}
	if (!streq(o->parent_name, n->parent_name) || !streq(o->parent_schema, n->parent_schema) ||
		!streq(o->partition_bound, n->partition_bound))
	{
		if (o->parent_name)
		{
			bf(c, "ALTER TABLE %s DETACH PARTITION %s;\n", qn(c, o->parent_schema, o->parent_name),
			   qn(c, o->obj.schema, cur_name(c, &o->obj)));
			emit(c, PGW_KIND_TABLE, &o->obj, NULL, NULL, "detach", PH_DROP, PA_CONSTRAINT,
				 PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK);
		}
		if (n->parent_name)
		{
			unsigned	hz = attach_prepare(c, o, n);

			bf(c, "ALTER TABLE %s ATTACH PARTITION %s %s;\n", qn(c, n->parent_schema, n->parent_name), qt,
			   n->partition_bound ? n->partition_bound : "DEFAULT");
			/* after NOT NULL is set on its columns */
			emit(c, PGW_KIND_TABLE, NULL, &n->obj, NULL, "attach", PH_CREATE, PB_COLUMN + 3,
				 hz | PGW_HAZARD_ACCESS_EXCLUSIVE_LOCK | PGW_HAZARD_MAY_FAIL_ON_DATA);
		}
	}
	diff_columns(c, o, n);
	rel_body(c, o, n);
}

static void
diff_relations(struct dctx *c)
{
	for (size_t i = 0; i < c->to->relations.n; i++)
	{
		const struct pgw_relation *n = c->to->relations.items[i];
		const struct pgw_relation *o;

		if (!n->obj.managed)
			continue;
		o = (const struct pgw_relation *) old_of(c, &n->obj);
		if (o && o->obj.kind != n->obj.kind)
		{
			rel_drop(c, o, true);
			o = NULL;
		}
		if (n->obj.kind == PGW_KIND_TABLE)
		{
			if (o && table_shape_changed(o, n))
			{
				rel_drop(c, o, true);
				o = NULL;
			}
			if (!o)
			{
				table_create(c, n);
				rel_body(c, NULL, n);
			}
			else
				table_alter(c, o, n);
			continue;
		}
		/* views */
		if (o && (is_recreated(c, &o->obj) || view_changed(o, n)))
		{
			if (!is_recreated(c, &o->obj))
				rel_drop(c, o, true);
			o = NULL;
		}
		if (!o)
		{
			view_create(c, n);
			rel_body(c, NULL, n);
		}
		else
			rel_body(c, o, n);
	}
	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *o = c->from->relations.items[i];

		if (!o->obj.managed)
			continue;
		if (!new_of(c, &o->obj) || (o->obj.kind == PGW_KIND_VIEW && is_recreated(c, &o->obj)))
			rel_drop(c, o, new_of(c, &o->obj) != NULL);
	}
}

/* ---- objects outside the managed schemas ---- */

static bool
schema_is_managed(const struct pgw_model *m, const char *name)
{
	for (size_t i = 0; i < m->schemas.n; i++)
	{
		const struct pgw_schema *s = m->schemas.items[i];

		if (streq(s->obj.name, name))
			return s->obj.managed;
	}
	return false;
}

static bool
schema_is_known(const struct pgw_model *m, const char *name)
{
	for (size_t i = 0; i < m->schemas.n; i++)
		if (streq(((const struct pgw_schema *) m->schemas.items[i])->obj.name, name))
			return true;
	return false;
}

/*
 * A trigger on a context table (auth.users) whose function is the app's
 * (in a managed schema): Supabase's "create a profile on sign-up".  The
 * table is assumed on both sides, like every context object; the trigger
 * is created, replaced and dropped like a managed table's.
 */
static bool
app_trigger(const struct pgw_model *m, const struct pgw_trigger *t)
{
	return t->function_schema && schema_is_managed(m, t->function_schema);
}

static void
diff_context_triggers(struct dctx *c)
{
	for (size_t i = 0; i < c->to->relations.n; i++)
	{
		const struct pgw_relation *n = c->to->relations.items[i];
		const struct pgw_relation *o;

		if (n->obj.managed)
			continue;
		o = (const struct pgw_relation *) old_of(c, &n->obj);
		for (size_t j = 0; j < n->triggers.n; j++)
		{
			const struct pgw_trigger *nt = n->triggers.items[j];
			const struct pgw_trigger *ot = o && !o->obj.managed ? find_trigger(&o->triggers, nt->obj.name) : NULL;

			if (!app_trigger(c->to, nt))
				continue;
			if (ot && streq(ot->definition, nt->definition) && ot->enabled == nt->enabled &&
				streq(ot->comment, nt->comment))
				continue;
			if (ot)
			{
				bf(c, "DROP TRIGGER %s ON %s;\n", qi(c, ot->obj.name), qn(c, o->obj.schema, o->obj.name));
				emit(c, PGW_KIND_TRIGGER, &o->obj, NULL, ot->obj.name, "drop", PH_DROP, PA_TRIGGER, 0);
			}
			emit_trigger_create(c, n, nt);
			emit_comment(c, &n->obj, PGW_KIND_TRIGGER,
						 aprintf(c, "TRIGGER %s ON %s", qi(c, nt->obj.name), qn(c, n->obj.schema, n->obj.name)),
						 nt->obj.name, NULL, nt->comment, true);
		}
	}
	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *o = c->from->relations.items[i];
		const struct pgw_relation *n;

		if (o->obj.managed)
			continue;
		n = (const struct pgw_relation *) new_of(c, &o->obj);
		for (size_t j = 0; j < o->triggers.n; j++)
		{
			const struct pgw_trigger *ot = o->triggers.items[j];
			const struct pgw_trigger *nt = n && !n->obj.managed ? find_trigger(&n->triggers, ot->obj.name) : NULL;

			if (!app_trigger(c->from, ot) || (nt && app_trigger(c->to, nt)))
				continue;
			bf(c, "DROP TRIGGER %s ON %s;\n", qi(c, ot->obj.name), qn(c, o->obj.schema, o->obj.name));
			emit(c, PGW_KIND_TRIGGER, &o->obj, NULL, ot->obj.name, "drop", PH_DROP, PA_TRIGGER, 0);
		}
	}
}

/*
 * Policies on context tables (storage.objects, auth.users): a platform
 * ships none — Supabase's storage access is all the project's policies —
 * so every one is the app's, created, replaced and dropped like a managed
 * table's.
 */
static void
diff_context_policies(struct dctx *c)
{
	for (size_t i = 0; i < c->to->relations.n; i++)
	{
		const struct pgw_relation *n = c->to->relations.items[i];
		const struct pgw_relation *o;

		if (n->obj.managed)
			continue;
		o = (const struct pgw_relation *) old_of(c, &n->obj);
		for (size_t j = 0; j < n->policies.n; j++)
		{
			const struct pgw_policy *np = n->policies.items[j];
			const struct pgw_policy *op = o && !o->obj.managed ? find_policy(&o->policies, np->obj.name) : NULL;

			if (op && policy_eq(op, np))
				continue;
			if (op)
			{
				bf(c, "DROP POLICY %s ON %s;\n", qi(c, op->obj.name), qn(c, o->obj.schema, o->obj.name));
				emit(c, PGW_KIND_POLICY, &o->obj, NULL, op->obj.name, "drop", PH_DROP, PA_POLICY,
					 PGW_HAZARD_AUTHZ_CHANGE);
			}
			emit_policy_create(c, n, np);
		}
	}
	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *o = c->from->relations.items[i];
		const struct pgw_relation *n;

		if (o->obj.managed)
			continue;
		n = (const struct pgw_relation *) new_of(c, &o->obj);
		for (size_t j = 0; j < o->policies.n; j++)
		{
			const struct pgw_policy *op = o->policies.items[j];

			if (n && !n->obj.managed && find_policy(&n->policies, op->obj.name))
				continue;
			bf(c, "DROP POLICY %s ON %s;\n", qi(c, op->obj.name), qn(c, o->obj.schema, o->obj.name));
			emit(c, PGW_KIND_POLICY, &o->obj, NULL, op->obj.name, "drop", PH_DROP, PA_POLICY,
				 PGW_HAZARD_AUTHZ_CHANGE);
		}
	}
}

/* ---- publications ---- */

static const struct pgw_publication *
find_publication(const struct pgw_model *m, const char *name)
{
	for (size_t i = 0; i < m->publications.n; i++)
		if (streq(((const struct pgw_object *) m->publications.items[i])->name, name))
			return m->publications.items[i];
	return NULL;
}

static const struct pgw_publication_table *
find_pubtable(const struct pgw_publication *p, const char *schema, const char *name)
{
	for (size_t i = 0; i < p->tables.n; i++)
	{
		const struct pgw_publication_table *t = p->tables.items[i];

		if (streq(t->schema, schema) && streq(t->name, name))
			return t;
	}
	return NULL;
}

static bool
pubtable_eq(const struct pgw_publication_table *a, const struct pgw_publication_table *b)
{
	return strs_eq(&a->columns, &b->columns) && streq(a->where_expr, b->where_expr);
}

/* "TABLE s.t (cols) WHERE (expr)" into the scratch buffer */
static void
pubtable_sql(struct dctx *c, const struct pgw_publication_table *t)
{
	bf(c, "TABLE %s", qn(c, t->schema, t->name));
	if (t->columns.n)
	{
		bs(c, " (");
		for (size_t k = 0; k < t->columns.n; k++)
		{
			if (k)
				bs(c, ", ");
			bi(c, t->columns.items[k]);
		}
		bs(c, ")");
	}
	if (t->where_expr)
		bf(c, " WHERE (%s)", t->where_expr);
}

static void
publication_with(struct dctx *c, const struct pgw_publication *p)
{
	bs(c, "(publish = '");
	for (size_t k = 0; k < p->publish.n; k++)
		bf(c, "%s%s", k ? ", " : "", (const char *) p->publish.items[k]);
	bf(c, "', publish_via_partition_root = %s)", p->via_root ? "true" : "false");
}

static void
publication_create(struct dctx *c, const struct pgw_publication *n)
{
	const char *q = qi(c, n->obj.name);

	if (c->opts->if_not_exists)
	{
		/* no CREATE PUBLICATION IF NOT EXISTS; a platform's own one
		 * (supabase_realtime) is already there, empty */
		bs(c, "DO $pgw$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = ");
		sql_literal(&c->b, n->obj.name);
		bf(c, ") THEN CREATE PUBLICATION %s%s; END IF; END $pgw$;\n", q, n->all_tables ? " FOR ALL TABLES" : "");
		bf(c, "ALTER PUBLICATION %s SET ", q);
		publication_with(c, n);
		bs(c, ";\n");
	}
	else
	{
		bf(c, "CREATE PUBLICATION %s%s WITH ", q, n->all_tables ? " FOR ALL TABLES" : "");
		publication_with(c, n);
		bs(c, ";\n");
	}
	emit(c, PGW_KIND_PUBLICATION, NULL, &n->obj, NULL, "create", PH_CREATE, PB_PUBLICATION, 0)->is_drop_of_owner = true;
	emit_comment(c, &n->obj, PGW_KIND_PUBLICATION, aprintf(c, "PUBLICATION %s", q), NULL, NULL, n->comment, true);
	emit_owner(c, &n->obj, PGW_KIND_PUBLICATION, aprintf(c, "PUBLICATION %s", q), NULL, n->owner);
}

/*
 * Publications are the database's, not a schema's: created, altered and
 * dropped as wholes; of their tables and schemas only those of the
 * managed schemas are added or removed (a context table's membership is
 * its platform's), and on creation those of any schema the model has.
 */
static void
diff_publications(struct dctx *c)
{
	for (size_t i = 0; i < c->to->publications.n; i++)
	{
		const struct pgw_publication *n = c->to->publications.items[i];
		const struct pgw_publication *o = find_publication(c->from, n->obj.name);
		const char *q = qi(c, n->obj.name);

		if (!n->obj.managed)
			continue;
		if (o && o->all_tables != n->all_tables)
		{
			bf(c, "DROP PUBLICATION %s;\n", q);
			emit(c, PGW_KIND_PUBLICATION, &o->obj, NULL, NULL, "drop", PH_DROP, PA_PUBLICATION, 0)->is_drop_of_owner = true;
			o = NULL;
		}
		if (!o)
			publication_create(c, n);
		else
		{
			if (!strs_eq(&o->publish, &n->publish) || o->via_root != n->via_root)
			{
				bf(c, "ALTER PUBLICATION %s SET ", q);
				publication_with(c, n);
				bs(c, ";\n");
				emit(c, PGW_KIND_PUBLICATION, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_PUBLICATION, 0);
			}
			emit_comment(c, &n->obj, PGW_KIND_PUBLICATION, aprintf(c, "PUBLICATION %s", q), NULL,
						 o->comment, n->comment, false);
			emit_owner(c, &n->obj, PGW_KIND_PUBLICATION, aprintf(c, "PUBLICATION %s", q), o->owner, n->owner);
		}
		for (size_t k = 0; k < n->tables.n; k++)
		{
			const struct pgw_publication_table *t = n->tables.items[k];
			const struct pgw_publication_table *ot = o ? find_pubtable(o, t->schema, t->name) : NULL;

			if (o ? !schema_is_managed(c->to, t->schema) : !schema_is_known(c->to, t->schema))
				continue;
			if (ot && pubtable_eq(ot, t))
				continue;
			if (ot)
				bf(c, "ALTER PUBLICATION %s DROP TABLE %s;\n", q, qn(c, t->schema, t->name));
			bf(c, "ALTER PUBLICATION %s ADD ", q);
			pubtable_sql(c, t);
			bs(c, ";\n");
			emit(c, PGW_KIND_PUBLICATION, NULL, &n->obj, aprintf(c, "%s.%s", t->schema, t->name), "add table",
				 PH_CREATE, PB_PUBLICATION, 0);
		}
		for (size_t k = 0; k < n->schemas.n; k++)
		{
			const char *s = n->schemas.items[k];

			if ((o && vec_has_str(&o->schemas, s)) ||
				(o ? !schema_is_managed(c->to, s) : !schema_is_known(c->to, s)))
				continue;
			bf(c, "ALTER PUBLICATION %s ADD TABLES IN SCHEMA %s;\n", q, qi(c, s));
			emit(c, PGW_KIND_PUBLICATION, NULL, &n->obj, s, "add schema", PH_CREATE, PB_PUBLICATION, 0);
		}
		if (!o)
			continue;
		for (size_t k = 0; k < o->tables.n; k++)
		{
			const struct pgw_publication_table *t = o->tables.items[k];

			if (!schema_is_managed(c->from, t->schema) || find_pubtable(n, t->schema, t->name))
				continue;
			bf(c, "ALTER PUBLICATION %s DROP TABLE %s;\n", q, qn(c, t->schema, t->name));
			emit(c, PGW_KIND_PUBLICATION, &o->obj, NULL, aprintf(c, "%s.%s", t->schema, t->name), "drop table",
				 PH_DROP, PA_PUBLICATION, 0);
		}
		for (size_t k = 0; k < o->schemas.n; k++)
		{
			const char *s = o->schemas.items[k];

			if (!schema_is_managed(c->from, s) || vec_has_str(&n->schemas, s))
				continue;
			bf(c, "ALTER PUBLICATION %s DROP TABLES IN SCHEMA %s;\n", q, qi(c, s));
			emit(c, PGW_KIND_PUBLICATION, &o->obj, NULL, s, "drop schema", PH_DROP, PA_PUBLICATION, 0);
		}
	}
	for (size_t i = 0; i < c->from->publications.n; i++)
	{
		const struct pgw_publication *o = c->from->publications.items[i];

		if (!o->obj.managed || find_publication(c->to, o->obj.name))
			continue;
		bf(c, "DROP PUBLICATION %s;\n", qi(c, o->obj.name));
		emit(c, PGW_KIND_PUBLICATION, &o->obj, NULL, NULL, "drop", PH_DROP, PA_PUBLICATION, 0)->is_drop_of_owner = true;
	}
}

/* ---- event triggers ---- */

static const struct pgw_event_trigger *
find_event_trigger(const struct pgw_model *m, const char *name)
{
	for (size_t i = 0; i < m->event_triggers.n; i++)
		if (streq(((const struct pgw_object *) m->event_triggers.items[i])->name, name))
			return m->event_triggers.items[i];
	return NULL;
}

/* the trigger's function in m (it takes no arguments) */
static const struct pgw_object *
event_trigger_function(const struct pgw_model *m, const struct pgw_event_trigger *e)
{
	for (size_t i = 0; i < m->functions.n; i++)
	{
		const struct pgw_function *f = m->functions.items[i];

		if (streq(f->obj.schema, e->function_schema) && streq(f->obj.name, e->function_name) &&
			(!f->identity_args || !f->identity_args[0]))
			return &f->obj;
	}
	return NULL;
}

static void
diff_event_triggers(struct dctx *c)
{
	for (size_t i = 0; i < c->to->event_triggers.n; i++)
	{
		const struct pgw_event_trigger *n = c->to->event_triggers.items[i];
		const struct pgw_event_trigger *o = find_event_trigger(c->from, n->obj.name);
		const struct pgw_object *fn = event_trigger_function(c->to, n);
		const char *q = qi(c, n->obj.name);
		struct pgw_change *ch;

		if (!n->obj.managed)
			continue;
		if (o && (!streq(o->event, n->event) || !strs_eq(&o->tags, &n->tags) ||
				  !streq(o->function_schema, n->function_schema) || !streq(o->function_name, n->function_name)))
		{
			bf(c, "DROP EVENT TRIGGER %s;\n", q);
			emit(c, PGW_KIND_EVENT_TRIGGER, &o->obj, NULL, NULL, "drop", PH_DROP, PA_TRIGGER, 0)->is_drop_of_owner = true;
			o = NULL;
		}
		if (!o)
		{
			bf(c, "CREATE EVENT TRIGGER %s ON %s", q, qi(c, n->event));
			if (n->tags.n)
			{
				bs(c, " WHEN TAG IN (");
				for (size_t k = 0; k < n->tags.n; k++)
				{
					if (k)
						bs(c, ", ");
					sql_literal(&c->b, n->tags.items[k]);
				}
				bs(c, ")");
			}
			bf(c, " EXECUTE FUNCTION %s();\n", qn(c, n->function_schema, n->function_name));
			ch = emit(c, PGW_KIND_EVENT_TRIGGER, NULL, &n->obj, NULL, "create", PH_CREATE, PB_EVENT_TRIGGER, 0);
			ch->is_drop_of_owner = true;
			if (fn)
				vec_push(&c->d->arena, &ch->before, (void *) fn);
		}
		if (n->enabled && n->enabled != (o ? o->enabled : 'O'))
		{
			bf(c, "ALTER EVENT TRIGGER %s %s;\n", q, n->enabled == 'D' ? "DISABLE" :
			   n->enabled == 'R' ? "ENABLE REPLICA" : n->enabled == 'A' ? "ENABLE ALWAYS" : "ENABLE");
			emit(c, PGW_KIND_EVENT_TRIGGER, NULL, &n->obj, NULL, "alter", PH_CREATE, PB_EVENT_TRIGGER, 0);
		}
		emit_comment(c, &n->obj, PGW_KIND_EVENT_TRIGGER, aprintf(c, "EVENT TRIGGER %s", q), NULL,
					 o ? o->comment : NULL, n->comment, !o);
		emit_owner(c, &n->obj, PGW_KIND_EVENT_TRIGGER, aprintf(c, "EVENT TRIGGER %s", q),
				   o ? o->owner : NULL, n->owner);
	}
	for (size_t i = 0; i < c->from->event_triggers.n; i++)
	{
		const struct pgw_event_trigger *o = c->from->event_triggers.items[i];
		struct pgw_change *ch;

		if (!o->obj.managed || find_event_trigger(c->to, o->obj.name))
			continue;
		bf(c, "DROP EVENT TRIGGER %s;\n", qi(c, o->obj.name));
		ch = emit(c, PGW_KIND_EVENT_TRIGGER, &o->obj, NULL, NULL, "drop", PH_DROP, PA_TRIGGER, 0);
		ch->is_drop_of_owner = true;
	}
}

/* ---- default privileges ---- */

static const char *
defacl_word(char objtype)
{
	switch (objtype)
	{
		case 'r':
			return "TABLES";
		case 'S':
			return "SEQUENCES";
		case 'f':
			return "FUNCTIONS";
		case 'T':
			return "TYPES";
		default:
			return "SCHEMAS";
	}
}

static const struct pgw_default_acl *
find_default_acl(const struct pgw_model *m, const char *role, const char *schema, char objtype)
{
	for (size_t i = 0; i < m->default_acls.n; i++)
	{
		const struct pgw_default_acl *d = m->default_acls.items[i];

		if (d->objtype == objtype && streq(d->obj.name, role) && streq(d->obj.schema, schema))
			return d;
	}
	return NULL;
}

/* "ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s] " */
static void
defacl_head(struct dctx *c, const char *role, const char *schema)
{
	bs(c, "ALTER DEFAULT PRIVILEGES FOR ROLE ");
	bi(c, role);
	if (schema)
	{
		bs(c, " IN SCHEMA ");
		bi(c, schema);
	}
	bs(c, " ");
}

/*
 * One entry from old to new grants (NULL: no entry, i.e. PostgreSQL's
 * built-in default: EXECUTE / USAGE to PUBLIC on functions / types for a
 * global entry, nothing for a schema's).  With revoke_roles (dump style:
 * the target's entry is not known) every one of those roles is revoked
 * from first.
 */
static void
defacl_change(struct dctx *c, const struct pgw_object *owner, const char *role, const char *schema, char objtype,
			  const struct pgw_vec *old, const struct pgw_vec *new, const struct pgw_vec *revoke_roles)
{
	struct pgw_grant pub = {"public", objtype == 'f' ? "EXECUTE" : "USAGE", false};
	struct pgw_vec builtin = {0};
	const char *what = defacl_word(objtype);
	struct pgw_change *ch;

	if (!schema && (objtype == 'f' || objtype == 'T'))
		vec_push(&c->d->arena, &builtin, &pub);
	old = old ? old : &builtin;
	new = new ? new : &builtin;
	if (!new->n && !old->n && !revoke_roles)
		return;
	for (size_t i = 0; revoke_roles && i < revoke_roles->n; i++)
	{
		if (streq(revoke_roles->items[i], role))
			continue;
		defacl_head(c, role, schema);
		bf(c, "REVOKE ALL ON %s FROM ", what);
		grantee_sql(c, revoke_roles->items[i]);
		bs(c, ";\n");
	}
	for (size_t i = 0; !revoke_roles && i < old->n; i++)
	{
		const struct pgw_grant *g = old->items[i];

		if (grant_has(new, g->grantee, g->privilege, g->grantable))
			continue;
		defacl_head(c, role, schema);
		bf(c, "REVOKE %s%s ON %s FROM ", g->grantable && grant_has(new, g->grantee, g->privilege, false) ?
		   "GRANT OPTION FOR " : "", g->privilege, what);
		grantee_sql(c, g->grantee);
		bs(c, ";\n");
	}
	for (size_t i = 0; i < new->n; i++)
	{
		const struct pgw_grant *g = new->items[i];

		if (!revoke_roles && grant_has(old, g->grantee, g->privilege, g->grantable))
			continue;
		defacl_head(c, role, schema);
		bf(c, "GRANT %s ON %s TO ", g->privilege, what);
		grantee_sql(c, g->grantee);
		bs(c, g->grantable ? " WITH GRANT OPTION;\n" : ";\n");
	}
	if (!c->b.len)
		return;
	ch = emit(c, PGW_KIND_DEFAULT_ACL, NULL, owner, NULL, "grant", PH_CREATE, PB_DEFAULT_ACL,
			  PGW_HAZARD_AUTHZ_CHANGE);
	ch->late = true;
	change_summary(c, ch, "default privileges for role %s%s%s on %s", role, schema ? " in schema " : "",
				   schema ? schema : "", what);
}

static void
diff_default_acls(struct dctx *c)
{
	struct pgw_vec revoke = {0};
	struct pgw_vec roles = {0};
	static const char types[] = {'r', 'S', 'f', 'T'};

	if (c->opts->defaults_unknown)
	{
		role_add(c, &revoke, "public");
		roles_of_model(c, &revoke, c->to);
		vec_sort(&revoke, cmp_role);
	}
	for (size_t i = 0; i < c->to->default_acls.n; i++)
	{
		const struct pgw_default_acl *n = c->to->default_acls.items[i];
		const struct pgw_default_acl *o;

		role_add(c, &roles, n->obj.name);
		if (!n->obj.managed)
			continue;
		o = find_default_acl(c->from, n->obj.name, n->obj.schema, n->objtype);
		defacl_change(c, &n->obj, n->obj.name, n->obj.schema, n->objtype, o ? &o->grants : NULL, &n->grants,
					  c->opts->defaults_unknown ? &revoke : NULL);
	}
	for (size_t i = 0; i < c->from->default_acls.n; i++)
	{
		const struct pgw_default_acl *o = c->from->default_acls.items[i];

		if (!o->obj.managed || find_default_acl(c->to, o->obj.name, o->obj.schema, o->objtype))
			continue;
		defacl_change(c, &o->obj, o->obj.name, o->obj.schema, o->objtype, &o->grants, NULL, NULL);
	}

	/*
	 * Dump style: the target may have entries the source does not (a
	 * platform's defaults the source's migrations took away, which leaves
	 * no entry): for every role with default privileges and every managed
	 * schema, an entry the source lacks is revoked from every role.
	 */
	if (!c->opts->defaults_unknown)
		return;
	vec_sort(&roles, cmp_role);
	for (size_t r = 0; r < roles.n; r++)
		for (size_t s = 0; s < c->to->schemas.n; s++)
		{
			const struct pgw_schema *sch = c->to->schemas.items[s];

			if (!sch->obj.managed)
				continue;
			for (size_t t = 0; t < sizeof(types); t++)
			{
				if (find_default_acl(c->to, roles.items[r], sch->obj.name, types[t]))
					continue;
				defacl_change(c, &sch->obj, roles.items[r], sch->obj.name, types[t], NULL, NULL, &revoke);
			}
		}
}

/* ---- recreation closure ---- */

/*
 * Marks what must be dropped and created again before any SQL is written:
 * changed views, functions whose signature or result changed, swapped
 * types, dropped views/functions/types — then, transitively, every view and
 * function of the FROM model that depends on one of them, and every
 * foreign key that references a primary key or unique constraint that is
 * dropped or changed.
 */
static void
compute_recreate(struct dctx *c)
{
	bool		grew = true;

	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *o = c->from->relations.items[i];
		const struct pgw_relation *n = (const struct pgw_relation *) new_of(c, &o->obj);

		if (!o->obj.managed || o->obj.kind != PGW_KIND_VIEW)
			continue;
		if (!n || n->obj.kind != PGW_KIND_VIEW || view_changed(o, n))
			mark_recreate(c, &o->obj);
	}
	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *o = c->from->relations.items[i];
		const struct pgw_relation *n = (const struct pgw_relation *) new_of(c, &o->obj);

		/* dropped tables, and tables whose columns change shape */
		if (!o->obj.managed || o->obj.kind != PGW_KIND_TABLE)
			continue;
		if (!n || n->obj.kind != PGW_KIND_TABLE || table_shape_changed(o, n))
		{
			mark_recreate(c, &o->obj);
			continue;
		}
		for (size_t k = 0; k < o->columns.n; k++)
		{
			const struct pgw_column *oc = o->columns.items[k];
			const struct pgw_column *nc = find_column_at(&n->columns, oc->obj.name, k);

			if (!nc || !streq(oc->type, nc->type) || !streq(oc->collation, nc->collation))
			{
				/* views over it are recreated (the table itself is not) */
				smap_put(&c->recreate, aprintf(c, "cols\x1f%s.%s", o->obj.schema, o->obj.name), (void *) o);
				break;
			}
		}
	}
	for (size_t i = 0; i < c->from->functions.n; i++)
	{
		const struct pgw_function *o = c->from->functions.items[i];
		const struct pgw_function *n = (const struct pgw_function *) new_of(c, &o->obj);

		if (!o->obj.managed)
			continue;
		if (!n || function_needs_recreate(o, n))
			mark_recreate(c, &o->obj);
	}
	for (size_t i = 0; i < c->from->types.n; i++)
	{
		const struct pgw_type *o = c->from->types.items[i];
		const struct pgw_type *n = (const struct pgw_type *) new_of(c, &o->obj);

		if (!o->obj.managed)
			continue;
		if (!n || type_needs_swap(o, n))
			mark_recreate(c, &o->obj);
	}
	for (size_t i = 0; i < c->from->sequences.n; i++)
	{
		const struct pgw_object *o = c->from->sequences.items[i];

		/* dropped: defaults that call it are taken off first */
		if (o->managed && !new_of(c, o))
			mark_recreate(c, o);
	}

	while (grew)
	{
		grew = false;
		for (int pass = 0; pass < 2; pass++)
		{
			const struct pgw_vec *v = pass == 0 ? &c->from->relations : &c->from->functions;

			for (size_t i = 0; i < v->n; i++)
			{
				const struct pgw_object *o = v->items[i];

				if (!o->managed || is_recreated(c, o))
					continue;
				if (o->kind == PGW_KIND_TABLE)
					continue;
				for (size_t k = 0; k < o->deps.n; k++)
				{
					const struct pgw_ref *r = o->deps.items[k];
					const char *key = make_key(c, r->kind, r->schema, r->name);

					if (smap_get(&c->recreate, key) ||
						(r->kind == PGW_KIND_TABLE && o->kind == PGW_KIND_VIEW &&
						 smap_get(&c->recreate, aprintf(c, "cols\x1f%s.%s", r->schema, r->name))))
					{
						/* only managed objects can be recreated */
						mark_recreate(c, o);
						grew = true;
						break;
					}
				}
			}
		}
	}

	/* foreign keys that reference a key which is dropped or changes */
	for (size_t i = 0; i < c->from->relations.n; i++)
	{
		const struct pgw_relation *o = c->from->relations.items[i];
		const struct pgw_relation *n = (const struct pgw_relation *) new_of(c, &o->obj);

		if (!o->obj.managed || o->obj.kind != PGW_KIND_TABLE || !n)
			continue;
		for (size_t k = 0; k < o->constraints.n; k++)
		{
			const struct pgw_constraint *ok = o->constraints.items[k];
			const struct pgw_constraint *nk = find_constraint(&n->constraints, ok->obj.name);

			if (ok->type != PGW_CON_PRIMARY && ok->type != PGW_CON_UNIQUE)
				continue;
			if (nk && constraint_eq(ok, nk))
				continue;
			for (size_t r = 0; r < c->from->relations.n; r++)
			{
				const struct pgw_relation *fr = c->from->relations.items[r];

				for (size_t f = 0; f < fr->constraints.n; f++)
				{
					const struct pgw_constraint *fk = fr->constraints.items[f];

					if (fk->type == PGW_CON_FOREIGN && streq(fk->ref_schema, o->obj.schema) &&
						streq(fk->ref_table, o->obj.name))
						smap_put(&c->recreate, aprintf(c, "fk\x1f%s.%s.%s", fr->obj.schema, fr->obj.name,
													   fk->obj.name), (void *) fk);
				}
			}
		}
	}
}

/* ---- ordering ---- */

struct heap
{
	struct pgw_change **a;
	size_t		n;
};

static bool
heap_less(const struct pgw_change *x, const struct pgw_change *y)
{
	if (x->priority != y->priority)
		return x->priority < y->priority;
	return x->seq < y->seq;
}

static void
heap_push(struct heap *h, struct pgw_change *ch)
{
	size_t		i = h->n++;

	h->a[i] = ch;
	while (i > 0 && heap_less(h->a[i], h->a[(i - 1) / 2]))
	{
		struct pgw_change *t = h->a[i];

		h->a[i] = h->a[(i - 1) / 2];
		h->a[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct pgw_change *
heap_pop(struct heap *h)
{
	struct pgw_change *top = h->a[0];
	size_t		i = 0;

	h->a[0] = h->a[--h->n];
	for (;;)
	{
		size_t		l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < h->n && heap_less(h->a[l], h->a[m]))
			m = l;
		if (r < h->n && heap_less(h->a[r], h->a[m]))
			m = r;
		if (m == i)
			break;
		{
			struct pgw_change *t = h->a[i];

			h->a[i] = h->a[m];
			h->a[m] = t;
		}
		i = m;
	}
	return top;
}

struct edges
{
	struct pgw_vec *succ;		/* per change index: successors (struct pgw_change *) */
};

static const char *
change_label(const struct pgw_change *ch)
{
	return ch->summary ? ch->summary : "?";
}

/* sequence number → index in the phase list */
static void
add_edge(struct dctx *c, struct smap *succ, struct pgw_change *from, struct pgw_change *to)
{
	const char *k = ptr_key(c, from);
	struct pgw_vec *v = smap_get(succ, k);

	if (from == to)
		return;
	if (!v)
	{
		v = arena_alloc(&c->d->arena, sizeof(*v));
		smap_put(succ, k, v);
	}
	vec_push(&c->d->arena, v, to);
	to->npending++;
}

/*
 * Orders one phase's changes: edges from the models' dependencies, then
 * Kahn's algorithm taking the lowest (priority, creation order) among the
 * ready ones.  A cycle is reported by the names on it.
 */
static int
order_phase(struct dctx *c, int phase, struct pgw_vec *out)
{
	struct pgw_vec list = {0};
	struct smap byowner = {0};	/* owner key → struct pgw_vec * of changes */
	struct smap succ = {0};
	struct heap h;
	size_t		done = 0;
	int			rc = 0;

	for (size_t i = 0; i < c->all.n; i++)
	{
		struct pgw_change *ch = c->all.items[i];

		if (ch->phase == phase)
			vec_push(&c->d->arena, &list, ch);
	}
	for (size_t i = 0; i < list.n; i++)
	{
		struct pgw_change *ch = list.items[i];
		const struct pgw_object *o = phase == PH_CREATE ? ch->owner_new : ch->owner_old;
		const char *k;
		struct pgw_vec *v;

		if (!o)
			continue;
		k = obj_key(c, o);
		v = smap_get(&byowner, k);
		if (!v)
		{
			v = arena_alloc(&c->d->arena, sizeof(*v));
			smap_put(&byowner, k, v);
		}
		vec_push(&c->d->arena, v, ch);
	}
	for (size_t i = 0; i < list.n; i++)
	{
		struct pgw_change *ch = list.items[i];
		const struct pgw_object *o = phase == PH_CREATE ? ch->owner_new : ch->owner_old;
		struct pgw_vec *same;

		if (!o)
			continue;
		same = smap_get(&byowner, obj_key(c, o));
		if (phase == PH_CREATE)
		{
			/* the object's own creation first */
			for (size_t k = 0; same && k < same->n; k++)
			{
				struct pgw_change *d = same->items[k];

				if (d->is_drop_of_owner && d != ch && !ch->is_drop_of_owner)
					add_edge(c, &succ, d, ch);
			}
			/* then what it depends on (a table's non-late changes do not
			 * wait for other tables: those edges come from foreign keys,
			 * which are late changes themselves) */
			for (size_t k = 0; k < o->deps.n; k++)
			{
				const struct pgw_ref *r = o->deps.items[k];
				struct pgw_vec *dv;

				if (o->kind == PGW_KIND_TABLE && r->kind == PGW_KIND_TABLE && !ch->late)
					continue;
				dv = smap_get(&byowner, make_key(c, r->kind, r->schema, r->name));

				for (size_t m = 0; dv && m < dv->n; m++)
				{
					struct pgw_change *d = dv->items[m];

					if (!d->late)
						add_edge(c, &succ, d, ch);
				}
			}
			/* explicit waits (a swapped type's conversions) */
			for (size_t k = 0; k < ch->before.n; k++)
			{
				const struct pgw_object *dep = ch->before.items[k];
				struct pgw_vec *dv = smap_get(&byowner, obj_key(c, dep));

				for (size_t m = 0; dv && m < dv->n; m++)
				{
					struct pgw_change *d = dv->items[m];

					if (!d->late && (!ch->before_create_only || d->is_drop_of_owner))
						add_edge(c, &succ, d, ch);
				}
			}
		}
		else
		{
			/* the object's own drop last */
			if (ch->is_drop_of_owner)
				for (size_t k = 0; same && k < same->n; k++)
				{
					struct pgw_change *d = same->items[k];

					if (d != ch && !d->is_drop_of_owner)
						add_edge(c, &succ, d, ch);
				}
			/* before the drops of what it depends on (tables: foreign keys
			 * are dropped first, explicitly) */
			for (size_t k = 0; k < o->deps.n; k++)
			{
				const struct pgw_ref *r = o->deps.items[k];
				struct pgw_vec *dv;

				if (o->kind == PGW_KIND_TABLE && r->kind == PGW_KIND_TABLE)
					continue;
				dv = smap_get(&byowner, make_key(c, r->kind, r->schema, r->name));

				for (size_t m = 0; dv && m < dv->n; m++)
				{
					struct pgw_change *d = dv->items[m];

					if (d->is_drop_of_owner && strcmp(d->action, "rename") != 0)
						add_edge(c, &succ, ch, d);
				}
			}
		}
	}

	h.a = pgw_calloc(list.n + 1, sizeof(*h.a));
	h.n = 0;
	for (size_t i = 0; i < list.n; i++)
		if (((struct pgw_change *) list.items[i])->npending == 0)
			heap_push(&h, list.items[i]);
	while (h.n)
	{
		struct pgw_change *ch = heap_pop(&h);
		struct pgw_vec *sv = smap_get(&succ, ptr_key(c, ch));

		vec_push(&c->d->arena, out, ch);
		done++;
		for (size_t k = 0; sv && k < sv->n; k++)
		{
			struct pgw_change *s = sv->items[k];

			if (--s->npending == 0)
				heap_push(&h, s);
		}
	}
	if (done < list.n)
	{
		/* walk back along unfinished predecessors until one repeats */
		struct pgw_change *start = NULL;
		struct pgw_vec path = {0};
		struct pgw_buf names;

		for (size_t i = 0; i < list.n && !start; i++)
			if (((struct pgw_change *) list.items[i])->npending > 0)
				start = list.items[i];
		buf_init(&names);
		for (struct pgw_change *cur = start; cur;)
		{
			struct pgw_change *pred = NULL;
			size_t		seen = path.n;

			for (size_t k = 0; k < path.n; k++)
				if (path.items[k] == cur)
					seen = k;
			if (seen < path.n)
			{
				for (size_t k = seen; k < path.n; k++)
					buf_printf(&names, "%s%s", k > seen ? " → " : "", change_label(path.items[k]));
				buf_printf(&names, " → %s", change_label(cur));
				break;
			}
			vec_push(&c->d->arena, &path, cur);
			for (size_t i = 0; i < list.n && !pred; i++)
			{
				struct pgw_change *p = list.items[i];
				struct pgw_vec *sv = smap_get(&succ, ptr_key(c, p));

				if (p->npending == 0)
					continue;
				for (size_t k = 0; sv && k < sv->n; k++)
					if (sv->items[k] == cur)
						pred = p;
			}
			cur = pred;
		}
		pgw_error(PGW_ERR_INPUT, "cannot order the changes: a dependency cycle");
		pgw_error_detail("cycle: %s", names.data ? names.data : "(not found)");
		pgw_error_hint("break the cycle in the target schema (for example, move a column default that calls a function into a trigger)");
		buf_release(&names);
		rc = -1;
	}
	free(h.a);
	smap_release(&byowner);
	smap_release(&succ);
	return rc;
}

/* ---- renames ---- */

static int
load_renames(struct dctx *c)
{
	if (!c->opts->renames)
		return 0;
	for (size_t i = 0; i < c->opts->renames->n; i++)
	{
		const char *hint = c->opts->renames->items[i];
		const char *colon = strrchr(hint, ':');
		const char *from;
		const char *to;
		const char *dot1;
		const char *dot2;

		if (!colon || colon == hint || !colon[1])
			return pgw_error(PGW_ERR_USAGE, "bad --rename '%s'", hint),
				pgw_error_hint("write schema.table:new_table or schema.table.column:new_column"), -1;
		from = aprintf(c, "%.*s", (int) (colon - hint), hint);
		to = astr(c, colon + 1);
		dot1 = strchr(from, '.');
		dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
		if (!dot1)
			return pgw_error(PGW_ERR_USAGE, "bad --rename '%s': the old name needs its schema", hint),
				pgw_error_hint("write schema.table:new_table or schema.table.column:new_column"), -1;
		if (dot2)
		{
			/* a column: key on the table's new name */
			const char *schema = aprintf(c, "%.*s", (int) (dot1 - from), from);
			const char *table = aprintf(c, "%.*s", (int) (dot2 - dot1 - 1), dot1 + 1);
			const char *tnew = smap_get(&c->renamed, aprintf(c, "%s.%s", schema, table));

			smap_put(&c->colrenames, aprintf(c, "%s.%s.%s", schema, tnew ? tnew : table, dot2 + 1), (void *) to);
		}
		else
			smap_put(&c->renamed, from, (void *) to);
	}
	return 0;
}

/* ---- indexes of both models ---- */

static void
index_model(struct dctx *c, const struct pgw_model *m, bool old)
{
	const struct pgw_vec *lists[] = {&m->schemas, &m->extensions, &m->types, &m->sequences,
	&m->relations, &m->functions};

	for (size_t l = 0; l < 6; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
		{
			const struct pgw_object *o = lists[l]->items[i];
			const char *key;

			if (old && l == 4)
			{
				const char *nn = smap_get(&c->renamed, aprintf(c, "%s.%s", o->schema, o->name));

				key = make_key(c, o->kind, o->schema, nn ? nn : o->name);
			}
			else
				key = obj_key(c, o);
			if (old)
			{
				smap_put(&c->oldobj, key, (void *) o);
				smap_put(&c->oldkey, ptr_key(c, o), (void *) key);
			}
			else
				smap_put(&c->newobj, key, (void *) o);
		}
}

int
diff_models(const struct pgw_model *from, const struct pgw_model *to,
			const struct pgw_diff_opts *opts, struct pgw_diff *d)
{
	struct dctx c = {0};
	int			rc = 0;

	c.d = d;
	c.from = from;
	c.to = to;
	c.opts = opts;
	buf_init(&c.b);
	if (load_renames(&c) != 0)
	{
		rc = -1;
		goto out;
	}
	index_model(&c, from, true);
	index_model(&c, to, false);
	compute_recreate(&c);

	diff_schemas(&c);
	diff_extensions(&c);
	diff_types(&c);
	diff_sequences(&c);
	diff_functions(&c);
	diff_relations(&c);
	diff_context_triggers(&c);
	diff_context_policies(&c);
	diff_publications(&c);
	diff_event_triggers(&c);
	diff_default_acls(&c);

	/* data-deleting changes need --unsafe */
	for (size_t i = 0; i < c.all.n; i++)
	{
		struct pgw_change *ch = c.all.items[i];

		if ((ch->hazards & PGW_HAZARD_DELETES_DATA) && !opts->unsafe)
		{
			vec_push(&d->arena, &d->refused_list, ch);
			d->refused++;
		}
	}
	for (int phase = PH_DROP; phase <= PH_FINAL && rc == 0; phase++)
		rc = order_phase(&c, phase, &d->changes);
	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *ch = d->changes.items[i];

		d->hazards |= ch->hazards;
		d->no_transaction |= ch->no_transaction;
	}
out:
	buf_release(&c.b);
	smap_release(&c.oldobj);
	smap_release(&c.newobj);
	smap_release(&c.oldkey);
	smap_release(&c.recreate);
	smap_release(&c.renamed);
	smap_release(&c.colrenames);
	return rc;
}

void
diff_script(const struct pgw_diff *d, const char *title, struct pgw_buf *out)
{
	bool		functions = false;

	buf_printf(out, "-- %s\n", title);
	if (d->changes.n == 0)
	{
		buf_append(out, "-- no changes\n");
		return;
	}
	if (d->no_transaction)
		buf_append(out, "-- pgwarden:no-transaction (CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction)\n");
	for (size_t i = 0; i < d->changes.n; i++)
		if (((const struct pgw_change *) d->changes.items[i])->kind == PGW_KIND_FUNCTION)
			functions = true;
	if (functions)
		buf_append(out, "SET check_function_bodies = false;\n");
	for (size_t i = 0; i < d->changes.n; i++)
	{
		const struct pgw_change *ch = d->changes.items[i];

		buf_printf(out, "\n-- %s", ch->summary);
		if (ch->hazards)
		{
			char	   *h = diff_hazards_text(ch->hazards);

			buf_printf(out, " [%s]", h);
			free(h);
		}
		buf_append_char(out, '\n');
		buf_append(out, ch->sql);
	}
}
