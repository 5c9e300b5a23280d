/*
 * release.c: extracts, releases (four eyes), downloads, deletion
 * certificates.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- extracts ------------------------------------------------------------ */

static int
extract_wrapped_key(sqlite3_stmt *st, int i, struct extract *e)
{
	const void *w = sqlite3_column_blob(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i);

	if (n > sizeof(e->wrapped_key))
		return SLUICE_ESTORE;
	if (w != NULL && n > 0)
		memcpy(e->wrapped_key, w, n);
	e->wrapped_len = n;
	return 0;
}

/* Reads EXTRACT_COLS (statements.c). */
static int
extract_row(sqlite3_stmt *st, void *elem)
{
	struct extract *e = elem;

	memset(e, 0, sizeof(*e));
	st_col_text(st, 0, e->id, sizeof(e->id));
	e->agreement_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, e->nic, sizeof(e->nic));
	st_col_text(st, 3, e->name, sizeof(e->name));
	e->plain_size = (uint64_t)sqlite3_column_int64(st, 4);
	st_col_text(st, 5, e->sha256, sizeof(e->sha256));
	e->payload_size = (uint64_t)sqlite3_column_int64(st, 6);
	e->staged_by = sqlite3_column_int64(st, 8);
	e->staged_at = sqlite3_column_int64(st, 9);
	st_col_text(st, 10, e->staged_by_user, sizeof(e->staged_by_user));
	return extract_wrapped_key(st, 7, e);
}

static const struct st_kind extract_kind = {
	sizeof(struct extract), extract_row, NULL
};

static int
lower_hex(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return 0;
	return 1;
}

static int
extract_valid(const struct extract *in, char *why, size_t whylen)
{
	size_t n = strnlen(in->id, sizeof(in->id));
	int r;

	if (n == 0 || n >= sizeof(in->id))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad extract id");
	if (!lower_hex(in->id, n))
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "extract id is not lower-case hex");
	if ((r = name_check(in->name, STORE_NAME_MAX - 1, why, whylen)) != 0)
		return r;
	if (in->wrapped_len == 0 || in->wrapped_len > sizeof(in->wrapped_key))
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad wrapped key");
	if (in->plain_size > INT64_MAX || in->payload_size > INT64_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "extract too large");
	return 0;
}

static int
extract_bind(sqlite3_stmt *st, const struct extract *in)
{
	int r;

	if ((r = st_bind_text(st, 1, in->id, STORE_EXTRACT_ID_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, in->agreement_id)) != 0 ||
	    (r = st_bind_text(st, 3, in->name, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_i64(st, 4, (int64_t)in->plain_size)) != 0 ||
	    (r = st_bind_text(st, 5, in->sha256, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_i64(st, 6, (int64_t)in->payload_size)) != 0 ||
	    (r = st_bind_blob(st, 7, in->wrapped_key, in->wrapped_len)) != 0 ||
	    (r = st_bind_i64(st, 8, in->staged_by)) != 0)
		return r;
	return st_bind_i64(st, 9, sluice_now());
}

int
extract_add(struct store *s, const struct extract *in, char *why,
    size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if ((r = extract_valid(in, why, whylen)) != 0)
		return r;
	if ((r = st_stmt(s, ST_EXTRACT_INSERT, &st)) == 0)
		r = extract_bind(st, in);
	r = st_insert(s, st, r, NULL, why, whylen, "bad extract field",
	    "cannot add extract");
	if (r == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "an extract named %s or with id %s "
		    "exists already under that agreement", in->name, in->id);
	else if (r == 0 && sqlite3_changes(s->db) != 1)
		r = sluice_why(why, whylen, SLUICE_ENOTFOUND,
		    "no agreement with id %lld", (long long)in->agreement_id);
	return r;
}

int
extract_get(struct store *s, const char *id, struct extract *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = st_get(s, ST_EXTRACT_GET, id, STORE_EXTRACT_ID_MAX, 0, extract_row,
	    out);
	/* an id too long to be one is one the store does not have */
	return r == SLUICE_EINVAL ? SLUICE_ENOTFOUND : r;
}

int
extract_set_wrapped(struct store *s, const char *id, const uint8_t *w,
    size_t len)
{
	sqlite3_stmt *st;
	int r;

	if (len == 0 || len > STORE_WRAPPED_MAX)
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_EXTRACT_REWRAP, &st)) == 0 &&
	    (r = st_bind_text(st, 1, id, STORE_EXTRACT_ID_MAX)) == 0)
		r = st_bind_blob(st, 2, w, len);
	return st_update_one(s, st, r);
}

int
extract_list(struct store *s, const char *nic, struct extract_list *out)
{
	return st_list_key(s, ST_EXTRACT_LIST, nic, STORE_NIC_MAX, &extract_kind,
	    (void **)&out->v, &out->n);
}

void
extract_list_free(struct extract_list *l)
{
	if (l != NULL)
		st_list_free(&extract_kind, (void **)&l->v, &l->n);
}

