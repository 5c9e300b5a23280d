/*
 * test_sandbox: the session's seccomp allowlist lets a session do its work
 * (socket and pipe I/O, descriptors passed with SCM_RIGHTS, pread/pwrite on
 * them, memory, abort) and kills it with SIGSYS on anything else (ptrace,
 * socket, fork, execve, executable memory, signals to others); a path gets
 * EACCES. The engine's denylist lets it work with files, fork and execve (a
 * sendmail) and kills it on ptrace, namespaces, mounts, bpf, keyctl. Both
 * leave NoNewPrivs 1 and Seccomp 2. sandbox_session() keeps only the
 * descriptors it is given; sandbox_prepare() refuses, as root, a missing or
 * privileged user and a sandbox directory that is not root's, empty and
 * closed to others; the parent's start closes every inherited descriptor.
 *
 * Each filter is applied in a forked child; the parent checks how it ended.
 */
#define _GNU_SOURCE
#include <check.h>

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <sched.h>
#include <signal.h>

#include "engine/sandbox.h"
#include "session/sandbox.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "testutil.h"
#include "suite_run.h"

#define EXIT_DONE	42	/* the child got through its work */

static char dir[64];

static void
setup(void)
{
	ck_assert_int_eq(tu_mkdtemp(dir), 0);
}

static void
teardown(void)
{
	char empty[128];

	(void)snprintf(empty, sizeof(empty), "%s/empty", dir);
	(void)rmdir(empty);
	tu_rmrf(dir);
}

/* The child's filter: the session's allowlist or the engine's denylist. */
static void
apply_session(void)
{
	char why[256];

	if (sandbox_apply_filter(why, sizeof(why)) != 0)
		_exit(99);
}

static void
apply_engine(void)
{
	if (engine_sandbox_apply() != 0)
		_exit(99);
}

/* Forks; the child applies the filter, runs fn (which exits or dies) and
 * otherwise exits EXIT_DONE. Returns the child's wait status. */
static int
in_child(void (*apply)(void), void (*fn)(void))
{
	pid_t pid;
	int status;

	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		apply();
		fn();
		_exit(EXIT_DONE);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void
ck_killed_by_sigsys(int status)
{
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "want SIGSYS, got status %#x", status);
}

static void
ck_done(int status)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_DONE,
	    "want exit %d, got status %#x", EXIT_DONE, status);
}

/* ---- the session's allowlist: what a session does ---- */

static int work_fd = -1, work_sock[2] = { -1, -1 };

/* Sends fd over sock with SCM_RIGHTS, one byte with it. */
static void
send_fd(int sock, int fd)
{
	char c = 'F', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m;
	struct cmsghdr *cm;

	memset(&m, 0, sizeof(m));
	memset(ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &m, MSG_NOSIGNAL) != 1)
		_exit(10);
}

static int
recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m;
	int fd;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1 ||
	    CMSG_FIRSTHDR(&m) == NULL)
		_exit(11);
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	return fd;
}

/* A passed descriptor written with pwrite and read back with pread; the
 * memory it goes through from mmap, grown with realloc. */
