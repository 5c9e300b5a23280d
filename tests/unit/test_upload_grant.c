/*
 * test_upload_grant.c: the engine's own hold on sealed uploads, against a
 * session broken into. The test plays the session: its own socketpair to a
 * real engine (engine_main() forked over a data directory made by
 * `sluiced init`), a genuine login, then uploads it writes to directly:
 *   - an upload written past its grant without asking (IPC_ROOM) drops the
 *     session at its next request, or at the engine's once-a-second check
 *     when it asks nothing: the upload removed, the refusal audited;
 *   - the grants of uploads under way, not yet written, are subtracted
 *     from the disk's room before another is granted;
 *   - an inbox upload is held to the room its inbox's files left at OPEN:
 *     no grant past it, a request for room past it drops the session, and
 *     a commit past it is refused and audited.
 * Every wait is for an event (a reply, or the socket's EOF).
 */

#include <sys/statvfs.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/audit.h"
#include "ipc.h"
#include "sluice/age.h"
#include "sluice/config.h"
#include "sluice/error.h"
#include "store/store.h"
#include "testutil.h"
#include "lying_session.h"
#include "suite_run.h"

#define MIB	(1024u * 1024)
#define STEP	(8u * MIB)	/* SEALED_ROOM_STEP */
#define FXF_WRITE_NEW	(0x02 | 0x08 | 0x10)	/* WRITE|CREAT|TRUNC */
#define NO_SIZE	UINT64_MAX
#define NO_ROOM	"not enough free space on the server for this upload"

/* The pid the sessions are said to have (no process: the test reads the
 * engine's IPC_END_SESSION itself). */
#define SESSION_PID	4242u

static const uint8_t SID_X[32] = { 'x', 1, 2, 3 };

