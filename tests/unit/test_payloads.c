/*
 * test_payloads.c: the payload area behind its interface - a payload
 * written, committed under its id, read back and removed; ids that could
 * name something outside the area refused; a payload being written (or
 * left half-written) never seen as committed.
 */
#include <check.h>

#include <sodium.h>

#include "payloads/payloads.h"
#include "sluice/error.h"
#include "testutil.h"
#include "suite_run.h"

#define ID_A	"0123456789abcdef0123456789abcdef"
#define ID_B	"fedcba9876543210fedcba9876543210"
#define ID_C	"00112233445566778899aabbccddeeff"

static char dir[64];

static void
setup(void)
{
	ck_assert_int_eq(sodium_init() >= 0, 1);
	ck_assert_int_eq(tu_mkdtemp(dir), 0);
	ck_assert_int_eq(payloads_setup(dir, NULL, 0), 0);
}

static void
teardown(void)
{
	char area[128];

	(void)snprintf(area, sizeof(area), "%s/payloads", dir);
	tu_rmrf(area);
	tu_rmrf(dir);
}

/* What payloads_list() reported, in one string: "c:<id> p:<name> ". */
struct seen {
	char	text[1024];
	int	n;
	int	stop_at;	/* return 1 at this call (0: never) */
};

static int
note(void *arg, const char *name, int committed)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	(void)snprintf(s->text + len, sizeof(s->text) - len, "%c:%s ",
	    committed ? 'c' : 'p', name);
	return ++s->n == s->stop_at;
}

static void
list(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(payloads_list(dir, note, s), 0);
}

/* Writes text as a new payload and commits it under id; returns commit's
 * result. */
static int
put(const char *id, const char *text)
{
	struct payload_new *pn;
	char why[256] = "";
	int fd;

	ck_assert_int_eq(payloads_create(dir, &pn, &fd, why, sizeof(why)), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return payloads_commit(pn, id, why, sizeof(why));
}

static void
expect_content(const char *id, const char *text)
{
	char buf[64] = "";
	int fd;

	ck_assert_int_eq(payloads_open(dir, id, &fd), 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), (ssize_t)strlen(text));
	ck_assert_str_eq(buf, text);
	close(fd);
}

START_TEST(commit_open_remove)
{
	struct seen s;
	int fd;

	ck_assert_int_eq(put(ID_A, "payload A"), 0);
	expect_content(ID_A, "payload A");
	list(&s);
	ck_assert_str_eq(s.text, "c:" ID_A " ");
	ck_assert_int_eq(payloads_remove(dir, ID_A), 0);
	ck_assert_int_eq(payloads_open(dir, ID_A, &fd), SLUICE_ENOTFOUND);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(payloads_remove(dir, ID_A), SLUICE_ENOTFOUND);
	list(&s);
	ck_assert_str_eq(s.text, "");
}
END_TEST

START_TEST(committed_payload_never_replaced)
{
	ck_assert_int_eq(put(ID_A, "first"), 0);
	ck_assert_int_eq(put(ID_A, "second"), SLUICE_EEXIST);
	expect_content(ID_A, "first");
	ck_assert_int_eq(put(ID_B, "other"), 0);
	expect_content(ID_B, "other");
}
END_TEST

START_TEST(bad_ids_refused)
{
	static const char *const bad[] = { "", "../store.db", "/etc/passwd",
	    "0123ABCD", "abc/def", "abc.tmp", ".", "..", "g0",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0" };
	struct payload_new *pn;
	struct seen s;
	char why[256];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(payloads_open(dir, bad[i], &fd), SLUICE_EINVAL);
		ck_assert_int_eq(fd, -1);
		if (strcmp(bad[i], "abc.tmp") != 0)
			ck_assert_int_eq(payloads_remove(dir, bad[i]),
			    SLUICE_EINVAL);
		ck_assert_int_eq(payloads_create(dir, &pn, &fd, why,
		    sizeof(why)), 0);
		ck_assert_int_eq(payloads_commit(pn, bad[i], why, sizeof(why)),
		    SLUICE_EINVAL);
	}
	list(&s);	/* the refused commits left nothing behind */
	ck_assert_str_eq(s.text, "");
}
END_TEST

START_TEST(partial_never_committed)
{
	struct payload_new *pn;
	struct seen s;
	char why[256] = "", name[128];
	int fd;

	ck_assert_int_eq(put(ID_A, "done"), 0);
	ck_assert_int_eq(payloads_create(dir, &pn, &fd, why, sizeof(why)), 0);
	ck_assert_int_eq(write(fd, "half", 4), 4);
	list(&s);
	ck_assert_int_eq(s.n, 2);
	ck_assert_ptr_nonnull(strstr(s.text, "c:" ID_A " "));
	ck_assert_ptr_nonnull(strstr(s.text, "p:"));
	/* one committed entry, and it is ID_A: the temp is never listed as
	 * committed (whatever order the directory lists them in) */
	ck_assert_ptr_null(strstr(strstr(s.text, "c:") + 2, "c:"));
	/* a partial name opens as nothing */
	(void)sscanf(strstr(s.text, "p:") + 2, "%127s", name);
	ck_assert_int_eq(payloads_open(dir, name, &fd), SLUICE_EINVAL);
	payloads_abandon(pn);
	list(&s);
	ck_assert_str_eq(s.text, "c:" ID_A " ");
}
END_TEST

