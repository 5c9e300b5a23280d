/*
 * certdoc.c: strict parser and canonical formatter for the certificate of
 * deletion text. See certdoc.h for the grammar and the refusal texts.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/certdoc.h"
#include "sluice/clock.h"
#include "sluice/error.h"

enum certdoc_key {
	K_MAGIC = 0,
	K_AGREEMENT,
	K_ORGANISATION,
	K_DATASETS,
	K_DESTROYED_ON,
	K_METHOD,
	K_COPIES,
	K_SIGNATORY,
	K_MAX
};

/* The canonical order; the formatter writes the keys in this order. */
static const char *const key_names[K_MAX] = {
	CERTDOC_MAGIC, "Agreement", "Organisation", "Datasets", "Destroyed-On",
	"Method", "Copies", "Signatory",
};

#define REASON_MAX	160
#define QUOTE_MAX	40	/* bytes of hostile text echoed in a reason */
#define LAST_DAY	2932896	/* 9999-12-31, the last date sluice_date_parse takes */

/* A short, still valid UTF-8, copy of s[0..n) for quoting in a reason. */
static void
quote(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t m = n < dstlen - 1 ? n : dstlen - 1;

	if (m < n)
		while (m > 0 && ((unsigned char)s[m] & 0xc0) == 0x80)
			m--;
	memcpy(dst, s, m);
	dst[m] = '\0';
}

/*
 * Decodes one UTF-8 sequence at p[0..n): its length, or 0 when it is not
 * valid (overlong, surrogate, above U+10FFFF, truncated). *cp gets the code
 * point.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2, c = p[0] & 0x1fu, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3, c = p[0] & 0x0fu, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4, c = p[0] & 0x07u, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* 1: bad UTF-8, 2: a control character (C0, DEL or C1), 0: clean. */
static int
scan_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i, &cp)) == 0)
			return 1;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return 2;
		i += k;
	}
	return 0;
}

/* NIC-123456-A1B2C, as domain.h's nic_check() describes; kept private so
 * this module does not depend on domain.c. */
static int
nic_ok(const char *s, size_t n)
{
	size_t i;

	if (n != 16 || memcmp(s, "NIC-", 4) != 0 || s[10] != '-')
		return 0;
	for (i = 4; i < 10; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	for (i = 11; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

/* Organisation codes, as domain.h's name_check() describes. */
static int
org_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 64 || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* "<name>, <role>": a ", " with something other than spaces either side. */
static int
signatory_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i + 2 < n; i++)
		if (s[i] == ',' && s[i + 1] == ' ' && s[i - 1] != ' ' && s[i + 2] != ' ')
			return 1;
	return 0;
}

static int
dup_value(char **dst, const char *s, size_t n)
{
	if ((*dst = malloc(n + 1)) == NULL)
		return SLUICE_ENOMEM;
	memcpy(*dst, s, n);
	(*dst)[n] = '\0';
	return 0;
}

static int
parse_date(const char *s, size_t n, int32_t *days)
{
	char buf[11];

	if (n != 10)
		return SLUICE_EFORMAT;
	memcpy(buf, s, 10);
	buf[10] = '\0';
	return sluice_date_parse(buf, days) == 0 ? 0 : SLUICE_EFORMAT;
}

/*
 * Checks one value of key k (already known to be clean UTF-8 without control
 * characters) and stores it in d. The reason has no line number, so the
 * formatter can share it.
 */
static int
set_field(struct certdoc *d, int k, const char *v, size_t n, char *why, size_t whylen)
{
	char q[QUOTE_MAX + 1];

	quote(q, sizeof(q), v, n);
	if (n == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "empty value for '%s'", key_names[k]);
	if (v[0] == ' ' || v[n - 1] == ' ')
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "value of '%s' has leading or trailing spaces", key_names[k]);
	switch (k) {
	case K_MAGIC:
		if (n != 1 || v[0] != '1')
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "unsupported certificate of deletion version '%s'", q);
		return 0;
	case K_AGREEMENT:
		if (!nic_ok(v, n))
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "bad Agreement '%s' (expected a NIC like NIC-123456-A1B2C)", q);
		memcpy(d->agreement, v, n);
		d->agreement[n] = '\0';
		return 0;
	case K_ORGANISATION:
		if (!org_ok(v, n))
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "bad Organisation '%s' (expected an organisation code)", q);
		memcpy(d->organisation, v, n);
		d->organisation[n] = '\0';
		return 0;
	case K_DESTROYED_ON:
		if (parse_date(v, n, &d->destroyed_on) != 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "bad Destroyed-On date '%s' (expected YYYY-MM-DD)", q);
		return 0;
	case K_SIGNATORY:
		if (!signatory_ok(v, n))
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "Signatory must be '<name>, <role>'");
		return dup_value(&d->signatory, v, n);
	case K_DATASETS:
		return dup_value(&d->datasets, v, n);
	case K_METHOD:
		return dup_value(&d->method, v, n);
	case K_COPIES:
		return dup_value(&d->copies, v, n);
	}
	return SLUICE_EINVAL;
}

