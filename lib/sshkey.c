/* sshkey.c: OpenSSH public key lines, wire blobs and private key files. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/sshkey.h"

static const struct {
	enum sshkey_type type;
	const char	*name;
	const char	*curve;		/* SSH curve name, ECDSA only */
	const char	*group;		/* OpenSSL group name */
	size_t		 pointlen;	/* uncompressed point length */
	unsigned	 bits;
} key_types[] = {
	{ SSHKEY_ED25519, "ssh-ed25519", NULL, NULL, 0, 256 },
	{ SSHKEY_RSA, "ssh-rsa", NULL, NULL, 0, 0 },
	{ SSHKEY_ECDSA_P256, "ecdsa-sha2-nistp256", "nistp256", "prime256v1", 65, 256 },
	{ SSHKEY_ECDSA_P384, "ecdsa-sha2-nistp384", "nistp384", "secp384r1", 97, 384 },
	{ SSHKEY_ECDSA_P521, "ecdsa-sha2-nistp521", "nistp521", "secp521r1", 133, 521 },
};
#define N_KEY_TYPES (sizeof(key_types) / sizeof(key_types[0]))

static int
type_index(enum sshkey_type t)
{
	size_t i;

	for (i = 0; i < N_KEY_TYPES; i++)
		if (key_types[i].type == t)
			return (int)i;
	return -1;
}

static enum sshkey_type
type_from_name(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < N_KEY_TYPES; i++)
		if (strlen(key_types[i].name) == n &&
		    memcmp(key_types[i].name, p, n) == 0)
			return key_types[i].type;
	return SSHKEY_UNKNOWN;
}

const char *
sshkey_type_name(enum sshkey_type t)
{
	int i = type_index(t);

	return i < 0 ? "unknown" : key_types[i].name;
}

/*
 * Reads an SSH mpint that must be positive and minimally encoded (as
 * OpenSSH's sshbuf_get_bignum2 insists); *p skips the sign byte.
 */
static int
get_mpint(struct sbuf *b, const uint8_t **p, size_t *n)
{
	int r;

	if ((r = sbuf_get_string_direct(b, p, n)) != 0)
		return r;
	if (*n == 0)
		return SLUICE_EFORMAT;	/* zero is never a valid key part */
	if ((*p)[0] & 0x80)
		return SLUICE_EFORMAT;	/* negative */
	if ((*p)[0] == 0) {
		if (*n < 2 || ((*p)[1] & 0x80) == 0)
			return SLUICE_EFORMAT;	/* non-minimal */
		(*p)++;
		(*n)--;
	}
	return 0;
}

static unsigned
mpint_bits(const uint8_t *p, size_t n)
{
	unsigned bits = (unsigned)n * 8;
	uint8_t top = p[0];

	while (bits > 0 && (top & 0x80) == 0) {
		top = (uint8_t)(top << 1);
		bits--;
	}
	return bits;
}

/* An RSA key (selection: public, or the pair) from the parameters in bld. */
static int
rsa_fromdata(OSSL_PARAM_BLD *bld, int selection, EVP_PKEY **out)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int r = SLUICE_ECRYPTO;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, out, selection, params) > 0)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

