/*
 * Logins the engine checks itself (docs/design.md section 7, "Logins").
 *
 * A session's word that a signature verified is not enough: a session
 * broken into could claim any user with that user's public key. So with a
 * final IPC_AUTH the session brings what the client signed (the RFC 4252
 * section 7 request: session identifier, user, service, method, algorithm,
 * key) and the signature, as libssh checked them (session/authwrap.c), and
 * the engine checks them again with its own code (sluice/sshverify.h): the
 * request must be for the user and the key claimed, and the signature by
 * that key over it.
 *
 * The session identifier is not the session's to choose: as in OpenSSH's
 * monitor, it is the first exchange hash the engine signed with the host
 * key for that connection (IPC_HOSTSIGN, engine/hostkey.c), and a login
 * proof must carry exactly that one. The engine cannot compute the hash
 * itself (the key exchange runs in the session), so a lying session may
 * still have any one hash of the right length signed as its identifier,
 * once, before its login; but never a hash the engine signed before, for
 * any connection, so never the identifier of a connection whose client
 * signed a login (the ring of the last AUTH_RING_MAX hashes signed). And an
 * identifier that logged in on one connection is refused on every other
 * (a second ring, of the last AUTH_RING_MAX logins), should the first ring
 * have forgotten it. What is left is written down in SECURITY.md, "Logins".
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/engine_int.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/sshalgo.h"
#include "sluice/sshverify.h"

#define AUTH_RING_MAX	65536
#define AUTH_RING_HASH	16	/* BLAKE2b-128 of an identifier */
#define SSH2_MSG_USERAUTH_REQUEST 50

/* The last AUTH_RING_MAX identifiers of a kind, by their hash. */
struct auth_ring {
	uint8_t	 h[AUTH_RING_MAX][AUTH_RING_HASH];
	size_t	 next, n;
};

/* The request the client signed, its parts pointing into the proof. */
struct signed_req {
	const uint8_t	*sid, *user, *blob;
	size_t		 sid_len, user_len, blob_len;
	char		 alg[64];
};

/* A session identifier is a whole hash: SHA-1, SHA-256, -384 or -512. */
static int
sid_len_ok(size_t n)
{
	return n == 20 || n == 32 || n == 48 || n == 64;
}

static int
get_word(struct sbuf *b, const char *want)
{
	const uint8_t *p;
	size_t n;

	if (sbuf_get_string_direct(b, &p, &n) != 0 || n != strlen(want) ||
	    memcmp(p, want, n) != 0)
		return SLUICE_EFORMAT;
	return 0;
}

/* RFC 4252 section 7: string session identifier, byte 50, string user,
 * string "ssh-connection", string "publickey", TRUE, string algorithm,
 * string key blob; nothing after. */
static int
signed_parse(const uint8_t *data, size_t len, struct signed_req *q)
{
	struct sbuf b;
	const uint8_t *alg;
	size_t alglen;
	uint8_t type, has_sig;

	sbuf_view(&b, data, len);
	if (sbuf_get_string_direct(&b, &q->sid, &q->sid_len) != 0 ||
	    sbuf_get_u8(&b, &type) != 0 ||
	    sbuf_get_string_direct(&b, &q->user, &q->user_len) != 0 ||
	    get_word(&b, "ssh-connection") != 0 ||
	    get_word(&b, "publickey") != 0 ||
	    sbuf_get_u8(&b, &has_sig) != 0 ||
	    sbuf_get_string_direct(&b, &alg, &alglen) != 0 ||
	    sbuf_get_string_direct(&b, &q->blob, &q->blob_len) != 0 ||
	    sbuf_len(&b) != 0)
		return SLUICE_EFORMAT;
	if (type != SSH2_MSG_USERAUTH_REQUEST || has_sig != 1 ||
	    !sid_len_ok(q->sid_len) || alglen == 0 ||
	    alglen >= sizeof(q->alg) || memchr(alg, '\0', alglen) != NULL)
		return SLUICE_EFORMAT;
	memcpy(q->alg, alg, alglen);
	q->alg[alglen] = '\0';
	return 0;
}

/* The signed request is the one claimed: the same user, the same key. */
static int
signed_matches(const struct signed_req *q, const struct auth_claim *a,
    char *why, size_t whylen)
{
	if (q->user_len != strlen(a->user) ||
	    memcmp(q->user, a->user, q->user_len) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: the signed request is for another "
		    "user");
	if (q->blob_len != a->blob_len ||
	    memcmp(q->blob, a->blob, a->blob_len) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: the signed request is for another "
		    "key");
	return 0;
}

static void
sid_hash(const uint8_t *sid, size_t len, uint8_t h[AUTH_RING_HASH])
{
	(void)crypto_generichash(h, AUTH_RING_HASH, sid, len, NULL, 0);
}

