/*
 * test_auth_lying.c: a lying session cannot log in as staff, nor use the
 * host key for more than its key exchange. The test plays a session broken
 * into: it holds its own socketpair to a real engine (engine_main() forked
 * over a data directory made by `sluiced init`) and speaks the IPC protocol
 * itself. It knows the admin's public key, as anyone may; it has the
 * admin's private key only where a case says the client really signed.
 * Every refused claim gets no identity, no staff request through, and an
 * audit entry saying why; every refused signature request drops the
 * session, audited.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "engine/audit.h"
#include "ipc.h"
#include "sluice/clock.h"
#include "sluice/config.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "store/store.h"
#include "testutil.h"
#include "lying_session.h"
#include "suite_run.h"

/* The pid each session's IPC_NEW_SESSION gives: no process. */
#define NO_PROCESS	0u

static struct keypair mallory;
static const uint8_t SID_X[32] = { 'x', 1, 2, 3 }, SID_Y[32] = { 'y', 4, 5 };
static const uint8_t SID_Z[32] = { 'z', 6, 7 };

static void
setup(void)
{
	char fake[128];

	lying_init();
	keypair_make(&mallory);
	/* the engine's clock stands still: a re-key budget is exact */
	ck_assert_int_eq(tu_path(fake, sizeof(fake), tmp, "clock"), 0);
	ck_assert_int_eq(tu_write_file(fake, "2026-06-01T09:00:00Z\n", 21), 0);
	ck_assert_int_eq(sluice_clock_set_fake(fake), 0);
	lying_config();
	engine_start();
}

/* ---- speaking as a session ----------------------------------------------- */

/* A new session whose key exchange the engine signed: sid is its session
 * identifier. */
static int
session_with(const uint8_t sid[32])
{
	int fd = session_new(NO_PROCESS);

	ck_assert_int_eq(hostsign(fd, sid, 32), 0);
	return fd;
}

/* A final claim the engine refuses, with exactly this reason. */
static void
refused(int fd, const char *user, const struct keypair *k,
    const struct sbuf *req, const struct sbuf *sig, const char *reason)
{
	struct answer a = claim(fd, user, k, 1, req, sig);

	ck_assert_uint_eq(a.status, 1);
	ck_assert_str_eq(a.reason, reason);
	ck_assert_uint_eq(a.kind, IPC_KIND_NONE);
	ck_assert_uint_eq(a.roles, 0);
}

/* An admin command; -1 when the engine dropped the session instead. */
static int
admin_cmd(int fd, const char *line)
{
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();
	uint32_t status = 0;
	int r;

	ck_assert(sbuf_put_cstring(b, line) == 0);
	r = ipc_call(fd, IPC_ADMIN, b, -1, rep, NULL);
	if (r == 0)
		ck_assert_int_eq(sbuf_get_u32(rep, &status), 0);
	sbuf_free(b);
	sbuf_free(rep);
	return r == 0 ? (int)status : -1;
}

/* ---- what the store says afterwards -------------------------------------- */

struct logins {
	char	 text[4096];	/* "actor|subject|outcome|details\n" each */
};

static int
login_line(void *arg, const char *line, size_t len)
{
	struct logins *l = arg;
	json_t *j = json_loadb(line, len, 0, NULL);
	size_t used = strlen(l->text);
	const char *action;

	ck_assert_ptr_nonnull(j);
	action = json_string_value(json_object_get(j, "action"));
	if (strcmp(action, "login") == 0 ||
	    strcmp(action, "host key signature") == 0)
		(void)snprintf(l->text + used, sizeof(l->text) - used,
		    "%s|%s|%s|%s\n",
		    json_string_value(json_object_get(j, "actor")),
		    json_string_value(json_object_get(j, "subject")),
		    json_string_value(json_object_get(j, "outcome")),
		    json_string_value(json_object_get(j, "details")));
	json_decref(j);
	return 0;
}

/* Stops the engine; the audit's login and host key signature entries, and
 * whether mallory is anyone in the store. */
static void
store_after(struct logins *l, int *mallory_exists)
{
	struct store *st = NULL;
	struct identity id;
	char why[256] = "";

	engine_stop();
	memset(l, 0, sizeof(*l));
	ck_assert_msg(store_open(cfg.store_path, &st, why, sizeof(why)) == 0,
	    "%s", why);
	ck_assert_int_eq(audit_export_each(st, 0, login_line, l), 0);
	*mallory_exists = identity_by_user(st, "mallory", &id) == 0;
	store_close(st);
}

static void
expect_logins(const char *want)
{
	struct logins l;
	int mallory_exists;

	store_after(&l, &mallory_exists);
	ck_assert_str_eq(l.text, want);
	ck_assert_int_eq(mallory_exists, 0);
}

