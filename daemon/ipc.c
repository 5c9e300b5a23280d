#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
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
