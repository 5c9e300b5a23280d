/*
 * store.c: opening the SQLite store, transactions, and the helpers every
 * store_*.c file uses (binding with checks, column copies, error mapping).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

#define BUSY_TIMEOUT_MS	5000

/* ---- names kept in TEXT columns ----------------------------------------- */

/* The same words as domain.h's *_name() (DESIGN.md); the store keeps its own
 * table so a stored name never depends on another module's spelling. */
static const char *const state_names[AG_STATE_MAX] = {
	[AG_DRAFT] = "draft",
	[AG_AWAITING_SIGNATURES] = "awaiting-signatures",
	[AG_SIGNED] = "signed",
	[AG_LIVE] = "live",
	[AG_SUSPENDED] = "suspended",
	[AG_EXPIRED] = "expired",
	[AG_CLOSED] = "closed",
};

static const char *const dspt_names[] = {
	[DSPT_NONE] = "none",
	[DSPT_NOT_MET] = "standards-not-met",
	[DSPT_APPROACHING] = "approaching-standards",
	[DSPT_MET] = "standards-met",
	[DSPT_EXCEEDED] = "standards-exceeded",
};
#define NDSPT (sizeof(dspt_names) / sizeof(dspt_names[0]))

/* The index of name in names[0..n), or SLUICE_ESTORE: a stored name this
 * program does not know means the store is not one it wrote. */
static int
name_index(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return SLUICE_ESTORE;
}

const char *
st_state_name(enum agreement_state s)
{
	return (unsigned)s < AG_STATE_MAX ? state_names[s] : NULL;
}

int
st_state_parse(const char *name, enum agreement_state *s)
{
	int i = name_index(state_names, AG_STATE_MAX, name);

	if (i < 0)
		return i;
	*s = (enum agreement_state)i;
	return 0;
}

const char *
st_dspt_name(enum dspt_status d)
{
	return (unsigned)d < NDSPT ? dspt_names[d] : NULL;
}

int
st_dspt_parse(const char *name, enum dspt_status *d)
{
	int i = name_index(dspt_names, NDSPT, name);

	if (i < 0)
		return i;
	*d = (enum dspt_status)i;
	return 0;
}

const char *
st_party_name(enum party p)
{
	switch (p) {
	case PARTY_APPLICANT:	return "applicant";
	case PARTY_CONTROLLER:	return "controller";
	}
	return NULL;
}

int
st_party_parse(const char *name, enum party *p)
{
	if (name != NULL && strcmp(name, "applicant") == 0)
		*p = PARTY_APPLICANT;
	else if (name != NULL && strcmp(name, "controller") == 0)
		*p = PARTY_CONTROLLER;
	else
		return SLUICE_ESTORE;
	return 0;
}

/* ---- open and close ------------------------------------------------------ */

/* The file exists with mode 0600 before SQLite sees it (SQLite gives its
 * -wal and -shm files the database file's mode). */
static int
create_file(const char *path, char *why, size_t whylen)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return sluice_why(why, whylen, SLUICE_EIO, "cannot open store %s: %s",
		    path, strerror(errno));
	close(fd);
	return 0;
}

static int
configure(sqlite3 *db, char *why, size_t whylen)
{
	static const char pragmas[] =
	    "PRAGMA journal_mode = WAL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA trusted_schema = OFF;"
	    "PRAGMA secure_delete = ON;";
	int on = 0;

	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) != SQLITE_OK ||
	    on != 1)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot make the store defensive");
	if (sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot set the store's busy timeout");
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		if (sqlite3_errcode(db) == SQLITE_NOTADB)
			return sluice_why(why, whylen, SLUICE_ESTORE,
			    "the file is not a sluice store (not SQLite)");
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot configure the store: %s", sqlite3_errmsg(db));
	}
	return 0;
}

