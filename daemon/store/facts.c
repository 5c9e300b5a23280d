/*
 * facts.c: the gate's facts. Everything gate.h's struct gate_facts needs to
 * decide one download, read from the store's rows in one place.
 */
#include <string.h>

#include "sluice/error.h"
#include "store/store_int.h"

static void
facts_person(struct store *s, int64_t person_id, const struct agreement *a,
    struct gate_facts *f)
{
	struct person p;

	if (person_get_by_id(s, person_id, &p) != 0)
		return;
	f->recipient_known = 1;
	f->recipient_active = p.active;
	f->recipient_org_matches = p.org_id == a->org_id;
}

static int
facts_contract(struct store *s, const char *org, int32_t today,
    struct gate_facts *f)
{
	struct contract c;
	int r;

	r = contract_in_force(s, org, today, &c);
	if (r == SLUICE_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	f->contract_present = 1;
	f->contract_starts = c.starts;
	f->contract_expires = c.expires;
	return 0;
}

static int
facts_org(struct store *s, const struct agreement *a, int32_t today,
    struct gate_facts *f)
{
	struct org o;
	int r;

	if ((r = org_get_by_id(s, a->org_id, &o)) != 0)
		return r;
	f->dspt = o.dspt;
	f->dspt_expires = o.dspt_expires;
	f->org_sanctioned = o.sanctioned;
	return facts_contract(s, o.code, today, f);
}

static int
facts_signed(struct store *s, int64_t agreement_id, enum party p, int *yes)
{
	struct agreement_sig g;
	int r;

	*yes = 0;
	r = signature_get(s, agreement_id, p, &g);
	if (r == SLUICE_ENOTFOUND)
		return 0;
	if (r == 0)
		*yes = g.verified_at != 0;
	agreement_sig_clear(&g);
	return r;
}

/* The agreement's own facts and the release's. */
static void
facts_copy(const struct agreement *a, const struct release *rel,
    struct gate_facts *f)
{
	f->state = a->state;
	f->starts = a->starts;
	f->expires = a->expires;
	f->release_approved = rel->approved_by != 0;
	f->stager_id = rel->staged_by;
	f->approver_id = rel->approved_by;
	f->release_revoked = rel->revoked_at != 0;
	f->window_opens = rel->window_opens;
	f->window_closes = rel->window_closes;
	f->max_downloads = rel->max_downloads;
}

/* What the governing agreement a brings: its party's org, the recipient,
 * both signatures. */
static int
facts_agreement(struct store *s, int64_t person_id, const struct agreement *a,
    int32_t today, struct gate_facts *f)
{
	int r;

	facts_person(s, person_id, a, f);
	if ((r = facts_org(s, a, today, f)) != 0 ||
	    (r = facts_signed(s, a->id, PARTY_APPLICANT,
	    &f->applicant_signed)) != 0)
		return r;
	return facts_signed(s, a->id, PARTY_CONTROLLER, &f->controller_signed);
}

int
store_gate_facts(struct store *s, int64_t person_id, int64_t release_id,
    int32_t today, struct gate_facts *f)
{
	struct agreement a;
	struct release rel;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = release_get(s, release_id, &rel)) != 0)
		return r;
	if ((r = agreement_governing(s, rel.nic, &a)) == 0 &&
	    (r = facts_agreement(s, person_id, &a, today, f)) == 0) {
		facts_copy(&a, &rel, f);
		r = download_count(s, release_id, person_id, 0, &f->downloads);
	}
	agreement_clear(&a);
	return r;
}
