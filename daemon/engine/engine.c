/*
 * The engine: a poll loop over the control socket (new sessions from the
 * parent) and one socket per session, answering a fixed table of requests.
 * Requests are handled one at a time, so the store sees one writer.
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
	{ IPC_AUTH,	0, eng_auth },
	{ IPC_AUTHFAIL,	0, eng_authfail },
	{ IPC_STAT,	1, eng_stat },
	{ IPC_READDIR,	1, eng_readdir },
	{ IPC_OPEN,	1, eng_open },
	{ IPC_GATE,	1, eng_gate },
	{ IPC_CLOSE,	1, eng_close },
	{ IPC_REMOVE,	1, eng_remove },
	{ IPC_ADMIN,	1, eng_admin },
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

static void
conn_drop(struct engine *e, size_t i)
{
	struct conn *c = e->conns[i];

	log_debug("engine: session %s closed", c->peer);
	conn_close_all(e, c);
	close(c->fd);
	free(c);
	e->conns[i] = e->conns[--e->nconns];
}

static int
conn_add(struct engine *e, int fd, const char *peer)
{
	struct conn *c;

	if (e->nconns >= ENGINE_MAX_CONNS) {
		log_warnx("engine: too many sessions, refusing %s", peer);
		return SLUICE_ETOOBIG;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SLUICE_ENOMEM;
	c->fd = fd;
	(void)snprintf(c->peer, sizeof(c->peer), "%s", peer);
	e->conns[e->nconns++] = c;
	return 0;
}

static int
engine_ctl_message(struct engine *e)
{
	struct sbuf *b = NULL;
	char *peer = NULL;
	uint32_t type;
	int fd = -1, r;

	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = ipc_recv(e->ctl, &type, b, &fd)) != 0)
		goto out;
	if (type != IPC_NEW_SESSION || fd == -1 ||
	    sbuf_get_cstring(b, &peer, 128) != 0 || sbuf_len(b) != 0) {
		r = SLUICE_EPROTO;
		goto out;
	}
	if ((r = conn_add(e, fd, peer)) == 0)
		fd = -1;
	r = 0;	/* a refused session is not the control socket's fault */
out:
	if (fd != -1)
		close(fd);
	free(peer);
	sbuf_free(b);
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

/* One request from a session; a protocol violation drops the session. */
static int
engine_conn_message(struct engine *e, struct conn *c)
{
	struct sbuf *req = NULL, *rep = NULL;
	uint32_t type;
	int r, rfd = -1;

	if ((req = sbuf_new()) == NULL || (rep = sbuf_new()) == NULL) {
		r = SLUICE_ENOMEM;
		goto out;
	}
	if ((r = ipc_recv(c->fd, &type, req, NULL)) == 0 &&
	    (r = conn_dispatch(e, c, type, req, rep, &rfd)) == 0)
		r = ipc_send(c->fd, type | IPC_REPLY, rep, rfd);
out:
	if (rfd != -1)
		close(rfd);
	sbuf_free(req);
	sbuf_free(rep);
	return r;
}

static void
engine_poll_once(struct engine *e, int timeout_ms)
{
	struct pollfd pfd[ENGINE_MAX_CONNS + 1];
	size_t i, n;

	pfd[0].fd = e->ctl;
	pfd[0].events = POLLIN;
	for (i = 0; i < e->nconns; i++) {
		pfd[i + 1].fd = e->conns[i]->fd;
		pfd[i + 1].events = POLLIN;
	}
	n = e->nconns;
	if (poll(pfd, n + 1, timeout_ms) <= 0)
		return;
	if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
		if (engine_ctl_message(e) != 0)
			engine_quit = 1;
	}
	/* Walk backwards: conn_drop moves the last entry into the hole. */
	for (i = n; i > 0; i--) {
		if (pfd[i].revents == 0)
			continue;
		if (engine_conn_message(e, e->conns[i - 1]) != 0)
			conn_drop(e, i - 1);
	}
}

int
engine_main(const char *dir, const struct sluice_config *cfg, int ctl,
    struct ipc_shared *sh)
{
	struct engine *e = NULL;
	int64_t last_tick = 0, now;
	int r;

	engine_signals();
	sluice_log_open("sluiced-engine", 2, LOG_LVL_INFO);
	if ((r = engine_open(dir, cfg, ctl, sh, &e)) != 0 ||
	    (r = engine_sandbox_apply()) != 0)
		goto out;
	log_info("engine: ready");
	while (!engine_quit) {
		now = sluice_now();
		if (now != last_tick) {
			schedule_tick(e, now);
			engine_anchor_update(e);
			last_tick = now;
		}
		engine_poll_once(e, 1000);
	}
	log_info("engine: stopping");
out:
	engine_close(e);
	return r == 0 ? 0 : 1;
}