static void
session_work(void)
{
	char back[6] = "";
	char *p;
	int fd;

	send_fd(work_sock[0], work_fd);
	fd = recv_fd(work_sock[1]);
	if ((p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		_exit(12);
	memcpy(p, "upload", 6);
	if (pwrite(fd, p, 6, 4096) != 6 || pread(fd, back, 6, 4096) != 6 ||
	    memcmp(back, "upload", 6) != 0 || munmap(p, 1 << 20) != 0)
		_exit(13);
	if ((p = realloc(malloc(16), 4 << 20)) == NULL)
		_exit(14);
	free(p);
	if (write(work_sock[0], "ok", 2) != 2 || getpid() <= 0 || close(fd) != 0)
		_exit(15);
}

START_TEST(session_filter_allows_the_work)
{
	char path[128], got[8] = "";

	ck_assert_int_eq(tu_path(path, sizeof(path), dir, "upload"), 0);
	ck_assert_int_ne(work_fd = open(path, O_RDWR | O_CREAT, 0600), -1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, work_sock), 0);
	ck_done(in_child(apply_session, session_work));
	ck_assert_int_eq(pread(work_fd, got, 6, 4096), 6);
	ck_assert_str_eq(got, "upload");
	ck_assert_int_eq(read(work_sock[1], got, 2), 2);
	ck_assert_int_eq(memcmp(got, "ok", 2), 0);
	close(work_fd);
	close(work_sock[0]);
	close(work_sock[1]);
	(void)unlink(path);
}
END_TEST

static void
session_open_path(void)
{
	errno = 0;
	if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
		_exit(20);
	if (open("/tmp/new", O_WRONLY | O_CREAT, 0600) != -1 || errno != EACCES)
		_exit(21);
}

START_TEST(session_filter_refuses_paths)
{
	ck_done(in_child(apply_session, session_open_path));
}
END_TEST

static void
session_abort(void)
{
	abort();
}

START_TEST(session_filter_lets_abort_abort)
{
	int status = in_child(apply_session, session_abort);

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "want SIGABRT, got status %#x", status);
}
END_TEST

/* ---- the session's allowlist: what it kills ---- */

static void call_ptrace(void) { (void)ptrace(PTRACE_TRACEME, 0, NULL, NULL); }
static void call_socket(void) { (void)socket(AF_INET, SOCK_STREAM, 0); }
static void call_fork(void) { (void)fork(); }
static void call_kill_parent(void) { (void)kill(getppid(), 0); }
static void call_dup(void) { (void)fcntl(2, F_DUPFD, 10); }
static void call_setuid(void) { if (setuid(0) == 0) _exit(1); }
static void call_chdir(void) { if (chdir("/") == 0) _exit(1); }
static void
call_execve(void)
{
	char *argv[] = { "/bin/true", NULL }, *envp[] = { NULL };

	(void)execve(argv[0], argv, envp);
}
static void
call_mmap_exec(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static void
call_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(30);
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
}
static void
call_tgkill_parent(void)
{
	(void)syscall(SYS_tgkill, getppid(), getppid(), 0);
}

static void (*const session_forbidden[])(void) = {
	call_ptrace, call_socket, call_fork, call_execve, call_kill_parent,
	call_dup, call_setuid, call_chdir, call_mmap_exec, call_mprotect_exec,
	call_tgkill_parent,
};

START_TEST(session_filter_kills_the_rest)
{
	ck_killed_by_sigsys(in_child(apply_session, session_forbidden[_i]));
}
END_TEST

/* ---- the engine's denylist ---- */

/* The child's own /proc status says no_new_privs and a filter. */
static void
status_shows_filter(void)
{
	char text[4096];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		_exit(40);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		_exit(41);
	text[n] = '\0';
	if (strstr(text, "\nNoNewPrivs:\t1\n") == NULL ||
	    strstr(text, "\nSeccomp:\t2\n") == NULL)
		_exit(43);
}

/* Files, fork, execve and wait: what the engine and a sendmail do. */
static void
engine_work(void)
{
	char *argv[] = { "/bin/sh", "-c", "exit 7", NULL }, *envp[] = { NULL };
	char path[128];
	pid_t pid;
	int fd, st;

	status_shows_filter();
	if (tu_path(path, sizeof(path), dir, "store") != 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, "row", 3) != 3 || fsync(fd) != 0 || close(fd) != 0 ||
	    unlink(path) != 0)
		_exit(50);
	if ((pid = fork()) == 0) {
		execve(argv[0], argv, envp);
		_exit(51);
	}
	if (pid == -1 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 7)
		_exit(52);
	if (personality(0xffffffff) == -1)
		_exit(53);
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		_exit(54);
}

START_TEST(engine_filter_allows_the_work)
{
	ck_done(in_child(apply_engine, engine_work));
}
END_TEST

