/*
 * age.c: age v1 headers (recipients, stanzas, MAC), identities and the
 * whole-file decryptor. The payload lives in age_stream.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "age_internal.h"
#include "bech32.h"
#include "sluice/age.h"
#include "sluice/error.h"
#include "sluice/sshkey.h"

#define INTRO		"age-encryption.org/v1"
#define X25519_LABEL	"age-encryption.org/v1/X25519"
#define ED25519_LABEL	"age-encryption.org/v1/ssh-ed25519"
#define RSA_LABEL	"age-encryption.org/v1/ssh-rsa"
#define LINE_MAX_LEN	4096	/* longest stanza or footer line */
#define ARGS_MAX	16	/* type + arguments per stanza */
#define BODY_MAX	8192	/* decoded stanza body */
#define KEYS_MAX	32	/* keys per identity file */
#define RSA_MIN_BITS	2048	/* age's floor for ssh-rsa recipients */

/* ---- small helpers ---- */

static const uint8_t *
find_bytes(const uint8_t *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* Canonical unpadded base64 of exactly s[0..n). */
static int
b64_raw_decode(const char *s, size_t n, uint8_t *out, size_t cap,
    size_t *outlen)
{
	const char *end = NULL;

	if (n % 4 == 1)
		return SLUICE_EFORMAT;	/* never canonical */
	if (sodium_base642bin(out, cap, s, n, NULL, outlen, &end,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 || end != s + n)
		return SLUICE_EFORMAT;
	return 0;
}

static int
put_b64(struct sbuf *b, const uint8_t *p, size_t n)
{
	char tmp[sodium_base64_ENCODED_LEN(48,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	if (n > 48)
		return SLUICE_EINVAL;
	sodium_bin2base64(tmp, sizeof(tmp), p, n,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return sbuf_put(b, tmp, strlen(tmp));
}

/* A stanza body: 64-column lines, the last one short (maybe empty). */
static int
put_body(struct sbuf *b, const uint8_t *p, size_t n)
{
	size_t k;
	int r;

	for (;;) {
		k = n < 48 ? n : 48;
		if ((r = put_b64(b, p, k)) != 0 || (r = sbuf_put_u8(b, '\n')) != 0)
			return r;
		if (k < 48)
			return 0;
		p += k;
		n -= k;
	}
}

static int
hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *m, size_t n,
    uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	if (crypto_auth_hmacsha256_init(&st, key, keylen) != 0 ||
	    crypto_auth_hmacsha256_update(&st, m, n) != 0 ||
	    crypto_auth_hmacsha256_final(&st, out) != 0)
		return SLUICE_ECRYPTO;
	sodium_memzero(&st, sizeof(st));
	return 0;
}

static int
header_mac(const uint8_t file_key[AGE_FILE_KEY_LEN], const uint8_t *hdr,
    size_t n, uint8_t mac[32])
{
	uint8_t key[32];
	int r;

	if ((r = age_hkdf(file_key, AGE_FILE_KEY_LEN, NULL, 0, "header", key,
	    sizeof(key))) == 0)
		r = hmac_sha256(key, sizeof(key), hdr, n, mac);
	sodium_memzero(key, sizeof(key));
	return r;
}

/* First 4 bytes of SHA-256 of the SSH wire key: the stanza's tag. */
static void
ssh_tag(const uint8_t *blob, size_t len, uint8_t tag[4])
{
	uint8_t h[32];

	crypto_hash_sha256(h, blob, len);
	memcpy(tag, h, 4);
}

/*
 * The X25519 shared secret of the ssh-ed25519 recipient type: the plain
 * DH output multiplied again by a tweak bound to the SSH key, as agessh.go.
 */
static int
ed25519_tweak(const uint8_t *blob, size_t len, uint8_t shared[32])
{
	uint8_t tweak[32], out[32];
	int r = SLUICE_ECRYPTO;

	if (age_hkdf(NULL, 0, blob, len, ED25519_LABEL, tweak,
	    sizeof(tweak)) == 0 && crypto_scalarmult(out, tweak, shared) == 0) {
		memcpy(shared, out, 32);
		r = 0;
	}
	sodium_memzero(tweak, sizeof(tweak));
	sodium_memzero(out, sizeof(out));
	return r;
}

/* ---- recipients ---- */

int
age_recipient_parse_age1(const char *s, struct age_recipient *out, char *why,
    size_t whylen)
{
	size_t n = strnlen(s, 256), got = 0;

	memset(out, 0, sizeof(*out));
	if (bech32_decode(s, n, "age", out->x25519, sizeof(out->x25519),
	    &got) != 0 || got != 32)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a valid age1 recipient");
	out->type = AGE_RCPT_X25519;
	return 0;
}

static int
recipient_rsa(const struct sshkey_pub *k, struct age_recipient *out,
    char *why, size_t whylen)
{
	if (k->bits < RSA_MIN_BITS)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "ssh-rsa key of %u bits is too small for age", k->bits);
	if (sshkey_rsa_pkey(k->blob, k->bloblen, &out->rsa, &out->rsa_bits) != 0)
		return sluice_why(why, whylen, SLUICE_ECRYPTO,
		    "cannot load ssh-rsa key");
	out->type = AGE_RCPT_SSH_RSA;
	return 0;
}

static int
recipient_ed25519(const struct sshkey_pub *k, struct age_recipient *out,
    char *why, size_t whylen)
{
	uint8_t pk[32];

	if (sshkey_ed25519_pk(k->blob, k->bloblen, pk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(out->x25519, pk) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-ed25519 key is not a valid curve point");
	out->type = AGE_RCPT_SSH_ED25519;
	return 0;
}

static int
recipient_ssh(const struct sshkey_pub *k, struct age_recipient *out,
    char *why, size_t whylen)
{
	if (k->type == SSHKEY_RSA)
		return recipient_rsa(k, out, why, whylen);
	if (k->type != SSHKEY_ED25519)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "age cannot encrypt to %s keys (ssh-ed25519 or ssh-rsa only)",
		    sshkey_type_name(k->type));
	return recipient_ed25519(k, out, why, whylen);
}

int
age_recipient_from_ssh(const uint8_t *blob, size_t len,
    struct age_recipient *out, char *why, size_t whylen)
{
	struct sshkey_pub *k = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if ((r = sshkey_pub_from_blob(blob, len, &k, why, whylen)) != 0)
		return r;
	if ((r = recipient_ssh(k, out, why, whylen)) != 0)
		goto out;
	if ((out->ssh_blob = malloc(len)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	memcpy(out->ssh_blob, blob, len);
	out->ssh_bloblen = len;
out:
	if (r != 0)
		age_recipient_clear(out);
	sshkey_pub_free(k);
	return r;
}

void
age_recipient_clear(struct age_recipient *r)
{
	if (r == NULL)
		return;
	free(r->ssh_blob);
	EVP_PKEY_free(r->rsa);
	memset(r, 0, sizeof(*r));
}

int
age_file_key_new(uint8_t file_key[AGE_FILE_KEY_LEN])
{
	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	randombytes_buf(file_key, AGE_FILE_KEY_LEN);
	return 0;
}

/* ---- header building ---- */

/*
 * A per-stanza "random" value: HMAC-SHA-256(seed, label || 0 || file key ||
 * recipient). The file key is in it so that a reused seed still never
 * reuses an ephemeral key (and so a ChaCha20-Poly1305 key) across files.
 */
static int
derive(const uint8_t seed[AGE_SEED_LEN], const char *label,
    const uint8_t file_key[AGE_FILE_KEY_LEN], const struct age_recipient *r,
    uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;
	static const uint8_t zero = 0;
	const uint8_t *id = r->ssh_blob ? r->ssh_blob : r->x25519;
	size_t idlen = r->ssh_blob ? r->ssh_bloblen : sizeof(r->x25519);

	if (crypto_auth_hmacsha256_init(&st, seed, AGE_SEED_LEN) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"sluice-age/",
	    11) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)label,
	    strlen(label)) != 0 ||
	    crypto_auth_hmacsha256_update(&st, &zero, 1) != 0 ||
	    crypto_auth_hmacsha256_update(&st, file_key, AGE_FILE_KEY_LEN) != 0 ||
	    crypto_auth_hmacsha256_update(&st, id, idlen) != 0 ||
	    crypto_auth_hmacsha256_final(&st, out) != 0)
		return SLUICE_ECRYPTO;
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* Ephemeral share and wrapped file key for X25519 and ssh-ed25519. */
static int
wrap_dh(const uint8_t file_key[AGE_FILE_KEY_LEN], const struct age_recipient *rc,
    const uint8_t seed[AGE_SEED_LEN], uint8_t share[32], uint8_t body[32])
{
	int ed = rc->type == AGE_RCPT_SSH_ED25519;
	const char *label = ed ? ED25519_LABEL : X25519_LABEL;
	uint8_t eph[32], shared[32], salt[64], wk[32];
	static const uint8_t zero_nonce[12];
	int r = SLUICE_ECRYPTO;

	if (derive(seed, ed ? "ssh-ed25519" : "X25519", file_key, rc, eph) != 0 ||
	    crypto_scalarmult_base(share, eph) != 0 ||
	    crypto_scalarmult(shared, eph, rc->x25519) != 0 ||
	    (ed && ed25519_tweak(rc->ssh_blob, rc->ssh_bloblen, shared) != 0))
		goto out;
	memcpy(salt, share, 32);
	memcpy(salt + 32, rc->x25519, 32);
	if (age_hkdf(shared, 32, salt, 64, label, wk, sizeof(wk)) != 0 ||
	    crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key,
	    AGE_FILE_KEY_LEN, NULL, 0, NULL, zero_nonce, wk) != 0)
		goto out;
	r = 0;
out:
	sodium_memzero(eph, sizeof(eph));
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wk, sizeof(wk));
	return r;
}

static void
mgf1_xor(const uint8_t *z, size_t zlen, uint8_t *out, size_t n)
{
	crypto_hash_sha256_state st;
	uint8_t h[32], ctr[4];
	uint32_t c;
	size_t i = 0, j, k;

	for (c = 0; i < n; c++) {
		sbuf_poke_u32(ctr, c);
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, z, zlen);
		crypto_hash_sha256_update(&st, ctr, sizeof(ctr));
		crypto_hash_sha256_final(&st, h);
		k = n - i < sizeof(h) ? n - i : sizeof(h);
		for (j = 0; j < k; j++)
			out[i + j] ^= h[j];
		i += k;
	}
	sodium_memzero(h, sizeof(h));
	sodium_memzero(&st, sizeof(st));
}

/* EME-OAEP (RFC 8017 7.1.1) with SHA-256, MGF1-SHA-256 and age's label. */
static void
oaep_encode(const uint8_t m[AGE_FILE_KEY_LEN], const uint8_t seed[32],
    uint8_t *em, size_t k)
{
	uint8_t *mseed = em + 1, *db = em + 33;
	size_t dblen = k - 33;

	memset(em, 0, k);
	crypto_hash_sha256(db, (const uint8_t *)RSA_LABEL, strlen(RSA_LABEL));
	db[dblen - AGE_FILE_KEY_LEN - 1] = 0x01;
	memcpy(db + dblen - AGE_FILE_KEY_LEN, m, AGE_FILE_KEY_LEN);
	memcpy(mseed, seed, 32);
	mgf1_xor(mseed, 32, db, dblen);
	mgf1_xor(db, dblen, mseed, 32);
}

static int
rsa_raw_encrypt(struct evp_pkey_st *pk, const uint8_t *em, size_t k,
    uint8_t *out)
{
	EVP_PKEY_CTX *ctx;
	size_t outlen = k;
	int r = SLUICE_ECRYPTO;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return r;
	if (EVP_PKEY_encrypt_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0 &&
	    EVP_PKEY_encrypt(ctx, out, &outlen, em, k) > 0 && outlen == k)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
stanza_rsa(const uint8_t file_key[AGE_FILE_KEY_LEN],
    const struct age_recipient *rc, const uint8_t seed[AGE_SEED_LEN],
    struct sbuf *out)
{
	uint8_t oseed[32], tag[4], *em = NULL, *ct = NULL;
	size_t k = (rc->rsa_bits + 7) / 8;
	int r = SLUICE_ENOMEM;

	if (k < 2 * 32 + 2 + AGE_FILE_KEY_LEN || k > BODY_MAX)
		return SLUICE_EINVAL;
	if ((em = sodium_malloc(k)) == NULL || (ct = malloc(k)) == NULL)
		goto out;
	if ((r = derive(seed, "ssh-rsa", file_key, rc, oseed)) != 0)
		goto out;
	oaep_encode(file_key, oseed, em, k);
	if ((r = rsa_raw_encrypt(rc->rsa, em, k, ct)) != 0)
		goto out;
	ssh_tag(rc->ssh_blob, rc->ssh_bloblen, tag);
	if ((r = sbuf_putf(out, "-> ssh-rsa ")) != 0 ||
	    (r = put_b64(out, tag, 4)) != 0 || (r = sbuf_put_u8(out, '\n')) != 0 ||
	    (r = put_body(out, ct, k)) != 0)
		goto out;
out:
	sodium_memzero(oseed, sizeof(oseed));
	sodium_free(em);
	free(ct);
	return r;
}

/* "-> X25519 " or "-> ssh-ed25519 TAG ": the stanza up to its share. */
static int
dh_stanza_head(const struct age_recipient *rc, struct sbuf *out)
{
	uint8_t tag[4];
	int r;

	if (rc->type == AGE_RCPT_X25519)
		return sbuf_putf(out, "-> X25519 ");
	ssh_tag(rc->ssh_blob, rc->ssh_bloblen, tag);
	if ((r = sbuf_putf(out, "-> ssh-ed25519 ")) != 0 ||
	    (r = put_b64(out, tag, 4)) != 0)
		return r;
	return sbuf_put_u8(out, ' ');
}

static int
stanza_dh(const uint8_t file_key[AGE_FILE_KEY_LEN],
    const struct age_recipient *rc, const uint8_t seed[AGE_SEED_LEN],
    struct sbuf *out)
{
	uint8_t share[32], body[32];
	int r;

	if ((r = wrap_dh(file_key, rc, seed, share, body)) != 0 ||
	    (r = dh_stanza_head(rc, out)) != 0 ||
	    (r = put_b64(out, share, 32)) != 0 ||
	    (r = sbuf_put_u8(out, '\n')) != 0)
		return r;
	return put_body(out, body, sizeof(body));
}

static int
stanza_build(const uint8_t file_key[AGE_FILE_KEY_LEN],
    const struct age_recipient *rc, const uint8_t seed[AGE_SEED_LEN],
    struct sbuf *out)
{
	switch (rc->type) {
	case AGE_RCPT_X25519:
		return stanza_dh(file_key, rc, seed, out);
	case AGE_RCPT_SSH_ED25519:
		if (rc->ssh_blob == NULL)
			return SLUICE_EINVAL;
		return stanza_dh(file_key, rc, seed, out);
	case AGE_RCPT_SSH_RSA:
		if (rc->ssh_blob == NULL || rc->rsa == NULL)
			return SLUICE_EINVAL;
		return stanza_rsa(file_key, rc, seed, out);
	default:
		return SLUICE_EINVAL;
	}
}

int
age_header_build(const uint8_t file_key[AGE_FILE_KEY_LEN],
    const struct age_recipient *rc, size_t n, const uint8_t seed[AGE_SEED_LEN],
    struct sbuf *out)
{
	size_t start = out->len, i;
	uint8_t mac[32];
	int r;

	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if (n == 0 || n > AGE_STANZAS_MAX)
		return SLUICE_EINVAL;
	if ((r = sbuf_putf(out, INTRO "\n")) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = stanza_build(file_key, &rc[i], seed, out)) != 0)
			goto out;
	if ((r = sbuf_putf(out, "---")) != 0 ||
	    (r = header_mac(file_key, out->data + start, out->len - start,
	    mac)) != 0 ||
	    (r = sbuf_put_u8(out, ' ')) != 0 || (r = put_b64(out, mac, 32)) != 0)
		goto out;
	r = sbuf_put_u8(out, '\n');
out:
	if (r != 0 && out->len >= start)
		out->len = start;	/* nothing half-built stays behind */
	return r;
}

/* ---- header parsing ---- */

struct age_stanza {
	char	*arg[ARGS_MAX];		/* arg[0] is the type */
	size_t	 nargs;
	uint8_t	*body;
	size_t	 bodylen;
};

struct age_header {
	struct age_stanza st[AGE_STANZAS_MAX];
	size_t	 n;
	uint8_t	 mac[32];
	uint8_t	*raw;		/* the header up to and including "---" */
	size_t	 rawlen;
};

void
age_header_free(struct age_header *h)
{
	size_t i, j;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++) {
		for (j = 0; j < h->st[i].nargs; j++)
			free(h->st[i].arg[j]);
		free(h->st[i].body);
	}
	free(h->raw);
	free(h);
}

