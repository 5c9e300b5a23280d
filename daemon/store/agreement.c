/*
 * agreement.c: signatories (pinned certificates), agreements and their
 * versions, signatures, suspensions.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- signatories --------------------------------------------------------- */

/* Reads SIGNATORY_COLS (statements.c). */
static int
signatory_row(sqlite3_stmt *st, void *elem)
{
	struct signatory *g = elem;

	memset(g, 0, sizeof(*g));
	g->id = sqlite3_column_int64(st, 0);
	g->org_id = sqlite3_column_int64(st, 1);
	st_col_text(st, 2, g->owner, sizeof(g->owner));
	st_col_text(st, 3, g->fingerprint, sizeof(g->fingerprint));
	st_col_text(st, 4, g->subject, sizeof(g->subject));
	st_col_text(st, 5, g->issuer, sizeof(g->issuer));
	st_col_text(st, 6, g->serial, sizeof(g->serial));
	g->not_before = sqlite3_column_int64(st, 7);
	g->not_after = sqlite3_column_int64(st, 8);
	g->added_by = sqlite3_column_int64(st, 9);
	g->added_at = sqlite3_column_int64(st, 10);
	g->revoked_at = sqlite3_column_int64(st, 12);
	g->revoked_by = sqlite3_column_int64(st, 13);
	st_col_text(st, 14, g->revoke_reason, sizeof(g->revoke_reason));
	return st_col_blobdup(st, 11, &g->der, &g->der_len);
}

static void
signatory_clear_elem(void *elem)
{
	signatory_clear(elem);
}

static const struct st_kind signatory_kind = {
	sizeof(struct signatory), signatory_row, signatory_clear_elem
};

int
signatory_get(struct store *s, int64_t id, struct signatory *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, ST_SIGNATORY_BY_ID, NULL, 0, id, signatory_row, out);
}

static int
signatory_bind(sqlite3_stmt *st, const struct signatory *in, int64_t org_id,
    const char *fpr)
{
	int r;

	if ((r = st_bind_i64_or_null(st, 1, org_id)) != 0 ||
	    (r = st_bind_blob(st, 2, in->der, in->der_len)) != 0 ||
	    (r = st_bind_text(st, 3, fpr, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_text(st, 4, in->subject, STORE_DN_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, in->issuer, STORE_DN_MAX)) != 0 ||
	    (r = st_bind_text(st, 6, in->serial, STORE_SERIAL_MAX)) != 0 ||
	    (r = st_bind_i64(st, 7, in->not_before)) != 0 ||
	    (r = st_bind_i64(st, 8, in->not_after)) != 0 ||
	    (r = st_bind_i64(st, 9, in->added_by)) != 0)
		return r;
	return st_bind_i64(st, 10, sluice_now());
}

/* One certificate serves one party only: refuses a DER registered anywhere. */
static int
signatory_unique(struct store *s, const char *fpr, char *why, size_t whylen)
{
	struct signatory old;
	int r;

	memset(&old, 0, sizeof(old));
	r = st_get(s, ST_SIGNATORY_BY_FPR, fpr, STORE_HEX_MAX, 0, signatory_row,
	    &old);
	if (r != 0)
		return 0;
	r = sluice_why(why, whylen, SLUICE_EEXIST,
	    "certificate is already registered to %s", old.owner);
	signatory_clear(&old);
	return r;
}

int
signatory_add(struct store *s, const struct signatory *in, int64_t *id,
    char *why, size_t whylen)
{
	sqlite3_stmt *st;
	char fpr[STORE_HEX_MAX];
	int64_t org_id = 0;
	int r;

	if (in->der == NULL || in->der_len == 0 || in->der_len > STORE_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no certificate");
	if (strcmp(in->owner, SIGNATORY_CONTROLLER) != 0 &&
	    (r = st_org_id(s, in->owner, &org_id, why, whylen)) != 0)
		return r;
	st_sha256_hex(in->der, in->der_len, fpr);
	if ((r = signatory_unique(s, fpr, why, whylen)) != 0)
		return r;
	if ((r = st_stmt(s, ST_SIGNATORY_INSERT, &st)) == 0)
		r = signatory_bind(st, in, org_id, fpr);
	return st_insert(s, st, r, id, why, whylen, "certificate field too long "
	    "or empty", "cannot add signatory");
}

int
signatory_list(struct store *s, const char *owner, struct signatory_list *out)
{
	return st_list_key(s, ST_SIGNATORY_LIST, owner, STORE_NAME_MAX,
	    &signatory_kind, (void **)&out->v, &out->n);
}

void
signatory_clear(struct signatory *g)
{
	if (g == NULL)
		return;
	free(g->der);
	memset(g, 0, sizeof(*g));
}

void
signatory_list_free(struct signatory_list *l)
{
	if (l != NULL)
		st_list_free(&signatory_kind, (void **)&l->v, &l->n);
}

/* owner has a signatory with that serial that is not revoked yet. */
static int
signatory_revocable(struct store *s, const char *owner, const char *serial,
    char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	int r;

	if ((r = st_stmt_key(s, ST_SIGNATORY_REVOKED, owner, STORE_NAME_MAX, 0,
	    &st)) == 0)
		r = st_bind_text(st, 2, serial, STORE_SERIAL_MAX);
	/* an owner or serial too long to be stored is not stored */
	if ((r = st_scalar(s, st, r, &v)) != 0 && r != SLUICE_EINVAL)
		return r;
	if (v < 0)
		return sluice_why(why, whylen, SLUICE_ENOTFOUND,
		    "no signatory %s for %s", serial, owner);
	if (v > 0)
		return sluice_why(why, whylen, SLUICE_ESTATE,
		    "signatory %s of %s is already revoked", serial, owner);
	return 0;
}

static int
signatory_revoke_rows(struct store *s, const char *owner, const char *serial,
    int64_t at, int64_t by, const char *reason, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt_key(s, ST_SIGNATORY_REVOKE, owner, STORE_NAME_MAX, 0,
	    &st)) == 0 &&
	    (r = st_bind_text(st, 2, serial, STORE_SERIAL_MAX)) == 0 &&
	    (r = st_bind_i64(st, 3, at)) == 0 &&
	    (r = st_bind_i64(st, 4, by)) == 0)
		r = st_bind_text(st, 5, reason, STORE_TEXT_MAX);
	return st_insert(s, st, r, NULL, why, whylen, "reason too long",
	    "cannot revoke signatory");
}

