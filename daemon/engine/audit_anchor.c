/*
 * audit_anchor.c: the signed head of the audit log (audit_anchor.h): the
 * key, the head line, DIR/audit.head, and whether a log holds a head.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/audit.h"
#include "engine/audit_anchor.h"
#include "sluice/buf.h"
#include "sluice/error.h"
#include "sluice/files.h"

#define HEAD_PATH_MAX	4096
#define SIG_HEX		(2 * crypto_sign_BYTES)

struct audit_anchor {
	char		 head_path[HEAD_PATH_MAX];
	unsigned char	 pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char	*sk;		/* sodium_malloc'd, read-only */
	struct audit_head written;	/* the head last written; id -1: none */
	int		 broken;	/* the log does not hold its head */
};

/* ---- the key ------------------------------------------------------------- */

int
audit_key_create(const char *key_path)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	int r;

	randombytes_buf(seed, sizeof(seed));
	r = files_write_new(key_path, seed, sizeof(seed), 0600);
	sodium_memzero(seed, sizeof(seed));
	return r;
}

/* Loads a's key pair from the seed at path, made first when absent
 * (*made = 1). */
static int
key_load(struct audit_anchor *a, const char *path, int *made, char *why,
    size_t whylen)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	int r;

	*made = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if ((r = audit_key_create(path)) != 0)
			return sluice_why(why, whylen, r,
			    "%s: cannot make the audit key", path);
		*made = 1;
	}
	if ((r = files_check_secret(path, why, whylen)) != 0)
		return r;
	if ((r = files_read_secret(path, seed, sizeof(seed))) != 0)
		return sluice_why(why, whylen, r,
		    "%s: cannot read the 32-byte audit key", path);
	crypto_sign_seed_keypair(a->pk, a->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	(void)sodium_mprotect_readonly(a->sk);
	return 0;
}

/* ---- the head line ------------------------------------------------------- */

/* "sluice-audit-head-v1:<id>:<hash>", what the signature covers. */
static int
head_text(const struct audit_head *h, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s:%" PRId64 ":%s", AUDIT_HEAD_PREFIX,
	    h->id, h->hash);

	return n < 0 || (size_t)n >= outlen ? SLUICE_ETOOBIG : 0;
}

/* h's line, signed with a's key. */
static int
head_sign(const struct audit_anchor *a, const struct audit_head *h,
    char line[AUDIT_HEAD_MAX])
{
	unsigned char sig[crypto_sign_BYTES];
	size_t n;
	int r;

	if ((r = head_text(h, line, AUDIT_HEAD_MAX)) != 0)
		return r;
	n = strlen(line);
	if (n + 1 + SIG_HEX + 1 > AUDIT_HEAD_MAX)
		return SLUICE_ETOOBIG;
	crypto_sign_detached(sig, NULL, (const unsigned char *)line, n, a->sk);
	line[n] = ':';
	sodium_bin2hex(line + n + 1, SIG_HEX + 1, sig, sizeof(sig));
	return 0;
}

/* Whether p[0..n) is lower-case hex. */
static int
is_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* The entry number at p, up to the colon at end: digits, no leading zero. */
static int
head_id(const char *p, const char *end, int64_t *id)
{
	char num[20];
	size_t n = (size_t)(end - p), i;

	if (n == 0 || n >= sizeof(num) || (n > 1 && p[0] == '0'))
		return SLUICE_EFORMAT;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return SLUICE_EFORMAT;
	memcpy(num, p, n);
	num[n] = '\0';
	errno = 0;
	*id = strtoll(num, NULL, 10);
	return errno == 0 ? 0 : SLUICE_EFORMAT;
}

/* Splits line[0..len) into h and its signature's hex at *sig; *msglen is
 * the length the signature covers. */
static int
head_split(const char *line, size_t len, struct audit_head *h,
    const char **sig, size_t *msglen)
{
	size_t plen = strlen(AUDIT_HEAD_PREFIX), tail = 1 + 64 + 1 + SIG_HEX;
	const char *p = line + plen + 1, *colon;

	if (len < plen + 2 + tail || memcmp(line, AUDIT_HEAD_PREFIX, plen) != 0 ||
	    line[plen] != ':' || (colon = memchr(p, ':', len - plen - 1)) == NULL ||
	    (size_t)(line + len - colon) != tail)
		return SLUICE_EFORMAT;
	if (head_id(p, colon, &h->id) != 0 || !is_hex(colon + 1, 64) ||
	    colon[65] != ':' || !is_hex(colon + 66, SIG_HEX))
		return SLUICE_EFORMAT;
	memcpy(h->hash, colon + 1, 64);
	h->hash[64] = '\0';
	*sig = colon + 66;
	*msglen = (size_t)(colon + 65 - line);
	return 0;
}