struct cursor {
	const uint8_t	*p;
	size_t		 len, off;
	size_t		 lineno;
};

/* The next line without its LF; refuses CR, NUL and over-long lines. */
static int
next_line(struct cursor *c, const char **line, size_t *n, char *why,
    size_t whylen)
{
	size_t avail = c->len - c->off, lim = avail < LINE_MAX_LEN + 1 ?
	    avail : LINE_MAX_LEN + 1;
	const uint8_t *nl = memchr(c->p + c->off, '\n', lim);
	size_t i;

	c->lineno++;
	if (nl == NULL)
		return sluice_why(why, whylen, SLUICE_EFORMAT, lim == avail ?
		    "age header is truncated (line %zu)" :
		    "age header line %zu is too long", c->lineno);
	*line = (const char *)c->p + c->off;
	*n = (size_t)(nl - (c->p + c->off));
	for (i = 0; i < *n; i++)
		if ((*line)[i] < 0x20 || (*line)[i] > 0x7e)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "age header line %zu holds a control or non-ASCII "
			    "byte", c->lineno);
	c->off += *n + 1;
	return 0;
}

static int
split_args(struct age_stanza *s, const char *line, size_t n, char *why,
    size_t whylen, size_t lineno)
{
	size_t i = 3, j;	/* after "-> " */

	while (i <= n) {
		for (j = i; j < n && line[j] != ' '; j++)
			;
		if (j == i || s->nargs == ARGS_MAX)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "age stanza on line %zu has an empty argument or "
			    "too many", lineno);
		if ((s->arg[s->nargs] = malloc(j - i + 1)) == NULL)
			return SLUICE_ENOMEM;
		memcpy(s->arg[s->nargs], line + i, j - i);
		s->arg[s->nargs++][j - i] = '\0';
		i = j + 1;
	}
	return 0;
}

