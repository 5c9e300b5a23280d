/*
 * store_agreement.c: signatories (pinned certificates), agreements and their
 * versions, signatures, suspensions.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "store/store_int.h"

/* ---- signatories --------------------------------------------------------- */

#define SIGNATORY_COLS "g.id, g.org_id, coalesce(o.code, 'controller'), " \
	"g.fingerprint, g.subject, g.issuer, g.serial, g.not_before, " \
	"g.not_after, g.added_by, g.added_at, g.der FROM signatories g " \
	"LEFT JOIN orgs o ON o.id = g.org_id"

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
	return st_col_blobdup(st, 11, &g->der, &g->der_len);
}

int
signatory_get(struct store *s, int64_t id, struct signatory *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, "SELECT " SIGNATORY_COLS " WHERE g.id = ?", NULL, 0, id,
	    signatory_row, out);
}

int
signatory_by_fingerprint(struct store *s, const char *hex,
    struct signatory *out)
{
	memset(out, 0, sizeof(*out));
	return st_get(s, "SELECT " SIGNATORY_COLS " WHERE g.fingerprint = ?",
	    hex, STORE_HEX_MAX, 0, signatory_row, out);
}

static int
signatory_insert(struct store *s, const struct signatory *in, int64_t org_id,
    const char *fpr, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "INSERT INTO signatories (org_id, der, "
	    "fingerprint, subject, issuer, serial, not_before, not_after, "
	    "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_i64_or_null(st, 1, org_id)) != 0 ||
	    (r = st_bind_blob(st, 2, in->der, in->der_len)) != 0 ||
	    (r = st_bind_text(st, 3, fpr, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_text(st, 4, in->subject, STORE_DN_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, in->issuer, STORE_DN_MAX)) != 0 ||
	    (r = st_bind_text(st, 6, in->serial, STORE_SERIAL_MAX)) != 0 ||
	    (r = st_bind_i64(st, 7, in->not_before)) != 0 ||
	    (r = st_bind_i64(st, 8, in->not_after)) != 0 ||
	    (r = st_bind_i64(st, 9, in->added_by)) != 0 ||
	    (r = st_bind_i64(st, 10, sluice_now())) != 0) {
		sluice_why(why, whylen, r, "certificate field too long or empty");
		goto out;
	}
	r = st_write(s, st, id, why, whylen, "cannot add signatory");
out:
	sqlite3_finalize(st);
	return r;
}

int
signatory_add(struct store *s, const struct signatory *in, int64_t *id,
    char *why, size_t whylen)
{
	struct signatory old;
	char fpr[STORE_HEX_MAX];
	int64_t org_id = 0;
	int r;

	if (in->der == NULL || in->der_len == 0 || in->der_len > STORE_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no certificate");
	if (strcmp(in->owner, SIGNATORY_CONTROLLER) != 0 &&
	    (r = st_org_id(s, in->owner, &org_id, why, whylen)) != 0)
		return r;
	st_sha256_hex(in->der, in->der_len, fpr);
	if (signatory_by_fingerprint(s, fpr, &old) == 0) {
		r = sluice_why(why, whylen, SLUICE_EEXIST,
		    "certificate is already registered to %s", old.owner);
		signatory_clear(&old);
		return r;
	}
	return signatory_insert(s, in, org_id, fpr, id, why, whylen);
}

int
signatory_list(struct store *s, const char *owner, struct signatory_list *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT " SIGNATORY_COLS " WHERE ?1 IS NULL OR "
	    "coalesce(o.code, 'controller') = ?1 ORDER BY "
	    "coalesce(o.code, 'controller'), g.id", &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, owner, STORE_NAME_MAX)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    signatory_row);
out:
	sqlite3_finalize(st);
	if (r != 0)
		signatory_list_free(out);
	return r;
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
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		signatory_clear(&l->v[i]);
	st_list_free((void **)&l->v, &l->n);
}

/* ---- agreements ---------------------------------------------------------- */

#define AGREEMENT_COLS "a.id, a.nic, a.version, a.org_id, o.code, a.title, " \
	"a.purpose, a.legal_basis, a.datasets, a.starts, a.expires, a.state, " \
	"length(a.document), a.document_sha256, a.created_by, a.created_at, " \
	"a.state_changed_at, a.document FROM agreements a " \
	"JOIN orgs o ON o.id = a.org_id"

