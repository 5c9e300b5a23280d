/* org.c: help; adding organisations, contracts, recipients and staff; the
 * organisation list (org show and contract list are in orgshow.c, the rest
 * of people and staff in people.c, signatories in signatory.c). */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/sshkey.h"

#include "engine/admin/admin_int.h"

/* A command of the table, when the caller may run it. */
static int
help_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct admin_row *row = v;

	if (!admin_may_run(c->ctx, row))
		return 0;
	if (!c->json)
		return admin_print(c, "%s\n    %s\n", row->usage, row->summary);
	return admin_append(c, arr, json_pack("{s:s,s:s,s:s}", "command",
	    row->name, "usage", row->usage, "summary", row->summary));
}

int
cmd_help(struct admin_call *c)
{
	return admin_list(c, "commands", NULL, admin_rows, admin_nrows,
	    sizeof(admin_rows[0]), help_row);
}

/* The organisation the arguments describe, checked. */
static int
org_of_args(struct admin_call *c, struct org *o)
{
	const char *name = admin_opt(c, "name"), *type = admin_opt(c, "type");
	int r;

	memset(o, 0, sizeof(*o));
	if ((r = admin_check_name(c, "organisation code", c->args[0])) != 0 ||
	    (r = admin_check_text(c, "--name", name, sizeof(o->name))) != 0 ||
	    (type != NULL && (r = admin_check_text(c, "--type", type,
	    sizeof(o->type))) != 0))
		return r;
	(void)snprintf(o->code, sizeof(o->code), "%s", c->args[0]);
	(void)snprintf(o->name, sizeof(o->name), "%s", name);
	(void)snprintf(o->type, sizeof(o->type), "%s", type ? type : "");
	return 0;
}

int
cmd_org_add(struct admin_call *c)
{
	struct org o;
	char why[256] = "";
	int64_t id;
	int r;

	if ((r = org_of_args(c, &o)) != 0)
		return r;
	if ((r = org_add(c->ctx->store, &o, &id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "organisation %s exists already", o.code);
	return admin_answer(c, json_pack("{s:s,s:I}", "code", o.code, "id",
	    (json_int_t)id), "organisation %s added", o.code);
}

static int
dspt_opt(struct admin_call *c, enum dspt_status *st)
{
	if (dspt_status_parse(admin_opt(c, "status"), st) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --status '%.32s': "
		    "expected none, not-met, approaching, standards-met or "
		    "standards-exceeded", admin_opt(c, "status"));
	return 0;
}

static int
store_dspt(struct admin_call *c, const struct org *o, enum dspt_status st,
    int32_t expires)
{
	char d[11];
	int r;

	if ((r = org_set_dspt(c->ctx->store, o->code, st, expires)) != 0)
		return admin_fail(c, r, "store failure setting DSPT");
	admin_date(expires, d);
	return admin_answer(c, json_pack("{s:s,s:s,s:s}", "code", o->code,
	    "dspt", dspt_status_name(st), "dspt_expires", d),
	    "organisation %s: DSPT %s until %s", o->code,
	    dspt_status_name(st), d);
}

int
cmd_org_dspt(struct admin_call *c)
{
	struct org o;
	enum dspt_status st;
	int32_t expires;
	int r;

	if ((r = admin_known_org(c, c->args[0], &o)) != 0 ||
	    (r = dspt_opt(c, &st)) != 0 ||
	    (r = admin_opt_date(c, "expires", &expires)) != 0)
		return r;
	return store_dspt(c, &o, st, expires);
}

static int
org_row(struct admin_call *c, json_t *arr, const void *v)
{
	const struct org *o = v;
	char d[11];

	admin_date(o->dspt_expires, d);
	if (!c->json)
		return admin_print(c, "%s\t%s\t%s\t%s\t%s\t%s\n", o->code,
		    o->name, o->type, dspt_status_name(o->dspt),
		    d[0] ? d : "-", o->sanctioned ? "sanctioned" : "-");
	return admin_append(c, arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}",
	    "code", o->code, "name", o->name, "type", o->type, "dspt",
	    dspt_status_name(o->dspt), "dspt_expires", d, "sanctioned",
	    o->sanctioned));
}

int
cmd_org_list(struct admin_call *c)
{
	struct org_list l = { NULL, 0 };
	int r;

	if ((r = org_list(c->ctx->store, &l)) != 0)
		return admin_fail(c, r, "store failure listing organisations");
	r = admin_list(c, "organisations", "code\tname\ttype\tdspt\t"
	    "dspt_expires\tsanctioned", l.v, l.n, sizeof(*l.v), org_row);
	org_list_free(&l);
	return r;
}

