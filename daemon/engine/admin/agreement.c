/* agreement.c: agreements - add, sign, extend, list, suspend, resume,
 * terminate (docs/design.md sections 3 and 6; agreement show is in
 * agreement_show.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"
#include "engine/pins.h"

#define FREE_TEXT_MAX	4096	/* title, purpose, legal basis, datasets */

/* "A,B": non-empty items, no blanks around them (s is not empty). */
static int
datasets_ok(const char *s)
{
	size_t n = strlen(s);

	return !(s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,") != NULL ||
	    strstr(s, ", ") != NULL || strstr(s, " ,") != NULL ||
	    s[0] == ' ' || s[n - 1] == ' ');
}

static int
check_datasets(struct admin_call *c, const char *s)
{
	int r;

	if ((r = admin_check_text(c, "--datasets", s, FREE_TEXT_MAX)) != 0)
		return r;
	if (!datasets_ok(s))
		return admin_fail(c, SLUICE_EINVAL, "bad --datasets '%.64s': "
		    "expected names separated by commas, e.g. HES-APC,MHSDS",
		    s);
	return 0;
}

static int
check_agreement_text(struct admin_call *c)
{
	int r;

	if ((r = admin_check_text(c, "--title", admin_opt(c, "title"),
	    FREE_TEXT_MAX)) != 0 || (r = admin_check_text(c, "--purpose",
	    admin_opt(c, "purpose"), FREE_TEXT_MAX)) != 0 ||
	    (r = admin_check_text(c, "--legal-basis",
	    admin_opt(c, "legal-basis"), FREE_TEXT_MAX)) != 0)
		return r;
	return check_datasets(c, admin_opt(c, "datasets"));
}

/* No agreement nic is registered yet. */
static int
check_new(struct admin_call *c, const char *nic)
{
	struct agreement old;
	int r;

	memset(&old, 0, sizeof(old));
	if ((r = agreement_get(c->ctx->store, nic, 0, &old)) == 0) {
		agreement_clear(&old);
		return admin_fail(c, SLUICE_EEXIST, "agreement %s exists "
		    "already", nic);
	}
	if (r != SLUICE_ENOTFOUND)
		return admin_fail(c, r, "store failure reading agreement");
	return 0;
}

/* Version 1 as the options describe it (borrowing their texts). */
static void
agreement_of_args(struct admin_call *c, const struct org *o,
    struct agreement *a)
{
	(void)snprintf(a->nic, sizeof(a->nic), "%s", c->args[0]);
	(void)snprintf(a->org, sizeof(a->org), "%s", o->code);
	a->org_id = o->id;
	a->title = (char *)(uintptr_t)admin_opt(c, "title");
	a->purpose = (char *)(uintptr_t)admin_opt(c, "purpose");
	a->legal_basis = (char *)(uintptr_t)admin_opt(c, "legal-basis");
	a->datasets = (char *)(uintptr_t)admin_opt(c, "datasets");
	a->created_by = c->ctx->staff_id;
}

/* The agreement document: the inbox file --document, read whole. */
static int
read_document(struct admin_call *c, uint8_t **doc, size_t *len)
{
	return admin_inbox_read(c, admin_opt(c, "document"), ADMIN_INBOX_MAX,
	    doc, len);
}

static int
store_agreement(struct admin_call *c, const struct agreement *a)
{
	int64_t id;
	char why[256] = "";
	int r;

	if ((r = agreement_add(c->ctx->store, a, &id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot add agreement %s",
		    a->nic);
	return admin_answer(c, json_pack("{s:s,s:i,s:s,s:s}", "nic", a->nic,
	    "version", 1, "org", a->org, "state",
	    agreement_state_name(AG_AWAITING_SIGNATURES)), "agreement %s "
	    "version 1 added for %s: awaiting-signatures", a->nic, a->org);
}

int
cmd_agreement_add(struct admin_call *c)
{
	struct agreement a;
	struct org o;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = admin_check_nic(c, c->args[0])) != 0 ||
	    (r = admin_known_org(c, admin_opt(c, "org"), &o)) != 0 ||
	    (r = check_agreement_text(c)) != 0 ||
	    (r = admin_opt_period(c, &a.starts, &a.expires)) != 0 ||
	    (r = check_new(c, c->args[0])) != 0)
		return r;
	agreement_of_args(c, &o, &a);
	if ((r = read_document(c, &a.document, &a.document_len)) == 0)
		r = store_agreement(c, &a);
	free(a.document);
	return r;
}

