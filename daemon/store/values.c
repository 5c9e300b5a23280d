/*
 * values.c: the bottom of the store - SQLite's result codes mapped to ours,
 * parameters bound with checks, columns copied out. It calls nothing else of
 * the store, so statements.c, rows.c and store.c all stand on it.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- errors -------------------------------------------------------------- */

/* SQLite's (extended) result codes that mean more than "the store failed". */
static const struct {
	int	 rc;
	int	 err;
} errmap[] = {
	{ SQLITE_OK,			0 },
	{ SQLITE_NOMEM,			SLUICE_ENOMEM },
	{ SQLITE_CONSTRAINT_UNIQUE,	SLUICE_EEXIST },
	{ SQLITE_CONSTRAINT_PRIMARYKEY,	SLUICE_EEXIST },
	{ SQLITE_CONSTRAINT_FOREIGNKEY,	SLUICE_EINVAL },
	{ SQLITE_CONSTRAINT_CHECK,	SLUICE_EINVAL },
	{ SQLITE_CONSTRAINT_NOTNULL,	SLUICE_EINVAL },
	{ SQLITE_CONSTRAINT_DATATYPE,	SLUICE_EINVAL },
	{ SQLITE_TOOBIG,		SLUICE_EINVAL },
	{ SQLITE_RANGE,			SLUICE_EINVAL },
	{ SQLITE_MISMATCH,		SLUICE_EINVAL },
	{ SQLITE_CONSTRAINT_TRIGGER,	SLUICE_EDENIED },
};

int
st_map(int rc)
{
	size_t i;

	for (i = 0; i < sizeof(errmap) / sizeof(errmap[0]); i++)
		if (errmap[i].rc == rc)
			return errmap[i].err;
	return SLUICE_ESTORE;
}

int
st_fail(struct store *s, int err, char *why, size_t whylen, const char *what)
{
	return sluice_why(why, whylen, err, "%s: %s", what, sqlite3_errmsg(s->db));
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

int
st_col_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t cap, size_t *len)
{
	const void *w = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	*len = 0;
	if (n > cap)
		return SLUICE_ESTORE;
	if (w != NULL && n > 0)
		memcpy(dst, w, n);
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
