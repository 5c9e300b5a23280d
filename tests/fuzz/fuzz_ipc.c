/*
 * fuzz_ipc.c: libFuzzer target for what a session process (perhaps one
 * broken into) sends the engine: the bytes of its socket (daemon/ipc.h),
 * read by the engine's own ipc_peer and run through its request table and
 * handlers (engine.c: conn_service()) for one connection, against a real
 * engine: engine_open() over a data directory made by init_run() and set
 * up once (staff root and olivia, organisation ORG-A, recipient rita).
 *
 * Input: byte 0 says how, the rest is the stream as a session writes it,
 * headers and bodies (partial, oversized, out of turn: as they come).
 *   bits 0-1  who logs in before the stream: nobody (the stream has to),
 *             root (admin), olivia (operator, approver) or rita (recipient
 *             of ORG-A); a real final IPC_AUTH signed by that user's key.
 *             The keys are fixed, so seeds carry signed logins too.
 *   bit 2     the stream goes in small pieces, the engine run between them
 *             (messages assembled across reads); else all at once
 *   bit 3     a descriptor goes with the stream's first byte
 *   bit 4     an upload's descriptor gets FUZZ_PLAIN sealed under the file
 *             key of its OPEN answer, as a session writes it
 * Invariants, checked on every input (abort() on a breach):
 *   - answers come one per request, in order, each of its request's type;
 *   - a login is accepted (status 0 to a final IPC_AUTH) only with a proof
 *     this file verifies on its own (the RFC 4252 request of the user and
 *     key claimed, signed by that Ed25519 key), and a connection the engine
 *     holds as logged in had one, for that user: no role without a proof;
 *   - nothing but a login attempt is answered before such a login;
 *   - a descriptor sent in is never taken: nothing sent with or after it
 *     is answered; descriptors come back only with OPEN answers;
 *   - answers are well formed (statuses; an admin refusal says why in whole
 *     lines); the audit chain holds (checked every 512 inputs).
 * Per input: a new connection; the engine's memory of session identifiers
 * and its open-file ids start afresh; the data directory is put back as set
 * up after an input that changed the store (the shared generation moved, or
 * an upload was taken) and every FUZZ_RESTORE_EVERY inputs, so the store
 * neither drifts nor grows. Build and run: scripts/fuzz; ctest replays the
 * seeds, written by FUZZ_IPC_SEEDS=DIR fuzz_ipc (they need the keys);
 * FUZZ_IPC_TRACE=1 shows each answer, to see what an input reaches.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/schedule.h"
#include "ipc.h"
#include "setup/init.h"
#include "sluice/age.h"
#include "sluice/clock.h"
#include "sluice/config.h"
#include "sluice/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PEER		"192.0.2.9:50022"
#define FUZZ_NOW		"2026-03-01T12:00:00Z\n"
#define FUZZ_PLAIN		"sluice fuzz upload\n"
#define FUZZ_MAX_INPUT		(64u * 1024)
#define FUZZ_RESTORE_EVERY	4096
#define FUZZ_SPIN_MAX		1000000ul
#define FUZZ_SID		"a session identifier of 32 bytes"
#define FUZZ_HDR		8

enum who { WHO_NOBODY, WHO_ROOT, WHO_OLIVIA, WHO_RITA, WHO_N };
enum { MODE_WHO = 3, MODE_PIECES = 4, MODE_FD = 8, MODE_SEAL = 16 };
enum { SSH_FXF_READ = 1, SSH_FXF_WRITE = 2, SSH_FXF_CREAT = 8,
    SSH_FXF_TRUNC = 0x10 };

struct user {
	const char	*name;
	uint8_t		 pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t		 sk[crypto_sign_SECRETKEYBYTES];
	uint8_t		 blob[51];	/* string "ssh-ed25519", string pk */
	struct sbuf	*kex;		/* IPC_HOSTSIGN of FUZZ_SID, framed */
	struct sbuf	*auth;		/* its final IPC_AUTH, framed */
	struct sbuf	*login;		/* kex then auth: a whole login */
};

static struct user users[WHO_N] = {
	{ .name = "" }, { .name = "root" }, { .name = "olivia" },
	{ .name = "rita" },
};
static char top[128], data[160], pristine[160];
static struct sluice_config cfg;
static struct ipc_shared *sh;
static struct engine *eng;
static struct sbuf *scratch;	/* the engine's read buffer */
static int devnull = -1;	/* the descriptor a stream may carry */
static unsigned long inputs, restores;

/* The session's end of one connection. */
struct sess {
	int		 fd;
	struct conn	*c;		/* the engine's; NULL once dropped */
	int		 shut;		/* no more bytes go out */
	int		 eof;		/* the engine closed its end */
	int		 was_authed;	/* c->authed when it was dropped */
	char		 was_user[STORE_NAME_MAX];
	struct sbuf	*in;		/* answers as they come */
	struct sbuf	*msg;		/* the answer taken */
	int		 got_fd;	/* the last descriptor received; -1 */
};

/* What the stream asked and what the answers showed. */
struct track {
	const uint8_t	*req;		/* the stream as sent */
	size_t		 len;
	size_t		 next;		/* the next unanswered request */
	size_t		 fd_at;		/* where a descriptor went; SIZE_MAX */
	uint8_t		 mode;
	int		 proved;	/* a login with a proof was accepted */
	char		 user[STORE_NAME_MAX];	/* its user */
	int		 wrote;		/* an upload was opened */
	int		 dirty;		/* the store may have taken it */
};

static void fail(const char *what) __attribute__((noreturn));

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_ipc: %s\n", what);
	abort();
}

/* A macro, so the compiler sees that nothing after a breach runs. */
#define must(ok, what) do {		\
	if (!(ok))			\
		fail(what);		\
} while (0)

/* ---- the session's end of a connection --------------------------------- */

static void
sess_open(struct sess *s)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->got_fd = -1;
	must(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == 0, "socketpair");
	must(conn_add(eng, sv[1], FUZZ_PEER, 0) == 0, "conn_add");
	s->c = eng->conns[eng->nconns - 1];
	s->fd = sv[0];
	must((s->in = sbuf_new()) != NULL && (s->msg = sbuf_new()) != NULL,
	    "out of memory");
}

static void
sess_close(struct sess *s)
{
	if (s->got_fd != -1)
		close(s->got_fd);
	close(s->fd);
	sbuf_free(s->in);
	sbuf_free(s->msg);
}

/* The engine's turn: what poll would say of c, and c dropped as the loop
 * drops it. */
static void
engine_step(struct sess *s)
{
	size_t i;

	if (s->c == NULL || conn_service(eng, s->c, POLLIN, scratch) == 0)
		return;
	for (i = 0; eng->conns[i] != s->c; i++)
		;
	s->was_authed = s->c->authed;
	(void)snprintf(s->was_user, sizeof(s->was_user), "%s", s->c->who.user);
	conn_drop(eng, i, NULL);
	s->c = NULL;
}

/* Up to n bytes out, with the descriptor when with_fd: how many went (all
 * of them once the engine is gone). */
static size_t
sess_send(struct sess *s, const uint8_t *p, size_t n, int with_fd)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } cb;
	struct msghdr msg;
	struct iovec iov = { (void *)(uintptr_t)p, n };
	ssize_t k;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (with_fd) {
		memset(&cb, 0, sizeof(cb));
		msg.msg_control = cb.b;
		msg.msg_controllen = sizeof(cb.b);
		cb.h.cmsg_level = SOL_SOCKET;
		cb.h.cmsg_type = SCM_RIGHTS;
		cb.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&cb.h), &devnull, sizeof(int));
	}
	k = sendmsg(s->fd, &msg, MSG_NOSIGNAL);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	return k < 0 ? n : (size_t)k;
}

