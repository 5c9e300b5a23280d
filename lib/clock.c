#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice/clock.h"
#include "sluice/error.h"

static char	fake_path[4096];
static int	fake_on;
static int64_t	fake_last;

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int32_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

static void
civil_from_days(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at s, exactly. */
static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return SLUICE_EFORMAT;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
parse_ymd(const char *s, int32_t *days)
{
	int y, m, d;

	if (digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &m) != 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) != 0)
		return SLUICE_EFORMAT;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return SLUICE_EINVAL;
	*days = days_from_civil(y, m, d);
	return 0;
}

int
sluice_date_parse(const char *s, int32_t *days)
{
	if (s == NULL || strlen(s) != 10)
		return SLUICE_EFORMAT;
	return parse_ymd(s, days);
}

int
sluice_date_format(int32_t days, char *out, size_t outlen)
{
	int y, m, d, n;

	civil_from_days(days, &y, &m, &d);
	n = snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

int
sluice_time_parse(const char *s, int64_t *t)
{
	int32_t days;
	int hh, mm, ss, r;
	size_t n;

	if (s == NULL)
		return SLUICE_EFORMAT;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n != 10 && n != 20)
		return SLUICE_EFORMAT;
	if ((r = parse_ymd(s, &days)) != 0)
		return r;
	hh = mm = ss = 0;
	if (n == 20 && (s[10] != 'T' || digits(s + 11, 2, &hh) != 0 ||
	    s[13] != ':' || digits(s + 14, 2, &mm) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &ss) != 0 || s[19] != 'Z'))
		return SLUICE_EFORMAT;
	if (hh > 23 || mm > 59 || ss > 59)
		return SLUICE_EINVAL;
	*t = (int64_t)days * SLUICE_DAY + hh * 3600 + mm * 60 + ss;
	return 0;
}

int
sluice_time_format(int64_t t, char *out, size_t outlen)
{
	int32_t days = sluice_day_of(t);
	int64_t rem = t - (int64_t)days * SLUICE_DAY;
	int y, m, d, n;

	civil_from_days(days, &y, &m, &d);
	n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

int32_t
sluice_day_of(int64_t t)
{
	int64_t d = t / SLUICE_DAY;

	if (t < 0 && t % SLUICE_DAY != 0)
		d--;
	return (int32_t)d;
}

static int
read_fake(int64_t *t)
{
	char buf[64];
	ssize_t n;
	int fd, r;

	if ((fd = open(fake_path, O_RDONLY | O_CLOEXEC)) == -1)
		return SLUICE_EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return SLUICE_EIO;
	buf[n] = '\0';
	if ((r = sluice_time_parse(buf, t)) != 0)
		return r;
	return 0;
}

int
sluice_clock_set_fake(const char *path)
{
	int64_t t;
	int r, n;

	if (path == NULL) {
		fake_on = 0;
		return 0;
	}
	n = snprintf(fake_path, sizeof(fake_path), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(fake_path))
		return SLUICE_ETOOBIG;
	if ((r = read_fake(&t)) != 0)
		return r;
	fake_last = t;
	fake_on = 1;
	return 0;
}

int
sluice_clock_is_fake(void)
{
	return fake_on;
}

int64_t
sluice_now(void)
{
	struct timespec ts;
	int64_t t;

	if (fake_on) {
		if (read_fake(&t) == 0)
			fake_last = t;
		return fake_last;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec;
}

uint64_t
sluice_monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
