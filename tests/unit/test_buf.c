/*
 * test_buf: sbuf's wire formats, byte for byte, and its refusals: a short
 * read consumes nothing; a string with a NUL inside is not a C string.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "suite_run.h"

START_TEST(integers_round_trip)
{
	static const uint8_t wire[] = {
		0xde, 0xad, 0xbe, 0xef,
		0x00, 0x00, 0x00, 0x00,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x7f,
	};
	struct sbuf *b = sbuf_new();
	uint32_t u32;
	uint64_t u64;
	uint8_t u8;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put_u32(b, 0xdeadbeefu), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0), 0);
	ck_assert_int_eq(sbuf_put_u64(b, 0x0102030405060708ull), 0);
	ck_assert_int_eq(sbuf_put_u64(b, UINT64_MAX), 0);
	ck_assert_int_eq(sbuf_put_u8(b, 0x7f), 0);
	ck_assert_uint_eq(sbuf_len(b), sizeof(wire));
	ck_assert_int_eq(memcmp(sbuf_ptr(b), wire, sizeof(wire)), 0);

	ck_assert_int_eq(sbuf_get_u32(b, &u32), 0);
	ck_assert_uint_eq(u32, 0xdeadbeefu);
	ck_assert_int_eq(sbuf_get_u32(b, &u32), 0);
	ck_assert_uint_eq(u32, 0);
	ck_assert_int_eq(sbuf_get_u64(b, &u64), 0);
	ck_assert_uint_eq(u64, 0x0102030405060708ull);
	ck_assert_int_eq(sbuf_get_u64(b, &u64), 0);
	ck_assert_uint_eq(u64, UINT64_MAX);
	ck_assert_int_eq(sbuf_get_u8(b, &u8), 0);
	ck_assert_uint_eq(u8, 0x7f);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
	sbuf_free(NULL);
}
END_TEST

START_TEST(short_reads_refused)
{
	static const uint8_t bytes[] = { 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t str[] = { 0, 0, 0, 5, 'a', 'b', 'c', 'd' };
	struct sbuf b;
	const uint8_t *p;
	uint32_t u32 = 99;
	uint64_t u64 = 99;
	uint8_t out[8];
	char *s = (char *)1;
	size_t n;

	sbuf_view(&b, bytes, 3);
	ck_assert_int_eq(sbuf_get_u32(&b, &u32), SLUICE_EFORMAT);
	ck_assert_uint_eq(u32, 99);
	ck_assert_uint_eq(sbuf_len(&b), 3);		/* nothing consumed */
	sbuf_view(&b, bytes, 7);
	ck_assert_int_eq(sbuf_get_u64(&b, &u64), SLUICE_EFORMAT);
	ck_assert_uint_eq(u64, 99);
	ck_assert_uint_eq(sbuf_len(&b), 7);
	ck_assert_int_eq(sbuf_get(&b, out, 8), SLUICE_EFORMAT);
	ck_assert_uint_eq(sbuf_len(&b), 7);
	ck_assert_int_eq(sbuf_consume(&b, 8), SLUICE_EFORMAT);
	ck_assert_int_eq(sbuf_get(&b, out, 7), 0);
	ck_assert_int_eq(sbuf_get_u8(&b, out), SLUICE_EFORMAT);

	/* A string whose length runs past the end. */
	sbuf_view(&b, str, sizeof(str));
	ck_assert_int_eq(sbuf_get_string_direct(&b, &p, &n), SLUICE_EFORMAT);
	ck_assert_uint_eq(sbuf_len(&b), sizeof(str));
	ck_assert_int_eq(sbuf_get_cstring(&b, &s, 100), SLUICE_EFORMAT);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(sbuf_len(&b), sizeof(str));
	sbuf_view(&b, str, 2);
	ck_assert_int_eq(sbuf_get_string_direct(&b, &p, &n), SLUICE_EFORMAT);

	/* A view is never written. */
	sbuf_view(&b, bytes, sizeof(bytes));
	ck_assert_int_eq(sbuf_put_u8(&b, 1), SLUICE_EINVAL);
}
END_TEST

START_TEST(cstrings)
{
	static const uint8_t with_nul[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	static const uint8_t ok[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0 };
	struct sbuf b, *w = sbuf_new();
	const uint8_t *p;
	char *s = NULL;
	size_t n;

	sbuf_view(&b, with_nul, sizeof(with_nul));
	ck_assert_int_eq(sbuf_get_cstring(&b, &s, 100), SLUICE_EFORMAT);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(sbuf_len(&b), sizeof(with_nul));	/* not consumed */
	/* The same bytes are a fine binary string. */
	ck_assert_int_eq(sbuf_get_string_direct(&b, &p, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(p, "a\0b", 3), 0);

	sbuf_view(&b, ok, sizeof(ok));
	ck_assert_int_eq(sbuf_get_cstring(&b, &s, 2), SLUICE_EFORMAT);	/* > max */
	ck_assert_uint_eq(sbuf_len(&b), sizeof(ok));
	ck_assert_int_eq(sbuf_get_cstring(&b, &s, 3), 0);
	ck_assert_str_eq(s, "abc");
	free(s);
	ck_assert_int_eq(sbuf_get_cstring(&b, &s, 3), 0);	/* empty string */
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_uint_eq(sbuf_len(&b), 0);

	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(sbuf_put_cstring(w, "abc"), 0);
	ck_assert_int_eq(sbuf_put_string(w, "", 0), 0);
	ck_assert_uint_eq(sbuf_len(w), sizeof(ok));
	ck_assert_int_eq(memcmp(sbuf_ptr(w), ok, sizeof(ok)), 0);
	sbuf_free(w);
}
END_TEST

START_TEST(putf_and_secret)
{
	struct sbuf *b = sbuf_new_secret();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_putf(b, "%s=%d", "n", 42), 0);
	ck_assert_uint_eq(sbuf_len(b), 4);
	ck_assert_int_eq(memcmp(sbuf_ptr(b), "n=42", 4), 0);
	sbuf_reset(b);
	ck_assert_uint_eq(sbuf_len(b), 0);
	ck_assert_int_eq(b->data[0], 0);	/* wiped */
	ck_assert_int_eq(sbuf_put(b, "x", 1), 0);
	ck_assert_int_eq(sbuf_consume(b, 1), 0);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
}
END_TEST

START_TEST(size_limit)
{
	struct sbuf *b = sbuf_new();
	uint8_t *dst;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_reserve(b, SBUF_MAX + 1, &dst), SLUICE_ETOOBIG);
	ck_assert_int_eq(sbuf_put_string(b, "", (size_t)SBUF_MAX + 1), SLUICE_ETOOBIG);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, integers_round_trip);
	tcase_add_test(tc, short_reads_refused);
	tcase_add_test(tc, cstrings);
	tcase_add_test(tc, putf_and_secret);
	tcase_add_test(tc, size_limit);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
