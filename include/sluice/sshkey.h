/*
 * sshkey.h: OpenSSH keys as sluice meets them: public key lines
 * ("ssh-ed25519 AAAA... comment") registered for people and staff, their
 * fingerprints as ssh-keygen -l prints them, and unencrypted openssh-key-v1
 * private keys used to decrypt age files made for an SSH key.
 *
 * Contract:
 * - Every parser treats its input as hostile: lengths are bounded, the wire
 *   blob is fully validated (canonical mpints, exact lengths, EC points on
 *   the curve, nothing trailing), and a refusal fills `why` with one line.
 * - A parsed public key owns its blob and comment; sshkey_pub_free() frees
 *   them. A private key lives in sodium-guarded memory and is wiped by
 *   sshkey_priv_free(). x_free(NULL) is a no-op.
 * - OpenSSL types stay behind `struct evp_pkey_st` (OpenSSL's own tag for
 *   EVP_PKEY), so callers need not include OpenSSL headers.
 * - Parsing accepts what OpenSSH accepts (RSA >= 1024 bits); the policy of
 *   what sluice accepts for a login key is sshkey_acceptable().
 */
#ifndef SLUICE_SSHKEY_H
#define SLUICE_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY */

enum sshkey_type {
	SSHKEY_UNKNOWN = 0,
	SSHKEY_ED25519,		/* ssh-ed25519 */
	SSHKEY_RSA,		/* ssh-rsa */
	SSHKEY_ECDSA_P256,	/* ecdsa-sha2-nistp256 */
	SSHKEY_ECDSA_P384,	/* ecdsa-sha2-nistp384 */
	SSHKEY_ECDSA_P521,	/* ecdsa-sha2-nistp521 */
};

#define SSHKEY_LINE_MAX		16384	/* longest public key line accepted */
#define SSHKEY_BLOB_MAX		4096	/* longest wire blob accepted */
#define SSHKEY_COMMENT_MAX	1024
#define SSHKEY_RSA_MIN_BITS	1024	/* OpenSSH's own floor, for parsing */
#define SSHKEY_RSA_MAX_BITS	16384
#define SSHKEY_RSA_POLICY_BITS	3072	/* sluice's floor: sshkey_acceptable() */
/* "SHA256:" + 43 base64 characters + NUL */
#define SSHKEY_FP_SIZE		51

struct sshkey_pub {
	enum sshkey_type type;
	uint8_t		*blob;		/* the SSH wire-format public key */
	size_t		 bloblen;
	char		*comment;	/* "" when the line has none */
	unsigned	 bits;		/* modulus or curve size */
};

/* The SSH name of a type ("ssh-ed25519"...); "unknown" for others. */
const char *sshkey_type_name(enum sshkey_type t);

/*
 * Parses one public key line: TYPE SP BASE64 [SP COMMENT], with an optional
 * trailing newline. Options (authorized_keys style), certificates, security
 * keys and unknown types are refused. The type word must name the same type
 * as the blob. On success *out is the caller's.
 * Fails with SLUICE_EFORMAT, SLUICE_ETOOBIG, SLUICE_ENOMEM.
 */
int sshkey_pub_parse(const char *line, struct sshkey_pub **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* sshkey_pub_parse() of the file at path (one line, such as a .pub file
 * ssh-keygen writes); why names the file. Also files_read()'s failures
 * (SLUICE_ENOTFOUND, SLUICE_EIO), and SLUICE_EFORMAT for a NUL in it. */
int sshkey_pub_load(const char *path, struct sshkey_pub **out, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* Validates a bare wire blob; *out gets type and bits, comment "". */
int sshkey_pub_from_blob(const uint8_t *blob, size_t len,
    struct sshkey_pub **out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

void sshkey_pub_free(struct sshkey_pub *k);

/* The public key line "TYPE BASE64[ COMMENT]" (no newline), malloc'd. */
int sshkey_pub_format(const struct sshkey_pub *k, char **line)
    __attribute__((warn_unused_result));

/*
 * "SHA256:<base64 without padding>" of a wire blob, as `ssh-keygen -l`.
 * fp must hold SSHKEY_FP_SIZE bytes.
 */
int sshkey_fingerprint(const uint8_t *blob, size_t len,
    char fp[SSHKEY_FP_SIZE]) __attribute__((warn_unused_result));

/*
 * sluice's policy for keys it registers: ed25519 and ECDSA always, RSA only
 * with at least SSHKEY_RSA_POLICY_BITS. Fails with SLUICE_EDENIED and a reason.
 */
int sshkey_acceptable(const struct sshkey_pub *k, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* The 32-byte Ed25519 public key inside an ssh-ed25519 blob. */
int sshkey_ed25519_pk(const uint8_t *blob, size_t len, uint8_t pk[32])
    __attribute__((warn_unused_result));

/*
 * An ssh-rsa blob's public key as a new EVP_PKEY (free it with
 * EVP_PKEY_free) and its modulus size in bits (bits may be NULL).
 */
int sshkey_rsa_pkey(const uint8_t *blob, size_t len,
    struct evp_pkey_st **pkey, unsigned *bits)
    __attribute__((warn_unused_result));

/* An ecdsa-sha2-nistp{256,384,521} blob's public key as a new EVP_PKEY
 * (free it with EVP_PKEY_free), its point checked to lie on the curve. */
int sshkey_ecdsa_pkey(const uint8_t *blob, size_t len,
    struct evp_pkey_st **pkey) __attribute__((warn_unused_result));

/*
 * A private key from an unencrypted openssh-key-v1 file. The struct is on
 * the ordinary heap, so leak checkers see the pointers it holds; the
 * ed25519 secret is in guarded memory (sodium_malloc), wiped when freed.
 */
struct sshkey_priv {
	enum sshkey_type type;		/* SSHKEY_ED25519 or SSHKEY_RSA */
	uint8_t		*blob;		/* its public wire blob */
	size_t		 bloblen;
	uint8_t		*ed25519_sk;	/* 64 bytes: seed || pk, for ed25519 */
	struct evp_pkey_st *rsa;	/* RSA private key, for ssh-rsa */
	char		*comment;
	unsigned	 bits;
};

/*
 * Parses "-----BEGIN OPENSSH PRIVATE KEY-----" text holding one ed25519 or
 * RSA key. Passphrase-protected keys are refused (SLUICE_EDENIED, with a
 * reason saying how to remove the passphrase); the key's consistency
 * (checkints, public half, padding) is checked.
 */
int sshkey_priv_parse(const char *text, size_t len, struct sshkey_priv **out,
    char *why, size_t whylen) __attribute__((warn_unused_result));
void sshkey_priv_free(struct sshkey_priv *k);

#endif
