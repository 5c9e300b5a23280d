/*
 * domain.h: the words of docs/design.md as types - agreement states and their
 * transitions (section 3), parties, staff roles, DSPT statuses, NIC references.
 * The text users see comes from the *_name() functions, in docs/design.md's words.
 */
#ifndef SLUICE_DOMAIN_H
#define SLUICE_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

enum agreement_state {
	AG_DRAFT = 0,
	AG_AWAITING_SIGNATURES,
	AG_SIGNED,
	AG_LIVE,
	AG_SUSPENDED,
	AG_EXPIRED,
	AG_CLOSED,
	AG_STATE_MAX
};

/* What moves an agreement (docs/design.md section 3). */
enum agreement_event {
	EV_DOCUMENT = 0,	/* draft -> awaiting-signatures */
	EV_SIGNED,		/* awaiting-signatures -> signed (both verify) */
	EV_STARTS,		/* signed -> live (starts reached) */
	EV_EXPIRES,		/* live|suspended|signed -> expired */
	EV_SUSPEND,		/* live -> suspended */
	EV_RESUME,		/* suspended -> live */
	EV_EXTEND,		/* live -> live, signed -> signed: version N+1's
				   signatures verified, it governs now */
	EV_CERTIFIED,		/* expired -> closed (deletion certificate) */
	EV_MAX
};

const char *agreement_state_name(enum agreement_state s);	/* "awaiting-signatures" */
int agreement_state_parse(const char *name, enum agreement_state *s);
const char *agreement_event_name(enum agreement_event e);
/* The one transition table: the next state, or SLUICE_ESTATE with a reason
 * ("cannot suspend an agreement that is expired"). */
int agreement_transition(enum agreement_state from, enum agreement_event ev,
    enum agreement_state *to, char *why, size_t whylen);

enum party { PARTY_APPLICANT = 0, PARTY_CONTROLLER = 1 };
const char *party_name(enum party p);				/* "applicant" */
int party_parse(const char *name, enum party *p);

enum role {
	ROLE_OPERATOR = 1 << 0,
	ROLE_APPROVER = 1 << 1,
	ROLE_AUDITOR = 1 << 2,
	ROLE_ADMIN = 1 << 3,
	ROLE_RECIPIENT = 1 << 4,	/* not a staff role: a recipient's key */
};
/* "operator,approver" <-> bits; parsing refuses unknown or empty names and
 * "recipient" (never a staff role). */
int roles_parse(const char *list, uint32_t *roles, char *why, size_t whylen);
int roles_format(uint32_t roles, char *out, size_t outlen);

enum dspt_status {
	DSPT_NONE = 0,		/* never assessed */
	DSPT_NOT_MET,
	DSPT_APPROACHING,
	DSPT_MET,		/* "standards-met" */
	DSPT_EXCEEDED,		/* "standards-exceeded" */
};
const char *dspt_status_name(enum dspt_status s);
int dspt_status_parse(const char *name, enum dspt_status *s);

/* NIC-123456-A1B2C: "NIC-", six digits, "-", five upper-case letters or
 * digits. SLUICE_EFORMAT with a reason naming what is wrong. */
int nic_check(const char *s, char *why, size_t whylen);
/* Organisation codes, user names, extract names, inbox file names: a safe
 * set [A-Za-z0-9._-], 1..64 bytes, not starting with '.' or '-'. */
int name_check(const char *s, size_t max, char *why, size_t whylen);

#endif