/* Whether version a may take event ev; *to = the state it would reach. */
static int
transition(struct admin_call *c, const struct agreement *a,
    enum agreement_event ev, enum agreement_state *to)
{
	char why[160];

	if (agreement_transition(a->state, ev, to, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_ESTATE, "agreement %s: %s",
		    a->nic, why);
	return 0;
}

/* Moves version a along ev, checked by the one transition table. */
static int
move(struct admin_call *c, struct agreement *a, enum agreement_event ev)
{
	enum agreement_state to;
	int r;

	if ((r = transition(c, a, ev, &to)) != 0)
		return r;
	if ((r = agreement_set_state(c->ctx->store, a->id, to)) != 0)
		return admin_fail(c, r, "store failure changing state");
	a->state = to;
	return 0;
}

/* A suspension of the version a replaces carries over to a. */
static int
carry_suspension(struct admin_call *c, struct agreement *a)
{
	struct agreement prev;
	int64_t sid;
	int r = 0;

	memset(&prev, 0, sizeof(prev));
	if (a->version < 2 || agreement_get(c->ctx->store, a->nic,
	    a->version - 1, &prev) != 0)
		return 0;
	if (prev.state == AG_SUSPENDED && (r = move(c, a, EV_SUSPEND)) == 0 &&
	    (r = suspension_add(c->ctx->store, a->id, "carried over from the "
	    "previous version", c->ctx->staff_id, &sid)) != 0)
		r = admin_fail(c, r, "store failure suspending");
	agreement_clear(&prev);
	return r;
}

/* Both parties have signed version a: signed, then on by the calendar. */
static int
both_signed(struct admin_call *c, struct agreement *a)
{
	int32_t today = admin_today(c);
	int r;

	if ((r = move(c, a, EV_SIGNED)) != 0)
		return r;
	if (today > a->expires)
		return move(c, a, EV_EXPIRES);
	if (today < a->starts)
		return 0;
	if ((r = move(c, a, EV_STARTS)) != 0)
		return r;
	return carry_suspension(c, a);
}

/* Verifies sig over a's document against every pinned signatory, requiring
 * the party's owner; fills res and the matching signatory id. */
static int
verify_signature(struct admin_call *c, const struct agreement *a,
    enum party party, const uint8_t *sig, size_t len, struct cms_result *res,
    int64_t *signatory_id)
{
	struct signatory_list l = { NULL, 0 };
	struct cms_pin *pins = NULL;
	const char *owner = party == PARTY_APPLICANT ? a->org :
	    CMS_OWNER_CONTROLLER;
	char why[256];
	int r;

	if ((r = signatory_list(c->ctx->store, NULL, &l)) != 0)
		return admin_fail(c, r, "store failure listing signatories");
	if ((r = pins_of(&l, &pins)) != 0)
		r = admin_fail(c, r, "out of memory");
	else if (cms_verify(sig, len, a->document, a->document_len, pins, l.n,
	    owner, c->ctx->now, res, why, sizeof(why)) != 0)
		r = admin_fail(c, SLUICE_EVERIFY, "%s signature refused: %s",
		    party_name(party), why);
	else
		*signatory_id = l.v[res->pin].id;
	free(pins);
	signatory_list_free(&l);
	return r;
}

static int
record_signature(struct admin_call *c, const struct agreement *a,
    enum party party, const uint8_t *sig, size_t len, int64_t signatory_id,
    int64_t signing_time)
{
	struct agreement_sig g;
	int64_t id;
	char why[256] = "";
	int r;

	memset(&g, 0, sizeof(g));
	g.agreement_id = a->id;
	g.party = party;
	g.cms = (uint8_t *)(uintptr_t)sig;
	g.cms_len = len;
	g.signatory_id = signatory_id;
	g.signing_time = signing_time;
	g.uploaded_by = c->ctx->staff_id;
	g.verified_at = c->ctx->now;
	if ((r = signature_add(c->ctx->store, &g, &id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "the %s has signed %s version %d already",
		    party_name(party), a->nic, a->version);
	return 0;
}

/* The signature in the inbox file --signature: verified, then recorded. */
static int
take_signature(struct admin_call *c, const struct agreement *a,
    enum party party, struct cms_result *res)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int64_t signatory_id = 0;
	int r;

	if ((r = admin_inbox_read(c, admin_opt(c, "signature"),
	    ADMIN_INBOX_MAX, &sig, &len)) == 0 &&
	    (r = verify_signature(c, a, party, sig, len, res,
	    &signatory_id)) == 0)
		r = record_signature(c, a, party, sig, len, signatory_id,
		    res->signing_time);
	free(sig);
	return r;
}

/* Whether the other party has signed version a already. */
static int
other_signed(struct admin_call *c, const struct agreement *a,
    enum party party, int *yes)
{
	struct agreement_sig other;
	int r;

	memset(&other, 0, sizeof(other));
	r = signature_get(c->ctx->store, a->id, party == PARTY_APPLICANT ?
	    PARTY_CONTROLLER : PARTY_APPLICANT, &other);
	agreement_sig_clear(&other);
	if (r != 0 && r != SLUICE_ENOTFOUND)
		return admin_fail(c, r, "store failure reading signatures");
	*yes = r == 0;
	return 0;
}

static int
sign_answer(struct admin_call *c, const struct agreement *a, enum party party,
    const struct cms_result *res, int other_signed)
{
	char t[21];

	admin_time(res->signing_time, t);
	return admin_answer(c, json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "nic", a->nic, "version", a->version, "party", party_name(party),
	    "subject", res->subject, "issuer", res->issuer, "serial",
	    res->serial, "signing_time", t, "state",
	    agreement_state_name(a->state)), "%s signature on %s version %d "
	    "verified: %.300s (serial %s)%s%s; state %s%s", party_name(party),
	    a->nic, a->version, res->subject, res->serial, t[0] ? ", signed " :
	    "", t, agreement_state_name(a->state), other_signed ? "" :
	    party == PARTY_APPLICANT ? "; awaiting the controller" :
	    "; awaiting the applicant");
}

static int
party_opt(struct admin_call *c, enum party *party)
{
	if (party_parse(admin_opt(c, "party"), party) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --party '%.32s': "
		    "expected applicant or controller", admin_opt(c, "party"));
	return 0;
}

static int
check_awaiting(struct admin_call *c, const struct agreement *a)
{
	if (a->state != AG_AWAITING_SIGNATURES)
		return admin_fail(c, SLUICE_ESTATE, "agreement %s version %d is "
		    "%s: no signature is awaited", a->nic, a->version,
		    agreement_state_name(a->state));
	return 0;
}

/* A new version never revives an agreement that has ended: once the
 * version that governs is expired (by its date or terminated) or closed,
 * a later version can no longer be signed. */
static int
check_not_ended(struct admin_call *c, const struct agreement *a)
{
	struct agreement gov;
	int r = 0;

	memset(&gov, 0, sizeof(gov));
	if (a->version > 1 && agreement_governing(c->ctx->store, a->nic,
	    &gov) == 0 && gov.version < a->version &&
	    (gov.state == AG_EXPIRED || gov.state == AG_CLOSED))
		r = admin_fail(c, SLUICE_ESTATE, "agreement %s version %d is "
		    "%s: version %d can no longer be signed", a->nic,
		    gov.version, agreement_state_name(gov.state), a->version);
	agreement_clear(&gov);
	return r;
}

int
cmd_agreement_sign(struct admin_call *c)
{
	struct agreement a;
	struct cms_result res;
	enum party party;
	int r, other = 0;

	memset(&res, 0, sizeof(res));
	if ((r = admin_known_agreement(c, c->args[0], 0, &a)) != 0)
		return r;
	if ((r = party_opt(c, &party)) == 0 &&
	    (r = check_awaiting(c, &a)) == 0 &&
	    (r = check_not_ended(c, &a)) == 0 &&
	    (r = take_signature(c, &a, party, &res)) == 0 &&
	    (r = other_signed(c, &a, party, &other)) == 0 &&
	    (!other || (r = both_signed(c, &a)) == 0))
		r = sign_answer(c, &a, party, &res, other);
	cms_result_clear(&res);
	agreement_clear(&a);
	return r;
}

/* --expires, after the expiry of the governing version gov. */
static int
later_expiry(struct admin_call *c, const struct agreement *gov,
    int32_t *expires)
{
	char d[11];
	int r;

	if ((r = admin_opt_date(c, "expires", expires)) != 0)
		return r;
	if (*expires <= gov->expires) {
		admin_date(gov->expires, d);
		return admin_fail(c, SLUICE_EINVAL, "--expires %s is not after "
		    "the current expiry %s", admin_opt(c, "expires"), d);
	}
	return 0;
}

/* Adds the next version of gov, expiring then, with the document. */
static int
add_version(struct admin_call *c, const struct agreement *gov,
    int32_t expires, int *version)
{
	uint8_t *doc = NULL;
	size_t len = 0;
	int64_t id;
	char why[256] = "";
	int r;

	if ((r = read_document(c, &doc, &len)) == 0 &&
	    (r = agreement_add_version(c->ctx->store, gov->nic, expires, doc,
	    len, c->ctx->staff_id, &id, version, why, sizeof(why))) != 0)
		r = admin_store_fail(c, r, why, "cannot extend %s", gov->nic);
	free(doc);
	return r;
}

static int
extended_answer(struct admin_call *c, const struct agreement *gov,
    int version)
{
	return admin_answer(c, json_pack("{s:s,s:i,s:i,s:s,s:s}", "nic",
	    gov->nic, "version", version, "governing_version", gov->version,
	    "state", agreement_state_name(AG_AWAITING_SIGNATURES), "expires",
	    admin_opt(c, "expires")), "agreement %s version %d added: "
	    "awaiting-signatures; version %d governs until it is signed",
	    gov->nic, version, gov->version);
}

int
cmd_agreement_extend(struct admin_call *c)
{
	struct agreement gov;
	enum agreement_state to;
	int32_t expires;
	int version = 0, r;

	if ((r = admin_known_agreement(c, c->args[0], 1, &gov)) != 0)
		return r;
	if ((r = transition(c, &gov, EV_EXTEND, &to)) == 0 &&
	    (r = later_expiry(c, &gov, &expires)) == 0 &&
	    (r = add_version(c, &gov, expires, &version)) == 0)
		r = extended_answer(c, &gov, version);
	agreement_clear(&gov);
	return r;
}

/* What a change of state answers in JSON. */
static json_t *
state_json(const struct agreement *a)
{
	return json_pack("{s:s,s:i,s:s}", "nic", a->nic, "version", a->version,
	    "state", agreement_state_name(a->state));
}

static int
record_suspension(struct admin_call *c, const struct agreement *a,
    const char *reason)
{
	int64_t sid;
	int r;

	if ((r = suspension_add(c->ctx->store, a->id, reason, c->ctx->staff_id,
	    &sid)) != 0)
		return admin_fail(c, r,
		    "store failure recording the suspension");
	return 0;
}

/* Lifts the suspension of a; none recorded is no failure. */
static int
lift_suspension(struct admin_call *c, const struct agreement *a)
{
	int r;

	r = suspension_lift(c->ctx->store, a->id, c->ctx->staff_id);
	if (r != 0 && r != SLUICE_ENOTFOUND)
		return admin_fail(c, r, "store failure lifting the suspension");
	return 0;
}

int
cmd_agreement_suspend(struct admin_call *c)
{
	struct agreement a;
	const char *reason = admin_opt(c, "reason");
	int r;

	if ((r = admin_check_text(c, "--reason", reason,
	    STORE_TEXT_MAX)) != 0 ||
	    (r = admin_known_agreement(c, c->args[0], 1, &a)) != 0)
		return r;
	if ((r = move(c, &a, EV_SUSPEND)) == 0 &&
	    (r = record_suspension(c, &a, reason)) == 0)
		r = admin_answer(c, state_json(&a), "agreement %s suspended",
		    a.nic);
	agreement_clear(&a);
	return r;
}

int
cmd_agreement_resume(struct admin_call *c)
{
	struct agreement a;
	int r;

	if ((r = admin_known_agreement(c, c->args[0], 1, &a)) != 0)
		return r;
	if ((r = move(c, &a, EV_RESUME)) == 0 &&
	    (r = lift_suspension(c, &a)) == 0)
		r = admin_answer(c, state_json(&a), "agreement %s resumed: %s",
		    a.nic, agreement_state_name(a.state));
	agreement_clear(&a);
	return r;
}

/* Whether version a may end early: what may expire may be terminated. */
static int
check_terminable(struct admin_call *c, const struct agreement *a)
{
	enum agreement_state to;

	if (agreement_transition(a->state, EV_EXPIRES, &to, NULL, 0) != 0)
		return admin_fail(c, SLUICE_ESTATE, "agreement %s version %d is "
		    "%s: only a signed, live or suspended agreement can be "
		    "terminated", a->nic, a->version,
		    agreement_state_name(a->state));
	return 0;
}

/* The day it ends: today, but never before it starts nor after it would
 * have expired anyway. */
static int32_t
end_day(const struct admin_call *c, const struct agreement *a)
{
	int32_t day = admin_today(c);

	if (day < a->starts)
		day = a->starts;
	return day < a->expires ? day : a->expires;
}

static int
terminated_answer(struct admin_call *c, const struct agreement *a,
    int32_t end, const char *reason)
{
	char e[11], was[11], due[11];

	admin_date(end, e);
	admin_date(a->expires, was);
	admin_date(end + admin_cert_due_days(c), due);
	admin_change(c, "terminated version %d (%s): %s; expires %s, was %s",
	    a->version, agreement_state_name(a->state), reason, e, was);
	return admin_answer(c, json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "nic",
	    a->nic, "version", a->version, "state",
	    agreement_state_name(AG_EXPIRED), "expires", e, "previous_expires",
	    was, "certificate_due", due), "agreement %s terminated: version %d "
	    "expired as of %s (was to expire %s); certificate of deletion due "
	    "by %s", a->nic, a->version, e, was, due);
}

