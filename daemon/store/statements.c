/*
 * statements.c: every SQL statement the store runs on its tables, in one
 * table indexed by enum st_id (store_int.h), and the cache that prepares each
 * at most once per store handle.
 *
 * The SQL is fixed text: values are always bound as parameters, never built
 * into a string. st_stmt() prepares a statement on its first use and keeps
 * it in struct store until store_close(); every user ends with st_reset(),
 * which rewinds it and clears its bindings for the next one. The column
 * lists (*_COLS) are what each file's row reader (*_row()) reads, in order.
 */
#include <string.h>

#include "sluice/error.h"
#include "store/store_int.h"

#define ORG_COLS "id, code, name, type, dspt_status, dspt_expires, " \
	"sanctioned, created_at FROM orgs"
#define CONTRACT_COLS "c.id, c.org_id, o.code, c.ref, c.starts, c.expires, " \
	"c.created_at FROM contracts c JOIN orgs o ON o.id = c.org_id"
#define PERSON_COLS "p.id, p.org_id, o.code, p.user, p.email, p.active, " \
	"p.age_recipient, p.created_at FROM people p JOIN orgs o ON o.id = p.org_id"
#define STAFF_COLS "id, user, email, roles, active, created_at FROM staff"
#define KEY_COLS "id, type, blob, fingerprint, added_at FROM keys"
#define SIGNATORY_COLS "g.id, g.org_id, coalesce(o.code, 'controller'), " \
	"g.fingerprint, g.subject, g.issuer, g.serial, g.not_before, " \
	"g.not_after, g.added_by, g.added_at, g.der, " \
	"coalesce(g.revoked_at, 0), coalesce(g.revoked_by, 0), " \
	"coalesce(g.revoke_reason, '') FROM signatories g " \
	"LEFT JOIN orgs o ON o.id = g.org_id"
#define AGREEMENT_COLS "a.id, a.nic, a.version, a.org_id, o.code, a.title, " \
	"a.purpose, a.legal_basis, a.datasets, a.starts, a.expires, a.state, " \
	"length(a.document), a.document_sha256, a.created_by, a.created_at, " \
	"a.state_changed_at, a.document FROM agreements a " \
	"JOIN orgs o ON o.id = a.org_id"
#define EXTRACT_COLS "e.id, e.agreement_id, e.nic, e.name, e.plain_size, " \
	"e.sha256, e.payload_size, e.wrapped_key, e.staged_by, e.staged_at, " \
	"s.user FROM extracts e JOIN staff s ON s.id = e.staged_by"
#define RELEASE_COLS "r.id, r.extract_id, e.agreement_id, e.nic, e.name, " \
	"r.staged_by, r.approved_by, r.approved_at, coalesce(r.revoked_at, 0), " \
	"coalesce(r.revoked_by, 0), coalesce(r.revoke_reason, ''), " \
	"r.window_opens, r.window_closes, r.max_downloads FROM releases r " \
	"JOIN extracts e ON e.id = r.extract_id"
#define CERTIFICATE_COLS "c.id, c.agreement_id, a.nic, c.uploaded_by, " \
	"length(c.cms), c.verdict = 'accepted', c.reason, c.destroyed_on, " \
	"coalesce(c.signatory_id, 0), c.at FROM deletion_certificates c " \
	"JOIN agreements a ON a.id = c.agreement_id"
#define INBOX_COLS "id, staff_id, name, plain_size, sha256, wrapped_key, " \
	"uploaded_at FROM inbox_files"
#define OUTBOX_COLS "id, dedupe_key, to_addrs, subject, body, created_at, " \
	"next_attempt, attempts, coalesce(sent_at, 0), last_error FROM outbox"
#define AUDIT_COLS "id, time, clock, actor, action, subject, outcome, " \
	"details, prev_hash, hash FROM audit"

/* A signatory's owner: its org's code, or "controller" for none. */
#define SIGNATORY_OWNER "coalesce((SELECT code FROM orgs " \
	"WHERE orgs.id = signatories.org_id), 'controller')"

/* The governing version of a NIC (n), as a scalar subquery. */
#define GOVERNING_VERSION(n) "coalesce((SELECT max(version) FROM agreements " \
	"WHERE nic = " n " AND state IN ('signed', 'live', 'suspended', " \
	"'expired', 'closed')), (SELECT max(version) FROM agreements " \
	"WHERE nic = " n "))"

