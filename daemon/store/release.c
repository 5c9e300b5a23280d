/*
 * store_release.c: extracts, releases (four eyes), downloads, deletion
 * certificates.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- extracts ------------------------------------------------------------ */

#define EXTRACT_COLS "id, agreement_id, nic, name, plain_size, sha256, " \
	"payload_size, wrapped_key, staged_by, staged_at FROM extracts"

static int
extract_row(sqlite3_stmt *st, void *elem)
{
	struct extract *e = elem;
	const void *w;
	size_t n;

	memset(e, 0, sizeof(*e));
	st_col_text(st, 0, e->id, sizeof(e->id));
	e->agreement_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, e->nic, sizeof(e->nic));
	st_col_text(st, 3, e->name, sizeof(e->name));
	e->plain_size = (uint64_t)sqlite3_column_int64(st, 4);
	st_col_text(st, 5, e->sha256, sizeof(e->sha256));
	e->payload_size = (uint64_t)sqlite3_column_int64(st, 6);
	w = sqlite3_column_blob(st, 7);
	n = (size_t)sqlite3_column_bytes(st, 7);
	if (n > sizeof(e->wrapped_key))
		return SLUICE_ESTORE;
	if (w != NULL && n > 0)
		memcpy(e->wrapped_key, w, n);
	e->wrapped_len = n;
	e->staged_by = sqlite3_column_int64(st, 8);
	e->staged_at = sqlite3_column_int64(st, 9);
	return 0;
}

static int
extract_valid(const struct extract *in, char *why, size_t whylen)
{
	size_t i, n = strnlen(in->id, sizeof(in->id));
	int r;

	if (n == 0 || n >= sizeof(in->id))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad extract id");
	for (i = 0; i < n; i++)
		if (!((in->id[i] >= '0' && in->id[i] <= '9') ||
		    (in->id[i] >= 'a' && in->id[i] <= 'f')))
			return sluice_why(why, whylen, SLUICE_EINVAL,
			    "extract id is not lower-case hex");
	if ((r = st_name_check(in->name, "extract name", why, whylen)) != 0)
		return r;
	if (in->wrapped_len == 0 || in->wrapped_len > sizeof(in->wrapped_key))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad wrapped key");
	if (in->plain_size > INT64_MAX || in->payload_size > INT64_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "extract too large");
	return 0;
}

