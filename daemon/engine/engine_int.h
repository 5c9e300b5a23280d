/*
 * engine_int.h: the engine's own state, shared by its files. Nothing outside
 * the engine includes this.
 *
 *   engine.c         the poll loop and the request table
 *   setup.c          engine_open/engine_close: store, master, release and
 *                    host keys
 *   auth.c           AUTH, AUTHFAIL: logins
 *   auth_proof.c     the engine's own check of a login's signature, and
 *                    which exchange hashes it signs (the session identifier)
 *   hostkey.c        the SSH host key; HOSTSIGN: the key exchange's signature
 *   identity.c       the caller as of each request (conn_refresh)
 *   vfs.c            the virtual trees; STAT, READDIR
 *   fileops.c        OPEN, GATE, CLOSE, REMOVE and the open files
 *   upload.c         certificate uploads judged at CLOSE
 *   sealed.c         uploads sealed as they arrive: /inbox, /stage (inbox.h)
 *   admin_request.c  ADMIN: one command line to admin/
 *   audit_log.c      engine_audit(): the engine's own audit entries
 *   penalty.c        PENALTY from the parent: its audit entry
 *   sums.c           SHA256SUMS and its signature (sums.h)
 *   extract.c        staging and per-recipient age headers (extract.h)
 *   schedule.c       the calendar: tick, transitions, sanctions (schedule.h)
 *   mail.c           the scheduler's messages; mail_send.c their delivery,
 *                    mail_worker.c sendmail's in a worker process
 *
 * Calls between these files go one way only (no file calls back into a
 * file that calls it): engine.c sits on top; setup.c calls fileops.c;
 * fileops.c calls vfs.c, upload.c and sealed.c; upload.c calls vfs.c,
 * mail.c and schedule.c; sealed.c calls vfs.c, inbox.c, extract.c,
 * admin_request.c and admin/; vfs.c calls sums.c and extract.c;
 * schedule.c calls mail.c and mail_worker.c, which calls mail_send.c;
 * engine.c calls mail_worker.c for the worker's socket; auth.c calls
 * auth_proof.c; setup.c calls hostkey.c, which calls auth_proof.c;
 * identity.c and audit_log.c are called by many and call
 * none of them but audit_log.c.
 */
#ifndef SLUICE_ENGINE_INT_H
#define SLUICE_ENGINE_INT_H

#include <stdint.h>

#include "ipc.h"
#include "sluice/buf.h"
#include "sluice/config.h"
#include "sluice/sshkey.h"
#include "store/store.h"

#define ENGINE_MAX_CONNS	512
#define ENGINE_REQUEST_MAX	(1024u * 1024)	/* a session's request body */
#define CONN_MAX_OPENS		64
#define ENGINE_PATH_MAX		4096
#define ENGINE_CERT_NOTED	64	/* daily-limit refusals audited a day */

enum open_kind {
	OPEN_FREE = 0,
	OPEN_STATIC,		/* bytes in the reply: release.pub, SHA256SUMS */
	OPEN_DOWNLOAD,		/* a released extract: header + payload */
	OPEN_INBOX_READ,	/* a staff member's own inbox file */
	OPEN_INBOX_WRITE,	/* an upload to the inbox, sealed */
	OPEN_CERT_UPLOAD,	/* a deletion certificate upload */
	OPEN_STAGE_UPLOAD,	/* an extract uploaded to /stage/NIC/, sealed */
};

struct payload_new;
struct vnode;

struct open_file {
	uint64_t	 id;
	enum open_kind	 kind;
	int64_t		 release_id;
	int64_t		 download_id;
	char		 nic[STORE_NIC_MAX];
	char		 name[STORE_TEXT_MAX];
	char		 tmp_path[ENGINE_PATH_MAX];	/* uploads */
	int		 denied;	/* the gate turned; audited once */
	/* sealed uploads (sealed.c): the file key handed to the session, and
	 * for /stage the payload being written */
	uint8_t		 key[16];
	struct payload_new *pn;
	int		 pn_fd;
	/* the size the client gave at OPEN (UINT64_MAX: none); the plaintext
	 * end the session may write up to (IPC_ROOM); set once the disk's
	 * reserve refused a write (audited then) */
	uint64_t	 expect;
	uint64_t	 room_end;
	int		 room_refused;
	int		 overrun;	/* wrote past its grant: dropped, audited */
	/* sealed uploads: the most plaintext bytes the session may write
	 * (an inbox upload, the room its inbox's files left at OPEN; /stage,
	 * UINT64_MAX); 0 and unused for other kinds */
	uint64_t	 cap;
};