static int
rsa_build(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int r = SLUICE_ECRYPTO;

	*out = NULL;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) != NULL &&
	    (be = BN_bin2bn(e, (int)elen, NULL)) != NULL &&
	    (bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		r = rsa_fromdata(bld, EVP_PKEY_PUBLIC_KEY, out);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

static int
parse_rsa(struct sbuf *b, unsigned *bits, char *why, size_t whylen)
{
	const uint8_t *e, *n;
	size_t elen, nlen;

	if (get_mpint(b, &e, &elen) != 0 || get_mpint(b, &n, &nlen) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-rsa key has a malformed exponent or modulus");
	if (elen > 8 || (e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-rsa key has an invalid public exponent");
	if ((n[nlen - 1] & 1) == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-rsa key has an even modulus");
	*bits = mpint_bits(n, nlen);
	if (*bits < SSHKEY_RSA_MIN_BITS || *bits > SSHKEY_RSA_MAX_BITS)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-rsa key of %u bits is outside %u..%u", *bits,
		    SSHKEY_RSA_MIN_BITS, SSHKEY_RSA_MAX_BITS);
	return 0;
}

/* The public key of a point on the named curve, checked to lie on it. */
static int
ec_pkey_build(const char *group, const uint8_t *q, size_t qlen,
    EVP_PKEY **out)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL, *cctx = NULL;
	EVP_PKEY *pk = NULL;
	int r = SLUICE_EFORMAT;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    (char *)(uintptr_t)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)(uintptr_t)q, qlen);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	if ((cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_public_check(cctx) <= 0)
		goto out;
	*out = pk;
	pk = NULL;
	r = 0;
out:
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

/* An ECDSA key's curve and point; *out (if not NULL) gets its key. */
static int
parse_ecdsa(struct sbuf *b, int ti, EVP_PKEY **out, char *why, size_t whylen)
{
	const uint8_t *curve, *q;
	size_t clen, qlen;
	EVP_PKEY *pk = NULL;

	if (sbuf_get_string_direct(b, &curve, &clen) != 0 ||
	    sbuf_get_string_direct(b, &q, &qlen) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ECDSA key blob is truncated");
	if (clen != strlen(key_types[ti].curve) ||
	    memcmp(curve, key_types[ti].curve, clen) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ECDSA key names a curve other than its type");
	if (qlen != key_types[ti].pointlen || q[0] != 0x04)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ECDSA key has a malformed point");
	if (ec_pkey_build(key_types[ti].group, q, qlen, &pk) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ECDSA key point is not on its curve");
	if (out != NULL)
		*out = pk;
	else
		EVP_PKEY_free(pk);
	return 0;
}

/* The key material after the type name, as type ti wants it. */
static int
blob_body(struct sbuf *b, int ti, unsigned *bits, char *why, size_t whylen)
{
	const uint8_t *pk;
	size_t pklen;

	switch (key_types[ti].type) {
	case SSHKEY_ED25519:
		if (sbuf_get_string_direct(b, &pk, &pklen) != 0 || pklen != 32)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "ssh-ed25519 key is not 32 bytes");
		return 0;
	case SSHKEY_RSA:
		return parse_rsa(b, bits, why, whylen);
	default:
		return parse_ecdsa(b, ti, NULL, why, whylen);
	}
}

/* Validates blob; sets type and bits. */
static int
blob_check(const uint8_t *blob, size_t len, enum sshkey_type *type,
    unsigned *bits, char *why, size_t whylen)
{
	struct sbuf b;
	const uint8_t *name;
	size_t namelen;
	int r, ti;

	if (len > SSHKEY_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "key blob of %zu bytes is too long", len);
	sbuf_view(&b, blob, len);
	if (sbuf_get_string_direct(&b, &name, &namelen) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "key blob is truncated");
	*type = type_from_name(name, namelen);
	if ((ti = type_index(*type)) < 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "key blob has an unsupported key type");
	*bits = key_types[ti].bits;
	if ((r = blob_body(&b, ti, bits, why, whylen)) != 0)
		return r;
	if (sbuf_len(&b) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "key blob has %zu trailing bytes", sbuf_len(&b));
	return 0;
}

static struct sshkey_pub *
pub_new(const uint8_t *blob, size_t len, const char *comment, size_t clen)
{
	struct sshkey_pub *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->blob = malloc(len)) == NULL ||
	    (k->comment = malloc(clen + 1)) == NULL) {
		sshkey_pub_free(k);
		return NULL;
	}
	memcpy(k->blob, blob, len);
	k->bloblen = len;
	if (clen > 0)
		memcpy(k->comment, comment, clen);
	k->comment[clen] = '\0';
	return k;
}

void
sshkey_pub_free(struct sshkey_pub *k)
{
	if (k == NULL)
		return;
	free(k->blob);
	free(k->comment);
	free(k);
}

int
sshkey_pub_from_blob(const uint8_t *blob, size_t len, struct sshkey_pub **out,
    char *why, size_t whylen)
{
	enum sshkey_type type;
	unsigned bits;
	int r;

	*out = NULL;
	if ((r = blob_check(blob, len, &type, &bits, why, whylen)) != 0)
		return r;
	if ((*out = pub_new(blob, len, "", 0)) == NULL)
		return SLUICE_ENOMEM;
	(*out)->type = type;
	(*out)->bits = bits;
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Strict base64 (with padding) of exactly s[0..n) into a malloc'd buffer. */
static int
b64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
	const char *end = NULL;
	size_t cap = n / 4 * 3 + 3;

	*out = NULL;
	if ((*out = malloc(cap)) == NULL)
		return SLUICE_ENOMEM;
	if (sodium_base642bin(*out, cap, s, n, NULL, outlen, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n) {
		free(*out);
		*out = NULL;
		return SLUICE_EFORMAT;
	}
	return 0;
}

/* The comment: printable, bounded, trailing blanks dropped. */
static int
comment_span(const char *p, size_t *clen, char *why, size_t whylen)
{
	size_t n = strlen(p), i;

	while (n > 0 && is_blank(p[n - 1]))
		n--;
	if (n > SSHKEY_COMMENT_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "key comment is longer than %d bytes", SSHKEY_COMMENT_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "key comment holds a control character");
	*clen = n;
	return 0;
}

/* The blank-separated word at or after p: its start and length. */
static const char *
next_word(const char *p, size_t *len)
{
	while (is_blank(*p))
		p++;
	for (*len = 0; p[*len] != '\0' && !is_blank(p[*len]); (*len)++)
		;
	return p;
}

/* The key data word, decoded and checked to be a key of type want. */
static int
typed_blob(const char *bw, size_t blen, enum sshkey_type want,
    uint8_t **blob, size_t *bloblen, unsigned *bits, char *why, size_t whylen)
{
	enum sshkey_type type;
	int r;

	if ((r = b64_decode(bw, blen, blob, bloblen)) != 0)
		return sluice_why(why, whylen, r,
		    "public key data is not valid base64");
	if ((r = blob_check(*blob, *bloblen, &type, bits, why, whylen)) != 0)
		return r;
	if (type != want)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "key type %s does not match the key data (%s)",
		    sshkey_type_name(want), sshkey_type_name(type));
	return 0;
}

static int
pub_parse_fields(const char *line, size_t n, struct sshkey_pub **out,
    char *why, size_t whylen)
{
	const char *tw, *bw, *cw;
	size_t tlen, blen, clen = 0, bloblen = 0;
	uint8_t *blob = NULL;
	enum sshkey_type type;
	unsigned bits;
	int r;

	(void)n;
	tw = next_word(line, &tlen);
	if ((type = type_from_name((const uint8_t *)tw, tlen)) == SSHKEY_UNKNOWN)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a supported SSH public key type (%.*s)",
		    (int)(tlen > 40 ? 40 : tlen), tw);
	bw = next_word(tw + tlen, &blen);
	cw = next_word(bw + blen, &clen);
	if (blen == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "public key line has no key data");
	if ((r = typed_blob(bw, blen, type, &blob, &bloblen, &bits, why,
	    whylen)) != 0 || (r = comment_span(cw, &clen, why, whylen)) != 0)
		goto out;
	if ((*out = pub_new(blob, bloblen, cw, clen)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	(*out)->type = type;
	(*out)->bits = bits;
out:
	free(blob);
	return r;
}

int
sshkey_pub_parse(const char *line, struct sshkey_pub **out, char *why,
    size_t whylen)
{
	char *copy = NULL;
	size_t n;
	int r;

	*out = NULL;
	n = strnlen(line, SSHKEY_LINE_MAX + 1);
	if (n > SSHKEY_LINE_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "public key line is longer than %d bytes", SSHKEY_LINE_MAX);
	/* One trailing newline (CRLF too) is a file's; any other is not. */
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (memchr(line, '\n', n) != NULL || memchr(line, '\r', n) != NULL)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "public key line holds more than one line");
	if ((copy = malloc(n + 1)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(copy, line, n);
	copy[n] = '\0';
	r = pub_parse_fields(copy, n, out, why, whylen);
	free(copy);
	return r;
}

int
sshkey_pub_load(const char *path, struct sshkey_pub **out, char *why,
    size_t whylen)
{
	struct sbuf *b;
	char pwhy[200] = "";
	int r;

	*out = NULL;
	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(path, SSHKEY_LINE_MAX + 2, b)) != 0 ||
	    (r = sbuf_put_u8(b, 0)) != 0)
		r = sluice_why(why, whylen, r, "%s: cannot read it", path);
	else if (memchr(sbuf_ptr(b), '\0', sbuf_len(b) - 1) != NULL)
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "%s: not a public key line", path);
	else if ((r = sshkey_pub_parse((const char *)sbuf_ptr(b), out, pwhy,
	    sizeof(pwhy))) != 0)
		r = sluice_why(why, whylen, r, "%s: %s", path, pwhy);
	sbuf_free(b);
	return r;
}

int
sshkey_pub_format(const struct sshkey_pub *k, char **line)
{
	size_t b64len = sodium_base64_ENCODED_LEN(k->bloblen,
	    sodium_base64_VARIANT_ORIGINAL);
	const char *name = sshkey_type_name(k->type);
	size_t n, clen = strlen(k->comment), off;
	char *s;

	*line = NULL;
	if (k->bloblen > SSHKEY_BLOB_MAX || clen > SSHKEY_COMMENT_MAX)
		return SLUICE_EINVAL;
	n = strlen(name) + 1 + b64len + 1 + clen + 1;
	if ((s = malloc(n)) == NULL)
		return SLUICE_ENOMEM;
	off = strlen(name);
	memcpy(s, name, off);
	s[off++] = ' ';
	sodium_bin2base64(s + off, b64len, k->blob, k->bloblen,
	    sodium_base64_VARIANT_ORIGINAL);
	off += strlen(s + off);
	if (clen > 0) {
		s[off++] = ' ';
		memcpy(s + off, k->comment, clen);
		off += clen;
	}
	s[off] = '\0';
	*line = s;
	return 0;
}

int
sshkey_fingerprint(const uint8_t *blob, size_t len, char fp[SSHKEY_FP_SIZE])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	if (crypto_hash_sha256(h, blob, len) != 0)
		return SLUICE_ECRYPTO;
	memcpy(fp, "SHA256:", 7);
	sodium_bin2base64(fp + 7, SSHKEY_FP_SIZE - 7, h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return 0;
}

int
sshkey_acceptable(const struct sshkey_pub *k, char *why, size_t whylen)
{
	switch (k->type) {
	case SSHKEY_ED25519:
	case SSHKEY_ECDSA_P256:
	case SSHKEY_ECDSA_P384:
	case SSHKEY_ECDSA_P521:
		return 0;
	case SSHKEY_RSA:
		if (k->bits >= SSHKEY_RSA_POLICY_BITS)
			return 0;
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "RSA key of %u bits refused: at least %d bits required "
		    "(ed25519 preferred)", k->bits, SSHKEY_RSA_POLICY_BITS);
	default:
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "unsupported key type");
	}
}

