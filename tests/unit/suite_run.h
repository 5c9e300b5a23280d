/*
 * suite_run.h: how every unit test's main() ends (header-only, included by
 * the test_*.c): the suite run in Check's default fork mode, the exit
 * status EXIT_SUCCESS only when no test failed.
 */
#ifndef SLUICE_TEST_SUITE_RUN_H
#define SLUICE_TEST_SUITE_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int
suite_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
