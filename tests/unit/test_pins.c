/*
 * test_pins.c: the signatories a new signature is verified against
 * (daemon/engine/pins.h): revoked ones are left out, in order, with each pin
 * pointing at its row; a certificate signed by a revoked signatory is named
 * as such. The last case signs with the stock openssl through keys/sign-doc
 * over a PKI from keys/make-test-pki (fails, never skips, without them).
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "store_fixture.h"

#include "engine/pins.h"
#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/files.h"
#include "suite_run.h"

#define NOW	1780272000	/* 2026-06-01T00:00:00Z */

static int64_t staff_id;

static void
setup(void)
{
	struct org o;
	int64_t id;
	char why[256] = "";

	fx_setup();
	staff_id = fx_staff("alice", ROLE_OPERATOR | ROLE_ADMIN, 1);
	memset(&o, 0, sizeof(o));
	snprintf(o.code, sizeof(o.code), "ORG-A");
	snprintf(o.name, sizeof(o.name), "Org A");
	ck_assert_msg(org_add(fx, &o, &id, why, sizeof(why)) == 0, "%s", why);
}

/* A signatory of owner whose "certificate" is der (made-up bytes do: the
 * store keeps them, only cms_verify() reads them). */
static int64_t
add_signatory(const char *owner, const uint8_t *der, size_t len,
    const char *serial)
{
	struct signatory sg;
	int64_t id = 0;
	char why[256] = "";

	memset(&sg, 0, sizeof(sg));
	snprintf(sg.owner, sizeof(sg.owner), "%s", owner);
	sg.der = (uint8_t *)(uintptr_t)der;
	sg.der_len = len;
	snprintf(sg.subject, sizeof(sg.subject), "CN=%s %s", owner, serial);
	snprintf(sg.issuer, sizeof(sg.issuer), "CN=Test CA");
	snprintf(sg.serial, sizeof(sg.serial), "%s", serial);
	sg.not_before = NOW - 86400;
	sg.not_after = NOW + 86400;
	sg.added_by = staff_id;
	ck_assert_msg(signatory_add(fx, &sg, &id, why, sizeof(why)) == 0, "%s",
	    why);
	return id;
}

static void
revoke_signatory(const char *owner, const char *serial, const char *reason)
{
	char why[256] = "";

	ck_assert_msg(signatory_revoke(fx, owner, serial, NOW, staff_id, reason,
	    why, sizeof(why)) == 0, "%s", why);
}

START_TEST(revoked_left_out_in_order)
{
	struct signatory_list l;
	struct cms_pin *pins = NULL;
	int64_t a, c;

	a = add_signatory("ORG-A", (const uint8_t *)"der-a", 5, "0A");
	(void)add_signatory("ORG-A", (const uint8_t *)"der-b", 5, "0B");
	c = add_signatory("ORG-A", (const uint8_t *)"der-c", 5, "0C");
	revoke_signatory("ORG-A", "0b", "left the organisation");
	ck_assert_int_eq(pins_for(fx, "ORG-A", &l, &pins), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.v[0].id, a);
	ck_assert_int_eq(l.v[1].id, c);
	ck_assert_ptr_eq(pins[0].der, l.v[0].der);
	ck_assert_ptr_eq(pins[1].der, l.v[1].der);
	ck_assert_uint_eq(pins[1].der_len, 5);
	ck_assert_mem_eq(pins[1].der, "der-c", 5);
	ck_assert_str_eq(pins[0].owner, "ORG-A");
	free(pins);
	signatory_list_free(&l);
}
END_TEST