int
sshkey_ed25519_pk(const uint8_t *blob, size_t len, uint8_t pk[32])
{
	struct sbuf b;
	const uint8_t *name, *p;
	size_t namelen, plen;

	sbuf_view(&b, blob, len);
	if (sbuf_get_string_direct(&b, &name, &namelen) != 0 ||
	    type_from_name(name, namelen) != SSHKEY_ED25519 ||
	    sbuf_get_string_direct(&b, &p, &plen) != 0 || plen != 32 ||
	    sbuf_len(&b) != 0)
		return SLUICE_EFORMAT;
	memcpy(pk, p, 32);
	return 0;
}

int
sshkey_rsa_pkey(const uint8_t *blob, size_t len, EVP_PKEY **pkey,
    unsigned *bits)
{
	struct sbuf b;
	const uint8_t *name, *e, *n;
	size_t namelen, elen, nlen;
	enum sshkey_type type;
	unsigned nbits;

	*pkey = NULL;
	if (blob_check(blob, len, &type, &nbits, NULL, 0) != 0 ||
	    type != SSHKEY_RSA)
		return SLUICE_EFORMAT;
	sbuf_view(&b, blob, len);
	if (sbuf_get_string_direct(&b, &name, &namelen) != 0 ||
	    get_mpint(&b, &e, &elen) != 0 || get_mpint(&b, &n, &nlen) != 0)
		return SLUICE_EFORMAT;
	if (bits != NULL)
		*bits = nbits;
	return rsa_build(n, nlen, e, elen, pkey);
}

