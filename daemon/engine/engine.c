/*
 * The engine: a poll loop over the control socket (new sessions from the
 * parent), the mail worker's socket and one socket per session, answering a
 * fixed table of requests. Requests are handled one at a time, so the store
 * sees one writer; every socket is non-blocking (ipc_peer), so a session
 * that sends half a message, or reads its answer slowly, holds up nobody.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/mail.h"
#include "engine/sandbox.h"
#include "engine/schedule.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"

static volatile sig_atomic_t engine_quit;

static void
engine_on_signal(int sig)
{
	(void)sig;
	engine_quit = 1;
}

/* SIGTERM and SIGINT stop the loop; a session gone is not a SIGPIPE. */
static void
engine_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = engine_on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

static const struct engine_handler {
	uint32_t	type;
	int		need_auth;
	int		(*fn)(struct engine *, struct conn *, struct sbuf *,
			    struct sbuf *, int *);
} engine_handlers[] = {
	{ IPC_HOSTSIGN,	0, eng_hostsign },
	{ IPC_AUTH,	0, eng_auth },
	{ IPC_AUTHFAIL,	0, eng_authfail },
	{ IPC_STAT,	1, eng_stat },
	{ IPC_READDIR,	1, eng_readdir },
	{ IPC_OPEN,	1, eng_open },
	{ IPC_GATE,	1, eng_gate },
	{ IPC_CLOSE,	1, eng_close },
	{ IPC_REMOVE,	1, eng_remove },
	{ IPC_ADMIN,	1, eng_admin },
	{ IPC_ROOM,	1, eng_room },
};

static const struct engine_handler *
handler_for(uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(engine_handlers) / sizeof(engine_handlers[0]); i++)
		if (engine_handlers[i].type == type)
			return &engine_handlers[i];
	return NULL;
}

/* IPC_END_SESSION: the parent is to kill c's process, which may ignore
 * the end of its socket. Queued and written as far as the socket takes it
 * now (the rest as poll allows): the engine never waits on the parent. */
static void
conn_end_process(struct engine *e, const struct conn *c, const char *why)
{
	struct sbuf *body;
	int r = SLUICE_ENOMEM;

	if (e->ctl_io == NULL || c->pid == 0)
		return;
	if ((body = sbuf_new()) != NULL &&
	    (r = sbuf_put_u32(body, c->pid)) == 0)
		r = sbuf_put_cstring(body, why);
	if (r == 0)
		r = ipc_peer_queue(e->ctl_io, IPC_END_SESSION, body, -1);
	else
		sbuf_free(body);
	if (r == 0)
		r = ipc_peer_flush(e->ctl_io);
	if (r != 0)
		log_warnx("engine: cannot ask the parent to end session %u: %s",
		    c->pid, sluice_strerror(r));
}

void
conn_drop(struct engine *e, size_t i, const char *why)
{
	struct conn *c = e->conns[i];

	if (why != NULL) {
		log_warnx("engine: session %s dropped: %s", c->peer, why);
		conn_end_process(e, c, why);
	} else
		log_debug("engine: session %s closed", c->peer);
	conn_close_all(e, c);
	ipc_peer_free(c->io);
	free(c);
	e->conns[i] = e->conns[--e->nconns];
}

int
conn_add(struct engine *e, int fd, const char *peer, uint32_t pid)
{
	struct conn *c;
	int r;

	if (e->nconns >= ENGINE_MAX_CONNS) {
		log_warnx("engine: too many sessions, refusing %s", peer);
		close(fd);
		return SLUICE_ETOOBIG;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (r = ipc_peer_new(fd, &c->io)) != 0) {
		free(c);
		close(fd);
		return SLUICE_ENOMEM;
	}
	ipc_peer_limits(c->io, ENGINE_REQUEST_MAX, 0, IPC_PEER_DEADLINE_MS);
	(void)snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->pid = pid;
	e->conns[e->nconns++] = c;
	return 0;
}

/* IPC_NEW_SESSION (or IPC_PENALTY) from the parent, if one is complete;
 * non-zero when the control socket is gone or broken, which ends the
 * engine. */
static int
ctl_input(struct engine *e, struct sbuf *b)
{
	char *peer = NULL;
	uint32_t type, pid = 0;
	int fd = -1, r;

	if ((r = ipc_peer_read(e->ctl_io, &type, b, &fd)) <= 0)
		return r;
	if (type == IPC_PENALTY && fd == -1)
		return engine_penalty(e, b);
	r = 0;
	if (type != IPC_NEW_SESSION || fd == -1 ||
	    sbuf_get_cstring(b, &peer, 128) != 0 ||
	    sbuf_get_u32(b, &pid) != 0 || sbuf_len(b) != 0)
		r = SLUICE_EPROTO;
	else	/* a refused session is not the control socket's fault */
		(void)conn_add(e, fd, peer, pid);
	if (r != 0 && fd != -1)
		close(fd);
	free(peer);
	return r;
}

