/*
 * outbox.c: the mail outbox. Each message is queued exactly once (its dedupe
 * key is UNIQUE), then marked sent or failed by whoever delivers it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

static void
outbox_msg_clear(void *elem)
{
	struct outbox_msg *m = elem;

	free(m->to);
	free(m->subject);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

/* The columns of OUTBOX_COLS (statements.c) that are heap text. */
static int
outbox_texts(sqlite3_stmt *st, struct outbox_msg *m)
{
	int r;

	if ((r = st_col_strdup(st, 2, &m->to)) != 0 ||
	    (r = st_col_strdup(st, 3, &m->subject)) != 0)
		return r;
	return st_col_strdup(st, 4, &m->body);
}

/* Reads OUTBOX_COLS (statements.c). */
static int
outbox_row(sqlite3_stmt *st, void *elem)
{
	struct outbox_msg *m = elem;
	int r;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, m->dedupe_key, sizeof(m->dedupe_key));
	if ((r = outbox_texts(st, m)) != 0) {
		outbox_msg_clear(m);
		return r;
	}
	m->created_at = sqlite3_column_int64(st, 5);
	m->next_attempt = sqlite3_column_int64(st, 6);
	m->attempts = sqlite3_column_int64(st, 7);
	m->sent_at = sqlite3_column_int64(st, 8);
	st_col_text(st, 9, m->last_error, sizeof(m->last_error));
	return 0;
}

static const struct st_kind outbox_kind = {
	sizeof(struct outbox_msg), outbox_row, outbox_msg_clear
};

int
outbox_enqueue(struct store *s, const char *dedupe_key, const char *to,
    const char *subject, const char *body, int64_t *id)
{
	sqlite3_stmt *st;
	int64_t now = sluice_now();
	int r;

	if (dedupe_key == NULL || *dedupe_key == '\0' || to == NULL || *to == '\0')
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_OUTBOX_INSERT, &st)) == 0 &&
	    (r = st_bind_text(st, 1, dedupe_key, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_text(st, 2, to, STORE_BLOB_MAX)) == 0 &&
	    (r = st_bind_text(st, 3, subject, STORE_BLOB_MAX)) == 0 &&
	    (r = st_bind_text(st, 4, body, STORE_BLOB_MAX)) == 0 &&
	    (r = st_bind_i64(st, 5, now)) == 0)
		r = st_bind_i64(st, 6, now);
	return st_insert(s, st, r, id, NULL, 0, NULL, NULL);
}

int
outbox_due(struct store *s, int64_t now, size_t limit, struct outbox_list *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if (limit > INT64_MAX)
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_OUTBOX_DUE, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, now)) == 0)
		r = st_bind_i64(st, 2, limit == 0 ? -1 : (int64_t)limit);
	return st_list(s, st, r, &outbox_kind, (void **)&out->v, &out->n);
}

int
outbox_mark_sent(struct store *s, int64_t id, int64_t at)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_OUTBOX_SENT, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, at)) == 0)
		r = st_bind_i64(st, 2, id);
	return st_update_one(s, st, r);
}

int
outbox_mark_failed(struct store *s, int64_t id, const char *error,
    int64_t next_attempt)
{
	sqlite3_stmt *st;
	char line[STORE_TEXT_MAX];
	int r;

	/* a transport's error may be long or multi-line: keep one line */
	snprintf(line, sizeof(line), "%s", error ? error : "");
	line[strcspn(line, "\r\n")] = '\0';
	if ((r = st_stmt(s, ST_OUTBOX_FAILED, &st)) == 0 &&
	    (r = st_bind_text(st, 1, line, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_i64(st, 2, next_attempt)) == 0)
		r = st_bind_i64(st, 3, id);
	return st_update_one(s, st, r);
}

int
outbox_set_delivering(struct store *s, int64_t id, int on)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_OUTBOX_CLAIM, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, on ? 1 : 0)) == 0)
		r = st_bind_i64(st, 2, id);
	return st_update_one(s, st, r);
}

int
outbox_delivering(struct store *s, struct outbox_list *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	r = st_stmt(s, ST_OUTBOX_DELIVERING, &st);
	return st_list(s, st, r, &outbox_kind, (void **)&out->v, &out->n);
}

void
outbox_list_free(struct outbox_list *l)
{
	if (l != NULL)
		st_list_free(&outbox_kind, (void **)&l->v, &l->n);
}