int
sshkey_ecdsa_pkey(const uint8_t *blob, size_t len, EVP_PKEY **pkey)
{
	struct sbuf b;
	const uint8_t *name;
	size_t namelen;
	enum sshkey_type type;
	int ti;

	*pkey = NULL;
	sbuf_view(&b, blob, len);
	if (len > SSHKEY_BLOB_MAX ||
	    sbuf_get_string_direct(&b, &name, &namelen) != 0)
		return SLUICE_EFORMAT;
	type = type_from_name(name, namelen);
	if ((type != SSHKEY_ECDSA_P256 && type != SSHKEY_ECDSA_P384 &&
	    type != SSHKEY_ECDSA_P521) || (ti = type_index(type)) < 0 ||
	    parse_ecdsa(&b, ti, pkey, NULL, 0) != 0)
		return SLUICE_EFORMAT;
	if (sbuf_len(&b) != 0) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		return SLUICE_EFORMAT;
	}
	return 0;
}

/* ---- openssh-key-v1 private keys ---- */

#define PRIV_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PRIV_END "-----END OPENSSH PRIVATE KEY-----"
#define PRIV_MAGIC "openssh-key-v1"	/* followed by a NUL */
#define PRIV_TEXT_MAX (64u * 1024)

static struct sshkey_priv *
priv_new(void)
{
	struct sshkey_priv *k;

	if (sodium_init() < 0 || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->ed25519_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) ==
	    NULL) {
		free(k);
		return NULL;
	}
	sodium_memzero(k->ed25519_sk, crypto_sign_SECRETKEYBYTES);
	return k;
}

