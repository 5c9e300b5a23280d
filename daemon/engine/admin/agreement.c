/* admin_agreement.c: agreements - add, sign, extend, show, list, suspend,
 * resume (DESIGN.md sections 3 and 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

#define FREE_TEXT_MAX	4096	/* title, purpose, legal basis, datasets */

/* "A,B": non-empty items, no blanks around them. */
static int
check_datasets(struct admin_call *c, const char *s)
{
	size_t n = strlen(s);
	int r;

	if ((r = admin_check_text(c, "--datasets", s, FREE_TEXT_MAX)) != 0)
		return r;
	if (s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,") != NULL ||
	    strstr(s, ", ") != NULL || strstr(s, " ,") != NULL ||
	    s[0] == ' ' || s[n - 1] == ' ')
		return admin_fail(c, SLUICE_EINVAL, "bad --datasets '%.64s': "
		    "expected names separated by commas, e.g. HES-APC,MHSDS",
		    s);
	return 0;
}

static int
check_dates(struct admin_call *c, int32_t *starts, int32_t *expires)
{
	int r;

	if ((r = admin_parse_date(c, "--starts", admin_opt(c, "starts"),
	    starts)) != 0 || (r = admin_parse_date(c, "--expires",
	    admin_opt(c, "expires"), expires)) != 0)
		return r;
	if (*starts > *expires)
		return admin_fail(c, SLUICE_EINVAL, "--starts %s is after "
		    "--expires %s", admin_opt(c, "starts"),
		    admin_opt(c, "expires"));
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

int
cmd_agreement_add(struct admin_call *c)
{
	struct agreement a, old;
	struct org o;
	const char *nic = c->args[0];
	uint8_t *doc = NULL;
	size_t len = 0;
	int64_t id;
	char why[256] = "", msg[256];
	int r;

	memset(&a, 0, sizeof(a));
	memset(&old, 0, sizeof(old));
	if ((r = admin_check_nic(c, nic)) != 0 ||
	    (r = admin_known_org(c, admin_opt(c, "org"), &o)) != 0 ||
	    (r = check_agreement_text(c)) != 0 ||
	    (r = check_dates(c, &a.starts, &a.expires)) != 0)
		return r;
	if ((r = agreement_get(c->ctx->store, nic, 0, &old)) == 0) {
		agreement_clear(&old);
		return admin_fail(c, SLUICE_EEXIST, "agreement %s exists "
		    "already", nic);
	}
	if (r != SLUICE_ENOTFOUND)
		return admin_fail(c, r, "store failure reading agreement");
	if ((r = admin_inbox_read(c, admin_opt(c, "document"),
	    ADMIN_INBOX_MAX, &doc, &len)) != 0)
		return r;
	(void)snprintf(a.nic, sizeof(a.nic), "%s", nic);
	(void)snprintf(a.org, sizeof(a.org), "%s", o.code);
	a.org_id = o.id;
	a.title = (char *)(uintptr_t)admin_opt(c, "title");
	a.purpose = (char *)(uintptr_t)admin_opt(c, "purpose");
	a.legal_basis = (char *)(uintptr_t)admin_opt(c, "legal-basis");
	a.datasets = (char *)(uintptr_t)admin_opt(c, "datasets");
	a.document = doc;
	a.document_len = len;
	a.created_by = c->ctx->staff_id;
	if ((r = agreement_add(c->ctx->store, &a, &id, why, sizeof(why))) !=
	    0) {
		r = admin_store_fail(c, r, why, "cannot add agreement %s", nic);
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "agreement %s version 1 added for %s: "
	    "awaiting-signatures", nic, o.code);
	r = admin_answer(c, json_pack("{s:s,s:i,s:s,s:s}", "nic", nic,
	    "version", 1, "org", o.code, "state",
	    agreement_state_name(AG_AWAITING_SIGNATURES)), msg);
 out:
	free(doc);
	return r;
}

/* Moves version a along ev, checked by the one transition table. */
static int
move(struct admin_call *c, struct agreement *a, enum agreement_event ev)
{
	enum agreement_state to;
	char why[160];
	int r;

	if (agreement_transition(a->state, ev, &to, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_ESTATE, "agreement %s: %s",
		    a->nic, why);
	if ((r = agreement_set_state(c->ctx->store, a->id, to)) != 0)
		return admin_fail(c, r, "store failure changing state");
	a->state = to;
	return 0;
}

/* Both parties have signed version a: signed, then on by the calendar;
 * a suspension of the version it replaces carries over. */
static int
both_signed(struct admin_call *c, struct agreement *a)
{
	struct agreement prev;
	int32_t today = admin_today(c);
	int64_t sid;
	int r;

	memset(&prev, 0, sizeof(prev));
	if ((r = move(c, a, EV_SIGNED)) != 0)
		return r;
	if (today > a->expires)
		return move(c, a, EV_EXPIRES);
	if (today < a->starts)
		return 0;
	if ((r = move(c, a, EV_STARTS)) != 0)
		return r;
	if (a->version < 2 || agreement_get(c->ctx->store, a->nic,
	    a->version - 1, &prev) != 0)
		return 0;
	if (prev.state == AG_SUSPENDED) {
		if ((r = move(c, a, EV_SUSPEND)) == 0 &&
		    (r = suspension_add(c->ctx->store, a->id, "carried over "
		    "from the previous version", c->ctx->staff_id, &sid)) != 0)
			r = admin_fail(c, r, "store failure suspending");
	}
	agreement_clear(&prev);
	return r;
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
	size_t i;
	int r;

	if ((r = signatory_list(c->ctx->store, NULL, &l)) != 0)
		return admin_fail(c, r, "store failure listing signatories");
	if (l.n > 0 && (pins = calloc(l.n, sizeof(*pins))) == NULL) {
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		pins[i].der = l.v[i].der;
		pins[i].der_len = l.v[i].der_len;
		pins[i].owner = l.v[i].owner;
	}
	if ((r = cms_verify(sig, len, a->document, a->document_len, pins, l.n,
	    owner, c->ctx->now, res, why, sizeof(why))) != 0) {
		r = admin_fail(c, SLUICE_EVERIFY, "%s signature refused: %s",
		    party_name(party), why);
		goto out;
	}
	*signatory_id = l.v[res->pin].id;
 out:
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

static int
sign_answer(struct admin_call *c, const struct agreement *a, enum party party,
    const struct cms_result *res, int other_signed)
{
	char msg[1024], t[21];

	admin_time(res->signing_time, t);
	(void)snprintf(msg, sizeof(msg), "%s signature on %s version %d "
	    "verified: %.300s (serial %s)%s%s; state %s%s", party_name(party),
	    a->nic, a->version, res->subject, res->serial, t[0] ? ", signed " :
	    "", t, agreement_state_name(a->state), other_signed ? "" :
	    party == PARTY_APPLICANT ? "; awaiting the controller" :
	    "; awaiting the applicant");
	return admin_answer(c, json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "nic", a->nic, "version", a->version, "party", party_name(party),
	    "subject", res->subject, "issuer", res->issuer, "serial",
	    res->serial, "signing_time", t, "state",
	    agreement_state_name(a->state)), msg);
}

int
cmd_agreement_sign(struct admin_call *c)
{
	struct agreement a;
	struct agreement_sig other;
	struct cms_result res;
	enum party party;
	uint8_t *sig = NULL;
	size_t len = 0;
	int64_t signatory_id = 0;
	int r, other_signed;

	memset(&res, 0, sizeof(res));
	memset(&other, 0, sizeof(other));
	if ((r = admin_known_agreement(c, c->args[0], 0, &a)) != 0)
		return r;
	if (party_parse(admin_opt(c, "party"), &party) != 0) {
		r = admin_fail(c, SLUICE_EINVAL, "bad --party '%.32s': expected "
		    "applicant or controller", admin_opt(c, "party"));
		goto out;
	}
	if (a.state != AG_AWAITING_SIGNATURES) {
		r = admin_fail(c, SLUICE_ESTATE, "agreement %s version %d is "
		    "%s: no signature is awaited", a.nic, a.version,
		    agreement_state_name(a.state));
		goto out;
	}
	if ((r = admin_inbox_read(c, admin_opt(c, "signature"),
	    ADMIN_INBOX_MAX, &sig, &len)) != 0 ||
	    (r = verify_signature(c, &a, party, sig, len, &res,
	    &signatory_id)) != 0 ||
	    (r = record_signature(c, &a, party, sig, len, signatory_id,
	    res.signing_time)) != 0)
		goto out;
	r = signature_get(c->ctx->store, a.id, party == PARTY_APPLICANT ?
	    PARTY_CONTROLLER : PARTY_APPLICANT, &other);
	if (r != 0 && r != SLUICE_ENOTFOUND) {
		r = admin_fail(c, r, "store failure reading signatures");
		goto out;
	}
	other_signed = r == 0;
	if (other_signed && (r = both_signed(c, &a)) != 0)
		goto out;
	r = sign_answer(c, &a, party, &res, other_signed);
 out:
	agreement_sig_clear(&other);
	cms_result_clear(&res);
	agreement_clear(&a);
	free(sig);
	return r;
}

int
cmd_agreement_extend(struct admin_call *c)
{
	struct agreement gov;
	enum agreement_state to;
	uint8_t *doc = NULL;
	size_t len = 0;
	int32_t expires;
	int64_t id;
	int version = 0, r;
	char why[256] = "", msg[256], d[11];

	if ((r = admin_known_agreement(c, c->args[0], 1, &gov)) != 0)
		return r;
	if (agreement_transition(gov.state, EV_EXTEND, &to, why,
	    sizeof(why)) != 0) {
		r = admin_fail(c, SLUICE_ESTATE, "agreement %s: %s", gov.nic,
		    why);
		goto out;
	}
	if ((r = admin_parse_date(c, "--expires", admin_opt(c, "expires"),
	    &expires)) != 0)
		goto out;
	if (expires <= gov.expires) {
		admin_date(gov.expires, d);
		r = admin_fail(c, SLUICE_EINVAL, "--expires %s is not after "
		    "the current expiry %s", admin_opt(c, "expires"), d);
		goto out;
	}
	if ((r = admin_inbox_read(c, admin_opt(c, "document"),
	    ADMIN_INBOX_MAX, &doc, &len)) != 0)
		goto out;
	if ((r = agreement_add_version(c->ctx->store, gov.nic, expires, doc,
	    len, c->ctx->staff_id, &id, &version, why, sizeof(why))) != 0) {
		r = admin_store_fail(c, r, why, "cannot extend %s", gov.nic);
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "agreement %s version %d added: "
	    "awaiting-signatures; version %d governs until it is signed",
	    gov.nic, version, gov.version);
	r = admin_answer(c, json_pack("{s:s,s:i,s:i,s:s,s:s}", "nic", gov.nic,
	    "version", version, "governing_version", gov.version, "state",
	    agreement_state_name(AG_AWAITING_SIGNATURES), "expires",
	    admin_opt(c, "expires")), msg);
 out:
	free(doc);
	agreement_clear(&gov);
	return r;
}

int
cmd_agreement_suspend(struct admin_call *c)
{
	struct agreement a;
	const char *reason = admin_opt(c, "reason");
	int64_t sid;
	char msg[256];
	int r;

	if ((r = admin_check_text(c, "--reason", reason, STORE_TEXT_MAX)) != 0)
		return r;
	if ((r = admin_known_agreement(c, c->args[0], 1, &a)) != 0)
		return r;
	if ((r = move(c, &a, EV_SUSPEND)) != 0)
		goto out;
	if ((r = suspension_add(c->ctx->store, a.id, reason, c->ctx->staff_id,
	    &sid)) != 0) {
		r = admin_fail(c, r, "store failure recording the suspension");
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "agreement %s suspended", a.nic);
	r = admin_answer(c, json_pack("{s:s,s:i,s:s}", "nic", a.nic,
	    "version", a.version, "state", agreement_state_name(a.state)), msg);
 out:
	agreement_clear(&a);
	return r;
}

int
cmd_agreement_resume(struct admin_call *c)
{
	struct agreement a;
	char msg[256];
	int r;

	if ((r = admin_known_agreement(c, c->args[0], 1, &a)) != 0)
		return r;
	if ((r = move(c, &a, EV_RESUME)) != 0)
		goto out;
	r = suspension_lift(c->ctx->store, a.id, c->ctx->staff_id);
	if (r != 0 && r != SLUICE_ENOTFOUND) {
		r = admin_fail(c, r, "store failure lifting the suspension");
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "agreement %s resumed: %s", a.nic,
	    agreement_state_name(a.state));
	r = admin_answer(c, json_pack("{s:s,s:i,s:s}", "nic", a.nic,
	    "version", a.version, "state", agreement_state_name(a.state)), msg);
 out:
	agreement_clear(&a);
	return r;
}

int
cmd_agreement_list(struct admin_call *c)
{
	struct agreement_list l = { NULL, 0 };
	enum agreement_state st;
	const char *want = admin_opt(c, "state");
	json_t *arr = NULL, *o;
	char s[11], e[11];
	size_t i;
	int r;

	if (want != NULL && agreement_state_parse(want, &st) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --state '%.32s': "
		    "expected draft, awaiting-signatures, signed, live, "
		    "suspended, expired or closed", want);
	if ((r = agreement_list(c->ctx->store, want ? (int)st :
	    AGREEMENT_ANY_STATE, NULL, AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return admin_fail(c, r, "store failure listing agreements");
	if (c->json && (arr = json_array()) == NULL) {
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		admin_date(l.v[i].starts, s);
		admin_date(l.v[i].expires, e);
		if (!c->json) {
			if ((r = admin_print(c, "%s\tv%d\t%s\t%s\t%s\t%s\t%s\n",
			    l.v[i].nic, l.v[i].version,
			    agreement_state_name(l.v[i].state), l.v[i].org, s,
			    e, l.v[i].title)) != 0)
				goto out;
			continue;
		}
		o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "nic",
		    l.v[i].nic, "version", l.v[i].version, "state",
		    agreement_state_name(l.v[i].state), "org", l.v[i].org,
		    "starts", s, "expires", e, "title", l.v[i].title);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (c->json && (c->result = json_pack("{s:O}", "agreements", arr)) ==
	    NULL)
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
 out:
	json_decref(arr);
	agreement_list_free(&l);
	return r;
}