int
signatory_revoke(struct store *s, const char *owner, const char *serial,
    int64_t at, int64_t by, const char *reason, char *why, size_t whylen)
{
	int r, tx;

	if (owner == NULL || serial == NULL || at <= 0 || by <= 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "bad revocation");
	if (reason == NULL || *reason == '\0')
		return sluice_why(why, whylen, SLUICE_EINVAL, "a revocation needs a "
		    "reason");
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = signatory_revocable(s, owner, serial, why, whylen)) == 0)
		r = signatory_revoke_rows(s, owner, serial, at, by, reason, why,
		    whylen);
	return st_tx_end(s, tx, r);
}

/* ---- agreements ---------------------------------------------------------- */

/* The columns of AGREEMENT_COLS (statements.c) that are heap text. */
static int
agreement_texts(sqlite3_stmt *st, struct agreement *a)
{
	int r;

	if ((r = st_col_strdup(st, 5, &a->title)) != 0 ||
	    (r = st_col_strdup(st, 6, &a->purpose)) != 0 ||
	    (r = st_col_strdup(st, 7, &a->legal_basis)) != 0)
		return r;
	return st_col_strdup(st, 8, &a->datasets);
}

/* Columns 9 to 16 of AGREEMENT_COLS: dates, state, the document's length
 * and hash, who made the version and when. */
static int
agreement_terms(sqlite3_stmt *st, struct agreement *a)
{
	a->starts = st_col_date(st, 9);
	a->expires = st_col_date(st, 10);
	a->document_len = (size_t)sqlite3_column_int64(st, 12);
	st_col_text(st, 13, a->document_sha256, sizeof(a->document_sha256));
	a->created_by = sqlite3_column_int64(st, 14);
	a->created_at = sqlite3_column_int64(st, 15);
	a->state_changed_at = sqlite3_column_int64(st, 16);
	/* a stored name this program does not know: not a store it wrote */
	if (agreement_state_parse((const char *)sqlite3_column_text(st, 11),
	    &a->state) != 0)
		return SLUICE_ESTORE;
	return 0;
}