/* The governing version of a NIC (?n), as a scalar subquery. */
#define GOVERNING_VERSION(n) "coalesce((SELECT max(version) FROM agreements " \
	"WHERE nic = " n " AND state IN ('signed', 'live', 'suspended', " \
	"'expired', 'closed')), (SELECT max(version) FROM agreements " \
	"WHERE nic = " n "))"

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
	if ((r = st_col_strdup(st, 5, &a->title)) != 0 ||
	    (r = st_col_strdup(st, 6, &a->purpose)) != 0 ||
	    (r = st_col_strdup(st, 7, &a->legal_basis)) != 0 ||
	    (r = st_col_strdup(st, 8, &a->datasets)) != 0)
		goto out;
	a->starts = st_col_date(st, 9);
	a->expires = st_col_date(st, 10);
	if ((r = st_state_parse((const char *)sqlite3_column_text(st, 11),
	    &a->state)) != 0)
		goto out;
	a->document_len = (size_t)sqlite3_column_int64(st, 12);
	st_col_text(st, 13, a->document_sha256, sizeof(a->document_sha256));
	a->created_by = sqlite3_column_int64(st, 14);
	a->created_at = sqlite3_column_int64(st, 15);
	a->state_changed_at = sqlite3_column_int64(st, 16);
	if (with_document)
		r = st_col_blobdup(st, 17, &a->document, &a->document_len);
out:
	if (r != 0)
		agreement_clear(a);
	return r;
}

/* A list's rows leave the document out (length and hash only). */
static int
agreement_row_brief(sqlite3_stmt *st, void *elem)
{
	return agreement_row(st, elem, 0);
}

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
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		agreement_clear(&l->v[i]);
	st_list_free((void **)&l->v, &l->n);
}

/* Binds ?1 = nic (and ?2 = version or id when given) and reads one row. */
static int
agreement_one(struct store *s, const char *sql, const char *nic, int64_t n,
    struct agreement *out)
{
	sqlite3_stmt *st = NULL;
	int r, idx = 1;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, sql, &st)) != 0)
		goto out;
	if (nic != NULL && (r = st_bind_text(st, idx++, nic, STORE_NIC_MAX)) != 0)
		goto out;
	if (sqlite3_bind_parameter_count(st) >= idx &&
	    (r = st_bind_i64(st, idx, n)) != 0)
		goto out;
	if ((r = st_one_row(s, st, SLUICE_ENOTFOUND)) == 0)
		r = agreement_row(st, out, 1);
out:
	sqlite3_finalize(st);
	return r;
}

int
agreement_get(struct store *s, const char *nic, int version,
    struct agreement *out)
{
	if (version < 0)
		return SLUICE_EINVAL;
	if (version == 0)
		return agreement_one(s, "SELECT " AGREEMENT_COLS " WHERE a.nic = ?1 "
		    "ORDER BY a.version DESC LIMIT 1", nic, 0, out);
	return agreement_one(s, "SELECT " AGREEMENT_COLS " WHERE a.nic = ?1 AND "
	    "a.version = ?2", nic, version, out);
}

int
agreement_get_by_id(struct store *s, int64_t id, struct agreement *out)
{
	return agreement_one(s, "SELECT " AGREEMENT_COLS " WHERE a.id = ?1",
	    NULL, id, out);
}

int
agreement_governing(struct store *s, const char *nic, struct agreement *out)
{
	return agreement_one(s, "SELECT " AGREEMENT_COLS " WHERE a.nic = ?1 AND "
	    "a.version = " GOVERNING_VERSION("?1"), nic, 0, out);
}

