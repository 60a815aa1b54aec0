/*
 * node.c — readers over the protobuf parse tree (see node.h).
 *
 * node_walk uses protobuf-c's descriptors rather than a hand-written switch
 * over ~250 node types: every message field that holds messages is
 * followed, so a new node type in a new libpg_query is walked too.
 */
#include <string.h>
#include <strings.h>

#include "sql/node.h"

const char *
node_str(const PgQuery__Node *n)
{
	if (n && n->node_case == NK(STRING) && n->string)
		return n->string->sval;
	return NULL;
}

static const PgQuery__DefElem *
find_option(PgQuery__Node *const *opts, size_t n, const char *name)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (opts[i] && opts[i]->node_case == NK(DEF_ELEM) &&
			strcmp(opts[i]->def_elem->defname, name) == 0)
			return opts[i]->def_elem;
	return NULL;
}

const char *
node_option_string(PgQuery__Node *const *opts, size_t n, const char *name)
{
	const PgQuery__DefElem *d = find_option(opts, n, name);

	return d ? node_str(d->arg) : NULL;
}

bool
node_option_bool(PgQuery__Node *const *opts, size_t n, const char *name, bool *value)
{
	const PgQuery__DefElem *d = find_option(opts, n, name);
	const char *s;

	if (!d)
		return false;
	*value = true;
	if (!d->arg)
		return true;
	if (d->arg->node_case == NK(BOOLEAN))
		*value = d->arg->boolean->boolval;
	else if (d->arg->node_case == NK(INTEGER))
		*value = d->arg->integer->ival != 0;
	else if ((s = node_str(d->arg)) != NULL)
		*value = !(strcasecmp(s, "false") == 0 || strcasecmp(s, "off") == 0 ||
				   strcmp(s, "0") == 0 || strcasecmp(s, "no") == 0);
	return true;
}

void
node_qualified(PgQuery__Node *const *names, size_t n,
			   const char **schema, const char **name)
{
	*schema = NULL;
	*name = NULL;
	if (n >= 1)
		*name = node_str(names[n - 1]);
	if (n >= 2)
		*schema = node_str(names[n - 2]);
}

const char *
node_type_last(const PgQuery__TypeName *t)
{
	const char *s;

	if (!t || t->n_names == 0)
		return "";
	s = node_str(t->names[t->n_names - 1]);
	return s ? s : "";
}

const char *
node_type_schema(const PgQuery__TypeName *t)
{
	if (!t || t->n_names < 2)
		return NULL;
	return node_str(t->names[t->n_names - 2]);
}

/* Functions whose result does not change within a statement (stable or
 * immutable), so a column default using them is evaluated once and
 * ADD COLUMN stays a catalog-only change (PostgreSQL 11+). */
static const char *const nonvolatile_funcs[] = {
	"now", "current_timestamp", "current_date", "current_time", "localtimestamp",
	"localtime", "statement_timestamp", "transaction_timestamp", "current_user",
	"current_role", "session_user", "current_schema", "current_database",
	"lower", "upper", "length", "coalesce", "nullif", "greatest", "least",
	"to_jsonb", "to_json", "jsonb_build_object", "json_build_object",
	"jsonb_build_array", "json_build_array", "array", "make_interval",
	"to_timestamp", "to_date", "to_char", "concat", "abs", "round", "trim",
	"btrim", "ltrim", "rtrim", "replace", "substring", "left", "right",
	"md5", "date_trunc", "make_date", "interval", "int4", "int8", "text",
	NULL
};

/* Every expression of a list is non-volatile (an empty list is). */
static bool
node_expr_is_nonvolatile_list(PgQuery__Node *const *items, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (!node_expr_is_nonvolatile(items[i]))
			return false;
	return true;
}

