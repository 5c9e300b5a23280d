/*
 * test_age_opener.c: opening an age payload as its ciphertext arrives
 * (age_opener_*): the same plaintext, SHA-256 and length as
 * age_payload_decrypt() whatever the pieces (1 byte, a chunk and one byte,
 * a chunk less one, the whole), nothing handed on before it verified, and
 * the same refusals, with the same words, for a flipped bit, a truncation,
 * trailing data and a missing nonce; a failed write of plaintext is
 * returned as it is; nothing is taken after a refusal or after final.
 */
#include <check.h>
#include <sodium.h>

#include "sluice/age.h"
#include "sluice/error.h"
#include "testutil.h"
#include "suite_run.h"

static char dir[64];
static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536,
    1048576 + 123 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
/* Piece sizes, cycled: around the nonce and around a chunk (65552). */
static const size_t pieces[] = { 1, 7, 16, 65551, 65552, 65553, 200000, 3 };
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))

struct sink {
	struct sbuf	*got;
	size_t		 calls;
	int		 fail;		/* emit returns this (0: takes it) */
};

static int
emit(void *arg, const uint8_t *p, size_t n)
{
	struct sink *k = arg;

	k->calls++;
	if (k->fail != 0)
		return k->fail;
	return sbuf_put(k->got, p, n);
}