START_TEST(every_owner)
{
	struct signatory_list l;
	struct cms_pin *pins = NULL;

	(void)add_signatory("ORG-A", (const uint8_t *)"der-a", 5, "0A");
	(void)add_signatory("controller", (const uint8_t *)"der-k", 5, "0K");
	(void)add_signatory("controller", (const uint8_t *)"der-l", 5, "0L");
	revoke_signatory("controller", "0K", "key compromised");
	ck_assert_int_eq(pins_for(fx, NULL, &l, &pins), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(pins[0].owner, "ORG-A");
	ck_assert_str_eq(pins[1].owner, "controller");
	ck_assert_str_eq(l.v[1].serial, "0L");
	free(pins);
	signatory_list_free(&l);
}
END_TEST

START_TEST(all_revoked)
{
	struct signatory_list l;
	struct cms_pin *pins = (struct cms_pin *)&l;

	(void)add_signatory("ORG-A", (const uint8_t *)"der-a", 5, "0A");
	revoke_signatory("ORG-A", "0A", "left");
	ck_assert_int_eq(pins_for(fx, "ORG-A", &l, &pins), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(pins);
	signatory_list_free(&l);
	/* pins_of() on a list already read: the same rule */
	ck_assert_int_eq(signatory_list(fx, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(pins_of(&l, &pins), 0);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(pins);
	signatory_list_free(&l);
}
END_TEST

/* ---- a real signature by a revoked signatory ---------------------------- */

static char pki[64];

static int
run(const char *const argv[])
{
	pid_t pid;
	int status, fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			(void)dup2(fd, STDOUT_FILENO);
			(void)dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* dir/name, or the test fails. */
static void
in_dir(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	ck_assert(n > 0 && (size_t)n < outlen);
}

/* The PKI, and a certificate of deletion signed (attached) by applicant:
 * its bytes in sig. */
static void
make_signed(struct sbuf *sig)
{
	const char *src = getenv("SLUICE_SRC");
	char script[PATH_MAX], signer[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char doc[PATH_MAX], out[PATH_MAX];
	FILE *f;

	ck_assert_msg(src != NULL, "SLUICE_SRC is not set");
	snprintf(pki, sizeof(pki), "/tmp/sluice-pins-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pki));
	in_dir(script, sizeof(script), src, "keys/make-test-pki");
	ck_assert_int_eq(run((const char *const[]){ script, pki, NULL }), 0);
	in_dir(doc, sizeof(doc), pki, "cert.txt");
	ck_assert_ptr_nonnull(f = fopen(doc, "w"));
	fputs("Sluice-Deletion-Certificate: 1\n", f);
	ck_assert_int_eq(fclose(f), 0);
	in_dir(signer, sizeof(signer), src, "keys/sign-doc");
	in_dir(cert, sizeof(cert), pki, "applicant.pem");
	in_dir(key, sizeof(key), pki, "applicant.key");
	in_dir(out, sizeof(out), pki, "cert.p7m");
	ck_assert_int_eq(run((const char *const[]){ signer, "--attached", cert,
	    key, doc, out, NULL }), 0);
	ck_assert_int_eq(files_read(out, CMS_MAX_INPUT, sig), 0);
}

/* applicant.pem, registered to ORG-A; its serial in serial. */
static void
register_applicant(char *serial, size_t len)
{
	struct sbuf *pem;
	struct cms_cert cc;
	char path[PATH_MAX], why[256] = "";

	ck_assert_ptr_nonnull(pem = sbuf_new());
	in_dir(path, sizeof(path), pki, "applicant.pem");
	ck_assert_int_eq(files_read(path, CMS_MAX_INPUT, pem), 0);
	memset(&cc, 0, sizeof(cc));
	ck_assert_msg(cms_cert_info(sbuf_ptr(pem), sbuf_len(pem), &cc, why,
	    sizeof(why)) == 0, "%s", why);
	(void)add_signatory("ORG-A", cc.der, cc.der_len, cc.serial);
	snprintf(serial, len, "%s", cc.serial);
	cms_cert_clear(&cc);
	sbuf_free(pem);
}

/* Verifies sig against ORG-A's pins now: 0 or the error, why its words. */
static int
verify(const struct sbuf *sig, char *why, size_t whylen)
{
	struct signatory_list l;
	struct cms_pin *pins = NULL;
	struct cms_result res;
	int r;

	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(pins_for(fx, "ORG-A", &l, &pins), 0);
	r = cms_verify(sbuf_ptr(sig), sbuf_len(sig), NULL, 0, pins, l.n,
	    "ORG-A", NOW, &res, why, whylen);
	cms_result_clear(&res);
	free(pins);
	signatory_list_free(&l);
	return r;
}

START_TEST(revoked_signer_named)
{
	struct sbuf *sig;
	char serial[80], why[256] = "", want[256];

	ck_assert_ptr_nonnull(sig = sbuf_new());
	make_signed(sig);
	register_applicant(serial, sizeof(serial));
	ck_assert_int_eq(verify(sig, why, sizeof(why)), 0);
	snprintf(why, sizeof(why), "untouched");
	ck_assert_int_eq(pins_revoked_signer(fx, "ORG-A", sbuf_ptr(sig),
	    sbuf_len(sig), NULL, 0, NOW, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "untouched");

	revoke_signatory("ORG-A", serial, "left the organisation");
	ck_assert_int_eq(verify(sig, why, sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "signer certificate is not registered");
	ck_assert_int_eq(pins_revoked_signer(fx, "ORG-A", sbuf_ptr(sig),
	    sbuf_len(sig), NULL, 0, NOW, why, sizeof(why)), SLUICE_EDENIED);
	snprintf(want, sizeof(want), "signatory certificate %s of ORG-A was "
	    "revoked on 2026-06-01: left the organisation", serial);
	ck_assert_str_eq(why, want);
	/* another owner's pins do not name it */
	snprintf(why, sizeof(why), "untouched");
	ck_assert_int_eq(pins_revoked_signer(fx, "controller", sbuf_ptr(sig),
	    sbuf_len(sig), NULL, 0, NOW, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "untouched");
	sbuf_free(sig);
	ck_assert_int_eq(run((const char *const[]){ "rm", "-rf", pki, NULL }), 0);
}
END_TEST

static Suite *
pins_suite(void)
{
	Suite *s = suite_create("pins");
	TCase *tc = tcase_create("pins");

	tcase_add_checked_fixture(tc, setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, revoked_left_out_in_order);
	tcase_add_test(tc, every_owner);
	tcase_add_test(tc, all_revoked);
	tcase_add_test(tc, revoked_signer_named);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(pins_suite());
}
