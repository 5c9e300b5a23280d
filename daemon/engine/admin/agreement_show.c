/* agreement_show.c: agreement show - one version's terms and signers, every
 * version of the NIC with the one that governs, and, for the governing
 * version, its releases, its certificate of deletion and any sanction
 * (docs/design.md sections 3 and 6). The text is printed from the JSON
 * answer, so the two say the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

static json_t *
signatory_json(const struct signatory *sg, int64_t signing_time)
{
	char t[21];

	admin_time(signing_time, t);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "owner", sg->owner, "subject",
	    sg->subject, "issuer", sg->issuer, "serial", sg->serial,
	    "signing_time", t);
}

/* Who signed a for party p, or JSON null. */
static json_t *
signer_json(struct admin_call *c, const struct agreement *a, enum party p)
{
	struct agreement_sig g;
	struct signatory sg;
	json_t *o = NULL;

	memset(&g, 0, sizeof(g));
	memset(&sg, 0, sizeof(sg));
	if (signature_get(c->ctx->store, a->id, p, &g) != 0)
		return json_null();
	if (signatory_get(c->ctx->store, g.signatory_id, &sg) == 0) {
		o = signatory_json(&sg, g.signing_time);
		signatory_clear(&sg);
	}
	agreement_sig_clear(&g);
	return o != NULL ? o : json_null();
}

/* Completed downloads of a release by anyone of the org. */
static int64_t
release_downloads(struct admin_call *c, const struct release *rl,
    const struct person_list *people)
{
	int64_t total = 0, n;
	size_t i;

	for (i = 0; i < people->n; i++)
		if (download_count(c->ctx->store, rl->id, people->v[i].id, 1,
		    &n) == 0)
			total += n;
	return total;
}

static json_t *
release_json(struct admin_call *c, const struct release *rl,
    const struct person_list *people)
{
	char at[21];

	admin_time(rl->approved_at, at);
	return json_pack("{s:I,s:s,s:s,s:s,s:b,s:I}", "id", (json_int_t)rl->id,
	    "name", rl->name, "extract_id", rl->extract_id, "approved_at", at,
	    "revoked", rl->revoked_at != 0, "downloads",
	    (json_int_t)release_downloads(c, rl, people));
}

static json_t *
releases_json(struct admin_call *c, const struct agreement *a)
{
	struct release_list l = { NULL, 0 };
	struct person_list people = { NULL, 0 };
	json_t *arr = json_array(), *o;
	size_t i;

	if (arr != NULL && release_list(c->ctx->store, a->nic, 0, &l) == 0 &&
	    person_list(c->ctx->store, a->org, &people) == 0)
		for (i = 0; i < l.n; i++)
			if ((o = release_json(c, &l.v[i], &people)) != NULL)
				(void)json_array_append_new(arr, o);
	person_list_free(&people);
	release_list_free(&l);
	return arr;
}

/* Deletion certificates received for a: accepted and rejected. */
static void
certificates_count(struct admin_call *c, const struct agreement *a,
    int *accepted, int *rejected)
{
	struct certificate_list l = { NULL, 0 };
	size_t i;

	*accepted = *rejected = 0;
	if (certificate_list(c->ctx->store, a->nic, &l) == 0)
		for (i = 0; i < l.n; i++) {
			*accepted += l.v[i].accepted != 0;
			*rejected += l.v[i].accepted == 0;
		}
	certificate_list_free(&l);
}

/* Where a's certificate of deletion stands, with accepted received. */
static const char *
certificate_status(const struct admin_call *c, const struct agreement *a,
    int accepted)
{
	if (accepted > 0)
		return "received";
	if (admin_today(c) > a->expires + admin_cert_due_days(c))
		return "overdue";
	if (admin_today(c) > a->expires || a->state == AG_EXPIRED)
		return "due";	/* expired: by its date, or terminated today */
	return "not yet due";
}

static json_t *
certificate_json(struct admin_call *c, const struct agreement *a)
{
	char due[11];
	int accepted, rejected;

	admin_date(a->expires + admin_cert_due_days(c), due);
	certificates_count(c, a, &accepted, &rejected);
	return json_pack("{s:s,s:s,s:i,s:i}", "status",
	    certificate_status(c, a, accepted), "due", due,
	    "accepted", accepted, "rejected", rejected);
}

static json_t *
agreement_json(struct admin_call *c, const struct agreement *a)
{
	char s[11], e[11];

	admin_date(a->starts, s);
	admin_date(a->expires, e);
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,"
	    "s:o,s:o}", "nic", a->nic, "version", a->version, "state",
	    agreement_state_name(a->state), "org", a->org, "title", a->title,
	    "purpose", a->purpose, "legal_basis", a->legal_basis, "datasets",
	    a->datasets, "starts", s, "expires", e, "document_sha256",
	    a->document_sha256, "applicant", signer_json(c, a,
	    PARTY_APPLICANT), "controller", signer_json(c, a,
	    PARTY_CONTROLLER));
}