int
store_open(const char *path, struct store **out, char *why, size_t whylen)
{
	struct store *s = NULL;
	int r;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "no store path");
	if (sodium_init() < 0)
		return sluice_why(why, whylen, SLUICE_ECRYPTO, "libsodium failed");
	if ((r = create_file(path, why, whylen)) != 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		r = sluice_why(why, whylen, SLUICE_ESTORE, "cannot open store %s: %s",
		    path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	(void)sqlite3_extended_result_codes(s->db, 1);
	if ((r = configure(s->db, why, whylen)) != 0)
		goto out;
	if ((r = store_migrate(s->db, why, whylen)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	store_close(s);
	return r;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
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

/* ---- statements and errors ----------------------------------------------- */

int
st_map(int rc)
{
	switch (rc) {
	case SQLITE_OK:
		return 0;
	case SQLITE_NOMEM:
		return SLUICE_ENOMEM;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return SLUICE_EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_DATATYPE:
	case SQLITE_TOOBIG:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return SLUICE_EINVAL;
	case SQLITE_CONSTRAINT_TRIGGER:
		return SLUICE_EDENIED;
	}
	return SLUICE_ESTORE;
}

int
st_fail(struct store *s, int err, char *why, size_t whylen, const char *what)
{
	return sluice_why(why, whylen, err, "%s: %s", what, sqlite3_errmsg(s->db));
}

int
st_exec(struct store *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_map(sqlite3_extended_errcode(s->db));
	return 0;
}

int
st_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return st_map(sqlite3_extended_errcode(s->db));
	return 0;
}

int
st_prepare_key(struct store *s, const char *sql, const char *key,
    size_t keymax, int64_t id, sqlite3_stmt **st)
{
	int r;

	if ((r = st_prepare(s, sql, st)) != 0)
		return r;
	if (sqlite3_bind_parameter_count(*st) == 0)
		return 0;
	return key != NULL ? st_bind_text(*st, 1, key, keymax) :
	    st_bind_i64(*st, 1, id);
}

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

int
st_write_one(struct store *s, sqlite3_stmt *st)
{
	int r;

	if ((r = st_write(s, st, NULL, NULL, 0, NULL)) != 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : SLUICE_ENOTFOUND;
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

/* ---- rows and lists ------------------------------------------------------ */

int
st_get(struct store *s, const char *sql, const char *key, size_t keymax,
    int64_t id, st_row_fn row, void *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare_key(s, sql, key, keymax, id, &st)) != 0)
		goto out;
	if ((r = st_one_row(s, st, SLUICE_ENOTFOUND)) == 0)
		r = row(st, out);
out:
	sqlite3_finalize(st);
	return r;
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

int
st_read_all(struct store *s, sqlite3_stmt *st, void **v, size_t *n,
    size_t size, st_row_fn row)
{
	void *elem;
	int r;

	while ((r = st_step(s, st)) == 1)
		if ((r = list_grow(v, n, size, &elem)) != 0 ||
		    (r = row(st, elem)) != 0)
			break;
	return r;
}

void
st_list_free(void **v, size_t *n)
{
	free(*v);
	*v = NULL;
	*n = 0;
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
	sqlite3_stmt *st = NULL;
	int r;

	/* bound as text even when NULL: SLUICE_EINVAL, not "no organisation" */
	if ((r = st_prepare(s, "SELECT id FROM orgs WHERE code = ?", &st)) != 0 ||
	    (r = st_bind_text(st, 1, code, STORE_NAME_MAX)) != 0)
		goto out;
	if ((r = st_one_row(s, st, SLUICE_ENOTFOUND)) == 0)
		*id = sqlite3_column_int64(st, 0);
	else if (r == SLUICE_ENOTFOUND)
		sluice_why(why, whylen, r, "no organisation %s", code);
out:
	sqlite3_finalize(st);
	return r;
}

int
st_name_check(const char *v, const char *what, char *why, size_t whylen)
{
	size_t i, n;

	if (v == NULL || (n = strlen(v)) == 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "%s is empty", what);
	if (n >= STORE_NAME_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "%s is longer than %d bytes", what, STORE_NAME_MAX - 1);
	if (v[0] == '.' || v[0] == '-')
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "%s must not start with '%c'", what, v[0]);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "%s may hold only A-Z a-z 0-9 . _ -", what);
	}
	return 0;
}

int
st_nic_check(const char *v, char *why, size_t whylen)
{
	size_t i;

	if (v == NULL || strlen(v) != 16 || strncmp(v, "NIC-", 4) != 0 ||
	    v[10] != '-')
		goto bad;
	for (i = 4; i < 10; i++)
		if (v[i] < '0' || v[i] > '9')
			goto bad;
	for (i = 11; i < 16; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'Z')))
			goto bad;
	return 0;
bad:
	return sluice_why(why, whylen, SLUICE_EINVAL,
	    "%s is not a NIC reference (NIC-123456-A1B2C)", v ? v : "(null)");
}
