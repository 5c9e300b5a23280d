/* vis.c: the one escape for outside text in logs and audit entries (vis.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/utf8.h"
#include "sluice/vis.h"

/* The most "...(N bytes)" and its NUL take: 4 + 20 digits + 7 + 1. */
#define VIS_TAIL	32

/* Whether cp is shown as "\uXXXX": it would hide or reorder text. */
static int
vis_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	    utf8_is_bidi(cp);
}

/* The two-character escape of cp, or NULL. */
static const char *
vis_named(uint32_t cp, int flags)
{
	switch (cp) {
	case '\n':	return "\\n";
	case '\r':	return "\\r";
	case '\t':	return "\\t";
	case '\\':	return (flags & VIS_NOSLASH) ? NULL : "\\\\";
	default:	return NULL;
	}
}

/* The text of code point cp, whose UTF-8 is p[0..n), into e; its length. */
static size_t
vis_cp(uint32_t cp, const uint8_t *p, size_t n, int flags, char e[8])
{
	const char *named = vis_named(cp, flags);

	if (named != NULL) {
		memcpy(e, named, 2);
		return 2;
	}
	if (cp < 0x20 || cp == 0x7f)
		return (size_t)snprintf(e, 8, "\\x%02x", (unsigned)cp);
	if (vis_hidden(cp))
		return (size_t)snprintf(e, 8, "\\u%04x", (unsigned)cp);
	memcpy(e, p, n);
	return n;
}

/* The text of the character at p[0..left) into e: its length, and in
 * *took the bytes of p it stands for. */
static size_t
vis_char(const uint8_t *p, size_t left, int flags, char e[8], size_t *took)
{
	uint32_t cp;
	size_t n;

	if ((n = utf8_seq(p, left, &cp)) == 0) {
		*took = 1;
		return (size_t)snprintf(e, 8, "\\x%02x", (unsigned)p[0]);
	}
	*took = n;
	return vis_cp(cp, p, n, flags, e);
}

size_t
str_vis(char *dst, size_t dstlen, const char *src, size_t srclen,
    size_t maxchars, int flags)
{
	const uint8_t *p = (const uint8_t *)src;
	size_t i = 0, len = 0, chars = 0, n, took, room;
	char e[8];

	if (dstlen == 0)
		return 0;
	while (i < srclen && chars < maxchars) {
		n = vis_char(p + i, srclen - i, flags, e, &took);
		room = n + 1 + (i + took < srclen ? VIS_TAIL : 0);
		if (room > dstlen - len)
			break;
		memcpy(dst + len, e, n);
		len += n;
		i += took;
		chars++;
	}
	dst[len] = '\0';
	if (i < srclen) {
		/* cut short by a dst too small for even the tail: still ends */
		(void)snprintf(dst + len, dstlen - len, "...(%zu bytes)", srclen);
		len += strlen(dst + len);
	}
	return len;
}

const char *
vis_name(char dst[VIS_NAME_SIZE], const char *name)
{
	const char *s = name != NULL ? name : "";

	(void)str_vis(dst, VIS_NAME_SIZE, s, strlen(s),
	    VIS_NAME_CHARS, 0);
	return dst;
}