/* The latest version, when it is not the governing one yet. */
static int
set_pending(json_t *o, const struct agreement *gov,
    const struct agreement *latest)
{
	char e[11];

	if (latest->version == gov->version)
		return 0;
	admin_date(latest->expires, e);
	return json_object_set_new(o, "pending", json_pack("{s:i,s:s,s:s}",
	    "version", latest->version, "state",
	    agreement_state_name(latest->state), "expires", e));
}

/* Whether party p has signed version a. */
static int
signed_by(struct admin_call *c, const struct agreement *a, enum party p)
{
	struct agreement_sig g;
	int r;

	memset(&g, 0, sizeof(g));
	r = signature_get(c->ctx->store, a->id, p, &g);
	agreement_sig_clear(&g);
	return r == 0;
}

static json_t *
version_json(struct admin_call *c, const struct agreement *a, int governs)
{
	char s[11], e[11];

	admin_date(a->starts, s);
	admin_date(a->expires, e);
	return json_pack("{s:i,s:s,s:s,s:s,s:b,s:b,s:b}", "version",
	    a->version, "state", agreement_state_name(a->state), "starts", s,
	    "expires", e, "applicant_signed", signed_by(c, a, PARTY_APPLICANT),
	    "controller_signed", signed_by(c, a, PARTY_CONTROLLER), "governs",
	    governs);
}

/* Every version of gov's NIC, 1 to latest, as a JSON array. */
static int
versions_json(struct admin_call *c, const struct agreement *gov, int latest,
    json_t *arr)
{
	struct agreement v;
	int n, r = 0;

	for (n = 1; n <= latest && r == 0; n++) {
		memset(&v, 0, sizeof(v));
		if ((r = agreement_get(c->ctx->store, gov->nic, n, &v)) != 0)
			r = admin_fail(c, r, "store failure reading %s version "
			    "%d", gov->nic, n);
		else
			r = admin_append(c, arr, version_json(c, &v,
			    n == gov->version));
		agreement_clear(&v);
	}
	return r;
}

/* What only the governing version has: releases, the certificate of
 * deletion, the organisation's sanction. */
