/*
 * test_ipc_peer.c: the engine's buffered, non-blocking end of a socket
 * (ipc.h, struct ipc_peer): a message that arrives a byte at a time is
 * assembled, two in one write come out as two, a header over the length
 * limit or a descriptor the peer may not take fails it, a passed descriptor
 * comes out with its message, the deadline of a message under way, and
 * queued answers (a descriptor, a stream in pieces) reach the other end
 * whole and in order however little the socket takes at a time.
 */
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "sluice/error.h"
#include "suite_run.h"

static int sv[2];
static struct ipc_peer *peer;	/* on sv[0]; sv[1] is the other end */
static struct sbuf *body;

static void
setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(ipc_peer_new(sv[0], &peer), 0);
	ck_assert_ptr_nonnull(body = sbuf_new());
}

static void
teardown(void)
{
	ipc_peer_free(peer);
	if (sv[1] != -1)
		close(sv[1]);
	sbuf_free(body);
}

/* The frame of one message: u32 type, u32 length, body. */
static size_t
frame(uint8_t *out, uint32_t type, const char *text)
{
	size_t n = strlen(text);

	sbuf_poke_u32(out, type);
	sbuf_poke_u32(out + 4, (uint32_t)n);
	memcpy(out + 8, text, n);
	return 8 + n;
}

static void
put(const uint8_t *p, size_t n)
{
	ck_assert_int_eq(write(sv[1], p, n), (ssize_t)n);
}

static void
assert_body(const char *want)
{
	ck_assert_uint_eq(sbuf_len(body), strlen(want));
	ck_assert_int_eq(memcmp(sbuf_ptr(body), want, strlen(want)), 0);
}

START_TEST(one_byte_at_a_time)
{
	uint8_t m[64];
	size_t n = frame(m, IPC_STAT, "/inbox/a.csv"), i;
	uint32_t type = 0;

	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 0);
	ck_assert_uint_eq(ipc_peer_deadline(peer), 0);
	for (i = 0; i + 1 < n; i++) {
		put(m + i, 1);
		ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 0);
		ck_assert_uint_ne(ipc_peer_deadline(peer), 0);
	}
	put(m + i, 1);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 1);
	ck_assert_uint_eq(type, IPC_STAT);
	assert_body("/inbox/a.csv");
	ck_assert_uint_eq(ipc_peer_deadline(peer), 0);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 0);
}
END_TEST

START_TEST(two_messages_in_one_write)
{
	uint8_t m[128];
	size_t n = frame(m, IPC_STAT, "first");
	uint32_t type = 0;

	n += frame(m + n, IPC_REMOVE, "second");
	n += frame(m + n, IPC_ADMIN, "");
	put(m, n);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 1);
	ck_assert_uint_eq(type, IPC_STAT);
	assert_body("first");
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 1);
	ck_assert_uint_eq(type, IPC_REMOVE);
	assert_body("second");
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 1);
	ck_assert_uint_eq(type, IPC_ADMIN);
	assert_body("");
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 0);
}
END_TEST

START_TEST(length_over_the_limit_fails)
{
	uint8_t m[64];
	uint32_t type = 0;

	ipc_peer_limits(peer, 16, 0, 10000);
	frame(m, IPC_STAT, "sixteen bytes!!!");	/* 16: the limit */
	put(m, 8 + 16);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 1);
	assert_body("sixteen bytes!!!");
	sbuf_poke_u32(m, IPC_STAT);
	sbuf_poke_u32(m + 4, 17);
	put(m, 8);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), SLUICE_EPROTO);
}
END_TEST

START_TEST(garbage_header_fails)
{
	const uint8_t junk[8] = { 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff };
	uint32_t type = 0;

	put(junk, sizeof(junk));
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), SLUICE_EPROTO);
}
END_TEST

START_TEST(closed_peer)
{
	uint8_t m[64];
	uint32_t type = 0;

	put(m, frame(m, IPC_STAT, "x") - 1);
	close(sv[1]);
	sv[1] = -1;
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), SLUICE_EIO);
	ck_assert_int_eq(errno, 0);
}
END_TEST

