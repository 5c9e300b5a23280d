/*
 * age_stream.c: the age payload, STREAM over ChaCha20-Poly1305 in 64 KiB
 * chunks. The bulk cipher is OpenSSL's (about twice libsodium 1.0.18's
 * speed on the machines we run on); SHA-256 of the plaintext likewise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include "age_internal.h"
#include "sluice/age.h"
#include "sluice/dwrite.h"
#include "sluice/error.h"
#include "sluice/files.h"

#define ENC_CHUNK (AGE_CHUNK_SIZE + AGE_TAG_LEN)

int
age_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t *out, size_t outlen)
{
	static const uint8_t empty[1] = { 0 };
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5];
	int r = SLUICE_ECRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)(ikmlen ? ikm : empty), ikmlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)(uintptr_t)(saltlen ? salt : empty), saltlen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)(uintptr_t)info, strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(ctx, out, outlen, params) <= 0)
		goto out;
	r = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

/* One read(2), again after EINTR; *k is 0 at end of file. */
static int
read_once(int fd, uint8_t *buf, size_t n, size_t *k)
{
	ssize_t got;

	do
		got = read(fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return SLUICE_EIO;
	*k = (size_t)got;
	return 0;
}

int
age_read_full(int fd, uint8_t *buf, size_t n, size_t *got)
{
	size_t k = 1;
	int r;

	for (*got = 0; *got < n && k > 0; *got += k)
		if ((r = read_once(fd, buf + *got, n - *got, &k)) != 0)
			return r;
	return 0;
}

uint64_t
age_payload_size(uint64_t plain_len)
{
	uint64_t chunks;

	if (plain_len > AGE_PLAIN_MAX)
		return 0;
	chunks = plain_len == 0 ? 1 : (plain_len + AGE_CHUNK_SIZE - 1) /
	    AGE_CHUNK_SIZE;
	return AGE_NONCE_LEN + plain_len + chunks * AGE_TAG_LEN;
}

int
age_plain_size(uint64_t cipher_len, uint64_t *plain_len)
{
	uint64_t c, chunks, plain;

	if (cipher_len < AGE_NONCE_LEN + AGE_TAG_LEN ||
	    cipher_len > age_payload_size(AGE_PLAIN_MAX))
		return SLUICE_EFORMAT;
	c = cipher_len - AGE_NONCE_LEN;
	chunks = (c + ENC_CHUNK - 1) / ENC_CHUNK;
	plain = c - chunks * AGE_TAG_LEN;
	if (age_payload_size(plain) != cipher_len)
		return SLUICE_EFORMAT;
	*plain_len = plain;
	return 0;
}

/* STREAM nonce: 11-byte big-endian counter, then the last-chunk flag. */
static void
chunk_nonce(uint8_t nonce[12], uint64_t counter, int last)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 10; i >= 3; i--) {
		nonce[i] = (uint8_t)counter;
		counter >>= 8;
	}
	nonce[11] = last ? 1 : 0;
}

struct stream {
	EVP_CIPHER_CTX	*aead;
	EVP_MD_CTX	*sha;
	uint64_t	 counter;
	uint64_t	 plain;
	uint64_t	 cipher;
};

