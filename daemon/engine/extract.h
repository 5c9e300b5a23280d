/*
 * extract.h: the path of an extract (docs/design.md section 4), steps 1 and 3.
 *
 * Staging never encrypts in the engine: an upload to /stage/NIC/NAME is
 * sealed by the uploader's session under a file key the engine made for
 * that one file (an age payload: SHA-256 and STREAM on the way, never
 * plaintext on disk), and package_commit_sealed() takes the finished
 * payload into the payload area under a new extract id, the file key
 * wrapped by the daemon's master key. An inbox file, sealed the same way
 * as it arrived, is staged by wrapping its file key again (engine/inbox.h).
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
#include "sluice/domain.h"

struct payload_new;

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

/* Wraps the file key under the master key with associated data ad (an
 * extract id, or what names an inbox file): out gets PACKAGE_WRAPPED_LEN
 * bytes at most, *outlen how many. */
int package_wrap(const uint8_t master[32], const char *ad,
    const uint8_t key[16], uint8_t *out, size_t *outlen)
    __attribute__((warn_unused_result));
/* The file key wrapped with ad; SLUICE_EVERIFY when it does not unwrap
 * (another ad, another master key, altered bytes), SLUICE_EFORMAT for a
 * wrapped key of the wrong length. */
int package_unwrap(const uint8_t master[32], const char *ad,
    const uint8_t *w, size_t wlen, uint8_t key[16])
    __attribute__((warn_unused_result));
/* Whether an agreement in state s may have more extracts staged: not
 * once expired or closed. */
int package_may_stage(enum agreement_state s);

/* A fresh extract id: PACKAGE_ID_LEN random lower-case hex digits. */
void package_new_id(char id[PACKAGE_ID_LEN + 1]);

/* Takes the payload pn (its descriptor fd), which a session sealed under
 * key from plain bytes of plaintext whose SHA-256 it reports, into the
 * payload area under a new extract id: refused (SLUICE_EINVAL, with why)
 * unless its length is exactly age_payload_size(plain). out gets the id,
 * sizes, digest and the wrapped key. pn is consumed whatever the outcome. */
int package_commit_sealed(const uint8_t master_key[32],
    struct payload_new *pn, int fd, const uint8_t key[16], uint64_t plain,
    const uint8_t sha256[32], struct staged_extract *out, char *why,
    size_t whylen) __attribute__((warn_unused_result));

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
