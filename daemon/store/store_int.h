/*
 * store_internal.h: what the store*.c files share and nothing else sees
 * (the only header besides them that includes sqlite3.h).
 *
 * Each statement is prepared from a static string and bound with parameters;
 * st_* helpers map SQLite's result codes to SLUICE_E* codes once, here.
 */
#ifndef SLUICE_STORE_INTERNAL_H
#define SLUICE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
	sqlite3	*db;
	int	 in_tx;		/* store_begin() is open */
};

/* The migrations (migrations.c): applies each pending one in a transaction. */
int store_migrate(sqlite3 *db, char *why, size_t whylen);
int store_latest_version(void);

/* The schema version the database says it has (PRAGMA user_version); an
 * SQLite result code, SQLITE_OK when *v is set. */
int store_user_version(sqlite3 *db, int *v);

int st_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/* Prepares sql and binds its ?1, if it has one, to key (text shorter than
 * keymax) or, when key is NULL, to id. */
int st_prepare_key(struct store *s, const char *sql, const char *key,
    size_t keymax, int64_t id, sqlite3_stmt **st);
/* Runs SQL without parameters (transaction control). */
int st_exec(struct store *s, const char *sql);
int st_map(int rc);			/* SQLite code -> SLUICE_E* */
int st_fail(struct store *s, int err, char *why, size_t whylen,
    const char *what);			/* why = "what: sqlite says" */

/*
 * Stepping. None of these finalizes: the caller's out: label does.
 * st_step(): sqlite3_step(), SQLITE_ROW -> 1, SQLITE_DONE -> 0, else a
 * SLUICE_E*.
 * st_one_row(): 0 with st on its first row, none when it has no row, else
 * the error.
 * st_write(): runs an INSERT/UPDATE to its end: 0 (and *rowid = the new row's
 * id when rowid is not NULL), else the error with why = "what: sqlite says"
 * (why may be NULL; a caller that knows a better reason for SLUICE_EEXIST
 * writes it over this one).
 * st_write_one(): st_write() for an UPDATE that must touch exactly one row,
 * SLUICE_ENOTFOUND otherwise.
 */
int st_step(struct store *s, sqlite3_stmt *st);
int st_one_row(struct store *s, sqlite3_stmt *st, int none);
int st_write(struct store *s, sqlite3_stmt *st, int64_t *rowid, char *why,
    size_t whylen, const char *what);
int st_write_one(struct store *s, sqlite3_stmt *st);

/* Copies the current row into one struct (each entity's *_row()); 0 or a
 * SLUICE_E* (an allocation or a stored name that does not parse). */
typedef int (*st_row_fn)(sqlite3_stmt *st, void *elem);

/* One row of sql keyed as st_prepare_key(), copied by row() into out:
 * SLUICE_ENOTFOUND when there is none. */
int st_get(struct store *s, const char *sql, const char *key, size_t keymax,
    int64_t id, st_row_fn row, void *out);
/* Steps st to its end, appending one zeroed element of size bytes per row to
 * the array *v of *n (growth checked) and filling it with row(). On error the
 * elements read so far stay in *v for the caller's *_list_free(). */
int st_read_all(struct store *s, sqlite3_stmt *st, void **v, size_t *n,
    size_t size, st_row_fn row);
/* Frees a list's array (its elements' own memory already freed) and empties
 * the list. */
void st_list_free(void **v, size_t *n);

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
int32_t st_col_date(sqlite3_stmt *st, int i);		/* NULL -> 0 */

/* A unit of work: BEGIN IMMEDIATE outside a transaction, a SAVEPOINT inside
 * one. st_tx_end() commits when rc == 0, else rolls back; returns rc (or the
 * commit's error). */
int st_tx_begin(struct store *s, int *kind);
int st_tx_end(struct store *s, int kind, int rc);

/* Lower-case hex SHA-256 of p[0..n). */
void st_sha256_hex(const void *p, size_t n, char out[65]);

/* Names the store keeps in TEXT columns. */
const char *st_state_name(enum agreement_state s);
int st_state_parse(const char *name, enum agreement_state *s);
const char *st_dspt_name(enum dspt_status d);
int st_dspt_parse(const char *name, enum dspt_status *d);
const char *st_party_name(enum party p);
int st_party_parse(const char *name, enum party *p);

/* The safe-name and NIC rules of domain.h, kept here so the store does not
 * depend on another module to refuse bad keys (what names the field). */
int st_name_check(const char *v, const char *what, char *why, size_t whylen);
int st_nic_check(const char *v, char *why, size_t whylen);

/* Looks up ids by natural keys: SLUICE_ENOTFOUND with why when absent. */
int st_org_id(struct store *s, const char *code, int64_t *id,
    char *why, size_t whylen);

#endif
