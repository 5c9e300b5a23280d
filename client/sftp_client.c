#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "sftp_client.h"

#define RX_CAP		(2u * 1024 * 1024)	/* also the SSH window asked for */
#define HANDLE_MAX	256u			/* v3: handles are at most 256 bytes */
#define MAX_EXTENDED	64u			/* extended attribute pairs we skip */
#define HEAD_FIRST	4096u			/* a head's first READ */
#define FEED_BUF	(1024u * 1024)		/* a local copy, handed on */
#define LIMITS_EXT	"limits@openssh.com"

struct sftp_client {
	struct sftp_io	 io;
	uint32_t	 next_id;
	uint32_t	 read_len;	/* bytes asked for per READ */
	struct sbuf	*tx;
	uint8_t		*rx;
	size_t		 rx_off, rx_len;
};

struct sftp_handle {
	uint8_t		 h[HANDLE_MAX];
	size_t		 len;
};

/* One reply, viewed in place in the receive buffer. */
struct sftp_reply {
	uint8_t		 type;
	uint32_t	 id;
	struct sbuf	 body;
};

/* An outstanding READ or WRITE. */
struct sftp_req {
	int		 used;
	uint32_t	 id;
	uint64_t	 off;
	uint32_t	 len;
};

/* --- framing ------------------------------------------------------------ */

static int
pkt_begin(struct sftp_client *c, uint8_t type, uint32_t *id)
{
	int r;

	sbuf_reset(c->tx);
	if ((r = sbuf_put_u32(c->tx, 0)) != 0 ||
	    (r = sbuf_put_u8(c->tx, type)) != 0)
		return r;
	if (id == NULL)
		return 0;
	*id = c->next_id++;
	return sbuf_put_u32(c->tx, *id);
}

static int
pkt_send(struct sftp_client *c)
{
	uint8_t *p = (uint8_t *)(uintptr_t)sbuf_ptr(c->tx);
	size_t n = sbuf_len(c->tx);

	if (n < 5 || n - 4 > UINT32_MAX)
		return SLUICE_EINVAL;
	sbuf_poke_u32(p, (uint32_t)(n - 4));
	return c->io.write(c->io.ctx, p, n);
}

/* Makes at least need bytes available at c->rx + c->rx_off. */
static int
rx_fill(struct sftp_client *c, size_t need)
{
	long n;

	while (c->rx_len - c->rx_off < need) {
		if (c->rx_off == c->rx_len)
			c->rx_off = c->rx_len = 0;
		else if (RX_CAP - c->rx_len < SFTP_MAX_PACKET + 4) {
			memmove(c->rx, c->rx + c->rx_off, c->rx_len - c->rx_off);
			c->rx_len -= c->rx_off;
			c->rx_off = 0;
		}
		n = c->io.read(c->io.ctx, c->rx + c->rx_len, RX_CAP - c->rx_len);
		if (n < 0)
			return SLUICE_EIO;
		if (n == 0)
			return SLUICE_EPROTO;
		if ((size_t)n > RX_CAP - c->rx_len)
			return SLUICE_EIO;
		c->rx_len += (size_t)n;
	}
	return 0;
}

/* rx_fill, with the reason a short read gives. */
static int
rx_need(struct sftp_client *c, size_t n, char *why, size_t whylen)
{
	int r;

	if ((r = rx_fill(c, n)) == 0)
		return 0;
	return sluice_why(why, whylen, r, r == SLUICE_EPROTO ?
	    "the server closed the SFTP session" :
	    "connection lost during SFTP");
}

/* The next packet; its body stays valid until the next recv. */
static int
pkt_recv(struct sftp_client *c, struct sftp_reply *rp, char *why,
    size_t whylen)
{
	uint32_t len;
	int r;

	if ((r = rx_need(c, 4, why, whylen)) != 0)
		return r;
	len = sbuf_peek_u32(c->rx + c->rx_off);
	if (len < 5 || len > SFTP_MAX_PACKET)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "server sent a packet of %u bytes", (unsigned)len);
	if ((r = rx_need(c, 4 + (size_t)len, why, whylen)) != 0)
		return r;
	sbuf_view(&rp->body, c->rx + c->rx_off + 4, len);
	c->rx_off += 4 + (size_t)len;
	rp->id = 0;
	if ((r = sbuf_get_u8(&rp->body, &rp->type)) != 0 ||
	    (rp->type != SSH_FXP_VERSION &&
	    (r = sbuf_get_u32(&rp->body, &rp->id)) != 0))
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "server sent a truncated packet");
	return 0;
}

/* --- replies ------------------------------------------------------------ */

static void
copy_printable(char *dst, size_t dstlen, const uint8_t *p, size_t n)
{
	size_t i;

	if (dstlen == 0)
		return;
	if (n > dstlen - 1)
		n = dstlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
	dst[n] = '\0';
}

static const char *
status_words(uint32_t code)
{
	switch (code) {
	case SSH_FX_OK:			return "ok";
	case SSH_FX_EOF:		return "end of file";
	case SSH_FX_NO_SUCH_FILE:	return "no such file";
	case SSH_FX_PERMISSION_DENIED:	return "permission denied";
	case SSH_FX_FAILURE:		return "failure";
	case SSH_FX_BAD_MESSAGE:	return "bad message";
	case SSH_FX_OP_UNSUPPORTED:	return "operation unsupported";
	}
	return "error";
}

