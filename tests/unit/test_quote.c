/* Unit tests: sql/quote (identifiers and literals, PostgreSQL's quote_ident
 * and quote_literal rules) and the expression tests of check/tenant. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>

#include "check/tenant.h"
#include "sql/quote.h"
#include "util/mem.h"

static char *
qi(const char *s)
{
	struct pgw_buf b;

	buf_init(&b);
	sql_ident(&b, s);
	return buf_steal(&b);
}

static char *
ql(const char *s)
{
	struct pgw_buf b;

	buf_init(&b);
	sql_literal(&b, s);
	return buf_steal(&b);
}

#define EXPECT_IDENT(in, want) do { char *got = qi(in); assert_string_equal(got, want); free(got); } while (0)
#define EXPECT_LITERAL(in, want) do { char *got = ql(in); assert_string_equal(got, want); free(got); } while (0)

static void
identifiers(void **state)
{
	(void) state;
	EXPECT_IDENT("vehicles", "vehicles");
	EXPECT_IDENT("tenant_id", "tenant_id");
	EXPECT_IDENT("_x1", "_x1");
	EXPECT_IDENT("Vehicles", "\"Vehicles\"");
	EXPECT_IDENT("1abc", "\"1abc\"");
	EXPECT_IDENT("a b", "\"a b\"");
	EXPECT_IDENT("", "\"\"");
	EXPECT_IDENT("Order\"; DROP TABLE x; --", "\"Order\"\"; DROP TABLE x; --\"");
	EXPECT_IDENT("\"", "\"\"\"\"");
	EXPECT_IDENT("café", "\"café\"");
	/* reserved, column-name and type/function-name keywords are quoted */
	EXPECT_IDENT("select", "\"select\"");
	EXPECT_IDENT("user", "\"user\"");
	EXPECT_IDENT("order", "\"order\"");
	EXPECT_IDENT("int", "\"int\"");
	EXPECT_IDENT("left", "\"left\"");
	/* unreserved keywords stay bare, as quote_ident leaves them */
	EXPECT_IDENT("name", "name");
	EXPECT_IDENT("data", "data");
	assert_true(!sql_ident_needs_quotes("id"));
	assert_false(!sql_ident_needs_quotes("table"));
}

static void
qualified_and_literals(void **state)
{
	struct pgw_buf b;

	(void) state;
	buf_init(&b);
	sql_qname(&b, "public", "Order");
	assert_string_equal(b.data, "public.\"Order\"");
	buf_release(&b);
	EXPECT_LITERAL("app.current_tenant_id", "'app.current_tenant_id'");
	EXPECT_LITERAL("it's", "'it''s'");
	EXPECT_LITERAL("a\\b", "E'a\\\\b'");
	EXPECT_LITERAL("", "''");
}

static void
expressions(void **state)
{
	(void) state;
	assert_true(tenancy_expr_is_true("true"));
	assert_true(tenancy_expr_is_true("(true)"));
	assert_false(tenancy_expr_is_true(NULL));
	assert_false(tenancy_expr_is_true("true_flag"));
	assert_false(tenancy_expr_is_true("(tenant_id = x) OR true"));
	assert_string_equal(tenancy_policy_command('r'), "SELECT");
	assert_string_equal(tenancy_policy_command('*'), "ALL");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identifiers),
		cmocka_unit_test(qualified_and_literals),
		cmocka_unit_test(expressions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
