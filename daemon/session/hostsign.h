/*
 * hostsign.h: the host key as the session side holds it: its public half
 * only. The private half stays in the engine, which signs each key
 * exchange's hash (IPC_HOSTSIGN; docs/design.md section 7, "The host key"),
 * as OpenSSH's privilege-separated sshd asks its monitor.
 *
 * libssh 0.10 serves a key exchange only with a host key it takes for a
 * private one, and signs the exchange hash with it itself:
 * ssh_srv_pki_do_sign_sessionid() (pki.c) calls pki_do_sign(), which calls
 * pki_sign_data() in pki_crypto.c, another object of libssh.a. So:
 *
 * - the parent gives the bind a placeholder (hostsign_placeholder()): an
 *   openssh-key-v1 key with the real public half and an all-zero private
 *   seed, which libssh imports as private without checking one against the
 *   other. Nothing secret is in it, and nothing it could sign would verify
 *   under the real public key;
 * - sluiced links libssh statically with -Wl,--wrap=pki_sign_data
 *   (CMakeLists.txt): libssh's call lands in hostsign.c, which sends the
 *   bytes libssh would have signed (for the server, only ever the exchange
 *   hash) to the engine and returns the engine's signature to libssh as if
 *   it had made it. If the engine refuses (it drops the session), the key
 *   exchange fails.
 *
 * Were the wrapper ever bypassed, libssh would sign with the zero seed and
 * every client would refuse the server: it fails closed.
 */
#ifndef SLUICE_HOSTSIGN_H
#define SLUICE_HOSTSIGN_H

#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>

struct sbuf;
struct sshkey_pub;

/* A key for the bind, made from pub, the host key's public half as read
 * from pubpath (named in why): *out is the caller's (ssh_key_free). Fails
 * with SLUICE_ECONFIG (not ssh-ed25519, or libssh refuses it) or
 * SLUICE_ENOMEM and why. */
int hostsign_placeholder(const char *pubpath, const struct sshkey_pub *pub,
    ssh_key *out, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* The session's socket to the engine, where the exchange hash is signed;
 * until this is called (and in any process but a session), every signature
 * libssh asks for fails. */
void hostsign_use_engine(int engine_fd);

/* A client may re-key while the session writes an admin answer to it
 * (ipc.h, IPC_ADMIN): the signature is then asked for with the answer
 * still coming, and what of it came first (IPC_ADMIN_DATA pieces, perhaps
 * the IPC_ADMIN reply) is held here. The oldest message held: 1 with its
 * type in *type and its body in body (reset first), 0 when none is held,
 * or a negative SLUICE_E* code. The answer's reader takes these before
 * reading the socket. */
int hostsign_held_next(uint32_t *type, struct sbuf *body)
    __attribute__((warn_unused_result));

#endif
