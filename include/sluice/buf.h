/*
 * buf.h: a growable byte buffer with checked readers and writers, after
 * OpenSSH's sshbuf. Used for SSH wire formats, SFTP packets and the
 * session<->engine messages.
 *
 * Writers append at the end; readers consume from the read offset. Every
 * getter checks the remaining length first and returns SLUICE_EFORMAT
 * (and consumes nothing) on a short buffer. A buffer made with sbuf_new_secret()
 * is wiped before its memory is released.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>
#include <stdint.h>

#define SBUF_MAX (64u * 1024 * 1024)	/* no buffer grows beyond this */

struct sbuf {
	uint8_t	*data;
	size_t	 off;	/* read offset */
	size_t	 len;	/* bytes written */
	size_t	 cap;
	int	 secret;
	int	 readonly;	/* a view over memory the buffer does not own */
};

struct sbuf *sbuf_new(void);
struct sbuf *sbuf_new_secret(void);
void sbuf_free(struct sbuf *b);			/* NULL is a no-op */
/* A read-only view over p[0..n); never freed, never grown. */
void sbuf_view(struct sbuf *b, const void *p, size_t n);

void sbuf_reset(struct sbuf *b);		/* empties (wipes if secret) */
const uint8_t *sbuf_ptr(const struct sbuf *b);	/* at the read offset */
size_t sbuf_len(const struct sbuf *b);		/* bytes left to read */
int sbuf_consume(struct sbuf *b, size_t n) __attribute__((warn_unused_result));
/* Makes room for n more bytes and returns where they go (counted as written). */
int sbuf_reserve(struct sbuf *b, size_t n, uint8_t **dst) __attribute__((warn_unused_result));

int sbuf_put(struct sbuf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int sbuf_put_u8(struct sbuf *b, uint8_t v) __attribute__((warn_unused_result));
int sbuf_put_u32(struct sbuf *b, uint32_t v) __attribute__((warn_unused_result));
int sbuf_put_u64(struct sbuf *b, uint64_t v) __attribute__((warn_unused_result));
/* u32 length (network order) then the bytes, as SSH strings. */
int sbuf_put_string(struct sbuf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int sbuf_put_cstring(struct sbuf *b, const char *s) __attribute__((warn_unused_result));
int sbuf_putf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));

int sbuf_get(struct sbuf *b, void *p, size_t n) __attribute__((warn_unused_result));
int sbuf_get_u8(struct sbuf *b, uint8_t *v) __attribute__((warn_unused_result));
int sbuf_get_u32(struct sbuf *b, uint32_t *v) __attribute__((warn_unused_result));
int sbuf_get_u64(struct sbuf *b, uint64_t *v) __attribute__((warn_unused_result));
/* A pointer into the buffer and its length; valid until the buffer changes. */
int sbuf_get_string_direct(struct sbuf *b, const uint8_t **p, size_t *n)
    __attribute__((warn_unused_result));
/* A malloc'd NUL-terminated copy; refuses embedded NULs and strings > max. */
int sbuf_get_cstring(struct sbuf *b, char **s, size_t max) __attribute__((warn_unused_result));

/* Big-endian helpers. */
uint32_t sbuf_peek_u32(const uint8_t *p);
void sbuf_poke_u32(uint8_t *p, uint32_t v);

#endif
