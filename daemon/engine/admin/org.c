/* admin_org.c: help, organisations, contracts, people, staff, signatories. */
#include <stdlib.h>
#include <string.h>

#include "sluice/age.h"
#include "sluice/clock.h"
#include "sluice/cms.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/sshkey.h"

#include "engine/admin/admin_int.h"

int
cmd_help(struct admin_call *c)
{
	uint32_t roles = admin_caller_roles(c->ctx);
	json_t *list = c->json ? json_array() : NULL, *o;
	size_t i;
	int r;

	if (c->json && list == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	for (i = 0; i < admin_nrows; i++) {
		if (admin_rows[i].roles != ADMIN_ANYONE &&
		    (admin_rows[i].roles & roles) == 0)
			continue;
		if (c->json) {
			o = json_pack("{s:s,s:s,s:s}", "command",
			    admin_rows[i].name, "usage", admin_rows[i].usage,
			    "summary", admin_rows[i].summary);
			if (o == NULL || json_array_append_new(list, o) != 0) {
				json_decref(list);
				return admin_fail(c, SLUICE_ENOMEM,
				    "out of memory");
			}
		} else if ((r = admin_print(c, "%s\n    %s\n",
		    admin_rows[i].usage, admin_rows[i].summary)) != 0)
			return r;
	}
	if (c->json)
		c->result = json_pack("{s:o}", "commands", list);
	return 0;
}

int
cmd_org_add(struct admin_call *c)
{
	struct org o;
	const char *type = admin_opt(c, "type");
	char why[256] = "", msg[128];
	int64_t id;
	int r;

	memset(&o, 0, sizeof(o));
	if ((r = admin_check_name(c, "organisation code", c->args[0])) != 0 ||
	    (r = admin_check_text(c, "--name", admin_opt(c, "name"),
	    sizeof(o.name))) != 0 ||
	    (type != NULL && (r = admin_check_text(c, "--type", type,
	    sizeof(o.type))) != 0))
		return r;
	(void)snprintf(o.code, sizeof(o.code), "%s", c->args[0]);
	(void)snprintf(o.name, sizeof(o.name), "%s", admin_opt(c, "name"));
	(void)snprintf(o.type, sizeof(o.type), "%s", type ? type : "");
	if ((r = org_add(c->ctx->store, &o, &id, why, sizeof(why))) != 0)
		return admin_store_fail(c, r, r == SLUICE_EEXIST ? NULL : why,
		    "organisation %s exists already", o.code);
	(void)snprintf(msg, sizeof(msg), "organisation %s added", o.code);
	return admin_answer(c, json_pack("{s:s,s:I}", "code", o.code, "id",
	    (json_int_t)id), msg);
}

int
cmd_org_dspt(struct admin_call *c)
{
	struct org o;
	enum dspt_status st;
	int32_t expires;
	char msg[160], d[11];
	int r;

	if ((r = admin_known_org(c, c->args[0], &o)) != 0)
		return r;
	if (dspt_status_parse(admin_opt(c, "status"), &st) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --status '%.32s': "
		    "expected none, not-met, approaching, standards-met or "
		    "standards-exceeded", admin_opt(c, "status"));
	if ((r = admin_parse_date(c, "--expires", admin_opt(c, "expires"),
	    &expires)) != 0)
		return r;
	if ((r = org_set_dspt(c->ctx->store, o.code, st, expires)) != 0)
		return admin_fail(c, r, "store failure setting DSPT");
	admin_date(expires, d);
	(void)snprintf(msg, sizeof(msg), "organisation %s: DSPT %s until %s",
	    o.code, dspt_status_name(st), d);
	return admin_answer(c, json_pack("{s:s,s:s,s:s}", "code", o.code,
	    "dspt", dspt_status_name(st), "dspt_expires", d), msg);
}

int
cmd_org_list(struct admin_call *c)
{
	struct org_list l = { NULL, 0 };
	json_t *arr = NULL, *o;
	char d[11];
	size_t i;
	int r;

	if ((r = org_list(c->ctx->store, &l)) != 0)
		return admin_fail(c, r, "store failure listing organisations");
	if (c->json && (arr = json_array()) == NULL) {
		r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l.n; i++) {
		admin_date(l.v[i].dspt_expires, d);
		if (!c->json) {
			if ((r = admin_print(c, "%s\t%s\t%s\t%s\t%s\t%s\n",
			    l.v[i].code, l.v[i].name, l.v[i].type,
			    dspt_status_name(l.v[i].dspt), d[0] ? d : "-",
			    l.v[i].sanctioned ? "sanctioned" : "-")) != 0)
				goto out;
			continue;
		}
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "code",
		    l.v[i].code, "name", l.v[i].name, "type", l.v[i].type,
		    "dspt", dspt_status_name(l.v[i].dspt), "dspt_expires", d,
		    "sanctioned", l.v[i].sanctioned);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			r = admin_fail(c, SLUICE_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (c->json) {
		c->result = json_pack("{s:O}", "organisations", arr);
		r = c->result ? 0 : SLUICE_ENOMEM;
	}
 out:
	json_decref(arr);
	org_list_free(&l);
	return r;
}

int
cmd_contract_add(struct admin_call *c)
{
	struct org o;
	const char *ref = admin_opt(c, "ref");
	int32_t starts, expires;
	int64_t id;
	char why[256] = "", msg[400];
	int r;

	if ((r = admin_known_org(c, c->args[0], &o)) != 0 ||
	    (r = admin_check_text(c, "--ref", ref, STORE_TEXT_MAX)) != 0 ||
	    (r = admin_parse_date(c, "--starts", admin_opt(c, "starts"),
	    &starts)) != 0 ||
	    (r = admin_parse_date(c, "--expires", admin_opt(c, "expires"),
	    &expires)) != 0)
		return r;
	if (starts > expires)
		return admin_fail(c, SLUICE_EINVAL, "--starts %s is after "
		    "--expires %s", admin_opt(c, "starts"),
		    admin_opt(c, "expires"));
	if ((r = contract_add(c->ctx->store, o.code, ref, starts, expires, &id,
	    why, sizeof(why))) != 0)
		return admin_store_fail(c, r, why, "cannot add contract %.64s",
		    ref);
	(void)snprintf(msg, sizeof(msg), "contract %.256s added for %s", ref,
	    o.code);
	return admin_answer(c, json_pack("{s:s,s:s,s:I}", "org", o.code, "ref",
	    ref, "id", (json_int_t)id), msg);
}

/* Parses and checks a login key line into key (borrowing pub's blob). */
static int
login_key(struct admin_call *c, struct sshkey_pub **pub, struct store_key *key)
{
	char why[256];
	int r;

	memset(key, 0, sizeof(*key));
	if ((r = sshkey_pub_parse(admin_opt(c, "key"), pub, why,
	    sizeof(why))) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --key: %s", why);
	if ((r = sshkey_acceptable(*pub, why, sizeof(why))) != 0)
		return admin_fail(c, r, "bad --key: %s", why);
	if ((r = sshkey_fingerprint((*pub)->blob, (*pub)->bloblen,
	    key->fingerprint)) != 0)
		return admin_fail(c, r, "bad --key: cannot fingerprint it");
	(void)snprintf(key->type, sizeof(key->type), "%s",
	    sshkey_type_name((*pub)->type));
	key->blob = (*pub)->blob;
	key->len = (*pub)->bloblen;
	return 0;
}

static int
check_age_recipient(struct admin_call *c, const char *s)
{
	struct age_recipient rc;
	char why[160];
	int r;

	memset(&rc, 0, sizeof(rc));
	if (s == NULL)
		return 0;
	r = age_recipient_parse_age1(s, &rc, why, sizeof(why));
	age_recipient_clear(&rc);
	if (r != 0 || strncmp(s, "age1", 4) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --age-recipient "
		    "'%.70s': %s", s, r != 0 ? why :
		    "expected lower-case age1...");
	return 0;
}

int
cmd_person_add(struct admin_call *c)
{
	struct org o;
	struct sshkey_pub *pub = NULL;
	struct store_key key;
	const char *user = c->args[1], *age = admin_opt(c, "age-recipient");
	int64_t id;
	char why[256] = "", msg[256];
	int r;

	if ((r = admin_known_org(c, c->args[0], &o)) != 0 ||
	    (r = admin_check_name(c, "user name", user)) != 0 ||
	    (r = admin_check_email(c, admin_opt(c, "email"))) != 0 ||
	    (r = login_key(c, &pub, &key)) != 0 ||
	    (r = check_age_recipient(c, age)) != 0)
		goto out;
	admin_subject(c, user);
	if ((r = person_add(c->ctx->store, o.code, user, admin_opt(c, "email"),
	    &key, age, &id, why, sizeof(why))) != 0) {
		r = admin_store_fail(c, r, why, "cannot add %s", user);
		goto out;
	}
	(void)snprintf(msg, sizeof(msg), "recipient %s of %s added (%s)", user,
	    o.code, key.fingerprint);
	r = admin_answer(c, json_pack("{s:s,s:s,s:s,s:I}", "user", user, "org",
	    o.code, "fingerprint", key.fingerprint, "id", (json_int_t)id), msg);
 out:
	sshkey_pub_free(pub);
	return r;
}

int
cmd_staff_add(struct admin_call *c)
{
	struct sshkey_pub *pub = NULL;
	struct store_key key;
	const char *user = c->args[0];
	uint32_t roles;
	int64_t id;
	char why[256] = "", msg[256], rtext[96];
	int r;

	if ((r = admin_check_name(c, "user name", user)) != 0)
		goto out;
	/* nobody grants themselves a role, not even an admin */
	if (c->ctx->user != NULL && strcmp(user, c->ctx->user) == 0) {
		r = admin_fail(c, SLUICE_EDENIED, "you cannot add yourself: "
		    "nobody may grant themselves a role");
		goto out;
	}
	if ((r = admin_check_email(c, admin_opt(c, "email"))) != 0 ||
	    (r = login_key(c, &pub, &key)) != 0)
		goto out;
	if (roles_parse(admin_opt(c, "role"), &roles, why, sizeof(why)) != 0) {
		r = admin_fail(c, SLUICE_EINVAL, "bad --role: %s", why);
		goto out;
	}
	if ((r = staff_add(c->ctx->store, user, admin_opt(c, "email"), &key,
	    roles, &id, why, sizeof(why))) != 0) {
		r = admin_store_fail(c, r, why, "cannot add %s", user);
		goto out;
	}
	if (roles_format(roles, rtext, sizeof(rtext)) != 0)
		rtext[0] = '\0';
	(void)snprintf(msg, sizeof(msg), "staff %s added with role %s (%s)",
	    user, rtext, key.fingerprint);
	r = admin_answer(c, json_pack("{s:s,s:s,s:s,s:I}", "user", user,
	    "roles", rtext, "fingerprint", key.fingerprint, "id",
	    (json_int_t)id), msg);
 out:
	sshkey_pub_free(pub);
	return r;
}

int
cmd_signatory_add(struct admin_call *c)
{
	struct org o;
	struct cms_cert cert;
	struct signatory sg;
	const char *owner = c->args[0];
	uint8_t *data = NULL;
	size_t len = 0;
	int64_t id;
	char why[256] = "", msg[512], nb[11], na[11];
	int r;

	memset(&cert, 0, sizeof(cert));
	memset(&sg, 0, sizeof(sg));
	if (strcmp(owner, SIGNATORY_CONTROLLER) != 0 &&
	    (r = admin_known_org(c, owner, &o)) != 0)
		return r;
	if ((r = admin_inbox_read(c, admin_opt(c, "cert"), ADMIN_INBOX_MAX,
	    &data, &len)) != 0)
		return r;
	if ((r = cms_cert_info(data, len, &cert, why, sizeof(why))) != 0) {
		r = admin_fail(c, r, "%s: %s", admin_opt(c, "cert"), why);
		goto out;
	}
	if (!cert.key_usage_ok) {
		r = admin_fail(c, SLUICE_EDENIED, "%s: certificate key usage "
		    "does not allow signing", admin_opt(c, "cert"));
		goto out;
	}
	if (cert.not_after <= c->ctx->now) {
		admin_time(cert.not_after, msg);
		r = admin_fail(c, SLUICE_EDENIED, "%s: certificate expired "
		    "at %s", admin_opt(c, "cert"), msg);
		goto out;
	}
	(void)snprintf(sg.owner, sizeof(sg.owner), "%s", owner);
	sg.der = cert.der;
	sg.der_len = cert.der_len;
	(void)snprintf(sg.subject, sizeof(sg.subject), "%s", cert.subject);
	(void)snprintf(sg.issuer, sizeof(sg.issuer), "%s", cert.issuer);
	(void)snprintf(sg.serial, sizeof(sg.serial), "%s", cert.serial);
	sg.not_before = cert.not_before;
	sg.not_after = cert.not_after;
	sg.added_by = c->ctx->staff_id;
	if ((r = signatory_add(c->ctx->store, &sg, &id, why, sizeof(why))) !=
	    0) {
		r = admin_store_fail(c, r, why, "cannot pin certificate");
		goto out;
	}
	admin_date(sluice_day_of(cert.not_before), nb);
	admin_date(sluice_day_of(cert.not_after), na);
	(void)snprintf(msg, sizeof(msg), "signatory of %s pinned: %.200s "
	    "(serial %s, valid %s to %s)", owner, cert.subject, cert.serial,
	    nb, na);
	r = admin_answer(c, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}",
	    "owner", owner, "subject", cert.subject, "issuer", cert.issuer,
	    "serial", cert.serial, "sha256", cert.sha256, "not_before", nb,
	    "not_after", na, "id", (json_int_t)id), msg);
 out:
	cms_cert_clear(&cert);
	free(data);
	return r;
}
