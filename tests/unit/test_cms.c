/*
 * test_cms.c: CMS verification against pinned certificates, with a throwaway
 * PKI made by keys/make-test-pki and signatures made by the stock openssl
 * (through keys/sign-doc). Fails, never skips, when openssl is missing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sluice/certdoc.h"
#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/error.h"
#include "suite_run.h"
#include "testutil.h"

#define DOC_TEXT "Data Sharing Agreement NIC-123456-A1B2C\nversion 1\nsigned in binary mode\n"
#define DOC_CRLF "Data Sharing Agreement NIC-123456-A1B2C\r\nversion 1\r\nsigned in binary mode\r\n"
#define DOC_CHANGED "Data Sharing Agreement NIC-123456-A1B2D\nversion 1\nsigned in binary mode\n"
#define CERTDOC_TEXT \
	"Sluice-Deletion-Certificate: 1\n" \
	"Agreement: NIC-123456-A1B2C\n" \
	"Organisation: ORG-A\n" \
	"Datasets: HES Admitted Patient Care\n" \
	"Destroyed-On: 2026-05-30\n" \
	"Method: secure erase of every volume\n" \
	"Copies: one working copy on the TRE, destroyed\n" \
	"Signatory: Alice Applicant, Data Protection Officer\n"

#define NOW		1780272000	/* 2026-06-01T00:00:00Z */
#define NOT_BEFORE	1735689600	/* 2025-01-01T00:00:00Z */
#define NOT_AFTER	2082758399	/* 2035-12-31T23:59:59Z */

struct blob {
	uint8_t	*p;
	size_t	 n;
};

static char pki[64];
static int pki_ok;

enum { B_APP_DER, B_ORGB_DER, B_CTL_DER, B_KEYENC_DER, B_STRANGER_DER,
	B_APP_PEM, B_APP_KEY, B_APP_KEY_DER,
	B_SIG_APP, B_SIG_APP_PEM, B_SIG_CTL, B_SIG_CTL_PEM, B_SIG_ORGB,
	B_SIG_STRANGER, B_SIG_STRANGER_NOCERTS, B_SIG_KEYENC, B_SIG_TWO,
	B_NOSIGNER, B_DATA, B_CERT_P7M, B_CERT_P7M_PEM, B_APP_NOCERTS, B_MAX };

static const char *const blob_files[B_MAX] = {
	"applicant.der", "orgb.der", "controller.der", "keyenc.der", "stranger.der",
	"applicant.pem", "applicant.key", "applicant.key.der",
	"app.sig", "app.sig.pem", "ctl.sig", "ctl.sig.pem", "orgb.sig",
	"stranger.sig", "stranger-nocerts.sig", "keyenc.sig", "two.sig",
	"nosigner.p7", "data.p7", "cert.p7m", "cert.p7m.pem", "app-nocerts.sig",
};

static struct blob blobs[B_MAX];

