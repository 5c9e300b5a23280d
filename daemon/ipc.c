#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "sluice/clock.h"
#include "sluice/error.h"

struct ipc_shared *
ipc_shared_create(void)
{
	void *p;

	p = mmap(NULL, sizeof(struct ipc_shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct ipc_shared));
	return p;
}

uint64_t
ipc_generation(const struct ipc_shared *s)
{
	return s == NULL ? 0 : __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);
}

void
ipc_generation_bump(struct ipc_shared *s)
{
	if (s != NULL)
		__atomic_add_fetch(&s->generation, 1, __ATOMIC_RELEASE);
}

/* ---- framing: u32 type, u32 body length, both network order ---- */

#define IPC_HEADER_LEN	8

static void
frame_header(uint8_t hdr[IPC_HEADER_LEN], uint32_t type, uint32_t len)
{
	sbuf_poke_u32(hdr, type);
	sbuf_poke_u32(hdr + 4, len);
}

static int
frame_parse(const uint8_t hdr[IPC_HEADER_LEN], uint32_t *type, uint32_t *len)
{
	*type = sbuf_peek_u32(hdr);
	*len = sbuf_peek_u32(hdr + 4);
	return *len > IPC_MAX_BODY ? SLUICE_EPROTO : 0;
}

/* ---- the socket: one sendmsg/recvmsg at a time ---- */

/* Room for the control data of one passed descriptor. */
union cmsg_space {
	struct cmsghdr	 hdr;
	char		 buf[CMSG_SPACE(sizeof(int))];
};

/* A message over the n bytes at p; with cb, room for one descriptor. */
static void
msg_setup(struct msghdr *msg, struct iovec *iov, void *p, size_t n,
    union cmsg_space *cb)
{
	memset(msg, 0, sizeof(*msg));
	iov->iov_base = p;
	iov->iov_len = n;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	if (cb == NULL)
		return;
	memset(cb, 0, sizeof(*cb));
	msg->msg_control = cb->buf;
	msg->msg_controllen = sizeof(cb->buf);
}

static void
msg_put_fd(struct msghdr *msg, int fd)
{
	struct cmsghdr *c = CMSG_FIRSTHDR(msg);

	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

/* True for control data that carries exactly one descriptor. */
static int
cmsg_one_fd(const struct cmsghdr *c, int *fd)
{
	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return 0;
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 1;
}

/* Collects the descriptor passed with the bytes just received: at most one
 * per message, and only when the caller takes one (fd not NULL); any other
 * is closed and fails the call, as does truncated control data. */
static int
msg_take_fd(struct msghdr *msg, int *fd)
{
	struct cmsghdr *c;
	int rfd;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (!cmsg_one_fd(c, &rfd))
			continue;
		if (fd == NULL || *fd != -1) {
			close(rfd);
			return SLUICE_EPROTO;
		}
		*fd = rfd;
	}
	return (msg->msg_flags & MSG_CTRUNC) ? SLUICE_EPROTO : 0;
}

/* One sendmsg, retried on EINTR; *sent > 0 bytes went out. */
static int
send_step(int sock, const struct msghdr *msg, size_t *sent)
{
	ssize_t w;

	do {
		w = sendmsg(sock, msg, MSG_NOSIGNAL);
	} while (w == -1 && errno == EINTR);
	if (w <= 0)
		return SLUICE_EIO;
	*sent = (size_t)w;
	return 0;
}

/* One recvmsg, retried on EINTR; *got > 0 bytes came in. SLUICE_EIO with
 * errno 0 when the peer closed. */
