/*
 * test_dwrite.c: a large file written straight to the disk (dwrite.h). The
 * file holds exactly the bytes committed, in order, whatever the sizes of
 * the pieces: with O_DIRECT, and through the page cache when the file does
 * not start on a block boundary (the first direct write is refused and
 * nothing of it lands twice). After finish the descriptor is as it was;
 * a refused write stops the writer; pieces over the bound are refused.
 */
#define _GNU_SOURCE	/* O_DIRECT */

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/dwrite.h"
#include "sluice/error.h"
#include "testutil.h"
#include "suite_run.h"

#define TOTAL	(3u * 1024 * 1024 + 12345)	/* past three whole blocks */

static char dir[64], path[128];

static void
setup(void)
{
	ck_assert_int_eq(tu_mkdtemp(dir), 0);
	ck_assert_int_eq(tu_path(path, sizeof(path), dir, "out"), 0);
}

static void
teardown(void)
{
	tu_rmrf(dir);
	(void)rmdir(dir);
}

/* The pattern byte at offset i. */
static uint8_t
pat(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

/* Commits TOTAL pattern bytes in pieces of changing sizes (1 to the bound),
 * as a session's sealed chunks and odd tails would come. */
static void
commit_pattern(struct dwrite *w)
{
	size_t off = 0, n, i, step = 0;
	uint8_t *p;

	while (off < TOTAL) {
		n = (step++ * 7919u) % DWRITE_MAX_PIECE + 1;
		if (n > TOTAL - off)
			n = TOTAL - off;
		ck_assert_ptr_nonnull(p = dwrite_room(w, n));
		for (i = 0; i < n; i++)
			p[i] = pat(off + i);
		ck_assert_int_eq(dwrite_commit(w, n), 0);
		off += n;
	}
}

/* The file at path is prefix[0..plen) then the TOTAL pattern bytes. */
static void
check_file(const uint8_t *prefix, size_t plen)
{
	uint8_t *got = NULL;
	size_t n = 0, i;

	ck_assert_int_eq(tu_read_file(path, &got, &n), 0);
	ck_assert_uint_eq(n, plen + TOTAL);
	ck_assert_int_eq(memcmp(got, prefix, plen), 0);
	for (i = 0; i < TOTAL; i++)
		if (got[plen + i] != pat(i))
			ck_abort_msg("byte %zu differs", i);
	free(got);
}

/* Writes the pattern to fd through a dwrite, then checks fd's flags. */
static void
write_through(int fd)
{
	struct dwrite *w = NULL;
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_eq(dwrite_new(fd, &w), 0);
	commit_pattern(w);
	ck_assert_int_eq(dwrite_finish(w), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL), fl);	/* O_DIRECT cleared */
	ck_assert_int_eq(dwrite_commit(w, 1), SLUICE_ESTATE);
	ck_assert_int_eq(dwrite_finish(w), SLUICE_ESTATE);
	dwrite_free(w);
}

START_TEST(exact_bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	ck_assert_int_ge(fd, 0);
	write_through(fd);
	ck_assert_int_eq(close(fd), 0);
	check_file((const uint8_t *)"", 0);
}
END_TEST

/* A file 5 bytes in: O_DIRECT is refused, the page cache takes it all. */
START_TEST(off_boundary)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "head:", 5), 5);
	write_through(fd);
	ck_assert_int_eq(close(fd), 0);
	check_file((const uint8_t *)"head:", 5);
}
END_TEST

/* A descriptor that cannot be written: the first whole block fails with
 * SLUICE_EIO and the writer takes nothing more. */
START_TEST(failed_write)
{
	struct dwrite *w = NULL;
	int fd;

	ck_assert_int_eq(tu_write_file(path, "", 0), 0);
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(dwrite_new(fd, &w), 0);
	ck_assert_ptr_nonnull(dwrite_room(w, DWRITE_MAX_PIECE));
	for (size_t i = 0; i < 7; i++)
		ck_assert_int_eq(dwrite_commit(w, DWRITE_MAX_PIECE), 0);
	ck_assert_int_eq(dwrite_commit(w, DWRITE_MAX_PIECE), SLUICE_EIO);
	ck_assert_ptr_null(dwrite_room(w, 1));
	ck_assert_int_eq(dwrite_commit(w, 1), SLUICE_ESTATE);
	ck_assert_int_eq(dwrite_finish(w), SLUICE_ESTATE);
	dwrite_free(w);
	ck_assert_int_eq(close(fd), 0);
}
END_TEST

START_TEST(piece_bound)
{
	struct dwrite *w = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dwrite_new(fd, &w), 0);
	ck_assert_ptr_null(dwrite_room(w, DWRITE_MAX_PIECE + 1));
	ck_assert_int_eq(dwrite_commit(w, DWRITE_MAX_PIECE + 1),
	    SLUICE_ESTATE);
	ck_assert_int_eq(dwrite_finish(w), 0);
	dwrite_free(w);
	dwrite_free(NULL);
	ck_assert_int_eq(close(fd), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dwrite");
	TCase *tc = tcase_create("write");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exact_bytes);
	tcase_add_test(tc, off_boundary);
	tcase_add_test(tc, failed_write);
	tcase_add_test(tc, piece_bound);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