/* A descriptor received: kept as the last one. */
static void
sess_take_fds(struct sess *s, struct msghdr *msg)
{
	struct cmsghdr *h;
	int fd;

	for (h = CMSG_FIRSTHDR(msg); h != NULL; h = CMSG_NXTHDR(msg, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
		    h->cmsg_len != CMSG_LEN(sizeof(int)))
			fail("a control message that is not one descriptor");
		memcpy(&fd, CMSG_DATA(h), sizeof(fd));
		if (s->got_fd != -1)
			close(s->got_fd);
		s->got_fd = fd;
	}
}

/* What the socket holds into s->in: 0 when nothing more is there now. */
static int
sess_recv(struct sess *s)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(4 * sizeof(int))]; } cb;
	static uint8_t buf[64 * 1024];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	ssize_t k;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cb.b;
	msg.msg_controllen = sizeof(cb.b);
	k = recvmsg(s->fd, &msg, MSG_CMSG_CLOEXEC);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (k <= 0) {
		s->eof = 1;
		return 0;
	}
	if (msg.msg_flags & MSG_CTRUNC)
		fail("more descriptors than one answer carries");
	sess_take_fds(s, &msg);
	must(sbuf_put(s->in, buf, (size_t)k) == 0, "out of memory");
	return 1;
}

/* The next whole answer from s->in into s->msg: 1 and its type, else 0. */
static int
sess_answer(struct sess *s, uint32_t *type)
{
	const uint8_t *p = sbuf_ptr(s->in);
	size_t n = sbuf_len(s->in), len;

	if (n < FUZZ_HDR)
		return 0;
	len = sbuf_peek_u32(p + 4);
	if (len > IPC_MAX_BODY)
		fail("an answer longer than IPC_MAX_BODY");
	if (n - FUZZ_HDR < len)
		return 0;
	*type = sbuf_peek_u32(p);
	sbuf_reset(s->msg);
	must(sbuf_put(s->msg, p + FUZZ_HDR, len) == 0 &&
	    sbuf_consume(s->in, FUZZ_HDR + len) == 0, "out of memory");
	return 1;
}

/* ---- the invariants ---------------------------------------------------- */

static int
get_word(struct sbuf *b, const char *want)
{
	const uint8_t *p;
	size_t n;

	return sbuf_get_string_direct(b, &p, &n) == 0 && n == strlen(want) &&
	    memcmp(p, want, n) == 0;
}

/* An Ed25519 key blob: its public key. */
static int
ed25519_pk(const uint8_t *blob, size_t len, const uint8_t **pk)
{
	struct sbuf b;
	size_t n;

	sbuf_view(&b, blob, len);
	return get_word(&b, "ssh-ed25519") &&
	    sbuf_get_string_direct(&b, pk, &n) == 0 && n == 32 &&
	    sbuf_len(&b) == 0;
}

/* The RFC 4252 section 7 request signed: for user and blob? */
static int
signed_for(const uint8_t *sd, size_t sdlen, const uint8_t *user,
    size_t ulen, const uint8_t *blob, size_t blen)
{
	const uint8_t *sid, *u, *k;
	size_t sidlen, n, klen;
	uint8_t type, yes;
	struct sbuf b;

	sbuf_view(&b, sd, sdlen);
	return sbuf_get_string_direct(&b, &sid, &sidlen) == 0 &&
	    sbuf_get_u8(&b, &type) == 0 && type == 50 &&
	    sbuf_get_string_direct(&b, &u, &n) == 0 && n == ulen &&
	    memcmp(u, user, n) == 0 && get_word(&b, "ssh-connection") &&
	    get_word(&b, "publickey") && sbuf_get_u8(&b, &yes) == 0 &&
	    yes == 1 && get_word(&b, "ssh-ed25519") &&
	    sbuf_get_string_direct(&b, &k, &klen) == 0 && klen == blen &&
	    memcmp(k, blob, klen) == 0 && sbuf_len(&b) == 0;
}

/* This file's own check of a final IPC_AUTH's proof (ipc.h): 1 when it
 * holds. The name of the user it proves goes to user. */
static int
login_proved(const uint8_t *body, size_t len, char *user, size_t userlen)
{
	const uint8_t *u, *blob, *sd, *sig, *pk, *s;
	size_t ulen, blen, sdlen, siglen, slen;
	uint8_t final;
	struct sbuf b, g;

	sbuf_view(&b, body, len);
	if (sbuf_get_string_direct(&b, &u, &ulen) != 0 ||
	    sbuf_get_string_direct(&b, &blob, &blen) != 0 ||
	    sbuf_get_u8(&b, &final) != 0 ||
	    sbuf_get_string_direct(&b, &sd, &sdlen) != 0 ||
	    sbuf_get_string_direct(&b, &sig, &siglen) != 0 ||
	    final != 1 || !ed25519_pk(blob, blen, &pk) ||
	    !signed_for(sd, sdlen, u, ulen, blob, blen) || ulen >= userlen)
		return 0;
	sbuf_view(&g, sig, siglen);
	if (!get_word(&g, "ssh-ed25519") ||
	    sbuf_get_string_direct(&g, &s, &slen) != 0 || slen != 64 ||
	    sbuf_len(&g) != 0 ||
	    crypto_sign_verify_detached(s, sd, sdlen, pk) != 0)
		return 0;
	memcpy(user, u, ulen);
	user[ulen] = '\0';
	return 1;
}

/* The request at t->next: its type, body and where it began; 0 when the
 * stream holds no whole one there. */
static int
next_request(struct track *t, uint32_t *type, struct sbuf *body, size_t *at)
{
	size_t len;

	if (t->len - t->next < FUZZ_HDR)
		return 0;
	len = sbuf_peek_u32(t->req + t->next + 4);
	if (t->len - t->next - FUZZ_HDR < len)
		return 0;
	*type = sbuf_peek_u32(t->req + t->next);
	*at = t->next;
	sbuf_view(body, t->req + t->next + FUZZ_HDR, len);
	t->next += FUZZ_HDR + len;
	return 1;
}

/* A final IPC_AUTH (the byte after its two strings), not a probe? */
static int
auth_final(const uint8_t *body, size_t len)
{
	const uint8_t *p;
	size_t n;
	uint8_t final;
	struct sbuf b;

	sbuf_view(&b, body, len);
	return sbuf_get_string_direct(&b, &p, &n) == 0 &&
	    sbuf_get_string_direct(&b, &p, &n) == 0 &&
	    sbuf_get_u8(&b, &final) == 0 && final != 0;
}

/* IPC_AUTH's answer: u32 status, string reason, u32 kind, u32 roles. An
 * accepted final ask must carry a proof. */
