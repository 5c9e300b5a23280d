/* test_client_cmdline.c: sluicectl's quoting against the server's splitter. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "sluice/words.h"
#include "cmdline.h"
#include "suite_run.h"

struct quote_case {
	size_t		 argc;
	const char	*argv[6];
	const char	*line;		/* exact quoting expected */
};

static const struct quote_case cases[] = {
	{ 2, { "org", "list" }, "org list" },
	{ 1, { "" }, "''" },
	{ 3, { "org", "add", "Example Trust" }, "org add 'Example Trust'" },
	{ 1, { "it's" }, "'it'\\''s'" },
	{ 1, { "'" }, "''\\'''" },
	{ 1, { "a\\b" }, "'a\\b'" },
	{ 1, { "\"q\"" }, "'\"q\"'" },
	{ 1, { "$HOME" }, "'$HOME'" },
	{ 1, { "`id` $(id) ; | & * ? ~ # !" },
	    "'`id` $(id) ; | & * ? ~ # !'" },
	{ 1, { "line1\nline2\ttab" }, "'line1\nline2\ttab'" },
	{ 1, { "caf\xc3\xa9" }, "'caf\xc3\xa9'" },
	{ 2, { "--key", "ssh-ed25519 AAAAC3Nz x@y" },
	    "--key 'ssh-ed25519 AAAAC3Nz x@y'" },
	{ 4, { "release", "revoke", "R-1", "--reason=don't, \"ever\"" },
	    "release revoke R-1 '--reason=don'\\''t, \"ever\"'" },
	{ 3, { "NIC-123456-A1B2C", "a_b.c:d=e@f%g+h,i", "/inbox/x" },
	    "NIC-123456-A1B2C a_b.c:d=e@f%g+h,i /inbox/x" },
	{ 0, { NULL }, "" },
};

START_TEST(quote_exact_and_round_trip)
{
	const struct quote_case *c = &cases[_i];
	char *line = NULL, **argv = NULL, why[256] = "";
	int argc = -1, r;
	size_t i;

	r = cmdline_join((char *const *)c->argv, c->argc, &line);
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(line, c->line);
	r = words_split(line, strlen(line), &argc, &argv, why, sizeof(why));
	ck_assert_msg(r == 0, "split refused \"%s\": %s", line, why);
	ck_assert_int_eq(argc, (int)c->argc);
	for (i = 0; i < c->argc; i++)
		ck_assert_str_eq(argv[i], c->argv[i]);
	ck_assert_ptr_null(argv[c->argc]);
	words_free(argv);
	free(line);
}
END_TEST

/* Every printable ASCII byte and the quoting characters in every position. */
START_TEST(round_trip_all_ascii)
{
	char word[4], *line = NULL, **argv = NULL, why[256];
	char *v[3];
	int argc, c;

	for (c = 0x20; c < 0x7f; c++) {
		word[0] = 'x';
		word[1] = (char)c;
		word[2] = (char)c;
		word[3] = '\0';
		v[0] = word + 1;
		v[1] = word;
		v[2] = word + 2;
		ck_assert_int_eq(cmdline_join(v, 3, &line), 0);
		ck_assert_int_eq(words_split(line, strlen(line), &argc, &argv,
		    why, sizeof(why)), 0);
		ck_assert_int_eq(argc, 3);
		ck_assert_str_eq(argv[0], v[0]);
		ck_assert_str_eq(argv[1], v[1]);
		ck_assert_str_eq(argv[2], v[2]);
		words_free(argv);
		free(line);
	}
}
END_TEST

START_TEST(quote_appends_and_refuses_null)
{
	struct sbuf *b = sbuf_new();
	char *v[2] = { "a", NULL };

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put(b, "x ", 2), 0);
	ck_assert_int_eq(cmdline_quote(v, 1, b), 0);
	ck_assert_uint_eq(sbuf_len(b), 3);
	ck_assert_int_eq(memcmp(sbuf_ptr(b), "x a", 3), 0);
	ck_assert_int_eq(cmdline_quote(v, 2, b), SLUICE_EINVAL);
	sbuf_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_cmdline");
	TCase *tc = tcase_create("quote");

	tcase_add_loop_test(tc, quote_exact_and_round_trip, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, round_trip_all_ascii);
	tcase_add_test(tc, quote_appends_and_refuses_null);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
