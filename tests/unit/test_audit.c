/*
 * test_audit.c: the hash-chained audit log - append and verify, and each
 * kind of tampering (an edit, a removal, a swap) found and named by entry id,
 * by an attacker who drops the append-only triggers first.
 */
#include <sqlite3.h>
#include <sodium.h>

#include "engine/audit.h"
#include "sluice/buf.h"
#include "sluice/clock.h"
#include "store_fixture.h"
#include "suite_run.h"

static void
append_ten(void)
{
	char subject[32], details[64];
	int64_t id = 0;
	int i;

	for (i = 1; i <= 10; i++) {
		snprintf(subject, sizeof(subject), "NIC-00000%d-AAAAA", i % 10);
		snprintf(details, sizeof(details), "entry number %d", i);
		ck_assert_int_eq(audit_append(fx, "alice", "agreement show",
		    subject, i % 2 ? "ok" : "refused", details, &id), 0);
		ck_assert_int_eq(id, i);
	}
}

/* Tampers with the file directly, as someone with the file would. */
static void
attack(const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open(fx_path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, "DROP TRIGGER audit_no_update;"
	    "DROP TRIGGER audit_no_delete;", NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "%s", err ? err : "");
	rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "%s", err ? err : "");
	ck_assert_int_gt(sqlite3_changes(db), 0);
	sqlite3_close(db);
}

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

/* After the attack sql on ten entries, verify finds entry want_bad and
 * names it with want_why. */
static void
expect_found(const char *sql, int64_t want_bad, const char *want_why)
{
	char why[256] = "";
	int64_t bad = -1;

	append_ten();
	attack(sql);
	ck_assert_int_eq(audit_verify(fx, &bad, NULL, why, sizeof(why)),
	    SLUICE_EVERIFY);
	ck_assert_int_eq(bad, want_bad);
	ck_assert_str_eq(why, want_why);
}

START_TEST(test_append_verify)
{
	struct audit_entry e;
	char why[256] = "";
	int64_t bad = -1, n = -1;

	ck_assert_int_eq(audit_verify(fx, &bad, &n, why, sizeof(why)), 0);
	ck_assert_int_eq(n, 0);
	append_ten();
	ck_assert_int_eq(audit_verify(fx, &bad, &n, why, sizeof(why)), 0);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(n, 10);
	ck_assert_str_eq(why, "audit log intact: 10 entries");
	ck_assert_int_eq(store_audit_get(fx, 1, &e), 0);
	ck_assert_str_eq(e.prev_hash, AUDIT_ZERO_HASH);
	ck_assert_str_eq(e.actor, "alice");
	ck_assert_str_eq(e.outcome, "ok");
	ck_assert_int_eq(e.fake_clock, 0);
	audit_entry_clear(&e);
	{
		struct audit_entry e2, e3;

		ck_assert_int_eq(store_audit_get(fx, 2, &e2), 0);
		ck_assert_int_eq(store_audit_get(fx, 3, &e3), 0);
		ck_assert_str_eq(e3.prev_hash, e2.hash);
		ck_assert_str_eq(e2.details, "entry number 2");
		audit_entry_clear(&e2);
		audit_entry_clear(&e3);
	}
	/* the triggers stand in the way of honest mistakes */
	ck_assert_int_eq(raw_sql("UPDATE audit SET details = 'x' WHERE id = 1"),
	    SQLITE_CONSTRAINT);
	ck_assert_int_eq(raw_sql("DELETE FROM audit WHERE id = 1"),
	    SQLITE_CONSTRAINT);
	ck_assert_int_eq(audit_append(fx, "", "x", NULL, "ok", NULL, NULL),
	    SLUICE_EINVAL);
}
END_TEST

START_TEST(test_edit_found)
{
	expect_found("UPDATE audit SET details = 'entry number 50' WHERE id = 5",
	    5, "audit entry 5: hash mismatch (edited?)");
}
END_TEST

START_TEST(test_edit_time_found)
{
	expect_found("UPDATE audit SET clock = 'fake' WHERE id = 9", 9,
	    "audit entry 9: hash mismatch (edited?)");
}
END_TEST

START_TEST(test_delete_found)
{
	expect_found("DELETE FROM audit WHERE id = 4", 4,
	    "audit entry 4 is missing: entry 5 follows entry 3 (removed?)");
}
END_TEST

START_TEST(test_delete_renumbered_found)
{
	/* a careful attacker closes the gap */
	expect_found("DELETE FROM audit WHERE id = 4; "
	    "UPDATE audit SET id = id - 1 WHERE id > 4", 4,
	    "audit entry 4: prev_hash does not match entry 3 "
	    "(removed or reordered?)");
}
END_TEST

