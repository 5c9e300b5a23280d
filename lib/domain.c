/*
 * domain.c: the words of docs/design.md and the one agreement transition table.
 */
#include <stdio.h>
#include <string.h>

#include "sluice/domain.h"
#include "sluice/error.h"

static const char *const state_names[AG_STATE_MAX] = {
	[AG_DRAFT] = "draft",
	[AG_AWAITING_SIGNATURES] = "awaiting-signatures",
	[AG_SIGNED] = "signed",
	[AG_LIVE] = "live",
	[AG_SUSPENDED] = "suspended",
	[AG_EXPIRED] = "expired",
	[AG_CLOSED] = "closed",
};

/* name: the event as a word; verb: how a refusal says it ("cannot %s an
 * agreement that is %s"). Refusal texts are stable: tests and users rely
 * on them. */
static const struct {
	const char	*name;
	const char	*verb;
} events[EV_MAX] = {
	[EV_DOCUMENT] = { "document", "add a document to" },
	[EV_SIGNED] = { "signed", "sign" },
	[EV_STARTS] = { "starts", "start" },
	[EV_EXPIRES] = { "expires", "expire" },
	[EV_SUSPEND] = { "suspend", "suspend" },
	[EV_RESUME] = { "resume", "resume" },
	[EV_EXTEND] = { "extend", "extend" },
	[EV_CERTIFIED] = { "certified", "certify deletion for" },
};

/*
 * docs/design.md section 3, the only place transitions are defined.
 *
 * Extension: `agreement extend` makes version N+1, which both parties sign
 * again; until then version N governs and the state does not move. EV_EXTEND
 * is the moment version N+1's signatures verify: the new version governs
 * from then on and the agreement keeps its state (live stays live, signed
 * stays signed). The dated transitions (starts, expires) then follow the new
 * version's dates as usual, so an extension never opens a gap in which a
 * live agreement is briefly "signed". A suspended agreement is not extended
 * (docs/design.md names live and signed only): resume it first.
 */
static const struct transition {
	enum agreement_state	from;
	enum agreement_event	event;
	enum agreement_state	to;
} transitions[] = {
	{ AG_DRAFT,			EV_DOCUMENT,	AG_AWAITING_SIGNATURES },
	{ AG_AWAITING_SIGNATURES,	EV_SIGNED,	AG_SIGNED },
	{ AG_SIGNED,			EV_STARTS,	AG_LIVE },
	{ AG_SIGNED,			EV_EXPIRES,	AG_EXPIRED },	/* signed after its dates */
	{ AG_LIVE,			EV_EXPIRES,	AG_EXPIRED },
	{ AG_SUSPENDED,			EV_EXPIRES,	AG_EXPIRED },
	{ AG_LIVE,			EV_SUSPEND,	AG_SUSPENDED },
	{ AG_SUSPENDED,			EV_RESUME,	AG_LIVE },
	{ AG_LIVE,			EV_EXTEND,	AG_LIVE },
	{ AG_SIGNED,			EV_EXTEND,	AG_SIGNED },
	{ AG_EXPIRED,			EV_CERTIFIED,	AG_CLOSED },
};

const char *
agreement_state_name(enum agreement_state s)
{
	if ((unsigned)s >= AG_STATE_MAX)
		return "unknown";
	return state_names[s];
}

/* The index of name in names[0..n), or -1. */
static int
name_index(const char *name, const char *const *names, size_t n)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

int
agreement_state_parse(const char *name, enum agreement_state *s)
{
	int i = name_index(name, state_names, AG_STATE_MAX);

	if (i < 0)
		return SLUICE_EINVAL;
	*s = (enum agreement_state)i;
	return 0;
}

const char *
agreement_event_name(enum agreement_event e)
{
	if ((unsigned)e >= EV_MAX)
		return "unknown";
	return events[e].name;
}

int
agreement_transition(enum agreement_state from, enum agreement_event ev,
    enum agreement_state *to, char *why, size_t whylen)
{
	size_t i;

	if ((unsigned)from >= AG_STATE_MAX || (unsigned)ev >= EV_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "unknown agreement state or event");
	for (i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++) {
		if (transitions[i].from == from && transitions[i].event == ev) {
			*to = transitions[i].to;
			return 0;
		}
	}
	return sluice_why(why, whylen, SLUICE_ESTATE,
	    "cannot %s an agreement that is %s", events[ev].verb,
	    state_names[from]);
}

const char *
party_name(enum party p)
{
	switch (p) {
	case PARTY_APPLICANT:	return "applicant";
	case PARTY_CONTROLLER:	return "controller";
	}
	return "unknown";
}

int
party_parse(const char *name, enum party *p)
{
	if (name == NULL)
		return SLUICE_EINVAL;
	if (strcmp(name, "applicant") == 0)
		*p = PARTY_APPLICANT;
	else if (strcmp(name, "controller") == 0)
		*p = PARTY_CONTROLLER;
	else
		return SLUICE_EINVAL;
	return 0;
}

