/*
 * test_client_sftp.c: the hand-framed SFTP v3 client against canned server
 * bytes: the exact requests it sends, how it reads replies (split at any
 * byte), pipelined and out-of-order READs, short reads, resume, a file's
 * head checked before the rest in the same OPEN, gate denials and verdicts
 * surfaced as the server wrote them, bounds.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sluice/buf.h"
#include "sluice/error.h"
#include "sftp_client.h"
#include "suite_run.h"

struct mem_io {
	struct sbuf	*server;	/* what the "server" says, in order */
	struct sbuf	*sent;		/* what the client wrote */
	size_t		 maxread;
	int		 closed;
};

static int
mem_write(void *ctx, const void *p, size_t n)
{
	struct mem_io *m = ctx;

	return sbuf_put(m->sent, p, n);
}

static long
mem_read(void *ctx, void *p, size_t n)
{
	struct mem_io *m = ctx;

	if (n > sbuf_len(m->server))
		n = sbuf_len(m->server);
	if (n > m->maxread)
		n = m->maxread;
	memcpy(p, sbuf_ptr(m->server), n);
	ck_assert_int_eq(sbuf_consume(m->server, n), 0);
	return (long)n;
}

static void
mem_close(void *ctx)
{
	struct mem_io *m = ctx;

	m->closed++;
}

static struct mem_io mio;
static struct sbuf *want;	/* the requests expected, in order */
static char dir[64];

static void
setup(void)
{
	mio.server = sbuf_new();
	mio.sent = sbuf_new();
	mio.maxread = 7;
	mio.closed = 0;
	want = sbuf_new();
	ck_assert_ptr_nonnull(mio.server);
	ck_assert_ptr_nonnull(mio.sent);
	ck_assert_ptr_nonnull(want);
	(void)snprintf(dir, sizeof(dir), "/tmp/sluice-sftpc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char p[128];

	(void)snprintf(p, sizeof(p), "%s/out", dir);
	(void)unlink(p);
	(void)snprintf(p, sizeof(p), "%s/in", dir);
	(void)unlink(p);
	(void)rmdir(dir);
	sbuf_free(mio.server);
	sbuf_free(mio.sent);
	sbuf_free(want);
}

/* --- packet writers for both sides -------------------------------------- */

static void
frame(struct sbuf *to, struct sbuf *body)
{
	ck_assert_int_eq(sbuf_put_u32(to, (uint32_t)sbuf_len(body)), 0);
	ck_assert_int_eq(sbuf_put(to, sbuf_ptr(body), sbuf_len(body)), 0);
	sbuf_free(body);
}

static struct sbuf *
body(uint8_t type, uint32_t id)
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put_u8(b, type), 0);
	ck_assert_int_eq(sbuf_put_u32(b, id), 0);
	return b;
}

static void
r_version(void)
{
	static const uint8_t v[] = { 0, 0, 0, 5, 2, 0, 0, 0, 3 };

	ck_assert_int_eq(sbuf_put(mio.server, v, sizeof(v)), 0);
}

static void
r_status(uint32_t id, uint32_t code, const char *msg)
{
	struct sbuf *b = body(SSH_FXP_STATUS, id);

	ck_assert_int_eq(sbuf_put_u32(b, code), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, msg), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "en"), 0);
	frame(mio.server, b);
}

static void
r_handle(uint32_t id, const char *h)
{
	struct sbuf *b = body(SSH_FXP_HANDLE, id);

	ck_assert_int_eq(sbuf_put_cstring(b, h), 0);
	frame(mio.server, b);
}

static void
r_attrs(uint32_t id, uint64_t size)
{
	struct sbuf *b = body(SSH_FXP_ATTRS, id);

	ck_assert_int_eq(sbuf_put_u32(b, SSH_FILEXFER_ATTR_SIZE |
	    SSH_FILEXFER_ATTR_PERMISSIONS), 0);
	ck_assert_int_eq(sbuf_put_u64(b, size), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0100444), 0);
	frame(mio.server, b);
}

static void
r_names(uint32_t id, const char **names, uint32_t n)
{
	struct sbuf *b = body(SSH_FXP_NAME, id);
	uint32_t i;

	ck_assert_int_eq(sbuf_put_u32(b, n), 0);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sbuf_put_cstring(b, names[i]), 0);
		ck_assert_int_eq(sbuf_put_cstring(b, "longname"), 0);
		ck_assert_int_eq(sbuf_put_u32(b, SSH_FILEXFER_ATTR_SIZE), 0);
		ck_assert_int_eq(sbuf_put_u64(b, 1000 + i), 0);
	}
	frame(mio.server, b);
}

