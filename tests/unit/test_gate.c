/*
 * test_gate: every rule of docs/design.md section 2 failing alone, the date
 * boundaries, and the order in which rules are checked.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "sluice/clock.h"
#include "suite_run.h"

static int32_t
day(const char *s)
{
	int32_t d = 0;

	ck_assert_int_eq(sluice_date_parse(s, &d), 0);
	return d;
}

static int64_t
at(const char *s)
{
	int64_t t = 0;

	ck_assert_int_eq(sluice_time_parse(s, &t), 0);
	return t;
}

/* Every rule holds for these facts at NOW. */
#define NOW "2026-06-15T12:00:00Z"

static struct gate_facts
good(void)
{
	struct gate_facts f;

	memset(&f, 0, sizeof(f));
	f.recipient_known = f.recipient_active = f.recipient_org_matches = 1;
	f.contract_present = 1;
	f.contract_starts = day("2025-04-01");
	f.contract_expires = day("2027-03-31");
	f.dspt = DSPT_MET;
	f.dspt_expires = day("2027-06-30");
	f.state = AG_LIVE;
	f.applicant_signed = f.controller_signed = 1;
	f.starts = day("2026-01-01");
	f.expires = day("2026-12-31");
	f.release_approved = 1;
	f.stager_id = 7;
	f.approver_id = 9;
	return f;
}

static void
expect(const struct gate_facts *f, int64_t now, enum gate_rule rule,
    const char *reason)
{
	struct gate_result r;

	memset(&r, 'x', sizeof(r));
	ck_assert_int_eq(gate_decide(f, now, &r), rule);
	ck_assert_int_eq(r.rule, rule);
	ck_assert_str_eq(r.reason, reason);
}

START_TEST(all_hold_allows)
{
	struct gate_facts f = good();

	expect(&f, at(NOW), GATE_ALLOW, "allowed");
	f.dspt = DSPT_EXCEEDED;
	expect(&f, at(NOW), GATE_ALLOW, "allowed");
	f.dspt = DSPT_NOT_MET;
	f.dspt_waived = 1;
	expect(&f, at(NOW), GATE_ALLOW, "allowed");
	f = good();
	f.max_downloads = 3;
	f.downloads = 2;
	f.window_opens = at("2026-06-01T00:00:00Z");
	f.window_closes = at("2026-07-01T00:00:00Z");
	expect(&f, at(NOW), GATE_ALLOW, "allowed");
}
END_TEST

/* One fact broken at a time; each must fail exactly its rule. */
static void no_person(struct gate_facts *f) { f->recipient_known = 0; }
static void inactive(struct gate_facts *f) { f->recipient_active = 0; }
static void other_org(struct gate_facts *f) { f->recipient_org_matches = 0; }
static void no_contract(struct gate_facts *f) { f->contract_present = 0; }
static void contract_later(struct gate_facts *f) { f->contract_starts = day("2026-07-01"); }
static void contract_over(struct gate_facts *f) { f->contract_expires = day("2026-06-14"); }
static void dspt_none(struct gate_facts *f) { f->dspt = DSPT_NONE; }
static void dspt_not_met(struct gate_facts *f) { f->dspt = DSPT_NOT_MET; }
static void dspt_approaching(struct gate_facts *f) { f->dspt = DSPT_APPROACHING; }
static void dspt_expired(struct gate_facts *f) { f->dspt_expires = day("2026-06-14"); }
static void sanctioned(struct gate_facts *f) { f->org_sanctioned = 1; }
static void suspended(struct gate_facts *f) { f->state = AG_SUSPENDED; }
static void expired(struct gate_facts *f) { f->state = AG_EXPIRED; }
static void only_signed(struct gate_facts *f) { f->state = AG_SIGNED; }
static void awaiting(struct gate_facts *f) { f->state = AG_AWAITING_SIGNATURES; }
static void closed(struct gate_facts *f) { f->state = AG_CLOSED; }
static void draft(struct gate_facts *f) { f->state = AG_DRAFT; }
static void no_applicant(struct gate_facts *f) { f->applicant_signed = 0; }
static void no_controller(struct gate_facts *f) { f->controller_signed = 0; }
static void not_started(struct gate_facts *f) { f->starts = day("2026-06-16"); }
static void ended(struct gate_facts *f) { f->expires = day("2026-06-14"); }
static void unapproved(struct gate_facts *f) { f->release_approved = 0; }
static void same_person(struct gate_facts *f) { f->approver_id = f->stager_id; }
static void revoked(struct gate_facts *f) { f->release_revoked = 1; }
static void window_later(struct gate_facts *f) { f->window_opens = at("2026-06-15T12:00:01Z"); }
static void window_over(struct gate_facts *f) { f->window_closes = at("2026-06-15T12:00:00Z"); }
static void count_used(struct gate_facts *f) { f->max_downloads = 2; f->downloads = 2; }
static void count_over(struct gate_facts *f) { f->max_downloads = 1; f->downloads = 5; }

