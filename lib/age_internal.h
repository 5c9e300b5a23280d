/*
 * age_internal.h (lib-internal): pieces shared by age.c and age_stream.c.
 */
#ifndef SLUICE_AGE_INTERNAL_H
#define SLUICE_AGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* HKDF-SHA-256 through OpenSSL's EVP_KDF; ikm and salt may be empty. */
int age_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t *out, size_t outlen)
    __attribute__((warn_unused_result));

/* Payload decryption with pre[0..prelen) already read from in_fd. */
int age_stream_decrypt(int in_fd, const uint8_t *pre, size_t prelen,
    int out_fd, const uint8_t file_key[16], uint8_t sha256_plain[32],
    uint64_t *plain_len, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Reads until n bytes or EOF; *got says how many. Retries EINTR. */
int age_read_full(int fd, uint8_t *buf, size_t n, size_t *got)
    __attribute__((warn_unused_result));

#endif