static void call_unshare(void) { (void)unshare(CLONE_NEWUSER); }
static void call_mount(void) { (void)mount("none", "/mnt", "tmpfs", 0, NULL); }
static void call_setns(void) { (void)setns(0, 0); }
static void call_bpf(void) { (void)syscall(SYS_bpf, 0, NULL, 0); }
static void call_keyctl(void) { (void)syscall(SYS_keyctl, 0, 0, 0, 0, 0); }
static void call_personality(void) { (void)personality(PER_LINUX32); }
static void call_chroot(void) { if (chroot("/") == 0) _exit(1); }
static void
call_clone_newnet(void)
{
	(void)syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
}
static void
call_process_vm_readv(void)
{
	(void)syscall(SYS_process_vm_readv, getppid(), NULL, 0, NULL, 0, 0);
}
static void
call_perf(void)
{
	(void)syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
}

static void (*const engine_forbidden[])(void) = {
	call_ptrace, call_unshare, call_mount, call_setns, call_bpf,
	call_keyctl, call_personality, call_chroot, call_clone_newnet,
	call_process_vm_readv, call_perf,
};

START_TEST(engine_filter_kills_what_it_never_needs)
{
	ck_killed_by_sigsys(in_child(apply_engine, engine_forbidden[_i]));
}
END_TEST

/* ---- descriptors ---- */

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static int sess_fds[3], stray_fd = -1;

/* Unprepared (as when not root): descriptors and filter only. */
static void
session_descriptors(void)
{
	char c;

	if (sandbox_session(sess_fds[0], sess_fds[1], sess_fds[2]) != 0)
		_exit(60);
	if (is_open(stray_fd) || !is_open(0) || !is_open(1) || !is_open(2) ||
	    !is_open(sess_fds[0]) || !is_open(sess_fds[1]) ||
	    !is_open(sess_fds[2]))
		_exit(61);
	if (read(0, &c, 1) != 0)	/* stdin is /dev/null */
		_exit(62);
}

static void
no_filter(void)
{
}

START_TEST(session_keeps_only_its_descriptors)
{
	int sp[2], pp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(pipe(pp), 0);
	ck_assert_int_ne(stray_fd = open("/dev/null", O_RDONLY), -1);
	sess_fds[0] = sp[0];
	sess_fds[1] = sp[1];
	sess_fds[2] = pp[1];
	ck_done(in_child(no_filter, session_descriptors));
	close(sp[0]);
	close(sp[1]);
	close(pp[0]);
	close(pp[1]);
	close(stray_fd);
}
END_TEST

static void
closes_inherited(void)
{
	sandbox_close_inherited();
	if (is_open(stray_fd) || !is_open(0) || !is_open(1) || !is_open(2))
		_exit(70);
}

START_TEST(start_closes_inherited_descriptors)
{
	ck_assert_int_ne(stray_fd = open("/dev/null", O_RDONLY), -1);
	ck_assert_int_eq(dup2(stray_fd, 200), 200);
	ck_done(in_child(no_filter, closes_inherited));
	ck_assert_int_eq(is_open(200), 1);	/* the parent's stay */
	close(200);
	close(stray_fd);
}
END_TEST

/* ---- the parent's checks ---- */

static char logpath[128];

/* sandbox_prepare(user, DIR/empty) with the log in a file; returns its
 * result and the log's text. */
static int
prepare(const char *user, char *log, size_t loglen)
{
	char empty[128];
	int fd, r;
	ssize_t n;

	ck_assert_int_eq(tu_path(logpath, sizeof(logpath), dir, "log"), 0);
	ck_assert_int_ne(fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600), -1);
	ck_assert_int_eq(tu_path(empty, sizeof(empty), dir, "empty"), 0);
	sluice_log_open("t", fd, LOG_LVL_INFO);
	r = sandbox_prepare(user, empty);
	sluice_log_open("t", -1, LOG_LVL_INFO);
	ck_assert_int_ge(n = pread(fd, log, loglen - 1, 0), 0);
	log[n] = '\0';
	close(fd);
	(void)unlink(logpath);
	return r;
}

