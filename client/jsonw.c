#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sluice/utf8.h"
#include "jsonw.h"

/* One character that needs escaping, or a control character. */
static void
escaped(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':	(void)fputs("\\\"", f); break;
	case '\\':	(void)fputs("\\\\", f); break;
	case '\n':	(void)fputs("\\n", f); break;
	case '\r':	(void)fputs("\\r", f); break;
	case '\t':	(void)fputs("\\t", f); break;
	default:	(void)fprintf(f, "\\u%04x", (unsigned)c); break;
	}
}

void
jsonw_str(FILE *f, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), len;
	uint32_t cp;

	(void)fputc('"', f);
	while (n > 0) {
		if ((len = utf8_seq(p, n, &cp)) == 0) {
			(void)fputs("\\ufffd", f);	/* not UTF-8 */
			len = 1;
		} else if (len == 1 && (cp < 0x20 || cp == '"' || cp == '\\' ||
		    cp == 0x7f))
			escaped(f, (unsigned char)cp);
		else
			(void)fwrite(p, 1, len, f);
		p += len;
		n -= len;
	}
	(void)fputc('"', f);
}

void
jsonw_key(FILE *f, const char *key, int first)
{
	if (!first)
		(void)fputc(',', f);
	jsonw_str(f, key);
	(void)fputc(':', f);
}

void
jsonw_kv_str(FILE *f, const char *key, const char *value, int first)
{
	jsonw_key(f, key, first);
	jsonw_str(f, value);
}

void
jsonw_kv_u64(FILE *f, const char *key, uint64_t value, int first)
{
	jsonw_key(f, key, first);
	(void)fprintf(f, "%llu", (unsigned long long)value);
}

void
jsonw_kv_bool(FILE *f, const char *key, int value, int first)
{
	jsonw_key(f, key, first);
	(void)fputs(value ? "true" : "false", f);
}
