/*
 * utf8.h: the one strict UTF-8 decoder (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and a cut that never splits a
 * sequence, for the parsers and the reasons that quote hostile text.
 */
#ifndef SLUICE_UTF8_H
#define SLUICE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1..4) of the valid UTF-8 sequence at p[0..n), its code point
 * in *cp; 0 when the bytes there are not valid UTF-8. n must be at least 1. */
size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp);

/* 1 when p[0..n) is all valid UTF-8. */
int utf8_valid(const uint8_t *p, size_t n);

/* 1 when cp is a Unicode bidirectional formatting character, which
 * reorders the text around it: U+061C, U+200E, U+200F, U+202A..U+202E and
 * U+2066..U+2069 (the HTML and the log escapes show them as code points). */
int utf8_is_bidi(uint32_t cp);

/* Copies src[0..n) into dst as a string, cut to at most dstlen - 1 bytes
 * without splitting a UTF-8 sequence. dstlen must be at least 1. */
void utf8_cut(char *dst, size_t dstlen, const char *src, size_t n);

#endif
