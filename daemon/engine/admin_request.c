/*
 * IPC_ADMIN: one admin command line from a logged-in session, run by the
 * admin command table (admin/admin.h) as the session's identity, with the
 * roles the store gives it now. A command that changed something bumps the
 * generation and runs the calendar, so its consequences (a transition, a
 * lifted sanction, mail) follow at once. A user disabled since the login,
 * or whose key was replaced, is refused before the table is consulted.
 *
 * An answer of any length (audit export, register export, any --json
 * answer) travels in pieces (ipc.h, IPC_ADMIN_DATA): what the handler
 * spills as it writes is kept, one copy, until the command has succeeded,
 * then queued ahead of the reply as are the bytes of stdout past
 * IPC_STREAM_CHUNK; a failed command sends only its reply.
 */
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "engine/admin/admin.h"
#include "engine/engine_int.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/error.h"

/* Who is asking, with what the engine holds, for admin_run(). */
void
engine_admin_caller(struct engine *e, const struct conn *c,
    struct admin_ctx *ctx)
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

/* The pieces of a long answer so far (admin_ctx.spill). */
struct pieces {
	struct sbuf	**v;
	size_t		 n, cap;
};

static int
pieces_take(void *arg, struct sbuf **text)
{
	struct pieces *p = arg;
	struct sbuf *fresh, **nv;
	size_t cap = p->cap == 0 ? 16 : p->cap * 2;

	if (p->n == p->cap) {
		if ((nv = reallocarray(p->v, cap, sizeof(*nv))) == NULL)
			return SLUICE_ENOMEM;
		p->v = nv;
		p->cap = cap;
	}
	if ((fresh = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	p->v[p->n++] = *text;
	*text = fresh;
	return 0;
}

static void
pieces_free(struct pieces *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		sbuf_free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* A successful answer's pieces, then its stdout when too long to go in
 * the reply, queued for c (they are the queue's from here). */
static int
pieces_send(struct conn *c, struct pieces *p, struct sbuf **out)
{
	size_t i;
	int r = 0;

	for (i = 0; i < p->n; i++)
		if (r == 0)
			r = ipc_peer_queue_stream(c->io, IPC_ADMIN_DATA, p->v[i]);
		else
			sbuf_free(p->v[i]);
	p->n = 0;
	if (r != 0 || sbuf_len(*out) <= IPC_STREAM_CHUNK)
		return r;
	r = ipc_peer_queue_stream(c->io, IPC_ADMIN_DATA, *out);
	if ((*out = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	return r;
}

/* The reply: exit status, standard output (what is left of it), standard
 * error. */
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

/* Runs the line; a change bumps the generation and runs the calendar. */
static int
admin_line(struct engine *e, struct admin_ctx *ctx, const uint8_t *line,
    size_t len)
{
	int status = 1;

	if (admin_run(ctx, (const char *)line, len, &status) != 0)
		status = 1;
	if (ctx->changed) {
		ipc_generation_bump(e->sh);
		schedule_run(e, sluice_now());
	}
	return status;
}

int
eng_admin(struct engine *e, struct conn *c, struct sbuf *req, struct sbuf *rep,
    int *fd)
{
	struct pieces p = { NULL, 0, 0 };
	struct admin_ctx ctx;
	const uint8_t *line;
	size_t len;
	int r = 0, status;

	(void)fd;
	if (sbuf_get_string_direct(req, &line, &len) != 0 || sbuf_len(req) != 0)
		return SLUICE_EPROTO;
	engine_admin_caller(e, c, &ctx);
	ctx.spill = pieces_take;
	ctx.spill_arg = &p;
	if ((ctx.out = sbuf_new()) == NULL || (ctx.err = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((status = admin_line(e, &ctx, line, len)) == 0)
		r = pieces_send(c, &p, &ctx.out);
	if (r == 0)
		r = admin_reply(rep, status, &ctx);
out:
	pieces_free(&p);
	sbuf_free(ctx.out);
	sbuf_free(ctx.err);
	return r;
}
