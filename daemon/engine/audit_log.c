/*
 * The engine's own audit entries: one entry outside any caller's
 * transaction, for events (logins, downloads, refusals) that change no
 * other fact. A failure to append is logged; it does not stop the request.
 */
#include <stdarg.h>
#include <stdio.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/log.h"

void
engine_audit(struct engine *e, const char *actor, const char *action,
    const char *subject, const char *outcome, const char *fmt, ...)
{
	char details[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	(void)vsnprintf(details, sizeof(details), fmt, ap);
	va_end(ap);
	if ((r = audit_append(e->st, actor, action, subject, outcome, details,
	    NULL)) != 0)
		log_warnx("audit: cannot append %s %s: %s", action, subject,
		    sluice_strerror(r));
}
