/*
 * lint_rules.c — the rule table: every lint rule's stable id, severity,
 * category, summary and hint.  docs/lint-rules.md has one section per id
 * (a unit test checks that the two agree).  Ids are never reused or
 * renamed: suppression lists and CI baselines key on them.
 */
#include <string.h>

#include "sql/lint.h"

#define E PGW_SEV_ERROR
#define W PGW_SEV_WARNING
#define I PGW_SEV_INFO

const struct pgw_lint_rule pgw_lint_rules[] = {
	/* locking and online safety */
	{"locking.create_index_not_concurrent", E, "locking",
		"CREATE INDEX without CONCURRENTLY on an existing table blocks writes while it builds",
	"use CREATE INDEX CONCURRENTLY, in a file of its own (it cannot run inside a transaction)"},
	{"locking.drop_index_not_concurrent", W, "locking",
		"DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table",
	"use DROP INDEX CONCURRENTLY IF EXISTS, in a file of its own"},
	{"locking.concurrently_in_transaction", E, "locking",
		"a statement that cannot run inside a transaction block runs inside one",
	"move the statement to a file of its own, outside BEGIN ... COMMIT"},
	{"locking.constraint_not_valid", E, "locking",
		"adding a FOREIGN KEY or CHECK constraint without NOT VALID scans the table under a lock that blocks writes",
	"add it with NOT VALID, then run ALTER TABLE ... VALIDATE CONSTRAINT in a later transaction"},
	{"locking.validate_same_transaction", W, "locking",
		"VALIDATE CONSTRAINT in the same transaction as the ADD ... NOT VALID keeps the strong lock for the whole scan",
	"commit after ADD CONSTRAINT ... NOT VALID and validate in a separate transaction"},
	{"locking.set_not_null", E, "locking",
		"SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
	"add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later transaction, then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the CHECK"},
	{"locking.volatile_default", E, "locking",
		"ADD COLUMN with a volatile default rewrites the whole table under an ACCESS EXCLUSIVE lock",
	"add the column without a default (or with a constant one), then backfill in batches and set the default"},
	{"locking.column_type_change", W, "locking",
		"ALTER COLUMN ... TYPE may rewrite the table and its indexes under an ACCESS EXCLUSIVE lock",
	"add a new column, backfill it in batches, switch readers and writers, then drop the old column"},
	{"locking.unique_without_index", E, "locking",
		"adding a PRIMARY KEY or UNIQUE constraint builds its index under an ACCESS EXCLUSIVE lock",
	"CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... USING INDEX"},
	{"locking.vacuum_full_or_cluster", E, "locking",
		"VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock",
	"use plain VACUUM, or an online tool such as pg_repack (REPACK CONCURRENTLY on PostgreSQL 19+)"},
	{"locking.reindex_not_concurrent", W, "locking",
		"REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index)",
	"use REINDEX ... CONCURRENTLY, outside a transaction block"},
	{"locking.detach_partition_not_concurrent", W, "locking",
		"DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the parent table",
	"use ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), outside a transaction block"},
	{"locking.domain_add_constraint", W, "locking",
		"ALTER DOMAIN ... ADD CONSTRAINT checks every column of the domain while holding locks",
	"add the constraint NOT VALID, then VALIDATE CONSTRAINT separately"},
	{"locking.enum_value_used_same_transaction", E, "locking",
		"a value added with ALTER TYPE ... ADD VALUE is used in the same transaction, which fails",
	"commit after ALTER TYPE ... ADD VALUE and use the new value in a later transaction"},
	{"locking.lock_timeout_missing", I, "locking",
		"a statement that takes locks runs before any SET lock_timeout, so it can queue behind a long transaction and block everyone after it",
	"start the file with SET lock_timeout = '5s' (pgwarden migrate sets it for you)"},
	{"locking.statement_timeout_missing", I, "locking",
		"a statement that takes locks runs before any SET statement_timeout",
	"set statement_timeout at the top of the file so a slow statement cannot hold its locks indefinitely"},

	/* destructive or breaking */
	{"destructive.drop_table", W, "destructive",
		"DROP TABLE deletes the table and its data",
	"make sure nothing reads it any more and that a backup exists; pgwarden migrate takes one before destructive migrations"},
	{"destructive.drop_column", W, "destructive",
		"DROP COLUMN deletes data and breaks code that still reads the column",
	"stop using the column in the application first, deploy, then drop it"},
	{"destructive.drop_schema", E, "destructive",
		"DROP SCHEMA deletes every object in the schema",
	"drop the objects you mean to drop, one by one"},
	{"destructive.drop_database", E, "destructive",
		"DROP DATABASE deletes a whole database",
	"do this by hand, not in a migration"},
	{"destructive.truncate", W, "destructive",
		"TRUNCATE deletes every row of the table",
	"delete the rows you mean to delete, or make sure the data is not needed"},
	{"destructive.truncate_cascade", E, "destructive",
		"TRUNCATE ... CASCADE also empties every table with a foreign key to this one",
	"truncate the tables you mean by name, without CASCADE"},
	{"destructive.rename_table", W, "destructive",
		"renaming a table breaks every client that still uses the old name",
	"create the new table (or a view with the new name), move clients over, then drop the old one"},
	{"destructive.rename_column", W, "destructive",
		"renaming a column breaks every client that still uses the old name",
	"add the new column, write to both, move readers, then drop the old column"},
	{"destructive.drop_not_null", W, "destructive",
		"DROP NOT NULL lets NULLs in where clients may not expect them",
	"make sure every reader handles NULL before you drop the constraint"},
	{"destructive.add_required_column", E, "destructive",
		"ADD COLUMN ... NOT NULL without a default fails on a table that has rows, and breaks inserts that do not name it",
	"add the column nullable (or with a default), backfill, then SET NOT NULL the safe way"},

	/* robustness */
	{"robustness.uncommitted_transaction", E, "robustness",
		"BEGIN without a matching COMMIT: the file ends inside a transaction",
	"end the transaction with COMMIT"},
	{"robustness.transaction_nesting", E, "robustness",
		"transaction control out of place: BEGIN inside a transaction, or COMMIT/ROLLBACK outside one",
	"remove the extra BEGIN/COMMIT; pgwarden migrate runs each file in a transaction of its own"},
	{"robustness.not_idempotent", W, "robustness",
		"a statement that fails when run twice, or changes a table with no guard, in a file that is not one transaction: a failure halfway leaves the file impossible to simply re-run",
	"use IF NOT EXISTS / IF EXISTS, or make the file transactional"},
	{"robustness.identifier_too_long", E, "robustness",
		"an identifier longer than 63 bytes is silently truncated by PostgreSQL",
	"use a name of at most 63 bytes"},
	{"robustness.duplicate_column", E, "robustness",
		"the same column is named twice in one statement",
	"name each column once"},
	{"robustness.unqualified_table", W, "robustness",
		"a table is created, altered or dropped without a schema, so search_path decides which one",
	"write the schema: public.name"},

	/* types */
	{"types.char", W, "types",
		"char(n) pads with spaces and is no faster than text",
	"use text (with a CHECK on length if a limit matters)"},
	{"types.varchar", I, "types",
		"varchar(n) makes a later length change an ALTER TYPE; text with a CHECK is easier to change",
	"use text, with CHECK (length(col) <= n) if a limit matters"},
	{"types.timestamp_without_tz", W, "types",
		"timestamp without time zone stores a wall-clock time with no zone, which breaks across time zones and DST",
	"use timestamptz"},
	{"types.serial", W, "types",
		"serial columns own a sequence with its own permissions and ownership quirks",
	"use bigint GENERATED ALWAYS AS IDENTITY"},
	{"types.int_primary_key", W, "types",
		"an integer key (int, serial) runs out at 2^31; changing it later rewrites the table and every referencing one",
	"use bigint (bigint GENERATED ALWAYS AS IDENTITY for generated keys)"},
	{"types.enum_value_unordered", I, "types",
		"ALTER TYPE ... ADD VALUE without BEFORE or AFTER appends at the end of the enum's sort order",
	"say where the value goes: ADD VALUE 'x' BEFORE 'y' (or AFTER)"},
	{"types.domain_with_constraint", I, "types",
		"a domain with a constraint is hard to change later: altering the constraint checks every column that uses it",
	"put the CHECK on the table columns instead"},

	/* security and row level security */
	{"rls.table_without_rls", E, "rls",
		"a table created in an exposed schema has no ENABLE ROW LEVEL SECURITY in the same file",
	"add ALTER TABLE ... ENABLE ROW LEVEL SECURITY and policies in the same migration"},
	{"rls.policy_always_true", E, "rls",
		"a policy for writes has USING or WITH CHECK (true), so it restricts nothing",
	"write the condition that limits rows to their owner or tenant, e.g. (tenant_id = auth.uid())"},
	{"rls.policy_missing_with_check", W, "rls",
		"an INSERT or UPDATE policy has no WITH CHECK, so new rows are not checked explicitly",
	"add WITH CHECK (...) with the condition new rows must meet"},
	{"security.definer_without_search_path", E, "security",
		"a SECURITY DEFINER function has no fixed search_path, so a caller can make it run their objects with its owner's rights",
	"add SET search_path = '' (and qualify names), or SET search_path = pg_catalog, public"},
	{"security.grant_to_public", E, "security",
		"ALL privileges, or EXECUTE on every function, are granted to anon or PUBLIC",
	"grant only the privileges needed, on the objects needed, to the roles needed"},
	{"security.exec_text_argument", E, "security",
		"a function runs its text argument as SQL with EXECUTE: anyone who can call it can run any SQL",
	"remove the function, or build the statement with format() and %I/%L from a fixed list of allowed operations"},

	/* suppression */
	{"lint.unused_ignore", W, "lint",
		"a pgwarden:ignore comment silenced nothing, or names no rule",
	"remove the comment, or fix the rule id"},
};

const size_t pgw_lint_nrules = sizeof(pgw_lint_rules) / sizeof(pgw_lint_rules[0]);

const struct pgw_lint_rule *
lint_rule_find(const char *id)
{
	size_t		i;

	for (i = 0; i < pgw_lint_nrules; i++)
		if (strcmp(pgw_lint_rules[i].id, id) == 0)
			return &pgw_lint_rules[i];
	return NULL;
}

/* Rules that are off by default: a matter of house style, not of safety. */
static const char *const opt_in_rules[] = {
	"robustness.unqualified_table",
	NULL
};

bool
lint_rule_is_opt_in(const char *id)
{
	size_t		i;

	for (i = 0; opt_in_rules[i]; i++)
		if (strcmp(opt_in_rules[i], id) == 0)
			return true;
	return false;
}

const char *
lint_opt_in_list(void)
{
	return "robustness.unqualified_table";
}
