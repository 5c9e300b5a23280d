/*
 * The engine's calendar (schedule.h): the dated transitions of agreements,
 * the sanction an overdue certificate of deletion brings and its lifting,
 * which messages are due each day, and the tick that runs it all.
 */
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/mail.h"
#include "engine/publish_tick.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/log.h"

/* ---- dated transitions -------------------------------------------------- */

/* The dated event due for a governing version on day today, if any. */
static int
dated_event(const struct agreement *a, int32_t today, enum agreement_event *ev)
{
	switch (a->state) {
	case AG_SIGNED:
		if (today > a->expires)
			*ev = EV_EXPIRES;
		else if (today >= a->starts)
			*ev = EV_STARTS;
		else
			return 0;
		return 1;
	case AG_LIVE:
	case AG_SUSPENDED:
		if (today <= a->expires)
			return 0;
		*ev = EV_EXPIRES;
		return 1;
	default:
		return 0;
	}
}

/* Applies ev to one version, in one transaction with its audit entry. */
static int
schedule_move(struct engine *e, const struct agreement *a,
    enum agreement_event ev)
{
	enum agreement_state to;
	char why[160], details[256];
	int r;

	if ((r = agreement_transition(a->state, ev, &to, why, sizeof(why))) != 0)
		return r;
	if ((r = store_begin(e->st)) != 0)
		return r;
	(void)snprintf(details, sizeof(details), "version %d: %s -> %s (%s)",
	    a->version, agreement_state_name(a->state), agreement_state_name(to),
	    agreement_event_name(ev));
	if ((r = agreement_set_state(e->st, a->id, to)) != 0 ||
	    (r = audit_append(e->st, "scheduler", "agreement state", a->nic, "ok",
	    details, NULL)) != 0 ||
	    (to == AG_EXPIRED && (r = mail_expired(e, a)) != 0) ||
	    (r = store_commit(e->st)) != 0) {
		store_rollback(e->st);
		return r;
	}
	log_info("scheduler: %s %s", a->nic, details);
	return 0;
}

static int
schedule_transitions(struct engine *e, int32_t today)
{
	struct agreement_list l;
	enum agreement_event ev;
	size_t i;
	int r, moved = 0, again;

	do {
		again = 0;
		memset(&l, 0, sizeof(l));
		if ((r = agreement_list(e->st, AGREEMENT_ANY_STATE, NULL,
		    AGREEMENT_LIST_GOVERNING, &l)) != 0)
			return r;
		for (i = 0; i < l.n; i++) {
			if (!dated_event(&l.v[i], today, &ev))
				continue;
			if (schedule_move(e, &l.v[i], ev) == 0)
				moved = again = 1;
		}
		agreement_list_free(&l);
	} while (again);	/* signed -> live -> expired in one run */
	return moved;
}

/* ---- sanctions ---------------------------------------------------------- */

/* 1 when a is expired, its certificate not accepted, and past due. */
static int
cert_overdue(struct engine *e, const struct agreement *a, int32_t today)
{
	int accepted = 0;

	if (a->state != AG_EXPIRED || today <= mail_cert_due(e, a))
		return 0;
	if (certificate_accepted(e->st, a->id, &accepted) != 0)
		return 0;
	return !accepted;
}

/* Sanctions a's organisation, audited, unless it is already; *set = 1 when
 * it was set now. */
static int
sanction_set(struct engine *e, const struct agreement *a, int *set)
{
	char details[STORE_TEXT_MAX], due[11];
	struct org o;
	int r;

	if ((r = org_get(e->st, a->org, &o)) != 0 || o.sanctioned)
		return r;
	if (sluice_date_format(mail_cert_due(e, a), due, sizeof(due)) != 0)
		(void)snprintf(due, sizeof(due), "?");
	(void)snprintf(details, sizeof(details), "certificate of deletion "
	    "for %s overdue (due %s): no data under any agreement until "
	    "it is received", a->nic, due);
	if ((r = org_set_sanctioned(e->st, a->org, 1)) != 0 ||
	    (r = audit_append(e->st, "scheduler", "org sanction", a->org,
	    "ok", details, NULL)) != 0)
		return r;
	*set = 1;
	return 0;
}

/* Sets the sanction (if not set yet) and queues its two messages: one
 * transaction. *changed = 1 when the sanction was set now. */
static int
sanction(struct engine *e, const struct agreement *a, int *changed)
{
	int r, set = 0;

	if ((r = store_begin(e->st)) != 0)
		return r;
	if ((r = sanction_set(e, a, &set)) != 0 ||
	    (r = mail_overdue(e, a)) != 0 ||
	    (r = store_commit(e->st)) != 0) {
		store_rollback(e->st);
		return r;
	}
	if (set) {
		*changed = 1;
		log_info("scheduler: %s sanctioned: certificate for %s overdue",
		    a->org, a->nic);
	}
	return 0;
}