int
audit_head_parse(const struct audit_anchor *a, const char *line,
    struct audit_head *h, char *why, size_t whylen)
{
	unsigned char sig[crypto_sign_BYTES];
	const char *hex;
	size_t len = strlen(line), msglen;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (head_split(line, len, h, &hex, &msglen) != 0)
		return sluice_why(why, whylen, SLUICE_EFORMAT, "is not a head "
		    "line (" AUDIT_HEAD_PREFIX ":ENTRY:HASH:SIGNATURE)");
	if (sodium_hex2bin(sig, sizeof(sig), hex, SIG_HEX, NULL, NULL,
	    NULL) != 0 || crypto_sign_verify_detached(sig,
	    (const unsigned char *)line, msglen, a->pk) != 0)
		return sluice_why(why, whylen, SLUICE_EVERIFY,
		    "does not verify with the audit key");
	return 0;
}

/* ---- the log and a head -------------------------------------------------- */

/* The newest entry's id and hash; id 0 and the zero hash for none. */
static int
log_head(struct store *s, struct audit_head *h)
{
	struct audit_entry e;
	int r;

	h->id = 0;
	memcpy(h->hash, AUDIT_ZERO_HASH, sizeof(h->hash));
	if ((r = store_audit_last(s, &e)) == SLUICE_ENOTFOUND)
		return 0;
	if (r == 0) {
		h->id = e.id;
		memcpy(h->hash, e.hash, sizeof(h->hash));
	}
	audit_entry_clear(&e);
	return r;
}

/* Whether entry h->id of s has hash h->hash: 0, or SLUICE_EVERIFY. */
static int
entry_has(struct store *s, const struct audit_head *h)
{
	struct audit_entry e;
	int r, same;

	if (h->id == 0)
		return strcmp(h->hash, AUDIT_ZERO_HASH) == 0 ? 0 : SLUICE_EVERIFY;
	if ((r = store_audit_get(s, h->id, &e)) == SLUICE_ENOTFOUND)
		return SLUICE_EVERIFY;
	same = r == 0 && strcmp(e.hash, h->hash) == 0;
	audit_entry_clear(&e);
	return r != 0 ? r : same ? 0 : SLUICE_EVERIFY;
}

/* Whether s holds h; what names the head in the reason ("its signed
 * head", "the kept head"). */
static int
head_held(struct store *s, const struct audit_head *h, const char *what,
    char *why, size_t whylen)
{
	struct audit_head last;
	int r;

	if ((r = log_head(s, &last)) != 0)
		return sluice_why(why, whylen, r, "cannot read the audit log");
	if (h->id > last.id)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "audit log "
		    "shorter than %s: the head names entry %" PRId64 ", the log "
		    "ends at entry %" PRId64 " (entries removed from the end?)",
		    what, h->id, last.id);
	if ((r = entry_has(s, h)) == SLUICE_EVERIFY)
		return sluice_why(why, whylen, r, "audit entry %" PRId64
		    " differs from %s (log rewritten?)", h->id, what);
	if (r != 0)
		return sluice_why(why, whylen, r, "cannot read the audit log");
	return 0;
}

/* ---- DIR/audit.head ------------------------------------------------------ */

/* Reads and checks DIR/audit.head into h; SLUICE_ENOTFOUND when absent. */
static int
head_read(const struct audit_anchor *a, struct audit_head *h, char *why,
    size_t whylen)
{
	char what[128] = "";
	struct sbuf *b;
	int r;

	if (access(a->head_path, F_OK) != 0 && errno == ENOENT)
		return sluice_why(why, whylen, SLUICE_ENOTFOUND,
		    "no signed head: " AUDIT_HEAD_FILE " is missing");
	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = files_read(a->head_path, AUDIT_HEAD_MAX - 1, b)) != 0 ||
	    (r = sbuf_put_u8(b, 0)) != 0)
		r = sluice_why(why, whylen, SLUICE_EFORMAT, "the signed head ("
		    AUDIT_HEAD_FILE ") cannot be read");
	else if ((r = audit_head_parse(a, (const char *)sbuf_ptr(b), h, what,
	    sizeof(what))) != 0)
		r = sluice_why(why, whylen, r, "the signed head ("
		    AUDIT_HEAD_FILE ") %s", what);
	sbuf_free(b);
	return r;
}

