/*
 * backup.c: backups of the store (store.h). SQLite's online backup API
 * copies the store page by page from a reader's snapshot, so the daemon may
 * keep running; the copy then gets two tables of the backup's own, which a
 * restore drops again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/error.h"
#include "store/store_int.h"

#define BACKUP_BUSY_TRIES	600	/* x 50 ms: the store busy for 30 s */

static const char backup_tables[] =
    "PRAGMA journal_mode = DELETE; BEGIN;"
    "CREATE TABLE sluice_backup_files (name TEXT PRIMARY KEY, "
    "mode INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE sluice_backup_payloads (id TEXT PRIMARY KEY, "
    "size INTEGER NOT NULL, sha256 TEXT NOT NULL);";
static const char backup_drop[] =
    "DROP TABLE sluice_backup_files; DROP TABLE sluice_backup_payloads;";

struct backup {
	sqlite3		*db;
	int		 in_tx;
};

static int
db_fail(sqlite3 *db, char *why, size_t whylen, const char *what,
    const char *path)
{
	return sluice_why(why, whylen, SLUICE_ESTORE, "%s %s: %s", what, path,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* Makes path a new empty file, 0600, refusing one that exists. */
static int
new_file(const char *path, char *why, size_t whylen)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return sluice_why(why, whylen, errno == EEXIST ? SLUICE_EEXIST :
		    SLUICE_EIO, "%s: %s", path, strerror(errno));
	(void)close(fd);
	return 0;
}

static int
open_db(const char *path, int flags, sqlite3 **db, char *why, size_t whylen)
{
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOFOLLOW, NULL) !=
	    SQLITE_OK)
		return db_fail(*db, why, whylen, "cannot open", path);
	(void)sqlite3_extended_result_codes(*db, 1);
	return 0;
}

/* All of src's pages into dst, waiting while a writer holds the store. */
static int
copy_db(sqlite3 *src, sqlite3 *dst, char *why, size_t whylen)
{
	sqlite3_backup *bk;
	int rc, tries = 0;

	if ((bk = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot start the copy: %s", sqlite3_errmsg(dst));
	while (((rc = sqlite3_backup_step(bk, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED) && ++tries < BACKUP_BUSY_TRIES)
		(void)sqlite3_sleep(50);
	(void)sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "copying the store failed: %s", sqlite3_errstr(rc));
	return 0;
}

static int
db_exec(sqlite3 *db, const char *sql, char *why, size_t whylen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE, "%s",
		    sqlite3_errmsg(db));
	return 0;
}

void
backup_close(struct backup *b)
{
	if (b == NULL)
		return;
	if (b->in_tx)
		(void)sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	(void)sqlite3_close_v2(b->db);
	free(b);
}

int
backup_create(struct store *s, const char *path, struct backup **out,
    char *why, size_t whylen)
{
	struct backup *b = NULL;
	int r;

	*out = NULL;
	if ((r = new_file(path, why, whylen)) != 0)
		return r;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	else if ((r = open_db(path, SQLITE_OPEN_READWRITE, &b->db, why,
	    whylen)) == 0 && (r = copy_db(s->db, b->db, why, whylen)) == 0 &&
	    (r = db_exec(b->db, backup_tables, why, whylen)) == 0) {
		b->in_tx = 1;
		*out = b;
		return 0;
	}
	backup_close(b);
	(void)unlink(path);
	return r;
}

/* Runs one INSERT of the backup's tables with its values bound by bind. */
static int
backup_insert(struct backup *b, const char *sql,
    int (*bind)(sqlite3_stmt *, const void *), const void *arg)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL) != SQLITE_OK)
		return SLUICE_ESTORE;
	if ((r = bind(st, arg)) == 0 && sqlite3_step(st) != SQLITE_DONE)
		r = SLUICE_ESTORE;
	(void)sqlite3_finalize(st);
	return r;
}

struct file_row {
	const char	*name;
	int		 mode;
	const uint8_t	*data;
	size_t		 len;
};

static int
bind_file(sqlite3_stmt *st, const void *arg)
{
	const struct file_row *f = arg;
	int r;

	if ((r = st_bind_text(st, 1, f->name, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, f->mode)) != 0)
		return r;
	return st_bind_blob(st, 3, f->len ? f->data : (const uint8_t *)"",
	    f->len);
}

int
backup_add_file(struct backup *b, const char *name, int mode,
    const uint8_t *data, size_t len)
{
	struct file_row f = { name, mode, data, len };

	return backup_insert(b, "INSERT INTO sluice_backup_files (name, mode, "
	    "data) VALUES (?1, ?2, ?3)", bind_file, &f);
}

struct payload_row {
	const char	*id;
	uint64_t	 size;
	const char	*sha256;
};

static int
bind_payload(sqlite3_stmt *st, const void *arg)
{
	const struct payload_row *p = arg;
	int r;

	if (p->size > INT64_MAX)
		return SLUICE_EINVAL;
	if ((r = st_bind_text(st, 1, p->id, STORE_EXTRACT_ID_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, (int64_t)p->size)) != 0)
		return r;
	return st_bind_text(st, 3, p->sha256, STORE_HEX_MAX);
}

int
backup_add_payload(struct backup *b, const char *id, uint64_t size,
    const char *sha256)
{
	struct payload_row p = { id, size, sha256 };

	return backup_insert(b, "INSERT INTO sluice_backup_payloads (id, size, "
	    "sha256) VALUES (?1, ?2, ?3)", bind_payload, &p);
}

int
backup_finish(struct backup *b, char *why, size_t whylen)
{
	int r;

	if ((r = db_exec(b->db, "COMMIT", why, whylen)) == 0)
		b->in_tx = 0;
	backup_close(b);
	return r;
}

int
backup_open(const char *path, struct backup **out, char *why, size_t whylen)
{
	struct backup *b;
	int r;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = open_db(path, SQLITE_OPEN_READONLY, &b->db, why, whylen)) ==
	    0 && (r = db_exec(b->db, "SELECT 1 FROM sluice_backup_files, "
	    "sluice_backup_payloads LIMIT 0", why, whylen)) != 0)
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "%s: not a sluiced backup", path);
	if (r == 0)
		*out = b;
	else
		backup_close(b);
	return r;
}

int
backup_each_file(struct backup *b, backup_file_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	if (sqlite3_prepare_v2(b->db, "SELECT name, mode, data FROM "
	    "sluice_backup_files ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return SLUICE_ESTORE;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_int(st, 1), sqlite3_column_blob(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2));
	if (r == 0 && rc != SQLITE_DONE)
		r = SLUICE_ESTORE;
	(void)sqlite3_finalize(st);
	return r;
}

int
backup_each_payload(struct backup *b, backup_payload_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	if (sqlite3_prepare_v2(b->db, "SELECT id, size, sha256 FROM "
	    "sluice_backup_payloads ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return SLUICE_ESTORE;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2));
	if (r == 0 && rc != SQLITE_DONE)
		r = SLUICE_ESTORE;
	(void)sqlite3_finalize(st);
	return r;
}

int
backup_restore_store(struct backup *b, const char *path, char *why,
    size_t whylen)
{
	sqlite3 *db = NULL;
	int r;

	if ((r = new_file(path, why, whylen)) != 0)
		return r;
	if ((r = open_db(path, SQLITE_OPEN_READWRITE, &db, why, whylen)) == 0 &&
	    (r = copy_db(b->db, db, why, whylen)) == 0)
		r = db_exec(db, backup_drop, why, whylen);
	(void)sqlite3_close_v2(db);
	if (r != 0)
		(void)unlink(path);
	return r;
}
