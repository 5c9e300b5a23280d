/* pipe2() and accept4() */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include <sodium.h>

#include "ipc.h"
#include "parent/endsession.h"
#include "parent/penalty.h"
#include "parent/notify.h"
#include "parent/server.h"
#include "parent/supervise.h"
#include "session/hostsign.h"
#include "session/sandbox.h"
#include "sluice/clock.h"
#include "session/session.h"
#include "sluice/clock.h"
#include "sluice/config.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/sshalgo.h"

/* Signatures we verify: no ssh-rsa (SHA-1), no DSA, no certificates. */
#define SERVER_KEY_TYPES "ssh-ed25519,ecdsa-sha2-nistp256," \
	"ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"

struct child {
	pid_t	 pid;		/* 0: free slot */
	int	 auth_fd;	/* read end; -1 once authenticated */
	int	 authed;	/* it said so on auth_fd */
	int	 ended;		/* killed at the engine's word (logged) */
	struct netaddr src;	/* the client's address */
};

struct server {
	const struct server_opts *o;
	int		 engine_ctl;
	struct ipc_peer	*ctl_in;	/* a duplicate of engine_ctl, read
					 * without blocking; NULL: none */
	struct ipc_shared *sh;
	ssh_bind	 bind;
	int		 listen_fd;
	struct child	*children;
	size_t		 nchildren;	/* live */
	struct limits	*lim;		/* startups and penalties per source */
	struct droplog	 drops;
	int		 stopping;
};

static int sig_pipe[2] = { -1, -1 };
static pid_t sig_owner;		/* the parent: a child forked with these
				 * handlers must not write its signals into
				 * the parent's pipe before it resets them */

static void
on_signal(int sig)
{
	int saved = errno;
	uint8_t c = (uint8_t)sig;

	if (getpid() != sig_owner) {
		/* A child just forked (a session, the engine) told to end
		 * before it reset its handlers: it ends as told. */
		(void)signal(sig, SIG_DFL);
		(void)raise(sig);
		errno = saved;
		return;
	}
	(void)!write(sig_pipe[1], &c, 1);
	errno = saved;
}

void
server_opts_default(struct server_opts *o)
{
	struct sluice_config cfg;
	char why[128];

	memset(o, 0, sizeof(*o));
	o->listen_addr = "127.0.0.1";
	o->port = 2222;
	o->login_grace_time = 30;
	o->max_sessions = 256;
	if (config_defaults("/", &cfg, why, sizeof(why)) == 0)
		limits_conf_from(&o->limits, &cfg);
	o->idle_timeout = 600;
	o->log_verbosity = LOG_LVL_INFO;
}

