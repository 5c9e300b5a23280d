/* people.c: staff and recipients once they are added - listing them,
 * disabling and enabling them, staff roles, login keys, a recipient's age
 * key (docs/design.md sections 1 and 6; staff add and person add are in
 * org.c). The engine reads roles and the active flag at every request, so
 * a change here reaches open connections too.
 *
 * The admin rules kept here: there is always an active admin (disabling
 * the last one, or taking the admin role from them, is refused); nobody
 * grants themselves a role; nobody disables themselves (ask another
 * admin: a slip would otherwise lock the caller out mid-task, and a
 * departure is recorded by whoever saw it through). */
#include <stdio.h>
#include <string.h>

#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

static const char *
active_word(int active)
{
	return active ? "active" : "disabled";
}

static const char *
kind_word(const struct identity *id)
{
	return id->kind == IDENTITY_STAFF ? "staff member" : "recipient";
}

static void
roles_text(uint32_t roles, char out[96])
{
	if (roles_format(roles, out, 96) != 0)
		out[0] = '\0';
}

/* The fingerprint of an identity's newest login key, or "". */
static void
key_fingerprint(struct admin_call *c, enum identity_kind kind, int64_t id,
    char out[STORE_FPR_MAX])
{
	struct key_list l = { NULL, 0 };

	out[0] = '\0';
	if (key_list(c->ctx->store, kind, id, &l) == 0 && l.n > 0)
		(void)snprintf(out, STORE_FPR_MAX, "%s",
		    l.v[l.n - 1].fingerprint);
	key_list_free(&l);
}

/* ---- listing ------------------------------------------------------------- */

#define STAFF_HEADER	"user\troles\tstate\temail\tfingerprint"

static int
staff_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct staff *s = v;
	char roles[96], fpr[STORE_FPR_MAX];

	roles_text(s->roles, roles);
	key_fingerprint(c, IDENTITY_STAFF, s->id, fpr);
	if (!c->json)
		return admin_print(c, "%s\t%s\t%s\t%s\t%s\n", s->user, roles,
		    active_word(s->active), s->email, fpr);
	return admin_append(c, arr, json_pack("{s:s,s:s,s:b,s:s,s:s}", "user",
	    s->user, "roles", roles, "active", s->active, "email", s->email,
	    "fingerprint", fpr));
}

int
cmd_staff_list(struct admin_call *c)
{
	struct staff_list l = { NULL, 0 };
	int r;

	if ((r = staff_list(c->ctx->store, &l)) != 0)
		return admin_fail(c, r, "store failure listing staff");
	r = admin_list(c, "staff", STAFF_HEADER, l.v, l.n, sizeof(*l.v),
	    staff_row);
	staff_list_free(&l);
	return r;
}

#define PERSON_HEADER	"user\torg\tstate\temail\tage_recipient\tfingerprint"

static int
person_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct person *p = v;
	char fpr[STORE_FPR_MAX];

	key_fingerprint(c, IDENTITY_RECIPIENT, p->id, fpr);
	if (!c->json)
		return admin_print(c, "%s\t%s\t%s\t%s\t%s\t%s\n", p->user,
		    p->org, active_word(p->active), p->email,
		    p->age_recipient[0] ? p->age_recipient : "-", fpr);
	return admin_append(c, arr, json_pack("{s:s,s:s,s:b,s:s,s:s,s:s}",
	    "user", p->user, "org", p->org, "active", p->active, "email",
	    p->email, "age_recipient", p->age_recipient, "fingerprint", fpr));
}

/* --org, a known organisation when given (*code NULL when not). */
static int
org_filter(struct admin_call *c, const char **code)
{
	struct org o;

	*code = admin_opt(c, "org");
	return *code != NULL ? admin_known_org(c, *code, &o) : 0;
}

int
cmd_person_list(struct admin_call *c)
{
	struct person_list l = { NULL, 0 };
	const char *org;
	int r;

	if ((r = org_filter(c, &org)) != 0)
		return r;
	if ((r = person_list(c->ctx->store, org, &l)) != 0)
		return admin_fail(c, r, "store failure listing recipients");
	r = admin_list(c, "people", PERSON_HEADER, l.v, l.n, sizeof(*l.v),
	    person_row);
	person_list_free(&l);
	return r;
}

/* ---- the rules ----------------------------------------------------------- */

/* The identity is active (want 1) or disabled (want 0) now. */
static int
check_active(struct admin_call *c, const struct identity *id, int want)
{
	if ((id->active != 0) != want)
		return admin_fail(c, SLUICE_ESTATE, "%s %s is %s already",
		    kind_word(id), id->user, active_word(id->active));
	return 0;
}

