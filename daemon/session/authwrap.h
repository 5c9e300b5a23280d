/*
 * authwrap.h: the proof of a "publickey" login, kept as libssh checked it.
 *
 * libssh 0.10 verifies a client's signature itself and then tells the
 * server's callback only SSH_PUBLICKEY_STATE_VALID: the callback sees
 * neither what the client signed nor the signature. The engine must see
 * both to check a login itself (engine/auth_proof.c). So sluiced links
 * libssh statically with -Wl,--wrap=ssh_pki_signature_verify (CMakeLists
 * .txt): libssh's own call in its USERAUTH_REQUEST handler lands in
 * authwrap.c, which calls the real function and, when the signature
 * verified, keeps a copy of the signed bytes and of the signature blob. The
 * handler then runs the pubkey callback in the same call, which takes the
 * copy and sends it with the final IPC_AUTH.
 *
 * One connection per process: the copy is this process's, one at a time.
 */
#ifndef SLUICE_AUTHWRAP_H
#define SLUICE_AUTHWRAP_H

#include <stddef.h>
#include <stdint.h>

#define AUTHWRAP_SIGNED_MAX	8192	/* ids, names and a key blob */
#define AUTHWRAP_SIG_MAX	4096	/* a 16384-bit RSA signature fits */

struct authwrap_proof {
	uint8_t	 signed_data[AUTHWRAP_SIGNED_MAX];
	size_t	 signed_len;
	uint8_t	 sig[AUTHWRAP_SIG_MAX];
	size_t	 sig_len;
};

/* Moves the proof of the last signature libssh verified into *p and
 * forgets it: 0, or SLUICE_ENOTFOUND when there is none (no signature
 * verified since the last take, or one too long to keep). */
int authwrap_take(struct authwrap_proof *p)
    __attribute__((warn_unused_result));

#endif
