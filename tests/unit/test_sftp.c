/* Drives the SFTP core with bytes and a fake engine on a socketpair: the
 * engine's replies are queued on the socket before the request that needs
 * them, and the requests are read back and checked afterwards. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "session/sftp.h"
#include "sluice/age.h"
#include "sluice/error.h"
#include "suite_run.h"

static int eng[2];
static struct ipc_shared *sh;
static struct sftp *s;
static uint64_t fake_ms;
static char tmpdir[64];

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_ms;
}

static void
start(enum ipc_kind kind)
{
	static const uint8_t init[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, eng), 0);
	if (sh == NULL)
		sh = ipc_shared_create();
	ck_assert_ptr_nonnull(sh);
	fake_ms = 5000;
	s = sftp_new(eng[0], sh, kind);
	ck_assert_ptr_nonnull(s);
	sftp_set_clock(s, fake_clock, NULL);
	ck_assert_int_eq(sftp_input(s, init, sizeof(init)), 0);
	sbuf_reset(sftp_output(s));
}

static void
setup(void)
{
	(void)snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-sftp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	start(IPC_KIND_RECIPIENT);
}

static void
stop(void)
{
	/* With the engine gone, sftp_free's IPC_CLOSE calls fail at once. */
	close(eng[1]);
	sftp_free(s);
	close(eng[0]);
	s = NULL;
}

static void
teardown(void)
{
	char path[128];

	stop();
	(void)snprintf(path, sizeof(path), "%s/f", tmpdir);
	(void)unlink(path);
	(void)rmdir(tmpdir);
}

/* A temp file holding n bytes of data, opened for reading, then unlinked. */
static int
temp_fd(const void *data, size_t n)
{
	char path[128];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/f", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(unlink(path), 0);
	return fd;
}

/* ---- packet builders ---- */

static struct sbuf *
pkt_new(uint8_t type, uint32_t id)
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put_u32(b, 0), 0);
	ck_assert_int_eq(sbuf_put_u8(b, type), 0);
	ck_assert_int_eq(sbuf_put_u32(b, id), 0);
	return b;
}

static void
pkt_send(struct sbuf *b, int want)
{
	sbuf_poke_u32(b->data, (uint32_t)(b->len - 4));
	ck_assert_int_eq(sftp_input(s, sbuf_ptr(b), sbuf_len(b)), want);
	sbuf_free(b);
}

static void
path_req(uint8_t type, uint32_t id, const char *path)
{
	struct sbuf *b = pkt_new(type, id);

	ck_assert_int_eq(sbuf_put_cstring(b, path), 0);
	pkt_send(b, 0);
}

/* Asserts that the output holds exactly `want`, then empties it. */
static void
expect_out(struct sbuf *want)
{
	struct sbuf *out = sftp_output(s);

	sbuf_poke_u32(want->data, (uint32_t)(want->len - 4));
	if (getenv("SFTP_TEST_DUMP") != NULL) {
		fwrite(sbuf_ptr(out), 1, sbuf_len(out), stderr);
		fwrite(sbuf_ptr(want), 1, sbuf_len(want), stderr);
	}
	ck_assert_uint_eq(sbuf_len(out), sbuf_len(want));
	ck_assert_int_eq(memcmp(sbuf_ptr(out), sbuf_ptr(want), sbuf_len(want)),
	    0);
	sbuf_reset(out);
	sbuf_free(want);
}

static struct sbuf *
want_new(uint8_t type, uint32_t id)
{
	return pkt_new(type, id);
}

static void
expect_status(uint32_t id, uint32_t code, const char *msg)
{
	struct sbuf *w = want_new(SSH_FXP_STATUS, id);

	ck_assert_int_eq(sbuf_put_u32(w, code), 0);
	ck_assert_int_eq(sbuf_put_cstring(w, msg), 0);
	ck_assert_int_eq(sbuf_put_cstring(w, ""), 0);
	expect_out(w);
}

/* ---- fake engine ---- */

static void
engine_reply(uint32_t type, struct sbuf *body, int fd)
{
	ck_assert_int_eq(ipc_send(eng[1], type | IPC_REPLY, body, fd), 0);
	sbuf_free(body);
}

static struct sbuf *
engine_status(uint32_t status, const char *msg)
{
	struct sbuf *b = sbuf_new();

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_put_u32(b, status), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, msg), 0);
	return b;
}

/* Reads the next request; it must be of `type`. Caller frees. */
static struct sbuf *
engine_request(uint32_t type)
{
	struct sbuf *b = sbuf_new();
	uint32_t got;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(ipc_recv(eng[1], &got, b, NULL), 0);
	ck_assert_uint_eq(got, type);
	return b;
}

