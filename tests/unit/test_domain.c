/*
 * test_domain: the names of docs/design.md, every (state, event) pair of the
 * lifecycle, NIC references, names and roles.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/domain.h"
#include "sluice/error.h"
#include "suite_run.h"

START_TEST(state_names)
{
	static const char *const want[AG_STATE_MAX] = {
		"draft", "awaiting-signatures", "signed", "live", "suspended",
		"expired", "closed",
	};
	enum agreement_state s;
	int i;

	for (i = 0; i < AG_STATE_MAX; i++) {
		ck_assert_str_eq(agreement_state_name((enum agreement_state)i), want[i]);
		ck_assert_int_eq(agreement_state_parse(want[i], &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_str_eq(agreement_state_name(AG_STATE_MAX), "unknown");
	ck_assert_int_eq(agreement_state_parse("Live", &s), SLUICE_EINVAL);
	ck_assert_int_eq(agreement_state_parse("", &s), SLUICE_EINVAL);
	ck_assert_int_eq(agreement_state_parse(NULL, &s), SLUICE_EINVAL);
}
END_TEST

START_TEST(event_names)
{
	static const char *const want[EV_MAX] = {
		"document", "signed", "starts", "expires", "suspend", "resume",
		"extend", "certified",
	};
	int i;

	for (i = 0; i < EV_MAX; i++)
		ck_assert_str_eq(agreement_event_name((enum agreement_event)i), want[i]);
	ck_assert_str_eq(agreement_event_name(EV_MAX), "unknown");
}
END_TEST

/* The expected lifecycle, written out independently of domain.c's table:
 * -1 means refused. */
static const int expected[AG_STATE_MAX][EV_MAX] = {
	/*			document	signed		starts	expires		suspend		resume	extend	certified */
	[AG_DRAFT] = {		AG_AWAITING_SIGNATURES, -1,	-1,	-1,		-1,		-1,	-1,	-1 },
	[AG_AWAITING_SIGNATURES] = { -1,	AG_SIGNED,	-1,	-1,		-1,		-1,	-1,	-1 },
	[AG_SIGNED] = {		-1,		-1,		AG_LIVE, AG_EXPIRED,	-1,		-1,	AG_SIGNED, -1 },
	[AG_LIVE] = {		-1,		-1,		-1,	AG_EXPIRED,	AG_SUSPENDED,	-1,	AG_LIVE, -1 },
	[AG_SUSPENDED] = {	-1,		-1,		-1,	AG_EXPIRED,	-1,		AG_LIVE, -1,	-1 },
	[AG_EXPIRED] = {	-1,		-1,		-1,	-1,		-1,		-1,	-1,	AG_CLOSED },
	[AG_CLOSED] = {		-1,		-1,		-1,	-1,		-1,		-1,	-1,	-1 },
};

static const char *const verbs[EV_MAX] = {
	"add a document to", "sign", "start", "expire", "suspend", "resume",
	"extend", "certify deletion for",
};