/* size bytes of a pattern, and their payload under file key fk. */
static void
payload(size_t size, uint8_t fk[AGE_FILE_KEY_LEN], uint8_t **plain,
    uint8_t **cipher, size_t *clen)
{
	char in[128], out[128];
	uint64_t pl, cl;
	size_t n;
	int ifd, ofd;

	ck_assert_int_eq(tu_path(in, sizeof(in), dir, "plain"), 0);
	ck_assert_int_eq(tu_path(out, sizeof(out), dir, "payload"), 0);
	ck_assert_int_eq(tu_pattern_file(in, size, 7), 0);
	ck_assert_int_eq(age_file_key_new(fk), 0);
	ck_assert_int_ge(ifd = open(in, O_RDONLY), 0);
	ck_assert_int_ge(ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_int_eq(age_payload_encrypt(ifd, ofd, fk, NULL, &pl, &cl), 0);
	close(ifd);
	close(ofd);
	ck_assert_int_eq(tu_read_file(in, plain, &n), 0);
	ck_assert_uint_eq(n, size);
	ck_assert_int_eq(tu_read_file(out, cipher, clen), 0);
	ck_assert_uint_eq(*clen, cl);
}

/* Feeds c[0..n) in the pieces above, starting at pieces[first]. */
static int
feed(struct age_opener *u, const uint8_t *c, size_t n, size_t first,
    char *why, size_t whylen)
{
	size_t i = first, k;
	int r = 0;

	while (n > 0 && r == 0) {
		k = pieces[i++ % NPIECES];
		if (k > n)
			k = n;
		r = age_opener_update(u, c, k, why, whylen);
		c += k;
		n -= k;
	}
	return r;
}

START_TEST(test_pieces)
{
	size_t size = sizes[_i % NSIZES], clen;
	uint8_t fk[AGE_FILE_KEY_LEN], *plain, *cipher, sha[32], want[32];
	struct sink k = { sbuf_new(), 0, 0 };
	struct age_opener *u = NULL;
	char why[256] = "";
	uint64_t plen = 99;

	payload(size, fk, &plain, &cipher, &clen);
	ck_assert_int_eq(age_opener_new(fk, emit, &k, &u), 0);
	ck_assert_msg(feed(u, cipher, clen, (size_t)_i / NSIZES, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_msg(age_opener_final(u, sha, &plen, why, sizeof(why)) == 0,
	    "%s", why);
	ck_assert_uint_eq(plen, size);
	ck_assert_uint_eq(sbuf_len(k.got), size);
	ck_assert(size == 0 || memcmp(sbuf_ptr(k.got), plain, size) == 0);
	crypto_hash_sha256(want, plain, size);
	ck_assert_mem_eq(sha, want, 32);
	/* one call per chunk: an empty file has one empty last chunk */
	ck_assert_uint_eq(k.calls, size == 0 ? 1 : (size + 65535) / 65536);
	ck_assert_int_eq(age_opener_update(u, cipher, 1, why, sizeof(why)),
	    SLUICE_ESTATE);
	age_opener_free(u);
	sbuf_free(k.got);
	free(plain);
	free(cipher);
}
END_TEST

/* The result of feeding c[0..n) whole, then final; why gets the reason. */
static int
unseal_all(const uint8_t fk[AGE_FILE_KEY_LEN], const uint8_t *c, size_t n,
    struct sink *k, char *why, size_t whylen)
{
	struct age_opener *u = NULL;
	int r;

	ck_assert_int_eq(age_opener_new(fk, emit, k, &u), 0);
	if ((r = age_opener_update(u, c, n, why, whylen)) == 0)
		r = age_opener_final(u, NULL, NULL, why, whylen);
	age_opener_free(u);
	return r;
}

static void
expect_refused(const uint8_t fk[AGE_FILE_KEY_LEN], const uint8_t *c,
    size_t n, int code, const char *reason, size_t emitted)
{
	struct sink k = { sbuf_new(), 0, 0 };
	char why[256] = "";

	ck_assert_int_eq(unseal_all(fk, c, n, &k, why, sizeof(why)), code);
	ck_assert_str_eq(why, reason);
	ck_assert_uint_eq(k.calls, emitted);
	sbuf_free(k.got);
}

START_TEST(test_refusals)
{
	uint8_t fk[AGE_FILE_KEY_LEN], *plain, *c, *q;
	size_t n;

	payload(2 * 65536, fk, &plain, &c, &n);
	q = malloc(n + 1);
	memcpy(q, c, n);
	q[16 + 65552 + 10] ^= 0x01;	/* chunk 1: chunk 0 was handed on */
	expect_refused(fk, q, n, SLUICE_EVERIFY,
	    "age payload is truncated or its last chunk fails authentication",
	    1);
	memcpy(q, c, n);
	q[16 + 5] ^= 0x80;
	expect_refused(fk, q, n, SLUICE_EVERIFY,
	    "age payload chunk 0 fails authentication", 0);
	expect_refused(fk, c, n - 1, SLUICE_EVERIFY,
	    "age payload is truncated or its last chunk fails authentication",
	    1);
	memcpy(q, c, n);
	q[n] = 'x';
	expect_refused(fk, q, n + 1, SLUICE_EFORMAT,
	    "trailing data after the age payload", 1);
	expect_refused(fk, c, 10, SLUICE_EFORMAT,
	    "age payload is truncated (no nonce)", 0);
	expect_refused(fk, c, 16 + 10, SLUICE_EFORMAT,
	    "age payload is truncated", 0);
	free(q);
	free(plain);
	free(c);
}
END_TEST

START_TEST(test_write_fails)
{
	uint8_t fk[AGE_FILE_KEY_LEN], *plain, *c;
	struct sink k = { sbuf_new(), 0, SLUICE_EIO };
	struct age_opener *u = NULL;
	char why[256] = "";
	size_t n;

	payload(3 * 65536, fk, &plain, &c, &n);
	ck_assert_int_eq(age_opener_new(fk, emit, &k, &u), 0);
	ck_assert_int_eq(age_opener_update(u, c, n, why, sizeof(why)),
	    SLUICE_EIO);
	ck_assert_str_eq(why, "cannot write plaintext");
	ck_assert_uint_eq(k.calls, 1);
	ck_assert_int_eq(age_opener_final(u, NULL, NULL, why, sizeof(why)),
	    SLUICE_ESTATE);
	age_opener_free(u);
	age_opener_free(NULL);
	sbuf_free(k.got);
	free(plain);
	free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("age_opener");
	TCase *tc = tcase_create("core");
	int status;

	if (sodium_init() < 0 || tu_mkdtemp(dir) != 0)
		return 1;
	tcase_add_loop_test(tc, test_pieces, 0, (int)(NSIZES * NPIECES));
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_write_fails);
	suite_add_tcase(s, tc);
	status = suite_run(s);
	tu_rmrf(dir);
	return status;
}
