/*
 * words.h: split an admin command line into words, with the quoting rules of
 * a POSIX shell and nothing else (docs/design.md section 6: "nothing is ever passed
 * to a shell").
 *
 * Rules:
 *   - words are separated by runs of space, tab and newline;
 *   - '...' keeps every byte literally up to the next single quote;
 *   - "..." keeps bytes literally except that a backslash escapes \ " $ `
 *     and newline (backslash-newline is removed); before any other byte the
 *     backslash stays;
 *   - outside quotes a backslash makes the next byte literal (backslash-
 *     newline is removed);
 *   - nothing is expanded: $, *, ?, ~, ;, |, & and the rest are plain bytes.
 *   - '' and "" make an empty word.
 *
 * Refused, with a one-line reason in why (the exact texts are in words.c and
 * pinned by tests/unit/test_words.c): a line over WORDS_MAX_LINE bytes, more
 * than WORDS_MAX words, a NUL byte, a control byte other than tab and
 * newline (so stored names cannot carry terminal escapes), bytes that are not
 * valid UTF-8 (overlong forms and surrogates included), an unbalanced single
 * or double quote, a trailing lone backslash.
 */
#ifndef SLUICE_WORDS_H
#define SLUICE_WORDS_H

#include <stddef.h>

#define WORDS_MAX_LINE	(64u * 1024)	/* bytes */
#define WORDS_MAX	256		/* words */

/* On success *argv is a malloc'd, NULL-terminated array of *argc malloc'd
 * strings (an empty or blank line gives argc 0), owned by the caller and
 * freed with words_free(). On failure *argv is NULL and *argc 0, and the
 * result is SLUICE_ETOOBIG (length or word count), SLUICE_EFORMAT (bytes or
 * quoting), SLUICE_ENOMEM or SLUICE_EINVAL (NULL arguments). */
int words_split(const char *line, size_t len, int *argc, char ***argv,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The length of the valid UTF-8 sequence at p[0..n) (1..4), or 0 when the
 * bytes there are not valid UTF-8 (RFC 3629: no overlong forms, surrogates
 * or code points above U+10FFFF). n must be at least 1. */
size_t words_utf8_len(const unsigned char *p, size_t n);

/* Frees an argv from words_split(); NULL is a no-op. */
void words_free(char **argv);

#endif
