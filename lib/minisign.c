/* minisign.c: minisign key files, signing and verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sluice/error.h"
#include "sluice/minisign.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "
#define SIGALG "Ed"
#define SIGALG_HASHED "ED"
#define CHKALG "B2"
#define PUBKEY_BYTES (2 + MINISIGN_KEYID_LEN + 32)		/* 42 */
#define SIG_BYTES (2 + MINISIGN_KEYID_LEN + 64)		/* 74 */
/* sig_alg kdf_alg chk_alg salt[32] ops[8] mem[8] keyid[8] sk[64] chk[32] */
#define SECKEY_BYTES (2 + 2 + 2 + 32 + 8 + 8 + MINISIGN_KEYID_LEN + 64 + 32)
#define OFF_KEYID (2 + 2 + 2 + 32 + 8 + 8)
#define OFF_SK (OFF_KEYID + MINISIGN_KEYID_LEN)
#define OFF_CHK (OFF_SK + 64)
#define LINE_MAX_LEN 8192

struct minisign_key {
	uint8_t	keyid[MINISIGN_KEYID_LEN];
	uint8_t	sk[64];		/* seed || pk */
};

void
minisign_keyid_hex(const uint8_t keyid[MINISIGN_KEYID_LEN], char out[17])
{
	static const char hex[] = "0123456789ABCDEF";
	int i;

	/* minisign prints the id as a little-endian 64-bit number. */
	for (i = 0; i < MINISIGN_KEYID_LEN; i++) {
		out[2 * i] = hex[keyid[MINISIGN_KEYID_LEN - 1 - i] >> 4];
		out[2 * i + 1] = hex[keyid[MINISIGN_KEYID_LEN - 1 - i] & 15];
	}
	out[16] = '\0';
}

static int
put_b64_line(struct sbuf *b, const uint8_t *p, size_t n)
{
	char tmp[sodium_base64_ENCODED_LEN(SECKEY_BYTES,
	    sodium_base64_VARIANT_ORIGINAL)];
	int r;

	if (n > SECKEY_BYTES)
		return SLUICE_EINVAL;
	sodium_bin2base64(tmp, sizeof(tmp), p, n, sodium_base64_VARIANT_ORIGINAL);
	if ((r = sbuf_put(b, tmp, strlen(tmp))) == 0)
		r = sbuf_put_u8(b, '\n');
	sodium_memzero(tmp, sizeof(tmp));
	return r;
}

int
minisign_pubkey_format(const struct minisign_pubkey *pub, struct sbuf *out)
{
	uint8_t raw[PUBKEY_BYTES];
	char hex[17];
	int r;

	memcpy(raw, SIGALG, 2);
	memcpy(raw + 2, pub->keyid, MINISIGN_KEYID_LEN);
	memcpy(raw + 2 + MINISIGN_KEYID_LEN, pub->pk, 32);
	minisign_keyid_hex(pub->keyid, hex);
	if ((r = sbuf_putf(out, UNTRUSTED_PREFIX "minisign public key %s\n",
	    hex)) != 0)
		return r;
	return put_b64_line(out, raw, sizeof(raw));
}

static void
seckey_checksum(const uint8_t *keyid, const uint8_t *sk, uint8_t chk[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)SIGALG, 2);
	crypto_generichash_update(&st, keyid, MINISIGN_KEYID_LEN);
	crypto_generichash_update(&st, sk, 64);
	crypto_generichash_final(&st, chk, 32);
	sodium_memzero(&st, sizeof(st));
}

static int
seckey_format(const struct minisign_key *k, struct sbuf *out)
{
	uint8_t *raw;
	int r;

	if ((raw = sodium_malloc(SECKEY_BYTES)) == NULL)
		return SLUICE_ENOMEM;
	memset(raw, 0, SECKEY_BYTES);	/* KDF "\0\0", zero salt and limits */
	memcpy(raw, SIGALG, 2);
	memcpy(raw + 4, CHKALG, 2);
	memcpy(raw + OFF_KEYID, k->keyid, MINISIGN_KEYID_LEN);
	memcpy(raw + OFF_SK, k->sk, 64);
	seckey_checksum(k->keyid, k->sk, raw + OFF_CHK);
	if ((r = sbuf_putf(out, UNTRUSTED_PREFIX
	    "minisign unencrypted secret key\n")) == 0)
		r = put_b64_line(out, raw, SECKEY_BYTES);
	sodium_free(raw);
	return r;
}