static const struct single {
	void		(*breakit)(struct gate_facts *);
	enum gate_rule	 rule;
	const char	*reason;
} singles[] = {
	{ no_person, GATE_RECIPIENT,
	    "rule 1 (recipient): the key does not belong to a registered recipient" },
	{ inactive, GATE_RECIPIENT,
	    "rule 1 (recipient): the recipient is not active" },
	{ other_org, GATE_RECIPIENT,
	    "rule 1 (recipient): the recipient is not of the agreement's organisation" },
	{ no_contract, GATE_CONTRACT,
	    "rule 2 (contract): no Data Sharing Framework Contract in force on 2026-06-15" },
	{ contract_later, GATE_CONTRACT,
	    "rule 2 (contract): no Data Sharing Framework Contract in force on "
	    "2026-06-15 (the contract runs 2026-07-01 to 2027-03-31)" },
	{ contract_over, GATE_CONTRACT,
	    "rule 2 (contract): no Data Sharing Framework Contract in force on "
	    "2026-06-15 (the contract runs 2025-04-01 to 2026-06-14)" },
	{ dspt_none, GATE_DSPT,
	    "rule 3 (dspt): security assurance (DSPT) is none, standards-met is required" },
	{ dspt_not_met, GATE_DSPT,
	    "rule 3 (dspt): security assurance (DSPT) is not-met, standards-met is required" },
	{ dspt_approaching, GATE_DSPT,
	    "rule 3 (dspt): security assurance (DSPT) is approaching-standards, "
	    "standards-met is required" },
	{ dspt_expired, GATE_DSPT,
	    "rule 3 (dspt): security assurance (DSPT) expired on 2026-06-14" },
	{ sanctioned, GATE_SANCTION,
	    "rule 4 (sanction): the organisation is sanctioned: a certificate of "
	    "deletion is overdue" },
	{ suspended, GATE_AGREEMENT, "rule 5 (agreement): the agreement is suspended, not live" },
	{ expired, GATE_AGREEMENT, "rule 5 (agreement): the agreement is expired, not live" },
	{ only_signed, GATE_AGREEMENT, "rule 5 (agreement): the agreement is signed, not live" },
	{ awaiting, GATE_AGREEMENT,
	    "rule 5 (agreement): the agreement is awaiting-signatures, not live" },
	{ closed, GATE_AGREEMENT, "rule 5 (agreement): the agreement is closed, not live" },
	{ draft, GATE_AGREEMENT, "rule 5 (agreement): the agreement is draft, not live" },
	{ no_applicant, GATE_AGREEMENT,
	    "rule 5 (agreement): the applicant's signature on the agreement does not verify" },
	{ no_controller, GATE_AGREEMENT,
	    "rule 5 (agreement): the controller's signature on the agreement does not verify" },
	{ not_started, GATE_AGREEMENT, "rule 5 (agreement): the agreement starts on 2026-06-16" },
	{ ended, GATE_AGREEMENT, "rule 5 (agreement): the agreement expired on 2026-06-14" },
	{ unapproved, GATE_RELEASE, "rule 6 (release): the release is not approved" },
	{ same_person, GATE_RELEASE,
	    "rule 6 (release): the release was approved by the person who staged it" },
	{ revoked, GATE_RELEASE, "rule 6 (release): the release has been revoked" },
	{ window_later, GATE_POLICY,
	    "rule 7 (policy): the download window opens at 2026-06-15T12:00:01Z" },
	{ window_over, GATE_POLICY,
	    "rule 7 (policy): the download window closed at 2026-06-15T12:00:00Z" },
	{ count_used, GATE_POLICY, "rule 7 (policy): the download limit is reached (2 of 2)" },
	{ count_over, GATE_POLICY, "rule 7 (policy): the download limit is reached (5 of 1)" },
};

START_TEST(each_rule_fails_alone)
{
	struct gate_facts f = good();

	singles[_i].breakit(&f);
	expect(&f, at(NOW), singles[_i].rule, singles[_i].reason);
}
END_TEST

START_TEST(agreement_date_boundaries)
{
	struct gate_facts f = good();

	expect(&f, at("2026-01-01T00:00:00Z"), GATE_ALLOW, "allowed");
	expect(&f, at("2025-12-31T23:59:59Z"), GATE_AGREEMENT,
	    "rule 5 (agreement): the agreement starts on 2026-01-01");
	expect(&f, at("2026-12-31T23:59:59Z"), GATE_ALLOW, "allowed");
	expect(&f, at("2027-01-01T00:00:00Z"), GATE_AGREEMENT,
	    "rule 5 (agreement): the agreement expired on 2026-12-31");
}
END_TEST

