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
 * peer address "ip:port", u32 pid of the session process). When the engine
 * drops a session for a reason (a protocol violation, an upload past its
 * grant: not one that simply went), it tells the parent on the control
 * socket, with no reply (IPC_END_SESSION: u32 pid, string reason); the
 * parent kills that pid with SIGKILL if, and only if, it is one of its own
 * live sessions (parent/endsession.h): a dropped session that ignores the
 * end of its socket must not go on writing to the upload it holds. The
 * engine never waits for the parent to read it: a message it cannot queue
 * is logged and forgotten. Everything else flows on that per-session socket,
 * one request then one reply, the reply type being the request type | IPC_REPLY.
 * The parent also tells the engine, on the control socket and with no reply,
 * of each per-source penalty that begins (IPC_PENALTY: string source
 * "192.0.2.7/32", string reason, u32 seconds); the engine audits it.
 *
 * Requests (session -> engine) and their reply bodies:
 *
 * IPC_HOSTSIGN string hash (SSH_ALGO_KEX_HASH_LEN bytes: the key exchange's
 *            exchange hash H) -> string signature blob (string
 *            "ssh-ed25519", string 64-byte signature) by the host key,
 *            which only the engine holds (engine/hostkey.c). The first hash
 *            signed for a connection is its session identifier, the one
 *            every login proof on it must carry. Before a login is accepted
 *            a connection gets one signature; after it, one per re-key
 *            (within auth_kex_hash()'s budget, for a user not refused). A
 *            hash of another length, a second one before the login, or one
 *            the engine signed before (for any connection) is refused: the
 *            session is dropped, the refusal audited.
 * IPC_AUTH   string user, string key_blob (SSH wire public key), u8 final
 *            (0 = probe before the signature, 1 = the signed login),
 *            string signed, string signature: both empty at the probe; for
 *            the final ask, what the client signed (RFC 4252 section 7:
 *            string session identifier, byte 50, string user, string
 *            "ssh-connection", string "publickey", TRUE, string algorithm,
 *            string key_blob) and its signature blob (string algorithm,
 *            string signature), as libssh verified them
 *         -> u32 status (0 accept, 1 refuse), string reason,
 *            u32 kind (IPC_KIND_*), u32 roles (ROLE_* bits, see domain.h)
 *            The engine checks a final ask's signature itself, for the user
 *            and key claimed, and its session identifier against the
 *            connection's first IPC_HOSTSIGN (engine/auth_proof.c); the
 *            session's word is not taken. It audits the final answer and every refusal; after a
 *            final accept, the session's identity is fixed for its life.
 * IPC_AUTHFAIL string user, string method, string reason -> u32 0
 *            (audit of a login attempt the session refused by itself)
 * IPC_STAT   string path (already canonical) -> u32 status (SFTP status code),
 *            string message, attrs
 * IPC_READDIR string path -> u32 status, string message, u32 count,
 *            count x (string name, attrs)
 * IPC_OPEN   string path, u32 sftp_pflags, u64 expect (the size in the
 *            client's attrs, UINT64_MAX when it gave none) -> u32 status,
 *            string message, u64 open_id, u32 flags (IPC_OPEN_*), u64 size,
 *            string prefix, u64 fd_offset; fd attached unless size ==
 *            prefix length. File bytes [0, prefix_len) are the prefix; bytes
 *            [prefix_len, size) are read from the fd at fd_offset + (off -
 *            prefix_len). For a write open, the fd is an empty file to pwrite
 *            and size is the most the client may write (0: the session's
 *            own cap). With IPC_OPEN_SEAL (uploads to /inbox and /stage),
 *            then string file_key (16 bytes): the session seals the bytes
 *            as they arrive, in order, as an age payload under that key
 *            (age.h: age_seal_*), writes only ciphertext to the fd, and
 *            wipes the key at close; it writes plaintext only up to the
 *            end IPC_ROOM last granted (0 at first). IPC_OPEN_SEAL without
 *            WRITE (a staff member's inbox file read back): the fd holds
 *            the age payload of size bytes of plaintext, which the session
 *            decrypts chunk by chunk as READs ask (age_unseal_*), each
 *            chunk verified.
 * IPC_GATE   u64 open_id -> u32 status, string message. Re-asks the gate for
 *            a gated open (IPC_OPEN_GATED); status != 0 means stop serving.
 * IPC_ROOM   u64 open_id, u64 want (the plaintext end a WRITE of a sealed
 *            upload would reach, past the last grant) -> u32 status,
 *            string message, u64 end: the end the upload may now write up
 *            to (>= want), up to 8 MiB past the last grant as far as the
 *            disk keeps its reserve ([inbox] reserve_bytes) and no further
 *            than the size IPC_OPEN replied; a refusal (audited) ends the
 *            upload, and it asks no more. A want past that size is a
 *            protocol error.
 * IPC_CLOSE  u64 open_id, u64 bytes_served, u64 lowest_offset,
 *            u64 highest_end, u8 reached_eof; for a write open then
 *            u8 commit (1: the client closed the file; 0: nothing is
 *            taken: the connection ended first, or a write was refused, and
 *            highest_end past the size IPC_OPEN replied says one asked past
 *            that cap), and with IPC_OPEN_SEAL
 *            u64 plaintext size, string SHA-256 of the plaintext (32
 *            bytes) -> u32 status, string message (for an upload, the
 *            engine's verdict on what was written; for /stage, the
 *            extract id).
 * IPC_REMOVE string path -> u32 status, string message
 * IPC_ADMIN  string command line -> u32 exit status (0, 1, 2),
 *            string stdout, string stderr
 *            A long answer streams: before the reply, the engine may send
 *            any number of IPC_ADMIN_DATA messages (engine -> session, not
 *            replies), each a piece of stdout as raw bytes (the body is
 *            the piece, at most IPC_STREAM_CHUNK bytes); the session writes
 *            each to the client as it comes, then the reply's stdout and
 *            stderr. Only an answer with exit status 0 streams, so a
 *            refusal never follows half an answer; no total is capped.
 *            A client may re-key while the session writes the answer to
 *            it: the session then sends IPC_HOSTSIGN with the answer
 *            still coming, the one request the engine takes while an
 *            answer is queued. Its reply overtakes the rest of the answer
 *            at the next message boundary (ipc_peer_queue_urgent()); the
 *            session keeps the pieces (and the IPC_ADMIN reply) that came
 *            before it, in order, for the answer (session/hostsign.h).
 *
 * The engine's end of every socket is non-blocking (struct ipc_peer below,
 * after OpenBSD's imsg): it assembles a message across as many reads as it
 * takes while it serves the others, queues its answers and writes them as
 * the socket takes them, and takes no new request but IPC_HOSTSIGN from a
 * session whose answer is still queued (any other drops it). A session
 * whose message stays incomplete for IPC_PEER_DEADLINE_MS, or that breaks
 * the framing (a length over the limit, a descriptor it may not pass), is
 * dropped.
 *
 * attrs: u32 type (1 file, 2 directory), u64 size, u32 permissions (mode bits
 * incl. S_IFREG/S_IFDIR), u32 mtime.
 * SFTP status codes used: 0 ok, 1 eof, 2 no such file, 3 permission denied,
 * 4 failure, 8 op unsupported.
 */
#ifndef SLUICE_IPC_H
#define SLUICE_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "sluice/buf.h"

#define IPC_MAX_BODY	(32u * 1024 * 1024)
#define IPC_REPLY	0x80000000u
#define IPC_STREAM_CHUNK (1024u * 1024)	/* bytes per IPC_ADMIN_DATA */
#define IPC_PEER_DEADLINE_MS 10000	/* to finish a message begun */

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
	IPC_PENALTY,
	IPC_ADMIN_DATA,		/* engine -> session: a piece of an answer */
	IPC_ROOM,
	IPC_HOSTSIGN,		/* the exchange hash, signed by the host key */
	IPC_END_SESSION,	/* engine -> parent: kill a session dropped */
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

/*
 * The engine's side of a socket: non-blocking, buffered both ways.
 *
 * ipc_peer_new() takes fd (made non-blocking; closed by ipc_peer_free(),
 * with every descriptor still queued or received). By default a peer may
 * send bodies up to IPC_MAX_BODY, no descriptors, and must finish a message
 * within IPC_PEER_DEADLINE_MS of its first byte; ipc_peer_limits() changes
 * that (take_fds: a descriptor may come with a message's header).
 */
struct ipc_peer;

int ipc_peer_new(int fd, struct ipc_peer **out)
    __attribute__((warn_unused_result));
/* As ipc_peer_new(), but fd's flags stay as they are (it never blocks
 * all the same: every read and write is MSG_DONTWAIT): for a duplicate of
 * a socket someone else writes to blocking (parent/server.c reads the
 * engine's IPC_END_SESSION so). */
int ipc_peer_new_shared(int fd, struct ipc_peer **out)
    __attribute__((warn_unused_result));
void ipc_peer_free(struct ipc_peer *p);
void ipc_peer_limits(struct ipc_peer *p, size_t max_body, int take_fds,
    uint64_t deadline_ms);
int ipc_peer_fd(const struct ipc_peer *p);

/* Reads what the socket holds, up to one whole message: 1 when one is
 * complete (type, body reset then filled, *fd its descriptor or -1; fd may
 * be NULL when the peer takes none), 0 when more bytes are needed (what
 * came so far is kept), else SLUICE_EIO (errno 0: the peer closed),
 * SLUICE_EPROTO (bad framing) or SLUICE_ENOMEM. Reads a bounded amount per
 * call, so one busy peer cannot starve the others. */
int ipc_peer_read(struct ipc_peer *p, uint32_t *type, struct sbuf *body,
    int *fd) __attribute__((warn_unused_result));
/* When the message under way must be complete (monotonic ms), 0 for none;
 * ipc_peer_late() is true once now_ms has reached it. */
uint64_t ipc_peer_deadline(const struct ipc_peer *p);
int ipc_peer_late(const struct ipc_peer *p, uint64_t now_ms);

/* Queues one message; body (NULL for none) and fd (-1 for none) are the
 * peer's from here, even on failure (SLUICE_ETOOBIG over IPC_MAX_BODY). */
int ipc_peer_queue(struct ipc_peer *p, uint32_t type, struct sbuf *body,
    int fd) __attribute__((warn_unused_result));
/* As ipc_peer_queue(), but the message goes out at the next message
 * boundary ahead of everything queued before it (between two pieces of a
 * stream too): the answer to a request taken while another is going out. */
int ipc_peer_queue_urgent(struct ipc_peer *p, uint32_t type,
    struct sbuf *body, int fd) __attribute__((warn_unused_result));
/* Queues data (the peer's from here) as messages of type, each at most
 * IPC_STREAM_CHUNK bytes, framed as they are written: no copy is made. */
int ipc_peer_queue_stream(struct ipc_peer *p, uint32_t type, struct sbuf *data)
    __attribute__((warn_unused_result));
/* Writes what is queued until done or the socket is full: 0, or SLUICE_EIO
 * when the peer is gone. */
int ipc_peer_flush(struct ipc_peer *p) __attribute__((warn_unused_result));
/* True while output is queued (poll for POLLOUT). */
int ipc_peer_pending(const struct ipc_peer *p);

#endif