static int
stream_init(struct stream *s, const uint8_t file_key[AGE_FILE_KEY_LEN],
    const uint8_t nonce[AGE_NONCE_LEN], int enc)
{
	uint8_t key[32];
	int r = SLUICE_ECRYPTO;

	memset(s, 0, sizeof(*s));
	if (age_hkdf(file_key, AGE_FILE_KEY_LEN, nonce, AGE_NONCE_LEN,
	    "payload", key, sizeof(key)) != 0 ||
	    (s->aead = EVP_CIPHER_CTX_new()) == NULL ||
	    (s->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(s->aead, EVP_chacha20_poly1305(), NULL, key,
	    NULL, enc) <= 0 ||
	    EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) <= 0)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

static void
stream_done(struct stream *s, uint8_t sha256_plain[32], uint64_t *plain_len)
{
	unsigned int n = 0;

	if (sha256_plain != NULL)
		(void)EVP_DigestFinal_ex(s->sha, sha256_plain, &n);
	if (plain_len != NULL)
		*plain_len = s->plain;
}

static void
stream_free(struct stream *s)
{
	EVP_CIPHER_CTX_free(s->aead);
	EVP_MD_CTX_free(s->sha);
	s->aead = NULL;
	s->sha = NULL;
}

/* Seals in[0..n) as the next chunk into out (n + 16 bytes). */
static int
seal_chunk(struct stream *s, const uint8_t *in, size_t n, int last,
    uint8_t *out)
{
	uint8_t nonce[12];
	int outl = 0, fl = 0;

	chunk_nonce(nonce, s->counter, last);
	if (EVP_EncryptInit_ex(s->aead, NULL, NULL, NULL, nonce) <= 0 ||
	    (n > 0 && EVP_EncryptUpdate(s->aead, out, &outl, in, (int)n) <= 0) ||
	    EVP_EncryptFinal_ex(s->aead, out + outl, &fl) <= 0 ||
	    (size_t)outl + (size_t)fl != n ||
	    EVP_CIPHER_CTX_ctrl(s->aead, EVP_CTRL_AEAD_GET_TAG, AGE_TAG_LEN,
	    out + n) <= 0 ||
	    EVP_DigestUpdate(s->sha, in, n) <= 0)
		return SLUICE_ECRYPTO;
	s->counter++;
	s->plain += n;
	return 0;
}

/* Opens in[0..n) (n >= 16) as the next chunk into out (n - 16 bytes). */
static int
open_chunk(struct stream *s, const uint8_t *in, size_t n, int last,
    uint8_t *out)
{
	uint8_t nonce[12], tag[AGE_TAG_LEN];
	size_t m = n - AGE_TAG_LEN;
	int outl = 0, fl = 0;

	chunk_nonce(nonce, s->counter, last);
	memcpy(tag, in + m, AGE_TAG_LEN);
	if (EVP_DecryptInit_ex(s->aead, NULL, NULL, NULL, nonce) <= 0 ||
	    (m > 0 && EVP_DecryptUpdate(s->aead, out, &outl, in, (int)m) <= 0) ||
	    EVP_CIPHER_CTX_ctrl(s->aead, EVP_CTRL_AEAD_SET_TAG, AGE_TAG_LEN,
	    tag) <= 0 ||
	    EVP_DecryptFinal_ex(s->aead, out + outl, &fl) <= 0 ||
	    (size_t)outl + (size_t)fl != m)
		return SLUICE_EVERIFY;
	if (EVP_DigestUpdate(s->sha, out, m) <= 0)
		return SLUICE_ECRYPTO;
	return 0;
}

/* A payload being sealed (age.h): the STREAM state, then up to one chunk
 * of plaintext held back, since only more input tells a full chunk from
 * the last one. The sealed chunks go to the disk through a dwrite. */
struct age_seal {
	struct stream	 s;
	struct dwrite	*out;
	uint8_t		*buf;	/* AGE_CHUNK_SIZE of plaintext, wiped */
	size_t		 have;
	int		 broken;	/* a step failed: nothing more is taken */
};

/* Seals buf[0..n) as the next chunk, into the writer. */
static int
seal_write(struct age_seal *sl, const uint8_t *buf, size_t n, int last)
{
	uint8_t *out;
	int r;

	if ((out = dwrite_room(sl->out, n + AGE_TAG_LEN)) == NULL)
		return SLUICE_ESTATE;
	if ((r = seal_chunk(&sl->s, buf, n, last, out)) != 0 ||
	    (r = dwrite_commit(sl->out, n + AGE_TAG_LEN)) != 0)
		return r;
	sl->s.cipher += n + AGE_TAG_LEN;
	return 0;
}

void
age_seal_free(struct age_seal *sl)
{
	if (sl == NULL)
		return;
	stream_free(&sl->s);
	if (sl->buf != NULL)
		sodium_memzero(sl->buf, AGE_CHUNK_SIZE);
	free(sl->buf);
	dwrite_free(sl->out);
	sodium_memzero(sl, sizeof(*sl));
	free(sl);
}

/* The fresh nonce that starts the payload. */
static int
seal_nonce(struct age_seal *sl, const uint8_t file_key[AGE_FILE_KEY_LEN])
{
	uint8_t *p;
	int r;

	if ((p = dwrite_room(sl->out, AGE_NONCE_LEN)) == NULL)
		return SLUICE_ESTATE;
	randombytes_buf(p, AGE_NONCE_LEN);
	if ((r = stream_init(&sl->s, file_key, p, 1)) != 0)
		return r;
	sl->s.cipher = AGE_NONCE_LEN;
	return dwrite_commit(sl->out, AGE_NONCE_LEN);
}

int
age_seal_new(const uint8_t file_key[AGE_FILE_KEY_LEN], int out_fd,
    struct age_seal **out)
{
	struct age_seal *sl;
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if ((sl = calloc(1, sizeof(*sl))) == NULL)
		return SLUICE_ENOMEM;
	if ((sl->buf = malloc(AGE_CHUNK_SIZE)) == NULL)
		r = SLUICE_ENOMEM;
	else if ((r = dwrite_new(out_fd, &sl->out)) == 0)
		r = seal_nonce(sl, file_key);
	if (r != 0)
		age_seal_free(sl);
	else
		*out = sl;
	return r;
}

/* Seals p[0..AGE_CHUNK_SIZE) as a chunk that is not the last. */
static int
seal_full(struct age_seal *sl, const uint8_t *p)
{
	if (sl->s.plain > AGE_PLAIN_MAX - AGE_CHUNK_SIZE)
		return SLUICE_ETOOBIG;
	return seal_write(sl, p, AGE_CHUNK_SIZE, 0);
}

/* Takes what fits of p[0..n) into the held chunk; *k bytes taken. A held
 * full chunk is sealed first, since more input means it is not the last;
 * with nothing held, a full chunk of p followed by more is sealed in place. */
static int
seal_step(struct age_seal *sl, const uint8_t *p, size_t n, size_t *k)
{
	int r;

	*k = 0;
	if (sl->have == AGE_CHUNK_SIZE) {
		if ((r = seal_full(sl, sl->buf)) != 0)
			return r;
		sl->have = 0;
	}
	if (sl->have == 0 && n > AGE_CHUNK_SIZE) {
		*k = AGE_CHUNK_SIZE;
		return seal_full(sl, p);
	}
	*k = AGE_CHUNK_SIZE - sl->have < n ? AGE_CHUNK_SIZE - sl->have : n;
	memcpy(sl->buf + sl->have, p, *k);
	sl->have += *k;
	return 0;
}

int
age_seal_update(struct age_seal *sl, const uint8_t *p, size_t n)
{
	size_t k;
	int r = 0;

	if (sl->broken)
		return SLUICE_ESTATE;
	while (n > 0 && r == 0) {
		r = seal_step(sl, p, n, &k);
		p += k;
		n -= k;
	}
	if (r != 0)
		sl->broken = 1;
	return r;
}

uint64_t
age_seal_taken(const struct age_seal *sl)
{
	return sl->s.plain + sl->have;
}

int
age_seal_final(struct age_seal *sl, uint8_t sha256_plain[32],
    uint64_t *plain_len, uint64_t *cipher_len)
{
	int r;

	if (sl->broken)
		return SLUICE_ESTATE;
	sl->broken = 1;		/* the last chunk is sealed once */
	if ((r = seal_write(sl, sl->buf, sl->have, 1)) != 0 ||
	    (r = dwrite_finish(sl->out)) != 0)
		return r;
	sodium_memzero(sl->buf, AGE_CHUNK_SIZE);
	sl->have = 0;
	stream_done(&sl->s, sha256_plain, plain_len);
	if (cipher_len != NULL)
		*cipher_len = sl->s.cipher;
	return 0;
}

int
age_payload_encrypt(int in_fd, int out_fd,
    const uint8_t file_key[AGE_FILE_KEY_LEN], uint8_t sha256_plain[32],
    uint64_t *plain_len, uint64_t *cipher_len)
{
	struct age_seal *sl = NULL;
	uint8_t *buf = NULL;
	size_t got = 1;
	int r;

	/* buf holds plaintext: guarded memory, wiped on release. */
	if ((buf = sodium_malloc(AGE_CHUNK_SIZE)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = age_seal_new(file_key, out_fd, &sl)) != 0)
		goto out;
	while (got > 0 && r == 0)
		if ((r = age_read_full(in_fd, buf, AGE_CHUNK_SIZE, &got)) == 0)
			r = age_seal_update(sl, buf, got);
	if (r == 0)
		r = age_seal_final(sl, sha256_plain, plain_len, cipher_len);
out:
	age_seal_free(sl);
	sodium_free(buf);
	return r;
}

/* Reads from pre[] first, then from the descriptor. */
struct source {
	int		 fd;
	const uint8_t	*pre;
	size_t		 prelen;
};

/* Copies what is left of pre[] (at most n bytes) into buf. */
static size_t
take_pre(struct source *src, uint8_t *buf, size_t n)
{
	size_t k = src->prelen < n ? src->prelen : n;

	if (k > 0) {
		memcpy(buf, src->pre, k);
		src->pre += k;
		src->prelen -= k;
	}
	return k;
}

static int
source_read(struct source *src, uint8_t *buf, size_t n, size_t *got)
{
	size_t k = take_pre(src, buf, n), more = 0;
	int r;

	if ((r = age_read_full(src->fd, buf + k, n - k, &more)) != 0)
		return r;
	*got = k + more;
	return 0;
}

/* The last chunk holds a tag at least, and is empty only as chunk 0. */
static int
last_size_check(const struct stream *s, size_t have, char *why,
    size_t whylen)
{
	if (have < AGE_TAG_LEN)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "age payload is truncated");
	if (have == AGE_TAG_LEN && s->counter > 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "age payload ends with an empty chunk");
	return 0;
}

