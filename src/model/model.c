/*
 * model.c — the schema model's helpers: allocation in the model's arena,
 * canonical ordering, dependencies, lookups and the oid map the catalog
 * reader uses to hang sub-objects on their relation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static const char *const kind_names[PGW_KIND__COUNT] = {
	[PGW_KIND_SCHEMA] = "schema",
	[PGW_KIND_EXTENSION] = "extension",
	[PGW_KIND_ENUM] = "enum",
	[PGW_KIND_DOMAIN] = "domain",
	[PGW_KIND_COMPOSITE] = "composite",
	[PGW_KIND_SEQUENCE] = "sequence",
	[PGW_KIND_TABLE] = "table",
	[PGW_KIND_VIEW] = "view",
	[PGW_KIND_FUNCTION] = "function",
	[PGW_KIND_COLUMN] = "column",
	[PGW_KIND_CONSTRAINT] = "constraint",
	[PGW_KIND_INDEX] = "index",
	[PGW_KIND_POLICY] = "policy",
	[PGW_KIND_TRIGGER] = "trigger",
	[PGW_KIND_PUBLICATION] = "publication",
	[PGW_KIND_EVENT_TRIGGER] = "event trigger",
	[PGW_KIND_DEFAULT_ACL] = "default privileges",
};

const char *
model_kind_name(enum pgw_kind kind)
{
	return kind < PGW_KIND__COUNT ? kind_names[kind] : "?";
}

int
model_kind_parse(const char *name)
{
	for (int k = 0; k < PGW_KIND__COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return k;
	return -1;
}

void
vec_push(struct pgw_arena *a, struct pgw_vec *v, void *item)
{
	if (v->n == v->cap)
	{
		size_t		cap = v->cap ? v->cap * 2 : 4;
		void	  **items = arena_alloc(a, cap * sizeof(void *));

		if (v->n)
			memcpy(items, v->items, v->n * sizeof(void *));
		v->items = items;
		v->cap = cap;
	}
	v->items[v->n++] = item;
}

void
vec_sort(struct pgw_vec *v, int (*cmp) (const void *, const void *))
{
	size_t		i;

	/* snapshots and catalog reads come in order already: check first */
	for (i = 1; i < v->n; i++)
		if (cmp(&v->items[i - 1], &v->items[i]) > 0)
			break;
	if (i < v->n)
		qsort(v->items, v->n, sizeof(void *), cmp);
}

void
model_push(struct pgw_model *m, struct pgw_vec *v, void *item)
{
	vec_push(&m->arena, v, item);
}

/* ---- oid map: open addressing on (catalog, oid) ---- */

struct oidslot
{
	uint64_t	key;			/* 0: empty */
	void	   *obj;
};

struct pgw_oidmap
{
	struct oidslot *slots;
	size_t		cap;			/* power of two */
	size_t		n;
};

static uint64_t
oidkey(enum pgw_oidclass cls, uint32_t oid)
{
	return ((uint64_t) cls << 32) | oid;
}

static size_t
oidhash(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t) key & (cap - 1);
}

static void
oidmap_insert(struct pgw_oidmap *map, uint64_t key, void *obj)
{
	size_t		i = oidhash(key, map->cap);

	while (map->slots[i].key != 0 && map->slots[i].key != key)
		i = (i + 1) & (map->cap - 1);
	if (map->slots[i].key == 0)
		map->n++;
	map->slots[i].key = key;
	map->slots[i].obj = obj;
}

static void
oidmap_put(struct pgw_oidmap **mapp, uint64_t key, void *obj)
{
	struct pgw_oidmap *map = *mapp;

	if (!map)
	{
		map = *mapp = pgw_calloc(1, sizeof(*map));
		map->cap = 1024;
		map->slots = pgw_calloc(map->cap, sizeof(struct oidslot));
	}
	if ((map->n + 1) * 2 > map->cap)
	{
		struct oidslot *old = map->slots;
		size_t		oldcap = map->cap;

		map->cap *= 2;
		map->slots = pgw_calloc(map->cap, sizeof(struct oidslot));
		map->n = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].key)
				oidmap_insert(map, old[i].key, old[i].obj);
		free(old);
	}
	oidmap_insert(map, key, obj);
}

