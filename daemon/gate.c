/*
 * gate.c: the one rule of docs/design.md section 2, as a pure function.
 *
 * Rules are checked in the order of docs/design.md; the first that fails is the
 * answer, with a one-line reason "rule N (name): fact". Dates are calendar
 * days (UTC): something dated [starts, expires] is in force from 00:00:00 of
 * starts through 23:59:59 of expires.
 */
#include <stdarg.h>
#include <stdio.h>

#include "gate.h"
#include "sluice/clock.h"

const char *
gate_rule_name(enum gate_rule rule)
{
	switch (rule) {
	case GATE_ALLOW:	return "allow";
	case GATE_RECIPIENT:	return "recipient";
	case GATE_CONTRACT:	return "contract";
	case GATE_DSPT:		return "dspt";
	case GATE_SANCTION:	return "sanction";
	case GATE_AGREEMENT:	return "agreement";
	case GATE_RELEASE:	return "release";
	case GATE_POLICY:	return "policy";
	}
	return "unknown";
}

/* Records the failing rule and its reason; returns the rule. */
static enum gate_rule
deny(struct gate_result *r, enum gate_rule rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum gate_rule
deny(struct gate_result *r, enum gate_rule rule, const char *fmt, ...)
{
	char fact[160];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(fact, sizeof(fact), fmt, ap);
	va_end(ap);
	(void)snprintf(r->reason, sizeof(r->reason), "rule %d (%s): %s",
	    (int)rule, gate_rule_name(rule), fact);
	r->rule = rule;
	return rule;
}

static int64_t
day_start(int32_t day)
{
	return (int64_t)day * SLUICE_DAY;
}

static int64_t
day_end(int32_t day)
{
	return (int64_t)day * SLUICE_DAY + SLUICE_DAY - 1;
}

/* A date as text for a reason; out holds 11 bytes. */
static const char *
date_text(int32_t day, char *out, size_t outlen)
{
	if (sluice_date_format(day, out, outlen) != 0)
		(void)snprintf(out, outlen, "?");
	return out;
}

static const char *
time_text(int64_t t, char *out, size_t outlen)
{
	if (sluice_time_format(t, out, outlen) != 0)
		(void)snprintf(out, outlen, "?");
	return out;
}

/* Rule 1: the session's key belongs to an active recipient of the org. */
static enum gate_rule
check_recipient(const struct gate_facts *f, struct gate_result *r)
{
	if (!f->recipient_known)
		return deny(r, GATE_RECIPIENT,
		    "the key does not belong to a registered recipient");
	if (!f->recipient_active)
		return deny(r, GATE_RECIPIENT, "the recipient is not active");
	if (!f->recipient_org_matches)
		return deny(r, GATE_RECIPIENT,
		    "the recipient is not of the agreement's organisation");
	return GATE_ALLOW;
}

/* Rule 2: a Data Sharing Framework Contract in force today. */
static enum gate_rule
check_contract(const struct gate_facts *f, int64_t now, struct gate_result *r)
{
	char today[16], from[16], to[16];

	date_text(sluice_day_of(now), today, sizeof(today));
	if (!f->contract_present)
		return deny(r, GATE_CONTRACT,
		    "no Data Sharing Framework Contract in force on %s", today);
	if (now < day_start(f->contract_starts) || now > day_end(f->contract_expires))
		return deny(r, GATE_CONTRACT,
		    "no Data Sharing Framework Contract in force on %s "
		    "(the contract runs %s to %s)", today,
		    date_text(f->contract_starts, from, sizeof(from)),
		    date_text(f->contract_expires, to, sizeof(to)));
	return GATE_ALLOW;
}

/* Rule 3: DSPT standards met or exceeded and not expired, unless waived. */
static enum gate_rule
check_dspt(const struct gate_facts *f, int64_t now, struct gate_result *r)
{
	char day[16];

	if (f->dspt_waived)
		return GATE_ALLOW;
	if (f->dspt != DSPT_MET && f->dspt != DSPT_EXCEEDED)
		return deny(r, GATE_DSPT,
		    "security assurance (DSPT) is %s, standards-met is required",
		    dspt_status_name(f->dspt));
	if (now > day_end(f->dspt_expires))
		return deny(r, GATE_DSPT,
		    "security assurance (DSPT) expired on %s",
		    date_text(f->dspt_expires, day, sizeof(day)));
	return GATE_ALLOW;
}

/* Rule 4: no overdue deletion certificate. */
static enum gate_rule
check_sanction(const struct gate_facts *f, struct gate_result *r)
{
	if (f->org_sanctioned)
		return deny(r, GATE_SANCTION,
		    "the organisation is sanctioned: a certificate of deletion is overdue");
	return GATE_ALLOW;
}

/* Rule 5, its dates: today is within the agreement's [starts, expires]. */
static enum gate_rule
check_agreement_dates(const struct gate_facts *f, int64_t now,
    struct gate_result *r)
{
	char day[16];

	if (now < day_start(f->starts))
		return deny(r, GATE_AGREEMENT, "the agreement starts on %s",
		    date_text(f->starts, day, sizeof(day)));
	if (now > day_end(f->expires))
		return deny(r, GATE_AGREEMENT, "the agreement expired on %s",
		    date_text(f->expires, day, sizeof(day)));
	return GATE_ALLOW;
}

/* Rule 5: the agreement is live, signed by both parties, within its dates. */
static enum gate_rule
check_agreement(const struct gate_facts *f, int64_t now, struct gate_result *r)
{
	if (f->state != AG_LIVE)
		return deny(r, GATE_AGREEMENT, "the agreement is %s, not live",
		    agreement_state_name(f->state));
	if (!f->applicant_signed)
		return deny(r, GATE_AGREEMENT,
		    "the applicant's signature on the agreement does not verify");
	if (!f->controller_signed)
		return deny(r, GATE_AGREEMENT,
		    "the controller's signature on the agreement does not verify");
	return check_agreement_dates(f, now, r);
}

/* Rule 6: four eyes, and not revoked. */
static enum gate_rule
check_release(const struct gate_facts *f, struct gate_result *r)
{
	if (!f->release_approved)
		return deny(r, GATE_RELEASE, "the release is not approved");
	if (f->approver_id == f->stager_id)
		return deny(r, GATE_RELEASE,
		    "the release was approved by the person who staged it");
	if (f->release_revoked)
		return deny(r, GATE_RELEASE, "the release has been revoked");
	return GATE_ALLOW;
}

/* Rule 7: the download window is [window_opens, window_closes); a zero bound
 * is no bound. max_downloads 0 is unlimited. */
static enum gate_rule
check_policy(const struct gate_facts *f, int64_t now, struct gate_result *r)
{
	char t[32];

	if (f->window_opens != 0 && now < f->window_opens)
		return deny(r, GATE_POLICY, "the download window opens at %s",
		    time_text(f->window_opens, t, sizeof(t)));
	if (f->window_closes != 0 && now >= f->window_closes)
		return deny(r, GATE_POLICY, "the download window closed at %s",
		    time_text(f->window_closes, t, sizeof(t)));
	if (f->max_downloads > 0 && f->downloads >= f->max_downloads)
		return deny(r, GATE_POLICY,
		    "the download limit is reached (%lld of %lld)",
		    (long long)f->downloads, (long long)f->max_downloads);
	return GATE_ALLOW;
}

enum gate_rule
gate_decide(const struct gate_facts *f, int64_t now, struct gate_result *r)
{
	enum gate_rule rule;

	r->rule = GATE_ALLOW;
	(void)snprintf(r->reason, sizeof(r->reason), "allowed");
	if ((rule = check_recipient(f, r)) != GATE_ALLOW ||
	    (rule = check_contract(f, now, r)) != GATE_ALLOW ||
	    (rule = check_dspt(f, now, r)) != GATE_ALLOW ||
	    (rule = check_sanction(f, r)) != GATE_ALLOW ||
	    (rule = check_agreement(f, now, r)) != GATE_ALLOW ||
	    (rule = check_release(f, r)) != GATE_ALLOW ||
	    (rule = check_policy(f, now, r)) != GATE_ALLOW)
		return rule;
	return GATE_ALLOW;
}
