/*
 * test_vis.c: the one escape for logs and audit entries (vis.h): hostile
 * user names case by case, the cut with its length, a buffer too small,
 * backslashes left alone for text already escaped, and every byte value.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/vis.h"
#include "suite_run.h"

struct vis_case {
	const char	*in;
	const char	*out;
};

static const struct vis_case cases[] = {
	{ "", "" },
	{ "rita", "rita" },
	/* a newline would forge a log line */
	{ "admin\nSep  1 sluiced: login: admin from 1",
	    "admin\\nSep  1 sluiced: login: admin from 1" },
	{ "a\r\tb", "a\\r\\tb" },
	/* terminal escapes: clear the screen, a colour, a title */
	{ "\x1b[2J\x1b[31mred\x1b]0;t\x07", "\\x1b[2J\\x1b[31mred\\x1b]0;t\\x07" },
	{ "del\x7f", "del\\x7f" },
	{ "back\\slash", "back\\\\slash" },
	{ "\\n is not a newline", "\\\\n is not a newline" },
	/* C1 controls, line separators, bidirectional overrides */
	{ "\xc2\x85\xc2\x9b", "\\u0085\\u009b" },
	{ "x\xe2\x80\xa8y\xe2\x80\xa9", "x\\u2028y\\u2029" },
	{ "invoice\xe2\x80\xaegpj.exe", "invoice\\u202egpj.exe" },
	{ "\xe2\x81\xa6\xd8\x9c", "\\u2066\\u061c" },
	/* valid UTF-8 is kept; bytes that are not are shown as they are */
	{ "caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80" },
	{ "bad\xff\xc3(", "bad\\xff\\xc3(" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
	{ "quote\" ok", "quote\" ok" },
};

START_TEST(escapes)
{
	char out[VIS_SIZE(64)];
	size_t n;

	n = str_vis(out, sizeof(out), cases[_i].in, strlen(cases[_i].in), 64, 0);
	ck_assert_str_eq(out, cases[_i].out);
	ck_assert_uint_eq(n, strlen(cases[_i].out));
}
END_TEST

/* A NUL inside the given length is shown, not an end. */
START_TEST(embedded_nul)
{
	char out[64];

	ck_assert_uint_eq(str_vis(out, sizeof(out), "a\0b", 3, 10, 0), 6);
	ck_assert_str_eq(out, "a\\x00b");
}
END_TEST

/* A 300-byte user name: its first 64 characters, then its length. */
START_TEST(cut_names)
{
	char name[301], out[VIS_NAME_SIZE], want[128];

	memset(name, 'a', 300);
	name[300] = '\0';
	memset(want, 'a', 64);
	snprintf(want + 64, sizeof(want) - 64, "...(300 bytes)");
	ck_assert_str_eq(vis_name(out, name), want);
	/* exactly 64 characters are not cut */
	name[64] = '\0';
	ck_assert_str_eq(vis_name(out, name), name);
	ck_assert_str_eq(vis_name(out, NULL), "");
}
END_TEST

/* A name of 64 four-byte escapes would take 256 bytes: it stops within the
 * 255 bytes a name may take, the tail still saying how long it was. */
START_TEST(cut_within_size)
{
	char name[101], out[VIS_NAME_SIZE], want[VIS_NAME_SIZE];
	size_t i;

	memset(name, '\x01', 100);
	name[100] = '\0';
	for (i = 0; i < 55; i++)
		memcpy(want + 4 * i, "\\x01", 4);
	snprintf(want + 4 * i, sizeof(want) - 4 * i, "...(100 bytes)");
	ck_assert_str_eq(vis_name(out, name), want);
}
END_TEST

/* A multi-byte character is never split by the cut; a buffer too small
 * for the tail still ends with what of it fits. */
START_TEST(cut_whole_characters)
{
	char euros[31], out[40];
	size_t i;

	for (i = 0; i < 30; i += 3)
		memcpy(euros + i, "\xe2\x82\xac", 3);
	euros[30] = '\0';
	str_vis(out, sizeof(out), euros, 6, 1, 0);
	ck_assert_str_eq(out, "\xe2\x82\xac...(6 bytes)");
	str_vis(out, sizeof(out), euros, 30, 100, 0);
	ck_assert_str_eq(out, "\xe2\x82\xac\xe2\x82\xac...(30 bytes)");
	str_vis(out, 4, "abcdef", 6, 100, 0);
	ck_assert_str_eq(out, "...");
	str_vis(out, 1, "abc", 3, 100, 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(str_vis(out, 0, "abc", 3, 100, 0), 0);
}
END_TEST

/* VIS_NOSLASH: text escaped once passes a second time unchanged, and
 * controls are still caught. */
START_TEST(noslash_is_idempotent)
{
	char once[VIS_SIZE(64)], twice[VIS_SIZE(64)];
	const char *in = "a\\b\n\x1b[0m\xe2\x80\xae";

	str_vis(once, sizeof(once), in, strlen(in), 64, 0);
	str_vis(twice, sizeof(twice), once, strlen(once), 64, VIS_NOSLASH);
	ck_assert_str_eq(twice, once);
	str_vis(twice, sizeof(twice), in, strlen(in), 64, VIS_NOSLASH);
	ck_assert_str_eq(twice, "a\\b\\n\\x1b[0m\\u202e");
}
END_TEST

/* Whatever byte comes, the output is printable: no control, no DEL. */
START_TEST(every_byte)
{
	char in[3], out[64];
	unsigned c;
	size_t i;

	for (c = 0; c < 256; c++) {
		in[0] = 'x';
		in[1] = (char)c;
		in[2] = 'y';
		str_vis(out, sizeof(out), in, 3, 64, 0);
		for (i = 0; out[i] != '\0'; i++)
			ck_assert((unsigned char)out[i] >= 0x20 &&
			    (unsigned char)out[i] != 0x7f);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vis");
	TCase *tc = tcase_create("escape");

	tcase_add_loop_test(tc, escapes, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, embedded_nul);
	tcase_add_test(tc, cut_names);
	tcase_add_test(tc, cut_within_size);
	tcase_add_test(tc, cut_whole_characters);
	tcase_add_test(tc, noslash_is_idempotent);
	tcase_add_test(tc, every_byte);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