bool
node_expr_is_nonvolatile(const PgQuery__Node *n)
{
	size_t		i;

	if (!n)
		return true;
	switch (n->node_case)
	{
		case NK(A_CONST):
		case NK(SQLVALUE_FUNCTION):
		case NK(COLUMN_REF):	/* only in generated columns */
			return true;
		case NK(TYPE_CAST):
			return node_expr_is_nonvolatile(n->type_cast->arg);
		case NK(A_EXPR):
			return node_expr_is_nonvolatile(n->a_expr->lexpr) &&
				node_expr_is_nonvolatile(n->a_expr->rexpr);
		case NK(BOOL_EXPR):
			for (i = 0; i < n->bool_expr->n_args; i++)
				if (!node_expr_is_nonvolatile(n->bool_expr->args[i]))
					return false;
			return true;
		case NK(A_ARRAY_EXPR):
			for (i = 0; i < n->a_array_expr->n_elements; i++)
				if (!node_expr_is_nonvolatile(n->a_array_expr->elements[i]))
					return false;
			return true;
		case NK(LIST):
			for (i = 0; i < n->list->n_items; i++)
				if (!node_expr_is_nonvolatile(n->list->items[i]))
					return false;
			return true;
		case NK(COALESCE_EXPR):
			return node_expr_is_nonvolatile_list(n->coalesce_expr->args, n->coalesce_expr->n_args);
		case NK(MIN_MAX_EXPR):
			return node_expr_is_nonvolatile_list(n->min_max_expr->args, n->min_max_expr->n_args);
		case NK(ROW_EXPR):
			return node_expr_is_nonvolatile_list(n->row_expr->args, n->row_expr->n_args);
		case NK(NULL_TEST):
			return node_expr_is_nonvolatile(n->null_test->arg);
		case NK(BOOLEAN_TEST):
			return node_expr_is_nonvolatile(n->boolean_test->arg);
		case NK(CASE_EXPR):
			return node_expr_is_nonvolatile(n->case_expr->arg) &&
				node_expr_is_nonvolatile_list(n->case_expr->args, n->case_expr->n_args) &&
				node_expr_is_nonvolatile(n->case_expr->defresult);
		case NK(CASE_WHEN):
			return node_expr_is_nonvolatile(n->case_when->expr) &&
				node_expr_is_nonvolatile(n->case_when->result);
		case NK(FUNC_CALL):
			{
				const char *schema,
						   *name;
				size_t		k;

				node_qualified(n->func_call->funcname, n->func_call->n_funcname, &schema, &name);
				if (!name)
					return false;
				for (k = 0; nonvolatile_funcs[k]; k++)
					if (strcmp(name, nonvolatile_funcs[k]) == 0)
						break;
				if (!nonvolatile_funcs[k])
					return false;
				for (i = 0; i < n->func_call->n_args; i++)
					if (!node_expr_is_nonvolatile(n->func_call->args[i]))
						return false;
				return true;
			}
		default:
			return false;
	}
}

bool
node_expr_is_true(const PgQuery__Node *n)
{
	if (!n)
		return false;
	if (n->node_case == NK(A_CONST) && n->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
		return n->a_const->boolval->boolval;
	if (n->node_case == NK(TYPE_CAST))
	{
		const PgQuery__Node *arg = n->type_cast->arg;
		const char *t = node_type_last(n->type_cast->type_name);

		if (strcmp(t, "bool") != 0 && strcmp(t, "boolean") != 0)
			return false;
		if (arg && arg->node_case == NK(A_CONST) &&
			arg->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
		{
			const char *s = arg->a_const->sval->sval;

			return strcasecmp(s, "t") == 0 || strcasecmp(s, "true") == 0 ||
				strcasecmp(s, "on") == 0 || strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0;
		}
		return node_expr_is_true(arg);
	}
	if (n->node_case == NK(A_EXPR) && n->a_expr->n_name == 1 &&
		strcmp(node_str(n->a_expr->name[0]) ? node_str(n->a_expr->name[0]) : "", "=") == 0)
	{
		const PgQuery__Node *l = n->a_expr->lexpr,
				   *r = n->a_expr->rexpr;

		/* 1 = 1 */
		return l && r && l->node_case == NK(A_CONST) && r->node_case == NK(A_CONST) &&
			l->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL &&
			r->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL &&
			l->a_const->ival->ival == r->a_const->ival->ival;
	}
	return false;
}

bool
node_expr_is_not_null_test(const PgQuery__Node *n, const char *col)
{
	const PgQuery__Node *arg;

	if (!n || n->node_case != NK(NULL_TEST) ||
		n->null_test->nulltesttype != PG_QUERY__NULL_TEST_TYPE__IS_NOT_NULL)
		return false;
	arg = n->null_test->arg;
	if (!arg || arg->node_case != NK(COLUMN_REF) || arg->column_ref->n_fields == 0)
		return false;
	{
		const char *c = node_str(arg->column_ref->fields[arg->column_ref->n_fields - 1]);

		return c && strcmp(c, col) == 0;
	}
}

static bool
walk_message(const ProtobufCMessage *m, node_visit_fn fn, void *arg)
{
	const ProtobufCMessageDescriptor *d;
	unsigned	i;

	if (!m)
		return true;
	d = m->descriptor;
	if (d == &pg_query__node__descriptor && !fn((const PgQuery__Node *) m, arg))
		return false;
	for (i = 0; i < d->n_fields; i++)
	{
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char *base = (const char *) m;

		if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		{
			size_t		cnt = *(const size_t *) (base + fd->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *) (base + fd->offset);
			size_t		k;

			for (k = 0; k < cnt; k++)
				if (!walk_message(arr[k], fn, arg))
					return false;
		}
		else
		{
			if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
				*(const uint32_t *) (base + fd->quantifier_offset) != fd->id)
				continue;
			if (!walk_message(*(ProtobufCMessage *const *) (base + fd->offset), fn, arg))
				return false;
		}
	}
	return true;
}

bool
node_walk(const PgQuery__Node *n, node_visit_fn fn, void *arg)
{
	return walk_message((const ProtobufCMessage *) n, fn, arg);
}
