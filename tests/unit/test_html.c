/* test_html.c: the one HTML escape, with hostile titles, case by case. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/html.h"
#include "suite_run.h"

struct escape_case {
	const char	*in;
	const char	*out;
};

static const struct escape_case cases[] = {
	{ "", "" },
	{ "Readmissions cohort study", "Readmissions cohort study" },
	{ "<script>alert(1)</script>",
	    "&lt;script&gt;alert(1)&lt;/script&gt;" },
	{ "\"><img src=x onerror=alert(1)>",
	    "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" },
	{ "it's \"quoted\"", "it&#39;s &quot;quoted&quot;" },
	{ "A & B &amp; C", "A &amp; B &amp;amp; C" },
	{ "&#60;", "&amp;#60;" },
	/* U+202E RIGHT-TO-LEFT OVERRIDE: shown, never obeyed */
	{ "invoice\xe2\x80\xaegpj.exe", "invoice[U+202E]gpj.exe" },
	{ "\xe2\x80\x8f\xe2\x80\x8e\xd8\x9c", "[U+200F][U+200E][U+061C]" },
	{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	    "[U+202A][U+202B][U+202C][U+202D]" },
	{ "\xe2\x81\xa6x\xe2\x81\xa7y\xe2\x81\xa8z\xe2\x81\xa9",
	    "[U+2066]x[U+2067]y[U+2068]z[U+2069]" },
	{ "a\x1b[2Jb\x7f", "a[U+001B][2Jb[U+007F]" },
	{ "\xc2\x85next", "[U+0085]next" },
	{ "tab\tline\r\nend", "tab\tline\r\nend" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d" },
	{ "bad\xff\xc3(", "bad\xef\xbf\xbd\xef\xbf\xbd(" },
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ "<\xe2\x80\xae>", "&lt;[U+202E]&gt;" },
};

/* s escaped, as a string the caller frees. */
static char *
escaped(const char *s)
{
	struct sbuf *b = sbuf_new();
	char *out;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(html_escape(b, s), 0);
	out = calloc(1, sbuf_len(b) + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, sbuf_ptr(b), sbuf_len(b));
	sbuf_free(b);
	return out;
}

START_TEST(escapes)
{
	char *got = escaped(cases[_i].in);

	ck_assert_str_eq(got, cases[_i].out);
	free(got);
}
END_TEST

/* Whatever goes in, nothing that starts markup or ends an attribute comes
 * out, and no bidirectional control survives. */
START_TEST(never_markup)
{
	char in[4], *got;
	unsigned c;

	for (c = 1; c < 256; c++) {
		in[0] = 'x';
		in[1] = (char)c;
		in[2] = 'y';
		in[3] = '\0';
		got = escaped(in);
		ck_assert_ptr_null(strpbrk(got, "<>\"'"));
		ck_assert_ptr_null(strstr(got, "\xe2\x80\xae"));
		free(got);
	}
}
END_TEST

START_TEST(null_is_empty)
{
	char *got = escaped(NULL);

	ck_assert_str_eq(got, "");
	free(got);
}
END_TEST

START_TEST(appends)
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put(b, "<td>", 4), 0);
	ck_assert_int_eq(html_escape(b, "a<b"), 0);
	ck_assert_int_eq(sbuf_put(b, "</td>", 5), 0);
	ck_assert_uint_eq(sbuf_len(b), 15);
	ck_assert_int_eq(memcmp(sbuf_ptr(b), "<td>a&lt;b</td>", 15), 0);
	sbuf_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("escape");

	tcase_add_loop_test(tc, escapes, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, never_markup);
	tcase_add_test(tc, null_is_empty);
	tcase_add_test(tc, appends);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