static int
set_governing(struct admin_call *c, json_t *o, const struct agreement *gov)
{
	if (json_object_set_new(o, "releases", releases_json(c, gov)) != 0 ||
	    json_object_set_new(o, "certificate", certificate_json(c,
	    gov)) != 0 || json_object_set_new(o, "org_sanctioned",
	    json_boolean(admin_org_sanctioned(c, gov->org))) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	return 0;
}

struct shown {
	struct agreement	 a;		/* the version shown */
	struct agreement	 gov;		/* the one that governs */
	struct agreement	 latest;
};

static int
set_versions(struct admin_call *c, json_t *o, const struct shown *sh)
{
	json_t *arr = json_array();

	if (arr == NULL || json_object_set_new(o, "versions", arr) != 0 ||
	    json_object_set_new(o, "governing_version",
	    json_integer(sh->gov.version)) != 0 || set_pending(o, &sh->gov,
	    &sh->latest) != 0)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	return versions_json(c, &sh->gov, sh->latest.version, arr);
}

/* Everything agreement show says of the version shown, as one object. */
static int
show_json(struct admin_call *c, const struct shown *sh, json_t **out)
{
	int r;

	if ((*out = agreement_json(c, &sh->a)) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	if ((r = set_versions(c, *out, sh)) != 0)
		return r;
	if (sh->a.version != sh->gov.version)
		return 0;
	return set_governing(c, *out, &sh->gov);
}

static const char *
field_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
field_num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static int
print_fields(struct admin_call *c, json_t *o)
{
	static const char *const keys[] = { "org", "title", "purpose",
	    "legal_basis", "datasets", "starts", "expires",
	    "document_sha256" };
	size_t i;
	int r;

	if ((r = admin_print(c, "%s version %lld: %s\n", field_str(o, "nic"),
	    field_num(o, "version"), field_str(o, "state"))) != 0)
		return r;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((r = admin_print(c, "%s: %s\n", keys[i],
		    field_str(o, keys[i]))) != 0)
			return r;
	return 0;
}

static int
print_signer(struct admin_call *c, const char *party, json_t *sg)
{
	if (!json_is_object(sg))
		return admin_print(c, "%s signature: none\n", party);
	return admin_print(c, "%s signature: %s (issuer %s, serial %s, "
	    "signed %s)\n", party, field_str(sg, "subject"),
	    field_str(sg, "issuer"), field_str(sg, "serial"),
	    field_str(sg, "signing_time"));
}

static int
print_signers(struct admin_call *c, json_t *o)
{
	int r;

	if ((r = print_signer(c, "applicant",
	    json_object_get(o, "applicant"))) != 0)
		return r;
	return print_signer(c, "controller", json_object_get(o, "controller"));
}

static const char *
signed_words(json_t *v)
{
	int a = json_is_true(json_object_get(v, "applicant_signed"));
	int c = json_is_true(json_object_get(v, "controller_signed"));

	if (a && c)
		return "signed by both parties";
	if (a || c)
		return a ? "signed by the applicant only" :
		    "signed by the controller only";
	return "not signed";
}

static int
print_version(struct admin_call *c, json_t *v)
{
	return admin_print(c, "version %lld: %s, %s to %s, %s%s\n",
	    field_num(v, "version"), field_str(v, "state"),
	    field_str(v, "starts"), field_str(v, "expires"), signed_words(v),
	    json_is_true(json_object_get(v, "governs")) ? ", governs" : "");
}

static int
print_release(struct admin_call *c, json_t *rl)
{
	return admin_print(c, "release %lld: %s (%s)%s, %lld downloads\n",
	    field_num(rl, "id"), field_str(rl, "name"),
	    field_str(rl, "approved_at"),
	    json_is_true(json_object_get(rl, "revoked")) ? " revoked" : "",
	    field_num(rl, "downloads"));
}

/* Each element of o's array key, printed by one. */
static int
print_each(struct admin_call *c, json_t *o, const char *key,
    int (*one)(struct admin_call *, json_t *))
{
	json_t *v;
	size_t i;
	int r;

	json_array_foreach(json_object_get(o, key), i, v)
		if ((r = one(c, v)) != 0)
			return r;
	return 0;
}

static int
print_deletion(struct admin_call *c, json_t *o)
{
	json_t *cert = json_object_get(o, "certificate");
	int r;

	if (cert == NULL)
		return 0;
	if ((r = admin_print(c, "deletion certificate: %s (due %s)\n",
	    field_str(cert, "status"), field_str(cert, "due"))) != 0)
		return r;
	if (json_is_true(json_object_get(o, "org_sanctioned")))
		r = admin_print(c, "sanction: %s is sanctioned: no data under any "
		    "agreement until every overdue certificate of deletion is "
		    "received\n", field_str(o, "org"));
	return r;
}

/* agreement show as text, from its JSON. */
static int
print_show(struct admin_call *c, json_t *o)
{
	int r;

	if ((r = print_fields(c, o)) != 0 ||
	    (r = print_signers(c, o)) != 0 ||
	    (r = print_each(c, o, "versions", print_version)) != 0 ||
	    (r = print_each(c, o, "releases", print_release)) != 0)
		return r;
	return print_deletion(c, o);
}

/* --version N, or the governing version: sh->a. */
static int
version_opt(struct admin_call *c, struct shown *sh)
{
	const char *v = admin_opt(c, "version");
	int64_t n = sh->gov.version;
	int r;

	if (v != NULL && (r = admin_parse_id(c, "--version", v, &n)) != 0)
		return r;
	if (n > sh->latest.version)
		return admin_fail(c, SLUICE_ENOTFOUND, "agreement %s has no "
		    "version %s (the latest is %d)", sh->gov.nic, v,
		    sh->latest.version);
	if ((r = agreement_get(c->ctx->store, sh->gov.nic, (int)n,
	    &sh->a)) != 0)
		return admin_fail(c, r, "store failure reading agreement");
	return 0;
}

static int
read_shown(struct admin_call *c, struct shown *sh)
{
	int r;

	if ((r = admin_known_agreement(c, c->args[0], 1, &sh->gov)) != 0)
		return r;
	if ((r = agreement_get(c->ctx->store, sh->gov.nic, 0,
	    &sh->latest)) != 0)
		return admin_fail(c, r, "store failure reading agreement");
	return version_opt(c, sh);
}

int
cmd_agreement_show(struct admin_call *c)
{
	struct shown sh;
	json_t *o = NULL;
	int r;

	memset(&sh, 0, sizeof(sh));
	if ((r = read_shown(c, &sh)) == 0 && (r = show_json(c, &sh, &o)) == 0)
		r = c->json ? admin_result(c, json_incref(o)) :
		    print_show(c, o);
	json_decref(o);
	agreement_clear(&sh.a);
	agreement_clear(&sh.latest);
	agreement_clear(&sh.gov);
	return r;
}
