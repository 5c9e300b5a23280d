/* extracts.c: staged extracts - listing, showing and discarding them
 * (docs/design.md section 4; staging is in release.c).
 *
 * An extract is "staged" until a release names it, "released" while a
 * release of it is active, and "revoked" when every release of it is.
 * Only a never-released extract may be discarded: a release is history.
 * Discarding deletes the row inside the command's transaction and removes
 * the payload only once that has committed, so a failure never leaves a
 * row whose payload is gone; at worst (the removal itself failing) an
 * orphan payload that no row names stays for a sweep (payloads_list()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/log.h"

#include "engine/admin/admin_int.h"
#include "payloads/payloads.h"

/* The extract's status among the releases l. */
static const char *
extract_status(const char *id, const struct release_list *l)
{
	const char *st = "staged";
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].extract_id, id) != 0)
			continue;
		if (l->v[i].revoked_at == 0)
			return "released";
		st = "revoked";
	}
	return st;
}

static json_t *
extract_json(const struct extract *e, const char *status)
{
	char at[21];

	admin_time(e->staged_at, at);
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:s,s:s,s:s}", "id", e->id,
	    "nic", e->nic, "name", e->name, "plain_size",
	    (json_int_t)e->plain_size, "sha256", e->sha256, "payload_size",
	    (json_int_t)e->payload_size, "staged_by", e->staged_by_user,
	    "staged_at", at, "status", status);
}

/* ---- extract list --------------------------------------------------------- */

struct extract_row {
	const struct extract	*e;
	const char		*status;
};

#define EXTRACT_HEADER	"id\tnic\tname\tplain_size\tstaged_by\tstaged_at\tstatus"

static int
extract_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct extract_row *x = v;
	char at[21];

	if (c->json)
		return admin_append(c, arr, extract_json(x->e, x->status));
	admin_time(x->e->staged_at, at);
	return admin_print(c, "%s\t%s\t%s\t%llu\t%s\t%s\t%s\n", x->e->id,
	    x->e->nic, x->e->name, (unsigned long long)x->e->plain_size,
	    x->e->staged_by_user, at, x->status);
}