static int
read_body(struct cursor *c, struct age_stanza *s, char *why, size_t whylen)
{
	uint8_t tmp[BODY_MAX + 48];
	const char *line;
	size_t n, got;
	int r;

	for (;;) {
		if ((r = next_line(c, &line, &n, why, whylen)) != 0)
			return r;
		if (n > 64 || b64_raw_decode(line, n, tmp + s->bodylen, 48,
		    &got) != 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "age stanza body line %zu is not canonical base64 "
			    "of at most 64 columns", c->lineno);
		s->bodylen += got;
		if (n < 64)
			break;
		if (s->bodylen > BODY_MAX)
			return sluice_why(why, whylen, SLUICE_ETOOBIG,
			    "age stanza body is too long");
	}
	if ((s->body = malloc(s->bodylen ? s->bodylen : 1)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(s->body, tmp, s->bodylen);
	return 0;
}

static int
arg_decodes(const char *a, size_t want)
{
	uint8_t tmp[32];
	size_t got;

	return b64_raw_decode(a, strlen(a), tmp, sizeof(tmp), &got) == 0 &&
	    got == want;
}

/* The stanza types we know must have their exact shapes. */
static int
stanza_check(const struct age_stanza *s, char *why, size_t whylen)
{
	const char *t = s->arg[0];
	int ok = 1;

	if (strcmp(t, "X25519") == 0)
		ok = s->nargs == 2 && arg_decodes(s->arg[1], 32) &&
		    s->bodylen == 32;
	else if (strcmp(t, "ssh-ed25519") == 0)
		ok = s->nargs == 3 && arg_decodes(s->arg[1], 4) &&
		    arg_decodes(s->arg[2], 32) && s->bodylen == 32;
	else if (strcmp(t, "ssh-rsa") == 0)
		ok = s->nargs == 2 && arg_decodes(s->arg[1], 4) &&
		    s->bodylen > 0;
	if (!ok)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "malformed %.32s stanza", t);
	return 0;
}

static int
read_footer(struct cursor *c, struct age_header *h, const char *line,
    size_t n, char *why, size_t whylen)
{
	size_t got;

	if (n < 4 || line[3] != ' ' ||
	    b64_raw_decode(line + 4, n - 4, h->mac, sizeof(h->mac), &got) != 0 ||
	    got != 32)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "malformed age header MAC line");
	h->rawlen = (size_t)(line - (const char *)c->p) + 3;
	if ((h->raw = malloc(h->rawlen)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(h->raw, c->p, h->rawlen);
	return 0;
}

static int
parse_stanzas(struct cursor *c, struct age_header *h, char *why, size_t whylen)
{
	struct age_stanza *st;
	const char *line;
	size_t n;
	int r;

	for (;;) {
		if ((r = next_line(c, &line, &n, why, whylen)) != 0)
			return r;
		if (n >= 3 && memcmp(line, "---", 3) == 0)
			return read_footer(c, h, line, n, why, whylen);
		if (n < 4 || memcmp(line, "-> ", 3) != 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "age header line %zu is neither a stanza nor the "
			    "MAC line", c->lineno);
		if (h->n == AGE_STANZAS_MAX)
			return sluice_why(why, whylen, SLUICE_ETOOBIG,
			    "age header has more than %d stanzas",
			    AGE_STANZAS_MAX);
		/* Counted first, so age_header_free() frees a partial one. */
		st = &h->st[h->n++];
		if ((r = split_args(st, line, n, why, whylen, c->lineno)) != 0 ||
		    (r = read_body(c, st, why, whylen)) != 0 ||
		    (r = stanza_check(st, why, whylen)) != 0)
			return r;
	}
}

int
age_header_parse(const uint8_t *p, size_t len, struct age_header **out,
    size_t *hdrlen, char *why, size_t whylen)
{
	struct cursor c = { p, len > AGE_HEADER_MAX ? AGE_HEADER_MAX : len, 0, 0 };
	struct age_header *h = NULL;
	const char *line;
	size_t n;
	int r;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return SLUICE_ENOMEM;
	if ((r = next_line(&c, &line, &n, why, whylen)) != 0)
		goto out;
	if (n != strlen(INTRO) || memcmp(line, INTRO, n) != 0) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not an age v1 file (bad first line)");
		goto out;
	}
	if ((r = parse_stanzas(&c, h, why, whylen)) != 0)
		goto out;
	*hdrlen = c.off;
	*out = h;
	h = NULL;
out:
	age_header_free(h);
	return r;
}

/* ---- identities ---- */

enum key_kind { KEY_X25519 = 1, KEY_SSH_ED25519, KEY_SSH_RSA };

struct age_key {
	enum key_kind	 kind;
	uint8_t		 sk[32];	/* X25519 scalar */
	uint8_t		 pk[32];	/* its public point */
	uint8_t		 tag[4];	/* ssh types */
	const struct sshkey_priv *ssh;	/* borrowed from the identity */
};

/*
 * The scalars live in guarded pages; the struct and the SSH key it owns
 * stay on the ordinary heap, where LeakSanitizer can follow the pointers.
 */
struct age_identity {
	struct age_key	*key;		/* sodium_malloc'd, KEYS_MAX */
	size_t		 n;
	struct sshkey_priv *ssh;	/* an OpenSSH identity's one key */
};

void
age_identity_free(struct age_identity *id)
{
	if (id == NULL)
		return;
	sshkey_priv_free(id->ssh);
	sodium_free(id->key);	/* wipes the scalars; NULL is fine */
	free(id);
}

static int
identity_ssh(const char *text, size_t len, struct age_identity *id,
    char *why, size_t whylen)
{
	struct age_key *k = &id->key[0];
	int r;

	if ((r = sshkey_priv_parse(text, len, &id->ssh, why, whylen)) != 0)
		return r;
	k->ssh = id->ssh;
	id->n = 1;
	ssh_tag(k->ssh->blob, k->ssh->bloblen, k->tag);
	if (k->ssh->type == SSHKEY_RSA) {
		k->kind = KEY_SSH_RSA;
		return 0;
	}
	k->kind = KEY_SSH_ED25519;
	if (crypto_sign_ed25519_sk_to_curve25519(k->sk, k->ssh->ed25519_sk) != 0 ||
	    crypto_scalarmult_base(k->pk, k->sk) != 0)
		return sluice_why(why, whylen, SLUICE_ECRYPTO,
		    "cannot convert the ssh-ed25519 key");
	return 0;
}

static int
identity_x25519_line(const char *line, size_t n, struct age_identity *id,
    size_t lineno, char *why, size_t whylen)
{
	struct age_key *k;
	size_t got = 0;

	if (id->n == KEYS_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "identity file holds more than %d keys", KEYS_MAX);
	k = &id->key[id->n];
	if (bech32_decode(line, n, "age-secret-key-", k->sk, sizeof(k->sk),
	    &got) != 0 || got != 32)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "identity line %zu is not an AGE-SECRET-KEY-1 key", lineno);
	if (crypto_scalarmult_base(k->pk, k->sk) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "identity line %zu holds an unusable key", lineno);
	k->kind = KEY_X25519;
	id->n++;
	return 0;
}

