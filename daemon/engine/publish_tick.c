/*
 * The public site kept current by the engine (docs/design.md section 6).
 * With [publish] dir set, the engine writes the site at start, then again
 * whenever the audit log has grown (every change the site could show is
 * audited) or the day changed (what is due or overdue moves with it), at
 * most once a minute. It runs between requests, outside any transaction,
 * reading the store the engine already holds; a failure is logged and tried
 * again a minute later.
 */
#include <string.h>

#include "engine/engine_int.h"
#include "engine/publish_tick.h"
#include "setup/publish.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"

#define PUBLISH_EVERY	60	/* seconds between two writes, at least */

/* The id of the newest audit entry; 0 for an empty log. */
static int
audit_head(struct engine *e, int64_t *id)
{
	struct audit_entry a;
	int r;

	memset(&a, 0, sizeof(a));
	r = store_audit_last(e->st, &a);
	*id = r == 0 ? a.id : 0;
	audit_entry_clear(&a);
	return r == SLUICE_ENOTFOUND ? 0 : r;
}

/* Whether a write is due at now, with the log's head at head. */
static int
publish_due(const struct engine *e, int64_t now, int64_t head)
{
	if (e->published_at == 0 || now < e->published_at)
		return 1;
	if (now - e->published_at < PUBLISH_EVERY)
		return 0;
	return head != e->published_head ||
	    sluice_day_of(now) != sluice_day_of(e->published_at);
}

void
publish_tick(struct engine *e, int64_t now)
{
	const char *dir = e->cfg->publish_dir;
	char why[512] = "";
	int64_t head;

	if (dir[0] == '\0' || audit_head(e, &head) != 0 ||
	    !publish_due(e, now, head))
		return;
	e->published_at = now;
	if (publish_site_policy(e->st, &e->cfg->policy, dir, now, why,
	    sizeof(why)) != 0) {
		log_warnx("publish: %s (trying again in a minute)", why);
		e->published_head = -1;
		return;
	}
	e->published_head = head;
	log_info("publish: wrote %s", dir);
}