static void *
oidmap_get(const struct pgw_oidmap *map, uint64_t key)
{
	size_t		i;

	if (!map || key == 0)
		return NULL;
	i = oidhash(key, map->cap);
	while (map->slots[i].key != 0)
	{
		if (map->slots[i].key == key)
			return map->slots[i].obj;
		i = (i + 1) & (map->cap - 1);
	}
	return NULL;
}

static void
oidmap_free(struct pgw_oidmap *map)
{
	if (map)
	{
		free(map->slots);
		free(map);
	}
}

void
model_map_put(struct pgw_model *m, enum pgw_oidclass cls, uint32_t oid, void *obj)
{
	oidmap_put(&m->byoid, oidkey(cls, oid), obj);
}

void *
model_map_get(const struct pgw_model *m, enum pgw_oidclass cls, uint32_t oid)
{
	return oid ? oidmap_get(m->byoid, oidkey(cls, oid)) : NULL;
}

static uint64_t
typmodkey(uint32_t typid, int32_t typmod)
{
	return ((uint64_t) typid << 32) | (uint32_t) typmod;
}

void
model_type_name_put(struct pgw_model *m, uint32_t typid, int32_t typmod, const char *name)
{
	oidmap_put(&m->bytypmod, typmodkey(typid, typmod), (void *) model_strdup(m, name));
}

const char *
model_type_name_get(const struct pgw_model *m, uint32_t typid, int32_t typmod)
{
	return typid ? oidmap_get(m->bytypmod, typmodkey(typid, typmod)) : NULL;
}

/* ---- lifecycle ---- */

void
model_init(struct pgw_model *m)
{
	memset(m, 0, sizeof(*m));
	arena_init(&m->arena);
}

void
model_release(struct pgw_model *m)
{
	oidmap_free(m->byoid);
	oidmap_free(m->bytypmod);
	arena_release(&m->arena);
	memset(m, 0, sizeof(*m));
}

const char *
model_strdup(struct pgw_model *m, const char *s)
{
	return s ? arena_strdup(&m->arena, s) : NULL;
}

void *
model_new_object(struct pgw_model *m, size_t size, enum pgw_kind kind,
				 const char *schema, const char *name)
{
	struct pgw_object *o = arena_alloc(&m->arena, size);

	o->kind = kind;
	o->schema = model_strdup(m, schema);
	o->name = model_strdup(m, name);
	o->managed = true;
	return o;
}

void
model_add_dep(struct pgw_model *m, struct pgw_object *obj,
			  enum pgw_kind kind, const char *schema, const char *name)
{
	struct pgw_ref *r;

	for (size_t i = 0; i < obj->deps.n; i++)
	{
		r = obj->deps.items[i];
		if (r->kind == kind && strcmp(r->schema, schema) == 0 && strcmp(r->name, name) == 0)
			return;
	}
	r = arena_alloc(&m->arena, sizeof(*r));
	r->kind = kind;
	r->schema = schema;
	r->name = name;
	model_push(m, &obj->deps, r);
}

/* ---- canonical order ---- */

static int
cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
cmp_object(const void *a, const void *b)
{
	const struct pgw_object *x = *(const struct pgw_object *const *) a;
	const struct pgw_object *y = *(const struct pgw_object *const *) b;
	int			c = cmp_str(x->schema, y->schema);

	return c ? c : cmp_str(x->name, y->name);
}

/* Sub-objects of one relation: by name alone. */
static int
cmp_name(const void *a, const void *b)
{
	const struct pgw_object *x = *(const struct pgw_object *const *) a;
	const struct pgw_object *y = *(const struct pgw_object *const *) b;

	return cmp_str(x->name, y->name);
}

