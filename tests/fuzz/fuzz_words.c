/*
 * fuzz_words.c: libFuzzer target for the admin command-line splitter.
 * Build and run: scripts/fuzz.
 * Invariants checked: no crash, argc within limits, argv NULL-terminated,
 * every word no longer than the input, a failure always leaves a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sluice/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[128] = "", **argv = NULL;
	int argc = 0, i, r;

	r = words_split((const char *)data, size, &argc, &argv, why,
	    sizeof(why));
	if (r != 0) {
		if (argv != NULL || argc != 0 || why[0] == '\0')
			abort();
		return 0;
	}
	if (argc < 0 || argc > WORDS_MAX || argv[argc] != NULL)
		abort();
	for (i = 0; i < argc; i++)
		if (strlen(argv[i]) > size)
			abort();
	words_free(argv);
	return 0;
}