/* One line of an identity file: a key, a comment or nothing. */
static int
identity_line(const char *line, size_t n, struct age_identity *id,
    size_t lineno, char *why, size_t whylen)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n == 0 || line[0] == '#')
		return 0;
	return identity_x25519_line(line, n, id, lineno, why, whylen);
}

static int
identity_lines(const char *text, size_t len, struct age_identity *id,
    char *why, size_t whylen)
{
	size_t off = 0, n, lineno = 0;
	const char *nl;
	int r;

	while (off < len) {
		lineno++;
		nl = memchr(text + off, '\n', len - off);
		n = nl ? (size_t)(nl - text - off) : len - off;
		if ((r = identity_line(text + off, n, id, lineno, why,
		    whylen)) != 0)
			return r;
		off += n + (nl != NULL);
	}
	if (id->n == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "identity file holds no key");
	return 0;
}

int
age_identity_parse(const char *text, size_t len, struct age_identity **out,
    char *why, size_t whylen)
{
	struct age_identity *id;
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return SLUICE_ECRYPTO;
	if (len > 64 * 1024)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "identity file is too large");
	if ((id = calloc(1, sizeof(*id))) == NULL)
		return SLUICE_ENOMEM;
	if ((id->key = sodium_malloc(KEYS_MAX * sizeof(*id->key))) == NULL) {
		free(id);
		return SLUICE_ENOMEM;
	}
	memset(id->key, 0, KEYS_MAX * sizeof(*id->key));
	if (find_bytes((const uint8_t *)text, len,
	    "-----BEGIN OPENSSH PRIVATE KEY-----") != NULL)
		r = identity_ssh(text, len, id, why, whylen);
	else
		r = identity_lines(text, len, id, why, whylen);
	if (r != 0) {
		age_identity_free(id);
		return r;
	}
	*out = id;
	return 0;
}

