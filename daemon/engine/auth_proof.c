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
 * The engine cannot compute the session identifier itself (the key
 * exchange runs in the session), so a lying session can only replay a
 * signature some client made for a session identifier. Each connection
 * keeps the first identifier it proved, and a later login on it must carry
 * the same; an identifier that logged in on one connection is refused on
 * every other (a ring of the last AUTH_SEEN_MAX, for the engine's life).
 * What is left is written down in SECURITY.md, "Logins".
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/sshverify.h"

#define AUTH_SEEN_MAX	65536
#define AUTH_SEEN_HASH	16	/* BLAKE2b-128 of an identifier */
#define SSH2_MSG_USERAUTH_REQUEST 50

struct auth_seen {
	uint8_t	 h[AUTH_SEEN_MAX][AUTH_SEEN_HASH];
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
sid_hash(const uint8_t *sid, size_t len, uint8_t h[AUTH_SEEN_HASH])
{
	(void)crypto_generichash(h, AUTH_SEEN_HASH, sid, len, NULL, 0);
}

/* Whether sid logged in on some connection before. */
static int
sid_seen(const struct engine *e, const uint8_t *sid, size_t len)
{
	uint8_t h[AUTH_SEEN_HASH];
	size_t i;

	sid_hash(sid, len, h);
	for (i = 0; i < e->seen->n; i++)
		if (memcmp(e->seen->h[i], h, AUTH_SEEN_HASH) == 0)
			return 1;
	return 0;
}

/* The connection's session identifier: the first one proved, for good. */
static int
sid_pin(struct engine *e, struct conn *c, const struct signed_req *q,
    char *why, size_t whylen)
{
	if (c->sid_len != 0) {
		if (c->sid_len == q->sid_len &&
		    memcmp(c->sid, q->sid, q->sid_len) == 0)
			return 0;
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: another session identifier than "
		    "the one this connection proved before");
	}
	if (e->seen == NULL && (e->seen = calloc(1, sizeof(*e->seen))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM,
		    "login proof refused: out of memory");
	if (sid_seen(e, q->sid, q->sid_len))
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "login proof refused: its session identifier logged in "
		    "on another connection");
	memcpy(c->sid, q->sid, q->sid_len);
	c->sid_len = q->sid_len;
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
	return sid_pin(e, c, &q, why, whylen);
}

void
auth_proof_accepted(struct engine *e, const struct conn *c)
{
	struct auth_seen *s;

	if ((s = e->seen) == NULL || c->sid_len == 0 ||
	    sid_seen(e, c->sid, c->sid_len))
		return;	/* no proof was checked; or a second login, as before */
	sid_hash(c->sid, c->sid_len, s->h[s->next]);
	s->next = (s->next + 1) % AUTH_SEEN_MAX;
	if (s->n < AUTH_SEEN_MAX)
		s->n++;
}

void
auth_seen_free(struct auth_seen *s)
{
	free(s);
}
