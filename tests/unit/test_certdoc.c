/*
 * test_certdoc.c: the certificate of deletion text: a good parse, every
 * refusal with its exact reason, and format/parse round trips.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/certdoc.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "suite_run.h"

#define L_MAGIC	"Sluice-Deletion-Certificate: 1\n"
#define L_AG	"Agreement: NIC-123456-A1B2C\n"
#define L_ORG	"Organisation: ORG-A\n"
#define L_DS	"Datasets: HES Admitted Patient Care, Civil Registration (Deaths)\n"
#define L_DATE	"Destroyed-On: 2027-04-30\n"
#define L_METH	"Method: secure erase (NIST 800-88 purge) \xe2\x80\x93 all volumes\n"
#define L_COP	"Copies: the one working copy on the TRE; no other copies were made\n"
#define L_SIG	"Signatory: Alice Applicant, Data Protection Officer\n"
#define GOOD	L_MAGIC L_AG L_ORG L_DS L_DATE L_METH L_COP L_SIG

static int
parse_str(const char *text, struct certdoc *d, char *why, size_t whylen)
{
	return certdoc_parse((const uint8_t *)text, strlen(text), d, why, whylen);
}

static void
expect_refused(const char *text, size_t len, int r, const char *reason)
{
	struct certdoc d;
	char why[256] = "";

	ck_assert_int_eq(certdoc_parse((const uint8_t *)text, len, &d, why, sizeof(why)), r);
	ck_assert_str_eq(why, reason);
	ck_assert_ptr_null(d.datasets);
	ck_assert_ptr_null(d.method);
	ck_assert_ptr_null(d.copies);
	ck_assert_ptr_null(d.signatory);
	ck_assert_str_eq(d.agreement, "");
}

static void
expect_str(const char *text, const char *reason)
{
	expect_refused(text, strlen(text), SLUICE_EFORMAT, reason);
}

START_TEST(good_parse)
{
	struct certdoc d;
	char why[256] = "";
	int32_t day;

	ck_assert_int_eq(parse_str(GOOD, &d, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_str_eq(d.agreement, "NIC-123456-A1B2C");
	ck_assert_str_eq(d.organisation, "ORG-A");
	ck_assert_str_eq(d.datasets, "HES Admitted Patient Care, Civil Registration (Deaths)");
	ck_assert_int_eq(sluice_date_parse("2027-04-30", &day), 0);
	ck_assert_int_eq(d.destroyed_on, day);
	ck_assert_str_eq(d.method, "secure erase (NIST 800-88 purge) \xe2\x80\x93 all volumes");
	ck_assert_str_eq(d.copies, "the one working copy on the TRE; no other copies were made");
	ck_assert_str_eq(d.signatory, "Alice Applicant, Data Protection Officer");
	certdoc_clear(&d);
	ck_assert_ptr_null(d.method);
	certdoc_clear(NULL);
}
END_TEST

START_TEST(line_end_variants_accepted)
{
	static const char crlf[] = "Sluice-Deletion-Certificate: 1\r\nAgreement: NIC-123456-A1B2C\r\n"
	    "Organisation: ORG-A\r\nDatasets: HES\r\nDestroyed-On: 2027-04-30\r\nMethod: erase\r\n"
	    "Copies: none\r\nSignatory: A B, DPO\r\n";
	/* No final line end, and the keys in another order. */
	static const char unordered[] = L_MAGIC L_SIG L_COP L_METH L_DATE L_DS L_ORG
	    "Agreement: NIC-123456-A1B2C";
	struct certdoc d;
	char why[256] = "";

	ck_assert_int_eq(parse_str(crlf, &d, why, sizeof(why)), 0);
	ck_assert_str_eq(d.copies, "none");
	ck_assert_str_eq(d.signatory, "A B, DPO");
	certdoc_clear(&d);
	ck_assert_int_eq(parse_str(unordered, &d, why, sizeof(why)), 0);
	ck_assert_str_eq(d.agreement, "NIC-123456-A1B2C");
	certdoc_clear(&d);
}
END_TEST

