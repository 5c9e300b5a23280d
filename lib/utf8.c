/*
 * utf8.c: the strict UTF-8 decoder shared by the parsers of outside text
 * (SFTP paths, admin command lines, certificates of deletion).
 */
#include <string.h>

#include "sluice/utf8.h"

/* The smallest code point each sequence length may carry. */
static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };

/* The length of the sequence a lead byte starts, or 0. */
static size_t
lead_len(uint8_t c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 0;
}

size_t
utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len = lead_len(p[0]), i;
	uint32_t c;

	if (len == 0 || len > n)
		return 0;
	c = len == 1 ? p[0] : p[0] & (0x7fu >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are refused. */
	if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i, &cp)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
utf8_is_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void
utf8_cut(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t m = n < dstlen - 1 ? n : dstlen - 1;

	if (m < n)
		while (m > 0 && ((unsigned char)src[m] & 0xc0) == 0x80)
			m--;
	memcpy(dst, src, m);
	dst[m] = '\0';
}
