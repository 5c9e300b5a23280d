/* close_range(), setresuid(), setresgid(), getresuid(), getresgid() */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session/sandbox.h"
#include "session/session.h"
#include "session/sftp.h"
#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/sanitizer.h"
#include "sysfilter.h"

/* Descriptors the engine may pass at once: one per SFTP handle. */
#define SANDBOX_PASSED_FILES	(SESSION_MAX_CHANNELS * SFTP_MAX_HANDLES)

/* What sandbox_prepare() found, for every session the parent forks. */
static struct {
	int	 root;		/* 1: chroot and drop to uid/gid */
	uid_t	 uid;
	gid_t	 gid;
	char	 chroot_dir[CONFIG_PATH_MAX];
} box;

/* The session's allowlist: anything else kills the process. */
static const struct sysfilter_rule session_rules[] = {
	/* Paths: fail, never kill (libraries probe; the clock file). */
	SYSF_ERRNO(open, EACCES),
	SYSF_ERRNO(openat, EACCES),
	SYSF_ERRNO(openat2, EACCES),
	SYSF_ERRNO(stat, EACCES),
	SYSF_ERRNO(lstat, EACCES),
	SYSF_ERRNO(fstat, EACCES),
	SYSF_ERRNO(newfstatat, EACCES),
	SYSF_ERRNO(statx, EACCES),
	SYSF_ERRNO(access, EACCES),
	SYSF_ERRNO(faccessat, EACCES),
	SYSF_ERRNO(faccessat2, EACCES),
	SYSF_ERRNO(readlink, EACCES),
	SYSF_ERRNO(readlinkat, EACCES),
	/* The client socket, the engine socket, passed files, the log. */
	SYSF_ALLOW(read),
	SYSF_ALLOW(write),
	SYSF_ALLOW(readv),
	SYSF_ALLOW(writev),
	SYSF_ALLOW(recvfrom),
	SYSF_ALLOW(sendto),
	SYSF_ALLOW(recvmsg),
	SYSF_ALLOW(sendmsg),
	SYSF_ALLOW(pread64),
	SYSF_ALLOW(pwrite64),
	SYSF_ALLOW(sync_file_range),	/* a sealed upload's early writeback */
	SYSF_ALLOW(poll),
	SYSF_ALLOW(ppoll),
	SYSF_ALLOW(shutdown),
	SYSF_ALLOW(close),
	SYSF_ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_GETFL, 0),
	SYSF_ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_SETFL, 0),
	SYSF_ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_GETFD, 0),
	SYSF_ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_SETFD, 0),
	/* Memory, never executable. */
	SYSF_ALLOW(brk),
	SYSF_ALLOW_IF(mmap, 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
	SYSF_ALLOW_IF(mprotect, 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
	SYSF_ALLOW(munmap),
	SYSF_ALLOW(mremap),
	SYSF_ALLOW(madvise),
	SYSF_ALLOW(futex),
	/* Time, randomness (libssh's and OpenSSL's), who am I. */
	SYSF_ALLOW(clock_gettime),
	SYSF_ALLOW(gettimeofday),
	SYSF_ALLOW(time),
	SYSF_ALLOW(nanosleep),
	SYSF_ALLOW(clock_nanosleep),
	SYSF_ALLOW(getrandom),
	SYSF_ALLOW(getpid),
	SYSF_ALLOW(gettid),
	/* Signals: the grace alarm, abort() on itself, and the end. */
	SYSF_ALLOW(rt_sigaction),
	SYSF_ALLOW(rt_sigprocmask),
	SYSF_ALLOW(rt_sigreturn),
	SYSF_ALLOW(restart_syscall),
	SYSF_ALLOW(alarm),
	SYSF_ALLOW(setitimer),
	SYSF_ALLOW_SELF(tgkill, 0),
	SYSF_ALLOW(exit),
	SYSF_ALLOW(exit_group),
#ifdef SLUICE_ASAN
	/* The ASan runtime's own: on _exit, and isatty(2) in its reports. */
	SYSF_ALLOW(sigaltstack),
	SYSF_ERRNO(ioctl, ENOTTY),
#endif
};

int
sandbox_apply_filter(char *why, size_t whylen)
{
	return sysfilter_load(SCMP_ACT_KILL_PROCESS, session_rules,
	    sizeof(session_rules) / sizeof(session_rules[0]), why, whylen);
}

/* ---- descriptors ---- */

/* Closes first..last; close_range, or one by one where the kernel has not
 * got it. */
static void
close_from_to(unsigned first, unsigned last)
{
	long max;
	unsigned fd;

	if (first > last || close_range(first, last, 0) == 0)
		return;
	if ((max = sysconf(_SC_OPEN_MAX)) <= 0 || max > 1048576)
		max = 1048576;
	for (fd = first; fd <= last && fd < (unsigned)max; fd++)
		(void)close((int)fd);
}

static int
int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Closes every descriptor not in keep[] (sorted here); returns the
 * highest kept. */
static int
close_all_but(int *keep, size_t n)
{
	unsigned from = 0;
	size_t i;

	qsort(keep, n, sizeof(*keep), int_cmp);
	for (i = 0; i < n; i++) {
		if ((unsigned)keep[i] > from)
			close_from_to(from, (unsigned)keep[i] - 1);
		from = (unsigned)keep[i] + 1;
	}
	close_from_to(from, ~0U);
	return keep[n - 1];
}

/* Descriptors 0 and 1 on /dev/null: nothing inherited stays, and no file
 * the engine passes can land where stdio would write. */
static int
stdio_null(char *why, size_t whylen)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC), r = 0;

	if (fd == -1 || dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
		r = sluice_why(why, whylen, SLUICE_EIO, "/dev/null: %s",
		    strerror(errno));
	if (fd > 1)
		close(fd);
	return r;
}

