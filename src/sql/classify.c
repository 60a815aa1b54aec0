/*
 * classify.c — what a statement does: transaction mode, locks, rewrites,
 * scans, and the objects it creates, alters, drops or references.
 *
 * Lock levels follow PostgreSQL 15's documentation ("Explicit Locking" and
 * each command's reference page).  ALTER TABLE takes the strongest lock of
 * its subcommands.  Where the level depends on facts the file does not hold
 * (whether a type change is binary-coercible, whether a partition already
 * has a matching constraint), the classification says the worse case:
 * the runner and the lint rules should err on the side of caution.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/node.h"
#include "sql/script.h"

struct objvec
{
	struct pgw_sql_object *items;
	size_t		n;
	size_t		cap;
};

static void
obj_add(struct objvec *v, enum pgw_objaction action, const char *kind,
		const char *schema, const char *name, enum pgw_lockmode lock)
{
	if (!name)
		return;
	if (v->n == v->cap)
	{
		v->cap = v->cap ? v->cap * 2 : 8;
		v->items = pgw_realloc(v->items, v->cap * sizeof(*v->items));
	}
	v->items[v->n].action = action;
	v->items[v->n].kind = kind;
	v->items[v->n].schema = (schema && *schema) ? schema : NULL;
	v->items[v->n].name = name;
	v->items[v->n].lock = lock;
	v->n++;
}

static void
obj_rel(struct objvec *v, enum pgw_objaction action, const char *kind,
		const PgQuery__RangeVar *rv, enum pgw_lockmode lock)
{
	if (rv)
		obj_add(v, action, kind, rv->schemaname, rv->relname, lock);
}

static void
no_tx(struct pgw_sql_info *info, const char *why)
{
	info->no_transaction = true;
	info->no_transaction_why = why;
}

static const char *
objtype_kind(PgQuery__ObjectType t)
{
	switch (t)
	{
		case OT(TABLE):
			return "table";
		case OT(INDEX):
			return "index";
		case OT(SEQUENCE):
			return "sequence";
		case OT(VIEW):
			return "view";
		case OT(MATVIEW):
			return "materialized view";
		case OT(FOREIGN_TABLE):
			return "foreign table";
		case OT(SCHEMA):
			return "schema";
		case OT(TYPE):
			return "type";
		case OT(DOMAIN):
			return "domain";
		case OT(FUNCTION):
			return "function";
		case OT(PROCEDURE):
			return "procedure";
		case OT(ROUTINE):
			return "routine";
		case OT(TRIGGER):
			return "trigger";
		case OT(POLICY):
			return "policy";
		case OT(EXTENSION):
			return "extension";
		case OT(DATABASE):
			return "database";
		case OT(COLUMN):
			return "column";
		case OT(TABCONSTRAINT):
			return "constraint";
		default:
			return "object";
	}
}

static bool
objtype_is_relation(PgQuery__ObjectType t)
{
	return t == OT(TABLE) || t == OT(INDEX) || t == OT(SEQUENCE) || t == OT(VIEW) ||
		t == OT(MATVIEW) || t == OT(FOREIGN_TABLE);
}

/* FK references in a list of constraints (column or table level). */
static void
fk_refs(struct objvec *v, PgQuery__Node *const *cons, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (cons[i] && cons[i]->node_case == NK(CONSTRAINT) &&
			cons[i]->constraint->contype == CT(FOREIGN))
			obj_rel(v, PGW_OBJ_REFERENCE, "table", cons[i]->constraint->pktable,
					PGW_LOCK_SHARE_ROW_EXCLUSIVE);
}

static void
classify_alter_table(const PgQuery__AlterTableStmt *a, struct pgw_sql_info *info,
					 struct objvec *v)
{
	enum pgw_lockmode lock = PGW_LOCK_NONE;
	size_t		i;

