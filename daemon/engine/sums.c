/*
 * SHA256SUMS (sums.h): its text from the store's extracts, and its
 * signature by the release key.
 */
#include <stdio.h>

#include "engine/engine_int.h"
#include "engine/sums.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/minisign.h"

int
sums_text(struct engine *e, const struct release_list *l, struct sbuf *out,
    int64_t *newest)
{
	struct extract x;
	size_t i;
	int r = 0;

	*newest = 0;
	for (i = 0; i < l->n && r == 0; i++) {
		if ((r = extract_get(e->st, l->v[i].extract_id, &x)) != 0)
			break;
		r = sbuf_putf(out, "%s  %s\n", x.sha256, x.name);
		if (l->v[i].approved_at > *newest)
			*newest = l->v[i].approved_at;
	}
	return r;
}

int
sums_sign(struct engine *e, const char *nic, const uint8_t *sums, size_t len,
    int64_t newest, struct sbuf *out)
{
	char trusted[128], ts[32];

	if (sluice_time_format(newest, ts, sizeof(ts)) != 0)
		return SLUICE_EINVAL;
	(void)snprintf(trusted, sizeof(trusted),
	    "timestamp:%lld\tfile:SHA256SUMS\tagreement:%s\treleased:%s",
	    (long long)newest, nic, ts);
	return minisign_sign(e->release, sums, len,
	    "signature from the sluice release key", trusted, out);
}