struct conn {
	struct ipc_peer	*io;		/* the session's socket, buffered */
	char		 peer[128];
	uint32_t	 pid;		/* the session process (the parent's
					 * word); 0: unknown */
	int		 authed;
	struct identity	 who;		/* read again before each request */
	uint8_t		 key[SSHKEY_BLOB_MAX];	/* the key that logged in */
	size_t		 key_len;
	int		 key_lost;	/* the key is no longer who's */
	char		 refused[STORE_TEXT_MAX];	/* why who may not act; "" */
	uint8_t		 sid[64];	/* the session identifier: the first
					 * exchange hash signed for it */
	size_t		 sid_len;	/* 0: none signed yet */
	int64_t		 kex_at;	/* sluice_now() of the first */
	uint64_t	 rekeys;	/* re-key hashes signed since */
	struct open_file opens[CONN_MAX_OPENS];
};

struct minisign_key;
struct audit_anchor;
struct mail_run;
struct auth_ring;
struct sshkey_priv;
struct sshkey_pub;

struct engine {
	char		 dir[ENGINE_PATH_MAX];
	const struct sluice_config *cfg;
	struct store	*st;
	uint8_t		*master;	/* 32 bytes, sodium_malloc'd */
	struct minisign_key *release;
	struct audit_anchor *anchor;	/* the audit log's signed head */
	char		*release_pub;	/* the public key file text */
	struct ipc_shared *sh;
	int		 ctl;
	struct ipc_peer	*ctl_io;	/* ctl, buffered (engine.c) */
	struct conn	*conns[ENGINE_MAX_CONNS];
	size_t		 nconns;
	uint64_t	 next_open_id;
	int64_t		 last_schedule;
	uint64_t	 next_police_ms;	/* uploads' sizes checked (engine.c) */
	int64_t		 next_mail;	/* earliest retry queued; 0 = none */
	struct mail_run	*mail_run;	/* sendmail worker under way; NULL */
	int64_t		 published_at;	/* last write of the site; 0 = none */
	int64_t		 published_head; /* audit head it showed; -1 failed */
	/* recipients refused a certificate upload today for the daily
	 * limit, audited once each (upload.c) */
	int64_t		 cert_noted[ENGINE_CERT_NOTED];
	size_t		 cert_noted_n;
	int32_t		 cert_noted_day;
	struct sshkey_priv *hostkey;	/* the SSH host key (hostkey.c) */
	int		 opened;	/* engine_open() done, its start audited */
	struct auth_ring *signed_kex;	/* exchange hashes signed */
	struct auth_ring *seen;	/* session identifiers that logged in */
};

/* setup.c; offered as for engine_main() */
int engine_open(const char *dir, const struct sluice_config *cfg, int ctl,
    struct ipc_shared *sh, const struct sshkey_pub *offered,
    struct engine **out);
void engine_close(struct engine *e);

/* engine.c: the poll loop's steps for one session (the fuzz target,
 * tests/fuzz/fuzz_ipc.c, drives them without poll). conn_add() takes fd,
 * even on failure, as a new session from peer, process pid (0: unknown):
 * e->conns[e->nconns - 1].
 * conn_service() does what poll said of c (revents): reads a request, only
 * once its last answer is all out (one request, one reply; while it goes
 * out, only a re-key's IPC_HOSTSIGN, answered ahead of it), runs it, and
 * writes as much of the answer as the socket takes; non-zero means c must
 * go. conn_drop() ends session i: why is logged, NULL for a session that
 * simply went; with a why, the parent is asked to kill its process
 * (IPC_END_SESSION), without waiting. */
int conn_add(struct engine *e, int fd, const char *peer, uint32_t pid);
int conn_service(struct engine *e, struct conn *c, short revents,
    struct sbuf *b);
void conn_drop(struct engine *e, size_t i, const char *why);

/* fileops.c: ends every open file of c (a download is recorded as it
 * stands, an unfinished upload removed). */
void conn_close_all(struct engine *e, struct conn *c);
/* fileops.c: 0, or SLUICE_EDENIED with why when a sealed upload of c is
 * larger on disk than its grant allows (sealed_overrun()): the caller
 * drops c, whose close removes the upload. */
