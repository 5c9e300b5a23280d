/* test_client_ccfg.c: the clients' config file and global flags. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/error.h"
#include "ccfg.h"
#include "cli.h"
#include "suite_run.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/sluice-ccfg-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/c.conf", dir);
	ck_assert_int_eq(setenv("HOME", "/home/tester", 1), 0);
	ck_assert_int_eq(setenv("USER", "tester", 1), 0);
	ck_assert_int_eq(unsetenv("XDG_CONFIG_HOME"), 0);
}

static void
teardown(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
}

static void
write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(defaults)
{
	struct ccfg c;

	ck_assert_int_eq(ccfg_init(&c), 0);
	ck_assert_str_eq(c.host, "127.0.0.1");
	ck_assert_int_eq(c.port, 2222);
	ck_assert_str_eq(c.user, "tester");
	ck_assert_ptr_null(c.identity);
	ck_assert_ptr_null(c.known_hosts);
	ck_assert_int_eq(c.hkc, HKC_YES);
	ccfg_clear(&c);
}
END_TEST

START_TEST(full_file)
{
	struct ccfg c;
	char why[256] = "";

	write_conf("# staff settings\n"
	    "host = sluice.example.org\n"
	    "port = 2022\n"
	    "user = alice\n"
	    "identity = ~/.ssh/id_ed25519\n"
	    "known_hosts = /etc/sluice/known_hosts\n"
	    "host_key_checking = accept-new\n"
	    "release_key = ~/release.pub\n"
	    "age_identity = ~/.config/sluice/identity.txt\n");
	ck_assert_int_eq(ccfg_init(&c), 0);
	ck_assert_int_eq(ccfg_load(&c, path, why, sizeof(why)), 0);
	ck_assert_str_eq(c.host, "sluice.example.org");
	ck_assert_int_eq(c.port, 2022);
	ck_assert_str_eq(c.user, "alice");
	ck_assert_str_eq(c.identity, "/home/tester/.ssh/id_ed25519");
	ck_assert_str_eq(c.known_hosts, "/etc/sluice/known_hosts");
	ck_assert_int_eq(c.hkc, HKC_ACCEPT_NEW);
	ck_assert_str_eq(c.release_key, "/home/tester/release.pub");
	ck_assert_str_eq(c.age_identity,
	    "/home/tester/.config/sluice/identity.txt");
	ccfg_clear(&c);
}
END_TEST

struct bad_conf {
	const char	*text;
	const char	*why;	/* after "PATH:" */
};

static const struct bad_conf bad[] = {
	{ "host = a\ncolour = blue\n", "2: unknown setting \"colour\"" },
	{ "port = 0\n", "1: port must be a number from 1 to 65535, not \"0\"" },
	{ "port = 65536\n",
	    "1: port must be a number from 1 to 65535, not \"65536\"" },
	{ "port = 22x\n", "1: port must be a number from 1 to 65535, not \"22x\"" },
	{ "\n\nhost_key_checking = maybe\n", "3: host_key_checking must be "
	    "yes, accept-new or no, not \"maybe\"" },
	{ "user =\n", "1: user needs a value" },
	{ "this is not ini\n", "1: syntax error" },
};

START_TEST(refused)
{
	struct ccfg c;
	char why[512] = "", want[512];

	write_conf(bad[_i].text);
	ck_assert_int_eq(ccfg_init(&c), 0);
	ck_assert_int_eq(ccfg_load(&c, path, why, sizeof(why)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want), "%s:%s", path, bad[_i].why);
	ck_assert_str_eq(why, want);
	ccfg_clear(&c);
}
END_TEST

START_TEST(missing_file_is_defaults)
{
	struct ccfg c;
	char why[256] = "";

	ck_assert_int_eq(ccfg_init(&c), 0);
	ck_assert_int_eq(ccfg_load(&c, "/nonexistent/sluice.conf", why,
	    sizeof(why)), 0);
	ck_assert_str_eq(c.host, "127.0.0.1");
	ccfg_clear(&c);
}
END_TEST

