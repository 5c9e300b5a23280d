/*
 * Logins: the session asks for the key at the probe and again after the
 * signature; both answers come from the store. The second brings the signed
 * request and the signature, which the engine checks itself first
 * (auth_proof.c); its accept gives the session its identity and keeps the
 * key, by which identity.c reads the identity again before every later
 * request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/sshkey.h"

/* The longest user name a session reports a refusal for: anything an SSH
 * packet can carry (libssh's limit is 256 KiB). engine_audit() shows at
 * most 64 characters of it and its length. */
#define AUTH_USER_WIRE_MAX	(256u * 1024)

static int
auth_reply(struct sbuf *rep, uint32_t status, const char *reason,
    uint32_t kind, uint32_t roles)
{
	int r;

	if ((r = sbuf_put_u32(rep, status)) != 0 ||
	    (r = sbuf_put_cstring(rep, reason)) != 0 ||
	    (r = sbuf_put_u32(rep, kind)) != 0 ||
	    (r = sbuf_put_u32(rep, roles)) != 0)
		return r;
	return 0;
}

/* Decides whether user may log in with blob; fills who on success. */
static int
auth_decide(struct engine *e, const char *user, const uint8_t *blob,
    size_t len, struct identity *who, char *why, size_t whylen)
{
	struct sshkey_pub *k = NULL;
	int r;

	if ((r = sshkey_pub_from_blob(blob, len, &k, why, whylen)) != 0)
		goto out;
	if ((r = sshkey_acceptable(k, why, whylen)) != 0)
		goto out;
	if ((r = identity_by_key(e->st, blob, len, who)) != 0) {
		r = sluice_why(why, whylen, SLUICE_EDENIED, "key is not registered");
		goto out;
	}
	if (strcmp(who->user, user) != 0) {
		r = sluice_why(why, whylen, SLUICE_EDENIED,
		    "key is registered to another user");
		goto out;
	}
	if (!who->active)
		r = sluice_why(why, whylen, SLUICE_EDENIED, "user %s is disabled",
		    user);
out:
	sshkey_pub_free(k);
	return r;
}

/* The request: user, key blob, whether this is the login's final ask, and
 * the proof for a final one (empty at the probe). */
static int
get_auth(struct sbuf *req, char **user, struct auth_claim *a, uint8_t *final)
{
	if (sbuf_get_cstring(req, user, STORE_NAME_MAX) != 0 ||
	    sbuf_get_string_direct(req, &a->blob, &a->blob_len) != 0 ||
	    sbuf_get_u8(req, final) != 0 ||
	    sbuf_get_string_direct(req, &a->signed_data, &a->signed_len) != 0 ||
	    sbuf_get_string_direct(req, &a->sig, &a->sig_len) != 0 ||
	    sbuf_len(req) != 0 || *final > 1)
		return SLUICE_EPROTO;
	if (!*final && (a->signed_len != 0 || a->sig_len != 0))
		return SLUICE_EPROTO;
	a->user = *user;
	return 0;
}

/* The final answer: the session's identity, and the key it is read by
 * again at each request (len was bounded by sshkey_pub_from_blob()). */
static void
auth_final(struct engine *e, struct conn *c, const struct identity *who,
    const uint8_t *blob, size_t len, const char *fp, uint32_t kind)
{
	c->authed = 1;
	c->who = *who;
	memcpy(c->key, blob, len);
	c->key_len = len;
	auth_proof_accepted(e, c);
	engine_audit(e, who->user, "login", fp, "ok", "from %s as %s", c->peer,
	    kind == IPC_KIND_STAFF ? "staff" : "recipient");
	log_info("login: %s from %s key %s", who->user, c->peer, fp);
}

/* A final ask is proved first (auth_proof.c); then the store decides. A
 * proof that does not hold means a session lying or broken: logged. */
static int
auth_check(struct engine *e, struct conn *c, const struct auth_claim *a,
    uint8_t final, struct identity *who, char *why, size_t whylen)
{
	if (final && auth_proof_check(e, c, a, why, whylen) != 0) {
		log_warnx("engine: session %s: %s", c->peer, why);
		return SLUICE_EDENIED;
	}
	return auth_decide(e, a->user, a->blob, a->blob_len, who, why, whylen);
}

int
eng_auth(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct identity who;
	struct auth_claim a;
	char *user = NULL, why[256] = "", fp[SSHKEY_FP_SIZE] = "?";
	uint8_t final;
	uint32_t kind;
	int r;

	(void)fd;
	memset(&who, 0, sizeof(who));
	memset(&a, 0, sizeof(a));
	if (c->authed || get_auth(req, &user, &a, &final) != 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	if (sshkey_fingerprint(a.blob, a.blob_len, fp) != 0)
		(void)snprintf(fp, sizeof(fp), "?");
	if (auth_check(e, c, &a, final, &who, why, sizeof(why)) != 0) {
		engine_audit(e, user, "login", fp, "refused", "from %s: %s",
		    c->peer, why);
		r = auth_reply(rep, 1, why, IPC_KIND_NONE, 0);
		goto out;
	}
	kind = who.kind == IDENTITY_STAFF ? IPC_KIND_STAFF : IPC_KIND_RECIPIENT;
	if (final)
		auth_final(e, c, &who, a.blob, a.blob_len, fp, kind);
	r = auth_reply(rep, 0, "", kind, who.roles);
out:
	free(user);
	return r;
}

int
eng_authfail(struct engine *e, struct conn *c, struct sbuf *req,
    struct sbuf *rep, int *fd)
{
	char *user = NULL, *method = NULL, *reason = NULL;
	int r;

	(void)fd;
	if ((r = sbuf_get_cstring(req, &user, AUTH_USER_WIRE_MAX)) != 0 ||
	    (r = sbuf_get_cstring(req, &method, 64)) != 0 ||
	    (r = sbuf_get_cstring(req, &reason, 256)) != 0 || sbuf_len(req) != 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	engine_audit(e, user, "login", method, "refused", "from %s: %s",
	    c->peer, reason);
	r = sbuf_put_u32(rep, 0);
out:
	free(user);
	free(method);
	free(reason);
	return r;
}
