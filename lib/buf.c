#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sluice/buf.h"
#include "sluice/error.h"

static struct sbuf *
sbuf_alloc(int secret)
{
	struct sbuf *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->secret = secret;
	return b;
}

struct sbuf *
sbuf_new(void)
{
	return sbuf_alloc(0);
}

struct sbuf *
sbuf_new_secret(void)
{
	return sbuf_alloc(1);
}

/* Frees the bytes a buffer owns; a secret buffer's are wiped first. */
static void
sbuf_release(struct sbuf *b)
{
	if (b->secret && b->data != NULL)
		sodium_memzero(b->data, b->cap);
	free(b->data);
}

void
sbuf_free(struct sbuf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly && b->data != NULL)
		sbuf_release(b);
	free(b);
}

void
sbuf_view(struct sbuf *b, const void *p, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->data = (uint8_t *)(uintptr_t)p;
	b->len = b->cap = n;
	b->readonly = 1;
}

void
sbuf_reset(struct sbuf *b)
{
	if (b->readonly) {
		b->off = b->len;
		return;
	}
	if (b->secret && b->data != NULL)
		sodium_memzero(b->data, b->cap);
	b->off = b->len = 0;
}

const uint8_t *
sbuf_ptr(const struct sbuf *b)
{
	static const uint8_t empty[1];

	/* Never NULL, so memcpy(dst, sbuf_ptr(b), 0) is defined. */
	return b->data == NULL ? empty : b->data + b->off;
}

size_t
sbuf_len(const struct sbuf *b)
{
	return b->len - b->off;
}

int
sbuf_consume(struct sbuf *b, size_t n)
{
	if (n > sbuf_len(b))
		return SLUICE_EFORMAT;
	b->off += n;
	return 0;
}

/* Moves the unread bytes to the front. */
static void
sbuf_compact(struct sbuf *b)
{
	memmove(b->data, b->data + b->off, b->len - b->off);
	b->len -= b->off;
	b->off = 0;
}

/* Doubles from 256 bytes until len + need fits, but never past SBUF_MAX. */
static size_t
grown_cap(const struct sbuf *b, size_t need)
{
	size_t ncap = b->cap ? b->cap : 256;

	while (ncap < b->len + need)
		ncap = ncap > SBUF_MAX / 2 ? SBUF_MAX : ncap * 2;
	return ncap;
}

/* Moves the contents to a new allocation of ncap bytes. */
static int
sbuf_move_to(struct sbuf *b, size_t ncap)
{
	uint8_t *nd;

	if ((nd = malloc(ncap)) == NULL)
		return SLUICE_ENOMEM;
	if (b->data != NULL)
		memcpy(nd, b->data, b->len);
	sbuf_release(b);
	b->data = nd;
	b->cap = ncap;
	return 0;
}

static int
sbuf_grow(struct sbuf *b, size_t need)
{
	if (b->readonly)
		return SLUICE_EINVAL;
	if (need <= b->cap - b->len)
		return 0;
	if (need > SBUF_MAX || b->len - b->off > SBUF_MAX - need)
		return SLUICE_ETOOBIG;
	/* Compact first: a reader may have consumed the front, and a stream
	 * buffer that is written and read forever must not grow forever. */
	if (b->off > 0) {
		sbuf_compact(b);
		if (b->len + need <= b->cap)
			return 0;
	}
	return sbuf_move_to(b, grown_cap(b, need));
}

int
sbuf_reserve(struct sbuf *b, size_t n, uint8_t **dst)
{
	int r;

	if ((r = sbuf_grow(b, n)) != 0)
		return r;
	/* An empty buffer may have no storage yet: no offset from NULL. */
	*dst = b->len == 0 ? b->data : b->data + b->len;
	b->len += n;
	return 0;
}

int
sbuf_put(struct sbuf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r;

	if ((r = sbuf_reserve(b, n, &dst)) != 0)
		return r;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int
sbuf_put_u8(struct sbuf *b, uint8_t v)
{
	return sbuf_put(b, &v, 1);
}

void
sbuf_poke_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t
sbuf_peek_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
sbuf_put_u32(struct sbuf *b, uint32_t v)
{
	uint8_t p[4];

	sbuf_poke_u32(p, v);
	return sbuf_put(b, p, sizeof(p));
}

int
sbuf_put_u64(struct sbuf *b, uint64_t v)
{
	int r;

	if ((r = sbuf_put_u32(b, (uint32_t)(v >> 32))) != 0)
		return r;
	return sbuf_put_u32(b, (uint32_t)v);
}

int
sbuf_put_string(struct sbuf *b, const void *p, size_t n)
{
	int r;

	if (n > SBUF_MAX)
		return SLUICE_ETOOBIG;
	if ((r = sbuf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	return sbuf_put(b, p, n);
}

int
sbuf_put_cstring(struct sbuf *b, const char *s)
{
	return sbuf_put_string(b, s, s == NULL ? 0 : strlen(s));
}

int
sbuf_putf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;
	uint8_t *dst;
	char *tmp = NULL;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SLUICE_EINVAL;
	if ((tmp = malloc((size_t)n + 1)) == NULL)
		return SLUICE_ENOMEM;
	va_start(ap, fmt);
	(void)vsnprintf(tmp, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if ((r = sbuf_reserve(b, (size_t)n, &dst)) == 0)
		memcpy(dst, tmp, (size_t)n);
	free(tmp);
	return r;
}

int
sbuf_get(struct sbuf *b, void *p, size_t n)
{
	if (n > sbuf_len(b))
		return SLUICE_EFORMAT;
	if (n > 0 && p != NULL)
		memcpy(p, sbuf_ptr(b), n);
	b->off += n;
	return 0;
}

int
sbuf_get_u8(struct sbuf *b, uint8_t *v)
{
	return sbuf_get(b, v, 1);
}

int
sbuf_get_u32(struct sbuf *b, uint32_t *v)
{
	if (sbuf_len(b) < 4)
		return SLUICE_EFORMAT;
	*v = sbuf_peek_u32(sbuf_ptr(b));
	b->off += 4;
	return 0;
}

int
sbuf_get_u64(struct sbuf *b, uint64_t *v)
{
	uint32_t hi, lo;

	if (sbuf_len(b) < 8)
		return SLUICE_EFORMAT;
	hi = sbuf_peek_u32(sbuf_ptr(b));
	lo = sbuf_peek_u32(sbuf_ptr(b) + 4);
	*v = (uint64_t)hi << 32 | lo;
	b->off += 8;
	return 0;
}

int
sbuf_get_string_direct(struct sbuf *b, const uint8_t **p, size_t *n)
{
	uint32_t len;

	if (sbuf_len(b) < 4)
		return SLUICE_EFORMAT;
	len = sbuf_peek_u32(sbuf_ptr(b));
	if (len > sbuf_len(b) - 4)
		return SLUICE_EFORMAT;
	*p = sbuf_ptr(b) + 4;
	*n = len;
	b->off += 4 + (size_t)len;
	return 0;
}

int
sbuf_get_cstring(struct sbuf *b, char **s, size_t max)
{
	const uint8_t *p;
	size_t n, save = b->off;
	int r;

	*s = NULL;
	if ((r = sbuf_get_string_direct(b, &p, &n)) != 0)
		return r;
	if (n > max || memchr(p, '\0', n) != NULL) {
		b->off = save;
		return SLUICE_EFORMAT;
	}
	if ((*s = malloc(n + 1)) == NULL) {
		b->off = save;
		return SLUICE_ENOMEM;
	}
	memcpy(*s, p, n);
	(*s)[n] = '\0';
	return 0;
}
