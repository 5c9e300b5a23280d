/*
 * store_ident.c: recipients (people), staff and their SSH login keys; the
 * login lookup. One key is one identity, one user name is one identity.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

#define KEY_BLOB_MAX	16384
#define STAFF_ROLES	(ROLE_OPERATOR | ROLE_APPROVER | ROLE_AUDITOR | ROLE_ADMIN)

/* Names who holds blob already, for the refusal's reason. */
static void
key_owner_why(struct store *s, const struct store_key *k, char *why,
    size_t whylen)
{
	struct identity id;

	if (identity_by_key(s, k->blob, k->len, &id) == 0)
		sluice_why(why, whylen, SLUICE_EEXIST,
		    "key is already registered to %s %s",
		    id.kind == IDENTITY_STAFF ? "staff" : "recipient", id.user);
	else
		sluice_why(why, whylen, SLUICE_EEXIST, "key is already registered");
}

static int
key_insert(struct store *s, enum identity_kind kind, int64_t owner,
    const struct store_key *k, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (k == NULL || k->blob == NULL || k->len == 0 || k->len > KEY_BLOB_MAX ||
	    k->type[0] == '\0' || k->fingerprint[0] == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "no usable key");
	if ((r = st_prepare(s, "INSERT INTO keys (blob, type, fingerprint, "
	    "staff_id, person_id, added_at) VALUES (?, ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_blob(st, 1, k->blob, k->len)) != 0 ||
	    (r = st_bind_text(st, 2, k->type, STORE_KEYTYPE_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, k->fingerprint, STORE_FPR_MAX)) != 0 ||
	    (r = st_bind_i64_or_null(st, 4, kind == IDENTITY_STAFF ? owner : 0)) != 0 ||
	    (r = st_bind_i64_or_null(st, 5, kind == IDENTITY_RECIPIENT ? owner : 0)) != 0 ||
	    (r = st_bind_i64(st, 6, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "key type or fingerprint too long");
		goto out;
	}
	if ((r = st_write(s, st, id, why, whylen, "cannot add key")) ==
	    SLUICE_EEXIST)
		key_owner_why(s, k, why, whylen);
out:
	sqlite3_finalize(st);
	return r;
}

int
key_add(struct store *s, enum identity_kind kind, int64_t owner_id,
    const struct store_key *key, int64_t *id, char *why, size_t whylen)
{
	if (kind != IDENTITY_STAFF && kind != IDENTITY_RECIPIENT)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no such identity kind");
	return key_insert(s, kind, owner_id, key, id, why, whylen);
}

/* A user name names one identity: refuse one that staff or a recipient has. */
static int
user_free(struct store *s, const char *user, char *why, size_t whylen)
{
	struct identity id;
	int r;

	if ((r = st_name_check(user, "user name", why, whylen)) != 0)
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

static int
person_insert(struct store *s, int64_t org_id, const char *user,
    const char *email, const char *age, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "INSERT INTO people (org_id, user, email, "
	    "age_recipient, created_at) VALUES (?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_i64(st, 1, org_id)) != 0 ||
	    (r = st_bind_text(st, 2, user, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, email, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text_null(st, 4, age, STORE_AGE_MAX)) != 0 ||
	    (r = st_bind_i64(st, 5, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "recipient field too long");
		goto out;
	}
	r = st_write(s, st, id, why, whylen, "cannot add recipient");
out:
	sqlite3_finalize(st);
	return r;
}

int
person_add(struct store *s, const char *org, const char *user,
    const char *email, const struct store_key *key, const char *age_recipient,
    int64_t *id, char *why, size_t whylen)
{
	int64_t org_id = 0, pid = 0;
	int r, tx;

	if ((r = email_ok(email, why, whylen)) != 0)
		return r;
	if (age_recipient != NULL && *age_recipient != '\0' &&
	    strncmp(age_recipient, "age1", 4) != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "not an age recipient: %s", age_recipient);
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = st_org_id(s, org, &org_id, why, whylen)) == 0 &&
	    (r = user_free(s, user, why, whylen)) == 0 &&
	    (r = person_insert(s, org_id, user, email, age_recipient, &pid,
	    why, whylen)) == 0)
		r = key_insert(s, IDENTITY_RECIPIENT, pid, key, NULL, why, whylen);
	if ((r = st_tx_end(s, tx, r)) == 0 && id != NULL)
		*id = pid;
	return r;
}

#define PERSON_COLS "p.id, p.org_id, o.code, p.user, p.email, p.active, " \
	"p.age_recipient, p.created_at FROM people p JOIN orgs o ON o.id = p.org_id"

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

int
person_get(struct store *s, const char *user, struct person *out)
{
	return st_get(s, "SELECT " PERSON_COLS " WHERE p.user = ?", user,
	    STORE_NAME_MAX, 0, person_row, out);
}

int
person_get_by_id(struct store *s, int64_t id, struct person *out)
{
	return st_get(s, "SELECT " PERSON_COLS " WHERE p.id = ?", NULL, 0, id,
	    person_row, out);
}

/* UPDATE <table> SET <col> = ?1 WHERE user = ?2, touching one row. */
static int
set_by_user(struct store *s, const char *sql, int64_t v, const char *user)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, sql, &st)) != 0 ||
	    (r = st_bind_i64(st, 1, v)) != 0 ||
	    (r = st_bind_text(st, 2, user, STORE_NAME_MAX)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

int
person_set_active(struct store *s, const char *user, int active)
{
	return set_by_user(s, "UPDATE people SET active = ?1 WHERE user = ?2",
	    active ? 1 : 0, user);
}

int
person_list(struct store *s, const char *org, struct person_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " PERSON_COLS " WHERE ?1 IS NULL OR "
	    "o.code = ?1 ORDER BY o.code, p.user", &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, org, STORE_NAME_MAX)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    person_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		person_list_free(out);
	return r;
}

void
person_list_free(struct person_list *l)
{
	if (l != NULL)
		st_list_free((void **)&l->v, &l->n);
}

/* ---- staff --------------------------------------------------------------- */

static int
staff_insert(struct store *s, const char *user, const char *email,
    uint32_t roles, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "INSERT INTO staff (user, email, roles, "
	    "created_at) VALUES (?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_text(st, 1, user, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_text(st, 2, email, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 3, roles)) != 0 ||
	    (r = st_bind_i64(st, 4, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "staff field too long");
		goto out;
	}
	r = st_write(s, st, id, why, whylen, "cannot add staff");
out:
	sqlite3_finalize(st);
	return r;
}

int
staff_add(struct store *s, const char *user, const char *email,
    const struct store_key *key, uint32_t roles, int64_t *id, char *why,
    size_t whylen)
{
	int64_t sid = 0;
	int r, tx;

	if (roles == 0 || (roles & ~(uint32_t)STAFF_ROLES) != 0)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "staff need one or more of operator, approver, auditor, admin");
	if ((r = email_ok(email, why, whylen)) != 0)
		return r;
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = user_free(s, user, why, whylen)) == 0 &&
	    (r = staff_insert(s, user, email, roles, &sid, why, whylen)) == 0)
		r = key_insert(s, IDENTITY_STAFF, sid, key, NULL, why, whylen);
	if ((r = st_tx_end(s, tx, r)) == 0 && id != NULL)
		*id = sid;
	return r;
}