/* Reads AGREEMENT_COLS (statements.c); the document too if with_document. */
static int
agreement_row(sqlite3_stmt *st, struct agreement *a, int with_document)
{
	int r;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	st_col_text(st, 1, a->nic, sizeof(a->nic));
	a->version = sqlite3_column_int(st, 2);
	a->org_id = sqlite3_column_int64(st, 3);
	st_col_text(st, 4, a->org, sizeof(a->org));
	if ((r = agreement_texts(st, a)) == 0 &&
	    (r = agreement_terms(st, a)) == 0 && with_document)
		r = st_col_blobdup(st, 17, &a->document, &a->document_len);
	if (r != 0)
		agreement_clear(a);
	return r;
}

static int
agreement_row_full(sqlite3_stmt *st, void *elem)
{
	return agreement_row(st, elem, 1);
}

/* A list's rows leave the document out (length and hash only). */
static int
agreement_row_brief(sqlite3_stmt *st, void *elem)
{
	return agreement_row(st, elem, 0);
}

static void
agreement_clear_elem(void *elem)
{
	agreement_clear(elem);
}

static const struct st_kind agreement_kind = {
	sizeof(struct agreement), agreement_row_brief, agreement_clear_elem
};

void
agreement_clear(struct agreement *a)
{
	if (a == NULL)
		return;
	free(a->title);
	free(a->purpose);
	free(a->legal_basis);
	free(a->datasets);
	free(a->document);
	memset(a, 0, sizeof(*a));
}

void
agreement_list_free(struct agreement_list *l)
{
	if (l != NULL)
		st_list_free(&agreement_kind, (void **)&l->v, &l->n);
}

int
agreement_get(struct store *s, const char *nic, int version,
    struct agreement *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if (version < 0)
		return SLUICE_EINVAL;
	if ((r = st_stmt_key(s, version == 0 ? ST_AGREEMENT_LATEST :
	    ST_AGREEMENT_VERSION, nic, STORE_NIC_MAX, 0, &st)) == 0 &&
	    version != 0)
		r = st_bind_i64(st, 2, version);
	return st_one(s, st, r, agreement_row_full, out);
}

int
agreement_governing(struct store *s, const char *nic, struct agreement *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, ST_AGREEMENT_GOVERNING, nic, STORE_NIC_MAX, 0,
	    agreement_row_full, out);
}

static int
agreement_bind_text(sqlite3_stmt *st, const struct agreement *a)
{
	int r;

	if ((r = st_bind_text(st, 1, a->nic, STORE_NIC_MAX)) != 0 ||
	    (r = st_bind_text(st, 4, a->title, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, a->purpose, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 6, a->legal_basis, STORE_BLOB_MAX)) != 0)
		return r;
	return st_bind_text(st, 7, a->datasets, STORE_BLOB_MAX);
}

static int
agreement_bind(sqlite3_stmt *st, const struct agreement *a, int64_t org_id,
    int version, const char *sha)
{
	int64_t now = sluice_now();
	int r;

	if ((r = agreement_bind_text(st, a)) != 0 ||
	    (r = st_bind_i64(st, 2, version)) != 0 ||
	    (r = st_bind_i64(st, 3, org_id)) != 0 ||
	    (r = st_bind_date(st, 8, a->starts)) != 0 ||
	    (r = st_bind_date(st, 9, a->expires)) != 0 ||
	    (r = st_bind_blob(st, 10, a->document, a->document_len)) != 0 ||
	    (r = st_bind_text(st, 11, sha, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_i64(st, 12, a->created_by)) != 0 ||
	    (r = st_bind_i64(st, 13, now)) != 0)
		return r;
	return st_bind_i64(st, 14, now);
}

static int
agreement_insert(struct store *s, const struct agreement *a, int64_t org_id,
    int version, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	char sha[STORE_HEX_MAX];
	int r;

	if (a->document == NULL || a->document_len == 0 ||
	    a->document_len > STORE_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no document");
	st_sha256_hex(a->document, a->document_len, sha);
	if ((r = st_stmt(s, ST_AGREEMENT_INSERT, &st)) == 0)
		r = agreement_bind(st, a, org_id, version, sha);
	if ((r = st_insert(s, st, r, id, why, whylen, "agreement field missing "
	    "or bad date", "cannot add agreement")) == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "%s version %d exists already",
		    a->nic, version);
	return r;
}

/* A NIC no agreement has yet. */
static int
agreement_new(struct store *s, const char *nic, char *why, size_t whylen)
{
	struct agreement old;

	if (agreement_get(s, nic, 0, &old) != 0)
		return 0;
	agreement_clear(&old);
	return sluice_why(why, whylen, SLUICE_EEXIST, "%s exists already "
	    "(agreement extend makes a new version)", nic);
}

int
agreement_add(struct store *s, const struct agreement *a, int64_t *id,
    char *why, size_t whylen)
{
	int64_t org_id = 0;
	int r, tx;

	if (nic_check(a->nic, why, whylen) != 0)
		return SLUICE_EINVAL;
	if (a->starts > a->expires)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "an agreement cannot expire before it starts");
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = st_org_id(s, a->org, &org_id, why, whylen)) == 0 &&
	    (r = agreement_new(s, a->nic, why, whylen)) == 0)
		r = agreement_insert(s, a, org_id, 1, id, why, whylen);
	return st_tx_end(s, tx, r);
}

