/*
 * test_sshverify.c: SSH signatures checked against SSH public key blobs, for
 * every algorithm sluice accepts, with keys and signatures made here by
 * OpenSSL and encoded as an SSH client sends them; and the refusals, with
 * their exact codes and reasons.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "sluice/sshverify.h"
#include "suite_run.h"

static const char MSG[] = "the bytes a client signs";

struct testkey {
	EVP_PKEY	*pk;
	const char	*type;		/* key type name */
	const char	*curve;		/* ECDSA: the SSH curve name */
	struct sbuf	*blob;
};

static void
put_bn(struct sbuf *b, const BIGNUM *bn)
{
	uint8_t buf[1 + 2048];
	int n = BN_num_bytes(bn);

	ck_assert(n > 0 && (size_t)n < sizeof(buf));
	buf[0] = 0;
	ck_assert_int_eq(BN_bn2bin(bn, buf + 1), n);
	/* an mpint: a leading zero only when the top bit is set */
	if (buf[1] & 0x80)
		ck_assert(sbuf_put_string(b, buf, (size_t)n + 1) == 0);
	else
		ck_assert(sbuf_put_string(b, buf + 1, (size_t)n) == 0);
}

static void
blob_rsa(struct testkey *k)
{
	BIGNUM *n = NULL, *e = NULL;

	ck_assert(EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_RSA_N, &n) == 1);
	ck_assert(EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_RSA_E, &e) == 1);
	put_bn(k->blob, e);
	put_bn(k->blob, n);
	BN_free(n);
	BN_free(e);
}

static void
blob_point(struct testkey *k)
{
	uint8_t q[256];
	size_t n = 0;

	ck_assert(EVP_PKEY_get_octet_string_param(k->pk,
	    OSSL_PKEY_PARAM_PUB_KEY, q, sizeof(q), &n) == 1);
	if (k->curve != NULL)
		ck_assert(sbuf_put_cstring(k->blob, k->curve) == 0);
	ck_assert(sbuf_put_string(k->blob, q, n) == 0);
}

/* A new key of OpenSSL's kind and parameter, and its SSH wire blob. */
static struct testkey
key_new(const char *type, const char *curve)
{
	struct testkey k = { NULL, type, curve, sbuf_new() };

	if (strcmp(type, "ssh-rsa") == 0)
		k.pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else if (strcmp(type, "ssh-ed25519") == 0)
		k.pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		k.pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
		    strcmp(curve, "nistp256") == 0 ? "P-256" :
		    strcmp(curve, "nistp384") == 0 ? "P-384" : "P-521");
	ck_assert_ptr_nonnull(k.pk);
	ck_assert(sbuf_put_cstring(k.blob, type) == 0);
	if (strcmp(type, "ssh-rsa") == 0)
		blob_rsa(&k);
	else
		blob_point(&k);
	return k;
}

static void
key_free(struct testkey *k)
{
	EVP_PKEY_free(k->pk);
	sbuf_free(k->blob);
}

/* OpenSSL's DER (r, s) as SSH's string of mpint r, mpint s. */
static void
put_ecdsa(struct sbuf *b, const uint8_t *der, size_t derlen)
{
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	struct sbuf *inner = sbuf_new();

	ck_assert_ptr_nonnull(es);
	put_bn(inner, ECDSA_SIG_get0_r(es));
	put_bn(inner, ECDSA_SIG_get0_s(es));
	ck_assert(sbuf_put_string(b, sbuf_ptr(inner), sbuf_len(inner)) == 0);
	sbuf_free(inner);
	ECDSA_SIG_free(es);
}

