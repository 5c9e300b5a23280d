/* admin_release.c: extracts, releases and deletion certificates
 * (DESIGN.md section 4). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"
#include "engine/extract.h"
#include "payloads/payloads.h"

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

static int
record_extract(struct admin_call *c, const struct agreement *a,
    const char *name, const struct staged_extract *st)
{
	struct extract e;
	char why[256] = "";
	int r;

	memset(&e, 0, sizeof(e));
	(void)snprintf(e.id, sizeof(e.id), "%s", st->id);
	e.agreement_id = a->id;
	(void)snprintf(e.name, sizeof(e.name), "%s", name);
	e.plain_size = st->plain_size;
	hex(st->sha256, sizeof(st->sha256), e.sha256);
	e.payload_size = st->payload_size;
	if (st->wrapped_len > sizeof(e.wrapped_key))
		return admin_fail(c, SLUICE_EINVAL, "wrapped key too long");
	memcpy(e.wrapped_key, st->wrapped_key, st->wrapped_len);
	e.wrapped_len = st->wrapped_len;
	e.staged_by = c->ctx->staff_id;
	r = extract_add(c->ctx->store, &e, why, sizeof(why));
	sodium_memzero(&e, sizeof(e));
	if (r != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "%s already has an extract named %s", a->nic, name);
	return 0;
}

int
cmd_extract_stage(struct admin_call *c)
{
	struct agreement a;
	struct staged_extract st;
	const char *file = c->args[1], *name = admin_opt(c, "name");
	char why[256] = "", msg[256];
	int fd = -1, r;

	memset(&st, 0, sizeof(st));
	if (name == NULL)
		name = file;
	if ((r = admin_known_agreement(c, c->args[0], 1, &a)) != 0)
		return r;
	if (a.state == AG_EXPIRED || a.state == AG_CLOSED) {
		r = admin_fail(c, SLUICE_ESTATE, "agreement %s is %s: nothing "
		    "more may be staged", a.nic, agreement_state_name(a.state));
		goto out;
	}
	if ((r = admin_check_name(c, "extract name", name)) != 0 ||
	    (r = admin_inbox_open(c, file, &fd)) != 0)
		goto out;
	if (c->ctx->master_key == NULL) {
		r = admin_fail(c, SLUICE_ECONFIG, "no master key");
		goto out;
	}
	if ((r = package_stage(c->ctx->data_dir, c->ctx->master_key, fd,
	    &st, why, sizeof(why))) != 0) {
		r = admin_fail(c, r, "staging %s failed: %s", file, why);
		goto out;
	}
	if ((r = record_extract(c, &a, name, &st)) != 0) {
		/* nothing the store did not take stays in the payload area */
		(void)payloads_remove(c->ctx->data_dir, st.id);
		goto out;
	}
	admin_subject(c, st.id);
	(void)snprintf(msg, sizeof(msg), "%s", st.id);
	r = admin_answer(c, json_pack("{s:s,s:s,s:s,s:I}", "extract_id",
	    st.id, "nic", a.nic, "name", name, "plain_size",
	    (json_int_t)st.plain_size), msg);
 out:
	sodium_memzero(&st, sizeof(st));
	if (fd >= 0)
		close(fd);
	agreement_clear(&a);
	return r;
}

int
cmd_release_approve(struct admin_call *c)
{
	struct extract e;
	struct release_limits lim;
	const struct sluice_policy *p = c->ctx->policy;
	int64_t id;
	char why[256] = "", msg[64];
	int r;

	memset(&lim, 0, sizeof(lim));
	if (strlen(c->args[0]) >= sizeof(e.id))
		return admin_fail(c, SLUICE_EINVAL, "unknown extract %.64s",
		    c->args[0]);
	if ((r = extract_get(c->ctx->store, c->args[0], &e)) != 0)
		return admin_fail(c, r, r == SLUICE_ENOTFOUND ? "unknown "
		    "extract %.64s" : "store failure reading extract %.64s",
		    c->args[0]);
	/* four eyes: checked here for the reason, and again by the store */
	if (e.staged_by == c->ctx->staff_id)
		return admin_fail(c, SLUICE_EDENIED, "four eyes: you staged "
		    "extract %s; another approver must approve it", e.id);
	if (p != NULL && p->download_window_days > 0) {
		lim.window_opens = c->ctx->now;
		lim.window_closes = c->ctx->now +
		    (int64_t)p->download_window_days * SLUICE_DAY;
	}
	if (p != NULL)
		lim.max_downloads = p->download_max_count;
	if ((r = release_add(c->ctx->store, e.id, c->ctx->staff_id, &lim, &id,
	    why, sizeof(why))) != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "extract %s is released already", e.id);
	(void)snprintf(msg, sizeof(msg), "%lld", (long long)id);
	return admin_answer(c, json_pack("{s:I,s:s,s:s,s:s}", "release_id",
	    (json_int_t)id, "extract_id", e.id, "nic", e.nic, "name", e.name),
	    msg);
}

