/*
 * test_endsession: the parent's side of IPC_END_SESSION
 * (daemon/parent/endsession.h): the body parsed and bounded (no pid 0, none
 * past INT32_MAX, no trailing bytes), and a pid killed only when the
 * parent's table says it is one of its live sessions: a process that is
 * not one (a live child of ours all the same) is left running.
 */
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "parent/endsession.h"
#include "sluice/buf.h"
#include "sluice/error.h"
#include "suite_run.h"

/* The parent's table, as far as end_session_kill() sees it: one pid. */
static int
table_has(void *arg, pid_t pid)
{
	return pid == *(pid_t *)arg;
}

/* A child that waits to be killed. */
static pid_t
sleeper(void)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static struct sbuf *
body(uint32_t pid, const char *reason, int trailing)
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put_u32(b, pid), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, reason), 0);
	if (trailing)
		ck_assert_int_eq(sbuf_put_u8(b, 0), 0);
	return b;
}

/* 0 when pid is running (not yet reaped, not a zombie). */
static int
running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0 ? 0 : -1;
}

START_TEST(parse_ok)
{
	struct sbuf *b = body(1234, "a reason", 0);
	char *reason = NULL;
	pid_t pid = 0;

	ck_assert_int_eq(end_session_parse(b, &pid, &reason), 0);
	ck_assert_int_eq(pid, 1234);
	ck_assert_str_eq(reason, "a reason");
	free(reason);
	sbuf_free(b);
}
END_TEST

/* pid 0 (our process group), one past INT32_MAX (-1 once a pid_t: every
 * process), trailing bytes: refused before any lookup. */
START_TEST(parse_refused)
{
	const uint32_t bad[] = { 0, (uint32_t)INT32_MAX + 1, UINT32_MAX };
	struct sbuf *b;
	char *reason = NULL;
	pid_t pid = 0;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = body(bad[i], "x", 0);
		ck_assert_int_eq(end_session_parse(b, &pid, &reason),
		    SLUICE_EPROTO);
		ck_assert_ptr_null(reason);
		sbuf_free(b);
	}
	b = body(1234, "x", 1);
	ck_assert_int_eq(end_session_parse(b, &pid, &reason), SLUICE_EPROTO);
	ck_assert_ptr_null(reason);
	sbuf_free(b);
}
END_TEST

/* A live child of ours that is not in the session table: refused, and
 * still running; then the session in the table: killed by SIGKILL. */
START_TEST(kill_only_sessions)
{
	pid_t other = sleeper(), session = sleeper();
	int status = 0;

	ck_assert_int_eq(end_session_kill(other, "hostile", table_has,
	    &session), SLUICE_EDENIED);
	ck_assert_int_eq(end_session_kill(0, "hostile", table_has, &session),
	    SLUICE_EDENIED);
	ck_assert_int_eq(end_session_kill(-1, "hostile", table_has, &session),
	    SLUICE_EDENIED);
	ck_assert_int_eq(running(other), 0);
	ck_assert_int_eq(end_session_kill(session, "hostile", table_has,
	    &session), 0);
	ck_assert_int_eq(waitpid(session, &status, 0), session);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(running(other), 0);
	ck_assert_int_eq(kill(other, SIGKILL), 0);
	ck_assert_int_eq(waitpid(other, NULL, 0), other);
}
END_TEST

static Suite *
endsession_suite(void)
{
	Suite *s = suite_create("endsession");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_ok);
	tcase_add_test(tc, parse_refused);
	tcase_add_test(tc, kill_only_sessions);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(endsession_suite());
}
