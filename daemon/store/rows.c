/*
 * rows.c: running the store's statements - stepping, binding with checks,
 * copying columns out, and the shapes every entity shares: one row into a
 * struct, all rows into a growable list, an INSERT's tail, an UPDATE of
 * exactly one row, a single number.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- stepping ------------------------------------------------------------ */

int
st_step(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return st_map(sqlite3_extended_errcode(s->db));
}

int
st_one_row(struct store *s, sqlite3_stmt *st, int none)
{
	int r = st_step(s, st);

	if (r == 1)
		return 0;
	return r == 0 ? none : r;
}

int
st_write(struct store *s, sqlite3_stmt *st, int64_t *rowid, char *why,
    size_t whylen, const char *what)
{
	int r = st_step(s, st);

	if (r < 0)
		return st_fail(s, r, why, whylen, what);
	if (rowid != NULL)
		*rowid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* ---- running a bound statement ------------------------------------------- */

int
st_insert(struct store *s, sqlite3_stmt *st, int bound, int64_t *rowid,
    char *why, size_t whylen, const char *bad, const char *what)
{
	int r = bound;

	if (r != 0 && st != NULL && bad != NULL)
		sluice_why(why, whylen, r, "%s", bad);
	if (r == 0)
		r = st_write(s, st, rowid, why, whylen, what);
	st_reset(st);
	return r;
}

int
st_update_one(struct store *s, sqlite3_stmt *st, int bound)
{
	int r = bound;

	if (r == 0 && (r = st_write(s, st, NULL, NULL, 0, NULL)) == 0 &&
	    sqlite3_changes(s->db) != 1)
		r = SLUICE_ENOTFOUND;
	st_reset(st);
	return r;
}

int
st_row_i64(sqlite3_stmt *st, void *elem)
{
	*(int64_t *)elem = sqlite3_column_int64(st, 0);
	return 0;
}

int
st_scalar(struct store *s, sqlite3_stmt *st, int bound, int64_t *v)
{
	int r = st_one(s, st, bound, st_row_i64, v);

	/* count(*) and EXISTS always return a row */
	return r == SLUICE_ENOTFOUND ? SLUICE_ESTORE : r;
}

/* ---- one row, all rows --------------------------------------------------- */

int
st_one(struct store *s, sqlite3_stmt *st, int bound, st_row_fn row, void *out)
{
	int r = bound;

	if (r == 0 && (r = st_one_row(s, st, SLUICE_ENOTFOUND)) == 0)
		r = row(st, out);
	st_reset(st);
	return r;
}

int
st_get(struct store *s, enum st_id id, const char *key, size_t keymax,
    int64_t n, st_row_fn row, void *out)
{
	sqlite3_stmt *st;
	int r = st_stmt_key(s, id, key, keymax, n, &st);

	return st_one(s, st, r, row, out);
}

/* Grows a list's array by one zeroed element; *elem points at it. */
static int
list_grow(void **v, size_t *n, size_t size, void **elem)
{
	void *p;

	if (*n >= SIZE_MAX / size - 1)
		return SLUICE_ENOMEM;
	if ((p = realloc(*v, (*n + 1) * size)) == NULL)
		return SLUICE_ENOMEM;
	*v = p;
	*elem = (char *)p + *n * size;
	memset(*elem, 0, size);
	(*n)++;
	return 0;
}

static int
read_all(struct store *s, sqlite3_stmt *st, const struct st_kind *k,
    void **v, size_t *n)
{
	void *elem;
	int r;

	while ((r = st_step(s, st)) == 1)
		if ((r = list_grow(v, n, k->size, &elem)) != 0 ||
		    (r = k->row(st, elem)) != 0)
			break;
	return r;
}

int
st_list(struct store *s, sqlite3_stmt *st, int bound, const struct st_kind *k,
    void **v, size_t *n)
{
	int r = bound;

	*v = NULL;
	*n = 0;
	if (r == 0)
		r = read_all(s, st, k, v, n);
	st_reset(st);
	if (r != 0)
		st_list_free(k, v, n);
	return r;
}

int
st_list_key(struct store *s, enum st_id id, const char *key, size_t keymax,
    const struct st_kind *k, void **v, size_t *n)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, id, &st)) == 0 && sqlite3_bind_parameter_count(st) > 0)
		r = st_bind_text_null(st, 1, key, keymax);
	return st_list(s, st, r, k, v, n);
}

void
st_list_free(const struct st_kind *k, void **v, size_t *n)
{
	size_t i;

	for (i = 0; k->clear != NULL && i < *n; i++)
		k->clear((char *)*v + i * k->size);
	free(*v);
	*v = NULL;
	*n = 0;
}

/* ---- binding ------------------------------------------------------------- */

static int
bind_rc(int rc)
{
	return rc == SQLITE_OK ? 0 : st_map(rc);
}

int
st_bind_text(sqlite3_stmt *st, int i, const char *v, size_t max)
{
	size_t n;

	if (v == NULL)
		return SLUICE_EINVAL;
	n = strlen(v);
	if (n >= max || n > INT32_MAX)
		return SLUICE_EINVAL;
	return bind_rc(sqlite3_bind_text(st, i, v, (int)n, SQLITE_TRANSIENT));
}

int
st_bind_text_null(sqlite3_stmt *st, int i, const char *v, size_t max)
{
	if (v == NULL || *v == '\0')
		return bind_rc(sqlite3_bind_null(st, i));
	return st_bind_text(st, i, v, max);
}

int
st_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p == NULL || n == 0 || n > STORE_BLOB_MAX)
		return SLUICE_EINVAL;
	return bind_rc(sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT));
}

int
st_bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	return bind_rc(sqlite3_bind_int64(st, i, v));
}

int
st_bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		return bind_rc(sqlite3_bind_null(st, i));
	return st_bind_i64(st, i, v);
}

int
st_bind_date(sqlite3_stmt *st, int i, int32_t day)
{
	char buf[16];

	if (sluice_date_format(day, buf, sizeof(buf)) != 0)
		return SLUICE_EINVAL;
	return bind_rc(sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT));
}

int
st_bind_date_or_null(sqlite3_stmt *st, int i, int32_t day)
{
	if (day == 0)
		return bind_rc(sqlite3_bind_null(st, i));
	return st_bind_date(st, i, day);
}

/* ---- columns ------------------------------------------------------------- */

void
st_col_text(sqlite3_stmt *st, int i, char *dst, size_t dstlen)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n;

	if (dstlen == 0)
		return;
	if (t == NULL) {
		dst[0] = '\0';
		return;
	}
	n = (size_t)sqlite3_column_bytes(st, i);
	if (n >= dstlen)
		n = dstlen - 1;	/* the store refused longer text on the way in */
	memcpy(dst, t, n);
	dst[n] = '\0';
}

int
st_col_strdup(sqlite3_stmt *st, int i, char **out)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if ((*out = malloc(n + 1)) == NULL)
		return SLUICE_ENOMEM;
	if (t != NULL && n > 0)
		memcpy(*out, t, n);
	(*out)[n] = '\0';
	return 0;
}

int
st_col_blobdup(sqlite3_stmt *st, int i, uint8_t **out, size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	*out = NULL;
	*len = 0;
	if (p == NULL || n == 0)
		return 0;
	if ((*out = malloc(n)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(*out, p, n);
	*len = n;
	return 0;
}

int32_t
st_col_date(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int32_t day = 0;

	if (t == NULL || sluice_date_parse((const char *)t, &day) != 0)
		return 0;
	return day;
}
