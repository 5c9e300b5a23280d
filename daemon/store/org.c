/*
 * store_org.c: organisations and their Data Sharing Framework Contracts.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

#define ORG_COLS "id, code, name, type, dspt_status, dspt_expires, " \
	"sanctioned, created_at"

static int
org_row(sqlite3_stmt *st, void *elem)
{
	struct org *o = elem;

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, o->code, sizeof(o->code));
	st_col_text(st, 2, o->name, sizeof(o->name));
	st_col_text(st, 3, o->type, sizeof(o->type));
	if (st_dspt_parse((const char *)sqlite3_column_text(st, 4), &o->dspt) != 0)
		return SLUICE_ESTORE;
	o->dspt_expires = st_col_date(st, 5);
	o->sanctioned = sqlite3_column_int(st, 6);
	o->created_at = sqlite3_column_int64(st, 7);
	return 0;
}

int
org_add(struct store *s, const struct org *o, int64_t *id, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_name_check(o->code, "organisation code", why, whylen)) != 0)
		return r;
	if (o->name[0] == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "an organisation needs a name");
	if ((r = st_prepare(s, "INSERT INTO orgs (code, name, type, created_at) "
	    "VALUES (?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_text(st, 1, o->code, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_text(st, 2, o->name, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, o->type, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 4, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "organisation field too long");
		goto out;
	}
	if ((r = st_write(s, st, id, why, whylen, "cannot add organisation")) ==
	    SLUICE_EEXIST)
		sluice_why(why, whylen, r, "organisation %s exists already", o->code);
out:
	sqlite3_finalize(st);
	return r;
}

int
org_get(struct store *s, const char *code, struct org *out)
{
	return st_get(s, "SELECT " ORG_COLS " FROM orgs WHERE code = ?", code,
	    STORE_NAME_MAX, 0, org_row, out);
}

int
org_get_by_id(struct store *s, int64_t id, struct org *out)
{
	return st_get(s, "SELECT " ORG_COLS " FROM orgs WHERE id = ?", NULL, 0,
	    id, org_row, out);
}

int
org_list(struct store *s, struct org_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " ORG_COLS " FROM orgs ORDER BY code",
	    &st)) == 0)
		r = st_read_all(s, st, (void **)&out->v, &out->n,
		    sizeof(*out->v), org_row);
	sqlite3_finalize(st);
	if (r != 0)
		org_list_free(out);
	return r;
}

void
org_list_free(struct org_list *l)
{
	if (l != NULL)
		st_list_free((void **)&l->v, &l->n);
}

int
org_set_dspt(struct store *s, const char *code, enum dspt_status status,
    int32_t expires)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (st_dspt_name(status) == NULL)
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "UPDATE orgs SET dspt_status = ?, dspt_expires = ? "
	    "WHERE code = ?", &st)) != 0 ||
	    (r = st_bind_text(st, 1, st_dspt_name(status), STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_date_or_null(st, 2, expires)) != 0 ||
	    (r = st_bind_text(st, 3, code, STORE_NAME_MAX)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

int
org_set_sanctioned(struct store *s, const char *code, int sanctioned)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "UPDATE orgs SET sanctioned = ? WHERE code = ?",
	    &st)) != 0 ||
	    (r = st_bind_i64(st, 1, sanctioned ? 1 : 0)) != 0 ||
	    (r = st_bind_text(st, 2, code, STORE_NAME_MAX)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

/* ---- contracts ----------------------------------------------------------- */

#define CONTRACT_COLS "c.id, c.org_id, o.code, c.ref, c.starts, c.expires, " \
	"c.created_at FROM contracts c JOIN orgs o ON o.id = c.org_id"

static int
contract_row(sqlite3_stmt *st, void *elem)
{
	struct contract *c = elem;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->org_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, c->org, sizeof(c->org));
	st_col_text(st, 3, c->ref, sizeof(c->ref));
	c->starts = st_col_date(st, 4);
	c->expires = st_col_date(st, 5);
	c->created_at = sqlite3_column_int64(st, 6);
	return 0;
}

int
contract_add(struct store *s, const char *org, const char *ref, int32_t starts,
    int32_t expires, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int64_t org_id = 0;
	int r;

	if (ref == NULL || *ref == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "a contract needs a ref");
	if (starts > expires)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "a contract cannot expire before it starts");
	if ((r = st_org_id(s, org, &org_id, why, whylen)) != 0)
		return r;
	if ((r = st_prepare(s, "INSERT INTO contracts (org_id, ref, starts, "
	    "expires, created_at) VALUES (?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_i64(st, 1, org_id)) != 0 ||
	    (r = st_bind_text(st, 2, ref, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_date(st, 3, starts)) != 0 ||
	    (r = st_bind_date(st, 4, expires)) != 0 ||
	    (r = st_bind_i64(st, 5, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "contract ref too long or bad date");
		goto out;
	}
	if ((r = st_write(s, st, id, why, whylen, "cannot add contract")) ==
	    SLUICE_EEXIST)
		sluice_why(why, whylen, r, "%s already has contract %s", org, ref);
out:
	sqlite3_finalize(st);
	return r;
}

int
contract_in_force(struct store *s, const char *org, int32_t day,
    struct contract *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "SELECT " CONTRACT_COLS " WHERE o.code = ?1 AND "
	    "c.starts <= ?2 AND c.expires >= ?2 ORDER BY c.expires DESC, c.id "
	    "LIMIT 1", &st)) != 0 ||
	    (r = st_bind_text(st, 1, org, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_date(st, 2, day)) != 0)
		goto out;
	if ((r = st_one_row(s, st, SLUICE_ENOTFOUND)) == 0)
		r = contract_row(st, out);
out:
	sqlite3_finalize(st);
	return r;
}

int
contract_list(struct store *s, const char *org, struct contract_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " CONTRACT_COLS " WHERE ?1 IS NULL OR "
	    "o.code = ?1 ORDER BY o.code, c.starts, c.id", &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, org, STORE_NAME_MAX)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    contract_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		contract_list_free(out);
	return r;
}

void
contract_list_free(struct contract_list *l)
{
	if (l != NULL)
		st_list_free((void **)&l->v, &l->n);
}
