/* checks.c: what the admin handlers check their input with - names, texts,
 * addresses, numbers, option dates, inbox files, known organisations and
 * agreements. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sluice/age.h"
#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/files.h"

#include "engine/admin/admin_int.h"
#include "engine/inbox.h"

int
admin_check_name(struct admin_call *c, const char *what, const char *s)
{
	char why[160];

	if (name_check(s, 64, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad %s '%.64s': %s", what,
		    s, why);
	return 0;
}

int
admin_check_nic(struct admin_call *c, const char *s)
{
	char why[256];

	/* nic_check's reason starts with the (printable) reference itself */
	if (nic_check(s, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad NIC %s", why);
	return 0;
}

int
admin_check_text(struct admin_call *c, const char *what, const char *s,
    size_t max)
{
	size_t n = strlen(s);

	if (n == 0)
		return admin_fail(c, SLUICE_EINVAL, "%s is empty", what);
	if (n >= max)
		return admin_fail(c, SLUICE_EINVAL,
		    "%s is too long (%zu bytes, at most %zu)", what, n,
		    max - 1);
	if (strchr(s, '\n') != NULL || strchr(s, '\t') != NULL)
		return admin_fail(c, SLUICE_EINVAL,
		    "%s must be one line", what);
	return 0;
}

static int
email_local_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr(".!#$%&'*+/=?^_`{|}~-", ch) !=
	    NULL;
}

static int
email_domain_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-';
}

static int
email_domain_ok(const char *d)
{
	const char *p;
	int label = 0, dots = 0;

	for (p = d; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			dots++;
		} else if (email_domain_char_ok(*p))
			label++;
		else
			return 0;
	}
	return dots > 0 && label > 0;
}

/* Deliberately simple: one @, a plain local part, a dotted domain; no
 * quoting, comments or commas (the outbox joins addresses with commas). */
static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *p;
	size_t n = strlen(s);

	if (n < 3 || n > 254 || at == NULL || at == s ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	for (p = s; p < at; p++)
		if (!email_local_ok(*p))
			return 0;
	return email_domain_ok(at + 1);
}

int
admin_check_email(struct admin_call *c, const char *s)
{
	if (!email_ok(s))
		return admin_fail(c, SLUICE_EINVAL,
		    "bad email '%.64s': expected local@domain.example", s);
	return 0;
}

/* A positive decimal number without sign, blanks or leading zeros. */
static int
positive_number(const char *s, int64_t *v)
{
	char *end;
	long long n;

	if (s[0] < '1' || s[0] > '9')
		return SLUICE_EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return SLUICE_EINVAL;
	*v = (int64_t)n;
	return 0;
}

int
admin_parse_id(struct admin_call *c, const char *what, const char *s,
    int64_t *id)
{
	if (positive_number(s, id) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad %s '%.32s': expected "
		    "a positive number", what, s);
	return 0;
}

int
admin_opt_date(struct admin_call *c, const char *name, int32_t *day)
{
	const char *s = admin_opt(c, name);

	if (sluice_date_parse(s, day) != 0)
		return admin_fail(c, SLUICE_EINVAL,
		    "bad date for --%s '%.32s': expected YYYY-MM-DD, a real date",
		    name, s);
	return 0;
}

int
admin_opt_period(struct admin_call *c, int32_t *starts, int32_t *expires)
{
	int r;

	if ((r = admin_opt_date(c, "starts", starts)) != 0 ||
	    (r = admin_opt_date(c, "expires", expires)) != 0)
		return r;
	if (*starts > *expires)
		return admin_fail(c, SLUICE_EINVAL, "--starts %s is after "
		    "--expires %s", admin_opt(c, "starts"),
		    admin_opt(c, "expires"));
	return 0;
}

/* The caller's inbox, for inbox.h. */
static int
inbox_of(struct admin_call *c, const char *name, struct inbox_ref *ref)
{
	int r;

	if ((r = admin_check_name(c, "inbox file name", name)) != 0)
		return r;
	if (c->ctx->user == NULL || c->ctx->staff_id == 0 ||
	    c->ctx->data_dir == NULL || c->ctx->master_key == NULL)
		return admin_fail(c, SLUICE_ENOTFOUND, "you have no inbox");
	memset(ref, 0, sizeof(*ref));
	ref->st = c->ctx->store;
	ref->dir = c->ctx->data_dir;
	ref->master = c->ctx->master_key;
	ref->staff_id = c->ctx->staff_id;
	ref->user = c->ctx->user;
	return 0;
}