/* "admin|<fp>|refused|from PEER: <why>\n" */
static void
line_of(char *out, size_t n, const char *user, const struct keypair *k,
    const char *outcome, const char *details)
{
	int w = snprintf(out, n, "%s|%s|%s|from " PEER "%s\n", user, k->fp,
	    outcome, details);

	ck_assert(w > 0 && (size_t)w < n);
}

#define STAFF_ADD "staff add mallory --role admin,operator,approver,auditor"

/* ---- the cases ----------------------------------------------------------- */

/* A final claim for admin with admin's key, on a connection of its own:
 * refused with exactly reason, and no staff request through. */
static const struct refusal {
	const struct keypair *signer;	/* of SID_X's request; NULL: none */
	int		 flip;		/* one bit of the signature flipped */
	int		 kex;		/* the engine signed the key exchange */
	int		 audit;		/* the login's audit entry checked */
	const char	*reason;
} refusals[] = {
	/* no request signed, no signature */
	{ NULL, 0, 1, 1, "login proof refused: no signature" },
	/* the admin's signature with one bit flipped: made up, not the
	 * admin's */
	{ &admin, 1, 1, 1,
	    "login proof refused: ssh-ed25519 signature does not verify" },
	/* mallory's own key signs a request naming admin and admin's key:
	 * the signature is not by the key claimed */
	{ &mallory, 0, 1, 0,
	    "login proof refused: ssh-ed25519 signature does not verify" },
	/* a genuine login on a connection whose key exchange nobody signed:
	 * the session chose the identifier, which it may not */
	{ &admin, 0, 0, 1, "login proof refused: no key exchange was signed "
	    "for this connection" },
};

START_TEST(test_refused)
{
	const struct refusal *c = &refusals[_i];
	struct sbuf *req = NULL, *sig = NULL;
	char details[256], want[512];
	int fd;

	if (c->signer != NULL) {
		req = request_for(SID_X, 32, "admin", "ssh-connection", &admin);
		sig = sign_by(c->signer, req);
	}
	if (c->flip)
		((uint8_t *)(uintptr_t)sbuf_ptr(sig))[sbuf_len(sig) - 1] ^= 1;
	fd = c->kex ? session_with(SID_X) : session_new(NO_PROCESS);
	refused(fd, "admin", &admin, req, sig, c->reason);
	ck_assert_int_eq(admin_cmd(fd, STAFF_ADD), -1);
	close(fd);
	if (c->audit) {
		ck_assert_int_lt(snprintf(details, sizeof(details), ": %s",
		    c->reason), (int)sizeof(details));
		line_of(want, sizeof(want), "admin", &admin, "refused", details);
		expect_logins(want);
	}
	sbuf_free(req);
	sbuf_free(sig);
}
END_TEST

/* Genuine signatures by the admin's key, but for another request than the
 * one claimed: another user, another key, another service. */
START_TEST(test_signed_for_another_request)
{
	struct sbuf *r1 = request_for(SID_X, 32, "root", "ssh-connection",
	    &admin);
	struct sbuf *r2 = request_for(SID_X, 32, "admin", "ssh-connection",
	    &mallory);
	struct sbuf *r3 = request_for(SID_X, 32, "admin", "ssh-userauth",
	    &admin);
	struct sbuf *s1 = sign_by(&admin, r1), *s2 = sign_by(&admin, r2);
	struct sbuf *s3 = sign_by(&admin, r3);
	int fd = session_with(SID_X);

	refused(fd, "admin", &admin, r1, s1,
	    "login proof refused: the signed request is for another user");
	refused(fd, "admin", &admin, r2, s2,
	    "login proof refused: the signed request is for another key");
	refused(fd, "admin", &admin, r3, s3,
	    "login proof refused: malformed signed request");
	ck_assert_int_eq(admin_cmd(fd, STAFF_ADD), -1);
	close(fd);
	sbuf_free(r1);
	sbuf_free(r2);
	sbuf_free(r3);
	sbuf_free(s1);
	sbuf_free(s2);
	sbuf_free(s3);
}
END_TEST

/* The real thing: the engine signed the key exchange, the admin's client
 * signed the login for it; the engine accepts, and the admin's commands
 * run. */
START_TEST(test_genuine_login)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req);
	int fd = session_with(SID_X);
	struct answer a = claim(fd, "admin", &admin, 1, req, sig);
	char want[512];

	ck_assert_uint_eq(a.status, 0);
	ck_assert_str_eq(a.reason, "");
	ck_assert_uint_eq(a.kind, IPC_KIND_STAFF);
	ck_assert_uint_eq(a.roles, ROLE_ADMIN);
	ck_assert_int_eq(admin_cmd(fd, "staff list"), 0);
	close(fd);
	line_of(want, sizeof(want), "admin", &admin, "ok", " as staff");
	expect_logins(want);
	sbuf_free(req);
	sbuf_free(sig);
}
END_TEST

