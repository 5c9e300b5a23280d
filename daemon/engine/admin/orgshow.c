/* orgshow.c: what staff read of an organisation - org show (its DSPT,
 * sanction, contracts, recipients, signatories and agreements) and
 * contract list. The text of org show is printed from its JSON, so the two
 * answers say the same. */
#include <stdio.h>
#include <string.h>

#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

/* ---- contracts ------------------------------------------------------------ */

static const char *
contract_status(const struct admin_call *c, const struct contract *k)
{
	if (admin_today(c) < k->starts)
		return "not-started";
	if (admin_today(c) > k->expires)
		return "expired";
	return "in-force";
}

static json_t *
contract_json(struct admin_call *c, const struct contract *k)
{
	char s[11], e[11];

	admin_date(k->starts, s);
	admin_date(k->expires, e);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "org", k->org, "ref", k->ref,
	    "starts", s, "expires", e, "status", contract_status(c, k));
}

static const char *
field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

#define CONTRACT_HEADER	"org\tref\tstarts\texpires\tstatus"

static int
contract_row(struct admin_call *c, json_t *arr, const void *v)
{
	json_t *o = contract_json(c, v);
	int r;

	if (c->json || o == NULL)
		return admin_append(c, arr, o);
	r = admin_print(c, "%s\t%s\t%s\t%s\t%s\n", field(o, "org"),
	    field(o, "ref"), field(o, "starts"), field(o, "expires"),
	    field(o, "status"));
	json_decref(o);
	return r;
}

int
cmd_contract_list(struct admin_call *c)
{
	struct contract_list l = { NULL, 0 };
	const char *code = admin_opt(c, "org");
	struct org o;
	int r;

	if (code != NULL && (r = admin_known_org(c, code, &o)) != 0)
		return r;
	if ((r = contract_list(c->ctx->store, code, &l)) != 0)
		return admin_fail(c, r, "store failure listing contracts");
	r = admin_list(c, "contracts", CONTRACT_HEADER, l.v, l.n, sizeof(*l.v),
	    contract_row);
	contract_list_free(&l);
	return r;
}

/* ---- org show: JSON ------------------------------------------------------- */

static json_t *
person_json(const struct person *p)
{
	return json_pack("{s:s,s:s,s:b,s:s}", "user", p->user, "email",
	    p->email, "active", p->active, "age_recipient", p->age_recipient);
}

static json_t *
agreement_json(const struct agreement *a)
{
	char s[11], e[11];

	admin_date(a->starts, s);
	admin_date(a->expires, e);
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "nic", a->nic, "version",
	    a->version, "state", agreement_state_name(a->state), "starts", s,
	    "expires", e, "title", a->title);
}

static int
contracts_of(struct admin_call *c, const struct org *o, json_t *arr)
{
	struct contract_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = contract_list(c->ctx->store, o->code, &l)) != 0)
		r = admin_fail(c, r, "store failure listing contracts");
	for (i = 0; i < l.n && r == 0; i++)
		r = admin_append(c, arr, contract_json(c, &l.v[i]));
	contract_list_free(&l);
	return r;
}

static int
people_of(struct admin_call *c, const struct org *o, json_t *arr)
{
	struct person_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = person_list(c->ctx->store, o->code, &l)) != 0)
		r = admin_fail(c, r, "store failure listing recipients");
	for (i = 0; i < l.n && r == 0; i++)
		r = admin_append(c, arr, person_json(&l.v[i]));
	person_list_free(&l);
	return r;
}

static int
signatories_of(struct admin_call *c, const struct org *o, json_t *arr)
{
	struct signatory_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = signatory_list(c->ctx->store, o->code, &l)) != 0)
		r = admin_fail(c, r, "store failure listing signatories");
	for (i = 0; i < l.n && r == 0; i++)
		r = admin_append(c, arr, admin_signatory_json(c, &l.v[i]));
	signatory_list_free(&l);
	return r;
}

/* The governing version of each of the organisation's agreements. */
static int
agreements_of(struct admin_call *c, const struct org *o, json_t *arr)
{
	struct agreement_list l = { NULL, 0 };
	size_t i;
	int r;

	if ((r = agreement_list(c->ctx->store, AGREEMENT_ANY_STATE, o->code,
	    AGREEMENT_LIST_GOVERNING, &l)) != 0)
		r = admin_fail(c, r, "store failure listing agreements");
	for (i = 0; i < l.n && r == 0; i++)
		r = admin_append(c, arr, agreement_json(&l.v[i]));
	agreement_list_free(&l);
	return r;
}

typedef int (*section_fn)(struct admin_call *, const struct org *, json_t *);