int conn_overrun(struct engine *e, struct conn *c, char *why, size_t whylen);

/* identity.c: reads c's identity again by its login key, before every
 * request of a logged-in session (docs/design.md section 6: roles and the
 * active flag are read at every request). c->who gets the fresh roles and
 * flags; c->refused says why the request may not act for the user ("user
 * rita is disabled", "key no longer registered to rita"), or is "". */
void conn_refresh(struct engine *e, struct conn *c);
/* The refusal of a request that acts for c's user: audited as action on
 * subject, outcome "deny", the reason as details; returns c->refused. */
const char *conn_refusal(struct engine *e, const struct conn *c,
    const char *action, const char *subject);

/* audit_log.c: the audit log's signed head (audit_anchor.h). _start opens
 * it before anything is appended, and logs and audits what it found (a key
 * made, a head missing, a log that does not hold its head); _update writes
 * the head after entries were added, outside any transaction (failures are
 * logged); _stop writes the last and lets it go. */
int engine_anchor_start(struct engine *e, char *why, size_t whylen);
void engine_anchor_update(struct engine *e);
void engine_anchor_stop(struct engine *e);
/* auth_proof.c: what a session claims with a final IPC_AUTH, and the proof
 * it brings (pointers into the request). */
struct auth_claim {
	const char	*user;
	const uint8_t	*blob, *signed_data, *sig;
	size_t		 blob_len, signed_len, sig_len;
};
/* 0 when signed_data is the RFC 4252 publickey request of a->user with the
 * key a->blob, a->sig that key's valid signature over it, and its session
 * identifier this connection's (the first exchange hash signed for it) and
 * no other connection's that logged in; else SLUICE_EDENIED and why, which
 * begins "login proof refused: ". */
int auth_proof_check(struct engine *e, struct conn *c,
    const struct auth_claim *a, char *why, size_t whylen);
/* After c's login was accepted: its session identifier may log in on no
 * other connection during the engine's life. */
void auth_proof_accepted(struct engine *e, const struct conn *c);
void auth_ring_free(struct auth_ring *r);
/* auth_proof.c: whether the engine may sign h (n bytes) with the host key
 * for c: 0 when n is SSH_ALGO_KEX_HASH_LEN, h is c's first hash before a
 * login (it becomes c's session identifier) or a re-key's after the login
 * by a user still active with the key that logged in (conn_refresh() first)
 * within AUTH_REKEY_BURST plus one per AUTH_REKEY_PERIOD seconds since the
 * first, and the engine never signed h before (for any connection); h is
 * then remembered. Else SLUICE_EDENIED (or SLUICE_ENOMEM) and why. */
#define AUTH_REKEY_BURST	1024
#define AUTH_REKEY_PERIOD	1
int auth_kex_hash(struct engine *e, struct conn *c, const uint8_t *h,
    size_t n, char *why, size_t whylen);

/* hostkey.c: loads the host key (cfg host_key, ssh-ed25519 only) into
 * e->hostkey, guarded memory, and checks that its public half is the one in
 * host_key.pub, and the one the parent offers (offered; NULL: unchecked). */
int engine_hostkey_load(struct engine *e, const struct sshkey_pub *offered,
    char *why, size_t whylen);

/* audit_log.c: an audit entry outside any caller's transaction; failures
 * are logged. */
