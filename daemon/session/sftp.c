#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ipc.h"
#include "session/sftp.h"
#include "sluice/age.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/vpath.h"

#define SFTP_MSG_MAX		256	/* engine messages kept on a handle */
#define SFTP_DIR_BATCH		100	/* names per READDIR reply */
#define SFTP_GATE_MS		1000
#define ATTR_SIZE		0x00000001u
#define ATTR_UIDGID		0x00000002u
#define ATTR_PERMISSIONS	0x00000004u
#define ATTR_ACMODTIME		0x00000008u
#define ATTR_EXTENDED		0x80000000u

enum handle_kind { H_FREE = 0, H_FILE, H_DIR };

struct handle {
	enum handle_kind kind;
	uint32_t	 gen;		/* 24 bits, never 0 while in use */
	/* files */
	uint64_t	 open_id;
	uint32_t	 flags;		/* IPC_OPEN_* */
	uint64_t	 size;
	uint8_t		*prefix;
	size_t		 prefix_len;
	int		 fd;
	uint64_t	 fd_offset;
	uint64_t	 served, lowest, highest_end;
	int		 reached_eof;
	uint64_t	 gate_gen, gate_ms;
	int		 denied;
	char		 denied_msg[SFTP_MSG_MAX];
	/* IPC_OPEN_SEAL: an upload sealed as it arrives, or a sealed file
	 * decrypted as it is read */
	struct age_seal	*seal;
	struct age_unseal *unseal;
	int		 broken;	/* a write was refused: never taken */
	uint64_t	 room_end;	/* an upload's end IPC_ROOM granted */
	/* directories: pre-encoded SSH_FXP_NAME entries and a cursor */
	struct sbuf	*dir;
	uint32_t	 dir_left;
};

struct sftp {
	int		 engine_fd;
	struct ipc_shared *sh;
	const char	*cwd;
	int		 inited;
	struct sbuf	*in, *out, *req, *rep;
	struct sbuf	*notes;	/* refusals' reasons, for the channel's stderr */
	char		 last_note[256];	/* not repeated back to back */
	struct handle	 h[SFTP_MAX_HANDLES];
	uint32_t	 next_gen;
	uint64_t	(*now_ms)(void *);
	void		*now_arg;
};

struct request {
	uint32_t	 id;
	struct sbuf	*b;	/* the body after the id (and the path) */
	struct vpath	 vp;	/* canonical, for the requests that take a path */
};

/* What OPEN asks of the engine besides the path. */
struct open_ask {
	uint32_t	 pflags;
	uint64_t	 expect;	/* the client's size, UINT64_MAX: none */
};

struct engine_attrs {
	uint32_t	 type, perm, mtime;
	uint64_t	 size;
};

/* "u32 status, string message", the head of most engine replies. */
struct engine_answer {
	uint32_t	 status;		/* SSH_FX_* */
	char		 msg[SFTP_MSG_MAX];	/* one line */
};

/* ---- output: one packet at a time, length patched at the end ---- */

static int
pkt_begin(struct sftp *s, uint8_t type, size_t *start)
{
	int r;

	if ((r = sbuf_put_u32(s->out, 0)) != 0)
		return r;
	*start = s->out->len - 4;
	return sbuf_put_u8(s->out, type);
}

/* A reply packet: its type, then the request's id. */
static int
reply_begin(struct sftp *s, uint8_t type, uint32_t id, size_t *start)
{
	int r;

	if ((r = pkt_begin(s, type, start)) != 0)
		return r;
	return sbuf_put_u32(s->out, id);
}

static void
pkt_end(struct sftp *s, size_t start)
{
	sbuf_poke_u32(s->out->data + start,
	    (uint32_t)(s->out->len - start - 4));
}

/* Drops a half-built packet (the buffer cannot have compacted since
 * pkt_begin: it held unread bytes all along). */
static void
pkt_abort(struct sftp *s, size_t start)
{
	s->out->len = start;
}

/* Cuts the output back to `unread` bytes after a handler failed midway;
 * the buffer only compacts when fully read, so off + unread is still the
 * place where the failed reply began. */
static void
out_rewind(struct sftp *s, size_t unread)
{
	s->out->len = s->out->off + unread;
}

static const char *
status_text(uint32_t code)
{
	switch (code) {
	case SSH_FX_OK:			return "Success";
	case SSH_FX_EOF:		return "End of file";
	case SSH_FX_NO_SUCH_FILE:	return "No such file";
	case SSH_FX_PERMISSION_DENIED:	return "Permission denied";
	case SSH_FX_BAD_MESSAGE:	return "Bad message";
	case SSH_FX_OP_UNSUPPORTED:	return "Operation unsupported";
	}
	return "Failure";
}

/* Stock sftp prints only the status code's words, never our message; ssh
 * does print the channel's stderr. So a refusal's reason also goes there, as
 * one line: "sluice: rule 5 (agreement): ...". */
static int
note_refusal(struct sftp *s, uint32_t code, const char *msg)
{
	int r;

	if (code != SSH_FX_PERMISSION_DENIED && code != SSH_FX_FAILURE) {
		s->last_note[0] = '\0';
		return 0;
	}
	if (sbuf_len(s->notes) > SFTP_MAX_NOTES ||
	    strncmp(s->last_note, msg, sizeof(s->last_note)) == 0)
		return 0;
	(void)snprintf(s->last_note, sizeof(s->last_note), "%s", msg);
	if ((r = sbuf_put(s->notes, "sluice: ", 8)) != 0 ||
	    (r = sbuf_put(s->notes, msg, strlen(msg))) != 0)
		return r;
	return sbuf_put(s->notes, "\n", 1);
}