static void
r_data(uint32_t id, const uint8_t *p, size_t n)
{
	struct sbuf *b = body(SSH_FXP_DATA, id);

	ck_assert_int_eq(sbuf_put_string(b, p, n), 0);
	frame(mio.server, b);
}

static void
q_init(void)
{
	static const uint8_t v[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };

	ck_assert_int_eq(sbuf_put(want, v, sizeof(v)), 0);
}

static void
q_path(uint8_t type, uint32_t id, const char *path)
{
	struct sbuf *b = body(type, id);

	ck_assert_int_eq(sbuf_put_cstring(b, path), 0);
	frame(want, b);
}

/* OPEN with attrs holding size, or none for UINT64_MAX. */
static void
q_open_sized(uint32_t id, const char *path, uint32_t pflags, uint64_t size)
{
	struct sbuf *b = body(SSH_FXP_OPEN, id);

	ck_assert_int_eq(sbuf_put_cstring(b, path), 0);
	ck_assert_int_eq(sbuf_put_u32(b, pflags), 0);
	if (size == UINT64_MAX)
		ck_assert_int_eq(sbuf_put_u32(b, 0), 0);
	else {
		ck_assert_int_eq(sbuf_put_u32(b, SSH_FILEXFER_ATTR_SIZE), 0);
		ck_assert_int_eq(sbuf_put_u64(b, size), 0);
	}
	frame(want, b);
}

static void
q_open(uint32_t id, const char *path, uint32_t pflags)
{
	q_open_sized(id, path, pflags, UINT64_MAX);
}

static void
q_handle(uint8_t type, uint32_t id, const char *h)
{
	struct sbuf *b = body(type, id);

	ck_assert_int_eq(sbuf_put_cstring(b, h), 0);
	frame(want, b);
}

static void
q_read(uint32_t id, const char *h, uint64_t off, uint32_t len)
{
	struct sbuf *b = body(SSH_FXP_READ, id);

	ck_assert_int_eq(sbuf_put_cstring(b, h), 0);
	ck_assert_int_eq(sbuf_put_u64(b, off), 0);
	ck_assert_int_eq(sbuf_put_u32(b, len), 0);
	frame(want, b);
}

static void
q_write(uint32_t id, const char *h, uint64_t off, const uint8_t *p, size_t n)
{
	struct sbuf *b = body(SSH_FXP_WRITE, id);

	ck_assert_int_eq(sbuf_put_cstring(b, h), 0);
	ck_assert_int_eq(sbuf_put_u64(b, off), 0);
	ck_assert_int_eq(sbuf_put_string(b, p, n), 0);
	frame(want, b);
}

static void
assert_sent(void)
{
	size_t i, n = sbuf_len(want);

	ck_assert_uint_eq(sbuf_len(mio.sent), n);
	for (i = 0; i < n; i++)
		ck_assert_msg(sbuf_ptr(mio.sent)[i] == sbuf_ptr(want)[i],
		    "request bytes differ at offset %zu", i);
	ck_assert_uint_eq(sbuf_len(mio.server), 0);	/* all replies read */
}

static struct sftp_client *
connect_client(void)
{
	struct sftp_io io = { &mio, mem_write, mem_read, mem_close };
	struct sftp_client *c = NULL;
	char why[256] = "";

	q_init();
	ck_assert_int_eq(sftp_client_new(&io, &c, why, sizeof(why)), 0);
	return c;
}

static uint8_t *
pattern(size_t n)
{
	uint8_t *p = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 7 + i / 251) & 0xff);
	return p;
}

static void
assert_file(const char *path, const uint8_t *p, size_t n)
{
	uint8_t *got = malloc(n + 1);
	ssize_t rd;
	int fd = open(path, O_RDONLY);

	ck_assert_ptr_nonnull(got);
	ck_assert_int_ge(fd, 0);
	rd = read(fd, got, n + 1);
	ck_assert_int_eq(rd, (ssize_t)n);
	ck_assert_int_eq(memcmp(got, p, n), 0);
	(void)close(fd);
	free(got);
}

/* --- tests -------------------------------------------------------------- */

START_TEST(init_and_realpath)
{
	struct sftp_client *c;
	const char *names[] = { "/inbox" };
	char *res = NULL, why[256] = "";

	r_version();
	r_names(1, names, 1);
	c = connect_client();
	q_path(SSH_FXP_REALPATH, 1, ".");
	ck_assert_int_eq(sftp_realpath(c, ".", &res, why, sizeof(why)), 0);
	ck_assert_str_eq(res, "/inbox");
	assert_sent();
	free(res);
	sftp_client_free(c);
	ck_assert_int_eq(mio.closed, 1);
}
END_TEST