static int
find_key(const char *s, size_t n)
{
	int k;

	for (k = 0; k < K_MAX; k++)
		if (strlen(key_names[k]) == n && memcmp(key_names[k], s, n) == 0)
			return k;
	return -1;
}

struct parser {
	struct certdoc	*d;
	int		 seen[K_MAX];
	int		 lineno;
	int		 crlf;		/* -1 unknown, 0 LF, 1 CRLF */
	char		*why;
	size_t		 whylen;
};

/* One line, without its line end. */
static int
parse_line(struct parser *ps, const char *s, size_t n)
{
	char reason[REASON_MAX], q[QUOTE_MAX + 1];
	const char *colon;
	size_t klen, off;
	int k, r;

	if (n == 0)
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT, "line %d is empty", ps->lineno);
	if ((r = scan_text(s, n)) != 0)
		return r == 1 ?
		    sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "certificate of deletion is not valid UTF-8 (line %d)", ps->lineno) :
		    sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d contains a control character", ps->lineno);
	if ((colon = memchr(s, ':', n)) == NULL || colon == s ||
	    ((klen = (size_t)(colon - s)) + 1 < n && colon[1] != ' '))
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d is not a 'Key: value' line", ps->lineno);
	off = klen + 1 < n ? klen + 2 : klen + 1;	/* "Key:" alone: empty value */
	k = find_key(s, klen);
	if (ps->lineno == 1 && k != K_MAGIC)
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line 1 must be '" CERTDOC_MAGIC ": 1'");
	if (k < 0) {
		quote(q, sizeof(q), s, klen);
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d: unknown key '%s'", ps->lineno, q);
	}
	if (ps->seen[k])
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d: duplicate key '%s'", ps->lineno, key_names[k]);
	ps->seen[k] = 1;
	if ((r = set_field(ps->d, k, s + off, n - off, reason, sizeof(reason))) != 0)
		return r == SLUICE_ENOMEM ?
		    sluice_why(ps->why, ps->whylen, r, "out of memory") :
		    sluice_why(ps->why, ps->whylen, r, "line %d: %s", ps->lineno, reason);
	return 0;
}

/* Splits the text into lines, checking the line ends, and parses each. */
static int
parse_lines(struct parser *ps, const char *s, size_t len)
{
	const char *nl;
	size_t start = 0, end, linelen;
	int crlf, r;

	while (start < len) {
		ps->lineno++;
		nl = memchr(s + start, '\n', len - start);
		end = nl != NULL ? (size_t)(nl - s) : len;
		crlf = end > start && s[end - 1] == '\r';
		linelen = end - start - (crlf ? 1 : 0);
		if (memchr(s + start, '\r', linelen) != NULL || (nl == NULL && crlf))
			return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
			    "line %d ends in a lone CR", ps->lineno);
		if (nl != NULL) {
			if (ps->crlf >= 0 && ps->crlf != crlf)
				return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
				    "certificate of deletion mixes CRLF and LF line ends");
			ps->crlf = crlf;
		}
		if ((r = parse_line(ps, s + start, linelen)) != 0)
			return r;
		start = end + 1;
	}
	return 0;
}

void
certdoc_clear(struct certdoc *d)
{
	if (d == NULL)
		return;
	free(d->datasets);
	free(d->method);
	free(d->copies);
	free(d->signatory);
	memset(d, 0, sizeof(*d));
}