START_TEST(whole_text_refusals)
{
	char *big;

	expect_str("", "certificate of deletion is empty");
	expect_refused(NULL, 0, SLUICE_EFORMAT, "certificate of deletion is empty");
	expect_refused(L_MAGIC "Agreement: NIC\0-123456-A1B2C\n", sizeof(L_MAGIC) + 25,
	    SLUICE_EFORMAT, "certificate of deletion contains a NUL byte");
	expect_str("\xef\xbb\xbf" GOOD, "certificate of deletion starts with a byte order mark");
	ck_assert_ptr_nonnull(big = malloc(CERTDOC_MAX + 1));
	memset(big, 'a', CERTDOC_MAX + 1);
	expect_refused(big, CERTDOC_MAX + 1, SLUICE_ETOOBIG,
	    "certificate of deletion is larger than 64 KiB");
	free(big);
}
END_TEST

START_TEST(utf8_and_control_refusals)
{
	/* Overlong '/', a lone continuation byte, a surrogate, above U+10FFFF,
	 * a truncated sequence at the end of a line. */
	expect_str(L_MAGIC L_AG L_ORG "Datasets: a\xc0\xaf" "b\n", "certificate of deletion is not valid UTF-8 (line 4)");
	expect_str(L_MAGIC L_AG "Organisation: \x80\n", "certificate of deletion is not valid UTF-8 (line 3)");
	expect_str(L_MAGIC "Method: \xed\xa0\x80\n", "certificate of deletion is not valid UTF-8 (line 2)");
	expect_str(L_MAGIC "Method: \xf4\x90\x80\x80\n", "certificate of deletion is not valid UTF-8 (line 2)");
	expect_str(L_MAGIC "Method: abc\xe2\x80\n", "certificate of deletion is not valid UTF-8 (line 2)");
	expect_str(L_MAGIC "Method: a\tb\n", "line 2 contains a control character");
	expect_str(L_MAGIC "Method: a\x7f" "b\n", "line 2 contains a control character");
	expect_str(L_MAGIC "Method: a\xc2\x85" "b\n", "line 2 contains a control character");
}
END_TEST

START_TEST(line_end_refusals)
{
	expect_str(L_MAGIC "Method: a\rb\n", "line 2 ends in a lone CR");
	expect_str(L_MAGIC "Method: ab\r", "line 2 ends in a lone CR");
	expect_str("Sluice-Deletion-Certificate: 1\r\n" L_AG, "certificate of deletion mixes CRLF and LF line ends");
	expect_str(L_MAGIC "\n" L_AG, "line 2 is empty");
	expect_str(GOOD "\n", "line 9 is empty");
	expect_str("\n" GOOD, "line 1 is empty");
}
END_TEST

START_TEST(key_refusals)
{
	expect_str("Sluice-Deletion-Certificate 1\n", "line 1 is not a 'Key: value' line");
	expect_str(L_MAGIC "Agreement:NIC-123456-A1B2C\n", "line 2 is not a 'Key: value' line");
	expect_str(L_MAGIC ": value\n", "line 2 is not a 'Key: value' line");
	expect_str(L_AG L_MAGIC, "line 1 must be 'Sluice-Deletion-Certificate: 1'");
	expect_str("Sluice-Deletion-Certificate: 2\n", "line 1: unsupported certificate of deletion version '2'");
	expect_str(L_MAGIC "agreement: NIC-123456-A1B2C\n", "line 2: unknown key 'agreement'");
	expect_str(L_MAGIC " Agreement: NIC-123456-A1B2C\n", "line 2: unknown key ' Agreement'");
	expect_str(L_MAGIC "Comment-With-A-Very-Long-Name-That-Goes-On-And-On: x\n",
	    "line 2: unknown key 'Comment-With-A-Very-Long-Name-That-Goes-'");
	expect_str(L_MAGIC L_AG L_ORG L_AG, "line 4: duplicate key 'Agreement'");
	expect_str(L_MAGIC L_MAGIC, "line 2: duplicate key 'Sluice-Deletion-Certificate'");
	expect_str(L_MAGIC L_AG L_ORG L_DS L_DATE L_METH L_COP, "missing key 'Signatory'");
	expect_str(L_MAGIC L_SIG L_COP L_METH L_DATE L_DS L_ORG, "missing key 'Agreement'");
	expect_str(L_MAGIC, "missing key 'Agreement'");
}
END_TEST