static int
agreement_insert(struct store *s, const struct agreement *a, int64_t org_id,
    int version, int64_t *id, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	char sha[STORE_HEX_MAX];
	int64_t now = sluice_now();
	int r;

	if (a->document == NULL || a->document_len == 0 ||
	    a->document_len > STORE_BLOB_MAX)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no document");
	st_sha256_hex(a->document, a->document_len, sha);
	if ((r = st_prepare(s, "INSERT INTO agreements (nic, version, org_id, "
	    "title, purpose, legal_basis, datasets, starts, expires, state, "
	    "document, document_sha256, created_by, created_at, "
	    "state_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "'awaiting-signatures', ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_text(st, 1, a->nic, STORE_NIC_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, version)) != 0 ||
	    (r = st_bind_i64(st, 3, org_id)) != 0 ||
	    (r = st_bind_text(st, 4, a->title, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 5, a->purpose, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 6, a->legal_basis, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_text(st, 7, a->datasets, STORE_BLOB_MAX)) != 0 ||
	    (r = st_bind_date(st, 8, a->starts)) != 0 ||
	    (r = st_bind_date(st, 9, a->expires)) != 0 ||
	    (r = st_bind_blob(st, 10, a->document, a->document_len)) != 0 ||
	    (r = st_bind_text(st, 11, sha, STORE_HEX_MAX)) != 0 ||
	    (r = st_bind_i64(st, 12, a->created_by)) != 0 ||
	    (r = st_bind_i64(st, 13, now)) != 0 ||
	    (r = st_bind_i64(st, 14, now)) != 0) {
		sluice_why(why, whylen, r, "agreement field missing or bad date");
		goto out;
	}
	if ((r = st_write(s, st, id, why, whylen, "cannot add agreement")) ==
	    SLUICE_EEXIST)
		sluice_why(why, whylen, r, "%s version %d exists already",
		    a->nic, version);
out:
	sqlite3_finalize(st);
	return r;
}

int
agreement_add(struct store *s, const struct agreement *a, int64_t *id,
    char *why, size_t whylen)
{
	struct agreement old;
	int64_t org_id = 0;
	int r, tx;

	if ((r = st_nic_check(a->nic, why, whylen)) != 0)
		return r;
	if (a->starts > a->expires)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "an agreement cannot expire before it starts");
	if ((r = st_tx_begin(s, &tx)) != 0)
		return r;
	if ((r = st_org_id(s, a->org, &org_id, why, whylen)) != 0)
		goto out;
	if (agreement_get(s, a->nic, 0, &old) == 0) {
		agreement_clear(&old);
		r = sluice_why(why, whylen, SLUICE_EEXIST, "%s exists already "
		    "(agreement extend makes a new version)", a->nic);
		goto out;
	}
	r = agreement_insert(s, a, org_id, 1, id, why, whylen);
out:
	return st_tx_end(s, tx, r);
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
	if ((r = agreement_get(s, nic, 0, &a)) != 0) {
		if (r == SLUICE_ENOTFOUND)
			sluice_why(why, whylen, r, "no agreement %s", nic);
		return st_tx_end(s, tx, r);
	}
	if (a.state == AG_DRAFT || a.state == AG_AWAITING_SIGNATURES) {
		r = sluice_why(why, whylen, SLUICE_ESTATE, "%s version %d is still "
		    "%s", nic, a.version, st_state_name(a.state));
		goto out;
	}
	if (expires < a.starts) {
		r = sluice_why(why, whylen, SLUICE_EINVAL,
		    "an agreement cannot expire before it starts");
		goto out;
	}
	free(a.document);
	a.document = (uint8_t *)(uintptr_t)document;	/* borrowed, see below */
	a.document_len = document_len;
	a.expires = expires;
	a.created_by = by;
	r = agreement_insert(s, &a, a.org_id, a.version + 1, id, why, whylen);
	if (r == 0 && version != NULL)
		*version = a.version + 1;
	a.document = NULL;	/* the caller's; agreement_clear() must not free it */
out:
	agreement_clear(&a);
	return st_tx_end(s, tx, r);
}

int
agreement_list(struct store *s, int state, const char *org, unsigned flags,
    struct agreement_list *out)
{
	sqlite3_stmt *st = NULL;
	const char *sname = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (state != AGREEMENT_ANY_STATE &&
	    (sname = st_state_name((enum agreement_state)state)) == NULL)
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "SELECT " AGREEMENT_COLS " WHERE "
	    "(?1 IS NULL OR a.state = ?1) AND (?2 IS NULL OR o.code = ?2) AND "
	    "(?3 = 0 OR a.version = " GOVERNING_VERSION("a.nic") ") "
	    "ORDER BY a.nic, a.version", &st)) != 0 ||
	    (r = st_bind_text_null(st, 1, sname, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_text_null(st, 2, org, STORE_NAME_MAX)) != 0 ||
	    (r = st_bind_i64(st, 3, (flags & AGREEMENT_LIST_GOVERNING) != 0)) != 0)
		goto out;
	r = st_read_all(s, st, (void **)&out->v, &out->n, sizeof(*out->v),
	    agreement_row_brief);
out:
	sqlite3_finalize(st);
	if (r != 0)
		agreement_list_free(out);
	return r;
}

