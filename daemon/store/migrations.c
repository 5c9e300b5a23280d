/*
 * migrations.c: the store's schema, as an ordered list of {version, sql}.
 *
 * Each migration runs in one transaction and ends by setting PRAGMA
 * user_version to its own version (part of its static SQL, since PRAGMA takes
 * no bound parameters), so a crash leaves the store at a whole version. A
 * store newer than the last migration here is refused: an older program must
 * not write a schema it does not know. Never edit a released migration; add
 * the next one.
 *
 * Conventions: every table is STRICT; dates are 'YYYY-MM-DD' TEXT (UTC
 * calendar days), times INTEGER seconds since the epoch, digests lower-case
 * hex TEXT, states and statuses domain.h's words as TEXT (one DSPT status
 * excepted: see st_dspt_name() in store.c).
 */
#include <stdio.h>

#include "sluice/error.h"
#include "store/store_int.h"

#define DATE_GLOB "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
#define HEX64(c) "length(" c ") = 64 AND " c " NOT GLOB '*[^0-9a-f]*'"

struct migration {
	int		 version;
	const char	*sql;
};

static const char schema_v1[] =
"CREATE TABLE orgs ("
"  id INTEGER PRIMARY KEY,"
"  code TEXT NOT NULL UNIQUE,"
"  name TEXT NOT NULL,"
"  type TEXT NOT NULL DEFAULT '',"
"  dspt_status TEXT NOT NULL DEFAULT 'none' CHECK (dspt_status IN"
"    ('none','standards-not-met','approaching-standards','standards-met',"
"     'standards-exceeded')),"
"  dspt_expires TEXT CHECK (dspt_expires IS NULL OR dspt_expires GLOB " DATE_GLOB "),"
"  sanctioned INTEGER NOT NULL DEFAULT 0 CHECK (sanctioned IN (0, 1)),"
"  created_at INTEGER NOT NULL"
") STRICT;"

"CREATE TABLE contracts ("
"  id INTEGER PRIMARY KEY,"
"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
"  ref TEXT NOT NULL,"
"  starts TEXT NOT NULL CHECK (starts GLOB " DATE_GLOB "),"
"  expires TEXT NOT NULL CHECK (expires GLOB " DATE_GLOB "),"
"  created_at INTEGER NOT NULL,"
"  UNIQUE (org_id, ref),"
"  CHECK (starts <= expires)"
") STRICT;"

"CREATE TABLE people ("
"  id INTEGER PRIMARY KEY,"
"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
"  user TEXT NOT NULL UNIQUE,"
"  email TEXT NOT NULL,"
"  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
"  age_recipient TEXT,"
"  created_at INTEGER NOT NULL"
") STRICT;"

"CREATE TABLE staff ("
"  id INTEGER PRIMARY KEY,"
"  user TEXT NOT NULL UNIQUE,"
"  email TEXT NOT NULL,"
/* operator|approver|auditor|admin (domain.h), never recipient (16) */
"  roles INTEGER NOT NULL CHECK (roles BETWEEN 1 AND 15),"
"  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
"  created_at INTEGER NOT NULL"
") STRICT;"

/* A user name names one identity across staff and recipients. */
"CREATE TRIGGER people_user_not_staff BEFORE INSERT ON people"
"  WHEN EXISTS (SELECT 1 FROM staff WHERE user = NEW.user)"
"  BEGIN SELECT RAISE(ABORT, 'user name is taken by staff'); END;"
"CREATE TRIGGER staff_user_not_person BEFORE INSERT ON staff"
"  WHEN EXISTS (SELECT 1 FROM people WHERE user = NEW.user)"
"  BEGIN SELECT RAISE(ABORT, 'user name is taken by a recipient'); END;"
"CREATE TRIGGER people_user_fixed BEFORE UPDATE OF user ON people"
"  BEGIN SELECT RAISE(ABORT, 'user names do not change'); END;"
"CREATE TRIGGER staff_user_fixed BEFORE UPDATE OF user ON staff"
"  BEGIN SELECT RAISE(ABORT, 'user names do not change'); END;"

/* One key, one identity: the blob is unique and its owner is exactly one
 * of a staff member or a recipient. */
