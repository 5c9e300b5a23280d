/*
 * endsession.h: the engine asks the parent to kill a session it dropped
 * (IPC_END_SESSION, ipc.h).
 *
 * The engine closing its end of a session's socket does not stop a session
 * broken into: it may ignore that and go on writing to the upload it holds
 * until its client goes. Only the parent may kill it, and only a pid that
 * is one of its own live session children (its table, server.c): the
 * engine's word never reaches another process, nor a process group
 * (pid 0 or one past INT32_MAX is refused before any lookup).
 */
#ifndef SLUICE_ENDSESSION_H
#define SLUICE_ENDSESSION_H

#include <sys/types.h>

#include "sluice/buf.h"

#define END_SESSION_REASON_MAX	512

/* IPC_END_SESSION's body: u32 pid, string reason (*reason malloc'd, the
 * caller frees it). SLUICE_EPROTO for a pid of 0 or past INT32_MAX, a
 * reason too long, or trailing bytes. */
int end_session_parse(struct sbuf *body, pid_t *pid, char **reason)
    __attribute__((warn_unused_result));

/* Sends pid SIGKILL and logs it, if is_session(arg, pid) says it is a live
 * session child; else logs the refusal and returns SLUICE_EDENIED. */
int end_session_kill(pid_t pid, const char *reason,
    int (*is_session)(void *arg, pid_t pid), void *arg);

#endif
