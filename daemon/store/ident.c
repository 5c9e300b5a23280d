/*
 * ident.c: recipients (people), staff and their SSH login keys; the login
 * lookup. One key is one identity, one user name is one identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/sshkey.h"
#include "store/store_int.h"

#define KEY_BLOB_MAX	16384
#define STAFF_ROLES	(ROLE_OPERATOR | ROLE_APPROVER | ROLE_AUDITOR | ROLE_ADMIN)

/* ---- keys ---------------------------------------------------------------- */

/* The refusal of a key that id holds already. */
static int
key_taken_why(const struct identity *id, char *why, size_t whylen)
{
	return sluice_why(why, whylen, SLUICE_EEXIST,
	    "key is already registered to %s %s",
	    id->kind == IDENTITY_STAFF ? "staff" : "recipient", id->user);
}

/* Names who holds blob already, for the refusal's reason. */
static void
key_owner_why(struct store *s, const struct store_key *k, char *why,
    size_t whylen)
{
	struct identity id;

	if (identity_by_key(s, k->blob, k->len, &id) == 0)
		(void)key_taken_why(&id, why, whylen);
	else
		sluice_why(why, whylen, SLUICE_EEXIST, "key is already registered");
}

static int
key_bind(sqlite3_stmt *st, enum identity_kind kind, int64_t owner,
    const struct store_key *k)
{
	int r;

	if ((r = st_bind_blob(st, 1, k->blob, k->len)) != 0 ||
	    (r = st_bind_text(st, 2, k->type, STORE_KEYTYPE_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, k->fingerprint, STORE_FPR_MAX)) != 0 ||
	    (r = st_bind_i64_or_null(st, 4, kind == IDENTITY_STAFF ? owner : 0)) != 0 ||
	    (r = st_bind_i64_or_null(st, 5, kind == IDENTITY_RECIPIENT ? owner : 0)) != 0)
		return r;
	return st_bind_i64(st, 6, sluice_now());
}

/* The first login key of a new identity. */
static int
key_insert(struct store *s, enum identity_kind kind, int64_t owner,
    const struct store_key *k, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if (k == NULL || k->blob == NULL || k->len == 0 || k->len > KEY_BLOB_MAX ||
	    k->type[0] == '\0' || k->fingerprint[0] == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "no usable key");
	if ((r = st_stmt(s, ST_KEY_INSERT, &st)) == 0)
		r = key_bind(st, kind, owner, k);
	if ((r = st_insert(s, st, r, NULL, why, whylen, "key type or fingerprint "
	    "too long", "cannot add key")) == SLUICE_EEXIST)
		key_owner_why(s, k, why, whylen);
	return r;
}

/* Reads KEY_COLS (statements.c). */
static int
key_row(sqlite3_stmt *st, void *elem)
{
	struct stored_key *k = elem;

	k->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, k->type, sizeof(k->type));
	st_col_text(st, 3, k->fingerprint, sizeof(k->fingerprint));
	k->added_at = sqlite3_column_int64(st, 4);
	return st_col_blobdup(st, 2, &k->blob, &k->len);
}

static void
key_clear(void *elem)
{
	struct stored_key *k = elem;

	free(k->blob);
	memset(k, 0, sizeof(*k));
}

static const struct st_kind key_kind = {
	sizeof(struct stored_key), key_row, key_clear
};

int
key_list(struct store *s, enum identity_kind kind, int64_t owner_id,
    struct key_list *out)
{
	sqlite3_stmt *st;
	int r;

	r = st_stmt_key(s, kind == IDENTITY_STAFF ? ST_KEY_LIST_STAFF :
	    ST_KEY_LIST_PERSON, NULL, 0, owner_id, &st);
	return st_list(s, st, r, &key_kind, (void **)&out->v, &out->n);
}

void
key_list_free(struct key_list *l)
{
	if (l != NULL)
		st_list_free(&key_kind, (void **)&l->v, &l->n);
}

/* ---- replacing a login key ----------------------------------------------- */

/* blob as a store_key (borrowing it), with type and fingerprint computed as
 * the admin commands compute them for a new identity's key. */
