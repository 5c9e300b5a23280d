/* test_age.c: age v1 interop with stock age/age-keygen, both directions. */
#include <check.h>
#include <sodium.h>

#include "sluice/age.h"
#include "sluice/error.h"
#include "sluice/sanitizer.h"
#include "sluice/sshkey.h"
#include "testutil.h"
#include "suite_run.h"

#ifdef SLUICE_ASAN
#include <sanitizer/lsan_interface.h>
#endif

static char dir[64];
static char x25519_rcpt[AGE_RECIPIENT_STRLEN + 1];

enum kind { K_X25519, K_ED25519, K_RSA, NKINDS };
static const char *const key_file[NKINDS] = { "x.key", "ed", "rsa" };
static const char *const pub_file[NKINDS] = { NULL, "ed.pub", "rsa.pub" };
static const size_t sizes[] = { 0, 1, 65536, 65537, 1048576 + 123 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void
path_of(char out[128], const char *name)
{
	ck_assert_int_eq(tu_path(out, 128, dir, name), 0);
}

static int
setup_keys(void)
{
	char path[128], line[256];
	const char *ed[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
	    "-f", NULL, NULL };
	const char *rsa[] = { "ssh-keygen", "-q", "-t", "rsa", "-b", "3072",
	    "-N", "", "-f", NULL, NULL };
	const char *agek[] = { "age-keygen", "-o", NULL, NULL };
	char p1[128], p2[128], p3[128];
	FILE *f;
	int ok = 0;

	if (tu_path(p1, 128, dir, "ed") || tu_path(p2, 128, dir, "rsa") ||
	    tu_path(p3, 128, dir, "x.key"))
		return -1;
	ed[7] = p1;
	rsa[9] = p2;
	agek[2] = p3;
	if (tu_run(ed, NULL, NULL) != 0 || tu_run(rsa, NULL, NULL) != 0 ||
	    tu_run(agek, NULL, NULL) != 0)
		return -1;
	(void)snprintf(path, sizeof(path), "%s", p3);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "# public key: %62s", x25519_rcpt) == 1)
			ok = 1;
	fclose(f);
	return ok ? 0 : -1;
}

static void
load_recipient(enum kind k, struct age_recipient *r)
{
	char path[128], why[256] = "";
	struct sshkey_pub *pk = NULL;
	uint8_t *text;
	size_t n;

	if (k == K_X25519) {
		ck_assert_int_eq(age_recipient_parse_age1(x25519_rcpt, r, why,
		    sizeof(why)), 0);
		return;
	}
	path_of(path, pub_file[k]);
	ck_assert_int_eq(tu_read_file(path, &text, &n), 0);
	ck_assert_int_eq(sshkey_pub_parse((char *)text, &pk, why, sizeof(why)), 0);
	ck_assert_msg(age_recipient_from_ssh(pk->blob, pk->bloblen, r, why,
	    sizeof(why)) == 0, "%s", why);
	sshkey_pub_free(pk);
	free(text);
}

static struct age_identity *
load_identity(enum kind k)
{
	struct age_identity *id = NULL;
	char path[128], why[256] = "";
	uint8_t *text;
	size_t n;

	path_of(path, key_file[k]);
	ck_assert_int_eq(tu_read_file(path, &text, &n), 0);
	ck_assert_msg(age_identity_parse((char *)text, n, &id, why,
	    sizeof(why)) == 0, "%s", why);
	sodium_memzero(text, n);
	free(text);
	return id;
}

static void
file_sha256(const char *path, uint8_t h[32])
{
	uint8_t *p;
	size_t n;

	ck_assert_int_eq(tu_read_file(path, &p, &n), 0);
	crypto_hash_sha256(h, p, n);
	free(p);
}