static int
decrypt_last(struct stream *s, uint8_t *buf, size_t have, uint8_t *out,
    int out_fd, char *why, size_t whylen)
{
	int r;

	if ((r = last_size_check(s, have, why, whylen)) != 0)
		return r;
	if ((r = open_chunk(s, buf, have, 1, out)) != 0)
		return sluice_why(why, whylen, r, s->counter == 0 && have ==
		    ENC_CHUNK ? "age payload chunk 0 fails authentication" :
		    "age payload is truncated or its last chunk fails "
		    "authentication");
	if ((r = files_write_all(out_fd, out, have - AGE_TAG_LEN)) != 0)
		return sluice_why(why, whylen, r, "cannot write plaintext");
	s->plain += have - AGE_TAG_LEN;
	return 0;
}

/* Why a full chunk did not open (r is open_chunk()'s answer). */
static int
chunk_refusal(struct stream *s, const uint8_t *buf, uint8_t *out, int r,
    char *why, size_t whylen)
{
	/* A valid last chunk with bytes after it. */
	if (open_chunk(s, buf, ENC_CHUNK, 1, out) == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "trailing data after the age payload");
	return sluice_why(why, whylen, r, "age payload chunk "
	    "%llu fails authentication", (unsigned long long)s->counter);
}

static int
decrypt_loop(struct stream *s, struct source *src, int out_fd, uint8_t *buf,
    uint8_t *out, char *why, size_t whylen)
{
	size_t have = 0, got;
	int r;

	for (;;) {
		if ((r = source_read(src, buf + have, ENC_CHUNK + 1 - have,
		    &got)) != 0)
			return sluice_why(why, whylen, r, "cannot read payload");
		have += got;
		if (have <= ENC_CHUNK)
			break;
		if ((r = open_chunk(s, buf, ENC_CHUNK, 0, out)) != 0)
			return chunk_refusal(s, buf, out, r, why, whylen);
		if ((r = files_write_all(out_fd, out, AGE_CHUNK_SIZE)) != 0)
			return sluice_why(why, whylen, r,
			    "cannot write plaintext");
		s->counter++;
		s->plain += AGE_CHUNK_SIZE;
		buf[0] = buf[ENC_CHUNK];
		have = 1;
	}
	return decrypt_last(s, buf, have, out, out_fd, why, whylen);
}

