/*
 * clock.h: the one clock, and strict UTC date and time formats.
 *
 * Everything that needs "now" calls sluice_now(). Tests (and only tests) may
 * point the clock at a file holding an RFC 3339 UTC time, re-read at each call,
 * so a test moves time by rewriting the file. Dates are UTC calendar dates,
 * counted as days since 1970-01-01.
 */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define SLUICE_DAY 86400

/* Seconds since the epoch, UTC. With a fake clock whose file cannot be read
 * or parsed, the last good value (or 0 before any) is returned. */
int64_t sluice_now(void);

/* Use the time in path from now on (NULL: back to the real clock). The file
 * must be readable and hold a valid time when this is called. */
int sluice_clock_set_fake(const char *path);
int sluice_clock_is_fake(void);

/* "YYYY-MM-DD", a real calendar date (no 2026-02-30), years 1970..9999. */
int sluice_date_parse(const char *s, int32_t *days);
int sluice_date_format(int32_t days, char *out, size_t outlen);	/* 11 bytes */
/* "YYYY-MM-DDTHH:MM:SSZ" (a lone date is also accepted, as 00:00:00). */
int sluice_time_parse(const char *s, int64_t *t);
int sluice_time_format(int64_t t, char *out, size_t outlen);	/* 21 bytes */
/* The day that holds second t. */
int32_t sluice_day_of(int64_t t);

/* Milliseconds of CLOCK_MONOTONIC, for deadlines and rates (never for
 * dates: those come from sluice_now(), which a test may fake). */
uint64_t sluice_monotonic_ms(void);

#endif