static void
check_auth(struct track *t, const struct sbuf *req, struct sbuf *rep)
{
	const uint8_t *reason;
	uint32_t status, kind, roles;
	size_t n;

	must(sbuf_get_u32(rep, &status) == 0 &&
	    sbuf_get_string_direct(rep, &reason, &n) == 0 &&
	    sbuf_get_u32(rep, &kind) == 0 && sbuf_get_u32(rep, &roles) == 0 &&
	    sbuf_len(rep) == 0 && status <= 1, "a malformed AUTH answer");
	if (status == 1) {
		must(kind == IPC_KIND_NONE && roles == 0,
		    "a refused login given a role");
		return;
	}
	must(kind == IPC_KIND_STAFF || kind == IPC_KIND_RECIPIENT,
	    "an accepted login of no kind");
	if (!auth_final(sbuf_ptr(req), sbuf_len(req)))
		return;		/* a probe */
	must(!t->proved, "a second login accepted on one connection");
	must(login_proved(sbuf_ptr(req), sbuf_len(req), t->user,
	    sizeof(t->user)), "a login accepted without a proof");
	t->proved = 1;
}

/* IPC_HOSTSIGN's answer: string (string "ssh-ed25519", string signature
 * of 64 bytes), nothing after. */
static void
check_hostsign(struct sbuf *rep)
{
	const uint8_t *p, *sig;
	size_t n, siglen;
	struct sbuf b;

	must(sbuf_get_string_direct(rep, &p, &n) == 0 && sbuf_len(rep) == 0,
	    "a malformed HOSTSIGN answer");
	sbuf_view(&b, p, n);
	must(get_word(&b, "ssh-ed25519") &&
	    sbuf_get_string_direct(&b, &sig, &siglen) == 0 && siglen == 64 &&
	    sbuf_len(&b) == 0, "a HOSTSIGN answer that is no signature blob");
}

/* IPC_ADMIN's answer: u32 exit status, string stdout, string stderr; a
 * refusal says why, in whole lines. */
static void
check_admin(struct sbuf *rep)
{
	const uint8_t *out, *err;
	size_t on, en;
	uint32_t status;

	must(sbuf_get_u32(rep, &status) == 0 &&
	    sbuf_get_string_direct(rep, &out, &on) == 0 &&
	    sbuf_get_string_direct(rep, &err, &en) == 0 && sbuf_len(rep) == 0 &&
	    status <= 2, "a malformed ADMIN answer");
	must(status == 0 || (en > 0 && err[en - 1] == '\n'),
	    "an admin refusal that does not say why in whole lines");
}

/* The session's part of an upload: plain sealed into fd under key. */
static void
seal_into(int fd, const uint8_t *key, const char *plain)
{
	struct age_seal *sl = NULL;

	must(age_seal_new(key, fd, &sl) == 0 &&
	    age_seal_update(sl, (const uint8_t *)plain, strlen(plain)) == 0 &&
	    age_seal_final(sl, NULL, NULL, NULL) == 0, "cannot seal an upload");
	age_seal_free(sl);
}

/* OPEN's answer past status and message: u64 open_id, u32 flags, u64 size,
 * string prefix, u64 fd_offset, and a file key for a sealed one; a
 * descriptor unless the prefix is the whole file. */
static void
check_open(struct sess *s, struct track *t, struct sbuf *rep)
{
	const uint8_t *prefix, *key = NULL;
	uint64_t id, size, fdoff;
	uint32_t flags;
	size_t n, keylen = 16;
	int seal;

	must(sbuf_get_u64(rep, &id) == 0 && sbuf_get_u32(rep, &flags) == 0 &&
	    sbuf_get_u64(rep, &size) == 0 &&
	    sbuf_get_string_direct(rep, &prefix, &n) == 0 &&
	    sbuf_get_u64(rep, &fdoff) == 0 && flags < 8,
	    "a malformed OPEN answer");
	seal = (flags & IPC_OPEN_SEAL) != 0;
	must(!seal || (sbuf_get_string_direct(rep, &key, &keylen) == 0 &&
	    keylen == 16), "a sealed OPEN without its file key");
	must(sbuf_len(rep) == 0, "bytes after an OPEN answer");
	must(s->got_fd != -1 ||
	    (size == n && !(flags & IPC_OPEN_WRITE) && !seal),
	    "an OPEN answer without the descriptor it needs");
	if ((flags & IPC_OPEN_WRITE) != 0)
		t->wrote = 1;	/* its CLOSE may keep something */
	if ((t->mode & MODE_SEAL) && (flags & IPC_OPEN_WRITE) && seal)
		seal_into(s->got_fd, key, FUZZ_PLAIN);
}

static int
sftp_status(uint32_t st)
{
	return st <= FX_FAILURE || st == FX_OP_UNSUPPORTED;
}

/* STAT, READDIR, OPEN, GATE, CLOSE, REMOVE: u32 status, string message,
 * then what each has. */
static void
check_file(struct sess *s, struct track *t, uint32_t type, struct sbuf *rep)
{
	const uint8_t *msg;
	uint32_t status;
	size_t n;

	must(sbuf_get_u32(rep, &status) == 0 &&
	    sbuf_get_string_direct(rep, &msg, &n) == 0 && sftp_status(status),
	    "a malformed answer to a file request");
	if (type == IPC_GATE)
		must((status == FX_OK || status == FX_PERMISSION_DENIED) &&
		    sbuf_len(rep) == 0, "a GATE answer neither allow nor deny");
	if (type == IPC_OPEN && status == FX_OK)
		check_open(s, t, rep);
	if ((type == IPC_CLOSE && t->wrote) ||
	    (type == IPC_REMOVE && status == FX_OK))
		t->dirty = 1;
}

/* IPC_ROOM's answer: u32 status, string message, u64 end granted. */
static void
check_room(struct sbuf *rep)
{
	const uint8_t *msg;
	uint32_t status;
	uint64_t end;
	size_t n;

	must(sbuf_get_u32(rep, &status) == 0 &&
	    sbuf_get_string_direct(rep, &msg, &n) == 0 && sftp_status(status) &&
	    sbuf_get_u64(rep, &end) == 0 && sbuf_len(rep) == 0,
	    "a malformed ROOM answer");
}

/* FUZZ_IPC_TRACE=1: each answer's type and first bytes on stderr, to see
 * what a seed reaches. */
static void
trace(uint32_t type, const struct sbuf *m)
{
	static int on = -1;
	size_t i, n = sbuf_len(m) < 48 ? sbuf_len(m) : 48;

	if (on == -1)
		on = getenv("FUZZ_IPC_TRACE") != NULL;
	if (!on)
		return;
	fprintf(stderr, "answer %#x, %zu bytes:", type, sbuf_len(m));
	for (i = 0; i < n; i++)
		fprintf(stderr, (sbuf_ptr(m)[i] >= 32 && sbuf_ptr(m)[i] < 127) ?
		    "%c" : "\\x%02x", sbuf_ptr(m)[i]);
	fprintf(stderr, "\n");
}

