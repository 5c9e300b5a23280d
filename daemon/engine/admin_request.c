/*
 * IPC_ADMIN: one admin command line from a logged-in session, run by the
 * admin command table (admin/admin.h) as the session's identity, with the
 * roles the store gives it now. A command that changed something bumps the
 * generation and runs the calendar, so its consequences (a transition, a
 * lifted sanction, mail) follow at once. A user disabled since the login,
 * or whose key was replaced, is refused before the table is consulted.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/admin/admin.h"
#include "engine/engine_int.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/error.h"

/* Who is asking, with what the engine holds, for admin_run(). */
static void
admin_caller(struct engine *e, const struct conn *c, struct admin_ctx *ctx)
{
	int staff = c->who.kind == IDENTITY_STAFF;

	memset(ctx, 0, sizeof(*ctx));
	ctx->store = e->st;
	ctx->data_dir = e->dir;
	ctx->policy = &e->cfg->policy;
	ctx->master_key = e->master;
	ctx->anchor = e->anchor;
	ctx->user = c->who.user;
	ctx->kind = staff ? ADMIN_CALLER_STAFF : ADMIN_CALLER_RECIPIENT;
	ctx->roles = c->who.roles;
	ctx->staff_id = staff ? c->who.id : 0;
	ctx->person_id = c->who.kind == IDENTITY_RECIPIENT ? c->who.id : 0;
	ctx->org = c->who.kind == IDENTITY_RECIPIENT ? c->who.org : NULL;
	ctx->now = sluice_now();
	ctx->refused = c->refused[0] != '\0' ? c->refused : NULL;
}

/* The reply: exit status, standard output, standard error. */
static int
admin_reply(struct sbuf *rep, int status, const struct admin_ctx *ctx)
{
	int r;

	if ((r = sbuf_put_u32(rep, (uint32_t)status)) != 0 ||
	    (r = sbuf_put_string(rep, sbuf_ptr(ctx->out),
	    sbuf_len(ctx->out))) != 0)
		return r;
	return sbuf_put_string(rep, sbuf_ptr(ctx->err), sbuf_len(ctx->err));
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
	if (sbuf_get_string_direct(req, &line, &len) != 0 || sbuf_len(req) != 0)
		return SLUICE_EPROTO;
	admin_caller(e, c, &ctx);
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
	r = admin_reply(rep, status, &ctx);
out:
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	return r;
}