static void
engine_quiet(void)
{
	uint8_t c;

	ck_assert_int_eq(recv(eng[1], &c, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

static void
expect_path_request(uint32_t type, const char *path)
{
	struct sbuf *b = engine_request(type);
	char *p;

	ck_assert_int_eq(sbuf_get_cstring(b, &p, 2048), 0);
	ck_assert_str_eq(p, path);
	free(p);
	sbuf_free(b);
}

static const uint8_t *open_key;	/* appended to OPEN replies when set */

/* Queues an OPEN reply and opens path; returns the 4-byte handle. */
static uint32_t
open_file(uint32_t id, const char *path, uint32_t pflags, uint32_t flags,
    uint64_t size, const char *prefix, uint64_t fd_off, int fd)
{
	struct sbuf *r = engine_status(0, ""), *b;
	const uint8_t *hp;
	uint64_t expect;
	size_t hn;
	uint32_t h, v;
	uint8_t t;

	ck_assert_int_eq(sbuf_put_u64(r, 77), 0);
	ck_assert_int_eq(sbuf_put_u32(r, flags), 0);
	ck_assert_int_eq(sbuf_put_u64(r, size), 0);
	ck_assert_int_eq(sbuf_put_cstring(r, prefix), 0);
	ck_assert_int_eq(sbuf_put_u64(r, fd_off), 0);
	if (open_key != NULL)
		ck_assert_int_eq(sbuf_put_string(r, open_key, AGE_FILE_KEY_LEN), 0);
	engine_reply(IPC_OPEN, r, fd);
	if (fd != -1)
		close(fd);
	b = pkt_new(SSH_FXP_OPEN, id);
	ck_assert_int_eq(sbuf_put_cstring(b, path), 0);
	ck_assert_int_eq(sbuf_put_u32(b, pflags), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0), 0);	/* attrs */
	pkt_send(b, 0);
	b = engine_request(IPC_OPEN);
	ck_assert_int_eq(sbuf_get_string_direct(b, &hp, &hn), 0);
	ck_assert_uint_eq(hn, strlen(path));
	ck_assert_int_eq(memcmp(hp, path, hn), 0);
	ck_assert_int_eq(sbuf_get_u32(b, &v), 0);
	ck_assert_uint_eq(v, pflags);
	/* no size in the attrs: none expected */
	ck_assert_int_eq(sbuf_get_u64(b, &expect), 0);
	ck_assert_uint_eq(expect, UINT64_MAX);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
	/* HANDLE reply: len 13, type, id, string(4) */
	b = sftp_output(s);
	ck_assert_uint_eq(sbuf_len(b), 4 + 1 + 4 + 4 + 4);
	ck_assert_int_eq(sbuf_get_u32(b, &v), 0);
	ck_assert_uint_eq(v, 13);
	ck_assert_int_eq(sbuf_get_u8(b, &t), 0);
	ck_assert_uint_eq(t, SSH_FXP_HANDLE);
	ck_assert_int_eq(sbuf_get_u32(b, &v), 0);
	ck_assert_uint_eq(v, id);
	ck_assert_int_eq(sbuf_get_u32(b, &v), 0);
	ck_assert_uint_eq(v, 4);
	ck_assert_int_eq(sbuf_get_u32(b, &h), 0);
	sbuf_reset(b);
	return h;
}

static struct sbuf *
handle_req(uint8_t type, uint32_t id, uint32_t h)
{
	struct sbuf *b = pkt_new(type, id);

	ck_assert_int_eq(sbuf_put_u32(b, 4), 0);
	ck_assert_int_eq(sbuf_put_u32(b, h), 0);
	return b;
}

static void
read_req(uint32_t id, uint32_t h, uint64_t off, uint32_t len)
{
	struct sbuf *b = handle_req(SSH_FXP_READ, id, h);

	ck_assert_int_eq(sbuf_put_u64(b, off), 0);
	ck_assert_int_eq(sbuf_put_u32(b, len), 0);
	pkt_send(b, 0);
}

static void
expect_data(uint32_t id, const void *p, size_t n)
{
	struct sbuf *w = want_new(SSH_FXP_DATA, id);

	ck_assert_int_eq(sbuf_put_string(w, p, n), 0);
	expect_out(w);
}

/* ---- tests ---- */

START_TEST(test_init)
{
	static const uint8_t init[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };
	static const uint8_t version[] = {
		0, 0, 0, 32, 2, 0, 0, 0, 3,
		0, 0, 0, 18, 'l', 'i', 'm', 'i', 't', 's', '@', 'o', 'p', 'e',
		'n', 's', 's', 'h', '.', 'c', 'o', 'm',
		0, 0, 0, 1, '1' };
	struct sftp *t = sftp_new(eng[0], sh, IPC_KIND_RECIPIENT);
	struct sbuf *out;

	ck_assert_ptr_nonnull(t);
	/* Byte by byte: framing must cope with any split. */
	for (size_t i = 0; i < sizeof(init); i++)
		ck_assert_int_eq(sftp_input(t, init + i, 1), 0);
	out = sftp_output(t);
	ck_assert_uint_eq(sbuf_len(out), sizeof(version));
	ck_assert_int_eq(memcmp(sbuf_ptr(out), version, sizeof(version)), 0);
	/* A second INIT breaks the protocol. */
	ck_assert_int_eq(sftp_input(t, init, sizeof(init)), SLUICE_EPROTO);
	sftp_free(t);
}
END_TEST

START_TEST(test_before_init)
{
	struct sftp *t = sftp_new(eng[0], sh, IPC_KIND_RECIPIENT);
	static const uint8_t stat[] = { 0, 0, 0, 10, 17, 0, 0, 0, 1,
	    0, 0, 0, 1, '/' };

	ck_assert_int_eq(sftp_input(t, stat, 9 + 1), 0);	/* incomplete */
	ck_assert_int_eq(sftp_input(t, stat + 10, 4), SLUICE_EPROTO);
	sftp_free(t);
}
END_TEST

START_TEST(test_limits_extension)
{
	struct sbuf *b = pkt_new(SSH_FXP_EXTENDED, 9), *w;

	ck_assert_int_eq(sbuf_put_cstring(b, "limits@openssh.com"), 0);
	pkt_send(b, 0);
	w = want_new(SSH_FXP_EXTENDED_REPLY, 9);
	ck_assert_int_eq(sbuf_put_u64(w, 262144), 0);
	ck_assert_int_eq(sbuf_put_u64(w, 261120), 0);
	ck_assert_int_eq(sbuf_put_u64(w, 261120), 0);
	ck_assert_int_eq(sbuf_put_u64(w, 256), 0);
	expect_out(w);
	b = pkt_new(SSH_FXP_EXTENDED, 10);
	ck_assert_int_eq(sbuf_put_cstring(b, "posix-rename@openssh.com"), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "/a"), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "/b"), 0);
	pkt_send(b, 0);
	expect_status(10, SSH_FX_OP_UNSUPPORTED, "Operation unsupported");
}
END_TEST