/* Version N may have a successor: it is not itself pending, and the new
 * expiry does not come before its start. */
static int
agreement_extendable(const struct agreement *a, int32_t expires, char *why,
    size_t whylen)
{
	if (a->state == AG_DRAFT || a->state == AG_AWAITING_SIGNATURES)
		return sluice_why(why, whylen, SLUICE_ESTATE, "%s version %d is "
		    "still %s", a->nic, a->version, agreement_state_name(a->state));
	if (expires < a->starts)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "an agreement cannot expire before it starts");
	return 0;
}

/* Inserts version N+1 of a: a's fields with the new expiry and document. */
static int
agreement_successor(struct store *s, struct agreement *a, int32_t expires,
    const uint8_t *document, size_t document_len, int64_t by, int64_t *id,
    char *why, size_t whylen)
{
	int r;

	free(a->document);
	a->document = (uint8_t *)(uintptr_t)document;	/* borrowed, see below */
	a->document_len = document_len;
	a->expires = expires;
	a->created_by = by;
	r = agreement_insert(s, a, a->org_id, a->version + 1, id, why, whylen);
	a->document = NULL;	/* the caller's; agreement_clear() must not free it */
	return r;
}

int
agreement_add_version(struct store *s, const char *nic, int32_t expires,
    const uint8_t *document, size_t document_len, int64_t by, int64_t *id,
    int *version, char *why, size_t whylen)
{
	struct agreement a;
	int r, tx;

	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = agreement_get(s, nic, 0, &a)) == SLUICE_ENOTFOUND)
		sluice_why(why, whylen, r, "no agreement %s", nic);
	if (r == 0 && (r = agreement_extendable(&a, expires, why, whylen)) == 0 &&
	    (r = agreement_successor(s, &a, expires, document, document_len, by,
	    id, why, whylen)) == 0 && version != NULL)
		*version = a.version + 1;
	agreement_clear(&a);
	return st_tx_end(s, tx, r);
}

int
agreement_list(struct store *s, int state, const char *org, unsigned flags,
    struct agreement_list *out)
{
	sqlite3_stmt *st;
	const char *sname = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (state != AGREEMENT_ANY_STATE && (unsigned)state >= AG_STATE_MAX)
		return SLUICE_EINVAL;
	if (state != AGREEMENT_ANY_STATE)
		sname = agreement_state_name((enum agreement_state)state);
	if ((r = st_stmt(s, ST_AGREEMENT_LIST, &st)) == 0 &&
	    (r = st_bind_text_null(st, 1, sname, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_text_null(st, 2, org, STORE_NAME_MAX)) == 0)
		r = st_bind_i64(st, 3, (flags & AGREEMENT_LIST_GOVERNING) != 0);
	return st_list(s, st, r, &agreement_kind, (void **)&out->v, &out->n);
}

int
agreement_set_state(struct store *s, int64_t id, enum agreement_state state)
{
	sqlite3_stmt *st;
	int r;

	if ((unsigned)state >= AG_STATE_MAX)
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_AGREEMENT_SET_STATE, &st)) == 0 &&
	    (r = st_bind_text(st, 1, agreement_state_name(state),
	    STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_i64(st, 2, sluice_now())) == 0)
		r = st_bind_i64(st, 3, id);
	return st_update_one(s, st, r);
}

