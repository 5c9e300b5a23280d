/*
 * test_clock: the fake clock follows its file; dates and times parse only
 * when they are real, and format back to the same text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/clock.h"
#include "sluice/error.h"
#include "suite_run.h"

static char tmpdir[64], clockfile[128];

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-clock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(clockfile, sizeof(clockfile), "%s/now", tmpdir);
}

static void
teardown(void)
{
	ck_assert_int_eq(sluice_clock_set_fake(NULL), 0);
	(void)unlink(clockfile);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static void
set_time(const char *text)
{
	FILE *fp;

	/* Replaced whole, as a test script would with a rename. */
	ck_assert_ptr_nonnull(fp = fopen(clockfile, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

static int64_t
at(const char *s)
{
	int64_t t = -1;

	ck_assert_int_eq(sluice_time_parse(s, &t), 0);
	return t;
}

START_TEST(fake_clock_follows_file)
{
	ck_assert_int_eq(sluice_clock_is_fake(), 0);
	ck_assert_int_eq(sluice_clock_set_fake(clockfile), SLUICE_EIO);	/* no file */
	ck_assert_int_eq(sluice_clock_is_fake(), 0);

	set_time("2026-03-01T10:00:00Z\n");
	ck_assert_int_eq(sluice_clock_set_fake(clockfile), 0);
	ck_assert_int_eq(sluice_clock_is_fake(), 1);
	ck_assert_int_eq(sluice_now(), at("2026-03-01T10:00:00Z"));
	ck_assert_int_eq(sluice_now(), at("2026-03-01T10:00:00Z"));	/* does not tick */

	set_time("2026-12-31T23:59:59Z");
	ck_assert_int_eq(sluice_now(), at("2026-12-31T23:59:59Z"));
	set_time("2027-01-01");
	ck_assert_int_eq(sluice_now(), at("2027-01-01T00:00:00Z"));

	/* A file that cannot be parsed or read: the last good time stands. */
	set_time("tomorrow");
	ck_assert_int_eq(sluice_now(), at("2027-01-01T00:00:00Z"));
	ck_assert_int_eq(unlink(clockfile), 0);
	ck_assert_int_eq(sluice_now(), at("2027-01-01T00:00:00Z"));
	set_time("2025-06-01T08:30:00Z");
	ck_assert_int_eq(sluice_now(), at("2025-06-01T08:30:00Z"));	/* back in time */

	ck_assert_int_eq(sluice_clock_set_fake(NULL), 0);
	ck_assert_int_eq(sluice_clock_is_fake(), 0);
	ck_assert_int_gt(sluice_now(), at("2024-01-01T00:00:00Z"));	/* the real clock */
}
END_TEST

START_TEST(fake_clock_refuses_bad_file)
{
	set_time("2026-02-30T00:00:00Z");
	ck_assert_int_eq(sluice_clock_set_fake(clockfile), SLUICE_EINVAL);
	ck_assert_int_eq(sluice_clock_is_fake(), 0);
	set_time("soon");
	ck_assert_int_eq(sluice_clock_set_fake(clockfile), SLUICE_EFORMAT);
	ck_assert_int_eq(sluice_clock_is_fake(), 0);
}
END_TEST

static const struct date_case {
	const char	*text;
	int		 r;
} dates[] = {
	{ "2026-02-28", 0 },
	{ "2028-02-29", 0 },		/* leap year */
	{ "2000-02-29", 0 },		/* divisible by 400 */
	{ "1970-01-01", 0 },
	{ "9999-12-31", 0 },
	{ "2026-02-30", SLUICE_EINVAL },
	{ "2027-02-29", SLUICE_EINVAL },
	{ "2100-02-29", SLUICE_EINVAL },	/* divisible by 100 */
	{ "2026-13-01", SLUICE_EINVAL },
	{ "2026-00-10", SLUICE_EINVAL },
	{ "2026-04-31", SLUICE_EINVAL },
	{ "2026-01-00", SLUICE_EINVAL },
	{ "1969-12-31", SLUICE_EINVAL },
	{ "2026-01-01 ", SLUICE_EFORMAT },	/* trailing space */
	{ " 2026-01-01", SLUICE_EFORMAT },
	{ "2026-1-01", SLUICE_EFORMAT },
	{ "2026/01/01", SLUICE_EFORMAT },
	{ "2026-01-0a", SLUICE_EFORMAT },
	{ "2026-01-01T00:00:00Z", SLUICE_EFORMAT },
	{ "", SLUICE_EFORMAT },
};

START_TEST(date_parse)
{
	char out[11];
	int32_t d = -1;

	ck_assert_int_eq(sluice_date_parse(dates[_i].text, &d), dates[_i].r);
	if (dates[_i].r != 0)
		return;
	ck_assert_int_eq(sluice_date_format(d, out, sizeof(out)), 0);
	ck_assert_str_eq(out, dates[_i].text);
}
END_TEST

START_TEST(date_values)
{
	char out[11];
	int32_t d;

	ck_assert_int_eq(sluice_date_parse("1970-01-01", &d), 0);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(sluice_date_parse("2000-03-01", &d), 0);
	ck_assert_int_eq(d, 11017);
	ck_assert_int_eq(sluice_date_parse("2028-02-29", &d), 0);
	ck_assert_int_eq(d, 21243);
	ck_assert_int_eq(sluice_date_parse(NULL, &d), SLUICE_EFORMAT);
	ck_assert_int_eq(sluice_date_format(21244, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2028-03-01");
	ck_assert_int_eq(sluice_date_format(0, out, 10), SLUICE_ETOOBIG);
}
END_TEST

START_TEST(time_round_trip)
{
	static const char *const times[] = {
		"1970-01-01T00:00:00Z", "2026-03-01T10:00:00Z",
		"2028-02-29T23:59:59Z", "2038-01-19T03:14:08Z",
		"9999-12-31T23:59:59Z",
	};
	char out[21];
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		ck_assert_int_eq(sluice_time_parse(times[i], &t), 0);
		ck_assert_int_eq(sluice_time_format(t, out, sizeof(out)), 0);
		ck_assert_str_eq(out, times[i]);
	}
	ck_assert_int_eq(at("2026-03-01T10:00:00Z"), 1772359200);
	ck_assert_int_eq(at("2026-03-01"), 1772323200);
	ck_assert_int_eq(sluice_time_format(1772359200, out, 20), SLUICE_ETOOBIG);
	ck_assert_int_eq(sluice_time_parse("2026-03-01T24:00:00Z", &t), SLUICE_EINVAL);
	ck_assert_int_eq(sluice_time_parse("2026-03-01T10:60:00Z", &t), SLUICE_EINVAL);
	ck_assert_int_eq(sluice_time_parse("2026-03-01T10:00:00", &t), SLUICE_EFORMAT);
	ck_assert_int_eq(sluice_time_parse("2026-03-01 10:00:00Z", &t), SLUICE_EFORMAT);
	ck_assert_int_eq(sluice_time_parse("2026-03-01T10:00:00+01:00", &t),
	    SLUICE_EFORMAT);
	ck_assert_int_eq(sluice_time_parse("2026-02-29T10:00:00Z", &t), SLUICE_EINVAL);
	ck_assert_int_eq(sluice_time_parse(NULL, &t), SLUICE_EFORMAT);
}
END_TEST

START_TEST(day_of)
{
	ck_assert_int_eq(sluice_day_of(0), 0);
	ck_assert_int_eq(sluice_day_of(SLUICE_DAY - 1), 0);
	ck_assert_int_eq(sluice_day_of(SLUICE_DAY), 1);
	ck_assert_int_eq(sluice_day_of(-1), -1);
	ck_assert_int_eq(sluice_day_of(-SLUICE_DAY), -1);
	ck_assert_int_eq(sluice_day_of(-SLUICE_DAY - 1), -2);
	ck_assert_int_eq(sluice_day_of(at("2028-02-29T23:59:59Z")), 21243);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fake_clock_follows_file);
	tcase_add_test(tc, fake_clock_refuses_bad_file);
	tcase_add_loop_test(tc, date_parse, 0, (int)(sizeof(dates) / sizeof(dates[0])));
	tcase_add_test(tc, date_values);
	tcase_add_test(tc, time_round_trip);
	tcase_add_test(tc, day_of);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