static int
recv_step(int sock, struct msghdr *msg, size_t *got)
{
	ssize_t n;

	do {
		n = recvmsg(sock, msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = 0;
	if (n <= 0)
		return SLUICE_EIO;
	*got = (size_t)n;
	return 0;
}

/* Sends all n bytes; fd (-1 for none) goes with the first of them. */
static int
send_all(int sock, const uint8_t *p, size_t n, int fd)
{
	struct msghdr msg;
	struct iovec iov;
	union cmsg_space cb;
	size_t sent;
	int r;

	for (; n > 0; p += sent, n -= sent, fd = -1) {
		msg_setup(&msg, &iov, (void *)(uintptr_t)p, n,
		    fd == -1 ? NULL : &cb);
		if (fd != -1)
			msg_put_fd(&msg, fd);
		if ((r = send_step(sock, &msg, &sent)) != 0)
			return r;
	}
	return 0;
}

/* Receives exactly n bytes. With cb, the control data is read too and a
 * passed descriptor goes to *fd (msg_take_fd); without, the kernel drops
 * any descriptor, as for plain recv(). */
static int
recv_all(int sock, uint8_t *p, size_t n, union cmsg_space *cb, int *fd)
{
	struct msghdr msg;
	struct iovec iov;
	size_t got;
	int r;

	for (; n > 0; p += got, n -= got) {
		msg_setup(&msg, &iov, p, n, cb);
		if ((r = recv_step(sock, &msg, &got)) != 0)
			return r;
		if (cb != NULL && (r = msg_take_fd(&msg, fd)) != 0)
			return r;
	}
	return 0;
}

/* Closes a received descriptor the caller will not get. */
static void
drop_fd(int *fd)
{
	if (fd != NULL && *fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* ---- messages ---- */

int
ipc_send(int sock, uint32_t type, const struct sbuf *body, int fd)
{
	uint8_t hdr[IPC_HEADER_LEN];
	size_t len = body == NULL ? 0 : sbuf_len(body);
	int r;

	if (len > IPC_MAX_BODY)
		return SLUICE_ETOOBIG;
	frame_header(hdr, type, (uint32_t)len);
	if ((r = send_all(sock, hdr, sizeof(hdr), fd)) != 0)
		return r;
	return len == 0 ? 0 : send_all(sock, sbuf_ptr(body), len, -1);
}

int
ipc_recv(int sock, uint32_t *type, struct sbuf *body, int *fd)
{
	union cmsg_space cb;
	uint8_t hdr[IPC_HEADER_LEN], *dst;
	uint32_t len;
	int r;

	if (fd != NULL)
		*fd = -1;
	sbuf_reset(body);
	/* A descriptor travels with the header only. */
	if ((r = recv_all(sock, hdr, sizeof(hdr), &cb, fd)) == 0 &&
	    (r = frame_parse(hdr, type, &len)) == 0 &&
	    (r = sbuf_reserve(body, len, &dst)) == 0)
		r = recv_all(sock, dst, len, NULL, NULL);
	if (r != 0)
		drop_fd(fd);
	return r;
}

int
ipc_call(int sock, uint32_t type, const struct sbuf *req, int req_fd,
    struct sbuf *reply, int *reply_fd)
{
	uint32_t rtype;
	int r;

	if ((r = ipc_send(sock, type, req, req_fd)) != 0 ||
	    (r = ipc_recv(sock, &rtype, reply, reply_fd)) != 0)
		return r;
	if (rtype != (type | IPC_REPLY)) {
		drop_fd(reply_fd);
		return SLUICE_EPROTO;
	}
	return 0;
}

/* ---- the engine's side: struct ipc_peer ---- */

#define PEER_READ_STEP		(64u * 1024)	/* bytes per recvmsg */
#define PEER_READ_BUDGET	(256u * 1024)	/* bytes per ipc_peer_read() */

/* One queued message, or for a stream, its pieces over one buffer. */
struct ipc_out {
	struct ipc_out	*next;
	uint32_t	 type;
	struct sbuf	*body;		/* owned; NULL: none */
	int		 stream;	/* pieces of IPC_STREAM_CHUNK */
	int		 fd;		/* goes with the first header; -1 */
	int		 framed;	/* hdr and the counts below are set */
	uint8_t		 hdr[IPC_HEADER_LEN];
	size_t		 hdr_left;	/* header bytes of this message unsent */
	size_t		 body_left;	/* body bytes of this message unsent */
};

struct ipc_queue {
	struct ipc_out	*head, *tail;
};

struct ipc_peer {
	int		 fd;
	size_t		 max_body;
	int		 take_fds;
	uint64_t	 deadline_ms;
	/* the message coming in */
	uint8_t		 hdr[IPC_HEADER_LEN];
	size_t		 hdr_got;
	size_t		 in_left;	/* body bytes still to come */
	struct sbuf	*in;
	int		 in_fd;
	uint64_t	 in_since;	/* its first byte; 0: none under way */
	/* going out: the urgent queue at the next message boundary, ahead
	 * of the rest (a stream yields between its pieces) */
	struct ipc_queue out, urgent;
};

int
ipc_peer_new(int fd, struct ipc_peer **out)
{
	int fl;

	*out = NULL;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return SLUICE_EIO;
	return ipc_peer_new_shared(fd, out);
}

int
ipc_peer_new_shared(int fd, struct ipc_peer **out)
{
	struct ipc_peer *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SLUICE_ENOMEM;
	if ((p->in = sbuf_new()) == NULL) {
		free(p);
		return SLUICE_ENOMEM;
	}
	p->fd = fd;
	p->in_fd = -1;
	ipc_peer_limits(p, IPC_MAX_BODY, 0, IPC_PEER_DEADLINE_MS);
	*out = p;
	return 0;
}

void
ipc_peer_limits(struct ipc_peer *p, size_t max_body, int take_fds,
    uint64_t deadline_ms)
{
	p->max_body = max_body < IPC_MAX_BODY ? max_body : IPC_MAX_BODY;
	p->take_fds = take_fds;
	p->deadline_ms = deadline_ms;
}

int
ipc_peer_fd(const struct ipc_peer *p)
{
	return p->fd;
}

static void
out_free(struct ipc_out *o)
{
	sbuf_free(o->body);
	if (o->fd != -1)
		close(o->fd);
	free(o);
}

static void
queue_free(struct ipc_queue *q)
{
	struct ipc_out *o;

	while ((o = q->head) != NULL) {
		q->head = o->next;
		out_free(o);
	}
	q->tail = NULL;
}

void
ipc_peer_free(struct ipc_peer *p)
{
	if (p == NULL)
		return;
	queue_free(&p->out);
	queue_free(&p->urgent);
	if (p->in_fd != -1)
		close(p->in_fd);
	sbuf_free(p->in);
	close(p->fd);
	free(p);
}

/* ---- ipc_peer: reading ---- */

/* One recvmsg into buf[0..n): *got bytes, 0 when the socket holds nothing
 * for now. A descriptor is taken only with a header (hdr), by a peer that
 * takes them, one per message; any other fails the peer. */
static int
peer_recv(struct ipc_peer *p, uint8_t *buf, size_t n, int hdr, size_t *got)
{
	struct msghdr msg;
	struct iovec iov;
	union cmsg_space cb;
	ssize_t k;

	*got = 0;
	msg_setup(&msg, &iov, buf, n, &cb);
	do {
		k = recvmsg(p->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (k == -1 && errno == EINTR);
	if (k == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (k == 0)
		errno = 0;
	if (k <= 0)
		return SLUICE_EIO;
	*got = (size_t)k;
	return msg_take_fd(&msg, hdr && p->take_fds ? &p->in_fd : NULL);
}

/* More of the header; once whole, its length is checked. */
static int
peer_read_header(struct ipc_peer *p, size_t *got)
{
	uint32_t len;
	int r;

	if ((r = peer_recv(p, p->hdr + p->hdr_got, IPC_HEADER_LEN - p->hdr_got,
	    1, got)) != 0 || *got == 0)
		return r;
	if (p->hdr_got == 0)
		p->in_since = sluice_monotonic_ms();
	if ((p->hdr_got += *got) < IPC_HEADER_LEN)
		return 0;
	len = sbuf_peek_u32(p->hdr + 4);
	if (len > p->max_body)
		return SLUICE_EPROTO;
	p->in_left = len;
	return 0;
}

/* More of the body, never past its end: the next message's bytes (and
 * descriptor) stay in the socket. */
static int
peer_read_body(struct ipc_peer *p, size_t *got)
{
	uint8_t buf[PEER_READ_STEP];
	size_t n = p->in_left < sizeof(buf) ? p->in_left : sizeof(buf);
	int r;

	if ((r = peer_recv(p, buf, n, 0, got)) != 0 || *got == 0)
		return r;
	p->in_left -= *got;
	return sbuf_put(p->in, buf, *got);
}

/* Hands over the message assembled; the peer starts afresh. */
static int
peer_deliver(struct ipc_peer *p, uint32_t *type, struct sbuf *body, int *fd)
{
	int r;

	sbuf_reset(body);
	if ((r = sbuf_put(body, sbuf_ptr(p->in), sbuf_len(p->in))) != 0)
		return r;
	*type = sbuf_peek_u32(p->hdr);
	if (fd != NULL)
		*fd = p->in_fd;
	else if (p->in_fd != -1)
		close(p->in_fd);
	p->in_fd = -1;
	p->hdr_got = 0;
	p->in_since = 0;
	sbuf_reset(p->in);
	return 1;
}

int
ipc_peer_read(struct ipc_peer *p, uint32_t *type, struct sbuf *body, int *fd)
{
	size_t budget = PEER_READ_BUDGET, got;
	int r;

	if (fd != NULL)
		*fd = -1;
	for (;;) {
		if (p->hdr_got == IPC_HEADER_LEN && p->in_left == 0)
			return peer_deliver(p, type, body, fd);
		if (budget == 0)
			return 0;
		r = p->hdr_got < IPC_HEADER_LEN ? peer_read_header(p, &got) :
		    peer_read_body(p, &got);
		if (r != 0 || got == 0)
			return r;
		budget -= got < budget ? got : budget;
	}
}

uint64_t
ipc_peer_deadline(const struct ipc_peer *p)
{
	return p->in_since == 0 ? 0 : p->in_since + p->deadline_ms;
}

int
ipc_peer_late(const struct ipc_peer *p, uint64_t now_ms)
{
	uint64_t d = ipc_peer_deadline(p);

	return d != 0 && now_ms >= d;
}

/* ---- ipc_peer: writing ---- */

/* Links a new entry at q's tail; body and fd are freed if it cannot. */
static int
peer_append(struct ipc_queue *q, uint32_t type, struct sbuf *body, int fd,
    int stream)
{
	struct ipc_out *o;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		sbuf_free(body);
		if (fd != -1)
			close(fd);
		return SLUICE_ENOMEM;
	}
	o->type = type;
	o->body = body;
	o->fd = fd;
	o->stream = stream;
	if (q->tail != NULL)
		q->tail->next = o;
	else
		q->head = o;
	q->tail = o;
	return 0;
}

/* One whole message (not a stream) for q. */
static int
peer_queue_one(struct ipc_queue *q, uint32_t type, struct sbuf *body, int fd)
{
	if (body != NULL && sbuf_len(body) > IPC_MAX_BODY) {
		sbuf_free(body);
		if (fd != -1)
			close(fd);
		return SLUICE_ETOOBIG;
	}
	return peer_append(q, type, body, fd, 0);
}

int
ipc_peer_queue(struct ipc_peer *p, uint32_t type, struct sbuf *body, int fd)
{
	return peer_queue_one(&p->out, type, body, fd);
}

int
ipc_peer_queue_urgent(struct ipc_peer *p, uint32_t type, struct sbuf *body,
    int fd)
{
	return peer_queue_one(&p->urgent, type, body, fd);
}

int
ipc_peer_queue_stream(struct ipc_peer *p, uint32_t type, struct sbuf *data)
{
	if (data == NULL || sbuf_len(data) == 0) {
		sbuf_free(data);
		return 0;
	}
	return peer_append(&p->out, type, data, -1, 1);
}

int
ipc_peer_pending(const struct ipc_peer *p)
{
	return p->out.head != NULL || p->urgent.head != NULL;
}

/* Frames o's next message: its header, and how much of the body it takes. */
static void
out_frame(struct ipc_out *o)
{
	size_t left = o->body == NULL ? 0 : sbuf_len(o->body);

	if (o->stream && left > IPC_STREAM_CHUNK)
		left = IPC_STREAM_CHUNK;
	o->body_left = left;
	frame_header(o->hdr, o->type, (uint32_t)left);
	o->hdr_left = IPC_HEADER_LEN;
	o->framed = 1;
}

/* What is left of o's message; a descriptor goes with its header alone. */
static int
out_iov(struct ipc_out *o, struct iovec iov[2])
{
	int n = 0;

	if (o->hdr_left > 0) {
		iov[n].iov_base = o->hdr + IPC_HEADER_LEN - o->hdr_left;
		iov[n++].iov_len = o->hdr_left;
	}
	if (o->body_left > 0 && o->fd == -1) {
		iov[n].iov_base = (void *)(uintptr_t)sbuf_ptr(o->body);
		iov[n++].iov_len = o->body_left;
	}
	return n;
}

/* One non-blocking sendmsg of o's message: *sent bytes, 0 when the socket
 * is full. */
static int
out_send(int sock, struct ipc_out *o, size_t *sent)
{
	struct msghdr msg;
	struct iovec iov[2];
	union cmsg_space cb;
	ssize_t w;

	*sent = 0;
	msg_setup(&msg, iov, NULL, 0, o->fd == -1 ? NULL : &cb);
	msg.msg_iovlen = (size_t)out_iov(o, iov);
	if (o->fd != -1)
		msg_put_fd(&msg, o->fd);
	do {
		w = sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (w == -1 && errno == EINTR);
	if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (w <= 0)
		return SLUICE_EIO;
	*sent = (size_t)w;
	return 0;
}

/* Counts sent bytes against o: 1 when o is all out (a stream: its last
 * piece). The descriptor went with the header's first byte. */
static int
out_advance(struct ipc_out *o, size_t sent)
{
	size_t h = sent < o->hdr_left ? sent : o->hdr_left;

	if (h > 0 && o->fd != -1) {
		close(o->fd);
		o->fd = -1;
	}
	o->hdr_left -= h;
	o->body_left -= sent - h;
	if (sent > h)	/* at most body_left: it cannot fail */
		(void)!sbuf_consume(o->body, sent - h);
	if (o->hdr_left > 0 || o->body_left > 0)
		return 0;
	o->framed = 0;
	return !o->stream || sbuf_len(o->body) == 0;
}

/* The queue whose head goes next: the urgent one between two messages
 * (or two pieces of a stream), else the one under way; NULL: all out. */
static struct ipc_queue *
peer_next(struct ipc_peer *p)
{
	if (p->urgent.head != NULL &&
	    (p->out.head == NULL || !p->out.head->framed))
		return &p->urgent;
	return p->out.head != NULL ? &p->out : NULL;
}

int
ipc_peer_flush(struct ipc_peer *p)
{
	struct ipc_queue *q;
	struct ipc_out *o;
	size_t sent;
	int r;

	while ((q = peer_next(p)) != NULL) {
		o = q->head;
		if (!o->framed)
			out_frame(o);
		if ((r = out_send(p->fd, o, &sent)) != 0 || sent == 0)
			return r;
		if (!out_advance(o, sent))
			continue;
		if ((q->head = o->next) == NULL)
			q->tail = NULL;
		out_free(o);
	}
	return 0;
}