int
agreement_set_state(struct store *s, int64_t id, enum agreement_state state)
{
	sqlite3_stmt *st = NULL;
	const char *name = st_state_name(state);
	int r;

	if (name == NULL)
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "UPDATE agreements SET state = ?, "
	    "state_changed_at = ? WHERE id = ?", &st)) != 0 ||
	    (r = st_bind_text(st, 1, name, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64(st, 2, sluice_now())) != 0 ||
	    (r = st_bind_i64(st, 3, id)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

/* ---- signatures ---------------------------------------------------------- */

int
signature_add(struct store *s, const struct agreement_sig *in, int64_t *id,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	const char *party = st_party_name(in->party);
	int64_t now = sluice_now();
	int r;

	if (party == NULL || in->cms == NULL || in->cms_len == 0)
		return sluice_why(why, whylen, SLUICE_EINVAL, "no signature");
	if ((r = st_prepare(s, "INSERT INTO signatures (agreement_id, party, cms, "
	    "signatory_id, signing_time, uploaded_by, uploaded_at, verified_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	if ((r = st_bind_i64(st, 1, in->agreement_id)) != 0 ||
	    (r = st_bind_text(st, 2, party, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_blob(st, 3, in->cms, in->cms_len)) != 0 ||
	    (r = st_bind_i64(st, 4, in->signatory_id)) != 0 ||
	    (r = st_bind_i64(st, 5, in->signing_time)) != 0 ||
	    (r = st_bind_i64(st, 6, in->uploaded_by)) != 0 ||
	    (r = st_bind_i64(st, 7, now)) != 0 ||
	    (r = st_bind_i64(st, 8, in->verified_at ? in->verified_at : now)) != 0) {
		sluice_why(why, whylen, r, "signature too large");
		goto out;
	}
	if ((r = st_write(s, st, id, why, whylen, "cannot add signature")) ==
	    SLUICE_EEXIST)
		sluice_why(why, whylen, r, "the %s has signed this version already",
		    party);
out:
	sqlite3_finalize(st);
	return r;
}

int
signature_get(struct store *s, int64_t agreement_id, enum party party,
    struct agreement_sig *out)
{
	sqlite3_stmt *st = NULL;
	const char *pname = st_party_name(party);
	int r;

	memset(out, 0, sizeof(*out));
	if (pname == NULL)
		return SLUICE_EINVAL;
	if ((r = st_prepare(s, "SELECT id, cms, signatory_id, signing_time, "
	    "uploaded_by, uploaded_at, verified_at FROM signatures "
	    "WHERE agreement_id = ? AND party = ?", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, agreement_id)) != 0 ||
	    (r = st_bind_text(st, 2, pname, STORE_TEXT_MAX)) != 0 ||
	    (r = st_one_row(s, st, SLUICE_ENOTFOUND)) != 0)
		goto out;
	out->id = sqlite3_column_int64(st, 0);
	out->agreement_id = agreement_id;
	out->party = party;
	r = st_col_blobdup(st, 1, &out->cms, &out->cms_len);
	out->signatory_id = sqlite3_column_int64(st, 2);
	out->signing_time = sqlite3_column_int64(st, 3);
	out->uploaded_by = sqlite3_column_int64(st, 4);
	out->uploaded_at = sqlite3_column_int64(st, 5);
	out->verified_at = sqlite3_column_int64(st, 6);
out:
	sqlite3_finalize(st);
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
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "INSERT INTO suspensions (agreement_id, reason, "
	    "by_staff, at) VALUES (?, ?, ?, ?)", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, agreement_id)) != 0 ||
	    (r = st_bind_text(st, 2, reason, STORE_TEXT_MAX)) != 0 ||
	    (r = st_bind_i64_or_null(st, 3, by)) != 0 ||
	    (r = st_bind_i64(st, 4, sluice_now())) != 0)
		goto out;
	r = st_write(s, st, id, NULL, 0, NULL);
out:
	sqlite3_finalize(st);
	return r;
}

int
suspension_lift(struct store *s, int64_t agreement_id, int64_t by)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = st_prepare(s, "UPDATE suspensions SET lifted_at = ?, "
	    "lifted_by = ? WHERE agreement_id = ? AND lifted_at IS NULL", &st)) != 0 ||
	    (r = st_bind_i64(st, 1, sluice_now())) != 0 ||
	    (r = st_bind_i64_or_null(st, 2, by)) != 0 ||
	    (r = st_bind_i64(st, 3, agreement_id)) != 0)
		goto out;
	r = st_write_one(s, st);
out:
	sqlite3_finalize(st);
	return r;
}

int
suspension_current(struct store *s, int64_t agreement_id,
    struct suspension *out)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = st_prepare(s, "SELECT id, reason, coalesce(by_staff, 0), at "
	    "FROM suspensions WHERE agreement_id = ? AND lifted_at IS NULL",
	    &st)) != 0 ||
	    (r = st_bind_i64(st, 1, agreement_id)) != 0 ||
	    (r = st_one_row(s, st, SLUICE_ENOTFOUND)) != 0)
		goto out;
	out->id = sqlite3_column_int64(st, 0);
	out->agreement_id = agreement_id;
	st_col_text(st, 1, out->reason, sizeof(out->reason));
	out->by = sqlite3_column_int64(st, 2);
	out->at = sqlite3_column_int64(st, 3);
out:
	sqlite3_finalize(st);
	return r;
}
