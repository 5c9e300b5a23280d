/* signatory.c: signatories, the pinned X.509 certificates that agreement
 * documents and certificates of deletion are verified against - pinning,
 * listing and revoking them (docs/design.md sections 1 and 7). A revoked
 * certificate stays in the store as history: its row says when, by whom and
 * why. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/error.h"

#include "engine/admin/admin_int.h"

static int
check_cert(struct admin_call *c, const struct cms_cert *cert)
{
	char t[21];

	if (!cert->key_usage_ok)
		return admin_fail(c, SLUICE_EDENIED,
		    "%s: certificate key usage does not allow signing",
		    admin_opt(c, "cert"));
	if (cert->not_after <= c->ctx->now) {
		admin_time(cert->not_after, t);
		return admin_fail(c, SLUICE_EDENIED, "%s: certificate expired "
		    "at %s", admin_opt(c, "cert"), t);
	}
	return 0;
}

/* The certificate in the inbox file --cert, if it may sign today. */
static int
read_cert(struct admin_call *c, struct cms_cert *cert)
{
	const char *file = admin_opt(c, "cert");
	uint8_t *data = NULL;
	size_t len = 0;
	char why[256] = "";
	int r;

	if ((r = admin_inbox_read(c, file, ADMIN_INBOX_MAX, &data, &len)) != 0)
		return r;
	r = cms_cert_info(data, len, cert, why, sizeof(why));
	free(data);
	if (r != 0)
		return admin_fail(c, r, "%s: %s", file, why);
	return check_cert(c, cert);
}

/* The signatory row pinning cert for owner (borrowing cert's DER). */
static void
signatory_of(const struct admin_call *c, const char *owner,
    const struct cms_cert *cert, struct signatory *sg)
{
	memset(sg, 0, sizeof(*sg));
	(void)snprintf(sg->owner, sizeof(sg->owner), "%s", owner);
	sg->der = cert->der;
	sg->der_len = cert->der_len;
	(void)snprintf(sg->subject, sizeof(sg->subject), "%s", cert->subject);
	(void)snprintf(sg->issuer, sizeof(sg->issuer), "%s", cert->issuer);
	(void)snprintf(sg->serial, sizeof(sg->serial), "%s", cert->serial);
	sg->not_before = cert->not_before;
	sg->not_after = cert->not_after;
	sg->added_by = c->ctx->staff_id;
}

/* Pins cert as a signatory of owner. */
static int
pin_cert(struct admin_call *c, const char *owner, const struct cms_cert *cert,
    int64_t *id)
{
	struct signatory sg;
	char why[256] = "";
	int r;

	signatory_of(c, owner, cert, &sg);
	if ((r = signatory_add(c->ctx->store, &sg, id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot pin certificate");
	return 0;
}

static int
pinned_answer(struct admin_call *c, const char *owner,
    const struct cms_cert *cert, int64_t id)
{
	char nb[11], na[11];

	admin_date(sluice_day_of(cert->not_before), nb);
	admin_date(sluice_day_of(cert->not_after), na);
	return admin_answer(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}",
	    "owner", owner, "subject", cert->subject, "issuer", cert->issuer,
	    "serial", cert->serial, "sha256", cert->sha256, "not_before", nb,
	    "not_after", na, "id", (json_int_t)id), "signatory of %s pinned: "
	    "%.200s (serial %s, valid %s to %s)", owner, cert->subject,
	    cert->serial, nb, na);
}

/* "controller", or a known organisation. */
static int
check_owner(struct admin_call *c, const char *owner)
{
	struct org o;

	if (strcmp(owner, SIGNATORY_CONTROLLER) == 0)
		return 0;
	return admin_known_org(c, owner, &o);
}

int
cmd_signatory_add(struct admin_call *c)
{
	struct cms_cert cert;
	const char *owner = c->args[0];
	int64_t id;
	int r;

	memset(&cert, 0, sizeof(cert));
	if ((r = check_owner(c, owner)) == 0 &&
	    (r = read_cert(c, &cert)) == 0 &&
	    (r = pin_cert(c, owner, &cert, &id)) == 0)
		r = pinned_answer(c, owner, &cert, id);
	cms_cert_clear(&cert);
	return r;
}

/* ---- listing -------------------------------------------------------------- */

static const char *
signatory_status(const struct admin_call *c, const struct signatory *sg)
{
	if (sg->revoked_at != 0)
		return "revoked";
	if (sg->not_after < c->ctx->now)
		return "expired";
	if (sg->not_before > c->ctx->now)
		return "not-yet-valid";
	return "valid";
}

json_t *
admin_signatory_json(struct admin_call *c, const struct signatory *sg)
{
	char nb[11], na[11], rv[21];

	admin_date(sluice_day_of(sg->not_before), nb);
	admin_date(sluice_day_of(sg->not_after), na);
	admin_time(sg->revoked_at, rv);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	    "owner", sg->owner, "serial", sg->serial, "subject", sg->subject,
	    "issuer", sg->issuer, "sha256", sg->fingerprint, "not_before", nb,
	    "not_after", na, "status", signatory_status(c, sg), "added_by",
	    admin_staff_name(c, sg->added_by), "revoked_at", rv, "revoked_by",
	    admin_staff_name(c, sg->revoked_by), "revoke_reason",
	    sg->revoke_reason);
}