/* Runs request type for c: its reply in rep, *rfd a descriptor to pass. */
static int
conn_dispatch(struct engine *e, struct conn *c, uint32_t type,
    struct sbuf *req, struct sbuf *rep, int *rfd)
{
	const struct engine_handler *h;
	int r;

	if ((h = handler_for(type)) == NULL || (h->need_auth && !c->authed)) {
		log_warnx("engine: session %s sent request %u out of turn",
		    c->peer, type);
		return SLUICE_EPROTO;
	}
	/* The calendar first: a request sees the day's transitions, sanctions
	 * and mail already applied, even just after a fake clock jumped. */
	schedule_tick(e, sluice_now());
	/* Then who is asking, as the store says now: a user disabled or a key
	 * replaced since the login is refused (each handler says so). */
	if (h->need_auth)
		conn_refresh(e, c);
	if ((r = h->fn(e, c, req, rep, rfd)) != 0)
		log_warnx("engine: request %u from %s: %s", type, c->peer,
		    sluice_strerror(r));
	/* The signed head covers what this request added before it is
	 * answered. */
	engine_anchor_update(e);
	return r;
}

/* Request type from c, its reply queued (urgent: ahead of the answer
 * still going out); a protocol violation or a handler's failure drops the
 * session. */
static int
conn_request(struct engine *e, struct conn *c, uint32_t type,
    struct sbuf *req, int urgent)
{
	struct sbuf *rep;
	int r, rfd = -1;

	/* secret: an OPEN reply may carry a file key (sealed.c), wiped when
	 * the queue frees it */
	if ((rep = sbuf_new_secret()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = conn_dispatch(e, c, type, req, rep, &rfd)) != 0) {
		if (rfd != -1)
			close(rfd);
		sbuf_free(rep);
		return r;
	}
	if (urgent)
		return ipc_peer_queue_urgent(c->io, type | IPC_REPLY, rep, rfd);
	return ipc_peer_queue(c->io, type | IPC_REPLY, rep, rfd);
}

/* A request that came while c's last answer is still going out: only a
 * re-key's signature, which the session needs to go on writing that answer
 * to its client (ipc.h, IPC_ADMIN); anything else is out of turn. */
static int
conn_interjection(struct engine *e, struct conn *c, uint32_t type,
    struct sbuf *req)
{
	if (type != IPC_HOSTSIGN) {
		log_warnx("engine: session %s sent request %u before its "
		    "last answer was out", c->peer, type);
		return SLUICE_EPROTO;
	}
	return conn_request(e, c, type, req, 1);
}

int
conn_service(struct engine *e, struct conn *c, short revents, struct sbuf *b)
{
	uint32_t type;
	int r = 0;

	if ((revents & (POLLIN | POLLHUP | POLLERR)) &&
	    (r = ipc_peer_read(c->io, &type, b, NULL)) == 1)
		r = ipc_peer_pending(c->io) ?
		    conn_interjection(e, c, type, b) :
		    conn_request(e, c, type, b, 0);
	if (r == 0)
		r = ipc_peer_flush(c->io);
	return r;
}

static void
conns_service(struct engine *e, const struct pollfd *pfd, size_t n,
    struct sbuf *b)
{
	char why[256];
	size_t i;
	int r;

	/* Backwards: conn_drop moves the last entry into the hole. */
	for (i = n; i > 0; i--) {
		if (pfd[i - 1].revents == 0)
			continue;
		/* the grants checked before a session is heard (sealed.c) */
		if (conn_overrun(e, e->conns[i - 1], why, sizeof(why)) != 0) {
			conn_drop(e, i - 1, why);
			continue;
		}
		if ((r = conn_service(e, e->conns[i - 1], pfd[i - 1].revents,
		    b)) != 0)
			conn_drop(e, i - 1, r == SLUICE_EIO ? NULL :
			    sluice_strerror(r));
	}
}

/* Drops the sessions that began a message and did not finish it in time. */
static void
conns_expire(struct engine *e, uint64_t now)
{
	size_t i;

	for (i = e->nconns; i > 0; i--)
		if (ipc_peer_late(e->conns[i - 1]->io, now))
			conn_drop(e, i - 1, "a message left unfinished for "
			    "too long");
}

/* Once a second, every session's uploads against their grants: a session
 * that writes past one and never asks again is dropped all the same. */