/* One answer from the engine, matched with its request. */
static void
answer(struct sess *s, struct track *t, uint32_t type)
{
	struct sbuf req;
	uint32_t rtype;
	size_t at;

	trace(type, s->msg);
	if (type == IPC_ADMIN_DATA) {
		must(t->len - t->next >= FUZZ_HDR &&
		    sbuf_peek_u32(t->req + t->next) == IPC_ADMIN,
		    "a piece of an answer to no admin request");
		return;
	}
	must(next_request(t, &rtype, &req, &at), "an answer to no request");
	must(type == (rtype | IPC_REPLY), "an answer of another type");
	must(at < t->fd_at, "a request answered that came with or after a "
	    "descriptor");
	must(s->got_fd == -1 || rtype == IPC_OPEN,
	    "a descriptor with an answer other than OPEN's");
	must(t->proved || rtype == IPC_AUTH || rtype == IPC_AUTHFAIL ||
	    rtype == IPC_HOSTSIGN, "a request answered before a proved login");
	if (rtype == IPC_AUTH)
		check_auth(t, &req, s->msg);
	else if (rtype == IPC_AUTHFAIL)
		must(sbuf_get_u32(s->msg, &rtype) == 0 && rtype == 0 &&
		    sbuf_len(s->msg) == 0, "a malformed AUTHFAIL answer");
	else if (rtype == IPC_ADMIN)
		check_admin(s->msg);
	else if (rtype == IPC_HOSTSIGN)
		check_hostsign(s->msg);
	else if (rtype == IPC_ROOM)
		check_room(s->msg);
	else if (rtype >= IPC_STAT && rtype <= IPC_REMOVE)
		check_file(s, t, rtype, s->msg);
	else
		fail("an answer to a request the table does not have");
	if (s->got_fd != -1)
		close(s->got_fd);
	s->got_fd = -1;
}

/* ---- one input --------------------------------------------------------- */

/* Everything the socket holds now, each whole answer checked. */
static void
answers(struct sess *s, struct track *t)
{
	uint32_t type;

	while (sess_recv(s))
		;
	while (sess_answer(s, &type))
		answer(s, t, type);
}

/* How much goes out next from off: everything, or in pieces of a fixed
 * cycle; a piece never runs past where the descriptor is to go. */
static size_t
piece(const struct track *t, size_t off, size_t k, size_t fd_plan)
{
	static const size_t sizes[] = { 1, 7, 2, 13, 4, 64, 3, 8, 5, 1024 };
	size_t n = t->len - off, step = sizes[k % (sizeof(sizes) /
	    sizeof(sizes[0]))];

	if ((t->mode & MODE_PIECES) && step < n)
		n = step;
	if (off < fd_plan && fd_plan - off < n)
		n = fd_plan - off;
	return n;
}

/* The stream out, the engine run between the pieces, until the engine has
 * dropped the connection (at the stream's end at the latest) and every
 * answer is in. */
static void
pump(struct sess *s, struct track *t, size_t fd_plan)
{
	size_t off = 0, k = 0, sent;
	unsigned long spins;

	for (spins = 0; s->c != NULL || !s->eof; spins++) {
		must(spins < FUZZ_SPIN_MAX, "the engine makes no progress");
		if (off < t->len) {
			sent = sess_send(s, t->req + off, piece(t, off, k++,
			    fd_plan), off == fd_plan);
			if (sent > 0 && off == fd_plan)
				t->fd_at = off;
			off += sent;
		}
		if (off == t->len && !s->shut) {
			(void)shutdown(s->fd, SHUT_WR);
			s->shut = 1;
		}
		engine_step(s);
		answers(s, t);
	}
}

/* What holds at the end: a login the engine kept was proved, for its
 * user; nothing is left half answered, unless the engine dropped the
 * session (one that sends a request while an answer is still going out is
 * dropped there and then, ipc.h). */
static void
check_end(const struct sess *s, const struct track *t)
{
	must(!s->was_authed || t->proved,
	    "the engine gave a connection an identity without a proof");
	must(!s->was_authed || strcmp(s->was_user, t->user) == 0,
	    "the engine gave a connection another user than the one proved");
	must(sbuf_len(s->in) == 0 || s->c == NULL, "half an answer at the end");
}

/* The exchange hashes the engine signed and the session identifiers that
 * logged in: each login here signs FUZZ_SID again. */
static void
forget_kex(void)
{
	auth_ring_free(eng->seen);
	auth_ring_free(eng->signed_kex);
	eng->seen = NULL;
	eng->signed_kex = NULL;
}

/* After each connection, the engine's memory of it, which the next one
 * must not inherit so that an input runs alike every time: the session
 * identifiers that logged in (a seed's login would be a replay the second
 * time) and the open-file ids (a seed's GATE and CLOSE name ids from 1).
 * Freed here, not at the next input, so that an input's allocations
 * balance and libFuzzer looks for leaks only where there may be one. */
static void
fresh_connection_state(void)
{
	forget_kex();
	eng->next_open_id = 0;
}

/* The login (mode bits 0-1), then the stream: in buf, its length. */
static size_t
stream_make(uint8_t *buf, size_t size, uint8_t mode, const uint8_t *p,
    size_t n, size_t *prelude)
{
	const struct sbuf *login = users[mode & MODE_WHO].login;

	*prelude = login == NULL ? 0 : sbuf_len(login);
	must(*prelude + n <= size, "an input too long for the stream");
	if (*prelude > 0)
		memcpy(buf, sbuf_ptr(login), *prelude);
	memcpy(buf + *prelude, p, n);
	return *prelude + n;
}

/* One input; 1 when the store may have changed. */
static int
run_input(uint8_t mode, const uint8_t *p, size_t n)
{
	static uint8_t buf[FUZZ_MAX_INPUT + 1024];
	struct track t;
	struct sess s;
	size_t prelude;

	memset(&t, 0, sizeof(t));
	t.mode = mode;
	t.req = buf;
	t.len = stream_make(buf, sizeof(buf), mode, p, n, &prelude);
	t.fd_at = SIZE_MAX;
	sess_open(&s);
	pump(&s, &t, (mode & MODE_FD) ? prelude : SIZE_MAX);
	check_end(&s, &t);
	sess_close(&s);
	fresh_connection_state();
	return t.dirty;
}

/* ---- messages, for the logins, the setup and the seeds ----------------- */

static void
put_ok(int r)
{
	must(r == 0, "out of memory");
}

/* body framed as a message of type, appended to out. */
static void
frame(struct sbuf *out, uint32_t type, const struct sbuf *body)
{
	put_ok(sbuf_put_u32(out, type));
	put_ok(sbuf_put_u32(out, (uint32_t)sbuf_len(body)));
	put_ok(sbuf_put(out, sbuf_ptr(body), sbuf_len(body)));
}

/* What u's client signs (RFC 4252 section 7) for user, and its signature
 * blob. */
static void
login_proof(const struct user *u, const char *user, struct sbuf *sd,
    struct sbuf *sig)
{
	uint8_t s[crypto_sign_BYTES];

	put_ok(sbuf_put_string(sd, FUZZ_SID, 32));
	put_ok(sbuf_put_u8(sd, 50));
	put_ok(sbuf_put_cstring(sd, user));
	put_ok(sbuf_put_cstring(sd, "ssh-connection"));
	put_ok(sbuf_put_cstring(sd, "publickey"));
	put_ok(sbuf_put_u8(sd, 1));
	put_ok(sbuf_put_cstring(sd, "ssh-ed25519"));
	put_ok(sbuf_put_string(sd, u->blob, sizeof(u->blob)));
	crypto_sign_detached(s, NULL, sbuf_ptr(sd), sbuf_len(sd), u->sk);
	put_ok(sbuf_put_cstring(sig, "ssh-ed25519"));
	put_ok(sbuf_put_string(sig, s, sizeof(s)));
}

