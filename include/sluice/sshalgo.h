/*
 * sshalgo.h: the SSH algorithms sluice offers, server and clients alike
 * (docs/design.md section 7): key exchange curve25519 only (libssh adds
 * strict KEX, kex-strict-s/c-v00@openssh.com, against Terrapin), AEAD
 * ciphers, MACs that authenticate the ciphertext (ETM), an ed25519 host key.
 *
 * SSH_ALGO_*_LEGACY are what sluiced adds, last, with [server]
 * legacy_ciphers = yes, for clients that have neither an AEAD cipher nor
 * an ETM MAC: curl and others built on libssh2 before 1.11, and paramiko
 * before 3.3 (both as Debian 12 ships them).
 */
#ifndef SLUICE_SSHALGO_H
#define SLUICE_SSHALGO_H

#define SSH_ALGO_KEX		"curve25519-sha256,curve25519-sha256@libssh.org"
#define SSH_ALGO_CIPHERS	"chacha20-poly1305@openssh.com," \
				"aes256-gcm@openssh.com,aes128-gcm@openssh.com"
#define SSH_ALGO_MACS		"hmac-sha2-256-etm@openssh.com," \
				"hmac-sha2-512-etm@openssh.com"
#define SSH_ALGO_HOSTKEYS	"ssh-ed25519"
/* The exchange hash those key exchanges make (SHA-256): the only thing the
 * engine signs with the host key (engine/hostkey.c). Another key exchange
 * added above must say its hash length here. */
#define SSH_ALGO_KEX_HASH_LEN	32

#define SSH_ALGO_CIPHERS_LEGACY	"aes256-ctr,aes128-ctr"
#define SSH_ALGO_MACS_LEGACY	"hmac-sha2-256,hmac-sha2-512"

#endif