static void
conns_police(struct engine *e, uint64_t now)
{
	char why[256];
	size_t i;

	if (now < e->next_police_ms)
		return;
	e->next_police_ms = now + 1000;
	for (i = e->nconns; i > 0; i--)
		if (conn_overrun(e, e->conns[i - 1], why, sizeof(why)) != 0)
			conn_drop(e, i - 1, why);
}

enum { PFD_CTL, PFD_MAIL, PFD_CONNS };

/* The control socket, the mail worker (fd -1 when none: poll skips it),
 * each session: its request, and room for its queued answer. */
static nfds_t
poll_set(struct engine *e, struct pollfd *pfd)
{
	struct ipc_peer *io;
	size_t i;

	memset(pfd, 0, (PFD_CONNS + e->nconns) * sizeof(*pfd));
	pfd[PFD_CTL].fd = ipc_peer_fd(e->ctl_io);
	pfd[PFD_CTL].events = ipc_peer_pending(e->ctl_io) ? POLLIN | POLLOUT :
	    POLLIN;
	pfd[PFD_MAIL].fd = mail_worker_fd(e);
	pfd[PFD_MAIL].events = POLLIN;
	for (i = 0; i < e->nconns; i++) {
		io = e->conns[i]->io;
		pfd[PFD_CONNS + i].fd = ipc_peer_fd(io);
		pfd[PFD_CONNS + i].events = ipc_peer_pending(io) ?
		    POLLIN | POLLOUT : POLLIN;
	}
	return (nfds_t)(PFD_CONNS + e->nconns);
}

/* At most a second, and no later than the nearest message deadline. */
static int
poll_timeout(const struct engine *e, uint64_t now)
{
	uint64_t t = now + 1000, d;
	size_t i;

	for (i = 0; i < e->nconns; i++)
		if ((d = ipc_peer_deadline(e->conns[i]->io)) != 0 && d < t)
			t = d;
	return t > now ? (int)(t - now) : 0;
}

static void
engine_poll_once(struct engine *e, struct sbuf *b)
{
	struct pollfd pfd[PFD_CONNS + ENGINE_MAX_CONNS];
	nfds_t n = poll_set(e, pfd);

	if (poll(pfd, n, poll_timeout(e, sluice_monotonic_ms())) < 0)
		return;
	if (pfd[PFD_CTL].revents != 0 && (ctl_input(e, b) != 0 ||
	    ipc_peer_flush(e->ctl_io) != 0))
		engine_quit = 1;
	if (pfd[PFD_MAIL].revents != 0)
		mail_worker_input(e);
	conns_service(e, pfd + PFD_CONNS, n - PFD_CONNS, b);
	conns_expire(e, sluice_monotonic_ms());
	conns_police(e, sluice_monotonic_ms());
}

/* Once the store is open: the control socket, an engine restarted said
 * so in the audit log, mail left in delivery by the engine before. */
static int
engine_start(struct engine *e, const char *restarted)
{
	int r;

	if ((r = ipc_peer_new(e->ctl, &e->ctl_io)) != 0)
		return r;
	ipc_peer_limits(e->ctl_io, 4096, 1, IPC_PEER_DEADLINE_MS);
	if (restarted != NULL)
		engine_audit(e, "sluiced", "engine restart", "", "ok", "%s",
		    restarted);
	mail_recover(e);
	return 0;
}

/* What engine_start() began: the mail worker ended, the control socket
 * closed. */
static void
engine_stop(struct engine *e)
{
	if (e == NULL)
		return;
	mail_stop(e);
	ipc_peer_free(e->ctl_io);
	e->ctl_io = NULL;
}

int
engine_main(const char *dir, const struct sluice_config *cfg, int ctl,
    struct ipc_shared *sh, const struct sshkey_pub *offered,
    const char *restarted)
{
	struct engine *e = NULL;
	struct sbuf *b = NULL;
	int64_t last_tick = 0, now;
	int r;

	engine_signals();
	sluice_log_open("sluiced-engine", 2, LOG_LVL_INFO);
	if ((b = sbuf_new()) == NULL)
		r = SLUICE_ENOMEM;
	else if ((r = engine_open(dir, cfg, ctl, sh, offered, &e)) == 0 &&
	    (r = engine_sandbox_apply()) == 0)
		r = engine_start(e, restarted);
	if (r != 0)
		goto out;
	log_info("engine: ready");
	while (!engine_quit) {
		now = sluice_now();
		if (now != last_tick) {
			schedule_tick(e, now);
			engine_anchor_update(e);
			last_tick = now;
		}
		engine_poll_once(e, b);
	}
	log_info("engine: stopping");
out:
	sbuf_free(b);
	engine_stop(e);
	engine_close(e);
	return r == 0 ? 0 : 1;
}