START_TEST(descriptor_passed)
{
	struct sbuf *b = sbuf_new();
	uint32_t type = 0;
	int p[2], fd = -1;
	char got[8] = "";

	ipc_peer_limits(peer, IPC_MAX_BODY, 1, 10000);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "198.51.100.7:2222"), 0);
	ck_assert_int_eq(ipc_send(sv[1], IPC_NEW_SESSION, b, p[1]), 0);
	close(p[1]);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, &fd), 1);
	ck_assert_uint_eq(type, IPC_NEW_SESSION);
	ck_assert_int_ne(fd, -1);
	/* the very pipe: what goes in the descriptor received comes out of
	 * the other end */
	ck_assert_int_eq(write(fd, "same", 4), 4);
	close(fd);
	ck_assert_int_eq(read(p[0], got, sizeof(got)), 4);
	ck_assert_str_eq(got, "same");
	close(p[0]);
	sbuf_free(b);
}
END_TEST

START_TEST(descriptor_refused)
{
	struct sbuf *b = sbuf_new();
	uint32_t type = 0;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(sbuf_put_cstring(b, "x"), 0);
	ck_assert_int_eq(ipc_send(sv[1], IPC_STAT, b, p[1]), 0);
	close(p[1]);
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), SLUICE_EPROTO);
	/* and it was closed, not kept: the pipe has no writer left */
	ck_assert_int_eq(read(p[0], &type, 1), 0);
	close(p[0]);
	sbuf_free(b);
}
END_TEST

START_TEST(deadline)
{
	uint8_t m[64];
	uint32_t type = 0;
	uint64_t d;

	ipc_peer_limits(peer, IPC_MAX_BODY, 0, 10000);
	ck_assert_uint_eq(frame(m, IPC_STAT, "abc"), 11);
	put(m, 6);		/* 6 of 8 header bytes... */
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 0);
	d = ipc_peer_deadline(peer);
	ck_assert_uint_ne(d, 0);
	ck_assert_int_eq(ipc_peer_late(peer, d - 1), 0);
	ck_assert_int_eq(ipc_peer_late(peer, d), 1);
	put(m + 6, 5);		/* ...then the rest */
	ck_assert_int_eq(ipc_peer_read(peer, &type, body, NULL), 1);
	assert_body("abc");
	ck_assert_int_eq(ipc_peer_late(peer, d), 0);
}
END_TEST

/* ---- the writing side ---- */

static struct sbuf *
filled(size_t n, uint8_t seed)
{
	struct sbuf *b = sbuf_new();
	uint8_t *p;
	size_t i;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sbuf_reserve(b, n, &p), 0);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
	return b;
}

/* Flushes peer into rd (another peer on sv[1]) until the next whole message
 * is out; both sides non-blocking, so the socket's small buffer is filled
 * and emptied in turn. */
static int
next_message(struct ipc_peer *rd, uint32_t *type, int *fd)
{
	int r;

	for (;;) {
		ck_assert_int_eq(ipc_peer_flush(peer), 0);
		if ((r = ipc_peer_read(rd, type, body, fd)) != 0)
			return r;
	}
}

START_TEST(queued_answers_in_order)
{
	struct sbuf *big = filled(2 * IPC_STREAM_CHUNK + 12345, 3);
	struct sbuf *want = filled(2 * IPC_STREAM_CHUNK + 12345, 3);
	struct ipc_peer *rd;
	uint32_t type = 0;
	int p[2], fd = -1;
	size_t off = 0, sizes[3] = { IPC_STREAM_CHUNK, IPC_STREAM_CHUNK, 12345 };

	ck_assert_int_eq(ipc_peer_new(sv[1], &rd), 0);
	sv[1] = -1;
	ipc_peer_limits(rd, IPC_MAX_BODY, 1, 10000);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_peer_queue(peer, IPC_OPEN | IPC_REPLY, NULL, p[1]), 0);
	ck_assert_int_eq(ipc_peer_queue_stream(peer, IPC_ADMIN_DATA, big), 0);
	ck_assert_int_eq(ipc_peer_queue(peer, IPC_ADMIN | IPC_REPLY,
	    filled(5, 1), -1), 0);
	ck_assert_int_eq(ipc_peer_pending(peer), 1);
	ck_assert_int_eq(next_message(rd, &type, &fd), 1);
	ck_assert_uint_eq(type, IPC_OPEN | IPC_REPLY);
	ck_assert_uint_eq(sbuf_len(body), 0);
	ck_assert_int_ne(fd, -1);
	close(fd);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(next_message(rd, &type, NULL), 1);
		ck_assert_uint_eq(type, IPC_ADMIN_DATA);
		ck_assert_uint_eq(sbuf_len(body), sizes[i]);
		ck_assert_int_eq(memcmp(sbuf_ptr(body), sbuf_ptr(want) + off,
		    sizes[i]), 0);
		off += sizes[i];
	}
	ck_assert_int_eq(next_message(rd, &type, NULL), 1);
	ck_assert_uint_eq(type, IPC_ADMIN | IPC_REPLY);
	ck_assert_uint_eq(sbuf_len(body), 5);
	ck_assert_int_eq(ipc_peer_pending(peer), 0);
	/* the descriptor left the queue with its message */
	ck_assert_int_eq(read(p[0], &type, 1), 0);
	close(p[0]);
	sbuf_free(want);
	ipc_peer_free(rd);
}
END_TEST

