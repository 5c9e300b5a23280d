/*
 * jsonw.h: what the clients write for --json: JSON strings and numbers on a
 * stdio stream, for documents whose shape the caller spells out. Strings are
 * escaped (quote, backslash, control characters as \uXXXX); text that is
 * not valid UTF-8 gets U+FFFD for each bad byte, so the output is always
 * valid JSON. Write errors are the stream's (ferror).
 */
#ifndef SLUICE_CLIENT_JSONW_H
#define SLUICE_CLIENT_JSONW_H

#include <stdint.h>
#include <stdio.h>

/* "s", escaped. */
void jsonw_str(FILE *f, const char *s);

/* "key": with a leading comma unless first. */
void jsonw_key(FILE *f, const char *key, int first);

/* "key":"value" and "key":number, "key":true|false, each after a comma
 * unless first. */
void jsonw_kv_str(FILE *f, const char *key, const char *value, int first);
void jsonw_kv_u64(FILE *f, const char *key, uint64_t value, int first);
void jsonw_kv_bool(FILE *f, const char *key, int value, int first);

#endif