int
cmd_release_revoke(struct admin_call *c)
{
	struct release rl;
	const char *reason = admin_opt(c, "reason");
	int64_t id;
	char why[256] = "", msg[128];
	int r;

	if ((r = admin_parse_id(c, "RELEASE-ID", c->args[0], &id)) != 0 ||
	    (r = admin_check_text(c, "--reason", reason, STORE_TEXT_MAX)) != 0)
		return r;
	if ((r = release_get(c->ctx->store, id, &rl)) != 0)
		return admin_fail(c, r, r == SLUICE_ENOTFOUND ? "unknown "
		    "release %s" : "store failure reading release %s",
		    c->args[0]);
	if (rl.revoked_at != 0)
		return admin_fail(c, SLUICE_ESTATE, "release %s is revoked "
		    "already", c->args[0]);
	if ((r = release_revoke(c->ctx->store, id, c->ctx->staff_id, reason,
	    why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot revoke release %s",
		    c->args[0]);
	(void)snprintf(msg, sizeof(msg), "release %lld of %s revoked",
	    (long long)id, rl.nic);
	return admin_answer(c, json_pack("{s:I,s:s,s:b}", "release_id",
	    (json_int_t)id, "nic", rl.nic, "revoked", 1), msg);
}

static int
nic_filter(struct admin_call *c, const char **nic)
{
	*nic = admin_opt(c, "nic");
	return *nic != NULL ? admin_check_nic(c, *nic) : 0;
}

static int
release_row(struct admin_call *c, json_t *arr, const struct release *rl)
{
	char at[21], rv[21];
	json_t *o;

	admin_time(rl->approved_at, at);
	admin_time(rl->revoked_at, rv);
	if (!c->json)
		return admin_print(c, "%lld\t%s\t%s\t%s\t%s\t%s\n",
		    (long long)rl->id, rl->nic, rl->name, rl->extract_id, at,
		    rl->revoked_at ? "revoked" : "active");
	o = json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "id",
	    (json_int_t)rl->id, "nic", rl->nic, "name", rl->name, "extract_id",
	    rl->extract_id, "staged_by", (json_int_t)rl->staged_by,
	    "approved_by", (json_int_t)rl->approved_by, "approved_at", at,
	    "revoked_at", rv, "revoke_reason", rl->revoke_reason);
	if (o == NULL || json_array_append_new(arr, o) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	return 0;
}

int
cmd_release_list(struct admin_call *c)
{
	struct release_list l = { NULL, 0 };
	const char *nic;
	json_t *arr = NULL;
	size_t i;
	int r;

	if ((r = nic_filter(c, &nic)) != 0)
		return r;
	if ((r = release_list(c->ctx->store, nic, 0, &l)) != 0)
		return admin_fail(c, r, "store failure listing releases");
	if (c->json && (arr = json_array()) == NULL) {
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l.n && r == 0; i++)
		r = release_row(c, arr, &l.v[i]);
	if (r == 0 && c->json && (c->result = json_pack("{s:O}", "releases",
	    arr)) == NULL)
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
 out:
	json_decref(arr);
	release_list_free(&l);
	return r;
}

int
cmd_certificate_list(struct admin_call *c)
{
	struct certificate_list l = { NULL, 0 };
	const struct deletion_certificate *d;
	const char *nic;
	json_t *arr = NULL, *o;
	char at[21], on[11];
	size_t i;
	int r;

	if ((r = nic_filter(c, &nic)) != 0)
		return r;
	if ((r = certificate_list(c->ctx->store, nic, &l)) != 0)
		return admin_fail(c, r, "store failure listing certificates");
	if (c->json && (arr = json_array()) == NULL) {
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l.n && r == 0; i++) {
		d = &l.v[i];
		admin_time(d->at, at);
		admin_date(d->destroyed_on, on);
		if (!c->json) {
			r = admin_print(c, "%lld\t%s\t%s\t%s\t%s\n",
			    (long long)d->id, d->nic, at,
			    d->accepted ? "accepted" : "rejected",
			    d->accepted ? on : d->reason);
			continue;
		}
		o = json_pack("{s:I,s:s,s:s,s:b,s:s,s:s}", "id",
		    (json_int_t)d->id, "nic", d->nic, "at", at, "accepted",
		    d->accepted, "destroyed_on", on, "reason", d->reason);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
	}
	if (r == 0 && c->json && (c->result = json_pack("{s:O}",
	    "certificates", arr)) == NULL)
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
 out:
	json_decref(arr);
	certificate_list_free(&l);
	return r;
}
