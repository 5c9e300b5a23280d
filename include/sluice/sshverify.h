/*
 * sshverify.h: one SSH signature checked against one public key, as an SSH
 * server checks a client's "publickey" login (RFC 4252 7): the signature
 * blob is "string algorithm, string signature" (RFC 4253 6.6, RFC 5656
 * 3.1.2, RFC 8332 3, RFC 8709 6), the key a wire blob that sshkey.h
 * accepts. The engine uses it to check logins itself instead of taking a
 * session's word (docs/design.md section 7).
 *
 * Algorithms: ssh-ed25519 (libsodium), ecdsa-sha2-nistp{256,384,521} with
 * SHA-256/384/512, rsa-sha2-256 and rsa-sha2-512 (OpenSSL). ssh-rsa (SHA-1),
 * DSA, certificates and security keys are refused.
 */
#ifndef SLUICE_SSHVERIFY_H
#define SLUICE_SSHVERIFY_H

#include <stddef.h>
#include <stdint.h>

/*
 * 0 when sig is a signature by the key in key (a wire blob) over data, made
 * with algorithm alg, which must also be the algorithm the signature blob
 * names and one that suits the key's type. Fails with SLUICE_EDENIED (an
 * algorithm refused or not the key's), SLUICE_EFORMAT (a malformed key or
 * signature blob) or SLUICE_EVERIFY (the signature does not verify), and a
 * one-line reason in why.
 */
int sshverify(const uint8_t *key, size_t keylen, const char *alg,
    const uint8_t *sig, size_t siglen, const uint8_t *data, size_t datalen,
    char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
