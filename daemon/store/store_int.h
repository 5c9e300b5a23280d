/*
 * store_int.h: what the store's .c files share and nothing else sees (the
 * only header besides them that includes sqlite3.h).
 *
 * Every statement is fixed SQL text in statements.c's table, prepared once
 * per store handle and bound with parameters; the st_* helpers map SQLite's
 * result codes to SLUICE_E* codes once, here.
 */
#ifndef SLUICE_STORE_INTERNAL_H
#define SLUICE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

/* The statements of statements.c, by the file that runs them. */
enum st_id {
	ST_ORG_ID, ST_ORG_INSERT, ST_ORG_BY_CODE, ST_ORG_BY_ID, ST_ORG_LIST,
	ST_ORG_SET_DSPT, ST_ORG_SET_SANCTIONED,
	ST_CONTRACT_INSERT, ST_CONTRACT_IN_FORCE, ST_CONTRACT_LIST,

	ST_KEY_INSERT, ST_KEY_LIST_STAFF, ST_KEY_LIST_PERSON,
	ST_KEY_DELETE_STAFF, ST_KEY_DELETE_PERSON,
	ST_PERSON_INSERT, ST_PERSON_BY_ID, ST_PERSON_SET_ACTIVE, ST_PERSON_LIST,
	ST_PERSON_SET_AGE,
	ST_STAFF_INSERT, ST_STAFF_LIST, ST_STAFF_SET_ACTIVE, ST_STAFF_SET_ROLES,
	ST_STAFF_COUNT_ADMINS,
	ST_IDENTITY_BY_KEY, ST_IDENTITY_BY_USER,

	ST_SIGNATORY_BY_ID, ST_SIGNATORY_BY_FPR, ST_SIGNATORY_INSERT,
	ST_SIGNATORY_LIST, ST_SIGNATORY_REVOKED, ST_SIGNATORY_REVOKE,
	ST_AGREEMENT_LATEST, ST_AGREEMENT_VERSION, ST_AGREEMENT_GOVERNING,
	ST_AGREEMENT_INSERT, ST_AGREEMENT_LIST, ST_AGREEMENT_SET_STATE,
	ST_AGREEMENT_END,
	ST_SIGNATURE_INSERT, ST_SIGNATURE_GET,
	ST_SUSPENSION_INSERT, ST_SUSPENSION_LIFT,

	ST_EXTRACT_INSERT, ST_EXTRACT_GET, ST_EXTRACT_LIST, ST_EXTRACT_RELEASED,
	ST_EXTRACT_DELETE, ST_EXTRACT_REWRAP,
	ST_RELEASE_INSERT, ST_RELEASE_GET, ST_RELEASE_REVOKE, ST_RELEASE_LIST,
	ST_DOWNLOAD_INSERT, ST_DOWNLOAD_UPDATE, ST_DOWNLOAD_COUNT,
	ST_CERTIFICATE_INSERT, ST_CERTIFICATE_LIST, ST_CERTIFICATE_ACCEPTED,
	ST_CERTIFICATE_REJECTED_SINCE, ST_CERTIFICATE_PRUNE,

	ST_INBOX_INSERT, ST_INBOX_GET, ST_INBOX_LIST, ST_INBOX_DELETE,
	ST_INBOX_REWRAP,

	ST_OUTBOX_INSERT, ST_OUTBOX_DUE, ST_OUTBOX_SENT, ST_OUTBOX_FAILED,
	ST_OUTBOX_CLAIM, ST_OUTBOX_DELIVERING,

	ST_AUDIT_INSERT, ST_AUDIT_LAST, ST_AUDIT_GET, ST_AUDIT_SINCE,

	ST_RELEASES_BY_MONTH, ST_DOWNLOADS_BY_MONTH,
	ST_MAX
};

struct store {
	sqlite3		*db;
	int		 in_tx;			/* store_begin() is open */
	sqlite3_stmt	*stmt[ST_MAX];		/* prepared on first use */
};

/* The migrations (migrations.c): applies each pending one in a transaction. */
int store_migrate(sqlite3 *db, char *why, size_t whylen);
int store_latest_version(void);

/* The schema version the database says it has (PRAGMA user_version); an
 * SQLite result code, SQLITE_OK when *v is set. */
int store_user_version(sqlite3 *db, int *v);

/*
 * Statements (statements.c). st_stmt(): *st = statement id, prepared on its
 * first use; SLUICE_ESTATE while a caller up the stack is still stepping it.
 * st_stmt_key(): st_stmt() and binds its ?1, if it has one, to key (text
 * shorter than keymax) or, when key is NULL, to n. Whoever got a statement
 * ends with st_reset() (rewind, clear the bindings; NULL is a no-op), also
 * on error. st_finalize_all() at store_close().
 */
int st_stmt(struct store *s, enum st_id id, sqlite3_stmt **st);
int st_stmt_key(struct store *s, enum st_id id, const char *key,
    size_t keymax, int64_t n, sqlite3_stmt **st);
void st_reset(sqlite3_stmt *st);
void st_finalize_all(struct store *s);

/* Runs SQL without parameters (transaction control). */
int st_exec(struct store *s, const char *sql);
int st_map(int rc);			/* SQLite code -> SLUICE_E* */
int st_fail(struct store *s, int err, char *why, size_t whylen,
    const char *what);			/* why = "what: sqlite says" */