int
age_stream_decrypt(int in_fd, const uint8_t *pre, size_t prelen, int out_fd,
    const uint8_t file_key[16], uint8_t sha256_plain[32], uint64_t *plain_len,
    char *why, size_t whylen)
{
	struct stream s = { 0 };
	struct source src = { in_fd, pre, prelen };
	uint8_t nonce[AGE_NONCE_LEN], *buf = NULL, *out = NULL;
	size_t got;
	int r;

	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if ((buf = malloc(ENC_CHUNK + 1)) == NULL ||
	    (out = sodium_malloc(AGE_CHUNK_SIZE)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = source_read(&src, nonce, sizeof(nonce), &got)) != 0 ||
	    got != sizeof(nonce)) {
		r = sluice_why(why, whylen, r ? r : SLUICE_EFORMAT,
		    "age payload is truncated (no nonce)");
		goto out;
	}
	if ((r = stream_init(&s, file_key, nonce, 0)) != 0 ||
	    (r = decrypt_loop(&s, &src, out_fd, buf, out, why, whylen)) != 0)
		goto out;
	stream_done(&s, sha256_plain, plain_len);
out:
	stream_free(&s);
	free(buf);
	sodium_free(out);
	return r;
}

int
age_payload_decrypt(int in_fd, int out_fd,
    const uint8_t file_key[AGE_FILE_KEY_LEN], uint8_t sha256_plain[32],
    uint64_t *plain_len, char *why, size_t whylen)
{
	return age_stream_decrypt(in_fd, NULL, 0, out_fd, file_key,
	    sha256_plain, plain_len, why, whylen);
}