static void
expect_name(uint32_t id, const char *path)
{
	struct sbuf *w = want_new(SSH_FXP_NAME, id);

	ck_assert_int_eq(sbuf_put_u32(w, 1), 0);
	ck_assert_int_eq(sbuf_put_cstring(w, path), 0);
	ck_assert_int_eq(sbuf_put_cstring(w, path), 0);
	ck_assert_int_eq(sbuf_put_u32(w, 0), 0);
	expect_out(w);
}

START_TEST(test_realpath_recipient)
{
	path_req(SSH_FXP_REALPATH, 1, ".");
	expect_name(1, "/");
	path_req(SSH_FXP_REALPATH, 2, "NIC-123456-A1B2C/../NIC-123456-A1B2C//");
	expect_name(2, "/NIC-123456-A1B2C");
	path_req(SSH_FXP_REALPATH, 3, "/../../etc/passwd");
	expect_name(3, "/etc/passwd");
	path_req(SSH_FXP_REALPATH, 4, "\xc0\xaf");
	expect_status(4, SSH_FX_NO_SUCH_FILE, "path is not valid UTF-8");
	engine_quiet();
}
END_TEST

START_TEST(test_realpath_staff)
{
	stop();
	start(IPC_KIND_STAFF);
	path_req(SSH_FXP_REALPATH, 1, ".");
	expect_name(1, "/inbox");
	path_req(SSH_FXP_REALPATH, 2, "dsa.txt");
	expect_name(2, "/inbox/dsa.txt");
	path_req(SSH_FXP_REALPATH, 3, "..");
	expect_name(3, "/");
	/* Relative paths in other requests resolve against /inbox too. */
	engine_reply(IPC_REMOVE, engine_status(0, ""), -1);
	path_req(SSH_FXP_REMOVE, 4, "old.txt");
	expect_path_request(IPC_REMOVE, "/inbox/old.txt");
	expect_status(4, SSH_FX_OK, "Success");
}
END_TEST

START_TEST(test_stat)
{
	struct sbuf *r = engine_status(0, ""), *w;

	ck_assert_int_eq(sbuf_put_u32(r, 1), 0);
	ck_assert_int_eq(sbuf_put_u64(r, 1234), 0);
	ck_assert_int_eq(sbuf_put_u32(r, S_IFREG | 0444), 0);
	ck_assert_int_eq(sbuf_put_u32(r, 1700000000), 0);
	engine_reply(IPC_STAT, r, -1);
	path_req(SSH_FXP_STAT, 5, "/NIC-123456-A1B2C/x.age");
	expect_path_request(IPC_STAT, "/NIC-123456-A1B2C/x.age");
	w = want_new(SSH_FXP_ATTRS, 5);
	ck_assert_int_eq(sbuf_put_u32(w, 0x0d), 0);
	ck_assert_int_eq(sbuf_put_u64(w, 1234), 0);
	ck_assert_int_eq(sbuf_put_u32(w, S_IFREG | 0444), 0);
	ck_assert_int_eq(sbuf_put_u32(w, 1700000000), 0);
	ck_assert_int_eq(sbuf_put_u32(w, 1700000000), 0);
	expect_out(w);

	engine_reply(IPC_STAT, engine_status(2, "no such agreement"), -1);
	path_req(SSH_FXP_LSTAT, 6, "/NIC-000000-AAAAA");
	expect_path_request(IPC_STAT, "/NIC-000000-AAAAA");
	expect_status(6, SSH_FX_NO_SUCH_FILE, "no such agreement");
}
END_TEST

START_TEST(test_read_prefix_and_fd)
{
	int fd = temp_fd("xxPAYLOAD-DATA", 14);
	uint32_t h;
	struct sbuf *b;
	uint64_t v;
	uint8_t eof;

	/* File = "HEADER" + fd bytes from offset 2: 6 + 12 = 18 bytes. */
	h = open_file(1, "/NIC-123456-A1B2C/x.age", SSH_FXF_READ, 0, 18,
	    "HEADER", 2, fd);
	read_req(2, h, 4, 6);
	expect_data(2, "ERPAYL", 6);
	read_req(3, h, 0, 6);
	expect_data(3, "HEADER", 6);
	read_req(4, h, 10, 100);		/* clamped to what is left */
	expect_data(4, "OAD-DATA", 8);
	read_req(5, h, 18, 10);
	expect_status(5, SSH_FX_EOF, "End of file");
	read_req(6, h, UINT64_MAX, 10);
	expect_status(6, SSH_FX_EOF, "End of file");
	engine_quiet();

	engine_reply(IPC_CLOSE, engine_status(0, ""), -1);
	pkt_send(handle_req(SSH_FXP_CLOSE, 7, h), 0);
	b = engine_request(IPC_CLOSE);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 77);		/* open_id */
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 6 + 6 + 8);	/* bytes served */
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 0);		/* lowest offset */
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 18);		/* highest end */
	ck_assert_int_eq(sbuf_get_u8(b, &eof), 0);
	ck_assert_uint_eq(eof, 1);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
	expect_status(7, SSH_FX_OK, "Success");
	/* The handle is gone. */
	read_req(8, h, 0, 1);
	expect_status(8, SSH_FX_FAILURE, "invalid handle");
}
END_TEST

