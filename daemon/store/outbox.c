/*
 * store_outbox.c: the mail outbox (each message queued exactly once), the
 * gate's facts, and the audit table's rows (audit.c keeps the chain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- outbox -------------------------------------------------------------- */

#define OUTBOX_COLS "id, dedupe_key, to_addrs, subject, body, created_at, " \
	"next_attempt, attempts, coalesce(sent_at, 0), last_error FROM outbox"

static int
outbox_row(sqlite3_stmt *st, void *elem)
{
	struct outbox_msg *m = elem;
	int r;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, m->dedupe_key, sizeof(m->dedupe_key));
	if ((r = st_col_strdup(st, 2, &m->to)) != 0 ||
	    (r = st_col_strdup(st, 3, &m->subject)) != 0 ||
	    (r = st_col_strdup(st, 4, &m->body)) != 0) {
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

int
outbox_enqueue(struct store *s, const char *dedupe_key, const char *to,
    const char *subject, const char *body, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int64_t now = sluice_now();
	int r;

	if (dedupe_key == NULL || *dedupe_key == '\0' || to == NULL || *to == '\0')
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "INSERT INTO outbox (dedupe_key, to_addrs, subject, "
	    "body, created_at, next_attempt) VALUES (?, ?, ?, ?, ?, ?)", &st)) != 0 ||
	    (r = st_bind_text(st, 1, dedupe_key, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 2, to, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 3, subject, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 4, body, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_i64(st, 5, now)) != 0 ||
	    (r = st_bind_i64(st, 6, now)) != 0)
		goto out;
	r = st_write(s, st, id, NULL, 0, NULL);
out:
	sqlite3_finalize(st);
	return r;
}

int
outbox_due(struct store *s, int64_t now, size_t limit, struct outbox_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (limit > INT64_MAX)
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "SELECT " OUTBOX_COLS " WHERE sent_at IS NULL AND "
	    "next_attempt <= ? ORDER BY next_attempt, id LIMIT ?", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, now)) != 0 ||
	    (r = st_bind_i64(st, 2, limit == 0 ? -1 : (int64_t)limit)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    outbox_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		outbox_list_free(out);
	return r;
}

int
outbox_get(struct store *s, int64_t id, struct outbox_msg *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, "SELECT " OUTBOX_COLS " WHERE id = ?", NULL, 0, id,
	    outbox_row, out);
}

