/* release.c: extracts, releases and deletion certificates
 * (docs/design.md section 4). */
#define _GNU_SOURCE	/* O_DIRECT */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"
#include "payloads/payloads.h"
#include "engine/extract.h"
#include "engine/inbox.h"

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* The extract row for st, staged by the caller under agreement a. */
static int
extract_of(struct admin_call *c, const struct agreement *a, const char *name,
    const struct staged_extract *st, struct extract *e)
{
	memset(e, 0, sizeof(*e));
	(void)snprintf(e->id, sizeof(e->id), "%s", st->id);
	e->agreement_id = a->id;
	(void)snprintf(e->name, sizeof(e->name), "%s", name);
	e->plain_size = st->plain_size;
	hex(st->sha256, sizeof(st->sha256), e->sha256);
	e->payload_size = st->payload_size;
	if (st->wrapped_len > sizeof(e->wrapped_key))
		return admin_fail(c, SLUICE_EINVAL, "wrapped key too long");
	memcpy(e->wrapped_key, st->wrapped_key, st->wrapped_len);
	e->wrapped_len = st->wrapped_len;
	e->staged_by = c->ctx->staff_id;
	return 0;
}

static int
record_extract(struct admin_call *c, const struct agreement *a,
    const char *name, const struct staged_extract *st)
{
	struct extract e;
	char why[256] = "";
	int r;

	if ((r = extract_of(c, a, name, st, &e)) != 0)
		return r;
	r = extract_add(c->ctx->store, &e, why, sizeof(why));
	sodium_memzero(&e, sizeof(e));
	if (r != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "%s already has an extract named %s", a->nic, name);
	return 0;
}

/* After the commit: the inbox file now staged (after_arg), which the
 * payload area holds under its own name. */
static void
remove_inbox_file(struct admin_call *c)
{
	inbox_remove_file(c->ctx->data_dir, c->after_arg);
}

/* The extract in the inbox file: never decrypted, its key wrapped again
 * and the file adopted by the payload area. */
static int
stage_from_inbox(struct admin_call *c, const char *file,
    struct staged_extract *st)
{
	char id[PACKAGE_ID_LEN + 1], file_id[STORE_INBOX_ID_MAX];
	int r;

	package_new_id(id);
	if ((r = admin_inbox_take(c, file, id, st, file_id)) != 0)
		return r;
	(void)snprintf(c->after_arg, sizeof(c->after_arg), "%s", file_id);
	c->after_commit = remove_inbox_file;
	return 0;
}

/* The session's descriptor is a dup of fd, sharing its flags: one that
 * skipped dwrite_finish() left O_DIRECT on, and reads would fail. */
static void
direct_off(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl != -1 && (fl & O_DIRECT))
		(void)fcntl(fd, F_SETFL, fl & ~O_DIRECT);
}

/* The extract an upload to /stage/NIC/NAME sealed as it arrived. */
static int
stage_sealed(struct admin_call *c, struct staged_extract *st)
{
	struct admin_sealed *sl = c->ctx->sealed;
	char why[256] = "";
	int r;

	direct_off(sl->fd);
	r = package_commit_sealed(c->ctx->master_key, sl->pn, sl->fd, sl->key,
	    sl->plain_size, sl->sha256, st, why, sizeof(why));
	sl->pn = NULL;		/* committed or dropped: taken either way */
	if (r != 0)
		return admin_fail(c, r, "staging %s failed: %s", c->args[1], why);
	return 0;
}

/* The payload from the upload or the inbox file, then its row; a payload
 * the store did not take is removed again. */
static int
stage_payload(struct admin_call *c, const struct agreement *a,
    const char *name, struct staged_extract *st)
{
	int r;

	if (c->ctx->master_key == NULL)
		return admin_fail(c, SLUICE_ECONFIG, "no master key");
	r = c->ctx->sealed != NULL ? stage_sealed(c, st) :
	    stage_from_inbox(c, c->args[1], st);
	if (r != 0)
		return r;
	if ((r = record_extract(c, a, name, st)) != 0) {
		(void)payloads_remove(c->ctx->data_dir, st->id);
		c->after_commit = NULL;
	}
	return r;
}

/* No extract of a's NIC is called name yet. */
static int
check_name_free(struct admin_call *c, const struct agreement *a,
    const char *name)
{
	struct extract_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = extract_list(c->ctx->store, a->nic, &l)) != 0)
		return admin_fail(c, r, "store failure listing extracts");
	for (i = 0; i < l.n && r == 0; i++)
		if (strcmp(l.v[i].name, name) == 0)
			r = admin_fail(c, SLUICE_EEXIST, "%s already has an "
			    "extract named %s", a->nic, name);
	extract_list_free(&l);
	return r;
}