int
extract_released(struct store *s, const char *id, int *released)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int r;

	*released = 0;
	r = st_stmt_key(s, ST_EXTRACT_RELEASED, id, STORE_EXTRACT_ID_MAX, 0, &st);
	if ((r = st_scalar(s, st, r, &v)) == 0)
		*released = v != 0;
	/* an id too long to be one is one the store does not have */
	return r == SLUICE_EINVAL ? 0 : r;
}

/* An extract that exists and never had a release. */
static int
extract_discardable(struct store *s, const char *id, char *why,
    size_t whylen)
{
	struct extract e;
	int released = 0, r;

	if ((r = extract_get(s, id, &e)) == SLUICE_ENOTFOUND)
		return sluice_why(why, whylen, r, "no extract %s", id);
	if (r == 0 && (r = extract_released(s, id, &released)) == 0 && released)
		r = sluice_why(why, whylen, SLUICE_ESTATE, "extract %s has been "
		    "released: revoke the release instead", id);
	return r;
}

int
extract_discard(struct store *s, const char *id, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r, tx;

	if (id == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no extract id");
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = extract_discardable(s, id, why, whylen)) == 0) {
		r = st_stmt_key(s, ST_EXTRACT_DELETE, id, STORE_EXTRACT_ID_MAX, 0,
		    &st);
		r = st_update_one(s, st, r);
	}
	return st_tx_end(s, tx, r);
}

/* ---- releases ------------------------------------------------------------ */

/* Reads RELEASE_COLS (statements.c). */
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

static const struct st_kind release_kind = {
	sizeof(struct release), release_row, NULL
};

static int
release_bind(sqlite3_stmt *st, const struct extract *e, int64_t approver,
    const struct release_limits *lim)
{
	int r;

	if ((r = st_bind_text(st, 1, e->id, STORE_EXTRACT_ID_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, e->staged_by)) != 0 ||
	    (r = st_bind_i64(st, 3, approver)) != 0 ||
	    (r = st_bind_i64(st, 4, sluice_now())) != 0 ||
	    (r = st_bind_i64(st, 5, lim->window_opens)) != 0 ||
	    (r = st_bind_i64(st, 6, lim->window_closes)) != 0)
		return r;
	return st_bind_i64(st, 7, lim->max_downloads);
}

/* The extract to approve, if approver may approve it. */
static int
release_approvable(struct store *s, const char *extract_id, int64_t approver,
    struct extract *e, char *why, size_t whylen)
{
	int r;

	if ((r = extract_get(s, extract_id, e)) != 0)
		return r == SLUICE_ENOTFOUND ? sluice_why(why, whylen, r,
		    "no extract %s", extract_id) : r;
	/* four eyes; the schema's CHECK says the same if this is ever skipped */
	if (e->staged_by == approver)
		return sluice_why(why, whylen, SLUICE_EDENIED, "you staged this "
		    "extract; another approver must approve it");
	return 0;
}

int
release_add(struct store *s, const char *extract_id, int64_t approver,
    const struct release_limits *limits, int64_t *id, char *why, size_t whylen)
{
	static const struct release_limits none;
	sqlite3_stmt *st;
	struct extract e;
	int r;

	if ((r = release_approvable(s, extract_id, approver, &e, why,
	    whylen)) != 0)
		return r;
	if ((r = st_stmt(s, ST_RELEASE_INSERT, &st)) == 0)
		r = release_bind(st, &e, approver, limits ? limits : &none);
	if ((r = st_insert(s, st, r, id, why, whylen, NULL,
	    "cannot add release")) == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "extract %s has an active release "
		    "already", e.id);
	return r;
}

int
release_get(struct store *s, int64_t id, struct release *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, ST_RELEASE_GET, NULL, 0, id, release_row, out);
}

/* A release that exists and is not revoked yet. */
static int
release_revocable(struct store *s, int64_t id, char *why, size_t whylen)
{
	struct release rel;
	int r;

	if ((r = release_get(s, id, &rel)) != 0)
		return r == SLUICE_ENOTFOUND ? sluice_why(why, whylen, r,
		    "no release %lld", (long long)id) : r;
	if (rel.revoked_at != 0)
		return sluice_why(why, whylen, SLUICE_ESTATE, "release %lld is "
		    "revoked already", (long long)id);
	return 0;
}

int
release_revoke(struct store *s, int64_t id, int64_t by, const char *reason,
    char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if (reason == NULL || *reason == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "a revocation needs a "
		    "reason");
	if ((r = release_revocable(s, id, why, whylen)) != 0)
		return r;
	if ((r = st_stmt(s, ST_RELEASE_REVOKE, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, sluice_now())) == 0 &&
	    (r = st_bind_i64(st, 2, by)) == 0 &&
	    (r = st_bind_text(st, 3, reason, STORE_TEXT_MAX)) == 0)
		r = st_bind_i64(st, 4, id);
	return st_insert(s, st, r, NULL, why, whylen, "reason too long",
	    "cannot revoke");
}

int
release_list(struct store *s, const char *nic, int active_only,
    struct release_list *out)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_RELEASE_LIST, &st)) == 0 &&
	    (r = st_bind_text_null(st, 1, nic, STORE_NIC_MAX)) == 0)
		r = st_bind_i64(st, 2, active_only ? 1 : 0);
	return st_list(s, st, r, &release_kind, (void **)&out->v, &out->n);
}

