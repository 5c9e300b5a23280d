/*
 * fuzz_vis.c: libFuzzer target for the log and audit escape (vis.h).
 * The first byte picks the character bound and the output size; the rest
 * is the text. Build and run: scripts/fuzz.
 * Invariants checked: no crash; the output ends within the buffer, holds
 * no control character (C0, DEL) and is what strlen() says; text escaped
 * once passes a VIS_NOSLASH pass unchanged; nothing is cut when the
 * buffer is VIS_SIZE(maxchars) and the text has at most maxchars bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/vis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_MAX	VIS_SIZE(256)

static void
check_line(const char *out, size_t n, size_t outlen)
{
	size_t i;

	if (n >= outlen || strlen(out) != n)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[OUT_MAX], again[OUT_MAX];
	size_t maxchars, outlen, n;

	if (size < 1)
		return 0;
	maxchars = data[0] % 64 + 1;
	outlen = data[0] & 0x80 ? VIS_SIZE(maxchars) : (size_t)data[0] % 48 + 1;
	n = str_vis(out, outlen, (const char *)data + 1, size - 1, maxchars, 0);
	check_line(out, n, outlen);
	if (outlen == VIS_SIZE(maxchars) && size - 1 <= maxchars &&
	    strstr(out, "...(") != NULL && memchr(data + 1, '(', size - 1) == NULL)
		abort();
	if (str_vis(again, sizeof(again), out, n, n, VIS_NOSLASH) != n ||
	    memcmp(again, out, n) != 0)
		abort();
	return 0;
}