static int
signals_setup(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return SLUICE_EIO;
	sig_owner = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGCHLD, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		return SLUICE_EIO;
	(void)signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void
signals_restore(void)
{
	(void)signal(SIGCHLD, SIG_DFL);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	if (sig_pipe[0] != -1)
		close(sig_pipe[0]);
	if (sig_pipe[1] != -1)
		close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

/* The host key's public half, as read once at start; the bind owns the
 * placeholder from here. The private half is never read here: sessions are
 * forked from this process, and the engine alone signs with it
 * (session/hostsign.h). */
static int
bind_load_key(struct server *sv)
{
	char why[512] = "";
	ssh_key key = NULL;

	if (hostsign_placeholder(sv->o->host_pub, sv->o->host, &key, why,
	    sizeof(why)) != 0) {
		log_errx("cannot offer the host key: %s", why);
		return SLUICE_ECONFIG;
	}
	if (ssh_bind_options_set(sv->bind, SSH_BIND_OPTIONS_IMPORT_KEY,
	    key) != SSH_OK) {
		ssh_key_free(key);
		return SLUICE_ECONFIG;
	}
	return 0;
}

/* Sets one of the bind's algorithm lists; 0 or SLUICE_ECONFIG. */
static int
bind_list(struct server *sv, enum ssh_bind_options_e what, const char *list)
{
	if (ssh_bind_options_set(sv->bind, what, list) == SSH_OK)
		return 0;
	log_errx("ssh: cannot offer %s: %s", list, ssh_get_error(sv->bind));
	return SLUICE_ECONFIG;
}

/* What the server offers (sshalgo.h), with the legacy fallbacks last when
 * configured. */
static int
bind_algorithms(struct server *sv)
{
	int legacy = sv->o->legacy_ciphers;
	const char *ciphers = legacy ? SSH_ALGO_CIPHERS "," SSH_ALGO_CIPHERS_LEGACY :
	    SSH_ALGO_CIPHERS;
	const char *macs = legacy ? SSH_ALGO_MACS "," SSH_ALGO_MACS_LEGACY :
	    SSH_ALGO_MACS;
	int r;

	if ((r = bind_list(sv, SSH_BIND_OPTIONS_KEY_EXCHANGE, SSH_ALGO_KEX)) != 0 ||
	    (r = bind_list(sv, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS,
	    SSH_ALGO_HOSTKEYS)) != 0 ||
	    (r = bind_list(sv, SSH_BIND_OPTIONS_CIPHERS_C_S, ciphers)) != 0 ||
	    (r = bind_list(sv, SSH_BIND_OPTIONS_CIPHERS_S_C, ciphers)) != 0 ||
	    (r = bind_list(sv, SSH_BIND_OPTIONS_HMAC_C_S, macs)) != 0)
		return r;
	return bind_list(sv, SSH_BIND_OPTIONS_HMAC_S_C, macs);
}

static int
bind_setup(struct server *sv)
{
	bool no = false;
	int verbosity = sv->o->log_verbosity >= LOG_LVL_DEBUG ?
	    SSH_LOG_PROTOCOL : SSH_LOG_NOLOG, r;

	if ((sv->bind = ssh_bind_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = bind_load_key(sv)) != 0)
		return r;
	if (ssh_bind_options_set(sv->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG,
	    &no) != SSH_OK ||
	    ssh_bind_options_set(sv->bind,
	    SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES,
	    SERVER_KEY_TYPES) != SSH_OK ||
	    ssh_bind_options_set(sv->bind, SSH_BIND_OPTIONS_LOG_VERBOSITY,
	    &verbosity) != SSH_OK) {
		log_errx("ssh: %s", ssh_get_error(sv->bind));
		return SLUICE_ECONFIG;
	}
	return bind_algorithms(sv);
}

static void
log_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	log_info("listening on %s:%s", host, serv);
}

/* The listen address and port: numeric only. */
static int
listen_resolve(const struct server_opts *o, const char *port,
    struct addrinfo **ai)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(o->listen_addr, port, &hints, ai) != 0) {
		log_errx("bad listen address %s", o->listen_addr);
		return SLUICE_ECONFIG;
	}
	return 0;
}

