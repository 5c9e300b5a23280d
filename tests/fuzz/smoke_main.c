/*
 * A deterministic driver for the libFuzzer targets, so every build runs each
 * of them (under ASan+UBSan in the sanitizer build) without clang: it feeds
 * the seed files named on the command line, then N mutations of them (bit
 * flips, truncations, insertions, splices) and N random inputs, from a fixed
 * seed so a failure repeats. Arguments may be seed files or directories of
 * them (tests/fuzz/seeds/T and the kept corpus tests/fuzz/corpus/T); every
 * file is replayed once. Real fuzzing, with libFuzzer: scripts/fuzz.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMOKE_MAX_INPUT	(64 * 1024)
#define SMOKE_MAX_SEEDS	64

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
			if (n < SMOKE_MAX_INPUT) {
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
			for (i = next() % (on + 1); i < on && n < SMOKE_MAX_INPUT; i++)
				buf[n++] = other[i];
			break;
		}
	}
	return n;
}

struct seeds {
	uint8_t	 v[SMOKE_MAX_SEEDS][SMOKE_MAX_INPUT];
	size_t	 len[SMOKE_MAX_SEEDS];
	size_t	 n;
	size_t	 replayed;
};

/* Runs the file once; the first SMOKE_MAX_SEEDS files are kept to mutate. */
static int
take_file(struct seeds *sd, const char *path)
{
	static uint8_t buf[SMOKE_MAX_INPUT];
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "cannot read seed %s\n", path);
		return -1;
	}
	n = fread(buf, 1, SMOKE_MAX_INPUT, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	sd->replayed++;
	if (sd->n < SMOKE_MAX_SEEDS) {
		memcpy(sd->v[sd->n], buf, n);
		sd->len[sd->n++] = n;
	}
	return 0;
}

/* A file, or a directory of them (a corpus), in name order. */
static int
take(struct seeds *sd, const char *path)
{
	struct dirent **names;
	char sub[4096];
	int i, k, r = 0;

	if ((k = scandir(path, &names, NULL, alphasort)) < 0)
		return take_file(sd, path);
	for (i = 0; i < k; i++) {
		if (r == 0 && names[i]->d_name[0] != '.') {
			(void)snprintf(sub, sizeof(sub), "%s/%s", path,
			    names[i]->d_name);
			r = take_file(sd, sub);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

static void
mutations(const struct seeds *sd, long iterations)
{
	static uint8_t buf[SMOKE_MAX_INPUT + 1];
	size_t n, s;
	long i;

	for (i = 0; i < iterations; i++) {
		if (sd->n > 0 && i % 4 != 3) {
			s = next() % sd->n;
			memcpy(buf, sd->v[s], sd->len[s]);
			n = mutate(buf, sd->len[s], sd->v[next() % sd->n],
			    sd->len[next() % sd->n]);
		} else {
			n = next() % 512;
			for (s = 0; s < n; s++)
				buf[s] = (uint8_t)next();
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
}

int
main(int argc, char **argv)
{
	static struct seeds sd;
	long iterations = 5000;
	int a;

	for (a = 1; a < argc; a++) {
		if (strncmp(argv[a], "-runs=", 6) == 0)
			iterations = strtol(argv[a] + 6, NULL, 10);
		else if (take(&sd, argv[a]) != 0)
			return 1;
	}
	mutations(&sd, iterations);
	printf("%zu inputs replayed, %ld mutated: no crash\n", sd.replayed,
	    iterations);
	return 0;
}