/* Opens every chunk of the payload p[0..len) (its structure checked by
 * the caller) into dst. */
static int
open_chunks(struct stream *s, const uint8_t *p, size_t len, uint8_t *dst)
{
	size_t n;
	int r;

	for (; len > 0; p += n, len -= n) {
		n = len > ENC_CHUNK ? ENC_CHUNK : len;
		if ((r = open_chunk(s, p, n, len == n, dst)) != 0)
			return r;
		dst += n - AGE_TAG_LEN;
		s->plain += n - AGE_TAG_LEN;
		s->counter++;
	}
	return 0;
}

int
age_payload_open(const uint8_t *in, size_t len,
    const uint8_t file_key[AGE_FILE_KEY_LEN], struct sbuf *plain,
    uint8_t sha256_plain[32], char *why, size_t whylen)
{
	struct stream s = { 0 };
	uint64_t n;
	uint8_t *dst;
	int r;

	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if (age_plain_size(len, &n) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "age payload of "
		    "%zu bytes is truncated or has trailing data", len);
	if (n > SBUF_MAX || (r = sbuf_reserve(plain, (size_t)n, &dst)) != 0)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "age payload too large to open in memory");
	if ((r = stream_init(&s, file_key, in, 0)) != 0)
		sluice_why(why, whylen, r, "cannot start the payload cipher");
	else if ((r = open_chunks(&s, in + AGE_NONCE_LEN,
	    len - AGE_NONCE_LEN, dst)) != 0)
		sluice_why(why, whylen, r, "age payload chunk %llu fails "
		    "authentication", (unsigned long long)s.counter);
	if (r == 0)
		stream_done(&s, sha256_plain, NULL);
	else
		sodium_memzero(dst, (size_t)n);
	stream_free(&s);
	return r;
}

/* A payload read back at random: chunks opened as reads ask, the last
 * one opened kept. */
struct age_unseal {
	struct stream	 s;
	int		 fd;
	uint64_t	 len, plain, nchunks;
	uint8_t		*buf;		/* ENC_CHUNK */
	uint8_t		*out;		/* AGE_CHUNK_SIZE of plaintext, wiped */
	uint64_t	 have;		/* the chunk in out; UINT64_MAX: none */
	size_t		 have_len;
};

void
age_unseal_free(struct age_unseal *u)
{
	if (u == NULL)
		return;
	stream_free(&u->s);
	free(u->buf);
	if (u->out != NULL)
		sodium_memzero(u->out, AGE_CHUNK_SIZE);
	free(u->out);
	sodium_memzero(u, sizeof(*u));
	free(u);
}

