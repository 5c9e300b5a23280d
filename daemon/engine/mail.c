/*
 * The scheduler's messages: their text, their dedupe key and to whom each
 * goes, queued once each (mail.h). When each is due is the scheduler's
 * (schedule.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "engine/mail.h"
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

/* The body's text: fmt, at most 8 KiB of it. */
static int
put_text(struct sbuf *body, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static int
put_text(struct sbuf *body, const char *fmt, va_list ap)
{
	char text[8192];
	int n;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return SLUICE_ETOOBIG;
	return sbuf_put(body, text, (size_t)n);
}

/* Signs off the body and puts the message in the outbox under key, unless
 * it has no address or the key was queued before. */
static int
enqueue(struct engine *e, const char *key, struct sbuf *to,
    const char *subject, struct sbuf *body)
{
	int r;

	if ((r = sbuf_put(body, SIGNATURE_LINE, strlen(SIGNATURE_LINE))) != 0 ||
	    (r = sbuf_put_u8(body, 0)) != 0 || (r = sbuf_put_u8(to, 0)) != 0)
		return r;
	if (sbuf_len(to) == 1) {
		log_warnx("mail: %s: nobody to send it to (no addresses)", key);
		return 0;
	}
	r = outbox_enqueue(e->st, key, (const char *)sbuf_ptr(to), subject,
	    (const char *)sbuf_ptr(body), NULL);
	if (r == 0)
		log_info("mail: queued %s to %s", key, (const char *)sbuf_ptr(to));
	return r == SLUICE_EEXIST ? 0 : r;
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
	va_list ap;
	int r;

	if ((to = sbuf_new()) == NULL || (body = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = queue_to(e, audience, org, addr, to, body)) != 0)
		goto out;
	va_start(ap, fmt);
	r = put_text(body, fmt, ap);
	va_end(ap);
	if (r == 0)
		r = enqueue(e, key, to, subject, body);
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

int32_t
mail_cert_due(const struct engine *e, const struct agreement *a)
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

int
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
	day_text(mail_cert_due(e, a), due);
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

int
mail_cert_reminder(struct engine *e, const struct agreement *a, int32_t today)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], due[11];
	int32_t left = mail_cert_due(e, a) - today, d;

	if (left < 0)
		return 0;
	d = nearest_reached(e->cfg->policy.cert_reminder_days,
	    e->cfg->policy.n_cert_reminder_days, left);
	if (d < 0)
		return 0;
	day_text(mail_cert_due(e, a), due);
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

/* To staff, then to the organisation: a's certificate is overdue and the
 * organisation sanctioned. */
int
mail_overdue(struct engine *e, const struct agreement *a)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], due[11];
	int r;

	day_text(mail_cert_due(e, a), due);
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
		return r;
	(void)snprintf(key, sizeof(key), "sanction:%s:%d", a->nic, a->version);
	(void)snprintf(subject, sizeof(subject), "[sluice] %s sanctioned: "
	    "certificate of deletion for %s overdue", a->org, a->nic);
	return queue(e, key, TO_ORG, a->org, NULL, subject,
	    "The certificate of deletion for Data Sharing Agreement %s was\n"
	    "due by %s and has not been received.\n\n%s receives no data "
	    "under any agreement until it is. Upload it\nwith sftp into "
	    "/%s/deletion-certificate/; the sanction lifts as soon\nas it is "
	    "accepted.\n", a->nic, due, a->org, a->nic);
}

/* ---- organisations: sanction lifted, DSPT and DSFC ----------------------- */

int
mail_sanction_lifted(struct engine *e, const struct org *o, int64_t audit_id)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX];

	(void)snprintf(key, sizeof(key), "sanction-lifted:%s:%lld", o->code,
	    (long long)audit_id);
	(void)snprintf(subject, sizeof(subject), "[sluice] %s: sanction lifted",
	    o->code);
	return queue(e, key, TO_ORG | TO_STAFF, o->code, NULL, subject,
	    "Every overdue certificate of deletion of %s has now been\n"
	    "accepted. The sanction is lifted: data flows again under its\n"
	    "live agreements.\n", o->code);
}

int
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

int
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

/* ---- certificates -------------------------------------------------------- */

static int
mail_cert_accepted(struct engine *e, const struct agreement *a,
    const struct deletion_certificate *dc, int64_t cert_id)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], day[11];

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

/* The rejection goes to the uploader when the store knows an address; one
 * a day per agreement (the key names the day), however many are rejected:
 * each rejection is told to its uploader at upload anyway. */
static int
mail_cert_rejected(struct engine *e, const struct agreement *a,
    const struct deletion_certificate *dc, int64_t cert_id)
{
	char key[STORE_TEXT_MAX], subject[STORE_TEXT_MAX], day[11];
	struct person p;
	int r;

	(void)sluice_date_format(sluice_day_of(sluice_now()), day, sizeof(day));
	(void)snprintf(key, sizeof(key), "cert-rejected:%s:%s", a->nic, day);
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
	    "/%s/deletion-certificate/.\n\nThis is the first rejection of "
	    "the day for this agreement; any more today\nare not mailed (the "
	    "upload itself says why each is refused).\n", a->nic,
	    (long long)cert_id, dc->reason, a->nic);
}

int
mail_certificate(struct engine *e, const struct agreement *a,
    const struct deletion_certificate *dc, int64_t cert_id)
{
	if (dc->accepted)
		return mail_cert_accepted(e, a, dc, cert_id);
	return mail_cert_rejected(e, a, dc, cert_id);
}
