/* sshverify.c: an SSH signature over some bytes, checked against a key. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "sluice/sshkey.h"
#include "sluice/sshverify.h"

#define ECDSA_MPINT_MAX	67	/* a P-521 scalar (66 bytes) and a sign byte */

static const struct sig_alg {
	const char	*name;
	enum sshkey_type key;
	const char	*digest;	/* OpenSSL's name; NULL: Ed25519 */
} sig_algs[] = {
	{ "ssh-ed25519", SSHKEY_ED25519, NULL },
	{ "ecdsa-sha2-nistp256", SSHKEY_ECDSA_P256, "SHA256" },
	{ "ecdsa-sha2-nistp384", SSHKEY_ECDSA_P384, "SHA384" },
	{ "ecdsa-sha2-nistp521", SSHKEY_ECDSA_P521, "SHA512" },
	{ "rsa-sha2-256", SSHKEY_RSA, "SHA256" },
	{ "rsa-sha2-512", SSHKEY_RSA, "SHA512" },
};

static const struct sig_alg *
alg_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (strcmp(sig_algs[i].name, name) == 0)
			return &sig_algs[i];
	return NULL;
}

/* EVP's verdict on a DER or PKCS#1 signature over data. */
static int
evp_verify(EVP_PKEY *pk, const char *digest, int rsa, const uint8_t *sig,
    size_t siglen, const uint8_t *data, size_t datalen)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int r = SLUICE_EVERIFY;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return SLUICE_ENOMEM;
	if (EVP_DigestVerifyInit_ex(md, &pctx, digest, NULL, NULL, pk,
	    NULL) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1))
		r = SLUICE_ECRYPTO;
	else if (EVP_DigestVerify(md, sig, siglen, data, datalen) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	return r;
}

static int
ed25519_verify(const uint8_t *key, size_t keylen, const uint8_t *raw,
    size_t rawlen, const uint8_t *data, size_t datalen)
{
	uint8_t pk[32];

	if (rawlen != crypto_sign_BYTES)
		return SLUICE_EFORMAT;
	if (sshkey_ed25519_pk(key, keylen, pk) != 0)
		return SLUICE_EFORMAT;
	if (crypto_sign_verify_detached(raw, data, datalen, pk) != 0)
		return SLUICE_EVERIFY;
	return 0;
}

/* A positive, minimally encoded mpint of at most ECDSA_MPINT_MAX bytes. */
static BIGNUM *
get_scalar(struct sbuf *b)
{
	const uint8_t *p;
	size_t n;

	if (sbuf_get_string_direct(b, &p, &n) != 0 || n == 0 ||
	    n > ECDSA_MPINT_MAX || (p[0] & 0x80) ||
	    (p[0] == 0 && (n < 2 || (p[1] & 0x80) == 0)))
		return NULL;
	return BN_bin2bn(p, (int)n, NULL);
}

