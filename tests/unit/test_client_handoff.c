/*
 * test_client_handoff.c: bytes handed to a consumer thread through a
 * bounded ring arrive whole, in order, in slices of at most HANDOFF_SLICE,
 * whatever the sizes put (around the ring's size and its wrap); the
 * consumer's first failure and its reason come back from the next put and
 * from finish; freeing without finishing stops the consumer.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "handoff.h"
#include "suite_run.h"

#define CAP	(2u * HANDOFF_SLICE)

struct seen {
	struct sbuf	*got;
	size_t		 calls, max;
	size_t		 fail_after;	/* fail once more than this came */
};

static int
consume(void *arg, const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct seen *s = arg;

	s->calls++;
	if (n > s->max)
		s->max = n;
	ck_assert_int_eq(sbuf_put(s->got, p, n), 0);
	if (s->fail_after != 0 && sbuf_len(s->got) > s->fail_after)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "chunk %zu bad",
		    s->calls);
	return 0;
}

static uint8_t *
pattern(size_t n)
{
	uint8_t *p = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + i / 977);
	return p;
}

START_TEST(in_order)
{
	static const size_t sizes[] = { 1, 4095, CAP, CAP - 1, CAP + 1,
	    HANDOFF_SLICE + 17, 3 * CAP + 5, 100 };
	struct seen s = { sbuf_new(), 0, 0, 0 };
	struct handoff *h = NULL;
	size_t total = 0, i, off = 0;
	uint8_t *p;
	char why[256] = "";

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		total += sizes[i];
	p = pattern(total);
	ck_assert_int_eq(handoff_start(CAP, consume, &s, &h), 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(handoff_put(h, p + off, sizes[i], why,
		    sizeof(why)), 0);
		off += sizes[i];
	}
	ck_assert_int_eq(handoff_finish(h, why, sizeof(why)), 0);
	ck_assert_uint_eq(sbuf_len(s.got), total);
	ck_assert_int_eq(memcmp(sbuf_ptr(s.got), p, total), 0);
	ck_assert_uint_le(s.max, HANDOFF_SLICE);
	handoff_free(h);
	sbuf_free(s.got);
	free(p);
}
END_TEST

START_TEST(consumer_fails)
{
	struct seen s = { sbuf_new(), 0, 0, HANDOFF_SLICE / 2 };
	struct handoff *h = NULL;
	uint8_t *p = pattern(HANDOFF_SLICE);
	char why[256] = "";
	int r = 0, i;

	ck_assert_int_eq(handoff_start(CAP, consume, &s, &h), 0);
	/* the failure shows at a later put, once the consumer has met it */
	for (i = 0; i < 64 && r == 0; i++)
		r = handoff_put(h, p, HANDOFF_SLICE, why, sizeof(why));
	ck_assert_int_eq(r, SLUICE_EVERIFY);
	ck_assert_str_eq(why, "chunk 1 bad");
	ck_assert_uint_eq(s.calls, 1);
	why[0] = '\0';
	ck_assert_int_eq(handoff_finish(h, why, sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "chunk 1 bad");
	handoff_free(h);
	sbuf_free(s.got);
	free(p);
}
END_TEST

START_TEST(free_stops)
{
	struct seen s = { sbuf_new(), 0, 0, 0 };
	struct handoff *h = NULL;
	uint8_t *p = pattern(CAP);
	char why[256] = "";

	ck_assert_int_eq(handoff_start(CAP, consume, &s, &h), 0);
	ck_assert_int_eq(handoff_put(h, p, CAP, why, sizeof(why)), 0);
	handoff_free(h);
	ck_assert_uint_le(sbuf_len(s.got), CAP);
	ck_assert_int_eq(memcmp(sbuf_ptr(s.got), p, sbuf_len(s.got)), 0);
	handoff_free(NULL);
	ck_assert_int_eq(handoff_start(HANDOFF_SLICE - 1, consume, &s, &h),
	    SLUICE_ENOMEM);
	ck_assert_ptr_null(h);
	sbuf_free(s.got);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_handoff");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, in_order);
	tcase_add_test(tc, consumer_fails);
	tcase_add_test(tc, free_stops);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
