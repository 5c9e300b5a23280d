/*
 * certdoc.c: strict parser and canonical formatter for the certificate of
 * deletion text. See certdoc.h for the grammar and the refusal texts.
 */
#include <stdlib.h>
#include <string.h>

#include "sluice/buf.h"
#include "sluice/certdoc.h"
#include "sluice/clock.h"
#include "sluice/domain.h"
#include "sluice/error.h"
#include "sluice/utf8.h"

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
	utf8_cut(dst, dstlen, s, n);
}

/* 1: bad UTF-8, 2: a control character (C0, DEL or C1), 0: clean. */
static int
scan_text(const char *s, size_t n)
{
	size_t i, k;
	uint32_t cp;

	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq((const uint8_t *)s + i, n - i, &cp)) == 0)
			return 1;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return 2;
	}
	return 0;
}

/*
 * s[0..n) as a string in dst, so domain.h's checks can judge it; 0 when it
 * does not fit (then it is too long to pass them anyway).
 */
static int
as_string(char *dst, size_t dstlen, const char *s, size_t n)
{
	if (n >= dstlen)
		return 0;
	memcpy(dst, s, n);
	dst[n] = '\0';
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

	if (!as_string(buf, sizeof(buf), s, n))
		return SLUICE_EFORMAT;
	return sluice_date_parse(buf, days) == 0 ? 0 : SLUICE_EFORMAT;
}

static int
set_version(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	char q[QUOTE_MAX + 1];

	(void)d;
	if (n == 1 && v[0] == '1')
		return 0;
	quote(q, sizeof(q), v, n);
	return sluice_why(why, whylen, SLUICE_EFORMAT,
	    "unsupported certificate of deletion version '%s'", q);
}

/* "bad WHAT 'V' (expected EXPECTED)", V quoted from v[0..n). */
static int
bad_value(const char *what, const char *expected, const char *v, size_t n,
    char *why, size_t whylen)
{
	char q[QUOTE_MAX + 1];

	quote(q, sizeof(q), v, n);
	return sluice_why(why, whylen, SLUICE_EFORMAT, "bad %s '%s' (expected %s)",
	    what, q, expected);
}

static int
set_agreement(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	if (as_string(d->agreement, sizeof(d->agreement), v, n) &&
	    nic_check(d->agreement, NULL, 0) == 0)
		return 0;
	return bad_value("Agreement", "a NIC like NIC-123456-A1B2C", v, n, why,
	    whylen);
}

static int
set_organisation(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	if (as_string(d->organisation, sizeof(d->organisation), v, n) &&
	    name_check(d->organisation, sizeof(d->organisation) - 1, NULL, 0) == 0)
		return 0;
	return bad_value("Organisation", "an organisation code", v, n, why,
	    whylen);
}

static int
set_destroyed_on(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	if (parse_date(v, n, &d->destroyed_on) == 0)
		return 0;
	return bad_value("Destroyed-On date", "YYYY-MM-DD", v, n, why, whylen);
}

static int
set_signatory(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	if (!signatory_ok(v, n))
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "Signatory must be '<name>, <role>'");
	return dup_value(&d->signatory, v, n);
}

static int
set_datasets(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return dup_value(&d->datasets, v, n);
}

static int
set_method(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return dup_value(&d->method, v, n);
}

static int
set_copies(struct certdoc *d, const char *v, size_t n, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	return dup_value(&d->copies, v, n);
}

/* What each key's value must be, and where it goes. */
static int (*const setters[K_MAX])(struct certdoc *, const char *, size_t,
    char *, size_t) = {
	[K_MAGIC] = set_version,
	[K_AGREEMENT] = set_agreement,
	[K_ORGANISATION] = set_organisation,
	[K_DATASETS] = set_datasets,
	[K_DESTROYED_ON] = set_destroyed_on,
	[K_METHOD] = set_method,
	[K_COPIES] = set_copies,
	[K_SIGNATORY] = set_signatory,
};

