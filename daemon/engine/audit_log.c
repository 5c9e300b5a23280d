/*
 * The engine's own audit entries: one entry outside any caller's
 * transaction, for events (logins, downloads, refusals) that change no
 * other fact. A failure to append is logged; it does not stop the request.
 *
 * What these entries carry came from a client: the user name it gave, the
 * path it asked for, the reasons that quote them. Each field is escaped
 * and bounded here (vis.h): the actor as a user name (64 characters), the
 * subject to AUDIT_SUBJECT_CHARS, the details to what the buffer holds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/engine_int.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/vis.h"

#define AUDIT_SUBJECT_CHARS	256
#define AUDIT_DETAILS_BYTES	1024

void
engine_audit(struct engine *e, const char *actor, const char *action,
    const char *subject, const char *outcome, const char *fmt, ...)
{
	char raw[AUDIT_DETAILS_BYTES], name[VIS_NAME_SIZE];
	char subj[VIS_SIZE(AUDIT_SUBJECT_CHARS)];
	char details[VIS_SIZE(AUDIT_DETAILS_BYTES)];
	const char *s = subject != NULL ? subject : "";
	va_list ap;
	int r;

	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* An attempt without a user name is audited all the same. */
	if (*vis_name(name, actor) == '\0')
		(void)snprintf(name, sizeof(name), "(none)");
	(void)str_vis(subj, sizeof(subj), s, strlen(s), AUDIT_SUBJECT_CHARS, 0);
	(void)str_vis(details, sizeof(details), raw, strlen(raw), sizeof(raw), 0);
	if ((r = audit_append(e->st, name, action, subj, outcome, details,
	    NULL)) != 0)
		log_warnx("audit: cannot append %s %s: %s", action, subj,
		    sluice_strerror(r));
}