START_TEST(test_swap_found)
{
	/* swap the contents of entries 3 and 7, ids stay */
	expect_found("CREATE TEMP TABLE t AS SELECT * FROM audit WHERE id IN "
	    "(3, 7);UPDATE audit SET (time, clock, actor, action, subject, "
	    "outcome, details, prev_hash, hash) = (SELECT time, clock, actor, "
	    "action, subject, outcome, details, prev_hash, hash FROM t WHERE "
	    "t.id = 10 - audit.id) WHERE id IN (3, 7)", 3,
	    "audit entry 3: prev_hash does not match entry 2 "
	    "(removed or reordered?)");
}
END_TEST

START_TEST(test_first_removed_found)
{
	expect_found("DELETE FROM audit WHERE id = 1", 1,
	    "audit entry 1 is missing: the log starts at entry 2 (removed?)");
}
END_TEST

START_TEST(test_rollback_with_change)
{
	struct audit_entry e;
	int64_t id = 0;

	ck_assert_int_eq(store_begin(fx), 0);
	ck_assert_int_eq(audit_append(fx, "alice", "org add", "RX1", "ok", "",
	    &id), 0);
	ck_assert_int_eq(id, 1);
	ck_assert_int_eq(store_rollback(fx), 0);
	ck_assert_int_eq(store_audit_last(fx, &e), SLUICE_ENOTFOUND);
	ck_assert_int_eq(audit_append(fx, "alice", "org add", "RX1", "ok", "",
	    &id), 0);
	ck_assert_int_eq(id, 1);
}
END_TEST

/* The encoding audit.h documents, rebuilt here independently. */
static void
put(uint8_t *buf, size_t *off, const char *s)
{
	size_t n = strlen(s);

	sbuf_poke_u32(buf + *off, (uint32_t)n);
	memcpy(buf + *off + 4, s, n);
	*off += 4 + n;
}

START_TEST(test_fake_clock_and_export)
{
	struct audit_entry e;
	struct sbuf *b;
	uint8_t enc[1024], md[32];
	char path[160], hex[65], want[1024];
	size_t off = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/now", fx_dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("2026-03-01T12:00:00Z\n", f);
	fclose(f);
	ck_assert_int_eq(sluice_clock_set_fake(path), 0);
	ck_assert_int_eq(audit_append(fx, "olga", "org add", "RX1", "ok",
	    "name \"Rx\" one", NULL), 0);
	ck_assert_int_eq(sluice_clock_set_fake(NULL), 0);
	(void)unlink(path);
	ck_assert_int_eq(store_audit_get(fx, 1, &e), 0);
	ck_assert_int_eq(e.fake_clock, 1);
	ck_assert_int_eq(e.time, 1772366400);

	memcpy(enc, "sluice-audit-v1", 15);
	off = 15;
	put(enc, &off, "1");
	put(enc, &off, "1772366400");
	put(enc, &off, "fake");
	put(enc, &off, "olga");
	put(enc, &off, "org add");
	put(enc, &off, "RX1");
	put(enc, &off, "ok");
	put(enc, &off, "name \"Rx\" one");
	put(enc, &off, AUDIT_ZERO_HASH);
	crypto_hash_sha256(md, enc, off);
	sodium_bin2hex(hex, sizeof(hex), md, sizeof(md));
	ck_assert_str_eq(e.hash, hex);
	audit_entry_clear(&e);

	ck_assert_ptr_nonnull(b = sbuf_new());
	ck_assert_int_eq(audit_export(fx, 0, b), 0);
	snprintf(want, sizeof(want), "{\"id\":1,\"time\":\"2026-03-01T12:00:00Z\","
	    "\"epoch\":1772366400,\"clock\":\"fake\",\"actor\":\"olga\","
	    "\"action\":\"org add\",\"subject\":\"RX1\",\"outcome\":\"ok\","
	    "\"details\":\"name \\\"Rx\\\" one\",\"prev_hash\":\"%s\","
	    "\"hash\":\"%s\"}\n", AUDIT_ZERO_HASH, hex);
	ck_assert_uint_eq(sbuf_len(b), strlen(want));
	ck_assert_mem_eq(sbuf_ptr(b), want, strlen(want));
	sbuf_reset(b);
	ck_assert_int_eq(audit_export(fx, 1772366401, b), 0);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_append_verify);
	tcase_add_test(tc, test_edit_found);
	tcase_add_test(tc, test_edit_time_found);
	tcase_add_test(tc, test_delete_found);
	tcase_add_test(tc, test_delete_renumbered_found);
	tcase_add_test(tc, test_swap_found);
	tcase_add_test(tc, test_first_removed_found);
	tcase_add_test(tc, test_rollback_with_change);
	tcase_add_test(tc, test_fake_clock_and_export);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(audit_suite());
}