/* Header for r[0..n) then the payload of in_path, into out_path. */
static void
our_encrypt(const struct age_recipient *r, size_t n, const char *in_path,
    const char *out_path, uint64_t *plain)
{
	uint8_t fk[AGE_FILE_KEY_LEN], seed[AGE_SEED_LEN], sha[32], want[32];
	struct sbuf *hdr = sbuf_new();
	uint64_t cipher = 0;
	struct stat sb;
	int in, out;

	ck_assert_int_eq(age_file_key_new(fk), 0);
	randombytes_buf(seed, sizeof(seed));
	ck_assert_int_eq(age_header_build(fk, r, n, seed, hdr), 0);
	ck_assert_int_ge(in = open(in_path, O_RDONLY), 0);
	ck_assert_int_ge(out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	ck_assert_int_eq(write(out, hdr->data, hdr->len), (ssize_t)hdr->len);
	ck_assert_int_eq(age_payload_encrypt(in, out, fk, sha, plain, &cipher), 0);
	close(in);
	close(out);
	ck_assert_uint_eq(cipher, age_payload_size(*plain));
	ck_assert_int_eq(stat(out_path, &sb), 0);
	ck_assert_uint_eq((uint64_t)sb.st_size, hdr->len + cipher);
	file_sha256(in_path, want);
	ck_assert_mem_eq(sha, want, 32);
	sbuf_free(hdr);
}

static int
our_decrypt(const struct age_identity *id, const char *in_path,
    const char *out_path, char *why, size_t whylen, uint64_t *plain)
{
	uint8_t sha[32];
	int in, out, r;

	ck_assert_int_ge(in = open(in_path, O_RDONLY), 0);
	ck_assert_int_ge(out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	r = age_decrypt(in, out, id, sha, plain, why, whylen);
	close(in);
	close(out);
	return r;
}

START_TEST(test_ours_to_stock_age)
{
	enum kind k = (enum kind)(_i / (int)NSIZES);
	size_t size = sizes[_i % (int)NSIZES];
	char in[128], enc[128], dec[128], key[128];
	struct age_recipient r;
	uint64_t plain = 0;
	/* age -o creates nothing for an empty plaintext: use stdout. */
	const char *argv[] = { "age", "-d", "-i", key, enc, NULL };

	path_of(in, "plain");
	path_of(enc, "file.age");
	path_of(dec, "file.out");
	path_of(key, key_file[k]);
	ck_assert_int_eq(tu_pattern_file(in, size, (uint32_t)_i + 7), 0);
	load_recipient(k, &r);
	our_encrypt(&r, 1, in, enc, &plain);
	ck_assert_uint_eq(plain, size);
	ck_assert_msg(tu_run(argv, NULL, dec) == 0,
	    "stock age -d failed (or is missing) for kind %d size %zu", k, size);
	ck_assert(tu_same_file(in, dec));
	age_recipient_clear(&r);
}
END_TEST

START_TEST(test_stock_age_to_ours)
{
	enum kind k = (enum kind)(_i / (int)NSIZES);
	size_t size = sizes[_i % (int)NSIZES];
	char in[128], enc[128], dec[128], pub[128], why[256] = "";
	struct age_identity *id;
	uint64_t plain = 1;
	const char *argv[] = { "age", k == K_X25519 ? "-r" : "-R",
	    k == K_X25519 ? x25519_rcpt : pub, "-o", enc, in, NULL };

	path_of(in, "plain");
	path_of(enc, "file.age");
	path_of(dec, "file.out");
	if (k != K_X25519)
		path_of(pub, pub_file[k]);
	ck_assert_int_eq(tu_pattern_file(in, size, (uint32_t)_i + 99), 0);
	ck_assert_msg(tu_run(argv, NULL, NULL) == 0,
	    "stock age -r/-R failed (or is missing)");
	id = load_identity(k);
	ck_assert_msg(our_decrypt(id, enc, dec, why, sizeof(why), &plain) == 0,
	    "kind %d size %zu: %s", k, size, why);
	ck_assert_uint_eq(plain, size);
	ck_assert(tu_same_file(in, dec));
	age_identity_free(id);
}
END_TEST

START_TEST(test_multi_recipient)
{
	struct age_recipient r[NKINDS];
	char in[128], enc[128], dec[128], why[256] = "";
	struct age_identity *id;
	uint64_t plain;
	int k;

	path_of(in, "plain");
	path_of(enc, "file.age");
	path_of(dec, "file.out");
	ck_assert_int_eq(tu_pattern_file(in, 70000, 5), 0);
	for (k = 0; k < NKINDS; k++)
		load_recipient((enum kind)k, &r[k]);
	our_encrypt(r, NKINDS, in, enc, &plain);
	for (k = 0; k < NKINDS; k++) {
		id = load_identity((enum kind)k);
		ck_assert_msg(our_decrypt(id, enc, dec, why, sizeof(why),
		    &plain) == 0, "kind %d: %s", k, why);
		ck_assert(tu_same_file(in, dec));
		age_identity_free(id);
		age_recipient_clear(&r[k]);
	}
}
END_TEST

START_TEST(test_header_determinism)
{
	struct age_recipient r[NKINDS];
	uint8_t fk[AGE_FILE_KEY_LEN], fk2[AGE_FILE_KEY_LEN], seed[32], seed2[32];
	struct sbuf *a = sbuf_new(), *b = sbuf_new(), *c = sbuf_new(),
	    *d = sbuf_new();
	int k;

	for (k = 0; k < NKINDS; k++)
		load_recipient((enum kind)k, &r[k]);
	memset(fk, 0x11, sizeof(fk));
	memset(fk2, 0x12, sizeof(fk2));
	memset(seed, 0x22, sizeof(seed));
	memset(seed2, 0x23, sizeof(seed2));
	ck_assert_int_eq(age_header_build(fk, r, NKINDS, seed, a), 0);
	ck_assert_int_eq(age_header_build(fk, r, NKINDS, seed, b), 0);
	ck_assert_int_eq(age_header_build(fk, r, NKINDS, seed2, c), 0);
	ck_assert_int_eq(age_header_build(fk2, r, NKINDS, seed, d), 0);
	ck_assert_uint_eq(a->len, b->len);
	ck_assert_mem_eq(a->data, b->data, a->len);
	/* Same length (same recipients), different bytes. */
	ck_assert_uint_eq(a->len, c->len);
	ck_assert(memcmp(a->data, c->data, a->len) != 0);
	ck_assert(memcmp(a->data, d->data, a->len) != 0);
	ck_assert_int_eq(memcmp(a->data, "age-encryption.org/v1\n-> X25519 ",
	    32), 0);
	ck_assert_int_eq(age_header_build(fk, r, 0, seed, a), SLUICE_EINVAL);
	for (k = 0; k < NKINDS; k++)
		age_recipient_clear(&r[k]);
	sbuf_free(a);
	sbuf_free(b);
	sbuf_free(c);
	sbuf_free(d);
}
END_TEST

/* Encrypts size bytes to X25519 and returns the file's bytes. */
static uint8_t *
encrypted(size_t size, size_t *n, size_t *hdrlen)
{
	char in[128], enc[128], why[256];
	struct age_recipient r;
	struct age_header *h = NULL;
	uint64_t plain;
	uint8_t *p;

	path_of(in, "plain");
	path_of(enc, "file.age");
	ck_assert_int_eq(tu_pattern_file(in, size, 3), 0);
	load_recipient(K_X25519, &r);
	our_encrypt(&r, 1, in, enc, &plain);
	age_recipient_clear(&r);
	ck_assert_int_eq(tu_read_file(enc, &p, n), 0);
	ck_assert_int_eq(age_header_parse(p, *n, &h, hdrlen, why, sizeof(why)), 0);
	age_header_free(h);
	return p;
}

static void
expect_decrypt_fails(const uint8_t *p, size_t n, int code, const char *reason)
{
	char enc[128], dec[128], why[256] = "";
	struct age_identity *id = load_identity(K_X25519);
	uint64_t plain;

	path_of(enc, "bad.age");
	path_of(dec, "bad.out");
	ck_assert_int_eq(tu_write_file(enc, p, n), 0);
	ck_assert_int_eq(our_decrypt(id, enc, dec, why, sizeof(why), &plain), code);
	ck_assert_str_eq(why, reason);
	age_identity_free(id);
}

START_TEST(test_tampering)
{
	size_t n, hdrlen, small_n, small_hdr;
	uint8_t *p = encrypted(65536, &n, &hdrlen), *q;
	uint8_t *small = encrypted(100, &small_n, &small_hdr);

	q = malloc(n + 4096);
	/* A changed MAC. */
	memcpy(q, p, n);
	q[hdrlen - 3] = q[hdrlen - 3] == 'A' ? 'B' : 'A';
	expect_decrypt_fails(q, n, SLUICE_EVERIFY,
	    "age header MAC does not verify (header tampered with)");
	/* A stanza slipped in before the MAC line, MAC unchanged. */
	{
		const uint8_t *foot = p + hdrlen - 48;	/* "---" + " " + 43 + LF */
		size_t pre = (size_t)(foot - p);
		const char extra[] = "-> x-grease\n\n";

		ck_assert_int_eq(memcmp(foot, "--- ", 4), 0);
		memcpy(q, p, pre);
		memcpy(q + pre, extra, sizeof(extra) - 1);
		memcpy(q + pre + sizeof(extra) - 1, foot, n - pre);
		expect_decrypt_fails(q, n + sizeof(extra) - 1, SLUICE_EVERIFY,
		    "age header MAC does not verify (header tampered with)");
	}
	/* Truncations: last byte, the whole final chunk, payload gone. */
	expect_decrypt_fails(p, n - 1, SLUICE_EVERIFY,
	    "age payload is truncated or its last chunk fails authentication");
	expect_decrypt_fails(small, small_hdr + 16 + 10, SLUICE_EFORMAT,
	    "age payload is truncated");
	expect_decrypt_fails(p, hdrlen + 8, SLUICE_EFORMAT,
	    "age payload is truncated (no nonce)");
	expect_decrypt_fails(p, hdrlen - 10, SLUICE_EFORMAT,
	    "age header is truncated");
	expect_decrypt_fails(p, 0, SLUICE_EFORMAT, "age file is empty");
	/* One flipped ciphertext bit. */
	memcpy(q, p, n);
	q[hdrlen + 16 + 1000] ^= 0x04;
	expect_decrypt_fails(q, n, SLUICE_EVERIFY,
	    "age payload chunk 0 fails authentication");
	/* Trailing garbage after a full final chunk, and after a short one. */
	memcpy(q, p, n);
	q[n] = 'x';
	expect_decrypt_fails(q, n + 1, SLUICE_EFORMAT,
	    "trailing data after the age payload");
	memcpy(q, small, small_n);
	q[small_n] = 'x';
	expect_decrypt_fails(q, small_n + 1, SLUICE_EVERIFY,
	    "age payload is truncated or its last chunk fails authentication");
	/* The wrong identity. */
	{
		char enc[128], dec[128], why[256] = "";
		struct age_identity *id = load_identity(K_ED25519);
		uint64_t plain;

		path_of(enc, "bad.age");
		path_of(dec, "bad.out");
		ck_assert_int_eq(tu_write_file(enc, p, n), 0);
		ck_assert_int_eq(our_decrypt(id, enc, dec, why, sizeof(why),
		    &plain), SLUICE_ENOTFOUND);
		ck_assert_str_eq(why, "no identity matches any recipient stanza "
		    "of the age header");
		age_identity_free(id);
	}
	free(q);
	free(p);
	free(small);
}
END_TEST

START_TEST(test_payload_sizes)
{
	uint64_t plain = 99;

	ck_assert_uint_eq(age_payload_size(0), 32);
	ck_assert_uint_eq(age_payload_size(1), 33);
	ck_assert_uint_eq(age_payload_size(65536), 16 + 65536 + 16);
	ck_assert_uint_eq(age_payload_size(65537), 16 + 65537 + 32);
	ck_assert_uint_eq(age_payload_size(AGE_PLAIN_MAX + 1), 0);
	ck_assert_int_eq(age_plain_size(32, &plain), 0);
	ck_assert_uint_eq(plain, 0);
	ck_assert_int_eq(age_plain_size(16 + 65537 + 32, &plain), 0);
	ck_assert_uint_eq(plain, 65537);
	ck_assert_int_eq(age_plain_size(16 + 65536 + 16, &plain), 0);
	ck_assert_uint_eq(plain, 65536);
	/* A full chunk then an empty one is never produced. */
	ck_assert_int_eq(age_plain_size(16 + 65552 + 16, &plain), SLUICE_EFORMAT);
	ck_assert_int_eq(age_plain_size(31, &plain), SLUICE_EFORMAT);
}
END_TEST

/* ---- sealing as the plaintext arrives ---------------------------------- */

/* Plaintext sizes around the chunk edges, and the pieces they arrive in. */
static const size_t seal_sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536,
    1048576 + 123 };
static const size_t seal_pieces[] = { 1000, 32768, 65536, 65537, 200000,
    (size_t)-1 };
#define NSEAL_SIZES (sizeof(seal_sizes) / sizeof(seal_sizes[0]))
#define NSEAL_PIECES (sizeof(seal_pieces) / sizeof(seal_pieces[0]))

static uint8_t *
pattern(size_t n)
{
	uint8_t *p = malloc(n + 1);
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / 65536);
	return p;
}