/* How many of org's expired agreements have their certificate overdue. */
static int
org_overdue(struct engine *e, const char *org, int32_t today, int *n)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	*n = 0;
	if ((r = agreement_list(e->st, AG_EXPIRED, org,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++)
		*n += cert_overdue(e, &l.v[i], today);
	agreement_list_free(&l);
	return 0;
}

/* Lifts o's sanction, audited and announced: one transaction. */
static int
sanction_lift(struct engine *e, const struct org *o)
{
	int64_t audit_id = 0;
	int r;

	if ((r = store_begin(e->st)) != 0)
		return r;
	if ((r = org_set_sanctioned(e->st, o->code, 0)) != 0 ||
	    (r = audit_append(e->st, "scheduler", "org sanction lifted",
	    o->code, "ok", "every overdue certificate of deletion has been "
	    "accepted", &audit_id)) != 0 ||
	    (r = mail_sanction_lifted(e, o, audit_id)) != 0 ||
	    (r = store_commit(e->st)) != 0) {
		store_rollback(e->st);
		return r;
	}
	log_info("scheduler: %s: sanction lifted", o->code);
	return 0;
}

/* ---- what is due, each day ---------------------------------------------- */

/* An expired agreement without an accepted certificate: its notice, then
 * a reminder, or the sanction once the certificate is overdue. */
static int
expired_due(struct engine *e, const struct agreement *a, int32_t today,
    int *changed)
{
	int accepted = 0, r;

	if ((r = certificate_accepted(e->st, a->id, &accepted)) != 0 ||
	    accepted)
		return r;
	/* Normally queued with the transition; this catches the rest. */
	if ((r = mail_expired(e, a)) != 0)
		return r;
	if (cert_overdue(e, a, today))
		return sanction(e, a, changed);
	return mail_cert_reminder(e, a, today);
}

static int
agreement_due(struct engine *e, const struct agreement *a, int32_t today,
    int *changed)
{
	switch (a->state) {
	case AG_SIGNED:
	case AG_LIVE:
	case AG_SUSPENDED:
		return mail_expiry_reminder(e, a, today);
	case AG_EXPIRED:
		return expired_due(e, a, today, changed);
	default:
		return 0;
	}
}

static int
agreements_due(struct engine *e, int32_t today, int *changed)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = agreement_list(e->st, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++)
		if ((r = agreement_due(e, &l.v[i], today, changed)) != 0)
			log_warnx("mail: %s: %s", l.v[i].nic, sluice_strerror(r));
	agreement_list_free(&l);
	return 0;
}

/* A sanctioned organisation with nothing overdue any more is lifted; one
 * whose DSPT runs out soon is told. */
static void
org_due(struct engine *e, const struct org *o, int32_t today, int *changed)
{
	int r, n;

	if (o->sanctioned && org_overdue(e, o->code, today, &n) == 0 &&
	    n == 0) {
		if ((r = sanction_lift(e, o)) == 0)
			*changed = 1;
		else
			log_warnx("mail: lifting %s: %s", o->code,
			    sluice_strerror(r));
	}
	if ((r = mail_dspt(e, o, today)) != 0)
		log_warnx("mail: DSPT of %s: %s", o->code, sluice_strerror(r));
}

static int
orgs_due(struct engine *e, int32_t today, int *changed)
{
	struct org_list ol = { NULL, 0 };
	struct contract_list cl = { NULL, 0 };
	size_t i;
	int r;

	if ((r = org_list(e->st, &ol)) != 0 ||
	    (r = contract_list(e->st, NULL, &cl)) != 0)
		goto out;
	for (i = 0; i < ol.n; i++)
		org_due(e, &ol.v[i], today, changed);
	for (i = 0; i < cl.n; i++)
		if ((r = mail_contract(e, &cl.v[i], today)) != 0)
			log_warnx("mail: contract %s: %s", cl.v[i].ref,
			    sluice_strerror(r));
	r = 0;
out:
	contract_list_free(&cl);
	org_list_free(&ol);
	return r;
}

/* Reminders, notices, sanctions and the outbox's delivery; returns > 0
 * when it changed a fact the gate reads (a sanction). */
static int
schedule_mail(struct engine *e, int64_t now)
{
	int32_t today = sluice_day_of(now);
	int changed = 0;

	if (agreements_due(e, today, &changed) != 0 ||
	    orgs_due(e, today, &changed) != 0)
		log_warnx("mail: cannot read the store");
	mail_deliver(e, now);
	return changed;
}

/* ---- the entries -------------------------------------------------------- */

void
schedule_run(struct engine *e, int64_t now)
{
	int32_t today = sluice_day_of(now);
	int changed = 0;

	if (schedule_transitions(e, today) > 0)
		changed = 1;
	if (schedule_mail(e, now) > 0)
		changed = 1;
	if (changed)
		ipc_generation_bump(e->sh);
}

/* At start, then at least once a minute; a fake clock that jumps is
 * followed at once. */
static int
schedule_due(const struct engine *e, int64_t now)
{
	return e->last_schedule == 0 || now < e->last_schedule ||
	    now - e->last_schedule >= 60 ||
	    sluice_day_of(now) != sluice_day_of(e->last_schedule);
}

void
schedule_tick(struct engine *e, int64_t now)
{
	/* A retry that falls due between runs goes out on time. */
	if (e->next_mail != 0 && now >= e->next_mail)
		mail_deliver(e, now);
	if (schedule_due(e, now)) {
		e->last_schedule = now;
		schedule_run(e, now);
	}
	/* The public site, after the calendar's changes. */
	publish_tick(e, now);
}
