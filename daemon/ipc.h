/*
 * ipc.h: typed messages between the processes of sluiced.
 *
 * Processes (docs/design.md section 7):
 *   parent  - binds, accepts, forks one session per connection, reaps.
 *   engine  - alone opens the store and holds the master and release keys;
 *             answers the fixed table of requests below and nothing else.
 *   session - speaks SSH/SFTP to one client; asks the engine for every fact.
 *
 * Framing on a SOCK_STREAM socketpair: u32 type, u32 body length (both network
 * order, length <= IPC_MAX_BODY), then the body. A message may carry one file
 * descriptor (SCM_RIGHTS) sent with its header. Bodies are built with sbuf:
 * "string" is a u32 length then bytes; "u64" and "u32" are network order.
 * A receiver that finds a wrong length, an unknown type or trailing bytes drops
 * the peer.
 *
 * The parent hands each new session to the engine with IPC_NEW_SESSION on the
 * control socket (fd = the engine's end of a fresh socketpair; body: string
 * peer address "ip:port"). Everything else flows on that per-session socket,
 * one request then one reply, the reply type being the request type | IPC_REPLY.
 *
 * Requests (session -> engine) and their reply bodies:
 *
 * IPC_AUTH   string user, string key_blob (SSH wire public key), u8 final
 *            (0 = probe before the signature, 1 = signature verified)
 *         -> u32 status (0 accept, 1 refuse), string reason,
 *            u32 kind (IPC_KIND_*), u32 roles (ROLE_* bits, see domain.h)
 *            The engine audits the final answer and every refusal; after a
 *            final accept, the session's identity is fixed for its life.
 * IPC_AUTHFAIL string user, string method, string reason -> u32 0
 *            (audit of a login attempt the session refused by itself)
 * IPC_STAT   string path (already canonical) -> u32 status (SFTP status code),
 *            string message, attrs
 * IPC_READDIR string path -> u32 status, string message, u32 count,
 *            count x (string name, attrs)
 * IPC_OPEN   string path, u32 sftp_pflags -> u32 status, string message,
 *            u64 open_id, u32 flags (IPC_OPEN_*), u64 size,
 *            string prefix, u64 fd_offset; fd attached unless size ==
 *            prefix length. File bytes [0, prefix_len) are the prefix; bytes
 *            [prefix_len, size) are read from the fd at fd_offset + (off -
 *            prefix_len). For a write open, the fd is an empty file to pwrite
 *            and size is the most the client may write (0: the session's
 *            own cap). With IPC_OPEN_SEAL (uploads to /inbox and /stage),
 *            then string file_key (16 bytes): the session seals the bytes
 *            as they arrive, in order, as an age payload under that key
 *            (age.h: age_seal_*), writes only ciphertext to the fd, and
 *            wipes the key at close. IPC_OPEN_SEAL without WRITE (a staff
 *            member's inbox file read back): the fd holds the age payload
 *            of size bytes of plaintext, which the session decrypts chunk
 *            by chunk as READs ask (age_unseal_*), each chunk verified.
 * IPC_GATE   u64 open_id -> u32 status, string message. Re-asks the gate for
 *            a gated open (IPC_OPEN_GATED); status != 0 means stop serving.
 * IPC_CLOSE  u64 open_id, u64 bytes_served, u64 lowest_offset,
 *            u64 highest_end, u8 reached_eof; for a write open then
 *            u8 commit (1: the client closed the file; 0: the connection
 *            ended first, and nothing is taken), and with IPC_OPEN_SEAL
 *            u64 plaintext size, string SHA-256 of the plaintext (32
 *            bytes) -> u32 status, string message (for an upload, the
 *            engine's verdict on what was written; for /stage, the
 *            extract id).
 * IPC_REMOVE string path -> u32 status, string message
 * IPC_ADMIN  string command line -> u32 exit status (0, 1, 2),
 *            string stdout, string stderr
 *
 * attrs: u32 type (1 file, 2 directory), u64 size, u32 permissions (mode bits
 * incl. S_IFREG/S_IFDIR), u32 mtime.
 * SFTP status codes used: 0 ok, 1 eof, 2 no such file, 3 permission denied,
 * 4 failure, 8 op unsupported.
 */
#ifndef SLUICE_IPC_H
#define SLUICE_IPC_H

#include <stdint.h>

#include "sluice/buf.h"

#define IPC_MAX_BODY	(32u * 1024 * 1024)
#define IPC_REPLY	0x80000000u

enum ipc_type {
	IPC_NEW_SESSION = 1,
	IPC_AUTH,
	IPC_AUTHFAIL,
	IPC_STAT,
	IPC_READDIR,
	IPC_OPEN,
	IPC_GATE,
	IPC_CLOSE,
	IPC_REMOVE,
	IPC_ADMIN,
	IPC_TYPE_MAX
};

enum ipc_kind { IPC_KIND_NONE = 0, IPC_KIND_STAFF = 1, IPC_KIND_RECIPIENT = 2 };

enum ipc_open_flags {
	IPC_OPEN_GATED = 1 << 0,	/* ask IPC_GATE at least every second */
	IPC_OPEN_WRITE = 1 << 1,	/* an upload: pwrite to the fd */
	IPC_OPEN_SEAL = 1 << 2,		/* with WRITE: seal as it arrives */
};

/* Shared between all processes (anonymous MAP_SHARED, made by the parent
 * before it forks anything). The engine bumps `generation` after every change
 * that could turn a gate decision; a session re-asks the gate for its open
 * files when it sees a new value, and at least once a second anyway. */
struct ipc_shared {
	volatile uint64_t generation;
};

struct ipc_shared *ipc_shared_create(void);
uint64_t ipc_generation(const struct ipc_shared *s);
void ipc_generation_bump(struct ipc_shared *s);

/* Sends one message; fd is -1 for none. Retries on EINTR; blocking. */
int ipc_send(int sock, uint32_t type, const struct sbuf *body, int fd)
    __attribute__((warn_unused_result));
/* Receives one message into body (reset first). *fd gets a passed descriptor
 * or -1 (pass NULL to refuse descriptors: any received one is closed and the
 * call fails). SLUICE_EIO with errno 0 means the peer closed cleanly. */
int ipc_recv(int sock, uint32_t *type, struct sbuf *body, int *fd)
    __attribute__((warn_unused_result));
/* Request then reply: fails with SLUICE_EPROTO if the reply's type is not
 * type | IPC_REPLY. */
int ipc_call(int sock, uint32_t type, const struct sbuf *req, int req_fd,
    struct sbuf *reply, int *reply_fd) __attribute__((warn_unused_result));

#endif
