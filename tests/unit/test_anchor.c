/*
 * test_anchor.c: the audit log's signed head (audit_anchor.h). A head line
 * signs and verifies; any change to it, or another key, fails; a log cut
 * short or rewritten behind the store's back no longer holds its head, at
 * verify and at the next start; a kept head is checked the same way.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <regex.h>
#include <sqlite3.h>
#include <sodium.h>

#include "engine/audit.h"
#include "engine/audit_anchor.h"
#include "sluice/buf.h"
#include "sluice/files.h"
#include "store_fixture.h"
#include "suite_run.h"

static struct audit_anchor *anc;
static char key_path[160], head_path[160];

static void
anchor_open(enum anchor_start want, char *why, size_t whylen)
{
	enum anchor_start how = ANCHOR_HELD;

	audit_anchor_free(anc);
	anc = NULL;
	ck_assert_int_eq(audit_anchor_open(fx_dir, key_path, fx, &anc, &how,
	    why, whylen), 0);
	ck_assert_int_eq(how, want);
}

static void
setup(void)
{
	char why[256] = "";

	fx_setup();
	snprintf(key_path, sizeof(key_path), "%s/audit.key", fx_dir);
	snprintf(head_path, sizeof(head_path), "%s/audit.head", fx_dir);
	anchor_open(ANCHOR_NEW_KEY, why, sizeof(why));
}

static void
teardown(void)
{
	audit_anchor_free(anc);
	anc = NULL;
	(void)unlink(key_path);
	(void)unlink(head_path);
	fx_teardown();
}

static void
append(int n)
{
	char details[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(details, sizeof(details), "entry %d", i);
		ck_assert_int_eq(audit_append(fx, "alice", "org add", "ORG-A",
		    "ok", details, NULL), 0);
	}
}

/* Tampers with the store file directly, the triggers dropped first. */
static void
attack(const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open(fx_path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, "DROP TRIGGER IF EXISTS audit_no_update;"
	    "DROP TRIGGER IF EXISTS audit_no_delete;", NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "%s", err ? err : "");
	rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	ck_assert_msg(rc == SQLITE_OK, "%s", err ? err : "");
	sqlite3_close(db);
}

static void
read_head(char line[AUDIT_HEAD_MAX])
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(files_read(head_path, AUDIT_HEAD_MAX - 1, b), 0);
	memcpy(line, sbuf_ptr(b), sbuf_len(b));
	line[sbuf_len(b)] = '\0';
	sbuf_free(b);
}

static void
expect_verify(int want, const char *kept, const char *why_want)
{
	struct audit_check k;
	char why[512] = "";

	ck_assert_int_eq(audit_anchor_verify(anc, fx, kept, &k, why,
	    sizeof(why)), want);
	ck_assert_str_eq(why, why_want);
}