/* After the change id stays an active admin (stays), or some other active
 * admin remains. */
static int
keeps_an_admin(struct admin_call *c, const struct identity *id, int stays)
{
	int64_t n = 0;
	int r;

	if (stays || !id->active || !(id->roles & ROLE_ADMIN))
		return 0;
	if ((r = staff_count_active_admins(c->ctx->store, &n)) != 0)
		return admin_fail(c, r, "store failure counting admins");
	if (n <= 1)
		return admin_fail(c, SLUICE_EDENIED, "%s is the last active "
		    "admin", id->user);
	return 0;
}

static int
is_caller(const struct admin_call *c, const struct identity *id)
{
	return c->ctx->user != NULL && strcmp(c->ctx->user, id->user) == 0;
}

static int
not_yourself(struct admin_call *c, const struct identity *id)
{
	if (is_caller(c, id))
		return admin_fail(c, SLUICE_EDENIED,
		    "you cannot disable yourself");
	return 0;
}

/* ---- disable, enable ----------------------------------------------------- */

static int
store_active(struct admin_call *c, const struct identity *id, int active)
{
	int r;

	r = id->kind == IDENTITY_STAFF ?
	    staff_set_active(c->ctx->store, id->user, active) :
	    person_set_active(c->ctx->store, id->user, active);
	if (r != 0)
		return admin_fail(c, r, "store failure changing %s", id->user);
	return 0;
}

/* Disables id for reason, or (reason NULL) enables it. */
static int
set_active(struct admin_call *c, const struct identity *id,
    const char *reason)
{
	int r;

	if ((r = store_active(c, id, reason == NULL)) != 0)
		return r;
	admin_subject(c, id->user);
	if (reason != NULL)
		admin_change(c, "disabled: %s", reason);
	else
		admin_change(c, "enabled");
	return admin_answer(c, json_pack("{s:s,s:s,s:b,s:s}", "user", id->user,
	    "org", id->org, "active", reason == NULL, "reason",
	    reason ? reason : ""), "%s %s%s%s %s%s%s", kind_word(id), id->user,
	    id->org[0] ? " of " : "", id->org, reason ? "disabled" : "enabled",
	    reason ? ": " : "", reason ? reason : "");
}

static int
reason_opt(struct admin_call *c, const char **reason)
{
	*reason = admin_opt(c, "reason");
	return admin_check_text(c, "--reason", *reason, STORE_TEXT_MAX);
}

int
cmd_staff_disable(struct admin_call *c)
{
	struct identity id;
	const char *reason;
	int r;

	if ((r = reason_opt(c, &reason)) != 0 ||
	    (r = admin_known_staff(c, c->args[0], &id)) != 0 ||
	    (r = check_active(c, &id, 1)) != 0 ||
	    (r = keeps_an_admin(c, &id, 0)) != 0 ||
	    (r = not_yourself(c, &id)) != 0)
		return r;
	return set_active(c, &id, reason);
}

int
cmd_staff_enable(struct admin_call *c)
{
	struct identity id;
	int r;

	if ((r = admin_known_staff(c, c->args[0], &id)) != 0 ||
	    (r = check_active(c, &id, 0)) != 0)
		return r;
	return set_active(c, &id, NULL);
}

int
cmd_person_disable(struct admin_call *c)
{
	struct identity id;
	const char *reason;
	int r;

	if ((r = reason_opt(c, &reason)) != 0 ||
	    (r = admin_known_person(c, c->args[0], &id)) != 0 ||
	    (r = check_active(c, &id, 1)) != 0)
		return r;
	return set_active(c, &id, reason);
}

int
cmd_person_enable(struct admin_call *c)
{
	struct identity id;
	int r;

	if ((r = admin_known_person(c, c->args[0], &id)) != 0 ||
	    (r = check_active(c, &id, 0)) != 0)
		return r;
	return set_active(c, &id, NULL);
}

/* ---- roles --------------------------------------------------------------- */

static int
roles_change(struct admin_call *c, const struct identity *id, uint32_t roles)
{
	char now[96];

	roles_text(roles, now);
	if (roles == id->roles)
		return admin_fail(c, SLUICE_ESTATE, "staff member %s has roles "
		    "%s already", id->user, now);
	return 0;
}

/* Nobody grants themselves a role: the caller may only shed their own. */
static int
no_self_grant(struct admin_call *c, const struct identity *id,
    uint32_t roles)
{
	char added[96];

	if (!is_caller(c, id) || (roles & ~id->roles) == 0)
		return 0;
	roles_text(roles & ~id->roles, added);
	return admin_fail(c, SLUICE_EDENIED, "you cannot grant yourself %s: "
	    "nobody may grant themselves a role", added);
}