/* The session identifier is the first hash the engine signed for the
 * connection: the admin's genuine signature made for another identifier
 * is refused on it (before and after a refused login); one for it is
 * accepted. */
START_TEST(test_session_id_pinned)
{
	struct sbuf *rm = request_for(SID_X, 32, "admin", "ssh-connection",
	    &mallory);
	struct sbuf *ry = request_for(SID_Y, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *rx = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sm = sign_by(&mallory, rm), *sy = sign_by(&admin, ry);
	struct sbuf *sx = sign_by(&admin, rx);
	int fd = session_with(SID_X);

	refused(fd, "admin", &admin, ry, sy, "login proof refused: its session "
	    "identifier is not the one this connection's key exchange signed");
	refused(fd, "admin", &mallory, rm, sm, "key is not registered");
	refused(fd, "admin", &admin, ry, sy, "login proof refused: its session "
	    "identifier is not the one this connection's key exchange signed");
	ck_assert_uint_eq(claim(fd, "admin", &admin, 1, rx, sx).status, 0);
	close(fd);
	sbuf_free(rm);
	sbuf_free(ry);
	sbuf_free(rx);
	sbuf_free(sm);
	sbuf_free(sy);
	sbuf_free(sx);
}
END_TEST

/* A genuine login replayed on another connection (a signature kept by a
 * session broken into): its identifier cannot be signed there again, and
 * under any other it is refused. */
START_TEST(test_replay_on_another_connection)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req);
	int fd = session_with(SID_X), fd2, fd3;
	char want[1024];

	ck_assert_uint_eq(claim(fd, "admin", &admin, 1, req, sig).status, 0);
	fd2 = session_new(NO_PROCESS);
	ck_assert_int_eq(hostsign(fd2, SID_X, 32), -1);
	close(fd2);
	fd3 = session_with(SID_Y);
	refused(fd3, "admin", &admin, req, sig, "login proof refused: its "
	    "session identifier is not the one this connection's key "
	    "exchange signed");
	ck_assert_int_eq(admin_cmd(fd3, STAFF_ADD), -1);
	close(fd3);
	close(fd);
	line_of(want, sizeof(want), "admin", &admin, "ok", " as staff");
	(void)snprintf(want + strlen(want), sizeof(want) - strlen(want),
	    "sluiced|" PEER "|refused|an exchange hash signed before\n");
	line_of(want + strlen(want), sizeof(want) - strlen(want), "admin",
	    &admin, "refused", ": login proof refused: its session identifier "
	    "is not the one this connection's key exchange signed");
	expect_logins(want);
	sbuf_free(req);
	sbuf_free(sig);
}
END_TEST

/* What the host key signs for a lying session: one exchange hash of 32
 * bytes before the login, nothing else. A second hash before the login,
 * a hash of another length (a login request to sign is one), each drop
 * the session, audited. */
START_TEST(test_hostsign_bounds)
{
	struct sbuf *req = request_for(SID_Z, 32, "admin", "ssh-connection",
	    &admin);
	static const uint8_t h64[64] = { 'l', 'o', 'n', 'g' };
	char want[1024];
	int fd = session_with(SID_X);

	ck_assert_int_eq(hostsign(fd, SID_Y, 32), -1);
	close(fd);
	ck_assert_int_eq(hostsign(fd = session_new(NO_PROCESS), h64, 64), -1);
	close(fd);
	ck_assert_int_eq(hostsign(fd = session_new(NO_PROCESS), SID_Y, 31), -1);
	close(fd);
	ck_assert_int_eq(hostsign(fd = session_new(NO_PROCESS), sbuf_ptr(req),
	    sbuf_len(req)), -1);
	close(fd);
	(void)snprintf(want, sizeof(want),
	    "sluiced|" PEER "|refused|a second key exchange before the login\n"
	    "sluiced|" PEER "|refused|a hash of 64 bytes, not an exchange hash "
	    "of 32\n"
	    "sluiced|" PEER "|refused|a hash of 31 bytes, not an exchange hash "
	    "of 32\n"
	    "sluiced|" PEER "|refused|a hash of %zu bytes, not an exchange hash "
	    "of 32\n", sbuf_len(req));
	expect_logins(want);
	sbuf_free(req);
}
END_TEST

/* After the login, a re-key's hash is signed (never the identifier again,
 * nor one signed before); the identifier stays the first. */
