/*
 * mail_worker.c: delivery without the engine waiting (mail.h says what and
 * why). The worker reports on its socket, in ipc.h's framing, one message
 * MAIL_VERDICT per outbox message: u32 its index in the batch, u32 outcome
 * (WORKER_SENT, WORKER_FAILED, WORKER_SKIPPED: the run's budget was spent
 * before it), string why.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/engine_int.h"
#include "engine/mail.h"
#include "sluice/clock.h"
#include "sluice/error.h"
#include "sluice/log.h"
#include "sluice/minisign.h"
#include "sluice/sshkey.h"

#define MAIL_VERDICT	1
#define WORKER_FD	3	/* the worker's socket to the engine */

enum worker_outcome { WORKER_SENT = 0, WORKER_FAILED, WORKER_SKIPPED };

struct mail_run {
	pid_t			 pid;
	struct ipc_peer		*io;
	int64_t			 now;	/* the scheduler's time of the run */
	struct outbox_list	 l;
	uint8_t			*done;	/* per message: its verdict taken */
};

/* ---- in the worker -------------------------------------------------------- */

/* Keeps nothing of the engine's but cfg, stderr for the log and sock (as
 * WORKER_FD): no master key, release key or host key (each wiped); dies
 * with the engine. The store's handle is left alone. */
static void
worker_detach(struct engine *e, int sock)
{
	struct sigaction sa;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sodium_free(e->master);
	e->master = NULL;
	minisign_key_free(e->release);
	e->release = NULL;
	sshkey_priv_free(e->hostkey);	/* wipes the seed */
	e->hostkey = NULL;
	if (dup2(sock, WORKER_FD) == -1)
		_exit(1);
	closefrom(WORKER_FD + 1);
}

static int
worker_report(size_t i, enum worker_outcome outcome, const char *why)
{
	struct sbuf *b;
	int r;

	if ((b = sbuf_new()) == NULL)
		return SLUICE_ENOMEM;
	if ((r = sbuf_put_u32(b, (uint32_t)i)) == 0 &&
	    (r = sbuf_put_u32(b, (uint32_t)outcome)) == 0 &&
	    (r = sbuf_put_cstring(b, why)) == 0)
		r = ipc_send(WORKER_FD, MAIL_VERDICT, b, -1);
	sbuf_free(b);
	return r;
}

/* Each message in turn, within the run's budget; stops when the engine is
 * gone (nobody would record what it sent). */
static void __attribute__((noreturn))
worker_main(struct engine *e, int sock, const struct outbox_list *l)
{
	int64_t end = (int64_t)sluice_monotonic_ms() + MAIL_RUN_BUDGET * 1000;
	enum worker_outcome outcome;
	char why[STORE_TEXT_MAX];
	int64_t left;
	size_t i;

	worker_detach(e, sock);
	for (i = 0; i < l->n; i++) {
		why[0] = '\0';
		if ((left = end - (int64_t)sluice_monotonic_ms()) <= 0)
			outcome = WORKER_SKIPPED;
		else if (mail_deliver_one(e->cfg, &l->v[i], mail_timeout(left),
		    why, sizeof(why)) == 0)
			outcome = WORKER_SENT;
		else
			outcome = WORKER_FAILED;
		if (worker_report(i, outcome, why) != 0)
			_exit(1);
	}
	_exit(0);
}

/* ---- in the engine -------------------------------------------------------- */

int
mail_worker_fd(const struct engine *e)
{
	return e->mail_run == NULL ? -1 : ipc_peer_fd(e->mail_run->io);
}

static void
run_free(struct mail_run *run)
{
	if (run == NULL)
		return;
	ipc_peer_free(run->io);
	outbox_list_free(&run->l);
	free(run->done);
	free(run);
}

/* Marks the first n messages of run in delivery (on) or no longer; the
 * first failure is returned, the rest still tried. */
static int
run_mark(struct engine *e, struct mail_run *run, size_t n, int on)
{
	size_t i;
	int r, first = 0;

	for (i = 0; i < n; i++)
		if ((r = outbox_set_delivering(e->st, run->l.v[i].id, on)) != 0 &&
		    first == 0)
			first = r;
	return first;
}

/* Marks every message in delivery, all or none. */
static int
run_claim(struct engine *e, struct mail_run *run)
{
	size_t i;
	int r = 0;

	for (i = 0; i < run->l.n && r == 0; i++)
		r = outbox_set_delivering(e->st, run->l.v[i].id, 1);
	if (r != 0)
		(void)run_mark(e, run, i - 1, 0);
	return r;
}

/* The worker, with its end of a fresh socket; run->io is the engine's. */
static int
run_fork(struct engine *e, struct mail_run *run)
{
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return SLUICE_EIO;
	if ((run->pid = fork()) == 0)
		worker_main(e, sv[1], &run->l);
	close(sv[1]);
	if (run->pid == -1) {
		close(sv[0]);
		return SLUICE_EIO;
	}
	if ((r = ipc_peer_new(sv[0], &run->io)) != 0) {
		close(sv[0]);
		(void)kill(run->pid, SIGKILL);
		(void)waitpid(run->pid, NULL, 0);
		return r;
	}
	ipc_peer_limits(run->io, 16 + STORE_TEXT_MAX, 0, UINT64_MAX / 2);
	return 0;
}