/* Free bytes of the data directory's file system now. */
static uint64_t
free_now(void)
{
	struct statvfs sv;

	ck_assert_int_eq(statvfs(tmp, &sv), 0);
	return (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
}

static void
setup_with(int64_t reserve, int64_t inbox_max)
{
	lying_init();
	lying_config();
	/* below 0: that many bytes of room past the reserve, as the disk
	 * stands now */
	cfg.policy.inbox_reserve_bytes = reserve >= 0 ? reserve :
	    (int64_t)free_now() + reserve;
	cfg.policy.inbox_max_bytes = inbox_max;
	engine_start();
}

/* ---- speaking as a session ----------------------------------------------- */

/* A session logged in as admin (staff) on a key exchange the engine
 * signed. */
static int
login(void)
{
	struct sbuf *req = request_for(SID_X, 32, "admin", "ssh-connection",
	    &admin);
	struct sbuf *sig = sign_by(&admin, req);
	int fd = session_new(SESSION_PID);
	struct answer a;

	ck_assert_int_eq(hostsign(fd, SID_X, 32), 0);
	a = claim(fd, "admin", &admin, 1, req, sig);
	ck_assert_uint_eq(a.status, 0);
	ck_assert_uint_eq(a.kind, IPC_KIND_STAFF);
	sbuf_free(req);
	sbuf_free(sig);
	return fd;
}

struct upload {
	uint32_t status;
	char	 msg[256];
	uint64_t id, size;
	int	 fd;		/* the file to write; -1 when refused */
};

/* A reply's u32 status, and its string message into msg (len bytes, NUL
 * terminated). */
static uint32_t
reply_status(struct sbuf *rep, char *msg, size_t len)
{
	uint32_t status = 99;
	const uint8_t *p;
	size_t n;

	ck_assert(sbuf_get_u32(rep, &status) == 0 &&
	    sbuf_get_string_direct(rep, &p, &n) == 0 && n < len);
	memcpy(msg, p, n);
	msg[n] = '\0';
	return status;
}

/* IPC_OPEN of path for writing, expect the size the client gave. */
static struct upload
upload_open(int s, const char *path, uint64_t expect)
{
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();
	struct upload u;
	const uint8_t *p;
	uint32_t flags;
	uint64_t off;
	size_t n;

	memset(&u, 0, sizeof(u));
	u.fd = -1;
	ck_assert(sbuf_put_cstring(b, path) == 0 &&
	    sbuf_put_u32(b, FXF_WRITE_NEW) == 0 && sbuf_put_u64(b, expect) == 0);
	ck_assert_int_eq(ipc_call(s, IPC_OPEN, b, -1, rep, &u.fd), 0);
	u.status = reply_status(rep, u.msg, sizeof(u.msg));
	ck_assert(sbuf_get_u64(rep, &u.id) == 0 &&
	    sbuf_get_u32(rep, &flags) == 0 && sbuf_get_u64(rep, &u.size) == 0 &&
	    sbuf_get_string_direct(rep, &p, &n) == 0 &&
	    sbuf_get_u64(rep, &off) == 0);
	if (u.status == 0)
		ck_assert(sbuf_get_string_direct(rep, &p, &n) == 0 && n == 16);
	ck_assert_uint_eq(sbuf_len(rep), 0);
	sbuf_free(b);
	sbuf_free(rep);
	return u;
}

/* IPC_ROOM for upload id up to want: the status, *end and the message. */
static uint32_t
room(int s, uint64_t id, uint64_t want, uint64_t *end, char *msg, size_t len)
{
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();
	uint32_t status;

	ck_assert(sbuf_put_u64(b, id) == 0 && sbuf_put_u64(b, want) == 0);
	ck_assert_int_eq(ipc_call(s, IPC_ROOM, b, -1, rep, NULL), 0);
	status = reply_status(rep, msg, len);
	ck_assert(sbuf_get_u64(rep, end) == 0 && sbuf_len(rep) == 0);
	sbuf_free(b);
	sbuf_free(rep);
	return status;
}

/* n bytes written straight to fd, as a lying session would. */
static void
write_junk(int fd, size_t n)
{
	static uint8_t junk[64 * 1024];
	size_t done = 0, k;

	while (done < n) {
		k = n - done < sizeof(junk) ? n - done : sizeof(junk);
		ck_assert_int_eq(write(fd, junk, k), (ssize_t)k);
		done += k;
	}
}

/* The engine closed s: a read sees EOF (blocking: the event itself). */
static void
assert_dropped(int s)
{
	uint8_t c;

	ck_assert_int_eq(read(s, &c, 1), 0);
}

/* Files in DIR/inbox (uploads under way, hidden, and kept alike). */
static int
inbox_files(void)
{
	char path[160];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	ck_assert_int_eq(tu_path(path, sizeof(path), data, "inbox"), 0);
	ck_assert_ptr_nonnull(dp = opendir(path));
	while ((d = readdir(dp)) != NULL)
		n += strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
	(void)closedir(dp);
	return n;
}

struct entries {
	char	 text[4096];	/* "actor|action|subject|outcome|details\n" */
};

static int
upload_line(void *arg, const char *line, size_t len)
{
	struct entries *l = arg;
	json_t *j = json_loadb(line, len, 0, NULL);
	size_t used = strlen(l->text);
	const char *action;

	ck_assert_ptr_nonnull(j);
	action = json_string_value(json_object_get(j, "action"));
	if (strcmp(action, "inbox put") == 0)
		(void)snprintf(l->text + used, sizeof(l->text) - used,
		    "%s|%s|%s|%s|%s\n",
		    json_string_value(json_object_get(j, "actor")), action,
		    json_string_value(json_object_get(j, "subject")),
		    json_string_value(json_object_get(j, "outcome")),
		    json_string_value(json_object_get(j, "details")));
	json_decref(j);
	return 0;
}

/* Stops the engine; the audit's upload entries are exactly want. */
static void
expect_uploads(const char *want)
{
	struct store *st = NULL;
	struct entries l;
	char why[256] = "";

	engine_stop();
	memset(&l, 0, sizeof(l));
	ck_assert_msg(store_open(cfg.store_path, &st, why, sizeof(why)) == 0,
	    "%s", why);
	ck_assert_int_eq(audit_export_each(st, 0, upload_line, &l), 0);
	store_close(st);
	ck_assert_str_eq(l.text, want);
}

static void
setup_plain(void)
{
	setup_with(1024 * 1024, 0);	/* a 1 MiB reserve, no inbox limit */
}

/* The refusal a lying session's upload gets: 2 MiB written to an upload
 * granted nothing, past the payload of 0 bytes (32) and the slack. */
#define OVERRUN_AUDIT "admin|inbox put|x.csv|refused|upload to /inbox/x.csv " \
	"=> 2097152 bytes written, past the 1048608 bytes its grant allows: " \
	"session dropped\n"

/* What the engine asks the parent of a session it dropped for writing
 * past its grant: to end process SESSION_PID, for that reason. */
#define OVERRUN_WHY "upload to /inbox/x.csv wrote 2097152 bytes, past the " \
	"1048608 bytes its grant allows"

static void
expect_end_session(const char *why)
{
	struct sbuf *b = sbuf_new();
	uint32_t type = 0, pid = 0;
	char *got = NULL;

	ck_assert_int_eq(ipc_recv(ctl, &type, b, NULL), 0);
	ck_assert_uint_eq(type, IPC_END_SESSION);
	ck_assert_int_eq(sbuf_get_u32(b, &pid), 0);
	ck_assert_uint_eq(pid, SESSION_PID);
	ck_assert_int_eq(sbuf_get_cstring(b, &got, 1024), 0);
	ck_assert_str_eq(got, why);
	ck_assert_uint_eq(sbuf_len(b), 0);
	free(got);
	sbuf_free(b);
}

/* Written past its grant without asking: the next request, whatever it
 * is, finds the session dropped, the upload gone, the refusal audited
 * (and no "abandoned" entry besides), and the parent asked to kill the
 * session's process. */
START_TEST(overrun_dropped_at_request)
{
	int s = login();
	struct upload u = upload_open(s, "/inbox/x.csv", NO_SIZE);
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();

	ck_assert_uint_eq(u.status, 0);
	ck_assert_int_eq(inbox_files(), 1);
	write_junk(u.fd, 2 * MIB);
	ck_assert(sbuf_put_cstring(b, "/") == 0);
	ck_assert_int_ne(ipc_call(s, IPC_STAT, b, -1, rep, NULL), 0);
	assert_dropped(s);
	expect_end_session(OVERRUN_WHY);
	ck_assert_int_eq(inbox_files(), 0);
	close(u.fd);
	close(s);
	expect_uploads(OVERRUN_AUDIT);
	sbuf_free(b);
	sbuf_free(rep);
}
END_TEST

/* The same session asking nothing more: dropped all the same, by the
 * engine's own check (the wait is for the socket's EOF). */
START_TEST(overrun_dropped_unasked)
{
	int s = login();
	struct upload u = upload_open(s, "/inbox/x.csv", NO_SIZE);

	ck_assert_uint_eq(u.status, 0);
	write_junk(u.fd, 2 * MIB);
	assert_dropped(s);
	expect_end_session(OVERRUN_WHY);
	ck_assert_int_eq(inbox_files(), 0);
	close(u.fd);
	close(s);
	expect_uploads(OVERRUN_AUDIT);
}
END_TEST

/* Within the grant and its slack, a session is left alone. */
START_TEST(within_grant_kept)
{
	int s = login();
	struct upload u = upload_open(s, "/inbox/x.csv", NO_SIZE);
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();
	uint64_t end = 0;
	char msg[256];

	ck_assert_uint_eq(room(s, u.id, 1, &end, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(end, STEP);
	write_junk(u.fd, (size_t)age_payload_size(STEP) + MIB);
	ck_assert(sbuf_put_cstring(b, "/") == 0);
	ck_assert_int_eq(ipc_call(s, IPC_STAT, b, -1, rep, NULL), 0);
	ck_assert_int_eq(inbox_files(), 1);
	close(u.fd);
	close(s);
	sbuf_free(b);
	sbuf_free(rep);
}
END_TEST



/* Room for one 8 MiB grant and a half (12 MiB past the reserve: drift of
 * the disk of up to 4 MiB either way changes nothing): the first upload
 * gets its step, the second is refused the same step, as the first's
 * grant is spoken for though nothing of it was written. */
START_TEST(grants_not_overcommitted)
{
	uint64_t end = 0;
	char msg[256], want[512];
	struct upload a, b;
	int s;

	s = login();
	a = upload_open(s, "/inbox/a.csv", NO_SIZE);
	b = upload_open(s, "/inbox/b.csv", NO_SIZE);
	ck_assert_uint_eq(a.status, 0);
	ck_assert_uint_eq(b.status, 0);
	ck_assert_uint_eq(room(s, a.id, STEP, &end, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(end, STEP);
	ck_assert_uint_eq(room(s, b.id, STEP, &end, msg, sizeof(msg)), 3);
	ck_assert_str_eq(msg, NO_ROOM);
	close(a.fd);
	close(b.fd);
	close(s);
	(void)snprintf(want, sizeof(want), "admin|inbox put|b.csv|refused|"
	    "upload to /inbox/b.csv at 8388608 bytes => less than the reserve "
	    "of %lld bytes would stay free\nadmin|inbox put|a.csv|abandoned|"
	    "the connection ended before a.csv was closed; nothing was kept\n",
	    (long long)cfg.policy.inbox_reserve_bytes);
	expect_uploads(want);
}
END_TEST

/* ---- the inbox's room, held by the engine -------------------------------- */

#define CAP	(3u * MIB)	/* the inbox limit; the inbox is empty */

static void
setup_capped(void)
{
	setup_with(1024 * 1024, CAP);
}

/* IPC_CLOSE of a sealed upload the client closed (commit 1), said to hold
 * plain bytes of plaintext: the status, and the message in msg. */
static uint32_t
close_sealed(int s, uint64_t id, uint64_t plain, char *msg, size_t len)
{
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();
	uint8_t sha[32];
	uint32_t status;

	memset(sha, 0, sizeof(sha));
	ck_assert(sbuf_put_u64(b, id) == 0 && sbuf_put_u64(b, 0) == 0 &&
	    sbuf_put_u64(b, 0) == 0 && sbuf_put_u64(b, plain) == 0 &&
	    sbuf_put_u8(b, 0) == 0 && sbuf_put_u8(b, 1) == 0 &&
	    sbuf_put_u64(b, plain) == 0 &&
	    sbuf_put_string(b, sha, sizeof(sha)) == 0);
	ck_assert_int_eq(ipc_call(s, IPC_CLOSE, b, -1, rep, NULL), 0);
	status = reply_status(rep, msg, len);
	ck_assert_uint_eq(sbuf_len(rep), 0);
	sbuf_free(b);
	sbuf_free(rep);
	return status;
}

/* The OPEN reply names the room as the upload's size, and no grant of
 * the disk goes past it. */
START_TEST(cap_at_open_and_grant)
{
	int s = login();
	struct upload u = upload_open(s, "/inbox/x.csv", NO_SIZE);
	uint64_t end = 0;
	char msg[256];

	ck_assert_uint_eq(u.status, 0);
	ck_assert_uint_eq(u.size, CAP);
	ck_assert_uint_eq(room(s, u.id, 1, &end, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(end, CAP);
	ck_assert_uint_eq(room(s, u.id, CAP, &end, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(end, CAP);
	close(u.fd);
	close(s);
}
END_TEST

/* Asking room past the cap is no honest session's request: dropped,
 * its process ended, the upload removed. */
START_TEST(room_past_cap_dropped)
{
	int s = login();
	struct upload u = upload_open(s, "/inbox/x.csv", NO_SIZE);
	struct sbuf *b = sbuf_new(), *rep = sbuf_new();

	ck_assert_uint_eq(u.status, 0);
	ck_assert(sbuf_put_u64(b, u.id) == 0 &&
	    sbuf_put_u64(b, (uint64_t)CAP + 1) == 0);
	ck_assert_int_ne(ipc_call(s, IPC_ROOM, b, -1, rep, NULL), 0);
	assert_dropped(s);
	expect_end_session(sluice_strerror(SLUICE_EPROTO));
	ck_assert_int_eq(inbox_files(), 0);
	close(u.fd);
	close(s);
	expect_uploads("admin|inbox put|x.csv|abandoned|the connection ended "
	    "before x.csv was closed; nothing was kept\n");
	sbuf_free(b);
	sbuf_free(rep);
}
END_TEST

/* A session that commits more than the cap (its writes were never
 * refused, as it lies): the engine refuses the upload itself. */
START_TEST(commit_past_cap_refused)
{
	int s = login();
	struct upload u = upload_open(s, "/inbox/x.csv", NO_SIZE);
	char msg[256];

	ck_assert_uint_eq(u.status, 0);
	ck_assert_uint_eq(close_sealed(s, u.id, (uint64_t)CAP + 1, msg,
	    sizeof(msg)), 3);
	ck_assert_str_eq(msg, "inbox full: the limit is 3145728 bytes");
	ck_assert_int_eq(inbox_files(), 0);
	close(u.fd);
	close(s);
	expect_uploads("admin|inbox put|x.csv|refused|an upload to byte "
	    "3145729, past the room of 3145728 bytes the inbox's files left at "
	    "OPEN\n");
}
END_TEST

static void
setup_tight(void)
{
	setup_with(-(int64_t)(12 * MIB), 0);
}

static Suite *
suite(void)
{
	TCase *tight = tcase_create("tight disk");
	TCase *capped = tcase_create("inbox cap");
	Suite *s = suite_create("upload_grant");
	TCase *tc = tcase_create("lying session");

	tcase_add_checked_fixture(tc, setup_plain, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, overrun_dropped_at_request);
	tcase_add_test(tc, overrun_dropped_unasked);
	tcase_add_test(tc, within_grant_kept);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(capped, setup_capped, teardown);
	tcase_set_timeout(capped, 60);
	tcase_add_test(capped, cap_at_open_and_grant);
	tcase_add_test(capped, room_past_cap_dropped);
	tcase_add_test(capped, commit_past_cap_refused);
	suite_add_tcase(s, capped);
	tcase_add_checked_fixture(tight, setup_tight, teardown);
	tcase_set_timeout(tight, 60);
	tcase_add_test(tight, grants_not_overcommitted);
	suite_add_tcase(s, tight);
	return s;
}

int
main(void)
{
	return suite_run(suite());
}
