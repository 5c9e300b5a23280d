/*
 * Staging and per-recipient headers. The master key wraps each file key
 * (XChaCha20-Poly1305, the extract id as associated data, so a wrapped key
 * cannot be moved to another extract); the file key seeds each header's
 * randomness.
 */
#include <string.h>

#include <sodium.h>

#include "engine/extract.h"
#include "payloads/payloads.h"
#include "sluice/age.h"
#include "sluice/error.h"

#define WRAP_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WRAP_TAG	crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WRAPPED_USED	(WRAP_NONCE + AGE_FILE_KEY_LEN + WRAP_TAG)

static int
wrap_key(const uint8_t master[32], const char *id, const uint8_t key[16],
    uint8_t *out, size_t *outlen)
{
	unsigned long long clen;

	randombytes_buf(out, WRAP_NONCE);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + WRAP_NONCE, &clen,
	    key, AGE_FILE_KEY_LEN, (const uint8_t *)id, strlen(id), NULL, out,
	    master) != 0)
		return SLUICE_ECRYPTO;
	*outlen = WRAP_NONCE + (size_t)clen;
	return 0;
}

static int
unwrap_key(const uint8_t master[32], const char *id, const uint8_t *w,
    size_t wlen, uint8_t key[16])
{
	unsigned long long plen;

	if (wlen != WRAPPED_USED)
		return SLUICE_EFORMAT;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(key, &plen, NULL,
	    w + WRAP_NONCE, wlen - WRAP_NONCE, (const uint8_t *)id, strlen(id),
	    w, master) != 0 || plen != AGE_FILE_KEY_LEN)
		return SLUICE_EVERIFY;
	return 0;
}

/* A fresh extract id: PACKAGE_ID_LEN random hex digits. */
static void
new_extract_id(char id[PACKAGE_ID_LEN + 1])
{
	uint8_t rnd[PACKAGE_ID_LEN / 2];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, PACKAGE_ID_LEN + 1, rnd, sizeof(rnd));
}

int
package_stage(const char *data_dir, const uint8_t master_key[32],
    int in_fd, struct staged_extract *out, char *why, size_t whylen)
{
	struct payload_new *pn = NULL;
	uint8_t key[AGE_FILE_KEY_LEN];
	int fd, r;

	memset(out, 0, sizeof(*out));
	new_extract_id(out->id);
	if ((r = age_file_key_new(key)) != 0 ||
	    (r = payloads_create(data_dir, &pn, &fd, why, whylen)) != 0)
		goto out;
	if ((r = age_payload_encrypt(in_fd, fd, key, out->sha256,
	    &out->plain_size, &out->payload_size)) != 0) {
		sluice_why(why, whylen, r, "encrypting the extract failed: %s",
		    sluice_strerror(r));
		goto out;
	}
	r = payloads_commit(pn, out->id, why, whylen);
	pn = NULL;
	if (r == 0)
		r = wrap_key(master_key, out->id, key, out->wrapped_key,
		    &out->wrapped_len);
out:
	payloads_abandon(pn);
	sodium_memzero(key, sizeof(key));
	return r;
}

int
package_rewrap(const uint8_t old_master[32], const uint8_t new_master[32],
    const char *extract_id, const uint8_t *wrapped, size_t wrapped_len,
    uint8_t out[PACKAGE_WRAPPED_LEN], size_t *outlen)
{
	uint8_t key[AGE_FILE_KEY_LEN];
	int r;

	if ((r = unwrap_key(old_master, extract_id, wrapped, wrapped_len,
	    key)) == 0)
		r = wrap_key(new_master, extract_id, key, out, outlen);
	sodium_memzero(key, sizeof(key));
	return r;
}

/* The header's randomness, from the file key (so a new master key leaves
 * every header as it was), the extract and the recipient. */
static void
header_seed(const uint8_t key[AGE_FILE_KEY_LEN], const char *id,
    const char *age_rcpt, const uint8_t *blob, size_t bloblen,
    uint8_t seed[32])
{
	crypto_auth_hmacsha256_state st;
	static const char label[] = "sluice-header-seed-v2";

	crypto_auth_hmacsha256_init(&st, key, AGE_FILE_KEY_LEN);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)label, sizeof(label));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)id, strlen(id) + 1);
	if (age_rcpt != NULL)
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)age_rcpt,
		    strlen(age_rcpt));
	else
		crypto_auth_hmacsha256_update(&st, blob, bloblen);
	crypto_auth_hmacsha256_final(&st, seed);
	sodium_memzero(&st, sizeof(st));
}

/* The recipient: an age1 string when given, else the SSH key blob. */
static int
header_recipient(const char *age_recipient, const uint8_t *ssh_blob,
    size_t ssh_blob_len, struct age_recipient *rcpt, char *why, size_t whylen)
{
	if (age_recipient != NULL)
		return age_recipient_parse_age1(age_recipient, rcpt, why, whylen);
	return age_recipient_from_ssh(ssh_blob, ssh_blob_len, rcpt, why, whylen);
}

int
package_header(const uint8_t master_key[32], const char *extract_id,
    const uint8_t *wrapped_key, size_t wrapped_len, const char *age_recipient,
    const uint8_t *ssh_blob, size_t ssh_blob_len, struct sbuf *header,
    char *why, size_t whylen)
{
	struct age_recipient rcpt;
	uint8_t key[AGE_FILE_KEY_LEN], seed[AGE_SEED_LEN];
	int r;

	memset(&rcpt, 0, sizeof(rcpt));
	if (age_recipient != NULL && *age_recipient == '\0')
		age_recipient = NULL;
	if ((r = header_recipient(age_recipient, ssh_blob, ssh_blob_len, &rcpt,
	    why, whylen)) != 0)
		goto out;
	if ((r = unwrap_key(master_key, extract_id, wrapped_key, wrapped_len,
	    key)) != 0) {
		sluice_why(why, whylen, r, "extract %s: file key does not unwrap",
		    extract_id);
		goto out;
	}
	header_seed(key, extract_id, age_recipient, ssh_blob, ssh_blob_len,
	    seed);
	if ((r = age_header_build(key, &rcpt, 1, seed, header)) != 0)
		sluice_why(why, whylen, r, "building the age header failed");
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(seed, sizeof(seed));
	age_recipient_clear(&rcpt);
	return r;
}
