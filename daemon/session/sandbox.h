/*
 * sandbox.h: the session process's sandbox (docs/design.md section 7), after
 * OpenSSH's preauth sandbox, and the parent's hygiene with descriptors.
 *
 * The parent calls sandbox_prepare() once at start. Running as root, it looks
 * up the sandbox user ([sandbox] user; not root, not in group 0) and checks
 * the sandbox directory ([sandbox] chroot): a real directory owned by root,
 * writable by no one else, holding nothing; either failing refuses the start.
 * Not running as root, it logs one warning: sessions then keep the daemon's
 * uid and see the whole file system, and the rest still applies.
 *
 * In each session child, after accept and before the first byte from the
 * client, sandbox_session():
 *   - loads the time zone (tzset) while /etc is still there;
 *   - points descriptors 0 and 1 at /dev/null, keeps 2 (the log), the client
 *     socket, the engine socket and the auth pipe, and closes every other
 *     descriptor (the host key is already in the ssh_bind's memory);
 *   - as root: chroot to the sandbox directory, then setgroups(0),
 *     setresgid and setresuid to the sandbox user, and checks that neither
 *     uid 0 nor gid 0 can be taken back;
 *   - rlimits: RLIMIT_NOFILE to the highest kept descriptor + 1 + the files
 *     the engine may pass (every SFTP handle of every channel); RLIMIT_NPROC
 *     0 once the uid is not root; RLIMIT_CORE 0. Not RLIMIT_FSIZE: it limits
 *     writes to descriptors the engine passed for uploads too (pwrite fails
 *     with EFBIG and SIGXFSZ), and the log when it is a file; no file can be
 *     opened anyway;
 *   - sandbox_apply_filter(): no_new_privs and the seccomp allowlist.
 * A failure ends the session before it reads anything (logged).
 *
 * The allowlist (sandbox.c) kills the process (SIGSYS) on any call it does
 * not name. It allows what a session does: socket I/O (read, write,
 * recvfrom, sendto, recvmsg, sendmsg with SCM_RIGHTS, shutdown), poll,
 * pread/pwrite on passed descriptors, close, memory (brk, mmap and mprotect
 * without PROT_EXEC, munmap, mremap, madvise), futex, clocks, getrandom,
 * getpid, signals (rt_sigaction, rt_sigprocmask, rt_sigreturn, alarm,
 * tgkill on itself for abort()), fcntl's flag get/set, exit. Opening or
 * looking up a path fails with EACCES instead (as OpenSSH does: libraries
 * probe; with --fake-clock a session's log lines keep the time of its fork).
 * Sanitizer builds (ASan+UBSan) also allow sigaltstack and answer ioctl
 * with ENOTTY: their runtimes call them on exit and in reports.
 */
#ifndef SLUICE_SANDBOX_H
#define SLUICE_SANDBOX_H

#include <stddef.h>

/* In the parent, at start: 0, or SLUICE_ECONFIG (logged) when the sandbox
 * cannot be set up as configured. */
int sandbox_prepare(const char *user, const char *chroot_dir);

/* In a session child: 0 once sandboxed, else a negative SLUICE_E* (logged;
 * the caller must end the session). */
int sandbox_session(int client_fd, int engine_fd, int auth_fd);

/* no_new_privs and the session's seccomp allowlist alone (for tests too):
 * 0, or a negative SLUICE_E* with a reason in why. */
int sandbox_apply_filter(char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* At the very start of sluiced: closes every inherited descriptor above 2
 * and opens /dev/null on any of 0, 1, 2 that is closed. */
void sandbox_close_inherited(void);

#endif