START_TEST(leftover_swept)
{
	char path[256];
	struct seen s;

	/* a crash while writing, and a file that is not the area's */
	(void)snprintf(path, sizeof(path), "%s/payloads/%s.tmp", dir, ID_B);
	ck_assert_int_eq(tu_write_file(path, "half", 4), 0);
	(void)snprintf(path, sizeof(path), "%s/payloads/notes.txt", dir);
	ck_assert_int_eq(tu_write_file(path, "x", 1), 0);
	list(&s);
	ck_assert_str_eq(s.text, "p:" ID_B ".tmp ");
	ck_assert_int_eq(payloads_remove(dir, ID_B ".tmp"), 0);
	ck_assert_int_eq(payloads_remove(dir, "notes.txt"), SLUICE_EINVAL);
	list(&s);
	ck_assert_str_eq(s.text, "");
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(list_stops_on_request)
{
	struct seen s;

	ck_assert_int_eq(put(ID_A, "a"), 0);
	ck_assert_int_eq(put(ID_B, "b"), 0);
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	ck_assert_int_eq(payloads_list(dir, note, &s), 1);
	ck_assert_int_eq(s.n, 1);
}
END_TEST

/* A finished file in dirfd adopted as id: 0 and its bytes under id, the
 * file itself left in place; else the refusal. */
static int
adopt_from(const char *srcdir, const char *id, const char *text)
{
	char path[256], why[256] = "";
	int dfd, r;

	ck_assert_int_eq(tu_path(path, sizeof(path), srcdir, "sealed.bin"), 0);
	ck_assert_int_eq(tu_write_file(path, text, strlen(text)), 0);
	ck_assert_int_ge(dfd = open(srcdir, O_RDONLY | O_DIRECTORY), 0);
	r = payloads_adopt(dir, dfd, "sealed.bin", id, why, sizeof(why));
	close(dfd);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(unlink(path), 0);
	return r;
}

START_TEST(adopt_links)
{
	char why[256] = "";
	struct seen s;
	struct stat a, b;
	char path[256];
	int dfd;

	ck_assert_int_eq(adopt_from(dir, ID_A, "sealed A"), 0);
	expect_content(ID_A, "sealed A");
	list(&s);
	ck_assert_str_eq(s.text, "c:" ID_A " ");
	/* taken: never replaced, the first bytes stay */
	ck_assert_int_eq(adopt_from(dir, ID_A, "other"), SLUICE_EEXIST);
	expect_content(ID_A, "sealed A");
	ck_assert_int_eq(adopt_from(dir, "../x", "bad id"), SLUICE_EINVAL);
	/* same filesystem: the same inode, nothing copied */
	(void)snprintf(path, sizeof(path), "%s/keep", dir);
	ck_assert_int_eq(tu_write_file(path, "k", 1), 0);
	ck_assert_int_ge(dfd = open(dir, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(payloads_adopt(dir, dfd, "keep", ID_B, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(stat(path, &a), 0);
	(void)snprintf(path, sizeof(path), "%s/payloads/" ID_B, dir);
	ck_assert_int_eq(stat(path, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	/* only regular files, never through a symbolic link */
	ck_assert_int_eq(symlinkat("keep", dfd, "link"), 0);
	ck_assert_int_eq(payloads_adopt(dir, dfd, "link", ID_C, why,
	    sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "link is not a regular file");
	ck_assert_int_eq(payloads_adopt(dir, dfd, "none", ID_C, why,
	    sizeof(why)), SLUICE_ENOTFOUND);
	ck_assert_int_eq(unlinkat(dfd, "link", 0), 0);
	ck_assert_int_eq(unlinkat(dfd, "keep", 0), 0);
	close(dfd);
}
END_TEST

/* From another filesystem (a tmpfs): copied and committed, no temporary
 * file left. */
START_TEST(adopt_copies_across_filesystems)
{
	char other[64] = "/dev/shm/sluice-test-XXXXXX";
	struct stat a, b;
	struct seen s;

	ck_assert_ptr_nonnull(mkdtemp(other));
	ck_assert_int_eq(stat(other, &a), 0);
	ck_assert_int_eq(stat(dir, &b), 0);
	ck_assert_msg(a.st_dev != b.st_dev, "/dev/shm and %s share a "
	    "filesystem: the copy is not exercised", dir);
	ck_assert_int_eq(adopt_from(other, ID_C, "copied"), 0);
	ck_assert_int_eq(rmdir(other), 0);
	expect_content(ID_C, "copied");
	list(&s);
	ck_assert_str_eq(s.text, "c:" ID_C " ");
}
END_TEST

START_TEST(setup_refuses_twice)
{
	char why[256] = "";

	ck_assert_int_eq(payloads_setup(dir, why, sizeof(why)), SLUICE_EIO);
	ck_assert_ptr_nonnull(strstr(why, "/payloads: "));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("payloads");
	TCase *tc = tcase_create("payloads");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, commit_open_remove);
	tcase_add_test(tc, committed_payload_never_replaced);
	tcase_add_test(tc, bad_ids_refused);
	tcase_add_test(tc, partial_never_committed);
	tcase_add_test(tc, leftover_swept);
	tcase_add_test(tc, list_stops_on_request);
	tcase_add_test(tc, setup_refuses_twice);
	tcase_add_test(tc, adopt_links);
	tcase_add_test(tc, adopt_copies_across_filesystems);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