START_TEST(value_refusals)
{
	expect_str(L_MAGIC "Method:\n", "line 2: empty value for 'Method'");
	expect_str(L_MAGIC "Method: \n", "line 2: empty value for 'Method'");
	expect_str(L_MAGIC "Method:  erase\n", "line 2: value of 'Method' has leading or trailing spaces");
	expect_str(L_MAGIC "Method: erase \n", "line 2: value of 'Method' has leading or trailing spaces");
	expect_str(L_MAGIC "Agreement: NIC-12345-A1B2C\n",
	    "line 2: bad Agreement 'NIC-12345-A1B2C' (expected a NIC like NIC-123456-A1B2C)");
	expect_str(L_MAGIC "Agreement: NIC-123456-a1b2c\n",
	    "line 2: bad Agreement 'NIC-123456-a1b2c' (expected a NIC like NIC-123456-A1B2C)");
	expect_str(L_MAGIC "Agreement: NIC-123456-A1B2C-X\n",
	    "line 2: bad Agreement 'NIC-123456-A1B2C-X' (expected a NIC like NIC-123456-A1B2C)");
	expect_str(L_MAGIC "Organisation: ORG A\n",
	    "line 2: bad Organisation 'ORG A' (expected an organisation code)");
	expect_str(L_MAGIC "Organisation: -ORG\n",
	    "line 2: bad Organisation '-ORG' (expected an organisation code)");
	expect_str(L_MAGIC "Organisation: "
	    "A" "1234567890123456789012345678901234567890123456789012345678901234\n",
	    "line 2: bad Organisation 'A123456789012345678901234567890123456789' (expected an organisation code)");
	expect_str(L_MAGIC "Destroyed-On: 2027-02-30\n",
	    "line 2: bad Destroyed-On date '2027-02-30' (expected YYYY-MM-DD)");
	expect_str(L_MAGIC "Destroyed-On: 30/04/2027\n",
	    "line 2: bad Destroyed-On date '30/04/2027' (expected YYYY-MM-DD)");
	expect_str(L_MAGIC "Destroyed-On: 2027-04-30T00:00:00Z\n",
	    "line 2: bad Destroyed-On date '2027-04-30T00:00:00Z' (expected YYYY-MM-DD)");
	expect_str(L_MAGIC "Signatory: Alice Applicant\n",
	    "line 2: Signatory must be '<name>, <role>'");
	expect_str(L_MAGIC "Signatory: , DPO\n", "line 2: Signatory must be '<name>, <role>'");
	expect_str(L_MAGIC "Signatory: Alice,DPO\n", "line 2: Signatory must be '<name>, <role>'");
	/* A quoted value is cut on a UTF-8 boundary: 39 'x' then a 2-byte é. */
	expect_str(L_MAGIC "Destroyed-On: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9\n",
	    "line 2: bad Destroyed-On date 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' (expected YYYY-MM-DD)");
}
END_TEST

START_TEST(format_is_canonical_and_round_trips)
{
	static const char *const texts[] = {
		GOOD,
		L_MAGIC L_SIG L_COP L_METH L_DATE L_DS L_ORG "Agreement: NIC-123456-A1B2C",
		"Sluice-Deletion-Certificate: 1\r\nAgreement: NIC-000000-00000\r\n"
		"Organisation: a.b_c-d\r\nDatasets: x\r\nDestroyed-On: 1970-01-01\r\nMethod: y\r\n"
		"Copies: z\r\nSignatory: \xe5\xbc\xa0\xe4\xbc\x9f, \xe4\xb8\xbb\xe4\xbb\xbb\r\n",
	};
	struct certdoc a, b;
	char why[256] = "", *text;
	size_t i, len;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(parse_str(texts[i], &a, why, sizeof(why)), 0);
		ck_assert_int_eq(certdoc_format(&a, &text, &len, why, sizeof(why)), 0);
		ck_assert_uint_eq(len, strlen(text));
		if (i == 0)
			ck_assert_str_eq(text, GOOD);
		ck_assert_int_eq(certdoc_parse((const uint8_t *)text, len, &b, why, sizeof(why)), 0);
		ck_assert_str_eq(a.agreement, b.agreement);
		ck_assert_str_eq(a.organisation, b.organisation);
		ck_assert_str_eq(a.datasets, b.datasets);
		ck_assert_int_eq(a.destroyed_on, b.destroyed_on);
		ck_assert_str_eq(a.method, b.method);
		ck_assert_str_eq(a.copies, b.copies);
		ck_assert_str_eq(a.signatory, b.signatory);
		free(text);
		certdoc_clear(&a);
		certdoc_clear(&b);
	}
}
END_TEST