/* IPC_AUTH as user with u's key: a probe, or (final) the signed login. */
static void
msg_auth(struct sbuf *out, const struct user *u, const char *user, int final)
{
	struct sbuf *b = sbuf_new(), *sd = sbuf_new(), *sig = sbuf_new();

	must(b != NULL && sd != NULL && sig != NULL, "out of memory");
	if (final)
		login_proof(u, user, sd, sig);
	put_ok(sbuf_put_cstring(b, user));
	put_ok(sbuf_put_string(b, u->blob, sizeof(u->blob)));
	put_ok(sbuf_put_u8(b, (uint8_t)final));
	put_ok(sbuf_put_string(b, sbuf_ptr(sd), sbuf_len(sd)));
	put_ok(sbuf_put_string(b, sbuf_ptr(sig), sbuf_len(sig)));
	frame(out, IPC_AUTH, b);
	sbuf_free(b);
	sbuf_free(sd);
	sbuf_free(sig);
}

/* IPC_HOSTSIGN of FUZZ_SID: the key exchange whose hash the logins sign
 * (the engine pins the first hash it signs as the session identifier). */
static void
msg_hostsign(struct sbuf *out)
{
	struct sbuf *b = sbuf_new();

	must(b != NULL, "out of memory");
	put_ok(sbuf_put_string(b, FUZZ_SID, 32));
	frame(out, IPC_HOSTSIGN, b);
	sbuf_free(b);
}

/* A request whose body is one string: STAT, READDIR, REMOVE, ADMIN. */
static void
msg_text(struct sbuf *out, uint32_t type, const char *text)
{
	struct sbuf *b = sbuf_new();

	must(b != NULL, "out of memory");
	put_ok(sbuf_put_cstring(b, text));
	frame(out, type, b);
	sbuf_free(b);
}

static void
msg_open(struct sbuf *out, const char *path, uint32_t pflags)
{
	struct sbuf *b = sbuf_new();

	must(b != NULL, "out of memory");
	put_ok(sbuf_put_cstring(b, path));
	put_ok(sbuf_put_u32(b, pflags));
	put_ok(sbuf_put_u64(b, UINT64_MAX));	/* no size given */
	frame(out, IPC_OPEN, b);
	sbuf_free(b);
}

/* IPC_ROOM: a sealed upload's leave to write its plaintext up to want. */
static void
msg_room(struct sbuf *out, uint64_t id, uint64_t want)
{
	struct sbuf *b = sbuf_new();

	must(b != NULL, "out of memory");
	put_ok(sbuf_put_u64(b, id));
	put_ok(sbuf_put_u64(b, want));
	frame(out, IPC_ROOM, b);
	sbuf_free(b);
}

static void
msg_gate(struct sbuf *out, uint64_t id)
{
	struct sbuf *b = sbuf_new();

	must(b != NULL, "out of memory");
	put_ok(sbuf_put_u64(b, id));
	frame(out, IPC_GATE, b);
	sbuf_free(b);
}

/* CLOSE of a read (commit < 0), of a certificate upload (no plain), or of
 * a sealed upload of plain. */
static void
msg_close(struct sbuf *out, uint64_t id, uint64_t bytes, int commit,
    const char *plain)
{
	uint8_t sha[crypto_hash_sha256_BYTES];
	struct sbuf *b = sbuf_new();

	must(b != NULL, "out of memory");
	put_ok(sbuf_put_u64(b, id));
	put_ok(sbuf_put_u64(b, bytes));
	put_ok(sbuf_put_u64(b, 0));
	put_ok(sbuf_put_u64(b, bytes));
	put_ok(sbuf_put_u8(b, 1));
	if (commit >= 0)
		put_ok(sbuf_put_u8(b, (uint8_t)commit));
	if (plain != NULL) {
		crypto_hash_sha256(sha, (const uint8_t *)plain, strlen(plain));
		put_ok(sbuf_put_u64(b, strlen(plain)));
		put_ok(sbuf_put_string(b, sha, sizeof(sha)));
	}
	frame(out, IPC_CLOSE, b);
	sbuf_free(b);
}

/* ---- the setup's own session ------------------------------------------- */

/* One request of the setup: its answer's type, the answer in s->msg. */
static uint32_t
call(struct sess *s, const struct sbuf *m)
{
	size_t off = 0;
	uint32_t type;
	unsigned long spins;

	for (spins = 0; spins < FUZZ_SPIN_MAX && s->c != NULL; spins++) {
		if (off < sbuf_len(m))
			off += sess_send(s, sbuf_ptr(m) + off,
			    sbuf_len(m) - off, 0);
		engine_step(s);
		while (sess_recv(s))
			;
		while (sess_answer(s, &type))
			if (type != IPC_ADMIN_DATA)
				return type;
	}
	fail("setup: a request was not answered");
}

/* The answer's u32 status and string message (into msg). */
static uint32_t
answer_status(struct sess *s, uint32_t want, char *msg, size_t msglen)
{
	const uint8_t *p;
	uint32_t status;
	size_t n;

	must(sbuf_get_u32(s->msg, &status) == 0 &&
	    sbuf_get_string_direct(s->msg, &p, &n) == 0 && n < msglen,
	    "setup: a malformed answer");
	memcpy(msg, p, n);
	msg[n] = '\0';
	if (status != want)
		fprintf(stderr, "fuzz_ipc: setup: status %u: %s\n", status,
		    msg);
	return status;
}

static void
setup_admin(struct sess *s, const char *line)
{
	struct sbuf *m = sbuf_new();
	const uint8_t *out, *err;
	uint32_t status;
	size_t on, en;

	must(m != NULL, "out of memory");
	msg_text(m, IPC_ADMIN, line);
	must(call(s, m) == (IPC_ADMIN | IPC_REPLY) &&
	    sbuf_get_u32(s->msg, &status) == 0 &&
	    sbuf_get_string_direct(s->msg, &out, &on) == 0 &&
	    sbuf_get_string_direct(s->msg, &err, &en) == 0,
	    "setup: not an ADMIN answer");
	sbuf_free(m);
	if (status == 0)
		return;
	fprintf(stderr, "fuzz_ipc: setup: %s\n%.*s", line, (int)en, err);
	fail("setup: an admin line was refused");
}

/* An upload as a session makes it: OPEN, plain sealed into the file the
 * engine gave, CLOSE; the engine's verdict (an extract id for /stage) into
 * msg. */
static void
setup_upload(struct sess *s, const char *path, const char *plain, char *msg,
    size_t msglen)
{
	struct sbuf *m = sbuf_new();
	const uint8_t *prefix, *key;
	uint8_t fkey[16];
	uint64_t id, size, fdoff;
	uint32_t flags;
	size_t n;
	int fd;

	must(m != NULL, "out of memory");
	msg_open(m, path, SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC);
	must(call(s, m) == (IPC_OPEN | IPC_REPLY) &&
	    answer_status(s, 0, msg, msglen) == 0, "setup: OPEN refused");
	must(sbuf_get_u64(s->msg, &id) == 0 &&
	    sbuf_get_u32(s->msg, &flags) == 0 &&
	    sbuf_get_u64(s->msg, &size) == 0 &&
	    sbuf_get_string_direct(s->msg, &prefix, &n) == 0 &&
	    sbuf_get_u64(s->msg, &fdoff) == 0 &&
	    sbuf_get_string_direct(s->msg, &key, &n) == 0 && n == 16 &&
	    s->got_fd != -1, "setup: not a sealed upload");
	fd = s->got_fd;
	s->got_fd = -1;
	memcpy(fkey, key, sizeof(fkey));
	sbuf_reset(m);
	msg_room(m, id, strlen(plain));
	must(call(s, m) == (IPC_ROOM | IPC_REPLY) &&
	    answer_status(s, 0, msg, msglen) == 0, "setup: no room");
	seal_into(fd, fkey, plain);
	close(fd);
	sbuf_reset(m);
	msg_close(m, id, 0, 1, plain);
	must(call(s, m) == (IPC_CLOSE | IPC_REPLY) &&
	    answer_status(s, 0, msg, msglen) == 0, "setup: upload refused");
	sbuf_free(m);
}

