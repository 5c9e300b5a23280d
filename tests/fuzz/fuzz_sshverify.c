/*
 * fuzz_sshverify.c: libFuzzer target for the engine's own check of a
 * login's signature (sluice/sshverify.h): key blobs and signature blobs
 * come from a session, which may be lying. Input: string algorithm, string
 * key blob, string signature blob, then the signed bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/sshverify.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf b;
	const uint8_t *alg, *key, *sig;
	size_t alglen, keylen, siglen;
	char name[64], why[256];

	sbuf_view(&b, data, size);
	if (sbuf_get_string_direct(&b, &alg, &alglen) != 0 ||
	    sbuf_get_string_direct(&b, &key, &keylen) != 0 ||
	    sbuf_get_string_direct(&b, &sig, &siglen) != 0 ||
	    alglen >= sizeof(name))
		return 0;
	memcpy(name, alg, alglen);
	name[alglen] = '\0';
	if (sshverify(key, keylen, name, sig, siglen, sbuf_ptr(&b), sbuf_len(&b),
	    why, sizeof(why)) != 0) {
		/* a refusal is fine; a crash is not */
	}
	return 0;
}