/* Whether ring (NULL: empty) holds sid. */
static int
ring_has(const struct auth_ring *ring, const uint8_t *sid, size_t len)
{
	uint8_t h[AUTH_RING_HASH];
	size_t i;

	if (ring == NULL)
		return 0;
	sid_hash(sid, len, h);
	for (i = 0; i < ring->n; i++)
		if (memcmp(ring->h[i], h, AUTH_RING_HASH) == 0)
			return 1;
	return 0;
}

/* Adds sid to ring; the oldest goes when it is full. */
static void
ring_add(struct auth_ring *ring, const uint8_t *sid, size_t len)
{
	sid_hash(sid, len, ring->h[ring->next]);
	ring->next = (ring->next + 1) % AUTH_RING_MAX;
	if (ring->n < AUTH_RING_MAX)
		ring->n++;
}

/* Both rings, made before the first hash is signed: a login (which needs
 * one signed) then finds the ring of logins there. */
static int
rings_ready(struct engine *e)
{
	if (e->signed_kex == NULL &&
	    (e->signed_kex = calloc(1, sizeof(*e->signed_kex))) == NULL)
		return SLUICE_ENOMEM;
	if (e->seen == NULL && (e->seen = calloc(1, sizeof(*e->seen))) == NULL)
		return SLUICE_ENOMEM;
	return 0;
}

/* The proof's session identifier is the connection's: the first exchange
 * hash signed for it, and no other connection's that logged in. */
static int
sid_check(const struct engine *e, const struct conn *c,
    const struct signed_req *q, char *why, size_t whylen)
{
	if (c->sid_len == 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: no key exchange was signed for "
		    "this connection");
	if (c->sid_len != q->sid_len ||
	    memcmp(c->sid, q->sid, q->sid_len) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: its session identifier is not the "
		    "one this connection's key exchange signed");
	if (ring_has(e->seen, q->sid, q->sid_len))
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: its session identifier logged in "
		    "on another connection");
	return 0;
}

/* A re-key after the login: its user still active with its key, and the
 * connection within its budget (engine_int.h: a real client re-keys about
 * once per GiB each way, the SSH defaults for its ciphers, so one a second
 * is more than a connection moves; the burst covers a short RekeyLimit). */
static int
rekey_allowed(struct engine *e, struct conn *c, char *why, size_t whylen)
{
	int64_t now = sluice_now(), lived = now - c->kex_at;
	uint64_t budget = AUTH_REKEY_BURST;

	conn_refresh(e, c);
	if (c->refused[0] != '\0')
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "a re-key for a refused user: %s", c->refused);
	if (lived > 0)
		budget += (uint64_t)lived / AUTH_REKEY_PERIOD;
	if (c->rekeys >= budget)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "more than %d re-keys plus one per %d s", AUTH_REKEY_BURST,
		    AUTH_REKEY_PERIOD);
	c->rekeys++;
	return 0;
}

int
auth_kex_hash(struct engine *e, struct conn *c, const uint8_t *h, size_t n,
    char *why, size_t whylen)
{
	int r;

	if (n != SSH_ALGO_KEX_HASH_LEN)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "a hash of %zu bytes, not an exchange hash of %d", n,
		    SSH_ALGO_KEX_HASH_LEN);
	if (c->sid_len != 0 && !c->authed)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "a second key exchange before the login");
	if (c->authed && (r = rekey_allowed(e, c, why, whylen)) != 0)
		return r;
	if (rings_ready(e) != 0)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if (ring_has(e->signed_kex, h, n))
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "an exchange hash signed before");
	ring_add(e->signed_kex, h, n);
	if (c->sid_len == 0) {
		memcpy(c->sid, h, n);
		c->sid_len = n;
		c->kex_at = sluice_now();
	}
	return 0;
}

int
auth_proof_check(struct engine *e, struct conn *c, const struct auth_claim *a,
    char *why, size_t whylen)
{
	struct signed_req q;
	char vwhy[200] = "";

	memset(&q, 0, sizeof(q));
	if (a->signed_len == 0 || a->sig_len == 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: no signature");
	if (signed_parse(a->signed_data, a->signed_len, &q) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: malformed signed request");
	if (signed_matches(&q, a, why, whylen) != 0)
		return SLUICE_EDENIED;
	if (sshverify(a->blob, a->blob_len, q.alg, a->sig, a->sig_len,
	    a->signed_data, a->signed_len, vwhy, sizeof(vwhy)) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: %s", vwhy);
	return sid_check(e, c, &q, why, whylen);
}

void
auth_proof_accepted(struct engine *e, const struct conn *c)
{
	/* e->seen exists: c->sid was signed (rings_ready()) */
	if (c->sid_len == 0 || e->seen == NULL ||
	    ring_has(e->seen, c->sid, c->sid_len))
		return;	/* no proof was checked; or a second login, as before */
	ring_add(e->seen, c->sid, c->sid_len);
}

void
auth_ring_free(struct auth_ring *r)
{
	free(r);
}