START_TEST(version_refused)
{
	static const uint8_t v2[] = { 0, 0, 0, 5, 2, 0, 0, 0, 2 };
	struct sftp_io io = { &mio, mem_write, mem_read, mem_close };
	struct sftp_client *c = NULL;
	char why[256] = "";

	ck_assert_int_eq(sbuf_put(mio.server, v2, sizeof(v2)), 0);
	ck_assert_int_eq(sftp_client_new(&io, &c, why, sizeof(why)),
	    SLUICE_EPROTO);
	ck_assert_str_eq(why, "the server does not speak SFTP version 3");
	ck_assert_ptr_null(c);
	ck_assert_int_eq(mio.closed, 1);
}
END_TEST

START_TEST(oversized_packet_refused)
{
	static const uint8_t big[] = { 0x7f, 0xff, 0xff, 0xff, 2, 0, 0, 0, 3 };
	struct sftp_io io = { &mio, mem_write, mem_read, mem_close };
	struct sftp_client *c = NULL;
	char why[256] = "";

	ck_assert_int_eq(sbuf_put(mio.server, big, sizeof(big)), 0);
	ck_assert_int_eq(sftp_client_new(&io, &c, why, sizeof(why)),
	    SLUICE_EPROTO);
	ck_assert_str_eq(why, "server sent a packet of 2147483647 bytes");
}
END_TEST

START_TEST(closed_stream)
{
	struct sftp_io io = { &mio, mem_write, mem_read, mem_close };
	struct sftp_client *c = NULL;
	char why[256] = "";
	static const uint8_t part[] = { 0, 0, 0, 5, 2 };

	ck_assert_int_eq(sbuf_put(mio.server, part, sizeof(part)), 0);
	ck_assert_int_eq(sftp_client_new(&io, &c, why, sizeof(why)),
	    SLUICE_EPROTO);
	ck_assert_str_eq(why, "the server closed the SFTP session");
}
END_TEST

