/*
 * cms.h: CMS (PKCS#7) signatures by pinned signatory certificates.
 *
 * Agreement documents are signed detached (`openssl cms -sign -binary`), and
 * certificates of deletion attached (`-nodetach`); either comes as DER or PEM.
 * Trust is pinning, not PKI: the caller passes the registered certificates
 * (DER), each labelled with its owner (an organisation code or "controller").
 * A signature counts only when it has exactly one signer, that signer is one
 * of the pinned certificates of the required owner (the certificates inside the
 * CMS are ignored), the signature is over the exact bytes (binary; no text
 * canonicalisation), the certificate is valid at `now` (notBefore <= now <=
 * notAfter, both inclusive), and its key usage (if present) allows
 * digitalSignature or nonRepudiation. The first rule broken is the one
 * reported, in this order: arguments and pins; the CMS's shape (readable,
 * SignedData over data, one signer, content present or document given); the
 * signer (registered? signature matches?); its owner; its validity at now;
 * its key usage. No chain, purpose, CRL
 * or clock check is done by OpenSSL; `now` always comes from the caller.
 *
 * All input is hostile: sizes are bounded (CMS_MAX_INPUT), nothing is read
 * beyond the given lengths, and every refusal has its own one-line reason in
 * `why` (the texts are stable; tests assert them):
 *   SLUICE_ETOOBIG  "not a CMS signature (larger than 1 MiB)"
 *   SLUICE_EFORMAT  "not a CMS signature (empty input)"
 *                   "not a CMS signature (unreadable DER)"
 *                   "not a CMS signature (unreadable PEM)"
 *                   "not a CMS signature (trailing bytes after the signature)"
 *                   "not a CMS signature (not SignedData)"
 *                   "not a CMS signature (signed content is not data)"
 *                   "CMS signature has no signer"
 *   SLUICE_EDENIED  "CMS signature has N signers; exactly one is allowed"
 *   SLUICE_EINVAL   "detached CMS signature but no document was given"
 *                   "registered certificate N (OWNER) is not a certificate"
 *                   "registered certificate N has no owner"
 *                   "the same certificate is registered to OWNER1 and OWNER2"
 *                   "no owner is required" (required_owner NULL or "")
 *                   "invalid list of registered certificates" (pins NULL, npins > 0)
 *   SLUICE_ETOOBIG  "document is larger than 2 GiB"
 *   SLUICE_EVERIFY  "signer certificate is not registered"
 *                   "signature does not match the document"
 *   SLUICE_EDENIED  "signer is a signatory of OWNER, not of REQUIRED"
 *                   "signatory certificate expired on YYYY-MM-DD"
 *                   "signatory certificate not valid until YYYY-MM-DD"
 *                   "signatory certificate key usage does not allow signing"
 *                   "signatory certificate has invalid extensions"
 *                   "signatory certificate has unreadable validity dates"
 *   SLUICE_EFORMAT  "signatory certificate has unreadable names or serial number"
 *   SLUICE_ENOMEM / SLUICE_ECRYPTO  "out of memory" / "OpenSSL failed"
 */
#ifndef SLUICE_CMS_H
#define SLUICE_CMS_H

#include <stddef.h>
#include <stdint.h>

#define CMS_MAX_INPUT	(1024u * 1024)	/* signatures and certificates */
#define CMS_OWNER_CONTROLLER	"controller"

/* A registered signatory certificate. Borrowed: never freed by this module. */
struct cms_pin {
	const uint8_t	*der;
	size_t		 der_len;
	const char	*owner;		/* organisation code or "controller" */
};

struct cms_result {
	size_t	 pin;		/* index into the pins of the signer */
	char	 subject[256];	/* RFC 2253, UTF-8, control chars escaped */
	char	 issuer[256];
	char	 serial[80];	/* upper-case hex */
	int64_t	 signing_time;	/* signed attribute; 0 if absent */
	uint8_t	*content;	/* attached signatures only: the signed bytes */
	size_t	 content_len;
};

/* Releases res->content and zeroes *res; NULL is a no-op. */
void cms_result_clear(struct cms_result *res);

/*
 * Verifies one CMS SignedData (DER or PEM, at most CMS_MAX_INPUT bytes).
 * doc != NULL: the signature is checked over doc[0..doc_len) (a detached
 * signature; an attached one is also checked over doc, not over what it
 * embeds). doc == NULL: the signature must be attached and its content is
 * returned in res->content (caller frees with cms_result_clear).
 * Returns 0 only when every rule in the header comment holds; on failure res
 * is left cleared and why says which rule failed.
 */
int cms_verify(const uint8_t *cms, size_t cms_len, const uint8_t *doc,
    size_t doc_len, const struct cms_pin *pins, size_t npins,
    const char *required_owner, int64_t now, struct cms_result *res,
    char *why, size_t whylen) __attribute__((warn_unused_result));

struct cms_cert {
	uint8_t	*der;		/* malloc'd; cms_cert_clear frees */
	size_t	 der_len;
	char	 subject[256];
	char	 issuer[256];
	char	 serial[80];
	int64_t	 not_before;	/* seconds since the epoch, UTC */
	int64_t	 not_after;
	char	 sha256[65];	/* lower-case hex of SHA-256(der) */
	int	 key_usage_ok;	/* no keyUsage, or digitalSignature/nonRepudiation */
};

void cms_cert_clear(struct cms_cert *c);	/* NULL is a no-op */

/*
 * Reads one X.509 certificate, PEM ("CERTIFICATE") or DER, at most
 * CMS_MAX_INPUT bytes, for registering a signatory. Refusals:
 *   SLUICE_EFORMAT "not a certificate (empty input)"
 *                  "not a certificate (unreadable DER)"
 *                  "not a certificate (unreadable PEM)"
 *                  "not a certificate (trailing bytes after the certificate)"
 *                  "not a certificate (more than one PEM block)"
 *                  "not a certificate (bad validity dates)"
 *                  "not a certificate (invalid extensions)"
 *   SLUICE_EDENIED "this is a private key, not a certificate: never send private keys"
 *   SLUICE_ETOOBIG "not a certificate (larger than 1 MiB)"
 *                  "certificate serial number is longer than 39 bytes"
 * On failure *out is left cleared.
 */
int cms_cert_info(const uint8_t *pem_or_der, size_t len, struct cms_cert *out,
    char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
