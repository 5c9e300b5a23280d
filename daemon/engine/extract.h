/*
 * extract.h: the path of an extract (docs/design.md section 4), steps 1 and 3.
 *
 * Staging reads the plaintext once, streams it through SHA-256 and age's
 * payload encryption under a fresh file key into the payload area under a
 * new extract id (payloads.h: written aside, committed whole), and returns
 * the file key wrapped by the daemon's master key. The daemon never writes
 * plaintext.
 *
 * Serving builds, for one (extract, recipient key) pair, the age header that
 * makes the shared payload decryptable by that recipient alone; the header is
 * deterministic (its randomness is derived from the file key, the extract
 * id and the recipient), so a resumed download gets the same bytes, before
 * and after the master key is rotated.
 */
#ifndef SLUICE_PACKAGE_H
#define SLUICE_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"

#define PACKAGE_ID_LEN		32	/* hex characters of an extract id */
#define PACKAGE_WRAPPED_LEN	72	/* nonce 24 + file key 16 + tag 16 + pad */

struct staged_extract {
	char		id[PACKAGE_ID_LEN + 1];
	uint64_t	plain_size;
	uint64_t	payload_size;
	uint8_t		sha256[32];
	uint8_t		wrapped_key[PACKAGE_WRAPPED_LEN];
	size_t		wrapped_len;
};

/* Encrypts everything readable from in_fd into the payload area of the data
 * directory data_dir, under a new extract id. */
int package_stage(const char *data_dir, const uint8_t master_key[32],
    int in_fd, struct staged_extract *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* The age header for one recipient: ssh_type/blob is an SSH login key
 * (ssh-ed25519 or ssh-rsa), or age_recipient ("age1...") when not NULL. */
int package_header(const uint8_t master_key[32], const char *extract_id,
    const uint8_t *wrapped_key, size_t wrapped_len, const char *age_recipient,
    const uint8_t *ssh_blob, size_t ssh_blob_len, struct sbuf *header,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The file key of extract_id, wrapped by old_master, wrapped again by
 * new_master into out (master-key rotation; the payload is untouched).
 * SLUICE_EVERIFY if it does not unwrap under old_master. */
int package_rewrap(const uint8_t old_master[32], const uint8_t new_master[32],
    const char *extract_id, const uint8_t *wrapped, size_t wrapped_len,
    uint8_t out[PACKAGE_WRAPPED_LEN], size_t *outlen)
    __attribute__((warn_unused_result));

#endif