START_TEST(stat_denied_message_sanitised)
{
	struct sftp_client *c;
	struct sftp_attrs a;
	char why[256] = "";

	r_version();
	r_status(1, SSH_FX_PERMISSION_DENIED,
	    "agreement NIC-123456-A1B2C is suspended\x1b[2J");
	r_status(2, SSH_FX_NO_SUCH_FILE, "");
	r_attrs(3, 4242);
	c = connect_client();
	q_path(SSH_FXP_STAT, 1, "/NIC-123456-A1B2C/x.age");
	q_path(SSH_FXP_STAT, 2, "/nope");
	q_path(SSH_FXP_STAT, 3, "/release.pub");
	ck_assert_int_eq(sftp_stat(c, "/NIC-123456-A1B2C/x.age", &a, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "/NIC-123456-A1B2C/x.age: agreement "
	    "NIC-123456-A1B2C is suspended?[2J");
	ck_assert_int_eq(sftp_stat(c, "/nope", &a, why, sizeof(why)),
	    SLUICE_ENOTFOUND);
	ck_assert_str_eq(why, "/nope: no such file");
	ck_assert_int_eq(sftp_stat(c, "/release.pub", &a, why, sizeof(why)), 0);
	ck_assert_uint_eq(a.size, 4242);
	ck_assert_uint_eq(a.perm, 0100444);
	ck_assert_uint_eq(a.flags, SSH_FILEXFER_ATTR_SIZE |
	    SSH_FILEXFER_ATTR_PERMISSIONS);
	assert_sent();
	sftp_client_free(c);
}
END_TEST

START_TEST(list_directory)
{
	struct sftp_client *c;
	struct sftp_dirent *e = NULL;
	const char *first[] = { ".", "..", "NIC-123456-A1B2C" };
	const char *second[] = { "release.pub" };
	size_t n = 0;
	char why[256] = "";

	r_version();
	r_handle(1, "dh");
	r_names(2, first, 3);
	r_names(3, second, 1);
	r_status(4, SSH_FX_EOF, "");
	r_status(5, SSH_FX_OK, "");
	c = connect_client();
	q_path(SSH_FXP_OPENDIR, 1, "/");
	q_handle(SSH_FXP_READDIR, 2, "dh");
	q_handle(SSH_FXP_READDIR, 3, "dh");
	q_handle(SSH_FXP_READDIR, 4, "dh");
	q_handle(SSH_FXP_CLOSE, 5, "dh");
	ck_assert_int_eq(sftp_list(c, "/", &e, &n, why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[0].name, "NIC-123456-A1B2C");
	ck_assert_uint_eq(e[0].attrs.size, 1002);
	ck_assert_str_eq(e[1].name, "release.pub");
	ck_assert_str_eq(e[1].longname, "longname");
	assert_sent();
	sftp_dirents_free(e, n);
	sftp_client_free(c);
}
END_TEST

/* 600000 bytes: three READs in flight at once, answered out of order, the
 * last one short, so the rest is asked for again and meets EOF. */
START_TEST(get_pipelined_out_of_order)
{
	struct sftp_client *c;
	uint8_t *p = pattern(600000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 4093;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 600000);
	r_data(4, p + 261120, 261120);
	r_data(3, p, 261120);
	r_data(5, p + 522240, 77760);
	r_status(6, SSH_FX_EOF, "");
	r_status(7, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 2, "fh");
	q_read(3, "fh", 0, 261120);
	q_read(4, "fh", 261120, 261120);
	q_read(5, "fh", 522240, 261120);
	q_read(6, "fh", 600000, 261120 - 77760);
	q_handle(SSH_FXP_CLOSE, 7, "fh");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get(c, "/N/a.age", fd, 0, NULL, NULL, &got, why,
	    sizeof(why)), 0);
	ck_assert_uint_eq(got, 600000);
	(void)close(fd);
	assert_file(out, p, 600000);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

/* A partial file of 261120 bytes: the download asks from there on. */
START_TEST(get_resumes)
{
	struct sftp_client *c;
	uint8_t *p = pattern(600000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	(void)snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, 261120), 261120);
	mio.maxread = 65536;
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 600000);
	r_data(3, p + 261120, 261120);
	r_data(4, p + 522240, 77760);
	r_status(5, SSH_FX_EOF, "");
	r_status(6, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 2, "fh");
	q_read(3, "fh", 261120, 261120);
	q_read(4, "fh", 522240, 261120);
	q_read(5, "fh", 600000, 261120 - 77760);
	q_handle(SSH_FXP_CLOSE, 6, "fh");
	ck_assert_int_eq(sftp_get(c, "/N/a.age", fd, 261120, NULL, NULL, &got,
	    why, sizeof(why)), 0);
	ck_assert_uint_eq(got, 600000 - 261120);
	(void)close(fd);
	assert_file(out, p, 600000);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

/* The gate closes mid-transfer: the first denial is what the user sees;
 * the other replies are drained and the handle closed. */
START_TEST(get_denied_midway)
{
	struct sftp_client *c;
	uint8_t *p = pattern(261120);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 100000;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 600000);
	r_data(3, p, 261120);
	r_status(4, SSH_FX_PERMISSION_DENIED,
	    "agreement NIC-123456-A1B2C is suspended");
	r_status(5, SSH_FX_PERMISSION_DENIED, "second denial");
	r_status(6, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 2, "fh");
	q_read(3, "fh", 0, 261120);
	q_read(4, "fh", 261120, 261120);
	q_read(5, "fh", 522240, 261120);
	q_handle(SSH_FXP_CLOSE, 6, "fh");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get(c, "/N/a.age", fd, 0, NULL, NULL, &got, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "/N/a.age: agreement NIC-123456-A1B2C is "
	    "suspended");
	(void)close(fd);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

START_TEST(get_open_denied)
{
	struct sftp_client *c;
	uint64_t got = 0;
	char why[256] = "";

	r_version();
	r_status(1, SSH_FX_PERMISSION_DENIED,
	    "no contract in force for organisation RX1");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	ck_assert_int_eq(sftp_get(c, "/N/a.age", 1, 0, NULL, NULL, &got, why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "/N/a.age: no contract in force for "
	    "organisation RX1");
	assert_sent();
	sftp_client_free(c);
}
END_TEST

/* A DATA reply longer than was asked for is a protocol error. */
START_TEST(get_overlong_data)
{
	struct sftp_client *c;
	uint8_t *p = pattern(300000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 100000;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 100);
	r_data(3, p, 261121);
	c = connect_client();
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get(c, "/N/a.age", fd, 0, NULL, NULL, &got, why,
	    sizeof(why)), SLUICE_EPROTO);
	ck_assert_str_eq(why, "/N/a.age: malformed data from server");
	(void)close(fd);
	sftp_client_free(c);
	free(p);
}
END_TEST

/* A head check for the tests: the head is whole at 5000 bytes; what check
 * saw is kept; refuse says whether it refuses. */
struct head_seen {
	size_t	 n;
	int	 calls;
	int	 refuse;
};

static size_t
head_len_5000(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	return n >= 5000 ? 5000 : 0;
}

static int
head_check(void *arg, const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct head_seen *h = arg;
	uint8_t *want_p = pattern(n);

	ck_assert_int_eq(memcmp(p, want_p, n), 0);
	free(want_p);
	h->n = n;
	h->calls++;
	if (h->refuse)
		return sluice_why(why, whylen, SLUICE_EDENIED, "not for you");
	return 0;
}

/* The head comes first, in READs of 4096 then doubling, until it is whole
 * (8192 bytes); then FSTAT and the pipelined rest from there, in the same
 * OPEN; the file is whole on disk. */
START_TEST(get_head_then_rest)
{
	struct head_seen seen = { 0, 0, 0 };
	struct sftp_head_check head = { 262144, head_len_5000, head_check,
	    &seen };
	struct sftp_client *c;
	uint8_t *p = pattern(10000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 3001;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_data(2, p, 4096);
	r_data(3, p + 4096, 4096);
	r_attrs(4, 10000);
	r_data(5, p + 8192, 1808);
	r_status(6, SSH_FX_EOF, "");
	r_status(7, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_read(2, "fh", 0, 4096);
	q_read(3, "fh", 4096, 4096);
	q_handle(SSH_FXP_FSTAT, 4, "fh");
	q_read(5, "fh", 8192, 261120);
	q_read(6, "fh", 10000, 261120 - 1808);
	q_handle(SSH_FXP_CLOSE, 7, "fh");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get_checked(c, "/N/a.age", fd, 0, &head, NULL,
	    NULL, &got, why, sizeof(why)), 0);
	ck_assert_uint_eq(got, 10000);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.n, 8192);
	(void)close(fd);
	assert_file(out, p, 10000);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

/* A file shorter than its head would be: read to EOF, checked, refused:
 * nothing written, the handle closed, the check's reason kept. */
START_TEST(get_head_refused)
{
	struct head_seen seen = { 0, 0, 1 };
	struct sftp_head_check head = { 262144, head_len_5000, head_check,
	    &seen };
	struct sftp_client *c;
	uint8_t *p = pattern(300);
	uint64_t got = 7;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 100000;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_data(2, p, 300);
	r_status(3, SSH_FX_EOF, "");
	r_status(4, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_read(2, "fh", 0, 4096);
	q_read(3, "fh", 300, 4096 - 300);
	q_handle(SSH_FXP_CLOSE, 4, "fh");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get_checked(c, "/N/a.age", fd, 0, &head, NULL,
	    NULL, &got, why, sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "not for you");
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.n, 300);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	(void)close(fd);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

/* Resuming past the head: the head is read and checked but not written
 * again; the download goes on where the local copy ends. */
START_TEST(get_head_resume_beyond)
{
	struct head_seen seen = { 0, 0, 0 };
	struct sftp_head_check head = { 262144, head_len_5000, head_check,
	    &seen };
	struct sftp_client *c;
	uint8_t *p = pattern(20000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 100000;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, 15000), 15000);
	r_version();
	r_handle(1, "fh");
	r_data(2, p, 4096);
	r_data(3, p + 4096, 4096);
	r_attrs(4, 20000);
	r_data(5, p + 15000, 5000);
	r_status(6, SSH_FX_EOF, "");
	r_status(7, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_read(2, "fh", 0, 4096);
	q_read(3, "fh", 4096, 4096);
	q_handle(SSH_FXP_FSTAT, 4, "fh");
	q_read(5, "fh", 15000, 261120);
	q_read(6, "fh", 20000, 261120 - 5000);
	q_handle(SSH_FXP_CLOSE, 7, "fh");
	ck_assert_int_eq(sftp_get_checked(c, "/N/a.age", fd, 15000, &head,
	    NULL, NULL, &got, why, sizeof(why)), 0);
	ck_assert_uint_eq(got, 5000);
	ck_assert_int_eq(seen.calls, 1);
	(void)close(fd);
	assert_file(out, p, 20000);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

/* A sink that keeps what it is handed; it refuses once it holds more
 * than refuse_after bytes (0: never). */
struct sink_seen {
	struct sbuf	*got;
	size_t		 calls;
	size_t		 refuse_after;
};

static int
sink_take(void *arg, const uint8_t *p, size_t n, char *why, size_t whylen)
{
	struct sink_seen *k = arg;

	k->calls++;
	ck_assert_int_eq(sbuf_put(k->got, p, n), 0);
	if (k->refuse_after != 0 && sbuf_len(k->got) > k->refuse_after)
		return sluice_why(why, whylen, SLUICE_EVERIFY, "bad chunk");
	return 0;
}

/* A resumed download with a head, its replies out of order and one short:
 * the sink gets every byte from 0 once, in order: the head, the local
 * copy after it, then the rest (what came early read back from the file
 * once the gap before it filled). */
START_TEST(stream_in_order)
{
	struct head_seen seen = { 0, 0, 0 };
	struct sftp_head_check head = { 262144, head_len_5000, head_check,
	    &seen };
	struct sink_seen k = { sbuf_new(), 0, 0 };
	struct sftp_sink sink = { sink_take, &k, 0 };
	struct sftp_client *c;
	uint8_t *p = pattern(600000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 65536;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, 15000), 15000);
	r_version();
	r_handle(1, "fh");
	r_data(2, p, 4096);
	r_data(3, p + 4096, 4096);
	r_attrs(4, 600000);
	r_data(6, p + 276120, 261120);
	r_data(5, p + 15000, 261120);
	r_data(7, p + 537240, 62760);
	r_status(8, SSH_FX_EOF, "");
	r_status(9, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_read(2, "fh", 0, 4096);
	q_read(3, "fh", 4096, 4096);
	q_handle(SSH_FXP_FSTAT, 4, "fh");
	q_read(5, "fh", 15000, 261120);
	q_read(6, "fh", 276120, 261120);
	q_read(7, "fh", 537240, 261120);
	q_read(8, "fh", 600000, 261120 - 62760);
	q_handle(SSH_FXP_CLOSE, 9, "fh");
	ck_assert_msg(sftp_get_stream(c, "/N/a.age", fd, 15000, &head, &sink,
	    NULL, NULL, &got, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(got, 600000 - 15000);
	ck_assert_uint_eq(sbuf_len(k.got), 600000);
	ck_assert_int_eq(memcmp(sbuf_ptr(k.got), p, 600000), 0);
	(void)close(fd);
	assert_file(out, p, 600000);
	assert_sent();
	sftp_client_free(c);
	sbuf_free(k.got);
	free(p);
}
END_TEST

/* A sink that writes the bytes itself: the download writes only what it
 * could not hand on at once (the reply that came early); the rest is the
 * sink's to write. */
START_TEST(stream_sink_writes)
{
	struct sink_seen k = { sbuf_new(), 0, 0 };
	struct sftp_sink sink = { sink_take, &k, 1 };
	struct sftp_client *c;
	uint8_t *p = pattern(600000), *file = calloc(1, 537240);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	ck_assert_ptr_nonnull(file);
	mio.maxread = 65536;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, 15000), 15000);
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 600000);
	r_data(4, p + 276120, 261120);
	r_data(3, p + 15000, 261120);
	r_data(5, p + 537240, 62760);
	r_status(6, SSH_FX_EOF, "");
	r_status(7, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 2, "fh");
	q_read(3, "fh", 15000, 261120);
	q_read(4, "fh", 276120, 261120);
	q_read(5, "fh", 537240, 261120);
	q_read(6, "fh", 600000, 261120 - 62760);
	q_handle(SSH_FXP_CLOSE, 7, "fh");
	ck_assert_msg(sftp_get_stream(c, "/N/a.age", fd, 15000, NULL, &sink,
	    NULL, NULL, &got, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(sbuf_len(k.got), 600000);
	ck_assert_int_eq(memcmp(sbuf_ptr(k.got), p, 600000), 0);
	(void)close(fd);
	memcpy(file, p, 15000);
	memcpy(file + 276120, p + 276120, 261120);
	assert_file(out, file, 537240);
	assert_sent();
	sftp_client_free(c);
	sbuf_free(k.got);
	free(file);
	free(p);
}
END_TEST

/* The sink refuses midway: nothing more is asked for, the replies still
 * due are drained, the handle is closed and the sink's reason kept. */
START_TEST(stream_sink_refuses)
{
	struct sink_seen k = { sbuf_new(), 0, 300000 };
	struct sftp_sink sink = { sink_take, &k, 0 };
	struct sftp_client *c;
	uint8_t *p = pattern(600000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	mio.maxread = 65536;
	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 600000);
	r_data(3, p, 261120);
	r_data(4, p + 261120, 261120);
	r_data(5, p + 522240, 50000);
	r_status(6, SSH_FX_OK, "");
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 2, "fh");
	q_read(3, "fh", 0, 261120);
	q_read(4, "fh", 261120, 261120);
	q_read(5, "fh", 522240, 261120);
	q_handle(SSH_FXP_CLOSE, 6, "fh");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get_stream(c, "/N/a.age", fd, 0, NULL, &sink,
	    NULL, NULL, &got, why, sizeof(why)), SLUICE_EVERIFY);
	ck_assert_str_eq(why, "bad chunk");
	ck_assert_uint_eq(k.calls, 2);
	(void)close(fd);
	assert_sent();
	sftp_client_free(c);
	sbuf_free(k.got);
	free(p);
}
END_TEST

/* A server that advertises limits@openssh.com is asked for them, and
 * READs stay at its read length. */
START_TEST(limits_followed)
{
	struct sftp_client *c;
	struct sftp_io io = { &mio, mem_write, mem_read, mem_close };
	struct sbuf *b = sbuf_new(), *rq = body(SSH_FXP_EXTENDED, 1);
	uint8_t *p = pattern(150000);
	uint64_t got = 0;
	char why[256] = "", out[128];
	int fd;

	(void)snprintf(out, sizeof(out), "%s/out", dir);
	ck_assert_int_eq(sbuf_put_u8(b, SSH_FXP_VERSION), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 3), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "limits@openssh.com"), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "1"), 0);
	frame(mio.server, b);
	b = body(SSH_FXP_EXTENDED_REPLY, 1);
	ck_assert_int_eq(sbuf_put_u64(b, 34000), 0);
	ck_assert_int_eq(sbuf_put_u64(b, 100000), 0);
	ck_assert_int_eq(sbuf_put_u64(b, 32768), 0);
	ck_assert_int_eq(sbuf_put_u64(b, 64), 0);
	frame(mio.server, b);
	r_handle(2, "fh");
	r_attrs(3, 150000);
	r_data(4, p, 100000);
	r_data(5, p + 100000, 50000);
	r_status(6, SSH_FX_EOF, "");
	r_status(7, SSH_FX_OK, "");
	q_init();
	ck_assert_int_eq(sbuf_put_cstring(rq, "limits@openssh.com"), 0);
	frame(want, rq);
	q_open(2, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 3, "fh");
	q_read(4, "fh", 0, 100000);
	q_read(5, "fh", 100000, 100000);
	q_read(6, "fh", 150000, 50000);
	q_handle(SSH_FXP_CLOSE, 7, "fh");
	ck_assert_int_eq(sftp_client_new(&io, &c, why, sizeof(why)), 0);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get(c, "/N/a.age", fd, 0, NULL, NULL, &got, why,
	    sizeof(why)), 0);
	(void)close(fd);
	assert_file(out, p, 150000);
	assert_sent();
	sftp_client_free(c);
	free(p);
}
END_TEST