/* Copies the plaintext into a buffer the caller frees (and wipes). */
static int
take_plain(struct admin_call *c, const char *name, const struct sbuf *b,
    uint8_t **data, size_t *len)
{
	if (sbuf_len(b) == 0)
		return admin_fail(c, SLUICE_EINVAL, "%s in your inbox is empty",
		    name);
	if ((*data = malloc(sbuf_len(b))) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	memcpy(*data, sbuf_ptr(b), sbuf_len(b));
	*len = sbuf_len(b);
	return 0;
}

int
admin_inbox_read(struct admin_call *c, const char *name, size_t max,
    uint8_t **data, size_t *len)
{
	struct inbox_ref ref;
	struct sbuf *b;
	char why[256] = "";
	int r;

	*data = NULL;
	*len = 0;
	if ((r = inbox_of(c, name, &ref)) != 0)
		return r;
	if ((b = sbuf_new_secret()) == NULL)
		return admin_fail(c, SLUICE_ENOMEM, "out of memory");
	if ((r = inbox_read(&ref, name, max, b, why, sizeof(why))) != 0)
		r = admin_fail(c, r, "%s", why);
	else
		r = take_plain(c, name, b, data, len);
	sbuf_free(b);
	return r;
}

int
admin_inbox_take(struct admin_call *c, const char *name,
    const char *extract_id, struct staged_extract *st,
    char file_id[STORE_INBOX_ID_MAX])
{
	struct inbox_ref ref;
	char why[256] = "";
	int r;

	if ((r = inbox_of(c, name, &ref)) != 0)
		return r;
	if ((r = inbox_take(&ref, name, extract_id, st, file_id, why,
	    sizeof(why))) != 0)
		return admin_fail(c, r, "%s", why);
	return 0;
}

int
admin_known_org(struct admin_call *c, const char *code, struct org *o)
{
	int r;

	if ((r = admin_check_name(c, "organisation code", code)) != 0)
		return r;
	if ((r = org_get(c->ctx->store, code, o)) == SLUICE_ENOTFOUND)
		return admin_fail(c, r, "unknown organisation %s", code);
	if (r != 0)
		return admin_fail(c, r, "store failure reading organisation");
	return 0;
}

int
admin_known_agreement(struct admin_call *c, const char *nic, int governing,
    struct agreement *a)
{
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = admin_check_nic(c, nic)) != 0)
		return r;
	r = governing ? agreement_governing(c->ctx->store, nic, a) :
	    agreement_get(c->ctx->store, nic, 0, a);
	if (r == SLUICE_ENOTFOUND)
		return admin_fail(c, r, "unknown agreement %s", nic);
	if (r != 0)
		return admin_fail(c, r, "store failure reading agreement");
	return 0;
}

/* The identity named user, of kind want ("staff", "recipient"). */
static int
known_identity(struct admin_call *c, const char *user,
    enum identity_kind want, struct identity *id)
{
	const char *what = want == IDENTITY_STAFF ? "staff member" :
	    "recipient";
	int r;

	if ((r = admin_check_name(c, "user name", user)) != 0)
		return r;
	if ((r = identity_by_user(c->ctx->store, user, id)) == SLUICE_ENOTFOUND)
		return admin_fail(c, r, "unknown %s %s", what, user);
	if (r != 0)
		return admin_fail(c, r, "store failure reading %s", user);
	if (id->kind != want)
		return admin_fail(c, SLUICE_EINVAL, "%s is %s, not %s", user,
		    want == IDENTITY_STAFF ? "a recipient" : "staff",
		    want == IDENTITY_STAFF ? "staff" : "a recipient");
	return 0;
}

int
admin_known_staff(struct admin_call *c, const char *user,
    struct identity *id)
{
	return known_identity(c, user, IDENTITY_STAFF, id);
}

int
admin_known_person(struct admin_call *c, const char *user,
    struct identity *id)
{
	return known_identity(c, user, IDENTITY_RECIPIENT, id);
}

int
admin_known_extract(struct admin_call *c, const char *id, struct extract *e)
{
	int r;

	if (strlen(id) >= sizeof(e->id))
		return admin_fail(c, SLUICE_EINVAL, "unknown extract %.64s",
		    id);
	if ((r = extract_get(c->ctx->store, id, e)) != 0)
		return admin_fail(c, r, r == SLUICE_ENOTFOUND ? "unknown "
		    "extract %.64s" : "store failure reading extract %.64s",
		    id);
	return 0;
}

int
admin_opt_nic(struct admin_call *c, const char **nic)
{
	*nic = admin_opt(c, "nic");
	return *nic != NULL ? admin_check_nic(c, *nic) : 0;
}

int
admin_opt_key(struct admin_call *c, struct sshkey_pub **pub,
    struct store_key *key)
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

int
admin_check_age_recipient(struct admin_call *c, const char *what,
    const char *s)
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
		return admin_fail(c, SLUICE_EINVAL, "bad %s '%.70s': %s", what,
		    s, r != 0 ? why : "expected lower-case age1...");
	return 0;
}

int
admin_opt_roles(struct admin_call *c, uint32_t *roles)
{
	char why[256] = "";

	if (roles_parse(admin_opt(c, "role"), roles, why, sizeof(why)) != 0)
		return admin_fail(c, SLUICE_EINVAL, "bad --role: %s", why);
	return 0;
}

int
admin_org_sanctioned(struct admin_call *c, const char *code)
{
	struct org o;

	return org_get(c->ctx->store, code, &o) == 0 && o.sanctioned;
}