static int
list_rows(struct admin_call *c, const struct extract_list *el,
    const struct release_list *rl)
{
	struct extract_row *v = NULL;
	size_t i;
	int r;

	if (el->n > 0 && (v = calloc(el->n, sizeof(*v))) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	for (i = 0; i < el->n; i++) {
		v[i].e = &el->v[i];
		v[i].status = extract_status(el->v[i].id, rl);
	}
	r = admin_list(c, "extracts", EXTRACT_HEADER, v, el->n, sizeof(*v),
	    extract_row);
	free(v);
	return r;
}

int
cmd_extract_list(struct admin_call *c)
{
	struct extract_list el = { NULL, 0 };
	struct release_list rl = { NULL, 0 };
	const char *nic;
	int r;

	if ((r = admin_opt_nic(c, &nic)) != 0)
		return r;
	if ((r = extract_list(c->ctx->store, nic, &el)) != 0 ||
	    (r = release_list(c->ctx->store, nic, 0, &rl)) != 0)
		r = admin_fail(c, r, "store failure listing extracts");
	else
		r = list_rows(c, &el, &rl);
	release_list_free(&rl);
	extract_list_free(&el);
	return r;
}

/* ---- extract show --------------------------------------------------------- */

/* The extract and its releases as one JSON object. */
static int
show_json(struct admin_call *c, const struct extract *e,
    const struct release_list *l, json_t **out)
{
	json_t *arr = json_array();
	size_t i;
	int r = 0;

	*out = extract_json(e, extract_status(e->id, l));
	if (*out == NULL || arr == NULL || json_object_set_new(*out,
	    "releases", arr) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	for (i = 0; i < l->n && r == 0; i++)
		if (strcmp(l->v[i].extract_id, e->id) == 0)
			r = admin_append(c, arr, admin_release_json(c,
			    &l->v[i]));
	return r;
}

static const char *
field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static long long
number(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static int
print_extract(struct admin_call *c, json_t *o)
{
	return admin_print(c, "extract %s: %s of %s\nplain size: %lld bytes\n"
	    "sha256: %s\npayload size: %lld bytes\nstaged by %s at %s\n"
	    "status: %s\n", field(o, "id"), field(o, "name"), field(o, "nic"),
	    number(o, "plain_size"), field(o, "sha256"),
	    number(o, "payload_size"), field(o, "staged_by"),
	    field(o, "staged_at"), field(o, "status"));
}

static int
print_revocation(struct admin_call *c, json_t *rl)
{
	if (field(rl, "revoked_at")[0] == '\0')
		return admin_print(c, "\n");
	return admin_print(c, ", revoked at %s by %s: %s\n",
	    field(rl, "revoked_at"), field(rl, "revoked_by"),
	    field(rl, "revoke_reason"));
}

static int
print_release(struct admin_call *c, json_t *rl)
{
	const char *o = field(rl, "window_opens"), *cl = field(rl,
	    "window_closes");
	long long max = number(rl, "max_downloads");
	int r;

	if ((r = admin_print(c, "release %lld: approved by %s at %s, window "
	    "%s to %s, ", number(rl, "id"), field(rl, "approved_by"),
	    field(rl, "approved_at"), o[0] ? o : "open", cl[0] ? cl :
	    "open")) != 0)
		return r;
	if ((r = max > 0 ? admin_print(c, "at most %lld downloads", max) :
	    admin_print(c, "unlimited downloads")) != 0)
		return r;
	return print_revocation(c, rl);
}

static int
print_show(struct admin_call *c, json_t *o)
{
	json_t *rl;
	size_t i;
	int r;

	if ((r = print_extract(c, o)) != 0)
		return r;
	json_array_foreach(json_object_get(o, "releases"), i, rl)
		if ((r = print_release(c, rl)) != 0)
			return r;
	return 0;
}

int
cmd_extract_show(struct admin_call *c)
{
	struct extract e;
	struct release_list l = { NULL, 0 };
	json_t *o = NULL;
	int r;

	if ((r = admin_known_extract(c, c->args[0], &e)) != 0)
		return r;
	if ((r = release_list(c->ctx->store, e.nic, 0, &l)) != 0)
		r = admin_fail(c, r, "store failure listing releases");
	else if ((r = show_json(c, &e, &l, &o)) == 0)
		r = c->json ? admin_result(c, json_incref(o)) :
		    print_show(c, o);
	json_decref(o);
	release_list_free(&l);
	return r;
}

/* ---- extract discard ------------------------------------------------------ */

/* After the commit: the payload of the discarded extract (after_arg). */
static void
remove_payload(struct admin_call *c)
{
	int r;

	if ((r = payloads_remove(c->ctx->data_dir, c->after_arg)) != 0)
		log_warnx("extract discard: payload %s not removed (%s); no "
		    "row names it", c->after_arg, sluice_strerror(r));
}

int
cmd_extract_discard(struct admin_call *c)
{
	struct extract e;
	char why[256] = "";
	int r;

	if ((r = admin_known_extract(c, c->args[0], &e)) != 0)
		return r;
	if ((r = extract_discard(c->ctx->store, e.id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot discard extract %s",
		    e.id);
	(void)snprintf(c->after_arg, sizeof(c->after_arg), "%s", e.id);
	c->after_commit = remove_payload;
	admin_change(c, "discarded %s of %s (%llu bytes, sha256 %s, staged by "
	    "%s), never released", e.name, e.nic,
	    (unsigned long long)e.plain_size, e.sha256, e.staged_by_user);
	return admin_answer(c, json_pack("{s:s,s:s,s:s,s:b}", "extract_id",
	    e.id, "nic", e.nic, "name", e.name, "discarded", 1), "extract %s "
	    "discarded: %s of %s, never released", e.id, e.name, e.nic);
}
