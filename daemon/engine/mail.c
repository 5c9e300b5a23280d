/*
 * The scheduler's messages: what is due to whom, queued once each (mail.h),
 * and the sanction that an overdue certificate of deletion brings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/mail.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"

#define SIGNATURE_LINE \
	"\n-- \nsluice, the data release service. This message was sent " \
	"automatically;\nreply to the service desk, not to this address.\n"

/* ---- addresses ----------------------------------------------------------- */

static int
add_address(struct sbuf *to, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return 0;
	if (sbuf_len(to) > 0 && sbuf_put_u8(to, ',') != 0)
		return SLUICE_ENOMEM;
	return sbuf_put(to, addr, strlen(addr));
}

/* Active recipients of org with an e-mail address, comma-separated. */
static int
org_addresses(struct engine *e, const char *org, struct sbuf *to)
{
	struct person_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = person_list(e->st, org, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++)
		if (l.v[i].active)
			r = add_address(to, l.v[i].email);
	person_list_free(&l);
	return r;
}

/* cfg->staff_to, else every active admin with an e-mail address. */
static int
staff_addresses(struct engine *e, struct sbuf *to)
{
	struct staff_list l = { NULL, 0 };
	size_t i;
	int r;

	if (e->cfg->staff_to[0] != '\0')
		return add_address(to, e->cfg->staff_to);
	if ((r = staff_list(e->st, &l)) != 0)
		return r;
	for (i = 0; i < l.n && r == 0; i++)
		if (l.v[i].active && (l.v[i].roles & ROLE_ADMIN))
			r = add_address(to, l.v[i].email);
	staff_list_free(&l);
	return r;
}

enum audience {
	TO_ORG = 1,		/* the organisation's recipients */
	TO_STAFF = 2,
	TO_ADDR = 4,		/* addr; the organisation if addr is "" */
};

static int
queue_to(struct engine *e, unsigned audience, const char *org,
    const char *addr, struct sbuf *to, struct sbuf *body)
{
	int r;

	if ((audience & TO_ADDR) && addr != NULL && *addr != '\0')
		return add_address(to, addr);
	if ((audience & (TO_ORG | TO_ADDR)) &&
	    (r = org_addresses(e, org, to)) != 0)
		return r;
	if ((audience & (TO_ORG | TO_ADDR)) && sbuf_len(to) == 0) {
		if ((r = sbuf_putf(body, "(No recipient of %s has an e-mail "
		    "address registered; this message,\nmeant for them, goes "
		    "to staff.)\n\n", org)) != 0)
			return r;
		audience |= TO_STAFF;
	}
	if (audience & TO_STAFF)
		return staff_addresses(e, to);
	return 0;
}

/*
 * Queues key once, to the audience, with the body fmt. A key queued before
 * is not an error; nobody to send it to is logged and skipped.
 */
static int
queue(struct engine *e, const char *key, unsigned audience, const char *org,
    const char *addr, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int
queue(struct engine *e, const char *key, unsigned audience, const char *org,
    const char *addr, const char *subject, const char *fmt, ...)
{
	struct sbuf *to = NULL, *body = NULL;
	char text[8192];
	va_list ap;
	int n, r;

	if ((to = sbuf_new()) == NULL || (body = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = queue_to(e, audience, org, addr, to, body)) != 0)
		goto out;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		r = SLUICE_ETOOBIG;
		goto out;
	}
	if ((r = sbuf_put(body, text, (size_t)n)) != 0 ||
	    (r = sbuf_put(body, SIGNATURE_LINE, strlen(SIGNATURE_LINE))) != 0 ||
	    (r = sbuf_put_u8(body, 0)) != 0 || (r = sbuf_put_u8(to, 0)) != 0)
		goto out;
	if (sbuf_len(to) == 1) {
		log_warnx("mail: %s: nobody to send it to (no addresses)", key);
		goto out;
	}
	r = outbox_enqueue(e->st, key, (const char *)sbuf_ptr(to), subject,
	    (const char *)sbuf_ptr(body), NULL);
	if (r == 0)
		log_info("mail: queued %s to %s", key, (const char *)sbuf_ptr(to));
	else if (r == SLUICE_EEXIST)
		r = 0;
out:
	sbuf_free(to);
	sbuf_free(body);
	return r;
}