int
extract_add(struct store *s, const struct extract *in, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = extract_valid(in, why, whylen)) != 0)
		return r;
	/* nic comes from the agreement row, so it cannot disagree with it */
	if ((r = st_prepare(s, "INSERT INTO extracts (id, agreement_id, nic, name, "
	    "plain_size, sha256, payload_size, wrapped_key, staged_by, staged_at) "
	    "SELECT ?1, id, nic, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM agreements "
	    "WHERE id = ?2", &st)) != 0)
		return r;
	if ((r = st_bind_text(st, 1, in->id, STORE_EXTRACT_ID_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, in->agreement_id)) != 0 ||
	    (r = st_bind_text(st, 3, in->name, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_i64(st, 4, (int64_t)in->plain_size)) != 0 ||
	    (r = st_bind_text(st, 5, in->sha256, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_i64(st, 6, (int64_t)in->payload_size)) != 0 ||
	    (r = st_bind_blob(st, 7, in->wrapped_key, in->wrapped_len)) != 0 ||
	    (r = st_bind_i64(st, 8, in->staged_by)) != 0 ||
	    (r = st_bind_i64(st, 9, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "bad extract field");
		goto out;
	}
	r = st_write(s, st, NULL, why, whylen, "cannot add extract");
	if (r == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "an extract named %s or with id %s "
		    "exists already under that agreement", in->name, in->id);
	else if (r == 0 && sqlite3_changes(s->db) != 1)
		r = sluice_why(why, whylen, SLUICE_ENOTFOUND,
		    "no agreement with id %lld", (long long)in->agreement_id);
out:
	sqlite3_finalize(st);
	return r;
}

int
extract_get(struct store *s, const char *id, struct extract *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = st_get(s, "SELECT " EXTRACT_COLS " WHERE id = ?", id,
	    STORE_EXTRACT_ID_MAX, 0, extract_row, out);
	/* an id too long to be one is one the store does not have */
	return r == SLUICE_EINVAL ? SLUICE_ENOTFOUND : r;
}

int
extract_list(struct store *s, const char *nic, struct extract_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " EXTRACT_COLS " WHERE ?1 IS NULL OR "
	    "nic = ?1 ORDER BY nic, staged_at, id", &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, nic, STORE_NIC_MAX)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    extract_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		extract_list_free(out);
	return r;
}

void
extract_list_free(struct extract_list *l)
{
	if (l != NULL)
		st_list_free((void **)&l->v, &l->n);
}

/* ---- releases ------------------------------------------------------------ */

#define RELEASE_COLS "r.id, r.extract_id, e.agreement_id, e.nic, e.name, " \
	"r.staged_by, r.approved_by, r.approved_at, coalesce(r.revoked_at, 0), " \
	"coalesce(r.revoked_by, 0), coalesce(r.revoke_reason, ''), " \
	"r.window_opens, r.window_closes, r.max_downloads FROM releases r " \
	"JOIN extracts e ON e.id = r.extract_id"

static int
release_row(sqlite3_stmt *st, void *elem)
{
	struct release *r = elem;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, r->extract_id, sizeof(r->extract_id));
	r->agreement_id = sqlite3_column_int64(st, 2);
	st_col_text(st, 3, r->nic, sizeof(r->nic));
	st_col_text(st, 4, r->name, sizeof(r->name));
	r->staged_by = sqlite3_column_int64(st, 5);
	r->approved_by = sqlite3_column_int64(st, 6);
	r->approved_at = sqlite3_column_int64(st, 7);
	r->revoked_at = sqlite3_column_int64(st, 8);
	r->revoked_by = sqlite3_column_int64(st, 9);
	st_col_text(st, 10, r->revoke_reason, sizeof(r->revoke_reason));
	r->window_opens = sqlite3_column_int64(st, 11);
	r->window_closes = sqlite3_column_int64(st, 12);
	r->max_downloads = sqlite3_column_int64(st, 13);
	return 0;
}