void
sshkey_priv_free(struct sshkey_priv *k)
{
	if (k == NULL)
		return;
	free(k->blob);
	free(k->comment);
	EVP_PKEY_free(k->rsa);
	sodium_free(k->ed25519_sk);	/* wipes it */
	free(k);
}

static const char *
find_str(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

/* Pulls the binary out of the PEM-style armour. */
static int
priv_unarmor(const char *text, size_t len, struct sbuf *bin, char *why,
    size_t whylen)
{
	const char *b, *e, *end = NULL;
	size_t cap, outlen;
	uint8_t *dst;

	if (len > PRIV_TEXT_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "private key file is too large");
	if ((b = find_str(text, len, PRIV_BEGIN)) == NULL)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not an OpenSSH private key (no BEGIN OPENSSH PRIVATE KEY line)");
	b += strlen(PRIV_BEGIN);
	if ((e = find_str(b, len - (size_t)(b - text), PRIV_END)) == NULL)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "OpenSSH private key has no END line");
	cap = (size_t)(e - b) / 4 * 3 + 3;
	if (sbuf_reserve(bin, cap, &dst) != 0)
		return SLUICE_ENOMEM;
	if (sodium_base642bin(dst, cap, b, (size_t)(e - b), " \t\r\n", &outlen,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 || end != e)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "OpenSSH private key is not valid base64");
	bin->len -= cap - outlen;
	return 0;
}

static int
priv_ed25519(struct sbuf *b, struct sshkey_priv *k, char *why, size_t whylen)
{
	const uint8_t *pk, *sk;
	size_t pklen, sklen;
	uint8_t blobpk[32], derived_pk[32], derived_sk[64];
	int r = 0;

	if (sbuf_get_string_direct(b, &pk, &pklen) != 0 || pklen != 32 ||
	    sbuf_get_string_direct(b, &sk, &sklen) != 0 || sklen != 64)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-ed25519 private key is malformed");
	if (sshkey_ed25519_pk(k->blob, k->bloblen, blobpk) != 0 ||
	    memcmp(blobpk, pk, 32) != 0 || memcmp(sk + 32, pk, 32) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-ed25519 private key does not match its public key");
	/* The seed must really produce the public key we will advertise. */
	crypto_sign_seed_keypair(derived_pk, derived_sk, sk);
	if (sodium_memcmp(derived_pk, pk, 32) != 0)
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-ed25519 private key seed does not match its public key");
	else
		memcpy(k->ed25519_sk, sk, 64);
	sodium_memzero(derived_sk, sizeof(derived_sk));
	return r;
}

static int
push_bn(OSSL_PARAM_BLD *bld, const char *key, const uint8_t *p, size_t n,
    BIGNUM **bn)
{
	if ((*bn = BN_secure_new()) == NULL ||
	    BN_bin2bn(p, (int)n, *bn) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, key, *bn))
		return SLUICE_ECRYPTO;
	return 0;
}

