/*
 * pins.h: the pinned signatories a new signature is verified against, as
 * cms_verify() takes them (docs/design.md section 7). A revoked signatory
 * (revoked_at != 0) signs nothing new: no agreement signature, no
 * certificate of deletion. Signatures recorded before the revocation stay
 * valid: the gate reads them as recorded, not against today's pins.
 * Used by the admin commands (agreement sign) and by uploads (upload.c).
 */
#ifndef SLUICE_ENGINE_PINS_H
#define SLUICE_ENGINE_PINS_H

#include <stddef.h>

#include "sluice/cms.h"
#include "store/store.h"

/* Drops the revoked signatories from l (cleared, the rest kept in order,
 * l->n reduced) and points (*pins)[i] at l->v[i], so cms_verify()'s
 * res.pin indexes both. *pins (NULL when l is empty) is the caller's to
 * free(); it borrows l, which must outlive it. */
int pins_of(struct signatory_list *l, struct cms_pin **pins)
    __attribute__((warn_unused_result));

/* The unrevoked signatories of owner (an org code, "controller", or NULL
 * for every owner) into l, and their pins, as pins_of(). On failure l and
 * *pins are left empty. */
int pins_for(struct store *st, const char *owner, struct signatory_list *l,
    struct cms_pin **pins) __attribute__((warn_unused_result));

/* After cms_verify() refused cms as "signer certificate is not registered":
 * whether a revoked signatory of owner signed it. If one did, why gets
 * "signatory certificate SERIAL of OWNER was revoked on DATE: REASON" and
 * the result is SLUICE_EDENIED; otherwise 0 and why is untouched. doc is
 * as for cms_verify() (NULL for an attached signature). */
int pins_revoked_signer(struct store *st, const char *owner,
    const uint8_t *cms, size_t cms_len, const uint8_t *doc, size_t doc_len,
    int64_t now, char *why, size_t whylen);

#endif