"CREATE TABLE keys ("
"  id INTEGER PRIMARY KEY,"
"  blob BLOB NOT NULL UNIQUE CHECK (length(blob) BETWEEN 1 AND 16384),"
"  type TEXT NOT NULL,"
"  fingerprint TEXT NOT NULL,"
"  staff_id INTEGER REFERENCES staff(id),"
"  person_id INTEGER REFERENCES people(id),"
"  added_at INTEGER NOT NULL,"
"  CHECK ((staff_id IS NULL) <> (person_id IS NULL))"
") STRICT;"
"CREATE INDEX keys_staff ON keys(staff_id);"
"CREATE INDEX keys_person ON keys(person_id);"

/* org_id NULL: a signatory of the data controller. The fingerprint is
 * UNIQUE, so one certificate never serves two parties. */
"CREATE TABLE signatories ("
"  id INTEGER PRIMARY KEY,"
"  org_id INTEGER REFERENCES orgs(id),"
"  der BLOB NOT NULL,"
"  fingerprint TEXT NOT NULL UNIQUE CHECK (" HEX64("fingerprint") "),"
"  subject TEXT NOT NULL,"
"  issuer TEXT NOT NULL,"
"  serial TEXT NOT NULL,"
"  not_before INTEGER NOT NULL,"
"  not_after INTEGER NOT NULL,"
"  added_by INTEGER NOT NULL REFERENCES staff(id),"
"  added_at INTEGER NOT NULL"
") STRICT;"

"CREATE TABLE agreements ("
"  id INTEGER PRIMARY KEY,"
"  nic TEXT NOT NULL CHECK (length(nic) = 16 AND nic GLOB"
"    'NIC-[0-9][0-9][0-9][0-9][0-9][0-9]-[A-Z0-9][A-Z0-9][A-Z0-9][A-Z0-9][A-Z0-9]'),"
"  version INTEGER NOT NULL CHECK (version >= 1),"
"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
"  title TEXT NOT NULL,"
"  purpose TEXT NOT NULL,"
"  legal_basis TEXT NOT NULL,"
"  datasets TEXT NOT NULL,"
"  starts TEXT NOT NULL CHECK (starts GLOB " DATE_GLOB "),"
"  expires TEXT NOT NULL CHECK (expires GLOB " DATE_GLOB "),"
"  state TEXT NOT NULL CHECK (state IN ('draft','awaiting-signatures',"
"    'signed','live','suspended','expired','closed')),"
"  document BLOB NOT NULL,"
"  document_sha256 TEXT NOT NULL CHECK (" HEX64("document_sha256") "),"
"  created_by INTEGER NOT NULL REFERENCES staff(id),"
"  created_at INTEGER NOT NULL,"
"  state_changed_at INTEGER NOT NULL,"
"  UNIQUE (nic, version),"
"  UNIQUE (id, nic),"
"  CHECK (starts <= expires)"
") STRICT;"
"CREATE INDEX agreements_org ON agreements(org_id);"

"CREATE TABLE signatures ("
"  id INTEGER PRIMARY KEY,"
"  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
"  party TEXT NOT NULL CHECK (party IN ('applicant', 'controller')),"
"  cms BLOB NOT NULL,"
"  signatory_id INTEGER NOT NULL REFERENCES signatories(id),"
"  signing_time INTEGER NOT NULL,"
"  uploaded_by INTEGER NOT NULL REFERENCES staff(id),"
"  uploaded_at INTEGER NOT NULL,"
"  verified_at INTEGER NOT NULL,"
"  UNIQUE (agreement_id, party)"
") STRICT;"

"CREATE TABLE suspensions ("
"  id INTEGER PRIMARY KEY,"
"  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
"  reason TEXT NOT NULL,"
"  by_staff INTEGER REFERENCES staff(id),"	/* NULL: automatic */
"  at INTEGER NOT NULL,"
"  lifted_at INTEGER,"
"  lifted_by INTEGER REFERENCES staff(id)"
") STRICT;"
"CREATE UNIQUE INDEX suspensions_one_open ON suspensions(agreement_id)"
"  WHERE lifted_at IS NULL;"

/* nic repeats the agreement's (checked by the composite key) so that
 * names are unique per NIC directory across versions. (id, staged_by) is
 * unique so a release can name its stager truthfully. */