static int
send_status(struct sftp *s, uint32_t id, uint32_t code, const char *msg)
{
	size_t start;
	int r;

	if (msg == NULL || *msg == '\0')
		msg = status_text(code);
	if ((r = note_refusal(s, code, msg)) != 0 ||
	    (r = reply_begin(s, SSH_FXP_STATUS, id, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, code)) != 0 ||
	    (r = sbuf_put_cstring(s->out, msg)) != 0 ||
	    (r = sbuf_put_cstring(s->out, "")) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

static int
put_attrs(struct sbuf *b, const struct engine_attrs *a)
{
	int r;

	if ((r = sbuf_put_u32(b, ATTR_SIZE | ATTR_PERMISSIONS |
	    ATTR_ACMODTIME)) != 0 ||
	    (r = sbuf_put_u64(b, a->size)) != 0 ||
	    (r = sbuf_put_u32(b, a->perm)) != 0 ||
	    (r = sbuf_put_u32(b, a->mtime)) != 0)
		return r;
	return sbuf_put_u32(b, a->mtime);
}

/* ---- the engine ---- */

static int
engine_call(struct sftp *s, uint32_t type, int *fd)
{
	int r;

	if ((r = ipc_call(s->engine_fd, type, s->req, -1, s->rep, fd)) != 0)
		log_warnx("sftp: engine call %u failed: %s", type,
		    sluice_strerror(r));
	return r;
}

/* One line for the client: cuts msg at the first control character. */
static void
one_line(char *msg)
{
	size_t n;

	for (n = 0; msg[n] != '\0'; n++)
		if ((unsigned char)msg[n] < 0x20) {
			msg[n] = '\0';
			break;
		}
}

/* Reads "u32 status, string message" off the reply. */
static int
engine_status(struct sftp *s, struct engine_answer *a)
{
	const uint8_t *p;
	size_t n;

	if (sbuf_get_u32(s->rep, &a->status) != 0 ||
	    sbuf_get_string_direct(s->rep, &p, &n) != 0)
		return SLUICE_EPROTO;
	if (n >= sizeof(a->msg))
		n = sizeof(a->msg) - 1;
	memcpy(a->msg, p, n);
	a->msg[n] = '\0';
	one_line(a->msg);
	return 0;
}

/* Sends the request built in s->req; the reply's status and message go to
 * a, the rest stays in s->rep. fd receives a passed descriptor (NULL: none
 * may come). */
static int
engine_ask(struct sftp *s, uint32_t type, int *fd, struct engine_answer *a)
{
	int r;

	if ((r = engine_call(s, type, fd)) != 0)
		return r;
	return engine_status(s, a);
}

/* Starts a request whose body begins with the canonical path. */
static int
req_path(struct sftp *s, const struct vpath *vp)
{
	sbuf_reset(s->req);
	return sbuf_put_string(s->req, vp->path, vp->len);
}

static int
engine_attrs(struct sbuf *b, struct engine_attrs *a)
{
	if (sbuf_get_u32(b, &a->type) != 0 || sbuf_get_u64(b, &a->size) != 0 ||
	    sbuf_get_u32(b, &a->perm) != 0 || sbuf_get_u32(b, &a->mtime) != 0)
		return SLUICE_EPROTO;
	return 0;
}

/* ---- request parsing ---- */

/* The request's path, canonical against the working directory, into
 * q->vp; SLUICE_EINVAL (why set) for a path vpath refuses. */
static int
get_path(struct sftp *s, struct request *q, char *why, size_t whylen)
{
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = sbuf_get_string_direct(q->b, &p, &n)) != 0)
		return r;
	if (vpath_canon(&q->vp, s->cwd, p, n, why, whylen) != 0)
		return SLUICE_EINVAL;
	return 0;
}

/* The fixed-size fields of SFTP v3 attrs, in wire order (the size first,
 * attrs_size() reads it). */
static const struct {
	uint32_t	 flag;
	size_t		 len;
} attr_fields[] = {
	{ ATTR_SIZE,		8 },
	{ ATTR_UIDGID,		8 },
	{ ATTR_PERMISSIONS,	4 },
	{ ATTR_ACMODTIME,	8 },
};

/* Skips the extended attrs: u32 count, count x (string type, string data). */
static int
skip_extended(struct sbuf *b)
{
	uint32_t count, i;
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = sbuf_get_u32(b, &count)) != 0)
		return r;
	for (i = 0; i < count; i++)
		if ((r = sbuf_get_string_direct(b, &p, &n)) != 0 ||
		    (r = sbuf_get_string_direct(b, &p, &n)) != 0)
			return r;
	return 0;
}

/* Parses SFTP v3 attrs, keeping only the size (*size, UINT64_MAX when
 * they hold none). */
static int
attrs_size(struct sbuf *b, uint64_t *size)
{
	uint32_t flags;
	size_t i;
	int r;

	*size = UINT64_MAX;
	if ((r = sbuf_get_u32(b, &flags)) != 0 ||
	    ((flags & ATTR_SIZE) && (r = sbuf_get_u64(b, size)) != 0))
		return r;
	for (i = 1; i < sizeof(attr_fields) / sizeof(attr_fields[0]); i++)
		if ((flags & attr_fields[i].flag) &&
		    (r = sbuf_consume(b, attr_fields[i].len)) != 0)
			return r;
	return (flags & ATTR_EXTENDED) ? skip_extended(b) : 0;
}

/* ---- handles ---- */

/* The next handle generation: 24 bits, never 0. */
static uint32_t
next_gen(struct sftp *s)
{
	s->next_gen = (s->next_gen + 1) & 0xffffffu;
	if (s->next_gen == 0)
		s->next_gen = 1;
	return s->next_gen;
}

static int
handle_alloc(struct sftp *s, enum handle_kind kind, struct handle **hp)
{
	struct handle *h;
	size_t i;

	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (s->h[i].kind == H_FREE)
			break;
	if (i == SFTP_MAX_HANDLES)
		return SLUICE_ETOOBIG;
	h = &s->h[i];
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->fd = -1;
	h->lowest = UINT64_MAX;
	h->gen = next_gen(s);
	*hp = h;
	return 0;
}