static int
recipient_string(const uint8_t pk[32], char out[AGE_RECIPIENT_STRLEN + 1])
{
	return bech32_encode("age", pk, 32, out, AGE_RECIPIENT_STRLEN + 1);
}

int
age_keygen(char identity[AGE_IDENTITY_STRLEN + 1],
    char recipient[AGE_RECIPIENT_STRLEN + 1])
{
	uint8_t sk[32], pk[32];
	size_t i;
	int r = SLUICE_ECRYPTO;

	if (sodium_init() < 0)
		return r;
	randombytes_buf(sk, sizeof(sk));
	if (crypto_scalarmult_base(pk, sk) != 0 ||
	    (r = bech32_encode("age-secret-key-", sk, 32, identity,
	    AGE_IDENTITY_STRLEN + 1)) != 0 ||
	    (r = recipient_string(pk, recipient)) != 0)
		goto out;
	for (i = 0; identity[i] != '\0'; i++)
		if (identity[i] >= 'a' && identity[i] <= 'z')
			identity[i] = (char)(identity[i] - 'a' + 'A');
out:
	sodium_memzero(sk, sizeof(sk));
	return r;
}

int
age_identity_recipient(const struct age_identity *id,
    char recipient[AGE_RECIPIENT_STRLEN + 1])
{
	size_t i;

	for (i = 0; i < id->n; i++)
		if (id->key[i].kind == KEY_X25519)
			return recipient_string(id->key[i].pk, recipient);
	return SLUICE_ENOTFOUND;
}

