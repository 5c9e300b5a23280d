/*
 * lying_session.h: a real engine (engine_main() forked over a data
 * directory made by `sluiced init`, its control socket held by the test)
 * and what a test needs to speak to it as a session broken into: key pairs,
 * the login request a client signs, IPC_NEW_SESSION, IPC_HOSTSIGN and
 * IPC_AUTH. For the lying-session suites (included by their test_*.c, not a
 * module of its own).
 *
 * Setup comes in three steps, so that a suite can do its own part between
 * them (a fake clock before the config is loaded, a policy changed before
 * the engine starts): lying_init(), lying_config(), engine_start().
 * teardown() kills the engine if it still runs and removes the directory.
 */
#ifndef SLUICE_TEST_LYING_SESSION_H
#define SLUICE_TEST_LYING_SESSION_H

#include <sys/socket.h>
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
#include "sluice/sshkey.h"
#include "testutil.h"

#define PEER	"192.0.2.7:4242"

struct keypair {
	uint8_t	 pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t	 sk[crypto_sign_SECRETKEYBYTES];
	uint8_t	 blob[51];	/* string "ssh-ed25519", string pk */
	char	 fp[SSHKEY_FP_SIZE];
};

static char tmp[64], data[128];
static struct keypair admin;
static struct sluice_config cfg;
static pid_t engine = -1;
static int ctl = -1;
static uint8_t host_pk[32];	/* the host key's public half, from init */

/* ---- keys and what a client signs --------------------------------------- */

static void
keypair_make(struct keypair *k)
{
	ck_assert_int_eq(crypto_sign_keypair(k->pk, k->sk), 0);
	memcpy(k->blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(k->blob + 19, k->pk, 32);
	ck_assert_int_eq(sshkey_fingerprint(k->blob, sizeof(k->blob), k->fp), 0);
}

/* The RFC 4252 section 7 request, as a client signs it; service and method
 * as given, to make wrong ones too. */
static struct sbuf *
request_for(const uint8_t *sid, size_t sidlen, const char *user,
    const char *service, const struct keypair *k)
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert(sbuf_put_string(b, sid, sidlen) == 0 &&
	    sbuf_put_u8(b, 50) == 0 && sbuf_put_cstring(b, user) == 0 &&
	    sbuf_put_cstring(b, service) == 0 &&
	    sbuf_put_cstring(b, "publickey") == 0 && sbuf_put_u8(b, 1) == 0 &&
	    sbuf_put_cstring(b, "ssh-ed25519") == 0 &&
	    sbuf_put_string(b, k->blob, sizeof(k->blob)) == 0);
	return b;
}

/* The signature blob by key `by` over req. */
static struct sbuf *
sign_by(const struct keypair *by, const struct sbuf *req)
{
	uint8_t sig[crypto_sign_BYTES];
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(crypto_sign_detached(sig, NULL, sbuf_ptr(req),
	    sbuf_len(req), by->sk), 0);
	ck_assert(sbuf_put_cstring(b, "ssh-ed25519") == 0 &&
	    sbuf_put_string(b, sig, sizeof(sig)) == 0);
	return b;
}

/* ---- the engine ---------------------------------------------------------- */