static int
release_insert(struct store *s, const struct extract *e, int64_t approver,
    const struct release_limits *lim, int64_t *id, char *why, size_t whylen)
{
	static const struct release_limits none;
	sqlite3_stmt *st = NULL;
	int r;

	if (lim == NULL)
		lim = &none;
	if ((r = st_prepare(s, "INSERT INTO releases (extract_id, staged_by, "
	    "approved_by, approved_at, window_opens, window_closes, "
	    "max_downloads) VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_text(st, 1, e->id, STORE_EXTRACT_ID_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, e->staged_by)) != 0 ||
	    (r = st_bind_i64(st, 3, approver)) != 0 ||
	    (r = st_bind_i64(st, 4, sluice_now())) != 0 ||
	    (r = st_bind_i64(st, 5, lim->window_opens)) != 0 ||
	    (r = st_bind_i64(st, 6, lim->window_closes)) != 0 ||
	    (r = st_bind_i64(st, 7, lim->max_downloads)) != 0)
		goto out;
	if ((r = st_write(s, st, id, why, whylen, "cannot add release")) ==
	    SLUICE_EEXIST)
		sluice_why(why, whylen, r, "extract %s has an active release "
		    "already", e->id);
out:
	sqlite3_finalize(st);
	return r;
}

int
release_add(struct store *s, const char *extract_id, int64_t approver,
    const struct release_limits *limits, int64_t *id, char *why, size_t whylen)
{
	struct extract e;
	int r;

	if ((r = extract_get(s, extract_id, &e)) != 0)
		return r == SLUICE_ENOTFOUND ? sluice_why(why, whylen, r,
		    "no extract %s", extract_id) : r;
	/* four eyes; the schema's CHECK says the same if this is ever skipped */
	if (e.staged_by == approver)
		return sluice_why(why, whylen, SLUICE_EDENIED, "you staged this "
		    "extract; another approver must approve it");
	return release_insert(s, &e, approver, limits, id, why, whylen);
}

int
release_get(struct store *s, int64_t id, struct release *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, "SELECT " RELEASE_COLS " WHERE r.id = ?", NULL, 0, id,
	    release_row, out);
}

int
release_revoke(struct store *s, int64_t id, int64_t by, const char *reason,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	struct release rel;
	int r;

	if (reason == NULL || *reason == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "a revocation needs a "
		    "reason");
	if ((r = release_get(s, id, &rel)) != 0)
		return r == SLUICE_ENOTFOUND ? sluice_why(why, whylen, r,
		    "no release %lld", (long long)id) : r;
	if (rel.revoked_at != 0)
		return sluice_why(why, whylen, SLUICE_ESTATE, "release %lld is "
		    "revoked already", (long long)id);
	if ((r = st_prepare(s, "UPDATE releases SET revoked_at = ?, revoked_by = ?, "
	    "revoke_reason = ? WHERE id = ? AND revoked_at IS NULL", &st)) != 0)
		goto out;
	if ((r = st_bind_i64(st, 1, sluice_now())) != 0 ||
	    (r = st_bind_i64(st, 2, by)) != 0 ||
	    (r = st_bind_text(st, 3, reason, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 4, id)) != 0) {
		sluice_why(why, whylen, r, "reason too long");
		goto out;
	}
	r = st_write(s, st, NULL, why, whylen, "cannot revoke");
out:
	sqlite3_finalize(st);
	return r;
}

int
release_list(struct store *s, const char *nic, int active_only,
    struct release_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " RELEASE_COLS " WHERE (?1 IS NULL OR "
	    "e.nic = ?1) AND (?2 = 0 OR r.revoked_at IS NULL) ORDER BY r.id",
	    &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, nic, STORE_NIC_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, active_only ? 1 : 0)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    release_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		release_list_free(out);
	return r;
}

void
release_list_free(struct release_list *l)
{
	if (l != NULL)
		st_list_free((void **)&l->v, &l->n);
}

/* ---- downloads ----------------------------------------------------------- */

static int
u64_ok(uint64_t a, uint64_t b, uint64_t c)
{
	return a <= INT64_MAX && b <= INT64_MAX && c <= INT64_MAX;
}

int
download_add(struct store *s, const struct download *d, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int64_t now = sluice_now();
	int r;

	if (!u64_ok(d->bytes, d->first_offset, d->last_end))
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "INSERT INTO downloads (release_id, person_id, "
	    "bytes, first_offset, last_end, completed, gate, at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, d->release_id)) != 0 ||
	    (r = st_bind_i64(st, 2, d->person_id)) != 0 ||
	    (r = st_bind_i64(st, 3, (int64_t)d->bytes)) != 0 ||
	    (r = st_bind_i64(st, 4, (int64_t)d->first_offset)) != 0 ||
	    (r = st_bind_i64(st, 5, (int64_t)d->last_end)) != 0 ||
	    (r = st_bind_i64(st, 6, d->completed ? 1 : 0)) != 0 ||
	    (r = st_bind_text(st, 7, d->gate, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 8, now)) != 0 ||
	    (r = st_bind_i64(st, 9, now)) != 0)
		goto out;
	r = st_write(s, st, id, NULL, 0, NULL);
out:
	sqlite3_finalize(st);
	return r;
}

