/*
 * The signatories a new signature may be verified against (pins.h): the
 * registered ones that are not revoked. One place, so agreement signatures
 * and certificates of deletion trust the same certificates.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/pins.h"
#include "sluice/clock.h"
#include "sluice/error.h"

/* Keeps the signatories of l whose revoked-ness is keep_revoked, in order. */
static void
pins_filter(struct signatory_list *l, int keep_revoked)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		if ((l->v[i].revoked_at != 0) != keep_revoked) {
			signatory_clear(&l->v[i]);
			continue;
		}
		if (k != i) {
			l->v[k] = l->v[i];
			memset(&l->v[i], 0, sizeof(l->v[i]));
		}
		k++;
	}
	l->n = k;
}

/* (*pins)[i] borrows l->v[i]. */
static int
pins_point(const struct signatory_list *l, struct cms_pin **pins)
{
	size_t i;

	*pins = NULL;
	if (l->n > 0 && (*pins = calloc(l->n, sizeof(**pins))) == NULL)
		return SLUICE_ENOMEM;
	for (i = 0; i < l->n; i++) {
		(*pins)[i].der = l->v[i].der;
		(*pins)[i].der_len = l->v[i].der_len;
		(*pins)[i].owner = l->v[i].owner;
	}
	return 0;
}

int
pins_of(struct signatory_list *l, struct cms_pin **pins)
{
	pins_filter(l, 0);
	return pins_point(l, pins);
}

int
pins_for(struct store *st, const char *owner, struct signatory_list *l,
    struct cms_pin **pins)
{
	int r;

	*pins = NULL;
	memset(l, 0, sizeof(*l));
	if ((r = signatory_list(st, owner, l)) == 0 &&
	    (r = pins_of(l, pins)) != 0)
		signatory_list_free(l);
	return r;
}

/* "signatory certificate SERIAL of OWNER was revoked on DATE: REASON". */
static int
revoked_why(const struct signatory *sg, char *why, size_t whylen)
{
	char day[16];

	if (sluice_date_format(sluice_day_of(sg->revoked_at), day,
	    sizeof(day)) != 0)
		day[0] = '\0';
	return sluice_why(why, whylen, SLUICE_EDENIED, "signatory certificate "
	    "%s of %s was revoked on %s: %s", sg->serial, sg->owner, day,
	    sg->revoke_reason);
}

int
pins_revoked_signer(struct store *st, const char *owner,
    const uint8_t *cms, size_t cms_len, const uint8_t *doc, size_t doc_len,
    int64_t now, char *why, size_t whylen)
{
	struct signatory_list l;
	struct cms_pin *pins = NULL;
	struct cms_result res;
	char ignored[256];
	int r;

	memset(&l, 0, sizeof(l));
	memset(&res, 0, sizeof(res));
	if ((r = signatory_list(st, owner, &l)) != 0)
		return 0;	/* the first reason stands */
	pins_filter(&l, 1);
	if (l.n > 0 && pins_point(&l, &pins) == 0 &&
	    cms_verify(cms, cms_len, doc, doc_len, pins, l.n, owner, now, &res,
	    ignored, sizeof(ignored)) == 0)
		r = revoked_why(&l.v[res.pin], why, whylen);
	cms_result_clear(&res);
	free(pins);
	signatory_list_free(&l);
	return r;
}
