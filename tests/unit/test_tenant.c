/* Unit tests: check/tenant — what a policy expression is worth for the anon
 * role (auth.uid() NULL, auth.role() 'anon'), as pg_get_expr prints it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>

#include <pg_query.h>

#include "check/tenant.h"

static void
never_true_for_anon(void **state)
{
	static const char *const never[] = {
		"(auth.uid() = id)",
		"(id = ( SELECT auth.uid() AS uid))",
		"((user_id = auth.uid()) AND (status = 'open'::text))",
		"((auth.jwt() ->> 'sub'::text) = (owner)::text)",
		"(((auth.jwt() -> 'app_metadata'::text) ->> 'tenant_id'::text) = (tenant_id)::text)",
		"(auth.role() = 'authenticated'::text)",
		"((auth.jwt() ->> 'role'::text) = 'service_role'::text)",
		"(EXISTS ( SELECT 1 FROM members m WHERE ((m.team = t.team) AND (m.user_id = auth.uid()))))",
		"(team_id IN ( SELECT members.team_id FROM members WHERE (members.user_id = auth.uid())))",
		"((auth.uid() = id) OR (auth.uid() = ANY (editors)))",
		"(auth.uid() IS NOT NULL)",
		"(lower(auth.email()) = lower(email))",
		"(NOT (auth.uid() = id))",
	};
	static const char *const maybe[] = {
		"true",
		"(tenant_id = (current_setting('app.tenant'::text, true))::uuid)",
		"((auth.uid() = id) OR (published = true))",
		"(auth.uid() IS NULL)",
		"(NOT published)",
		"(coalesce(auth.uid(), id) = id)",
		"(auth.role() = 'anon'::text)",
		"((auth.jwt() ->> 'iss'::text) = 'supabase'::text)",
		"(auth.uid() IS DISTINCT FROM id)",
		"(concat(auth.uid(), '') = '')",
		"this is not ( SQL",
	};

	(void) state;
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++)
		if (!tenancy_expr_never_for_anon(never[i]))
			fail_msg("should never be true for anon: %s", never[i]);
	for (size_t i = 0; i < sizeof(maybe) / sizeof(*maybe); i++)
		if (tenancy_expr_never_for_anon(maybe[i]))
			fail_msg("may be true for anon: %s", maybe[i]);
	assert_false(tenancy_expr_never_for_anon(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(never_true_for_anon),
	};
	int			rc = cmocka_run_group_tests(tests, NULL, NULL);

	pg_query_exit();
	return rc;
}