/* Seals p[0..n) to path in pieces of `piece` bytes; checks the sizes and
 * the digest final reports. */
static void
seal_to(const char *path, const uint8_t fk[AGE_FILE_KEY_LEN],
    const uint8_t *p, size_t n, size_t piece)
{
	struct age_seal *sl = NULL;
	uint8_t sha[32], want[32];
	uint64_t plain = 1, cipher = 1;
	size_t off, k;
	int fd;

	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_int_eq(age_seal_new(fk, fd, &sl), 0);
	for (off = 0; off < n; off += k) {
		k = n - off < piece ? n - off : piece;
		ck_assert_int_eq(age_seal_update(sl, p + off, k), 0);
		ck_assert_uint_eq(age_seal_taken(sl), off + k);
	}
	ck_assert_int_eq(age_seal_final(sl, sha, &plain, &cipher), 0);
	ck_assert_int_eq(age_seal_update(sl, p, 0), SLUICE_ESTATE);
	ck_assert_int_eq(age_seal_final(sl, NULL, NULL, NULL), SLUICE_ESTATE);
	age_seal_free(sl);
	close(fd);
	crypto_hash_sha256(want, p, n);
	ck_assert_mem_eq(sha, want, 32);
	ck_assert_uint_eq(plain, n);
	ck_assert_uint_eq(cipher, age_payload_size(n));
}