/* The due messages, each marked in delivery, then handed to a worker. */
static int
run_start(struct engine *e, struct mail_run *run)
{
	int r;

	if ((r = outbox_due(e->st, run->now, MAIL_BATCH, &run->l)) != 0 ||
	    run->l.n == 0)
		return r;
	if ((run->done = calloc(run->l.n, 1)) == NULL)
		return SLUICE_ENOMEM;
	if ((r = run_claim(e, run)) != 0)
		return r;
	if ((r = run_fork(e, run)) != 0)
		(void)run_mark(e, run, run->l.n, 0);
	return r;
}

/* sendmail's messages go to a worker, one worker at a time. */
static void
run_begin(struct engine *e, int64_t now)
{
	struct mail_run *run;
	int r = SLUICE_ENOMEM;

	if ((run = calloc(1, sizeof(*run))) != NULL) {
		run->now = now;
		r = run_start(e, run);
	}
	if (r != 0 || run->l.n == 0) {
		if (r != 0)
			log_warnx("mail: cannot start delivering: %s",
			    sluice_strerror(r));
		e->next_mail = r != 0 ? now + 60 : mail_next_due(e->st);
		run_free(run);
		return;
	}
	log_info("mail: delivering %zu message(s) through %s (worker %ld)",
	    run->l.n, e->cfg->sendmail, (long)run->pid);
	e->mail_run = run;
	e->next_mail = 0;
}

void
mail_deliver(struct engine *e, int64_t now)
{
	if (e->cfg->mail_transport != MAIL_SENDMAIL)
		e->next_mail = mail_deliver_here(e->cfg, e->st, now);
	else if (e->mail_run == NULL)
		run_begin(e, now);
	/* else the worker's end sets next_mail */
}

/* One verdict from the worker. */
static int
run_verdict(struct engine *e, struct mail_run *run, struct sbuf *b)
{
	uint32_t i = 0, outcome = 0;
	char *why = NULL;
	int r;

	if ((r = sbuf_get_u32(b, &i)) != 0 ||
	    (r = sbuf_get_u32(b, &outcome)) != 0 ||
	    (r = sbuf_get_cstring(b, &why, STORE_TEXT_MAX)) != 0 ||
	    sbuf_len(b) != 0 || i >= run->l.n || run->done[i] ||
	    outcome > WORKER_SKIPPED)
		r = SLUICE_EPROTO;
	else if (outcome == WORKER_SKIPPED)
		r = outbox_set_delivering(e->st, run->l.v[i].id, 0);
	else
		mail_settle(e->st, &run->l.v[i], outcome == WORKER_FAILED, why,
		    run->now);
	if (r != SLUICE_EPROTO)
		run->done[i] = 1;
	free(why);
	return r == SLUICE_EPROTO ? r : 0;
}

/* The worker is gone (or broke its framing, then it is killed): a message
 * without a verdict is failed with its backoff. */
static void
run_end(struct engine *e, int kill_it)
{
	struct mail_run *run = e->mail_run;
	char how[64], why[128];
	int status = 0;
	size_t i;

	if (kill_it)
		(void)kill(run->pid, SIGKILL);
	while (waitpid(run->pid, &status, 0) == -1 && errno == EINTR)
		;
	sluice_wait_words(status, how, sizeof(how));
	(void)snprintf(why, sizeof(why), "the delivery worker %s before its "
	    "verdict", how);
	for (i = 0; i < run->l.n; i++)
		if (!run->done[i])
			mail_settle(e->st, &run->l.v[i], 1, why, run->now);
	log_info("mail: delivery worker %ld done (%s)", (long)run->pid, how);
	run_free(run);
	e->mail_run = NULL;
	e->next_mail = mail_next_due(e->st);
}

void
mail_worker_input(struct engine *e)
{
	struct sbuf *b;
	uint32_t type;
	int r = SLUICE_ENOMEM;
	int64_t now;

	if (e->mail_run == NULL)
		return;
	if ((b = sbuf_new()) != NULL)
		while ((r = ipc_peer_read(e->mail_run->io, &type, b, NULL)) == 1)
			if (type != MAIL_VERDICT ||
			    (r = run_verdict(e, e->mail_run, b)) != 0)
				break;
	sbuf_free(b);
	if (r == 0)
		return;
	run_end(e, r != SLUICE_EIO);
	now = sluice_now();
	if (e->next_mail != 0 && e->next_mail <= now)
		run_begin(e, now);
}

void
mail_recover(struct engine *e)
{
	struct outbox_list l;
	size_t i;

	if (outbox_delivering(e->st, &l) != 0) {
		log_warnx("mail: cannot read the outbox");
		return;
	}
	for (i = 0; i < l.n; i++) {
		log_warnx("mail: %s to %s was in delivery when the engine "
		    "stopped: it goes again (at-least-once)", l.v[i].dedupe_key,
		    l.v[i].to);
		if (outbox_set_delivering(e->st, l.v[i].id, 0) != 0)
			log_warnx("mail: cannot release %s", l.v[i].dedupe_key);
	}
	outbox_list_free(&l);
}

void
mail_stop(struct engine *e)
{
	struct mail_run *run = e->mail_run;

	if (run == NULL)
		return;
	(void)kill(run->pid, SIGTERM);
	while (waitpid(run->pid, NULL, 0) == -1 && errno == EINTR)
		;
	run_free(run);
	e->mail_run = NULL;
}
