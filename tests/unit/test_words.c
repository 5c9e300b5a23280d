/* test_words.c: the admin command-line splitter, case by case. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/words.h"
#include "suite_run.h"

struct split_case {
	const char	*line;
	size_t		 len;		/* 0: strlen(line) */
	int		 argc;
	const char	*words[8];
};

static const struct split_case good[] = {
	{ "", 0, 0, { NULL } },
	{ "   \t\n ", 0, 0, { NULL } },
	{ "org list", 0, 2, { "org", "list" } },
	{ "  org\t\tlist\n", 0, 2, { "org", "list" } },
	{ "a 'b c' d", 0, 3, { "a", "b c", "d" } },
	{ "'it''s'", 0, 1, { "its" } },
	{ "'a\\b\"c$d'", 0, 1, { "a\\b\"c$d" } },
	{ "\"a b\"", 0, 1, { "a b" } },
	{ "\"x\\\"y\"", 0, 1, { "x\"y" } },
	{ "\"\\\\ \\$ \\` \\n\"", 0, 1, { "\\ $ ` \\n" } },
	{ "\"a\\\nb\"", 0, 1, { "ab" } },
	{ "a\\ b", 0, 1, { "a b" } },
	{ "\\'x\\'", 0, 1, { "'x'" } },
	{ "a\\\nb", 0, 1, { "ab" } },
	{ "a \\\n b", 0, 2, { "a", "b" } },
	{ "'' \"\" x", 0, 3, { "", "", "x" } },
	{ "$HOME * ~ ; | & `id` $(id)", 0, 8,
	    { "$HOME", "*", "~", ";", "|", "&", "`id`", "$(id)" } },
	{ "pre'mid'\"dle\"post", 0, 1, { "premiddlepost" } },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0, 3,
	    { "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" } },
	{ "--key \"ssh-ed25519 AAAA x@y\"", 0, 2,
	    { "--key", "ssh-ed25519 AAAA x@y" } },
};

struct bad_case {
	const char	*line;
	size_t		 len;
	int		 err;
	const char	*why;
};

static const struct bad_case bad[] = {
	{ "a 'b", 0, SLUICE_EFORMAT, "unbalanced single quote at offset 2" },
	{ "\"a", 0, SLUICE_EFORMAT, "unbalanced double quote at offset 0" },
	{ "'a\"", 0, SLUICE_EFORMAT, "unbalanced single quote at offset 0" },
	{ "\"a\\\"", 0, SLUICE_EFORMAT, "unbalanced double quote at offset 0" },
	{ "ab\\", 0, SLUICE_EFORMAT, "trailing backslash at offset 2" },
	{ "a\0b", 3, SLUICE_EFORMAT, "NUL byte at offset 1" },
	{ "'a\0b'", 5, SLUICE_EFORMAT, "NUL byte at offset 2" },
	{ "a\x1b[2Jb", 0, SLUICE_EFORMAT, "control byte 0x1b at offset 1" },
	{ "a\rb", 0, SLUICE_EFORMAT, "control byte 0x0d at offset 1" },
	{ "a\x7f", 0, SLUICE_EFORMAT, "control byte 0x7f at offset 1" },
	{ "ab\xff", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 2" },
	{ "\xc0\xaf", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 0" },
	{ "x\xe0\x80\xaf", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 1" },
	{ "\xed\xa0\x80", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 0" },
	{ "\xf4\x90\x80\x80", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 0" },
	{ "\xc3", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 0" },
	{ "\xe2\x82", 0, SLUICE_EFORMAT, "invalid UTF-8 at offset 0" },
};

START_TEST(splits_good)
{
	const struct split_case *c = &good[_i];
	char why[128] = "", **argv = NULL;
	int argc = -1, i;
	size_t len = c->len ? c->len : strlen(c->line);

	ck_assert_int_eq(words_split(c->line, len, &argc, &argv, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(argc, c->argc);
	for (i = 0; i < argc && i < 8; i++)
		ck_assert_str_eq(argv[i], c->words[i]);
	ck_assert_ptr_null(argv[argc]);
	words_free(argv);
}
END_TEST

START_TEST(refuses_bad)
{
	const struct bad_case *c = &bad[_i];
	char why[128] = "", **argv = (char **)1;
	int argc = -1;
	size_t len = c->len ? c->len : strlen(c->line);

	ck_assert_int_eq(words_split(c->line, len, &argc, &argv, why,
	    sizeof(why)), c->err);
	ck_assert_str_eq(why, c->why);
	ck_assert_int_eq(argc, 0);
	ck_assert_ptr_null(argv);
}
END_TEST

START_TEST(length_limit)
{
	char *line = malloc(WORDS_MAX_LINE + 1), why[128], **argv;
	int argc;

	ck_assert_ptr_nonnull(line);
	memset(line, 'a', WORDS_MAX_LINE + 1);
	ck_assert_int_eq(words_split(line, WORDS_MAX_LINE, &argc, &argv, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(argc, 1);
	ck_assert_uint_eq(strlen(argv[0]), WORDS_MAX_LINE);
	words_free(argv);
	ck_assert_int_eq(words_split(line, WORDS_MAX_LINE + 1, &argc, &argv,
	    why, sizeof(why)), SLUICE_ETOOBIG);
	ck_assert_str_eq(why, "line too long (65537 bytes, at most 65536)");
	ck_assert_ptr_null(argv);
	free(line);
}
END_TEST

START_TEST(word_limit)
{
	char line[2 * (WORDS_MAX + 1) + 1], why[128], **argv;
	int argc;
	size_t i;

	for (i = 0; i < WORDS_MAX + 1; i++) {
		line[2 * i] = 'w';
		line[2 * i + 1] = ' ';
	}
	line[2 * (WORDS_MAX + 1)] = '\0';
	ck_assert_int_eq(words_split(line, 2 * WORDS_MAX, &argc, &argv, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(argc, WORDS_MAX);
	words_free(argv);
	ck_assert_int_eq(words_split(line, 2 * (WORDS_MAX + 1), &argc, &argv,
	    why, sizeof(why)), SLUICE_ETOOBIG);
	ck_assert_str_eq(why, "too many words (at most 256)");
	ck_assert_ptr_null(argv);
}
END_TEST

START_TEST(null_arguments)
{
	char why[64], **argv;
	int argc;

	ck_assert_int_eq(words_split(NULL, 0, &argc, &argv, why, sizeof(why)),
	    SLUICE_EINVAL);
	ck_assert_str_eq(why, "no line");
	words_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("words");
	TCase *tc = tcase_create("split");

	tcase_add_loop_test(tc, splits_good, 0,
	    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, refuses_bad, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, length_limit);
	tcase_add_test(tc, word_limit);
	tcase_add_test(tc, null_arguments);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