START_TEST(test_read_clamped)
{
	size_t n = 300000;
	uint8_t *data = malloc(n);
	struct sbuf *out;
	uint32_t h, v;
	size_t i;

	ck_assert_ptr_nonnull(data);
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 7);
	h = open_file(1, "/big", SSH_FXF_READ, 0, n, "", 0, temp_fd(data, n));
	read_req(2, h, 100, 400000);
	out = sftp_output(s);
	ck_assert_uint_eq(sbuf_len(out), 4 + 1 + 4 + 4 + 261120);
	ck_assert_int_eq(sbuf_get_u32(out, &v), 0);
	ck_assert_uint_eq(v, 1 + 4 + 4 + 261120);
	ck_assert_int_eq(sbuf_consume(out, 5), 0);
	ck_assert_int_eq(sbuf_get_u32(out, &v), 0);
	ck_assert_uint_eq(v, 261120);
	ck_assert_int_eq(memcmp(sbuf_ptr(out), data + 100, 261120), 0);
	sbuf_reset(out);
	free(data);
}
END_TEST

START_TEST(test_bad_handles)
{
	uint32_t h = open_file(1, "/f", SSH_FXF_READ, 0, 3, "abc", 0, -1);
	struct sbuf *b;

	/* Wrong length. */
	b = pkt_new(SSH_FXP_READ, 2);
	ck_assert_int_eq(sbuf_put_cstring(b, "abc"), 0);
	ck_assert_int_eq(sbuf_put_u64(b, 0), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 1), 0);
	pkt_send(b, 0);
	expect_status(2, SSH_FX_FAILURE, "invalid handle");
	/* Right slot, wrong generation. */
	read_req(3, h ^ 0x100, 0, 1);
	expect_status(3, SSH_FX_FAILURE, "invalid handle");
	/* A free slot. */
	read_req(4, h + 1, 0, 1);
	expect_status(4, SSH_FX_FAILURE, "invalid handle");
	/* All ones. */
	read_req(5, 0xffffffffu, 0, 1);
	expect_status(5, SSH_FX_FAILURE, "invalid handle");
	/* A file handle is not a directory handle. */
	pkt_send(handle_req(SSH_FXP_READDIR, 6, h), 0);
	expect_status(6, SSH_FX_FAILURE, "invalid handle");
	/* A prefix-only file needs no fd. */
	read_req(7, h, 1, 5);
	expect_data(7, "bc", 2);
	/* Writing to a download is refused. */
	b = handle_req(SSH_FXP_WRITE, 8, h);
	ck_assert_int_eq(sbuf_put_u64(b, 0), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "zz"), 0);
	pkt_send(b, 0);
	expect_status(8, SSH_FX_PERMISSION_DENIED, "file is read-only");
	engine_quiet();
}
END_TEST

START_TEST(test_malformed)
{
	struct sbuf *b;
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	static const uint8_t huge[] = { 0, 4, 4, 1 };
	static const uint8_t noid[] = { 0, 0, 0, 3, 17, 0, 0 };

	/* A READ with its handle cut short. */
	b = pkt_new(SSH_FXP_READ, 2);
	ck_assert_int_eq(sbuf_put_u32(b, 4), 0);
	ck_assert_int_eq(sbuf_put_u8(b, 1), 0);
	pkt_send(b, 0);
	expect_status(2, SSH_FX_BAD_MESSAGE, "malformed request");
	/* A path string longer than the packet. */
	b = pkt_new(SSH_FXP_STAT, 3);
	ck_assert_int_eq(sbuf_put_u32(b, 100), 0);
	ck_assert_int_eq(sbuf_put(b, "/x", 2), 0);
	pkt_send(b, 0);
	expect_status(3, SSH_FX_BAD_MESSAGE, "malformed request");
	/* Unknown type and refused operations. */
	pkt_send(pkt_new(99, 4), 0);
	expect_status(4, SSH_FX_OP_UNSUPPORTED, "Operation unsupported");
	path_req(SSH_FXP_MKDIR, 5, "/x");
	expect_status(5, SSH_FX_PERMISSION_DENIED, "not allowed in this tree");
	b = pkt_new(SSH_FXP_RENAME, 6);
	ck_assert_int_eq(sbuf_put_cstring(b, "/a"), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "/b"), 0);
	pkt_send(b, 0);
	expect_status(6, SSH_FX_PERMISSION_DENIED, "not allowed in this tree");
	path_req(SSH_FXP_READLINK, 7, "/x");
	expect_status(7, SSH_FX_OP_UNSUPPORTED, "Operation unsupported");
	/* A NUL in a path. */
	b = pkt_new(SSH_FXP_STAT, 8);
	ck_assert_int_eq(sbuf_put_string(b, "/a\0b", 4), 0);
	pkt_send(b, 0);
	expect_status(8, SSH_FX_NO_SUCH_FILE, "path contains a NUL byte");
	engine_quiet();
	/* Framing errors are fatal. */
	ck_assert_int_eq(sftp_input(s, noid, sizeof(noid)), SLUICE_EPROTO);
	stop();
	start(IPC_KIND_RECIPIENT);
	ck_assert_int_eq(sftp_input(s, zero, sizeof(zero)), SLUICE_EPROTO);
	stop();
	start(IPC_KIND_RECIPIENT);
	ck_assert_int_eq(sftp_input(s, huge, sizeof(huge)), SLUICE_ETOOBIG);
}
END_TEST

