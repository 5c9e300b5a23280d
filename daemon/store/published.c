/*
 * published.c: what sluiced publish reads from the store (store.h): a
 * read-only handle beside a running daemon, and counts per month.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "store/store_int.h"

#define BUSY_TIMEOUT_MS	5000

static int
open_readonly_db(struct store *s, const char *path, char *why, size_t whylen)
{
	if (path == NULL || *path == '\0')
		return sluice_why(why, whylen, SLUICE_ESTORE, "no store path");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot open store %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	(void)sqlite3_extended_result_codes(s->db, 1);
	return 0;
}

/* Defensive, patient, and unable to write even by mistake. */
static int
configure_readonly(sqlite3 *db, char *why, size_t whylen)
{
	int on = 0;

	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) !=
	    SQLITE_OK || on != 1 ||
	    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA query_only = ON; PRAGMA trusted_schema "
	    "= OFF;", NULL, NULL, NULL) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot configure the store: %s", sqlite3_errmsg(db));
	return 0;
}

/* The schema on disk must be this program's: a reader migrates nothing. */
static int
check_version(sqlite3 *db, char *why, size_t whylen)
{
	int v = 0, want = store_latest_version();

	if (store_user_version(db, &v) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "the file is not a sluice store: %s", sqlite3_errmsg(db));
	if (v != want)
		return sluice_why(why, whylen, SLUICE_ESTORE, "store schema "
		    "version %d is not this program's %d; run sluiced once to "
		    "migrate it", v, want);
	return 0;
}

int
store_open_readonly(const char *path, struct store **out, char *why,
    size_t whylen)
{
	struct store *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = open_readonly_db(s, path, why, whylen)) == 0 &&
	    (r = configure_readonly(s->db, why, whylen)) == 0 &&
	    (r = check_version(s->db, why, whylen)) == 0) {
		*out = s;
		s = NULL;
	}
	store_close(s);
	return r;
}

static int
month_row(sqlite3_stmt *st, void *elem)
{
	struct month_count *m = elem;

	st_col_text(st, 0, m->month, sizeof(m->month));
	m->n = sqlite3_column_int64(st, 1);
	return 0;
}

static const struct st_kind month_kind = {
	sizeof(struct month_count), month_row, NULL
};

static int
by_month(struct store *s, enum st_id id, int64_t since, int64_t until,
    struct month_count_list *out)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, id, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, since)) == 0)
		r = st_bind_i64(st, 2, until);
	return st_list(s, st, r, &month_kind, (void **)&out->v, &out->n);
}

int
store_releases_by_month(struct store *s, int64_t since, int64_t until,
    struct month_count_list *out)
{
	return by_month(s, ST_RELEASES_BY_MONTH, since, until, out);
}

int
store_downloads_by_month(struct store *s, int64_t since, int64_t until,
    struct month_count_list *out)
{
	return by_month(s, ST_DOWNLOADS_BY_MONTH, since, until, out);
}

void
month_count_list_free(struct month_count_list *l)
{
	if (l != NULL)
		st_list_free(&month_kind, (void **)&l->v, &l->n);
}