/* The log's line without its time and pid prefix. */
static const char *
said(const char *log)
{
	const char *p = strstr(log, "]: ");

	return p == NULL ? log : p + 3;
}

START_TEST(prepare_checks_user_and_directory)
{
	char log[2048], empty[128], want[512];

	ck_assert_int_eq(tu_path(empty, sizeof(empty), dir, "empty"), 0);
	ck_assert_int_eq(mkdir(empty, 0755), 0);
	ck_assert_int_eq(chmod(empty, 0755), 0);
	if (geteuid() != 0) {
		/* Not root: nothing to check, one warning. */
		ck_assert_int_eq(prepare("no-such-user", log, sizeof(log)), 0);
		ck_assert_ptr_nonnull(strstr(log, "warning: not running as root"));
		return;
	}
	ck_assert_int_eq(prepare("sluice", log, sizeof(log)), 0);
	ck_assert_ptr_nonnull(strstr(log, "sessions run as uid "));
	ck_assert_int_eq(prepare("no_such_user", log, sizeof(log)),
	    SLUICE_ECONFIG);
	ck_assert_str_eq(said(log), "error: [sandbox] user no_such_user: no "
	    "such user (create it: useradd --system --no-create-home --shell "
	    "/usr/sbin/nologin no_such_user)\n");
	ck_assert_int_eq(prepare("root", log, sizeof(log)), SLUICE_ECONFIG);
	ck_assert_str_eq(said(log), "error: [sandbox] user root: has uid or "
	    "gid 0; sessions need an unprivileged user\n");
	ck_assert_int_eq(chmod(empty, 0775), 0);
	ck_assert_int_eq(prepare("sluice", log, sizeof(log)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want), "error: [sandbox] chroot %s: must "
	    "be owned by root and writable by no one else (sluiced init makes "
	    "it: mkdir -m 0755 %s)\n", empty, empty);
	ck_assert_str_eq(said(log), want);
	ck_assert_int_eq(chmod(empty, 0755), 0);
	ck_assert_int_eq(chown(empty, 1, 1), 0);
	ck_assert_int_eq(prepare("sluice", log, sizeof(log)), SLUICE_ECONFIG);
	ck_assert_str_eq(said(log), want);
	ck_assert_int_eq(chown(empty, 0, 0), 0);
	ck_assert_int_eq(tu_path(want, sizeof(want), empty, "x"), 0);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	ck_assert_int_eq(prepare("sluice", log, sizeof(log)), SLUICE_ECONFIG);
	ck_assert_int_eq(rmdir(want), 0);
	(void)snprintf(want, sizeof(want), "error: [sandbox] chroot %s: must "
	    "be empty (sluiced init makes it: mkdir -m 0755 %s)\n", empty,
	    empty);
	ck_assert_str_eq(said(log), want);
	ck_assert_int_eq(rmdir(empty), 0);
	ck_assert_int_eq(prepare("sluice", log, sizeof(log)), SLUICE_ECONFIG);
	(void)snprintf(want, sizeof(want), "error: [sandbox] chroot %s: No "
	    "such file or directory (sluiced init makes it: mkdir -m 0755 %s)\n",
	    empty, empty);
	ck_assert_str_eq(said(log), want);
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("filters");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, session_filter_allows_the_work);
	tcase_add_test(tc, session_filter_refuses_paths);
	tcase_add_test(tc, session_filter_lets_abort_abort);
	tcase_add_loop_test(tc, session_filter_kills_the_rest, 0,
	    (int)(sizeof(session_forbidden) / sizeof(session_forbidden[0])));
	tcase_add_test(tc, engine_filter_allows_the_work);
	tcase_add_loop_test(tc, engine_filter_kills_what_it_never_needs, 0,
	    (int)(sizeof(engine_forbidden) / sizeof(engine_forbidden[0])));
	tcase_add_test(tc, session_keeps_only_its_descriptors);
	tcase_add_test(tc, start_closes_inherited_descriptors);
	tcase_add_test(tc, prepare_checks_user_and_directory);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return suite_run(sandbox_suite());
}
