/*
 * fuzz_minisign.c: libFuzzer target for minisign signature files, public
 * keys and secret keys. Build and run: scripts/fuzz.
 */
#include <stdint.h>
#include <string.h>

#include "sluice/minisign.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct minisign_pubkey pk;
	struct minisign_key *k = NULL;
	char why[256], tc[128];
	static const uint8_t msg[] = "message";

	memset(&pk, 0, sizeof(pk));
	if (minisign_verify(&pk, msg, sizeof(msg) - 1, (const char *)data, size,
	    tc, sizeof(tc), why, sizeof(why)) != 0) {
		/* a refusal is fine; a crash is not */
	}
	if (minisign_pubkey_parse((const char *)data, size, &pk, why,
	    sizeof(why)) != 0) {
		/* a refusal is fine; a crash is not */
	}
	if (minisign_key_load((const char *)data, size, &k, why, sizeof(why)) == 0)
		minisign_key_free(k);
	return 0;
}