int
agreement_end(struct store *s, int64_t agreement_id, int32_t expires)
{
	sqlite3_stmt *st;
	int r;

	/* expires before starts: the schema's CHECK, SLUICE_EINVAL */
	if ((r = st_stmt(s, ST_AGREEMENT_END, &st)) == 0 &&
	    (r = st_bind_text(st, 1, agreement_state_name(AG_EXPIRED),
	    STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_date(st, 2, expires)) == 0 &&
	    (r = st_bind_i64(st, 3, sluice_now())) == 0)
		r = st_bind_i64(st, 4, agreement_id);
	return st_update_one(s, st, r);
}

/* ---- signatures ---------------------------------------------------------- */

static int
signature_bind(sqlite3_stmt *st, const struct agreement_sig *in)
{
	int64_t now = sluice_now();
	int r;

	if ((r = st_bind_i64(st, 1, in->agreement_id)) != 0 ||
	    (r = st_bind_text(st, 2, party_name(in->party), STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_blob(st, 3, in->cms, in->cms_len)) != 0 ||
	    (r = st_bind_i64(st, 4, in->signatory_id)) != 0 ||
	    (r = st_bind_i64(st, 5, in->signing_time)) != 0 ||
	    (r = st_bind_i64(st, 6, in->uploaded_by)) != 0 ||
	    (r = st_bind_i64(st, 7, now)) != 0)
		return r;
	return st_bind_i64(st, 8, in->verified_at ? in->verified_at : now);
}

static int
party_ok(enum party p)
{
	return p == PARTY_APPLICANT || p == PARTY_CONTROLLER;
}

int
signature_add(struct store *s, const struct agreement_sig *in, int64_t *id,
    char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int r;

	if (!party_ok(in->party) || in->cms == NULL || in->cms_len == 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no signature");
	if ((r = st_stmt(s, ST_SIGNATURE_INSERT, &st)) == 0)
		r = signature_bind(st, in);
	if ((r = st_insert(s, st, r, id, why, whylen, "signature too large",
	    "cannot add signature")) == SLUICE_EEXIST)
		sluice_why(why, whylen, r, "the %s has signed this version already",
		    party_name(in->party));
	return r;
}

/* Reads ST_SIGNATURE_GET's columns. */
static int
signature_row(sqlite3_stmt *st, void *elem)
{
	struct agreement_sig *g = elem;

	g->id = sqlite3_column_int64(st, 0);
	g->signatory_id = sqlite3_column_int64(st, 2);
	g->signing_time = sqlite3_column_int64(st, 3);
	g->uploaded_by = sqlite3_column_int64(st, 4);
	g->uploaded_at = sqlite3_column_int64(st, 5);
	g->verified_at = sqlite3_column_int64(st, 6);
	return st_col_blobdup(st, 1, &g->cms, &g->cms_len);
}

int
signature_get(struct store *s, int64_t agreement_id, enum party party,
    struct agreement_sig *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if (!party_ok(party))
		return SLUICE_EINVAL;
	if ((r = st_stmt(s, ST_SIGNATURE_GET, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, agreement_id)) == 0)
		r = st_bind_text(st, 2, party_name(party), STORE_TEXT_MAX);
	if ((r = st_one(s, st, r, signature_row, out)) == 0) {
		out->agreement_id = agreement_id;
		out->party = party;
	}
	return r;
}

void
agreement_sig_clear(struct agreement_sig *g)
{
	if (g == NULL)
		return;
	free(g->cms);
	memset(g, 0, sizeof(*g));
}

/* ---- suspensions --------------------------------------------------------- */

int
suspension_add(struct store *s, int64_t agreement_id, const char *reason,
    int64_t by, int64_t *id)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_SUSPENSION_INSERT, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, agreement_id)) == 0 &&
	    (r = st_bind_text(st, 2, reason, STORE_TEXT_MAX)) == 0 &&
	    (r = st_bind_i64_or_null(st, 3, by)) == 0)
		r = st_bind_i64(st, 4, sluice_now());
	return st_insert(s, st, r, id, NULL, 0, NULL, NULL);
}

int
suspension_lift(struct store *s, int64_t agreement_id, int64_t by)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_SUSPENSION_LIFT, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, sluice_now())) == 0 &&
	    (r = st_bind_i64_or_null(st, 2, by)) == 0)
		r = st_bind_i64(st, 3, agreement_id);
	return st_update_one(s, st, r);
}