static int
status_err(uint32_t code)
{
	switch (code) {
	case SSH_FX_OK:			return 0;
	case SSH_FX_NO_SUCH_FILE:	return SLUICE_ENOTFOUND;
	case SSH_FX_PERMISSION_DENIED:	return SLUICE_EDENIED;
	}
	return SLUICE_EIO;
}

/* A STATUS body: its code and its message (printable, maybe empty). */
static int
parse_status(struct sbuf *b, uint32_t *code, char *msg, size_t msglen)
{
	const uint8_t *m;
	size_t mlen;

	if (msglen > 0)
		msg[0] = '\0';
	if (sbuf_get_u32(b, code) != 0)
		return SLUICE_EPROTO;
	/* Some old servers stop after the code. */
	if (sbuf_len(b) == 0)
		return 0;
	if (sbuf_get_string_direct(b, &m, &mlen) != 0 || mlen > SFTP_MAX_NAME)
		return SLUICE_EPROTO;
	copy_printable(msg, msglen, m, mlen);
	return 0;
}

/* A non-OK STATUS as an error with "path: message" in why. */
static int
status_fail(struct sftp_reply *rp, const char *path, char *why, size_t whylen)
{
	char msg[512];
	uint32_t code;

	if (parse_status(&rp->body, &code, msg, sizeof(msg)) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed status from server", path);
	if (code == SSH_FX_OK)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: unexpected OK status from server", path);
	return sluice_why(why, whylen, status_err(code), "%s: %s", path,
	    msg[0] != '\0' ? msg : status_words(code));
}

static int
parse_attrs(struct sbuf *b, struct sftp_attrs *a)
{
	uint32_t n, i;
	const uint8_t *p;
	size_t plen;

	memset(a, 0, sizeof(*a));
	if (sbuf_get_u32(b, &a->flags) != 0)
		return SLUICE_EPROTO;
	if ((a->flags & SSH_FILEXFER_ATTR_SIZE) &&
	    sbuf_get_u64(b, &a->size) != 0)
		return SLUICE_EPROTO;
	if ((a->flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    (sbuf_get_u32(b, &a->uid) != 0 || sbuf_get_u32(b, &a->gid) != 0))
		return SLUICE_EPROTO;
	if ((a->flags & SSH_FILEXFER_ATTR_PERMISSIONS) &&
	    sbuf_get_u32(b, &a->perm) != 0)
		return SLUICE_EPROTO;
	if ((a->flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    (sbuf_get_u32(b, &a->atime) != 0 || sbuf_get_u32(b, &a->mtime) != 0))
		return SLUICE_EPROTO;
	if (!(a->flags & SSH_FILEXFER_ATTR_EXTENDED))
		return 0;
	if (sbuf_get_u32(b, &n) != 0 || n > MAX_EXTENDED)
		return SLUICE_EPROTO;
	for (i = 0; i < n * 2; i++) {
		if (sbuf_get_string_direct(b, &p, &plen) != 0)
			return SLUICE_EPROTO;
	}
	return 0;
}

/* Sends the packet in c->tx and reads the reply to it. */
static int
transact(struct sftp_client *c, uint32_t id, struct sftp_reply *rp,
    char *why, size_t whylen)
{
	int r;

	if ((r = pkt_send(c)) != 0)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "connection lost during SFTP");
	if ((r = pkt_recv(c, rp, why, whylen)) != 0)
		return r;
	if (rp->id != id)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "server answered request %u with id %u", (unsigned)id,
		    (unsigned)rp->id);
	return 0;
}

static int
build_path_req(struct sftp_client *c, uint8_t type, const char *path,
    uint32_t *id)
{
	int r;

	if ((r = pkt_begin(c, type, id)) != 0)
		return r;
	return sbuf_put_cstring(c->tx, path);
}

static int
build_handle_req(struct sftp_client *c, uint8_t type,
    const struct sftp_handle *h, uint32_t *id)
{
	int r;

	if ((r = pkt_begin(c, type, id)) != 0)
		return r;
	return sbuf_put_string(c->tx, h->h, h->len);
}

static int
expect_handle(struct sftp_reply *rp, const char *path, struct sftp_handle *h,
    char *why, size_t whylen)
{
	const uint8_t *p;
	size_t n;

	if (rp->type == SSH_FXP_STATUS)
		return status_fail(rp, path, why, whylen);
	if (rp->type != SSH_FXP_HANDLE ||
	    sbuf_get_string_direct(&rp->body, &p, &n) != 0 || n == 0 ||
	    n > HANDLE_MAX)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed handle from server", path);
	memcpy(h->h, p, n);
	h->len = n;
	return 0;
}

/* A STATUS that must be OK; its message goes to msg when asked. */
static int
expect_ok(struct sftp_reply *rp, const char *path, char *msg, size_t msglen,
    char *why, size_t whylen)
{
	char m[512];
	uint32_t code;

	if (rp->type != SSH_FXP_STATUS ||
	    parse_status(&rp->body, &code, m, sizeof(m)) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed status from server", path);
	if (msg != NULL)
		(void)snprintf(msg, msglen, "%s", m);
	if (code != SSH_FX_OK)
		return sluice_why(why, whylen, status_err(code), "%s: %s", path,
		    m[0] != '\0' ? m : status_words(code));
	return 0;
}

/* --- session ------------------------------------------------------------ */

/* True when the extensions of a VERSION reply name limits@openssh.com. */
static int
has_limits(struct sbuf *b)
{
	const uint8_t *name, *data;
	size_t nlen, dlen;

	while (sbuf_len(b) > 0) {
		if (sbuf_get_string_direct(b, &name, &nlen) != 0 ||
		    sbuf_get_string_direct(b, &data, &dlen) != 0)
			return 0;
		if (nlen == strlen(LIMITS_EXT) &&
		    memcmp(name, LIMITS_EXT, nlen) == 0)
			return 1;
	}
	return 0;
}

/* Asks the server's limits: READs stay at or under its read length (a
 * server may drop a session on a longer one). */
static int
ask_limits(struct sftp_client *c, char *why, size_t whylen)
{
	struct sftp_reply rp;
	uint64_t packet, read_len;
	uint32_t id;
	int r;

	if ((r = pkt_begin(c, SSH_FXP_EXTENDED, &id)) != 0 ||
	    (r = sbuf_put_cstring(c->tx, LIMITS_EXT)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	if (rp.type != SSH_FXP_EXTENDED_REPLY)
		return 0;	/* refused: our own limits hold */
	if (sbuf_get_u64(&rp.body, &packet) != 0 ||
	    sbuf_get_u64(&rp.body, &read_len) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "malformed limits from server");
	if (read_len > 0 && read_len < c->read_len)
		c->read_len = (uint32_t)read_len;
	return 0;
}

int
sftp_client_new(const struct sftp_io *io, struct sftp_client **out,
    char *why, size_t whylen)
{
	struct sftp_client *c;
	struct sftp_reply rp;
	uint32_t version;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (io->close != NULL)
			io->close(io->ctx);
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	}
	c->io = *io;
	c->next_id = 1;
	c->read_len = SFTP_MAX_READ;
	if ((c->tx = sbuf_new()) == NULL || (c->rx = malloc(RX_CAP)) == NULL) {
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	if ((r = pkt_begin(c, SSH_FXP_INIT, NULL)) != 0 ||
	    (r = sbuf_put_u32(c->tx, 3)) != 0 ||
	    (r = transact(c, 0, &rp, why, whylen)) != 0)
		goto out;
	if (rp.type != SSH_FXP_VERSION ||
	    sbuf_get_u32(&rp.body, &version) != 0 || version < 3) {
		r = sluice_why(why, whylen, SLUICE_EPROTO,
		    "the server does not speak SFTP version 3");
		goto out;
	}
	if (has_limits(&rp.body) && (r = ask_limits(c, why, whylen)) != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	sftp_client_free(c);
	return r;
}

void
sftp_client_free(struct sftp_client *c)
{
	if (c == NULL)
		return;
	if (c->io.close != NULL)
		c->io.close(c->io.ctx);
	sbuf_free(c->tx);
	free(c->rx);
	free(c);
}

int
sftp_realpath(struct sftp_client *c, const char *path, char **resolved,
    char *why, size_t whylen)
{
	struct sftp_reply rp;
	uint32_t id, count;
	int r;

	*resolved = NULL;
	if ((r = build_path_req(c, SSH_FXP_REALPATH, path, &id)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	if (rp.type == SSH_FXP_STATUS)
		return status_fail(&rp, path, why, whylen);
	if (rp.type != SSH_FXP_NAME || sbuf_get_u32(&rp.body, &count) != 0 ||
	    count != 1 ||
	    sbuf_get_cstring(&rp.body, resolved, SFTP_MAX_NAME) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed REALPATH reply", path);
	return 0;
}

int
sftp_stat(struct sftp_client *c, const char *path, struct sftp_attrs *a,
    char *why, size_t whylen)
{
	struct sftp_reply rp;
	uint32_t id;
	int r;

	if ((r = build_path_req(c, SSH_FXP_STAT, path, &id)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	if (rp.type == SSH_FXP_STATUS)
		return status_fail(&rp, path, why, whylen);
	if (rp.type != SSH_FXP_ATTRS || parse_attrs(&rp.body, a) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed attributes from server", path);
	return 0;
}

static int
sftp_close_handle(struct sftp_client *c, const struct sftp_handle *h,
    const char *path, char *msg, size_t msglen, char *why, size_t whylen)
{
	struct sftp_reply rp;
	uint32_t id;
	int r;

	if ((r = build_handle_req(c, SSH_FXP_CLOSE, h, &id)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	return expect_ok(&rp, path, msg, msglen, why, whylen);
}

/* --- listing ------------------------------------------------------------ */

static void
dirent_clear(struct sftp_dirent *e)
{
	free(e->name);
	free(e->longname);
}

void
sftp_dirents_free(struct sftp_dirent *ents, size_t n)
{
	size_t i;

	if (ents == NULL)
		return;
	for (i = 0; i < n; i++)
		dirent_clear(&ents[i]);
	free(ents);
}

/* One entry of a NAME reply: name, long name and attributes. */
static int
read_name(struct sbuf *b, struct sftp_dirent *e)
{
	memset(e, 0, sizeof(*e));
	if (sbuf_get_cstring(b, &e->name, SFTP_MAX_NAME) != 0 ||
	    sbuf_get_cstring(b, &e->longname, SFTP_MAX_NAME) != 0 ||
	    parse_attrs(b, &e->attrs) != 0) {
		dirent_clear(e);
		return SLUICE_EPROTO;
	}
	return 0;
}

/* Room for one more entry: the array doubles, from 16. */
static int
names_room(struct sftp_dirent **ents, size_t n, size_t *cap)
{
	struct sftp_dirent *ne;
	size_t ncap = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	if ((ne = reallocarray(*ents, ncap, sizeof(**ents))) == NULL)
		return SLUICE_ENOMEM;
	*ents = ne;
	*cap = ncap;
	return 0;
}

/* Appends the entries of one NAME reply (but "." and ".."). */
static int
add_names(struct sbuf *b, struct sftp_dirent **ents, size_t *n, size_t *cap)
{
	struct sftp_dirent e;
	uint32_t count, i;
	int r;

	if (sbuf_get_u32(b, &count) != 0 || count > SFTP_MAX_DIRENTS - *n)
		return SLUICE_EPROTO;
	for (i = 0; i < count; i++) {
		if ((r = read_name(b, &e)) != 0)
			return r;
		if (strcmp(e.name, ".") == 0 || strcmp(e.name, "..") == 0) {
			dirent_clear(&e);
			continue;
		}
		if ((r = names_room(ents, *n, cap)) != 0) {
			dirent_clear(&e);
			return r;
		}
		(*ents)[(*n)++] = e;
	}
	return 0;
}

static int
read_dir(struct sftp_client *c, const struct sftp_handle *h, const char *path,
    struct sftp_dirent **ents, size_t *n, char *why, size_t whylen)
{
	struct sftp_reply rp;
	size_t cap = 0;
	uint32_t id, code;
	int r;

	for (;;) {
		if ((r = build_handle_req(c, SSH_FXP_READDIR, h, &id)) != 0 ||
		    (r = transact(c, id, &rp, why, whylen)) != 0)
			return r;
		if (rp.type == SSH_FXP_STATUS) {
			struct sbuf peek = rp.body;

			if (sbuf_get_u32(&peek, &code) == 0 &&
			    code == SSH_FX_EOF)
				return 0;
			return status_fail(&rp, path, why, whylen);
		}
		if (rp.type != SSH_FXP_NAME)
			return sluice_why(why, whylen, SLUICE_EPROTO,
			    "%s: unexpected reply to READDIR", path);
		if ((r = add_names(&rp.body, ents, n, &cap)) != 0)
			return sluice_why(why, whylen, r,
			    "%s: malformed directory listing", path);
	}
}

int
sftp_list(struct sftp_client *c, const char *path, struct sftp_dirent **ents,
    size_t *n, char *why, size_t whylen)
{
	struct sftp_handle h;
	struct sftp_reply rp;
	uint32_t id;
	int r, r2;

	*ents = NULL;
	*n = 0;
	if ((r = build_path_req(c, SSH_FXP_OPENDIR, path, &id)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0 ||
	    (r = expect_handle(&rp, path, &h, why, whylen)) != 0)
		return r;
	r = read_dir(c, &h, path, ents, n, why, whylen);
	r2 = sftp_close_handle(c, &h, path, NULL, 0,
	    r == 0 ? why : NULL, r == 0 ? whylen : 0);
	if (r == 0)
		r = r2;
	if (r != 0) {
		sftp_dirents_free(*ents, *n);
		*ents = NULL;
		*n = 0;
	}
	return r;
}

/* --- files -------------------------------------------------------------- */

/* OPEN's attrs: the size of the file to come when it is known (sluiced
 * refuses an upload the disk cannot take at once), else none. */
static int
open_attrs(struct sbuf *b, uint64_t size)
{
	int r;

	if (size == UINT64_MAX)
		return sbuf_put_u32(b, 0);
	if ((r = sbuf_put_u32(b, SSH_FILEXFER_ATTR_SIZE)) != 0)
		return r;
	return sbuf_put_u64(b, size);
}

/* Opens path with pflags; size: what will be written, UINT64_MAX when not
 * known or not writing. */
static int
open_file(struct sftp_client *c, const char *path, uint32_t pflags,
    uint64_t size, struct sftp_handle *h, char *why, size_t whylen)
{
	struct sftp_reply rp;
	uint32_t id;
	int r;

	if ((r = build_path_req(c, SSH_FXP_OPEN, path, &id)) != 0 ||
	    (r = sbuf_put_u32(c->tx, pflags)) != 0 ||
	    (r = open_attrs(c->tx, size)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	return expect_handle(&rp, path, h, why, whylen);
}

/* The size the server reports for an open file, or 0 if it says none. */
static int
fstat_size(struct sftp_client *c, const struct sftp_handle *h,
    const char *path, uint64_t *size, int *known, char *why, size_t whylen)
{
	struct sftp_reply rp;
	struct sftp_attrs a;
	uint32_t id;
	int r;

	*known = 0;
	if ((r = build_handle_req(c, SSH_FXP_FSTAT, h, &id)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	if (rp.type == SSH_FXP_STATUS)
		return 0;	/* FSTAT is a hint only */
	if (rp.type != SSH_FXP_ATTRS || parse_attrs(&rp.body, &a) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed attributes from server", path);
	if (a.flags & SSH_FILEXFER_ATTR_SIZE) {
		*size = a.size;
		*known = 1;
	}
	return 0;
}

static struct sftp_req *
req_find(struct sftp_req *reqs, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (reqs[i].used && reqs[i].id == id)
			return &reqs[i];
	return NULL;
}

/* The next reply, to one of the n requests in flight in reqs (*q); a
 * reply to none of them breaks the protocol. */
static int
reply_recv(struct sftp_client *c, struct sftp_req *reqs, size_t n,
    const char *path, struct sftp_reply *rp, struct sftp_req **q, char *why,
    size_t whylen)
{
	int r;

	if ((r = pkt_recv(c, rp, why, whylen)) != 0)
		return r;
	if ((*q = req_find(reqs, n, rp->id)) == NULL)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: reply to unknown request %u", path, (unsigned)rp->id);
	return 0;
}

static struct sftp_req *
req_free_slot(struct sftp_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!reqs[i].used)
			return &reqs[i];
	return NULL;
}

static int
send_read(struct sftp_client *c, const struct sftp_handle *h,
    struct sftp_req *q, uint64_t off, uint32_t len)
{
	int r;

	if ((r = build_handle_req(c, SSH_FXP_READ, h, &q->id)) != 0 ||
	    (r = sbuf_put_u64(c->tx, off)) != 0 ||
	    (r = sbuf_put_u32(c->tx, len)) != 0 ||
	    (r = pkt_send(c)) != 0)
		return r;
	q->used = 1;
	q->off = off;
	q->len = len;
	return 0;
}

static int
pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	ssize_t w;

	while (n > 0) {
		if (off > INT64_MAX)
			return SLUICE_ETOOBIG;
		if ((w = pwrite(fd, p, n, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			return SLUICE_EIO;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int
pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
	ssize_t rd;

	while (n > 0) {
		if (off > INT64_MAX)
			return SLUICE_ETOOBIG;
		if ((rd = pread(fd, p, n, (off_t)off)) <= 0) {
			if (rd < 0 && errno == EINTR)
				continue;
			return SLUICE_EIO;
		}
		p += rd;
		n -= (size_t)rd;
		off += (uint64_t)rd;
	}
	return 0;
}

/* A download. With a sink, every byte below `fed` was handed to it, in
 * order. */
struct get_state {
	const struct sftp_handle *h;
	const char	*path;
	int		 fd;
	uint64_t	 next;		/* next offset to ask for */
	uint64_t	 limit;		/* ask only below this */
	uint64_t	 eof_at;	/* lowest offset answered with EOF */
	uint64_t	 got;		/* bytes received after the head */
	uint64_t	 head_got;	/* head bytes the local copy lacked */
	size_t		 inflight;
	int		 err;		/* first error; stop asking, drain */
	const struct sftp_sink *sink;
	uint64_t	 fed;
	uint8_t		*feedbuf;	/* FEED_BUF: the local copy, read back */
	struct sftp_req	 reqs[SFTP_READ_AHEAD];
};

static int
get_fill(struct sftp_client *c, struct get_state *g)
{
	struct sftp_req *q;
	int r;

	while (g->err == 0 && g->inflight < SFTP_READ_AHEAD &&
	    g->next < g->limit && g->next < g->eof_at) {
		if ((q = req_free_slot(g->reqs, SFTP_READ_AHEAD)) == NULL)
			break;
		if ((r = send_read(c, g->h, q, g->next, c->read_len)) != 0)
			return r;
		g->inflight++;
		g->next += c->read_len;
	}
	return 0;
}

/* True when bytes at off go straight to a sink that writes them itself. */
static int
sink_writes(const struct get_state *g, uint64_t off)
{
	return g->sink != NULL && g->sink->writes && off == g->fed &&
	    g->err == 0;
}

/* Hands p[0..n), the file's bytes at off, to the sink if they come next. */
static int
feed_mem(struct get_state *g, uint64_t off, const uint8_t *p, size_t n,
    char *why, size_t whylen)
{
	int r;

	if (g->sink == NULL || off != g->fed || g->err != 0)
		return 0;
	if ((r = g->sink->take(g->sink->arg, p, n, why, whylen)) != 0)
		return r;
	g->fed += n;
	return 0;
}

/* Hands the sink the bytes [fed, upto), read back from the local copy:
 * a resumed download's start, or replies that came out of order. */
static int
feed_fd(struct get_state *g, uint64_t upto, char *why, size_t whylen)
{
	size_t n;
	int r;

	while (g->sink != NULL && g->err == 0 && g->fed < upto) {
		n = upto - g->fed > FEED_BUF ? FEED_BUF : (size_t)(upto - g->fed);
		if ((r = pread_all(g->fd, g->feedbuf, n, g->fed)) != 0)
			return sluice_why(why, whylen, r, "%s: cannot read the "
			    "local copy back: %s", g->path, strerror(errno));
		if ((r = g->sink->take(g->sink->arg, g->feedbuf, n, why,
		    whylen)) != 0)
			return r;
		g->fed += n;
	}
	return 0;
}

/* Every byte below this has come: the lowest offset still asked for. */
static uint64_t
get_frontier(const struct get_state *g)
{
	uint64_t f = g->next < g->eof_at ? g->next : g->eof_at;
	size_t i;

	for (i = 0; i < SFTP_READ_AHEAD; i++)
		if (g->reqs[i].used && g->reqs[i].off < f)
			f = g->reqs[i].off;
	return f;
}

/* One DATA reply: written at its offset (and handed on when it is next);
 * a short one is asked again for the rest, in the same slot. */
static int
get_data(struct sftp_client *c, struct get_state *g, struct sftp_req *q,
    struct sftp_reply *rp, char *why, size_t whylen)
{
	const uint8_t *d;
	size_t dl;
	int r;

	if (sbuf_get_string_direct(&rp->body, &d, &dl) != 0 || dl == 0 ||
	    dl > q->len || q->off >= g->eof_at)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed data from server", g->path);
	if (g->err == 0 && !sink_writes(g, q->off) &&
	    (r = pwrite_all(g->fd, d, dl, q->off)) != 0)
		return sluice_why(why, whylen, r, "%s: cannot write: %s",
		    g->path, strerror(errno));
	if ((r = feed_mem(g, q->off, d, dl, why, whylen)) != 0)
		g->err = r;
	g->got += dl;
	if (q->off + dl >= g->limit)
		g->limit = UINT64_MAX;	/* the size was stale: read to EOF */
	if (dl == q->len || g->err != 0) {
		q->used = 0;
		g->inflight--;
		return 0;
	}
	return send_read(c, g->h, q, q->off + dl, q->len - (uint32_t)dl);
}

/* A STATUS in answer to a pipelined READ: EOF marks the end, anything
 * else is the download's first error. */
static int
get_status(struct get_state *g, struct sftp_req *q, struct sftp_reply *rp,
    char *why, size_t whylen)
{
	struct sbuf peek = rp->body;
	uint32_t code;

	q->used = 0;
	g->inflight--;
	if (sbuf_get_u32(&peek, &code) != 0)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed status from server", g->path);
	if (code == SSH_FX_EOF) {
		if (q->off < g->eof_at)
			g->eof_at = q->off;
		return 0;
	}
	if (g->err == 0)
		g->err = status_fail(rp, g->path, why, whylen);
	return 0;
}

static int
get_reply(struct sftp_client *c, struct get_state *g, char *why,
    size_t whylen)
{
	struct sftp_reply rp;
	struct sftp_req *q;
	int r;

	if ((r = reply_recv(c, g->reqs, SFTP_READ_AHEAD, g->path, &rp, &q,
	    why, whylen)) != 0)
		return r;
	if (rp.type == SSH_FXP_DATA)
		return get_data(c, g, q, &rp, why, whylen);
	if (rp.type != SSH_FXP_STATUS)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: unexpected reply to READ", g->path);
	return get_status(g, q, &rp, why, whylen);
}

static int
get_loop(struct sftp_client *c, struct get_state *g, sftp_progress_fn
    progress, void *arg, char *why, size_t whylen)
{
	int r;

	for (;;) {
		if ((r = get_fill(c, g)) != 0)
			return sluice_why(why, whylen, SLUICE_EIO,
			    "connection lost during download");
		if (g->inflight == 0)
			break;
		if ((r = get_reply(c, g, why, whylen)) != 0)
			return r;
		if ((r = feed_fd(g, get_frontier(g), why, whylen)) != 0)
			g->err = r;
		if (progress != NULL)
			progress(arg, g->sink != NULL ? g->fed : g->got);
	}
	return g->err;
}

/* At EOF: the bytes received must be the file from start to its end. */
static int
get_check_end(const struct get_state *g, uint64_t start, char *why,
    size_t whylen)
{
	if (g->eof_at < start)
		return sluice_why(why, whylen, SLUICE_EINVAL,
		    "%s: the local copy is longer than the file on the server",
		    g->path);
	if (g->eof_at == UINT64_MAX || g->got != g->eof_at - start)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: the server sent %llu bytes where %llu were expected",
		    g->path, (unsigned long long)g->got,
		    (unsigned long long)(g->eof_at == UINT64_MAX ? 0 :
		    g->eof_at - start));
	return 0;
}

/* A STATUS in answer to a READ: EOF sets *eof; anything else fails. */
static int
read_status(struct sftp_reply *rp, const char *path, int *eof, char *why,
    size_t whylen)
{
	struct sbuf peek = rp->body;
	uint32_t code;

	if (sbuf_get_u32(&peek, &code) == 0 && code == SSH_FX_EOF) {
		*eof = 1;
		return 0;
	}
	return status_fail(rp, path, why, whylen);
}

/* One READ of at most left bytes where b ends, appended to b; *eof at the
 * file's end. */
static int
head_read(struct sftp_client *c, const struct sftp_handle *h,
    const char *path, struct sbuf *b, size_t left, int *eof, char *why,
    size_t whylen)
{
	struct sftp_reply rp;
	const uint8_t *d;
	size_t dl;
	uint32_t id, len = left > c->read_len ? c->read_len : (uint32_t)left;
	int r;

	if ((r = build_handle_req(c, SSH_FXP_READ, h, &id)) != 0 ||
	    (r = sbuf_put_u64(c->tx, sbuf_len(b))) != 0 ||
	    (r = sbuf_put_u32(c->tx, len)) != 0 ||
	    (r = transact(c, id, &rp, why, whylen)) != 0)
		return r;
	if (rp.type == SSH_FXP_STATUS)
		return read_status(&rp, path, eof, why, whylen);
	if (rp.type != SSH_FXP_DATA ||
	    sbuf_get_string_direct(&rp.body, &d, &dl) != 0 || dl == 0 ||
	    dl > len)
		return sluice_why(why, whylen, SLUICE_EPROTO,
		    "%s: malformed data from server", path);
	if ((r = sbuf_put(b, d, dl)) != 0)
		return sluice_why(why, whylen, r, "out of memory");
	return 0;
}

/* How much the next READ of a head asks for: 4 KiB, then doubling. */
static size_t
head_step(size_t have, size_t max)
{
	size_t step = have < HEAD_FIRST ? HEAD_FIRST - have : have;

	return step < max - have ? step : max - have;
}

/* The checked head b: written to fd if the local copy lacks it (by us,
 * or by a sink that writes; *start then moves to its end) and handed to
 * the sink. */
static int
head_keep(struct get_state *g, const struct sbuf *b, uint64_t *start,
    char *why, size_t whylen)
{
	int r;

	if (*start < sbuf_len(b)) {
		if (!sink_writes(g, 0) &&
		    (r = pwrite_all(g->fd, sbuf_ptr(b), sbuf_len(b), 0)) != 0)
			return sluice_why(why, whylen, r, "%s: cannot write: "
			    "%s", g->path, strerror(errno));
		g->head_got = sbuf_len(b) - *start;
		*start = sbuf_len(b);
	}
	return feed_mem(g, 0, sbuf_ptr(b), sbuf_len(b), why, whylen);
}

/*
 * The head's bytes from offset 0, one READ at a time, handed to its check;
 * once it passes they are kept (head_keep) and *start is where the download
 * goes on (offset, or the head's end if that is further).
 */
static int
get_head(struct sftp_client *c, struct get_state *g,
    const struct sftp_head_check *head, uint64_t *start, char *why,
    size_t whylen)
{
	struct sbuf *b;
	int eof = 0, r = 0;

	if ((b = sbuf_new()) == NULL)
		return sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
	while (r == 0 && !eof && sbuf_len(b) < head->max &&
	    head->len(head->arg, sbuf_ptr(b), sbuf_len(b)) == 0)
		r = head_read(c, g->h, g->path, b, head_step(sbuf_len(b),
		    head->max), &eof, why, whylen);
	if (r == 0)
		r = head->check(head->arg, sbuf_ptr(b), sbuf_len(b), why, whylen);
	if (r == 0)
		r = head_keep(g, b, start, why, whylen);
	sbuf_free(b);
	return r;
}

/* The pipelined download from start on, checked to end at EOF, and what
 * is left for the sink handed on. */
static int
get_rest(struct sftp_client *c, struct get_state *g, uint64_t start,
    sftp_progress_fn progress, void *arg, char *why, size_t whylen)
{
	uint64_t size = 0;
	int known, r;

	if ((r = fstat_size(c, g->h, g->path, &size, &known, why,
	    whylen)) != 0)
		return r;
	g->next = start;
	/* With a size, ask up to it and once at it, to see EOF there. */
	g->limit = known && size < UINT64_MAX ? size + 1 : UINT64_MAX;
	g->eof_at = UINT64_MAX;
	if ((r = get_loop(c, g, progress, arg, why, whylen)) != 0 ||
	    (r = get_check_end(g, start, why, whylen)) != 0)
		return r;
	return feed_fd(g, g->eof_at, why, whylen);
}

/* The download on an open handle: the head, the local copy (to the
 * sink), then the rest. */
static int
get_open(struct sftp_client *c, struct get_state *g, uint64_t offset,
    const struct sftp_head_check *head, sftp_progress_fn progress,
    void *arg, char *why, size_t whylen)
{
	uint64_t start = offset;
	int r;

	if (head != NULL && (r = get_head(c, g, head, &start, why,
	    whylen)) != 0)
		return r;
	if ((r = feed_fd(g, start, why, whylen)) != 0)
		return r;
	return get_rest(c, g, start, progress, arg, why, whylen);
}

static void
get_state_free(struct get_state *g)
{
	if (g != NULL)
		free(g->feedbuf);
	free(g);
}

static int
get_state_new(const struct sftp_handle *h, const char *path, int fd,
    const struct sftp_sink *sink, struct get_state **out)
{
	struct get_state *g;

	if ((*out = g = calloc(1, sizeof(*g))) == NULL)
		return SLUICE_ENOMEM;
	g->h = h;
	g->path = path;
	g->fd = fd;
	g->sink = sink;
	if (sink != NULL && (g->feedbuf = malloc(FEED_BUF)) == NULL)
		return SLUICE_ENOMEM;
	return 0;
}

int
sftp_get_stream(struct sftp_client *c, const char *path, int fd,
    uint64_t offset, const struct sftp_head_check *head,
    const struct sftp_sink *sink, sftp_progress_fn progress, void *arg,
    uint64_t *got, char *why, size_t whylen)
{
	struct sftp_handle h;
	struct get_state *g = NULL;
	int r, r2;

	*got = 0;
	if ((r = open_file(c, path, SSH_FXF_READ, UINT64_MAX, &h, why,
	    whylen)) != 0)
		return r;
	if ((r = get_state_new(&h, path, fd, sink, &g)) != 0)
		r = sluice_why(why, whylen, r, "out of memory");
	else
		r = get_open(c, g, offset, head, progress, arg, why, whylen);
	if (g != NULL)
		*got = g->head_got + g->got;
	get_state_free(g);
	r2 = sftp_close_handle(c, &h, path, NULL, 0, r == 0 ? why : NULL,
	    r == 0 ? whylen : 0);
	return r == 0 ? r2 : r;
}

int
sftp_get_checked(struct sftp_client *c, const char *path, int fd,
    uint64_t offset, const struct sftp_head_check *head,
    sftp_progress_fn progress, void *arg, uint64_t *got, char *why,
    size_t whylen)
{
	return sftp_get_stream(c, path, fd, offset, head, NULL, progress, arg,
	    got, why, whylen);
}

int
sftp_get(struct sftp_client *c, const char *path, int fd, uint64_t offset,
    sftp_progress_fn progress, void *arg, uint64_t *got, char *why,
    size_t whylen)
{
	return sftp_get_checked(c, path, fd, offset, NULL, progress, arg, got,
	    why, whylen);
}

static int
read_full(int fd, uint8_t *p, size_t n, size_t *got)
{
	ssize_t rd;

	*got = 0;
	while (*got < n) {
		if ((rd = read(fd, p + *got, n - *got)) < 0) {
			if (errno == EINTR)
				continue;
			return SLUICE_EIO;
		}
		if (rd == 0)
			break;
		*got += (size_t)rd;
	}
	return 0;
}

struct put_state {
	const struct sftp_handle *h;
	const char	*path;
	int		 fd;
	int		 eof;
	uint64_t	 off;
	size_t		 inflight;
	int		 err;
	uint8_t		*chunk;
	struct sftp_req	 reqs[SFTP_WRITE_AHEAD];
};

static int
put_fill(struct sftp_client *c, struct put_state *p, char *why,
    size_t whylen)
{
	struct sftp_req *q;
	size_t n;
	int r;

	while (p->err == 0 && !p->eof && p->inflight < SFTP_WRITE_AHEAD &&
	    (q = req_free_slot(p->reqs, SFTP_WRITE_AHEAD)) != NULL) {
		if (read_full(p->fd, p->chunk, SFTP_WRITE_CHUNK, &n) != 0)
			return sluice_why(why, whylen, SLUICE_EIO,
			    "cannot read the file to upload: %s",
			    strerror(errno));
		if (n == 0) {
			p->eof = 1;
			break;
		}
		if ((r = build_handle_req(c, SSH_FXP_WRITE, p->h, &q->id)) != 0 ||
		    (r = sbuf_put_u64(c->tx, p->off)) != 0 ||
		    (r = sbuf_put_string(c->tx, p->chunk, n)) != 0 ||
		    (r = pkt_send(c)) != 0)
			return sluice_why(why, whylen, SLUICE_EIO,
			    "connection lost during upload");
		q->used = 1;
		p->inflight++;
		p->off += n;
		if (n < SFTP_WRITE_CHUNK)
			p->eof = 1;
	}
	return 0;
}

static int
put_reply(struct sftp_client *c, struct put_state *p, char *why,
    size_t whylen)
{
	struct sftp_reply rp;
	struct sftp_req *q;
	int r;

	if ((r = reply_recv(c, p->reqs, SFTP_WRITE_AHEAD, p->path, &rp, &q,
	    why, whylen)) != 0)
		return r;
	q->used = 0;
	p->inflight--;
	r = expect_ok(&rp, p->path, NULL, 0, why, whylen);
	if (r == SLUICE_EPROTO)
		return r;
	if (r != 0 && p->err == 0)
		p->err = r;
	return 0;
}

static int
put_loop(struct sftp_client *c, struct put_state *p, sftp_progress_fn
    progress, void *arg, char *why, size_t whylen)
{
	int r;

	for (;;) {
		if ((r = put_fill(c, p, why, whylen)) != 0)
			return r;
		if (p->inflight == 0)
			break;
		if ((r = put_reply(c, p, why, whylen)) != 0)
			return r;
		if (progress != NULL)
			progress(arg, p->off);
	}
	return p->err;
}

/* The CLOSE answer carries the server's verdict on the upload; a failed
 * CLOSE is the result when the upload itself went well (r == 0). */
static int
put_close(struct sftp_client *c, struct sftp_handle *h, const char *path,
    int r, char *verdict, size_t verdictlen, char *why, size_t whylen)
{
	char cwhy[512];
	int r2;

	r2 = sftp_close_handle(c, h, path, verdict, verdictlen, cwhy,
	    sizeof(cwhy));
	if (r == 0 && r2 != 0) {
		r = r2;
		(void)snprintf(why, whylen, "%s", cwhy);
	}
	return r;
}

/* fd's size when it is a regular file read from its start, else
 * UINT64_MAX. */
static uint64_t
put_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
		return UINT64_MAX;
	return (uint64_t)st.st_size;
}

static void
put_state_free(struct put_state *p)
{
	if (p != NULL)
		free(p->chunk);
	free(p);
}

int
sftp_put(struct sftp_client *c, int fd, const char *path,
    sftp_progress_fn progress, void *arg, char *verdict, size_t verdictlen,
    char *why, size_t whylen)
{
	struct sftp_handle h;
	struct put_state *p = NULL;
	int r;

	if (verdictlen > 0)
		verdict[0] = '\0';
	if ((r = open_file(c, path, SSH_FXF_WRITE | SSH_FXF_CREAT |
	    SSH_FXF_TRUNC, put_size(fd), &h, why, whylen)) != 0)
		return r;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->chunk = malloc(SFTP_WRITE_CHUNK)) == NULL) {
		r = sluice_why(why, whylen, SLUICE_ENOMEM, "out of memory");
		goto out;
	}
	p->h = &h;
	p->path = path;
	p->fd = fd;
	r = put_loop(c, p, progress, arg, why, whylen);
out:
	/* An unusable session (a broken reply, or writes left unanswered)
	 * gets no CLOSE. */
	if (r != SLUICE_EPROTO && !(r == SLUICE_EIO && p != NULL &&
	    p->inflight > 0))
		r = put_close(c, &h, path, r, verdict, verdictlen, why, whylen);
	put_state_free(p);
	return r;
}
