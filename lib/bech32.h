/*
 * bech32.h (lib-internal): BIP 173 bech32 as age uses it for "age1..."
 * recipients and "AGE-SECRET-KEY-1..." identities: 8-bit data, no length
 * limit of 90, strings either all lower or all upper case.
 */
#ifndef SLUICE_BECH32_H
#define SLUICE_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* Encodes hrp + data into out (lower case, NUL-terminated). */
int bech32_encode(const char *hrp, const uint8_t *data, size_t len,
    char *out, size_t outlen) __attribute__((warn_unused_result));
/*
 * Decodes s[0..n): checks the checksum and case, compares the
 * (lower-cased) human-readable part with hrp, and writes the 8-bit data to
 * out (cap bytes at most). SLUICE_EFORMAT on any deviation.
 */
int bech32_decode(const char *s, size_t n, const char *hrp, uint8_t *out,
    size_t cap, size_t *outlen) __attribute__((warn_unused_result));

#endif
