/*
 * Logins: the session asks for the key at the probe and again after the
 * signature; both answers come from the store. The second gives the session
 * its identity and keeps the key, by which identity.c reads the identity
 * again before every later request.
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

/* The request: user, key blob, and whether this is the login's final ask. */
static int
get_auth(struct sbuf *req, char **user, const uint8_t **blob, size_t *len,
    uint8_t *final)
{
	if (sbuf_get_cstring(req, user, STORE_NAME_MAX) != 0 ||
	    sbuf_get_string_direct(req, blob, len) != 0 ||
	    sbuf_get_u8(req, final) != 0 || sbuf_len(req) != 0)
		return SLUICE_EPROTO;
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
	engine_audit(e, who->user, "login", fp, "ok", "from %s as %s", c->peer,
	    kind == IPC_KIND_STAFF ? "staff" : "recipient");
	log_info("login: %s from %s key %s", who->user, c->peer, fp);
}

int
eng_auth(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct identity who;
	const uint8_t *blob;
	char *user = NULL, why[256] = "", fp[SSHKEY_FP_SIZE] = "?";
	size_t len;
	uint8_t final;
	uint32_t kind;
	int r;

	(void)fd;
	memset(&who, 0, sizeof(who));
	if (c->authed || get_auth(req, &user, &blob, &len, &final) != 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	if (sshkey_fingerprint(blob, len, fp) != 0)
		(void)snprintf(fp, sizeof(fp), "?");
	if (auth_decide(e, user, blob, len, &who, why, sizeof(why)) != 0) {
		engine_audit(e, user, "login", fp, "refused", "from %s: %s",
		    c->peer, why);
		r = auth_reply(rep, 1, why, IPC_KIND_NONE, 0);
		goto out;
	}
	kind = who.kind == IDENTITY_STAFF ? IPC_KIND_STAFF : IPC_KIND_RECIPIENT;
	if (final)
		auth_final(e, c, &who, blob, len, fp, kind);
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
