/*
 * server.h: the parent process of sluiced (docs/design.md section 7).
 *
 * server_run() binds the listening socket, loads the host key once into an
 * ssh_bind, accepts connections itself, and for each one: makes a socketpair,
 * forks a session child holding one end, the client socket and the
 * ssh_bind, and nothing else of the parent's, then hands the other end to
 * the engine on engine_ctl (IPC_NEW_SESSION, body: string "ip:port", u32
 * the child's pid, the end attached). The parent reads engine_ctl without
 * blocking for the engine's IPC_END_SESSION: a session it dropped, which
 * the parent kills if it is one of its own (endsession.h).
 * A connection is closed at once, before any byte is read, when its source
 * is in penalty, or past max_sessions, or past the limits on connections not
 * yet authenticated (penalty.h); drops are logged in summary. Children are
 * reaped on SIGCHLD; a child's crash touches nobody else, and the exit
 * status of one that never authenticated (session/exitcode.h) earns its
 * source penalty seconds. A penalty that begins is logged once
 * ("penalty: 192.0.2.7/32 refused for 20 s: failed authentication") and
 * told to the engine (IPC_PENALTY), which audits it. SIGTERM or SIGINT
 * stops accepting, sends SIGTERM to every child, waits for them and
 * returns 0.
 *
 * The parent learns that a child has authenticated when the child writes a
 * byte to a per-child pipe and closes it (session.h).
 *
 * With o->engine, the parent also keeps the engine alive (supervise.h):
 * when it dies, every session is sent SIGTERM, no connection is accepted
 * until a new engine runs (they wait in the listen queue), and engine_ctl
 * is the new engine's from then on. If the supervisor gives up,
 * server_run() stops as for SIGTERM and returns SLUICE_EIO.
 */
#ifndef SLUICE_SERVER_H
#define SLUICE_SERVER_H

#include <stdint.h>

#include "ipc.h"
#include "parent/penalty.h"

struct sshkey_pub;
struct supervisor;

struct server_opts {
	const char	*listen_addr;	/* numeric IPv4/IPv6; default 127.0.0.1 */
	uint16_t	 port;		/* default 2222; 0 = any (logged) */
	const char	*host_pub;	/* the host key's public half (.pub),
					 * named in messages */
	const struct sshkey_pub *host;	/* as read from it once at start;
					 * the private half is the engine's */
	int		 login_grace_time;	/* seconds to authenticate; 30 */
	int		 max_sessions;	/* live children; 256 */
	struct limits_conf limits;	/* startups and penalties per source */
	int		 idle_timeout;	/* seconds without traffic; 600 */
	int		 log_verbosity;	/* LOG_LVL_*; also drives libssh's */
	int		 legacy_ciphers;	/* 1: offer sshalgo.h's *_LEGACY too */
	struct supervisor *engine;	/* keeps the engine; NULL: nobody */
};

void server_opts_default(struct server_opts *o);

/* Runs until SIGTERM/SIGINT (returns 0) or a setup failure (negative
 * SLUICE_E*, logged). engine_ctl (o->engine's ctl when it keeps one) and
 * sh stay the caller's. Logs
 * "listening on ADDR:PORT" once bound (the real port when port is 0). */
int server_run(const struct server_opts *o, int engine_ctl,
    struct ipc_shared *sh);

#endif
