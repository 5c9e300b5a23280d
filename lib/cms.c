/*
 * cms.c: CMS SignedData verification against pinned signatory certificates.
 * See cms.h for the rules and the refusal texts.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>	/* before cms.h, which declares PEM_read_bio_CMS with its macros */
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/error.h"
#include "sluice/utf8.h"

/*
 * Binary: the document is bytes, never text to canonicalise. No signer cert
 * verify: trust is the pin, checked here, not a chain to a store. No intern:
 * certificates carried inside the CMS are never used to find the signer.
 */
#define VERIFY_FLAGS (CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN | CMS_NOCRL)

static const char pem_begin[] = "-----BEGIN ";

/* Lengths and pointers of the owner/pin arrays are checked by the caller. */
struct pinset {
	X509	**x;
	size_t	  n;
};

static const uint8_t *
find_bytes(const uint8_t *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle), i;

	if (nlen == 0 || hlen < nlen)
		return NULL;
	for (i = 0; i <= hlen - nlen; i++)
		if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

static size_t
skip_space(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

static int
is_pem(const uint8_t *p, size_t len)
{
	size_t i = skip_space(p, len);

	return len - i >= sizeof(pem_begin) - 1 &&
	    memcmp(p + i, pem_begin, sizeof(pem_begin) - 1) == 0;
}

/* After a PEM block, only white space may follow. */
static int
bio_rest_is_space(BIO *b)
{
	uint8_t buf[256];
	int n;

	while ((n = BIO_read(b, buf, (int)sizeof(buf))) > 0)
		if (skip_space(buf, (size_t)n) != (size_t)n)
			return 0;
	return 1;
}

/* Strict DER: one certificate, nothing after it. */
static X509 *
x509_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *q = der;
	X509 *x;

	if (der == NULL || len == 0 || len > CMS_MAX_INPUT)
		return NULL;
	if ((x = d2i_X509(NULL, &q, (long)len)) == NULL)
		return NULL;
	if (q != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
time_to_epoch(const ASN1_TIME *t, int64_t *out)
{
	ASN1_TIME *epoch = NULL;
	int days = 0, secs = 0, r = SLUICE_EFORMAT;

	if (t == NULL || ASN1_TIME_check(t) != 1)
		goto out;
	if ((epoch = ASN1_TIME_set(NULL, 0)) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if (ASN1_TIME_diff(&days, &secs, epoch, t) != 1)
		goto out;
	*out = (int64_t)days * SLUICE_DAY + secs;
	r = 0;
out:
	ASN1_TIME_free(epoch);
	return r;
}

static int
print_name(const X509_NAME *name, unsigned long flags, char *out, size_t outlen)
{
	BIO *b;
	char *p;
	long n;
	int r = SLUICE_EFORMAT;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return SLUICE_ENOMEM;
	if (X509_NAME_print_ex(b, name, 0, flags) < 0)
		goto out;
	if ((n = BIO_get_mem_data(b, &p)) < 0)
		goto out;
	if (memchr(p, '\0', (size_t)n) != NULL)
		goto out;
	utf8_cut(out, outlen, p, (size_t)n);
	r = 0;
out:
	BIO_free(b);
	return r;
}

/* RFC 2253 in UTF-8 with control characters escaped; if a string is not valid
 * in its own encoding, fall back to escaping every non-ASCII byte too. */
static int
name_text(const X509_NAME *name, char *out, size_t outlen)
{
	int r;

	r = print_name(name, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB, out, outlen);
	if (r == SLUICE_EFORMAT)
		r = print_name(name, XN_FLAG_RFC2253, out, outlen);
	return r;
}

static int
serial_text(X509 *x, char *out, size_t outlen)
{
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int r = SLUICE_ENOMEM;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL)
		goto out;
	if (BN_num_bytes(bn) > 39) {
		r = SLUICE_ETOOBIG;
		goto out;
	}
	if ((hex = BN_bn2hex(bn)) == NULL)
		goto out;
	if (strlen(hex) >= outlen) {
		r = SLUICE_ETOOBIG;
		goto out;
	}
	memcpy(out, hex, strlen(hex) + 1);
	r = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

/* No keyUsage extension, or one that allows signing documents. */
static int
key_usage_ok(X509 *x, int *ok)
{
	uint32_t xf = X509_get_extension_flags(x);

	if (xf & EXFLAG_INVALID)
		return SLUICE_EFORMAT;
	*ok = !(xf & EXFLAG_KUSAGE) ||
	    (X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
	return 0;
}

static int
validity(X509 *x, int64_t *nb, int64_t *na)
{
	int r;

	if ((r = time_to_epoch(X509_get0_notBefore(x), nb)) != 0)
		return r;
	return time_to_epoch(X509_get0_notAfter(x), na);
}

static void
pinset_free(struct pinset *ps)
{
	size_t i;

	if (ps->x != NULL)
		for (i = 0; i < ps->n; i++)
			X509_free(ps->x[i]);
	free(ps->x);
	ps->x = NULL;
	ps->n = 0;
}

static int
pins_same_der(const struct cms_pin *a, const struct cms_pin *b)
{
	return a->der_len == b->der_len && memcmp(a->der, b->der, a->der_len) == 0;
}

/* Parses every pin; one certificate may never stand for two owners. */
static int
pinset_load(struct pinset *ps, const struct cms_pin *pins, size_t npins,
    char *why, size_t whylen)
{
	size_t i, j;

	ps->x = NULL;
	ps->n = 0;
	if (npins == 0)
		return 0;
	if (pins == NULL || npins > SIZE_MAX / sizeof(*ps->x))
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid list of registered certificates");
	if ((ps->x = calloc(npins, sizeof(*ps->x))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	ps->n = npins;
	for (i = 0; i < npins; i++) {
		if (pins[i].owner == NULL || pins[i].owner[0] == '\0')
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "registered certificate %zu has no owner", i);
		if ((ps->x[i] = x509_from_der(pins[i].der, pins[i].der_len)) == NULL)
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "registered certificate %zu (%s) is not a certificate", i, pins[i].owner);
		for (j = 0; j < i; j++)
			if (pins_same_der(&pins[i], &pins[j]) &&
			    strcmp(pins[i].owner, pins[j].owner) != 0)
				return sluice_why(why, whylen, SLUICE_EINVAL,
				    "the same certificate is registered to %s and %s",
				    pins[j].owner, pins[i].owner);
	}
	return 0;
}

static int
load_cms(const uint8_t *p, size_t len, CMS_ContentInfo **out, char *why, size_t whylen)
{
	const unsigned char *q = p;
	BIO *b = NULL;
	int r = 0;

	*out = NULL;
	if (p == NULL || len == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "not a CMS signature (empty input)");
	if (len > CMS_MAX_INPUT)
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "not a CMS signature (larger than 1 MiB)");
	if (!is_pem(p, len)) {
		if ((*out = d2i_CMS_ContentInfo(NULL, &q, (long)len)) == NULL)
			return sluice_why(why, whylen, SLUICE_EFORMAT, "not a CMS signature (unreadable DER)");
		if (q != p + len)
			r = sluice_why(why, whylen, SLUICE_EFORMAT,
			    "not a CMS signature (trailing bytes after the signature)");
		goto out;
	}
	if ((b = BIO_new_mem_buf(p, (int)len)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((*out = PEM_read_bio_CMS(b, NULL, NULL, NULL)) == NULL)
		r = sluice_why(why, whylen, SLUICE_EFORMAT, "not a CMS signature (unreadable PEM)");
	else if (!bio_rest_is_space(b))
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a CMS signature (trailing bytes after the signature)");
out:
	BIO_free(b);
	if (r != 0) {
		CMS_ContentInfo_free(*out);
		*out = NULL;
	}
	return r;
}

/* SignedData over plain data with exactly one signer; returns that signer. */
static int
check_shape(CMS_ContentInfo *cms, CMS_SignerInfo **si, char *why, size_t whylen)
{
	STACK_OF(CMS_SignerInfo) *sis;
	int n;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "not a CMS signature (not SignedData)");
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a CMS signature (signed content is not data)");
	sis = CMS_get0_SignerInfos(cms);
	if ((n = sk_CMS_SignerInfo_num(sis)) <= 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "CMS signature has no signer");
	if (n > 1)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "CMS signature has %d signers; exactly one is allowed", n);
	*si = sk_CMS_SignerInfo_value(sis, 0);
	return 0;
}

/* Does the CMS carry a certificate for this signer that is none of the pins?
 * Then a failed check means "someone else signed", not "document changed". */
static int
carries_foreign_signer(CMS_ContentInfo *cms, CMS_SignerInfo *si, const struct pinset *ps)
{
	STACK_OF(X509) *certs;
	size_t j;
	int i, foreign = 0;

	if ((certs = CMS_get1_certs(cms)) == NULL)
		return 0;
	for (i = 0; i < sk_X509_num(certs) && !foreign; i++) {
		X509 *c = sk_X509_value(certs, i);

		if (CMS_SignerInfo_cert_cmp(si, c) != 0)
			continue;
		foreign = 1;
		for (j = 0; j < ps->n; j++)
			if (X509_cmp(c, ps->x[j]) == 0)
				foreign = 0;
	}
	sk_X509_pop_free(certs, X509_free);
	return foreign;
}

/* Verifies with pin i as the signer's certificate; content goes to out. */
static int
verify_with(CMS_ContentInfo *cms, CMS_SignerInfo *si, X509 *x, BIO *dcont, BIO *out)
{
	int ok;

	CMS_SignerInfo_set1_signer_cert(si, x);
	if (out != NULL)
		(void)BIO_reset(out);
	if (dcont != NULL)
		(void)BIO_reset(dcont);
	ok = CMS_verify(cms, NULL, NULL, dcont, out, VERIFY_FLAGS);
	ERR_clear_error();
	return ok == 1;
}

/* Finds the pin that made this signature: it must match the signer
 * identifier and its key must verify the signature over the content. */
static int
find_signer(CMS_ContentInfo *cms, CMS_SignerInfo *si, const struct pinset *ps,
    BIO *dcont, BIO *out, size_t *pin, char *why, size_t whylen)
{
	size_t i;
	int candidates = 0;

	for (i = 0; i < ps->n; i++) {
		if (CMS_SignerInfo_cert_cmp(si, ps->x[i]) != 0)
			continue;
		candidates++;
		if (verify_with(cms, si, ps->x[i], dcont, out)) {
			*pin = i;
			return 0;
		}
	}
	if (candidates == 0 || carries_foreign_signer(cms, si, ps))
		return sluice_why(why, whylen, SLUICE_EVERIFY, "signer certificate is not registered");
	return sluice_why(why, whylen, SLUICE_EVERIFY, "signature does not match the document");
}

static int
check_cert_now(X509 *x, int64_t now, char *why, size_t whylen)
{
	char date[11];
	int64_t nb, na;
	int ok, r;

	if ((r = validity(x, &nb, &na)) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signatory certificate has unreadable validity dates");
	if (now > na) {
		(void)sluice_date_format(sluice_day_of(na), date, sizeof(date));
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signatory certificate expired on %s", date);
	}
	if (now < nb) {
		(void)sluice_date_format(sluice_day_of(nb), date, sizeof(date));
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signatory certificate not valid until %s", date);
	}
	if (key_usage_ok(x, &ok) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signatory certificate has invalid extensions");
	if (!ok)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "signatory certificate key usage does not allow signing");
	return 0;
}

/* The signingTime signed attribute, or 0 when absent or unreadable. */
static int64_t
signing_time(CMS_SignerInfo *si)
{
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	int64_t v = 0;
	int idx;

	if ((idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1)) < 0)
		return 0;
	if ((a = CMS_signed_get_attr(si, idx)) == NULL ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL)
		return 0;
	if (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)
		return 0;
	if (time_to_epoch(t->value.utctime, &v) != 0)
		return 0;
	return v;
}

static int
fill_result(struct cms_result *res, X509 *x, CMS_SignerInfo *si, BIO *out,
    char *why, size_t whylen)
{
	char *p;
	long n;

	if (name_text(X509_get_subject_name(x), res->subject, sizeof(res->subject)) != 0 ||
	    name_text(X509_get_issuer_name(x), res->issuer, sizeof(res->issuer)) != 0 ||
	    serial_text(x, res->serial, sizeof(res->serial)) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "signatory certificate has unreadable names or serial number");
	res->signing_time = signing_time(si);
	if (out == NULL)
		return 0;
	if ((n = BIO_get_mem_data(out, &p)) < 0)
		return sluice_why(why, whylen, SLUICE_ECRYPTO, "OpenSSL failed");
	/* One spare byte so an empty content is still a valid pointer. */
	if ((res->content = malloc((size_t)n + 1)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	memcpy(res->content, p, (size_t)n);
	res->content[n] = 0;
	res->content_len = (size_t)n;
	return 0;
}

void
cms_result_clear(struct cms_result *res)
{
	if (res == NULL)
		return;
	free(res->content);
	memset(res, 0, sizeof(*res));
}

/* What cms_verify() holds while it works. */
struct verify {
	struct pinset	 ps;
	CMS_ContentInfo	*ci;
	CMS_SignerInfo	*si;
	BIO		*dcont;		/* the detached document given */
	BIO		*out;		/* the content carried in the CMS */
};

/* The arguments, before the signature is looked at. */
static int
check_request(const uint8_t *doc, size_t doc_len, const char *required_owner,
    char *why, size_t whylen)
{
	if (required_owner == NULL || required_owner[0] == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "no owner is required");
	if (doc != NULL && doc_len > INT_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG, "document is larger than 2 GiB");
	return 0;
}

/* Where the signed content comes from: doc, else the CMS itself. */
static int
content_bios(struct verify *v, const uint8_t *doc, size_t doc_len, char *why,
    size_t whylen)
{
	if (doc == NULL && CMS_is_detached(v->ci))
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "detached CMS signature but no document was given");
	if (doc != NULL && (v->dcont = BIO_new_mem_buf(doc_len ? doc : (const uint8_t *)"",
	    (int)doc_len)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if (doc == NULL && (v->out = BIO_new(BIO_s_mem())) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	return 0;
}

/* The pins, the CMS (SignedData, one signer) and its content. */
static int
verify_open(struct verify *v, const uint8_t *cms, size_t cms_len,
    const uint8_t *doc, size_t doc_len, const struct cms_pin *pins,
    size_t npins, char *why, size_t whylen)
{
	int r;

	if ((r = pinset_load(&v->ps, pins, npins, why, whylen)) != 0 ||
	    (r = load_cms(cms, cms_len, &v->ci, why, whylen)) != 0 ||
	    (r = check_shape(v->ci, &v->si, why, whylen)) != 0)
		return r;
	return content_bios(v, doc, doc_len, why, whylen);
}

/* The pin that made the signature: it must be required_owner's and valid now. */
static int
verify_signer(struct verify *v, const struct cms_pin *pins,
    const char *required_owner, int64_t now, size_t *pin, char *why,
    size_t whylen)
{
	int r;

	if ((r = find_signer(v->ci, v->si, &v->ps, v->dcont, v->out, pin, why,
	    whylen)) != 0)
		return r;
	if (strcmp(pins[*pin].owner, required_owner) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED, "signer is a signatory of %s, not of %s",
		    pins[*pin].owner, required_owner);
	return check_cert_now(v->ps.x[*pin], now, why, whylen);
}

static void
verify_close(struct verify *v)
{
	BIO_free(v->dcont);
	BIO_free(v->out);
	CMS_ContentInfo_free(v->ci);
	pinset_free(&v->ps);
}

int
cms_verify(const uint8_t *cms, size_t cms_len, const uint8_t *doc, size_t doc_len,
    const struct cms_pin *pins, size_t npins, const char *required_owner,
    int64_t now, struct cms_result *res, char *why, size_t whylen)
{
	struct verify v;
	size_t pin = 0;
	int r;

	if (res == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	memset(res, 0, sizeof(*res));
	memset(&v, 0, sizeof(v));
	if ((r = check_request(doc, doc_len, required_owner, why, whylen)) != 0 ||
	    (r = verify_open(&v, cms, cms_len, doc, doc_len, pins, npins, why,
	    whylen)) != 0 ||
	    (r = verify_signer(&v, pins, required_owner, now, &pin, why,
	    whylen)) != 0)
		goto out;
	res->pin = pin;
	r = fill_result(res, v.ps.x[pin], v.si, v.out, why, whylen);
out:
	if (r != 0)
		cms_result_clear(res);
	verify_close(&v);
	ERR_clear_error();
	return r;
}

void
cms_cert_clear(struct cms_cert *c)
{
	if (c == NULL)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}

static int
looks_like_private_key(const uint8_t *p, size_t len)
{
	const unsigned char *q = p;
	EVP_PKEY *k;

	if (is_pem(p, len))
		return find_bytes(p, len, "PRIVATE KEY-----") != NULL;
	if ((k = d2i_AutoPrivateKey(NULL, &q, (long)len)) == NULL)
		return 0;
	EVP_PKEY_free(k);
	return 1;
}

static int
count_pem_blocks(const uint8_t *p, size_t len)
{
	const uint8_t *q;
	int n = 0;

	while ((q = find_bytes(p, len, pem_begin)) != NULL) {
		n++;
		len -= (size_t)(q - p) + 1;
		p = q + 1;
	}
	return n;
}

static int
load_cert(const uint8_t *p, size_t len, X509 **x, char *why, size_t whylen)
{
	const unsigned char *q = p;
	BIO *b = NULL;
	int r = 0;

	*x = NULL;
	if (!is_pem(p, len)) {
		if ((*x = d2i_X509(NULL, &q, (long)len)) == NULL)
			return sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (unreadable DER)");
		if (q != p + len)
			r = sluice_why(why, whylen, SLUICE_EFORMAT,
			    "not a certificate (trailing bytes after the certificate)");
		goto out;
	}
	if (count_pem_blocks(p, len) != 1)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (more than one PEM block)");
	if ((b = BIO_new_mem_buf(p, (int)len)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((*x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		r = sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (unreadable PEM)");
	else if (!bio_rest_is_space(b))
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "not a certificate (trailing bytes after the certificate)");
out:
	BIO_free(b);
	if (r != 0) {
		X509_free(*x);
		*x = NULL;
	}
	return r;
}

static int
cert_der(X509 *x, struct cms_cert *out)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_X509(x, &der)) <= 0)
		return SLUICE_ECRYPTO;
	if ((out->der = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return SLUICE_ENOMEM;
	}
	memcpy(out->der, der, (size_t)n);
	out->der_len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

static int
fingerprint(const struct cms_cert *c, char *hex, size_t hexlen)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(c->der, c->der_len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32 || hexlen < 65)
		return SLUICE_ECRYPTO;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	return 0;
}

static int
describe_cert(X509 *x, struct cms_cert *out, char *why, size_t whylen)
{
	int r;

	if ((r = validity(x, &out->not_before, &out->not_after)) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (bad validity dates)");
	if (key_usage_ok(x, &out->key_usage_ok) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (invalid extensions)");
	if ((r = serial_text(x, out->serial, sizeof(out->serial))) != 0)
		return sluice_why(why, whylen, r, r == SLUICE_ETOOBIG ?
		    "certificate serial number is longer than 39 bytes" : "out of memory");
	if (name_text(X509_get_subject_name(x), out->subject, sizeof(out->subject)) != 0 ||
	    name_text(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer)) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (unreadable names)");
	if ((r = cert_der(x, out)) != 0)
		return sluice_why(why, whylen, r, "%s", sluice_strerror(r));
	if ((r = fingerprint(out, out->sha256, sizeof(out->sha256))) != 0)
		return sluice_why(why, whylen, r, "OpenSSL failed");
	return 0;
}

int
cms_cert_info(const uint8_t *pem_or_der, size_t len, struct cms_cert *out,
    char *why, size_t whylen)
{
	X509 *x = NULL;
	int r;

	if (out == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	memset(out, 0, sizeof(*out));
	if (pem_or_der == NULL || len == 0) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT, "not a certificate (empty input)");
		goto out;
	}
	if (len > CMS_MAX_INPUT) {
		r = sluice_why(why, whylen, SLUICE_ETOOBIG, "not a certificate (larger than 1 MiB)");
		goto out;
	}
	if (looks_like_private_key(pem_or_der, len)) {
		r = sluice_why(why, whylen, SLUICE_EDENIED,
		    "this is a private key, not a certificate: never send private keys");
		goto out;
	}
	if ((r = load_cert(pem_or_der, len, &x, why, whylen)) != 0)
		goto out;
	r = describe_cert(x, out, why, whylen);
out:
	if (r != 0)
		cms_cert_clear(out);
	X509_free(x);
	ERR_clear_error();
	return r;
}