static int
cmp_function(const void *a, const void *b)
{
	const struct pgw_function *x = *(const struct pgw_function *const *) a;
	const struct pgw_function *y = *(const struct pgw_function *const *) b;
	int			c = cmp_object(a, b);

	return c ? c : cmp_str(x->identity_args, y->identity_args);
}

static int
cmp_grant(const void *a, const void *b)
{
	const struct pgw_grant *x = *(const struct pgw_grant *const *) a;
	const struct pgw_grant *y = *(const struct pgw_grant *const *) b;
	int			c = cmp_str(x->grantee, y->grantee);

	return c ? c : cmp_str(x->privilege, y->privilege);
}

static int
cmp_ref(const void *a, const void *b)
{
	const struct pgw_ref *x = *(const struct pgw_ref *const *) a;
	const struct pgw_ref *y = *(const struct pgw_ref *const *) b;
	int			c = strcmp(model_kind_name(x->kind), model_kind_name(y->kind));

	if (c)
		return c;
	c = cmp_str(x->schema, y->schema);
	return c ? c : cmp_str(x->name, y->name);
}

static int
cmp_cstr(const void *a, const void *b)
{
	return cmp_str(*(const char *const *) a, *(const char *const *) b);
}

/* Default privileges: by role, then schema (global first), then type. */
static int
cmp_default_acl(const void *a, const void *b)
{
	const struct pgw_default_acl *x = *(const struct pgw_default_acl *const *) a;
	const struct pgw_default_acl *y = *(const struct pgw_default_acl *const *) b;
	int			c = cmp_str(x->obj.name, y->obj.name);

	if (c)
		return c;
	if ((x->obj.schema == NULL) != (y->obj.schema == NULL))
		return x->obj.schema == NULL ? -1 : 1;
	c = cmp_str(x->obj.schema, y->obj.schema);
	return c ? c : (int) (unsigned char) x->objtype - (int) (unsigned char) y->objtype;
}

static int
cmp_publication_table(const void *a, const void *b)
{
	const struct pgw_publication_table *x = *(const struct pgw_publication_table *const *) a;
	const struct pgw_publication_table *y = *(const struct pgw_publication_table *const *) b;
	int			c = cmp_str(x->schema, y->schema);

	return c ? c : cmp_str(x->name, y->name);
}

static void
sort_object(struct pgw_object *o)
{
	vec_sort(&o->deps, cmp_ref);
}

void
model_sort(struct pgw_model *m)
{
	vec_sort(&m->schemas, cmp_object);
	vec_sort(&m->extensions, cmp_name);
	vec_sort(&m->types, cmp_object);
	vec_sort(&m->sequences, cmp_object);
	vec_sort(&m->relations, cmp_object);
	vec_sort(&m->functions, cmp_function);

	for (size_t i = 0; i < m->schemas.n; i++)
	{
		struct pgw_schema *s = m->schemas.items[i];

		vec_sort(&s->grants, cmp_grant);
	}
	for (size_t i = 0; i < m->types.n; i++)
	{
		struct pgw_type *t = m->types.items[i];

		sort_object(&t->obj);
		vec_sort(&t->constraints, cmp_name);
	}
	for (size_t i = 0; i < m->sequences.n; i++)
	{
		struct pgw_sequence *s = m->sequences.items[i];

		vec_sort(&s->grants, cmp_grant);
	}
	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *r = m->relations.items[i];

		sort_object(&r->obj);
		vec_sort(&r->constraints, cmp_name);
		vec_sort(&r->indexes, cmp_name);
		vec_sort(&r->policies, cmp_name);
		vec_sort(&r->triggers, cmp_name);
		vec_sort(&r->grants, cmp_grant);
		vec_sort(&r->options, cmp_cstr);
		for (size_t j = 0; j < r->columns.n; j++)
		{
			struct pgw_column *c = r->columns.items[j];

			vec_sort(&c->grants, cmp_grant);
		}
		for (size_t j = 0; j < r->policies.n; j++)
		{
			struct pgw_policy *p = r->policies.items[j];

			vec_sort(&p->roles, cmp_cstr);
		}
	}
	for (size_t i = 0; i < m->functions.n; i++)
	{
		struct pgw_function *f = m->functions.items[i];

		sort_object(&f->obj);
		vec_sort(&f->grants, cmp_grant);
	}
	vec_sort(&m->publications, cmp_name);
	for (size_t i = 0; i < m->publications.n; i++)
	{
		struct pgw_publication *p = m->publications.items[i];

		vec_sort(&p->tables, cmp_publication_table);
		vec_sort(&p->schemas, cmp_cstr);
	}
	vec_sort(&m->event_triggers, cmp_name);
	vec_sort(&m->default_acls, cmp_default_acl);
	for (size_t i = 0; i < m->default_acls.n; i++)
	{
		struct pgw_default_acl *d = m->default_acls.items[i];

		vec_sort(&d->grants, cmp_grant);
	}
}