static void
day_text(int32_t day, char out[11])
{
	if (sluice_date_format(day, out, 11) != 0)
		(void)snprintf(out, 11, "?");
}

static const char *
days_word(int32_t n)
{
	return n == 1 ? "day" : "days";
}

static int32_t
cert_due(struct engine *e, const struct agreement *a)
{
	return a->expires + e->cfg->policy.cert_due_days;
}

/* The nearest of the (descending) days already reached, or -1. */
static int32_t
nearest_reached(const int32_t *days, size_t n, int32_t left)
{
	size_t i;

	for (i = n; i > 0; i--)
		if (left <= days[i - 1])
			return days[i - 1];
	return -1;
}

/* ---- agreements ---------------------------------------------------------- */

static int
mail_expiry_reminder(struct engine *e, const struct agreement *a,
    int32_t today)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], last[11];
	int32_t left = a->expires - today, d;

	if (left < 0)
		return 0;
	d = nearest_reached(e->cfg->policy.expiry_days,
	    e->cfg->policy.n_expiry_days, left);
	if (d < 0)
		return 0;
	day_text(a->expires, last);
	(void)snprintf(key, sizeof(key), "expiry-%d:%s:%d", d, a->nic,
	    a->version);
	(void)snprintf(subject, sizeof(subject),
	    "[sluice] %s expires in %d %s (last day %s)", a->nic, left,
	    days_word(left), last);
	return queue(e, key, TO_ORG, a->org, NULL, subject,
	    "Data Sharing Agreement %s (version %d, \"%s\") of %s is in force\n"
	    "until the end of %s (UTC): %d %s from now. After that day no\n"
	    "data is released under it, and a certificate of deletion is due\n"
	    "within %d days.\n\nTo continue, ask for an extension before then.\n",
	    a->nic, a->version, a->title, a->org, last, left, days_word(left),
	    e->cfg->policy.cert_due_days);
}

int
mail_expired(struct engine *e, const struct agreement *a)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], last[11], due[11];

	day_text(a->expires, last);
	day_text(cert_due(e, a), due);
	(void)snprintf(key, sizeof(key), "expired:%s:%d", a->nic, a->version);
	(void)snprintf(subject, sizeof(subject),
	    "[sluice] %s has expired: certificate of deletion due by %s",
	    a->nic, due);
	return queue(e, key, TO_ORG, a->org, NULL, subject,
	    "Data Sharing Agreement %s (version %d, \"%s\") of %s expired\n"
	    "at the end of %s. No more data is released under it.\n\n"
	    "Destroy every copy of the data received under it, then send a\n"
	    "certificate of deletion by %s: a UTF-8 text of these lines,\n"
	    "CMS-signed by a signatory registered to %s,\n\n"
	    "  Sluice-Deletion-Certificate: 1\n"
	    "  Agreement: %s\n"
	    "  Organisation: %s\n"
	    "  Datasets: %s\n"
	    "  Destroyed-On: YYYY-MM-DD\n"
	    "  Method: <how>\n"
	    "  Copies: <where copies were, and that all are destroyed>\n"
	    "  Signatory: <name>, <role>\n\n"
	    "uploaded with sftp into /%s/deletion-certificate/.\n\n"
	    "If it is not received by %s, %s receives no data under any\n"
	    "agreement until it is.\n",
	    a->nic, a->version, a->title, a->org, last, due, a->org, a->nic,
	    a->org, a->datasets, a->nic, due, a->org);
}

