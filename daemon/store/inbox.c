/*
 * inbox.c: sealed inbox files (store.h). The files themselves are the
 * engine's (engine/inbox.c); the store keeps who owns each, its name, and
 * its wrapped key.
 */
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* Reads INBOX_COLS (statements.c). */
static int
inbox_row(sqlite3_stmt *st, void *elem)
{
	struct inbox_file *f = elem;

	memset(f, 0, sizeof(*f));
	st_col_text(st, 0, f->id, sizeof(f->id));
	f->staff_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, f->name, sizeof(f->name));
	f->plain_size = (uint64_t)sqlite3_column_int64(st, 3);
	st_col_text(st, 4, f->sha256, sizeof(f->sha256));
	f->uploaded_at = sqlite3_column_int64(st, 6);
	return st_col_blob(st, 5, f->wrapped_key, sizeof(f->wrapped_key),
	    &f->wrapped_len);
}

static const struct st_kind inbox_kind = {
	sizeof(struct inbox_file), inbox_row, NULL
};

static int
inbox_valid(const struct inbox_file *in, char *why, size_t whylen)
{
	if (in->wrapped_len == 0 || in->wrapped_len > sizeof(in->wrapped_key))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad wrapped key");
	if (in->plain_size > INT64_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "file too large");
	return name_check(in->name, STORE_NAME_MAX - 1, why, whylen);
}

static int
inbox_bind(sqlite3_stmt *st, const struct inbox_file *in)
{
	int r;

	if ((r = st_bind_text(st, 1, in->id, STORE_INBOX_ID_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, in->staff_id)) != 0 ||
	    (r = st_bind_text(st, 3, in->name, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_i64(st, 4, (int64_t)in->plain_size)) != 0 ||
	    (r = st_bind_text(st, 5, in->sha256, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_blob(st, 6, in->wrapped_key, in->wrapped_len)) != 0)
		return r;
	return st_bind_i64(st, 7, sluice_now());
}

/* The row of in's owner and name, if any, goes; replaced gets its id. */
static int
inbox_displace(struct store *s, const struct inbox_file *in,
    char replaced[STORE_INBOX_ID_MAX])
{
	struct inbox_file old;
	int r;

	replaced[0] = '\0';
	if ((r = inbox_file_get(s, in->staff_id, in->name, &old)) != 0)
		return r == SLUICE_ENOTFOUND ? 0 : r;
	memcpy(replaced, old.id, STORE_INBOX_ID_MAX);
	return inbox_file_delete(s, old.id);
}

int
inbox_file_put(struct store *s, const struct inbox_file *in,
    char replaced[STORE_INBOX_ID_MAX], char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r, tx;

	replaced[0] = '\0';
	if ((r = inbox_valid(in, why, whylen)) != 0 ||
	    (r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = inbox_displace(s, in, replaced)) == 0) {
		if ((r = st_stmt(s, ST_INBOX_INSERT, &st)) == 0)
			r = inbox_bind(st, in);
		r = st_insert(s, st, r, NULL, why, whylen, "bad inbox field",
		    "cannot record inbox file");
	}
	if (r != 0)
		replaced[0] = '\0';
	return st_tx_end(s, tx, r);
}

int
inbox_file_get(struct store *s, int64_t staff_id, const char *name,
    struct inbox_file *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_stmt_key(s, ST_INBOX_GET, NULL, 0, staff_id, &st)) == 0)
		r = st_bind_text(st, 2, name, STORE_NAME_MAX);
	r = st_one(s, st, r, inbox_row, out);
	/* a name too long to be one is one the store does not have */
	return r == SLUICE_EINVAL ? SLUICE_ENOTFOUND : r;
}

int
inbox_file_list(struct store *s, int64_t staff_id,
    struct inbox_file_list *out)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt_key(s, ST_INBOX_LIST, NULL, 0, staff_id, &st)) != 0)
		return r;
	return st_list(s, st, 0, &inbox_kind, (void **)&out->v, &out->n);
}

void
inbox_file_list_free(struct inbox_file_list *l)
{
	if (l != NULL)
		st_list_free(&inbox_kind, (void **)&l->v, &l->n);
}

int
inbox_file_delete(struct store *s, const char *id)
{
	sqlite3_stmt *st;
	int r;

	r = st_stmt_key(s, ST_INBOX_DELETE, id, STORE_INBOX_ID_MAX, 0, &st);
	return st_update_one(s, st, r);
}

int
inbox_file_set_wrapped(struct store *s, const char *id, const uint8_t *w,
    size_t len)
{
	sqlite3_stmt *st;
	int r;

	if (len == 0 || len > STORE_WRAPPED_MAX)
		return SLUICE_EINVAL;
	if ((r = st_stmt_key(s, ST_INBOX_REWRAP, id, STORE_INBOX_ID_MAX, 0,
	    &st)) == 0)
		r = st_bind_blob(st, 2, w, len);
	return st_update_one(s, st, r);
}