void engine_audit(struct engine *e, const char *actor, const char *action,
    const char *subject, const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* penalty.c: IPC_PENALTY's body from the parent (ipc.h), audited as actor
 * "sluiced", action "penalty", subject the source, outcome "deny". */
int engine_penalty(struct engine *e, struct sbuf *body);

/* upload.c: judges a certificate upload at CLOSE; why gets the verdict.
 * written_end: the furthest end a write reached, refused ones included (a
 * certificate written past the policy's max_bytes is refused unjudged). */
int engine_certificate_upload(struct engine *e, struct conn *c,
    struct open_file *of, uint64_t written_end, char *why, size_t whylen);
/* upload.c: 0 when c's user may upload a certificate of deletion for nic
 * now; SLUICE_EDENIED with why once the policy's rejections a day are
 * reached (the first such refusal of the day is audited). */
int engine_certificate_may_upload(struct engine *e, const struct conn *c,
    const char *nic, char *why, size_t whylen);

/* sealed.c: an upload the session seals as it arrives (ipc.h,
 * IPC_OPEN_SEAL), to /inbox/NAME or /stage/NIC/NAME (node n). sealed_open()
 * checks who may write there and whether the disk keeps its reserve (with
 * of->expect more bytes, when the client gave a size), makes the file key
 * (of->key) and the file the session writes (*fd, the caller's), and says
 * how many plaintext bytes it may write at most (*cap; the disk's room is
 * granted as the writes come, sealed_room()); a refusal is an SFTP status
 * in *status with why. sealed_close() takes the finished upload (plain
 * bytes whose SHA-256 the session reports): an inbox file, or an extract
 * recorded as `extract stage` records one; why gets the verdict (for
 * /stage, the extract id), *status the SFTP status. sealed_forget()
 * removes what was not taken and wipes the key. */
int sealed_open(struct engine *e, struct conn *c, struct open_file *of,
    const struct vnode *n, uint64_t *cap, int *fd, uint32_t *status,
    char *why, size_t whylen);
int sealed_close(struct engine *e, struct conn *c, struct open_file *of,
    uint64_t plain, const uint8_t sha256[32], uint32_t *status, char *why,
    size_t whylen);
void sealed_forget(struct open_file *of);
/* sealed.c: an inbox upload that asked past of->cap, to plaintext byte
 * end (its writes past the cap refused by the session, or a session that
 * commits more): refused and audited with the limit, as sealed_close()
 * refuses an inbox past it. */
int sealed_past_cap(struct engine *e, const struct conn *c,
    const struct open_file *of, uint64_t end, uint32_t *status, char *why,
    size_t whylen);
/* sealed.c: IPC_ROOM for of, whose session would write up to plaintext
 * byte want: 0 with *end, the end it may now write up to (the last grant
 * and up to SEALED_ROOM_STEP more, as far as the disk keeps its reserve,
 * never past of->cap);
 * else SLUICE_EDENIED with why, audited, and of->room_refused set. */
#define SEALED_ROOM_STEP	(8ull * 1024 * 1024)
#define SEALED_NO_ROOM	"not enough free space on the server for this upload"
int sealed_room(struct engine *e, const struct conn *c, struct open_file *of,
    uint64_t want, uint64_t *end, char *why, size_t whylen);
/* sealed.c: the engine's own check of a grant (a session may lie about
 * asking): 0 while of's file on disk is no larger than the payload of its
 * granted end (age_payload_size(of->room_end)) and SEALED_SLACK; else the
 * file is emptied, the refusal audited, of->overrun set and SLUICE_EDENIED
 * returned with why, one line for the log. An honest session's file never
 * passes the payload of its grant (it asks before it seals past it, and
 * dwrite writes only what was sealed); the slack, one dwrite block, only
 * spares a session a racing measure of a block in flight. */
#define SEALED_SLACK	(1024u * 1024)
int sealed_overrun(struct engine *e, const struct conn *c,
    struct open_file *of, char *why, size_t whylen);
/* c's staff member's inbox, for inbox.h. */
struct inbox_ref;
void sealed_inbox_ref(struct engine *e, const struct conn *c,
    struct inbox_ref *ref);

/* admin_request.c: ctx for c's caller as admin_run() needs it. */
struct admin_ctx;
void engine_admin_caller(struct engine *e, const struct conn *c,
    struct admin_ctx *ctx);

/* Request handlers (engine.c's table): parse req, append the reply body to
 * rep, optionally set *fd to a descriptor to pass. Non-zero drops the peer.
 * auth.c, vfs.c, fileops.c, admin_request.c, hostkey.c. */
int eng_auth(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_authfail(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_stat(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_readdir(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_open(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_gate(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_close(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_remove(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_room(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_admin(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);
int eng_hostsign(struct engine *, struct conn *, struct sbuf *, struct sbuf *, int *);

/* fileops.c: the GATE reply into rep (emptied first): FX_OK only when
 * allow and the whole reply was written; a denial with reason, else with
 * "access denied". Non-zero (rep left empty, the session dropped) only when
 * not even that could be written: a failure never reads as an allow. */
int eng_gate_answer(struct sbuf *rep, int allow, const char *reason);

/* SFTP status codes the engine answers with. */
enum {
	FX_OK = 0, FX_EOF = 1, FX_NO_SUCH_FILE = 2, FX_PERMISSION_DENIED = 3,
	FX_FAILURE = 4, FX_OP_UNSUPPORTED = 8,
};

#endif