static int
mail_cert_reminder(struct engine *e, const struct agreement *a, int32_t today)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], due[11];
	int32_t left = cert_due(e, a) - today, d;

	if (left < 0)
		return 0;
	d = nearest_reached(e->cfg->policy.cert_reminder_days,
	    e->cfg->policy.n_cert_reminder_days, left);
	if (d < 0)
		return 0;
	day_text(cert_due(e, a), due);
	(void)snprintf(key, sizeof(key), "cert-reminder-%d:%s:%d", d, a->nic,
	    a->version);
	(void)snprintf(subject, sizeof(subject),
	    "[sluice] %s: certificate of deletion due in %d %s (by %s)",
	    a->nic, left, days_word(left), due);
	return queue(e, key, TO_ORG, a->org, NULL, subject,
	    "The certificate of deletion for Data Sharing Agreement %s, which\n"
	    "expired at the end of the day before, is due by %s: %d %s from\n"
	    "now. Upload it with sftp into /%s/deletion-certificate/.\n\n"
	    "If it is not received by then, %s receives no data under any\n"
	    "agreement until it is.\n", a->nic, due, left, days_word(left),
	    a->nic, a->org);
}

/* Sets the sanction (if not set yet) and queues its two messages: one
 * transaction. *changed = 1 when the sanction was set now. */
static int
sanction(struct engine *e, const struct agreement *a, int *changed)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], due[11];
	char details[STORE_TEXT_MAX];
	struct org o;
	int r;

	day_text(cert_due(e, a), due);
	if ((r = store_begin(e->st)) != 0)
		return r;
	if ((r = org_get(e->st, a->org, &o)) != 0)
		goto fail;
	if (!o.sanctioned) {
		(void)snprintf(details, sizeof(details), "certificate of deletion "
		    "for %s overdue (due %s): no data under any agreement until "
		    "it is received", a->nic, due);
		if ((r = org_set_sanctioned(e->st, a->org, 1)) != 0 ||
		    (r = audit_append(e->st, "scheduler", "org sanction", a->org,
		    "ok", details, NULL)) != 0)
			goto fail;
		*changed = 1;
	}
	(void)snprintf(key, sizeof(key), "overdue-staff:%s:%d", a->nic,
	    a->version);
	(void)snprintf(subject, sizeof(subject), "[sluice] %s: certificate of "
	    "deletion overdue (due %s); %s sanctioned", a->nic, due, a->org);
	if ((r = queue(e, key, TO_STAFF, a->org, NULL, subject,
	    "The certificate of deletion for Data Sharing Agreement %s of %s\n"
	    "was due by %s and has not been received.\n\n%s is sanctioned: "
	    "it receives no data under any agreement\nuntil the certificate "
	    "is accepted; the sanction then lifts by itself.\n", a->nic,
	    a->org, due, a->org)) != 0)
		goto fail;
	(void)snprintf(key, sizeof(key), "sanction:%s:%d", a->nic, a->version);
	(void)snprintf(subject, sizeof(subject), "[sluice] %s sanctioned: "
	    "certificate of deletion for %s overdue", a->org, a->nic);
	if ((r = queue(e, key, TO_ORG, a->org, NULL, subject,
	    "The certificate of deletion for Data Sharing Agreement %s was\n"
	    "due by %s and has not been received.\n\n%s receives no data "
	    "under any agreement until it is. Upload it\nwith sftp into "
	    "/%s/deletion-certificate/; the sanction lifts as soon\nas it is "
	    "accepted.\n", a->nic, due, a->org, a->nic)) != 0)
		goto fail;
	if ((r = store_commit(e->st)) != 0)
		goto fail;
	if (*changed)
		log_info("scheduler: %s sanctioned: certificate for %s overdue",
		    a->org, a->nic);
	return 0;
fail:
	store_rollback(e->st);
	return r;
}

