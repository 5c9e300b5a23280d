/*
 * sums.h: /<NIC>/SHA256SUMS and its signature, SHA256SUMS.minisig
 * (docs/design.md section 6): one "<sha256>  <name>" line per release the
 * recipient may download now, signed with the release key so a recipient
 * can check with `minisign -V` what it fetched.
 */
#ifndef SLUICE_SUMS_H
#define SLUICE_SUMS_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"
#include "store/store.h"

struct engine;

/* Appends the SHA256SUMS text of the releases l to out; *newest gets the
 * latest approval time among them (0 for none). */
int sums_text(struct engine *e, const struct release_list *l,
    struct sbuf *out, int64_t *newest) __attribute__((warn_unused_result));

/* Signs SHA256SUMS text for nic with the release key. The trusted comment
 * carries `newest` so the bytes are stable. */
int sums_sign(struct engine *e, const char *nic, const uint8_t *sums,
    size_t len, int64_t newest, struct sbuf *out)
    __attribute__((warn_unused_result));

#endif