static void
handle_release(struct handle *h)
{
	age_seal_free(h->seal);
	age_unseal_free(h->unseal);
	if (h->fd != -1)
		close(h->fd);
	free(h->prefix);
	sbuf_free(h->dir);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

/* On the wire a handle is 4 bytes: generation << 8 | slot index. */
static int
put_handle(struct sftp *s, uint32_t id, const struct handle *h)
{
	uint8_t hs[4];
	size_t start;
	int r;

	sbuf_poke_u32(hs, h->gen << 8 | (uint32_t)(h - s->h));
	if ((r = reply_begin(s, SSH_FXP_HANDLE, id, &start)) != 0 ||
	    (r = sbuf_put_string(s->out, hs, sizeof(hs))) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

/* The handle a wire value names, if it is in use, current and of the kind
 * (H_FREE accepts files and directories); else NULL. */
static struct handle *
handle_lookup(struct sftp *s, uint32_t v, enum handle_kind kind)
{
	struct handle *h;

	if ((v & 0xffu) >= SFTP_MAX_HANDLES)
		return NULL;
	h = &s->h[v & 0xffu];
	if (h->kind == H_FREE || (kind != H_FREE && h->kind != kind) ||
	    h->gen != v >> 8)
		return NULL;
	return h;
}

/* Reads a handle string and range-checks it: SLUICE_ENOTFOUND for a handle
 * of the wrong length, out of range, free, stale or of another kind. */
static int
get_handle(struct sftp *s, struct request *q, enum handle_kind kind,
    struct handle **hp)
{
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = sbuf_get_string_direct(q->b, &p, &n)) != 0)
		return r;
	if (n != 4 || (*hp = handle_lookup(s, sbuf_peek_u32(p), kind)) == NULL)
		return SLUICE_ENOTFOUND;
	return 0;
}

/* A sealed upload's end: its last chunk, and the plaintext's size and
 * digest for the engine; commit falls to 0 when it cannot be finished. */
static int
put_sealed(struct sftp *s, struct handle *h, uint8_t *commit)
{
	uint8_t sha[32];
	uint64_t plain = 0;
	int r;

	memset(sha, 0, sizeof(sha));
	if (*commit && (h->broken || age_seal_final(h->seal, sha, &plain,
	    NULL) != 0))
		*commit = 0;
	if ((r = sbuf_put_u8(s->req, *commit)) != 0 ||
	    (r = sbuf_put_u64(s->req, plain)) != 0)
		return r;
	return sbuf_put_string(s->req, sha, sizeof(sha));
}

/* Tells the engine a file is closed; its status and message come back.
 * An upload is taken only when commit is 1 (the client closed it). */
static int
engine_close(struct sftp *s, struct handle *h, uint8_t commit,
    struct engine_answer *a)
{
	int r;

	sbuf_reset(s->req);
	if ((r = sbuf_put_u64(s->req, h->open_id)) != 0 ||
	    (r = sbuf_put_u64(s->req, h->served)) != 0 ||
	    (r = sbuf_put_u64(s->req, h->lowest == UINT64_MAX ? 0 :
	    h->lowest)) != 0 ||
	    (r = sbuf_put_u64(s->req, h->highest_end)) != 0 ||
	    (r = sbuf_put_u8(s->req, (uint8_t)(h->reached_eof != 0))) != 0)
		return r;
	if (!(h->flags & IPC_OPEN_WRITE))
		r = 0;
	else if (h->flags & IPC_OPEN_SEAL)
		r = put_sealed(s, h, &commit);
	else
		r = sbuf_put_u8(s->req, commit);
	if (r != 0)
		return r;
	return engine_ask(s, IPC_CLOSE, NULL, a);
}

/* ---- handlers ---- */

static int
bad_path(struct sftp *s, struct request *q, int r, const char *why)
{
	if (r == SLUICE_EINVAL)
		return send_status(s, q->id, SSH_FX_NO_SUCH_FILE, why);
	return r;
}

static int
bad_handle(struct sftp *s, struct request *q, int r)
{
	if (r == SLUICE_ENOTFOUND)
		return send_status(s, q->id, SSH_FX_FAILURE, "invalid handle");
	return r;
}

static int
do_realpath(struct sftp *s, struct request *q)
{
	size_t start;
	int r;

	if ((r = reply_begin(s, SSH_FXP_NAME, q->id, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, 1)) != 0 ||
	    (r = sbuf_put_string(s->out, q->vp.path, q->vp.len)) != 0 ||
	    (r = sbuf_put_string(s->out, q->vp.path, q->vp.len)) != 0 ||
	    (r = sbuf_put_u32(s->out, 0)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

static int
send_attrs(struct sftp *s, uint32_t id, const struct engine_attrs *a)
{
	size_t start;
	int r;

	if ((r = reply_begin(s, SSH_FXP_ATTRS, id, &start)) != 0 ||
	    (r = put_attrs(s->out, a)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

static int
do_stat(struct sftp *s, struct request *q)
{
	struct engine_attrs attrs;
	struct engine_answer a;
	int r;

	if ((r = req_path(s, &q->vp)) != 0 ||
	    (r = engine_ask(s, IPC_STAT, NULL, &a)) != 0)
		return r;
	if (a.status != SSH_FX_OK)
		return send_status(s, q->id, a.status, a.msg);
	if ((r = engine_attrs(s->rep, &attrs)) != 0)
		return r;
	return send_attrs(s, q->id, &attrs);
}

/* An open file's attrs come from the handle: size and mode only. */
static int
do_fstat(struct sftp *s, struct request *q)
{
	struct handle *h;
	size_t start;
	int up, r;

	if ((r = get_handle(s, q, H_FILE, &h)) != 0)
		return bad_handle(s, q, r);
	up = (h->flags & IPC_OPEN_WRITE) != 0;
	if ((r = reply_begin(s, SSH_FXP_ATTRS, q->id, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, ATTR_SIZE | ATTR_PERMISSIONS)) != 0 ||
	    (r = sbuf_put_u64(s->out, up ? h->highest_end : h->size)) != 0 ||
	    (r = sbuf_put_u32(s->out, up ? S_IFREG | 0200 : S_IFREG | 0444)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

/* ---- directories ---- */

static void
mode_string(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	size_t i;

	out[0] = S_ISDIR(mode) ? 'd' : '-';
	for (i = 0; i < 9; i++)
		out[1 + i] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
	out[10] = '\0';
}

/* The part of a long name before the file name:
 * "-r--r--r--    1 sluice   sluice       1234 Mar  5 14:07 " */
static int
longname_head(const struct engine_attrs *a, char *line, size_t linelen,
    size_t *len)
{
	char mode[11], date[32];
	time_t t = (time_t)a->mtime;
	struct tm tm;
	int n;

	mode_string(a->perm, mode);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%b %e %H:%M", &tm) == 0)
		return SLUICE_EINVAL;
	n = snprintf(line, linelen, "%s %4u %-8s %-8s %8llu %s ", mode,
	    1u, "sluice", "sluice", (unsigned long long)a->size, date);
	if (n < 0 || (size_t)n >= linelen)
		return SLUICE_EINVAL;
	*len = (size_t)n;
	return 0;
}

/* "-r--r--r--    1 sluice   sluice       1234 Mar  5 14:07 name" */
static int
put_longname(struct sbuf *b, const uint8_t *name, size_t n,
    const struct engine_attrs *a)
{
	char line[128];
	size_t len;
	int r;

	if ((r = longname_head(a, line, sizeof(line), &len)) != 0)
		return r;
	if (n > SIZE_MAX - len)
		return SLUICE_ETOOBIG;
	if ((r = sbuf_put_u32(b, (uint32_t)(len + n))) != 0 ||
	    (r = sbuf_put(b, line, len)) != 0)
		return r;
	return sbuf_put(b, name, n);
}

/* A name from the engine must be a plain, printable UTF-8 file name. */
static int
name_ok(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 255 || (n == 1 && p[0] == '.') ||
	    (n == 2 && p[0] == '.' && p[1] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] == '/' || p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return vpath_utf8_valid(p, n);
}

/* Encodes one NAME entry (name, long name, attrs) onto the handle. */
static int
dir_add(struct handle *h, const uint8_t *name, size_t n,
    const struct engine_attrs *a)
{
	int r;

	if ((r = sbuf_put_string(h->dir, name, n)) != 0 ||
	    (r = put_longname(h->dir, name, n, a)) != 0 ||
	    (r = put_attrs(h->dir, a)) != 0)
		return r;
	h->dir_left++;
	return 0;
}

/* Turns the rest of the engine's READDIR reply into encoded NAME entries
 * on h. */
static int
dir_fill(struct sftp *s, struct handle *h)
{
	struct engine_attrs a;
	const uint8_t *name;
	uint32_t count, i;
	size_t n;
	int r;

	if ((h->dir = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if (sbuf_get_u32(s->rep, &count) != 0)
		return SLUICE_EPROTO;
	for (i = 0; i < count; i++) {
		if (sbuf_get_string_direct(s->rep, &name, &n) != 0 ||
		    engine_attrs(s->rep, &a) != 0)
			return SLUICE_EPROTO;
		if (!name_ok(name, n))
			log_warnx("sftp: engine listed a bad name; skipped");
		else if ((r = dir_add(h, name, n, &a)) != 0)
			return r;
	}
	return 0;
}

/* Moves one encoded entry (string, string, 24 bytes of attrs) to out. */
static int
dir_move_one(struct sbuf *dir, struct sbuf *out)
{
	const uint8_t *start = sbuf_ptr(dir), *p;
	size_t n, before = sbuf_len(dir);
	int r;

	if ((r = sbuf_get_string_direct(dir, &p, &n)) != 0 ||
	    (r = sbuf_get_string_direct(dir, &p, &n)) != 0 ||
	    (r = sbuf_consume(dir, 24)) != 0)
		return r;
	return sbuf_put(out, start, before - sbuf_len(dir));
}

/* One NAME reply with the next SFTP_DIR_BATCH entries at most. */
static int
send_names(struct sftp *s, uint32_t id, struct handle *h)
{
	uint32_t i, batch;
	size_t start;
	int r;

	batch = h->dir_left < SFTP_DIR_BATCH ? h->dir_left : SFTP_DIR_BATCH;
	if ((r = reply_begin(s, SSH_FXP_NAME, id, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, batch)) != 0)
		return r;
	for (i = 0; i < batch; i++)
		if ((r = dir_move_one(h->dir, s->out)) != 0)
			return r;
	h->dir_left -= batch;
	pkt_end(s, start);
	return 0;
}

static int
do_readdir(struct sftp *s, struct request *q)
{
	struct handle *h;
	int r;

	if ((r = get_handle(s, q, H_DIR, &h)) != 0)
		return bad_handle(s, q, r);
	if (h->dir_left == 0)
		return send_status(s, q->id, SSH_FX_EOF, NULL);
	return send_names(s, q->id, h);
}

/* ---- opening files and directories ---- */

/* Checks the engine's OPEN reply (on h, its descriptor in h->fd) against
 * what was asked. */
static int
open_reply_ok(const struct handle *h, uint32_t pflags)
{
	int want_write = (pflags & SSH_FXF_WRITE) != 0;

	if (want_write != ((h->flags & IPC_OPEN_WRITE) != 0))
		return 0;
	if (want_write || (h->flags & IPC_OPEN_SEAL))
		return h->fd != -1 && h->prefix_len == 0;
	if (h->prefix_len > h->size)
		return 0;
	return (h->fd != -1) == (h->size != h->prefix_len);
}

/* A sealed file: the file key that follows in the reply starts the
 * payload of an upload on h's descriptor (its nonce written), or opens
 * the payload there to read back h->size bytes of plaintext; then it is
 * wiped. */
static int
seal_start(struct sftp *s, struct handle *h)
{
	uint8_t key[AGE_FILE_KEY_LEN];
	int r;

	if (!(h->flags & IPC_OPEN_SEAL))
		return 0;
	if (h->fd == -1 || sbuf_get(s->rep, key, sizeof(key)) != 0)
		return SLUICE_EPROTO;
	if (h->flags & IPC_OPEN_WRITE)
		r = age_seal_new(key, h->fd, &h->seal);
	else if (age_payload_size(h->size) == 0)
		r = SLUICE_EPROTO;
	else
		r = age_unseal_new(key, h->fd, age_payload_size(h->size),
		    &h->unseal);
	sodium_memzero(key, sizeof(key));
	return r;
}

/* Reads the rest of the engine's OPEN reply onto h. */
static int
open_read_reply(struct sftp *s, struct handle *h)
{
	const uint8_t *p;
	uint32_t keylen;
	size_t n;

	if (sbuf_get_u64(s->rep, &h->open_id) != 0 ||
	    sbuf_get_u32(s->rep, &h->flags) != 0 ||
	    sbuf_get_u64(s->rep, &h->size) != 0 ||
	    sbuf_get_string_direct(s->rep, &p, &n) != 0 ||
	    sbuf_get_u64(s->rep, &h->fd_offset) != 0 ||
	    ((h->flags & IPC_OPEN_SEAL) && (sbuf_get_u32(s->rep, &keylen) != 0 ||
	    keylen != AGE_FILE_KEY_LEN)))
		return SLUICE_EPROTO;
	if (n > 0) {
		if ((h->prefix = malloc(n)) == NULL)
			return SLUICE_ENOMEM;
		memcpy(h->prefix, p, n);
	}
	h->prefix_len = n;
	return 0;
}

static uint64_t
now_ms(struct sftp *s)
{
	return s->now_ms(s->now_arg);
}

/* A file the engine opened: its reply must fit the request (else the open
 * is closed again); the gate's cadence starts now. */
static int
file_fill(struct sftp *s, struct handle *h, uint32_t pflags)
{
	struct engine_answer a;
	int r;

	if ((r = open_read_reply(s, h)) != 0)
		return r;
	if (!open_reply_ok(h, pflags) || seal_start(s, h) != 0) {
		log_warnx("sftp: engine's open reply does not fit the request");
		(void)engine_close(s, h, 0, &a);
		return SLUICE_EPROTO;
	}
	h->gate_gen = ipc_generation(s->sh);
	h->gate_ms = now_ms(s);
	return 0;
}

/* Asks the engine to open vp for h: IPC_READDIR for a directory, IPC_OPEN
 * with pflags and the size the client expects for a file (its descriptor
 * lands in h->fd). */
static int
ask_open(struct sftp *s, struct handle *h, const struct vpath *vp,
    const struct open_ask *o, struct engine_answer *a)
{
	int r;

	if ((r = req_path(s, vp)) != 0)
		return r;
	if (h->kind == H_DIR)
		return engine_ask(s, IPC_READDIR, NULL, a);
	if ((r = sbuf_put_u32(s->req, o->pflags)) != 0 ||
	    (r = sbuf_put_u64(s->req, o->expect)) != 0)
		return r;
	return engine_ask(s, IPC_OPEN, &h->fd, a);
}

/* Reads the rest of the engine's positive answer into h. */
static int
open_fill(struct sftp *s, struct handle *h, uint32_t pflags)
{
	if (h->kind == H_DIR)
		return dir_fill(s, h);
	return file_fill(s, h, pflags);
}

/* OPEN and OPENDIR: takes a slot, asks the engine, and answers with the
 * new handle or the engine's refusal (the slot then freed). */
static int
open_handle(struct sftp *s, struct request *q, enum handle_kind kind,
    const struct open_ask *o)
{
	struct engine_answer a;
	struct handle *h;
	int r;

	if (handle_alloc(s, kind, &h) != 0)
		return send_status(s, q->id, SSH_FX_FAILURE,
		    "too many open handles");
	if ((r = ask_open(s, h, &q->vp, o, &a)) != 0)
		goto out;
	if (a.status != SSH_FX_OK) {
		r = send_status(s, q->id, a.status, a.msg);
		goto out;
	}
	if ((r = open_fill(s, h, o->pflags)) != 0 ||
	    (r = put_handle(s, q->id, h)) != 0)
		goto out;
	h = NULL;	/* the client's now */
out:
	if (h != NULL)
		handle_release(h);
	return r;
}

static int
do_open(struct sftp *s, struct request *q)
{
	struct open_ask o;
	int r;

	if ((r = sbuf_get_u32(q->b, &o.pflags)) != 0 ||
	    (r = attrs_size(q->b, &o.expect)) != 0)
		return r;
	return open_handle(s, q, H_FILE, &o);
}

static int
do_opendir(struct sftp *s, struct request *q)
{
	static const struct open_ask none = { 0, UINT64_MAX };

	return open_handle(s, q, H_DIR, &none);
}

/* ---- reading and writing ---- */

/* True when h's gate answer is due again: the shared generation moved or
 * a second passed since the last one. */
static int
gate_due(const struct handle *h, uint64_t gen, uint64_t now)
{
	if (h->denied || !(h->flags & IPC_OPEN_GATED))
		return 0;
	return gen != h->gate_gen || now - h->gate_ms >= SFTP_GATE_MS;
}

/* Re-asks the gate for a gated handle when due; a denial sets h->denied
 * and h->denied_msg for the rest of the handle's life. */
static int
gate_check(struct sftp *s, struct handle *h)
{
	struct engine_answer a;
	uint64_t gen = ipc_generation(s->sh), now = now_ms(s);
	int r;

	if (!gate_due(h, gen, now))
		return 0;
	sbuf_reset(s->req);
	if ((r = sbuf_put_u64(s->req, h->open_id)) != 0 ||
	    (r = engine_ask(s, IPC_GATE, NULL, &a)) != 0)
		return r;
	h->gate_gen = gen;
	h->gate_ms = now;
	if (a.status != 0) {
		h->denied = 1;
		(void)snprintf(h->denied_msg, sizeof(h->denied_msg), "%s",
		    a.msg[0] != '\0' ? a.msg : "access denied");
	}
	return 0;
}

/* Why h may not be read now (*why, NULL to go on); asks the gate when
 * due. */
static int
read_refused(struct sftp *s, struct handle *h, const char **why)
{
	int r;

	*why = NULL;
	if (h->flags & IPC_OPEN_WRITE)
		*why = "file is open for writing";
	else if ((r = gate_check(s, h)) != 0)
		return r;
	else if (h->denied)
		*why = h->denied_msg;
	return 0;
}

static void
note_range(struct handle *h, uint64_t off, uint64_t n)
{
	h->served += n;
	if (off < h->lowest)
		h->lowest = off;
	if (off + n > h->highest_end)
		h->highest_end = off + n;
}

/* Copies the prefix's part of [*off, *off + *n) to *dst and advances past
 * it. */
static void
read_prefix(const struct handle *h, uint8_t **dst, uint64_t *off, size_t *n)
{
	size_t k;

	if (*off >= h->prefix_len)
		return;
	k = h->prefix_len - (size_t)*off;
	if (k > *n)
		k = *n;
	memcpy(*dst, h->prefix + *off, k);
	*dst += k;
	*off += k;
	*n -= k;
}

/* Copies file bytes [off, off+n) into dst: the prefix, then the fd (or,
 * for a sealed file, its plaintext). */
static int
read_bytes(const struct handle *h, uint8_t *dst, uint64_t off, size_t n)
{
	ssize_t got;

	if (h->unseal != NULL)
		return age_unseal_read(h->unseal, off, dst, n);
	read_prefix(h, &dst, &off, &n);
	while (n > 0) {
		got = pread(h->fd, dst, n,
		    (off_t)(h->fd_offset + (off - h->prefix_len)));
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			return SLUICE_EIO;
		dst += got;
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	return 0;
}

/* A READ's length, cut to SFTP_MAX_READ and to the end of the file. */
static uint32_t
read_len(const struct handle *h, uint64_t off, uint32_t len)
{
	if (len > SFTP_MAX_READ)
		len = SFTP_MAX_READ;
	if (len > h->size - off)
		len = (uint32_t)(h->size - off);
	return len;
}

/* Answers DATA with file bytes [off, off + len), off inside the file. */
static int
send_data(struct sftp *s, uint32_t id, struct handle *h, uint64_t off,
    uint32_t len)
{
	size_t start;
	uint8_t *dst;
	int r;

	if ((r = reply_begin(s, SSH_FXP_DATA, id, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, len)) != 0 ||
	    (r = sbuf_reserve(s->out, len, &dst)) != 0)
		return r;
	if (read_bytes(h, dst, off, len) != 0) {
		pkt_abort(s, start);
		log_warnx("sftp: reading open %llu failed",
		    (unsigned long long)h->open_id);
		return send_status(s, id, SSH_FX_FAILURE, "read failed");
	}
	pkt_end(s, start);
	note_range(h, off, len);
	if (off + len == h->size)
		h->reached_eof = 1;
	return 0;
}

static int
do_read(struct sftp *s, struct request *q)
{
	struct handle *h;
	const char *why;
	uint64_t off;
	uint32_t len;
	int r;

	if ((r = get_handle(s, q, H_FILE, &h)) != 0)
		return bad_handle(s, q, r);
	if ((r = sbuf_get_u64(q->b, &off)) != 0 ||
	    (r = sbuf_get_u32(q->b, &len)) != 0 ||
	    (r = read_refused(s, h, &why)) != 0)
		return r;
	if (why != NULL)
		return send_status(s, q->id, SSH_FX_PERMISSION_DENIED, why);
	if (off >= h->size) {
		h->reached_eof = 1;
		return send_status(s, q->id, SSH_FX_EOF, NULL);
	}
	return send_data(s, q->id, h, off, read_len(h, off, len));
}

/* Why n bytes at off may not be written to h: an SSH_FX_* code and *why,
 * SSH_FX_OK to go on. */
static uint32_t
write_refused(const struct handle *h, uint64_t off, size_t n,
    const char **why)
{
	uint64_t cap;

	*why = NULL;
	if (!(h->flags & IPC_OPEN_WRITE)) {
		*why = "file is read-only";
		return SSH_FX_PERMISSION_DENIED;
	}
	/* The engine names the cap of a write open in its size (the inbox
	 * limit, the certificate limit, UINT64_MAX for /stage: the disk's room
	 * is granted as writes come, room_check()); SFTP_MAX_UPLOAD
	 * otherwise. */
	cap = h->size != 0 ? h->size : SFTP_MAX_UPLOAD;
	if (off > cap || n > cap - off) {
		*why = "upload too large for the limit";
		return SSH_FX_FAILURE;
	}
	return SSH_FX_OK;
}

static int
write_bytes(const struct handle *h, const uint8_t *p, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = pwrite(h->fd, p + done, n - done, (off_t)(off + done));
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return SLUICE_EIO;
		done += (size_t)w;
	}
	return 0;
}

/* A sealed upload takes its bytes in order: a write elsewhere (a resumed
 * or out-of-order upload) is refused, and the upload with it. */
static int
write_sealed(struct handle *h, const uint8_t *p, size_t n, uint64_t off,
    const char **why)
{
	*why = "write failed";
	if (h->broken) {
		*why = "this upload failed: close it and upload again";
		return SLUICE_ESTATE;
	}
	if (off != age_seal_taken(h->seal)) {
		h->broken = 1;
		*why = "uploads are sealed as they arrive: writes must come in "
		    "order from offset 0 (no resuming)";
		return SLUICE_EINVAL;
	}
	if (age_seal_update(h->seal, p, n) != 0) {
		h->broken = 1;
		return SLUICE_EIO;
	}
	return 0;
}

/* Asks the engine for room up to end (IPC_ROOM) into a; a refusal breaks
 * the upload, its reason kept in h->denied_msg. */
static int
room_ask(struct sftp *s, struct handle *h, uint64_t end,
    struct engine_answer *a)
{
	int r;

	sbuf_reset(s->req);
	if ((r = sbuf_put_u64(s->req, h->open_id)) != 0 ||
	    (r = sbuf_put_u64(s->req, end)) != 0 ||
	    (r = engine_ask(s, IPC_ROOM, NULL, a)) != 0)
		return r;
	if (sbuf_get_u64(s->rep, &h->room_end) != 0 || sbuf_len(s->rep) != 0 ||
	    (a->status == SSH_FX_OK && h->room_end < end))
		return SLUICE_EPROTO;
	if (a->status != SSH_FX_OK) {
		h->broken = 1;
		(void)snprintf(h->denied_msg, sizeof(h->denied_msg), "%s",
		    a->msg[0] != '\0' ? a->msg : "not enough free space");
	}
	return 0;
}

/* A sealed upload grows only as far as the engine grants room for (the
 * disk's reserve): a write in order past the grant asks for more first.
 * The refusal: its SSH_FX_* code, SSH_FX_OK to go on, and *why. */
static int
room_check(struct sftp *s, struct handle *h, uint64_t off, size_t n,
    uint32_t *code, const char **why)
{
	struct engine_answer a;
	int r;

	*code = SSH_FX_OK;
	*why = NULL;
	if (h->seal == NULL || h->broken || off != age_seal_taken(h->seal) ||
	    (off <= h->room_end && n <= h->room_end - off))
		return 0;
	if ((r = room_ask(s, h, off + n, &a)) == 0 && h->broken) {
		*code = a.status;
		*why = h->denied_msg;
	}
	return r;
}

/* Writes n bytes at off to h's file, sealed or as they are. */
static int
write_any(struct handle *h, const uint8_t *p, size_t n, uint64_t off,
    const char **why)
{
	*why = "write failed";
	if (h->seal != NULL)
		return write_sealed(h, p, n, off, why);
	return write_bytes(h, p, n, off);
}

static int
do_write(struct sftp *s, struct request *q)
{
	struct handle *h;
	const uint8_t *p;
	const char *why;
	uint64_t off;
	uint32_t code;
	size_t n;
	int r;

	if ((r = get_handle(s, q, H_FILE, &h)) != 0)
		return bad_handle(s, q, r);
	if ((r = sbuf_get_u64(q->b, &off)) != 0 ||
	    (r = sbuf_get_string_direct(q->b, &p, &n)) != 0)
		return r;
	if ((code = write_refused(h, off, n, &why)) != SSH_FX_OK) {
		/* past the limit: CLOSE tells the engine how far it went */
		if (code == SSH_FX_FAILURE && (h->flags & IPC_OPEN_WRITE))
			h->highest_end = off > UINT64_MAX - n ? UINT64_MAX :
			    off + n;
		h->broken = 1;
		return send_status(s, q->id, code, why);
	}
	if ((r = room_check(s, h, off, n, &code, &why)) != 0)
		return r;
	if (code != SSH_FX_OK)
		return send_status(s, q->id, code, why);
	if (write_any(h, p, n, off, &why) != 0)
		return send_status(s, q->id, SSH_FX_FAILURE, why);
	note_range(h, off, n);
	return send_status(s, q->id, SSH_FX_OK, NULL);
}

/* ---- the rest ---- */

static int
do_close(struct sftp *s, struct request *q)
{
	struct engine_answer a;
	struct handle *h;
	int r;

	if ((r = get_handle(s, q, H_FREE, &h)) != 0)
		return bad_handle(s, q, r);
	if (h->kind == H_DIR) {
		handle_release(h);
		return send_status(s, q->id, SSH_FX_OK, NULL);
	}
	r = engine_close(s, h, 1, &a);
	handle_release(h);
	if (r != 0)
		return r;
	return send_status(s, q->id, a.status, a.msg);
}

static int
do_remove(struct sftp *s, struct request *q)
{
	struct engine_answer a;
	int r;

	if ((r = req_path(s, &q->vp)) != 0 ||
	    (r = engine_ask(s, IPC_REMOVE, NULL, &a)) != 0)
		return r;
	return send_status(s, q->id, a.status, a.msg);
}

/* The one extension: limits@openssh.com, as advertised in VERSION. */
static int
send_limits(struct sftp *s, uint32_t id)
{
	size_t start;
	int r;

	if ((r = reply_begin(s, SSH_FXP_EXTENDED_REPLY, id, &start)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_ADV_MAX_PACKET)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_MAX_READ)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_MAX_READ)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_MAX_HANDLES)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

static int
do_extended(struct sftp *s, struct request *q)
{
	const uint8_t *name;
	size_t n;
	int r;

	if ((r = sbuf_get_string_direct(q->b, &name, &n)) != 0)
		return r;
	if (n != strlen("limits@openssh.com") ||
	    memcmp(name, "limits@openssh.com", n) != 0)
		return send_status(s, q->id, SSH_FX_OP_UNSUPPORTED, NULL);
	return send_limits(s, q->id);
}

static int
do_refuse(struct sftp *s, struct request *q)
{
	return send_status(s, q->id, SSH_FX_PERMISSION_DENIED,
	    "not allowed in this tree");
}

static int
do_unsupported(struct sftp *s, struct request *q)
{
	return send_status(s, q->id, SSH_FX_OP_UNSUPPORTED, NULL);
}

/* The one table, after OpenSSH's sftp-server.c. `writes` marks requests
 * that change the tree; `path` those whose body starts with a path, which
 * the handler finds canonical in q->vp. */
static const struct sftp_handler {
	uint8_t	 type;
	int	 writes;
	int	 path;
	int	(*fn)(struct sftp *, struct request *);
} handlers[] = {
	{ SSH_FXP_OPEN,		0, 1, do_open },  /* the engine judges pflags */
	{ SSH_FXP_CLOSE,	0, 0, do_close },
	{ SSH_FXP_READ,		0, 0, do_read },
	{ SSH_FXP_WRITE,	1, 0, do_write },
	{ SSH_FXP_LSTAT,	0, 1, do_stat },
	{ SSH_FXP_FSTAT,	0, 0, do_fstat },
	{ SSH_FXP_SETSTAT,	1, 0, do_refuse },
	{ SSH_FXP_FSETSTAT,	1, 0, do_refuse },
	{ SSH_FXP_OPENDIR,	0, 1, do_opendir },
	{ SSH_FXP_READDIR,	0, 0, do_readdir },
	{ SSH_FXP_REMOVE,	1, 1, do_remove },
	{ SSH_FXP_MKDIR,	1, 0, do_refuse },
	{ SSH_FXP_RMDIR,	1, 0, do_refuse },
	{ SSH_FXP_REALPATH,	0, 1, do_realpath },
	{ SSH_FXP_STAT,		0, 1, do_stat },
	{ SSH_FXP_RENAME,	1, 0, do_refuse },
	{ SSH_FXP_READLINK,	0, 0, do_unsupported },
	{ SSH_FXP_SYMLINK,	1, 0, do_refuse },
	{ SSH_FXP_EXTENDED,	0, 0, do_extended },
};

static const struct sftp_handler *
find_handler(uint8_t type)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == type)
			return &handlers[i];
	return NULL;
}

static int
do_init(struct sftp *s, struct sbuf *b)
{
	uint32_t version;
	size_t start;
	int r;

	if (s->inited || sbuf_get_u32(b, &version) != 0)
		return SLUICE_EPROTO;
	s->inited = 1;
	log_debug("sftp: client version %u", version);
	if ((r = pkt_begin(s, SSH_FXP_VERSION, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, SFTP_VERSION)) != 0 ||
	    (r = sbuf_put_cstring(s->out, "limits@openssh.com")) != 0 ||
	    (r = sbuf_put_cstring(s->out, "1")) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

/* Decodes the path for the handlers that take one (a path vpath refuses
 * is answered "no such file" here), then calls the handler. */
static int
call_handler(struct sftp *s, const struct sftp_handler *hd, struct request *q)
{
	char why[128];
	int r;

	if (hd->path && (r = get_path(s, q, why, sizeof(why))) != 0)
		return bad_path(s, q, r, why);
	return hd->fn(s, q);
}

/* Runs a handler: a failure drops what it had written of its reply, and a
 * malformed body earns SSH_FX_BAD_MESSAGE instead. */
static int
run_handler(struct sftp *s, const struct sftp_handler *hd, struct request *q)
{
	size_t mark = sbuf_len(s->out);
	int r;

	if (hd->writes)
		log_debug("sftp: request %u changes the tree", hd->type);
	if ((r = call_handler(s, hd, q)) != 0)
		out_rewind(s, mark);
	if (r == SLUICE_EFORMAT)
		r = send_status(s, q->id, SSH_FX_BAD_MESSAGE,
		    "malformed request");
	return r;
}

static int
dispatch(struct sftp *s, struct sbuf *pkt)
{
	const struct sftp_handler *hd;
	struct request q;
	uint8_t type;

	if (sbuf_get_u8(pkt, &type) != 0)
		return SLUICE_EPROTO;
	if (type == SSH_FXP_INIT)
		return do_init(s, pkt);
	if (!s->inited || sbuf_get_u32(pkt, &q.id) != 0)
		return SLUICE_EPROTO;
	q.b = pkt;
	if ((hd = find_handler(type)) == NULL)
		return send_status(s, q.id, SSH_FX_OP_UNSUPPORTED, NULL);
	return run_handler(s, hd, &q);
}

/* ---- input ---- */

int
sftp_pending(const struct sftp *s)
{
	size_t have = sbuf_len(s->in);

	return have >= 4 && have - 4 >= sbuf_peek_u32(sbuf_ptr(s->in));
}

/* The next complete packet of the input, as a view (*plen 0: none yet). */
static int
next_packet(struct sftp *s, struct sbuf *pkt, uint32_t *plen)
{
	*plen = 0;
	if (sbuf_len(s->in) < 4)
		return 0;
	*plen = sbuf_peek_u32(sbuf_ptr(s->in));
	if (*plen > SFTP_MAX_PACKET || *plen == 0)
		return *plen == 0 ? SLUICE_EPROTO : SLUICE_ETOOBIG;
	if (sbuf_len(s->in) - 4 < *plen) {
		*plen = 0;
		return 0;
	}
	sbuf_view(pkt, sbuf_ptr(s->in) + 4, *plen);
	return 0;
}

int
sftp_run(struct sftp *s, size_t out_limit)
{
	struct sbuf pkt;
	uint32_t plen;
	int r;

	while (sbuf_len(s->out) < out_limit) {
		if ((r = next_packet(s, &pkt, &plen)) != 0)
			return r;
		if (plen == 0)
			break;
		if ((r = dispatch(s, &pkt)) != 0 ||
		    (r = sbuf_consume(s->in, 4 + (size_t)plen)) != 0)
			return r;
	}
	return 0;
}

size_t
sftp_input_room(const struct sftp *s)
{
	size_t have = sbuf_len(s->in);

	return have >= SFTP_MAX_INBUF ? 0 : SFTP_MAX_INBUF - have;
}

int
sftp_feed(struct sftp *s, const void *p, size_t n)
{
	if (n > sftp_input_room(s))
		return SLUICE_ETOOBIG;
	return sbuf_put(s->in, p, n);
}

int
sftp_input(struct sftp *s, const void *p, size_t n)
{
	int r;

	if ((r = sftp_feed(s, p, n)) != 0)
		return r;
	return sftp_run(s, SIZE_MAX);
}

struct sbuf *
sftp_notices(struct sftp *s)
{
	return s->notes;
}

struct sbuf *
sftp_output(struct sftp *s)
{
	return s->out;
}

/* ---- life ---- */

static uint64_t
monotonic_ms(void *arg)
{
	(void)arg;
	return sluice_monotonic_ms();
}

void
sftp_set_clock(struct sftp *s, uint64_t (*fn)(void *), void *arg)
{
	s->now_ms = fn;
	s->now_arg = arg;
}

struct sftp *
sftp_new(int engine_fd, struct ipc_shared *sh, enum ipc_kind kind)
{
	struct sftp *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->engine_fd = engine_fd;
	s->sh = sh;
	s->cwd = kind == IPC_KIND_STAFF ? "/inbox" : "/";
	s->now_ms = monotonic_ms;
	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		s->h[i].fd = -1;
	/* rep is secret: an OPEN reply may carry a file key */
	if ((s->in = sbuf_new()) == NULL || (s->out = sbuf_new()) == NULL ||
	    (s->req = sbuf_new()) == NULL ||
	    (s->rep = sbuf_new_secret()) == NULL ||
	    (s->notes = sbuf_new()) == NULL) {
		sftp_free(s);
		return NULL;
	}
	return s;
}

/* Tells the engine about every file still open and frees every handle. */
static void
close_all(struct sftp *s)
{
	struct engine_answer a;
	size_t i;

	for (i = 0; i < SFTP_MAX_HANDLES; i++) {
		if (s->h[i].kind == H_FILE && s->req != NULL && s->rep != NULL)
			(void)engine_close(s, &s->h[i], 0, &a);
		if (s->h[i].kind != H_FREE)
			handle_release(&s->h[i]);
	}
}

void
sftp_free(struct sftp *s)
{
	if (s == NULL)
		return;
	close_all(s);
	sbuf_free(s->in);
	sbuf_free(s->out);
	sbuf_free(s->req);
	sbuf_free(s->rep);
	sbuf_free(s->notes);
	free(s);
}