static int
store_roles(struct admin_call *c, const struct identity *id, uint32_t roles)
{
	char was[96], now[96];
	int r;

	if ((r = staff_set_roles(c->ctx->store, id->user, roles)) != 0)
		return admin_fail(c, r, "store failure changing %s's roles",
		    id->user);
	roles_text(id->roles, was);
	roles_text(roles, now);
	admin_change(c, "roles: %s -> %s", was, now);
	return admin_answer(c, json_pack("{s:s,s:s,s:s}", "user", id->user,
	    "roles", now, "previous_roles", was), "staff member %s: roles %s "
	    "(were %s)", id->user, now, was);
}

int
cmd_staff_roles(struct admin_call *c)
{
	struct identity id;
	uint32_t roles;
	int r;

	if ((r = admin_opt_roles(c, &roles)) != 0 ||
	    (r = admin_known_staff(c, c->args[0], &id)) != 0 ||
	    (r = roles_change(c, &id, roles)) != 0 ||
	    (r = keeps_an_admin(c, &id, (roles & ROLE_ADMIN) != 0)) != 0 ||
	    (r = no_self_grant(c, &id, roles)) != 0)
		return r;
	return store_roles(c, &id, roles);
}

/* ---- login keys ---------------------------------------------------------- */

static int
replace_key(struct admin_call *c, const struct identity *id,
    const struct store_key *key)
{
	char was[STORE_FPR_MAX], why[256] = "";
	int r;

	key_fingerprint(c, id->kind, id->id, was);
	if ((r = identity_replace_key(c->ctx->store, id->user, key->blob,
	    key->len, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot replace %s's key",
		    id->user);
	admin_change(c, "key: %s -> %s", was, key->fingerprint);
	return admin_answer(c, json_pack("{s:s,s:s,s:s}", "user", id->user,
	    "fingerprint", key->fingerprint, "previous_fingerprint", was),
	    "%s %s: login key %s replaces %s", kind_word(id), id->user,
	    key->fingerprint, was);
}

/* The new --key for the identity (the store refuses one in use). */
static int
new_key(struct admin_call *c, const struct identity *id)
{
	struct sshkey_pub *pub = NULL;
	struct store_key key;
	int r;

	if ((r = admin_opt_key(c, &pub, &key)) == 0)
		r = replace_key(c, id, &key);
	sshkey_pub_free(pub);
	return r;
}

int
cmd_staff_key(struct admin_call *c)
{
	struct identity id;
	int r;

	if ((r = admin_known_staff(c, c->args[0], &id)) != 0)
		return r;
	return new_key(c, &id);
}

int
cmd_person_key(struct admin_call *c)
{
	struct identity id;
	int r;

	if ((r = admin_known_person(c, c->args[0], &id)) != 0)
		return r;
	return new_key(c, &id);
}

/* ---- age recipient ------------------------------------------------------- */

/* The AGE argument: "none" is "", else an age1... recipient that differs
 * from the one id has. */
static int
age_arg(struct admin_call *c, const struct identity *id, const char **age)
{
	int r;

	*age = strcmp(c->args[1], "none") == 0 ? "" : c->args[1];
	if ((*age)[0] != '\0' && (r = admin_check_age_recipient(c,
	    "age recipient", *age)) != 0)
		return r;
	if (strcmp(*age, id->age_recipient) == 0)
		return admin_fail(c, SLUICE_ESTATE, (*age)[0] ? "recipient %s "
		    "has that age recipient already" : "recipient %s has no age "
		    "recipient already", id->user);
	return 0;
}

static int
store_age(struct admin_call *c, const struct identity *id, const char *age)
{
	const char *was = id->age_recipient[0] ? id->age_recipient : "none";
	int r;

	if ((r = person_set_age_recipient(c->ctx->store, id->user, age)) != 0)
		return admin_fail(c, r, "store failure setting %s's age "
		    "recipient", id->user);
	admin_change(c, "age recipient: %s -> %s", was, age[0] ? age : "none");
	return admin_answer(c, json_pack("{s:s,s:s,s:s}", "user", id->user,
	    "age_recipient", age, "previous_age_recipient", id->age_recipient),
	    "recipient %s: files are encrypted to %s", id->user, age[0] ? age :
	    "the login key");
}

int
cmd_person_age_recipient(struct admin_call *c)
{
	struct identity id;
	const char *age;
	int r;

	if ((r = admin_known_person(c, c->args[0], &id)) != 0 ||
	    (r = age_arg(c, &id, &age)) != 0)
		return r;
	return store_age(c, &id, age);
}