int
outbox_mark_sent(struct store *s, int64_t id, int64_t at)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "UPDATE outbox SET sent_at = ?, attempts = "
	    "attempts + 1 WHERE id = ? AND sent_at IS NULL", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, at)) != 0 || (r = st_bind_i64(st, 2, id)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

int
outbox_mark_failed(struct store *s, int64_t id, const char *error,
    int64_t next_attempt)
{
	sqlite3_stmt *st = NULL;
	char line[STORE_TEXT_MAX];
	int r;

	/* a transport's error may be long or multi-line: keep one line */
	snprintf(line, sizeof(line), "%s", error ? error : "");
	line[strcspn(line, "\r\n")] = '\0';
	if ((r = st_prepare(s, "UPDATE outbox SET attempts = attempts + 1, "
	    "last_error = ?, next_attempt = ? WHERE id = ? AND sent_at IS NULL",
	    &st)) != 0 ||
	    (r = st_bind_text(st, 1, line, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, next_attempt)) != 0 ||
	    (r = st_bind_i64(st, 3, id)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

void
outbox_msg_clear(struct outbox_msg *m)
{
	if (m == NULL)
		return;
	free(m->to);
	free(m->subject);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

void
outbox_list_free(struct outbox_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		outbox_msg_clear(&l->v[i]);
	st_list_free((void **)&l->v, &l->n);
}

/* ---- the gate's facts ---------------------------------------------------- */

static void
facts_person(struct store *s, int64_t person_id, const struct agreement *a,
    struct gate_facts *f)
{
	struct person p;

	if (person_get_by_id(s, person_id, &p) != 0)
		return;
	f->recipient_known = 1;
	f->recipient_active = p.active;
	f->recipient_org_matches = p.org_id == a->org_id;
}

static int
facts_org(struct store *s, const struct agreement *a, int32_t today,
    struct gate_facts *f)
{
	struct contract c;
	struct org o;
	int r;

	if ((r = org_get_by_id(s, a->org_id, &o)) != 0)
		return r;
	f->dspt = o.dspt;
	f->dspt_expires = o.dspt_expires;
	f->org_sanctioned = o.sanctioned;
	r = contract_in_force(s, o.code, today, &c);
	if (r == SLUICE_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	f->contract_present = 1;
	f->contract_starts = c.starts;
	f->contract_expires = c.expires;
	return 0;
}

static int
facts_signed(struct store *s, int64_t agreement_id, enum party p, int *yes)
{
	struct agreement_sig g;
	int r;

	*yes = 0;
	r = signature_get(s, agreement_id, p, &g);
	if (r == SLUICE_ENOTFOUND)
		return 0;
	if (r == 0)
		*yes = g.verified_at != 0;
	agreement_sig_clear(&g);
	return r;
}

int
store_gate_facts(struct store *s, int64_t person_id, int64_t release_id,
    int32_t today, struct gate_facts *f)
{
	struct agreement a;
	struct release rel;
	int r;

	memset(f, 0, sizeof(*f));
	memset(&a, 0, sizeof(a));
	if ((r = release_get(s, release_id, &rel)) != 0)
		return r;
	if ((r = agreement_governing(s, rel.nic, &a)) != 0)
		goto out;
	facts_person(s, person_id, &a, f);
	if ((r = facts_org(s, &a, today, f)) != 0 ||
	    (r = facts_signed(s, a.id, PARTY_APPLICANT, &f->applicant_signed)) != 0 ||
	    (r = facts_signed(s, a.id, PARTY_CONTROLLER, &f->controller_signed)) != 0)
		goto out;
	f->state = a.state;
	f->starts = a.starts;
	f->expires = a.expires;
	f->release_approved = rel.approved_by != 0;
	f->stager_id = rel.staged_by;
	f->approver_id = rel.approved_by;
	f->release_revoked = rel.revoked_at != 0;
	f->window_opens = rel.window_opens;
	f->window_closes = rel.window_closes;
	f->max_downloads = rel.max_downloads;
	r = download_count(s, release_id, person_id, 0, &f->downloads);
out:
	agreement_clear(&a);
	return r;
}

/* ---- audit rows ---------------------------------------------------------- */

#define AUDIT_COLS "id, time, clock, actor, action, subject, outcome, " \
	"details, prev_hash, hash FROM audit"

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
	if ((r = st_col_strdup(st, 3, &e->actor)) != 0 ||
	    (r = st_col_strdup(st, 4, &e->action)) != 0 ||
	    (r = st_col_strdup(st, 5, &e->subject)) != 0 ||
	    (r = st_col_strdup(st, 7, &e->details)) != 0) {
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

int
store_audit_insert(struct store *s, const struct audit_entry *e)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "INSERT INTO audit (id, time, clock, actor, action, "
	    "subject, outcome, details, prev_hash, hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, e->id)) != 0 ||
	    (r = st_bind_i64(st, 2, e->time)) != 0 ||
	    (r = st_bind_text(st, 3, e->fake_clock ? "fake" : "real", 8)) != 0 ||
	    (r = st_bind_text(st, 4, e->actor, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, e->action, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 6, e->subject, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 7, e->outcome, STORE_OUTCOME_MAX)) != 0 ||
	    (r = st_bind_text(st, 8, e->details, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 9, e->prev_hash, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_text(st, 10, e->hash, STORE_HEX_MAX)) != 0)
		goto out;
	r = st_write(s, st, NULL, NULL, 0, NULL);
out:
	sqlite3_finalize(st);
	return r;
}

int
store_audit_last(struct store *s, struct audit_entry *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, "SELECT " AUDIT_COLS " ORDER BY id DESC LIMIT 1", NULL,
	    0, 0, audit_row, out);
}

int
store_audit_get(struct store *s, int64_t id, struct audit_entry *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, "SELECT " AUDIT_COLS " WHERE id = ?", NULL, 0, id,
	    audit_row, out);
}

int
store_audit_each(struct store *s, int64_t since, store_audit_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	struct audit_entry e;
	int r;

	if ((r = st_prepare(s, "SELECT " AUDIT_COLS " WHERE time >= ? ORDER BY id",
	    &st)) != 0 || (r = st_bind_i64(st, 1, since)) != 0)
		goto out;
	while ((r = st_step(s, st)) == 1) {
		if ((r = audit_row(st, &e)) != 0)
			break;
		r = fn(arg, &e);
		audit_entry_clear(&e);
		if (r != 0)
			break;
	}
out:
	sqlite3_finalize(st);
	return r;
}

int
store_audit_append(struct store *s, struct audit_entry *e,
    store_audit_hash_fn hash)
{
	struct audit_entry last;
	int r, tx;

	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	r = store_audit_last(s, &last);
	if (r == SLUICE_ENOTFOUND) {
		e->id = 1;
		memset(e->prev_hash, '0', 64);
		e->prev_hash[64] = '\0';
		r = 0;
	} else if (r == 0) {
		e->id = last.id + 1;
		memcpy(e->prev_hash, last.hash, sizeof(e->prev_hash));
		audit_entry_clear(&last);
	}
	if (r == 0)
		r = hash(e, e->hash);
	if (r == 0)
		r = store_audit_insert(s, e);
	return st_tx_end(s, tx, r);
}
