/*
 * A deterministic driver for the libFuzzer targets, so every build runs each
 * of them (under ASan+UBSan in the sanitizer build) without clang: it feeds
 * the seed files named on the command line, then N mutations of them (bit
 * flips, truncations, insertions, splices) and N random inputs, from a fixed
 * seed so a failure repeats. Real fuzzing: build the target with
 * -fsanitize=fuzzer (each file says how).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INPUT	(64 * 1024)
#define MAX_SEEDS	64

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t
mutate(uint8_t *buf, size_t n, const uint8_t *other, size_t on)
{
	size_t i, k, pos;

	for (k = 1 + next() % 4; k > 0; k--) {
		pos = n == 0 ? 0 : next() % n;
		switch (next() % 5) {
		case 0:	/* flip a bit */
			if (n > 0)
				buf[pos] ^= (uint8_t)(1u << (next() % 8));
			break;
		case 1:	/* truncate */
			n = pos;
			break;
		case 2:	/* insert a byte */
			if (n < MAX_INPUT) {
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = (uint8_t)next();
				n++;
			}
			break;
		case 3:	/* an interesting byte */
			if (n > 0)
				buf[pos] = (uint8_t[]){ 0, 0xff, '\n', '/', '.', '"',
				    '\'', '\\', 0x80, '=' }[next() % 10];
			break;
		default:	/* splice another seed's tail */
			for (i = next() % (on + 1); i < on && n < MAX_INPUT; i++)
				buf[n++] = other[i];
			break;
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	static uint8_t seeds[MAX_SEEDS][MAX_INPUT], buf[MAX_INPUT + 1];
	size_t lens[MAX_SEEDS], nseeds = 0, n, i, s;
	long iterations = 5000;
	FILE *fp;
	int a;

	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "-runs=", 6) == 0) {
			iterations = strtol(argv[a] + 6, NULL, 10);
			continue;
		}
		if (nseeds == MAX_SEEDS || (fp = fopen(argv[a], "rb")) == NULL) {
			fprintf(stderr, "cannot read seed %s\n", argv[a]);
			return 1;
		}
		lens[nseeds] = fread(seeds[nseeds], 1, MAX_INPUT, fp);
		fclose(fp);
		LLVMFuzzerTestOneInput(seeds[nseeds], lens[nseeds]);
		nseeds++;
	}
	for (i = 0; i < (size_t)iterations; i++) {
		if (nseeds > 0 && i % 4 != 3) {
			s = next() % nseeds;
			memcpy(buf, seeds[s], lens[s]);
			n = mutate(buf, lens[s], seeds[next() % nseeds],
			    lens[next() % nseeds]);
		} else {
			n = next() % 512;
			for (s = 0; s < n; s++)
				buf[s] = (uint8_t)next();
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%zu seeds, %ld inputs: no crash\n", nseeds, iterations);
	return 0;
}