START_TEST(test_gate)
{
	struct sbuf *b;
	uint64_t v;
	uint32_t h;

	h = open_file(1, "/NIC-123456-A1B2C/x.age", SSH_FXF_READ,
	    IPC_OPEN_GATED, 4, "abcd", 0, -1);
	/* Same generation, same second: no question to the engine. */
	fake_ms += 999;
	read_req(2, h, 0, 1);
	expect_data(2, "a", 1);
	engine_quiet();
	/* A second later the gate is asked again, and allows. */
	fake_ms += 1;
	engine_reply(IPC_GATE, engine_status(0, ""), -1);
	read_req(3, h, 1, 1);
	b = engine_request(IPC_GATE);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 77);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
	expect_data(3, "b", 1);
	/* The engine changes something: the next READ asks, and is denied. */
	ipc_generation_bump(sh);
	engine_reply(IPC_GATE, engine_status(5,
	    "agreement NIC-123456-A1B2C is suspended"), -1);
	read_req(4, h, 2, 1);
	sbuf_free(engine_request(IPC_GATE));
	expect_status(4, SSH_FX_PERMISSION_DENIED,
	    "agreement NIC-123456-A1B2C is suspended");
	/* Nothing more on that handle, without asking again. */
	ipc_generation_bump(sh);
	fake_ms += 5000;
	read_req(5, h, 0, 4);
	expect_status(5, SSH_FX_PERMISSION_DENIED,
	    "agreement NIC-123456-A1B2C is suspended");
	engine_quiet();
}
END_TEST

START_TEST(test_open_denied)
{
	struct sbuf *b;

	engine_reply(IPC_OPEN, engine_status(3,
	    "no data under NIC-123456-A1B2C: DSPT expired"), -1);
	b = pkt_new(SSH_FXP_OPEN, 1);
	ck_assert_int_eq(sbuf_put_cstring(b, "/NIC-123456-A1B2C/x.age"), 0);
	ck_assert_int_eq(sbuf_put_u32(b, SSH_FXF_READ), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0x04), 0);	/* attrs: perms */
	ck_assert_int_eq(sbuf_put_u32(b, 0644), 0);
	pkt_send(b, 0);
	sbuf_free(engine_request(IPC_OPEN));
	expect_status(1, SSH_FX_PERMISSION_DENIED,
	    "no data under NIC-123456-A1B2C: DSPT expired");
}
END_TEST

START_TEST(test_open_reply_mismatch)
{
	struct sbuf *r = engine_status(0, ""), *b;

	/* A download whose size exceeds its prefix but comes without an fd:
	 * the engine broke the contract, so the session ends. */
	ck_assert_int_eq(sbuf_put_u64(r, 9), 0);
	ck_assert_int_eq(sbuf_put_u32(r, 0), 0);
	ck_assert_int_eq(sbuf_put_u64(r, 10), 0);
	ck_assert_int_eq(sbuf_put_cstring(r, "abc"), 0);
	ck_assert_int_eq(sbuf_put_u64(r, 0), 0);
	engine_reply(IPC_OPEN, r, -1);
	engine_reply(IPC_CLOSE, engine_status(0, ""), -1);
	b = pkt_new(SSH_FXP_OPEN, 1);
	ck_assert_int_eq(sbuf_put_cstring(b, "/x"), 0);
	ck_assert_int_eq(sbuf_put_u32(b, SSH_FXF_READ), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0), 0);
	pkt_send(b, SLUICE_EPROTO);
	sbuf_free(engine_request(IPC_OPEN));
	sbuf_free(engine_request(IPC_CLOSE));
}
END_TEST

START_TEST(test_handle_table_full)
{
	struct sbuf *b;
	uint32_t i;

	for (i = 0; i < SFTP_MAX_HANDLES; i++)
		(void)open_file(i, "/f", SSH_FXF_READ, 0, 1, "z", 0, -1);
	for (i = 0; i < 10000; i++) {
		b = pkt_new(SSH_FXP_OPEN, 1000 + i);
		ck_assert_int_eq(sbuf_put_cstring(b, "/f"), 0);
		ck_assert_int_eq(sbuf_put_u32(b, SSH_FXF_READ), 0);
		ck_assert_int_eq(sbuf_put_u32(b, 0), 0);
		pkt_send(b, 0);
		expect_status(1000 + i, SSH_FX_FAILURE,
		    "too many open handles");
	}
	b = pkt_new(SSH_FXP_OPENDIR, 99);
	ck_assert_int_eq(sbuf_put_cstring(b, "/"), 0);
	pkt_send(b, 0);
	expect_status(99, SSH_FX_FAILURE, "too many open handles");
	engine_quiet();
}
END_TEST

static void
put_entry(struct sbuf *r, const char *name, uint32_t type, uint64_t size,
    uint32_t perm, uint32_t mtime)
{
	ck_assert_int_eq(sbuf_put_cstring(r, name), 0);
	ck_assert_int_eq(sbuf_put_u32(r, type), 0);
	ck_assert_int_eq(sbuf_put_u64(r, size), 0);
	ck_assert_int_eq(sbuf_put_u32(r, perm), 0);
	ck_assert_int_eq(sbuf_put_u32(r, mtime), 0);
}

