/*
 * The engine's setup, its audit helper, the release signature over
 * SHA256SUMS, the admin channel's entry, and the dated transitions of the
 * scheduler tick.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/admin/admin.h"
#include "engine/audit.h"
#include "engine/engine_int.h"
#include "engine/vfs.h"
#include "engine/mail.h"
#include "sluice/files.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/minisign.h"

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

static int
load_keys(struct engine *e, char *why, size_t whylen)
{
	struct sbuf *b = NULL;
	int r;

	if ((e->master = sodium_malloc(32)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read_secret(e->cfg->master_key, e->master, 32)) != 0)
		return sluice_why(why, whylen, r, "%s: cannot read the 32-byte master key",
		    e->cfg->master_key);
	(void)sodium_mprotect_readonly(e->master);
	if ((b = sbuf_new_secret()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(e->cfg->release_key, 64 * 1024, b)) != 0 ||
	    (r = minisign_key_load((const char *)sbuf_ptr(b), sbuf_len(b),
	    &e->release, why, whylen)) != 0) {
		sbuf_free(b);
		return r == SLUICE_EIO ? sluice_why(why, whylen, r,
		    "%s: cannot read the release key", e->cfg->release_key) : r;
	}
	sbuf_reset(b);
	if ((r = files_read(e->cfg->release_pub, 64 * 1024, b)) == 0 &&
	    (r = sbuf_put_u8(b, 0)) == 0 &&
	    (e->release_pub = strdup((const char *)sbuf_ptr(b))) == NULL)
		r = SLUICE_ENOMEM;
	sbuf_free(b);
	return r;
}

int
engine_open(const char *dir, const struct sluice_config *cfg, int ctl,
    struct ipc_shared *sh, struct engine **out)
{
	struct engine *e;
	char why[256] = "";
	int r;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return SLUICE_ENOMEM;
	*out = e;
	(void)snprintf(e->dir, sizeof(e->dir), "%s", dir);
	e->cfg = cfg;
	e->ctl = ctl;
	e->sh = sh;
	if ((r = store_open(cfg->store_path, &e->st, why, sizeof(why))) != 0 ||
	    (r = load_keys(e, why, sizeof(why))) != 0) {
		log_errx("engine: %s", why[0] ? why : sluice_strerror(r));
		return r;
	}
	if (sluice_clock_is_fake())
		engine_audit(e, "sluiced", "start", "clock", "ok",
		    "FAKE CLOCK in use: time comes from a file, for tests only");
	else
		engine_audit(e, "sluiced", "start", "", "ok", "engine started");
	return 0;
}

void
engine_close(struct engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nconns; i++) {
		conn_close_all(e, e->conns[i]);
		close(e->conns[i]->fd);
		free(e->conns[i]);
	}
	if (e->st != NULL)
		engine_audit(e, "sluiced", "stop", "", "ok", "engine stopped");
	store_close(e->st);
	if (e->master != NULL)
		sodium_free(e->master);
	minisign_key_free(e->release);
	free(e->release_pub);
	free(e);
}

int
engine_sign_sums(struct engine *e, const char *nic, const uint8_t *sums,
    size_t len, int64_t newest, struct sbuf *out)
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

int
eng_admin(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct admin_ctx ctx;
	const uint8_t *line;
	size_t len;
	int r, status = 1;

	(void)fd;
	memset(&ctx, 0, sizeof(ctx));
	if (sbuf_get_string_direct(req, &line, &len) != 0 || sbuf_len(req) != 0)
		return SLUICE_EPROTO;
	ctx.store = e->st;
	ctx.data_dir = e->dir;
	ctx.policy = &e->cfg->policy;
	ctx.master_key = e->master;
	ctx.user = c->who.user;
	ctx.kind = c->who.kind == IDENTITY_STAFF ? ADMIN_CALLER_STAFF :
	    ADMIN_CALLER_RECIPIENT;
	ctx.roles = c->who.roles;
	ctx.staff_id = c->who.kind == IDENTITY_STAFF ? c->who.id : 0;
	ctx.person_id = c->who.kind == IDENTITY_RECIPIENT ? c->who.id : 0;
	ctx.org = c->who.kind == IDENTITY_RECIPIENT ? c->who.org : NULL;
	ctx.now = sluice_now();
	if ((ctx.out = sbuf_new()) == NULL || (ctx.err = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if (admin_run(&ctx, (const char *)line, len, &status) != 0)
		status = 1;
	if (ctx.changed) {
		ipc_generation_bump(e->sh);
		schedule_run(e, sluice_now());
	}
	if ((r = sbuf_put_u32(rep, (uint32_t)status)) != 0 ||
	    (r = sbuf_put_string(rep, sbuf_ptr(ctx.out), sbuf_len(ctx.out))) != 0 ||
	    (r = sbuf_put_string(rep, sbuf_ptr(ctx.err), sbuf_len(ctx.err))) != 0)
		goto out;
out:
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	return r;
}

void
engine_tick(struct engine *e, int64_t now)
{
	/* A retry that falls due between runs goes out on time. */
	if (e->next_mail != 0 && now >= e->next_mail)
		e->next_mail = mail_deliver(e->cfg, e->st, now);
	/* At start, then at least once a minute; a fake clock that jumps is
	 * followed at once. */
	if (e->last_schedule != 0 && now >= e->last_schedule &&
	    now - e->last_schedule < 60 &&
	    sluice_day_of(now) == sluice_day_of(e->last_schedule))
		return;
	e->last_schedule = now;
	schedule_run(e, now);
}