"CREATE TABLE extracts ("
"  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64"
"    AND id NOT GLOB '*[^0-9a-f]*'),"
"  agreement_id INTEGER NOT NULL,"
"  nic TEXT NOT NULL,"
"  name TEXT NOT NULL,"
"  plain_size INTEGER NOT NULL CHECK (plain_size >= 0),"
"  sha256 TEXT NOT NULL CHECK (" HEX64("sha256") "),"
"  payload_size INTEGER NOT NULL CHECK (payload_size >= 0),"
"  wrapped_key BLOB NOT NULL,"
"  staged_by INTEGER NOT NULL REFERENCES staff(id),"
"  staged_at INTEGER NOT NULL,"
"  UNIQUE (nic, name),"
"  UNIQUE (id, staged_by),"
"  FOREIGN KEY (agreement_id, nic) REFERENCES agreements(id, nic)"
") STRICT;"

/* Four eyes in the schema: staged_by is the extract's (composite key) and
 * must differ from approved_by. At most one unrevoked release per extract. */
"CREATE TABLE releases ("
"  id INTEGER PRIMARY KEY,"
"  extract_id TEXT NOT NULL,"
"  staged_by INTEGER NOT NULL,"
"  approved_by INTEGER NOT NULL REFERENCES staff(id),"
"  approved_at INTEGER NOT NULL,"
"  revoked_at INTEGER,"
"  revoked_by INTEGER REFERENCES staff(id),"
"  revoke_reason TEXT,"
"  window_opens INTEGER NOT NULL DEFAULT 0,"
"  window_closes INTEGER NOT NULL DEFAULT 0,"
"  max_downloads INTEGER NOT NULL DEFAULT 0 CHECK (max_downloads >= 0),"
"  FOREIGN KEY (extract_id, staged_by) REFERENCES extracts(id, staged_by),"
"  CHECK (approved_by <> staged_by),"
"  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))"
") STRICT;"
"CREATE UNIQUE INDEX releases_one_active ON releases(extract_id)"
"  WHERE revoked_at IS NULL;"
"CREATE TRIGGER releases_fixed BEFORE UPDATE OF extract_id, staged_by,"
"  approved_by, approved_at ON releases"
"  BEGIN SELECT RAISE(ABORT, 'an approval does not change'); END;"

"CREATE TABLE downloads ("
"  id INTEGER PRIMARY KEY,"
"  release_id INTEGER NOT NULL REFERENCES releases(id),"
"  person_id INTEGER NOT NULL REFERENCES people(id),"
"  bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),"
"  first_offset INTEGER NOT NULL DEFAULT 0,"
"  last_end INTEGER NOT NULL DEFAULT 0,"
"  completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),"
"  gate TEXT NOT NULL,"
"  at INTEGER NOT NULL,"
"  updated_at INTEGER NOT NULL"
") STRICT;"
"CREATE INDEX downloads_release_person ON downloads(release_id, person_id);"

"CREATE TABLE deletion_certificates ("
"  id INTEGER PRIMARY KEY,"
"  agreement_id INTEGER NOT NULL REFERENCES agreements(id),"
"  uploaded_by INTEGER NOT NULL REFERENCES people(id),"
"  cms BLOB NOT NULL,"
"  verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),"
"  reason TEXT NOT NULL DEFAULT '',"
"  destroyed_on TEXT CHECK (destroyed_on IS NULL OR destroyed_on GLOB " DATE_GLOB "),"
"  signatory_id INTEGER REFERENCES signatories(id),"
"  at INTEGER NOT NULL"
") STRICT;"
"CREATE INDEX certificates_agreement ON deletion_certificates(agreement_id);"

/* dedupe_key UNIQUE: each message is queued exactly once. */
"CREATE TABLE outbox ("
"  id INTEGER PRIMARY KEY,"
"  dedupe_key TEXT NOT NULL UNIQUE,"
"  to_addrs TEXT NOT NULL,"
"  subject TEXT NOT NULL,"
"  body TEXT NOT NULL,"
"  created_at INTEGER NOT NULL,"
"  next_attempt INTEGER NOT NULL,"
"  attempts INTEGER NOT NULL DEFAULT 0,"
"  sent_at INTEGER,"
"  last_error TEXT NOT NULL DEFAULT ''"
") STRICT;"
"CREATE INDEX outbox_due ON outbox(next_attempt) WHERE sent_at IS NULL;"