static int
key_from_blob(const uint8_t *blob, size_t len, struct store_key *k,
    char *why, size_t whylen)
{
	struct sshkey_pub *pub = NULL;
	int r = SLUICE_EINVAL;

	memset(k, 0, sizeof(*k));
	if (blob != NULL && len > 0 && len <= KEY_BLOB_MAX &&
	    (r = sshkey_pub_from_blob(blob, len, &pub, NULL, 0)) == 0 &&
	    (r = sshkey_fingerprint(blob, len, k->fingerprint)) == 0) {
		(void)snprintf(k->type, sizeof(k->type), "%s",
		    sshkey_type_name(pub->type));
		k->blob = blob;
		k->len = len;
	}
	sshkey_pub_free(pub);
	if (r != 0 && r != SLUICE_ENOMEM)
		r = sluice_why(why, whylen, SLUICE_EINVAL, "no usable key");
	return r;
}

/* A key registered to anyone, the identity it is meant for included. */
static int
key_unregistered(struct store *s, const struct store_key *k, char *why,
    size_t whylen)
{
	struct identity id;
	int r = identity_by_key(s, k->blob, k->len, &id);

	if (r == 0)
		return key_taken_why(&id, why, whylen);
	return r == SLUICE_ENOTFOUND ? 0 : r;
}

static int
keys_delete(struct store *s, const struct identity *id, char *why,
    size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	r = st_stmt_key(s, id->kind == IDENTITY_STAFF ? ST_KEY_DELETE_STAFF :
	    ST_KEY_DELETE_PERSON, NULL, 0, id->id, &st);
	return st_insert(s, st, r, NULL, why, whylen, NULL, "cannot remove keys");
}

int
identity_replace_key(struct store *s, const char *user, const uint8_t *blob,
    size_t len, char *why, size_t whylen)
{
	struct identity id;
	struct store_key k;
	int r, tx;

	if (user == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no usable key");
	if ((r = key_from_blob(blob, len, &k, why, whylen)) != 0 ||
	    (r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = identity_by_user(s, user, &id)) == SLUICE_ENOTFOUND)
		sluice_why(why, whylen, r, "no user %s", user);
	if (r == 0 && (r = key_unregistered(s, &k, why, whylen)) == 0 &&
	    (r = keys_delete(s, &id, why, whylen)) == 0)
		r = key_insert(s, id.kind, id.id, &k, why, whylen);
	return st_tx_end(s, tx, r);
}

/* ---- checks every new identity passes ------------------------------------ */

/* A user name names one identity: refuse one that staff or a recipient has. */
static int
user_free(struct store *s, const char *user, char *why, size_t whylen)
{
	struct identity id;
	int r;

	if ((r = name_check(user, STORE_NAME_MAX - 1, why, whylen)) != 0)
		return r;
	r = identity_by_user(s, user, &id);
	if (r == 0)
		return sluice_why(why, whylen, SLUICE_EEXIST,
		    "user name %s is taken by %s", user,
		    id.kind == IDENTITY_STAFF ? "staff" : "a recipient");
	return r == SLUICE_ENOTFOUND ? 0 : r;
}

static int
email_ok(const char *email, char *why, size_t whylen)
{
	if (email == NULL || strchr(email, '@') == NULL ||
	    strlen(email) >= STORE_TEXT_MAX || strpbrk(email, "\r\n") != NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "not an email address: %s", email ? email : "(none)");
	return 0;
}

/* ---- recipients ---------------------------------------------------------- */

static int
person_bind(sqlite3_stmt *st, int64_t org_id, const char *user,
    const char *email, const char *age)
{
	int r;

	if ((r = st_bind_i64(st, 1, org_id)) != 0 ||
	    (r = st_bind_text(st, 2, user, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, email, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text_null(st, 4, age, STORE_AGE_MAX)) != 0)
		return r;
	return st_bind_i64(st, 5, sluice_now());
}

static int
person_insert(struct store *s, int64_t org_id, const char *user,
    const char *email, const char *age, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_PERSON_INSERT, &st)) == 0)
		r = person_bind(st, org_id, user, email, age);
	return st_insert(s, st, r, id, why, whylen, "recipient field too long",
	    "cannot add recipient");
}

/* age may be absent (NULL or ""); one given looks like an age recipient. */
static int
age_ok(const char *age, char *why, size_t whylen)
{
	if (age != NULL && *age != '\0' && strncmp(age, "age1", 4) != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "not an age recipient: %s", age);
	return 0;
}

