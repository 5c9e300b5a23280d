/*
 * fuzz_certdoc.c: libFuzzer target for certdoc_parse. Whatever parses must
 * format, and the canonical text must parse back to the same fields.
 * Build and run: scripts/fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/certdoc.h"

static int
same(const struct certdoc *a, const struct certdoc *b)
{
	return strcmp(a->agreement, b->agreement) == 0 &&
	    strcmp(a->organisation, b->organisation) == 0 &&
	    strcmp(a->datasets, b->datasets) == 0 && a->destroyed_on == b->destroyed_on &&
	    strcmp(a->method, b->method) == 0 && strcmp(a->copies, b->copies) == 0 &&
	    strcmp(a->signatory, b->signatory) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certdoc a, b;
	char why[256], *text = NULL;
	size_t len = 0;

	if (certdoc_parse(data, size, &a, why, sizeof(why)) != 0)
		return 0;
	if (certdoc_format(&a, &text, &len, why, sizeof(why)) != 0)
		abort();	/* a parsed certificate must always format */
	if (certdoc_parse((const uint8_t *)text, len, &b, why, sizeof(why)) != 0 || !same(&a, &b))
		abort();
	free(text);
	certdoc_clear(&a);
	certdoc_clear(&b);
	return 0;
}