/* The signature blob by k over data with alg (digest: OpenSSL's name). */
static struct sbuf *
sign(const struct testkey *k, const char *alg, const char *digest,
    const void *data, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct sbuf *b = sbuf_new();
	uint8_t raw[1024];
	size_t rawlen = sizeof(raw);

	ck_assert(EVP_DigestSignInit_ex(md, NULL, digest, NULL, NULL, k->pk,
	    NULL) == 1);
	ck_assert(EVP_DigestSign(md, raw, &rawlen, data, len) == 1);
	ck_assert(sbuf_put_cstring(b, alg) == 0);
	if (strncmp(alg, "ecdsa-", 6) == 0)
		put_ecdsa(b, raw, rawlen);
	else
		ck_assert(sbuf_put_string(b, raw, rawlen) == 0);
	EVP_MD_CTX_free(md);
	return b;
}

static int
verify(const struct testkey *k, const char *alg, const struct sbuf *sig,
    const void *data, size_t len, char *why, size_t whylen)
{
	why[0] = '\0';
	return sshverify(sbuf_ptr(k->blob), sbuf_len(k->blob), alg,
	    sbuf_ptr(sig), sbuf_len(sig), data, len, why, whylen);
}

/* k signs MSG with alg: it verifies; over other bytes it does not. */
static void
round_trip(const char *type, const char *curve, const char *alg,
    const char *digest)
{
	struct testkey k = key_new(type, curve);
	struct sbuf *sig = sign(&k, alg, digest, MSG, sizeof(MSG));
	char why[256], want[256];

	ck_assert_msg(verify(&k, alg, sig, MSG, sizeof(MSG), why,
	    sizeof(why)) == 0, "%s: %s", alg, why);
	ck_assert_int_eq(verify(&k, alg, sig, MSG, sizeof(MSG) - 1, why,
	    sizeof(why)), SLUICE_EVERIFY);
	(void)snprintf(want, sizeof(want), "%s signature does not verify", alg);
	ck_assert_str_eq(why, want);
	sbuf_free(sig);
	key_free(&k);
}

START_TEST(test_every_algorithm)
{
	round_trip("ssh-ed25519", NULL, "ssh-ed25519", NULL);
	round_trip("ecdsa-sha2-nistp256", "nistp256", "ecdsa-sha2-nistp256",
	    "SHA256");
	round_trip("ecdsa-sha2-nistp384", "nistp384", "ecdsa-sha2-nistp384",
	    "SHA384");
	round_trip("ecdsa-sha2-nistp521", "nistp521", "ecdsa-sha2-nistp521",
	    "SHA512");
	round_trip("ssh-rsa", NULL, "rsa-sha2-256", "SHA256");
	round_trip("ssh-rsa", NULL, "rsa-sha2-512", "SHA512");
}
END_TEST

static void
refused(const struct testkey *k, const char *alg, const struct sbuf *sig,
    int code, const char *reason)
{
	char why[256];

	ck_assert_int_eq(verify(k, alg, sig, MSG, sizeof(MSG), why,
	    sizeof(why)), code);
	ck_assert_str_eq(why, reason);
}

/* Algorithms: SHA-1 RSA and unknown ones refused; the algorithm must suit
 * the key and be the one the signature blob names. */
START_TEST(test_algorithm_refusals)
{
	struct testkey rsa = key_new("ssh-rsa", NULL);
	struct testkey ed = key_new("ssh-ed25519", NULL);
	struct sbuf *s1 = sign(&rsa, "ssh-rsa", "SHA1", MSG, sizeof(MSG));
	struct sbuf *s256 = sign(&rsa, "rsa-sha2-256", "SHA256", MSG,
	    sizeof(MSG));
	struct sbuf *sed = sign(&ed, "ssh-ed25519", NULL, MSG, sizeof(MSG));

	refused(&rsa, "ssh-rsa", s1, SLUICE_EDENIED,
	    "signature algorithm refused");
	refused(&rsa, "ssh-dss", s1, SLUICE_EDENIED,
	    "signature algorithm refused");
	refused(&rsa, "rsa-sha2-512", s256, SLUICE_EDENIED,
	    "signature made with another algorithm than rsa-sha2-512");
	refused(&ed, "ecdsa-sha2-nistp256", sed, SLUICE_EDENIED,
	    "signature algorithm ecdsa-sha2-nistp256 does not suit a "
	    "ssh-ed25519 key");
	refused(&rsa, "ssh-ed25519", sed, SLUICE_EDENIED,
	    "signature algorithm ssh-ed25519 does not suit a ssh-rsa key");
	sbuf_free(s1);
	sbuf_free(s256);
	sbuf_free(sed);
	key_free(&rsa);
	key_free(&ed);
}
END_TEST