/* What staging name under nic asks of the agreement and the name; a gets
 * the governing version. */
static int
check_may_stage(struct admin_call *c, const char *nic, const char *name,
    struct agreement *a)
{
	int r;

	if ((r = admin_known_agreement(c, nic, 1, a)) != 0)
		return r;
	if (!package_may_stage(a->state))
		return admin_fail(c, SLUICE_ESTATE, "agreement %s is %s: "
		    "nothing more may be staged", a->nic,
		    agreement_state_name(a->state));
	if ((r = admin_check_name(c, "extract name", name)) != 0)
		return r;
	return check_name_free(c, a, name);
}

static int
staged_answer(struct admin_call *c, const struct agreement *a,
    const char *name, const struct staged_extract *st)
{
	char sha[65];

	admin_subject(c, st->id);
	if (c->ctx->sealed != NULL) {
		hex(st->sha256, sizeof(st->sha256), sha);
		admin_change(c, "staged %s of %s as it was uploaded to "
		    "/stage/%s/%s: %llu bytes, sha256 %s", name, a->nic, a->nic,
		    name, (unsigned long long)st->plain_size, sha);
	}
	return admin_answer(c, json_pack("{s:s,s:s,s:s,s:I}", "extract_id",
	    st->id, "nic", a->nic, "name", name, "plain_size",
	    (json_int_t)st->plain_size), "%s", st->id);
}

int
cmd_extract_stage(struct admin_call *c)
{
	struct agreement a;
	struct staged_extract st;
	const char *file = c->args[1], *name = admin_opt(c, "name");
	int r;

	memset(&st, 0, sizeof(st));
	if (name == NULL)
		name = file;
	if ((r = check_may_stage(c, c->args[0], name, &a)) == 0 &&
	    (r = stage_payload(c, &a, name, &st)) == 0)
		r = staged_answer(c, &a, name, &st);
	sodium_memzero(&st, sizeof(st));
	agreement_clear(&a);
	return r;
}

int
admin_may_stage(struct admin_ctx *ctx, const char *nic, const char *name,
    char *why, size_t whylen)
{
	struct admin_call c;
	struct agreement a;
	int r;

	memset(&c, 0, sizeof(c));
	memset(&a, 0, sizeof(a));
	c.ctx = ctx;
	if ((r = admin_refusal(ctx, "extract stage", c.why,
	    sizeof(c.why))) == 0)
		r = check_may_stage(&c, nic, name, &a);
	agreement_clear(&a);
	if (r != 0)
		(void)snprintf(why, whylen, "%s", c.why);
	return r;
}

/* An option's time (RFC 3339 UTC, or a date meaning its 00:00:00Z). */
static int
opt_time(struct admin_call *c, const char *name, int64_t *t, int *given)
{
	const char *v = admin_opt(c, name);

	*given = v != NULL;
	if (v != NULL && sluice_time_parse(v, t) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --%s '%.32s': expected "
		    "YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD", name, v);
	return 0;
}

/* --max-downloads, else the policy's count (0: no limit). */
static int
opt_max_downloads(struct admin_call *c, int64_t *max)
{
	const char *v = admin_opt(c, "max-downloads");
	const struct sluice_policy *p = c->ctx->policy;

	*max = p != NULL ? p->download_max_count : 0;
	if (v == NULL)
		return 0;
	return admin_parse_id(c, "--max-downloads", v, max);
}

/* The window the options give, the policy's where they give none: it
 * opens now (or --window-opens) and closes the policy's days later (or at
 * --window-closes); no window when the policy has none and no option. */
static void
window_of(const struct admin_call *c, struct release_limits *lim,
    int opens_given, int closes_given)
{
	const struct sluice_policy *p = c->ctx->policy;
	int days = p != NULL ? p->download_window_days : 0;

	if (!opens_given)
		lim->window_opens = days > 0 || closes_given ? c->ctx->now : 0;
	if (!closes_given && days > 0)
		lim->window_closes = lim->window_opens +
		    (int64_t)days * SLUICE_DAY;
}

static int
check_window(struct admin_call *c, const struct release_limits *lim)
{
	char t[21];

	if (lim->window_closes == 0)
		return 0;
	if (lim->window_closes <= c->ctx->now)
		return admin_fail(c, SLUICE_EINVAL, "--window-closes %s is not "
		    "in the future", admin_opt(c, "window-closes"));
	admin_time(lim->window_opens, t);
	if (lim->window_closes <= lim->window_opens)
		return admin_fail(c, SLUICE_EINVAL, "the download window "
		    "would close (%s) before it opens (%s)",
		    admin_opt(c, "window-closes"), t);
	return 0;
}

