/*
 * minisign.h: minisign keys and signatures (https://jedisct1.github.io/minisign/),
 * so the daemon can sign each agreement's SHA256SUMS with its release key and
 * anyone can check it with the stock `minisign -Vm SHA256SUMS -p release.pub`.
 *
 * Contract:
 * - Signatures are always the prehashed "ED" kind (Ed25519 over BLAKE2b-512
 *   of the message); the legacy "Ed" kind is refused by the verifier.
 * - Secret keys are written in minisign's unencrypted format (KDF "\0\0",
 *   checksum BLAKE2b-256 of sig_alg || keyid || sk); the daemon protects the
 *   file by its mode, as it does its other keys. Keys with a passphrase
 *   (KDF "Sc") are refused with a reason.
 * - A secret key lives in sodium-guarded memory and is wiped by
 *   minisign_key_free(); minisign_key_free(NULL) is a no-op.
 * - Texts written into sbufs are appended, with a final newline.
 * - Parsers treat their input as hostile (bounded lines, exact lengths).
 */
#ifndef SLUICE_MINISIGN_H
#define SLUICE_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"

#define MINISIGN_KEYID_LEN	8
#define MINISIGN_COMMENT_MAX	1000	/* untrusted comment, as minisign */
#define MINISIGN_TRUSTED_MAX	8000	/* trusted comment, as minisign */

struct minisign_pubkey {
	uint8_t	keyid[MINISIGN_KEYID_LEN];
	uint8_t	pk[32];
};

struct minisign_key;	/* a secret key */

/*
 * A new key pair: pub_text gets the public key file ("untrusted comment:
 * minisign public key <KEYID>\n<base64>\n") and sec_text the unencrypted
 * secret key file (make sec_text with sbuf_new_secret()).
 */
int minisign_keygen(struct sbuf *pub_text, struct sbuf *sec_text)
    __attribute__((warn_unused_result));

/* Loads a secret key file's text. SLUICE_EFORMAT / SLUICE_EDENIED + why. */
int minisign_key_load(const char *text, size_t len, struct minisign_key **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
void minisign_key_free(struct minisign_key *k);

/* The public half of a secret key, and its public key file text. */
void minisign_key_public(const struct minisign_key *k,
    struct minisign_pubkey *pub);
int minisign_pubkey_format(const struct minisign_pubkey *pub,
    struct sbuf *pub_text) __attribute__((warn_unused_result));

/* The key id as minisign prints it: 16 upper-case hex digits (+ NUL). */
void minisign_keyid_hex(const uint8_t keyid[MINISIGN_KEYID_LEN], char out[17]);

/*
 * Parses a public key: the file text (comment line + base64 line) or the
 * bare base64 string (as for minisign -P).
 */
int minisign_pubkey_parse(const char *text, size_t len,
    struct minisign_pubkey *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Signs msg[0..len) and appends the .minisig text to sig_text. The
 * untrusted comment may be NULL (a default is used); the trusted comment
 * (e.g. "timestamp:1700000000\tfile:SHA256SUMS") is signed too. Neither may
 * hold a CR or LF. SLUICE_EINVAL for a bad comment.
 */
int minisign_sign(const struct minisign_key *k, const uint8_t *msg,
    size_t len, const char *untrusted_comment, const char *trusted_comment,
    struct sbuf *sig_text) __attribute__((warn_unused_result));

/*
 * Verifies a .minisig text over msg[0..len) with pub: key id, signature and
 * the global signature over the trusted comment. On success the trusted
 * comment is copied to trusted (NUL-terminated; it may be NULL).
 * SLUICE_EVERIFY when a signature does not verify, SLUICE_EFORMAT for a
 * malformed file, SLUICE_EDENIED for a key id mismatch or a legacy signature.
 */
int minisign_verify(const struct minisign_pubkey *pub, const uint8_t *msg,
    size_t len, const char *sig_text, size_t siglen, char *trusted,
    size_t trustedlen, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
