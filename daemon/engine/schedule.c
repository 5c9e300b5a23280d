#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/mail.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/log.h"

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