START_TEST(test_rekey_after_login)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req);
	int fd = session_with(SID_X);

	ck_assert_uint_eq(claim(fd, "admin", &admin, 1, req, sig).status, 0);
	ck_assert_int_eq(hostsign(fd, SID_Y, 32), 0);
	ck_assert_int_eq(hostsign(fd, SID_Z, 32), 0);
	ck_assert_int_eq(admin_cmd(fd, "staff list"), 0);
	ck_assert_int_eq(hostsign(fd, SID_X, 32), -1);
	close(fd);
	sbuf_free(req);
	sbuf_free(sig);
}
END_TEST

/* A logged-in connection whose user's key was replaced gets no re-key
 * signed: the session is dropped, the refusal audited. */
START_TEST(test_rekey_refused_user)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req);
	char b64[128], line[256], want[1024];
	int fd = session_with(SID_X);

	ck_assert_uint_eq(claim(fd, "admin", &admin, 1, req, sig).status, 0);
	ck_assert_int_eq(hostsign(fd, SID_Y, 32), 0);
	sodium_bin2base64(b64, sizeof(b64), mallory.blob, sizeof(mallory.blob),
	    sodium_base64_VARIANT_ORIGINAL);
	(void)snprintf(line, sizeof(line), "staff key admin --key "
	    "\"ssh-ed25519 %s\"", b64);
	ck_assert_int_eq(admin_cmd(fd, line), 0);
	ck_assert_int_eq(hostsign(fd, SID_Z, 32), -1);
	close(fd);
	line_of(want, sizeof(want), "admin", &admin, "ok", " as staff");
	(void)snprintf(want + strlen(want), sizeof(want) - strlen(want),
	    "sluiced|" PEER "|refused|a re-key for a refused user: key no "
	    "longer registered to admin\n");
	expect_logins(want);
	sbuf_free(req);
	sbuf_free(sig);
}
END_TEST

#define REKEY_BURST	1024	/* engine_int.h: AUTH_REKEY_BURST */

/* With the clock standing still, a connection gets REKEY_BURST re-keys
 * signed and no more. */
START_TEST(test_rekey_budget)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req);
	uint8_t h[32] = { 'r' };
	char want[1024];
	int fd = session_with(SID_X), i;

	ck_assert_uint_eq(claim(fd, "admin", &admin, 1, req, sig).status, 0);
	for (i = 0; i < REKEY_BURST; i++) {
		h[1] = (uint8_t)(i >> 8);
		h[2] = (uint8_t)i;
		ck_assert_int_eq(hostsign(fd, h, 32), 0);
	}
	h[1] = 0xff;
	ck_assert_int_eq(hostsign(fd, h, 32), -1);
	close(fd);
	line_of(want, sizeof(want), "admin", &admin, "ok", " as staff");
	(void)snprintf(want + strlen(want), sizeof(want) - strlen(want),
	    "sluiced|" PEER "|refused|more than 1024 re-keys plus one per 1 "
	    "s\n");
	expect_logins(want);
	sbuf_free(req);
	sbuf_free(sig);
}
END_TEST

/* The probe carries no proof, and final is 0 or 1: anything else drops
 * the session. */
START_TEST(test_malformed_asks_drop)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req), *b = sbuf_new(), *rep = sbuf_new();
	uint8_t final;
	int fd;

	for (final = 0; final <= 2; final += 2) {
		fd = session_new(NO_PROCESS);
		sbuf_reset(b);
		ck_assert(sbuf_put_cstring(b, "admin") == 0 &&
		    sbuf_put_string(b, admin.blob, sizeof(admin.blob)) == 0 &&
		    sbuf_put_u8(b, final) == 0 &&
		    sbuf_put_string(b, sbuf_ptr(req), sbuf_len(req)) == 0 &&
		    sbuf_put_string(b, sbuf_ptr(sig), sbuf_len(sig)) == 0);
		ck_assert_int_ne(ipc_call(fd, IPC_AUTH, b, -1, rep, NULL), 0);
		close(fd);
	}
	sbuf_free(req);
	sbuf_free(sig);
	sbuf_free(b);
	sbuf_free(rep);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("auth_lying");
	TCase *tc = tcase_create("lying session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_refused, 0,
	    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, test_signed_for_another_request);
	tcase_add_test(tc, test_genuine_login);
	tcase_add_test(tc, test_session_id_pinned);
	tcase_add_test(tc, test_replay_on_another_connection);
	tcase_add_test(tc, test_hostsign_bounds);
	tcase_add_test(tc, test_rekey_after_login);
	tcase_add_test(tc, test_rekey_refused_user);
	tcase_add_test(tc, test_rekey_budget);
	tcase_add_test(tc, test_malformed_asks_drop);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(suite());
}