/* A signature blob with bytes after it, or with a malformed body. */
START_TEST(test_malformed)
{
	struct testkey ec = key_new("ecdsa-sha2-nistp256", "nistp256");
	struct testkey ed = key_new("ssh-ed25519", NULL);
	struct sbuf *sed = sign(&ed, "ssh-ed25519", NULL, MSG, sizeof(MSG));
	struct sbuf *bad = sbuf_new();
	const uint8_t zero_r[] = { 0, 0, 0, 2, 0, 1, 0, 0, 0, 1, 1 };

	ck_assert(sbuf_put_u8(sed, 0) == 0);
	refused(&ed, "ssh-ed25519", sed, SLUICE_EFORMAT,
	    "malformed signature blob");
	/* r = 1 with a needless leading zero */
	ck_assert(sbuf_put_cstring(bad, "ecdsa-sha2-nistp256") == 0 &&
	    sbuf_put_string(bad, zero_r, sizeof(zero_r)) == 0);
	refused(&ec, "ecdsa-sha2-nistp256", bad, SLUICE_EFORMAT,
	    "malformed ecdsa-sha2-nistp256 signature");
	sbuf_reset(bad);
	ck_assert(sbuf_put_cstring(bad, "ssh-ed25519") == 0 &&
	    sbuf_put_string(bad, zero_r, sizeof(zero_r)) == 0);
	refused(&ed, "ssh-ed25519", bad, SLUICE_EFORMAT,
	    "malformed ssh-ed25519 signature");
	sbuf_free(sed);
	sbuf_free(bad);
	key_free(&ec);
	key_free(&ed);
}
END_TEST

/* An RSA signature whose first byte is zero, sent without it (as some
 * clients do), still verifies; one longer than the modulus is malformed. */
START_TEST(test_rsa_lengths)
{
	struct testkey k = key_new("ssh-rsa", NULL);
	struct sbuf *sig = NULL, *cut = sbuf_new();
	const uint8_t *p;
	size_t n = 0;
	uint32_t i;
	char why[256], data[32];

	for (i = 0; i < 8192; i++) {
		sbuf_free(sig);
		(void)snprintf(data, sizeof(data), "message %u", i);
		sig = sign(&k, "rsa-sha2-256", "SHA256", data, strlen(data));
		p = sbuf_ptr(sig) + 4 + strlen("rsa-sha2-256");
		n = sbuf_peek_u32(p);
		if (p[4] == 0)
			break;
	}
	ck_assert_msg(i < 8192, "no signature with a leading zero");
	ck_assert(sbuf_put_cstring(cut, "rsa-sha2-256") == 0 &&
	    sbuf_put_string(cut, p + 5, n - 1) == 0);
	ck_assert_msg(verify(&k, "rsa-sha2-256", cut, data, strlen(data), why,
	    sizeof(why)) == 0, "%s", why);
	sbuf_reset(cut);
	ck_assert(sbuf_put_cstring(cut, "rsa-sha2-256") == 0 &&
	    sbuf_put_u32(cut, (uint32_t)n + 1) == 0 && sbuf_put_u8(cut, 0) == 0 &&
	    sbuf_put(cut, p + 4, n) == 0);
	ck_assert_int_eq(verify(&k, "rsa-sha2-256", cut, data, strlen(data), why,
	    sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "malformed rsa-sha2-256 signature");
	sbuf_free(sig);
	sbuf_free(cut);
	key_free(&k);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sshverify");
	TCase *tc = tcase_create("sshverify");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_every_algorithm);
	tcase_add_test(tc, test_algorithm_refusals);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_rsa_lengths);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(suite());
}