static void
want_entry(struct sbuf *w, const char *name, const char *longname,
    uint64_t size, uint32_t perm, uint32_t mtime)
{
	ck_assert_int_eq(sbuf_put_cstring(w, name), 0);
	ck_assert_int_eq(sbuf_put_cstring(w, longname), 0);
	ck_assert_int_eq(sbuf_put_u32(w, 0x0d), 0);
	ck_assert_int_eq(sbuf_put_u64(w, size), 0);
	ck_assert_int_eq(sbuf_put_u32(w, perm), 0);
	ck_assert_int_eq(sbuf_put_u32(w, mtime), 0);
	ck_assert_int_eq(sbuf_put_u32(w, mtime), 0);
}

START_TEST(test_readdir)
{
	struct sbuf *r = engine_status(0, ""), *b, *out, *w;
	uint32_t h, v;

	ck_assert_int_eq(sbuf_put_u32(r, 3), 0);
	/* 2024-03-05 14:07:00 UTC = 1709647620 */
	put_entry(r, "x.age", 1, 1234, S_IFREG | 0444, 1709647620);
	put_entry(r, "../evil", 1, 1, S_IFREG | 0444, 0);	/* dropped */
	put_entry(r, "deletion-certificate", 2, 0, S_IFDIR | 0300,
	    1709647620);
	engine_reply(IPC_READDIR, r, -1);
	b = pkt_new(SSH_FXP_OPENDIR, 1);
	ck_assert_int_eq(sbuf_put_cstring(b, "/NIC-123456-A1B2C/"), 0);
	pkt_send(b, 0);
	expect_path_request(IPC_READDIR, "/NIC-123456-A1B2C");
	out = sftp_output(s);
	ck_assert_int_eq(sbuf_consume(out, 13), 0);
	ck_assert_int_eq(sbuf_get_u32(out, &h), 0);
	sbuf_reset(out);

	pkt_send(handle_req(SSH_FXP_READDIR, 2, h), 0);
	w = want_new(SSH_FXP_NAME, 2);
	ck_assert_int_eq(sbuf_put_u32(w, 2), 0);
	want_entry(w, "x.age",
	    "-r--r--r--    1 sluice   sluice       1234 Mar  5 14:07 x.age",
	    1234, S_IFREG | 0444, 1709647620);
	want_entry(w, "deletion-certificate",
	    "d-wx------    1 sluice   sluice          0 Mar  5 14:07 "
	    "deletion-certificate", 0, S_IFDIR | 0300, 1709647620);
	expect_out(w);
	pkt_send(handle_req(SSH_FXP_READDIR, 3, h), 0);
	expect_status(3, SSH_FX_EOF, "End of file");
	pkt_send(handle_req(SSH_FXP_CLOSE, 4, h), 0);
	expect_status(4, SSH_FX_OK, "Success");
	engine_quiet();
	(void)v;
}
END_TEST

START_TEST(test_upload)
{
	char path[128], buf[16];
	struct sbuf *b;
	uint64_t v;
	uint32_t h;
	int fd, rfd;

	(void)snprintf(path, sizeof(path), "%s/f", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	rfd = dup(fd);
	h = open_file(1, "/NIC-123456-A1B2C/deletion-certificate/cert.p7m",
	    SSH_FXF_WRITE | SSH_FXF_CREAT | SSH_FXF_TRUNC, IPC_OPEN_WRITE, 0,
	    "", 0, fd);
	b = handle_req(SSH_FXP_WRITE, 2, h);
	ck_assert_int_eq(sbuf_put_u64(b, 3), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "lo!"), 0);
	pkt_send(b, 0);
	expect_status(2, SSH_FX_OK, "Success");
	b = handle_req(SSH_FXP_WRITE, 3, h);
	ck_assert_int_eq(sbuf_put_u64(b, 0), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "hel"), 0);
	pkt_send(b, 0);
	expect_status(3, SSH_FX_OK, "Success");
	b = handle_req(SSH_FXP_WRITE, 4, h);
	ck_assert_int_eq(sbuf_put_u64(b, SFTP_MAX_UPLOAD - 1), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "xy"), 0);
	pkt_send(b, 0);
	expect_status(4, SSH_FX_FAILURE, "upload too large for the limit");
	read_req(5, h, 0, 6);
	expect_status(5, SSH_FX_PERMISSION_DENIED, "file is open for writing");
	ck_assert_int_eq(pread(rfd, buf, sizeof(buf), 0), 6);
	ck_assert_int_eq(memcmp(buf, "hello!", 6), 0);
	close(rfd);

	engine_reply(IPC_CLOSE, engine_status(4,
	    "certificate signature does not verify"), -1);
	pkt_send(handle_req(SSH_FXP_CLOSE, 6, h), 0);
	b = engine_request(IPC_CLOSE);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 77);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 6);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 0);
	/* the highest end: how far the refused write would have gone, so
	 * the engine refuses an upload cut at the limit unjudged */
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, (uint64_t)SFTP_MAX_UPLOAD + 1);
	sbuf_free(b);
	expect_status(6, SSH_FX_FAILURE,
	    "certificate signature does not verify");
}
END_TEST

/* A sealed upload's CLOSE: the common part, then commit, plaintext size
 * and digest, as ipc.h has it. */
static void
expect_sealed_close(uint8_t commit, uint64_t plain, const void *p, size_t n)
{
	struct sbuf *b = engine_request(IPC_CLOSE);
	uint8_t want[32], c = 9;
	const uint8_t *sha;
	uint64_t v;
	size_t k;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_int_eq(sbuf_get_u8(b, &c), 0);	/* reached_eof */
	ck_assert_int_eq(sbuf_get_u8(b, &c), 0);
	ck_assert_uint_eq(c, commit);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, plain);
	ck_assert_int_eq(sbuf_get_string_direct(b, &sha, &k), 0);
	ck_assert_uint_eq(k, 32);
	if (commit) {
		crypto_hash_sha256(want, p, n);
		ck_assert_mem_eq(sha, want, 32);
	}
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
}

