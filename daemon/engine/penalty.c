/*
 * A per-source penalty began (IPC_PENALTY from the parent, ipc.h): one audit
 * entry for it, however many connections it then refuses.
 */
#include <stdlib.h>

#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/netaddr.h"

#define PENALTY_REASON_MAX	64

int
engine_penalty(struct engine *e, struct sbuf *body)
{
	char *source = NULL, *reason = NULL;
	uint32_t secs;
	int r = SLUICE_EPROTO;

	if (sbuf_get_cstring(body, &source, NETADDR_STR_MAX) != 0 ||
	    sbuf_get_cstring(body, &reason, PENALTY_REASON_MAX) != 0 ||
	    sbuf_get_u32(body, &secs) != 0 || sbuf_len(body) != 0)
		goto out;
	engine_audit(e, "sluiced", "penalty", source, "deny",
	    "%s: connections refused at accept for %u s", reason, secs);
	r = 0;
out:
	free(source);
	free(reason);
	return r;
}