static struct minisign_key *
key_new(void)
{
	struct minisign_key *k;

	if (sodium_init() < 0 || (k = sodium_malloc(sizeof(*k))) == NULL)
		return NULL;
	memset(k, 0, sizeof(*k));
	return k;
}

void
minisign_key_free(struct minisign_key *k)
{
	if (k != NULL)
		sodium_free(k);
}

void
minisign_key_public(const struct minisign_key *k, struct minisign_pubkey *pub)
{
	memcpy(pub->keyid, k->keyid, MINISIGN_KEYID_LEN);
	memcpy(pub->pk, k->sk + 32, 32);
}

int
minisign_keygen(struct sbuf *pub_text, struct sbuf *sec_text)
{
	struct minisign_key *k;
	struct minisign_pubkey pub;
	uint8_t pk[32];
	int r;

	if ((k = key_new()) == NULL)
		return SLUICE_ENOMEM;
	randombytes_buf(k->keyid, sizeof(k->keyid));
	if (crypto_sign_keypair(pk, k->sk) != 0) {
		r = SLUICE_ECRYPTO;
		goto out;
	}
	minisign_key_public(k, &pub);
	if ((r = seckey_format(k, sec_text)) == 0)
		r = minisign_pubkey_format(&pub, pub_text);
out:
	minisign_key_free(k);
	return r;
}

/* ---- parsing ---- */

struct lines {
	const char	*p;
	size_t		 len, off;
};

/* The next line without CR/LF; NULL at the end of the text. */
static int
next_line(struct lines *l, const char **line, size_t *n)
{
	const char *nl;

	if (l->off >= l->len)
		return SLUICE_EFORMAT;
	*line = l->p + l->off;
	nl = memchr(*line, '\n', l->len - l->off);
	*n = nl ? (size_t)(nl - *line) : l->len - l->off;
	l->off += *n + (nl ? 1 : 0);
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	if (*n > LINE_MAX_LEN || memchr(*line, '\0', *n) != NULL)
		return SLUICE_EFORMAT;
	return 0;
}

/* Only blank lines may follow the last line we read. */
static int
only_blank_left(struct lines *l)
{
	size_t i;

	for (i = l->off; i < l->len; i++)
		if (l->p[i] != '\n' && l->p[i] != '\r' && l->p[i] != ' ')
			return 0;
	return 1;
}

