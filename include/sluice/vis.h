/*
 * vis.h: the one escape for text that came from outside and goes into a
 * log line or an audit entry, in the spirit of OpenBSD's strnvis(3). What
 * it writes is one line of printable text, bounded in length, that a
 * terminal shows as it is: a user name cannot forge a log line, move the
 * cursor or reorder the text around it.
 */
#ifndef SLUICE_VIS_H
#define SLUICE_VIS_H

#include <stddef.h>

/* A user name is shown with at most 64 characters and in at most 255
 * bytes (the store's limit for names), then cut. */
#define VIS_NAME_CHARS		64
#define VIS_NAME_SIZE		256
/* Room that always holds n characters escaped and the cut's tail. */
#define VIS_SIZE(n)		((n) * 6 + 32)

/* Leave backslashes as they are: for text already escaped, which a second
 * pass must not change (the log escapes whole lines again). */
#define VIS_NOSLASH		0x1

/*
 * Writes src[0..srclen) into dst (dstlen bytes, always NUL-terminated when
 * dstlen > 0) character by character:
 * - printable ASCII and valid UTF-8 are copied, but
 * - a backslash becomes "\\" (unless VIS_NOSLASH);
 * - newline, carriage return and tab become "\n", "\r" and "\t";
 * - the other C0 controls, DEL, and bytes that do not start valid UTF-8
 *   become "\xNN" (lower-case hex);
 * - the C1 controls, U+2028, U+2029 and the bidirectional formatting
 *   characters of utf8_is_bidi() become "\uXXXX".
 * After maxchars characters of src, or when the next would not fit with
 * the tail, it stops and appends "...(N bytes)", N being srclen. dstlen of
 * VIS_SIZE(maxchars) or more is always enough. Returns strlen(dst).
 */
size_t str_vis(char *dst, size_t dstlen, const char *src, size_t srclen,
    size_t maxchars, int flags);

/* str_vis() of a NUL-terminated user name (NULL as "") into dst, cut
 * after VIS_NAME_CHARS characters or VIS_NAME_SIZE - 1 bytes; returns dst.
 * A 300-byte name of "a"s shows as 64 "a"s then "...(300 bytes)". */
const char *vis_name(char dst[VIS_NAME_SIZE], const char *name);

#endif