/* Makes sv->listen_fd; SLUICE_EIO with errno set by the failing call. */
static int
listen_on(struct server *sv, const struct addrinfo *ai)
{
	int one = 1;

	sv->listen_fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (sv->listen_fd == -1 ||
	    setsockopt(sv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 ||
	    bind(sv->listen_fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(sv->listen_fd, 128) != 0)
		return SLUICE_EIO;
	return 0;
}

static int
listen_setup(struct server *sv)
{
	struct addrinfo *ai = NULL;
	char port[8];
	int r;

	(void)snprintf(port, sizeof(port), "%u", (unsigned)sv->o->port);
	if ((r = listen_resolve(sv->o, port, &ai)) != 0)
		return r;
	if ((r = listen_on(sv, ai)) != 0)
		log_errx("cannot listen on %s:%s: %s", sv->o->listen_addr, port,
		    strerror(errno));
	else
		log_bound(sv->listen_fd);
	freeaddrinfo(ai);
	return r;
}

static void
peer_name(const struct sockaddr_storage *ss, socklen_t sl, char *out,
    size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		(void)snprintf(out, outlen, "unknown:0");
	else
		(void)snprintf(out, outlen, "%s:%s", host, serv);
}

/* A child authenticated (wrote its byte on the auth pipe) or is gone: it
 * is no longer a startup. The pipe does not block. */
static void
child_authed(struct server *sv, struct child *c)
{
	uint8_t b;

	if (c->auth_fd == -1)
		return;
	if (read(c->auth_fd, &b, 1) == 1)
		c->authed = 1;
	close(c->auth_fd);
	c->auth_fd = -1;
	limits_startup_end(sv->lim, (size_t)(c - sv->children));
}

static struct child *
child_by_pid(struct server *sv, pid_t pid)
{
	size_t i;

	for (i = 0; i < (size_t)sv->o->max_sessions; i++)
		if (sv->children[i].pid == pid)
			return &sv->children[i];
	return NULL;
}

/* end_session_kill()'s check: pid is one of our live sessions. */
static int
is_session(void *arg, pid_t pid)
{
	return pid > 0 && child_by_pid(arg, pid) != NULL;
}

/* The engine's messages to us, read from a duplicate of engine_ctl (whose
 * sends stay blocking); none without an engine. */
static void
ctl_reader_open(struct server *sv)
{
	int fd;

	if (sv->engine_ctl == -1 || sv->ctl_in != NULL)
		return;
	if ((fd = fcntl(sv->engine_ctl, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    ipc_peer_new_shared(fd, &sv->ctl_in) != 0) {
		if (fd != -1)
			close(fd);
		log_warnx("cannot read the engine's control socket: sessions "
		    "it drops will not be killed");
		return;
	}
	ipc_peer_limits(sv->ctl_in, 8 + END_SESSION_REASON_MAX, 0,
	    IPC_PEER_DEADLINE_MS);
}

static void
ctl_reader_close(struct server *sv)
{
	ipc_peer_free(sv->ctl_in);
	sv->ctl_in = NULL;
}

/* One message from the engine: IPC_END_SESSION, nothing else. */
static int
engine_message(struct server *sv, uint32_t type, struct sbuf *b)
{
	char *reason = NULL;
	pid_t pid;
	int r;

	if (type != IPC_END_SESSION)
		return SLUICE_EPROTO;
	if ((r = end_session_parse(b, &pid, &reason)) != 0)
		return r;
	if (end_session_kill(pid, reason, is_session, sv) == 0)
		child_by_pid(sv, pid)->ended = 1;
	free(reason);
	return 0;
}

/* What the engine sent us, as far as it came; a broken or closed socket is
 * read no more (a new engine brings a new one). */
static void
engine_input(struct server *sv)
{
	struct sbuf *b;
	uint32_t type;
	int r;

	if ((b = sbuf_new()) == NULL)
		return;
	while ((r = ipc_peer_read(sv->ctl_in, &type, b, NULL)) == 1)
		if ((r = engine_message(sv, type, b)) != 0)
			break;
	if (r < 0 && !(r == SLUICE_EIO && errno == 0))
		log_warnx("the engine's control socket: %s", sluice_strerror(r));
	if (r < 0)
		ctl_reader_close(sv);
	sbuf_free(b);
}

/* IPC_PENALTY: the engine audits a penalty that began. */
static int
announce_penalty(struct server *sv, const struct penalty_event *ev,
    uint32_t secs)
{
	struct sbuf *body;
	int r;

	if (sv->engine_ctl == -1)
		return SLUICE_EIO;	/* being restarted */
	if ((body = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sbuf_put_cstring(body, ev->source)) == 0 &&
	    (r = sbuf_put_cstring(body, penalty_kind_name(ev->kind))) == 0 &&
	    (r = sbuf_put_u32(body, secs)) == 0)
		r = ipc_send(sv->engine_ctl, IPC_PENALTY, body, -1);
	sbuf_free(body);
	return r;
}

/* A child that never authenticated earns its source what its ending
 * deserves; a penalty that begins is logged and audited once. */
static void
child_penalise(struct server *sv, const struct child *c, int status)
{
	struct penalty_event ev;
	uint32_t secs;

	if (!limits_penalise(sv->lim, &c->src, penalty_of_exit(status,
	    c->authed), sluice_monotonic_ms(), &ev))
		return;
	secs = (uint32_t)((ev.ms + 999) / 1000);
	log_info("penalty: %s refused for %u s: %s", ev.source, secs,
	    penalty_kind_name(ev.kind));
	if (announce_penalty(sv, &ev, secs) != 0)
		log_warnx("cannot tell the engine of the penalty of %s",
		    ev.source);
}

/* The engine died: each session held a socket to it, so they end. */
static void
engine_gone(struct server *sv)
{
	size_t i;

	sv->engine_ctl = -1;
	ctl_reader_close(sv);
	for (i = 0; i < (size_t)sv->o->max_sessions; i++)
		if (sv->children[i].pid > 0)
			(void)kill(sv->children[i].pid, SIGTERM);
}

/* A session child reaped: no longer a startup nor a session; 1 when it
 * was killed at the engine's word (logged then). */
static int
child_reaped(struct server *sv, struct child *c, int status)
{
	int ended = c->ended;

	child_authed(sv, c);
	child_penalise(sv, c, status);
	c->pid = 0;
	c->authed = 0;
	c->ended = 0;
	sv->nchildren--;
	return ended;
}

static void
reap(struct server *sv)
{
	struct child *c;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (sv->o->engine != NULL &&
		    supervise_reaped(sv->o->engine, pid, status)) {
			engine_gone(sv);
			continue;
		}
		if ((c = child_by_pid(sv, pid)) != NULL &&
		    child_reaped(sv, c, status))
			continue;
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM &&
		    WTERMSIG(status) != SIGALRM)
			log_warnx("session %ld died of signal %d", (long)pid,
			    WTERMSIG(status));
	}
}

/* In a new child: drop the parent's descriptors and signal handlers. */
static void
child_detach(struct server *sv)
{
	size_t i;

	if (sv->listen_fd != -1)
		close(sv->listen_fd);
	if (sv->engine_ctl != -1)
		close(sv->engine_ctl);
	if (sv->ctl_in != NULL)
		close(ipc_peer_fd(sv->ctl_in));
	for (i = 0; i < (size_t)sv->o->max_sessions; i++)
		if (sv->children[i].auth_fd != -1)
			close(sv->children[i].auth_fd);
	signals_restore();
}

/* In the child: drop everything of the parent's but what the session
 * needs, then run it. Never returns. */
static void
child_run(struct server *sv, int cfd, int engine_fd, int auth_fd)
{
	child_detach(sv);
	if (sandbox_session(cfd, engine_fd, auth_fd) != 0)
		_exit(1);
	_exit(session_main(sv->bind, cfd, engine_fd, auth_fd, sv->sh, sv->o));
}

/* In an engine started again: nothing of the parent's, not even the host
 * key's public half (the engine reads the whole key itself). */
static void
engine_detach(void *arg)
{
	struct server *sv = arg;

	child_detach(sv);
	ssh_bind_free(sv->bind);
	sv->bind = NULL;
}

/* A new engine when its back-off is over; SLUICE_EIO when none will come. */
static int
engine_tick(struct server *sv)
{
	struct supervisor *s = sv->o->engine;
	int r;

	if (s == NULL || (r = supervise_tick(s, sluice_monotonic_ms())) == 0)
		return 0;
	if (r < 0)
		return r;
	sv->engine_ctl = s->ctl;
	ctl_reader_open(sv);
	return 0;
}

static struct child *
free_slot(struct server *sv)
{
	return child_by_pid(sv, 0);
}

static void
close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* IPC_NEW_SESSION: the engine gets its end of the session's socket, with
 * the peer's "ip:port" and the session's pid. */
static int
announce_session(struct server *sv, const char *peer, pid_t pid, int fd)
{
	struct sbuf *body;
	int r;

	if ((body = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sbuf_put_cstring(body, peer)) == 0 &&
	    (r = sbuf_put_u32(body, (uint32_t)pid)) == 0)
		r = ipc_send(sv->engine_ctl, IPC_NEW_SESSION, body, fd);
	sbuf_free(body);
	return r;
}

/* The session's socket to the engine (sp) and its auth pipe (ap). */
static int
session_fds(int sp[2], int ap[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0 ||
	    pipe2(ap, O_CLOEXEC | O_NONBLOCK) != 0)
		return SLUICE_EIO;
	return 0;
}

/* Forks the session child, which keeps sp[1] and ap[1] of the parent's
 * descriptors. */
static int
fork_session(struct server *sv, int cfd, int sp[2], int ap[2], pid_t *pid)
{
	if ((*pid = fork()) == -1) {
		log_warnx("fork: %s", strerror(errno));
		return SLUICE_EIO;
	}
	if (*pid == 0) {
		close(sp[0]);
		close(ap[0]);
		child_run(sv, cfd, sp[1], ap[1]);
	}
	return 0;
}

/* The new child counts as a session and as a startup until it closes
 * auth_fd's other end. */
static void
child_started(struct server *sv, struct child *c, pid_t pid, int auth_fd,
    const struct netaddr *src)
{
	c->pid = pid;
	c->auth_fd = auth_fd;
	c->authed = 0;
	c->src = *src;
	sv->nchildren++;
	limits_startup_begin(sv->lim, (size_t)(c - sv->children), src);
}

/* Hands the engine its end of a fresh socketpair and forks the session. */
static void
start_session(struct server *sv, int cfd, const char *peer,
    const struct netaddr *src)
{
	struct child *slot = free_slot(sv);
	int sp[2] = { -1, -1 }, ap[2] = { -1, -1 };
	pid_t pid;

	if (slot == NULL || session_fds(sp, ap) != 0) {
		log_warnx("cannot start a session for %s", peer);
		goto out;
	}
	if (fork_session(sv, cfd, sp, ap, &pid) != 0)
		goto out;
	child_started(sv, slot, pid, ap[0], src);
	ap[0] = -1;
	log_info("connection from %s: session %ld", peer, (long)pid);
	/* Told after the fork, for the pid: a session the engine never heard
	 * of finds its socket closed, and ends. */
	if (announce_session(sv, peer, pid, sp[0]) != 0) {
		log_warnx("cannot hand session %ld to the engine", (long)pid);
		(void)kill(pid, SIGTERM);
	}
out:
	close_pair(sp);
	close_pair(ap);
	close(cfd);
}

/* True when the connection from src must be closed at once: its source
 * in penalty, past max_sessions or the startup limits. Logged in summary. */
static int
refused(struct server *sv, const struct netaddr *src, const char *peer)
{
	uint64_t now = sluice_monotonic_ms();
	enum drop_reason why;

	why = limits_admit(sv->lim, src, now, randombytes_uniform(100));
	if (why == DROP_NONE && sv->nchildren >= (size_t)sv->o->max_sessions)
		why = DROP_SESSIONS;
	if (why == DROP_NONE)
		return 0;
	if (droplog_note(&sv->drops, why, now))
		log_warnx("dropping %s: %s (%zu sessions, %zu unauthenticated); "
		    "further drops are summed up every %u s", peer,
		    drop_reason_name(why), sv->nchildren,
		    limits_startups(sv->lim), DROPLOG_INTERVAL_MS / 1000);
	return 1;
}

static void
drops_summary(struct server *sv)
{
	char line[256];

	if (droplog_summary(&sv->drops, sluice_monotonic_ms(), line,
	    sizeof(line)))
		log_warnx("%s", line);
}

static void
accept_one(struct server *sv)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct netaddr src;
	char peer[NI_MAXHOST + NI_MAXSERV + 2];
	int cfd, one = 1;

	cfd = accept4(sv->listen_fd, (struct sockaddr *)&ss, &sl,
	    SOCK_CLOEXEC);
	if (cfd == -1) {
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			log_warnx("accept: %s", strerror(errno));
		return;
	}
	peer_name(&ss, sl, peer, sizeof(peer));
	if (netaddr_from_sockaddr((struct sockaddr *)&ss, sl, &src) != 0 ||
	    refused(sv, &src, peer)) {
		close(cfd);
		return;
	}
	(void)setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	start_session(sv, cfd, peer, &src);
}

static void
read_signals(struct server *sv)
{
	uint8_t sigs[64];
	ssize_t n, i;

	while ((n = read(sig_pipe[0], sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD)
				reap(sv);
			else
				sv->stopping = 1;
		}
}

/* A child closed (or died with) its auth pipe: it is no longer a startup. */
static void
auth_done(struct server *sv, int fd)
{
	size_t i;

	for (i = 0; i < (size_t)sv->o->max_sessions; i++)
		if (sv->children[i].auth_fd == fd) {
			child_authed(sv, &sv->children[i]);
			return;
		}
}

/* What to wait for: signals, the listening socket, the engine's messages,
 * the auth pipes of the children not yet authenticated. Returns how many
 * entries are set. */
static nfds_t
poll_set(struct server *sv, struct pollfd *pfd)
{
	size_t n = 3, i;

	pfd[0].fd = sig_pipe[0];
	pfd[0].events = POLLIN;
	/* No engine: connections wait in the listen queue for the next. */
	pfd[1].fd = sv->engine_ctl != -1 ? sv->listen_fd : -1;
	pfd[1].events = POLLIN;
	pfd[2].fd = sv->ctl_in != NULL ? ipc_peer_fd(sv->ctl_in) : -1;
	pfd[2].events = POLLIN;
	for (i = 0; i < (size_t)sv->o->max_sessions; i++)
		if (sv->children[i].auth_fd != -1) {
			pfd[n].fd = sv->children[i].auth_fd;
			pfd[n++].events = POLLIN;
		}
	return (nfds_t)n;
}

/* How long poll may sleep: until the engine's next supervision step or the
 * next summary of drops, whichever comes first; -1: no limit. */
static int
poll_timeout(const struct server *sv)
{
	uint64_t now = sluice_monotonic_ms();
	int a = sv->o->engine == NULL ? -1 : supervise_wait_ms(sv->o->engine,
	    now), b = droplog_wait_ms(&sv->drops, now);

	if (a < 0 || (b >= 0 && b < a))
		return b;
	return a;
}

static int
serve(struct server *sv)
{
	struct pollfd *pfd;
	nfds_t n, i;
	int r = 0;

	if ((pfd = calloc(3 + (size_t)sv->o->max_sessions,
	    sizeof(*pfd))) == NULL)
		return SLUICE_ENOMEM;
	reap(sv);	/* an engine that died before SIGCHLD was ours */
	ctl_reader_open(sv);
	while (!sv->stopping && r == 0) {
		n = poll_set(sv, pfd);
		if (poll(pfd, n, poll_timeout(sv)) == -1 && errno != EINTR)
			break;
		drops_summary(sv);
		if (pfd[0].revents)
			read_signals(sv);
		if (pfd[2].revents && sv->ctl_in != NULL)
			engine_input(sv);
		if ((r = engine_tick(sv)) != 0)
			break;
		for (i = 3; i < n; i++)
			if (pfd[i].revents)
				auth_done(sv, pfd[i].fd);
		if (!sv->stopping && (pfd[1].revents & POLLIN))
			accept_one(sv);
	}
	free(pfd);
	return r;
}

static void
stop_children(struct server *sv)
{
	size_t i;
	int status;

	for (i = 0; i < (size_t)sv->o->max_sessions; i++)
		if (sv->children[i].pid > 0)
			(void)kill(sv->children[i].pid, SIGTERM);
	for (i = 0; i < (size_t)sv->o->max_sessions; i++) {
		if (sv->children[i].pid > 0)
			(void)waitpid(sv->children[i].pid, &status, 0);
		if (sv->children[i].auth_fd != -1)
			close(sv->children[i].auth_fd);
		sv->children[i].pid = 0;
		sv->children[i].auth_fd = -1;
	}
}

static int
server_init(struct server *sv, const struct server_opts *o, int engine_ctl,
    struct ipc_shared *sh)
{
	size_t i;

	memset(sv, 0, sizeof(*sv));
	sv->o = o;
	sv->engine_ctl = engine_ctl;
	sv->sh = sh;
	sv->listen_fd = -1;
	droplog_init(&sv->drops);
	if (o->max_sessions <= 0 || o->limits.startups_full <= 0 ||
	    o->host_pub == NULL || o->host == NULL || o->listen_addr == NULL)
		return SLUICE_ECONFIG;
	if ((sv->children = calloc((size_t)o->max_sessions,
	    sizeof(*sv->children))) == NULL ||
	    (sv->lim = limits_new(&o->limits, (size_t)o->max_sessions)) == NULL)
		return SLUICE_ENOMEM;
	for (i = 0; i < (size_t)o->max_sessions; i++)
		sv->children[i].auth_fd = -1;
	if (o->engine != NULL) {
		o->engine->detach = engine_detach;
		o->engine->detach_arg = sv;
	}
	return 0;
}

static void
server_end(struct server *sv)
{
	if (sv->listen_fd != -1)
		close(sv->listen_fd);
	ctl_reader_close(sv);
	if (sv->children != NULL)
		stop_children(sv);
	free(sv->children);
	limits_free(sv->lim);
	if (sv->bind != NULL)
		ssh_bind_free(sv->bind);
	signals_restore();
}

int
server_run(const struct server_opts *o, int engine_ctl, struct ipc_shared *sh)
{
	struct server sv;
	int r;

	if ((r = server_init(&sv, o, engine_ctl, sh)) == 0 &&
	    (r = signals_setup()) == 0 && (r = bind_setup(&sv)) == 0 &&
	    (r = listen_setup(&sv)) == 0) {
		notify_ready();
		r = serve(&sv);
		notify_stopping();
		log_info("stopping: ending %zu sessions", sv.nchildren);
	}
	server_end(&sv);
	return r;
}