int
cmd_agreement_terminate(struct admin_call *c)
{
	struct agreement a;
	const char *reason = admin_opt(c, "reason");
	int32_t end;
	int r;

	if ((r = admin_check_text(c, "--reason", reason,
	    STORE_TEXT_MAX)) != 0 ||
	    (r = admin_known_agreement(c, c->args[0], 1, &a)) != 0)
		return r;
	end = end_day(c, &a);
	if ((r = check_terminable(c, &a)) == 0 &&
	    (r = agreement_end(c->ctx->store, a.id, end)) != 0)
		r = admin_fail(c, r, "store failure ending the agreement");
	if (r == 0)
		r = terminated_answer(c, &a, end, reason);
	agreement_clear(&a);
	return r;
}

static int
state_opt(struct admin_call *c, int *state)
{
	const char *want = admin_opt(c, "state");
	enum agreement_state st;

	*state = AGREEMENT_ANY_STATE;
	if (want == NULL)
		return 0;
	if (agreement_state_parse(want, &st) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --state '%.32s': "
		    "expected draft, awaiting-signatures, signed, live, "
		    "suspended, expired or closed", want);
	*state = (int)st;
	return 0;
}

static int
agreement_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct agreement *a = v;
	char s[11], e[11];

	admin_date(a->starts, s);
	admin_date(a->expires, e);
	if (!c->json)
		return admin_print(c, "%s\tv%d\t%s\t%s\t%s\t%s\t%s\n", a->nic,
		    a->version, agreement_state_name(a->state), a->org, s, e,
		    a->title);
	return admin_append(c, arr, json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s}",
	    "nic", a->nic, "version", a->version, "state",
	    agreement_state_name(a->state), "org", a->org, "starts", s,
	    "expires", e, "title", a->title));
}

int
cmd_agreement_list(struct admin_call *c)
{
	struct agreement_list l = { NULL, 0 };
	int state, r;

	if ((r = state_opt(c, &state)) != 0)
		return r;
	if ((r = agreement_list(c->ctx->store, state, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return admin_fail(c, r, "store failure listing agreements");
	r = admin_list(c, "agreements", "nic\tversion\tstate\torg\tstarts\t"
	    "expires\ttitle", l.v, l.n, sizeof(*l.v), agreement_row);
	agreement_list_free(&l);
	return r;
}
