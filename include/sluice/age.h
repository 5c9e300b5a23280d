/*
 * age.h: the age v1 file format (age-encryption.org/v1), as sluice uses it.
 *
 * The daemon encrypts an extract once (age_payload_encrypt) under a fresh
 * file key and later serves, per recipient, a header made for that recipient
 * (age_header_build) followed by the shared payload. Clients and tests
 * decrypt with age_decrypt. Stock `age -d` reads what this module writes and
 * this module reads what stock `age` writes (X25519, ssh-ed25519, ssh-rsa).
 *
 * Contract:
 * - Headers are deterministic: the same file key, recipients and seed give
 *   byte-identical headers, because the daemon serves the header as part of
 *   a virtual file that clients may download in pieces and resume. Every
 *   "random" value is derived from the seed AND the file key, so reusing a
 *   seed across files never reuses a wrap key.
 * - Payload encryption reads its input exactly once and writes only
 *   ciphertext; the plaintext's SHA-256 is computed on the way.
 * - Decryption treats every byte as hostile: header lines, stanza counts
 *   and sizes are bounded, base64 must be canonical, the header MAC and
 *   every payload chunk are verified, truncation and trailing data are
 *   refused. Plaintext is written to out_fd chunk by chunk, each only after
 *   it verified; on failure the caller must discard what was written.
 * - File keys and private keys are wiped after use; identities live in
 *   sodium-guarded memory.
 * - Refusals fill `why` with one line.
 */
#ifndef SLUICE_AGE_H
#define SLUICE_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */

#define AGE_FILE_KEY_LEN	16
#define AGE_SEED_LEN		32
#define AGE_CHUNK_SIZE		65536u
#define AGE_TAG_LEN		16
#define AGE_NONCE_LEN		16
#define AGE_HEADER_MAX		(256u * 1024)	/* longest header accepted */
#define AGE_STANZAS_MAX		256
/* "age1" + 52 + 6 checksum characters; identities "AGE-SECRET-KEY-1" + 58. */
#define AGE_RECIPIENT_STRLEN	62
#define AGE_IDENTITY_STRLEN	74
#define AGE_PLAIN_MAX		(UINT64_C(1) << 60)	/* sizes above are refused */

enum age_recipient_type {
	AGE_RCPT_NONE = 0,
	AGE_RCPT_X25519,	/* age1... */
	AGE_RCPT_SSH_ED25519,
	AGE_RCPT_SSH_RSA,
};

/*
 * A recipient, by value so callers can keep arrays of them. Initialise with
 * one of the constructors; release with age_recipient_clear().
 */
struct age_recipient {
	enum age_recipient_type type;
	uint8_t		 x25519[32];	/* X25519 public key (ssh-ed25519: converted) */
	uint8_t		*ssh_blob;	/* SSH wire key, ssh types only (owned) */
	size_t		 ssh_bloblen;
	struct evp_pkey_st *rsa;	/* ssh-rsa only (owned) */
	unsigned	 rsa_bits;
};