/* ---- unwrapping ---- */

static int
unwrap_dh(const struct age_stanza *s, const struct age_key *k,
    uint8_t file_key[AGE_FILE_KEY_LEN])
{
	int ed = k->kind == KEY_SSH_ED25519;
	const char *label = ed ? ED25519_LABEL : X25519_LABEL;
	uint8_t share[32], shared[32], salt[64], wk[32];
	static const uint8_t zero_nonce[12];
	unsigned long long mlen = 0;
	size_t got;
	int r = SLUICE_EVERIFY;

	if (b64_raw_decode(s->arg[ed ? 2 : 1], strlen(s->arg[ed ? 2 : 1]),
	    share, sizeof(share), &got) != 0 || got != 32 ||
	    crypto_scalarmult(shared, k->sk, share) != 0 ||
	    (ed && ed25519_tweak(k->ssh->blob, k->ssh->bloblen, shared) != 0))
		goto out;
	memcpy(salt, share, 32);
	memcpy(salt + 32, k->pk, 32);
	if (age_hkdf(shared, 32, salt, 64, label, wk, sizeof(wk)) != 0 ||
	    crypto_aead_chacha20poly1305_ietf_decrypt(file_key, &mlen, NULL,
	    s->body, s->bodylen, NULL, 0, zero_nonce, wk) != 0 ||
	    mlen != AGE_FILE_KEY_LEN)
		goto out;
	r = 0;
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(wk, sizeof(wk));
	return r;
}