/* An urgent message queued in the middle of a stream overtakes what is
 * left of it at the next piece's boundary: at most the piece under way
 * comes first; the stream's bytes and the reply after it are intact. */
START_TEST(urgent_overtakes_a_stream)
{
	size_t total = 3 * IPC_STREAM_CHUNK + 99, off = 0;
	struct sbuf *want = filled(total, 5);
	struct ipc_peer *rd;
	uint32_t type = 0;
	int before = -1, i;

	ck_assert_int_eq(ipc_peer_new(sv[1], &rd), 0);
	sv[1] = -1;
	ck_assert_int_eq(ipc_peer_queue_stream(peer, IPC_ADMIN_DATA,
	    filled(total, 5)), 0);
	ck_assert_int_eq(ipc_peer_queue(peer, IPC_ADMIN | IPC_REPLY,
	    filled(3, 1), -1), 0);
	ck_assert_int_eq(next_message(rd, &type, NULL), 1);
	ck_assert_uint_eq(type, IPC_ADMIN_DATA);
	off = sbuf_len(body);
	ck_assert_int_eq(ipc_peer_queue_urgent(peer, IPC_HOSTSIGN | IPC_REPLY,
	    filled(7, 2), -1), 0);
	for (i = 0; ; i++) {
		ck_assert_int_eq(next_message(rd, &type, NULL), 1);
		if (type == (IPC_ADMIN | IPC_REPLY))
			break;
		if (type == (IPC_HOSTSIGN | IPC_REPLY)) {
			ck_assert_int_eq(before, -1);
			ck_assert_uint_eq(sbuf_len(body), 7);
			before = i;
			continue;
		}
		ck_assert_uint_eq(type, IPC_ADMIN_DATA);
		ck_assert_int_eq(memcmp(sbuf_ptr(body), sbuf_ptr(want) + off,
		    sbuf_len(body)), 0);
		off += sbuf_len(body);
	}
	ck_assert(before == 0 || before == 1);
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(sbuf_len(body), 3);
	ck_assert_int_eq(ipc_peer_pending(peer), 0);
	sbuf_free(want);
	ipc_peer_free(rd);
}
END_TEST

START_TEST(queue_refuses_oversize)
{
	struct sbuf *b = sbuf_new();
	uint8_t *dst;

	ck_assert_int_eq(sbuf_reserve(b, IPC_MAX_BODY + 1, &dst), 0);
	ck_assert_int_eq(ipc_peer_queue(peer, IPC_ADMIN | IPC_REPLY, b, -1),
	    SLUICE_ETOOBIG);
	ck_assert_int_eq(ipc_peer_pending(peer), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ipc_peer");
	TCase *tc = tcase_create("peer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_byte_at_a_time);
	tcase_add_test(tc, two_messages_in_one_write);
	tcase_add_test(tc, length_over_the_limit_fails);
	tcase_add_test(tc, garbage_header_fails);
	tcase_add_test(tc, closed_peer);
	tcase_add_test(tc, descriptor_passed);
	tcase_add_test(tc, descriptor_refused);
	tcase_add_test(tc, deadline);
	tcase_add_test(tc, queued_answers_in_order);
	tcase_add_test(tc, urgent_overtakes_a_stream);
	tcase_add_test(tc, queue_refuses_oversize);
	suite_add_tcase(s, tc);
	return suite_run(s);
}
