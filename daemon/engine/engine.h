/*
 * engine.h: the one process that owns the store, the master key, the release
 * key and the scheduler (docs/design.md section 7, after OpenSSH's monitor).
 *
 * It answers a fixed table of requests (daemon/ipc.h) from session processes
 * and nothing else; every answer that releases data passes the gate first.
 */
#ifndef SLUICE_ENGINE_H
#define SLUICE_ENGINE_H

#include "ipc.h"

struct sluice_config;
struct sshkey_pub;

/* Runs the engine until ctl closes or SIGTERM; returns the exit status.
 * offered: the host key's public half the parent has offered clients since
 * the daemon started; the engine will not start when the private key on
 * disk is not its pair (replaced while the daemon ran). NULL: not checked.
 * restarted: NULL at the daemon's start; for an engine started again after
 * one died, what became of that one ("the engine before was killed by
 * signal 9"), for the audit entry "engine restart". */
int engine_main(const char *dir, const struct sluice_config *cfg, int ctl,
    struct ipc_shared *sh, const struct sshkey_pub *offered,
    const char *restarted);

#endif