static const char *
field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

#define SIGNATORY_HEADER "owner\tserial\tsubject\tnot_before\tnot_after\tstatus"

static int
signatory_row(struct admin_call *c, json_t *arr, const void *v)
{
	json_t *o = admin_signatory_json(c, v);
	int r;

	if (c->json || o == NULL)
		return admin_append(c, arr, o);
	r = admin_print(c, "%s\t%s\t%s\t%s\t%s\t%s\n", field(o, "owner"),
	    field(o, "serial"), field(o, "subject"), field(o, "not_before"),
	    field(o, "not_after"), field(o, "status"));
	json_decref(o);
	return r;
}

int
cmd_signatory_list(struct admin_call *c)
{
	struct signatory_list l = { NULL, 0 };
	const char *owner = c->nargs > 0 ? c->args[0] : NULL;
	int r;

	if (owner != NULL && (r = check_owner(c, owner)) != 0)
		return r;
	if ((r = signatory_list(c->ctx->store, owner, &l)) != 0)
		return admin_fail(c, r, "store failure listing signatories");
	r = admin_list(c, "signatories", SIGNATORY_HEADER, l.v, l.n,
	    sizeof(*l.v), signatory_row);
	signatory_list_free(&l);
	return r;
}

/* ---- revoking ------------------------------------------------------------- */

/* A serial as openssl x509 -serial prints it: hex digits. */
static int
check_serial(struct admin_call *c, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			break;
	if (n == 0 || i < n || n >= STORE_SERIAL_MAX)
		return admin_fail(c, SLUICE_EINVAL, "bad serial '%.64s': "
		    "expected hex digits, as openssl x509 -serial prints them",
		    s);
	return 0;
}

/* owner's certificate with serial (any case), for the answer: its
 * subject and the serial as pinned. */
static void
revoked_cert(struct admin_call *c, const char *owner, const char *serial,
    char subject[STORE_DN_MAX], char pinned[STORE_SERIAL_MAX])
{
	struct signatory_list l = { NULL, 0 };
	size_t i;

	subject[0] = '\0';
	(void)snprintf(pinned, STORE_SERIAL_MAX, "%s", serial);
	if (signatory_list(c->ctx->store, owner, &l) == 0)
		for (i = 0; i < l.n && subject[0] == '\0'; i++)
			if (strcasecmp(l.v[i].serial, serial) == 0) {
				(void)snprintf(subject, STORE_DN_MAX, "%s",
				    l.v[i].subject);
				(void)snprintf(pinned, STORE_SERIAL_MAX, "%s",
				    l.v[i].serial);
			}
	signatory_list_free(&l);
}

static int
revoked_answer(struct admin_call *c, const char *owner, const char *serial,
    const char *reason)
{
	char subject[STORE_DN_MAX], pinned[STORE_SERIAL_MAX];

	revoked_cert(c, owner, serial, subject, pinned);
	admin_change(c, "revoked %s (%.200s): %s", pinned, subject, reason);
	return admin_answer(c, json_pack("{s:s,s:s,s:s,s:b,s:s}", "owner",
	    owner, "serial", pinned, "subject", subject, "revoked", 1,
	    "reason", reason), "signatory %s of %s revoked: %.300s verifies no "
	    "more signatures", pinned, owner, subject);
}

int
cmd_signatory_revoke(struct admin_call *c)
{
	const char *owner = c->args[0], *serial = c->args[1];
	const char *reason = admin_opt(c, "reason");
	char why[256] = "";
	int r;

	if ((r = check_owner(c, owner)) != 0 ||
	    (r = check_serial(c, serial)) != 0 ||
	    (r = admin_check_text(c, "--reason", reason, STORE_TEXT_MAX)) != 0)
		return r;
	if ((r = signatory_revoke(c->ctx->store, owner, serial, c->ctx->now,
	    c->ctx->staff_id, reason, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot revoke signatory %s "
		    "of %s", serial, owner);
	return revoked_answer(c, owner, serial, reason);
}
