/*
 * cert_limits.c: what bounds rejected certificates of deletion in the
 * store: how many one recipient had rejected since a time, and dropping
 * the bytes of all but an agreement's newest rejected ones.
 */
#include "sluice/error.h"
#include "store/store_int.h"

int
certificate_rejected_since(struct store *s, int64_t person_id, int64_t since,
    int64_t *n)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_CERTIFICATE_REJECTED_SINCE, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, person_id)) == 0)
		r = st_bind_i64(st, 2, since);
	return st_scalar(s, st, r, n);
}

int
certificate_prune_rejected(struct store *s, int64_t agreement_id,
    int64_t keep)
{
	sqlite3_stmt *st;
	int r;

	if ((r = st_stmt(s, ST_CERTIFICATE_PRUNE, &st)) == 0 &&
	    (r = st_bind_i64(st, 1, agreement_id)) == 0)
		r = st_bind_i64(st, 2, keep);
	return st_insert(s, st, r, NULL, NULL, 0, NULL, NULL);
}
