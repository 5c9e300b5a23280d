/*
 * test_error: the words for error codes and wait statuses; a reason is
 * truncated to its buffer, never overrun, and the code comes back.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sluice/error.h"
#include "suite_run.h"

START_TEST(strerror_words)
{
	ck_assert_str_eq(sluice_strerror(SLUICE_OK), "success");
	ck_assert_str_eq(sluice_strerror(SLUICE_EDENIED), "permission denied");
	ck_assert_str_eq(sluice_strerror(SLUICE_EUSAGE), "usage error");
	ck_assert_str_eq(sluice_strerror(-99), "unknown error");
	ck_assert_str_eq(sluice_strerror(1), "unknown error");
}
END_TEST

START_TEST(why_truncates)
{
	char why[8];

	memset(why, 'x', sizeof(why));
	ck_assert_int_eq(sluice_why(why, sizeof(why), SLUICE_EFORMAT,
	    "%s %d", "malformed", 42), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "malform");
	ck_assert_int_eq(sluice_why(NULL, 0, SLUICE_EIO, "ignored"),
	    SLUICE_EIO);
}
END_TEST

/* A child that ends as told: exits with code, or is killed by sig. */
static int
child_status(int code, int sig)
{
	pid_t pid;
	int status = 0;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (sig != 0)
			(void)pause();
		_exit(code);
	}
	if (sig != 0)
		ck_assert_int_eq(kill(pid, sig), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(wait_words)
{
	char out[64], tiny[10];

	sluice_wait_words(child_status(3, 0), out, sizeof(out));
	ck_assert_str_eq(out, "exited with status 3");
	sluice_wait_words(child_status(0, 0), out, sizeof(out));
	ck_assert_str_eq(out, "exited with status 0");
	sluice_wait_words(child_status(0, SIGKILL), out, sizeof(out));
	ck_assert_str_eq(out, "killed by signal 9");
	sluice_wait_words(child_status(0, SIGKILL), tiny, sizeof(tiny));
	ck_assert_str_eq(tiny, "killed by");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error");

	tcase_add_test(tc, strerror_words);
	tcase_add_test(tc, why_truncates);
	tcase_add_test(tc, wait_words);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