static void
story_login(struct sess *s, enum who who)
{
	char msg[256];

	sess_open(s);
	forget_kex();		/* every login signs FUZZ_SID */
	must(call(s, users[who].kex) == (IPC_HOSTSIGN | IPC_REPLY),
	    "setup: the key exchange not signed");
	must(call(s, users[who].auth) == (IPC_AUTH | IPC_REPLY) &&
	    answer_status(s, 0, msg, sizeof(msg)) == 0, "setup: login refused");
}

static void
story_end(struct sess *s)
{
	unsigned long spins;

	(void)shutdown(s->fd, SHUT_WR);
	for (spins = 0; s->c != NULL || !s->eof; spins++) {
		must(spins < FUZZ_SPIN_MAX,
		    "setup: the engine keeps a session");
		engine_step(s);
		while (sess_recv(s))
			;
	}
	sess_close(s);
	fresh_connection_state();
}

/* ---- the data directory ------------------------------------------------ */

#define FUZZ_NIC	"NIC-123456-A1B2C"
#define FUZZ_DOC	"DATA SHARING AGREEMENT " FUZZ_NIC "\r\n"
#define FUZZ_EXTRACT	"id,outcome\n1,readmitted\n2,discharged\n"

/* u's public key line, "ssh-ed25519 BASE64 name". */
static void
pub_line(const struct user *u, char *out, size_t outlen)
{
	char b64[sodium_base64_ENCODED_LEN(sizeof(u->blob),
	    sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), u->blob, sizeof(u->blob),
	    sodium_base64_VARIANT_ORIGINAL);
	must((size_t)snprintf(out, outlen, "ssh-ed25519 %s %s", b64, u->name) <
	    outlen, "a key line too long");
}

/* u's key, fixed by n (seeds carry logins signed by it). */
static void
user_key(struct user *u, int n)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	memset(seed, 'k' + n, sizeof(seed));
	crypto_sign_seed_keypair(u->pk, u->sk, seed);
	memcpy(u->blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memcpy(u->blob + 19, u->pk, 32);
}

/* Each user's key and login. */
static void
users_make(void)
{
	struct user *u;
	int i;

	for (i = WHO_ROOT; i < WHO_N; i++) {
		u = &users[i];
		user_key(u, i);
		must((u->kex = sbuf_new()) != NULL &&
		    (u->auth = sbuf_new()) != NULL &&
		    (u->login = sbuf_new()) != NULL, "out of memory");
		msg_hostsign(u->kex);
		msg_auth(u->auth, u, u->name, 1);
		put_ok(sbuf_put(u->login, sbuf_ptr(u->kex), sbuf_len(u->kex)));
		put_ok(sbuf_put(u->login, sbuf_ptr(u->auth),
		    sbuf_len(u->auth)));
	}
}

/* Both parties' signatures, as if verified, and the agreement live: the
 * certificates and CMS are another target's (fuzz_cms). */
static void
agreement_live(int64_t staff)
{
	static uint8_t der[2][8] = { "fuzz-a", "fuzz-c" };
	struct agreement a;
	struct signatory sg;
	struct agreement_sig g;
	char why[256] = "";
	int p;

	must(agreement_get(eng->st, FUZZ_NIC, 0, &a) == 0, "setup: agreement");
	for (p = PARTY_APPLICANT; p <= PARTY_CONTROLLER; p++) {
		memset(&sg, 0, sizeof(sg));
		memset(&g, 0, sizeof(g));
		sg.org_id = p == PARTY_APPLICANT ? a.org_id : 0;
		(void)snprintf(sg.owner, sizeof(sg.owner), "%s",
		    p == PARTY_APPLICANT ? "ORG-A" : "controller");
		sg.der = der[p];
		sg.der_len = sizeof(der[p]);
		(void)snprintf(sg.subject, sizeof(sg.subject), "CN=fuzz %d", p);
		(void)snprintf(sg.issuer, sizeof(sg.issuer), "CN=fuzz CA");
		(void)snprintf(sg.serial, sizeof(sg.serial), "0%d", p + 1);
		sg.not_after = 4102444800;	/* 2100 */
		sg.added_by = staff;
		g.agreement_id = a.id;
		g.party = (enum party)p;
		g.cms = der[p];
		g.cms_len = sizeof(der[p]);
		g.uploaded_by = staff;
		must(signatory_add(eng->st, &sg, &g.signatory_id, why,
		    sizeof(why)) == 0 && signature_add(eng->st, &g, &g.id, why,
		    sizeof(why)) == 0, why);
	}
	must(agreement_set_state(eng->st, a.id, AG_LIVE) == 0, "setup: live");
	agreement_clear(&a);
}

/* The staff and the recipient, the organisation with its contract and
 * DSPT, a live agreement and a released extract of it. Nobody may grant
 * themselves a role: olivia is an admin for as long as root needs one. */
static void
story(void)
{
	char line[1024], key[256], xid[256];
	struct identity root;
	struct sess s;

	story_login(&s, WHO_ROOT);
	pub_line(&users[WHO_OLIVIA], key, sizeof(key));
	(void)snprintf(line, sizeof(line), "staff add olivia --email "
	    "olivia@example.org --key '%s' --role operator,approver,admin",
	    key);
	setup_admin(&s, line);
	story_end(&s);
	story_login(&s, WHO_OLIVIA);
	setup_admin(&s, "staff roles root --role admin,approver");
	setup_admin(&s, "org add ORG-A --name 'Org A' --type University");
	setup_admin(&s, "contract add ORG-A --ref DSFC-1 --starts 2026-01-01 "
	    "--expires 2027-12-31");
	setup_admin(&s, "org dspt ORG-A --status standards-met --expires "
	    "2027-06-30");
	pub_line(&users[WHO_RITA], key, sizeof(key));
	(void)snprintf(line, sizeof(line), "person add ORG-A rita --email "
	    "rita@example.org --key '%s'", key);
	setup_admin(&s, line);
	setup_upload(&s, "/inbox/dsa.txt", FUZZ_DOC, xid, sizeof(xid));
	setup_admin(&s, "agreement add " FUZZ_NIC " --org ORG-A --title T "
	    "--purpose P --legal-basis B --datasets HES-APC --starts "
	    "2026-01-01 --expires 2026-12-31 --document dsa.txt");
	must(identity_by_user(eng->st, "root", &root) == 0, "setup: root");
	agreement_live(root.id);
	setup_upload(&s, "/stage/" FUZZ_NIC "/cohort.csv", FUZZ_EXTRACT, xid,
	    sizeof(xid));
	story_end(&s);
	story_login(&s, WHO_ROOT);
	(void)snprintf(line, sizeof(line), "release approve %s", xid);
	setup_admin(&s, line);
	setup_admin(&s, "staff roles olivia --role operator,approver");
	story_end(&s);
}

/* The engine as engine_main() has it once started, the day's calendar
 * run (so an input's first request does not run it). */
static void
engine_up(void)
{
	must(engine_open(data, &cfg, -1, sh, NULL, &eng) == 0, "engine_open");
	schedule_tick(eng, sluice_now());
	engine_anchor_update(eng);
}

static void
engine_down(void)
{
	engine_close(eng);
	eng = NULL;
}