static int
unwrap_rsa(const struct age_stanza *s, const struct age_key *k,
    uint8_t file_key[AGE_FILE_KEY_LEN])
{
	EVP_PKEY_CTX *ctx;
	uint8_t *label = NULL, *out = NULL;
	size_t outlen = BODY_MAX;
	int r = SLUICE_EVERIFY;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->ssh->rsa, NULL)) == NULL)
		return SLUICE_ECRYPTO;
	if ((out = sodium_malloc(BODY_MAX)) == NULL ||
	    (label = OPENSSL_memdup(RSA_LABEL, strlen(RSA_LABEL))) == NULL)
		goto out;
	if (EVP_PKEY_decrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label,
	    (int)strlen(RSA_LABEL)) <= 0)
		goto out;
	label = NULL;	/* owned by ctx now */
	if (EVP_PKEY_decrypt(ctx, out, &outlen, s->body, s->bodylen) <= 0 ||
	    outlen != AGE_FILE_KEY_LEN)
		goto out;
	memcpy(file_key, out, AGE_FILE_KEY_LEN);
	r = 0;
out:
	OPENSSL_free(label);
	sodium_free(out);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
tag_matches(const struct age_stanza *s, const struct age_key *k)
{
	uint8_t tag[4];
	size_t got;

	return b64_raw_decode(s->arg[1], strlen(s->arg[1]), tag, sizeof(tag),
	    &got) == 0 && got == 4 && memcmp(tag, k->tag, 4) == 0;
}