/* The payload at path opens, from its file and in memory, to p[0..n). */
static void
check_opens(const char *path, const uint8_t fk[AGE_FILE_KEY_LEN],
    const uint8_t *p, size_t n)
{
	char dec[128], why[256] = "";
	struct sbuf *plain = sbuf_new_secret();
	uint8_t sha[32], want[32], *q, *c;
	uint64_t got = 0;
	size_t qn, cn;
	int in, out;

	path_of(dec, "seal.dec");
	ck_assert_int_ge(in = open(path, O_RDONLY), 0);
	ck_assert_int_ge(out = open(dec, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_msg(age_payload_decrypt(in, out, fk, sha, &got, why,
	    sizeof(why)) == 0, "%s", why);
	close(in);
	close(out);
	ck_assert_int_eq(tu_read_file(dec, &q, &qn), 0);
	ck_assert_uint_eq(qn, n);
	ck_assert(n == 0 || memcmp(q, p, n) == 0);
	ck_assert_int_eq(tu_read_file(path, &c, &cn), 0);
	ck_assert_msg(age_payload_open(c, cn, fk, plain, want, why,
	    sizeof(why)) == 0, "%s", why);
	ck_assert_mem_eq(sha, want, 32);
	ck_assert_uint_eq(sbuf_len(plain), n);
	ck_assert(n == 0 || memcmp(sbuf_ptr(plain), p, n) == 0);
	free(q);
	free(c);
	sbuf_free(plain);
}

START_TEST(test_seal_pieces)
{
	size_t n = seal_sizes[_i / (int)NSEAL_PIECES];
	size_t piece = seal_pieces[_i % (int)NSEAL_PIECES];
	uint8_t fk[AGE_FILE_KEY_LEN], *p = pattern(n);
	char path[128];

	ck_assert_int_eq(age_file_key_new(fk), 0);
	path_of(path, "seal.age");
	seal_to(path, fk, p, n, piece);
	check_opens(path, fk, p, n);
	free(p);
}
END_TEST

/* age_payload_encrypt's payload (the whole file at once) opens in memory
 * too, and seals to the same length as piecewise sealing. */
START_TEST(test_seal_matches_encrypt)
{
	size_t n = seal_sizes[_i];
	uint8_t fk[AGE_FILE_KEY_LEN], sha[32], *p = pattern(n);
	char in[128], enc[128];
	uint64_t plain = 0, cipher = 0;
	int ifd, ofd;

	ck_assert_int_eq(age_file_key_new(fk), 0);
	path_of(in, "whole.in");
	path_of(enc, "whole.age");
	ck_assert_int_eq(tu_write_file(in, p, n), 0);
	ck_assert_int_ge(ifd = open(in, O_RDONLY), 0);
	ck_assert_int_ge(ofd = open(enc, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_int_eq(age_payload_encrypt(ifd, ofd, fk, sha, &plain,
	    &cipher), 0);
	close(ifd);
	close(ofd);
	ck_assert_uint_eq(cipher, age_payload_size(n));
	check_opens(enc, fk, p, n);
	free(p);
}
END_TEST

/* A sealed payload behind a header made for an X25519 key: stock age -d
 * gives the plaintext back. */
START_TEST(test_seal_stock_age)
{
	size_t n = seal_sizes[_i];
	uint8_t fk[AGE_FILE_KEY_LEN], seed[AGE_SEED_LEN], *p = pattern(n);
	char pay[128], enc[128], dec[128], key[128];
	const char *argv[] = { "age", "-d", "-i", key, enc, NULL };
	struct sbuf *hdr = sbuf_new();
	struct age_recipient r;
	uint8_t *c;
	size_t cn;

	ck_assert_int_eq(age_file_key_new(fk), 0);
	randombytes_buf(seed, sizeof(seed));
	load_recipient(K_X25519, &r);
	ck_assert_int_eq(age_header_build(fk, &r, 1, seed, hdr), 0);
	path_of(pay, "stock.pay");
	path_of(enc, "stock.age");
	path_of(dec, "stock.dec");
	path_of(key, key_file[K_X25519]);
	seal_to(pay, fk, p, n, 32768);
	ck_assert_int_eq(tu_read_file(pay, &c, &cn), 0);
	ck_assert_int_eq(sbuf_put(hdr, c, cn), 0);
	ck_assert_int_eq(tu_write_file(enc, sbuf_ptr(hdr), sbuf_len(hdr)), 0);
	ck_assert_int_eq(tu_run(argv, NULL, dec), 0);
	free(c);
	ck_assert_int_eq(tu_read_file(dec, &c, &cn), 0);
	ck_assert_uint_eq(cn, n);
	ck_assert(n == 0 || memcmp(c, p, n) == 0);
	free(c);
	free(p);
	sbuf_free(hdr);
	age_recipient_clear(&r);
}
END_TEST

/* In memory as from a file: a flipped bit, a wrong key, a cut and trailing
 * bytes are refused, with their reasons. */
START_TEST(test_open_refusals)
{
	uint8_t fk[AGE_FILE_KEY_LEN], other[AGE_FILE_KEY_LEN], *p = pattern(70000);
	struct sbuf *plain = sbuf_new_secret();
	char path[128], why[256] = "";
	uint8_t *c;
	size_t cn;

	ck_assert_int_eq(age_file_key_new(fk), 0);
	ck_assert_int_eq(age_file_key_new(other), 0);
	path_of(path, "refuse.age");
	seal_to(path, fk, p, 70000, 70000);
	ck_assert_int_eq(tu_read_file(path, &c, &cn), 0);
	c[16 + 65552 + 3] ^= 1;
	ck_assert_int_eq(age_payload_open(c, cn, fk, plain, NULL, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "age payload chunk 1 fails authentication");
	c[16 + 65552 + 3] ^= 1;
	sbuf_reset(plain);
	ck_assert_int_eq(age_payload_open(c, cn, other, plain, NULL, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "age payload chunk 0 fails authentication");
	sbuf_reset(plain);
	ck_assert_int_eq(age_payload_open(c, cn - 1, fk, plain, NULL, why,
	    sizeof(why)), SLUICE_EVERIFY);
	sbuf_reset(plain);
	ck_assert_int_eq(age_payload_open(c, 16 + 65552 + 16, fk, plain, NULL,
	    why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "age payload of 65584 bytes is truncated or has "
	    "trailing data");
	sbuf_reset(plain);
	ck_assert_int_eq(age_payload_open(c, cn, fk, plain, NULL, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(sbuf_len(plain), 70000);
	free(c);
	free(p);
	sbuf_free(plain);
}
END_TEST

/* Flips one bit of the file on fd at off. */
static void
flip_at(int fd, size_t off)
{
	uint8_t b;

	ck_assert_int_eq(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 1;
	ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)off), 1);
}

/* The spot check reads the ends only: another key, a cut, an altered
 * first or last chunk are caught; a middle chunk is left to decryption. */
START_TEST(test_spot_check)
{
	uint8_t fk[AGE_FILE_KEY_LEN], other[AGE_FILE_KEY_LEN], *p;
	char path[128], why[256] = "";
	size_t n = 3 * 65536 + 10, len = (size_t)age_payload_size(n);
	size_t mid = 16 + 65552 + 5, last = len - 3;
	int fd;

	p = pattern(n);
	ck_assert_int_eq(age_file_key_new(fk), 0);
	ck_assert_int_eq(age_file_key_new(other), 0);
	path_of(path, "spot.age");
	seal_to(path, fk, p, n, 65536);
	free(p);
	ck_assert_int_ge(fd = open(path, O_RDWR), 0);
	ck_assert_int_eq(age_payload_spot_check(fd, len, fk, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(age_payload_spot_check(fd, len, other, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "age payload chunk 0 fails authentication");
	ck_assert_int_eq(age_payload_spot_check(fd, len - 1, fk, why,
	    sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "age payload chunk 3 fails authentication");
	ck_assert_int_eq(age_payload_spot_check(fd, 16 + 65552 + 16, fk, why,
	    sizeof(why)), SLUICE_EFORMAT);
	flip_at(fd, mid);
	ck_assert_int_eq(age_payload_spot_check(fd, len, fk, why,
	    sizeof(why)), 0);
	flip_at(fd, last);
	ck_assert_int_eq(age_payload_spot_check(fd, len, fk, why,
	    sizeof(why)), SLUICE_EVERIFY);
	close(fd);
}
END_TEST

/* Reading back at random: any range, across chunk edges, in any order,
 * gives the plaintext; a range in an altered chunk gives nothing. */
START_TEST(test_unseal_ranges)
{
	static const size_t ranges[][2] = { { 0, 1 }, { 65535, 2 },
	    { 3 * 65536 + 5, 5 }, { 10, 150000 }, { 65536, 65536 },
	    { 0, 3 * 65536 + 10 }, { 3 * 65536 + 10, 0 } };
	size_t n = 3 * 65536 + 10, i;
	uint8_t fk[AGE_FILE_KEY_LEN], *p = pattern(n), *got = malloc(n + 1);
	struct age_unseal *u = NULL;
	char path[128];
	int fd;

	ck_assert_int_eq(age_file_key_new(fk), 0);
	path_of(path, "unseal.age");
	seal_to(path, fk, p, n, 32768);
	ck_assert_int_ge(fd = open(path, O_RDWR), 0);
	ck_assert_int_eq(age_unseal_new(fk, fd, 16 + 65552 + 16, &u),
	    SLUICE_EFORMAT);
	ck_assert_ptr_null(u);
	ck_assert_int_eq(age_unseal_new(fk, fd, age_payload_size(n), &u), 0);
	ck_assert_uint_eq(age_unseal_size(u), n);
	for (i = sizeof(ranges) / sizeof(ranges[0]); i-- > 0;) {
		ck_assert_int_eq(age_unseal_read(u, ranges[i][0], got,
		    ranges[i][1]), 0);
		ck_assert(memcmp(got, p + ranges[i][0], ranges[i][1]) == 0);
	}
	ck_assert_int_eq(age_unseal_read(u, n - 1, got, 2), SLUICE_EINVAL);
	age_unseal_free(u);
	flip_at(fd, 16 + 65552 + 100);
	ck_assert_int_eq(age_unseal_new(fk, fd, age_payload_size(n), &u), 0);
	ck_assert_int_eq(age_unseal_read(u, 0, got, 10), 0);
	ck_assert_int_eq(age_unseal_read(u, 65530, got, 10), SLUICE_EVERIFY);
	ck_assert_int_eq(age_unseal_read(u, 2 * 65536, got, 10), 0);
	age_unseal_free(u);
	close(fd);
	free(got);
	free(p);
}
END_TEST

START_TEST(test_keygen)
{
	char ident[AGE_IDENTITY_STRLEN + 1], rcpt[AGE_RECIPIENT_STRLEN + 1];
	char again[AGE_RECIPIENT_STRLEN + 1], why[256] = "";
	char keyf[128], in[128], enc[128], dec[128], file[200];
	struct age_identity *id = NULL;
	struct age_recipient r;
	uint64_t plain;
	const char *enc_argv[] = { "age", "-r", rcpt, "-o", enc, in, NULL };
	const char *dec_argv[] = { "age", "-d", "-i", keyf, "-o", dec, enc, NULL };

	ck_assert_int_eq(age_keygen(ident, rcpt), 0);
	ck_assert_uint_eq(strlen(ident), AGE_IDENTITY_STRLEN);
	ck_assert_uint_eq(strlen(rcpt), AGE_RECIPIENT_STRLEN);
	ck_assert_int_eq(strncmp(ident, "AGE-SECRET-KEY-1", 16), 0);
	ck_assert_int_eq(strncmp(rcpt, "age1", 4), 0);
	(void)snprintf(file, sizeof(file), "# created by test\n%s\n", ident);
	ck_assert_int_eq(age_identity_parse(file, strlen(file), &id, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(age_identity_recipient(id, again), 0);
	ck_assert_str_eq(again, rcpt);
	path_of(keyf, "k.key");
	path_of(in, "plain");
	path_of(enc, "file.age");
	path_of(dec, "file.out");
	ck_assert_int_eq(tu_write_file(keyf, file, strlen(file)), 0);
	ck_assert_int_eq(tu_pattern_file(in, 1000, 77), 0);
	/* Stock age encrypts to our recipient; we decrypt. */
	ck_assert_int_eq(tu_run(enc_argv, NULL, NULL), 0);
	ck_assert_int_eq(our_decrypt(id, enc, dec, why, sizeof(why), &plain), 0);
	ck_assert(tu_same_file(in, dec));
	/* We encrypt to it; stock age decrypts with our identity file. */
	ck_assert_int_eq(age_recipient_parse_age1(rcpt, &r, why, sizeof(why)), 0);
	our_encrypt(&r, 1, in, enc, &plain);
	ck_assert_int_eq(tu_run(dec_argv, NULL, NULL), 0);
	ck_assert(tu_same_file(in, dec));
	age_recipient_clear(&r);
	age_identity_free(id);
	sodium_memzero(ident, sizeof(ident));
}
END_TEST

/*
 * Identities held while LeakSanitizer looks (sanitizer builds): what an
 * identity owns must be reachable from it, not hidden behind guarded
 * pages LeakSanitizer does not scan. In every build each still decrypts.
 */
START_TEST(test_identities_held)
{
	struct age_identity *id[NKINDS];
	struct age_recipient r;
	char in[128], enc[128], dec[128], why[256] = "";
	uint64_t plain;
	int k;

	path_of(in, "plain");
	path_of(enc, "file.age");
	path_of(dec, "file.out");
	ck_assert_int_eq(tu_pattern_file(in, 4096, 11), 0);
	for (k = 0; k < NKINDS; k++)
		id[k] = load_identity((enum kind)k);
#ifdef SLUICE_ASAN
	ck_assert_int_eq(__lsan_do_recoverable_leak_check(), 0);
#endif
	for (k = 0; k < NKINDS; k++) {
		load_recipient((enum kind)k, &r);
		our_encrypt(&r, 1, in, enc, &plain);
		ck_assert_msg(our_decrypt(id[k], enc, dec, why, sizeof(why),
		    &plain) == 0, "kind %d: %s", k, why);
		ck_assert(tu_same_file(in, dec));
		age_recipient_clear(&r);
		age_identity_free(id[k]);
	}
}
END_TEST

START_TEST(test_bad_recipients_identities)
{
	struct age_recipient r;
	struct age_identity *id = (void *)1;
	char why[256] = "", bad[AGE_RECIPIENT_STRLEN + 1], path[128];
	const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "pw",
	    "-f", path, NULL };
	uint8_t *text;
	size_t n;

	ck_assert_int_eq(age_recipient_parse_age1("age1xyz", &r, why,
	    sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a valid age1 recipient");
	/* One character changed: the checksum catches it. */
	memcpy(bad, x25519_rcpt, sizeof(bad));
	bad[10] = bad[10] == 'q' ? 'p' : 'q';
	ck_assert_int_eq(age_recipient_parse_age1(bad, &r, why, sizeof(why)),
	    SLUICE_EFORMAT);
	/* Mixed case is refused. */
	memcpy(bad, x25519_rcpt, sizeof(bad));
	bad[0] = 'A';
	ck_assert_int_eq(age_recipient_parse_age1(bad, &r, why, sizeof(why)),
	    SLUICE_EFORMAT);
	ck_assert_int_eq(age_identity_parse("# nothing\n", 10, &id, why,
	    sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "identity file holds no key");
	ck_assert_int_eq(age_identity_parse("AGE-SECRET-KEY-1QQQ\n", 20, &id,
	    why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "identity line 1 is not an AGE-SECRET-KEY-1 key");
	ck_assert_ptr_null(id);
	path_of(path, "encrypted");
	ck_assert_int_eq(tu_run(argv, NULL, NULL), 0);
	ck_assert_int_eq(tu_read_file(path, &text, &n), 0);
	ck_assert_int_eq(age_identity_parse((char *)text, n, &id, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "private key is protected by a passphrase; remove "
	    "it first (ssh-keygen -p -N '' -f KEYFILE, on a copy)");
	free(text);
}
END_TEST

static void
expect_header_refused(const char *text, const char *reason)
{
	struct age_header *h = (void *)1;
	char why[256] = "";
	size_t hl = 0;

	ck_assert_int_eq(age_header_parse((const uint8_t *)text, strlen(text),
	    &h, &hl, why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_ptr_null(h);
	ck_assert_str_eq(why, reason);
}

START_TEST(test_header_hostile)
{
	static const char mac[] = "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	char buf[8192];

	expect_header_refused("age-encryption.org/v2\n", "not an age v1 file "
	    "(bad first line)");
	expect_header_refused("age-encryption.org/v1\r\n", "age header line 1 "
	    "holds a control or non-ASCII byte");
	expect_header_refused("age-encryption.org/v1\n-> X25519\n", "age "
	    "header is truncated (line 3)");
	(void)snprintf(buf, sizeof(buf), "age-encryption.org/v1\n-> X25519 "
	    "AAAA\nAAAA\n%s", mac);
	expect_header_refused(buf, "malformed X25519 stanza");
	/* Non-canonical base64: stray low bits in the last character. */
	(void)snprintf(buf, sizeof(buf), "age-encryption.org/v1\n-> x AB\nAB\n%s",
	    mac);
	expect_header_refused(buf, "age stanza body line 3 is not canonical "
	    "base64 of at most 64 columns");
	(void)snprintf(buf, sizeof(buf), "age-encryption.org/v1\n->  x\n\n%s", mac);
	expect_header_refused(buf, "age stanza on line 2 has an empty argument "
	    "or too many");
	(void)snprintf(buf, sizeof(buf), "age-encryption.org/v1\n-> x\n\n--- AA\n");
	expect_header_refused(buf, "malformed age header MAC line");
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "age-encryption.org/v1\n-> ", 25);
	buf[sizeof(buf) - 1] = '\0';
	expect_header_refused(buf, "age header line 2 is too long");
	/* A well-formed header with an unknown stanza parses. */
	{
		struct age_header *h = NULL;
		size_t hl = 0;
		char why[256];

		(void)snprintf(buf, sizeof(buf), "age-encryption.org/v1\n"
		    "-> y-grease a b\nAAAA\n%sPAYLOAD", mac);
		ck_assert_int_eq(age_header_parse((uint8_t *)buf, strlen(buf),
		    &h, &hl, why, sizeof(why)), 0);
		ck_assert_uint_eq(hl, strlen(buf) - 7);
		age_header_free(h);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("age");
	TCase *tc = tcase_create("core");
	int status;

	if (sodium_init() < 0 || tu_mkdtemp(dir) != 0 || setup_keys() != 0) {
		fprintf(stderr, "test_age: cannot make keys (ssh-keygen, "
		    "age-keygen missing?)\n");
		tu_rmrf(dir);
		return 1;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_ours_to_stock_age, 0, NKINDS * (int)NSIZES);
	tcase_add_loop_test(tc, test_stock_age_to_ours, 0, NKINDS * (int)NSIZES);
	tcase_add_test(tc, test_multi_recipient);
	tcase_add_test(tc, test_header_determinism);
	tcase_add_test(tc, test_tampering);
	tcase_add_test(tc, test_payload_sizes);
	tcase_add_test(tc, test_keygen);
	tcase_add_loop_test(tc, test_seal_pieces, 0,
	    (int)(NSEAL_SIZES * NSEAL_PIECES));
	tcase_add_loop_test(tc, test_seal_matches_encrypt, 0, (int)NSEAL_SIZES);
	tcase_add_loop_test(tc, test_seal_stock_age, 0, (int)NSEAL_SIZES);
	tcase_add_test(tc, test_open_refusals);
	tcase_add_test(tc, test_spot_check);
	tcase_add_test(tc, test_unseal_ranges);
	tcase_add_test(tc, test_identities_held);
	tcase_add_test(tc, test_bad_recipients_identities);
	tcase_add_test(tc, test_header_hostile);
	suite_add_tcase(s, tc);
	status = suite_run(s);
	tu_rmrf(dir);
	return status;
}
