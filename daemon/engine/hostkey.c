/*
 * The SSH host key, which only the engine holds (docs/design.md section 7,
 * "The host key"; after OpenSSH's monitor, mm_answer_sign).
 *
 * A session runs the key exchange but holds only the host key's public
 * half (session/hostsign.c); when libssh signs the exchange hash, the
 * session asks here (IPC_HOSTSIGN). What a session broken into can get
 * signed is bounded by auth_kex_hash() (auth_proof.c): a hash of the key
 * exchange's length only, one before the login, never one signed before.
 * Such a signature over 32 bytes can be nothing but an SSH host key's proof
 * of a key exchange: a login request, the only other thing signed with SSH
 * keys, is always longer, and this key signs nothing else.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/log.h"
#include "sluice/sshkey.h"

#define HOSTKEY_FILE_MAX	(64u * 1024)

/* The private key file, parsed into *k (guarded memory). */
static int
hostkey_read(const char *path, struct sshkey_priv **k, char *why,
    size_t whylen)
{
	struct sbuf *b;
	char kwhy[200] = "";
	int r;

	if ((b = sbuf_new_secret()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(path, HOSTKEY_FILE_MAX, b)) != 0)
		r = sluice_why(why, whylen, r, "%s: cannot read the host key",
		    path);
	else if ((r = sshkey_priv_parse((const char *)sbuf_ptr(b), sbuf_len(b),
	    k, kwhy, sizeof(kwhy))) != 0)
		r = sluice_why(why, whylen, r, "%s: %s", path, kwhy);
	sbuf_free(b);
	return r;
}

/* Whether p is k's public half. */
static int
is_public_half(const struct sshkey_pub *p, const struct sshkey_priv *k)
{
	return p->bloblen == k->bloblen &&
	    memcmp(p->blob, k->blob, k->bloblen) == 0;
}

/* The public half in pub is k's. */
static int
hostkey_public_matches(const struct sshkey_priv *k, const char *pub,
    char *why, size_t whylen)
{
	struct sshkey_pub *p = NULL;
	int r;

	if ((r = sshkey_pub_load(pub, &p, why, whylen)) == 0 &&
	    !is_public_half(p, k))
		r = sluice_why(why, whylen, SLUICE_ECONFIG, "%s is not the "
		    "public half of the host key beside it", pub);
	sshkey_pub_free(p);
	return r;
}

int
engine_hostkey_load(struct engine *e, const struct sshkey_pub *offered,
    char *why, size_t whylen)
{
	char pub[CONFIG_PATH_MAX + 8];
	int r;

	if (config_host_pub(e->cfg, pub, sizeof(pub)) != 0)
		return sluice_why(why, whylen, SLUICE_ECONFIG,
		    "%s: path too long", e->cfg->host_key);
	if ((r = hostkey_read(e->cfg->host_key, &e->hostkey, why, whylen)) != 0)
		return r;
	if (e->hostkey->type != SSHKEY_ED25519)
		return sluice_why(why, whylen, SLUICE_ECONFIG, "%s: the host key "
		    "must be ssh-ed25519, the only host key sluiced offers",
		    e->cfg->host_key);
	if ((r = hostkey_public_matches(e->hostkey, pub, why, whylen)) != 0)
		return r;
	if (offered != NULL && !is_public_half(offered, e->hostkey))
		return sluice_why(why, whylen, SLUICE_ECONFIG, "%s is not the "
		    "host key sluiced has offered since it started; restart "
		    "sluiced to offer it", e->cfg->host_key);
	return 0;
}

/* The signature blob, as SSH sends it: string "ssh-ed25519", string sig. */
static int
hostsign_reply(struct sbuf *rep, const uint8_t sig[crypto_sign_BYTES])
{
	struct sbuf *blob;
	int r;

	if ((blob = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sbuf_put_cstring(blob, "ssh-ed25519")) == 0 &&
	    (r = sbuf_put_string(blob, sig, crypto_sign_BYTES)) == 0)
		r = sbuf_put_string(rep, sbuf_ptr(blob), sbuf_len(blob));
	sbuf_free(blob);
	return r;
}

int
eng_hostsign(struct engine *e, struct conn *c, struct sbuf *req,
    struct sbuf *rep, int *fd)
{
	uint8_t sig[crypto_sign_BYTES];
	const uint8_t *h;
	size_t n;
	char why[200] = "";
	int r;

	(void)fd;
	if (sbuf_get_string_direct(req, &h, &n) != 0 || sbuf_len(req) != 0)
		return SLUICE_EPROTO;
	if ((r = auth_kex_hash(e, c, h, n, why, sizeof(why))) != 0) {
		log_warnx("engine: session %s: host key signature refused: %s",
		    c->peer, why);
		engine_audit(e, "sluiced", "host key signature", c->peer,
		    "refused", "%s", why);
		return r;
	}
	if (crypto_sign_detached(sig, NULL, h, n, e->hostkey->ed25519_sk) != 0)
		return SLUICE_ECRYPTO;
	return hostsign_reply(rep, sig);
}
