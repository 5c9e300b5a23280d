/*
 * session.h: one SSH connection, in its own process (docs/design.md section 7).
 *
 * session_main() runs in the child the parent forked for a connection. It
 * owns client_fd (the TCP socket), engine_fd (its socket to the engine) and
 * auth_fd (the write end of a pipe the parent watches: closed once the client
 * has authenticated, so the parent can count unauthenticated connections).
 *
 * Key exchange and authentication must finish within login_grace_time
 * seconds (SIGALRM, default action: the child dies). Only public keys are
 * accepted, of types ssh-ed25519, ecdsa-sha2-nistp{256,384,521} and RSA
 * (rsa-sha2-256/512 signatures, at least 3072 bits); every key is shown to
 * the engine (IPC_AUTH) both at the probe (final 0) and after the signature
 * verified (final 1); other methods and refused keys are reported with
 * IPC_AUTHFAIL. After authentication: session channels only; "subsystem
 * sftp" runs sftp.h, "exec" sends the command line to the engine
 * (IPC_ADMIN) and returns its stdout, stderr and exit status; pty, shell,
 * env, x11, agent and port forwarding are refused. A connection without
 * traffic for idle_timeout seconds is closed.
 *
 * Returns the child's exit status (0 after a clean end).
 */
#ifndef SLUICE_SESSION_H
#define SLUICE_SESSION_H

#include <libssh/server.h>

#include "ipc.h"
#include "parent/server.h"

#define SESSION_MAX_CHANNELS	4	/* channels open at once */

int session_main(ssh_bind bind, int client_fd, int engine_fd, int auth_fd,
    struct ipc_shared *sh, const struct server_opts *o);

/* The key checks of the pubkey callback, apart for tests: 0 when a key of
 * this type and wire blob may be offered to the engine, else SLUICE_EDENIED
 * with a reason ("RSA key of 2048 bits refused: at least 3072 required"). */
int session_key_acceptable(enum ssh_keytypes_e type, const uint8_t *blob,
    size_t bloblen, char *why, size_t whylen);

#endif