START_TEST(head_written_and_held)
{
	char line[AUDIT_HEAD_MAX], made[AUDIT_HEAD_MAX];
	struct audit_entry e;
	struct audit_head h;
	struct stat st;
	regex_t re;
	char why[256] = "";

	ck_assert_int_eq(stat(key_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	append(5);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	read_head(line);
	ck_assert_int_eq(regcomp(&re, "^sluice-audit-head-v1:5:[0-9a-f]{64}:"
	    "[0-9a-f]{128}\n$", REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_int_eq(regexec(&re, line, 0, NULL, 0), 0);
	regfree(&re);
	ck_assert_int_eq(audit_head_parse(anc, line, &h, why, sizeof(why)), 0);
	ck_assert_int_eq(h.id, 5);
	ck_assert_int_eq(store_audit_get(fx, 5, &e), 0);
	ck_assert_str_eq(h.hash, e.hash);
	audit_entry_clear(&e);
	/* the checkpoint is the same line (Ed25519 signs deterministically) */
	ck_assert_int_eq(audit_anchor_line(anc, fx, made), 0);
	ck_assert_int_eq(strncmp(made, line, strlen(made)), 0);
	expect_verify(0, NULL, "audit log intact: 5 entries; signed head at "
	    "entry 5");
	/* the head lags behind entries not yet anchored: still held */
	append(2);
	expect_verify(0, NULL, "audit log intact: 7 entries; signed head at "
	    "entry 5");
	/* reopened (a restart): held, and moved on from there */
	anchor_open(ANCHOR_HELD, why, sizeof(why));
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	expect_verify(0, NULL, "audit log intact: 7 entries; signed head at "
	    "entry 7");
}
END_TEST

/* Every change to a head line, and another key's line, is refused. */
START_TEST(tampered_lines)
{
	static const char *bad_form[] = {
		"", "sluice-audit-head-v1", "sluice-audit-head-v2:1:",
		"sluice-audit-head-v1:05:", "sluice-audit-head-v1:-5:",
		"sluice-audit-head-v1:5 :",
	};
	char line[AUDIT_HEAD_MAX], t[AUDIT_HEAD_MAX + 8], why[256] = "";
	struct audit_anchor *other = NULL;
	enum anchor_start how;
	struct audit_head h;
	size_t i, n, at[3];

	append(5);
	ck_assert_int_eq(audit_anchor_line(anc, fx, line), 0);
	n = strlen(line);
	at[0] = strlen("sluice-audit-head-v1:");	/* the id */
	at[1] = at[0] + 2 + 10;				/* in the hash */
	at[2] = n - 1;					/* in the signature */
	for (i = 0; i < 3; i++) {
		memcpy(t, line, n + 1);
		t[at[i]] = t[at[i]] == '4' ? '3' : '4';
		ck_assert_int_eq(audit_head_parse(anc, t, &h, why, sizeof(why)),
		    SLUICE_EVERIFY);
		ck_assert_str_eq(why, "does not verify with the audit key");
	}
	for (i = 0; i < sizeof(bad_form) / sizeof(bad_form[0]); i++) {
		snprintf(t, sizeof(t), "%s%s", bad_form[i],
		    strchr(line + at[0], ':') + 1);
		ck_assert_int_eq(audit_head_parse(anc, t, &h, why, sizeof(why)),
		    SLUICE_EFORMAT);
		ck_assert_str_eq(why, "is not a head line "
		    "(sluice-audit-head-v1:ENTRY:HASH:SIGNATURE)");
	}
	snprintf(t, sizeof(t), "%sX", line);
	ck_assert_int_eq(audit_head_parse(anc, t, &h, why, sizeof(why)),
	    SLUICE_EFORMAT);
	memcpy(t, line, n + 1);
	t[n - 3] = 'A';		/* hex is lower-case */
	ck_assert_int_eq(audit_head_parse(anc, t, &h, why, sizeof(why)),
	    SLUICE_EFORMAT);
	/* another installation's key */
	ck_assert_int_eq(unlink(key_path), 0);
	ck_assert_int_eq(audit_anchor_open(fx_dir, key_path, fx, &other, &how,
	    why, sizeof(why)), 0);
	ck_assert_int_eq(audit_head_parse(other, line, &h, why, sizeof(why)),
	    SLUICE_EVERIFY);
	audit_anchor_free(other);
}
END_TEST

/* The last rows deleted behind the store's back: verify fails, and so
 * does the next start, which leaves the head as it is. */
START_TEST(cut_short)
{
	char before[AUDIT_HEAD_MAX], after[AUDIT_HEAD_MAX], why[512] = "";

	append(10);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	read_head(before);
	attack("DELETE FROM audit WHERE id > 8");
	expect_verify(SLUICE_EVERIFY, NULL, "audit log shorter than its signed "
	    "head: the head names entry 10, the log ends at entry 8 (entries "
	    "removed from the end?)");
	anchor_open(ANCHOR_BROKEN, why, sizeof(why));
	ck_assert_str_eq(why, "audit log shorter than its signed head: the "
	    "head names entry 10, the log ends at entry 8 (entries removed "
	    "from the end?)");
	append(3);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	read_head(after);
	ck_assert_str_eq(after, before);
	expect_verify(SLUICE_EVERIFY, NULL, "audit entry 10 differs from its "
	    "signed head (log rewritten?)");
}
END_TEST

/* Rows replaced while the engine runs: the head stops moving. */
START_TEST(rewritten_while_running)
{
	char before[AUDIT_HEAD_MAX], after[AUDIT_HEAD_MAX];

	append(10);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	read_head(before);
	attack("DELETE FROM audit WHERE id > 9");
	append(2);
	ck_assert_int_eq(audit_anchor_update(anc, fx), SLUICE_EVERIFY);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);	/* once said */
	read_head(after);
	ck_assert_str_eq(after, before);
	expect_verify(SLUICE_EVERIFY, NULL, "audit entry 10 differs from its "
	    "signed head (log rewritten?)");
}
END_TEST

/* A missing head: anchored anew at start; a damaged one is refused. */
START_TEST(head_missing_or_damaged)
{
	char why[512] = "";
	int fd;

	append(3);
	expect_verify(SLUICE_EVERIFY, NULL, "no signed head: audit.head is "
	    "missing");
	anchor_open(ANCHOR_NO_HEAD, why, sizeof(why));
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	expect_verify(0, NULL, "audit log intact: 3 entries; signed head at "
	    "entry 3");
	fd = open(head_path, O_WRONLY | O_TRUNC);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, "sluice-audit-head-v1:3:zz\n", 26), 26);
	close(fd);
	expect_verify(SLUICE_EVERIFY, NULL, "the signed head (audit.head) is "
	    "not a head line (sluice-audit-head-v1:ENTRY:HASH:SIGNATURE)");
	anchor_open(ANCHOR_BROKEN, why, sizeof(why));
}
END_TEST

/* A head kept elsewhere: held, or not, by the log as it is now. */
START_TEST(kept_head)
{
	char kept[AUDIT_HEAD_MAX], why[512] = "";

	append(10);
	ck_assert_int_eq(audit_anchor_line(anc, fx, kept), 0);
	append(2);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	expect_verify(0, kept, "audit log intact: 12 entries; signed head at "
	    "entry 12; it holds the kept head, entry 10");
	expect_verify(SLUICE_EFORMAT, "sluice-audit-head-v1:10", "the kept "
	    "head is not a head line (sluice-audit-head-v1:ENTRY:HASH:"
	    "SIGNATURE)");
	/* cut to 8 and anchored anew (the head file removed too): the own
	 * head passes, the kept one shows the cut */
	attack("DELETE FROM audit WHERE id > 8");
	ck_assert_int_eq(unlink(head_path), 0);
	anchor_open(ANCHOR_NO_HEAD, why, sizeof(why));
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	expect_verify(SLUICE_EVERIFY, kept, "audit log shorter than the kept "
	    "head: the head names entry 10, the log ends at entry 8 (entries "
	    "removed from the end?)");
	append(3);
	ck_assert_int_eq(audit_anchor_update(anc, fx), 0);
	expect_verify(SLUICE_EVERIFY, kept, "audit entry 10 differs from the "
	    "kept head (log rewritten?)");
}
END_TEST

/* The key must be a secret file. */
START_TEST(key_too_open)
{
	enum anchor_start how;
	struct audit_anchor *a = NULL;
	char why[512] = "";

	ck_assert_int_eq(chmod(key_path, 0644), 0);
	ck_assert_int_eq(audit_anchor_open(fx_dir, key_path, fx, &a, &how, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_ptr_null(a);
	ck_assert_ptr_nonnull(strstr(why, "permissions 0644 are too open"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("anchor");
	TCase *tc = tcase_create("head");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, head_written_and_held);
	tcase_add_test(tc, tampered_lines);
	tcase_add_test(tc, cut_short);
	tcase_add_test(tc, rewritten_while_running);
	tcase_add_test(tc, head_missing_or_damaged);
	tcase_add_test(tc, kept_head);
	tcase_add_test(tc, key_too_open);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
