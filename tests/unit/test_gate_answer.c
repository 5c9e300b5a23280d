/*
 * test_gate_answer.c: the engine's GATE reply never fails open. An allow
 * is FX_OK only when the whole reply was written; a denial whose reason
 * cannot be written is still a denial; a reply that cannot be written at
 * all is nothing (the session is dropped), never FX_OK.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "sluice/buf.h"
#include "sluice/error.h"
#include "suite_run.h"

/* The reply's status and message; the buffer must hold exactly those. */
static void
expect(struct sbuf *rep, uint32_t status, const char *msg)
{
	uint32_t st = 99;
	char *m = NULL;

	ck_assert_int_eq(sbuf_get_u32(rep, &st), 0);
	ck_assert_uint_eq(st, status);
	ck_assert_int_eq(sbuf_get_cstring(rep, &m, 1024), 0);
	ck_assert_str_eq(m, msg);
	ck_assert_uint_eq(sbuf_len(rep), 0);
	free(m);
}

START_TEST(allow_and_deny)
{
	struct sbuf *rep = sbuf_new();

	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(eng_gate_answer(rep, 1, "ignored"), 0);
	expect(rep, FX_OK, "");
	ck_assert_int_eq(sbuf_put_u32(rep, 7), 0);	/* emptied first */
	ck_assert_int_eq(eng_gate_answer(rep, 0,
	    "rule 2 (contract): no contract in force"), 0);
	expect(rep, FX_PERMISSION_DENIED, "rule 2 (contract): no contract in force");
	sbuf_free(rep);
}
END_TEST

/* The reason does not fit in a reply (over SBUF_MAX): a bare denial. */
START_TEST(deny_reason_unwritable)
{
	struct sbuf *rep = sbuf_new();
	size_t n = SBUF_MAX + 1;
	char *huge = malloc(n + 1);

	ck_assert_ptr_nonnull(rep);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'x', n);
	huge[n] = '\0';
	ck_assert_int_eq(eng_gate_answer(rep, 0, huge), 0);
	expect(rep, FX_PERMISSION_DENIED, "access denied");
	free(huge);
	sbuf_free(rep);
}
END_TEST

/* Nothing can be written: an error and an empty reply, allow or not. */
START_TEST(unwritable_is_no_answer)
{
	static const uint8_t none[1];
	struct sbuf view;

	sbuf_view(&view, none, 0);
	ck_assert_int_ne(eng_gate_answer(&view, 1, ""), 0);
	ck_assert_uint_eq(sbuf_len(&view), 0);
	ck_assert_int_ne(eng_gate_answer(&view, 0, "rule 5 (agreement): "
	    "suspended"), 0);
	ck_assert_uint_eq(sbuf_len(&view), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gate_answer");
	TCase *tc = tcase_create("reply");

	tcase_add_test(tc, allow_and_deny);
	tcase_add_test(tc, deny_reason_unwritable);
	tcase_add_test(tc, unwritable_is_no_answer);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
