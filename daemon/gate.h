/*
 * gate.h: the one rule (docs/design.md section 2).
 *
 * gate_decide() is a pure function over a snapshot of facts and a time: no
 * I/O, no globals, no clock. It returns the first rule that fails, in the
 * order of docs/design.md, or GATE_ALLOW. The caller gathers the facts (engine,
 * from the store) and writes the decision to the audit log.
 */
#ifndef SLUICE_GATE_H
#define SLUICE_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/domain.h"

enum gate_rule {
	GATE_ALLOW = 0,
	GATE_RECIPIENT = 1,	/* key of an active recipient of the org */
	GATE_CONTRACT = 2,	/* DSFC in force today */
	GATE_DSPT = 3,		/* standards met/exceeded, not expired, or waived */
	GATE_SANCTION = 4,	/* no overdue deletion certificate */
	GATE_AGREEMENT = 5,	/* live: signed by both, within dates, not suspended */
	GATE_RELEASE = 6,	/* approved by someone other than the stager, not revoked */
	GATE_POLICY = 7,	/* download window and count */
};

struct gate_facts {
	/* rule 1 */
	int	 recipient_known;	/* the key maps to a person */
	int	 recipient_active;
	int	 recipient_org_matches;	/* the person's org is the agreement's */
	/* rule 2: DSFC; dates are days since the epoch */
	int	 contract_present;
	int32_t	 contract_starts, contract_expires;
	/* rule 3 */
	enum dspt_status dspt;
	int32_t	 dspt_expires;
	int	 dspt_waived;		/* policy waives the DSPT check */
	/* rule 4 */
	int	 org_sanctioned;
	/* rule 5 */
	enum agreement_state state;	/* stored state (live, suspended, ...) */
	int	 applicant_signed;	/* signature verified over this version */
	int	 controller_signed;
	int32_t	 starts, expires;
	/* rule 6 */
	int	 release_approved;
	int64_t	 stager_id, approver_id;	/* staff ids */
	int	 release_revoked;
	/* rule 7: 0 means no limit */
	int64_t	 window_opens, window_closes;	/* seconds since the epoch */
	int64_t	 downloads, max_downloads;
};

struct gate_result {
	enum gate_rule	rule;
	char		reason[192];	/* one line, for user and audit */
};

/* Fills r; returns r->rule (0 = allow). */
enum gate_rule gate_decide(const struct gate_facts *f, int64_t now,
    struct gate_result *r);
const char *gate_rule_name(enum gate_rule rule);	/* "contract" */

#endif