/* 1 when a is expired, its certificate not accepted, and past due. */
static int
cert_overdue(struct engine *e, const struct agreement *a, int32_t today)
{
	int accepted = 0;

	if (a->state != AG_EXPIRED || today <= cert_due(e, a))
		return 0;
	if (certificate_accepted(e->st, a->id, &accepted) != 0)
		return 0;
	return !accepted;
}

static int
mail_agreement(struct engine *e, const struct agreement *a, int32_t today,
    int *changed)
{
	int accepted = 0, r;

	switch (a->state) {
	case AG_SIGNED:
	case AG_LIVE:
	case AG_SUSPENDED:
		return mail_expiry_reminder(e, a, today);
	case AG_EXPIRED:
		if ((r = certificate_accepted(e->st, a->id, &accepted)) != 0 ||
		    accepted)
			return r;
		/* Normally queued with the transition; this catches the rest. */
		if ((r = mail_expired(e, a)) != 0)
			return r;
		if (cert_overdue(e, a, today))
			return sanction(e, a, changed);
		return mail_cert_reminder(e, a, today);
	default:
		return 0;
	}
}

static int
mail_agreements(struct engine *e, int32_t today, int *changed)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = agreement_list(e->st, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		return r;
	for (i = 0; i < l.n; i++)
		if ((r = mail_agreement(e, &l.v[i], today, changed)) != 0)
			log_warnx("mail: %s: %s", l.v[i].nic, sluice_strerror(r));
	agreement_list_free(&l);
	return 0;
}

/* ---- organisations: lifting sanctions, DSPT and DSFC --------------------- */

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
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX];
	int64_t audit_id = 0;
	int r;

	if ((r = store_begin(e->st)) != 0)
		return r;
	if ((r = org_set_sanctioned(e->st, o->code, 0)) != 0 ||
	    (r = audit_append(e->st, "scheduler", "org sanction lifted",
	    o->code, "ok", "every overdue certificate of deletion has been "
	    "accepted", &audit_id)) != 0)
		goto fail;
	(void)snprintf(key, sizeof(key), "sanction-lifted:%s:%lld", o->code,
	    (long long)audit_id);
	(void)snprintf(subject, sizeof(subject), "[sluice] %s: sanction lifted",
	    o->code);
	if ((r = queue(e, key, TO_ORG | TO_STAFF, o->code, NULL, subject,
	    "Every overdue certificate of deletion of %s has now been\n"
	    "accepted. The sanction is lifted: data flows again under its\n"
	    "live agreements.\n", o->code)) != 0 ||
	    (r = store_commit(e->st)) != 0)
		goto fail;
	log_info("scheduler: %s: sanction lifted", o->code);
	return 0;
fail:
	store_rollback(e->st);
	return r;
}

static int
mail_dspt(struct engine *e, const struct org *o, int32_t today)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], day[11];
	int32_t left = o->dspt_expires - today;

	if (o->dspt_expires == 0 || left < 0 || left > 30)
		return 0;
	day_text(o->dspt_expires, day);
	(void)snprintf(key, sizeof(key), "dspt-30:%s:%s", o->code, day);
	(void)snprintf(subject, sizeof(subject),
	    "[sluice] %s: DSPT expires in %d %s (%s)", o->code, left,
	    days_word(left), day);
	return queue(e, key, TO_ORG | TO_STAFF, o->code, NULL, subject,
	    "The Data Security and Protection Toolkit assessment of %s (%s)\n"
	    "is recorded as %s until %s: %d %s from now. Without a current\n"
	    "assessment it receives no data. Send the new assessment to the\n"
	    "service desk before then.\n", o->code, o->name,
	    dspt_status_name(o->dspt), day, left, days_word(left));
}

