/*
 * store.c: opening and closing the SQLite store, transactions, SQLite's
 * result codes as SLUICE_E* codes, and the few names and keys every store
 * file looks up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sluice/error.h"
#include "store/store_int.h"

#define BUSY_TIMEOUT_MS	5000

/* ---- names kept in TEXT columns ----------------------------------------- */

/*
 * States and statuses are stored as domain.h names them, with one exception:
 * schema version 1 spells DSPT_NOT_MET "standards-not-met" (its CHECK says
 * so) where domain.h says "not-met". A released schema does not change, so
 * that one stored word is kept here.
 */
#define DSPT_NOT_MET_STORED	"standards-not-met"

const char *
st_dspt_name(enum dspt_status d)
{
	if ((unsigned)d > DSPT_EXCEEDED)
		return NULL;
	return d == DSPT_NOT_MET ? DSPT_NOT_MET_STORED : dspt_status_name(d);
}

/* A stored name this program does not know means the store is not one it
 * wrote: SLUICE_ESTORE. */
int
st_dspt_parse(const char *name, enum dspt_status *d)
{
	if (name != NULL && strcmp(name, DSPT_NOT_MET_STORED) == 0) {
		*d = DSPT_NOT_MET;
		return 0;
	}
	if (name == NULL || strcmp(name, dspt_status_name(DSPT_NOT_MET)) == 0)
		return SLUICE_ESTORE;
	return dspt_status_parse(name, d) == 0 ? 0 : SLUICE_ESTORE;
}

/* ---- open and close ------------------------------------------------------ */

/* The file exists with mode 0600 before SQLite sees it (SQLite gives its
 * -wal and -shm files the database file's mode). */
static int
create_file(const char *path, char *why, size_t whylen)
{
	int fd;

	if (path == NULL || *path == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "no store path");
	if (sodium_init() < 0)
		return sluice_why(why, whylen, SLUICE_ECRYPTO, "libsodium failed");
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot open store %s: %s",
		    path, strerror(errno));
	close(fd);
	return 0;
}

static int
open_db(struct store *s, const char *path, char *why, size_t whylen)
{
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot open store %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	(void)sqlite3_extended_result_codes(s->db, 1);
	return 0;
}

static int
pragmas(sqlite3 *db, char *why, size_t whylen)
{
	static const char sql[] =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA trusted_schema = OFF;"
	    "PRAGMA secure_delete = ON;";

	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (sqlite3_errcode(db) == SQLITE_NOTADB)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "the file is not a sluice store (not SQLite)");
	return sluice_why(why, whylen, SLUICE_ESTORE,
	    "cannot configure the store: %s", sqlite3_errmsg(db));
}

static int
configure(sqlite3 *db, char *why, size_t whylen)
{
	int on = 0;

	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK ||
	    on != 1)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot make the store defensive");
	if (sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot set the store's busy timeout");
	return pragmas(db, why, whylen);
}

int
store_open(const char *path, struct store **out, char *why, size_t whylen)
{
	struct store *s = NULL;
	int r;

	*out = NULL;
	if ((r = create_file(path, why, whylen)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = open_db(s, path, why, whylen)) == 0 &&
	    (r = configure(s->db, why, whylen)) == 0 &&
	    (r = store_migrate(s->db, why, whylen)) == 0) {
		*out = s;
		s = NULL;
	}
	store_close(s);
	return r;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	st_finalize_all(s);
	if (s->in_tx)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(s->db);
	free(s);
}

int
store_schema_version(struct store *s, int *version)
{
	/* SQLITE_DONE (no row) maps to SLUICE_ESTORE like any unknown code */
	return st_map(store_user_version(s->db, version));
}

/* ---- transactions -------------------------------------------------------- */

int
store_begin(struct store *s)
{
	int r;

	if (s->in_tx || !sqlite3_get_autocommit(s->db))
		return SLUICE_ESTATE;
	if ((r = st_exec(s, "BEGIN IMMEDIATE")) != 0)
		return r;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	if (!s->in_tx)
		return SLUICE_ESTATE;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
		return SLUICE_ESTORE;
	}
	s->in_tx = 0;
	return 0;
}

int
store_rollback(struct store *s)
{
	if (s == NULL || !s->in_tx)
		return 0;
	s->in_tx = 0;
	if (sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return SLUICE_ESTORE;
	return 0;
}

enum { TX_OUTER = 1, TX_SAVEPOINT = 2 };

int
st_tx_begin(struct store *s, int *kind)
{
	if (sqlite3_get_autocommit(s->db)) {
		*kind = TX_OUTER;
		return st_exec(s, "BEGIN IMMEDIATE");
	}
	*kind = TX_SAVEPOINT;
	return st_exec(s, "SAVEPOINT st");
}

int
st_tx_end(struct store *s, int kind, int rc)
{
	static const char *const sql[2][2] = {
		{ "COMMIT", "ROLLBACK" },
		{ "RELEASE st", "ROLLBACK TO st; RELEASE st" },
	};
	int k = kind == TX_OUTER ? 0 : 1;

	if (rc == 0 && sqlite3_exec(s->db, sql[k][0], NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (rc == 0)
		rc = SLUICE_ESTORE;
	(void)sqlite3_exec(s->db, sql[k][1], NULL, NULL, NULL);
	return rc;
}

int
st_exec(struct store *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_map(sqlite3_extended_errcode(s->db));
	return 0;
}

/* ---- odds and ends ------------------------------------------------------- */

void
st_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, p, n);
	sodium_bin2hex(out, 65, md, sizeof(md));
}

int
st_org_id(struct store *s, const char *code, int64_t *id, char *why,
    size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	/* bound as text even when NULL: SLUICE_EINVAL, not "no organisation" */
	if ((r = st_stmt(s, ST_ORG_ID, &st)) == 0)
		r = st_bind_text(st, 1, code, STORE_NAME_MAX);
	if ((r = st_one(s, st, r, st_row_i64, id)) == SLUICE_ENOTFOUND)
		sluice_why(why, whylen, r, "no organisation %s", code);
	return r;
}