void
release_list_free(struct release_list *l)
{
	if (l != NULL)
		st_list_free(&release_kind, (void **)&l->v, &l->n);
}

/* ---- downloads ----------------------------------------------------------- */

static int
u64_ok(uint64_t a, uint64_t b, uint64_t c)
{
	return a <= INT64_MAX && b <= INT64_MAX && c <= INT64_MAX;
}

/* Binds bytes, first_offset, last_end, completed from ?i on. */
static int
progress_bind(sqlite3_stmt *st, int i, uint64_t bytes, uint64_t first_offset,
    uint64_t last_end, int completed)
{
	int r;

	if ((r = st_bind_i64(st, i, (int64_t)bytes)) != 0 ||
	    (r = st_bind_i64(st, i + 1, (int64_t)first_offset)) != 0 ||
	    (r = st_bind_i64(st, i + 2, (int64_t)last_end)) != 0)
		return r;
	return st_bind_i64(st, i + 3, completed ? 1 : 0);
}

int
download_add(struct store *s, const struct download *d, int64_t *id)
{
	sqlite3_stmt *st;
	int64_t now = sluice_now();
	int r;

	if (!u64_ok(d->bytes, d->first_offset, d->last_end))
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_DOWNLOAD_INSERT, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, d->release_id)) == 0 &&
	    (r = st_bind_i64(st, 2, d->person_id)) == 0 &&
	    (r = progress_bind(st, 3, d->bytes, d->first_offset, d->last_end,
	    d->completed)) == 0 &&
	    (r = st_bind_text(st, 7, d->gate, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_i64(st, 8, now)) == 0)
		r = st_bind_i64(st, 9, now);
	return st_insert(s, st, r, id, NULL, 0, NULL, NULL);
}

int
download_update(struct store *s, int64_t id, uint64_t bytes,
    uint64_t first_offset, uint64_t last_end, int completed)
{
	sqlite3_stmt *st;
	int r;

	if (!u64_ok(bytes, first_offset, last_end))
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_DOWNLOAD_UPDATE, &st)) == 0 &&
	    (r = progress_bind(st, 1, bytes, first_offset, last_end,
	    completed)) == 0 &&
	    (r = st_bind_i64(st, 5, sluice_now())) == 0)
		r = st_bind_i64(st, 6, id);
	return st_update_one(s, st, r);
}

int
download_count(struct store *s, int64_t release_id, int64_t person_id,
    int completed_only, int64_t *n)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_DOWNLOAD_COUNT, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, release_id)) == 0 &&
	    (r = st_bind_i64(st, 2, person_id)) == 0)
		r = st_bind_i64(st, 3, completed_only ? 1 : 0);
	return st_scalar(s, st, r, n);
}

/* ---- deletion certificates ----------------------------------------------- */

static int
certificate_bind(sqlite3_stmt *st, const struct deletion_certificate *c)
{
	int r;

	if ((r = st_bind_i64(st, 1, c->agreement_id)) != 0 ||
	    (r = st_bind_i64(st, 2, c->uploaded_by)) != 0 ||
	    (r = st_bind_blob(st, 3, c->cms, c->cms_len)) != 0 ||
	    (r = st_bind_text(st, 4, c->accepted ? "accepted" : "rejected",
	    STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, c->reason, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_date_or_null(st, 6, c->destroyed_on)) != 0 ||
	    (r = st_bind_i64_or_null(st, 7, c->signatory_id)) != 0)
		return r;
	return st_bind_i64(st, 8, sluice_now());
}

int
certificate_add(struct store *s, const struct deletion_certificate *c,
    int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if (c->cms == NULL || c->cms_len == 0 || c->cms_len > STORE_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no certificate");
	if ((r = st_stmt(s, ST_CERTIFICATE_INSERT, &st)) == 0)
		r = certificate_bind(st, c);
	return st_insert(s, st, r, id, why, whylen, "bad certificate field",
	    "cannot record certificate");
}

/* Reads CERTIFICATE_COLS (statements.c): the CMS's length, not the CMS. */
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

/* A list's certificates hold no CMS: nothing of theirs is on the heap. */
static const struct st_kind certificate_kind = {
	sizeof(struct deletion_certificate), certificate_row, NULL
};

int
certificate_list(struct store *s, const char *nic, struct certificate_list *out)
{
	return st_list_key(s, ST_CERTIFICATE_LIST, nic, STORE_NIC_MAX,
	    &certificate_kind, (void **)&out->v, &out->n);
}

void
certificate_list_free(struct certificate_list *l)
{
	if (l != NULL)
		st_list_free(&certificate_kind, (void **)&l->v, &l->n);
}

int
certificate_accepted(struct store *s, int64_t agreement_id, int *accepted)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int r;

	if ((r = st_stmt(s, ST_CERTIFICATE_ACCEPTED, &st)) == 0)
		r = st_bind_i64(st, 1, agreement_id);
	if ((r = st_scalar(s, st, r, &v)) == 0)
		*accepted = v != 0;
	return r;
}