/* The release's own limits (rule 7): the options, else the policy's. */
static int
release_limits_of(struct admin_call *c, struct release_limits *lim)
{
	int opens_given, closes_given, r;

	memset(lim, 0, sizeof(*lim));
	if ((r = opt_max_downloads(c, &lim->max_downloads)) != 0 ||
	    (r = opt_time(c, "window-opens", &lim->window_opens,
	    &opens_given)) != 0 ||
	    (r = opt_time(c, "window-closes", &lim->window_closes,
	    &closes_given)) != 0)
		return r;
	window_of(c, lim, opens_given, closes_given);
	return check_window(c, lim);
}

/* Four eyes: checked here for the reason, and again by the store. */
static int
check_four_eyes(struct admin_call *c, const struct extract *e)
{
	if (e->staged_by == c->ctx->staff_id)
		return admin_fail(c, SLUICE_EDENIED, "four eyes: you staged "
		    "extract %s; another approver must approve it", e->id);
	return 0;
}

/* The audit entry's details: what was released, within what limits. */
static void
release_change(struct admin_call *c, const struct extract *e, int64_t id,
    const struct release_limits *lim)
{
	char o[21], cl[21], max[32];

	admin_time(lim->window_opens, o);
	admin_time(lim->window_closes, cl);
	(void)snprintf(max, sizeof(max), "at most %lld",
	    (long long)lim->max_downloads);
	admin_change(c, "release %lld of %s (%s): window %s to %s, %s "
	    "downloads", (long long)id, e->name, e->nic, o[0] ? o : "open",
	    cl[0] ? cl : "open", lim->max_downloads > 0 ? max : "unlimited");
}

static int
released_answer(struct admin_call *c, const struct extract *e, int64_t id,
    const struct release_limits *lim)
{
	char o[21], cl[21];

	admin_time(lim->window_opens, o);
	admin_time(lim->window_closes, cl);
	release_change(c, e, id, lim);
	return admin_answer(c, json_pack("{s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:I,"
	    "s:s,s:s}", "release_id", (json_int_t)id, "extract_id", e->id,
	    "nic", e->nic, "name", e->name, "plain_size",
	    (json_int_t)e->plain_size, "sha256", e->sha256, "staged_by",
	    e->staged_by_user, "max_downloads", (json_int_t)lim->max_downloads,
	    "window_opens", o, "window_closes", cl), "release %lld: %s (%s, "
	    "%llu bytes, sha256 %s, staged by %s)", (long long)id, e->name,
	    e->nic, (unsigned long long)e->plain_size, e->sha256,
	    e->staged_by_user);
}

static int
store_release(struct admin_call *c, const struct extract *e,
    const struct release_limits *lim)
{
	int64_t id;
	char why[256] = "";
	int r;

	if ((r = release_add(c->ctx->store, e->id, c->ctx->staff_id, lim, &id,
	    why, sizeof(why))) != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "extract %s is released already", e->id);
	return released_answer(c, e, id, lim);
}

int
cmd_release_approve(struct admin_call *c)
{
	struct release_limits lim;
	struct extract e;
	int r;

	if ((r = admin_known_extract(c, c->args[0], &e)) != 0 ||
	    (r = check_four_eyes(c, &e)) != 0 ||
	    (r = release_limits_of(c, &lim)) != 0)
		return r;
	return store_release(c, &e, &lim);
}

/* Release id (args[0]), not revoked yet. */
static int
revocable_release(struct admin_call *c, int64_t id, struct release *rl)
{
	int r;

	if ((r = release_get(c->ctx->store, id, rl)) != 0)
		return admin_fail(c, r, r == SLUICE_ENOTFOUND ? "unknown "
		    "release %s" : "store failure reading release %s",
		    c->args[0]);
	if (rl->revoked_at != 0)
		return admin_fail(c, SLUICE_ESTATE, "release %s is revoked "
		    "already", c->args[0]);
	return 0;
}

