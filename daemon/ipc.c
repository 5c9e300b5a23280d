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

static int
write_all(int sock, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(sock, p, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return SLUICE_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_header(int sock, const uint8_t hdr[8], int fd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	ssize_t w;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)hdr;
	iov.iov_len = 8;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do {
		w = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (w == -1 && errno == EINTR);
	if (w <= 0)
		return SLUICE_EIO;
	if (w < 8)
		return write_all(sock, hdr + w, 8 - (size_t)w);
	return 0;
}

int
ipc_send(int sock, uint32_t type, const struct sbuf *body, int fd)
{
	uint8_t hdr[8];
	size_t len = body == NULL ? 0 : sbuf_len(body);
	int r;

	if (len > IPC_MAX_BODY)
		return SLUICE_ETOOBIG;
	sbuf_poke_u32(hdr, type);
	sbuf_poke_u32(hdr + 4, (uint32_t)len);
	if ((r = send_header(sock, hdr, fd)) != 0)
		return r;
	return len == 0 ? 0 : write_all(sock, sbuf_ptr(body), len);
}

/* Reads the 8-byte header, collecting at most one passed descriptor. */
static int
recv_header(int sock, uint8_t hdr[8], int *fd)
{
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr *cmsg;
	size_t got = 0;
	ssize_t n;
	int rfd;

	while (got < 8) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = hdr + got;
		iov.iov_len = 8 - got;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0;
		if (n <= 0)
			return SLUICE_EIO;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
		    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			if (cmsg->cmsg_level != SOL_SOCKET ||
			    cmsg->cmsg_type != SCM_RIGHTS ||
			    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
				continue;
			memcpy(&rfd, CMSG_DATA(cmsg), sizeof(int));
			if (fd == NULL || *fd != -1) {
				close(rfd);
				return SLUICE_EPROTO;
			}
			*fd = rfd;
		}
		if (msg.msg_flags & MSG_CTRUNC)
			return SLUICE_EPROTO;
		got += (size_t)n;
	}
	return 0;
}

static int
read_all(int sock, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = recv(sock, p, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			errno = 0;
		if (r <= 0)
			return SLUICE_EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
ipc_recv(int sock, uint32_t *type, struct sbuf *body, int *fd)
{
	uint8_t hdr[8], *dst;
	uint32_t len;
	int r;

	if (fd != NULL)
		*fd = -1;
	sbuf_reset(body);
	if ((r = recv_header(sock, hdr, fd)) != 0)
		goto out;
	*type = sbuf_peek_u32(hdr);
	len = sbuf_peek_u32(hdr + 4);
	if (len > IPC_MAX_BODY) {
		r = SLUICE_EPROTO;
		goto out;
	}
	if ((r = sbuf_reserve(body, len, &dst)) != 0)
		goto out;
	r = read_all(sock, dst, len);
out:
	if (r != 0 && fd != NULL && *fd != -1) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

int
ipc_call(int sock, uint32_t type, const struct sbuf *req, int req_fd,
    struct sbuf *reply, int *reply_fd)
{
	uint32_t rtype;
	int r;

	if ((r = ipc_send(sock, type, req, req_fd)) != 0)
		return r;
	if ((r = ipc_recv(sock, &rtype, reply, reply_fd)) != 0)
		return r;
	if (rtype != (type | IPC_REPLY)) {
		if (reply_fd != NULL && *reply_fd != -1) {
			close(*reply_fd);
			*reply_fd = -1;
		}
		return SLUICE_EPROTO;
	}
	return 0;
}
