/*
 * hostsign.c: the host key's public half for libssh, and libssh's signing
 * of the exchange hash sent to the engine (hostsign.h). Linked with
 * -Wl,--wrap=pki_sign_data against a static libssh 0.10; the prototypes
 * below are libssh's own (include/libssh/pki_priv.h and pki.h there),
 * which it does not install.
 */
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>
#include <sodium.h>

#include "ipc.h"
#include "session/hostsign.h"
#include "sluice/buf.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/sshkey.h"

#define PRIV_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----"
#define PRIV_END	"-----END OPENSSH PRIVATE KEY-----"
#define PRIV_MAGIC	"openssh-key-v1"	/* and its NUL */
#define PRIV_CHECKINT	0x736c7563u	/* any value, twice: "sluc" */
#define ED25519_PK_LEN	32

struct ssh_signature_struct;

/* libssh internals, present in libssh.a. */
struct ssh_signature_struct *__wrap_pki_sign_data(const ssh_key privkey,
    int hash_type, const unsigned char *input, size_t input_len);
int ssh_pki_import_signature_blob(const ssh_string sig_blob,
    const ssh_key pubkey, struct ssh_signature_struct **psig);

static int engine_sock = -1;
/* What came for the admin answer while a signature was awaited: u32 type,
 * string body, each in turn (hostsign_held_next()). */
static struct sbuf *held;

void
hostsign_use_engine(int engine_fd)
{
	engine_sock = engine_fd;
}

/* ---- the placeholder ---- */

/* The private section: check ints, the key with its public half and an
 * all-zero seed, no comment, padding to a multiple of 8. */
static int
section_put(struct sbuf *b, const uint8_t pk[ED25519_PK_LEN])
{
	uint8_t sk[2 * ED25519_PK_LEN], pad;
	int r;

	memset(sk, 0, ED25519_PK_LEN);
	memcpy(sk + ED25519_PK_LEN, pk, ED25519_PK_LEN);
	if ((r = sbuf_put_u32(b, PRIV_CHECKINT)) != 0 ||
	    (r = sbuf_put_u32(b, PRIV_CHECKINT)) != 0 ||
	    (r = sbuf_put_cstring(b, "ssh-ed25519")) != 0 ||
	    (r = sbuf_put_string(b, pk, ED25519_PK_LEN)) != 0 ||
	    (r = sbuf_put_string(b, sk, sizeof(sk))) != 0 ||
	    (r = sbuf_put_cstring(b, "")) != 0)
		return r;
	for (pad = 1; sbuf_len(b) % 8 != 0; pad++)
		if ((r = sbuf_put_u8(b, pad)) != 0)
			return r;
	return 0;
}

/* The openssh-key-v1 container (PROTOCOL.key in OpenSSH): unencrypted, one
 * key, its public blob, its private section. */
static int
container_put(struct sbuf *b, const struct sshkey_pub *pub,
    const uint8_t pk[ED25519_PK_LEN])
{
	struct sbuf *sec;
	int r;

	if ((sec = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = section_put(sec, pk)) == 0 &&
	    (r = sbuf_put(b, PRIV_MAGIC, sizeof(PRIV_MAGIC))) == 0 &&
	    (r = sbuf_put_cstring(b, "none")) == 0 &&
	    (r = sbuf_put_cstring(b, "none")) == 0 &&
	    (r = sbuf_put_cstring(b, "")) == 0 &&
	    (r = sbuf_put_u32(b, 1)) == 0 &&
	    (r = sbuf_put_string(b, pub->blob, pub->bloblen)) == 0)
		r = sbuf_put_string(b, sbuf_ptr(sec), sbuf_len(sec));
	sbuf_free(sec);
	return r;
}