START_TEST(leap_day_expiry)
{
	struct gate_facts f = good();

	f.starts = day("2028-01-01");
	f.expires = day("2028-02-29");
	f.contract_expires = day("2029-03-31");
	f.dspt_expires = day("2029-03-31");
	expect(&f, at("2028-02-29T23:59:59Z"), GATE_ALLOW, "allowed");
	expect(&f, at("2028-03-01T00:00:00Z"), GATE_AGREEMENT,
	    "rule 5 (agreement): the agreement expired on 2028-02-29");
}
END_TEST

START_TEST(signatures_incomplete)
{
	struct gate_facts f = good();

	/* The controller has not signed yet: the stored state would still be
	 * awaiting-signatures, but the facts alone must deny. */
	f.controller_signed = 0;
	expect(&f, at(NOW) - 1, GATE_AGREEMENT,
	    "rule 5 (agreement): the controller's signature on the agreement "
	    "does not verify");
	f.controller_signed = 1;
	expect(&f, at(NOW), GATE_ALLOW, "allowed");
}
END_TEST

START_TEST(contract_and_dspt_boundaries)
{
	struct gate_facts f = good();

	f.contract_starts = day("2026-06-15");
	expect(&f, at("2026-06-15T00:00:00Z"), GATE_ALLOW, "allowed");
	expect(&f, at("2026-06-14T23:59:59Z"), GATE_CONTRACT,
	    "rule 2 (contract): no Data Sharing Framework Contract in force on "
	    "2026-06-14 (the contract runs 2026-06-15 to 2027-03-31)");
	f = good();
	f.expires = day("2028-12-31");
	expect(&f, at("2027-03-31T23:59:59Z"), GATE_ALLOW, "allowed");
	expect(&f, at("2027-04-01T00:00:00Z"), GATE_CONTRACT,
	    "rule 2 (contract): no Data Sharing Framework Contract in force on "
	    "2027-04-01 (the contract runs 2025-04-01 to 2027-03-31)");
	f.contract_expires = day("2028-12-31");
	expect(&f, at("2027-06-30T23:59:59Z"), GATE_ALLOW, "allowed");
	expect(&f, at("2027-07-01T00:00:00Z"), GATE_DSPT,
	    "rule 3 (dspt): security assurance (DSPT) expired on 2027-06-30");
}
END_TEST

START_TEST(window_boundaries)
{
	struct gate_facts f = good();

	f.window_opens = at("2026-06-15T12:00:00Z");
	f.window_closes = at("2026-06-15T13:00:00Z");
	expect(&f, f.window_opens, GATE_ALLOW, "allowed");
	expect(&f, f.window_opens - 1, GATE_POLICY,
	    "rule 7 (policy): the download window opens at 2026-06-15T12:00:00Z");
	expect(&f, f.window_closes - 1, GATE_ALLOW, "allowed");
	expect(&f, f.window_closes, GATE_POLICY,
	    "rule 7 (policy): the download window closed at 2026-06-15T13:00:00Z");
}
END_TEST

START_TEST(rule_order)
{
	struct gate_facts f;
	int lo, hi;

	/* For every pair of rules broken together, the lower one is reported. */
	for (lo = 0; lo < (int)(sizeof(singles) / sizeof(singles[0])); lo++) {
		for (hi = 0; hi < (int)(sizeof(singles) / sizeof(singles[0])); hi++) {
			if (singles[lo].rule >= singles[hi].rule)
				continue;
			f = good();
			singles[lo].breakit(&f);
			singles[hi].breakit(&f);
			expect(&f, at(NOW), singles[lo].rule, singles[lo].reason);
		}
	}
}
END_TEST

START_TEST(rule_names)
{
	ck_assert_str_eq(gate_rule_name(GATE_ALLOW), "allow");
	ck_assert_str_eq(gate_rule_name(GATE_RECIPIENT), "recipient");
	ck_assert_str_eq(gate_rule_name(GATE_CONTRACT), "contract");
	ck_assert_str_eq(gate_rule_name(GATE_DSPT), "dspt");
	ck_assert_str_eq(gate_rule_name(GATE_SANCTION), "sanction");
	ck_assert_str_eq(gate_rule_name(GATE_AGREEMENT), "agreement");
	ck_assert_str_eq(gate_rule_name(GATE_RELEASE), "release");
	ck_assert_str_eq(gate_rule_name(GATE_POLICY), "policy");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("gate");

	tcase_add_test(tc, all_hold_allows);
	tcase_add_loop_test(tc, each_rule_fails_alone, 0,
	    (int)(sizeof(singles) / sizeof(singles[0])));
	tcase_add_test(tc, agreement_date_boundaries);
	tcase_add_test(tc, leap_day_expiry);
	tcase_add_test(tc, signatures_incomplete);
	tcase_add_test(tc, contract_and_dspt_boundaries);
	tcase_add_test(tc, window_boundaries);
	tcase_add_test(tc, rule_order);
	tcase_add_test(tc, rule_names);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
