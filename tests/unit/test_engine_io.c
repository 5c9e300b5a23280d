/*
 * test_engine_io.c: the real engine (engine_main() on a data directory made
 * by init_run(), in a child process) with this test as its parent and its
 * sessions, over the real sockets:
 *   - a session that sent 6 of the 8 bytes of a header stops nobody: another
 *     session's login (IPC_AUTH) is answered, and once the first finishes
 *     its message, so is it;
 *   - a session that sends garbage (a length over the limit, a type the
 *     engine does not know) is dropped, and the others are still served;
 *   - a session that leaves a message unfinished is dropped at the deadline
 *     (IPC_PEER_DEADLINE_MS, waited for as an event: its socket's EOF);
 *   - the engine ends cleanly when its control socket closes.
 * Every wait is for an event; the suite's timeout bounds them.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/engine.h"
#include "ipc.h"
#include "setup/init.h"
#include "sluice/config.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "testutil.h"
#include "suite_run.h"

static char top[64], dir[128];
static struct sluice_config cfg;
static uint8_t blob[51];	/* root's key, SSH wire form */
static int ctl = -1;
static pid_t engine = -1;

/* root's public key file: "ssh-ed25519 BASE64 root". */
static void
write_admin_key(const char *path)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char b64[128];
	FILE *f;

	crypto_sign_keypair(pk, sk);
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(blob + 19, pk, 32);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
	    sodium_base64_VARIANT_ORIGINAL);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "ssh-ed25519 %s root\n", b64);
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup(void)
{
	char key[160], why[256];
	int sv[2];

	ck_assert_int_eq(sodium_init() >= 0, 1);
	ck_assert_int_eq(tu_mkdtemp(top), 0);
	ck_assert_int_eq(tu_path(dir, sizeof(dir), top, "data"), 0);
	ck_assert_int_eq(tu_path(key, sizeof(key), top, "root.pub"), 0);
	write_admin_key(key);
	ck_assert_int_eq(init_run(dir, "root", key, 2222, "127.0.0.1"), 0);
	ck_assert_msg(config_load(dir, &cfg, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_ne(engine = fork(), -1);
	if (engine == 0) {
		close(sv[0]);
		_exit(engine_main(dir, &cfg, sv[1], ipc_shared_create(), NULL,
		    NULL));
	}
	close(sv[1]);
	ctl = sv[0];
}

static void
teardown(void)
{
	if (ctl != -1)
		close(ctl);
	if (engine > 0) {
		(void)kill(engine, SIGKILL);
		(void)waitpid(engine, NULL, 0);
	}
	tu_rmrf(top);
}

/* A session as the parent makes one: the engine gets one end. */
static int
new_session(const char *peer)
{
	struct sbuf *b = sbuf_new();
	int sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, peer), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0), 0);	/* no process */
	ck_assert_int_eq(ipc_send(ctl, IPC_NEW_SESSION, b, sp[0]), 0);
	close(sp[0]);
	sbuf_free(b);
	return sp[1];
}

/* IPC_AUTH's probe for root's key: accepted, staff, admin. */
static void
assert_login(int s)
{
	struct sbuf *req = sbuf_new(), *rep = sbuf_new();
	uint32_t status = 9, kind = 9, roles = 0;
	char *reason = NULL;

	ck_assert_int_eq(sbuf_put_cstring(req, "root"), 0);
	ck_assert_int_eq(sbuf_put_string(req, blob, sizeof(blob)), 0);
	ck_assert_int_eq(sbuf_put_u8(req, 0), 0);
	/* a probe: no signed request, no signature */
	ck_assert_int_eq(sbuf_put_string(req, NULL, 0), 0);
	ck_assert_int_eq(sbuf_put_string(req, NULL, 0), 0);
	ck_assert_int_eq(ipc_call(s, IPC_AUTH, req, -1, rep, NULL), 0);
	ck_assert_int_eq(sbuf_get_u32(rep, &status), 0);
	ck_assert_int_eq(sbuf_get_cstring(rep, &reason, 256), 0);
	ck_assert_int_eq(sbuf_get_u32(rep, &kind), 0);
	ck_assert_int_eq(sbuf_get_u32(rep, &roles), 0);
	ck_assert_uint_eq(sbuf_len(rep), 0);
	ck_assert_uint_eq(status, 0);
	ck_assert_str_eq(reason, "");
	ck_assert_uint_eq(kind, IPC_KIND_STAFF);
	ck_assert_uint_eq(roles, ROLE_ADMIN);
	free(reason);
	sbuf_free(req);
	sbuf_free(rep);
}