	for (i = 0; i < a->n_cmds; i++)
	{
		const PgQuery__AlterTableCmd *c;
		enum pgw_lockmode l = PGW_LOCK_ACCESS_EXCLUSIVE;

		if (!a->cmds[i] || a->cmds[i]->node_case != NK(ALTER_TABLE_CMD))
			continue;
		c = a->cmds[i]->alter_table_cmd;
		switch (c->subtype)
		{
			case AT(AddColumn):
			case AT(AddColumnRecurse):
				if (c->def && c->def->node_case == NK(COLUMN_DEF))
				{
					const PgQuery__ColumnDef *cd = c->def->column_def;
					size_t		k;

					fk_refs(v, cd->constraints, cd->n_constraints);
					for (k = 0; k < cd->n_constraints; k++)
					{
						const PgQuery__Constraint *con = cd->constraints[k]->constraint;

						if (cd->constraints[k]->node_case != NK(CONSTRAINT))
							continue;
						if ((con->contype == CT(DEFAULT) && !node_expr_is_nonvolatile(con->raw_expr)) ||
							con->contype == CT(GENERATED) || con->contype == CT(IDENTITY))
							info->rewrites = true;
						if (con->contype == CT(CHECK) || con->contype == CT(FOREIGN) ||
							con->contype == CT(PRIMARY) || con->contype == CT(UNIQUE))
							info->scans = true;
					}
				}
				break;
			case AT(SetNotNull):
				info->scans = true;
				break;
			case AT(SetStatistics):
			case AT(SetOptions):
			case AT(ResetOptions):
			case AT(ClusterOn):
			case AT(DropCluster):
			case AT(SetRelOptions):
			case AT(ResetRelOptions):
			case AT(ReplaceRelOptions):
				l = PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
				break;
			case AT(ValidateConstraint):
			case AT(ValidateConstraintRecurse):
				l = PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
				info->scans = true;
				break;
			case AT(AddConstraint):
			case AT(AddConstraintRecurse):
			case AT(AddIndex):
			case AT(AddIndexConstraint):
				if (c->def && c->def->node_case == NK(CONSTRAINT))
				{
					const PgQuery__Constraint *con = c->def->constraint;

					if (con->contype == CT(FOREIGN))
					{
						l = PGW_LOCK_SHARE_ROW_EXCLUSIVE;
						obj_rel(v, PGW_OBJ_REFERENCE, "table", con->pktable,
								PGW_LOCK_SHARE_ROW_EXCLUSIVE);
					}
					if (!con->skip_validation &&
						!((con->contype == CT(PRIMARY) || con->contype == CT(UNIQUE)) &&
						  con->indexname && *con->indexname))
						info->scans = true;
				}
				break;
			case AT(AlterColumnType):
				info->rewrites = true;
				break;
			case AT(SetLogged):
			case AT(SetUnLogged):
			case AT(SetAccessMethod):
			case AT(SetTableSpace):
				info->rewrites = true;
				break;
			case AT(EnableTrig):
			case AT(EnableAlwaysTrig):
			case AT(EnableReplicaTrig):
			case AT(DisableTrig):
			case AT(EnableTrigAll):
			case AT(DisableTrigAll):
			case AT(EnableTrigUser):
			case AT(DisableTrigUser):
				l = PGW_LOCK_SHARE_ROW_EXCLUSIVE;
				break;
			case AT(AttachPartition):
				l = PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
				info->scans = true;
				if (c->def && c->def->node_case == NK(PARTITION_CMD))
					obj_rel(v, PGW_OBJ_ALTER, "table", c->def->partition_cmd->name,
							PGW_LOCK_ACCESS_EXCLUSIVE);
				break;
			case AT(DetachPartition):
				if (c->def && c->def->node_case == NK(PARTITION_CMD))
				{
					if (c->def->partition_cmd->concurrent)
					{
						l = PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
						no_tx(info, "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY");
					}
					obj_rel(v, PGW_OBJ_ALTER, "table", c->def->partition_cmd->name,
							PGW_LOCK_ACCESS_EXCLUSIVE);
				}
				break;
			case AT(DetachPartitionFinalize):
				l = PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
				break;
			default:
				break;
		}
		if (l > lock)
			lock = l;
	}
	obj_rel(v, PGW_OBJ_ALTER, objtype_kind(a->objtype), a->relation, lock);
}

