/*
 * audit_rows.c: the audit table's rows. audit.c (the engine) keeps the hash
 * chain and its encoding; here an entry is read, appended onto the newest
 * one in one unit of work, and walked in id order.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "store/store_int.h"

/* The columns of AUDIT_COLS (statements.c) that are heap text. */
static int
audit_texts(sqlite3_stmt *st, struct audit_entry *e)
{
	int r;

	if ((r = st_col_strdup(st, 3, &e->actor)) != 0 ||
	    (r = st_col_strdup(st, 4, &e->action)) != 0 ||
	    (r = st_col_strdup(st, 5, &e->subject)) != 0)
		return r;
	return st_col_strdup(st, 7, &e->details);
}

/* Reads AUDIT_COLS (statements.c). */
static int
audit_row(sqlite3_stmt *st, void *elem)
{
	struct audit_entry *e = elem;
	const unsigned char *clock;
	int r;

	memset(e, 0, sizeof(*e));
	e->id = sqlite3_column_int64(st, 0);
	e->time = sqlite3_column_int64(st, 1);
	clock = sqlite3_column_text(st, 2);
	e->fake_clock = clock != NULL && strcmp((const char *)clock, "fake") == 0;
	if ((r = audit_texts(st, e)) != 0) {
		audit_entry_clear(e);
		return r;
	}
	st_col_text(st, 6, e->outcome, sizeof(e->outcome));
	st_col_text(st, 8, e->prev_hash, sizeof(e->prev_hash));
	st_col_text(st, 9, e->hash, sizeof(e->hash));
	return 0;
}

void
audit_entry_clear(struct audit_entry *e)
{
	if (e == NULL)
		return;
	free(e->actor);
	free(e->action);
	free(e->subject);
	free(e->details);
	memset(e, 0, sizeof(*e));
}

static int
audit_bind(sqlite3_stmt *st, const struct audit_entry *e)
{
	int r;

	if ((r = st_bind_i64(st, 1, e->id)) != 0 ||
	    (r = st_bind_i64(st, 2, e->time)) != 0 ||
	    (r = st_bind_text(st, 3, e->fake_clock ? "fake" : "real", 8)) != 0 ||
	    (r = st_bind_text(st, 4, e->actor, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, e->action, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 6, e->subject, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 7, e->outcome, STORE_OUTCOME_MAX)) != 0 ||
	    (r = st_bind_text(st, 8, e->details, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 9, e->prev_hash, STORE_HEX_MAX)) != 0)
		return r;
	return st_bind_text(st, 10, e->hash, STORE_HEX_MAX);
}

/* Appends e as is (its id must be the last + 1). */
static int
audit_insert(struct store *s, const struct audit_entry *e)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_AUDIT_INSERT, &st)) == 0)
		r = audit_bind(st, e);
	return st_insert(s, st, r, NULL, NULL, 0, NULL, NULL);
}

int
store_audit_last(struct store *s, struct audit_entry *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, ST_AUDIT_LAST, NULL, 0, 0, audit_row, out);
}

int
store_audit_get(struct store *s, int64_t id, struct audit_entry *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, ST_AUDIT_GET, NULL, 0, id, audit_row, out);
}

/* Calls fn for each row of st until the end, an error or fn's non-zero. */
static int
audit_walk(struct store *s, sqlite3_stmt *st, store_audit_fn fn, void *arg)
{
	struct audit_entry e;
	int r;

	while ((r = st_step(s, st)) == 1) {
		if ((r = audit_row(st, &e)) != 0)
			break;
		r = fn(arg, &e);
		audit_entry_clear(&e);
		if (r != 0)
			break;
	}
	return r;
}

int
store_audit_each(struct store *s, int64_t since, store_audit_fn fn, void *arg)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt_key(s, ST_AUDIT_SINCE, NULL, 0, since, &st)) == 0)
		r = audit_walk(s, st, fn, arg);
	st_reset(st);
	return r;
}

/* Chains e onto the newest entry: its id + 1 and its hash, or id 1 and
 * "0" x 64 for the first. */
static int
audit_chain(struct store *s, struct audit_entry *e)
{
	struct audit_entry last;
	int r;

	r = store_audit_last(s, &last);
	if (r == SLUICE_ENOTFOUND) {
		e->id = 1;
		memset(e->prev_hash, '0', 64);
		e->prev_hash[64] = '\0';
		return 0;
	}
	if (r != 0)
		return r;
	e->id = last.id + 1;
	memcpy(e->prev_hash, last.hash, sizeof(e->prev_hash));
	audit_entry_clear(&last);
	return 0;
}

int
store_audit_append(struct store *s, struct audit_entry *e,
    store_audit_hash_fn hash)
{
	int r, tx;

	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = audit_chain(s, e)) == 0 && (r = hash(e, e->hash)) == 0)
		r = audit_insert(s, e);
	return st_tx_end(s, tx, r);
}