/* In the order roles_format() writes them. */
static const struct {
	const char	*name;
	uint32_t	 bit;
} role_names[] = {
	{ "operator", ROLE_OPERATOR },
	{ "approver", ROLE_APPROVER },
	{ "auditor", ROLE_AUDITOR },
	{ "admin", ROLE_ADMIN },
	{ "recipient", ROLE_RECIPIENT },
};
#define NROLES (sizeof(role_names) / sizeof(role_names[0]))

/*
 * A copy of untrusted text fit for a one-line reason: at most 40 bytes,
 * anything but printable ASCII shown as '?', so a name can never break a
 * log or audit line.
 */
static void
printable(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, j = 0;

	for (i = 0; i < n && s[i] != '\0' && j + 1 < outlen && i < 40; i++)
		out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (j + 4 < outlen && i < n && s[i] != '\0') {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

static int
role_lookup(const char *s, size_t n, uint32_t *bit, char *why, size_t whylen)
{
	char shown[48];
	size_t i;

	if (n == 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "empty role name (roles: operator, approver, auditor, admin)");
	for (i = 0; i < NROLES; i++) {
		if (strlen(role_names[i].name) == n &&
		    memcmp(role_names[i].name, s, n) == 0) {
			*bit = role_names[i].bit;
			break;
		}
	}
	if (i == NROLES) {
		printable(s, n, shown, sizeof(shown));
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "unknown role \"%s\" (roles: operator, approver, auditor, admin)",
		    shown);
	}
	if (*bit == ROLE_RECIPIENT)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "recipient is not a staff role (roles: operator, approver, auditor, admin)");
	return 0;
}

int
roles_parse(const char *list, uint32_t *roles, char *why, size_t whylen)
{
	const char *p, *comma;
	uint32_t bits = 0, bit = 0;
	size_t n;
	int r;

	if (list == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no roles given");
	for (p = list;; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if ((r = role_lookup(p, n, &bit, why, whylen)) != 0)
			return r;
		bits |= bit;
		if (comma == NULL)
			break;
	}
	*roles = bits;
	return 0;
}

int
roles_format(uint32_t roles, char *out, size_t outlen)
{
	uint32_t known = 0;
	size_t i, used = 0, n;

	if (outlen == 0)
		return SLUICE_ETOOBIG;
	out[0] = '\0';
	for (i = 0; i < NROLES; i++)
		known |= role_names[i].bit;
	if ((roles & ~known) != 0)
		return SLUICE_EINVAL;
	for (i = 0; i < NROLES; i++) {
		if ((roles & role_names[i].bit) == 0)
			continue;
		n = strlen(role_names[i].name);
		if (used + (used > 0) + n >= outlen)
			return SLUICE_ETOOBIG;
		if (used > 0)
			out[used++] = ',';
		memcpy(out + used, role_names[i].name, n);
		used += n;
		out[used] = '\0';
	}
	return 0;
}

static const char *const dspt_names[] = {
	[DSPT_NONE] = "none",
	[DSPT_NOT_MET] = "not-met",
	[DSPT_APPROACHING] = "approaching-standards",
	[DSPT_MET] = "standards-met",
	[DSPT_EXCEEDED] = "standards-exceeded",
};
#define NDSPT (sizeof(dspt_names) / sizeof(dspt_names[0]))

const char *
dspt_status_name(enum dspt_status s)
{
	if ((unsigned)s >= NDSPT)
		return "unknown";
	return dspt_names[s];
}

int
dspt_status_parse(const char *name, enum dspt_status *s)
{
	int i = name_index(name, dspt_names, NDSPT);

	if (i < 0)
		return SLUICE_EINVAL;
	*s = (enum dspt_status)i;
	return 0;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper_or_digit(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z');
}

#define NIC_LEN 16	/* NIC-123456-A1B2C */

static int
nic_well_formed(const char *s)
{
	int i;

	if (strlen(s) != NIC_LEN || memcmp(s, "NIC-", 4) != 0 || s[10] != '-')
		return 0;
	for (i = 4; i < 10; i++)
		if (!is_digit(s[i]))
			return 0;
	for (i = 11; i < NIC_LEN; i++)
		if (!is_upper_or_digit(s[i]))
			return 0;
	return 1;
}

int
nic_check(const char *s, char *why, size_t whylen)
{
	char shown[48];

	if (s != NULL && nic_well_formed(s))
		return 0;
	if (s == NULL || *s == '\0')
		snprintf(shown, sizeof(shown), "(empty)");
	else
		printable(s, strlen(s), shown, sizeof(shown));
	return sluice_why(why, whylen, SLUICE_EFORMAT,
	    "%s: a NIC reference is NIC-, six digits, -, five upper-case "
	    "letters or digits (e.g. NIC-123456-A1B2C)", shown);
}

static int
is_name_char(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    c == '.' || c == '_' || c == '-';
}

int
name_check(const char *s, size_t max, char *why, size_t whylen)
{
	char shown[48];
	size_t i, n;

	if (s == NULL || *s == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "a name cannot be empty");
	n = strlen(s);
	printable(s, n, shown, sizeof(shown));
	if (n > max)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "%s: a name is at most %zu bytes", shown, max);
	for (i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "%s: a name holds only letters, digits, '.', '_' and '-'",
			    shown);
	if (s[0] == '.' || s[0] == '-')
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "%s: a name cannot start with '.' or '-'", shown);
	return 0;
}
