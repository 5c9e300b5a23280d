/*
 * A recipient's certificate of deletion, judged at CLOSE: verified against
 * the organisation's pinned signatories that are not revoked (pins.h), and
 * against the agreement: its NIC, organisation, datasets and dates;
 * accepted closes the agreement, rejected is kept for audit with its
 * reason. (Staff uploads are sealed as they arrive: sealed.c.)
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/vfs.h"
#include "engine/mail.h"
#include "engine/pins.h"
#include "engine/schedule.h"
#include "sluice/certdoc.h"
#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/error.h"
#include "sluice/files.h"
#include "sluice/log.h"

/* The next item of a comma-separated list at *p, without the spaces
 * around it: [*item, *item + *len); *p moves past it. 0 at the end. */
static int
next_item(const char **p, const char **item, size_t *len)
{
	const char *s = *p, *end;

	if (*s == '\0')
		return 0;
	end = strchr(s, ',');
	if (end == NULL)
		end = s + strlen(s);
	*p = *end == ',' ? end + 1 : end;
	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	*item = s;
	*len = (size_t)(end - s);
	return 1;
}

/* Whether list names item (of len bytes, not empty). */
static int
list_has(const char *list, const char *item, size_t len)
{
	const char *p = list, *x;
	size_t n;

	while (next_item(&p, &x, &n))
		if (n == len && memcmp(x, item, len) == 0)
			return 1;
	return 0;
}

/* Every non-empty item of a is in b. */
static int
list_within(const char *a, const char *b)
{
	const char *p = a, *x;
	size_t n;

	while (next_item(&p, &x, &n))
		if (n > 0 && !list_has(b, x, n))
			return 0;
	return 1;
}

/* The certificate's Datasets and the agreement's are one set: split on
 * commas, spaces around items, order and repeats aside. */
static int
datasets_match(const char *cert, const char *agreed)
{
	return list_within(cert, agreed) && list_within(agreed, cert);
}

/* The signed text's own checks, then that it fits agreement a. */
static int
certdoc_judge(const struct agreement *a, const struct cms_result *res,
    int64_t now, struct deletion_certificate *dc, char *why, size_t whylen)
{
	struct certdoc doc;
	int r;

	memset(&doc, 0, sizeof(doc));
	if ((r = certdoc_parse(res->content, res->content_len, &doc, why,
	    whylen)) != 0 || (r = certdoc_check(&doc, a->nic, a->org,
	    sluice_day_of(now), why, whylen)) != 0)
		goto out;
	dc->destroyed_on = doc.destroyed_on;
	if (!datasets_match(doc.datasets, a->datasets != NULL ? a->datasets : ""))
		r = sluice_why(why, whylen, SLUICE_EINVAL,
		    "certificate of deletion names datasets %.64s, not the "
		    "agreement's %.64s", doc.datasets,
		    a->datasets != NULL ? a->datasets : "");
	else if (doc.destroyed_on < a->starts)
		r = sluice_why(why, whylen, SLUICE_EINVAL,
		    "Destroyed-On is before the agreement started");
	else if (a->state != AG_EXPIRED)
		r = sluice_why(why, whylen, SLUICE_ESTATE,
		    "agreement %s is %s; a certificate of deletion closes an "
		    "expired agreement", a->nic, agreement_state_name(a->state));
out:
	certdoc_clear(&doc);
	return r;
}

/* Verifies an uploaded certificate; fills dc's verdict fields. */
static int
certificate_judge(struct engine *e, const struct agreement *a,
    const struct sbuf *bytes, struct deletion_certificate *dc, char *why,
    size_t whylen)
{
	struct signatory_list sl;
	struct cms_pin *pins = NULL;
	struct cms_result res;
	int64_t now = sluice_now();
	int r;

	memset(&sl, 0, sizeof(sl));
	memset(&res, 0, sizeof(res));
	if ((r = pins_for(e->st, a->org, &sl, &pins)) != 0)
		goto out;
	if ((r = cms_verify(sbuf_ptr(bytes), sbuf_len(bytes), NULL, 0, pins, sl.n,
	    a->org, now, &res, why, whylen)) != 0) {
		if (r == SLUICE_EVERIFY && pins_revoked_signer(e->st, a->org,
		    sbuf_ptr(bytes), sbuf_len(bytes), NULL, 0, now, why,
		    whylen) != 0)
			r = SLUICE_EDENIED;
		goto out;
	}
	dc->signatory_id = sl.v[res.pin].id;
	r = certdoc_judge(a, &res, now, dc, why, whylen);
out:
	cms_result_clear(&res);
	free(pins);
	signatory_list_free(&sl);
	return r;
}

/* The audit details of a verdict: a rejection names the bytes by size and
 * SHA-256, as they may not be kept (certificate_bound()). */
static void
certificate_details(const struct deletion_certificate *dc, char *out,
    size_t outlen)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	if (dc->accepted) {
		(void)snprintf(out, outlen,
		    "certificate of deletion accepted; agreement closed");
		return;
	}
	crypto_hash_sha256(md, dc->cms, dc->cms_len);
	sodium_bin2hex(hex, sizeof(hex), md, sizeof(md));
	(void)snprintf(out, outlen, "%s (%zu bytes, sha256 %s)", dc->reason,
	    dc->cms_len, hex);
}

/* Records the verdict and, when accepted, closes the agreement: one
 * transaction with its audit entry. */
static int
certificate_record(struct engine *e, struct conn *c, const struct agreement *a,
    struct deletion_certificate *dc)
{
	char details[STORE_TEXT_MAX + 128];
	int64_t id = 0;
	int r;