START_TEST(every_transition)
{
	enum agreement_state from = (enum agreement_state)(_i / EV_MAX), to;
	enum agreement_event ev = (enum agreement_event)(_i % EV_MAX);
	char why[128], want[128];
	int r;

	memset(why, 0, sizeof(why));
	to = AG_STATE_MAX;
	r = agreement_transition(from, ev, &to, why, sizeof(why));
	if (expected[from][ev] >= 0) {
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(to, expected[from][ev]);
		return;
	}
	ck_assert_int_eq(r, SLUICE_ESTATE);
	ck_assert_int_eq(to, AG_STATE_MAX);	/* untouched */
	(void)snprintf(want, sizeof(want), "cannot %s an agreement that is %s",
	    verbs[ev], agreement_state_name(from));
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(transition_reasons_verbatim)
{
	enum agreement_state to;
	char why[128];

	ck_assert_int_eq(agreement_transition(AG_LIVE, EV_RESUME, &to, why,
	    sizeof(why)), SLUICE_ESTATE);
	ck_assert_str_eq(why, "cannot resume an agreement that is live");
	ck_assert_int_eq(agreement_transition(AG_EXPIRED, EV_SUSPEND, &to, why,
	    sizeof(why)), SLUICE_ESTATE);
	ck_assert_str_eq(why, "cannot suspend an agreement that is expired");
	ck_assert_int_eq(agreement_transition(AG_LIVE, EV_CERTIFIED, &to, why,
	    sizeof(why)), SLUICE_ESTATE);
	ck_assert_str_eq(why, "cannot certify deletion for an agreement that is live");
	ck_assert_int_eq(agreement_transition(AG_CLOSED, EV_DOCUMENT, &to, why,
	    sizeof(why)), SLUICE_ESTATE);
	ck_assert_str_eq(why, "cannot add a document to an agreement that is closed");
	ck_assert_int_eq(agreement_transition(AG_STATE_MAX, EV_DOCUMENT, &to, why,
	    sizeof(why)), SLUICE_EINVAL);
	ck_assert_int_eq(agreement_transition(AG_LIVE, EV_MAX, &to, why,
	    sizeof(why)), SLUICE_EINVAL);
	/* A short reason buffer is truncated, never overrun. */
	ck_assert_int_eq(agreement_transition(AG_LIVE, EV_RESUME, &to, why, 7),
	    SLUICE_ESTATE);
	ck_assert_str_eq(why, "cannot");
}
END_TEST

#define NIC_RULE ": a NIC reference is NIC-, six digits, -, five upper-case " \
	"letters or digits (e.g. NIC-123456-A1B2C)"

static void
nic_refused(const char *nic, const char *shown)
{
	char why[192], want[192];

	memset(why, 0, sizeof(why));
	ck_assert_int_eq(nic_check(nic, why, sizeof(why)), SLUICE_EFORMAT);
	(void)snprintf(want, sizeof(want), "%s%s", shown, NIC_RULE);
	ck_assert_str_eq(why, want);
}

START_TEST(nic)
{
	char why[192] = "";

	ck_assert_int_eq(nic_check("NIC-123456-A1B2C", why, sizeof(why)), 0);
	ck_assert_int_eq(nic_check("NIC-000000-00000", why, sizeof(why)), 0);
	ck_assert_int_eq(nic_check("NIC-999999-ZZZZZ", why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	nic_refused("NIC-12-AB", "NIC-12-AB");
	nic_refused("nic-123456-a1b2c", "nic-123456-a1b2c");
	nic_refused("NIC-123456-a1b2c", "NIC-123456-a1b2c");
	nic_refused("NIC-123456-A1B2C ", "NIC-123456-A1B2C ");
	nic_refused(" NIC-123456-A1B2C", " NIC-123456-A1B2C");
	nic_refused("NIC-1234567-A1B2C", "NIC-1234567-A1B2C");
	nic_refused("NIC-123456-A1B2CD", "NIC-123456-A1B2CD");
	nic_refused("NIC-123456_A1B2C", "NIC-123456_A1B2C");
	nic_refused("NIC-12345A-A1B2C", "NIC-12345A-A1B2C");
	nic_refused("NIC-123456-A1B-C", "NIC-123456-A1B-C");
	nic_refused("NIC-123456-A1B2\n", "NIC-123456-A1B2?");
	nic_refused("", "(empty)");
	nic_refused(NULL, "(empty)");
	nic_refused("NIC-123456-A1B2C-and-a-very-long-tail-of-text-here",
	    "NIC-123456-A1B2C-and-a-very-long-tail-of...");
}
END_TEST

START_TEST(names)
{
	char why[128], big[80];

	ck_assert_int_eq(name_check("RX1", 64, why, sizeof(why)), 0);
	ck_assert_int_eq(name_check("dsa-v2.txt", 64, why, sizeof(why)), 0);
	ck_assert_int_eq(name_check("a_b.C-9", 64, why, sizeof(why)), 0);
	ck_assert_int_eq(name_check("", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "a name cannot be empty");
	ck_assert_int_eq(name_check(NULL, 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "a name cannot be empty");
	ck_assert_int_eq(name_check(".hidden", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, ".hidden: a name cannot start with '.' or '-'");
	ck_assert_int_eq(name_check("-rf", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "-rf: a name cannot start with '.' or '-'");
	ck_assert_int_eq(name_check("a/b", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "a/b: a name holds only letters, digits, '.', '_' and '-'");
	ck_assert_int_eq(name_check("..", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_int_eq(name_check("a b", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_int_eq(name_check("caf\xc3\xa9", 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "caf??: a name holds only letters, digits, '.', '_' and '-'");
	memset(big, 'a', sizeof(big));
	big[64] = '\0';
	ck_assert_int_eq(name_check(big, 64, why, sizeof(why)), 0);
	big[64] = 'a';
	big[65] = '\0';
	ck_assert_int_eq(name_check(big, 64, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: a name is at "
	    "most 64 bytes");
	ck_assert_int_eq(name_check("abcd", 3, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "abcd: a name is at most 3 bytes");
}
END_TEST

START_TEST(roles)
{
	char why[128], out[64];
	uint32_t r = 0;

	ck_assert_int_eq(roles_parse("operator", &r, why, sizeof(why)), 0);
	ck_assert_uint_eq(r, ROLE_OPERATOR);
	ck_assert_int_eq(roles_parse("admin,auditor,approver,operator", &r, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(r, ROLE_OPERATOR | ROLE_APPROVER | ROLE_AUDITOR | ROLE_ADMIN);
	ck_assert_int_eq(roles_format(r, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "operator,approver,auditor,admin");
	ck_assert_int_eq(roles_parse("approver,approver", &r, why, sizeof(why)), 0);
	ck_assert_uint_eq(r, ROLE_APPROVER);

	ck_assert_int_eq(roles_parse("root", &r, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "unknown role \"root\" (roles: operator, approver, auditor, admin)");
	ck_assert_int_eq(roles_parse("Operator", &r, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_int_eq(roles_parse("operator, approver", &r, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "unknown role \" approver\" (roles: operator, approver, auditor, admin)");
	ck_assert_int_eq(roles_parse("", &r, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "empty role name (roles: operator, approver, auditor, admin)");
	ck_assert_int_eq(roles_parse("operator,", &r, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "empty role name (roles: operator, approver, auditor, admin)");
	ck_assert_int_eq(roles_parse(",admin", &r, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_int_eq(roles_parse("operator,recipient", &r, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "recipient is not a staff role (roles: operator, approver, auditor, admin)");

	ck_assert_int_eq(roles_format(0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(roles_format(ROLE_RECIPIENT, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "recipient");
	ck_assert_int_eq(roles_format(ROLE_AUDITOR | ROLE_OPERATOR, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "operator,auditor");
	ck_assert_int_eq(roles_format(1u << 9, out, sizeof(out)), SLUICE_EINVAL);
	ck_assert_int_eq(roles_format(ROLE_OPERATOR | ROLE_APPROVER, out, 13),
	    SLUICE_ETOOBIG);
	ck_assert_int_eq(roles_format(ROLE_OPERATOR | ROLE_APPROVER, out, 18), 0);
	ck_assert_str_eq(out, "operator,approver");
}
END_TEST

START_TEST(parties_and_dspt)
{
	static const char *const dspt[] = { "none", "not-met",
	    "approaching-standards", "standards-met", "standards-exceeded" };
	enum dspt_status d;
	enum party p;
	int i;

	ck_assert_str_eq(party_name(PARTY_APPLICANT), "applicant");
	ck_assert_str_eq(party_name(PARTY_CONTROLLER), "controller");
	ck_assert_int_eq(party_parse("controller", &p), 0);
	ck_assert_int_eq(p, PARTY_CONTROLLER);
	ck_assert_int_eq(party_parse("applicant", &p), 0);
	ck_assert_int_eq(p, PARTY_APPLICANT);
	ck_assert_int_eq(party_parse("recipient", &p), SLUICE_EINVAL);
	for (i = 0; i < 5; i++) {
		ck_assert_str_eq(dspt_status_name((enum dspt_status)i), dspt[i]);
		ck_assert_int_eq(dspt_status_parse(dspt[i], &d), 0);
		ck_assert_int_eq(d, i);
	}
	ck_assert_int_eq(dspt_status_parse("met", &d), SLUICE_EINVAL);
	ck_assert_str_eq(dspt_status_name((enum dspt_status)5), "unknown");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("domain");
	TCase *tc = tcase_create("domain");

	tcase_add_test(tc, state_names);
	tcase_add_test(tc, event_names);
	tcase_add_loop_test(tc, every_transition, 0, AG_STATE_MAX * EV_MAX);
	tcase_add_test(tc, transition_reasons_verbatim);
	tcase_add_test(tc, nic);
	tcase_add_test(tc, names);
	tcase_add_test(tc, roles);
	tcase_add_test(tc, parties_and_dspt);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
