/*
 * IPC_ADMIN: one admin command line from a logged-in session, run by the
 * admin command table (admin/admin.h) as the session's identity, with the
 * roles the store gives it now. A command that changed something bumps the
 * generation and runs the calendar, so its consequences (a transition, a
 * lifted sanction, mail) follow at once. A user disabled since the login,
 * or whose key was replaced, is refused before the table is consulted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/admin/admin.h"
#include "engine/engine_int.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/words.h"

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
	ctx->user = c->who.user;
	ctx->kind = staff ? ADMIN_CALLER_STAFF : ADMIN_CALLER_RECIPIENT;
	ctx->roles = c->who.roles;
	ctx->staff_id = staff ? c->who.id : 0;
	ctx->person_id = c->who.kind == IDENTITY_RECIPIENT ? c->who.id : 0;
	ctx->org = c->who.kind == IDENTITY_RECIPIENT ? c->who.org : NULL;
	ctx->now = sluice_now();
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

/* How many words of argv spell out the command name, or 0. */
static int
name_words(const char *name, char *const *argv, int argc)
{
	size_t len;
	int n;

	for (n = 0; n < argc; n++) {
		len = strlen(argv[n]);
		if (strncmp(name, argv[n], len) != 0)
			return 0;
		if (name[len] == '\0')
			return n + 1;
		if (name[len] != ' ')
			return 0;
		name += len + 1;
	}
	return 0;
}

/* The table's name for the command argv[0..argc) runs, as the dispatcher
 * would find it (the longest match, after any leading --json). */
static const char *
command_name(char *const *argv, int argc)
{
	struct admin_command_info info;
	const char *best = "(unknown command)";
	size_t i;
	int skip = 0, n, used = 0;

	while (skip < argc && strcmp(argv[skip], "--json") == 0)
		skip++;
	for (i = 0; i < admin_command_count(); i++) {
		if (admin_command_get(i, &info) == 0 && (n = name_words(info.name,
		    argv + skip, argc - skip)) > used) {
			best = info.name;
			used = n;
		}
	}
	return best;
}

/* One byte or UTF-8 character of the line as the dispatcher audits it
 * (admin.h): printable ASCII and UTF-8 kept, a backslash doubled, any other
 * byte as \xNN; *n bytes taken. */
static int
audit_char(const uint8_t *p, size_t left, struct sbuf *b, size_t *n)
{
	*n = 1;
	if (p[0] >= 0x20 && p[0] < 0x7f && p[0] != '\\')
		return sbuf_put_u8(b, p[0]);
	if (p[0] == '\\')
		return sbuf_put(b, "\\\\", 2);
	if (p[0] >= 0x80 && (*n = words_utf8_len(p, left)) != 0)
		return sbuf_put(b, p, *n);
	*n = 1;
	return sbuf_putf(b, "\\x%02x", p[0]);
}

/* The audit's details of a refused line: the line, cut at
 * ADMIN_AUDIT_LINE_MAX with "...", then " => " and the reason. */
static int
refusal_details(const uint8_t *line, size_t len, const char *why,
    struct sbuf *b)
{
	size_t i = 0, n;
	int r = 0;

	while (i < len && r == 0) {
		if (sbuf_len(b) >= ADMIN_AUDIT_LINE_MAX) {
			r = sbuf_put(b, "...", 3);
			break;
		}
		r = audit_char(line + i, len - i, b, &n);
		i += n;
	}
	if (r == 0)
		r = sbuf_putf(b, " => %.400s", why);
	return r == 0 ? sbuf_put_u8(b, 0) : r;
}

/* A caller the store no longer lets act: exit 1, the reason on stderr,
 * audited as the command it asked for, as the dispatcher audits a
 * refusal. */
static int
admin_refused(struct engine *e, struct conn *c, const uint8_t *line,
    size_t len, struct sbuf *rep)
{
	char err[STORE_TEXT_MAX + 1], why[128];
	const char *action = "(unparsed)";
	struct sbuf *details;
	char **argv = NULL;
	int argc = 0, r;

	if ((details = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if (words_split((const char *)line, len, &argc, &argv, why,
	    sizeof(why)) == 0)
		action = command_name(argv, argc);
	if ((r = refusal_details(line, len, c->refused, details)) == 0)
		engine_audit(e, c->who.user, action, NULL, "refused", "%s",
		    (const char *)sbuf_ptr(details));
	words_free(argv);
	sbuf_free(details);
	(void)snprintf(err, sizeof(err), "%s\n", c->refused);
	if (r != 0 || (r = sbuf_put_u32(rep, 1)) != 0 ||
	    (r = sbuf_put_string(rep, NULL, 0)) != 0)
		return r;
	return sbuf_put_string(rep, err, strlen(err));
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
	if (c->refused[0] != '\0')
		return admin_refused(e, c, line, len, rep);
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