/* Both identity lookups read one row of a union: kind, id, user, org_id,
 * org, roles, active, age, key_id, key type, fingerprint. */
#define IDENTITY_BY_KEY \
	"SELECT 1, st.id, st.user, 0, '', st.roles, st.active, '', k.id, " \
	"k.type, k.fingerprint FROM keys k JOIN staff st ON st.id = k.staff_id " \
	"WHERE k.blob = ?1 UNION ALL " \
	"SELECT 2, p.id, p.user, p.org_id, o.code, 16, p.active, " \
	"p.age_recipient, k.id, k.type, k.fingerprint FROM keys k " \
	"JOIN people p ON p.id = k.person_id JOIN orgs o ON o.id = p.org_id " \
	"WHERE k.blob = ?1"
#define IDENTITY_BY_USER \
	"SELECT 1, id, user, 0, '', roles, active, '', 0, '', '' FROM staff " \
	"WHERE user = ?1 UNION ALL " \
	"SELECT 2, p.id, p.user, p.org_id, o.code, 16, p.active, " \
	"p.age_recipient, 0, '', '' FROM people p JOIN orgs o ON o.id = p.org_id " \
	"WHERE p.user = ?1"

static const char *const sql[ST_MAX] = {
	/* organisations, contracts (org.c) */
	[ST_ORG_ID] = "SELECT id FROM orgs WHERE code = ?",
	[ST_ORG_INSERT] = "INSERT INTO orgs (code, name, type, created_at) "
	    "VALUES (?, ?, ?, ?)",
	[ST_ORG_BY_CODE] = "SELECT " ORG_COLS " WHERE code = ?",
	[ST_ORG_BY_ID] = "SELECT " ORG_COLS " WHERE id = ?",
	[ST_ORG_LIST] = "SELECT " ORG_COLS " ORDER BY code",
	[ST_ORG_SET_DSPT] = "UPDATE orgs SET dspt_status = ?, dspt_expires = ? "
	    "WHERE code = ?",
	[ST_ORG_SET_SANCTIONED] = "UPDATE orgs SET sanctioned = ? WHERE code = ?",
	[ST_CONTRACT_INSERT] = "INSERT INTO contracts (org_id, ref, starts, "
	    "expires, created_at) VALUES (?, ?, ?, ?, ?)",
	[ST_CONTRACT_IN_FORCE] = "SELECT " CONTRACT_COLS " WHERE o.code = ?1 AND "
	    "c.starts <= ?2 AND c.expires >= ?2 ORDER BY c.expires DESC, c.id "
	    "LIMIT 1",
	[ST_CONTRACT_LIST] = "SELECT " CONTRACT_COLS " WHERE ?1 IS NULL OR "
	    "o.code = ?1 ORDER BY o.code, c.starts, c.id",

	/* people, staff, keys, identities (ident.c) */
	[ST_KEY_INSERT] = "INSERT INTO keys (blob, type, fingerprint, staff_id, "
	    "person_id, added_at) VALUES (?, ?, ?, ?, ?, ?)",
	[ST_KEY_LIST_STAFF] = "SELECT " KEY_COLS " WHERE staff_id = ? ORDER BY id",
	[ST_KEY_LIST_PERSON] = "SELECT " KEY_COLS " WHERE person_id = ? "
	    "ORDER BY id",
	[ST_PERSON_INSERT] = "INSERT INTO people (org_id, user, email, "
	    "age_recipient, created_at) VALUES (?, ?, ?, ?, ?)",
	[ST_PERSON_BY_ID] = "SELECT " PERSON_COLS " WHERE p.id = ?",
	[ST_PERSON_SET_ACTIVE] = "UPDATE people SET active = ?1 WHERE user = ?2",
	[ST_PERSON_SET_AGE] = "UPDATE people SET age_recipient = ?1 "
	    "WHERE user = ?2",
	[ST_PERSON_LIST] = "SELECT " PERSON_COLS " WHERE ?1 IS NULL OR "
	    "o.code = ?1 ORDER BY o.code, p.user",
	[ST_STAFF_INSERT] = "INSERT INTO staff (user, email, roles, created_at) "
	    "VALUES (?, ?, ?, ?)",
	[ST_STAFF_LIST] = "SELECT " STAFF_COLS " ORDER BY user",
	[ST_STAFF_SET_ACTIVE] = "UPDATE staff SET active = ?1 WHERE user = ?2",
	[ST_STAFF_SET_ROLES] = "UPDATE staff SET roles = ?1 WHERE user = ?2",
	[ST_STAFF_COUNT_ADMINS] = "SELECT count(*) FROM staff WHERE active = 1 "
	    "AND (roles & ?1) <> 0",
	[ST_KEY_DELETE_STAFF] = "DELETE FROM keys WHERE staff_id = ?",
	[ST_KEY_DELETE_PERSON] = "DELETE FROM keys WHERE person_id = ?",
	[ST_IDENTITY_BY_KEY] = IDENTITY_BY_KEY,
	[ST_IDENTITY_BY_USER] = IDENTITY_BY_USER,

	/* signatories, agreements, signatures, suspensions (agreement.c) */
	[ST_SIGNATORY_BY_ID] = "SELECT " SIGNATORY_COLS " WHERE g.id = ?",
	[ST_SIGNATORY_BY_FPR] = "SELECT " SIGNATORY_COLS " WHERE g.fingerprint = ?",
	[ST_SIGNATORY_INSERT] = "INSERT INTO signatories (org_id, der, "
	    "fingerprint, subject, issuer, serial, not_before, not_after, "
	    "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SIGNATORY_LIST] = "SELECT " SIGNATORY_COLS " WHERE ?1 IS NULL OR "
	    "coalesce(o.code, 'controller') = ?1 ORDER BY "
	    "coalesce(o.code, 'controller'), g.id",
	/* -1: owner ?1 has no signatory with serial ?2 (hex, any case); 0: one
	 * of them is not revoked; 1: all are */
	[ST_SIGNATORY_REVOKED] = "SELECT coalesce(min(revoked_at IS NOT NULL), "
	    "-1) FROM signatories WHERE " SIGNATORY_OWNER " = ?1 AND "
	    "upper(serial) = upper(?2)",
	[ST_SIGNATORY_REVOKE] = "UPDATE signatories SET revoked_at = ?3, "
	    "revoked_by = ?4, revoke_reason = ?5 WHERE " SIGNATORY_OWNER " = ?1 "
	    "AND upper(serial) = upper(?2) AND revoked_at IS NULL",
	[ST_AGREEMENT_LATEST] = "SELECT " AGREEMENT_COLS " WHERE a.nic = ?1 "
	    "ORDER BY a.version DESC LIMIT 1",
	[ST_AGREEMENT_VERSION] = "SELECT " AGREEMENT_COLS " WHERE a.nic = ?1 AND "
	    "a.version = ?2",
	[ST_AGREEMENT_GOVERNING] = "SELECT " AGREEMENT_COLS " WHERE a.nic = ?1 "
	    "AND a.version = " GOVERNING_VERSION("?1"),
	[ST_AGREEMENT_INSERT] = "INSERT INTO agreements (nic, version, org_id, "
	    "title, purpose, legal_basis, datasets, starts, expires, state, "
	    "document, document_sha256, created_by, created_at, "
	    "state_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "'awaiting-signatures', ?, ?, ?, ?, ?)",
	[ST_AGREEMENT_LIST] = "SELECT " AGREEMENT_COLS " WHERE "
	    "(?1 IS NULL OR a.state = ?1) AND (?2 IS NULL OR o.code = ?2) AND "
	    "(?3 = 0 OR a.version = " GOVERNING_VERSION("a.nic") ") "
	    "ORDER BY a.nic, a.version",
	[ST_AGREEMENT_SET_STATE] = "UPDATE agreements SET state = ?, "
	    "state_changed_at = ? WHERE id = ?",
	[ST_AGREEMENT_END] = "UPDATE agreements SET state = ?, expires = ?, "
	    "state_changed_at = ? WHERE id = ?",
	[ST_SIGNATURE_INSERT] = "INSERT INTO signatures (agreement_id, party, "
	    "cms, signatory_id, signing_time, uploaded_by, uploaded_at, "
	    "verified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_SIGNATURE_GET] = "SELECT id, cms, signatory_id, signing_time, "
	    "uploaded_by, uploaded_at, verified_at FROM signatures "
	    "WHERE agreement_id = ? AND party = ?",
	[ST_SUSPENSION_INSERT] = "INSERT INTO suspensions (agreement_id, reason, "
	    "by_staff, at) VALUES (?, ?, ?, ?)",
	[ST_SUSPENSION_LIFT] = "UPDATE suspensions SET lifted_at = ?, "
	    "lifted_by = ? WHERE agreement_id = ? AND lifted_at IS NULL",

	/* extracts, releases, downloads, certificates (release.c) */
	/* nic comes from the agreement row, so it cannot disagree with it */
	[ST_EXTRACT_INSERT] = "INSERT INTO extracts (id, agreement_id, nic, "
	    "name, plain_size, sha256, payload_size, wrapped_key, staged_by, "
	    "staged_at) SELECT ?1, id, nic, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
	    "FROM agreements WHERE id = ?2",
	[ST_EXTRACT_GET] = "SELECT " EXTRACT_COLS " WHERE e.id = ?",
	[ST_EXTRACT_LIST] = "SELECT " EXTRACT_COLS " WHERE ?1 IS NULL OR "
	    "e.nic = ?1 ORDER BY e.nic, e.staged_at, e.id",
	[ST_EXTRACT_RELEASED] = "SELECT EXISTS (SELECT 1 FROM releases "
	    "WHERE extract_id = ?)",
	/* never one with a release, revoked or not: that is history */
	[ST_EXTRACT_DELETE] = "DELETE FROM extracts WHERE id = ?1 AND NOT EXISTS "
	    "(SELECT 1 FROM releases WHERE extract_id = ?1)",
	[ST_EXTRACT_REWRAP] = "UPDATE extracts SET wrapped_key = ?2 WHERE id = ?1",
	[ST_RELEASE_INSERT] = "INSERT INTO releases (extract_id, staged_by, "
	    "approved_by, approved_at, window_opens, window_closes, "
	    "max_downloads) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_RELEASE_GET] = "SELECT " RELEASE_COLS " WHERE r.id = ?",
	[ST_RELEASE_REVOKE] = "UPDATE releases SET revoked_at = ?, "
	    "revoked_by = ?, revoke_reason = ? WHERE id = ? AND "
	    "revoked_at IS NULL",
	[ST_RELEASE_LIST] = "SELECT " RELEASE_COLS " WHERE (?1 IS NULL OR "
	    "e.nic = ?1) AND (?2 = 0 OR r.revoked_at IS NULL) ORDER BY r.id",
	[ST_DOWNLOAD_INSERT] = "INSERT INTO downloads (release_id, person_id, "
	    "bytes, first_offset, last_end, completed, gate, at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_DOWNLOAD_UPDATE] = "UPDATE downloads SET bytes = ?, "
	    "first_offset = ?, last_end = ?, completed = ?, updated_at = ? "
	    "WHERE id = ?",
	[ST_DOWNLOAD_COUNT] = "SELECT count(*) FROM downloads WHERE "
	    "release_id = ? AND person_id = ? AND gate = 'allow' AND "
	    "(? = 0 OR completed = 1)",
	[ST_CERTIFICATE_INSERT] = "INSERT INTO deletion_certificates "
	    "(agreement_id, uploaded_by, cms, verdict, reason, destroyed_on, "
	    "signatory_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_CERTIFICATE_LIST] = "SELECT " CERTIFICATE_COLS " WHERE ?1 IS NULL "
	    "OR a.nic = ?1 ORDER BY c.id",
	[ST_CERTIFICATE_ACCEPTED] = "SELECT EXISTS (SELECT 1 FROM "
	    "deletion_certificates c JOIN agreements a ON a.id = c.agreement_id "
	    "WHERE c.verdict = 'accepted' AND a.nic = (SELECT nic FROM "
	    "agreements WHERE id = ?))",
	/* the bounds on rejected uploads (cert_limits.c) */
	[ST_CERTIFICATE_REJECTED_SINCE] = "SELECT count(*) FROM "
	    "deletion_certificates WHERE uploaded_by = ? AND "
	    "verdict = 'rejected' AND at >= ?",
	[ST_CERTIFICATE_PRUNE] = "UPDATE deletion_certificates SET cms = X'' "
	    "WHERE agreement_id = ?1 AND verdict = 'rejected' AND "
	    "length(cms) > 0 AND id NOT IN (SELECT id FROM "
	    "deletion_certificates WHERE agreement_id = ?1 AND "
	    "verdict = 'rejected' ORDER BY id DESC LIMIT ?2)",

	/* the outbox (outbox.c) */
	/* sealed inbox files (inbox.c) */
	[ST_INBOX_INSERT] = "INSERT INTO inbox_files (id, staff_id, name, "
	    "plain_size, sha256, wrapped_key, uploaded_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)",
	[ST_INBOX_GET] = "SELECT " INBOX_COLS " WHERE staff_id = ?1 AND "
	    "name = ?2",
	[ST_INBOX_LIST] = "SELECT " INBOX_COLS " WHERE ?1 = 0 OR staff_id = ?1 "
	    "ORDER BY staff_id, name",
	[ST_INBOX_DELETE] = "DELETE FROM inbox_files WHERE id = ?",
	[ST_INBOX_REWRAP] = "UPDATE inbox_files SET wrapped_key = ?2 "
	    "WHERE id = ?1",

	[ST_OUTBOX_INSERT] = "INSERT INTO outbox (dedupe_key, to_addrs, subject, "
	    "body, created_at, next_attempt) VALUES (?, ?, ?, ?, ?, ?)",
	[ST_OUTBOX_DUE] = "SELECT " OUTBOX_COLS " WHERE sent_at IS NULL AND "
	    "delivering = 0 AND next_attempt <= ? ORDER BY next_attempt, id "
	    "LIMIT ?",
	[ST_OUTBOX_SENT] = "UPDATE outbox SET sent_at = ?, attempts = "
	    "attempts + 1, delivering = 0 WHERE id = ? AND sent_at IS NULL",
	[ST_OUTBOX_FAILED] = "UPDATE outbox SET attempts = attempts + 1, "
	    "last_error = ?, next_attempt = ?, delivering = 0 WHERE id = ? AND "
	    "sent_at IS NULL",
	[ST_OUTBOX_CLAIM] = "UPDATE outbox SET delivering = ? WHERE id = ? AND "
	    "sent_at IS NULL AND delivering <> ?1",
	[ST_OUTBOX_DELIVERING] = "SELECT " OUTBOX_COLS " WHERE sent_at IS NULL "
	    "AND delivering = 1 ORDER BY id",

	/* the audit table (audit_rows.c) */
	[ST_AUDIT_INSERT] = "INSERT INTO audit (id, time, clock, actor, action, "
	    "subject, outcome, details, prev_hash, hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[ST_AUDIT_LAST] = "SELECT " AUDIT_COLS " ORDER BY id DESC LIMIT 1",
	[ST_AUDIT_GET] = "SELECT " AUDIT_COLS " WHERE id = ?",
	[ST_AUDIT_SINCE] = "SELECT " AUDIT_COLS " WHERE time >= ? ORDER BY id",

	/* published counts (published.c): per UTC month, in [?1, ?2) */
	[ST_RELEASES_BY_MONTH] = "SELECT strftime('%Y-%m', approved_at, "
	    "'unixepoch'), count(*) FROM releases WHERE approved_at >= ?1 AND "
	    "approved_at < ?2 GROUP BY 1 ORDER BY 1",
	[ST_DOWNLOADS_BY_MONTH] = "SELECT strftime('%Y-%m', at, 'unixepoch'), "
	    "count(*) FROM downloads WHERE completed = 1 AND gate = 'allow' AND "
	    "at >= ?1 AND at < ?2 GROUP BY 1 ORDER BY 1",
};

