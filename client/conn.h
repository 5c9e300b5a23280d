/*
 * conn.h: the clients' SSH connection (libssh), used by sluice and sluicectl.
 *
 * conn_open() connects, checks the server's host key against known_hosts as
 * ssh(1) does (an unknown key is refused unless host_key_checking is
 * accept-new, which records it, or no; a changed key is always refused), and
 * authenticates with the identity file or, without one, the agent and the
 * default keys. It never prompts unless stdin is a terminal and the key is
 * passphrase-protected. conn_exec() runs one command line on an exec channel;
 * conn_sftp() opens the "sftp" subsystem and hands back a transport for
 * sftp_client.h. Every failure leaves a one-line reason in why.
 */
#ifndef SLUICE_CLIENT_CONN_H
#define SLUICE_CLIENT_CONN_H

#include <stddef.h>

#include "ccfg.h"
#include "sftp_client.h"

struct conn;

int conn_open(const struct ccfg *cfg, struct conn **out, char *why,
    size_t whylen) __attribute__((warn_unused_result));
void conn_free(struct conn *c);		/* NULL is a no-op; disconnects */

/* Runs line; the remote stdout goes to out_fd and stderr to err_fd, as it
 * arrives. *status is the remote exit status (255 if it sent none). */
int conn_exec(struct conn *c, const char *line, int out_fd, int err_fd,
    int *status, char *why, size_t whylen) __attribute__((warn_unused_result));

/* Opens an SFTP session (INIT/VERSION done) on a new channel. The client
 * is owned by the caller (sftp_client_free) and must be freed before c. */
int conn_sftp(struct conn *c, struct sftp_client **out, char *why,
    size_t whylen) __attribute__((warn_unused_result));

#endif
