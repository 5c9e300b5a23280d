/* libFuzzer target for vpath_canon (build and run: scripts/fuzz). Checks the
 * output invariants: absolute, no "//", no "." or ".." component, no trailing
 * slash, valid UTF-8, and canonicalising the result again is the identity. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "sluice/vpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpath vp, again;
	char why[128];
	size_t i;
	const char *c;
	size_t n;

	if (vpath_canon(&vp, "/inbox", data, size, why, sizeof(why)) != 0) {
		assert(strcmp(vp.path, "/") == 0);
		return 0;
	}
	assert(vp.path[0] == '/' && vp.len == strlen(vp.path));
	assert(vp.len <= VPATH_MAX);
	assert(strstr(vp.path, "//") == NULL);
	assert(vp.len == 1 || vp.path[vp.len - 1] != '/');
	assert(vpath_utf8_valid((const uint8_t *)vp.path, vp.len));
	for (i = 0; i < vp.ncomp; i++) {
		assert(vpath_component(&vp, i, &c, &n) == 0);
		assert(n > 0 && memchr(c, '/', n) == NULL);
		assert(!(n == 1 && c[0] == '.'));
		assert(!(n == 2 && c[0] == '.' && c[1] == '.'));
	}
	assert(vpath_canon(&again, "/", vp.path, vp.len, why, sizeof(why)) == 0);
	assert(strcmp(again.path, vp.path) == 0);
	return 0;
}
