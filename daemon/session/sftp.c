#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "session/sftp.h"
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
	struct handle	 h[SFTP_MAX_HANDLES];
	uint32_t	 next_gen;
	uint64_t	(*now_ms)(void *);
	void		*now_arg;
};

struct request {
	uint32_t	 id;
	struct sbuf	*b;	/* the body after the id */
};

struct engine_attrs {
	uint32_t	 type, perm, mtime;
	uint64_t	 size;
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

static int
send_status(struct sftp *s, uint32_t id, uint32_t code, const char *msg)
{
	size_t start;
	int r;

	if (msg == NULL || *msg == '\0')
		msg = status_text(code);
	if ((r = pkt_begin(s, SSH_FXP_STATUS, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, id)) != 0 ||
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

/* Reads "u32 status, string message" off the reply. */
static int
engine_status(struct sftp *s, uint32_t *status, char *msg, size_t msglen)
{
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = sbuf_get_u32(s->rep, status)) != 0 ||
	    (r = sbuf_get_string_direct(s->rep, &p, &n)) != 0)
		return SLUICE_EPROTO;
	if (n >= msglen)
		n = msglen - 1;
	memcpy(msg, p, n);
	msg[n] = '\0';
	/* One line for the client: cut at the first control character. */
	for (n = 0; msg[n] != '\0'; n++)
		if ((unsigned char)msg[n] < 0x20) {
			msg[n] = '\0';
			break;
		}
	return 0;
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

static int
get_path(struct sftp *s, struct request *q, struct vpath *vp, char *why,
    size_t whylen)
{
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = sbuf_get_string_direct(q->b, &p, &n)) != 0)
		return r;
	if (vpath_canon(vp, s->cwd, p, n, why, whylen) != 0)
		return SLUICE_EINVAL;
	return 0;
}

/* Parses and discards SFTP v3 attrs. */
static int
skip_attrs(struct sbuf *b)
{
	uint32_t flags, count, i;
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = sbuf_get_u32(b, &flags)) != 0)
		return r;
	if ((flags & ATTR_SIZE) && (r = sbuf_consume(b, 8)) != 0)
		return r;
	if ((flags & ATTR_UIDGID) && (r = sbuf_consume(b, 8)) != 0)
		return r;
	if ((flags & ATTR_PERMISSIONS) && (r = sbuf_consume(b, 4)) != 0)
		return r;
	if ((flags & ATTR_ACMODTIME) && (r = sbuf_consume(b, 8)) != 0)
		return r;
	if (!(flags & ATTR_EXTENDED))
		return 0;
	if ((r = sbuf_get_u32(b, &count)) != 0)
		return r;
	for (i = 0; i < count; i++)
		if ((r = sbuf_get_string_direct(b, &p, &n)) != 0 ||
		    (r = sbuf_get_string_direct(b, &p, &n)) != 0)
			return r;
	return 0;
}

/* ---- handles ---- */

static int
handle_alloc(struct sftp *s, enum handle_kind kind, size_t *idx)
{
	size_t i;

	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		if (s->h[i].kind == H_FREE)
			break;
	if (i == SFTP_MAX_HANDLES)
		return SLUICE_ETOOBIG;
	memset(&s->h[i], 0, sizeof(s->h[i]));
	s->h[i].kind = kind;
	s->h[i].fd = -1;
	s->h[i].lowest = UINT64_MAX;
	s->next_gen = (s->next_gen + 1) & 0xffffffu;
	if (s->next_gen == 0)
		s->next_gen = 1;
	s->h[i].gen = s->next_gen;
	*idx = i;
	return 0;
}