static int
unseal_init(struct age_unseal *u, const uint8_t file_key[AGE_FILE_KEY_LEN])
{
	uint8_t nonce[AGE_NONCE_LEN];

	if ((u->buf = malloc(ENC_CHUNK)) == NULL ||
	    (u->out = malloc(AGE_CHUNK_SIZE)) == NULL)
		return SLUICE_ENOMEM;
	if (pread(u->fd, nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
		return SLUICE_EIO;
	return stream_init(&u->s, file_key, nonce, 0);
}

int
age_unseal_new(const uint8_t file_key[AGE_FILE_KEY_LEN], int fd,
    uint64_t len, struct age_unseal **out)
{
	struct age_unseal *u;
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return SLUICE_ENOMEM;
	u->fd = fd;
	u->len = len;
	u->have = UINT64_MAX;
	if ((r = age_plain_size(len, &u->plain)) == 0 &&
	    (r = unseal_init(u, file_key)) == 0) {
		u->nchunks = u->plain == 0 ? 1 :
		    (u->plain + AGE_CHUNK_SIZE - 1) / AGE_CHUNK_SIZE;
		*out = u;
		return 0;
	}
	age_unseal_free(u);
	return r;
}

uint64_t
age_unseal_size(const struct age_unseal *u)
{
	return u->plain;
}

/* Chunk i into u->out, read and authenticated unless it is there. */
static int
unseal_chunk(struct age_unseal *u, uint64_t i)
{
	uint64_t at = AGE_NONCE_LEN + i * ENC_CHUNK;
	size_t k = (size_t)(i + 1 < u->nchunks ? ENC_CHUNK : u->len - at);
	ssize_t got;
	int r;

	if (u->have == i)
		return 0;
	u->have = UINT64_MAX;
	do
		got = pread(u->fd, u->buf, k, (off_t)at);
	while (got < 0 && errno == EINTR);
	if (got < 0 || (size_t)got != k)
		return SLUICE_EIO;
	u->s.counter = i;
	if ((r = open_chunk(&u->s, u->buf, k, i + 1 == u->nchunks,
	    u->out)) != 0)
		return r;
	u->have = i;
	u->have_len = k - AGE_TAG_LEN;
	return 0;
}

int
age_unseal_read(struct age_unseal *u, uint64_t off, uint8_t *dst, size_t n)
{
	size_t in, k;
	int r;

	if (off > u->plain || n > u->plain - off)
		return SLUICE_EINVAL;
	while (n > 0) {
		if ((r = unseal_chunk(u, off / AGE_CHUNK_SIZE)) != 0)
			return r;
		in = (size_t)(off % AGE_CHUNK_SIZE);
		k = u->have_len - in < n ? u->have_len - in : n;
		memcpy(dst, u->out + in, k);
		dst += k;
		off += k;
		n -= k;
	}
	return 0;
}

int
age_payload_spot_check(int fd, uint64_t len,
    const uint8_t file_key[AGE_FILE_KEY_LEN], char *why, size_t whylen)
{
	struct age_unseal *u = NULL;
	int r;

	if ((r = age_unseal_new(file_key, fd, len, &u)) != 0)
		return sluice_why(why, whylen, r, r == SLUICE_EFORMAT ? "age "
		    "payload of %llu bytes is truncated or has trailing data" :
		    "cannot read payload", (unsigned long long)len);
	if ((r = unseal_chunk(u, 0)) != 0 ||
	    (r = unseal_chunk(u, u->nchunks - 1)) != 0)
		sluice_why(why, whylen, r, "age payload chunk %llu fails "
		    "authentication", (unsigned long long)u->s.counter);
	age_unseal_free(u);
	return r;
}

/* A payload being opened as its ciphertext arrives (age.h): the file key
 * until the nonce is whole, then up to one chunk held back, since only more
 * input (or the end) tells a full chunk from the last one. */
struct age_opener {
	struct stream	 s;
	uint8_t		 key[AGE_FILE_KEY_LEN];	/* wiped once used */
	uint8_t		 nonce[AGE_NONCE_LEN];
	size_t		 nonce_have;
	uint8_t		*hold;		/* ENC_CHUNK of ciphertext */
	size_t		 have;
	uint8_t		*plain;		/* AGE_CHUNK_SIZE, guarded */
	age_plain_fn	 emit;
	void		*arg;
	int		 broken;
};

void
age_opener_free(struct age_opener *u)
{
	if (u == NULL)
		return;
	stream_free(&u->s);
	free(u->hold);
	sodium_free(u->plain);
	sodium_memzero(u, sizeof(*u));
	free(u);
}

int
age_opener_new(const uint8_t file_key[AGE_FILE_KEY_LEN], age_plain_fn emit,
    void *arg, struct age_opener **out)
{
	struct age_opener *u;

	*out = NULL;
	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->hold = malloc(ENC_CHUNK)) == NULL ||
	    (u->plain = sodium_malloc(AGE_CHUNK_SIZE)) == NULL) {
		age_opener_free(u);
		return SLUICE_ENOMEM;
	}
	memcpy(u->key, file_key, AGE_FILE_KEY_LEN);
	u->emit = emit;
	u->arg = arg;
	*out = u;
	return 0;
}