static int
store_contract(struct admin_call *c, const struct org *o, const char *ref,
    int32_t starts, int32_t expires)
{
	int64_t id;
	char why[256] = "";
	int r;

	if ((r = contract_add(c->ctx->store, o->code, ref, starts, expires, &id,
	    why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot add contract %.64s",
		    ref);
	return admin_answer(c, json_pack("{s:s,s:s,s:I}", "org", o->code,
	    "ref", ref, "id", (json_int_t)id), "contract %.256s added for %s",
	    ref, o->code);
}

int
cmd_contract_add(struct admin_call *c)
{
	struct org o;
	const char *ref = admin_opt(c, "ref");
	int32_t starts, expires;
	int r;

	if ((r = admin_known_org(c, c->args[0], &o)) != 0 ||
	    (r = admin_check_text(c, "--ref", ref, STORE_TEXT_MAX)) != 0 ||
	    (r = admin_opt_period(c, &starts, &expires)) != 0)
		return r;
	return store_contract(c, &o, ref, starts, expires);
}

/* A new login's --email and --key: the key line parsed and checked into key
 * (borrowing pub's blob). */
static int
check_login(struct admin_call *c, struct sshkey_pub **pub,
    struct store_key *key)
{
	int r;

	memset(key, 0, sizeof(*key));
	if ((r = admin_check_email(c, admin_opt(c, "email"))) != 0)
		return r;
	return admin_opt_key(c, pub, key);
}

/* Registers the recipient args[1] of o, logging in with key. */
static int
store_person(struct admin_call *c, const struct org *o,
    const struct store_key *key)
{
	const char *user = c->args[1];
	int64_t id;
	char why[256] = "";
	int r;

	admin_subject(c, user);
	if ((r = person_add(c->ctx->store, o->code, user, admin_opt(c, "email"),
	    key, admin_opt(c, "age-recipient"), &id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot add %s", user);
	return admin_answer(c, json_pack("{s:s,s:s,s:s,s:I}", "user", user,
	    "org", o->code, "fingerprint", key->fingerprint, "id",
	    (json_int_t)id), "recipient %s of %s added (%s)", user, o->code,
	    key->fingerprint);
}

int
cmd_person_add(struct admin_call *c)
{
	struct org o;
	struct sshkey_pub *pub = NULL;
	struct store_key key;
	int r;

	if ((r = admin_known_org(c, c->args[0], &o)) == 0 &&
	    (r = admin_check_name(c, "user name", c->args[1])) == 0 &&
	    (r = check_login(c, &pub, &key)) == 0 &&
	    (r = admin_check_age_recipient(c, "--age-recipient",
	    admin_opt(c, "age-recipient"))) == 0)
		r = store_person(c, &o, &key);
	sshkey_pub_free(pub);
	return r;
}

/* Nobody grants themselves a role, not even an admin. */
static int
not_yourself(struct admin_call *c, const char *user)
{
	if (c->ctx->user != NULL && strcmp(user, c->ctx->user) == 0)
		return admin_fail(c, SLUICE_EDENIED, "you cannot add yourself: "
		    "nobody may grant themselves a role");
	return 0;
}

/* Registers the staff member args[0] with roles, logging in with key. */
static int
store_staff(struct admin_call *c, const struct store_key *key,
    uint32_t roles)
{
	const char *user = c->args[0];
	int64_t id;
	char why[256] = "", rtext[96];
	int r;

	if ((r = staff_add(c->ctx->store, user, admin_opt(c, "email"), key,
	    roles, &id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot add %s", user);
	if (roles_format(roles, rtext, sizeof(rtext)) != 0)
		rtext[0] = '\0';
	return admin_answer(c, json_pack("{s:s,s:s,s:s,s:I}", "user", user,
	    "roles", rtext, "fingerprint", key->fingerprint, "id",
	    (json_int_t)id), "staff %s added with role %s (%s)", user, rtext,
	    key->fingerprint);
}

int
cmd_staff_add(struct admin_call *c)
{
	struct sshkey_pub *pub = NULL;
	struct store_key key;
	uint32_t roles;
	int r;

	if ((r = admin_check_name(c, "user name", c->args[0])) == 0 &&
	    (r = not_yourself(c, c->args[0])) == 0 &&
	    (r = check_login(c, &pub, &key)) == 0 &&
	    (r = admin_opt_roles(c, &roles)) == 0)
		r = store_staff(c, &key, roles);
	sshkey_pub_free(pub);
	return r;
}