#define STAFF_COLS "id, user, email, roles, active, created_at FROM staff"

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

int
staff_get(struct store *s, const char *user, struct staff *out)
{
	return st_get(s, "SELECT " STAFF_COLS " WHERE user = ?", user,
	    STORE_NAME_MAX, 0, staff_row, out);
}

int
staff_get_by_id(struct store *s, int64_t id, struct staff *out)
{
	return st_get(s, "SELECT " STAFF_COLS " WHERE id = ?", NULL, 0, id,
	    staff_row, out);
}

int
staff_count(struct store *s, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "SELECT count(*) FROM staff", &st)) == 0 &&
	    (r = st_one_row(s, st, SLUICE_ESTORE)) == 0)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

int
staff_set_roles(struct store *s, const char *user, uint32_t roles)
{
	if (roles == 0 || (roles & ~(uint32_t)STAFF_ROLES) != 0)
		return SLUICE_EINVAL;
	return set_by_user(s, "UPDATE staff SET roles = ?1 WHERE user = ?2",
	    roles, user);
}

int
staff_set_active(struct store *s, const char *user, int active)
{
	return set_by_user(s, "UPDATE staff SET active = ?1 WHERE user = ?2",
	    active ? 1 : 0, user);
}

int
staff_list(struct store *s, struct staff_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " STAFF_COLS " ORDER BY user", &st)) == 0)
		r = st_read_all(s, st, (void **)&out->v, &out->n,
		    sizeof(*out->v), staff_row);
	sqlite3_finalize(st);
	if (r != 0)
		staff_list_free(out);
	return r;
}