int
certdoc_parse(const uint8_t *text, size_t len, struct certdoc *d, char *why, size_t whylen)
{
	struct parser ps;
	const char *s = (const char *)text;
	int k, r;

	if (d == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	memset(d, 0, sizeof(*d));
	memset(&ps, 0, sizeof(ps));
	ps.d = d;
	ps.crlf = -1;
	ps.why = why;
	ps.whylen = whylen;
	if (len > CERTDOC_MAX) {
		r = sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "certificate of deletion is larger than 64 KiB");
		goto out;
	}
	if (text == NULL || len == 0) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT, "certificate of deletion is empty");
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "certificate of deletion contains a NUL byte");
		goto out;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		r = sluice_why(why, whylen, SLUICE_EFORMAT,
		    "certificate of deletion starts with a byte order mark");
		goto out;
	}
	if ((r = parse_lines(&ps, s, len)) != 0)
		goto out;
	for (k = 0; k < K_MAX; k++)
		if (!ps.seen[k]) {
			r = sluice_why(why, whylen, SLUICE_EFORMAT, "missing key '%s'", key_names[k]);
			goto out;
		}
out:
	if (r != 0)
		certdoc_clear(d);
	return r;
}

/* Checks one value for the formatter as the parser would, into scratch. */
static int
check_value(int k, const char *v, char *why, size_t whylen)
{
	struct certdoc scratch;
	size_t n;
	int r;

	if (v == NULL || (n = strlen(v)) == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "empty value for '%s'", key_names[k]);
	if ((r = scan_text(v, n)) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, r == 1 ?
		    "value of '%s' is not valid UTF-8" :
		    "value of '%s' contains a control character", key_names[k]);
	memset(&scratch, 0, sizeof(scratch));
	r = set_field(&scratch, k, v, n, why, whylen);
	certdoc_clear(&scratch);
	return r;
}

static int
field_text(const struct certdoc *d, int k, char *date, size_t datelen, const char **v)
{
	switch (k) {
	case K_MAGIC:		*v = "1"; return 0;
	case K_AGREEMENT:	*v = d->agreement; return 0;
	case K_ORGANISATION:	*v = d->organisation; return 0;
	case K_DATASETS:	*v = d->datasets; return 0;
	case K_METHOD:		*v = d->method; return 0;
	case K_COPIES:		*v = d->copies; return 0;
	case K_SIGNATORY:	*v = d->signatory; return 0;
	case K_DESTROYED_ON:
		*v = date;
		if (d->destroyed_on < 0 || d->destroyed_on > LAST_DAY)
			return SLUICE_EINVAL;
		return sluice_date_format(d->destroyed_on, date, datelen);
	}
	return SLUICE_EINVAL;
}

int
certdoc_format(const struct certdoc *d, char **text, size_t *len, char *why, size_t whylen)
{
	struct sbuf *b = NULL;
	char date[16];
	const char *v;
	int k, r;

	if (text == NULL || len == NULL || d == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	*text = NULL;
	*len = 0;
	if ((b = sbuf_new()) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	for (k = 0; k < K_MAX; k++) {
		if (field_text(d, k, date, sizeof(date), &v) != 0) {
			r = sluice_why(why, whylen, SLUICE_EFORMAT,
			    "bad Destroyed-On date (expected YYYY-MM-DD)");
			goto out;
		}
		if ((r = check_value(k, v, why, whylen)) != 0)
			goto out;
		if ((r = sbuf_putf(b, "%s: %s\n", key_names[k], v)) != 0)
			goto out;
	}
	if (sbuf_len(b) > CERTDOC_MAX) {
		r = sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "certificate of deletion is larger than 64 KiB");
		goto out;
	}
	if ((r = sbuf_put_u8(b, 0)) != 0 || (*text = malloc(sbuf_len(b))) == NULL) {
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*text, sbuf_ptr(b), sbuf_len(b));
	*len = sbuf_len(b) - 1;
out:
	sbuf_free(b);
	return r;
}

int
certdoc_check(const struct certdoc *d, const char *nic, const char *org,
    int32_t today, char *why, size_t whylen)
{
	char date[16];

	if (d == NULL || nic == NULL || org == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	if (strcmp(d->agreement, nic) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "certificate of deletion is for %s, not %s", d->agreement, nic);
	if (strcmp(d->organisation, org) != 0)
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "certificate of deletion is from %s, not %s", d->organisation, org);
	if (d->destroyed_on > today) {
		(void)sluice_date_format(d->destroyed_on, date, sizeof(date));
		return sluice_why(why, whylen, SLUICE_EDENIED,
		    "certificate of deletion says data was destroyed on %s, which is in the future",
		    date);
	}
	return 0;
}