/* DROP's objects: lists of names, functions with arguments, or types. */
static void
classify_drop(const PgQuery__DropStmt *d, struct pgw_sql_info *info, struct objvec *v)
{
	const char *kind = objtype_kind(d->remove_type);
	enum pgw_lockmode lock = PGW_LOCK_NONE;
	size_t		i;

	if (objtype_is_relation(d->remove_type))
		lock = PGW_LOCK_ACCESS_EXCLUSIVE;
	if (d->remove_type == OT(INDEX) && d->concurrent)
	{
		lock = PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
		no_tx(info, "DROP INDEX CONCURRENTLY");
	}
	for (i = 0; i < d->n_objects; i++)
	{
		const PgQuery__Node *o = d->objects[i];
		const char *schema = NULL,
				   *name = NULL;

		if (!o)
			continue;
		if (o->node_case == NK(LIST))
		{
			if (d->remove_type == OT(POLICY) || d->remove_type == OT(TRIGGER) ||
				d->remove_type == OT(RULE))
			{
				/* [schema.]table.name: the table is locked */
				size_t		n = o->list->n_items;

				if (n >= 2)
				{
					const char *ts = n >= 3 ? node_str(o->list->items[n - 3]) : NULL;

					obj_add(v, PGW_OBJ_ALTER, "table", ts, node_str(o->list->items[n - 2]),
							PGW_LOCK_ACCESS_EXCLUSIVE);
				}
				obj_add(v, PGW_OBJ_DROP, kind, NULL, node_str(o->list->items[n - 1]), PGW_LOCK_NONE);
				continue;
			}
			node_qualified(o->list->items, o->list->n_items, &schema, &name);
		}
		else if (o->node_case == NK(OBJECT_WITH_ARGS))
			node_qualified(o->object_with_args->objname, o->object_with_args->n_objname,
						   &schema, &name);
		else if (o->node_case == NK(TYPE_NAME))
		{
			name = node_type_last(o->type_name);
			schema = node_type_schema(o->type_name);
		}
		else
			name = node_str(o);
		obj_add(v, PGW_OBJ_DROP, kind, schema, name, lock);
	}
}