/* The CRT exponents OpenSSH does not store: dp = d mod (p - 1) and
 * dq = d mod (q - 1), from bn[] = n e d iqmp p q. */
static int
push_crt(OSSL_PARAM_BLD *bld, BIGNUM *const bn[6], BIGNUM **dp, BIGNUM **dq)
{
	BN_CTX *bnctx;
	BIGNUM *t = NULL;
	int r = SLUICE_ECRYPTO;

	if ((bnctx = BN_CTX_secure_new()) == NULL)
		return r;
	if ((*dp = BN_secure_new()) != NULL && (*dq = BN_secure_new()) != NULL &&
	    (t = BN_secure_new()) != NULL &&
	    BN_sub(t, bn[4], BN_value_one()) && BN_mod(*dp, bn[2], t, bnctx) &&
	    BN_sub(t, bn[5], BN_value_one()) && BN_mod(*dq, bn[2], t, bnctx) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, *dp) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, *dq))
		r = 0;
	BN_clear_free(t);
	BN_CTX_free(bnctx);
	return r;
}

/* n e d iqmp p q, as OpenSSH stores them; OpenSSL wants the CRT parts too. */
static int
rsa_priv_build(const uint8_t *part[6], const size_t plen[6], EVP_PKEY **out)
{
	static const char *keys[6] = { OSSL_PKEY_PARAM_RSA_N,
	    OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
	    OSSL_PKEY_PARAM_RSA_COEFFICIENT1, OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2 };
	OSSL_PARAM_BLD *bld;
	BIGNUM *bn[6] = { 0 }, *dp = NULL, *dq = NULL;
	int i, r = SLUICE_ECRYPTO;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return r;
	for (i = 0; i < 6; i++)
		if (push_bn(bld, keys[i], part[i], plen[i], &bn[i]) != 0)
			goto out;
	if (push_crt(bld, bn, &dp, &dq) == 0)
		r = rsa_fromdata(bld, EVP_PKEY_KEYPAIR, out);
out:
	OSSL_PARAM_BLD_free(bld);
	for (i = 0; i < 6; i++)
		BN_clear_free(bn[i]);
	BN_clear_free(dp);
	BN_clear_free(dq);
	return r;
}

static int
rsa_pair_check(EVP_PKEY *pk)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL)
		return 0;
	ok = EVP_PKEY_pairwise_check(ctx) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int
priv_rsa(struct sbuf *b, struct sshkey_priv *k, char *why, size_t whylen)
{
	const uint8_t *part[6], *pe, *pn, *name;
	size_t plen[6], pelen, pnlen, namelen;
	struct sbuf pub;
	int i;

	for (i = 0; i < 6; i++)
		if (get_mpint(b, &part[i], &plen[i]) != 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "ssh-rsa private key is malformed");
	sbuf_view(&pub, k->blob, k->bloblen);
	if (sbuf_get_string_direct(&pub, &name, &namelen) != 0 ||
	    get_mpint(&pub, &pe, &pelen) != 0 ||
	    get_mpint(&pub, &pn, &pnlen) != 0 ||
	    pelen != plen[1] || memcmp(pe, part[1], pelen) != 0 ||
	    pnlen != plen[0] || memcmp(pn, part[0], pnlen) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-rsa private key does not match its public key");
	if (rsa_priv_build(part, plen, &k->rsa) != 0 || !rsa_pair_check(k->rsa))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "ssh-rsa private key is inconsistent");
	return 0;
}