static int
store_revocation(struct admin_call *c, const struct release *rl,
    const char *reason)
{
	char why[256] = "";
	int r;

	if ((r = release_revoke(c->ctx->store, rl->id, c->ctx->staff_id, reason,
	    why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot revoke release %s",
		    c->args[0]);
	return admin_answer(c, json_pack("{s:I,s:s,s:b}", "release_id",
	    (json_int_t)rl->id, "nic", rl->nic, "revoked", 1),
	    "release %lld of %s revoked", (long long)rl->id, rl->nic);
}

int
cmd_release_revoke(struct admin_call *c)
{
	struct release rl;
	const char *reason = admin_opt(c, "reason");
	int64_t id;
	int r;

	if ((r = admin_parse_id(c, "RELEASE-ID", c->args[0], &id)) != 0 ||
	    (r = admin_check_text(c, "--reason", reason,
	    STORE_TEXT_MAX)) != 0 ||
	    (r = revocable_release(c, id, &rl)) != 0)
		return r;
	return store_revocation(c, &rl, reason);
}

json_t *
admin_release_json(struct admin_call *c, const struct release *rl)
{
	char at[21], rv[21], o[21], cl[21];

	admin_time(rl->approved_at, at);
	admin_time(rl->revoked_at, rv);
	admin_time(rl->window_opens, o);
	admin_time(rl->window_closes, cl);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
	    "s:I}", "id", (json_int_t)rl->id, "nic", rl->nic, "name", rl->name,
	    "extract_id", rl->extract_id, "staged_by", admin_staff_name(c,
	    rl->staged_by), "approved_by", admin_staff_name(c,
	    rl->approved_by), "approved_at", at, "revoked_at", rv,
	    "revoked_by", admin_staff_name(c, rl->revoked_by), "revoke_reason",
	    rl->revoke_reason, "window_opens", o, "window_closes", cl,
	    "max_downloads", (json_int_t)rl->max_downloads);
}

#define RELEASE_HEADER	"id\tnic\tname\textract_id\tstaged_by\t" \
	"approved_by\tapproved_at\tstate"

static int
release_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct release *rl = v;
	char at[21];

	admin_time(rl->approved_at, at);
	if (!c->json)
		return admin_print(c, "%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		    (long long)rl->id, rl->nic, rl->name, rl->extract_id,
		    admin_staff_name(c, rl->staged_by), admin_staff_name(c,
		    rl->approved_by), at, rl->revoked_at ? "revoked" :
		    "active");
	return admin_append(c, arr, admin_release_json(c, rl));
}

int
cmd_release_list(struct admin_call *c)
{
	struct release_list l = { NULL, 0 };
	const char *nic;
	int r;

	if ((r = admin_opt_nic(c, &nic)) != 0)
		return r;
	if ((r = release_list(c->ctx->store, nic, 0, &l)) != 0)
		return admin_fail(c, r, "store failure listing releases");
	r = admin_list(c, "releases", RELEASE_HEADER, l.v, l.n,
	    sizeof(*l.v), release_row);
	release_list_free(&l);
	return r;
}

/* The user name of the recipient person id, or "". */
static void
person_name(struct admin_call *c, int64_t id, char *out, size_t outlen)
{
	struct person p;

	memset(&p, 0, sizeof(p));
	out[0] = '\0';
	if (id != 0 && person_get_by_id(c->ctx->store, id, &p) == 0)
		(void)snprintf(out, outlen, "%s", p.user);
}

#define CERTIFICATE_HEADER	"id\tnic\tat\toutcome\tdetail"

static int
certificate_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct deletion_certificate *d = v;
	char at[21], on[11], by[STORE_NAME_MAX];

	admin_time(d->at, at);
	admin_date(d->destroyed_on, on);
	if (!c->json)
		return admin_print(c, "%lld\t%s\t%s\t%s\t%s\n",
		    (long long)d->id, d->nic, at,
		    d->accepted ? "accepted" : "rejected",
		    d->accepted ? on : d->reason);
	person_name(c, d->uploaded_by, by, sizeof(by));
	return admin_append(c, arr, json_pack("{s:I,s:s,s:s,s:s,s:b,s:s,"
	    "s:s}", "id", (json_int_t)d->id, "nic", d->nic, "at", at,
	    "uploaded_by", by, "accepted", d->accepted, "destroyed_on", on,
	    "reason", d->reason));
}

int
cmd_certificate_list(struct admin_call *c)
{
	struct certificate_list l = { NULL, 0 };
	const char *nic;
	int r;

	if ((r = admin_opt_nic(c, &nic)) != 0)
		return r;
	if ((r = certificate_list(c->ctx->store, nic, &l)) != 0)
		return admin_fail(c, r, "store failure listing certificates");
	r = admin_list(c, "certificates", CERTIFICATE_HEADER, l.v, l.n,
	    sizeof(*l.v), certificate_row);
	certificate_list_free(&l);
	return r;
}