/*
 * Checks one value of key k (already known to be clean UTF-8 without control
 * characters) and stores it in d. The reason has no line number, so the
 * formatter can share it.
 */
static int
set_field(struct certdoc *d, int k, const char *v, size_t n, char *why, size_t whylen)
{
	if (n == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "empty value for '%s'", key_names[k]);
	if (v[0] == ' ' || v[n - 1] == ' ')
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "value of '%s' has leading or trailing spaces", key_names[k]);
	if (k < 0 || k >= K_MAX)
		return SLUICE_EINVAL;
	return setters[k](d, v, n, why, whylen);
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

/* Why scan_text() refused a line: 1 bad UTF-8, 2 a control character. */
static int
text_refusal(struct parser *ps, int scanned)
{
	return scanned == 1 ?
	    sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
	    "certificate of deletion is not valid UTF-8 (line %d)", ps->lineno) :
	    sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
	    "line %d contains a control character", ps->lineno);
}

/* A line's bytes: not empty, valid UTF-8, no control characters. */
static int
line_text_ok(struct parser *ps, const char *s, size_t n)
{
	int r;

	if (n == 0)
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT, "line %d is empty", ps->lineno);
	if ((r = scan_text(s, n)) == 0)
		return 0;
	return text_refusal(ps, r);
}

/* Where "Key: value" splits: the key's length and the value's offset. */
static int
split_line(struct parser *ps, const char *s, size_t n, size_t *klen, size_t *off)
{
	const char *colon;

	if ((colon = memchr(s, ':', n)) == NULL || colon == s ||
	    ((*klen = (size_t)(colon - s)) + 1 < n && colon[1] != ' '))
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d is not a 'Key: value' line", ps->lineno);
	*off = *klen + 1 < n ? *klen + 2 : *klen + 1;	/* "Key:" alone: empty value */
	return 0;
}

/* The key's index: the first line is the magic one, each key comes once. */
static int
line_key(struct parser *ps, const char *s, size_t klen, int *k)
{
	char q[QUOTE_MAX + 1];

	*k = find_key(s, klen);
	if (ps->lineno == 1 && *k != K_MAGIC)
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line 1 must be '" CERTDOC_MAGIC ": 1'");
	if (*k < 0) {
		quote(q, sizeof(q), s, klen);
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d: unknown key '%s'", ps->lineno, q);
	}
	if (ps->seen[*k])
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d: duplicate key '%s'", ps->lineno, key_names[*k]);
	ps->seen[*k] = 1;
	return 0;
}

/* One line, without its line end. */
static int
parse_line(struct parser *ps, const char *s, size_t n)
{
	char reason[REASON_MAX];
	size_t klen = 0, off = 0;
	int k, r;

	if ((r = line_text_ok(ps, s, n)) != 0 ||
	    (r = split_line(ps, s, n, &klen, &off)) != 0 ||
	    (r = line_key(ps, s, klen, &k)) != 0)
		return r;
	if ((r = set_field(ps->d, k, s + off, n - off, reason, sizeof(reason))) != 0)
		return r == SLUICE_ENOMEM ?
		    sluice_why(ps->why, ps->whylen, r, "out of memory") :
		    sluice_why(ps->why, ps->whylen, r, "line %d: %s", ps->lineno, reason);
	return 0;
}

/*
 * The line that starts at s[start]: its length without the line end and
 * where the next one starts. A lone CR, or CRLF mixed with LF, is refused.
 */