/* ---- lookups ---- */

struct pgw_column *
model_find_column(const struct pgw_relation *rel, const char *name)
{
	for (size_t i = 0; i < rel->columns.n; i++)
	{
		struct pgw_column *c = rel->columns.items[i];

		if (strcmp(c->obj.name, name) == 0)
			return c;
	}
	return NULL;
}

/* 1 when o counts: everything, or only what is managed */
static size_t
counted(const void *o, bool managed_only)
{
	return !managed_only || ((const struct pgw_object *) o)->managed;
}

void
model_count(const struct pgw_model *m, size_t counts[PGW_KIND__COUNT], bool managed_only)
{
	memset(counts, 0, sizeof(size_t) * PGW_KIND__COUNT);
	for (size_t i = 0; i < m->schemas.n; i++)
		counts[PGW_KIND_SCHEMA] += counted(m->schemas.items[i], managed_only);
	/* extensions belong to the database, not to a schema: always counted */
	counts[PGW_KIND_EXTENSION] = m->extensions.n;
	for (size_t i = 0; i < m->sequences.n; i++)
		counts[PGW_KIND_SEQUENCE] += counted(m->sequences.items[i], managed_only);
	for (size_t i = 0; i < m->functions.n; i++)
		counts[PGW_KIND_FUNCTION] += counted(m->functions.items[i], managed_only);
	for (size_t i = 0; i < m->types.n; i++)
		counts[((struct pgw_object *) m->types.items[i])->kind] += counted(m->types.items[i], managed_only);
	for (size_t i = 0; i < m->relations.n; i++)
	{
		struct pgw_relation *r = m->relations.items[i];

		if (!counted(r, managed_only))
			continue;
		counts[r->obj.kind]++;
		counts[PGW_KIND_COLUMN] += r->columns.n;
		counts[PGW_KIND_CONSTRAINT] += r->constraints.n;
		counts[PGW_KIND_INDEX] += r->indexes.n;
		counts[PGW_KIND_POLICY] += r->policies.n;
		counts[PGW_KIND_TRIGGER] += r->triggers.n;
	}
	for (size_t i = 0; i < m->publications.n; i++)
		counts[PGW_KIND_PUBLICATION] += counted(m->publications.items[i], managed_only);
	for (size_t i = 0; i < m->event_triggers.n; i++)
		counts[PGW_KIND_EVENT_TRIGGER] += counted(m->event_triggers.items[i], managed_only);
	for (size_t i = 0; i < m->default_acls.n; i++)
		counts[PGW_KIND_DEFAULT_ACL] += counted(m->default_acls.items[i], managed_only);
}

const char *
model_function_signature(struct pgw_model *m, const struct pgw_function *f)
{
	size_t		n = strlen(f->obj.name) + strlen(f->identity_args ? f->identity_args : "") + 3;
	char	   *s = arena_alloc(&m->arena, n);

	snprintf(s, n, "%s(%s)", f->obj.name, f->identity_args ? f->identity_args : "");
	return s;
}
