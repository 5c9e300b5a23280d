/*
 * rows.c: running the store's statements - stepping, and the shapes every
 * entity shares: one row into a struct, all rows into a growable list, an
 * INSERT's tail, an UPDATE of exactly one row, a single number. Binding and
 * column copies are values.c's.
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