/* Adds the array key, filled by fn, to o. */
static int
add_section(struct admin_call *c, const struct org *org, json_t *o,
    const char *key, section_fn fn)
{
	json_t *arr = json_array();

	if (arr == NULL || json_object_set_new(o, key, arr) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	return fn(c, org, arr);
}

static json_t *
org_json(const struct org *o)
{
	char d[11];

	admin_date(o->dspt_expires, d);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "code", o->code, "name",
	    o->name, "type", o->type, "dspt", dspt_status_name(o->dspt),
	    "dspt_expires", d, "sanctioned", o->sanctioned);
}

static int
show_json(struct admin_call *c, const struct org *org, json_t **out)
{
	json_t *o;
	int r;

	if ((*out = o = org_json(org)) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	if ((r = add_section(c, org, o, "contracts", contracts_of)) != 0 ||
	    (r = add_section(c, org, o, "people", people_of)) != 0 ||
	    (r = add_section(c, org, o, "signatories", signatories_of)) != 0)
		return r;
	return add_section(c, org, o, "agreements", agreements_of);
}

/* ---- org show: text ------------------------------------------------------- */

static int
print_head(struct admin_call *c, json_t *o)
{
	const char *d = field(o, "dspt_expires");
	int r;

	if ((r = admin_print(c, "organisation %s: %s%s%s%s\n", field(o, "code"),
	    field(o, "name"), field(o, "type")[0] ? " (" : "",
	    field(o, "type"), field(o, "type")[0] ? ")" : "")) != 0 ||
	    (r = admin_print(c, "DSPT: %s%s%s\n", field(o, "dspt"),
	    d[0] ? " until " : "", d)) != 0)
		return r;
	if (!json_is_true(json_object_get(o, "sanctioned")))
		return admin_print(c, "sanction: none\n");
	return admin_print(c, "sanction: sanctioned: no data under any "
	    "agreement until every overdue certificate of deletion is "
	    "received\n");
}

static int
print_contract(struct admin_call *c, json_t *k)
{
	return admin_print(c, "contract %s: %s to %s, %s\n", field(k, "ref"),
	    field(k, "starts"), field(k, "expires"), field(k, "status"));
}

static int
print_person(struct admin_call *c, json_t *p)
{
	const char *age = field(p, "age_recipient");

	return admin_print(c, "recipient %s: %s, %s%s%s\n", field(p, "user"),
	    json_is_true(json_object_get(p, "active")) ? "active" :
	    "disabled", field(p, "email"), age[0] ? ", files to " : "", age);
}

static int
print_signatory(struct admin_call *c, json_t *s)
{
	return admin_print(c, "signatory %s: %s, valid %s to %s, %s\n",
	    field(s, "serial"), field(s, "subject"), field(s, "not_before"),
	    field(s, "not_after"), field(s, "status"));
}

static int
print_agreement(struct admin_call *c, json_t *a)
{
	return admin_print(c, "agreement %s: version %lld, %s, %s to %s: %s\n",
	    field(a, "nic"), (long long)json_integer_value(json_object_get(a,
	    "version")), field(a, "state"), field(a, "starts"),
	    field(a, "expires"), field(a, "title"));
}

/* Each item of the array key through fn, or "<none>: none". */
static int
print_section(struct admin_call *c, json_t *o, const char *key,
    const char *none, int (*fn)(struct admin_call *, json_t *))
{
	json_t *arr = json_object_get(o, key), *v;
	size_t i;
	int r;

	if (json_array_size(arr) == 0)
		return admin_print(c, "%s: none\n", none);
	json_array_foreach(arr, i, v)
		if ((r = fn(c, v)) != 0)
			return r;
	return 0;
}

static int
print_show(struct admin_call *c, json_t *o)
{
	int r;

	if ((r = print_head(c, o)) != 0 ||
	    (r = print_section(c, o, "contracts", "contracts",
	    print_contract)) != 0 ||
	    (r = print_section(c, o, "people", "recipients",
	    print_person)) != 0 ||
	    (r = print_section(c, o, "signatories", "signatories",
	    print_signatory)) != 0)
		return r;
	return print_section(c, o, "agreements", "agreements",
	    print_agreement);
}

int
cmd_org_show(struct admin_call *c)
{
	struct org org;
	json_t *o = NULL;
	int r;

	if ((r = admin_known_org(c, c->args[0], &org)) == 0 &&
	    (r = show_json(c, &org, &o)) == 0)
		r = c->json ? admin_result(c, json_incref(o)) :
		    print_show(c, o);
	json_decref(o);
	return r;
}