/* root's probe as raw bytes: the frame of an IPC_AUTH request. */
static size_t
login_frame(uint8_t *out)
{
	struct sbuf *b = sbuf_new();
	size_t n;

	ck_assert_int_eq(sbuf_put_cstring(b, "root"), 0);
	ck_assert_int_eq(sbuf_put_string(b, blob, sizeof(blob)), 0);
	ck_assert_int_eq(sbuf_put_u8(b, 0), 0);
	ck_assert_int_eq(sbuf_put_string(b, NULL, 0), 0);
	ck_assert_int_eq(sbuf_put_string(b, NULL, 0), 0);
	n = sbuf_len(b);
	sbuf_poke_u32(out, IPC_AUTH);
	sbuf_poke_u32(out + 4, (uint32_t)n);
	memcpy(out + 8, sbuf_ptr(b), n);
	sbuf_free(b);
	return 8 + n;
}

/* The engine closed s: a read sees EOF (blocking: the event itself). */
static void
assert_dropped(int s)
{
	uint8_t c;

	ck_assert_int_eq(read(s, &c, 1), 0);
}

START_TEST(half_a_message_stops_nobody)
{
	uint8_t m[256];
	size_t n = login_frame(m);
	int a = new_session("192.0.2.1:1001"), b = new_session("192.0.2.2:1002");
	struct sbuf *rep = sbuf_new();
	uint32_t type = 0, status = 9;

	ck_assert_int_eq(write(a, m, 6), 6);
	assert_login(b);
	assert_login(b);
	/* a's message, finished, is answered as any */
	ck_assert_int_eq(write(a, m + 6, n - 6), (ssize_t)(n - 6));
	ck_assert_int_eq(ipc_recv(a, &type, rep, NULL), 0);
	ck_assert_uint_eq(type, IPC_AUTH | IPC_REPLY);
	ck_assert_int_eq(sbuf_get_u32(rep, &status), 0);
	ck_assert_uint_eq(status, 0);
	close(a);
	close(b);
	sbuf_free(rep);
}
END_TEST

START_TEST(garbage_is_dropped)
{
	const uint8_t huge[8] = { 0, 0, 0, IPC_AUTH, 0xff, 0xff, 0xff, 0xff };
	const uint8_t unknown[8] = { 0x7f, 0, 0, 0, 0, 0, 0, 0 };
	int a = new_session("192.0.2.1:1001"), b = new_session("192.0.2.2:1002");
	int c = new_session("192.0.2.3:1003");

	ck_assert_int_eq(write(a, huge, sizeof(huge)), 8);
	ck_assert_int_eq(write(c, unknown, sizeof(unknown)), 8);
	assert_dropped(a);
	assert_dropped(c);
	assert_login(b);
	close(a);
	close(b);
	close(c);
}
END_TEST

START_TEST(unfinished_message_dropped_at_the_deadline)
{
	uint8_t m[256];
	int a = new_session("192.0.2.1:1001"), b = new_session("192.0.2.2:1002");

	(void)login_frame(m);
	ck_assert_int_eq(write(a, m, 3), 3);
	assert_login(b);
	assert_dropped(a);
	assert_login(b);
	close(a);
	close(b);
}
END_TEST

START_TEST(ends_when_the_parent_goes)
{
	int status = -1;

	assert_login(new_session("192.0.2.1:1001"));
	close(ctl);
	ctl = -1;
	ck_assert_int_eq(waitpid(engine, &status, 0), engine);
	engine = -1;
	ck_assert_int_eq(WIFEXITED(status), 1);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine_io");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, half_a_message_stops_nobody);
	tcase_add_test(tc, garbage_is_dropped);
	tcase_add_test(tc, unfinished_message_dropped_at_the_deadline);
	tcase_add_test(tc, ends_when_the_parent_goes);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