static int
run(const char *const argv[])
{
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(fd, STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
path_in(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int
write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n = strlen(text);

	if (path_in(path, sizeof(path), pki, name) != 0 || (f = fopen(path, "wb")) == NULL)
		return -1;
	if (fwrite(text, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int
read_file(const char *name, struct blob *b)
{
	char path[PATH_MAX];
	struct stat st;
	FILE *f;

	if (path_in(path, sizeof(path), pki, name) != 0 || (f = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
	    (b->p = malloc((size_t)st.st_size)) == NULL) {
		fclose(f);
		return -1;
	}
	b->n = fread(b->p, 1, (size_t)st.st_size, f);
	fclose(f);
	return b->n == (size_t)st.st_size ? 0 : -1;
}

/* keys/sign-doc [opts] CERT KEY IN OUT, names relative to the PKI dir. */
static int
sign_doc(const char *opt1, const char *opt2, const char *who, const char *in, const char *out)
{
	char script[PATH_MAX], cert[PATH_MAX], key[PATH_MAX], inp[PATH_MAX], outp[PATH_MAX];
	char cname[64], kname[64];
	const char *argv[9];
	const char *src = getenv("SLUICE_SRC");
	int i = 0;

	if (src == NULL || path_in(script, sizeof(script), src, "keys/sign-doc") != 0)
		return -1;
	(void)snprintf(cname, sizeof(cname), "%s.pem", who);
	(void)snprintf(kname, sizeof(kname), "%s.key", who);
	if (path_in(cert, sizeof(cert), pki, cname) != 0 || path_in(key, sizeof(key), pki, kname) != 0 ||
	    path_in(inp, sizeof(inp), pki, in) != 0 || path_in(outp, sizeof(outp), pki, out) != 0)
		return -1;
	argv[i++] = "sh";
	argv[i++] = script;
	if (opt1 != NULL)
		argv[i++] = opt1;
	if (opt2 != NULL)
		argv[i++] = opt2;
	argv[i++] = cert;
	argv[i++] = key;
	argv[i++] = inp;
	argv[i++] = outp;
	argv[i] = NULL;
	return run(argv);
}

/* openssl with arguments where a leading '@' means "a file in the PKI dir". */
static int
openssl(const char *const args[])
{
	char paths[24][PATH_MAX];
	const char *argv[26];
	int i;

	argv[0] = "openssl";
	for (i = 0; args[i] != NULL; i++) {
		if (i >= 24)
			return -1;
		if (args[i][0] == '@') {
			if (path_in(paths[i], sizeof(paths[i]), pki, args[i] + 1) != 0)
				return -1;
			argv[i + 1] = paths[i];
		} else
			argv[i + 1] = args[i];
	}
	argv[i + 1] = NULL;
	return run(argv);
}

static int
make_signatures(void)
{
	static const char *const two[] = { "cms", "-sign", "-binary", "-in", "@doc.txt",
		"-signer", "@applicant.pem", "-inkey", "@applicant.key", "-signer",
		"@controller.pem", "-inkey", "@controller.key", "-outform", "DER",
		"-out", "@two.sig", NULL };
	static const char *const nosigner[] = { "crl2pkcs7", "-nocrl", "-certfile",
		"@applicant.pem", "-outform", "DER", "-out", "@nosigner.p7", NULL };
	static const char *const data[] = { "cms", "-data_create", "-in", "@doc.txt",
		"-outform", "DER", "-out", "@data.p7", NULL };
	static const char *const nocerts[] = { "cms", "-sign", "-binary", "-nocerts",
		"-in", "@doc.txt", "-signer", "@stranger.pem", "-inkey", "@stranger.key",
		"-outform", "DER", "-out", "@stranger-nocerts.sig", NULL };
	static const char *const appnocerts[] = { "cms", "-sign", "-binary", "-nocerts",
		"-in", "@doc.txt", "-signer", "@applicant.pem", "-inkey", "@applicant.key",
		"-outform", "DER", "-out", "@app-nocerts.sig", NULL };
	static const char *const keyder[] = { "pkey", "-in", "@applicant.key",
		"-outform", "DER", "-out", "@applicant.key.der", NULL };

	return sign_doc(NULL, NULL, "applicant", "doc.txt", "app.sig") != 0 ||
	    sign_doc("--pem", NULL, "applicant", "doc.txt", "app.sig.pem") != 0 ||
	    sign_doc(NULL, NULL, "controller", "doc.txt", "ctl.sig") != 0 ||
	    sign_doc("--pem", NULL, "controller", "doc.txt", "ctl.sig.pem") != 0 ||
	    sign_doc(NULL, NULL, "orgb", "doc.txt", "orgb.sig") != 0 ||
	    sign_doc(NULL, NULL, "stranger", "doc.txt", "stranger.sig") != 0 ||
	    sign_doc(NULL, NULL, "keyenc", "doc.txt", "keyenc.sig") != 0 ||
	    sign_doc("--attached", NULL, "applicant", "certdoc.txt", "cert.p7m") != 0 ||
	    sign_doc("--attached", "--pem", "applicant", "certdoc.txt", "cert.p7m.pem") != 0 ||
	    openssl(two) != 0 || openssl(nosigner) != 0 || openssl(data) != 0 ||
	    openssl(nocerts) != 0 || openssl(appnocerts) != 0 || openssl(keyder) != 0 ? -1 : 0;
}

static void
setup_pki(void)
{
	static const char *const version[] = { "version", NULL };
	char script[PATH_MAX];
	const char *src = getenv("SLUICE_SRC");
	const char *argv[4];
	int i;

	(void)snprintf(pki, sizeof(pki), "/tmp/sluice-cms-XXXXXX");
	if (src == NULL || mkdtemp(pki) == NULL || openssl(version) != 0 ||
	    path_in(script, sizeof(script), src, "keys/make-test-pki") != 0)
		return;
	argv[0] = "sh";
	argv[1] = script;
	argv[2] = pki;
	argv[3] = NULL;
	if (run(argv) != 0 || write_file("doc.txt", DOC_TEXT) != 0 ||
	    write_file("certdoc.txt", CERTDOC_TEXT) != 0 || make_signatures() != 0)
		return;
	for (i = 0; i < B_MAX; i++)
		if (read_file(blob_files[i], &blobs[i]) != 0)
			return;
	pki_ok = 1;
}

static void
teardown_pki(void)
{
	int i;

	for (i = 0; i < B_MAX; i++) {
		free(blobs[i].p);
		blobs[i].p = NULL;
	}
	if (strncmp(pki, "/tmp/sluice-cms-", 16) == 0 && strchr(pki, 'X') == NULL)
		tu_rmrf(pki);
}

/* The registered signatories of the tests. */
static struct cms_pin pins[4];
static const size_t npins = 4;

static void
setup_pins(void)
{
	ck_assert_msg(pki_ok, "test PKI not made: is openssl installed and SLUICE_SRC set?");
	pins[0] = (struct cms_pin){ blobs[B_APP_DER].p, blobs[B_APP_DER].n, "ORG-A" };
	pins[1] = (struct cms_pin){ blobs[B_ORGB_DER].p, blobs[B_ORGB_DER].n, "ORG-B" };
	pins[2] = (struct cms_pin){ blobs[B_CTL_DER].p, blobs[B_CTL_DER].n, "controller" };
	pins[3] = (struct cms_pin){ blobs[B_KEYENC_DER].p, blobs[B_KEYENC_DER].n, "ORG-A" };
}

static int
verify_doc(int sig, const char *doc, const char *owner, int64_t now,
    struct cms_result *res, char *why, size_t whylen)
{
	return cms_verify(blobs[sig].p, blobs[sig].n, (const uint8_t *)doc, strlen(doc),
	    pins, npins, owner, now, res, why, whylen);
}

/* Expects refusal r with exactly the reason text. */
static void
expect_doc(int sig, const char *doc, const char *owner, int64_t now, int r, const char *reason)
{
	struct cms_result res;
	char why[256] = "";

	ck_assert_int_eq(verify_doc(sig, doc, owner, now, &res, why, sizeof(why)), r);
	ck_assert_str_eq(why, reason);
	ck_assert_ptr_null(res.content);
	ck_assert_uint_eq(res.content_len, 0);
}

START_TEST(applicant_der_and_pem_verify)
{
	struct cms_result res;
	struct cms_cert cert;
	char why[256] = "";
	int sig;

	ck_assert_int_eq(cms_cert_info(blobs[B_APP_DER].p, blobs[B_APP_DER].n, &cert,
	    why, sizeof(why)), 0);
	for (sig = B_SIG_APP; sig <= B_SIG_APP_PEM; sig++) {
		ck_assert_int_eq(verify_doc(sig, DOC_TEXT, "ORG-A", NOW, &res, why, sizeof(why)), 0);
		ck_assert_str_eq(why, "");
		ck_assert_uint_eq(res.pin, 0);
		ck_assert_str_eq(res.subject, "CN=Alice Applicant,O=ORG-A,C=GB");
		ck_assert_str_eq(res.issuer, "CN=Sluice Test CA (throwaway),O=Sluice Test PKI,C=GB");
		ck_assert_str_eq(res.serial, cert.serial);
		ck_assert_int_gt(res.signing_time, NOT_BEFORE);
		ck_assert_ptr_null(res.content);
		cms_result_clear(&res);
	}
	cms_cert_clear(&cert);
}
END_TEST

START_TEST(controller_der_and_pem_verify)
{
	struct cms_result res;
	char why[256] = "";
	int sig;

	for (sig = B_SIG_CTL; sig <= B_SIG_CTL_PEM; sig++) {
		ck_assert_int_eq(verify_doc(sig, DOC_TEXT, CMS_OWNER_CONTROLLER, NOW, &res,
		    why, sizeof(why)), 0);
		ck_assert_uint_eq(res.pin, 2);
		ck_assert_str_eq(res.subject,
		    "CN=Carol Controller,OU=Data Access Request Service,O=NHS England,C=GB");
		cms_result_clear(&res);
	}
}
END_TEST

START_TEST(signature_without_certs_verifies_by_pin)
{
	struct cms_result res;
	char why[256] = "";

	ck_assert_int_eq(verify_doc(B_APP_NOCERTS, DOC_TEXT, "ORG-A", NOW, &res, why, sizeof(why)), 0);
	ck_assert_uint_eq(res.pin, 0);
	cms_result_clear(&res);
}
END_TEST

START_TEST(wrong_owner_refused)
{
	expect_doc(B_SIG_APP, DOC_TEXT, "controller", NOW, SLUICE_EDENIED,
	    "signer is a signatory of ORG-A, not of controller");
	expect_doc(B_SIG_CTL, DOC_TEXT, "ORG-A", NOW, SLUICE_EDENIED,
	    "signer is a signatory of controller, not of ORG-A");
	expect_doc(B_SIG_ORGB, DOC_TEXT, "ORG-A", NOW, SLUICE_EDENIED,
	    "signer is a signatory of ORG-B, not of ORG-A");
	expect_doc(B_SIG_APP, DOC_TEXT, "", NOW, SLUICE_EINVAL, "no owner is required");
}
END_TEST

START_TEST(unregistered_signer_refused)
{
	expect_doc(B_SIG_STRANGER, DOC_TEXT, "ORG-A", NOW, SLUICE_EVERIFY,
	    "signer certificate is not registered");
	expect_doc(B_SIG_STRANGER_NOCERTS, DOC_TEXT, "ORG-A", NOW, SLUICE_EVERIFY,
	    "signer certificate is not registered");
}
END_TEST

START_TEST(changed_document_refused)
{
	expect_doc(B_SIG_APP, DOC_CHANGED, "ORG-A", NOW, SLUICE_EVERIFY,
	    "signature does not match the document");
	expect_doc(B_SIG_APP_PEM, DOC_CHANGED, "ORG-A", NOW, SLUICE_EVERIFY,
	    "signature does not match the document");
	/* Binary mode: CRLF and LF are different documents. */
	expect_doc(B_SIG_APP, DOC_CRLF, "ORG-A", NOW, SLUICE_EVERIFY,
	    "signature does not match the document");
	expect_doc(B_SIG_CTL, "", "controller", NOW, SLUICE_EVERIFY,
	    "signature does not match the document");
}
END_TEST

START_TEST(validity_window)
{
	struct cms_result res;
	char why[256];

	expect_doc(B_SIG_APP, DOC_TEXT, "ORG-A", NOT_AFTER + 1, SLUICE_EDENIED,
	    "signatory certificate expired on 2035-12-31");
	expect_doc(B_SIG_APP, DOC_TEXT, "ORG-A", NOT_BEFORE - 1, SLUICE_EDENIED,
	    "signatory certificate not valid until 2025-01-01");
	ck_assert_int_eq(verify_doc(B_SIG_APP, DOC_TEXT, "ORG-A", NOT_AFTER, &res, why, sizeof(why)), 0);
	cms_result_clear(&res);
	ck_assert_int_eq(verify_doc(B_SIG_APP, DOC_TEXT, "ORG-A", NOT_BEFORE, &res, why, sizeof(why)), 0);
	cms_result_clear(&res);
}
END_TEST

START_TEST(key_usage_refused)
{
	expect_doc(B_SIG_KEYENC, DOC_TEXT, "ORG-A", NOW, SLUICE_EDENIED,
	    "signatory certificate key usage does not allow signing");
}
END_TEST

START_TEST(signer_count)
{
	expect_doc(B_SIG_TWO, DOC_TEXT, "ORG-A", NOW, SLUICE_EDENIED,
	    "CMS signature has 2 signers; exactly one is allowed");
	expect_doc(B_NOSIGNER, DOC_TEXT, "ORG-A", NOW, SLUICE_EFORMAT,
	    "CMS signature has no signer");
	expect_doc(B_DATA, DOC_TEXT, "ORG-A", NOW, SLUICE_EFORMAT,
	    "not a CMS signature (not SignedData)");
}
END_TEST

START_TEST(pins_checked)
{
	struct cms_pin two[2];
	struct cms_result res;
	char why[256] = "";
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };

	two[0] = pins[0];
	two[1] = pins[0];
	two[1].owner = "ORG-B";
	ck_assert_int_eq(cms_verify(blobs[B_SIG_APP].p, blobs[B_SIG_APP].n,
	    (const uint8_t *)DOC_TEXT, strlen(DOC_TEXT), two, 2, "ORG-A", NOW, &res,
	    why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "the same certificate is registered to ORG-A and ORG-B");
	/* The same certificate twice for the same owner is harmless. */
	two[1].owner = "ORG-A";
	ck_assert_int_eq(cms_verify(blobs[B_SIG_APP].p, blobs[B_SIG_APP].n,
	    (const uint8_t *)DOC_TEXT, strlen(DOC_TEXT), two, 2, "ORG-A", NOW, &res,
	    why, sizeof(why)), 0);
	cms_result_clear(&res);
	two[1] = (struct cms_pin){ junk, sizeof(junk), "ORG-B" };
	ck_assert_int_eq(cms_verify(blobs[B_SIG_APP].p, blobs[B_SIG_APP].n,
	    (const uint8_t *)DOC_TEXT, strlen(DOC_TEXT), two, 2, "ORG-A", NOW, &res,
	    why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "registered certificate 1 (ORG-B) is not a certificate");
	/* No pins at all: nobody is registered. */
	ck_assert_int_eq(cms_verify(blobs[B_SIG_APP].p, blobs[B_SIG_APP].n,
	    (const uint8_t *)DOC_TEXT, strlen(DOC_TEXT), NULL, 0, "ORG-A", NOW, &res,
	    why, sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "signer certificate is not registered");
}
END_TEST

static int
verify_raw(const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct cms_result res;
	int r;

	r = cms_verify(p, n, (const uint8_t *)DOC_TEXT, strlen(DOC_TEXT), pins, npins,
	    "ORG-A", NOW, &res, why, whylen);
	ck_assert_ptr_null(res.content);
	cms_result_clear(&res);
	return r;
}

START_TEST(garbage_refused)
{
	static const char pem_junk[] = "-----BEGIN CMS-----\nnot base64 at all\n-----END CMS-----\n";
	char why[256];
	uint8_t *big;
	struct blob *s = &blobs[B_SIG_APP], *sp = &blobs[B_SIG_APP_PEM];

	ck_assert_int_eq(verify_raw((const uint8_t *)"hello", 5, why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a CMS signature (unreadable DER)");
	ck_assert_int_eq(verify_raw((const uint8_t *)"", 0, why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a CMS signature (empty input)");
	ck_assert_int_eq(verify_raw((const uint8_t *)pem_junk, strlen(pem_junk), why, sizeof(why)),
	    SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a CMS signature (unreadable PEM)");
	ck_assert_ptr_nonnull(big = calloc(1, CMS_MAX_INPUT + 1));
	memcpy(big, s->p, s->n);
	ck_assert_int_eq(verify_raw(big, CMS_MAX_INPUT + 1, why, sizeof(why)), SLUICE_ETOOBIG);
	ck_assert_str_eq(why, "not a CMS signature (larger than 1 MiB)");
	/* The DER followed by one more byte, the PEM followed by text. */
	ck_assert_int_eq(verify_raw(big, s->n + 1, why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a CMS signature (trailing bytes after the signature)");
	memcpy(big, sp->p, sp->n);
	memcpy(big + sp->n, "junk\n", 5);
	ck_assert_int_eq(verify_raw(big, sp->n + 5, why, sizeof(why)), SLUICE_EFORMAT);
	ck_assert_str_eq(why, "not a CMS signature (trailing bytes after the signature)");
	/* Trailing white space after PEM is fine. */
	memcpy(big + sp->n, "\n \n", 3);
	ck_assert_int_eq(verify_raw(big, sp->n + 3, why, sizeof(why)), 0);
	free(big);
}
END_TEST

START_TEST(truncated_refused)
{
	struct blob *s = &blobs[_i == 0 ? B_SIG_APP : B_CERT_P7M];
	char why[256];
	size_t n;
	int r;

	for (n = 1; n < s->n; n++) {
		why[0] = '\0';
		r = verify_raw(s->p, n, why, sizeof(why));
		ck_assert_msg(r == SLUICE_EFORMAT, "length %zu: %d %s", n, r, why);
		ck_assert_msg(strncmp(why, "not a CMS signature (", 21) == 0, "length %zu: %s", n, why);
	}
	/* PEM cut anywhere: refused, never a crash. */
	s = &blobs[B_SIG_APP_PEM];
	for (n = 1; n < s->n; n += 7)
		ck_assert_int_ne(verify_raw(s->p, n, why, sizeof(why)), 0);
}
END_TEST

START_TEST(attached_returns_content)
{
	struct cms_result res;
	struct certdoc d;
	char why[256] = "";
	int sig;

	for (sig = B_CERT_P7M; sig <= B_CERT_P7M_PEM; sig++) {
		ck_assert_int_eq(cms_verify(blobs[sig].p, blobs[sig].n, NULL, 0, pins, npins,
		    "ORG-A", NOW, &res, why, sizeof(why)), 0);
		ck_assert_uint_eq(res.content_len, strlen(CERTDOC_TEXT));
		ck_assert_mem_eq(res.content, CERTDOC_TEXT, strlen(CERTDOC_TEXT));
		ck_assert_int_eq(certdoc_parse(res.content, res.content_len, &d, why, sizeof(why)), 0);
		ck_assert_str_eq(d.agreement, "NIC-123456-A1B2C");
		certdoc_clear(&d);
		cms_result_clear(&res);
		ck_assert_ptr_null(res.content);
	}
	/* Attached, but checked over a given document, as a detached one. */
	ck_assert_int_eq(cms_verify(blobs[B_CERT_P7M].p, blobs[B_CERT_P7M].n,
	    (const uint8_t *)CERTDOC_TEXT, strlen(CERTDOC_TEXT), pins, npins, "ORG-A", NOW,
	    &res, why, sizeof(why)), 0);
	ck_assert_ptr_null(res.content);
	ck_assert_int_eq(cms_verify(blobs[B_CERT_P7M].p, blobs[B_CERT_P7M].n,
	    (const uint8_t *)DOC_TEXT, strlen(DOC_TEXT), pins, npins, "ORG-A", NOW,
	    &res, why, sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "signature does not match the document");
	/* A detached signature cannot stand alone. */
	ck_assert_int_eq(cms_verify(blobs[B_SIG_APP].p, blobs[B_SIG_APP].n, NULL, 0, pins, npins,
	    "ORG-A", NOW, &res, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "detached CMS signature but no document was given");
}
END_TEST

START_TEST(attached_tampered_refused)
{
	struct blob *s = &blobs[B_CERT_P7M];
	struct cms_result res;
	char why[256] = "";
	uint8_t *copy;
	size_t i, tlen = strlen(CERTDOC_TEXT);

	ck_assert_ptr_nonnull(copy = malloc(s->n));
	memcpy(copy, s->p, s->n);
	for (i = 0; i + tlen <= s->n; i++)
		if (memcmp(copy + i, CERTDOC_TEXT, tlen) == 0)
			break;
	ck_assert_uint_le(i + tlen, s->n);
	copy[i + 50] ^= 0x01;	/* inside "Organisation: ORG-A" */
	ck_assert_int_eq(cms_verify(copy, s->n, NULL, 0, pins, npins, "ORG-A", NOW, &res,
	    why, sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "signature does not match the document");
	ck_assert_ptr_null(res.content);
	free(copy);
}
END_TEST

static void
sha256_hex(const uint8_t *p, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0, i;

	ck_assert_int_eq(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL), 1);
	for (i = 0; i < 32; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

START_TEST(cert_info_reads_pem_and_der)
{
	struct cms_cert a, b;
	char why[256] = "", hex[65];

	ck_assert_int_eq(cms_cert_info(blobs[B_APP_PEM].p, blobs[B_APP_PEM].n, &a, why, sizeof(why)), 0);
	ck_assert_int_eq(cms_cert_info(blobs[B_APP_DER].p, blobs[B_APP_DER].n, &b, why, sizeof(why)), 0);
	ck_assert_uint_eq(a.der_len, blobs[B_APP_DER].n);
	ck_assert_mem_eq(a.der, blobs[B_APP_DER].p, a.der_len);
	ck_assert_mem_eq(b.der, blobs[B_APP_DER].p, b.der_len);
	ck_assert_str_eq(a.subject, "CN=Alice Applicant,O=ORG-A,C=GB");
	ck_assert_str_eq(a.issuer, "CN=Sluice Test CA (throwaway),O=Sluice Test PKI,C=GB");
	ck_assert_str_eq(a.serial, b.serial);
	ck_assert_uint_eq(strlen(a.serial), 40);	/* openssl ca -rand_serial: 20 bytes */
	ck_assert_int_eq(a.not_before, NOT_BEFORE);
	ck_assert_int_eq(a.not_after, NOT_AFTER);
	sha256_hex(blobs[B_APP_DER].p, blobs[B_APP_DER].n, hex);
	ck_assert_str_eq(a.sha256, hex);
	ck_assert_str_eq(b.sha256, hex);
	ck_assert_int_eq(a.key_usage_ok, 1);
	cms_cert_clear(&a);
	cms_cert_clear(&b);
	ck_assert_ptr_null(a.der);
	ck_assert_int_eq(cms_cert_info(blobs[B_KEYENC_DER].p, blobs[B_KEYENC_DER].n, &a,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(a.key_usage_ok, 0);
	ck_assert_str_eq(a.subject, "CN=Kim Encipher,O=ORG-A,C=GB");
	cms_cert_clear(&a);
}
END_TEST

static void
expect_cert(const void *p, size_t n, int r, const char *reason)
{
	struct cms_cert c;
	char why[256] = "";

	ck_assert_int_eq(cms_cert_info(p, n, &c, why, sizeof(why)), r);
	ck_assert_str_eq(why, reason);
	ck_assert_ptr_null(c.der);
}

START_TEST(cert_info_refusals)
{
	struct blob *pem = &blobs[B_APP_PEM], *der = &blobs[B_APP_DER];
	uint8_t *two;

	expect_cert(blobs[B_APP_KEY].p, blobs[B_APP_KEY].n, SLUICE_EDENIED,
	    "this is a private key, not a certificate: never send private keys");
	expect_cert(blobs[B_APP_KEY_DER].p, blobs[B_APP_KEY_DER].n, SLUICE_EDENIED,
	    "this is a private key, not a certificate: never send private keys");
	expect_cert("", 0, SLUICE_EFORMAT, "not a certificate (empty input)");
	expect_cert("hello", 5, SLUICE_EFORMAT, "not a certificate (unreadable DER)");
	expect_cert("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 58,
	    SLUICE_EFORMAT, "not a certificate (unreadable PEM)");
	expect_cert(blobs[B_SIG_APP_PEM].p, blobs[B_SIG_APP_PEM].n, SLUICE_EFORMAT,
	    "not a certificate (unreadable PEM)");
	expect_cert(der->p, der->n - 1, SLUICE_EFORMAT, "not a certificate (unreadable DER)");
	ck_assert_ptr_nonnull(two = malloc(2 * pem->n + 1));
	memcpy(two, der->p, der->n);
	two[der->n] = 0;
	expect_cert(two, der->n + 1, SLUICE_EFORMAT,
	    "not a certificate (trailing bytes after the certificate)");
	memcpy(two, pem->p, pem->n);
	memcpy(two + pem->n, pem->p, pem->n);
	expect_cert(two, 2 * pem->n, SLUICE_EFORMAT, "not a certificate (more than one PEM block)");
	free(two);
	ck_assert_ptr_nonnull(two = calloc(1, CMS_MAX_INPUT + 1));
	expect_cert(two, CMS_MAX_INPUT + 1, SLUICE_ETOOBIG, "not a certificate (larger than 1 MiB)");
	free(two);
}
END_TEST

static Suite *
cms_suite(void)
{
	Suite *s = suite_create("cms");
	TCase *tc = tcase_create("pinned");

	tcase_add_unchecked_fixture(tc, setup_pki, teardown_pki);
	tcase_add_checked_fixture(tc, setup_pins, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, applicant_der_and_pem_verify);
	tcase_add_test(tc, controller_der_and_pem_verify);
	tcase_add_test(tc, signature_without_certs_verifies_by_pin);
	tcase_add_test(tc, wrong_owner_refused);
	tcase_add_test(tc, unregistered_signer_refused);
	tcase_add_test(tc, changed_document_refused);
	tcase_add_test(tc, validity_window);
	tcase_add_test(tc, key_usage_refused);
	tcase_add_test(tc, signer_count);
	tcase_add_test(tc, pins_checked);
	tcase_add_test(tc, garbage_refused);
	tcase_add_loop_test(tc, truncated_refused, 0, 2);
	tcase_add_test(tc, attached_returns_content);
	tcase_add_test(tc, attached_tampered_refused);
	tcase_add_test(tc, cert_info_reads_pem_and_der);
	tcase_add_test(tc, cert_info_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(cms_suite());
}
