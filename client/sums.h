/*
 * sums.h: SHA256SUMS files as `sha256sum` writes them and `sha256sum -c`
 * reads them: one "<64 hex digits><space><space or *><name>" line per file.
 *
 * The parser is strict (the text came over the network, though its
 * signature is checked first): lower- or upper-case hex, names of 1..255
 * bytes without '/', NUL or control characters, no duplicate names, at most
 * SUMS_MAX_LINES lines, LF line ends (a final LF optional). Refusals are
 * SLUICE_EFORMAT with "SHA256SUMS line N: ..." in why.
 */
#ifndef SLUICE_CLIENT_SUMS_H
#define SLUICE_CLIENT_SUMS_H

#include <stddef.h>
#include <stdint.h>

#define SUMS_MAX_LINES	10000
#define SUMS_NAME_MAX	255

struct sums_entry {
	uint8_t	 digest[32];
	char	*name;
};

struct sums {
	struct sums_entry	*e;
	size_t			 n;
};

int sums_parse(const char *text, size_t len, struct sums *out, char *why,
    size_t whylen) __attribute__((warn_unused_result));
void sums_clear(struct sums *s);

/* The digest listed for name, or NULL. */
const uint8_t *sums_find(const struct sums *s, const char *name);

#endif