/*
 * Stepping. None of these resets st.
 * st_step(): sqlite3_step(), SQLITE_ROW -> 1, SQLITE_DONE -> 0, else a
 * SLUICE_E*.
 * st_one_row(): 0 with st on its first row, none when it has no row, else
 * the error.
 * st_write(): runs an INSERT/UPDATE to its end: 0 (and *rowid = the new row's
 * id when rowid is not NULL), else the error with why = "what: sqlite says"
 * (why may be NULL; a caller that knows a better reason for SLUICE_EEXIST
 * writes it over this one).
 */
int st_step(struct store *s, sqlite3_stmt *st);
int st_one_row(struct store *s, sqlite3_stmt *st, int none);
int st_write(struct store *s, sqlite3_stmt *st, int64_t *rowid, char *why,
    size_t whylen, const char *what);

/*
 * Running a statement the caller got and bound: bound is the binding's
 * result (or st_stmt()'s, with st NULL); when it is not 0 the statement does
 * not run and it is returned. Each resets st.
 * st_insert(): st_write() (an INSERT, or an UPDATE/DELETE of any number of
 * rows); a binding refusal writes bad to why (bad may be NULL: leave why
 * alone).
 * st_update_one(): an UPDATE (or DELETE) that must touch exactly one row,
 * SLUICE_ENOTFOUND otherwise.
 * st_scalar(): *v = the first column of the one row a SELECT count/EXISTS
 * returns.
 */
int st_insert(struct store *s, sqlite3_stmt *st, int bound, int64_t *rowid,
    char *why, size_t whylen, const char *bad, const char *what);
int st_update_one(struct store *s, sqlite3_stmt *st, int bound);
int st_scalar(struct store *s, sqlite3_stmt *st, int bound, int64_t *v);

/* Copies the current row into one struct (each entity's *_row()); 0 or a
 * SLUICE_E* (an allocation or a stored name that does not parse). */
typedef int (*st_row_fn)(sqlite3_stmt *st, void *elem);
/* The row reader of a single int64_t: the first column. */
int st_row_i64(sqlite3_stmt *st, void *elem);
/* Frees what one element owns on the heap and zeroes it. */
typedef void (*st_clear_fn)(void *elem);

/* One entity as lists hold it: its size, row reader, and clear (NULL when
 * an element owns no heap memory). */
struct st_kind {
	size_t		 size;
	st_row_fn	 row;
	st_clear_fn	 clear;
};

/* One row of st (bound as st_insert()), copied by row() into out:
 * SLUICE_ENOTFOUND when there is none. Resets st. */
int st_one(struct store *s, sqlite3_stmt *st, int bound, st_row_fn row,
    void *out);
/* st_one() of statement id keyed as st_stmt_key(). */
int st_get(struct store *s, enum st_id id, const char *key, size_t keymax,
    int64_t n, st_row_fn row, void *out);
/* Empties the list *v of *n, then steps st (bound as st_insert()) to its
 * end, appending one element of k per row (growth checked). On error the
 * list is freed and empty. Resets st. */
int st_list(struct store *s, sqlite3_stmt *st, int bound,
    const struct st_kind *k, void **v, size_t *n);
/* st_list() of statement id with its ?1, if it has one, bound to key or,
 * when key is NULL, to SQL NULL (every row). */
int st_list_key(struct store *s, enum st_id id, const char *key,
    size_t keymax, const struct st_kind *k, void **v, size_t *n);
/* Clears each element with k->clear, frees the array, empties the list. */
void st_list_free(const struct st_kind *k, void **v, size_t *n);

/* Binding with checks: text length < max (so it fits the structs), no
 * NULs; NULL text binds SQL NULL only where allow_null. */
int st_bind_text(sqlite3_stmt *st, int i, const char *v, size_t max);
int st_bind_text_null(sqlite3_stmt *st, int i, const char *v, size_t max);
int st_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
int st_bind_i64(sqlite3_stmt *st, int i, int64_t v);
int st_bind_i64_or_null(sqlite3_stmt *st, int i, int64_t v);	/* 0 -> NULL */
int st_bind_date(sqlite3_stmt *st, int i, int32_t day);
int st_bind_date_or_null(sqlite3_stmt *st, int i, int32_t day);	/* 0 -> NULL */

void st_col_text(sqlite3_stmt *st, int i, char *dst, size_t dstlen);
int st_col_strdup(sqlite3_stmt *st, int i, char **out);
int st_col_blobdup(sqlite3_stmt *st, int i, uint8_t **out, size_t *len);
/* A blob of at most cap bytes into dst (SLUICE_ESTORE when longer). */
int st_col_blob(sqlite3_stmt *st, int i, uint8_t *dst, size_t cap,
    size_t *len);
int32_t st_col_date(sqlite3_stmt *st, int i);		/* NULL -> 0 */

/* A unit of work: BEGIN IMMEDIATE outside a transaction, a SAVEPOINT inside
 * one. st_tx_end() commits when rc == 0, else rolls back; returns rc (or the
 * commit's error). */
int st_tx_begin(struct store *s, int *kind);
int st_tx_end(struct store *s, int kind, int rc);

/* Lower-case hex SHA-256 of p[0..n). */
void st_sha256_hex(const void *p, size_t n, char out[65]);

/* The DSPT status as stored in orgs.dspt_status (see store.c: one word
 * differs from domain.h's); NULL for a status that is not one. */
const char *st_dspt_name(enum dspt_status d);
int st_dspt_parse(const char *name, enum dspt_status *d);

/* Looks up ids by natural keys: SLUICE_ENOTFOUND with why when absent. */
int st_org_id(struct store *s, const char *code, int64_t *id,
    char *why, size_t whylen);

/* Read by the gate's facts (facts.c). */
int org_get_by_id(struct store *s, int64_t id, struct org *out);

#endif
