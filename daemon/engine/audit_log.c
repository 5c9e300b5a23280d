/*
 * The engine's own audit entries: one entry outside any caller's
 * transaction, for events (logins, downloads, refusals) that change no
 * other fact. A failure to append is logged; it does not stop the request.
 *
 * What these entries carry came from a client: the user name it gave, the
 * path it asked for, the reasons that quote them. Each field is escaped
 * and bounded here (vis.h): the actor as a user name (64 characters), the
 * subject to AUDIT_SUBJECT_CHARS, the details to what the buffer holds.
 *
 * And the signed head of the log (audit_anchor.h), kept current here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/audit.h"
#include "engine/audit_anchor.h"
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

/* ---- the signed head ----------------------------------------------------- */

/* Says what the start found, in the log and the audit log. */
static void
anchor_report(struct engine *e, enum anchor_start how, const char *why)
{
	if (how == ANCHOR_NEW_KEY) {
		log_warnx("audit: %s did not exist (a data directory made by "
		    "an older sluiced init): made a new audit key; the audit "
		    "log is anchored from its newest entry on", e->cfg->audit_key);
		engine_audit(e, "sluiced", "audit anchor", "audit.key", "ok",
		    "new audit key made; the log is anchored from its newest "
		    "entry on");
	} else if (how == ANCHOR_NO_HEAD) {
		log_warnx("audit: %s/" AUDIT_HEAD_FILE " is missing: the log is "
		    "anchored anew at its newest entry; only a head kept "
		    "elsewhere shows what came before", e->dir);
		engine_audit(e, "sluiced", "audit anchor", AUDIT_HEAD_FILE,
		    "error", "no signed head found: anchored anew at the "
		    "newest entry");
	} else if (how == ANCHOR_BROKEN) {
		log_errx("audit: the log does not hold its signed head: %s; "
		    "audit verify fails until this is explained (remove "
		    "%s/" AUDIT_HEAD_FILE " to anchor the log anew)", why, e->dir);
		engine_audit(e, "sluiced", "audit anchor", AUDIT_HEAD_FILE,
		    "error", "%s", why);
	}
}

int
engine_anchor_start(struct engine *e, char *why, size_t whylen)
{
	enum anchor_start how = ANCHOR_HELD;
	char found[512] = "";
	int r;

	if ((r = audit_anchor_open(e->dir, e->cfg->audit_key, e->st,
	    &e->anchor, &how, found, sizeof(found))) != 0)
		return sluice_why(why, whylen, r, "%s", found[0] != '\0' ?
		    found : "cannot open the audit key");
	anchor_report(e, how, found);
	return 0;
}

void
engine_anchor_update(struct engine *e)
{
	int r;

	if ((r = audit_anchor_update(e->anchor, e->st)) == SLUICE_EVERIFY)
		log_errx("audit: the entry the signed head names is gone or "
		    "changed: the head is no longer moved, and audit verify "
		    "fails until this is explained");
	else if (r != 0)
		log_warnx("audit: cannot write %s/" AUDIT_HEAD_FILE ": %s",
		    e->dir, sluice_strerror(r));
}

void
engine_anchor_stop(struct engine *e)
{
	engine_anchor_update(e);
	audit_anchor_free(e->anchor);
	e->anchor = NULL;
}