static int
mail_contract(struct engine *e, const struct contract *k, int32_t today)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], day[11];
	struct contract next;
	int32_t left = k->expires - today;

	if (left < 0 || left > 30)
		return 0;
	if (contract_in_force(e->st, k->org, k->expires + 1, &next) == 0)
		return 0;	/* a successor takes over: nothing to say */
	day_text(k->expires, day);
	(void)snprintf(key, sizeof(key), "dsfc-30:%s:%.64s:%s", k->org, k->ref,
	    day);
	(void)snprintf(subject, sizeof(subject),
	    "[sluice] %s: contract %.64s expires in %d %s (%s)", k->org, k->ref,
	    left, days_word(left), day);
	return queue(e, key, TO_ORG | TO_STAFF, k->org, NULL, subject,
	    "The Data Sharing Framework Contract %s of %s ends with %s:\n"
	    "%d %s from now, and no later contract is registered. Without one\n"
	    "%s receives no data.\n", k->ref, k->org, day, left,
	    days_word(left), k->org);
}

static int
mail_orgs(struct engine *e, int32_t today, int *changed)
{
	struct org_list ol = { NULL, 0 };
	struct contract_list cl = { NULL, 0 };
	size_t i;
	int r, n;

	if ((r = org_list(e->st, &ol)) != 0 ||
	    (r = contract_list(e->st, NULL, &cl)) != 0)
		goto out;
	for (i = 0; i < ol.n; i++) {
		if (ol.v[i].sanctioned && org_overdue(e, ol.v[i].code, today,
		    &n) == 0 && n == 0) {
			if ((r = sanction_lift(e, &ol.v[i])) == 0)
				*changed = 1;
			else
				log_warnx("mail: lifting %s: %s", ol.v[i].code,
				    sluice_strerror(r));
		}
		if ((r = mail_dspt(e, &ol.v[i], today)) != 0)
			log_warnx("mail: DSPT of %s: %s", ol.v[i].code,
			    sluice_strerror(r));
	}
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

/* ---- certificates -------------------------------------------------------- */

int
mail_certificate(struct engine *e, const struct agreement *a,
    const struct deletion_certificate *dc, int64_t cert_id)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], day[11];
	struct person p;
	int r;

	if (dc->accepted) {
		day_text(dc->destroyed_on, day);
		(void)snprintf(key, sizeof(key), "cert-accepted:%s:%lld", a->nic,
		    (long long)cert_id);
		(void)snprintf(subject, sizeof(subject), "[sluice] %s: "
		    "certificate of deletion accepted", a->nic);
		return queue(e, key, TO_ORG, a->org, NULL, subject,
		    "The certificate of deletion for Data Sharing Agreement %s\n"
		    "of %s (data destroyed on %s) was received and accepted\n"
		    "(receipt %lld). The agreement is closed.\n", a->nic, a->org,
		    day, (long long)cert_id);
	}
	(void)snprintf(key, sizeof(key), "cert-rejected:%s:%lld", a->nic,
	    (long long)cert_id);
	(void)snprintf(subject, sizeof(subject), "[sluice] %s: certificate of "
	    "deletion rejected", a->nic);
	memset(&p, 0, sizeof(p));
	if ((r = person_get_by_id(e->st, dc->uploaded_by, &p)) != 0 &&
	    r != SLUICE_ENOTFOUND)
		return r;
	return queue(e, key, TO_ADDR, a->org, p.email, subject,
	    "A certificate of deletion uploaded for Data Sharing Agreement %s\n"
	    "(upload %lld) was rejected:\n\n  %s\n\nNothing was recorded as "
	    "destroyed. Correct it and upload it again\ninto "
	    "/%s/deletion-certificate/.\n", a->nic, (long long)cert_id,
	    dc->reason, a->nic);
}

/* ---- the scheduler's entry ---------------------------------------------- */

int
schedule_mail(struct engine *e, int64_t now)
{
	int32_t today = sluice_day_of(now);
	int changed = 0;

	if (mail_agreements(e, today, &changed) != 0 ||
	    mail_orgs(e, today, &changed) != 0)
		log_warnx("mail: cannot read the store");
	e->next_mail = mail_deliver(e->cfg, e->st, now);
	return changed;
}