/* The SSH form (string holding mpint r, mpint s) as DER, for OpenSSL. */
static int
ecdsa_der(const uint8_t *raw, size_t rawlen, uint8_t **der, int *derlen)
{
	struct sbuf b;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = SLUICE_EFORMAT;

	*der = NULL;
	sbuf_view(&b, raw, rawlen);
	if ((r = get_scalar(&b)) == NULL || (s = get_scalar(&b)) == NULL ||
	    sbuf_len(&b) != 0)
		goto out;
	rc = SLUICE_ENOMEM;
	if ((es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;	/* es owns them */
	if ((*derlen = i2d_ECDSA_SIG(es, der)) > 0)
		rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

static int
ecdsa_verify(const struct sig_alg *a, const uint8_t *key, size_t keylen,
    const uint8_t *raw, size_t rawlen, const uint8_t *data, size_t datalen)
{
	EVP_PKEY *pk = NULL;
	uint8_t *der = NULL;
	int derlen = 0, r;

	if ((r = ecdsa_der(raw, rawlen, &der, &derlen)) == 0 &&
	    (r = sshkey_ecdsa_pkey(key, keylen, &pk)) == 0)
		r = evp_verify(pk, a->digest, 0, der, (size_t)derlen, data,
		    datalen);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return r;
}

/* PKCS#1 v1.5; a signature shorter than the modulus is padded with zeros
 * on the left, as OpenSSH does. */
static int
rsa_verify(const struct sig_alg *a, const uint8_t *key, size_t keylen,
    const uint8_t *raw, size_t rawlen, const uint8_t *data, size_t datalen)
{
	uint8_t sig[SSHKEY_RSA_MAX_BITS / 8];
	EVP_PKEY *pk = NULL;
	size_t modlen;
	unsigned bits;
	int r;

	if ((r = sshkey_rsa_pkey(key, keylen, &pk, &bits)) != 0)
		goto out;
	modlen = (bits + 7) / 8;
	r = SLUICE_EFORMAT;
	if (rawlen == 0 || rawlen > modlen || modlen > sizeof(sig))
		goto out;
	memset(sig, 0, modlen - rawlen);
	memcpy(sig + (modlen - rawlen), raw, rawlen);
	r = evp_verify(pk, a->digest, 1, sig, modlen, data, datalen);
out:
	EVP_PKEY_free(pk);
	return r;
}

/* The signature blob: its algorithm must be alg; *raw the signature. */
static int
sig_parse(const struct sig_alg *a, const uint8_t *sig, size_t siglen,
    const uint8_t **raw, size_t *rawlen, char *why, size_t whylen)
{
	struct sbuf b;
	const uint8_t *name;
	size_t namelen;

	sbuf_view(&b, sig, siglen);
	if (sbuf_get_string_direct(&b, &name, &namelen) != 0 ||
	    sbuf_get_string_direct(&b, raw, rawlen) != 0 || sbuf_len(&b) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "malformed signature blob");
	if (namelen != strlen(a->name) || memcmp(name, a->name, namelen) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signature made with another algorithm than %s", a->name);
	return 0;
}

/* Whether the key blob names type t; the key itself is checked where it
 * is used (sshkey_ed25519_pk, sshkey_ecdsa_pkey, sshkey_rsa_pkey). */
static int
key_names(const uint8_t *key, size_t keylen, enum sshkey_type t)
{
	struct sbuf b;
	const uint8_t *name;
	size_t n;
	const char *want = sshkey_type_name(t);

	sbuf_view(&b, key, keylen);
	return sbuf_get_string_direct(&b, &name, &n) == 0 &&
	    n == strlen(want) && memcmp(name, want, n) == 0;
}

/* The algorithm, known and suited to the key's type. */
static int
alg_check(const char *alg, const uint8_t *key, size_t keylen,
    const struct sig_alg **a, char *why, size_t whylen)
{
	size_t i;

	if ((*a = alg_find(alg)) == NULL)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signature algorithm refused");
	if (key_names(key, keylen, (*a)->key))
		return 0;
	for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (key_names(key, keylen, sig_algs[i].key))
			return sluice_why(why, whylen, SLUICE_EDENIED,
			    "signature algorithm %s does not suit a %s key",
			    alg, sshkey_type_name(sig_algs[i].key));
	return sluice_why(why, whylen, SLUICE_EFORMAT, "malformed key blob");
}

int
sshverify(const uint8_t *key, size_t keylen, const char *alg,
    const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen,
    char *why, size_t whylen)
{
	const struct sig_alg *a;
	const uint8_t *raw;
	size_t rawlen;
	int r;

	if ((r = alg_check(alg, key, keylen, &a, why, whylen)) != 0 ||
	    (r = sig_parse(a, sig, siglen, &raw, &rawlen, why, whylen)) != 0)
		return r;
	if (a->key == SSHKEY_ED25519)
		r = ed25519_verify(key, keylen, raw, rawlen, data, datalen);
	else if (a->key == SSHKEY_RSA)
		r = rsa_verify(a, key, keylen, raw, rawlen, data, datalen);
	else
		r = ecdsa_verify(a, key, keylen, raw, rawlen, data, datalen);
	if (r == SLUICE_EFORMAT)
		return sluice_why(why, whylen, r, "malformed %s signature",
		    a->name);
	if (r != 0)
		return sluice_why(why, whylen, r, "%s signature does not verify",
		    a->name);
	return 0;
}