static void
expect_format_refused(struct certdoc *d, int r, const char *reason)
{
	char why[256] = "", *text = (char *)1;
	size_t len = 1;

	ck_assert_int_eq(certdoc_format(d, &text, &len, why, sizeof(why)), r);
	ck_assert_str_eq(why, reason);
	ck_assert_ptr_null(text);
	ck_assert_uint_eq(len, 0);
}

START_TEST(format_refusals)
{
	struct certdoc d;
	char why[256] = "", *saved, *big;

	ck_assert_int_eq(parse_str(GOOD, &d, why, sizeof(why)), 0);
	saved = d.method;
	d.method = "two\nlines";
	expect_format_refused(&d, SLUICE_EFORMAT, "value of 'Method' contains a control character");
	d.method = "\xff";
	expect_format_refused(&d, SLUICE_EFORMAT, "value of 'Method' is not valid UTF-8");
	d.method = "";
	expect_format_refused(&d, SLUICE_EFORMAT, "empty value for 'Method'");
	d.method = NULL;
	expect_format_refused(&d, SLUICE_EFORMAT, "empty value for 'Method'");
	d.method = " x";
	expect_format_refused(&d, SLUICE_EFORMAT, "value of 'Method' has leading or trailing spaces");
	d.method = saved;
	memcpy(d.agreement, "NIC-1", 6);
	expect_format_refused(&d, SLUICE_EFORMAT,
	    "bad Agreement 'NIC-1' (expected a NIC like NIC-123456-A1B2C)");
	memcpy(d.agreement, "NIC-123456-A1B2C", 17);
	d.destroyed_on = -1;
	expect_format_refused(&d, SLUICE_EFORMAT, "bad Destroyed-On date (expected YYYY-MM-DD)");
	d.destroyed_on = INT32_MAX;
	expect_format_refused(&d, SLUICE_EFORMAT, "bad Destroyed-On date (expected YYYY-MM-DD)");
	d.destroyed_on = 0;
	saved = d.copies;
	ck_assert_ptr_nonnull(big = malloc(CERTDOC_MAX));
	memset(big, 'c', CERTDOC_MAX - 1);
	big[CERTDOC_MAX - 1] = '\0';
	d.copies = big;
	expect_format_refused(&d, SLUICE_ETOOBIG, "certificate of deletion is larger than 64 KiB");
	d.copies = saved;
	free(big);
	certdoc_clear(&d);
}
END_TEST

START_TEST(check_against_agreement)
{
	struct certdoc d;
	char why[256] = "";
	int32_t day;

	ck_assert_int_eq(parse_str(GOOD, &d, why, sizeof(why)), 0);
	ck_assert_int_eq(sluice_date_parse("2027-04-30", &day), 0);
	ck_assert_int_eq(certdoc_check(&d, "NIC-123456-A1B2C", "ORG-A", day, why, sizeof(why)), 0);
	ck_assert_int_eq(certdoc_check(&d, "NIC-654321-A1B2C", "ORG-A", day, why, sizeof(why)),
	    SLUICE_EDENIED);
	ck_assert_str_eq(why, "certificate of deletion is for NIC-123456-A1B2C, not NIC-654321-A1B2C");
	ck_assert_int_eq(certdoc_check(&d, "NIC-123456-A1B2C", "ORG-B", day, why, sizeof(why)),
	    SLUICE_EDENIED);
	ck_assert_str_eq(why, "certificate of deletion is from ORG-A, not ORG-B");
	ck_assert_int_eq(certdoc_check(&d, "NIC-123456-A1B2C", "ORG-A", day - 1, why, sizeof(why)),
	    SLUICE_EDENIED);
	ck_assert_str_eq(why,
	    "certificate of deletion says data was destroyed on 2027-04-30, which is in the future");
	certdoc_clear(&d);
}
END_TEST

static Suite *
certdoc_suite(void)
{
	Suite *s = suite_create("certdoc");
	TCase *tc = tcase_create("certdoc");

	tcase_add_test(tc, good_parse);
	tcase_add_test(tc, line_end_variants_accepted);
	tcase_add_test(tc, whole_text_refusals);
	tcase_add_test(tc, utf8_and_control_refusals);
	tcase_add_test(tc, line_end_refusals);
	tcase_add_test(tc, key_refusals);
	tcase_add_test(tc, value_refusals);
	tcase_add_test(tc, format_is_canonical_and_round_trips);
	tcase_add_test(tc, format_refusals);
	tcase_add_test(tc, check_against_agreement);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(certdoc_suite());
}