void
staff_list_free(struct staff_list *l)
{
	if (l != NULL)
		st_list_free((void **)&l->v, &l->n);
}

/* ---- keys and identities ------------------------------------------------- */

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

int
key_list(struct store *s, enum identity_kind kind, int64_t owner_id,
    struct key_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	r = st_prepare(s, kind == IDENTITY_STAFF ?
	    "SELECT id, type, blob, fingerprint, added_at FROM keys "
	    "WHERE staff_id = ? ORDER BY id" :
	    "SELECT id, type, blob, fingerprint, added_at FROM keys "
	    "WHERE person_id = ? ORDER BY id", &st);
	if (r != 0 || (r = st_bind_i64(st, 1, owner_id)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    key_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		key_list_free(out);
	return r;
}

void
key_list_free(struct key_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].blob);
	st_list_free((void **)&l->v, &l->n);
}

/* Both lookups read one row of this union: kind, id, user, org_id, org,
 * roles, active, age, key_id, key type, fingerprint. */
#define IDENTITY_BY_KEY \
	"SELECT 1, st.id, st.user, 0, '', st.roles, st.active, '', k.id, " \
	"k.type, k.fingerprint FROM keys k JOIN staff st ON st.id = k.staff_id " \
	"WHERE k.blob = ?1 UNION ALL " \
	"SELECT 2, p.id, p.user, p.org_id, o.code, 16, p.active, " \
	"p.age_recipient, k.id, k.type, k.fingerprint FROM keys k " \
	"JOIN people p ON p.id = k.person_id JOIN orgs o ON o.id = p.org_id " \
	"WHERE k.blob = ?1"
#define IDENTITY_BY_USER \
	"SELECT 1, id, user, 0, '', roles, active, '', 0, '', '' FROM staff " \
	"WHERE user = ?1 UNION ALL " \
	"SELECT 2, p.id, p.user, p.org_id, o.code, 16, p.active, " \
	"p.age_recipient, 0, '', '' FROM people p JOIN orgs o ON o.id = p.org_id " \
	"WHERE p.user = ?1"

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
	sqlite3_stmt *st = NULL;
	int r;

	if (blob == NULL || len == 0 || len > KEY_BLOB_MAX)
		return SLUICE_ENOTFOUND;
	if ((r = st_prepare(s, IDENTITY_BY_KEY, &st)) == 0 &&
	    (r = st_bind_blob(st, 1, blob, len)) == 0 &&
	    (r = st_one_row(s, st, SLUICE_ENOTFOUND)) == 0)
		r = identity_row(st, out);
	sqlite3_finalize(st);
	return r;
}

int
identity_by_user(struct store *s, const char *user, struct identity *out)
{
	if (user == NULL || strlen(user) >= STORE_NAME_MAX)
		return SLUICE_ENOTFOUND;
	return st_get(s, IDENTITY_BY_USER, user, STORE_NAME_MAX, 0,
	    identity_row, out);
}