int
person_add(struct store *s, const char *org, const char *user,
    const char *email, const struct store_key *key, const char *age_recipient,
    int64_t *id, char *why, size_t whylen)
{
	int64_t org_id = 0, pid = 0;
	int r, tx;

	if ((r = email_ok(email, why, whylen)) != 0 ||
	    (r = age_ok(age_recipient, why, whylen)) != 0)
		return r;
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = st_org_id(s, org, &org_id, why, whylen)) == 0 &&
	    (r = user_free(s, user, why, whylen)) == 0 &&
	    (r = person_insert(s, org_id, user, email, age_recipient, &pid,
	    why, whylen)) == 0)
		r = key_insert(s, IDENTITY_RECIPIENT, pid, key, why, whylen);
	if ((r = st_tx_end(s, tx, r)) == 0 && id != NULL)
		*id = pid;
	return r;
}

/* Reads PERSON_COLS (statements.c). */
static int
person_row(sqlite3_stmt *st, void *elem)
{
	struct person *p = elem;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	p->org_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, p->org, sizeof(p->org));
	st_col_text(st, 3, p->user, sizeof(p->user));
	st_col_text(st, 4, p->email, sizeof(p->email));
	p->active = sqlite3_column_int(st, 5);
	st_col_text(st, 6, p->age_recipient, sizeof(p->age_recipient));
	p->created_at = sqlite3_column_int64(st, 7);
	return 0;
}

static const struct st_kind person_kind = {
	sizeof(struct person), person_row, NULL
};

int
person_get_by_id(struct store *s, int64_t id, struct person *out)
{
	return st_get(s, ST_PERSON_BY_ID, NULL, 0, id, person_row, out);
}

/* Statement id (an UPDATE of the identity named ?2) bound, but for its ?1.
 * A name too long to be stored is one the store does not have. */
static int
user_update(struct store *s, enum st_id id, const char *user,
    sqlite3_stmt **st)
{
	int r;

	*st = NULL;
	if (user == NULL)
		return SLUICE_EINVAL;
	if (strlen(user) >= STORE_NAME_MAX)
		return SLUICE_ENOTFOUND;
	if ((r = st_stmt(s, id, st)) != 0)
		return r;
	return st_bind_text(*st, 2, user, STORE_NAME_MAX);
}

/* Sets ?1 of statement id to v for the identity named user. */
static int
user_set(struct store *s, enum st_id id, const char *user, int64_t v)
{
	sqlite3_stmt *st;
	int r;

	if ((r = user_update(s, id, user, &st)) == 0)
		r = st_bind_i64(st, 1, v);
	return st_update_one(s, st, r);
}

int
person_set_active(struct store *s, const char *user, int active)
{
	return user_set(s, ST_PERSON_SET_ACTIVE, user, active ? 1 : 0);
}

int
person_set_age_recipient(struct store *s, const char *user, const char *age)
{
	sqlite3_stmt *st;
	int r;

	if (age_ok(age, NULL, 0) != 0)
		return SLUICE_EINVAL;
	if ((r = user_update(s, ST_PERSON_SET_AGE, user, &st)) == 0)
		r = st_bind_text_null(st, 1, age, STORE_AGE_MAX);
	return st_update_one(s, st, r);
}

int
person_list(struct store *s, const char *org, struct person_list *out)
{
	return st_list_key(s, ST_PERSON_LIST, org, STORE_NAME_MAX, &person_kind,
	    (void **)&out->v, &out->n);
}

void
person_list_free(struct person_list *l)
{
	if (l != NULL)
		st_list_free(&person_kind, (void **)&l->v, &l->n);
}

/* ---- staff --------------------------------------------------------------- */

static int
roles_ok(uint32_t roles, char *why, size_t whylen)
{
	if (roles == 0 || (roles & ~(uint32_t)STAFF_ROLES) != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "staff need one or more of operator, approver, auditor, admin");
	return 0;
}

static int
staff_insert(struct store *s, const char *user, const char *email,
    uint32_t roles, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_STAFF_INSERT, &st)) == 0 &&
	    (r = st_bind_text(st, 1, user, STORE_NAME_MAX)) == 0 &&
	    (r = st_bind_text(st, 2, email, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_i64(st, 3, roles)) == 0)
		r = st_bind_i64(st, 4, sluice_now());
	return st_insert(s, st, r, id, why, whylen, "staff field too long",
	    "cannot add staff");
}