static int
b64_exact(const char *s, size_t n, uint8_t *out, size_t want)
{
	const char *end = NULL;
	size_t got = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (sodium_base642bin(out, want, s, n, NULL, &got, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n || got != want)
		return SLUICE_EFORMAT;
	return 0;
}

static int
has_prefix(const char *line, size_t n, const char *prefix)
{
	size_t m = strlen(prefix);

	return n >= m && memcmp(line, prefix, m) == 0;
}

static int
seckey_decode(const uint8_t *raw, struct minisign_key *k, char *why,
    size_t whylen)
{
	static const uint8_t zero[32];
	uint8_t chk[32], pk[32], sk[64];
	int r = 0;

	if (memcmp(raw, SIGALG, 2) != 0 || memcmp(raw + 4, CHKALG, 2) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign secret key has an unsupported algorithm");
	if (memcmp(raw + 2, "Sc", 2) == 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "minisign secret key is protected by a password; "
		    "remove it first (minisign -C -W on a copy)");
	if (raw[2] != 0 || raw[3] != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign secret key has an unsupported KDF");
	memcpy(k->keyid, raw + OFF_KEYID, MINISIGN_KEYID_LEN);
	memcpy(k->sk, raw + OFF_SK, 64);
	/* minisign -W writes no checksum (zeros); ours has one: check it. */
	seckey_checksum(k->keyid, k->sk, chk);
	if (memcmp(raw + OFF_CHK, zero, 32) != 0 &&
	    sodium_memcmp(chk, raw + OFF_CHK, 32) != 0)
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign secret key checksum does not match");
	crypto_sign_seed_keypair(pk, sk, k->sk);
	if (r == 0 && sodium_memcmp(pk, k->sk + 32, 32) != 0)
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign secret key does not match its public half");
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(chk, sizeof(chk));
	return r;
}

int
minisign_key_load(const char *text, size_t len, struct minisign_key **out,
    char *why, size_t whylen)
{
	struct lines l = { text, len, 0 };
	struct minisign_key *k = NULL;
	uint8_t *raw = NULL;
	const char *line;
	size_t n;
	int r;

	*out = NULL;
	if ((k = key_new()) == NULL || (raw = sodium_malloc(SECKEY_BYTES)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if (next_line(&l, &line, &n) != 0 ||
	    !has_prefix(line, n, UNTRUSTED_PREFIX) ||
	    next_line(&l, &line, &n) != 0 ||
	    b64_exact(line, n, raw, SECKEY_BYTES) != 0 || !only_blank_left(&l)) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a minisign secret key file");
		goto out;
	}
	if ((r = seckey_decode(raw, k, why, whylen)) != 0)
		goto out;
	*out = k;
	k = NULL;
out:
	sodium_free(raw);
	minisign_key_free(k);
	return r;
}

/* The key's bytes: its base64 line, after an optional untrusted comment. */
static int
pubkey_bytes(const char *text, size_t len, uint8_t raw[PUBKEY_BYTES])
{
	struct lines l = { text, len, 0 };
	const char *line;
	size_t n;

	if (next_line(&l, &line, &n) != 0)
		return SLUICE_EFORMAT;
	if (has_prefix(line, n, UNTRUSTED_PREFIX) && next_line(&l, &line, &n) != 0)
		return SLUICE_EFORMAT;
	if (b64_exact(line, n, raw, PUBKEY_BYTES) != 0 || !only_blank_left(&l))
		return SLUICE_EFORMAT;
	return 0;
}

int
minisign_pubkey_parse(const char *text, size_t len, struct minisign_pubkey *out,
    char *why, size_t whylen)
{
	uint8_t raw[PUBKEY_BYTES];

	if (pubkey_bytes(text, len, raw) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a minisign public key");
	if (memcmp(raw, SIGALG, 2) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign public key has an unsupported algorithm");
	memcpy(out->keyid, raw + 2, MINISIGN_KEYID_LEN);
	memcpy(out->pk, raw + 2 + MINISIGN_KEYID_LEN, 32);
	return 0;
}

/* ---- signing and verifying ---- */

static int
comment_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return 0;
	return 1;
}

static void
prehash(const uint8_t *msg, size_t len, uint8_t h[64])
{
	crypto_generichash(h, 64, msg, len, NULL, 0);
}

/* Ed25519 over signature || trusted comment: minisign's global signature. */
static int
global_input(const uint8_t sig[64], const char *tc, size_t tclen,
    uint8_t **buf, size_t *n)
{
	if ((*buf = malloc(64 + tclen)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(*buf, sig, 64);
	memcpy(*buf + 64, tc, tclen);
	*n = 64 + tclen;
	return 0;
}

int
minisign_sign(const struct minisign_key *k, const uint8_t *msg, size_t len,
    const char *untrusted, const char *trusted, struct sbuf *out)
{
	uint8_t h[64], sigraw[SIG_BYTES], gsig[64], *g = NULL;
	size_t ulen, tlen, glen;
	int r;

	if (untrusted == NULL)
		untrusted = "signature from minisign secret key";
	ulen = strlen(untrusted);
	tlen = strlen(trusted);
	if (ulen > MINISIGN_COMMENT_MAX || tlen > MINISIGN_TRUSTED_MAX ||
	    !comment_ok(untrusted, ulen) || !comment_ok(trusted, tlen))
		return SLUICE_EINVAL;
	prehash(msg, len, h);
	memcpy(sigraw, SIGALG_HASHED, 2);
	memcpy(sigraw + 2, k->keyid, MINISIGN_KEYID_LEN);
	if (crypto_sign_detached(sigraw + 2 + MINISIGN_KEYID_LEN, NULL, h, 64,
	    k->sk) != 0)
		return SLUICE_ECRYPTO;
	if ((r = global_input(sigraw + 2 + MINISIGN_KEYID_LEN, trusted, tlen,
	    &g, &glen)) != 0)
		return r;
	if (crypto_sign_detached(gsig, NULL, g, glen, k->sk) != 0) {
		r = SLUICE_ECRYPTO;
		goto out;
	}
	if ((r = sbuf_putf(out, UNTRUSTED_PREFIX "%s\n", untrusted)) != 0 ||
	    (r = put_b64_line(out, sigraw, sizeof(sigraw))) != 0 ||
	    (r = sbuf_putf(out, TRUSTED_PREFIX "%s\n", trusted)) != 0)
		goto out;
	r = put_b64_line(out, gsig, sizeof(gsig));
out:
	free(g);
	return r;
}

struct sigfile {
	uint8_t		 sig[SIG_BYTES];
	uint8_t		 gsig[64];
	const char	*tc;
	size_t		 tclen;
};

static int
sigfile_parse(const char *text, size_t len, struct sigfile *sf, char *why,
    size_t whylen)
{
	struct lines l = { text, len, 0 };
	const char *line;
	size_t n;

	if (next_line(&l, &line, &n) != 0 ||
	    !has_prefix(line, n, UNTRUSTED_PREFIX) ||
	    next_line(&l, &line, &n) != 0 ||
	    b64_exact(line, n, sf->sig, sizeof(sf->sig)) != 0 ||
	    next_line(&l, &line, &n) != 0 ||
	    !has_prefix(line, n, TRUSTED_PREFIX))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a minisign signature file");
	sf->tc = line + strlen(TRUSTED_PREFIX);
	sf->tclen = n - strlen(TRUSTED_PREFIX);
	if (sf->tclen > MINISIGN_TRUSTED_MAX || !comment_ok(sf->tc, sf->tclen))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign trusted comment is too long or unprintable");
	if (next_line(&l, &line, &n) != 0 ||
	    b64_exact(line, n, sf->gsig, sizeof(sf->gsig)) != 0 ||
	    !only_blank_left(&l))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "minisign signature file has a malformed global signature");
	return 0;
}

int
minisign_verify(const struct minisign_pubkey *pub, const uint8_t *msg,
    size_t len, const char *sig_text, size_t siglen, char *trusted,
    size_t trustedlen, char *why, size_t whylen)
{
	struct sigfile sf;
	uint8_t h[64], *g = NULL;
	size_t glen;
	int r;

	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if ((r = sigfile_parse(sig_text, siglen, &sf, why, whylen)) != 0)
		return r;
	if (memcmp(sf.sig, SIGALG_HASHED, 2) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "minisign signature is not of the prehashed (ED) kind");
	if (memcmp(sf.sig + 2, pub->keyid, MINISIGN_KEYID_LEN) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "minisign signature was made by another key");
	prehash(msg, len, h);
	if (crypto_sign_verify_detached(sf.sig + 2 + MINISIGN_KEYID_LEN, h, 64,
	    pub->pk) != 0)
		return sluice_why(why, whylen, SLUICE_EVERIFY,
		    "minisign signature does not verify");
	if ((r = global_input(sf.sig + 2 + MINISIGN_KEYID_LEN, sf.tc, sf.tclen,
	    &g, &glen)) != 0)
		return r;
	if (crypto_sign_verify_detached(sf.gsig, g, glen, pub->pk) != 0)
		r = sluice_why(why, whylen, SLUICE_EVERIFY,
		    "minisign trusted comment signature does not verify");
	else if (trusted != NULL && trustedlen > 0)
		(void)snprintf(trusted, trustedlen, "%.*s", (int)sf.tclen, sf.tc);
	free(g);
	return r;
}
