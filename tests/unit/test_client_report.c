/*
 * test_client_report.c: what the clients write for --json (strings escaped,
 * bad UTF-8 replaced, so the output is always valid JSON), sluice get's
 * report as text lines and as its one JSON document, and the command-line
 * --json taken out of the global flags.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "getreport.h"
#include "jsonw.h"
#include "suite_run.h"

static char *buf;
static size_t buflen;
static FILE *mem;

static void
setup(void)
{
	buf = NULL;
	buflen = 0;
	mem = open_memstream(&buf, &buflen);
	ck_assert_ptr_nonnull(mem);
}

static void
teardown(void)
{
	if (mem != NULL)
		(void)fclose(mem);
	free(buf);
}

/* What was written so far, NUL-terminated. */
static const char *
written(void)
{
	ck_assert_int_eq(fflush(mem), 0);
	return buf;
}

START_TEST(strings_escaped)
{
	jsonw_str(mem, "plain \"q\" back\\slash\nnl\ttab\r\x01\x1f\x7f caf\xc3\xa9");
	ck_assert_str_eq(written(), "\"plain \\\"q\\\" back\\\\slash\\nnl\\ttab"
	    "\\r\\u0001\\u001f\\u007f caf\xc3\xa9\"");
}
END_TEST

START_TEST(bad_utf8_replaced)
{
	/* a lone continuation byte, a truncated sequence, an overlong '/' */
	jsonw_str(mem, "a\x80" "b\xc3" "c\xc0\xaf" "d");
	ck_assert_str_eq(written(),
	    "\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\"");
}
END_TEST

START_TEST(key_values)
{
	(void)fputc('{', mem);
	jsonw_kv_str(mem, "s", "v", 1);
	jsonw_kv_u64(mem, "n", UINT64_MAX, 0);
	jsonw_kv_bool(mem, "t", 1, 0);
	jsonw_kv_bool(mem, "f", 0, 0);
	(void)fputc('}', mem);
	ck_assert_str_eq(written(),
	    "{\"s\":\"v\",\"n\":18446744073709551615,\"t\":true,\"f\":false}");
}
END_TEST

START_TEST(report_text)
{
	struct get_report r;

	memset(&r, 0, sizeof(r));
	r.out = mem;
	ck_assert_int_eq(getreport_done(&r, "a.csv", GOT_DECRYPTED, 5893, 1), 0);
	ck_assert_int_eq(getreport_done(&r, "b.txt", GOT_DOWNLOADED, 3, 0), 0);
	ck_assert_int_eq(getreport_done(&r, "c.txt", GOT_DOWNLOADED, 4, 1), 0);
	ck_assert_int_eq(getreport_done(&r, "d.csv", GOT_ALREADY_HERE, 9, 1),
	    0);
	getreport_end(&r, "NIC-123456-A1B2C", "out");
	ck_assert_str_eq(written(),
	    "a.csv: decrypted, 5893 bytes, SHA-256 verified\n"
	    "b.txt: downloaded (not in SHA256SUMS)\n"
	    "c.txt: downloaded, SHA-256 verified\n"
	    "d.csv: already here, SHA-256 verified\n"
	    "all 4 files of NIC-123456-A1B2C are in out\n");
	ck_assert_uint_eq(r.n, 0);	/* text keeps nothing */
	getreport_clear(&r);
}
END_TEST

START_TEST(report_text_failed_no_summary)
{
	struct get_report r;

	memset(&r, 0, sizeof(r));
	r.out = mem;
	ck_assert_int_eq(getreport_failed(&r, "x.age", "bad"), 0);
	getreport_end(&r, "NIC-123456-A1B2C", "out");
	ck_assert_str_eq(written(), "");
	ck_assert_uint_eq(r.failed, 1);
	getreport_clear(&r);
}
END_TEST

START_TEST(report_json)
{
	struct get_report r;

	memset(&r, 0, sizeof(r));
	r.out = mem;
	r.json = 1;
	ck_assert_int_eq(getreport_done(&r, "a.csv", GOT_DECRYPTED, 5893, 1), 0);
	ck_assert_int_eq(getreport_failed(&r, "b \"q\".age",
	    "b \"q\": SHA-256 does not match"), 0);
	ck_assert_int_eq(getreport_done(&r, "c.txt", GOT_DOWNLOADED, 4, 0), 0);
	ck_assert_str_eq(written(), "");	/* nothing until the end */
	getreport_end(&r, "NIC-123456-A1B2C", "dir/x");
	ck_assert_str_eq(written(),
	    "{\"agreement\":\"NIC-123456-A1B2C\",\"complete\":false,"
	    "\"directory\":\"dir/x\",\"files\":["
	    "{\"bytes\":5893,\"name\":\"a.csv\",\"outcome\":\"decrypted\","
	    "\"verified\":true},"
	    "{\"name\":\"b \\\"q\\\".age\",\"outcome\":\"failed\","
	    "\"reason\":\"b \\\"q\\\": SHA-256 does not match\","
	    "\"verified\":false},"
	    "{\"bytes\":4,\"name\":\"c.txt\",\"outcome\":\"downloaded\","
	    "\"verified\":false}]}\n");
	getreport_clear(&r);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_eq(r.json, 1);
}
END_TEST

START_TEST(report_json_complete_many)
{
	struct get_report r;
	char name[16];
	int i;

	memset(&r, 0, sizeof(r));
	r.out = mem;
	r.json = 1;
	for (i = 0; i < 100; i++) {
		(void)snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(getreport_done(&r, name, GOT_ALREADY_HERE,
		    (uint64_t)i, 1), 0);
	}
	getreport_end(&r, "NIC-123456-A1B2C", "o");
	ck_assert_uint_eq(r.n, 100);
	ck_assert_ptr_nonnull(strstr(written(), "\"complete\":true,"));
	ck_assert_ptr_nonnull(strstr(written(), "{\"bytes\":99,\"name\":\"f99\","
	    "\"outcome\":\"already here\",\"verified\":true}]}\n"));
	getreport_clear(&r);
}
END_TEST

/* --json among the global flags goes; a flag's value and the command's
 * own words stay as they were. */
START_TEST(take_json_global)
{
	char *v[] = { "sluice", "-p", "--json", "--json", "-H", "h", "ls",
	    "--json", "x", NULL };
	int argc = 9;

	ck_assert_int_eq(cli_take_json(&argc, v), 1);
	ck_assert_int_eq(argc, 8);
	ck_assert_str_eq(v[1], "-p");
	ck_assert_str_eq(v[2], "--json");	/* the value of -p */
	ck_assert_str_eq(v[3], "-H");
	ck_assert_str_eq(v[4], "h");
	ck_assert_str_eq(v[5], "ls");
	ck_assert_str_eq(v[6], "--json");	/* the command's */
	ck_assert_str_eq(v[7], "x");
	ck_assert_ptr_null(v[8]);
}
END_TEST

START_TEST(take_json_none)
{
	char *v[] = { "sluicectl", "org", "list", NULL };
	int argc = 3;

	ck_assert_int_eq(cli_take_json(&argc, v), 0);
	ck_assert_int_eq(argc, 3);
	ck_assert_str_eq(v[2], "list");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, strings_escaped);
	tcase_add_test(tc, bad_utf8_replaced);
	tcase_add_test(tc, key_values);
	tcase_add_test(tc, report_text);
	tcase_add_test(tc, report_text_failed_no_summary);
	tcase_add_test(tc, report_json);
	tcase_add_test(tc, report_json_complete_many);
	tcase_add_test(tc, take_json_global);
	tcase_add_test(tc, take_json_none);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