static void
handle_release(struct sftp *s, size_t idx)
{
	struct handle *h = &s->h[idx];

	if (h->fd != -1)
		close(h->fd);
	free(h->prefix);
	sbuf_free(h->dir);
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

static int
put_handle(struct sftp *s, uint32_t id, size_t idx)
{
	uint8_t hs[4];
	size_t start;
	int r;

	sbuf_poke_u32(hs, s->h[idx].gen << 8 | (uint32_t)idx);
	if ((r = pkt_begin(s, SSH_FXP_HANDLE, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, id)) != 0 ||
	    (r = sbuf_put_string(s->out, hs, sizeof(hs))) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

/* Reads a handle string and range-checks it: SLUICE_ENOTFOUND for a handle
 * of the wrong length, out of range, free, stale or of another kind
 * (kind H_FREE accepts files and directories). */
static int
get_handle(struct sftp *s, struct request *q, enum handle_kind kind,
    size_t *idx)
{
	const uint8_t *p;
	size_t n;
	uint32_t v, i;
	int r;

	if ((r = sbuf_get_string_direct(q->b, &p, &n)) != 0)
		return r;
	if (n != 4)
		return SLUICE_ENOTFOUND;
	v = sbuf_peek_u32(p);
	i = v & 0xffu;
	if (i >= SFTP_MAX_HANDLES || s->h[i].kind == H_FREE ||
	    (kind != H_FREE && s->h[i].kind != kind) ||
	    s->h[i].gen != v >> 8)
		return SLUICE_ENOTFOUND;
	*idx = i;
	return 0;
}

/* Tells the engine a file is closed; its status and message come back. */
static int
engine_close(struct sftp *s, struct handle *h, uint32_t *status, char *msg,
    size_t msglen)
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
	if ((r = engine_call(s, IPC_CLOSE, NULL)) != 0)
		return r;
	return engine_status(s, status, msg, msglen);
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
do_realpath(struct sftp *s, struct request *q)
{
	struct vpath vp;
	char why[128];
	size_t start;
	int r;

	if ((r = get_path(s, q, &vp, why, sizeof(why))) != 0)
		return bad_path(s, q, r, why);
	if ((r = pkt_begin(s, SSH_FXP_NAME, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, q->id)) != 0 ||
	    (r = sbuf_put_u32(s->out, 1)) != 0 ||
	    (r = sbuf_put_string(s->out, vp.path, vp.len)) != 0 ||
	    (r = sbuf_put_string(s->out, vp.path, vp.len)) != 0 ||
	    (r = sbuf_put_u32(s->out, 0)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

static int
do_stat(struct sftp *s, struct request *q)
{
	struct vpath vp;
	struct engine_attrs a;
	char why[128], msg[SFTP_MSG_MAX];
	uint32_t status;
	size_t start;
	int r;

	if ((r = get_path(s, q, &vp, why, sizeof(why))) != 0)
		return bad_path(s, q, r, why);
	sbuf_reset(s->req);
	if ((r = sbuf_put_string(s->req, vp.path, vp.len)) != 0 ||
	    (r = engine_call(s, IPC_STAT, NULL)) != 0 ||
	    (r = engine_status(s, &status, msg, sizeof(msg))) != 0)
		return r;
	if (status != SSH_FX_OK)
		return send_status(s, q->id, status, msg);
	if ((r = engine_attrs(s->rep, &a)) != 0)
		return r;
	if ((r = pkt_begin(s, SSH_FXP_ATTRS, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, q->id)) != 0 ||
	    (r = put_attrs(s->out, &a)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

static int
do_fstat(struct sftp *s, struct request *q)
{
	struct engine_attrs a;
	struct handle *h;
	size_t idx, start;
	int r;

	if ((r = get_handle(s, q, H_FILE, &idx)) != 0)
		return r == SLUICE_ENOTFOUND ?
		    send_status(s, q->id, SSH_FX_FAILURE, "invalid handle") : r;
	h = &s->h[idx];
	memset(&a, 0, sizeof(a));
	a.size = (h->flags & IPC_OPEN_WRITE) ? h->highest_end : h->size;
	a.perm = (h->flags & IPC_OPEN_WRITE) ? S_IFREG | 0200 : S_IFREG | 0444;
	if ((r = pkt_begin(s, SSH_FXP_ATTRS, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, q->id)) != 0 ||
	    (r = sbuf_put_u32(s->out, ATTR_SIZE | ATTR_PERMISSIONS)) != 0 ||
	    (r = sbuf_put_u64(s->out, a.size)) != 0 ||
	    (r = sbuf_put_u32(s->out, a.perm)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
}

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

/* "-r--r--r--    1 sluice   sluice       1234 Mar  5 14:07 name" */
static int
put_longname(struct sbuf *b, const uint8_t *name, size_t n,
    const struct engine_attrs *a)
{
	char mode[11], date[32], line[128];
	time_t t = (time_t)a->mtime;
	struct tm tm;
	int len, r;

	mode_string(a->perm, mode);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%b %e %H:%M", &tm) == 0)
		return SLUICE_EINVAL;
	len = snprintf(line, sizeof(line), "%s %4u %-8s %-8s %8llu %s ", mode,
	    1u, "sluice", "sluice", (unsigned long long)a->size, date);
	if (len < 0 || (size_t)len >= sizeof(line))
		return SLUICE_EINVAL;
	if (n > SIZE_MAX - (size_t)len)
		return SLUICE_ETOOBIG;
	if ((r = sbuf_put_u32(b, (uint32_t)((size_t)len + n))) != 0 ||
	    (r = sbuf_put(b, line, (size_t)len)) != 0)
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

/* Turns the engine's READDIR reply into encoded NAME entries on h. */
static int
dir_fill(struct sftp *s, struct handle *h)
{
	struct engine_attrs a;
	const uint8_t *name;
	uint32_t count, i;
	size_t n;
	int r;

	if ((r = sbuf_get_u32(s->rep, &count)) != 0)
		return SLUICE_EPROTO;
	for (i = 0; i < count; i++) {
		if (sbuf_get_string_direct(s->rep, &name, &n) != 0 ||
		    engine_attrs(s->rep, &a) != 0)
			return SLUICE_EPROTO;
		if (!name_ok(name, n)) {
			log_warnx("sftp: engine listed a bad name; skipped");
			continue;
		}
		if ((r = sbuf_put_string(h->dir, name, n)) != 0 ||
		    (r = put_longname(h->dir, name, n, &a)) != 0 ||
		    (r = put_attrs(h->dir, &a)) != 0)
			return r;
		h->dir_left++;
	}
	return 0;
}

static int
do_opendir(struct sftp *s, struct request *q)
{
	struct vpath vp;
	char why[128], msg[SFTP_MSG_MAX];
	uint32_t status;
	size_t idx = SFTP_MAX_HANDLES;
	int r;

	if ((r = get_path(s, q, &vp, why, sizeof(why))) != 0)
		return bad_path(s, q, r, why);
	if (handle_alloc(s, H_DIR, &idx) != 0)
		return send_status(s, q->id, SSH_FX_FAILURE,
		    "too many open handles");
	sbuf_reset(s->req);
	if ((r = sbuf_put_string(s->req, vp.path, vp.len)) != 0 ||
	    (r = engine_call(s, IPC_READDIR, NULL)) != 0 ||
	    (r = engine_status(s, &status, msg, sizeof(msg))) != 0)
		goto out;
	if (status != SSH_FX_OK) {
		handle_release(s, idx);
		idx = SFTP_MAX_HANDLES;
		r = send_status(s, q->id, status, msg);
		goto out;
	}
	if ((s->h[idx].dir = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = dir_fill(s, &s->h[idx])) != 0)
		goto out;
	r = put_handle(s, q->id, idx);
out:
	if (r != 0 && idx != SFTP_MAX_HANDLES)
		handle_release(s, idx);
	return r;
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

static int
do_readdir(struct sftp *s, struct request *q)
{
	struct handle *h;
	size_t idx, start;
	uint32_t i, batch;
	int r;

	if ((r = get_handle(s, q, H_DIR, &idx)) != 0)
		return r == SLUICE_ENOTFOUND ?
		    send_status(s, q->id, SSH_FX_FAILURE, "invalid handle") : r;
	h = &s->h[idx];
	if (h->dir_left == 0)
		return send_status(s, q->id, SSH_FX_EOF, NULL);
	batch = h->dir_left < SFTP_DIR_BATCH ? h->dir_left : SFTP_DIR_BATCH;
	if ((r = pkt_begin(s, SSH_FXP_NAME, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, q->id)) != 0 ||
	    (r = sbuf_put_u32(s->out, batch)) != 0)
		return r;
	for (i = 0; i < batch; i++)
		if ((r = dir_move_one(h->dir, s->out)) != 0)
			return r;
	h->dir_left -= batch;
	pkt_end(s, start);
	return 0;
}

/* Checks the engine's OPEN reply against what was asked. */
static int
open_reply_ok(const struct handle *h, uint32_t pflags, int fd)
{
	int want_write = (pflags & SSH_FXF_WRITE) != 0;

	if (want_write != ((h->flags & IPC_OPEN_WRITE) != 0))
		return 0;
	if (want_write)
		return fd != -1;
	if (h->prefix_len > h->size)
		return 0;
	return (fd != -1) == (h->size != h->prefix_len);
}

static int
open_fill(struct sftp *s, struct handle *h)
{
	const uint8_t *p;
	size_t n;

	if (sbuf_get_u64(s->rep, &h->open_id) != 0 ||
	    sbuf_get_u32(s->rep, &h->flags) != 0 ||
	    sbuf_get_u64(s->rep, &h->size) != 0 ||
	    sbuf_get_string_direct(s->rep, &p, &n) != 0 ||
	    sbuf_get_u64(s->rep, &h->fd_offset) != 0)
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

static int
do_open(struct sftp *s, struct request *q)
{
	struct vpath vp;
	struct handle *h;
	char why[128], msg[SFTP_MSG_MAX];
	uint32_t pflags, status;
	size_t idx = SFTP_MAX_HANDLES;
	int fd = -1, r;

	if ((r = get_path(s, q, &vp, why, sizeof(why))) != 0)
		return r == SLUICE_EINVAL ? bad_path(s, q, r, why) : r;
	if ((r = sbuf_get_u32(q->b, &pflags)) != 0 ||
	    (r = skip_attrs(q->b)) != 0)
		return r;
	if (handle_alloc(s, H_FILE, &idx) != 0)
		return send_status(s, q->id, SSH_FX_FAILURE,
		    "too many open handles");
	h = &s->h[idx];
	sbuf_reset(s->req);
	if ((r = sbuf_put_string(s->req, vp.path, vp.len)) != 0 ||
	    (r = sbuf_put_u32(s->req, pflags)) != 0 ||
	    (r = engine_call(s, IPC_OPEN, &fd)) != 0 ||
	    (r = engine_status(s, &status, msg, sizeof(msg))) != 0)
		goto out;
	if (status != SSH_FX_OK) {
		r = send_status(s, q->id, status, msg);
		goto out;
	}
	if ((r = open_fill(s, h)) != 0)
		goto out;
	if (!open_reply_ok(h, pflags, fd)) {
		log_warnx("sftp: engine's open reply does not fit the request");
		(void)engine_close(s, h, &status, msg, sizeof(msg));
		r = SLUICE_EPROTO;
		goto out;
	}
	h->fd = fd;
	fd = -1;
	h->gate_gen = ipc_generation(s->sh);
	h->gate_ms = now_ms(s);
	if ((r = put_handle(s, q->id, idx)) != 0)
		goto out;
	idx = SFTP_MAX_HANDLES;
out:
	if (fd != -1)
		close(fd);
	if (idx != SFTP_MAX_HANDLES)
		handle_release(s, idx);
	return r;
}

/* Re-asks the gate when the shared generation moved or a second passed.
 * Returns 0 when serving may go on, 1 when denied (h->denied_msg set). */
static int
gate_check(struct sftp *s, struct handle *h, int *denied)
{
	uint64_t gen = ipc_generation(s->sh), now = now_ms(s);
	uint32_t status;
	int r;

	*denied = h->denied;
	if (h->denied || !(h->flags & IPC_OPEN_GATED))
		return 0;
	if (gen == h->gate_gen && now - h->gate_ms < SFTP_GATE_MS)
		return 0;
	sbuf_reset(s->req);
	if ((r = sbuf_put_u64(s->req, h->open_id)) != 0 ||
	    (r = engine_call(s, IPC_GATE, NULL)) != 0 ||
	    (r = engine_status(s, &status, h->denied_msg,
	    sizeof(h->denied_msg))) != 0)
		return r;
	h->gate_gen = gen;
	h->gate_ms = now;
	if (status != 0) {
		h->denied = *denied = 1;
		if (h->denied_msg[0] == '\0')
			(void)snprintf(h->denied_msg, sizeof(h->denied_msg),
			    "access denied");
	}
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

/* Copies file bytes [off, off+n) into dst: the prefix, then the fd. */
static int
read_bytes(struct handle *h, uint8_t *dst, uint64_t off, size_t n)
{
	size_t k;
	ssize_t got;

	if (off < h->prefix_len) {
		k = h->prefix_len - (size_t)off;
		if (k > n)
			k = n;
		memcpy(dst, h->prefix + off, k);
		dst += k;
		off += k;
		n -= k;
	}
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

static int
do_read(struct sftp *s, struct request *q)
{
	struct handle *h;
	uint64_t off;
	uint32_t len;
	size_t idx, start;
	uint8_t *dst;
	int denied, r;

	if ((r = get_handle(s, q, H_FILE, &idx)) != 0)
		return r == SLUICE_ENOTFOUND ?
		    send_status(s, q->id, SSH_FX_FAILURE, "invalid handle") : r;
	if ((r = sbuf_get_u64(q->b, &off)) != 0 ||
	    (r = sbuf_get_u32(q->b, &len)) != 0)
		return r;
	h = &s->h[idx];
	if (h->flags & IPC_OPEN_WRITE)
		return send_status(s, q->id, SSH_FX_PERMISSION_DENIED,
		    "file is open for writing");
	if ((r = gate_check(s, h, &denied)) != 0)
		return r;
	if (denied)
		return send_status(s, q->id, SSH_FX_PERMISSION_DENIED,
		    h->denied_msg);
	if (off >= h->size) {
		h->reached_eof = 1;
		return send_status(s, q->id, SSH_FX_EOF, NULL);
	}
	if (len > SFTP_MAX_READ)
		len = SFTP_MAX_READ;
	if (len > h->size - off)
		len = (uint32_t)(h->size - off);
	if ((r = pkt_begin(s, SSH_FXP_DATA, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, q->id)) != 0 ||
	    (r = sbuf_put_u32(s->out, len)) != 0 ||
	    (r = sbuf_reserve(s->out, len, &dst)) != 0)
		return r;
	if (read_bytes(h, dst, off, len) != 0) {
		pkt_abort(s, start);
		log_warnx("sftp: reading open %llu failed",
		    (unsigned long long)h->open_id);
		return send_status(s, q->id, SSH_FX_FAILURE, "read failed");
	}
	pkt_end(s, start);
	note_range(h, off, len);
	if (off + len == h->size)
		h->reached_eof = 1;
	return 0;
}

static int
do_write(struct sftp *s, struct request *q)
{
	struct handle *h;
	const uint8_t *p;
	uint64_t off, cap;
	size_t idx, n, done = 0;
	ssize_t w;
	int r;

	if ((r = get_handle(s, q, H_FILE, &idx)) != 0)
		return r == SLUICE_ENOTFOUND ?
		    send_status(s, q->id, SSH_FX_FAILURE, "invalid handle") : r;
	if ((r = sbuf_get_u64(q->b, &off)) != 0 ||
	    (r = sbuf_get_string_direct(q->b, &p, &n)) != 0)
		return r;
	h = &s->h[idx];
	if (!(h->flags & IPC_OPEN_WRITE))
		return send_status(s, q->id, SSH_FX_PERMISSION_DENIED,
		    "file is read-only");
	/* The engine names the cap of a write open in its size (what is left
	 * of the inbox, or the certificate limit); SFTP_MAX_UPLOAD otherwise. */
	cap = h->size != 0 ? h->size : SFTP_MAX_UPLOAD;
	if (off > cap || n > cap - off)
		return send_status(s, q->id, SSH_FX_FAILURE,
		    "upload too large for the limit");
	while (done < n) {
		w = pwrite(h->fd, p + done, n - done, (off_t)(off + done));
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return send_status(s, q->id, SSH_FX_FAILURE,
			    "write failed");
		done += (size_t)w;
	}
	note_range(h, off, n);
	return send_status(s, q->id, SSH_FX_OK, NULL);
}

static int
do_close(struct sftp *s, struct request *q)
{
	char msg[SFTP_MSG_MAX];
	uint32_t status;
	size_t idx;
	int r;

	if ((r = get_handle(s, q, H_FREE, &idx)) == SLUICE_ENOTFOUND)
		return send_status(s, q->id, SSH_FX_FAILURE, "invalid handle");
	if (r != 0)
		return r;
	if (s->h[idx].kind == H_DIR) {
		handle_release(s, idx);
		return send_status(s, q->id, SSH_FX_OK, NULL);
	}
	r = engine_close(s, &s->h[idx], &status, msg, sizeof(msg));
	handle_release(s, idx);
	if (r != 0)
		return r;
	return send_status(s, q->id, status, msg);
}

static int
do_remove(struct sftp *s, struct request *q)
{
	struct vpath vp;
	char why[128], msg[SFTP_MSG_MAX];
	uint32_t status;
	int r;

	if ((r = get_path(s, q, &vp, why, sizeof(why))) != 0)
		return bad_path(s, q, r, why);
	sbuf_reset(s->req);
	if ((r = sbuf_put_string(s->req, vp.path, vp.len)) != 0 ||
	    (r = engine_call(s, IPC_REMOVE, NULL)) != 0 ||
	    (r = engine_status(s, &status, msg, sizeof(msg))) != 0)
		return r;
	return send_status(s, q->id, status, msg);
}

static int
do_extended(struct sftp *s, struct request *q)
{
	const uint8_t *name;
	size_t n, start;
	int r;

	if ((r = sbuf_get_string_direct(q->b, &name, &n)) != 0)
		return r;
	if (n != strlen("limits@openssh.com") ||
	    memcmp(name, "limits@openssh.com", n) != 0)
		return send_status(s, q->id, SSH_FX_OP_UNSUPPORTED, NULL);
	if ((r = pkt_begin(s, SSH_FXP_EXTENDED_REPLY, &start)) != 0 ||
	    (r = sbuf_put_u32(s->out, q->id)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_ADV_MAX_PACKET)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_MAX_READ)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_MAX_READ)) != 0 ||
	    (r = sbuf_put_u64(s->out, SFTP_MAX_HANDLES)) != 0)
		return r;
	pkt_end(s, start);
	return 0;
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
 * that change the tree. */
static const struct sftp_handler {
	uint8_t	 type;
	int	 writes;
	int	(*fn)(struct sftp *, struct request *);
} handlers[] = {
	{ SSH_FXP_OPEN,		0, do_open },	/* the engine judges pflags */
	{ SSH_FXP_CLOSE,	0, do_close },
	{ SSH_FXP_READ,		0, do_read },
	{ SSH_FXP_WRITE,	1, do_write },
	{ SSH_FXP_LSTAT,	0, do_stat },
	{ SSH_FXP_FSTAT,	0, do_fstat },
	{ SSH_FXP_SETSTAT,	1, do_refuse },
	{ SSH_FXP_FSETSTAT,	1, do_refuse },
	{ SSH_FXP_OPENDIR,	0, do_opendir },
	{ SSH_FXP_READDIR,	0, do_readdir },
	{ SSH_FXP_REMOVE,	1, do_remove },
	{ SSH_FXP_MKDIR,	1, do_refuse },
	{ SSH_FXP_RMDIR,	1, do_refuse },
	{ SSH_FXP_REALPATH,	0, do_realpath },
	{ SSH_FXP_STAT,		0, do_stat },
	{ SSH_FXP_RENAME,	1, do_refuse },
	{ SSH_FXP_READLINK,	0, do_unsupported },
	{ SSH_FXP_SYMLINK,	1, do_refuse },
	{ SSH_FXP_EXTENDED,	0, do_extended },
};

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

static int
dispatch(struct sftp *s, struct sbuf *pkt)
{
	struct request q;
	uint8_t type;
	size_t i, mark;
	int r;

	if (sbuf_get_u8(pkt, &type) != 0)
		return SLUICE_EPROTO;
	if (type == SSH_FXP_INIT)
		return do_init(s, pkt);
	if (!s->inited || sbuf_get_u32(pkt, &q.id) != 0)
		return SLUICE_EPROTO;
	q.b = pkt;
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (handlers[i].type == type)
			break;
	if (i == sizeof(handlers) / sizeof(handlers[0]))
		return send_status(s, q.id, SSH_FX_OP_UNSUPPORTED, NULL);
	if (handlers[i].writes)
		log_debug("sftp: request %u changes the tree", type);
	mark = sbuf_len(s->out);
	if ((r = handlers[i].fn(s, &q)) != 0)
		out_rewind(s, mark);
	if (r == SLUICE_EFORMAT)
		r = send_status(s, q.id, SSH_FX_BAD_MESSAGE,
		    "malformed request");
	return r;
}

int
sftp_pending(const struct sftp *s)
{
	size_t have = sbuf_len(s->in);

	return have >= 4 && have - 4 >= sbuf_peek_u32(sbuf_ptr(s->in));
}

int
sftp_run(struct sftp *s, size_t out_limit)
{
	struct sbuf pkt;
	uint32_t plen;
	int r;

	while (sbuf_len(s->out) < out_limit && sbuf_len(s->in) >= 4) {
		plen = sbuf_peek_u32(sbuf_ptr(s->in));
		if (plen > SFTP_MAX_PACKET || plen == 0)
			return plen == 0 ? SLUICE_EPROTO : SLUICE_ETOOBIG;
		if (sbuf_len(s->in) - 4 < plen)
			break;
		sbuf_view(&pkt, sbuf_ptr(s->in) + 4, plen);
		if ((r = dispatch(s, &pkt)) != 0)
			return r;
		if ((r = sbuf_consume(s->in, 4 + (size_t)plen)) != 0)
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
sftp_output(struct sftp *s)
{
	return s->out;
}

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
	if ((s->in = sbuf_new()) == NULL || (s->out = sbuf_new()) == NULL ||
	    (s->req = sbuf_new()) == NULL || (s->rep = sbuf_new()) == NULL) {
		sftp_free(s);
		return NULL;
	}
	return s;
}

void
sftp_free(struct sftp *s)
{
	char msg[SFTP_MSG_MAX];
	uint32_t status;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SFTP_MAX_HANDLES; i++) {
		if (s->h[i].kind == H_FILE && s->req != NULL && s->rep != NULL)
			(void)engine_close(s, &s->h[i], &status, msg,
			    sizeof(msg));
		if (s->h[i].kind != H_FREE)
			handle_release(s, i);
	}
	sbuf_free(s->in);
	sbuf_free(s->out);
	sbuf_free(s->req);
	sbuf_free(s->rep);
	free(s);
}