static int
unwrap_one(const struct age_stanza *s, const struct age_key *k,
    uint8_t file_key[AGE_FILE_KEY_LEN])
{
	const char *t = s->arg[0];

	if (k->kind == KEY_X25519 && strcmp(t, "X25519") == 0)
		return unwrap_dh(s, k, file_key);
	if (k->kind == KEY_SSH_ED25519 && strcmp(t, "ssh-ed25519") == 0 &&
	    tag_matches(s, k))
		return unwrap_dh(s, k, file_key);
	if (k->kind == KEY_SSH_RSA && strcmp(t, "ssh-rsa") == 0 &&
	    tag_matches(s, k))
		return unwrap_rsa(s, k, file_key);
	return SLUICE_ENOTFOUND;
}

/* The header MAC under an unwrapped file key; a failure wipes the key. */
static int
header_mac_check(const struct age_header *h,
    uint8_t file_key[AGE_FILE_KEY_LEN], char *why, size_t whylen)
{
	uint8_t mac[32];

	if (header_mac(file_key, h->raw, h->rawlen, mac) == 0 &&
	    sodium_memcmp(mac, h->mac, 32) == 0)
		return 0;
	sodium_memzero(file_key, AGE_FILE_KEY_LEN);
	return sluice_why(why, whylen, SLUICE_EVERIFY,
	    "age header MAC does not verify (header tampered with)");
}

int
age_header_unwrap(const struct age_header *h, const struct age_identity *id,
    uint8_t file_key[AGE_FILE_KEY_LEN], char *why, size_t whylen)
{
	size_t i, j;

	for (i = 0; i < h->n; i++)
		for (j = 0; j < id->n; j++)
			if (unwrap_one(&h->st[i], &id->key[j], file_key) == 0)
				return header_mac_check(h, file_key, why, whylen);
	return sluice_why(why, whylen, SLUICE_ENOTFOUND,
	    "no identity matches any recipient stanza of the age header");
}

/* Reads until the MAC line is complete; the rest is payload. */
static int
read_header(int fd, struct sbuf *b, size_t *end, char *why, size_t whylen)
{
	const uint8_t *foot, *nl;
	uint8_t *dst;
	size_t got;
	int r;

	for (;;) {
		foot = find_bytes(b->data, b->len, "\n---");
		nl = foot ? memchr(foot + 1, '\n', b->len -
		    (size_t)(foot + 1 - b->data)) : NULL;
		if (nl != NULL) {
			*end = (size_t)(nl - b->data) + 1;
			return 0;
		}
		if (b->len >= AGE_HEADER_MAX)
			return sluice_why(why, whylen, SLUICE_ETOOBIG,
			    "age header is longer than %u bytes", AGE_HEADER_MAX);
		if ((r = sbuf_reserve(b, 16384, &dst)) != 0)
			return r;
		b->len -= 16384;
		if ((r = age_read_full(fd, dst, 16384, &got)) != 0)
			return sluice_why(why, whylen, r, "cannot read age file");
		b->len += got;
		if (got == 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    b->len ? "age header is truncated" : "age file is empty");
	}
}

int
age_decrypt(int in_fd, int out_fd, const struct age_identity *id,
    uint8_t sha256_plain[32], uint64_t *plain_len, char *why, size_t whylen)
{
	struct sbuf *b = NULL;
	struct age_header *h = NULL;
	uint8_t file_key[AGE_FILE_KEY_LEN];
	size_t end = 0, hdrlen = 0;
	int r;

	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = read_header(in_fd, b, &end, why, whylen)) != 0 ||
	    (r = age_header_parse(b->data, end, &h, &hdrlen, why, whylen)) != 0)
		goto out;
	if (hdrlen != end) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "age header is malformed near its MAC line");
		goto out;
	}
	if ((r = age_header_unwrap(h, id, file_key, why, whylen)) != 0)
		goto out;
	r = age_stream_decrypt(in_fd, b->data + end, b->len - end, out_fd,
	    file_key, sha256_plain, plain_len, why, whylen);
	sodium_memzero(file_key, sizeof(file_key));
out:
	age_header_free(h);
	sbuf_free(b);
	return r;
}