static void
classify_node(const PgQuery__Node *n, struct pgw_sql_info *info, struct objvec *v)
{
	const char *schema,
			   *name;
	size_t		i;
	bool		b;

	switch (n->node_case)
	{
		case NK(TRANSACTION_STMT):
			switch (n->transaction_stmt->kind)
			{
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
					info->tag = "BEGIN";
					info->tx = PGW_TX_BEGIN;
					break;
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
					info->tag = "COMMIT";
					info->tx = PGW_TX_COMMIT;
					break;
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
					info->tag = "ROLLBACK";
					info->tx = PGW_TX_ROLLBACK;
					break;
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
					info->tag = "COMMIT PREPARED";
					info->tx = PGW_TX_PREPARED;
					no_tx(info, "COMMIT/ROLLBACK PREPARED");
					break;
				case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
					info->tag = "PREPARE TRANSACTION";
					info->tx = PGW_TX_PREPARED;
					break;
				default:
					info->tag = "SAVEPOINT";
					info->tx = PGW_TX_SAVEPOINT;
					break;
			}
			break;
		case NK(CREATE_STMT):
			{
				const PgQuery__CreateStmt *c = n->create_stmt;

				info->tag = "CREATE TABLE";
				info->ddl = true;
				obj_rel(v, PGW_OBJ_CREATE, "table", c->relation, PGW_LOCK_ACCESS_EXCLUSIVE);
				fk_refs(v, c->constraints, c->n_constraints);
				for (i = 0; i < c->n_table_elts; i++)
				{
					const PgQuery__Node *e = c->table_elts[i];

					if (e && e->node_case == NK(COLUMN_DEF))
						fk_refs(v, e->column_def->constraints, e->column_def->n_constraints);
					else if (e && e->node_case == NK(CONSTRAINT))
						fk_refs(v, &c->table_elts[i], 1);
				}
				for (i = 0; i < c->n_inh_relations; i++)
					if (c->inh_relations[i]->node_case == NK(RANGE_VAR))
						obj_rel(v, PGW_OBJ_REFERENCE, "table", c->inh_relations[i]->range_var,
								c->partbound ? PGW_LOCK_SHARE_UPDATE_EXCLUSIVE : PGW_LOCK_SHARE_UPDATE_EXCLUSIVE);
				break;
			}
		case NK(CREATE_FOREIGN_TABLE_STMT):
			info->tag = "CREATE FOREIGN TABLE";
			info->ddl = true;
			if (n->create_foreign_table_stmt->base_stmt)
				obj_rel(v, PGW_OBJ_CREATE, "foreign table",
						n->create_foreign_table_stmt->base_stmt->relation, PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(CREATE_TABLE_AS_STMT):
			info->tag = n->create_table_as_stmt->objtype == OT(MATVIEW) ?
				"CREATE MATERIALIZED VIEW" : "CREATE TABLE AS";
			info->ddl = true;
			if (n->create_table_as_stmt->into)
				obj_rel(v, PGW_OBJ_CREATE,
						n->create_table_as_stmt->objtype == OT(MATVIEW) ? "materialized view" : "table",
						n->create_table_as_stmt->into->rel, PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(INDEX_STMT):
			{
				const PgQuery__IndexStmt *x = n->index_stmt;

				info->tag = "CREATE INDEX";
				info->ddl = true;
				info->scans = true;
				if (x->concurrent)
					no_tx(info, "CREATE INDEX CONCURRENTLY");
				obj_rel(v, PGW_OBJ_ALTER, "table", x->relation,
						x->concurrent ? PGW_LOCK_SHARE_UPDATE_EXCLUSIVE : PGW_LOCK_SHARE);
				if (x->idxname && *x->idxname)
					obj_add(v, PGW_OBJ_CREATE, "index",
							x->relation ? x->relation->schemaname : NULL, x->idxname, PGW_LOCK_NONE);
				break;
			}
		case NK(DROP_STMT):
			info->tag = "DROP";
			info->ddl = true;
			classify_drop(n->drop_stmt, info, v);
			break;
		case NK(ALTER_TABLE_STMT):
			info->tag = "ALTER TABLE";
			info->ddl = true;
			classify_alter_table(n->alter_table_stmt, info, v);
			break;
		case NK(RENAME_STMT):
			info->tag = "ALTER ... RENAME";
			info->ddl = true;
			if (n->rename_stmt->relation)
				obj_rel(v, PGW_OBJ_ALTER, objtype_kind(n->rename_stmt->relation_type == OT(INDEX) ?
													   OT(INDEX) : OT(TABLE)),
						n->rename_stmt->relation, PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(TRUNCATE_STMT):
			info->tag = "TRUNCATE";
			for (i = 0; i < n->truncate_stmt->n_relations; i++)
				if (n->truncate_stmt->relations[i]->node_case == NK(RANGE_VAR))
					obj_rel(v, PGW_OBJ_ALTER, "table", n->truncate_stmt->relations[i]->range_var,
							PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(VACUUM_STMT):
			{
				const PgQuery__VacuumStmt *x = n->vacuum_stmt;
				bool		full = false;
				enum pgw_lockmode l;

				node_option_bool(x->options, x->n_options, "full", &full);
				info->tag = x->is_vacuumcmd ? (full ? "VACUUM FULL" : "VACUUM") : "ANALYZE";
				if (x->is_vacuumcmd)
					no_tx(info, "VACUUM");
				info->scans = true;
				info->rewrites = full;
				l = full ? PGW_LOCK_ACCESS_EXCLUSIVE : PGW_LOCK_SHARE_UPDATE_EXCLUSIVE;
				for (i = 0; i < x->n_rels; i++)
					if (x->rels[i]->node_case == NK(VACUUM_RELATION))
						obj_rel(v, PGW_OBJ_ALTER, "table", x->rels[i]->vacuum_relation->relation, l);
				if (x->n_rels == 0)
					info->lock = l;
				break;
			}
		case NK(CLUSTER_STMT):
			info->tag = "CLUSTER";
			info->rewrites = true;
			if (n->cluster_stmt->relation)
				obj_rel(v, PGW_OBJ_ALTER, "table", n->cluster_stmt->relation, PGW_LOCK_ACCESS_EXCLUSIVE);
			else
			{
				no_tx(info, "CLUSTER without a table");
				info->lock = PGW_LOCK_ACCESS_EXCLUSIVE;
			}
			break;
		case NK(REINDEX_STMT):
			{
				const PgQuery__ReindexStmt *x = n->reindex_stmt;
				bool		conc = false;

				info->tag = "REINDEX";
				node_option_bool(x->params, x->n_params, "concurrently", &conc);
				if (conc)
					no_tx(info, "REINDEX CONCURRENTLY");
				if (x->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX)
					obj_rel(v, PGW_OBJ_ALTER, "index", x->relation,
							conc ? PGW_LOCK_SHARE_UPDATE_EXCLUSIVE : PGW_LOCK_ACCESS_EXCLUSIVE);
				else if (x->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE)
					obj_rel(v, PGW_OBJ_ALTER, "table", x->relation,
							conc ? PGW_LOCK_SHARE_UPDATE_EXCLUSIVE : PGW_LOCK_SHARE);
				else
				{
					no_tx(info, "REINDEX SCHEMA/SYSTEM/DATABASE");
					info->lock = conc ? PGW_LOCK_SHARE_UPDATE_EXCLUSIVE : PGW_LOCK_SHARE;
				}
				break;
			}
		case NK(LOCK_STMT):
			info->tag = "LOCK";
			for (i = 0; i < n->lock_stmt->n_relations; i++)
				if (n->lock_stmt->relations[i]->node_case == NK(RANGE_VAR))
					obj_rel(v, PGW_OBJ_REFERENCE, "table", n->lock_stmt->relations[i]->range_var,
							(n->lock_stmt->mode >= 1 && n->lock_stmt->mode <= 8) ?
							(enum pgw_lockmode) n->lock_stmt->mode : PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(CREATE_TRIG_STMT):
			info->tag = "CREATE TRIGGER";
			info->ddl = true;
			obj_rel(v, PGW_OBJ_ALTER, "table", n->create_trig_stmt->relation, PGW_LOCK_SHARE_ROW_EXCLUSIVE);
			obj_add(v, PGW_OBJ_CREATE, "trigger", NULL, n->create_trig_stmt->trigname, PGW_LOCK_NONE);
			break;
		case NK(CREATE_POLICY_STMT):
			info->tag = "CREATE POLICY";
			info->ddl = true;
			obj_rel(v, PGW_OBJ_ALTER, "table", n->create_policy_stmt->table, PGW_LOCK_ACCESS_EXCLUSIVE);
			obj_add(v, PGW_OBJ_CREATE, "policy", NULL, n->create_policy_stmt->policy_name, PGW_LOCK_NONE);
			break;
		case NK(ALTER_POLICY_STMT):
			info->tag = "ALTER POLICY";
			info->ddl = true;
			obj_rel(v, PGW_OBJ_ALTER, "table", n->alter_policy_stmt->table, PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(COMMENT_STMT):
			info->tag = "COMMENT";
			info->ddl = true;
			if (n->comment_stmt->object && n->comment_stmt->object->node_case == NK(LIST))
			{
				const PgQuery__List *l = n->comment_stmt->object->list;

				if (n->comment_stmt->objtype == OT(COLUMN) && l->n_items >= 2)
					node_qualified(l->items, l->n_items - 1, &schema, &name);
				else
					node_qualified(l->items, l->n_items, &schema, &name);
				if (objtype_is_relation(n->comment_stmt->objtype) || n->comment_stmt->objtype == OT(COLUMN))
					obj_add(v, PGW_OBJ_ALTER, "table", schema, name, PGW_LOCK_SHARE_UPDATE_EXCLUSIVE);
			}
			break;
		case NK(INSERT_STMT):
			info->tag = "INSERT";
			obj_rel(v, PGW_OBJ_REFERENCE, "table", n->insert_stmt->relation, PGW_LOCK_ROW_EXCLUSIVE);
			break;
		case NK(UPDATE_STMT):
			info->tag = "UPDATE";
			obj_rel(v, PGW_OBJ_REFERENCE, "table", n->update_stmt->relation, PGW_LOCK_ROW_EXCLUSIVE);
			break;
		case NK(DELETE_STMT):
			info->tag = "DELETE";
			obj_rel(v, PGW_OBJ_REFERENCE, "table", n->delete_stmt->relation, PGW_LOCK_ROW_EXCLUSIVE);
			break;
		case NK(MERGE_STMT):
			info->tag = "MERGE";
			obj_rel(v, PGW_OBJ_REFERENCE, "table", n->merge_stmt->relation, PGW_LOCK_ROW_EXCLUSIVE);
			break;
		case NK(COPY_STMT):
			info->tag = "COPY";
			obj_rel(v, PGW_OBJ_REFERENCE, "table", n->copy_stmt->relation,
					n->copy_stmt->is_from ? PGW_LOCK_ROW_EXCLUSIVE : PGW_LOCK_ACCESS_SHARE);
			break;
		case NK(SELECT_STMT):
			info->tag = "SELECT";
			if (n->select_stmt->into_clause)
			{
				info->ddl = true;
				obj_rel(v, PGW_OBJ_CREATE, "table", n->select_stmt->into_clause->rel, PGW_LOCK_ACCESS_EXCLUSIVE);
			}
			break;
		case NK(CREATE_FUNCTION_STMT):
			info->tag = n->create_function_stmt->is_procedure ? "CREATE PROCEDURE" : "CREATE FUNCTION";
			info->ddl = true;
			node_qualified(n->create_function_stmt->funcname, n->create_function_stmt->n_funcname, &schema, &name);
			obj_add(v, PGW_OBJ_CREATE, n->create_function_stmt->is_procedure ? "procedure" : "function",
					schema, name, PGW_LOCK_NONE);
			break;
		case NK(DO_STMT):
			info->tag = "DO";
			break;
		case NK(CREATE_SCHEMA_STMT):
			info->tag = "CREATE SCHEMA";
			info->ddl = true;
			obj_add(v, PGW_OBJ_CREATE, "schema", NULL, n->create_schema_stmt->schemaname, PGW_LOCK_NONE);
			break;
		case NK(VIEW_STMT):
			info->tag = "CREATE VIEW";
			info->ddl = true;
			obj_rel(v, PGW_OBJ_CREATE, "view", n->view_stmt->view, PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(CREATE_SEQ_STMT):
			info->tag = "CREATE SEQUENCE";
			info->ddl = true;
			obj_rel(v, PGW_OBJ_CREATE, "sequence", n->create_seq_stmt->sequence, PGW_LOCK_NONE);
			break;
		case NK(CREATE_ENUM_STMT):
			info->tag = "CREATE TYPE";
			info->ddl = true;
			node_qualified(n->create_enum_stmt->type_name, n->create_enum_stmt->n_type_name, &schema, &name);
			obj_add(v, PGW_OBJ_CREATE, "type", schema, name, PGW_LOCK_NONE);
			break;
		case NK(COMPOSITE_TYPE_STMT):
			info->tag = "CREATE TYPE";
			info->ddl = true;
			obj_rel(v, PGW_OBJ_CREATE, "type", n->composite_type_stmt->typevar, PGW_LOCK_NONE);
			break;
		case NK(CREATE_DOMAIN_STMT):
			info->tag = "CREATE DOMAIN";
			info->ddl = true;
			node_qualified(n->create_domain_stmt->domainname, n->create_domain_stmt->n_domainname, &schema, &name);
			obj_add(v, PGW_OBJ_CREATE, "domain", schema, name, PGW_LOCK_NONE);
			break;
		case NK(ALTER_ENUM_STMT):
			info->tag = "ALTER TYPE";
			info->ddl = true;
			node_qualified(n->alter_enum_stmt->type_name, n->alter_enum_stmt->n_type_name, &schema, &name);
			obj_add(v, PGW_OBJ_ALTER, "type", schema, name, PGW_LOCK_NONE);
			break;
		case NK(ALTER_DOMAIN_STMT):
			info->tag = "ALTER DOMAIN";
			info->ddl = true;
			node_qualified(n->alter_domain_stmt->type_name, n->alter_domain_stmt->n_type_name, &schema, &name);
			obj_add(v, PGW_OBJ_ALTER, "domain", schema, name, PGW_LOCK_NONE);
			if (n->alter_domain_stmt->subtype && strchr("CV", n->alter_domain_stmt->subtype[0]))
				info->scans = true;
			break;
		case NK(CREATE_EXTENSION_STMT):
			info->tag = "CREATE EXTENSION";
			info->ddl = true;
			obj_add(v, PGW_OBJ_CREATE, "extension", NULL, n->create_extension_stmt->extname, PGW_LOCK_NONE);
			break;
		case NK(GRANT_STMT):
			info->tag = n->grant_stmt->is_grant ? "GRANT" : "REVOKE";
			info->ddl = true;
			break;
		case NK(VARIABLE_SET_STMT):
			info->tag = "SET";
			break;
		case NK(REFRESH_MAT_VIEW_STMT):
			info->tag = "REFRESH MATERIALIZED VIEW";
			info->rewrites = true;
			obj_rel(v, PGW_OBJ_ALTER, "materialized view", n->refresh_mat_view_stmt->relation,
					n->refresh_mat_view_stmt->concurrent ? PGW_LOCK_EXCLUSIVE : PGW_LOCK_ACCESS_EXCLUSIVE);
			break;
		case NK(CREATEDB_STMT):
			info->tag = "CREATE DATABASE";
			no_tx(info, "CREATE DATABASE");
			obj_add(v, PGW_OBJ_CREATE, "database", NULL, n->createdb_stmt->dbname, PGW_LOCK_NONE);
			break;
		case NK(DROPDB_STMT):
			info->tag = "DROP DATABASE";
			no_tx(info, "DROP DATABASE");
			obj_add(v, PGW_OBJ_DROP, "database", NULL, n->dropdb_stmt->dbname, PGW_LOCK_NONE);
			break;
		case NK(ALTER_SYSTEM_STMT):
			info->tag = "ALTER SYSTEM";
			no_tx(info, "ALTER SYSTEM");
			break;
		case NK(CREATE_TABLE_SPACE_STMT):
			info->tag = "CREATE TABLESPACE";
			no_tx(info, "CREATE TABLESPACE");
			break;
		case NK(DROP_TABLE_SPACE_STMT):
			info->tag = "DROP TABLESPACE";
			no_tx(info, "DROP TABLESPACE");
			break;
		case NK(ALTER_DATABASE_STMT):
			info->tag = "ALTER DATABASE";
			if (node_option_string(n->alter_database_stmt->options, n->alter_database_stmt->n_options,
								   "tablespace"))
				no_tx(info, "ALTER DATABASE ... SET TABLESPACE");
			break;
		case NK(CREATE_SUBSCRIPTION_STMT):
			info->tag = "CREATE SUBSCRIPTION";
			if (!node_option_bool(n->create_subscription_stmt->options,
								  n->create_subscription_stmt->n_options, "create_slot", &b) || b)
				no_tx(info, "CREATE SUBSCRIPTION ... WITH (create_slot = true)");
			break;
		case NK(DROP_SUBSCRIPTION_STMT):
			info->tag = "DROP SUBSCRIPTION";
			no_tx(info, "DROP SUBSCRIPTION");
			break;
		default:
			info->tag = "OTHER";
			break;
	}
}

/* The tag of a deferred statement, from its first token. */
static const char *
deferred_tag(int tok)
{
	switch (tok)
	{
		case PG_QUERY__TOKEN__INSERT:
			return "INSERT";
		case PG_QUERY__TOKEN__SELECT:
		case PG_QUERY__TOKEN__VALUES:
		case PG_QUERY__TOKEN__TABLE:
			return "SELECT";
		case PG_QUERY__TOKEN__COPY:
			return "COPY";
		case PG_QUERY__TOKEN__EXPLAIN:
			return "EXPLAIN";
		case PG_QUERY__TOKEN__SHOW:
			return "SHOW";
		default:
			return "UNKNOWN";
	}
}

void
sql_script_classify_one(struct pgw_sql_script *s, struct pgw_sql_stmt *st)
{
	struct objvec v = {NULL, 0, 0};
	size_t		k;

	memset(&st->info, 0, sizeof(st->info));
	if (!st->node)
	{
		st->info.tag = st->deferred ? deferred_tag(st->first_token) : "UNKNOWN";
		return;
	}
	classify_node(st->node, &st->info, &v);
	for (k = 0; k < v.n; k++)
		if (v.items[k].lock > st->info.lock)
			st->info.lock = v.items[k].lock;
	if (v.n)
	{
		st->info.objects = arena_alloc(&s->arena, v.n * sizeof(*v.items));
		memcpy(st->info.objects, v.items, v.n * sizeof(*v.items));
		st->info.nobjects = v.n;
	}
	free(v.items);
}

void
sql_script_classify(struct pgw_sql_script *s)
{
	size_t		i;

	for (i = 0; i < s->nstmts; i++)
		sql_script_classify_one(s, &s->stmts[i]);
}