int
download_update(struct store *s, int64_t id, uint64_t bytes,
    uint64_t first_offset, uint64_t last_end, int completed)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!u64_ok(bytes, first_offset, last_end))
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "UPDATE downloads SET bytes = ?, first_offset = ?, "
	    "last_end = ?, completed = ?, updated_at = ? WHERE id = ?", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, (int64_t)bytes)) != 0 ||
	    (r = st_bind_i64(st, 2, (int64_t)first_offset)) != 0 ||
	    (r = st_bind_i64(st, 3, (int64_t)last_end)) != 0 ||
	    (r = st_bind_i64(st, 4, completed ? 1 : 0)) != 0 ||
	    (r = st_bind_i64(st, 5, sluice_now())) != 0 ||
	    (r = st_bind_i64(st, 6, id)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

int
download_count(struct store *s, int64_t release_id, int64_t person_id,
    int completed_only, int64_t *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "SELECT count(*) FROM downloads WHERE "
	    "release_id = ? AND person_id = ? AND gate = 'allow' AND "
	    "(? = 0 OR completed = 1)", &st)) == 0 &&
	    (r = st_bind_i64(st, 1, release_id)) == 0 &&
	    (r = st_bind_i64(st, 2, person_id)) == 0 &&
	    (r = st_bind_i64(st, 3, completed_only ? 1 : 0)) == 0 &&
	    (r = st_one_row(s, st, SLUICE_ESTORE)) == 0)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

/* ---- deletion certificates ----------------------------------------------- */

int
certificate_add(struct store *s, const struct deletion_certificate *c,
    int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (c->cms == NULL || c->cms_len == 0 || c->cms_len > STORE_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no certificate");
	if ((r = st_prepare(s, "INSERT INTO deletion_certificates (agreement_id, "
	    "uploaded_by, cms, verdict, reason, destroyed_on, signatory_id, at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_i64(st, 1, c->agreement_id)) != 0 ||
	    (r = st_bind_i64(st, 2, c->uploaded_by)) != 0 ||
	    (r = st_bind_blob(st, 3, c->cms, c->cms_len)) != 0 ||
	    (r = st_bind_text(st, 4, c->accepted ? "accepted" : "rejected",
	    STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, c->reason, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_date_or_null(st, 6, c->destroyed_on)) != 0 ||
	    (r = st_bind_i64_or_null(st, 7, c->signatory_id)) != 0 ||
	    (r = st_bind_i64(st, 8, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "bad certificate field");
		goto out;
	}
	r = st_write(s, st, id, why, whylen, "cannot record certificate");
out:
	sqlite3_finalize(st);
	return r;
}

static int
certificate_row(sqlite3_stmt *st, void *elem)
{
	struct deletion_certificate *c = elem;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->agreement_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, c->nic, sizeof(c->nic));
	c->uploaded_by = sqlite3_column_int64(st, 3);
	c->cms_len = (size_t)sqlite3_column_int64(st, 4);
	c->accepted = sqlite3_column_int(st, 5);
	st_col_text(st, 6, c->reason, sizeof(c->reason));
	c->destroyed_on = st_col_date(st, 7);
	c->signatory_id = sqlite3_column_int64(st, 8);
	c->at = sqlite3_column_int64(st, 9);
	return 0;
}

int
certificate_list(struct store *s, const char *nic, struct certificate_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT c.id, c.agreement_id, a.nic, "
	    "c.uploaded_by, length(c.cms), c.verdict = 'accepted', c.reason, "
	    "c.destroyed_on, coalesce(c.signatory_id, 0), c.at FROM "
	    "deletion_certificates c JOIN agreements a ON a.id = c.agreement_id "
	    "WHERE ?1 IS NULL OR a.nic = ?1 ORDER BY c.id", &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, nic, STORE_NIC_MAX)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    certificate_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		certificate_list_free(out);
	return r;
}

void
certificate_clear(struct deletion_certificate *c)
{
	if (c == NULL)
		return;
	free(c->cms);
	memset(c, 0, sizeof(*c));
}

void
certificate_list_free(struct certificate_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		certificate_clear(&l->v[i]);
	st_list_free((void **)&l->v, &l->n);
}

int
certificate_accepted(struct store *s, int64_t agreement_id, int *accepted)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "SELECT EXISTS (SELECT 1 FROM "
	    "deletion_certificates c JOIN agreements a ON a.id = c.agreement_id "
	    "WHERE c.verdict = 'accepted' AND a.nic = (SELECT nic FROM agreements "
	    "WHERE id = ?))", &st)) == 0 &&
	    (r = st_bind_i64(st, 1, agreement_id)) == 0 &&
	    (r = st_one_row(s, st, SLUICE_ESTORE)) == 0)
		*accepted = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return r;
}
