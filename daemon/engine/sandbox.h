/*
 * engine/sandbox.h: the engine's own seccomp filter (docs/design.md section 7).
 *
 * The engine reads and writes files in the data directory, forks (mail
 * delivery runs a sendmail program: fork and execve) and that program
 * inherits the filter; what a sendmail calls is not ours to list, so the
 * engine's filter is a denylist, not an allowlist like a session's. Once the
 * store and keys are open, engine_sandbox_apply() makes the engine
 * non-dumpable (no other process of its uid may ptrace it or read its
 * memory), sets no_new_privs (a set-user-ID or set-group-ID sendmail gains
 * nothing: use one that needs no privilege, or run sluiced as root) and loads
 * a filter that kills the process on what the engine never needs and an
 * attacker would: ptrace, process_vm_readv/writev, kcmp, pidfd_getfd; mount
 * and the new mount API, pivot_root, chroot; kexec, kernel modules; bpf,
 * perf_event_open, userfaultfd; keyctl, add_key, request_key; unshare,
 * setns, clone with any CLONE_NEW* flag; personality but the query; reboot,
 * swapon/off, acct, syslog, setting clocks or host names, iopl/ioperm,
 * open_by_handle_at, quotactl, uselib, vhangup. clone3 and io_uring fail
 * with ENOSYS (their flags cannot be checked: glibc falls back to clone).
 */
#ifndef SLUICE_ENGINE_SANDBOX_H
#define SLUICE_ENGINE_SANDBOX_H

/* 0, or a negative SLUICE_E* (its reason logged). */
int engine_sandbox_apply(void) __attribute__((warn_unused_result));

#endif