int
staff_add(struct store *s, const char *user, const char *email,
    const struct store_key *key, uint32_t roles, int64_t *id, char *why,
    size_t whylen)
{
	int64_t sid = 0;
	int r, tx;

	if ((r = roles_ok(roles, why, whylen)) != 0 ||
	    (r = email_ok(email, why, whylen)) != 0)
		return r;
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = user_free(s, user, why, whylen)) == 0 &&
	    (r = staff_insert(s, user, email, roles, &sid, why, whylen)) == 0)
		r = key_insert(s, IDENTITY_STAFF, sid, key, why, whylen);
	if ((r = st_tx_end(s, tx, r)) == 0 && id != NULL)
		*id = sid;
	return r;
}

/* Reads STAFF_COLS (statements.c). */
static int
staff_row(sqlite3_stmt *st, void *elem)
{
	struct staff *p = elem;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, p->user, sizeof(p->user));
	st_col_text(st, 2, p->email, sizeof(p->email));
	p->roles = (uint32_t)sqlite3_column_int64(st, 3);
	p->active = sqlite3_column_int(st, 4);
	p->created_at = sqlite3_column_int64(st, 5);
	return 0;
}

static const struct st_kind staff_kind = {
	sizeof(struct staff), staff_row, NULL
};

int
staff_list(struct store *s, struct staff_list *out)
{
	return st_list_key(s, ST_STAFF_LIST, NULL, 0, &staff_kind,
	    (void **)&out->v, &out->n);
}

void
staff_list_free(struct staff_list *l)
{
	if (l != NULL)
		st_list_free(&staff_kind, (void **)&l->v, &l->n);
}

int
staff_set_active(struct store *s, const char *user, int active)
{
	return user_set(s, ST_STAFF_SET_ACTIVE, user, active ? 1 : 0);
}

int
staff_set_roles(struct store *s, const char *user, uint32_t roles)
{
	if (roles_ok(roles, NULL, 0) != 0)
		return SLUICE_EINVAL;
	return user_set(s, ST_STAFF_SET_ROLES, user, roles);
}

int
staff_count_active_admins(struct store *s, int64_t *n)
{
	sqlite3_stmt *st;
	int r;

	r = st_stmt_key(s, ST_STAFF_COUNT_ADMINS, NULL, 0, ROLE_ADMIN, &st);
	return st_scalar(s, st, r, n);
}

/* ---- the login lookup ---------------------------------------------------- */

/* Reads the identity union (IDENTITY_BY_KEY, statements.c). */
static int
identity_row(sqlite3_stmt *st, void *elem)
{
	struct identity *id = elem;

	memset(id, 0, sizeof(*id));
	id->kind = sqlite3_column_int(st, 0) == 1 ? IDENTITY_STAFF :
	    IDENTITY_RECIPIENT;
	id->id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, id->user, sizeof(id->user));
	id->org_id = sqlite3_column_int64(st, 3);
	st_col_text(st, 4, id->org, sizeof(id->org));
	id->roles = (uint32_t)sqlite3_column_int64(st, 5);
	id->active = sqlite3_column_int(st, 6);
	st_col_text(st, 7, id->age_recipient, sizeof(id->age_recipient));
	id->key_id = sqlite3_column_int64(st, 8);
	st_col_text(st, 9, id->key_type, sizeof(id->key_type));
	st_col_text(st, 10, id->fingerprint, sizeof(id->fingerprint));
	return 0;
}

int
identity_by_key(struct store *s, const uint8_t *blob, size_t len,
    struct identity *out)
{
	sqlite3_stmt *st;
	int r;

	if (blob == NULL || len == 0 || len > KEY_BLOB_MAX)
		return SLUICE_ENOTFOUND;
	if ((r = st_stmt(s, ST_IDENTITY_BY_KEY, &st)) == 0)
		r = st_bind_blob(st, 1, blob, len);
	return st_one(s, st, r, identity_row, out);
}

int
identity_by_user(struct store *s, const char *user, struct identity *out)
{
	if (user == NULL || strlen(user) >= STORE_NAME_MAX)
		return SLUICE_ENOTFOUND;
	return st_get(s, ST_IDENTITY_BY_USER, user, STORE_NAME_MAX, 0,
	    identity_row, out);
}