START_TEST(hkc_words)
{
	enum host_key_checking h;

	ck_assert_int_eq(hkc_parse("StrictHostKeyChecking=accept-new", &h), 0);
	ck_assert_int_eq(h, HKC_ACCEPT_NEW);
	ck_assert_int_eq(hkc_parse("stricthostkeychecking=no", &h), 0);
	ck_assert_int_eq(h, HKC_NO);
	ck_assert_int_eq(hkc_parse("yes", &h), 0);
	ck_assert_int_eq(h, HKC_YES);
	ck_assert_int_eq(hkc_parse("ask", &h), SLUICE_EINVAL);
	ck_assert_str_eq(hkc_name(HKC_ACCEPT_NEW), "accept-new");
}
END_TEST

START_TEST(default_path)
{
	char *p;

	p = ccfg_default_path("sluicectl.conf");
	ck_assert_str_eq(p, "/home/tester/.config/sluice/sluicectl.conf");
	free(p);
	ck_assert_int_eq(setenv("XDG_CONFIG_HOME", "/xdg", 1), 0);
	p = ccfg_default_path("sluice.conf");
	ck_assert_str_eq(p, "/xdg/sluice/sluice.conf");
	free(p);
}
END_TEST

START_TEST(flags_win_over_file)
{
	struct ccfg c;
	char why[256] = "";
	char *argv[] = { "sluicectl", "-F", path, "-p", "3000", "-l", "bob",
	    "-o", "StrictHostKeyChecking=no", "-k", "/tmp/kh", "agreement",
	    "list", "--state", "live", NULL };
	int next = 0, help = 1;

	write_conf("host = h.example\nport = 2022\nuser = alice\n");
	ck_assert_int_eq(ccfg_init(&c), 0);
	ck_assert_int_eq(cli_global(15, argv, "x.conf", &c, &next, &help, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(next, 11);
	ck_assert_int_eq(help, 0);
	ck_assert_str_eq(c.host, "h.example");
	ck_assert_int_eq(c.port, 3000);
	ck_assert_str_eq(c.user, "bob");
	ck_assert_str_eq(c.known_hosts, "/tmp/kh");
	ck_assert_int_eq(c.hkc, HKC_NO);
	ccfg_clear(&c);
}
END_TEST

START_TEST(flags_refused)
{
	struct ccfg c;
	char why[256] = "";
	char *a1[] = { "sluicectl", "-F", path, "-o", "Compression=yes", "x",
	    NULL };
	char *a2[] = { "sluicectl", "-F", path, "-p", "http", "x", NULL };
	char *a3[] = { "sluicectl", "-F", path, "-Z", "x", NULL };
	int next, help;

	write_conf("");
	ck_assert_int_eq(ccfg_init(&c), 0);
	ck_assert_int_eq(cli_global(6, a1, "x", &c, &next, &help, why,
	    sizeof(why)), SLUICE_EUSAGE);
	ck_assert_str_eq(why, "unsupported option -o Compression=yes (only "
	    "StrictHostKeyChecking=yes|accept-new|no)");
	ck_assert_int_eq(cli_global(6, a2, "x", &c, &next, &help, why,
	    sizeof(why)), SLUICE_EUSAGE);
	ck_assert_str_eq(why, "port must be a number from 1 to 65535, not "
	    "\"http\"");
	ck_assert_int_eq(cli_global(5, a3, "x", &c, &next, &help, why,
	    sizeof(why)), SLUICE_EUSAGE);
	ck_assert_str_eq(why, "unknown or incomplete option -Z");
	ccfg_clear(&c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_ccfg");
	TCase *tc = tcase_create("ccfg");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, full_file);
	tcase_add_loop_test(tc, refused, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, missing_file_is_defaults);
	tcase_add_test(tc, hkc_words);
	tcase_add_test(tc, default_path);
	tcase_add_test(tc, flags_win_over_file);
	tcase_add_test(tc, flags_refused);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
