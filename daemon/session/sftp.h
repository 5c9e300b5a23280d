/*
 * sftp.h: the SFTP version 3 server of one session, framed by us.
 *
 * Bytes from the client's channel go in (sftp_feed), replies come out of one
 * output sbuf (sftp_output) that the session writes to the channel and
 * consumes. Every fact comes from the engine over engine_fd (ipc.h): paths are
 * canonicalised with vpath against the session's working directory ("/" for
 * recipients, "/inbox" for staff) and sent canonical; the engine's status and
 * one-line message are what the client sees.
 *
 * Limits: an incoming packet longer than SFTP_MAX_PACKET is fatal; READ
 * lengths are clamped to SFTP_MAX_READ (advertised in limits@openssh.com);
 * at most SFTP_MAX_HANDLES handles are open; an upload may not pass
 * SFTP_MAX_UPLOAD bytes. Handles are 4 bytes: slot index and generation, so a
 * stale or forged handle is refused.
 *
 * The gate: before serving a READ on a handle the engine marked
 * IPC_OPEN_GATED, the session sends IPC_GATE when the shared generation has
 * changed since the handle's last check or a second has passed (monotonic
 * clock); a denial answers permission denied with the engine's reason and the
 * handle serves nothing more.
 *
 * Room: a sealed upload (IPC_OPEN_SEAL) writes only as far as the engine
 * granted room for; a write in order past it first asks IPC_ROOM, and a
 * refusal (the disk would keep less than its reserve) fails that write with
 * the engine's reason and breaks the upload, which CLOSE then does not
 * commit.
 *
 * Errors returned by sftp_feed/sftp_run are fatal for the session: the
 * client broke framing (SLUICE_EPROTO, SLUICE_ETOOBIG) or the engine failed
 * (SLUICE_EIO, SLUICE_EPROTO). A malformed request body only earns a
 * SSH_FX_BAD_MESSAGE status.
 */
#ifndef SLUICE_SFTP_H
#define SLUICE_SFTP_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "sluice/buf.h"

#define SFTP_VERSION		3
#define SFTP_MAX_PACKET		(256u * 1024 + 1024)	/* incoming, with headroom */
#define SFTP_ADV_MAX_PACKET	(256u * 1024)		/* advertised */
#define SFTP_MAX_READ		261120u
#define SFTP_MAX_HANDLES	256
#define SFTP_MAX_UPLOAD		(64ull * 1024 * 1024)	/* when the engine names no cap */
#define SFTP_MAX_NOTES		(16u * 1024)
#define SFTP_MAX_INBUF		(2u * SFTP_MAX_PACKET)	/* sftp_feed refuses more */

enum sftp_packet_type {
	SSH_FXP_INIT = 1, SSH_FXP_VERSION = 2, SSH_FXP_OPEN = 3,
	SSH_FXP_CLOSE = 4, SSH_FXP_READ = 5, SSH_FXP_WRITE = 6,
	SSH_FXP_LSTAT = 7, SSH_FXP_FSTAT = 8, SSH_FXP_SETSTAT = 9,
	SSH_FXP_FSETSTAT = 10, SSH_FXP_OPENDIR = 11, SSH_FXP_READDIR = 12,
	SSH_FXP_REMOVE = 13, SSH_FXP_MKDIR = 14, SSH_FXP_RMDIR = 15,
	SSH_FXP_REALPATH = 16, SSH_FXP_STAT = 17, SSH_FXP_RENAME = 18,
	SSH_FXP_READLINK = 19, SSH_FXP_SYMLINK = 20,
	SSH_FXP_STATUS = 101, SSH_FXP_HANDLE = 102, SSH_FXP_DATA = 103,
	SSH_FXP_NAME = 104, SSH_FXP_ATTRS = 105,
	SSH_FXP_EXTENDED = 200, SSH_FXP_EXTENDED_REPLY = 201,
};

enum sftp_status {
	SSH_FX_OK = 0, SSH_FX_EOF = 1, SSH_FX_NO_SUCH_FILE = 2,
	SSH_FX_PERMISSION_DENIED = 3, SSH_FX_FAILURE = 4,
	SSH_FX_BAD_MESSAGE = 5, SSH_FX_OP_UNSUPPORTED = 8,
};

/* SSH_FXF_* open flags (pflags), passed to the engine as they come. */
enum sftp_pflags {
	SSH_FXF_READ = 0x01, SSH_FXF_WRITE = 0x02, SSH_FXF_APPEND = 0x04,
	SSH_FXF_CREAT = 0x08, SSH_FXF_TRUNC = 0x10, SSH_FXF_EXCL = 0x20,
};

struct sftp;

/* engine_fd and sh stay the caller's; kind (IPC_KIND_*) picks the working
 * directory. NULL on allocation failure. */
struct sftp *sftp_new(int engine_fd, struct ipc_shared *sh, enum ipc_kind kind);
/* Tells the engine (IPC_CLOSE) about every file still open, closes the
 * descriptors and frees. NULL is a no-op. */
void sftp_free(struct sftp *s);

/* Appends channel bytes to the input buffer; SLUICE_ETOOBIG past
 * SFTP_MAX_INBUF. sftp_input_room() says how much fits now. */
int sftp_feed(struct sftp *s, const void *p, size_t n) __attribute__((warn_unused_result));
size_t sftp_input_room(const struct sftp *s);
/* Answers complete packets while the output holds fewer than out_limit
 * bytes. */
int sftp_run(struct sftp *s, size_t out_limit) __attribute__((warn_unused_result));
/* sftp_feed then sftp_run without an output limit. */
int sftp_input(struct sftp *s, const void *p, size_t n) __attribute__((warn_unused_result));
/* True when a complete packet waits in the input buffer. */
int sftp_pending(const struct sftp *s);
/* The reply bytes; the caller consumes what it has written to the channel. */
struct sbuf *sftp_output(struct sftp *s);
/* Lines for the channel's stderr: the reason of each refusal (permission
 * denied, failure), since stock clients print only the status code. At most
 * SFTP_MAX_NOTES bytes wait; the caller consumes what it has written. */
struct sbuf *sftp_notices(struct sftp *s);

/* Replaces the monotonic millisecond clock used for the gate's cadence
 * (tests only). */
void sftp_set_clock(struct sftp *s, uint64_t (*now_ms)(void *), void *arg);

#endif
