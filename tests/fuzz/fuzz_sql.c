/*
 * fuzz_sql.c — libFuzzer target for the SQL file reader, the splitter, the
 * parser glue and the lint rules (`make fuzz`).
 *
 * Any input must come back as statements and/or diagnostics, never a crash,
 * and the result must be consistent: statements in order and inside the
 * file, COPY data inside the file, diagnostics at real positions.  A crash
 * found here becomes a case in tests/unit/test_sql.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check/finding.h"
#include "sql/lint.h"
#include "sql/script.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgw_sql_file f;
	struct pgw_sql_script s;
	struct pgw_findings out;
	struct pgw_lint_options o;
	size_t		i;

	sqlfile_from_text("fuzz.sql", (const char *) data, size, &f);
	/* both ways: every tree now, or data statements' trees on request */
	sql_script_load_flags(&s, &f, (size & 1) ? PGW_SQL_DEFER_DATA : 0);
	for (i = 0; i < s.nstmts; i++)
	{
		const struct pgw_sql_stmt *st = &s.stmts[i];

		if (st->start > st->end || st->end > f.len)
			abort();
		if (i > 0 && st->start < s.stmts[i - 1].end)
			abort();
		if (st->copy_stdin && st->copy_start + st->copy_len > f.len)
			abort();
		if (st->line < 1 || st->column < 1)
			abort();
	}
	for (i = 0; i < s.ndiags; i++)
		if (s.diags[i].offset > f.len || s.diags[i].line < 1 || !s.diags[i].message)
			abort();
	memset(&o, 0, sizeof(o));
	o.tx_mode = (enum pgw_lint_txmode) (size % 3);
	findings_init(&out);
	lint_script(&s, &o, &out);
	findings_release(&out);
	sql_script_release(&s);
	sqlfile_release(&f);
	return 0;
}