static void
write_req(uint32_t id, uint32_t h, uint64_t off, const char *text)
{
	struct sbuf *b = handle_req(SSH_FXP_WRITE, id, h);

	ck_assert_int_eq(sbuf_put_u64(b, off), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, text), 0);
	pkt_send(b, 0);
}

/* Queues the engine's IPC_ROOM answer: status, message, the end granted. */
static void
room_reply(uint32_t status, const char *msg, uint64_t end)
{
	struct sbuf *r = engine_status(status, msg);

	ck_assert_int_eq(sbuf_put_u64(r, end), 0);
	engine_reply(IPC_ROOM, r, -1);
}

/* Reads an IPC_ROOM request: open 77, wanting room up to want. */
static void
expect_room(uint64_t want)
{
	struct sbuf *b = engine_request(IPC_ROOM);
	uint64_t v;

	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 77);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, want);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
}

/* An upload sealed as it arrives: in order it is taken and its payload
 * decrypts to what was written; a write elsewhere is refused and its
 * upload is not taken at CLOSE. */
START_TEST(test_sealed_upload)
{
	uint8_t key[AGE_FILE_KEY_LEN];
	char path[128], dec[128], buf[16], why[128];
	uint32_t h;
	int fd, in, out;

	stop();
	start(IPC_KIND_STAFF);
	ck_assert_int_eq(age_file_key_new(key), 0);
	open_key = key;
	(void)snprintf(path, sizeof(path), "%s/sealed", tmpdir);
	ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	h = open_file(1, "/inbox/a.csv", SSH_FXF_WRITE | SSH_FXF_CREAT,
	    IPC_OPEN_WRITE | IPC_OPEN_SEAL, 0, "", 0, fd);
	/* the first write asks for room; the grant covers the second */
	room_reply(0, "", 5);
	write_req(2, h, 0, "hel");
	expect_room(3);
	expect_status(2, SSH_FX_OK, "Success");
	room_reply(0, "", 4096);
	write_req(3, h, 3, "lo!");
	expect_room(6);
	expect_status(3, SSH_FX_OK, "Success");
	engine_quiet();
	engine_reply(IPC_CLOSE, engine_status(0, ""), -1);
	pkt_send(handle_req(SSH_FXP_CLOSE, 4, h), 0);
	expect_sealed_close(1, 6, "hello!", 6);
	expect_status(4, SSH_FX_OK, "Success");
	(void)snprintf(dec, sizeof(dec), "%s/sealed.dec", tmpdir);
	ck_assert_int_ne(in = open(path, O_RDONLY), -1);
	ck_assert_int_ne(out = open(dec, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(age_payload_decrypt(in, out, key, NULL, NULL, why,
	    sizeof(why)), 0);
	ck_assert_int_eq(pread(out, buf, sizeof(buf), 0), 6);
	ck_assert_int_eq(memcmp(buf, "hello!", 6), 0);
	close(in);
	close(out);
	/* a gap: refused, and the CLOSE does not commit */
	ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	h = open_file(5, "/inbox/b.csv", SSH_FXF_WRITE | SSH_FXF_CREAT,
	    IPC_OPEN_WRITE | IPC_OPEN_SEAL, 0, "", 0, fd);
	room_reply(0, "", 4096);
	write_req(6, h, 0, "hel");
	expect_room(3);
	expect_status(6, SSH_FX_OK, "Success");
	write_req(7, h, 10, "lo!");
	expect_status(7, SSH_FX_FAILURE, "uploads are sealed as they arrive: "
	    "writes must come in order from offset 0 (no resuming)");
	write_req(8, h, 3, "lo!");
	expect_status(8, SSH_FX_FAILURE, "this upload failed: close it and "
	    "upload again");
	engine_reply(IPC_CLOSE, engine_status(4, "upload abandoned"), -1);
	pkt_send(handle_req(SSH_FXP_CLOSE, 9, h), 0);
	expect_sealed_close(0, 0, NULL, 0);
	expect_status(9, SSH_FX_FAILURE, "upload abandoned");
	open_key = NULL;
}
END_TEST

/* The engine refuses room (the disk's reserve): that write fails with its
 * reason, the upload is broken, asks no more, and is not committed. */
START_TEST(test_sealed_no_room)
{
	static const char no_room[] =
	    "not enough free space on the server for this upload";
	uint8_t key[AGE_FILE_KEY_LEN];
	const char *want;
	char path[128];
	uint32_t h;
	int fd;

	stop();
	start(IPC_KIND_STAFF);
	ck_assert_int_eq(age_file_key_new(key), 0);
	open_key = key;
	(void)snprintf(path, sizeof(path), "%s/sealed", tmpdir);
	ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	h = open_file(1, "/stage/NIC-123456-A1B2C/x.csv", SSH_FXF_WRITE |
	    SSH_FXF_CREAT, IPC_OPEN_WRITE | IPC_OPEN_SEAL, UINT64_MAX, "", 0,
	    fd);
	room_reply(0, "", 3);
	write_req(2, h, 0, "hel");
	expect_room(3);
	expect_status(2, SSH_FX_OK, "Success");
	room_reply(SSH_FX_PERMISSION_DENIED, no_room, 0);
	write_req(3, h, 3, "lo!");
	expect_room(6);
	expect_status(3, SSH_FX_PERMISSION_DENIED, no_room);
	write_req(4, h, 3, "lo!");
	expect_status(4, SSH_FX_FAILURE, "this upload failed: close it and "
	    "upload again");
	engine_quiet();
	engine_reply(IPC_CLOSE, engine_status(SSH_FX_PERMISSION_DENIED,
	    no_room), -1);
	pkt_send(handle_req(SSH_FXP_CLOSE, 5, h), 0);
	expect_sealed_close(0, 0, NULL, 0);
	expect_status(5, SSH_FX_PERMISSION_DENIED, no_room);
	open_key = NULL;
	/* each refusal's reason went to the channel's stderr */
	want = "sluice: not enough free space on the server for this upload\n"
	    "sluice: this upload failed: close it and upload again\n"
	    "sluice: not enough free space on the server for this upload\n";
	ck_assert_uint_eq(sbuf_len(sftp_notices(s)), strlen(want));
	ck_assert_mem_eq(sbuf_ptr(sftp_notices(s)), want, strlen(want));
}
END_TEST

/* OPEN's attrs with a size: the engine is told it. */
START_TEST(test_open_expect)
{
	struct sbuf *b;
	uint64_t v;
	uint32_t u;

	stop();
	start(IPC_KIND_STAFF);
	engine_reply(IPC_OPEN, engine_status(SSH_FX_PERMISSION_DENIED,
	    "not enough free space on the server for this upload"), -1);
	b = pkt_new(SSH_FXP_OPEN, 1);
	ck_assert_int_eq(sbuf_put_cstring(b, "/inbox/big.bin"), 0);
	ck_assert_int_eq(sbuf_put_u32(b, SSH_FXF_WRITE | SSH_FXF_CREAT), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0x1 | 0x4), 0);  /* size, perms */
	ck_assert_int_eq(sbuf_put_u64(b, 123456789), 0);
	ck_assert_int_eq(sbuf_put_u32(b, 0644), 0);
	pkt_send(b, 0);
	b = engine_request(IPC_OPEN);
	ck_assert_int_eq(sbuf_consume(b, 4 + strlen("/inbox/big.bin")), 0);
	ck_assert_int_eq(sbuf_get_u32(b, &u), 0);
	ck_assert_uint_eq(u, SSH_FXF_WRITE | SSH_FXF_CREAT);
	ck_assert_int_eq(sbuf_get_u64(b, &v), 0);
	ck_assert_uint_eq(v, 123456789);
	ck_assert_uint_eq(sbuf_len(b), 0);
	sbuf_free(b);
	expect_status(1, SSH_FX_PERMISSION_DENIED,
	    "not enough free space on the server for this upload");
}
END_TEST

/* A sealed inbox file read back: the session decrypts what READ asks. */
START_TEST(test_sealed_read)
{
	static const char text[] = "read back, sealed at rest";
	uint8_t key[AGE_FILE_KEY_LEN];
	struct age_seal *sl = NULL;
	char path[128];
	uint32_t h;
	int fd;

	stop();
	start(IPC_KIND_STAFF);
	ck_assert_int_eq(age_file_key_new(key), 0);
	(void)snprintf(path, sizeof(path), "%s/rb", tmpdir);
	ck_assert_int_ne(fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(age_seal_new(key, fd, &sl), 0);
	ck_assert_int_eq(age_seal_update(sl, (const uint8_t *)text,
	    strlen(text)), 0);
	ck_assert_int_eq(age_seal_final(sl, NULL, NULL, NULL), 0);
	age_seal_free(sl);
	open_key = key;
	h = open_file(1, "/inbox/rb.txt", SSH_FXF_READ, IPC_OPEN_SEAL,
	    strlen(text), "", 0, fd);
	open_key = NULL;
	read_req(2, h, 5, 4);
	expect_data(2, "back", 4);
	read_req(3, h, 0, 100);
	expect_data(3, text, strlen(text));
	read_req(4, h, strlen(text), 10);
	expect_status(4, SSH_FX_EOF, "End of file");
}
END_TEST

START_TEST(test_fstat)
{
	struct sbuf *w;
	uint32_t h = open_file(1, "/f", SSH_FXF_READ, 0, 3, "abc", 0, -1);

	pkt_send(handle_req(SSH_FXP_FSTAT, 2, h), 0);
	w = want_new(SSH_FXP_ATTRS, 2);
	ck_assert_int_eq(sbuf_put_u32(w, 0x05), 0);
	ck_assert_int_eq(sbuf_put_u64(w, 3), 0);
	ck_assert_int_eq(sbuf_put_u32(w, S_IFREG | 0444), 0);
	expect_out(w);
}
END_TEST

static Suite *
sftp_suite(void)
{
	Suite *su = suite_create("sftp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_before_init);
	tcase_add_test(tc, test_limits_extension);
	tcase_add_test(tc, test_realpath_recipient);
	tcase_add_test(tc, test_realpath_staff);
	tcase_add_test(tc, test_stat);
	tcase_add_test(tc, test_read_prefix_and_fd);
	tcase_add_test(tc, test_read_clamped);
	tcase_add_test(tc, test_bad_handles);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_open_denied);
	tcase_add_test(tc, test_open_reply_mismatch);
	tcase_add_test(tc, test_handle_table_full);
	tcase_add_test(tc, test_readdir);
	tcase_add_test(tc, test_upload);
	tcase_add_test(tc, test_fstat);
	tcase_add_test(tc, test_sealed_upload);
	tcase_add_test(tc, test_sealed_no_room);
	tcase_add_test(tc, test_open_expect);
	tcase_add_test(tc, test_sealed_read);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return suite_run(sftp_suite());
}
