/*
 * test_store.c: the SQLite store - schema and migrations, refusals (UNIQUE,
 * FOREIGN KEY, four eyes), outbox dedupe, agreement versions, gate facts,
 * and what the admin commands change later: staff roles and activity, login
 * keys, age recipients, signatory revocation, extract discard, early ends.
 */
#include <sys/stat.h>

#include <sqlite3.h>

#include "sluice/clock.h"
#include "sluice/sshkey.h"
#include "store_fixture.h"
#include "suite_run.h"

static int32_t
day(const char *s)
{
	int32_t d = 0;

	ck_assert_int_eq(sluice_date_parse(s, &d), 0);
	return d;
}

/* Runs sql on the store's file behind the store's back, as a test may. */
static int
raw_sql(const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open(fx_path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static int64_t
raw_count_bound(const char *sql, const char *param)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	ck_assert_int_eq(sqlite3_open(fx_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (param != NULL)
		ck_assert_int_eq(sqlite3_bind_text(st, 1, param, -1,
		    SQLITE_STATIC), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static int64_t
raw_count(const char *sql)
{
	return raw_count_bound(sql, NULL);
}

static void
add_org(const char *code)
{
	struct org o;
	char why[256] = "";

	memset(&o, 0, sizeof(o));
	snprintf(o.code, sizeof(o.code), "%s", code);
	snprintf(o.name, sizeof(o.name), "Org %s", code);
	ck_assert_msg(org_add(fx, &o, NULL, why, sizeof(why)) == 0, "%s", why);
}

static const uint8_t doc1[] = "Data Sharing Agreement v1\n";
static const uint8_t doc2[] = "Data Sharing Agreement v2\n";

static int64_t
add_agreement(const char *nic, const char *org, int64_t by)
{
	struct agreement a;
	char why[256] = "";
	int64_t id = 0;

	memset(&a, 0, sizeof(a));
	snprintf(a.nic, sizeof(a.nic), "%s", nic);
	snprintf(a.org, sizeof(a.org), "%s", org);
	a.title = "Cancer outcomes";
	a.purpose = "Research";
	a.legal_basis = "Article 6(1)(e)";
	a.datasets = "HES,ONS";
	a.starts = day("2026-01-01");
	a.expires = day("2026-12-31");
	a.document = (uint8_t *)(uintptr_t)doc1;
	a.document_len = sizeof(doc1) - 1;
	a.created_by = by;
	ck_assert_msg(agreement_add(fx, &a, &id, why, sizeof(why)) == 0, "%s", why);
	return id;
}

START_TEST(test_migrations_from_empty)
{
	static const char *const tables[] = { "orgs", "contracts", "people",
	    "staff", "keys", "signatories", "agreements", "signatures",
	    "suspensions", "extracts", "releases", "downloads",
	    "deletion_certificates", "outbox", "audit", "inbox_files" };
	struct stat sb;
	size_t i;
	int v = -1;

	ck_assert_int_eq(store_schema_version(fx, &v), 0);
	ck_assert_int_eq(v, STORE_SCHEMA_VERSION);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		ck_assert_msg(raw_count_bound("SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name = ?1", tables[i]) == 1,
		    "table %s missing", tables[i]);
	}
	ck_assert_int_eq(raw_count("PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(stat(fx_path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM pragma_journal_mode "
	    "WHERE journal_mode = 'wal'"), 1);
}
END_TEST

START_TEST(test_reopen_idempotent)
{
	struct org o;
	char why[256] = "";
	int v = 0;

	add_org("RX1");
	store_close(fx);
	fx = NULL;
	ck_assert_msg(store_open(fx_path, &fx, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(store_schema_version(fx, &v), 0);
	ck_assert_int_eq(v, STORE_SCHEMA_VERSION);
	ck_assert_int_eq(org_get(fx, "RX1", &o), 0);
	ck_assert_str_eq(o.name, "Org RX1");
	ck_assert_int_eq(o.dspt, DSPT_NONE);
}
END_TEST

START_TEST(test_newer_store_refused)
{
	struct store *s2 = NULL;
	char why[256] = "";

	store_close(fx);
	fx = NULL;
	ck_assert_int_eq(raw_sql("PRAGMA user_version = 99"), SQLITE_OK);
	ck_assert_int_eq(store_open(fx_path, &s2, why, sizeof(why)), SLUICE_ESTORE);
	ck_assert_ptr_null(s2);
	ck_assert_str_eq(why, "store schema version 99 is newer than this "
	    "program's 4; upgrade sluiced");
}
END_TEST

START_TEST(test_not_a_store_refused)
{
	struct store *s2 = NULL;
	char why[256] = "";
	FILE *f;

	store_close(fx);
	fx = NULL;
	fx_remove("-wal");
	fx_remove("-shm");
	ck_assert_ptr_nonnull(f = fopen(fx_path, "w"));
	fputs("this is not a database, just some text that is long enough to "
	    "look like a header page of something else entirely\n", f);
	fclose(f);
	ck_assert_int_eq(store_open(fx_path, &s2, why, sizeof(why)), SLUICE_ESTORE);
	ck_assert_str_eq(why, "the file is not a sluice store (not SQLite)");
}
END_TEST

START_TEST(test_foreign_keys)
{
	struct agreement a;
	char why[256] = "";
	int64_t id = 0;

	ck_assert_int_eq(contract_add(fx, "NOPE", "DSFC-1", day("2026-01-01"),
	    day("2026-12-31"), &id, why, sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no organisation NOPE");
	/* the schema refuses too, behind the typed API's back */
	ck_assert_int_eq(raw_sql("PRAGMA foreign_keys = ON; INSERT INTO contracts "
	    "(org_id, ref, starts, expires, created_at) VALUES (42, 'x', "
	    "'2026-01-01', '2026-12-31', 0)"), SQLITE_CONSTRAINT);
	/* an agreement created by no staff member: FOREIGN KEY -> EINVAL */
	add_org("RX1");
	memset(&a, 0, sizeof(a));
	snprintf(a.nic, sizeof(a.nic), "NIC-123456-A1B2C");
	snprintf(a.org, sizeof(a.org), "RX1");
	a.title = a.purpose = a.legal_basis = a.datasets = "t";
	a.starts = a.expires = day("2026-01-01");
	a.document = (uint8_t *)(uintptr_t)doc1;
	a.document_len = 3;
	a.created_by = 77;
	ck_assert_int_eq(agreement_add(fx, &a, &id, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "cannot add agreement: FOREIGN KEY constraint failed");
	ck_assert_int_eq(contract_add(fx, "RX1", "DSFC-1", day("2026-02-01"),
	    day("2026-01-01"), &id, why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "a contract cannot expire before it starts");
}
END_TEST

START_TEST(test_contracts)
{
	struct contract c;
	struct contract_list l;
	char why[256] = "";

	add_org("RX1");
	ck_assert_int_eq(contract_add(fx, "RX1", "DSFC-1", day("2025-01-01"),
	    day("2025-12-31"), NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(contract_add(fx, "RX1", "DSFC-2", day("2026-01-01"),
	    day("2027-12-31"), NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(contract_add(fx, "RX1", "DSFC-2", day("2026-01-01"),
	    day("2027-12-31"), NULL, why, sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "RX1 already has contract DSFC-2");
	ck_assert_int_eq(contract_in_force(fx, "RX1", day("2025-12-31"), &c), 0);
	ck_assert_str_eq(c.ref, "DSFC-1");
	ck_assert_int_eq(contract_in_force(fx, "RX1", day("2026-01-01"), &c), 0);
	ck_assert_str_eq(c.ref, "DSFC-2");
	ck_assert_int_eq(c.expires, day("2027-12-31"));
	ck_assert_int_eq(contract_in_force(fx, "RX1", day("2028-01-01"), &c),
	    SLUICE_ENOTFOUND);
	ck_assert_int_eq(contract_list(fx, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].ref, "DSFC-1");
	contract_list_free(&l);
}
END_TEST

START_TEST(test_orgs)
{
	struct org o;
	struct org_list l;
	char why[256] = "";

	add_org("RX1");
	add_org("AB2");
	memset(&o, 0, sizeof(o));
	snprintf(o.code, sizeof(o.code), "RX1");
	snprintf(o.name, sizeof(o.name), "again");
	ck_assert_int_eq(org_add(fx, &o, NULL, why, sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "organisation RX1 exists already");
	snprintf(o.code, sizeof(o.code), "bad code");
	ck_assert_int_eq(org_add(fx, &o, NULL, why, sizeof(why)), SLUICE_EINVAL);
	/* the one name rule, domain.h's, with its reason */
	ck_assert_str_eq(why,
	    "bad code: a name holds only letters, digits, '.', '_' and '-'");
	/* domain.h's not-met is stored as schema v1's word */
	ck_assert_int_eq(org_set_dspt(fx, "RX1", DSPT_NOT_MET, 0), 0);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM orgs WHERE code = 'RX1' "
	    "AND dspt_status = 'standards-not-met'"), 1);
	ck_assert_int_eq(org_get(fx, "RX1", &o), 0);
	ck_assert_int_eq(o.dspt, DSPT_NOT_MET);
	ck_assert_int_eq(org_set_dspt(fx, "RX1", DSPT_EXCEEDED + 1, 0),
	    SLUICE_EINVAL);
	ck_assert_int_eq(org_set_dspt(fx, "RX1", DSPT_MET, day("2027-06-30")), 0);
	ck_assert_int_eq(org_set_sanctioned(fx, "RX1", 1), 0);
	ck_assert_int_eq(org_set_sanctioned(fx, "ZZZ", 1), SLUICE_ENOTFOUND);
	ck_assert_int_eq(org_get(fx, "RX1", &o), 0);
	ck_assert_int_eq(o.dspt, DSPT_MET);
	ck_assert_int_eq(o.dspt_expires, day("2027-06-30"));
	ck_assert_int_eq(o.sanctioned, 1);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM orgs WHERE code = 'RX1' "
	    "AND dspt_status = 'standards-met' AND dspt_expires = '2027-06-30'"), 1);
	ck_assert_int_eq(org_list(fx, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].code, "AB2");
	org_list_free(&l);
}
END_TEST

START_TEST(test_key_twice_refused)
{
	uint8_t blob[32];
	struct store_key k = fx_key(blob, 1);
	struct identity id;
	char why[256] = "";
	int64_t pid = 0;

	add_org("RX1");
	fx_staff("alice", ROLE_OPERATOR | ROLE_ADMIN, 1);
	ck_assert_int_eq(person_add(fx, "RX1", "bob", "bob@rx1.example", &k, NULL,
	    &pid, why, sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "key is already registered to staff alice");
	ck_assert_int_eq(raw_count("SELECT count(*) FROM people"), 0);
	/* the same user name for a recipient and staff is refused too */
	k = fx_key(blob, 2);
	ck_assert_int_eq(person_add(fx, "RX1", "alice", "a@rx1.example", &k, NULL,
	    &pid, why, sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "user name alice is taken by staff");
	ck_assert_int_eq(person_add(fx, "RX1", "bob", "bob@rx1.example", &k,
	    "age1xyz", &pid, why, sizeof(why)), 0);
	k = fx_key(blob, 2);
	ck_assert_int_eq(staff_add(fx, "carol", "c@example.org", &k, ROLE_APPROVER,
	    NULL, why, sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "key is already registered to recipient bob");
	ck_assert_int_eq(raw_count("SELECT count(*) FROM staff WHERE user = "
	    "'carol'"), 0);
	/* the login lookup */
	ck_assert_int_eq(identity_by_key(fx, blob, 32, &id), 0);
	ck_assert_int_eq(id.kind, IDENTITY_RECIPIENT);
	ck_assert_str_eq(id.user, "bob");
	ck_assert_str_eq(id.org, "RX1");
	ck_assert_uint_eq(id.roles, ROLE_RECIPIENT);
	ck_assert_str_eq(id.age_recipient, "age1xyz");
	ck_assert_str_eq(id.fingerprint, "SHA256:key2");
	ck_assert_int_eq(id.active, 1);
	ck_assert_int_eq(identity_by_user(fx, "alice", &id), 0);
	ck_assert_int_eq(id.kind, IDENTITY_STAFF);
	ck_assert_uint_eq(id.roles, ROLE_OPERATOR | ROLE_ADMIN);
	ck_assert_int_eq(identity_by_user(fx, "nobody", &id), SLUICE_ENOTFOUND);
	ck_assert_int_eq(person_set_active(fx, "bob", 0), 0);
	ck_assert_int_eq(identity_by_key(fx, blob, 32, &id), 0);
	ck_assert_int_eq(id.active, 0);
	/* the schema's CHECK: a key owned by both or neither */
	ck_assert_int_eq(raw_sql("INSERT INTO keys (blob, type, fingerprint, "
	    "staff_id, person_id, added_at) VALUES (x'01', 't', 'f', 1, 1, 0)"),
	    SQLITE_CONSTRAINT);
	ck_assert_int_eq(staff_add(fx, "dave", "d@example.org", &k, ROLE_RECIPIENT,
	    NULL, why, sizeof(why)), SLUICE_EINVAL);
}
END_TEST

static void
stage(int64_t agreement_id, const char *id, const char *name, int64_t by)
{
	struct extract e;
	char why[256] = "";

	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.agreement_id = agreement_id;
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.plain_size = 1000;
	memset(e.sha256, 'a', 64);
	e.payload_size = 1100;
	memset(e.wrapped_key, 7, 72);
	e.wrapped_len = 72;
	e.staged_by = by;
	ck_assert_msg(extract_add(fx, &e, why, sizeof(why)) == 0, "%s", why);
}

START_TEST(test_four_eyes)
{
	struct release rel;
	struct release_list rl;
	struct extract e;
	char why[256] = "";
	int64_t op, ap, ag, rid = 0;

	add_org("RX1");
	op = fx_staff("olga", ROLE_OPERATOR | ROLE_APPROVER, 1);
	ap = fx_staff("adam", ROLE_APPROVER, 2);
	ag = add_agreement("NIC-123456-A1B2C", "RX1", op);
	stage(ag, "00112233445566778899aabbccddeeff", "cohort.csv", op);
	ck_assert_int_eq(extract_get(fx, "00112233445566778899aabbccddeeff", &e), 0);
	ck_assert_str_eq(e.nic, "NIC-123456-A1B2C");
	ck_assert_uint_eq(e.wrapped_len, 72);
	ck_assert_int_eq(release_add(fx, e.id, op, NULL, &rid, why, sizeof(why)),
	    SLUICE_EDENIED);
	ck_assert_str_eq(why, "you staged this extract; another approver must "
	    "approve it");
	/* the schema's CHECK refuses the same behind the API's back */
	ck_assert_int_eq(raw_sql("PRAGMA foreign_keys = ON; INSERT INTO releases "
	    "(extract_id, staged_by, approved_by, approved_at) VALUES "
	    "('00112233445566778899aabbccddeeff', 1, 1, 0)"), SQLITE_CONSTRAINT);
	/* ... and a lie about who staged it */
	ck_assert_int_eq(raw_sql("PRAGMA foreign_keys = ON; INSERT INTO releases "
	    "(extract_id, staged_by, approved_by, approved_at) VALUES "
	    "('00112233445566778899aabbccddeeff', 2, 1, 0)"), SQLITE_CONSTRAINT);
	ck_assert_int_eq(release_add(fx, e.id, ap, NULL, &rid, why, sizeof(why)), 0);
	ck_assert_int_eq(release_add(fx, e.id, ap, NULL, NULL, why, sizeof(why)),
	    SLUICE_EEXIST);
	ck_assert_int_eq(release_get(fx, rid, &rel), 0);
	ck_assert_int_eq(rel.staged_by, op);
	ck_assert_int_eq(rel.approved_by, ap);
	ck_assert_int_eq(rel.revoked_at, 0);
	ck_assert_int_eq(release_revoke(fx, rid, ap, "wrong cohort", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(release_revoke(fx, rid, ap, "again", why, sizeof(why)),
	    SLUICE_ESTATE);
	ck_assert_str_eq(why, "release 1 is revoked already");
	ck_assert_int_eq(release_get(fx, rid, &rel), 0);
	ck_assert_str_eq(rel.revoke_reason, "wrong cohort");
	ck_assert_int_eq(release_list(fx, "NIC-123456-A1B2C", 1, &rl), 0);
	ck_assert_uint_eq(rl.n, 0);
	release_list_free(&rl);
	ck_assert_int_eq(release_list(fx, NULL, 0, &rl), 0);
	ck_assert_uint_eq(rl.n, 1);
	release_list_free(&rl);
	/* same name under the same NIC is refused */
	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "ff");
	e.agreement_id = ag;
	snprintf(e.name, sizeof(e.name), "cohort.csv");
	memset(e.sha256, 'b', 64);
	e.wrapped_len = 1;
	e.staged_by = op;
	ck_assert_int_eq(extract_add(fx, &e, why, sizeof(why)), SLUICE_EEXIST);
}
END_TEST

START_TEST(test_outbox_dedupe)
{
	struct outbox_list l;
	int64_t id = 0, id2 = 0;

	ck_assert_int_eq(outbox_enqueue(fx, "expiry-30:NIC-123456-A1B2C:1",
	    "a@example.org", "Expiry in 30 days", "body", &id), 0);
	ck_assert_int_eq(outbox_enqueue(fx, "expiry-30:NIC-123456-A1B2C:1",
	    "a@example.org", "Expiry in 30 days", "body", &id2), SLUICE_EEXIST);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM outbox"), 1);
	ck_assert_int_eq(outbox_due(fx, INT64_MAX / 2, 0, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].subject, "Expiry in 30 days");
	ck_assert_int_eq(l.v[0].attempts, 0);
	outbox_list_free(&l);
	ck_assert_int_eq(outbox_mark_failed(fx, id, "mailer said no\nmore", 1000),
	    0);
	ck_assert_int_eq(outbox_due(fx, 999, 0, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	outbox_list_free(&l);
	ck_assert_int_eq(outbox_due(fx, 1000, 0, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].attempts, 1);
	ck_assert_str_eq(l.v[0].last_error, "mailer said no");
	outbox_list_free(&l);
	ck_assert_int_eq(outbox_mark_sent(fx, id, 1001), 0);
	ck_assert_int_eq(outbox_mark_sent(fx, id, 1002), SLUICE_ENOTFOUND);
	ck_assert_int_eq(outbox_due(fx, INT64_MAX / 2, 0, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	outbox_list_free(&l);
	/* sent or not, the key stays used: the scheduler sends once */
	ck_assert_int_eq(outbox_enqueue(fx, "expiry-30:NIC-123456-A1B2C:1",
	    "a@example.org", "s", "b", NULL), SLUICE_EEXIST);
}
END_TEST

/* A message in delivery is not due again until it is marked sent, failed,
 * or no longer in delivery; the engine finds it after a crash. */
START_TEST(test_outbox_delivering)
{
	struct outbox_list l;
	int64_t id = 0, id2 = 0;

	ck_assert_int_eq(outbox_enqueue(fx, "k1", "a@example.org", "s1", "b",
	    &id), 0);
	ck_assert_int_eq(outbox_enqueue(fx, "k2", "b@example.org", "s2", "b",
	    &id2), 0);
	ck_assert_int_eq(outbox_set_delivering(fx, id, 1), 0);
	ck_assert_int_eq(outbox_set_delivering(fx, id, 1), SLUICE_ENOTFOUND);
	ck_assert_int_eq(outbox_due(fx, INT64_MAX / 2, 0, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].id, id2);
	outbox_list_free(&l);
	ck_assert_int_eq(outbox_delivering(fx, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].dedupe_key, "k1");
	outbox_list_free(&l);
	/* given back: due again, attempts untouched */
	ck_assert_int_eq(outbox_set_delivering(fx, id, 0), 0);
	ck_assert_int_eq(outbox_due(fx, INT64_MAX / 2, 0, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.v[0].attempts, 0);
	outbox_list_free(&l);
	/* a verdict ends the delivery */
	ck_assert_int_eq(outbox_set_delivering(fx, id, 1), 0);
	ck_assert_int_eq(outbox_set_delivering(fx, id2, 1), 0);
	ck_assert_int_eq(outbox_mark_sent(fx, id, 1001), 0);
	ck_assert_int_eq(outbox_mark_failed(fx, id2, "no", 1000), 0);
	ck_assert_int_eq(outbox_delivering(fx, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	outbox_list_free(&l);
	ck_assert_int_eq(outbox_set_delivering(fx, id, 1), SLUICE_ENOTFOUND);
	ck_assert_int_eq(outbox_due(fx, 1000, 0, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].id, id2);
	outbox_list_free(&l);
}
END_TEST

START_TEST(test_agreement_versions)
{
	struct agreement a;
	struct agreement_list l;
	char why[256] = "";
	int64_t op, v1, v2 = 0;
	int ver = 0;

	add_org("RX1");
	op = fx_staff("olga", ROLE_OPERATOR, 1);
	v1 = add_agreement("NIC-123456-A1B2C", "RX1", op);
	ck_assert_int_eq(agreement_get(fx, "NIC-123456-A1B2C", 0, &a), 0);
	ck_assert_int_eq(a.version, 1);
	ck_assert_int_eq(a.state, AG_AWAITING_SIGNATURES);
	ck_assert_uint_eq(a.document_len, sizeof(doc1) - 1);
	ck_assert_mem_eq(a.document, doc1, sizeof(doc1) - 1);
	ck_assert_str_eq(a.datasets, "HES,ONS");
	ck_assert_int_eq(a.expires, day("2026-12-31"));
	agreement_clear(&a);
	/* same NIC again */
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(agreement_add_version(fx, "NIC-123456-A1B2C",
	    day("2027-12-31"), doc2, sizeof(doc2) - 1, op, &v2, &ver, why,
	    sizeof(why)), SLUICE_ESTATE);
	ck_assert_str_eq(why, "NIC-123456-A1B2C version 1 is still "
	    "awaiting-signatures");
	ck_assert_int_eq(agreement_set_state(fx, v1, AG_SIGNED), 0);
	ck_assert_int_eq(agreement_set_state(fx, v1, AG_LIVE), 0);
	ck_assert_int_eq(agreement_add_version(fx, "NIC-123456-A1B2C",
	    day("2027-12-31"), doc2, sizeof(doc2) - 1, op, &v2, &ver, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(ver, 2);
	/* until version 2 is signed, version 1 governs */
	ck_assert_int_eq(agreement_governing(fx, "NIC-123456-A1B2C", &a), 0);
	ck_assert_int_eq(a.version, 1);
	ck_assert_int_eq(a.id, v1);
	ck_assert_int_eq(a.state, AG_LIVE);
	ck_assert_int_eq(a.expires, day("2026-12-31"));
	agreement_clear(&a);
	ck_assert_int_eq(agreement_get(fx, "NIC-123456-A1B2C", 0, &a), 0);
	ck_assert_int_eq(a.version, 2);
	ck_assert_int_eq(a.state, AG_AWAITING_SIGNATURES);
	ck_assert_str_eq(a.title, "Cancer outcomes");
	ck_assert_int_eq(a.starts, day("2026-01-01"));
	ck_assert_int_eq(a.expires, day("2027-12-31"));
	ck_assert_mem_eq(a.document, doc2, sizeof(doc2) - 1);
	agreement_clear(&a);
	ck_assert_int_eq(agreement_list(fx, AGREEMENT_ANY_STATE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].version, 1);
	ck_assert_ptr_null(l.v[0].document);
	agreement_list_free(&l);
	ck_assert_int_eq(agreement_set_state(fx, v2, AG_SIGNED), 0);
	ck_assert_int_eq(agreement_governing(fx, "NIC-123456-A1B2C", &a), 0);
	ck_assert_int_eq(a.version, 2);
	agreement_clear(&a);
	ck_assert_int_eq(agreement_list(fx, AG_LIVE, "RX1", 0, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].version, 1);
	agreement_list_free(&l);
	ck_assert_int_eq(agreement_list(fx, AG_LIVE, NULL,
	    AGREEMENT_LIST_GOVERNING, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	agreement_list_free(&l);
	/* NIC + version unique; a new NIC with add is refused once taken */
	ck_assert_int_eq(raw_sql("INSERT INTO agreements SELECT NULL, nic, "
	    "version, org_id, title, purpose, legal_basis, datasets, starts, "
	    "expires, state, document, document_sha256, created_by, created_at, "
	    "state_changed_at FROM agreements WHERE version = 2"),
	    SQLITE_CONSTRAINT);
	memset(&a, 0, sizeof(a));
	snprintf(a.nic, sizeof(a.nic), "NIC-123456-A1B2C");
	snprintf(a.org, sizeof(a.org), "RX1");
	a.title = a.purpose = a.legal_basis = a.datasets = "t";
	a.document = (uint8_t *)(uintptr_t)doc1;
	a.document_len = 3;
	a.created_by = op;
	ck_assert_int_eq(agreement_add(fx, &a, NULL, why, sizeof(why)),
	    SLUICE_EEXIST);
	snprintf(a.nic, sizeof(a.nic), "NIC-12345-A1B2C");
	ck_assert_int_eq(agreement_add(fx, &a, NULL, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "NIC-12345-A1B2C: a NIC reference is NIC-, six "
	    "digits, -, five upper-case letters or digits (e.g. NIC-123456-A1B2C)");
}
END_TEST

START_TEST(test_signatories_and_signatures)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct signatory g, got;
	struct signatory_list l;
	struct agreement_sig sg, sg2;
	char why[256] = "";
	int64_t op, ag, gid = 0;

	add_org("RX1");
	add_org("AB2");
	op = fx_staff("olga", ROLE_OPERATOR, 1);
	memset(&g, 0, sizeof(g));
	snprintf(g.owner, sizeof(g.owner), "RX1");
	g.der = (uint8_t *)(uintptr_t)der;
	g.der_len = sizeof(der);
	snprintf(g.subject, sizeof(g.subject), "CN=Dr Signer");
	snprintf(g.issuer, sizeof(g.issuer), "CN=Test CA");
	snprintf(g.serial, sizeof(g.serial), "01");
	g.not_before = 1;
	g.not_after = 2;
	g.added_by = op;
	ck_assert_int_eq(signatory_add(fx, &g, &gid, why, sizeof(why)), 0);
	snprintf(g.owner, sizeof(g.owner), "%s", SIGNATORY_CONTROLLER);
	ck_assert_int_eq(signatory_add(fx, &g, NULL, why, sizeof(why)),
	    SLUICE_EEXIST);
	ck_assert_str_eq(why, "certificate is already registered to RX1");
	ck_assert_int_eq(signatory_get(fx, gid, &got), 0);
	ck_assert_str_eq(got.owner, "RX1");
	ck_assert_uint_eq(got.der_len, sizeof(der));
	/* sha256 of the five DER bytes above */
	ck_assert_str_eq(got.fingerprint, "1b65f68a522c858715f5dd951cd0402d"
	    "c16691778814bf0759822b7a257421d0");
	signatory_clear(&got);
	ck_assert_int_eq(signatory_list(fx, "controller", &l), 0);
	ck_assert_uint_eq(l.n, 0);
	signatory_list_free(&l);
	ck_assert_int_eq(signatory_list(fx, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	signatory_list_free(&l);

	ag = add_agreement("NIC-123456-A1B2C", "RX1", op);
	memset(&sg, 0, sizeof(sg));
	sg.agreement_id = ag;
	sg.party = PARTY_APPLICANT;
	sg.cms = (uint8_t *)(uintptr_t)der;
	sg.cms_len = sizeof(der);
	sg.signatory_id = gid;
	sg.uploaded_by = op;
	sg.verified_at = 5;
	ck_assert_int_eq(signature_add(fx, &sg, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(signature_add(fx, &sg, NULL, why, sizeof(why)),
	    SLUICE_EEXIST);
	ck_assert_str_eq(why, "the applicant has signed this version already");
	ck_assert_int_eq(signature_get(fx, ag, PARTY_APPLICANT, &sg2), 0);
	ck_assert_int_eq(sg2.verified_at, 5);
	ck_assert_mem_eq(sg2.cms, der, sizeof(der));
	agreement_sig_clear(&sg2);
	ck_assert_int_eq(signature_get(fx, ag, PARTY_CONTROLLER, &sg2),
	    SLUICE_ENOTFOUND);
}
END_TEST

START_TEST(test_gate_facts)
{
	struct deletion_certificate c;
	struct download d;
	struct gate_facts f;
	uint8_t blob[32];
	struct store_key k = fx_key(blob, 9);
	char why[256] = "";
	int64_t op, ap, ag, pid = 0, rid = 0, n = -1;
	int acc = -1;

	add_org("RX1");
	ck_assert_int_eq(org_set_dspt(fx, "RX1", DSPT_EXCEEDED, day("2027-03-31")), 0);
	ck_assert_int_eq(contract_add(fx, "RX1", "DSFC-1", day("2026-01-01"),
	    day("2026-12-31"), NULL, why, sizeof(why)), 0);
	op = fx_staff("olga", ROLE_OPERATOR, 1);
	ap = fx_staff("adam", ROLE_APPROVER, 2);
	ck_assert_int_eq(person_add(fx, "RX1", "bob", "bob@rx1.example", &k, NULL,
	    &pid, why, sizeof(why)), 0);
	ag = add_agreement("NIC-123456-A1B2C", "RX1", op);
	ck_assert_int_eq(agreement_set_state(fx, ag, AG_LIVE), 0);
	stage(ag, "abcd", "cohort.csv", op);
	ck_assert_int_eq(release_add(fx, "abcd", ap, &(struct release_limits){
	    0, 0, 3 }, &rid, why, sizeof(why)), 0);
	memset(&d, 0, sizeof(d));
	d.release_id = rid;
	d.person_id = pid;
	snprintf(d.gate, sizeof(d.gate), "allow");
	ck_assert_int_eq(download_add(fx, &d, NULL), 0);
	snprintf(d.gate, sizeof(d.gate), "contract: no DSFC in force");
	ck_assert_int_eq(download_add(fx, &d, NULL), 0);
	ck_assert_int_eq(download_count(fx, rid, pid, 0, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(download_count(fx, rid, pid, 1, &n), 0);
	ck_assert_int_eq(n, 0);

	ck_assert_int_eq(store_gate_facts(fx, pid, rid, day("2026-06-01"), &f), 0);
	ck_assert_int_eq(f.recipient_known, 1);
	ck_assert_int_eq(f.recipient_active, 1);
	ck_assert_int_eq(f.recipient_org_matches, 1);
	ck_assert_int_eq(f.contract_present, 1);
	ck_assert_int_eq(f.contract_expires, day("2026-12-31"));
	ck_assert_int_eq(f.dspt, DSPT_EXCEEDED);
	ck_assert_int_eq(f.dspt_expires, day("2027-03-31"));
	ck_assert_int_eq(f.org_sanctioned, 0);
	ck_assert_int_eq(f.state, AG_LIVE);
	ck_assert_int_eq(f.applicant_signed, 0);
	ck_assert_int_eq(f.controller_signed, 0);
	ck_assert_int_eq(f.starts, day("2026-01-01"));
	ck_assert_int_eq(f.release_approved, 1);
	ck_assert_int_eq(f.stager_id, op);
	ck_assert_int_eq(f.approver_id, ap);
	ck_assert_int_eq(f.release_revoked, 0);
	ck_assert_int_eq(f.max_downloads, 3);
	ck_assert_int_eq(f.downloads, 1);
	ck_assert_int_eq(store_gate_facts(fx, pid, rid, day("2027-01-01"), &f), 0);
	ck_assert_int_eq(f.contract_present, 0);
	ck_assert_int_eq(store_gate_facts(fx, 999, rid, day("2026-06-01"), &f), 0);
	ck_assert_int_eq(f.recipient_known, 0);
	ck_assert_int_eq(store_gate_facts(fx, pid, 999, day("2026-06-01"), &f),
	    SLUICE_ENOTFOUND);

	memset(&c, 0, sizeof(c));
	c.agreement_id = ag;
	c.uploaded_by = pid;
	c.cms = blob;
	c.cms_len = 32;
	snprintf(c.reason, sizeof(c.reason), "signer not registered");
	ck_assert_int_eq(certificate_add(fx, &c, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(certificate_accepted(fx, ag, &acc), 0);
	ck_assert_int_eq(acc, 0);
	c.accepted = 1;
	c.reason[0] = '\0';
	c.destroyed_on = day("2027-01-05");
	ck_assert_int_eq(certificate_add(fx, &c, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(certificate_accepted(fx, ag, &acc), 0);
	ck_assert_int_eq(acc, 1);
	{
		struct certificate_list l;

		ck_assert_int_eq(certificate_list(fx, "NIC-123456-A1B2C", &l), 0);
		ck_assert_uint_eq(l.n, 2);
		ck_assert_int_eq(l.v[0].accepted, 0);
		ck_assert_str_eq(l.v[0].reason, "signer not registered");
		ck_assert_int_eq(l.v[1].destroyed_on, day("2027-01-05"));
		certificate_list_free(&l);
	}
}
END_TEST

START_TEST(test_transactions)
{
	struct org o;

	ck_assert_int_eq(store_begin(fx), 0);
	ck_assert_int_eq(store_begin(fx), SLUICE_ESTATE);
	add_org("RX1");
	ck_assert_int_eq(store_rollback(fx), 0);
	ck_assert_int_eq(org_get(fx, "RX1", &o), SLUICE_ENOTFOUND);
	ck_assert_int_eq(store_begin(fx), 0);
	add_org("RX1");
	ck_assert_int_eq(store_commit(fx), 0);
	ck_assert_int_eq(org_get(fx, "RX1", &o), 0);
	ck_assert_int_eq(store_commit(fx), SLUICE_ESTATE);
	ck_assert_int_eq(store_rollback(fx), 0);
}
END_TEST

/* A stand-in for audit.c's chain hash: the store only stores it. */
static int
fixed_hash(const struct audit_entry *e, char out[65])
{
	(void)e;
	memset(out, 'a', 64);
	out[64] = '\0';
	return 0;
}

/* Calls other store functions (fine) and the walk itself (refused: its
 * prepared statement is in use). */
static int
nested_walk(void *arg, const struct audit_entry *e)
{
	struct org o;

	(void)e;
	ck_assert_int_eq(org_get(fx, "RX1", &o), 0);
	*(int *)arg = store_audit_each(fx, 0, nested_walk, arg);
	return 0;
}

START_TEST(test_statements_reused)
{
	struct audit_entry e;
	struct org o;
	int i, nested = 0;

	add_org("RX1");
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(org_get(fx, "RX1", &o), 0);
	ck_assert_int_eq(org_get(fx, "ZZZ", &o), SLUICE_ENOTFOUND);
	memset(&e, 0, sizeof(e));
	e.actor = e.action = e.subject = e.details = "t";
	snprintf(e.outcome, sizeof(e.outcome), "ok");
	ck_assert_int_eq(store_audit_append(fx, &e, fixed_hash), 0);
	ck_assert_int_eq(store_audit_each(fx, 0, nested_walk, &nested), 0);
	ck_assert_int_eq(nested, SLUICE_ESTATE);
	/* and the walk is usable again afterwards */
	nested = 0;
	ck_assert_int_eq(store_audit_each(fx, 0, nested_walk, &nested), 0);
	ck_assert_int_eq(nested, SLUICE_ESTATE);
}
END_TEST

/* The staff's roles and activity as staff_list() reads them, "user:roles:
 * active ..." in user order. */
static void
staff_state(char *out, size_t outlen)
{
	struct staff_list l;
	size_t i, off = 0;

	ck_assert_int_eq(staff_list(fx, &l), 0);
	out[0] = '\0';
	for (i = 0; i < l.n; i++) {
		ck_assert_str_eq(l.v[i].email, "staff@example.org");
		off += (size_t)snprintf(out + off, outlen - off, "%s:%u:%d ",
		    l.v[i].user, l.v[i].roles, l.v[i].active);
		ck_assert_uint_lt(off, outlen);
	}
	staff_list_free(&l);
}

static int64_t
admins(void)
{
	int64_t n = -1;

	ck_assert_int_eq(staff_count_active_admins(fx, &n), 0);
	return n;
}

START_TEST(test_staff_active_and_roles)
{
	char before[256], after[256];
	uint8_t blob[32];
	struct store_key k = fx_key(blob, 9);
	char why[256] = "";

	add_org("RX1");
	fx_staff("alice", ROLE_OPERATOR | ROLE_ADMIN, 1);
	fx_staff("bob", ROLE_ADMIN, 2);
	fx_staff("carol", ROLE_OPERATOR, 3);
	ck_assert_int_eq(person_add(fx, "RX1", "rita", "r@rx1.example", &k, NULL,
	    NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(admins(), 2);
	ck_assert_int_eq(staff_set_active(fx, "bob", 0), 0);
	ck_assert_int_eq(admins(), 1);
	ck_assert_int_eq(staff_set_roles(fx, "alice", ROLE_OPERATOR), 0);
	ck_assert_int_eq(admins(), 0);
	ck_assert_int_eq(staff_set_roles(fx, "carol", ROLE_APPROVER | ROLE_ADMIN),
	    0);
	ck_assert_int_eq(admins(), 1);
	ck_assert_int_eq(staff_set_active(fx, "bob", 1), 0);
	ck_assert_int_eq(admins(), 2);
	staff_state(before, sizeof(before));
	ck_assert_str_eq(before, "alice:1:1 bob:8:1 carol:10:1 ");
	/* refusals change nothing */
	ck_assert_int_eq(staff_set_active(fx, "nobody", 0), SLUICE_ENOTFOUND);
	ck_assert_int_eq(staff_set_active(fx, "rita", 0), SLUICE_ENOTFOUND);
	ck_assert_int_eq(staff_set_roles(fx, "nobody", ROLE_ADMIN),
	    SLUICE_ENOTFOUND);
	ck_assert_int_eq(staff_set_roles(fx, "rita", ROLE_ADMIN),
	    SLUICE_ENOTFOUND);
	ck_assert_int_eq(staff_set_roles(fx, "bob", 0), SLUICE_EINVAL);
	ck_assert_int_eq(staff_set_roles(fx, "bob", ROLE_RECIPIENT),
	    SLUICE_EINVAL);
	ck_assert_int_eq(staff_set_roles(fx, "bob", ROLE_ADMIN | 32),
	    SLUICE_EINVAL);
	staff_state(after, sizeof(after));
	ck_assert_str_eq(after, before);
	/* person_set_active: only recipients, unknown names not found */
	ck_assert_int_eq(person_set_active(fx, "nobody", 0), SLUICE_ENOTFOUND);
	ck_assert_int_eq(person_set_active(fx, "alice", 0), SLUICE_ENOTFOUND);
	ck_assert_int_eq(person_set_active(fx, "a-name-longer-than-sixty-four-"
	    "characters-is-not-one-the-store-can-hold-at-all", 0),
	    SLUICE_ENOTFOUND);
	staff_state(after, sizeof(after));
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM people WHERE "
	    "active = 1"), 1);
}
END_TEST

START_TEST(test_person_age_recipient)
{
	struct person_list l;
	uint8_t blob[32];
	struct store_key k = fx_key(blob, 9);
	char why[256] = "";

	add_org("RX1");
	ck_assert_int_eq(person_add(fx, "RX1", "rita", "r@rx1.example", &k, NULL,
	    NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(person_set_age_recipient(fx, "rita", "age1qqqq"), 0);
	ck_assert_int_eq(person_set_active(fx, "rita", 0), 0);
	ck_assert_int_eq(person_list(fx, NULL, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].user, "rita");
	ck_assert_str_eq(l.v[0].org, "RX1");
	ck_assert_str_eq(l.v[0].email, "r@rx1.example");
	ck_assert_int_eq(l.v[0].active, 0);
	ck_assert_str_eq(l.v[0].age_recipient, "age1qqqq");
	person_list_free(&l);
	/* refusals change nothing */
	ck_assert_int_eq(person_set_age_recipient(fx, "rita", "ssh-ed25519 AAA"),
	    SLUICE_EINVAL);
	ck_assert_int_eq(person_set_age_recipient(fx, "nobody", "age1zzzz"),
	    SLUICE_ENOTFOUND);
	fx_staff("alice", ROLE_ADMIN, 1);
	ck_assert_int_eq(person_set_age_recipient(fx, "alice", "age1zzzz"),
	    SLUICE_ENOTFOUND);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM people WHERE "
	    "age_recipient = 'age1qqqq'"), 1);
	/* "" is none, stored as person_add() stores none */
	ck_assert_int_eq(person_set_age_recipient(fx, "rita", ""), 0);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM people WHERE "
	    "age_recipient IS NULL"), 1);
	ck_assert_int_eq(person_list(fx, "RX1", &l), 0);
	ck_assert_str_eq(l.v[0].age_recipient, "");
	person_list_free(&l);
}
END_TEST

/* A well-formed ssh-ed25519 wire blob; n makes it distinct. */
static size_t
ed25519_blob(uint8_t b[51], int n)
{
	memcpy(b, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	memset(b + 19, 0x40, 32);
	b[50] = (uint8_t)n;
	return 51;
}

/* owner has one key, blob; a real one has its type and fingerprint. */
static void
assert_only_key(enum identity_kind kind, int64_t owner, const uint8_t *blob,
    size_t len)
{
	struct key_list l;
	char fp[SSHKEY_FP_SIZE];

	ck_assert_int_eq(key_list(fx, kind, owner, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.v[0].len, len);
	ck_assert_mem_eq(l.v[0].blob, blob, len);
	if (len == 51) {
		ck_assert_int_eq(sshkey_fingerprint(blob, len, fp), 0);
		ck_assert_str_eq(l.v[0].fingerprint, fp);
		ck_assert_str_eq(l.v[0].type, "ssh-ed25519");
	}
	key_list_free(&l);
}

START_TEST(test_identity_replace_key)
{
	uint8_t old1[32], old2[32], k5[51], k6[51];
	struct store_key k = fx_key(old1, 1);
	struct identity id;
	char why[256] = "";
	int64_t alice, pid = 0;

	add_org("RX1");
	ck_assert_int_eq(person_add(fx, "RX1", "bob", "bob@rx1.example", &k,
	    NULL, &pid, why, sizeof(why)), 0);
	alice = fx_staff("alice", ROLE_ADMIN, 2);
	(void)fx_key(old2, 2);		/* alice's first key */
	/* alice has a second key: replacing leaves only the new one */
	ck_assert_int_eq(raw_sql("INSERT INTO keys (blob, type, fingerprint, "
	    "staff_id, added_at) VALUES (x'0102', 't', 'f', 1, 0)"), SQLITE_OK);
	ck_assert_int_eq(identity_replace_key(fx, "bob", k5,
	    ed25519_blob(k5, 5), why, sizeof(why)), 0);
	assert_only_key(IDENTITY_RECIPIENT, pid, k5, sizeof(k5));
	ck_assert_int_eq(identity_by_key(fx, k5, sizeof(k5), &id), 0);
	ck_assert_str_eq(id.user, "bob");
	ck_assert_int_eq(identity_by_key(fx, old1, 32, &id), SLUICE_ENOTFOUND);

	/* refusals change nothing */
	ck_assert_int_eq(identity_replace_key(fx, "alice", k5, sizeof(k5), why,
	    sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "key is already registered to recipient bob");
	ck_assert_int_eq(identity_replace_key(fx, "bob", k5, sizeof(k5), why,
	    sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "key is already registered to recipient bob");
	ck_assert_int_eq(identity_replace_key(fx, "nobody", k6,
	    ed25519_blob(k6, 6), why, sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no user nobody");
	ck_assert_int_eq(identity_replace_key(fx, "alice", old1, 32, why,
	    sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "no usable key");
	ck_assert_int_eq(identity_replace_key(fx, "alice", NULL, 0, why,
	    sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "no usable key");
	ck_assert_int_eq(raw_count("SELECT count(*) FROM keys WHERE "
	    "staff_id = 1"), 2);
	assert_only_key(IDENTITY_RECIPIENT, pid, k5, sizeof(k5));

	/* inside the caller's transaction: its rollback undoes it */
	ck_assert_int_eq(store_begin(fx), 0);
	ck_assert_int_eq(identity_replace_key(fx, "alice", k6, sizeof(k6), why,
	    sizeof(why)), 0);
	ck_assert_int_eq(store_rollback(fx), 0);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM keys WHERE "
	    "staff_id = 1"), 2);
	ck_assert_int_eq(store_begin(fx), 0);
	ck_assert_int_eq(identity_replace_key(fx, "alice", k6, sizeof(k6), why,
	    sizeof(why)), 0);
	ck_assert_int_eq(store_commit(fx), 0);
	assert_only_key(IDENTITY_STAFF, alice, k6, sizeof(k6));
	ck_assert_int_eq(identity_by_key(fx, old2, 32, &id), SLUICE_ENOTFOUND);
	ck_assert_int_eq(identity_replace_key(fx, "bob", k6, sizeof(k6), why,
	    sizeof(why)), SLUICE_EEXIST);
	ck_assert_str_eq(why, "key is already registered to staff alice");
}
END_TEST

static int64_t
add_signatory(const char *owner, uint8_t der_last, const char *serial,
    int64_t by)
{
	uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct signatory g;
	char why[256] = "";
	int64_t id = 0;

	der[4] = der_last;
	memset(&g, 0, sizeof(g));
	snprintf(g.owner, sizeof(g.owner), "%s", owner);
	g.der = der;
	g.der_len = sizeof(der);
	snprintf(g.subject, sizeof(g.subject), "CN=Signer %u", der_last);
	snprintf(g.issuer, sizeof(g.issuer), "CN=Test CA");
	snprintf(g.serial, sizeof(g.serial), "%s", serial);
	g.not_before = 1;
	g.not_after = 2;
	g.added_by = by;
	ck_assert_msg(signatory_add(fx, &g, &id, why, sizeof(why)) == 0, "%s",
	    why);
	return id;
}

static int64_t
signatory_revoked_at(int64_t id)
{
	struct signatory g;
	int64_t at;

	ck_assert_int_eq(signatory_get(fx, id, &g), 0);
	at = g.revoked_at;
	if (at == 0)
		ck_assert_str_eq(g.revoke_reason, "");
	signatory_clear(&g);
	return at;
}

START_TEST(test_signatory_revoke)
{
	struct signatory_list l;
	char why[256] = "";
	int64_t op, rx, ctl;

	add_org("RX1");
	add_org("AB2");
	op = fx_staff("olga", ROLE_ADMIN, 1);
	rx = add_signatory("RX1", 1, "0A1B", op);
	ctl = add_signatory(SIGNATORY_CONTROLLER, 2, "0A1B", op);
	ck_assert_int_eq(signatory_revoke(fx, "RX1", "0a1b", 1000, op,
	    "key compromised", why, sizeof(why)), 0);
	ck_assert_int_eq(signatory_list(fx, "RX1", &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_int_eq(l.v[0].revoked_at, 1000);
	ck_assert_int_eq(l.v[0].revoked_by, op);
	ck_assert_str_eq(l.v[0].revoke_reason, "key compromised");
	ck_assert_str_eq(l.v[0].serial, "0A1B");
	signatory_list_free(&l);
	ck_assert_int_eq(signatory_revoked_at(ctl), 0);

	/* refusals change nothing */
	ck_assert_int_eq(signatory_revoke(fx, "RX1", "0A1B", 2000, op, "again",
	    why, sizeof(why)), SLUICE_ESTATE);
	ck_assert_str_eq(why, "signatory 0A1B of RX1 is already revoked");
	ck_assert_int_eq(signatory_revoke(fx, "RX1", "FF", 2000, op, "r", why,
	    sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no signatory FF for RX1");
	ck_assert_int_eq(signatory_revoke(fx, "AB2", "0A1B", 2000, op, "r", why,
	    sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no signatory 0A1B for AB2");
	ck_assert_int_eq(signatory_revoke(fx, "controller", "0A1B", 2000, op, "",
	    why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "a revocation needs a reason");
	ck_assert_int_eq(signatory_revoke(fx, "controller", "0A1B", 2000, 77,
	    "r", why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "cannot revoke signatory: FOREIGN KEY constraint "
	    "failed");
	ck_assert_int_eq(signatory_revoke(fx, "controller", "0A1B", 0, op, "r",
	    why, sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "bad revocation");
	ck_assert_int_eq(signatory_revoked_at(ctl), 0);
	ck_assert_int_eq(signatory_revoked_at(rx), 1000);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM signatories WHERE "
	    "revoke_reason = 'key compromised' AND revoked_at = 1000"), 1);
	/* the schema: all three revocation columns or none */
	ck_assert_int_eq(raw_sql("UPDATE signatories SET revoked_at = 5 WHERE "
	    "revoked_at IS NULL"), SQLITE_CONSTRAINT);
	ck_assert_int_eq(signatory_revoke(fx, "controller", "0A1B", 3000, op,
	    "retired", why, sizeof(why)), 0);
	ck_assert_int_eq(signatory_revoked_at(ctl), 3000);
}
END_TEST

START_TEST(test_agreement_end)
{
	struct agreement a;
	int64_t op, ag;

	add_org("RX1");
	op = fx_staff("olga", ROLE_OPERATOR, 1);
	ag = add_agreement("NIC-123456-A1B2C", "RX1", op);
	ck_assert_int_eq(agreement_set_state(fx, ag, AG_LIVE), 0);
	/* before it starts: the CHECK refuses, nothing changes */
	ck_assert_int_eq(agreement_end(fx, ag, day("2025-12-31")), SLUICE_EINVAL);
	ck_assert_int_eq(agreement_end(fx, 999, day("2026-06-30")),
	    SLUICE_ENOTFOUND);
	ck_assert_int_eq(agreement_get(fx, "NIC-123456-A1B2C", 1, &a), 0);
	ck_assert_int_eq(a.state, AG_LIVE);
	ck_assert_int_eq(a.expires, day("2026-12-31"));
	agreement_clear(&a);
	ck_assert_int_eq(agreement_end(fx, ag, day("2026-01-01")), 0);
	ck_assert_int_eq(agreement_get(fx, "NIC-123456-A1B2C", 1, &a), 0);
	ck_assert_int_eq(a.state, AG_EXPIRED);
	ck_assert_int_eq(a.expires, day("2026-01-01"));
	ck_assert_int_eq(a.starts, day("2026-01-01"));
	agreement_clear(&a);
}
END_TEST

#define EX1 "00112233445566778899aabbccddeeff"
#define EX2 "ffeeddccbbaa99887766554433221100"

START_TEST(test_extract_discard)
{
	struct extract_list l;
	struct extract e;
	char why[256] = "";
	int64_t op, ap, ag, rid = 0;
	int released = -1;

	add_org("RX1");
	op = fx_staff("olga", ROLE_OPERATOR, 1);
	ap = fx_staff("adam", ROLE_APPROVER, 2);
	ag = add_agreement("NIC-123456-A1B2C", "RX1", op);
	stage(ag, EX1, "cohort.csv", op);
	stage(ag, EX2, "extra.csv", op);
	ck_assert_int_eq(extract_list(fx, "NIC-123456-A1B2C", &l), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].id, EX1);
	ck_assert_str_eq(l.v[0].nic, "NIC-123456-A1B2C");
	ck_assert_str_eq(l.v[0].name, "cohort.csv");
	ck_assert_uint_eq(l.v[0].plain_size, 1000);
	ck_assert_uint_eq(l.v[0].payload_size, 1100);
	ck_assert_uint_eq(strlen(l.v[0].sha256), 64);
	ck_assert_int_eq(l.v[0].staged_by, op);
	ck_assert_str_eq(l.v[0].staged_by_user, "olga");
	ck_assert_int_ne(l.v[0].staged_at, 0);
	extract_list_free(&l);
	ck_assert_int_eq(release_add(fx, EX1, ap, NULL, &rid, why, sizeof(why)),
	    0);
	ck_assert_int_eq(extract_released(fx, EX1, &released), 0);
	ck_assert_int_eq(released, 1);
	ck_assert_int_eq(extract_released(fx, EX2, &released), 0);
	ck_assert_int_eq(released, 0);
	ck_assert_int_eq(extract_released(fx, "abcdef", &released), 0);
	ck_assert_int_eq(released, 0);

	/* refusals change nothing */
	ck_assert_int_eq(extract_discard(fx, EX1, why, sizeof(why)),
	    SLUICE_ESTATE);
	ck_assert_str_eq(why, "extract " EX1 " has been released: revoke the "
	    "release instead");
	ck_assert_int_eq(release_revoke(fx, rid, ap, "wrong", why, sizeof(why)),
	    0);
	ck_assert_int_eq(extract_released(fx, EX1, &released), 0);
	ck_assert_int_eq(released, 1);
	ck_assert_int_eq(extract_discard(fx, EX1, why, sizeof(why)),
	    SLUICE_ESTATE);
	ck_assert_str_eq(why, "extract " EX1 " has been released: revoke the "
	    "release instead");
	ck_assert_int_eq(extract_discard(fx, "abcdef", why, sizeof(why)),
	    SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no extract abcdef");
	ck_assert_int_eq(raw_count("SELECT count(*) FROM extracts"), 2);

	ck_assert_int_eq(extract_discard(fx, EX2, why, sizeof(why)), 0);
	ck_assert_int_eq(extract_get(fx, EX2, &e), SLUICE_ENOTFOUND);
	ck_assert_int_eq(extract_get(fx, EX1, &e), 0);
	ck_assert_str_eq(e.staged_by_user, "olga");
	ck_assert_int_eq(extract_discard(fx, EX2, why, sizeof(why)),
	    SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "no extract " EX2);
}
END_TEST

#define INBOX_A	"0123456789abcdef0123456789abcdef"
#define INBOX_B	"fedcba9876543210fedcba9876543210"

static struct inbox_file
inbox_of(const char *id, int64_t staff, const char *name, uint64_t size)
{
	struct inbox_file f;

	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "%s", id);
	f.staff_id = staff;
	snprintf(f.name, sizeof(f.name), "%s", name);
	f.plain_size = size;
	memset(f.sha256, 'a', 64);
	memset(f.wrapped_key, 7, 56);
	f.wrapped_len = 56;
	return f;
}

/* One row per (staff member, name): a new upload displaces the old row and
 * names it; rows are listed per member or for all; bad ones refused. */
START_TEST(test_inbox_files)
{
	struct inbox_file f, got;
	struct inbox_file_list l = { NULL, 0 };
	char why[256] = "", old[STORE_INBOX_ID_MAX] = "x";
	int64_t olga = fx_staff("olga", ROLE_OPERATOR, 1);
	int64_t otto = fx_staff("otto", ROLE_OPERATOR, 2);

	f = inbox_of(INBOX_A, olga, "a.csv", 10);
	ck_assert_int_eq(inbox_file_put(fx, &f, old, why, sizeof(why)), 0);
	ck_assert_str_eq(old, "");
	f = inbox_of(INBOX_B, olga, "a.csv", 20);
	ck_assert_int_eq(inbox_file_put(fx, &f, old, why, sizeof(why)), 0);
	ck_assert_str_eq(old, INBOX_A);
	ck_assert_int_eq(inbox_file_get(fx, olga, "a.csv", &got), 0);
	ck_assert_str_eq(got.id, INBOX_B);
	ck_assert_uint_eq(got.plain_size, 20);
	ck_assert_uint_eq(got.wrapped_len, 56);
	ck_assert_mem_eq(got.wrapped_key, f.wrapped_key, 56);
	ck_assert_int_eq(inbox_file_get(fx, otto, "a.csv", &got),
	    SLUICE_ENOTFOUND);
	f = inbox_of(INBOX_A, otto, "b.csv", 30);
	ck_assert_int_eq(inbox_file_put(fx, &f, old, why, sizeof(why)), 0);
	ck_assert_int_eq(inbox_file_list(fx, otto, &l), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].name, "b.csv");
	inbox_file_list_free(&l);
	ck_assert_int_eq(inbox_file_list(fx, 0, &l), 0);
	ck_assert_uint_eq(l.n, 2);
	inbox_file_list_free(&l);
	/* the same id twice, a bad name, a bad id: refused, nothing kept */
	f = inbox_of(INBOX_A, olga, "c.csv", 1);
	ck_assert_int_eq(inbox_file_put(fx, &f, old, why, sizeof(why)),
	    SLUICE_EEXIST);
	ck_assert_str_eq(old, "");
	f = inbox_of(INBOX_A, olga, "../c", 1);
	ck_assert_int_eq(inbox_file_put(fx, &f, old, why, sizeof(why)),
	    SLUICE_EINVAL);
	f = inbox_of("../x", olga, "c.csv", 1);
	ck_assert_int_eq(inbox_file_put(fx, &f, old, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_int_eq(inbox_file_delete(fx, INBOX_B), 0);
	ck_assert_int_eq(inbox_file_delete(fx, INBOX_B), SLUICE_ENOTFOUND);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM inbox_files"), 1);
}
END_TEST

/* Turns the store on disk back into schema version 1: no inbox files (4),
 * no outbox delivering (3), signatories without the revocation columns
 * (version 1's table, less its fingerprint CHECK). */
static void
downgrade_to_v1(void)
{
	ck_assert_int_eq(raw_sql(
	    "DROP TABLE inbox_files;"
	    "CREATE TABLE sg1 (id INTEGER PRIMARY KEY,"
	    "  org_id INTEGER REFERENCES orgs(id), der BLOB NOT NULL,"
	    "  fingerprint TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,"
	    "  issuer TEXT NOT NULL, serial TEXT NOT NULL,"
	    "  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
	    "  added_by INTEGER NOT NULL REFERENCES staff(id),"
	    "  added_at INTEGER NOT NULL) STRICT;"
	    "INSERT INTO sg1 SELECT id, org_id, der, fingerprint, subject, "
	    "  issuer, serial, not_before, not_after, added_by, added_at "
	    "  FROM signatories;"
	    "DROP TABLE signatories;"
	    "ALTER TABLE sg1 RENAME TO signatories;"
	    "ALTER TABLE outbox DROP COLUMN delivering;"
	    "PRAGMA user_version = 1;"), SQLITE_OK);
}

START_TEST(test_migration_from_v1)
{
	char why[256] = "";
	int64_t op, gid;
	int v = 0;

	add_org("RX1");
	op = fx_staff("olga", ROLE_ADMIN, 1);
	gid = add_signatory("RX1", 1, "0A1B", op);
	store_close(fx);
	fx = NULL;
	downgrade_to_v1();
	ck_assert_int_eq(raw_count("PRAGMA user_version"), 1);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM pragma_table_info("
	    "'signatories') WHERE name = 'revoked_at'"), 0);
	ck_assert_msg(store_open(fx_path, &fx, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(store_schema_version(fx, &v), 0);
	ck_assert_int_eq(v, STORE_SCHEMA_VERSION);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM pragma_table_info("
	    "'outbox') WHERE name = 'delivering'"), 1);
	ck_assert_int_eq(raw_count("SELECT count(*) FROM pragma_table_info("
	    "'signatories') WHERE name IN ('revoked_at', 'revoked_by', "
	    "'revoke_reason')"), 3);
	/* the old row reads as not revoked, and can be */
	ck_assert_int_eq(signatory_revoked_at(gid), 0);
	ck_assert_int_eq(raw_sql("UPDATE signatories SET revoked_by = 1"),
	    SQLITE_CONSTRAINT);
	ck_assert_int_eq(signatory_revoke(fx, "RX1", "0A1B", 7, op, "old", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(signatory_revoked_at(gid), 7);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_migrations_from_empty);
	tcase_add_test(tc, test_reopen_idempotent);
	tcase_add_test(tc, test_newer_store_refused);
	tcase_add_test(tc, test_not_a_store_refused);
	tcase_add_test(tc, test_foreign_keys);
	tcase_add_test(tc, test_contracts);
	tcase_add_test(tc, test_orgs);
	tcase_add_test(tc, test_key_twice_refused);
	tcase_add_test(tc, test_four_eyes);
	tcase_add_test(tc, test_outbox_dedupe);
	tcase_add_test(tc, test_outbox_delivering);
	tcase_add_test(tc, test_agreement_versions);
	tcase_add_test(tc, test_signatories_and_signatures);
	tcase_add_test(tc, test_gate_facts);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_statements_reused);
	tcase_add_test(tc, test_staff_active_and_roles);
	tcase_add_test(tc, test_person_age_recipient);
	tcase_add_test(tc, test_identity_replace_key);
	tcase_add_test(tc, test_signatory_revoke);
	tcase_add_test(tc, test_agreement_end);
	tcase_add_test(tc, test_extract_discard);
	tcase_add_test(tc, test_migration_from_v1);
	tcase_add_test(tc, test_inbox_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(store_suite());
}
