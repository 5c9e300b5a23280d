/*
 * fill_audit: a helper of the e2e tests (not installed). Grows a store's
 * audit log by COUNT entries whose details are BYTES long, through the
 * engine's own audit_append(), so the hash chain is the real one; with the
 * daemon stopped.
 *
 *   fill-audit STORE COUNT BYTES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/audit.h"
#include "sluice/error.h"
#include "store/store.h"

static long
number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	return end == s || *end != '\0' || v < 1 || v > max ? -1 : v;
}

/* details of entry i: "fill i " then a pattern to n bytes */
static void
details(char *d, size_t n, long i)
{
	size_t k, at = (size_t)snprintf(d, n, "fill %ld ", i);

	for (k = at; k + 1 < n; k++)
		d[k] = (char)('a' + (k + (size_t)i) % 26);
	d[n - 1] = '\0';
}

static int
fill(struct store *st, long count, long bytes)
{
	char *d;
	long i;
	int r = 0;

	if ((d = malloc((size_t)bytes + 1)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = store_begin(st)) == 0) {
		for (i = 1; i <= count && r == 0; i++) {
			details(d, (size_t)bytes + 1, i);
			r = audit_append(st, "fill-audit", "fill", "", "ok", d,
			    NULL);
		}
		if (r == 0)
			r = store_commit(st);
		else
			(void)store_rollback(st);
	}
	free(d);
	return r;
}

int
main(int argc, char **argv)
{
	struct store *st = NULL;
	char why[256] = "";
	long count, bytes;
	int r;

	if (argc != 4 || (count = number(argv[2], 1000000)) < 0 ||
	    (bytes = number(argv[3], 1024 * 1024)) < 16) {
		fprintf(stderr, "usage: fill-audit STORE COUNT BYTES\n");
		return 2;
	}
	if (store_open(argv[1], &st, why, sizeof(why)) != 0) {
		fprintf(stderr, "fill-audit: %s\n", why);
		return 1;
	}
	if ((r = fill(st, count, bytes)) != 0)
		fprintf(stderr, "fill-audit: %s\n", sluice_strerror(r));
	store_close(st);
	return r == 0 ? 0 : 1;
}