static const char *copy_from, *copy_to;

static int
file_copy(const char *from, const char *to, mode_t mode)
{
	static uint8_t buf[64 * 1024];
	int in, out, ok = 0;
	ssize_t k;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out != -1) {
		while ((k = read(in, buf, sizeof(buf))) > 0 &&
		    write(out, buf, (size_t)k) == k)
			;
		ok = k == 0;
		if (close(out) != 0)
			ok = 0;
	}
	close(in);
	return ok ? 0 : -1;
}

static int
copy_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	char to[512];

	(void)f;
	if ((size_t)snprintf(to, sizeof(to), "%s%s", copy_to,
	    path + strlen(copy_from)) >= sizeof(to))
		return -1;
	if (flag == FTW_D)
		return mkdir(to, st->st_mode & 07777) == 0 || errno == EEXIST ?
		    0 : -1;
	return flag == FTW_F ? file_copy(path, to, st->st_mode & 07777) : -1;
}

/* A copy of the tree from at to (which must not exist). */
static void
tree_copy(const char *from, const char *to)
{
	copy_from = from;
	copy_to = to;
	must(nftw(from, copy_one, 16, FTW_PHYS) == 0, "cannot copy the data "
	    "directory");
}

/* The data directory as the setup left it, and the engine over it. */
static void
restore(void)
{
	restores++;
	engine_down();
	init_remove_tree(data);
	tree_copy(pristine, data);
	engine_up();
}

static void
check_chain(void)
{
	char why[256];
	int64_t count, bad;

	must(audit_verify(eng->st, &bad, &count, why, sizeof(why)) == 0,
	    "the audit chain is broken");
}

static void
cleanup(void)
{
	if (getenv("FUZZ_IPC_TRACE") != NULL)
		fprintf(stderr, "fuzz_ipc: %lu inputs, %lu restores\n", inputs,
		    restores);
	engine_down();
	init_remove_tree(top);
}