/* Append-only: audit.c chains the hashes; these triggers stop honest
 * mistakes, the chain catches the rest. */
"CREATE TABLE audit ("
"  id INTEGER PRIMARY KEY,"
"  time INTEGER NOT NULL,"
"  clock TEXT NOT NULL CHECK (clock IN ('real', 'fake')),"
"  actor TEXT NOT NULL,"
"  action TEXT NOT NULL,"
"  subject TEXT NOT NULL,"
"  outcome TEXT NOT NULL,"
"  details TEXT NOT NULL,"
"  prev_hash TEXT NOT NULL CHECK (" HEX64("prev_hash") "),"
"  hash TEXT NOT NULL CHECK (" HEX64("hash") ")"
") STRICT;"
"CREATE INDEX audit_time ON audit(time);"
"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"

"PRAGMA user_version = 1;";

/* Signatories can be revoked (a certificate compromised or its holder gone):
 * when, by whom and why, all three or none. ADD COLUMN checks the CHECK
 * against the existing rows, which have none of the three. */
static const char schema_v2[] =
"ALTER TABLE signatories ADD COLUMN revoked_at INTEGER;"
"ALTER TABLE signatories ADD COLUMN revoked_by INTEGER REFERENCES staff(id);"
"ALTER TABLE signatories ADD COLUMN revoke_reason TEXT"
"  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL) AND"
"    (revoked_at IS NULL) = (revoke_reason IS NULL));"

"PRAGMA user_version = 2;";

/* A message handed to the mail worker is marked in delivery first, so an
 * engine that dies before the worker's verdict finds it on restart
 * (daemon/engine/mail.h says what it then does). */
static const char schema_v3[] =
"ALTER TABLE outbox ADD COLUMN delivering INTEGER NOT NULL DEFAULT 0"
"  CHECK (delivering IN (0, 1));"

"PRAGMA user_version = 3;";

static const struct migration migrations[] = {
	{ 1, schema_v1 },
	{ 2, schema_v2 },
	{ 3, schema_v3 },
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int
store_latest_version(void)
{
	return migrations[NMIGRATIONS - 1].version;
}

int
store_user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs m's SQL in the open transaction and checks that it set its own
 * version; an SQLite result code. */
static int
apply_sql(sqlite3 *db, const struct migration *m)
{
	int rc, v = 0;

	if ((rc = sqlite3_exec(db, m->sql, NULL, NULL, NULL)) != SQLITE_OK ||
	    (rc = store_user_version(db, &v)) != SQLITE_OK)
		return rc;
	return v == m->version ? SQLITE_OK : SQLITE_INTERNAL;
}

static int
apply(sqlite3 *db, const struct migration *m, char *why, size_t whylen)
{
	int rc;

	if ((rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "store migration %d: %s", m->version, sqlite3_errmsg(db));
	if ((rc = apply_sql(db, m)) == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sluice_why(why, whylen, SLUICE_ESTORE, "store migration %d: %s",
		    m->version, sqlite3_errmsg(db));
		(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return SLUICE_ESTORE;
	}
	return 0;
}

/* *v = the store's schema version, one this program can migrate from. */
static int
migratable(sqlite3 *db, int *v, char *why, size_t whylen)
{
	int latest = store_latest_version();

	if (store_user_version(db, v) != SQLITE_OK)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "cannot read the store's schema version: %s",
		    sqlite3_errmsg(db));
	if (*v > latest)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "store schema version %d is newer than this program's %d; "
		    "upgrade sluiced", *v, latest);
	if (*v < 0)
		return sluice_why(why, whylen, SLUICE_ESTORE,
		    "store schema version %d is not valid", *v);
	return 0;
}

int
store_migrate(sqlite3 *db, char *why, size_t whylen)
{
	size_t i;
	int r, v = 0;

	if ((r = migratable(db, &v, why, whylen)) != 0)
		return r;
	for (i = 0; i < NMIGRATIONS; i++)
		if (migrations[i].version > v &&
		    (r = apply(db, &migrations[i], why, whylen)) != 0)
			return r;
	return 0;
}