	certificate_details(dc, details, sizeof(details));
	if ((r = store_begin(e->st)) != 0)
		return r;
	if ((r = certificate_add(e->st, dc, &id, NULL, 0)) != 0 ||
	    (dc->accepted &&
	    (r = agreement_set_state(e->st, a->id, AG_CLOSED)) != 0) ||
	    (!dc->accepted && (r = certificate_prune_rejected(e->st, a->id,
	    e->cfg->policy.cert_rejected_kept)) != 0) ||
	    (r = audit_append(e->st, c->who.user, "certificate upload", a->nic,
	    dc->accepted ? "ok" : "refused", details, NULL)) != 0 ||
	    /* The receipt or the reason, with the verdict it reports. */
	    (r = mail_certificate(e, a, dc, id)) != 0 ||
	    (r = store_commit(e->st)) != 0) {
		store_rollback(e->st);
		return r;
	}
	return 0;
}

/* Reads the upload (within the policy's limit) into bytes and judges it:
 * 0 when accepted, else the refusal with why. One written past the limit
 * (its writes were refused from there on, end says how far it went) is
 * refused unjudged, its bytes as far as they were taken. */
static int
certificate_read(struct engine *e, const struct open_file *of, uint64_t end,
    const struct agreement *a, struct sbuf *bytes,
    struct deletion_certificate *dc, char *why, size_t whylen)
{
	int64_t max = e->cfg->policy.cert_max_bytes;
	size_t cap = max > 0 ? (size_t)max : CMS_MAX_INPUT;
	int v;

	v = files_read(of->tmp_path, cap, bytes);
	if (v == SLUICE_ETOOBIG || (v == 0 && end > cap))
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "certificate larger than %zu bytes", cap);
	if (v == 0)
		v = certificate_judge(e, a, bytes, dc, why, whylen);
	return v;
}

/* The row to keep, accepted (v == 0) or not, with the bytes as uploaded. */
static void
certificate_verdict(struct deletion_certificate *dc, const struct agreement *a,
    const struct conn *c, const struct sbuf *bytes, int v, const char *why)
{
	dc->agreement_id = a->id;
	dc->uploaded_by = c->who.id;
	dc->cms = (uint8_t *)(uintptr_t)sbuf_ptr(bytes);
	dc->cms_len = sbuf_len(bytes);
	dc->accepted = v == 0;
	(void)snprintf(dc->reason, sizeof(dc->reason), "%s", v == 0 ? "" : why);
}

int
engine_certificate_upload(struct engine *e, struct conn *c,
    struct open_file *of, uint64_t written_end, char *why, size_t whylen)
{
	struct deletion_certificate dc;
	struct agreement a;
	struct sbuf *bytes = NULL;
	int r, v;

	memset(&a, 0, sizeof(a));
	memset(&dc, 0, sizeof(dc));
	if ((bytes = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	/* Uploads opened before the day's limit was reached end here. */
	if ((r = engine_certificate_may_upload(e, c, of->nic, why,
	    whylen)) != 0 ||
	    (r = agreement_governing(e->st, of->nic, &a)) != 0)
		goto out;
	v = certificate_read(e, of, written_end, &a, bytes, &dc, why, whylen);
	certificate_verdict(&dc, &a, c, bytes, v, why);
	if ((r = certificate_record(e, c, &a, &dc)) != 0)
		goto out;
	/* Sends the receipt or the reason now, and lifts a sanction this
	 * certificate ends. */
	schedule_run(e, sluice_now());
	if (v == 0) {
		ipc_generation_bump(e->sh);
		(void)snprintf(why, whylen, "certificate of deletion accepted: "
		    "agreement %s is closed", a.nic);
	}
	r = v;
out:
	agreement_clear(&a);
	sbuf_free(bytes);
	return r;
}

/* ---- the daily limit on rejected certificates ---------------------------- */

/* Audits c's refusal for the daily limit once a day per recipient (and for
 * at most ENGINE_CERT_NOTED recipients a day), so refused uploads cannot
 * grow the log. */
static void
certificate_limit_audit(struct engine *e, const struct conn *c,
    const char *nic, const char *why)
{
	int32_t today = sluice_day_of(sluice_now());
	size_t i;

	if (e->cert_noted_day != today) {
		e->cert_noted_day = today;
		e->cert_noted_n = 0;
	}
	for (i = 0; i < e->cert_noted_n; i++)
		if (e->cert_noted[i] == c->who.id)
			return;
	if (e->cert_noted_n == ENGINE_CERT_NOTED)
		return;
	e->cert_noted[e->cert_noted_n++] = c->who.id;
	engine_audit(e, c->who.user, "certificate upload", nic, "refused",
	    "%s (further refusals today are not audited)", why);
}

int
engine_certificate_may_upload(struct engine *e, const struct conn *c,
    const char *nic, char *why, size_t whylen)
{
	int32_t max = e->cfg->policy.cert_max_rejected_per_day;
	int64_t n = 0, now = sluice_now();
	int r;

	if ((r = certificate_rejected_since(e->st, c->who.id,
	    (int64_t)sluice_day_of(now) * SLUICE_DAY, &n)) != 0)
		return sluice_why(why, whylen, r, "upload failed");
	if (n < max)
		return 0;
	r = sluice_why(why, whylen, SLUICE_EDENIED, "daily limit reached: %d "
	    "certificates of deletion rejected today; upload again tomorrow "
	    "(UTC)", (int)max);
	certificate_limit_audit(e, c, nic, why);
	return r;
}