static void
write_bytes(const char *dir, const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	must((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    sizeof(path) && (f = fopen(path, "w")) != NULL,
	    "cannot write a file");
	must(fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write a file");
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	write_bytes(dir, name, text, strlen(text));
}

/* A data directory as sluiced init makes it, root's key the fixed one
 * (init_run() says what it made on standard output: not here); the clock
 * fixed. */
static void
data_init(void)
{
	char key[256], line[260], path[160];
	int out = dup(1);

	write_file(top, "now", FUZZ_NOW);
	(void)snprintf(path, sizeof(path), "%s/now", top);
	must(sluice_clock_set_fake(path) == 0, "the fake clock");
	pub_line(&users[WHO_ROOT], key, sizeof(key));
	(void)snprintf(line, sizeof(line), "%s\n", key);
	write_file(top, "root.pub", line);
	(void)snprintf(path, sizeof(path), "%s/root.pub", top);
	fflush(stdout);
	must(out != -1 && dup2(devnull, 1) == 1, "dup2");
	must(init_run(data, "root", path, 0, NULL) == 0, "sluiced init");
	fflush(stdout);
	must(dup2(out, 1) == 1, "dup2");
	close(out);
}

static void seeds_write(const char *dir);

/* Where the data directory goes: $TMPDIR (scripts/fuzz gives each run one
 * of its own and removes it, however the run ends), else in memory where
 * there is some: the engine syncs its store and the audit head at every
 * request, which on a disk costs more than all the rest. */
static const char *
tmp_base(void)
{
	const char *t = getenv("TMPDIR");

	if (t != NULL && t[0] == '/' && strlen(t) < 64)
		return t;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

static void
setup(void)
{
	char why[256] = "";

	must(sodium_init() >= 0, "sodium_init");
	(void)signal(SIGPIPE, SIG_IGN);
	(void)snprintf(top, sizeof(top), "%s/sluice-fuzz-ipc-XXXXXX",
	    tmp_base());
	must(mkdtemp(top) != NULL, "mkdtemp");
	(void)snprintf(data, sizeof(data), "%s/data", top);
	(void)snprintf(pristine, sizeof(pristine), "%s/pristine", top);
	must((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1,
	    "/dev/null");
	users_make();
	data_init();
	if (config_load(data, &cfg, why, sizeof(why)) != 0)
		fail(why);
	must((sh = ipc_shared_create()) != NULL && (scratch = sbuf_new()) !=
	    NULL, "out of memory");
	engine_up();
	story();
	engine_down();
	tree_copy(data, pristine);
	engine_up();
	(void)atexit(cleanup);
	if (getenv("FUZZ_IPC_SEEDS") != NULL) {
		seeds_write(getenv("FUZZ_IPC_SEEDS"));
		exit(0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	uint64_t gen;
	int dirty;

	if (eng == NULL)
		setup();
	if (n < 1 || n > FUZZ_MAX_INPUT)
		return 0;
	gen = ipc_generation(sh);
	dirty = run_input(p[0], p + 1, n - 1);
	if (++inputs % 512 == 0)
		check_chain();
	if (dirty || ipc_generation(sh) != gen ||
	    inputs % FUZZ_RESTORE_EVERY == 0)
		restore();
	return 0;
}

/* ---- seeds: FUZZ_IPC_SEEDS=DIR fuzz_ipc -------------------------------- */

#define NIC_PATH	"/" FUZZ_NIC

static void
seed_probe(struct sbuf *b)
{
	msg_auth(b, &users[WHO_ROOT], "root", 0);
	msg_auth(b, &users[WHO_RITA], "root", 0);
	msg_auth(b, &users[WHO_ROOT], "nobody", 0);
}

static void
seed_login_root(struct sbuf *b)
{
	msg_auth(b, &users[WHO_ROOT], "root", 0);
	put_ok(sbuf_put(b, sbuf_ptr(users[WHO_ROOT].login),
	    sbuf_len(users[WHO_ROOT].login)));
	msg_text(b, IPC_STAT, "/");
	msg_text(b, IPC_READDIR, "/inbox");
	msg_text(b, IPC_ADMIN, "status");
}

static void
seed_login_rita(struct sbuf *b)
{
	put_ok(sbuf_put(b, sbuf_ptr(users[WHO_RITA].login),
	    sbuf_len(users[WHO_RITA].login)));
	msg_text(b, IPC_READDIR, "/");
	msg_text(b, IPC_READDIR, NIC_PATH);
	msg_text(b, IPC_STAT, "/release.pub");
}

/* rita's key, signed by rita, claiming root; then a request out of turn. */
static void
seed_login_lie(struct sbuf *b)
{
	msg_auth(b, &users[WHO_RITA], "root", 1);
	msg_text(b, IPC_STAT, "/inbox");
}

static void
seed_authfail(struct sbuf *b)
{
	struct sbuf *m = sbuf_new();

	must(m != NULL, "out of memory");
	put_ok(sbuf_put_cstring(m, "mallory"));
	put_ok(sbuf_put_cstring(m, "password"));
	put_ok(sbuf_put_cstring(m, "method not offered"));
	frame(b, IPC_AUTHFAIL, m);
	sbuf_free(m);
	msg_auth(b, &users[WHO_OLIVIA], "olivia", 0);
	msg_open(b, "/release.pub", SSH_FXF_READ);
}

static void
seed_admin_root(struct sbuf *b)
{
	msg_text(b, IPC_ADMIN, "staff list");
	msg_text(b, IPC_ADMIN, "agreement show " FUZZ_NIC);
	msg_text(b, IPC_ADMIN, "--json release list");
	msg_text(b, IPC_ADMIN, "audit verify");
	msg_text(b, IPC_ADMIN, "no such command");
}

static void
seed_admin_rita(struct sbuf *b)
{
	msg_text(b, IPC_ADMIN, "help");
	msg_text(b, IPC_ADMIN, "status");
	msg_text(b, IPC_ADMIN, "staff list");
}

static void
seed_inbox(struct sbuf *b)
{
	msg_open(b, "/inbox/notes.txt", SSH_FXF_WRITE | SSH_FXF_CREAT |
	    SSH_FXF_TRUNC);
	msg_room(b, 1, strlen(FUZZ_PLAIN));
	msg_close(b, 1, 0, 1, FUZZ_PLAIN);
	msg_text(b, IPC_STAT, "/inbox/notes.txt");
	msg_open(b, "/inbox/notes.txt", SSH_FXF_READ);
	msg_close(b, 2, strlen(FUZZ_PLAIN), -1, NULL);
	msg_text(b, IPC_REMOVE, "/inbox/notes.txt");
	msg_text(b, IPC_READDIR, "/inbox");
}

static void
seed_stage(struct sbuf *b)
{
	msg_text(b, IPC_READDIR, "/stage");
	msg_text(b, IPC_READDIR, "/stage" NIC_PATH);
	msg_open(b, "/stage" NIC_PATH "/more.csv", SSH_FXF_WRITE |
	    SSH_FXF_CREAT | SSH_FXF_TRUNC);
	msg_room(b, 1, strlen(FUZZ_PLAIN));
	msg_close(b, 1, 0, 1, FUZZ_PLAIN);
	msg_open(b, "/stage" NIC_PATH "/left.csv", SSH_FXF_WRITE);
	msg_close(b, 2, 0, 0, FUZZ_PLAIN);
}

static void
seed_download(struct sbuf *b)
{
	msg_open(b, NIC_PATH "/cohort.csv.age", SSH_FXF_READ);
	msg_gate(b, 1);
	msg_close(b, 1, 100, -1, NULL);
	msg_open(b, NIC_PATH "/SHA256SUMS", SSH_FXF_READ);
	msg_close(b, 2, 0, -1, NULL);
	msg_open(b, NIC_PATH "/SHA256SUMS.minisig", SSH_FXF_READ);
	msg_gate(b, 3);
}

static void
seed_certificate(struct sbuf *b)
{
	msg_text(b, IPC_READDIR, NIC_PATH "/deletion-certificate");
	msg_open(b, NIC_PATH "/deletion-certificate/cert.p7s", SSH_FXF_WRITE |
	    SSH_FXF_CREAT | SSH_FXF_TRUNC);
	msg_close(b, 1, 0, 1, NULL);
	msg_text(b, IPC_REMOVE, "/release.pub");
}

static void
seed_requests(struct sbuf *b)
{
	msg_text(b, IPC_STAT, "/inbox");
	msg_text(b, IPC_ADMIN, "status");
	msg_text(b, IPC_READDIR, "/stage");
}

/* A STAT whose header promises 64 bytes and gets 11. */
static void
seed_partial(struct sbuf *b)
{
	put_ok(sbuf_put_u32(b, IPC_STAT));
	put_ok(sbuf_put_u32(b, 64));
	put_ok(sbuf_put_cstring(b, "/inbox"));
	put_ok(sbuf_put(b, "\0", 1));
}

/* A body one byte over what the engine takes from a session. */
static void
seed_oversized(struct sbuf *b)
{
	put_ok(sbuf_put_u32(b, IPC_ADMIN));
	put_ok(sbuf_put_u32(b, ENGINE_REQUEST_MAX + 1));
	put_ok(sbuf_put_cstring(b, "status"));
}

/* Requests out of turn or of types the table does not have. */
static void
seed_out_of_turn(struct sbuf *b)
{
	msg_gate(b, 1);
	msg_close(b, 1, 0, -1, NULL);
	msg_text(b, IPC_NEW_SESSION, "192.0.2.1:1");
	msg_text(b, IPC_PENALTY, "192.0.2.1/32");
	msg_text(b, IPC_STAT | IPC_REPLY, "/");
	msg_text(b, 99, "/");
	put_ok(sbuf_put(b, sbuf_ptr(users[WHO_ROOT].login),
	    sbuf_len(users[WHO_ROOT].login)));
}

/* A second login on a logged-in connection. */
static void
seed_second_login(struct sbuf *b)
{
	put_ok(sbuf_put(b, sbuf_ptr(users[WHO_OLIVIA].login),
	    sbuf_len(users[WHO_OLIVIA].login)));
	msg_text(b, IPC_STAT, "/inbox");
}

/* root's key replaced by root: the requests after it are refused. */
static void
seed_key_replaced(struct sbuf *b)
{
	struct user spare = { .name = "spare" };
	char key[256], line[320];

	user_key(&spare, WHO_N);
	pub_line(&spare, key, sizeof(key));
	(void)snprintf(line, sizeof(line), "staff key root --key '%s'", key);
	msg_text(b, IPC_ADMIN, line);
	msg_text(b, IPC_STAT, "/inbox");
	msg_open(b, "/inbox/dsa.txt", SSH_FXF_READ);
	msg_text(b, IPC_REMOVE, "/inbox/dsa.txt");
	msg_text(b, IPC_ADMIN, "status");
}

struct seed {
	const char	*name;
	uint8_t		 mode;
	void		(*make)(struct sbuf *);
};

static const struct seed seeds[] = {
	{ "probe", WHO_NOBODY, seed_probe },
	{ "login-root", WHO_NOBODY, seed_login_root },
	{ "login-rita", WHO_NOBODY, seed_login_rita },
	{ "login-lie", WHO_NOBODY, seed_login_lie },
	{ "login-fd", WHO_NOBODY | MODE_FD, seed_login_root },
	{ "authfail", WHO_NOBODY, seed_authfail },
	{ "admin-root", WHO_ROOT, seed_admin_root },
	{ "admin-rita", WHO_RITA, seed_admin_rita },
	{ "inbox", WHO_OLIVIA | MODE_SEAL, seed_inbox },
	{ "stage", WHO_OLIVIA | MODE_SEAL, seed_stage },
	{ "download", WHO_RITA, seed_download },
	{ "certificate", WHO_RITA, seed_certificate },
	{ "pieces", WHO_ROOT | MODE_PIECES, seed_requests },
	{ "fd", WHO_ROOT | MODE_FD, seed_requests },
	{ "partial", WHO_ROOT, seed_partial },
	{ "oversized", WHO_OLIVIA, seed_oversized },
	{ "out-of-turn", WHO_NOBODY, seed_out_of_turn },
	{ "out-of-turn-root", WHO_ROOT, seed_out_of_turn },
	{ "second-login", WHO_ROOT, seed_second_login },
	{ "key-replaced", WHO_ROOT, seed_key_replaced },
};

static void
seeds_write(const char *dir)
{
	char name[64];
	struct sbuf *b;
	size_t i;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		must((b = sbuf_new()) != NULL, "out of memory");
		put_ok(sbuf_put_u8(b, seeds[i].mode));
		seeds[i].make(b);
		(void)snprintf(name, sizeof(name), "%02zu-%s", i,
		    seeds[i].name);
		write_bytes(dir, name, sbuf_ptr(b), sbuf_len(b));
		sbuf_free(b);
	}
}