/* An "age1..." bech32 string (lower case, or all upper case). */
int age_recipient_parse_age1(const char *s, struct age_recipient *out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
/*
 * An SSH wire public key (see sshkey.h): ssh-ed25519, or ssh-rsa of at least
 * 2048 bits (age's floor; sluice's own policy is sshkey_acceptable()).
 */
int age_recipient_from_ssh(const uint8_t *blob, size_t len,
    struct age_recipient *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void age_recipient_clear(struct age_recipient *r);	/* zeroed after */

/* 16 random bytes for a new file. */
int age_file_key_new(uint8_t file_key[AGE_FILE_KEY_LEN])
    __attribute__((warn_unused_result));

/*
 * Appends the full header (intro line, one stanza per recipient, MAC line)
 * for file_key to out. Deterministic in (file_key, recipients, seed).
 * Fails with SLUICE_EINVAL (n == 0, n > AGE_STANZAS_MAX, bad recipient),
 * SLUICE_ECRYPTO, SLUICE_ENOMEM.
 */
int age_header_build(const uint8_t file_key[AGE_FILE_KEY_LEN],
    const struct age_recipient *r, size_t n, const uint8_t seed[AGE_SEED_LEN],
    struct sbuf *out) __attribute__((warn_unused_result));

/*
 * Encrypts in_fd (read to EOF) into out_fd as an age payload: 16-byte nonce,
 * then 64 KiB STREAM chunks. sha256_plain, plain_len and cipher_len may be
 * NULL. Fails with SLUICE_EIO, SLUICE_ETOOBIG, SLUICE_ECRYPTO.
 */
int age_payload_encrypt(int in_fd, int out_fd,
    const uint8_t file_key[AGE_FILE_KEY_LEN], uint8_t sha256_plain[32],
    uint64_t *plain_len, uint64_t *cipher_len)
    __attribute__((warn_unused_result));

/*
 * Sealing a payload as its plaintext arrives, in pieces of any size, with
 * the same bytes age_payload_encrypt() writes (it is built on this):
 * age_seal_new() starts the payload with a fresh 16-byte nonce for out_fd
 * (which stays the caller's, positioned at the payload's start); each
 * age_seal_update() seals the full 64 KiB chunks it can and holds back the
 * rest, at most one chunk (a full chunk is known not to be the last only
 * once more plaintext comes). The sealed bytes reach out_fd in 1 MiB
 * blocks, with O_DIRECT where the file system takes it (dwrite.h);
 * age_seal_final() writes the last chunk and what is held, and gives the plaintext's SHA-256 and length and the payload's
 * length (each may be NULL). After any failure, or after final, update and
 * final fail with SLUICE_ESTATE; the caller discards what was written.
 * age_seal_taken() is the plaintext taken so far, held back or not.
 * age_seal_free() wipes everything (NULL is a no-op). The sealer and the
 * reader below run in sandboxed session processes: they make no system
 * call but write(2), pread(2), fcntl(2) F_GETFL/F_SETFL, sync_file_range(2)
 * and getrandom(2) (no mlock: their plaintext
 * buffers are plain memory, wiped when freed).
 */
struct age_seal;
int age_seal_new(const uint8_t file_key[AGE_FILE_KEY_LEN], int out_fd,
    struct age_seal **out) __attribute__((warn_unused_result));
int age_seal_update(struct age_seal *sl, const uint8_t *p, size_t n)
    __attribute__((warn_unused_result));
int age_seal_final(struct age_seal *sl, uint8_t sha256_plain[32],
    uint64_t *plain_len, uint64_t *cipher_len)
    __attribute__((warn_unused_result));
uint64_t age_seal_taken(const struct age_seal *sl);
void age_seal_free(struct age_seal *sl);

/*
 * Exact payload length for plain_len bytes of plaintext (an empty plaintext
 * is one empty final chunk: 32 bytes). 0 if plain_len > AGE_PLAIN_MAX.
 */
uint64_t age_payload_size(uint64_t plain_len);
/* The inverse; SLUICE_EFORMAT if no plaintext length gives cipher_len. */
int age_plain_size(uint64_t cipher_len, uint64_t *plain_len)
    __attribute__((warn_unused_result));

/*
 * Decrypts a payload (no header) read from in_fd to EOF into out_fd.
 * sha256_plain and plain_len may be NULL. SLUICE_EVERIFY for a chunk that
 * fails authentication, SLUICE_EFORMAT for truncation or trailing data.
 */
int age_payload_decrypt(int in_fd, int out_fd,
    const uint8_t file_key[AGE_FILE_KEY_LEN], uint8_t sha256_plain[32],
    uint64_t *plain_len, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Decrypts the whole payload in[0..len) (no header) in memory, appending
 * the plaintext to plain (make it with sbuf_new_secret()); sha256_plain may
 * be NULL. SLUICE_EFORMAT when len fits no plaintext length (truncated,
 * trailing data), SLUICE_EVERIFY for a chunk that fails authentication,
 * SLUICE_ETOOBIG past SBUF_MAX. On failure plain is to be discarded.
 */
int age_payload_open(const uint8_t *in, size_t len,
    const uint8_t file_key[AGE_FILE_KEY_LEN], struct sbuf *plain,
    uint8_t sha256_plain[32], char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * A payload on fd (len bytes, read with pread) read back at random, as
 * plaintext bytes [off, off + n) within age_unseal_size(): each 64 KiB
 * chunk is read and authenticated when a read first needs it (the last
 * one is kept), so bytes come back only from chunks that verified
 * (SLUICE_EVERIFY otherwise; SLUICE_EINVAL for a range past the end).
 * age_unseal_new() fails with SLUICE_EFORMAT when len fits no plaintext
 * length. The key is not kept, only the cipher state; age_unseal_free()
 * wipes it and the plaintext held (NULL is a no-op).
 */
struct age_unseal;
int age_unseal_new(const uint8_t file_key[AGE_FILE_KEY_LEN], int fd,
    uint64_t len, struct age_unseal **out) __attribute__((warn_unused_result));
uint64_t age_unseal_size(const struct age_unseal *u);
int age_unseal_read(struct age_unseal *u, uint64_t off, uint8_t *dst,
    size_t n) __attribute__((warn_unused_result));
void age_unseal_free(struct age_unseal *u);

/*
 * Checks, without reading it all, that the payload of len bytes on fd
 * (read with pread) was sealed under file_key and is whole: its length
 * fits a plaintext length, and its first and last chunks authenticate. A
 * payload made under another key, cut or extended is refused
 * (SLUICE_EFORMAT, SLUICE_EVERIFY); a chunk altered in the middle is found
 * only by a full decryption.
 */
int age_payload_spot_check(int fd, uint64_t len,
    const uint8_t file_key[AGE_FILE_KEY_LEN], char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Identities: one or more X25519 keys ("AGE-SECRET-KEY-1..." lines of an
 * age-keygen file, '#' comments and blank lines allowed) or one OpenSSH
 * private key (ed25519 or RSA, unencrypted).
 */
struct age_identity;
int age_identity_parse(const char *text, size_t len, struct age_identity **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
void age_identity_free(struct age_identity *id);

/*
 * A new X25519 identity and its recipient, NUL-terminated, as age-keygen
 * makes them. identity is secret: wipe it when done.
 */
int age_keygen(char identity[AGE_IDENTITY_STRLEN + 1],
    char recipient[AGE_RECIPIENT_STRLEN + 1])
    __attribute__((warn_unused_result));
/* The recipient string of an identity's first X25519 key. */
int age_identity_recipient(const struct age_identity *id,
    char recipient[AGE_RECIPIENT_STRLEN + 1])
    __attribute__((warn_unused_result));

/* A parsed header; age_header_parse() is the fuzzing entry point. */
struct age_header;
/*
 * Parses the header at the start of p[0..len): *hdrlen gets its length (the
 * payload starts there). SLUICE_EFORMAT (with a reason) on any deviation;
 * the MAC is checked later, once a file key is known.
 */
int age_header_parse(const uint8_t *p, size_t len, struct age_header **out,
    size_t *hdrlen, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void age_header_free(struct age_header *h);
/*
 * Finds the stanza id can open, unwraps the file key and checks the header
 * MAC with it. SLUICE_ENOTFOUND when no stanza is for id, SLUICE_EVERIFY
 * when the MAC does not verify.
 */
int age_header_unwrap(const struct age_header *h, const struct age_identity *id,
    uint8_t file_key[AGE_FILE_KEY_LEN], char *why, size_t whylen)
    __attribute__((warn_unused_result));

/*
 * Opening a payload (no header: age_header_unwrap() gives its file key) as
 * its ciphertext arrives, in pieces of any size: each 64 KiB chunk that
 * verifies goes to emit(arg, plaintext, n) in order, exactly once, and is
 * never handed on before it verified; a full chunk is held back until more
 * input shows it is not the last. age_opener_final() opens the last chunk
 * and gives the plaintext's SHA-256 and length (each may be NULL). The
 * refusals are age_payload_decrypt()'s (SLUICE_EVERIFY, SLUICE_EFORMAT),
 * with why set; emit's own failure is returned as it is, "cannot write
 * plaintext". After any failure, or after final, update and final fail
 * with SLUICE_ESTATE; the caller discards what emit was given. The
 * plaintext buffer is guarded memory; age_opener_free() wipes everything
 * (NULL is a no-op).
 */
typedef int (*age_plain_fn)(void *arg, const uint8_t *p, size_t n);
struct age_opener;
int age_opener_new(const uint8_t file_key[AGE_FILE_KEY_LEN], age_plain_fn emit,
    void *arg, struct age_opener **out) __attribute__((warn_unused_result));
int age_opener_update(struct age_opener *u, const uint8_t *p, size_t n,
    char *why, size_t whylen) __attribute__((warn_unused_result));
int age_opener_final(struct age_opener *u, uint8_t sha256_plain[32],
    uint64_t *plain_len, char *why, size_t whylen)
    __attribute__((warn_unused_result));
void age_opener_free(struct age_opener *u);

/*
 * A whole age file from in_fd to out_fd: header, unwrap, payload. The
 * header is bounded by AGE_HEADER_MAX. sha256_plain and plain_len may be NULL.
 */
int age_decrypt(int in_fd, int out_fd, const struct age_identity *id,
    uint8_t sha256_plain[32], uint64_t *plain_len, char *why, size_t whylen)
    __attribute__((warn_unused_result));

#endif