void
sandbox_close_inherited(void)
{
	int fd;

	close_from_to(3, ~0U);
	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			_exit(1);	/* no /dev/null: do not run without 0-2 */
}

/* ---- root's steps ---- */

/* After the drop: uid and gid are the sandbox user's everywhere, no
 * supplementary group is left, and uid 0 / gid 0 cannot be taken back. */
static int
drop_holds(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setuid(0) != -1 || setgid(0) != -1 || getgroups(0, NULL) != 0 ||
	    getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return 0;
	return ru == box.uid && eu == box.uid && su == box.uid &&
	    rg == box.gid && eg == box.gid && sg == box.gid;
}

static int
drop_privileges(char *why, size_t whylen)
{
	if (setgroups(0, NULL) != 0 ||
	    setresgid(box.gid, box.gid, box.gid) != 0 ||
	    setresuid(box.uid, box.uid, box.uid) != 0)
		return sluice_why(why, whylen, SLUICE_EIO,
		    "cannot drop to uid %ld: %s", (long)box.uid,
		    strerror(errno));
	if (!drop_holds())
		return sluice_why(why, whylen, SLUICE_EIO,
		    "the drop to uid %ld did not hold", (long)box.uid);
	return 0;
}

/* chroot (as root, while the path can still be reached), then the drop. */
static int
confine(char *why, size_t whylen)
{
	if (chdir(box.chroot_dir) != 0 || chroot(".") != 0 || chdir("/") != 0)
		return sluice_why(why, whylen, SLUICE_EIO, "chroot %s: %s",
		    box.chroot_dir, strerror(errno));
	return drop_privileges(why, whylen);
}

/* ---- limits ---- */

static int
set_limit(int resource, rlim_t value)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) != 0)
		return -1;
	if (rl.rlim_max != RLIM_INFINITY && value > rl.rlim_max)
		value = rl.rlim_max;	/* only root may raise it */
	rl.rlim_cur = rl.rlim_max = value;
	return setrlimit(resource, &rl);
}

/* No fork, no core (it would hold the host key), no more descriptors than
 * the kept ones and those the engine may pass. */
static int
set_limits(int highest_kept, char *why, size_t whylen)
{
	rlim_t files = (rlim_t)highest_kept + 1 + SANDBOX_PASSED_FILES;

	if (set_limit(RLIMIT_NOFILE, files) != 0 ||
	    set_limit(RLIMIT_CORE, 0) != 0 ||
	    (getuid() != 0 && set_limit(RLIMIT_NPROC, 0) != 0))
		return sluice_why(why, whylen, SLUICE_EIO, "setrlimit: %s",
		    strerror(errno));
	return 0;
}

int
sandbox_session(int client_fd, int engine_fd, int auth_fd)
{
	int keep[] = { 0, 1, 2, client_fd, engine_fd, auth_fd }, highest, r;
	char why[256] = "";

	tzset();
	if ((r = stdio_null(why, sizeof(why))) == 0) {
		highest = close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
		if ((!box.root || (r = confine(why, sizeof(why))) == 0) &&
		    (r = set_limits(highest, why, sizeof(why))) == 0)
			r = sandbox_apply_filter(why, sizeof(why));
	}
	if (r != 0)
		log_errx("session sandbox: %s", why);
	return r;
}

/* ---- the parent's checks ---- */

static int
lookup_user(const char *user)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_errx("[sandbox] user %s: no such user (create it: useradd "
		    "--system --no-create-home --shell /usr/sbin/nologin %s)",
		    user, user);
		return SLUICE_ECONFIG;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		log_errx("[sandbox] user %s: has uid or gid 0; sessions need "
		    "an unprivileged user", user);
		return SLUICE_ECONFIG;
	}
	box.uid = pw->pw_uid;
	box.gid = pw->pw_gid;
	return 0;
}

/* 1 if dir holds nothing but . and .. */
static int
dir_is_empty(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int empty = 1;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* A real directory, root's, writable by root alone, empty. */
static int
check_chroot(const char *dir)
{
	struct stat st;
	const char *bad = NULL;

	if (lstat(dir, &st) != 0)
		bad = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		bad = "not a directory";
	else if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		bad = "must be owned by root and writable by no one else";
	else if (!dir_is_empty(dir))
		bad = "must be empty";
	if (bad == NULL)
		return 0;
	log_errx("[sandbox] chroot %s: %s (sluiced init makes it: "
	    "mkdir -m 0755 %s)", dir, bad, dir);
	return SLUICE_ECONFIG;
}

int
sandbox_prepare(const char *user, const char *chroot_dir)
{
	int n, r;

	memset(&box, 0, sizeof(box));
	if (geteuid() != 0) {
		log_warnx("not running as root: sessions keep uid %ld and are "
		    "not confined to a directory; seccomp, no_new_privs and "
		    "rlimits still apply", (long)geteuid());
		return 0;
	}
	n = snprintf(box.chroot_dir, sizeof(box.chroot_dir), "%s", chroot_dir);
	if (n < 0 || (size_t)n >= sizeof(box.chroot_dir))
		return SLUICE_ECONFIG;
	if ((r = lookup_user(user)) != 0 || (r = check_chroot(chroot_dir)) != 0)
		return r;
	box.root = 1;
	log_info("sessions run as uid %ld in %s", (long)box.uid, chroot_dir);
	return 0;
}