/* Signs h into DIR/audit.head. */
static int
head_write(struct audit_anchor *a, const struct audit_head *h)
{
	char line[AUDIT_HEAD_MAX + 1];
	size_t n;
	int r;

	if ((r = head_sign(a, h, line)) != 0)
		return r;
	n = strlen(line);
	line[n++] = '\n';
	if ((r = files_write_replace(a->head_path, line, n, 0644)) == 0)
		a->written = *h;
	return r;
}

/* ---- the anchor ---------------------------------------------------------- */

/* What the engine finds at start: the log against DIR/audit.head. */
static enum anchor_start
anchor_check(struct audit_anchor *a, struct store *s, int made, char *why,
    size_t whylen)
{
	struct audit_head h;
	int r;

	if ((r = head_read(a, &h, why, whylen)) == SLUICE_ENOTFOUND)
		return made ? ANCHOR_NEW_KEY : ANCHOR_NO_HEAD;
	if (r == 0 && (r = head_held(s, &h, "its signed head", why,
	    whylen)) == 0) {
		a->written = h;
		return ANCHOR_HELD;
	}
	a->broken = 1;
	return ANCHOR_BROKEN;
}

int
audit_anchor_open(const char *dir, const char *key_path, struct store *s,
    struct audit_anchor **out, enum anchor_start *how, char *why,
    size_t whylen)
{
	struct audit_anchor *a;
	int made, n, r;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)) == NULL) {
		audit_anchor_free(a);
		return SLUICE_ENOMEM;
	}
	a->written.id = -1;
	n = snprintf(a->head_path, sizeof(a->head_path), "%s/%s", dir,
	    AUDIT_HEAD_FILE);
	if (n < 0 || (size_t)n >= sizeof(a->head_path))
		r = sluice_why(why, whylen, SLUICE_ETOOBIG, "%s: too long", dir);
	else if ((r = key_load(a, key_path, &made, why, whylen)) == 0)
		*how = anchor_check(a, s, made, why, whylen);
	if (r != 0)
		audit_anchor_free(a);
	else
		*out = a;
	return r;
}

void
audit_anchor_free(struct audit_anchor *a)
{
	if (a == NULL)
		return;
	if (a->sk != NULL)
		sodium_free(a->sk);
	free(a);
}

int
audit_anchor_update(struct audit_anchor *a, struct store *s)
{
	struct audit_head h;
	int r;

	if (a == NULL || a->broken)
		return 0;
	if ((r = log_head(s, &h)) != 0 || h.id == a->written.id)
		return r;
	/* the entry the last head named must still be there, unchanged */
	if (a->written.id >= 0 && entry_has(s, &a->written) != 0) {
		a->broken = 1;
		return SLUICE_EVERIFY;
	}
	return head_write(a, &h);
}

int
audit_anchor_line(const struct audit_anchor *a, struct store *s,
    char line[AUDIT_HEAD_MAX])
{
	struct audit_head h;
	int r;

	if ((r = log_head(s, &h)) != 0)
		return r;
	return head_sign(a, &h, line);
}

/* The kept head line, checked and held by s; *id its entry. */
static int
kept_held(const struct audit_anchor *a, struct store *s, const char *kept,
    int64_t *id, char *why, size_t whylen)
{
	struct audit_head h;
	char what[128] = "";
	int r;

	if ((r = audit_head_parse(a, kept, &h, what, sizeof(what))) != 0)
		return sluice_why(why, whylen, r, "the kept head %s", what);
	*id = h.id;
	return head_held(s, &h, "the kept head", why, whylen);
}

int
audit_anchor_verify(const struct audit_anchor *a, struct store *s,
    const char *kept, struct audit_check *out, char *why, size_t whylen)
{
	struct audit_head own;
	int64_t count = 0, kept_id = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = audit_verify(s, NULL, &count, why, whylen)) != 0)
		return r;
	/* a head missing, damaged or forged: the log cannot be vouched for */
	if ((r = head_read(a, &own, why, whylen)) != 0)
		return r == SLUICE_ENOMEM ? r : SLUICE_EVERIFY;
	if ((r = head_held(s, &own, "its signed head", why, whylen)) != 0 ||
	    (kept != NULL &&
	    (r = kept_held(a, s, kept, &kept_id, why, whylen)) != 0))
		return r;
	out->entries = count;
	out->head = own.id;
	out->kept = kept_id;
	if (kept == NULL)
		return sluice_why(why, whylen, 0, "audit log intact: %" PRId64
		    " entries; signed head at entry %" PRId64, count, own.id);
	return sluice_why(why, whylen, 0, "audit log intact: %" PRId64
	    " entries; signed head at entry %" PRId64 "; it holds the kept "
	    "head, entry %" PRId64, count, own.id, kept_id);
}
