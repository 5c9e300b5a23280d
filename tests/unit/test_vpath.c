#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/vpath.h"
#include "suite_run.h"

struct good_case {
	const char	*cwd;
	const char	*in;
	const char	*out;
};

static const struct good_case good[] = {
	{ "/", "", "/" },
	{ "/", ".", "/" },
	{ "/", "/", "/" },
	{ "/", "//", "/" },
	{ "/", "..", "/" },
	{ "/", "../../..", "/" },
	{ "/", "/../a", "/a" },
	{ "/", "a", "/a" },
	{ "/", "a/", "/a" },
	{ "/", "a//b///", "/a/b" },
	{ "/", "./a/./b/.", "/a/b" },
	{ "/", "a/b/..", "/a" },
	{ "/", "a/b/../..", "/" },
	{ "/", "a/b/../../..", "/" },
	{ "/inbox", ".", "/inbox" },
	{ "/inbox", "dsa.txt", "/inbox/dsa.txt" },
	{ "/inbox", "../x", "/x" },
	{ "/inbox", "/abs", "/abs" },
	{ "/inbox", "", "/inbox" },
	{ "/", "...", "/..." },
	{ "/", ".hidden", "/.hidden" },
	{ "/", "a..b", "/a..b" },
	{ "/", "NIC-123456-A1B2C/x.age", "/NIC-123456-A1B2C/x.age" },
	{ "/", "caf\xc3\xa9", "/caf\xc3\xa9" },
	{ "/", "\xf0\x9f\x98\x80", "/\xf0\x9f\x98\x80" },
	{ "/", "a\\b", "/a\\b" },
	{ NULL, "x/y", "/x/y" },
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	struct vpath vp;
	char why[128] = "";

	ck_assert_int_eq(vpath_canon(&vp, c->cwd, c->in, strlen(c->in), why,
	    sizeof(why)), 0);
	ck_assert_str_eq(vp.path, c->out);
	ck_assert_uint_eq(vp.len, strlen(c->out));
}
END_TEST

struct bad_case {
	const char	*in;
	size_t		 len;
	const char	*why;
};

static const struct bad_case bad[] = {
	{ "a\0b", 3, "path contains a NUL byte" },
	{ "\0", 1, "path contains a NUL byte" },
	{ "a\nb", 3, "path contains a control character" },
	{ "\x7f", 1, "path contains a control character" },
	{ "\xff", 1, "path is not valid UTF-8" },
	{ "\xc0\xaf", 2, "path is not valid UTF-8" },	/* overlong '/' */
	{ "\xe0\x80\xaf", 3, "path is not valid UTF-8" },	/* overlong '/' */
	{ "\xed\xa0\x80", 3, "path is not valid UTF-8" },	/* surrogate */
	{ "\xf4\x90\x80\x80", 4, "path is not valid UTF-8" },	/* > U+10FFFF */
	{ "\xc3", 1, "path is not valid UTF-8" },		/* truncated */
	{ "a\x80", 2, "path is not valid UTF-8" },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	struct vpath vp;
	char why[128] = "";

	ck_assert_int_eq(vpath_canon(&vp, "/", c->in, c->len, why,
	    sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, c->why);
	ck_assert_str_eq(vp.path, "/");
}
END_TEST

START_TEST(test_lengths)
{
	struct vpath vp;
	char why[128] = "", *in;

	in = malloc(2048);
	ck_assert_ptr_nonnull(in);
	/* "/" + 1023 bytes = 1024: the limit exactly. */
	in[0] = '/';
	memset(in + 1, 'a', 1023);
	ck_assert_int_eq(vpath_canon(&vp, "/", in, 1024, why, sizeof(why)), 0);
	ck_assert_uint_eq(vp.len, 1024);
	/* 1025 input bytes are refused even if they would collapse. */
	memset(in, '/', 1025);
	ck_assert_int_eq(vpath_canon(&vp, "/", in, 1025, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "path longer than 1024 bytes");
	/* A relative path that overflows once joined to the cwd. */
	memset(in, 'b', 1020);
	ck_assert_int_eq(vpath_canon(&vp, "/inbox", in, 1020, why,
	    sizeof(why)), SLUICE_EINVAL);
	ck_assert_str_eq(why, "path longer than 1024 bytes");
	ck_assert_str_eq(vp.path, "/");
	free(in);
}
END_TEST

START_TEST(test_depth)
{
	struct vpath vp;
	char why[128] = "", in[200];
	size_t i;

	for (i = 0; i < 65; i++) {
		in[2 * i] = 'a';
		in[2 * i + 1] = '/';
	}
	ck_assert_int_eq(vpath_canon(&vp, "/", in, 128, why, sizeof(why)), 0);
	ck_assert_uint_eq(vp.ncomp, 64);
	ck_assert_int_eq(vpath_canon(&vp, "/", in, 130, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "path has more than 64 components");
	/* Going up frees depth again. */
	memcpy(in + 128, "../", 3);
	ck_assert_int_eq(vpath_canon(&vp, "/", in, 131, why, sizeof(why)), 0);
	ck_assert_uint_eq(vp.ncomp, 63);
}
END_TEST

START_TEST(test_components)
{
	struct vpath vp;
	char why[128];
	const char *p;
	size_t n;

	ck_assert_int_eq(vpath_canon(&vp, "/", "/NIC-1//x.age/", 14, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(vp.path, "/NIC-1/x.age");
	ck_assert_uint_eq(vp.ncomp, 2);
	ck_assert_int_eq(vpath_component(&vp, 0, &p, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(p, "NIC-1", 5), 0);
	ck_assert_int_eq(vpath_component(&vp, 1, &p, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(p, "x.age", 5), 0);
	ck_assert_int_eq(vpath_component(&vp, 2, &p, &n), SLUICE_EINVAL);
	ck_assert_int_eq(vpath_canon(&vp, "/", "..", 2, why, sizeof(why)), 0);
	ck_assert_uint_eq(vp.ncomp, 0);
	ck_assert_int_eq(vpath_component(&vp, 0, &p, &n), SLUICE_EINVAL);
}
END_TEST

START_TEST(test_bad_cwd)
{
	struct vpath vp;
	char why[128] = "";

	ck_assert_int_eq(vpath_canon(&vp, "inbox", "x", 1, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "working directory is not absolute");
	/* An absolute input does not look at the cwd. */
	ck_assert_int_eq(vpath_canon(&vp, "inbox", "/x", 2, why, sizeof(why)),
	    0);
	ck_assert_str_eq(vp.path, "/x");
}
END_TEST

static Suite *
vpath_suite(void)
{
	Suite *s = suite_create("vpath");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_components);
	tcase_add_test(tc, test_bad_cwd);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(vpath_suite());
}
