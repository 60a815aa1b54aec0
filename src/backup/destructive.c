/*
 * destructive.c — whether a migration deletes data, for the automatic
 * backup of `migrate up --safe` (backup/backup.h).
 *
 * The lint rules already classify the statements that drop or rewrite
 * data (DROP TABLE/COLUMN/SCHEMA/DATABASE, TRUNCATE, ALTER COLUMN ...
 * TYPE); a DELETE without WHERE is read from its parse tree.  Suppressed
 * findings count too: an ignore comment silences a warning, it does not
 * make the data come back.
 */
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "check/finding.h"
#include "migrate/runner.h"
#include "sql/lint.h"
#include "sql/node.h"
#include "util/error.h"
#include "util/mem.h"

static const char *const data_rules[] = {
	"destructive.drop_table", "destructive.drop_column", "destructive.drop_schema",
	"destructive.drop_database", "destructive.truncate", "destructive.truncate_cascade",
	"locking.column_type_change"
};

int
backup_destructive(const struct pgw_migration *m, struct pgw_strlist *why)
{
	struct pgw_plan p;
	struct pgw_lint_options lo;
	struct pgw_findings f;

	if (runner_plan_migration(&p, m, false) != 0)
	{
		runner_plan_release(&p);
		return -1;
	}
	memset(&lo, 0, sizeof(lo));
	findings_init(&f);
	lint_script(&p.s, &lo, &f);
	for (size_t i = 0; i < f.n; i++)
		for (size_t k = 0; k < sizeof(data_rules) / sizeof(*data_rules); k++)
			if (strcmp(f.items[i].rule, data_rules[k]) == 0)
			{
				char	   *w = pgw_asprintf("%s:%d: %s", m->file, f.items[i].line, f.items[i].rule);

				strlist_add(why, w);
				free(w);
			}
	findings_release(&f);
	for (size_t i = 0; i < p.n; i++)
	{
		const PgQuery__Node *n = sql_script_tree(&p.s, p.stmts[i]);

		if (n && n->node_case == NK(DELETE_STMT) && !n->delete_stmt->where_clause)
		{
			char	   *w = pgw_asprintf("%s:%d: DELETE without WHERE", m->file, p.s.stmts[p.stmts[i]].line);

			strlist_add(why, w);
			free(w);
		}
	}
	runner_plan_release(&p);
	return 0;
}
