/* test_minisign.c: our keys and signatures against the stock minisign. */
#include <check.h>
#include <sodium.h>

#include "sluice/error.h"
#include "sluice/minisign.h"
#include "testutil.h"
#include "suite_run.h"

static char dir[64];
static const char message[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  "
    "extract.csv.age\n";
static const char trusted[] = "timestamp:1700000000\tfile:SHA256SUMS";

static void
path_of(char out[128], const char *name)
{
	ck_assert_int_eq(tu_path(out, 128, dir, name), 0);
}

struct keypair {
	struct sbuf		*pub, *sec;
	struct minisign_key	*key;
	struct minisign_pubkey	 pk;
};

static void
keypair_new(struct keypair *kp)
{
	char why[256] = "";

	kp->pub = sbuf_new();
	kp->sec = sbuf_new_secret();
	ck_assert_int_eq(minisign_keygen(kp->pub, kp->sec), 0);
	ck_assert_msg(minisign_key_load((char *)kp->sec->data, kp->sec->len,
	    &kp->key, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(minisign_pubkey_parse((char *)kp->pub->data,
	    kp->pub->len, &kp->pk, why, sizeof(why)), 0);
}

static void
keypair_free(struct keypair *kp)
{
	sbuf_free(kp->pub);
	sbuf_free(kp->sec);
	minisign_key_free(kp->key);
}

/* Writes message, signature and public key; runs minisign -Vm. */
static int
stock_verify(const struct keypair *kp, const char *msg, const struct sbuf *sig)
{
	char m[128], s[128], p[128];
	const char *argv[] = { "minisign", "-V", "-q", "-m", m, "-x", s, "-p", p,
	    NULL };

	path_of(m, "SHA256SUMS");
	path_of(s, "SHA256SUMS.minisig");
	path_of(p, "release.pub");
	ck_assert_int_eq(tu_write_file(m, msg, strlen(msg)), 0);
	ck_assert_int_eq(tu_write_file(s, sig->data, sig->len), 0);
	ck_assert_int_eq(tu_write_file(p, kp->pub->data, kp->pub->len), 0);
	return tu_run(argv, NULL, NULL);
}

START_TEST(test_public_key_text)
{
	struct keypair kp;
	char hex[17], want[64];
	const char *nl;

	keypair_new(&kp);
	minisign_keyid_hex(kp.pk.keyid, hex);
	(void)snprintf(want, sizeof(want),
	    "untrusted comment: minisign public key %s\n", hex);
	ck_assert_int_eq(strncmp((char *)kp.pub->data, want, strlen(want)), 0);
	nl = memchr(kp.pub->data + strlen(want), '\n',
	    kp.pub->len - strlen(want));
	ck_assert_ptr_nonnull(nl);
	/* base64 of "Ed" || keyid || pk: 42 bytes, 56 characters. */
	ck_assert_uint_eq((size_t)(nl - (char *)kp.pub->data) - strlen(want), 56);
	ck_assert_int_eq(strncmp((char *)kp.pub->data + strlen(want), "RW", 2), 0);
	ck_assert_uint_eq(kp.pub->len, strlen(want) + 57);
	keypair_free(&kp);
}
END_TEST

START_TEST(test_stock_verifies_ours)
{
	struct keypair kp;
	struct sbuf *sig = sbuf_new();
	char changed[sizeof(message)];

	keypair_new(&kp);
	ck_assert_int_eq(minisign_sign(kp.key, (const uint8_t *)message,
	    strlen(message), NULL, trusted, sig), 0);
	ck_assert_msg(stock_verify(&kp, message, sig) == 0,
	    "stock minisign -V refused our signature (or is missing)");
	memcpy(changed, message, sizeof(message));
	changed[0] = '1';
	ck_assert_int_eq(stock_verify(&kp, changed, sig), 1);
	sbuf_free(sig);
	keypair_free(&kp);
}
END_TEST

START_TEST(test_our_verifier)
{
	struct keypair kp, other;
	struct sbuf *sig = sbuf_new();
	char why[256] = "", tc[256] = "", *t;

	keypair_new(&kp);
	keypair_new(&other);
	ck_assert_int_eq(minisign_sign(kp.key, (const uint8_t *)message,
	    strlen(message), "signature from sluice", trusted, sig), 0);
	ck_assert_int_eq(minisign_verify(&kp.pk, (const uint8_t *)message,
	    strlen(message), (char *)sig->data, sig->len, tc, sizeof(tc), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(tc, trusted);
	/* Changed message. */
	ck_assert_int_eq(minisign_verify(&kp.pk, (const uint8_t *)message,
	    strlen(message) - 1, (char *)sig->data, sig->len, NULL, 0, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "minisign signature does not verify");
	/* Another key. */
	ck_assert_int_eq(minisign_verify(&other.pk, (const uint8_t *)message,
	    strlen(message), (char *)sig->data, sig->len, NULL, 0, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "minisign signature was made by another key");
	/* Trusted comment edited (the same length). */
	t = strstr((char *)sig->data, "timestamp:17");
	ck_assert_ptr_nonnull(t);
	t[11] = '8';
	ck_assert_int_eq(minisign_verify(&kp.pk, (const uint8_t *)message,
	    strlen(message), (char *)sig->data, sig->len, NULL, 0, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "minisign trusted comment signature does not "
	    "verify");
	t[11] = '7';
	/* Signature line damaged. */
	t = strchr((char *)sig->data, '\n') + 20;
	*t = *t == 'A' ? 'B' : 'A';
	ck_assert_int_eq(minisign_verify(&kp.pk, (const uint8_t *)message,
	    strlen(message), (char *)sig->data, sig->len, NULL, 0, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_int_eq(minisign_verify(&kp.pk, (const uint8_t *)message,
	    strlen(message), "garbage", 7, NULL, 0, why, sizeof(why)),
	    SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a minisign signature file");
	ck_assert_int_eq(minisign_sign(kp.key, (const uint8_t *)message, 1, NULL,
	    "two\nlines", sig), SLUICE_EINVAL);
	sbuf_free(sig);
	keypair_free(&kp);
	keypair_free(&other);
}
END_TEST

/* Stock minisign signs with our secret key file; we verify. */
START_TEST(test_stock_signs_with_our_key)
{
	struct keypair kp;
	char m[128], s[128], k[128], why[256] = "", tc[64] = "";
	const char *argv[] = { "minisign", "-S", "-s", k, "-m", m, "-x", s,
	    "-t", "stock", NULL };
	uint8_t *sig;
	size_t n;

	keypair_new(&kp);
	path_of(m, "msg");
	path_of(s, "msg.minisig");
	path_of(k, "release.key");
	ck_assert_int_eq(tu_write_file(m, message, strlen(message)), 0);
	ck_assert_int_eq(tu_write_file(k, kp.sec->data, kp.sec->len), 0);
	ck_assert_msg(tu_run(argv, NULL, NULL) == 0,
	    "stock minisign -S refused our secret key (or is missing)");
	ck_assert_int_eq(tu_read_file(s, &sig, &n), 0);
	ck_assert_msg(minisign_verify(&kp.pk, (const uint8_t *)message,
	    strlen(message), (char *)sig, n, tc, sizeof(tc), why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(tc, "stock");
	free(sig);
	keypair_free(&kp);
}
END_TEST

/* A key made by stock minisign -G -W loads and signs for stock -V. */
START_TEST(test_stock_key_loads)
{
	struct keypair kp;
	char p[128], k[128], why[256] = "";
	const char *argv[] = { "minisign", "-G", "-W", "-p", p, "-s", k, NULL };
	struct sbuf *sig = sbuf_new();
	uint8_t *text;
	size_t n;

	path_of(p, "stock.pub");
	path_of(k, "stock.key");
	ck_assert_msg(tu_run(argv, NULL, NULL) == 0, "stock minisign -G failed");
	ck_assert_int_eq(tu_read_file(k, &text, &n), 0);
	ck_assert_msg(minisign_key_load((char *)text, n, &kp.key, why,
	    sizeof(why)) == 0, "%s", why);
	free(text);
	ck_assert_int_eq(tu_read_file(p, &text, &n), 0);
	ck_assert_int_eq(minisign_pubkey_parse((char *)text, n, &kp.pk, why,
	    sizeof(why)), 0);
	kp.pub = sbuf_new();
	ck_assert_int_eq(sbuf_put(kp.pub, text, n), 0);
	kp.sec = NULL;
	free(text);
	ck_assert_int_eq(minisign_sign(kp.key, (const uint8_t *)message,
	    strlen(message), NULL, trusted, sig), 0);
	ck_assert_int_eq(stock_verify(&kp, message, sig), 0);
	sbuf_free(sig);
	keypair_free(&kp);
}
END_TEST

START_TEST(test_bad_keys)
{
	struct minisign_key *k = (void *)1;
	struct minisign_pubkey pk;
	char why[256] = "";
	struct keypair kp;
	char *t;

	ck_assert_int_eq(minisign_key_load("x\n", 2, &k, why, sizeof(why)),
	    SLUICE_EFORMAT);
	ck_assert_ptr_null(k);
	ck_assert_str_eq(why, "not a minisign secret key file");
	ck_assert_int_eq(minisign_pubkey_parse("RWQ", 3, &pk, why, sizeof(why)),
	    SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a minisign public key");
	/* A damaged secret key fails its checksum. */
	keypair_new(&kp);
	t = strchr((char *)kp.sec->data, '\n') + 1 + 100;
	*t = *t == 'A' ? 'B' : 'A';
	ck_assert_int_eq(minisign_key_load((char *)kp.sec->data, kp.sec->len, &k,
	    why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "minisign secret key checksum does not match");
	keypair_free(&kp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("minisign");
	TCase *tc = tcase_create("core");
	int status;

	if (sodium_init() < 0 || tu_mkdtemp(dir) != 0) {
		fprintf(stderr, "test_minisign: setup failed\n");
		return 1;
	}
	tcase_add_test(tc, test_public_key_text);
	tcase_add_test(tc, test_stock_verifies_ours);
	tcase_add_test(tc, test_our_verifier);
	tcase_add_test(tc, test_stock_signs_with_our_key);
	tcase_add_test(tc, test_stock_key_loads);
	tcase_add_test(tc, test_bad_keys);
	suite_add_tcase(s, tc);
	status = suite_run(s);
	tu_rmrf(dir);
	return status;
}