/* checkints, key, comment and the 1,2,3... padding of the private section. */
static int
priv_section(struct sbuf *s, struct sshkey_priv *k, char *why, size_t whylen)
{
	uint32_t c1, c2;
	const uint8_t *name;
	size_t namelen, i;
	uint8_t pad;
	int r;

	if (sbuf_len(s) % 8 != 0 || sbuf_get_u32(s, &c1) != 0 ||
	    sbuf_get_u32(s, &c2) != 0 || c1 != c2)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "OpenSSH private key section is corrupt (checkints)");
	if (sbuf_get_string_direct(s, &name, &namelen) != 0 ||
	    type_from_name(name, namelen) != k->type)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "OpenSSH private key type does not match its public key");
	if (k->type == SSHKEY_ED25519)
		r = priv_ed25519(s, k, why, whylen);
	else
		r = priv_rsa(s, k, why, whylen);
	if (r != 0)
		return r;
	if (sbuf_get_cstring(s, &k->comment, SSHKEY_COMMENT_MAX) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "OpenSSH private key comment is malformed");
	/* ssh-keygen pads to 8 bytes, libssh to 16 (its AES block size) */
	for (i = 1; sbuf_len(s) > 0; i++)
		if (sbuf_get_u8(s, &pad) != 0 || pad != (uint8_t)i || i > 15)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "OpenSSH private key padding is corrupt");
	return 0;
}

/* The container's head: magic, cipher and KDF (none, none), one key. */
static int
priv_head(struct sbuf *b, char *why, size_t whylen)
{
	const uint8_t *cipher, *kdf, *kdfopt;
	size_t clen, kdflen, optlen;
	uint32_t nkeys;

	if (sbuf_len(b) < sizeof(PRIV_MAGIC) ||
	    memcmp(sbuf_ptr(b), PRIV_MAGIC, sizeof(PRIV_MAGIC)) != 0 ||
	    sbuf_consume(b, sizeof(PRIV_MAGIC)) != 0 ||
	    sbuf_get_string_direct(b, &cipher, &clen) != 0 ||
	    sbuf_get_string_direct(b, &kdf, &kdflen) != 0 ||
	    sbuf_get_string_direct(b, &kdfopt, &optlen) != 0 ||
	    sbuf_get_u32(b, &nkeys) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not an openssh-key-v1 private key");
	if (clen != 4 || memcmp(cipher, "none", 4) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "private key is protected by a passphrase; remove it first "
		    "(ssh-keygen -p -N '' -f KEYFILE, on a copy)");
	if (kdflen != 4 || memcmp(kdf, "none", 4) != 0 || optlen != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "unencrypted private key names a KDF");
	if (nkeys != 1)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "private key file holds %u keys; exactly one expected", nkeys);
	return 0;
}

/* The public key blob, an ed25519 or RSA key, kept in k. */
static int
priv_public(struct sshkey_priv *k, const uint8_t *pub, size_t publen,
    char *why, size_t whylen)
{
	int r;

	if ((r = blob_check(pub, publen, &k->type, &k->bits, why, whylen)) != 0)
		return r;
	if (k->type != SSHKEY_ED25519 && k->type != SSHKEY_RSA)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "only ed25519 and RSA private keys are supported");
	if ((k->blob = malloc(publen)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(k->blob, pub, publen);
	k->bloblen = publen;
	return 0;
}

static int
priv_container(struct sbuf *b, struct sshkey_priv *k, char *why, size_t whylen)
{
	const uint8_t *pub, *sec;
	size_t publen, seclen;
	struct sbuf s;
	int r;

	if ((r = priv_head(b, why, whylen)) != 0)
		return r;
	if (sbuf_get_string_direct(b, &pub, &publen) != 0 ||
	    sbuf_get_string_direct(b, &sec, &seclen) != 0 || sbuf_len(b) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "OpenSSH private key is truncated or has trailing data");
	if ((r = priv_public(k, pub, publen, why, whylen)) != 0)
		return r;
	sbuf_view(&s, sec, seclen);
	return priv_section(&s, k, why, whylen);
}

int
sshkey_priv_parse(const char *text, size_t len, struct sshkey_priv **out,
    char *why, size_t whylen)
{
	struct sbuf *bin = NULL;
	struct sshkey_priv *k = NULL;
	int r;

	*out = NULL;
	if ((bin = sbuf_new_secret()) == NULL || (k = priv_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = priv_unarmor(text, len, bin, why, whylen)) != 0 ||
	    (r = priv_container(bin, k, why, whylen)) != 0)
		goto out;
	*out = k;
	k = NULL;
out:
	sshkey_priv_free(k);
	sbuf_free(bin);
	return r;
}