static void
put_file(const uint8_t *p, size_t n, int *fd)
{
	char in[128];

	(void)snprintf(in, sizeof(in), "%s/in", dir);
	*fd = open(in, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(*fd, 0);
	ck_assert_int_eq(write(*fd, p, n), (ssize_t)n);
	ck_assert_int_eq(lseek(*fd, 0, SEEK_SET), 0);
}

START_TEST(put_pipelined_with_verdict)
{
	struct sftp_client *c;
	uint8_t *p = pattern(100000);
	char why[256] = "", verdict[256] = "x";
	int fd;

	put_file(p, 100000, &fd);
	r_version();
	r_handle(1, "wh");
	r_status(2, SSH_FX_OK, "");
	r_status(3, SSH_FX_OK, "");
	r_status(4, SSH_FX_OK, "certificate of deletion verified; "
	    "NIC-123456-A1B2C is now closed");
	c = connect_client();
	/* a regular file: the OPEN gives its size */
	q_open_sized(1, "/inbox/dsa.txt", SSH_FXF_WRITE | SSH_FXF_CREAT |
	    SSH_FXF_TRUNC, 100000);
	q_write(2, "wh", 0, p, 65536);
	q_write(3, "wh", 65536, p + 65536, 100000 - 65536);
	q_handle(SSH_FXP_CLOSE, 4, "wh");
	ck_assert_int_eq(sftp_put(c, fd, "/inbox/dsa.txt", NULL, NULL, verdict,
	    sizeof(verdict), why, sizeof(why)), 0);
	ck_assert_str_eq(verdict, "certificate of deletion verified; "
	    "NIC-123456-A1B2C is now closed");
	assert_sent();
	(void)close(fd);
	sftp_client_free(c);
	free(p);
}
END_TEST

START_TEST(put_refused_at_close)
{
	struct sftp_client *c;
	uint8_t *p = pattern(10);
	char why[256] = "", verdict[256] = "";
	int fd;

	put_file(p, 10, &fd);
	r_version();
	r_handle(1, "wh");
	r_status(2, SSH_FX_OK, "");
	r_status(3, SSH_FX_PERMISSION_DENIED,
	    "certificate of deletion is from ORG-B, not ORG-A");
	c = connect_client();
	q_open_sized(1, "/N/deletion-certificate/certificate.p7m",
	    SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, 10);
	q_write(2, "wh", 0, p, 10);
	q_handle(SSH_FXP_CLOSE, 3, "wh");
	ck_assert_int_eq(sftp_put(c, fd, "/N/deletion-certificate/"
	    "certificate.p7m", NULL, NULL, verdict, sizeof(verdict), why,
	    sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(verdict, "certificate of deletion is from ORG-B, "
	    "not ORG-A");
	ck_assert_str_eq(why, "/N/deletion-certificate/certificate.p7m: "
	    "certificate of deletion is from ORG-B, not ORG-A");
	assert_sent();
	(void)close(fd);
	sftp_client_free(c);
	free(p);
}
END_TEST

START_TEST(put_open_denied)
{
	struct sftp_client *c;
	char why[256] = "", verdict[256] = "";
	int pfd[2];

	/* a pipe has no size to give: the OPEN's attrs are empty */
	ck_assert_int_eq(pipe(pfd), 0);
	r_version();
	r_status(1, SSH_FX_PERMISSION_DENIED, "read-only");
	c = connect_client();
	q_open(1, "/N/x", SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC);
	ck_assert_int_eq(sftp_put(c, pfd[0], "/N/x", NULL, NULL, verdict,
	    sizeof(verdict), why, sizeof(why)), SLUICE_EDENIED);
	ck_assert_str_eq(why, "/N/x: read-only");
	assert_sent();
	(void)close(pfd[0]);
	(void)close(pfd[1]);
	sftp_client_free(c);
}
END_TEST

/* A reply to no request in flight is a protocol error, for get and put:
 * one to an id never sent, and one to an id already answered while
 * another is in flight. */
START_TEST(reply_to_unknown_request)
{
	struct sftp_client *c;
	uint8_t *p = pattern(100000);
	uint64_t got = 0;
	char why[256] = "", verdict[256] = "", out[128];
	int fd;

	(void)snprintf(out, sizeof(out), "%s/out", dir);
	r_version();
	r_handle(1, "fh");
	r_attrs(2, 100);
	r_data(99, p, 100);
	c = connect_client();
	q_open(1, "/N/a.age", SSH_FXF_READ);
	q_handle(SSH_FXP_FSTAT, 2, "fh");
	q_read(3, "fh", 0, 261120);
	q_handle(SSH_FXP_CLOSE, 4, "fh");
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sftp_get(c, "/N/a.age", fd, 0, NULL, NULL, &got, why,
	    sizeof(why)), SLUICE_EPROTO);
	ck_assert_str_eq(why, "/N/a.age: reply to unknown request 99");
	ck_assert_uint_eq(got, 0);
	assert_sent();
	(void)close(fd);
	sftp_client_free(c);

	sbuf_reset(mio.sent);
	sbuf_reset(want);
	put_file(p, 100000, &fd);
	r_version();
	r_handle(1, "wh");
	r_status(2, SSH_FX_OK, "");
	r_status(2, SSH_FX_OK, "");
	c = connect_client();
	q_open_sized(1, "/inbox/x", SSH_FXF_WRITE | SSH_FXF_CREAT |
	    SSH_FXF_TRUNC, 100000);
	q_write(2, "wh", 0, p, 65536);
	q_write(3, "wh", 65536, p + 65536, 100000 - 65536);
	ck_assert_int_eq(sftp_put(c, fd, "/inbox/x", NULL, NULL, verdict,
	    sizeof(verdict), why, sizeof(why)), SLUICE_EPROTO);
	ck_assert_str_eq(why, "/inbox/x: reply to unknown request 2");
	assert_sent();
	(void)close(fd);
	sftp_client_free(c);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("client_sftp");
	TCase *tc = tcase_create("sftp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_and_realpath);
	tcase_add_test(tc, version_refused);
	tcase_add_test(tc, oversized_packet_refused);
	tcase_add_test(tc, closed_stream);
	tcase_add_test(tc, stat_denied_message_sanitised);
	tcase_add_test(tc, list_directory);
	tcase_add_test(tc, get_pipelined_out_of_order);
	tcase_add_test(tc, get_resumes);
	tcase_add_test(tc, get_denied_midway);
	tcase_add_test(tc, get_open_denied);
	tcase_add_test(tc, get_overlong_data);
	tcase_add_test(tc, reply_to_unknown_request);
	tcase_add_test(tc, get_head_then_rest);
	tcase_add_test(tc, get_head_refused);
	tcase_add_test(tc, get_head_resume_beyond);
	tcase_add_test(tc, stream_in_order);
	tcase_add_test(tc, stream_sink_refuses);
	tcase_add_test(tc, stream_sink_writes);
	tcase_add_test(tc, limits_followed);
	tcase_add_test(tc, put_pipelined_with_verdict);
	tcase_add_test(tc, put_refused_at_close);
	tcase_add_test(tc, put_open_denied);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
