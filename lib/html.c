/* html.c: the one HTML escape (html.h). */
#include <string.h>

#include "sluice/html.h"
#include "sluice/utf8.h"

/* The character reference for one of & < > " ', else NULL. */
static const char *
html_reference(uint32_t cp)
{
	switch (cp) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

/* Whether cp would hide or reorder the text around it. */
static int
is_hidden(uint32_t cp)
{
	if (cp == '\t' || cp == '\n' || cp == '\r')
		return 0;
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || utf8_is_bidi(cp);
}

/* One character, cp, whose UTF-8 is p[0..n). */
static int
put_char(struct sbuf *b, uint32_t cp, const char *p, size_t n)
{
	const char *ref;

	if ((ref = html_reference(cp)) != NULL)
		return sbuf_put(b, ref, strlen(ref));
	if (is_hidden(cp))
		return sbuf_putf(b, "[U+%04X]", (unsigned)cp);
	return sbuf_put(b, p, n);
}

int
html_escape(struct sbuf *b, const char *s)
{
	static const char replacement[] = "\xef\xbf\xbd";
	size_t len, i = 0, n;
	uint32_t cp;
	int r = 0;

	len = s != NULL ? strlen(s) : 0;
	while (i < len && r == 0) {
		n = utf8_seq((const uint8_t *)s + i, len - i, &cp);
		if (n == 0) {
			r = sbuf_put(b, replacement, 3);
			i++;
		} else {
			r = put_char(b, cp, s + i, n);
			i += n;
		}
	}
	return r;
}
