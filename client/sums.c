#include <stdlib.h>
#include <string.h>

#include "sluice/error.h"
#include "sums.h"

void
sums_clear(struct sums *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > SUMS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '/')
			return 0;
	return !(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' &&
	    p[1] == '.');
}

/* One line (without its LF) into e. */
static int
parse_line(const char *p, size_t n, size_t lineno, struct sums_entry *e,
    char *why, size_t whylen)
{
	int hi, lo;
	size_t i;

	if (n < 67)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "SHA256SUMS line %zu: too short", lineno);
	for (i = 0; i < 32; i++) {
		if ((hi = hexval(p[2 * i])) < 0 || (lo = hexval(p[2 * i + 1])) < 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "SHA256SUMS line %zu: bad digest", lineno);
		e->digest[i] = (uint8_t)(hi << 4 | lo);
	}
	if (p[64] != ' ' || (p[65] != ' ' && p[65] != '*'))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "SHA256SUMS line %zu: expected two spaces after the digest",
		    lineno);
	if (!name_ok(p + 66, n - 66))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "SHA256SUMS line %zu: bad file name", lineno);
	if ((e->name = strndup(p + 66, n - 66)) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	return 0;
}

/* Line lineno, s[0..n), into out unless its name is listed already. */
static int
add_line(struct sums *out, const char *s, size_t n, size_t lineno,
    char *why, size_t whylen)
{
	struct sums_entry e;
	int r;

	memset(&e, 0, sizeof(e));
	if ((r = parse_line(s, n, lineno, &e, why, whylen)) != 0)
		return r;
	if (sums_find(out, e.name) != NULL) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "SHA256SUMS line %zu: %s is listed twice", lineno, e.name);
		free(e.name);
		return r;
	}
	out->e[out->n++] = e;
	return 0;
}

int
sums_parse(const char *text, size_t len, struct sums *out, char *why,
    size_t whylen)
{
	const char *p = text, *end = text + len, *nl;
	size_t lineno = 0;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if ((out->e = calloc(SUMS_MAX_LINES, sizeof(*out->e))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	while (p < end) {
		if (++lineno > SUMS_MAX_LINES) {
			r = sluice_why(why, whylen, SLUICE_EFORMAT,
			    "SHA256SUMS has more than %d lines", SUMS_MAX_LINES);
			goto out;
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((r = add_line(out, p, (size_t)(nl - p), lineno, why,
		    whylen)) != 0)
			goto out;
		p = nl < end ? nl + 1 : end;
	}
out:
	if (r != 0)
		sums_clear(out);
	return r;
}

const uint8_t *
sums_find(const struct sums *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].name, name) == 0)
			return s->e[i].digest;
	return NULL;
}
