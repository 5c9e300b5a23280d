/*
 * fuzz_age_header.c: libFuzzer target for the age header parser and the
 * unwrap path (hostile bytes from a server or a file). Build and run:
 * scripts/fuzz.
 */
#include <stdint.h>
#include <string.h>

#include "sluice/age.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct age_identity *id;
	struct age_header *h = NULL;
	uint8_t file_key[AGE_FILE_KEY_LEN];
	size_t hdrlen = 0;
	char why[256], ident[AGE_IDENTITY_STRLEN + 1];
	char rcpt[AGE_RECIPIENT_STRLEN + 1];

	if (id == NULL && (age_keygen(ident, rcpt) != 0 ||
	    age_identity_parse(ident, strlen(ident), &id, why,
	    sizeof(why)) != 0))
		return 0;
	if (age_header_parse(data, size, &h, &hdrlen, why, sizeof(why)) != 0)
		return 0;
	if (hdrlen > size)
		__builtin_trap();
	if (age_header_unwrap(h, id, file_key, why, sizeof(why)) != 0) {
		/* a refusal is fine; a crash is not */
	}
	age_header_free(h);
	return 0;
}