static int
line_end(struct parser *ps, const char *s, size_t start, size_t len,
    size_t *linelen, size_t *next)
{
	const char *nl = memchr(s + start, '\n', len - start);
	size_t end = nl != NULL ? (size_t)(nl - s) : len;
	int crlf = end > start && s[end - 1] == '\r';

	*linelen = end - start - (crlf ? 1 : 0);
	*next = end + 1;
	if (memchr(s + start, '\r', *linelen) != NULL || (nl == NULL && crlf))
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "line %d ends in a lone CR", ps->lineno);
	if (nl == NULL)
		return 0;
	if (ps->crlf >= 0 && ps->crlf != crlf)
		return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
		    "certificate of deletion mixes CRLF and LF line ends");
	ps->crlf = crlf;
	return 0;
}

/* Splits the text into lines, checking the line ends, and parses each. */
static int
parse_lines(struct parser *ps, const char *s, size_t len)
{
	size_t start = 0, linelen, next;
	int r;

	while (start < len) {
		ps->lineno++;
		if ((r = line_end(ps, s, start, len, &linelen, &next)) != 0 ||
		    (r = parse_line(ps, s + start, linelen)) != 0)
			return r;
		start = next;
	}
	return 0;
}

/* What is wrong with the text as a whole, before its lines are read. */
static int
check_whole(const uint8_t *text, size_t len, char *why, size_t whylen)
{
	if (len > CERTDOC_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "certificate of deletion is larger than 64 KiB");
	if (text == NULL || len == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "certificate of deletion is empty");
	if (memchr(text, '\0', len) != NULL)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "certificate of deletion contains a NUL byte");
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT,
		    "certificate of deletion starts with a byte order mark");
	return 0;
}

static int
check_all_keys(const struct parser *ps)
{
	int k;

	for (k = 0; k < K_MAX; k++)
		if (!ps->seen[k])
			return sluice_why(ps->why, ps->whylen, SLUICE_EFORMAT,
			    "missing key '%s'", key_names[k]);
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
	int r;

	if (d == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	memset(d, 0, sizeof(*d));
	memset(&ps, 0, sizeof(ps));
	ps.d = d;
	ps.crlf = -1;
	ps.why = why;
	ps.whylen = whylen;
	if ((r = check_whole(text, len, why, whylen)) != 0 ||
	    (r = parse_lines(&ps, (const char *)text, len)) != 0 ||
	    (r = check_all_keys(&ps)) != 0)
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

/* Every field as "Key: value\n", each checked as the parser would. */
static int
format_fields(const struct certdoc *d, struct sbuf *b, char *why, size_t whylen)
{
	char date[16];
	const char *v;
	int k, r;

	for (k = 0; k < K_MAX; k++) {
		if (field_text(d, k, date, sizeof(date), &v) != 0)
			return sluice_why(why, whylen, SLUICE_EFORMAT,
			    "bad Destroyed-On date (expected YYYY-MM-DD)");
		if ((r = check_value(k, v, why, whylen)) != 0)
			return r;
		if ((r = sbuf_putf(b, "%s: %s\n", key_names[k], v)) != 0)
			return r;
	}
	return 0;
}

/* The formatted text as a malloc'd string. */
static int
text_of(struct sbuf *b, char **text, size_t *len, char *why, size_t whylen)
{
	if (sbuf_len(b) > CERTDOC_MAX)
		return sluice_why(why, whylen, SLUICE_ETOOBIG,
		    "certificate of deletion is larger than 64 KiB");
	if (sbuf_put_u8(b, 0) != 0 || (*text = malloc(sbuf_len(b))) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	memcpy(*text, sbuf_ptr(b), sbuf_len(b));
	*len = sbuf_len(b) - 1;
	return 0;
}

int
certdoc_format(const struct certdoc *d, char **text, size_t *len, char *why, size_t whylen)
{
	struct sbuf *b;
	int r;

	if (text == NULL || len == NULL || d == NULL)
		return sluice_why(why, whylen, SLUICE_EINVAL, "invalid argument");
	*text = NULL;
	*len = 0;
	if ((b = sbuf_new()) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	if ((r = format_fields(d, b, why, whylen)) == 0)
		r = text_of(b, text, len, why, whylen);
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
