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

#include "store.h"

struct store {
	sqlite3	*db;
	int	 in_tx;		/* store_begin() is open */
};

/* The migrations (migrations.c): applies each pending one in a transaction. */
int store_migrate(sqlite3 *db, char *why, size_t whylen);
int store_latest_version(void);

int st_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/* sqlite3_step(): SQLITE_ROW -> 1, SQLITE_DONE -> 0, else a SLUICE_E*. */
int st_step(struct store *s, sqlite3_stmt *st);
/* Runs a prepared statement that returns no rows and finalizes it. */
int st_exec_done(struct store *s, sqlite3_stmt *st);
int st_map(int rc);			/* SQLite code -> SLUICE_E* */
int st_fail(struct store *s, int err, char *why, size_t whylen,
    const char *what);			/* why = "what: sqlite says" */

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

/* Grows a list's array by one zeroed element; *elem points at it. */
int st_list_grow(void **v, size_t *n, size_t size, void **elem);

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