/* Takes nonce bytes from p; the stream starts once all 16 are here. */
static int
opener_nonce(struct age_opener *u, const uint8_t *p, size_t n, size_t *k)
{
	int r = 0;

	*k = AGE_NONCE_LEN - u->nonce_have < n ? AGE_NONCE_LEN -
	    u->nonce_have : n;
	memcpy(u->nonce + u->nonce_have, p, *k);
	u->nonce_have += *k;
	if (u->nonce_have == AGE_NONCE_LEN) {
		r = stream_init(&u->s, u->key, u->nonce, 0);
		sodium_memzero(u->key, sizeof(u->key));
	}
	return r;
}

/* Opens a full chunk that is not the last and hands its plaintext on. */
static int
opener_full(struct age_opener *u, const uint8_t *c, char *why, size_t whylen)
{
	int r;

	if ((r = open_chunk(&u->s, c, ENC_CHUNK, 0, u->plain)) != 0)
		return chunk_refusal(&u->s, c, u->plain, r, why, whylen);
	if ((r = u->emit(u->arg, u->plain, AGE_CHUNK_SIZE)) != 0)
		return sluice_why(why, whylen, r, "cannot write plaintext");
	u->s.counter++;
	u->s.plain += AGE_CHUNK_SIZE;
	return 0;
}

/* Takes what it can of p[0..n) (*k bytes): a held full chunk is opened
 * first, since more input means it is not the last; with nothing held, a
 * full chunk of p followed by more is opened in place. */
static int
opener_step(struct age_opener *u, const uint8_t *p, size_t n, size_t *k,
    char *why, size_t whylen)
{
	int r;

	*k = 0;
	if (u->nonce_have < AGE_NONCE_LEN)
		return opener_nonce(u, p, n, k);
	if (u->have == ENC_CHUNK) {
		if ((r = opener_full(u, u->hold, why, whylen)) != 0)
			return r;
		u->have = 0;
	}
	if (u->have == 0 && n > ENC_CHUNK) {
		*k = ENC_CHUNK;
		return opener_full(u, p, why, whylen);
	}
	*k = ENC_CHUNK - u->have < n ? ENC_CHUNK - u->have : n;
	memcpy(u->hold + u->have, p, *k);
	u->have += *k;
	return 0;
}

int
age_opener_update(struct age_opener *u, const uint8_t *p, size_t n,
    char *why, size_t whylen)
{
	size_t k;
	int r = 0;

	if (u->broken)
		return sluice_why(why, whylen, SLUICE_ESTATE,
		    "the age payload was refused already");
	while (n > 0 && r == 0) {
		r = opener_step(u, p, n, &k, why, whylen);
		p += k;
		n -= k;
	}
	if (r != 0)
		u->broken = 1;
	return r;
}

int
age_opener_final(struct age_opener *u, uint8_t sha256_plain[32],
    uint64_t *plain_len, char *why, size_t whylen)
{
	size_t n = u->have;
	int r;

	if (u->broken)
		return sluice_why(why, whylen, SLUICE_ESTATE,
		    "the age payload was refused already");
	u->broken = 1;		/* the last chunk is opened once */
	if (u->nonce_have < AGE_NONCE_LEN)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "age payload is truncated (no nonce)");
	if ((r = last_size_check(&u->s, n, why, whylen)) != 0)
		return r;
	if ((r = open_chunk(&u->s, u->hold, n, 1, u->plain)) != 0)
		return sluice_why(why, whylen, r, u->s.counter == 0 && n ==
		    ENC_CHUNK ? "age payload chunk 0 fails authentication" :
		    "age payload is truncated or its last chunk fails "
		    "authentication");
	if ((r = u->emit(u->arg, u->plain, n - AGE_TAG_LEN)) != 0)
		return sluice_why(why, whylen, r, "cannot write plaintext");
	u->s.plain += n - AGE_TAG_LEN;
	stream_done(&u->s, sha256_plain, plain_len);
	return 0;
}
