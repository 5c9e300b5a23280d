/*
 * org.c: organisations and their Data Sharing Framework Contracts.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- organisations ------------------------------------------------------- */

/* Reads ORG_COLS (statements.c). */
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

static const struct st_kind org_kind = { sizeof(struct org), org_row, NULL };

static int
org_bind(sqlite3_stmt *st, const struct org *o)
{
	int r;

	if ((r = st_bind_text(st, 1, o->code, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_text(st, 2, o->name, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, o->type, STORE_TEXT_MAX)) != 0)
		return r;
	return st_bind_i64(st, 4, sluice_now());
}

int
org_add(struct store *s, const struct org *o, int64_t *id, char *why,
    size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if ((r = name_check(o->code, STORE_NAME_MAX - 1, why, whylen)) != 0)
		return r;
	if (o->name[0] == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "an organisation needs a name");
	if ((r = st_stmt(s, ST_ORG_INSERT, &st)) == 0)
		r = org_bind(st, o);
	if ((r = st_insert(s, st, r, id, why, whylen, "organisation field too "
	    "long", "cannot add organisation")) == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "organisation %s exists already", o->code);
	return r;
}

int
org_get(struct store *s, const char *code, struct org *out)
{
	return st_get(s, ST_ORG_BY_CODE, code, STORE_NAME_MAX, 0, org_row, out);
}

int
org_get_by_id(struct store *s, int64_t id, struct org *out)
{
	return st_get(s, ST_ORG_BY_ID, NULL, 0, id, org_row, out);
}

int
org_list(struct store *s, struct org_list *out)
{
	return st_list_key(s, ST_ORG_LIST, NULL, 0, &org_kind,
	    (void **)&out->v, &out->n);
}

void
org_list_free(struct org_list *l)
{
	if (l != NULL)
		st_list_free(&org_kind, (void **)&l->v, &l->n);
}

int
org_set_dspt(struct store *s, const char *code, enum dspt_status status,
    int32_t expires)
{
	const char *name = st_dspt_name(status);
	sqlite3_stmt *st;
	int r;

	if (name == NULL)
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_ORG_SET_DSPT, &st)) == 0 &&
	    (r = st_bind_text(st, 1, name, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_date_or_null(st, 2, expires)) == 0)
		r = st_bind_text(st, 3, code, STORE_NAME_MAX);
	return st_update_one(s, st, r);
}

int
org_set_sanctioned(struct store *s, const char *code, int sanctioned)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_ORG_SET_SANCTIONED, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, sanctioned ? 1 : 0)) == 0)
		r = st_bind_text(st, 2, code, STORE_NAME_MAX);
	return st_update_one(s, st, r);
}

/* ---- contracts ----------------------------------------------------------- */

/* Reads CONTRACT_COLS (statements.c). */
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

static const struct st_kind contract_kind = {
	sizeof(struct contract), contract_row, NULL
};

static int
contract_bind(sqlite3_stmt *st, int64_t org_id, const char *ref,
    int32_t starts, int32_t expires)
{
	int r;

	if ((r = st_bind_i64(st, 1, org_id)) != 0 ||
	    (r = st_bind_text(st, 2, ref, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_date(st, 3, starts)) != 0 ||
	    (r = st_bind_date(st, 4, expires)) != 0)
		return r;
	return st_bind_i64(st, 5, sluice_now());
}

static int
contract_valid(const char *ref, int32_t starts, int32_t expires, char *why,
    size_t whylen)
{
	if (ref == NULL || *ref == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "a contract needs a ref");
	if (starts > expires)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "a contract cannot expire before it starts");
	return 0;
}

int
contract_add(struct store *s, const char *org, const char *ref, int32_t starts,
    int32_t expires, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int64_t org_id = 0;
	int r;

	if ((r = contract_valid(ref, starts, expires, why, whylen)) != 0 ||
	    (r = st_org_id(s, org, &org_id, why, whylen)) != 0)
		return r;
	if ((r = st_stmt(s, ST_CONTRACT_INSERT, &st)) == 0)
		r = contract_bind(st, org_id, ref, starts, expires);
	if ((r = st_insert(s, st, r, id, why, whylen, "contract ref too long or "
	    "bad date", "cannot add contract")) == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "%s already has contract %s", org, ref);
	return r;
}

int
contract_in_force(struct store *s, const char *org, int32_t day,
    struct contract *out)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_CONTRACT_IN_FORCE, &st)) == 0 &&
	    (r = st_bind_text(st, 1, org, STORE_NAME_MAX)) == 0)
		r = st_bind_date(st, 2, day);
	return st_one(s, st, r, contract_row, out);
}

int
contract_list(struct store *s, const char *org, struct contract_list *out)
{
	return st_list_key(s, ST_CONTRACT_LIST, org, STORE_NAME_MAX,
	    &contract_kind, (void **)&out->v, &out->n);
}

void
contract_list_free(struct contract_list *l)
{
	if (l != NULL)
		st_list_free(&contract_kind, (void **)&l->v, &l->n);
}
