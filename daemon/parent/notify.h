/*
 * notify.h: tells a service manager that sluiced is ready and that it is
 * stopping (systemd's Type=notify), by the sd_notify(3) protocol, which
 * systemd documents as a stable interface for programs that do not link
 * libsystemd: one datagram, "READY=1" or "STOPPING=1", sent to the AF_UNIX
 * socket named by $NOTIFY_SOCKET (a path, or "@name" in the abstract
 * namespace). Called by the parent only, which is the unit's main process.
 *
 * Without $NOTIFY_SOCKET nothing happens. A failure is logged and otherwise
 * ignored: systemd then times the start out, and says so. Other processes
 * that inherit the variable are not heard (the unit's NotifyAccess=main),
 * and a sandboxed session cannot reach the socket from its chroot.
 */
#ifndef SLUICE_NOTIFY_H
#define SLUICE_NOTIFY_H

/* "READY=1": the listening socket is bound. */
void notify_ready(void);

/* "STOPPING=1": the parent has begun to end its sessions and the engine. */
void notify_stopping(void);

#endif
