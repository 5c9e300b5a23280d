/*
 * fuzz_cms.c: libFuzzer target for cms_verify and cms_cert_info.
 *
 * Input: one mode byte, a 2-byte big-endian length L, L bytes of a
 * certificate (pinned to "ORG-A" when it parses), then the rest:
 *   mode & 3 == 0: the rest is a detached signature over the pinned DER
 *                  (any document will do; the point is the parser)
 *   mode & 3 == 1: the rest is an attached signature (content returned)
 *   mode & 3 == 2: the rest is fed to cms_cert_info
 *   mode & 3 == 3: the whole input after the mode byte to cms_cert_info
 * Seed with signatures from keys/sign-doc and certificates from
 * keys/make-test-pki, framed this way, to reach past the parser.
 * Build (not in CMake yet):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tests/fuzz/fuzz_cms.c lib/cms.c lib/clock.c lib/error.c -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/cms.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cms_cert cert;
	struct cms_result res;
	struct cms_pin pin;
	char why[256];
	size_t certlen;
	const uint8_t *rest;
	size_t restlen;
	uint8_t mode;
	int r;

	if (size < 3)
		return 0;
	mode = data[0];
	if ((mode & 3) == 3) {
		if (cms_cert_info(data + 1, size - 1, &cert, why, sizeof(why)) == 0)
			cms_cert_clear(&cert);
		return 0;
	}
	certlen = (size_t)data[1] << 8 | data[2];
	if (certlen > size - 3)
		return 0;
	rest = data + 3 + certlen;
	restlen = size - 3 - certlen;
	if ((mode & 3) == 2) {
		if (cms_cert_info(rest, restlen, &cert, why, sizeof(why)) == 0)
			cms_cert_clear(&cert);
		return 0;
	}
	pin.der = data + 3;
	pin.der_len = certlen;
	pin.owner = "ORG-A";
	/* A pin that does not parse is refused before the signature is read;
	 * with no pin the parser is still exercised. */
	r = cms_verify(rest, restlen, (mode & 3) == 0 ? pin.der : NULL, certlen,
	    &pin, certlen > 0 ? 1 : 0, "ORG-A", 1780272000, &res, why, sizeof(why));
	if (r == 0 && (mode & 3) == 1 && res.content == NULL)
		abort();
	cms_result_clear(&res);
	return 0;
}
