/*
 * The caller as of each request (docs/design.md section 6: roles and the
 * active flag are read at every request, in open connections too). A
 * session keeps the key it logged in with; before every request that acts
 * for its user the engine asks the store again whose that key is. The
 * answer replaces the identity the session holds (new roles, a new age
 * recipient), or, when the user is no longer active or the key no longer
 * theirs, says why the request is refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/log.h"

static void
refuse(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->refused, sizeof(c->refused), fmt, ap);
	va_end(ap);
}

/* The same person or staff member: user names are never reused. */
static int
same_identity(const struct identity *was, const struct identity *now)
{
	return was->kind == now->kind && was->id == now->id &&
	    strcmp(was->user, now->user) == 0;
}

void
conn_refresh(struct engine *e, struct conn *c)
{
	struct identity now;
	int r;

	c->refused[0] = '\0';
	memset(&now, 0, sizeof(now));
	r = identity_by_key(e->st, c->key, c->key_len, &now);
	if (r == 0 && same_identity(&c->who, &now)) {
		c->who = now;
		c->key_lost = 0;
		if (!now.active)
			refuse(c, "user %s is disabled", c->who.user);
	} else if (r == 0 || r == SLUICE_ENOTFOUND) {
		c->key_lost = 1;
		refuse(c, "key no longer registered to %s", c->who.user);
	} else {
		log_warnx("engine: cannot read the identity of %s: %s",
		    c->who.user, sluice_strerror(r));
		refuse(c, "store failure: cannot check user %s", c->who.user);
	}
}

const char *
conn_refusal(struct engine *e, const struct conn *c, const char *action,
    const char *subject)
{
	engine_audit(e, c->who.user, action, subject, "deny", "%s", c->refused);
	return c->refused;
}