static void
write_pub(const char *path, const struct keypair *k, const char *who)
{
	char b64[sodium_base64_ENCODED_LEN(sizeof(k->blob),
	    sodium_base64_VARIANT_ORIGINAL)], line[256];
	int n;

	sodium_bin2base64(b64, sizeof(b64), k->blob, sizeof(k->blob),
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(line, sizeof(line), "ssh-ed25519 %s %s\n", b64, who);
	ck_assert(n > 0 && (size_t)n < sizeof(line));
	ck_assert_int_eq(tu_write_file(path, line, (size_t)n), 0);
}

/* The public half `sluiced init` wrote beside the host key. */
static void
host_pk_load(void)
{
	char pub[CONFIG_PATH_MAX + 8], why[256] = "";
	struct sshkey_pub *k = NULL;

	ck_assert_int_eq(config_host_pub(&cfg, pub, sizeof(pub)), 0);
	ck_assert_msg(sshkey_pub_load(pub, &k, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(sshkey_ed25519_pk(k->blob, k->bloblen, host_pk), 0);
	sshkey_pub_free(k);
}

/* Setup's first step: the directory tmp, admin's key pair (its public half
 * in tmp/admin.pub) and the data directory `sluiced init` makes for admin. */
static void
lying_init(void)
{
	char pub[128];

	ck_assert_int_eq(sodium_init() >= 0, 1);
	(void)signal(SIGPIPE, SIG_IGN);	/* a dropped session is an error here */
	ck_assert_int_eq(tu_mkdtemp(tmp), 0);
	keypair_make(&admin);
	ck_assert_int_eq(tu_path(pub, sizeof(pub), tmp, "admin.pub"), 0);
	ck_assert_int_eq(tu_path(data, sizeof(data), tmp, "data"), 0);
	write_pub(pub, &admin, "admin");
	ck_assert_int_eq(init_run(data, "admin", pub, 0, NULL), 0);
}

/* Setup's second step: the data directory's config, into cfg, and the host
 * key's public half. */
static void
lying_config(void)
{
	char why[512] = "";

	ck_assert_msg(config_load(data, &cfg, why, sizeof(why)) == 0, "%s", why);
	host_pk_load();
}

/* Setup's last step: the engine forked with cfg, ctl the test's end of its
 * control socket. */
static void
engine_start(void)
{
	struct ipc_shared *sh;
	int sv[2];

	ck_assert_ptr_nonnull(sh = ipc_shared_create());
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_ne(engine = fork(), -1);
	if (engine == 0) {
		close(sv[0]);
		_exit(engine_main(data, &cfg, sv[1], sh, NULL, NULL));
	}
	close(sv[1]);
	ctl = sv[0];
}

/* Stops the engine (its control socket closed) and waits for it. */
static void
engine_stop(void)
{
	int st;

	if (engine <= 0)
		return;
	close(ctl);
	ctl = -1;
	ck_assert_int_eq(waitpid(engine, &st, 0), engine);
	engine = -1;
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
teardown(void)
{
	if (engine > 0) {
		(void)kill(engine, SIGKILL);
		(void)waitpid(engine, NULL, 0);
	}
	tu_rmrf(tmp);
}

/* A new session from PEER, as the parent hands one over, its process said
 * to be pid (0: none): the test's end of it. */
static int
session_new(uint32_t pid)
{
	struct sbuf *b = sbuf_new();
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert(sbuf_put_cstring(b, PEER) == 0);
	ck_assert_int_eq(sbuf_put_u32(b, pid), 0);
	ck_assert_int_eq(ipc_send(ctl, IPC_NEW_SESSION, b, sv[1]), 0);
	close(sv[1]);
	sbuf_free(b);
	return sv[0];
}

/* ---- speaking as a session ----------------------------------------------- */

/* IPC_HOSTSIGN for h: 0 when the engine signed it (the signature checked
 * against the host key), -1 when it dropped the session instead. */
static int
hostsign(int fd, const uint8_t *h, size_t n)
{
	struct sbuf *b = sbuf_new(), *rep = sbuf_new(), blob;
	const uint8_t *p, *sig;
	size_t len, siglen;
	int r;

	ck_assert(sbuf_put_string(b, h, n) == 0);
	r = ipc_call(fd, IPC_HOSTSIGN, b, -1, rep, NULL);
	if (r == 0) {
		ck_assert(sbuf_get_string_direct(rep, &p, &len) == 0 &&
		    sbuf_len(rep) == 0);
		sbuf_view(&blob, p, len);
		ck_assert(sbuf_get_string_direct(&blob, &p, &len) == 0 &&
		    len == 11 && memcmp(p, "ssh-ed25519", 11) == 0);
		ck_assert(sbuf_get_string_direct(&blob, &sig, &siglen) == 0 &&
		    siglen == crypto_sign_BYTES && sbuf_len(&blob) == 0);
		ck_assert_int_eq(crypto_sign_verify_detached(sig, h, n,
		    host_pk), 0);
	}
	sbuf_free(b);
	sbuf_free(rep);
	return r == 0 ? 0 : -1;
}

struct answer {
	uint32_t status, kind, roles;
	char	 reason[256];
};

/* IPC_AUTH as user with key k; req and sig NULL for empty strings. */
static struct answer
claim(int fd, const char *user, const struct keypair *k, uint8_t final,
    const struct sbuf *req, const struct sbuf *sig)
{
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();
	struct answer a;
	const uint8_t *p;
	size_t n;

	memset(&a, 0, sizeof(a));
	ck_assert(sbuf_put_cstring(b, user) == 0 &&
	    sbuf_put_string(b, k->blob, sizeof(k->blob)) == 0 &&
	    sbuf_put_u8(b, final) == 0 &&
	    sbuf_put_string(b, req ? sbuf_ptr(req) : NULL,
	    req ? sbuf_len(req) : 0) == 0 &&
	    sbuf_put_string(b, sig ? sbuf_ptr(sig) : NULL,
	    sig ? sbuf_len(sig) : 0) == 0);
	ck_assert_int_eq(ipc_call(fd, IPC_AUTH, b, -1, rep, NULL), 0);
	ck_assert(sbuf_get_u32(rep, &a.status) == 0 &&
	    sbuf_get_string_direct(rep, &p, &n) == 0 && n < sizeof(a.reason) &&
	    sbuf_get_u32(rep, &a.kind) == 0 && sbuf_get_u32(rep, &a.roles) == 0 &&
	    sbuf_len(rep) == 0);
	memcpy(a.reason, p, n);
	sbuf_free(b);
	sbuf_free(rep);
	return a;
}

#endif
