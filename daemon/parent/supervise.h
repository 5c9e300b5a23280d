/*
 * supervise.h: the parent keeps an engine running (docs/design.md section 7).
 *
 * The engine runs in a child of the parent on its end of a socketpair (the
 * control socket; the parent keeps the other). When it dies, the parent's
 * reaper hands its status to supervise_reaped(); server.c then ends the
 * sessions (each held a socket to the dead engine, and the new one knows
 * nothing of them) and accepts nobody until a new engine runs.
 * supervise_tick() starts it after a back-off: 100 ms, doubled after each
 * engine that died within SUPERVISE_STABLE_MS of its start, at most 5 s;
 * one that ran longer resets it. After SUPERVISE_MAX_FAILURES such quick
 * deaths in a row (a fork that fails counts too; the death of an engine
 * that ran longer does not) the supervisor gives up:
 * the parent stops and exits non-zero, so that systemd restarts the
 * service. The new engine is told what became of the one before, and audits
 * it ("engine restart").
 *
 * This file knows nothing of the engine itself: it runs whatever run() does
 * (daemon/main.c: engine_main()), so the parent and session side link
 * neither the engine nor the store.
 */
#ifndef SLUICE_SUPERVISE_H
#define SLUICE_SUPERVISE_H

#include <sys/types.h>

#include <stdint.h>

#define SUPERVISE_FIRST_DELAY_MS	100
#define SUPERVISE_MAX_DELAY_MS		5000
#define SUPERVISE_STABLE_MS		30000
#define SUPERVISE_MAX_FAILURES		5

struct supervisor {
	/* In the new child: the engine on ctl, its exit status returned.
	 * note is NULL at the first start, else what became of the engine
	 * before ("killed by signal 9"). */
	int		(*run)(void *arg, int ctl, const char *note);
	void		*run_arg;
	/* In the new child, first: what the parent holds that the engine
	 * must not (server.c: the listening socket, the sessions' pipes);
	 * NULL for nothing. */
	void		(*detach)(void *arg);
	void		*detach_arg;
	/* the state; zero it before supervise_start() */
	pid_t		 pid;		/* 0: no engine */
	int		 ctl;		/* the parent's end; -1 without one */
	int		 failures;	/* quick deaths in a row */
	uint64_t	 started;	/* monotonic ms */
	uint64_t	 restart_at;	/* 0: none due */
	uint64_t	 delay;		/* the next back-off */
	char		 note[96];	/* what became of the last engine */
};

/* The first engine; 0, or SLUICE_EIO (logged). */
int supervise_start(struct supervisor *s) __attribute__((warn_unused_result));
/* 1 when pid was the engine (then it is gone, logged, a restart due, ctl
 * closed), else 0. */
int supervise_reaped(struct supervisor *s, pid_t pid, int status);
/* Starts the engine again when its back-off is over: 1 when it did, 0
 * when nothing was due, SLUICE_EIO when the supervisor gives up. */
int supervise_tick(struct supervisor *s, uint64_t now)
    __attribute__((warn_unused_result));
/* How long poll may wait for the next restart: -1 when none is due. */
int supervise_wait_ms(const struct supervisor *s, uint64_t now);
/* Ends the engine (SIGTERM, waited for); 0 when it exited cleanly or there
 * was none. */
int supervise_stop(struct supervisor *s);

#endif