int
st_stmt(struct store *s, enum st_id id, sqlite3_stmt **st)
{
	*st = NULL;
	if ((unsigned)id >= ST_MAX)
		return SLUICE_EINVAL;
	if (s->stmt[id] == NULL && sqlite3_prepare_v3(s->db, sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) != SQLITE_OK)
		return st_map(sqlite3_extended_errcode(s->db));
	/* in use by a caller up the stack: sharing it would corrupt both */
	if (sqlite3_stmt_busy(s->stmt[id]))
		return SLUICE_ESTATE;
	*st = s->stmt[id];
	return 0;
}

int
st_stmt_key(struct store *s, enum st_id id, const char *key, size_t keymax,
    int64_t n, sqlite3_stmt **st)
{
	int r;

	if ((r = st_stmt(s, id, st)) != 0)
		return r;
	if (sqlite3_bind_parameter_count(*st) == 0)
		return 0;
	return key != NULL ? st_bind_text(*st, 1, key, keymax) :
	    st_bind_i64(*st, 1, n);
}

void
st_reset(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

void
st_finalize_all(struct store *s)
{
	size_t i;

	for (i = 0; i < ST_MAX; i++) {
		sqlite3_finalize(s->stmt[i]);
		s->stmt[i] = NULL;
	}
}