/* bin as base64 (one line) between the armour lines, in *text (malloc'd). */
static int
armour(const struct sbuf *bin, char **text)
{
	size_t b64len = sodium_base64_ENCODED_LEN(sbuf_len(bin),
	    sodium_base64_VARIANT_ORIGINAL);
	size_t n = sizeof(PRIV_BEGIN) + b64len + sizeof(PRIV_END) + 1;
	char *p;

	if ((*text = p = malloc(n)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(p, PRIV_BEGIN "\n", sizeof(PRIV_BEGIN));
	p += sizeof(PRIV_BEGIN);
	(void)sodium_bin2base64(p, b64len, sbuf_ptr(bin), sbuf_len(bin),
	    sodium_base64_VARIANT_ORIGINAL);
	p += b64len - 1;
	memcpy(p, "\n" PRIV_END "\n", sizeof(PRIV_END) + 2);
	return 0;
}

/* What libssh made of the text is a private ed25519 key whose public half
 * is pub's. */
static int
placeholder_ok(ssh_key k, const struct sshkey_pub *pub)
{
	char want[SSHKEY_BLOB_MAX * 2], *got = NULL;
	int ok;

	if (k == NULL || !ssh_key_is_private(k) ||
	    ssh_key_type(k) != SSH_KEYTYPE_ED25519 ||
	    ssh_pki_export_pubkey_base64(k, &got) != SSH_OK)
		return 0;
	(void)sodium_bin2base64(want, sizeof(want), pub->blob, pub->bloblen,
	    sodium_base64_VARIANT_ORIGINAL);
	ok = strcmp(got, want) == 0;
	ssh_string_free_char(got);
	return ok;
}

/* The placeholder's text, from the public key in pub. */
static int
placeholder_text(const struct sshkey_pub *pub, char **text)
{
	uint8_t pk[ED25519_PK_LEN];
	struct sbuf *bin;
	int r;

	if (sshkey_ed25519_pk(pub->blob, pub->bloblen, pk) != 0)
		return SLUICE_EFORMAT;
	if ((bin = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = container_put(bin, pub, pk)) == 0)
		r = armour(bin, text);
	sbuf_free(bin);
	return r;
}

int
hostsign_placeholder(const char *pubpath, const struct sshkey_pub *pub,
    ssh_key *out, char *why, size_t whylen)
{
	char *text = NULL;
	int r;

	*out = NULL;
	if (pub->type != SSHKEY_ED25519)
		return sluice_why(why, whylen, SLUICE_ECONFIG, "%s: the host "
		    "key must be ssh-ed25519", pubpath);
	if ((r = placeholder_text(pub, &text)) != 0)
		return sluice_why(why, whylen, r, "%s: %s", pubpath,
		    sluice_strerror(r));
	if (ssh_pki_import_privkey_base64(text, NULL, NULL, NULL, out) !=
	    SSH_OK || !placeholder_ok(*out, pub)) {
		ssh_key_free(*out);
		*out = NULL;
		r = sluice_why(why, whylen, SLUICE_ECONFIG, "%s: libssh does not "
		    "take the host key's public half as its host key", pubpath);
	}
	free(text);
	return r;
}

/* ---- the signature, made by the engine ---- */

/* An admin answer's message that came before the signature, kept. */
static int
hold(uint32_t type, const struct sbuf *body)
{
	if (type != IPC_ADMIN_DATA && type != (IPC_ADMIN | IPC_REPLY))
		return SLUICE_EPROTO;
	if (held == NULL && (held = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	/* The engine sends the signature at its next message boundary: what
	 * comes first is what the socket held and one piece. */
	if (sbuf_len(held) > IPC_MAX_BODY)
		return SLUICE_ETOOBIG;
	if (sbuf_put_u32(held, type) != 0 ||
	    sbuf_put_string(held, sbuf_ptr(body), sbuf_len(body)) != 0)
		return SLUICE_ENOMEM;
	return 0;
}

/* The IPC_HOSTSIGN reply in rep; an admin answer's messages before it are
 * held. */
static int
sign_reply(struct sbuf *rep)
{
	uint32_t type;
	int r;

	while ((r = ipc_recv(engine_sock, &type, rep, NULL)) == 0 &&
	    type != (IPC_HOSTSIGN | IPC_REPLY))
		if ((r = hold(type, rep)) != 0)
			break;
	return r;
}

int
hostsign_held_next(uint32_t *type, struct sbuf *body)
{
	const uint8_t *p;
	size_t n;

	if (held == NULL || sbuf_len(held) == 0)
		return 0;
	sbuf_reset(body);
	if (sbuf_get_u32(held, type) != 0 ||
	    sbuf_get_string_direct(held, &p, &n) != 0)
		return SLUICE_EPROTO;
	return sbuf_put(body, p, n) == 0 ? 1 : SLUICE_ENOMEM;
}

/* IPC_HOSTSIGN for input; the signature blob (as libssh's) in *blob. */
static int
engine_sign(const unsigned char *input, size_t input_len, ssh_string *blob)
{
	struct sbuf *req = sbuf_new(), *rep = sbuf_new();
	const uint8_t *p;
	size_t n;
	int r;

	if (req == NULL || rep == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = sbuf_put_string(req, input, input_len)) != 0 ||
	    (r = ipc_send(engine_sock, IPC_HOSTSIGN, req, -1)) != 0 ||
	    (r = sign_reply(rep)) != 0)
		goto out;
	if (sbuf_get_string_direct(rep, &p, &n) != 0 || sbuf_len(rep) != 0 ||
	    n == 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	if ((*blob = ssh_string_new(n)) == NULL ||
	    ssh_string_fill(*blob, p, n) != 0)
		r = SLUICE_ENOMEM;
out:
	sbuf_free(req);
	sbuf_free(rep);
	return r;
}

/* libssh's pki_sign_data(): the host key signs nothing here; the engine
 * does. hash_type is libssh's enum ssh_digest_e, which Ed25519 ignores. */
struct ssh_signature_struct *
__wrap_pki_sign_data(const ssh_key privkey, int hash_type,
    const unsigned char *input, size_t input_len)
{
	struct ssh_signature_struct *sig = NULL;
	ssh_string blob = NULL;
	int r;

	(void)hash_type;
	if (engine_sock == -1 || input == NULL)
		r = SLUICE_EINVAL;
	else if ((r = engine_sign(input, input_len, &blob)) == 0 &&
	    ssh_pki_import_signature_blob(blob, privkey, &sig) != SSH_OK)
		r = SLUICE_EPROTO;
	if (r != 0)
		log_warnx("session: the engine did not sign the key exchange: "
		    "%s", sluice_strerror(r));
	ssh_string_free(blob);
	return r == 0 ? sig : NULL;
}
